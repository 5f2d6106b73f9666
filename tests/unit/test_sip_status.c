/*
 * Session tests for sip/status: what sip_line_calls() and
 * sip_line_trunks() show while real lines on loopback work. One line
 * faxes a three-page document to another while the test polls both
 * snapshots (dir, numbers, state, rate, page and pages moving, then gone);
 * an outgoing call that rings unanswered through a trunk is counted on
 * it; trunk registration is followed against hand-written registrars
 * (challenge then 200, a 403, and one that never answers).
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "fax/fax.h"
#include "sip/sip.h"
#include "tests/unit/sip_test_util.h"

/* Polling: every STATUS_POLL_MS, at most STATUS_FAX_POLLS times for the
 * fax (a three-page fax over loopback takes well under a minute) and
 * STATUS_SHORT_POLLS for what the line does at once. */
#define STATUS_POLL_MS 20
#define STATUS_FAX_POLLS 6000
#define STATUS_SHORT_POLLS 250
#define STATUS_MAX_CALLS 4
#define STATUS_PAGES 3

static char tx_tif[64], rx_tif[64];

static void
status_setup(void)
{
	char text[8192], err[200];
	size_t n = 0;
	int p;

	snprintf(tx_tif, sizeof(tx_tif), "/tmp/t37-status-%d.tif", (int)getpid());
	snprintf(rx_tif, sizeof(rx_tif), "/tmp/t37-status-rx-%d.tif", (int)getpid());
	for (p = 1; p <= STATUS_PAGES; p++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%sPage %d of the status test.\n",
		    p > 1 ? "\f" : "", p);
	ck_assert_msg(fax_text_render(text, n, NULL, tx_tif, NULL, err, sizeof(err)) == 0,
	    "%s", err);
}

static void
status_teardown(void)
{
	unlink(tx_tif);
	unlink(rx_tif);
}

static void
status_route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	(void)info;
	(void)arg;
	d->action = SIP_ROUTE_ACCEPT;
	snprintf(d->rx_path, sizeof(d->rx_path), "%s", rx_tif);
	d->fax.ecm = true;
}

