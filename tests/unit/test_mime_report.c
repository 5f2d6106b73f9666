/*
 * Unit tests for mime/report (DSN) and mime/report_mdn (MDN): every report
 * is parsed back with GMime and each field checked. With T37_REPORT_OUT
 * set to a directory, the reports built here are also written there (one
 * file per case) for tests/integration/test_offramp_dsn_format.py, which
 * checks them with Python's email package.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "mime/mime.h"

#define T0 1795442700   /* 2026-11-23 14:05:00 UTC */

static char tmpdir[64];
static char origpath[128];

static const char orig_msg[] =
    "Return-Path: <alice@example.com>\n"
    "From: Alice <alice@example.com>\n"
    "To: FAX=+19195551234@fax.example.com\n"
    "Subject: =?ISO-8859-1?Q?Quarterly_figures_=E9t=E9?=\n"
    "Date: Mon, 23 Nov 2026 13:58:00 +0000\n"
    "Message-ID: <q3.figures@example.com>\n"
    "Disposition-Notification-To: alice@example.com\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Please find the figures.\n";

static void
setup(void)
{
	FILE *f;

	g_strlcpy(tmpdir, "/tmp/t37rptXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	g_snprintf(origpath, sizeof(origpath), "%s/orig.eml", tmpdir);
	f = fopen(origpath, "w");
	ck_assert_ptr_nonnull(f);
	fputs(orig_msg, f);
	fclose(f);
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* Keeps a copy of a built report for the Python check, when asked. */
static void
save_sample(const char *name, const char *buf, size_t len)
{
	const char *dir = getenv("T37_REPORT_OUT");
	char *path;

	if (dir == NULL)
		return;
	path = g_strdup_printf("%s/%s.eml", dir, name);
	ck_assert(g_file_set_contents(path, buf, (gssize)len, NULL));
	g_free(path);
}

static GMimeMessage *
parse(const char *buf, size_t len)
{
	GMimeStream *st;
	GMimeParser *p;
	GMimeMessage *m;

	g_mime_init();
	st = g_mime_stream_mem_new_with_buffer(buf, len);
	p = g_mime_parser_new_with_stream(st);
	m = g_mime_parser_construct_message(p, NULL);
	g_object_unref(p);
	g_object_unref(st);
	ck_assert_ptr_nonnull(m);
	return m;
}

/* The text part with its lines joined (the builder wraps at 72). */
static char *
text_unwrapped(GMimeObject *o);

/* The decoded content of a leaf part, as a string (caller frees). */
static char *
part_content(GMimeObject *o)
{
	GByteArray *ba = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(ba);
	guint8 nul = 0;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	if (GMIME_IS_MESSAGE_PART(o))
		g_mime_object_write_to_stream(GMIME_OBJECT(
		    g_mime_message_part_get_message(GMIME_MESSAGE_PART(o))), NULL, mem);
	else
		g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(o)), mem);
	g_object_unref(mem);
	g_byte_array_append(ba, &nul, 1);
	return (char *)g_byte_array_free(ba, FALSE);
}

static char *
text_unwrapped(GMimeObject *o)
{
	char *t = part_content(o), *p;
	char **lines = g_strsplit(t, "\n", -1);
	GString *s = g_string_new(NULL);
	int i;

	for (i = 0; lines[i] != NULL; i++) {
		size_t n = strlen(lines[i]);

		if (n > 0 && lines[i][n - 1] == '\r')
			lines[i][--n] = '\0';
		ck_assert_msg(g_utf8_strlen(lines[i], -1) <= 72, "long text line: %s", lines[i]);
		g_string_append(s, lines[i]);
		/* A paragraph break stays; a wrapped line joins with a space. */
		if (n == 0 || lines[i + 1] == NULL || lines[i + 1][0] == '\0' ||
		    lines[i + 1][0] == ' ')
			g_string_append_c(s, '\n');
		else
			g_string_append_c(s, ' ');
	}
	g_strfreev(lines);
	g_free(t);
	p = g_string_free(s, FALSE);
	return p;
}

/*
 * The value of field name in block number blk (0 = per-message) of a
 * delivery-status or disposition body, unfolded; NULL when absent.
 * Fails the test when the field occurs twice in the block.
 */
