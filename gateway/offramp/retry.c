/*
 * gateway/offramp/retry: the offramp retry ladder, one state machine per
 * recipient. A busy line, no answer or a dropped call is retried per
 * class with its own delays and cap, so that no job waits forever nor
 * dials forever; a fax that fails on the way steps down as operators do
 * by hand with fussy machines (T.38 -> G.711, then ECM off, then V.17 off).
 *
 *   READY --dial--> DIALING --ok--------------------------> DELIVERED
 *     ^                |  --busy/no answer/failure, calls
 *     |                |    of that class left, not expired -> READY (+delay)
 *     +----------------+  --class exhausted / expired / permanent -> FAILED
 *
 * Every call placed counts, the first included: `fax send retry busy 5 120`
 * means at most five calls that end busy. A fax failure (T.30 error,
 * dropped or partial call) steps the following calls down: T.38 -> G.711,
 * then ECM off, then 9600 bit/s, skipping steps that would change nothing.
 * The state is plain data (no pointers); offramp_retry_store() and
 * offramp_retry_load_key() carry it through the spool's record format.
 *
 * Not here: the clock, the spool, the line thread, the DSN text. The
 * caller passes times in and acts on what the ladder returns.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "gateway/offramp/retry.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "smtp/smtp.h"

/* Step-down floor for max speed (V.29 9600). */
#define RETRY_STEP_SPEED 9600

static void retry_enter(struct offramp_rcpt_retry *r, enum offramp_rcpt_phase phase);
static enum offramp_retry_event retry_failed_call(struct offramp_rcpt_retry *r,
    const struct offramp_retry_policy *p, const struct offramp_call_params *base,
    enum offramp_fail_class c, int step, time_t arrival, time_t now);
static unsigned retry_step_down(unsigned level, const struct offramp_call_params *base);
static void retry_final_status(struct offramp_rcpt_retry *r,
    const struct offramp_retry_policy *p, enum offramp_fail_class c);
static int wants_final(const struct offramp_rcpt_retry *r);
static int dsn_allowed(const struct offramp_dsn_policy *dp, const char *sender);
static void copy_text(char *dst, size_t size, const char *src);
static void retry_why(struct offramp_rcpt_retry *r, const char *words);
static int dec_num(const char *s, long long lo, long long hi, long long *out);
static int dec_text(const char *v, size_t len, char *out, size_t size);
static int dec_name(const char *v, const char *const *names, size_t n);

/* The status of a retryable failure while retries go on. */
static const char *const class_status[OFFRAMP_FAIL_NCLASS] = { "4.4.1", "4.4.1", "4.4.2" };
/* ... and once they ran out with `mta receive generate permanent-error`. */
static const char *const class_status_perm[OFFRAMP_FAIL_NCLASS] = { "5.4.1", "5.4.1", "5.4.2" };
static const char *const class_reason[OFFRAMP_FAIL_NCLASS] = {
	"the line was busy",
	"nobody answered",
	"the fax transfer failed or the call was dropped",
};

/* ---- policy ---------------------------------------------------------- */

void
offramp_retry_policy_default(struct offramp_retry_policy *p)
{
	static const struct config_fax_retry d[OFFRAMP_FAIL_NCLASS] = {
		{ CONFIG_DEFAULT_RETRY_BUSY }, { CONFIG_DEFAULT_RETRY_NOANSWER },
		{ CONFIG_DEFAULT_RETRY_FAILURE },
	};
	int c;

	memset(p, 0, sizeof(*p));
	for (c = 0; c < OFFRAMP_FAIL_NCLASS; c++) {
		p->attempts[c] = d[c].attempts;
		p->delay[c] = d[c].delay;
	}
	p->max_age = OFFRAMP_RETRY_MAX_AGE;
}

/* ---- one recipient ---------------------------------------------------- */

void
offramp_retry_init(struct offramp_rcpt_retry *r, unsigned notify, time_t now)
{
	memset(r, 0, sizeof(*r));
	r->notify = notify;
	r->last_class = -1;
	r->next_at = now;
	retry_enter(r, OFFRAMP_RCPT_READY);
}

