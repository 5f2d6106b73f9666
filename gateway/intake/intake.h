/*
 * gateway/intake: the offramp's acceptance policy on top of smtp/server.
 *
 * It decides who may send (mta receive allow networks, AUTH users,
 * allow-sender patterns), which recipients are faxable (aliases, RFC 3192
 * addresses, dial-peers, fax deny-patterns, maximum-recipients), and makes
 * every accepted message durable in the spool before the 250 to the final
 * dot: one job per message in queue SPOOL_Q_OFFRAMP holding
 *
 *   msg   the message as received, with our Received: field prepended
 *   env   a spool_rec envelope (keys below)
 *
 * The fsyncs run on a committer thread that commits every job waiting at
 * once (spool_job_commit_many) and then answers their sessions through the
 * event loop, so durability never blocks the loop and costs one batch per
 * burst. A connection lost before the final dot leaves nothing behind.
 *
 * Envelope keys, in order: "version 1", "smtp" (session id, hex), "client"
 * (address), "helo", "tls" (0/1), "auth" (user, only when authenticated),
 * "from" (reverse path, "" for <>), "envid" (xtext as received, optional),
 * "ret" (FULL/HDRS, optional), "body" (7BIT/8BITMIME, optional), "size"
 * (octets of msg), "received" (unix time); then per recipient, in RCPT
 * order: "rcpt" (the address as given) followed by its own "rcpt.kind"
 * ("fax" or "postmaster"), "rcpt.number" (digits, with '+' when E.164),
 * "rcpt.subaddr" (T.33, optional), "rcpt.peer" (the voip dial-peer tag),
 * "rcpt.notify" (NEVER or a comma list; absent when not given),
 * "rcpt.orcpt" (as received, optional), "rcpt.cover" ("yes" or "no" when
 * the address asked with /cover=; the intake keeps one choice per
 * message). Postmaster recipients go to
 * config mta_send.postmaster ("rcpt.forward").
 */
#ifndef T37_GW_INTAKE_H
#define T37_GW_INTAKE_H

#include <stddef.h>


/* ---- RFC 3192 recipient addresses (gateway/faxaddr.c) ----------------- */

#define GW_FAXADDR_DIGITS_MIN 2
#define GW_FAXADDR_DIGITS_MAX 20
#define GW_FAXADDR_SUB_MAX    20

struct gw_faxaddr {
	int postmaster;                         /* postmaster, never dialed */
	int e164;                               /* written with a leading '+' */
	char number[GW_FAXADDR_DIGITS_MAX + 1]; /* digits only */
	char dial[GW_FAXADDR_DIGITS_MAX + 2];   /* number, '+' first when e164 */
	char subaddr[GW_FAXADDR_SUB_MAX + 1];   /* T.33 subaddress or "" */
	int cover;                              /* /cover=yes 1, /cover=no 0, none -1 */
	char domain[256];                       /* the alias it was sent to */
};

enum gw_faxaddr_result {
	GW_FAXADDR_OK = 0,      /* a number (or the postmaster) at an alias */
	GW_FAXADDR_RELAY,       /* not ours to deliver: 550 5.7.1 relaying denied */
	GW_FAXADDR_BADNUMBER,   /* a FAX= / digits form that is malformed: 553 5.1.3 */
	GW_FAXADDR_UNKNOWN,     /* a mailbox name at an alias: 550 5.1.1 */
};

/*
 * Classifies path (an SMTP forward-path without <>, grammar already
 * checked) against the served aliases. Fills fa on GW_FAXADDR_OK.
 */
enum gw_faxaddr_result gw_faxaddr_parse(const char *path, const char *const *aliases,
    size_t naliases, struct gw_faxaddr *fa);

/* ---- the intake (gateway/intake*.c) ------------------------------------ */

struct event_base;
struct config;
struct spool;
struct gw_intake;       /* opaque */

/*
 * Builds the intake from cfg's "mta receive" settings (listeners are not
 * opened yet): loads the auth file and the TLS certificate, starts the
 * committer thread. cfg must outlive the intake or be replaced with
 * gw_intake_set_config() before it is freed; spool is borrowed. NULL with a
 * message in err. Caller frees with gw_intake_free().
 */
struct gw_intake *gw_intake_new(struct event_base *base, const struct config *cfg,
    struct spool *spool, char *err, size_t errlen);
/* Opens every "mta receive listen" address. 0, or -1 with a message in err. */
int gw_intake_start(struct gw_intake *in, char *err, size_t errlen);
/* Listens on one more address (tests, -l overrides). 0 or -1. */
int gw_intake_listen(struct gw_intake *in, const char *addr, const char *port);
struct bufferevent;
/* Serves a session on a connected bufferevent (tests): smtp_server_attach(). */
unsigned long long gw_intake_attach(struct gw_intake *in, struct bufferevent *bev,
    const char *addr);
/*
 * A reloaded config: policy (networks, users, aliases, dial-peers, limits
 * that are policy) applies to every command from now on. Listener
 * addresses, TLS and server limits keep their start-up values. 0, or -1
 * with err (the old config stays in force).
 */
int gw_intake_set_config(struct gw_intake *in, const struct config *cfg,
    char *err, size_t errlen);
/* Shutdown: no new sessions; idle ones get 421 now, the others after
 * their transaction. */
void gw_intake_shutdown(struct gw_intake *in);
/* Sessions plus commits still running (0 when drained). */
unsigned gw_intake_inflight(struct gw_intake *in);
/* Tells fn (on the loop, before the 250 is sent) of every job made durable
 * in SPOOL_Q_OFFRAMP, so its consumer can start at once instead of at its
 * next scan. fn may be NULL. */
typedef void (gw_intake_committed_fn)(void *arg, const char *id);
void gw_intake_set_committed(struct gw_intake *in, gw_intake_committed_fn *fn, void *arg);
/* Stops listening, closes sessions, waits for the committer. Accepts NULL. */
void gw_intake_free(struct gw_intake *in);

#endif
