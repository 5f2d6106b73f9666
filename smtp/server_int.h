/*
 * smtp/server_int.h: what smtp/server.c (listener, sessions, events,
 * STARTTLS), smtp/server_io.c (framing, the line loop, DATA),
 * smtp/server_limits.c (admission, shedding, deadlines) and
 * smtp/server_cmd.c (the command table) share. Private to smtp/server*.c.
 */
#ifndef T37_SMTP_SERVER_INT_H
#define T37_SMTP_SERVER_INT_H

#include <sys/queue.h>
#include <stdint.h>

#include "smtp/smtp.h"

/* Chunk of unstuffed message octets handed to data_chunk() at once. */
#define SMTP_SESSION_CHUNK   (64 * 1024)
/* Input kept buffered before reading pauses (pipelined commands, DATA). */
#define SMTP_SESSION_RBUF_HIGH (256 * 1024)
/* Waiting for a TLS session's last records to leave: steps and step length. */
#define SMTP_SESSION_LINGER_MAX 200
#define SMTP_SESSION_LINGER_USEC 10000
/* Seconds a closing session waits for its last replies to leave. */
#define SMTP_SESSION_CLOSE_SECS 10
/* Longest EHLO/HELO argument kept. */
#define SMTP_SESSION_HELO_MAX 255
/* Longest AUTH user name kept. */
#define SMTP_SESSION_USER_MAX 255

/* Logging of sheds and refusals: at most this many addresses per window of
 * this many seconds, each once; the rest is summed up in one line. */
#define SMTP_SERVER_LOG_BURST  10
#define SMTP_SERVER_LOG_WINDOW 10

/* Connections the kernel queues for accept() (capped by somaxconn): a
 * flood that outruns the loop for a moment waits here instead of having
 * its SYNs dropped and retried seconds later. */
#define SMTP_SERVER_BACKLOG 1024

/* Live sessions per client (smtp_server_addr_key), for the per-client cap
 * and for choosing whom to shed: one node per client with live sessions. */
#define SMTP_SERVER_CLIENT_BUCKETS 4096
struct smtp_client_count {
	struct smtp_client_count *next; /* in its bucket */
	unsigned n;                     /* live sessions (not closing) */
	char key[64];
};

/* Rate-limited log of sheds and refusals (server_limits.c). */
struct smtp_overload {
	int open;                       /* a window is running */
	unsigned logged;                /* addresses logged in this window */
	char addrs[SMTP_SERVER_LOG_BURST][64];
	unsigned shed, refused_full, refused_addr, unlogged;   /* in this window */
	unsigned paused;                /* times the listeners paused */
	unsigned silent;                /* sessions that ended having sent nothing */
	struct event *ev;               /* owned; ends the window */
};

struct smtp_listener {
	TAILQ_ENTRY(smtp_listener) entry;
	struct evconnlistener *lev;     /* owned */
};

struct smtp_server {
	struct event_base *base;        /* borrowed */
	struct smtp_server_options opt; /* hostname owned (copy) */
	struct smtp_server_callbacks cb;
	void *cbarg;
	unsigned long long next_id;
	unsigned nsessions;             /* all, closing ones included */
	unsigned nlive;                 /* not closing (counted toward a client) */
	int paused;                     /* listeners disabled: too many sockets */
	int stopping;                   /* smtp_server_shutdown() was called */
	struct smtp_overload ovl;
	struct smtp_client_count **clients;     /* owned: SMTP_SERVER_CLIENT_BUCKETS chains */
	TAILQ_HEAD(, smtp_session) sessions;
	TAILQ_HEAD(, smtp_listener) listeners;
};

/* One phase per session; transitions via session_enter_state(). */
enum smtp_phase {
	SMTP_PH_NEW = 0,        /* accepted, greeting not sent yet */
	SMTP_PH_CONNECTED,      /* greeting sent, no EHLO/HELO yet */
	SMTP_PH_TLS,            /* STARTTLS answered, handshake running */
	SMTP_PH_HELO,           /* EHLO/HELO done; a transaction may be open */
	SMTP_PH_AUTH_PLAIN,     /* 334 sent, waiting for the PLAIN response */
	SMTP_PH_AUTH_USER,      /* AUTH LOGIN: waiting for the user name */
	SMTP_PH_AUTH_PASS,      /* AUTH LOGIN: waiting for the password */
	SMTP_PH_BODY,           /* 354 sent, reading message lines */
	SMTP_PH_BODY_WAIT,      /* final dot seen, the owner decides */
	SMTP_PH_QUIT,           /* closing: flush replies, then free */
};

/* A transaction: exists from an accepted MAIL to the end of its DATA. */
struct smtp_txn {
	char mailbuf[SMTP_SERVER_CMDLINE_DEFAULT * 2];  /* storage of mail's strings */
	struct smtp_server_mail mail;
	unsigned rcpts;                 /* accepted recipients */
	int sink_open;                  /* data_start() accepted, no abort/end yet */
	size_t size;                    /* message octets, unstuffed, CRLF counted */
	int in_header;                  /* still in the header section */
	unsigned received;              /* Received: fields seen */
	struct smtp_server_reply error; /* first DATA error (code 0: none) */
	int long_line;                  /* discarding the rest of an overlong line */
	char *chunk;                    /* owned; pending data_chunk() octets */
	size_t chunk_len;
};

