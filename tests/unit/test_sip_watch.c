/*
 * Session tests for sip/watch and the end of calls: a real line thread
 * dials out to a scripted SIP peer on loopback (hand-written messages over
 * UDP), which answers and then plays dead, stays alive without media, or
 * refuses our T.38 re-INVITE. Checks the dead-call probe (in-dialog
 * OPTIONS), that silence alone ends nothing, that a 488 to the re-INVITE
 * is acted on at once (not when the re-INVITE timer fires), and the cause
 * each call ends with.
 */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "fax/fax.h"
#include "sip/sip.h"
#include "tests/unit/sip_test_util.h"

/* The scripted peer: one UDP socket, and what it learnt of the dialog. */
struct peer {
	int fd;
	int port;
	struct sockaddr_in line;        /* the line's SIP address */
	char invite[4096];              /* the INVITE it answered, or the 200
	                                   that answered its own INVITE */
	bool caller;                    /* it sent the INVITE */
	char tag[16];                   /* its tag */
};

static char watch_tif[64];

static void
watch_setup(void)
{
	char err[200];

	snprintf(watch_tif, sizeof(watch_tif), "/tmp/t37-watch-%d.tif", (int)getpid());
	ck_assert_msg(fax_text_render("A page for the line tests.\n", 27, NULL, watch_tif,
	    NULL, err, sizeof(err)) == 0, "%s", err);
}

static void
watch_teardown(void)
{
	char rx[64];

	unlink(watch_tif);
	snprintf(rx, sizeof(rx), "/tmp/t37-watch-rx-%d.tif", (int)getpid());
	unlink(rx);
}

