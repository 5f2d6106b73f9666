/*
 * gateway/offramp: delivery of accepted offramp mail as fax calls.
 *
 * Sections, each in its own file:
 *   retry ladder      offramp_retry.c  a pure state machine per recipient:
 *                     from each call's outcome, call again (when, stepping
 *                     down T.38 -> G.711 -> ECM off -> 9600 after fax
 *                     failures) or stop; NOTIFY rules; the state record
 *   PDF               offramp_pdf.c    Ghostscript, sandboxed and timed
 *   job               offramp_job.c    the intake's envelope, progress,
 *                                      the DSN/MDN a job owes
 *   render            offramp_render.c message parts -> one fax document
 *   worker            offramp_worker.c the process that parses and renders
 *                     offramp_spawn.c  (and its daemon side, and what they
 *                     offramp_wire.c   say to each other)
 *   calls             offramp_call.c   config, dial requests, SIP outcomes,
 *                                      call admission
 *   order             offramp_order.c  jobs to one number in arrival order
 *   runner            offramp_run.c    the offramp on the mail thread
 *                     offramp_prep.c   (preparing documents, poison jobs)
 * The ladder, job and call pieces do no I/O and read no clock: times are
 * passed in, so they are tested without a network.
 */
#ifndef T37_GW_OFFRAMP_H
#define T37_GW_OFFRAMP_H

#include <limits.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mime/mime.h"

struct mime_dsn_rcpt;

/* ---- policy (`fax send retry ...`) ------------------------------------ */

/* The classes of a failed call that are worth another call. */
enum gw_fail_class {
	GW_FAIL_BUSY = 0,     /* SIP 486/600, "user busy" */
	GW_FAIL_NOANSWER,     /* no answer, 480/408, no fax tone */
	GW_FAIL_FAILURE,      /* T.30 failure or dropped call */
	GW_FAIL_NCLASS,
};

/* Defaults: busy 5 calls 120 s apart, no answer 3 x 300 s, failure 3 x 60 s. */
#define GW_RETRY_BUSY_ATTEMPTS 5
#define GW_RETRY_BUSY_DELAY 120
#define GW_RETRY_NOANSWER_ATTEMPTS 3
#define GW_RETRY_NOANSWER_DELAY 300
#define GW_RETRY_FAILURE_ATTEMPTS 3
#define GW_RETRY_FAILURE_DELAY 60
#define GW_RETRY_ATTEMPTS_MAX 100       /* configurable range 1..100 */
#define GW_RETRY_DELAY_MAX 86400        /* configurable range 1..86400 s */
#define GW_RETRY_MAX_AGE 86400          /* a job gives up a day after arrival */
#define GW_RETRY_CALL_MAX 1800          /* longest call, for retry estimates */

struct gw_retry_policy {
	unsigned attempts[GW_FAIL_NCLASS];   /* calls per class, the first included */
	unsigned delay[GW_FAIL_NCLASS];      /* seconds between calls */
	unsigned max_age;                    /* seconds after arrival */
	int permanent_error;                 /* `mta receive generate permanent-error` */
};

void gw_retry_policy_default(struct gw_retry_policy *p);
/*
 * `fax send retry CLASS ATTEMPTS DELAY`: CLASS is busy, no-answer or
 * failure. 0, or -1 with a message in err when the class is unknown or a
 * number is out of range.
 */
int gw_retry_policy_set(struct gw_retry_policy *p, const char *cls,
    unsigned attempts, unsigned delay, char *err, size_t errlen);

/* ---- NOTIFY (RFC 3461 4.1) -------------------------------------------- */

#define GW_NOTIFY_NEVER   0x0
#define GW_NOTIFY_SUCCESS 0x1
#define GW_NOTIFY_FAILURE 0x2
#define GW_NOTIFY_DELAY   0x4
/* No NOTIFY given: failures only (RFC 3461 6.1 allows DELAY; we do not). */
#define GW_NOTIFY_DEFAULT GW_NOTIFY_FAILURE

/* "NEVER" or a comma list of SUCCESS, FAILURE, DELAY (any case); NULL ->
 * GW_NOTIFY_DEFAULT. -1 when malformed (NEVER combined, unknown word). */
int gw_notify_parse(const char *s);

/* ---- per-recipient state ---------------------------------------------- */

enum gw_rcpt_phase {
	GW_RCPT_READY = 0,    /* to be called at next_at */
	GW_RCPT_DIALING,      /* a call is in progress (persisted before dialing) */
	GW_RCPT_DELIVERED,    /* final: every page confirmed */
	GW_RCPT_FAILED,       /* final */
};