void
offramp_retry_fail_now(struct offramp_rcpt_retry *r, const char *status, const char *diag)
{
	copy_text(r->status, sizeof(r->status),
	    offramp_retry_status_valid(status) ? status : "5.0.0");
	copy_text(r->diag, sizeof(r->diag), diag);
	r->why[0] = '\0';
	r->why_same = 0;
	r->permanent = 1;
	retry_enter(r, OFFRAMP_RCPT_FAILED);
}

int
offramp_retry_due(const struct offramp_rcpt_retry *r, time_t now)
{
	return r->phase == OFFRAMP_RCPT_READY && r->next_at <= now;
}

int
offramp_retry_dial(struct offramp_rcpt_retry *r, time_t now)
{
	if (r->phase != OFFRAMP_RCPT_READY)
		return -1;
	r->attempts++;
	r->last_attempt = now;
	retry_enter(r, OFFRAMP_RCPT_DIALING);
	return 0;
}

void
offramp_retry_call_params(const struct offramp_rcpt_retry *r, const struct offramp_call_params *base,
    struct offramp_call_params *out)
{
	*out = *base;
	if (r->level >= OFFRAMP_STEP_G711)
		out->t38 = 0;
	if (r->level >= OFFRAMP_STEP_NO_ECM)
		out->ecm = 0;
	if (r->level >= OFFRAMP_STEP_9600 && out->max_speed > RETRY_STEP_SPEED)
		out->max_speed = RETRY_STEP_SPEED;
}

enum offramp_retry_event
offramp_retry_result(struct offramp_rcpt_retry *r, const struct offramp_retry_policy *p,
    const struct offramp_call_params *base, const struct offramp_call_result *res,
    time_t arrival, time_t now)
{
	if (r->phase != OFFRAMP_RCPT_DIALING)
		return OFFRAMP_RETRY_ERROR;
	r->pages_sent = res->pages_sent;
	r->pages_total = res->pages_total;
	r->duration = res->duration;
	copy_text(r->csi, sizeof(r->csi), res->csi);
	copy_text(r->diag, sizeof(r->diag), res->diag);
	retry_why(r, res->words);

	switch (res->outcome) {
	case OFFRAMP_CALL_OK:
		copy_text(r->status, sizeof(r->status), "2.0.0");
		retry_enter(r, OFFRAMP_RCPT_DELIVERED);
		return OFFRAMP_RETRY_DELIVERED;
	case OFFRAMP_CALL_PERMANENT:
		copy_text(r->status, sizeof(r->status),
		    res->status != NULL && offramp_retry_status_valid(res->status) &&
		    res->status[0] == '5' ? res->status : "5.1.1");
		r->permanent = 1;
		retry_enter(r, OFFRAMP_RCPT_FAILED);
		return OFFRAMP_RETRY_FAILED;
	case OFFRAMP_CALL_BUSY:
		return retry_failed_call(r, p, base, OFFRAMP_FAIL_BUSY, 0, arrival, now);
	case OFFRAMP_CALL_NOANSWER:
		return retry_failed_call(r, p, base, OFFRAMP_FAIL_NOANSWER, 0, arrival, now);
	case OFFRAMP_CALL_FAILED:
		return retry_failed_call(r, p, base, OFFRAMP_FAIL_FAILURE, !res->no_step, arrival,
		    now);
	}
	return OFFRAMP_RETRY_ERROR;
}

enum offramp_retry_event
offramp_retry_recover(struct offramp_rcpt_retry *r, const struct offramp_retry_policy *p,
    time_t arrival, time_t now)
{
	if (r->phase != OFFRAMP_RCPT_DIALING)
		return OFFRAMP_RETRY_AGAIN;
	r->pages_sent = 0;
	r->duration = 0;
	copy_text(r->diag, sizeof(r->diag), "gateway: restarted during the call");
	retry_why(r, "the gateway restarted during the call");
	/* Not the fax's fault: no step-down. */
	return retry_failed_call(r, p, NULL, OFFRAMP_FAIL_FAILURE, 0, arrival, now);
}

