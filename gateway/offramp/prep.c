/*
 * gateway/offramp/prep: preparing each offramp job's fax document, on the
 * mail thread, in document worker processes (spawn.c): a pool of
 * `fax send render-workers` at once, jobs taken in the order they asked.
 *
 * Poison messages. Before a worker starts, the job's "prep" record counts
 * one more preparation begun (written durably first); when the preparation
 * ends with the daemon alive - whatever its outcome - the count goes back
 * to 0. A count left at OFFRAMP_PREP_DEATHS_MAX therefore means the daemon died
 * that many times while this job was being prepared: at the next start the
 * job is not prepared again but failed with a DSN ("the document could not
 * be processed") and moved to the failed queue, with an error in the log,
 * and the gateway carries on. A stop by the operator takes its count back.
 *
 * Not here: the worker (worker.c), what happens to a prepared job
 * (run.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "config/config.h"
#include "gateway/intake/intake.h"
#include "gateway/mailq/mailq.h"
#include "gateway/metrics/metrics.h"
#include "gateway/offramp/run_int.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "util/log.h"

static int prep_store(struct ojob *j, unsigned starts);
static void prep_build(const struct ojob *j, struct offramp_worker_req *req);
static void prep_done(void *arg, struct offramp_worker *w, const char *id,
    struct offramp_worker_res *res);
static void prep_note(struct ojob *j, struct offramp_render_notes *n);
static void prep_log_end(const struct ojob *j, long pid,
    const struct offramp_worker_res *res);
static unsigned prep_workers_max(const struct offramp *o);

/*
 * The worker is started as /proc/self/exe: in the new process that is the
 * very file the daemon runs, even after a package upgrade replaced it
 * under its name (the worker always speaks the daemon's version of the
 * records), and a process may follow its own link after the privilege
 * drop. Checked once here.
 */
int
offramp_prep_exe(char *buf, size_t size, char *err, size_t errlen)
{
	char name[PATH_MAX];
	ssize_t n = readlink(OFFRAMP_WORKER_EXE, name, sizeof(name) - 1);

	if (n <= 0) {
		snprintf(err, errlen, "offramp: cannot find the daemon's own binary "
		    "(%s): %s", OFFRAMP_WORKER_EXE, n < 0 ? strerror(errno) : "empty");
		return -1;
	}
	g_strlcpy(buf, OFFRAMP_WORKER_EXE, size);
	return 0;
}

void
offramp_prep_load(struct ojob *j)
{
	char err[128];
	struct spool_rec *rec = spool_rec_load(j->o->sp, SPOOL_Q_OFFRAMP, j->id,
	    OFFRAMP_PREP_FILE, err, sizeof(err));
	uint64_t n;

	j->prep_starts = 0;
	if (rec == NULL)
		return;   /* never prepared, or finished cleanly */
	if (spool_rec_get_u64(rec, "starts", &n) == 0)
		j->prep_starts = n > OFFRAMP_PREP_DEATHS_MAX ? OFFRAMP_PREP_DEATHS_MAX : (unsigned)n;
	spool_rec_free(rec);
	if (j->prep_starts >= OFFRAMP_PREP_DEATHS_MAX)
		j->quarantine = 1;
	else if (j->prep_starts > 0)
		log_warnx("job=%s event=prep-interrupted starts=%u (the gateway stopped "
		    "while preparing it; %u more and it is set aside)", j->id,
		    j->prep_starts, OFFRAMP_PREP_DEATHS_MAX - j->prep_starts);
}

void
offramp_prep_quarantine(struct ojob *j)
{
	struct mime_error err;

	log_err("job=%s event=quarantine starts=%u (the gateway stopped %u times while "
	    "preparing this message); failed with a DSN, moved to the %s queue", j->id,
	    j->prep_starts, j->prep_starts, SPOOL_Q_FAILED);
	/* A message that may take down whatever parses it is not returned
	 * whole: the DSN carries its headers only. */
	j->job->ret = MIME_RET_HDRS;
	mime_error_set(&err, "5.6.5", "the document could not be processed (the "
	    "gateway stopped %u times while preparing it)", j->prep_starts);
	offramp_run_fail_all(j, &err);   /* may end the job */
}