static void
peer_open(struct peer *p, int line_port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct timeval tv = { 10, 0 };

	memset(p, 0, sizeof(*p));
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(p->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(p->fd, (struct sockaddr *)&a, &len);
	p->port = ntohs(a.sin_port);
	setsockopt(p->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	p->line = a;
	p->line.sin_port = htons((uint16_t)line_port);
	snprintf(p->tag, sizeof(p->tag), "pw%d", p->port);
}

/* The next request from the line that is not `skip` (retransmissions of a
 * request already seen pass as their method). Fails after 10 s. */
static void
peer_recv(struct peer *p, const char *method, char *out, size_t outsz)
{
	ssize_t r;

	for (;;) {
		r = recv(p->fd, out, outsz - 1, 0);
		ck_assert_msg(r > 0, "no %s from the line", method);
		out[r] = '\0';
		if (strncmp(out, method, strlen(method)) == 0 && out[strlen(method)] == ' ')
			return;
	}
}

/* A response to req: status line, the transaction headers, our To tag on
 * a dialog-forming response, a Contact and an optional SDP body. */
static void
peer_reply(struct peer *p, const char *req, const char *status, const char *sdp)
{
	char msg[4096], contact[64];
	int n;

	snprintf(contact, sizeof(contact), "Contact: <sip:peer@127.0.0.1:%d>\r\n", p->port);
	n = st_response(req, status, p->tag, contact, sdp, msg, sizeof(msg));
	sendto(p->fd, msg, (size_t)n, 0, (struct sockaddr *)&p->line, sizeof(p->line));
}

static const char sdp_t38[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 0 RTP/AVP 0\r\nm=image 40002 udptl t38\r\na=T38FaxVersion:0\r\n";
static const char sdp_audio[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\nm=image 0 udptl t38\r\n";

/* The peer hangs up: BYE in the dialog (of the INVITE it answered, or of
 * the one it sent). */
static void
peer_bye(struct peer *p)
{
	char from[512], to[512], cid[256], msg[2048];
	int n;

	st_header(p->invite, "From:", from, sizeof(from));
	st_header(p->invite, "To:", to, sizeof(to));
	st_header(p->invite, "Call-ID:", cid, sizeof(cid));
	if (p->caller)          /* the 200 to its INVITE: From and To as sent */
		n = snprintf(msg, sizeof(msg), "BYE sip:t37gw@127.0.0.1:%d SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKbye%d\r\nMax-Forwards: 70\r\n"
		    "%s\r\n%s\r\n%s\r\nCSeq: 100 BYE\r\nContent-Length: 0\r\n\r\n",
		    ntohs(p->line.sin_port), p->port, p->port, from, to, cid);
	else                    /* our From is their To with our tag, and back */
		n = snprintf(msg, sizeof(msg), "BYE sip:t37gw@127.0.0.1:%d SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKbye%d\r\nMax-Forwards: 70\r\n"
		    "From: %s;tag=%s\r\nTo: %s\r\n%s\r\nCSeq: 100 BYE\r\n"
		    "Content-Length: 0\r\n\r\n",
		    ntohs(p->line.sin_port), p->port, p->port, to + 4, p->tag, from + 6, cid);
	sendto(p->fd, msg, (size_t)n, 0, (struct sockaddr *)&p->line, sizeof(p->line));
}

/* Incoming calls to the line are answered into a file under /tmp. */
static void
watch_route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	(void)info;
	(void)arg;
	d->action = SIP_ROUTE_ACCEPT;
	snprintf(d->rx_path, sizeof(d->rx_path), "/tmp/t37-watch-rx-%d.tif", (int)getpid());
	d->fax.ecm = true;
}

/* The peer calls the line (audio only) and ACKs its 200. */
static struct sip_line *
peer_call_line(struct peer *p, struct sip_line_options *o)
{
	struct sip_line *line;
	char msg[4096], to[512], cid[256];
	int port = st_free_port(), n, status = 0;
	ssize_t r;

	snprintf(o->listen_udp[0], sizeof(o->listen_udp[0]), "127.0.0.1:%d", port);
	o->nlisten_udp = 1;
	o->route = watch_route;
	line = st_line_start(o);
	ck_assert_ptr_nonnull(line);
	peer_open(p, port);
	p->caller = true;
	n = snprintf(msg, sizeof(msg), "INVITE sip:9913170@127.0.0.1:%d SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKinv%d\r\nMax-Forwards: 70\r\n"
	    "From: <sip:5551000@127.0.0.1>;tag=%s\r\nTo: <sip:9913170@127.0.0.1>\r\n"
	    "Call-ID: w%d@test\r\nCSeq: 1 INVITE\r\nContact: <sip:peer@127.0.0.1:%d>\r\n"
	    "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", port,
	    p->port, p->port, p->tag, p->port, p->port, strlen(sdp_audio), sdp_audio);
	sendto(p->fd, msg, (size_t)n, 0, (struct sockaddr *)&p->line, sizeof(p->line));
	while (status < 200) {
		r = recv(p->fd, p->invite, sizeof(p->invite) - 1, 0);
		ck_assert_int_gt(r, 0);
		p->invite[r] = '\0';
		if (sscanf(p->invite, "SIP/2.0 %d", &status) != 1)
			status = 0;
	}
	ck_assert_int_eq(status, 200);
	st_header(p->invite, "To:", to, sizeof(to));
	st_header(p->invite, "Call-ID:", cid, sizeof(cid));
	n = snprintf(msg, sizeof(msg), "ACK sip:t37gw@127.0.0.1:%d SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKack%d\r\nMax-Forwards: 70\r\n"
	    "From: <sip:5551000@127.0.0.1>;tag=%s\r\n%s\r\n%s\r\nCSeq: 1 ACK\r\n"
	    "Content-Length: 0\r\n\r\n", port, p->port, p->port, p->tag, to, cid);
	sendto(p->fd, msg, (size_t)n, 0, (struct sockaddr *)&p->line, sizeof(p->line));
	return line;
}

/* A line that dials the peer; the peer answers with sdp and takes the
 * ACK. t38: the line's policy (immediate offers T.38 at once). */
static struct sip_line *
line_call_peer(struct peer *p, enum sip_t38_policy t38, const char *sdp,
    struct sip_line_options *o)
{
	struct sip_dial_request req;
	struct sip_line *line;
	char ack[4096];
	int port = st_free_port();

	snprintf(o->listen_udp[0], sizeof(o->listen_udp[0]), "127.0.0.1:%d", port);
	o->nlisten_udp = 1;
	o->t38 = t38;
	line = st_line_start(o);
	ck_assert_ptr_nonnull(line);
	peer_open(p, port);
	memset(&req, 0, sizeof(req));
	snprintf(req.target, sizeof(req.target), "sip:fax@127.0.0.1:%d", p->port);
	snprintf(req.tx_path, sizeof(req.tx_path), "%s", watch_tif);
	req.t38_allowed = t38 != SIP_T38_OFF;
	req.fax.ecm = true;
	req.job_id = 1;
	ck_assert_int_eq(sip_line_dial(line, &req), 0);
	peer_recv(p, "INVITE", p->invite, sizeof(p->invite));
	peer_reply(p, p->invite, "200 OK", sdp);
	peer_recv(p, "ACK", ack, sizeof(ack));
	return line;
}

static struct sip_event *
finished(int secs)
{
	struct sip_event *ev;
	int i;

	for (i = 0; i < secs * 10; i++) {
		ev = sip_event_wait(st_events, 100);
		if (ev != NULL && ev->type == SIP_EV_CALL_FINISHED)
			return ev;
		free(ev);
	}
	return NULL;
}

/*
 * T.38 answered, then nothing moves either way (the caller has sent its
 * CNG and waits for DIS): the line probes with OPTIONS in the dialog. The
 * peer answers the probes as listed (NULL: not at all). No answer, or 481
 * (RFC 3261 12.2.1.2), ends the call as dead with BYE; any other answer
 * keeps it up, probed again a media timeout later, until the peer hangs up.
 */
static const struct {
	const char *answers[3];
	enum sip_cause cause;
	const char *reason;         /* its beginning */
} probes[] = {
	{ { NULL }, SIP_CAUSE_DEAD_CALL,
	  "dead call: no media either way for 1 s, no answer to OPTIONS in 1000 ms" },
	{ { "481 Call/Transaction Does Not Exist" }, SIP_CAUSE_DEAD_CALL,
	  "dead call: no media either way for 1 s, OPTIONS answered 481" },
	{ { "200 OK", "405 Method Not Allowed", "200 OK" }, SIP_CAUSE_HANGUP,
	  "peer hung up in T.30 phase " },
};

START_TEST(test_sip_watch_probe)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct sip_event *ev;
	struct peer p;
	char req[4096];
	int i;

	sip_line_options_init(&o);
	o.media_timeout_s = 1;
	o.probe_wait_ms = 1000;
	line = line_call_peer(&p, SIP_T38_IMMEDIATE, sdp_t38, &o);
	for (i = 0; i < 3 && (i == 0 || probes[_i].answers[i] != NULL); i++) {
		peer_recv(&p, "OPTIONS", req, sizeof(req));
		ck_assert_ptr_nonnull(strstr(req, p.tag));       /* in the dialog */
		if (probes[_i].answers[i] != NULL)
			peer_reply(&p, req, probes[_i].answers[i], NULL);
	}
	if (probes[_i].cause == SIP_CAUSE_DEAD_CALL) {
		peer_recv(&p, "BYE", req, sizeof(req));
		peer_reply(&p, req, "200 OK", NULL);
	} else {
		ck_assert_ptr_null(sip_event_next(st_events));  /* still up */
		peer_bye(&p);
	}
	ev = finished(10);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->result, SIP_RESULT_FAILED);
	ck_assert_int_eq(ev->cause, probes[_i].cause);
	ck_assert_msg(strncmp(ev->reason, probes[_i].reason, strlen(probes[_i].reason)) == 0,
	    "%s", ev->reason);
	ck_assert_int_eq(ev->sip_status, 200);
	ck_assert(ev->t38);
	ck_assert(!ev->fax_ran);
	ck_assert_uint_eq(ev->rate, 0);
	free(ev);
	st_line_stop(line);
	close(p.fd);
}
END_TEST

/* The peer refuses our T.38 re-INVITE with each status: the line acts on
 * the final response at once. The re-INVITE timer is a minute here, so
 * only the response can have set t38_refused before the peer hangs up. */
static const int refusals[] = { 488, 415, 501, 606 };

START_TEST(test_sip_watch_reinvite_refused)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct sip_event *ev;
	struct peer p;
	char req[4096], status[64], ack[4096];

	sip_line_options_init(&o);
	o.t38 = SIP_T38_IMMEDIATE;      /* re-INVITE at once on answer */
	o.reinvite_timeout_ms = 60000;
	line = peer_call_line(&p, &o);
	peer_recv(&p, "INVITE", req, sizeof(req));          /* the re-INVITE */
	ck_assert_ptr_nonnull(strstr(req, "m=image "));
	snprintf(status, sizeof(status), "%d Refused", refusals[_i]);
	peer_reply(&p, req, status, NULL);
	peer_recv(&p, "ACK", ack, sizeof(ack));            /* ACK of the non-2xx */
	usleep(200 * 1000);
	ck_assert_ptr_null(sip_event_next(st_events));      /* the call goes on */
	peer_bye(&p);
	ev = finished(5);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->t38_refused, refusals[_i]);
	ck_assert(!ev->t38);
	ck_assert_int_eq(ev->cause, SIP_CAUSE_HANGUP);
	free(ev);
	st_line_stop(line);
	close(p.fd);
}
END_TEST