static char *
field(const char *body, int blk, const char *name)
{
	char **lines = g_strsplit(body, "\n", -1);
	GString *val = NULL;
	int b = 0, i, in = 0, seen = 0;

	for (i = 0; lines[i] != NULL; i++) {
		char *l = lines[i];
		size_t n = strlen(l);

		if (n > 0 && l[n - 1] == '\r')
			l[--n] = '\0';
		if (n == 0) {
			if (i > 0 && lines[i - 1][0] != '\0')
				b++;
			in = 0;
			continue;
		}
		if (b != blk)
			continue;
		if ((l[0] == ' ' || l[0] == '\t') && in) {
			g_string_append(val, l);
			continue;
		}
		in = 0;
		if (g_ascii_strncasecmp(l, name, strlen(name)) == 0 && l[strlen(name)] == ':') {
			ck_assert_msg(!seen, "field %s twice in block %d", name, blk);
			seen = in = 1;
			val = g_string_new(g_strchug(l + strlen(name) + 1));
		}
	}
	g_strfreev(lines);
	return val ? g_string_free(val, FALSE) : NULL;
}

#define ck_field(body, blk, name, want) do {                              \
	char *v_ = field((body), (blk), (name));                          \
	if ((want) == NULL) {                                             \
		ck_assert_msg(v_ == NULL, "%s present: %s", (name), v_);  \
	} else {                                                          \
		ck_assert_msg(v_ != NULL, "%s missing", (name));          \
		ck_assert_str_eq(v_, (const char *)(want));               \
	}                                                                 \
	g_free(v_);                                                       \
} while (0)

/* Checks the report skeleton; returns parts (text, status, returned). */
static GMimeMultipart *
check_report(GMimeMessage *m, const char *report_type, int nparts)
{
	GMimeObject *body = g_mime_message_get_mime_part(m);
	GMimeContentType *ct = g_mime_object_get_content_type(body);
	GMimeMultipart *mp;

	ck_assert(g_mime_content_type_is_type(ct, "multipart", "report"));
	ck_assert_str_eq(g_mime_content_type_get_parameter(ct, "report-type"), report_type);
	mp = GMIME_MULTIPART(body);
	ck_assert_int_eq(g_mime_multipart_get_count(mp), nparts);
	ct = g_mime_object_get_content_type(g_mime_multipart_get_part(mp, 0));
	ck_assert(g_mime_content_type_is_type(ct, "text", "plain"));
	ck_assert_str_eq(g_mime_object_get_header(GMIME_OBJECT(m), "Auto-Submitted"),
	    "auto-replied");
	ck_assert_ptr_nonnull(g_mime_message_get_message_id(m));
	ck_assert_ptr_null(g_mime_object_get_header(GMIME_OBJECT(m),
	    "Disposition-Notification-To"));
	return mp;
}

static struct mime_dsn
dsn_base(void)
{
	struct mime_dsn d = {
		.reporting_mta = "gw1.example.com",
		.from_addr = "postmaster@gw1.example.com",
		.from_name = "Fax Daemon",
		.to = "alice@example.com",
		.arrival = T0 - 420,
		.now = T0 + 60,
		.orig_path = origpath,
	};
	return d;
}

