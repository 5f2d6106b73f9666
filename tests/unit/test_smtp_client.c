/*
 * smtp/client: the client state machine against scripted servers over
 * bufferevent_pair_new(). Each script lists, in order, the command prefix
 * the server expects and the reply it sends; the server records every
 * command line and the DATA it received, and how many command lines came
 * in one read (to see PIPELINING groups).
 */
#include <check.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "smtp/smtp.h"

#define SRV_LOG_MAX 8192
#define SRV_DATA_MAX 40000

struct srv_step {
	const char *expect;     /* command prefix; "." = the end of DATA */
	const char *reply;      /* sent as is (CRLFs included); NULL: silence */
	int close;              /* close the connection after the reply */
};

struct srv {
	struct bufferevent *bev;
	const struct srv_step *script;
	size_t i;
	int in_data;
	int mismatch;
	unsigned max_batch;     /* most command lines handled in one read */
	char log[SRV_LOG_MAX];  /* "CMD\n" per command */
	char data[SRV_DATA_MAX]; /* DATA as received (dot-stuffed, CRLF) */
	size_t data_bytes;      /* every byte of DATA received, before the dot */
	uint64_t data_hash;     /* FNV-1a of those bytes (any length) */
	int bare_cr;            /* a DATA line ended in a lone CR */
};

