/*
 * gateway/offramp/retry.h: the retry ladder (retry.c), private to the
 * offramp: a pure state machine per recipient that decides from each
 * call's outcome whether to call again (when, stepping down T.38 -> G.711
 * -> ECM off -> 9600 after fax failures) or stop, which DSNs are due under
 * the recipients' NOTIFY, and the recipient's part of the job's state
 * record. It does no I/O and reads no clock: times are passed in.
 */
#ifndef T37_OFFRAMP_RETRY_H
#define T37_OFFRAMP_RETRY_H

#include <stddef.h>
#include <time.h>

#include "smtp/smtp.h"

struct mime_dsn_rcpt;
struct spool_rec;

/* The classes of a failed call that are worth another call. */
enum offramp_fail_class {
	OFFRAMP_FAIL_BUSY = 0,     /* SIP 486/600, "user busy" */
	OFFRAMP_FAIL_NOANSWER,     /* no answer, 480/408, no fax tone */
	OFFRAMP_FAIL_FAILURE,      /* T.30 failure or dropped call */
	OFFRAMP_FAIL_NCLASS,
};

/* The calls and delays per class are `fax send retry` (config/: its
 * defaults and ranges). */
#define OFFRAMP_RETRY_MAX_AGE 86400          /* a job gives up a day after arrival */
#define OFFRAMP_RETRY_CALL_MAX 1800          /* longest call, for retry estimates */

struct offramp_retry_policy {
	unsigned attempts[OFFRAMP_FAIL_NCLASS];   /* calls per class, the first included */
	unsigned delay[OFFRAMP_FAIL_NCLASS];      /* seconds between calls */
	unsigned max_age;                    /* seconds after arrival */
	int permanent_error;                 /* `mta receive generate permanent-error` */
};

/* The policy of a config without `fax send retry` lines (its defaults). */
void offramp_retry_policy_default(struct offramp_retry_policy *p);

/* ---- NOTIFY (RFC 3461 4.1) -------------------------------------------- */

/* No NOTIFY given: failures only (RFC 3461 6.1 allows DELAY; we do not). */
#define OFFRAMP_NOTIFY_DEFAULT SMTP_NOTIFY_FAILURE

/* ---- per-recipient state ---------------------------------------------- */

enum offramp_rcpt_phase {
	OFFRAMP_RCPT_READY = 0,    /* to be called at next_at */
	OFFRAMP_RCPT_DIALING,      /* a call is in progress (persisted before dialing) */
	OFFRAMP_RCPT_DELIVERED,    /* final: every page confirmed */
	OFFRAMP_RCPT_FAILED,       /* final */
};

/* The step-down levels, applied to the calls after a fax failure. */
enum offramp_stepdown {
	OFFRAMP_STEP_NONE = 0,
	OFFRAMP_STEP_G711,         /* no T.38: audio pass-through */
	OFFRAMP_STEP_NO_ECM,       /* and ECM off */
	OFFRAMP_STEP_9600,         /* and at most 9600 bit/s (V.29) */
};

#define OFFRAMP_RETRY_STATUS_MAX 12
/* Holds a whole parser or renderer diagnostic (MIME_ERRTEXT_MAX). */
#define OFFRAMP_RETRY_DIAG_MAX 1024
#define OFFRAMP_RETRY_WHY_MAX 96
#define OFFRAMP_RETRY_CSI_MAX 24

struct offramp_rcpt_retry {
	enum offramp_rcpt_phase phase;
	unsigned notify;                      /* SMTP_NOTIFY_* bits */
	unsigned attempts;                    /* calls placed */
	unsigned count[OFFRAMP_FAIL_NCLASS];       /* calls that ended in each class */
	unsigned level;                       /* enum offramp_stepdown */
	int last_class;                       /* enum offramp_fail_class of the last failure, -1 none */
	int permanent;                        /* failed without retry (404, policy, content) */
	time_t next_at;                       /* READY: not before */
	time_t last_attempt;                  /* start of the last call, 0 none */
	unsigned pages_sent, pages_total;     /* of the last call */
	unsigned duration;                    /* seconds of the last call */
	char status[OFFRAMP_RETRY_STATUS_MAX];     /* last/final RFC 3463 status */
	char diag[OFFRAMP_RETRY_DIAG_MAX];         /* last cause, by layer: "SIP 503 ...",
	                                         "T.30 phase D code 52: ..." */
	char why[OFFRAMP_RETRY_WHY_MAX];           /* the same in plain words, for the
	                                         sender ("" = the class's words) */
	unsigned why_same;                    /* calls in a row that ended so */
	char csi[OFFRAMP_RETRY_CSI_MAX];           /* remote CSI of the last call */
	int delay_reported;                   /* the DELAY DSN went out */
	int final_reported;                   /* covered by a final DSN (or none due) */
	int mdn_sent;                         /* RFC 8098: at most one */
};

