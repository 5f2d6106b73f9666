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
	const char *origin_prefix;      /* comment in Received:; NULL: none */
	const char *tiff_path;          /* required: the multi-page TIFF */
};

/*
 * Builds the onramp message (RFC 3965 simple mode: headers, a text/plain
 * summary, the TIFF as image/tiff base64) and writes it to fd, LF line
 * ends, 7-bit clean (the SMTP client turns it into CRLF). Returns the
 * number of bytes written, or -1 with a specific message in err (errlen
 * >= MIME_ONRAMP_ERR_MAX always fits): 0 pages, missing required field,
 * unreadable TIFF, write failure. Does not fsync: the spool does.
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

#endif
