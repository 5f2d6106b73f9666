/*
 * Unit tests for gateway/offramp/retry: the retry ladder driven through
 * scripted call outcomes (table), step-down, recovery after a crash,
 * NOTIFY rules, DSN selection, and the spool record codec.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "config/config.h"
#include "gateway/offramp/call.h"
#include "gateway/offramp/retry.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"

#define T0 1795442700

/* One scripted call: outcome letter and what must follow. */
struct step {
	char outcome;              /* O ok, B busy, N no answer, F failed, P permanent */
	enum offramp_retry_event ev;
	int delay;                 /* AGAIN: next_at - now */
	unsigned level;            /* step-down level after it */
};

struct ladder_case {
	const char *name;
	unsigned busy_att, busy_delay;   /* 0: default */
	unsigned fail_att;               /* 0: default */
	unsigned max_age;                /* 0: default */
	int permanent_error;
	struct offramp_call_params base;
	struct step steps[8];
	int nsteps;
	enum offramp_rcpt_phase final;
	const char *status;
	unsigned attempts, same;
	const char *reason;
};

#define P_FULL { .t38 = 1, .ecm = 1, .max_speed = 14400 }

static const struct ladder_case ladder_cases[] = {
	{ "busy five times (defaults)", .base = P_FULL,
	  .steps = { { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 }, { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 },
	             { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 }, { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 },
	             { 'B', OFFRAMP_RETRY_FAILED, 0, 0 } }, .nsteps = 5,
	  .final = OFFRAMP_RCPT_FAILED, .status = "4.4.1", .attempts = 5, .same = 5,
	  .reason = "the line was busy" },
	{ "busy then delivered", .base = P_FULL,
	  .steps = { { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 }, { 'O', OFFRAMP_RETRY_DELIVERED, 0, 0 } },
	  .nsteps = 2, .final = OFFRAMP_RCPT_DELIVERED, .status = "2.0.0", .attempts = 2,
	  .same = 1, .reason = "the line was busy" },
	{ "no answer three times", .base = P_FULL,
	  .steps = { { 'N', OFFRAMP_RETRY_AGAIN, 300, 0 }, { 'N', OFFRAMP_RETRY_AGAIN, 300, 0 },
	             { 'N', OFFRAMP_RETRY_FAILED, 0, 0 } }, .nsteps = 3,
	  .final = OFFRAMP_RCPT_FAILED, .status = "4.4.1", .attempts = 3, .same = 3,
	  .reason = "nobody answered" },
	{ "fax failures step down", .base = P_FULL, .fail_att = 5,
	  .steps = { { 'F', OFFRAMP_RETRY_AGAIN, 60, OFFRAMP_STEP_G711 },
	             { 'F', OFFRAMP_RETRY_AGAIN, 60, OFFRAMP_STEP_NO_ECM },
	             { 'F', OFFRAMP_RETRY_AGAIN, 60, OFFRAMP_STEP_9600 },
	             { 'F', OFFRAMP_RETRY_AGAIN, 60, OFFRAMP_STEP_9600 },
	             { 'F', OFFRAMP_RETRY_FAILED, 0, OFFRAMP_STEP_9600 } }, .nsteps = 5,
	  .final = OFFRAMP_RCPT_FAILED, .status = "4.4.2", .attempts = 5, .same = 5,
	  .reason = "the fax transfer failed or the call was dropped" },
	{ "step-down skips what is already off",
	  .base = { .t38 = 0, .ecm = 1, .max_speed = 9600 },
	  .steps = { { 'F', OFFRAMP_RETRY_AGAIN, 60, OFFRAMP_STEP_NO_ECM },
	             { 'O', OFFRAMP_RETRY_DELIVERED, 0, OFFRAMP_STEP_NO_ECM } }, .nsteps = 2,
	  .final = OFFRAMP_RCPT_DELIVERED, .status = "2.0.0", .attempts = 2, .same = 1 },
	{ "stepped down stays down for busy", .base = P_FULL,
	  .steps = { { 'F', OFFRAMP_RETRY_AGAIN, 60, OFFRAMP_STEP_G711 },
	             { 'B', OFFRAMP_RETRY_AGAIN, 120, OFFRAMP_STEP_G711 },
	             { 'O', OFFRAMP_RETRY_DELIVERED, 0, OFFRAMP_STEP_G711 } }, .nsteps = 3,
	  .final = OFFRAMP_RCPT_DELIVERED, .status = "2.0.0", .attempts = 3, .same = 1 },
	{ "unallocated number: no retry", .base = P_FULL,
	  .steps = { { 'P', OFFRAMP_RETRY_FAILED, 0, 0 } }, .nsteps = 1,
	  .final = OFFRAMP_RCPT_FAILED, .status = "5.1.1", .attempts = 1, .same = 1,
	  .reason = "the number does not exist" },
	{ "classes count apart", .base = P_FULL, .busy_att = 2,
	  .steps = { { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 }, { 'N', OFFRAMP_RETRY_AGAIN, 300, 0 },
	             { 'B', OFFRAMP_RETRY_FAILED, 0, 0 } }, .nsteps = 3,
	  .final = OFFRAMP_RCPT_FAILED, .status = "4.4.1", .attempts = 3, .same = 2,
	  .reason = "the line was busy" },
	{ "permanent-error makes exhaustion permanent", .base = P_FULL,
	  .busy_att = 2, .permanent_error = 1,
	  .steps = { { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 }, { 'B', OFFRAMP_RETRY_FAILED, 0, 0 } },
	  .nsteps = 2, .final = OFFRAMP_RCPT_FAILED, .status = "5.4.1", .attempts = 2, .same = 2 },
	{ "permanent-error on fax failure", .base = P_FULL, .fail_att = 1,
	  .permanent_error = 1,
	  .steps = { { 'F', OFFRAMP_RETRY_FAILED, 0, OFFRAMP_STEP_G711 } }, .nsteps = 1,
	  .final = OFFRAMP_RCPT_FAILED, .status = "5.4.2", .attempts = 1, .same = 1 },
	{ "one attempt configured", .base = P_FULL, .busy_att = 1,
	  .steps = { { 'B', OFFRAMP_RETRY_FAILED, 0, 0 } }, .nsteps = 1,
	  .final = OFFRAMP_RCPT_FAILED, .status = "4.4.1", .attempts = 1, .same = 1 },
	{ "the job expires before the next call", .base = P_FULL, .max_age = 200,
	  .steps = { { 'B', OFFRAMP_RETRY_AGAIN, 120, 0 }, { 'B', OFFRAMP_RETRY_FAILED, 0, 0 } },
	  .nsteps = 2, .final = OFFRAMP_RCPT_FAILED, .status = "4.4.1", .attempts = 2, .same = 2 },
};

