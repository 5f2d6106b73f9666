/*
 * Unit tests for gateway/cdr: call and job records built and parsed back
 * with json-c field by field; hostile peer strings (quotes, backslashes,
 * control characters, invalid UTF-8) still give one valid JSON line of
 * valid UTF-8; values a call did not carry are left out; the writer
 * appends whole lines, reopens the path after a rename, drops (and
 * counts) beyond CDR_QUEUE_MAX instead of waiting, logs a failing disk
 * once, and refuses a file it cannot open with the path in the error.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <glib.h>
#include <json-c/json.h>

#include "gateway/cdr/cdr.h"
#include "sip/sip.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/t37cdr.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* An offramp call that sent 2 of 3 pages and failed in T.30 phase D. */
static void
event_fill(struct sip_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = SIP_EV_CALL_FINISHED;
	snprintf(ev->call_id, sizeof(ev->call_id), "7f3a21");
	ev->dir = SIP_DIR_OFFRAMP;
	snprintf(ev->ani, sizeof(ev->ani), "9194724118");
	snprintf(ev->dnis, sizeof(ev->dnis), "+19195551234");
	snprintf(ev->rdnis, sizeof(ev->rdnis), "9913000");
	snprintf(ev->remote_ident, sizeof(ev->remote_ident), "+1 919 555 1234");
	snprintf(ev->reason, sizeof(ev->reason), "fax failed");
	ev->result = SIP_RESULT_PARTIAL;
	ev->cause = SIP_CAUSE_T30;
	ev->sip_status = 200;
	ev->t30_code = 52;
	ev->t30_phase = 'D';
	ev->fax_ran = true;
	ev->pages = 2;
	ev->pages_total = 3;
	ev->rate = 9600;
	ev->ecm = true;
	ev->t38 = true;
	ev->secs = 48;
	ev->start_ms = 1796126400123LL;          /* 2026-12-01T12:00:00.123Z */
	ev->answer_ms = ev->start_ms + 2000;
	ev->end_ms = ev->start_ms + 48000;
}

static struct json_object *
parse_line(const char *line, size_t len)
{
	enum json_tokener_error e;
	struct json_object *o;

	ck_assert_uint_gt(len, 2);
	ck_assert_int_eq(line[len - 1], '\n');
	ck_assert_ptr_null(memchr(line, '\n', len - 1));        /* one line */
	ck_assert_uint_eq(strlen(line), len);
	ck_assert_msg(g_utf8_validate(line, (gssize)len, NULL), "not UTF-8: %s", line);
	o = json_tokener_parse_verbose(line, &e);
	ck_assert_msg(o != NULL, "not JSON (%s): %s", json_tokener_error_desc(e), line);
	ck_assert(json_object_is_type(o, json_type_object));
	return o;
}

static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_string), "%s not a string", key);
	return json_object_get_string(v);
}

static int64_t
get_int(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	ck_assert_msg(json_object_is_type(v, json_type_int), "%s not an int", key);
	return json_object_get_int64(v);
}

static int
has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

