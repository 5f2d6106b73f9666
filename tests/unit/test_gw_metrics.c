/*
 * Unit tests for gateway/metrics: the text exposition of counters, gauges
 * and histograms word for word (label order, escaping of HELP text and
 * label values, cumulative buckets with le inclusive, _sum and _count),
 * label values out of range ignored, reply codes outside the table
 * counted as "other", exact totals when several threads record at once,
 * and the gateway's own families after a call, SMTP and mail events.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "gateway/metrics/metrics.h"
#include "gateway/metrics/metrics_int.h"
#include "sip/sip.h"

#define THREADS 4
#define PER_THREAD 100000

static const char *const t_dir[] = { "in", "out" };
static const char *const t_odd[] = { "a\"b", "c\\d", "e\nf", "other" };
static const double t_bounds[] = { 1, 2, 5 };

/* The buffer's text, NUL-terminated (caller frees). */
static char *
text_of(struct evbuffer *b)
{
	size_t n = evbuffer_get_length(b);
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static char *
write_family(const struct metrics_family *f)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	ck_assert_int_eq(metrics_family_write(b, f), 0);
	s = text_of(b);
	evbuffer_free(b);
	return s;
}

START_TEST(counter_format)
{
	static _Atomic uint64_t slots[4];
	const struct metrics_family f = { "t_things_total", "Things.", METRICS_COUNTER, 2,
	    { { "dir", t_dir, 2 }, { "kind", t_dir, 2 } }, NULL, 0, slots, 4 };
	unsigned lv[2] = { 1, 0 };
	char *s;

	metrics_family_add(&f, lv, 3);
	lv[1] = 1;
	metrics_family_add(&f, lv, 1);
	lv[0] = 2;                      /* out of range: ignored */
	metrics_family_add(&f, lv, 100);
	s = write_family(&f);
	ck_assert_str_eq(s,
	    "# HELP t_things_total Things.\n"
	    "# TYPE t_things_total counter\n"
	    "t_things_total{dir=\"in\",kind=\"in\"} 0\n"
	    "t_things_total{dir=\"in\",kind=\"out\"} 0\n"
	    "t_things_total{dir=\"out\",kind=\"in\"} 3\n"
	    "t_things_total{dir=\"out\",kind=\"out\"} 1\n");
	free(s);
}
END_TEST

START_TEST(escaping)
{
	static _Atomic uint64_t slots[4];
	const struct metrics_family f = { "t_odd", "Back\\slash\nand \"quotes\".",
	    METRICS_GAUGE, 1, { { "v", t_odd, 4 } }, NULL, 0, slots, 4 };
	unsigned lv = 0;
	char *s;

	metrics_family_set(&f, &lv, 0.25);
	lv = 3;
	metrics_family_set(&f, &lv, 42);
	s = write_family(&f);
	/* HELP escapes \ and newline only; label values also the quote. */
	ck_assert_str_eq(s,
	    "# HELP t_odd Back\\\\slash\\nand \"quotes\".\n"
	    "# TYPE t_odd gauge\n"
	    "t_odd{v=\"a\\\"b\"} 0.25\n"
	    "t_odd{v=\"c\\\\d\"} 0\n"
	    "t_odd{v=\"e\\nf\"} 0\n"
	    "t_odd{v=\"other\"} 42\n");
	free(s);
	ck_assert_int_eq(metrics_label_index(&f.labels[0], "zzz"), 3);
	ck_assert_int_eq(metrics_label_index(&f.labels[0], "c\\d"), 1);
}
END_TEST

