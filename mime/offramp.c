/*
 * mime/offramp: parses a spooled offramp message with GMime and turns it
 * into an ordered list of content parts the fax side can render (UTF-8
 * text, TIFF files, PDF files, PNG/JPEG/GIF/BMP image files), plus the
 * header facts DSNs, MDNs and cover pages need.
 *
 * Policy (RFC 3965 2.2.4, RFC 3249 4.4.5): every part of the message must
 * be faxable or the whole message fails; the caller gets an enhanced
 * status and plain words naming the part. The decisions about what to do
 * with a failure (DSN, retry) belong to gateway/.
 *
 * Not here: rendering (fax/), PDF conversion (Ghostscript, gateway/), and
 * any judgement of TIFF or image files beyond their magic numbers (fax/
 * decodes them).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

struct mime_offramp {
	struct mime_part *parts;   /* owned, nparts entries */
	size_t nparts;
	char *from, *to, *subject, *date, *message_id;   /* owned, or NULL */
	char *dnt, *dnt_addr, *return_path, *headers;    /* owned, or NULL */
	int dnt_count;
	time_t date_time;
	int is_report;
};

/* The walk over the MIME tree; exists during one parse. */
struct walk {
	const struct mime_offramp_opts *opts;
	struct mime_offramp *m;
	struct mime_error *err;
	size_t leaves;        /* leaves looked at */
	size_t total_bytes;   /* decoded bytes delivered */
	size_t text_bytes;
};

static int walk_object(struct walk *w, GMimeObject *obj, int depth);
static int walk_alternative(struct walk *w, GMimeMultipart *mp, int depth);
static int walk_related(struct walk *w, GMimeMultipart *mp, int depth);
static int related_root(GMimeMultipart *mp);
static int walk_leaf(struct walk *w, GMimePart *part);
static int leaf_kind(const char *type, const char *filename);
static int leaf_decode(struct walk *w, GMimePart *part, const char *what,
    GByteArray **out);
static int leaf_check_encoding(struct walk *w, GMimePart *part,
    const char *what, GByteArray **decoded);
static int leaf_limits(struct walk *w, const char *what, GByteArray *ba);
static int leaf_write_file(struct walk *w, struct mime_part *p,
    const GByteArray *data, const char *ext);
static struct mime_part *parts_add(struct walk *w);
static int object_is_faxable(GMimeObject *obj);
static const char *image_magic(const GByteArray *data);
static char *object_type(GMimeObject *obj);
static int type_field_valid(const char *v);
static void headers_extract(struct mime_offramp *m, GMimeMessage *msg);
static char *addr_list_string(InternetAddressList *list);
static char *fact_dup(const char *s);
static int fail(struct mime_error *err, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void gmime_init_once(void);

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/* GMime's own init is reference-counted; ours runs it once per process. */
static void
gmime_init_once(void)
{
	g_mime_init();
}

void
mime_gmime_init(void)
{
	pthread_once(&gmime_once, gmime_init_once);
}

struct mime_offramp *
mime_offramp_parse_file(const char *path, const struct mime_offramp_opts *opts,
    struct mime_error *err)
{
	struct mime_offramp *m;
	struct walk w = { .opts = opts, .err = err };
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	GMimeObject *body;
	int fd, rc;

	mime_gmime_init();
	memset(err, 0, sizeof(*err));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fail(err, "4.3.0", "cannot open the spooled message: %s", strerror(errno));
		return NULL;
	}
	stream = g_mime_stream_fs_new(fd);   /* owns fd */
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		fail(err, "5.6.1", "the message is not a readable RFC 5322 message");
		return NULL;
	}

	m = g_new0(struct mime_offramp, 1);
	w.m = m;
	headers_extract(m, msg);
	m->headers = mime_headers_raw(path);
	body = g_mime_message_get_mime_part(msg);
	if (body == NULL) {
		rc = -1;
		fail(err, "5.6.1", "the message has no body");
	} else {
		rc = walk_object(&w, body, 0);
	}
	if (rc == 0 && m->nparts == 0 && !(opts != NULL && opts->allow_empty)) {
		rc = -1;
		fail(err, "5.6.1", "the message has no text, PDF or image content to fax");
	}
	g_object_unref(msg);
	if (rc != 0) {
		mime_offramp_free(m);
		return NULL;
	}
	return m;
}

