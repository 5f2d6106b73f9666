/*
 * gateway/cdr: call and job records, one JSON object per line in the file
 * `cdr FILE` names, for accounting and for the operator's own tools.
 * Every call the line reports (onramp and offramp, refused and failed
 * ones too) gives a "call" record; every job that ends (an offramp job
 * whose recipients are all final and told, a mail job of the outbound
 * queue delivered, bounced to the postmaster or set aside) gives a "job"
 * record. The ids are those the log lines print (call=, job=), so a
 * record and the log lines of the same call or job are found together.
 *
 * Building (record.c): the rooms fill plain structs; json-c writes the
 * JSON (escaping is json-c's), after every peer string was made valid
 * UTF-8 (GLib), so a hostile CSI or address still gives a valid line.
 *
 * Writing (cdr.c): the file is opened O_APPEND|O_CREAT, mode 0640, by the
 * run user after the privilege drop. Each record is written by one
 * write(2) of a whole line (appends from several writers never
 * interleave), on a pool thread (util/offload, one at a time, in order):
 * the mail loop never waits on the disk. At most CDR_QUEUE_MAX records
 * wait; one more is dropped, counted and logged (once per burst, with the
 * count when the queue drains), never blocking anything. A write error is
 * logged once per burst, with the number lost when writing works again.
 * cdr_reopen() (SIGUSR1, after logrotate renamed the file) opens the path
 * again, after the records already queued were written to the old file.
 *
 * Threads: the mail thread only (the line's events reach the rooms
 * there). Not here: what a call or job is (the rooms), log lines (util/log).
 */
#ifndef T37_CDR_H
#define T37_CDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct sip_event;
struct cdr;                     /* opaque: the writer */

#define CDR_QUEUE_MAX   4096            /* records waiting for the disk */
#define CDR_FILE_MODE   0640
#define CDR_STR_MAX     1024            /* longest string value kept (bytes) */
#define CDR_RCPT_MAX    1024            /* recipients listed in one job record */

/* What a call record adds to the line's event. Strings borrowed; NULL
 * (or -1, 0 where said) when not known. */
struct cdr_call_link {
	const char *job;                /* onramp: the mail job of the fax;
	                                   offramp: the job the call was for */
	const char *message_id;         /* offramp: the mail's Message-ID */
	const char *mail;               /* onramp: "queued", "not-mailed",
	                                   "error", "nofax" */
	unsigned peer;                  /* dial-peer tag, 0 unknown */
	int rcpt;                       /* offramp: recipient index, -1 none */
	const char *number;             /* offramp: the number dialled */
	unsigned attempt;               /* offramp: the recipient's call count */
	uint64_t dial;                  /* offramp: the dial's call= number */
	bool recovered;                 /* a call the gateway did not see end */
};

/* One recipient of a job record. Strings borrowed, NULL when none. */
struct cdr_rcpt {
	const char *address;            /* the RCPT address */
	const char *number;             /* offramp: the number dialled */
	const char *status;             /* RFC 3463 status, "2.0.0" */
	const char *action;             /* RFC 3464 action: delivered, failed,
	                                   relayed, delayed */
	const char *diag;               /* the last failure, by layer */
	const char *call;               /* offramp: the last call's id */
	unsigned attempts;              /* calls placed, or delivery attempts */
	unsigned pages, pages_total;    /* offramp: of the last call */
	const char *remote_ident;       /* offramp: CSI of the last call */
};

/* A job that ended. Strings borrowed, NULL when none. */
struct cdr_job {
	const char *job;                /* the job id */
	const char *dir;                /* "offramp", or "mail" (the outbound
	                                   queue: onramp faxes, offramp reports) */
	const char *kind;               /* mail: "fax" or "report" */
	const char *call;               /* mail of a fax: the call it came from */
	const char *about;              /* mail: the envelope's reference */
	const char *message_id;
	const char *sender;             /* the reverse path ("" for <>) */
	const char *result;             /* offramp: "done", "quarantined",
	                                   "failed", "deleted"; mail: "sent",
	                                   "bounced" (the postmaster has it),
	                                   "failed", "deleted" (t37gwctl) */
	int64_t created_ms, end_ms;     /* Unix ms; 0 unknown */
	unsigned attempts;              /* mail: delivery attempts */
	unsigned pages;                 /* offramp: pages of the document */
	const struct cdr_rcpt *rcpts;   /* nrcpts of them */
	size_t nrcpts;
};

/*
 * The writer of path (absolute), opened now: NULL with "cdr PATH: reason"
 * in err when it cannot be opened. Its writes run on a pool thread whose
 * completions come back on base. Caller frees.
 */
struct cdr *cdr_open(struct event_base *base, const char *path, char *err, size_t errlen);
/* Writes what is queued, closes, frees. Accepts NULL. */
void cdr_free(struct cdr *c);
/* Opens the path again (logrotate), after what is queued. Accepts NULL. */
void cdr_reopen(struct cdr *c);
/* Records dropped (queue full or out of memory) since the start. */
unsigned long cdr_dropped(const struct cdr *c);

/* A call record for the line's event ev (plus link, which may be NULL).
 * Accepts c NULL (no `cdr` line): nothing. */
void cdr_call(struct cdr *c, const struct sip_event *ev, const struct cdr_call_link *link);
/* A job record. Accepts c NULL. */
void cdr_job(struct cdr *c, const struct cdr_job *j);

/* ---- the record text (record.c); for the writer and the tests ---- */

/* The JSON line (ending in "\n") of a call record; malloc'd, caller frees;
 * *len its length. NULL without memory. */
char *cdr_call_line(const struct sip_event *ev, const struct cdr_call_link *link,
    size_t *len);
/* The same for a job record. */
char *cdr_job_line(const struct cdr_job *j, size_t *len);
/* "2026-12-03T11:51:55.123Z" for Unix milliseconds ms (buf >= 32). */
const char *cdr_time(char *buf, size_t size, int64_t ms);
/* Now, in Unix milliseconds. */
int64_t cdr_now_ms(void);

#endif
