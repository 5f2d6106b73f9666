/*
 * libFuzzer target: the whole offramp path, end to end, in one process.
 * The input is the bytes of an SMTP session. They go to the real intake
 * (SMTP server, RCPT policy against a config with aliases and dial-peers,
 * the committer thread writing the spool), every message it accepts is
 * prepared exactly as the document worker does it (offramp_worker_prepare:
 * MIME parse, pixel budget, text/HTML/TIFF rendering, cover page and
 * header line), its result goes through the worker's result record both
 * ways, and a job that fails gets its DSN built from the spooled envelope
 * and message. Checks that nothing crashes or leaks, that a 250 means a
 * job in the spool, and that every failure says why.
 *
 * Speed (about 60 runs/s on one loaded core under ASan+UBSan): the spool is
 * on tmpfs (/dev/shm), fax pages are capped at 2, the first byte decides
 * whether a cover page and a header line are drawn, and Ghostscript is not
 * run (its path does not exist: a PDF fails at once); Ghostscript's own
 * robustness is not ours to fuzz.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>

#include "config/config.h"
#include "gateway/intake/intake.h"
#include "gateway/intake/intake_test.h"
#include "gateway/offramp/job.h"
#include "gateway/offramp/retry.h"
#include "gateway/offramp/worker.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_JOBS_MAX 16

static const char conf_fmt[] =
    "hostname gw.test\n"
    "spool %s\n"
    "mta send postmaster fax-admin@example.com\n"
    "mta receive aliases fax.test\n"
    "mta receive maximum-recipients 4\n"
    "mta receive maximum-size 262144\n"
    "mta receive auth u p\n"
    "mta receive auth-clear\n"
    "fax send max-pages 2\n"
    "fax send coverpage enable\n"
    "fax send left-header $a$ $d$\n"
    "fax deny-pattern 1900.......\n"
    "dial-peer voice 300 mmoip\n"
    " incoming called-number 1919.......\n"
    " information-type fax\n"
    "dial-peer voice 400 voip\n"
    " destination-pattern 1919.......\n"
    " session target sip:$d$@127.0.0.1:5099\n";

struct fz {
	char dir[64];
	struct config *cfg;
	struct spool *sp;
	struct event_base *base;
	struct intake *in;
	char ids[FZ_JOBS_MAX][SPOOL_ID_LEN + 1];
	int njobs;
};

static struct fz *fz;

static void fz_committed(void *arg, const char *id);
static void fz_drain(struct bufferevent *bev, void *arg);
static void fz_init(void);
static void fz_job(const char *id, unsigned flags);
static void fz_report(const char *id, const struct mime_error *why);
static void fz_settle(void);

static void
fz_committed(void *arg, const char *id)
{
	struct fz *f = arg;

	if (f->njobs < FZ_JOBS_MAX)
		g_strlcpy(f->ids[f->njobs++], id, sizeof(f->ids[0]));
}

static void
fz_drain(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

static void
fz_init(void)
{
	char text[2048], err[256];

	fz = calloc(1, sizeof(*fz));
	log_set_level(LOG_LVL_ERR);
	snprintf(fz->dir, sizeof(fz->dir), "%s/t37fz.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(fz->dir) == NULL)
		abort();
	snprintf(text, sizeof(text), conf_fmt, fz->dir);
	fz->cfg = config_parse_buffer("fuzz.conf", text, strlen(text), NULL);
	if (fz->cfg == NULL || (fz->sp = spool_open(fz->dir, err, sizeof(err))) == NULL)
		abort();
	evthread_use_pthreads();
	fz->base = event_base_new();
	fz->in = intake_new(fz->base, fz->cfg, fz->sp, err, sizeof(err));
	if (fz->in == NULL || intake_start(fz->in, err, sizeof(err)) != 0)
		abort();
	intake_set_committed(fz->in, fz_committed, fz);
}

/* One accepted message, prepared as the document worker would; flags
 * (from the input's first byte) choose a cover page and a header line. */
