/*
 * smtp/client's way to its server, on loopback: a refused connection is
 * reported against the address that refused (not "127.0.0.1[]"), a name
 * that does not resolve says so (layer dns, no address), and a name with
 * several addresses is tried address after address. Names are answered by
 * a DNS server of libevent's running in the test on a loopback UDP port.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/dns_struct.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "util/log.h"
#include "smtp/smtp.h"

struct cc {
	struct event_base *base;
	struct evdns_base *dns;
	struct evdns_server_port *dns_srv;
	evutil_socket_t dns_fd;
	struct smtp_client_result res;
	int done;
	int fd;                         /* the message */
	unsigned queries;
};

/* The zone: name -> IPv4 addresses ("" = NXDOMAIN, "-" = never answer). */
static const struct {
	const char *name;
	const char *addrs[3];
} zone[] = {
	{ "two.test", { "127.0.0.2", "127.0.0.3", NULL } },
	{ "dead.test", { "127.0.0.2", "127.0.0.4", NULL } },
	{ "slow.test", { "-", NULL, NULL } },
};

static void
dns_cb(struct evdns_server_request *req, void *arg)
{
	struct cc *t = arg;
	const struct evdns_server_question *q = req->questions[0];
	uint32_t a[3];
	size_t i, k, n = 0;

	t->queries++;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcasecmp(zone[i].name, q->name) == 0)
			break;
	if (i == sizeof(zone) / sizeof(zone[0])) {
		evdns_server_request_respond(req, DNS_ERR_NOTEXIST);
		return;
	}
	if (strcmp(zone[i].addrs[0], "-") == 0) {
		evdns_server_request_drop(req);         /* silence: a query that hangs */
		return;
	}
	if (q->type == EVDNS_TYPE_A) {
		for (k = 0; k < 3 && zone[i].addrs[k] != NULL; k++)
			inet_pton(AF_INET, zone[i].addrs[k], &a[n++]);
		evdns_server_request_add_a_reply(req, q->name, (int)n, a, 60);
	}
	evdns_server_request_respond(req, 0);
}

static void
done_cb(const struct smtp_client_result *res, void *arg)
{
	struct cc *t = arg;

	t->res = *res;
	t->done = 1;
}

static void
cc_setup(struct cc *t)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	char ns[64], path[] = "/tmp/t37cc.XXXXXX";

	memset(t, 0, sizeof(*t));
	log_set_level(LOG_LVL_ERR);
	t->base = event_base_new();
	t->dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(t->dns_fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(t->dns_fd, (struct sockaddr *)&sin, &sl);
	evutil_make_socket_nonblocking(t->dns_fd);
	t->dns_srv = evdns_add_server_port_with_base(t->base, t->dns_fd, 0, dns_cb, t);
	ck_assert_ptr_nonnull(t->dns_srv);
	t->dns = evdns_base_new(t->base, 0);
	snprintf(ns, sizeof(ns), "127.0.0.1:%u", ntohs(sin.sin_port));
	ck_assert_int_eq(evdns_base_nameserver_ip_add(t->dns, ns), 0);
	evdns_base_set_option(t->dns, "randomize-case:", "0");
	t->fd = mkstemp(path);
	ck_assert_int_ge(t->fd, 0);
	unlink(path);
	ck_assert_int_eq(write(t->fd, "Subject: x\n\nhello\n", 18), 18);
}

static void
cc_teardown(struct cc *t)
{
	evdns_base_free(t->dns, 0);
	evdns_close_server_port(t->dns_srv);
	evutil_closesocket(t->dns_fd);
	close(t->fd);
	event_base_free(t->base);
}

/* A port on 127.0.0.1 that nothing listens on (bound, read, released). */
static unsigned
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(s, (struct sockaddr *)&sin, &sl);
	close(s);
	return ntohs(sin.sin_port);
}

static struct smtp_client *
cc_connect(struct cc *t, const char *host, unsigned port)
{
	struct smtp_client_opts o = { .helo_name = "gw.test" };
	struct smtp_client_msg m = { .mail_from = "a@b.test", .rcpt = "c@d.test" };

	o.timeouts.connect = 3000;
	o.timeouts.greeting = 3000;
	m.fd = t->fd;
	return smtp_client_connect(t->base, t->dns, host, (uint16_t)port, &o, &m, done_cb, t);
}

static void
cc_run(struct cc *t)
{
	struct timeval tv = { 0, 20000 };
	int i;

	for (i = 0; i < 250 && !t->done; i++) {
		event_base_loopexit(t->base, &tv);
		event_base_dispatch(t->base);
	}
	ck_assert_msg(t->done, "the client never finished");
}