/* FNV-1a, 64 bits, continued from h over n bytes. */
static uint64_t
fnv1a(uint64_t h, const char *p, size_t n)
{
	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define FNV1A_INIT 0xcbf29ce484222325ULL

struct run {
	struct event_base *base;
	struct srv srv;
	struct smtp_client_result res;
	int done;
	char path[64];
	int fd;
};

static void
srv_reply(struct srv *s)
{
	const struct srv_step *st = &s->script[s->i];

	if (st->reply)
		bufferevent_write(s->bev, st->reply, strlen(st->reply));
	if (st->reply && strncmp(st->reply, "354", 3) == 0)
		s->in_data = 1;
	s->i++;
	if (st->close) {
		/* BEV_FINISHED: the client end sees EOF, as with a socket */
		bufferevent_flush(s->bev, EV_WRITE, BEV_FINISHED);
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
}

static void
srv_read(struct bufferevent *bev, void *arg)
{
	struct srv *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	unsigned batch = 0;
	char *line;
	size_t n;

	while (s->bev && (line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF_STRICT))) {
		if (s->in_data) {
			if (n > 0 && line[n - 1] == '\r')
				s->bare_cr = 1;
			if (strcmp(line, ".") != 0) {
				size_t l = strlen(s->data);
				snprintf(s->data + l, sizeof(s->data) - l, "%s\r\n", line);
				if (s->data_bytes == 0)
					s->data_hash = FNV1A_INIT;
				s->data_hash = fnv1a(fnv1a(s->data_hash, line, n), "\r\n", 2);
				s->data_bytes += n + 2;
				free(line);
				continue;
			}
			s->in_data = 0;
		} else {
			size_t l = strlen(s->log);
			snprintf(s->log + l, sizeof(s->log) - l, "%s\n", line);
			batch++;
			if (batch > s->max_batch)
				s->max_batch = batch;
		}
		if (s->script[s->i].expect == NULL ||
		    strncmp(line, s->script[s->i].expect, strlen(s->script[s->i].expect)) != 0) {
			s->mismatch = 1;
			bufferevent_write(bev, "500 unexpected\r\n", 16);
		} else {
			srv_reply(s);
		}
		free(line);
	}
}

static void
srv_event(struct bufferevent *bev, short what, void *arg)
{
	struct srv *s = arg;

	(void)what;
	if (s->bev == bev) {
		bufferevent_free(bev);
		s->bev = NULL;
	}
}

static void
client_done(const struct smtp_client_result *res, void *arg)
{
	struct run *r = arg;

	r->res = *res;
	r->done = 1;
	event_base_loopexit(r->base, NULL);
}

static struct smtp_client_opts
opts_default(void)
{
	struct smtp_client_opts o;

	memset(&o, 0, sizeof(o));
	o.helo_name = "gw1.example.com";
	o.tls = SMTP_TLS_OFF;
	return o;
}

static struct smtp_client_msg
msg_default(int fd)
{
	struct smtp_client_msg m;

	memset(&m, 0, sizeof(m));
	m.mail_from = "fax@gw1.example.com";
	m.rcpt = "fax-9913170@example.com";
	m.fd = fd;
	return m;
}

/* Runs the client against the script with body as the message. */
static void
run_script(struct run *r, const struct srv_step *script, const char *body,
    const struct smtp_client_opts *o, const struct smtp_client_msg *m_in)
{
	struct bufferevent *pair[2];
	struct smtp_client_msg m;
	struct smtp_client *c;
	struct timeval limit = { 3, 0 };

	memset(r, 0, sizeof(*r));
	snprintf(r->path, sizeof(r->path), "/tmp/t37smtpc.XXXXXX");
	r->fd = mkstemp(r->path);
	ck_assert_int_ge(r->fd, 0);
	ck_assert_int_eq(write(r->fd, body, strlen(body)), (ssize_t)strlen(body));
	r->base = event_base_new();
	ck_assert_ptr_nonnull(r->base);
	ck_assert_int_eq(bufferevent_pair_new(r->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair), 0);
	r->srv.bev = pair[1];
	r->srv.script = script;
	bufferevent_setcb(pair[1], srv_read, NULL, srv_event, &r->srv);
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	srv_reply(&r->srv);     /* the greeting: script[0] */

	m = *m_in;
	m.fd = r->fd;
	c = smtp_client_start(r->base, pair[0], o, &m, client_done, r);
	ck_assert_ptr_nonnull(c);
	event_base_loopexit(r->base, &limit);
	event_base_dispatch(r->base);
	ck_assert_msg(r->done, "client never finished");
	if (r->srv.bev)
		bufferevent_free(r->srv.bev);
	event_base_free(r->base);
	close(r->fd);
	unlink(r->path);
}

static const char body_text[] =
    "Subject: test\n\n.leading dot\n..two dots\nplain\r\nlast line without newline";
static const char body_wire[] =
    "Subject: test\r\n\r\n..leading dot\r\n...two dots\r\nplain\r\nlast line without newline\r\n";

START_TEST(plain_session_no_extensions)
{
	static const struct srv_step script[] = {
		{ "", "220 mx.example.com ESMTP\r\n", 0 },
		{ "EHLO gw1.example.com", "250 mx.example.com\r\n", 0 },
		{ "MAIL FROM:<fax@gw1.example.com>", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT TO:<fax-9913170@example.com>", "250 2.1.5 Ok\r\n", 0 },
		{ "DATA", "354 go ahead\r\n", 0 },
		{ ".", "250 2.0.0 Ok: queued as 4F2A\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	m.envid = "0123abcd";           /* no DSN in EHLO: must not be sent */
	m.notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	m.ret_hdrs = true;
	run_script(&r, script, body_text, &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_str_eq(r.srv.log,
	    "EHLO gw1.example.com\n"
	    "MAIL FROM:<fax@gw1.example.com>\n"
	    "RCPT TO:<fax-9913170@example.com>\n"
	    "DATA\n"
	    "QUIT\n");
	ck_assert_str_eq(r.srv.data, body_wire);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_SENT);
	ck_assert_int_eq(r.res.code, 250);
	ck_assert_str_eq(r.res.dsn, "2.0.0");
	ck_assert_str_eq(r.res.reply, "250 2.0.0 Ok: queued as 4F2A");
	ck_assert(!r.res.pipelined);
	ck_assert(!r.res.dsn_sent);
}
END_TEST

START_TEST(pipelined_with_dsn)
{
	static const struct srv_step script[] = {
		{ "", "220-mx.example.com ESMTP\r\n220 second greeting line\r\n", 0 },
		{ "EHLO", "250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		    "250-DSN\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n", 0 },
		{ "MAIL", "250 2.1.0 Ok\r\n", 0 },
		{ "RCPT", "250 2.1.5 Ok\r\n", 0 },
		{ "DATA", "354 go ahead\r\n", 0 },
		{ ".", "250-2.0.0 Ok\r\n250 2.0.0 queued as 77\r\n", 0 },
		{ "QUIT", "221 2.0.0 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;
	char want[512];

	m.rcpt = "FAX=+19195551234@example.com";
	m.envid = "job+1";
	m.notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	m.ret_hdrs = true;
	run_script(&r, script, body_text, &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	/* SIZE counts every line end as CRLF: 3 bare LFs in body_text. */
	snprintf(want, sizeof(want),
	    "EHLO gw1.example.com\n"
	    "MAIL FROM:<fax@gw1.example.com> SIZE=%zu RET=HDRS ENVID=job+2B1\n"
	    "RCPT TO:<FAX=+19195551234@example.com> NOTIFY=SUCCESS,FAILURE "
	    "ORCPT=rfc822;FAX+3D+2B19195551234@example.com\n"
	    "DATA\n"
	    "QUIT\n", strlen(body_text) + 4);
	ck_assert_str_eq(r.srv.log, want);
	ck_assert_uint_ge(r.srv.max_batch, 3);  /* MAIL+RCPT+DATA in one group */
	ck_assert_str_eq(r.srv.data, body_wire);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_SENT);
	ck_assert(r.res.pipelined);
	ck_assert(r.res.dsn_sent);
	ck_assert_str_eq(r.res.reply, "250 2.0.0 Ok 2.0.0 queued as 77");
}
END_TEST

START_TEST(not_pipelined_without_extension)
{
	static const struct srv_step script[] = {
		{ "", "220 mx ESMTP\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 DSN\r\n", 0 },
		{ "MAIL FROM:<fax@gw1.example.com> RET=HDRS ENVID=0123abcd", "250 Ok\r\n", 0 },
		{ "RCPT TO:<fax-9913170@example.com> NOTIFY=FAILURE ORCPT=rfc822;fax-9913170@example.com", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ ".", "250 Ok\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	m.envid = "0123abcd";
	m.notify = SMTP_NOTIFY_FAILURE;
	m.ret_hdrs = true;
	run_script(&r, script, "x\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_uint_eq(r.srv.max_batch, 1);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_SENT);
	ck_assert_str_eq(r.res.dsn, "2.0.0");   /* derived: no enhanced code */
	ck_assert(!r.res.pipelined);
	ck_assert(r.res.dsn_sent);
}
END_TEST

START_TEST(ehlo_refused_falls_back_to_helo)
{
	static const struct srv_step script[] = {
		{ "", "220 old.example.com SMTP\r\n", 0 },
		{ "EHLO gw1.example.com", "502 5.5.2 Command not recognized\r\n", 0 },
		{ "HELO gw1.example.com", "250 old.example.com\r\n", 0 },
		{ "MAIL FROM:<fax@gw1.example.com>", "250 Ok\r\n", 0 },
		{ "RCPT TO:<fax-9913170@example.com>", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ ".", "250 Ok\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	m.envid = "x";
	m.notify = SMTP_NOTIFY_SUCCESS;
	run_script(&r, script, "hello\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_ptr_null(strstr(r.srv.log, "NOTIFY"));
	ck_assert_ptr_null(strstr(r.srv.log, "SIZE="));
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_SENT);
}
END_TEST

/* A failure reply at each step, non-pipelined. */
static const struct {
	const char *at;                 /* which command gets the failure */
	const char *reply;
	enum smtp_client_status status;
	enum smtp_client_step step;
	int code;
	const char *dsn;
} fail_cases[] = {
	{ "",     "421 4.3.2 busy\r\n",            SMTP_CLIENT_TEMPFAIL, SMTP_STEP_GREETING, 421, "4.3.2" },
	{ "",     "554 no service\r\n",            SMTP_CLIENT_TEMPFAIL, SMTP_STEP_GREETING, 554, "4.0.0" },
	{ "EHLO", "421 4.7.0 closing\r\n",         SMTP_CLIENT_TEMPFAIL, SMTP_STEP_EHLO, 421, "4.7.0" },
	{ "MAIL", "451 4.3.0 try later\r\n",       SMTP_CLIENT_TEMPFAIL, SMTP_STEP_MAIL, 451, "4.3.0" },
	{ "MAIL", "550 5.7.1 sender refused\r\n",  SMTP_CLIENT_PERMFAIL, SMTP_STEP_MAIL, 550, "5.7.1" },
	{ "RCPT", "450 4.2.1 mailbox busy\r\n",    SMTP_CLIENT_TEMPFAIL, SMTP_STEP_RCPT, 450, "4.2.1" },
	{ "RCPT", "550 5.1.1 no such user\r\n",    SMTP_CLIENT_PERMFAIL, SMTP_STEP_RCPT, 550, "5.1.1" },
	{ "DATA", "451 local error\r\n",           SMTP_CLIENT_TEMPFAIL, SMTP_STEP_DATA, 451, "4.0.0" },
	{ "DATA", "554 5.5.1 no valid rcpt\r\n",   SMTP_CLIENT_PERMFAIL, SMTP_STEP_DATA, 554, "5.5.1" },
	{ ".",    "452 4.3.1 disk full\r\n",       SMTP_CLIENT_TEMPFAIL, SMTP_STEP_DOT, 452, "4.3.1" },
	{ ".",    "552 5.3.4 too big\r\n",         SMTP_CLIENT_PERMFAIL, SMTP_STEP_DOT, 552, "5.3.4" },
};

START_TEST(failure_at_each_step)
{
	static const char *order[] = { "", "EHLO", "MAIL", "RCPT", "DATA", "." };
	static const char *ok[] = { "220 mx\r\n", "250 mx\r\n", "250 Ok\r\n",
	    "250 Ok\r\n", "354 go\r\n", "250 Ok\r\n" };
	struct srv_step script[10];
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;
	size_t k, n = 0;

	for (k = 0; k < 6; k++) {
		script[n].expect = order[k];
		script[n].close = 0;
		if (strcmp(order[k], fail_cases[_i].at) == 0) {
			script[n++].reply = fail_cases[_i].reply;
			break;
		}
		script[n++].reply = ok[k];
	}
	script[n].expect = "QUIT";
	script[n].reply = "221 Bye\r\n";
	script[n++].close = 1;
	script[n].expect = NULL;
	script[n].reply = NULL;
	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, fail_cases[_i].status);
	ck_assert_int_eq(r.res.step, fail_cases[_i].step);
	ck_assert_int_eq(r.res.code, fail_cases[_i].code);
	ck_assert_str_eq(r.res.dsn, fail_cases[_i].dsn);
	ck_assert_int_eq(strncmp(r.res.reply, fail_cases[_i].reply, 3), 0);
	ck_assert_msg(strstr(r.srv.log, "QUIT\n") != NULL, "no QUIT after failure");
}
END_TEST

START_TEST(pipelined_rcpt_refused)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 PIPELINING\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 },
		{ "RCPT", "550 5.1.1 unknown user\r\n", 0 },
		{ "DATA", "554 5.5.1 no valid recipients\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_PERMFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_RCPT);
	ck_assert_str_eq(r.res.dsn, "5.1.1");
	ck_assert_str_eq(r.srv.data, "");
}
END_TEST

START_TEST(pipelined_data_accepted_after_failed_rcpt)
{
	/* RFC 2920 3.1: 354 although RCPT failed -> an empty message ends it. */
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 PIPELINING\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 },
		{ "RCPT", "450 4.2.0 greylisted\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ ".", "554 no recipients\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_RCPT);
	ck_assert_int_eq(r.res.code, 450);
	ck_assert_str_eq(r.srv.data, "");       /* the message was not sent */
}
END_TEST

START_TEST(bad_multiline_reply)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n251 PIPELINING\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_EHLO);
	ck_assert_ptr_nonnull(strstr(r.res.reply, "protocol error"));
	ck_assert_ptr_null(strstr(r.srv.log, "MAIL"));
}
END_TEST

START_TEST(greeting_timeout)
{
	static const struct srv_step script[] = {
		{ "", NULL, 0 },        /* says nothing */
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	o.timeouts.greeting = 150;
	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_GREETING);
	ck_assert(r.res.timeout);
	ck_assert_str_eq(r.srv.log, "");
}
END_TEST

START_TEST(final_dot_timeout)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250 mx\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 },
		{ "RCPT", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 },
		{ ".", NULL, 0 },       /* never answers the dot */
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	o.timeouts.data_end = 150;
	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_DOT);
	ck_assert(r.res.timeout);
	ck_assert_str_eq(r.srv.data, "body\r\n");
}
END_TEST

START_TEST(lost_connection_after_mail)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250 mx\r\n", 0 },
		{ "MAIL", NULL, 1 },    /* hangs up */
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_MAIL);
	ck_assert(!r.res.timeout);
	ck_assert_ptr_nonnull(strstr(r.res.reply, "lost connection"));
}
END_TEST

START_TEST(size_over_limit_not_sent)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250-PIPELINING\r\n250 SIZE 100\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;
	char big[400];

	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	run_script(&r, script, big, &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_PERMFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_MAIL);
	ck_assert_int_eq(r.res.code, 0);
	ck_assert_str_eq(r.res.dsn, "5.3.4");
	ck_assert_str_eq(r.srv.log, "EHLO gw1.example.com\nQUIT\n");
}
END_TEST

START_TEST(auth_refused_in_clear)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 AUTH PLAIN LOGIN\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	o.auth_user = "fax";
	o.auth_pass = "secret";
	run_script(&r, script, "body\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_AUTH);
	ck_assert_ptr_null(strstr(r.srv.log, "AUTH"));
}
END_TEST

START_TEST(auth_plain_and_login)
{
	static const struct srv_step plain[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 AUTH LOGIN PLAIN\r\n", 0 },
		{ "AUTH PLAIN AGZheABzZWNyZXQ=", "235 2.7.0 Authentication successful\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 }, { "RCPT", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 }, { ".", "250 Ok\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 }, { NULL, NULL, 0 },
	};
	static const struct srv_step login[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 AUTH=LOGIN\r\n", 0 },
		{ "AUTH LOGIN", "334 VXNlcm5hbWU6\r\n", 0 },
		{ "ZmF4", "334 UGFzc3dvcmQ6\r\n", 0 },
		{ "c2VjcmV0", "535 5.7.8 bad credentials\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 }, { NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;

	o.auth_user = "fax";
	o.auth_pass = "secret";
	o.auth_plaintext_ok = true;
	run_script(&r, plain, "body\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_SENT);
	run_script(&r, login, "body\n", &o, &m);
	ck_assert_int_eq(r.srv.mismatch, 0);
	/* A refused login is the server's problem: retry, not bounce. */
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_AUTH);
	ck_assert_int_eq(r.res.code, 535);
}
END_TEST

START_TEST(tls_required_not_offered)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 PIPELINING\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 },
		{ NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;
	char err[256];

	o.tls = SMTP_TLS_REQUIRED;
	o.tls_ctx = smtp_client_tls_ctx_new(false, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(o.tls_ctx);
	run_script(&r, script, "body\n", &o, &m);
	SSL_CTX_free(o.tls_ctx);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_TEMPFAIL);
	ck_assert_int_eq(r.res.step, SMTP_STEP_STARTTLS);
	ck_assert_str_eq(r.srv.log, "EHLO gw1.example.com\nQUIT\n");
	ck_assert(!r.res.tls);
}
END_TEST

START_TEST(opportunistic_tls_refused_goes_on)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250-mx\r\n250 STARTTLS\r\n", 0 },
		{ "STARTTLS", "454 4.7.0 TLS not available\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 }, { "RCPT", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 }, { ".", "250 Ok\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 }, { NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run r;
	char err[256];

	o.tls = SMTP_TLS_OPPORTUNISTIC;
	o.tls_ctx = smtp_client_tls_ctx_new(false, NULL, err, sizeof(err));
	run_script(&r, script, "body\n", &o, &m);
	SSL_CTX_free(o.tls_ctx);
	ck_assert_int_eq(r.srv.mismatch, 0);
	ck_assert_int_eq(r.res.status, SMTP_CLIENT_SENT);
}
END_TEST

START_TEST(big_body_streams)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250 mx\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 }, { "RCPT", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 }, { ".", "250 Ok\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 }, { NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run *r = malloc(sizeof(*r));
	char *body = malloc(600 * 1024), *wire = malloc(2 * 600 * 1024);
	size_t i, w = 0;

	/* Larger than the server's copy: the bytes it received are counted
	 * and hashed instead, against the body as the wire must carry it
	 * (CRLF line ends, a leading dot doubled, the last line ended). */
	for (i = 0; i < 600 * 1024 - 1; i++)
		body[i] = (i % 77 == 76) ? '\n' : (i % 77 == 0 ? '.' : 'a');
	body[i] = '\0';
	for (i = 0; body[i] != '\0'; i++) {
		if (body[i] == '.' && (i == 0 || body[i - 1] == '\n'))
			wire[w++] = '.';
		if (body[i] == '\n')
			wire[w++] = '\r';
		wire[w++] = body[i];
	}
	if (body[i - 1] != '\n') {
		wire[w++] = '\r';
		wire[w++] = '\n';
	}
	run_script(r, script, body, &o, &m);
	ck_assert_int_eq(r->res.status, SMTP_CLIENT_SENT);
	ck_assert_int_eq(r->srv.mismatch, 0);
	ck_assert_uint_eq(r->srv.data_bytes, w);
	ck_assert(r->srv.data_hash == fnv1a(FNV1A_INIT, wire, w));
	free(wire);
	free(body);
	free(r);
}
END_TEST

START_TEST(line_ends_across_chunks)
{
	static const struct srv_step script[] = {
		{ "", "220 mx\r\n", 0 },
		{ "EHLO", "250 mx\r\n", 0 },
		{ "MAIL", "250 Ok\r\n", 0 }, { "RCPT", "250 Ok\r\n", 0 },
		{ "DATA", "354 go\r\n", 0 }, { ".", "250 Ok\r\n", 0 },
		{ "QUIT", "221 Bye\r\n", 0 }, { NULL, NULL, 0 },
	};
	struct smtp_client_opts o = opts_default();
	struct smtp_client_msg m = msg_default(-1);
	struct run *r = calloc(1, sizeof(*r));
	/* The CR of a CR LF is the last byte of the first 32 KiB read. */
	size_t k = 32 * 1024 - 1;
	char *body = malloc(k + 64);
	const char *tail;

	memset(body, 'a', k);
	strcpy(body + k, "\r\n.x\r\nbare\rcr\n.");
	run_script(r, script, body, &o, &m);
	ck_assert_int_eq(r->res.status, SMTP_CLIENT_SENT);
	ck_assert_int_eq(r->srv.bare_cr, 0);
	tail = r->srv.data + k;
	ck_assert_str_eq(tail, "\r\n..x\r\nbare\r\ncr\r\n..\r\n");
	free(body);
	free(r);
}
END_TEST

Suite *
suite_smtp_client(void)
{
	Suite *s = suite_create("smtp_client");
	TCase *tc = tcase_create("scripted");

	tcase_add_test(tc, plain_session_no_extensions);
	tcase_add_test(tc, pipelined_with_dsn);
	tcase_add_test(tc, not_pipelined_without_extension);
	tcase_add_test(tc, ehlo_refused_falls_back_to_helo);
	tcase_add_loop_test(tc, failure_at_each_step, 0,
	    sizeof(fail_cases) / sizeof(fail_cases[0]));
	tcase_add_test(tc, pipelined_rcpt_refused);
	tcase_add_test(tc, pipelined_data_accepted_after_failed_rcpt);
	tcase_add_test(tc, bad_multiline_reply);
	tcase_add_test(tc, greeting_timeout);
	tcase_add_test(tc, final_dot_timeout);
	tcase_add_test(tc, lost_connection_after_mail);
	tcase_add_test(tc, size_over_limit_not_sent);
	tcase_add_test(tc, auth_refused_in_clear);
	tcase_add_test(tc, auth_plain_and_login);
	tcase_add_test(tc, tls_required_not_offered);
	tcase_add_test(tc, opportunistic_tls_refused_goes_on);
	tcase_add_test(tc, big_body_streams);
	tcase_add_test(tc, line_ends_across_chunks);
	suite_add_tcase(s, tc);
	return s;
}
