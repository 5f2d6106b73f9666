/*
 * Unit tests for fax/pdf.c and fax/preview.c: fax TIFFs in every coding
 * a fax file may carry (Profile S MH, T.4 1-D and 2-D with and without
 * fill bits, T.6, FillOrder 2, min-is-black, several strips, fine and
 * standard pages in one file) become PDFs that poppler's pdfinfo and
 * pdfimages and Ghostscript read; page count, page size and image
 * resolution match the fax, and the images decode to the same pixels as
 * the TIFF. The preview is a PNG of page 1 in its true proportions.
 */
#include "tests/unit/fax_test_util.h"

#include <glib.h>
#include <leptonica/allheaders.h>

#include "fax/fax.h"

/* Runs a shell command that must succeed without complaint (nothing on
 * its standard error: poppler and Ghostscript report damaged PDFs, such
 * as a wrong cross-reference table, there); its standard output (caller
 * frees). */
static char *
run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
run(const char *fmt, ...)
{
	va_list ap;
	char *cmd, *out = NULL, *errout = NULL;
	int status = -1;

	va_start(ap, fmt);
	cmd = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	ck_assert_msg(g_spawn_command_line_sync(cmd, &out, &errout, &status, NULL),
	    "cannot run %s", cmd);
	ck_assert_msg(g_spawn_check_wait_status(status, NULL), "%s failed: %s",
	    cmd, errout);
	ck_assert_msg(*errout == '\0', "%s complained: %s", cmd, errout);
	g_free(errout);
	g_free(cmd);
	return out;
}

/* The value of a "Name: value" line of pdfinfo (static copy). */
static const char *
info_field(const char *info, const char *name)
{
	static char val[256];
	const char *p = strstr(info, name);
	size_t n;

	if (p == NULL)
		return "";
	p += strlen(name);
	while (*p == ' ')
		p++;
	n = strcspn(p, "\n");
	snprintf(val, sizeof(val), "%.*s", (int)n, p);
	return val;
}

