/*
 * smtp/server: the ESMTP listener's sessions. This file owns the listener,
 * the session life cycle (accept, greeting, timeouts, close-after-flush,
 * deferred free), the one reply function, the session's events and
 * STARTTLS. What a session does with the lines it reads (framing, the
 * command loop, DATA) is in server_io.c; who is admitted at the session
 * caps and how long a session may take, in server_limits.c; commands are
 * dispatched through the table in server_cmd.c. Nothing here decides what
 * mail is acceptable: that is asked of the owner (smtp.h callbacks).
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "util/log.h"
#include "smtp/server_int.h"

static const char *const phase_names[] = {
	"new", "connected", "tls", "helo", "auth-plain", "auth-user",
	"auth-pass", "body", "body-wait", "quit",
};

const char *
smtp_session_phase_name(enum smtp_phase phase)
{
	return phase_names[phase];
}

static void server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void server_pause(struct smtp_server *srv, int pause);
static struct smtp_session *server_find(struct smtp_server *srv, unsigned long long id);
static void session_setcb(struct smtp_session *s);
static void session_read_cb(struct bufferevent *bev, void *arg);
static void session_write_cb(struct bufferevent *bev, void *arg);
static void session_event_cb(struct bufferevent *bev, short what, void *arg);
static void session_tls_ready(struct smtp_session *s);
static void session_free_cb(evutil_socket_t fd, short what, void *arg);
static void session_free(struct smtp_session *s);

/* ---- server object ---------------------------------------------------- */

struct smtp_server *
smtp_server_new(struct event_base *base, const struct smtp_server_options *opt,
    const struct smtp_server_callbacks *cb, void *arg)
{
	struct smtp_server *srv;

	if (opt->hostname == NULL || *opt->hostname == '\0' || cb->mail == NULL ||
	    cb->rcpt == NULL || cb->data_start == NULL || cb->data_chunk == NULL ||
	    cb->data_end == NULL || cb->data_abort == NULL)
		return NULL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return NULL;
	srv->base = base;
	srv->opt = *opt;
	srv->cb = *cb;
	srv->cbarg = arg;
	if ((srv->opt.hostname = strdup(opt->hostname)) == NULL) {
		free(srv);
		return NULL;
	}
	if (srv->opt.max_recipients < SMTP_SERVER_RCPT_MIN)
		srv->opt.max_recipients = SMTP_SERVER_RCPT_MIN;
	smtp_server_set_limits(srv, opt);
	if (srv->opt.max_errors == 0)
		srv->opt.max_errors = SMTP_SERVER_ERRORS_DEFAULT;
	if (srv->opt.max_received == 0)
		srv->opt.max_received = SMTP_SERVER_RECEIVED_DEFAULT;
	if (srv->opt.cmd_timeout == 0)
		srv->opt.cmd_timeout = SMTP_SERVER_CMD_TIMEOUT;
	if (srv->opt.data_timeout == 0)
		srv->opt.data_timeout = SMTP_SERVER_DATA_TIMEOUT;
	if (srv->opt.cmdline_max == 0)
		srv->opt.cmdline_max = SMTP_SERVER_CMDLINE_DEFAULT;
	if (srv->opt.cmdline_max < SMTP_SERVER_CMDLINE_MIN)
		srv->opt.cmdline_max = SMTP_SERVER_CMDLINE_MIN;
	if (srv->opt.cmdline_max > SMTP_SERVER_CMDLINE_DEFAULT)
		srv->opt.cmdline_max = SMTP_SERVER_CMDLINE_DEFAULT;  /* txn->mailbuf size */
	srv->next_id = ((unsigned long long)time(NULL) & 0xffffffffULL) << 20;
	TAILQ_INIT(&srv->sessions);
	TAILQ_INIT(&srv->listeners);
	if (smtp_server_limits_init(srv) == -1) {
		free((char *)srv->opt.hostname);
		free(srv);
		return NULL;
	}
	return srv;
}

