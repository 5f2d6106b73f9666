/*
 * Session tests of smtp/server: the state machine driven in memory over a
 * bufferevent_pair_new(), with a small owner that records its callbacks.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util/log.h"
#include "smtp/smtp.h"
#include "tests/unit/smtp_server_harness.h"

START_TEST(test_greeting_and_ehlo)
{
	struct harness h;
	const char *r;

	h_setup(&h, NULL);
	ck_assert_str_eq(h.out, "220 gw.test ESMTP t37gw\r\n");
	r = cmd(&h, "EHLO client.test\r\n");
	ck_assert_ptr_nonnull(strstr(r, "250-gw.test\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "250-PIPELINING\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "250-SIZE 100000\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "250-8BITMIME\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "250-DSN\r\n"));
	ck_assert_ptr_nonnull(strstr(r, "250 ENHANCEDSTATUSCODES\r\n"));
	ck_assert_ptr_null(strstr(r, "STARTTLS"));      /* no certificate */
	ck_assert_ptr_null(strstr(r, "AUTH"));          /* not offered */
	ck_assert_str_eq(cmd(&h, "HELO client.test\r\n"), "250 gw.test\r\n");
	ck_assert_str_eq(cmd(&h, "QUIT\r\n"), "221 2.0.0 gw.test Bye\r\n");
	ck_assert_int_eq(h.closed, 1);
	ck_assert_int_eq(h.own.ends, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_transaction_unstuffing)
{
	struct harness h;

	h_setup(&h, NULL);
	ehlo(&h);
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<alice@example.com> SIZE=20 ENVID=job+2B1\r\n"),
	    "250 2.1.0 Ok\r\n");
	ck_assert_str_eq(h.own.last_from, "alice@example.com");
	ck_assert_str_eq(h.own.last_envid, "job+2B1");
	ck_assert_uint_eq(h.own.last_size, 20);
	ck_assert_str_eq(cmd(&h, "RCPT TO:<FAX=+19195551234@fax.test> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;FAX+3D+2B19195551234@fax.test\r\n"), "250 2.1.5 Ok\r\n");
	ck_assert_uint_eq(h.own.last_notify, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE);
	ck_assert_str_eq(h.own.last_orcpt, "rfc822;FAX+3D+2B19195551234@fax.test");
	ck_assert_str_eq(cmd(&h, "DATA\r\n"), "354 End data with <CR><LF>.<CR><LF>\r\n");
	ck_assert_str_eq(cmd(&h, "Subject: t\r\n\r\n..leading dot\r\n.\r\n"),
	    "250 2.0.0 Ok: queued as J1\r\n");
	ck_assert_int_eq(h.own.data_ends, 1);
	ck_assert_uint_eq(h.own.body_len, strlen("Subject: t\r\n\r\n.leading dot\r\n"));
	ck_assert(memcmp(h.own.body, "Subject: t\r\n\r\n.leading dot\r\n", h.own.body_len) == 0);
	/* the transaction is over: RCPT needs a new MAIL */
	ck_assert_str_eq(cmd(&h, "RCPT TO:<a@fax.test>\r\n"), "503 5.5.1 Error: need MAIL command\r\n");
	/* null reverse path */
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<>\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_str_eq(h.own.last_from, "");
	h_teardown(&h);
}
END_TEST

START_TEST(test_sequencing)
{
	struct harness h;

	h_setup(&h, NULL);
	/* these work before EHLO (RFC 5321 4.1.4) */
	ck_assert_str_eq(cmd(&h, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	ck_assert_str_eq(cmd(&h, "RSET\r\n"), "250 2.0.0 Ok\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "VRFY bob\r\n"), "252 2.5.0 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "HELP\r\n"), "214 2.0.0 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "EXPN list\r\n"), "502 5.5.1 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test>\r\n"), "503 5.5.1 "));
	ehlo(&h);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<a@b.test>\r\n"), "503 5.5.1 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "DATA\r\n"), "503 5.5.1 "));
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<a@b.test>\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test>\r\n"), "503 5.5.1 "));
	/* DATA with no accepted recipient: 503, never 354 */
	ck_assert_str_eq(cmd(&h, "RCPT TO:<deny@b.test>\r\n"), "550 5.7.1 relaying denied\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "DATA\r\n"), "503 5.5.1 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "DATA extra\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RSET now\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "FOO bar\r\n"), "500 5.5.2 "));
	/* a second EHLO resets the transaction */
	ehlo(&h);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<a@b.test>\r\n"), "503 5.5.1 "));
	ck_assert_int_eq(h.closed, 0);      /* unknown commands never close */
	/* sender refused by the owner */
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<bad@example.com>\r\n"), "550 5.7.1 Sender not allowed\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<a@b.test>\r\n"), "503 5.5.1 "));
	h_teardown(&h);
}
END_TEST

