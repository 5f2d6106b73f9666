/* Unit tests for smtp/xtext (RFC 3461 section 4). */
#include <check.h>
#include <string.h>

#include "smtp/smtp.h"

static const struct {
	const char *plain;
	const char *xtext;
} xtext_cases[] = {
	{ "FAX=+390408565@example.com", "FAX+3D+2B390408565@example.com" },
	{ "alice@example.com", "alice@example.com" },
	{ "a b", "a+20b" },
	{ "\x7f\x01", "+7F+01" },
	{ "", "" },
};

START_TEST(test_xtext_roundtrip)
{
	char enc[128], dec[128];
	const char *p = xtext_cases[_i].plain;

	ck_assert_int_eq(smtp_xtext_encode(p, strlen(p), enc, sizeof(enc)),
	    (int)strlen(xtext_cases[_i].xtext));
	ck_assert_str_eq(enc, xtext_cases[_i].xtext);
	ck_assert_int_eq(smtp_xtext_decode(enc, dec, sizeof(dec)), (int)strlen(p));
	ck_assert_str_eq(dec, p);
}
END_TEST

START_TEST(test_xtext_rejects)
{
	char out[64];

	ck_assert_int_eq(smtp_xtext_decode("a+2", out, sizeof(out)), -1);
	ck_assert_int_eq(smtp_xtext_decode("a+2b", out, sizeof(out)), -1);   /* lower-case hex */
	ck_assert_int_eq(smtp_xtext_decode("a=b", out, sizeof(out)), -1);
	ck_assert_int_eq(smtp_xtext_decode("a b", out, sizeof(out)), -1);
	ck_assert_int_eq(smtp_xtext_decode("abcdef", out, 4), -1);
	ck_assert_int_eq(smtp_xtext_encode("abc+", 4, out, 6), -1);
	ck_assert_int_eq(smtp_xtext_encode("abc+", 4, out, 7), 6);
}
END_TEST

Suite *
suite_smtp_xtext(void)
{
	Suite *s = suite_create("smtp_xtext");
	TCase *tc = tcase_create("xtext");

	tcase_add_loop_test(tc, test_xtext_roundtrip, 0, sizeof(xtext_cases) / sizeof(xtext_cases[0]));
	tcase_add_test(tc, test_xtext_rejects);
	suite_add_tcase(s, tc);
	return s;
}
