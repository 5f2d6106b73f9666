/*
 * Unit tests for mime/offramp on the "nothing there" class: empty bodies,
 * empty parts, headers and parameters present without a value, zero-length
 * content after decoding. Every case must either parse or fail with an
 * enhanced status and words, never crash: such mail is accepted with 250
 * before it is parsed, so a crash here would repeat at every restart.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

struct empty_case {
	const char *name;
	const char *msg;
	const char *status;     /* NULL: must parse */
	const char *errword;    /* a word the error text must contain */
	const char *kinds;      /* parsed: one letter per part, T text, H html,
	                         * I tiff, P pdf */
};

#define MV "From: a@example.com\nMIME-Version: 1.0\n"
#define NOTHING "the message has no text"

static const struct empty_case empty_cases[] = {
	/* The message that used to take the daemon down at every start. */
	{ "html-only with an empty body", MV "Content-Type: text/html\n\n",
	  "5.6.1", NOTHING, NULL },
	{ "html-only, no body at all", MV "Content-Type: text/html\n",
	  "5.6.1", NULL, NULL },
	{ "empty html in base64", MV "Content-Type: text/html\n"
	  "Content-Transfer-Encoding: base64\n\n\n", "5.6.1", NOTHING, NULL },
	{ "empty html in quoted-printable", MV "Content-Type: text/html\n"
	  "Content-Transfer-Encoding: quoted-printable\n\n=\n", "5.6.1", NOTHING, NULL },
	{ "html whose only content is an open meta", MV "Content-Type: text/html\n\n"
	  "<meta charset=", "5.6.1", NOTHING, NULL },
	{ "html meta charset with an empty value", MV "Content-Type: text/html\n\n"
	  "<meta charset=\"\"><p>x</p>\n", NULL, NULL, "H" },
	{ "empty charset parameter", MV "Content-Type: text/plain; charset=\n\nx\n",
	  NULL, NULL, "T" },
	{ "quoted empty charset", MV "Content-Type: text/html; charset=\"\"\n\n<b>x</b>\n",
	  NULL, NULL, "H" },
	{ "charset parameter without '='", MV "Content-Type: text/html; charset\n\nx\n",
	  NULL, NULL, "H" },
	{ "empty content type", MV "Content-Type:\n\nplain\n", NULL, NULL, "T" },
	{ "content type without subtype", MV "Content-Type: text\n\nplain\n",
	  NULL, NULL, "T" },
	{ "content type of a slash", MV "Content-Type: /\n\nplain\n", NULL, NULL, "T" },
	{ "empty transfer encoding", MV "Content-Type: text/plain\n"
	  "Content-Transfer-Encoding:\n\nx\n", NULL, NULL, "T" },
	{ "base64 of padding only", MV "Content-Type: text/plain\n"
	  "Content-Transfer-Encoding: base64\n\n====\n", "5.6.1", "base64", NULL },
	{ "empty pdf", MV "Content-Type: application/pdf\n\n", "5.6.1", "is empty", NULL },
	{ "empty pdf in base64", MV "Content-Type: application/pdf; name=a.pdf\n"
	  "Content-Transfer-Encoding: base64\n\n", "5.6.1", "is empty", NULL },
	{ "empty tiff", MV "Content-Type: image/tiff\n\n", "5.6.1", "is empty", NULL },
	{ "empty file name", MV "Content-Type: application/octet-stream\n"
	  "Content-Disposition: attachment; filename=\n\nxx\n", "5.6.1",
	  "application/octet-stream", NULL },
	{ "file name of a dot", MV "Content-Type: application/octet-stream; name=\".\"\n\nxx\n",
	  "5.6.1", "application/octet-stream", NULL },
	{ "mixed: empty html beside text", MV
	  "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\nContent-Type: text/html\n\n"
	  "--m\nContent-Type: text/plain\n\nhello\n--m--\n", NULL, NULL, "T" },
	{ "mixed: every part empty", MV "Content-Type: multipart/mixed; boundary=m\n\n"
	  "--m\n\n--m\nContent-Type: text/html\n\n--m--\n", "5.6.1", NOTHING, NULL },
	{ "mixed: a part with no header and no body", MV
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\n--m--\n",
	  "5.6.1", "no parts", NULL },
	{ "mixed: empty boundary", MV "Content-Type: multipart/mixed; boundary=\"\"\n\n"
	  "--\nContent-Type: text/plain\n\nx\n----\n", NULL, NULL, "T" },
	{ "alternative of empty parts", MV
	  "Content-Type: multipart/alternative; boundary=a\n\n"
	  "--a\nContent-Type: text/plain\n\n--a\nContent-Type: text/html\n\n--a--\n",
	  "5.6.1", NOTHING, NULL },
	{ "alternative of one unfaxable part", MV
	  "Content-Type: multipart/alternative; boundary=a\n\n"
	  "--a\nContent-Type: text/calendar\n\n--a--\n", "5.6.1", "text/calendar", NULL },
	{ "signed with the content part only", MV
	  "Content-Type: multipart/signed; boundary=s\n\n"
	  "--s\nContent-Type: text/plain\n\nsigned\n--s--\n", NULL, NULL, "T" },
	{ "signed with an empty content part", MV
	  "Content-Type: multipart/signed; boundary=s\n\n--s\n\n--s--\n",
	  "5.6.1", NOTHING, NULL },
	{ "related: empty html and an empty image", MV
	  "Content-Type: multipart/related; boundary=r\n\n"
	  "--r\nContent-Type: text/html\n\n--r\nContent-Type: image/tiff\n\n--r--\n",
	  "5.6.1", "is empty", NULL },
	{ "empty message/rfc822", MV "Content-Type: message/rfc822\n\n",
	  "5.6.1", NOTHING, NULL },
	{ "html of tags and nothing between them", MV "Content-Type: text/html\n\n"
	  "<html><head><style>p{}</style></head><body><p> </p></body></html>\n",
	  "5.6.1", NOTHING, NULL },
	{ "empty multipart/report", MV
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=r\n\n"
	  "--r\n\n--r--\n", "5.6.1", NOTHING, NULL },
	{ "header fields without values",
	  "From:\nTo:\nSubject:\nDate:\nMessage-ID:\nReturn-Path:\n"
	  "Disposition-Notification-To:\nMIME-Version:\n\nbody\n", NULL, NULL, "T" },
	{ "return-path of empty brackets and a lone bracket",
	  "From: a@example.com\nReturn-Path: <\nReturn-Path: <>\n\nbody\n",
	  NULL, NULL, "T" },
	{ "empty file", "", "5.6.1", NULL, NULL },
	{ "one line end", "\n", "5.6.1", NULL, NULL },
	{ "a NUL and nothing else", "\0", "5.6.1", NULL, NULL },
};

