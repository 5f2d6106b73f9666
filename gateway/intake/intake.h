/*
 * gateway/intake: the offramp's SMTP listener, its acceptance policy on
 * top of smtp/server and the durability of what it accepts. It decides who
 * may send (mta receive allow networks, AUTH users, allow-sender
 * patterns), which recipients are faxable (aliases, RFC 3192 addresses,
 * dial-peers, fax deny-patterns, maximum-recipients), and makes every
 * accepted message durable in the spool before the 250 to the final dot:
 * one job per message in queue SPOOL_Q_OFFRAMP holding
 *
 *   msg   the message as received, with our Received: field prepended
 *   env   a spool_rec envelope (keys below)
 *
 * The fsyncs run off the loop (util/offload): one batch at a time commits
 * every message that finished meanwhile (spool_job_commit_many), then the
 * sessions get their replies on the loop, so durability never blocks the
 * loop and costs one batch per burst. A connection lost before the final
 * dot leaves nothing behind. It does not parse messages or call anyone:
 * the offramp takes the jobs from the spool.
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
#ifndef T37_INTAKE_H
#define T37_INTAKE_H

#include <stddef.h>
#include <stdio.h>

struct event_base;
struct config;
struct spool;
struct intake;       /* opaque */

/*
 * Builds the intake from cfg's "mta receive" settings (listeners are not
 * opened yet): loads the auth file and the TLS certificate, makes its
 * committer (util/offload). A hold on cfg is taken; spool is borrowed.
 * NULL with a message in err. Caller frees with intake_free().
 */
struct intake *intake_new(struct event_base *base, const struct config *cfg,
    struct spool *spool, char *err, size_t errlen);
/* Opens every "mta receive listen" address. 0, or -1 with a message in err. */
int intake_start(struct intake *in, char *err, size_t errlen);
/*
 * A reloaded config: policy (networks, users, aliases, dial-peers, limits
 * that are policy) applies to every command from now on; a hold on cfg is
 * taken and the old one given up. Listener addresses and TLS keep their
 * start-up values. 0, or -1 with err (the old config stays in force, still
 * held).
 */
int intake_set_config(struct intake *in, const struct config *cfg,
    char *err, size_t errlen);
/* Shutdown: no new sessions; idle ones get 421 now, the others after
 * their transaction. */
void intake_shutdown(struct intake *in);
/* Sessions plus commits still running (0 when drained). */
unsigned intake_inflight(struct intake *in);
/* Tells fn (on the loop, before the 250 is sent) of every job made durable
 * in SPOOL_Q_OFFRAMP, so its consumer can start at once instead of at its
 * next scan. fn may be NULL. */
typedef void (intake_committed_fn)(void *arg, const char *id);
void intake_set_committed(struct intake *in, intake_committed_fn *fn, void *arg);
/* Stops listening, closes sessions, waits for the committer. Accepts NULL. */
void intake_free(struct intake *in);

/*
 * Writes to out, step by step, what the listener would answer to the
 * recipient address `to` with the configuration cfg (offline: no session,
 * no call): the address's meaning, deny-patterns, the dial-peers that let
 * it through, and the RCPT TO reply. 0 when the reply is 250, else -1.
 * dial gets the fax number to call ("" for the postmaster or a refusal).
 */
int intake_route_explain(const struct config *cfg, const char *to, char *dial,
    size_t dialsz, FILE *out);

#endif
