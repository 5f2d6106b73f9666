/*
 * gateway/queue: the onramp mail queue on the mail thread's event loop.
 *
 * A job lives in the spool queue "onramp" as one directory:
 *
 *     fax.tif     the received fax (kept until the mail server took it)
 *     message     the e-mail built by mime/onramp (LF line ends)
 *     envelope    spool_rec: from, rcpt, envid, notify, ret, created, call
 *     state       spool_rec: phase, attempts, delay, next, since, reason
 *     bounce      the postmaster wrapper (only in the bounce phase)
 *
 * Delivery: to `mta send maildir DIR` when set, else by SMTP to the
 * `mta send server` list in order; a connection failure, a timeout or a
 * 4xx before acceptance moves on to the next server. When every server
 * failed temporarily the job is retried after `mta send retry` seconds,
 * the delay doubling up to QUEUE_RETRY_CAP, until `mta send give-up`.
 * A 5xx, or give-up, turns the job into a bounce: the message is wrapped
 * (mime_onramp_bounce_write) and sent from <> to `mta send postmaster`
 * with the same retry rules. A bounce that fails for good moves the job to
 * the spool queue "failed" for the operator: nothing is dropped silently.
 * The job (and its TIFF) is removed only after a 250 to the final dot or a
 * Maildir commit. Start-up scans the spool and resumes every job.
 *
 * Each attempt at each server logs one Postfix-style line:
 *   job=ID to=<rcpt> relay=host[ip]:port delay=S attempt=N status=sent|
 *   deferred|bounced dsn=x.y.z (server reply or reason)
 */
#ifndef T37_QUEUE_H
#define T37_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "gateway/spool/spool.h"

struct config;
struct event_base;
struct smtp_client_timeouts;
struct gw;

#define QUEUE_CONCURRENCY   16          /* deliveries at once */
#define QUEUE_RETRY_CAP     3600        /* seconds: the backoff stops doubling here */
#define QUEUE_ADDR_MAX      256

struct queue;                   /* opaque */

/* A queue on base over the spool (both borrowed). NULL on ENOMEM or when
 * no DNS resolver could be set up (err says). Caller frees. */
struct queue *queue_new(struct event_base *base, struct spool *sp, char *err,
    size_t errlen);
/* Frees the queue; deliveries in flight are abandoned (their jobs stay in
 * the spool and resume at the next start). Accepts NULL. */
void queue_free(struct queue *q);
/* The config for the next attempts (borrowed: the caller keeps it alive
 * until the next call or queue_free()). Must be called before start. */
void queue_set_config(struct queue *q, const struct config *cfg);
/* Overrides the SMTP client timeouts (tests). NULL: RFC 5321 defaults. */
void queue_set_timeouts(struct queue *q, const struct smtp_client_timeouts *t);
/* Scans the spool and schedules every job found. 0, or -1 with err. */
int queue_start(struct queue *q, char *err, size_t errlen);
/* Schedules a job just committed to the "onramp" queue for delivery now.
 * 0, or -1 (unreadable envelope: logged, the job stays in the spool). */
int queue_add(struct queue *q, const char *id);
/* Shutdown: no new attempts; those in flight finish. */
void queue_stop(struct queue *q);
/* Deliveries in flight. */
unsigned queue_inflight(const struct queue *q);
/* Jobs known to the queue (waiting, ready or in flight). */
unsigned queue_jobs(const struct queue *q);
/* The retry delay after `attempts` failed attempts with base delay retry
 * (seconds): retry * 2^(attempts-1), capped at max(retry, QUEUE_RETRY_CAP). */
unsigned queue_backoff(unsigned retry, unsigned attempts);

/*
 * The onramp glue: a fax was received (plain data from the line thread).
 * Matches the mmoip dial-peer on the called number, expands its session
 * target, builds the message, writes message + TIFF + envelope as one
 * durable spool job, logs, and schedules delivery. Returns 0 (queued; id
 * holds the job id; with remove_tiff the caller's file is gone, else it
 * may be removed), 1 when the fax is not mailed by policy (0 pages,
 * `success-fax-only` with a partial fax; logged with the reason), -1 on
 * an error (logged; the caller's file is kept).
 */
struct gw_fax_received {
	const char *call_id;            /* required */
	const char *tiff_path;          /* required: the received (Profile S) TIFF */
	bool remove_tiff;               /* unlink tiff_path once the job is durable */
	const char *ani, *dnis, *rdnis; /* numbers from the call */
	const char *remote_csi;         /* the sender's TSI */
	unsigned pages, rate, duration;
	bool ecm;
	bool partial;                   /* the call ended early */
	const char *reason;             /* why, in plain words (partial) */
	time_t ended;                   /* 0: now */
};
int gw_onramp_fax_received(struct queue *q, const struct gw_fax_received *fr,
    char id[SPOOL_ID_LEN + 1]);

#endif
