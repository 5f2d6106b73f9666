/*
 * mime/offramp: parses a spooled offramp message with GMime and turns it
 * into an ordered list of parts the fax side can render (UTF-8 text, HTML
 * with the images it shows, TIFF, PDF, PNG/JPEG/GIF/BMP image and office
 * document files), and of parts that are not faxed and why, plus the
 * header facts DSNs, MDNs and cover pages need (offramp_facts.c).
 *
 * This file is the walk over the MIME tree: multiparts, alternatives,
 * related parts and their resources, signed parts, forwarded messages.
 * Leaves (decoding, checks, files) are offramp_leaf.c's.
 *
 * Policy (RFC 3965 2.2.4, RFC 3249 4.4.5): every part of the message must
 * be faxable or the whole message fails; the caller gets an enhanced
 * status and plain words naming the part. What is not content (a
 * signature, a style sheet of an HTML part) is listed, not failed. The
 * decisions about what to do with a failure (DSN, retry) belong to
 * gateway/.
 *
 * Not here: rendering (fax/), PDF and office conversion (Ghostscript,
 * LibreOffice), and any judgement of files beyond their magic numbers.
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

static int walk_object(struct walk *w, GMimeObject *obj, int depth);
static int walk_alternative(struct walk *w, GMimeMultipart *mp, int depth);
static int walk_related(struct walk *w, GMimeMultipart *mp, int depth);
static int walk_message(struct walk *w, GMimeMessagePart *mp, int depth);
static int related_root(GMimeMultipart *mp);
static void parts_truncate(struct walk *w, size_t n);
static int object_is_faxable(GMimeObject *obj);
static char *forward_preface(GMimeMessage *msg);
static void preface_field(GString *s, const char *name, const char *value);
static void scope_free(gpointer p);
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
		mime_walk_fail(err, "4.3.0", "cannot open the spooled message: %s",
		    strerror(errno));
		return NULL;
	}
	stream = g_mime_stream_fs_new(fd);   /* owns fd */
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		mime_walk_fail(err, "5.6.1", "the message is not a readable RFC 5322 message");
		return NULL;
	}

	m = g_new0(struct mime_offramp, 1);
	w.m = m;
	w.scopes = g_ptr_array_new_with_free_func(scope_free);
	mime_facts_extract(m, msg);
	m->headers = mime_headers_raw(path);
	body = g_mime_message_get_mime_part(msg);
	if (body == NULL) {
		rc = -1;
		mime_walk_fail(err, "5.6.1", "the message has no body");
	} else {
		rc = walk_object(&w, body, 0);
	}
	if (rc == 0 && w.content == 0 && !(opts != NULL && opts->allow_empty)) {
		rc = -1;
		mime_walk_fail(err, "5.6.1", "the message has no text, PDF or image "
		    "content to fax");
	}
	g_object_unref(msg);
	g_ptr_array_free(w.scopes, TRUE);
	if (w.preface != NULL)
		g_string_free(w.preface, TRUE);
	g_free(w.prefix);
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
	for (i = 0; i < m->nparts; i++)
		mime_part_clear(&m->parts[i]);
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

size_t mime_offramp_nparts(const struct mime_offramp *m) { return m->nparts; }

const struct mime_part *
mime_offramp_part(const struct mime_offramp *m, size_t i)
{
	return i < m->nparts ? &m->parts[i] : NULL;
}

/* ---- the walk ----------------------------------------------------------- */

