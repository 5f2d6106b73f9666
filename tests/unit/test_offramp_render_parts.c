/*
 * Unit tests for gateway/offramp_render with the parts mail clients send
 * beyond text and attachments: HTML that shows the message's images (and
 * images it does not show, which become pages), remote images left out,
 * forwarded messages, signatures, office documents (LibreOffice, or the
 * clear refusal without it) - and the list of parts with their pages
 * that the DSN prints.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <leptonica/allheaders.h>

#include "fax/fax.h"
#include "gateway/offramp/pdf.h"
#include "gateway/offramp/render.h"
#include "gateway/offramp/worker.h"
#include "mime/mime.h"

static char tmpdir[64];

static void
setup(void)
{
	g_strlcpy(tmpdir, "/tmp/t37rpXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

static struct mime_offramp *
parse_msg(const char *msg)
{
	char *path = g_strdup_printf("%s/msg.eml", tmpdir);
	struct mime_offramp_opts o = { .out_dir = tmpdir };
	struct mime_error err;
	struct mime_offramp *m;

	ck_assert(g_file_set_contents(path, msg, -1, NULL));
	m = mime_offramp_parse_file(path, &o, &err);
	ck_assert_msg(m != NULL, "%s %s", err.status, err.text);
	g_free(path);
	return m;
}

/* A 120 x 40 PNG, base64. */
static char *
png_b64(void)
{
	PIX *pix = pixCreate(120, 40, 8);
	l_uint8 *png;
	size_t len;
	char *b64;

	pixSetAll(pix);
	pixSetPixel(pix, 10, 10, 0);
	ck_assert_int_eq(pixWriteMemPng(&png, &len, pix, 0), 0);
	pixDestroy(&pix);
	b64 = g_base64_encode(png, len);
	free(png);
	return b64;
}

static const struct mime_part_outcome *
outcome(const struct offramp_render_notes *n, size_t i)
{
	ck_assert_uint_lt(i, n->noutcomes);
	return &n->outcomes[i];
}

/*
 * A mail as Outlook sends it with a cover page asked for: the note on the
 * cover, the HTML with its logo, an image of the related part the HTML
 * never names (a page of its own, after the HTML), a PDF, a signature.
 */
START_TEST(test_render_parts_outcomes)
{
	char *png = png_b64(), *msg = g_strdup_printf(
	    "From: Alice <alice@example.com>\nSubject: Order\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/signed; boundary=s; protocol=x\n\n"
	    "--s\nContent-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nCover note.\n"
	    "--m\nContent-Type: multipart/related; boundary=r\n\n"
	    "--r\nContent-Type: text/html\n\n<p>Hello</p><img src=cid:logo>"
	    "<img src=\"https://example.com/a.png\"><p>Bye</p>\n"
	    "--r\nContent-Type: image/png\nContent-ID: <logo>\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n"
	    "--r\nContent-Type: image/png; name=extra.png\nContent-ID: <extra>\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n--r--\n"
	    "--m\nContent-Type: application/pdf; name=a.pdf\n\n%%PDF-1.4\n"
	    "1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids"
	    "[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/MediaBox[0 0 612 792]"
	    "/Parent 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n--m--\n"
	    "--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\n\n"
	    "AAAA\n--s--\n", png, png);
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_notes notes;
	struct offramp_render_opts o = { .coverpage = 1, .notes = &notes };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;
	const struct mime_part_outcome *c;

	memset(&notes, 0, sizeof(notes));
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0,
	    "%s %s", err.status, err.text);
	ck_assert_uint_eq(pages, 4);
	ck_assert_uint_eq(notes.noutcomes, 6);
	c = outcome(&notes, 0);
	ck_assert_str_eq(c->label, "the cover page");
	ck_assert(c->kind == MIME_OUTCOME_FAXED && c->first == 1 && c->last == 1);
	c = outcome(&notes, 1);
	ck_assert_str_eq(c->label, "the text");
	ck_assert(c->first == 1 && c->last == 1);	/* on the cover */
	c = outcome(&notes, 2);
	ck_assert_str_eq(c->label, "the HTML text");
	ck_assert_int_eq(c->kind, MIME_OUTCOME_PARTLY);
	ck_assert(c->first == 2 && c->last == 2);
	ck_assert_str_eq(c->detail, "1 image on the Internet (the gateway never "
	    "fetches remote content)");
	c = outcome(&notes, 3);
	ck_assert_str_eq(c->label, "the attachment \"extra.png\" (image/png), which "
	    "the HTML text did not show");
	ck_assert(c->kind == MIME_OUTCOME_FAXED && c->first == 3 && c->last == 3);
	c = outcome(&notes, 4);
	ck_assert_str_eq(c->label, "the attachment \"a.pdf\" (application/pdf)");
	ck_assert(c->first == 4 && c->last == 4);
	c = outcome(&notes, 5);
	ck_assert_int_eq(c->kind, MIME_OUTCOME_NOT_FAXED);
	ck_assert_int_eq(c->lossy, 0);
	ck_assert_ptr_nonnull(strstr(c->label, "smime.p7s"));
	ck_assert_int_eq(mime_outcomes_lossy(notes.outcomes, notes.noutcomes), 1);
	offramp_render_notes_clear(&notes);
	ck_assert_ptr_null(notes.outcomes);
	mime_offramp_free(m);
	g_free(msg);
	g_free(png);
	g_free(out);
}
END_TEST

