/*
 * Unit tests for gateway/offramp/job: loading the intake's envelope,
 * saving and restoring progress, and the reports a job owes its sender
 * (one DELAY DSN when retries start, one final DSN covering every outcome,
 * MDNs under RFC 8098's rules).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "gateway/offramp/job.h"
#include "gateway/offramp/retry.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"

#define T0 1795442700

static char tmpdir[64];
static char msgpath[128];

static const char *const env_ok[][2] = {
	{ "version", "1" }, { "smtp", "91c2" }, { "client", "10.1.2.3" },
	{ "helo", "mail.example.com" }, { "tls", "0" },
	{ "from", "alice@example.com" }, { "envid", "Q3+2B4711" }, { "ret", "HDRS" },
	{ "body", "7BIT" }, { "size", "300" }, { "received", "1795442700" },
	{ "rcpt", "FAX=+19195551234@fax.example.com" }, { "rcpt.kind", "fax" },
	{ "rcpt.number", "+19195551234" }, { "rcpt.peer", "400" },
	{ "rcpt.notify", "SUCCESS,FAILURE" },
	{ "rcpt.orcpt", "rfc822;FAX+3D+2B19195551234@fax.example.com" },
	{ "rcpt", "FAX=+19195550000@fax.example.com" }, { "rcpt.kind", "fax" },
	{ "rcpt.number", "+19195550000" }, { "rcpt.peer", "400" },
	{ "rcpt.notify", "FAILURE,DELAY" },
	{ "rcpt", "postmaster@fax.example.com" }, { "rcpt.kind", "postmaster" },
	{ "rcpt.forward", "admin@example.com" },
};

static void
setup(void)
{
	g_strlcpy(tmpdir, "/tmp/t37jobXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	g_snprintf(msgpath, sizeof(msgpath), "%s/msg", tmpdir);
	ck_assert(g_file_set_contents(msgpath,
	    "Return-Path: <alice@example.com>\n"
	    "From: Alice <alice@example.com>\nSubject: Figures\n"
	    "Message-ID: <fig@example.com>\n"
	    "Disposition-Notification-To: alice@example.com\n\nHello\n", -1, NULL));
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

static struct offramp_job *
load_job(void)
{
	struct offramp_job *j = offramp_job_new();
	char err[128];
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(env_ok); i++)
		ck_assert_msg(offramp_job_env(j, env_ok[i][0], env_ok[i][1], err,
		    sizeof(err)) == 0, "%s: %s", env_ok[i][0], err);
	return j;
}

static const struct offramp_report_cfg report_cfg = {
	.hostname = "gw1.example.com", .postmaster = "postmaster@gw1.example.com",
	.from_name = "Fax Daemon", .generate_mdn = 1,
};

START_TEST(test_job_env)
{
	struct offramp_job *j = load_job();

	ck_assert_str_eq(j->from, "alice@example.com");
	ck_assert_str_eq(j->envid, "Q3+4711");
	ck_assert_int_eq(j->ret, MIME_RET_HDRS);
	ck_assert_int_eq(j->received, T0);
	ck_assert_uint_eq(j->nrcpts, 3);
	ck_assert_str_eq(j->rcpts[0].number, "+19195551234");
	ck_assert_str_eq(j->rcpts[0].peer, "400");
	ck_assert_str_eq(j->rcpts[0].orcpt_type, "rfc822");
	ck_assert_str_eq(j->rcpts[0].orcpt, "FAX=+19195551234@fax.example.com");
	ck_assert_uint_eq(j->rcpts[0].retry.notify, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE);
	ck_assert_uint_eq(j->rcpts[1].retry.notify, SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY);
	ck_assert_ptr_null(j->rcpts[1].orcpt);
	ck_assert_int_eq(j->rcpts[2].postmaster, 1);
	ck_assert_uint_eq(j->rcpts[2].retry.notify, OFFRAMP_NOTIFY_DEFAULT);
	ck_assert(offramp_retry_due(&j->rcpts[0].retry, T0));
	offramp_job_free(j);
	offramp_job_free(NULL);
}
END_TEST

/* /cover= recorded per recipient decides the job's cover page; without
 * it the config does. */
