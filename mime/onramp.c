/*
 * mime/onramp: builds the e-mail that carries a received fax (RFC 3965
 * simple mode, Cisco T.37 look) with GMime, and the wrapper that hands an
 * undeliverable one to the postmaster.
 *
 * The message: Received (the calling station, this gateway, the call id),
 * Date, From, To, Subject (Cisco's "Incoming Fax[DNIS=..][ANI=..]" form
 * when asked), Message-ID, MIME-Version, Message-Context: fax-message
 * (RFC 3458), Disposition-Notification-To when an MDN is wanted, X-Fax-*
 * trace headers; a multipart/mixed (or Cisco's multipart/fax-message) body
 * with a short text/plain summary and the TIFF as image/tiff;
 * application=faxbw in base64 (RFC 2045 6.8: 76-char lines). On request
 * the fax goes as application/pdf instead of or after the TIFF, and the
 * summary gets an HTML alternative showing page 1 (RFC 2046 5.1.4
 * multipart/alternative, RFC 2387 multipart/related, RFC 2392 cid: URL).
 *
 * Not here: routing, policy (success-fax-only, which address), spooling or
 * fsync (gateway/ decides and the spool makes files durable).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

#define ONRAMP_NUMBER_MAX   32          /* digits kept from a phone number */
#define ONRAMP_TEXT_MAX     1024        /* the text/plain summary */
#define ONRAMP_RECEIVED_MAX 1024        /* the Received: value before folding */
#define MIME_LINE_SOFT_MAX  78          /* RFC 5322 2.1.1 SHOULD */

static void onramp_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void onramp_number(const char *in, char *out, size_t size);
static void onramp_csi(const char *in, char *out, size_t size);
static void onramp_comment_text(const char *in, char *out, size_t size);
static void onramp_atom(const char *in, char *out, size_t size);
static void onramp_filename(const struct mime_onramp_info *info, char *out, size_t size);
static void onramp_summary(const struct mime_onramp_info *info, const char *ani,
    const char *csi, char *out, size_t size);
static int onramp_check(const struct mime_onramp_info *info, char *err, size_t errlen);
static GMimeObject *onramp_text_part(const char *text);
static GMimeObject *onramp_tiff_part(const char *path, const char *filename,
    char *err, size_t errlen);
static GMimeObject *onramp_mem_part(const char *type, const char *subtype,
    const void *data, size_t len);
static GMimeObject *onramp_pdf_part(const struct mime_onramp_info *info,
    const char *tiff_name);
static GMimeObject *onramp_summary_parts(const struct mime_onramp_info *info,
    const char *text, const char *job);
static long onramp_write_message(GMimeMessage *msg, int fd, char *err, size_t errlen);
static void onramp_fold(const char *name, const char *value, char *out, size_t size);
static void onramp_set_folded(GMimeObject *obj, const char *name, const char *value);

static void
onramp_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* A telephone number from the line side (peer data): keeps the characters
 * a dialable number or a SIP user part may hold, drops the rest. */
static void
onramp_number(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (; in != NULL && *in != '\0' && o + 1 < size && o < ONRAMP_NUMBER_MAX; in++) {
		char c = *in;
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || c == '+' || c == '*' || c == '#')
			out[o++] = c;
	}
	out[o] = '\0';
}

/*
 * The remote CSI/TSI (T.30 peer data): T.30 allows 20 characters of
 * digits, '+' and space, but machines send anything. Control bytes become
 * spaces, bytes that are not valid UTF-8 are read as Latin-1, runs of
 * spaces collapse, ends are trimmed. The result is valid UTF-8 (GMime
 * encodes it per RFC 2047 where it lands in a header).
 */
