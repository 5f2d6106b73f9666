/*
 * sip/lanes: a fork-and-join pool for the calls' frames (see lanes.h).
 *
 * Items are taken one at a time from a shared cursor, so a lane that
 * meets a heavy frame (a page's modem at 14,400 bit/s, an ECM block being
 * checked) does not hold back the others' calls. The lanes sleep on a
 * condition between ticks: 50 wake-ups a second each.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sip/lanes.h"
#include "util/log.h"
#include "util/thread_role.h"

struct sip_lane {
	struct sip_lanes *pool;                 /* not owned */
	pthread_t thread;
	unsigned idx;                           /* 0 is the caller's */
	unsigned long ran;                      /* items run; under pool->lock
	                                           once published */
};

struct sip_lanes {
	pthread_mutex_t lock;
	pthread_cond_t work;                    /* a new generation, or quit */
	pthread_cond_t done;                    /* busy fell to 0 */
	unsigned n;                             /* threads in all */
	unsigned started;                       /* lanes[1..started] run */
	unsigned long gen;                      /* bumped by each run */
	unsigned busy;                          /* lanes still in this run */
	bool quit;
	/* the current run: set under lock before gen moves */
	void **items;
	unsigned nitems;
	sip_lanes_fn *fn;
	unsigned next;                          /* atomic cursor into items */
	struct sip_lane lanes[SIP_LANES_MAX];
};

/* Table of contents. */
static void *sip_lanes_main(void *arg);
static unsigned long sip_lanes_drain(struct sip_lanes *l);
static int sip_lanes_sched(pthread_t t, unsigned rt_priority);

unsigned
sip_lanes_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > SIP_LANES_MAX ? SIP_LANES_MAX : (unsigned)n;
}

struct sip_lanes *
sip_lanes_new(unsigned n, unsigned rt_priority, char *err, size_t errlen)
{
	struct sip_lanes *l;
	unsigned i;
	int e;

	if (n < 1)
		n = 1;
	if (n > SIP_LANES_MAX)
		n = SIP_LANES_MAX;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->work, NULL);
	pthread_cond_init(&l->done, NULL);
	l->n = n;
	for (i = 0; i < n; i++) {
		l->lanes[i].pool = l;
		l->lanes[i].idx = i;
	}
	for (i = 1; i < n; i++) {
		if ((e = pthread_create(&l->lanes[i].thread, NULL, sip_lanes_main,
		    &l->lanes[i])) != 0) {
			snprintf(err, errlen, "cannot start media thread %u of %u: %s", i + 1, n,
			    strerror(e));
			sip_lanes_free(l);
			return NULL;
		}
		l->started = i;
		if (rt_priority > 0 && (e = sip_lanes_sched(l->lanes[i].thread, rt_priority)) != 0 &&
		    i == 1)
			log_warnx("sip: event=realtime policy=rr priority=%u result=refused "
			    "thread=media reason=\"%s\"", rt_priority, strerror(e));
	}
	return l;
}

void
sip_lanes_free(struct sip_lanes *l)
{
	unsigned i;

	if (l == NULL)
		return;
	pthread_mutex_lock(&l->lock);
	l->quit = true;
	pthread_cond_broadcast(&l->work);
	pthread_mutex_unlock(&l->lock);
	for (i = 1; i <= l->started; i++)
		pthread_join(l->lanes[i].thread, NULL);
	pthread_cond_destroy(&l->done);
	pthread_cond_destroy(&l->work);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

unsigned
sip_lanes_count(const struct sip_lanes *l)
{
	return l != NULL ? l->n : 1;
}

void
sip_lanes_run(struct sip_lanes *l, void **items, unsigned n, sip_lanes_fn *fn)
{
	unsigned long ran;
	unsigned i;

	if (n == 0)
		return;
	/* One item, or no lanes: not worth a wake-up. */
	if (l->n <= 1 || n == 1) {
		for (i = 0; i < n; i++)
			fn(items[i]);
		pthread_mutex_lock(&l->lock);
		l->lanes[0].ran += n;
		pthread_mutex_unlock(&l->lock);
		return;
	}
	pthread_mutex_lock(&l->lock);
	l->items = items;
	l->nitems = n;
	l->fn = fn;
	__atomic_store_n(&l->next, 0, __ATOMIC_RELAXED);
	l->busy = l->n - 1;
	l->gen++;
	pthread_cond_broadcast(&l->work);
	pthread_mutex_unlock(&l->lock);
	ran = sip_lanes_drain(l);
	pthread_mutex_lock(&l->lock);
	l->lanes[0].ran += ran;
	/* Every lane leaves the run before the caller goes on: what they
	 * wrote into the items is the caller's again after this lock. */
	while (l->busy > 0)
		pthread_cond_wait(&l->done, &l->lock);
	l->items = NULL;
	pthread_mutex_unlock(&l->lock);
}

void
sip_lanes_realtime(struct sip_lanes *l, unsigned rt_priority)
{
	unsigned i;
	int e;

	for (i = 1; l != NULL && i <= l->started; i++)
		if ((e = sip_lanes_sched(l->lanes[i].thread, rt_priority)) != 0) {
			log_warnx("sip: event=realtime policy=%s priority=%u result=refused "
			    "thread=media reason=\"%s\"", rt_priority > 0 ? "rr" : "other",
			    rt_priority, strerror(e));
			return;
		}
}

unsigned
sip_lanes_counts(struct sip_lanes *l, unsigned long *counts, unsigned max)
{
	unsigned i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->n && i < max; i++)
		counts[i] = l->lanes[i].ran;
	pthread_mutex_unlock(&l->lock);
	return l->n;
}

/* --- the lanes -------------------------------------------------------- */

static void *
sip_lanes_main(void *arg)
{
	struct sip_lane *lane = arg;
	struct sip_lanes *l = lane->pool;
	unsigned long seen = 0, ran;
	char name[16];
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	snprintf(name, sizeof(name), "t37-media%u", lane->idx);
	pthread_setname_np(pthread_self(), name);
	/* The same real-time rule as the line thread: no spool, no TIFF. */
	thread_role_set_line(true);
	pthread_mutex_lock(&l->lock);
	for (;;) {
		while (l->gen == seen && !l->quit)
			pthread_cond_wait(&l->work, &l->lock);
		if (l->quit)
			break;
		seen = l->gen;
		pthread_mutex_unlock(&l->lock);
		ran = sip_lanes_drain(l);
		pthread_mutex_lock(&l->lock);
		lane->ran += ran;
		if (--l->busy == 0)
			pthread_cond_signal(&l->done);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* Takes items off the shared cursor until none are left; how many ran. */
static unsigned long
sip_lanes_drain(struct sip_lanes *l)
{
	unsigned long ran = 0;
	unsigned i;

	while ((i = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED)) < l->nitems) {
		l->fn(l->items[i]);
		ran++;
	}
	return ran;
}

static int
sip_lanes_sched(pthread_t t, unsigned rt_priority)
{
	struct sched_param sp;

	memset(&sp, 0, sizeof(sp));
	sp.sched_priority = (int)rt_priority;
	return pthread_setschedparam(t, rt_priority > 0 ? SCHED_RR : SCHED_OTHER, &sp);
}
