/*
 * smtp/: ESMTP server and client state machines on libevent bufferevents,
 * and the small codecs both sides share (RFC 3461 xtext and NOTIFY). No policy
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

/* RFC 3461 4.1 NOTIFY, as bits: the one encoding of it in the gateway (the
 * server's RCPT parameter, the client's, the dial-peer's `dsn`, the
 * offramp's recipients, the spool records). 0 means none was given. */
#define SMTP_NOTIFY_NEVER   0x01
#define SMTP_NOTIFY_SUCCESS 0x02
#define SMTP_NOTIFY_FAILURE 0x04
#define SMTP_NOTIFY_DELAY   0x08
#define SMTP_NOTIFY_TEXT_MAX 24     /* "SUCCESS,FAILURE,DELAY" and its NUL */
/*
 * Parses NOTIFY text: "NEVER", or a comma list of SUCCESS, FAILURE and
 * DELAY, each at most once, in any case. Returns the bits, or -1 when the
 * text is empty or malformed (NEVER combined, an unknown or repeated word,
 * an empty item).
 */
int smtp_notify_parse(const char *s);
/* The bits as NOTIFY text ("NEVER", "SUCCESS,DELAY"; "" for 0) in buf
 * (SMTP_NOTIFY_TEXT_MAX is always enough). Returns buf. */
const char *smtp_notify_format(unsigned bits, char *buf, size_t size);

/* ---- server (smtp/server*.c) ------------------------------------------ */

/*
 * The ESMTP listener's protocol engine (RFC 5321 with PIPELINING, SIZE,
 * 8BITMIME, DSN, ENHANCEDSTATUSCODES, STARTTLS, AUTH PLAIN/LOGIN). It owns
 * the sockets, framing, the per-session state machine and the limits given
 * in struct smtp_server_options. It knows no policy: every decision (who may
 * connect, authenticate, send, to whom; where the message goes) is asked of
 * the owner through struct smtp_server_callbacks. Single-threaded: all calls
 * happen on the event_base given to smtp_server_new().
 */
struct event_base;
struct bufferevent;
struct sockaddr;
struct ssl_ctx_st;

struct smtp_server;                     /* opaque: listener + sessions */

/* Defaults and floors of the limits (RFC 5321 4.5.3.1, RFC 3461 5.4). */
#define SMTP_SERVER_CMDLINE_MIN       1036   /* octets incl. CRLF, DSN floor */
#define SMTP_SERVER_CMDLINE_DEFAULT   2048
#define SMTP_SERVER_TEXTLINE_MAX      1000   /* octets incl. CRLF */
#define SMTP_SERVER_RCPT_MIN          100
#define SMTP_SERVER_RECEIVED_DEFAULT  100    /* >= this many Received: -> 554 5.4.6 */
#define SMTP_SERVER_ERRORS_DEFAULT    10
/* Junk commands (NOOP RSET VRFY EXPN HELP, a greeting again) a session may
 * send before each further one counts as an error (Postfix's
 * smtpd_junk_command_limit); they never count as progress when the
 * idlest session is chosen for shedding. */
#define SMTP_SERVER_JUNK_MAX          100
#define SMTP_SERVER_CMD_TIMEOUT       300    /* seconds, RFC 5321 4.5.3.2.7 */
#define SMTP_SERVER_DATA_TIMEOUT      600
#define SMTP_SERVER_SESSIONS_DEFAULT  200    /* live sessions */
#define SMTP_SERVER_DEADLINE_DEFAULT  3600   /* seconds a session may last */
#define SMTP_SERVER_MIN_RATE_DEFAULT  500    /* octets/s after the grace period */
/* At the session cap, a session that has sent a command is shed only after
 * this many seconds without progress (a command other than a junk one, or
 * a message line); inside a transaction, after the second. One that has
 * sent nothing may be shed at any time. */
#define SMTP_SERVER_SHED_IDLE         2
#define SMTP_SERVER_SHED_IDLE_TXN     10
/* Sessions that may exist beyond max_sessions while being refused or shed
 * (each still holds its socket until its 421 is out); at this many more the
 * listeners pause and new connections wait in the kernel's backlog. So the
 * listener holds at most max + SMTP_SERVER_OVERFLOW(max) descriptors. */
#define SMTP_SERVER_OVERFLOW(max)     ((max) / 4 + 64)
#define SMTP_SERVER_PATH_MAX          256    /* RFC 5321 4.5.3.1.3 incl. <> */
#define SMTP_SERVER_LOCAL_MAX         64
#define SMTP_SERVER_DOMAIN_MAX        255
#define SMTP_SERVER_TEXT_MAX          400    /* reply text the owner may give */

/* What a line ending in a bare LF is (server_io.c tells the details). */
enum smtp_bare_newline {
	SMTP_BARE_NEWLINE_REJECT = 0,   /* 521 5.5.2 and close (the default) */
	SMTP_BARE_NEWLINE_NORMALIZE,    /* taken as CRLF; only CRLF.CRLF ends DATA */
};