static void
policy_for(const struct ladder_case *c, struct offramp_retry_policy *p)
{
	offramp_retry_policy_default(p);
	if (c->busy_att)
		p->attempts[OFFRAMP_FAIL_BUSY] = c->busy_att;
	if (c->busy_delay)
		p->delay[OFFRAMP_FAIL_BUSY] = c->busy_delay;
	if (c->fail_att)
		p->attempts[OFFRAMP_FAIL_FAILURE] = c->fail_att;
	if (c->max_age)
		p->max_age = c->max_age;
	p->permanent_error = c->permanent_error;
}

static struct offramp_call_result
result_for(char o)
{
	struct offramp_call_result res = { 0 };

	switch (o) {
	case 'O':
		res.outcome = OFFRAMP_CALL_OK;
		res.pages_sent = res.pages_total = 2;
		res.duration = 48;
		res.csi = "+1 919 555 1234";
		break;
	case 'B':
		res.outcome = OFFRAMP_CALL_BUSY;
		res.diag = "SIP 486 Busy Here";
		break;
	case 'N':
		res.outcome = OFFRAMP_CALL_NOANSWER;
		res.diag = "SIP 480 Temporarily Unavailable";
		break;
	case 'F':
		res.outcome = OFFRAMP_CALL_FAILED;
		res.diag = "T.30 T30_ERR_TX_PHBDEAD";
		res.pages_sent = 1;
		res.pages_total = 2;
		break;
	case 'P':
		res.outcome = OFFRAMP_CALL_PERMANENT;
		res.status = "5.1.1";
		res.diag = "SIP 404 Not Found";
		break;
	}
	return res;
}

