/*
 * Session tests for gateway/offramp_run: a real spool and event loop, jobs
 * written the way the intake writes them, a fake line that records the
 * calls, and call results fed back by hand. Checks the calls placed, the
 * state file, crash recovery, the reports queued and the job's removal.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>

#include "config/config.h"
#include "gateway/intake.h"
#include "gateway/offramp.h"
#include "gateway/queue.h"
#include "gateway/spool.h"
#include "mime/mime.h"
#include "sip/sip.h"

static const char conf_text[] =
    "hostname gw1.example.com\n"
    "mta send postmaster fax-admin@example.com\n"
    "fax send retry busy 3 10\n"
    "fax send left-header $d$\n"
    "dial-peer voice 301 voip\n"
    " destination-pattern 555....\n"
    " session target sip:$d$@127.0.0.1:5070\n";

static char root[64];
static struct spool *sp;
static struct config *cfg;
static struct event_base *base;
static GPtrArray *dialed;   /* struct sip_dial_request copies */

static int line_down;   /* the fake line refuses calls */

static int
fake_dial(void *arg, const struct sip_dial_request *req)
{
	(void)arg;
	if (line_down)
		return -1;
	g_ptr_array_add(dialed, g_memdup2(req, sizeof(*req)));
	return 0;
}

static void
setup(void)
{
	char err[256];

	g_strlcpy(root, "/tmp/t37runXXXXXX", sizeof(root));
	ck_assert_ptr_nonnull(mkdtemp(root));
	sp = spool_open(root, err, sizeof(err));
	ck_assert_msg(sp != NULL, "%s", err);
	cfg = config_parse_buffer("t", conf_text, strlen(conf_text), NULL);
	ck_assert_ptr_nonnull(cfg);
	evthread_use_pthreads();
	base = event_base_new();
	dialed = g_ptr_array_new_with_free_func(g_free);
	line_down = 0;
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", root);

	g_ptr_array_free(dialed, TRUE);
	event_base_free(base);
	config_free(cfg);
	spool_free(sp);
	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* Writes an offramp job like the intake: msg + env. */
static void
intake_job(const char *msg, const char *const *numbers, const char *notify,
    char id[SPOOL_ID_LEN + 1])
{
	struct spool_job *job = spool_job_new(sp, GW_INTAKE_QUEUE, id);
	struct spool_rec *env = spool_rec_new();
	const char *data;
	size_t len, i;

	ck_assert_ptr_nonnull(job);
	spool_rec_add(env, "version", "1");
	spool_rec_add(env, "from", "alice@example.com");
	spool_rec_add_u64(env, "received", (uint64_t)time(NULL));
	for (i = 0; numbers[i] != NULL; i++) {
		char *addr = g_strdup_printf("FAX=%s@fax.example.com", numbers[i]);

		spool_rec_add(env, "rcpt", addr);
		spool_rec_add(env, "rcpt.kind", "fax");
		spool_rec_add(env, "rcpt.number", numbers[i]);
		spool_rec_add(env, "rcpt.peer", "301");
		if (notify != NULL)
			spool_rec_add(env, "rcpt.notify", notify);
		g_free(addr);
	}
	data = spool_rec_data(env, &len);
	ck_assert_int_eq(spool_job_write(job, "msg", msg, strlen(msg)), 0);
	ck_assert_int_eq(spool_job_write(job, "env", data, len), 0);
	ck_assert_int_eq(spool_job_commit(job), 0);
	spool_rec_free(env);
}

/* Runs the loop until cond() holds (at most 20 s). */
static int
loop_until(int (*cond)(struct gw_offramp *), struct gw_offramp *o)
{
	int i;

	for (i = 0; i < 2000; i++) {
		if (cond(o))
			return 1;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	return cond(o);
}

static unsigned want_dials;
static int dials_reached(struct gw_offramp *o) { (void)o; return dialed->len >= want_dials; }
static int no_jobs(struct gw_offramp *o) { return gw_offramp_jobs(o) == 0; }

static const struct sip_dial_request *
last_dial(void)
{
	return g_ptr_array_index(dialed, dialed->len - 1);
}

static void
finish(struct gw_offramp *o, const struct sip_dial_request *req, enum sip_result res,
    int sip_status, unsigned pages, unsigned total)
{
	struct sip_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SIP_EV_CALL_FINISHED;
	ev.dir = SIP_DIR_OFFRAMP;
	ev.job_id = req->job_id;
	ev.result = res;
	ev.sip_status = sip_status;
	ev.pages = pages;
	ev.pages_total = total;
	ev.secs = 30;
	g_strlcpy(ev.remote_ident, "+1 555 1234", sizeof(ev.remote_ident));
	g_strlcpy(ev.reason, res == SIP_RESULT_BUSY ? "Busy Here" : "Not Found",
	    sizeof(ev.reason));
	gw_offramp_call_finished(o, &ev);
}

/* The reports in the mail queue, concatenated (caller frees). */
static int collect_one(const char *id, void *arg)
{
	GString *s = arg;
	char *buf = NULL, *env = NULL;
	size_t len;

	ck_assert_int_eq(spool_read(sp, QUEUE_NAME, id, "message", &buf, &len), 0);
	ck_assert_int_eq(spool_read(sp, QUEUE_NAME, id, "envelope", &env, &len), 0);
	g_string_append_printf(s, "=== envelope\n%s=== message\n%s", env, buf);
	free(buf);
	free(env);
	return 0;
}

static char *
mail_queue(unsigned *n)
{
	GString *s = g_string_new(NULL);
	const char *p;

	spool_scan(sp, QUEUE_NAME, collect_one, s);
	*n = 0;
	for (p = s->str; (p = strstr(p, "=== envelope")) != NULL; p++)
		(*n)++;
	return g_string_free(s, FALSE);
}

static const char text_msg[] =
    "From: Alice <alice@example.com>\nSubject: Figures\n"
    "Message-ID: <fig@example.com>\n\nHello fax.\n";

START_TEST(test_run_delivered)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128], state[4096];
	struct gw_offramp *o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *s = NULL, *q;
	size_t len;
	unsigned n;

	ck_assert_ptr_nonnull(o);
	intake_job(text_msg, nums, "SUCCESS,FAILURE", id);
	ck_assert_int_eq(gw_offramp_start(o, err, sizeof(err)), 0);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_str_eq(last_dial()->target, "sip:5551234@127.0.0.1:5070");
	ck_assert(access(last_dial()->tx_path, R_OK) == 0);
	ck_assert(last_dial()->fax.ecm);
	ck_assert_uint_eq(gw_offramp_calls(o), 1);
	/* DIALING is on disk before the call. */
	ck_assert_int_eq(spool_read(sp, GW_INTAKE_QUEUE, id, "state", &s, &len), 0);
	ck_assert_ptr_nonnull(strstr(s, "phase=1"));
	free(s);
	(void)state;

	finish(o, last_dial(), SIP_RESULT_OK, 200, 1, 1);
	ck_assert(loop_until(no_jobs, o));
	ck_assert_uint_eq(gw_offramp_calls(o), 0);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "from \nrcpt alice@example.com\n"));
	ck_assert_ptr_nonnull(strstr(q, "Action: delivered"));
	ck_assert_ptr_nonnull(strstr(q, "X-Fax-CSI: +1 555 1234"));
	/* The offramp job is gone from the spool. */
	ck_assert_int_ne(spool_read(sp, GW_INTAKE_QUEUE, id, "env", &s, &len), 0);
	g_free(q);
	gw_offramp_free(o);
}
END_TEST

