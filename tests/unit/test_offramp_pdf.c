/*
 * Unit tests for gateway/offramp/pdf: real Ghostscript runs on small PDFs
 * written here, checked with libtiff; the time limit against a stand-in
 * that never finishes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <tiffio.h>

#include "gateway/offramp/pdf.h"
#include "mime/mime.h"

static char tmpdir[64];

static void
setup(void)
{
	g_strlcpy(tmpdir, "/tmp/t37pdfXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* A valid PDF with npages pages of w x h points, "Page N" on each. */
static char *
write_pdf(const char *name, int npages, int w, int h)
{
	GString *s = g_string_new("%PDF-1.4\n");
	GArray *off = g_array_new(FALSE, FALSE, sizeof(gsize));
	char *path = g_strdup_printf("%s/%s", tmpdir, name);
	int i, nobj = 3 + 2 * npages;
	gsize xref, o;
	GString *kids = g_string_new(NULL);

	for (i = 0; i < npages; i++)
		g_string_append_printf(kids, "%d 0 R ", 4 + 2 * i);
	o = s->len; g_array_append_val(off, o);
	g_string_append(s, "1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n");
	o = s->len; g_array_append_val(off, o);
	g_string_append_printf(s, "2 0 obj << /Type /Pages /Kids [%s] /Count %d >> endobj\n",
	    kids->str, npages);
	o = s->len; g_array_append_val(off, o);
	g_string_append(s, "3 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj\n");
	for (i = 0; i < npages; i++) {
		char *content = g_strdup_printf("BT /F1 48 Tf 72 %d Td (Page %d) Tj ET\n"
		    "0 0 m %d %d l S\n", h - 120, i + 1, w, h);

		o = s->len; g_array_append_val(off, o);
		g_string_append_printf(s, "%d 0 obj << /Type /Page /Parent 2 0 R "
		    "/MediaBox [0 0 %d %d] /Resources << /Font << /F1 3 0 R >> >> "
		    "/Contents %d 0 R >> endobj\n", 4 + 2 * i, w, h, 5 + 2 * i);
		o = s->len; g_array_append_val(off, o);
		g_string_append_printf(s, "%d 0 obj << /Length %zu >> stream\n%sendstream endobj\n",
		    5 + 2 * i, strlen(content), content);
		g_free(content);
	}
	xref = s->len;
	g_string_append_printf(s, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
	for (i = 0; i < nobj; i++)
		g_string_append_printf(s, "%010zu 00000 n \n", g_array_index(off, gsize, i));
	g_string_append_printf(s, "trailer << /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	    nobj + 1, xref);
	ck_assert(g_file_set_contents(path, s->str, (gssize)s->len, NULL));
	g_string_free(s, TRUE);
	g_string_free(kids, TRUE);
	g_array_free(off, TRUE);
	return path;
}

START_TEST(test_pdf_pages)
{
	char *pdf = write_pdf("in.pdf", 3, 612, 792);   /* US letter */
	char *out = g_strdup_printf("%s/out.tif", tmpdir);
	struct offramp_pdf_opts o = { .timeout = 60 };
	struct mime_error err;
	unsigned pages = 0, d;
	TIFF *t;

	if (access(OFFRAMP_PDF_GS_PATH, X_OK) != 0)
		return;   /* Ghostscript is a dependency; scripts/deps.sh installs it */
	ck_assert_msg(offramp_pdf_render(pdf, out, &o, &pages, &err) == 0, "%s %s",
	    err.status, err.text);
	ck_assert_uint_eq(pages, 3);
	t = TIFFOpen(out, "r");
	ck_assert_ptr_nonnull(t);
	for (d = 0; d < 3; d++) {
		uint32_t w, h;
		uint16_t comp;
		float xr, yr;

		ck_assert(TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w));
		ck_assert(TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h));
		ck_assert(TIFFGetField(t, TIFFTAG_COMPRESSION, &comp));
		ck_assert(TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr));
		ck_assert(TIFFGetField(t, TIFFTAG_YRESOLUTION, &yr));
		ck_assert_uint_eq(w, 1728);
		ck_assert_uint_eq(h, 2292);
		ck_assert_uint_eq(comp, COMPRESSION_CCITTFAX4);
		ck_assert(xr > 203.5 && xr < 204.5 && yr > 195.5 && yr < 196.5);
		ck_assert_int_eq(TIFFReadDirectory(t), d < 2 ? 1 : 0);
	}
	TIFFClose(t);
	{
		char *log = g_strdup_printf("%s.log", out);

		ck_assert(access(log, F_OK) != 0);   /* the gs log is removed */
		g_free(log);
	}
	g_free(pdf);
	g_free(out);
}
END_TEST

