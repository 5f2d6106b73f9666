/*
 * gateway/offramp/ops: the operator's view of the offramp's jobs and what
 * may be done to them, on the mail thread: each job as a JSON summary or
 * in full (its envelope, recipients and their last calls), and retry,
 * hold/release, delete and requeue. Jobs in memory are the runner's (run.c);
 * jobs in the failed queue are read from the spool, and are the offramp's
 * when they hold its files ("msg" and "env").
 *
 * Not here: the control socket and its protocol (the daemon's core), mail
 * jobs (gateway/mailq), the ladder itself (retry.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <json-c/json.h>

#include "gateway/offramp/run_int.h"
#include "gateway/spool/spool.h"
#include "util/ctlwire.h"
#include "util/log.h"

#define OPS_DELETED_STATUS "5.0.0"
#define OPS_DELETED_DIAG "deleted by the gateway's operator"

static struct ojob *ops_find(struct offramp *o, const char *id, char *err, size_t errlen);
static int failed_is_ours(struct offramp *o, const char *id);
static struct offramp_job *failed_load(struct offramp *o, const char *id, char *err,
    size_t errlen);
static struct json_object *job_summary(const struct offramp_job *job, const char *id,
    const struct ojob *j);
static void job_full(struct json_object *out, struct offramp *o, const char *queue,
    const char *id, const struct offramp_job *job, const struct ojob *j);
static const char *job_state(const struct offramp_job *job, const struct ojob *j);
static const char *rcpt_state(const struct offramp_rcpt *r, int held);
static void j_int(struct json_object *o, const char *key, int64_t v);
static int ops_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static gint id_cmp(gconstpointer a, gconstpointer b);

/* ---- the view ------------------------------------------------------------ */

struct json_object *
offramp_ctl_list(struct offramp *o)
{
	struct json_object *a = json_object_new_array();
	GList *ids = g_hash_table_get_keys(o->jobs), *l;

	ids = g_list_sort(ids, id_cmp);
	for (l = ids; l != NULL && a != NULL; l = l->next) {
		const struct ojob *j = g_hash_table_lookup(o->jobs, l->data);

		json_object_array_add(a, job_summary(j->job, j->id, j));
	}
	g_list_free(ids);
	return a;
}

struct json_object *
offramp_ctl_show(struct offramp *o, const char *id, char *err, size_t errlen)
{
	struct offramp_job *job;
	struct json_object *out;
	const struct ojob *j;

	if (id == NULL || !spool_id_valid(id)) {
		ops_err(err, errlen, "no such job %s", id ? id : "");
		return NULL;
	}
	if ((j = g_hash_table_lookup(o->jobs, id)) != NULL) {
		out = job_summary(j->job, j->id, j);
		job_full(out, o, SPOOL_Q_OFFRAMP, id, j->job, j);
		return out;
	}
	if (!failed_is_ours(o, id)) {
		ops_err(err, errlen, "no such job %s", id);
		return NULL;
	}
	if ((job = failed_load(o, id, err, errlen)) == NULL)
		return NULL;
	out = job_summary(job, id, NULL);
	job_full(out, o, SPOOL_Q_FAILED, id, job, NULL);
	offramp_job_free(job);
	return out;
}

struct json_object *
offramp_ctl_failed(struct offramp *o, const char *id)
{
	struct offramp_job *job;
	struct json_object *out;
	char err[256];

	if (id == NULL || !spool_id_valid(id) || !failed_is_ours(o, id))
		return NULL;
	if ((job = failed_load(o, id, err, sizeof(err))) == NULL) {
		/* Unreadable: still the operator's to see, requeue or delete. */
		out = json_object_new_object();
		ctlwire_add_str(out, "id", id);
		ctlwire_add_str(out, "queue", SPOOL_Q_FAILED);
		ctlwire_add_str(out, "kind", "offramp");
		ctlwire_add_str(out, "from", "");
		json_object_object_add(out, "to", json_object_new_array());
		j_int(out, "created", 0);
		j_int(out, "attempts", 0);
		j_int(out, "next", 0);
		ctlwire_add_str(out, "state", "failed");
		json_object_object_add(out, "held", json_object_new_boolean(0));
		ctlwire_add_str(out, "error", err);
		return out;
	}
	out = job_summary(job, id, NULL);
	offramp_job_free(job);
	return out;
}

