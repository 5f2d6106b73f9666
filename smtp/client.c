/*
 * smtp/client: the ESMTP client session, one message to one recipient over
 * one connection, on a libevent bufferevent (plain, or an OpenSSL filter
 * after STARTTLS).
 *
 * Response-driven: entering a state sends that state's
 * command and arms that state's timeout (RFC 5321 4.5.3.2); a reply is
 * assembled whole (multi-line) before the state's reply handler sees it,
 * and handlers look only at the reply code. With PIPELINING (RFC 2920)
 * MAIL, RCPT and DATA go out as one group and the three replies are
 * counted before deciding. The body is streamed from a file descriptor:
 * LF becomes CRLF, a leading '.' is doubled (RFC 5321 4.5.2), the final
 * dot follows.
 *
 * Not here: which server, retries, logging of the outcome (the owner's
 * queue does that from struct smtp_client_result).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "util/log.h"
#include "smtp/smtp.h"

/* RFC 5321 4.5.3.2 defaults, in milliseconds. */
#define CLIENT_T_CONNECT    (30 * 1000)
#define CLIENT_T_GREETING   (5 * 60 * 1000)
#define CLIENT_T_COMMAND    (5 * 60 * 1000)
#define CLIENT_T_MAIL       (5 * 60 * 1000)
#define CLIENT_T_RCPT       (5 * 60 * 1000)
#define CLIENT_T_DATA_INIT  (2 * 60 * 1000)
#define CLIENT_T_DATA_BLOCK (3 * 60 * 1000)
#define CLIENT_T_DATA_END   (10 * 60 * 1000)
#define CLIENT_T_QUIT       (30 * 1000)     /* the outcome is known by then */

#include "smtp/client_int.h"

static void client_record_reply(struct smtp_client *c, enum smtp_client_step step,
    const struct client_reply *r, bool server_level);
static void client_done_cb(evutil_socket_t fd, short what, void *arg);
static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);
static int client_line(struct smtp_client *c, const char *line, size_t n);
static void client_start_txn(struct smtp_client *c);
static int client_mail_cmd(struct smtp_client *c, char *out, size_t size);
static int client_rcpt_cmd(struct smtp_client *c, char *out, size_t size);
static void client_peer(struct smtp_client *c);

static void enter_greeting(struct smtp_client *c);
static void enter_ehlo(struct smtp_client *c);
static void enter_helo(struct smtp_client *c);
static void enter_mail(struct smtp_client *c);
static void enter_rcpt(struct smtp_client *c);
static void enter_data(struct smtp_client *c);
static void enter_pipe(struct smtp_client *c);
static void enter_abort_dot(struct smtp_client *c);
static void enter_quit(struct smtp_client *c);
static void reply_greeting(struct smtp_client *c, const struct client_reply *r);
static void reply_ehlo(struct smtp_client *c, const struct client_reply *r);
static void reply_helo(struct smtp_client *c, const struct client_reply *r);
static void reply_mail(struct smtp_client *c, const struct client_reply *r);
static void reply_rcpt(struct smtp_client *c, const struct client_reply *r);
static void reply_data(struct smtp_client *c, const struct client_reply *r);
static void reply_pipe(struct smtp_client *c, const struct client_reply *r);
static void reply_body(struct smtp_client *c, const struct client_reply *r);
static void reply_dot(struct smtp_client *c, const struct client_reply *r);
static void reply_abort_dot(struct smtp_client *c, const struct client_reply *r);
static void reply_quit(struct smtp_client *c, const struct client_reply *r);

/* The state table: name, the step reported, what entering does, what a
 * reply does. States without a reply handler expect no reply. */