START_TEST(test_params)
{
	struct harness h;

	h_setup(&h, NULL);
	ehlo(&h);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test> FOO=1\r\n"), "555 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test> RET=FULL RET=HDRS\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test> SIZE=100001\r\n"), "552 5.3.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test> BODY=9BIT\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:a@b.test\r\n"), "501 5.1.7 "));
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<a@b.test> BODY=8BITMIME RET=HDRS\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<x@b.test> NOTIFY=NEVER,SUCCESS\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<x@b.test> NOTIFY=SUCCESS NOTIFY=DELAY\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<x@b.test> ORCPT=rfc822;a+b\r\n"), "501 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<x@b.test> XYZ\r\n"), "555 5.5.4 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<>\r\n"), "501 5.1.3 "));
	ck_assert_str_eq(cmd(&h, "RCPT TO:<Postmaster>\r\n"), "250 2.1.5 Ok\r\n");
	ck_assert_str_eq(h.own.last_to, "Postmaster");
	ck_assert_str_eq(cmd(&h, "RCPT TO:<x@b.test> NOTIFY=NEVER\r\n"), "250 2.1.5 Ok\r\n");
	ck_assert_uint_eq(h.own.last_notify, SMTP_NOTIFY_NEVER);
	h_teardown(&h);
}
END_TEST

START_TEST(test_helo_no_extensions)
{
	struct harness h;

	h_setup(&h, NULL);
	cmd(&h, "HELO old.test\r\n");
	/* DSN parameters need EHLO */
	ck_assert_ptr_nonnull(strstr(cmd(&h, "MAIL FROM:<a@b.test> RET=FULL\r\n"), "555 5.5.4 "));
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<a@b.test>\r\n"), "250 2.1.0 Ok\r\n");
	h_teardown(&h);
}
END_TEST

