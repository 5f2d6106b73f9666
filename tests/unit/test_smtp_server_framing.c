/*
 * Line framing of smtp/server in both bare-newline modes (RFC 5321 2.3.8;
 * CVE-2023-51764 "SMTP smuggling"): every smuggling sequence, in DATA and
 * in commands. reject: 521 5.5.2 and close, nothing delivered. normalize:
 * a line may end in a bare LF, but only CRLF "." CRLF ends a message, so
 * each sequence stays message content and the injected MAIL never runs.
 */
#include <check.h>
#include <string.h>

#include "smtp/smtp.h"
#include "tests/unit/smtp_server_harness.h"

static const struct smtp_server_options normalize_opt = {
	.hostname = "gw.test", .max_message_size = 100000, .cmd_timeout = 30,
	.data_timeout = 30, .bare_newline = SMTP_BARE_NEWLINE_NORMALIZE,
};

/* What the client sends after the 354, and what the message holds in
 * normalize mode once a final CRLF "." CRLF follows. */
static const struct {
	const char *sent;
	const char *body;
} smuggle[] = {
	{ "Subject: x\r\n\r\nhello\n.\nMAIL FROM:<evil@x.test>\r\n",          /* LF.LF */
	  "Subject: x\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\n.\r\nMAIL FROM:<evil@x.test>\r\n",        /* LF.CRLF */
	  "Subject: x\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\r\n.\nMAIL FROM:<evil@x.test>\r\n",        /* CRLF.LF */
	  "Subject: x\r\n\r\nhello\r\n.\r\nMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\r.\r\nMAIL FROM:<evil@x.test>\r\n",        /* CR.CRLF */
	  "Subject: x\r\n\r\nhello\r.\r\nMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\r.\rMAIL FROM:<evil@x.test>\r\n",          /* CR.CR */
	  "Subject: x\r\n\r\nhello\r.\rMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\r\n.\r.\r\nMAIL FROM:<evil@x.test>\r\n",   /* CRLF.CR. */
	  "Subject: x\r\n\r\nhello\r\n\r.\r\nMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\n\n.\n\nMAIL FROM:<evil@x.test>\r\n",      /* LF LF.LF LF */
	  "Subject: x\r\n\r\nhello\r\n\r\n.\r\n\r\nMAIL FROM:<evil@x.test>\r\n" },
	{ "Subject: x\r\n\r\nhello\r\n.\n.\r\nMAIL FROM:<evil@x.test>\r\n",   /* CRLF.LF.CRLF */
	  "Subject: x\r\n\r\nhello\r\n.\r\n.\r\nMAIL FROM:<evil@x.test>\r\n" },
};

