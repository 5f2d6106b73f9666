/*
 * gateway/: the daemon core, and the only folder that knows every other.
 * main() (main.c) checks or loads the config and runs the daemon. The
 * context (gw.c) owns what the whole mail thread shares: the libevent
 * base, the spool, the current config, the signals and the shutdown
 * drain. The parts (parts.c) are the rooms below gateway/ and the SIP
 * line, opened, started and stopped in one explicit sequence:
 *
 *   gw_open()             as root: the spool opened (recovery of tmp/),
 *                         given to the run user
 *   parts: open           the mail queue, the offramp, the onramp, the SIP
 *                         line (binds its sockets), the SMTP intake (binds
 *                         its listeners, reads its key files)
 *   gw_drop_privileges()  when root and `user NAME`: setgroups, setgid,
 *                         setuid, verified; the spool checked writable
 *   parts: start          resume the mail and offramp jobs, mail the faxes
 *                         of calls the gateway did not see end
 *   gw_loop()             the event loop; SIGHUP -> gw_reload() -> parts:
 *                         reload(cfg); SIGUSR1 -> parts: reopen (the files
 *                         they append to); SIGTERM/SIGINT -> gw_shutdown() ->
 *                         parts: stop, then the loop ends when parts:
 *                         inflight is 0 or at the config's shutdown deadline
 *   parts: free           in the reverse order of open
 *
 * The rooms: gateway/spool (durable jobs), gateway/mailq (outbound mail of
 * both directions), gateway/onramp (fax calls into mail), gateway/intake
 * (the SMTP listener's policy and durability), gateway/offramp (accepted
 * mail into fax calls). Each has one public header; none includes
 * the core's headers or another room's private headers.
 *
 * Config and reload: the config object is immutable. gw_config_hold()
 * returns the current one with a hold of the caller's (config_hold());
 * a session keeps that pointer for its whole life and gives it back with
 * gw_config_release(). A reload (SIGHUP) loads the file again; only when
 * it is valid does it become current (new sessions see it) and the parts
 * get it. The old object lives until its last holder releases it. Any
 * thread (a line thread may hold a config too).
 *
 * Privileges: started as root with `user NAME`, t37gw drops to that user
 * after every open; an unknown user, or a user that is root, stops the
 * start. Started as root without `user` it runs as root and warns at every
 * start (containers, test rigs; not for production). Started as another
 * user, `user` is ignored with a notice. Changes to `spool` or `user` need
 * a restart; a reload says so and keeps the running values.
 */
#ifndef T37_GW_H
#define T37_GW_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

struct config;
struct event_base;
struct spool;
struct gw;                      /* opaque: the daemon context */

#define GW_DRAIN_POLL_MS 100    /* how often inflight() is asked while draining */
#define GW_ERR_MAX 512          /* size of error buffers passed to the parts */

/* What the loop asks of the parts (parts.c); every hook runs on the mail
 * thread. */
struct gw_hooks {
	/* A new valid config is current: use it for new work (work in flight
	 * keeps the config it holds). */
	void (*reload)(void *arg, const struct config *cfg);
	/* Shutdown began: stop accepting new work; let work in flight finish.
	 * Called once. */
	void (*stop)(void *arg);
	/* Units of work still in flight; 0 when drained. */
	unsigned (*inflight)(void *arg);
	void *arg;
	/* SIGUSR1 (logrotate moved the files away): open the files the parts
	 * append to again. May be NULL. */
	void (*reopen)(void *arg);
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
/* Frees the base, the spool and the hold on the current config. Accepts
 * NULL. Call after gw_run() (or gw_loop()) or instead of it. */
void gw_free(struct gw *gw);

/* As root (when started so): opens the spool, recovering tmp/, and gives
 * it to the run user. 0, or -1 after logging why. */
int gw_open(struct gw *gw);
/* When root and `user NAME` is set: drops to that user (setgroups,
 * setgid, setuid, verified) and checks the spool is writable as it. 0, or
 * -1 after logging why. */
int gw_drop_privileges(struct gw *gw);
/*
 * Runs the event loop with the parts' hooks (borrowed) until shutdown:
 * signals, reloads, the drain. Logs `event=start result=ok` (parts names
 * what runs) when it begins. Returns 0.
 */
int gw_loop(struct gw *gw, const struct gw_hooks *hooks, const char *parts);
/*
 * The daemon (parts.c): gw_open(), the parts opened, gw_drop_privileges(),
 * the parts started, gw_loop(), the parts freed. Returns the exit status:
 * 0 after a clean or deadline shutdown, 1 when start-up failed (the reason
 * is logged: unwritable spool, unknown user, a part that cannot open...).
 */
int gw_run(struct gw *gw);

struct event_base *gw_base(const struct gw *gw);
/* The spool (NULL before gw_open()). */
struct spool *gw_spool(const struct gw *gw);
/*
 * The current config with a hold of the caller's: valid until the matching
 * gw_config_release(). Any thread.
 */
const struct config *gw_config_hold(struct gw *gw);
void gw_config_release(struct gw *gw, const struct config *cfg);

/*
 * Loads the config file again; when it is valid, makes it current, runs
 * the parts' reload() and logs `event=reload result=ok peers=N`;
 * otherwise logs every error and `event=reload result=failed errors=N` and
 * keeps the current one. 0 or -1. Mail thread (SIGHUP calls it).
 */
int gw_reload(struct gw *gw);
/*
 * Begins shutdown (SIGTERM/SIGINT call it): the parts' stop(), then the
 * loop ends as soon as nothing is in flight or after the config's
 * shutdown deadline. A second call ends the wait at once. Mail thread.
 */
void gw_shutdown(struct gw *gw);
/* Work in flight ended: re-check the drain now instead of at the next
 * GW_DRAIN_POLL_MS tick. Mail thread. */
void gw_drain_check(struct gw *gw);
/* 1 once gw_shutdown() began. */
int gw_stopping(const struct gw *gw);
/* When the daemon started, and when its current config was loaded. */
time_t gw_started(const struct gw *gw);
time_t gw_loaded(const struct gw *gw);
/* The config file's path as given (owned by gw). */
const char *gw_config_path(const struct gw *gw);

/* ---- privileges (gateway/priv.c) ---- */

/* uid/gid of user name. 0, or -1 with "user NAME: no such user" in err. */
int gw_priv_lookup(const char *name, uid_t *uid, gid_t *gid, char *err, size_t errlen);
/* setgroups({gid}), setgid, setuid, then checks that real and effective
 * ids are the user's and that getting root back fails. 0 or -1 + err. */
int gw_priv_drop(uid_t uid, gid_t gid, char *err, size_t errlen);

/*
 * Where ARG goes, explained to out step by step from cfg alone (t37gw -t
 * -x ARG, gateway/route.c): a recipient address as the listener and then
 * the offramp take it; a bare number both as mail to FAX=NUMBER and as a
 * call to it. 0 when it would be faxed or answered, else -1.
 */
int gw_route_explain(const struct config *cfg, const char *arg, FILE *out);

#endif
