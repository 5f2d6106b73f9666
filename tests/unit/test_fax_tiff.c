/*
 * Unit tests for fax/ TIFF handling: the normalization corpus (made here,
 * at test time, with libtiff, ghostscript and libtiff-tools) covering every
 * input variant, checked for dimensions, resolution, page count, physical
 * size and that the result goes through a loopback; RFC 3949 Profile S
 * output checked tag by tag; bad inputs and their specific errors.
 */
#include "tests/unit/fax_test_util.h"

#include <math.h>
#include <sys/wait.h>

#include "fax/fax.h"
#include "tools/t37fax.h"

static int
normalize1(const char *in, const char *out, const struct fax_tiff_limits *l,
    struct fax_tiff_info *info, char *err, size_t errlen)
{
	return fax_tiff_normalize(&in, 1, out, l, info, err, errlen);
}

/* The normalized file goes through a loopback with every page. */
static void
assert_sends(const char *path, int pages)
{
	struct t37fax_loopback_opts o = { .ecm = 1, .t38 = 1 };
	struct fax_result tr, rr;
	char err[200];

	ck_assert_int_eq(t37fax_loopback_run(path, ft_path("loop.tif"), &o,
	    &tr, &rr, err, sizeof(err)), 0);
	ck_assert_msg(t37fax_loopback_ok(&tr, &rr), "%s / %s",
	    tr.completion_text, rr.completion_text);
	ck_assert_int_eq(rr.pages_rx, pages);
}

/* -------------------------------------------- compressions, orders */

static const struct {
	uint16_t comp;
	uint32_t g3;
} comps[] = {
	{ COMPRESSION_CCITTFAX3, 0 },		/* G3 1-D (MH) */
	{ COMPRESSION_CCITTFAX3, GROUP3OPT_2DENCODING },	/* G3 2-D */
	{ COMPRESSION_CCITTFAX4, 0 },
	{ COMPRESSION_NONE, 0 },
	{ COMPRESSION_PACKBITS, 0 },
	{ COMPRESSION_LZW, 0 },
};

/* Each compression x fill order x photometric; a fax-sized input maps
 * pixel for pixel. */
