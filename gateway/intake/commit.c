/*
 * gateway/intake_commit: the committer threads of the SMTP intake. Sessions
 * hand them finished spool jobs; a free thread commits every job waiting at once with
 * spool_job_commit_many() (files, job directories and one queue directory
 * fsync per batch: group commit across sessions) and hands the results
 * back to the event loop through an eventfd, where each session gets its
 * 250 or 451. The loop never waits on a disk; the thread never touches a
 * session (it knows them by id only).
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gateway/intake/intake_int.h"
#include "util/log.h"

static void *committer_main(void *arg);
static void committer_batch(struct intake_committer *cm, struct intake_commit **v, size_t n);
static void committer_done_cb(evutil_socket_t fd, short what, void *arg);
static void committer_drain(struct intake_committer *cm);
static struct spool_job *committer_job(struct intake_committer *cm, struct intake_commit *c);

int
intake_committer_start(struct intake_committer *cm, struct event_base *base,
    struct spool *spool, void (*finish)(void *, struct intake_commit *), void *arg)
{
	int i;

	memset(cm, 0, sizeof(*cm));
	TAILQ_INIT(&cm->pending);
	TAILQ_INIT(&cm->done);
	cm->spool = spool;
	cm->finish = finish;
	cm->arg = arg;
	pthread_mutex_init(&cm->lock, NULL);
	pthread_cond_init(&cm->cond, NULL);
	if ((cm->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		return -1;
	cm->ev = event_new(base, cm->efd, EV_READ | EV_PERSIST, committer_done_cb, cm);
	if (cm->ev == NULL || event_add(cm->ev, NULL) == -1) {
		if (cm->ev != NULL)
			event_free(cm->ev);
		cm->ev = NULL;
		close(cm->efd);
		return -1;
	}
	for (i = 0; i < INTAKE_COMMITTERS; i++) {
		if (pthread_create(&cm->threads[i], NULL, committer_main, cm) != 0)
			break;
		cm->started++;
	}
	if (cm->started == 0) {
		event_free(cm->ev);
		cm->ev = NULL;
		close(cm->efd);
		return -1;
	}
	return 0;
}

void
intake_committer_push(struct intake_committer *cm, struct intake_commit *c)
{
	cm->busy++;                     /* loop thread only */
	pthread_mutex_lock(&cm->lock);
	TAILQ_INSERT_TAIL(&cm->pending, c, entry);
	pthread_cond_signal(&cm->cond);
	pthread_mutex_unlock(&cm->lock);
}

unsigned
intake_committer_busy(struct intake_committer *cm)
{
	return cm->busy;
}

void
intake_committer_stop(struct intake_committer *cm)
{
	int i;

	if (!cm->started)
		return;
	pthread_mutex_lock(&cm->lock);
	cm->stopping = 1;
	pthread_cond_broadcast(&cm->cond);
	pthread_mutex_unlock(&cm->lock);
	for (i = 0; i < cm->started; i++)
		pthread_join(cm->threads[i], NULL);
	committer_drain(cm);            /* answers what the thread finished */
	event_free(cm->ev);
	close(cm->efd);
	pthread_mutex_destroy(&cm->lock);
	pthread_cond_destroy(&cm->cond);
	cm->started = 0;
}

static void *
committer_main(void *arg)
{
	struct intake_committer *cm = arg;
	struct intake_commit *v[INTAKE_COMMIT_BATCH], *c;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&cm->lock);
		while (TAILQ_EMPTY(&cm->pending) && !cm->stopping)
			pthread_cond_wait(&cm->cond, &cm->lock);
		if (TAILQ_EMPTY(&cm->pending) && cm->stopping) {
			pthread_mutex_unlock(&cm->lock);
			return NULL;
		}
		/* everything that arrived while the last batch was syncing */
		for (n = 0; n < INTAKE_COMMIT_BATCH && (c = TAILQ_FIRST(&cm->pending)) != NULL; n++) {
			TAILQ_REMOVE(&cm->pending, c, entry);
			v[n] = c;
		}
		pthread_mutex_unlock(&cm->lock);
		committer_batch(cm, v, n);
	}
}

static void
committer_batch(struct intake_committer *cm, struct intake_commit **v, size_t n)
{
	struct spool_job *jobs[INTAKE_COMMIT_BATCH];
	char path[4096];
	struct stat st;
	uint64_t one = 1;
	size_t i;
	int failed, err;

	for (i = 0; i < n; i++) {
		v[i]->ok = 1;
		if (v[i]->job == NULL && (v[i]->job = committer_job(cm, v[i])) == NULL) {
			v[i]->ok = 0;
			v[i]->err = errno;
		}
		jobs[i] = v[i]->job;
		v[i]->job = NULL;       /* commit_many frees every job */
	}
	failed = spool_job_commit_many(jobs, n);
	err = errno;
	for (i = 0; i < n; i++) {
		if (failed == 0 || !v[i]->ok)
			continue;
		/* which ones? a job exists iff it is in its queue (spool.h) */
		if (spool_path(cm->spool, SPOOL_Q_OFFRAMP, v[i]->id, NULL, path, sizeof(path)) == -1 ||
		    stat(path, &st) == -1) {
			v[i]->ok = 0;
			v[i]->err = err;
		}
	}
	pthread_mutex_lock(&cm->lock);
	for (i = 0; i < n; i++)
		TAILQ_INSERT_TAIL(&cm->done, v[i], entry);
	pthread_mutex_unlock(&cm->lock);
	if (write(cm->efd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("intake committer: eventfd");
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

static void
committer_drain(struct intake_committer *cm)
{
	struct intake_commitq q;
	struct intake_commit *c;

	TAILQ_INIT(&q);
	pthread_mutex_lock(&cm->lock);
	TAILQ_CONCAT(&q, &cm->done, entry);
	pthread_mutex_unlock(&cm->lock);
	while ((c = TAILQ_FIRST(&q)) != NULL) {
		TAILQ_REMOVE(&q, c, entry);
		cm->busy--;
		cm->finish(cm->arg, c);         /* frees c */
	}
}

static void
committer_done_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t v;

	(void)what;
	if (read(fd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("intake committer: eventfd");
	committer_drain(arg);
}
