/*
 * gateway/offramp/wire: what the daemon and a document worker say to each
 * other. The request goes to the worker's stdin, the result comes back on
 * its stdout, both as spool records (gateway/spool.h: "key value" lines,
 * control bytes escaped). Both sides decode strictly: the worker trusts
 * nothing it did not parse itself, and the daemon treats the result as the
 * output of a process that read hostile mail (every field checked, every
 * string bounded and made valid UTF-8).
 *
 * Not here: pipes and processes (spawn.c, worker.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "config/config.h"
#include "gateway/offramp/retry.h"
#include "gateway/offramp/worker.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"

#define WIRE_VERSION 1
/* Longest header fact kept from a result (a Subject, an address list). */
#define WIRE_FACT_MAX (8u << 10)
/* Page counts beyond this are not a fax. */
#define WIRE_PAGES_MAX 100000
#define WIRE_GLYPHS_MAX 100000000    /* missing glyphs in one document */

/* The string fields of a request, by key. */
struct req_field {
	const char *key;
	size_t off;
	size_t size;
};

#define REQ_FIELD(k, f) { k, offsetof(struct offramp_worker_req, f), \
	sizeof(((struct offramp_worker_req *)0)->f) }

static const struct req_field req_fields[] = {
	REQ_FIELD("id", id), REQ_FIELD("msg", msg_path), REQ_FIELD("dir", dir),
	REQ_FIELD("out", out), REQ_FIELD("gs", gs_path),
	REQ_FIELD("comment", cover_comment), REQ_FIELD("number", number),
	REQ_FIELD("sender", sender), REQ_FIELD("left", left),
	REQ_FIELD("center", center), REQ_FIELD("right", right),
	REQ_FIELD("date", date), REQ_FIELD("time", time),
	REQ_FIELD("office", office),
};

/* The header facts of a result, by key. */
struct fact_field {
	const char *key;
	size_t off;               /* in struct mime_offramp_facts */
};

#define FACT_FIELD(k, f) { k, offsetof(struct mime_offramp_facts, f) }

static const struct fact_field fact_fields[] = {
	FACT_FIELD("fact.from", from), FACT_FIELD("fact.to", to),
	FACT_FIELD("fact.subject", subject), FACT_FIELD("fact.date", date),
	FACT_FIELD("fact.message-id", message_id), FACT_FIELD("fact.dnt", dnt),
	FACT_FIELD("fact.dnt-addr", dnt_addr),
	FACT_FIELD("fact.return-path", return_path),
};

static int wire_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *wire_text(struct spool_rec *rec, int e, size_t max, size_t *len);
static int get_num(const struct spool_rec *rec, const char *key, uint64_t max,
    uint64_t *v, char *err, size_t errlen);
static int get_str(const struct spool_rec *rec, const char *key, char *dst,
    size_t size, char *err, size_t errlen);
static int outcomes_encode(struct spool_rec *rec, const struct offramp_render_notes *n);
static int outcomes_decode(const struct spool_rec *rec, struct offramp_render_notes *n,
    char *err, size_t errlen);

/* The words for an outcome's kind on the wire. */
static const char *const outcome_words[] = {
	[MIME_OUTCOME_FAXED] = "faxed", [MIME_OUTCOME_PARTLY] = "partly",
	[MIME_OUTCOME_NOT_FAXED] = "not-faxed",
};

char *
offramp_worker_req_encode(const struct offramp_worker_req *r, size_t *len)
{
	struct spool_rec *rec = spool_rec_new();
	size_t i;
	int e = 0;

	if (rec == NULL)
		return NULL;
	e |= spool_rec_add_u64(rec, "version", WIRE_VERSION);
	for (i = 0; i < G_N_ELEMENTS(req_fields); i++)
		e |= spool_rec_add(rec, req_fields[i].key,
		    (const char *)r + req_fields[i].off);
	e |= spool_rec_add_u64(rec, "timeout", r->timeout);
	e |= spool_rec_add_u64(rec, "memory", r->memory_mb);
	e |= spool_rec_add_u64(rec, "pages", r->max_pages);
	e |= spool_rec_add_u64(rec, "mpixels", r->max_mpixels);
	e |= spool_rec_add_u64(rec, "coverpage", r->coverpage ? 1 : 0);
	e |= spool_rec_add_u64(rec, "detail", r->cover_detail ? 1 : 0);
	e |= spool_rec_add_u64(rec, "prefer-text", r->prefer_text ? 1 : 0);
	e |= spool_rec_add_u64(rec, "office-timeout", r->office_timeout);
	e |= spool_rec_add_u64(rec, "office-memory", r->office_memory);
	return wire_text(rec, e, OFFRAMP_WORKER_REQ_MAX, len);
}