static void
onramp_csi(const char *in, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)(in ? in : "");
	size_t o = 0, chars = 0;
	int space = 1;          /* drop leading spaces */

	if (size == 0)
		return;
	while (*p != '\0' && chars < MIME_ONRAMP_CSI_MAX) {
		unsigned char c = *p;
		size_t n = 1, k;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			if (!space && o + 1 < size) {
				out[o++] = ' ';
				chars++;
			}
			space = 1;
			p++;
			continue;
		}
		if (c >= 0x80) {
			if ((c & 0xe0) == 0xc0 && c >= 0xc2)
				n = 2;
			else if ((c & 0xf0) == 0xe0)
				n = 3;
			else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
				n = 4;
			else
				n = 0;
			for (k = 1; n != 0 && k < n; k++)
				if ((p[k] & 0xc0) != 0x80)
					n = 0;
			if (n == 0) {   /* Latin-1 byte -> 2-byte UTF-8 */
				if (o + 3 > size)
					break;
				out[o++] = (char)(0xc0 | (c >> 6));
				out[o++] = (char)(0x80 | (c & 0x3f));
				p++;
				chars++;
				space = 0;
				continue;
			}
		}
		if (o + n + 1 > size)
			break;
		memcpy(out + o, p, n);
		o += n;
		p += n;
		chars++;
		space = 0;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* Text safe inside an RFC 5322 comment in ASCII: no parentheses, backslash,
 * control or 8-bit bytes (those become '?'). */
static void
onramp_comment_text(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (; in != NULL && *in != '\0' && o + 1 < size; in++) {
		unsigned char c = (unsigned char)*in;
		if (c < 0x20 || c >= 0x7f)
			out[o++] = '?';
		else if (c == '(' || c == ')' || c == '\\' || c == '"')
			out[o++] = ' ';
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* An RFC 5322 atom for ids: letters, digits, '-', '_', '.'. */
static void
onramp_atom(const char *in, char *out, size_t size)
{
	size_t o = 0;

	if (size == 0)
		return;
	for (; in != NULL && *in != '\0' && o + 1 < size && o < 64; in++) {
		char c = *in;
		if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c == '.')
			out[o++] = c;
	}
	if (o == 0 && size > 1)
		out[o++] = 'x';
	out[o] = '\0';
}

/* The attachment name: configured (sanitized to a safe file name) or the
 * default, with "-YYYYmmdd-HHMMSS" before the extension when asked. */
static void
onramp_filename(const struct mime_onramp_info *info, char *out, size_t size)
{
	char base[MIME_ONRAMP_FIELD_MAX], stamp[32];
	const char *in = info->filename && *info->filename ? info->filename
	    : MIME_ONRAMP_DEFAULT_FILENAME;
	char *dot;
	size_t o = 0;
	struct tm tm;

	for (; *in != '\0' && o + 1 < sizeof(base); in++) {
		char c = *in;
		int ok = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c == '.';
		base[o++] = ok ? c : '_';
	}
	base[o] = '\0';
	if (o == 0 || base[0] == '.')
		snprintf(base, sizeof(base), "%s", MIME_ONRAMP_DEFAULT_FILENAME);
	if (!info->filename_date) {
		snprintf(out, size, "%s", base);
		return;
	}
	localtime_r(&info->received, &tm);
	strftime(stamp, sizeof(stamp), "-%Y%m%d-%H%M%S", &tm);
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base) {
		*dot = '\0';
		snprintf(out, size, "%s%s.%s", base, stamp, dot + 1);
	} else {
		snprintf(out, size, "%s%s", base, stamp);
	}
}

/* The text/plain part: what arrived, from whom, how, and (partial faxes)
 * what went wrong, in plain words. */