/* A forwarded message's headers stand above its text on the fax. */
START_TEST(test_render_parts_forward)
{
	struct mime_offramp *m = parse_msg(
	    "From: a@example.com\nMIME-Version: 1.0\nContent-Type: message/rfc822\n\n"
	    "From: b@example.com\nSubject: Old\nMIME-Version: 1.0\n"
	    "Content-Type: text/html\n\n<p>old body</p>\n");
	struct offramp_render_notes notes;
	struct offramp_render_opts o = { .notes = &notes };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;

	memset(&notes, 0, sizeof(notes));
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0,
	    "%s %s", err.status, err.text);
	ck_assert_uint_eq(pages, 1);
	ck_assert_uint_eq(notes.noutcomes, 1);
	ck_assert_str_eq(outcome(&notes, 0)->label,
	    "the forwarded message \"Old\": the HTML text");
	ck_assert_int_eq(outcome(&notes, 0)->kind, MIME_OUTCOME_FAXED);
	offramp_render_notes_clear(&notes);
	mime_offramp_free(m);
	g_free(out);
}
END_TEST

/* An office document: LibreOffice when it is installed (an RTF, a page);
 * none configured, or not installed: 5.6.1 naming the part and saying
 * what can be faxed. */
START_TEST(test_render_parts_office)
{
	static const char msg[] = "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nThe letter.\n"
	    "--m\nContent-Type: application/rtf; name=\"letter.rtf\"\n\n"
	    "{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0\\fs24 Dear customer,"
	    "\\par the office document.\\par}\n--m--\n";
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_notes notes;
	struct offramp_render_opts o = { .notes = &notes, .max_seconds = 120 };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;

	memset(&notes, 0, sizeof(notes));
	o.office = "";
	ck_assert_int_ne(offramp_render(m, &o, tmpdir, out, &pages, &err), 0);
	ck_assert_str_eq(err.status, "5.6.1");
	ck_assert_msg(strstr(err.text, "the attachment \"letter.rtf\" (application/rtf) "
	    "cannot be faxed") != NULL, "%s", err.text);
	ck_assert_ptr_nonnull(strstr(err.text, "PDF and images"));

	o.office = "/nonexistent/soffice";
	ck_assert_int_ne(offramp_render(m, &o, tmpdir, out, &pages, &err), 0);
	ck_assert_str_eq(err.status, "5.6.1");
	ck_assert_msg(strstr(err.text, "no office-document converter is installed "
	    "(/nonexistent/soffice") != NULL, "%s", err.text);
	ck_assert_ptr_nonnull(strstr(err.text, "letter.rtf"));

	o.office = NULL;	/* the default: LibreOffice */
	if (access(FAX_OFFICE_CONVERTER_DEFAULT, X_OK) == 0) {
		ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0,
		    "%s %s", err.status, err.text);
		ck_assert_uint_eq(pages, 2);
		ck_assert_uint_eq(notes.noutcomes, 2);
		ck_assert_str_eq(outcome(&notes, 1)->label,
		    "the attachment \"letter.rtf\" (application/rtf)");
		ck_assert_uint_eq(outcome(&notes, 1)->first, 2);
		offramp_render_notes_clear(&notes);
	} else {
		ck_assert_int_ne(offramp_render(m, &o, tmpdir, out, &pages, &err), 0);
		ck_assert_str_eq(err.status, "5.6.1");
	}
	mime_offramp_free(m);
	g_free(out);
}
END_TEST