void
offramp_prep_request(struct ojob *j)
{
	int fax_left = 0;
	size_t i;

	for (i = 0; i < j->job->nrcpts; i++)
		if (!j->job->rcpts[i].postmaster &&
		    j->job->rcpts[i].retry.phase != OFFRAMP_RCPT_DELIVERED &&
		    j->job->rcpts[i].retry.phase != OFFRAMP_RCPT_FAILED)
			fax_left = 1;
	if (!fax_left || j->phase == OJ_RENDERING || j->quarantine)
		return;
	j->phase = OJ_RENDERING;
	g_queue_push_tail(&j->o->pending, g_strdup(j->id));
	offramp_prep_pump(j->o);
}

static unsigned
prep_workers_max(const struct offramp *o)
{
	unsigned n = o->cfg->fax_send.render_workers;

	return n > 0 ? n : CONFIG_RENDER_WORKERS_DEFAULT;
}

void
offramp_prep_pump(struct offramp *o)
{
	while (!o->stopping && !offramp_run_held(o) && !g_queue_is_empty(&o->pending) &&
	    o->nworkers < prep_workers_max(o)) {
		char *id = g_queue_pop_head(&o->pending);
		struct ojob *j = g_hash_table_lookup(o->jobs, id);
		struct offramp_worker_req *req;
		char err[256];

		g_free(id);
		if (j == NULL || j->phase != OJ_RENDERING || j->worker != NULL)
			continue;
		/* Counted durably before the risky work: a crash from here on
		 * is a death during preparation. */
		if (prep_store(j, j->prep_starts + 1) != 0) {
			log_warn("job=%s cannot record the preparation; again in %d s",
			    j->id, OFFRAMP_LOCAL_RETRY);
			j->phase = OJ_WAITING;
			offramp_run_schedule(j, time(NULL) + OFFRAMP_LOCAL_RETRY);
			continue;
		}
		j->prep_starts++;
		req = g_new0(struct offramp_worker_req, 1);
		prep_build(j, req);
		j->worker = offramp_worker_start(o->base, o->exe, req, prep_done, o, err,
		    sizeof(err));
		g_free(req);
		if (j->worker == NULL) {
			log_warnx("job=%s event=render result=no-worker (%s); again in %d s",
			    j->id, err, OFFRAMP_LOCAL_RETRY);
			j->prep_starts--;
			prep_store(j, j->prep_starts);
			j->phase = OJ_WAITING;
			offramp_run_schedule(j, time(NULL) + OFFRAMP_LOCAL_RETRY);
			continue;
		}
		o->nworkers++;
		log_info("job=%s event=render pid=%ld workers=%u/%u", j->id,
		    offramp_worker_pid(j->worker), o->nworkers, prep_workers_max(o));
	}
}