static void
onramp_summary(const struct mime_onramp_info *info, const char *ani,
    const char *csi, char *out, size_t size)
{
	char from[64], csitext[MIME_ONRAMP_CSI_MAX * 4 + 16] = "", when[32];
	char dnis[ONRAMP_NUMBER_MAX + 1], rdnis[ONRAMP_NUMBER_MAX + 1];
	struct tm tm;
	int n = 0;

	if (*ani != '\0')
		mime_number_pretty(ani, from, sizeof(from));
	else
		snprintf(from, sizeof(from), "an unknown number");
	if (*csi != '\0')
		snprintf(csitext, sizeof(csitext), " (CSI %s)", csi);
	localtime_r(&info->received, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	onramp_number(info->dnis, dnis, sizeof(dnis));
	onramp_number(info->rdnis, rdnis, sizeof(rdnis));

	if (info->result == MIME_ONRAMP_PARTIAL)
		n += snprintf(out + n, size - n,
		    "PARTIAL FAX: the call ended before the whole fax was "
		    "received (%s). The pages that arrived are attached.\n\n",
		    info->reason && *info->reason ? info->reason : "reason unknown");
	if ((size_t)n < size)
		n += snprintf(out + n, size - n,
		    "%u page%s from %s%s received %s at %u bit/s %s ECM, %u s.\n",
		    info->pages, info->pages == 1 ? "" : "s", from, csitext, when,
		    info->rate, info->ecm ? "with" : "without", info->duration);
	if ((size_t)n < size && *dnis != '\0')
		n += snprintf(out + n, size - n, "Called number: %s\n", dnis);
	if ((size_t)n < size && *rdnis != '\0')
		snprintf(out + n, size - n, "Redirected from: %s\n", rdnis);
}

void
mime_onramp_subject(const struct mime_onramp_info *info, char *out, size_t size)
{
	char ani[ONRAMP_NUMBER_MAX + 1], dnis[ONRAMP_NUMBER_MAX + 1];
	const char *subj = info->subject && *info->subject ? info->subject
	    : MIME_ONRAMP_DEFAULT_SUBJECT;

	onramp_number(info->ani, ani, sizeof(ani));
	onramp_number(info->dnis, dnis, sizeof(dnis));
	switch (info->with_subject) {
	case MIME_WITH_SUBJECT_DNIS:
		snprintf(out, size, "%s[DNIS=%s]", subj, dnis);
		break;
	case MIME_WITH_SUBJECT_ANI:
		snprintf(out, size, "%s[ANI=%s]", subj, ani);
		break;
	case MIME_WITH_SUBJECT_BOTH:
		snprintf(out, size, "%s[DNIS=%s][ANI=%s]", subj, dnis, ani);
		break;
	default:
		snprintf(out, size, "%s", subj);
		break;
	}
}

static int
onramp_check(const struct mime_onramp_info *info, char *err, size_t errlen)
{
	struct stat st;

	if (info->pages == 0) {
		onramp_err(err, errlen, "no page was received: nothing to mail");
		return -1;
	}
	if (info->pages > MIME_ONRAMP_PAGES_MAX) {
		onramp_err(err, errlen, "page count %u over the limit of %u",
		    info->pages, MIME_ONRAMP_PAGES_MAX);
		return -1;
	}
	if (info->hostname == NULL || *info->hostname == '\0' ||
	    strlen(info->hostname) >= MIME_ONRAMP_FIELD_MAX) {
		onramp_err(err, errlen, "missing or overlong gateway hostname");
		return -1;
	}
	if (info->call_id == NULL || *info->call_id == '\0') {
		onramp_err(err, errlen, "missing call id");
		return -1;
	}
	if (info->to == NULL || strchr(info->to, '@') == NULL ||
	    strlen(info->to) >= MIME_ONRAMP_FIELD_MAX) {
		onramp_err(err, errlen, "missing or invalid target address");
		return -1;
	}
	if (info->attach != MIME_ONRAMP_ATTACH_TIFF && (info->pdf == NULL ||
	    info->pdf_len < 5 || memcmp(info->pdf, "%PDF-", 5) != 0)) {
		onramp_err(err, errlen, "no PDF to attach");
		return -1;
	}
	if (info->tiff_path == NULL || stat(info->tiff_path, &st) != 0) {
		onramp_err(err, errlen, "fax image %s: %s",
		    info->tiff_path ? info->tiff_path : "(none)",
		    info->tiff_path ? strerror(errno) : "no path given");
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size < 8) {
		onramp_err(err, errlen, "fax image %s: not a TIFF file",
		    info->tiff_path);
		return -1;
	}
	return 0;
}

/*
 * RFC 5322 2.2.3 folding of an ASCII unstructured-looking value at spaces
 * (legal inside comments too), so lines stay within 78 characters where a
 * space allows. Writes GMime's raw form: " value\n more\n".
 */
static void
onramp_fold(const char *name, const char *value, char *out, size_t size)
{
	size_t col = strlen(name) + 1, o = 0;
	const char *p = value;

	while (*p != '\0' && o + 4 < size) {
		const char *sp = strchr(p, ' ');
		size_t wlen = sp ? (size_t)(sp - p) : strlen(p);

		if (col + 1 + wlen > MIME_LINE_SOFT_MAX && col > strlen(name) + 1) {
			out[o++] = '\n';   /* unfolds to the one space it replaced */
			out[o++] = ' ';
			col = 1;
		} else {
			out[o++] = ' ';
			col++;
		}
		if (o + wlen + 2 >= size)
			wlen = size - o - 2;
		memcpy(out + o, p, wlen);
		o += wlen;
		col += wlen;
		p += wlen;
		while (*p == ' ')
			p++;
	}
	out[o++] = '\n';
	out[o] = '\0';
}

/* Sets header name to value, folded by onramp_fold() rather than GMime's
 * formatter (which does not fold inside comments). */
static void
onramp_set_folded(GMimeObject *obj, const char *name, const char *value)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h;
	char raw[ONRAMP_RECEIVED_MAX * 2];

	g_mime_header_list_prepend(hl, name, value, NULL);
	h = g_mime_header_list_get_header(hl, name);
	onramp_fold(name, value, raw, sizeof(raw));
	g_mime_header_set_raw_value(h, raw);
}

