/* The limits of a line (sip/limits.c, sip/ports.c): the capacity that
 * descriptors, the rtp-ports range and max-calls leave; media ports that
 * other programs hold are skipped over the whole range, with descriptors
 * numbered past libre's default poll table (1024); a full range and too
 * few descriptors refuse the call with 503 and name the limit. A real line
 * thread on loopback, driven with hand-written INVITEs over UDP. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sip/sip.h"
#include "tests/unit/sip_test_util.h"

/* Ports of the range held by "another program" (this test), and the
 * pairs left free among them. */
#define LIM_PAIRS 1000
#define LIM_FREE 3
static const unsigned lim_free_pair[LIM_FREE] = { 100, 500, 900 };

static const char sdp_audio[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\n";

static void
lim_route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	(void)arg;
	d->action = SIP_ROUTE_ACCEPT;
	snprintf(d->rx_path, sizeof(d->rx_path), "/tmp/t37-limits-test-%d-%s.tif",
	    (int)getpid(), info->call_id);
	d->fax.ecm = true;
}

/* A UDP socket bound to 127.0.0.1:port, or -1 when the port is taken. */
static int
lim_bind(unsigned port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The port of the m=audio line of an SDP answer in resp, or 0. */
static unsigned
lim_audio_port(const char *resp)
{
	const char *m = strstr(resp, "m=audio ");
	unsigned port = 0;

	if (m != NULL)
		sscanf(m, "m=audio %u", &port);
	return port;
}

/* An INVITE from its own socket (each call's 200 is retransmitted until
 * an ACK that this peer never sends: a shared socket would mix them). */
static int
lim_invite(int line_port, const char *callid, char *resp, size_t respsz)
{
	struct client c;
	int st;

	client_open(&c, line_port);
	st = client_request(&c, "INVITE", "sip:9913170@127.0.0.1", callid, "", sdp_audio, 200,
	    resp, respsz);
	close(c.fd);
	return st;
}

static struct sip_line *
lim_line(int port, unsigned rtp_min, unsigned rtp_max, unsigned max_calls)
{
	struct sip_line_options o;

	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.t38 = SIP_T38_OFF;
	o.rtp_port_min = (uint16_t)rtp_min;
	o.rtp_port_max = (uint16_t)rtp_max;
	o.max_calls = max_calls;
	o.route = lim_route;
	return st_line_start(&o);
}

START_TEST(test_sip_capacity)
{
	struct sip_line_options o;
	struct sip_capacity c;
	char buf[256];

	sip_line_options_init(&o);
	o.rtp_port_min = 16384;
	o.rtp_port_max = 32767;
	o.max_calls = 500;
	/* 1024 descriptors: (1024 - 64) / 5 calls */
	sip_capacity_get(&o, 1024, &c);
	ck_assert_uint_eq(c.max_fds, 1024);
	ck_assert_uint_eq(c.fd_calls, (1024 - SIP_FD_RESERVE) / SIP_FDS_PER_CALL);
	ck_assert_uint_eq(c.ports, 16384);
	ck_assert_uint_eq(c.ports_per_call, 3);         /* t38 on: pair + UDPTL */
	ck_assert_uint_eq(c.port_calls, 16384 / 3);
	ck_assert_uint_eq(c.calls, 192);
	ck_assert_str_eq(c.limit, "descriptors");
	sip_capacity_format(&c, &o, buf, sizeof(buf));
	ck_assert_str_eq(buf, " calls=192 limit=descriptors max-calls=500 fds-per-call=5 "
	    "fd-capacity=192 rtp-ports=16384-32767 ports-per-call=3 port-capacity=5461");
	/* a huge limit: the poll table is capped, max-calls binds */
	sip_capacity_get(&o, 1048576, &c);
	ck_assert_uint_eq(c.max_fds, SIP_LINE_MAX_FDS);
	ck_assert_uint_eq(c.calls, 500);
	ck_assert_str_eq(c.limit, "max-calls");
	/* a small range, G.711 only: 2 ports a call */
	o.t38 = SIP_T38_OFF;
	o.rtp_port_min = 20000;
	o.rtp_port_max = 20099;
	sip_capacity_get(&o, 65536, &c);
	ck_assert_uint_eq(c.port_calls, 50);
	ck_assert_uint_eq(c.calls, 50);
	ck_assert_str_eq(c.limit, "ports");
	/* fewer descriptors than the reserve: no call at all */
	sip_capacity_get(&o, 32, &c);
	ck_assert_uint_eq(c.fd_calls, 0);
	ck_assert_uint_eq(c.calls, 0);
}
END_TEST

/*
 * Every even port of a 1000-pair range held by another program but three
 * pairs: three calls get exactly those (libre's own allocation tried 64
 * random ports and failed most of the time), on descriptors numbered past
 * 1024 (the held sockets push them there); the fourth call finds the range
 * full: 503, limit=ports.
 */
START_TEST(test_sip_ports_skip_taken)
{
	static int held[LIM_PAIRS];
	unsigned long long was, now;
	struct sip_line *line;
	struct sip_event *ev;
	char resp[4096], id[16];
	unsigned base = 0, i, k, got[LIM_FREE];
	int port = st_free_port(), tries;

	sip_nofile_raise(&was, &now);
	if (now < LIM_PAIRS + 256)
		ck_abort_msg("RLIMIT_NOFILE %llu is too low for this test", now);
	/* a range below the ephemeral ports and the default RTP ranges,
	 * whose free pairs are free now */
	for (tries = 0; tries < 20 && base == 0; tries++) {
		base = 10000 + (unsigned)(rand() % 2000) * 2;
		for (k = 0; k < LIM_FREE; k++) {
			int a = lim_bind(base + 2 * lim_free_pair[k]);
			int b = lim_bind(base + 2 * lim_free_pair[k] + 1);

			if (a < 0 || b < 0)
				base = 0;
			if (a >= 0)
				close(a);
			if (b >= 0)
				close(b);
		}
	}
	ck_assert_uint_ne(base, 0);
	for (i = 0, k = 0; i < LIM_PAIRS; i++) {
		if (k < LIM_FREE && i == lim_free_pair[k]) {
			held[i] = -1;
			k++;
			continue;
		}
		held[i] = lim_bind(base + 2 * i);       /* -1: taken by someone else */
	}
	line = lim_line(port, base, base + 2 * LIM_PAIRS - 1, 10);
	ck_assert_ptr_nonnull(line);
	for (k = 0; k < LIM_FREE; k++) {
		snprintf(id, sizeof(id), "skip%u", k);
		ck_assert_int_eq(lim_invite(port, id, resp, sizeof(resp)), 200);
		got[k] = lim_audio_port(resp);
	}
	/* from the start of the range on, each free pair once */
	for (k = 0; k < LIM_FREE; k++)
		ck_assert_uint_eq(got[k], base + 2 * lim_free_pair[k]);
	ck_assert_int_eq(lim_invite(port, "full", resp, sizeof(resp)), 503);
	ev = wait_finished();
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->sip_status, 503);
	ck_assert_int_eq(ev->cause, SIP_CAUSE_LOCAL);
	ck_assert_msg(strstr(ev->reason, "ports exhausted (limit=ports)") != NULL,
	    "reason: %s", ev->reason);
	free(ev);
	st_line_stop(line);      /* and the events nobody took */
	for (i = 0; i < LIM_PAIRS; i++)
		if (held[i] >= 0)
			close(held[i]);
}
END_TEST

