/*
 * Hostile documents against the PDF path with the real Ghostscript:
 * PostScript that calls itself a PDF (it must never be run as PostScript),
 * a PDF whose content stream names a file outside it (Ghostscript must not
 * read it, even in its temporary directory), and a few kilobytes of nested
 * form XObjects that would keep Ghostscript busy for hours (stopped at the
 * document's limit, which the message's own deadline must never widen).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "fax_test_util.h"
#include "gateway/offramp/pdf.h"
#include "gateway/offramp/render.h"
#include "mime/mime.h"

static char tmpdir[64];

static void
setup(void)
{
	g_strlcpy(tmpdir, "/tmp/t37hpdfXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* A PDF of the given objects (1 is the catalog), with a correct xref. */
static GString *
pdf_of(const char *const *objs, int n)
{
	GString *s = g_string_new("%PDF-1.4\n");
	gsize *off = g_new(gsize, n), xref;
	int i;

	for (i = 0; i < n; i++) {
		off[i] = s->len;
		g_string_append_printf(s, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	xref = s->len;
	g_string_append_printf(s, "xref\n0 %d\n0000000000 65535 f \n", n + 1);
	for (i = 0; i < n; i++)
		g_string_append_printf(s, "%010zu 00000 n \n", off[i]);
	g_string_append_printf(s, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n"
	    "%%%%EOF\n", n + 1, xref);
	g_free(off);
	return s;
}

static char *
write_file(const char *name, const char *data, gssize len)
{
	char *path = g_strdup_printf("%s/%s", tmpdir, name);

	ck_assert(g_file_set_contents(path, data, len, NULL));
	return path;
}

/*
 * levels form XObjects, each drawing the next one fan times: fan^levels
 * line drawings from a few kilobytes.
 */
static GString *
nested_forms(int levels, int fan)
{
	GPtrArray *objs = g_ptr_array_new_with_free_func(g_free);
	GString *s;
	int i;

	g_ptr_array_add(objs, g_strdup("<< /Type /Catalog /Pages 2 0 R >>"));
	g_ptr_array_add(objs, g_strdup("<< /Type /Pages /Kids [3 0 R] /Count 1 >>"));
	g_ptr_array_add(objs, g_strdup("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
	    "/Resources << /XObject << /F0 5 0 R >> >> /Contents 4 0 R >>"));
	g_ptr_array_add(objs, g_strdup("<< /Length 6 >>\nstream\n/F0 Do\nendstream"));
	for (i = 0; i < levels; i++) {
		GString *body = g_string_new(NULL);
		char *res = i < levels - 1 ? g_strdup_printf("/Resources << /XObject << "
		    "/F%d %d 0 R >> >>", i + 1, 6 + i) : g_strdup("");
		int k;

		if (i == levels - 1)
			g_string_append(body, "0 0 m 600 800 l S");
		else
			for (k = 0; k < fan; k++)
				g_string_append_printf(body, "/F%d Do ", i + 1);
		g_ptr_array_add(objs, g_strdup_printf("<< /Type /XObject /Subtype /Form "
		    "/BBox [0 0 612 792] %s /Length %zu >>\nstream\n%s\nendstream", res,
		    body->len, body->str));
		g_free(res);
		g_string_free(body, TRUE);
	}
	s = pdf_of((const char *const *)objs->pdata, (int)objs->len);
	g_ptr_array_free(objs, TRUE);
	return s;
}

/* Handed straight to the renderer, PostScript is refused unrun. */
START_TEST(test_postscript_refused)
{
	static const char ps[] = "%!PS\n%PDF-1.4\n{} loop\n";
	char *path = write_file("loop.pdf", ps, -1);
	char *out = g_strdup_printf("%s/out.tif", tmpdir);
	struct mime_error err;
	unsigned pages;
	time_t t0 = time(NULL);

	ck_assert_int_eq(offramp_pdf_render(path, out, NULL, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.6.1");
	ck_assert(time(NULL) - t0 < 2);
	g_free(path);
	g_free(out);
}
END_TEST

/*
 * Through the parser: the 54-byte PostScript loop with a "%PDF-" comment
 * is cut to what follows that comment, so Ghostscript reads PDF (and
 * finds none) instead of running the loop until the time limit.
 */
START_TEST(test_disguised_postscript_is_pdf_or_nothing)
{
	static const char msg[] =
	    "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: application/pdf; name=invoice.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n"
	    "JSFQUy1BZG9iZS0zLjAKJVBERi0xLjQKJSUgbm90IGEgUERGCnt9IGxvb3AK\n";
	char *mpath = write_file("msg", msg, -1), *data = NULL;
	char *out = g_strdup_printf("%s/out.tif", tmpdir);
	struct mime_offramp_opts mo = { .out_dir = tmpdir };
	struct offramp_pdf_opts po = { .timeout = 20 };
	struct mime_error err;
	struct mime_offramp *m;
	const struct mime_part *p;
	unsigned pages;
	gsize len;
	time_t t0;

	m = mime_offramp_parse_file(mpath, &mo, &err);
	ck_assert_msg(m != NULL, "%s", err.text);
	p = mime_offramp_part(m, 0);
	ck_assert_int_eq(p->kind, MIME_PART_PDF);
	ck_assert(g_file_get_contents(p->path, &data, &len, NULL));
	ck_assert(len >= 5 && memcmp(data, "%PDF-", 5) == 0);
	ck_assert_ptr_null(strstr(data, "%!PS"));
	t0 = time(NULL);
	ck_assert_int_eq(offramp_pdf_render(p->path, out, &po, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.6.5");   /* not a PDF Ghostscript can read */
	ck_assert_msg(time(NULL) - t0 < 10, "it ran the loop");
	g_free(data);
	mime_offramp_free(m);
	g_free(mpath);
	g_free(out);
}
END_TEST

/*
 * A content stream that names another file (an external stream, /F):
 * Ghostscript reads anything in its temporary directory even under
 * -dSAFER; here the "secret" paints the whole page black. The page must
 * come out white: the file was not read.
 */
START_TEST(test_external_stream_not_read)
{
	char secretdir[64], *secret, *objs[4], *pdf, *out;
	GString *doc;
	struct mime_error err;
	unsigned pages;
	struct ft_page *pg;
	uint32_t x0, y0, x1, y1;
	int rc;

	g_strlcpy(secretdir, "/tmp/t37secretXXXXXX", sizeof(secretdir));
	ck_assert_ptr_nonnull(mkdtemp(secretdir));
	secret = g_strdup_printf("%s/other-job", secretdir);
	ck_assert(g_file_set_contents(secret, "0 0 612 792 re f\n", -1, NULL));
	objs[0] = g_strdup("<< /Type /Catalog /Pages 2 0 R >>");
	objs[1] = g_strdup("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
	objs[2] = g_strdup("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
	    "/Contents 4 0 R >>");
	objs[3] = g_strdup_printf("<< /Length 0 /F (%s) >>\nstream\n\nendstream", secret);
	doc = pdf_of((const char *const *)objs, 4);
	pdf = write_file("ext.pdf", doc->str, (gssize)doc->len);
	out = g_strdup_printf("%s/out.tif", tmpdir);
	rc = offramp_pdf_render(pdf, out, NULL, &pages, &err);
	ck_assert_msg(rc == 0, "%s %s", err.status, err.text);
	pg = ft_read(out, 0);
	ck_assert_ptr_nonnull(pg);
	ck_assert_msg(!ft_bbox(pg, &x0, &y0, &x1, &y1),
	    "Ghostscript read %s: black from (%u,%u) to (%u,%u)", secret, x0, y0, x1, y1);
	ft_page_free(pg);
	unlink(secret);
	rmdir(secretdir);
	for (rc = 0; rc < 4; rc++)
		g_free(objs[rc]);
	g_string_free(doc, TRUE);
	g_free(secret);
	g_free(pdf);
	g_free(out);
}
END_TEST

START_TEST(test_nested_forms_stopped)
{
	GString *doc = nested_forms(12, 16);
	char *pdf = write_file("nest.pdf", doc->str, (gssize)doc->len);
	char *out = g_strdup_printf("%s/out.tif", tmpdir);
	struct offramp_pdf_opts po = { .timeout = 2 };
	struct mime_error err;
	unsigned pages;
	time_t t0 = time(NULL);

	ck_assert_uint_lt(doc->len, 8192);
	ck_assert_int_eq(offramp_pdf_render(pdf, out, &po, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert(time(NULL) - t0 <= 4);
	g_string_free(doc, TRUE);
	g_free(pdf);
	g_free(out);
}
END_TEST

/*
 * The whole message may take max_seconds; a PDF in it no more than its own
 * limit. Before, the time left of the message replaced the PDF's limit
 * (300 s instead of 120).
 */
START_TEST(test_render_keeps_pdf_limit)
{
	GString *doc = nested_forms(12, 16);
	gchar *b64 = g_base64_encode((const guchar *)doc->str, doc->len);
	char *msg = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: application/pdf; name=forms.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n", b64);
	char *mpath = write_file("msg", msg, -1);
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_offramp_opts mo = { .out_dir = tmpdir };
	struct offramp_render_opts ro = { .max_pages = 10, .max_seconds = 300 };
	struct mime_error err;
	struct mime_offramp *m;
	unsigned pages;
	time_t t0;

	m = mime_offramp_parse_file(mpath, &mo, &err);
	ck_assert_ptr_nonnull(m);
	ro.pdf.timeout = 2;
	t0 = time(NULL);
	ck_assert_int_eq(offramp_render(m, &ro, tmpdir, out, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_msg(time(NULL) - t0 <= 5, "took %ld s", (long)(time(NULL) - t0));
	ck_assert_ptr_nonnull(strstr(err.text, "forms.pdf"));
	mime_offramp_free(m);
	g_string_free(doc, TRUE);
	g_free(b64);
	g_free(msg);
	g_free(mpath);
	g_free(out);
}
END_TEST

Suite *
suite_offramp_pdf_hostile(void)
{
	Suite *s = suite_create("offramp_pdf_hostile");
	TCase *tc = tcase_create("hostile");

	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_postscript_refused);
	tcase_add_test(tc, test_disguised_postscript_is_pdf_or_nothing);
	tcase_add_test(tc, test_external_stream_not_read);
	tcase_add_test(tc, test_nested_forms_stopped);
	tcase_add_test(tc, test_render_keeps_pdf_limit);
	suite_add_tcase(s, tc);
	return s;
}
