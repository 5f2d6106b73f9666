/*
 * gateway/onramp: fax calls into mail. For each incoming INVITE the line
 * thread asks onramp_route() whether to answer (the dial-peers, max-conn,
 * shutdown) and where the pages go: a job in the spool queue "incoming",
 * made and committed ahead of the call (a spare job), into which the call
 * record is written while the call proceeds and beside which spandsp
 * writes the TIFF. When the
 * line reports the fax received, the pages become a mail job of the
 * outbound mail queue (gateway/mailq) off the mail loop: the called
 * number's mmoip dial-peer, the pages rewritten to Profile S (unless the
 * peer mails them as received), its session target, the message built by
 * mime/onramp from `mta send` (TIFF, PDF or both, a preview of page 1,
 * `image resolution`), committed durably; then the incoming job goes. A
 * job still in "incoming" at start-up is a call the gateway did not see
 * end: its pages are mailed as a partial fax with that reason.
 *
 * Threads: onramp_route() runs on the line thread that received the
 * INVITE (any of them; it is reentrant) and does no I/O; everything else
 * on the mail thread, the mail building, the spare jobs, the call records
 * and the removals on pool threads (util/offload).
 * Not here: SIP and T.30 (sip/, fax/), delivery (gateway/mailq), MIME
 * (mime/).
 */
#ifndef T37_ONRAMP_H
#define T37_ONRAMP_H

#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "gateway/spool/spool.h"

struct cdr;
struct config;
struct event_base;
struct mailq;
struct sip_call_info;
struct sip_event;
struct sip_route_decision;
struct onramp;                  /* opaque */

/* Mail jobs built at once (each rewrites and converts TIFF pages). */
#define ONRAMP_BUILDERS 2
#define ONRAMP_FILE_FAX "fax.tif"       /* the fax, in its mail job */
/* Incoming jobs kept made ahead of the calls (refilled as calls take
 * them): ONRAMP_SPARE_JOBS at start. A burst of new calls that finds none
 * left gets 486 for the calls beyond and doubles the number kept, up to
 * ONRAMP_SPARE_JOBS_MAX, for the rest of the run (logged). */
#define ONRAMP_SPARE_JOBS 16
#define ONRAMP_SPARE_JOBS_MAX 256

/*
 * The onramp over sp, queueing into q (both borrowed), with cfg (a hold is
 * taken). Creates its pool of ONRAMP_BUILDERS. NULL with err. Caller frees.
 */
struct onramp *onramp_new(struct event_base *base, struct spool *sp, struct mailq *q,
    const struct config *cfg, char *err, size_t errlen);
/* A reloaded config for the next calls (a hold is taken; the old one is
 * given up once no call still routes with it). */
void onramp_set_config(struct onramp *o, const struct config *cfg);
/* Where call records go (borrowed; NULL: none). Mail thread. */
void onramp_set_cdr(struct onramp *o, struct cdr *c);
/* Start-up: mails the pages of the calls found in "incoming" (as partial
 * faxes; with unknown numbers when the call record was never written),
 * takes back the spare jobs no call used, and makes the missing ones. 0,
 * or -1 with err when the queue cannot be read. */
int onramp_recover(struct onramp *o, char *err, size_t errlen);
/*
 * The route callback of the SIP line (sip_route_fn, arg the onramp): may
 * this call be answered, and where do its pages go? Accepts when a voip
 * dial-peer's `incoming called-number` (if any is set) and an mmoip
 * dial-peer's destination-pattern with a mailto target match the called
 * number, its max-conn has room, the gateway is not stopping and a spare
 * incoming job is ready; else 404 (no route) or 486 (with no spare job,
 * the refill is asked for). Runs on a line thread and never blocks it: it
 * takes a spare job under a lock and posts the call record to the mail
 * thread, which has it written into the job.
 */
void onramp_route(const struct sip_call_info *info, struct sip_route_decision *d,
    void *arg);
/*
 * The config alone on a call to dnis: the mmoip dial-peer whose mailto
 * target gets its pages, else NULL with *why (the 404's reason). *voip is
 * the voip dial-peer whose incoming called-number admitted it, or NULL
 * when no voip dial-peer has one (every number goes to the mmoip peers).
 * Points into cfg. Any thread.
 */
const struct config_dial_peer *onramp_route_peer(const struct config *cfg, const char *dnis,
    const struct config_dial_peer **voip, const char **why);
/* Writes to out, step by step, how a call to dnis would be routed with cfg
 * (offline). 0 when it would be answered, else -1. */
int onramp_route_explain(const struct config *cfg, const char *dnis, FILE *out);
/* The line's SIP_EV_FAX_RECEIVED of an onramp call: the mail is built. */
void onramp_fax_received(struct onramp *o, const struct sip_event *ev);
/* The line's SIP_EV_CALL_FINISHED of an onramp call: a call that left no
 * pages is logged and its incoming job removed. */
void onramp_call_finished(struct onramp *o, const struct sip_event *ev);
/* Shutdown began: new calls get 486; calls in progress finish. */
void onramp_stop(struct onramp *o);
/* Mail jobs being built. */
unsigned onramp_inflight(const struct onramp *o);
/* The spare incoming jobs ready for calls now, and into *target how many
 * are kept (it doubles after a burst outran them). Any thread. */
unsigned onramp_spare(struct onramp *o, unsigned *target);
/* Waits for the mail being built, then frees. Accepts NULL. */
void onramp_free(struct onramp *o);

/* A fax received: plain data from the line thread (or a recovery). */
struct onramp_fax {
	const char *call_id;            /* required */
	const char *tiff_path;          /* required: the received TIFF (Profile
	                                   S unless the peer is passthrough) */
	bool remove_tiff;               /* unlink tiff_path once the job is durable */
	const char *ani, *dnis, *rdnis; /* numbers from the call */
	const char *remote_csi;         /* the sender's TSI */
	unsigned pages, rate, duration;
	bool ecm;
	bool partial;                   /* the call ended early */
	const char *reason;             /* why, in plain words (partial) */
	time_t ended;                   /* 0: now */
};

/*
 * The mail of one received fax, in the calling thread (blocking: it
 * converts pages and fsyncs): matches the mmoip dial-peer on the called
 * number, expands its session target, builds the message, commits message
 * + TIFF + envelope as one job of SPOOL_Q_MAIL, and logs. It does not
 * schedule the job (mailq_add()). Returns 0 (committed; id holds the job
 * id; with remove_tiff the caller's file is gone, else it may be
 * removed), 1 when the fax is not mailed by policy (0 pages,
 * `success-fax-only` with a partial fax; logged with the reason), -1 on
 * an error (logged; the caller's file is kept).
 */
int onramp_mail(const struct config *cfg, struct spool *sp, const struct onramp_fax *fr,
    char id[SPOOL_ID_LEN + 1]);

#endif
