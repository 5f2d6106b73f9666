/* Unit tests for sip/number: numbers out of SIP header values. */
#include <check.h>
#include <string.h>

#include "sip/internal.h"

static const struct {
	const char *in;
	int rc;
	const char *out;
} cases[] = {
	{ "<sip:9913170@gw.example.com>;tag=1", 0, "9913170" },
	{ "\"Alice <x>\" <sip:+19194724118@10.0.0.1:5060;user=phone>", 0, "+19194724118" },
	{ "sip:4000@host", 0, "4000" },
	{ "<tel:+1-919-555-1234;phone-context=x>", 0, "+1-919-555-1234" },
	{ "<sips:%2B4930123@host>", 0, "+4930123" },
	{ "<sip:123;npdi@host>", 0, "123" },
	{ "<sip:host.example.com>", -1, "" },
	{ "<sip:9913170@host", -1, "" },
	{ "<mailto:a@b>", -1, "" },
	{ "", -1, "" },
	{ "<sip:%00x@h>", -1, "" },
	{ "<sip:1%2@h>", 0, "1%2" },
};

START_TEST(test_sip_number_table)
{
	char out[SIP_NUMBER_MAX];

	ck_assert_int_eq(sip_number_from_addr(cases[_i].in, strlen(cases[_i].in), out,
	    sizeof(out)), cases[_i].rc);
	ck_assert_str_eq(out, cases[_i].out);
}
END_TEST

START_TEST(test_sip_number_truncates)
{
	char out[5];

	ck_assert_int_eq(sip_number_from_addr("<sip:123456789@h>", 17, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "1234");
}
END_TEST

Suite *
suite_sip_number(void)
{
	Suite *s = suite_create("sip_number");
	TCase *tc = tcase_create("number");

	tcase_add_loop_test(tc, test_sip_number_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_sip_number_truncates);
	suite_add_tcase(s, tc);
	return s;
}
