/*
 * smtp/server's limits: admission at the session cap (shed the idlest
 * session, or refuse the new one), the per-address cap, the minimum data
 * rate and the session deadline, with sessions over bufferevent pairs and
 * one real listener on loopback. Timings are a few seconds of real time:
 * the shed rules and deadlines are in whole seconds.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "smtp/smtp.h"
#include "tests/unit/smtp_server_harness.h"

/* A second client on the harness's server (its own output buffer). */
struct peer {
	struct bufferevent *pair[2];
	struct harness out;             /* only out/out_len/closed are used */
	unsigned long long id;
};

static void
peer_attach(struct harness *h, struct peer *p, const char *addr)
{
	memset(p, 0, sizeof(*p));
	ck_assert_int_eq(bufferevent_pair_new(h->base, 0, p->pair), 0);
	bufferevent_setcb(p->pair[1], client_read, NULL, client_event, &p->out);
	bufferevent_enable(p->pair[1], EV_READ | EV_WRITE);
	p->id = smtp_server_attach(h->srv, p->pair[0], addr);
	ck_assert(p->id != 0);
	run(h);
}

static void
peer_say(struct harness *h, struct peer *p, const char *bytes)
{
	bufferevent_write(p->pair[1], bytes, strlen(bytes));
	run(h);
}

static void
peer_free(struct peer *p)
{
	bufferevent_free(p->pair[1]);
}

/* Runs the loop for about ms milliseconds of real time. */
static void
run_for(struct harness *h, unsigned ms)
{
	struct timeval tv = { 0, 20000 };
	unsigned i;

	for (i = 0; i < ms / 20; i++) {
		event_base_loopexit(h->base, &tv);
		event_base_dispatch(h->base);
	}
}

/* At the cap, a session that never said anything is shed for a newcomer
 * (before, the newcomer waited until a slot freed: 2,000 idle connections
 * locked every client out). */
START_TEST(test_shed_silent)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 2 };
	struct harness h;
	struct peer p2, p3;

	h_setup(&h, &opt);                      /* session 1: silent */
	peer_attach(&h, &p2, "192.0.2.2");
	peer_say(&h, &p2, "EHLO two.test\r\n");
	peer_attach(&h, &p3, "192.0.2.3");
	ck_assert_ptr_nonnull(strstr(h.out,
	    "421 4.3.2 gw.test Idle connection closed to make room, try again later\r\n"));
	ck_assert_int_eq(h.closed, 1);
	ck_assert_str_eq(p3.out.out, "220 gw.test ESMTP t37gw\r\n");
	ck_assert_int_eq(p2.out.closed, 0);
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 2);
	ck_assert_int_eq(h.own.sheds, 1);
	ck_assert_int_eq(h.own.connects, 3);
	peer_free(&p2);
	peer_free(&p3);
	h_teardown(&h);
}
END_TEST

/* The host holding the most sessions loses one first: a client with one
 * connection is not pushed out for a flood from another host, even when
 * its session is the oldest silent one. */
START_TEST(test_shed_heaviest_client)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 3 };
	struct harness h;
	struct peer p2, p3, p4;

	h_setup(&h, &opt);                      /* 192.0.2.1, silent, oldest */
	run_for(&h, 100);
	peer_attach(&h, &p2, "198.51.100.9");
	peer_attach(&h, &p3, "198.51.100.9");
	peer_attach(&h, &p4, "192.0.2.5");
	ck_assert_str_eq(p4.out.out, "220 gw.test ESMTP t37gw\r\n");
	ck_assert_int_eq(h.closed, 0);
	ck_assert_ptr_nonnull(strstr(p2.out.out, "421 4.3.2 "));
	ck_assert_ptr_null(strstr(p3.out.out, "421"));
	peer_free(&p2);
	peer_free(&p3);
	peer_free(&p4);
	h_teardown(&h);
}
END_TEST

/* Everyone is busy (spoke within SMTP_SERVER_SHED_IDLE s): the newcomer is
 * refused, nobody is cut off; once one has idled that long, it is shed. */
