/*
 * gateway/mailq/state: the records of a mail job in the spool (see
 * mailq.h for the layout). The builders write the envelope; the queue
 * writes the state: phase, attempts, timers, the last failure, the
 * operator's hold ("held 1") and the last MAILQ_HISTORY_MAX attempts, one
 * group of hist_* keys per attempt, oldest first. A state file written
 * before holds and history existed simply has none of those keys.
 *
 * Not here: when a record is written (mailq.c, ops.c), the file
 * discipline (gateway/spool).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "gateway/mailq/mailq.h"
#include "gateway/mailq/mailq_int.h"
#include "smtp/smtp.h"

static void state_copy(char *dst, size_t size, const struct spool_rec *rec, const char *key);
static void state_read(struct qjob *j, const struct spool_rec *st);
static void hist_clear(struct mailq_hist *h);
static int hist_store(struct spool_rec *rec, const struct mailq_hist *h);
static void hist_load(struct qjob *j, const struct spool_rec *st);

static void
state_copy(char *dst, size_t size, const struct spool_rec *rec, const char *key)
{
	const char *v = spool_rec_get(rec, key);

	snprintf(dst, size, "%s", v ? v : "");
}

struct qjob *
mailq_job_read(struct mailq *q, const char *queue, const char *id, char *err,
    size_t errlen)
{
	struct spool_rec *env, *st;
	struct qjob *j;
	char why[128];
	uint64_t v;
	int n;

	env = spool_rec_load(q->sp, queue, id, MAILQ_FILE_ENVELOPE, why, sizeof(why));
	if (env == NULL) {
		snprintf(err, errlen, "envelope unreadable: %s", why);
		return NULL;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		spool_rec_free(env);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->q = q;
	snprintf(j->id, sizeof(j->id), "%s", id);
	state_copy(j->from, sizeof(j->from), env, "from");
	state_copy(j->rcpt, sizeof(j->rcpt), env, "rcpt");
	n = smtp_notify_parse(spool_rec_get(env, "notify"));   /* "" or none: -1 */
	j->notify = n > 0 ? (unsigned)n : 0;
	state_copy(j->call, sizeof(j->call), env, "call");
	j->dsn = spool_rec_get(env, "dsn") && strcmp(spool_rec_get(env, "dsn"), "1") == 0;
	j->ret_hdrs = j->dsn;
	j->created = spool_rec_get_u64(env, "created", &v) == 0 ? (time_t)v : time(NULL);
	j->since = j->created;
	spool_rec_free(env);
	if (j->rcpt[0] == '\0') {
		snprintf(err, errlen, "envelope has no recipient");
		free(j);
		return NULL;
	}
	st = spool_rec_load(q->sp, queue, id, MAILQ_FILE_STATE, why, sizeof(why));
	if (st != NULL) {
		state_read(j, st);
		spool_rec_free(st);
	}
	return j;
}

static void
state_read(struct qjob *j, const struct spool_rec *st)
{
	const char *phase = spool_rec_get(st, "phase"), *held = spool_rec_get(st, "held");
	uint64_t v;

	j->phase = phase && strcmp(phase, "bounce") == 0 ? QP_BOUNCE : QP_DELIVER;
	if (spool_rec_get_u64(st, "attempts", &v) == 0)
		j->attempts = (unsigned)v;
	if (spool_rec_get_u64(st, "delay", &v) == 0)
		j->delay = (unsigned)v;
	if (spool_rec_get_u64(st, "next", &v) == 0)
		j->next = (time_t)v;
	if (spool_rec_get_u64(st, "since", &v) == 0)
		j->since = (time_t)v;
	state_copy(j->reason, sizeof(j->reason), st, "reason");
	j->held = held != NULL && strcmp(held, "1") == 0;
	hist_load(j, st);
}

/* The hist_* groups in order; a group starts at its hist_at key, so a
 * record cut short or with unknown keys still gives whole entries. */
static void
hist_load(struct qjob *j, const struct spool_rec *st)
{
	static const char *const keys[] = { "hist_relay", "hist_status", "hist_dsn",
	    "hist_text" };
	struct mailq_hist *h = NULL;
	size_t i, k, n = spool_rec_count(st);
	uint64_t at;
	char **field;

	for (i = 0; i < n; i++) {
		const char *key = spool_rec_key(st, i);

		if (strcmp(key, "hist_at") == 0) {
			if (spool_rec_value_u64(st, i, &at) != 0)
				at = 0;
			mailq_job_history_add(j, (time_t)at, "", "", "", "");
			h = &j->hist[j->n_hist - 1];
			continue;
		}
		if (h == NULL)
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			if (strcmp(key, keys[k]) != 0)
				continue;
			field = k == 0 ? &h->relay : k == 1 ? &h->status : k == 2 ? &h->dsn :
			    &h->text;
			free(*field);
			*field = strdup(spool_rec_value(st, i, NULL));
		}
	}
}

static void
hist_clear(struct mailq_hist *h)
{
	free(h->relay);
	free(h->status);
	free(h->dsn);
	free(h->text);
	memset(h, 0, sizeof(*h));
}