static const struct {
	const char *name;
	enum smtp_client_step step;
	client_enter_fn enter;
	client_reply_fn reply;
} client_states[CS_COUNT] = {
	[CS_CONNECT]   = { "connect",   SMTP_STEP_CONNECT,  NULL,            NULL },
	[CS_GREETING]  = { "greeting",  SMTP_STEP_GREETING, enter_greeting,  reply_greeting },
	[CS_EHLO]      = { "ehlo",      SMTP_STEP_EHLO,     enter_ehlo,      reply_ehlo },
	[CS_HELO]      = { "helo",      SMTP_STEP_HELO,     enter_helo,      reply_helo },
	[CS_STARTTLS]  = { "starttls",  SMTP_STEP_STARTTLS, smtp_client_enter_starttls,  smtp_client_reply_starttls },
	[CS_TLS]       = { "tls",       SMTP_STEP_TLS,      smtp_client_enter_tls,       NULL },
	[CS_AUTH]      = { "auth",      SMTP_STEP_AUTH,     smtp_client_enter_auth,      smtp_client_reply_auth },
	[CS_AUTH_USER] = { "auth-user", SMTP_STEP_AUTH,     smtp_client_enter_auth_user, smtp_client_reply_auth_user },
	[CS_AUTH_PASS] = { "auth-pass", SMTP_STEP_AUTH,     smtp_client_enter_auth_pass, smtp_client_reply_auth_pass },
	[CS_MAIL]      = { "mail",      SMTP_STEP_MAIL,     enter_mail,      reply_mail },
	[CS_RCPT]      = { "rcpt",      SMTP_STEP_RCPT,     enter_rcpt,      reply_rcpt },
	[CS_DATA]      = { "data",      SMTP_STEP_DATA,     enter_data,      reply_data },
	[CS_PIPE]      = { "pipeline",  SMTP_STEP_MAIL,     enter_pipe,      reply_pipe },
	[CS_BODY]      = { "body",      SMTP_STEP_DOT,      smtp_client_enter_body, reply_body },
	[CS_DOT]       = { "dot",       SMTP_STEP_DOT,      NULL,            reply_dot },
	[CS_ABORT_DOT] = { "abort-dot", SMTP_STEP_DATA,     enter_abort_dot, reply_abort_dot },
	[CS_QUIT]      = { "quit",      SMTP_STEP_QUIT,     enter_quit,      reply_quit },
	[CS_DONE]      = { "done",      SMTP_STEP_QUIT,     NULL,            NULL },
};

static const char *const client_step_names[] = {
	[SMTP_STEP_CONNECT] = "connect", [SMTP_STEP_GREETING] = "greeting",
	[SMTP_STEP_EHLO] = "EHLO", [SMTP_STEP_HELO] = "HELO",
	[SMTP_STEP_STARTTLS] = "STARTTLS", [SMTP_STEP_TLS] = "TLS handshake",
	[SMTP_STEP_AUTH] = "AUTH", [SMTP_STEP_MAIL] = "MAIL FROM",
	[SMTP_STEP_RCPT] = "RCPT TO", [SMTP_STEP_DATA] = "DATA",
	[SMTP_STEP_DOT] = "end of data", [SMTP_STEP_QUIT] = "QUIT",
};

const char *
smtp_client_step_name(enum smtp_client_step step)
{
	if ((unsigned)step >= sizeof(client_step_names) / sizeof(client_step_names[0]))
		return "?";
	return client_step_names[step];
}

/* ---- life cycle -------------------------------------------------------- */

