/*
 * Unit tests for mime/diag and for every fixed-size text on the way from a
 * parsed part to the DSN: mime_text_fit() cuts only between words and marks
 * the cut; part names keep the whole MIME type; and a long type with a long
 * file name goes through the parser, the retry state (encoded, decoded) and
 * the DSN without losing a character of the type.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "gateway/offramp/job.h"
#include "gateway/offramp/retry.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"

#define DOCX "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

struct fit_case {
	const char *src;
	size_t size;
	const char *want;
};

static const struct fit_case fit_cases[] = {
	{ "short", 16, "short" },
	{ "exactly fits", 13, "exactly fits" },
	{ "one two three", 12, "one two..." },
	{ "one two three", 13, "one two..." },
	{ "alpha beta", 9, "alpha..." },
	/* One word longer than the buffer: cut, but marked. */
	{ "abcdefghijklmnop", 8, "abcd..." },
	/* Punctuation before the cut is not left dangling. */
	{ "the part, which is long", 16, "the part..." },
	/* Never half a UTF-8 character. */
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8, "\xc3\xa9\xc3\xa9..." },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 9, "\xc3\xa9\xc3\xa9..." },
	{ "a " DOCX " b", 60, "a..." },
	{ "too small", 4, "" },
	{ "", 4, "" },
};

START_TEST(test_fit)
{
	const struct fit_case *c = &fit_cases[_i];
	char buf[128];

	memset(buf, 'X', sizeof(buf));
	mime_text_fit(buf, c->size, c->src);
	ck_assert_msg(strcmp(buf, c->want) == 0, "fit(\"%s\", %zu) = \"%s\", want \"%s\"",
	    c->src, c->size, buf, c->want);
	ck_assert_uint_lt(strlen(buf), c->size);
	ck_assert(g_utf8_validate(buf, -1, NULL));
}
END_TEST

START_TEST(test_fit_never_mid_word)
{
	static const char text[] = "the attachment \"Quarterly report.docx\" (" DOCX
	    ") cannot be faxed; only text, HTML, TIFF and PDF can";
	char buf[sizeof(text)];
	size_t size;

	/* At every size, the result is a prefix made of whole words. */
	for (size = 4; size <= sizeof(text); size++) {
		size_t n;

		mime_text_fit(buf, size, text);
		n = strlen(buf);
		if (n == 0) {
			ck_assert_uint_le(size, 4);   /* no room for a word and "..." */
		} else if (size <= strlen(text)) {
			ck_assert_str_eq(buf + n - 3, "...");
			n -= 3;
			ck_assert_msg(memcmp(buf, text, n) == 0, "size %zu: %s", size, buf);
			buf[n] = '\0';
			/* The cut is at the end of a word, or inside the first
			 * word when that alone does not fit. */
			ck_assert_msg(strchr(" ,;:", text[n]) != NULL ||
			    strchr(buf, ' ') == NULL,
			    "size %zu cut inside a word: \"%s\"", size, buf);
			ck_assert_msg(strstr(buf, "application/vnd") == NULL ||
			    strstr(buf, DOCX) != NULL, "size %zu cut the type: %s", size, buf);
		} else {
			ck_assert_str_eq(buf, text);
		}
	}
}
END_TEST

START_TEST(test_part_name)
{
	char *n, *longname = g_strnfill(200, 'x');
	char *fn = g_strconcat(longname, ".docx", NULL);
	char *hostile = g_strconcat("application/", longname, longname, NULL);

	n = mime_part_name(DOCX, "Quarterly report.docx");
	ck_assert_str_eq(n, "the attachment \"Quarterly report.docx\" (" DOCX ")");
	g_free(n);
	n = mime_part_name(DOCX, NULL);
	ck_assert_str_eq(n, "a part of type " DOCX);
	g_free(n);
	/* A long name keeps its start and its extension; the type is whole. */
	n = mime_part_name(DOCX, fn);
	ck_assert_ptr_nonnull(strstr(n, "...xxxxxxxxxxx.docx\" (" DOCX ")"));
	ck_assert_uint_lt(strlen(n), 200);
	g_free(n);
	/* Quotes and line breaks in a name cannot break the sentence. */
	n = mime_part_name("image/tiff", "a\"b\r\nc.tif");
	ck_assert_str_eq(n, "the attachment \"a b  c.tif\" (image/tiff)");
	g_free(n);
	/* A type longer than RFC 6838 allows is fitted and marked. */
	n = mime_part_name(hostile, NULL);
	ck_assert_uint_le(strlen(n), strlen("a part of type ") + MIME_TYPE_NAME_MAX);
	ck_assert_ptr_nonnull(strstr(n, "..."));
	g_free(n);
	g_free(longname);
	g_free(fn);
	g_free(hostile);
}
END_TEST

/* "Name: value" of a folded header block, unfolded; caller frees. */
static char *
unfold(const char *s)
{
	GString *o = g_string_new(NULL);

	for (; *s; s++) {
		if (*s == '\r')
			continue;
		if (*s == '\n' && (s[1] == ' ' || s[1] == '\t')) {
			while (s[1] == ' ' || s[1] == '\t')
				s++;
			g_string_append_c(o, ' ');
			continue;
		}
		g_string_append_c(o, *s);
	}
	return g_string_free(o, FALSE);
}

/* A docx attachment that is no document (not a ZIP container), from the
 * parser to the DSN, through the job state. */
