/*
 * Unit tests for gateway/gw: config holds across reloads, the phases of
 * the life cycle driven as gw_run() drives them with a fake part (open
 * before the privilege drop, start after it, reload, stop, drain, free),
 * the shutdown deadline, start-up failures, and the privilege drop. The
 * daemon runs in a forked child (it may drop privileges); the child
 * reports what happened through a pipe.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config/config.h"
#include "gateway/gw.h"
#include "gateway/spool/spool.h"

static char base[128];
static char conf[256];
static char spooldir[256];

static void
setup(void)
{
	snprintf(base, sizeof(base), "/tmp/t37gw.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	chmod(base, 0755);      /* the unprivileged user must reach the spool */
	snprintf(conf, sizeof(conf), "%s/t37gw.conf", base);
	snprintf(spooldir, sizeof(spooldir), "%s/spool", base);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", base);
}

/* Writes the config file: hostname host, the test spool, user (if any). */
static void
write_conf(const char *host, const char *user, const char *extra)
{
	FILE *f = fopen(conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "hostname %s\nspool %s\n", host, spooldir);
	if (user != NULL)
		fprintf(f, "user %s\n", user);
	if (extra != NULL)
		fputs(extra, f);
	ck_assert_int_eq(fclose(f), 0);
	chmod(conf, 0666);      /* rewritten by a child that dropped to nobody */
}

static struct gw *
new_gw(unsigned deadline)
{
	struct config_diag diag;
	struct config *cfg;
	char err[GW_ERR_MAX];
	struct gw *gw;

	config_diag_init(&diag);
	cfg = config_load(conf, &diag);
	ck_assert_msg(cfg != NULL, "config: %s", diag.kept ? config_diag_get(&diag, 0) : "?");
	config_diag_clear(&diag);
	cfg->shutdown_deadline = deadline;      /* ours until gw_new() */
	gw = gw_new(conf, cfg, NULL, err, sizeof(err));
	ck_assert_msg(gw != NULL, "%s", err);
	return gw;
}

START_TEST(test_gw_reload_keeps_held_config)
{
	const struct config *a, *b, *c;
	struct gw *gw;

	write_conf("old.example.com", NULL, NULL);
	gw = new_gw(5);
	ck_assert_uint_eq(config_live(), 1);
	a = gw_config_hold(gw);                 /* a session in flight */
	ck_assert_str_eq(a->hostname, "old.example.com");
	write_conf("new.example.com", NULL, NULL);
	ck_assert_int_eq(gw_reload(gw), 0);
	b = gw_config_hold(gw);                 /* a new session */
	ck_assert_ptr_ne(a, b);
	ck_assert_str_eq(b->hostname, "new.example.com");
	ck_assert_str_eq(a->hostname, "old.example.com");   /* still valid */
	ck_assert_uint_eq(config_live(), 2);
	gw_config_release(gw, a);               /* the old session ends */
	ck_assert_uint_eq(config_live(), 1);
	gw_config_release(gw, b);
	ck_assert_uint_eq(config_live(), 1);   /* current stays */
	/* a broken file keeps the current config */
	write_conf("broken.example.com", NULL, "no-such-command here\n");
	ck_assert_int_eq(gw_reload(gw), -1);
	c = gw_config_hold(gw);
	ck_assert_ptr_eq(c, b);
	ck_assert_str_eq(c->hostname, "new.example.com");
	gw_config_release(gw, c);
	/* a reload with no holders frees the old object at once */
	write_conf("third.example.com", NULL, NULL);
	ck_assert_int_eq(gw_reload(gw), 0);
	ck_assert_uint_eq(config_live(), 1);
	gw_free(gw);
	gw_free(NULL);
}
END_TEST

/* ---- the life cycle, in a child ---- */

/* A fake part: records its phases, holds work in flight. */
struct fake {
	struct gw *gw;
	char trace[512];        /* "open,start,..." */
	unsigned inflight;      /* work items still running */
	int drains;             /* 1: one item finishes per tick after stop */
	int fail_open;
	int opened;
	struct event *tick;
	const struct config *held;      /* a session's config */
	int reloads;
};

static void
fake_note(struct fake *f, const char *what)
{
	strncat(f->trace, what, sizeof(f->trace) - strlen(f->trace) - 2);
	strcat(f->trace, ",");
}

