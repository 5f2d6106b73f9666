/*
 * Tests of gateway/intake in process: a config parsed from text, a spool in
 * a temp dir, sessions over bufferevent pairs. They check the policy
 * replies, that a 250 means a committed job whose envelope the offramp
 * job loader reads back, that a lost connection leaves nothing in the
 * spool, and that a reload the intake refuses leaves it a config to use.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "config/config.h"
#include "gateway/intake/intake.h"
#include "gateway/intake/intake_int.h"
#include "gateway/intake/intake_test.h"
#include "gateway/offramp/job.h"
#include "gateway/spool/spool.h"
#include "util/log.h"

struct ih {
	char dir[64];
	struct config *cfg;
	struct spool *sp;
	struct event_base *base;
	struct intake *in;
	struct bufferevent *pair[2];
	char out[65536];
	size_t out_len;
	int closed;
};

static const char conf_fmt[] =
    "hostname gw.test\n"
    "spool %s/spool\n"
    "mta send postmaster fax-admin@example.com\n"
    "mta receive aliases fax.test\n"
    "mta receive maximum-recipients %d\n"
    "mta receive maximum-size 4194304\n"
    "fax deny-pattern 1900.......\n"
    "dial-peer voice 300 mmoip\n"
    " incoming called-number 1919.......\n"
    " information-type fax\n"
    "dial-peer voice 302 mmoip\n"
    " incoming called-number 1212.......\n"
    " information-type fax\n"
    "dial-peer voice 400 voip\n"
    " destination-pattern 1919.......\n"
    " session target sip:$d$@127.0.0.1:5099\n";

static void
ih_read(struct bufferevent *bev, void *arg)
{
	struct ih *h = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t n = evbuffer_get_length(in);

	ck_assert_uint_lt(h->out_len + n, sizeof(h->out));
	evbuffer_remove(in, h->out + h->out_len, n);
	h->out_len += n;
	h->out[h->out_len] = '\0';
}

static void
ih_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		((struct ih *)arg)->closed = 1;
}

/* Runs the loop until want appears in the output (or 5 s pass). */
static const char *
ih_wait(struct ih *h, const char *want)
{
	struct timeval tv = { 0, 10000 };
	int i;

	for (i = 0; i < 500 && (want == NULL || strstr(h->out, want) == NULL); i++) {
		event_base_loopexit(h->base, &tv);
		event_base_dispatch(h->base);
		if (want == NULL && i > 3)
			break;
	}
	return h->out;
}

static const char *
ih_say(struct ih *h, const char *bytes, const char *want)
{
	h->out_len = 0;
	h->out[0] = '\0';
	bufferevent_write(h->pair[1], bytes, strlen(bytes));
	return ih_wait(h, want);
}

