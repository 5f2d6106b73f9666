/*
 * sip/internal: what line.c, call.c and media.c share. Private to sip/.
 *
 * Ownership: struct sip_line is created by sip_line_start() on the
 * caller's thread; its "shared" part is guarded by lock, everything else
 * belongs to the line thread. Every struct sip_call belongs to the line
 * thread and to line->calls; it is freed only from a zero-delay timer
 * (never from inside a libre or spandsp callback).
 */
#ifndef SIP_INTERNAL_H
#define SIP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <re.h>

#include "fax/fax.h"
#include "sip/jbuf.h"
#include "sip/sdp.h"
#include "sip/sip.h"
#include "sip/t38sdp.h"
#include "sip/udptl.h"
#include "util/chan.h"

/* number.c: the user part of a name-addr or addr-spec ("Alice"
 * <sip:+1919@h>;tag=x -> +1919), percent-decoded, truncated to
 * SIP_NUMBER_MAX-1. 0, or -1 if none. */
int sip_number_from_addr(const char *value, size_t len, char *out, size_t outsz);

#define SIP_FRAME_MS 20
#define SIP_FRAME_SAMPLES 160
/* Frames the media clock may fall behind before it skips ahead. */
#define SIP_TICK_MAX_BEHIND 25
/* After phase E, wait this long before BYE (last frames, MCF). */
#define SIP_HANGUP_DELAY_MS 500
/* Stop: time allowed for BYE/CANCEL transactions before exiting. */
#define SIP_STOP_GRACE_MS 2000
#define SIP_SDP_MAX 4096
#define SIP_DATAGRAM_MAX 1500
/* A frame reads a media socket this many datagrams a system call, and at
 * most SIP_MEDIA_RX_MAX in all: 50 a second is the normal rate, and a
 * flood of up to 12,800 a second on a call's port is read and dropped
 * (the rest of a larger one waits in the kernel's buffer, which drops
 * beyond its size) without taking more of a media thread than that. */
#define SIP_MEDIA_RX_BATCH 16
#define SIP_MEDIA_RX_MAX 256
/* How long the dead-call OPTIONS may go unanswered: covers its UDP
 * retransmissions at 0.5, 1, 2 and 4 s (RFC 3261 17.1.2.2). */
#define SIP_PROBE_WAIT_DEFAULT_MS 8000

/* The resource limits a call can be refused for (limits.c). */
enum sip_limit {
	SIP_LIMIT_MAX_CALLS = 0,        /* sip max-calls (486) */
	SIP_LIMIT_DESCRIPTORS,          /* RLIMIT_NOFILE or the poll table (503) */
	SIP_LIMIT_PORTS,                /* no free port in rtp-ports (503) */
	SIP_LIMIT_N,
};

/* How opening a media socket ended (ports.c). */
enum sip_port_status {
	SIP_PORT_OK = 0,
	SIP_PORT_EXHAUSTED,             /* every port of the range is taken */
	SIP_PORT_NOFILE,                /* out of descriptors */
	SIP_PORT_FAILED,                /* another error: the address, memory */
};

/* A command on the line's inbox (caller -> line); the line frees it. */
enum sip_cmd_type {
	SIP_CMD_DIAL = 1,       /* u.dial */
	SIP_CMD_RECONF,         /* u.opts */
	SIP_CMD_QUIT,
};

struct sip_cmd {
	struct chan_msg msg;                    /* first: the chan's link */
	enum sip_cmd_type type;
	union {
		struct sip_dial_request dial;
		struct sip_line_options opts;
	} u;
};

/* A trunk's registration, as its libre handlers know it: the trunk is
 * line->opts.trunks[i], and status goes to line->trunk_status[i]. */
struct sip_reg_ref {
	struct sip_line *line;
	unsigned i;
};

/* What a call shows in sip_line_calls() (status.c). The record lives in
 * its call; le and pub change only under line->lock, and only the line
 * thread changes them (so it reads them without the lock). */
