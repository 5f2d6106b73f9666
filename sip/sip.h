/*
 * sip/: the line thread. A SIP user agent (libre 1.1.0) that answers and
 * places fax calls, carries them over G.711 RTP (fixed jitter buffer) or
 * T.38 UDPTL (redundancy), and runs each call's fax session (fax/).
 *
 * Threads: sip_line_start() creates a line thread, which runs libre's
 * re_main(). Everything SIP, RTP, UDPTL and spandsp of its calls lives on
 * that thread, and real-time work there never waits on the mail side.
 * The caller (the mail thread) and a line thread share nothing mutable;
 * they exchange messages through util/chan channels, whose ownership moves
 * with them:
 *   caller -> line: sip_line_dial(), sip_line_reconfigure(), sip_line_stop()
 *                   copy their argument into a message on the line's own
 *                   inbox, which the line thread watches with fd_listen();
 *   line -> caller: struct sip_event messages on the events chan the caller
 *                   passed to sip_line_start(); the caller watches chan_fd()
 *                   on its loop and takes them with sip_event_next().
 * Several lines may share one events chan: an event names its call (and
 * an offramp call its job), so the caller never needs to know which line
 * sent it.
 *
 * The route callback is the one call into the caller's code on a line
 * thread: it runs there for each incoming INVITE, before any answer, and
 * may run on several line threads at once. It must be thread-safe (what
 * it shares with the mail thread is under its own locks) and must not
 * block: every call on that line thread waits for it, so no disk I/O
 * (the spool's writers log event=blocking-io on a line thread, see
 * util/thread_role.h; gateway/onramp/onramp.h says how the gateway's
 * routes without any). A received file is left as spandsp wrote it: the
 * route's owner rewrites it to Profile S on its own thread.
 *
 * Every call gets an id (12 hex digits) and one log line at its end:
 *   call=<id> dir=onramp|offramp ani= dnis= media=g711|t38 sip=<status>
 *   result= pages= [rate= ecm=] cause= [t30_phase= t30_code=] [t38_refused=]
 *   secs= remote= reason=
 * (rate and ecm only when a fax phase ran, the T.30 fields only when T.30
 * failed).
 */
#ifndef T37_SIP_H
#define T37_SIP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/chan.h"

struct chan;
struct sip_line;

/* Limits of the options below. */
#define SIP_MAX_LISTEN 4
#define SIP_MAX_TRUNKS 16
#define SIP_ADDR_MAX 64              /* "ADDR:PORT", IPv6 as "[ADDR]:PORT" */
#define SIP_URI_MAX 256
#define SIP_NAME_MAX 64
#define SIP_NUMBER_MAX 64
#define SIP_IDENT_MAX 21             /* T.30 TSI/CSI: 20 characters */
#define SIP_CALL_ID_MAX 16
#define SIP_REASON_MAX 160
#define SIP_MAX_ALLOW 64             /* admission: CIDRs besides the trunks */

enum sip_t38_policy {
	SIP_T38_OFF = 0,             /* G.711 only; a peer's T.38 offer gets 488 */
	SIP_T38_ACCEPT,              /* never initiate, accept the peer's switch */
	SIP_T38_ON,                  /* re-INVITE on a fax tone from the peer
	                                (CNG when answering, CED/V.21 preamble
	                                when calling); accept the peer's */
	SIP_T38_IMMEDIATE,           /* T.38 in the initial offer (with audio as
	                                fallback), re-INVITE at once on answer */
};

enum sip_codec {
	SIP_CODEC_PCMU = 0,
	SIP_CODEC_PCMA,
};

/* Which identity header carries the calling number (RFC 3325). */
enum sip_asserted_id {
	SIP_ASSERTED_NONE = 0,
	SIP_ASSERTED_PAI,                /* P-Asserted-Identity */
	SIP_ASSERTED_PPI,                /* P-Preferred-Identity */
};

/* A source network: family AF_INET (addr[0..3]) or AF_INET6. */
struct sip_cidr {
	int family;
	uint8_t addr[16];                /* host bits cleared */
	unsigned prefix;                 /* 0..32 or 0..128 */
};

