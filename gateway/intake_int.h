/*
 * gateway/intake_int.h: shared by gateway/intake.c (policy, sessions) and
 * gateway/intake_commit.c (the committer thread). Private to those files.
 */
#ifndef T37_GW_INTAKE_INT_H
#define T37_GW_INTAKE_INT_H

#include <pthread.h>
#include <sys/queue.h>

#include "gateway/intake.h"
#include "gateway/spool.h"

/* Committer threads. One is fastest: while it flushes (syncfs), every
 * message finished meanwhile waits for it, so the next batch is larger;
 * parallel committers only split batches and flush more often (measured
 * with smtp-source, 20 sessions of 1 KB messages, spool on a loop-mounted
 * ext4 where every flush is slow: 1 thread 2900-3300 msgs/s, 2 threads
 * 2400, 4 threads 2100). */
#define INTAKE_COMMITTERS 1
/* A message up to this size is held in memory until its final dot and the
 * committer thread writes it into its spool job, so the event loop never
 * creates files for it; a larger one spills into its job while it arrives.
 * Memory held: at most the SMTP session cap times this. */
#define INTAKE_MEM_SPILL (256 * 1024)
/* Jobs committed together at most (one spool_job_commit_many() call). */
#define INTAKE_COMMIT_BATCH 256
/* Longest per-message log summary (from, recipients). */
#define INTAKE_SUMMARY_MAX 1024

/* One message handed to the committer; ownership moves with it. */
struct intake_commit {
	TAILQ_ENTRY(intake_commit) entry;
	unsigned long long sess;                /* session id (house style 14) */
	struct spool_job *job;                  /* owned until committed, or NULL: */
	char *msg;                              /* owned: the message to write */
	size_t msglen;                          /*   into a new job (committer) */
	struct spool_rec *env;                  /* owned: its envelope, likewise */
	char id[SPOOL_ID_LEN + 1];              /* set once the job exists */
	int ok;                                 /* set by the committer */
	int err;                                /* errno of a failure */
	char summary[INTAKE_SUMMARY_MAX];       /* "client=... from=... rcpt=... size=..." */
};
TAILQ_HEAD(intake_commitq, intake_commit);

struct intake_committer {
	pthread_t threads[INTAKE_COMMITTERS];
	int started;                            /* threads running */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct intake_commitq pending;          /* loop -> thread */
	struct intake_commitq done;             /* thread -> loop */
	int stopping;
	unsigned busy;                          /* pushed, not yet finished */
	int efd;                                /* eventfd: "done has entries" */
	struct event *ev;                       /* owned; reads efd on the loop */
	struct spool *spool;                    /* borrowed */
	void (*finish)(void *arg, struct intake_commit *c);     /* on the loop */
	void *arg;
};

int intake_committer_start(struct intake_committer *cm, struct event_base *base,
    struct spool *spool, void (*finish)(void *, struct intake_commit *), void *arg);
/* Queues c (ownership moves to the committer). */
void intake_committer_push(struct intake_committer *cm, struct intake_commit *c);
/* Commits handed over and not yet answered. */
unsigned intake_committer_busy(struct intake_committer *cm);
/* Commits what is pending, stops the thread, finishes what is done. */
void intake_committer_stop(struct intake_committer *cm);

#endif