static char *
client_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct smtp_client *
smtp_client_new(struct event_base *base, const struct smtp_client_opts *opts,
    const struct smtp_client_msg *msg, smtp_client_cb cb, void *arg)
{
	struct smtp_client *c;

	if (base == NULL || opts == NULL || msg == NULL || cb == NULL ||
	    opts->helo_name == NULL || msg->rcpt == NULL || msg->fd < 0 ||
	    strlen(msg->rcpt) > SMTP_CLIENT_ADDR_MAX ||
	    (msg->mail_from && strlen(msg->mail_from) > SMTP_CLIENT_ADDR_MAX) ||
	    (opts->tls != SMTP_TLS_OFF && opts->tls_ctx == NULL) ||
	    (opts->auth_user && (opts->auth_pass == NULL ||
	    strlen(opts->auth_user) > CLIENT_CRED_MAX ||
	    strlen(opts->auth_pass) > CLIENT_CRED_MAX))) {
		errno = EINVAL;
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->fd = -1;
	c->t = opts->timeouts;
	c->tls_mode = opts->tls;
	c->tls_ctx = opts->tls_ctx;
	if (c->tls_ctx != NULL)
		SSL_CTX_up_ref(c->tls_ctx);     /* the owner may drop it on reload */
	c->tls_verify = opts->tls_verify;
	c->auth_plaintext_ok = opts->auth_plaintext_ok;
	c->ret_hdrs = msg->ret_hdrs;
	c->body_8bit = msg->body_8bit;
	c->cb = cb;
	c->arg = arg;
	c->helo = client_dup(opts->helo_name);
	c->server_name = client_dup(opts->tls_server_name);
	c->auth_user = client_dup(opts->auth_user);
	c->auth_pass = client_dup(opts->auth_pass);
	c->mail_from = client_dup(msg->mail_from ? msg->mail_from : "");
	c->rcpt = client_dup(msg->rcpt);
	c->envid = client_dup(msg->envid);
	c->notify = msg->notify;
	c->orcpt = client_dup(msg->orcpt ? msg->orcpt : msg->rcpt);
	c->fd = dup(msg->fd);
	c->done_ev = event_new(base, -1, 0, client_done_cb, c);
	if (c->helo == NULL || c->mail_from == NULL || c->rcpt == NULL ||
	    c->orcpt == NULL || c->fd < 0 || c->done_ev == NULL ||
	    (opts->tls_server_name && c->server_name == NULL) ||
	    (opts->auth_user && (c->auth_user == NULL || c->auth_pass == NULL)) ||
	    (msg->envid && c->envid == NULL)) {
		smtp_client_free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void
smtp_client_free(struct smtp_client *c)
{
	if (c == NULL)
		return;
	smtp_client_connect_free(c);
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->done_ev)
		event_free(c->done_ev);
	if (c->tls_ctx)
		SSL_CTX_free(c->tls_ctx);
	if (c->fd >= 0)
		close(c->fd);
	if (c->auth_pass)
		explicit_bzero(c->auth_pass, strlen(c->auth_pass));
	free(c->helo);
	free(c->server_name);
	free(c->auth_user);
	free(c->auth_pass);
	free(c->mail_from);
	free(c->rcpt);
	free(c->envid);
	free(c->orcpt);
	free(c);
}

void
smtp_client_attach(struct smtp_client *c, struct bufferevent *bev)
{
	c->bev = bev;
	bufferevent_setcb(bev, client_read_cb, client_write_cb, client_event_cb, c);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct smtp_client *
smtp_client_start(struct event_base *base, struct bufferevent *bev,
    const struct smtp_client_opts *opts, const struct smtp_client_msg *msg,
    smtp_client_cb cb, void *arg)
{
	struct smtp_client *c;

	if (bev == NULL)
		return NULL;
	if ((c = smtp_client_new(base, opts, msg, cb, arg)) == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	smtp_client_attach(c, bev);
	client_peer(c);
	smtp_client_enter(c, CS_GREETING);
	return c;
}

void
smtp_client_cancel(struct smtp_client *c)
{
	smtp_client_free(c);
}

/* ---- state machine core ------------------------------------------------ */

unsigned
smtp_client_timeout(const struct smtp_client *c, enum client_state s)
{
#define T(field, def) (c->t.field ? c->t.field : (def))
	switch (s) {
	case CS_CONNECT:   return T(connect, CLIENT_T_CONNECT);
	case CS_GREETING:  return T(greeting, CLIENT_T_GREETING);
	case CS_MAIL:
	case CS_PIPE:      return T(mail, CLIENT_T_MAIL);
	case CS_RCPT:      return T(rcpt, CLIENT_T_RCPT);
	case CS_DATA:      return T(data_init, CLIENT_T_DATA_INIT);
	case CS_BODY:      return T(data_block, CLIENT_T_DATA_BLOCK);
	case CS_DOT:
	case CS_ABORT_DOT: return T(data_end, CLIENT_T_DATA_END);
	case CS_QUIT:      return T(command, CLIENT_T_QUIT) < CLIENT_T_QUIT
			       ? T(command, CLIENT_T_QUIT) : CLIENT_T_QUIT;
	default:           return T(command, CLIENT_T_COMMAND);
	}
#undef T
}

/* Every transition goes through here: log, arm the state's timeout, send
 * the state's command. */
void
smtp_client_enter(struct smtp_client *c, enum client_state s)
{
	struct timeval tv;
	unsigned ms = smtp_client_timeout(c, s);

	log_debug("smtp-client: rcpt=<%s> state %s -> %s", c->rcpt,
	    client_states[c->state].name, client_states[s].name);
	c->state = s;
	if (s == CS_DONE || c->bev == NULL)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (s == CS_BODY)       /* RFC 5321 4.5.3.2.5: per data block sent */
		bufferevent_set_timeouts(c->bev, NULL, &tv);
	else if (s == CS_CONNECT)
		bufferevent_set_timeouts(c->bev, &tv, &tv);
	else
		bufferevent_set_timeouts(c->bev, &tv, NULL);
	if (client_states[s].enter)
		client_states[s].enter(c);
}

void
smtp_client_send(struct smtp_client *c, const char *fmt, ...)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(out, fmt, ap);
	va_end(ap);
	evbuffer_add(out, "\r\n", 2);
}

/* Records the outcome (the first failure wins) and ends the session
 * politely with QUIT while the connection is usable. */
void
smtp_client_fail(struct smtp_client *c, enum smtp_client_status st,
    enum smtp_client_step step, int code, const char *dsn, const char *fmt, ...)
{
	va_list ap;

	if (!c->res_set) {
		c->res_set = true;
		c->res.status = st;
		c->res.step = step;
		c->res.code = code;
		snprintf(c->res.dsn, sizeof(c->res.dsn), "%s", dsn);
		va_start(ap, fmt);
		vsnprintf(c->res.reply, sizeof(c->res.reply), fmt, ap);
		va_end(ap);
	}
}

void
smtp_client_fail_layer(struct smtp_client *c, enum smtp_client_layer layer,
    enum smtp_client_status st, enum smtp_client_step step, const char *dsn,
    const char *fmt, ...)
{
	char text[SMTP_CLIENT_REPLY_MAX];
	va_list ap;

	if (c->res_set)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	smtp_client_fail(c, st, step, 0, dsn, "%s", text);
	c->res.layer = layer;
}

const char *
smtp_client_layer_name(enum smtp_client_layer layer)
{
	switch (layer) {
	case SMTP_LAYER_DNS: return "dns";
	case SMTP_LAYER_TCP: return "tcp";
	case SMTP_LAYER_TLS: return "tls";
	default:             return "smtp";
	}
}

/*
 * Records a non-success reply: 4xx is temporary; 5xx is permanent for the
 * message steps and a server-level (temporary) refusal before MAIL.
 */
static void
client_record_reply(struct smtp_client *c, enum smtp_client_step step,
    const struct client_reply *r, bool server_level)
{
	enum smtp_client_status st = SMTP_CLIENT_TEMPFAIL;
	char dsn[16];

	if (r->code >= 500 && r->code < 600 && !server_level)
		st = SMTP_CLIENT_PERMFAIL;
	if (r->dsn[0] != '\0')
		snprintf(dsn, sizeof(dsn), "%s", r->dsn);
	else
		snprintf(dsn, sizeof(dsn), "%c.0.0",
		    st == SMTP_CLIENT_PERMFAIL ? '5' : '4');
	smtp_client_fail(c, st, step, r->code, dsn, "%s", r->text);
}

/* Records a non-success reply and ends the session with QUIT. */
void
smtp_client_fail_reply(struct smtp_client *c, enum smtp_client_step step,
    const struct client_reply *r, bool server_level)
{
	client_record_reply(c, step, r, server_level);
	smtp_client_enter(c, CS_QUIT);
}

void
smtp_client_finish(struct smtp_client *c)
{
	if (c->state == CS_DONE)
		return;
	if (!c->res_set)
		smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, client_states[c->state].step,
		    0, "4.4.2", "session ended without a result");
	c->res.tls = c->tls_active;
	smtp_client_enter(c, CS_DONE);
	if (c->bev != NULL) {
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	}
	/* The owner's callback runs from the loop, never from inside ours. */
	event_active(c->done_ev, 0, 0);
}

static void
client_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_client *c = arg;

	(void)fd;
	(void)what;
	c->cb(&c->res, c->arg);
	smtp_client_free(c);
}

static void
client_peer(struct smtp_client *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	int one = 1;

	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	/* Commands and command groups are written whole: Nagle would only
	 * hold each one back until the previous reply's ACK. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr,
		    c->res.peer_ip, sizeof(c->res.peer_ip));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr,
		    c->res.peer_ip, sizeof(c->res.peer_ip));
}

/* ---- events ------------------------------------------------------------ */

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t n;

	while (c->state != CS_DONE && c->bev == bev) {
		line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF);
		if (line == NULL) {
			if (evbuffer_get_length(in) > SMTP_CLIENT_LINE_MAX) {
				smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL,
				    client_states[c->state].step, 0, "4.5.0",
				    "protocol error: reply line over %d bytes",
				    SMTP_CLIENT_LINE_MAX);
				smtp_client_finish(c);
			}
			return;
		}
		if (client_line(c, line, n) != 0) {
			free(line);
			smtp_client_finish(c);
			return;
		}
		free(line);
	}
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_client *c = arg;

	if (c->state == CS_BODY)
		smtp_client_body_pump(c);
	else if (c->state == CS_QUIT && !c->tls_active &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		smtp_client_finish(c);       /* QUIT is out; see enter_quit() */
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_client *c = arg;
	unsigned long e;
	char ebuf[160];

	if (what & BEV_EVENT_CONNECTED) {
		if (c->state == CS_CONNECT) {
			client_peer(c);
			smtp_client_enter(c, CS_GREETING);
		} else if (c->state == CS_TLS) {
			c->tls_active = true;
			memset(&c->caps, 0, sizeof(c->caps));   /* RFC 3207 4.2 */
			smtp_client_enter(c, CS_EHLO);
		}
		return;
	}
	if (c->state == CS_QUIT) {      /* the result is known; just close */
		smtp_client_finish(c);
		return;
	}
	if (c->state == CS_CONNECT) {
		/* the next address, or the end (client_connect.c) */
		smtp_client_connect_failed(c, (what & BEV_EVENT_TIMEOUT) != 0);
		return;
	} else if (c->state == CS_TLS && !(what & BEV_EVENT_TIMEOUT)) {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			ERR_error_string_n(e, ebuf, sizeof(ebuf));
		else
			snprintf(ebuf, sizeof(ebuf), "connection closed");
		smtp_client_fail_layer(c, SMTP_LAYER_TLS, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_TLS,
		    "4.7.5", "TLS handshake failed: %s", ebuf);
	} else if (what & BEV_EVENT_TIMEOUT) {
		c->res.timeout = true;
		smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, client_states[c->state].step,
		    0, "4.4.2", "timeout waiting for the %s reply",
		    smtp_client_step_name(client_states[c->state].step));
	} else {
		smtp_client_fail_layer(c, SMTP_LAYER_TCP, SMTP_CLIENT_TEMPFAIL,
		    client_states[c->state].step, "4.4.2", "lost connection at %s",
		    smtp_client_step_name(client_states[c->state].step));
	}
	smtp_client_finish(c);
}

