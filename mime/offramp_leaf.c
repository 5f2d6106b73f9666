/*
 * mime/offramp_leaf: the leaves of an offramp message. Each is decoded
 * (a corrupt base64 part fails loudly; GMime alone would skip the bad
 * characters), held to the size limits, checked to be what it claims by
 * its magic number, converted (text to UTF-8) or written to a file, and
 * added as a part with the words a DSN names it by. Also the parts that
 * are listed as not faxed, the image resources of multipart/related
 * parts, and the headers of forwarded messages that go above their
 * content.
 *
 * Not here: the walk over multiparts and messages (offramp.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

#define OFFRAMP_PART_BYTES_DEFAULT (64u << 20)
#define OFFRAMP_TOTAL_BYTES_DEFAULT (256u << 20)
/* A PDF's "%PDF-" may follow some junk (RFC 8118 readers allow 1 KiB). */
#define OFFRAMP_PDF_MAGIC_WINDOW 1024
/* An unknown Content-Transfer-Encoding is quoted up to this many bytes. */
#define OFFRAMP_CTE_SHOWN_MAX 80

/* Office documents: their types and file name extensions, and the
 * extension the file is written with (LibreOffice reads it as a hint). */
static const struct office_type {
	const char *type;
	const char *ext;
} office_types[] = {
	{ "application/msword", "doc" },
	{ "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx" },
	{ "application/vnd.oasis.opendocument.text", "odt" },
	{ "application/rtf", "rtf" },
	{ "application/x-rtf", "rtf" },
	{ "text/rtf", "rtf" },
	{ "application/vnd.ms-excel", "xls" },
	{ "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx" },
	{ "application/vnd.oasis.opendocument.spreadsheet", "ods" },
	{ "application/vnd.ms-powerpoint", "ppt" },
	{ "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx" },
	{ "application/vnd.oasis.opendocument.presentation", "odp" },
};
static const char *const office_exts[] = {
	"doc", "docx", "odt", "rtf", "xls", "xlsx", "ods", "ppt", "pptx", "odp",
};

static int leaf_data(struct walk *w, GMimePart *part, const char *what,
    GByteArray **out);
static int leaf_text(struct walk *w, GMimePart *part, const char *type,
    const char *fn, GByteArray *data, int kind);
static int leaf_file(struct walk *w, GMimePart *part, const char *type,
    const char *fn, const char *what, GByteArray *data, int kind);
static const char *office_ext(const char *type, const char *filename);
static int office_magic(const GByteArray *data);
static int html_has_content(const char *s, size_t n);
static int leaf_check_encoding(struct walk *w, GMimePart *part,
    const char *what, GByteArray **decoded);
static int leaf_decode(struct walk *w, GMimePart *part, const char *what,
    GByteArray **out);
static int leaf_limits(struct walk *w, const char *what, GByteArray *ba);
static int leaf_write_file(struct walk *w, const char *name, size_t idx,
    const GByteArray *data, const char *ext, char **out);
static struct mime_part *parts_add(struct walk *w, enum mime_part_kind kind);
static void html_take_resources(struct walk *w, struct mime_part *p);
static const char *image_magic(const GByteArray *data);
static int type_field_valid(const char *v);
static char *part_label(const struct walk *w, const char *noun, const char *type,
    const char *filename);