START_TEST(test_dsn_delivered)
{
	struct mime_dsn_rcpt r = {
		.final_rcpt = "FAX=+19195551234@fax.example.com",
		.number = "+19195551234", .action = MIME_DSN_DELIVERED,
		.status = "2.0.0", .pages_sent = 3, .pages_total = 3,
		.csi = "+1 919 555 1234", .duration = 72, .attempts = 1,
		.attempts_same = 1, .last_attempt = T0,
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	GMimeMessage *m;
	GMimeMultipart *mp;
	InternetAddressList *l;
	char *buf, *status, *text;
	size_t len;

	d.rcpts = &r;
	d.nrcpts = 1;
	d.ret = MIME_RET_FULL;   /* success DSNs return headers only */
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	ck_assert_uint_eq(strlen(buf), len);
	save_sample("dsn_delivered", buf, len);
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);

	l = g_mime_message_get_from(m);
	ck_assert_str_eq(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
	    internet_address_list_get_address(l, 0))), "postmaster@gw1.example.com");
	ck_assert_str_eq(internet_address_get_name(internet_address_list_get_address(l, 0)),
	    "Fax Daemon");
	l = g_mime_message_get_to(m);
	ck_assert_str_eq(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
	    internet_address_list_get_address(l, 0))), "alice@example.com");
	ck_assert_str_eq(g_mime_message_get_subject(m), "Fax to +1 919 555 1234: delivered");
	ck_assert_int_eq(g_date_time_to_unix(g_mime_message_get_date(m)), T0 + 60);

	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_ptr_nonnull(strstr(text, "The fax to +1 919 555 1234 was sent: 3 pages "
	    "in 1 min 12 s, received by the fax machine \"+1 919 555 1234\" on "
	    "2026-11-23 14:05 UTC."));
	ck_assert_ptr_nonnull(strstr(text, "Subject: Quarterly figures \xc3\xa9t\xc3\xa9"));
	g_free(text);

	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 1)), "message", "delivery-status"));
	ck_assert_int_eq(g_mime_part_get_content_encoding(GMIME_PART(
	    g_mime_multipart_get_part(mp, 1))), GMIME_CONTENT_ENCODING_7BIT);
	status = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(status, 0, "Reporting-MTA", "dns; gw1.example.com");
	ck_field(status, 0, "Original-Envelope-Id", NULL);
	ck_field(status, 0, "Arrival-Date", "Mon, 23 Nov 2026 13:58:00 +0000");
	ck_field(status, 1, "Original-Recipient", NULL);
	ck_field(status, 1, "Final-Recipient", "rfc822;FAX=+19195551234@fax.example.com");
	ck_field(status, 1, "Action", "delivered");
	ck_field(status, 1, "Status", "2.0.0");
	ck_field(status, 1, "Diagnostic-Code", NULL);
	ck_field(status, 1, "Remote-MTA", NULL);
	ck_field(status, 1, "Will-Retry-Until", NULL);
	ck_field(status, 1, "Last-Attempt-Date", "Mon, 23 Nov 2026 14:05:00 +0000");
	ck_field(status, 1, "X-Fax-Number", "+19195551234");
	ck_field(status, 1, "X-Fax-Pages", "3 of 3");
	ck_field(status, 1, "X-Fax-CSI", "+1 919 555 1234");
	ck_field(status, 1, "X-Fax-Attempts", "1");
	ck_field(status, 1, "X-Fax-Duration", "72");
	ck_field(status, 2, "Action", NULL);   /* one recipient block only */
	g_free(status);

	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 2)), "text", "rfc822-headers"));
	text = part_content(g_mime_multipart_get_part(mp, 2));
	ck_assert_ptr_nonnull(strstr(text, "Message-ID: <q3.figures@example.com>\n"));
	ck_assert_ptr_null(strstr(text, "Please find"));
	g_free(text);
	g_object_unref(m);
	g_free(buf);
}
END_TEST

/* A remark on the document goes into the plain-words part, one line,
 * control characters blanked; without one there is no "Note:". */
START_TEST(test_dsn_note)
{
	struct mime_dsn_rcpt r = {
		.final_rcpt = "FAX=+19195551234@fax.example.com",
		.number = "+19195551234", .action = MIME_DSN_DELIVERED,
		.status = "2.0.0", .pages_sent = 1, .pages_total = 1,
		.attempts = 1, .attempts_same = 1, .last_attempt = T0,
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	GMimeMessage *m;
	GMimeMultipart *mp;
	char *buf, *text;
	size_t len;

	d.rcpts = &r;
	d.nrcpts = 1;
	d.note = "3 characters of your message could not be\r\nprinted: no font "
	    "on the fax gateway has them, so the fax shows a box in place of each.";
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	save_sample("dsn_note", buf, len);
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);
	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_msg(strstr(text, "Note: 3 characters of your message could not be  "
	    "printed: no font on the fax gateway has them, so the fax shows a box in "
	    "place of each.") != NULL, "%s", text);
	g_free(text);
	g_object_unref(m);
	g_free(buf);
	d.note = NULL;
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_null(strstr(buf, "Note:"));
	g_free(buf);
}
END_TEST

/* The parts of the message and what became of each: pages, what was left
 * out of a part, a part not faxed. Anything the reader would miss makes a
 * delivery 2.6.4 (gateway/ sets it), said in the subject and the text;
 * without a delivery the list says what was prepared. */
