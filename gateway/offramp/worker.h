/*
 * gateway/offramp/worker.h: documents prepared in a worker process
 * (worker.c, wire.c, spawn.c), private to the offramp and its tests.
 */
#ifndef T37_OFFRAMP_WORKER_H
#define T37_OFFRAMP_WORKER_H

#include <limits.h>
#include <spawn.h>
#include <stddef.h>

#include "gateway/offramp/offramp.h"
#include "gateway/offramp/render.h"
#include "mime/mime.h"

/*
 * Untrusted mail is parsed and rendered by a separate process, the daemon's
 * own binary run as "t37gw --render-worker ID PPID" (gateway/main.c), so
 * that a crash, a hang or a memory explosion in GMime, libtiff, the
 * renderer or Ghostscript fails one job and never the daemon:
 *   wire.c            the request (daemon -> worker, on its stdin) and the
 *                     result (worker -> daemon, on its stdout) as spool
 *                     records, decoded strictly on both sides
 *   worker.c          the worker: limits, parse, pixel budget, render
 *   spawn.c           the daemon side: spawn, read, time limit, reap
 */

/* The worker's limits come from `fax send render-timeout`, `render-workers`,
 * `render-memory` and `max-pixels` (config/config.h: CONFIG_RENDER_*). */
/* The largest file a worker may write (decoded parts, pages): RLIMIT_FSIZE. */
#define OFFRAMP_WORKER_FILE_MAX (512ull << 20)
/* Seconds the daemon allows past the limit before it kills the worker. */
#define OFFRAMP_WORKER_GRACE 5
/* Workers run below the daemon's priority: the line thread must not wait. */
#define OFFRAMP_WORKER_NICE 10
/* Largest request and result record. */
#define OFFRAMP_WORKER_REQ_MAX (60u << 10)     /* below a pipe's 64 KiB */
#define OFFRAMP_WORKER_RES_MAX (256u << 10)
#define OFFRAMP_WORKER_TEXT_MAX 256            /* config strings in a request */
#define OFFRAMP_WORKER_PARTS_MAX 512           /* the parts summary in a result */

/* Everything one preparation needs; plain copies (the config may change
 * while the worker runs). Strings "" when unused. */
struct offramp_worker_req {
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
	char cover_comment[OFFRAMP_WORKER_TEXT_MAX];
	char number[OFFRAMP_WORKER_TEXT_MAX];      /* first fax recipient */
	char sender[OFFRAMP_WORKER_TEXT_MAX];      /* envelope sender */
	char left[OFFRAMP_WORKER_TEXT_MAX];        /* header line parts */
	char center[OFFRAMP_WORKER_TEXT_MAX];
	char right[OFFRAMP_WORKER_TEXT_MAX];
	char date[32], time[16];              /* header $a$ $t$ */
};

/* How a preparation ended, for the log. */
enum offramp_worker_end {
	OFFRAMP_WORKER_RESULT = 0,   /* the worker answered (res.rc says how it went) */
	OFFRAMP_WORKER_SIGNAL,       /* killed by a signal (crash, CPU or file limit) */
	OFFRAMP_WORKER_TIMEOUT,      /* over the wall-clock limit; killed */
	OFFRAMP_WORKER_GARBAGE,      /* exited 0 without a readable answer */
	OFFRAMP_WORKER_EXIT,         /* exited non-zero without an answer */
	OFFRAMP_WORKER_SPAWN,        /* could not be started */
};

struct offramp_worker_res {
	int rc;                         /* 0: the document is at req.out */
	struct mime_error err;          /* rc -1: status and words for the DSN */
	unsigned pages;
	struct offramp_render_notes notes;   /* rc 0: what the sender should know */
	char parts[OFFRAMP_WORKER_PARTS_MAX];  /* "text/plain application/pdf", for logs */
	struct mime_offramp *facts;     /* header facts for MDNs (owned), or NULL */
	/* set by the daemon side */
	enum offramp_worker_end end;
	int signal;                     /* OFFRAMP_WORKER_SIGNAL */
	int exit_status;                /* OFFRAMP_WORKER_EXIT */
	double secs;                    /* wall clock */
};