struct sip_status_rec {
	struct le le;                           /* in line->status_calls */
	struct sip_call_status pub;             /* as published */
	char trunk[SIP_NAME_MAX];               /* for the trunks' call counts */
	bool listed;                            /* in line->status_calls */
	int seen_state;                         /* enum sip_call_state published */
};

struct sip_line {
	/* --- shared, under lock --- */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned active;                        /* calls in progress */
	int ready;                              /* thread started (1) or failed (-1) */
	struct list status_calls;               /* struct sip_status_rec (status.c) */
	struct sip_trunk_status trunk_status[SIP_MAX_TRUNKS];
	unsigned ntrunk_status;
	/* --- thread-safe by themselves --- */
	struct chan *inbox;                     /* owned: commands to this line */
	struct chan *events;                    /* the caller's: events it sends */
	struct sip_rxcopy *rxcopy;              /* owned: page copies, then events */
	struct sip_cmd quit_cmd;                /* sip_line_stop()'s message */
	/* --- set before the thread starts, then line thread only --- */
	pthread_t thread;
	struct sip_line_options opts;
	struct sip *sip;
	struct sipsess_sock *sock;
	struct sip_lsnr *lsnr;
	struct sip_lsnr *refuse_lsnr;           /* t38_refuse test peers only */
	struct sip_admit *admit;                /* owned: who may call (admit.c) */
	struct sipreg *reg[SIP_MAX_TRUNKS];
	struct sip_reg_ref reg_ref[SIP_MAX_TRUNKS]; /* their handlers' argument */
	struct sa media_ip;                     /* RTP/UDPTL bind address */
	struct list calls;                      /* struct sip_call */
	struct tmr stop_tmr;
	int quitting;
	/* limits (limits.c) and media ports (ports.c) */
	struct sip_capacity cap;                /* for the current options */
	unsigned ports_held;                    /* media ports our calls hold */
	uint16_t port_cursor;                   /* next port to try */
	unsigned ports_skipped;                 /* the last scan found taken by
	                                           another program */
	unsigned limit_refused[SIP_LIMIT_N];    /* refusals not yet logged */
	bool limit_logged[SIP_LIMIT_N];         /* one logged this interval */
	int sip_fd[SIP_MAX_LISTEN];             /* the UDP listeners' sockets */
	uint32_t sip_drops[SIP_MAX_LISTEN];     /* their overflow drops so far */
	unsigned nsip_fd;
	struct tmr limit_tmr;                   /* summaries, overflow checks */
	/* the media clock (clock.c) */
	unsigned cores;                         /* online cores at the start
	                                           (threads 0: one each) */
	struct sip_lanes *lanes;                /* owned: the media threads */
	struct list clocked;                    /* struct sip_call, by clock_le */
	struct tmr clock_tmr;
	uint64_t next_tick;                     /* absolute tmr_jiffies() deadline */
	void **tick_calls;                      /* owned: this tick's calls */
	unsigned tick_cap;                      /* room in tick_calls */
};

enum sip_call_state {
	SIP_CALL_NEW = 0,
	SIP_CALL_RINGING,       /* incoming: 180 sent, not answered */
	SIP_CALL_DIALING,       /* outgoing: INVITE sent, no final answer */
	SIP_CALL_ACTIVE,        /* answered, media running */
	SIP_CALL_CLOSING,       /* BYE/CANCEL sent or received; result known */
	SIP_CALL_DONE,          /* event posted, waiting to be freed */
};

enum sip_media {
	SIP_MEDIA_NONE = 0,
	SIP_MEDIA_AUDIO,
	SIP_MEDIA_T38,
};