START_TEST(test_refuse_then_shed_idle)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 2 };
	struct harness h;
	struct peer p2, p3, p4;

	h_setup(&h, &opt);
	say(&h, "EHLO one.test\r\n");
	peer_attach(&h, &p2, "192.0.2.2");
	peer_say(&h, &p2, "EHLO two.test\r\n");
	peer_attach(&h, &p3, "192.0.2.3");
	ck_assert_str_eq(p3.out.out, "421 4.3.2 gw.test Too many connections, try again later\r\n");
	ck_assert_int_eq(p3.out.closed, 1);
	ck_assert_int_eq(h.closed, 0);
	ck_assert_int_eq(h.own.connects, 2);    /* the refused one never reached the owner */
	/* session 2 keeps working, session 1 idles past the limit */
	run_for(&h, 1200);
	peer_say(&h, &p2, "MAIL FROM:<a@b.test>\r\nRSET\r\n");
	run_for(&h, (SMTP_SERVER_SHED_IDLE * 1000) - 1000);
	peer_say(&h, &p2, "MAIL FROM:<a@b.test>\r\nRSET\r\n");
	peer_attach(&h, &p4, "192.0.2.4");
	ck_assert_ptr_nonnull(strstr(p4.out.out, "220 gw.test ESMTP"));
	ck_assert_int_eq(h.closed, 1);
	ck_assert_ptr_nonnull(strstr(h.out, "421 4.3.2 "));
	ck_assert_int_eq(p2.out.closed, 0);
	peer_free(&p2);
	peer_free(&p3);
	peer_free(&p4);
	h_teardown(&h);
}
END_TEST

/* NOOPs keep a connection open but are no progress: such a session is
 * shed before one that works (an attacker cannot hold slots that way). */
START_TEST(test_noop_is_idle)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 2 };
	struct harness h;
	struct peer p2, p3;
	int i;

	h_setup(&h, &opt);
	say(&h, "EHLO noop.test\r\n");
	peer_attach(&h, &p2, "192.0.2.2");
	peer_say(&h, &p2, "EHLO work.test\r\n");
	for (i = 0; i < (SMTP_SERVER_SHED_IDLE * 1000 + 400) / 300; i++) {
		say(&h, "NOOP\r\n");
		peer_say(&h, &p2, "MAIL FROM:<a@b.test>\r\nRSET\r\n");
		run_for(&h, 300);
	}
	peer_attach(&h, &p3, "192.0.2.3");
	ck_assert_ptr_nonnull(strstr(p3.out.out, "220 gw.test ESMTP"));
	ck_assert_int_eq(h.closed, 1);
	ck_assert_int_eq(p2.out.closed, 0);
	peer_free(&p2);
	peer_free(&p3);
	h_teardown(&h);
}
END_TEST

/* Past SMTP_SERVER_JUNK_MAX junk commands, each is an error: the error
 * budget then ends the session. */
START_TEST(test_junk_limit)
{
	struct harness h;
	int i;

	h_setup(&h, NULL);
	ehlo(&h);
	for (i = 0; i < SMTP_SERVER_JUNK_MAX; i++)
		ck_assert_str_eq(cmd(&h, i % 2 ? "NOOP\r\n" : "RSET\r\n"), "250 2.0.0 Ok\r\n");
	for (i = 0; i < SMTP_SERVER_ERRORS_DEFAULT - 1; i++)
		ck_assert_str_eq(cmd(&h, "NOOP\r\n"), "250 2.0.0 Ok\r\n");
	ck_assert_int_eq(h.closed, 0);
	ck_assert_ptr_nonnull(strstr(cmd(&h, "NOOP\r\n"), "421 4.7.0 gw.test Too many errors"));
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

/* A message being committed is never shed, however long it takes. */
START_TEST(test_never_shed_commit)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 1 };
	struct smtp_server_reply r;
	struct harness h;
	struct peer p2;

	h_setup(&h, &opt);
	h.own.async = 1;
	start_data(&h);
	say(&h, "Subject: slow disk\r\n\r\nx\r\n.\r\n");
	ck_assert_int_eq(h.own.data_ends, 1);
	run_for(&h, (SMTP_SERVER_SHED_IDLE + 1) * 1000);
	peer_attach(&h, &p2, "192.0.2.2");
	ck_assert_ptr_nonnull(strstr(p2.out.out, "421 4.3.2 gw.test Too many connections"));
	ck_assert_int_eq(h.closed, 0);
	smtp_server_reply_set(&r, 250, "2.0.0", "Ok: queued as C1");
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), 0);
	run(&h);
	ck_assert_str_eq(h.out, "250 2.0.0 Ok: queued as C1\r\n");
	ck_assert_int_eq(h.own.aborts, 0);
	peer_free(&p2);
	h_teardown(&h);
}
END_TEST