/* Request record: text (caller frees, g_free) and back; decode gives 0, or
 * -1 with err on any defect (unknown version, missing or malformed field). */
char *offramp_worker_req_encode(const struct offramp_worker_req *r, size_t *len);
int offramp_worker_req_decode(const char *buf, size_t len, struct offramp_worker_req *r,
    char *err, size_t errlen);
/* Result record: m (may be NULL) gives the header facts. Decode is strict
 * (it reads another process's output): 0, or -1 with err; res->facts is
 * set (caller frees with offramp_worker_res_clear()). */
char *offramp_worker_res_encode(const struct offramp_worker_res *res,
    const struct mime_offramp *m, size_t *len);
int offramp_worker_res_decode(const char *buf, size_t len, struct offramp_worker_res *res,
    char *err, size_t errlen);
void offramp_worker_res_clear(struct offramp_worker_res *res);

/*
 * The preparation itself, in the calling process: parse req->msg_path
 * (parts written to req->dir), check the image pixel budget, render to
 * req->out with the page, time and Ghostscript limits of req. Fills res
 * (rc, err, pages, parts, facts). Returns res->rc. The worker process runs
 * this; the fuzzer calls it directly.
 */
int offramp_worker_prepare(const struct offramp_worker_req *req, struct offramp_worker_res *res);
/*
 * main() of "t37gw --render-worker ID PPID": offramp_worker_setup() then
 * offramp_worker_run(). Exit 0 when a result was written; 2 for a bad command
 * line or request.
 * _setup: binds the process to its parent (it dies with it, and kills its
 * process group then), reads and checks the request on stdin, sets its
 * limits (nice, RLIMIT_CPU, _AS, _FSIZE, _CORE, _NOFILE, an alarm).
 * 0 and req, or the exit status.
 * _run: prepares req and writes the result on stdout; the exit status.
 */
int offramp_worker_setup(int argc, char **argv, struct offramp_worker_req *req);
int offramp_worker_run(const struct offramp_worker_req *req);

struct event_base;
struct offramp_worker;   /* a running worker process, seen from the daemon */

/*
 * Called once on the event loop when the worker's outcome is known; res is
 * the callee's to keep or clear (offramp_worker_res_clear). The process is
 * reaped by then; the callee may free w inside the callback.
 */
typedef void (offramp_worker_done_fn)(void *arg, struct offramp_worker *w, const char *id,
    struct offramp_worker_res *res);

/*
 * Starts exe (the daemon's own binary) as a worker for req, without
 * blocking: the request is written into its
 * stdin pipe before it starts, its answer is read from a pipe on the loop,
 * it runs in its own process group at OFFRAMP_WORKER_NICE, and it is killed
 * (the whole group) req->timeout + OFFRAMP_WORKER_GRACE seconds after the
 * start. A crash, the time limit, garbage or a non-zero exit is turned
 * into a failed result (end says which). NULL with err when it cannot be
 * started. base must be the loop that will run the callbacks.
 */
struct offramp_worker *offramp_worker_start(struct event_base *base, const char *exe,
    const struct offramp_worker_req *req, offramp_worker_done_fn *done, void *arg,
    char *err, size_t errlen);
/*
 * Attributes for a child the daemon starts (posix_spawn): every signal at
 * its default and none blocked (the daemon ignores SIGPIPE and its threads
 * block some), and a process group of its own when own_group (so that it
 * and what it starts can be killed together). Destroy with
 * posix_spawnattr_destroy().
 */
void offramp_spawn_attr_init(posix_spawnattr_t *at, int own_group);
/* Kills a worker still running (SIGKILL to its group) and reaps it; no
 * callback. Accepts NULL and finished workers. */
void offramp_worker_free(struct offramp_worker *w);
/* The worker's process id (its process group). */
long offramp_worker_pid(const struct offramp_worker *w);

#endif
