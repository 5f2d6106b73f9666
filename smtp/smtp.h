/*
 * smtp/: ESMTP server and client state machines on libevent bufferevents,
 * and the small codecs both sides share (xtext of RFC 3461). No policy
 * lives here: the server asks its owner (gateway/) through callbacks, the
 * client is told what to send by its owner.
 */
#ifndef T37_SMTP_H
#define T37_SMTP_H

#include <stddef.h>

/* ---- shared codecs ---------------------------------------------------- */

/* Longest ENVID / ORCPT value accepted (RFC 3461 4.4, 4.2), in xtext form. */
#define SMTP_ENVID_MAX 100
#define SMTP_ORCPT_MAX 500

/*
 * RFC 3461 4 xtext: '+', '=' and octets outside 33..126 become "+XX"
 * (upper-case hex). Encodes len bytes of in into out (NUL-terminated).
 * Returns the encoded length, or -1 when out (size bytes) is too small.
 */
int smtp_xtext_encode(const char *in, size_t len, char *out, size_t size);
/*
 * Decodes xtext; returns the decoded length (out NUL-terminated), or -1 when
 * the input is not valid xtext (a bare '+' / '=' , a bad or lower-case hex
 * pair, an octet outside 33..126) or out is too small.
 */
int smtp_xtext_decode(const char *in, char *out, size_t size);

/* ---- server (smtp/server*.c) ------------------------------------------ */

/* ---- client (smtp/client*.c) ------------------------------------------ */

/*
 * A response-driven ESMTP client for one message to one recipient over one
 * connection (RFC 5321, 1870 SIZE, 2920 PIPELINING, 3207 STARTTLS, 3461
 * DSN, 4954 AUTH PLAIN/LOGIN, 6152 8BITMIME) on the caller's libevent loop.
 * Only reply codes decide what happens; reply text is kept for the log.
 *
 * Outcome classes (the owner's queue acts on them):
 *   SENT       250 after the final dot: the server owns the message.
 *   TEMPFAIL   connection failure, timeout, lost connection, any 4xx, a
 *              protocol error, and server-level refusals (5xx greeting,
 *              HELO, STARTTLS or AUTH, STARTTLS required but not offered,
 *              AUTH refused in clear): try the next server / retry later
 *              (like Postfix's smtp_skip_5xx_greeting and
 *              smtp_sasl_auth_soft_bounce).
 *   PERMFAIL   5xx to MAIL, RCPT, DATA or the final dot; the message is
 *              over the server's SIZE limit or 8-bit to a 7-bit server
 *              (refused without sending).
 */
#include <stdbool.h>
#include <stdint.h>

struct event_base;
struct evdns_base;
struct bufferevent;
typedef struct ssl_ctx_st SSL_CTX;

#define SMTP_CLIENT_REPLY_MAX     512   /* reply text kept for the log */
#define SMTP_CLIENT_LINE_MAX      2048  /* longest reply line accepted */
#define SMTP_CLIENT_REPLY_LINES   100   /* lines in one multi-line reply */
#define SMTP_CLIENT_ADDR_MAX      256   /* RFC 5321 4.5.3.1.3 path */

enum smtp_tls_mode {
	SMTP_TLS_OFF = 0,
	SMTP_TLS_OPPORTUNISTIC,         /* STARTTLS when offered */
	SMTP_TLS_REQUIRED,              /* never send the message in clear */
};

/* Timeouts in milliseconds; 0 takes the RFC 5321 4.5.3.2 default. */
struct smtp_client_timeouts {
	unsigned connect;               /* 30 s */
	unsigned greeting;              /* 5 min */
	unsigned command;               /* EHLO/HELO/STARTTLS/AUTH/QUIT: 5 min */
	unsigned mail;                  /* 5 min */
	unsigned rcpt;                  /* 5 min */
	unsigned data_init;             /* 2 min */
	unsigned data_block;            /* 3 min */
	unsigned data_end;              /* 10 min */
};