/* No answer at all to the re-INVITE: the timer is the fallback. */
START_TEST(test_sip_watch_reinvite_unanswered)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct sip_event *ev;
	struct peer p;
	char req[4096];

	sip_line_options_init(&o);
	o.t38 = SIP_T38_IMMEDIATE;
	o.reinvite_timeout_ms = 500;
	line = peer_call_line(&p, &o);
	peer_recv(&p, "INVITE", req, sizeof(req));          /* not answered */
	usleep(1500 * 1000);
	ck_assert_ptr_null(sip_event_next(st_events));      /* on G.711, up */
	peer_bye(&p);
	ev = finished(5);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->t38_refused, SIP_T38_REFUSE_SILENT);
	free(ev);
	st_line_stop(line);
	close(p.fd);
}
END_TEST

/* Before an answer: each failure its cause. */
START_TEST(test_sip_watch_causes)
{
	ck_assert_str_eq(sip_cause_name(SIP_CAUSE_NONE), "none");
	ck_assert_str_eq(sip_cause_name(SIP_CAUSE_SIP_TIMEOUT), "sip-timeout");
	ck_assert_str_eq(sip_cause_name(SIP_CAUSE_NOT_FAX), "not-fax");
	ck_assert_str_eq(sip_cause_name(SIP_CAUSE_T30), "t30");
	ck_assert_str_eq(sip_cause_name(SIP_CAUSE_MEDIA_REFUSED), "media-refused");
	ck_assert_str_eq(sip_cause_name(SIP_CAUSE_DEAD_CALL), "dead-call");
}
END_TEST