static void
nap(void)
{
	struct timespec ts = { 0, STATUS_POLL_MS * 1000000L };

	nanosleep(&ts, NULL);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool
is_state(const char *s)
{
	static const char *const states[] = { "ringing", "answered", "training", "sending",
	    "receiving", "ending" };
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (s != NULL && strcmp(s, states[i]) == 0)
			return true;
	return false;
}

/* What the polls saw of one side's call. */
struct seen {
	bool listed;
	bool transfer;                  /* "sending" / "receiving" */
	unsigned max_page, max_pages, last_pages;
	unsigned rate;
	bool t38;
	char ident[SIP_IDENT_MAX];
};

/* Checks one snapshot of a line carrying at most the one fax call. */
static void
look(struct sip_line *line, enum sip_dir dir, struct seen *s, int64_t t0)
{
	struct sip_call_status st[STATUS_MAX_CALLS];
	size_t n = sip_line_calls(line, st, STATUS_MAX_CALLS);

	ck_assert_uint_le(n, 1);
	if (n == 0)
		return;
	s->listed = true;
	ck_assert_int_eq(st[0].dir, dir);
	ck_assert_uint_eq(strlen(st[0].call_id), 12);
	ck_assert_str_eq(st[0].dnis, "3335550100");
	ck_assert_str_eq(st[0].ani, "5551000");
	ck_assert_msg(is_state(st[0].state), "state %s", st[0].state);
	ck_assert_msg(st[0].start_ms >= t0 - 1000 && st[0].start_ms <= now_ms() + 1000,
	    "start %lld", (long long)st[0].start_ms);
	if (dir == SIP_DIR_OFFRAMP)
		ck_assert_uint_eq(st[0].job_id, 42);
	if (strcmp(st[0].state, "ringing") == 0) {
		ck_assert_int_eq(st[0].answer_ms, 0);
		ck_assert_uint_eq(st[0].page, 0);
		return;
	}
	ck_assert_int_ge(st[0].answer_ms, st[0].start_ms);
	ck_assert_str_ne(st[0].peer, "");
	ck_assert_ptr_nonnull(strstr(st[0].peer, "127.0.0.1:"));
	/* pages only grow; a page under way is one past those confirmed
	 * (a receiver counts it in its post-message exchange, phase D) */
	ck_assert_uint_ge(st[0].pages, s->last_pages);
	s->last_pages = st[0].pages;
	if (st[0].pages > s->max_pages)
		s->max_pages = st[0].pages;
	if (strcmp(st[0].state, dir == SIP_DIR_OFFRAMP ? "sending" : "receiving") == 0) {
		s->transfer = true;
		ck_assert_uint_ge(st[0].page, 1);
		ck_assert_uint_le(st[0].page, STATUS_PAGES);
		ck_assert_msg(st[0].page == st[0].pages + 1 || st[0].page == st[0].pages,
		    "dir %d page %u pages %u", (int)dir, st[0].page, st[0].pages);
		ck_assert_uint_gt(st[0].rate, 0);       /* trained before any page */
		if (st[0].page > s->max_page)
			s->max_page = st[0].page;
	} else {
		ck_assert_uint_eq(st[0].page, 0);
		ck_assert_str_ne(st[0].state, "sending");
		ck_assert_str_ne(st[0].state, "receiving");
	}
	if (st[0].rate != 0) {
		ck_assert_msg(st[0].rate >= 2400 && st[0].rate <= 14400, "rate %u", st[0].rate);
		s->rate = st[0].rate;
	}
	if (st[0].t38)
		s->t38 = true;
	if (st[0].remote_ident[0] != '\0')
		snprintf(s->ident, sizeof(s->ident), "%s", st[0].remote_ident);
}

/* Line A faxes three pages to line B; both snapshots are polled while the
 * call runs, and are empty when each side's end event has come. */
START_TEST(test_sip_status_fax_call)
{
	struct sip_line_options oa, ob;
	struct sip_dial_request req;
	struct sip_line *a, *b;
	struct sip_call_status st[STATUS_MAX_CALLS];
	struct seen sa, sb;
	struct sip_event *ev;
	int pa = st_free_port(), pb = st_free_port(), i, finished = 0;
	int64_t t0 = now_ms();

	sip_line_options_init(&oa);
	snprintf(oa.listen_udp[0], sizeof(oa.listen_udp[0]), "127.0.0.1:%d", pa);
	oa.nlisten_udp = 1;
	oa.rtp_port_min = 30000;
	oa.rtp_port_max = 34999;
	ob = oa;
	snprintf(ob.listen_udp[0], sizeof(ob.listen_udp[0]), "127.0.0.1:%d", pb);
	ob.rtp_port_min = 35000;
	ob.rtp_port_max = 39999;
	ob.route = status_route;
	a = st_line_start(&oa);
	ck_assert_ptr_nonnull(a);
	b = st_line_start(&ob);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(sip_line_calls(a, st, STATUS_MAX_CALLS), 0);

	memset(&req, 0, sizeof(req));
	req.job_id = 42;
	snprintf(req.target, sizeof(req.target), "sip:3335550100@127.0.0.1:%d", pb);
	snprintf(req.from, sizeof(req.from), "5551000");
	snprintf(req.tx_path, sizeof(req.tx_path), "%s", tx_tif);
	snprintf(req.fax.ident, sizeof(req.fax.ident), "+1 555 1000");
	req.fax.ecm = true;
	req.t38_allowed = true;
	ck_assert_int_eq(sip_line_dial(a, &req), 0);

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	for (i = 0; i < STATUS_FAX_POLLS && finished < 2; i++) {
		look(a, SIP_DIR_OFFRAMP, &sa, t0);
		look(b, SIP_DIR_ONRAMP, &sb, t0);
		while ((ev = sip_event_next(st_events)) != NULL) {
			if (ev->type == SIP_EV_CALL_FINISHED) {
				ck_assert_msg(ev->result == SIP_RESULT_OK, "%s: %s",
				    sip_result_name(ev->result), ev->reason);
				ck_assert_uint_eq(ev->pages, STATUS_PAGES);
				/* gone once its end is reported */
				ck_assert_uint_eq(sip_line_calls(ev->dir == SIP_DIR_OFFRAMP ? a : b,
				    st, STATUS_MAX_CALLS), 0);
				finished++;
			}
			free(ev);
		}
		nap();
	}
	ck_assert_int_eq(finished, 2);
	ck_assert(sa.listed && sb.listed);
	ck_assert(sa.transfer && sb.transfer);
	ck_assert_msg(sa.max_page >= 2 && sb.max_page >= 2, "pages seen: %u %u", sa.max_page,
	    sb.max_page);
	ck_assert_uint_ge(sa.max_pages, STATUS_PAGES - 1);
	ck_assert_uint_ge(sb.max_pages, STATUS_PAGES - 1);
	ck_assert_uint_gt(sa.rate, 0);
	ck_assert_uint_eq(sa.rate, sb.rate);
	ck_assert(sa.t38 && sb.t38);            /* the default policy switches */
	ck_assert_str_eq(sb.ident, "+1 555 1000");      /* the sender's TSI */
	ck_assert_uint_eq(sip_line_calls(a, st, STATUS_MAX_CALLS), 0);
	ck_assert_uint_eq(sip_line_calls(b, st, STATUS_MAX_CALLS), 0);
	st_line_stop(a);
	st_line_stop(b);
}
END_TEST

/* An outgoing call through a trunk that never answers: listed as ringing
 * (no peer, no answer time, nothing more than max copied), counted on its
 * trunk, gone after the ring timeout. */
START_TEST(test_sip_status_ringing_trunk)
{
	struct sip_line_options o;
	struct sip_dial_request req;
	struct sip_line *line;
	struct sip_call_status st[STATUS_MAX_CALLS];
	struct sip_trunk_status ts[SIP_MAX_TRUNKS];
	struct sip_event *ev;
	struct client peer;
	char buf[4096];
	int port = st_free_port(), k;
	size_t n = 0;

	client_open(&peer, 0);
	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.ntrunks = 2;
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "other");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "127.0.0.1:9");
	snprintf(o.trunks[1].name, sizeof(o.trunks[1].name), "silent");
	snprintf(o.trunks[1].domain, sizeof(o.trunks[1].domain), "127.0.0.1:%d", peer.port);
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	memset(&req, 0, sizeof(req));
	snprintf(req.target, sizeof(req.target), "silent");
	snprintf(req.number, sizeof(req.number), "3335550100");
	snprintf(req.from, sizeof(req.from), "5551000");
	snprintf(req.tx_path, sizeof(req.tx_path), "%s", tx_tif);
	req.ring_timeout_s = 2;
	req.job_id = 9;
	ck_assert_int_eq(sip_line_dial(line, &req), 0);
	ck_assert_int_gt(recv(peer.fd, buf, sizeof(buf) - 1, 0), 0);   /* the INVITE */

	for (k = 0; k < STATUS_SHORT_POLLS &&
	    (n = sip_line_calls(line, st, STATUS_MAX_CALLS)) == 0; k++)
		nap();
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(st[0].state, "ringing");
	ck_assert_int_eq(st[0].dir, SIP_DIR_OFFRAMP);
	ck_assert_uint_eq(st[0].job_id, 9);
	ck_assert_str_eq(st[0].dnis, "3335550100");
	ck_assert_str_eq(st[0].ani, "5551000");
	ck_assert_str_eq(st[0].peer, "");
	ck_assert_int_eq(st[0].answer_ms, 0);
	ck_assert_int_gt(st[0].start_ms, 0);
	ck_assert_uint_eq(st[0].rate, 0);
	ck_assert_uint_eq(st[0].pages, 0);
	ck_assert_uint_eq(sip_line_calls(line, NULL, 0), 1);    /* count only */

	ck_assert_uint_eq(sip_line_trunks(line, ts, SIP_MAX_TRUNKS), 2);
	ck_assert_str_eq(ts[0].name, "other");
	ck_assert_uint_eq(ts[0].calls, 0);
	ck_assert_str_eq(ts[0].state, "off");
	ck_assert(!ts[0].do_register);
	ck_assert_str_eq(ts[1].name, "silent");
	ck_assert_uint_eq(ts[1].calls, 1);
	ck_assert_uint_eq(sip_line_trunks(line, ts, 1), 2);     /* at most max copied */

	ev = wait_finished();
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->result, SIP_RESULT_NOANSWER);
	free(ev);
	ck_assert_uint_eq(sip_line_calls(line, st, STATUS_MAX_CALLS), 0);
	ck_assert_uint_eq(sip_line_trunks(line, ts, SIP_MAX_TRUNKS), 2);
	ck_assert_uint_eq(ts[1].calls, 0);
	st_line_stop(line);
	close(peer.fd);
}
END_TEST

