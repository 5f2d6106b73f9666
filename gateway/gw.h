/*
 * gateway/gw: the daemon context and its life cycle.
 *
 * A struct gw owns what the whole mail thread shares: the libevent base,
 * the spool, the current config, and the list of subsystems (SMTP
 * listener, line thread, queues...). It runs the life cycle:
 *
 *   gw_new()     load nothing; take the already loaded config and options
 *   gw_run()     open the spool (create/verify, recover tmp/)
 *                subsystems' open()      - as root when started as root:
 *                                          bind listeners, open key files
 *                drop privileges         - when root and `user NAME` is set
 *                verify the spool is writable as that user
 *                subsystems' start()     - accept work, start threads
 *                event loop; SIGHUP -> gw_reload(); SIGTERM/SIGINT ->
 *                gw_shutdown(): every stop(), then wait until every
 *                inflight() is 0 or the config's shutdown deadline passed
 *                subsystems' free()      - in reverse order (discard()
 *                                          for those never opened)
 *   gw_free()
 *
 * Adding a subsystem: write `int NAME_gw_register(struct gw *gw)` that
 * calls gw_register() with a static struct gw_subsys and its state, and
 * add it to the gw_subsystems[] table in gateway/main.c. Every callback
 * runs on the mail thread and may be NULL.
 *
 * Config and reload: the config object is immutable. gw_config_hold()
 * returns the current one and counts a reference; a session keeps that
 * pointer for its whole life and gives it back with gw_config_release().
 * A reload (SIGHUP) loads the file again; only when it is valid does it
 * become current (new sessions see it) and the subsystems' reload() run.
 * The old object lives until its last holder releases it. Hold/release are
 * thread-safe (the line thread may hold a config too).
 *
 * Privileges: started as root with `user NAME`, t37gw drops to that user
 * (setgroups/setgid/setuid, verified) after every open(); an unknown user,
 * or a user that is root, stops the start. Started as root without `user`
 * it runs as root and warns at every start (containers, test rigs; not for
 * production). Started as another user, `user` is ignored with a notice.
 * Changes to `spool` or `user` need a restart; a reload
 * says so and keeps the running values.
 */
#ifndef T37_GW_H
#define T37_GW_H

#include <stddef.h>
#include <sys/types.h>

struct config;
struct event_base;
struct spool;
struct gw;                      /* opaque: the daemon context */

#define GW_DRAIN_POLL_MS 100    /* how often inflight() is asked while draining */
#define GW_SUBSYS_MAX 16        /* subsystems one gw holds */
#define GW_ERR_MAX 512          /* size of error buffers passed to callbacks */

struct gw_subsys {
	const char *name;       /* for logs: "smtpd", "line", "onramp"... */
	/* Before the privilege drop: bind sockets, open files. 0, or -1 with
	 * a message in err (start-up fails, exit 1). */
	int (*open)(struct gw *gw, void *arg, char *err, size_t errlen);
	/* After the drop: add events, start threads, begin accepting. */
	int (*start)(struct gw *gw, void *arg, char *err, size_t errlen);
	/* A new valid config is current: use it for new work. In-flight work
	 * keeps the config it holds. */
	void (*reload)(struct gw *gw, void *arg, const struct config *cfg);
	/* Shutdown began: stop accepting new work (close listeners, stop
	 * dequeuing); let in-flight work finish. Called once. */
	void (*stop)(struct gw *gw, void *arg);
	/* Units of work still in flight; 0 when drained. NULL means 0. */
	unsigned (*inflight)(struct gw *gw, void *arg);
	/* Tear down, abandoning what is still in flight (its spool jobs are
	 * recovered at the next start). Called once, in reverse order, for
	 * the subsystems whose open() succeeded. */
	void (*free)(struct gw *gw, void *arg);
	/* Instead of free() when open() never ran or failed (start-up ended
	 * before or in it): releases what registration allocated. */
	void (*discard)(struct gw *gw, void *arg);
};

/* Command-line choices that override the config file. */
struct gw_opts {
	int debug;              /* -d: log level debug whatever the config says */
	int use_syslog;         /* -s: log to syslog whatever the config says */
};

/*
 * Creates the context: calls evthread_use_pthreads() and makes the event
 * base. Takes ownership of cfg (loaded from path, kept for reloads).
 * NULL with a message in err.
 */
struct gw *gw_new(const char *path, struct config *cfg, const struct gw_opts *opts,
    char *err, size_t errlen);
/* Frees the base, the spool and every config object. Accepts NULL. Call
 * after gw_run() or instead of it. */
void gw_free(struct gw *gw);

/* Adds a subsystem (before gw_run()). ops must outlive gw. 0 or -1 (table
 * full: GW_SUBSYS_MAX). */
int gw_register(struct gw *gw, const struct gw_subsys *ops, void *arg);

/*
 * Runs the life cycle above until shutdown. Returns the exit status: 0
 * after a clean or deadline shutdown, 1 when start-up failed (the reason is
 * logged: unwritable spool, unknown user, a subsystem's open()...).
 */
int gw_run(struct gw *gw);

struct event_base *gw_base(const struct gw *gw);
/* The spool (NULL before gw_run() opened it). */
struct spool *gw_spool(const struct gw *gw);
/* The path of the config file. */
const char *gw_config_path(const struct gw *gw);

/*
 * The current config with a reference taken: valid until the matching
 * gw_config_release(). Any thread.
 */
const struct config *gw_config_hold(struct gw *gw);
void gw_config_release(struct gw *gw, const struct config *cfg);
/* Config objects alive (current plus old ones still held): for tests and
 * the reload log. */
unsigned gw_config_live(struct gw *gw);

/*
 * Loads the config file again; when it is valid, makes it current, runs
 * the subsystems' reload() and logs `event=reload result=ok peers=N`;
 * otherwise logs every error and `event=reload result=failed errors=N` and
 * keeps the current one. 0 or -1. Mail thread (SIGHUP calls it).
 */
int gw_reload(struct gw *gw);
/*
 * Begins shutdown (SIGTERM/SIGINT call it): stop() on every subsystem,
 * then the loop ends as soon as nothing is in flight or after the config's
 * shutdown deadline. A second call ends the wait at once. Mail thread.
 */
void gw_shutdown(struct gw *gw);
/* A subsystem's inflight count dropped: re-check the drain now instead of
 * at the next GW_DRAIN_POLL_MS tick. Mail thread. */
void gw_drain_check(struct gw *gw);
/* 1 once gw_shutdown() began. */
int gw_stopping(const struct gw *gw);

/* ---- privileges (gateway/priv.c) ---- */

/* uid/gid of user name. 0, or -1 with "user NAME: no such user" in err. */
int gw_priv_lookup(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen);
/* setgroups({gid}), setgid, setuid, then checks that real and effective
 * ids are the user's and that getting root back fails. 0 or -1 + err. */
int gw_priv_drop(uid_t uid, gid_t gid, char *err, size_t errlen);

#endif