START_TEST(test_nul_and_lengths)
{
	struct harness h;
	char line[3000];

	h_setup(&h, NULL);
	bufferevent_write(h.pair[1], "NO\0OP\r\n", 7);
	clear(&h);
	run(&h);
	ck_assert_ptr_nonnull(strstr(h.out, "500 5.5.2 NUL"));
	ehlo(&h);
	/* exactly 1036 octets with CRLF: accepted (RFC 3461 5.4) */
	memset(line, 0, sizeof(line));
	strcpy(line, "MAIL FROM:<a@b.test> ENVID=");
	memset(line + strlen(line), 'x', 1034 - strlen(line));
	strcat(line, "\r\n");
	ck_assert_uint_eq(strlen(line), 1036);
	/* ENVID over 100 characters is refused as a value, not as a line */
	ck_assert_ptr_nonnull(strstr(cmd(&h, line), "501 5.5.4 Bad value for parameter ENVID"));
	/* over the limit: 500, the session stays */
	memset(line, 'A', 2100);
	strcpy(line + 2100, "\r\n");
	ck_assert_str_eq(cmd(&h, line), "500 5.5.2 Line too long\r\n");
	ck_assert_int_eq(h.closed, 0);
	ck_assert_str_eq(cmd(&h, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	/* over the limit with no CRLF at all: 500 and close */
	line[2100] = '\0';
	ck_assert_str_eq(cmd(&h, line), "500 5.5.2 Line too long\r\n");
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_text_line_limit)
{
	struct harness h;
	char line[1100];

	h_setup(&h, NULL);
	start_data(&h);
	memset(line, 'a', 998);             /* 998 + CRLF = 1000: fine */
	strcpy(line + 998, "\r\n");
	say(&h, "Subject: ok\r\n\r\n");
	say(&h, line);
	ck_assert_str_eq(cmd(&h, ".\r\n"), "250 2.0.0 Ok: queued as J1\r\n");
	start_data(&h);
	memset(line, 'a', 999);
	strcpy(line + 999, "\r\n");
	say(&h, line);
	/* the error is told once, after the final dot */
	ck_assert_str_eq(h.out, "");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "more\r\n.\r\n"), "500 5.5.2 Message line longer"));
	ck_assert_int_eq(h.own.data_ends, 1);
	ck_assert_int_eq(h.own.aborts, 1);
	ck_assert_str_eq(cmd(&h, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	h_teardown(&h);
}
END_TEST

START_TEST(test_long_line_tail_is_not_a_dot)
{
	struct harness h;
	char line[4000];

	h_setup(&h, NULL);
	start_data(&h);
	/* 3000 octets without CRLF, then ".\r\n": the tail of the long line,
	 * not the end of the message */
	memset(line, 'b', 3000);
	line[3000] = '\0';
	say(&h, line);
	ck_assert_str_eq(cmd(&h, ".\r\n"), "");
	ck_assert_ptr_nonnull(strstr(cmd(&h, ".\r\n"), "500 5.5.2 "));
	ck_assert_int_eq(h.own.data_ends, 0);
	h_teardown(&h);
}
END_TEST

START_TEST(test_max_size)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_message_size = 1000 };
	struct harness h;
	int i;

	h_setup(&h, &opt);
	start_data(&h);
	for (i = 0; i < 30; i++)
		say(&h, "0123456789012345678901234567890123456789012345678\r\n");
	ck_assert_str_eq(h.out, "");        /* read to the final dot first */
	ck_assert_ptr_nonnull(strstr(cmd(&h, ".\r\n"), "552 5.3.4 "));
	ck_assert_int_eq(h.own.data_ends, 0);
	ck_assert_int_eq(h.own.aborts, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_received_loop)
{
	struct harness h;
	int i, n = _i == 0 ? 99 : 100;

	h_setup(&h, NULL);
	start_data(&h);
	for (i = 0; i < n; i++)
		say(&h, "Received: from a by b; Mon, 1 Jan 2024 00:00:00 +0000\r\n");
	say(&h, "Subject: loop\r\n\r\nReceived: in the body does not count\r\n");
	if (n == 99) {
		ck_assert_str_eq(cmd(&h, ".\r\n"), "250 2.0.0 Ok: queued as J1\r\n");
	} else {
		ck_assert_ptr_nonnull(strstr(cmd(&h, ".\r\n"), "554 5.4.6 "));
		ck_assert_int_eq(h.own.data_ends, 0);
	}
	h_teardown(&h);
}
END_TEST

START_TEST(test_pipelining)
{
	struct harness h;

	h_setup(&h, NULL);
	clear(&h);
	say(&h, "EHLO p.test\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<x@b.test>\r\n"
	    "RCPT TO:<deny@b.test>\r\nRCPT TO:<y@b.test>\r\nDATA\r\n"
	    "Subject: p\r\n\r\nbody\r\n.\r\nNOOP\r\nQUIT\r\n");
	ck_assert_ptr_nonnull(strstr(h.out,
	    "250 ENHANCEDSTATUSCODES\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n"
	    "550 5.7.1 relaying denied\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
	    "250 2.0.0 Ok: queued as J1\r\n250 2.0.0 Ok\r\n221 2.0.0 gw.test Bye\r\n"));
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_async_data_end)
{
	struct harness h;
	struct smtp_server_reply r;

	h_setup(&h, NULL);
	h.own.async = 1;
	start_data(&h);
	/* the dot and a pipelined NOOP: nothing answered until the commit */
	ck_assert_str_eq(cmd(&h, "Subject: a\r\n\r\nx\r\n.\r\nNOOP\r\n"), "");
	ck_assert_int_eq(h.own.data_ends, 1);
	ck_assert(h.own.pending == h.id);
	smtp_server_reply_set(&r, 250, "2.0.0", "Ok: queued as X1");
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), 0);
	run(&h);
	ck_assert_str_eq(h.out, "250 2.0.0 Ok: queued as X1\r\n250 2.0.0 Ok\r\n");
	/* a second completion, or one for an unknown session, is refused */
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), -1);
	ck_assert_int_eq(smtp_server_reply_data(h.srv, 12345, &r), -1);
	h_teardown(&h);
}
END_TEST