START_TEST(test_dsn_parts)
{
	struct mime_part_outcome parts[4];
	struct mime_dsn_rcpt r = {
		.final_rcpt = "FAX=+19195551234@fax.example.com",
		.number = "+19195551234", .action = MIME_DSN_DELIVERED,
		.status = "2.6.4", .pages_sent = 4, .pages_total = 4,
		.attempts = 1, .attempts_same = 1, .last_attempt = T0,
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	GMimeMessage *m;
	GMimeMultipart *mp;
	char *buf, *text, *status;
	size_t len;

	memset(parts, 0, sizeof(parts));
	parts[0].kind = MIME_OUTCOME_FAXED;
	parts[0].first = parts[0].last = 1;
	g_strlcpy(parts[0].label, "the cover page", sizeof(parts[0].label));
	parts[1].kind = MIME_OUTCOME_PARTLY;
	parts[1].first = 2;
	parts[1].last = 3;
	g_strlcpy(parts[1].label, "the HTML text", sizeof(parts[1].label));
	g_strlcpy(parts[1].detail, "2 images on the Internet (the gateway never "
	    "fetches remote content)", sizeof(parts[1].detail));
	parts[2].kind = MIME_OUTCOME_FAXED;
	parts[2].first = parts[2].last = 4;
	g_strlcpy(parts[2].label, "the attachment \"photo.jpg\" (image/jpeg)",
	    sizeof(parts[2].label));
	parts[3].kind = MIME_OUTCOME_NOT_FAXED;
	g_strlcpy(parts[3].label, "the attachment \"smime.p7s\" "
	    "(application/pkcs7-signature)", sizeof(parts[3].label));
	g_strlcpy(parts[3].detail, "a digital signature is not part of the document",
	    sizeof(parts[3].detail));
	ck_assert_int_eq(mime_outcomes_lossy(parts, 4), 1);
	ck_assert_int_eq(mime_outcomes_lossy(parts + 2, 2), 0);

	d.rcpts = &r;
	d.nrcpts = 1;
	d.parts = parts;
	d.nparts = 4;
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	save_sample("dsn_parts", buf, len);
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);
	ck_assert_str_eq(g_mime_message_get_subject(m),
	    "Fax to +1 919 555 1234: delivered with parts left out");
	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_msg(strstr(text, "Not everything in your message could be faxed: "
	    "the parts it left out are listed below.") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "Your message was faxed as follows:\n"
	    "  - page 1: the cover page\n"
	    "  - pages 2-3: the HTML text; left out: 2 images on the Internet (the "
	    "gateway never fetches remote content)\n"
	    "  - page 4: the attachment \"photo.jpg\" (image/jpeg)\n"
	    "  - not faxed: the attachment \"smime.p7s\" (application/pkcs7-signature): "
	    "a digital signature is not part of the document\n") != NULL, "%s", text);
	g_free(text);
	status = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(status, 1, "Action", "delivered");
	ck_field(status, 1, "Status", "2.6.4");
	g_free(status);
	g_object_unref(m);
	g_free(buf);

	/* Not delivered: the same list, as what was prepared. */
	r.action = MIME_DSN_FAILED;
	r.status = "4.4.1";
	r.pages_sent = 0;
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);
	ck_assert_str_eq(g_mime_message_get_subject(m),
	    "Fax to +1 919 555 1234: not delivered");
	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_ptr_nonnull(strstr(text, "Your message was prepared for faxing as "
	    "follows:\n  - page 1: the cover page\n"));
	ck_assert_ptr_null(strstr(text, "Not everything"));
	g_free(text);
	g_object_unref(m);
	g_free(buf);
}
END_TEST