static GMimeObject *
onramp_text_part(const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	GMimeContentEncoding enc;

	g_mime_text_part_set_text(tp, text);
	/* 7-bit clean message: no 8BITMIME needed anywhere (RFC 6152). */
	enc = g_mime_part_get_best_content_encoding(GMIME_PART(tp),
	    GMIME_ENCODING_CONSTRAINT_7BIT);
	g_mime_part_set_content_encoding(GMIME_PART(tp), enc);
	return GMIME_OBJECT(tp);
}

static GMimeObject *
onramp_tiff_part(const char *path, const char *filename, char *err, size_t errlen)
{
	GMimePart *part;
	GMimeStream *st;
	GMimeDataWrapper *dw;
	GError *gerr = NULL;

	st = g_mime_stream_fs_open(path, O_RDONLY, 0, &gerr);
	if (st == NULL) {
		onramp_err(err, errlen, "fax image %s: %s", path,
		    gerr ? gerr->message : "cannot open");
		g_clear_error(&gerr);
		return NULL;
	}
	part = g_mime_part_new_with_type("image", "tiff");
	dw = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
	g_object_unref(st);
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_mime_part_set_filename(part, filename);   /* name= and filename= */
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(part),
	    "application", "faxbw");                /* RFC 2301 / VPIM */
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

/* A leaf of type/subtype holding a copy of data, base64. */
static GMimeObject *
onramp_mem_part(const char *type, const char *subtype, const void *data,
    size_t len)
{
	GMimePart *part = g_mime_part_new_with_type(type, subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);

	g_object_unref(st);
	g_mime_part_set_content(part, dw);
	g_object_unref(dw);
	g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
	return GMIME_OBJECT(part);
}

/* The PDF, named like the TIFF ("fax.tif" -> "fax.pdf"). */
static GMimeObject *
onramp_pdf_part(const struct mime_onramp_info *info, const char *tiff_name)
{
	GMimeObject *pdf = onramp_mem_part("application", "pdf", info->pdf,
	    info->pdf_len);
	char name[MIME_ONRAMP_FIELD_MAX + 32];
	char *dot;

	snprintf(name, sizeof(name), "%s", tiff_name);
	if ((dot = strrchr(name, '.')) != NULL && dot != name)
		*dot = '\0';
	g_strlcat(name, ".pdf", sizeof(name));
	g_mime_part_set_filename(GMIME_PART(pdf), name);
	return pdf;
}

