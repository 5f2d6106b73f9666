/*
 * gateway/offramp/run_int.h: what the two halves of the offramp runner share
 * on the mail thread: run.c (loading, calling, reports, the end of
 * a job) and prep.c (preparing each job's document in a worker
 * process, the count of preparations a daemon death interrupted, and the
 * quarantine). Not for use outside them (and their tests).
 */
#ifndef T37_OFFRAMP_RUN_INT_H
#define T37_OFFRAMP_RUN_INT_H

#include <limits.h>
#include <time.h>

#include <glib.h>

#include "gateway/offramp/call.h"
#include "gateway/offramp/job.h"
#include "gateway/offramp/offramp.h"
#include "gateway/offramp/order.h"
#include "gateway/offramp/worker.h"
#include "gateway/spool/spool.h"

struct cdr;
struct event;
struct config;

/* A job's document is prepared at most this many times with the daemon
 * dying meanwhile; then it goes to the failed queue (a poison message). */
#define OFFRAMP_PREP_DEATHS_MAX 2
/* The spool file that counts them (a record: "starts N"). */
#define OFFRAMP_PREP_FILE "prep"
#define OFFRAMP_FAX_FILE "fax.tif"
#define OFFRAMP_STATE_FILE "state"       /* the job's progress (a record) */
#define OFFRAMP_WORKER_EXE "/proc/self/exe"

enum ojob_phase {
	OJ_LOADED = 0,        /* waiting for a document worker */
	OJ_RENDERING,         /* queued for, or in, a worker */
	OJ_CALLING,           /* document ready; the ladder runs */
	OJ_WAITING,           /* local trouble; prepared again later */
};

/* One job in memory. Owned by the runner's table (key: id). */
struct ojob {
	struct offramp *o;                /* borrowed */
	char id[SPOOL_ID_LEN + 1];
	enum ojob_phase phase;
	struct offramp_job *job;          /* owned */
	struct mime_offramp *msg;            /* owned: header facts; NULL until prepared */
	unsigned pages;
	unsigned calls;                      /* calls in progress */
	struct event *timer;                 /* owned */
	struct offramp_worker *worker;            /* owned while it runs */
	unsigned prep_starts;                /* preparations begun, not finished */
	int quarantine;                      /* goes to the failed queue when told */
};

struct offramp {
	struct event_base *base;             /* borrowed */
	struct spool *sp;                    /* borrowed */
	struct mailq *q;                     /* borrowed, may be NULL */
	const struct config *cfg;            /* held */
	offramp_dial_fn *dial;
	void *dial_arg;
	GHashTable *jobs;                    /* id -> struct ojob (owned) */
	GHashTable *calls;                   /* call_no -> struct ocall (owned) */
	struct offramp_calls *admit;              /* owned */
	struct offramp_order *order;              /* owned: per-number arrival order */
	uint64_t next_call_no;
	struct event *scan_ev;               /* owned: periodic rescan */
	GQueue pending;                      /* ids waiting for a worker (owned) */
	unsigned nworkers;                   /* workers running */
	char exe[PATH_MAX];                  /* the binary run as the worker */
	int stopping;
	struct cdr *cdr;                     /* borrowed: records; NULL none */
};

/* run.c */
int offramp_run_held(const struct offramp *o);
void offramp_run_job(struct ojob *j);
void offramp_run_fail_all(struct ojob *j, const struct mime_error *err);
void offramp_run_schedule(struct ojob *j, time_t when);
int offramp_run_persist(struct ojob *j);
void offramp_run_changed(struct ojob *j);

/* record.c */
/* The job's record as it ends; result "done", "quarantined", "failed". */
void offramp_record_job(struct ojob *j, const char *result);
/* The record of a call the line reported; j NULL when its job is gone. */
void offramp_record_call(struct offramp *o, const struct sip_event *ev, struct ojob *j,
    size_t rcpt, unsigned peer);
/* A job that could not be loaded, set aside in the failed queue. */
void offramp_record_unreadable(struct offramp *o, const char *id);

/* prep.c */
/* The daemon's own binary as the worker is started (OFFRAMP_WORKER_EXE), once
 * checked that it can be found. 0, or -1 with err. */
int offramp_prep_exe(char *buf, size_t size, char *err, size_t errlen);
/* Reads the job's count of interrupted preparations; marks it for the
 * quarantine at OFFRAMP_PREP_DEATHS_MAX. */
void offramp_prep_load(struct ojob *j);
/* Fails a job marked for the quarantine (a DSN saying the document could
 * not be processed); offramp_run_changed() then moves it to the failed queue.
 * May end (free) the job. */
void offramp_prep_quarantine(struct ojob *j);
/* Queues the job for a worker when a recipient still waits for a fax. */
void offramp_prep_request(struct ojob *j);
/* Starts workers for queued jobs, up to `fax send render-workers`. */
void offramp_prep_pump(struct offramp *o);
/* Kills a job's running worker (stop, or the job is going away) and
 * takes back its count: a preparation the daemon ended was no death. */
void offramp_prep_cancel(struct ojob *j);

#endif