START_TEST(test_ladder)
{
	const struct ladder_case *c = &ladder_cases[_i];
	struct offramp_retry_policy p;
	struct offramp_rcpt_retry r;
	struct mime_dsn_rcpt d;
	time_t now = T0;
	int i;

	policy_for(c, &p);
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, now);
	for (i = 0; i < c->nsteps; i++) {
		struct offramp_call_result res = result_for(c->steps[i].outcome);
		enum offramp_retry_event ev;

		ck_assert_msg(offramp_retry_due(&r, now), "%s: step %d not due", c->name, i);
		ck_assert_int_eq(offramp_retry_dial(&r, now), 0);
		ck_assert_int_eq(r.phase, OFFRAMP_RCPT_DIALING);
		ck_assert(!offramp_retry_due(&r, now));
		ev = offramp_retry_result(&r, &p, &c->base, &res, T0, now + 30);
		ck_assert_msg(ev == c->steps[i].ev, "%s: step %d event %d", c->name, i, ev);
		ck_assert_msg(r.level == c->steps[i].level, "%s: step %d level %u",
		    c->name, i, r.level);
		if (ev == OFFRAMP_RETRY_AGAIN) {
			ck_assert_int_eq(r.next_at - (now + 30), c->steps[i].delay);
			ck_assert(!offramp_retry_due(&r, r.next_at - 1));
			now = r.next_at;
		}
	}
	ck_assert_int_eq(r.phase, c->final);
	ck_assert_str_eq(r.status, c->status);
	ck_assert_uint_eq(r.attempts, c->attempts);
	if (c->reason != NULL)
		ck_assert_str_eq(offramp_retry_reason(&r), c->reason);
	memset(&d, 0, sizeof(d));
	offramp_retry_dsn_rcpt(&r, &p, T0, &d);
	ck_assert_int_eq(d.action, c->final == OFFRAMP_RCPT_DELIVERED ? MIME_DSN_DELIVERED :
	    MIME_DSN_FAILED);
	ck_assert_str_eq(d.status, c->status);
	ck_assert_uint_eq(d.attempts, c->attempts);
	ck_assert_uint_eq(d.attempts_same, c->same);
	ck_assert_int_eq(d.retry_until, 0);
	ck_assert_int_eq(d.last_attempt, now);
	if (c->final == OFFRAMP_RCPT_DELIVERED) {
		ck_assert_uint_eq(d.pages_sent, 2);
		ck_assert_str_eq(d.csi, "+1 919 555 1234");
	}
}
END_TEST

START_TEST(test_call_params)
{
	struct offramp_call_params base = P_FULL, out;
	struct offramp_rcpt_retry r;

	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	offramp_retry_call_params(&r, &base, &out);
	ck_assert(out.t38 == 1 && out.ecm == 1 && out.max_speed == 14400);
	r.level = OFFRAMP_STEP_G711;
	offramp_retry_call_params(&r, &base, &out);
	ck_assert(out.t38 == 0 && out.ecm == 1 && out.max_speed == 14400);
	r.level = OFFRAMP_STEP_NO_ECM;
	offramp_retry_call_params(&r, &base, &out);
	ck_assert(out.t38 == 0 && out.ecm == 0 && out.max_speed == 14400);
	r.level = OFFRAMP_STEP_9600;
	offramp_retry_call_params(&r, &base, &out);
	ck_assert(out.t38 == 0 && out.ecm == 0 && out.max_speed == 9600);
	base.max_speed = 4800;   /* never stepped up */
	offramp_retry_call_params(&r, &base, &out);
	ck_assert_uint_eq(out.max_speed, 4800);
}
END_TEST

START_TEST(test_wrong_state)
{
	struct offramp_retry_policy p;
	struct offramp_call_params base = P_FULL;
	struct offramp_call_result res = result_for('O');
	struct offramp_rcpt_retry r;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	/* A result with no call in progress (a stale or duplicate report). */
	ck_assert_int_eq(offramp_retry_result(&r, &p, &base, &res, T0, T0), OFFRAMP_RETRY_ERROR);
	ck_assert_int_eq(r.phase, OFFRAMP_RCPT_READY);
	ck_assert_int_eq(offramp_retry_dial(&r, T0), 0);
	ck_assert_int_eq(offramp_retry_dial(&r, T0), -1);
	ck_assert_int_eq(offramp_retry_result(&r, &p, &base, &res, T0, T0), OFFRAMP_RETRY_DELIVERED);
	ck_assert_int_eq(offramp_retry_result(&r, &p, &base, &res, T0, T0), OFFRAMP_RETRY_ERROR);
	ck_assert_int_eq(offramp_retry_dial(&r, T0), -1);

	/* A permanent result with a non-permanent status is still permanent. */
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	offramp_retry_dial(&r, T0);
	res.outcome = OFFRAMP_CALL_PERMANENT;
	res.status = "4.4.1";
	ck_assert_int_eq(offramp_retry_result(&r, &p, &base, &res, T0, T0), OFFRAMP_RETRY_FAILED);
	ck_assert_str_eq(r.status, "5.1.1");
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	offramp_retry_dial(&r, T0);
	res.status = "5.7.1";
	offramp_retry_result(&r, &p, &base, &res, T0, T0);
	ck_assert_str_eq(r.status, "5.7.1");
	ck_assert_ptr_null(offramp_retry_reason(&r));
}
END_TEST