/* The step-down levels, applied to the calls after a fax failure. */
enum gw_stepdown {
	GW_STEP_NONE = 0,
	GW_STEP_G711,         /* no T.38: audio pass-through */
	GW_STEP_NO_ECM,       /* and ECM off */
	GW_STEP_9600,         /* and at most 9600 bit/s (V.29) */
};

#define GW_RETRY_STATUS_MAX 12
/* Holds a whole parser or renderer diagnostic (MIME_ERRTEXT_MAX). */
#define GW_RETRY_DIAG_MAX 1024
#define GW_RETRY_WHY_MAX 96
#define GW_RETRY_CSI_MAX 24

struct gw_rcpt_retry {
	enum gw_rcpt_phase phase;
	unsigned notify;                      /* GW_NOTIFY_* bits */
	unsigned attempts;                    /* calls placed */
	unsigned count[GW_FAIL_NCLASS];       /* calls that ended in each class */
	unsigned level;                       /* enum gw_stepdown */
	int last_class;                       /* enum gw_fail_class of the last failure, -1 none */
	int permanent;                        /* failed without retry (404, policy, content) */
	time_t next_at;                       /* READY: not before */
	time_t last_attempt;                  /* start of the last call, 0 none */
	unsigned pages_sent, pages_total;     /* of the last call */
	unsigned duration;                    /* seconds of the last call */
	char status[GW_RETRY_STATUS_MAX];     /* last/final RFC 3463 status */
	char diag[GW_RETRY_DIAG_MAX];         /* last cause, by layer: "SIP 503 ...",
	                                         "T.30 phase D code 52: ..." */
	char why[GW_RETRY_WHY_MAX];           /* the same in plain words, for the
	                                         sender ("" = the class's words) */
	unsigned why_same;                    /* calls in a row that ended so */
	char csi[GW_RETRY_CSI_MAX];           /* remote CSI of the last call */
	int delay_reported;                   /* the DELAY DSN went out */
	int final_reported;                   /* covered by a final DSN (or none due) */
	int mdn_sent;                         /* RFC 8098: at most one */
};

/* The outcome of one call, as the line thread reports it. */
enum gw_call_outcome {
	GW_CALL_OK = 0,       /* MCF on the last page */
	GW_CALL_BUSY,
	GW_CALL_NOANSWER,
	GW_CALL_FAILED,       /* T.30 failure, dropped or partial call */
	GW_CALL_PERMANENT,    /* 404/484 unallocated, 403/603 policy: no retry */
};

struct gw_call_result {
	enum gw_call_outcome outcome;
	const char *status;    /* GW_CALL_PERMANENT: its status ("5.1.1"); else NULL */
	const char *diag;      /* the cause by layer (SIP, network, media, T.30), or NULL */
	const char *words;     /* the cause in plain words for the sender, or NULL */
	int no_step;           /* GW_CALL_FAILED that says nothing about the fax
	                          media (no SIP answer, network): no step-down */
	unsigned pages_sent, pages_total, duration;
	const char *csi;       /* remote CSI or NULL */
};

/* What the ladder decided after a result. */
enum gw_retry_event {
	GW_RETRY_ERROR = -1,  /* the result did not fit the state (ignored) */
	GW_RETRY_DELIVERED = 0,
	GW_RETRY_FAILED,
	GW_RETRY_AGAIN,       /* READY again at next_at */
};

/* The call settings from the dial-peer and `fax send`, before step-down. */
struct gw_call_params {
	int t38;              /* offer T.38 */
	int ecm;
	unsigned max_speed;   /* bit/s */
};

/* A new recipient, ready at now. */
void gw_retry_init(struct gw_rcpt_retry *r, unsigned notify, time_t now);
/* Fails a recipient before any call (content 5.6.1, policy 5.7.1, limits
 * 5.3.4): final at once. status is an RFC 3463 code, diag plain words. */
void gw_retry_fail_now(struct gw_rcpt_retry *r, const char *status,
    const char *diag);
/* Is a call due now? */
int gw_retry_due(const struct gw_rcpt_retry *r, time_t now);
/* READY -> DIALING: counts the attempt. Persist the state, then dial.
 * -1 when not READY. */
int gw_retry_dial(struct gw_rcpt_retry *r, time_t now);
/* The settings for the next call: base stepped down to r's level. */
void gw_retry_call_params(const struct gw_rcpt_retry *r,
    const struct gw_call_params *base, struct gw_call_params *out);
/*
 * DIALING -> DELIVERED / FAILED / READY from the outcome of the call.
 * arrival is when the message was accepted (max_age counts from it).
 */
enum gw_retry_event gw_retry_result(struct gw_rcpt_retry *r,
    const struct gw_retry_policy *p, const struct gw_call_params *base,
    const struct gw_call_result *res, time_t arrival, time_t now);