/* A call that may be worth repeating ended in class c; step: step down. */
static enum offramp_retry_event
retry_failed_call(struct offramp_rcpt_retry *r, const struct offramp_retry_policy *p,
    const struct offramp_call_params *base, enum offramp_fail_class c, int step,
    time_t arrival, time_t now)
{
	time_t next;

	r->count[c]++;
	r->last_class = (int)c;
	copy_text(r->status, sizeof(r->status), class_status[c]);
	if (step && base != NULL)
		r->level = retry_step_down(r->level, base);
	next = now + (time_t)p->delay[c];
	if (r->count[c] >= p->attempts[c] || next > arrival + (time_t)p->max_age) {
		retry_final_status(r, p, c);
		retry_enter(r, OFFRAMP_RCPT_FAILED);
		return OFFRAMP_RETRY_FAILED;
	}
	r->next_at = next;
	retry_enter(r, OFFRAMP_RCPT_READY);
	return OFFRAMP_RETRY_AGAIN;
}

/* The next level that changes something for these base settings. */
static unsigned
retry_step_down(unsigned level, const struct offramp_call_params *base)
{
	while (level < OFFRAMP_STEP_9600) {
		level++;
		if (level == OFFRAMP_STEP_G711 && base->t38)
			return level;
		if (level == OFFRAMP_STEP_NO_ECM && base->ecm)
			return level;
		if (level == OFFRAMP_STEP_9600 && base->max_speed > RETRY_STEP_SPEED)
			return level;
	}
	return level;
}

/*
 * A retryable cause that ran out is reported as it is (4.4.1, 4.4.2 with
 * Action: failed, RFC 3464 2.3.4 allows a transient code in a failure).
 * `mta receive generate permanent-error` makes it permanent (5.4.x) for
 * senders whose software would otherwise resend on a 4.x.x code.
 */
static void
retry_final_status(struct offramp_rcpt_retry *r, const struct offramp_retry_policy *p,
    enum offramp_fail_class c)
{
	copy_text(r->status, sizeof(r->status),
	    p->permanent_error ? class_status_perm[c] : class_status[c]);
}

time_t
offramp_retry_until(const struct offramp_rcpt_retry *r, const struct offramp_retry_policy *p,
    time_t arrival)
{
	time_t t = r->next_at, cap = arrival + (time_t)p->max_age;
	int c;

	/* The worst case: every class but one used up to its last call. */
	for (c = 0; c < OFFRAMP_FAIL_NCLASS; c++)
		if (p->attempts[c] > r->count[c] + 1)
			t += (time_t)(p->attempts[c] - r->count[c] - 1) *
			    (time_t)(p->delay[c] + OFFRAMP_RETRY_CALL_MAX);
	t += OFFRAMP_RETRY_CALL_MAX;
	return t < cap ? t : cap;
}

const char *
offramp_retry_reason(const struct offramp_rcpt_retry *r)
{
	if (r->permanent) {
		if (r->attempts == 0 && r->diag[0] != '\0')
			return r->diag;   /* content or policy, said by the caller */
		if (strcmp(r->status, "5.1.1") == 0)
			return "the number does not exist";
		return r->why[0] != '\0' ? r->why : NULL;
	}
	if (r->why[0] != '\0')
		return r->why;    /* what the last call said, by its cause */
	if (r->last_class >= 0 && r->last_class < OFFRAMP_FAIL_NCLASS)
		return class_reason[r->last_class];
	return NULL;
}

/* All transitions pass here: one place to see them. */
static void
retry_enter(struct offramp_rcpt_retry *r, enum offramp_rcpt_phase phase)
{
	r->phase = phase;
}

/* ---- a job's notifications -------------------------------------------- */

int
offramp_retry_all_final(const struct offramp_rcpt_retry *rs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rs[i].phase != OFFRAMP_RCPT_DELIVERED && rs[i].phase != OFFRAMP_RCPT_FAILED)
			return 0;
	return 1;
}

