/* Unit tests for sip/lanes: the calls' frames spread over media threads. */
#include <check.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "sip/lanes.h"

#define ITEMS 200

struct item {
	unsigned runs;          /* written by whichever lane runs the item */
	pthread_t by;
	unsigned delay_us;
};

static void
work(void *arg)
{
	struct item *it = arg;
	struct timespec ts;

	it->runs++;
	it->by = pthread_self();
	if (it->delay_us > 0) {
		ts.tv_sec = 0;
		ts.tv_nsec = (long)it->delay_us * 1000;
		nanosleep(&ts, NULL);
	}
}

static void
run(struct sip_lanes *l, struct item *items, unsigned n)
{
	void *ptrs[ITEMS];
	unsigned i;

	for (i = 0; i < n; i++)
		ptrs[i] = &items[i];
	sip_lanes_run(l, ptrs, n, work);
}

/* Every item runs exactly once per run, over many runs: none is lost or
 * run twice at the edges of a run (the last item, a lane waking late). */
START_TEST(test_sip_lanes_each_item_once)
{
	static struct item items[ITEMS];
	unsigned long counts[4];
	struct sip_lanes *l;
	char err[128];
	unsigned r, i, n;
	unsigned long sum = 0;

	memset(items, 0, sizeof(items));
	l = sip_lanes_new(4, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_uint_eq(sip_lanes_count(l), 4);
	for (r = 0; r < 500; r++)
		run(l, items, 1 + r % ITEMS);
	for (r = 0, n = 0; r < 500; r++)
		n += 1 + r % ITEMS;
	for (i = 0, r = 0; i < ITEMS; i++)
		r += items[i].runs;
	ck_assert_uint_eq(r, n);
	ck_assert_uint_eq(sip_lanes_counts(l, counts, 4), 4);
	for (i = 0; i < 4; i++)
		sum += counts[i];
	ck_assert_uint_eq(sum, n);
	sip_lanes_free(l);
}
END_TEST

/* Slow items: the lanes take some, not the caller alone. */
START_TEST(test_sip_lanes_spread)
{
	static struct item items[100];
	unsigned long counts[2];
	struct sip_lanes *l;
	pthread_t me = pthread_self();
	char err[128];
	unsigned i, other = 0;

	memset(items, 0, sizeof(items));
	for (i = 0; i < 100; i++)
		items[i].delay_us = 1000;
	l = sip_lanes_new(2, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	run(l, items, 100);
	for (i = 0; i < 100; i++) {
		ck_assert_uint_eq(items[i].runs, 1);
		other += !pthread_equal(items[i].by, me);
	}
	ck_assert_msg(other > 0 && other < 100, "the lane ran %u of 100", other);
	sip_lanes_counts(l, counts, 2);
	ck_assert_uint_eq(counts[1], other);
	ck_assert_uint_eq(counts[0], 100 - other);
	sip_lanes_free(l);
}
END_TEST

/* One thread: everything on the caller, no thread started. */
START_TEST(test_sip_lanes_one_thread)
{
	static struct item items[10];
	struct sip_lanes *l;
	char err[128];
	unsigned i;

	memset(items, 0, sizeof(items));
	l = sip_lanes_new(0, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_uint_eq(sip_lanes_count(l), 1);
	run(l, items, 10);
	run(l, items, 0);
	for (i = 0; i < 10; i++) {
		ck_assert_uint_eq(items[i].runs, 1);
		ck_assert(pthread_equal(items[i].by, pthread_self()));
	}
	sip_lanes_free(l);
	sip_lanes_free(NULL);
}
END_TEST

/* Out-of-range counts are clamped; the default is at least one. */
START_TEST(test_sip_lanes_limits)
{
	struct sip_lanes *l;
	char err[128];

	ck_assert_uint_ge(sip_lanes_default(), 1);
	ck_assert_uint_le(sip_lanes_default(), SIP_LANES_MAX);
	l = sip_lanes_new(SIP_LANES_MAX + 10, 0, err, sizeof(err));
	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_uint_eq(sip_lanes_count(l), SIP_LANES_MAX);
	/* back to normal scheduling on a running set: never fatal */
	sip_lanes_realtime(l, 0);
	sip_lanes_free(l);
}
END_TEST

Suite *
suite_sip_lanes(void)
{
	Suite *s = suite_create("sip_lanes");
	TCase *tc = tcase_create("lanes");

	tcase_add_test(tc, test_sip_lanes_each_item_once);
	tcase_add_test(tc, test_sip_lanes_spread);
	tcase_add_test(tc, test_sip_lanes_one_thread);
	tcase_add_test(tc, test_sip_lanes_limits);
	suite_add_tcase(s, tc);
	return s;
}
