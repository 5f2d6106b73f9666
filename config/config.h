/*
 * config: the t37gw.conf dialect (Cisco IOS style), the immutable config
 * object it loads into, and IOS dial-peer pattern matching.
 *
 * config_load() reads a file, reports EVERY error it finds in one pass as
 * "file:line: message" into a struct config_diag, and returns a complete
 * config only when there was no error. The returned object is never
 * modified afterwards: every default is filled in and every cross-reference
 * (trunk names, inherited settings) is resolved at load time, so readers
 * just read the public fields below through a `const struct config *`.
 * A reload builds a whole new object and swaps it in.
 *
 * This module does not open sockets, drop privileges, or touch the spool;
 * gateway/ does that from the fields here. Only gateway/ includes this
 * header; the other modules take their own option structs.
 *
 * docs/t37gw.conf.5 documents every command, default and limit.
 */
#ifndef T37_CONFIG_H
#define T37_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/log.h"

/* ---- Limits (each a bound checked by the parser) ---- */
#define CONFIG_LINE_MAX          1024   /* bytes in one config line */
#define CONFIG_ARGS_MAX          32     /* words in one config line */
#define CONFIG_STR_MAX           256    /* names, addresses, TEXT, templates */
#define CONFIG_PATH_MAX          1024   /* file and directory names */
#define CONFIG_ADDR_MAX          64     /* a numeric IPv4/IPv6 address */
#define CONFIG_NUMBER_MAX        32     /* digits in a telephone number */
#define CONFIG_PATTERN_MAX       64     /* elements in a dial-peer pattern */
#define CONFIG_PATTERN_TEXT_MAX  96     /* characters of a pattern as written */
#define CONFIG_MAX_LISTEN        8      /* sip listen / mta receive listen lines */
#define CONFIG_MAX_METRICS_LISTEN 2     /* metrics listen lines */
#define CONFIG_SOCKET_PATH_MAX 107      /* a Unix socket's name (sun_path less its NUL) */
#define CONFIG_MAX_CODECS        2      /* pcmu, pcma */
#define CONFIG_MAX_TRUNKS        32
#define CONFIG_MAX_SERVERS       10     /* mta send server (Cisco: 10) */
#define CONFIG_MAX_ALIASES       10     /* mta receive aliases (Cisco: 10) */
#define CONFIG_MAX_RECIPIENTS    1024   /* top of mta receive maximum-recipients */
#define CONFIG_MAX_ALLOW         64     /* mta receive allow CIDR lines */
#define CONFIG_MAX_ALLOW_SENDER  64     /* mta receive allow-sender lines */
#define CONFIG_MAX_SMTP_USERS    64     /* mta receive auth lines */
#define CONFIG_MAX_DENY          128    /* fax deny-pattern lines */
#define CONFIG_MAX_DIAL_PEERS    1024
#define CONFIG_MAX_SIP_ALLOW     64     /* sip allow CIDR lines */
#define CONFIG_CALLING_NAME_MAX  32     /* trunk calling-name characters */
#define CONFIG_MAX_PREFERENCE    10     /* dial-peer preference 0..10 */
#define CONFIG_DIAG_MAX          500    /* errors kept (more are counted) */