START_TEST(test_fax_norm_layouts)
{
	int c = _i / 4, fill2 = _i % 2, black = (_i / 2) % 2;
	struct ft_layout L = {
		.compression = comps[c].comp, .g3opts = comps[c].g3,
		.fillorder = fill2 ? FILLORDER_LSB2MSB : FILLORDER_MSB2LSB,
		.photometric = black ? PHOTOMETRIC_MINISBLACK :
		    PHOTOMETRIC_MINISWHITE,
	};
	struct ft_page *src = ft_pattern(1728, 300, (unsigned)_i), *got;
	struct fax_tiff_info info;
	char err[200];

	ft_write1(ft_path("in.tif"), src, &L);
	ck_assert_msg(normalize1(ft_path("in.tif"), ft_path("out.tif"), NULL,
	    &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(info.pages, 1);
	ck_assert_uint_eq(info.fine_pages, 1);
	got = ft_read(ft_path("out.tif"), 0);
	ck_assert_uint_eq(got->w, 1728);
	ck_assert_uint_eq(got->h, 300);
	ck_assert_float_eq(got->xres, 204);
	ck_assert_float_eq(got->yres, 196);
	ck_assert_uint_eq(ft_diff_rows(got, src), 0);
	ft_page_free(got);
	ft_page_free(src);
}
END_TEST

/* Tiles (bilevel and greyscale) and strips of 8-bit greyscale. */
START_TEST(test_fax_norm_tiles_grey)
{
	static const struct ft_layout layouts[] = {
		{ .compression = COMPRESSION_NONE, .tile = 256 },
		{ .compression = COMPRESSION_LZW, .tile = 128 },
		{ .compression = COMPRESSION_PACKBITS, .tile = 256,
		    .photometric = PHOTOMETRIC_MINISBLACK },
		{ .compression = COMPRESSION_LZW, .bps = 8,
		    .photometric = PHOTOMETRIC_MINISBLACK },
		{ .compression = COMPRESSION_NONE, .bps = 8, .tile = 64,
		    .photometric = PHOTOMETRIC_MINISWHITE },
	};
	struct ft_page *src = ft_pattern(1728, 400, 77), *got;
	char err[200];

	ft_write1(ft_path("in.tif"), src, &layouts[_i]);
	ck_assert_msg(normalize1(ft_path("in.tif"), ft_path("out.tif"), NULL,
	    NULL, err, sizeof(err)) == 0, "%s", err);
	got = ft_read(ft_path("out.tif"), 0);
	ck_assert_uint_eq(got->w, 1728);
	ck_assert_uint_eq(got->h, 400);
	ck_assert_uint_eq(ft_diff_rows(got, src), 0);
	ft_page_free(got);
	ft_page_free(src);
}
END_TEST

/* Greyscale is thresholded at 50%: dark grey black, light grey white. */
START_TEST(test_fax_norm_grey_threshold)
{
	TIFF *t = TIFFOpen(ft_path("g.tif"), "w");
	uint8_t row[1728];
	struct ft_page *got;
	char err[200];
	uint32_t y;

	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 100);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	for (uint32_t x = 0; x < 1728; x++)
		row[x] = x < 864 ? 40 : 210;
	for (y = 0; y < 100; y++)
		TIFFWriteScanline(t, row, y, 0);
	TIFFClose(t);
	ck_assert_msg(normalize1(ft_path("g.tif"), ft_path("o.tif"), NULL, NULL,
	    err, sizeof(err)) == 0, "%s", err);
	got = ft_read(ft_path("o.tif"), 0);
	for (y = 0; y < 100; y += 33) {
		ck_assert_int_eq(ft_get(got, 10, y), 1);
		ck_assert_int_eq(ft_get(got, 863, y), 1);
		ck_assert_int_eq(ft_get(got, 864, y), 0);
		ck_assert_int_eq(ft_get(got, 1727, y), 0);
	}
	ft_page_free(got);
}
END_TEST

/* ----------------------------------------- widths and resolutions */

static const struct {
	uint32_t w, h;
	float xres, yres;
	float out_yres;
	uint32_t out_content_w;		/* bbox width of the border */
	uint32_t out_h;
} sizes[] = {
	{ 1728, 2200, 204, 196, 196, 1728, 2200 },	/* fax fine */
	{ 1728, 1100, 204, 98, 98, 1728, 1100 },	/* fax standard */
	{ 1728, 2200, 200, 200, 196, 1728, 2200 },	/* Profile S 200 */
	{ 2048, 2600, 204, 196, 196, 1728, 2194 },	/* B4: fit */
	{ 2432, 1500, 204, 98, 98, 1728, 1066 },	/* A3: fit */
	{ 2480, 3508, 300, 300, 196, 1686, 2292 },	/* A4 @ 300 */
	{ 2550, 3300, 300, 300, 196, 1728, 2148 },	/* letter @ 300 */
	{ 3456, 4400, 408, 391, 196, 1728, 2206 },	/* superfine R16ish */
	{ 850, 1100, 100, 100, 98, 1728, 1074 },	/* letter @ 100 */
	{ 1700, 2200, 200, 200, 196, 1728, 2148 },	/* letter @ 200 */
	{ 3400, 4400, 400, 400, 196, 1728, 2148 },	/* letter @ 400 */
};

/* Same physical size: scaled to 204 dpi across, shrunk only to fit
 * 215 mm, aspect kept, content centred, nothing cropped. */
START_TEST(test_fax_norm_sizes)
{
	struct ft_page *src = ft_pattern(sizes[_i].w, sizes[_i].h, 3), *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	struct fax_tiff_info info;
	uint32_t x0, y0, x1, y1;
	char err[200];

	src->xres = sizes[_i].xres;
	src->yres = sizes[_i].yres;
	ft_write1(ft_path("in.tif"), src, &L);
	ck_assert_msg(normalize1(ft_path("in.tif"), ft_path("out.tif"), NULL,
	    &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(info.rotated_pages, 0);
	got = ft_read(ft_path("out.tif"), 0);
	ck_assert_uint_eq(got->w, 1728);
	ck_assert_float_eq(got->xres, 204);
	ck_assert_float_eq(got->yres, sizes[_i].out_yres);
	ck_assert_msg(abs((int)got->h - (int)sizes[_i].out_h) <= 2,
	    "height %u, want %u", got->h, sizes[_i].out_h);
	ck_assert(ft_bbox(got, &x0, &y0, &x1, &y1));
	ck_assert_msg(abs((int)(x1 - x0 + 1) - (int)sizes[_i].out_content_w) <= 2,
	    "content width %u, want %u", x1 - x0 + 1, sizes[_i].out_content_w);
	/* centred, not cropped: the border survives on all four sides */
	ck_assert_uint_le(abs((int)x0 - (int)(1727 - x1)), 1);
	ck_assert_uint_le(y0, 1);
	ck_assert_uint_ge(y1, got->h - 2);
	ft_page_free(got);
	ft_page_free(src);
}
END_TEST

/* Without resolution tags: fax widths are fax pages (tall = fine), wide
 * images are letter-wide scans. */
START_TEST(test_fax_norm_no_resolution)
{
	static const struct {
		uint32_t w, h;
		float yres;
		uint32_t out_h;
	} c[] = {
		{ 1728, 2200, 196, 2200 },
		{ 1728, 1100, 98, 1100 },
		{ 2550, 3300, 196, 2148 },
	};
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4,
	    .no_resolution = 1 };
	struct ft_page *src, *got;
	char err[200];

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		src = ft_pattern(c[i].w, c[i].h, 9);
		ft_write1(ft_path("in.tif"), src, &L);
		ck_assert_msg(normalize1(ft_path("in.tif"), ft_path("o.tif"), NULL,
		    NULL, err, sizeof(err)) == 0, "%s", err);
		got = ft_read(ft_path("o.tif"), 0);
		ck_assert_uint_eq(got->w, 1728);
		ck_assert_float_eq(got->yres, c[i].yres);
		ck_assert_msg(abs((int)got->h - (int)c[i].out_h) <= 2, "%zu: %u",
		    i, got->h);
		ft_page_free(got);
		ft_page_free(src);
	}
}
END_TEST

/* The output resolution can be forced: standard rows doubled exactly. */
START_TEST(test_fax_norm_force_fine)
{
	struct ft_page *src = ft_pattern(1728, 500, 8), *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX3 };
	struct fax_tiff_limits lim = { .resolution = FAX_TIFF_RES_FINE };
	char err[200];
	unsigned bad = 0;

	src->yres = 98;
	ft_write1(ft_path("in.tif"), src, &L);
	ck_assert_int_eq(normalize1(ft_path("in.tif"), ft_path("out.tif"), &lim,
	    NULL, err, sizeof(err)), 0);
	got = ft_read(ft_path("out.tif"), 0);
	ck_assert_float_eq(got->yres, 196);
	ck_assert_uint_eq(got->h, 1000);
	for (uint32_t y = 0; y < 1000; y++)
		for (uint32_t x = 0; x < 1728; x++)
			bad += ft_get(got, x, y) != ft_get(src, x, y / 2);
	ck_assert_uint_eq(bad, 0);
	ft_page_free(got);
	ft_page_free(src);
}
END_TEST