struct sip_trunk {
	char name[SIP_NAME_MAX];         /* referenced by sip_dial_request.target */
	char domain[SIP_URI_MAX];        /* host[:port] for sip:NUMBER@domain */
	char proxy[SIP_URI_MAX];         /* outbound proxy URI ("" = none) */
	char user[SIP_NAME_MAX];         /* digest user ("" = no auth) */
	char password[SIP_NAME_MAX];
	bool do_register;                /* REGISTER with refresh */
	unsigned register_expiry;        /* seconds (default 3600) */
	unsigned max_calls;              /* 0 = the line's limit only */
	enum sip_asserted_id asserted_id;   /* on calls through this trunk */
	char inbound_user[SIP_NAME_MAX];    /* calls from it must authenticate */
	char inbound_password[SIP_NAME_MAX];    /* with these ("" = they need not) */
};

/*
 * Admission of incoming requests (sip/admit.c), before any call state
 * exists. When enabled, INVITEs and other requests outside a dialog are
 * answered 403 unless their source address is one of the trunks' (their
 * proxy hosts, resolved in the background and again every few minutes) or
 * in allow; a trunk with inbound credentials gets a digest challenge
 * (401); a source gets at most max_call_rate new calls per second and
 * max_calls_per_source calls at once (486 beyond). Refusals are logged
 * once per source and then summarized per interval, so a flood cannot
 * flood the log.
 */
struct sip_admit_options {
	bool enabled;                    /* false: every source may call (t37fax) */
	struct sip_cidr allow[SIP_MAX_ALLOW];
	unsigned nallow;
	unsigned max_call_rate;          /* per source per second; 0 = no limit */
	unsigned max_calls_per_source;   /* 0 = no limit but max_calls */
	char realm[SIP_URI_MAX];         /* digest realm (the gateway's name) */
};

/* Decision of the route callback for an incoming call. */
enum sip_route_action {
	SIP_ROUTE_ACCEPT = 0,            /* answer and receive into rx_path */
	SIP_ROUTE_REJECT_NOT_FOUND,      /* 404 */
	SIP_ROUTE_REJECT_BUSY,           /* 486 */
	SIP_ROUTE_RING_ONLY,             /* 180 and never answer (tests) */
};

struct sip_fax_options {
	char ident[SIP_IDENT_MAX];       /* our TSI/CSI */
	bool ecm;
	unsigned max_rate;               /* 0 = best (14400) */
	bool passthrough;                /* receive: spandsp's own encoding;
	                                    else MH. The line never rewrites
	                                    the file: the route's owner makes
	                                    it Profile S (fax_tiff_profile_s())
	                                    off the line thread */
};

struct sip_route_decision {
	enum sip_route_action action;
	char rx_path[PATH_MAX];          /* the TIFF to receive into */
	struct sip_fax_options fax;
};

/* What is known of an incoming call when it is routed. Strings are
 * NUL-terminated peer data (not escaped), valid during the callback. */
struct sip_call_info {
	const char *call_id;             /* our id */
	const char *dnis;                /* Request-URI user, else To */
	const char *ani;                 /* P-Asserted-Identity, else From */
	const char *rdnis;               /* Diversion ("" if none) */
	const char *peer;                /* source address "ip:port" */
	bool t38_offered;                /* image/t38 in the initial offer */
};

typedef void (sip_route_fn)(const struct sip_call_info *info,
    struct sip_route_decision *decision, void *arg);

struct sip_line_options {
	char listen_udp[SIP_MAX_LISTEN][SIP_ADDR_MAX];
	unsigned nlisten_udp;
	char listen_tcp[SIP_MAX_LISTEN][SIP_ADDR_MAX];
	unsigned nlisten_tcp;
	char media_addr[SIP_ADDR_MAX];   /* RTP/UDPTL address ("" = first listen) */
	enum sip_t38_policy t38;
	enum sip_codec codec;            /* preferred G.711 law */
	uint16_t rtp_port_min, rtp_port_max;
	unsigned max_calls;              /* 486 beyond (default 64) */
	struct sip_trunk trunks[SIP_MAX_TRUNKS];
	unsigned ntrunks;
	unsigned udptl_redundancy;       /* 0..8, default 3 */
	unsigned jitter_ms;              /* fixed playout delay, default 60 */
	unsigned media_timeout_s;        /* dead-call check: after this long with
	                                    no packet either way (default 30) an
	                                    OPTIONS probes the peer; 0 = never */
	unsigned probe_wait_ms;          /* no answer to that OPTIONS in this
	                                    long: the call is dead (8000) */
	unsigned max_call_s;             /* hang up after this (default 1800) */
	unsigned ring_timeout_s;         /* outgoing: no answer -> CANCEL (60) */
	struct sip_admit_options admit;  /* incoming: who may call */
	unsigned reinvite_timeout_ms;    /* no answer to our T.38 re-INVITE ->
	                                    stay on G.711 (default 5000) */
	unsigned rt_priority;            /* the line thread's SCHED_RR priority,
	                                    1..SIP_RT_PRIORITY_MAX; 0 = normal
	                                    scheduling (the default) */
	unsigned threads;                /* threads that run the calls' media,
	                                    the line thread among them; 0 = one
	                                    per core (the default) */
	char user_agent[SIP_NAME_MAX];
	sip_route_fn *route;             /* incoming calls; NULL = 404 all */
	void *route_arg;
	/* Impairment of our own outgoing RTP/UDPTL (t37fax --loss/--jitter). */
	double tx_loss_pct;
	unsigned tx_jitter_ms;
	/* Test peers (t37fax): send no RTP while our audio is silence, as a
	 * peer with voice activity detection does (--silent-rx); answer a
	 * peer's T.38 re-INVITE with this status instead of accepting it
	 * (--t38-refuse), SIP_T38_REFUSE_SILENT never to answer it. */
	bool vad;
	int t38_refuse;
};

