/*
 * smtp/server_limits: what keeps the listener usable when clients are
 * many, slow or hostile. It decides whether a new connection is admitted
 * (the per-address cap, the session cap, and shedding the idlest session
 * to make room), enforces each session's deadlines (a whole session's
 * lifetime, and a minimum data rate for every command and message), and
 * logs sheds and refusals without flooding the log. Reading, framing and
 * commands are elsewhere (server_io.c, server_cmd.c).
 *
 * Idleness, used to pick whom to shed, is the time since a session's last
 * progress: a command that moved it on (not NOOP, RSET, VRFY, EXPN, HELP or
 * another greeting), a message line, its connection, or its TLS handshake. A session that has sent no command yet may be
 * shed at any age; one that has, only after SMTP_SERVER_SHED_IDLE seconds
 * without progress, or SMTP_SERVER_SHED_IDLE_TXN inside a transaction; a
 * message being committed (its final dot seen) is never shed. Of those,
 * the session of the client holding the most sessions goes first, then
 * one that never spoke, then the idlest. When nothing qualifies the new
 * connection is refused with 421, so a real peak of busy clients is not
 * turned into dropped messages.
 *
 * The rate deadline: from the moment the server waits for a command (or,
 * after 354, for a message), the client has the command timeout (data
 * timeout) plus one second per min_rate octets it sends; a client that
 * dribbles a byte at a time resets no timer and is cut off. The read
 * timeouts of the bufferevent still end a session that sends nothing.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "util/log.h"
#include "smtp/server_int.h"

static struct smtp_session *limits_victim(struct smtp_server *srv, struct smtp_session *s,
    uint64_t now);
static void limits_refuse(struct smtp_session *s, int code, const char *enh,
    const char *text);
static int limits_log_slot(struct smtp_server *srv, const char *addr);
static void limits_summary_cb(evutil_socket_t fd, short what, void *arg);
static void limits_deadline_cb(evutil_socket_t fd, short what, void *arg);
static void limits_arm(struct smtp_session *s, uint64_t at);
static int limits_is_command_phase(enum smtp_phase phase);

void
smtp_server_addr_key(const char *addr, char *key, size_t size)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];

	/* v4-mapped addresses stay whole: they are IPv4 clients */
	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, a) == 1 &&
	    memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) != 0) {
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, buf, sizeof(buf));
		snprintf(key, size, "%s/64", buf);
		return;
	}
	snprintf(key, size, "%s", addr);
}

uint64_t
smtp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- admission ------------------------------------------------------------ */

int
smtp_server_limits_init(struct smtp_server *srv)
{
	srv->ovl.ev = evtimer_new(srv->base, limits_summary_cb, srv);
	srv->clients = calloc(SMTP_SERVER_CLIENT_BUCKETS, sizeof(*srv->clients));
	return srv->ovl.ev == NULL || srv->clients == NULL ? -1 : 0;
}

/* After every session is freed (they uncount themselves). */
void
smtp_server_limits_free(struct smtp_server *srv)
{
	if (srv->ovl.ev != NULL) {
		limits_summary_cb(-1, 0, srv);          /* what is still counted */
		event_free(srv->ovl.ev);
		srv->ovl.ev = NULL;
	}
	free(srv->clients);
	srv->clients = NULL;
}

static size_t
limits_bucket(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h & (SMTP_SERVER_CLIENT_BUCKETS - 1);
}

/* s counts toward its client from now on; -1 without memory. */
static int
limits_count(struct smtp_server *srv, struct smtp_session *s)
{
	struct smtp_client_count **b = &srv->clients[limits_bucket(s->akey)], *n;

	for (n = *b; n != NULL; n = n->next)
		if (strcmp(n->key, s->akey) == 0)
			break;
	if (n == NULL) {
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return -1;
		snprintf(n->key, sizeof(n->key), "%s", s->akey);
		n->next = *b;
		*b = n;
	}
	n->n++;
	s->client = n;
	srv->nlive++;
	return 0;
}