/*
 * The summary: the text/plain part alone, or with a preview the
 * alternative of that text and an HTML version showing page 1:
 *   multipart/alternative
 *     text/plain
 *     multipart/related; type="text/html"
 *       text/html          <img src="cid:...">
 *       image/png          Content-ID, inline
 */
static GMimeObject *
onramp_summary_parts(const struct mime_onramp_info *info, const char *text,
    const char *job)
{
	GMimeMultipart *alt, *rel;
	GMimeObject *plain = onramp_text_part(text), *html, *png;
	GMimeTextPart *hp;
	GMimeContentEncoding enc;
	char cid[MIME_ONRAMP_FIELD_MAX + 96], *esc, *doc;

	if (info->preview_png == NULL || info->preview_len == 0)
		return plain;
	snprintf(cid, sizeof(cid), "page1.%s.%lld@%s", job,
	    (long long)info->received, info->hostname);
	esc = g_markup_escape_text(text, -1);
	doc = g_strdup_printf("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Fax</title></head>\n<body>\n<pre style=\"font-family: sans-serif; "
	    "white-space: pre-wrap\">%s</pre>\n<p><img src=\"cid:%s\" alt=\"Page 1 "
	    "of the fax\" style=\"border: 1px solid #888; max-width: 100%%\"></p>\n"
	    "</body></html>\n", esc, cid);
	g_free(esc);
	hp = g_mime_text_part_new_with_subtype("html");
	g_mime_text_part_set_text(hp, doc);
	g_free(doc);
	enc = g_mime_part_get_best_content_encoding(GMIME_PART(hp),
	    GMIME_ENCODING_CONSTRAINT_7BIT);
	g_mime_part_set_content_encoding(GMIME_PART(hp), enc);
	html = GMIME_OBJECT(hp);

	png = onramp_mem_part("image", "png", info->preview_png,
	    info->preview_len);
	g_mime_part_set_filename(GMIME_PART(png), "page1.png");
	g_mime_object_set_disposition(png, GMIME_DISPOSITION_INLINE);
	g_mime_object_set_content_id(png, cid);

	rel = g_mime_multipart_new_with_subtype("related");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(rel), "type",
	    "text/html");                           /* RFC 2387 3.1 */
	g_mime_multipart_add(rel, html);
	g_mime_multipart_add(rel, png);
	g_object_unref(html);
	g_object_unref(png);

	alt = g_mime_multipart_new_with_subtype("alternative");
	g_mime_multipart_add(alt, plain);
	g_mime_multipart_add(alt, GMIME_OBJECT(rel));
	g_object_unref(plain);
	g_object_unref(rel);
	return GMIME_OBJECT(alt);
}

static long
onramp_write_message(GMimeMessage *msg, int fd, char *err, size_t errlen)
{
	GMimeStream *st = g_mime_stream_fs_new(fd);
	GMimeFormatOptions *fo = g_mime_format_options_new();
	ssize_t n;

	g_mime_stream_fs_set_owner(GMIME_STREAM_FS(st), FALSE);
	g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_UNIX);
	n = g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, st);
	if (n >= 0 && g_mime_stream_flush(st) != 0)
		n = -1;
	g_mime_format_options_free(fo);
	g_object_unref(st);
	if (n < 0) {
		onramp_err(err, errlen, "writing the message: %s",
		    errno ? strerror(errno) : "I/O error");
		return -1;
	}
	return (long)n;
}

