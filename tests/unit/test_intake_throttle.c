/*
 * The SMTP AUTH throttle table (gateway/intake/throttle.c), with the clock
 * run by the test: locking per address and per attacked user name, the
 * window and the lockout running out, IPv6 /64 grouping, and memory that
 * stays bounded under a flood of addresses and names.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "gateway/intake/intake_int.h"

static unsigned
tfail(struct intake_throttle *t, const char *addr, const char *user, time_t now)
{
	unsigned af, uf;

	return intake_throttle_fail(t, addr, user, now, &af, &uf);
}

START_TEST(test_address_lock)
{
	struct intake_throttle *t = intake_throttle_new(64);
	time_t now = 1000000;
	int i;

	ck_assert_ptr_nonnull(t);
	for (i = 1; i < INTAKE_AUTH_ADDR_MAX; i++) {
		ck_assert_uint_eq(tfail(t, "192.0.2.7", "alice", now + i), 0);
		ck_assert_int_eq(intake_throttle_locked(t, "192.0.2.7", now + i), 0);
	}
	ck_assert_uint_eq(tfail(t, "192.0.2.7", "bob", now + i), INTAKE_THROTTLE_ADDR);
	ck_assert_int_eq(intake_throttle_locked(t, "192.0.2.7", now + i), INTAKE_AUTH_LOCKOUT);
	ck_assert_int_eq(intake_throttle_locked(t, "192.0.2.7", now + i + 100),
	    INTAKE_AUTH_LOCKOUT - 100);
	/* another address is not touched */
	ck_assert_int_eq(intake_throttle_locked(t, "192.0.2.8", now + i), 0);
	/* the lockout runs out */
	ck_assert_int_eq(intake_throttle_locked(t, "192.0.2.7", now + i + INTAKE_AUTH_LOCKOUT), 0);
	intake_throttle_free(t);
}
END_TEST

/* Failures farther apart than the window never add up to a lock. */
START_TEST(test_window)
{
	struct intake_throttle *t = intake_throttle_new(64);
	time_t now = 5000;
	int round, i;

	for (round = 0; round < 5; round++)
		for (i = 0; i < INTAKE_AUTH_ADDR_MAX - 1; i++) {
			ck_assert_uint_eq(tfail(t, "198.51.100.1",
			    round % 2 ? "a" : "b", now + round * INTAKE_AUTH_WINDOW + i), 0);
			ck_assert_int_eq(intake_throttle_locked(t, "198.51.100.1",
			    now + round * INTAKE_AUTH_WINDOW + i), 0);
		}
	intake_throttle_free(t);
}
END_TEST

/* Many hosts guess one account, one try each: once the name has had
 * INTAKE_AUTH_USER_MAX failures, each further failure locks its address
 * at once, while addresses that did not fail stay open (the owner logs in
 * from one of them). */
START_TEST(test_user_attack)
{
	struct intake_throttle *t = intake_throttle_new(64);
	char addr[32];
	unsigned flags;
	int i;

	for (i = 1; i <= INTAKE_AUTH_USER_MAX; i++) {
		snprintf(addr, sizeof(addr), "203.0.113.%d", i);
		flags = tfail(t, addr, "alice", 100 + i);
		if (i < INTAKE_AUTH_USER_MAX) {
			ck_assert_uint_eq(flags, 0);
			ck_assert_int_eq(intake_throttle_locked(t, addr, 100 + i), 0);
		} else {
			ck_assert_uint_eq(flags, INTAKE_THROTTLE_USER | INTAKE_THROTTLE_ADDR);
			ck_assert_int_gt(intake_throttle_locked(t, addr, 100 + i), 0);
		}
	}
	ck_assert_uint_eq(tfail(t, "203.0.113.77", "alice", 200), INTAKE_THROTTLE_ADDR);
	ck_assert_int_gt(intake_throttle_locked(t, "203.0.113.77", 200), 0);
	/* another name from a fresh address: counted as usual */
	ck_assert_uint_eq(tfail(t, "203.0.113.78", "bob", 200), 0);
	ck_assert_int_eq(intake_throttle_locked(t, "203.0.113.78", 200), 0);
	/* the owner's address never failed: open */
	ck_assert_int_eq(intake_throttle_locked(t, "192.0.2.1", 200), 0);
	intake_throttle_free(t);
}
END_TEST

/* IPv6 clients count per /64; v4-mapped addresses as v4-like keys. */
START_TEST(test_ipv6_prefix)
{
	struct intake_throttle *t = intake_throttle_new(64);
	char addr[64];
	int i;

	for (i = 1; i <= INTAKE_AUTH_ADDR_MAX; i++) {
		snprintf(addr, sizeof(addr), "2001:db8:1:2::%x", i);
		tfail(t, addr, "u", 10);
	}
	ck_assert_int_gt(intake_throttle_locked(t, "2001:db8:1:2:ffff::99", 10), 0);
	ck_assert_int_eq(intake_throttle_locked(t, "2001:db8:1:3::1", 10), 0);
	for (i = 1; i <= INTAKE_AUTH_ADDR_MAX; i++)
		tfail(t, "::ffff:192.0.2.5", "v", 10);
	ck_assert_int_gt(intake_throttle_locked(t, "::ffff:192.0.2.5", 10), 0);
	ck_assert_int_eq(intake_throttle_locked(t, "::ffff:192.0.2.6", 10), 0);
	intake_throttle_free(t);
}
END_TEST

/* 100,000 addresses and names: the table never grows past its slots, and
 * a locked address that keeps trying stays locked through the flood. */
START_TEST(test_bounded)
{
	struct intake_throttle *t = intake_throttle_new(64);
	char addr[32], user[32];
	int i;

	for (i = 0; i < INTAKE_AUTH_ADDR_MAX; i++)
		tfail(t, "192.0.2.99", "x", 1);
	ck_assert_int_gt(intake_throttle_locked(t, "192.0.2.99", 1), 0);
	for (i = 0; i < 100000; i++) {
		snprintf(addr, sizeof(addr), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		snprintf(user, sizeof(user), "user%d", i);
		tfail(t, addr, user, 2);
		ck_assert_uint_le(intake_throttle_entries(t), 64);
		if (i % 16 == 0)
			ck_assert_int_gt(intake_throttle_locked(t, "192.0.2.99", 2), 0);
	}
	ck_assert_uint_eq(intake_throttle_entries(t), 64);
	intake_throttle_free(t);
}
END_TEST

/* User names longer than the key are truncated, never overrun. */
START_TEST(test_long_names)
{
	struct intake_throttle *t = intake_throttle_new(8);
	char user[600];
	int i;

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	for (i = 0; i < INTAKE_AUTH_USER_MAX; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "192.0.2.%d", i + 1);
		tfail(t, addr, user, 3);
	}
	ck_assert_int_gt(intake_throttle_locked(t, "192.0.2.10", 3), 0);
	ck_assert_uint_le(intake_throttle_entries(t), 8);
	ck_assert_ptr_null(intake_throttle_new(1));
	intake_throttle_free(NULL);
	intake_throttle_free(t);
}
END_TEST

Suite *
suite_intake_throttle(void)
{
	Suite *s = suite_create("intake_throttle");
	TCase *tc = tcase_create("throttle");

	tcase_add_test(tc, test_address_lock);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_user_attack);
	tcase_add_test(tc, test_ipv6_prefix);
	tcase_add_test(tc, test_bounded);
	tcase_add_test(tc, test_long_names);
	suite_add_tcase(s, tc);
	return s;
}
