/*
 * gateway/offramp/job: one accepted offramp message and its recipients,
 * between the intake's spool record and the reports the sender gets.
 *
 * It loads the envelope the intake wrote (gateway/intake.h: from, envid,
 * ret, received, and per recipient rcpt, rcpt.number, rcpt.notify,
 * rcpt.orcpt, ...), keeps each recipient's retry ladder, writes and reads
 * the job's progress record, and decides and builds the DSNs (RFC 3461)
 * and MDNs (RFC 8098) that are due.
 *
 * Not here: the spool I/O, dialing, rendering, and sending the reports.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <glib.h>

#include "gateway/offramp/job.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "smtp/smtp.h"

static struct offramp_rcpt *job_last(struct offramp_job *j);
static int env_orcpt(struct offramp_rcpt *r, const char *value);
static char *job_report(struct offramp_job *j, const struct offramp_report_cfg *cfg,
    const struct offramp_retry_policy *p, const char *msg_path, time_t now,
    const size_t *idx, size_t n, size_t *len, struct mime_error *err);
static int set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void hist_text(char *dst, size_t size, const char *src);
static void hist_push(struct offramp_call_hist **hs, size_t *n,
    const struct offramp_call_hist *h);
static int hist_store(const struct offramp_job *j, struct spool_rec *rec);
static int hist_load_key(struct offramp_call_hist **hs, size_t *n, const char *key,
    const char *v, size_t len);

struct offramp_job *
offramp_job_new(void)
{
	struct offramp_job *j = g_new0(struct offramp_job, 1);

	j->from = g_strdup("");
	j->ret = MIME_RET_UNSET;
	return j;
}

void
offramp_job_free(struct offramp_job *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->nrcpts; i++) {
		g_free(j->rcpts[i].addr);
		g_free(j->rcpts[i].number);
		g_free(j->rcpts[i].peer);
		g_free(j->rcpts[i].orcpt_type);
		g_free(j->rcpts[i].orcpt);
		g_free(j->rcpts[i].hist);
	}
	g_free(j->rcpts);
	g_free(j->from);
	g_free(j->envid);
	g_free(j->note);
	g_free(j->outcomes);
	g_free(j);
}

int
offramp_job_env(struct offramp_job *j, const char *key, const char *value,
    char *err, size_t errlen)
{
	struct offramp_rcpt *r;

	if (strcmp(key, "from") == 0) {
		g_free(j->from);
		j->from = g_strdup(value);
	} else if (strcmp(key, "envid") == 0) {
		char dec[SMTP_ENVID_MAX + 1];

		/* RFC 3461 6.3 (a): the DSN carries the decoded value. */
		if (smtp_xtext_decode(value, dec, sizeof(dec)) < 0)
			return set_err(err, errlen, "envid: not valid xtext");
		g_free(j->envid);
		j->envid = g_strdup(dec);
	} else if (strcmp(key, "ret") == 0) {
		if (strcasecmp(value, "FULL") == 0)
			j->ret = MIME_RET_FULL;
		else if (strcasecmp(value, "HDRS") == 0)
			j->ret = MIME_RET_HDRS;
		else
			return set_err(err, errlen, "ret: \"%s\" is neither FULL nor HDRS", value);
	} else if (strcmp(key, "received") == 0) {
		char *end;
		long long t = strtoll(value, &end, 10);

		if (*value == '\0' || *end != '\0' || t <= 0)
			return set_err(err, errlen, "received: not a time");
		j->received = (time_t)t;
		for (size_t i = 0; i < j->nrcpts; i++)
			if (j->rcpts[i].retry.attempts == 0)
				j->rcpts[i].retry.next_at = j->received;
	} else if (strcmp(key, "rcpt") == 0) {
		if (j->nrcpts >= OFFRAMP_RCPT_MAX)
			return set_err(err, errlen, "more than %d recipients", OFFRAMP_RCPT_MAX);
		j->rcpts = g_renew(struct offramp_rcpt, j->rcpts, j->nrcpts + 1);
		r = &j->rcpts[j->nrcpts++];
		memset(r, 0, sizeof(*r));
		r->addr = g_strdup(value);
		r->cover = -1;
		offramp_retry_init(&r->retry, OFFRAMP_NOTIFY_DEFAULT, j->received);
	} else if (strncmp(key, "rcpt.", 5) == 0) {
		if ((r = job_last(j)) == NULL)
			return set_err(err, errlen, "%s before any rcpt", key);
		if (strcmp(key, "rcpt.number") == 0) {
			g_free(r->number);
			r->number = g_strdup(value);
		} else if (strcmp(key, "rcpt.peer") == 0) {
			g_free(r->peer);
			r->peer = g_strdup(value);
		} else if (strcmp(key, "rcpt.cover") == 0) {
			if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
				return set_err(err, errlen, "rcpt.cover: \"%s\" is not yes or no",
				    value);
			r->cover = strcmp(value, "yes") == 0;
		} else if (strcmp(key, "rcpt.kind") == 0) {
			r->postmaster = strcmp(value, "postmaster") == 0;
		} else if (strcmp(key, "rcpt.notify") == 0) {
			int n = smtp_notify_parse(value);

			if (n < 0)
				return set_err(err, errlen, "rcpt.notify: \"%s\" is not a NOTIFY value",
				    value);
			r->retry.notify = (unsigned)n;
		} else if (strcmp(key, "rcpt.orcpt") == 0) {
			if (env_orcpt(r, value) != 0)
				return set_err(err, errlen, "rcpt.orcpt: not addr-type;xtext");
		}
		/* rcpt.subaddr, rcpt.forward: not needed for delivery reports */
	}
	/* Other keys (version, smtp, client, helo, tls, auth, body, size)
	 * describe the session, not the delivery. */
	return 0;
}