static char tmpdir[64];

static void
setup_tmp(void)
{
	g_strlcpy(tmpdir, "/tmp/t37emptyXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_tmp(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

static const char *
write_msg(const char *msg, size_t len)
{
	static char path[128];
	FILE *f;

	g_snprintf(path, sizeof(path), "%s/msg.eml", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(msg, 1, len, f), len);
	fclose(f);
	return path;
}

START_TEST(test_empty_cases)
{
	const struct empty_case *c = &empty_cases[_i];
	struct mime_offramp_opts opts = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m;
	/* The NUL case is one byte long; strlen() says 0. */
	size_t len = strcmp(c->name, "a NUL and nothing else") == 0 ? 1 : strlen(c->msg);
	size_t i;

	m = mime_offramp_parse_file(write_msg(c->msg, len), &opts, &err);
	if (c->status != NULL) {
		ck_assert_msg(m == NULL, "%s: parsed but should fail", c->name);
		ck_assert_msg(strcmp(err.status, c->status) == 0, "%s: status %s (%s)",
		    c->name, err.status, err.text);
		ck_assert_msg(err.text[0] != '\0', "%s: no error text", c->name);
		if (c->errword != NULL)
			ck_assert_msg(strstr(err.text, c->errword) != NULL,
			    "%s: error \"%s\" lacks \"%s\"", c->name, err.text, c->errword);
		return;
	}
	ck_assert_msg(m != NULL, "%s: failed: %s %s", c->name, err.status, err.text);
	ck_assert_uint_eq(mime_offramp_nparts(m), strlen(c->kinds));
	for (i = 0; i < mime_offramp_nparts(m); i++) {
		const struct mime_part *p = mime_offramp_part(m, i);

		if (p->kind == MIME_PART_TEXT) {
			ck_assert_uint_gt(p->text_len, 0);
			ck_assert_uint_eq(strlen(p->text), p->text_len);
			ck_assert_int_eq(p->text[p->text_len - 1], '\n');
		}
	}
	mime_offramp_free(m);
}
END_TEST

/* The charset sniffer on no bytes at all (a NULL buffer of an empty part). */
START_TEST(test_empty_html_helpers)
{
	size_t n = 99;
	char *t;

	char meta[MIME_META_CHARSET_MAX];

	ck_assert_int_eq(mime_html_meta_charset(NULL, 0, meta, sizeof(meta)), -1);
	t = mime_text_to_utf8(NULL, 0, "iso-8859-1", &n);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(n, 0);
	g_free(t);
	t = mime_text_to_utf8(NULL, 0, NULL, &n);
	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(n, 0);
	g_free(t);
}
END_TEST

Suite *
suite_mime_offramp_empty(void)
{
	Suite *s = suite_create("mime_offramp_empty");
	TCase *tc = tcase_create("empty");

	tcase_add_checked_fixture(tc, setup_tmp, teardown_tmp);
	tcase_add_loop_test(tc, test_empty_cases, 0, G_N_ELEMENTS(empty_cases));
	tcase_add_test(tc, test_empty_html_helpers);
	suite_add_tcase(s, tc);
	return s;
}