/* A summary row; j NULL for a job of the failed queue. Caller owns it. */
static struct json_object *
job_summary(const struct offramp_job *job, const char *id, const struct ojob *j)
{
	struct json_object *out = json_object_new_object(), *to = json_object_new_array();
	const char *error = "";
	time_t next = 0, last = -1;
	unsigned attempts = 0;
	size_t i;
	int held = j != NULL && (job->held || offramp_run_held(j->o));

	for (i = 0; i < job->nrcpts; i++) {
		const struct offramp_rcpt *r = &job->rcpts[i];

		json_object_array_add(to, json_object_new_string(r->number != NULL ?
		    r->number : r->addr));
		attempts += r->retry.attempts;
		if (r->retry.phase == OFFRAMP_RCPT_READY && j != NULL && !held &&
		    j->phase == OJ_CALLING && (next == 0 || r->retry.next_at < next))
			next = r->retry.next_at;
		/* the cause of the latest call that did not deliver */
		if (r->retry.phase != OFFRAMP_RCPT_DELIVERED && r->retry.diag[0] != '\0' &&
		    r->retry.last_attempt > last) {
			last = r->retry.last_attempt;
			error = r->retry.diag;
		}
	}
	ctlwire_add_str(out, "id", id);
	ctlwire_add_str(out, "queue", j != NULL ? SPOOL_Q_OFFRAMP : SPOOL_Q_FAILED);
	ctlwire_add_str(out, "kind", "offramp");
	ctlwire_add_str(out, "from", job->from);
	json_object_object_add(out, "to", to);
	j_int(out, "created", job->received);
	j_int(out, "attempts", attempts);
	j_int(out, "next", next);
	ctlwire_add_str(out, "state", job_state(job, j));
	json_object_object_add(out, "held", json_object_new_boolean(j != NULL ?
	    job->held : 0));
	ctlwire_add_str(out, "error", error);
	return out;
}

static const char *
job_state(const struct offramp_job *job, const struct ojob *j)
{
	if (j == NULL)
		return "failed";
	if (j->calls > 0)
		return "calling";          /* a held job's call in flight finishes */
	if (job->held || offramp_run_held(j->o))
		return "held";
	switch (j->phase) {
	case OJ_LOADED:
	case OJ_RENDERING:
		return "rendering";
	case OJ_WAITING:
	case OJ_CALLING:
		break;
	}
	return "waiting";
}

static const char *
rcpt_state(const struct offramp_rcpt *r, int held)
{
	switch (r->retry.phase) {
	case OFFRAMP_RCPT_READY:
		return held ? "held" : "waiting";
	case OFFRAMP_RCPT_DIALING:
		return "dialing";
	case OFFRAMP_RCPT_DELIVERED:
		return "delivered";
	case OFFRAMP_RCPT_FAILED:
		break;
	}
	return "failed";
}