/*
 * After a restart: a recipient left DIALING had a call in progress when the
 * gateway stopped. Its outcome is unknown, so it is called again (delivery
 * is at-least-once: the remote machine may get the pages twice); the lost
 * call counts as a failure so that a crash loop cannot dial forever.
 * Returns the event as gw_retry_result() would; GW_RETRY_AGAIN for a
 * recipient that was not DIALING (nothing changes).
 */
enum gw_retry_event gw_retry_recover(struct gw_rcpt_retry *r,
    const struct gw_retry_policy *p, time_t arrival, time_t now);
/* Upper bound of when this recipient gives up (Will-Retry-Until). */
time_t gw_retry_until(const struct gw_rcpt_retry *r,
    const struct gw_retry_policy *p, time_t arrival);
/* Plain words for the last failure ("the line was busy", "the receiving
 * fax machine did not confirm a page"), or NULL. */
const char *gw_retry_reason(const struct gw_rcpt_retry *r);
/* Is s an RFC 3463 status code (class.subject.detail, class 2, 4 or 5)? */
int gw_retry_status_valid(const char *s);

/* ---- notifications for a job (a message and its recipients) ---------- */

struct gw_dsn_policy {
	int disable_dsn;      /* `mta receive disable-dsn`: no DSN at all */
};

/*
 * Which recipients go into a DSN now; their indexes are written to idx
 * (n entries at most) and the count returned, 0 when none is due.
 * Final DSN: only once every recipient is final (one DSN per message
 * covering every outcome), for each recipient not yet reported whose
 * NOTIFY asks for its outcome (SUCCESS / FAILURE). Delay DSN: recipients
 * waiting for a retry with NOTIFY DELAY not yet told. Never for the null
 * sender ("") or with disable-dsn.
 */
size_t gw_retry_final_dsn(const struct gw_rcpt_retry *rs, size_t n,
    const struct gw_dsn_policy *dp, const char *sender, size_t *idx);
size_t gw_retry_delay_dsn(const struct gw_rcpt_retry *rs, size_t n,
    const struct gw_dsn_policy *dp, const char *sender, size_t *idx);
/* Every recipient final? */
int gw_retry_all_final(const struct gw_rcpt_retry *rs, size_t n);
/* The earliest next_at of READY recipients, or 0 when none is waiting. */
time_t gw_retry_next_wakeup(const struct gw_rcpt_retry *rs, size_t n);
/*
 * Fills the outcome fields of a DSN recipient (action, status, reason,
 * diagnostic, pages, CSI, duration, attempts, times) from r; the address
 * fields (final_rcpt, orcpt, number) are the caller's. Strings point into
 * r. A READY recipient is reported as delayed.
 */
void gw_retry_dsn_rcpt(const struct gw_rcpt_retry *r,
    const struct gw_retry_policy *p, time_t arrival, struct mime_dsn_rcpt *out);

/* ---- persistence ------------------------------------------------------ */

/* Longest encoded state (one line, no newline): the diagnostic and the
 * plain words may triple in xtext. */
#define GW_RETRY_ENC_MAX 5120

/*
 * r as one line of "key=value" words (text values in RFC 3461 xtext) for
 * the job's spool record. Returns the length, or -1 when buf is too small.
 */
int gw_retry_encode(const struct gw_rcpt_retry *r, char *buf, size_t size);
/* Parses gw_retry_encode()'s output strictly; 0, or -1 on any defect. */
int gw_retry_decode(const char *line, struct gw_rcpt_retry *r);

/* ---- PDF to fax pages with Ghostscript (gateway/offramp_pdf.c) -------- */

struct mime_error;

#define GW_PDF_GS_PATH "/usr/bin/gs"
#define GW_PDF_TIMEOUT_DEFAULT 60      /* seconds for one document */
#define GW_PDF_MAX_PAGES_DEFAULT 100

struct gw_pdf_opts {
	const char *gs_path;     /* NULL: GW_PDF_GS_PATH */
	unsigned max_pages;      /* 0: GW_PDF_MAX_PAGES_DEFAULT */
	unsigned timeout;        /* seconds; 0: GW_PDF_TIMEOUT_DEFAULT */
	int keep_group;          /* Ghostscript stays in the caller's process
	                          * group (a worker that is killed as a group) */
};

