/*
 * gateway/gw: the daemon context and its life cycle (see gw.h): start-up
 * order, the privilege drop, signal events, reload with reference-counted
 * config objects, and the drain on shutdown. It does not parse the config
 * (config/) and knows nothing of what the subsystems do.
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
#include "util/log.h"
#include "gateway/spool/spool.h"

#define GW_LOG_IDENT "t37gw"

/* One loaded config object and the number of its holders (the gw itself
 * holds the current one). */
struct gw_cfgnode {
	struct config *cfg;             /* owned */
	unsigned refs;
	struct gw_cfgnode *next;
};

enum gw_state {
	GW_NEW = 0,                     /* created, gw_run() not yet called */
	GW_RUNNING,                     /* event loop, accepting work */
	GW_DRAINING,                    /* stop() called, waiting for inflight 0 */
	GW_DONE,                        /* loop left, subsystems freed */
};

struct gw_slot {
	const struct gw_subsys *ops;    /* not owned */
	void *arg;                      /* not owned; the subsystem's free() */
	int opened;                     /* open() succeeded (free() is due) */
	int started;
};

struct gw {
	char *path;                     /* owned: config file */
	struct gw_opts opts;
	struct event_base *base;        /* owned */
	struct spool *spool;            /* owned */
	pthread_mutex_t cfglock;        /* guards cfgs and every refs */
	struct gw_cfgnode *cfgs;        /* owned list; head = current */
	struct gw_slot slots[GW_SUBSYS_MAX];
	size_t nslots;
	enum gw_state state;
	struct event *sigev[3];         /* owned: TERM, INT, HUP */
	struct event *drain_ev;         /* owned: drain poll timer */
	struct timespec deadline;       /* CLOCK_MONOTONIC, while draining */
	struct timespec drain_start;
	char run_spool[CONFIG_PATH_MAX];        /* values fixed until restart */
	char run_user[CONFIG_STR_MAX];
};

static void gw_log_apply(const struct gw *gw, const struct config *cfg);
static void gw_diag_report(void *arg, const char *msg);
static int gw_start(struct gw *gw);
static void gw_stop_slots(struct gw *gw);
static void gw_free_slots(struct gw *gw);
static unsigned gw_inflight(struct gw *gw);
static void gw_signal_cb(evutil_socket_t sig, short what, void *arg);
static void gw_drain_cb(evutil_socket_t fd, short what, void *arg);
static double gw_elapsed(const struct timespec *since);
static void gw_cfg_unref_locked(struct gw *gw, struct gw_cfgnode *node);

/* ---- create / free ---- */