long
mime_onramp_write(const struct mime_onramp_info *info, int fd, char *err,
    size_t errlen)
{
	char ani[ONRAMP_NUMBER_MAX + 1], csi[MIME_ONRAMP_CSI_MAX * 4 + 1];
	char csi_c[sizeof(csi)], origin[MIME_ONRAMP_FIELD_MAX];
	char id[80], job[80], buf[ONRAMP_RECEIVED_MAX], subject[2 * MIME_ONRAMP_FIELD_MAX];
	char from_addr[MIME_ONRAMP_FIELD_MAX + 80], datestr[64];
	char text[ONRAMP_TEXT_MAX], fname[MIME_ONRAMP_FIELD_MAX + 32];
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimeObject *tiff, *txt;
	GDateTime *dt;
	struct tm tm;
	long n;

	mime_gmime_init();
	if (onramp_check(info, err, errlen) != 0)
		return -1;
	onramp_number(info->ani, ani, sizeof(ani));
	onramp_csi(info->remote_csi, csi, sizeof(csi));
	onramp_comment_text(csi, csi_c, sizeof(csi_c));
	onramp_comment_text(info->origin_prefix, origin, sizeof(origin));
	onramp_atom(info->call_id, id, sizeof(id));
	onramp_atom(info->job_id ? info->job_id : info->call_id, job, sizeof(job));
	onramp_filename(info, fname, sizeof(fname));

	tiff = onramp_tiff_part(info->tiff_path, fname, err, errlen);
	if (tiff == NULL)
		return -1;

	msg = g_mime_message_new(FALSE);

	/* RFC 5321 3.7.2: a gateway prepends a Received: line. */
	localtime_r(&info->received, &tm);
	strftime(datestr, sizeof(datestr), "%a, %d %b %Y %H:%M:%S %z", &tm);
	snprintf(buf, sizeof(buf),
	    "from fax (ANI %s%s%s) by %s (%s) with T.37 id %s for <%s>; %s",
	    *ani ? ani : "unknown", *csi_c ? " CSI " : "", csi_c,
	    info->hostname, *origin ? origin : "t37gw", id, info->to, datestr);
	onramp_set_folded(GMIME_OBJECT(msg), "Received", buf);

	dt = g_date_time_new_from_unix_local((gint64)info->received);
	g_mime_message_set_date(msg, dt);
	g_date_time_unref(dt);

	if (info->from != NULL && *info->from != '\0') {
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, NULL, info->from);
	} else {
		snprintf(from_addr, sizeof(from_addr), "FAX=%s%s@%s",
		    *ani && ani[0] != '+' ? "+" : "", *ani ? ani : "anonymous",
		    info->hostname);
		g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM,
		    *csi ? csi : (*ani ? ani : "Fax"), from_addr);
	}
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO,
	    info->to_name && *info->to_name ? info->to_name : NULL, info->to);
	mime_onramp_subject(info, subject, sizeof(subject));
	g_mime_message_set_subject(msg, subject, "utf-8");
	snprintf(buf, sizeof(buf), "%s.%lld@%s", job, (long long)info->received,
	    info->hostname);
	g_mime_message_set_message_id(msg, buf);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Message-Context",
	    "fax-message", NULL);                   /* RFC 3458 */
	if (info->return_receipt_to != NULL && *info->return_receipt_to != '\0')
		g_mime_object_set_header(GMIME_OBJECT(msg),
		    "Disposition-Notification-To", info->return_receipt_to, NULL);

	snprintf(buf, sizeof(buf), "%u", info->pages);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Fax-Pages", buf, NULL);
	snprintf(buf, sizeof(buf), "%u", info->rate);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Fax-Rate", buf, NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Fax-ECM",
	    info->ecm ? "yes" : "no", NULL);
	if (*csi != '\0')
		g_mime_object_set_header(GMIME_OBJECT(msg), "X-Fax-CSI", csi, "utf-8");
	snprintf(buf, sizeof(buf), "%u", info->duration);
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Fax-Duration", buf, NULL);
	if (info->result == MIME_ONRAMP_PARTIAL) {
		char reason[MIME_ONRAMP_FIELD_MAX];
		onramp_comment_text(info->reason && *info->reason ? info->reason
		    : "reason unknown", reason, sizeof(reason));
		snprintf(buf, sizeof(buf), "partial; %s", reason);
	} else {
		snprintf(buf, sizeof(buf), "ok");
	}
	g_mime_object_set_header(GMIME_OBJECT(msg), "X-Fax-Result", buf, NULL);

	mp = g_mime_multipart_new_with_subtype(
	    info->mode == MIME_ONRAMP_FAX_MESSAGE ? "fax-message" : "mixed");
	onramp_summary(info, ani, csi, text, sizeof(text));
	txt = onramp_summary_parts(info, text, job);
	g_mime_multipart_add(mp, txt);
	g_object_unref(txt);
	if (info->attach != MIME_ONRAMP_ATTACH_PDF)
		g_mime_multipart_add(mp, tiff);
	g_object_unref(tiff);
	if (info->attach != MIME_ONRAMP_ATTACH_TIFF) {
		GMimeObject *pdf = onramp_pdf_part(info, fname);

		g_mime_multipart_add(mp, pdf);
		g_object_unref(pdf);
	}
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));
	g_object_unref(mp);

	n = onramp_write_message(msg, fd, err, errlen);
	g_object_unref(msg);
	return n;
}