START_TEST(test_run_unsupported_no_call)
{
	static const char msg[] =
	    "From: alice@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: application/msword; name=letter.doc\n\nxx\n";
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct gw_offramp *o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *q;
	unsigned n;

	intake_job(msg, nums, NULL, id);
	gw_offramp_add(o, id);
	ck_assert(loop_until(no_jobs, o));
	ck_assert_uint_eq(dialed->len, 0);
	q = mail_queue(&n);
	ck_assert_uint_eq(n, 1);
	ck_assert_ptr_nonnull(strstr(q, "Status: 5.6.1"));
	ck_assert_ptr_nonnull(strstr(q, "application/msword"));
	g_free(q);
	gw_offramp_free(o);
}
END_TEST

START_TEST(test_run_two_numbers_one_dsn)
{
	const char *nums[] = { "5551234", "5559999", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct gw_offramp *o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	const struct sip_dial_request *a, *b;
	char *q;
	unsigned n;

	intake_job(text_msg, nums, "SUCCESS,FAILURE", id);
	gw_offramp_add(o, id);
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
	gw_offramp_free(o);
}
END_TEST

START_TEST(test_run_busy_then_crash)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct gw_offramp *o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	struct gw_offramp_job *j = gw_offramp_job_new();
	char *s = NULL;
	size_t len;

	intake_job(text_msg, nums, NULL, id);
	gw_offramp_add(o, id);
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	finish(o, last_dial(), SIP_RESULT_BUSY, 486, 0, 1);
	ck_assert_uint_eq(gw_offramp_jobs(o), 1);
	ck_assert_int_eq(spool_read(sp, GW_INTAKE_QUEUE, id, "state", &s, &len), 0);
	ck_assert_ptr_nonnull(strstr(s, "phase=0"));
	ck_assert_ptr_nonnull(strstr(s, "busy=1"));
	free(s);
	/* Pretend a call is under way and the process dies: the state says
	 * DIALING; a new runner places the call again. */
	ck_assert_int_eq(gw_offramp_job_env(j, "rcpt", "x", err, sizeof(err)), 0);
	gw_retry_dial(&j->rcpts[0].retry, time(NULL));
	s = gw_offramp_job_state(j);
	ck_assert_int_eq(spool_replace(sp, GW_INTAKE_QUEUE, id, "state", s, strlen(s)), 0);
	g_free(s);
	gw_offramp_job_free(j);
	gw_offramp_free(o);

	o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err, sizeof(err));
	ck_assert_int_eq(gw_offramp_start(o, err, sizeof(err)), 0);
	ck_assert_uint_eq(gw_offramp_jobs(o), 1);
	ck_assert_int_eq(spool_read(sp, GW_INTAKE_QUEUE, id, "state", &s, &len), 0);
	ck_assert_ptr_nonnull(strstr(s, "phase=0"));     /* READY again */
	ck_assert_ptr_nonnull(strstr(s, "fail=1"));      /* the lost call counted */
	free(s);
	gw_offramp_free(o);
}
END_TEST

