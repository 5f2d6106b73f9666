/*
 * gateway/offramp/spawn: a document worker seen from the daemon's mail
 * loop. Starting one never blocks: the request is written into a fresh
 * pipe before the worker exists (it fits the pipe), the worker is started
 * with posix_spawn (no fork of the threaded daemon), its answer is read
 * from a non-blocking pipe by a loop event, a timer kills its process
 * group at the limit, and once its answer ended it is reaped when its
 * pidfd says it exited (or, without pidfds, by WNOHANG polls). Every way a worker can end - an answer, a crash, the time limit,
 * garbage, an exit without an answer - becomes one result for the
 * callback, with the words the DSN gives and what the log should name.
 *
 * Not here: what is asked and what the answer means (wire.c,
 * run.c), the worker itself (worker.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <glib.h>

#include "gateway/offramp/worker.h"
#include "mime/mime.h"

/* Without a pidfd, how often an exiting worker is polled for once its
 * answer ended: from the first interval, doubling up to the last. */
#define WORKER_REAP_POLL_FIRST_US 500
#define WORKER_REAP_POLL_MAX_US 20000

enum worker_phase {
	WORKER_RUNNING = 0,   /* reading its answer */
	WORKER_REAPING,       /* answer ended (or killed): waiting for the exit */
	WORKER_DONE,          /* reaped; the callback ran */
};

struct offramp_worker {
	struct event_base *base;          /* borrowed */
	char id[32];
	pid_t pid;                        /* also its process group */
	int fd;                           /* its stdout, read end (owned) */
	int pidfd;                        /* readable when it exits (owned), or -1 */
	struct event *read_ev;            /* owned */
	struct event *exit_ev;            /* owned: on pidfd, or NULL */
	struct event *timer;              /* owned: the limit, then reap polls */
	unsigned poll_us;                 /* the next reap poll interval */
	GString *buf;                     /* its answer so far (owned) */
	enum worker_phase phase;
	int killed;                       /* we sent SIGKILL */
	int overflow;                     /* it wrote more than OFFRAMP_WORKER_RES_MAX */
	unsigned timeout;                 /* its limit, s */
	struct timespec start, deadline;  /* CLOCK_MONOTONIC */
	offramp_worker_done_fn *done;
	void *arg;
};

static int worker_spawn(struct offramp_worker *w, const char *exe, int in_fd, int out_fd,
    char *err, size_t errlen);
static void worker_read_cb(evutil_socket_t fd, short what, void *arg);
static void worker_timer_cb(evutil_socket_t fd, short what, void *arg);
static void worker_exit_cb(evutil_socket_t fd, short what, void *arg);
static void worker_kill(struct offramp_worker *w);
static void worker_reap_or_wait(struct offramp_worker *w);
static void worker_finish(struct offramp_worker *w, int status);
static void worker_judge(struct offramp_worker *w, int status, struct offramp_worker_res *res);
static double worker_elapsed(const struct offramp_worker *w);
static int worker_past(const struct timespec *t);

struct offramp_worker *
offramp_worker_start(struct event_base *base, const char *exe, const struct offramp_worker_req *req,
    offramp_worker_done_fn *done, void *arg, char *err, size_t errlen)
{
	struct offramp_worker *w;
	struct timeval tv = { (time_t)req->timeout + OFFRAMP_WORKER_GRACE, 0 };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 };
	size_t len = 0;
	char *text;
	ssize_t n;

	if ((text = offramp_worker_req_encode(req, &len)) == NULL) {
		snprintf(err, errlen, "the request for the document worker is too large");
		return NULL;
	}
	w = g_new0(struct offramp_worker, 1);
	w->base = base;
	g_strlcpy(w->id, req->id, sizeof(w->id));
	w->fd = -1;
	w->pidfd = -1;
	w->pid = -1;
	w->poll_us = WORKER_REAP_POLL_FIRST_US;
	w->timeout = req->timeout;
	w->done = done;
	w->arg = arg;
	w->buf = g_string_new(NULL);
	/* The request fits a pipe's buffer (OFFRAMP_WORKER_REQ_MAX): written
	 * whole before the worker starts, it never blocks the loop, and the
	 * worker cannot have gone away (no SIGPIPE). */
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	n = write(in[1], text, len);
	if (n < 0 || (size_t)n != len) {
		snprintf(err, errlen, "cannot pass the request to the worker: %s",
		    n < 0 ? strerror(errno) : "short write");
		goto fail;
	}
	close(in[1]);
	in[1] = -1;
	if (worker_spawn(w, exe, in[0], out[1], err, errlen) != 0)
		goto fail;
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	w->fd = out[0];
	out[0] = -1;
	g_free(text);
	text = NULL;
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	w->deadline = w->start;
	w->deadline.tv_sec += (time_t)req->timeout + OFFRAMP_WORKER_GRACE;
	/* Its exit, the moment it happens (Linux 5.3); else reaped by polls. */
	if ((w->pidfd = pidfd_open(w->pid, 0)) >= 0 &&
	    ((w->exit_ev = event_new(base, w->pidfd, EV_READ, worker_exit_cb, w)) == NULL ||
	    event_add(w->exit_ev, NULL) != 0)) {
		snprintf(err, errlen, "cannot watch the document worker");
		offramp_worker_free(w);
		return NULL;
	}
	if (evutil_make_socket_nonblocking(w->fd) != 0 ||
	    (w->read_ev = event_new(base, w->fd, EV_READ | EV_PERSIST, worker_read_cb,
	    w)) == NULL ||
	    (w->timer = evtimer_new(base, worker_timer_cb, w)) == NULL ||
	    event_add(w->read_ev, NULL) != 0 || evtimer_add(w->timer, &tv) != 0) {
		snprintf(err, errlen, "cannot watch the document worker");
		offramp_worker_free(w);   /* kills and reaps it */
		return NULL;
	}
	return w;