struct sip_call {
	struct le le;                           /* in line->calls */
	struct sip_line *line;                  /* not owned */
	char id[SIP_CALL_ID_MAX];
	enum sip_dir dir;
	enum sip_call_state state;
	uint64_t job_id;
	struct sa src;                          /* where the INVITE (incoming) or the
	                                           answer (outgoing) came from */
	char ani[SIP_NUMBER_MAX], dnis[SIP_NUMBER_MAX], rdnis[SIP_NUMBER_MAX];
	char rx_path[PATH_MAX], tx_path[PATH_MAX];
	struct sip_fax_options fax_opts;
	enum sip_t38_policy t38_policy;         /* effective for this call */
	char trunk[SIP_NAME_MAX];               /* offramp through a trunk: its name */
	char auth_user[SIP_NAME_MAX];           /* the trunk's digest credentials, */
	char auth_password[SIP_NAME_MAX];       /* copied at dial time */
	struct sipsess *sess;                   /* owned (mem_deref) */
	int sip_status;                         /* final status of the INVITE */
	enum sip_cause cause;                   /* set where the end is decided */
	char reason[SIP_REASON_MAX];
	bool ring_only;                         /* never answer (tests) */

	/* SDP */
	struct sip_sdp_local local;
	enum sip_media media;
	int audio_pt;
	struct sip_t38_params t38_peer;         /* the peer's T.38 limits */

	/* RTP (audio): an even port, RTCP on the odd one above (RFC 3550
	 * 11), held so that no other call gets it; RTCP is not used */
	struct udp_sock *rtp;                   /* owned */
	struct udp_sock *rtcp;                  /* owned */
	uint16_t rtp_port;
	uint16_t rtp_seq;
	uint32_t rtp_ssrc;
	struct sa rtp_dst;                      /* where we send: latched */
	struct sa rtp_sdp;                      /* the peer's SDP address */
	bool rtp_latched;
	uint32_t rtp_ts;
	bool rtp_marker;                        /* next packet starts a talkspurt */
	struct sip_jb jb;

	/* UDPTL (T.38) */
	struct udp_sock *udptl;                 /* owned */
	uint16_t udptl_port;
	struct sa udptl_dst;
	struct sa udptl_sdp;
	bool udptl_latched;
	struct sip_udptl_tx *utx;               /* owned; with udptl only */
	struct sip_udptl_rx *urx;               /* owned; with udptl only */

	/* T.38 switch-over */
	bool reinvite_pending;                  /* our T.38 offer is out */
	bool t38_refused;                       /* do not try again */
	int t38_status;                         /* the final status that refused
	                                           it; SIP_T38_REFUSE_SILENT when
	                                           the timer gave up waiting */
	uint32_t reinvite_cseq;                 /* our re-INVITE's CSeq is >= */
	struct tmr reinvite_tmr;

	/* dead-call check (watch.c) */
	struct sip_request *probe_req;          /* the OPTIONS out; libre clears it */
	struct tmr probe_tmr;                   /* its deadline */

	/* fax */
	struct fax_session *fax;                /* owned */
	bool fax_done;
	bool fax_ended_first;                   /* T.30 ended before the call did */
	struct fax_result result;               /* copy at done */
	/* media counters kept when the media closes, for the end event */
	unsigned long rtp_lost, rtp_late, udptl_lost, udptl_recovered;
	/* Datagrams from a source other than the latched one, dropped (a
	 * flood, or another party's packets: RTP bleed). */
	unsigned long rtp_foreign, udptl_foreign;

	/* time */
	struct le clock_le;                     /* in line->clocked */
	bool clocked;                           /* answered, frames running */
	bool tone_t38;                          /* a frame heard a fax tone */
	uint64_t start_ms, answer_ms;
	uint64_t last_rx_ms;                    /* a packet from the peer */
	uint64_t last_tx_ms;                    /* a datagram or a signal from us */
	uint64_t alive_ms;                      /* the peer answered a probe */
	struct tmr ring_tmr;                    /* outgoing no-answer */
	struct tmr hangup_tmr;                  /* BYE after phase E */
	struct tmr free_tmr;                    /* free at the top level */
	bool freeing;
	struct sip_status_rec status;           /* what sip_line_calls() shows */
};