/* A line that is not up yet costs no attempt: the call waits. */
START_TEST(test_run_line_down)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct gw_offramp *o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *s = NULL;
	size_t len;
	int i;

	line_down = 1;
	intake_job(text_msg, nums, NULL, id);
	gw_offramp_add(o, id);
	for (i = 0; i < 300; i++) {   /* up to 3 s: render, then refused calls */
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	ck_assert_uint_eq(gw_offramp_jobs(o), 1);
	ck_assert_uint_eq(gw_offramp_calls(o), 0);
	ck_assert_int_eq(spool_read(sp, GW_INTAKE_QUEUE, id, "state", &s, &len), 0);
	ck_assert_msg(strstr(s, "att=0 ") != NULL, "state: %s", s);
	ck_assert_ptr_nonnull(strstr(s, "phase=0"));
	free(s);
	/* The line comes up: the call goes out at the next try. */
	line_down = 0;
	want_dials = 1;
	ck_assert(loop_until(dials_reached, o));
	ck_assert_str_eq(last_dial()->number, "5551234");
	gw_offramp_free(o);
}
END_TEST

START_TEST(test_run_damaged_envelope)
{
	const char *nums[] = { "5551234", NULL };
	char id[SPOOL_ID_LEN + 1], err[128];
	struct gw_offramp *o = gw_offramp_new(base, sp, NULL, cfg, fake_dial, NULL, err,
	    sizeof(err));
	char *s = NULL;
	size_t len;

	intake_job(text_msg, nums, "SOMETIMES", id);   /* not a NOTIFY value */
	ck_assert_int_eq(gw_offramp_start(o, err, sizeof(err)), 0);
	ck_assert_uint_eq(gw_offramp_jobs(o), 0);
	ck_assert_uint_eq(dialed->len, 0);
	/* Set aside, not lost. */
	ck_assert_int_eq(spool_read(sp, QUEUE_FAILED_NAME, id, "msg", &s, &len), 0);
	free(s);
	ck_assert_int_ne(spool_read(sp, GW_INTAKE_QUEUE, id, "msg", &s, &len), 0);
	gw_offramp_free(o);
}
END_TEST

Suite *
suite_gw_offramp_run(void)
{
	Suite *s = suite_create("gw_offramp_run");
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
