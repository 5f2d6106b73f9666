/*
 * Session tests for gateway/offramp/ops: the operator's operations on the
 * runner with a real spool and event loop, a fake line that records the
 * calls and results fed back by hand: hold (persisted, never dialed until
 * released), retry, delete (the DSN in the mail queue, refused during a
 * call), requeue of a quarantined job, the call history (bounded, kept
 * across a restart), the JSON views and bad ids.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "gateway/offramp/job.h"
#include "offramp_test_util.h"

static const char conf_text[] =
    "hostname gw1.example.com\n"
    "mta send postmaster fax-admin@example.com\n"
    "fax send retry busy 3 600\n"
    "dial-peer voice 301 voip\n"
    " destination-pattern 555....\n"
    " session target sip:$d$@127.0.0.1:5070\n";

static const char text_msg[] =
    "From: Alice <alice@example.com>\nSubject: Figures\n"
    "Message-ID: <fig@example.com>\n\nHello fax.\n";

static char the_id[SPOOL_ID_LEN + 1];   /* the job the conditions look at */

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

/* A field of the job in full (`show`), as an integer / a string. */
static int64_t
show_int(struct offramp *o, const char *key)
{
	char err[128];
	struct json_object *j = offramp_ctl_show(o, the_id, err, sizeof(err)), *v;
	int64_t n = -1;

	if (j != NULL && json_object_object_get_ex(j, key, &v))
		n = json_object_get_int64(v);
	json_object_put(j);
	return n;
}

static char *
show_str(struct offramp *o, const char *key)
{
	char err[128];
	struct json_object *j = offramp_ctl_show(o, the_id, err, sizeof(err)), *v;
	char *s = NULL;

	if (j != NULL && json_object_object_get_ex(j, key, &v))
		s = g_strdup(json_object_get_string(v));
	json_object_put(j);
	return s;
}

static int rendered(struct offramp *o) { return show_int(o, "pages") > 0; }

static char *
state_file(const char *queue)
{
	char *s = NULL;
	size_t len;

	if (spool_read(sp, queue, the_id, "state", &s, &len) != 0)
		return NULL;
	return s;
}

START_TEST(test_ops_hold_persisted_released_dialed)
{
	const char *nums[] = { "5551234", NULL };
	char err[128], *s;
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	struct json_object *l, *row, *v;

	intake_job(text_msg, nums, NULL, the_id);
	offramp_add(o, the_id);
	ck_assert_int_eq(offramp_hold(o, the_id, 1, err, sizeof(err)), 0);
	/* Prepared, but never dialed. */
	ck_assert(loop_until(rendered, o));
	loop_for(300);
	ck_assert_uint_eq(dialed->len, 0);
	s = show_str(o, "state");
	ck_assert_str_eq(s, "held");
	g_free(s);
	s = state_file(SPOOL_Q_OFFRAMP);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strstr(s, "\nheld 1\n") != NULL, "state: %s", s);
	free(s);
	offramp_free(o);

	/* A restart keeps the hold. */
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	ck_assert(loop_until(rendered, o));
	loop_for(300);
	ck_assert_uint_eq(dialed->len, 0);
	l = offramp_ctl_list(o);
	ck_assert_int_eq((int)json_object_array_length(l), 1);
	row = json_object_array_get_idx(l, 0);
	ck_assert(json_object_object_get_ex(row, "held", &v));
	ck_assert(json_object_get_boolean(v));
	ck_assert(json_object_object_get_ex(row, "queue", &v));
	ck_assert_str_eq(json_object_get_string(v), "offramp");
	ck_assert(json_object_object_get_ex(row, "next", &v));
	ck_assert_int_eq(json_object_get_int64(v), 0);
	json_object_put(l);
	/* A held job is not retried. */
	ck_assert_int_eq(offramp_retry(o, the_id, &(unsigned){ 0 }, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "held"));

	/* Released: dialed at once. */
	ck_assert_int_eq(offramp_hold(o, the_id, 0, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until_secs(dials_reached, o, 3));
	s = state_file(SPOOL_Q_OFFRAMP);
	ck_assert_ptr_null(strstr(s, "\nheld 1\n"));
	free(s);
	offramp_free(o);
}
END_TEST

