/*
 * Session tests for gateway/offramp/prep and the send order: the runner
 * with real document worker processes (this binary, steered per job with
 * T37_TEST_WORKER, tests/unit/main.c), a real spool and event loop, and a
 * fake line. A worker that crashes, hangs or babbles fails its own job
 * with a DSN while the others go on; a job whose preparation the daemon's
 * death interrupted twice (a forked runner killed with SIGKILL stands in
 * for the daemon) is failed and moved to the failed queue; jobs to one
 * number are dialled in arrival order whatever their documents cost.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/offramp/worker.h"
#include "offramp_test_util.h"

static const char conf_text[] =
    "hostname gw1.example.com\n"
    "mta send postmaster fax-admin@example.com\n"
    "fax send retry busy 3 10\n"
    "dial-peer voice 301 voip\n"
    " destination-pattern 555....\n"
    " session target sip:$d$@127.0.0.1:5070\n";

static const char text_msg[] =
    "From: Alice <alice@example.com>\nSubject: Figures\n\nHello fax.\n";

static void
setup(void)
{
	ot_setup(conf_text);
	unsetenv("T37_TEST_WORKER");
}

static void
teardown(void)
{
	unsetenv("T37_TEST_WORKER");
	ot_teardown();
}

/* The config with extra lines appended. */
static void
reconfigure(const char *extra)
{
	char *text = g_strconcat(conf_text, extra, NULL);

	config_free(cfg);
	cfg = config_parse_buffer("t", text, strlen(text), NULL);
	ck_assert_ptr_nonnull(cfg);
	g_free(text);
}

/* The text with every line break as a blank (reports wrap their text).
 * Modifies q in place; returns it. */
static char *
flat(char *q)
{
	g_strdelimit(q, "\n", ' ');
	return q;
}

static void
hooks(const char *spec)
{
	setenv("T37_TEST_WORKER", spec, 1);
}

/* The job's count of preparations begun, or -1 without a record. */
static int
prep_starts(const char *id)
{
	char err[128];
	struct spool_rec *r = spool_rec_load(sp, SPOOL_Q_OFFRAMP, id, "prep", err,
	    sizeof(err));
	uint64_t n;
	int v = -1;

	if (r != NULL && spool_rec_get_u64(r, "starts", &n) == 0)
		v = (int)n;
	spool_rec_free(r);
	return v;
}

static int
job_in(const char *queue, const char *id)
{
	char *s = NULL;
	size_t len;
	int ok = spool_read(sp, queue, id, "msg", &s, &len) == 0;

	free(s);
	return ok;
}

static int
dialed_number(unsigned i, const char *number)
{
	return i < dialed->len &&
	    strcmp(((const struct sip_dial_request *)g_ptr_array_index(dialed, i))->number,
	    number) == 0;
}

/* ---- crashes fail one job ------------------------------------------------- */

START_TEST(test_prep_crash_fails_one_job)
{
	const char *a_num[] = { "5551111", NULL }, *b_num[] = { "5552222", NULL };
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], err[128], *spec, *q;
	struct offramp *o;
	unsigned n;

	intake_job(text_msg, a_num, "FAILURE", a);
	intake_job(text_msg, b_num, "FAILURE", b);
	spec = g_strdup_printf("%s:segv", a);
	hooks(spec);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_str_eq(last_dial()->number, "5552222");   /* b goes on */
	/* a: failed at once, with words and its DSN. */
	for (n = 0; n < 500 && job_in(SPOOL_Q_OFFRAMP, a); n++)
		loop_for(10);
	ck_assert(!job_in(SPOOL_Q_OFFRAMP, a));
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.6.5"));
	flat(q);
	ck_assert_msg(strstr(q, "could not be processed") != NULL, "%s", q);
	ck_assert_ptr_nonnull(strstr(q, "SIGSEGV"));
	ck_assert_ptr_nonnull(strstr(q, "No call was placed"));
	g_free(q);
	g_free(spec);
	offramp_free(o);
}
END_TEST

START_TEST(test_prep_timeout)
{
	const char *nums[] = { "5551111", NULL };
	char id[SPOOL_ID_LEN + 1], err[128], *spec, *q;
	struct offramp *o;
	unsigned n;
	time_t t0 = time(NULL);

	reconfigure("fax send render-timeout 1\n");
	intake_job(text_msg, nums, "FAILURE", id);
	spec = g_strdup_printf("%s:hang", id);
	hooks(spec);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	offramp_add(o, id);
	ck_assert(loop_until(no_jobs, o));
	ck_assert(time(NULL) - t0 <= 1 + OFFRAMP_WORKER_GRACE + 3);
	ck_assert_uint_eq(dialed->len, 0);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.3.4"));
	ck_assert_msg(strstr(flat(q), "could not be processed within 1 second.") != NULL,
	    "%s", q);
	g_free(q);
	g_free(spec);
	offramp_free(o);
}
END_TEST