struct gw *
gw_new(const char *path, struct config *cfg, const struct gw_opts *opts,
    char *err, size_t errlen)
{
	struct gw *gw;

	if ((gw = calloc(1, sizeof(*gw))) == NULL || (gw->path = strdup(path)) == NULL ||
	    (gw->cfgs = calloc(1, sizeof(*gw->cfgs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (gw != NULL)
			free(gw->path);
		free(gw);
		return NULL;
	}
	pthread_mutex_init(&gw->cfglock, NULL);
	gw->cfgs->cfg = cfg;
	gw->cfgs->refs = 1;
	if (opts != NULL)
		gw->opts = *opts;
	snprintf(gw->run_spool, sizeof(gw->run_spool), "%s", cfg->spool);
	snprintf(gw->run_user, sizeof(gw->run_user), "%s", cfg->user);
	/* The line thread hands results over with event_active(): the base
	 * must be created thread-aware. */
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
	struct gw_cfgnode *n, *next;
	size_t i;

	if (gw == NULL)
		return;
	gw_free_slots(gw);
	for (i = 0; i < sizeof(gw->sigev) / sizeof(gw->sigev[0]); i++)
		if (gw->sigev[i] != NULL)
			event_free(gw->sigev[i]);
	if (gw->drain_ev != NULL)
		event_free(gw->drain_ev);
	if (gw->base != NULL)
		event_base_free(gw->base);
	spool_free(gw->spool);
	for (n = gw->cfgs; n != NULL; n = next) {
		next = n->next;
		config_free(n->cfg);
		free(n);
	}
	pthread_mutex_destroy(&gw->cfglock);
	free(gw->path);
	free(gw);
}

int
gw_register(struct gw *gw, const struct gw_subsys *ops, void *arg)
{
	if (gw->nslots == GW_SUBSYS_MAX || gw->state != GW_NEW) {
		errno = ENOSPC;
		return -1;
	}
	gw->slots[gw->nslots].ops = ops;
	gw->slots[gw->nslots].arg = arg;
	gw->nslots++;
	return 0;
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

const char *
gw_config_path(const struct gw *gw)
{
	return gw->path;
}

int
gw_stopping(const struct gw *gw)
{
	return gw->state >= GW_DRAINING;
}

/* ---- config references ---- */

const struct config *
gw_config_hold(struct gw *gw)
{
	const struct config *cfg;

	pthread_mutex_lock(&gw->cfglock);
	gw->cfgs->refs++;
	cfg = gw->cfgs->cfg;
	pthread_mutex_unlock(&gw->cfglock);
	return cfg;
}

/* Drops one reference; an old config goes away with its last holder. */
static void
gw_cfg_unref_locked(struct gw *gw, struct gw_cfgnode *node)
{
	struct gw_cfgnode **pp;

	if (--node->refs > 0)
		return;
	for (pp = &gw->cfgs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == node) {
			*pp = node->next;
			break;
		}
	}
	config_free(node->cfg);
	free(node);
}

void
gw_config_release(struct gw *gw, const struct config *cfg)
{
	struct gw_cfgnode *n;

	if (cfg == NULL)
		return;
	pthread_mutex_lock(&gw->cfglock);
	for (n = gw->cfgs; n != NULL && n->cfg != cfg; n = n->next)
		;
	if (n != NULL)
		gw_cfg_unref_locked(gw, n);
	pthread_mutex_unlock(&gw->cfglock);
	if (n == NULL)
		log_warnx("event=config-release result=unknown-config");
}

unsigned
gw_config_live(struct gw *gw)
{
	struct gw_cfgnode *n;
	unsigned count = 0;

	pthread_mutex_lock(&gw->cfglock);
	for (n = gw->cfgs; n != NULL; n = n->next)
		count++;
	pthread_mutex_unlock(&gw->cfglock);
	return count;
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
	struct gw_cfgnode *node;
	struct config *cfg;
	size_t i;

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
	if ((node = calloc(1, sizeof(*node))) == NULL) {
		config_free(cfg);
		log_warnx("event=reload result=failed reason=out-of-memory");
		return -1;
	}
	if (strcmp(cfg->spool, gw->run_spool) != 0)
		log_warnx("event=reload spool=%s result=ignored reason=restart-needed", cfg->spool);
	if (strcmp(cfg->user, gw->run_user) != 0)
		log_warnx("event=reload user=%s result=ignored reason=restart-needed", cfg->user);
	node->cfg = cfg;
	node->refs = 1;
	pthread_mutex_lock(&gw->cfglock);
	node->next = gw->cfgs;
	gw->cfgs = node;
	gw_cfg_unref_locked(gw, node->next);    /* the gw's hold on the old one */
	pthread_mutex_unlock(&gw->cfglock);
	gw_log_apply(gw, cfg);
	for (i = 0; i < gw->nslots; i++)
		if (gw->slots[i].started && gw->slots[i].ops->reload != NULL)
			gw->slots[i].ops->reload(gw, gw->slots[i].arg, cfg);
	log_info("event=reload result=ok peers=%zu configs=%u", cfg->n_peers, gw_config_live(gw));
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
	unsigned n = 0;
	size_t i;

	for (i = 0; i < gw->nslots; i++)
		if (gw->slots[i].started && gw->slots[i].ops->inflight != NULL)
			n += gw->slots[i].ops->inflight(gw, gw->slots[i].arg);
	return n;
}

static void
gw_stop_slots(struct gw *gw)
{
	size_t i;

	for (i = 0; i < gw->nslots; i++)
		if (gw->slots[i].started && gw->slots[i].ops->stop != NULL)
			gw->slots[i].ops->stop(gw, gw->slots[i].arg);
}

static void
gw_free_slots(struct gw *gw)
{
	size_t i;

	for (i = gw->nslots; i-- > 0;) {
		if (gw->slots[i].opened && gw->slots[i].ops->free != NULL)
			gw->slots[i].ops->free(gw, gw->slots[i].arg);
		else if (!gw->slots[i].opened && gw->slots[i].ops->discard != NULL)
			gw->slots[i].ops->discard(gw, gw->slots[i].arg);
		gw->slots[i].opened = gw->slots[i].started = 0;
	}
	gw->nslots = 0;
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
	gw_stop_slots(gw);
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
	} else {
		log_info("event=signal signal=%s", sig == SIGTERM ? "TERM" : "INT");
		gw_shutdown(gw);
	}
}

/* ---- run ---- */

/* Everything up to the event loop; 0, or -1 after logging why. */
static int
gw_start(struct gw *gw)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	char err[GW_ERR_MAX], ubuf[LOG_ESC_BUFSZ];
	int drop = geteuid() == 0 && gw->run_user[0] != '\0';
	uid_t uid = 0;
	gid_t gid = 0;
	size_t i;

	if (drop) {
		if (gw_priv_lookup(gw->run_user, &uid, &gid, err, sizeof(err)) == -1) {
			log_err("event=start result=failed error=%s", log_str(ubuf, sizeof(ubuf), err));
			return -1;
		}
		if (uid == 0) {
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
	    (drop && spool_chown(gw->spool, uid, gid, err, sizeof(err)) == -1)) {
		log_err("event=start result=failed error=%s", log_str(ubuf, sizeof(ubuf), err));
		return -1;
	}
	for (i = 0; i < gw->nslots; i++) {
		if (gw->slots[i].ops->open != NULL &&
		    gw->slots[i].ops->open(gw, gw->slots[i].arg, err, sizeof(err)) == -1) {
			log_err("event=start subsystem=%s result=failed error=%s",
			    gw->slots[i].ops->name, log_str(ubuf, sizeof(ubuf), err));
			return -1;
		}
		gw->slots[i].opened = 1;
	}
	if (drop) {
		if (gw_priv_drop(uid, gid, err, sizeof(err)) == -1 ||
		    spool_check(gw->spool, err, sizeof(err)) == -1) {
			log_err("event=start result=failed error=%s", log_str(ubuf, sizeof(ubuf), err));
			return -1;
		}
		log_info("event=privdrop user=%s uid=%ld gid=%ld", gw->run_user, (long)uid, (long)gid);
	}

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		gw->sigev[i] = evsignal_new(gw->base, sigs[i], gw_signal_cb, gw);
		if (gw->sigev[i] == NULL || evsignal_add(gw->sigev[i], NULL) == -1) {
			log_err("event=start result=failed reason=\"cannot watch signal %d\"", sigs[i]);
			return -1;
		}
	}
	/* Added by gw_shutdown(): no wake-ups while running. */
	if ((gw->drain_ev = event_new(gw->base, -1, EV_PERSIST, gw_drain_cb, gw)) == NULL) {
		log_err("event=start result=failed reason=\"cannot create the drain timer\"");
		return -1;
	}
	gw->state = GW_RUNNING;
	for (i = 0; i < gw->nslots; i++) {
		if (gw->slots[i].ops->start != NULL &&
		    gw->slots[i].ops->start(gw, gw->slots[i].arg, err, sizeof(err)) == -1) {
			log_err("event=start subsystem=%s result=failed error=%s",
			    gw->slots[i].ops->name, log_str(ubuf, sizeof(ubuf), err));
			return -1;
		}
		gw->slots[i].started = 1;
	}
	return 0;
}

int
gw_run(struct gw *gw)
{
	const struct config *cfg;
	char buf[LOG_ESC_BUFSZ];

	if (gw->state != GW_NEW)
		return 1;
	cfg = gw_config_hold(gw);
	if (gw_start(gw) == -1) {
		gw_config_release(gw, cfg);
		gw_free_slots(gw);
		gw->state = GW_DONE;
		return 1;
	}
	log_info("event=start result=ok version=%s config=%s spool=%s recovered=%u peers=%zu "
	    "subsystems=%zu pid=%ld", T37GW_VERSION, log_str(buf, sizeof(buf), gw->path),
	    spool_root(gw->spool), spool_recovered(gw->spool), cfg->n_peers, gw->nslots,
	    (long)getpid());
	gw_config_release(gw, cfg);
	if (event_base_dispatch(gw->base) == -1)
		log_warnx("event=loop result=error");
	gw_free_slots(gw);
	gw->state = GW_DONE;
	log_info("event=stop result=ok");
	return 0;
}
