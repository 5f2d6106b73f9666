/*
 * gateway/ctl/server: the control socket on the mail thread's loop. One
 * session per connection: read one request line (bounded, timed), answer
 * it through the core's handler, write the answer, close. It owns the
 * socket file: made at start (mode 0660), removed at the end. It does not
 * know what the commands mean.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <json-c/json.h>

#include "gateway/ctl/ctl.h"
#include "util/ctlwire.h"
#include "util/log.h"

#define CTL_SOCKET_MODE 0660
#define CTL_BACKLOG 16

struct ctl_session;

struct ctl {
	struct event_base *base;                /* borrowed */
	struct evconnlistener *listener;        /* owned (closes the fd) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler_fn *fn;
	void *arg;
	struct ctl_session *sessions;           /* owned: a list */
	unsigned nsessions;
};

/* One connection, from accept to the answer written. Owned by the ctl. */
struct ctl_session {
	struct ctl *c;                          /* borrowed */
	struct bufferevent *bev;                /* owned (closes the fd) */
	struct ctl_peer peer;
	int answered;                           /* the answer is queued */
	int eof;                                /* the client closed its half */
	struct ctl_session *next, **prevp;
};

static int ctl_clear_stale(const char *path, char *err, size_t errlen);
static void ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg);
static void ctl_read_cb(struct bufferevent *bev, void *arg);
static void ctl_write_cb(struct bufferevent *bev, void *arg);
static void ctl_event_cb(struct bufferevent *bev, short what, void *arg);
static void ctl_answer(struct ctl_session *s, const char *line, size_t len);
static void ctl_send(struct ctl_session *s, struct json_object *result, const char *err);
static void ctl_session_free(struct ctl_session *s);
static void ctl_log(const struct ctl_session *s, const struct ctlwire_request *r,
    const char *err);

/* A socket left by a gateway that is gone (kill -9, power loss) is
 * removed; one that answers belongs to a running process. */
static int
ctl_clear_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;
	struct sockaddr_un sa;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (snprintf(err, errlen, "control socket %s: %s",
		    path, strerror(errno)), -1);
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
		return -1;
	}
	if (ctlwire_addr(path, &sa, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0) {
		snprintf(err, errlen, "control socket %s: in use by a running process", path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: cannot remove the old one: %s", path,
		    strerror(errno));
		return -1;
	}
	log_info("ctl event=stale-socket path=%s result=removed", path);
	return 0;
}

struct ctl *
ctl_new(struct event_base *base, const char *path, ctl_handler_fn *fn, void *arg,
    char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct ctl *c;
	int fd;

	if (ctlwire_addr(path, &sa, err, errlen) == -1 || ctl_clear_stale(path, err, errlen) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "control socket: out of memory");
		return NULL;
	}
	c->base = base;
	c->fn = fn;
	c->arg = arg;
	memcpy(c->path, sa.sun_path, sizeof(c->path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		free(c);
		return NULL;
	}
	/* Nobody can connect before listen(): the mode is set in between. */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    chmod(path, CTL_SOCKET_MODE) == -1 || listen(fd, CTL_BACKLOG) == -1) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		free(c);
		return NULL;
	}
	c->listener = evconnlistener_new(base, ctl_accept_cb, c, LEV_OPT_CLOSE_ON_FREE, 0, fd);
	if (c->listener == NULL) {
		snprintf(err, errlen, "control socket %s: cannot listen on the loop", path);
		close(fd);
		unlink(path);
		free(c);
		return NULL;
	}
	log_info("ctl event=listen path=%s mode=%04o", path, CTL_SOCKET_MODE);
	return c;
}

const char *ctl_path(const struct ctl *c) { return c->path; }

void
ctl_free(struct ctl *c)
{
	if (c == NULL)
		return;
	while (c->sessions != NULL)
		ctl_session_free(c->sessions);
	evconnlistener_free(c->listener);
	unlink(c->path);
	free(c);
}

static void
ctl_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct ctl *c = arg;
	struct ctl_session *s;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct timeval tv = { CTL_TIMEOUT_S, 0 };

	(void)l, (void)sa, (void)salen;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return;
	}
	s->c = c;
	s->peer.pid = -1;
	s->peer.uid = (uid_t)-1;
	s->peer.gid = (gid_t)-1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
		s->peer.pid = cred.pid;
		s->peer.uid = cred.uid;
		s->peer.gid = cred.gid;
	}
	s->bev = bufferevent_socket_new(c->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		close(fd);
		free(s);
		return;
	}
	s->next = c->sessions;
	if (s->next != NULL)
		s->next->prevp = &s->next;
	s->prevp = &c->sessions;
	c->sessions = s;
	/* At the cap, further clients wait in the listen backlog (and then in
	 * connect()) until a session ends: silent ones end at CTL_TIMEOUT_S. */
	if (++c->nsessions == CTL_SESSIONS_MAX) {
		log_warnx("ctl event=full sessions=%u (more clients wait)", c->nsessions);
		evconnlistener_disable(c->listener);
	}
	bufferevent_setcb(s->bev, ctl_read_cb, ctl_write_cb, ctl_event_cb, s);
	bufferevent_set_timeouts(s->bev, &tv, &tv);
	/* Never buffer more than a request: the rest is refused anyway. */
	bufferevent_setwatermark(s->bev, EV_READ, 0, CTLWIRE_REQUEST_MAX + 1);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
}

