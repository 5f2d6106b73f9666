/*
 * gateway/ctl: the operator's control socket (t37gwctl). A Unix domain
 * stream socket, created by the run user with mode 0660 (so the service
 * user and its group may use it, nobody else), served on the mail
 * thread's loop. It knows nothing of the commands: the core hands it one
 * function that answers a request (gateway/control.c).
 *
 * The wire is util/ctlwire.h: one JSON line each way, one request per
 * connection. A request that is not the protocol's gets {"ok":false,
 * "error":...} naming what is wrong; a client silent for CTL_TIMEOUT_S is
 * closed; at most CTL_SESSIONS_MAX connections are served at once (more
 * wait in connect() until one ends).
 *
 * Each request is logged with the peer's credentials (SO_PEERCRED):
 *   ctl cmd=retry args="0123..." uid=0 pid=4242 result=ok|error [error=...]
 *
 * Threads: the mail thread only. Not here: what commands mean.
 */
#ifndef T37_GATEWAY_CTL_H
#define T37_GATEWAY_CTL_H

#include <stddef.h>
#include <sys/types.h>

struct event_base;
struct json_object;
struct ctlwire_request;
struct ctl;                     /* opaque: the listening socket and its sessions */

#define CTL_SESSIONS_MAX 16     /* connections served at once */
#define CTL_TIMEOUT_S 10        /* a client that says nothing for this long is closed */

/* Who asked (SO_PEERCRED); -1 each when unknown. */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* ---- the server (server.c) ---- */

/*
 * Answers one request: a JSON value the caller then owns (the server puts
 * it), or NULL with the reason in err. Runs on the mail thread.
 */
typedef struct json_object *(ctl_handler_fn)(void *arg, const struct ctlwire_request *req,
    const struct ctl_peer *peer, char *err, size_t errlen);

/*
 * Creates the socket at path (mode 0660, owned by the calling user) and
 * listens on base. A socket file left by a gateway that is gone is
 * replaced; one a running process answers on, or a file that is not a
 * socket, is an error. NULL with the reason in err.
 */
struct ctl *ctl_new(struct event_base *base, const char *path, ctl_handler_fn *fn,
    void *arg, char *err, size_t errlen);
/* At the very end (requests are answered during the drain too): closes
 * every session, removes the socket file, frees. Accepts NULL. */
void ctl_free(struct ctl *c);
const char *ctl_path(const struct ctl *c);

#endif
