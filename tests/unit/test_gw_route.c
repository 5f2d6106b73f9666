/*
 * Unit tests for gateway/route (t37gw -t -x): the explanation of where a
 * fax number or a recipient address goes, step by step, and its verdict,
 * which must be the listener's and the offramp's own.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "gateway/gw.h"

static const char conf[] =
    "hostname gw.test\n"
    "trunk carrier\n"
    " proxy sip:127.0.0.1:5070\n"
    " calling-number +19195550100\n"
    " calling-name ACME Fax\n"
    "mta send maildir maildir\n"
    "mta receive aliases fax.test\n"
    "fax deny-pattern 1900T\n"
    "fax send retry busy 3 120\n"
    "fax send retry failure 1 60\n"
    "dial-peer voice 300 mmoip\n"
    " incoming called-number +1T\n"
    " information-type fax\n"
    "dial-peer voice 400 voip\n"
    " destination-pattern 1919.......\n"
    " session target trunk carrier\n"
    " description Raleigh\n"
    "dial-peer voice 401 voip\n"
    " destination-pattern 1212.......\n"
    " session target sip:$d$@127.0.0.1:5080\n"
    " clid restrict\n"
    "dial-peer voice 200 mmoip\n"
    " destination-pattern 99131..\n"
    " information-type fax\n"
    " session target mailto:fax-$d$@example.com\n"
    "mta receive maximum-recipients 10\n";

/* The explanation of arg with cfg text (conf when NULL) into a string the
 * caller frees; *rc gets the verdict. */
static char *
explain(const char *text, const char *arg, int *rc)
{
	struct config_diag diag;
	struct config *cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (text == NULL)
		text = conf;
	config_diag_init(&diag);
	cfg = config_parse_buffer("t", text, strlen(text), &diag);
	ck_assert_msg(cfg != NULL, "config: %s", config_diag_get(&diag, 0));
	config_diag_clear(&diag);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	*rc = gw_route_explain(cfg, arg, f);
	fclose(f);
	config_free(cfg);
	return buf;
}

#define HAS(out, s) ck_assert_msg(strstr(out, s) != NULL, "no \"%s\" in:\n%s", s, out)
#define LACKS(out, s) ck_assert_msg(strstr(out, s) == NULL, "\"%s\" in:\n%s", s, out)

/* A routed address: both dial-peers with their lines, the trunk, the
 * calling identity, the retry policy, and 250. */
START_TEST(test_route_address_routed)
{
	int rc;
	char *out = explain(NULL, "FAX=+1-919-555-1234@fax.test", &rc);

	ck_assert_int_eq(rc, 0);
	HAS(out, "fax number +19195551234 at alias fax.test");
	HAS(out, "deny-pattern   none of 1 matches");
	HAS(out, "dial-peer voice 300 mmoip (line 11): incoming called-number +1T");
	HAS(out, "dial-peer voice 400 voip (line 14): destination-pattern 1919......., "
	    "description Raleigh");
	HAS(out, "RCPT TO        250 2.1.5 Ok, fax to +19195551234");
	HAS(out, "through trunk carrier (proxy sip:127.0.0.1:5070)");
	HAS(out, "from           +19195550100 \"ACME Fax\"");
	HAS(out, "busy: 3 calls in all, 120 s apart");
	HAS(out, "failure: no retry");
	free(out);
}
END_TEST

/* A denied number names the deny-pattern, and no call is explained. */
START_TEST(test_route_address_denied)
{
	int rc;
	char *out = explain(NULL, "FAX=+19005551234@fax.test", &rc);

	ck_assert_int_eq(rc, -1);
	HAS(out, "fax deny-pattern 1900T denies it");
	HAS(out, "550 5.7.1 Fax to +19005551234 not allowed: matches fax deny-pattern 1900T");
	LACKS(out, "a fax call to");
	free(out);
}
END_TEST

/* No voip dial-peer: refused at RCPT, as the listener says it. */
START_TEST(test_route_address_no_voip)
{
	int rc;
	char *out = explain(NULL, "FAX=+13125551234@fax.test", &rc);

	ck_assert_int_eq(rc, -1);
	HAS(out, "no voip dial-peer's destination-pattern matches");
	HAS(out, "550 5.7.1 Fax to +13125551234 not allowed: no voip dial-peer "
	    "destination-pattern matches");
	free(out);
}
END_TEST

/* Relaying, a mailbox name, a malformed number, the postmaster. */
START_TEST(test_route_address_kinds)
{
	int rc;
	char *out = explain(NULL, "bob@other.example", &rc);

	ck_assert_int_eq(rc, -1);
	HAS(out, "550 5.7.1 <bob@other.example>: relaying denied");
	free(out);
	out = explain(NULL, "bob@fax.test", &rc);
	ck_assert_int_eq(rc, -1);
	HAS(out, "550 5.1.1");
	free(out);
	out = explain(NULL, "FAX=+1--2@fax.test", &rc);
	ck_assert_int_eq(rc, -1);
	HAS(out, "553 5.1.3");
	free(out);
	out = explain(NULL, "postmaster@fax.test", &rc);
	ck_assert_int_eq(rc, 0);
	HAS(out, "the postmaster");
	LACKS(out, "a fax call to");
	free(out);
}
END_TEST

