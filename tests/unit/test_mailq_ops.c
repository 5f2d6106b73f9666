/*
 * gateway/mailq's operator operations on a real event loop and spool: the
 * queue delivers by SMTP to a loopback port that refuses (every attempt
 * is deferred, quickly) or to one that accepts and never speaks (the
 * delivery stays in flight), or into a Maildir. List/show, retry (one and
 * all), hold persisted across a restart, history persisted and bounded,
 * delete (refused in flight, job record "deleted"), requeue from failed/,
 * and the errors for unknown and malformed ids.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "config/config.h"
#include "gateway/cdr/cdr.h"
#include "gateway/mailq/mailq.h"
#include "gateway/spool/spool.h"

struct ofx {
	char dir[64], conf[2048], cdr_path[128];
	struct config *cfg;
	struct spool *sp;
	struct event_base *base;
	struct mailq *q;
	struct cdr *cdr;
	int silent;                     /* listening, never accepting: -1 none */
	unsigned port;
};

/* A loopback port: listening when keep (connections wait for a greeting
 * that never comes), else closed again (connections are refused). */
static int
loopback_port(int keep, unsigned *port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(s, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	if (keep) {
		ck_assert_int_eq(listen(s, 16), 0);
		return s;
	}
	close(s);
	return -1;
}

static void
ofx_queue(struct ofx *f)
{
	char err[256];

	f->q = mailq_new(f->base, f->sp, err, sizeof(err));
	ck_assert_msg(f->q != NULL, "%s", err);
	mailq_set_config(f->q, f->cfg);
	mailq_set_cdr(f->q, f->cdr);
	ck_assert_msg(mailq_start(f->q, err, sizeof(err)) == 0, "%s", err);
}

/* mode: 'r' refused port, 's' silent port, 'm' Maildir. */
static void
ofx_open(struct ofx *f, char mode)
{
	struct config_diag diag;
	char err[256], send[256];

	memset(f, 0, sizeof(*f));
	f->silent = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/t37mqops.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	if (mode == 'm') {
		snprintf(send, sizeof(send), "mta send maildir %s/Maildir\n", f->dir);
	} else {
		f->silent = loopback_port(mode == 's', &f->port);
		snprintf(send, sizeof(send), "mta send server 127.0.0.1 port %u\n", f->port);
	}
	snprintf(f->conf, sizeof(f->conf),
	    "hostname gw1.example.com\n"
	    "spool %s/spool\n"
	    "%s"
	    "mta send postmaster postmaster@example.com\n"
	    "mta send retry 600\n"
	    "mta send give-up 86400\n", f->dir, send);
	config_diag_init(&diag);
	f->cfg = config_parse_buffer("test", f->conf, strlen(f->conf), &diag);
	ck_assert_msg(f->cfg != NULL, "config: %s",
	    diag.kept ? config_diag_get(&diag, 0) : "?");
	config_diag_clear(&diag);
	f->sp = spool_open(f->cfg->spool, err, sizeof(err));
	ck_assert_msg(f->sp != NULL, "%s", err);
	f->base = event_base_new();
	snprintf(f->cdr_path, sizeof(f->cdr_path), "%s/cdr.json", f->dir);
	f->cdr = cdr_open(f->base, f->cdr_path, err, sizeof(err));
	ck_assert_msg(f->cdr != NULL, "%s", err);
	ofx_queue(f);
}

/* The queue goes, the spool stays: the next ofx_queue() is a restart. */
static void
ofx_restart(struct ofx *f)
{
	mailq_free(f->q);
	ofx_queue(f);
}

static void
ofx_close(struct ofx *f)
{
	char cmd[128];

	mailq_free(f->q);
	cdr_free(f->cdr);
	event_base_free(f->base);
	spool_free(f->sp);
	config_free(f->cfg);
	if (f->silent >= 0)
		close(f->silent);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A job of the mail queue, committed and scheduled as the rooms do. */
static void
ofx_job(struct ofx *f, const char *from, const char *ref, char id[SPOOL_ID_LEN + 1])
{
	static const char msg[] = "From: a@example.com\nTo: b@example.com\n"
	    "Subject: t\n\nbody\n";
	struct mailq_envelope env;

	memset(&env, 0, sizeof(env));
	env.from = from;
	env.rcpt = "fax-user@example.com";
	env.ref = ref;
	ck_assert_int_eq(mailq_job_commit(f->sp, &env, msg, sizeof(msg) - 1, id), 0);
	ck_assert_int_eq(mailq_add(f->q, id), 0);
}

/* The full view of id (asserted to exist); caller puts it. */
static struct json_object *
show(struct ofx *f, const char *id)
{
	char err[256] = "";
	struct json_object *o = mailq_ctl_show(f->q, id, err, sizeof(err));

	ck_assert_msg(o != NULL, "show %s: %s", id, err);
	return o;
}

static const char *
jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_string(v);
}

static int64_t
jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_get_int64(v);
}