/*
 * One reply line. Multi-line replies ("250-...") are assembled; the code
 * must be the same on every line. Returns -1 on a protocol error (the
 * result is set).
 */
static int
client_line(struct smtp_client *c, const char *line, size_t n)
{
	struct client_reply *r = &c->reply;
	const char *text;
	int code;
	bool last;
	size_t len;

	if (strlen(line) != n || n < 3 || n > SMTP_CLIENT_LINE_MAX ||
	    !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
	    !isdigit((unsigned char)line[2]) || line[0] < '2' || line[0] > '5' ||
	    (n > 3 && line[3] != ' ' && line[3] != '-')) {
		smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, client_states[c->state].step,
		    0, "4.5.0", "protocol error: malformed reply line");
		return -1;
	}
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if ((r->lines > 0 && code != r->code) || r->lines >= SMTP_CLIENT_REPLY_LINES) {
		smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, client_states[c->state].step,
		    0, "4.5.0", "protocol error: inconsistent multi-line reply");
		return -1;
	}
	text = n > 4 ? line + 4 : "";
	last = (n == 3 || line[3] == ' ');
	if (r->lines == 0) {
		r->code = code;
		snprintf(r->text, sizeof(r->text), "%d %s", code, text);
		/* RFC 3463 enhanced status: class digit matches the code's */
		len = strspn(text, "0123456789.");
		if (len >= 5 && len < sizeof(r->dsn) && text[0] == line[0] &&
		    text[1] == '.' && (text[len] == ' ' || text[len] == '\0')) {
			memcpy(r->dsn, text, len);
			r->dsn[len] = '\0';
		}
	} else {
		len = strlen(r->text);
		if (len + 2 < sizeof(r->text))
			snprintf(r->text + len, sizeof(r->text) - len, " %s", text);
		if (c->state == CS_EHLO)
			smtp_client_cap(c, text);
	}
	r->lines++;
	if (!last)
		return 0;
	log_debug("smtp-client: rcpt=<%s> reply %s", c->rcpt, r->text);
	{
		struct client_reply done = *r;
		client_reply_fn fn = client_states[c->state].reply;

		memset(r, 0, sizeof(*r));
		if (fn == NULL) {
			smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, client_states[c->state].step,
			    done.code, "4.5.0", "unexpected reply: %s", done.text);
			return -1;
		}
		fn(c, &done);
	}
	return 0;
}

