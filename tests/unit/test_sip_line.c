/* Session tests for sip/line and sip/call: a real line thread on
 * loopback, driven with hand-written SIP requests over UDP. Covers the
 * route callback and number extraction, 404 / 486 / 488, OPTIONS, the call
 * limit, the events and st_line_stop() ending a ringing call. What ends
 * an answered call (dead-call probe, refused re-INVITEs) is in
 * test_sip_watch.c. */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "sip/sip.h"
#include "tests/unit/sip_test_util.h"

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char seen_dnis[SIP_NUMBER_MAX], seen_ani[SIP_NUMBER_MAX], seen_rdnis[SIP_NUMBER_MAX];
static int seen_t38;

static void
route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&seen_lock);
	snprintf(seen_dnis, sizeof(seen_dnis), "%s", info->dnis);
	snprintf(seen_ani, sizeof(seen_ani), "%s", info->ani);
	snprintf(seen_rdnis, sizeof(seen_rdnis), "%s", info->rdnis);
	seen_t38 = info->t38_offered;
	pthread_mutex_unlock(&seen_lock);
	if (strcmp(info->dnis, "ring") == 0) {
		d->action = SIP_ROUTE_RING_ONLY;
		snprintf(d->rx_path, sizeof(d->rx_path), "/tmp/t37-line-test-%d.tif", (int)getpid());
	} else if (strcmp(info->dnis, "accept") == 0) {
		d->action = SIP_ROUTE_ACCEPT;
		snprintf(d->rx_path, sizeof(d->rx_path), "/tmp/t37-line-test-%d.tif", (int)getpid());
		d->fax.ecm = true;
	} else if (strcmp(info->dnis, "busy") == 0) {
		d->action = SIP_ROUTE_REJECT_BUSY;
	} else {
		d->action = SIP_ROUTE_REJECT_NOT_FOUND;
	}
}