fail:
	g_free(text);
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	offramp_worker_free(w);
	return NULL;
}

/*
 * posix_spawn: stdin and stdout the pipes, stderr the daemon's (a crash
 * report lands in its log), nothing else open, its own process group,
 * default signal dispositions and an empty mask (the daemon ignores
 * SIGPIPE and its threads block some signals).
 */
static int
worker_spawn(struct offramp_worker *w, const char *exe, int in_fd, int out_fd, char *err,
    size_t errlen)
{
	extern char **environ;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char ppid[24];
	/* argv[0] as ps(1) should show it, whatever the path run. */
	char *argv[] = { (char *)"t37gw", (char *)OFFRAMP_WORKER_ARG, w->id, ppid, NULL };
	int rc;

	snprintf(ppid, sizeof(ppid), "%ld", (long)getpid());
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	offramp_spawn_attr_init(&at, 1);
	rc = posix_spawn(&w->pid, exe, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		w->pid = -1;
		snprintf(err, errlen, "cannot run %s: %s", exe, strerror(rc));
		return -1;
	}
	return 0;
}

void
offramp_spawn_attr_init(posix_spawnattr_t *at, int own_group)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(at);
	posix_spawnattr_setpgroup(at, 0);
	posix_spawnattr_setsigmask(at, &none);
	posix_spawnattr_setsigdefault(at, &all);
	posix_spawnattr_setflags(at, (own_group ? POSIX_SPAWN_SETPGROUP : 0) |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

void
offramp_worker_free(struct offramp_worker *w)
{
	int status;

	if (w == NULL)
		return;
	if (w->pid > 0 && w->phase != WORKER_DONE) {
		worker_kill(w);
		while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (w->read_ev != NULL)
		event_free(w->read_ev);
	if (w->exit_ev != NULL)
		event_free(w->exit_ev);
	if (w->timer != NULL)
		event_free(w->timer);
	if (w->fd >= 0)
		close(w->fd);
	if (w->pidfd >= 0)
		close(w->pidfd);
	g_string_free(w->buf, TRUE);
	g_free(w);
}

long
offramp_worker_pid(const struct offramp_worker *w)
{
	return (long)w->pid;
}

/* Its answer, up to OFFRAMP_WORKER_RES_MAX; EOF ends the reading. */
static void
worker_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct offramp_worker *w = arg;
	char chunk[8192];
	ssize_t n;

	(void)what;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n > 0) {
			g_string_append_len(w->buf, chunk, n);
			if (w->buf->len > OFFRAMP_WORKER_RES_MAX) {
				w->overflow = 1;
				worker_kill(w);
				break;
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		break;   /* EOF or a read error: the answer is complete */
	}
	event_del(w->read_ev);
	w->phase = WORKER_REAPING;
	worker_reap_or_wait(w);   /* may end in the callback: w is gone then */
}

/* The limit (kill the group), or the next reap poll. */
static void
worker_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct offramp_worker *w = arg;

	(void)fd;
	(void)what;
	if (!w->killed && worker_past(&w->deadline))
		worker_kill(w);
	if (w->killed && w->phase == WORKER_RUNNING) {
		/* Its pipe may be held by a grandchild that outlives it: do
		 * not wait for EOF after a kill. */
		event_del(w->read_ev);
		w->phase = WORKER_REAPING;
	}
	if (w->phase == WORKER_RUNNING) {
		struct timeval tv = { 1, 0 };   /* the clock said not yet */

		evtimer_add(w->timer, &tv);
		return;
	}
	worker_reap_or_wait(w);   /* may end in the callback: w is gone then */
}

