/*
 * gateway/offramp: accepted mail into fax calls. It takes the jobs the
 * intake committed to the spool queue "offramp", prepares each message's
 * document (parse, render to fax pages) in a worker process so that a
 * hostile document fails one job and never the daemon, calls every
 * recipient through the SIP line (jobs to one number in arrival order, one
 * call per number, trunk and dial-peer caps), runs each recipient's retry
 * ladder on the calls' outcomes, and queues the DSNs and MDNs it owes into
 * the mail queue. It keeps each job's progress in the spool, so a restart
 * resumes every job.
 *
 * The room's files and private headers:
 *   retry.c  retry.h    the ladder, one state machine per recipient; NOTIFY
 *                       rules; a recipient's state record (no I/O, no clock)
 *   job.c    job.h      the intake's envelope, the job's progress, the
 *                       DSN/MDN it owes (no I/O)
 *   call.c   call.h     config -> calls, SIP outcomes -> the ladder, call
 *                       admission (no I/O)
 *   order.c  order.h    jobs to one number in arrival order
 *   pdf.c    pdf.h      Ghostscript, sandboxed and timed
 *   render.c render.h   message parts -> one fax document
 *   worker.c wire.c spawn.c  worker.h   the document worker process, what
 *                       it and the daemon say to each other, its daemon side
 *   run.c prep.c  run_int.h  the runner on the mail thread, and the
 *                       preparation of documents (poison jobs, quarantine)
 *   ops.c               the operator's view of the jobs and operations
 * Only this header is for the rest of the gateway.
 */
#ifndef T37_OFFRAMP_H
#define T37_OFFRAMP_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

struct cdr;
struct config;
struct json_object;
struct event_base;
struct mailq;
struct sip_dial_request;
struct sip_event;
struct spool;

/*
 * The document worker is this binary run again as "t37gw --render-worker
 * ID PPID" by the daemon: main() hands such a command line to
 * offramp_worker_main() (worker.c), which returns the exit status.
 */
#define OFFRAMP_WORKER_ARG "--render-worker"
int offramp_worker_main(int argc, char **argv);

/* Places one call; the daemon passes sip_line_dial() on its line. 0 or -1. */
typedef int (offramp_dial_fn)(void *arg, const struct sip_dial_request *req);

#define OFFRAMP_RESCAN 5            /* seconds between spool scans */
#define OFFRAMP_LOCAL_RETRY 60      /* seconds after local trouble (4.3.x) */

struct offramp;

/*
 * The offramp on the mail thread: takes the jobs the intake committed to
 * the spool queue "offramp", prepares each document in a worker process
 * (a job whose preparation the daemon's death interrupted twice is failed
 * and set aside instead), calls every recipient through dial (jobs to one
 * number in arrival order, one call per number, the trunk and dial-peer
 * caps), runs the retry ladder on each SIP_EV_CALL_FINISHED the
 * daemon hands to offramp_call_finished(), writes the job's progress
 * ("state") before each call and after each result, queues the DSNs and
 * MDNs it owes into the mail queue q (a job of SPOOL_Q_MAIL from <>; q may
 * be NULL: committed, not scheduled), and removes the job when every
 * recipient is final and reported. The worker is this process's own
 * binary (/proc/self/exe). sp and q are borrowed; a hold on cfg is taken.
 * NULL with err.
 */
struct offramp *offramp_new(struct event_base *base, struct spool *sp,
    struct mailq *q, const struct config *cfg, offramp_dial_fn *dial,
    void *dial_arg, char *err, size_t errlen);
/* A reloaded config for the next decisions (a hold is taken). */
void offramp_set_config(struct offramp *o, const struct config *cfg);
/* Where call and job records go (borrowed; NULL: none). */
void offramp_set_cdr(struct offramp *o, struct cdr *c);
/* Scans the spool: resumes every job (calls that were in progress at a
 * crash are placed again: at-least-once). 0, or -1 with err. */
int offramp_start(struct offramp *o, char *err, size_t errlen);
/* A job just committed by the intake: picked up now (else at the next scan). */
void offramp_add(struct offramp *o, const char *id);
/* An offramp call ended; events for unknown jobs are logged and dropped. */
void offramp_call_finished(struct offramp *o, const struct sip_event *ev);
/* Jobs in memory, calls in progress (status, tests). */
unsigned offramp_jobs(const struct offramp *o);
unsigned offramp_calls(const struct offramp *o);
/* Arrival of the oldest job in memory (0 when there is none): one pass
 * over the jobs, for the metrics. */
time_t offramp_oldest(const struct offramp *o);
/* Stops scheduling; kills the document workers still running (their jobs
 * are prepared again at the next start); frees. Jobs stay in the spool. */
void offramp_free(struct offramp *o);

/*
 * The operator's view and operations (ops.c), on the mail thread. JSON
 * objects returned are the caller's (json_object_put). Jobs are those in
 * memory ("offramp") and, where said, the offramp's jobs of the failed
 * queue (their "msg" and "env" files tell them from mail jobs).
 */
/* The jobs in memory as an array of summaries, in id order. */
struct json_object *offramp_ctl_list(struct offramp *o);
/* One job in full (envelope, pages, recipients and their last calls): a job
 * in memory or one of the failed queue. NULL with err ("no such job ID"). */
struct json_object *offramp_ctl_show(struct offramp *o, const char *id, char *err,
    size_t errlen);
/* A job of the failed queue as a summary when it is an offramp job, else NULL. */
struct json_object *offramp_ctl_failed(struct offramp *o, const char *id);
/* Recipients waiting for their retry timer are due now, and jobs waiting
 * after local trouble are prepared now; held jobs are not (an id that is
 * held is an error). *count gets the jobs that will be tried. 0 or -1 + err. */
int offramp_retry(struct offramp *o, const char *id /* NULL: all */, unsigned *count,
    char *err, size_t errlen);
/* hold 1: no new call for the job (one in progress finishes), persisted in
 * its state; hold 0: released and tried at once. Give-up still counts from
 * arrival. 0 or -1 + err. */
int offramp_hold(struct offramp *o, const char *id, int hold, char *err, size_t errlen);
/* Every recipient not final fails with 5.0.0 "deleted by the gateway's
 * operator" (a DSN as NOTIFY asks), then the job ends (job record result
 * "deleted"). Refused while a call of the job is in progress. A job of the
 * failed queue is removed without a DSN. 0 or -1 + err. */
int offramp_delete(struct offramp *o, const char *id, char *err, size_t errlen);
/* A job of the failed queue back into the offramp with a fresh start:
 * recipients not delivered get attempts 0 and give-up counted from now,
 * the count of interrupted preparations is cleared. 0 or -1 + err. */
int offramp_requeue(struct offramp *o, const char *id, char *err, size_t errlen);

/* Writes to out how the offramp would call number with cfg (offline): the
 * voip dial-peer, the target and number as dialed, caller identity, TSI,
 * T.38/ECM/speed, retries. 0 when a call would be made, else -1. */
int offramp_route_explain(const struct config *cfg, const char *number, FILE *out);

#endif
