/*
 * Unit tests for gateway/offramp/order: per destination number, jobs in
 * arrival order (then job id); only the first may call; taking the first
 * out names the next; jobs added out of order (a restart loads the spool
 * in directory order) still line up by arrival.
 */
#include <check.h>
#include <string.h>

#include "gateway/offramp/order.h"

START_TEST(test_order_basic)
{
	struct offramp_order *o = offramp_order_new();
	const char *next;

	/* Nothing queued: anyone may call. */
	ck_assert(offramp_order_first(o, "5551234", "aaa"));
	offramp_order_add(o, "5551234", 100, "a1");
	offramp_order_add(o, "5551234", 101, "b2");
	offramp_order_add(o, "5551234", 102, "c3");
	offramp_order_add(o, "5559999", 103, "d4");
	ck_assert_uint_eq(offramp_order_waiting(o, "5551234"), 3);
	ck_assert(offramp_order_first(o, "5551234", "a1"));
	ck_assert(!offramp_order_first(o, "5551234", "b2"));
	ck_assert(!offramp_order_first(o, "5551234", "c3"));
	ck_assert(offramp_order_first(o, "5559999", "d4"));
	/* A job not queued for a number does not wait for it. */
	ck_assert(offramp_order_first(o, "5551234", "d4"));
	/* A later one leaving changes nothing for the first. */
	ck_assert_ptr_null(offramp_order_remove(o, "5551234", "c3"));
	ck_assert(offramp_order_first(o, "5551234", "a1"));
	/* The first leaving names the next. */
	next = offramp_order_remove(o, "5551234", "a1");
	ck_assert_ptr_nonnull(next);
	ck_assert_str_eq(next, "b2");
	ck_assert(offramp_order_first(o, "5551234", "b2"));
	ck_assert_ptr_null(offramp_order_remove(o, "5551234", "b2"));
	ck_assert_uint_eq(offramp_order_waiting(o, "5551234"), 0);
	/* Removing what is not there is harmless. */
	ck_assert_ptr_null(offramp_order_remove(o, "5551234", "zz"));
	ck_assert_ptr_null(offramp_order_remove(o, "5550000", "zz"));
	offramp_order_free(o);
	offramp_order_free(NULL);
}
END_TEST

START_TEST(test_order_out_of_order_adds)
{
	struct offramp_order *o = offramp_order_new();
	const char *next;

	/* Loaded as the directory lists them, not as they arrived. */
	offramp_order_add(o, "5551234", 300, "c");
	offramp_order_add(o, "5551234", 100, "a");
	offramp_order_add(o, "5551234", 200, "b");
	/* Same second: the job id (creation order) decides. */
	offramp_order_add(o, "5551234", 200, "b0");
	offramp_order_add(o, "5551234", 100, "a");   /* once per job */
	ck_assert_uint_eq(offramp_order_waiting(o, "5551234"), 4);
	ck_assert(offramp_order_first(o, "5551234", "a"));
	next = offramp_order_remove(o, "5551234", "a");
	ck_assert_str_eq(next, "b");
	next = offramp_order_remove(o, "5551234", "b");
	ck_assert_str_eq(next, "b0");
	next = offramp_order_remove(o, "5551234", "b0");
	ck_assert_str_eq(next, "c");
	offramp_order_free(o);
}
END_TEST

Suite *
suite_offramp_order(void)
{
	Suite *s = suite_create("offramp_order");
	TCase *tc = tcase_create("order");

	tcase_add_test(tc, test_order_basic);
	tcase_add_test(tc, test_order_out_of_order_adds);
	suite_add_tcase(s, tc);
	return s;
}
