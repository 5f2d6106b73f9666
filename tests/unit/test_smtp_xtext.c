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

/* NOTIFY (RFC 3461 4.1): the one parser of the gateway, strict. */
static const struct {
	const char *in;
	int bits;
} notify_cases[] = {
	{ NULL, -1 },
	{ "NEVER", SMTP_NOTIFY_NEVER },
	{ "never", SMTP_NOTIFY_NEVER },
	{ "SUCCESS", SMTP_NOTIFY_SUCCESS },
	{ "SUCCESS,FAILURE,DELAY", SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY },
	{ "delay,Failure", SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY },
	{ "NEVER,SUCCESS", -1 },
	{ "SUCCESS,NEVER", -1 },
	{ "SUCCESS,SUCCESS", -1 },
	{ "SUCCESS,", -1 },
	{ ",SUCCESS", -1 },
	{ "SUCCESS,,DELAY", -1 },
	{ "", -1 },
	{ "SUCCES", -1 },
	{ "SUCCESSFUL", -1 },
	{ "SUCCESS FAILURE", -1 },
};

START_TEST(test_notify_parse)
{
	ck_assert_int_eq(smtp_notify_parse(notify_cases[_i].in), notify_cases[_i].bits);
}
END_TEST

/* Every valid set formats to text that parses back to it. */
START_TEST(test_notify_format)
{
	char buf[SMTP_NOTIFY_TEXT_MAX], small[8];
	unsigned bits;

	ck_assert_str_eq(smtp_notify_format(0, buf, sizeof(buf)), "");
	ck_assert_str_eq(smtp_notify_format(SMTP_NOTIFY_NEVER, buf, sizeof(buf)), "NEVER");
	ck_assert_str_eq(smtp_notify_format(SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE |
	    SMTP_NOTIFY_DELAY, buf, sizeof(buf)), "SUCCESS,FAILURE,DELAY");
	for (bits = SMTP_NOTIFY_SUCCESS; bits <= 0x0e; bits += 2) {
		smtp_notify_format(bits, buf, sizeof(buf));
		ck_assert_int_eq(smtp_notify_parse(buf), (int)bits);
	}
	/* a short buffer holds whole words only */
	ck_assert_str_eq(smtp_notify_format(SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY, small,
	    sizeof(small)), "SUCCESS");
}
END_TEST

Suite *
suite_smtp_xtext(void)
{
	Suite *s = suite_create("smtp_xtext");
	TCase *tc = tcase_create("xtext");

	tcase_add_loop_test(tc, test_xtext_roundtrip, 0, sizeof(xtext_cases) / sizeof(xtext_cases[0]));
	tcase_add_test(tc, test_xtext_rejects);
	tcase_add_loop_test(tc, test_notify_parse, 0, sizeof(notify_cases) / sizeof(notify_cases[0]));
	tcase_add_test(tc, test_notify_format);
	suite_add_tcase(s, tc);
	return s;
}
