/*
 * Fuzz target for the SMTP client: the input is everything a hostile
 * server says, delivered in pieces (the first byte of each piece sets its
 * length) over a bufferevent pair to a client sending a small message with
 * every extension it knows asked for. The session must end with a result,
 * never crash, hang or leak; the outcome must be consistent with what was
 * sent. The server speaks its next piece when the client wrote something
 * or, at once, when the client waits for it (a line cut in two): no run
 * waits for a client timeout, so a CPU second tries hundreds of sessions.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util/log.h"
#include "smtp/smtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct event_base *base;
	struct bufferevent *srv;
	const uint8_t *data;
	size_t size, off;
	int done;
	int fed;                        /* a piece (or the end) went out */
	int eof;                        /* the input is spent: EOF sent */
	struct smtp_client_result res;
};

static void
fz_done(const struct smtp_client_result *res, void *arg)
{
	struct fz *f = arg;

	f->res = *res;
	f->done = 1;
}

/* The server's next piece; the end of the connection once the input is
 * spent. */
static void
fz_feed(struct fz *f)
{
	struct bufferevent *bev = f->srv;
	size_t n;

	f->fed = 1;
	if (f->off >= f->size) {
		if (!f->eof)
			bufferevent_flush(bev, EV_WRITE, BEV_FINISHED);
		f->eof = 1;
		return;
	}
	n = f->data[f->off++] % 64 + 1;
	if (n > f->size - f->off)
		n = f->size - f->off;
	bufferevent_write(bev, f->data + f->off, n);
	f->off += n;
}

/* The client wrote something: the server answers with its next piece. */
static void
fz_srv_read(struct bufferevent *bev, void *arg)
{
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
	fz_feed(arg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char body[] = "Subject: x\n\n.dot\nline\n";
	struct smtp_client_opts o;
	struct smtp_client_msg m;
	struct bufferevent *pair[2];
	struct fz f;
	size_t i;
	int fd;

	log_set_level(LOG_LVL_ERR);
	memset(&f, 0, sizeof(f));
	f.data = data;
	f.size = size;
	f.base = event_base_new();
	fd = memfd_create("fz", 0);
	if (f.base == NULL || fd < 0 || write(fd, body, sizeof(body) - 1) < 0)
		__builtin_trap();
	bufferevent_pair_new(f.base, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS, pair);
	f.srv = pair[1];
	bufferevent_setcb(pair[1], fz_srv_read, NULL, NULL, &f);
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	memset(&o, 0, sizeof(o));
	o.helo_name = "gw.example.com";
	o.auth_user = "u";
	o.auth_pass = "p";
	o.auth_plaintext_ok = 1;
	o.timeouts.greeting = o.timeouts.command = o.timeouts.mail = 10;
	o.timeouts.rcpt = o.timeouts.data_init = o.timeouts.data_block = 10;
	o.timeouts.data_end = 10;
	memset(&m, 0, sizeof(m));
	m.mail_from = "a@example.com";
	m.rcpt = "FAX=+1919@example.com";
	m.envid = "job 1";
	m.notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	m.ret_hdrs = 1;
	m.fd = fd;
	if (smtp_client_start(f.base, pair[0], &o, &m, fz_done, &f) == NULL)
		__builtin_trap();
	fz_feed(&f);                    /* the greeting */
	/* Each round runs what is ready; a round in which the client wrote
	 * nothing means it waits for the server, which then speaks on. Every
	 * round spends input or ends it, so size + 64 rounds
	 * are enough for any session that ends by itself. */
	for (i = 0; i < size + 64 && !f.done; i++) {
		f.fed = 0;
		event_base_loop(f.base, EVLOOP_NONBLOCK);
		if (!f.done && !f.fed)
			fz_feed(&f);
	}
	if (!f.done)
		__builtin_trap();               /* every session ends by itself */
	if (f.res.status == SMTP_CLIENT_SENT && (f.res.code < 200 || f.res.code > 299))
		__builtin_trap();
	bufferevent_free(pair[1]);
	event_base_free(f.base);
	close(fd);
	return 0;
}