/* ---- states ------------------------------------------------------------ */

static void
enter_greeting(struct smtp_client *c)
{
	(void)c;        /* the server speaks first */
}

static void
reply_greeting(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2)
		smtp_client_enter(c, CS_EHLO);
	else
		smtp_client_fail_reply(c, SMTP_STEP_GREETING, r, true);
}

static void
enter_ehlo(struct smtp_client *c)
{
	memset(&c->caps, 0, sizeof(c->caps));
	smtp_client_send(c, "EHLO %s", c->helo);
}

static void
reply_ehlo(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2)
		smtp_client_after_hello(c);
	else if (r->code / 100 == 5 && !c->tls_active)
		smtp_client_enter(c, CS_HELO);         /* RFC 5321 3.2 */
	else
		smtp_client_fail_reply(c, SMTP_STEP_EHLO, r, true);
}

static void
enter_helo(struct smtp_client *c)
{
	memset(&c->caps, 0, sizeof(c->caps));
	smtp_client_send(c, "HELO %s", c->helo);
}

static void
reply_helo(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2)
		smtp_client_after_hello(c);
	else
		smtp_client_fail_reply(c, SMTP_STEP_HELO, r, true);
}

/* After a successful EHLO/HELO: TLS first, then AUTH, then the message. */
void
smtp_client_after_hello(struct smtp_client *c)
{
	if (!c->tls_active && c->tls_mode != SMTP_TLS_OFF && c->caps.starttls &&
	    !c->tls_declined) {
		smtp_client_enter(c, CS_STARTTLS);
		return;
	}
	if (!c->tls_active && c->tls_mode == SMTP_TLS_REQUIRED) {
		smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_STARTTLS, 0, "4.7.4",
		    "TLS is required but the server does not offer STARTTLS");
		smtp_client_enter(c, CS_QUIT);
		return;
	}
	if (c->auth_user != NULL && !c->authed) {
		if (!c->tls_active && !c->auth_plaintext_ok) {
			smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_AUTH, 0, "4.7.0",
			    "refusing to send credentials over an unencrypted connection");
			smtp_client_enter(c, CS_QUIT);
			return;
		}
		if (!c->caps.auth_plain && !c->caps.auth_login) {
			smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_AUTH, 0, "4.7.4",
			    "the server offers neither AUTH PLAIN nor AUTH LOGIN");
			smtp_client_enter(c, CS_QUIT);
			return;
		}
		smtp_client_enter(c, CS_AUTH);
		return;
	}
	client_start_txn(c);
}

