/*
 * smtp/server_io: what a session does with the octets it reads: the strict
 * line framing (RFC 5321 2.3.8, 4.1.1.4), the loop that handles every
 * buffered line in order (RFC 2920), and the DATA phase (dot-unstuffing,
 * size and Received: limits, smuggling defence). Sessions, listeners,
 * events and STARTTLS are in server.c; commands in server_cmd.c.
 *
 * Framing (RFC 5321 2.3.8; CVE-2023-51764 "SMTP smuggling"), one of two
 * modes (smtp_server_options.bare_newline):
 *   reject     only CRLF ends a line. A bare LF or CR anywhere, in a
 *              command or in DATA, is answered 521 5.5.2 and the connection
 *              is closed with the transaction dropped (Postfix's strictest
 *              smtpd_forbid_bare_newline).
 *   normalize  a line may also end in a bare LF and is then taken as if it
 *              ended in CRLF (scanners and scripts send such lines), but
 *              the message ends only at the exact sequence CRLF "." CRLF: a
 *              "." line that follows or ends with a bare LF is message
 *              content. A bare CR is content inside a message and refused
 *              (500) in a command.
 * Either way no "<LF>.<LF>", "<LF>.<CRLF>", "<CRLF>.<LF>" or "<CR>.<CR>"
 * can ever end a message here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "util/log.h"
#include "smtp/server_int.h"

/* session_getline() results */
enum { GL_ERROR = -1, GL_NONE = 0, GL_LINE, GL_LONG, GL_LONG_PARTIAL };

static int session_getline(struct smtp_session *s, size_t limit, size_t *lenp);
static int session_getline_lf(struct smtp_session *s, size_t limit, size_t *lenp);
static void session_drop_partial(struct evbuffer *in, size_t avail);
static int session_bare_eol(const char *p, size_t len, int partial);
static void session_framing_error(struct smtp_session *s);
static void session_data_line(struct smtp_session *s, char *line, size_t len,
    int can_end);
static void session_data_error(struct smtp_session *s, int code, const char *enh,
    const char *text);
static void session_data_flush(struct smtp_session *s);
static void session_data_end(struct smtp_session *s);

/* ---- framing ---------------------------------------------------------- */

/*
 * Whether p[0..len) holds a bare CR or LF. A CR as the very last octet of
 * a partial line may still be followed by its LF, so it is not judged yet.
 */
static int
session_bare_eol(const char *p, size_t len, int partial)
{
	const char *cr;

	if (memchr(p, '\n', len) != NULL)
		return 1;
	if ((cr = memchr(p, '\r', len)) != NULL && !(partial && cr == p + len - 1))
		return 1;
	return 0;
}

static void
session_framing_error(struct smtp_session *s)
{
	log_info("smtp=%llx client=%s error=\"bare CR or LF\" phase=%s", s->id, s->addr,
	    smtp_session_phase_name(s->phase));
	smtp_session_reply(s, 521, "5.5.2", "%s Error: bare <CR> or <LF> received, closing",
	    s->srv->opt.hostname);
	smtp_session_txn_free(s);
	smtp_session_close(s);
}

/*
 * Takes the next CRLF-terminated line out of the input into s->line (NUL
 * terminated, CRLF removed). Returns GL_LINE with *lenp set, GL_NONE when
 * no complete line is there yet, GL_LONG when the line is longer than limit
 * octets incl. CRLF (consumed with its CRLF), GL_LONG_PARTIAL when no CRLF
 * came within the limit (what is there is dropped; the rest of the line
 * follows), GL_ERROR on a framing error (bare CR/LF; session closing).
 */
