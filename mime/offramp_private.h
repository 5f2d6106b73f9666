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

/* ---- the offramp parser (mime/offramp.c, offramp_leaf.c, offramp_facts.c) ---- */

struct mime_offramp {
	struct mime_part *parts;   /* owned, nparts entries */
	size_t nparts;
	char *from, *to, *subject, *date, *message_id;   /* owned, or NULL */
	char *dnt, *dnt_addr, *return_path, *headers;    /* owned, or NULL */
	int dnt_count;
	time_t date_time;
	int is_report;
};

/* The image resources of a multipart/related being walked, until an
 * HTML part of its root takes them. */
struct walk_scope {
	GPtrArray *res;       /* struct mime_resource * (owned, strings too) */
	int taken;            /* an HTML part has them */
};

/* The walk over the MIME tree; exists during one parse. */
struct walk {
	const struct mime_offramp_opts *opts;
	struct mime_offramp *m;
	struct mime_error *err;
	size_t leaves;        /* leaves looked at */
	size_t total_bytes;   /* decoded bytes delivered */
	size_t text_bytes;
	size_t content;       /* content parts (all but MIME_PART_SKIPPED) */
	size_t skipped;       /* MIME_PART_SKIPPED parts */
	size_t files;         /* res-N files written */
	unsigned forwards;    /* forwarded messages open */
	GString *preface;     /* headers owed to the next content (owned), or NULL */
	char *prefix;         /* label prefix inside a forward (owned), or NULL */
	GPtrArray *scopes;    /* struct walk_scope * (owned), innermost last */
};

/* offramp_leaf.c */
/* A leaf: decoded, checked and added as a part, or a failure. 0 or -1. */
int mime_walk_leaf(struct walk *w, GMimePart *part);
/* A resource of a multipart/related: an image goes into sc (decoded and
 * written): 0, or 1 when it is no image after all, -1 on failure. With sc
 * NULL the part is listed as not faxed. */
int mime_walk_resource(struct walk *w, GMimePart *part, struct walk_scope *sc);
/* An image resource no HTML took: a page of its own. 0 or -1. */
int mime_walk_resource_page(struct walk *w, const struct mime_resource *r);
/* The kind of a leaf by type, then file name; 0 when it cannot be faxed. */
int mime_leaf_kind(const char *type, const char *filename);
/* Lists a part that is not faxed (reason formatted). 0, or -1 when
 * memory for the list would run out (nothing is listed then). */
int mime_walk_skip(struct walk *w, const char *type, const char *filename,
    int lossy, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The pending preface as a text part of its own. 0 or -1. */
int mime_walk_preface(struct walk *w);
/* How a DSN names a part of type/filename here (the forward prefix
 * included). Caller frees. */
char *mime_walk_label(const struct walk *w, const char *type, const char *filename);
/* "type/subtype" in lower case (RFC 2045 5.2 defaults). Caller frees. */
char *mime_object_type(GMimeObject *obj);
/* Sets err once (the innermost cause wins); returns -1. */
int mime_walk_fail(struct mime_error *err, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void mime_part_clear(struct mime_part *p);
void mime_resource_free(gpointer r);

/* offramp_facts.c */
/* The header facts of msg into m (from, to, subject, date, ids, DNT). */
void mime_facts_extract(struct mime_offramp *m, GMimeMessage *msg);
/* "Name <addr>, ..." with RFC 2047 words decoded, or NULL when empty. */
char *mime_addr_list_string(InternetAddressList *list);

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