/* ---- Ranges of values (inclusive) ---- */
#define CONFIG_DEADLINE_MAX      3600          /* shutdown-deadline seconds */
#define CONFIG_CALLS_MAX         10000         /* max-calls, max-conn */
#define CONFIG_MEDIA_TIMEOUT_MIN 5             /* sip media-timeout seconds */
#define CONFIG_MEDIA_TIMEOUT_MAX 3600
#define CONFIG_RTP_PORT_MIN      1024          /* lowest rtp-ports MIN */
#define CONFIG_EXPIRES_MIN       60            /* trunk register EXPIRES */
#define CONFIG_EXPIRES_MAX       86400
#define CONFIG_TAG_MAX           2147483647UL  /* dial-peer tag (IOS) */
#define CONFIG_RETRY_MIN         10            /* mta send retry, fax send retry DELAY */
#define CONFIG_RETRY_MAX         86400
#define CONFIG_GIVE_UP_MIN       60            /* mta send give-up */
#define CONFIG_GIVE_UP_MAX       (30UL * 86400)
#define CONFIG_SIZE_MIN          1024          /* mta receive maximum-size */
#define CONFIG_SIZE_MAX          (1UL << 30)
#define CONFIG_ATTEMPTS_MAX      100           /* fax send retry ATTEMPTS */
#define CONFIG_PAGES_MAX         1000          /* fax send max-pages */
#define CONFIG_SUBSCRIBER_MAX    20            /* CSI/TSI characters (T.30) */
#define CONFIG_FILENAME_MAX      63            /* mta send filename, with ".tif" */
#define CONFIG_SESSIONS_MAX      20000         /* mta receive maximum-sessions(-per-client) */
#define CONFIG_SESSION_DEADLINE_MIN 10         /* mta receive session-deadline */
#define CONFIG_SESSION_DEADLINE_MAX 86400
#define CONFIG_RATE_MAX          (10UL * 1024 * 1024)  /* mta receive minimum-rate */
#define CONFIG_CALL_RATE_MAX     1000          /* sip max-call-rate per second */
#define CONFIG_RT_PRIORITY_MAX   49            /* sip realtime-priority (SCHED_RR) */
#define CONFIG_SIP_THREADS_MAX   64            /* sip threads (0: one per core) */
#define CONFIG_PREFIX_MAX        4             /* fax numbering national/international prefix */
#define CONFIG_COUNTRY_CODE_MAX  3             /* fax numbering country-code digits */

/* ---- Defaults ---- */
#define CONFIG_DEFAULT_SPOOL            "/var/spool/t37gw"
#define CONFIG_DEFAULT_SHUTDOWN_DEADLINE 30        /* seconds */
#define CONFIG_DEFAULT_SIP_ADDR         "127.0.0.1"
#define CONFIG_DEFAULT_SIP_PORT         5060
#define CONFIG_DEFAULT_RTP_MIN          16384
#define CONFIG_DEFAULT_RTP_MAX          32767
#define CONFIG_DEFAULT_MAX_CALLS        30
#define CONFIG_DEFAULT_MEDIA_TIMEOUT    30
#define CONFIG_DEFAULT_CALL_RATE        10        /* new calls/s from one source */
#define CONFIG_DEFAULT_REGISTER_EXPIRES 3600
#define CONFIG_DEFAULT_SMTP_PORT        25        /* mta send server ... port */
#define CONFIG_DEFAULT_MAX_SIZE         (10L * 1024 * 1024)
#define CONFIG_DEFAULT_MAX_SESSIONS     200       /* mta receive maximum-sessions */
#define CONFIG_DEFAULT_MAX_PER_CLIENT   20        /* ... maximum-sessions-per-client */
#define CONFIG_DEFAULT_SESSION_DEADLINE 3600      /* mta receive session-deadline */
#define CONFIG_DEFAULT_MIN_RATE         500       /* mta receive minimum-rate, octets/s */
#define CONFIG_DEFAULT_RETRY            300       /* mta send retry, seconds */
#define CONFIG_DEFAULT_GIVE_UP          432000    /* mta send give-up: 5 days */
#define CONFIG_DEFAULT_SUBJECT          "Fax Message"
#define CONFIG_DEFAULT_FILENAME         "fax.tif"
#define CONFIG_DEFAULT_MAIL_USER        "fax"
#define CONFIG_DEFAULT_MAX_SPEED        14400
#define CONFIG_DEFAULT_MAX_PAGES        100
#define CONFIG_DEFAULT_RETRY_BUSY       5, 120    /* attempts, delay seconds */
#define CONFIG_DEFAULT_RETRY_NOANSWER   3, 300
#define CONFIG_DEFAULT_RETRY_FAILURE    3, 60

