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
 * The state is plain data (no pointers) so that it round-trips through the
 * spool with offramp_retry_encode()/offramp_retry_decode().
 *
 * Not here: the clock, the spool, the line thread, the DSN text. The
 * caller passes times in and acts on what the ladder returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "gateway/offramp/retry.h"
#include "mime/mime.h"
#include "smtp/smtp.h"

/* Step-down floor for max speed (V.29 9600). */
#define RETRY_STEP_SPEED 9600
/* Version of the encoded record; bump when fields change. */
#define RETRY_ENC_VERSION 2      /* 2 added same= why=; 1 is still read */

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
static int dec_text(const char *x, char *out, size_t size);

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

int
offramp_retry_encode(const struct offramp_rcpt_retry *r, char *buf, size_t size)
{
	char diag[OFFRAMP_RETRY_DIAG_MAX * 3 + 1], csi[OFFRAMP_RETRY_CSI_MAX * 3 + 1];
	char why[OFFRAMP_RETRY_WHY_MAX * 3 + 1];
	int n;

	if (smtp_xtext_encode(r->diag, strlen(r->diag), diag, sizeof(diag)) < 0 ||
	    smtp_xtext_encode(r->csi, strlen(r->csi), csi, sizeof(csi)) < 0 ||
	    smtp_xtext_encode(r->why, strlen(r->why), why, sizeof(why)) < 0)
		return -1;
	n = snprintf(buf, size, "v=%d phase=%d notify=%u att=%u busy=%u noans=%u "
	    "fail=%u level=%u lastc=%d perm=%d next=%lld last=%lld pages=%u/%u "
	    "dur=%u flags=%d%d%d st=%s diag=%s csi=%s same=%u why=%s", RETRY_ENC_VERSION,
	    (int)r->phase, r->notify, r->attempts, r->count[OFFRAMP_FAIL_BUSY],
	    r->count[OFFRAMP_FAIL_NOANSWER], r->count[OFFRAMP_FAIL_FAILURE], r->level,
	    r->last_class, r->permanent, (long long)r->next_at,
	    (long long)r->last_attempt, r->pages_sent, r->pages_total, r->duration,
	    r->delay_reported, r->final_reported, r->mdn_sent,
	    r->status[0] ? r->status : "-", diag, csi, r->why_same, why);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return n;
}

/* The encoded keys, in order; version 1 records end after csi. */
enum enc_key {
	K_V, K_PHASE, K_NOTIFY, K_ATT, K_BUSY, K_NOANS, K_FAIL, K_LEVEL, K_LASTC,
	K_PERM, K_NEXT, K_LAST, K_PAGES, K_DUR, K_FLAGS, K_ST, K_DIAG, K_CSI, K_SAME, K_WHY,
	K_N
};
static const char *const enc_keys[K_N] = {
	"v", "phase", "notify", "att", "busy", "noans", "fail", "level", "lastc",
	"perm", "next", "last", "pages", "dur", "flags", "st", "diag", "csi", "same", "why",
};

/* A decimal number in [lo, hi], the whole string. */
static int
dec_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* xtext to text that copy_text() could have written: no control octets. */
static int
dec_text(const char *x, char *out, size_t size)
{
	int n = smtp_xtext_decode(x, out, size), i;

	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			return -1;
	return 0;
}