static void
fz_job(const char *id, unsigned flags)
{
	struct offramp_worker_req req;
	struct offramp_worker_res res, back;
	char err[256], *rec;
	size_t len;

	memset(&req, 0, sizeof(req));
	g_strlcpy(req.id, id, sizeof(req.id));
	spool_path(fz->sp, SPOOL_Q_OFFRAMP, id, "msg", req.msg_path, sizeof(req.msg_path));
	spool_path(fz->sp, SPOOL_Q_OFFRAMP, id, NULL, req.dir, sizeof(req.dir));
	spool_path(fz->sp, SPOOL_Q_OFFRAMP, id, "fax.tif", req.out, sizeof(req.out));
	g_strlcpy(req.gs_path, "/nonexistent/gs", sizeof(req.gs_path));
	req.timeout = 10;
	req.max_pages = fz->cfg->fax_send.max_pages;
	req.max_mpixels = 20;
	req.coverpage = (flags & 1) && fz->cfg->fax_send.coverpage;
	if (flags & 2)
		g_strlcpy(req.left, fz->cfg->fax_send.left_header, sizeof(req.left));
	g_strlcpy(req.number, "+19195551234", sizeof(req.number));
	g_strlcpy(req.date, "2026-12-01", sizeof(req.date));
	g_strlcpy(req.time, "12:00 UTC", sizeof(req.time));
	offramp_worker_prepare(&req, &res);
	if (res.rc != 0 && (res.err.status[0] == '\0' || res.err.text[0] == '\0'))
		abort();   /* a failure always says why */
	if (res.rc == 0 && res.pages == 0)
		abort();
	/* Through the result record, as the daemon would read it. */
	rec = offramp_worker_res_encode(&res, res.facts, &len);
	if (rec == NULL || offramp_worker_res_decode(rec, len, &back, err, sizeof(err)) != 0)
		abort();
	if (back.rc != res.rc || back.pages != res.pages)
		abort();
	if (res.rc != 0)
		fz_report(id, &res.err);
	g_free(rec);
	offramp_worker_res_clear(&back);
	offramp_worker_res_clear(&res);
}

/* The failed DSN the sender would get, from the spooled envelope. */
static void
fz_report(const char *id, const struct mime_error *why)
{
	struct offramp_report_cfg rc = { .hostname = "gw.test", .postmaster = "postmaster@gw.test",
	    .from_name = "Fax Daemon", .crlf = 1 };
	struct offramp_job *j = offramp_job_new();
	struct offramp_retry_policy p;
	struct spool_rec *env;
	struct mime_error err;
	enum offramp_report_kind kind;
	char e[256], msgpath[4096], *rep;
	size_t i, len;

	env = spool_rec_load(fz->sp, SPOOL_Q_OFFRAMP, id, "env", e, sizeof(e));
	if (env == NULL)
		abort();   /* a committed job always has its envelope */
	for (i = 0; i < spool_rec_count(env); i++)
		if (offramp_job_env(j, spool_rec_key(env, i), spool_rec_value(env, i, NULL),
		    e, sizeof(e)) != 0)
			abort();   /* the intake wrote what the offramp cannot read */
	spool_rec_free(env);
	for (i = 0; i < j->nrcpts; i++)
		offramp_retry_fail_now(&j->rcpts[i].retry, why->status, why->text);
	offramp_retry_policy_default(&p);
	spool_path(fz->sp, SPOOL_Q_OFFRAMP, id, "msg", msgpath, sizeof(msgpath));
	rep = offramp_job_next_report(j, &rc, &p, msgpath, j->received + 1, &kind, &len,
	    &err);
	if (rep != NULL && memchr(rep, '\0', len) != NULL)
		abort();
	g_free(rep);
	offramp_job_free(j);
}

/* Runs the loop until no session and no commit is in flight, or a while. */
static void
fz_settle(void)
{
	int i;

	for (i = 0; i < 400 && intake_inflight(fz->in) > 0; i++) {
		event_base_loop(fz->base, EVLOOP_NONBLOCK);
		if (intake_inflight(fz->in) > 0)
			usleep(50);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bufferevent *pair[2];
	size_t off = 1, n;
	int i;

	if (size < 1)
		return 0;
	if (fz == NULL)
		fz_init();
	fz->njobs = 0;
	if (bufferevent_pair_new(fz->base, 0, pair) != 0)
		abort();
	bufferevent_setcb(pair[1], fz_drain, NULL, NULL, NULL);
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	if (intake_attach(fz->in, pair[0], "127.0.0.1") == 0)
		abort();
	/* Writes split at the first byte's rhythm, so framing sees partial lines. */
	while (off < size) {
		n = size - off;
		if (n > (size_t)(data[0] % 200) + 1)
			n = (size_t)(data[0] % 200) + 1;
		bufferevent_write(pair[1], data + off, n);
		off += n;
		for (i = 0; i < 3; i++)
			event_base_loop(fz->base, EVLOOP_NONBLOCK);
	}
	/* A final dot may wait for the committer thread; QUIT ends the
	 * session. Without QUIT the client hangs up (EOF) and it must end
	 * all the same. */
	fz_settle();
	if (intake_inflight(fz->in) > 0) {
		bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED);
		fz_settle();
	}
	if (intake_inflight(fz->in) > 0)
		abort();   /* a session that never ends */
	bufferevent_free(pair[1]);
	for (i = 0; i < fz->njobs; i++) {
		fz_job(fz->ids[i], data[0]);
		if (spool_remove(fz->sp, SPOOL_Q_OFFRAMP, fz->ids[i]) != 0)
			abort();
	}
	return 0;
}