static void
fake_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fake *f = arg;

	(void)fd;
	(void)what;
	if (f->inflight > 0 && f->drains && gw_stopping(f->gw)) {
		f->inflight--;
		gw_drain_check(f->gw);
	}
}

static int
fake_open(struct fake *f)
{
	fake_note(f, geteuid() == 0 ? "open-root" : "open");
	if (f->fail_open)
		return -1;
	ck_assert_ptr_nonnull(gw_spool(f->gw));         /* the spool comes first */
	f->opened = 1;
	return 0;
}

static int
fake_start(struct fake *f)
{
	const struct timeval iv = { 0, 50000 };

	fake_note(f, geteuid() == 0 ? "start-root" : "start");  /* after any drop */
	f->held = gw_config_hold(f->gw);
	f->tick = event_new(gw_base(f->gw), -1, EV_PERSIST, fake_tick, f);
	event_add(f->tick, &iv);
	return 0;
}

static void
fake_reload(void *arg, const struct config *cfg)
{
	struct fake *f = arg;
	const struct config *now = gw_config_hold(f->gw);

	fake_note(f, "reload");
	ck_assert_ptr_eq(now, cfg);
	ck_assert_ptr_ne(now, f->held);
	/* the session started before keeps its config */
	ck_assert_str_eq(f->held->hostname, "one.example.com");
	ck_assert_str_eq(cfg->hostname, "two.example.com");
	gw_config_release(f->gw, now);
	f->reloads++;
}

static void
fake_stop(void *arg)
{
	struct fake *f = arg;

	fake_note(f, "stop");
	ck_assert(gw_stopping(f->gw));
}

static void
fake_reopen(void *arg)
{
	fake_note(arg, "reopen");
}

static unsigned
fake_inflight(void *arg)
{
	return ((struct fake *)arg)->inflight;
}

/* What was opened is freed; what never was, is not. */
static void
fake_free(struct fake *f)
{
	fake_note(f, f->opened ? "free" : "discard");
	gw_config_release(f->gw, f->held);
	f->held = NULL;
	if (f->tick != NULL)
		event_free(f->tick);
	f->tick = NULL;
}

/* gw_run()'s sequence, with the fake as the one part. */
static int
fake_run(struct gw *gw, struct fake *f)
{
	struct gw_hooks h = { fake_reload, fake_stop, fake_inflight, f, fake_reopen };
	int rc = 1;

	if (gw_open(gw) == 0 && fake_open(f) == 0 && gw_drop_privileges(gw) == 0 &&
	    fake_start(f) == 0)
		rc = gw_loop(gw, &h, "fake");
	fake_free(f);
	return rc;
}

struct script {
	int hup_at_ms;          /* send SIGHUP then (0: never) */
	int term_at_ms;         /* send SIGTERM then */
	int term2_at_ms;        /* a second SIGTERM then (0: never) */
	int usr1_at_ms;         /* send SIGUSR1 then (0: never) */
	const char *rewrite;    /* hostname written before the HUP */
};

static struct script *cur_script;

static void
script_cb(evutil_socket_t fd, short what, void *arg)
{
	int sig = (int)(long)arg;

	(void)fd;
	(void)what;
	if (sig == SIGHUP && cur_script->rewrite != NULL)
		write_conf(cur_script->rewrite, geteuid() == 0 ? "nobody" : NULL, NULL);
	kill(getpid(), sig);
}

struct result {
	int rc;
	double secs;            /* from SIGTERM to gw_run() returning */
	char trace[512];
	int reloads;
	unsigned live_after;
};