/* line.c */
/* Sends ev to the caller (ownership moves with it). */
void sip_line_post(struct sip_line *line, struct sip_event *ev);
/* "ADDR:PORT", "[V6]:PORT" or "ADDR" (port 5060) into sa: 0 or -1. */
int sip_line_addr(const char *s, struct sa *sa);
void sip_line_call_gone(struct sip_line *line);

/* call.c: SIP signalling of a call */
void sip_call_incoming(struct sip_line *line, const struct sip_msg *msg);
void sip_call_dial(struct sip_line *line, struct sip_dial_request *req);
void sip_call_hangup(struct sip_call *call, enum sip_cause cause, const char *reason);
void sip_call_free(struct sip_call *call);
void sip_call_fax_finished(struct sip_call *call);
void sip_call_want_t38(struct sip_call *call);
/* A final response >= 300 to an INVITE of this call's dialog with CSeq
 * cseq: when it answers our T.38 re-INVITE, the call stays on G.711 now. */
void sip_call_t38_response(struct sip_call *call, const struct sip_msg *msg);

/* status.c: what sip_line_calls() and sip_line_trunks() show */
/* Publishes what changed in the call: listed from its first ring, gone
 * once it is closing. Cheap when nothing changed (no lock): the media
 * clock calls it every frame. */
void sip_status_call(struct sip_call *call);
/* Unlists the call (it is being freed). */
void sip_status_call_gone(struct sip_call *call);
/* The trunks' names after a start or a reload; a trunk keeps its
 * registration state while its name stays at the same place. */
void sip_status_trunks_set(struct sip_line *line);
/* Registration of trunk i was started (err 0) or could not start. */
void sip_status_reg_started(struct sip_line *line, unsigned i, int err);
/* libre's response handler of trunk i's registration: err or msg as it
 * gave them; expires_s is what the registrar granted. */
void sip_status_reg_response(struct sip_line *line, unsigned i, int err,
    const struct sip_msg *msg, uint32_t expires_s);

/* outcome.c: what a call delivered and why it ended */
enum sip_result sip_call_result(const struct sip_call *call);
enum sip_cause sip_call_cause(const struct sip_call *call, enum sip_result res);
/* The cause of a SIP failure before an answer: a final status, or (status
 * 0) the errno libre reported. */
enum sip_cause sip_cause_of_status(int status, int err);

/* watch.c: liveness of answered calls */
void sip_watch_media(struct sip_call *call, uint64_t now);
void sip_watch_stop(struct sip_call *call);
void sip_watch_trace(bool tx, enum sip_transp tp, const struct sa *src,
    const struct sa *dst, const uint8_t *pkt, size_t len, void *arg);
bool sip_watch_refuse_t38(const struct sip_msg *msg, void *arg);

/* limits.c: the limits of the line, and refusals for them */
/* Computes line->cap for the current options (at start and reload). */
void sip_limits_update(struct sip_line *line);
/* Asks for SCHED_RR at o->rt_priority for the calling (line) thread and
 * logs what it got; normal scheduling when it is not permitted. Priority 0
 * is normal scheduling: nothing to do at start, a change back on reload. */
void sip_limits_realtime(const struct sip_line_options *o, int reload);
/* The SIP sockets' receive buffers, and the timer that checks them for
 * overflow and logs refusal summaries. Line thread, after the transports. */
void sip_limits_start(struct sip_line *line);
void sip_limits_stop(struct sip_line *line);
/* A call was refused (call_id, "" before one exists) for limit l; detail
 * is appended to the log line. Logged at once the first time in an
 * interval, then summarized. */
void sip_limit_hit(struct sip_line *line, enum sip_limit l, const char *call_id,
    const char *detail);
