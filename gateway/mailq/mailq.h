/*
 * gateway/mailq: the outbound mail queue, on the mail thread's loop. It
 * sends the mail of both directions: the faxes the onramp received, and
 * the DSNs, MDNs and postmaster forwards of the offramp. Whoever builds a
 * mail commits it as a job of SPOOL_Q_MAIL (mailq_job_commit(), or its own
 * files plus mailq_envelope_write()) and hands the id to mailq_add(); from
 * there the queue owns it until it is delivered, bounced or set aside.
 *
 * A job is one directory:
 *
 *     message     the mail (LF line ends)                  the builder's
 *     envelope    spool_rec: from, rcpt, dsn, notify,      the builder's
 *                 created, call (what it is about, for logs)
 *     fax.tif     the received fax (onramp jobs only; kept until the mail
 *                 server took it)
 *     state       spool_rec: phase, attempts, delay, next, since, reason,
 *                 held (the operator's hold), hist_* (the last attempts)
 *     bounce      the postmaster wrapper (only in the bounce phase)
 *
 * Delivery: to `mta send maildir DIR` when set, else by SMTP to the
 * `mta send server` list in order; a connection failure, a timeout or a
 * 4xx before acceptance moves on to the next server. When every server
 * failed temporarily the job is retried after `mta send retry` seconds,
 * the delay doubling up to MAILQ_RETRY_CAP, until `mta send give-up`.
 * A 5xx, or give-up, turns the job into a bounce: the message is wrapped
 * (mime_onramp_bounce_write) and sent from <> to `mta send postmaster`
 * with the same retry rules. A bounce that fails for good moves the job to
 * the spool queue "failed" for the operator: nothing is dropped silently.
 * The job (and its TIFF) is removed only after a 250 to the final dot or a
 * Maildir commit. Start-up scans the spool and resumes every job. The
 * Maildir copy and the removal of delivered jobs run off the loop
 * (util/offload).
 *
 * Each attempt at each server logs one Postfix-style line:
 *   job=ID to=<rcpt> relay=host[ip]:port delay=S attempt=N status=sent|
 *   deferred|bounced dsn=x.y.z (server reply or reason)
 *
 * Not here: building messages (mime/, gateway/onramp, gateway/offramp),
 * the SMTP dialogue (smtp/), durability (gateway/spool).
 */
#ifndef T37_MAILQ_H
#define T37_MAILQ_H

#include <stddef.h>
#include <time.h>

#include "gateway/spool/spool.h"

struct cdr;
struct config;
struct event_base;

#define MAILQ_CONCURRENCY   16          /* deliveries at once */
#define MAILQ_RETRY_CAP     3600        /* seconds: the backoff stops doubling here */
#define MAILQ_ADDR_MAX      256         /* longest from / rcpt address */
#define MAILQ_FILE_MESSAGE  "message"
#define MAILQ_FILE_ENVELOPE "envelope"
#define MAILQ_HISTORY_MAX   16          /* attempts kept in a job's state */

struct mailq;                   /* opaque */

/* A queue on base over the spool (both borrowed). NULL on ENOMEM or when
 * no DNS resolver could be set up (err says). Caller frees. */
struct mailq *mailq_new(struct event_base *base, struct spool *sp, char *err,
    size_t errlen);
/* Frees the queue: removals and Maildir copies under way finish first;
 * deliveries in flight are abandoned (their jobs stay in the spool and
 * resume at the next start). Accepts NULL. */
void mailq_free(struct mailq *q);
/* The config for the next attempts (a hold is taken, the old one given
 * up). Must be called before start. */
void mailq_set_config(struct mailq *q, const struct config *cfg);
/* Where the records of the jobs that end go (borrowed; NULL: none). */
void mailq_set_cdr(struct mailq *q, struct cdr *c);
/* Scans the spool and schedules every job found. 0, or -1 with err. */
int mailq_start(struct mailq *q, char *err, size_t errlen);
/* Schedules a job just committed to SPOOL_Q_MAIL for delivery now.
 * 0, or -1 (unreadable envelope: logged, the job stays in the spool). */
int mailq_add(struct mailq *q, const char *id);
/* Shutdown: no new attempts; those in flight finish. */
void mailq_stop(struct mailq *q);
/* Deliveries, Maildir copies and removals in flight. */
unsigned mailq_inflight(const struct mailq *q);
/* Jobs known to the queue (waiting, ready or in flight). */
unsigned mailq_jobs(const struct mailq *q);
/* When the oldest of them was created (0 when there is none): one pass
 * over the jobs in memory, for the metrics. */