int
mime_walk_leaf(struct walk *w, GMimePart *part)
{
	char *type = mime_object_type(GMIME_OBJECT(part));
	const char *fn = g_mime_part_get_filename(part);
	char *what = mime_part_name(type, fn);
	GByteArray *data = NULL;
	int kind, rc = -1;

	if (++w->leaves > MIME_OFFRAMP_MAX_LEAVES) {
		mime_walk_fail(w->err, "5.3.4", "the message has more than %d parts",
		    MIME_OFFRAMP_MAX_LEAVES);
		goto out;
	}
	kind = mime_leaf_kind(type, fn);
	if (kind == 0) {
		if (strcmp(type, "application/ms-tnef") == 0 ||
		    strcmp(type, "application/vnd.ms-tnef") == 0 ||
		    (fn != NULL && g_ascii_strcasecmp(fn, "winmail.dat") == 0))
			mime_walk_fail(w->err, "5.6.1", "%s is in Microsoft's TNEF "
			    "format (winmail.dat), which cannot be faxed; send the "
			    "mail in plain text or HTML format", what);
		else
			mime_walk_fail(w->err, "5.6.1", "%s cannot be faxed; only text, "
			    "HTML, PDF, images (TIFF, PNG, JPEG, GIF, BMP) and office "
			    "documents can", what);
		goto out;
	}
	if (leaf_data(w, part, what, &data) != 0)
		goto out;
	/* Nothing after decoding: an empty text is no page (like white space
	 * alone); an empty file is no document. data->data may be NULL here. */
	if (data->len == 0) {
		if (kind == MIME_PART_TEXT || kind == MIME_PART_HTML)
			rc = 0;
		else
			mime_walk_fail(w->err, "5.6.1", "%s is empty", what);
		goto out;
	}
	if (kind == MIME_PART_TEXT || kind == MIME_PART_HTML)
		rc = leaf_text(w, part, type, fn, data, kind);
	else
		rc = leaf_file(w, part, type, fn, what, data, kind);
out:
	if (data != NULL)
		g_byte_array_unref(data);
	g_free(type);
	g_free(what);
	return rc;
}

/* The decoded content of a leaf within the limits, or a failure. */
static int
leaf_data(struct walk *w, GMimePart *part, const char *what, GByteArray **out)
{
	*out = NULL;
	if (leaf_check_encoding(w, part, what, out) != 0)
		return -1;
	if (*out != NULL && leaf_limits(w, what, *out) != 0) {
		*out = NULL;   /* leaf_limits() freed it */
		return -1;
	}
	if (*out == NULL && leaf_decode(w, part, what, out) != 0)
		return -1;
	return 0;
}

/* Text or HTML: to UTF-8; a forward's headers go above it. */
static int
leaf_text(struct walk *w, GMimePart *part, const char *type, const char *fn,
    GByteArray *data, int kind)
{
	const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part),
	    "charset");
	char meta[MIME_META_CHARSET_MAX] = "";
	struct mime_part *p;
	size_t tlen;
	char *text;

	/* HTML often names its charset only in <meta> (HTML5 8.2.2.2). */
	if (cs == NULL && kind == MIME_PART_HTML &&
	    mime_html_meta_charset((const char *)data->data, data->len, meta,
	    sizeof(meta)) == 0)
		cs = meta;
	text = mime_text_to_utf8((const char *)data->data, data->len, cs, &tlen);
	/* Nothing to see is no page: white space alone (a signature
	 * delimiter part), HTML of tags and nothing between them. */
	if (strspn(text, " \t\r\n\f") == tlen ||
	    (kind == MIME_PART_HTML && !html_has_content(text, tlen))) {
		g_free(text);
		return 0;
	}
	/* The line break before a boundary belongs to the boundary
	 * (RFC 2046 5.1.1); every text part ends with one of its own. */
	if (text[tlen - 1] != '\n') {
		text = g_realloc(text, tlen + 2);
		text[tlen++] = '\n';
		text[tlen] = '\0';
	}
	if (kind == MIME_PART_TEXT && w->preface != NULL) {
		char *t = g_strconcat(w->preface->str, text, NULL);

		tlen += w->preface->len;
		g_free(text);
		text = t;
	}
	w->text_bytes += tlen + (w->preface != NULL ? w->preface->len : 0);
	if (w->text_bytes > MIME_OFFRAMP_MAX_TEXT) {
		g_free(text);
		return mime_walk_fail(w->err, "5.3.4", "the message has more than %u "
		    "bytes of text", MIME_OFFRAMP_MAX_TEXT);
	}
	if ((p = parts_add(w, (enum mime_part_kind)kind)) == NULL) {
		g_free(text);
		return -1;
	}
	p->text = text;
	p->text_len = tlen;
	p->size = tlen;
	p->type = g_strdup(type);
	p->filename = fn != NULL ? g_utf8_make_valid(fn, -1) : NULL;
	p->label = part_label(w, kind == MIME_PART_HTML ? "the HTML text" :
	    "the text", type, fn);
	if (w->preface != NULL) {
		if (kind == MIME_PART_HTML)
			p->preface = g_string_free(w->preface, FALSE);
		else
			g_string_free(w->preface, TRUE);
		w->preface = NULL;
	}
	if (kind == MIME_PART_HTML)
		html_take_resources(w, p);
	return 0;
}

