/* Unit tests for the spool record format (spool_rec_*): building,
 * escaping, round trips, and a table of corrupt inputs with their errors. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/spool/spool.h"

START_TEST(test_rec_build_escapes)
{
	struct spool_rec *rec = spool_rec_new();
	const char *text;
	size_t len;

	ck_assert_ptr_nonnull(rec);
	ck_assert_int_eq(spool_rec_add(rec, "from", "alice@example.com"), 0);
	ck_assert_int_eq(spool_rec_add(rec, "subject", "Incoming Fax 100%"), 0);
	ck_assert_int_eq(spool_rec_addn(rec, "raw", "a\r\nb\0c\x7f\x01", 8), 0);
	ck_assert_int_eq(spool_rec_add(rec, "empty", ""), 0);
	ck_assert_int_eq(spool_rec_add_u64(rec, "tries", 18446744073709551615ull), 0);
	ck_assert_int_eq(spool_rec_addf(rec, "rcpt", "<%s>", "fax=+1919@gw"), 0);
	ck_assert_int_eq(spool_rec_add(rec, "utf8", "Gr\xc3\xbc\xc3\x9f"), 0);
	text = spool_rec_data(rec, &len);
	ck_assert_str_eq(text,
	    "from alice@example.com\n"
	    "subject Incoming Fax 100%25\n"
	    "raw a%0D%0Ab%00c%7F%01\n"
	    "empty \n"
	    "tries 18446744073709551615\n"
	    "rcpt <fax=+1919@gw>\n"
	    "utf8 Gr\xc3\xbc\xc3\x9f\n");
	ck_assert_uint_eq(len, strlen(text));
	ck_assert_uint_eq(spool_rec_count(rec), 7);
	spool_rec_free(rec);
	spool_rec_free(NULL);
}
END_TEST

START_TEST(test_rec_bad_keys)
{
	static const char *const bad[] = { "", "Upper", "with space", "a=b", "k\n",
	    "0123456789012345678901234567890123" };
	struct spool_rec *rec = spool_rec_new();
	size_t i, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ck_assert_int_eq(spool_rec_add(rec, bad[i], "v"), -1);
		ck_assert_int_eq(errno, EINVAL);
	}
	ck_assert_int_eq(spool_rec_add(rec, NULL, "v"), -1);
	ck_assert_int_eq(spool_rec_add(rec, "ok.key_1-x", "v"), 0);
	spool_rec_data(rec, &len);
	ck_assert_uint_eq(len, strlen("ok.key_1-x v\n"));
	spool_rec_free(rec);
}
END_TEST

START_TEST(test_rec_round_trip)
{
	struct spool_rec *rec = spool_rec_new(), *back;
	unsigned char all[256];
	const char *text, *v;
	char err[128];
	size_t len, vlen, i;
	uint64_t n;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	spool_rec_addn(rec, "bytes", all, sizeof(all));
	spool_rec_add(rec, "rcpt", "<a@x>");
	spool_rec_add(rec, "rcpt", "<b@x>");
	spool_rec_add_u64(rec, "size", 12345);
	text = spool_rec_data(rec, &len);
	back = spool_rec_parse(text, len, err, sizeof(err));
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_uint_eq(spool_rec_count(back), 4);
	v = spool_rec_value(back, 0, &vlen);
	ck_assert_uint_eq(vlen, sizeof(all));
	ck_assert_mem_eq(v, all, sizeof(all));
	ck_assert_str_eq(spool_rec_key(back, 2), "rcpt");
	ck_assert_str_eq(spool_rec_value(back, 2, NULL), "<b@x>");
	ck_assert_str_eq(spool_rec_get(back, "rcpt"), "<a@x>");
	ck_assert_ptr_null(spool_rec_get(back, "nope"));
	ck_assert_ptr_null(spool_rec_key(back, 4));
	ck_assert_ptr_null(spool_rec_value(back, 4, NULL));
	ck_assert_int_eq(spool_rec_get_u64(back, "size", &n), 0);
	ck_assert_uint_eq(n, 12345);
	errno = 0;
	ck_assert_int_eq(spool_rec_get_u64(back, "rcpt", &n), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(spool_rec_get_u64(back, "none", &n), -1);
	ck_assert_int_eq(errno, ENOENT);
	/* the parsed record serializes to the same text and can be extended */
	ck_assert_mem_eq(spool_rec_data(back, NULL), text, len);
	ck_assert_int_eq(spool_rec_add(back, "more", "1"), 0);
	ck_assert_uint_eq(spool_rec_count(back), 5);
	spool_rec_free(rec);
	spool_rec_free(back);
}
END_TEST