START_TEST(test_dsn_failed_busy_full)
{
	struct mime_dsn_rcpt r = {
		.final_rcpt = "FAX=+19195551234@fax.example.com",
		.orcpt_type = "rfc822", .orcpt = "FAX=+19195551234@fax.example.com",
		.number = "+19195551234", .action = MIME_DSN_FAILED,
		.status = "4.4.1", .reason = "the line was busy",
		.diagnostic = "busy (SIP 486 Busy Here)", .attempts = 5,
		.attempts_same = 5, .last_attempt = T0,
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	GMimeMessage *m, *inner;
	GMimeMultipart *mp;
	char *buf, *status, *text;
	size_t len;

	d.rcpts = &r;
	d.nrcpts = 1;
	d.ret = MIME_RET_FULL;
	d.envid = "Q3-4711";
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	save_sample("dsn_failed_busy", buf, len);
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);
	ck_assert_str_eq(g_mime_message_get_subject(m), "Fax to +1 919 555 1234: not delivered");
	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_ptr_nonnull(strstr(text, "The fax to +1 919 555 1234 was not sent: the "
	    "line was busy on all 5 attempts (last 2026-11-23 14:05 UTC)."));
	g_free(text);
	status = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(status, 0, "Original-Envelope-Id", "Q3-4711");
	ck_field(status, 1, "Original-Recipient", "rfc822;FAX=+19195551234@fax.example.com");
	ck_field(status, 1, "Action", "failed");
	ck_field(status, 1, "Status", "4.4.1");
	ck_field(status, 1, "Diagnostic-Code", "X-FAX; busy (SIP 486 Busy Here)");
	ck_field(status, 1, "X-Fax-Number", "+19195551234");
	ck_field(status, 1, "X-Fax-Pages", "0");
	ck_field(status, 1, "X-Fax-Attempts", "5");
	ck_field(status, 1, "Will-Retry-Until", NULL);
	g_free(status);
	/* RET=FULL on failure: the whole message comes back. */
	ck_assert(GMIME_IS_MESSAGE_PART(g_mime_multipart_get_part(mp, 2)));
	inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(
	    g_mime_multipart_get_part(mp, 2)));
	ck_assert_str_eq(g_mime_message_get_message_id(inner), "q3.figures@example.com");
	text = part_content(g_mime_message_get_mime_part(inner));
	ck_assert_str_eq(text, "Please find the figures.\n");
	g_free(text);
	g_object_unref(m);
	g_free(buf);
}
END_TEST

START_TEST(test_dsn_two_outcomes_and_delay)
{
	struct mime_dsn_rcpt r[3] = {
		{ .final_rcpt = "FAX=+19195551234@fax.example.com",
		  .number = "+19195551234", .action = MIME_DSN_DELIVERED,
		  .status = "2.0.0", .pages_sent = 2, .pages_total = 2,
		  .attempts = 1, .attempts_same = 1, .last_attempt = T0 },
		{ .final_rcpt = "FAX=+442071234567@fax.example.com",
		  .orcpt_type = "rfc822", .orcpt = "FAX=+442071234567@fax.example.com",
		  .number = "+442071234567", .action = MIME_DSN_FAILED,
		  .status = "4.4.2", .diagnostic = "T.30 no response to DCS (T30_ERR_TX_NODIS)",
		  .pages_sent = 1, .pages_total = 2, .attempts = 3, .attempts_same = 2,
		  .last_attempt = T0, .csi = "LONDON OFFICE" },
		{ .final_rcpt = "FAX=+15555550100@fax.example.com",
		  .number = "+15555550100", .action = MIME_DSN_DELAYED,
		  .status = "4.4.1", .reason = "nobody answered", .attempts = 1,
		  .attempts_same = 1, .last_attempt = T0, .retry_until = T0 + 1800 },
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	GMimeMessage *m;
	GMimeMultipart *mp;
	char *buf, *status, *text;
	size_t len;

	d.rcpts = r;
	d.nrcpts = 3;
	d.ret = MIME_RET_HDRS;
	d.crlf = 1;
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	save_sample("dsn_mixed_crlf", buf, len);
	{
		size_t i;

		/* CRLF everywhere: no bare LF. */
		for (i = 0; i < len; i++)
			if (buf[i] == '\n')
				ck_assert_msg(i > 0 && buf[i - 1] == '\r', "bare LF at %zu", i);
	}
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);
	ck_assert_str_eq(g_mime_message_get_subject(m),
	    "Fax delivery report: 1 delivered, 1 not delivered, 1 delayed");
	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_ptr_nonnull(strstr(text, "The fax to +442071234567 was not sent: the "
	    "call was dropped or the fax machines could not complete the transfer on "
	    "the last of 3 attempts (last 2026-11-23 14:05 UTC). 1 of 2 pages had been "
	    "sent when the call failed. The remote fax machine identified itself as "
	    "\"LONDON OFFICE\"."));
	ck_assert_ptr_nonnull(strstr(text, "The fax to +1 555 555 0100 has not been sent "
	    "yet: nobody answered (attempt 1, 2026-11-23 14:05 UTC). The gateway will "
	    "keep trying until 2026-11-23 14:35 UTC"));
	g_free(text);
	status = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(status, 1, "Action", "delivered");
	ck_field(status, 1, "Original-Recipient", NULL);
	ck_field(status, 2, "Action", "failed");
	ck_field(status, 2, "Status", "4.4.2");
	ck_field(status, 2, "Original-Recipient", "rfc822;FAX=+442071234567@fax.example.com");
	ck_field(status, 2, "Diagnostic-Code", "X-FAX; T.30 no response to DCS (T30_ERR_TX_NODIS)");
	ck_field(status, 2, "X-Fax-Pages", "1 of 2");
	ck_field(status, 2, "X-Fax-CSI", "LONDON OFFICE");
	ck_field(status, 2, "Will-Retry-Until", NULL);
	ck_field(status, 3, "Action", "delayed");
	ck_field(status, 3, "Will-Retry-Until", "Mon, 23 Nov 2026 14:35:00 +0000");
	g_free(status);
	/* RET=HDRS: headers even though one failed. */
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 2)), "text", "rfc822-headers"));
	g_object_unref(m);
	g_free(buf);
}
END_TEST