void
smtp_session_uncount(struct smtp_session *s)
{
	struct smtp_client_count **p, *n = s->client;

	if (n == NULL)
		return;
	s->client = NULL;
	s->srv->nlive--;
	if (--n->n > 0)
		return;
	for (p = &s->srv->clients[limits_bucket(n->key)]; *p != NULL; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			break;
		}
	free(n);
}

/*
 * Whether the new session s (already in the list) may stay. Refuses it
 * (421, closing) when its address has max_sessions_per_addr sessions
 * already, or when the listener is full and no session may be shed; sheds
 * the idlest one otherwise. Returns 0 (admitted) or -1 (refused).
 */
int
smtp_server_admit(struct smtp_server *srv, struct smtp_session *s)
{
	const struct smtp_server_options *o = &srv->opt;
	struct smtp_session *v;
	unsigned same, live;
	uint64_t now = s->start_ms;
	char esc[LOG_ESC_BUFSZ];

	if (limits_count(srv, s) == -1) {
		log_warnx("smtp client=%s error=\"out of memory\"", s->addr);
		limits_refuse(s, 421, "4.3.0", "Out of memory, try again later");
		return -1;
	}
	same = s->client->n - 1;
	live = srv->nlive - 1;
	if (o->max_sessions_per_addr && same >= o->max_sessions_per_addr) {
		srv->ovl.refused_addr++;
		if (limits_log_slot(srv, s->addr))
			log_info("smtp client=%s event=refused reason=per-client sessions=%u limit=%u",
			    s->addr, same, o->max_sessions_per_addr);
		limits_refuse(s, 421, "4.7.0", "Too many connections from your address");
		return -1;
	}
	if (live < o->max_sessions)
		return 0;
	if ((v = limits_victim(srv, s, now)) == NULL) {
		srv->ovl.refused_full++;
		if (limits_log_slot(srv, s->addr))
			log_info("smtp client=%s event=refused reason=full sessions=%u", s->addr, live);
		limits_refuse(s, 421, "4.3.2", "Too many connections, try again later");
		return -1;
	}
	srv->ovl.shed++;
	if (limits_log_slot(srv, v->addr))
		log_info("smtp=%llx client=%s event=shed idle=%.1fs phase=%s sessions=%u for=%s",
		    v->id, v->addr, (double)(now - v->last_ms) / 1000.0,
		    smtp_session_phase_name(v->phase), live, log_str(esc, sizeof(esc), s->addr));
	v->shed = 1;
	limits_refuse(v, 421, "4.3.2", "Idle connection closed to make room, try again later");
	return 0;
}

/*
 * The session to shed for s, or NULL (see the top of the file). Among the
 * sessions that may go, the one whose client holds the most sessions goes
 * first (a host with one connection is the last to lose it to a host with
 * twenty), then one that never spoke, then the idlest.
 */
static struct smtp_session *
limits_victim(struct smtp_server *srv, struct smtp_session *s, uint64_t now)
{
	struct smtp_session *v, *best = NULL;
	uint64_t idle, best_idle = 0, min;
	unsigned n, best_n = 0;

	TAILQ_FOREACH(v, &srv->sessions, entry) {
		if (v == s || v->client == NULL || v->phase == SMTP_PH_BODY_WAIT)
			continue;
		idle = now > v->last_ms ? now - v->last_ms : 0;
		min = !v->active ? 0 : v->txn != NULL ? SMTP_SERVER_SHED_IDLE_TXN * 1000ULL :
		    SMTP_SERVER_SHED_IDLE * 1000ULL;
		if (idle < min)
			continue;
		n = v->client->n;
		if (best == NULL || n > best_n ||
		    (n == best_n && !v->active && best->active) ||
		    (n == best_n && v->active == best->active && idle > best_idle)) {
			best = v;
			best_idle = idle;
			best_n = n;
		}
	}
	return best;
}