void
mime_offramp_free(struct mime_offramp *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nparts; i++) {
		g_free((char *)m->parts[i].type);
		g_free((char *)m->parts[i].filename);
		g_free((char *)m->parts[i].text);
		g_free((char *)m->parts[i].path);
	}
	g_free(m->parts);
	g_free(m->from);
	g_free(m->to);
	g_free(m->subject);
	g_free(m->date);
	g_free(m->message_id);
	g_free(m->dnt);
	g_free(m->dnt_addr);
	g_free(m->return_path);
	g_free(m->headers);
	g_free(m);
}

void
mime_offramp_get_facts(const struct mime_offramp *m, struct mime_offramp_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->from = m->from;
	f->to = m->to;
	f->subject = m->subject;
	f->date = m->date;
	f->message_id = m->message_id;
	f->dnt = m->dnt;
	f->dnt_addr = m->dnt_addr;
	f->return_path = m->return_path;
	f->dnt_count = m->dnt_count;
	f->is_report = m->is_report;
	f->date_time = m->date_time;
}

/* NULL stays NULL; anything else is copied as valid UTF-8. */
static char *
fact_dup(const char *s)
{
	return s != NULL ? g_utf8_make_valid(s, -1) : NULL;
}

struct mime_offramp *
mime_offramp_from_facts(const struct mime_offramp_facts *f)
{
	struct mime_offramp *m = g_new0(struct mime_offramp, 1);

	m->from = fact_dup(f->from);
	m->to = fact_dup(f->to);
	m->subject = fact_dup(f->subject);
	m->date = fact_dup(f->date);
	m->message_id = fact_dup(f->message_id);
	m->dnt = fact_dup(f->dnt);
	m->dnt_addr = fact_dup(f->dnt_addr);
	m->return_path = fact_dup(f->return_path);
	m->dnt_count = f->dnt_count > 0 ? f->dnt_count : 0;
	m->is_report = f->is_report != 0;
	m->date_time = f->date_time;
	return m;
}

size_t mime_offramp_nparts(const struct mime_offramp *m) { return m->nparts; }

const struct mime_part *
mime_offramp_part(const struct mime_offramp *m, size_t i)
{
	return i < m->nparts ? &m->parts[i] : NULL;
}

const char *mime_offramp_from(const struct mime_offramp *m) { return m->from; }
const char *mime_offramp_to(const struct mime_offramp *m) { return m->to; }
const char *mime_offramp_subject(const struct mime_offramp *m) { return m->subject; }
const char *mime_offramp_date(const struct mime_offramp *m) { return m->date; }
time_t mime_offramp_date_time(const struct mime_offramp *m) { return m->date_time; }
const char *mime_offramp_message_id(const struct mime_offramp *m) { return m->message_id; }
const char *mime_offramp_dnt(const struct mime_offramp *m) { return m->dnt; }
int mime_offramp_dnt_count(const struct mime_offramp *m) { return m->dnt_count; }
const char *mime_offramp_dnt_addr(const struct mime_offramp *m) { return m->dnt_addr; }
const char *mime_offramp_return_path(const struct mime_offramp *m) { return m->return_path; }
const char *mime_offramp_headers(const struct mime_offramp *m) { return m->headers; }
int mime_offramp_is_report(const struct mime_offramp *m) { return m->is_report; }

/* ---- the walk ----------------------------------------------------------- */

static int
walk_object(struct walk *w, GMimeObject *obj, int depth)
{
	GMimeMultipart *mp;
	char *type;
	int i, n, rc = 0;

	if (depth > MIME_OFFRAMP_MAX_DEPTH)
		return fail(w->err, "5.3.4", "multiparts are nested deeper than %d levels",
		    MIME_OFFRAMP_MAX_DEPTH);
	if (GMIME_IS_PART(obj))
		return walk_leaf(w, GMIME_PART(obj));
	if (!GMIME_IS_MULTIPART(obj)) {
		/* message/rfc822 (a forwarded mail) and the like. */
		char *what;

		type = object_type(obj);
		what = mime_part_name(type, NULL);
		g_free(type);
		fail(w->err, "5.6.1", "%s cannot be faxed; only text, HTML, "
		    "PDF and images (TIFF, PNG, JPEG, GIF, BMP) can", what);
		g_free(what);
		return -1;
	}

	mp = GMIME_MULTIPART(obj);
	n = g_mime_multipart_get_count(mp);
	type = object_type(obj);
	if (n == 0) {
		/* GMime finds no part when the boundary is missing or wrong. */
		fail(w->err, "5.6.1", "the %s part has no parts (missing or wrong "
		    "boundary)", type);
		g_free(type);
		return -1;
	}
	if (strcmp(type, "multipart/alternative") == 0) {
		g_free(type);
		return walk_alternative(w, mp, depth);
	}
	if (strcmp(type, "multipart/related") == 0) {
		g_free(type);
		return walk_related(w, mp, depth);
	}
	if (strcmp(type, "multipart/signed") == 0) {
		/* RFC 1847: part 1 is the content, part 2 only the signature. */
		g_free(type);
		return walk_object(w, g_mime_multipart_get_part(mp, 0), depth + 1);
	}
	g_free(type);
	/* mixed, fax-message, report, digest, unknown: all as mixed
	 * (RFC 2046 5.1.7). */
	for (i = 0; i < n && rc == 0; i++)
		rc = walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
	return rc;
}