int
offramp_worker_req_decode(const char *buf, size_t len, struct offramp_worker_req *r,
    char *err, size_t errlen)
{
	struct spool_rec *rec;
	uint64_t v[10];
	char perr[128];
	size_t i;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (len > OFFRAMP_WORKER_REQ_MAX)
		return wire_err(err, errlen, "request of %zu bytes", len);
	if ((rec = spool_rec_parse(buf, len, perr, sizeof(perr))) == NULL)
		return wire_err(err, errlen, "request: %s", perr);
	if (get_num(rec, "version", WIRE_VERSION, &v[0], err, errlen) != 0)
		goto out;
	if (v[0] != WIRE_VERSION) {
		wire_err(err, errlen, "request version %llu", (unsigned long long)v[0]);
		goto out;
	}
	for (i = 0; i < G_N_ELEMENTS(req_fields); i++)
		if (get_str(rec, req_fields[i].key, (char *)r + req_fields[i].off,
		    req_fields[i].size, err, errlen) != 0)
			goto out;
	if (get_num(rec, "timeout", CONFIG_RENDER_TIMEOUT_MAX, &v[1], err, errlen) != 0 ||
	    get_num(rec, "memory", CONFIG_RENDER_MEMORY_MAX, &v[2], err, errlen) != 0 ||
	    get_num(rec, "pages", WIRE_PAGES_MAX, &v[3], err, errlen) != 0 ||
	    get_num(rec, "mpixels", CONFIG_MAX_PIXELS_MAX, &v[4], err, errlen) != 0 ||
	    get_num(rec, "coverpage", 1, &v[5], err, errlen) != 0 ||
	    get_num(rec, "detail", 1, &v[6], err, errlen) != 0 ||
	    get_num(rec, "prefer-text", 1, &v[7], err, errlen) != 0 ||
	    get_num(rec, "office-timeout", CONFIG_RENDER_TIMEOUT_MAX, &v[8], err,
	    errlen) != 0 ||
	    get_num(rec, "office-memory", CONFIG_RENDER_MEMORY_MAX, &v[9], err,
	    errlen) != 0)
		goto out;
	if (r->office[0] != '\0' && r->office[0] != '/') {
		wire_err(err, errlen, "request office converter path must be absolute");
		goto out;
	}
	if (r->msg_path[0] != '/' || r->dir[0] != '/' || r->out[0] != '/') {
		wire_err(err, errlen, "request paths must be absolute");
		goto out;
	}
	if (v[1] == 0 || v[3] == 0) {
		wire_err(err, errlen, "request without a time or page limit");
		goto out;
	}
	r->timeout = (unsigned)v[1];
	r->memory_mb = (unsigned)v[2];
	r->max_pages = (unsigned)v[3];
	r->max_mpixels = (unsigned)v[4];
	r->coverpage = (int)v[5];
	r->cover_detail = (int)v[6];
	r->prefer_text = (int)v[7];
	r->office_timeout = (unsigned)v[8];
	r->office_memory = (unsigned)v[9];
	rc = 0;
out:
	spool_rec_free(rec);
	return rc;
}

char *
offramp_worker_res_encode(const struct offramp_worker_res *res, const struct mime_offramp *m,
    size_t *len)
{
	struct spool_rec *rec = spool_rec_new();
	struct mime_offramp_facts f;
	size_t i;
	int e = 0;

	if (rec == NULL)
		return NULL;
	e |= spool_rec_add_u64(rec, "version", WIRE_VERSION);
	e |= spool_rec_add(rec, "rc", res->rc == 0 ? "0" : "-1");
	if (res->rc != 0) {
		e |= spool_rec_add(rec, "status", res->err.status);
		e |= spool_rec_add(rec, "text", res->err.text);
	}
	e |= spool_rec_add_u64(rec, "pages", res->pages);
	e |= spool_rec_add_u64(rec, "missing_glyphs", res->notes.missing_glyphs);
	e |= spool_rec_add(rec, "parts", res->parts);
	if (res->rc == 0)
		e |= outcomes_encode(rec, &res->notes);
	if (m != NULL) {
		mime_offramp_get_facts(m, &f);
		for (i = 0; i < G_N_ELEMENTS(fact_fields); i++) {
			const char *v = *(const char *const *)((const char *)&f +
			    fact_fields[i].off);
			char *cut;

			if (v == NULL)
				continue;
			cut = g_malloc(WIRE_FACT_MAX);
			mime_text_fit(cut, WIRE_FACT_MAX, v);
			e |= spool_rec_add(rec, fact_fields[i].key, cut);
			g_free(cut);
		}
		e |= spool_rec_add_u64(rec, "fact.dnt-count",
		    f.dnt_count > 0 ? (uint64_t)f.dnt_count : 0);
		e |= spool_rec_add_u64(rec, "fact.is-report", f.is_report ? 1 : 0);
		e |= spool_rec_add_u64(rec, "fact.date-time",
		    f.date_time > 0 ? (uint64_t)f.date_time : 0);
	}
	return wire_text(rec, e, OFFRAMP_WORKER_RES_MAX, len);
}