static int
walk_object(struct walk *w, GMimeObject *obj, int depth)
{
	GMimeMultipart *mp;
	char *type;
	int i, n, rc = 0;

	if (depth > MIME_OFFRAMP_MAX_DEPTH)
		return mime_walk_fail(w->err, "5.3.4", "multiparts are nested deeper "
		    "than %d levels", MIME_OFFRAMP_MAX_DEPTH);
	if (GMIME_IS_PART(obj))
		return mime_walk_leaf(w, GMIME_PART(obj));
	if (GMIME_IS_MESSAGE_PART(obj))
		return walk_message(w, GMIME_MESSAGE_PART(obj), depth);
	if (!GMIME_IS_MULTIPART(obj)) {
		/* message/partial and the like. */
		char *what;

		type = mime_object_type(obj);
		what = mime_part_name(type, NULL);
		g_free(type);
		mime_walk_fail(w->err, "5.6.1", "%s cannot be faxed; only text, HTML, "
		    "PDF, images (TIFF, PNG, JPEG, GIF, BMP) and office documents "
		    "can", what);
		g_free(what);
		return -1;
	}

	mp = GMIME_MULTIPART(obj);
	n = g_mime_multipart_get_count(mp);
	type = mime_object_type(obj);
	if (n == 0) {
		/* GMime finds no part when the boundary is missing or wrong. */
		mime_walk_fail(w->err, "5.6.1", "the %s part has no parts (missing or "
		    "wrong boundary)", type);
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
		rc = walk_object(w, g_mime_multipart_get_part(mp, 0), depth + 1);
		if (rc == 0 && n > 1) {
			GMimeObject *sig = g_mime_multipart_get_part(mp, 1);
			char *st = mime_object_type(sig);

			rc = mime_walk_skip(w, st, GMIME_IS_PART(sig) ?
			    g_mime_part_get_filename(GMIME_PART(sig)) : NULL, 0,
			    "a digital signature is not part of the document");
			g_free(st);
		}
		return rc;
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
 * a reader shows the last one it can. The gateway lays HTML out faithfully,
 * so it takes the last alternative it can fax (with prefer_text the
 * text/plain one first); when that one holds nothing (an empty HTML part
 * beside the text), the one before it. With none faxable, the last fails
 * with its own type.
 */
static int
walk_alternative(struct walk *w, GMimeMultipart *mp, int depth)
{
	int i, n = g_mime_multipart_get_count(mp), tried = 0, rc;

	if (w->opts != NULL && w->opts->prefer_text)
		for (i = 0; i < n; i++) {
			GMimeObject *o = g_mime_multipart_get_part(mp, i);
			char *type = mime_object_type(o);
			int plain = strcmp(type, "text/plain") == 0;
			size_t parts = w->m->nparts, content = w->content;

			g_free(type);
			if (!plain)
				continue;
			if ((rc = walk_object(w, o, depth + 1)) != 0 ||
			    w->content > content)
				return rc;
			parts_truncate(w, parts);
			break;
		}
	for (i = n - 1; i >= 0; i--) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		size_t parts = w->m->nparts, content = w->content;

		if (!object_is_faxable(o))
			continue;
		tried = 1;
		if ((rc = walk_object(w, o, depth + 1)) != 0 || w->content > content)
			return rc;
		/* Nothing in it: what it listed goes, the next one is tried. */
		parts_truncate(w, parts);
	}
	if (tried)
		return 0;
	return walk_object(w, g_mime_multipart_get_part(mp, n - 1), depth + 1);
}

/*
 * RFC 2387: the root (the "start" parameter's part, else the first) is the
 * content; the other parts are resources it refers to - the logo in an
 * Outlook signature, the pictures of an Apple Mail or Gmail message. The
 * images are read first, so that the first HTML part of the root takes
 * them and shows them where its <img> tags stand; when the root has no
 * HTML (a text/plain alternative was chosen), each image is a page of its
 * own after it. TIFF and PDF resources are documents a reader would open:
 * pages after the root. Anything else (style sheets, fonts) is listed as
 * not faxed.
 */
static int
walk_related(struct walk *w, GMimeMultipart *mp, int depth)
{
	int i, n = g_mime_multipart_get_count(mp), root = related_root(mp), rc = 0;
	struct walk_scope *sc = g_new0(struct walk_scope, 1);
	GPtrArray *docs = g_ptr_array_new(), *later = g_ptr_array_new();
	guint k;

	sc->res = g_ptr_array_new_with_free_func(mime_resource_free);
	g_ptr_array_add(w->scopes, sc);
	for (i = 0; i < n && rc == 0; i++) {
		GMimeObject *o = g_mime_multipart_get_part(mp, i);
		char *type;
		int kind;

		if (i == root)
			continue;
		if (!GMIME_IS_PART(o)) {
			/* A multipart or a message among the resources is
			 * content too: after the root. */
			g_ptr_array_add(docs, o);
			continue;
		}
		type = mime_object_type(o);
		kind = mime_leaf_kind(type, g_mime_part_get_filename(GMIME_PART(o)));
		g_free(type);
		if (kind != MIME_PART_IMAGE && kind != 0 && kind != MIME_PART_TEXT &&
		    kind != MIME_PART_HTML) {
			g_ptr_array_add(docs, o);
			continue;
		}
		if (++w->leaves > MIME_OFFRAMP_MAX_LEAVES) {
			rc = mime_walk_fail(w->err, "5.3.4", "the message has more than "
			    "%d parts", MIME_OFFRAMP_MAX_LEAVES);
			break;
		}
		/* Images are read now; what cannot be shown is listed after
		 * the root, in its place among the parts. */
		if (kind != MIME_PART_IMAGE ||
		    (rc = mime_walk_resource(w, GMIME_PART(o), sc)) == 1) {
			g_ptr_array_add(later, o);
			rc = 0;
		}
	}
	if (rc == 0)
		rc = walk_object(w, g_mime_multipart_get_part(mp, root), depth + 1);
	/* No HTML took the images: a page each. */
	for (k = 0; rc == 0 && !sc->taken && k < sc->res->len; k++)
		rc = mime_walk_resource_page(w, g_ptr_array_index(sc->res, k));
	for (k = 0; rc == 0 && k < docs->len; k++)
		rc = walk_object(w, g_ptr_array_index(docs, k), depth + 1);
	for (k = 0; rc == 0 && k < later->len; k++)
		rc = mime_walk_resource(w, GMIME_PART(g_ptr_array_index(later, k)), NULL);
	g_ptr_array_free(docs, TRUE);
	g_ptr_array_free(later, TRUE);
	g_ptr_array_remove(w->scopes, sc);
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

/*
 * A forwarded message (message/rfc822, as Thunderbird and Outlook forward
 * "as attachment"): its headers go above its first content on the fax,
 * its body is walked like a message's, its parts named as being in it.
 */
static int
walk_message(struct walk *w, GMimeMessagePart *mp, int depth)
{
	GMimeMessage *msg = g_mime_message_part_get_message(mp);
	GMimeObject *body = msg != NULL ? g_mime_message_get_mime_part(msg) : NULL;
	char *preface, *saved = w->prefix, *subject = NULL, *shown;
	int rc = 0;

	if (w->forwards >= MIME_OFFRAMP_MAX_FORWARDS)
		return mime_walk_fail(w->err, "5.3.4", "forwarded messages are nested "
		    "deeper than %d levels", MIME_OFFRAMP_MAX_FORWARDS);
	if (msg == NULL || body == NULL) {
		char *type = mime_object_type(GMIME_OBJECT(mp));

		rc = mime_walk_skip(w, type, NULL, 0, "the forwarded message is empty");
		g_free(type);
		return rc;
	}
	preface = forward_preface(msg);
	if (w->preface == NULL)
		w->preface = g_string_new(NULL);
	g_string_append(w->preface, preface);
	g_free(preface);
	if (g_mime_message_get_subject(msg) != NULL)
		subject = g_utf8_make_valid(g_mime_message_get_subject(msg), -1);
	shown = g_malloc(MIME_OFFRAMP_FORWARD_FIELD_MAX / 4);
	mime_text_fit(shown, MIME_OFFRAMP_FORWARD_FIELD_MAX / 4,
	    subject != NULL && *subject != '\0' ? subject : "(no subject)");
	g_strdelimit(shown, "\r\n\t\"", ' ');
	w->prefix = g_strdup_printf("the forwarded message \"%s\": ", shown);
	g_free(shown);
	g_free(subject);
	w->forwards++;
	if (body != NULL)
		rc = walk_object(w, body, depth + 1);
	w->forwards--;
	/* A forward with nothing to fax still shows what it was. */
	if (rc == 0 && w->preface != NULL)
		rc = mime_walk_preface(w);
	g_free(w->prefix);
	w->prefix = saved;
	return rc;
}

/* "---------- Forwarded message ----------" and From, To, Cc, Date,
 * Subject as a reader sees them (RFC 2047 decoded). Caller frees. */
static char *
forward_preface(GMimeMessage *msg)
{
	GString *s = g_string_new("---------- Forwarded message ----------\n");
	const char *date = g_mime_object_get_header(GMIME_OBJECT(msg), "Date");
	char *v;

	v = mime_addr_list_string(g_mime_message_get_from(msg));
	preface_field(s, "From", v);
	g_free(v);
	v = mime_addr_list_string(g_mime_message_get_to(msg));
	preface_field(s, "To", v);
	g_free(v);
	v = mime_addr_list_string(g_mime_message_get_cc(msg));
	preface_field(s, "Cc", v);
	g_free(v);
	preface_field(s, "Date", date);
	preface_field(s, "Subject", g_mime_message_get_subject(msg));
	g_string_append_c(s, '\n');
	return g_string_free(s, FALSE);
}

/* "Name: value\n" with the value on one line, valid UTF-8, fitted. */
static void
preface_field(GString *s, const char *name, const char *value)
{
	char *v, *fit;
	size_t n;

	if (value == NULL)
		return;
	v = mime_text_to_utf8(value, strlen(value), "utf-8", &n);
	g_strdelimit(v, "\n\t\f", ' ');
	g_strstrip(v);
	if (*v != '\0') {
		fit = g_malloc(MIME_OFFRAMP_FORWARD_FIELD_MAX);
		mime_text_fit(fit, MIME_OFFRAMP_FORWARD_FIELD_MAX, v);
		g_string_append_printf(s, "%s: %s\n", name, fit);
		g_free(fit);
	}
	g_free(v);
}

/* Drops the parts listed after the first n (an empty alternative's). */
static void
parts_truncate(struct walk *w, size_t n)
{
	while (w->m->nparts > n) {
		struct mime_part *p = &w->m->parts[--w->m->nparts];

		if (p->kind == MIME_PART_SKIPPED)
			w->skipped--;
		else
			w->content--;
		mime_part_clear(p);
	}
}

/* Can this subtree (as chosen inside an alternative) be faxed at all? */
static int
object_is_faxable(GMimeObject *obj)
{
	char *type;
	int ok;

	if (GMIME_IS_MULTIPART(obj) || GMIME_IS_MESSAGE_PART(obj))
		return 1;
	if (!GMIME_IS_PART(obj))
		return 0;
	type = mime_object_type(obj);
	ok = mime_leaf_kind(type, g_mime_part_get_filename(GMIME_PART(obj))) != 0;
	g_free(type);
	return ok;
}

static void
scope_free(gpointer p)
{
	struct walk_scope *sc = p;

	g_ptr_array_free(sc->res, TRUE);
	g_free(sc);
}
