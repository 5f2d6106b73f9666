/*
 * mime/: building onramp messages and DSN/MDN reports, and parsing
 * offramp mail, with GMime. No I/O beyond the files it is given and no
 * policy: gateway/ decides what to build and where it goes.
 */
#ifndef T37_MIME_H
#define T37_MIME_H

/* ---- onramp message (mime/onramp*.c) ---------------------------------- */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Limits on the plain data a message is built from (checked, not trusted). */
#define MIME_ONRAMP_FIELD_MAX   256     /* any one text field (addresses, names) */
#define MIME_ONRAMP_CSI_MAX     64      /* a T.30 CSI/TSI is 20 chars; be lenient */
#define MIME_ONRAMP_PAGES_MAX   10000   /* sanity bound on a page count */
#define MIME_ONRAMP_ERR_MAX     256     /* size of an err buffer that always fits */
#define MIME_ONRAMP_DEFAULT_SUBJECT  "Incoming Fax"
#define MIME_ONRAMP_DEFAULT_FILENAME "fax.tif"

enum mime_onramp_result {
	MIME_ONRAMP_OK = 0,             /* every page confirmed */
	MIME_ONRAMP_PARTIAL,            /* call ended early; `reason` says why */
};

/* What `mta send with-subject` appends to the Subject. */
enum mime_with_subject {
	MIME_WITH_SUBJECT_NONE = 0,
	MIME_WITH_SUBJECT_DNIS,         /* "[DNIS=9913170]" */
	MIME_WITH_SUBJECT_ANI,          /* "[ANI=9194724118]" */
	MIME_WITH_SUBJECT_BOTH,         /* "[DNIS=9913170][ANI=9194724118]" (Cisco) */
};

enum mime_onramp_mode {
	MIME_ONRAMP_MIXED = 0,          /* multipart/mixed (default) */
	MIME_ONRAMP_FAX_MESSAGE,        /* multipart/fax-message (Cisco's form) */
};

/* What carries the fax (`mta send attachment`). */
enum mime_onramp_attach {
	MIME_ONRAMP_ATTACH_TIFF = 0,    /* image/tiff: RFC 3965 simple mode */
	MIME_ONRAMP_ATTACH_PDF,         /* application/pdf only */
	MIME_ONRAMP_ATTACH_BOTH,        /* the TIFF, then the PDF */
};

/*
 * Everything an onramp message says, as plain data (all strings borrowed
 * for the duration of the call; NULL or "" means absent unless noted).
 * Peer data (remote_csi, numbers) is sanitized by the builder.
 */
struct mime_onramp_info {
	const char *hostname;           /* required: the gateway's FQDN */
	const char *call_id;            /* required: id in Received: and logs */
	const char *job_id;             /* Message-ID left part; call_id when NULL */
	const char *ani;                /* calling number */
	const char *dnis;               /* called number */
	const char *rdnis;              /* redirecting number */
	const char *remote_csi;         /* the sender's TSI (T.30 peer data) */
	unsigned pages;                 /* pages received; 0 is refused */
	unsigned rate;                  /* bit/s */
	bool ecm;
	unsigned duration;              /* seconds */
	enum mime_onramp_result result;
	const char *reason;             /* plain-language failure for PARTIAL */
	time_t received;                /* end of the call: Date: and the text */
	const char *to;                 /* required: the target address */
	const char *to_name;            /* To: display name; NULL: none */
	const char *from;               /* header From: address; NULL: the
					 * fax form "<TSI or ANI>" <FAX=+ANI@hostname> */
	const char *subject;            /* NULL: MIME_ONRAMP_DEFAULT_SUBJECT */
	enum mime_with_subject with_subject;
	const char *filename;           /* NULL: MIME_ONRAMP_DEFAULT_FILENAME */
	bool filename_date;             /* "fax-20261123-1405.tif" */
	enum mime_onramp_mode mode;
	const char *return_receipt_to;  /* Disposition-Notification-To; NULL: none */
	const char *origin_prefix;      /* comment in Received:; NULL: "t37gw" */
	const char *tiff_path;          /* required: the multi-page TIFF */
	enum mime_onramp_attach attach;
	const void *pdf;                /* the fax as PDF (fax_tiff_to_pdf), borrowed;
	                                 * required for _PDF and _BOTH */
	size_t pdf_len;
	const void *preview_png;        /* page 1 as a PNG, borrowed; NULL: no
	                                 * HTML alternative */
	size_t preview_len;
};