time_t mailq_oldest(const struct mailq *q);
/* The retry delay after `attempts` failed attempts with base delay retry
 * (seconds): retry * 2^(attempts-1), capped at max(retry, MAILQ_RETRY_CAP). */
unsigned mailq_backoff(unsigned retry, unsigned attempts);

/* The envelope of a mail job. Strings borrowed. */
struct mailq_envelope {
	const char *from;               /* reverse path, "" for <> */
	const char *rcpt;               /* the one recipient (required) */
	int dsn;                        /* ask the next hop for DSNs: ENVID (the
	                                   job id), NOTIFY, RET=HDRS */
	unsigned notify;                /* with dsn: SMTP_NOTIFY_* bits, 0 none */
	const char *ref;                /* what the mail is about, for the logs:
	                                   a call id, "offramp-JOB" */
};

/* Writes env as the envelope of job (a job of SPOOL_Q_MAIL being built).
 * 0, or -1 with errno (EINVAL: no recipient, an address over
 * MAILQ_ADDR_MAX). */
int mailq_envelope_write(struct spool_job *job, const struct mailq_envelope *env);
/*
 * Commits a job of SPOOL_Q_MAIL holding msg (len bytes) and env, durably
 * (blocking: fsyncs), and writes its id. The caller schedules it with
 * mailq_add(). 0, or -1 with errno (nothing is left in the spool).
 */
int mailq_job_commit(struct spool *sp, const struct mailq_envelope *env, const char *msg,
    size_t len, char id[SPOOL_ID_LEN + 1]);

/*
 * The operator's view and operations (ops.c), on the mail thread. Jobs are
 * described as json-c objects the caller owns (json_object_put): a summary
 * has id, queue ("mail" or "failed"), kind ("fax-mail": a received fax;
 * "report": a DSN or MDN of the offramp; "postmaster": a forward to the
 * postmaster), from, to (one address), created, attempts, next (0: none
 * scheduled), state (waiting, in-flight, held, bounce, failed), held and
 * error (the last failure, "" none). A job in full adds envelope (from,
 * rcpt, notify, dsn, ref), size (bytes of the message), give_up (when the
 * queue gives up; held or not, it counts from arrival) and history (the
 * last MAILQ_HISTORY_MAX attempts: at, relay, status, dsn, text).
 * The operations return 0, or -1 with a complete message in err; each
 * logs one line "mailq event=OP job=ID result=ok|error".
 */
struct json_object;

/* The jobs of the mail queue as an array of summaries, in id order. NULL
 * without memory. */
struct json_object *mailq_ctl_list(struct mailq *q);
/* One job in full: a job of the mail queue, or a mail job in failed/.
 * NULL with err (malformed id, no such job, not a mail job). */
struct json_object *mailq_ctl_show(struct mailq *q, const char *id, char *err,
    size_t errlen);
/* A job of failed/ as a summary when it is a mail job (its "message" and
 * "envelope"), else NULL (another room's, or unreadable). */
struct json_object *mailq_ctl_failed(struct mailq *q, const char *id);
/* Tries the job id (NULL: every job) waiting for its retry timer now;
 * held jobs and deliveries in flight are not. *count (may be NULL) gets
 * the number of jobs that will be tried. */
int mailq_retry(struct mailq *q, const char *id, unsigned *count, char *err,
    size_t errlen);
/* hold 1: no new attempts for the job (one in flight finishes), persisted
 * in its state; 0 (release): scheduled at once. Either is 0 when the job
 * already is so. */
int mailq_hold(struct mailq *q, const char *id, int hold, char *err, size_t errlen);
/* Removes a queued job (refused while a delivery is in flight; its job
 * record says "deleted"), or a mail job of failed/. Nobody is told: a
 * received fax's mail or a report owes no DSN. */
int mailq_delete(struct mailq *q, const char *id, char *err, size_t errlen);
/* A mail job of failed/ back into the queue with a fresh start (to its
 * recipient, attempts 0, give-up counted from now), scheduled at once. */
int mailq_requeue(struct mailq *q, const char *id, char *err, size_t errlen);

#endif