START_TEST(test_docx_to_dsn)
{
	char dir[] = "/tmp/t37diagXXXXXX";
	struct spool_rec *state;
	char *msgpath, *msg, *rep, *flat, errbuf[128], *cmd;
	const char *name = "Quarterly figures for the board, final version 3 (reviewed).docx";
	struct mime_offramp_opts mo = { 0 };
	struct mime_error err;
	struct offramp_job *j, *k;
	struct offramp_report_cfg rc = { .hostname = "gw1.example.com",
	    .postmaster = "postmaster@gw1.example.com", .from_name = "Fax Daemon" };
	struct offramp_retry_policy p;
	enum offramp_report_kind kind;
	size_t len;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	mo.out_dir = dir;
	msgpath = g_strdup_printf("%s/msg", dir);
	msg = g_strdup_printf("From: alice@example.com\nMIME-Version: 1.0\n"
	    "Subject: figures\nContent-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nsee attached\n"
	    "--m\nContent-Type: " DOCX "; name=\"%s\"\n"
	    "Content-Transfer-Encoding: base64\n\naGVsbG8=\n--m--\n", name);
	ck_assert(g_file_set_contents(msgpath, msg, -1, NULL));
	ck_assert_ptr_null(mime_offramp_parse_file(msgpath, &mo, &err));
	ck_assert_str_eq(err.status, "5.6.1");
	ck_assert_msg(strstr(err.text, DOCX) != NULL, "parser: %s", err.text);
	ck_assert_msg(strstr(err.text, "(reviewed).docx") != NULL, "parser: %s", err.text);

	/* The ladder keeps it, the state file carries it. */
	j = offramp_job_new();
	ck_assert_int_eq(offramp_job_env(j, "from", "alice@example.com", errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(offramp_job_env(j, "received", "1795442700", errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(offramp_job_env(j, "rcpt", "FAX=+19195551234@fax.example.com",
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(offramp_job_env(j, "rcpt.number", "+19195551234", errbuf,
	    sizeof(errbuf)), 0);
	offramp_retry_fail_now(&j->rcpts[0].retry, err.status, err.text);
	ck_assert_str_eq(j->rcpts[0].retry.diag, err.text);
	state = offramp_job_state(j);
	k = offramp_job_new();
	ck_assert_int_eq(offramp_job_env(k, "from", "alice@example.com", errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(offramp_job_env(k, "rcpt", "FAX=+19195551234@fax.example.com",
	    errbuf, sizeof(errbuf)), 0);
	ck_assert_int_eq(offramp_job_env(k, "rcpt.number", "+19195551234", errbuf,
	    sizeof(errbuf)), 0);
	ck_assert_int_eq(offramp_job_state_load(k, state, errbuf, sizeof(errbuf)), 0);
	ck_assert_str_eq(k->rcpts[0].retry.diag, err.text);
	k->received = j->received;

	/* And the DSN says it whole, in words and in the status part. */
	offramp_retry_policy_default(&p);
	rep = offramp_job_next_report(k, &rc, &p, msgpath, 1795442800, &kind, &len,
	    &err);
	ck_assert_ptr_nonnull(rep);
	ck_assert_int_eq(kind, OFFRAMP_REPORT_DSN_FINAL);
	flat = unfold(rep);
	ck_assert_msg(strstr(flat, DOCX) != NULL, "DSN lacks the type:\n%s", rep);
	ck_assert_msg(strstr(flat, "(reviewed).docx") != NULL, "DSN lacks the name:\n%s", rep);
	ck_assert_ptr_null(strstr(flat, "wordprocessing)"));
	g_free(flat);
	g_free(rep);
	spool_rec_free(state);
	offramp_job_free(j);
	offramp_job_free(k);
	g_free(msg);
	g_free(msgpath);
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}
END_TEST

/* A diagnostic longer than every buffer still ends on a word. */
START_TEST(test_long_diag_in_state)
{
	struct offramp_rcpt_retry r, back;
	GString *g = g_string_new(NULL);
	struct spool_rec *rec = spool_rec_new();
	size_t n, i, len;
	const char *v;

	while (g->len < 3 * OFFRAMP_RETRY_DIAG_MAX)
		g_string_append(g, "word " DOCX " ");
	offramp_retry_init(&r, SMTP_NOTIFY_FAILURE, 1795442700);
	offramp_retry_fail_now(&r, "5.6.1", g->str);
	n = strlen(r.diag);
	ck_assert_uint_lt(n, OFFRAMP_RETRY_DIAG_MAX);
	ck_assert_str_eq(r.diag + n - 3, "...");
	ck_assert_msg(strcmp(r.diag + n - 3 - strlen(DOCX), DOCX "...") == 0 ||
	    strcmp(r.diag + n - 7, "word...") == 0, "%s", r.diag + n - 80);
	ck_assert_int_eq(offramp_retry_store(&r, rec), 0);
	offramp_retry_init(&back, SMTP_NOTIFY_FAILURE, 1795442700);
	for (i = 0; i < spool_rec_count(rec); i++) {
		v = spool_rec_value(rec, i, &len);
		ck_assert_int_eq(offramp_retry_load_key(&back, spool_rec_key(rec, i), v, len), 0);
	}
	ck_assert_str_eq(back.diag, r.diag);
	spool_rec_free(rec);
	g_string_free(g, TRUE);
}
END_TEST

Suite *
suite_mime_diag(void)
{
	Suite *s = suite_create("mime_diag");
	TCase *tc = tcase_create("diag");

	tcase_add_loop_test(tc, test_fit, 0, G_N_ELEMENTS(fit_cases));
	tcase_add_test(tc, test_fit_never_mid_word);
	tcase_add_test(tc, test_part_name);
	tcase_add_test(tc, test_docx_to_dsn);
	tcase_add_test(tc, test_long_diag_in_state);
	suite_add_tcase(s, tc);
	return s;
}
