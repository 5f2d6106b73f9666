/*
 * gateway/intake/commit: the committer of the SMTP intake. Sessions hand
 * it finished messages; while no batch is running, every message waiting
 * becomes one batch committed on a pool thread (util/offload) with
 * spool_job_commit_many(): files, job directories and one queue directory
 * fsync per batch, a group commit across sessions. Messages that finish
 * meanwhile wait for the next batch, so a slow flush makes the next batch
 * larger, not the loop slower. The results come back to the loop, where
 * each session gets its 250 or 451. The pool thread never touches a
 * session (it knows them by id only).
 */
#include <sys/stat.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/intake/intake_int.h"
#include "gateway/metrics/metrics.h"
#include "util/log.h"
#include "util/offload.h"

/* One batch, from the loop to a pool thread and back. */
struct commit_batch {
	struct intake_committer *cm;
	size_t n;
	struct intake_commit *v[INTAKE_COMMIT_BATCH];   /* owned while it runs */
};

static void committer_next(struct intake_committer *cm);
static void committer_work(void *arg);
static void committer_done(void *arg);
static struct spool_job *committer_job(struct intake_committer *cm, struct intake_commit *c);

int
intake_committer_start(struct intake_committer *cm, struct event_base *base,
    struct spool *spool, void (*finish)(void *, struct intake_commit *), void *arg,
    char *err, size_t errlen)
{
	memset(cm, 0, sizeof(*cm));
	TAILQ_INIT(&cm->pending);
	cm->spool = spool;
	cm->finish = finish;
	cm->arg = arg;
	cm->off = offload_new(base, "intake-commit", INTAKE_COMMITTERS, err, errlen);
	return cm->off != NULL ? 0 : -1;
}

void
intake_committer_push(struct intake_committer *cm, struct intake_commit *c)
{
	cm->busy++;
	TAILQ_INSERT_TAIL(&cm->pending, c, entry);
	if (!cm->running)
		committer_next(cm);
}

unsigned
intake_committer_busy(struct intake_committer *cm)
{
	return cm->busy;
}

void
intake_committer_stop(struct intake_committer *cm)
{
	/* The drain runs every completion, and each starts the next batch:
	 * it returns once everything handed over was answered. */
	offload_free(cm->off);
	cm->off = NULL;
}

/* Everything that arrived while the last batch was syncing. */
static void
committer_next(struct intake_committer *cm)
{
	struct commit_batch *b;
	struct intake_commit *c;

	if (TAILQ_EMPTY(&cm->pending) || cm->off == NULL)
		return;
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		/* Nothing to carry the batch in: answer one message 451. */
		c = TAILQ_FIRST(&cm->pending);
		TAILQ_REMOVE(&cm->pending, c, entry);
		c->ok = 0;
		c->err = ENOMEM;
		spool_job_abort(c->job);
		c->job = NULL;
		free(c->msg);
		c->msg = NULL;
		spool_rec_free(c->env);
		c->env = NULL;
		cm->busy--;
		cm->finish(cm->arg, c);
		return;
	}
	b->cm = cm;
	while (b->n < INTAKE_COMMIT_BATCH && (c = TAILQ_FIRST(&cm->pending)) != NULL) {
		TAILQ_REMOVE(&cm->pending, c, entry);
		b->v[b->n++] = c;
	}
	cm->running = 1;
	if (offload_run(cm->off, committer_work, committer_done, b) == -1) {
		committer_work(b);      /* no memory to go off the loop: here */
		committer_done(b);
	}
}

/* On a pool thread. */
static void
committer_work(void *arg)
{
	struct commit_batch *b = arg;
	struct intake_committer *cm = b->cm;
	struct spool_job *jobs[INTAKE_COMMIT_BATCH];
	char path[4096];
	struct stat st;
	size_t i;
	int failed, err;
	double t0 = metrics_now();

	for (i = 0; i < b->n; i++) {
		b->v[i]->ok = 1;
		if (b->v[i]->job == NULL && (b->v[i]->job = committer_job(cm, b->v[i])) == NULL) {
			b->v[i]->ok = 0;
			b->v[i]->err = errno;
		}
		jobs[i] = b->v[i]->job;
		b->v[i]->job = NULL;    /* commit_many frees every job */
	}
	failed = spool_job_commit_many(jobs, b->n);
	err = errno;
	metrics_spool_commit(metrics_now() - t0);
	for (i = 0; i < b->n; i++) {
		if (failed == 0 || !b->v[i]->ok)
			continue;
		/* which ones? a job exists iff it is in its queue (spool.h) */
		if (spool_path(cm->spool, SPOOL_Q_OFFRAMP, b->v[i]->id, NULL, path,
		    sizeof(path)) == -1 || stat(path, &st) == -1) {
			b->v[i]->ok = 0;
			b->v[i]->err = err;
		}
	}
}

/* On the loop: each session is answered, then the next batch starts. */
static void
committer_done(void *arg)
{
	struct commit_batch *b = arg;
	struct intake_committer *cm = b->cm;
	size_t i;

	cm->running = 0;
	for (i = 0; i < b->n; i++) {
		cm->busy--;
		cm->finish(cm->arg, b->v[i]);   /* frees it */
	}
	free(b);
	committer_next(cm);
}

/* A message held in memory: its job is created and written here, off the
 * event loop. Frees the message and envelope; NULL + errno on failure
 * (nothing of the job stays in tmp/). */
static struct spool_job *
committer_job(struct intake_committer *cm, struct intake_commit *c)
{
	struct spool_job *job;
	const char *env;
	size_t envlen = 0;
	int err = 0;

	if ((job = spool_job_new(cm->spool, SPOOL_Q_OFFRAMP, c->id)) == NULL) {
		err = errno;
	} else {
		env = c->env != NULL ? spool_rec_data(c->env, &envlen) : NULL;
		if (env == NULL || spool_job_write(job, "msg", c->msg, c->msglen) == -1 ||
		    spool_job_write(job, "env", env, envlen) == -1) {
			err = env == NULL ? EINVAL : errno;
			spool_job_abort(job);
			job = NULL;
		}
	}
	free(c->msg);
	c->msg = NULL;
	spool_rec_free(c->env);
	c->env = NULL;
	errno = err;
	return job;
}