START_TEST(test_pdf_landscape_fits)
{
	char *pdf = write_pdf("land.pdf", 1, 842, 595);   /* A4 landscape */
	char *out = g_strdup_printf("%s/land.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;
	uint32_t w = 0;
	TIFF *t;

	if (access(OFFRAMP_PDF_GS_PATH, X_OK) != 0)
		return;
	ck_assert_int_eq(offramp_pdf_render(pdf, out, NULL, &pages, &err), 0);
	ck_assert_uint_eq(pages, 1);
	t = TIFFOpen(out, "r");
	ck_assert_ptr_nonnull(t);
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	ck_assert_uint_eq(w, 1728);
	TIFFClose(t);
	g_free(pdf);
	g_free(out);
}
END_TEST

START_TEST(test_pdf_too_many_pages)
{
	char *pdf = write_pdf("many.pdf", 4, 595, 842);
	char *out = g_strdup_printf("%s/many.tif", tmpdir);
	struct offramp_pdf_opts o = { .max_pages = 2 };
	struct mime_error err;
	unsigned pages = 9;

	if (access(OFFRAMP_PDF_GS_PATH, X_OK) != 0)
		return;
	ck_assert_int_eq(offramp_pdf_render(pdf, out, &o, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_ptr_nonnull(strstr(err.text, "more than 2 pages"));
	ck_assert_uint_eq(pages, 0);
	ck_assert(access(out, F_OK) != 0);
	g_free(pdf);
	g_free(out);
}
END_TEST

START_TEST(test_pdf_garbage)
{
	char *pdf = g_strdup_printf("%s/bad.pdf", tmpdir);
	char *out = g_strdup_printf("%s/bad.tif", tmpdir);
	struct mime_error err;
	unsigned pages;

	if (access(OFFRAMP_PDF_GS_PATH, X_OK) != 0)
		return;
	ck_assert(g_file_set_contents(pdf, "%PDF-1.4\nthis is not a pdf at all\n", -1, NULL));
	ck_assert_int_eq(offramp_pdf_render(pdf, out, NULL, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.6.5");
	ck_assert(access(out, F_OK) != 0);
	g_free(pdf);
	g_free(out);
}
END_TEST

START_TEST(test_pdf_timeout_kills)
{
	/* A stand-in for a Ghostscript that never finishes (and forks). */
	char *fake = g_strdup_printf("%s/slowgs", tmpdir);
	char *pid = g_strdup_printf("%s/child.pid", tmpdir);
	char *script = g_strdup_printf("#!/bin/sh\nsleep 30 & echo $! > %s\nwait\n", pid);
	char *out = g_strdup_printf("%s/slow.tif", tmpdir);
	struct offramp_pdf_opts o = { .gs_path = fake, .timeout = 1 };
	struct mime_error err;
	unsigned pages;
	char *pidtext = NULL;
	time_t t0 = time(NULL);

	char *pdf = g_strdup_printf("%s/min.pdf", tmpdir);

	ck_assert(g_file_set_contents(pdf, "%PDF-1.4\n%%EOF\n", -1, NULL));
	ck_assert(g_file_set_contents(fake, script, -1, NULL));
	ck_assert_int_eq(chmod(fake, 0700), 0);
	ck_assert_int_eq(offramp_pdf_render(pdf, out, &o, &pages, &err), -1);
	g_free(pdf);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_ptr_nonnull(strstr(err.text, "longer than 1 seconds"));
	ck_assert(time(NULL) - t0 < 10);
	/* The whole group died, the grandchild too. */
	ck_assert(g_file_get_contents(pid, &pidtext, NULL, NULL));
	usleep(200000);
	{
		/* Gone, or a zombie waiting for a reaper that is not us. */
		char *stat = g_strdup_printf("/proc/%d/stat", atoi(pidtext));
		char *st = NULL;

		if (g_file_get_contents(stat, &st, NULL, NULL)) {
			const char *rp = strrchr(st, ')');

			ck_assert_msg(rp != NULL && rp[2] == 'Z', "grandchild alive: %s", st);
		}
		g_free(st);
		g_free(stat);
	}
	g_free(pidtext);
	g_free(fake);
	g_free(pid);
	g_free(script);
	g_free(out);
}
END_TEST

START_TEST(test_pdf_no_gs)
{
	struct offramp_pdf_opts o = { .gs_path = "/nonexistent/gs" };
	struct mime_error err;
	unsigned pages;
	char *out = g_strdup_printf("%s/x.tif", tmpdir);
	char *pdf = g_strdup_printf("%s/min.pdf", tmpdir);

	ck_assert(g_file_set_contents(pdf, "%PDF-1.4\n%%EOF\n", -1, NULL));
	ck_assert_int_eq(offramp_pdf_render(pdf, out, &o, &pages, &err), -1);
	ck_assert_str_eq(err.status, "4.3.0");
	g_free(pdf);
	ck_assert_int_eq(offramp_pdf_render("/dev/null", "/tmp/a%d.tif", NULL, &pages, &err), -1);
	ck_assert_str_eq(err.status, "4.3.0");
	g_free(out);
}
END_TEST

Suite *
suite_offramp_pdf(void)
{
	Suite *s = suite_create("offramp_pdf");
	TCase *tc = tcase_create("gs");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pdf_pages);
	tcase_add_test(tc, test_pdf_landscape_fits);
	tcase_add_test(tc, test_pdf_too_many_pages);
	tcase_add_test(tc, test_pdf_garbage);
	tcase_add_test(tc, test_pdf_timeout_kills);
	tcase_add_test(tc, test_pdf_no_gs);
	suite_add_tcase(s, tc);
	return s;
}