START_TEST(test_recover)
{
	struct offramp_retry_policy p;
	struct offramp_rcpt_retry r;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	ck_assert_int_eq(offramp_retry_recover(&r, &p, T0, T0 + 5), OFFRAMP_RETRY_AGAIN);
	ck_assert_int_eq(r.phase, OFFRAMP_RCPT_READY);
	ck_assert_uint_eq(r.count[OFFRAMP_FAIL_FAILURE], 0);   /* nothing was in progress */

	offramp_retry_dial(&r, T0);
	ck_assert_int_eq(offramp_retry_recover(&r, &p, T0, T0 + 100), OFFRAMP_RETRY_AGAIN);
	ck_assert_int_eq(r.phase, OFFRAMP_RCPT_READY);
	ck_assert_uint_eq(r.count[OFFRAMP_FAIL_FAILURE], 1);
	ck_assert_uint_eq(r.level, OFFRAMP_STEP_NONE);          /* not the fax's fault */
	ck_assert_int_eq(r.next_at, T0 + 100 + 60);
	ck_assert_str_eq(r.diag, "gateway: restarted during the call");
	ck_assert_str_eq(offramp_retry_reason(&r), "the gateway restarted during the call");

	/* A crash loop ends: the lost calls count. */
	offramp_retry_dial(&r, r.next_at);
	offramp_retry_recover(&r, &p, T0, T0 + 300);
	offramp_retry_dial(&r, r.next_at);
	ck_assert_int_eq(offramp_retry_recover(&r, &p, T0, T0 + 500), OFFRAMP_RETRY_FAILED);
	ck_assert_int_eq(r.phase, OFFRAMP_RCPT_FAILED);
	ck_assert_str_eq(r.status, "4.4.2");
	ck_assert_uint_eq(r.attempts, 3);
}
END_TEST

/* The ladder's defaults are the config's: a config without `fax send
 * retry` lines gives the same policy as offramp_retry_policy_default(). */
START_TEST(test_policy_default_is_the_config_default)
{
	struct offramp_retry_policy p, q;
	struct config *cfg = config_parse_buffer("t", "hostname gw.test\n", 16, NULL);

	ck_assert_ptr_nonnull(cfg);
	offramp_retry_policy_default(&p);
	offramp_policy_from_config(cfg, &q);
	ck_assert_mem_eq(p.attempts, q.attempts, sizeof(p.attempts));
	ck_assert_mem_eq(p.delay, q.delay, sizeof(p.delay));
	ck_assert_uint_eq(p.attempts[OFFRAMP_FAIL_BUSY], 5);
	ck_assert_uint_eq(p.delay[OFFRAMP_FAIL_BUSY], 120);
	ck_assert_uint_eq(p.attempts[OFFRAMP_FAIL_NOANSWER], 3);
	ck_assert_uint_eq(p.delay[OFFRAMP_FAIL_NOANSWER], 300);
	ck_assert_uint_eq(p.attempts[OFFRAMP_FAIL_FAILURE], 3);
	ck_assert_uint_eq(p.delay[OFFRAMP_FAIL_FAILURE], 60);
	config_free(cfg);
}
END_TEST