START_TEST(call_every_field)
{
	struct cdr_call_link link = { .job = "a1b2c3d4e5f60718", .message_id = "<m1@example.com>",
	    .peer = 400, .rcpt = 1, .number = "+19195551234", .attempt = 2, .dial = 17 };
	struct sip_event ev;
	struct json_object *o, *v;
	size_t len = 0;
	char *line;

	event_fill(&ev);
	line = cdr_call_line(&ev, &link, &len);
	ck_assert_ptr_nonnull(line);
	o = parse_line(line, len);
	ck_assert_str_eq(get_str(o, "type"), "call");
	ck_assert_str_eq(get_str(o, "call"), "7f3a21");
	ck_assert_str_eq(get_str(o, "dir"), "offramp");
	ck_assert_str_eq(get_str(o, "start"), "2026-12-01T12:00:00.123Z");
	ck_assert_str_eq(get_str(o, "answer"), "2026-12-01T12:00:02.123Z");
	ck_assert_str_eq(get_str(o, "end"), "2026-12-01T12:00:48.123Z");
	ck_assert_int_eq(get_int(o, "secs"), 48);
	ck_assert_str_eq(get_str(o, "ani"), "9194724118");
	ck_assert_str_eq(get_str(o, "dnis"), "+19195551234");
	ck_assert_str_eq(get_str(o, "rdnis"), "9913000");
	ck_assert_str_eq(get_str(o, "media"), "t38");
	ck_assert_int_eq(get_int(o, "pages"), 2);
	ck_assert_int_eq(get_int(o, "pages_total"), 3);
	ck_assert_int_eq(get_int(o, "rate"), 9600);
	ck_assert(json_object_object_get_ex(o, "ecm", &v) && json_object_get_boolean(v));
	ck_assert_str_eq(get_str(o, "result"), "partial");
	ck_assert_str_eq(get_str(o, "cause"), "t30");
	ck_assert_int_eq(get_int(o, "sip_status"), 200);
	ck_assert_str_eq(get_str(o, "t30_phase"), "D");
	ck_assert_int_eq(get_int(o, "t30_code"), 52);
	ck_assert_str_eq(get_str(o, "remote_ident"), "+1 919 555 1234");
	ck_assert_str_eq(get_str(o, "reason"), "fax failed");
	ck_assert_int_eq(get_int(o, "peer"), 400);
	ck_assert_str_eq(get_str(o, "job"), "a1b2c3d4e5f60718");
	ck_assert_str_eq(get_str(o, "message_id"), "<m1@example.com>");
	ck_assert_int_eq(get_int(o, "rcpt"), 1);
	ck_assert_str_eq(get_str(o, "number"), "+19195551234");
	ck_assert_int_eq(get_int(o, "attempt"), 2);
	ck_assert_int_eq(get_int(o, "dial"), 17);
	ck_assert(!has(o, "recovered"));
	ck_assert(!has(o, "t38_refused"));
	json_object_put(o);
	free(line);
}
END_TEST

/* A refused onramp call: no answer, no fax, no link. */
START_TEST(call_absent_fields_left_out)
{
	struct sip_event ev;
	struct json_object *o;
	size_t len = 0;
	char *line;

	memset(&ev, 0, sizeof(ev));
	snprintf(ev.call_id, sizeof(ev.call_id), "c0ffee");
	ev.dir = SIP_DIR_ONRAMP;
	snprintf(ev.ani, sizeof(ev.ani), "555");
	snprintf(ev.dnis, sizeof(ev.dnis), "9999");
	ev.result = SIP_RESULT_REJECTED;
	ev.cause = SIP_CAUSE_REJECTED;
	ev.sip_status = 404;
	ev.start_ms = 1796126400000LL;
	ev.end_ms = ev.start_ms + 5;
	line = cdr_call_line(&ev, NULL, &len);
	o = parse_line(line, len);
	ck_assert_str_eq(get_str(o, "dir"), "onramp");
	ck_assert_str_eq(get_str(o, "media"), "g711");
	ck_assert_str_eq(get_str(o, "result"), "rejected");
	ck_assert_int_eq(get_int(o, "sip_status"), 404);
	ck_assert_int_eq(get_int(o, "pages"), 0);
	ck_assert_str_eq(get_str(o, "start"), "2026-12-01T12:00:00.000Z");
	ck_assert(!has(o, "answer"));
	ck_assert(!has(o, "rdnis"));
	ck_assert(!has(o, "rate"));
	ck_assert(!has(o, "ecm"));
	ck_assert(!has(o, "t30_phase"));
	ck_assert(!has(o, "t30_code"));
	ck_assert(!has(o, "remote_ident"));
	ck_assert(!has(o, "pages_total"));
	ck_assert(!has(o, "job"));
	ck_assert(!has(o, "peer"));
	json_object_put(o);
	free(line);
}
END_TEST

