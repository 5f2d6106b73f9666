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

/* Committer threads: while one waits in fsync, the next batch starts, and
 * the file system folds their journal commits together. */
#define INTAKE_COMMITTERS 4
/* Jobs committed together at most (one spool_job_commit_many() call). */
#define INTAKE_COMMIT_BATCH 256
/* Longest per-message log summary (from, recipients). */
#define INTAKE_SUMMARY_MAX 1024

/* One message handed to the committer; ownership moves with it. */
struct intake_commit {
	TAILQ_ENTRY(intake_commit) entry;
	unsigned long long sess;                /* session id (house style 14) */
	struct spool_job *job;                  /* owned until committed */
	char id[SPOOL_ID_LEN + 1];
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
/* Commits what is pending, stops the thread, finishes what is done. */
void intake_committer_stop(struct intake_committer *cm);

#endif
