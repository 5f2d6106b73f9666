/*
 * gateway/offramp/job.h: one accepted message and its recipients (job.c),
 * private to the offramp: the intake's envelope read back, the retry
 * state of each recipient, and the DSNs and MDNs the job owes. No I/O.
 */
#ifndef T37_OFFRAMP_JOB_H
#define T37_OFFRAMP_JOB_H

#include <stddef.h>
#include <time.h>

#include "gateway/offramp/retry.h"
#include "mime/mime.h"
#include "sip/sip.h"

struct mime_offramp;

/* Longest list of recipients in one job (intake caps it lower). */
#define OFFRAMP_RCPT_MAX 1024

/* The calls kept per recipient for the operator (`show`), oldest first. */
#define OFFRAMP_HISTORY_MAX 16
#define OFFRAMP_HISTORY_ERROR_MAX 128    /* the cause, fitted at a word */
#define OFFRAMP_HISTORY_RESULT_MAX 16

/* One call of a recipient as it ended. Plain data. */
struct offramp_call_hist {
	time_t at;                           /* start of the call */
	unsigned secs;                       /* its duration */
	char result[OFFRAMP_HISTORY_RESULT_MAX];    /* "ok", "busy", ... */
	char status[OFFRAMP_RETRY_STATUS_MAX];      /* RFC 3463, "" none */
	char error[OFFRAMP_HISTORY_ERROR_MAX];      /* the cause by layer, "" none */
	unsigned pages_sent, pages_total;
	char csi[OFFRAMP_RETRY_CSI_MAX];
};

struct offramp_rcpt {
	char *addr;          /* the RCPT address as given (owned) */
	char *number;        /* number to dial, "+19195551234" (owned) */
	char *peer;          /* voip dial-peer tag (owned), or NULL */
	char *orcpt_type;    /* ORCPT addr-type (owned), NULL without ORCPT */
	char *orcpt;         /* ORCPT address, xtext decoded (owned) */
	int postmaster;      /* not dialed; forwarded by the intake */
	int cover;           /* /cover=yes 1, /cover=no 0, not asked -1 */
	struct offramp_rcpt_retry retry;
	char last_call[SIP_CALL_ID_MAX];   /* the last call's id, for the job
	                      * record; "" none (not kept in the spool) */
	struct offramp_call_hist *hist;    /* owned: the last nhist calls, oldest
	                      * first, at most OFFRAMP_HISTORY_MAX; NULL none */
	size_t nhist;
};

struct offramp_job {
	char *from;          /* reverse path, "" for <> (owned) */
	char *envid;         /* ENVID decoded (owned), NULL when none */
	int ret;             /* enum mime_ret */
	time_t received;     /* arrival */
	struct offramp_rcpt *rcpts;   /* owned, nrcpts entries */
	size_t nrcpts;
	char *note;          /* remark on the rendered document for the DSN
	                      * text (owned), NULL none; set by the runner */
	struct mime_part_outcome *outcomes;   /* what became of each part of
	                      * the message (owned), NULL none; set by the
	                      * runner; delivered with parts left out is 2.6.4 */
	size_t noutcomes;
	int held;            /* the operator's hold: no new call (state "held") */
	time_t requeued;     /* taken back from the failed queue at this time, 0
	                      * never: give-up counts from it (state "requeued") */
	int deleted;         /* the operator deleted it: it ends as such, its
	                      * report still owed (state "deleted") */
};

/* Who speaks in reports, from the config. Strings borrowed. */
struct offramp_report_cfg {
	const char *hostname;        /* Reporting-MTA / Reporting-UA name */
	const char *postmaster;      /* From: address */
	const char *from_name;       /* "Fax Daemon" */
	int crlf;                    /* reports with CRLF line ends */
	struct offramp_dsn_policy dsn;    /* disable-dsn */
	int generate_mdn;            /* `mta receive generate mdn` */
};