/* Two recipients of one message through to their DSNs. */
START_TEST(test_job_notifications)
{
	struct offramp_retry_policy p;
	struct offramp_dsn_policy dp = { 0 };
	struct offramp_call_params base = P_FULL;
	struct offramp_rcpt_retry r[3];
	struct offramp_call_result ok = result_for('O'), busy = result_for('B');
	size_t idx[3];

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r[0], SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE, T0);
	offramp_retry_init(&r[1], SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY, T0);
	offramp_retry_init(&r[2], SMTP_NOTIFY_NEVER, T0);
	ck_assert_int_eq(offramp_retry_next_wakeup(r, 3), T0);

	offramp_retry_dial(&r[0], T0);
	offramp_retry_dial(&r[1], T0);
	offramp_retry_dial(&r[2], T0);
	ck_assert_int_eq(offramp_retry_next_wakeup(r, 3), 0);
	offramp_retry_result(&r[0], &p, &base, &ok, T0, T0 + 60);
	offramp_retry_result(&r[1], &p, &base, &busy, T0, T0 + 10);
	offramp_retry_result(&r[2], &p, &base, &ok, T0, T0 + 60);
	ck_assert_int_eq(offramp_retry_next_wakeup(r, 3), T0 + 10 + 120);

	/* Not all final: no final DSN yet; a DELAY DSN for r[1] only. */
	ck_assert(!offramp_retry_all_final(r, 3));
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 3, &dp, "alice@example.com", idx), 0);
	ck_assert_uint_eq(offramp_retry_delay_dsn(r, 3, &dp, "alice@example.com", idx), 1);
	ck_assert_uint_eq(idx[0], 1);
	ck_assert_uint_eq(offramp_retry_delay_dsn(r, 3, &dp, "", idx), 0);
	r[1].delay_reported = 1;
	ck_assert_uint_eq(offramp_retry_delay_dsn(r, 3, &dp, "alice@example.com", idx), 0);
	{
		struct mime_dsn_rcpt d = { 0 };

		offramp_retry_dsn_rcpt(&r[1], &p, T0, &d);
		ck_assert_int_eq(d.action, MIME_DSN_DELAYED);
		ck_assert_str_eq(d.status, "4.4.1");
		ck_assert(d.retry_until > r[1].next_at);
		ck_assert(d.retry_until <= T0 + OFFRAMP_RETRY_MAX_AGE);
	}

	/* r[1] fails for good: one DSN with both outcomes, not r[2] (NEVER). */
	while (r[1].phase == OFFRAMP_RCPT_READY) {
		offramp_retry_dial(&r[1], r[1].next_at);
		offramp_retry_result(&r[1], &p, &base, &busy, T0, r[1].next_at + 10);
	}
	ck_assert_int_eq(r[1].phase, OFFRAMP_RCPT_FAILED);
	ck_assert(offramp_retry_all_final(r, 3));
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 3, &dp, "alice@example.com", idx), 2);
	ck_assert_uint_eq(idx[0], 0);
	ck_assert_uint_eq(idx[1], 1);
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 3, &dp, "", idx), 0);
	dp.disable_dsn = 1;
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 3, &dp, "alice@example.com", idx), 0);
	dp.disable_dsn = 0;
	r[0].final_reported = r[1].final_reported = 1;
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 3, &dp, "alice@example.com", idx), 0);

	/* Default NOTIFY: a delivery is not reported, a failure is. */
	offramp_retry_init(&r[0], OFFRAMP_NOTIFY_DEFAULT, T0);
	offramp_retry_dial(&r[0], T0);
	offramp_retry_result(&r[0], &p, &base, &ok, T0, T0);
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 1, &dp, "alice@example.com", idx), 0);
	offramp_retry_init(&r[0], OFFRAMP_NOTIFY_DEFAULT, T0);
	offramp_retry_fail_now(&r[0], "5.6.1", "the attachment \"a.doc\" (application/msword) "
	    "cannot be faxed");
	ck_assert_uint_eq(offramp_retry_final_dsn(r, 1, &dp, "alice@example.com", idx), 1);
}
END_TEST