static void
reply_to(struct client *c, const char *req, const char *status, const char *extra)
{
	char msg[2048];
	int n = st_response(req, status, "reg1", extra, NULL, msg, sizeof(msg));

	ck_assert_int_eq(sendto(c->fd, msg, (size_t)n, 0, (struct sockaddr *)&c->to,
	    sizeof(c->to)), n);
}

static void
recv_register(struct client *c, char *req, size_t size)
{
	ssize_t r = recv(c->fd, req, size - 1, 0);

	ck_assert_int_gt(r, 0);
	req[r] = '\0';
	ck_assert_msg(strncmp(req, "REGISTER ", 9) == 0, "got %.40s", req);
}

/* Trunk i's record once its state is want (bounded wait). */
static void
wait_trunk(struct sip_line *line, unsigned i, const char *want, struct sip_trunk_status *out)
{
	struct sip_trunk_status ts[SIP_MAX_TRUNKS];
	int k;

	for (k = 0; k < STATUS_SHORT_POLLS; k++) {
		ck_assert_uint_eq(sip_line_trunks(line, ts, SIP_MAX_TRUNKS), 3);
		if (strcmp(ts[i].state, want) == 0)
			break;
		nap();
	}
	ck_assert_str_eq(ts[i].state, want);
	*out = ts[i];
}