static int
session_getline(struct smtp_session *s, size_t limit, size_t *lenp)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer_ptr eol;
	size_t eol_len = 0, n, avail = evbuffer_get_length(in), chunk;
	char tmp[4096];

	if (s->srv->opt.bare_newline == SMTP_BARE_NEWLINE_NORMALIZE)
		return session_getline_lf(s, limit, lenp);

	if (avail == 0)
		return GL_NONE;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF_STRICT);
	if (eol.pos == -1) {
		/* no CRLF yet: any LF is bare; judge what is there in pieces */
		struct evbuffer_ptr lf = evbuffer_search(in, "\n", 1, NULL);

		if (lf.pos != -1) {
			session_framing_error(s);
			return GL_ERROR;
		}
		n = avail < sizeof(tmp) ? avail : sizeof(tmp);
		evbuffer_copyout(in, tmp, n);
		if (session_bare_eol(tmp, n, n == avail)) {
			session_framing_error(s);
			return GL_ERROR;
		}
		if (avail + 2 <= limit)
			return GL_NONE;
		session_drop_partial(in, avail);
		return GL_LONG_PARTIAL;
	}
	n = (size_t)eol.pos;
	if (n + 2 > limit) {
		/* judge the overlong line too, then drop it */
		while (n > 0) {
			chunk = n < sizeof(tmp) ? n : sizeof(tmp);
			evbuffer_remove(in, tmp, chunk);
			if (session_bare_eol(tmp, chunk, 0)) {
				session_framing_error(s);
				return GL_ERROR;
			}
			n -= chunk;
		}
		evbuffer_drain(in, eol_len);
		return GL_LONG;
	}
	evbuffer_remove(in, s->line, n);
	evbuffer_drain(in, eol_len);
	s->line[n] = '\0';
	if (session_bare_eol(s->line, n, 0)) {
		session_framing_error(s);
		return -1;
	}
	*lenp = n;
	return GL_LINE;
}

/* Over the limit with no end in sight: drops what is there but a last CR
 * (it may be the first half of the CRLF that ends the line). */
static void
session_drop_partial(struct evbuffer *in, size_t avail)
{
	struct evbuffer_ptr p;
	char last;

	evbuffer_ptr_set(in, &p, avail - 1, EVBUFFER_PTR_SET);
	evbuffer_copyout_from(in, &p, &last, 1);
	evbuffer_drain(in, last == '\r' ? avail - 1 : avail);
}

/*
 * session_getline() for "bare-newline normalize": a line ends at LF, with
 * or without the CR before it; s->line_crlf tells which (the DATA phase
 * needs it: only CRLF "." CRLF ends a message). A bare CR stays in the
 * line. Same results as session_getline(), never GL_ERROR.
 */
static int
session_getline_lf(struct smtp_session *s, size_t limit, size_t *lenp)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	struct evbuffer_ptr eol;
	size_t eol_len = 0, n, avail = evbuffer_get_length(in);

	if (avail == 0)
		return GL_NONE;
	eol = evbuffer_search_eol(in, NULL, &eol_len, EVBUFFER_EOL_CRLF);
	if (eol.pos == -1) {
		if (avail + 2 <= limit)
			return GL_NONE;
		session_drop_partial(in, avail);
		return GL_LONG_PARTIAL;
	}
	n = (size_t)eol.pos;
	s->line_crlf = eol_len == 2;
	if (!s->line_crlf && !s->bare_lf_seen) {
		s->bare_lf_seen = 1;
		log_info("smtp=%llx client=%s bare-newline=normalized phase=%s", s->id, s->addr,
		    smtp_session_phase_name(s->phase));
	}
	if (n + 2 > limit) {
		evbuffer_drain(in, n + eol_len);
		return GL_LONG;
	}
	evbuffer_remove(in, s->line, n);
	evbuffer_drain(in, eol_len);
	s->line[n] = '\0';
	*lenp = n;
	return GL_LINE;
}

/*
 * Handles every complete line buffered, in order (RFC 2920: replies in
 * order; they go out together when the input runs dry, as the bufferevent
 * writes only once control returns to the loop).
 */