/* Two hostile documents hold two workers; the pool has more. */
static int third_dialed(struct offramp *o) { (void)o; return dialed->len >= 1; }

START_TEST(test_prep_pool_keeps_moving)
{
	const char *n1[] = { "5551111", NULL }, *n2[] = { "5552222", NULL },
	    *n3[] = { "5553333", NULL };
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], c[SPOOL_ID_LEN + 1], err[128];
	char *spec;
	struct offramp *o;

	intake_job(text_msg, n1, NULL, a);
	intake_job(text_msg, n2, NULL, b);
	intake_job(text_msg, n3, NULL, c);
	spec = g_strdup_printf("%s:hang,%s:hang", a, b);
	hooks(spec);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	ck_assert(loop_until_secs(third_dialed, o, 10));
	ck_assert_str_eq(last_dial()->number, "5553333");
	ck_assert_uint_eq(offramp_jobs(o), 3);
	g_free(spec);
	offramp_free(o);   /* kills the two hanging workers */
}
END_TEST

/* ---- the daemon dies while preparing ---------------------------------------- */

/* A runner in a child process, killed with SIGKILL once the job's
 * preparation was counted `starts` times: the daemon dying mid-way. */
static void
die_while_preparing(const char *id, int starts)
{
	pid_t child = fork();
	int i, status;

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		struct offramp *o;
		char err[128];

		base = event_base_new();   /* the parent's is not ours to run */
		o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
		if (o == NULL || offramp_start(o, err, sizeof(err)) != 0)
			_exit(1);
		event_base_dispatch(base);
		_exit(2);
	}
	for (i = 0; i < 1000 && prep_starts(id) != starts; i++)
		usleep(10000);
	ck_assert_int_eq(prep_starts(id), starts);
	usleep(200000);   /* the worker is running */
	kill(child, SIGKILL);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFSIGNALED(status));
}

START_TEST(test_prep_quarantine_after_two_deaths)
{
	const char *nums[] = { "5551111", NULL };
	char id[SPOOL_ID_LEN + 1], other[SPOOL_ID_LEN + 1], err[128], *spec, *q;
	const char *other_num[] = { "5552222", NULL };
	struct offramp *o;
	unsigned n;

	intake_job(text_msg, nums, "FAILURE", id);
	spec = g_strdup_printf("%s:hang", id);
	hooks(spec);
	die_while_preparing(id, 1);
	die_while_preparing(id, 2);
	ck_assert(job_in(SPOOL_Q_OFFRAMP, id));
	intake_job(text_msg, other_num, NULL, other);   /* arrives meanwhile */

	/* The third start: the job is not prepared again. */
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_str_eq(last_dial()->number, "5552222");   /* the gateway carries on */
	ck_assert(!job_in(SPOOL_Q_OFFRAMP, id));
	ck_assert(job_in(SPOOL_Q_FAILED, id));
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);   /* one DSN */
	ck_assert_ptr_nonnull(strstr(q, "rcpt alice@example.com\n"));
	ck_assert_ptr_nonnull(strstr(q, "Action: failed"));
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.6.5"));
	ck_assert_msg(strstr(flat(q), "the document could not be processed") != NULL,
	    "%s", q);
	g_free(q);
	ck_assert_uint_eq(dialed->len, 1);
	g_free(spec);
	offramp_free(o);

	/* And it stays put: a later start neither prepares nor reports it. */
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	loop_for(300);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	g_free(q);
	offramp_free(o);
}
END_TEST

/* One death is forgiven once the next preparation ends. */
START_TEST(test_prep_one_death_then_fine)
{
	const char *nums[] = { "5551111", NULL };
	char id[SPOOL_ID_LEN + 1], err[128], *spec;
	struct offramp *o;

	intake_job(text_msg, nums, NULL, id);
	spec = g_strdup_printf("%s:hang", id);
	hooks(spec);
	die_while_preparing(id, 1);
	unsetenv("T37_TEST_WORKER");
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_int_eq(prep_starts(id), 0);
	g_free(spec);
	offramp_free(o);
}
END_TEST