size_t
offramp_retry_final_dsn(const struct offramp_rcpt_retry *rs, size_t n,
    const struct offramp_dsn_policy *dp, const char *sender, size_t *idx)
{
	size_t i, k = 0;

	if (!dsn_allowed(dp, sender) || !offramp_retry_all_final(rs, n))
		return 0;
	for (i = 0; i < n; i++)
		if (!rs[i].final_reported && wants_final(&rs[i]))
			idx[k++] = i;
	return k;
}

size_t
offramp_retry_delay_dsn(const struct offramp_rcpt_retry *rs, size_t n,
    const struct offramp_dsn_policy *dp, const char *sender, size_t *idx)
{
	size_t i, k = 0;

	if (!dsn_allowed(dp, sender))
		return 0;
	for (i = 0; i < n; i++)
		if (rs[i].phase == OFFRAMP_RCPT_READY && rs[i].attempts > 0 &&
		    !rs[i].delay_reported && (rs[i].notify & SMTP_NOTIFY_DELAY))
			idx[k++] = i;
	return k;
}

time_t
offramp_retry_next_wakeup(const struct offramp_rcpt_retry *rs, size_t n)
{
	time_t t = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (rs[i].phase == OFFRAMP_RCPT_READY && (t == 0 || rs[i].next_at < t))
			t = rs[i].next_at;
	return t;
}

void
offramp_retry_dsn_rcpt(const struct offramp_rcpt_retry *r, const struct offramp_retry_policy *p,
    time_t arrival, struct mime_dsn_rcpt *out)
{
	out->action = r->phase == OFFRAMP_RCPT_DELIVERED ? MIME_DSN_DELIVERED :
	    r->phase == OFFRAMP_RCPT_FAILED ? MIME_DSN_FAILED : MIME_DSN_DELAYED;
	out->status = r->status[0] != '\0' ? r->status :
	    out->action == MIME_DSN_DELIVERED ? "2.0.0" : "4.4.0";
	out->reason = offramp_retry_reason(r);
	/* Content and policy failures carry words, not a fax cause. */
	out->diagnostic = r->diag[0] != '\0' && !(r->permanent && r->attempts == 0) ?
	    r->diag : NULL;
	out->pages_sent = r->pages_sent;
	out->pages_total = r->pages_total;
	out->csi = r->csi[0] != '\0' ? r->csi : NULL;
	out->duration = r->duration;
	out->attempts = r->attempts;
	out->attempts_same = r->why[0] != '\0' ? r->why_same :
	    r->last_class >= 0 ? r->count[r->last_class] : r->attempts;
	out->last_attempt = r->last_attempt;
	out->retry_until = out->action == MIME_DSN_DELAYED ?
	    offramp_retry_until(r, p, arrival) : 0;
}

static int
wants_final(const struct offramp_rcpt_retry *r)
{
	if (r->phase == OFFRAMP_RCPT_DELIVERED)
		return (r->notify & SMTP_NOTIFY_SUCCESS) != 0;
	return (r->notify & SMTP_NOTIFY_FAILURE) != 0;
}

/* RFC 3461 5.2 / RFC 5321 4.5.5: never to the null sender. */
static int
dsn_allowed(const struct offramp_dsn_policy *dp, const char *sender)
{
	if (dp != NULL && dp->disable_dsn)
		return 0;
	return sender != NULL && *sender != '\0';
}

/* ---- persistence ------------------------------------------------------ */

static const char *const phase_names[] = { "ready", "dialing", "delivered", "failed" };
static const char *const class_keys[OFFRAMP_FAIL_NCLASS] = { "busy", "no-answer", "failure" };
static const char *const report_names[] = { "delay", "final", "mdn" };
#define NREPORTS (sizeof(report_names) / sizeof(report_names[0]))