/* The outcomes survive the trip from the worker to the daemon, and a
 * result that lies about them is refused. */
START_TEST(test_render_parts_wire)
{
	struct mime_part_outcome o[2];
	struct offramp_worker_res res, back;
	char err[128], *buf, *bad;
	size_t len;

	memset(&res, 0, sizeof(res));
	memset(o, 0, sizeof(o));
	o[0].kind = MIME_OUTCOME_PARTLY;
	o[0].first = 2;
	o[0].last = 5;
	g_strlcpy(o[0].label, "the HTML text \xe2\x80\x94 \"x\"", sizeof(o[0].label));
	g_strlcpy(o[0].detail, "1 image\non the Internet", sizeof(o[0].detail));
	o[1].kind = MIME_OUTCOME_NOT_FAXED;
	o[1].lossy = 1;
	g_strlcpy(o[1].label, "an image", sizeof(o[1].label));
	g_strlcpy(o[1].detail, "it is not a PNG", sizeof(o[1].detail));
	res.rc = 0;
	res.pages = 5;
	res.notes.outcomes = o;
	res.notes.noutcomes = 2;
	buf = offramp_worker_res_encode(&res, NULL, &len);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(offramp_worker_res_decode(buf, len, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.notes.noutcomes, 2);
	ck_assert_int_eq(back.notes.outcomes[0].kind, MIME_OUTCOME_PARTLY);
	ck_assert_uint_eq(back.notes.outcomes[0].first, 2);
	ck_assert_uint_eq(back.notes.outcomes[0].last, 5);
	ck_assert_str_eq(back.notes.outcomes[0].label, o[0].label);
	ck_assert_str_eq(back.notes.outcomes[0].detail, o[0].detail);
	ck_assert_int_eq(back.notes.outcomes[1].lossy, 1);
	offramp_worker_res_clear(&back);

	/* pages in the wrong order, an unknown kind, a label missing */
	bad = g_strdup(buf);
	memcpy(strstr(bad, "partly 2 5"), "partly 5 2", 10);
	ck_assert_int_ne(offramp_worker_res_decode(bad, len, &back, err, sizeof(err)), 0);
	ck_assert_ptr_null(back.notes.outcomes);
	memcpy(strstr(bad, "partly 5 2"), "sortof 2 5", 10);
	ck_assert_int_ne(offramp_worker_res_decode(bad, len, &back, err, sizeof(err)), 0);
	g_free(bad);
	bad = g_strdup_printf("%soutcome faxed 1 1 0\n", buf);
	ck_assert_int_ne(offramp_worker_res_decode(bad, strlen(bad), &back, err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "label"));
	g_free(bad);
	g_free(buf);
}
END_TEST

/*
 * The page limit holds for the whole message: each part may make only the
 * pages the parts before it left, and the one that crosses the limit is
 * named (rendering stops there instead of drawing every part first).
 */
static int
render_limited(const char *parts, unsigned max_pages, struct mime_error *err,
    unsigned *pages)
{
	char *msg = g_strdup_printf("From: a@example.com\nSubject: Pages\n"
	    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=m\n\n"
	    "%s--m--\n", parts);
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_opts o = { .max_pages = max_pages };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	int rc = offramp_render(m, &o, tmpdir, out, pages, err);

	mime_offramp_free(m);
	g_free(msg);
	g_free(out);
	return rc;
}

#define PART3 "--m\nContent-Type: text/plain\n\none\ftwo\fthree\n"
#define PART_ATT(name, text) "--m\nContent-Type: text/plain\n" \
	"Content-Disposition: attachment; filename=" name "\n\n" text "\n"

START_TEST(test_render_parts_page_limit)
{
	struct mime_error err;
	unsigned pages = 0;

	/* 3 + 3 pages, the limit 5: the second part is named */
	ck_assert_int_eq(render_limited(PART3 PART_ATT("b.txt", "1\f2\f3"), 5,
	    &err, &pages), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_str_eq(err.text, "the fax would have more than 5 pages: the "
	    "attachment \"b.txt\" (text/plain) starts on page 4 and does not end "
	    "by page 5; the limit is 5");
	/* 3 + 2: the limit exactly */
	ck_assert_int_eq(render_limited(PART3 PART_ATT("b.txt", "1\f2"), 5, &err,
	    &pages), 0);
	ck_assert_uint_eq(pages, 5);
	/* 3 + 2, then one more page */
	ck_assert_int_eq(render_limited(PART3 PART_ATT("b.txt", "1\f2")
	    PART_ATT("c.txt", "1"), 5, &err, &pages), -1);
	ck_assert_str_eq(err.text, "the fax would have more than 5 pages: the "
	    "attachment \"c.txt\" (text/plain) ends on page 6; the limit is 5");
	/* 3 + 2, then three more */
	ck_assert_int_eq(render_limited(PART3 PART_ATT("b.txt", "1\f2")
	    PART_ATT("c.txt", "1\f2\f3"), 5, &err, &pages), -1);
	ck_assert_str_eq(err.text, "the fax would have more than 5 pages: the "
	    "attachment \"c.txt\" (text/plain) starts on page 6; the limit is 5");
	/* HTML and images count the same way */
	{
		GString *parts = g_string_new(PART3 "--m\nContent-Type: text/html\n\n");
		char *png = png_b64();
		unsigned k;

		for (k = 0; k < 400; k++)
			g_string_append_printf(parts, "<p>Paragraph %u.</p>", k);
		g_string_append(parts, "\n");
		ck_assert_int_eq(render_limited(parts->str, 5, &err, &pages), -1);
		ck_assert_str_eq(err.status, "5.3.4");
		ck_assert_str_eq(err.text, "the fax would have more than 5 pages: the "
		    "HTML text starts on page 4 and does not end by page 5; the "
		    "limit is 5");
		g_string_assign(parts, PART3 PART_ATT("b.txt", "1\f2"));
		g_string_append_printf(parts, "--m\nContent-Type: image/png; "
		    "name=p.png\nContent-Transfer-Encoding: base64\n\n%s\n", png);
		ck_assert_int_eq(render_limited(parts->str, 5, &err, &pages), -1);
		ck_assert_str_eq(err.text, "the fax would have more than 5 pages: the "
		    "attachment \"p.png\" (image/png) ends on page 6; the limit is 5");
		g_string_free(parts, TRUE);
		g_free(png);
	}
	/* one part over it alone keeps the renderer's words */
	ck_assert_int_eq(render_limited(PART3, 2, &err, &pages), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_ptr_nonnull(strstr(err.text, "text longer than 2 pages"));
}
END_TEST

Suite *
suite_offramp_render_parts(void)
{
	Suite *s = suite_create("offramp_render_parts");
	TCase *tc = tcase_create("render");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_render_parts_outcomes);
	tcase_add_test(tc, test_render_parts_forward);
	tcase_add_test(tc, test_render_parts_office);
	tcase_add_test(tc, test_render_parts_wire);
	tcase_add_test(tc, test_render_parts_page_limit);
	suite_add_tcase(s, tc);
	return s;
}