static void
ih_setup(struct ih *h, int max_rcpt)
{
	char text[2048], err[256];
	struct config_diag d;

	memset(h, 0, sizeof(*h));
	log_set_level(LOG_LVL_ERR);
	strcpy(h->dir, "/tmp/t37intake.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	snprintf(text, sizeof(text), conf_fmt, h->dir, max_rcpt);
	config_diag_init(&d);
	h->cfg = config_parse_buffer("test.conf", text, strlen(text), &d);
	ck_assert_msg(h->cfg != NULL, "config: %s", d.kept ? config_diag_get(&d, 0) : "?");
	config_diag_clear(&d);
	h->sp = spool_open(h->cfg->spool, err, sizeof(err));
	ck_assert_msg(h->sp != NULL, "spool: %s", err);
	h->base = event_base_new();
	h->in = intake_new(h->base, h->cfg, h->sp, err, sizeof(err));
	ck_assert_msg(h->in != NULL, "intake: %s", err);
	ck_assert_int_eq(bufferevent_pair_new(h->base, 0, h->pair), 0);
	bufferevent_setcb(h->pair[1], ih_read, NULL, ih_event, h);
	bufferevent_enable(h->pair[1], EV_READ | EV_WRITE);
	ck_assert(intake_attach(h->in, h->pair[0], "127.0.0.1") != 0);
	ck_assert_ptr_nonnull(strstr(ih_wait(h, "220 "), "220 gw.test"));
}

static void
ih_teardown(struct ih *h)
{
	char cmd[128];

	intake_free(h->in);
	ih_wait(h, NULL);
	if (h->pair[1] != NULL)
		bufferevent_free(h->pair[1]);
	event_base_free(h->base);
	spool_free(h->sp);
	config_free(h->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", h->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
count_dir(struct ih *h, const char *sub)
{
	char path[256];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/spool/%s", h->dir, sub);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

START_TEST(test_intake_accept_and_envelope)
{
	struct ih h;
	struct spool_rec *rec;
	struct offramp_job *job;
	char id[SPOOL_ID_LEN + 1], err[256], *msg;
	const char *r, *p;
	size_t i, len;

	ih_setup(&h, 10);
	ih_say(&h, "EHLO c.test\r\n", "250 ENHANCED");
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "MAIL FROM:<alice@example.com> RET=HDRS ENVID=E+2B1\r\n",
	    "\r\n"), "250 2.1.0"));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+1-919-555-1234/T33S=7@fax.test> "
	    "NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;FAX+3D+2B19195551234@fax.test\r\n", "\r\n"), "250 2.1.5"));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<Postmaster>\r\n", "\r\n"), "250 2.1.5"));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "DATA\r\n", "\r\n"), "354 "));
	r = ih_say(&h, "Subject: t\r\n\r\n..body\r\n.\r\n", "\r\n");
	ck_assert_ptr_nonnull(strstr(r, "250 2.0.0 Ok: queued as "));
	p = strstr(r, "queued as ") + 10;
	memcpy(id, p, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	ck_assert(spool_id_valid(id));
	/* committed: in its queue, nothing left in tmp/ */
	ck_assert_int_eq(count_dir(&h, SPOOL_Q_OFFRAMP), 1);
	ck_assert_int_eq(count_dir(&h, "tmp"), 0);
	ck_assert_int_eq(spool_read(h.sp, SPOOL_Q_OFFRAMP, id, "msg", &msg, &len), 0);
	ck_assert(strncmp(msg, "Received: from c.test ([127.0.0.1])\r\n\tby gw.test (t37gw) with ESMTP id ", 70) == 0);
	/* the message follows the trace field, unstuffed, without the final dot */
	ck_assert(len > 21 && strcmp(msg + len - 21, "Subject: t\r\n\r\n.body\r\n") == 0);
	free(msg);
	rec = spool_rec_load(h.sp, SPOOL_Q_OFFRAMP, id, "env", err, sizeof(err));
	ck_assert_msg(rec != NULL, "env: %s", err);
	ck_assert_str_eq(spool_rec_get(rec, "from"), "alice@example.com");
	ck_assert_str_eq(spool_rec_get(rec, "envid"), "E+2B1");
	ck_assert_str_eq(spool_rec_get(rec, "ret"), "HDRS");
	ck_assert_str_eq(spool_rec_get(rec, "rcpt.number"), "+19195551234");
	ck_assert_str_eq(spool_rec_get(rec, "rcpt.subaddr"), "7");
	ck_assert_str_eq(spool_rec_get(rec, "rcpt.peer"), "400");
	ck_assert_str_eq(spool_rec_get(rec, "rcpt.notify"), "SUCCESS,FAILURE");
	ck_assert_str_eq(spool_rec_get(rec, "rcpt.forward"), "fax-admin@example.com");
	/* the contract with the offramp: its loader takes every field */
	job = offramp_job_new();
	for (i = 0; i < spool_rec_count(rec); i++)
		ck_assert_msg(offramp_job_env(job, spool_rec_key(rec, i),
		    spool_rec_value(rec, i, NULL), err, sizeof(err)) == 0, "%s: %s",
		    spool_rec_key(rec, i), err);
	ck_assert_uint_eq(job->nrcpts, 2);
	ck_assert_str_eq(job->rcpts[0].number, "+19195551234");
	ck_assert_str_eq(job->envid, "E+1");
	ck_assert_int_eq(job->rcpts[1].postmaster, 1);
	offramp_job_free(job);
	spool_rec_free(rec);
	ih_teardown(&h);
}
END_TEST