START_TEST(test_ops_retry_dials_now)
{
	const char *nums[] = { "5551234", NULL };
	char err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	unsigned count = 99;

	intake_job(text_msg, nums, NULL, the_id);
	offramp_add(o, the_id);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	finish(o, last_dial(), SIP_RESULT_BUSY, 486, 0, 1);
	/* Busy: the next call is 600 s away. */
	ck_assert_int_gt(show_int(o, "next"), (int64_t)time(NULL) + 500);
	loop_for(300);
	ck_assert_uint_eq(dialed->len, 1);
	ck_assert_int_eq(offramp_retry(o, NULL, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 1);
	want_dials = 2;
	ck_assert(loop_until_secs(dials_reached, o, 3));
	/* The second call is in progress: nothing is waiting. */
	ck_assert_int_eq(offramp_retry(o, the_id, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 0);
	offramp_free(o);
}
END_TEST

START_TEST(test_ops_delete_queues_dsn)
{
	const char *nums[] = { "5551234", "5559999", NULL };
	char err[128], *q, *s;
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	unsigned n;
	size_t len;

	intake_job(text_msg, nums, NULL, the_id);
	offramp_add(o, the_id);
	want_dials = 2;
	ck_assert(loop_until(dials_reached, o));
	/* Refused while a call of the job is in progress. */
	ck_assert_int_eq(offramp_delete(o, the_id, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "has a call in progress") != NULL, "%s", err);
	ck_assert_uint_eq(offramp_jobs(o), 1);
	finish(o, g_ptr_array_index(dialed, 0), SIP_RESULT_BUSY, 486, 0, 1);
	ck_assert_int_eq(offramp_delete(o, the_id, err, sizeof(err)), -1);
	finish(o, g_ptr_array_index(dialed, 1), SIP_RESULT_BUSY, 486, 0, 1);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 0);
	g_free(q);

	ck_assert_int_eq(offramp_delete(o, the_id, err, sizeof(err)), 0);
	ck_assert_uint_eq(offramp_jobs(o), 0);
	ck_assert_int_ne(spool_read(sp, SPOOL_Q_OFFRAMP, the_id, "env", &s, &len), 0);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);   /* one DSN covering both numbers */
	ck_assert_ptr_nonnull(strstr(q, "from \nrcpt alice@example.com\n"));
	ck_assert_ptr_nonnull(strstr(q, "Action: failed"));
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.0.0"));
	ck_assert_ptr_nonnull(strstr(q, "deleted by the"));
	g_free(q);
	/* Gone: a second delete says so. */
	ck_assert_int_eq(offramp_delete(o, the_id, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no such job") != NULL, "%s", err);
	offramp_free(o);
}
END_TEST

/* NOTIFY=NEVER: deleted without a DSN. */
START_TEST(test_ops_delete_notify_never)
{
	const char *nums[] = { "5551234", NULL };
	char err[128], *q;
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	unsigned n;

	intake_job(text_msg, nums, "NEVER", the_id);
	offramp_add(o, the_id);
	ck_assert_int_eq(offramp_hold(o, the_id, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(offramp_delete(o, the_id, err, sizeof(err)), 0);
	ck_assert(loop_until(no_jobs, o));
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 0);
	g_free(q);
	loop_for(200);
	ck_assert_uint_eq(dialed->len, 0);
	offramp_free(o);
}
END_TEST

START_TEST(test_ops_requeue_quarantined)
{
	const char *nums[] = { "5551234", NULL };
	char err[128], *s, *q;
	struct offramp *o;
	struct spool_rec *prep = spool_rec_new();
	struct json_object *f, *v;
	unsigned n;

	intake_job(text_msg, nums, NULL, the_id);
	/* The daemon died twice while preparing it: quarantined at start. */
	spool_rec_add_u64(prep, "starts", 2);
	ck_assert_int_eq(spool_rec_store(sp, SPOOL_Q_OFFRAMP, the_id, "prep", prep), 0);
	spool_rec_free(prep);
	o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	ck_assert(loop_until(no_jobs, o));
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);   /* its sender was told */
	g_free(q);
	ck_assert_int_eq(spool_read(sp, SPOOL_Q_FAILED, the_id, "msg", &s, &(size_t){ 0 }), 0);
	free(s);

	f = offramp_ctl_failed(o, the_id);
	ck_assert_ptr_nonnull(f);
	ck_assert(json_object_object_get_ex(f, "queue", &v));
	ck_assert_str_eq(json_object_get_string(v), "failed");
	ck_assert(json_object_object_get_ex(f, "kind", &v));
	ck_assert_str_eq(json_object_get_string(v), "offramp");
	json_object_put(f);
	s = show_str(o, "queue");
	ck_assert_str_eq(s, "failed");
	g_free(s);
	/* Operations on a job of the failed queue say where it is. */
	ck_assert_int_eq(offramp_hold(o, the_id, 1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is in the failed queue: requeue it first") != NULL, "%s", err);
	ck_assert_int_eq(offramp_retry(o, the_id, &n, err, sizeof(err)), -1);

	ck_assert_int_eq(offramp_requeue(o, the_id, err, sizeof(err)), 0);
	ck_assert_int_ne(spool_read(sp, SPOOL_Q_FAILED, the_id, "msg", &s, &(size_t){ 0 }), 0);
	s = state_file(SPOOL_Q_OFFRAMP);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(strstr(s, "\nrequeued "));
	ck_assert_ptr_nonnull(strstr(s, "\nrcpt.phase ready\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nrcpt.attempts 0\n"));
	free(s);
	ck_assert_uint_eq(offramp_jobs(o), 1);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	/* Not in the failed queue any more. */
	ck_assert_int_eq(offramp_requeue(o, the_id, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not in the failed queue") != NULL, "%s", err);
	finish(o, last_dial(), SIP_RESULT_OK, 200, 1, 1);
	ck_assert(loop_until(no_jobs, o));
	offramp_free(o);
}
END_TEST

/* A failed job is deleted without a DSN; a requeue of nothing is an error. */
START_TEST(test_ops_delete_failed)
{
	const char *nums[] = { "5551234", NULL };
	char err[128], *s;
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	struct json_object *f;

	intake_job(text_msg, nums, NULL, the_id);
	ck_assert_int_eq(spool_move(sp, SPOOL_Q_OFFRAMP, the_id, SPOOL_Q_FAILED), 0);
	f = offramp_ctl_failed(o, the_id);
	ck_assert_ptr_nonnull(f);
	json_object_put(f);
	ck_assert_int_eq(offramp_delete(o, the_id, err, sizeof(err)), 0);
	ck_assert_int_ne(spool_read(sp, SPOOL_Q_FAILED, the_id, "msg", &s, &(size_t){ 0 }), 0);
	ck_assert_ptr_null(offramp_ctl_failed(o, the_id));
	ck_assert_int_eq(offramp_requeue(o, the_id, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "no such job") != NULL, "%s", err);
	offramp_free(o);
}
END_TEST

START_TEST(test_ops_history_persisted)
{
	const char *nums[] = { "5551234", NULL };
	char err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	struct json_object *j, *rs, *h, *e, *v;
	unsigned count;
	int pass;

	intake_job(text_msg, nums, NULL, the_id);
	offramp_add(o, the_id);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	finish(o, last_dial(), SIP_RESULT_BUSY, 486, 0, 1);
	ck_assert_int_eq(offramp_retry(o, the_id, &count, err, sizeof(err)), 0);
	want_dials = 2;
	ck_assert(loop_until_secs(dials_reached, o, 3));
	finish(o, last_dial(), SIP_RESULT_BUSY, 486, 0, 2);
	for (pass = 0; pass < 2; pass++) {
		j = offramp_ctl_show(o, the_id, err, sizeof(err));
		ck_assert_msg(j != NULL, "%s", err);
		ck_assert(json_object_object_get_ex(j, "recipients", &rs));
		ck_assert(json_object_object_get_ex(json_object_array_get_idx(rs, 0),
		    "history", &h));
		ck_assert_int_eq((int)json_object_array_length(h), 2);
		e = json_object_array_get_idx(h, 1);
		ck_assert(json_object_object_get_ex(e, "result", &v));
		ck_assert_str_eq(json_object_get_string(v), "busy");
		ck_assert(json_object_object_get_ex(e, "status", &v));
		ck_assert_str_eq(json_object_get_string(v), "4.4.1");
		ck_assert(json_object_object_get_ex(e, "pages_total", &v));
		ck_assert_int_eq(json_object_get_int(v), 2);
		ck_assert(json_object_object_get_ex(e, "csi", &v));
		ck_assert_str_eq(json_object_get_string(v), "+1 555 1234");
		ck_assert(json_object_object_get_ex(e, "error", &v));
		ck_assert_ptr_nonnull(strstr(json_object_get_string(v), "486"));
		ck_assert(json_object_object_get_ex(j, "attempts", &v));
		ck_assert_int_eq(json_object_get_int(v), 2);
		json_object_put(j);
		/* ... and the same after a restart. */
		offramp_free(o);
		o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
		ck_assert_int_eq(offramp_start(o, err, sizeof(err)), 0);
	}
	offramp_free(o);
}
END_TEST

/* The history keeps the last OFFRAMP_HISTORY_MAX calls, through the
 * state record; a record without history keys (older) loads. */
START_TEST(test_ops_history_bounded)
{
	struct offramp_job *a = offramp_job_new(), *b = offramp_job_new();
	struct offramp_call_hist h;
	struct spool_rec *rec;
	char err[128], text[400];
	const char *data;
	size_t len, i;

	ck_assert_int_eq(offramp_job_env(a, "rcpt", "x", err, sizeof(err)), 0);
	ck_assert_int_eq(offramp_job_env(b, "rcpt", "x", err, sizeof(err)), 0);
	memset(text, 'e', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[5] = '\n';
	for (i = 0; i < OFFRAMP_HISTORY_MAX + 4; i++) {
		memset(&h, 0, sizeof(h));
		h.at = 1000 + (time_t)i;
		h.secs = 7;
		g_strlcpy(h.result, "busy", sizeof(h.result));
		g_strlcpy(h.status, "4.4.1", sizeof(h.status));
		g_strlcpy(h.csi, "CSI 1", sizeof(h.csi));
		offramp_job_history_add(a, 0, &h, text);
	}
	ck_assert_uint_eq(a->rcpts[0].nhist, OFFRAMP_HISTORY_MAX);
	ck_assert_int_eq(a->rcpts[0].hist[0].at, 1004);
	ck_assert_uint_lt(strlen(a->rcpts[0].hist[0].error), OFFRAMP_HISTORY_ERROR_MAX);
	ck_assert_ptr_null(strchr(a->rcpts[0].hist[0].error, '\n'));
	a->held = 1;
	a->requeued = 5000;
	a->deleted = 1;
	rec = offramp_job_state(a);
	ck_assert_ptr_nonnull(rec);
	data = spool_rec_data(rec, &len);
	{
		struct spool_rec *p = spool_rec_parse(data, len, err, sizeof(err));

		ck_assert_msg(p != NULL, "%s", err);
		ck_assert_int_eq(offramp_job_state_load(b, p, err, sizeof(err)), 0);
		spool_rec_free(p);
	}
	spool_rec_free(rec);
	ck_assert_uint_eq(b->rcpts[0].nhist, OFFRAMP_HISTORY_MAX);
	ck_assert_int_eq(b->rcpts[0].hist[0].at, 1004);
	ck_assert_int_eq(b->rcpts[0].hist[OFFRAMP_HISTORY_MAX - 1].at, 1019);
	ck_assert_str_eq(b->rcpts[0].hist[3].csi, "CSI 1");
	ck_assert_str_eq(b->rcpts[0].hist[3].status, "4.4.1");
	ck_assert_str_eq(b->rcpts[0].hist[3].error, a->rcpts[0].hist[3].error);
	ck_assert_int_eq(b->held, 1);
	ck_assert_int_eq(b->requeued, 5000);
	ck_assert_int_eq(b->deleted, 1);
	ck_assert_int_eq(offramp_job_since(b), 5000);
	offramp_job_free(b);

	/* An older record, and damaged history lines. */
	{
		static const char *const recs[] = {
			"version 3\nrcpt 0\nrcpt.phase ready\nrcpt.attempts 2\n",
			"version 3\nrcpt 0\nrcpt.call 1 2 0/1 busy 4.4.1\nrcpt.call-csi x\n",
		};
		static const char *const bad[] = {
			"version 3\nrcpt 0\nrcpt.call 1 2 3/1 busy 4.4.1\n",
			"version 3\nrcpt 0\nrcpt.call 1 2 0/1 busy 9.9.9\n",
			"version 3\nrcpt 0\nrcpt.call nonsense\n",
			"version 3\nrcpt 0\nrcpt.call-error before any call\n",
			"version 3\nheld 2\n",
		};
		for (i = 0; i < G_N_ELEMENTS(recs) + G_N_ELEMENTS(bad); i++) {
			const char *t = i < G_N_ELEMENTS(recs) ? recs[i] :
			    bad[i - G_N_ELEMENTS(recs)];
			struct spool_rec *p = spool_rec_parse(t, strlen(t), err, sizeof(err));

			b = offramp_job_new();
			ck_assert_int_eq(offramp_job_env(b, "rcpt", "x", err, sizeof(err)), 0);
			ck_assert_ptr_nonnull(p);
			ck_assert_int_eq(offramp_job_state_load(b, p, err, sizeof(err)),
			    i < G_N_ELEMENTS(recs) ? 0 : -1);
			spool_rec_free(p);
			offramp_job_free(b);
		}
	}
	offramp_job_free(a);
}
END_TEST

START_TEST(test_ops_bad_ids)
{
	static const char *const ids[] = { "", "nonsense", "../../etc/passwd",
	    "0123456789abcdef0", "0123456789abcdef" };
	char err[128];
	struct offramp *o = offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	struct json_object *l;
	unsigned count, i;

	for (i = 0; i < G_N_ELEMENTS(ids); i++) {
		err[0] = '\0';
		ck_assert_ptr_null(offramp_ctl_show(o, ids[i], err, sizeof(err)));
		ck_assert_msg(strstr(err, "no such job") != NULL, "%s", err);
		ck_assert_ptr_null(offramp_ctl_failed(o, ids[i]));
		ck_assert_int_eq(offramp_retry(o, ids[i], &count, err, sizeof(err)), -1);
		ck_assert_int_eq(offramp_hold(o, ids[i], 1, err, sizeof(err)), -1);
		ck_assert_int_eq(offramp_hold(o, ids[i], 0, err, sizeof(err)), -1);
		ck_assert_int_eq(offramp_delete(o, ids[i], err, sizeof(err)), -1);
		ck_assert_msg(strstr(err, "no such job") != NULL, "%s", err);
		ck_assert_int_eq(offramp_requeue(o, ids[i], err, sizeof(err)), -1);
	}
	ck_assert_ptr_null(offramp_ctl_show(o, NULL, err, sizeof(err)));
	ck_assert_int_eq(offramp_delete(o, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(offramp_requeue(o, NULL, err, sizeof(err)), -1);
	/* Retry of all with no job: none. */
	ck_assert_int_eq(offramp_retry(o, NULL, &count, err, sizeof(err)), 0);
	ck_assert_uint_eq(count, 0);
	l = offramp_ctl_list(o);
	ck_assert_int_eq((int)json_object_array_length(l), 0);
	json_object_put(l);
	offramp_free(o);
}
END_TEST

Suite *
suite_offramp_ops(void)
{
	Suite *s = suite_create("offramp_ops");
	TCase *tc = tcase_create("ops");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ops_hold_persisted_released_dialed);
	tcase_add_test(tc, test_ops_retry_dials_now);
	tcase_add_test(tc, test_ops_delete_queues_dsn);
	tcase_add_test(tc, test_ops_delete_notify_never);
	tcase_add_test(tc, test_ops_requeue_quarantined);
	tcase_add_test(tc, test_ops_delete_failed);
	tcase_add_test(tc, test_ops_history_persisted);
	tcase_add_test(tc, test_ops_history_bounded);
	tcase_add_test(tc, test_ops_bad_ids);
	suite_add_tcase(s, tc);
	return s;
}