/*
 * RFC 2046 5.1.4: the alternatives are in increasing order of fidelity and
 * a reader shows the last one it can. A fax is plain black on white, so the
 * text/plain alternative is preferred; failing that the last faxable one,
 * failing that the last one (which then fails with its own type).
 */
static int
walk_alternative(struct walk *w, GMimeMultipart *mp, int depth)
{
	int i, n = g_mime_multipart_get_count(mp), pick = -1;

	for (i = 0; i < n; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		char *type = object_type(o);
		int plain = strcmp(type, "text/plain") == 0;

		g_free(type);
		if (plain) {
			pick = i;
			break;
		}
	}
	for (i = n - 1; pick < 0 && i >= 0; i--)
		if (object_is_faxable(g_mime_multipart_get_part(mp, i)))
			pick = i;
	if (pick < 0)
		pick = n - 1;
	return walk_object(w, g_mime_multipart_get_part(mp, pick), depth + 1);
}

/*
 * RFC 2387: the root (the "start" parameter's part, else the first) is the
 * content; the other parts are resources it refers to - the logo in an
 * Outlook signature, an image in Gmail's HTML. A fax shows the root, and
 * of the resources only documents (TIFF, PDF) a reader would see as
 * pages; an image the fax cannot show is left out rather than failing the
 * whole message for it.
 */
static int
walk_related(struct walk *w, GMimeMultipart *mp, int depth)
{
	int i, n = g_mime_multipart_get_count(mp), root = related_root(mp), rc;

	rc = walk_object(w, g_mime_multipart_get_part(mp, root), depth + 1);
	for (i = 0; i < n && rc == 0; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		char *type;
		int kind;

		if (i == root || !GMIME_IS_PART(o))
			continue;
		if (++w->leaves > MIME_OFFRAMP_MAX_LEAVES)
			return fail(w->err, "5.3.4", "the message has more than %d parts",
			    MIME_OFFRAMP_MAX_LEAVES);
		type = object_type(o);
		kind = leaf_kind(type, g_mime_part_get_filename(GMIME_PART(o)));
		g_free(type);
		if (kind == MIME_PART_TIFF || kind == MIME_PART_PDF) {
			w->leaves--;   /* walk_leaf() counts it */
			rc = walk_leaf(w, GMIME_PART(o));
		}
	}
	return rc;
}

/* The index of the root part of a multipart/related (RFC 2387 3.2). */
static int
related_root(GMimeMultipart *mp)
{
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	const char *start = ct ? g_mime_content_type_get_parameter(ct, "start") : NULL;
	int i, n = g_mime_multipart_get_count(mp);
	size_t len;

	if (start == NULL)
		return 0;
	start += strspn(start, " <");
	len = strcspn(start, "> ");
	for (i = 0; i < n; i++) {
		const char *cid = g_mime_object_get_content_id(g_mime_multipart_get_part(mp, i));

		if (cid != NULL && strlen(cid) == len && strncmp(cid, start, len) == 0)
			return i;
	}
	return 0;
}