static const char sdp_audio_t38[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\nm=image 40002 udptl t38\r\na=T38FaxVersion:0\r\n";

START_TEST(test_sip_line_answer_side)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct sip_event *ev;
	struct client c;
	char resp[4096];
	int port = st_free_port();

	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.max_calls = 1;
	o.route = route;
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	client_open(&c, port);

	/* OPTIONS: 200 with Allow (libre would say 501) */
	ck_assert_int_eq(client_request(&c, "OPTIONS", "sip:127.0.0.1", "o1", "", NULL, 200,
	    resp, sizeof(resp)), 200);
	ck_assert_ptr_nonnull(strstr(resp, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS"));

	/* no route: 404; numbers from the Request-URI, P-Asserted-Identity
	 * (before From) and Diversion */
	ck_assert_int_eq(client_request(&c, "INVITE", "sip:9913170@127.0.0.1", "i1",
	    "P-Asserted-Identity: <sip:+19194724118@pbx>\r\n"
	    "Diversion: <sip:8005551212@pbx>;reason=unconditional\r\n",
	    sdp_audio_t38, 200, NULL, 0), 404);
	pthread_mutex_lock(&seen_lock);
	ck_assert_str_eq(seen_dnis, "9913170");
	ck_assert_str_eq(seen_ani, "+19194724118");
	ck_assert_str_eq(seen_rdnis, "8005551212");
	ck_assert_int_eq(seen_t38, 1);
	pthread_mutex_unlock(&seen_lock);
	ev = wait_finished();
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->result, SIP_RESULT_REJECTED);
	ck_assert_int_eq(ev->sip_status, 404);
	ck_assert_int_eq(ev->dir, SIP_DIR_ONRAMP);
	ck_assert_str_eq(ev->ani, "+19194724118");
	free(ev);

	/* the route says busy: 486; calling number from From without PAI */
	ck_assert_int_eq(client_request(&c, "INVITE", "sip:busy@127.0.0.1", "i2", "",
	    sdp_audio_t38, 200, NULL, 0), 486);
	pthread_mutex_lock(&seen_lock);
	ck_assert_str_eq(seen_ani, "5551000");
	ck_assert_str_eq(seen_rdnis, "");
	pthread_mutex_unlock(&seen_lock);
	ev = wait_finished();
	ck_assert_ptr_nonnull(ev);
	ck_assert_int_eq(ev->result, SIP_RESULT_BUSY);
	free(ev);

	/* no SDP offer: 488 */
	ck_assert_int_eq(client_request(&c, "INVITE", "sip:9913170@127.0.0.1", "i3", "", NULL,
	    200, NULL, 0), 488);

	/* a ringing call takes the only slot: the next INVITE gets 486 */
	ck_assert_int_eq(client_request(&c, "INVITE", "sip:ring@127.0.0.1", "i4", "",
	    sdp_audio_t38, 100, NULL, 0), 100);            /* 100 Trying first */
	{
		char r1[4096];
		ssize_t n1 = recv(c.fd, r1, sizeof(r1) - 1, 0);
		ck_assert_int_gt(n1, 0);
		r1[n1] = '\0';
		ck_assert_msg(strncmp(r1, "SIP/2.0 180 ", 12) == 0, "got %.30s", r1);
		ck_assert_ptr_nonnull(strstr(r1, "Allow: INVITE"));
	}
	ck_assert_uint_eq(sip_line_active_calls(line), 1);
	ck_assert_int_eq(client_request(&c, "INVITE", "sip:9913170@127.0.0.1", "i5", "",
	    sdp_audio_t38, 200, NULL, 0), 486);

	/* stopping the line ends the ringing call (final response to it) */
	st_line_stop(line);
	{
		char r2[4096];
		ssize_t n = recv(c.fd, r2, sizeof(r2) - 1, 0);
		ck_assert_int_gt(n, 0);
		r2[n] = '\0';
		ck_assert_msg(strncmp(r2, "SIP/2.0 4", 9) == 0 || strncmp(r2, "SIP/2.0 5", 9) == 0,
		    "ringing call got: %.40s", r2);
	}
	close(c.fd);
}
END_TEST

/* Originating: a trunk's call limit, then no answer (the peer swallows
 * the INVITE; the ring timeout cancels it). */
START_TEST(test_sip_line_dial_limits)
{
	struct sip_line_options o;
	struct sip_dial_request req;
	struct sip_line *line;
	struct sip_event *ev;
	struct client peer;
	char buf[4096];
	int port = st_free_port();

	client_open(&peer, 0);          /* a "trunk" that never answers */
	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.ntrunks = 1;
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "t1");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "127.0.0.1:%d", peer.port);
	o.trunks[0].max_calls = 1;
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	memset(&req, 0, sizeof(req));
	snprintf(req.target, sizeof(req.target), "t1");
	snprintf(req.number, sizeof(req.number), "19195551234");
	snprintf(req.tx_path, sizeof(req.tx_path), "/etc/passwd");
	req.ring_timeout_s = 1;
	req.job_id = 7;
	ck_assert_int_eq(sip_line_dial(line, &req), 0);
	req.job_id = 8;
	ck_assert_int_eq(sip_line_dial(line, &req), 0);
	/* the INVITE of job 7 reaches the trunk with the number */
	ck_assert_int_gt(recv(peer.fd, buf, sizeof(buf) - 1, 0), 0);
	ck_assert_int_eq(strncmp(buf, "INVITE sip:19195551234@127.0.0.1:", 33), 0);
	ev = wait_finished();
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->job_id, 8);
	ck_assert_int_eq(ev->result, SIP_RESULT_BUSY);
	ck_assert_str_eq(ev->reason, "trunk call limit reached");
	free(ev);
	ev = wait_finished();
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->job_id, 7);
	ck_assert_int_eq(ev->result, SIP_RESULT_NOANSWER);
	ck_assert_str_eq(ev->dnis, "19195551234");
	free(ev);
	st_line_stop(line);
	close(peer.fd);
}
END_TEST