/* Zero fields take the defaults above. Copied by smtp_server_new(). */
struct smtp_server_options {
	const char *hostname;           /* greeting, EHLO, Received:; required */
	size_t max_message_size;        /* octets; 0 = no limit (no SIZE value) */
	unsigned max_recipients;        /* per transaction; raised to >= 100 */
	unsigned max_sessions;          /* live sessions; at the cap the idlest is
					 * shed or the new one refused (421) */
	unsigned max_sessions_per_addr; /* 0 = no per-address limit */
	unsigned session_deadline;      /* seconds a session may last in all */
	unsigned min_rate;              /* octets/s a command or message must keep
					 * up once its timeout (the grace) is used */
	unsigned max_errors;            /* protocol errors before 421 */
	unsigned max_received;          /* Received: loop limit */
	unsigned cmd_timeout;           /* seconds waiting for a command */
	unsigned data_timeout;          /* seconds between DATA reads */
	size_t cmdline_max;             /* raised to >= SMTP_SERVER_CMDLINE_MIN */
	struct ssl_ctx_st *tls;         /* SSL_CTX for STARTTLS, NULL = none; borrowed */
	int auth;                       /* offer AUTH PLAIN LOGIN */
	int auth_in_clear;              /* ... also before TLS */
	int no_dsn;                     /* do not offer DSN (params then 555) */
	int no_8bitmime;
	int no_pipelining;
	enum smtp_bare_newline bare_newline;
};