/* Runs a gw with one fake subsystem in a child; returns what it saw. */
static void
run_child(struct fake *f, struct script *s, unsigned deadline, struct result *res)
{
	struct timespec t0, t1;
	struct timeval tv;
	struct event *ev1 = NULL, *ev2 = NULL, *ev3 = NULL, *ev4 = NULL;
	int pfd[2], status;
	struct gw *gw;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		memset(res, 0, sizeof(*res));
		gw = new_gw(deadline);
		f->gw = gw;
		cur_script = s;
		if (s->hup_at_ms > 0) {
			ev1 = evtimer_new(gw_base(gw), script_cb, (void *)(long)SIGHUP);
			tv.tv_sec = s->hup_at_ms / 1000;
			tv.tv_usec = (s->hup_at_ms % 1000) * 1000;
			evtimer_add(ev1, &tv);
		}
		if (s->term_at_ms > 0) {
			ev2 = evtimer_new(gw_base(gw), script_cb, (void *)(long)SIGTERM);
			tv.tv_sec = s->term_at_ms / 1000;
			tv.tv_usec = (s->term_at_ms % 1000) * 1000;
			evtimer_add(ev2, &tv);
		}
		if (s->term2_at_ms > 0) {
			ev3 = evtimer_new(gw_base(gw), script_cb, (void *)(long)SIGINT);
			tv.tv_sec = s->term2_at_ms / 1000;
			tv.tv_usec = (s->term2_at_ms % 1000) * 1000;
			evtimer_add(ev3, &tv);
		}
		if (s->usr1_at_ms > 0) {
			ev4 = evtimer_new(gw_base(gw), script_cb, (void *)(long)SIGUSR1);
			tv.tv_sec = s->usr1_at_ms / 1000;
			tv.tv_usec = (s->usr1_at_ms % 1000) * 1000;
			evtimer_add(ev4, &tv);
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		res->rc = fake_run(gw, f);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		res->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9
		    - s->term_at_ms / 1000.0;
		memcpy(res->trace, f->trace, sizeof(res->trace));
		res->reloads = f->reloads;
		res->live_after = config_live();
		if (ev1 != NULL)
			event_free(ev1);
		if (ev2 != NULL)
			event_free(ev2);
		if (ev3 != NULL)
			event_free(ev3);
		if (ev4 != NULL)
			event_free(ev4);
		gw_free(gw);
		if (write(pfd[1], res, sizeof(*res)) != (ssize_t)sizeof(*res))
			_exit(9);
		_exit(0);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], res, sizeof(*res)), (ssize_t)sizeof(*res));
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const char *
test_user(void)
{
	return geteuid() == 0 ? "nobody" : NULL;
}

START_TEST(test_gw_lifecycle_drains)
{
	struct fake f = { .inflight = 3, .drains = 1 };
	struct script s = { .hup_at_ms = 100, .term_at_ms = 300, .rewrite = "two.example.com" };
	struct result r;
	struct stat st;
	char path[512];

	write_conf("one.example.com", test_user(), NULL);
	run_child(&f, &s, 20, &r);
	ck_assert_int_eq(r.rc, 0);
	/* open() before the privilege drop, start() after it */
	ck_assert_str_eq(r.trace, geteuid() == 0 ? "open-root,start,reload,stop,free,"
	    : "open,start,reload,stop,free,");
	ck_assert_int_eq(r.reloads, 1);
	ck_assert_uint_eq(r.live_after, 1);     /* the held old config was freed */
	/* three items at 50 ms each: well before the 20 s deadline */
	ck_assert_msg(r.secs < 2.0, "drain took %.2f s", r.secs);
	/* the first tick may come right after the stop: two more, 100 ms */
	ck_assert_msg(r.secs > 0.08, "drain did not wait for work in flight (%.2f s)", r.secs);
	snprintf(path, sizeof(path), "%s/offramp", spooldir);
	ck_assert_int_eq(stat(path, &st), 0);
	if (geteuid() == 0)
		ck_assert_uint_eq(st.st_uid, 65534);
}
END_TEST

/* SIGUSR1 (logrotate) reopens the parts' files; it does not end the
 * daemon, as its default action would. */
START_TEST(test_gw_usr1_reopens)
{
	struct fake f = { .inflight = 0, .drains = 1 };
	struct script s = { .usr1_at_ms = 100, .term_at_ms = 300 };
	struct result r;

	write_conf("one.example.com", test_user(), NULL);
	run_child(&f, &s, 5, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.trace, geteuid() == 0 ? "open-root,start,reopen,stop,free,"
	    : "open,start,reopen,stop,free,");
}
END_TEST

START_TEST(test_gw_lifecycle_deadline)
{
	struct fake f = { .inflight = 1, .drains = 0 };
	struct script s = { .term_at_ms = 100 };
	struct result r;

	write_conf("one.example.com", test_user(), NULL);
	run_child(&f, &s, 1, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.trace + strlen(r.trace) - strlen("stop,free,"), "stop,free,");
	ck_assert_msg(r.secs >= 0.9 && r.secs < 3.0, "stopped after %.2f s, deadline 1 s", r.secs);
}
END_TEST

