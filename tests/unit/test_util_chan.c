/*
 * Unit tests for util/chan and util/offload: the FIFO order and the
 * descriptor's readiness, many producers at once, waiting with a timeout,
 * what a free does with messages still queued; offloaded work on pool
 * threads with completions on the loop, in order for one thread, at most
 * N at once for N, drained before free (also work queued by a completion).
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "util/chan.h"
#include "util/offload.h"

#define PRODUCERS 4
#define PER_PRODUCER 20000

struct tmsg {
	struct chan_msg m;
	int producer;
	int seq;
};

static int
readable(struct chan *c)
{
	struct pollfd p = { chan_fd(c), POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static struct tmsg *
tmsg(int producer, int seq)
{
	struct tmsg *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	t->producer = producer;
	t->seq = seq;
	return t;
}

START_TEST(test_chan_fifo_and_readiness)
{
	struct chan *c = chan_new();
	struct tmsg *t;
	int i;

	ck_assert_ptr_nonnull(c);
	ck_assert(!readable(c));
	ck_assert_ptr_null(chan_pop(c));
	for (i = 0; i < 3; i++) {
		chan_push(c, &tmsg(0, i)->m);
		ck_assert(readable(c));
	}
	ck_assert_uint_eq(chan_count(c), 3);
	for (i = 0; i < 3; i++) {
		ck_assert(readable(c));                 /* while anything is queued */
		t = (struct tmsg *)chan_pop(c);
		ck_assert_ptr_nonnull(t);
		ck_assert_int_eq(t->seq, i);
		ck_assert_ptr_null(t->m.next);
		free(t);
	}
	ck_assert(!readable(c));                        /* empty: quiet */
	ck_assert_ptr_null(chan_pop(c));
	chan_free(c, NULL);
	chan_free(NULL, NULL);
}
END_TEST

static void *
producer(void *arg)
{
	struct chan *c = ((void **)arg)[0];
	int who = (int)(long)((void **)arg)[1], i;

	for (i = 0; i < PER_PRODUCER; i++)
		chan_push(c, &tmsg(who, i)->m);
	return NULL;
}

/* Producers on their own threads, one consumer that sleeps in poll():
 * nothing lost, nothing twice, each producer's messages in its order. */
START_TEST(test_chan_many_producers)
{
	struct chan *c = chan_new();
	pthread_t th[PRODUCERS];
	void *args[PRODUCERS][2];
	int next[PRODUCERS] = { 0 }, got = 0, i;
	struct tmsg *t;

	for (i = 0; i < PRODUCERS; i++) {
		args[i][0] = c;
		args[i][1] = (void *)(long)i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, producer, args[i]), 0);
	}
	while (got < PRODUCERS * PER_PRODUCER) {
		t = (struct tmsg *)chan_pop_wait(c, 10000);
		ck_assert_msg(t != NULL, "stalled after %d messages", got);
		ck_assert_int_eq(t->seq, next[t->producer]);
		next[t->producer]++;
		got++;
		free(t);
	}
	for (i = 0; i < PRODUCERS; i++)
		pthread_join(th[i], NULL);
	ck_assert_ptr_null(chan_pop(c));
	ck_assert(!readable(c));
	chan_free(c, NULL);
}
END_TEST

static int dropped;

static void
count_drop(struct chan_msg *m)
{
	dropped++;
	free(m);
}

START_TEST(test_chan_wait_and_free)
{
	struct chan *c = chan_new();
	struct timespec t0, t1;
	double secs;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_ptr_null(chan_pop_wait(c, 150));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_msg(secs >= 0.14, "returned after %.3f s, not 0.15", secs);
	ck_assert_ptr_null(chan_pop_wait(c, 0));
	chan_push(c, &tmsg(0, 0)->m);
	chan_push(c, &tmsg(0, 1)->m);
	dropped = 0;
	chan_free(c, count_drop);
	ck_assert_int_eq(dropped, 2);
}
END_TEST

/* ---- offload ---- */

struct ojob {
	pthread_t loop;                 /* the test's (loop) thread */
	pthread_t ran_on;
	int index;
	int *order;                     /* completion order, shared */
	int *norder;
	unsigned sleep_ms;
	int *active, *max_active;       /* concurrency watch, shared */
	pthread_mutex_t *mu;
	struct offload *o;              /* for the chained case */
	int chain;                      /* completions that queue another */
	int done;
};