/* Landscape letter at 300 dpi is turned to portrait, same size. */
START_TEST(test_fax_norm_landscape)
{
	struct ft_page *src = ft_page_new(3300, 2550), *got;
	struct ft_layout L = { .compression = COMPRESSION_LZW };
	struct fax_tiff_info info;
	uint32_t x0, y0, x1, y1;
	char err[200];

	src->xres = src->yres = 300;
	ft_rect(src, 0, 0, 3300, 6);			/* top edge */
	ft_rect(src, 0, 2544, 3300, 2550);		/* bottom edge */
	ft_rect(src, 0, 0, 6, 600);			/* mark top-left */
	ft_write1(ft_path("in.tif"), src, &L);
	ck_assert_int_eq(normalize1(ft_path("in.tif"), ft_path("out.tif"), NULL,
	    &info, err, sizeof(err)), 0);
	ck_assert_uint_eq(info.rotated_pages, 1);
	got = ft_read(ft_path("out.tif"), 0);
	ck_assert_uint_eq(got->w, 1728);
	ck_assert_float_eq(got->yres, 196);
	ck_assert(abs((int)got->h - 2148) <= 2);
	ck_assert(ft_bbox(got, &x0, &y0, &x1, &y1));
	ck_assert_uint_le(x0, 1);
	ck_assert_uint_ge(x1, 1726);
	/* The landscape top edge is now the left edge, its left end at the
	 * bottom: counter-clockwise. */
	ck_assert_int_eq(ft_get(got, 1, got->h / 2), 1);
	ck_assert_int_eq(ft_get(got, 1726, got->h / 2), 1);
	ck_assert_int_eq(ft_get(got, 200, got->h - 2), 1);
	ck_assert_int_eq(ft_get(got, 1000, got->h - 2), 0);
	ck_assert_int_eq(ft_get(got, 200, 2), 0);
	ft_page_free(got);
	ft_page_free(src);
}
END_TEST