/* A bare number both ways: as mail (refused here: no mmoip peer's
 * incoming called-number takes 9913170) and as a call (answered, mailed to
 * the expanded target). */
START_TEST(test_route_number_both_ways)
{
	int rc;
	char *out = explain(NULL, "9913170", &rc);

	ck_assert_int_eq(rc, 0);
	HAS(out, "mail to <FAX=9913170@fax.test> (offramp)");
	HAS(out, "no mmoip dial-peer's incoming called-number matches");
	HAS(out, "a call to 9913170 (onramp)");
	HAS(out, "dial-peer voice 200 mmoip (line 22): destination-pattern 99131..");
	HAS(out, "fax-9913170@example.com (session target mailto:fax-$d$@example.com)");
	HAS(out, "answer         yes");
	free(out);
}
END_TEST

/* A call filtered by a voip dial-peer's incoming called-number: 404 with
 * the listener's reason; the SIP target with clid restrict. */
START_TEST(test_route_number_filtered)
{
	static const char text[] =
	    "hostname gw.test\n"
	    "mta send maildir maildir\n"
	    "mta receive aliases gw.test\n"
	    "mta receive maximum-recipients 1\n"
	    "dial-peer voice 1 voip\n"
	    " incoming called-number 555....\n"
	    "dial-peer voice 2 voip\n"
	    " destination-pattern 1212.......\n"
	    " session target sip:$d$@127.0.0.1:5080\n"
	    " clid restrict\n"
	    "dial-peer voice 3 mmoip\n"
	    " incoming called-number 1T\n"
	    " destination-pattern T\n"
	    " information-type fax\n"
	    " session target mailto:fax@example.com\n";
	int rc;
	char *out = explain(text, "12125551234", &rc);

	ck_assert_int_eq(rc, 0);   /* the mail way */
	HAS(out, "dial           sip:12125551234@127.0.0.1:5080");
	HAS(out, "anonymous (clid restrict)");
	HAS(out, "404 Not Found: no voip dial-peer with a matching incoming called-number");
	free(out);
	out = explain(text, "5551234", &rc);
	HAS(out, "dial-peer voice 1 voip (line 5): incoming called-number 555....");
	HAS(out, "mail to        fax@example.com");
	free(out);
	out = explain(text, "not-a-number", &rc);
	ck_assert_int_eq(rc, -1);
	HAS(out, "not a telephone number");
	free(out);
}
END_TEST

/* The default maximum-recipients 0 refuses all mail, whatever the
 * dial-peers say; and without aliases every address is someone else's. */
START_TEST(test_route_no_mail)
{
	static const char text[] =
	    "hostname gw.test\n"
	    "mta send maildir maildir\n"
	    "mta receive aliases fax.test\n"
	    "dial-peer voice 300 mmoip\n"
	    " incoming called-number +1T\n"
	    " information-type fax\n"
	    "dial-peer voice 400 voip\n"
	    " destination-pattern 1919.......\n"
	    " session target sip:$d$@127.0.0.1:5080\n"
	    " clid network-number 9195550100\n";
	int rc;
	char *out = explain(text, "FAX=+19195551234@fax.test", &rc);

	ck_assert_int_eq(rc, -1);
	HAS(out, "452 4.5.3 Too many recipients: mta receive maximum-recipients is 0, "
	    "this gateway accepts no mail");
	LACKS(out, "a fax call to");
	free(out);
}
END_TEST

/* An argument longer than an SMTP path is refused, not cut. */
START_TEST(test_route_too_long)
{
	char arg[400];
	int rc;
	char *out;

	memset(arg, '1', sizeof(arg) - 1);
	arg[sizeof(arg) - 1] = '\0';
	out = explain(NULL, arg, &rc);
	ck_assert_int_eq(rc, -1);
	HAS(out, "longer than 256 characters");
	free(out);
}
END_TEST

Suite *suite_gw_route(void);

Suite *
suite_gw_route(void)
{
	Suite *s = suite_create("gw_route");
	TCase *tc = tcase_create("explain");

	tcase_add_test(tc, test_route_address_routed);
	tcase_add_test(tc, test_route_address_denied);
	tcase_add_test(tc, test_route_address_no_voip);
	tcase_add_test(tc, test_route_address_kinds);
	tcase_add_test(tc, test_route_number_both_ways);
	tcase_add_test(tc, test_route_number_filtered);
	tcase_add_test(tc, test_route_no_mail);
	tcase_add_test(tc, test_route_too_long);
	suite_add_tcase(s, tc);
	return s;
}