/*
 * The client closes its side right behind the final dot (and a QUIT): the
 * session stays until the commit answers, sends the 250 and the 221, and
 * only then closes. Before, the EOF freed the session at once and the
 * client never heard that its message was accepted.
 */
START_TEST(test_async_client_half_close)
{
	struct harness h;
	struct smtp_server_reply r;

	h_setup(&h, NULL);
	h.own.async = 1;
	start_data(&h);
	clear(&h);
	say(&h, "x\r\n.\r\nQUIT\r\n");
	bufferevent_flush(h.pair[1], EV_WRITE, BEV_FINISHED);   /* half-close */
	run(&h);
	ck_assert_int_eq(h.own.data_ends, 1);
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 1);
	ck_assert_int_eq(h.own.ends, 0);
	ck_assert_str_eq(h.out, "");
	smtp_server_reply_set(&r, 250, "2.0.0", "Ok: queued as X2");
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), 0);
	run(&h);
	ck_assert_str_eq(h.out, "250 2.0.0 Ok: queued as X2\r\n221 2.0.0 gw.test Bye\r\n");
	ck_assert_int_eq(h.own.ends, 1);
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 0);
	ck_assert_int_eq(h.own.aborts, 0);
	h_teardown(&h);
}
END_TEST

/* Gone for good after the dot: the commit's answer still ends the session. */
START_TEST(test_async_client_gone)
{
	struct harness h;
	struct smtp_server_reply r;

	h_setup(&h, NULL);
	h.own.async = 1;
	start_data(&h);
	say(&h, "x\r\n.\r\n");
	bufferevent_flush(h.pair[1], EV_WRITE, BEV_FINISHED);   /* EOF */
	bufferevent_free(h.pair[1]);
	h.pair[1] = NULL;
	run(&h);
	ck_assert_int_eq(h.own.ends, 0);
	smtp_server_reply_set(&r, 250, "2.0.0", "Ok");
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), 0);
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), -1);
	run(&h);
	/* (a socket's write error frees it now; a pair without its partner
	 * keeps the unsent reply until the write timeout) */
	smtp_server_free(h.srv);
	ck_assert_int_eq(h.own.ends, 1);
	ck_assert_int_eq(h.own.aborts, 0);
	run(&h);
	event_base_free(h.base);
}
END_TEST

/* Commands pipelined right before a half-close are answered, then closed. */
START_TEST(test_half_close_answers_pipelined)
{
	struct harness h;

	h_setup(&h, NULL);
	clear(&h);
	bufferevent_write(h.pair[1], "EHLO c\r\nNOOP\r\n", 14);
	bufferevent_flush(h.pair[1], EV_WRITE, BEV_FINISHED);
	run(&h);
	ck_assert_ptr_nonnull(strstr(h.out, "250 ENHANCEDSTATUSCODES\r\n250 2.0.0 Ok\r\n"));
	ck_assert_int_eq(h.own.ends, 1);
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 0);
	h_teardown(&h);
}
END_TEST

START_TEST(test_lost_mid_data)
{
	struct harness h;

	h_setup(&h, NULL);
	start_data(&h);
	say(&h, "Subject: half\r\n\r\nhalf a messa");
	bufferevent_flush(h.pair[1], EV_WRITE, BEV_FINISHED);   /* EOF */
	bufferevent_free(h.pair[1]);
	h.pair[1] = NULL;
	run(&h);
	ck_assert_int_eq(h.own.data_ends, 0);
	ck_assert_int_eq(h.own.aborts, 1);
	ck_assert_int_eq(h.own.ends, 1);
	smtp_server_free(h.srv);
	run(&h);
	event_base_free(h.base);
}
END_TEST