START_TEST(histogram_cumulative)
{
	static _Atomic uint64_t slots[5];
	const struct metrics_family f = { "t_secs", "Seconds.", METRICS_HISTOGRAM, 0,
	    { { NULL, NULL, 0 } }, t_bounds, 3, slots, 5 };
	char *s;

	metrics_family_observe(&f, NULL, 0.5);
	metrics_family_observe(&f, NULL, 1);    /* le is inclusive */
	metrics_family_observe(&f, NULL, 1.5);
	metrics_family_observe(&f, NULL, 10);
	metrics_family_observe(&f, NULL, 0.005);
	s = write_family(&f);
	ck_assert_str_eq(s,
	    "# HELP t_secs Seconds.\n"
	    "# TYPE t_secs histogram\n"
	    "t_secs_bucket{le=\"1\"} 3\n"
	    "t_secs_bucket{le=\"2\"} 4\n"
	    "t_secs_bucket{le=\"5\"} 4\n"
	    "t_secs_bucket{le=\"+Inf\"} 5\n"
	    "t_secs_sum 13.005\n"
	    "t_secs_count 5\n");
	free(s);
}
END_TEST

START_TEST(histogram_labels)
{
	static _Atomic uint64_t slots[10];
	const struct metrics_family f = { "t_h", "H.", METRICS_HISTOGRAM, 1,
	    { { "dir", t_dir, 2 } }, t_bounds, 3, slots, 10 };
	unsigned lv = 1;
	char *s;

	metrics_family_observe(&f, &lv, 3);
	s = write_family(&f);
	ck_assert_ptr_nonnull(strstr(s, "t_h_bucket{dir=\"in\",le=\"+Inf\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_h_bucket{dir=\"out\",le=\"2\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_h_bucket{dir=\"out\",le=\"5\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_h_sum{dir=\"out\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "t_h_count{dir=\"out\"} 1\n"));
	free(s);
}
END_TEST

/* A table whose storage is smaller than its labels ask for is refused,
 * never written past. */
START_TEST(short_storage)
{
	static _Atomic uint64_t slots[3];
	const struct metrics_family f = { "t_short_total", "S.", METRICS_COUNTER, 2,
	    { { "dir", t_dir, 2 }, { "kind", t_dir, 2 } }, NULL, 0, slots, 3 };
	unsigned lv[2] = { 1, 1 };
	struct evbuffer *b = evbuffer_new();

	metrics_family_add(&f, lv, 1);
	ck_assert_uint_eq(slots[0] + slots[1] + slots[2], 0);
	ck_assert_int_eq(metrics_family_write(b, &f), -1);
	evbuffer_free(b);
}
END_TEST

static _Atomic uint64_t mt_slots[5];
static const struct metrics_family mt_f = { "t_mt", "MT.", METRICS_HISTOGRAM, 0,
    { { NULL, NULL, 0 } }, t_bounds, 3, mt_slots, 5 };

static void *
recorder(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < PER_THREAD; i++) {
		metrics_smtp_rcpt(250);
		metrics_family_observe(&mt_f, NULL, (double)(i % 4));
	}
	return NULL;
}

static char *
scrape(void)
{
	struct evbuffer *b = evbuffer_new();
	struct metrics_queues q;
	char *s;

	memset(&q, 0, sizeof(q));
	q.jobs[METRICS_QUEUE_OFFRAMP] = 3;
	q.oldest[METRICS_QUEUE_OFFRAMP] = time(NULL) - 60;
	ck_assert_int_eq(metrics_write(b, &q), 0);
	s = text_of(b);
	evbuffer_free(b);
	return s;
}

START_TEST(threads)
{
	pthread_t t[THREADS];
	char *s, want[128];
	int i;

	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, recorder, NULL), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	s = scrape();
	snprintf(want, sizeof(want), "t37gw_smtp_recipients_total{result=\"accepted\","
	    "code=\"250\"} %d\n", THREADS * PER_THREAD);
	ck_assert_ptr_nonnull(strstr(s, want));
	free(s);
	s = write_family(&mt_f);
	/* values 0,1,2,3 in turn: le=1 gets half, le=2 three quarters */
	snprintf(want, sizeof(want), "t_mt_bucket{le=\"1\"} %d\nt_mt_bucket{le=\"2\"} %d\n",
	    THREADS * PER_THREAD / 2, THREADS * PER_THREAD / 4 * 3);
	ck_assert_ptr_nonnull(strstr(s, want));
	snprintf(want, sizeof(want), "t_mt_sum %d\nt_mt_count %d\n",
	    THREADS * PER_THREAD / 4 * 6, THREADS * PER_THREAD);
	ck_assert_ptr_nonnull(strstr(s, want));
	free(s);
}
END_TEST

