/*
 * gateway/mailq/ops: the operator's view of the mail queue and the
 * operations on its jobs (list, show, retry, hold/release, delete,
 * requeue), on the mail thread. Jobs are described as json-c objects
 * (mailq.h); every operation logs one line
 *
 *     mailq event=hold|release|retry|delete|requeue job=ID result=ok|error
 *
 * with the count for retry and the reason of a refusal in parentheses.
 * A decision that must survive a restart (a hold, a fresh start) is
 * written to the job's state before it is acted on.
 *
 * Not here: the socket and its protocol (the daemon core), delivery and
 * its timers (mailq.c), the record format (state.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config/config.h"
#include "gateway/mailq/mailq.h"
#include "gateway/mailq/mailq_int.h"
#include "smtp/smtp.h"
#include "util/ctlwire.h"
#include "util/log.h"

#define OPS_REF_REPORT  "offramp-"      /* the offramp's references (record.c) */
#define OPS_ID_SHOWN    40              /* bytes of a malformed id quoted back */
#define OPS_DELETED     "deleted by the gateway's operator"

static void ops_int(struct json_object *o, const char *key, int64_t v);
static const char *ops_kind(const struct qjob *j);
static const char *ops_state(const struct qjob *j, bool failed);
static struct json_object *ops_summary(const struct qjob *j, bool failed);
static struct json_object *ops_full(struct mailq *q, const struct qjob *j, bool failed);
static int ops_cmp(const void *a, const void *b);
static int ops_id_check(const char *id, char *err, size_t errlen);
static int ops_failed_has(struct mailq *q, const char *id);
static struct qjob *ops_find(struct mailq *q, const char *id, char *err, size_t errlen);
static void ops_unschedule(struct qjob *j);
static int ops_log(const char *event, const char *id, int rc, const char *err);

/* ---- describing jobs --------------------------------------------------- */

static void
ops_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

/* The offramp's mail carries "offramp-JOB": from <> it is a DSN or MDN,
 * with the sender kept it is a forward to the postmaster. */
static const char *
ops_kind(const struct qjob *j)
{
	if (strncmp(j->call, OPS_REF_REPORT, strlen(OPS_REF_REPORT)) != 0)
		return "fax-mail";
	return j->from[0] == '\0' ? "report" : "postmaster";
}

static const char *
ops_state(const struct qjob *j, bool failed)
{
	if (failed)
		return "failed";
	if (j->active)
		return "in-flight";
	if (j->held)
		return "held";
	return j->phase == QP_BOUNCE ? "bounce" : "waiting";
}

static struct json_object *
ops_summary(const struct qjob *j, bool failed)
{
	struct json_object *o = json_object_new_object(), *to;
	time_t next = 0;

	if (o == NULL)
		return NULL;
	if (!failed && !j->active && !j->held) {
		if (j->on_ready)
			next = time(NULL);
		else if (j->timer != NULL && event_pending(j->timer, EV_TIMEOUT, NULL))
			next = j->next;
	}
	ctlwire_add_str(o, "id", j->id);
	ctlwire_add_str(o, "queue", failed ? SPOOL_Q_FAILED : SPOOL_Q_MAIL);
	ctlwire_add_str(o, "kind", ops_kind(j));
	ctlwire_add_str(o, "from", j->from);
	if ((to = json_object_new_array()) != NULL) {
		json_object_array_add(to, ctlwire_str(j->rcpt));
		json_object_object_add(o, "to", to);
	}
	ops_int(o, "created", j->created);
	ops_int(o, "attempts", j->attempts);
	ops_int(o, "next", next);
	ctlwire_add_str(o, "state", ops_state(j, failed));
	json_object_object_add(o, "held", json_object_new_boolean(j->held));
	ctlwire_add_str(o, "error", j->reason);
	return o;
}

