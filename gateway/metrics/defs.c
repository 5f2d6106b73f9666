/*
 * gateway/metrics/defs.c: the gateway's metrics, one static table entry
 * each, and the calls the rest of the gateway records through. Every
 * label value is listed here; a value from outside (a reply code, a
 * status word) that is not listed counts under "other" or is dropped,
 * so no peer can grow the exposition. Scrape-time gauges (queues) are set
 * from the caller's snapshot just before writing.
 */
#include <stdio.h>
#include <time.h>

#include "gateway/metrics/metrics.h"
#include "metrics_int.h"
#include "sip/sip.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static unsigned code_index(int code);
static unsigned code_result(int code);

static const char *const dir_v[] = { "onramp", "offramp" };
static const char *const media_v[] = { "g711", "t38" };
/* In the order of enum sip_result. */
static const char *const result_v[] = { "ok", "partial", "busy", "noanswer", "rejected",
    "failed" };
static const char *const session_v[] = { "closed", "shed", "refused" };
static const char *const smtp_result_v[] = { "accepted", "tempfail", "rejected" };
/* The reply codes the listener gives (RFC 5321 section 4.2.3); any other
 * counts as "other". */
static const char *const code_v[] = { "250", "421", "450", "451", "452", "500", "501",
    "503", "530", "550", "552", "553", "554", "other" };
static const char *const delivery_v[] = { "sent", "deferred", "bounced", "failed" };
static const char *const queue_v[] = { "mail", "offramp" };
static const char *const ok_v[] = { "ok", "failed" };

static const double rate_b[] = { 2400, 4800, 7200, 9600, 12000, 14400 };
static const double call_secs_b[] = { 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800 };
static const double setup_b[] = { 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60 };
static const double render_b[] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
static const double commit_b[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
    0.5, 1 };

#define LABEL(name, v) { name, v, NELEM(v) }

static _Atomic uint64_t calls_s[NELEM(dir_v) * NELEM(media_v) * NELEM(result_v)];
static _Atomic uint64_t pages_s[NELEM(dir_v)];
static _Atomic uint64_t rate_s[NELEM(dir_v) * (NELEM(rate_b) + 2)];
static _Atomic uint64_t call_secs_s[NELEM(dir_v) * (NELEM(call_secs_b) + 2)];
static _Atomic uint64_t setup_s[NELEM(dir_v) * (NELEM(setup_b) + 2)];
static _Atomic uint64_t ecm_s[NELEM(dir_v)];
static _Atomic uint64_t rtp_lost_s[NELEM(dir_v)];
static _Atomic uint64_t rtp_late_s[NELEM(dir_v)];
static _Atomic uint64_t udptl_lost_s[NELEM(dir_v)];
static _Atomic uint64_t udptl_rec_s[NELEM(dir_v)];
static _Atomic uint64_t sessions_s[NELEM(session_v)];
static _Atomic uint64_t messages_s[NELEM(smtp_result_v) * NELEM(code_v)];
static _Atomic uint64_t rcpts_s[NELEM(smtp_result_v) * NELEM(code_v)];
static _Atomic uint64_t deliveries_s[NELEM(delivery_v)];
static _Atomic uint64_t queue_jobs_s[NELEM(queue_v)];
static _Atomic uint64_t queue_age_s[NELEM(queue_v)];
static _Atomic uint64_t render_s[NELEM(ok_v) * (NELEM(render_b) + 2)];
static _Atomic uint64_t commit_s[NELEM(commit_b) + 2];