int
offramp_retry_store(const struct offramp_rcpt_retry *r, struct spool_rec *rec)
{
	const int reported[NREPORTS] = { r->delay_reported, r->final_reported, r->mdn_sent };
	char key[32], list[32] = "";
	size_t i;
	int e = 0;

	e |= spool_rec_add(rec, "rcpt.phase", phase_names[r->phase]);
	e |= spool_rec_add_u64(rec, "rcpt.attempts", r->attempts);
	for (i = 0; i < OFFRAMP_FAIL_NCLASS; i++) {
		snprintf(key, sizeof(key), "rcpt.%s", class_keys[i]);
		e |= spool_rec_add_u64(rec, key, r->count[i]);
	}
	e |= spool_rec_add_u64(rec, "rcpt.level", r->level);
	if (r->last_class >= 0)
		e |= spool_rec_add(rec, "rcpt.last-class", class_keys[r->last_class]);
	e |= spool_rec_add_u64(rec, "rcpt.permanent", (uint64_t)(r->permanent != 0));
	e |= spool_rec_add_u64(rec, "rcpt.next", (uint64_t)r->next_at);
	e |= spool_rec_add_u64(rec, "rcpt.last", (uint64_t)r->last_attempt);
	e |= spool_rec_addf(rec, "rcpt.pages", "%u/%u", r->pages_sent, r->pages_total);
	e |= spool_rec_add_u64(rec, "rcpt.duration", r->duration);
	if (r->status[0] != '\0')
		e |= spool_rec_add(rec, "rcpt.status", r->status);
	e |= spool_rec_add(rec, "rcpt.diag", r->diag);
	e |= spool_rec_add(rec, "rcpt.why", r->why);
	e |= spool_rec_add_u64(rec, "rcpt.why-same", r->why_same);
	e |= spool_rec_add(rec, "rcpt.csi", r->csi);
	for (i = 0; i < NREPORTS; i++)
		if (reported[i])
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			    list[0] ? "," : "", report_names[i]);
	e |= spool_rec_add(rec, "rcpt.reported", list);
	return e != 0 ? -1 : 0;
}

/* A decimal number in [lo, hi], the whole string. */
static int
dec_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* Text that copy_text() could have written: it fits, no control octets. */
static int
dec_text(const char *v, size_t len, char *out, size_t size)
{
	size_t i;

	if (len >= size)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return -1;
	memcpy(out, v, len);
	/* the rest zeroed: a field loaded twice holds nothing of the
	 * longer text before, so equal states compare equal */
	memset(out + len, 0, size - len);
	return 0;
}

/* The index of v in names[n], or -1. */
static int
dec_name(const char *v, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return -1;
}

