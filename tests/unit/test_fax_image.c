/*
 * Unit tests for image attachments to fax pages (fax_image_to_pages):
 * JPEG photos dithered, PNG screenshots binarized, GIF (first frame,
 * transparency), BMP, 16-bit greyscale and colour TIFF, EXIF orientation,
 * landscape turning, standard resolution, and refusals: huge declared
 * sizes in every format (before decoding), truncated JPEG, page and pixel
 * limits, data that is no image. Test images are made here with
 * Leptonica, libjpeg, giflib and libtiff.
 */
#include "tests/unit/fax_test_util.h"

#include <math.h>
#include <sys/stat.h>

#include <gif_lib.h>
#include <glib.h>
#include <jpeglib.h>
#include <leptonica/allheaders.h>

#include "fax/fax.h"

/* A 600 x 400 picture at the default 96 dpi prints at its size: 1275 x
 * 817 pixels at 204 x 196 dpi, left edge at 224, 88 rows below the top. */
#define SW		600
#define SH		400
#define OX(x)		(224 + (x) * 1275 / SW)
#define OY(y)		(88 + (y) * 817 / SH)

static uint32_t lcg = 12345;

static int
noise(int amp)
{
	lcg = lcg * 1103515245u + 12345u;
	return (int)((lcg >> 16) % (unsigned)(2 * amp + 1)) - amp;
}

static int
clamp8(int v)
{
	return v < 0 ? 0 : v > 255 ? 255 : v;
}

/* A textured photo with a flat mid-grey patch in the middle third. */
static PIX *
mk_photo(void)
{
	PIX *p = pixCreate(SW, SH, 32);

	lcg = 12345;
	for (int y = 0; y < SH; y++)
		for (int x = 0; x < SW; x++) {
			int v = 128 + (int)(50 * sin(x * 0.21) * sin(y * 0.17) +
			    30 * sin((x + y) * 0.05)) + noise(25);

			if (x >= SW / 3 && x < 2 * SW / 3 && y >= 3 * SH / 8 &&
			    y < 5 * SH / 8)
				pixSetRGBPixel(p, x, y, 128, 128, 128);
			else
				pixSetRGBPixel(p, x, y, clamp8(v + 20), clamp8(v),
				    clamp8(v - 20));
		}
	return p;
}

/* A screenshot: white, lines of black "glyphs", and a red highlight box
 * with glyphs inside it (rows 200..240). */
static PIX *
mk_screen(void)
{
	PIX *p = pixCreate(SW, SH, 32);
	BOX *b;

	pixSetAllArbitrary(p, 0xffffff00);
	b = boxCreate(40, 200, 520, 40);
	pixSetInRectArbitrary(p, b, 0xff000000);	/* pure red: luminance 76 */
	boxDestroy(&b);
	for (int line = 0; line < 10; line++) {
		int y = 40 + line * 30;

		if (y + 12 > 200 && y < 240)
			continue;
		for (int x = 60; x + 7 < 540; x += 10) {
			b = boxCreate(x, y, 6, 12);
			pixSetInRectArbitrary(p, b, 0x10101000);
			boxDestroy(&b);
		}
	}
	for (int x = 60; x + 7 < 540; x += 10) {	/* glyphs on red */
		b = boxCreate(x, 214, 6, 12);
		pixSetInRectArbitrary(p, b, 0x10101000);
		boxDestroy(&b);
	}
	return p;
}

static GByteArray *
encode(PIX *pix, int format)
{
	l_uint8 *data = NULL;
	size_t size = 0;
	GByteArray *a;

	if (format == IFF_JFIF_JPEG)
		ck_assert_int_eq(pixWriteMemJpeg(&data, &size, pix, 85, 0), 0);
	else
		ck_assert_int_eq(pixWriteMem(&data, &size, pix, format), 0);
	a = g_byte_array_new();
	g_byte_array_append(a, data, (guint)size);
	lept_free(data);
	return a;
}

/* Renders; returns page 0 (info filled). */
static struct ft_page *
to_pages(const GByteArray *a, const struct fax_image_limits *lim,
    struct fax_tiff_info *info)
{
	char err[256];