/* What a hostile fax machine or SIP peer can put in the strings. */
START_TEST(call_hostile_strings)
{
	struct cdr_call_link link = { .rcpt = -1, .mail = "nofax" };
	struct sip_event ev;
	struct json_object *o;
	size_t len = 0;
	char *line;

	event_fill(&ev);
	/* quote, backslash, brace, control characters, invalid UTF-8 (a lone
	 * continuation byte, 0xff, a cut 2-byte sequence), valid UTF-8 */
	snprintf(ev.remote_ident, sizeof(ev.remote_ident),
	    "a\"b\\c}\n\r\t\x01\x7f\x80\xff\xc3(\xc3\xa9");
	snprintf(ev.ani, sizeof(ev.ani), "\",\"type\":\"forged");
	snprintf(ev.reason, sizeof(ev.reason), "\xed\xa0\x80 surrogate \xf4\x90\x80\x80");
	line = cdr_call_line(&ev, &link, &len);
	o = parse_line(line, len);
	ck_assert_str_eq(get_str(o, "type"), "call");
	ck_assert_str_eq(get_str(o, "ani"), "\",\"type\":\"forged");
	/* Each invalid sequence becomes U+FFFD; the rest stays as it was. */
	ck_assert_str_eq(get_str(o, "remote_ident"),
	    "a\"b\\c}\n\r\t\x01\x7f\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd(\xc3\xa9");
	ck_assert(g_utf8_validate(get_str(o, "reason"), -1, NULL));
	ck_assert_ptr_null(strstr(get_str(o, "reason"), "\xed\xa0\x80"));
	ck_assert_str_eq(get_str(o, "mail"), "nofax");
	ck_assert(!has(o, "rcpt"));
	json_object_put(o);
	free(line);
}
END_TEST

/* A string over CDR_STR_MAX is cut, even inside a multibyte character. */
START_TEST(call_long_string_cut)
{
	struct cdr_call_link link = { .rcpt = -1 };
	struct sip_event ev;
	struct json_object *o;
	char *big, *line;
	size_t len = 0, i;

	big = malloc(3 * CDR_STR_MAX + 1);
	for (i = 0; i < 3 * CDR_STR_MAX; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);      /* the euro sign */
	big[3 * CDR_STR_MAX] = '\0';
	link.message_id = big;
	event_fill(&ev);
	line = cdr_call_line(&ev, &link, &len);
	o = parse_line(line, len);
	ck_assert(g_utf8_validate(get_str(o, "message_id"), -1, NULL));
	ck_assert_uint_le(strlen(get_str(o, "message_id")), CDR_STR_MAX + 3);
	json_object_put(o);
	free(line);
	free(big);
}
END_TEST

START_TEST(job_every_field)
{
	const struct cdr_rcpt r[2] = {
		{ .address = "FAX=+19195551234@fax.example.com", .number = "+19195551234",
		  .status = "2.0.0", .action = "delivered", .attempts = 1, .pages = 3,
		  .pages_total = 3, .call = "7f3a21", .remote_ident = "CSI\x01\xfe" },
		{ .address = "FAX=+19195550000@fax.example.com", .number = "+19195550000",
		  .status = "5.3.0", .action = "failed", .attempts = 4, .pages = 0,
		  .pages_total = 3, .call = "7f3a99", .diag = "SIP 486 Busy Here" },
	};
	struct cdr_job j = { .job = "00aa11bb22cc33dd", .dir = "offramp",
	    .message_id = "<x\"y@example.com>", .sender = "alice@example.com",
	    .result = "done", .created_ms = 1796126400000LL, .end_ms = 1796126461500LL,
	    .pages = 3, .rcpts = r, .nrcpts = 2 };
	struct json_object *o, *a, *e, *v;
	size_t len = 0;
	char *line;

	line = cdr_job_line(&j, &len);
	o = parse_line(line, len);
	ck_assert_str_eq(get_str(o, "type"), "job");
	ck_assert_str_eq(get_str(o, "job"), "00aa11bb22cc33dd");
	ck_assert_str_eq(get_str(o, "dir"), "offramp");
	ck_assert_str_eq(get_str(o, "message_id"), "<x\"y@example.com>");
	ck_assert_str_eq(get_str(o, "sender"), "alice@example.com");
	ck_assert_str_eq(get_str(o, "result"), "done");
	ck_assert_str_eq(get_str(o, "created"), "2026-12-01T12:00:00.000Z");
	ck_assert_str_eq(get_str(o, "end"), "2026-12-01T12:01:01.500Z");
	ck_assert(json_object_object_get_ex(o, "secs", &v));
	ck_assert(json_object_get_double(v) > 61.49 && json_object_get_double(v) < 61.51);
	ck_assert_ptr_nonnull(strstr(line, "\"secs\":61.500,"));
	ck_assert_int_eq(get_int(o, "pages"), 3);
	ck_assert(!has(o, "call"));
	ck_assert(!has(o, "kind"));
	ck_assert(json_object_object_get_ex(o, "recipients", &a));
	ck_assert_uint_eq(json_object_array_length(a), 2);
	e = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(get_str(e, "address"), "FAX=+19195551234@fax.example.com");
	ck_assert_str_eq(get_str(e, "number"), "+19195551234");
	ck_assert_str_eq(get_str(e, "status"), "2.0.0");
	ck_assert_str_eq(get_str(e, "action"), "delivered");
	ck_assert_int_eq(get_int(e, "attempts"), 1);
	ck_assert_int_eq(get_int(e, "pages"), 3);
	ck_assert_int_eq(get_int(e, "pages_total"), 3);
	ck_assert_str_eq(get_str(e, "call"), "7f3a21");
	ck_assert_str_eq(get_str(e, "remote_ident"), "CSI\x01\xef\xbf\xbd");
	ck_assert(!has(e, "diag"));
	e = json_object_array_get_idx(a, 1);
	ck_assert_str_eq(get_str(e, "action"), "failed");
	ck_assert_str_eq(get_str(e, "status"), "5.3.0");
	ck_assert_int_eq(get_int(e, "attempts"), 4);
	ck_assert_str_eq(get_str(e, "diag"), "SIP 486 Busy Here");
	json_object_put(o);
	free(line);
}
END_TEST