static const struct metrics_family f_calls = {
	"t37gw_calls_total", "Fax calls ended, by direction, media at the end and result.",
	METRICS_COUNTER, 3,
	{ LABEL("direction", dir_v), LABEL("media", media_v), LABEL("result", result_v) },
	NULL, 0, calls_s, NELEM(calls_s)
};
static const struct metrics_family f_pages = {
	"t37gw_fax_pages_total", "Fax pages confirmed by the receiver (MCF), by direction.",
	METRICS_COUNTER, 1, { LABEL("direction", dir_v) }, NULL, 0, pages_s, NELEM(pages_s)
};
static const struct metrics_family f_rate = {
	"t37gw_fax_bit_rate",
	"Signalling rate in bit/s of the image transfer, for each call that reached one.",
	METRICS_HISTOGRAM, 1, { LABEL("direction", dir_v) }, rate_b, NELEM(rate_b),
	rate_s, NELEM(rate_s)
};
static const struct metrics_family f_call_secs = {
	"t37gw_call_duration_seconds", "Duration of fax calls, by direction.",
	METRICS_HISTOGRAM, 1, { LABEL("direction", dir_v) }, call_secs_b, NELEM(call_secs_b),
	call_secs_s, NELEM(call_secs_s)
};
static const struct metrics_family f_setup = {
	"t37gw_call_setup_seconds",
	"Time from the INVITE to the answer, for each call that was answered.",
	METRICS_HISTOGRAM, 1, { LABEL("direction", dir_v) }, setup_b, NELEM(setup_b),
	setup_s, NELEM(setup_s)
};
static const struct metrics_family f_ecm = {
	"t37gw_fax_ecm_retransmissions_total",
	"ECM partial pages sent or asked for again (T.30 PPR), by direction.",
	METRICS_COUNTER, 1, { LABEL("direction", dir_v) }, NULL, 0, ecm_s, NELEM(ecm_s)
};
static const struct metrics_family f_rtp_lost = {
	"t37gw_rtp_packets_lost_total",
	"G.711 frames the jitter buffer never got (played as lost), by direction of the call.",
	METRICS_COUNTER, 1, { LABEL("direction", dir_v) }, NULL, 0, rtp_lost_s,
	NELEM(rtp_lost_s)
};
static const struct metrics_family f_rtp_late = {
	"t37gw_rtp_packets_late_total",
	"RTP packets that came after their playout time and were dropped.",
	METRICS_COUNTER, 1, { LABEL("direction", dir_v) }, NULL, 0, rtp_late_s,
	NELEM(rtp_late_s)
};
static const struct metrics_family f_udptl_lost = {
	"t37gw_udptl_packets_lost_total",
	"T.38 UDPTL packets lost and not recovered from redundancy.",
	METRICS_COUNTER, 1, { LABEL("direction", dir_v) }, NULL, 0, udptl_lost_s,
	NELEM(udptl_lost_s)
};
static const struct metrics_family f_udptl_rec = {
	"t37gw_udptl_packets_recovered_total",
	"T.38 UDPTL packets lost and recovered from the redundancy of later ones.",
	METRICS_COUNTER, 1, { LABEL("direction", dir_v) }, NULL, 0, udptl_rec_s,
	NELEM(udptl_rec_s)
};
static const struct metrics_family f_sessions = {
	"t37gw_smtp_sessions_total", "SMTP sessions of the listener ended, by how.",
	METRICS_COUNTER, 1, { LABEL("result", session_v) }, NULL, 0, sessions_s,
	NELEM(sessions_s)
};
static const struct metrics_family f_messages = {
	"t37gw_smtp_messages_total", "Messages the gateway answered after DATA, by result and reply code.",
	METRICS_COUNTER, 2, { LABEL("result", smtp_result_v), LABEL("code", code_v) },
	NULL, 0, messages_s, NELEM(messages_s)
};
static const struct metrics_family f_rcpts = {
	"t37gw_smtp_recipients_total", "RCPT TO commands answered, by result and reply code.",
	METRICS_COUNTER, 2, { LABEL("result", smtp_result_v), LABEL("code", code_v) },
	NULL, 0, rcpts_s, NELEM(rcpts_s)
};
static const struct metrics_family f_deliveries = {
	"t37gw_mail_deliveries_total",
	"Outbound mail attempts and jobs (faxes, DSNs, postmaster notices), by status.",
	METRICS_COUNTER, 1, { LABEL("status", delivery_v) }, NULL, 0, deliveries_s,
	NELEM(deliveries_s)
};
static const struct metrics_family f_queue_jobs = {
	"t37gw_queue_jobs", "Jobs in each queue.",
	METRICS_GAUGE, 1, { LABEL("queue", queue_v) }, NULL, 0, queue_jobs_s,
	NELEM(queue_jobs_s)
};
static const struct metrics_family f_queue_age = {
	"t37gw_queue_oldest_job_age_seconds", "Age of the oldest job of each queue (0 when empty).",
	METRICS_GAUGE, 1, { LABEL("queue", queue_v) }, NULL, 0, queue_age_s,
	NELEM(queue_age_s)
};
static const struct metrics_family f_render = {
	"t37gw_render_duration_seconds",
	"Time to turn an accepted message into fax pages (worker process), by result.",
	METRICS_HISTOGRAM, 1, { LABEL("result", ok_v) }, render_b, NELEM(render_b),
	render_s, NELEM(render_s)
};
static const struct metrics_family f_commit = {
	"t37gw_spool_commit_duration_seconds",
	"Time to make a batch of accepted messages durable in the spool (write, fsync, rename).",
	METRICS_HISTOGRAM, 0, { { NULL, NULL, 0 } }, commit_b, NELEM(commit_b),
	commit_s, NELEM(commit_s)
};