START_TEST(test_dsn_no_call_and_hostile)
{
	struct mime_dsn_rcpt r = {
		.final_rcpt = "FAX=+19195551234@fax.example.com",
		.number = "+19195551234", .action = MIME_DSN_FAILED,
		.status = "5.6.1",
		.reason = "the attachment \"winmail.dat\" (application/ms-tnef) cannot be faxed",
		.csi = "evil\r\nBcc: victim@example.com",
		.diagnostic = "line1\nX-Injected: yes and a long explanation of what the"
		    " remote fax machine said when the call ended, in words, long enough"
		    " to need folding twice over",
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	GMimeMessage *m;
	GMimeMultipart *mp;
	char *buf, *status, *text, *v;
	size_t len;
	FILE *f;

	/* An 8-bit original is not returned whole. */
	f = fopen(origpath, "a");
	fputs("caf\xe9\n", f);
	fclose(f);
	d.rcpts = &r;
	d.nrcpts = 1;
	d.ret = MIME_RET_FULL;
	buf = mime_dsn_build(&d, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	save_sample("dsn_failed_unsupported", buf, len);
	ck_assert_ptr_null(strstr(buf, "\nBcc:"));
	ck_assert_ptr_null(strstr(buf, "\nX-Injected:"));
	m = parse(buf, len);
	mp = check_report(m, "delivery-status", 3);
	text = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_ptr_nonnull(strstr(text, "was not sent: the attachment \"winmail.dat\" "
	    "(application/ms-tnef) cannot be faxed. The remote fax machine"));
	ck_assert_ptr_nonnull(strstr(text, "No call was placed."));
	ck_assert_ptr_nonnull(strstr(text, "Only the headers of your message are attached: "
	    "it contains 8-bit data."));
	g_free(text);
	status = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(status, 1, "Status", "5.6.1");
	ck_field(status, 1, "X-Fax-Attempts", "0");
	ck_field(status, 1, "Last-Attempt-Date", NULL);
	v = field(status, 1, "Diagnostic-Code");
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(strstr(v, "X-FAX; line1 X-Injected: yes"));
	g_free(v);
	{
		/* Folded, no line over 78 characters. */
		char **lines = g_strsplit(status, "\n", -1);
		int i;

		for (i = 0; lines[i] != NULL; i++)
			ck_assert_msg(strlen(lines[i]) <= 78, "long line: %s", lines[i]);
		g_strfreev(lines);
	}
	g_free(status);
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 2)), "text", "rfc822-headers"));
	g_object_unref(m);
	g_free(buf);
}
END_TEST