/* Mixed pages in one file plus a second file: every page, in order. */
START_TEST(test_fax_norm_multipage_mixed)
{
	struct ft_page *p[3];
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	struct fax_tiff_info info;
	const char *in[2];
	struct ft_page *got;
	char err[200];
	static const float want_yres[4] = { 196, 196, 98, 196 };

	p[0] = ft_pattern(1728, 300, 1);
	p[1] = ft_pattern(2550, 3300, 2);
	p[1]->xres = p[1]->yres = 300;
	p[2] = ft_pattern(1728, 150, 3);
	p[2]->yres = 98;
	ft_write(ft_path("a.tif"), p, 3, &L);
	ft_write1(ft_path("b.tif"), p[0], &L);
	in[0] = ft_path("a.tif");
	in[1] = ft_path("b.tif");
	ck_assert_msg(fax_tiff_normalize(in, 2, ft_path("out.tif"), NULL, &info,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(info.pages, 4);
	ck_assert_uint_eq(info.fine_pages, 3);
	ck_assert_int_eq(ft_pages(ft_path("out.tif")), 4);
	ck_assert_int_eq(fax_tiff_count_pages(ft_path("out.tif"), err,
	    sizeof(err)), 4);
	for (int i = 0; i < 4; i++) {
		got = ft_read(ft_path("out.tif"), i);
		ck_assert_uint_eq(got->w, 1728);
		ck_assert_float_eq(got->yres, want_yres[i]);
		ft_page_free(got);
	}
	assert_sends(ft_path("out.tif"), 4);
	for (int i = 0; i < 3; i++)
		ft_page_free(p[i]);
}
END_TEST

/* ------------------------------------ corpus from external tools */

static int
sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

#define PS_PAGE "/Helvetica findfont 30 scalefont setfont " \
	"newpath 20 20 moveto 592 20 lineto 592 772 lineto 20 772 lineto " \
	"closepath 4 setlinewidth stroke 72 700 moveto (t37gw test page) show " \
	"showpage 72 700 moveto (second page) show showpage"

static const struct {
	const char *what;
	const char *cmd;		/* %s = directory */
	int pages;
	float yres;
	int letter_h;			/* rows expected for a letter page */
} tools[] = {
	{ "gs tiffg3 fine", "gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 "
	    "-r204x196 -sPAPERSIZE=letter -sOutputFile=%s/x.tif -c '" PS_PAGE "'",
	    2, 196, 2156 },
	{ "gs tiffg4 standard", "gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 "
	    "-r204x98 -sPAPERSIZE=letter -sOutputFile=%s/x.tif -c '" PS_PAGE "'",
	    2, 98, 1078 },
	{ "gs tiffgray 300 dpi", "gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffgray "
	    "-r300 -sPAPERSIZE=letter -sOutputFile=%s/x.tif -c '" PS_PAGE "'",
	    2, 196, 2148 },
	{ "gs tiffcrle 400 dpi", "gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffcrle "
	    "-r400 -sPAPERSIZE=a4 -sOutputFile=%s/x.tif -c '" PS_PAGE "'",
	    2, 196, 2292 },
	{ "tiffcp lzw tiled lsb2msb", "gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 "
	    "-r300 -sPAPERSIZE=letter -sOutputFile=%s/y.tif -c '" PS_PAGE "' && "
	    "tiffcp -c lzw -t -f lsb2msb %s/y.tif %s/x.tif", 2, 196, 2148 },
	{ "tiffcp packbits big-endian", "gs -q -dNOPAUSE -dBATCH "
	    "-sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=letter -sOutputFile=%s/y.tif "
	    "-c '" PS_PAGE "' && tiffcp -B -c packbits %s/y.tif %s/x.tif", 2, 196,
	    2156 },
	{ "gs tiff24nc RGB, JPEG YCbCr 100 dpi", "gs -q -dNOPAUSE -dBATCH "
	    "-sDEVICE=tiff24nc -r100 -sPAPERSIZE=letter -sOutputFile=%s/y.tif "
	    "-c '" PS_PAGE "' && tiffcp -c jpeg -r 16 %s/y.tif %s/x.tif", 2, 98,
	    1074 },
	{ "ppm2tiff from PBM", "gs -q -dNOPAUSE -dBATCH -sDEVICE=pbmraw -r200 "
	    "-sPAPERSIZE=letter -dLastPage=1 -sOutputFile=%s/y.pbm -c '" PS_PAGE
	    "' && ppm2tiff -c g3:2d -R 200 %s/y.pbm %s/x.tif", 1, 196, 2148 },
};

START_TEST(test_fax_norm_tools_corpus)
{
	char cmd[2048], err[200];
	struct fax_tiff_info info;
	struct ft_page *got;

	/* The formats are the literals of tools[] above. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(cmd, sizeof(cmd), tools[_i].cmd, ft_dir, ft_dir, ft_dir);
#pragma GCC diagnostic pop
	ck_assert_msg(sh(cmd) == 0, "%s failed: %s", tools[_i].what, cmd);
	ck_assert_msg(normalize1(ft_path("x.tif"), ft_path("n.tif"), NULL,
	    &info, err, sizeof(err)) == 0, "%s: %s", tools[_i].what, err);
	ck_assert_uint_eq(info.pages, (unsigned)tools[_i].pages);
	for (int i = 0; i < tools[_i].pages; i++) {
		got = ft_read(ft_path("n.tif"), i);
		ck_assert_uint_eq(got->w, 1728);
		ck_assert_float_eq(got->xres, 204);
		ck_assert_float_eq(got->yres, tools[_i].yres);
		ck_assert_msg(abs((int)got->h - tools[_i].letter_h) <= 3,
		    "%s: height %u want %d", tools[_i].what, got->h,
		    tools[_i].letter_h);
		ft_page_free(got);
	}
	assert_sends(ft_path("n.tif"), tools[_i].pages);
}
END_TEST

/* fax2tiff from raw modem-style G3 data (MH, LSB first, 98 lpi): the
 * page it makes normalizes pixel for pixel, multi-strip, and sends. */
START_TEST(test_fax_norm_fax2tiff)
{
	struct ft_page *src = ft_pattern(1728, 600, 21), *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX3,
	    .fillorder = FILLORDER_LSB2MSB };
	TIFF *t;
	tmsize_t n;
	uint8_t *raw;
	FILE *f;
	char cmd[512], err[200];

	src->yres = 98;
	ft_write1(ft_path("mh.tif"), src, &L);
	ck_assert_ptr_nonnull(t = TIFFOpen(ft_path("mh.tif"), "r"));
	ck_assert_uint_eq(TIFFNumberOfStrips(t), 1);
	raw = malloc(1 << 20);
	n = TIFFReadRawStrip(t, 0, raw, 1 << 20);
	ck_assert_int_gt(n, 0);
	TIFFClose(t);
	ck_assert_ptr_nonnull(f = fopen(ft_path("page.g3"), "wb"));
	ck_assert_uint_eq(fwrite(raw, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	free(raw);
	snprintf(cmd, sizeof(cmd), "fax2tiff -1 -L -R 98 -r 64 -o %s %s",
	    ft_path("f.tif"), ft_path("page.g3"));
	ck_assert_int_eq(sh(cmd), 0);
	ck_assert_msg(normalize1(ft_path("f.tif"), ft_path("n.tif"), NULL, NULL,
	    err, sizeof(err)) == 0, "%s", err);
	got = ft_read(ft_path("n.tif"), 0);
	ck_assert_float_eq(got->yres, 98);
	ck_assert_uint_eq(got->h, 600);
	ck_assert_uint_eq(ft_diff_rows(got, src), 0);
	assert_sends(ft_path("n.tif"), 1);
	ft_page_free(got);
	ft_page_free(src);
}
END_TEST

/* ------------------------------------------------------ Profile S */

static void
assert_profile_s(const char *path, int pages, const float *yres)
{
	TIFF *t;
	uint16_t v16, a, b;
	uint32_t v32, h;
	float f;
	FILE *fp;
	unsigned char magic[2];

	ck_assert_ptr_nonnull(fp = fopen(path, "rb"));
	ck_assert_int_eq(fread(magic, 1, 2, fp), 2);
	fclose(fp);
	ck_assert(magic[0] == 'I' && magic[1] == 'I');	/* little-endian */
	ck_assert_ptr_nonnull(t = TIFFOpen(path, "r"));
	ck_assert_int_eq(TIFFNumberOfDirectories(t), pages);
	for (int i = 0; i < pages; i++) {
		ck_assert(TIFFSetDirectory(t, (tdir_t)i));
		ck_assert(TIFFGetField(t, TIFFTAG_SUBFILETYPE, &v32));
		ck_assert_uint_eq(v32, FILETYPE_PAGE);		/* 2 */
		ck_assert(TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &v32));
		ck_assert_uint_eq(v32, 1728);
		ck_assert(TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h));
		ck_assert(TIFFGetField(t, TIFFTAG_BITSPERSAMPLE, &v16));
		ck_assert_uint_eq(v16, 1);
		ck_assert(TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &v16));
		ck_assert_uint_eq(v16, 1);
		ck_assert(TIFFGetField(t, TIFFTAG_COMPRESSION, &v16));
		ck_assert_uint_eq(v16, COMPRESSION_CCITTFAX3);	/* MH */
		ck_assert(TIFFGetField(t, TIFFTAG_GROUP3OPTIONS, &v32));
		ck_assert(v32 == 0 || v32 == GROUP3OPT_FILLBITS);	/* 0 or 4 */
		ck_assert(TIFFGetField(t, TIFFTAG_FILLORDER, &v16));
		ck_assert_uint_eq(v16, FILLORDER_LSB2MSB);	/* 2 */
		ck_assert(TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &v16));
		ck_assert_uint_eq(v16, PHOTOMETRIC_MINISWHITE);
		ck_assert(TIFFGetField(t, TIFFTAG_XRESOLUTION, &f));
		ck_assert_float_eq(f, 204);
		ck_assert(TIFFGetField(t, TIFFTAG_YRESOLUTION, &f));
		ck_assert_float_eq(f, yres[i]);
		ck_assert(TIFFGetField(t, TIFFTAG_RESOLUTIONUNIT, &v16));
		ck_assert_uint_eq(v16, RESUNIT_INCH);
		ck_assert(TIFFGetField(t, TIFFTAG_PAGENUMBER, &a, &b));
		ck_assert_uint_eq(a, (unsigned)i);
		ck_assert_uint_eq(b, (unsigned)pages);
		ck_assert(TIFFGetField(t, TIFFTAG_ROWSPERSTRIP, &v32));
		ck_assert_uint_ge(v32, h);
		ck_assert_uint_eq(TIFFNumberOfStrips(t), 1);
	}
	TIFFClose(t);
}