#define SIP_T38_REFUSE_SILENT (-1)

/* Highest real-time priority a line asks for (SCHED_RR allows 1..99; the
 * kernel's own threads that matter to the line, such as the network's
 * softirq threads, run at 50 when they are real-time at all). */
#define SIP_RT_PRIORITY_MAX 49

/* Most threads a line runs its calls' media on (threads). */
#define SIP_THREADS_MAX 64

/* Fills the defaults named above; listen list empty. */
void sip_line_options_init(struct sip_line_options *o);

enum sip_dir {
	SIP_DIR_ONRAMP = 0,              /* incoming call, fax received */
	SIP_DIR_OFFRAMP,                 /* outgoing call, fax sent */
};

enum sip_result {
	SIP_RESULT_OK = 0,               /* every page confirmed */
	SIP_RESULT_PARTIAL,              /* some pages confirmed, then failure */
	SIP_RESULT_BUSY,                 /* 486/600 */
	SIP_RESULT_NOANSWER,             /* ring timeout (CANCEL sent) or 408/480 */
	SIP_RESULT_REJECTED,             /* other final 4xx-6xx; see sip_status */
	SIP_RESULT_FAILED,               /* the fax failed; see t30_code */
};

const char *sip_result_name(enum sip_result r);   /* "ok", "busy" ... */

/* Why a call ended, by the layer that ended it; the result says what was
 * delivered (a partial call has the cause of its failure). */
enum sip_cause {
	SIP_CAUSE_NONE = 0,              /* the fax completed */
	SIP_CAUSE_NOANSWER,              /* SIP: ring timeout (CANCEL), 408, 480 */
	SIP_CAUSE_BUSY,                  /* SIP: 486, 600, or a local call limit */
	SIP_CAUSE_REJECTED,              /* SIP: another final 4xx-6xx; sip_status */
	SIP_CAUSE_MEDIA_REFUSED,         /* SIP: 488/415/606 to the INVITE: no
	                                    fax media (T.38, G.711) in common */
	SIP_CAUSE_SIP_TIMEOUT,           /* SIP: no response to the INVITE */
	SIP_CAUSE_NETWORK,               /* transport error before an answer */
	SIP_CAUSE_DEAD_CALL,             /* media: no packet either way and no
	                                    answer to OPTIONS, or the dialog was
	                                    lost (408/481/timeout in dialog) */
	SIP_CAUSE_HANGUP,                /* SIP: the peer hung up (BYE) first */
	SIP_CAUSE_NOT_FAX,               /* T.30: answered, but the far end never
	                                    sent a T.30 frame */
	SIP_CAUSE_T30,                   /* T.30: the procedure failed; t30_phase,
	                                    t30_code and reason say how */
	SIP_CAUSE_LOCAL,                 /* this side: file, ports, limits, call
	                                    duration, shutdown */
};

const char *sip_cause_name(enum sip_cause c);     /* "none", "busy" ... */

/* An outgoing fax call (offramp). Copied by sip_line_dial(). */
struct sip_dial_request {
	uint64_t job_id;                 /* echoed in the events */
	char target[SIP_URI_MAX];        /* "sip:..." URI, or a trunk name */
	char number[SIP_NUMBER_MAX];     /* with a trunk: the called number */
	char from[SIP_NUMBER_MAX];       /* calling number (From user, PAI/PPI) */
	char from_name[SIP_NAME_MAX];    /* From display name ("" = none) */
	bool privacy;                    /* anonymous From, Privacy: id (RFC 3323) */
	struct sip_fax_options fax;      /* ident = TSI */
	bool t38_allowed;                /* false: G.711 only for this call */
	char tx_path[PATH_MAX];          /* normalized TIFF to send */
	unsigned ring_timeout_s;         /* 0 = the line's */
};