static void
worker_kill(struct offramp_worker *w)
{
	if (w->pid <= 0 || w->killed)
		return;
	w->killed = 1;
	kill(-w->pid, SIGKILL);
	kill(w->pid, SIGKILL);
}

/* It exited (its pidfd became readable): reap it once its answer is read. */
static void
worker_exit_cb(evutil_socket_t fd, short what, void *arg)
{
	struct offramp_worker *w = arg;

	(void)fd;
	(void)what;
	if (w->phase == WORKER_REAPING)
		worker_reap_or_wait(w);   /* may end in the callback: w is gone then */
	/* Still reading: its answer ends at EOF, which then reaps it. */
}

/* Reaped: finish (the callback); else wait for the exit (pidfd) or poll. */
static void
worker_reap_or_wait(struct offramp_worker *w)
{
	struct timeval tv = { 0, (suseconds_t)w->poll_us };
	int status = 0;
	pid_t r;

	do
		r = waitpid(w->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == w->pid || r < 0) {
		if (r < 0)
			status = W_EXITCODE(127, 0);   /* lost: no result */
		worker_finish(w, status);
		return;
	}
	if (!w->killed && worker_past(&w->deadline))
		worker_kill(w);
	if (w->exit_ev != NULL) {
		/* The exit wakes us; the timer still guards the limit. */
		if (!event_pending(w->exit_ev, EV_READ, NULL))
			event_add(w->exit_ev, NULL);
		if (!w->killed) {
			struct timeval left = { 1, 0 };

			evtimer_add(w->timer, &left);
		}
		return;
	}
	evtimer_add(w->timer, &tv);
	if (w->poll_us < WORKER_REAP_POLL_MAX_US)
		w->poll_us *= 2;
}

/* The last thing done with w: the callback may free it. */
static void
worker_finish(struct offramp_worker *w, int status)
{
	struct offramp_worker_res res;

	w->phase = WORKER_DONE;
	event_del(w->timer);
	if (w->exit_ev != NULL)
		event_del(w->exit_ev);
	worker_judge(w, status, &res);
	res.secs = worker_elapsed(w);
	w->done(w->arg, w, w->id, &res);
}

static void
worker_judge(struct offramp_worker *w, int status, struct offramp_worker_res *res)
{
	char derr[128];

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !w->overflow &&
	    offramp_worker_res_decode(w->buf->str, w->buf->len, res, derr, sizeof(derr)) == 0) {
		res->end = OFFRAMP_WORKER_RESULT;
		return;
	}
	memset(res, 0, sizeof(*res));
	res->rc = -1;
	if (w->overflow || (WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		res->end = OFFRAMP_WORKER_GARBAGE;
		mime_error_set(&res->err, "5.6.5", "the document could not be processed: "
		    "the converter gave no usable answer");
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && w->killed) {
		res->end = OFFRAMP_WORKER_TIMEOUT;
		mime_error_set(&res->err, "5.3.4", "the document could not be processed "
		    "within %u second%s", w->timeout, w->timeout == 1 ? "" : "s");
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		res->end = OFFRAMP_WORKER_SIGNAL;
		res->signal = sig;
		if (sig == SIGXCPU || sig == SIGALRM)
			mime_error_set(&res->err, "5.3.4", "the document could not be "
			    "processed within %u second%s", w->timeout,
			    w->timeout == 1 ? "" : "s");
		else if (sig == SIGXFSZ)
			mime_error_set(&res->err, "5.3.4", "the document could not be "
			    "processed: it makes a file larger than %llu MB",
			    OFFRAMP_WORKER_FILE_MAX >> 20);
		else
			mime_error_set(&res->err, "5.6.5", "the document could not be "
			    "processed: the converter stopped on signal SIG%s",
			    sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
	} else {
		/* A worker that could not even read its request: local
		 * trouble (a half-upgraded binary, no memory), tried again. */
		res->end = OFFRAMP_WORKER_EXIT;
		res->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		mime_error_set(&res->err, "4.3.0", "the document could not be processed "
		    "now: the converter exited with status %d", res->exit_status);
	}
}

static double
worker_elapsed(const struct offramp_worker *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - w->start.tv_sec) +
	    (double)(now.tv_nsec - w->start.tv_nsec) / 1e9;
}

static int
worker_past(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}