int
offramp_retry_decode(const char *line, struct offramp_rcpt_retry *r)
{
	struct offramp_rcpt_retry t;
	char copy[OFFRAMP_RETRY_ENC_MAX], *p, *save = NULL;
	const char *val[K_N];
	long long n[K_N];
	int k = 0;

	if (strlen(line) >= sizeof(copy))
		return -1;
	strcpy(copy, line);
	for (p = strtok_r(copy, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
		size_t kl;

		if (k >= K_N)
			return -1;
		kl = strlen(enc_keys[k]);
		if (strncmp(p, enc_keys[k], kl) != 0 || p[kl] != '=')
			return -1;
		val[k++] = p + kl + 1;
	}
	/* A spool written before version 2 has no same= why= */
	if (k == K_SAME && strcmp(val[K_V], "1") == 0) {
		val[K_SAME] = "0";
		val[K_WHY] = NULL;
	} else if (k != K_N || strcmp(val[K_V], "1") == 0) {
		return -1;
	}
	memset(&t, 0, sizeof(t));
	if (dec_num(val[K_V], 1, RETRY_ENC_VERSION, &n[K_V]) ||
	    dec_num(val[K_PHASE], OFFRAMP_RCPT_READY, OFFRAMP_RCPT_FAILED, &n[K_PHASE]) ||
	    dec_num(val[K_NOTIFY], 0, 15, &n[K_NOTIFY]) ||
	    dec_num(val[K_ATT], 0, 100000, &n[K_ATT]) ||
	    dec_num(val[K_BUSY], 0, 100000, &n[K_BUSY]) ||
	    dec_num(val[K_NOANS], 0, 100000, &n[K_NOANS]) ||
	    dec_num(val[K_FAIL], 0, 100000, &n[K_FAIL]) ||
	    dec_num(val[K_LEVEL], 0, OFFRAMP_STEP_9600, &n[K_LEVEL]) ||
	    dec_num(val[K_LASTC], -1, OFFRAMP_FAIL_NCLASS - 1, &n[K_LASTC]) ||
	    dec_num(val[K_PERM], 0, 1, &n[K_PERM]) ||
	    dec_num(val[K_NEXT], 0, 1LL << 40, &n[K_NEXT]) ||
	    dec_num(val[K_LAST], 0, 1LL << 40, &n[K_LAST]) ||
	    dec_num(val[K_DUR], 0, 1LL << 31, &n[K_DUR]) ||
	    dec_num(val[K_SAME], 0, 100000, &n[K_SAME]))
		return -1;
	{
		/* pages=SENT/TOTAL */
		char *slash = strchr(val[K_PAGES], '/');
		long long ps, pt;

		if (slash == NULL)
			return -1;
		*slash = '\0';
		if (dec_num(val[K_PAGES], 0, 100000, &ps) ||
		    dec_num(slash + 1, 0, 100000, &pt))
			return -1;
		t.pages_sent = (unsigned)ps;
		t.pages_total = (unsigned)pt;
	}
	if (strlen(val[K_FLAGS]) != 3 || strspn(val[K_FLAGS], "01") != 3)
		return -1;
	if (strcmp(val[K_ST], "-") == 0)
		t.status[0] = '\0';
	else if (offramp_retry_status_valid(val[K_ST]))
		copy_text(t.status, sizeof(t.status), val[K_ST]);
	else
		return -1;
	if (dec_text(val[K_DIAG], t.diag, sizeof(t.diag)) < 0 ||
	    dec_text(val[K_CSI], t.csi, sizeof(t.csi)) < 0 ||
	    (val[K_WHY] != NULL && dec_text(val[K_WHY], t.why, sizeof(t.why)) < 0))
		return -1;
	t.phase = (enum offramp_rcpt_phase)n[K_PHASE];
	t.notify = (unsigned)n[K_NOTIFY];
	t.attempts = (unsigned)n[K_ATT];
	t.count[OFFRAMP_FAIL_BUSY] = (unsigned)n[K_BUSY];
	t.count[OFFRAMP_FAIL_NOANSWER] = (unsigned)n[K_NOANS];
	t.count[OFFRAMP_FAIL_FAILURE] = (unsigned)n[K_FAIL];
	t.level = (unsigned)n[K_LEVEL];
	t.last_class = (int)n[K_LASTC];
	t.permanent = (int)n[K_PERM];
	t.next_at = (time_t)n[K_NEXT];
	t.last_attempt = (time_t)n[K_LAST];
	t.duration = (unsigned)n[K_DUR];
	t.why_same = (unsigned)n[K_SAME];
	t.delay_reported = val[K_FLAGS][0] == '1';
	t.final_reported = val[K_FLAGS][1] == '1';
	t.mdn_sent = val[K_FLAGS][2] == '1';
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