const struct metrics_family *const metrics_families[] = {
	&f_calls, &f_pages, &f_rate, &f_call_secs, &f_setup, &f_ecm, &f_rtp_lost,
	&f_rtp_late, &f_udptl_lost, &f_udptl_rec, &f_sessions, &f_messages, &f_rcpts,
	&f_deliveries, &f_queue_jobs, &f_queue_age, &f_render, &f_commit,
};
const size_t metrics_nfamilies = NELEM(metrics_families);

void
metrics_call_ended(const struct sip_event *ev)
{
	unsigned lv[3];

	lv[0] = ev->dir == SIP_DIR_OFFRAMP ? 1 : 0;
	lv[1] = ev->t38 ? 1 : 0;
	lv[2] = (unsigned)ev->result;
	metrics_family_add(&f_calls, lv, 1);
	metrics_family_add(&f_pages, lv, ev->pages);
	if (ev->fax_ran && ev->rate > 0)
		metrics_family_observe(&f_rate, lv, ev->rate);
	metrics_family_observe(&f_call_secs, lv, ev->secs);
	if (ev->answered)
		metrics_family_observe(&f_setup, lv, ev->setup_ms / 1000.0);
	metrics_family_add(&f_ecm, lv, ev->ecm_retries);
	metrics_family_add(&f_rtp_lost, lv, ev->rtp_lost);
	metrics_family_add(&f_rtp_late, lv, ev->rtp_late);
	metrics_family_add(&f_udptl_lost, lv, ev->udptl_lost);
	metrics_family_add(&f_udptl_rec, lv, ev->udptl_recovered);
}

void
metrics_smtp_session(enum metrics_smtp_session how)
{
	unsigned lv = (unsigned)how;

	metrics_family_add(&f_sessions, &lv, 1);
}

/* 2xx accepted, 4xx tempfail, else rejected. */
static unsigned
code_result(int code)
{
	return code >= 200 && code < 300 ? 0 : code >= 400 && code < 500 ? 1 : 2;
}

static unsigned
code_index(int code)
{
	struct metrics_label l = LABEL("code", code_v);
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", code);
	return (unsigned)metrics_label_index(&l, buf);
}

void
metrics_smtp_message(int code)
{
	unsigned lv[2] = { code_result(code), code_index(code) };

	metrics_family_add(&f_messages, lv, 1);
}

void
metrics_smtp_rcpt(int code)
{
	unsigned lv[2] = { code_result(code), code_index(code) };

	metrics_family_add(&f_rcpts, lv, 1);
}

void
metrics_delivery(const char *status)
{
	int i = metrics_label_index(&f_deliveries.labels[0], status);

	if (i >= 0) {
		unsigned lv = (unsigned)i;

		metrics_family_add(&f_deliveries, &lv, 1);
	}
}

void
metrics_render(int ok, double secs)
{
	unsigned lv = ok ? 0 : 1;

	metrics_family_observe(&f_render, &lv, secs);
}

void
metrics_spool_commit(double secs)
{
	metrics_family_observe(&f_commit, NULL, secs);
}

double
metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
metrics_write(struct evbuffer *out, const struct metrics_queues *q)
{
	time_t now = time(NULL);
	unsigned i;
	size_t f;

	for (i = 0; q != NULL && i < METRICS_QUEUE_COUNT; i++) {
		metrics_family_set(&f_queue_jobs, &i, q->jobs[i]);
		metrics_family_set(&f_queue_age, &i, q->oldest[i] > 0 && q->oldest[i] < now ?
		    (double)(now - q->oldest[i]) : 0);
	}
	for (f = 0; f < metrics_nfamilies; f++) {
		if (q == NULL && (metrics_families[f] == &f_queue_jobs ||
		    metrics_families[f] == &f_queue_age))
			continue;
		if (metrics_family_write(out, metrics_families[f]) == -1)
			return -1;
	}
	return 0;
}