/* A stop by the operator is no death: the count is taken back. */
START_TEST(test_prep_stop_gives_back)
{
	const char *nums[] = { "5551111", NULL };
	char id[SPOOL_ID_LEN + 1], err[128], *spec;
	struct offramp *o;
	int i;

	intake_job(text_msg, nums, NULL, id);
	spec = g_strdup_printf("%s:hang", id);
	hooks(spec);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	for (i = 0; i < 500 && prep_starts(id) != 1; i++)
		loop_for(10);
	ck_assert_int_eq(prep_starts(id), 1);
	offramp_free(o);
	ck_assert_int_eq(prep_starts(id), 0);
	g_free(spec);
}
END_TEST

/* ---- send order -------------------------------------------------------------- */

/*
 * Three mails to one number, the first with the slowest document, and one
 * to another number: the other number is not held up, and the three go
 * out in arrival order, each only after the one before it is final.
 */
START_TEST(test_order_slow_first)
{
	const char *same[] = { "5551234", NULL }, *else_[] = { "5559999", NULL };
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], c[SPOOL_ID_LEN + 1];
	char d[SPOOL_ID_LEN + 1], err[128], *spec;
	struct offramp *o;

	intake_job(text_msg, same, NULL, a);
	intake_job(text_msg, same, NULL, b);
	intake_job(text_msg, same, NULL, c);
	intake_job(text_msg, else_, NULL, d);
	spec = g_strdup_printf("%s:sleep1500", a);
	hooks(spec);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	want_dials = 2;
	ck_assert(loop_until(dials_reached, o));
	/* d (another number) went; of the three, a first though b and c were
	 * ready long before it. */
	ck_assert_msg(dialed_number(0, "5559999") || dialed_number(1, "5559999"),
	    "the other number waited");
	ck_assert(dialed_number(0, "5551234") || dialed_number(1, "5551234"));
	loop_for(1000);
	ck_assert_uint_eq(dialed->len, 2);   /* b and c wait for a's outcome */
	{
		const struct sip_dial_request *ra = dialed_number(0, "5551234") ?
		    g_ptr_array_index(dialed, 0) : g_ptr_array_index(dialed, 1);
		char *ja = g_strdup_printf("/%s/", a);

		ck_assert_msg(strstr(ra->tx_path, ja) != NULL, "first call %s", ra->tx_path);
		g_free(ja);
		finish(o, ra, SIP_RESULT_OK, 200, 1, 1);
	}
	want_dials = 3;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_ptr_nonnull(strstr(last_dial()->tx_path, b));
	loop_for(500);
	ck_assert_uint_eq(dialed->len, 3);
	finish(o, last_dial(), SIP_RESULT_OK, 200, 1, 1);
	want_dials = 4;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_ptr_nonnull(strstr(last_dial()->tx_path, c));
	g_free(spec);
	offramp_free(o);
}
END_TEST

/* A busy line: the retry of the first job still comes before the second. */
START_TEST(test_order_busy_retry_first)
{
	const char *same[] = { "5551234", NULL };
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], err[128];
	struct offramp *o;

	intake_job(text_msg, same, NULL, a);
	intake_job(text_msg, same, NULL, b);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_ptr_nonnull(strstr(last_dial()->tx_path, a));
	finish(o, last_dial(), SIP_RESULT_BUSY, 486, 0, 1);
	/* retry busy 3 10: a is called again after 10 s; b not meanwhile. */
	want_dials = 2;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_msg(strstr(last_dial()->tx_path, a) != NULL, "second call to %s",
	    last_dial()->tx_path);
	finish(o, last_dial(), SIP_RESULT_OK, 200, 1, 1);
	want_dials = 3;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_ptr_nonnull(strstr(last_dial()->tx_path, b));
	offramp_free(o);
}
END_TEST

Suite *
suite_offramp_prep(void)
{
	Suite *s = suite_create("offramp_prep");
	TCase *tc = tcase_create("prep");
	TCase *to = tcase_create("order");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_prep_crash_fails_one_job);
	tcase_add_test(tc, test_prep_timeout);
	tcase_add_test(tc, test_prep_pool_keeps_moving);
	tcase_add_test(tc, test_prep_quarantine_after_two_deaths);
	tcase_add_test(tc, test_prep_one_death_then_fine);
	tcase_add_test(tc, test_prep_stop_gives_back);
	suite_add_tcase(s, tc);
	tcase_set_timeout(to, 60);
	tcase_add_checked_fixture(to, setup, teardown);
	tcase_add_test(to, test_order_slow_first);
	tcase_add_test(to, test_order_busy_retry_first);
	suite_add_tcase(s, to);
	return s;
}