const char *sip_limit_name(enum sip_limit l);
/* A call got no media port (status st): a limit (ports, descriptors) is
 * logged as sip_limit_hit does and why gets "ports exhausted
 * (limit=ports)"; 1 then, 0 for another error (why says which). */
int sip_limit_port_refusal(struct sip_line *line, const char *call_id,
    enum sip_port_status st, const char *detail, char *why, size_t whylen);

/* ports.c: media sockets on free ports of the rtp-ports range */
/* Opens one socket (UDPTL) on a free port, or with pair an even port and
 * the odd one above it (RTP, RTCP). The call's frames read *us by its
 * descriptor (libre's poll loop does not watch it); libre reads and drops
 * what comes to *us2. Ports another program holds are skipped; the range
 * is tried once, from where the last call's ports were taken. */
enum sip_port_status sip_ports_open(struct sip_line *line, bool pair, struct udp_sock **us,
    struct udp_sock **us2, uint16_t *port);
/* Closes a socket sip_ports_open gave (NULL is fine); *us becomes NULL. */
void sip_ports_close(struct sip_line *line, struct udp_sock **us);
const char *sip_port_status_name(enum sip_port_status st);

/* rxcopy.c: received pages from memory to the call's file, and the
 * line's events after them, on a thread of their own */
struct sip_rxcopy;
/* A copier forwarding events to events. NULL with err. */
struct sip_rxcopy *sip_rxcopy_new(struct chan *events, char *err, size_t errlen);
/* Copies and forwards everything queued, then frees. Accepts NULL. */
void sip_rxcopy_free(struct sip_rxcopy *w);
/* Queues a copy of the memory file fd (dup'ed; the caller keeps fd) over
 * dest. Any thread. 0, or -1 with errno (nothing queued). */
int sip_rxcopy_page(struct sip_rxcopy *w, const char *call_id, int fd, const char *dest,
    bool last);
/* Copies and events queued, not yet done or forwarded (a snapshot). */
unsigned sip_rxcopy_pending(struct sip_rxcopy *w);
/* Queues ev for the owner's events, after the copies queued before it. */
void sip_rxcopy_post(struct sip_rxcopy *w, struct sip_event *ev);
/* Copies all of src over dest (created 0640 if need be, cut to size, not
 * synced); *size is what was copied. 0, or -1 with err. Copier thread,
 * or a test. */
int sip_rxcopy_file(int src, const char *dest, off_t *size, char *err, size_t errlen);

/* clock.c: the line's 20 ms clock, the calls' frames on the media
 * threads */
/* The media threads for line->opts (at the line's start). 0, or -1. */
int sip_clock_init(struct sip_line *line);
/* `sip threads` or `sip realtime-priority` changed (reload). */
void sip_clock_reconfigure(struct sip_line *line, unsigned threads, unsigned rt_priority);
void sip_clock_close(struct sip_line *line);
/* The call's frames run from the next tick on; stop: no more. */
void sip_clock_start(struct sip_call *call);
void sip_clock_stop(struct sip_call *call);

/* media.c: RTP, UDPTL, the 20 ms clock, the fax session */
enum sip_port_status sip_media_open_audio(struct sip_call *call);
enum sip_port_status sip_media_open_udptl(struct sip_call *call);
void sip_media_set_audio_peer(struct sip_call *call, const struct sip_sdp_media *m);
void sip_media_set_udptl_peer(struct sip_call *call, const struct sip_sdp_media *m);
int sip_media_start_fax(struct sip_call *call, enum sip_media media, char *err, size_t errlen);
int sip_media_switch_t38(struct sip_call *call);
/* One 20 ms frame of the call (arg). A media thread, while the line
 * thread waits (clock.c). */
void sip_media_frame(void *arg);
void sip_media_close(struct sip_call *call);
/* Queues a copy of the pages received so far to rx_path (onramp). */
void sip_media_copy_pages(struct sip_call *call, bool last);

#endif