/* A final status to the INVITE: busy, no answer, media refused, rejected. */
static const struct {
	const char *status;
	enum sip_result result;
	enum sip_cause cause;
} finals[] = {
	{ "486 Busy Here", SIP_RESULT_BUSY, SIP_CAUSE_BUSY },
	{ "480 Temporarily Unavailable", SIP_RESULT_NOANSWER, SIP_CAUSE_NOANSWER },
	{ "488 Not Acceptable Here", SIP_RESULT_REJECTED, SIP_CAUSE_MEDIA_REFUSED },
	{ "503 Service Unavailable", SIP_RESULT_REJECTED, SIP_CAUSE_REJECTED },
	{ "404 Not Found", SIP_RESULT_REJECTED, SIP_CAUSE_REJECTED },
};

START_TEST(test_sip_watch_final_status)
{
	struct sip_line_options o;
	struct sip_dial_request req;
	struct sip_line *line;
	struct sip_event *ev;
	struct peer p;
	char inv[4096], ack[4096];
	int port = st_free_port();

	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	peer_open(&p, port);
	memset(&req, 0, sizeof(req));
	snprintf(req.target, sizeof(req.target), "sip:fax@127.0.0.1:%d", p.port);
	snprintf(req.tx_path, sizeof(req.tx_path), "%s", watch_tif);
	ck_assert_int_eq(sip_line_dial(line, &req), 0);
	peer_recv(&p, "INVITE", inv, sizeof(inv));
	peer_reply(&p, inv, finals[_i].status, NULL);
	peer_recv(&p, "ACK", ack, sizeof(ack));
	ev = finished(5);
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->result, finals[_i].result);
	ck_assert_int_eq(ev->cause, finals[_i].cause);
	ck_assert_str_eq(ev->reason, finals[_i].status);
	ck_assert_int_eq(ev->sip_status, atoi(finals[_i].status));
	ck_assert(!ev->fax_ran);
	ck_assert_int_eq(ev->t30_phase, 0);
	free(ev);
	st_line_stop(line);
	close(p.fd);
}
END_TEST

Suite *
suite_sip_watch(void)
{
	Suite *s = suite_create("sip_watch");
	TCase *tc = tcase_create("watch");

	tcase_add_checked_fixture(tc, watch_setup, watch_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sip_watch_probe, 0,
	    (int)(sizeof(probes) / sizeof(probes[0])));
	tcase_add_loop_test(tc, test_sip_watch_reinvite_refused, 0,
	    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, test_sip_watch_reinvite_unanswered);
	tcase_add_test(tc, test_sip_watch_causes);
	tcase_add_loop_test(tc, test_sip_watch_final_status, 0,
	    (int)(sizeof(finals) / sizeof(finals[0])));
	suite_add_tcase(s, tc);
	return s;
}