/* The outcome of one call, as the line thread reports it. */
enum offramp_call_outcome {
	OFFRAMP_CALL_OK = 0,       /* MCF on the last page */
	OFFRAMP_CALL_BUSY,
	OFFRAMP_CALL_NOANSWER,
	OFFRAMP_CALL_FAILED,       /* T.30 failure, dropped or partial call */
	OFFRAMP_CALL_PERMANENT,    /* 404/484 unallocated, 403/603 policy: no retry */
};

struct offramp_call_result {
	enum offramp_call_outcome outcome;
	const char *status;    /* OFFRAMP_CALL_PERMANENT: its status ("5.1.1"); else NULL */
	const char *diag;      /* the cause by layer (SIP, network, media, T.30), or NULL */
	const char *words;     /* the cause in plain words for the sender, or NULL */
	int no_step;           /* OFFRAMP_CALL_FAILED that says nothing about the fax
	                          media (no SIP answer, network): no step-down */
	unsigned pages_sent, pages_total, duration;
	const char *csi;       /* remote CSI or NULL */
};

/* What the ladder decided after a result. */
enum offramp_retry_event {
	OFFRAMP_RETRY_ERROR = -1,  /* the result did not fit the state (ignored) */
	OFFRAMP_RETRY_DELIVERED = 0,
	OFFRAMP_RETRY_FAILED,
	OFFRAMP_RETRY_AGAIN,       /* READY again at next_at */
};

/* The call settings from the dial-peer and `fax send`, before step-down. */
struct offramp_call_params {
	int t38;              /* offer T.38 */
	int ecm;
	unsigned max_speed;   /* bit/s */
};

/* A new recipient, ready at now. */
void offramp_retry_init(struct offramp_rcpt_retry *r, unsigned notify, time_t now);
/* Fails a recipient before any call (content 5.6.1, policy 5.7.1, limits
 * 5.3.4): final at once. status is an RFC 3463 code, diag plain words. */
void offramp_retry_fail_now(struct offramp_rcpt_retry *r, const char *status,
    const char *diag);
/* Is a call due now? */
int offramp_retry_due(const struct offramp_rcpt_retry *r, time_t now);
/* READY -> DIALING: counts the attempt. Persist the state, then dial.
 * -1 when not READY. */
int offramp_retry_dial(struct offramp_rcpt_retry *r, time_t now);
/* The settings for the next call: base stepped down to r's level. */
void offramp_retry_call_params(const struct offramp_rcpt_retry *r,
    const struct offramp_call_params *base, struct offramp_call_params *out);
/*
 * DIALING -> DELIVERED / FAILED / READY from the outcome of the call.
 * arrival is when the message was accepted (max_age counts from it).
 */
enum offramp_retry_event offramp_retry_result(struct offramp_rcpt_retry *r,
    const struct offramp_retry_policy *p, const struct offramp_call_params *base,
    const struct offramp_call_result *res, time_t arrival, time_t now);
/*
 * After a restart: a recipient left DIALING had a call in progress when the
 * gateway stopped. Its outcome is unknown, so it is called again (delivery
 * is at-least-once: the remote machine may get the pages twice); the lost
 * call counts as a failure so that a crash loop cannot dial forever.
 * Returns the event as offramp_retry_result() would; OFFRAMP_RETRY_AGAIN for a
 * recipient that was not DIALING (nothing changes).
 */
enum offramp_retry_event offramp_retry_recover(struct offramp_rcpt_retry *r,
    const struct offramp_retry_policy *p, time_t arrival, time_t now);