START_TEST(gateway_families)
{
	struct sip_event ev;
	char *s;
	size_t i;

	memset(&ev, 0, sizeof(ev));
	ev.dir = SIP_DIR_OFFRAMP;
	ev.t38 = true;
	ev.result = SIP_RESULT_PARTIAL;
	ev.pages = 2;
	ev.fax_ran = true;
	ev.rate = 9600;
	ev.secs = 45;
	ev.answered = true;
	ev.setup_ms = 1500;
	ev.ecm_retries = 3;
	ev.udptl_lost = 1;
	ev.udptl_recovered = 7;
	metrics_call_ended(&ev);
	metrics_smtp_session(METRICS_SMTP_SHED);
	metrics_smtp_message(451);
	metrics_smtp_message(299);              /* not in the table: "other" */
	metrics_smtp_rcpt(550);
	metrics_delivery("sent");
	metrics_delivery("nonsense");           /* not a status: dropped */
	metrics_render(1, 0.3);
	metrics_spool_commit(0.004);
	s = scrape();
	for (i = 0; i < metrics_nfamilies; i++) {
		char want[160];

		snprintf(want, sizeof(want), "# TYPE %s ", metrics_families[i]->name);
		ck_assert_msg(strstr(s, want) != NULL, "%s missing", metrics_families[i]->name);
		ck_assert(strncmp(metrics_families[i]->name, "t37gw_", 6) == 0);
	}
	ck_assert_ptr_nonnull(strstr(s, "t37gw_calls_total{direction=\"offramp\",media=\"t38\","
	    "result=\"partial\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_calls_total{direction=\"onramp\",media=\"t38\","
	    "result=\"partial\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_fax_pages_total{direction=\"offramp\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_fax_bit_rate_bucket{"
	    "direction=\"offramp\",le=\"7200\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_fax_bit_rate_bucket{"
	    "direction=\"offramp\",le=\"9600\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_call_duration_seconds_sum{direction=\"offramp\"}"
	    " 45\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_call_setup_seconds_bucket{direction=\"offramp\","
	    "le=\"1\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_call_setup_seconds_bucket{direction=\"offramp\","
	    "le=\"2\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_fax_ecm_retransmissions_total{"
	    "direction=\"offramp\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_udptl_packets_lost_total{direction=\"offramp\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_udptl_packets_recovered_total{"
	    "direction=\"offramp\"} 7\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_rtp_packets_lost_total{direction=\"offramp\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_smtp_sessions_total{result=\"shed\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_smtp_messages_total{result=\"tempfail\","
	    "code=\"451\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_smtp_messages_total{result=\"accepted\","
	    "code=\"other\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_smtp_recipients_total{result=\"rejected\","
	    "code=\"550\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_mail_deliveries_total{status=\"sent\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_render_duration_seconds_count{result=\"ok\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_spool_commit_duration_seconds_bucket{"
	    "le=\"0.005\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_queue_jobs{queue=\"offramp\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(s, "t37gw_queue_jobs{queue=\"mail\"} 0\n"));
	ck_assert(strstr(s, "t37gw_queue_oldest_job_age_seconds{queue=\"offramp\"} 60\n") ||
	    strstr(s, "t37gw_queue_oldest_job_age_seconds{queue=\"offramp\"} 61\n"));
	ck_assert_ptr_null(strstr(s, "nonsense"));
	free(s);
}
END_TEST

Suite *
suite_gw_metrics(void)
{
	Suite *s = suite_create("gw_metrics");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, counter_format);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, histogram_cumulative);
	tcase_add_test(tc, histogram_labels);
	tcase_add_test(tc, short_storage);
	tcase_add_test(tc, threads);
	tcase_add_test(tc, gateway_families);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
