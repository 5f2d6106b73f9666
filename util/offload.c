/*
 * util/offload: work on a GThreadPool, completions through a util/chan
 * read by a libevent event on the owner's loop (see offload.h). It counts
 * what is unfinished under a lock so that offload_drain() can wait for it
 * without polling.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>
#include <glib.h>

#include "util/chan.h"
#include "util/log.h"
#include "util/offload.h"

#define OFFLOAD_NAME_MAX 32

/* One work and its completion; travels pool -> loop through o->done. */
struct offload_job {
	struct chan_msg msg;            /* first: the chan's link */
	offload_fn *work;
	offload_fn *done;
	void *arg;                      /* the caller's, lent to work and done */
};

struct offload {
	char name[OFFLOAD_NAME_MAX];
	GThreadPool *pool;              /* owned */
	struct chan *done;              /* owned: finished jobs, pool -> loop */
	struct event *ev;               /* owned: reads done on the loop */
	unsigned pending;               /* loop thread: run, completion not yet */
	pthread_mutex_t lock;           /* guards running */
	pthread_cond_t idle;            /* signalled when running drops to 0 */
	unsigned running;               /* queued or running on the pool */
};

static void offload_worker(gpointer data, gpointer user);
static void offload_done_cb(evutil_socket_t fd, short what, void *arg);
static void offload_complete(struct offload *o);

struct offload *
offload_new(struct event_base *base, const char *name, unsigned threads, char *err,
    size_t errlen)
{
	struct offload *o = calloc(1, sizeof(*o));
	GError *gerr = NULL;

	if (o == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	snprintf(o->name, sizeof(o->name), "%s", name);
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->idle, NULL);
	if ((o->done = chan_new()) == NULL) {
		snprintf(err, errlen, "%s: cannot make its channel: %s", name, strerror(errno));
		goto fail;
	}
	o->ev = event_new(base, chan_fd(o->done), EV_READ | EV_PERSIST, offload_done_cb, o);
	if (o->ev == NULL || event_add(o->ev, NULL) == -1) {
		snprintf(err, errlen, "%s: cannot watch its channel", name);
		goto fail;
	}
	o->pool = g_thread_pool_new(offload_worker, o, threads > 0 ? (gint)threads : 1,
	    FALSE, &gerr);
	if (o->pool == NULL) {
		snprintf(err, errlen, "%s: no thread pool: %s", name,
		    gerr != NULL ? gerr->message : "unknown error");
		g_clear_error(&gerr);
		goto fail;
	}
	return o;
fail:
	offload_free(o);
	return NULL;
}

int
offload_run(struct offload *o, offload_fn *work, offload_fn *done, void *arg)
{
	struct offload_job *j = calloc(1, sizeof(*j));
	GError *gerr = NULL;

	if (j == NULL)
		return -1;
	j->work = work;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&o->lock);
	o->running++;
	pthread_mutex_unlock(&o->lock);
	o->pending++;
	/* A non-exclusive pool only fails when it cannot make a thread and
	 * has none; the job then stays queued for the next one. */
	if (!g_thread_pool_push(o->pool, j, &gerr)) {
		log_warnx("event=offload name=%s result=queued error=\"%s\"", o->name,
		    gerr != NULL ? gerr->message : "?");
		g_clear_error(&gerr);
	}
	return 0;
}

/* On a pool thread. */
static void
offload_worker(gpointer data, gpointer user)
{
	struct offload_job *j = data;
	struct offload *o = user;

	j->work(j->arg);
	chan_push(o->done, &j->msg);
	pthread_mutex_lock(&o->lock);
	if (--o->running == 0)
		pthread_cond_broadcast(&o->idle);
	pthread_mutex_unlock(&o->lock);
}

/* On the loop: every finished job's completion. */
static void
offload_complete(struct offload *o)
{
	struct chan_msg *m;
	struct offload_job *j;

	while ((m = chan_pop(o->done)) != NULL) {
		j = (struct offload_job *)m;
		o->pending--;
		if (j->done != NULL)
			j->done(j->arg);
		free(j);
	}
}

static void
offload_done_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	offload_complete(arg);
}

unsigned
offload_pending(const struct offload *o)
{
	return o->pending;
}

void
offload_drain(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	while (o->running > 0)
		pthread_cond_wait(&o->idle, &o->lock);
	pthread_mutex_unlock(&o->lock);
	offload_complete(o);
}

void
offload_free(struct offload *o)
{
	if (o == NULL)
		return;
	if (o->pool != NULL) {
		/* A completion may queue more work: drain until none is left. */
		do
			offload_drain(o);
		while (o->pending > 0);
		g_thread_pool_free(o->pool, FALSE, TRUE);
	}
	if (o->ev != NULL)
		event_free(o->ev);
	chan_free(o->done, NULL);
	pthread_cond_destroy(&o->idle);
	pthread_mutex_destroy(&o->lock);
	free(o);
}