/*
 * Builds the onramp message (RFC 3965 simple mode: headers, a text/plain
 * summary, the TIFF as image/tiff base64) and writes it to fd, LF line
 * ends, 7-bit clean (the SMTP client turns it into CRLF). With attach PDF
 * the fax goes as application/pdf instead of the TIFF, with BOTH as both
 * (TIFF first); the PDF is named like the TIFF with ".pdf". With a preview
 * the summary becomes a multipart/alternative of the text and a
 * multipart/related HTML version that shows page 1 (image/png, inline,
 * referenced by Content-ID). Returns the number of bytes written, or -1
 * with a specific message in err (errlen >= MIME_ONRAMP_ERR_MAX always
 * fits): 0 pages, missing required field or PDF, unreadable TIFF, write
 * failure. Does not fsync: the spool does.
 */
long mime_onramp_write(const struct mime_onramp_info *info, int fd,
    char *err, size_t errlen);

/* The Subject mime_onramp_write() puts on a message, into out (NUL-terminated,
 * cut to size). Exposed for logs and tests. */
void mime_onramp_subject(const struct mime_onramp_info *info, char *out, size_t size);

/*
 * The wrapper sent to the postmaster when a message cannot be delivered
 * (5xx or give-up): a multipart/mixed with a text/plain part stating the
 * job, the recipient and the reason, and the undelivered message attached
 * whole as message/rfc822 (the fax is never dropped). Written to fd.
 * Returns bytes written or -1 with err.
 */
struct mime_onramp_bounce {
	const char *hostname;           /* required */
	const char *job_id;             /* required */
	const char *postmaster;         /* required: To: */
	const char *rcpt;               /* the address that failed */
	const char *reason;             /* required: the last error (server reply) */
	time_t when;
	const char *msg_path;           /* required: the undelivered message */
};
long mime_onramp_bounce_write(const struct mime_onramp_bounce *b, int fd,
    char *err, size_t errlen);

/* ---- offramp parsing and reports (mime/offramp*.c, mime/report*.c) ---- */

#include <stddef.h>
#include <time.h>

/*
 * A failure to parse, render-prepare or report: an RFC 3463 enhanced status
 * ("5.6.1") and one line of plain words for the DSN and the log ("the
 * attachment winmail.dat (application/ms-tnef) cannot be faxed").
 */
#define MIME_STATUS_MAX 12
/* Holds the longest text the parser and renderer write, with a MIME type of
 * MIME_TYPE_NAME_MAX and a file name of 60 characters in it, whole. */
#define MIME_ERRTEXT_MAX 1024
struct mime_error {
	char status[MIME_STATUS_MAX];
	char text[MIME_ERRTEXT_MAX];
};

/* ---- diagnostics (mime/diag.c) ---------------------------------------- */

#include <stdarg.h>

/* RFC 6838 4.2: type and subtype names are at most 127 characters each. */
#define MIME_TYPE_NAME_MAX 255

/*
 * Copies src (NULL: "") into dst, size bytes: whole when it fits, else cut
 * after the last whole word that leaves room for "...", which is appended.
 * A word (a MIME type, a file name, a status) is never cut in the middle;
 * only a single word longer than the buffer is cut, on a UTF-8 character
 * boundary, and marked the same way. Returns dst.
 */
char *mime_text_fit(char *dst, size_t size, const char *src);
/* Sets err: status and the formatted text, fitted by mime_text_fit().
 * Overwrites what err held. Returns -1. */
int mime_error_set(struct mime_error *err, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mime_error_vset(struct mime_error *err, const char *status, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));
/*
 * How a part is named in diagnostics: "the attachment \"name\" (type)" or
 * "a part of type type". The type is never cut (a hostile one longer than
 * MIME_TYPE_NAME_MAX is fitted); a file name longer than 60 characters
 * keeps its start and its end around "...". Caller frees (g_free).
 */
char *mime_part_name(const char *type, const char *filename);