static void
owork(void *arg)
{
	struct ojob *j = arg;

	j->ran_on = pthread_self();
	if (j->mu != NULL) {
		pthread_mutex_lock(j->mu);
		if (++*j->active > *j->max_active)
			*j->max_active = *j->active;
		pthread_mutex_unlock(j->mu);
	}
	usleep(j->sleep_ms * 1000);
	if (j->mu != NULL) {
		pthread_mutex_lock(j->mu);
		--*j->active;
		pthread_mutex_unlock(j->mu);
	}
}

static void
odone(void *arg)
{
	struct ojob *j = arg;

	ck_assert(pthread_equal(pthread_self(), j->loop));      /* on the loop */
	ck_assert(!pthread_equal(j->ran_on, j->loop));          /* work was not */
	j->order[(*j->norder)++] = j->index;
	j->done = 1;
	if (j->chain > 0) {
		j->chain--;
		j->done = 0;
		ck_assert_int_eq(offload_run(j->o, owork, odone, j), 0);
	}
}

/* One thread: works in submission order, completions after each, on the
 * loop; pending counts until the completion ran; the loop is not blocked
 * while they run. */
START_TEST(test_offload_one_thread_in_order)
{
	struct event_base *base = event_base_new();
	struct ojob jobs[8];
	int order[16], norder = 0, i;
	struct offload *o;
	char err[128];

	o = offload_new(base, "test", 1, err, sizeof(err));
	ck_assert_msg(o != NULL, "%s", err);
	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 8; i++) {
		jobs[i] = (struct ojob){ .loop = pthread_self(), .index = i, .order = order,
		    .norder = &norder, .sleep_ms = 5 };
		ck_assert_int_eq(offload_run(o, owork, odone, &jobs[i]), 0);
	}
	ck_assert_uint_eq(offload_pending(o), 8);
	while (norder < 8)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_uint_eq(offload_pending(o), 0);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(order[i], i);
		ck_assert(jobs[i].done);
	}
	offload_free(o);
	event_base_free(base);
}
END_TEST

/* N threads: never more than N works at once, but more than one. */
START_TEST(test_offload_threads_bound)
{
	struct event_base *base = event_base_new();
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	int order[32], norder = 0, active = 0, max_active = 0, i;
	struct ojob jobs[24];
	struct offload *o;
	char err[128];

	o = offload_new(base, "test", 3, err, sizeof(err));
	ck_assert_ptr_nonnull(o);
	for (i = 0; i < 24; i++) {
		jobs[i] = (struct ojob){ .loop = pthread_self(), .index = i, .order = order,
		    .norder = &norder, .sleep_ms = 20, .active = &active,
		    .max_active = &max_active, .mu = &mu };
		ck_assert_int_eq(offload_run(o, owork, odone, &jobs[i]), 0);
	}
	offload_drain(o);               /* waits, then runs every completion */
	ck_assert_int_eq(norder, 24);
	ck_assert_int_le(max_active, 3);
	ck_assert_int_ge(max_active, 2);
	offload_free(o);
	event_base_free(base);
}
END_TEST

/* A completion that queues more work: free runs that too before it
 * returns, so nothing the owner frees next is touched afterwards. */
START_TEST(test_offload_free_drains_chains)
{
	struct event_base *base = event_base_new();
	int order[32], norder = 0;
	struct ojob j;
	struct offload *o;
	char err[128];

	o = offload_new(base, "test", 2, err, sizeof(err));
	ck_assert_ptr_nonnull(o);
	j = (struct ojob){ .loop = pthread_self(), .order = order, .norder = &norder,
	    .sleep_ms = 10, .o = o, .chain = 3 };
	ck_assert_int_eq(offload_run(o, owork, odone, &j), 0);
	offload_free(o);
	ck_assert_int_eq(norder, 4);
	ck_assert(j.done);
	event_base_free(base);
}
END_TEST

Suite *
suite_util_chan(void)
{
	Suite *s = suite_create("util_chan");
	TCase *tc = tcase_create("chan");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_chan_fifo_and_readiness);
	tcase_add_test(tc, test_chan_many_producers);
	tcase_add_test(tc, test_chan_wait_and_free);
	tcase_add_test(tc, test_offload_one_thread_in_order);
	tcase_add_test(tc, test_offload_threads_bound);
	tcase_add_test(tc, test_offload_free_drains_chains);
	suite_add_tcase(s, tc);
	return s;
}