static int
walk_leaf(struct walk *w, GMimePart *part)
{
	char *type = object_type(GMIME_OBJECT(part));
	const char *fn = g_mime_part_get_filename(part);
	char *what = mime_part_name(type, fn);
	GByteArray *data = NULL;
	struct mime_part *p;
	int kind, rc = -1;

	if (++w->leaves > MIME_OFFRAMP_MAX_LEAVES) {
		fail(w->err, "5.3.4", "the message has more than %d parts",
		    MIME_OFFRAMP_MAX_LEAVES);
		goto out;
	}
	kind = leaf_kind(type, fn);
	if (kind == 0) {
		if (strcmp(type, "application/ms-tnef") == 0 ||
		    strcmp(type, "application/vnd.ms-tnef") == 0 ||
		    (fn != NULL && g_ascii_strcasecmp(fn, "winmail.dat") == 0))
			fail(w->err, "5.6.1", "%s is in Microsoft's TNEF format "
			    "(winmail.dat), which cannot be faxed; send the mail "
			    "in plain text or HTML format", what);
		else
			fail(w->err, "5.6.1", "%s cannot be faxed; only text, HTML, "
			    "PDF and images (TIFF, PNG, JPEG, GIF, BMP) can", what);
		goto out;
	}
	if (leaf_check_encoding(w, part, what, &data) != 0)
		goto out;
	if (data != NULL && leaf_limits(w, what, data) != 0) {
		data = NULL;   /* leaf_limits() freed it */
		goto out;
	}
	if (data == NULL && leaf_decode(w, part, what, &data) != 0)
		goto out;
	/* Nothing after decoding: an empty text is no page (like white space
	 * alone); an empty file is no document. data->data may be NULL here. */
	if (data->len == 0) {
		if (kind == MIME_PART_TEXT)
			rc = 0;
		else
			fail(w->err, "5.6.1", "%s is empty", what);
		goto out;
	}

	if (kind == MIME_PART_TEXT) {
		const char *cs = g_mime_object_get_content_type_parameter(
		    GMIME_OBJECT(part), "charset");
		char meta[MIME_META_CHARSET_MAX] = "";
		size_t tlen;
		char *text, *utf8;

		/* HTML often names its charset only in <meta> (HTML5 8.2.2.2). */
		if (cs == NULL && strcmp(type, "text/html") == 0 &&
		    mime_html_meta_charset((const char *)data->data, data->len, meta,
		    sizeof(meta)) == 0)
			cs = meta;
		utf8 = mime_text_to_utf8((const char *)data->data, data->len, cs, &tlen);

		if (strcmp(type, "text/html") == 0) {
			text = mime_html_to_text(utf8, tlen, &tlen);
			g_free(utf8);
		} else {
			text = utf8;
		}
		/* White space alone is no page (a signature delimiter part). */
		if (text == NULL || strspn(text, " \t\r\n\f") == tlen) {
			g_free(text);
			rc = 0;
			goto out;
		}
		/* The line break before a boundary belongs to the boundary
		 * (RFC 2046 5.1.1); every text part ends with one of its own. */
		if (text[tlen - 1] != '\n') {
			text = g_realloc(text, tlen + 2);
			text[tlen++] = '\n';
			text[tlen] = '\0';
		}
		w->text_bytes += tlen;
		if (w->text_bytes > MIME_OFFRAMP_MAX_TEXT) {
			g_free(text);
			fail(w->err, "5.3.4", "the message has more than %u bytes of text",
			    MIME_OFFRAMP_MAX_TEXT);
			goto out;
		}
		if ((p = parts_add(w)) == NULL) {
			g_free(text);
			goto out;
		}
		p->text = text;
		p->text_len = tlen;
		p->size = tlen;
	} else {
		static const char tiff_le[4] = { 'I', 'I', 42, 0 };
		static const char tiff_be[4] = { 'M', 'M', 0, 42 };
		size_t win = data->len < OFFRAMP_PDF_MAGIC_WINDOW ? data->len :
		    OFFRAMP_PDF_MAGIC_WINDOW, skip = 0;
		const guint8 *magic = NULL;

		if (kind == MIME_PART_TIFF && (data->len < 8 ||
		    (memcmp(data->data, tiff_le, 4) != 0 &&
		    memcmp(data->data, tiff_be, 4) != 0))) {
			fail(w->err, "5.6.1", "%s is not a TIFF image", what);
			goto out;
		}
		if (kind == MIME_PART_PDF &&
		    (magic = memmem(data->data, win, "%PDF-", 5)) == NULL) {
			fail(w->err, "5.6.1", "%s is not a PDF document", what);
			goto out;
		}
		if (kind == MIME_PART_IMAGE && image_magic(data) == NULL) {
			fail(w->err, "5.6.1", "%s is not a PNG, JPEG, GIF or BMP "
			    "image", what);
			goto out;
		}
		/* What comes before "%PDF-" is not kept: the file then starts
		 * with it, and Ghostscript reads it as PDF. Left in, a leading
		 * "%!" would make it run the whole file as PostScript. */
		if (magic != NULL) {
			skip = (size_t)(magic - data->data);
			g_byte_array_remove_range(data, 0, (guint)skip);
		}
		if ((p = parts_add(w)) == NULL)
			goto out;
		if (leaf_write_file(w, p, data, kind == MIME_PART_TIFF ? "tif" :
		    kind == MIME_PART_PDF ? "pdf" : image_magic(data)) != 0)
			goto out;
		p->size = data->len;
	}
	p->kind = kind;
	p->type = g_strdup(type);
	p->filename = fn != NULL ? g_utf8_make_valid(fn, -1) : NULL;
	rc = 0;
out:
	if (data != NULL)
		g_byte_array_unref(data);
	g_free(type);
	g_free(what);
	return rc;
}