START_TEST(test_error_budget)
{
	struct harness h;
	int i;

	h_setup(&h, NULL);
	for (i = 0; i < SMTP_SERVER_ERRORS_DEFAULT - 1; i++)
		ck_assert_ptr_nonnull(strstr(cmd(&h, "BOGUS\r\n"), "500 5.5.2"));
	ck_assert_int_eq(h.closed, 0);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "BOGUS\r\n"), "421 4.7.0 "));
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_max_recipients)
{
	struct harness h;
	char line[64];
	int i;

	h_setup(&h, NULL);
	ehlo(&h);
	cmd(&h, "MAIL FROM:<a@b.test>\r\n");
	for (i = 0; i < SMTP_SERVER_RCPT_MIN; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<r%d@b.test>\r\n", i);
		ck_assert_str_eq(cmd(&h, line), "250 2.1.5 Ok\r\n");
	}
	ck_assert_ptr_nonnull(strstr(cmd(&h, "RCPT TO:<r@b.test>\r\n"), "452 4.5.3 "));
	h_teardown(&h);
}
END_TEST

START_TEST(test_auth)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .auth = 1 };
	struct harness h;

	h_setup(&h, &opt);
	ck_assert_ptr_null(strstr(cmd(&h, "EHLO c\r\n"), "AUTH"));
	/* no AUTH in clear unless allowed */
	ck_assert_ptr_nonnull(strstr(cmd(&h, "AUTH PLAIN AGZheABzZWNyZXQ=\r\n"), "538 5.7.11 "));
	ck_assert_int_eq(h.own.auths, 0);
	h_teardown(&h);

	opt.auth_in_clear = 1;
	h_setup(&h, &opt);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "EHLO c\r\n"), "250-AUTH PLAIN LOGIN\r\n"));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "AUTH PLAIN AGZheABiYWQ=\r\n"), "535 5.7.8 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "AUTH PLAIN !!!!\r\n"), "501 5.5.2 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "AUTH CRAM-MD5\r\n"), "504 5.5.4 "));
	ck_assert_str_eq(cmd(&h, "AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "*\r\n"), "501 5.7.0 "));
	ck_assert_str_eq(cmd(&h, "AUTH LOGIN\r\n"), "334 VXNlcm5hbWU6\r\n");
	ck_assert_str_eq(cmd(&h, "ZmF4\r\n"), "334 UGFzc3dvcmQ6\r\n");
	ck_assert_str_eq(cmd(&h, "c2VjcmV0\r\n"), "235 2.7.0 Authentication successful\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "AUTH PLAIN\r\n"), "503 5.5.1 "));
	h_teardown(&h);

	h_setup(&h, &opt);
	cmd(&h, "EHLO c\r\n");
	ck_assert_str_eq(cmd(&h, "AUTH PLAIN\r\n"), "334 \r\n");
	ck_assert_str_eq(cmd(&h, "AGZheABzZWNyZXQ=\r\n"), "235 2.7.0 Authentication successful\r\n");
	ck_assert_str_eq(cmd(&h, "MAIL FROM:<a@b.test> AUTH=<>\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(&h, "AUTH PLAIN\r\n"), "503 5.5.1 "));
	h_teardown(&h);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct harness h;

	memset(&h, 0, sizeof(h));
	log_set_level(LOG_LVL_ERR);
	h.base = event_base_new();
	{
		struct smtp_server_options opt = { .hostname = "gw.test" };

		h.srv = smtp_server_new(h.base, &opt, &own_cb, &h.own);
	}
	h.own.refuse_connect = 1;
	ck_assert_int_eq(bufferevent_pair_new(h.base, 0, h.pair), 0);
	bufferevent_setcb(h.pair[1], client_read, NULL, client_event, &h);
	bufferevent_enable(h.pair[1], EV_READ | EV_WRITE);
	smtp_server_attach(h.srv, h.pair[0], "198.51.100.7");
	run(&h);
	ck_assert_str_eq(h.out, "554 5.7.1 Client host rejected: not allowed\r\n");
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_per_address_limit)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions_per_addr = 2 };
	struct harness h;
	struct bufferevent *p2[2], *p3[2];

	h_setup(&h, &opt);
	ck_assert_int_eq(bufferevent_pair_new(h.base, 0, p2), 0);
	ck_assert(smtp_server_attach(h.srv, p2[0], "192.0.2.1") != 0);
	ck_assert_int_eq(bufferevent_pair_new(h.base, 0, p3), 0);
	bufferevent_setcb(p3[1], client_read, NULL, client_event, &h);
	bufferevent_enable(p3[1], EV_READ);
	clear(&h);
	smtp_server_attach(h.srv, p3[0], "192.0.2.1");
	run(&h);
	ck_assert_ptr_nonnull(strstr(h.out, "421 4.7.0 "));
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 2);
	bufferevent_free(p2[1]);
	bufferevent_free(p3[1]);
	h_teardown(&h);
}
END_TEST

START_TEST(test_http_probe)
{
	struct harness h;

	h_setup(&h, NULL);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "GET / HTTP/1.0\r\n"), "521 5.7.0 "));
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_starttls_unavailable)
{
	struct harness h;

	h_setup(&h, NULL);
	ehlo(&h);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "STARTTLS\r\n"), "454 4.7.0 "));
	ck_assert_ptr_nonnull(strstr(cmd(&h, "STARTTLS now\r\n"), "501 5.5.4 "));
	h_teardown(&h);
}
END_TEST

