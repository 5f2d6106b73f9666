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
 *   calls             offramp_call.c   config, dial requests, SIP outcomes,
 *                                      call admission
 *   runner            offramp_run.c    the offramp on the mail thread
 * The ladder, job and call pieces do no I/O and read no clock: times are
 * passed in, so they are tested without a network.
 */
#ifndef T37_GW_OFFRAMP_H
#define T37_GW_OFFRAMP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

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
#define GW_RETRY_DIAG_MAX 160
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
	char diag[GW_RETRY_DIAG_MAX];         /* last T.30 / SIP cause */
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
	const char *diag;      /* T.30 / SIP cause text, or NULL */
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
/* Plain words for the last failure ("the line was busy"), or NULL. */
const char *gw_retry_reason(const struct gw_rcpt_retry *r);

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

/* Longest encoded state (one line, no newline). */
#define GW_RETRY_ENC_MAX 1024

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
#define GW_PDF_TIMEOUT_DEFAULT 120     /* seconds for one document */
#define GW_PDF_MAX_PAGES_DEFAULT 100

struct gw_pdf_opts {
	const char *gs_path;     /* NULL: GW_PDF_GS_PATH */
	unsigned max_pages;      /* 0: GW_PDF_MAX_PAGES_DEFAULT */
	unsigned timeout;        /* seconds; 0: GW_PDF_TIMEOUT_DEFAULT */
};

/*
 * Renders the PDF at pdf into a multi-page TIFF at tiff_out (G4, 204x196
 * dpi, 1728 pixels wide, every page scaled to fit) by running Ghostscript
 * with -dSAFER, without a shell (posix_spawn, own process group, empty
 * environment but PATH and LC_ALL), stopped and killed after the time
 * limit. The result still goes through fax_tiff_normalize() before it is
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

/* ---- mail to fax pages (gateway/offramp_render.c) --------------------- */

struct fax_header;

#define GW_RENDER_SECONDS_DEFAULT 300   /* preparing one document */

/* What the sender should hear about a document that was rendered. */
struct gw_render_notes {
	unsigned missing_glyphs;          /* characters of the text no installed
	                                   * font has: printed as boxes */
};

struct gw_render_opts {
	unsigned max_pages;               /* whole fax, cover included; 0: 100 */
	unsigned max_seconds;             /* 0: GW_RENDER_SECONDS_DEFAULT */
	int coverpage;                    /* `fax send coverpage enable` */
	const char *cover_comment;        /* `fax send coverpage comment`, or NULL */
	const char *to_number;            /* the number, for the cover page */
	const struct fax_header *header;  /* page header line, or NULL */
	struct gw_pdf_opts pdf;           /* gs path; its limits are set here */
	unsigned long long max_image_pixels;  /* one image page, as declared;
	                                   * 0: FAX_IMAGE_MAX_PIXELS_DEFAULT */
	struct gw_render_notes *notes;    /* out: filled on success, or NULL */
};

/*
 * Turns the parsed message into one normalized multi-page TIFF at out,
 * ready for T.30: text parts rendered (fax_text_render), TIFF and image
 * parts (PNG, JPEG, GIF, BMP) through fax_image_to_pages, PDF parts through
 * Ghostscript, all in message order; an optional cover page first (from,
 * to, subject, date, page count, the comment, and the first text part,
 * which then is not repeated); the header line stamped on every page.
 * Scratch files go to workdir and are removed. Returns 0 with the page
 * count (and o->notes filled), or -1 with err: 5.3.4 too many pages, an
 * image over the pixel limit or over the time limit, 5.6.5 a part that
 * could not be converted (named), 4.3.0 local trouble.
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
 * Busy (486/600), no answer (ring timeout, 408/480) and fax failures
 * (T.30, dropped, partial, 488/415/5xx) are retried; 404/484/410/604
 * (unallocated: 5.1.1) and 401/403/407/603 (refused: 5.7.1) are not.
 * diag (diaglen bytes) receives the cause for "Diagnostic-Code: X-FAX;";
 * res->diag and res->csi point into diag and ev.
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

/* ---- the offramp runner (gateway/offramp_run.c) ----------------------- */

struct event_base;
struct spool;
struct queue;

/* Places one call; the daemon passes sip_line_dial() on its line. 0 or -1. */
typedef int (gw_offramp_dial_fn)(void *arg, const struct sip_dial_request *req);

#define GW_OFFRAMP_RENDER_WORKERS 2    /* documents prepared at once */
#define GW_OFFRAMP_RESCAN 5            /* seconds between spool scans */
#define GW_OFFRAMP_LOCAL_RETRY 60      /* seconds after local trouble (4.3.x) */

struct gw_offramp;

/*
 * The offramp on the mail thread: takes the jobs the intake committed to
 * the spool queue "offramp", prepares each document on a worker thread,
 * calls every recipient through dial (one call per number, the trunk and
 * dial-peer caps), runs the retry ladder on each SIP_EV_CALL_FINISHED the
 * daemon hands to gw_offramp_call_finished(), writes the job's progress
 * ("state") before each call and after each result, queues the DSNs and
 * MDNs it owes into the mail queue q (a job of QUEUE_NAME from <>; q may
 * be NULL: committed, not scheduled), and removes the job when every
 * recipient is final and reported. base must have pthreads enabled
 * (evthread_use_pthreads). cfg, sp, q are borrowed. NULL with err.
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
/* Stops scheduling; waits for the workers; frees. Jobs stay in the spool. */
void gw_offramp_free(struct gw_offramp *o);

#endif