static size_t
jlen(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return json_object_array_length(v);
}

/* The job's attempts and state, from its full view. */
static int64_t
attempts(struct ofx *f, const char *id, char state[32])
{
	struct json_object *o = show(f, id);
	int64_t n = jint(o, "attempts");

	if (state != NULL)
		snprintf(state, 32, "%s", jstr(o, "state"));
	json_object_put(o);
	return n;
}

/* Runs the loop until job id has made `want` attempts and none is in
 * flight, or 5 s passed. */
static void
run_until_attempts(struct ofx *f, const char *id, int64_t want)
{
	char state[32];
	int i;

	for (i = 0; i < 500; i++) {
		struct timeval tv = { 0, 10000 };

		event_base_loopexit(f->base, &tv);
		event_base_dispatch(f->base);
		if (attempts(f, id, state) >= want && strcmp(state, "in-flight") != 0)
			return;
	}
	ck_abort_msg("job %s: %lld attempts, want %lld", id,
	    (long long)attempts(f, id, NULL), (long long)want);
}

static void
run_for(struct ofx *f, long usec)
{
	struct timeval tv = { usec / 1000000, usec % 1000000 };

	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static int
job_exists(struct ofx *f, const char *queue, const char *id)
{
	char path[512];
	struct stat st;

	ck_assert_int_eq(spool_path(f->sp, queue, id, NULL, path, sizeof(path)), 0);
	return stat(path, &st) == 0;
}

START_TEST(list_and_show)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], c[SPOOL_ID_LEN + 1];
	struct json_object *l, *o, *h, *env;
	time_t now;

	ofx_open(&f, 'r');
	ofx_job(&f, "sender@example.com", "c0ffee", a);
	ofx_job(&f, "", "offramp-0123456789abcdef", b);
	ofx_job(&f, "alice@example.com", "offramp-0123456789abcdef", c);
	run_until_attempts(&f, a, 1);
	run_until_attempts(&f, b, 1);
	run_until_attempts(&f, c, 1);
	now = time(NULL);

	l = mailq_ctl_list(f.q);
	ck_assert_uint_eq(json_object_array_length(l), 3);
	o = json_object_array_get_idx(l, 0);
	ck_assert_str_eq(jstr(o, "id"), a);
	ck_assert_str_eq(jstr(o, "queue"), "mail");
	ck_assert_str_eq(jstr(o, "kind"), "fax-mail");
	ck_assert_str_eq(jstr(o, "from"), "sender@example.com");
	ck_assert_uint_eq(jlen(o, "to"), 1);
	ck_assert_str_eq(jstr(o, "state"), "waiting");
	ck_assert_int_eq(jint(o, "attempts"), 1);
	/* deferred by `mta send retry 600` */
	ck_assert_int_ge(jint(o, "next"), now + 590);
	ck_assert_int_le(jint(o, "next"), now + 601);
	ck_assert_int_le(jint(o, "created"), now);
	ck_assert_ptr_nonnull(strstr(jstr(o, "error"), "refused"));
	ck_assert_str_eq(jstr(json_object_array_get_idx(l, 1), "kind"), "report");
	ck_assert_str_eq(jstr(json_object_array_get_idx(l, 1), "from"), "");
	ck_assert_str_eq(jstr(json_object_array_get_idx(l, 2), "kind"), "postmaster");
	json_object_put(l);

	o = show(&f, a);
	ck_assert(json_object_object_get_ex(o, "envelope", &env));
	ck_assert_str_eq(jstr(env, "rcpt"), "fax-user@example.com");
	ck_assert_str_eq(jstr(env, "ref"), "c0ffee");
	ck_assert_int_eq(jint(o, "size"), 55);
	ck_assert_uint_eq(jlen(o, "history"), 1);
	json_object_object_get_ex(o, "history", &h);
	h = json_object_array_get_idx(h, 0);
	ck_assert_str_eq(jstr(h, "status"), "deferred");
	ck_assert_ptr_nonnull(strstr(jstr(h, "relay"), "127.0.0.1"));
	ck_assert_int_ge(jint(h, "at"), now - 5);
	ck_assert_str_ne(jstr(h, "dsn"), "");
	json_object_put(o);
	ofx_close(&f);
}
END_TEST