/* Checks the message against what the server announced, then MAIL (or
 * the MAIL/RCPT/DATA group). */
static void
client_start_txn(struct smtp_client *c)
{
	memset(&c->txn, 0, sizeof(c->txn));
	c->txn.bol = true;
	/* RFC 1870: the size is only declared (and so only measured) when
	 * the server announced SIZE. */
	if (c->caps.size && smtp_client_measure(c) != 0) {
		smtp_client_enter(c, CS_QUIT);
		return;
	}
	if (c->caps.size && c->caps.size_max > 0 && c->txn.size > c->caps.size_max) {
		smtp_client_fail(c, SMTP_CLIENT_PERMFAIL, SMTP_STEP_MAIL, 0, "5.3.4",
		    "message of %llu bytes exceeds the server's SIZE limit of %llu",
		    c->txn.size, c->caps.size_max);
		smtp_client_enter(c, CS_QUIT);
		return;
	}
	if (c->body_8bit && !c->caps.eightbit) {
		smtp_client_fail(c, SMTP_CLIENT_PERMFAIL, SMTP_STEP_MAIL, 0, "5.6.3",
		    "8-bit message and the server does not offer 8BITMIME");
		smtp_client_enter(c, CS_QUIT);
		return;
	}
	smtp_client_enter(c, c->caps.pipelining ? CS_PIPE : CS_MAIL);
}