/* A reply the owner gives: code 200..599, enhanced code "x.y.z", text. */
struct smtp_server_reply {
	int code;
	char enh[16];
	char text[SMTP_SERVER_TEXT_MAX];
};
/* Fills a reply (text printf-style); returns r. */
struct smtp_server_reply *smtp_server_reply_set(struct smtp_server_reply *r,
    int code, const char *enh, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

enum smtp_server_body { SMTP_BODY_NONE = 0, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };
enum smtp_server_ret { SMTP_RET_NONE = 0, SMTP_RET_FULL, SMTP_RET_HDRS };

/* What the client said about the session, valid during each callback. */
struct smtp_server_client {
	unsigned long long id;          /* session id, never reused */
	const char *addr;               /* numeric client address ("unix" for pairs) */
	const char *helo;               /* EHLO/HELO argument or "" */
	int esmtp;                      /* EHLO (not HELO) */
	int tls;                        /* TLS active */
	const char *auth_user;          /* authenticated user or NULL */
	int shed;                       /* end(): closed to make room for another
					 * connection (the server logged it) */
	int quiet;                      /* end(): no line needed: shed, or silent
					 * while the listener was overloaded (the
					 * server's summary counts it) */
};

/* MAIL FROM, parsed and syntax-checked (RFC 5321 4.1.2, 1870, 6152, 3461). */
struct smtp_server_mail {
	const char *from;               /* path without <>; "" for the null path */
	size_t size;                    /* SIZE=, 0 when absent */
	enum smtp_server_body body;
	enum smtp_server_ret ret;
	const char *envid;              /* xtext as received, or NULL */
	const char *auth;               /* AUTH= xtext as received, or NULL */
};

/* RCPT TO, parsed and syntax-checked. to may hold a source route
 * ("@a,@b:user@dom"): routing policy is the owner's. */
struct smtp_server_rcpt {
	const char *to;                 /* path without <> */
	unsigned notify;                /* SMTP_NOTIFY_* bits, 0 when absent */
	const char *orcpt;              /* "addr-type;xtext" as received, or NULL */
};

/*
 * Owner callbacks. udata is what connect() stored in *udata (owned by the
 * owner; end() is the last call for a session and frees it). A callback
 * that fills reply with a code >= 400 refuses; code 0 leaves the default
 * (220/235/250 ...). None may call back into the server except
 * smtp_server_reply_data() from data_end()'s completion, which may also
 * happen later from any event callback.
 */
struct smtp_server_callbacks {
	/* New session: refuse with a 4xx/5xx reply (sent, then closed). */
	void (*connect)(void *arg, const struct smtp_server_client *c, void **udata,
	    struct smtp_server_reply *reply);
	/* AUTH: 0 = valid credentials, -1 = not (535 5.7.8), 1 = not now,
	 * unchecked (454 4.7.0: the client is throttled). */
	int (*auth)(void *arg, void *udata, const struct smtp_server_client *c,
	    const char *user, const char *password);
	void (*mail)(void *arg, void *udata, const struct smtp_server_client *c,
	    const struct smtp_server_mail *m, struct smtp_server_reply *reply);
	void (*rcpt)(void *arg, void *udata, const struct smtp_server_client *c,
	    const struct smtp_server_rcpt *r, struct smtp_server_reply *reply);
	/* DATA accepted (>= 1 recipient): open a sink; a >= 400 reply refuses. */
	void (*data_start)(void *arg, void *udata, const struct smtp_server_client *c,
	    struct smtp_server_reply *reply);
	/* Message octets, dot-unstuffed, lines ending in CRLF. Called only while
	 * the message is still acceptable. */
	void (*data_chunk)(void *arg, void *udata, const char *buf, size_t len);
	/*
	 * Final dot of an acceptable message. Return 0 with reply filled to
	 * answer now, or 1 to answer later with smtp_server_reply_data() (the
	 * session reads nothing more until then). size = message octets.
	 */
	int (*data_end)(void *arg, void *udata, const struct smtp_server_client *c,
	    size_t size, struct smtp_server_reply *reply);
	/* The open sink is abandoned (message refused, RSET impossible, or the
	 * connection is lost before the final dot): discard everything. */
	void (*data_abort)(void *arg, void *udata);
	/* Session over (any reason); free udata. */
	void (*end)(void *arg, void *udata, const struct smtp_server_client *c);
};

/* Returns NULL on bad options (no hostname) or no memory. Caller frees. */
struct smtp_server *smtp_server_new(struct event_base *base,
    const struct smtp_server_options *opt, const struct smtp_server_callbacks *cb,
    void *arg);
/* Closes the listeners and every session (end() is called for each). */
void smtp_server_free(struct smtp_server *srv);
/* Listens on addr:port (numeric, v4 or v6; port as text). 0 or -1. */
int smtp_server_listen(struct smtp_server *srv, const char *addr, const char *port);
/*
 * Starts a session on a connected bufferevent (takes ownership; freed with
 * the session). addr is the client's address as text. Returns the session id,
 * or 0 when refused at once (bev freed). Used by the listener and by tests.
 */
unsigned long long smtp_server_attach(struct smtp_server *srv, struct bufferevent *bev,
    const char *addr);
/*
 * Completes a data_end() that returned 1. Returns 0, or -1 when the session
 * is gone (the owner logs it; the client never saw a 250).
 */
int smtp_server_reply_data(struct smtp_server *srv, unsigned long long id,
    const struct smtp_server_reply *reply);
/*
 * Shutdown: closes the listeners; sessions outside a transaction get
 * "421 4.3.2" and close now, the others once their transaction ends (the
 * reply to the final dot, RSET, or the client leaving). Irreversible.
 */
void smtp_server_shutdown(struct smtp_server *srv);
/* Number of live sessions. */
unsigned smtp_server_sessions(const struct smtp_server *srv);
/*
 * The client an address stands for, as the per-client limits count it:
 * an IPv4 address as is, an IPv6 address by its /64 ("2001:db8:1:2::/64"),
 * which one host usually holds whole. key gets at most size - 1 characters.
 */
void smtp_server_addr_key(const char *addr, char *key, size_t size);
/*
 * A reload: takes max_sessions, max_sessions_per_addr, session_deadline,
 * min_rate and bare_newline from opt (zero limits take the defaults) for
 * every session from now on; sessions in progress keep the deadlines
 * they run under until their next request.
 */
void smtp_server_set_limits(struct smtp_server *srv, const struct smtp_server_options *opt);

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
	SSL_CTX *tls_ctx;               /* required unless tls is OFF; the client
					 * takes its own reference */
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
	unsigned notify;                /* DSN NOTIFY: SMTP_NOTIFY_* bits; 0: none */
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

/* Which layer a failure happened in (logged as failed=...). */
enum smtp_client_layer {
	SMTP_LAYER_SMTP = 0,            /* a reply, a timeout waiting for one, a
					 * protocol error, or a local refusal */
	SMTP_LAYER_DNS,                 /* the server's name did not resolve */
	SMTP_LAYER_TCP,                 /* no address took the connection, or it was lost */
	SMTP_LAYER_TLS,                 /* the TLS handshake failed */
};
const char *smtp_client_layer_name(enum smtp_client_layer layer);

/* The outcome, as plain data. */
struct smtp_client_result {
	enum smtp_client_status status;
	enum smtp_client_step step;     /* where it was decided */
	enum smtp_client_layer layer;   /* of a failure */
	int code;                       /* the deciding reply code; 0: none (local) */
	bool timeout;
	char dsn[16];                   /* enhanced status "x.y.z" (reply's or derived) */
	char reply[SMTP_CLIENT_REPLY_MAX];  /* the server's reply, or a local reason */
	char peer_ip[64];               /* the server's address being tried or used
					 * ("" when the name did not resolve) */
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
/* Resolves host (dns may be NULL for numeric hosts), connects to each of
 * its addresses in turn until one answers (RFC 5321 5.1) and runs a
 * session. Failures, even immediate ones, arrive through cb (from the
 * loop, never from inside this call). NULL on bad arguments. */
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