static const struct {
	const char *rcpt;
	const char *reply;
} policy_cases[] = {
	{ "<bob@elsewhere.example>", "550 5.7.1 <bob@elsewhere.example>: relaying denied" },
	{ "<user%elsewhere.example@fax.test>", "550 5.7.1 " },
	{ "<@fax.test:bob@elsewhere.example>", "550 5.7.1 " },
	{ "<\"x@y\"@fax.test>", "550 5.7.1 " },
	{ "<FAX=+19005551234@fax.test>", "550 5.7.1 Fax to +19005551234 not allowed: matches fax deny-pattern 1900......." },
	{ "<FAX=+12125551234@fax.test>", "550 5.7.1 Fax to +12125551234 not allowed: no voip" },
	{ "<FAX=+14155551234@fax.test>", "550 5.7.1 Fax to +14155551234 not allowed: no mmoip" },
	{ "<FAX=+1919x@fax.test>", "553 5.1.3 " },
	{ "<alice@fax.test>", "550 5.1.1 " },
	{ "<19195551234@fax.test>", "250 2.1.5 Ok, fax to 19195551234" },
	{ "</FAX=+19195551234/@FAX.TEST>", "250 2.1.5 Ok, fax to +19195551234" },
	/* over- and underdialled numbers do not slip past the deny-pattern */
	{ "<FAX=+1900555123@fax.test>", "550 5.7.1 Fax to +1900555123 not allowed: matches fax "
	  "deny-pattern 1900......." },
	{ "<FAX=+190055512345@fax.test>", "550 5.7.1 Fax to +190055512345 not allowed: matches "
	  "fax deny-pattern 1900......." },
	{ "<FAX=1-900-555-1234-5@fax.test>", "550 5.7.1 Fax to 19005551234" },
	/* /cover= needs fax send coverpage e-mail-controllable */
	{ "<FAX=+19195551234/cover=no@fax.test>", "550 5.7.1 <FAX=+19195551234/cover=no@fax.test>: "
	  "/cover= is not allowed here" },
	{ "<FAX=+19195551234/cover=maybe@fax.test>", "553 5.1.3 " },
};

START_TEST(test_intake_policy)
{
	struct ih h;
	char line[256];

	ih_setup(&h, 10);
	ih_say(&h, "EHLO c.test\r\n", "250 ENHANCED");
	ih_say(&h, "MAIL FROM:<alice@example.com>\r\n", "\r\n");
	snprintf(line, sizeof(line), "RCPT TO:%s\r\n", policy_cases[_i].rcpt);
	ck_assert_msg(strstr(ih_say(&h, line, "\r\n"), policy_cases[_i].reply) != NULL,
	    "%s: got %s", policy_cases[_i].rcpt, h.out);
	ih_teardown(&h);
}
END_TEST

/*
 * With e-mail-controllable, /cover= is accepted and kept in the envelope;
 * one message has one cover choice: a recipient that wants another one
 * gets 452 (the client sends it in a new transaction).
 */