/* The document worker (fax send render-timeout, render-workers,
 * render-memory, max-pixels). */
#define CONFIG_RENDER_TIMEOUT_DEFAULT   60        /* s, wall clock and CPU */
#define CONFIG_RENDER_TIMEOUT_MAX       600
#define CONFIG_RENDER_WORKERS_DEFAULT   4         /* documents at once */
#define CONFIG_RENDER_WORKERS_MAX       32
#define CONFIG_RENDER_MEMORY_DEFAULT    1024      /* MiB per worker */
#define CONFIG_RENDER_MEMORY_MIN        64
#define CONFIG_RENDER_MEMORY_MAX        65536
#define CONFIG_MAX_PIXELS_DEFAULT       1000      /* million image pixels */
#define CONFIG_MAX_PIXELS_MAX           100000
/* Office documents (fax send office-converter, office-timeout,
 * office-memory): LibreOffice, an optional runtime dependency. */
#define CONFIG_OFFICE_CONVERTER_DEFAULT "/usr/bin/soffice"
#define CONFIG_OFFICE_TIMEOUT_DEFAULT   60        /* s, within render-timeout */
#define CONFIG_OFFICE_MEMORY_DEFAULT    1024      /* MiB of address space */

/* ---- Diagnostics ---- */

/*
 * Collects errors as "file:line: message" strings, and warnings as
 * "file:line: warning: message" (a line that is ignored, e.g. IOS
 * platform configuration: the file still loads). The caller owns it:
 * config_diag_init() before use, config_diag_clear() after. When `report`
 * is set it is also called with each message as it is found (e.g. to log
 * it). `count` counts every error, `warnings` every warning; at most
 * CONFIG_DIAG_MAX messages are kept, in line order.
 */
struct config_diag {
	char **msgs;            /* owned; msgs[0..kept-1] */
	bool *warning;          /* owned; warning[i]: msgs[i] is a warning */
	size_t kept;
	size_t cap;
	size_t count;           /* errors seen, kept or not */
	size_t warnings;        /* warnings seen, kept or not */
	void (*report)(void *arg, const char *msg);
	void (*report_warning)(void *arg, const char *msg);  /* NULL: report */
	void *report_arg;
};

void config_diag_init(struct config_diag *diag);
/* Frees every message; the struct may be reused after config_diag_init(). */
void config_diag_clear(struct config_diag *diag);
/* The i-th kept message (i < diag->kept), else NULL. Owned by diag. */
const char *config_diag_get(const struct config_diag *diag, size_t i);
/* Whether the i-th kept message is a warning (false when i is out of range). */
bool config_diag_is_warning(const struct config_diag *diag, size_t i);

/* ---- Dial-peer patterns ---- */

enum config_quant {
	CONFIG_Q_ONE = 0,   /* exactly one digit from the set */
	CONFIG_Q_OPT,       /* '?': zero or one */
	CONFIG_Q_STAR,      /* '%': zero or more; 'T' is a STAR of any digit at the end */
};				/* '+' (one or more) compiles to ONE then STAR */

struct config_pattern_elem {
	uint16_t digits;    /* bit d set: digit d (0..9) matches */
	uint8_t quant;      /* enum config_quant */
};

/*
 * A compiled IOS number pattern: digits, '.', 'T' (at the end), classes
 * "[2-9]" "[^01]", quantifiers '?' '%' '+', and a leading '+' meaning the
 * number must be written in E.164 form with a leading plus.
 */
struct config_pattern {
	char text[CONFIG_PATTERN_TEXT_MAX];       /* as written, for logs */
	struct config_pattern_elem elem[CONFIG_PATTERN_MAX];
	unsigned n_elem;
	bool plus;              /* leading '+' required in the number */
	bool variable;          /* contains T, '%', '?' or a '+' quantifier */
	unsigned explicit_digits;   /* single-digit elements (specificity) */
	unsigned narrowness;    /* sum over other elements of 10 - |set| */
};