int
offramp_job_cover(const struct offramp_job *j, int config_cover)
{
	size_t i;

	for (i = 0; i < j->nrcpts; i++)
		if (!j->rcpts[i].postmaster && j->rcpts[i].cover >= 0)
			return j->rcpts[i].cover;
	return config_cover != 0;
}

static struct offramp_rcpt *
job_last(struct offramp_job *j)
{
	return j->nrcpts > 0 ? &j->rcpts[j->nrcpts - 1] : NULL;
}

/* RFC 3461 4.2: ORCPT=addr-type;xtext. */
static int
env_orcpt(struct offramp_rcpt *r, const char *value)
{
	const char *semi = strchr(value, ';');
	char dec[SMTP_ORCPT_MAX + 1];

	if (semi == NULL || semi == value)
		return -1;
	if (smtp_xtext_decode(semi + 1, dec, sizeof(dec)) < 0)
		return -1;
	g_free(r->orcpt_type);
	g_free(r->orcpt);
	r->orcpt_type = g_strndup(value, (gsize)(semi - value));
	r->orcpt = g_strdup(dec);
	return 0;
}

/* Fitted at a word, control bytes as spaces: what a record loads back. */
static void
hist_text(char *dst, size_t size, const char *src)
{
	size_t i;

	mime_text_fit(dst, size, src != NULL ? src : "");
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
}

/* Appends h to the array (*hs owned, *n entries), oldest dropped at the cap. */
static void
hist_push(struct offramp_call_hist **hs, size_t *n, const struct offramp_call_hist *h)
{
	if (*hs == NULL)
		*hs = g_new0(struct offramp_call_hist, OFFRAMP_HISTORY_MAX);
	if (*n == OFFRAMP_HISTORY_MAX) {
		memmove(&(*hs)[0], &(*hs)[1], (OFFRAMP_HISTORY_MAX - 1) * sizeof(**hs));
		(*n)--;
	}
	(*hs)[(*n)++] = *h;
}

void
offramp_job_history_add(struct offramp_job *j, size_t i, const struct offramp_call_hist *h,
    const char *error)
{
	struct offramp_call_hist c;

	if (i >= j->nrcpts)
		return;
	memset(&c, 0, sizeof(c));
	c.at = h->at;
	c.secs = h->secs;
	c.pages_sent = h->pages_sent;
	c.pages_total = h->pages_total;
	hist_text(c.result, sizeof(c.result), h->result);
	for (char *p = c.result; *p != '\0'; p++)
		if (*p == ' ')
			*p = '-';        /* one word in the record */
	if (offramp_retry_status_valid(h->status))
		g_strlcpy(c.status, h->status, sizeof(c.status));
	hist_text(c.error, sizeof(c.error), error != NULL ? error : h->error);
	hist_text(c.csi, sizeof(c.csi), h->csi);
	hist_push(&j->rcpts[i].hist, &j->rcpts[i].nhist, &c);
}

time_t
offramp_job_since(const struct offramp_job *j)
{
	return j->requeued > j->received ? j->requeued : j->received;
}