/*
 * Renders the PDF at pdf into a multi-page TIFF at tiff_out (G4, 204x196
 * dpi, 1728 pixels wide, every page scaled to fit) by running Ghostscript
 * with -dSAFER, without a shell (posix_spawn, own process group unless
 * keep_group, empty environment but PATH and LC_ALL), stopped and killed
 * after the time limit. The file must start with "%PDF-" (the parser cuts
 * what comes before): Ghostscript then reads it as PDF, never as
 * PostScript. The result still goes through fax_tiff_normalize() before it is
 * sent. Blocks: run it off the event loop. Returns 0 and the page count,
 * or -1 with err: 5.3.4 (more than max_pages, or over the time limit),
 * 5.6.5 (Ghostscript could not convert it; its last message is quoted),
 * 4.3.0 (could not run Ghostscript at all).
 */
int gw_pdf_render(const char *pdf, const char *tiff_out,
    const struct gw_pdf_opts *opts, unsigned *pages, struct mime_error *err);

/* ---- a job: one accepted message and its recipients (offramp_job.c) -- */

struct mime_offramp;

/* Longest list of recipients in one job (intake caps it lower). */
#define GW_OFFRAMP_RCPT_MAX 1024

struct gw_offramp_rcpt {
	char *addr;          /* the RCPT address as given (owned) */
	char *number;        /* number to dial, "+19195551234" (owned) */
	char *peer;          /* voip dial-peer tag (owned), or NULL */
	char *orcpt_type;    /* ORCPT addr-type (owned), NULL without ORCPT */
	char *orcpt;         /* ORCPT address, xtext decoded (owned) */
	int postmaster;      /* not dialed; forwarded by the intake */
	int cover;           /* /cover=yes 1, /cover=no 0, not asked -1 */
	struct gw_rcpt_retry retry;
};

struct gw_offramp_job {
	char *from;          /* reverse path, "" for <> (owned) */
	char *envid;         /* ENVID decoded (owned), NULL when none */
	int ret;             /* enum mime_ret */
	time_t received;     /* arrival */
	struct gw_offramp_rcpt *rcpts;   /* owned, nrcpts entries */
	size_t nrcpts;
	char *note;          /* remark on the rendered document for the DSN
	                      * text (owned), NULL none; set by the runner */
	struct mime_part_outcome *outcomes;   /* what became of each part of
	                      * the message (owned), NULL none; set by the
	                      * runner; delivered with parts left out is 2.6.4 */
	size_t noutcomes;
};

/* Who speaks in reports, from the config. Strings borrowed. */
struct gw_report_cfg {
	const char *hostname;        /* Reporting-MTA / Reporting-UA name */
	const char *postmaster;      /* From: address */
	const char *from_name;       /* "Fax Daemon" */
	int crlf;                    /* reports with CRLF line ends */
	struct gw_dsn_policy dsn;    /* disable-dsn */
	int generate_mdn;            /* `mta receive generate mdn` */
};

struct gw_offramp_job *gw_offramp_job_new(void);
void gw_offramp_job_free(struct gw_offramp_job *j);
/*
 * Feeds one envelope field of the intake's record (gateway/intake.h
 * lists the keys; unknown keys are ignored, so newer records load), in
 * order: "rcpt" starts a recipient, "rcpt.*" belong to the last one.
 * Recipients start READY at the arrival time. 0, or -1 with err when a
 * value is malformed (NOTIFY, ORCPT, ENVID xtext, RET) or out of order.
 */
int gw_offramp_job_env(struct gw_offramp_job *j, const char *key,
    const char *value, char *err, size_t errlen);

/*
 * The job's progress as text, one line per recipient "INDEX STATE"
 * (gw_retry_encode), for the spool record that spool_replace() rewrites;
 * caller frees. _state_load() applies such text to a job loaded from its
 * envelope: 0, or -1 when a line is damaged or names no recipient.
 */
char *gw_offramp_job_state(const struct gw_offramp_job *j);
int gw_offramp_job_state_load(struct gw_offramp_job *j, const char *text);

enum gw_report_kind {
	GW_REPORT_NONE = 0,
	GW_REPORT_DSN_DELAY,
	GW_REPORT_DSN_FINAL,
};

/*
 * The next notification the job owes the sender, built and ready to queue
 * (MAIL FROM:<>, RCPT TO: j->from, NOTIFY=NEVER if DSN is offered): a
 * DELAY DSN for recipients whose retries just started, else, once every
 * recipient is final, one DSN covering every outcome their NOTIFY asked
 * for. The covered recipients are marked reported in j; persist the job
 * state after the report is durably queued (a crash in between repeats
 * the report rather than losing it). Returns NULL with *kind NONE when
 * nothing is due (a final with nothing to report marks the job reported
 * too). msg_path is the spooled original (for returned content).
 */
char *gw_offramp_job_next_report(struct gw_offramp_job *j,
    const struct gw_report_cfg *cfg, const struct gw_retry_policy *p,
    const char *msg_path, time_t now, enum gw_report_kind *kind, size_t *len,
    struct mime_error *err);