/*
 * Compiles an IOS pattern. Returns 0, or -1 with a message (naming the
 * offending character) in err.
 */
int config_pattern_compile(struct config_pattern *p, const char *text,
    char *err, size_t errsize);
/* True when number (any form config_number_digits() accepts) matches p. */
bool config_pattern_match(const struct config_pattern *p, const char *number);

/*
 * Normalizes a telephone number to its digits: separators '-', '.', ' ',
 * '(' and ')' are dropped, a leading '+' is kept. Writes "+1919..." or
 * "1919..." into out. Returns the length, or -1 when the number holds any
 * other character, no digit at all, more than CONFIG_NUMBER_MAX digits,
 * or does not fit out.
 */
int config_number_digits(const char *number, char *out, size_t size);

/* The written forms of one number (config_number_parse). */
#define CONFIG_NUMBER_FORMS 4
#define CONFIG_FORM_MAX (CONFIG_NUMBER_MAX + 2 * CONFIG_PREFIX_MAX + 2)
struct config_number {
	char forms[CONFIG_NUMBER_FORMS][CONFIG_FORM_MAX];   /* '+'? digits */
	unsigned n_forms;       /* forms[0]: as written, separators dropped */
	int e164;               /* index of the E.164 form ("+..."), -1 unknown */
};

/* ---- Enumerations ---- */

enum config_log_dest { CONFIG_LOG_STDERR = 0, CONFIG_LOG_SYSLOG };
enum config_transport { CONFIG_TRANSPORT_UDP = 0, CONFIG_TRANSPORT_TCP };
enum config_t38 { CONFIG_T38_OFF = 0, CONFIG_T38_ON, CONFIG_T38_IMMEDIATE };
enum config_codec { CONFIG_CODEC_PCMU = 0, CONFIG_CODEC_PCMA };
enum config_with_subject {
	CONFIG_WITH_SUBJECT_NONE = 0,
	CONFIG_WITH_SUBJECT_DNIS,       /* $d$ */
	CONFIG_WITH_SUBJECT_ANI,        /* $s$ */
	CONFIG_WITH_SUBJECT_BOTH,
};
enum config_mime { CONFIG_MIME_MIXED = 0, CONFIG_MIME_FAX_MESSAGE };
/* mta send attachment: how a received fax is attached. */
enum config_attach { CONFIG_ATTACH_TIFF = 0, CONFIG_ATTACH_PDF, CONFIG_ATTACH_BOTH };
enum config_tls { CONFIG_TLS_OFF = 0, CONFIG_TLS_OPPORTUNISTIC, CONFIG_TLS_REQUIRED };
enum config_peer_type { CONFIG_PEER_VOIP = 0, CONFIG_PEER_MMOIP };
enum config_match_field { CONFIG_MATCH_INCOMING = 0, CONFIG_MATCH_DESTINATION };
enum config_target_kind {
	CONFIG_TARGET_NONE = 0,
	CONFIG_TARGET_MAILTO,   /* target = address template, without "mailto:" */
	CONFIG_TARGET_SIP,      /* target = URI template, with "sip:" */
	CONFIG_TARGET_TRUNK,    /* target = trunk name; trunk = its index */
};
enum config_asserted_id {
	CONFIG_ASSERTED_NONE = 0,
	CONFIG_ASSERTED_PAI,    /* P-Asserted-Identity (RFC 3325) */
	CONFIG_ASSERTED_PPI,    /* P-Preferred-Identity (RFC 3325) */
};
enum config_image_encoding {
	CONFIG_ENC_PASSTHROUGH = 0, CONFIG_ENC_MH, CONFIG_ENC_MR, CONFIG_ENC_MMR,
};
enum config_image_resolution {
	CONFIG_RES_PASSTHROUGH = 0, CONFIG_RES_STANDARD, CONFIG_RES_FINE,
	CONFIG_RES_SUPERFINE,
};

