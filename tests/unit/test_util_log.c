/* Unit tests for util/log: escaping and truncation of peer data. */
#include <check.h>
#include <string.h>

#include "util/log.h"

static const struct {
	const char *in;
	const char *out;
} log_cases[] = {
	{ "9194724118", "9194724118" },
	{ "", "\"\"" },
	{ "+1 919 472", "\"+1 919 472\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "x=1", "\"x=1\"" },
	{ "line\r\nforged=1", "\"line\\r\\nforged=1\"" },
	{ "\x01\xff", "\"\\x01\\xff\"" },
};

START_TEST(test_log_esc_table)
{
	char buf[LOG_ESC_BUFSZ];

	ck_assert_str_eq(log_str(buf, sizeof(buf), log_cases[_i].in), log_cases[_i].out);
}
END_TEST

START_TEST(test_log_esc_truncates)
{
	char in[LOG_ESC_MAX * 3], buf[LOG_ESC_BUFSZ];

	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	log_str(buf, sizeof(buf), in);
	ck_assert_uint_eq(strlen(buf), LOG_ESC_MAX + 3);
	ck_assert_str_eq(buf + LOG_ESC_MAX, "...");
}
END_TEST

START_TEST(test_log_esc_worst_case_fits)
{
	char in[LOG_ESC_MAX + 10], buf[LOG_ESC_BUFSZ];

	memset(in, 0x01, sizeof(in));
	log_esc(buf, sizeof(buf), in, sizeof(in));
	ck_assert_uint_eq(strlen(buf), 1 + LOG_ESC_MAX * 4 + 3 + 1);
	/* a tiny buffer is never overrun and stays terminated */
	log_esc(buf, 5, in, sizeof(in));
	ck_assert_uint_lt(strlen(buf), 5);
	ck_assert_str_eq(log_esc(buf, sizeof(buf), NULL, 3), "\"\"");
}
END_TEST

Suite *
suite_util_log(void)
{
	Suite *s = suite_create("util_log");
	TCase *tc = tcase_create("escape");

	tcase_add_loop_test(tc, test_log_esc_table, 0, sizeof(log_cases) / sizeof(log_cases[0]));
	tcase_add_test(tc, test_log_esc_truncates);
	tcase_add_test(tc, test_log_esc_worst_case_fits);
	suite_add_tcase(s, tc);
	return s;
}