void
smtp_session_process(struct smtp_session *s)
{
	const struct smtp_server_options *o = &s->srv->opt;
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t len = 0, before = evbuffer_get_length(in);
	unsigned lines = 0;
	struct smtp_txn *t;
	int r, prev_crlf, progress = 0;

	s->in_process = 1;
	for (;;) {
		if (s->phase == SMTP_PH_QUIT || s->phase == SMTP_PH_TLS ||
		    s->phase == SMTP_PH_BODY_WAIT || s->phase == SMTP_PH_NEW ||
		    smtp_session_shutdown_check(s))
			break;
		prev_crlf = s->line_crlf;
		r = session_getline(s, o->cmdline_max, &len);
		if (r == GL_NONE || r == GL_ERROR)
			break;
		if (r != GL_LONG_PARTIAL)
			lines++;
		if (s->phase == SMTP_PH_BODY) {
			t = s->txn;
			/* text lines: 1000 octets incl. CRLF, counted unstuffed */
			if (r != GL_LINE || t->long_line ||
			    len + 2 > SMTP_SERVER_TEXTLINE_MAX + (s->line[0] == '.' ? 1 : 0)) {
				/* the tail of a dropped line is never a line (or a dot) */
				t->long_line = r == GL_LONG_PARTIAL;
				/* keep reading to the final dot, answer once (style 9) */
				session_data_error(s, 500, "5.5.2",
				    "Message line longer than 1000 octets refused");
				continue;
			}
			/* the end is CRLF "." CRLF exactly (normalize mode) */
			session_data_line(s, s->line, len, prev_crlf && s->line_crlf);
			progress = 1;
			continue;
		}
		if (r != GL_LINE) {
			s->verb = "-";
			smtp_session_reply(s, 500, "5.5.2", "Line too long");
			if (r == GL_LONG_PARTIAL) {
				/* no CRLF within the limit: cannot resynchronise (style 8) */
				smtp_session_close(s);
				break;
			}
			smtp_session_error(s);
			continue;
		}
		if (strlen(s->line) != len) {
			s->verb = "-";
			smtp_session_reply(s, 500, "5.5.2", "NUL character in command refused");
			smtp_session_error(s);
			continue;
		}
		if (memchr(s->line, '\r', len) != NULL) {     /* normalize mode only */
			s->verb = "-";
			smtp_session_reply(s, 500, "5.5.2", "Bare <CR> in command refused");
			smtp_session_error(s);
			continue;
		}
		s->active = 1;
		if (s->phase == SMTP_PH_AUTH_PLAIN || s->phase == SMTP_PH_AUTH_USER ||
		    s->phase == SMTP_PH_AUTH_PASS) {
			smtp_session_auth_line(s, s->line);
			progress = 1;
		} else if (smtp_session_command(s, s->line, len)) {
			progress = 1;
		}
	}
	if (s->phase == SMTP_PH_BODY && s->txn != NULL)
		session_data_flush(s);
	/* (STARTTLS swapped the bufferevent: what the old one held is gone) */
	if (bufferevent_get_input(s->bev) == in && before >= evbuffer_get_length(in))
		smtp_session_consumed(s, before - evbuffer_get_length(in), lines, progress);
	if (s->peer_eof && s->phase != SMTP_PH_QUIT && s->phase != SMTP_PH_BODY_WAIT) {
		/* nothing more will come: a transaction still open is lost */
		if (s->txn != NULL && s->txn->sink_open)
			log_info("smtp=%llx client=%s event=lost phase=%s", s->id, s->addr,
			    smtp_session_phase_name(s->phase));
		smtp_session_txn_free(s);
		smtp_session_close(s);
	}
	s->in_process = 0;
}

/* ---- DATA ------------------------------------------------------------- */

/* Records the first error of the message and abandons its sink. */
static void
session_data_error(struct smtp_session *s, int code, const char *enh, const char *text)
{
	struct smtp_txn *t = s->txn;

	if (t->error.code != 0)
		return;
	smtp_server_reply_set(&t->error, code, enh, "%s", text);
	t->chunk_len = 0;
	if (t->sink_open) {
		t->sink_open = 0;
		s->srv->cb.data_abort(s->srv->cbarg, s->udata);
	}
}