/* The ladder's view of a recipient makes a truthful DSN. */
START_TEST(test_dsn_from_ladder)
{
	struct offramp_retry_policy p;
	struct offramp_call_params base = P_FULL;
	struct offramp_call_result busy = result_for('B');
	struct offramp_rcpt_retry r;
	struct mime_dsn_rcpt d = { .final_rcpt = "FAX=+19195551234@fax.example.com",
	    .number = "+19195551234" };
	struct mime_dsn dsn = { .reporting_mta = "gw1.example.com",
	    .from_addr = "postmaster@gw1.example.com", .to = "alice@example.com",
	    .arrival = T0, .now = T0 + 900, .rcpts = &d, .nrcpts = 1 };
	struct mime_error err;
	char *buf;
	size_t len;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	while (r.phase == OFFRAMP_RCPT_READY) {
		offramp_retry_dial(&r, r.next_at);
		offramp_retry_result(&r, &p, &base, &busy, T0, r.next_at + 5);
	}
	offramp_retry_dsn_rcpt(&r, &p, T0, &d);
	buf = mime_dsn_build(&dsn, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	g_strdelimit(buf, "\n", ' ');   /* the text is wrapped */
	ck_assert_ptr_nonnull(strstr(buf, "the line was busy on all 5 attempts"));
	ck_assert_ptr_nonnull(strstr(buf, "(last 2026-11-23 14:13 UTC)"));
	ck_assert_ptr_nonnull(strstr(buf, "Diagnostic-Code: X-FAX; SIP 486 Busy Here"));
	ck_assert_ptr_nonnull(strstr(buf, "Status: 4.4.1"));
	g_free(buf);

	/* A content failure: words in the text, no fax diagnostic. */
	offramp_retry_init(&r, OFFRAMP_NOTIFY_DEFAULT, T0);
	offramp_retry_fail_now(&r, "5.6.1", "the attachment \"winmail.dat\" "
	    "(application/ms-tnef) cannot be faxed");
	memset(&d, 0, sizeof(d));
	d.final_rcpt = "FAX=+19195551234@fax.example.com";
	offramp_retry_dsn_rcpt(&r, &p, T0, &d);
	ck_assert_int_eq(d.action, MIME_DSN_FAILED);
	ck_assert_str_eq(d.status, "5.6.1");
	ck_assert_ptr_nonnull(strstr(d.reason, "winmail.dat"));
	ck_assert_ptr_null(d.diagnostic);
	ck_assert_uint_eq(d.attempts, 0);
}
END_TEST

/*
 * r through the spool: its keys into a record, the record into text and
 * back, the keys into a fresh recipient. Returns what load_key said of
 * the first key it refused (0 when none).
 */
static int
through_spool(const struct offramp_rcpt_retry *r, struct offramp_rcpt_retry *back)
{
	struct spool_rec *rec = spool_rec_new(), *again;
	char err[128];
	const char *v;
	size_t i, len;
	int rc = 0;

	ck_assert_int_eq(offramp_retry_store(r, rec), 0);
	v = spool_rec_data(rec, &len);
	again = spool_rec_parse(v, len, err, sizeof(err));
	ck_assert_msg(again != NULL, "%s", err);
	offramp_retry_init(back, r->notify, 0);
	for (i = 0; i < spool_rec_count(again) && rc == 0; i++) {
		v = spool_rec_value(again, i, &len);
		rc = offramp_retry_load_key(back, spool_rec_key(again, i), v, len);
	}
	spool_rec_free(rec);
	spool_rec_free(again);
	return rc;
}

START_TEST(test_codec_roundtrip)
{
	struct offramp_retry_policy p;
	struct offramp_call_params base = P_FULL;
	struct offramp_call_result res = result_for('F');
	struct offramp_rcpt_retry r, back;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY, T0);
	ck_assert_int_eq(through_spool(&r, &back), 0);
	ck_assert_mem_eq(&r, &back, sizeof(r));

	offramp_retry_dial(&r, T0);
	res.csi = "ACME = Fax+1 \"x\" 100%";
	res.diag = "T.30 error: no MCF; caf\xc3\xa9";
	offramp_retry_result(&r, &p, &base, &res, T0, T0 + 40);
	r.delay_reported = 1;
	r.mdn_sent = 1;
	ck_assert_int_eq(through_spool(&r, &back), 0);
	ck_assert_mem_eq(&r, &back, sizeof(r));
	ck_assert_str_eq(back.csi, "ACME = Fax+1 \"x\" 100%");
	ck_assert_uint_eq(back.level, OFFRAMP_STEP_G711);
	ck_assert_int_eq(back.phase, OFFRAMP_RCPT_READY);
	ck_assert_int_eq(back.delay_reported, 1);
	ck_assert_int_eq(back.final_reported, 0);

	/* A DIALING record survives for recovery. */
	offramp_retry_dial(&r, r.next_at);
	ck_assert_int_eq(through_spool(&r, &back), 0);
	ck_assert_int_eq(back.phase, OFFRAMP_RCPT_DIALING);
	ck_assert_mem_eq(&r, &back, sizeof(r));
}
END_TEST