	ck_assert_msg(fax_image_to_pages(a->data, a->len, ft_path("o.tif"), lim,
	    info, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(ft_pages(ft_path("o.tif")), (int)info->pages);
	return ft_read(ft_path("o.tif"), 0);
}

/* The error for a, which must be refused. */
static const char *
refused(const GByteArray *a, const struct fax_image_limits *lim)
{
	static char err[256];
	struct fax_tiff_info info;

	err[0] = '\0';
	ck_assert_int_eq(fax_image_to_pages(a->data, a->len, ft_path("r.tif"),
	    lim, &info, err, sizeof(err)), -1);
	ck_assert_int_eq(access(ft_path("r.tif"), F_OK), -1);
	ck_assert_int_ne(err[0], '\0');
	return err;
}

static double
ink(const struct ft_page *p, uint32_t x0, uint32_t y0, uint32_t x1,
    uint32_t y1)
{
	unsigned long n = 0, all = 0;

	for (uint32_t y = y0; y < y1 && y < p->h; y++)
		for (uint32_t x = x0; x < x1 && x < p->w; x++) {
			n += ft_get(p, x, y);
			all++;
		}
	return all ? (double)n / (double)all : 0;
}

/* A photo costs little line time: dithered on cells, not single dots, its
 * page codes (T.6 in the TIFF) at about a bit per photo pixel, not the 3
 * bits of single-pixel error diffusion; and still shows its grey levels:
 * the flat mid-grey patch is half ink at standard resolution too. */
START_TEST(test_fax_image_photo_line_cost)
{
	PIX *pix = mk_photo();
	GByteArray *a = encode(pix, IFF_PNG);
	struct fax_image_limits lim = { 0 };
	struct fax_tiff_info info;
	struct ft_page *p;
	struct stat st;
	double bits, r;

	p = to_pages(a, NULL, &info);
	ck_assert_uint_eq(info.photo_pages, 1);
	ck_assert_int_eq(stat(ft_path("o.tif"), &st), 0);
	/* the photo's area on the page: its width by its height as placed */
	bits = 8.0 * (double)st.st_size / (817.0 * (double)(OX(SW) - OX(0)));
	ck_assert_msg(bits < 1.6, "%.2f bits a photo pixel", bits);
	ft_page_free(p);
	lim.resolution = FAX_TIFF_RES_STANDARD;
	p = to_pages(a, &lim, &info);
	ck_assert_float_eq(p->yres, 98);
	r = ink(p, OX(SW * 4 / 10), 44 + 817 / 2 * 45 / 100, OX(SW * 6 / 10),
	    44 + 817 / 2 * 55 / 100);
	ck_assert_msg(r > 0.35 && r < 0.65, "standard: mid-grey ink ratio %.3f", r);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	pixDestroy(&pix);
}
END_TEST

/* A photo is dithered: its flat mid-grey patch is half ink, not a black
 * or white block. */
START_TEST(test_fax_image_jpeg_photo_dithered)
{
	PIX *pix = mk_photo();
	GByteArray *a = encode(pix, IFF_JFIF_JPEG);
	struct fax_tiff_info info;
	struct ft_page *p;
	double r;

	ck_assert_int_eq(fax_image_sniff(a->data, a->len), FAX_IMAGE_JPEG);
	p = to_pages(a, NULL, &info);
	ck_assert_uint_eq(info.pages, 1);
	ck_assert_uint_eq(info.photo_pages, 1);
	ck_assert_uint_eq(info.rotated_pages, 0);
	ck_assert_uint_eq(p->w, 1728);
	ck_assert_float_eq(p->yres, 196);
	ck_assert_uint_eq(p->h, 88 + 817 + 49);
	r = ink(p, OX(SW * 4 / 10), OY(SH * 45 / 100), OX(SW * 6 / 10),
	    OY(SH * 55 / 100));
	ck_assert_msg(r > 0.35 && r < 0.65, "mid-grey ink ratio %.3f", r);
	/* the textured part has ink too, the margins none */
	r = ink(p, OX(10), OY(10), OX(SW / 4), OY(SH / 4));
	ck_assert_msg(r > 0.2 && r < 0.8, "texture ink ratio %.3f", r);
	ck_assert(ink(p, 0, 0, 1728, OY(0) - 2) == 0);
	ck_assert(ink(p, 0, 0, OX(0) - 2, p->h) == 0);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	pixDestroy(&pix);
}
END_TEST

/* A screenshot is binarized: glyphs black, white stays white without
 * dither dots, a red highlight turns white around its black glyphs. */
START_TEST(test_fax_image_png_screenshot)
{
	PIX *pix = mk_screen();
	GByteArray *a = encode(pix, IFF_PNG);
	struct fax_tiff_info info;
	struct ft_page *p;
	double r;

	ck_assert_int_eq(fax_image_sniff(a->data, a->len), FAX_IMAGE_PNG);
	p = to_pages(a, NULL, &info);
	ck_assert_uint_eq(info.photo_pages, 0);
	/* a glyph of line 0: x 60..66, y 40..52 */
	r = ink(p, OX(61) + 1, OY(41) + 1, OX(65), OY(51));
	ck_assert_msg(r > 0.95, "glyph ink %.3f", r);
	/* the gap between glyphs and the white between lines */
	ck_assert(ink(p, OX(67) + 2, OY(41), OX(70) - 1, OY(51)) < 0.05);
	ck_assert(ink(p, OX(60), OY(55), OX(540), OY(68)) < 0.01);
	/* glyphs on red stay black, the red between them goes white */
	r = ink(p, OX(61) + 1, OY(215) + 1, OX(65), OY(225));
	ck_assert_msg(r > 0.9, "glyph on red ink %.3f", r);
	r = ink(p, OX(67) + 2, OY(216), OX(70) - 1, OY(224));
	ck_assert_msg(r < 0.2, "red gap ink %.3f", r);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	pixDestroy(&pix);
}
END_TEST

static int
gif_put(GifFileType *g, const GifByteType *b, int n)
{
	g_byte_array_append(g->UserData, b, (guint)n);
	return n;
}

/* A GIF of two frames: the first has a black left half, a transparent
 * block and white; the second is all black (never shown on a fax). */
static GByteArray *
mk_gif(int sw, int sh)
{
	GifColorType colors[4] = { { 255, 255, 255 }, { 0, 0, 0 },
	    { 128, 128, 128 }, { 255, 0, 0 } };
	GraphicsControlBlock gcb = { 0, false, 10, 3 };
	GByteArray *a = g_byte_array_new();
	ColorMapObject *cm = GifMakeMapObject(4, colors);
	GifByteType ext[4], *line = calloc(SW, 1);
	GifFileType *g;
	int e, w = SW < sw ? SW : sw, h = SH < sh ? SH : sh;

	g = EGifOpen(a, gif_put, &e);
	ck_assert_ptr_nonnull(g);
	EGifSetGifVersion(g, true);
	ck_assert_int_eq(EGifPutScreenDesc(g, sw, sh, 2, 0, cm), GIF_OK);
	EGifGCBToExtension(&gcb, ext);
	ck_assert_int_eq(EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, ext),
	    GIF_OK);
	ck_assert_int_eq(EGifPutImageDesc(g, 0, 0, w, h, false, NULL), GIF_OK);
	for (int y = 0; y < h; y++) {
		for (int x = 0; x < w; x++)
			line[x] = x < w / 2 ? 1 : (x > 400 && x < 500 &&
			    y > 100 && y < 200) ? 3 : 0;
		ck_assert_int_eq(EGifPutLine(g, line, w), GIF_OK);
	}
	ck_assert_int_eq(EGifPutImageDesc(g, 0, 0, w, h, false, NULL), GIF_OK);
	memset(line, 1, SW);
	for (int y = 0; y < h; y++)
		ck_assert_int_eq(EGifPutLine(g, line, w), GIF_OK);
	ck_assert_int_eq(EGifCloseFile(g, &e), GIF_OK);
	GifFreeMapObject(cm);
	free(line);
	return a;
}

START_TEST(test_fax_image_gif_first_frame)
{
	GByteArray *a = mk_gif(SW, SH);
	struct fax_tiff_info info;
	struct ft_page *p;

	ck_assert_int_eq(fax_image_sniff(a->data, a->len), FAX_IMAGE_GIF);
	p = to_pages(a, NULL, &info);
	ck_assert_uint_eq(info.pages, 1);
	ck_assert(ink(p, OX(20), OY(20), OX(280), OY(380)) > 0.97);
	ck_assert(ink(p, OX(320), OY(20), OX(580), OY(380)) < 0.01);
	ck_assert(ink(p, OX(410), OY(110), OX(490), OY(190)) < 0.01);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
}
END_TEST

START_TEST(test_fax_image_bmp)
{
	PIX *pix = mk_screen();
	GByteArray *a = encode(pix, IFF_BMP);
	struct fax_tiff_info info;
	struct ft_page *p;

	ck_assert_int_eq(fax_image_sniff(a->data, a->len), FAX_IMAGE_BMP);
	p = to_pages(a, NULL, &info);
	ck_assert(ink(p, OX(61) + 1, OY(41) + 1, OX(65), OY(51)) > 0.95);
	ck_assert(ink(p, OX(60), OY(55), OX(540), OY(68)) < 0.01);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	pixDestroy(&pix);
}
END_TEST

/* A TIFF written with libtiff: bps 8 or 16, spp 1 (grey) or 3 (RGB),
 * pages of SW x SH, a black block top left on a light left-to-right ramp;
 * tiled when tile is set. */
static GByteArray *
mk_tiff(uint16_t bps, uint16_t spp, int pages, int tile)
{
	char *path = g_strdup(ft_path("mk.tif"));
	GByteArray *a;
	gchar *data;
	gsize len;
	TIFF *t = TIFFOpen(path, "w");

	ck_assert_ptr_nonnull(t);
	for (int pg = 0; pg < pages; pg++) {
		size_t px = (size_t)spp * (bps / 8);
		uint8_t *buf = calloc((size_t)SW * SH, px);

		for (int y = 0; y < SH; y++)
			for (int x = 0; x < SW; x++) {
				unsigned v = x < 120 && y < 80 ? 0 :
				    200 + x * 55 / SW;
				uint8_t *q = buf + ((size_t)y * SW + x) * px;

				for (int c = 0; c < spp; c++) {
					unsigned vv = c == 1 ? v * 9 / 10 : v;

					if (bps == 16) {
						uint16_t s = (uint16_t)(vv * 257);

						memcpy(q + 2 * c, &s, 2);
					} else {
						q[c] = (uint8_t)vv;
					}
				}
			}
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, SW);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, SH);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, spp == 3 ?
		    PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
		if (tile) {
			TIFFSetField(t, TIFFTAG_TILEWIDTH, 64);
			TIFFSetField(t, TIFFTAG_TILELENGTH, 64);
			for (int ty = 0; ty < SH; ty += 64)
				for (int tx = 0; tx < SW; tx += 64) {
					uint8_t *tb = calloc(64 * 64, px);

					for (int r = 0; r < 64 && ty + r < SH; r++)
						for (int c = 0; c < 64 &&
						    tx + c < SW; c++)
							memcpy(tb + ((size_t)r *
							    64 + c) * px, buf +
							    ((size_t)(ty + r) * SW +
							    tx + c) * px, px);
					ck_assert_int_ge(TIFFWriteTile(t, tb, tx,
					    ty, 0, 0), 0);
					free(tb);
				}
		} else {
			TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 16);
			for (int y = 0; y < SH; y++)
				ck_assert_int_ge(TIFFWriteScanline(t, buf +
				    (size_t)y * SW * px, (uint32_t)y, 0), 0);
		}
		ck_assert(TIFFWriteDirectory(t));
		free(buf);
	}
	TIFFClose(t);
	ck_assert(g_file_get_contents(path, &data, &len, NULL));
	a = g_byte_array_new_take((guint8 *)data, len);
	g_free(path);
	return a;
}

