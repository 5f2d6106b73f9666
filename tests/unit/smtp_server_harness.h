/*
 * A small owner for smtp/server session tests: the server driven in memory
 * over a bufferevent_pair_new(), with callbacks that record what they saw.
 * Included by the smtp_server* unit test files (static inline helpers).
 */
#ifndef T37_TEST_SMTP_SERVER_HARNESS_H
#define T37_TEST_SMTP_SERVER_HARNESS_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util/log.h"
#include "smtp/smtp.h"

struct owner {
	int connects, ends, aborts, data_ends, mails, rcpts, auths;
	int sheds;                      /* ends of sessions closed to make room */
	int async;                      /* data_end answers later */
	int refuse_connect;
	unsigned long long pending;     /* session waiting for its reply */
	char body[256 * 1024];
	size_t body_len;
	char last_from[512], last_to[512], last_orcpt[600], last_envid[200];
	unsigned last_notify;
	size_t last_size;
};

struct harness {
	struct event_base *base;
	struct bufferevent *pair[2];
	struct smtp_server *srv;
	struct owner own;
	unsigned long long id;
	char out[256 * 1024];
	size_t out_len;
	int closed;
};

static inline void
own_connect(void *arg, const struct smtp_server_client *c, void **udata,
    struct smtp_server_reply *r)
{
	struct owner *o = arg;

	(void)c;
	o->connects++;
	*udata = o;
	if (o->refuse_connect)
		smtp_server_reply_set(r, 554, "5.7.1", "Client host rejected: not allowed");
}

static inline int
own_auth(void *arg, void *udata, const struct smtp_server_client *c, const char *user,
    const char *pass)
{
	struct owner *o = arg;

	(void)udata;
	(void)c;
	o->auths++;
	return strcmp(user, "fax") == 0 && strcmp(pass, "secret") == 0 ? 0 : -1;
}

static inline void
own_mail(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_mail *m, struct smtp_server_reply *r)
{
	struct owner *o = arg;

	(void)udata;
	(void)c;
	o->mails++;
	snprintf(o->last_from, sizeof(o->last_from), "%s", m->from);
	snprintf(o->last_envid, sizeof(o->last_envid), "%s", m->envid ? m->envid : "");
	o->last_size = m->size;
	if (strcmp(m->from, "bad@example.com") == 0)
		smtp_server_reply_set(r, 550, "5.7.1", "Sender not allowed");
}

static inline void
own_rcpt(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r)
{
	struct owner *o = arg;

	(void)udata;
	(void)c;
	o->rcpts++;
	snprintf(o->last_to, sizeof(o->last_to), "%s", rc->to);
	snprintf(o->last_orcpt, sizeof(o->last_orcpt), "%s", rc->orcpt ? rc->orcpt : "");
	o->last_notify = rc->notify;
	if (strncmp(rc->to, "deny", 4) == 0)
		smtp_server_reply_set(r, 550, "5.7.1", "relaying denied");
}

static inline void
own_data_start(void *arg, void *udata, const struct smtp_server_client *c,
    struct smtp_server_reply *r)
{
	struct owner *o = arg;

	(void)udata;
	(void)c;
	(void)r;
	o->body_len = 0;
}

static inline void
own_data_chunk(void *arg, void *udata, const char *buf, size_t len)
{
	struct owner *o = arg;

	(void)udata;
	ck_assert_uint_le(o->body_len + len, sizeof(o->body));
	memcpy(o->body + o->body_len, buf, len);
	o->body_len += len;
}

static inline int
own_data_end(void *arg, void *udata, const struct smtp_server_client *c, size_t size,
    struct smtp_server_reply *r)
{
	struct owner *o = arg;

	(void)udata;
	o->data_ends++;
	ck_assert_uint_eq(size, o->body_len);
	if (o->async) {
		o->pending = c->id;
		return 1;
	}
	smtp_server_reply_set(r, 250, "2.0.0", "Ok: queued as J%d", o->data_ends);
	return 0;
}

static inline void
own_data_abort(void *arg, void *udata)
{
	struct owner *o = arg;

	(void)udata;
	o->aborts++;
	o->body_len = 0;
}

static inline void
own_end(void *arg, void *udata, const struct smtp_server_client *c)
{
	struct owner *o = arg;

	ck_assert_ptr_eq(udata, o);
	o->ends++;
	if (c->shed)
		o->sheds++;
}

static const struct smtp_server_callbacks own_cb = {
	own_connect, own_auth, own_mail, own_rcpt, own_data_start, own_data_chunk,
	own_data_end, own_data_abort, own_end,
};

static inline void
client_read(struct bufferevent *bev, void *arg)
{
	struct harness *h = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	ck_assert_uint_lt(h->out_len + n, sizeof(h->out));
	evbuffer_remove(in, h->out + h->out_len, n);
	h->out_len += n;
	h->out[h->out_len] = '\0';
}

static inline void
client_event(struct bufferevent *bev, short what, void *arg)
{
	struct harness *h = arg;

	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		h->closed = 1;
}

static inline void
run(struct harness *h)
{
	int i;

	for (i = 0; i < 50; i++)
		event_base_loop(h->base, EVLOOP_NONBLOCK);
}

static inline void
h_setup(struct harness *h, const struct smtp_server_options *opt)
{
	struct smtp_server_options def = {
		.hostname = "gw.test", .max_message_size = 100000, .cmd_timeout = 30,
		.data_timeout = 30,
	};

	memset(h, 0, sizeof(*h));
	log_set_level(LOG_LVL_ERR);
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	h->srv = smtp_server_new(h->base, opt ? opt : &def, &own_cb, &h->own);
	ck_assert_ptr_nonnull(h->srv);
	ck_assert_int_eq(bufferevent_pair_new(h->base, 0, h->pair), 0);
	bufferevent_setcb(h->pair[1], client_read, NULL, client_event, h);
	bufferevent_enable(h->pair[1], EV_READ | EV_WRITE);
	h->id = smtp_server_attach(h->srv, h->pair[0], "192.0.2.1");
	ck_assert(h->id != 0);
	run(h);
}

static inline void
h_teardown(struct harness *h)
{
	smtp_server_free(h->srv);
	run(h);         /* libevent finalizes freed bufferevents in the loop */
	bufferevent_free(h->pair[1]);
	event_base_free(h->base);
}

/* Sends raw bytes, runs the loop, returns everything received so far. */
static inline const char *
say(struct harness *h, const char *bytes)
{
	bufferevent_write(h->pair[1], bytes, strlen(bytes));
	run(h);
	return h->out;
}

static inline void
clear(struct harness *h)
{
	h->out_len = 0;
	h->out[0] = '\0';
}

/* Sends a line and returns only the reply text it got. */
static inline const char *
cmd(struct harness *h, const char *line)
{
	clear(h);
	return say(h, line);
}

static inline void
ehlo(struct harness *h)
{
	ck_assert_ptr_nonnull(strstr(cmd(h, "EHLO client.test\r\n"), "250 ENHANCEDSTATUSCODES"));
	clear(h);
}

static inline void
start_data(struct harness *h)
{
	ehlo(h);
	ck_assert_str_eq(cmd(h, "MAIL FROM:<a@b.test>\r\n"), "250 2.1.0 Ok\r\n");
	ck_assert_str_eq(cmd(h, "RCPT TO:<x@b.test>\r\n"), "250 2.1.5 Ok\r\n");
	ck_assert_ptr_nonnull(strstr(cmd(h, "DATA\r\n"), "354 "));
	clear(h);
}

#endif