/*
 * The RFC 8098 MDN for recipient i once its fax was sent, when configured
 * and allowed (mime_mdn_allowed), at most once per recipient (marked in
 * its state). NULL when none is due; why says which rule stopped it.
 */
char *gw_offramp_job_mdn(struct gw_offramp_job *j, size_t i,
    const struct mime_offramp *msg, const struct gw_report_cfg *cfg,
    time_t now, size_t *len, char *why, size_t whylen);

/* Whether the job's document gets a cover page: what its recipients asked
 * with /cover= (the intake keeps one choice per message), else `fax send
 * coverpage enable`. */
int gw_offramp_job_cover(const struct gw_offramp_job *j, int config_cover);

/* ---- mail to fax pages (gateway/offramp_render.c) --------------------- */

struct fax_header;

#define GW_RENDER_SECONDS_DEFAULT 60    /* preparing one document */

/* What the sender should hear about a document that was rendered. */
struct gw_render_notes {
	unsigned missing_glyphs;          /* characters of the text no installed
	                                   * font has: printed as boxes */
	struct mime_part_outcome *outcomes;   /* each part of the message and
	                                   * the pages it became, or why it was
	                                   * not faxed (owned; g_free), or NULL */
	size_t noutcomes;                 /* at most MIME_OUTCOMES_MAX */
};
/* Frees what notes own; accepts NULL. */
void gw_render_notes_clear(struct gw_render_notes *n);

struct gw_render_opts {
	unsigned max_pages;               /* whole fax, cover included; 0: 100 */
	unsigned max_seconds;             /* 0: GW_RENDER_SECONDS_DEFAULT */
	int coverpage;                    /* `fax send coverpage enable` */
	const char *cover_comment;        /* `fax send coverpage comment`, or NULL */
	int cover_detail;                 /* `fax send coverpage show-detail`: the
	                                     mail's header block on the cover */
	const char *to_number;            /* the number, for the cover page */
	const struct fax_header *header;  /* page header line, or NULL */
	struct gw_pdf_opts pdf;           /* gs path; its limits are set here */
	unsigned long long max_image_pixels;  /* one image page, as declared;
	                                   * 0: FAX_IMAGE_MAX_PIXELS_DEFAULT */
	const char *office;               /* LibreOffice's soffice; NULL: the
	                                   * default; "" none installed */
	unsigned office_timeout;          /* s, within max_seconds; 0: default */
	unsigned office_memory;           /* MiB; 0: default */
	struct gw_render_notes *notes;    /* out: filled on success, or NULL */
};

/*
 * Turns the parsed message into one normalized multi-page TIFF at out,
 * ready for T.30: text parts rendered (fax_text_render), HTML laid out
 * with the images of the message it shows (fax_html_render; images it
 * did not show follow as pages of their own), TIFF and image parts (PNG,
 * JPEG, GIF, BMP) through fax_image_to_pages, PDF parts through
 * Ghostscript, office documents through LibreOffice and then Ghostscript,
 * all in message order; an optional cover page first (from, to, subject,
 * date, page count, the comment, and the first text part, which then is
 * not repeated); the header line stamped on every page. Scratch files go
 * to workdir and are removed. Returns 0 with the page count (and
 * o->notes filled: glyphs, and the outcome of every part), or -1 with
 * err: 5.3.4 too many pages, an image over the pixel limit or over the
 * time limit, 5.6.1 an office document without LibreOffice, 5.6.5 a part
 * that could not be converted (named), 4.3.0 local trouble.
 */
int gw_offramp_render(const struct mime_offramp *m, const struct gw_render_opts *o,
    const char *workdir, const char *out, unsigned *pages, struct mime_error *err);

/* ---- calls: config, SIP results, limits (gateway/offramp_call.c) ------ */

struct config;
struct config_dial_peer;
struct sip_event;
struct sip_dial_request;

/* The ladder's policy from `fax send retry ...` (ATTEMPTS counts every
 * call placed; 0 is taken as 1) and `mta receive generate permanent-error`. */
void gw_offramp_policy_from_config(const struct config *cfg, struct gw_retry_policy *p);
/* The reporting settings (hostname, postmaster, disable-dsn, generate mdn). */
void gw_offramp_report_cfg_from_config(const struct config *cfg, struct gw_report_cfg *rc);

/*
 * The outcome of an offramp call (SIP_EV_CALL_FINISHED) for the ladder.
 * Delivered only when the fax session confirmed every page of the file.
 * Busy (486/600), no answer (ring timeout, 408/480, a far end that is no
 * fax machine) and failures (T.30, dead or dropped call, partial, no SIP
 * response, 488/415/5xx) are retried, the fax failures stepping down;
 * 404/484/410/604 (unallocated: 5.1.1) and 401/403/407/603 (refused:
 * 5.7.1) are not. diag (diaglen bytes) receives the cause by layer for
 * "Diagnostic-Code: X-FAX;" and the logs; res->diag and res->csi point
 * into diag and ev, res->words to a constant.
 */
