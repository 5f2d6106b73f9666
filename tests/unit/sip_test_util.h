/*
 * Shared code for the sip/ session suites (test_sip_line.c,
 * test_sip_watch.c), whose peers are hand-written SIP messages over UDP on
 * loopback: a free port, a header copied out of a message, a response
 * built from the request it answers, a UDP peer that sends requests, and
 * the events channel of the lines a test starts.
 */
#ifndef SIP_TEST_UTIL_H
#define SIP_TEST_UTIL_H

#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>


#include "sip/sip.h"
#include "util/chan.h"

#define ST_UNUSED __attribute__((unused))

/* The events of every line a test starts (one test per process). */
static struct chan *st_events;

static ST_UNUSED struct sip_line *
st_line_start(const struct sip_line_options *o)
{
	if (st_events == NULL)
		ck_assert_ptr_nonnull(st_events = chan_new());
	return sip_line_start(o, st_events);
}

/* Stops the line and drops the events nobody took. */
static ST_UNUSED void
st_line_stop(struct sip_line *line)
{
	struct sip_event *ev;

	sip_line_stop(line);
	while (st_events != NULL && (ev = sip_event_next(st_events)) != NULL)
		free(ev);
}

/* A UDP port free right now on 127.0.0.1. */
static ST_UNUSED int
st_free_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(fd, (struct sockaddr *)&a, &len);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Copies header `name` (through CRLF, without it) from msg into out. */
static ST_UNUSED void
st_header(const char *msg, const char *name, char *out, size_t outsz)
{
	const char *h = strstr(msg, name), *e;

	ck_assert_msg(h != NULL, "no %s in %.60s", name, msg);
	e = strstr(h, "\r\n");
	snprintf(out, outsz, "%.*s", (int)(e - h), h);
}

/*
 * Writes into out the response with status to the request req: its Via,
 * From, To (with ";tag=" tag added when To has none), Call-ID and CSeq,
 * then extra (whole header lines) and an optional SDP body. Returns the
 * length.
 */
static ST_UNUSED int
st_response(const char *req, const char *status, const char *tag, const char *extra,
    const char *sdp, char *out, size_t outsz)
{
	char via[512], from[512], to[512], cid[256], cseq[128];
	int n;

	st_header(req, "Via:", via, sizeof(via));
	st_header(req, "From:", from, sizeof(from));
	st_header(req, "To:", to, sizeof(to));
	st_header(req, "Call-ID:", cid, sizeof(cid));
	st_header(req, "CSeq:", cseq, sizeof(cseq));
	n = snprintf(out, outsz, "SIP/2.0 %s\r\n%s\r\n%s\r\n%s%s%s\r\n%s\r\n%s\r\n%s%s"
	    "Content-Length: %zu\r\n\r\n%s", status, via, from, to,
	    strstr(to, ";tag=") ? "" : ";tag=", strstr(to, ";tag=") ? "" : tag, cid, cseq,
	    extra, sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : (size_t)0,
	    sdp ? sdp : "");
	ck_assert_int_lt(n, (int)outsz);
	return n;
}

/* A SIP peer on a UDP socket of 127.0.0.1 that sends to the line's port. */
struct client {
	int fd;
	int port;                       /* ours */
	struct sockaddr_in to;
};

static ST_UNUSED void
client_open(struct client *c, int line_port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct timeval tv = { 3, 0 };

	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(c->fd, (struct sockaddr *)&a, &len);
	c->port = ntohs(a.sin_port);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	c->to = a;
	c->to.sin_port = htons((uint16_t)line_port);
}

/* Sends a request; returns the status of the first response with a status
 * >= min_status (provisional ones below it are skipped), or -1. When
 * full is given, the response text is copied there. */
static ST_UNUSED int
client_request(struct client *c, const char *method, const char *ruri, const char *callid,
    const char *extra, const char *body, int min_status, char *full, size_t fullsz)
{
	char msg[4096], resp[4096];
	int n, status;

	n = snprintf(msg, sizeof(msg),
	    "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s%s\r\n"
	    "Max-Forwards: 70\r\nFrom: \"Caller\" <sip:5551000@127.0.0.1>;tag=t%s\r\n"
	    "To: <%s>\r\nCall-ID: %s@test\r\nCSeq: 1 %s\r\n"
	    "Contact: <sip:test@127.0.0.1:%d>\r\n%s%s%s"
	    "Content-Length: %zu\r\n\r\n%s",
	    method, ruri, c->port, callid, method, callid, ruri, callid, method, c->port, extra,
	    body != NULL ? "Content-Type: application/sdp\r\n" : "", "",
	    body != NULL ? strlen(body) : (size_t)0, body != NULL ? body : "");
	ck_assert_int_lt(n, (int)sizeof(msg));
	ck_assert_int_eq(sendto(c->fd, msg, (size_t)n, 0, (struct sockaddr *)&c->to,
	    sizeof(c->to)), n);
	for (;;) {
		ssize_t r = recv(c->fd, resp, sizeof(resp) - 1, 0);
		if (r <= 0)
			return -1;
		resp[r] = '\0';
		if (sscanf(resp, "SIP/2.0 %d", &status) != 1)
			continue;
		if (status >= min_status) {
			if (full != NULL)
				snprintf(full, fullsz, "%s", resp);
			return status;
		}
	}
}

static ST_UNUSED struct sip_event *
wait_finished(void)
{
	struct sip_event *ev;
	int i;

	for (i = 0; i < 50; i++) {
		ev = sip_event_wait(st_events, 100);
		if (ev != NULL && ev->type == SIP_EV_CALL_FINISHED)
			return ev;
		free(ev);
	}
	return NULL;
}

#endif