/* ---- The config object (all fields read-only) ---- */

/* A numeric listen address (sip listen, mta receive listen). */
struct config_listen {
	enum config_transport transport;   /* always TCP for mta receive */
	char addr[CONFIG_ADDR_MAX];        /* as written: "127.0.0.1", "::1" */
	uint16_t port;
	struct sockaddr_storage sa;        /* addr and port, ready for bind() */
	socklen_t salen;
};

/* A client network: mta receive allow CIDR. */
struct config_cidr {
	int family;                 /* AF_INET or AF_INET6 */
	uint8_t addr[16];           /* network bytes, host bits cleared */
	unsigned prefix;            /* 0..32 or 0..128 */
	char text[CONFIG_ADDR_MAX + 8];
};

/* An address built from parts, for mail-from and return-receipt-to. */
struct config_mail_addr {
	char username[CONFIG_STR_MAX];   /* local part; unused when use_ani */
	bool use_ani;                    /* "username $s$": the calling number */
	char hostname[CONFIG_STR_MAX];   /* domain (defaults to hostname) */
};

struct config_user {
	char user[CONFIG_STR_MAX];
	char password[CONFIG_STR_MAX];
};

struct config_trunk {
	char name[CONFIG_STR_MAX];
	char proxy[CONFIG_STR_MAX];      /* "sip:..." (required) */
	char auth_user[CONFIG_STR_MAX];  /* "" when no auth line */
	char auth_password[CONFIG_STR_MAX];
	bool do_register;
	unsigned register_expires;       /* seconds */
	unsigned max_calls;              /* 0: no cap but the sip max-calls */
	enum config_t38 t38;             /* inherited from sip t38 unless set */
	unsigned line;
	/* Who our calls come from (offramp), and who may call us (onramp). */
	char calling_number[CONFIG_NUMBER_MAX + 2];   /* calling-number; "" = none */
	char calling_name[CONFIG_CALLING_NAME_MAX + 1];  /* From display name; "" */
	enum config_asserted_id asserted_id;          /* asserted-id; default none */
	char inbound_user[CONFIG_STR_MAX];            /* inbound-auth; "" = no digest */
	char inbound_password[CONFIG_STR_MAX];
};

struct config_fax_retry {
	unsigned attempts;               /* calls placed in all, the first included, 1..100 */
	unsigned delay;                  /* seconds between attempts */
};

struct config_dial_peer {
	unsigned tag;
	enum config_peer_type type;
	bool has_incoming;
	struct config_pattern incoming;      /* incoming called-number */
	bool has_destination;
	struct config_pattern destination;   /* destination-pattern */
	bool information_fax;                /* information-type fax */
	enum config_target_kind target_kind;
	char target[CONFIG_STR_MAX];         /* see enum config_target_kind */
	int trunk;                           /* index in trunks[], else -1 */
	bool session_protocol_smtp;
	unsigned dsn;                        /* NOTIFY asked for: SMTP_NOTIFY_* bits */
	bool mdn;
	unsigned preference;                 /* 0..CONFIG_MAX_PREFERENCE, lower first */
	unsigned max_conn;                   /* 0: unlimited */
	enum config_image_encoding encoding;
	enum config_image_resolution resolution;   /* standard/fine: pages converted */
	unsigned resolution_line;            /* of "image resolution", 0 if none */
	char description[CONFIG_STR_MAX];    /* shown in the log lines of its calls */
	char clid_number[CONFIG_NUMBER_MAX + 2];  /* voip: clid network-number; "" */
	bool clid_restrict;                  /* voip: clid restrict (Privacy: id) */
	bool shutdown;                       /* never matched */
	unsigned line;                       /* of "dial-peer voice" */
	unsigned target_line;                /* of "session target", 0 if none */
};

struct config {
	char file[CONFIG_PATH_MAX];          /* where it was loaded from */