/* The per-address cap holds even when the listener has room. */
START_TEST(test_per_address_cap)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions_per_addr = 2 };
	struct harness h;
	struct peer p2, p3, p4;

	h_setup(&h, &opt);                      /* 192.0.2.1 */
	peer_attach(&h, &p2, "192.0.2.1");
	peer_attach(&h, &p3, "192.0.2.1");
	ck_assert_str_eq(p3.out.out, "421 4.7.0 gw.test Too many connections from your address\r\n");
	ck_assert_int_eq(p3.out.closed, 1);
	peer_attach(&h, &p4, "192.0.2.9");      /* another address gets in */
	ck_assert_str_eq(p4.out.out, "220 gw.test ESMTP t37gw\r\n");
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 3);
	peer_free(&p2);
	peer_free(&p3);
	peer_free(&p4);
	h_teardown(&h);
}
END_TEST

/* IPv6 clients count by /64: the addresses of one prefix share the cap. */
START_TEST(test_per_prefix_cap)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions_per_addr = 2 };
	struct harness h;
	struct peer p2, p3, p4;
	char key[64];

	smtp_server_addr_key("2001:db8:1:2:3:4:5:6", key, sizeof(key));
	ck_assert_str_eq(key, "2001:db8:1:2::/64");
	smtp_server_addr_key("::ffff:192.0.2.1", key, sizeof(key));
	ck_assert_str_eq(key, "::ffff:192.0.2.1");
	smtp_server_addr_key("192.0.2.1", key, sizeof(key));
	ck_assert_str_eq(key, "192.0.2.1");
	memset(&h, 0, sizeof(h));
	log_set_level(LOG_LVL_ERR);
	h.base = event_base_new();
	h.srv = smtp_server_new(h.base, &opt, &own_cb, &h.own);
	peer_attach(&h, &p2, "2001:db8:1:2::1");
	peer_attach(&h, &p3, "2001:db8:1:2::beef");
	peer_attach(&h, &p4, "2001:db8:1:2:ffff::1");
	ck_assert_str_eq(p4.out.out, "421 4.7.0 gw.test Too many connections from your address\r\n");
	peer_free(&p4);
	peer_attach(&h, &p4, "2001:db8:1:3::1");     /* the next /64 */
	ck_assert_str_eq(p4.out.out, "220 gw.test ESMTP t37gw\r\n");
	peer_free(&p2);
	peer_free(&p3);
	peer_free(&p4);
	smtp_server_free(h.srv);
	run(&h);
	event_base_free(h.base);
}
END_TEST

/* One byte every 200 ms resets the read timeout each time, but falls far
 * below the minimum rate: the session ends once its grace is used up
 * (before, it was never cut off). */
START_TEST(test_min_rate_command)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .cmd_timeout = 1,
		.data_timeout = 1, .min_rate = 100 };
	static const char trickle[] = "MAIL FROM:<slow@loris.test>";
	struct harness h;
	unsigned i;
	char b[2] = { 0, 0 };

	h_setup(&h, &opt);
	ehlo(&h);
	for (i = 0; i < 15 && !h.closed; i++) {
		b[0] = trickle[i];
		say(&h, b);
		run_for(&h, 200);
	}
	ck_assert_int_eq(h.closed, 1);
	ck_assert_ptr_nonnull(strstr(h.out, "421 4.4.2 gw.test Too slow, closing connection\r\n"));
	ck_assert_uint_lt(i, 12);               /* about 1 s + 8 bytes / 100 per s */
	ck_assert_int_eq(h.own.mails, 0);
	h_teardown(&h);
}
END_TEST

/* In DATA the same: a message dribbled below the rate is dropped, never
 * delivered; one sent at the rate is taken. */
START_TEST(test_min_rate_data)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .cmd_timeout = 1,
		.data_timeout = 1, .min_rate = 100, .max_message_size = 100000 };
	struct harness h;
	unsigned i;

	h_setup(&h, &opt);
	start_data(&h);
	for (i = 0; i < 20 && !h.closed; i++) {
		say(&h, "a\r\n");
		run_for(&h, 200);
	}
	ck_assert_int_eq(h.closed, 1);
	ck_assert_ptr_nonnull(strstr(h.out, "421 4.4.2 gw.test Too slow"));
	ck_assert_int_eq(h.own.data_ends, 0);
	ck_assert_int_eq(h.own.aborts, 1);
	h_teardown(&h);

	/* 100 octets every 200 ms (500/s) keeps going past the grace */
	h_setup(&h, &opt);
	start_data(&h);
	for (i = 0; i < 10; i++) {
		say(&h, "0123456789012345678901234567890123456789012345678901234567890123456789"
		    "01234567890123456789012345678\r\n");
		run_for(&h, 200);
	}
	ck_assert_int_eq(h.closed, 0);
	ck_assert_str_eq(cmd(&h, ".\r\n"), "250 2.0.0 Ok: queued as J1\r\n");
	h_teardown(&h);
}
END_TEST