/* The request: paths in the job's directory, copies of the config values. */
static void
prep_build(const struct ojob *j, struct offramp_worker_req *req)
{
	const struct offramp *o = j->o;
	const struct config *cfg = o->cfg;
	time_t now = time(NULL);
	struct tm tm;
	size_t i;

	g_strlcpy(req->id, j->id, sizeof(req->id));
	spool_path(o->sp, SPOOL_Q_OFFRAMP, j->id, "msg", req->msg_path, sizeof(req->msg_path));
	spool_path(o->sp, SPOOL_Q_OFFRAMP, j->id, NULL, req->dir, sizeof(req->dir));
	spool_path(o->sp, SPOOL_Q_OFFRAMP, j->id, OFFRAMP_FAX_FILE, req->out,
	    sizeof(req->out));
	g_strlcpy(req->gs_path, OFFRAMP_PDF_GS_PATH, sizeof(req->gs_path));
	req->timeout = cfg->fax_send.render_timeout ? cfg->fax_send.render_timeout :
	    CONFIG_RENDER_TIMEOUT_DEFAULT;
	req->memory_mb = cfg->fax_send.render_memory;
	req->max_pages = cfg->fax_send.max_pages ? cfg->fax_send.max_pages :
	    CONFIG_DEFAULT_MAX_PAGES;
	req->max_mpixels = cfg->fax_send.max_pixels;
	req->coverpage = offramp_job_cover(j->job, cfg->fax_send.coverpage);
	req->cover_detail = cfg->fax_send.coverpage_show_detail;
	req->prefer_text = cfg->fax_send.prefer_text;
	g_strlcpy(req->office, cfg->fax_send.office_converter, sizeof(req->office));
	req->office_timeout = cfg->fax_send.office_timeout;
	req->office_memory = cfg->fax_send.office_memory;
	g_strlcpy(req->cover_comment, cfg->fax_send.coverpage_comment,
	    sizeof(req->cover_comment));
	/* The header shows the first fax recipient; one document serves all. */
	for (i = 0; i < j->job->nrcpts; i++)
		if (!j->job->rcpts[i].postmaster && j->job->rcpts[i].number) {
			g_strlcpy(req->number, j->job->rcpts[i].number, sizeof(req->number));
			break;
		}
	g_strlcpy(req->sender, j->job->from, sizeof(req->sender));
	g_strlcpy(req->left, cfg->fax_send.left_header, sizeof(req->left));
	g_strlcpy(req->center, cfg->fax_send.center_header, sizeof(req->center));
	g_strlcpy(req->right, cfg->fax_send.right_header, sizeof(req->right));
	gmtime_r(&now, &tm);
	strftime(req->date, sizeof(req->date), "%Y-%m-%d", &tm);
	strftime(req->time, sizeof(req->time), "%H:%M UTC", &tm);
}

/* A worker ended (on the loop). Refers back by id: the job may be gone. */
static void
prep_done(void *arg, struct offramp_worker *w, const char *id, struct offramp_worker_res *res)
{
	struct offramp *o = arg;
	struct ojob *j = g_hash_table_lookup(o->jobs, id);
	char keep[SPOOL_ID_LEN + 1];
	long pid = offramp_worker_pid(w);

	o->nworkers--;
	if (j == NULL || j->worker != w) {
		log_info("job=%s render result for a job no longer here", id);
		offramp_worker_free(w);
		offramp_worker_res_clear(res);
		offramp_prep_pump(o);
		return;
	}
	j->worker = NULL;
	offramp_worker_free(w);
	g_strlcpy(keep, j->id, sizeof(keep));
	prep_log_end(j, pid, res);
	mime_offramp_free(j->msg);
	j->msg = res->facts;   /* taken: the MDN needs the header facts */
	res->facts = NULL;
	if (res->rc == 0) {
		j->pages = res->pages;
		prep_note(j, &res->notes);
		j->phase = OJ_CALLING;
		offramp_run_job(j);   /* may end the job */
	} else if (res->err.status[0] == '4' &&
	    time(NULL) < offramp_job_since(j->job) + (time_t)OFFRAMP_RETRY_MAX_AGE) {
		j->phase = OJ_WAITING;
		offramp_run_schedule(j, time(NULL) + OFFRAMP_LOCAL_RETRY);
	} else {
		offramp_run_fail_all(j, &res->err);   /* may end the job */
	}
	offramp_worker_res_clear(res);	/* what the job did not take */
	/* The preparation is over and the daemon lived: no death to count. */
	if ((j = g_hash_table_lookup(o->jobs, keep)) != NULL && j->prep_starts > 0) {
		j->prep_starts = 0;
		prep_store(j, 0);
	}
	offramp_prep_pump(o);
}

/* What the sender should know about the rendered document goes into the
 * job's DSN text: the parts and their pages (taken from n), the glyphs. */