struct spool_rec *
offramp_job_state(const struct offramp_job *j)
{
	struct spool_rec *rec = spool_rec_new();
	size_t i;
	int e = 0;

	if (rec == NULL)
		return NULL;
	e |= spool_rec_add(rec, "version", OFFRAMP_JOB_STATE_VERSION);
	if (j->held)
		e |= spool_rec_add(rec, "held", "1");
	if (j->requeued > 0)
		e |= spool_rec_add_u64(rec, "requeued", (uint64_t)j->requeued);
	if (j->deleted)
		e |= spool_rec_add(rec, "deleted", "1");
	for (i = 0; i < j->nrcpts && e == 0; i++) {
		e |= spool_rec_add_u64(rec, "rcpt", i);
		e |= offramp_retry_store(&j->rcpts[i].retry, rec);
	}
	if (e != 0 || hist_store(j, rec) != 0) {
		spool_rec_free(rec);
		return NULL;
	}
	return rec;
}

/* The histories after the progress: what does not fit is left out (it is
 * for the operator's eyes; the progress must be written). -1 on ENOMEM. */
static int
hist_store(const struct offramp_job *j, struct spool_rec *rec)
{
	size_t i, k;
	int e = 0;

	for (i = 0; i < j->nrcpts && e == 0; i++) {
		const struct offramp_rcpt *r = &j->rcpts[i];

		if (r->nhist == 0)
			continue;
		e |= spool_rec_add_u64(rec, "rcpt", i);
		for (k = 0; k < r->nhist && e == 0; k++) {
			const struct offramp_call_hist *h = &r->hist[k];

			e |= spool_rec_addf(rec, "rcpt.call", "%lld %u %u/%u %s %s",
			    (long long)h->at, h->secs, h->pages_sent, h->pages_total,
			    h->result[0] ? h->result : "-", h->status[0] ? h->status : "-");
			if (e == 0 && h->csi[0] != '\0')
				e |= spool_rec_add(rec, "rcpt.call-csi", h->csi);
			if (e == 0 && h->error[0] != '\0')
				e |= spool_rec_add(rec, "rcpt.call-error", h->error);
		}
	}
	return e != 0 && errno != E2BIG ? -1 : 0;
}

/* One history key for the recipient being loaded: 0, 1 when key is not
 * one, -1 when malformed. */
static int
hist_load_key(struct offramp_call_hist **hs, size_t *n, const char *key, const char *v,
    size_t len)
{
	struct offramp_call_hist h;
	long long at;
	char result[OFFRAMP_HISTORY_RESULT_MAX], status[OFFRAMP_RETRY_STATUS_MAX];
	int end = -1;

	if (strlen(v) != len)
		return -1;
	if (strcmp(key, "rcpt.call") == 0) {
		memset(&h, 0, sizeof(h));
		if (sscanf(v, "%lld %u %u/%u %15s %11s%n", &at, &h.secs, &h.pages_sent,
		    &h.pages_total, result, status, &end) != 6 || end < 0 ||
		    v[end] != '\0' || at < 0 || h.pages_sent > h.pages_total)
			return -1;
		if (strcmp(status, "-") != 0 && !offramp_retry_status_valid(status))
			return -1;
		h.at = (time_t)at;
		if (strcmp(result, "-") != 0)
			g_strlcpy(h.result, result, sizeof(h.result));
		if (strcmp(status, "-") != 0)
			g_strlcpy(h.status, status, sizeof(h.status));
		hist_push(hs, n, &h);
		return 0;
	}
	if (strcmp(key, "rcpt.call-csi") == 0 || strcmp(key, "rcpt.call-error") == 0) {
		struct offramp_call_hist *last = *n > 0 ? &(*hs)[*n - 1] : NULL;

		if (last == NULL)
			return -1;
		if (key[10] == 'c')
			hist_text(last->csi, sizeof(last->csi), v);
		else
			hist_text(last->error, sizeof(last->error), v);
		return 0;
	}
	return 1;
}