/* Whole commands, but forever: the session deadline ends it. */
START_TEST(test_session_deadline)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .session_deadline = 1 };
	struct harness h;
	unsigned i;

	h_setup(&h, &opt);
	for (i = 0; i < 15 && !h.closed; i++) {
		say(&h, "NOOP\r\n");
		run_for(&h, 200);
	}
	ck_assert_int_eq(h.closed, 1);
	ck_assert_ptr_nonnull(strstr(h.out,
	    "421 4.4.2 gw.test Session time limit reached, closing connection\r\n"));
	ck_assert_uint_lt(i, 10);
	h_teardown(&h);
}
END_TEST

/* The deadline passes during a commit: the 250 goes out first, then 421. */
START_TEST(test_session_deadline_commit)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .session_deadline = 1 };
	struct smtp_server_reply r;
	struct harness h;

	h_setup(&h, &opt);
	h.own.async = 1;
	start_data(&h);
	say(&h, "x\r\n.\r\n");
	run_for(&h, 1500);
	ck_assert_int_eq(h.closed, 0);
	smtp_server_reply_set(&r, 250, "2.0.0", "Ok: queued as D1");
	ck_assert_int_eq(smtp_server_reply_data(h.srv, h.id, &r), 0);
	run(&h);
	ck_assert_str_eq(h.out, "250 2.0.0 Ok: queued as D1\r\n"
	    "421 4.4.2 gw.test Session time limit reached, closing connection\r\n");
	ck_assert_int_eq(h.closed, 1);
	h_teardown(&h);
}
END_TEST

/* A real listener: silent connections beyond the cap are shed, the newest
 * one gets its greeting; the listener never stops accepting. */
static int
tcp_client(int port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static const char *
tcp_read(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

START_TEST(test_listener_sheds)
{
	struct smtp_server_options opt = { .hostname = "gw.test", .max_sessions = 2 };
	struct harness h;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char port[16], buf[512];
	int probe, c[3], i;

	memset(&h, 0, sizeof(h));
	log_set_level(LOG_LVL_ERR);
	h.base = event_base_new();
	h.srv = smtp_server_new(h.base, &opt, &own_cb, &h.own);
	probe = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(probe, (struct sockaddr *)&sin, &sl);
	close(probe);
	snprintf(port, sizeof(port), "%d", ntohs(sin.sin_port));
	ck_assert_int_eq(smtp_server_listen(h.srv, "127.0.0.1", port), 0);
	for (i = 0; i < 3; i++) {
		c[i] = tcp_client(ntohs(sin.sin_port));
		run_for(&h, 60);
	}
	ck_assert_ptr_nonnull(strstr(tcp_read(c[0], buf, sizeof(buf)), "220 gw.test ESMTP t37gw\r\n421 4.3.2 "));
	ck_assert_str_eq(tcp_read(c[1], buf, sizeof(buf)), "220 gw.test ESMTP t37gw\r\n");
	ck_assert_str_eq(tcp_read(c[2], buf, sizeof(buf)), "220 gw.test ESMTP t37gw\r\n");
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 2);
	for (i = 0; i < 3; i++)
		close(c[i]);
	run_for(&h, 100);
	ck_assert_uint_eq(smtp_server_sessions(h.srv), 0);
	ck_assert_int_eq(h.own.ends, 3);
	ck_assert_int_eq(h.own.sheds, 1);
	smtp_server_free(h.srv);
	event_base_free(h.base);
}
END_TEST

Suite *
suite_smtp_server_limits(void)
{
	Suite *s = suite_create("smtp_server_limits");
	TCase *tc = tcase_create("limits");

	tcase_set_timeout(tc, 15);
	tcase_add_test(tc, test_shed_silent);
	tcase_add_test(tc, test_shed_heaviest_client);
	tcase_add_test(tc, test_refuse_then_shed_idle);
	tcase_add_test(tc, test_never_shed_commit);
	tcase_add_test(tc, test_noop_is_idle);
	tcase_add_test(tc, test_junk_limit);
	tcase_add_test(tc, test_per_address_cap);
	tcase_add_test(tc, test_per_prefix_cap);
	tcase_add_test(tc, test_min_rate_command);
	tcase_add_test(tc, test_min_rate_data);
	tcase_add_test(tc, test_session_deadline);
	tcase_add_test(tc, test_session_deadline_commit);
	tcase_add_test(tc, test_listener_sheds);
	suite_add_tcase(s, tc);
	return s;
}