/* TIFF, PDF, an image or an office document: checked and written. */
static int
leaf_file(struct walk *w, GMimePart *part, const char *type, const char *fn,
    const char *what, GByteArray *data, int kind)
{
	static const char tiff_le[4] = { 'I', 'I', 42, 0 };
	static const char tiff_be[4] = { 'M', 'M', 0, 42 };
	size_t win = data->len < OFFRAMP_PDF_MAGIC_WINDOW ? data->len :
	    OFFRAMP_PDF_MAGIC_WINDOW;
	const guint8 *magic = NULL;
	const char *ext;
	struct mime_part *p;
	char *path;

	(void)part;
	if (kind == MIME_PART_TIFF && (data->len < 8 ||
	    (memcmp(data->data, tiff_le, 4) != 0 &&
	    memcmp(data->data, tiff_be, 4) != 0)))
		return mime_walk_fail(w->err, "5.6.1", "%s is not a TIFF image", what);
	if (kind == MIME_PART_PDF &&
	    (magic = memmem(data->data, win, "%PDF-", 5)) == NULL)
		return mime_walk_fail(w->err, "5.6.1", "%s is not a PDF document", what);
	if (kind == MIME_PART_IMAGE && image_magic(data) == NULL)
		return mime_walk_fail(w->err, "5.6.1", "%s is not a PNG, JPEG, GIF or "
		    "BMP image", what);
	if (kind == MIME_PART_OFFICE && !office_magic(data))
		return mime_walk_fail(w->err, "5.6.1", "%s is not a word-processor, "
		    "spreadsheet or presentation document", what);
	/* What comes before "%PDF-" is not kept: the file then starts with
	 * it, and Ghostscript reads it as PDF. Left in, a leading "%!" would
	 * make it run the whole file as PostScript. */
	if (magic != NULL)
		g_byte_array_remove_range(data, 0, (guint)(magic - data->data));
	/* A forward's headers: a page of their own before it. */
	if (w->preface != NULL && mime_walk_preface(w) != 0)
		return -1;
	ext = kind == MIME_PART_TIFF ? "tif" : kind == MIME_PART_PDF ? "pdf" :
	    kind == MIME_PART_IMAGE ? image_magic(data) : office_ext(type, fn);
	if ((p = parts_add(w, (enum mime_part_kind)kind)) == NULL)
		return -1;
	if (leaf_write_file(w, "part", w->m->nparts - 1, data, ext, &path) != 0) {
		w->m->nparts--;
		w->content--;
		return -1;
	}
	p->path = path;
	p->size = data->len;
	p->type = g_strdup(type);
	p->filename = fn != NULL ? g_utf8_make_valid(fn, -1) : NULL;
	p->label = part_label(w, NULL, type, fn);
	if (kind == MIME_PART_OFFICE)
		p->ext = g_strdup(ext);
	return 0;
}

