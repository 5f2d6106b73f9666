/*
 * gateway/ctl: the operator's control socket (t37gwctl). A Unix domain
 * stream socket, created by the run user with mode 0660 (so the service
 * user and its group may use it, nobody else), served on the mail
 * thread's loop. It knows nothing of the commands: the core hands it one
 * function that answers a request (gateway/control.c).
 *
 * The wire (wire.c), one request per connection:
 *   client -> gateway   one line, a JSON object, at most CTL_REQUEST_MAX
 *                       bytes with its LF: {"cmd":"queue","args":["failed"]}
 *                       cmd is 1..CTL_CMD_MAX-1 of [a-z-]; args, optional,
 *                       at most CTL_ARGS_MAX strings of at most
 *                       CTL_ARG_MAX-1 bytes, no control characters
 *   gateway -> client   one JSON object and LF, then the gateway closes:
 *                       {"ok":true,"result":...} or {"ok":false,"error":"..."}
 * A request that is not that gets {"ok":false,"error":...} naming what is
 * wrong; a client silent for CTL_TIMEOUT_S is closed; at most
 * CTL_SESSIONS_MAX connections are served at once (one more gets "busy").
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
struct ctl;                     /* opaque: the listening socket and its sessions */

#define CTL_REQUEST_MAX 4096    /* bytes of a request line, LF included */
#define CTL_CMD_MAX 32          /* a command name and its NUL */
#define CTL_ARGS_MAX 8          /* arguments of a request */
#define CTL_ARG_MAX 512         /* an argument and its NUL */
#define CTL_SESSIONS_MAX 16     /* connections served at once */
#define CTL_TIMEOUT_S 10        /* a client that says nothing for this long is closed */
#define CTL_RESPONSE_MAX (64u << 20)    /* the client refuses a longer answer */
#define CTL_ERR_MAX 512         /* an error's text */

struct ctl_request {
	char cmd[CTL_CMD_MAX];
	char args[CTL_ARGS_MAX][CTL_ARG_MAX];
	unsigned nargs;
};

/* Who asked (SO_PEERCRED); -1 each when unknown. */
struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* ---- the wire (wire.c; the client uses it too) ---- */

/*
 * Parses one request line (len bytes, the LF optional). 0, or -1 with the
 * reason in err ("not JSON: ...", "no \"cmd\"", "too many arguments (at
 * most 8)", ...).
 */
int ctl_request_parse(const char *buf, size_t len, struct ctl_request *r, char *err,
    size_t errlen);
/* The request line for cmd and args (LF-terminated, malloc'd; caller
 * frees), or NULL (EINVAL: a cmd or argument the parser would refuse;
 * ENOMEM). */
char *ctl_request_format(const char *cmd, const char *const *args, unsigned nargs);
/* The answer line: {"ok":true,"result":result} when result is not NULL
 * (taken: it is put), else {"ok":false,"error":err}. malloc'd, LF at the
 * end; *len its length. NULL on ENOMEM. */
char *ctl_response_format(struct json_object *result, const char *err, size_t *len);

/* ---- the server (server.c) ---- */

/*
 * Answers one request: a JSON value the caller then owns (the server puts
 * it), or NULL with the reason in err. Runs on the mail thread.
 */
typedef struct json_object *(ctl_handler_fn)(void *arg, const struct ctl_request *req,
    const struct ctl_peer *peer, char *err, size_t errlen);

/*
 * Creates the socket at path (mode 0660, owned by the calling user) and
 * listens on base. A socket file left by a gateway that is gone is
 * replaced; one a running process answers on, or a file that is not a
 * socket, is an error. NULL with the reason in err.
 */
struct ctl *ctl_new(struct event_base *base, const char *path, ctl_handler_fn *fn,
    void *arg, char *err, size_t errlen);
/* Shutdown began: requests are still answered (an operator watches the
 * drain). Closes every session, removes the socket file, frees. Accepts
 * NULL. */
void ctl_free(struct ctl *c);
const char *ctl_path(const struct ctl *c);

/* ---- the client side (t37gwctl) ---- */

/* A connected socket to path, or -1 with the reason in err ("cannot
 * connect to /x/control: Permission denied (is t37gw running, and may this
 * user use it?)"). */
int ctl_connect(const char *path, char *err, size_t errlen);

#endif