	/* Global */
	char hostname[CONFIG_STR_MAX];       /* default: gethostname() */
	char spool[CONFIG_PATH_MAX];         /* default CONFIG_DEFAULT_SPOOL */
	enum config_log_dest log_dest;       /* default stderr */
	enum log_level log_level;            /* default LOG_LVL_INFO */
	char user[CONFIG_STR_MAX];           /* privilege drop; "" = none */
	unsigned shutdown_deadline;          /* seconds for in-flight work on SIGTERM */
	char cdr[CONFIG_PATH_MAX];           /* call and job records file; "" = none */
	char control_socket[CONFIG_PATH_MAX];    /* t37gwctl's socket; "" = SPOOL/control */

	/* sip */
	struct {
		struct config_listen listen[CONFIG_MAX_LISTEN];  /* default udp 127.0.0.1 5060 */
		size_t n_listen;
		enum config_t38 t38;                 /* default on */
		enum config_codec codecs[CONFIG_MAX_CODECS];  /* in preference order */
		size_t n_codecs;                     /* default pcmu, pcma */
		unsigned rtp_min, rtp_max;
		unsigned max_calls;
		unsigned media_timeout;              /* seconds with no packet either
		                                        way before the dead-call probe */
		/* Admission of incoming calls: the trunks' addresses and these. */
		struct config_cidr allow[CONFIG_MAX_SIP_ALLOW];
		size_t n_allow;
		unsigned max_call_rate;              /* new calls/s per source address */
		unsigned max_calls_per_source;       /* 0: only max-calls */
		unsigned rt_priority;                /* line thread SCHED_RR; 0: off */
		unsigned threads;                    /* media threads; 0: one per core */
	} sip;

	struct config_trunk trunks[CONFIG_MAX_TRUNKS];
	size_t n_trunks;

	/* mta send: the onramp mail submission */
	struct {
		struct {
			char host[CONFIG_STR_MAX];
			uint16_t port;               /* default 25 */
		} servers[CONFIG_MAX_SERVERS];       /* tried in this order */
		size_t n_servers;
		char maildir[CONFIG_PATH_MAX];       /* "" = none; else deliver there */
		struct config_mail_addr mail_from;   /* default fax@hostname */
		char postmaster[CONFIG_STR_MAX];     /* default postmaster@hostname */
		char subject[CONFIG_STR_MAX];
		enum config_with_subject with_subject;
		bool return_receipt;                 /* return-receipt-to given */
		struct config_mail_addr return_receipt_to;
		char origin_prefix[CONFIG_STR_MAX];  /* "" = none */
		char filename[CONFIG_STR_MAX];       /* attachment name */
		bool filename_date;                  /* add the date to it */
		bool success_fax_only;
		enum config_mime mime;               /* default mixed */
		enum config_tls tls;                 /* default opportunistic */
		bool tls_verify;
		char tls_ca[CONFIG_PATH_MAX];        /* "" = system store */
		char auth_user[CONFIG_STR_MAX];      /* "" = no AUTH */
		char auth_password[CONFIG_STR_MAX];
		bool auth_allow_plaintext;           /* AUTH without TLS */
		unsigned retry;                      /* seconds */
		unsigned give_up;                    /* seconds */
		enum config_attach attachment;       /* default tiff (as Cisco) */
		bool preview;                        /* page 1 as a picture in an
		                                      * HTML alternative */
	} mta_send;