void gw_offramp_call_result(const struct sip_event *ev, struct gw_call_result *res,
    char *diag, size_t diaglen);

/*
 * The outgoing call for number (digits, '+' first when E.164) through the
 * voip dial-peer whose destination-pattern matches it: its session target
 * expanded ($d$ the number), or its trunk; TSI, ECM and max speed from
 * `fax send`, stepped down by params; T.38 only when params allow it and
 * the line or trunk has it on. 0, or -1 with err (no dial-peer: the
 * number is not reachable, 5.1.1 in err->status; denied: 5.7.1).
 */
int gw_offramp_dial_request(const struct config *cfg, const char *number,
    uint64_t job_id, const char *tx_path, const struct gw_call_params *params,
    struct sip_dial_request *req, const struct config_dial_peer **peer,
    struct mime_error *err);
/* The base call settings from the config (before step-down). */
void gw_offramp_base_params(const struct config *cfg, struct gw_call_params *p);

/*
 * Call admission: at most one active call per destination number, at most
 * max_calls at once overall, per trunk and per dial-peer (max-conn).
 */
struct gw_calls;
enum gw_calls_verdict {
	GW_CALLS_OK = 0,
	GW_CALLS_NUMBER_BUSY,    /* a call to this number is in progress */
	GW_CALLS_GLOBAL_FULL,
	GW_CALLS_TRUNK_FULL,
	GW_CALLS_PEER_FULL,
};
struct gw_calls *gw_calls_new(void);
void gw_calls_free(struct gw_calls *c);   /* accepts NULL */
/* Admits and counts a call (caps of 0 mean unlimited); key is the
 * trunk name or "" and peer the dial-peer tag. */
enum gw_calls_verdict gw_calls_acquire(struct gw_calls *c, const char *number,
    const char *trunk, unsigned peer, unsigned global_max, unsigned trunk_max,
    unsigned peer_max);
/* Ends a call admitted with the same arguments. */
void gw_calls_release(struct gw_calls *c, const char *number, const char *trunk,
    unsigned peer);
unsigned gw_calls_active(const struct gw_calls *c);

/* ---- send order (gateway/offramp_order.c) ------------------------------ */

/*
 * Jobs to one number go out in arrival order: per number, the jobs that
 * still owe it a fax, sorted by arrival time and then job id; only the
 * first may call it.
 */
struct gw_order;
struct gw_order *gw_order_new(void);
void gw_order_free(struct gw_order *o);   /* accepts NULL */
/* Queues job id (accepted at arrival) for number; once per job and number. */
void gw_order_add(struct gw_order *o, const char *number, time_t arrival,
    const char *id);
/* May id call number now: first in its queue, or not queued for it? */
int gw_order_first(const struct gw_order *o, const char *number, const char *id);
/* Takes id out of number's queue. Returns the id that became first (owned
 * by o, valid until the next change), NULL when the first did not change. */
const char *gw_order_remove(struct gw_order *o, const char *number, const char *id);
/* Jobs queued for number. */
unsigned gw_order_waiting(const struct gw_order *o, const char *number);

/* ---- documents prepared in a worker process --------------------------- */

/*
 * Untrusted mail is parsed and rendered by a separate process, the daemon's
 * own binary run as "t37gw --render-worker ID PPID" (gateway/main.c), so
 * that a crash, a hang or a memory explosion in GMime, libtiff, the
 * renderer or Ghostscript fails one job and never the daemon:
 *   offramp_wire.c    the request (daemon -> worker, on its stdin) and the
 *                     result (worker -> daemon, on its stdout) as spool
 *                     records, decoded strictly on both sides
 *   offramp_worker.c  the worker: limits, parse, pixel budget, render
 *   offramp_spawn.c   the daemon side: spawn, read, time limit, reap
 */

/* The worker's limits come from `fax send render-timeout`, `render-workers`,
 * `render-memory` and `max-pixels` (config/config.h: CONFIG_RENDER_*). */
#define GW_WORKER_ARG "--render-worker"
/* The largest file a worker may write (decoded parts, pages): RLIMIT_FSIZE. */
#define GW_WORKER_FILE_MAX (512ull << 20)
/* Seconds the daemon allows past the limit before it kills the worker. */
#define GW_WORKER_GRACE 5
/* Workers run below the daemon's priority: the line thread must not wait. */
#define GW_WORKER_NICE 10
/* Largest request and result record. */
#define GW_WORKER_REQ_MAX (60u << 10)     /* below a pipe's 64 KiB */
#define GW_WORKER_RES_MAX (256u << 10)
#define GW_WORKER_TEXT_MAX 256            /* config strings in a request */
#define GW_WORKER_PARTS_MAX 512           /* the parts summary in a result */