void
mailq_job_history_add(struct qjob *j, time_t at, const char *relay, const char *status,
    const char *dsn, const char *text)
{
	struct mailq_hist *h;

	if (j->n_hist == MAILQ_HISTORY_MAX) {
		hist_clear(&j->hist[0]);
		memmove(&j->hist[0], &j->hist[1], (MAILQ_HISTORY_MAX - 1) * sizeof(j->hist[0]));
		j->n_hist--;
	}
	h = &j->hist[j->n_hist++];
	h->at = at;
	/* Without memory a field stays NULL: written and shown as "". */
	h->relay = strdup(relay ? relay : "");
	h->status = strdup(status ? status : "");
	h->dsn = strdup(dsn ? dsn : "");
	h->text = strdup(text ? text : "");
}

static int
hist_store(struct spool_rec *rec, const struct mailq_hist *h)
{
	return spool_rec_add_u64(rec, "hist_at", (uint64_t)h->at) == 0 &&
	    spool_rec_add(rec, "hist_relay", h->relay ? h->relay : "") == 0 &&
	    spool_rec_add(rec, "hist_status", h->status ? h->status : "") == 0 &&
	    spool_rec_add(rec, "hist_dsn", h->dsn ? h->dsn : "") == 0 &&
	    spool_rec_add(rec, "hist_text", h->text ? h->text : "") == 0 ? 0 : -1;
}

int
mailq_job_store(struct qjob *j, const char *queue)
{
	struct spool_rec *rec = spool_rec_new();
	unsigned i;
	int rc = -1, e;

	if (rec == NULL) {
		log_warnx("job=%s cannot save its state: out of memory", j->id);
		return -1;
	}
	e = spool_rec_add(rec, "phase", j->phase == QP_BOUNCE ? "bounce" : "deliver") == 0 &&
	    spool_rec_add_u64(rec, "attempts", j->attempts) == 0 &&
	    spool_rec_add_u64(rec, "delay", j->delay) == 0 &&
	    spool_rec_add_u64(rec, "next", (uint64_t)j->next) == 0 &&
	    spool_rec_add_u64(rec, "since", (uint64_t)j->since) == 0 &&
	    spool_rec_add(rec, "reason", j->reason) == 0 &&
	    (!j->held || spool_rec_add(rec, "held", "1") == 0);
	for (i = 0; e && i < j->n_hist; i++)
		e = hist_store(rec, &j->hist[i]) == 0;
	if (e)
		rc = spool_rec_store(j->q->sp, queue, j->id, MAILQ_FILE_STATE, rec);
	spool_rec_free(rec);
	if (rc != 0)
		log_warn("job=%s cannot save its state", j->id);
	return rc;
}

void
mailq_job_free(struct qjob *j)
{
	unsigned i;

	if (j == NULL)
		return;
	if (j->client)
		smtp_client_cancel(j->client);
	free(j->token);
	if (j->timer)
		event_free(j->timer);
	for (i = 0; i < j->n_hist; i++)
		hist_clear(&j->hist[i]);
	free(j);
}

/* ---- building jobs ----------------------------------------------------- */

int
mailq_envelope_write(struct spool_job *job, const struct mailq_envelope *env)
{
	char notify[SMTP_NOTIFY_TEXT_MAX];
	struct spool_rec *rec;
	const char *data;
	size_t len;
	int e = 0, rc = -1;

	if (env->rcpt == NULL || *env->rcpt == '\0' || strlen(env->rcpt) >= MAILQ_ADDR_MAX ||
	    env->from == NULL || strlen(env->from) >= MAILQ_ADDR_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((rec = spool_rec_new()) == NULL)
		return -1;
	e |= spool_rec_add(rec, "from", env->from);
	e |= spool_rec_add(rec, "rcpt", env->rcpt);
	e |= spool_rec_add(rec, "dsn", env->dsn ? "1" : "0");
	if (env->dsn && env->notify != 0)
		e |= spool_rec_add(rec, "notify", smtp_notify_format(env->notify, notify,
		    sizeof(notify)));
	e |= spool_rec_add_u64(rec, "created", (uint64_t)time(NULL));
	e |= spool_rec_add(rec, "call", env->ref != NULL ? env->ref : "");
	if (e == 0 && (data = spool_rec_data(rec, &len)) != NULL)
		rc = spool_job_write(job, MAILQ_FILE_ENVELOPE, data, len);
	spool_rec_free(rec);
	return rc;
}

int
mailq_job_commit(struct spool *sp, const struct mailq_envelope *env, const char *msg,
    size_t len, char id[SPOOL_ID_LEN + 1])
{
	struct spool_job *job;

	if ((job = spool_job_new(sp, SPOOL_Q_MAIL, id)) == NULL)
		return -1;
	if (spool_job_write(job, MAILQ_FILE_MESSAGE, msg, len) != 0 ||
	    mailq_envelope_write(job, env) != 0) {
		spool_job_abort(job);
		return -1;
	}
	return spool_job_commit(job);
}