struct smtp_client_opts {
	const char *helo_name;          /* required: our FQDN */
	enum smtp_tls_mode tls;
	SSL_CTX *tls_ctx;               /* borrowed; required unless tls is OFF */
	const char *tls_server_name;    /* SNI and, with tls_verify, the name checked */
	bool tls_verify;
	const char *auth_user;          /* NULL: no AUTH */
	const char *auth_pass;
	bool auth_plaintext_ok;         /* AUTH allowed without TLS */
	struct smtp_client_timeouts timeouts;
};

/* The message (all borrowed for the duration of the start call: copied). */
struct smtp_client_msg {
	const char *mail_from;          /* "" = the null reverse-path <> */
	const char *rcpt;               /* required */
	const char *envid;              /* DSN ENVID (raw, sent as xtext); NULL: none */
	const char *notify;             /* DSN NOTIFY list, e.g. "SUCCESS,FAILURE"; NULL: none */
	const char *orcpt;              /* DSN ORCPT address; NULL: rcpt */
	bool ret_hdrs;                  /* DSN RET=HDRS (else RET=FULL when envid given) */
	bool body_8bit;                 /* needs BODY=8BITMIME */
	int fd;                         /* the message, LF or CRLF lines; dup'd */
};

enum smtp_client_status {
	SMTP_CLIENT_SENT = 0,
	SMTP_CLIENT_TEMPFAIL,
	SMTP_CLIENT_PERMFAIL,
};

enum smtp_client_step {
	SMTP_STEP_CONNECT = 0, SMTP_STEP_GREETING, SMTP_STEP_EHLO, SMTP_STEP_HELO,
	SMTP_STEP_STARTTLS, SMTP_STEP_TLS, SMTP_STEP_AUTH, SMTP_STEP_MAIL,
	SMTP_STEP_RCPT, SMTP_STEP_DATA, SMTP_STEP_DOT, SMTP_STEP_QUIT,
};

/* The outcome, as plain data. */
struct smtp_client_result {
	enum smtp_client_status status;
	enum smtp_client_step step;     /* where it was decided */
	int code;                       /* the deciding reply code; 0: none (local) */
	bool timeout;
	char dsn[16];                   /* enhanced status "x.y.z" (reply's or derived) */
	char reply[SMTP_CLIENT_REPLY_MAX];  /* the server's reply, or a local reason */
	char peer_ip[64];               /* the server's address ("" before connect) */
	bool tls;                       /* the session was encrypted */
	bool pipelined;                 /* MAIL/RCPT/DATA went as one group */
	bool dsn_sent;                  /* DSN parameters were sent */
};

/* Called once with the outcome; the client frees itself right after the
 * callback returns (do not cancel it from inside). */
typedef void (*smtp_client_cb)(const struct smtp_client_result *res, void *arg);

struct smtp_client;             /* opaque: one session */

/* Runs a session over bev (connected, e.g. one end of a bufferevent pair);
 * the client owns bev from now on. NULL on bad arguments or ENOMEM (bev
 * is then freed). */
struct smtp_client *smtp_client_start(struct event_base *base,
    struct bufferevent *bev, const struct smtp_client_opts *opts,
    const struct smtp_client_msg *msg, smtp_client_cb cb, void *arg);
/* Connects to host:port (dns may be NULL for numeric hosts) and runs a
 * session. Connection failures arrive through cb. NULL on bad arguments. */
struct smtp_client *smtp_client_connect(struct event_base *base,
    struct evdns_base *dns, const char *host, uint16_t port,
    const struct smtp_client_opts *opts, const struct smtp_client_msg *msg,
    smtp_client_cb cb, void *arg);
/* Drops a session without calling its callback (shutdown). Accepts NULL. */
void smtp_client_cancel(struct smtp_client *c);
const char *smtp_client_step_name(enum smtp_client_step step);
/* An SSL_CTX for client sessions: TLS 1.2+, peer verification against
 * ca_file (NULL: the system store) when verify. Caller frees with
 * SSL_CTX_free(). NULL with a message in err. */
SSL_CTX *smtp_client_tls_ctx_new(bool verify, const char *ca_file, char *err,
    size_t errlen);

#endif