void
smtp_server_free(struct smtp_server *srv)
{
	struct smtp_listener *l;
	struct smtp_session *s;

	if (srv == NULL)
		return;
	while ((l = TAILQ_FIRST(&srv->listeners)) != NULL) {
		TAILQ_REMOVE(&srv->listeners, l, entry);
		evconnlistener_free(l->lev);
		free(l);
	}
	while ((s = TAILQ_FIRST(&srv->sessions)) != NULL)
		session_free(s);
	smtp_server_limits_free(srv);
	free((char *)srv->opt.hostname);
	free(srv);
}

int
smtp_server_listen(struct smtp_server *srv, const char *addr, const char *port)
{
	struct addrinfo hints, *res = NULL;
	struct smtp_listener *l;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(addr, port, &hints, &res)) != 0) {
		log_warnx("smtp listen=%s:%s error=\"%s\"", addr, port, gai_strerror(rc));
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		freeaddrinfo(res);
		return -1;
	}
	l->lev = evconnlistener_new_bind(srv->base, server_accept_cb, srv,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    SMTP_SERVER_BACKLOG,
	    res->ai_addr, (int)res->ai_addrlen);
	freeaddrinfo(res);
	if (l->lev == NULL) {
		log_warn("smtp listen=%s:%s", addr, port);
		free(l);
		return -1;
	}
	if (srv->paused)
		evconnlistener_disable(l->lev);
	TAILQ_INSERT_TAIL(&srv->listeners, l, entry);
	return 0;
}

void
smtp_server_shutdown(struct smtp_server *srv)
{
	struct smtp_listener *l;
	struct smtp_session *s, *next;

	srv->stopping = 1;
	while ((l = TAILQ_FIRST(&srv->listeners)) != NULL) {
		TAILQ_REMOVE(&srv->listeners, l, entry);
		evconnlistener_free(l->lev);
		free(l);
	}
	for (s = TAILQ_FIRST(&srv->sessions); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		smtp_session_shutdown_check(s);
	}
}

/* During shutdown, closes a session that is between transactions. */
int
smtp_session_shutdown_check(struct smtp_session *s)
{
	if (!s->srv->stopping || s->txn != NULL || s->phase == SMTP_PH_QUIT ||
	    s->phase == SMTP_PH_TLS || s->phase == SMTP_PH_NEW)
		return 0;
	s->verb = "-";
	smtp_session_reply(s, 421, "4.3.2", "%s Service shutting down, try again later",
	    s->srv->opt.hostname);
	smtp_session_close(s);
	return 1;
}

void
smtp_server_set_limits(struct smtp_server *srv, const struct smtp_server_options *opt)
{
	srv->opt.max_sessions = opt->max_sessions ? opt->max_sessions :
	    SMTP_SERVER_SESSIONS_DEFAULT;
	srv->opt.max_sessions_per_addr = opt->max_sessions_per_addr;
	srv->opt.session_deadline = opt->session_deadline ? opt->session_deadline :
	    SMTP_SERVER_DEADLINE_DEFAULT;
	srv->opt.min_rate = opt->min_rate ? opt->min_rate : SMTP_SERVER_MIN_RATE_DEFAULT;
	srv->opt.bare_newline = opt->bare_newline;
}

unsigned
smtp_server_sessions(const struct smtp_server *srv)
{
	return srv->nsessions;
}

const struct smtp_server_options *
smtp_server_opts(const struct smtp_server *srv)
{
	return &srv->opt;
}

const struct smtp_server_callbacks *
smtp_server_cbs(const struct smtp_server *srv)
{
	return &srv->cb;
}

void *
smtp_server_cbarg(const struct smtp_server *srv)
{
	return srv->cbarg;
}

