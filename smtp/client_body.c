/*
 * smtp/client_body: the message of a client transaction: its RFC 1870
 * size, and the DATA body streamed from the file under flow control with
 * line endings made CRLF and leading dots doubled (RFC 5321 4.5.2). The
 * state machine core is in client.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "smtp/client_int.h"
#include "smtp/smtp.h"

/* RFC 1870 size: the file with every line ending counted as CRLF. */
int
smtp_client_measure(struct smtp_client *c)
{
	char buf[CLIENT_BODY_CHUNK];
	unsigned long long size = 0;
	off_t off = 0;
	ssize_t n, i;
	char prev = '\0';

	for (;;) {
		n = pread(c->fd, buf, sizeof(buf), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_MAIL, 0, "4.3.0",
			    "reading the message: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' && prev != '\r')
				size++;
			prev = buf[i];
		}
		size += (unsigned long long)n;
		off += n;
	}
	c->txn.size = size;
	return 0;
}

void
smtp_client_enter_body(struct smtp_client *c)
{
	bufferevent_setwatermark(c->bev, EV_WRITE, CLIENT_BODY_LOW, 0);
	smtp_client_body_pump(c);
}

void
smtp_client_body_pump(struct smtp_client *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char in[CLIENT_BODY_CHUNK], conv[2 * CLIENT_BODY_CHUNK + 4];
	ssize_t n;
	size_t o;

	while (evbuffer_get_length(out) < CLIENT_BODY_HIGH) {
		n = pread(c->fd, in, sizeof(in), c->txn.off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Never end an incomplete message with a dot: drop
			 * the connection and let the server discard it. */
			smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_DOT, 0, "4.3.0",
			    "reading the message: %s", strerror(errno));
			smtp_client_finish(c);
			return;
		}
		if (n == 0) {
			o = 0;
			if (c->txn.prev_cr) {
				conv[o++] = '\n';
				c->txn.bol = true;
			}
			if (!c->txn.bol) {
				conv[o++] = '\r';
				conv[o++] = '\n';
			}
			evbuffer_add(out, conv, o);
			evbuffer_add(out, ".\r\n", 3);
			bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
			smtp_client_enter(c, CS_DOT);
			return;
		}
		c->txn.off += n;
		o = smtp_client_body_convert(&c->txn, in, (size_t)n, conv);
		evbuffer_add(out, conv, o);
	}
}

/* LF -> CRLF, bare CR -> CRLF, a '.' at the start of a line doubled. */
size_t
smtp_client_body_convert(struct client_txn *x, const char *in, size_t n, char *out)
{
	size_t i = 0, o = 0, run;
	const char *lf;

	while (i < n) {
		if (x->prev_cr) {
			x->prev_cr = false;
			out[o++] = '\n';       /* CR LF, or a bare CR made CR LF */
			x->bol = true;
			if (in[i] == '\n') {   /* the LF of a CR LF (maybe split) */
				i++;
				continue;
			}
		}
		if (x->bol && in[i] == '.')
			out[o++] = '.';         /* RFC 5321 4.5.2 */
		x->bol = false;
		/* Copy the run up to the next LF at once unless it holds a CR. */
		lf = memchr(in + i, '\n', n - i);
		run = lf ? (size_t)(lf - (in + i)) : n - i;
		if (memchr(in + i, '\r', run) == NULL) {
			memcpy(out + o, in + i, run);
			o += run;
			i += run;
			if (lf != NULL) {
				out[o++] = '\r';
				out[o++] = '\n';
				x->bol = true;
				i++;
			}
			continue;
		}
		/* Slow path: up to and including the first CR. */
		while (in[i] != '\r')
			out[o++] = in[i++];
		out[o++] = '\r';
		x->prev_cr = true;
		i++;
	}
	return o;
}