int
offramp_job_state_load(struct offramp_job *j, const struct spool_rec *rec, char *err,
    size_t errlen)
{
	struct offramp_rcpt_retry *rs = NULL, *cur = NULL;
	struct offramp_call_hist **hs;
	size_t *nh, ci = 0;
	const char *key, *v;
	size_t i, len;
	uint64_t idx;
	int rc = -1, held = 0, deleted = 0, h;
	time_t requeued = 0;

	if (spool_rec_count(rec) == 0 || strcmp(spool_rec_key(rec, 0), "version") != 0 ||
	    strcmp(spool_rec_value(rec, 0, NULL), OFFRAMP_JOB_STATE_VERSION) != 0) {
		set_err(err, errlen, "not a version %s state record", OFFRAMP_JOB_STATE_VERSION);
		return -1;
	}
	/* Applied to a copy: a damaged record changes nothing. */
	rs = g_new(struct offramp_rcpt_retry, j->nrcpts ? j->nrcpts : 1);
	hs = g_new0(struct offramp_call_hist *, j->nrcpts ? j->nrcpts : 1);
	nh = g_new0(size_t, j->nrcpts ? j->nrcpts : 1);
	for (i = 0; i < j->nrcpts; i++)
		rs[i] = j->rcpts[i].retry;
	for (i = 1; i < spool_rec_count(rec); i++) {
		key = spool_rec_key(rec, i);
		v = spool_rec_value(rec, i, &len);
		if (strcmp(key, "rcpt") == 0) {
			if (spool_rec_value_u64(rec, i, &idx) != 0 || idx >= j->nrcpts) {
				set_err(err, errlen, "line %zu: no recipient %s", i + 1, v);
				goto out;
			}
			cur = &rs[idx];
			ci = (size_t)idx;
		} else if (cur == NULL && strcmp(key, "held") == 0 &&
		    (strcmp(v, "1") == 0 || strcmp(v, "0") == 0)) {
			held = v[0] == '1';
		} else if (cur == NULL && strcmp(key, "deleted") == 0 && strcmp(v, "1") == 0) {
			deleted = 1;
		} else if (cur == NULL && strcmp(key, "requeued") == 0 &&
		    spool_rec_value_u64(rec, i, &idx) == 0 && idx < (1ULL << 40)) {
			requeued = (time_t)idx;
		} else if (cur != NULL && (h = hist_load_key(&hs[ci], &nh[ci], key, v, len)) <= 0) {
			if (h < 0) {
				set_err(err, errlen, "line %zu: bad %s", i + 1, key);
				goto out;
			}
		} else if (cur == NULL || offramp_retry_load_key(cur, key, v, len) != 0) {
			set_err(err, errlen, "line %zu: bad %s", i + 1, key);
			goto out;
		}
	}
	for (i = 0; i < j->nrcpts; i++) {
		unsigned notify = j->rcpts[i].retry.notify;   /* the envelope's */

		j->rcpts[i].retry = rs[i];
		j->rcpts[i].retry.notify = notify;
		g_free(j->rcpts[i].hist);
		j->rcpts[i].hist = hs[i];
		j->rcpts[i].nhist = nh[i];
		hs[i] = NULL;
	}
	j->held = held;
	j->requeued = requeued;
	j->deleted = deleted;
	rc = 0;
out:
	for (i = 0; i < j->nrcpts; i++)
		g_free(hs[i]);
	g_free(hs);
	g_free(nh);
	g_free(rs);
	return rc;
}

char *
offramp_job_next_report(struct offramp_job *j, const struct offramp_report_cfg *cfg,
    const struct offramp_retry_policy *p, const char *msg_path, time_t now,
    enum offramp_report_kind *kind, size_t *len, struct mime_error *err)
{
	struct offramp_rcpt_retry *rs = g_new(struct offramp_rcpt_retry, j->nrcpts ? j->nrcpts : 1);
	size_t *idx = g_new(size_t, j->nrcpts ? j->nrcpts : 1);
	size_t i, n;
	char *out = NULL;

	memset(err, 0, sizeof(*err));
	*kind = OFFRAMP_REPORT_NONE;
	/* The ladder works on a plain array; postmaster recipients are not
	 * faxes and never reported here (the runner forwards them). */
	for (i = 0; i < j->nrcpts; i++) {
		rs[i] = j->rcpts[i].retry;
		if (j->rcpts[i].postmaster) {
			rs[i].phase = OFFRAMP_RCPT_DELIVERED;
			rs[i].notify = SMTP_NOTIFY_NEVER;
		}
	}
	n = offramp_retry_delay_dsn(rs, j->nrcpts, &cfg->dsn, j->from, idx);
	if (n > 0) {
		out = job_report(j, cfg, p, msg_path, now, idx, n, len, err);
		if (out != NULL) {
			*kind = OFFRAMP_REPORT_DSN_DELAY;
			for (i = 0; i < n; i++)
				j->rcpts[idx[i]].retry.delay_reported = 1;
		}
		goto done;
	}
	if (!offramp_retry_all_final(rs, j->nrcpts))
		goto done;
	n = offramp_retry_final_dsn(rs, j->nrcpts, &cfg->dsn, j->from, idx);
	if (n > 0) {
		out = job_report(j, cfg, p, msg_path, now, idx, n, len, err);
		if (out == NULL)
			goto done;
		*kind = OFFRAMP_REPORT_DSN_FINAL;
	}
	/* Final: whatever was due is out; the rest wanted no report. */
	for (i = 0; i < j->nrcpts; i++)
		j->rcpts[i].retry.final_reported = 1;
done:
	g_free(rs);
	g_free(idx);
	return out;
}