/* The mail of a received fax: one recipient, the call it came from. */
START_TEST(job_mail)
{
	const struct cdr_rcpt r = { .address = "fax-9913170@example.com", .status = "2.0.0",
	    .action = "relayed", .attempts = 2, .diag = "250 2.0.0 Ok: queued" };
	struct cdr_job j = { .job = "ffee", .dir = "mail", .kind = "fax", .call = "7f3a21",
	    .about = "7f3a21", .sender = "", .result = "sent", .attempts = 2,
	    .rcpts = &r, .nrcpts = 1 };
	struct json_object *o, *a, *e;
	size_t len = 0;
	char *line;

	line = cdr_job_line(&j, &len);
	o = parse_line(line, len);
	ck_assert_str_eq(get_str(o, "dir"), "mail");
	ck_assert_str_eq(get_str(o, "kind"), "fax");
	ck_assert_str_eq(get_str(o, "call"), "7f3a21");
	ck_assert_str_eq(get_str(o, "sender"), "");
	ck_assert_str_eq(get_str(o, "result"), "sent");
	ck_assert_int_eq(get_int(o, "attempts"), 2);
	ck_assert(!has(o, "created"));
	ck_assert(!has(o, "secs"));
	ck_assert(json_object_object_get_ex(o, "recipients", &a));
	e = json_object_array_get_idx(a, 0);
	ck_assert_str_eq(get_str(e, "address"), "fax-9913170@example.com");
	ck_assert_str_eq(get_str(e, "action"), "relayed");
	ck_assert(!has(e, "number"));
	ck_assert(!has(e, "pages"));
	json_object_put(o);
	free(line);
}
END_TEST

/* ---- the writer ---- */

/* Lines in path; the last one ends in "\n". */
static unsigned
count_lines(const char *path)
{
	char *text = NULL, *p, *nl;
	gsize n = 0;
	unsigned lines = 0;

	ck_assert_msg(g_file_get_contents(path, &text, &n, NULL), "cannot read %s", path);
	for (p = text; (nl = memchr(p, '\n', n - (size_t)(p - text))) != NULL; p = nl + 1)
		lines++;
	ck_assert_ptr_eq(p, text + n);
	g_free(text);
	return lines;
}

/* parse_line() wants a NUL after the line: copy each one. */
static unsigned
count_records(const char *path)
{
	char *text = NULL, *p, *nl, *one;
	gsize n = 0;
	unsigned lines = 0;
	struct json_object *o;

	ck_assert(g_file_get_contents(path, &text, &n, NULL));
	for (p = text; (nl = memchr(p, '\n', n - (size_t)(p - text))) != NULL; p = nl + 1) {
		one = g_strndup(p, (gsize)(nl - p) + 1);
		o = parse_line(one, strlen(one));
		ck_assert_str_eq(get_str(o, "type"), "call");
		json_object_put(o);
		g_free(one);
		lines++;
	}
	ck_assert_ptr_eq(p, text + n);
	g_free(text);
	return lines;
}