/* Upper bound of when this recipient gives up (Will-Retry-Until). */
time_t offramp_retry_until(const struct offramp_rcpt_retry *r,
    const struct offramp_retry_policy *p, time_t arrival);
/* Plain words for the last failure ("the line was busy", "the receiving
 * fax machine did not confirm a page"), or NULL. */
const char *offramp_retry_reason(const struct offramp_rcpt_retry *r);
/* Is s an RFC 3463 status code (class.subject.detail, class 2, 4 or 5)? */
int offramp_retry_status_valid(const char *s);

/* ---- notifications for a job (a message and its recipients) ---------- */

struct offramp_dsn_policy {
	int disable_dsn;      /* `mta receive disable-dsn`: no DSN at all */
};

/*
 * Which recipients go into a DSN now; their indexes are written to idx
 * (n entries at most) and the count returned, 0 when none is due.
 * Final DSN: only once every recipient is final (one DSN per message
 * covering every outcome), for each recipient not yet reported whose
 * NOTIFY asks for its outcome (SUCCESS / FAILURE). Delay DSN: recipients
 * waiting for a retry with NOTIFY DELAY not yet told. Never for the null
 * sender ("") or with disable-dsn.
 */
size_t offramp_retry_final_dsn(const struct offramp_rcpt_retry *rs, size_t n,
    const struct offramp_dsn_policy *dp, const char *sender, size_t *idx);
size_t offramp_retry_delay_dsn(const struct offramp_rcpt_retry *rs, size_t n,
    const struct offramp_dsn_policy *dp, const char *sender, size_t *idx);
/* Every recipient final? */
int offramp_retry_all_final(const struct offramp_rcpt_retry *rs, size_t n);
/* The earliest next_at of READY recipients, or 0 when none is waiting. */
time_t offramp_retry_next_wakeup(const struct offramp_rcpt_retry *rs, size_t n);
/*
 * Fills the outcome fields of a DSN recipient (action, status, reason,
 * diagnostic, pages, CSI, duration, attempts, times) from r; the address
 * fields (final_rcpt, orcpt, number) are the caller's. Strings point into
 * r. A READY recipient is reported as delayed.
 */
void offramp_retry_dsn_rcpt(const struct offramp_rcpt_retry *r,
    const struct offramp_retry_policy *p, time_t arrival, struct mime_dsn_rcpt *out);

/* ---- persistence ------------------------------------------------------ */

/*
 * A recipient's part of the job's "state" record (the spool's record
 * format, gateway/spool/spool.h): offramp_retry_store() appends its keys
 * to rec, offramp_retry_load_key() takes them back one at a time. NOTIFY is
 * not kept here: it is the envelope's. Keys (absent ones keep their
 * initial values):
 *   rcpt.phase        ready | dialing | delivered | failed
 *   rcpt.attempts     calls placed
 *   rcpt.busy rcpt.no-answer rcpt.failure   calls that ended in each class
 *   rcpt.level        step-down level, 0..3
 *   rcpt.last-class   busy | no-answer | failure (the last failure's)
 *   rcpt.permanent    1 when it failed without retry
 *   rcpt.next rcpt.last   unix times: not before, the last call's start
 *   rcpt.pages        SENT/TOTAL of the last call
 *   rcpt.duration     seconds of the last call
 *   rcpt.status       RFC 3463 code of the last or final outcome
 *   rcpt.diag rcpt.why rcpt.csi   the cause by layer, in plain words, the
 *                     remote CSI (text without control bytes)
 *   rcpt.why-same     calls in a row that ended with those words
 *   rcpt.reported     what went out: any of delay, final, mdn (comma list)
 */
#define OFFRAMP_RETRY_KEY_PREFIX "rcpt."
/* 0, or -1 with errno (ENOMEM, E2BIG). */
int offramp_retry_store(const struct offramp_rcpt_retry *r, struct spool_rec *rec);
/*
 * One key of the list above with its value (len bytes, as the record
 * holds it). 0; 1 for a key that is not one of a recipient's (the caller
 * decides); -1 when the value is malformed or out of range (r is then
 * unchanged).
 */
int offramp_retry_load_key(struct offramp_rcpt_retry *r, const char *key,
    const char *value, size_t len);

#endif