/* Everything one preparation needs; plain copies (the config may change
 * while the worker runs). Strings "" when unused. */
struct gw_worker_req {
	char id[32];                          /* job id, for logs */
	char msg_path[PATH_MAX];              /* the spooled message */
	char dir[PATH_MAX];                   /* work directory (the job's) */
	char out[PATH_MAX];                   /* the fax document to write */
	char gs_path[PATH_MAX];
	unsigned timeout;                     /* s; wall and CPU */
	unsigned memory_mb;                   /* address space */
	unsigned max_pages;                   /* whole fax */
	unsigned max_mpixels;                 /* image pixels, millions */
	int coverpage;                        /* this job's choice (/cover=) */
	int cover_detail;                     /* coverpage show-detail */
	int prefer_text;                      /* alternatives: text/plain first */
	char office[PATH_MAX];                /* soffice; "" none */
	unsigned office_timeout;              /* s */
	unsigned office_memory;               /* MiB */
	char cover_comment[GW_WORKER_TEXT_MAX];
	char number[GW_WORKER_TEXT_MAX];      /* first fax recipient */
	char sender[GW_WORKER_TEXT_MAX];      /* envelope sender */
	char left[GW_WORKER_TEXT_MAX];        /* header line parts */
	char center[GW_WORKER_TEXT_MAX];
	char right[GW_WORKER_TEXT_MAX];
	char date[32], time[16];              /* header $a$ $t$ */
};

/* How a preparation ended, for the log. */
enum gw_worker_end {
	GW_WORKER_RESULT = 0,   /* the worker answered (res.rc says how it went) */
	GW_WORKER_SIGNAL,       /* killed by a signal (crash, CPU or file limit) */
	GW_WORKER_TIMEOUT,      /* over the wall-clock limit; killed */
	GW_WORKER_GARBAGE,      /* exited 0 without a readable answer */
	GW_WORKER_EXIT,         /* exited non-zero without an answer */
	GW_WORKER_SPAWN,        /* could not be started */
};

struct gw_worker_res {
	int rc;                         /* 0: the document is at req.out */
	struct mime_error err;          /* rc -1: status and words for the DSN */
	unsigned pages;
	struct gw_render_notes notes;   /* rc 0: what the sender should know */
	char parts[GW_WORKER_PARTS_MAX];  /* "text/plain application/pdf", for logs */
	struct mime_offramp *facts;     /* header facts for MDNs (owned), or NULL */
	/* set by the daemon side */
	enum gw_worker_end end;
	int signal;                     /* GW_WORKER_SIGNAL */
	int exit_status;                /* GW_WORKER_EXIT */
	double secs;                    /* wall clock */
};

/* Request record: text (caller frees, g_free) and back; decode gives 0, or
 * -1 with err on any defect (unknown version, missing or malformed field). */
char *gw_worker_req_encode(const struct gw_worker_req *r, size_t *len);
int gw_worker_req_decode(const char *buf, size_t len, struct gw_worker_req *r,
    char *err, size_t errlen);
/* Result record: m (may be NULL) gives the header facts. Decode is strict
 * (it reads another process's output): 0, or -1 with err; res->facts is
 * set (caller frees with gw_worker_res_clear()). */
char *gw_worker_res_encode(const struct gw_worker_res *res,
    const struct mime_offramp *m, size_t *len);
int gw_worker_res_decode(const char *buf, size_t len, struct gw_worker_res *res,
    char *err, size_t errlen);
void gw_worker_res_clear(struct gw_worker_res *res);

/*
 * The preparation itself, in the calling process: parse req->msg_path
 * (parts written to req->dir), check the image pixel budget, render to
 * req->out with the page, time and Ghostscript limits of req. Fills res
 * (rc, err, pages, parts, facts). Returns res->rc. The worker process runs
 * this; the fuzzer calls it directly.
 */
int gw_worker_prepare(const struct gw_worker_req *req, struct gw_worker_res *res);
/*
 * main() of "t37gw --render-worker ID PPID": gw_worker_setup() then
 * gw_worker_run(). Exit 0 when a result was written; 2 for a bad command
 * line or request.
 * _setup: binds the process to its parent (it dies with it, and kills its
 * process group then), reads and checks the request on stdin, sets its
 * limits (nice, RLIMIT_CPU, _AS, _FSIZE, _CORE, _NOFILE, an alarm).
 * 0 and req, or the exit status.
 * _run: prepares req and writes the result on stdout; the exit status.
 */