START_TEST(writer_appends_and_reopens)
{
	struct event_base *base = event_base_new();
	char path[128], old[128], err[256];
	struct sip_event ev;
	struct stat st;
	struct cdr *c;
	int i, fd;

	snprintf(path, sizeof(path), "%s/cdr.json", dir);
	snprintf(old, sizeof(old), "%s/cdr.json.1", dir);
	/* An existing file is appended to, never truncated. */
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_eq(write(fd, "{\"type\":\"call\"}\n", 16), 16);
	close(fd);
	c = cdr_open(base, path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	event_fill(&ev);
	for (i = 0; i < 10; i++)
		cdr_call(c, &ev, NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(rename(path, old), 0);
	cdr_reopen(c);
	for (i = 0; i < 3; i++)
		cdr_call(c, &ev, NULL);
	cdr_free(c);                            /* drains */
	ck_assert_uint_eq(count_records(old), 11);
	ck_assert_uint_eq(count_records(path), 3);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, CDR_FILE_MODE & ~(unsigned)umask(022));
	cdr_call(NULL, &ev, NULL);              /* no `cdr` line: nothing */
	cdr_reopen(NULL);
	cdr_free(NULL);
	event_base_free(base);
}
END_TEST

/* The loop never runs the completions here, so the queue only fills:
 * whatever comes over CDR_QUEUE_MAX is dropped and counted at once. */
START_TEST(writer_bounded_queue_drops)
{
	struct event_base *base = event_base_new();
	char path[128], err[256];
	struct sip_event ev;
	struct cdr *c;
	unsigned i;

	snprintf(path, sizeof(path), "%s/cdr.json", dir);
	c = cdr_open(base, path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	event_fill(&ev);
	for (i = 0; i < CDR_QUEUE_MAX + 25; i++)
		cdr_call(c, &ev, NULL);
	ck_assert_uint_eq(cdr_dropped(c), 25);
	cdr_free(c);
	ck_assert_uint_eq(count_lines(path), CDR_QUEUE_MAX);
	event_base_free(base);
}
END_TEST

/* A full disk: logged once for the burst, not once per record. */
START_TEST(writer_error_logged_once)
{
	struct event_base *base = event_base_new();
	char log[128], err[256], *text = NULL, *p;
	struct sip_event ev;
	struct cdr *c;
	gsize n;
	int i, fd, hits = 0;

	snprintf(log, sizeof(log), "%s/stderr", dir);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);       /* a forked test: our own stderr */
	close(fd);
	c = cdr_open(base, "/dev/full", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	event_fill(&ev);
	for (i = 0; i < 20; i++)
		cdr_call(c, &ev, NULL);
	cdr_free(c);
	ck_assert(g_file_get_contents(log, &text, &n, NULL));
	for (p = text; (p = strstr(p, "result=write-failed")) != NULL; p++)
		hits++;
	ck_assert_msg(hits == 1, "%d write-failed lines: %s", hits, text);
	ck_assert_ptr_nonnull(strstr(text, "/dev/full"));
	g_free(text);
	event_base_free(base);
}
END_TEST

START_TEST(writer_open_errors_name_the_path)
{
	struct event_base *base = event_base_new();
	char path[128], err[256];

	snprintf(path, sizeof(path), "%s/no/such/dir/cdr.json", dir);
	ck_assert_ptr_null(cdr_open(base, path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_ptr_null(cdr_open(base, dir, err, sizeof(err)));      /* a directory */
	ck_assert_ptr_nonnull(strstr(err, dir));
	ck_assert_ptr_null(cdr_open(base, "relative.json", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	/* A FIFO nobody reads: refused at once, not waited on. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	ck_assert_ptr_null(cdr_open(base, path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
	event_base_free(base);
}
END_TEST

Suite *
suite_cdr(void)
{
	Suite *s = suite_create("cdr");
	TCase *t = tcase_create("record");
	TCase *w = tcase_create("writer");

	tcase_add_test(t, call_every_field);
	tcase_add_test(t, call_absent_fields_left_out);
	tcase_add_test(t, call_hostile_strings);
	tcase_add_test(t, call_long_string_cut);
	tcase_add_test(t, job_every_field);
	tcase_add_test(t, job_mail);
	suite_add_tcase(s, t);
	tcase_add_checked_fixture(w, setup, teardown);
	tcase_add_test(w, writer_appends_and_reopens);
	tcase_add_test(w, writer_bounded_queue_drops);
	tcase_add_test(w, writer_error_logged_once);
	tcase_add_test(w, writer_open_errors_name_the_path);
	suite_add_tcase(s, w);
	return s;
}