static char *
job_report(struct offramp_job *j, const struct offramp_report_cfg *cfg,
    const struct offramp_retry_policy *p, const char *msg_path, time_t now,
    const size_t *idx, size_t n, size_t *len, struct mime_error *err)
{
	struct mime_dsn_rcpt *dr = g_new0(struct mime_dsn_rcpt, n);
	struct mime_dsn d = {
		.reporting_mta = cfg->hostname, .from_addr = cfg->postmaster,
		.from_name = cfg->from_name, .to = j->from, .envid = j->envid,
		.arrival = j->received, .now = now, .ret = (enum mime_ret)j->ret,
		.orig_path = msg_path, .rcpts = dr, .nrcpts = n, .crlf = cfg->crlf,
		.note = j->note, .parts = j->outcomes, .nparts = j->noutcomes,
	};
	int lossy = mime_outcomes_lossy(j->outcomes, j->noutcomes);
	size_t i;
	char *out;

	for (i = 0; i < n; i++) {
		const struct offramp_rcpt *r = &j->rcpts[idx[i]];

		offramp_retry_dsn_rcpt(&r->retry, p, offramp_job_since(j), &dr[i]);
		/* RFC 3463 2.6.4: delivered, but not all of the message could
		 * be faxed - never "delivered" alone then. */
		if (lossy && dr[i].action == MIME_DSN_DELIVERED)
			dr[i].status = "2.6.4";
		dr[i].final_rcpt = r->addr;
		dr[i].number = r->number;
		dr[i].orcpt_type = r->orcpt_type;
		dr[i].orcpt = r->orcpt;
	}
	out = mime_dsn_build(&d, len, err);
	g_free(dr);
	return out;
}

char *
offramp_job_mdn(struct offramp_job *j, size_t i, const struct mime_offramp *msg,
    const struct offramp_report_cfg *cfg, time_t now, size_t *len, char *why,
    size_t whylen)
{
	struct offramp_rcpt *r;
	struct mime_mdn m = { 0 };
	struct mime_error err;
	char *ua, *orcpt = NULL, *out;

	if (i >= j->nrcpts) {
		set_err(why, whylen, "no such recipient");
		return NULL;
	}
	r = &j->rcpts[i];
	if (!cfg->generate_mdn) {
		set_err(why, whylen, "MDNs are not configured");
		return NULL;
	}
	if (r->retry.mdn_sent) {
		set_err(why, whylen, "an MDN was sent already");
		return NULL;
	}
	if (r->retry.phase != OFFRAMP_RCPT_DELIVERED) {
		set_err(why, whylen, "the fax was not sent");
		return NULL;
	}
	if (!mime_mdn_allowed(msg, j->from, why, whylen))
		return NULL;
	ua = g_strdup_printf("%s; t37gw %s", cfg->hostname, T37GW_VERSION);
	if (r->orcpt_type != NULL)
		orcpt = g_strdup_printf("%s;%s", r->orcpt_type, r->orcpt);
	m.reporting_ua = ua;
	m.from_addr = cfg->postmaster;
	m.from_name = cfg->from_name;
	m.to = mime_offramp_dnt_addr(msg);
	m.original_recipient = orcpt;
	m.final_recipient = r->addr;
	m.original_message_id = mime_offramp_message_id(msg);
	m.orig_subject = mime_offramp_subject(msg);
	m.number = r->number;
	m.disposition = MIME_MDN_DISPATCHED;
	m.now = now;
	m.crlf = cfg->crlf;
	out = mime_mdn_build(&m, len, &err);
	if (out != NULL)
		r->retry.mdn_sent = 1;
	else
		set_err(why, whylen, "%s", err.text);
	g_free(ua);
	g_free(orcpt);
	return out;
}

static int
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