/* What the receiving side stores, end to end. */
START_TEST(test_fax_profile_s_received)
{
	struct ft_page *p[2];
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	struct t37fax_loopback_opts o = { .ecm = 1, .t38 = _i };
	struct fax_result tr, rr;
	static const float yres[2] = { 196, 98 };
	char err[200];

	p[0] = ft_pattern(1728, 200, 1);
	p[1] = ft_pattern(1728, 120, 2);
	p[1]->yres = 98;
	ft_write(ft_path("s.tif"), p, 2, &L);
	ck_assert_int_eq(t37fax_loopback_run(ft_path("s.tif"), ft_path("r.tif"),
	    &o, &tr, &rr, err, sizeof(err)), 0);
	ck_assert(t37fax_loopback_ok(&tr, &rr));
	ck_assert_int_eq(rr.profile_s_error, 0);
	assert_profile_s(ft_path("r.tif"), 2, yres);
	{
		/* the far TSI spandsp recorded survives the rewrite */
		TIFF *t = TIFFOpen(ft_path("r.tif"), "r");
		const char *desc = NULL;

		ck_assert(TIFFGetField(t, TIFFTAG_IMAGEDESCRIPTION, &desc));
		ck_assert_str_eq(desc, "t37fax loopback tx");
		TIFFClose(t);
	}
	for (int i = 0; i < 2; i++) {
		struct ft_page *got = ft_read(ft_path("r.tif"), i);

		ck_assert_uint_eq(ft_diff_rows(got, p[i]), 0);
		ft_page_free(got);
		ft_page_free(p[i]);
	}
}
END_TEST