static void
server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct smtp_server *srv = arg;
	struct bufferevent *bev;
	char host[NI_MAXHOST];
	int one = 1;

	(void)lev;
	/* Replies are already batched (one write per drained input, RFC 2920),
	 * so Nagle would only hold the last of them back for a delayed ACK. */
	if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getnameinfo(sa, (socklen_t)salen, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(host, sizeof(host), "unknown");
	bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		log_warnx("smtp client=%s error=\"out of memory\"", host);
		evutil_closesocket(fd);
		return;
	}
	smtp_server_attach(srv, bev, host);
}

/* Pause the listeners at the session cap (the kernel queues what comes
 * meanwhile), resume below it. */
static void
server_pause(struct smtp_server *srv, int pause)
{
	struct smtp_listener *l;

	if (srv->paused == pause)
		return;
	srv->paused = pause;
	TAILQ_FOREACH(l, &srv->listeners, entry) {
		if (pause)
			evconnlistener_disable(l->lev);
		else
			evconnlistener_enable(l->lev);
	}
	/* during a flood this flips with every batch of accepts: counted in
	 * the overload summary instead of a line each time */
	if (pause)
		srv->ovl.paused++;
	log_debug("smtp listener=%s sessions=%u", pause ? "paused" : "resumed", srv->nsessions);
}

static struct smtp_session *
server_find(struct smtp_server *srv, unsigned long long id)
{
	struct smtp_session *s;

	TAILQ_FOREACH(s, &srv->sessions, entry)
		if (s->id == id)
			return s;
	return NULL;
}

unsigned long long
smtp_server_attach(struct smtp_server *srv, struct bufferevent *bev, const char *addr)
{
	struct smtp_server_reply reply;
	struct smtp_server_client c;
	struct smtp_session *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->line = malloc(srv->opt.cmdline_max + 1)) == NULL ||
	    (s->ev_free = event_new(srv->base, -1, 0, session_free_cb, s)) == NULL ||
	    (s->srv = srv, smtp_session_limits_init(s)) == -1) {
		/* no memory refuses this connection only, never the daemon */
		log_warnx("smtp client=%s error=\"out of memory\"", addr);
		if (s != NULL) {
			if (s->ev_free != NULL)
				event_free(s->ev_free);
			free(s->line);
		}
		free(s);
		bufferevent_free(bev);
		return 0;
	}
	s->id = ++srv->next_id;
	s->bev = bev;
	s->line_crlf = 1;
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	smtp_server_addr_key(s->addr, s->akey, sizeof(s->akey));
	TAILQ_INSERT_TAIL(&srv->sessions, s, entry);
	srv->nsessions++;
	/* beyond the cap only while sessions are being refused or shed */
	if (srv->nsessions >= srv->opt.max_sessions + SMTP_SERVER_OVERFLOW(srv->opt.max_sessions))
		server_pause(srv, 1);
	session_setcb(s);
	smtp_session_timeouts(s, srv->opt.cmd_timeout);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	smtp_session_request(s, srv->opt.cmd_timeout);
	if (smtp_server_admit(srv, s) == -1)
		return s->id;           /* 421 sent, closing */
	memset(&reply, 0, sizeof(reply));
	if (srv->cb.connect != NULL) {
		smtp_session_client(s, &c);
		srv->cb.connect(srv->cbarg, &c, &s->udata, &reply);
		s->announced = 1;
	}
	if (reply.code >= 400) {
		smtp_session_reply_owner(s, &reply, 554, "5.7.1", "Access denied");
		smtp_session_close(s);
		return s->id;
	}
	/* RFC 2034: the greeting carries no enhanced status code */
	evbuffer_add_printf(bufferevent_get_output(s->bev), "220 %s ESMTP t37gw\r\n",
	    srv->opt.hostname);
	smtp_session_enter_state(s, SMTP_PH_CONNECTED);
	return s->id;
}

