/* Table tests of gateway/intake/faxaddr: RFC 3192 offramp recipient addresses. */
#include <check.h>
#include <string.h>

#include "gateway/intake/faxaddr.h"

static const char *const aliases[] = { "fax.example.com", "Fax2.Example.NET" };

static const struct {
	const char *path;
	enum intake_faxaddr_result result;
	const char *dial;               /* expected dial form on OK */
	const char *subaddr;
	int postmaster;
} cases[] = {
	{ "FAX=+19195551234@fax.example.com", INTAKE_FAXADDR_OK, "+19195551234", "", 0 },
	{ "fax=+19195551234@FAX.EXAMPLE.COM", INTAKE_FAXADDR_OK, "+19195551234", "", 0 },
	{ "Fax=+1-919-555.1234@fax.example.com", INTAKE_FAXADDR_OK, "+19195551234", "", 0 },
	{ "FAX=+19195551234/T33S=6789@fax.example.com", INTAKE_FAXADDR_OK, "+19195551234", "6789", 0 },
	{ "FAX=+1234/t33s=1@fax2.example.net", INTAKE_FAXADDR_OK, "+1234", "1", 0 },
	{ "/FAX=+19195551234/@fax.example.com", INTAKE_FAXADDR_OK, "+19195551234", "", 0 },
	{ "/fax=+1234/T33S=99/@fax.example.com", INTAKE_FAXADDR_OK, "+1234", "99", 0 },
	{ "FAX=5551234@fax.example.com", INTAKE_FAXADDR_OK, "5551234", "", 0 },
	{ "19195551234@fax.example.com", INTAKE_FAXADDR_OK, "19195551234", "", 0 },
	{ "+19195551234@fax.example.com", INTAKE_FAXADDR_OK, "+19195551234", "", 0 },
	{ "FAX=+19195551234@fax.example.com.", INTAKE_FAXADDR_OK, "+19195551234", "", 0 },
	{ "postmaster@fax.example.com", INTAKE_FAXADDR_OK, "", "", 1 },
	{ "PostMaster@fax2.example.net", INTAKE_FAXADDR_OK, "", "", 1 },
	{ "Postmaster", INTAKE_FAXADDR_OK, "", "", 1 },
	/* relaying attempts */
	{ "FAX=+19195551234@elsewhere.example.org", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "postmaster@elsewhere.example.org", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "user%victim.example.org@fax.example.com", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "victim.example.org!user@fax.example.com", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "@fax.example.com:user@victim.example.org", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "@fax.example.com:FAX=+123@fax.example.com", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "\"user@victim.example.org\"@fax.example.com", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "\"FAX=+1234\"@fax.example.com", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "FAX=+1234@[127.0.0.1]", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	{ "FAX=+1234@fax.example.com.evil.org", INTAKE_FAXADDR_RELAY, NULL, NULL, 0 },
	/* malformed numbers */
	{ "FAX=@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1919ABC@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+-1919@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1919--555@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1919-@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1919/T33S=@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1919/T33S=12a@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+1919/X=1@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=++1919@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "FAX=+123456789012345678901@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "/FAX=+1234@fax.example.com", INTAKE_FAXADDR_UNKNOWN, NULL, NULL, 0 },
	{ "/1234/@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	{ "1919x@fax.example.com", INTAKE_FAXADDR_BADNUMBER, NULL, NULL, 0 },
	/* ordinary mailboxes at the alias */
	{ "alice@fax.example.com", INTAKE_FAXADDR_UNKNOWN, NULL, NULL, 0 },
	{ "FAXES@fax.example.com", INTAKE_FAXADDR_UNKNOWN, NULL, NULL, 0 },
};

START_TEST(test_faxaddr_table)
{
	struct intake_faxaddr fa;
	enum intake_faxaddr_result r;

	r = intake_faxaddr_parse(cases[_i].path, aliases, 2, &fa);
	ck_assert_msg(r == cases[_i].result, "%s: got %d want %d", cases[_i].path, r,
	    cases[_i].result);
	if (r != INTAKE_FAXADDR_OK)
		return;
	ck_assert_int_eq(fa.postmaster, cases[_i].postmaster);
	ck_assert_str_eq(fa.dial, cases[_i].dial);
	ck_assert_str_eq(fa.subaddr, cases[_i].subaddr);
}
END_TEST

/* Cisco's /cover=yes|no, with or without a T.33 subaddress, once each. */
static const struct {
	const char *path;
	enum intake_faxaddr_result result;
	int cover;
	const char *subaddr;
} cover_cases[] = {
	{ "FAX=+19195551234@fax.example.com", INTAKE_FAXADDR_OK, -1, "" },
	{ "FAX=+19195551234/cover=yes@fax.example.com", INTAKE_FAXADDR_OK, 1, "" },
	{ "FAX=5551234/Cover=No@fax.example.com", INTAKE_FAXADDR_OK, 0, "" },
	{ "FAX=5551234/T33S=12/cover=no@fax.example.com", INTAKE_FAXADDR_OK, 0, "12" },
	{ "FAX=5551234/cover=yes/T33S=12@fax.example.com", INTAKE_FAXADDR_OK, 1, "12" },
	{ "/FAX=5551234/cover=no/@fax.example.com", INTAKE_FAXADDR_OK, 0, "" },
	{ "FAX=5551234/cover=@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
	{ "FAX=5551234/cover=yesno@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
	{ "FAX=5551234/cover=yes/cover=no@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
	{ "FAX=5551234/T33S=1/T33S=2@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
	{ "FAX=5551234/@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
	{ "FAX=5551234//cover=no@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
	{ "FAX=5551234/cover=no/@fax.example.com", INTAKE_FAXADDR_BADNUMBER, -1, NULL },
};

START_TEST(test_faxaddr_cover)
{
	struct intake_faxaddr fa;
	enum intake_faxaddr_result r;

	r = intake_faxaddr_parse(cover_cases[_i].path, aliases, 2, &fa);
	ck_assert_msg(r == cover_cases[_i].result, "%s: got %d", cover_cases[_i].path, r);
	if (r != INTAKE_FAXADDR_OK)
		return;
	ck_assert_int_eq(fa.cover, cover_cases[_i].cover);
	ck_assert_str_eq(fa.subaddr, cover_cases[_i].subaddr);
}
END_TEST

Suite *
suite_intake_faxaddr(void)
{
	Suite *s = suite_create("intake_faxaddr");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_faxaddr_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, test_faxaddr_cover, 0, sizeof(cover_cases) / sizeof(cover_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
