/*
 * util/ctlwire: the control socket's wire, shared by the daemon's server
 * (gateway/ctl) and its client (t37gwctl). One request per connection:
 *   client -> gateway   one line, a JSON object, at most
 *                       CTLWIRE_REQUEST_MAX bytes with its LF:
 *                       {"cmd":"queue","args":["failed"]}
 *                       cmd is 1..CTLWIRE_CMD_MAX-1 of [a-z-]; args,
 *                       optional, at most CTLWIRE_ARGS_MAX strings of at
 *                       most CTLWIRE_ARG_MAX-1 bytes, no control characters
 *   gateway -> client   one JSON object and LF, then the gateway closes:
 *                       {"ok":true,"result":...} or {"ok":false,"error":"..."}
 * JSON through json-c (parsing and escaping are its own); the checks here
 * are the protocol's: the shape of the object, the names and the sizes.
 * Also here: how a socket path becomes an address, for both ends.
 */
#ifndef T37_UTIL_CTLWIRE_H
#define T37_UTIL_CTLWIRE_H

#include <stddef.h>
#include <sys/un.h>

struct json_object;

#define CTLWIRE_REQUEST_MAX 4096        /* bytes of a request line, LF included */
#define CTLWIRE_CMD_MAX 32              /* a command name and its NUL */
#define CTLWIRE_ARGS_MAX 8              /* arguments of a request */
#define CTLWIRE_ARG_MAX 512             /* an argument and its NUL */
#define CTLWIRE_RESPONSE_MAX (64u << 20)    /* the client refuses a longer answer */
#define CTLWIRE_ERR_MAX 512             /* an error's text */

struct ctlwire_request {
	char cmd[CTLWIRE_CMD_MAX];
	char args[CTLWIRE_ARGS_MAX][CTLWIRE_ARG_MAX];
	unsigned nargs;
};

/*
 * Parses one request line (len bytes, the LF optional). 0, or -1 with the
 * reason in err ("not JSON: ...", "no \"cmd\" string", "too many
 * arguments (at most 8)", ...).
 */
int ctlwire_request_parse(const char *buf, size_t len, struct ctlwire_request *r,
    char *err, size_t errlen);
/* The request line for cmd and args (LF-terminated, malloc'd; caller
 * frees), or NULL (EINVAL: a cmd or argument the parser would refuse;
 * ENOMEM). */
char *ctlwire_request_format(const char *cmd, const char *const *args, unsigned nargs);
/* The answer line: {"ok":true,"result":result} when result is not NULL
 * (taken: it is put), else {"ok":false,"error":err} (made valid UTF-8).
 * malloc'd, LF at the end; *len its length. NULL on ENOMEM. */
char *ctlwire_response_format(struct json_object *result, const char *err, size_t *len);

/* s as a new JSON string made valid UTF-8 (s is often peer data: numbers
 * from SIP, a remote fax's ident, a server's reply); NULL is "". The
 * caller owns it. For the answers' builders on both sides of the rooms. */
struct json_object *ctlwire_str(const char *s);
/* Adds key: ctlwire_str(s) to o. */
void ctlwire_add_str(struct json_object *o, const char *key, const char *s);

/* path as a Unix socket address. 0, or -1 with "control socket PATH: name
 * longer than N bytes" in err. */
int ctlwire_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen);
/* A connected socket to path, or -1 with the reason in err ("cannot
 * connect to /x/control: Permission denied (only the gateway's user and
 * group may use it)"). */
int ctlwire_connect(const char *path, char *err, size_t errlen);

#endif