START_TEST(test_intake_cover)
{
	struct ih h;

	ih_setup(&h, 10);
	h.cfg->fax_send.coverpage_email_controllable = true;
	ih_say(&h, "EHLO c.test\r\n", "250 ENHANCED");
	ih_say(&h, "MAIL FROM:<alice@example.com>\r\n", "\r\n");
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195551234/cover=yes@fax.test>\r\n",
	    "\r\n"), "250 2.1.5 Ok, fax to +19195551234"));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195550000/COVER=YES/T33S=5@"
	    "fax.test>\r\n", "\r\n"), "250 2.1.5 "));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195551111@fax.test>\r\n",
	    "\r\n"), "452 4.5.3 <FAX=+19195551111@fax.test>: another cover page choice"));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195552222/cover=no@fax.test>\r\n",
	    "\r\n"), "452 4.5.3 "));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<postmaster@fax.test>\r\n", "\r\n"),
	    "250 2.1.5 Ok (postmaster)"));
	ih_say(&h, "RSET\r\n", "\r\n");
	ih_say(&h, "MAIL FROM:<alice@example.com>\r\n", "\r\n");
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195551111@fax.test>\r\n",
	    "\r\n"), "250 2.1.5 "));
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195552222/cover=no@fax.test>\r\n",
	    "\r\n"), "250 2.1.5 "));
	ih_teardown(&h);
}
END_TEST

START_TEST(test_intake_max_rcpt_zero)
{
	struct ih h;

	ih_setup(&h, 0);
	ih_say(&h, "EHLO c.test\r\n", "250 ENHANCED");
	ih_say(&h, "MAIL FROM:<alice@example.com>\r\n", "\r\n");
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195551234@fax.test>\r\n", "\r\n"),
	    "452 4.5.3 Too many recipients: mta receive maximum-recipients is 0"));
	ih_teardown(&h);
}
END_TEST

/* Sends n bytes of 78-character text lines. */
static void
ih_send_lines(struct ih *h, size_t n)
{
	char line[81];
	size_t sent;

	memset(line, 'x', 78);
	memcpy(line + 78, "\r\n", 3);
	for (sent = 0; sent < n; sent += 80) {
		bufferevent_write(h->pair[1], line, 80);
		if (sent % (64 * 1024) == 0)
			ih_wait(h, NULL);
	}
	ih_wait(h, NULL);
}

/* A lost connection leaves nothing behind, whether the message was still
 * in memory (loop 0) or had spilled into its spool job (loop 1). */
START_TEST(test_intake_lost_connection)
{
	struct ih h;

	ih_setup(&h, 10);
	ih_say(&h, "EHLO c.test\r\nMAIL FROM:<alice@example.com>\r\n"
	    "RCPT TO:<FAX=+19195551234@fax.test>\r\nDATA\r\n", "354 ");
	ih_say(&h, "Subject: cut\r\n\r\n", NULL);
	if (_i == 1)
		ih_send_lines(&h, INTAKE_MEM_SPILL + 4096);
	ih_say(&h, "half", NULL);
	/* in memory: no file yet; spilled: the job being written */
	ck_assert_int_eq(count_dir(&h, "tmp"), _i == 0 ? 0 : 1);
	bufferevent_flush(h.pair[1], EV_WRITE, BEV_FINISHED);
	bufferevent_free(h.pair[1]);
	h.pair[1] = NULL;
	ih_wait(&h, NULL);
	ck_assert_int_eq(count_dir(&h, "tmp"), 0);
	ck_assert_int_eq(count_dir(&h, SPOOL_Q_OFFRAMP), 0);
	ih_teardown(&h);
}
END_TEST

/* A message larger than INTAKE_MEM_SPILL spills into its job while it
 * arrives and is committed whole: trace field, every line, no final dot. */