struct offramp_job *offramp_job_new(void);
void offramp_job_free(struct offramp_job *j);
/*
 * Feeds one envelope field of the intake's record (gateway/intake.h
 * lists the keys; unknown keys are ignored, so newer records load), in
 * order: "rcpt" starts a recipient, "rcpt.*" belong to the last one.
 * Recipients start READY at the arrival time. 0, or -1 with err when a
 * value is malformed (NOTIFY, ORCPT, ENVID xtext, RET) or out of order.
 */
int offramp_job_env(struct offramp_job *j, const char *key,
    const char *value, char *err, size_t errlen);

/* Appends a call to recipient i's history, dropping the oldest beyond
 * OFFRAMP_HISTORY_MAX; error (NULL: h->error) is its cause. Texts are
 * fitted at a word and cleaned of control bytes. */
void offramp_job_history_add(struct offramp_job *j, size_t i,
    const struct offramp_call_hist *h, const char *error);
/* When the job's give-up time counts from: its arrival, or its requeue. */
time_t offramp_job_since(const struct offramp_job *j);

/*
 * The job's progress as a spool record for its "state" file: "version 3",
 * "held 1" when held, "requeued TIME" when taken back from the failed
 * queue, "deleted 1" when the operator deleted it, then per recipient "rcpt INDEX" and that recipient's keys
 * (offramp_retry_store()), then, per recipient with calls, "rcpt INDEX"
 * again and one "rcpt.call AT SECS SENT/TOTAL RESULT STATUS" (STATUS "-"
 * for none) per call of its history, each followed by its "rcpt.call-csi"
 * and "rcpt.call-error" when not empty. The history is left out, from
 * where it would not fit any more, rather than fail the record (records
 * without these keys load as before). NULL without memory; caller frees.
 * _state_load() applies such a record to a job loaded from its envelope:
 * 0, or -1 with err when it is not version 3 (a state of an earlier
 * version), names a recipient the job does not have, or holds a key or
 * value out of place; the job is then unchanged.
 */
#define OFFRAMP_JOB_STATE_VERSION "3"
struct spool_rec *offramp_job_state(const struct offramp_job *j);
int offramp_job_state_load(struct offramp_job *j, const struct spool_rec *rec, char *err,
    size_t errlen);

enum offramp_report_kind {
	OFFRAMP_REPORT_NONE = 0,
	OFFRAMP_REPORT_DSN_DELAY,
	OFFRAMP_REPORT_DSN_FINAL,
};

/*
 * The next notification the job owes the sender, built and ready to queue
 * (MAIL FROM:<>, RCPT TO: j->from, NOTIFY=NEVER if DSN is offered): a
 * DELAY DSN for recipients whose retries just started, else, once every
 * recipient is final, one DSN covering every outcome their NOTIFY asked
 * for. The covered recipients are marked reported in j; persist the job
 * state after the report is durably queued (a crash in between repeats
 * the report rather than losing it). Returns NULL with *kind NONE when
 * nothing is due (a final with nothing to report marks the job reported
 * too). msg_path is the spooled original (for returned content).
 */
char *offramp_job_next_report(struct offramp_job *j,
    const struct offramp_report_cfg *cfg, const struct offramp_retry_policy *p,
    const char *msg_path, time_t now, enum offramp_report_kind *kind, size_t *len,
    struct mime_error *err);

/*
 * The RFC 8098 MDN for recipient i once its fax was sent, when configured
 * and allowed (mime_mdn_allowed), at most once per recipient (marked in
 * its state). NULL when none is due; why says which rule stopped it.
 */
char *offramp_job_mdn(struct offramp_job *j, size_t i,
    const struct mime_offramp *msg, const struct offramp_report_cfg *cfg,
    time_t now, size_t *len, char *why, size_t whylen);

/* Whether the job's document gets a cover page: what its recipients asked
 * with /cover= (the intake keeps one choice per message), else `fax send
 * coverpage enable`. */
int offramp_job_cover(const struct offramp_job *j, int config_cover);

#endif