/* A 421 that the overload log already accounts for, then close. */
static void
limits_refuse(struct smtp_session *s, int code, const char *enh, const char *text)
{
	s->quiet = 1;
	s->verb = "-";
	smtp_session_txn_free(s);
	if (s->phase == SMTP_PH_TLS) {
		/* a handshake that stalled: no reply can go out in clear, and
		 * none through a TLS that never came up; the socket goes now */
		smtp_session_enter_state(s, SMTP_PH_QUIT);
		bufferevent_disable(s->bev, EV_READ | EV_WRITE);
		event_active(s->ev_free, 0, 0);
		return;
	}
	smtp_session_reply(s, code, enh, "%s %s", s->srv->opt.hostname, text);
	smtp_session_close(s);
}

/*
 * Rate-limited logging of sheds and refusals: each address is logged once
 * per SMTP_SERVER_LOG_WINDOW, at most SMTP_SERVER_LOG_BURST addresses; the
 * rest is counted and summed up in one line when the window ends. Returns
 * whether the caller logs its line.
 */
static int
limits_log_slot(struct smtp_server *srv, const char *addr)
{
	struct smtp_overload *ov = &srv->ovl;
	struct timeval tv = { SMTP_SERVER_LOG_WINDOW, 0 };
	unsigned i;

	if (!ov->open) {
		ov->open = 1;
		ov->logged = 0;
		if (ov->ev != NULL)
			event_add(ov->ev, &tv);
	}
	for (i = 0; i < ov->logged; i++)
		if (strcmp(ov->addrs[i], addr) == 0) {
			ov->unlogged++;
			return 0;
		}
	if (ov->logged == SMTP_SERVER_LOG_BURST) {
		ov->unlogged++;
		return 0;
	}
	snprintf(ov->addrs[ov->logged++], sizeof(ov->addrs[0]), "%s", addr);
	return 1;
}

/* The window ends: one summary line when anything went unlogged. */
static void
limits_summary_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_server *srv = arg;
	struct smtp_overload *ov = &srv->ovl;

	(void)fd;
	(void)what;
	if (ov->open && (ov->unlogged > 0 || ov->paused > 0 || ov->silent > 0))
		log_info("smtp event=overload window=%ds shed=%u refused-full=%u "
		    "refused-per-client=%u unlogged=%u silent-closed=%u listener-paused=%u "
		    "sessions=%u", SMTP_SERVER_LOG_WINDOW, ov->shed, ov->refused_full,
		    ov->refused_addr, ov->unlogged, ov->silent, ov->paused, srv->nsessions);
	ov->open = 0;
	ov->logged = 0;
	ov->unlogged = ov->shed = ov->refused_full = ov->refused_addr = 0;
	ov->paused = ov->silent = 0;
}

/* ---- deadlines ------------------------------------------------------------ */

int
smtp_session_limits_init(struct smtp_session *s)
{
	s->ev_deadline = evtimer_new(s->srv->base, limits_deadline_cb, s);
	if (s->ev_deadline == NULL)
		return -1;
	s->start_ms = s->last_ms = smtp_now_ms();
	return 0;
}

void
smtp_session_limits_free(struct smtp_session *s)
{
	if (s->ev_deadline != NULL)
		event_free(s->ev_deadline);
	s->ev_deadline = NULL;
}

static int
limits_is_command_phase(enum smtp_phase phase)
{
	return phase == SMTP_PH_CONNECTED || phase == SMTP_PH_HELO ||
	    phase == SMTP_PH_AUTH_PLAIN || phase == SMTP_PH_AUTH_USER ||
	    phase == SMTP_PH_AUTH_PASS || phase == SMTP_PH_TLS;
}

/*
 * The server now waits for the client: a command (grace = the command
 * timeout), a message after 354 (the data timeout), or a TLS handshake.
 */