static void
prep_note(struct ojob *j, struct offramp_render_notes *n)
{
	g_free(j->job->outcomes);
	j->job->outcomes = n->outcomes;
	j->job->noutcomes = n->noutcomes;
	n->outcomes = NULL;
	n->noutcomes = 0;
	g_free(j->job->note);
	j->job->note = NULL;
	if (n->missing_glyphs == 0)
		return;
	j->job->note = g_strdup_printf("%u character%s of your message could not be "
	    "printed: no font on the fax gateway has %s, so the fax shows a box in "
	    "place of each.", n->missing_glyphs, n->missing_glyphs == 1 ? "" : "s",
	    n->missing_glyphs == 1 ? "it" : "them");
}

/* One line per preparation; crashes and limits as warnings, naming them. */
static void
prep_log_end(const struct ojob *j, long pid, const struct offramp_worker_res *res)
{
	char esc[LOG_ESC_BUFSZ], parts[LOG_ESC_BUFSZ];

	metrics_render(res->end == OFFRAMP_WORKER_RESULT && res->rc == 0, res->secs);
	switch (res->end) {
	case OFFRAMP_WORKER_RESULT:
		if (res->rc == 0 && res->notes.missing_glyphs > 0)
			log_warnx("job=%s event=rendered pages=%u secs=%.1f parts=%s "
			    "missing_glyphs=%u", j->id, res->pages, res->secs,
			    log_str(parts, sizeof(parts), res->parts),
			    res->notes.missing_glyphs);
		else if (res->rc == 0)
			log_info("job=%s event=rendered pages=%u secs=%.1f parts=%s", j->id,
			    res->pages, res->secs, log_str(parts, sizeof(parts), res->parts));
		else
			log_info("job=%s event=render-failed status=%s secs=%.1f parts=%s (%s)",
			    j->id, res->err.status, res->secs,
			    log_str(parts, sizeof(parts), res->parts),
			    log_str(esc, sizeof(esc), res->err.text));
		if (res->rc != 0 && res->err.status[0] == '4')
			log_warnx("job=%s event=render status=%s; again in %d s", j->id,
			    res->err.status, OFFRAMP_LOCAL_RETRY);
		return;
	case OFFRAMP_WORKER_SIGNAL:
		log_warnx("job=%s event=worker-crash pid=%ld signal=SIG%s secs=%.1f "
		    "status=%s", j->id, pid,
		    sigabbrev_np(res->signal) ? sigabbrev_np(res->signal) : "?", res->secs,
		    res->err.status);
		return;
	case OFFRAMP_WORKER_TIMEOUT:
		log_warnx("job=%s event=worker-timeout pid=%ld limit=%us secs=%.1f "
		    "status=%s (killed)", j->id, pid,
		    j->o->cfg->fax_send.render_timeout, res->secs, res->err.status);
		return;
	case OFFRAMP_WORKER_GARBAGE:
		log_warnx("job=%s event=worker-garbage pid=%ld secs=%.1f status=%s", j->id,
		    pid, res->secs, res->err.status);
		return;
	case OFFRAMP_WORKER_EXIT:
		log_warnx("job=%s event=worker-exit pid=%ld exit=%d secs=%.1f; again in %d s",
		    j->id, pid, res->exit_status, res->secs, OFFRAMP_LOCAL_RETRY);
		return;
	case OFFRAMP_WORKER_SPAWN:
		return;
	}
}

void
offramp_prep_cancel(struct ojob *j)
{
	if (j->worker == NULL)
		return;
	offramp_worker_free(j->worker);   /* kills its process group */
	j->worker = NULL;
	j->o->nworkers--;
	if (j->prep_starts > 0) {
		j->prep_starts--;
		prep_store(j, j->prep_starts);
	}
	log_info("job=%s event=render-cancelled (prepared again at the next start)",
	    j->id);
}

/* The count, durably (spool_rec_store: temporary file, fsync, rename). */
static int
prep_store(struct ojob *j, unsigned starts)
{
	struct spool_rec *rec = spool_rec_new();
	int rc;

	if (rec == NULL)
		return -1;
	rc = spool_rec_add_u64(rec, "starts", starts);
	if (rc == 0)
		rc = spool_rec_store(j->o->sp, SPOOL_Q_OFFRAMP, j->id, OFFRAMP_PREP_FILE, rec);
	spool_rec_free(rec);
	return rc;
}