START_TEST(test_timeout)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .cmd_timeout = 1 };
	struct harness h;
	struct timeval tv = { 0, 100000 };
	int i;

	h_setup(&h, &opt);
	ehlo(&h);
	for (i = 0; i < 30 && !h.closed; i++) {
		event_base_loopexit(h.base, &tv);
		event_base_dispatch(h.base);
	}
	ck_assert_ptr_nonnull(strstr(h.out, "421 4.4.2 "));
	ck_assert_int_eq(h.closed, 1);
	ck_assert_int_eq(h.own.ends, 1);
	h_teardown(&h);
}
END_TEST

START_TEST(test_shutdown)
{
	struct harness h, idle;
	struct bufferevent *p2[2];

	h_setup(&h, NULL);
	/* a second, idle session on the same server */
	memset(&idle, 0, sizeof(idle));
	ck_assert_int_eq(bufferevent_pair_new(h.base, 0, p2), 0);
	bufferevent_setcb(p2[1], client_read, NULL, client_event, &idle);
	bufferevent_enable(p2[1], EV_READ | EV_WRITE);
	ck_assert(smtp_server_attach(h.srv, p2[0], "192.0.2.9") != 0);
	start_data(&h);
	run(&h);
	idle.out_len = 0;
	smtp_server_shutdown(h.srv);
	run(&h);
	/* the idle one is told and closed; the transaction goes on */
	ck_assert_ptr_nonnull(strstr(idle.out, "421 4.3.2 "));
	ck_assert_int_eq(idle.closed, 1);
	ck_assert_int_eq(h.closed, 0);
	ck_assert_str_eq(cmd(&h, "Subject: last\r\n\r\nx\r\n.\r\n"),
	    "250 2.0.0 Ok: queued as J1\r\n421 4.3.2 gw.test Service shutting down, try again later\r\n");
	ck_assert_int_eq(h.closed, 1);
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 0);
	bufferevent_free(p2[1]);
	h_teardown(&h);
}
END_TEST

Suite *
suite_smtp_server(void)
{
	Suite *s = suite_create("smtp_server");
	TCase *tc = tcase_create("session");

	tcase_add_test(tc, test_greeting_and_ehlo);
	tcase_add_test(tc, test_transaction_unstuffing);
	tcase_add_test(tc, test_sequencing);
	tcase_add_test(tc, test_params);
	tcase_add_test(tc, test_helo_no_extensions);
	tcase_add_test(tc, test_nul_and_lengths);
	tcase_add_test(tc, test_text_line_limit);
	tcase_add_test(tc, test_long_line_tail_is_not_a_dot);
	tcase_add_test(tc, test_max_size);
	tcase_add_loop_test(tc, test_received_loop, 0, 2);
	tcase_add_test(tc, test_pipelining);
	tcase_add_test(tc, test_async_data_end);
	tcase_add_test(tc, test_async_client_gone);
	tcase_add_test(tc, test_async_client_half_close);
	tcase_add_test(tc, test_half_close_answers_pipelined);
	tcase_add_test(tc, test_lost_mid_data);
	tcase_add_test(tc, test_error_budget);
	tcase_add_test(tc, test_max_recipients);
	tcase_add_test(tc, test_auth);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_per_address_limit);
	tcase_add_test(tc, test_http_probe);
	tcase_add_test(tc, test_starttls_unavailable);
	tcase_add_test(tc, test_timeout);
	tcase_add_test(tc, test_shutdown);
	suite_add_tcase(s, tc);
	return s;
}