	/* mta receive: the offramp SMTP listener */
	struct {
		struct config_listen listen[CONFIG_MAX_LISTEN];  /* none by default */
		size_t n_listen;                     /* 0: no SMTP listener */
		char aliases[CONFIG_MAX_ALIASES][CONFIG_STR_MAX];
		size_t n_aliases;
		unsigned maximum_recipients;         /* 0 = refuse all mail */
		unsigned long maximum_size;          /* bytes */
		struct config_cidr allow[CONFIG_MAX_ALLOW];  /* default 127.0.0.0/8, ::1 */
		size_t n_allow;
		char allow_sender[CONFIG_MAX_ALLOW_SENDER][CONFIG_STR_MAX];  /* globs */
		size_t n_allow_sender;
		struct config_user users[CONFIG_MAX_SMTP_USERS];
		size_t n_users;
		char auth_file[CONFIG_PATH_MAX];     /* "" = none */
		bool auth_clear;                     /* AUTH offered without TLS */
		char tls_cert[CONFIG_PATH_MAX];      /* "" = no STARTTLS */
		char tls_key[CONFIG_PATH_MAX];
		bool generate_permanent_error;
		bool generate_mdn;
		bool disable_dsn;
		bool bare_newline_normalize;         /* default: reject (521, close) */
		unsigned maximum_sessions;           /* live SMTP sessions */
		unsigned maximum_sessions_per_client;  /* from one client address */
		unsigned session_deadline;           /* seconds a session may last */
		unsigned minimum_rate;               /* octets/s once a timeout's grace is used */
	} mta_receive;

	/* fax receive / fax send */
	struct {
		char called_subscriber[CONFIG_STR_MAX];   /* CSI; "" when $d$ */
		bool called_subscriber_dnis;              /* $d$ (default) */
	} fax_receive;
	struct {
		char transmitting_subscriber[CONFIG_STR_MAX];  /* TSI; "" when $s$ */
		bool transmitting_subscriber_ani;         /* $s$ (default) */
		unsigned max_speed;
		bool ecm;                                 /* default on */
		char left_header[CONFIG_STR_MAX];         /* with $a$ $d$ $p$ $s$ $t$ */
		char center_header[CONFIG_STR_MAX];
		char right_header[CONFIG_STR_MAX];
		bool coverpage;
		char coverpage_comment[CONFIG_STR_MAX];
		bool coverpage_email_controllable;
		bool coverpage_show_detail;
		struct config_fax_retry retry_busy;
		struct config_fax_retry retry_no_answer;
		struct config_fax_retry retry_failure;
		unsigned max_pages;
		bool hold;                                /* accept, spool, do not call */
		unsigned render_timeout;                  /* s per document */
		unsigned render_workers;                  /* documents at once */
		unsigned render_memory;                   /* MiB per worker */
		unsigned max_pixels;                      /* million, images per document */
		char office_converter[CONFIG_PATH_MAX];   /* soffice; "" = none */
		unsigned office_timeout;                  /* s per office document */
		unsigned office_memory;                   /* MiB for LibreOffice */
		bool prefer_text;                         /* alternatives: text/plain */
	} fax_send;
	struct config_pattern deny[CONFIG_MAX_DENY];  /* fax deny-pattern */
	size_t n_deny;
	/* fax numbering: how numbers are written here ("" = not set) */
	struct {
		char country_code[CONFIG_COUNTRY_CODE_MAX + 1];         /* "1", "44" */
		char national_prefix[CONFIG_PREFIX_MAX + 1];            /* "1", "0" */
		char international_prefix[CONFIG_PREFIX_MAX + 1];       /* "011", "00" */
	} numbering;

	/* metrics: the Prometheus /metrics and /healthz listener */
	struct {
		struct config_listen listen[CONFIG_MAX_METRICS_LISTEN];  /* none by default */
		size_t n_listen;                     /* 0: no metrics listener */
	} metrics;

	const struct config_dial_peer *peers;   /* owned; in file order */
	size_t n_peers;
};

/* ---- Loading ---- */

/*
 * Loads and checks a config file. Every error goes to diag (may be NULL).
 * Returns the config (caller frees with config_free()), or NULL when there
 * was any error.
 *
 * Holders: a config may be held by several parts and threads at once (a
 * session keeps the config it started with across a reload). Each holder
 * takes its own hold with config_hold() and gives it up with
 * config_free(); the loader's is the first. The object is freed with the
 * last one. Both are safe on any thread.
 */