int
offramp_worker_res_decode(const char *buf, size_t len, struct offramp_worker_res *res,
    char *err, size_t errlen)
{
	struct spool_rec *rec;
	struct mime_offramp_facts f;
	const char *v;
	char perr[128], *facts[G_N_ELEMENTS(fact_fields)] = { NULL };
	uint64_t n;
	size_t i;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	res->rc = -1;
	if (len > OFFRAMP_WORKER_RES_MAX)
		return wire_err(err, errlen, "result of %zu bytes", len);
	if ((rec = spool_rec_parse(buf, len, perr, sizeof(perr))) == NULL)
		return wire_err(err, errlen, "result: %s", perr);
	if (get_num(rec, "version", WIRE_VERSION, &n, err, errlen) != 0)
		goto out;
	if (n != WIRE_VERSION) {
		wire_err(err, errlen, "result version %llu", (unsigned long long)n);
		goto out;
	}
	if ((v = spool_rec_get(rec, "rc")) == NULL ||
	    (strcmp(v, "0") != 0 && strcmp(v, "-1") != 0)) {
		wire_err(err, errlen, "result without rc");
		goto out;
	}
	res->rc = strcmp(v, "0") == 0 ? 0 : -1;
	if (res->rc != 0) {
		if (get_str(rec, "status", res->err.status, sizeof(res->err.status), err,
		    errlen) != 0 || !offramp_retry_status_valid(res->err.status) ||
		    res->err.status[0] == '2') {
			wire_err(err, errlen, "result with a bad status");
			goto out;
		}
		if ((v = spool_rec_get(rec, "text")) == NULL || *v == '\0') {
			wire_err(err, errlen, "result without a reason");
			goto out;
		}
		{
			char *valid = g_utf8_make_valid(v, -1);

			mime_text_fit(res->err.text, sizeof(res->err.text), valid);
			g_free(valid);
		}
	}
	if (get_num(rec, "pages", WIRE_PAGES_MAX, &n, err, errlen) != 0)
		goto out;
	res->pages = (unsigned)n;
	/* Optional: absent means every character was printed. */
	if (spool_rec_get(rec, "missing_glyphs") != NULL) {
		if (get_num(rec, "missing_glyphs", WIRE_GLYPHS_MAX, &n, err, errlen) != 0)
			goto out;
		res->notes.missing_glyphs = (unsigned)n;
	}
	if (res->rc == 0 && res->pages == 0) {
		wire_err(err, errlen, "result of no pages");
		goto out;
	}
	if (outcomes_decode(rec, &res->notes, err, errlen) != 0)
		goto out;
	if ((v = spool_rec_get(rec, "parts")) != NULL) {
		char *valid = g_utf8_make_valid(v, -1);

		mime_text_fit(res->parts, sizeof(res->parts), valid);
		g_free(valid);
	}
	/* Header facts: all optional; present only when the parse succeeded. */
	memset(&f, 0, sizeof(f));
	if (spool_rec_get(rec, "fact.dnt-count") != NULL) {
		for (i = 0; i < G_N_ELEMENTS(fact_fields); i++) {
			if ((v = spool_rec_get(rec, fact_fields[i].key)) == NULL)
				continue;
			facts[i] = g_malloc(WIRE_FACT_MAX);
			mime_text_fit(facts[i], WIRE_FACT_MAX, v);
			*(const char **)((char *)&f + fact_fields[i].off) = facts[i];
		}
		if (get_num(rec, "fact.dnt-count", 1000, &n, err, errlen) != 0)
			goto out;
		f.dnt_count = (int)n;
		if (get_num(rec, "fact.is-report", 1, &n, err, errlen) != 0)
			goto out;
		f.is_report = (int)n;
		if (get_num(rec, "fact.date-time", 1ull << 40, &n, err, errlen) != 0)
			goto out;
		f.date_time = (time_t)n;
		res->facts = mime_offramp_from_facts(&f);
	}
	rc = 0;
out:
	for (i = 0; i < G_N_ELEMENTS(facts); i++)
		g_free(facts[i]);
	spool_rec_free(rec);
	if (rc != 0) {
		res->rc = -1;
		memset(&res->err, 0, sizeof(res->err));
		offramp_render_notes_clear(&res->notes);
	}
	return rc;
}

/* Each outcome as "outcome KIND FIRST LAST LOSSY", then its label and its
 * detail ("outcome.label", "outcome.detail"). */