/* The fields of `show`: the envelope, pages, recipients with their calls. */
static void
job_full(struct json_object *out, struct offramp *o, const char *queue, const char *id,
    const struct offramp_job *job, const struct ojob *j)
{
	struct json_object *env = json_object_new_object(), *rs = json_object_new_array();
	struct spool_rec *rec;
	char err[128];
	uint64_t size = 0;
	size_t i, k;
	int held = j != NULL && (job->held || offramp_run_held(o));

	rec = spool_rec_load(o->sp, queue, id, "env", err, sizeof(err));
	ctlwire_add_str(env, "from", job->from);
	ctlwire_add_str(env, "envid", job->envid != NULL ? job->envid : "");
	ctlwire_add_str(env, "ret", job->ret == MIME_RET_FULL ? "FULL" : job->ret == MIME_RET_HDRS ?
	    "HDRS" : "");
	ctlwire_add_str(env, "client", rec != NULL ? spool_rec_get(rec, "client") : "");
	ctlwire_add_str(env, "helo", rec != NULL ? spool_rec_get(rec, "helo") : "");
	ctlwire_add_str(env, "auth", rec != NULL ? spool_rec_get(rec, "auth") : "");
	if (rec != NULL)
		spool_rec_get_u64(rec, "size", &size);
	j_int(env, "size", (int64_t)size);
	spool_rec_free(rec);
	json_object_object_add(out, "envelope", env);
	j_int(out, "pages", j != NULL ? j->pages : 0);
	for (i = 0; i < job->nrcpts; i++) {
		const struct offramp_rcpt *r = &job->rcpts[i];
		struct json_object *x = json_object_new_object(), *h = json_object_new_array();

		ctlwire_add_str(x, "address", r->addr);
		ctlwire_add_str(x, "number", r->number != NULL ? r->number : "");
		ctlwire_add_str(x, "state", r->postmaster ? "forwarded" : rcpt_state(r, held));
		j_int(x, "attempts", r->retry.attempts);
		j_int(x, "next", r->retry.phase == OFFRAMP_RCPT_READY && !held &&
		    j != NULL ? r->retry.next_at : 0);
		ctlwire_add_str(x, "status", r->retry.status);
		ctlwire_add_str(x, "error", r->retry.phase == OFFRAMP_RCPT_DELIVERED ? "" : r->retry.diag);
		ctlwire_add_str(x, "csi", r->retry.csi);
		j_int(x, "pages_sent", r->retry.pages_sent);
		j_int(x, "pages_total", r->retry.pages_total);
		for (k = 0; k < r->nhist; k++) {
			const struct offramp_call_hist *c = &r->hist[k];
			struct json_object *e = json_object_new_object();

			j_int(e, "at", c->at);
			j_int(e, "secs", c->secs);
			ctlwire_add_str(e, "result", c->result);
			ctlwire_add_str(e, "status", c->status);
			ctlwire_add_str(e, "error", c->error);
			j_int(e, "pages_sent", c->pages_sent);
			j_int(e, "pages_total", c->pages_total);
			ctlwire_add_str(e, "csi", c->csi);
			json_object_array_add(h, e);
		}
		json_object_object_add(x, "history", h);
		json_object_array_add(rs, x);
	}
	json_object_object_add(out, "recipients", rs);
}

/* ---- operations ---------------------------------------------------------- */

int
offramp_retry(struct offramp *o, const char *id, unsigned *count, char *err, size_t errlen)
{
	GList *ids = NULL, *l;
	time_t now = time(NULL);
	unsigned n = 0;
	struct ojob *one = NULL;

	*count = 0;
	if (id != NULL) {
		if ((one = ops_find(o, id, err, errlen)) == NULL)
			return -1;
		if (one->job->held)
			return ops_err(err, errlen, "job %s is held: release it first", id);
		ids = g_list_append(NULL, one->id);
	} else {
		ids = g_list_sort(g_hash_table_get_keys(o->jobs), id_cmp);
	}
	/* Only timers are set here: no job ends during the loop. */
	for (l = ids; l != NULL; l = l->next) {
		struct ojob *j = g_hash_table_lookup(o->jobs, l->data);
		int due = 0;
		size_t i;

		if (j == NULL || j->job->held)
			continue;
		if (j->phase == OJ_WAITING) {
			due = 1;       /* prepared again at once */
		} else if (j->phase == OJ_CALLING) {
			for (i = 0; i < j->job->nrcpts; i++) {
				struct offramp_rcpt_retry *r = &j->job->rcpts[i].retry;

				if (r->phase == OFFRAMP_RCPT_READY && !j->job->rcpts[i].postmaster) {
					if (r->next_at > now)
						r->next_at = now;
					due = 1;
				}
			}
			if (due)
				offramp_run_persist(j);
		}
		if (!due)
			continue;
		offramp_run_schedule(j, now);
		n++;
	}
	g_list_free(ids);
	*count = n;
	log_info("offramp event=retry job=%s jobs=%u result=ok%s", id != NULL ? id : "all", n,
	    offramp_run_held(o) ? " (fax send hold: no call is placed until it is lifted)" : "");
	return 0;
}