static struct json_object *
ops_full(struct mailq *q, const struct qjob *j, bool failed)
{
	struct json_object *o = ops_summary(j, failed), *env, *hist, *h;
	char path[1024], notify[SMTP_NOTIFY_TEXT_MAX];
	struct stat st;
	unsigned i;

	if (o == NULL)
		return NULL;
	if ((env = json_object_new_object()) != NULL) {
		ctlwire_add_str(env, "from", j->from);
		ctlwire_add_str(env, "rcpt", j->rcpt);
		ctlwire_add_str(env, "notify", j->notify ? smtp_notify_format(j->notify, notify,
		    sizeof(notify)) : "");
		json_object_object_add(env, "dsn", json_object_new_boolean(j->dsn));
		ctlwire_add_str(env, "ref", j->call);
		json_object_object_add(o, "envelope", env);
	}
	ops_int(o, "size", spool_path(q->sp, failed ? SPOOL_Q_FAILED : SPOOL_Q_MAIL, j->id,
	    MAILQ_FILE_MESSAGE, path, sizeof(path)) == 0 && stat(path, &st) == 0 ?
	    (int64_t)st.st_size : 0);
	/* Give-up counts from arrival (or from a requeue, or the switch to the
	 * postmaster), held or not. */
	ops_int(o, "give_up", failed || q->cfg == NULL ? 0 :
	    (int64_t)j->since + (int64_t)q->cfg->mta_send.give_up);
	if ((hist = json_object_new_array()) != NULL) {
		for (i = 0; i < j->n_hist; i++) {
			if ((h = json_object_new_object()) == NULL)
				break;
			ops_int(h, "at", j->hist[i].at);
			ctlwire_add_str(h, "relay", j->hist[i].relay);
			ctlwire_add_str(h, "status", j->hist[i].status);
			ctlwire_add_str(h, "dsn", j->hist[i].dsn);
			ctlwire_add_str(h, "text", j->hist[i].text);
			json_object_array_add(hist, h);
		}
		json_object_object_add(o, "history", hist);
	}
	return o;
}

static int
ops_cmp(const void *a, const void *b)
{
	const struct qjob *const *x = a, *const *y = b;

	return strcmp((*x)->id, (*y)->id);
}

struct json_object *
mailq_ctl_list(struct mailq *q)
{
	struct json_object *arr = json_object_new_array(), *o;
	struct qjob **v, *j;
	unsigned i, n = 0;

	if (arr == NULL)
		return NULL;
	if (q->n_jobs == 0)
		return arr;
	if ((v = calloc(q->n_jobs, sizeof(*v))) == NULL) {
		json_object_put(arr);
		return NULL;
	}
	TAILQ_FOREACH(j, &q->jobs, all)
		if (n < q->n_jobs)
			v[n++] = j;
	qsort(v, n, sizeof(*v), ops_cmp);       /* ids sort by arrival */
	for (i = 0; i < n; i++)
		if ((o = ops_summary(v[i], false)) != NULL)
			json_object_array_add(arr, o);
	free(v);
	return arr;
}