/* Refused: the result names the address that refused, and the layer. */
START_TEST(test_refused_numeric)
{
	struct cc t;
	char want[96];
	unsigned port = free_port();

	cc_setup(&t);
	ck_assert_ptr_nonnull(cc_connect(&t, "127.0.0.1", port));
	ck_assert_int_eq(t.done, 0);            /* never from inside the call */
	cc_run(&t);
	ck_assert_int_eq(t.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(t.res.step, SMTP_STEP_CONNECT);
	ck_assert_int_eq(t.res.layer, SMTP_LAYER_TCP);
	ck_assert_str_eq(smtp_client_layer_name(t.res.layer), "tcp");
	ck_assert_str_eq(t.res.peer_ip, "127.0.0.1");
	ck_assert_str_eq(t.res.dsn, "4.4.1");
	snprintf(want, sizeof(want), "connect to 127.0.0.1 port %u: Connection refused", port);
	ck_assert_str_eq(t.res.reply, want);
	ck_assert_int_eq(t.queries, 0);         /* an address is never looked up */
	cc_teardown(&t);
}
END_TEST

/* A name that does not exist: layer dns, no address. */
START_TEST(test_nxdomain)
{
	struct cc t;

	cc_setup(&t);
	ck_assert_ptr_nonnull(cc_connect(&t, "nx.test", 25));
	cc_run(&t);
	ck_assert_int_eq(t.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(t.res.layer, SMTP_LAYER_DNS);
	ck_assert_str_eq(t.res.peer_ip, "");
	ck_assert_str_eq(t.res.dsn, "4.4.3");
	ck_assert_ptr_nonnull(strstr(t.res.reply, "cannot resolve nx.test: "));
	ck_assert_uint_gt(t.queries, 0);
	cc_teardown(&t);
}
END_TEST

/* Busy server on the answer's second address: the first one refused, the
 * second answered (421), and the result is about the second. */
static void
busy_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
    void *arg)
{
	(void)l, (void)sa, (void)len, (void)arg;
	ck_assert_int_eq(write(fd, "421 4.3.2 busy\r\n", 16), 16);
	close(fd);
}

START_TEST(test_next_address)
{
	struct sockaddr_in sin;
	struct evconnlistener *l;
	struct cc t;
	socklen_t sl = sizeof(sin);
	unsigned port;

	cc_setup(&t);
	/* The kernel picks the port on 127.0.0.3 itself: one found free on
	 * 127.0.0.1 may be taken there by a test running beside this one. */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.0.3", &sin.sin_addr);
	l = evconnlistener_new_bind(t.base, busy_accept, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE, 8, (struct sockaddr *)&sin, sizeof(sin));
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl), 0);
	port = ntohs(sin.sin_port);
	ck_assert_ptr_nonnull(cc_connect(&t, "two.test", port));
	cc_run(&t);
	ck_assert_int_eq(t.res.step, SMTP_STEP_GREETING);
	ck_assert_int_eq(t.res.code, 421);
	ck_assert_int_eq(t.res.layer, SMTP_LAYER_SMTP);
	ck_assert_str_eq(t.res.peer_ip, "127.0.0.3");
	evconnlistener_free(l);
	cc_teardown(&t);
}
END_TEST

/* Every address refuses: the last one is named, and that all were tried. */
START_TEST(test_all_refused)
{
	struct cc t;
	char want[128];
	unsigned port = free_port();

	cc_setup(&t);
	ck_assert_ptr_nonnull(cc_connect(&t, "dead.test", port));
	cc_run(&t);
	ck_assert_int_eq(t.res.layer, SMTP_LAYER_TCP);
	ck_assert_str_eq(t.res.peer_ip, "127.0.0.4");
	snprintf(want, sizeof(want), "connect to 127.0.0.4 port %u: Connection refused "
	    "(every address tried)", port);
	ck_assert_str_eq(t.res.reply, want);
	cc_teardown(&t);
}
END_TEST

/* Cancelled while the name is being looked up: no callback, and evdns's
 * late answer for it finds nothing freed (ASan). */
START_TEST(test_cancel_during_dns)
{
	struct timeval tv = { 0, 20000 };
	struct smtp_client *c;
	struct cc t;
	int i;

	cc_setup(&t);
	c = cc_connect(&t, "slow.test", 25);
	ck_assert_ptr_nonnull(c);
	for (i = 0; i < 5; i++) {
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
	}
	ck_assert_uint_gt(t.queries, 0);
	smtp_client_cancel(c);
	for (i = 0; i < 10; i++) {
		event_base_loopexit(t.base, &tv);
		event_base_dispatch(t.base);
	}
	ck_assert_int_eq(t.done, 0);
	cc_teardown(&t);
}
END_TEST

Suite *
suite_smtp_client_connect(void)
{
	Suite *s = suite_create("smtp_client_connect");
	TCase *tc = tcase_create("connect");

	tcase_add_test(tc, test_refused_numeric);
	tcase_add_test(tc, test_nxdomain);
	tcase_add_test(tc, test_next_address);
	tcase_add_test(tc, test_all_refused);
	tcase_add_test(tc, test_cancel_during_dns);
	suite_add_tcase(s, tc);
	return s;
}