START_TEST(test_job_cover)
{
	struct offramp_job *j = load_job();
	char err[128];

	ck_assert_int_eq(j->rcpts[0].cover, -1);
	ck_assert_int_eq(offramp_job_cover(j, 0), 0);
	ck_assert_int_eq(offramp_job_cover(j, 1), 1);
	ck_assert_int_eq(offramp_job_env(j, "rcpt", "FAX=1/cover=no@x", err, sizeof(err)), 0);
	ck_assert_int_eq(offramp_job_env(j, "rcpt.number", "1", err, sizeof(err)), 0);
	ck_assert_int_eq(offramp_job_env(j, "rcpt.cover", "no", err, sizeof(err)), 0);
	ck_assert_int_eq(offramp_job_cover(j, 1), 0);
	ck_assert_int_eq(offramp_job_env(j, "rcpt.cover", "perhaps", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "rcpt.cover"));
	offramp_job_free(j);
}
END_TEST

static const struct {
	const char *key, *value, *word;
} env_bad[] = {
	{ "rcpt.number", "+1", "before any rcpt" },
	{ "envid", "a+2", "xtext" },
	{ "ret", "ALL", "FULL" },
	{ "received", "soon", "time" },
};

START_TEST(test_job_env_rejects)
{
	struct offramp_job *j = offramp_job_new();
	char err[128] = "";

	ck_assert_int_eq(offramp_job_env(j, env_bad[_i].key, env_bad[_i].value, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, env_bad[_i].word) != NULL, "err: %s", err);
	ck_assert_int_eq(offramp_job_env(j, "rcpt", "FAX=1@x", err, sizeof(err)), 0);
	ck_assert_int_eq(offramp_job_env(j, "rcpt.notify", "NEVER,DELAY", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(offramp_job_env(j, "rcpt.orcpt", "noaddrtype", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(offramp_job_env(j, "x-future-key", "1", err, sizeof(err)), 0);
	offramp_job_free(j);
}
END_TEST

/* State records a job refuses whole. */
static const char *const bad_states[] = {
	"rcpt 0\nrcpt.phase failed\n",                    /* no version */
	"version 2\nrcpt 0\nrcpt.phase failed\n",         /* an earlier one */
	"0 v=2 phase=3 notify=2 att=1\n",                  /* the old line format */
	"version 3\nrcpt.phase failed\n",                 /* before any rcpt */
	"version 3\nrcpt 7\nrcpt.phase failed\n",         /* no such recipient */
	"version 3\nrcpt x\n",
	"version 3\nrcpt 0\nrcpt.phase gone\n",
	"version 3\nrcpt 0\nrcpt.phase failed\nrcpt.level 9\n",
	"version 3\nrcpt 0\nrcpt.attempts -1\n",
	"version 3\nrcpt 0\nrcpt.attempts 1x\n",
	"version 3\nrcpt 0\nrcpt.next 99999999999999999999999\n",
	"version 3\nrcpt 0\nrcpt.last-class none\n",
	"version 3\nrcpt 0\nrcpt.pages 1\n",
	"version 3\nrcpt 0\nrcpt.pages 1/x\n",
	"version 3\nrcpt 0\nrcpt.status 4.4\n",
	"version 3\nrcpt 0\nrcpt.diag a%0Ab\n",           /* a control byte */
	"version 3\nrcpt 0\nrcpt.csi a%00b\n",            /* a NUL */
	"version 3\nrcpt 0\nrcpt.csi 0123456789012345678901234\n",    /* too long */
	"version 3\nrcpt 0\nrcpt.reported final,\n",
	"version 3\nrcpt 0\nrcpt.reported sent\n",
	"version 3\nrcpt 0\nrcpt.future 1\n",             /* unknown in a recipient */
	"version 3\nrcpt 0\nrcpt.phase failed\nother 1\n",
};

START_TEST(test_job_state_roundtrip)
{
	struct offramp_job *j = load_job(), *k = load_job();
	struct offramp_retry_policy p;
	struct offramp_call_params base = { 1, 1, 14400 };
	struct offramp_call_result busy = { .outcome = OFFRAMP_CALL_BUSY, .diag = "SIP 486 Busy Here" };
	struct spool_rec *state, *bad;
	char err[128], *text;
	size_t i, len;

	offramp_retry_policy_default(&p);
	offramp_retry_dial(&j->rcpts[1].retry, T0);
	offramp_retry_result(&j->rcpts[1].retry, &p, &base, &busy, T0, T0 + 20);
	offramp_retry_dial(&j->rcpts[0].retry, T0 + 30);   /* in progress at the "crash" */
	state = offramp_job_state(j);
	ck_assert_ptr_nonnull(state);
	/* through its text, as the spool keeps it */
	text = (char *)spool_rec_data(state, &len);
	text = g_strndup(text, len);
	spool_rec_free(state);
	state = spool_rec_parse(text, len, err, sizeof(err));
	ck_assert_msg(state != NULL, "%s", err);
	ck_assert_msg(strstr(text, "\nrcpt 1\nrcpt.phase ready\n") != NULL, "%s", text);
	ck_assert_ptr_nonnull(strstr(text, "\nrcpt.busy 1\n"));
	ck_assert_int_eq(offramp_job_state_load(k, state, err, sizeof(err)), 0);
	for (i = 0; i < j->nrcpts; i++)
		ck_assert_mem_eq(&j->rcpts[i].retry, &k->rcpts[i].retry, sizeof(j->rcpts[i].retry));
	/* After the restart the call in progress is tried again. */
	ck_assert_int_eq(k->rcpts[0].retry.phase, OFFRAMP_RCPT_DIALING);
	ck_assert_int_eq(offramp_retry_recover(&k->rcpts[0].retry, &p, T0, T0 + 100), OFFRAMP_RETRY_AGAIN);
	ck_assert(offramp_retry_due(&k->rcpts[0].retry, T0 + 100 + 60));

	/* damaged records change nothing */
	for (i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
		bad = spool_rec_parse(bad_states[i], strlen(bad_states[i]), err, sizeof(err));
		ck_assert_msg(bad != NULL, "%s: %s", bad_states[i], err);
		ck_assert_msg(offramp_job_state_load(k, bad, err, sizeof(err)) == -1, "%s",
		    bad_states[i]);
		ck_assert_int_eq(k->rcpts[0].retry.phase, OFFRAMP_RCPT_READY);
		ck_assert_uint_eq(k->rcpts[1].retry.count[OFFRAMP_FAIL_BUSY], 1);
		spool_rec_free(bad);
	}
	spool_rec_free(state);
	g_free(text);
	offramp_job_free(j);
	offramp_job_free(k);
}
END_TEST

START_TEST(test_job_reports)
{
	struct offramp_job *j = load_job();
	struct offramp_retry_policy p;
	struct offramp_call_params base = { 1, 1, 14400 };
	struct offramp_call_result ok = { .outcome = OFFRAMP_CALL_OK, .pages_sent = 2,
	    .pages_total = 2, .duration = 50, .csi = "+1 919 555 1234" };
	struct offramp_call_result busy = { .outcome = OFFRAMP_CALL_BUSY, .diag = "SIP 486 Busy Here" };
	struct mime_error err;
	enum offramp_report_kind kind;
	size_t len;
	char *r;
	time_t now = T0;

	offramp_retry_policy_default(&p);
	offramp_retry_dial(&j->rcpts[0].retry, now);
	offramp_retry_dial(&j->rcpts[1].retry, now);
	offramp_retry_result(&j->rcpts[0].retry, &p, &base, &ok, T0, now + 50);
	offramp_retry_result(&j->rcpts[1].retry, &p, &base, &busy, T0, now + 10);

	/* Retries started for rcpt 1 (NOTIFY has DELAY): one DELAY DSN. */
	r = offramp_job_next_report(j, &report_cfg, &p, msgpath, now + 60, &kind, &len, &err);
	ck_assert_msg(r != NULL, "%s", err.text);
	ck_assert_int_eq(kind, OFFRAMP_REPORT_DSN_DELAY);
	ck_assert_ptr_nonnull(strstr(r, "Action: delayed"));
	ck_assert_ptr_nonnull(strstr(r, "Final-Recipient: rfc822;FAX=+19195550000@fax.example.com"));
	ck_assert_ptr_null(strstr(r, "Action: delivered"));
	ck_assert_ptr_nonnull(strstr(r, "Original-Envelope-Id: Q3+4711"));
	ck_assert_ptr_nonnull(strstr(r, "Will-Retry-Until:"));
	g_free(r);
	ck_assert_int_eq(j->rcpts[1].retry.delay_reported, 1);
	/* Nothing more until every recipient is final. */
	ck_assert_ptr_null(offramp_job_next_report(j, &report_cfg, &p, msgpath, now + 61,
	    &kind, &len, &err));
	ck_assert_int_eq(kind, OFFRAMP_REPORT_NONE);

	while (j->rcpts[1].retry.phase == OFFRAMP_RCPT_READY) {
		now = j->rcpts[1].retry.next_at;
		offramp_retry_dial(&j->rcpts[1].retry, now);
		offramp_retry_result(&j->rcpts[1].retry, &p, &base, &busy, T0, now + 10);
	}
	/* The runner's remark on the document reaches the DSN text. */
	j->note = g_strdup("2 characters were printed as boxes.");
	r = offramp_job_next_report(j, &report_cfg, &p, msgpath, now + 20, &kind, &len, &err);
	ck_assert_msg(r != NULL, "%s", err.text);
	ck_assert_int_eq(kind, OFFRAMP_REPORT_DSN_FINAL);
	ck_assert_ptr_nonnull(strstr(r, "Note: 2 characters were printed as boxes."));
	/* One DSN, both outcomes, no postmaster recipient, headers returned. */
	ck_assert_ptr_nonnull(strstr(r, "Action: delivered"));
	ck_assert_ptr_nonnull(strstr(r, "Action: failed"));
	ck_assert_ptr_nonnull(strstr(r, "Original-Recipient: rfc822;FAX=+19195551234@fax.example.com"));
	ck_assert_ptr_null(strstr(r, "postmaster@fax.example.com"));
	ck_assert_ptr_nonnull(strstr(r, "Content-Type: text/rfc822-headers"));
	ck_assert_ptr_nonnull(strstr(r, "Subject: Fax delivery report: 1 delivered, 1 not delivered"));
	g_free(r);
	ck_assert_ptr_null(offramp_job_next_report(j, &report_cfg, &p, msgpath, now + 30,
	    &kind, &len, &err));
	offramp_job_free(j);
}
END_TEST

START_TEST(test_job_reports_suppressed)
{
	struct offramp_job *j = offramp_job_new();
	struct offramp_retry_policy p;
	struct offramp_call_params base = { 1, 1, 14400 };
	struct offramp_call_result ok = { .outcome = OFFRAMP_CALL_OK, .pages_sent = 1 };
	struct offramp_report_cfg cfg = report_cfg;
	struct mime_error err;
	enum offramp_report_kind kind;
	size_t len;
	char e[64];

	offramp_retry_policy_default(&p);
	offramp_job_env(j, "from", "", e, sizeof(e));    /* null sender */
	offramp_job_env(j, "received", "1795442700", e, sizeof(e));
	offramp_job_env(j, "rcpt", "FAX=+1@x", e, sizeof(e));
	offramp_job_env(j, "rcpt.notify", "SUCCESS", e, sizeof(e));
	offramp_retry_dial(&j->rcpts[0].retry, T0);
	offramp_retry_result(&j->rcpts[0].retry, &p, &base, &ok, T0, T0);
	ck_assert_ptr_null(offramp_job_next_report(j, &cfg, &p, msgpath, T0, &kind, &len, &err));
	ck_assert_int_eq(j->rcpts[0].retry.final_reported, 1);

	/* disable-dsn silences a sender who asked. */
	j->rcpts[0].retry.final_reported = 0;
	g_free(j->from);
	j->from = g_strdup("alice@example.com");
	cfg.dsn.disable_dsn = 1;
	ck_assert_ptr_null(offramp_job_next_report(j, &cfg, &p, msgpath, T0, &kind, &len, &err));
	cfg.dsn.disable_dsn = 0;
	j->rcpts[0].retry.final_reported = 0;
	j->rcpts[0].retry.notify = SMTP_NOTIFY_NEVER;
	ck_assert_ptr_null(offramp_job_next_report(j, &cfg, &p, msgpath, T0, &kind, &len, &err));
	offramp_job_free(j);
}
END_TEST

START_TEST(test_job_mdn)
{
	struct offramp_job *j = load_job();
	struct offramp_retry_policy p;
	struct offramp_call_params base = { 1, 1, 14400 };
	struct offramp_call_result ok = { .outcome = OFFRAMP_CALL_OK, .pages_sent = 1 };
	struct mime_offramp_opts o = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *msg = mime_offramp_parse_file(msgpath, &o, &err);
	struct offramp_report_cfg cfg = report_cfg;
	char why[128];
	size_t len;
	char *m;

	ck_assert_ptr_nonnull(msg);
	offramp_retry_policy_default(&p);
	ck_assert_ptr_null(offramp_job_mdn(j, 0, msg, &cfg, T0, &len, why, sizeof(why)));
	ck_assert_str_eq(why, "the fax was not sent");
	offramp_retry_dial(&j->rcpts[0].retry, T0);
	offramp_retry_result(&j->rcpts[0].retry, &p, &base, &ok, T0, T0);
	cfg.generate_mdn = 0;
	ck_assert_ptr_null(offramp_job_mdn(j, 0, msg, &cfg, T0, &len, why, sizeof(why)));
	cfg.generate_mdn = 1;
	m = offramp_job_mdn(j, 0, msg, &cfg, T0, &len, why, sizeof(why));
	ck_assert_msg(m != NULL, "%s", why);
	ck_assert_ptr_nonnull(strstr(m, "Disposition: automatic-action/MDN-sent-automatically; dispatched"));
	ck_assert_ptr_nonnull(strstr(m, "Original-Message-ID: <fig@example.com>"));
	ck_assert_ptr_nonnull(strstr(m, "Original-Recipient: rfc822;FAX=+19195551234@fax.example.com"));
	ck_assert_ptr_nonnull(strstr(m, "To: alice@example.com"));
	g_free(m);
	ck_assert_ptr_null(offramp_job_mdn(j, 0, msg, &cfg, T0, &len, why, sizeof(why)));
	ck_assert_str_eq(why, "an MDN was sent already");
	ck_assert_ptr_null(offramp_job_mdn(j, 9, msg, &cfg, T0, &len, why, sizeof(why)));
	mime_offramp_free(msg);
	offramp_job_free(j);
}
END_TEST

Suite *
suite_offramp_job(void)
{
	Suite *s = suite_create("offramp_job");
	TCase *tc = tcase_create("job");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_job_env);
	tcase_add_test(tc, test_job_cover);
	tcase_add_loop_test(tc, test_job_env_rejects, 0, G_N_ELEMENTS(env_bad));
	tcase_add_test(tc, test_job_state_roundtrip);
	tcase_add_test(tc, test_job_reports);
	tcase_add_test(tc, test_job_reports_suppressed);
	tcase_add_test(tc, test_job_mdn);
	suite_add_tcase(s, tc);
	return s;
}