/* Limits of the offramp parser, each checked before use. */
#define MIME_OFFRAMP_MAX_DEPTH 16          /* nested multiparts */
#define MIME_OFFRAMP_MAX_PARTS 64          /* content parts delivered */
#define MIME_OFFRAMP_MAX_LEAVES 256        /* leaves looked at, skipped ones included */
#define MIME_OFFRAMP_MAX_TEXT (4u << 20)   /* bytes of UTF-8 text, all parts together */
#define MIME_OFFRAMP_MAX_HEADERS (64u << 10) /* bytes of the kept header block */
#define MIME_OFFRAMP_MAX_FORWARDS 8        /* forwarded messages in forwarded messages */
#define MIME_OFFRAMP_MAX_SKIPPED 32        /* parts not faxed that are listed */
#define MIME_OFFRAMP_MAX_RESOURCES 64      /* images one HTML part may show */
/* A forwarded message's header shown on the fax is cut after this. */
#define MIME_OFFRAMP_FORWARD_FIELD_MAX 512

/* What a content part is, for rendering. */
enum mime_part_kind {
	MIME_PART_TEXT = 1,   /* UTF-8 text (text/plain and its kin) */
	MIME_PART_TIFF,       /* TIFF bytes in a file */
	MIME_PART_PDF,        /* PDF bytes in a file */
	MIME_PART_IMAGE,      /* PNG, JPEG, GIF or BMP bytes in a file */
	MIME_PART_HTML,       /* UTF-8 HTML and the images it may show */
	MIME_PART_OFFICE,     /* a word-processor, spreadsheet or presentation
	                       * file (.doc .docx .odt .rtf .xls .xlsx .ods
	                       * .ppt .pptx), for LibreOffice */
	MIME_PART_SKIPPED,    /* a part that is not faxed, and why (reason):
	                       * a signature, a resource no page shows */
};

/* An image an HTML part may show: a resource of its RFC 2387
 * multipart/related, found by Content-ID (RFC 2392) or Content-Location
 * (RFC 2557). Strings owned by the message. */
struct mime_resource {
	const char *cid;       /* without the angle brackets, or NULL */
	const char *location;  /* or NULL */
	const char *path;      /* the image file written (PNG, JPEG, GIF, BMP) */
	const char *type;      /* "image/png" */
	const char *label;     /* how a DSN names it (never NULL) */
	size_t size;           /* bytes of the file */
};

/* One part, in message order. Strings are owned by the message. */
struct mime_part {
	enum mime_part_kind kind;
	const char *type;      /* "text/plain", "image/tiff", ... (lower case) */
	const char *filename;  /* decoded file name, or NULL */
	const char *label;     /* how a DSN names it: "the text", "the
	                        * attachment \"a.pdf\" (application/pdf)",
	                        * after "the forwarded message \"S\": " inside
	                        * a forwarded message; valid UTF-8, never NULL */
	const char *text;      /* TEXT and HTML: valid UTF-8, LF line ends, no
	                        * NUL, not empty, ends with LF; a TEXT part
	                        * starts with the preface of a forwarded
	                        * message it begins */
	size_t text_len;
	const char *preface;   /* HTML: a forwarded message's headers to print
	                        * above it, or NULL */
	const char *path;      /* TIFF, PDF, IMAGE, OFFICE: the file written */
	const char *ext;       /* OFFICE: its format ("docx", "xls", ...) */
	size_t size;           /* bytes of text or of the file */
	const struct mime_resource *res;   /* HTML: images it may show */
	size_t nres;
	const char *reason;    /* SKIPPED: why it is not faxed (plain words) */
	int lossy;             /* SKIPPED: the reader would miss it (an image
	                        * no page shows), not only a style sheet or a
	                        * signature */
};

struct mime_offramp_opts {
	const char *out_dir;     /* where TIFF and PDF parts are written (must exist) */
	size_t max_part_bytes;   /* decoded bytes of one part; 0 = 64 MiB */
	size_t max_total_bytes;  /* decoded bytes of all parts; 0 = 256 MiB */
	int allow_empty;         /* 0: a message with nothing to fax fails (5.6.1) */
	int prefer_text;         /* of a multipart/alternative, the text/plain
	                          * one (else the richest: HTML) */
};

struct mime_offramp;  /* a parsed offramp message (opaque) */

