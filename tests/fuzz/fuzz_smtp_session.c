/*
 * libFuzzer target: a whole server session fed arbitrary bytes over a
 * bufferevent pair, in several writes, with an owner that accepts all
 * mail and answers the final dot either at once or later (async commit).
 * The first byte also picks the bare-newline mode and whether the client
 * half-closes at the end; user "t" is a throttled AUTH.
 * Checks that nothing crashes or leaks and that a message is only ever
 * handed over at a final dot.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util/log.h"
#include "smtp/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	int async;
	unsigned long long pending;
	int open;                       /* a sink is open */
};

static void
fz_connect(void *arg, const struct smtp_server_client *c, void **udata,
    struct smtp_server_reply *r)
{
	(void)c;
	(void)r;
	*udata = arg;
}

static int
fz_auth(void *arg, void *udata, const struct smtp_server_client *c, const char *u,
    const char *p)
{
	(void)arg;
	(void)udata;
	(void)c;
	if (strcmp(u, "t") == 0)
		return 1;               /* throttled: 454, credentials unchecked */
	return strcmp(u, "u") == 0 && strcmp(p, "p") == 0 ? 0 : -1;
}

static void
fz_mail(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_mail *m, struct smtp_server_reply *r)
{
	(void)arg;
	(void)udata;
	(void)c;
	if (m->from[0] == 'x')
		smtp_server_reply_set(r, 550, "5.7.1", "no");
}

static void
fz_rcpt(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r)
{
	(void)arg;
	(void)udata;
	(void)c;
	if (rc->to[0] == 'x')
		smtp_server_reply_set(r, 550, "5.7.1", "relaying denied");
}

static void
fz_data_start(void *arg, void *udata, const struct smtp_server_client *c,
    struct smtp_server_reply *r)
{
	struct fz *f = arg;

	(void)udata;
	(void)c;
	(void)r;
	if (f->open)
		abort();
	f->open = 1;
}

static void
fz_data_chunk(void *arg, void *udata, const char *buf, size_t len)
{
	struct fz *f = arg;

	(void)udata;
	if (!f->open || len == 0 || buf[len - 1] != '\n')
		abort();
}

static int
fz_data_end(void *arg, void *udata, const struct smtp_server_client *c, size_t size,
    struct smtp_server_reply *r)
{
	struct fz *f = arg;

	(void)udata;
	(void)size;
	if (!f->open)
		abort();
	f->open = 0;
	if (f->async) {
		f->pending = c->id;
		return 1;
	}
	smtp_server_reply_set(r, 250, "2.0.0", "Ok");
	return 0;
}

static void
fz_data_abort(void *arg, void *udata)
{
	struct fz *f = arg;

	(void)udata;
	if (!f->open)
		abort();
	f->open = 0;
}

static void
fz_end(void *arg, void *udata, const struct smtp_server_client *c)
{
	(void)arg;
	(void)udata;
	(void)c;
}

static const struct smtp_server_callbacks fz_cb = {
	fz_connect, fz_auth, fz_mail, fz_rcpt, fz_data_start, fz_data_chunk,
	fz_data_end, fz_data_abort, fz_end,
};

static void
fz_drain(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_server_options opt = {
		.hostname = "fuzz.test", .max_message_size = 4096, .auth = 1,
		.auth_in_clear = 1, .max_errors = 50,
	};
	struct smtp_server_reply r;
	struct event_base *base;
	struct smtp_server *srv;
	struct bufferevent *pair[2];
	struct fz f = { 0, 0, 0 };
	size_t off = 1, n;
	int i;

	if (size < 1)
		return 0;
	log_set_level(LOG_LVL_ERR);
	f.async = data[0] & 1;
	opt.bare_newline = data[0] & 2 ? SMTP_BARE_NEWLINE_NORMALIZE : SMTP_BARE_NEWLINE_REJECT;
	base = event_base_new();
	srv = smtp_server_new(base, &opt, &fz_cb, &f);
	bufferevent_pair_new(base, 0, pair);
	bufferevent_setcb(pair[1], fz_drain, NULL, NULL, NULL);
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	smtp_server_attach(srv, pair[0], "127.0.0.1");
	/* writes split at the second byte's rhythm, so framing sees partial lines */
	while (off < size) {
		n = size - off;
		if (size > 1 && n > (size_t)(data[1] % 64) + 1)
			n = (size_t)(data[1] % 64) + 1;
		bufferevent_write(pair[1], data + off, n);
		off += n;
		for (i = 0; i < 4; i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
		if (f.pending) {
			smtp_server_reply_set(&r, 250, "2.0.0", "Ok");
			smtp_server_reply_data(srv, f.pending, &r);
			f.pending = 0;
		}
	}
	if (data[0] & 4) {
		/* the client closes its side: what it sent is still answered */
		bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED);
		for (i = 0; i < 4; i++)
			event_base_loop(base, EVLOOP_NONBLOCK);
		if (f.pending) {
			smtp_server_reply_set(&r, 250, "2.0.0", "Ok");
			smtp_server_reply_data(srv, f.pending, &r);
			f.pending = 0;
		}
	}
	for (i = 0; i < 4; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	smtp_server_free(srv);
	if (f.open)
		abort();        /* every sink ended with data_end or data_abort */
	bufferevent_free(pair[1]);
	event_base_loop(base, EVLOOP_NONBLOCK);  /* runs libevent's finalizers */
	event_base_free(base);
	return 0;
}