int gw_worker_main(int argc, char **argv);
int gw_worker_setup(int argc, char **argv, struct gw_worker_req *req);
int gw_worker_run(const struct gw_worker_req *req);

struct event_base;
struct gw_worker;   /* a running worker process, seen from the daemon */

/*
 * Called once on the event loop when the worker's outcome is known; res is
 * the callee's to keep or clear (gw_worker_res_clear). The process is
 * reaped by then; the callee may free w inside the callback.
 */
typedef void (gw_worker_done_fn)(void *arg, struct gw_worker *w, const char *id,
    struct gw_worker_res *res);

/*
 * Starts exe (the daemon's own binary) as a worker for req, without
 * blocking: the request is written into its
 * stdin pipe before it starts, its answer is read from a pipe on the loop,
 * it runs in its own process group at GW_WORKER_NICE, and it is killed
 * (the whole group) req->timeout + GW_WORKER_GRACE seconds after the
 * start. A crash, the time limit, garbage or a non-zero exit is turned
 * into a failed result (end says which). NULL with err when it cannot be
 * started. base must be the loop that will run the callbacks.
 */
struct gw_worker *gw_worker_start(struct event_base *base, const char *exe,
    const struct gw_worker_req *req, gw_worker_done_fn *done, void *arg,
    char *err, size_t errlen);
/*
 * Attributes for a child the daemon starts (posix_spawn): every signal at
 * its default and none blocked (the daemon ignores SIGPIPE and its threads
 * block some), and a process group of its own when own_group (so that it
 * and what it starts can be killed together). Destroy with
 * posix_spawnattr_destroy().
 */
void gw_spawn_attr_init(posix_spawnattr_t *at, int own_group);
/* Kills a worker still running (SIGKILL to its group) and reaps it; no
 * callback. Accepts NULL and finished workers. */
void gw_worker_free(struct gw_worker *w);
/* The worker's process id (its process group). */
long gw_worker_pid(const struct gw_worker *w);

/* ---- the offramp runner (gateway/offramp_run.c) ----------------------- */

struct event_base;
struct spool;
struct queue;

/* Places one call; the daemon passes sip_line_dial() on its line. 0 or -1. */
typedef int (gw_offramp_dial_fn)(void *arg, const struct sip_dial_request *req);

#define GW_OFFRAMP_RESCAN 5            /* seconds between spool scans */
#define GW_OFFRAMP_LOCAL_RETRY 60      /* seconds after local trouble (4.3.x) */

struct gw_offramp;

/*
 * The offramp on the mail thread: takes the jobs the intake committed to
 * the spool queue "offramp", prepares each document in a worker process
 * (a job whose preparation the daemon's death interrupted twice is failed
 * and set aside instead), calls every recipient through dial (jobs to one
 * number in arrival order, one call per number, the trunk and dial-peer
 * caps), runs the retry ladder on each SIP_EV_CALL_FINISHED the
 * daemon hands to gw_offramp_call_finished(), writes the job's progress
 * ("state") before each call and after each result, queues the DSNs and
 * MDNs it owes into the mail queue q (a job of QUEUE_NAME from <>; q may
 * be NULL: committed, not scheduled), and removes the job when every
 * recipient is final and reported. The worker is this process's own
 * binary (/proc/self/exe). cfg, sp, q are borrowed. NULL with err.
 */
struct gw_offramp *gw_offramp_new(struct event_base *base, struct spool *sp,
    struct queue *q, const struct config *cfg, gw_offramp_dial_fn *dial,
    void *dial_arg, char *err, size_t errlen);
/* A reloaded config for the next decisions (borrowed). */
void gw_offramp_set_config(struct gw_offramp *o, const struct config *cfg);
/* Scans the spool: resumes every job (calls that were in progress at a
 * crash are placed again: at-least-once). 0, or -1 with err. */
int gw_offramp_start(struct gw_offramp *o, char *err, size_t errlen);
/* A job just committed by the intake: picked up now (else at the next scan). */
void gw_offramp_add(struct gw_offramp *o, const char *id);
/* An offramp call ended; events for unknown jobs are logged and dropped. */
void gw_offramp_call_finished(struct gw_offramp *o, const struct sip_event *ev);
/* Jobs in memory, calls in progress (status, tests). */
unsigned gw_offramp_jobs(const struct gw_offramp *o);
unsigned gw_offramp_calls(const struct gw_offramp *o);
/* Stops scheduling; kills the document workers still running (their jobs
 * are prepared again at the next start); frees. Jobs stay in the spool. */
void gw_offramp_free(struct gw_offramp *o);

#endif
