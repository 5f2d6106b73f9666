/*
 * smtp/client_int.h: private to smtp/client*.c. The session structure and
 * the functions the state handlers in client.c and client_ext.c share.
 */
#ifndef T37_SMTP_CLIENT_INT_H
#define T37_SMTP_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "smtp/smtp.h"

struct bufferevent;
struct event;
struct event_base;
struct evdns_getaddrinfo_request;
struct evutil_addrinfo;
struct client_resolve;

#define CLIENT_BODY_CHUNK   (32 * 1024)     /* bytes read from the file at once */
#define CLIENT_BODY_HIGH    (128 * 1024)    /* stop filling the output above */
#define CLIENT_BODY_LOW     (32 * 1024)     /* refill when drained below */
#define CLIENT_CRED_MAX     255             /* AUTH user / password bytes */
#define CLIENT_PIPE_REPLIES 3               /* MAIL, RCPT, DATA */
#define CLIENT_CMD_MAX      1100            /* > 1036 (RFC 3461 command line) */

enum client_state {
	CS_CONNECT = 0, CS_GREETING, CS_EHLO, CS_HELO, CS_STARTTLS, CS_TLS,
	CS_AUTH, CS_AUTH_USER, CS_AUTH_PASS, CS_MAIL, CS_RCPT, CS_DATA,
	CS_PIPE, CS_BODY, CS_DOT, CS_ABORT_DOT, CS_QUIT, CS_DONE, CS_COUNT
};

/* A reply being assembled (one per session; reset after dispatch). */
struct client_reply {
	int code;
	unsigned lines;
	char text[SMTP_CLIENT_REPLY_MAX];       /* "250 2.0.0 Ok ..." lines joined */
	char dsn[16];                           /* "x.y.z" from the first line */
};

/* What the server said it supports in its EHLO reply. */
struct client_caps {
	bool pipelining, dsn, starttls, eightbit, size, auth_plain, auth_login;
	unsigned long long size_max;            /* 0: no limit announced */
};

/* Transaction data: exists from MAIL to the final dot. */
struct client_txn {
	unsigned long long size;                /* octets with CRLF (RFC 1870) */
	off_t off;                              /* next byte of the file to send */
	bool bol;                               /* at the start of a line */
	bool prev_cr;
	unsigned pipe_got;                      /* replies counted in CS_PIPE */
	struct client_reply pipe[CLIENT_PIPE_REPLIES];
};

struct smtp_client {
	struct event_base *base;                /* borrowed */
	struct bufferevent *bev;                /* owned (the TLS filter after STARTTLS) */
	struct event *done_ev;                  /* owned: runs the callback at top level */
	enum client_state state;
	struct smtp_client_timeouts t;          /* defaults filled in */
	enum smtp_tls_mode tls_mode;
	SSL_CTX *tls_ctx;                       /* a reference taken */
	bool tls_verify, tls_active, tls_declined;
	bool auth_plaintext_ok, authed, auth_login;
	char *helo, *server_name, *auth_user, *auth_pass;   /* owned copies */
	char *mail_from, *rcpt, *envid, *orcpt;   /* owned copies */
	unsigned notify;                /* SMTP_NOTIFY_* bits, 0 none */
	bool ret_hdrs, body_8bit;
	int fd;                                 /* owned (dup) */
	struct client_caps caps;
	struct client_reply reply;
	struct client_txn txn;
	struct smtp_client_result res;
	bool res_set;
	smtp_client_cb cb;
	void *arg;
	/* reaching the server (client_connect.c) */
	char *host;                             /* owned; as configured */
	uint16_t port;
	struct client_resolve *resolving;       /* owned by evdns while a query runs */
	struct evdns_getaddrinfo_request *dns_req;   /* that query */
	struct evutil_addrinfo *ai;             /* owned: the server's addresses */
	struct evutil_addrinfo *ai_next;        /* the next one to try */
	unsigned tried;                         /* addresses tried */
	char connect_err[128];                  /* the last connection error */
};

typedef void (*client_enter_fn)(struct smtp_client *);
typedef void (*client_reply_fn)(struct smtp_client *, const struct client_reply *);

/* client.c: the state machine core. */
struct smtp_client *smtp_client_new(struct event_base *base,
    const struct smtp_client_opts *opts, const struct smtp_client_msg *msg,
    smtp_client_cb cb, void *arg);
void smtp_client_free(struct smtp_client *c);
/* smtp_client_fail() for a failure below SMTP (no reply code). */
void smtp_client_fail_layer(struct smtp_client *c, enum smtp_client_layer layer,
    enum smtp_client_status st, enum smtp_client_step step, const char *dsn,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void smtp_client_enter(struct smtp_client *c, enum client_state s);
unsigned smtp_client_timeout(const struct smtp_client *c, enum client_state s);
void smtp_client_send(struct smtp_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void smtp_client_fail(struct smtp_client *c, enum smtp_client_status st,
    enum smtp_client_step step, int code, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void smtp_client_fail_reply(struct smtp_client *c, enum smtp_client_step step,
    const struct client_reply *r, bool server_level);
void smtp_client_finish(struct smtp_client *c);
void smtp_client_after_hello(struct smtp_client *c);
void smtp_client_attach(struct smtp_client *c, struct bufferevent *bev);

/* client_ext.c: STARTTLS, AUTH, and the small codecs. */
void smtp_client_enter_starttls(struct smtp_client *c);
void smtp_client_reply_starttls(struct smtp_client *c, const struct client_reply *r);
void smtp_client_enter_tls(struct smtp_client *c);
void smtp_client_enter_auth(struct smtp_client *c);
void smtp_client_reply_auth(struct smtp_client *c, const struct client_reply *r);
void smtp_client_enter_auth_user(struct smtp_client *c);
void smtp_client_reply_auth_user(struct smtp_client *c, const struct client_reply *r);
void smtp_client_enter_auth_pass(struct smtp_client *c);
void smtp_client_reply_auth_pass(struct smtp_client *c, const struct client_reply *r);
/* One EHLO keyword line (RFC 5321 4.1.1.1) into caps. */
void smtp_client_cap(struct smtp_client *c, const char *text);
void smtp_client_b64(const char *in, size_t len, char *out, size_t size);

/* A DSN NOTIFY list we may send: upper-case words and commas. */

/* client_connect.c: resolving and connecting. */
void smtp_client_connect_failed(struct smtp_client *c, bool timeout);
void smtp_client_connect_free(struct smtp_client *c);

/* client_body.c: the message. */
/* RFC 1870 size of the file (every line end counted as CRLF) into
 * c->txn.size; 0, or -1 after failing the transaction. */
int smtp_client_measure(struct smtp_client *c);
/* CS_BODY: stream the file under the write watermarks, then the dot. */
void smtp_client_enter_body(struct smtp_client *c);
/* Fills the output up to CLIENT_BODY_HIGH; ends with ".\r\n" -> CS_DOT. */
void smtp_client_body_pump(struct smtp_client *c);
/* LF -> CRLF, bare CR -> CRLF, a '.' at the start of a line doubled;
 * out holds at least 2 * n + 2 bytes. Returns the bytes written. */
size_t smtp_client_body_convert(struct client_txn *x, const char *in, size_t n, char *out);

#endif