START_TEST(test_intake_spilled_message)
{
	struct ih h;
	char id[SPOOL_ID_LEN + 1], *msg, *body;
	const char *r;
	size_t len, body_len = INTAKE_MEM_SPILL + 80 * 100;

	ih_setup(&h, 10);
	ih_say(&h, "EHLO c.test\r\nMAIL FROM:<alice@example.com>\r\n"
	    "RCPT TO:<FAX=+19195551234@fax.test>\r\nDATA\r\n", "354 ");
	ih_say(&h, "Subject: big\r\n\r\n", NULL);
	ih_send_lines(&h, body_len);
	ck_assert_int_eq(count_dir(&h, "tmp"), 1);
	r = ih_say(&h, ".\r\n", "\r\n");
	ck_assert_msg(strstr(r, "250 2.0.0 Ok: queued as ") != NULL, "got %s", r);
	memcpy(id, strstr(r, "queued as ") + 10, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	ck_assert_int_eq(count_dir(&h, "tmp"), 0);
	ck_assert_int_eq(spool_read(h.sp, SPOOL_Q_OFFRAMP, id, "msg", &msg, &len), 0);
	ck_assert(strncmp(msg, "Received: ", 10) == 0);
	body = strstr(msg, "Subject: big\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	body += strlen("Subject: big\r\n\r\n");
	ck_assert_uint_eq(len - (size_t)(body - msg), (body_len + 79) / 80 * 80);
	ck_assert(memcmp(msg + len - 2, "\r\n", 2) == 0 && msg[len - 3] == 'x');
	free(msg);
	ih_teardown(&h);
}
END_TEST

/*
 * A reload the intake refuses (its auth file cannot be read) keeps the
 * old config in force; the daemon then gives up its own hold on that old
 * config, so the intake must hold it itself, or every later session reads
 * freed memory.
 */
START_TEST(test_intake_refused_reload_keeps_config)
{
	struct config_diag d;
	struct config *next;
	char text[4096], err[256], users[128];
	struct ih h;
	FILE *f;

	ih_setup(&h, 10);
	/* readable when the file is checked, gone when the intake reads it */
	snprintf(users, sizeof(users), "%s/users", h.dir);
	ck_assert_ptr_nonnull(f = fopen(users, "w"));
	fputs("alice secret\n", f);
	fclose(f);
	snprintf(text, sizeof(text), conf_fmt, h.dir, 10);
	snprintf(text + strlen(text), sizeof(text) - strlen(text),
	    "mta receive auth-file %s\nmta receive auth-clear\n", users);
	config_diag_init(&d);
	next = config_parse_buffer("next.conf", text, strlen(text), &d);
	ck_assert_ptr_nonnull(next);
	config_diag_clear(&d);
	ck_assert_int_eq(unlink(users), 0);
	ck_assert_int_eq(intake_set_config(h.in, next, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "users") != NULL, "%s", err);
	config_free(next);
	config_free(h.cfg);             /* as the daemon lets go of the old one */
	h.cfg = NULL;
	ck_assert_uint_eq(config_live(), 1);    /* the intake's hold */
	ih_say(&h, "EHLO c.test\r\n", "250 ENHANCED");
	ih_say(&h, "MAIL FROM:<alice@example.com>\r\n", "\r\n");
	ck_assert_ptr_nonnull(strstr(ih_say(&h, "RCPT TO:<FAX=+19195551234@fax.test>\r\n",
	    "\r\n"), "250 2.1.5 Ok, fax to +19195551234"));
	ih_teardown(&h);
	ck_assert_uint_eq(config_live(), 0);
}
END_TEST

Suite *
suite_intake(void)
{
	Suite *s = suite_create("intake");
	TCase *tc = tcase_create("intake");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_intake_accept_and_envelope);
	tcase_add_loop_test(tc, test_intake_policy, 0, sizeof(policy_cases) / sizeof(policy_cases[0]));
	tcase_add_test(tc, test_intake_max_rcpt_zero);
	tcase_add_test(tc, test_intake_cover);
	tcase_add_loop_test(tc, test_intake_lost_connection, 0, 2);
	tcase_add_test(tc, test_intake_spilled_message);
	tcase_add_test(tc, test_intake_refused_reload_keeps_config);
	suite_add_tcase(s, tc);
	return s;
}