static void
ctl_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr eol;
	size_t n;
	char *line;

	if (s->answered) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		if (evbuffer_get_length(in) >= CTLWIRE_REQUEST_MAX) {
			ctl_log(s, NULL, "request too long");
			char err[CTLWIRE_ERR_MAX];

			snprintf(err, sizeof(err), "request longer than %u bytes",
			    CTLWIRE_REQUEST_MAX);
			ctl_send(s, NULL, err);
		}
		return;
	}
	n = (size_t)eol.pos + 1;
	if ((line = malloc(n)) == NULL) {
		ctl_session_free(s);
		return;
	}
	evbuffer_remove(in, line, n);
	ctl_answer(s, line, n);
	free(line);
}

/* Parses, asks the handler, answers. */
static void
ctl_answer(struct ctl_session *s, const char *line, size_t len)
{
	struct ctlwire_request *r = malloc(sizeof(*r));
	struct json_object *result = NULL;
	char err[CTLWIRE_ERR_MAX] = "";

	if (r == NULL) {
		ctl_send(s, NULL, "out of memory");
		return;
	}
	if (ctlwire_request_parse(line, len, r, err, sizeof(err)) == 0) {
		result = s->c->fn(s->c->arg, r, &s->peer, err, sizeof(err));
		ctl_log(s, r, result != NULL ? NULL : err);
	} else {
		ctl_log(s, NULL, err);
	}
	ctl_send(s, result, err);
	free(r);
}

static void
ctl_send(struct ctl_session *s, struct json_object *result, const char *err)
{
	size_t len = 0;
	char *out = ctlwire_response_format(result, err, &len);

	s->answered = 1;
	if (out == NULL || bufferevent_write(s->bev, out, len) == -1) {
		free(out);
		ctl_session_free(s);
		return;
	}
	free(out);
}

/*
 * The answer is out: the session ends once the client closed its half.
 * Until then what it still sends is read and dropped: closing a Unix
 * socket with unread input resets the connection, and the client would
 * lose the answer (an overlong request leaves such input).
 */
static void
ctl_write_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_session *s = arg;

	if (!s->answered || evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	if (s->eof) {
		ctl_session_free(s);
		return;
	}
	(void)shutdown(bufferevent_getfd(bev), SHUT_WR);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_enable(bev, EV_READ);
}

static void
ctl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct ctl_session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);
	char *line;

	/* A client may end its request with EOF instead of a LF (socat, nc -U). */
	if ((what & BEV_EVENT_EOF) && !s->answered && n > 0 && n < CTLWIRE_REQUEST_MAX &&
	    (line = malloc(n)) != NULL) {
		evbuffer_remove(in, line, n);
		s->eof = 1;
		bufferevent_disable(bev, EV_READ);
		ctl_answer(s, line, n);
		free(line);
		return;
	}
	/* The client closed its half after the request: the answer still goes. */
	if ((what & BEV_EVENT_EOF) && s->answered &&
	    evbuffer_get_length(bufferevent_get_output(bev)) > 0) {
		s->eof = 1;
		bufferevent_disable(bev, EV_READ);
		return;
	}
	if ((what & BEV_EVENT_TIMEOUT) && !s->answered)
		ctl_log(s, NULL, "client silent");
	ctl_session_free(s);
}

static void
ctl_session_free(struct ctl_session *s)
{
	*s->prevp = s->next;
	if (s->next != NULL)
		s->next->prevp = s->prevp;
	if (s->c->nsessions-- == CTL_SESSIONS_MAX && s->c->listener != NULL)
		evconnlistener_enable(s->c->listener);
	bufferevent_free(s->bev);
	free(s);
}

static void
ctl_log(const struct ctl_session *s, const struct ctlwire_request *r, const char *err)
{
	char args[LOG_ESC_BUFSZ], ebuf[LOG_ESC_BUFSZ], joined[CTLWIRE_ARGS_MAX * 24];
	size_t off = 0;
	unsigned i;

	joined[0] = '\0';
	for (i = 0; r != NULL && i < r->nargs && off < sizeof(joined); i++)
		off += (size_t)snprintf(joined + off, sizeof(joined) - off, "%s%.20s",
		    i > 0 ? " " : "", r->args[i]);
	if (err == NULL)
		log_info("ctl cmd=%s args=%s uid=%ld pid=%ld result=ok", r->cmd,
		    log_str(args, sizeof(args), joined), (long)(int)s->peer.uid,
		    (long)s->peer.pid);
	else
		log_info("ctl cmd=%s args=%s uid=%ld pid=%ld result=error error=%s",
		    r != NULL ? r->cmd : "-", log_str(args, sizeof(args), joined),
		    (long)(int)s->peer.uid, (long)s->peer.pid,
		    log_str(ebuf, sizeof(ebuf), err));
}