/* Rewriting odd received files: big-endian G3 2-D MSB-first superfine
 * (rows halved), B4 width (scaled to 1728), in place. */
START_TEST(test_fax_profile_s_transcode)
{
	struct ft_page *p[2], *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX3,
	    .g3opts = GROUP3OPT_2DENCODING, .big_endian = 1 };
	struct fax_tiff_info info;
	static const float yres[2] = { 196, 196 };
	char err[200];

	p[0] = ft_pattern(1728, 400, 5);
	p[0]->yres = 391;
	p[1] = ft_pattern(2048, 300, 6);
	ft_write(ft_path("r.tif"), p, 2, &L);
	ck_assert_msg(fax_tiff_profile_s(ft_path("r.tif"), ft_path("r.tif"),
	    &info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(info.pages, 2);
	assert_profile_s(ft_path("r.tif"), 2, yres);
	got = ft_read(ft_path("r.tif"), 0);
	ck_assert_uint_eq(got->h, 200);
	ft_page_free(got);
	got = ft_read(ft_path("r.tif"), 1);
	ck_assert_uint_eq(got->h, 253);		/* 300 * 1728 / 2048 */
	ft_page_free(got);
	ck_assert_int_eq(fax_tiff_profile_s(ft_path("none.tif"), ft_path("x.tif"),
	    NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ft_page_free(p[0]);
	ft_page_free(p[1]);
}
END_TEST

/* ----------------------------------------------------- bad inputs */

/* A minimal little-endian TIFF with one IFD of (tag, type, value). */
static size_t
craft(uint8_t *buf, const uint32_t (*e)[3], int n)
{
	size_t o = 8;

	memcpy(buf, "II*\0\x08\0\0\0", 8);
	buf[o++] = (uint8_t)n;
	buf[o++] = 0;
	for (int i = 0; i < n; i++) {
		uint32_t tag = e[i][0], type = e[i][1], v = e[i][2];

		buf[o++] = (uint8_t)tag;
		buf[o++] = (uint8_t)(tag >> 8);
		buf[o++] = (uint8_t)type;
		buf[o++] = 0;
		buf[o++] = 1; buf[o++] = 0; buf[o++] = 0; buf[o++] = 0;
		buf[o++] = (uint8_t)v;
		buf[o++] = (uint8_t)(v >> 8);
		buf[o++] = (uint8_t)(v >> 16);
		buf[o++] = (uint8_t)(v >> 24);
	}
	memset(buf + o, 0, 4 + 64);		/* next IFD 0, some "data" */
	return o + 4 + 64;
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
	fclose(f);
}

START_TEST(test_fax_norm_bad_inputs)
{
	uint8_t buf[512];
	size_t n;
	char err[200];
	struct ft_page *p = ft_pattern(1728, 100, 1), *pp[5];
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	struct fax_tiff_limits lim;
	FILE *f;
	long sz;
	static const uint32_t bomb[][3] = {
		{ 256, 4, 60000 }, { 257, 4, 60000 }, { 258, 3, 1 },
		{ 259, 3, 4 }, { 262, 3, 0 }, { 273, 4, 200 }, { 278, 4, 60000 },
		{ 279, 4, 16 },
	};
	static const uint32_t cmyk[][3] = {
		{ 256, 4, 100 }, { 257, 4, 100 }, { 258, 3, 8 }, { 259, 3, 1 },
		{ 262, 3, 5 }, { 277, 3, 4 }, { 273, 4, 200 }, { 278, 4, 100 },
		{ 279, 4, 40000 },
	};
	char in[256];

	snprintf(in, sizeof(in), "%s", ft_path("bad.tif"));
	/* not a TIFF */
	write_file(in, "%PDF-1.4 hello", 14);
	ck_assert_int_eq(normalize1(in, ft_path("o.tif"), NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "not a TIFF file");
	ck_assert_int_eq(access(ft_path("o.tif"), F_OK), -1);
	/* missing file */
	ck_assert_int_eq(normalize1(ft_path("nope.tif"), ft_path("o.tif"), NULL,
	    NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	/* TIFF bomb: 60000 x 60000 claimed */
	n = craft(buf, bomb, 8);
	write_file(in, buf, n);
	ck_assert_int_eq(normalize1(in, ft_path("o.tif"), NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "page 1: absurd page dimensions 60000x60000",
	    42) == 0, "%s", err);
	/* colour it cannot threshold */
	n = craft(buf, cmyk, 9);
	write_file(in, buf, n);
	ck_assert_int_eq(normalize1(in, ft_path("o.tif"), NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "colour image it cannot threshold") != NULL,
	    "%s", err);
	/* corrupt: the header of a real file, cut short */
	ft_write1(ft_path("good.tif"), p, &L);
	f = fopen(ft_path("good.tif"), "rb");
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	ck_assert_int_gt(fread(buf, 1, sizeof(buf), f), 16);
	fclose(f);
	write_file(in, buf, (size_t)(sz < 64 ? sz : 64));
	ck_assert_int_eq(normalize1(in, ft_path("o.tif"), NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "corrupt TIFF", 12) == 0 ||
	    strstr(err, "corrupt TIFF") != NULL, "%s", err);
	/* a page over the configured pixel limit */
	memset(&lim, 0, sizeof(lim));
	lim.max_pixels = 1728 * 50;
	ck_assert_int_eq(normalize1(ft_path("good.tif"), ft_path("o.tif"), &lim,
	    NULL, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "absurd page dimensions 1728x100") != NULL,
	    "%s", err);
	/* absurd resolution */
	p->xres = p->yres = 1;
	ft_write1(in, p, &L);
	p->xres = 204;
	p->yres = 196;
	ck_assert_int_eq(normalize1(in, ft_path("o.tif"), NULL, NULL, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "page 1: absurd resolution 1x1 dpi");
	/* too many pages */
	for (int i = 0; i < 5; i++)
		pp[i] = p;
	ft_write(ft_path("five.tif"), pp, 5, &L);
	memset(&lim, 0, sizeof(lim));
	lim.max_pages = 3;
	ck_assert_int_eq(normalize1(ft_path("five.tif"), ft_path("o.tif"), &lim,
	    NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "too many pages (limit 3)");
	ck_assert_int_eq(access(ft_path("o.tif"), F_OK), -1);
	/* no inputs; unwritable output */
	ck_assert_int_eq(fax_tiff_normalize(NULL, 0, ft_path("o.tif"), NULL,
	    NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no input files");
	ck_assert_int_eq(normalize1(ft_path("good.tif"), "/nonexistent/o.tif",
	    NULL, NULL, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/o.tif"));
	ft_page_free(p);
}
END_TEST

/* Two uncompressed 16x8 strips at o1 and o2 (16 bytes each). */
static size_t
craft_strips(uint8_t *buf, uint32_t o1, uint32_t o2)
{
	static const uint16_t e[9][2] = {
		{ 256, 16 }, { 257, 16 }, { 258, 1 }, { 259, 1 }, { 262, 0 },
		{ 273, 0 }, { 278, 8 }, { 279, 0 }, { 296, 2 },
	};
	size_t o = 10;

	memset(buf, 0, 512);
	memcpy(buf, "II*\0\x08\0\0\0\x09\0", 10);
	for (int i = 0; i < 9; i++, o += 12) {
		uint32_t count = 1, v = e[i][1];

		buf[o] = (uint8_t)e[i][0];
		buf[o + 1] = (uint8_t)(e[i][0] >> 8);
		buf[o + 2] = e[i][0] == 273 || e[i][0] == 279 ? 4 : 3;
		if (e[i][0] == 273 || e[i][0] == 279) {
			count = 2;
			v = e[i][0] == 273 ? 122 : 130;	/* arrays after IFD */
		}
		memcpy(buf + o + 4, &count, 4);
		memcpy(buf + o + 8, &v, 4);
	}
	/* o == 118: next IFD 0, then the two arrays */
	memcpy(buf + 122, &o1, 4);
	memcpy(buf + 126, &o2, 4);
	buf[130] = 16;
	buf[134] = 16;
	return (o1 > o2 ? o1 : o2) + 16;
}

/* Strips must lie inside the file and must not overlap. */
START_TEST(test_fax_norm_strip_checks)
{
	uint8_t buf[512];
	char err[200];
	size_t n;

	n = craft_strips(buf, 138, 154);		/* a valid file */
	write_file(ft_path("ok.tif"), buf, n);
	ck_assert_msg(normalize1(ft_path("ok.tif"), ft_path("o.tif"), NULL,
	    NULL, err, sizeof(err)) == 0, "%s", err);
	n = craft_strips(buf, 138, 140);		/* overlapping */
	write_file(ft_path("ov.tif"), buf, n);
	ck_assert_int_eq(normalize1(ft_path("ov.tif"), ft_path("o.tif"), NULL,
	    NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "page 1: corrupt TIFF: overlapping image data");
	n = craft_strips(buf, 138, 154);
	write_file(ft_path("cut.tif"), buf, n - 8);	/* past the end */
	ck_assert_int_eq(normalize1(ft_path("cut.tif"), ft_path("o.tif"), NULL,
	    NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err,
	    "page 1: corrupt TIFF: image data outside the file");
}
END_TEST

/* The in-memory entry point gives the same result as the file one. */
START_TEST(test_fax_norm_mem)
{
	struct ft_page *p = ft_pattern(2550, 3300, 4), *a, *b;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	char err[200], *data;
	FILE *f;
	long sz;

	p->xres = p->yres = 300;
	ft_write1(ft_path("in.tif"), p, &L);
	f = fopen(ft_path("in.tif"), "rb");
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = malloc((size_t)sz);
	ck_assert_uint_eq(fread(data, 1, (size_t)sz, f), (size_t)sz);
	fclose(f);
	ck_assert_int_eq(fax_tiff_normalize_mem(data, (size_t)sz,
	    ft_path("m.tif"), NULL, NULL, err, sizeof(err)), 0);
	ck_assert_int_eq(normalize1(ft_path("in.tif"), ft_path("f.tif"), NULL,
	    NULL, err, sizeof(err)), 0);
	a = ft_read(ft_path("m.tif"), 0);
	b = ft_read(ft_path("f.tif"), 0);
	ck_assert_uint_eq(ft_diff_rows(a, b), 0);
	ck_assert_int_eq(fax_tiff_normalize_mem("II*\0", 4, ft_path("x.tif"),
	    NULL, NULL, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "not a TIFF file");
	ft_page_free(a);
	ft_page_free(b);
	ft_page_free(p);
	free(data);
}
END_TEST

Suite *
suite_fax_tiff(void)
{
	Suite *s = suite_create("fax_tiff");
	TCase *tc = tcase_create("tiff");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fax_norm_layouts, 0,
	    (int)(sizeof(comps) / sizeof(comps[0])) * 4);
	tcase_add_loop_test(tc, test_fax_norm_tiles_grey, 0, 5);
	tcase_add_test(tc, test_fax_norm_grey_threshold);
	tcase_add_loop_test(tc, test_fax_norm_sizes, 0,
	    (int)(sizeof(sizes) / sizeof(sizes[0])));
	tcase_add_test(tc, test_fax_norm_force_fine);
	tcase_add_test(tc, test_fax_norm_no_resolution);
	tcase_add_test(tc, test_fax_norm_landscape);
	tcase_add_test(tc, test_fax_norm_multipage_mixed);
	tcase_add_loop_test(tc, test_fax_norm_tools_corpus, 0,
	    (int)(sizeof(tools) / sizeof(tools[0])));
	tcase_add_test(tc, test_fax_norm_fax2tiff);
	tcase_add_loop_test(tc, test_fax_profile_s_received, 0, 2);
	tcase_add_test(tc, test_fax_profile_s_transcode);
	tcase_add_test(tc, test_fax_norm_bad_inputs);
	tcase_add_test(tc, test_fax_norm_mem);
	tcase_add_test(tc, test_fax_norm_strip_checks);
	suite_add_tcase(s, tc);
	return s;
}
