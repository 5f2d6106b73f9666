/*
 * mime/offramp_private: what the files of mime/ share (the offramp parser,
 * the report builders, the onramp message). Not for use outside this
 * folder.
 */
#ifndef T37_MIME_OFFRAMP_PRIVATE_H
#define T37_MIME_OFFRAMP_PRIVATE_H

#include <stddef.h>
#include <time.h>

#include <gmime/gmime.h>

/* Initializes GMime once per process (thread-safe, idempotent): the one
 * place that does. */
void mime_gmime_init(void);

/*
 * The header block of the message file at path as received: LF ends,
 * 8-bit octets as '?', at most MIME_OFFRAMP_MAX_HEADERS bytes, cut at a
 * line end. Caller frees (g_free); NULL when the file cannot be read.
 */
char *mime_headers_raw(const char *path);

/* Longest charset name taken from an HTML <meta>. */
#define MIME_META_CHARSET_MAX 40
/*
 * The charset an HTML document declares in its first 1024 bytes
 * (<meta charset="x"> or <meta http-equiv content="...; charset=x">),
 * copied to out. 0, or -1 when there is none.
 */
int mime_html_meta_charset(const char *html, size_t len, char *out, size_t size);

/* ---- report plumbing (mime/report.c) ---- */

/* A new message From/To/Subject/Date/Message-ID/Auto-Submitted with a
 * multipart/report body of report_type; *mp is the body (owned by the
 * message). Caller unrefs the message. */
GMimeMessage *mime_report_new(const char *from_name, const char *from_addr,
    const char *to, const char *subject, time_t now, const char *report_type,
    GMimeMultipart **mp);
/* A text/plain; charset=utf-8 part (7bit, or quoted-printable if needed). */
GMimeObject *mime_report_text(const char *text);
/* A part of type/subtype with 7-bit content as given. */
GMimeObject *mime_report_7bit(const char *type, const char *subtype,
    const char *content);
/* The message as bytes, LF or CRLF ends. Caller frees (g_free). */
char *mime_report_serialize(GMimeMessage *msg, int crlf, size_t *len);
/*
 * Appends "Name: value\n" with value reduced to printable ASCII (others
 * become '?', CR/LF/TAB a space), fitted between words (mime_text_fit) to
 * a whole diagnostic, and folded at spaces before column 78.
 */
void mime_report_field(GString *s, const char *name, const char *value);
/* RFC 5322 date-time in UTC ("Mon, 23 Nov 2026 14:05:00 +0000"). */
const char *mime_report_date(time_t t, char *buf, size_t size);

#endif