int
offramp_hold(struct offramp *o, const char *id, int hold, char *err, size_t errlen)
{
	struct ojob *j = ops_find(o, id, err, errlen);
	int was;

	if (j == NULL)
		return -1;
	was = j->job->held;
	j->job->held = hold != 0;
	if (was != j->job->held && offramp_run_persist(j) != 0) {
		j->job->held = was;
		return ops_err(err, errlen, "job %s: cannot write its state: %s", id,
		    strerror(errno));
	}
	log_info("offramp event=%s job=%s calls=%u result=ok", hold ? "hold" : "release",
	    j->id, j->calls);
	if (!hold)
		offramp_run_schedule(j, time(NULL));   /* tried at once */
	return 0;
}

int
offramp_delete(struct offramp *o, const char *id, char *err, size_t errlen)
{
	struct offramp_rcpt_retry *rs;
	struct offramp_report_cfg rc;
	size_t i, n = 0, *idx, ndsn;
	struct ojob *j;

	if (id != NULL && spool_id_valid(id) && g_hash_table_lookup(o->jobs, id) == NULL &&
	    failed_is_ours(o, id)) {
		/* Its sender was told when it failed. */
		if (spool_remove(o->sp, SPOOL_Q_FAILED, id) != 0)
			return ops_err(err, errlen, "job %s cannot be removed: %s", id,
			    strerror(errno));
		log_info("offramp event=delete job=%s queue=%s dsn=none result=ok", id,
		    SPOOL_Q_FAILED);
		return 0;
	}
	if ((j = ops_find(o, id, err, errlen)) == NULL)
		return -1;
	if (j->calls > 0)
		return ops_err(err, errlen, "job %s has a call in progress; hold it to stop "
		    "further calls, delete it when the call ended", id);
	offramp_prep_cancel(j);
	if (j->phase == OJ_RENDERING || j->phase == OJ_LOADED)
		j->phase = OJ_CALLING;   /* not prepared any more: every recipient ends */
	for (i = 0; i < j->job->nrcpts; i++) {
		struct offramp_rcpt *r = &j->job->rcpts[i];

		if (r->postmaster || r->retry.phase == OFFRAMP_RCPT_DELIVERED ||
		    r->retry.phase == OFFRAMP_RCPT_FAILED)
			continue;
		offramp_retry_fail_now(&r->retry, OPS_DELETED_STATUS, OPS_DELETED_DIAG);
		n++;
	}
	/* Whether the NOTIFY rules owe the sender a DSN about it now. */
	rs = g_new(struct offramp_rcpt_retry, j->job->nrcpts ? j->job->nrcpts : 1);
	idx = g_new(size_t, j->job->nrcpts ? j->job->nrcpts : 1);
	for (i = 0; i < j->job->nrcpts; i++)
		rs[i] = j->job->rcpts[i].retry;
	offramp_report_cfg_from_config(o->cfg, &rc);
	ndsn = offramp_retry_final_dsn(rs, j->job->nrcpts, &rc.dsn, j->job->from, idx);
	g_free(rs);
	g_free(idx);
	j->job->deleted = 1;
	offramp_run_persist(j);
	log_info("offramp event=delete job=%s rcpts=%zu dsn=%s result=ok", id, n,
	    ndsn > 0 ? "queued" : "none");
	offramp_run_changed(j);   /* the report, then the end of the job; may free it */
	return 0;
}