struct json_object *
mailq_ctl_show(struct mailq *q, const char *id, char *err, size_t errlen)
{
	struct json_object *o;
	struct qjob *j;
	char why[256];

	if (ops_id_check(id, err, errlen) != 0)
		return NULL;
	if ((j = mailq_job_find(q, id)) != NULL)
		return ops_full(q, j, false);
	switch (ops_failed_has(q, id)) {
	case 0:
		snprintf(err, errlen, "no such job %s", id);
		return NULL;
	case -1:
		snprintf(err, errlen, "job %s in the failed queue is not a mail job", id);
		return NULL;
	}
	if ((j = mailq_job_read(q, SPOOL_Q_FAILED, id, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "job %s in the failed queue: %s", id, why);
		return NULL;
	}
	o = ops_full(q, j, true);
	mailq_job_free(j);
	if (o == NULL)
		snprintf(err, errlen, "out of memory");
	return o;
}

struct json_object *
mailq_ctl_failed(struct mailq *q, const char *id)
{
	struct json_object *o;
	struct qjob *j;
	char why[256];

	if (id == NULL || !spool_id_valid(id) || ops_failed_has(q, id) != 1 ||
	    (j = mailq_job_read(q, SPOOL_Q_FAILED, id, why, sizeof(why))) == NULL)
		return NULL;
	o = ops_summary(j, true);
	mailq_job_free(j);
	return o;
}

/* ---- finding jobs ------------------------------------------------------ */

static int
ops_id_check(const char *id, char *err, size_t errlen)
{
	char shown[LOG_ESC_BUFSZ];
	size_t n;

	if (id == NULL || *id == '\0') {
		snprintf(err, errlen, "no job id given");
		return -1;
	}
	if (spool_id_valid(id))
		return 0;
	n = strlen(id);
	snprintf(err, errlen, "malformed job id %s: %d lower-case hex digits expected",
	    log_esc(shown, sizeof(shown), id, n < OPS_ID_SHOWN ? n : OPS_ID_SHOWN),
	    SPOOL_ID_LEN);
	return -1;
}

/* 1: a mail job in failed/ (its "message" and "envelope"); -1: a job of
 * another room there; 0: no such job there. */
static int
ops_failed_has(struct mailq *q, const char *id)
{
	char path[1024];

	if (spool_path(q->sp, SPOOL_Q_FAILED, id, NULL, path, sizeof(path)) != 0 ||
	    access(path, F_OK) != 0)
		return 0;
	if (spool_path(q->sp, SPOOL_Q_FAILED, id, MAILQ_FILE_MESSAGE, path,
	    sizeof(path)) != 0 || access(path, F_OK) != 0)
		return -1;
	if (spool_path(q->sp, SPOOL_Q_FAILED, id, MAILQ_FILE_ENVELOPE, path,
	    sizeof(path)) != 0 || access(path, F_OK) != 0)
		return -1;
	return 1;
}

/* The queued job id for an operation that needs one, or NULL with err. */
static struct qjob *
ops_find(struct mailq *q, const char *id, char *err, size_t errlen)
{
	struct qjob *j;

	if (ops_id_check(id, err, errlen) != 0)
		return NULL;
	if ((j = mailq_job_find(q, id)) != NULL)
		return j;
	switch (ops_failed_has(q, id)) {
	case 1:
		snprintf(err, errlen, "job %s is in the failed queue: requeue it first", id);
		break;
	case -1:
		snprintf(err, errlen, "job %s in the failed queue is not a mail job", id);
		break;
	default:
		snprintf(err, errlen, "no such job %s", id);
		break;
	}
	return NULL;
}

/* Off the ready list and the timer (not in flight). */
static void
ops_unschedule(struct qjob *j)
{
	if (j->on_ready) {
		TAILQ_REMOVE(&j->q->ready, j, ready);
		j->on_ready = false;
	}
	if (j->timer != NULL)
		evtimer_del(j->timer);
}

static int
ops_log(const char *event, const char *id, int rc, const char *err)
{
	char shown[LOG_ESC_BUFSZ];

	if (rc == 0)
		log_info("mailq event=%s job=%s result=ok", event, id);
	else
		log_info("mailq event=%s job=%s result=error (%s)", event,
		    log_esc(shown, sizeof(shown), id ? id : "", id ? strlen(id) : 0), err);
	return rc;
}

/* ---- operations -------------------------------------------------------- */

int
mailq_retry(struct mailq *q, const char *id, unsigned *count, char *err, size_t errlen)
{
	struct qjob *j;
	unsigned n = 0;

	if (count != NULL)
		*count = 0;
	if (q->stopping) {
		snprintf(err, errlen, "the mail queue is shutting down");
		return ops_log("retry", id ? id : "all", -1, err);
	}
	if (id == NULL) {
		/* Every job that is not held and not in flight waits for its
		 * timer or is about to start: all go now. */
		TAILQ_FOREACH(j, &q->jobs, all) {
			if (j->held || j->active)
				continue;
			if (!j->on_ready)
				ops_unschedule(j);
			mailq_job_schedule(j, 0);
			n++;
		}
		if (count != NULL)
			*count = n;
		log_info("mailq event=retry job=all count=%u result=ok", n);
		return 0;
	}
	if ((j = ops_find(q, id, err, errlen)) == NULL)
		return ops_log("retry", id, -1, err);
	if (j->held) {
		snprintf(err, errlen, "job %s is held: release it first", id);
		return ops_log("retry", id, -1, err);
	}
	if (j->active) {
		snprintf(err, errlen, "job %s has a delivery in progress", id);
		return ops_log("retry", id, -1, err);
	}
	ops_unschedule(j);
	mailq_job_schedule(j, 0);
	if (count != NULL)
		*count = 1;
	return ops_log("retry", id, 0, NULL);
}

int
mailq_hold(struct mailq *q, const char *id, int hold, char *err, size_t errlen)
{
	const char *event = hold ? "hold" : "release";
	struct qjob *j;

	if ((j = ops_find(q, id, err, errlen)) == NULL)
		return ops_log(event, id, -1, err);
	if (j->held == (hold != 0))
		return ops_log(event, id, 0, NULL);     /* already so */
	j->held = hold != 0;
	if (mailq_job_store(j, SPOOL_Q_MAIL) != 0) {
		j->held = !j->held;
		snprintf(err, errlen, "job %s: cannot write its state: %s", id,
		    strerror(errno));
		return ops_log(event, id, -1, err);
	}
	if (hold)
		ops_unschedule(j);      /* a delivery in flight finishes */
	else if (!j->active && !q->stopping)
		mailq_job_schedule(j, 0);
	/* (in flight: its end schedules the next attempt as usual) */
	return ops_log(event, id, 0, NULL);
}

int
mailq_delete(struct mailq *q, const char *id, char *err, size_t errlen)
{
	struct qjob *j;

	if (ops_id_check(id, err, errlen) != 0)
		return ops_log("delete", id, -1, err);
	if ((j = mailq_job_find(q, id)) == NULL) {
		/* failed/: its sender (or the postmaster) was told already */
		switch (ops_failed_has(q, id)) {
		case 0:
			snprintf(err, errlen, "no such job %s", id);
			return ops_log("delete", id, -1, err);
		case -1:
			snprintf(err, errlen, "job %s in the failed queue is not a mail job",
			    id);
			return ops_log("delete", id, -1, err);
		}
		if (spool_remove(q->sp, SPOOL_Q_FAILED, id) != 0) {
			snprintf(err, errlen, "job %s: cannot remove it from the failed "
			    "queue: %s", id, strerror(errno));
			return ops_log("delete", id, -1, err);
		}
		return ops_log("delete", id, 0, NULL);
	}
	if (j->active) {
		snprintf(err, errlen, "job %s has a delivery in progress; hold it to stop "
		    "further attempts, delete it when the delivery ended", id);
		return ops_log("delete", id, -1, err);
	}
	if (spool_remove(q->sp, SPOOL_Q_MAIL, id) != 0) {
		snprintf(err, errlen, "job %s: cannot remove it from the spool: %s", id,
		    strerror(errno));
		return ops_log("delete", id, -1, err);
	}
	snprintf(j->reason, sizeof(j->reason), "%s", OPS_DELETED);
	mailq_job_record(j, "deleted");
	mailq_job_forget(j);
	return ops_log("delete", id, 0, NULL);
}

int
mailq_requeue(struct mailq *q, const char *id, char *err, size_t errlen)
{
	struct qjob *j;
	char why[256];

	if (ops_id_check(id, err, errlen) != 0)
		return ops_log("requeue", id, -1, err);
	if (mailq_job_find(q, id) != NULL) {
		snprintf(err, errlen, "job %s is not in the failed queue (it is queued: "
		    "retry it)", id);
		return ops_log("requeue", id, -1, err);
	}
	switch (ops_failed_has(q, id)) {
	case 0:
		snprintf(err, errlen, "no such job %s", id);
		return ops_log("requeue", id, -1, err);
	case -1:
		snprintf(err, errlen, "job %s in the failed queue is not a mail job", id);
		return ops_log("requeue", id, -1, err);
	}
	if ((j = mailq_job_read(q, SPOOL_Q_FAILED, id, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "job %s in the failed queue: %s", id, why);
		return ops_log("requeue", id, -1, err);
	}
	/* A fresh start: the recipient first, give-up counted from now. The
	 * history stays (it tells why the job failed before). */
	j->phase = QP_DELIVER;
	j->attempts = 0;
	j->delay = 0;
	j->next = 0;
	j->since = time(NULL);
	j->held = false;
	j->reason[0] = '\0';
	if (mailq_job_store(j, SPOOL_Q_FAILED) != 0) {
		snprintf(err, errlen, "job %s: cannot write its state: %s", id,
		    strerror(errno));
		mailq_job_free(j);
		return ops_log("requeue", id, -1, err);
	}
	mailq_job_free(j);
	if (spool_move(q->sp, SPOOL_Q_FAILED, id, SPOOL_Q_MAIL) != 0) {
		snprintf(err, errlen, "job %s: cannot move it to the mail queue: %s", id,
		    strerror(errno));
		return ops_log("requeue", id, -1, err);
	}
	if (mailq_add(q, id) != 0) {
		/* unreadable after all: back where the operator found it */
		if (spool_move(q->sp, SPOOL_Q_MAIL, id, SPOOL_Q_FAILED) != 0)
			log_warn("job=%s cannot move back to %s", id, SPOOL_Q_FAILED);
		snprintf(err, errlen, "job %s cannot be scheduled (see the log)", id);
		return ops_log("requeue", id, -1, err);
	}
	return ops_log("requeue", id, 0, NULL);
}
