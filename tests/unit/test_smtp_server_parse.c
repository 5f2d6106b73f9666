/* Table tests of the MAIL/RCPT argument grammar (smtp/server_parse.c). */
#include <check.h>
#include <string.h>

#include "smtp/server_int.h"
#include "smtp/smtp.h"

#define F_ALL (SMTP_PARSE_DSN | SMTP_PARSE_AUTH)

static const struct {
	const char *arg;
	int flags;
	int code;                       /* 0 = accepted */
	const char *enh;
	const char *from;
} mail_cases[] = {
	{ "FROM:<a@b.example>", F_ALL, 0, NULL, "a@b.example" },
	{ "from:<a@b.example>", F_ALL, 0, NULL, "a@b.example" },
	{ "FROM: <a@b.example>", F_ALL, 0, NULL, "a@b.example" },
	{ "FROM:<>", F_ALL, 0, NULL, "" },
	{ "FROM:<\"john doe\"@b.example>", F_ALL, 0, NULL, "\"john doe\"@b.example" },
	{ "FROM:<\"a>b\"@b.example>", F_ALL, 0, NULL, "\"a>b\"@b.example" },
	{ "FROM:<a@[192.0.2.1]>", F_ALL, 0, NULL, "a@[192.0.2.1]" },
	{ "FROM:<@r.example:a@b.example>", F_ALL, 0, NULL, "@r.example:a@b.example" },
	{ "FROM:<a@b.example> SIZE=1000 BODY=8BITMIME RET=FULL ENVID=x+2By AUTH=<>", F_ALL, 0, NULL, "a@b.example" },
	{ "FROM:<a@b.example>  SIZE=1", F_ALL, 0, NULL, "a@b.example" },
	{ "FROM:<a@b.example> size=1 body=7bit ret=hdrs", F_ALL, 0, NULL, "a@b.example" },
	{ "FROM:a@b.example", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a@b.example", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a@b.example>x", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a b@b.example>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a..b@b.example>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a@-b.example>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a@b-.example>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<a@>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<postmaster>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<\xc3\xa9@b.example>", F_ALL, 501, "5.1.7", NULL },
	{ "FROM:<aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@b.example>", F_ALL, 501, "5.1.7", NULL },
	{ "TO:<a@b.example>", F_ALL, 501, "5.5.4", NULL },
	{ "FROM<a@b.example>", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> FOO=BAR", F_ALL, 555, "5.5.4", NULL },
	{ "FROM:<a@b.example> RET=FULL", 0, 555, "5.5.4", NULL },
	{ "FROM:<a@b.example> AUTH=<>", SMTP_PARSE_DSN, 555, "5.5.4", NULL },
	{ "FROM:<a@b.example> BODY=8BITMIME", SMTP_PARSE_NO8BIT, 555, "5.5.4", NULL },
	{ "FROM:<a@b.example> SIZE=1 SIZE=2", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> ENVID=a ENVID=b", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> RET=FULL ret=HDRS", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> SIZE=x", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> SIZE=", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> SIZE=99999999999999999999999", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> SIZE=1000001", F_ALL, 552, "5.3.4", NULL },
	{ "FROM:<a@b.example> RET=ALL", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> ENVID=a+2b", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> ENVID=a=b", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> ENVID=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", F_ALL, 501, "5.5.4", NULL },
	{ "FROM:<a@b.example> -X=1", F_ALL, 501, "5.5.4", NULL },
};

static const struct {
	const char *arg;
	int code;
	unsigned notify;
	const char *to;
} rcpt_cases[] = {
	{ "TO:<FAX=+19195551234@fax.example>", 0, 0, "FAX=+19195551234@fax.example" },
	{ "TO:</FAX=+1234/@fax.example>", 0, 0, "/FAX=+1234/@fax.example" },
	{ "TO:<Postmaster>", 0, 0, "Postmaster" },
	{ "TO:<a@b.example> NOTIFY=NEVER", 0, SMTP_NOTIFY_NEVER, "a@b.example" },
	{ "TO:<a@b.example> NOTIFY=success,Failure,DELAY", 0,
	  SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, "a@b.example" },
	{ "TO:<a@b.example> ORCPT=rfc822;FAX+3D+2B390408565@example.com", 0, 0, "a@b.example" },
	{ "TO:<a@b.example> NOTIFY=NEVER,FAILURE", 501, 0, NULL },
	{ "TO:<a@b.example> NOTIFY=FAILURE,NEVER", 501, 0, NULL },
	{ "TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS", 501, 0, NULL },
	{ "TO:<a@b.example> NOTIFY=", 501, 0, NULL },
	{ "TO:<a@b.example> NOTIFY=SUCCESS,", 501, 0, NULL },
	{ "TO:<a@b.example> NOTIFY=ALWAYS", 501, 0, NULL },
	{ "TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER", 501, 0, NULL },
	{ "TO:<a@b.example> ORCPT=rfc822", 501, 0, NULL },
	{ "TO:<a@b.example> ORCPT=;a@b", 501, 0, NULL },
	{ "TO:<a@b.example> ORCPT=rfc822;a+2b", 501, 0, NULL },
	{ "TO:<a@b.example> ORCPT=rfc822;a@b ORCPT=rfc822;a@b", 501, 0, NULL },
	{ "TO:<a@b.example> SIZE=10", 555, 0, NULL },
	{ "TO:<>", 501, 0, NULL },
	{ "TO:<postmaster@>", 501, 0, NULL },
	{ "TO:a@b.example", 501, 0, NULL },
};

START_TEST(test_mail_table)
{
	struct smtp_server_mail m;
	struct smtp_server_reply r;
	char buf[2048];
	int rc;

	memset(&r, 0, sizeof(r));
	rc = smtp_server_parse_mail(mail_cases[_i].arg, mail_cases[_i].flags, 1000000, &m,
	    buf, sizeof(buf), &r);
	if (mail_cases[_i].code == 0) {
		ck_assert_msg(rc == 0, "%s: %d %s", mail_cases[_i].arg, r.code, r.text);
		ck_assert_str_eq(m.from, mail_cases[_i].from);
	} else {
		ck_assert_msg(rc == -1, "%s accepted", mail_cases[_i].arg);
		ck_assert_int_eq(r.code, mail_cases[_i].code);
		ck_assert_str_eq(r.enh, mail_cases[_i].enh);
	}
}
END_TEST

START_TEST(test_rcpt_table)
{
	struct smtp_server_rcpt rc;
	struct smtp_server_reply r;
	char buf[2048];
	int ret;

	memset(&r, 0, sizeof(r));
	ret = smtp_server_parse_rcpt(rcpt_cases[_i].arg, SMTP_PARSE_DSN, &rc, buf, sizeof(buf), &r);
	if (rcpt_cases[_i].code == 0) {
		ck_assert_msg(ret == 0, "%s: %d %s", rcpt_cases[_i].arg, r.code, r.text);
		ck_assert_str_eq(rc.to, rcpt_cases[_i].to);
		ck_assert_uint_eq(rc.notify, rcpt_cases[_i].notify);
	} else {
		ck_assert_msg(ret == -1, "%s accepted", rcpt_cases[_i].arg);
		ck_assert_int_eq(r.code, rcpt_cases[_i].code);
	}
}
END_TEST

START_TEST(test_mail_values)
{
	struct smtp_server_mail m;
	struct smtp_server_reply r;
	char buf[512];

	ck_assert_int_eq(smtp_server_parse_mail("FROM:<a@b.example> SIZE=123 BODY=8BITMIME "
	    "RET=HDRS ENVID=QQ+2B1 AUTH=e+3Df@x", F_ALL, 0, &m, buf, sizeof(buf), &r), 0);
	ck_assert_uint_eq(m.size, 123);
	ck_assert_int_eq(m.body, SMTP_BODY_8BITMIME);
	ck_assert_int_eq(m.ret, SMTP_RET_HDRS);
	ck_assert_str_eq(m.envid, "QQ+2B1");
	ck_assert_str_eq(m.auth, "e+3Df@x");
	/* a buffer too small is a refusal, not an overflow */
	ck_assert_int_eq(smtp_server_parse_mail("FROM:<a@b.example>", F_ALL, 0, &m, buf, 8, &r), -1);
}
END_TEST

Suite *
suite_smtp_server_parse(void)
{
	Suite *s = suite_create("smtp_server_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_mail_table, 0, sizeof(mail_cases) / sizeof(mail_cases[0]));
	tcase_add_loop_test(tc, test_rcpt_table, 0, sizeof(rcpt_cases) / sizeof(rcpt_cases[0]));
	tcase_add_test(tc, test_mail_values);
	suite_add_tcase(s, tc);
	return s;
}