int
mime_walk_resource(struct walk *w, GMimePart *part, struct walk_scope *sc)
{
	char *type = mime_object_type(GMIME_OBJECT(part));
	const char *fn = g_mime_part_get_filename(part);
	char *what = mime_part_name(type, fn), *path;
	const char *cid, *loc, *ext;
	GByteArray *data = NULL;
	struct mime_resource *r;
	int rc = -1;

	if (sc == NULL) {
		int image = g_str_has_prefix(type, "image/");

		rc = mime_walk_skip(w, type, fn, image, image ? "it is not a PNG, "
		    "JPEG, GIF or BMP image" : "a resource of the message's HTML "
		    "that a fax does not show");
		goto out;
	}
	if (leaf_data(w, part, what, &data) != 0)
		goto out;
	if ((ext = image_magic(data)) == NULL) {
		rc = 1;
		goto out;
	}
	if (sc->res->len >= MIME_OFFRAMP_MAX_RESOURCES) {
		rc = mime_walk_skip(w, type, fn, 1, "the message has more than %d "
		    "images for its HTML", MIME_OFFRAMP_MAX_RESOURCES);
		goto out;
	}
	if (leaf_write_file(w, "res", w->files++, data, ext, &path) != 0)
		goto out;
	r = g_new0(struct mime_resource, 1);
	cid = g_mime_object_get_content_id(GMIME_OBJECT(part));
	loc = g_mime_object_get_header(GMIME_OBJECT(part), "Content-Location");
	r->cid = cid != NULL && *cid != '\0' ? g_utf8_make_valid(cid, -1) : NULL;
	if (loc != NULL) {
		char *l = g_strstrip(g_utf8_make_valid(loc, -1));

		r->location = *l != '\0' ? l : NULL;
		if (r->location == NULL)
			g_free(l);
	}
	r->path = path;
	r->size = data->len;
	r->type = g_strdup(type);
	r->label = part_label(w, "an image", type, fn);
	g_ptr_array_add(sc->res, r);
	rc = 0;
out:
	if (data != NULL)
		g_byte_array_unref(data);
	g_free(type);
	g_free(what);
	return rc;
}

int
mime_walk_resource_page(struct walk *w, const struct mime_resource *r)
{
	struct mime_part *p;

	if (w->preface != NULL && mime_walk_preface(w) != 0)
		return -1;
	if ((p = parts_add(w, MIME_PART_IMAGE)) == NULL)
		return -1;
	p->path = g_strdup(r->path);
	p->size = r->size;
	p->type = g_strdup(r->type);
	p->label = g_strdup(r->label);
	return 0;
}

/* The HTML part shows the images of every related part around it that no
 * HTML part took yet. */
static void
html_take_resources(struct walk *w, struct mime_part *p)
{
	GPtrArray *all = g_ptr_array_new();
	struct mime_resource *res;
	guint i, k;

	for (i = 0; i < w->scopes->len; i++) {
		struct walk_scope *sc = g_ptr_array_index(w->scopes, i);

		if (sc->taken)
			continue;
		sc->taken = 1;
		for (k = 0; k < sc->res->len && all->len < MIME_OFFRAMP_MAX_RESOURCES; k++)
			g_ptr_array_add(all, g_ptr_array_index(sc->res, k));
	}
	res = g_new0(struct mime_resource, all->len ? all->len : 1);
	for (i = 0; i < all->len; i++) {
		const struct mime_resource *r = g_ptr_array_index(all, i);

		res[i].cid = g_strdup(r->cid);
		res[i].location = g_strdup(r->location);
		res[i].path = g_strdup(r->path);
		res[i].type = g_strdup(r->type);
		res[i].label = g_strdup(r->label);
		res[i].size = r->size;
	}
	p->res = res;
	p->nres = all->len;
	g_ptr_array_free(all, TRUE);
}

int
mime_walk_skip(struct walk *w, const char *type, const char *filename, int lossy,
    const char *fmt, ...)
{
	struct mime_part *p;
	va_list ap;

	if (w->skipped >= MIME_OFFRAMP_MAX_SKIPPED)
		return 0;   /* listed enough; the rest is not content either */
	if ((p = parts_add(w, MIME_PART_SKIPPED)) == NULL)
		return -1;
	va_start(ap, fmt);
	p->reason = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	p->type = g_strdup(type);
	p->filename = filename != NULL ? g_utf8_make_valid(filename, -1) : NULL;
	p->label = part_label(w, NULL, type, filename);
	p->lossy = lossy;
	return 0;
}