static void
check_tiff_page(const struct ft_page *p)
{
	/* the black block top left, the light ramp white */
	ck_assert(ink(p, OX(5), OY(5), OX(115), OY(75)) > 0.97);
	ck_assert(ink(p, OX(200), OY(100), OX(590), OY(390)) < 0.01);
}

START_TEST(test_fax_image_tiff_grey16)
{
	GByteArray *a = mk_tiff(16, 1, 1, 0);
	struct fax_tiff_info info;
	struct ft_page *p = to_pages(a, NULL, &info);

	ck_assert_uint_eq(info.pages, 1);
	check_tiff_page(p);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
}
END_TEST

START_TEST(test_fax_image_tiff_colour_pages)
{
	GByteArray *a = mk_tiff(8, 3, 2, 0), *b = mk_tiff(16, 3, 1, 1);
	struct fax_image_limits one = { .max_pages = 1 };
	struct fax_tiff_info info;
	struct ft_page *p = to_pages(a, NULL, &info);

	ck_assert_uint_eq(info.pages, 2);
	check_tiff_page(p);
	ft_page_free(p);
	p = ft_read(ft_path("o.tif"), 1);
	check_tiff_page(p);
	ft_page_free(p);
	ck_assert_ptr_nonnull(strstr(refused(a, &one), "too many pages"));
	/* 48-bit colour, in tiles */
	p = to_pages(b, NULL, &info);
	check_tiff_page(p);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	g_byte_array_free(b, TRUE);
}
END_TEST