int
smtp_server_reply_data(struct smtp_server *srv, unsigned long long id,
    const struct smtp_server_reply *reply)
{
	struct smtp_session *s = server_find(srv, id);

	if (s == NULL || s->phase != SMTP_PH_BODY_WAIT)
		return -1;
	s->verb = "DATA";
	smtp_session_reply_owner(s, reply, 250, "2.0.0", "Ok");
	smtp_session_txn_free(s);
	smtp_session_enter_state(s, SMTP_PH_HELO);
	smtp_session_timeouts(s, srv->opt.cmd_timeout);
	if (s->expire) {
		smtp_session_expire(s);         /* its deadline passed meanwhile */
		return 0;
	}
	smtp_session_request(s, srv->opt.cmd_timeout);
	if (!s->in_process)
		smtp_session_process(s);     /* pipelined input waiting behind the dot */
	return 0;
}

/* ---- session helpers -------------------------------------------------- */

void
smtp_session_enter_state(struct smtp_session *s, enum smtp_phase phase)
{
	if (s->phase == phase)
		return;
	log_debug("smtp=%llx state %s -> %s", s->id, phase_names[s->phase], phase_names[phase]);
	s->phase = phase;
	if (phase == SMTP_PH_QUIT)
		smtp_session_uncount(s);        /* a closing session is no client's any more */
}

void
smtp_session_client(struct smtp_session *s, struct smtp_server_client *c)
{
	c->id = s->id;
	c->addr = s->addr;
	c->helo = s->helo;
	c->esmtp = s->esmtp;
	c->tls = s->tls;
	c->auth_user = s->auth_user;
	c->shed = s->shed;
	c->quiet = s->shed || (!s->active && s->srv->ovl.open);
}

/*
 * The one reply function: "code enh text" on one line,
 * every 4xx/5xx logged with the session id and the command it answers.
 */
void
smtp_session_reply(struct smtp_session *s, int code, const char *enh, const char *fmt, ...)
{
	char text[SMTP_SERVER_TEXT_MAX], esc[LOG_ESC_BUFSZ];
	va_list ap;
	size_t i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; text[i]; i++)               /* owner text must not break framing */
		if (text[i] == '\r' || text[i] == '\n')
			text[i] = ' ';
	if (enh != NULL && *enh)
		evbuffer_add_printf(bufferevent_get_output(s->bev), "%d %s %s\r\n", code, enh, text);
	else
		evbuffer_add_printf(bufferevent_get_output(s->bev), "%d %s\r\n", code, text);
	if (code >= 400 && s->quiet)
		log_debug("smtp=%llx client=%s cmd=%s reply=%d enh=%s text=%s", s->id, s->addr,
		    s->verb ? s->verb : "-", code, enh && *enh ? enh : "-",
		    log_esc(esc, sizeof(esc), text, strlen(text)));
	else if (code >= 400)
		log_info("smtp=%llx client=%s cmd=%s reply=%d enh=%s text=%s", s->id, s->addr,
		    s->verb ? s->verb : "-", code, enh && *enh ? enh : "-",
		    log_esc(esc, sizeof(esc), text, strlen(text)));
}

/* Multi-line replies (EHLO, HELP) already formatted by the caller. */
void
smtp_session_reply_raw(struct smtp_session *s, const char *text)
{
	evbuffer_add(bufferevent_get_output(s->bev), text, strlen(text));
}

/* The owner's reply when it set one (code != 0), else the default. */
void
smtp_session_reply_owner(struct smtp_session *s, const struct smtp_server_reply *r,
    int code, const char *enh, const char *text)
{
	const char *e;

	if (r == NULL || r->code == 0) {
		smtp_session_reply(s, code, enh, "%s", text);
		return;
	}
	/* RFC 2034: the enhanced code's class matches the reply's */
	e = r->enh[0] == (char)('0' + r->code / 100) ? r->enh :
	    r->code >= 500 ? "5.0.0" : r->code >= 400 ? "4.0.0" : "2.0.0";
	smtp_session_reply(s, r->code, e, "%s", r->text);
}

/* Count a protocol error; 421 and close at the budget, so a client that
 * only sends garbage cannot keep a session slot. */
void
smtp_session_error(struct smtp_session *s)
{
	if (++s->errors < s->srv->opt.max_errors)
		return;
	smtp_session_reply(s, 421, "4.7.0", "%s Too many errors, closing connection",
	    s->srv->opt.hostname);
	smtp_session_close(s);
}