/* The part's kind by type, then by file name; 0 when it cannot be faxed. */
static int
leaf_kind(const char *type, const char *filename)
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
	if (strcmp(type, "text/plain") == 0 || strcmp(type, "text/html") == 0)
		return MIME_PART_TEXT;
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
			fail(w->err, "5.6.1", "%s has the unknown transfer encoding "
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
	return fail(w->err, "5.6.1", "%s has corrupt base64 encoding", what);
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
			return fail(w->err, "5.6.1", "%s cannot be decoded", what);
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
		return fail(w->err, "5.3.4", "%s is larger than %zu bytes", what, max_part);
	}
	w->total_bytes += ba->len;
	if (w->total_bytes > max_total) {
		g_byte_array_unref(ba);
		return fail(w->err, "5.3.4", "the attachments together are larger "
		    "than %zu bytes", max_total);
	}
	return 0;
}

static int
leaf_write_file(struct walk *w, struct mime_part *p, const GByteArray *data,
    const char *ext)
{
	const char *dir = w->opts && w->opts->out_dir ? w->opts->out_dir : ".";
	char *path = g_strdup_printf("%s/part-%02zu.%s", dir, w->m->nparts - 1, ext);
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fail(w->err, "4.3.0", "cannot write %s: %s", path, strerror(errno));
		g_free(path);
		return -1;
	}
	while (off < data->len) {
		ssize_t n = write(fd, data->data + off, data->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(w->err, "4.3.0", "cannot write %s: %s", path,
			    n < 0 ? strerror(errno) : "short write");
			close(fd);
			unlink(path);
			g_free(path);
			return -1;
		}
		off += (size_t)n;
	}
	if (close(fd) != 0) {
		fail(w->err, "4.3.0", "cannot write %s: %s", path, strerror(errno));
		unlink(path);
		g_free(path);
		return -1;
	}
	p->path = path;
	return 0;
}

static struct mime_part *
parts_add(struct walk *w)
{
	struct mime_offramp *m = w->m;

	if (m->nparts >= MIME_OFFRAMP_MAX_PARTS) {
		fail(w->err, "5.3.4", "the message has more than %d parts to fax",
		    MIME_OFFRAMP_MAX_PARTS);
		return NULL;
	}
	m->parts = g_renew(struct mime_part, m->parts, m->nparts + 1);
	memset(&m->parts[m->nparts], 0, sizeof(m->parts[0]));
	return &m->parts[m->nparts++];
}

/* Can this subtree (as chosen inside an alternative) be faxed at all? */
static int
object_is_faxable(GMimeObject *obj)
{
	char *type;
	int ok;

	if (GMIME_IS_MULTIPART(obj))
		return 1;
	if (!GMIME_IS_PART(obj))
		return 0;
	type = object_type(obj);
	ok = leaf_kind(type, g_mime_part_get_filename(GMIME_PART(obj))) != 0;
	g_free(type);
	return ok;
}

/*
 * "type/subtype" in lower case; caller frees. RFC 2045 5.2: a leaf whose
 * Content-Type field is present but not "type/subtype" (empty, "text",
 * "/") is taken as the default, text/plain; GMime would make it
 * application/octet-stream, which cannot be faxed.
 */
static char *
object_type(GMimeObject *obj)
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

/* ---- headers ------------------------------------------------------------ */