START_TEST(retry_one_and_all)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], err[256];
	unsigned n = 99;

	ofx_open(&f, 'r');
	ofx_job(&f, "", "c1", a);
	ofx_job(&f, "", "c2", b);
	run_until_attempts(&f, a, 1);
	run_until_attempts(&f, b, 1);
	run_for(&f, 100000);                    /* the timers hold them */
	ck_assert_int_eq(attempts(&f, a, NULL), 1);

	ck_assert_int_eq(mailq_retry(f.q, a, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	run_until_attempts(&f, a, 2);
	ck_assert_int_eq(attempts(&f, b, NULL), 1);

	/* all: the held one is not tried, nor counted */
	ck_assert_int_eq(mailq_hold(f.q, b, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(mailq_retry(f.q, NULL, &n, err, sizeof(err)), 0);
	ck_assert_uint_eq(n, 1);
	run_until_attempts(&f, a, 3);
	ck_assert_int_eq(attempts(&f, b, NULL), 1);
	ck_assert_int_eq(mailq_retry(f.q, b, &n, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is held: release it first") != NULL, "%s", err);
	ck_assert_uint_eq(n, 0);
	ofx_close(&f);
}
END_TEST

START_TEST(hold_survives_a_restart)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], err[256], state[32];
	struct json_object *o;

	ofx_open(&f, 'r');
	ofx_job(&f, "", "c1", a);
	run_until_attempts(&f, a, 1);
	ck_assert_int_eq(mailq_hold(f.q, a, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(mailq_hold(f.q, a, 1, err, sizeof(err)), 0);  /* already */
	o = show(&f, a);
	ck_assert_str_eq(jstr(o, "state"), "held");
	ck_assert_int_eq(jint(o, "next"), 0);
	ck_assert(json_object_get_boolean(json_object_object_get(o, "held")));
	json_object_put(o);

	/* A restart finds it held and does not schedule it, even when its
	 * retry time has come (the state said next=now+600). */
	ofx_restart(&f);
	ck_assert_uint_eq(mailq_jobs(f.q), 1);
	ck_assert_int_eq(mailq_retry(f.q, NULL, NULL, err, sizeof(err)), 0);
	run_for(&f, 200000);
	ck_assert_int_eq(attempts(&f, a, state), 1);
	ck_assert_str_eq(state, "held");

	/* Release: tried at once, and the release is persisted too. */
	ck_assert_int_eq(mailq_hold(f.q, a, 0, err, sizeof(err)), 0);
	run_until_attempts(&f, a, 2);
	ofx_restart(&f);
	o = show(&f, a);
	ck_assert(!json_object_get_boolean(json_object_object_get(o, "held")));
	ck_assert_int_gt(jint(o, "next"), 0);
	json_object_put(o);
	ofx_close(&f);
}
END_TEST

START_TEST(history_persisted_and_bounded)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], err[256], path[512];
	struct json_object *o;
	int i, n = MAILQ_HISTORY_MAX + 3;
	unsigned lines = 0;
	FILE *fp;
	char line[1024];

	ofx_open(&f, 'r');
	ofx_job(&f, "", "c1", a);
	for (i = 1; i <= n; i++) {
		run_until_attempts(&f, a, i);
		if (i < n)
			ck_assert_int_eq(mailq_retry(f.q, a, NULL, err, sizeof(err)), 0);
	}
	o = show(&f, a);
	ck_assert_int_eq(jint(o, "attempts"), n);
	ck_assert_uint_eq(jlen(o, "history"), MAILQ_HISTORY_MAX);
	json_object_put(o);

	/* the state file holds the bounded history, one hist_at per attempt */
	ck_assert_int_eq(spool_path(f.sp, SPOOL_Q_MAIL, a, "state", path, sizeof(path)), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	while (fgets(line, sizeof(line), fp) != NULL)
		lines += strncmp(line, "hist_at ", 8) == 0;
	fclose(fp);
	ck_assert_uint_eq(lines, MAILQ_HISTORY_MAX);

	ofx_restart(&f);
	o = show(&f, a);
	ck_assert_uint_eq(jlen(o, "history"), MAILQ_HISTORY_MAX);
	ck_assert_int_eq(jint(o, "attempts"), n);
	json_object_put(o);
	ofx_close(&f);
}
END_TEST

/* A state file with more entries than the bound keeps the newest, and its
 * hold stops the start from scheduling it; one written before holds and
 * history existed still loads. */
START_TEST(history_bound_on_load_and_old_state)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], text[32];
	struct spool_rec *rec = spool_rec_new();
	struct json_object *o, *h;
	const char *data;
	size_t len;
	int i;

	ofx_open(&f, 'r');
	mailq_free(f.q);                        /* the jobs are loaded at the start */
	f.q = NULL;
	{
		struct mailq_envelope env = { "", "x@example.com", 0, 0, "c1" };

		ck_assert_int_eq(mailq_job_commit(f.sp, &env, "m\n", 2, a), 0);
		ck_assert_int_eq(mailq_job_commit(f.sp, &env, "m\n", 2, b), 0);
	}
	spool_rec_add(rec, "phase", "deliver");
	spool_rec_add(rec, "attempts", "40");
	spool_rec_add(rec, "next", "1");        /* due long ago, but held */
	spool_rec_add(rec, "held", "1");
	for (i = 0; i < 40; i++) {
		spool_rec_add_u64(rec, "hist_at", 1000 + (uint64_t)i);
		spool_rec_add(rec, "hist_relay", "mx[192.0.2.1]:25");
		spool_rec_add(rec, "hist_status", "deferred");
		spool_rec_add(rec, "hist_dsn", "4.4.1");
		snprintf(text, sizeof(text), "attempt %d", i);
		spool_rec_add(rec, "hist_text", text);
	}
	ck_assert_int_eq(spool_rec_store(f.sp, SPOOL_Q_MAIL, a, "state", rec), 0);
	spool_rec_free(rec);
	data = "phase deliver\nattempts 2\ndelay 600\nnext 4000000000\nsince 1\n"
	    "reason old%20style\n";
	len = strlen(data);
	ck_assert_int_eq(spool_replace(f.sp, SPOOL_Q_MAIL, b, "state", data, len), 0);
	ofx_queue(&f);
	ck_assert_uint_eq(mailq_jobs(f.q), 2);
	run_for(&f, 200000);                    /* the start did not schedule it */
	ck_assert_int_eq(attempts(&f, a, NULL), 40);

	o = show(&f, a);
	ck_assert_str_eq(jstr(o, "state"), "held");
	ck_assert_uint_eq(jlen(o, "history"), MAILQ_HISTORY_MAX);
	h = json_object_array_get_idx(json_object_object_get(o, "history"), 0);
	snprintf(text, sizeof(text), "attempt %d", 40 - MAILQ_HISTORY_MAX);
	ck_assert_str_eq(jstr(h, "text"), text);
	ck_assert_int_eq(jint(h, "at"), 1000 + 40 - MAILQ_HISTORY_MAX);
	ck_assert_str_eq(jstr(h, "dsn"), "4.4.1");
	json_object_put(o);

	o = show(&f, b);
	ck_assert_str_eq(jstr(o, "state"), "waiting");
	ck_assert_int_eq(jint(o, "attempts"), 2);
	ck_assert_int_eq(jint(o, "next"), 4000000000LL);
	ck_assert_str_eq(jstr(o, "error"), "old style");
	ck_assert_uint_eq(jlen(o, "history"), 0);
	json_object_put(o);
	ofx_close(&f);
}
END_TEST

START_TEST(delete_refused_in_flight)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], err[256], state[32];
	char *buf = NULL;
	size_t cap = 0;
	FILE *fp;
	int i;

	ofx_open(&f, 's');
	ofx_job(&f, "", "c1", a);
	for (i = 0; i < 200 && (attempts(&f, a, state), strcmp(state, "in-flight") != 0); i++)
		run_for(&f, 10000);
	ck_assert_str_eq(state, "in-flight");
	ck_assert_int_eq(mailq_delete(f.q, a, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "has a delivery in progress") != NULL, "%s", err);
	ck_assert(job_exists(&f, SPOOL_Q_MAIL, a));
	ck_assert_int_eq(mailq_retry(f.q, a, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "in progress") != NULL, "%s", err);

	/* hold is allowed in flight: the delivery goes on, nothing after it */
	ck_assert_int_eq(mailq_hold(f.q, a, 1, err, sizeof(err)), 0);
	attempts(&f, a, state);
	ck_assert_str_eq(state, "in-flight");

	/* a restart abandons the delivery; the held job can now go */
	ofx_restart(&f);
	ck_assert_int_eq(attempts(&f, a, state), 1);    /* the abandoned one */
	ck_assert_str_eq(state, "held");
	ck_assert_int_eq(mailq_delete(f.q, a, err, sizeof(err)), 0);
	ck_assert(!job_exists(&f, SPOOL_Q_MAIL, a));
	ck_assert_uint_eq(mailq_jobs(f.q), 0);
	ck_assert_ptr_null(mailq_ctl_show(f.q, a, err, sizeof(err)));
	ck_assert_str_eq(err + strlen(err) - SPOOL_ID_LEN, a);
	ck_assert_int_eq(mailq_delete(f.q, a, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "no such job ", 12) == 0, "%s", err);

	/* a waiting job is deleted at once */
	ofx_job(&f, "", "c2", b);
	ck_assert_int_eq(mailq_hold(f.q, b, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(mailq_delete(f.q, b, err, sizeof(err)), 0);
	ck_assert(!job_exists(&f, SPOOL_Q_MAIL, b));

	/* the job records say so */
	mailq_free(f.q);
	cdr_free(f.cdr);
	f.cdr = NULL;
	f.q = NULL;
	ck_assert_ptr_nonnull(fp = fopen(f.cdr_path, "r"));
	i = 0;
	while (getline(&buf, &cap, fp) > 0)
		i += strstr(buf, "\"result\":\"deleted\"") != NULL;
	free(buf);
	fclose(fp);
	ck_assert_int_eq(i, 2);
	ofx_queue(&f);
	ofx_close(&f);
}
END_TEST

/* The real way into failed/: the postmaster notice fails past give-up. */
static void
make_failed(struct ofx *f, char id[SPOOL_ID_LEN + 1])
{
	static const char state[] = "phase bounce\nattempts 3\nsince 1\n";
	struct mailq_envelope env = { "sender@example.com", "x@example.com", 0, 0, "c9" };
	int i;

	ck_assert_int_eq(mailq_job_commit(f->sp, &env, "m\n", 2, id), 0);
	ck_assert_int_eq(spool_replace(f->sp, SPOOL_Q_MAIL, id, "state", state,
	    sizeof(state) - 1), 0);
	ck_assert_int_eq(spool_replace(f->sp, SPOOL_Q_MAIL, id, "bounce", "n\n", 2), 0);
	ck_assert_int_eq(mailq_add(f->q, id), 0);
	for (i = 0; i < 500 && job_exists(f, SPOOL_Q_MAIL, id); i++)
		run_for(f, 10000);
	ck_assert(job_exists(f, SPOOL_Q_FAILED, id));
}

START_TEST(requeue_from_failed)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], b[SPOOL_ID_LEN + 1], err[256], path[512];
	struct json_object *o;
	time_t now;

	ofx_open(&f, 'r');
	make_failed(&f, a);
	ck_assert_uint_eq(mailq_jobs(f.q), 0);
	o = mailq_ctl_failed(f.q, a);
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jstr(o, "queue"), "failed");
	ck_assert_str_eq(jstr(o, "state"), "failed");
	ck_assert_int_eq(jint(o, "attempts"), 4);
	ck_assert_ptr_nonnull(strstr(jstr(o, "error"), "gave up"));
	ck_assert_ptr_nonnull(strstr(jstr(o, "error"), "refused"));
	json_object_put(o);
	o = show(&f, a);                        /* the history came along */
	ck_assert_uint_eq(jlen(o, "history"), 1);
	json_object_put(o);

	/* operations meant for queued jobs say what to do */
	ck_assert_int_eq(mailq_hold(f.q, a, 1, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "is in the failed queue: requeue it first") != NULL,
	    "%s", err);
	ck_assert_int_eq(mailq_retry(f.q, a, NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "requeue it first") != NULL, "%s", err);

	now = time(NULL);
	ck_assert_int_eq(mailq_requeue(f.q, a, err, sizeof(err)), 0);
	ck_assert(!job_exists(&f, SPOOL_Q_FAILED, a));
	ck_assert_uint_eq(mailq_jobs(f.q), 1);
	run_until_attempts(&f, a, 1);           /* scheduled at once, fresh */
	o = show(&f, a);
	ck_assert_str_eq(jstr(o, "queue"), "mail");
	ck_assert_str_eq(jstr(o, "state"), "waiting");  /* to its recipient again */
	ck_assert_int_eq(jint(o, "attempts"), 1);
	ck_assert_int_ge(jint(o, "give_up"), now + 86400);
	ck_assert_uint_eq(jlen(o, "history"), 2);
	json_object_put(o);

	/* not in failed/ any more */
	ck_assert_int_eq(mailq_requeue(f.q, a, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not in the failed queue") != NULL, "%s", err);

	/* failed/ holds another room's job too: not ours */
	ck_assert_int_eq(spool_path(f.sp, SPOOL_Q_FAILED, "00000000000000ff", NULL, path,
	    sizeof(path)), 0);
	ck_assert_int_eq(mkdir(path, 0750), 0);
	ck_assert_ptr_null(mailq_ctl_failed(f.q, "00000000000000ff"));
	ck_assert_int_eq(mailq_requeue(f.q, "00000000000000ff", err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not a mail job") != NULL, "%s", err);
	ck_assert_int_eq(mailq_delete(f.q, "00000000000000ff", err, sizeof(err)), -1);
	ck_assert(job_exists(&f, SPOOL_Q_FAILED, "00000000000000ff"));

	/* a failed mail job may be deleted */
	make_failed(&f, b);
	ck_assert_int_eq(mailq_delete(f.q, b, err, sizeof(err)), 0);
	ck_assert(!job_exists(&f, SPOOL_Q_FAILED, b));
	ck_assert_ptr_null(mailq_ctl_failed(f.q, b));
	ofx_close(&f);
}
END_TEST

/* Requeued into a working Maildir: delivered and gone. */
START_TEST(requeue_delivers)
{
	struct ofx f;
	char a[SPOOL_ID_LEN + 1], err[256];
	int i;

	ofx_open(&f, 'm');
	{
		struct mailq_envelope env = { "s@example.com", "x@example.com", 0, 0, "c9" };

		ck_assert_int_eq(mailq_job_commit(f.sp, &env, "m\n", 2, a), 0);
	}
	ck_assert_int_eq(spool_move(f.sp, SPOOL_Q_MAIL, a, SPOOL_Q_FAILED), 0);
	ck_assert_int_eq(mailq_requeue(f.q, a, err, sizeof(err)), 0);
	for (i = 0; i < 500 && mailq_jobs(f.q) > 0; i++)
		run_for(&f, 10000);
	ck_assert_uint_eq(mailq_jobs(f.q), 0);
	mailq_free(f.q);                        /* the removal finishes */
	f.q = NULL;
	ck_assert(!job_exists(&f, SPOOL_Q_MAIL, a));
	ck_assert(!job_exists(&f, SPOOL_Q_FAILED, a));
	ofx_queue(&f);
	ofx_close(&f);
}
END_TEST

static const char *const bad_ids[] = {
	"", "xyz", "0123456789abcde", "0123456789abcdef0", "0123456789ABCDEF",
	"../../etc/passwd", "0123456789abcde\n", "01234567 9abcdef",
	"\xff\xfe\"quoted\"=1 and a long tail past the length that is shown back",
};

START_TEST(malformed_ids)
{
	struct ofx f;
	char err[256];
	const char *id = bad_ids[_i];

	ofx_open(&f, 'r');
	ck_assert_ptr_null(mailq_ctl_show(f.q, id, err, sizeof(err)));
	ck_assert_msg(strstr(err, *id ? "malformed job id" : "no job id") != NULL, "%s", err);
	ck_assert_ptr_null(strchr(err, '\n'));
	ck_assert_ptr_null(mailq_ctl_failed(f.q, id));
	ck_assert_int_eq(mailq_retry(f.q, id, NULL, err, sizeof(err)), -1);
	ck_assert_int_eq(mailq_hold(f.q, id, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(mailq_hold(f.q, id, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(mailq_delete(f.q, id, err, sizeof(err)), -1);
	ck_assert_int_eq(mailq_requeue(f.q, id, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, *id ? "malformed job id" : "no job id") != NULL, "%s", err);
	ofx_close(&f);
}
END_TEST

START_TEST(unknown_ids)
{
	struct ofx f;
	char err[256];
	const char *id = "0123456789abcdef";

	ofx_open(&f, 'r');
	ck_assert_ptr_null(mailq_ctl_show(f.q, id, err, sizeof(err)));
	ck_assert_str_eq(err, "no such job 0123456789abcdef");
	ck_assert_ptr_null(mailq_ctl_failed(f.q, id));
	ck_assert_ptr_null(mailq_ctl_failed(f.q, NULL));
	ck_assert_int_eq(mailq_retry(f.q, id, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no such job 0123456789abcdef");
	ck_assert_int_eq(mailq_hold(f.q, id, 1, err, sizeof(err)), -1);
	ck_assert_int_eq(mailq_delete(f.q, id, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no such job 0123456789abcdef");
	ck_assert_int_eq(mailq_requeue(f.q, id, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no such job 0123456789abcdef");
	ck_assert_int_eq(mailq_delete(f.q, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no job id given");
	{
		struct json_object *l = mailq_ctl_list(f.q);

		ck_assert_uint_eq(json_object_array_length(l), 0);
		json_object_put(l);
	}
	ofx_close(&f);
}
END_TEST

Suite *
suite_mailq_ops(void)
{
	Suite *s = suite_create("mailq_ops");
	TCase *tc = tcase_create("ops");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, list_and_show);
	tcase_add_test(tc, retry_one_and_all);
	tcase_add_test(tc, hold_survives_a_restart);
	tcase_add_test(tc, history_persisted_and_bounded);
	tcase_add_test(tc, history_bound_on_load_and_old_state);
	tcase_add_test(tc, delete_refused_in_flight);
	tcase_add_test(tc, requeue_from_failed);
	tcase_add_test(tc, requeue_delivers);
	tcase_add_loop_test(tc, malformed_ids, 0, sizeof(bad_ids) / sizeof(bad_ids[0]));
	tcase_add_test(tc, unknown_ids);
	suite_add_tcase(s, tc);
	return s;
}