static const struct {
	const char *in;
	const char *key0;       /* expected first key when valid */
	const char *val0;
	const char *err;        /* expected error text when invalid */
} rec_parse_cases[] = {
	{ "", NULL, NULL, NULL },
	{ "a 1\n", "a", "1", NULL },
	{ "a\n", "a", "", NULL },
	{ "a  two spaces\n", "a", " two spaces", NULL },
	{ "k %41%42%4a\n", "k", "ABJ", NULL },
	{ "a 1", NULL, NULL, "line 1: truncated (no newline at end)" },
	{ "a 1\nb 2", NULL, NULL, "line 2: truncated (no newline at end)" },
	{ "A 1\n", NULL, NULL, "line 1: bad key" },
	{ " 1\n", NULL, NULL, "line 1: bad key" },
	{ "\n", NULL, NULL, "line 1: bad key" },
	{ "a 1\nb%c 2\n", NULL, NULL, "line 2: bad key" },
	{ "a %4\n", NULL, NULL, "line 1: bad %-escape" },
	{ "a %zz\n", NULL, NULL, "line 1: bad %-escape" },
	{ "a 100%\n", NULL, NULL, "line 1: bad %-escape" },
	{ "a x\ry\n", NULL, NULL, "line 1: raw control byte 0x0d in value" },
	{ "a 1\nb x\ty\n", NULL, NULL, "line 2: raw control byte 0x09 in value" },
};

START_TEST(test_rec_parse_table)
{
	struct spool_rec *rec;
	char err[128] = "";

	rec = spool_rec_parse(rec_parse_cases[_i].in, strlen(rec_parse_cases[_i].in),
	    err, sizeof(err));
	if (rec_parse_cases[_i].err != NULL) {
		ck_assert_ptr_null(rec);
		ck_assert_str_eq(err, rec_parse_cases[_i].err);
		return;
	}
	ck_assert_msg(rec != NULL, "case %d: %s", _i, err);
	if (rec_parse_cases[_i].key0 == NULL) {
		ck_assert_uint_eq(spool_rec_count(rec), 0);
	} else {
		ck_assert_str_eq(spool_rec_key(rec, 0), rec_parse_cases[_i].key0);
		ck_assert_str_eq(spool_rec_value(rec, 0, NULL), rec_parse_cases[_i].val0);
	}
	spool_rec_free(rec);
}
END_TEST

START_TEST(test_rec_parse_nul_and_limit)
{
	static const char with_nul[] = "a x\0y\n";
	char err[128], *big;
	struct spool_rec *rec;

	rec = spool_rec_parse(with_nul, sizeof(with_nul) - 1, err, sizeof(err));
	ck_assert_ptr_null(rec);
	ck_assert_str_eq(err, "line 1: raw control byte 0x00 in value");
	big = malloc(SPOOL_REC_MAX + 2);
	memset(big, 'a', SPOOL_REC_MAX + 1);
	big[SPOOL_REC_MAX + 1] = '\n';
	ck_assert_ptr_null(spool_rec_parse(big, SPOOL_REC_MAX + 2, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "over the limit"));
	/* the builder refuses to grow past the limit too */
	rec = spool_rec_new();
	errno = 0;
	ck_assert_int_eq(spool_rec_addn(rec, "v", big, SPOOL_REC_MAX), -1);
	ck_assert_int_eq(errno, E2BIG);
	ck_assert_uint_eq(spool_rec_count(rec), 0);
	spool_rec_free(rec);
	free(big);
}
END_TEST

Suite *
suite_spool_rec(void)
{
	Suite *s = suite_create("spool_rec");
	TCase *tc = tcase_create("rec");

	tcase_add_test(tc, test_rec_build_escapes);
	tcase_add_test(tc, test_rec_bad_keys);
	tcase_add_test(tc, test_rec_round_trip);
	tcase_add_loop_test(tc, test_rec_parse_table, 0,
	    sizeof(rec_parse_cases) / sizeof(rec_parse_cases[0]));
	tcase_add_test(tc, test_rec_parse_nul_and_limit);
	suite_add_tcase(s, tc);
	return s;
}
