/*
 * Session tests for gateway/offramp/run: a real spool and event loop, jobs
 * written the way the intake writes them, a fake line that records the
 * calls, and call results fed back by hand. Checks the calls placed, the
 * state file, crash recovery, the reports queued and the job's removal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/offramp/job.h"
#include "offramp_test_util.h"

static const char conf_text[] =
    "hostname gw1.example.com\n"
    "mta send postmaster fax-admin@example.com\n"
    "fax send retry busy 3 10\n"
    "fax send left-header $d$\n"
    "dial-peer voice 301 voip\n"
    " destination-pattern 555....\n"
    " session target sip:$d$@127.0.0.1:5070\n";

static void
setup(void)
{
	ot_setup(conf_text);
}

static void
teardown(void)
{
	ot_teardown();
}

static const char text_msg[] =
    "From: Alice <alice@example.com>\nSubject: Figures\n"
    "Message-ID: <fig@example.com>\n\nHello fax.\n";

START_TEST(test_run_delivered)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128], state[4096];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *s = NULL, *q;
	size_t len;
	unsigned n;

	ck_assert_ptr_nonnull(o);
	intake_job(text_msg, nums, "SUCCESS,FAILURE", id);
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_str_eq(last_dial()->target, "sip:5551234@127.0.0.1:5070");
	ck_assert(access(last_dial()->tx_path, R_OK) == 0);
	ck_assert(last_dial()->fax.ecm);
	ck_assert_uint_eq(offramp_calls(o), 1);
	/* DIALING is on disk before the call. */
	ck_assert_int_eq(spool_read(sp, SPOOL_Q_OFFRAMP, id, "state", &s, &len), 0);
	ck_assert_ptr_nonnull(strstr(s, "\nrcpt.phase dialing\n"));
	free(s);
	(void)state;

	finish(o, last_dial(), SIP_RESULT_OK, 200, 1, 1);
	ck_assert(loop_until(no_jobs, o));
	ck_assert_uint_eq(offramp_calls(o), 0);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "from \nrcpt alice@example.com\n"));
	ck_assert_ptr_nonnull(strstr(q, "Action: delivered"));
	ck_assert_ptr_nonnull(strstr(q, "X-Fax-CSI: +1 555 1234"));
	/* The offramp job is gone from the spool. */
	ck_assert_int_ne(spool_read(sp, SPOOL_Q_OFFRAMP, id, "env", &s, &len), 0);
	g_free(q);
	offramp_free(o);
}
END_TEST

START_TEST(test_run_unsupported_no_call)
{
	static const char msg[] =
	    "From: alice@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: application/msword; name=letter.doc\n\nxx\n";
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *q;
	unsigned n;

	intake_job(msg, nums, NULL, id);
	offramp_add(o, id);
	ck_assert(loop_until(no_jobs, o));
	ck_assert_uint_eq(dialed->len, 0);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.6.1"));
	ck_assert_ptr_nonnull(strstr(q, "application/msword"));
	g_free(q);
	offramp_free(o);
}
END_TEST

START_TEST(test_run_two_numbers_one_dsn)
{
	const char *nums[] = { "5551234", "5559999", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	const struct sip_dial_request *a, *b;
	char *q;
	unsigned n;

	intake_job(text_msg, nums, "SUCCESS,FAILURE", id);
	offramp_add(o, id);
	want_dials = 2;
	ck_assert(loop_until(dials_reached, o));
	a = g_ptr_array_index(dialed, 0);
	b = g_ptr_array_index(dialed, 1);
	ck_assert_str_eq(a->number, "5551234");
	ck_assert_str_eq(b->number, "5559999");
	finish(o, a, SIP_RESULT_OK, 200, 1, 1);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 0);   /* not before every number is final */
	g_free(q);
	finish(o, b, SIP_RESULT_REJECTED, 404, 0, 1);
	ck_assert(loop_until(no_jobs, o));
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "Action: delivered"));
	ck_assert_ptr_nonnull(strstr(q, "Action: failed"));
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.1.1"));
	g_free(q);
	offramp_free(o);
}
END_TEST

