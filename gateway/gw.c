/*
 * gateway/gw: the daemon context and the phases of its life cycle (see
 * gw.h): the spool, the privilege drop, signal events, reload with held
 * config objects, and the drain on shutdown. It does not parse the config
 * (config/) and knows nothing of what the parts do (parts.c).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "config/config.h"
#include "gateway/gw.h"
#include "gateway/spool/spool.h"
#include "util/log.h"

#define GW_LOG_IDENT "t37gw"

enum gw_state {
	GW_NEW = 0,                     /* created, the loop not yet running */
	GW_RUNNING,                     /* event loop, accepting work */
	GW_DRAINING,                    /* stop() called, waiting for inflight 0 */
	GW_DONE,                        /* loop left */
};

struct gw {
	char *path;                     /* owned: config file */
	struct gw_opts opts;
	struct event_base *base;        /* owned */
	struct spool *spool;            /* owned */
	pthread_mutex_t cfglock;        /* guards cfg (the pointer) */
	const struct config *cfg;       /* held: the current config */
	const struct gw_hooks *hooks;   /* borrowed while the loop runs */
	enum gw_state state;
	struct event *sigev[4];         /* owned: TERM, INT, HUP, USR1 */
	struct event *drain_ev;         /* owned: drain poll timer */
	struct timespec deadline;       /* CLOCK_MONOTONIC, while draining */
	struct timespec drain_start;
	char run_spool[CONFIG_PATH_MAX];        /* values fixed until restart */
	char run_user[CONFIG_STR_MAX];
	int drop;                       /* root with `user`: drop after open */
	uid_t uid;                      /* the run user, when drop */
	gid_t gid;
	time_t started;                 /* gw_new() */
	time_t loaded;                  /* the current config was loaded */
};

static void gw_log_apply(const struct gw *gw, const struct config *cfg);
static void gw_diag_report(void *arg, const char *msg);
static unsigned gw_inflight(struct gw *gw);
static void gw_signal_cb(evutil_socket_t sig, short what, void *arg);
static void gw_drain_cb(evutil_socket_t fd, short what, void *arg);
static double gw_elapsed(const struct timespec *since);
static void gw_diag_warning(void *arg, const char *msg);

/* ---- create / free ---- */