/* One key at a time, as the record holds it: each is refused whole. */
static const struct {
	const char *key, *value;
	size_t len;             /* 0: strlen(value) */
} bad_keys[] = {
	{ "rcpt.phase", "ringing", 0 },
	{ "rcpt.phase", "", 0 },
	{ "rcpt.attempts", "x", 0 },
	{ "rcpt.attempts", "-1", 0 },
	{ "rcpt.attempts", "100001", 0 },
	{ "rcpt.attempts", " 1", 0 },
	{ "rcpt.level", "4", 0 },
	{ "rcpt.last-class", "-", 0 },
	{ "rcpt.permanent", "2", 0 },
	{ "rcpt.next", "18446744073709551616", 0 },
	{ "rcpt.pages", "00", 0 },
	{ "rcpt.pages", "1/2/3", 0 },
	{ "rcpt.pages", "1/", 0 },
	{ "rcpt.status", "4.4", 0 },
	{ "rcpt.status", "3.0.0", 0 },
	{ "rcpt.diag", "a\nb", 0 },
	{ "rcpt.diag", "a\0b", 3 },
	{ "rcpt.csi", "0123456789012345678901234", 0 },
	{ "rcpt.reported", ",", 0 },
	{ "rcpt.reported", "delay,,final", 0 },
	{ "rcpt.reported", "DELAY", 0 },
};

START_TEST(test_codec_rejects)
{
	struct offramp_rcpt_retry r;
	const char *v = bad_keys[_i].value;

	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(offramp_retry_load_key(&r, bad_keys[_i].key, v,
	    bad_keys[_i].len ? bad_keys[_i].len : strlen(v)), -1);
	/* A refused key leaves the target alone. */
	ck_assert_uint_eq(r.attempts, 0x5a5a5a5a);
	/* keys of others are not ours */
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt", "0", 1), 1);
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.future", "1", 1), 1);
}
END_TEST

START_TEST(test_codec_accepts_minimal)
{
	struct offramp_rcpt_retry r;

	offramp_retry_init(&r, SMTP_NOTIFY_FAILURE, T0);
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.phase", "failed", 6), 0);
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.status", "5.6.1", 5), 0);
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.diag", "bad attachment", 14), 0);
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.reported", "final", 5), 0);
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.reported", "", 0), 0);
	ck_assert_int_eq(r.final_reported, 0);      /* the last word counts */
	ck_assert_int_eq(offramp_retry_load_key(&r, "rcpt.reported", "mdn,final", 9), 0);
	ck_assert_int_eq(r.phase, OFFRAMP_RCPT_FAILED);
	ck_assert_str_eq(r.status, "5.6.1");
	ck_assert_str_eq(r.diag, "bad attachment");
	ck_assert_int_eq(r.final_reported, 1);
	ck_assert_int_eq(r.mdn_sent, 1);
	ck_assert_int_eq(r.delay_reported, 0);
}
END_TEST

/* Every field at its longest, bytes the record must escape: it all comes
 * back, and a job of the most recipients a message may have fits a
 * record. */
START_TEST(test_codec_longest)
{
	struct offramp_rcpt_retry r, back;
	struct spool_rec *rec = spool_rec_new();
	int i;

	offramp_retry_init(&r, SMTP_NOTIFY_FAILURE, T0);
	memset(r.diag, '%', sizeof(r.diag) - 1);
	memset(r.csi, '%', sizeof(r.csi) - 1);
	memset(r.why, '%', sizeof(r.why) - 1);
	snprintf(r.status, sizeof(r.status), "4.4.2");
	r.next_at = (time_t)1 << 40;
	r.last_attempt = (time_t)1 << 40;
	r.attempts = r.count[0] = r.count[1] = r.count[2] = 100000;
	r.pages_sent = r.pages_total = 100000;
	r.duration = 1u << 31;
	r.why_same = 100000;
	r.last_class = OFFRAMP_FAIL_FAILURE;
	r.delay_reported = r.final_reported = r.mdn_sent = 1;
	ck_assert_int_eq(through_spool(&r, &back), 0);
	ck_assert_mem_eq(&r, &back, sizeof(r));
	for (i = 0; i < CONFIG_MAX_RECIPIENTS; i++) {
		ck_assert_int_eq(spool_rec_add_u64(rec, "rcpt", (uint64_t)i), 0);
		ck_assert_int_eq(offramp_retry_store(&r, rec), 0);
	}
	spool_rec_free(rec);
}
END_TEST

/* The words of the last call's cause reach the DSN, and survive the
 * spool. */