/*
 * Parses the message in the file at path (RFC 5322 + MIME, as spooled) and
 * prepares its content for rendering:
 *   - multipart/mixed and every unknown multipart (fax-message, report,
 *     ...) are walked as mixed;
 *   - of a multipart/alternative the richest alternative that can be faxed
 *     is taken (RFC 2046 5.1.4: the last; with opts->prefer_text the
 *     text/plain one), an earlier one when it holds nothing;
 *   - of a multipart/related (RFC 2387) the root is the content; its image
 *     resources go with the first HTML part the root gives (it shows
 *     them where its <img> tags stand), or become pages of their own
 *     when the root has no HTML; TIFF and PDF resources are pages; other
 *     resources are listed as not faxed;
 *   - of a multipart/signed only the signed content (the signature is
 *     listed as not faxed);
 *   - a forwarded message (message/rfc822) is faxed as its headers (From,
 *     To, Cc, Date, Subject) above its body and attachments, walked the
 *     same way, at most MIME_OFFRAMP_MAX_FORWARDS deep.
 * Transfer encodings are decoded (a corrupt base64 part fails the
 * message), text is converted from its charset to UTF-8 (HTML too; its
 * <meta> charset counts when the part names none). TIFF and PDF parts are
 * written to opts->out_dir as part-N.tif / part-N.pdf; PNG, JPEG, GIF and
 * BMP images (by type or file name; the content must carry one of these
 * formats' magic numbers) as part-N.png / .jpg / .gif / .bmp, HTML
 * resources as res-N.*; office documents (by type or name; the content
 * must be an OLE2 or ZIP container or RTF) as part-N.docx and so on.
 *
 * Per RFC 3965 2.2.4 any part that cannot be faxed fails the whole message:
 * returns NULL and fills err (5.6.1 unsupported type or undecodable, 5.3.4
 * limits, 4.3.0/5.3.0 local errors). Caller frees the result with
 * mime_offramp_free(); the files stay (the caller owns the directory).
 */
struct mime_offramp *mime_offramp_parse_file(const char *path,
    const struct mime_offramp_opts *opts, struct mime_error *err);
void mime_offramp_free(struct mime_offramp *m);

/* Parts, content and not faxed (MIME_PART_SKIPPED), in message order. */
size_t mime_offramp_nparts(const struct mime_offramp *m);
/* The i-th part (i < nparts), owned by m. */
const struct mime_part *mime_offramp_part(const struct mime_offramp *m, size_t i);

/*
 * Header facts for DSNs, MDNs and cover pages; all valid UTF-8 with RFC 2047
 * words decoded, NULL when the header is absent. Owned by m.
 *   from, to           display form ("Alice <alice@example.com>")
 *   subject            decoded text
 *   date               the Date: field as written; date_time its value (0 if bad)
 *   message_id         with angle brackets ("<id@host>")
 *   dnt                Disposition-Notification-To as written (decoded)
 *   dnt_count          number of addresses in it
 *   dnt_addr           the single addr-spec when dnt_count == 1
 *   return_path        the addr-spec of Return-Path ("" for <>)
 *   headers            the header block as received (7-bit clean, LF ends)
 *   is_report          the message is itself a DSN or MDN (multipart/report)
 */
const char *mime_offramp_from(const struct mime_offramp *m);
const char *mime_offramp_to(const struct mime_offramp *m);
const char *mime_offramp_subject(const struct mime_offramp *m);
const char *mime_offramp_date(const struct mime_offramp *m);
time_t mime_offramp_date_time(const struct mime_offramp *m);
const char *mime_offramp_message_id(const struct mime_offramp *m);
const char *mime_offramp_dnt(const struct mime_offramp *m);
int mime_offramp_dnt_count(const struct mime_offramp *m);
const char *mime_offramp_dnt_addr(const struct mime_offramp *m);
const char *mime_offramp_return_path(const struct mime_offramp *m);
const char *mime_offramp_headers(const struct mime_offramp *m);
int mime_offramp_is_report(const struct mime_offramp *m);