void
smtp_session_request(struct smtp_session *s, unsigned grace)
{
	if (s->phase == SMTP_PH_QUIT)
		return;
	s->req_ms = smtp_now_ms();
	s->req_bytes = 0;
	s->req_grace = grace;
	limits_arm(s, s->req_ms + grace * 1000ULL);
}

/* After the lines read in one go (server_io.c): octets count toward the
 * rate, progress (a real command or a message line) resets idleness, and
 * after commands the next request starts. */
void
smtp_session_consumed(struct smtp_session *s, size_t octets, unsigned lines, int progress)
{
	s->req_bytes += octets;
	if (lines == 0)
		return;
	if (progress)
		s->last_ms = smtp_now_ms();
	if (limits_is_command_phase(s->phase) && s->phase != SMTP_PH_TLS)
		smtp_session_request(s, s->srv->opt.cmd_timeout);
}

/* Arms the deadline timer for at, or for the session's end if sooner. */
static void
limits_arm(struct smtp_session *s, uint64_t at)
{
	uint64_t end = s->start_ms + s->srv->opt.session_deadline * 1000ULL, now;
	struct timeval tv;

	if (end < at)
		at = end;
	/* a timer set to fire sooner stays: it finds the later deadline then
	 * and sets itself again (one event_add per session, not per command) */
	if (s->armed_ms != 0 && s->armed_ms <= at)
		return;
	s->armed_ms = at;
	now = smtp_now_ms();
	at = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(at / 1000);
	tv.tv_usec = (suseconds_t)(at % 1000) * 1000 + 1000;   /* not a hair early */
	event_add(s->ev_deadline, &tv);
}

static void
limits_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct smtp_session *s = arg;
	const struct smtp_server_options *o = &s->srv->opt;
	uint64_t now = smtp_now_ms(), allowed;

	(void)fd;
	(void)what;
	s->armed_ms = 0;
	if (s->phase == SMTP_PH_QUIT)
		return;
	if (now >= s->start_ms + o->session_deadline * 1000ULL) {
		if (s->phase == SMTP_PH_BODY_WAIT) {
			s->expire = 1;  /* the commit ends first: smtp_server_reply_data() */
			return;
		}
		smtp_session_expire(s);
		return;
	}
	if (s->phase == SMTP_PH_BODY_WAIT) {
		limits_arm(s, UINT64_MAX);
		return;
	}
	allowed = s->req_ms + s->req_grace * 1000ULL + s->req_bytes * 1000ULL / o->min_rate;
	if (now < allowed) {
		limits_arm(s, allowed);
		return;
	}
	log_info("smtp=%llx client=%s event=timeout reason=too-slow phase=%s octets=%zu secs=%.0f "
	    "minimum-rate=%u", s->id, s->addr, smtp_session_phase_name(s->phase), s->req_bytes,
	    (double)(now - s->req_ms) / 1000.0, o->min_rate);
	if (s->txn != NULL && s->txn->sink_open)
		log_info("smtp=%llx client=%s event=lost phase=%s", s->id, s->addr,
		    smtp_session_phase_name(s->phase));
	s->verb = "-";
	smtp_session_reply(s, 421, "4.4.2", "%s Too slow, closing connection", o->hostname);
	smtp_session_txn_free(s);
	smtp_session_close(s);
}

/* The session deadline has passed (and no commit is running): 421, close. */
void
smtp_session_expire(struct smtp_session *s)
{
	const struct smtp_server_options *o = &s->srv->opt;

	log_info("smtp=%llx client=%s event=timeout reason=session-deadline phase=%s "
	    "secs=%u", s->id, s->addr, smtp_session_phase_name(s->phase), o->session_deadline);
	if (s->txn != NULL && s->txn->sink_open)
		log_info("smtp=%llx client=%s event=lost phase=%s", s->id, s->addr,
		    smtp_session_phase_name(s->phase));
	s->verb = "-";
	smtp_session_reply(s, 421, "4.4.2", "%s Session time limit reached, closing connection",
	    o->hostname);
	smtp_session_txn_free(s);
	smtp_session_close(s);
}