int
offramp_retry_load_key(struct offramp_rcpt_retry *r, const char *key, const char *v,
    size_t len)
{
	struct offramp_rcpt_retry t = *r;
	const char *k = key + strlen(OFFRAMP_RETRY_KEY_PREFIX);
	long long n = 0, m = 0;
	char *slash, buf[32];
	int i;

	if (strncmp(key, OFFRAMP_RETRY_KEY_PREFIX, strlen(OFFRAMP_RETRY_KEY_PREFIX)) != 0)
		return 1;
	if (strlen(v) != len)
		return -1;              /* a NUL inside */
	if (strcmp(k, "phase") == 0) {
		if ((i = dec_name(v, phase_names, 4)) < 0)
			return -1;
		t.phase = (enum offramp_rcpt_phase)i;
	} else if (strcmp(k, "last-class") == 0) {
		if ((i = dec_name(v, class_keys, OFFRAMP_FAIL_NCLASS)) < 0)
			return -1;
		t.last_class = i;
	} else if (strcmp(k, "pages") == 0) {
		if (len >= sizeof(buf) || (slash = strchr(memcpy(buf, v, len + 1), '/')) == NULL)
			return -1;
		*slash = '\0';
		if (dec_num(buf, 0, 100000, &n) || dec_num(slash + 1, 0, 100000, &m))
			return -1;
		t.pages_sent = (unsigned)n;
		t.pages_total = (unsigned)m;
	} else if (strcmp(k, "status") == 0) {
		if (!offramp_retry_status_valid(v) || dec_text(v, len, t.status, sizeof(t.status)))
			return -1;
	} else if (strcmp(k, "diag") == 0) {
		if (dec_text(v, len, t.diag, sizeof(t.diag)))
			return -1;
	} else if (strcmp(k, "why") == 0) {
		if (dec_text(v, len, t.why, sizeof(t.why)))
			return -1;
	} else if (strcmp(k, "csi") == 0) {
		if (dec_text(v, len, t.csi, sizeof(t.csi)))
			return -1;
	} else if (strcmp(k, "reported") == 0) {
		t.delay_reported = t.final_reported = t.mdn_sent = 0;
		while (*v != '\0') {
			size_t w = strcspn(v, ",");

			if (w >= sizeof(buf))
				return -1;
			memcpy(buf, v, w);
			buf[w] = '\0';
			switch (dec_name(buf, report_names, NREPORTS)) {
			case 0: t.delay_reported = 1; break;
			case 1: t.final_reported = 1; break;
			case 2: t.mdn_sent = 1; break;
			default: return -1;
			}
			v += w;
			if (*v == ',' && *++v == '\0')
				return -1;
		}
	} else {
		/* the numbers */
		static const struct {
			const char *key;
			long long max;
		} nums[] = {
			{ "attempts", 100000 }, { "busy", 100000 }, { "no-answer", 100000 },
			{ "failure", 100000 }, { "level", OFFRAMP_STEP_9600 }, { "permanent", 1 },
			{ "next", 1LL << 40 }, { "last", 1LL << 40 }, { "duration", 1LL << 31 },
			{ "why-same", 100000 },
		};

		for (i = 0; i < (int)(sizeof(nums) / sizeof(nums[0])); i++)
			if (strcmp(k, nums[i].key) == 0)
				break;
		if (i == (int)(sizeof(nums) / sizeof(nums[0])))
			return 1;
		if (dec_num(v, 0, nums[i].max, &n))
			return -1;
		switch (i) {
		case 0: t.attempts = (unsigned)n; break;
		case 1: t.count[OFFRAMP_FAIL_BUSY] = (unsigned)n; break;
		case 2: t.count[OFFRAMP_FAIL_NOANSWER] = (unsigned)n; break;
		case 3: t.count[OFFRAMP_FAIL_FAILURE] = (unsigned)n; break;
		case 4: t.level = (unsigned)n; break;
		case 5: t.permanent = (int)n; break;
		case 6: t.next_at = (time_t)n; break;
		case 7: t.last_attempt = (time_t)n; break;
		case 8: t.duration = (unsigned)n; break;
		case 9: t.why_same = (unsigned)n; break;
		}
	}
	*r = t;
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

/* The words of a call's end, and how many calls in a row ended so: a
 * DSN says "on all 3 attempts" only when that is true of these words. */
static void
retry_why(struct offramp_rcpt_retry *r, const char *words)
{
	char w[OFFRAMP_RETRY_WHY_MAX] = "";     /* all zero: records compare whole */

	copy_text(w, sizeof(w), words);
	r->why_same = strcmp(w, r->why) == 0 && r->why_same > 0 ? r->why_same + 1 : 1;
	memcpy(r->why, w, sizeof(w));
}

/* Copies src (NULL -> "") fitted to size at a word boundary
 * (mime_text_fit), control characters as spaces. */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t i;

	mime_text_fit(dst, size, src);
	for (i = 0; dst[i] != '\0'; i++)
		if ((unsigned char)dst[i] < 0x20 || dst[i] == 0x7f)
			dst[i] = ' ';
}

/* An RFC 3463 code: class.subject.detail. */
int
offramp_retry_status_valid(const char *s)
{
	int a, b, c, n = -1;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5'))
		return 0;
	if (sscanf(s, "%1d.%3d.%3d%n", &a, &b, &c, &n) != 3 || n < 0 ||
	    s[n] != '\0' || b < 0 || c < 0)
		return 0;
	return strspn(s, "0123456789.") == strlen(s);
}