/* reject: every sequence closes the session with 521, nothing delivered. */
START_TEST(test_reject_data)
{
	struct harness h;
	const char *r;

	h_setup(&h, NULL);
	start_data(&h);
	r = cmd(&h, smuggle[_i].sent);
	ck_assert_ptr_nonnull(strstr(r, "521 5.5.2 "));
	ck_assert_ptr_null(strstr(r, "250"));
	ck_assert_int_eq(h.own.data_ends, 0);
	ck_assert_int_eq(h.own.aborts, 1);
	ck_assert_int_eq(h.own.mails, 1);
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

/* normalize: the sequence is content; only the real CRLF.CRLF ends it. */
START_TEST(test_normalize_data)
{
	struct harness h;

	h_setup(&h, &normalize_opt);
	start_data(&h);
	ck_assert_str_eq(cmd(&h, smuggle[_i].sent), "");
	ck_assert_int_eq(h.own.data_ends, 0);
	ck_assert_int_eq(h.closed, 0);
	ck_assert_str_eq(cmd(&h, ".\r\n"), "250 2.0.0 Ok: queued as J1\r\n");
	ck_assert_int_eq(h.own.data_ends, 1);
	ck_assert_int_eq(h.own.mails, 1);       /* the injected MAIL never ran */
	ck_assert_uint_eq(h.own.body_len, strlen(smuggle[_i].body));
	ck_assert(memcmp(h.own.body, smuggle[_i].body, h.own.body_len) == 0);
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<next@b.test>\r\n"), "250 2.1.0 Ok\r\n");
	h_teardown(&h);
}
END_TEST

/* normalize: LF-only lines in the header and body are stored as CRLF, and a
 * dot after a bare-LF line is content while CRLF "." CRLF still ends. */
START_TEST(test_normalize_lf_message)
{
	static const char body[] = "Subject: lf\r\n\r\nline one\r\n..stuffed\r\n";
	struct harness h;

	h_setup(&h, &normalize_opt);
	start_data(&h);
	ck_assert_str_eq(cmd(&h, "Subject: lf\n\nline one\n...stuffed\n"), "");
	ck_assert_str_eq(cmd(&h, ".\n"), "");           /* LF . LF: content */
	ck_assert_str_eq(cmd(&h, "\r\n.\r\n"), "250 2.0.0 Ok: queued as J1\r\n");
	ck_assert_uint_eq(h.own.body_len, strlen(body) + strlen(".\r\n\r\n"));
	ck_assert(memcmp(h.own.body, body, strlen(body)) == 0);
	ck_assert(memcmp(h.own.body + strlen(body), ".\r\n\r\n", 5) == 0);
	h_teardown(&h);
}
END_TEST

/* normalize: commands may end in a bare LF (pipelined too); a bare CR in
 * a command is refused and counted, never a line end. */
START_TEST(test_normalize_commands)
{
	struct harness h;

	h_setup(&h, &normalize_opt);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "EHLO client.test\n"), "250 ENHANCEDSTATUSCODES\r\n"));
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<a@b.test>\nRCPT TO:<x@b.test>\n"),
	    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n");
	ck_assert_str_eq(cmd(&h, "NO\rOP\r\n"), "500 5.5.2 Bare <CR> in command refused\r\n");
	ck_assert_str_eq(cmd(&h, "RSET\rMAIL FROM:<evil@x.test>\r\n"),
	    "500 5.5.2 Bare <CR> in command refused\r\n");
	ck_assert_int_eq(h.own.mails, 1);
	/* DATA ended by a bare LF: the message starts, but LF "." CRLF is
	 * not CRLF "." CRLF */
	ck_assert_str_eq(cmd(&h, "DATA\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
	ck_assert_str_eq(cmd(&h, ".\r\n"), "");
	ck_assert_str_eq(cmd(&h, ".\r\n"), "250 2.0.0 Ok: queued as J1\r\n");
	ck_assert_uint_eq(h.own.body_len, 3);
	ck_assert(memcmp(h.own.body, ".\r\n", 3) == 0);
	ck_assert_int_eq(h.closed, 0);
	h_teardown(&h);
}
END_TEST

/* reject: a bare LF or CR in a command closes the session with 521. */
START_TEST(test_reject_commands)
{
	static const char *const lines[] = {
		"EHLO x\n", "NOOP\r\rNOOP\r\n", "MAIL FROM:<a@b.test>\nRCPT TO:<x@b.test>\r\n",
	};
	struct harness h;

	h_setup(&h, NULL);
	ck_assert_ptr_nonnull(strstr(cmd(&h, lines[_i]), "521 5.5.2 "));
	ck_assert_int_eq(h.closed, 1);
	ck_assert_int_eq(h.own.mails, 0);
	h_teardown(&h);
}
END_TEST

/* normalize: an overlong line ending in a bare LF is refused like one
 * ending in CRLF, and its tail never ends the message. */
START_TEST(test_normalize_long_lines)
{
	struct harness h;
	char line[1100];

	h_setup(&h, &normalize_opt);
	start_data(&h);
	memset(line, 'a', 1000);
	line[1000] = '\n';
	line[1001] = '\0';
	ck_assert_str_eq(cmd(&h, line), "");
	ck_assert_str_eq(cmd(&h, "\r\n.\r\n"),
	    "500 5.5.2 Message line longer than 1000 octets refused\r\n");
	ck_assert_int_eq(h.own.data_ends, 0);
	ck_assert_int_eq(h.own.aborts, 1);
	h_teardown(&h);
}
END_TEST

Suite *
suite_smtp_server_framing(void)
{
	Suite *s = suite_create("smtp_server_framing");
	TCase *tc = tcase_create("bare-newline");
	int n = (int)(sizeof(smuggle) / sizeof(smuggle[0]));

	tcase_add_loop_test(tc, test_reject_data, 0, n);
	tcase_add_loop_test(tc, test_normalize_data, 0, n);
	tcase_add_test(tc, test_normalize_lf_message);
	tcase_add_test(tc, test_normalize_commands);
	tcase_add_loop_test(tc, test_reject_commands, 0, 3);
	tcase_add_test(tc, test_normalize_long_lines);
	suite_add_tcase(s, tc);
	return s;
}