/*
 * The header facts above as plain values, to carry them out of the process
 * that parsed the message (every string borrowed; NULL when absent).
 * mime_offramp_from_facts() builds a message of those facts and no parts,
 * whose getters give them back (strings copied and made valid UTF-8; a
 * negative count is taken as 0); headers is NULL in it. Caller frees with
 * mime_offramp_free().
 */
struct mime_offramp_facts {
	const char *from, *to, *subject, *date, *message_id;
	const char *dnt, *dnt_addr, *return_path;
	int dnt_count;
	int is_report;
	time_t date_time;
};
void mime_offramp_get_facts(const struct mime_offramp *m, struct mime_offramp_facts *f);
struct mime_offramp *mime_offramp_from_facts(const struct mime_offramp_facts *f);

/*
 * Converts len bytes in charset (NULL or unknown: UTF-8 when valid, else
 * windows-1252) to valid UTF-8 with LF line ends and no NUL; undecodable
 * sequences become U+FFFD. Caller frees (g_free).
 */
char *mime_text_to_utf8(const char *in, size_t len, const char *charset,
    size_t *out_len);

/* ---- DSN: RFC 3461, 3464, 6522 (mime/report.c) ------------------------ */

enum mime_dsn_action {
	MIME_DSN_DELIVERED = 1,   /* the fax machine confirmed every page */
	MIME_DSN_FAILED,
	MIME_DSN_DELAYED,         /* retries are scheduled */
};

enum mime_ret {
	MIME_RET_UNSET = 0,   /* no RET: headers only */
	MIME_RET_HDRS,
	MIME_RET_FULL,        /* the whole message, in failure DSNs only */
};

/* Longest original message returned whole; larger ones return headers. */
#define MIME_DSN_RETURN_MAX (10u << 20)
/* Longest Diagnostic-Code / reason text kept (a whole MIME_ERRTEXT_MAX). */
#define MIME_DSN_TEXT_MAX 1024

/* One recipient's outcome. Strings are borrowed for the call. */
struct mime_dsn_rcpt {
	const char *final_rcpt;   /* envelope recipient, "FAX=+19195551234@fax.example.com" */
	const char *orcpt_type;   /* ORCPT addr-type ("rfc822"); NULL when no ORCPT */
	const char *orcpt;        /* ORCPT address, xtext already decoded */
	const char *number;       /* number dialled ("+19195551234"), for the text */
	enum mime_dsn_action action;
	const char *status;       /* "2.0.0", "4.4.1", "5.6.1", ... (class must fit action) */
	const char *reason;       /* plain words, "the line was busy"; NULL: from status */
	const char *diagnostic;   /* T.30 / SIP cause for "Diagnostic-Code: X-FAX;"; NULL none */
	unsigned pages_sent;      /* pages the remote machine confirmed */
	unsigned pages_total;     /* pages of the document; 0 unknown */
	const char *csi;          /* remote CSI; NULL/"" unknown */
	unsigned duration;        /* seconds of the last call */
	unsigned attempts;        /* calls placed (0: none, the failure came first) */
	unsigned attempts_same;   /* of those, how many ended with this reason */
	time_t last_attempt;      /* start of the last call; 0 none */
	time_t retry_until;       /* MIME_DSN_DELAYED: the gateway gives up then */
};

/*
 * What became of one part of the message, for the DSN's list of parts
 * (gateway/ fills these in from the rendering; RFC 3464 has no field for
 * it, so it goes into the human-readable part).
 */
enum mime_outcome_kind {
	MIME_OUTCOME_FAXED = 1,     /* pages first..last */
	MIME_OUTCOME_PARTLY,        /* pages first..last; detail: what was left out */
	MIME_OUTCOME_NOT_FAXED,     /* detail: why */
};
#define MIME_OUTCOME_TEXT_MAX 512
#define MIME_OUTCOMES_MAX 96        /* parts listed in one DSN */
struct mime_part_outcome {
	enum mime_outcome_kind kind;
	unsigned first, last;               /* pages of the fax, 1-based */
	char label[MIME_OUTCOME_TEXT_MAX];  /* "the attachment \"a.pdf\"
	                                     * (application/pdf)" */
	char detail[MIME_OUTCOME_TEXT_MAX]; /* PARTLY and NOT_FAXED, else "" */
	int lossy;                          /* NOT_FAXED: something the reader
	                                     * would miss (not a signature) */
};
/* Was anything the reader would see left out (an outcome PARTLY, or
 * NOT_FAXED and lossy)? Then "delivered" becomes RFC 3463 2.6.4,
 * conversion with loss. */