int
offramp_requeue(struct offramp *o, const char *id, char *err, size_t errlen)
{
	struct offramp_job *job;
	struct spool_rec *state, *prep;
	time_t now = time(NULL);
	size_t i, n = 0;
	int rc;

	if (id == NULL || !spool_id_valid(id))
		return ops_err(err, errlen, "no such job %s", id ? id : "");
	if (g_hash_table_lookup(o->jobs, id) != NULL)
		return ops_err(err, errlen, "job %s is not in the failed queue", id);
	if (!failed_is_ours(o, id))
		return ops_err(err, errlen, "no such job %s in the failed queue", id);
	if ((job = failed_load(o, id, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < job->nrcpts; i++) {
		struct offramp_rcpt *r = &job->rcpts[i];

		if (r->postmaster || r->retry.phase == OFFRAMP_RCPT_DELIVERED)
			continue;
		offramp_retry_init(&r->retry, r->retry.notify, now);
		n++;
	}
	job->held = 0;
	job->deleted = 0;
	job->requeued = now;
	state = offramp_job_state(job);
	offramp_job_free(job);
	prep = spool_rec_new();
	/* The count of interrupted preparations starts over: a fresh start. */
	rc = state == NULL || prep == NULL || spool_rec_add_u64(prep, "starts", 0) != 0 ||
	    spool_rec_store(o->sp, SPOOL_Q_FAILED, id, OFFRAMP_PREP_FILE, prep) != 0 ||
	    spool_rec_store(o->sp, SPOOL_Q_FAILED, id, OFFRAMP_STATE_FILE, state) != 0 ||
	    spool_move(o->sp, SPOOL_Q_FAILED, id, SPOOL_Q_OFFRAMP) != 0 ? -1 : 0;
	spool_rec_free(state);
	spool_rec_free(prep);
	if (rc != 0)
		return ops_err(err, errlen, "job %s cannot be requeued: %s", id, strerror(errno));
	log_info("offramp event=requeue job=%s rcpts=%zu result=ok", id, n);
	offramp_add(o, id);
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* A job of the offramp in memory; else NULL with the operator's words. */
static struct ojob *
ops_find(struct offramp *o, const char *id, char *err, size_t errlen)
{
	struct ojob *j;
	char path[PATH_MAX];

	if (id == NULL || !spool_id_valid(id)) {
		ops_err(err, errlen, "no such job %s", id ? id : "");
		return NULL;
	}
	if ((j = g_hash_table_lookup(o->jobs, id)) != NULL)
		return j;
	/* Committed by the intake, not scanned yet: loaded now. */
	if (spool_path(o->sp, SPOOL_Q_OFFRAMP, id, "env", path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0) {
		offramp_add(o, id);
		if ((j = g_hash_table_lookup(o->jobs, id)) != NULL)
			return j;
	}
	if (failed_is_ours(o, id))
		ops_err(err, errlen, "job %s is in the failed queue: requeue it first", id);
	else
		ops_err(err, errlen, "no such job %s", id);
	return NULL;
}

/* A job of the failed queue with the offramp's files. */
static int
failed_is_ours(struct offramp *o, const char *id)
{
	char path[PATH_MAX];

	return spool_path(o->sp, SPOOL_Q_FAILED, id, "env", path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0 &&
	    spool_path(o->sp, SPOOL_Q_FAILED, id, "msg", path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0;
}

/* A failed job's envelope and state (a damaged state: as it arrived).
 * Caller frees; NULL with err when the envelope cannot be read. */
static struct offramp_job *
failed_load(struct offramp *o, const char *id, char *err, size_t errlen)
{
	struct offramp_job *job;
	struct spool_rec *env, *state;
	char why[256];
	size_t i;

	env = spool_rec_load(o->sp, SPOOL_Q_FAILED, id, "env", why, sizeof(why));
	if (env == NULL) {
		ops_err(err, errlen, "job %s: its envelope is unreadable: %s", id, why);
		return NULL;
	}
	job = offramp_job_new();
	for (i = 0; i < spool_rec_count(env); i++)
		if (offramp_job_env(job, spool_rec_key(env, i), spool_rec_value(env, i, NULL),
		    why, sizeof(why)) != 0) {
			ops_err(err, errlen, "job %s: its envelope is damaged: %s", id, why);
			spool_rec_free(env);
			offramp_job_free(job);
			return NULL;
		}
	spool_rec_free(env);
	state = spool_rec_load(o->sp, SPOOL_Q_FAILED, id, OFFRAMP_STATE_FILE, why,
	    sizeof(why));
	if (state != NULL)
		offramp_job_state_load(job, state, why, sizeof(why));
	spool_rec_free(state);
	return job;
}

static void
j_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static int
ops_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static gint
id_cmp(gconstpointer a, gconstpointer b)
{
	return strcmp(a, b);
}