START_TEST(test_codec_why)
{
	struct offramp_retry_policy p;
	struct offramp_call_params base = P_FULL;
	struct offramp_call_result res = result_for('F');
	struct offramp_rcpt_retry r, back;
	struct mime_dsn_rcpt d;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, SMTP_NOTIFY_FAILURE, T0);
	offramp_retry_dial(&r, T0);
	res.diag = "T.30 phase D code 52: No response after sending a page";
	res.words = "the receiving fax machine did not confirm a page";
	offramp_retry_result(&r, &p, &base, &res, T0, T0 + 40);
	ck_assert_str_eq(offramp_retry_reason(&r), res.words);
	ck_assert_int_eq(through_spool(&r, &back), 0);
	ck_assert_str_eq(back.why, res.words);
	memset(&d, 0, sizeof(d));
	offramp_retry_dsn_rcpt(&back, &p, T0, &d);
	ck_assert_str_eq(d.reason, res.words);
	ck_assert_str_eq(d.diagnostic, res.diag);
	/* no words kept: the class's */
	back.why[0] = '\0';
	ck_assert_str_eq(offramp_retry_reason(&back),
	    "the fax transfer failed or the call was dropped");
}
END_TEST

/* "on all 3 attempts" only when all three ended for the same reason. */
START_TEST(test_why_same)
{
	struct offramp_retry_policy p;
	struct offramp_call_params base = P_FULL;
	struct offramp_call_result res = result_for('F');
	struct offramp_rcpt_retry r;
	struct mime_dsn_rcpt d;
	static const char *const words[2][3] = {
		{ "the line went dead", "the line went dead", "the line went dead" },
		{ "the line went dead", "a T.30 failure", "the line went dead" },
	};
	int i;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, SMTP_NOTIFY_FAILURE, T0);
	for (i = 0; i < 3; i++) {
		offramp_retry_dial(&r, r.next_at);
		res.words = words[_i][i];
		offramp_retry_result(&r, &p, &base, &res, T0, r.next_at + 40);
	}
	ck_assert_int_eq(r.phase, OFFRAMP_RCPT_FAILED);
	memset(&d, 0, sizeof(d));
	offramp_retry_dsn_rcpt(&r, &p, T0, &d);
	ck_assert_uint_eq(d.attempts, 3);
	ck_assert_uint_eq(d.attempts_same, _i == 0 ? 3 : 1);
}
END_TEST

/* A failure that says nothing about the fax media (no SIP answer, the
 * network) is retried without stepping down. */
START_TEST(test_no_step)
{
	struct offramp_retry_policy p;
	struct offramp_call_params base = P_FULL;
	struct offramp_call_result res = result_for('F');
	struct offramp_rcpt_retry r;

	offramp_retry_policy_default(&p);
	offramp_retry_init(&r, SMTP_NOTIFY_FAILURE, T0);
	offramp_retry_dial(&r, T0);
	res.no_step = 1;
	ck_assert_int_eq(offramp_retry_result(&r, &p, &base, &res, T0, T0 + 40), OFFRAMP_RETRY_AGAIN);
	ck_assert_uint_eq(r.level, OFFRAMP_STEP_NONE);
	offramp_retry_dial(&r, r.next_at);
	res.no_step = 0;
	ck_assert_int_eq(offramp_retry_result(&r, &p, &base, &res, T0, T0 + 200), OFFRAMP_RETRY_AGAIN);
	ck_assert_uint_eq(r.level, OFFRAMP_STEP_G711);
}
END_TEST

Suite *
suite_offramp_retry(void)
{
	Suite *s = suite_create("offramp_retry");
	TCase *tc = tcase_create("ladder");
	TCase *tj = tcase_create("job");
	TCase *tk = tcase_create("codec");

	tcase_add_loop_test(tc, test_ladder, 0, G_N_ELEMENTS(ladder_cases));
	tcase_add_test(tc, test_call_params);
	tcase_add_test(tc, test_wrong_state);
	tcase_add_test(tc, test_recover);
	tcase_add_test(tc, test_policy_default_is_the_config_default);
	suite_add_tcase(s, tc);
	tcase_add_test(tj, test_job_notifications);
	tcase_add_test(tj, test_dsn_from_ladder);
	suite_add_tcase(s, tj);
	tcase_add_test(tk, test_codec_roundtrip);
	tcase_add_loop_test(tk, test_codec_rejects, 0, G_N_ELEMENTS(bad_keys));
	tcase_add_test(tk, test_codec_accepts_minimal);
	tcase_add_test(tk, test_codec_longest);
	tcase_add_test(tk, test_codec_why);
	tcase_add_test(tk, test_no_step);
	tcase_add_loop_test(tk, test_why_same, 0, 2);
	suite_add_tcase(s, tk);
	return s;
}