struct config *config_load(const char *path, struct config_diag *diag);
/* The same for text in memory; name is used in messages ("name:line: ..."). */
struct config *config_parse_buffer(const char *name, const char *text,
    size_t len, struct config_diag *diag);
/* Gives up one hold (the loader's, or one of config_hold()); the last
 * frees everything the config owns. Accepts NULL. */
void config_free(const struct config *cfg);
/* One more holder of cfg. Returns cfg. */
const struct config *config_hold(const struct config *cfg);
/* Config objects alive in this process (the reload log shows them: an old
 * one lives while a session holds it). */
unsigned config_live(void);

/*
 * Splits one config line in place into words: blanks separate words, a
 * word starting with '!' or '#' starts a comment, "double quotes" keep
 * blanks in a word (\" and \\ escape inside them). Returns the number of
 * words (0 for a blank or comment line), or -1 with a message in err for an
 * unterminated quote, a control character, or more than max words.
 * argv[i] point into line.
 */
int config_tokenize(char *line, char **argv, int max, char *err, size_t errsize);

/* ---- Lookups on a loaded config ---- */

/*
 * The dial-peer of the given type whose pattern in `field` matches number:
 * the most specific pattern wins (more explicit digits, then fixed length
 * over variable, then narrower classes), then the lower preference, then
 * the lower tag. Peers with shutdown are skipped. NULL when none matches or
 * the number is not a valid number. Points into cfg.
 */
const struct config_dial_peer *config_match_peer(const struct config *cfg,
    enum config_peer_type type, enum config_match_field field,
    const char *number);

/* True when a fax deny-pattern denies number (config_number_deny), or it is
 * not a valid number. */
bool config_number_denied(const struct config *cfg, const char *number);

/*
 * Expands a session target template into out: $d$ the called number, $s$
 * the calling number, $m$ the redirecting number (the called one when m is
 * NULL or empty). NULL d/s expand to "". Values may hold only letters,
 * digits, '+', '.', '-' and '_' (nothing that could end or redirect an
 * address). Returns the length written, or -1 when a value holds anything
 * else or the result does not fit (out is then "").
 */
int config_expand_target(const char *tmpl, const char *d, const char *s,
    const char *m, char *out, size_t size);

/*
 * The forms of number that mean the same line, in this order: as written
 * (separators dropped); E.164 ("+" and the digits after a '+', after the
 * international prefix, or the country code and the digits after the
 * national prefix); and, with a country code, as that country dials it
 * (national prefix for its own numbers, international prefix for
 * others'); each once. Only the written form when the number is neither
 * E.164 nor starts with a configured prefix. cfg may be NULL (no numbering
 * plan). 0, or -1 when the number is not a number (config_number_digits).
 */
int config_number_parse(const struct config *cfg, const char *number,
    struct config_number *n);

/*
 * config_match_peer(), and the form of number that the winning pattern
 * matched (the first in config_number_parse() order) into form: the one
 * to dial, since the pattern says how its peer wants numbers written.
 */
const struct config_dial_peer *config_route_number(const struct config *cfg,
    enum config_peer_type type, enum config_match_field field, const char *number,
    char *form, size_t formsize);

/*
 * The fax deny-pattern that denies number, or NULL: one that agrees with a
 * form of the number as far as both go (the number starts with a match,
 * or is the start of one). *invalid is set for a number that is not a
 * number (config_number_denied() denies it).
 */
const struct config_pattern *config_number_deny(const struct config *cfg,
    const char *number, bool *invalid);

/* The trunk named name, or NULL. Points into cfg. */
/* Where the control socket is: `control socket PATH`, else SPOOL/control.
 * 0, or -1 with errno ENAMETOOLONG when that is too long for a Unix
 * socket's name (CONFIG_SOCKET_PATH_MAX). */
#define CONFIG_CONTROL_NAME "control"
int config_control_socket(const struct config *cfg, char *out, size_t size);
const struct config_trunk *config_find_trunk(const struct config *cfg,
    const char *name);

#endif
