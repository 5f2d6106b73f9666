/*
 * Shared code for the offramp runner suites (offramp_run,
 * offramp_prep): a real spool and event loop in a temporary directory,
 * jobs written the way the intake writes them, a fake line that records
 * the calls, call results fed back by hand, and the reports read back
 * from the mail queue. The document workers are real processes: this test
 * binary run again (tests/unit/main.c).
 */
#ifndef OFFRAMP_TEST_UTIL_H
#define OFFRAMP_TEST_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <glib.h>

#include "config/config.h"
#include "gateway/intake/intake.h"
#include "gateway/offramp/offramp.h"
#include "gateway/mailq/mailq.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "sip/sip.h"

#define OT_UNUSED __attribute__((unused))

static char ot_root[64];
static struct spool *sp;
static struct config *cfg;
static struct event_base *base;
static GPtrArray *dialed;   /* struct sip_dial_request copies */
static int line_down;       /* the fake line refuses calls */
static unsigned want_dials;

static OT_UNUSED int
fake_dial(void *arg, const struct sip_dial_request *req)
{
	(void)arg;
	if (line_down)
		return -1;
	g_ptr_array_add(dialed, g_memdup2(req, sizeof(*req)));
	return 0;
}

static OT_UNUSED void
ot_setup(const char *conf)
{
	char err[256];

	g_strlcpy(ot_root, "/tmp/t37runXXXXXX", sizeof(ot_root));
	ck_assert_ptr_nonnull(mkdtemp(ot_root));
	sp = spool_open(ot_root, err, sizeof(err));
	ck_assert_msg(sp != NULL, "%s", err);
	cfg = config_parse_buffer("t", conf, strlen(conf), NULL);
	ck_assert_ptr_nonnull(cfg);
	evthread_use_pthreads();
	base = event_base_new();
	dialed = g_ptr_array_new_with_free_func(g_free);
	line_down = 0;
	want_dials = 0;
}

static OT_UNUSED void
ot_teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", ot_root);

	g_ptr_array_free(dialed, TRUE);
	event_base_free(base);
	config_free(cfg);
	spool_free(sp);
	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* Writes an offramp job like the intake: msg + env. */
static OT_UNUSED void
intake_job(const char *msg, const char *const *numbers, const char *notify,
    char id[SPOOL_ID_LEN + 1])
{
	struct spool_job *job = spool_job_new(sp, SPOOL_Q_OFFRAMP, id);
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

/* Runs the loop until cond() holds (at most secs seconds). */
static OT_UNUSED int
loop_until_secs(int (*cond)(struct offramp *), struct offramp *o, int secs)
{
	int i;

	for (i = 0; i < secs * 100; i++) {
		if (cond(o))
			return 1;
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
	return cond(o);
}

static OT_UNUSED int
loop_until(int (*cond)(struct offramp *), struct offramp *o)
{
	return loop_until_secs(cond, o, 20);
}

/* Runs the loop for about ms milliseconds. */
static OT_UNUSED void
loop_for(int ms)
{
	int i;

	for (i = 0; i < ms / 10; i++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		usleep(10000);
	}
}

static OT_UNUSED int dials_reached(struct offramp *o) { (void)o; return dialed->len >= want_dials; }
static OT_UNUSED int no_jobs(struct offramp *o) { return offramp_jobs(o) == 0; }

static OT_UNUSED const struct sip_dial_request *
last_dial(void)
{
	return g_ptr_array_index(dialed, dialed->len - 1);
}

static OT_UNUSED void
finish(struct offramp *o, const struct sip_dial_request *req, enum sip_result res,
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
	offramp_call_finished(o, &ev);
}

static OT_UNUSED int
ot_collect_one(const char *id, void *arg)
{
	GString *s = arg;
	char *buf = NULL, *env = NULL;
	size_t len;

	ck_assert_int_eq(spool_read(sp, SPOOL_Q_MAIL, id, "message", &buf, &len), 0);
	ck_assert_int_eq(spool_read(sp, SPOOL_Q_MAIL, id, "envelope", &env, &len), 0);
	g_string_append_printf(s, "=== envelope\n%s=== message\n%s", env, buf);
	free(buf);
	free(env);
	return 0;
}

/* The reports in the mail queue, concatenated (caller frees); n of them. */
static OT_UNUSED char *
mail_queue(unsigned *n)
{
	GString *s = g_string_new(NULL);
	const char *p;

	spool_scan(sp, SPOOL_Q_MAIL, ot_collect_one, s);
	*n = 0;
	for (p = s->str; (p = strstr(p, "=== envelope")) != NULL; p++)
		(*n)++;
	return g_string_free(s, FALSE);
}

#endif