START_TEST(test_dsn_rejects_inconsistent)
{
	struct mime_dsn_rcpt r = {
		.final_rcpt = "FAX=+19195551234@fax.example.com",
		.action = MIME_DSN_DELIVERED, .status = "4.4.1",
	};
	struct mime_dsn d = dsn_base();
	struct mime_error err;
	size_t len;

	d.rcpts = &r;
	d.nrcpts = 1;
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));   /* delivered + 4.x */
	ck_assert_str_eq(err.status, "4.3.0");
	r.action = MIME_DSN_FAILED;
	r.status = "2.0.0";
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));   /* failed + 2.x */
	r.status = "4.4";
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));   /* not a code */
	r.action = MIME_DSN_DELAYED;
	r.status = "4.4.1";
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));   /* no retry_until */
	r.retry_until = T0;
	r.action = MIME_DSN_DELAYED;
	r.status = "5.1.1";
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));   /* delayed + 5.x */
	r.status = "4.4.1";
	d.to = "";
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));   /* never to <> */
	d.to = "alice@example.com";
	d.nrcpts = 0;
	ck_assert_ptr_null(mime_dsn_build(&d, &len, &err));
}
END_TEST

static const struct {
	const char *in, *out;
} number_cases[] = {
	{ "+19195551234", "+1 919 555 1234" },
	{ "+442071234567", "+442071234567" },
	{ "9913170", "9913170" },
	{ "+1919555123", "+1919555123" },
	{ "19194724118", "+1 919 472 4118" },
	{ "9194724118", "+1 919 472 4118" },
	{ "+10194724118", "+10194724118" },     /* no area code starts with 0 */
	{ "1194724118", "1194724118" },         /* ... or with 1 */
	{ "919472411x", "919472411x" },
	{ "", "" },
};

START_TEST(test_number_pretty)
{
	char buf[32];

	ck_assert_str_eq(mime_number_pretty(number_cases[_i].in, buf, sizeof(buf)),
	    number_cases[_i].out);
}
END_TEST

/* ---- MDN ---- */

static struct mime_offramp *
parse_orig(const char *msg)
{
	struct mime_offramp_opts opts = { .out_dir = tmpdir, .allow_empty = 1 };
	struct mime_error err;
	struct mime_offramp *o;

	ck_assert(g_file_set_contents(origpath, msg, -1, NULL));
	o = mime_offramp_parse_file(origpath, &opts, &err);
	ck_assert_msg(o != NULL, "%s", err.text);
	return o;
}

static const struct {
	const char *msg;
	const char *envelope_from;
	int allowed;
	const char *why;
} mdn_rule_cases[] = {
	{ "Return-Path: <alice@example.com>\nDisposition-Notification-To: "
	  "Alice <alice@EXAMPLE.com>\n\nx\n", "alice@example.com", 1, "" },
	{ "Disposition-Notification-To: alice@example.com\n\nx\n",
	  "alice@example.com", 1, "" },   /* envelope stands in for Return-Path */
	{ "Return-Path: <\"alice\"@example.com>\nDisposition-Notification-To: "
	  "alice@example.com\n\nx\n", "x@example.com", 1, "" },
	{ "From: a@example.com\n\nx\n", "alice@example.com", 0, "no Disposition" },
	{ "Return-Path: <Alice@example.com>\nDisposition-Notification-To: "
	  "alice@example.com\n\nx\n", "alice@example.com", 0, "differs" },
	{ "Return-Path: <bob@example.com>\nDisposition-Notification-To: "
	  "alice@example.com\n\nx\n", "bob@example.com", 0, "differs" },
	{ "Disposition-Notification-To: alice@example.com, bob@example.com\n\nx\n",
	  "alice@example.com", 0, "several" },
	{ "Disposition-Notification-To: alice@example.com\n"
	  "Disposition-Notification-To: alice@example.com\n\nx\n",
	  "alice@example.com", 0, "repeated" },
	{ "Disposition-Notification-To: alice@example.com\n\nx\n", "", 0, "null sender" },
	{ "Return-Path: <>\nDisposition-Notification-To: alice@example.com\n\nx\n",
	  "alice@example.com", 0, "null sender" },
	{ "Disposition-Notification-To: alice@example.com\nMIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=disposition-notification; "
	  "boundary=b\n\n--b\nContent-Type: text/plain\n\nx\n--b--\n",
	  "alice@example.com", 0, "itself a" },
};