long
mime_onramp_bounce_write(const struct mime_onramp_bounce *b, int fd, char *err,
    size_t errlen)
{
	char text[ONRAMP_TEXT_MAX], addr[MIME_ONRAMP_FIELD_MAX + 32], rcpt[MIME_ONRAMP_FIELD_MAX];
	char job[80];
	GMimeMessage *msg, *orig;
	GMimeMessagePart *mpart;
	GMimeMultipart *mp;
	GMimeObject *txt;
	GMimeParser *parser;
	GMimeStream *st;
	GDateTime *dt;
	GError *gerr = NULL;
	long n;

	mime_gmime_init();
	if (b->hostname == NULL || b->job_id == NULL || b->postmaster == NULL ||
	    strchr(b->postmaster, '@') == NULL || b->reason == NULL ||
	    b->msg_path == NULL) {
		onramp_err(err, errlen, "bounce: missing hostname, job, postmaster, reason or message");
		return -1;
	}
	st = g_mime_stream_fs_open(b->msg_path, O_RDONLY, 0, &gerr);
	if (st == NULL) {
		onramp_err(err, errlen, "bounce: %s: %s", b->msg_path,
		    gerr ? gerr->message : "cannot open");
		g_clear_error(&gerr);
		return -1;
	}
	parser = g_mime_parser_new_with_stream(st);
	g_object_unref(st);
	orig = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	if (orig == NULL) {
		onramp_err(err, errlen, "bounce: %s: not a message", b->msg_path);
		return -1;
	}

	onramp_atom(b->job_id, job, sizeof(job));
	onramp_comment_text(b->rcpt ? b->rcpt : "", rcpt, sizeof(rcpt));
	msg = g_mime_message_new(TRUE);
	dt = g_date_time_new_from_unix_local((gint64)b->when);
	g_mime_message_set_date(msg, dt);
	g_date_time_unref(dt);
	snprintf(addr, sizeof(addr), "MAILER-DAEMON@%s", b->hostname);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, "Fax Gateway", addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, b->postmaster);
	snprintf(text, sizeof(text), "Undeliverable fax (job %s)", job);
	g_mime_message_set_subject(msg, text, NULL);
	snprintf(addr, sizeof(addr), "%s.bounce.%lld@%s", job, (long long)b->when,
	    b->hostname);
	g_mime_message_set_message_id(msg, addr);
	g_mime_object_set_header(GMIME_OBJECT(msg), "MIME-Version", "1.0", NULL);
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted",
	    "auto-generated", NULL);                /* RFC 3834 */

	snprintf(text, sizeof(text),
	    "The gateway %s could not deliver a received fax.\n\n"
	    "Job: %s\nRecipient: %s\nReason: %s\n\n"
	    "The undelivered message, with the fax, is attached.\n",
	    b->hostname, job, *rcpt ? rcpt : "(none)", b->reason);
	mp = g_mime_multipart_new_with_subtype("mixed");
	txt = onramp_text_part(text);
	g_mime_multipart_add(mp, txt);
	g_object_unref(txt);
	mpart = g_mime_message_part_new_with_message("rfc822", orig);
	g_object_unref(orig);
	g_mime_multipart_add(mp, GMIME_OBJECT(mpart));
	g_object_unref(mpart);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(mp));
	g_object_unref(mp);

	n = onramp_write_message(msg, fd, err, errlen);
	g_object_unref(msg);
	return n;
}