/* Close-after-flush: stop reading, free once drained (never from inside
 * the session's own callback). */
void
smtp_session_close(struct smtp_session *s)
{
	if (s->phase == SMTP_PH_QUIT)
		return;
	smtp_session_enter_state(s, SMTP_PH_QUIT);
	bufferevent_disable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0) {
		event_active(s->ev_free, 0, 0);
		return;
	}
	/* session_write_cb() fires when the output is drained; a client that
	 * reads nothing more holds the socket only this long */
	bufferevent_set_timeouts(s->bev, NULL, &(struct timeval){ SMTP_SESSION_CLOSE_SECS, 0 });
}

void
smtp_session_txn_free(struct smtp_session *s)
{
	struct smtp_txn *t = s->txn;

	if (t == NULL)
		return;
	if (t->sink_open)
		s->srv->cb.data_abort(s->srv->cbarg, s->udata);
	free(t->chunk);
	free(t);
	s->txn = NULL;
}

void
smtp_session_timeouts(struct smtp_session *s, unsigned secs)
{
	struct timeval tv = { (time_t)secs, 0 };

	bufferevent_set_timeouts(s->bev, &tv, &tv);
}

static void
session_setcb(struct smtp_session *s)
{
	bufferevent_setcb(s->bev, session_read_cb, session_write_cb, session_event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, SMTP_SESSION_RBUF_HIGH);
}

static void
session_free_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;
	struct bufferevent *under = bufferevent_get_underlying(s->bev);
	struct timeval tv = { 0, SMTP_SESSION_LINGER_USEC };

	(void)fd;
	(void)what;
	/*
	 * Under a TLS filter, "output drained" means handed to the socket
	 * bufferevent below, which may still hold the last records (the 221):
	 * let them go out first, for a bounded time.
	 */
	if (under != NULL && evbuffer_get_length(bufferevent_get_output(under)) > 0 &&
	    s->linger++ < SMTP_SESSION_LINGER_MAX) {
		event_add(s->ev_free, &tv);
		return;
	}
	session_free(s);
}

static void
session_free(struct smtp_session *s)
{
	struct smtp_server *srv = s->srv;
	struct smtp_server_client c;

	smtp_session_txn_free(s);
	smtp_session_client(s, &c);
	if (c.quiet && !c.shed && s->announced)
		srv->ovl.silent++;
	if (srv->cb.end != NULL && s->announced)
		srv->cb.end(srv->cbarg, s->udata, &c);
	smtp_session_uncount(s);
	TAILQ_REMOVE(&srv->sessions, s, entry);
	srv->nsessions--;
	if (srv->nsessions < srv->opt.max_sessions + SMTP_SERVER_OVERFLOW(srv->opt.max_sessions))
		server_pause(srv, 0);
	smtp_session_limits_free(s);
	/* tells a bufferevent_pair partner about the end, like a socket close */
	bufferevent_flush(s->bev, EV_WRITE, BEV_FINISHED);
	bufferevent_free(s->bev);
	event_free(s->ev_free);
	free(s->auth_user);
	free(s->line);
	free(s);
}

/* ---- events: one entry point per kind ---------------------------------- */

static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;

	(void)bev;
	session_tls_ready(s);
	smtp_session_process(s);
}

static void
session_write_cb(struct bufferevent *bev, void *arg)
{
	struct smtp_session *s = arg;

	(void)bev;
	if (s->phase == SMTP_PH_QUIT)
		event_active(s->ev_free, 0, 0);
}

/*
 * Once the TLS handshake has completed, the session starts over (RFC 3207
 * 4.2). This is checked on every event of a session in the "tls" phase, not
 * only on the filter's CONNECTED event: the filter decrypts what came with
 * the client's last handshake flight (GnuTLS sends EHLO right behind its
 * Finished, and may close right behind the last command) and hands it to
 * the read callback, or reports the close, before CONNECTED.
 */