static void
session_data_flush(struct smtp_session *s)
{
	struct smtp_txn *t = s->txn;

	if (t->chunk_len > 0 && t->sink_open && t->error.code == 0)
		s->srv->cb.data_chunk(s->srv->cbarg, s->udata, t->chunk, t->chunk_len);
	t->chunk_len = 0;
}

/* One message line (terminator removed). can_end: a lone "." here is the
 * end of the message; otherwise (a bare LF around it) it is content. */
static void
session_data_line(struct smtp_session *s, char *line, size_t len, int can_end)
{
	struct smtp_txn *t = s->txn;
	const struct smtp_server_options *o = &s->srv->opt;

	if (len == 1 && line[0] == '.') {
		if (can_end) {
			session_data_end(s);
			return;
		}
	} else if (line[0] == '.') {            /* RFC 5321 4.5.2 */
		line++;
		len--;
	}
	if (strlen(line) != len)
		session_data_error(s, 554, "5.6.0", "NUL character in message refused");
	if (t->in_header) {
		if (len == 0)
			t->in_header = 0;
		else if (len >= 9 && strncasecmp(line, "Received:", 9) == 0 &&
		    ++t->received >= o->max_received)
			/* RFC 5321 6.3: a mail loop */
			session_data_error(s, 554, "5.4.6", "Too many hops (Received: headers), mail loop");
	}
	t->size += len + 2;
	if (o->max_message_size > 0 && t->size > o->max_message_size)
		session_data_error(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
	if (t->error.code != 0)
		return;
	if (t->chunk_len + len + 2 > SMTP_SESSION_CHUNK)
		session_data_flush(s);
	memcpy(t->chunk + t->chunk_len, line, len);
	memcpy(t->chunk + t->chunk_len + len, "\r\n", 2);
	t->chunk_len += len + 2;
}

static void
session_data_end(struct smtp_session *s)
{
	struct smtp_txn *t = s->txn;
	struct smtp_server_reply reply;
	struct smtp_server_client c;
	int r;

	s->verb = "DATA";
	if (t->error.code != 0) {
		smtp_session_reply_owner(s, &t->error, 554, "5.0.0", "Error");
		smtp_session_txn_free(s);
		smtp_session_enter_state(s, SMTP_PH_HELO);
		smtp_session_timeouts(s, s->srv->opt.cmd_timeout);
		return;
	}
	session_data_flush(s);
	t->sink_open = 0;               /* the owner has the message now */
	memset(&reply, 0, sizeof(reply));
	smtp_session_client(s, &c);
	smtp_session_enter_state(s, SMTP_PH_BODY_WAIT);
	r = s->srv->cb.data_end(s->srv->cbarg, s->udata, &c, t->size, &reply);
	if (r == 1) {
		/* durable commit in progress: no command is read until it ends */
		smtp_session_timeouts(s, s->srv->opt.data_timeout);
		return;
	}
	smtp_session_reply_owner(s, &reply, 250, "2.0.0", "Ok");
	smtp_session_txn_free(s);
	smtp_session_enter_state(s, SMTP_PH_HELO);
	smtp_session_timeouts(s, s->srv->opt.cmd_timeout);
}

/* Called by DATA after 354: the DATA phase starts. */
void
smtp_session_data_begin(struct smtp_session *s)
{
	struct smtp_txn *t = s->txn;

	t->size = 0;
	t->in_header = 1;
	t->received = 0;
	t->long_line = 0;
	memset(&t->error, 0, sizeof(t->error));
	t->chunk_len = 0;
	smtp_session_enter_state(s, SMTP_PH_BODY);
	smtp_session_timeouts(s, s->srv->opt.data_timeout);
	smtp_session_request(s, s->srv->opt.data_timeout);
}