/* A second signal while draining ends the wait at once. */
START_TEST(test_gw_lifecycle_forced)
{
	struct fake f = { .inflight = 1, .drains = 0 };
	struct script s = { .term_at_ms = 100, .term2_at_ms = 400 };
	struct result r;

	write_conf("one.example.com", test_user(), NULL);
	run_child(&f, &s, 20, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.trace + strlen(r.trace) - strlen("stop,free,"), "stop,free,");
	ck_assert_msg(r.secs >= 0.2 && r.secs < 2.0, "stopped %.2f s after SIGTERM", r.secs);
}
END_TEST

START_TEST(test_gw_open_failure)
{
	struct fake f = { .fail_open = 1 };
	struct script s = { .term_at_ms = 2000 };
	struct result r;

	write_conf("one.example.com", test_user(), NULL);
	run_child(&f, &s, 1, &r);
	ck_assert_int_eq(r.rc, 1);
	/* nothing started; a failed open() is followed by discard(), not free() */
	ck_assert_str_eq(r.trace, geteuid() == 0 ? "open-root,discard," : "open,discard,");
}
END_TEST

START_TEST(test_gw_root_rules)
{
	struct fake f = { 0 };
	struct script s = { .term_at_ms = 2000 };
	struct result r;

	if (geteuid() != 0)
		return;         /* the rules below are about starting as root */
	/* root without `user`: runs as root (with a warning) */
	s.term_at_ms = 200;
	write_conf("one.example.com", NULL, NULL);
	run_child(&f, &s, 1, &r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.trace, "open-root,start-root,stop,free,");
	memset(&f, 0, sizeof(f));
	s.term_at_ms = 2000;
	write_conf("one.example.com", "no-such-user-t37", NULL);
	run_child(&f, &s, 1, &r);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_str_eq(r.trace, "discard,");      /* never opened */
	write_conf("one.example.com", "root", NULL);
	run_child(&f, &s, 1, &r);
	ck_assert_int_eq(r.rc, 1);
}
END_TEST

START_TEST(test_gw_spool_unwritable)
{
	struct fake f = { 0 };
	struct script s = { .term_at_ms = 2000 };
	struct result r;
	FILE *fp;

	/* a plain file where the spool directory should be */
	fp = fopen(spooldir, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	write_conf("one.example.com", test_user(), NULL);
	run_child(&f, &s, 1, &r);
	ck_assert_int_eq(r.rc, 1);
	ck_assert_str_eq(r.trace, "discard,");      /* never opened */
}
END_TEST

START_TEST(test_gw_priv)
{
	char err[256];
	uid_t uid;
	gid_t gid;
	int status;
	pid_t pid;

	ck_assert_int_eq(gw_priv_lookup("no-such-user-t37", &uid, &gid, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "user no-such-user-t37: no such user");
	ck_assert_int_eq(gw_priv_lookup("root", &uid, &gid, err, sizeof(err)), 0);
	ck_assert_uint_eq(uid, 0);
	if (geteuid() != 0) {
		ck_assert_int_eq(gw_priv_drop(0, 0, err, sizeof(err)), -1);
		return;
	}
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (gw_priv_lookup("nobody", &uid, &gid, err, sizeof(err)) == -1 ||
		    gw_priv_drop(uid, gid, err, sizeof(err)) == -1)
			_exit(1);
		/* really unprivileged now */
		_exit(getuid() == uid && geteuid() == uid && getegid() == gid &&
		    open("/etc/shadow", O_RDONLY) == -1 && setuid(0) == -1 ? 0 : 2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

Suite *
suite_gw_ctx(void)
{
	Suite *s = suite_create("gw_ctx");
	TCase *tc = tcase_create("gw");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_gw_reload_keeps_held_config);
	tcase_add_test(tc, test_gw_lifecycle_drains);
	tcase_add_test(tc, test_gw_lifecycle_deadline);
	tcase_add_test(tc, test_gw_usr1_reopens);
	tcase_add_test(tc, test_gw_lifecycle_forced);
	tcase_add_test(tc, test_gw_open_failure);
	tcase_add_test(tc, test_gw_root_rules);
	tcase_add_test(tc, test_gw_spool_unwritable);
	tcase_add_test(tc, test_gw_priv);
	suite_add_tcase(s, tc);
	return s;
}