/* Replies to the request in req with status, copying the transaction
 * headers; extra goes before Content-Length. */
static void
reply_to(struct client *c, const char *req, const char *status, const char *extra)
{
	char msg[2048];
	int n = st_response(req, status, "reg1", extra, NULL, msg, sizeof(msg));

	sendto(c->fd, msg, (size_t)n, 0, (struct sockaddr *)&c->to, sizeof(c->to));
}

/* A trunk with registration: REGISTER, the 401 digest challenge, the
 * REGISTER again with credentials. */
START_TEST(test_sip_line_register)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct client reg;
	char req[4096];
	ssize_t r;
	int port = st_free_port();

	client_open(&reg, port);        /* replies go to the line's port */
	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.ntrunks = 1;
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "carrier");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "127.0.0.1:%d", reg.port);
	snprintf(o.trunks[0].user, sizeof(o.trunks[0].user), "fax");
	snprintf(o.trunks[0].password, sizeof(o.trunks[0].password), "pw");
	o.trunks[0].do_register = true;
	o.trunks[0].register_expiry = 600;
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	r = recv(reg.fd, req, sizeof(req) - 1, 0);
	ck_assert_int_gt(r, 0);
	req[r] = '\0';
	ck_assert_msg(strncmp(req, "REGISTER sip:127.0.0.1:", 23) == 0, "got %.40s", req);
	ck_assert_ptr_nonnull(strstr(req, "<sip:fax@127.0.0.1:"));
	ck_assert_ptr_null(strstr(req, "Authorization:"));
	reply_to(&reg, req, "401 Unauthorized",
	    "WWW-Authenticate: Digest realm=\"t37\", nonce=\"abc123\", algorithm=MD5\r\n");
	r = recv(reg.fd, req, sizeof(req) - 1, 0);
	ck_assert_int_gt(r, 0);
	req[r] = '\0';
	ck_assert_msg(strncmp(req, "REGISTER ", 9) == 0, "got %.40s", req);
	ck_assert_ptr_nonnull(strstr(req, "Authorization: Digest username=\"fax\""));
	ck_assert_ptr_nonnull(strstr(req, "nonce=\"abc123\""));
	reply_to(&reg, req, "200 OK", "Expires: 600\r\n");
	st_line_stop(line);
	close(reg.fd);
}
END_TEST

START_TEST(test_sip_line_bad_listen)
{
	struct sip_line_options o;

	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "not-an-address");
	o.nlisten_udp = 1;
	ck_assert_ptr_null(st_line_start(&o));
	sip_line_options_init(&o);
	ck_assert_ptr_null(st_line_start(&o));      /* nothing to listen on */
}
END_TEST

START_TEST(test_sip_line_result_names)
{
	ck_assert_str_eq(sip_result_name(SIP_RESULT_OK), "ok");
	ck_assert_str_eq(sip_result_name(SIP_RESULT_BUSY), "busy");
	ck_assert_str_eq(sip_result_name(SIP_RESULT_NOANSWER), "noanswer");
	ck_assert_str_eq(sip_result_name(SIP_RESULT_REJECTED), "rejected");
	ck_assert_str_eq(sip_result_name(SIP_RESULT_PARTIAL), "partial");
	ck_assert_str_eq(sip_result_name(SIP_RESULT_FAILED), "failed");
}
END_TEST

Suite *
suite_sip_line(void)
{
	Suite *s = suite_create("sip_line");
	TCase *tc = tcase_create("line");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sip_line_answer_side);
	tcase_add_test(tc, test_sip_line_dial_limits);
	tcase_add_test(tc, test_sip_line_register);
	tcase_add_test(tc, test_sip_line_bad_listen);
	tcase_add_test(tc, test_sip_line_result_names);
	suite_add_tcase(s, tc);
	return s;
}