static int
outcomes_encode(struct spool_rec *rec, const struct offramp_render_notes *n)
{
	size_t i;
	int e = 0;

	for (i = 0; i < n->noutcomes && i < MIME_OUTCOMES_MAX; i++) {
		const struct mime_part_outcome *o = &n->outcomes[i];

		e |= spool_rec_addf(rec, "outcome", "%s %u %u %d", outcome_words[o->kind],
		    o->first, o->last, o->lossy ? 1 : 0);
		e |= spool_rec_add(rec, "outcome.label", o->label);
		e |= spool_rec_add(rec, "outcome.detail", o->detail);
	}
	return e;
}

/*
 * The outcomes of a result, strictly: at most MIME_OUTCOMES_MAX, each a
 * known kind with pages in order (faxed ones from page 1), a label, and
 * text made valid UTF-8 and fitted.
 */
static int
outcomes_decode(const struct spool_rec *rec, struct offramp_render_notes *n,
    char *err, size_t errlen)
{
	struct mime_part_outcome *cur = NULL;
	size_t i, k;

	for (i = 0; i < spool_rec_count(rec); i++) {
		const char *key = spool_rec_key(rec, i);
		size_t len;
		const char *v = spool_rec_value(rec, i, &len);

		if (strcmp(key, "outcome") == 0) {
			char word[16];
			unsigned first, last;
			int lossy, used = 0;

			if (n->noutcomes >= MIME_OUTCOMES_MAX)
				return wire_err(err, errlen, "result with too many outcomes");
			if (len != strlen(v) || sscanf(v, "%15s %u %u %d%n", word, &first,
			    &last, &lossy, &used) != 4 || (size_t)used != len ||
			    first > WIRE_PAGES_MAX || last > WIRE_PAGES_MAX ||
			    first > last || (lossy != 0 && lossy != 1))
				return wire_err(err, errlen, "result with a bad outcome");
			n->outcomes = g_renew(struct mime_part_outcome, n->outcomes,
			    n->noutcomes + 1);
			cur = &n->outcomes[n->noutcomes++];
			memset(cur, 0, sizeof(*cur));
			for (k = 1; k < G_N_ELEMENTS(outcome_words); k++)
				if (strcmp(word, outcome_words[k]) == 0)
					cur->kind = (enum mime_outcome_kind)k;
			if (cur->kind == 0 || (cur->kind != MIME_OUTCOME_NOT_FAXED &&
			    first == 0))
				return wire_err(err, errlen, "result with a bad outcome");
			cur->first = first;
			cur->last = last;
			cur->lossy = lossy;
		} else if (strcmp(key, "outcome.label") == 0 ||
		    strcmp(key, "outcome.detail") == 0) {
			char *valid;

			if (cur == NULL)
				return wire_err(err, errlen, "result with %s before its outcome",
				    key);
			valid = g_utf8_make_valid(v, (gssize)len);
			if (key[8] == 'l')
				mime_text_fit(cur->label, sizeof(cur->label), valid);
			else
				mime_text_fit(cur->detail, sizeof(cur->detail), valid);
			g_free(valid);
		}
	}
	for (i = 0; i < n->noutcomes; i++)
		if (n->outcomes[i].label[0] == '\0')
			return wire_err(err, errlen, "result with an outcome without a label");
	return 0;
}

void
offramp_worker_res_clear(struct offramp_worker_res *res)
{
	if (res == NULL)
		return;
	mime_offramp_free(res->facts);
	res->facts = NULL;
	offramp_render_notes_clear(&res->notes);
}

/* The record's text (caller frees) when it was built whole (e == 0) and
 * fits max; frees rec. */
static char *
wire_text(struct spool_rec *rec, int e, size_t max, size_t *len)
{
	const char *data = spool_rec_data(rec, len);
	char *out = e == 0 && *len <= max ? g_memdup2(data, *len + 1) : NULL;

	spool_rec_free(rec);
	return out;
}

/* A decimal field, present, at most max. */
static int
get_num(const struct spool_rec *rec, const char *key, uint64_t max, uint64_t *v,
    char *err, size_t errlen)
{
	if (spool_rec_get_u64(rec, key, v) != 0 || *v > max)
		return wire_err(err, errlen, "field %s missing or out of range", key);
	return 0;
}

/* A string field, present, without NUL, that fits size. */
static int
get_str(const struct spool_rec *rec, const char *key, char *dst, size_t size,
    char *err, size_t errlen)
{
	size_t i, len = 0;

	for (i = 0; i < spool_rec_count(rec); i++) {
		if (strcmp(spool_rec_key(rec, i), key) != 0)
			continue;
		{
			const char *v = spool_rec_value(rec, i, &len);

			if (len != strlen(v) || len >= size)
				return wire_err(err, errlen, "field %s too long or not text",
				    key);
			memcpy(dst, v, len + 1);
			return 0;
		}
	}
	return wire_err(err, errlen, "field %s missing", key);
}

static int
wire_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}