enum sip_event_type {
	SIP_EV_FAX_RECEIVED = 1,         /* onramp: pages are in rx_path (comes
	                                    just before CALL_FINISHED) */
	SIP_EV_CALL_FINISHED,            /* every call ends with exactly one */
};

/* A message from a line thread. Plain data; the receiver frees it with
 * free(). */
struct sip_event {
	struct chan_msg msg;             /* first: the channel's link */
	enum sip_event_type type;
	char call_id[SIP_CALL_ID_MAX];
	uint64_t job_id;                 /* offramp: the request's job id */
	enum sip_dir dir;
	char ani[SIP_NUMBER_MAX];
	char dnis[SIP_NUMBER_MAX];
	char rdnis[SIP_NUMBER_MAX];
	char rx_path[PATH_MAX];
	char remote_ident[SIP_IDENT_MAX];    /* far TSI/CSI (peer data) */
	enum sip_result result;
	enum sip_cause cause;
	int sip_status;                  /* final SIP status of the INVITE (200...) */
	int t30_code;                    /* spandsp T30_ERR_*; 0 = OK */
	char t30_phase;                  /* 'A'..'E': where T.30 was at the end;
	                                    0 when no fax session ran */
	bool fax_ran;                    /* a DCS was exchanged: rate and ecm
	                                    describe the image transfer */
	int t38_refused;                 /* our T.38 re-INVITE got this final
	                                    status (SIP_T38_REFUSE_SILENT: no
	                                    answer in time); 0 = not refused */
	char reason[SIP_REASON_MAX];     /* human text for the result */
	unsigned pages;                  /* confirmed pages */
	unsigned pages_total;            /* offramp: pages in the file */
	unsigned rate;                   /* bit/s */
	bool ecm;
	bool t38;                        /* media at the end was T.38 */
	unsigned secs;                   /* call duration */
	/* Wall-clock times of the call (Unix epoch, milliseconds), for call
	 * records: the INVITE, the answer (0: never answered), the end. */
	int64_t start_ms, answer_ms, end_ms;
	/* For the metrics: */
	bool answered;                   /* the call was answered (200 OK) */
	unsigned setup_ms;               /* INVITE to answer, when answered */
	unsigned ecm_retries;            /* ECM: partial pages again (PPR) */
	unsigned long rtp_lost, rtp_late;            /* G.711 jitter buffer */
	unsigned long udptl_lost, udptl_recovered;   /* T.38 packets (redundancy) */
};

/*
 * Starts a line thread with a copy of opts and waits until it listens.
 * Its events go to events (a chan the caller made and watches; it must
 * outlive the line). Returns NULL (errno set, the reason logged) when the
 * thread or the SIP stack cannot start: bad or busy listen address, no
 * media address.
 */
struct sip_line *sip_line_start(const struct sip_line_options *opts, struct chan *events);
/* Queues an outgoing call. 0, or -1 (errno) without memory. */
int sip_line_dial(struct sip_line *line, const struct sip_dial_request *req);
/* New options for new calls (listen addresses are not changed). 0 or -1. */
int sip_line_reconfigure(struct sip_line *line, const struct sip_line_options *opts);
/* Number of calls in progress (approximate, for status). */
unsigned sip_line_active_calls(struct sip_line *line);
/* Page copies and events of ended calls not yet handed to the caller's
 * events chan (a snapshot): work still in flight at shutdown. */
unsigned sip_line_pending(struct sip_line *line);
/* Ends every call (BYE/CANCEL), stops the thread and joins it: every
 * event it had is on the events chan then. Accepts NULL. */
void sip_line_stop(struct sip_line *line);

/*
 * What a line is doing, for the operator (sip/status.c): a snapshot of the
 * calls in progress and of the trunks' registrations, readable from any
 * thread. The line thread publishes a record when something an operator
 * would see changes (answer, training, each page, the media, the far
 * end's ident, the end); a snapshot copies those records under the line's
 * lock and never waits for the calls themselves. Strings are NUL-terminated
 * peer data as received (not escaped).
 */