START_TEST(test_mdn_rules)
{
	struct mime_offramp *o = parse_orig(mdn_rule_cases[_i].msg);
	char why[128];

	ck_assert_int_eq(mime_mdn_allowed(o, mdn_rule_cases[_i].envelope_from, why,
	    sizeof(why)), mdn_rule_cases[_i].allowed);
	ck_assert_msg(strstr(why, mdn_rule_cases[_i].why) != NULL, "why: %s", why);
	mime_offramp_free(o);
}
END_TEST

START_TEST(test_mdn_build)
{
	struct mime_mdn md = {
		.reporting_ua = "gw1.example.com; t37gw 0.1.0",
		.from_addr = "postmaster@gw1.example.com", .from_name = "Fax Daemon",
		.to = "alice@example.com",
		.original_recipient = "rfc822;FAX=+19195551234@fax.example.com",
		.final_recipient = "FAX=+19195551234@fax.example.com",
		.original_message_id = "<q3.figures@example.com>",
		.orig_subject = "Quarterly figures", .number = "+19195551234",
		.disposition = MIME_MDN_DISPATCHED, .now = T0,
	};
	struct mime_error err;
	GMimeMessage *m;
	GMimeMultipart *mp;
	char *buf, *body;
	size_t len;

	buf = mime_mdn_build(&md, &len, &err);
	ck_assert_msg(buf != NULL, "%s", err.text);
	save_sample("mdn_dispatched", buf, len);
	m = parse(buf, len);
	mp = check_report(m, "disposition-notification", 2);
	ck_assert_str_eq(g_mime_message_get_subject(m), "Fax sent: Quarterly figures");
	ck_assert(g_mime_content_type_is_type(g_mime_object_get_content_type(
	    g_mime_multipart_get_part(mp, 1)), "message", "disposition-notification"));
	body = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(body, 0, "Reporting-UA", "gw1.example.com; t37gw 0.1.0");
	ck_field(body, 0, "Original-Recipient", "rfc822;FAX=+19195551234@fax.example.com");
	ck_field(body, 0, "Final-Recipient", "rfc822;FAX=+19195551234@fax.example.com");
	ck_field(body, 0, "Original-Message-ID", "<q3.figures@example.com>");
	ck_field(body, 0, "Disposition", "automatic-action/MDN-sent-automatically; dispatched");
	ck_field(body, 0, "Error", NULL);
	g_free(body);
	body = text_unwrapped(g_mime_multipart_get_part(mp, 0));
	ck_assert_ptr_nonnull(strstr(body, "Your message was sent as a fax to +1 919 555 1234."));
	g_free(body);
	g_object_unref(m);
	g_free(buf);

	md.disposition = MIME_MDN_ERROR;
	md.error_text = "the line was busy on all 5 attempts";
	md.original_recipient = NULL;
	buf = mime_mdn_build(&md, &len, &err);
	ck_assert_ptr_nonnull(buf);
	m = parse(buf, len);
	mp = check_report(m, "disposition-notification", 2);
	body = part_content(g_mime_multipart_get_part(mp, 1));
	ck_field(body, 0, "Original-Recipient", NULL);
	ck_field(body, 0, "Disposition", "automatic-action/MDN-sent-automatically; processed/error");
	ck_field(body, 0, "Error", "the line was busy on all 5 attempts");
	g_free(body);
	g_object_unref(m);
	g_free(buf);

	md.to = NULL;
	ck_assert_ptr_null(mime_mdn_build(&md, &len, &err));
}
END_TEST

Suite *
suite_mime_report(void)
{
	Suite *s = suite_create("mime_report");
	TCase *tc = tcase_create("dsn");
	TCase *tm = tcase_create("mdn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dsn_delivered);
	tcase_add_test(tc, test_dsn_note);
	tcase_add_test(tc, test_dsn_parts);
	tcase_add_test(tc, test_dsn_failed_busy_full);
	tcase_add_test(tc, test_dsn_two_outcomes_and_delay);
	tcase_add_test(tc, test_dsn_no_call_and_hostile);
	tcase_add_test(tc, test_dsn_rejects_inconsistent);
	tcase_add_loop_test(tc, test_number_pretty, 0, G_N_ELEMENTS(number_cases));
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(tm, setup, teardown);
	tcase_add_loop_test(tm, test_mdn_rules, 0, G_N_ELEMENTS(mdn_rule_cases));
	tcase_add_test(tm, test_mdn_build);
	suite_add_tcase(s, tm);
	return s;
}