/* Three trunks: one registrar challenges then accepts, one refuses with
 * 403, one never answers; a fourth trunk does not register. */
START_TEST(test_sip_status_register)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct sip_trunk_status t;
	struct client ok, refuse, silent;
	char req[4096];
	int port = st_free_port();
	int64_t t0 = now_ms();
	unsigned i;

	client_open(&ok, port);
	client_open(&refuse, port);
	client_open(&silent, port);
	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.ntrunks = 3;
	for (i = 0; i < 3; i++) {
		snprintf(o.trunks[i].user, sizeof(o.trunks[i].user), "fax");
		snprintf(o.trunks[i].password, sizeof(o.trunks[i].password), "pw");
		o.trunks[i].do_register = true;
		o.trunks[i].register_expiry = 600;
	}
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "carrier");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "127.0.0.1:%d", ok.port);
	snprintf(o.trunks[1].name, sizeof(o.trunks[1].name), "refusing");
	snprintf(o.trunks[1].domain, sizeof(o.trunks[1].domain), "127.0.0.1:%d", refuse.port);
	snprintf(o.trunks[2].name, sizeof(o.trunks[2].name), "silent");
	snprintf(o.trunks[2].domain, sizeof(o.trunks[2].domain), "127.0.0.1:%d", silent.port);
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);

	recv_register(&ok, req, sizeof(req));
	wait_trunk(line, 0, "registering", &t);
	ck_assert_str_eq(t.name, "carrier");
	ck_assert(t.do_register);
	ck_assert_int_eq(t.last_status, 0);
	ck_assert_int_eq(t.registered_ms, 0);
	/* a challenge is not an answer: libre answers it */
	reply_to(&ok, req, "401 Unauthorized",
	    "WWW-Authenticate: Digest realm=\"t37\", nonce=\"n1\", algorithm=MD5\r\n");
	recv_register(&ok, req, sizeof(req));
	wait_trunk(line, 0, "registering", &t);
	reply_to(&ok, req, "200 OK", "Expires: 600\r\n");
	wait_trunk(line, 0, "registered", &t);
	ck_assert_int_eq(t.last_status, 200);
	ck_assert_str_eq(t.reason, "");
	ck_assert_msg(t.registered_ms >= t0 && t.registered_ms <= now_ms(), "registered %lld",
	    (long long)t.registered_ms);
	ck_assert_int_eq(t.expires_ms - t.registered_ms, 600 * 1000);

	recv_register(&refuse, req, sizeof(req));
	reply_to(&refuse, req, "403 Forbidden", "");
	wait_trunk(line, 1, "failed", &t);
	ck_assert_str_eq(t.name, "refusing");
	ck_assert_int_eq(t.last_status, 403);
	ck_assert_str_eq(t.reason, "403 Forbidden");
	ck_assert_int_eq(t.registered_ms, 0);

	/* the silent registrar: still registering (its transaction runs) */
	recv_register(&silent, req, sizeof(req));
	wait_trunk(line, 2, "registering", &t);
	ck_assert_int_eq(t.last_status, 0);
	ck_assert_str_eq(t.reason, "");
	st_line_stop(line);
	close(ok.fd);
	close(refuse.fd);
	close(silent.fd);
}
END_TEST

Suite *
suite_sip_status(void)
{
	Suite *s = suite_create("sip_status");
	TCase *tc = tcase_create("status");

	tcase_add_checked_fixture(tc, status_setup, status_teardown);
	tcase_set_timeout(tc, 150);
	tcase_add_test(tc, test_sip_status_ringing_trunk);
	tcase_add_test(tc, test_sip_status_register);
	tcase_add_test(tc, test_sip_status_fax_call);
	suite_add_tcase(s, tc);
	return s;
}