static int
client_mail_cmd(struct smtp_client *c, char *out, size_t size)
{
	char envid[SMTP_ENVID_MAX + 1];
	int n;

	n = snprintf(out, size, "MAIL FROM:<%s>", c->mail_from);
	if (c->caps.size)
		n += snprintf(out + n, size - n, " SIZE=%llu", c->txn.size);
	if (c->body_8bit && c->caps.eightbit)
		n += snprintf(out + n, size - n, " BODY=8BITMIME");
	if (c->caps.dsn && (c->envid || c->ret_hdrs)) {
		c->res.dsn_sent = true;
		n += snprintf(out + n, size - n, " RET=%s", c->ret_hdrs ? "HDRS" : "FULL");
		if (c->envid && smtp_xtext_encode(c->envid, strlen(c->envid),
		    envid, sizeof(envid)) > 0)
			n += snprintf(out + n, size - n, " ENVID=%s", envid);
	}
	return n < (int)size ? 0 : -1;
}

static int
client_rcpt_cmd(struct smtp_client *c, char *out, size_t size)
{
	char orcpt[SMTP_ORCPT_MAX + 1], notify[SMTP_NOTIFY_TEXT_MAX];
	int n;

	n = snprintf(out, size, "RCPT TO:<%s>", c->rcpt);
	if (c->caps.dsn && (c->notify != 0 || c->envid)) {
		c->res.dsn_sent = true;
		if (c->notify != 0)
			n += snprintf(out + n, size - n, " NOTIFY=%s",
			    smtp_notify_format(c->notify, notify, sizeof(notify)));
		if (smtp_xtext_encode(c->orcpt, strlen(c->orcpt), orcpt,
		    sizeof(orcpt) - 7) > 0)     /* room for "rfc822;" */
			n += snprintf(out + n, size - n, " ORCPT=rfc822;%s", orcpt);
	}
	return n < (int)size ? 0 : -1;
}

static void
enter_mail(struct smtp_client *c)
{
	char cmd[CLIENT_CMD_MAX];

	client_mail_cmd(c, cmd, sizeof(cmd));
	smtp_client_send(c, "%s", cmd);
}

static void
reply_mail(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2)
		smtp_client_enter(c, CS_RCPT);
	else
		smtp_client_fail_reply(c, SMTP_STEP_MAIL, r, false);
}

static void
enter_rcpt(struct smtp_client *c)
{
	char cmd[CLIENT_CMD_MAX];

	client_rcpt_cmd(c, cmd, sizeof(cmd));
	smtp_client_send(c, "%s", cmd);
}

static void
reply_rcpt(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2)
		smtp_client_enter(c, CS_DATA);
	else
		smtp_client_fail_reply(c, SMTP_STEP_RCPT, r, false);
}