int
mime_walk_preface(struct walk *w)
{
	struct mime_part *p;

	if (w->preface == NULL)
		return 0;
	w->text_bytes += w->preface->len;
	if (w->text_bytes > MIME_OFFRAMP_MAX_TEXT)
		return mime_walk_fail(w->err, "5.3.4", "the message has more than %u "
		    "bytes of text", MIME_OFFRAMP_MAX_TEXT);
	if ((p = parts_add(w, MIME_PART_TEXT)) == NULL)
		return -1;
	p->text_len = w->preface->len;
	p->size = p->text_len;
	p->text = g_string_free(w->preface, FALSE);
	w->preface = NULL;
	p->type = g_strdup("message/rfc822");
	p->label = part_label(w, "the headers", p->type, NULL);
	return 0;
}

char *
mime_walk_label(const struct walk *w, const char *type, const char *filename)
{
	return part_label(w, NULL, type, filename);
}

/* noun names a part without a file name ("the text"); else the attachment
 * by its name, or the part by its type; after the forward's prefix. */
static char *
part_label(const struct walk *w, const char *noun, const char *type,
    const char *filename)
{
	char *base, *out;

	if (filename != NULL && *filename != '\0')
		base = mime_part_name(type, filename);
	else if (noun != NULL)
		base = g_strdup(noun);
	else
		base = mime_part_name(type, NULL);
	if (w->prefix == NULL)
		return base;
	out = g_strconcat(w->prefix, base, NULL);
	g_free(base);
	return out;
}