START_TEST(test_run_busy_then_crash)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	struct offramp_job *j = offramp_job_new();
	struct spool_rec *st;

	intake_job(text_msg, nums, NULL, id);
	offramp_add(o, id);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	finish(o, last_dial(), SIP_RESULT_BUSY, 486, 0, 1);
	ck_assert_uint_eq(offramp_jobs(o), 1);
	st = spool_rec_load(sp, SPOOL_Q_OFFRAMP, id, "state", err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_str_eq(spool_rec_get(st, "rcpt.phase"), "ready");
	ck_assert_str_eq(spool_rec_get(st, "rcpt.busy"), "1");
	spool_rec_free(st);
	/* Pretend a call is under way and the process dies: the state says
	 * DIALING; a new runner places the call again. */
	ck_assert_int_eq(offramp_job_env(j, "rcpt", "x", err, sizeof(err)), 0);
	offramp_retry_dial(&j->rcpts[0].retry, time(NULL));
	st = offramp_job_state(j);
	ck_assert_int_eq(spool_rec_store(sp, SPOOL_Q_OFFRAMP, id, "state", st), 0);
	spool_rec_free(st);
	offramp_job_free(j);
	offramp_free(o);

	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	ck_assert_uint_eq(offramp_jobs(o), 1);
	st = spool_rec_load(sp, SPOOL_Q_OFFRAMP, id, "state", err, sizeof(err));
	ck_assert_msg(st != NULL, "%s", err);
	ck_assert_str_eq(spool_rec_get(st, "rcpt.phase"), "ready");     /* READY again */
	ck_assert_str_eq(spool_rec_get(st, "rcpt.failure"), "1");       /* the lost call counted */
	spool_rec_free(st);
	offramp_free(o);
}
END_TEST

/* A line that is not up yet costs no attempt: the call waits. */
START_TEST(test_run_line_down)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *s = NULL;
	size_t len;
	int i;

	line_down = 1;
	intake_job(text_msg, nums, NULL, id);
	offramp_add(o, id);
	for (i = 0; i < 300; i++) {   /* up to 3 s: render, then refused calls */
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	ck_assert_uint_eq(offramp_jobs(o), 1);
	ck_assert_uint_eq(offramp_calls(o), 0);
	ck_assert_int_eq(spool_read(sp, SPOOL_Q_OFFRAMP, id, "state", &s, &len), 0);
	ck_assert_msg(strstr(s, "\nrcpt.attempts 0\n") != NULL, "state: %s", s);
	ck_assert_ptr_nonnull(strstr(s, "\nrcpt.phase ready\n"));
	free(s);
	/* The line comes up: the call goes out at the next try. */
	line_down = 0;
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_str_eq(last_dial()->number, "5551234");
	offramp_free(o);
}
END_TEST

START_TEST(test_run_damaged_envelope)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *s = NULL;
	size_t len;

	intake_job(text_msg, nums, "SOMETIMES", id);   /* not a NOTIFY value */
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	ck_assert_uint_eq(offramp_jobs(o), 0);
	ck_assert_uint_eq(dialed->len, 0);
	/* Set aside, not lost. */
	ck_assert_int_eq(spool_read(sp, SPOOL_Q_FAILED, id, "msg", &s, &len), 0);
	free(s);
	ck_assert_int_ne(spool_read(sp, SPOOL_Q_OFFRAMP, id, "msg", &s, &len), 0);
	offramp_free(o);
}
END_TEST

Suite *
suite_offramp_run(void)
{
	Suite *s = suite_create("offramp_run");
	TCase *tc = tcase_create("run");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_run_delivered);
	tcase_add_test(tc, test_run_unsupported_no_call);
	tcase_add_test(tc, test_run_two_numbers_one_dsn);
	tcase_add_test(tc, test_run_busy_then_crash);
	tcase_add_test(tc, test_run_damaged_envelope);
	tcase_add_test(tc, test_run_line_down);
	suite_add_tcase(s, tc);
	return s;
}