static void
enter_data(struct smtp_client *c)
{
	smtp_client_send(c, "DATA");
}

static void
reply_data(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code == 354)
		smtp_client_enter(c, CS_BODY);
	else
		smtp_client_fail_reply(c, SMTP_STEP_DATA, r, false);
}

/* RFC 2920 3.1: MAIL, RCPT and DATA in one write; DATA is last. */
static void
enter_pipe(struct smtp_client *c)
{
	char mail[CLIENT_CMD_MAX], rcpt[CLIENT_CMD_MAX];
	struct evbuffer *group = evbuffer_new();

	client_mail_cmd(c, mail, sizeof(mail));
	client_rcpt_cmd(c, rcpt, sizeof(rcpt));
	if (group == NULL) {
		smtp_client_fail(c, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_MAIL, 0, "4.3.0",
		    "out of memory");
		smtp_client_finish(c);
		return;
	}
	evbuffer_add_printf(group, "%s\r\n%s\r\nDATA\r\n", mail, rcpt);
	bufferevent_write_buffer(c->bev, group);
	evbuffer_free(group);
	c->res.pipelined = true;
}

static void
reply_pipe(struct smtp_client *c, const struct client_reply *r)
{
	struct client_txn *x = &c->txn;
	static const enum smtp_client_step steps[CLIENT_PIPE_REPLIES] = {
		SMTP_STEP_MAIL, SMTP_STEP_RCPT, SMTP_STEP_DATA,
	};
	unsigned i;

	x->pipe[x->pipe_got++] = *r;
	if (x->pipe_got < CLIENT_PIPE_REPLIES)
		return;
	for (i = 0; i < CLIENT_PIPE_REPLIES - 1; i++) {
		if (x->pipe[i].code / 100 != 2)
			break;
	}
	if (i == CLIENT_PIPE_REPLIES - 1 && x->pipe[i].code == 354) {
		smtp_client_enter(c, CS_BODY);
		return;
	}
	if (i == CLIENT_PIPE_REPLIES - 1) {             /* DATA refused */
		smtp_client_fail_reply(c, SMTP_STEP_DATA, &x->pipe[i], false);
		return;
	}
	if (x->pipe[CLIENT_PIPE_REPLIES - 1].code == 354) {
		/* RFC 2920 3.1: DATA accepted although MAIL or RCPT failed;
		 * end it with an empty message. */
		client_record_reply(c, steps[i], &x->pipe[i], false);
		smtp_client_enter(c, CS_ABORT_DOT);
		return;
	}
	smtp_client_fail_reply(c, steps[i], &x->pipe[i], false);
}

static void
reply_body(struct smtp_client *c, const struct client_reply *r)
{
	/* A reply before the final dot: the server gave up on the data. */
	client_record_reply(c, SMTP_STEP_DOT, r, false);
	smtp_client_finish(c);
}

static void
reply_dot(struct smtp_client *c, const struct client_reply *r)
{
	if (r->code / 100 == 2) {
		smtp_client_fail(c, SMTP_CLIENT_SENT, SMTP_STEP_DOT, r->code,
		    r->dsn[0] ? r->dsn : "2.0.0", "%s", r->text);
		smtp_client_enter(c, CS_QUIT);
	} else {
		smtp_client_fail_reply(c, SMTP_STEP_DOT, r, false);
	}
}

static void
enter_abort_dot(struct smtp_client *c)
{
	smtp_client_send(c, ".");
}

static void
reply_abort_dot(struct smtp_client *c, const struct client_reply *r)
{
	(void)r;
	smtp_client_enter(c, CS_QUIT);
}

/* The outcome is known before QUIT: in clear, the session ends once QUIT
 * is written to the socket, without waiting for the 221 (Postfix's
 * smtp_skip_quit_response), so a finished delivery does not hold a slot
 * for another round trip. Over TLS "written" only means handed to the
 * filter, so there the 221 (or the close) is awaited. */
static void
enter_quit(struct smtp_client *c)
{
	smtp_client_send(c, "QUIT");
}

static void
reply_quit(struct smtp_client *c, const struct client_reply *r)
{
	(void)r;
	smtp_client_finish(c);
}