struct gw *
gw_new(const char *path, struct config *cfg, const struct gw_opts *opts,
    char *err, size_t errlen)
{
	struct gw *gw;

	if ((gw = calloc(1, sizeof(*gw))) == NULL || (gw->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(gw);
		return NULL;
	}
	pthread_mutex_init(&gw->cfglock, NULL);
	gw->cfg = cfg;                  /* the loader's hold is ours now */
	gw->started = gw->loaded = time(NULL);
	if (opts != NULL)
		gw->opts = *opts;
	snprintf(gw->run_spool, sizeof(gw->run_spool), "%s", cfg->spool);
	snprintf(gw->run_user, sizeof(gw->run_user), "%s", cfg->user);
	/* Other threads wake the loop through util/chan descriptors; the
	 * base is thread-aware all the same, for libevent's own use. */
	if (evthread_use_pthreads() == -1 || (gw->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the event base");
		gw_free(gw);
		return NULL;
	}
	gw_log_apply(gw, cfg);
	return gw;
}

void
gw_free(struct gw *gw)
{
	size_t i;

	if (gw == NULL)
		return;
	for (i = 0; i < sizeof(gw->sigev) / sizeof(gw->sigev[0]); i++)
		if (gw->sigev[i] != NULL)
			event_free(gw->sigev[i]);
	if (gw->drain_ev != NULL)
		event_free(gw->drain_ev);
	if (gw->base != NULL)
		event_base_free(gw->base);
	spool_free(gw->spool);
	config_free(gw->cfg);
	pthread_mutex_destroy(&gw->cfglock);
	free(gw->path);
	free(gw);
}

struct event_base *
gw_base(const struct gw *gw)
{
	return gw->base;
}

struct spool *
gw_spool(const struct gw *gw)
{
	return gw->spool;
}

time_t gw_started(const struct gw *gw) { return gw->started; }
time_t gw_loaded(const struct gw *gw) { return gw->loaded; }
const char *gw_config_path(const struct gw *gw) { return gw->path; }

int
gw_stopping(const struct gw *gw)
{
	return gw->state >= GW_DRAINING;
}

/* ---- config holds ---- */

const struct config *
gw_config_hold(struct gw *gw)
{
	const struct config *cfg;

	pthread_mutex_lock(&gw->cfglock);
	cfg = config_hold(gw->cfg);
	pthread_mutex_unlock(&gw->cfglock);
	return cfg;
}

void
gw_config_release(struct gw *gw, const struct config *cfg)
{
	(void)gw;
	config_free(cfg);
}

/* ---- logging ---- */

static void
gw_log_apply(const struct gw *gw, const struct config *cfg)
{
	log_init(GW_LOG_IDENT, gw->opts.use_syslog || cfg->log_dest == CONFIG_LOG_SYSLOG,
	    gw->opts.debug ? LOG_LVL_DEBUG : cfg->log_level);
}

/* Each config error of a reload, as the parser finds it. */
static void
gw_diag_report(void *arg, const char *msg)
{
	char buf[LOG_ESC_BUFSZ];

	(void)arg;
	log_warnx("event=config-error error=%s", log_str(buf, sizeof(buf), msg));
}

/* Each ignored line of a reload (IOS lines of other features). */
static void
gw_diag_warning(void *arg, const char *msg)
{
	char buf[LOG_ESC_BUFSZ];

	(void)arg;
	log_warnx("event=config-warning warning=%s", log_str(buf, sizeof(buf), msg));
}

/* ---- reload ---- */

int
gw_reload(struct gw *gw)
{
	struct config_diag diag;
	const struct config *old;
	struct config *cfg;

	if (gw->state == GW_DRAINING) {
		log_info("event=reload result=ignored reason=shutting-down");
		return -1;
	}
	config_diag_init(&diag);
	diag.report = gw_diag_report;
	diag.report_warning = gw_diag_warning;
	cfg = config_load(gw->path, &diag);
	if (cfg == NULL) {
		log_warnx("event=reload result=failed errors=%zu config=%s", diag.count, gw->path);
		config_diag_clear(&diag);
		return -1;
	}
	config_diag_clear(&diag);
	if (strcmp(cfg->spool, gw->run_spool) != 0)
		log_warnx("event=reload spool=%s result=ignored reason=restart-needed", cfg->spool);
	if (strcmp(cfg->user, gw->run_user) != 0)
		log_warnx("event=reload user=%s result=ignored reason=restart-needed", cfg->user);
	pthread_mutex_lock(&gw->cfglock);
	old = gw->cfg;
	gw->cfg = cfg;                  /* the loader's hold is ours */
	gw->loaded = time(NULL);
	pthread_mutex_unlock(&gw->cfglock);
	config_free(old);               /* others may still hold it */
	gw_log_apply(gw, cfg);
	if (gw->hooks != NULL && gw->hooks->reload != NULL)
		gw->hooks->reload(gw->hooks->arg, cfg);
	log_info("event=reload result=ok peers=%zu configs=%u", cfg->n_peers, config_live());
	return 0;
}

/* ---- shutdown ---- */

static double
gw_elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static unsigned
gw_inflight(struct gw *gw)
{
	if (gw->hooks == NULL || gw->hooks->inflight == NULL)
		return 0;
	return gw->hooks->inflight(gw->hooks->arg);
}

void
gw_shutdown(struct gw *gw)
{
	const struct timeval poll = { 0, GW_DRAIN_POLL_MS * 1000 };
	const struct config *cfg;
	unsigned deadline;

	if (gw->state == GW_DRAINING) {
		log_warnx("event=shutdown phase=forced inflight=%u", gw_inflight(gw));
		event_base_loopbreak(gw->base);
		return;
	}
	if (gw->state != GW_RUNNING)
		return;
	cfg = gw_config_hold(gw);
	deadline = cfg->shutdown_deadline;
	gw_config_release(gw, cfg);
	gw->state = GW_DRAINING;
	clock_gettime(CLOCK_MONOTONIC, &gw->drain_start);
	gw->deadline = gw->drain_start;
	gw->deadline.tv_sec += deadline;
	if (gw->hooks != NULL && gw->hooks->stop != NULL)
		gw->hooks->stop(gw->hooks->arg);
	if (gw->drain_ev != NULL)
		event_add(gw->drain_ev, &poll);
	log_info("event=shutdown phase=drain inflight=%u deadline=%us", gw_inflight(gw), deadline);
	gw_drain_check(gw);
}

void
gw_drain_check(struct gw *gw)
{
	if (gw->state == GW_DRAINING && gw->drain_ev != NULL)
		event_active(gw->drain_ev, EV_TIMEOUT, 0);
}

static void
gw_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw *gw = arg;
	struct timespec now;
	unsigned n;

	(void)fd;
	(void)what;
	if (gw->state != GW_DRAINING)
		return;
	n = gw_inflight(gw);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n == 0) {
		log_info("event=shutdown phase=drained secs=%.1f", gw_elapsed(&gw->drain_start));
		event_base_loopbreak(gw->base);
	} else if (now.tv_sec > gw->deadline.tv_sec || (now.tv_sec == gw->deadline.tv_sec &&
	    now.tv_nsec >= gw->deadline.tv_nsec)) {
		log_warnx("event=shutdown phase=deadline inflight=%u secs=%.1f", n,
		    gw_elapsed(&gw->drain_start));
		event_base_loopbreak(gw->base);
	}
}