int mime_outcomes_lossy(const struct mime_part_outcome *o, size_t n);

struct mime_dsn {
	const char *reporting_mta;  /* FQDN of the gateway */
	const char *from_addr;      /* "postmaster@gw1.example.com" */
	const char *from_name;      /* "Fax Daemon"; NULL none */
	const char *to;             /* the envelope sender (never "") */
	const char *envid;          /* ENVID, xtext decoded; NULL when none */
	time_t arrival;             /* when the message was accepted */
	time_t now;                 /* Date: of the report */
	enum mime_ret ret;
	const char *orig_path;      /* the spooled original message */
	const struct mime_dsn_rcpt *rcpts;
	size_t nrcpts;
	int crlf;                   /* CRLF line ends (SMTP) instead of LF */
	const char *note;           /* a remark on the document for the text
	                             * part ("3 characters ... printed as
	                             * boxes"), plain words; NULL none */
	const struct mime_part_outcome *parts;   /* what became of each part
	                             * of the message, listed in the text part;
	                             * NULL none */
	size_t nparts;
};

/*
 * Builds a DSN (RFC 3464 in an RFC 6522 multipart/report): a plain-words
 * text/plain part (each recipient's outcome, then the parts of the
 * message and the pages each became, or why one was not faxed; a
 * delivered recipient with status 2.6.4 is said to have been sent with
 * parts left out, in the subject too), message/delivery-status (7bit),
 * and the original's
 * header block (text/rfc822-headers), or with RET=FULL in a DSN reporting
 * a failure the whole original as message/rfc822 (headers only when it is
 * larger than MIME_DSN_RETURN_MAX or not 7-bit clean, said in the text).
 * Returns the message (caller frees with g_free) and its length, or NULL
 * with err set when the input is inconsistent (no recipient, a status
 * whose class does not fit the action, a missing field).
 */
char *mime_dsn_build(const struct mime_dsn *d, size_t *len, struct mime_error *err);

/* A North American number ("+19195551234", "19195551234", "9195551234")
 * as people write it ("+1 919 555 1234"); other numbers as given. Writes
 * at most size bytes to buf; returns buf. */
const char *mime_number_pretty(const char *number, char *buf, size_t size);

/* ---- MDN: RFC 8098 (mime/report_mdn.c) -------------------------------- */

enum mime_mdn_disposition {
	MIME_MDN_DISPATCHED = 1,   /* the fax was sent */
	MIME_MDN_ERROR,            /* processed/error: it could not be sent */
};

struct mime_mdn {
	const char *reporting_ua;        /* "gw1.example.com; t37gw 0.1.0" */
	const char *from_addr;           /* "postmaster@gw1.example.com" */
	const char *from_name;           /* NULL none */
	const char *to;                  /* the Disposition-Notification-To address */
	const char *original_recipient;  /* "rfc822;addr" from ORCPT; NULL unknown */
	const char *final_recipient;     /* the envelope recipient (addr-spec) */
	const char *original_message_id; /* "<id@host>"; NULL when it had none */
	const char *orig_subject;        /* decoded subject, NULL none */
	const char *number;              /* for the text */
	enum mime_mdn_disposition disposition;
	const char *error_text;          /* MIME_MDN_ERROR: why */
	time_t now;
	int crlf;
};

/*
 * RFC 8098 2.1 and 3.1: may an unattended gateway send an MDN for this
 * message? Only when it carries one Disposition-Notification-To with one
 * address, that address equals the Return-Path (envelope_from stands in
 * when the message has no Return-Path field), the sender is not <>, and
 * the message is not itself a report (never an MDN for an MDN or a DSN).
 * Returns 1, or 0 with the reason in why.
 */
int mime_mdn_allowed(const struct mime_offramp *orig, const char *envelope_from,
    char *why, size_t size);

/* Builds the MDN (multipart/report; report-type=disposition-notification).
 * Caller frees with g_free; NULL with err on missing fields. */
char *mime_mdn_build(const struct mime_mdn *m, size_t *len, struct mime_error *err);

#endif