/* A TIFF of bilevel pages keeps the normalizer's exact path. */
START_TEST(test_fax_image_bilevel_tiff_normalized)
{
	struct ft_page *pg = ft_pattern(1728, 1100, 3), *a, *b;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	struct fax_tiff_info info;
	gchar *data;
	gsize len;
	char err[200];

	pg->yres = 98;
	ft_write1(ft_path("bl.tif"), pg, &L);
	ck_assert(g_file_get_contents(ft_path("bl.tif"), &data, &len, NULL));
	ck_assert_msg(fax_image_to_pages(data, len, ft_path("i.tif"), NULL, &info,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(fax_tiff_normalize_mem(data, len, ft_path("n.tif"), NULL,
	    NULL, err, sizeof(err)) == 0, "%s", err);
	a = ft_read(ft_path("i.tif"), 0);
	b = ft_read(ft_path("n.tif"), 0);
	ck_assert_uint_eq(ft_diff_rows(a, b), 0);
	ck_assert_uint_eq(info.photo_pages, 0);
	ft_page_free(a);
	ft_page_free(b);
	ft_page_free(pg);
	g_free(data);
}
END_TEST

/* A JPEG with EXIF orientation and the turning of landscape images. */
static GByteArray *
mk_jpeg_exif(int w, int h, int orientation)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	uint8_t *row = malloc((size_t)w);
	/* "Exif\0\0" + II*\0 + IFD at 8: 1 entry, Orientation SHORT 1 */
	uint8_t exif[6 + 8 + 2 + 12 + 4] = { 'E', 'x', 'i', 'f', 0, 0,
	    'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0,
	    (uint8_t)orientation, 0, 0, 0, 0, 0, 0, 0 };
	GByteArray *a;

	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = (JDIMENSION)w;
	c.image_height = (JDIMENSION)h;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	jpeg_start_compress(&c, TRUE);
	jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof(exif));
	while (c.next_scanline < c.image_height) {
		JSAMPROW rp = row;
		int y = (int)c.next_scanline;

		/* black block in the top left corner */
		for (int x = 0; x < w; x++)
			row[x] = x < w / 5 && y < h / 5 ? 0 : 255;
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	a = g_byte_array_new();
	g_byte_array_append(a, out, (guint)outlen);
	free(out);
	free(row);
	return a;
}

START_TEST(test_fax_image_orientation)
{
	struct fax_tiff_info info;
	GByteArray *a = mk_jpeg_exif(400, 200, 6);
	struct ft_page *p = to_pages(a, NULL, &info);
	uint32_t x0, y0, x1, y1, cx, cy;

	/* 400 x 200 turned a quarter clockwise: 200 wide, 400 tall, the
	 * block in the top right corner */
	ck_assert_uint_eq(info.rotated_pages, 0);
	ck_assert_uint_eq(p->h, 88 + 817 + 49);
	ck_assert(ft_bbox(p, &x0, &y0, &x1, &y1));
	cx = (x0 + x1) / 2;
	cy = (y0 + y1) / 2;
	ck_assert_uint_gt(cx, (uint32_t)(1728 / 2 + 425 / 2 - 60));
	ck_assert_uint_lt(cy, (uint32_t)(88 + 160));
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	/* 3000 x 1000 at 96 dpi is 31 in wide: turned counter-clockwise to
	 * print larger, the top left block ends bottom left */
	a = mk_jpeg_exif(3000, 1000, 1);
	p = to_pages(a, NULL, &info);
	ck_assert_uint_eq(info.rotated_pages, 1);
	ck_assert(ft_bbox(p, &x0, &y0, &x1, &y1));
	ck_assert_uint_gt(y1 - y0, 2 * (x1 - x0));	/* one tall block */
	ck_assert_uint_lt(x1, 1728 / 2);
	ck_assert_uint_gt(y0, p->h / 2);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
}
END_TEST

/* Standard pages: half the rows, the same width. */
START_TEST(test_fax_image_standard)
{
	PIX *pix = mk_screen();
	GByteArray *a = encode(pix, IFF_PNG);
	struct fax_image_limits std = { .resolution = FAX_TIFF_RES_STANDARD };
	struct fax_tiff_info info;
	struct ft_page *p = to_pages(a, &std, &info);
	uint32_t x0, y0, x1, y1;

	ck_assert_float_eq(p->yres, 98);
	ck_assert_uint_eq(info.fine_pages, 0);
	ck_assert(ft_bbox(p, &x0, &y0, &x1, &y1));
	ck_assert_uint_le(x0, OX(40) + 2);
	ck_assert_uint_ge(x1, OX(560) - 3);
	/* 400 rows at 96 dpi are 4.17 in: 408 rows at 98 dpi */
	ck_assert_uint_eq(p->h, 44 + 408 + 25);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
	pixDestroy(&pix);
}
END_TEST

static uint32_t
crc32_of(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static void
put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Every format declaring a huge image is refused from its header. */
START_TEST(test_fax_image_huge_headers)
{
	uint8_t png[8 + 25 + 12 + 12];
	GByteArray *a = g_byte_array_new(), *j, *b, *g;
	PIX *pix = pixCreate(64, 64, 32);
	const char *e;
	size_t k;

	/* PNG: IHDR 100000 x 100000 grey, an empty IDAT, IEND */
	memcpy(png, "\x89PNG\r\n\x1a\n", 8);
	put32be(png + 8, 13);
	memcpy(png + 12, "IHDR", 4);
	put32be(png + 16, 100000);
	put32be(png + 20, 100000);
	memcpy(png + 24, "\x08\x00\x00\x00\x00", 5);
	put32be(png + 29, crc32_of(png + 12, 17));
	put32be(png + 33, 0);
	memcpy(png + 37, "IDAT", 4);
	put32be(png + 41, crc32_of(png + 37, 4));
	put32be(png + 45, 0);
	memcpy(png + 49, "IEND", 4);
	put32be(png + 53, crc32_of(png + 49, 4));
	g_byte_array_append(a, png, sizeof(png));
	e = refused(a, NULL);
	ck_assert_msg(strstr(e, "100000 x 100000 pixels") != NULL, "%s", e);
	ck_assert_ptr_nonnull(strstr(e, "limit"));

	/* JPEG: SOF0 patched to 65000 x 65000 */
	pixSetAllArbitrary(pix, 0x80808000);
	j = encode(pix, IFF_JFIF_JPEG);
	for (k = 0; k + 9 < j->len; k++)
		if (j->data[k] == 0xff && j->data[k + 1] == 0xc0) {
			memcpy(j->data + k + 5, "\xfd\xe8\xfd\xe8", 4);
			break;
		}
	e = refused(j, NULL);
	ck_assert_msg(strstr(e, "65000 x 65000") != NULL, "%s", e);

	/* GIF: a 60000 x 60000 screen */
	g = mk_gif(60000, 60000);
	e = refused(g, NULL);
	ck_assert_msg(strstr(e, "60000 x 60000") != NULL, "%s", e);

	/* BMP: 100000 x -100000 (top-down) */
	b = encode(pix, IFF_BMP);
	memcpy(b->data + 18, "\xa0\x86\x01\x00\x60\x79\xfe\xff", 8);
	e = refused(b, NULL);
	ck_assert_msg(strstr(e, "100000 x 100000") != NULL, "%s", e);

	/* and a small image over a lowered limit */
	{
		struct fax_image_limits lim = { .max_pixels = 1000 };
		GByteArray *s = encode(pix, IFF_PNG);

		e = refused(s, &lim);
		ck_assert_msg(strstr(e, "64 x 64 pixels; the limit is 1000") !=
		    NULL, "%s", e);
		g_byte_array_free(s, TRUE);
	}
	g_byte_array_free(a, TRUE);
	g_byte_array_free(j, TRUE);
	g_byte_array_free(g, TRUE);
	g_byte_array_free(b, TRUE);
	pixDestroy(&pix);
}
END_TEST

/* A TIFF page that declares a huge size is refused before it is read. */
START_TEST(test_fax_image_huge_tiff)
{
	TIFF *t = TIFFOpen(ft_path("huge.tif"), "w");
	uint8_t row[8] = { 0 };
	gchar *data;
	gsize len;
	GByteArray *a;
	const char *e;

	ck_assert_ptr_nonnull(t);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 8);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 1);
	ck_assert_int_ge(TIFFWriteScanline(t, row, 0, 0), 0);
	TIFFClose(t);
	ck_assert(g_file_get_contents(ft_path("huge.tif"), &data, &len, NULL));
	a = g_byte_array_new_take((guint8 *)data, len);
	/* patch ImageWidth and ImageLength (SHORT) in the one IFD */
	{
		uint32_t ifd = (uint32_t)a->data[4] | (uint32_t)a->data[5] << 8 |
		    (uint32_t)a->data[6] << 16 | (uint32_t)a->data[7] << 24;
		unsigned n = a->data[ifd] | a->data[ifd + 1] << 8;

		for (unsigned i = 0; i < n; i++) {
			uint8_t *en = a->data + ifd + 2 + 12 * i;
			unsigned tag = en[0] | en[1] << 8;

			if (tag == 256 || tag == 257) {
				en[2] = 4;		/* LONG */
				en[3] = 0;
				memcpy(en + 8, "\x40\x0d\x03\x00", 4);	/* 200000 */
			}
		}
	}
	e = refused(a, NULL);
	ck_assert_msg(strstr(e, "200000 x 200000") != NULL, "%s", e);
	g_byte_array_free(a, TRUE);
}
END_TEST