/*
 * 128 descriptors leave room for (128 - 64) / 4 = 16 calls: the 17th is
 * refused before it takes anything (503), although max-calls allows more
 * and sockets would still open: a call that runs out of descriptors later
 * cannot write its pages.
 */
START_TEST(test_sip_descriptor_limit)
{
	struct rlimit rl;
	struct sip_line *line;
	char resp[4096], id[16];
	unsigned i, calls = (128 - SIP_FD_RESERVE) / SIP_FDS_PER_CALL;
	int port = st_free_port();

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 128;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	line = lim_line(port, 16384, 32767, 100);
	ck_assert_ptr_nonnull(line);
	for (i = 0; i < calls; i++) {
		snprintf(id, sizeof(id), "fd%u", i);
		ck_assert_int_eq(lim_invite(port, id, resp, sizeof(resp)), 200);
	}
	ck_assert_int_eq(lim_invite(port, "fdmore", resp, sizeof(resp)), 503);
	ck_assert_uint_eq(sip_line_active_calls(line), calls);
	st_line_stop(line);      /* and the events nobody took */
}
END_TEST

Suite *
suite_sip_limits(void)
{
	Suite *s = suite_create("sip_limits");
	TCase *tc = tcase_create("limits");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sip_capacity);
	tcase_add_test(tc, test_sip_ports_skip_taken);
	tcase_add_test(tc, test_sip_descriptor_limit);
	suite_add_tcase(s, tc);
	return s;
}