struct sip_call_status {
	char call_id[SIP_CALL_ID_MAX];
	enum sip_dir dir;
	uint64_t job_id;                 /* offramp: the request's job id */
	char ani[SIP_NUMBER_MAX], dnis[SIP_NUMBER_MAX];
	char peer[SIP_ADDR_MAX];         /* remote signalling address ("" while an
	                                    outgoing call has no answer yet) */
	char remote_ident[SIP_IDENT_MAX];    /* far TSI/CSI once known */
	const char *state;               /* static: "ringing", "answered",
	                                    "training", "sending", "receiving",
	                                    "ending" */
	bool t38;                        /* media now */
	unsigned rate;                   /* bit/s once a DCS was exchanged, else 0 */
	bool ecm;
	unsigned page;                   /* the page being transferred (1-based),
	                                    0 none */
	unsigned pages;                  /* pages confirmed so far */
	int64_t start_ms, answer_ms;     /* Unix epoch ms; answer 0 while ringing */
};

/* Copies the calls in progress on line into out (at most max, oldest
 * first); returns how many there are (may be more than max). A call is
 * listed from its first ring to its end. Any thread. */
size_t sip_line_calls(struct sip_line *line, struct sip_call_status *out, size_t max);

struct sip_trunk_status {
	char name[SIP_NAME_MAX];
	bool do_register;
	const char *state;               /* static: "off" (no registration),
	                                    "registering" (no final answer yet),
	                                    "registered", "failed" (the last
	                                    attempt failed: reason says why; libre
	                                    tries again later) */
	int last_status;                 /* last final response to REGISTER, 0 none */
	int64_t registered_ms, expires_ms;   /* Unix epoch ms of the last 2xx and
	                                    of the end of the time it granted; 0 none */
	char reason[SIP_REASON_MAX];     /* why failed ("403 Forbidden", "Connection
	                                    timed out"); "" otherwise */
	unsigned calls;                  /* outgoing calls in progress through it */
};

/* Copies the line's trunks (in configuration order) into out (at most
 * max); returns how many there are. Any thread. */
size_t sip_line_trunks(struct sip_line *line, struct sip_trunk_status *out, size_t max);

/* The next event on events (caller frees), or NULL. */
struct sip_event *sip_event_next(struct chan *events);
/* Like sip_event_next(), waiting up to timeout_ms for one. */
struct sip_event *sip_event_wait(struct chan *events, int timeout_ms);

/*
 * What a line can carry (sip/limits.c). Each call holds descriptors (an
 * RTP/RTCP socket pair, a UDPTL socket once on T.38, the memory file an
 * incoming fax is received into and spandsp's own descriptor of it) and
 * ports of the rtp-ports range (the pair, and the UDPTL
 * port); the line's poll loop takes descriptors below max_fds only. The
 * line refuses a call beyond calls, saying which limit: max-calls (486),
 * descriptors or ports (503, so that a proxy tries another gateway).
 */
#define SIP_FDS_PER_CALL 5
#define SIP_FD_RESERVE 64            /* SIP sockets, logs, spool files */
#define SIP_LINE_MAX_FDS 65536       /* the poll loop's table (24 B each) */

struct sip_capacity {
	unsigned long long nofile;       /* RLIMIT_NOFILE (soft) */
	unsigned max_fds;                /* descriptors the line can poll */
	unsigned fd_calls;               /* calls those leave room for */
	unsigned ports;                  /* in the rtp-ports range */
	unsigned ports_per_call;         /* 2 (G.711 only) or 3 (with T.38) */
	unsigned port_calls;             /* calls the range holds */
	unsigned max_calls;              /* configured */
	unsigned calls;                  /* the least of the three */
	const char *limit;               /* "max-calls", "descriptors", "ports" */
};

/* Raises the soft RLIMIT_NOFILE to the hard one (every call holds
 * descriptors, so does every SMTP session). *was gets the limit before,
 * *now after. 0, or -1 (errno) when the limit cannot be read or raised
 * (*now is then the limit in force). */
int sip_nofile_raise(unsigned long long *was, unsigned long long *now);
/* The capacity of a line with options o under the descriptor limit
 * nofile (0: the current RLIMIT_NOFILE). */
void sip_capacity_get(const struct sip_line_options *o, unsigned long long nofile,
    struct sip_capacity *c);
/* " calls=N limit=L max-calls=N fds-per-call=N fd-capacity=N
 * rtp-ports=MIN-MAX ports-per-call=N port-capacity=N" for a log line. */
void sip_capacity_format(const struct sip_capacity *c, const struct sip_line_options *o,
    char *buf, size_t size);

#endif