/* A picture TIFF of many pages may not make more work than five pages at
 * the pixel limit. */
START_TEST(test_fax_image_tiff_total_pixels)
{
	GByteArray *a = mk_tiff(8, 1, 7, 0);
	struct fax_image_limits lim = { .max_pixels = 300000 };
	struct fax_tiff_info info;
	struct ft_page *p;
	const char *e = refused(a, &lim);

	ck_assert_msg(strstr(e, "the image's pages have 1680000 pixels together; "
	    "the limit is 1500000") != NULL, "%s", e);
	g_byte_array_free(a, TRUE);
	a = mk_tiff(8, 1, 6, 0);		/* 1440000: within */
	p = to_pages(a, &lim, &info);
	ck_assert_uint_eq(info.pages, 6);
	ft_page_free(p);
	g_byte_array_free(a, TRUE);
}
END_TEST

/* A progressive JPEG of more scans than real photos use is refused (a few
 * kilobytes could otherwise cost minutes of CPU). */
START_TEST(test_fax_image_jpeg_scans)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr jerr;
	jpeg_scan_info scans[2 + 63 * 2];
	unsigned char *out = NULL;
	unsigned long outlen = 0;
	uint8_t row[64];
	GByteArray *a;
	const char *e;
	int n = 0;

	/* DC, then every AC coefficient alone, each in two passes */
	for (int k = 0; k < 64; k++)
		for (int pass = 0; pass < 2; pass++) {
			scans[n].comps_in_scan = 1;
			scans[n].component_index[0] = 0;
			scans[n].Ss = k;
			scans[n].Se = k;
			scans[n].Ah = pass;
			scans[n].Al = pass ? 0 : 1;
			n++;
		}
	c.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &out, &outlen);
	c.image_width = 64;
	c.image_height = 64;
	c.input_components = 1;
	c.in_color_space = JCS_GRAYSCALE;
	jpeg_set_defaults(&c);
	c.scan_info = scans;
	c.num_scans = n;
	jpeg_start_compress(&c, TRUE);
	for (int y = 0; y < 64; y++) {
		JSAMPROW rp = row;

		for (int x = 0; x < 64; x++)
			row[x] = (uint8_t)(x * 4 ^ y * 3);
		jpeg_write_scanlines(&c, &rp, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	a = g_byte_array_new();
	g_byte_array_append(a, out, (guint)outlen);
	free(out);
	e = refused(a, NULL);
	ck_assert_msg(strstr(e, "more than 100 progressive scans") != NULL, "%s", e);
	g_byte_array_free(a, TRUE);
}
END_TEST

START_TEST(test_fax_image_truncated_and_junk)
{
	PIX *pix = mk_photo();
	GByteArray *a = encode(pix, IFF_JFIF_JPEG), *png = encode(pix, IFF_PNG);
	GByteArray *junk = g_byte_array_new();
	const char *e;

	g_byte_array_set_size(a, a->len / 2);
	e = refused(a, NULL);
	ck_assert_msg(strstr(e, "truncated JPEG") != NULL, "%s", e);
	g_byte_array_set_size(png, png->len / 2);
	e = refused(png, NULL);
	ck_assert_msg(strstr(e, "corrupt PNG") != NULL, "%s", e);
	g_byte_array_append(junk, (const guint8 *)"hello, not an image", 19);
	e = refused(junk, NULL);
	ck_assert_str_eq(e, "not a PNG, JPEG, GIF, BMP or TIFF image");
	g_byte_array_set_size(junk, 0);
	e = refused(junk, NULL);
	ck_assert_str_eq(e, "not a PNG, JPEG, GIF, BMP or TIFF image");
	g_byte_array_free(a, TRUE);
	g_byte_array_free(png, TRUE);
	g_byte_array_free(junk, TRUE);
	pixDestroy(&pix);
}
END_TEST

Suite *
suite_fax_image(void)
{
	Suite *s = suite_create("fax_image");
	TCase *tc = tcase_create("image");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fax_image_jpeg_photo_dithered);
	tcase_add_test(tc, test_fax_image_photo_line_cost);
	tcase_add_test(tc, test_fax_image_png_screenshot);
	tcase_add_test(tc, test_fax_image_gif_first_frame);
	tcase_add_test(tc, test_fax_image_bmp);
	tcase_add_test(tc, test_fax_image_tiff_grey16);
	tcase_add_test(tc, test_fax_image_tiff_colour_pages);
	tcase_add_test(tc, test_fax_image_bilevel_tiff_normalized);
	tcase_add_test(tc, test_fax_image_orientation);
	tcase_add_test(tc, test_fax_image_standard);
	tcase_add_test(tc, test_fax_image_huge_headers);
	tcase_add_test(tc, test_fax_image_huge_tiff);
	tcase_add_test(tc, test_fax_image_tiff_total_pixels);
	tcase_add_test(tc, test_fax_image_jpeg_scans);
	tcase_add_test(tc, test_fax_image_truncated_and_junk);
	suite_add_tcase(s, tc);
	return s;
}