static void
gw_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct gw *gw = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_info("event=signal signal=HUP");
		gw_reload(gw);
	} else if (sig == SIGUSR1) {
		log_info("event=signal signal=USR1");
		if (gw->hooks != NULL && gw->hooks->reopen != NULL)
			gw->hooks->reopen(gw->hooks->arg);
	} else {
		log_info("event=signal signal=%s", sig == SIGTERM ? "TERM" : "INT");
		gw_shutdown(gw);
	}
}

/* ---- the phases ---- */

int
gw_open(struct gw *gw)
{
	char err[GW_ERR_MAX], ubuf[LOG_ESC_BUFSZ];

	gw->drop = geteuid() == 0 && gw->run_user[0] != '\0';
	if (gw->drop) {
		if (gw_priv_lookup(gw->run_user, &gw->uid, &gw->gid, err, sizeof(err)) == -1) {
			log_err("event=start result=failed error=%s", log_str(ubuf, sizeof(ubuf), err));
			return -1;
		}
		if (gw->uid == 0) {
			log_err("event=start result=failed reason=\"user %s is root: name an "
			    "unprivileged account\"", log_str(ubuf, sizeof(ubuf), gw->run_user));
			return -1;
		}
	} else if (geteuid() == 0) {
		/* Allowed (containers, test rigs), but never quietly. */
		log_warnx("event=start user=root warning=\"no 'user NAME' line in %s: running "
		    "with root privileges\"", gw->path);
	} else if (gw->run_user[0] != '\0') {
		log_info("event=start user=%s result=ignored reason=not-started-as-root",
		    log_str(ubuf, sizeof(ubuf), gw->run_user));
	}
	if ((gw->spool = spool_open(gw->run_spool, err, sizeof(err))) == NULL ||
	    (gw->drop && spool_chown(gw->spool, gw->uid, gw->gid, err, sizeof(err)) == -1)) {
		log_err("event=start result=failed error=%s", log_str(ubuf, sizeof(ubuf), err));
		return -1;
	}
	return 0;
}

int
gw_drop_privileges(struct gw *gw)
{
	char err[GW_ERR_MAX], ubuf[LOG_ESC_BUFSZ];

	if (!gw->drop)
		return 0;
	if (gw_priv_drop(gw->uid, gw->gid, err, sizeof(err)) == -1 ||
	    spool_check(gw->spool, err, sizeof(err)) == -1) {
		log_err("event=start result=failed error=%s", log_str(ubuf, sizeof(ubuf), err));
		return -1;
	}
	log_info("event=privdrop user=%s uid=%ld gid=%ld", gw->run_user, (long)gw->uid,
	    (long)gw->gid);
	return 0;
}

int
gw_loop(struct gw *gw, const struct gw_hooks *hooks, const char *parts)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	const struct config *cfg;
	char buf[LOG_ESC_BUFSZ];
	size_t i;

	if (gw->state != GW_NEW || gw->spool == NULL)
		return 1;
	gw->hooks = hooks;
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		gw->sigev[i] = evsignal_new(gw->base, sigs[i], gw_signal_cb, gw);
		if (gw->sigev[i] == NULL || evsignal_add(gw->sigev[i], NULL) == -1) {
			log_err("event=start result=failed reason=\"cannot watch signal %d\"", sigs[i]);
			gw->hooks = NULL;
			return 1;
		}
	}
	/* Added by gw_shutdown(): no wake-ups while running. */
	if ((gw->drain_ev = event_new(gw->base, -1, EV_PERSIST, gw_drain_cb, gw)) == NULL) {
		log_err("event=start result=failed reason=\"cannot create the drain timer\"");
		gw->hooks = NULL;
		return 1;
	}
	gw->state = GW_RUNNING;
	cfg = gw_config_hold(gw);
	log_info("event=start result=ok version=%s config=%s spool=%s recovered=%u peers=%zu "
	    "parts=%s pid=%ld", T37GW_VERSION, log_str(buf, sizeof(buf), gw->path),
	    spool_root(gw->spool), spool_recovered(gw->spool), cfg->n_peers,
	    parts != NULL ? parts : "-", (long)getpid());
	gw_config_release(gw, cfg);
	if (event_base_dispatch(gw->base) == -1)
		log_warnx("event=loop result=error");
	gw->state = GW_DONE;
	gw->hooks = NULL;
	return 0;
}