/* A part added to the list: content parts up to MIME_OFFRAMP_MAX_PARTS. */
static struct mime_part *
parts_add(struct walk *w, enum mime_part_kind kind)
{
	struct mime_offramp *m = w->m;
	struct mime_part *p;

	if (kind != MIME_PART_SKIPPED && w->content >= MIME_OFFRAMP_MAX_PARTS) {
		mime_walk_fail(w->err, "5.3.4", "the message has more than %d parts to "
		    "fax", MIME_OFFRAMP_MAX_PARTS);
		return NULL;
	}
	if (kind == MIME_PART_SKIPPED)
		w->skipped++;
	else
		w->content++;
	m->parts = g_renew(struct mime_part, m->parts, m->nparts + 1);
	p = &m->parts[m->nparts++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	return p;
}

void
mime_part_clear(struct mime_part *p)
{
	size_t i;

	g_free((char *)p->type);
	g_free((char *)p->filename);
	g_free((char *)p->label);
	g_free((char *)p->text);
	g_free((char *)p->preface);
	g_free((char *)p->path);
	g_free((char *)p->ext);
	g_free((char *)p->reason);
	for (i = 0; i < p->nres; i++) {
		g_free((char *)p->res[i].cid);
		g_free((char *)p->res[i].location);
		g_free((char *)p->res[i].path);
		g_free((char *)p->res[i].type);
		g_free((char *)p->res[i].label);
	}
	g_free((struct mime_resource *)p->res);
	memset(p, 0, sizeof(*p));
}

void
mime_resource_free(gpointer p)
{
	struct mime_resource *r = p;

	g_free((char *)r->cid);
	g_free((char *)r->location);
	g_free((char *)r->path);
	g_free((char *)r->type);
	g_free((char *)r->label);
	g_free(r);
}

/* The part's kind by type, then by file name; 0 when it cannot be faxed. */
int
mime_leaf_kind(const char *type, const char *filename)
{
	const char *dot = filename ? strrchr(filename, '.') : NULL;

	if (strcmp(type, "image/tiff") == 0 || strcmp(type, "image/tif") == 0 ||
	    strcmp(type, "image/x-tiff") == 0 || strcmp(type, "application/tiff") == 0)
		return MIME_PART_TIFF;
	if (strcmp(type, "application/pdf") == 0 || strcmp(type, "application/x-pdf") == 0)
		return MIME_PART_PDF;
	if (dot != NULL && (g_ascii_strcasecmp(dot, ".tif") == 0 ||
	    g_ascii_strcasecmp(dot, ".tiff") == 0))
		return MIME_PART_TIFF;
	if (dot != NULL && g_ascii_strcasecmp(dot, ".pdf") == 0)
		return MIME_PART_PDF;
	if (strcmp(type, "image/png") == 0 || strcmp(type, "image/x-png") == 0 ||
	    strcmp(type, "image/jpeg") == 0 || strcmp(type, "image/jpg") == 0 ||
	    strcmp(type, "image/pjpeg") == 0 || strcmp(type, "image/gif") == 0 ||
	    strcmp(type, "image/bmp") == 0 || strcmp(type, "image/x-bmp") == 0 ||
	    strcmp(type, "image/x-ms-bmp") == 0)
		return MIME_PART_IMAGE;
	if (dot != NULL && (g_ascii_strcasecmp(dot, ".png") == 0 ||
	    g_ascii_strcasecmp(dot, ".jpg") == 0 ||
	    g_ascii_strcasecmp(dot, ".jpeg") == 0 ||
	    g_ascii_strcasecmp(dot, ".gif") == 0 ||
	    g_ascii_strcasecmp(dot, ".bmp") == 0))
		return MIME_PART_IMAGE;
	if (office_ext(type, filename) != NULL)
		return MIME_PART_OFFICE;
	if (strcmp(type, "text/html") == 0)
		return MIME_PART_HTML;
	if (strcmp(type, "text/plain") == 0 || strcmp(type, "text/rfc822-headers") == 0)
		return MIME_PART_TEXT;
	return 0;
}

/* The office format of a part by type, else by file name; NULL for none. */
static const char *
office_ext(const char *type, const char *filename)
{
	const char *dot = filename ? strrchr(filename, '.') : NULL;
	size_t i;

	if (dot != NULL)
		for (i = 0; i < G_N_ELEMENTS(office_exts); i++)
			if (g_ascii_strcasecmp(dot + 1, office_exts[i]) == 0)
				return office_exts[i];
	for (i = 0; i < G_N_ELEMENTS(office_types); i++)
		if (strcmp(type, office_types[i].type) == 0)
			return office_types[i].ext;
	return NULL;
}

/* An OLE2 compound file (.doc .xls .ppt), a ZIP container (the Open XML
 * and OpenDocument formats) or RTF. */
static int
office_magic(const GByteArray *data)
{
	const guint8 *p = data->data;

	return (data->len >= 8 && memcmp(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0) ||
	    (data->len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0) ||
	    (data->len >= 5 && memcmp(p, "{\\rtf", 5) == 0);
}

/*
 * Does an HTML part show anything: a character outside tags, comments,
 * <head>, <script> and <style> that is not white space, or an image? A
 * cheap look, not a parse (fax/ parses): it only tells an empty HTML
 * alternative ("<html><body></body></html>") from one with content.
 */
static int
html_has_content(const char *s, size_t n)
{
	static const char *const skip[] = { "<head", "<script", "<style", "<title" };
	static const char *const close[] = { "</head", "</script", "</style", "</title" };
	const char *p = s, *end = s + n;
	size_t i;

	while (p < end) {
		if (*p == '<') {
			if (end - p >= 4 && g_ascii_strncasecmp(p, "<img", 4) == 0)
				return 1;
			if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
				const char *e = g_strstr_len(p + 4, end - p - 4, "-->");

				p = e != NULL ? e + 3 : end;
				continue;
			}
			for (i = 0; i < G_N_ELEMENTS(skip); i++) {
				size_t k = strlen(skip[i]);

				if ((size_t)(end - p) > k && g_ascii_strncasecmp(p, skip[i], k) == 0 &&
				    !g_ascii_isalnum(p[k])) {
					const char *e = p;

					while (e < end && g_ascii_strncasecmp(e, close[i],
					    strlen(close[i])) != 0)
						e++;
					p = e;
					break;
				}
			}
			while (p < end && *p != '>')
				p++;
			p++;
			continue;
		}
		if (!g_ascii_isspace(*p))
			return 1;
		p++;
	}
	return 0;
}

/* The file extension of an image the renderer reads, from the content's
 * magic number (the declared type may be wrong); NULL for anything else. */
static const char *
image_magic(const GByteArray *data)
{
	const guint8 *p = data->data;

	if (data->len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "png";
	if (data->len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return "jpg";
	if (data->len >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return "gif";
	if (data->len >= 26 && p[0] == 'B' && p[1] == 'M')
		return "bmp";
	return NULL;
}

/*
 * An unknown Content-Transfer-Encoding means the content cannot be read
 * (RFC 2049 2 (4)). GMime's base64 decoder skips invalid characters
 * silently; a corrupt attachment must fail loudly instead, so base64 is
 * checked while it is decoded here, in one pass over the encoded text:
 * base64 alphabet and white space only, padding only at the end, and not
 * one character short of a whole group. *decoded gets the content of a
 * base64 part (NULL for the other encodings: leaf_decode() does those).
 */
static int
leaf_check_encoding(struct walk *w, GMimePart *part, const char *what,
    GByteArray **decoded)
{
	const char *cte = g_mime_object_get_header(GMIME_OBJECT(part),
	    "Content-Transfer-Encoding");
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	size_t max_part = w->opts && w->opts->max_part_bytes ?
	    w->opts->max_part_bytes : OFFRAMP_PART_BYTES_DEFAULT;
	GMimeDataWrapper *dw;
	GMimeStream *raw;
	GByteArray *ba;
	unsigned char buf[4096];
	size_t count = 0;
	int pad = 0, state = 0;
	guint32 save = 0;
	gint64 rawlen;
	ssize_t n;

	*decoded = NULL;
	if (cte != NULL && enc == GMIME_CONTENT_ENCODING_DEFAULT) {
		char *v = g_strstrip(g_strdup(cte));
		char shown[OFFRAMP_CTE_SHOWN_MAX];

		if (*v != '\0') {
			/* A real encoding name is short; a hostile one is shown
			 * fitted and marked, never cut silently. */
			mime_walk_fail(w->err, "5.6.1", "%s has the unknown transfer encoding "
			    "\"%s\"", what, mime_text_fit(shown, sizeof(shown), v));
			g_free(v);
			return -1;
		}
		g_free(v);
	}
	if (enc != GMIME_CONTENT_ENCODING_BASE64)
		return 0;
	dw = g_mime_part_get_content(part);
	if (dw == NULL)
		return 0;
	if ((raw = g_mime_data_wrapper_get_stream(dw)) == NULL)
		return 0;   /* no content: leaf_decode() finds it empty */
	rawlen = g_mime_stream_length(raw);
	ba = g_byte_array_sized_new(rawlen > 0 ? (guint)MIN(rawlen / 4 * 3 + 4,
	    (gint64)max_part + 4) : 64);
	g_mime_stream_reset(raw);
	while ((n = g_mime_stream_read(raw, (char *)buf, sizeof(buf))) > 0) {
		ssize_t i;
		guint at = ba->len;

		for (i = 0; i < n; i++) {
			unsigned char c = buf[i];

			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			if (c == '=') {
				pad++;
				continue;
			}
			if (pad > 0 || !(g_ascii_isalnum(c) || c == '+' || c == '/'))
				goto bad;
			count++;
		}
		g_byte_array_set_size(ba, at + (guint)n / 4 * 3 + 3);
		g_byte_array_set_size(ba, at + (guint)g_mime_encoding_base64_decode_step(buf,
		    (size_t)n, ba->data + at, &state, &save));
		if (ba->len > max_part)
			break;   /* leaf_limits() reports it */
	}
	g_mime_stream_reset(raw);
	if (ba->len <= max_part &&
	    (pad > 2 || count % 4 == 1 || (pad > 0 && (count + pad) % 4 != 0)))
		goto bad;
	*decoded = ba;
	return 0;
bad:
	g_mime_stream_reset(raw);
	g_byte_array_unref(ba);
	return mime_walk_fail(w->err, "5.6.1", "%s has corrupt base64 encoding", what);
}

/* The decoded content of a leaf (not base64), within the size limits. */
static int
leaf_decode(struct walk *w, GMimePart *part, const char *what, GByteArray **out)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem;
	GByteArray *ba = g_byte_array_new();

	*out = NULL;
	if (dw != NULL) {
		mem = g_mime_stream_mem_new_with_byte_array(ba);
		g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
		if (g_mime_data_wrapper_write_to_stream(dw, mem) < 0) {
			g_object_unref(mem);
			g_byte_array_unref(ba);
			return mime_walk_fail(w->err, "5.6.1", "%s cannot be decoded", what);
		}
		g_object_unref(mem);
	}
	if (leaf_limits(w, what, ba) != 0)
		return -1;
	*out = ba;
	return 0;
}

/* Size limits of one part and of all; frees ba when over. */
static int
leaf_limits(struct walk *w, const char *what, GByteArray *ba)
{
	size_t max_part = w->opts && w->opts->max_part_bytes ?
	    w->opts->max_part_bytes : OFFRAMP_PART_BYTES_DEFAULT;
	size_t max_total = w->opts && w->opts->max_total_bytes ?
	    w->opts->max_total_bytes : OFFRAMP_TOTAL_BYTES_DEFAULT;

	if (ba->len > max_part) {
		g_byte_array_unref(ba);
		return mime_walk_fail(w->err, "5.3.4", "%s is larger than %zu bytes", what, max_part);
	}
	w->total_bytes += ba->len;
	if (w->total_bytes > max_total) {
		g_byte_array_unref(ba);
		return mime_walk_fail(w->err, "5.3.4", "the attachments together are larger "
		    "than %zu bytes", max_total);
	}
	return 0;
}

/* data to out_dir/NAME-NN.EXT; *out the path (caller frees). */
static int
leaf_write_file(struct walk *w, const char *name, size_t idx,
    const GByteArray *data, const char *ext, char **out)
{
	const char *dir = w->opts && w->opts->out_dir ? w->opts->out_dir : ".";
	char *path = g_strdup_printf("%s/%s-%02zu.%s", dir, name, idx, ext);
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		mime_walk_fail(w->err, "4.3.0", "cannot write %s: %s", path, strerror(errno));
		g_free(path);
		return -1;
	}
	while (off < data->len) {
		ssize_t n = write(fd, data->data + off, data->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mime_walk_fail(w->err, "4.3.0", "cannot write %s: %s", path,
			    n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(path);
			g_free(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0) {
		mime_walk_fail(w->err, "4.3.0", "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		g_free(path);
		return -1;
	}
	*out = path;
	return 0;
}

/*
 * "type/subtype" in lower case; caller frees. RFC 2045 5.2: a leaf whose
 * Content-Type field is present but not "type/subtype" (empty, "text",
 * "/") is taken as the default, text/plain; GMime would make it
 * application/octet-stream, which cannot be faxed.
 */
char *
mime_object_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	const char *raw = g_mime_object_get_header(obj, "Content-Type");
	char *t, *l;

	if (ct == NULL || (GMIME_IS_PART(obj) && raw != NULL && !type_field_valid(raw)))
		return g_strdup("text/plain");
	t = g_mime_content_type_get_mime_type(ct);
	l = g_ascii_strdown(t ? t : "text/plain", -1);
	g_free(t);
	return l;
}

/* Does a Content-Type field value start with token "/" token (RFC 2045 5.1)? */
static int
type_field_valid(const char *v)
{
	static const char tspecials[] = "()<>@,;:\\\"/[]?=";
	size_t type, sub;

	v += strspn(v, " \t\r\n");
	for (type = 0; v[type] > ' ' && v[type] < 0x7f && !strchr(tspecials, v[type]); type++)
		;
	if (type == 0 || v[type] != '/')
		return 0;
	v += type + 1;
	for (sub = 0; v[sub] > ' ' && v[sub] < 0x7f && !strchr(tspecials, v[sub]); sub++)
		;
	return sub > 0;
}


int
mime_walk_fail(struct mime_error *err, const char *status, const char *fmt, ...)
{
	va_list ap;

	/* Keep the first (innermost) cause. */
	if (err->status[0] != '\0')
		return -1;
	va_start(ap, fmt);
	mime_error_vset(err, status, fmt, ap);
	va_end(ap);
	return -1;
}