struct smtp_session {
	TAILQ_ENTRY(smtp_session) entry;
	struct smtp_server *srv;        /* borrowed */
	unsigned long long id;
	struct bufferevent *bev;        /* owned; TLS filter on top after STARTTLS */
	struct event *ev_free;          /* owned; fires the deferred free */
	enum smtp_phase phase;
	char addr[64];
	char akey[64];                  /* the client it counts as (smtp_server_addr_key) */
	struct smtp_client_count *client;   /* its count while live, else NULL */
	char helo[SMTP_SESSION_HELO_MAX + 1];
	char auth_login_user[SMTP_SESSION_USER_MAX + 1];
	char *auth_user;                /* owned; NULL until AUTH succeeded */
	int esmtp;
	int tls;
	unsigned errors;                /* protocol errors (error budget) */
	unsigned linger;                /* free deferred for TLS output */
	int announced;                  /* connect() was called: end() is due */
	int in_process;                 /* inside session_process() */
	int peer_eof;                   /* the client closed its side: answer what
					 * it sent, then close */
	int line_crlf;                  /* the last line read ended in CRLF */
	/* limits (server_limits.c); times are monotonic milliseconds */
	struct event *ev_deadline;      /* owned: session and rate deadlines */
	uint64_t start_ms;              /* connected */
	uint64_t last_ms;               /* last complete line (idleness) */
	uint64_t req_ms;                /* the current request began */
	uint64_t armed_ms;              /* the deadline timer fires then (0: not set) */
	size_t req_bytes;               /* octets read since */
	unsigned req_grace;             /* seconds before the rate counts */
	int active;                     /* has sent a command (shed rules) */
	unsigned junk;                  /* NOOP RSET VRFY EXPN HELP, greetings again */
	int quiet;                      /* replies logged at debug level */
	int shed;                       /* closed to make room for another */
	int expire;                     /* session deadline passed while committing */
	int bare_lf_seen;               /* a bare LF was normalized (logged once) */
	char *line;                     /* owned; the current input line */
	struct smtp_txn *txn;           /* owned; NULL outside a transaction */
	void *udata;                    /* the owner's, freed by its end() */
	const char *verb;               /* command being answered (for logs) */
};

/* server.c */
const char *smtp_session_phase_name(enum smtp_phase phase);
void smtp_session_timeouts(struct smtp_session *s, unsigned secs);
int smtp_session_shutdown_check(struct smtp_session *s);
const struct smtp_server_options *smtp_server_opts(const struct smtp_server *srv);
const struct smtp_server_callbacks *smtp_server_cbs(const struct smtp_server *srv);
void *smtp_server_cbarg(const struct smtp_server *srv);
void smtp_session_enter_state(struct smtp_session *s, enum smtp_phase phase);
void smtp_session_reply(struct smtp_session *s, int code, const char *enh,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void smtp_session_reply_raw(struct smtp_session *s, const char *text);
void smtp_session_reply_owner(struct smtp_session *s, const struct smtp_server_reply *r,
    int code, const char *enh, const char *text);
void smtp_session_error(struct smtp_session *s);
void smtp_session_close(struct smtp_session *s);
void smtp_session_client(struct smtp_session *s, struct smtp_server_client *c);
void smtp_session_txn_free(struct smtp_session *s);
int smtp_session_starttls(struct smtp_session *s);
void smtp_session_data_begin(struct smtp_session *s);

/* server_limits.c */
uint64_t smtp_now_ms(void);
int smtp_server_limits_init(struct smtp_server *srv);
void smtp_server_limits_free(struct smtp_server *srv);
int smtp_server_admit(struct smtp_server *srv, struct smtp_session *s);
/* The session stops counting toward its client (it is closing or freed). */
void smtp_session_uncount(struct smtp_session *s);
int smtp_session_limits_init(struct smtp_session *s);
void smtp_session_limits_free(struct smtp_session *s);
void smtp_session_request(struct smtp_session *s, unsigned grace);
void smtp_session_consumed(struct smtp_session *s, size_t octets, unsigned lines,
    int progress);
void smtp_session_expire(struct smtp_session *s);

/* server_io.c */
/* Handles every complete line buffered (commands, AUTH lines, DATA). */
void smtp_session_process(struct smtp_session *s);

/* server_cmd.c */
int smtp_session_command(struct smtp_session *s, char *line, size_t len);
void smtp_session_auth_line(struct smtp_session *s, char *line);

/* server_parse.c: a MAIL / RCPT argument ("FROM:<a@b> SIZE=10",
 * "TO:<x@y> NOTIFY=NEVER") as a session parses it. flags are SMTP_PARSE_*:
 * which extensions are on. Strings in m / r point into buf (bufsz >=
 * strlen(arg) + 1). Returns 0, or -1 with the 5xx in reply. */
#define SMTP_PARSE_DSN    0x01          /* RET ENVID NOTIFY ORCPT known */
#define SMTP_PARSE_AUTH   0x02          /* AUTH= known */
#define SMTP_PARSE_NO8BIT 0x04          /* BODY= unknown */
int smtp_server_parse_mail(const char *arg, int flags, size_t max_size,
    struct smtp_server_mail *m, char *buf, size_t bufsz, struct smtp_server_reply *reply);
int smtp_server_parse_rcpt(const char *arg, int flags, struct smtp_server_rcpt *r,
    char *buf, size_t bufsz, struct smtp_server_reply *reply);

#endif