static const char *
pdf_of(const char *tif, const char *name)
{
	struct fax_pdf_meta meta = { "Fax from +1 919 555 1234",
	    "+1 919 555 1234 (CSI Ωμέγα)", "Fax to 9913170", 1795000000 };
	unsigned char *pdf;
	size_t len;
	char err[256];
	const char *path = ft_path(name);

	ck_assert_msg(fax_tiff_to_pdf(tif, &meta, &pdf, &len, err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert(g_file_set_contents(path, (const char *)pdf, (gssize)len, NULL));
	ck_assert_int_eq(memcmp(pdf, "%PDF-1.4\n", 9), 0);
	free(pdf);
	return path;
}

/* Pages, page sizes and image resolutions from poppler, then every page
 * rendered by Ghostscript at the fax's resolution and every image
 * extracted by pdfimages, compared with the TIFF's pixels. */
static void
check_pdf(const char *tif, const char *pdf, unsigned rows_per_strip)
{
	int n = ft_pages(tif), i;
	char *info = run("pdfinfo -f 1 -l %d %s", n, pdf), *list, want[128];
	char **lines;
	int img = 0;

	ck_assert_int_eq(atoi(info_field(info, "\nPages:")), n);
	ck_assert_str_eq(info_field(info, "Title:"), "Fax from +1 919 555 1234");
	list = run("pdfimages -list %s", pdf);
	lines = g_strsplit(list, "\n", -1);
	for (i = 0; i < n; i++) {
		struct ft_page *src = ft_read(tif, i), *got;
		uint32_t strips = (src->h + rows_per_strip - 1) / rows_per_strip;
		char *gs_out = g_strdup(ft_path("gs.tif"));

		/* page size from width and rows at the page's resolution */
		snprintf(want, sizeof(want), "%g x %g pts",
		    src->w * 72.0 / src->xres, src->h * 72.0 / src->yres);
		{
			char key[32];

			snprintf(key, sizeof(key), "Page %4d size:", i + 1);
			ck_assert_str_eq(info_field(info, key), want);
		}
		/* one CCITT image a strip, at the fax's resolution, each the
		 * strip's rows when poppler decodes it */
		g_free(run("pdfimages -f %d -l %d -tiff %s %s/pi", i + 1, i + 1,
		    pdf, ft_dir));
		for (uint32_t s = 0; s < strips; s++, img++) {
			char **f = g_strsplit_set(g_strstrip(lines[2 + img]), " ", -1);
			char *words[16];
			int k = 0;
			uint32_t h = src->h - s * rows_per_strip < rows_per_strip ?
			    src->h - s * rows_per_strip : rows_per_strip;
			struct ft_page *part;
			unsigned long bad = 0;
			char *name;

			for (int j = 0; f[j] != NULL && k < 16; j++)
				if (*f[j] != '\0')
					words[k++] = f[j];
			ck_assert_int_ge(k, 14);
			ck_assert_int_eq(atoi(words[0]), i + 1);
			ck_assert_int_eq(atoi(words[3]), (int)src->w);
			ck_assert_int_eq(atoi(words[4]), (int)h);
			ck_assert_str_eq(words[8], "ccitt");
			ck_assert_int_eq(atoi(words[12]), (int)(src->xres + 0.5f));
			ck_assert_int_eq(atoi(words[13]), (int)(src->yres + 0.5f));
			g_strfreev(f);
			name = g_strdup_printf("%s/pi-%03u.tif", ft_dir, s);
			part = ft_read(name, 0);
			ck_assert_uint_eq(part->w, src->w);
			ck_assert_uint_eq(part->h, h);
			for (uint32_t y = 0; y < h; y++)
				for (uint32_t x = 0; x < src->w; x++)
					bad += ft_get(part, x, y) !=
					    ft_get(src, x, s * rows_per_strip + y);
			ck_assert_msg(bad == 0, "page %d strip %u: %lu pixels differ",
			    i + 1, s, bad);
			ft_page_free(part);
			g_free(name);
		}
		/* Ghostscript draws the page pixel for pixel */
		g_free(run("gs -q -dSAFER -dNOPAUSE -dBATCH -sDEVICE=tiffg4 "
		    "-r%dx%d -dFirstPage=%d -dLastPage=%d -sOutputFile=%s %s",
		    (int)(src->xres + 0.5f), (int)(src->yres + 0.5f), i + 1, i + 1,
		    gs_out, pdf));
		got = ft_read(gs_out, 0);
		ck_assert_uint_eq(got->w, src->w);
		ck_assert_uint_eq(got->h, src->h);
		ck_assert_uint_eq(ft_diff_rows(got, src), 0);
		ft_page_free(got);
		ft_page_free(src);
		g_free(gs_out);
	}
	ck_assert_msg(lines[2 + img] == NULL || *g_strstrip(lines[2 + img]) == '\0',
	    "more images than strips");
	g_strfreev(lines);
	g_free(list);
	g_free(info);
}

/* Two pages (fine, then standard) written with layout L. */
static const char *
two_pages(const struct ft_layout *L, const char *name)
{
	struct ft_page *pg[2] = { ft_pattern(1728, 700, 11),
	    ft_pattern(1728, 380, 12) };
	const char *path = ft_path(name);

	pg[1]->yres = 98;
	ft_write(path, pg, 2, L);
	ft_page_free(pg[0]);
	ft_page_free(pg[1]);
	return path;
}

static const struct {
	const char *name;
	struct ft_layout L;
} codings[] = {
	{ "T.4 MH", { .compression = COMPRESSION_CCITTFAX3 } },
	{ "T.4 MH, fill bits", { .compression = COMPRESSION_CCITTFAX3,
	    .g3opts = GROUP3OPT_FILLBITS } },
	{ "T.4 MR", { .compression = COMPRESSION_CCITTFAX3,
	    .g3opts = GROUP3OPT_2DENCODING } },
	{ "T.4 MR, fill bits, FillOrder 2", { .compression = COMPRESSION_CCITTFAX3,
	    .g3opts = GROUP3OPT_2DENCODING | GROUP3OPT_FILLBITS,
	    .fillorder = FILLORDER_LSB2MSB } },
	{ "T.6", { .compression = COMPRESSION_CCITTFAX4 } },
	{ "T.6, FillOrder 2, big-endian", { .compression = COMPRESSION_CCITTFAX4,
	    .fillorder = FILLORDER_LSB2MSB, .big_endian = 1 } },
	{ "T.6, min-is-black", { .compression = COMPRESSION_CCITTFAX4,
	    .photometric = PHOTOMETRIC_MINISBLACK } },
	{ "MH without EOLs (CCITT RLE)", { .compression = COMPRESSION_CCITTRLE } },
};

START_TEST(test_fax_pdf_codings)
{
	const char *tif = two_pages(&codings[_i].L, "in.tif");
	const char *pdf = pdf_of(tif, "out.pdf");

	check_pdf(tif, pdf, 100000);
}
END_TEST

/* Several strips a page: one image each, drawn at its rows. */
START_TEST(test_fax_pdf_strips)
{
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	const char *tif = two_pages(&L, "one.tif");
	char *multi = g_strdup(ft_path("multi.tif"));

	g_free(run("tiffcp -r 128 %s %s", tif, multi));
	check_pdf(multi, pdf_of(multi, "strips.pdf"), 128);
	g_free(run("tiffcp -c g3:2d -r 100 %s %s", tif, multi));
	check_pdf(multi, pdf_of(multi, "strips3.pdf"), 100);
	g_free(multi);
}
END_TEST

/* A received fax as the gateway keeps it (Profile S, from a normalized
 * file), with document info poppler reads back. */
START_TEST(test_fax_pdf_profile_s_and_info)
{
	struct fax_text_options std = { .resolution = FAX_TIFF_RES_STANDARD };
	char err[200], *info;
	const char *pdf;

	ck_assert(fax_text_render("Received fax\fpage two", 21, &std,
	    ft_path("t.tif"), NULL, err, sizeof(err)) == 0);
	ck_assert_msg(fax_tiff_profile_s(ft_path("t.tif"), ft_path("s.tif"), NULL,
	    err, sizeof(err)) == 0, "%s", err);
	pdf = pdf_of(ft_path("s.tif"), "s.pdf");
	check_pdf(ft_path("s.tif"), pdf, 100000);
	info = run("pdfinfo %s", pdf);
	ck_assert_str_eq(info_field(info, "Author:"), "+1 919 555 1234 (CSI Ωμέγα)");
	ck_assert_str_eq(info_field(info, "Subject:"), "Fax to 9913170");
	ck_assert_str_eq(info_field(info, "Producer:"), "t37gw " T37GW_VERSION);
	ck_assert_str_eq(info_field(info, "CreationDate:"), "Wed Nov 18 11:06:40 2026 UTC");
	ck_assert_str_eq(info_field(info, "Page size:"), "609.882 x 792 pts");
	g_free(info);
}
END_TEST

START_TEST(test_fax_pdf_refuses)
{
	struct ft_page *p = ft_pattern(600, 300, 3);
	struct ft_layout grey = { .compression = COMPRESSION_LZW, .bps = 8 };
	struct ft_layout raw = { .compression = COMPRESSION_NONE };
	unsigned char *pdf = (unsigned char *)"x";
	size_t len = 7;
	char err[200];

	ft_write1(ft_path("g.tif"), p, &grey);
	ck_assert_int_eq(fax_tiff_to_pdf(ft_path("g.tif"), NULL, &pdf, &len, err,
	    sizeof(err)), -1);
	ck_assert_ptr_null(pdf);
	ck_assert_uint_eq(len, 0);
	ck_assert_msg(strstr(err, "not a bilevel fax page") != NULL, "%s", err);
	ft_write1(ft_path("r.tif"), p, &raw);
	ck_assert_int_eq(fax_tiff_to_pdf(ft_path("r.tif"), NULL, &pdf, &len, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "compression 1 is not a fax coding") != NULL,
	    "%s", err);
	ck_assert_int_eq(fax_tiff_to_pdf(ft_path("none.tif"), NULL, &pdf, &len,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ft_page_free(p);
}
END_TEST

/* The preview: 600 pixels wide, true proportions at either resolution,
 * dark where the page has ink. */
START_TEST(test_fax_preview)
{
	struct ft_page *pg[2] = { ft_page_new(1728, 2156), ft_page_new(1728, 1078) };
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	char err[200];

	pg[0]->yres = 196;
	pg[1]->yres = 98;
	for (int i = 0; i < 2; i++) {
		unsigned char *png;
		size_t len;
		l_uint32 v;
		PIX *pix, *g;

		ft_rect(pg[i], 100, 0, 400, pg[i]->h / 4);
		ft_write1(ft_path("pv.tif"), pg[i], &L);
		ck_assert_msg(fax_tiff_preview_png(ft_path("pv.tif"), 0, &png, &len,
		    err, sizeof(err)) == 0, "%s", err);
		ck_assert_int_eq(memcmp(png, "\x89PNG", 4), 0);
		pix = pixReadMem(png, len);
		ck_assert_ptr_nonnull(pix);
		ck_assert_int_eq(pixGetWidth(pix), FAX_PREVIEW_WIDTH);
		/* 11 in of paper over 8.47 in of width */
		ck_assert_int_ge(pixGetHeight(pix), 776);
		ck_assert_int_le(pixGetHeight(pix), 780);
		g = pixConvertTo8(pix, FALSE);
		pixGetPixel(g, 80, 50, &v);		/* in the block */
		ck_assert_uint_lt(v, 64);
		pixGetPixel(g, 300, 400, &v);		/* white paper */
		ck_assert_uint_gt(v, 200);
		pixDestroy(&g);
		pixDestroy(&pix);
		free(png);
	}
	ft_page_free(pg[0]);
	ft_page_free(pg[1]);
}
END_TEST

Suite *
suite_fax_pdf(void)
{
	Suite *s = suite_create("fax_pdf");
	TCase *tc = tcase_create("pdf");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_fax_pdf_codings, 0,
	    (int)(sizeof(codings) / sizeof(codings[0])));
	tcase_add_test(tc, test_fax_pdf_strips);
	tcase_add_test(tc, test_fax_pdf_profile_s_and_info);
	tcase_add_test(tc, test_fax_pdf_refuses);
	tcase_add_test(tc, test_fax_preview);
	suite_add_tcase(s, tc);
	return s;
}