static void
session_tls_ready(struct smtp_session *s)
{
	if (s->phase != SMTP_PH_TLS ||
	    !SSL_is_init_finished(bufferevent_openssl_get_ssl(s->bev)))
		return;
	s->tls = 1;
	s->line_crlf = 1;
	s->esmtp = 0;
	s->helo[0] = '\0';
	smtp_session_txn_free(s);
	smtp_session_enter_state(s, SMTP_PH_CONNECTED);
	smtp_session_timeouts(s, s->srv->opt.cmd_timeout);
	s->last_ms = smtp_now_ms();
	smtp_session_request(s, s->srv->opt.cmd_timeout);
	log_debug("smtp=%llx tls=%s", s->id,
	    SSL_get_version(bufferevent_openssl_get_ssl(s->bev)));
}

static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smtp_session *s = arg;

	(void)bev;
	session_tls_ready(s);
	if (what & BEV_EVENT_CONNECTED) {
		/* input that arrived with the handshake is answered now, or
		 * nothing happens until the client sends more */
		if (!s->in_process)
			smtp_session_process(s);
		return;
	}
	if (s->phase == SMTP_PH_QUIT) {
		event_active(s->ev_free, 0, 0);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		log_info("smtp=%llx client=%s event=timeout phase=%s", s->id, s->addr,
		    phase_names[s->phase]);
		s->verb = "-";
		smtp_session_reply(s, 421, "4.4.2", "%s Timeout, closing connection",
		    s->srv->opt.hostname);
		smtp_session_close(s);
		return;
	}
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && s->phase != SMTP_PH_TLS &&
	    s->phase != SMTP_PH_NEW) {
		/*
		 * The client closed its side: what it sent before still
		 * counts and may still be answered (a half-close). The TLS
		 * filter reports a close_notify before it hands over the
		 * commands that came in the same read, and pipelined input
		 * may wait behind a message being committed. smtp_session_process()
		 * closes the session once nothing is left to answer.
		 */
		s->peer_eof = 1;
		if (!s->in_process)
			smtp_session_process(s);
		return;
	}
	/* An error, or the end during a handshake: an open transaction is
	 * dropped (data_abort via free) */
	if (s->txn != NULL && s->txn->sink_open)
		log_info("smtp=%llx client=%s event=lost phase=%s", s->id, s->addr,
		    phase_names[s->phase]);
	if (s->phase == SMTP_PH_TLS || (what & BEV_EVENT_ERROR)) {
		unsigned long e;

		while ((e = bufferevent_get_openssl_error(s->bev)) != 0)
			log_info("smtp=%llx client=%s tls-error=\"%s\"", s->id, s->addr,
			    ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?");
	}
	smtp_session_enter_state(s, SMTP_PH_QUIT);
	event_active(s->ev_free, 0, 0);
}

/* ---- STARTTLS (RFC 3207) ---------------------------------------------- */

/*
 * Puts a TLS filter on the session's bufferevent. The 220 already queued
 * goes out in clear first; any plaintext the client pipelined after the
 * STARTTLS line was discarded by the caller (CVE-2011-0411).
 */
int
smtp_session_starttls(struct smtp_session *s)
{
	struct bufferevent *tls;
	SSL *ssl;

	if ((ssl = SSL_new((SSL_CTX *)s->srv->opt.tls)) == NULL)
		return -1;
	tls = bufferevent_openssl_filter_new(s->srv->base, s->bev, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		return -1;
	}
	/* A TCP close without close_notify is an end like any other: the
	 * commands that came before it are answered all the same, and a
	 * message only ever counts at its final dot. */
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	s->bev = tls;
	session_setcb(s);
	smtp_session_timeouts(s, s->srv->opt.cmd_timeout);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	smtp_session_enter_state(s, SMTP_PH_TLS);
	smtp_session_request(s, s->srv->opt.cmd_timeout);     /* the handshake's */
	return 0;
}