static void
headers_extract(struct mime_offramp *m, GMimeMessage *msg)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GDateTime *dt;
	const char *v;
	int i, n;

	m->from = addr_list_string(g_mime_message_get_from(msg));
	m->to = addr_list_string(g_mime_message_get_to(msg));
	if ((v = g_mime_message_get_subject(msg)) != NULL)
		m->subject = g_utf8_make_valid(v, -1);
	if ((v = g_mime_object_get_header(obj, "Date")) != NULL) {
		char *d = g_strstrip(g_strdup(v));

		m->date = g_utf8_make_valid(d, -1);
		g_free(d);
	}
	if ((dt = g_mime_message_get_date(msg)) != NULL)
		m->date_time = (time_t)g_date_time_to_unix(dt);
	if ((v = g_mime_message_get_message_id(msg)) != NULL && *v != '\0')
		m->message_id = g_strdup_printf("<%s>", v);

	/* RFC 8098 2.1: the field must occur at most once; count every
	 * address in every occurrence so that "more than one" is visible. */
	n = g_mime_header_list_get_count(hl);
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		InternetAddressList *l;

		if (g_ascii_strcasecmp(name, "Disposition-Notification-To") == 0) {
			v = g_mime_header_get_value(h);
			if (m->dnt == NULL)
				m->dnt = g_utf8_make_valid(v ? v : "", -1);
			l = v ? internet_address_list_parse(NULL, v) : NULL;
			if (l == NULL) {
				m->dnt_count += 2;   /* unparseable: never "single" */
				continue;
			}
			m->dnt_count += internet_address_list_length(l);
			if (m->dnt_count == 1 && m->dnt_addr == NULL) {
				InternetAddress *a = internet_address_list_get_address(l, 0);

				if (INTERNET_ADDRESS_IS_MAILBOX(a))
					m->dnt_addr = g_strdup(internet_address_mailbox_get_addr(
					    INTERNET_ADDRESS_MAILBOX(a)));
				else
					m->dnt_count = 2;   /* a group is not one address */
			}
			g_object_unref(l);
		} else if (g_ascii_strcasecmp(name, "Return-Path") == 0 &&
		    m->return_path == NULL) {
			char *rp;
			size_t len;

			v = g_mime_header_get_value(h);
			rp = g_strstrip(g_strdup(v ? v : ""));
			len = strlen(rp);

			if (len >= 2 && rp[0] == '<' && rp[len - 1] == '>') {
				memmove(rp, rp + 1, len - 2);
				rp[len - 2] = '\0';
			}
			m->return_path = rp;
		}
	}
	if (m->dnt_count != 1) {
		g_free(m->dnt_addr);
		m->dnt_addr = NULL;
	}
	{
		GMimeObject *body = g_mime_message_get_mime_part(msg);
		GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;

		m->is_report = ct != NULL && g_mime_content_type_is_type(ct, "multipart", "report");
	}
}

/* "Name <addr>, ..." with RFC 2047 words decoded, or NULL when empty. */
static char *
addr_list_string(InternetAddressList *list)
{
	char *s, *v;

	if (list == NULL || internet_address_list_length(list) == 0)
		return NULL;
	s = internet_address_list_to_string(list, NULL, FALSE);
	v = g_utf8_make_valid(s, -1);
	g_free(s);
	return v;
}

/*
 * The header block exactly as received, for text/rfc822-headers: read from
 * the file (GMime would give it back re-folded, with boundaries invented),
 * LF line ends, 8-bit octets replaced by '?' (the DSN part is 7bit), cut at
 * a line end after MIME_OFFRAMP_MAX_HEADERS bytes.
 */
char *
mime_headers_raw(const char *path)
{
	FILE *f = fopen(path, "re");
	GString *s;
	char line[1000];   /* RFC 5322 2.1.1: 998 + CRLF; longer lines are cut */
	int skipping = 0;

	if (f == NULL)
		return NULL;
	s = g_string_new(NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line), i;
		int complete = n > 0 && line[n - 1] == '\n';

		if (skipping) {
			/* the rest of an over-long line */
			skipping = !complete;
			continue;
		}
		skipping = !complete && !feof(f);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			break;   /* the end of the header block */
		if (s->len + n + 1 > MIME_OFFRAMP_MAX_HEADERS)
			break;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];

			g_string_append_c(s, (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?');
		}
		g_string_append_c(s, '\n');
	}
	fclose(f);
	return g_string_free(s, FALSE);
}

static int
fail(struct mime_error *err, const char *status, const char *fmt, ...)
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
