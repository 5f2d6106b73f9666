/*
 * Unit tests for gateway/offramp/render: real messages parsed by mime/,
 * rendered by fax/ (and Ghostscript for PDF), checked with libtiff.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <leptonica/allheaders.h>
#include <tiffio.h>

#include "fax/fax.h"
#include "gateway/offramp/pdf.h"
#include "gateway/offramp/render.h"
#include "mime/mime.h"

static char tmpdir[64];

static void
setup(void)
{
	g_strlcpy(tmpdir, "/tmp/t37rndXXXXXX", sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);

	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
}

/* base64 of a TIFF with npages pages of text, made by fax/. */
static char *
tiff_b64(int npages)
{
	GString *t = g_string_new(NULL);
	char *path = g_strdup_printf("%s/src.tif", tmpdir), *data, *b64;
	gsize len;
	char err[128];
	int i;

	for (i = 0; i < npages; i++)
		g_string_append_printf(t, "%sScanned page %d\n", i ? "\f" : "", i + 1);
	ck_assert_int_eq(fax_text_render(t->str, t->len, NULL, path, NULL, err,
	    sizeof(err)), 0);
	ck_assert(g_file_get_contents(path, &data, &len, NULL));
	b64 = g_base64_encode((const guchar *)data, len);
	g_free(data);
	g_free(path);
	g_string_free(t, TRUE);
	return b64;
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

static unsigned
count_pages(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");
	unsigned n;
	uint32_t w;

	ck_assert_ptr_nonnull(t);
	n = TIFFNumberOfDirectories(t);
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	ck_assert_uint_eq(w, FAX_PAGE_WIDTH);
	TIFFClose(t);
	return n;
}

/* Black pixels in the first rows rows of page (0-based) of a fax TIFF. */
static unsigned long
top_black(const char *path, unsigned page, uint32_t rows)
{
	TIFF *t = TIFFOpen(path, "r");
	unsigned char *line;
	unsigned long n = 0;
	uint32_t y, h;
	tsize_t i, len;
	uint16_t photo = PHOTOMETRIC_MINISWHITE;

	ck_assert_ptr_nonnull(t);
	ck_assert(TIFFSetDirectory(t, (uint16_t)page));
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetFieldDefaulted(t, TIFFTAG_PHOTOMETRIC, &photo);
	len = TIFFScanlineSize(t);
	line = g_malloc(len);
	for (y = 0; y < rows && y < h; y++) {
		ck_assert_int_eq(TIFFReadScanline(t, line, y, 0), 1);
		for (i = 0; i < len; i++)
			n += (unsigned)__builtin_popcount(photo == PHOTOMETRIC_MINISWHITE ?
			    line[i] : (unsigned char)~line[i]);
	}
	g_free(line);
	TIFFClose(t);
	return n;
}

static char *
mixed_msg(const char *b64)
{
	return g_strdup_printf(
	    "From: Alice <alice@example.com>\nSubject: Figures\n"
	    "Date: Mon, 23 Nov 2026 13:58:00 +0000\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nPlease find two scanned pages.\n"
	    "--m\nContent-Type: image/tiff; name=scan.tif\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n--m--\n", b64);
}

START_TEST(test_render_text_and_tiff)
{
	char *b64 = tiff_b64(2), *msg = mixed_msg(b64);
	struct mime_offramp *m = parse_msg(msg);
	struct fax_header h = { .left = "$a$ $t$", .center = "ACME",
	    .right = "Page $p$", .vars = { .date = "2026-11-23", .time = "14:05" } };
	struct offramp_render_opts o = { .to_number = "+19195551234", .header = &h };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;
	char **left;

	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0, "%s %s",
	    err.status, err.text);
	ck_assert_uint_eq(pages, 3);   /* one page of text, two of image */
	ck_assert_uint_eq(count_pages(out), 3);
	/* The header line is on every page: the top band has ink that the
	 * same document rendered without a header has not. */
	{
		char *bare = g_strdup_printf("%s/bare.tif", tmpdir);
		struct offramp_render_opts ob = { .to_number = "+19195551234" };
		unsigned bp = 0, i;

		ck_assert(offramp_render(m, &ob, tmpdir, bare, &bp, &err) == 0);
		ck_assert_uint_eq(bp, 3);
		for (i = 0; i < 3; i++)
			ck_assert_msg(top_black(out, i, 30) > top_black(bare, i, 30) + 100,
			    "page %u: no header line (%lu against %lu black pixels)", i + 1,
			    top_black(out, i, 30), top_black(bare, i, 30));
		unlink(bare);
		g_free(bare);
	}
	/* Scratch files are gone: the parts the parser wrote, msg and out stay. */
	{
		GDir *d = g_dir_open(tmpdir, 0, NULL);
		const char *n;
		int others = 0;

		while ((n = g_dir_read_name(d)) != NULL)
			if (strcmp(n, "fax.tif") != 0 && strcmp(n, "msg.eml") != 0 &&
			    strcmp(n, "src.tif") != 0 && strncmp(n, "part-01", 7) != 0) {
				fprintf(stderr, "left behind: %s\n", n);
				others++;
			}
		g_dir_close(d);
		ck_assert_int_eq(others, 0);
	}
	(void)left;
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
	g_free(b64);
}
END_TEST

START_TEST(test_render_cover)
{
	char *b64 = tiff_b64(2), *msg = mixed_msg(b64);
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_opts o = { .to_number = "+19195551234", .coverpage = 1,
	    .cover_comment = "From the ACME fax gateway" };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;

	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0, "%s", err.text);
	/* The text went onto the cover: cover + two image pages. */
	ck_assert_uint_eq(pages, 3);
	ck_assert_uint_eq(count_pages(out), 3);
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
	g_free(b64);
}
END_TEST

/* show-detail puts the mail's header block on the cover: with 150 header
 * lines the cover runs over more pages than without. */
START_TEST(test_render_cover_detail)
{
	GString *msg = g_string_new("From: Alice <alice@example.com>\nSubject: Detail\n");
	struct offramp_render_opts o = { .to_number = "+19195551234", .coverpage = 1 };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_offramp *m;
	struct mime_error err;
	unsigned plain = 0, detail = 0;
	int i;

	for (i = 0; i < 150; i++)
		g_string_append_printf(msg, "X-Detail-%d: header line %d of the mail\n", i, i);
	g_string_append(msg, "MIME-Version: 1.0\nContent-Type: text/plain\n\nOne line.\n");
	m = parse_msg(msg->str);
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &plain, &err) == 0, "%s", err.text);
	ck_assert_uint_eq(plain, 1);
	o.cover_detail = 1;
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &detail, &err) == 0, "%s", err.text);
	ck_assert_uint_ge(detail, 3);
	ck_assert_uint_eq(count_pages(out), detail);
	mime_offramp_free(m);
	g_free(out);
	g_string_free(msg, TRUE);
}
END_TEST

START_TEST(test_render_limits)
{
	char *b64 = tiff_b64(3), *msg = mixed_msg(b64);
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_opts o = { .max_pages = 2 };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 7;

	ck_assert_int_eq(offramp_render(m, &o, tmpdir, out, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_uint_eq(pages, 0);
	ck_assert(access(out, F_OK) != 0);
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
	g_free(b64);
}
END_TEST

START_TEST(test_render_corrupt_tiff)
{
	/* TIFF magic, then nonsense: parsed as TIFF, refused by fax/. */
	char *msg = g_strdup_printf(
	    "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: image/tiff; name=broken.tif\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n",
	    "SUkqAAgAAAAFAAABAwABAAAAwAYAAAEBAwABAAAA//8AAA==");
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_opts o = { 0 };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages;

	ck_assert_int_eq(offramp_render(m, &o, tmpdir, out, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.6.5");
	ck_assert_msg(strstr(err.text, "broken.tif") != NULL, "%s", err.text);
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
}
END_TEST

START_TEST(test_render_pdf)
{
	/* One page, drawn by hand: a line and a word. */
	static const char pdf[] =
	    "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
	    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
	    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
	    "/Contents 4 0 R >> endobj\n"
	    "4 0 obj << /Length 22 >> stream\n0 0 m 595 842 l 9 w S\nendstream endobj\n"
	    "trailer << /Root 1 0 R >>\n%%EOF\n";
	char *b64 = g_base64_encode((const guchar *)pdf, sizeof(pdf) - 1);
	char *msg = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: application/pdf; name=doc.pdf\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n", b64);
	struct mime_offramp *m;
	struct offramp_render_opts o = { 0 };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;

	if (access(OFFRAMP_PDF_GS_PATH, X_OK) != 0)
		return;
	m = parse_msg(msg);
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0, "%s %s",
	    err.status, err.text);
	ck_assert_uint_eq(pages, 1);
	ck_assert_uint_eq(count_pages(out), 1);
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
	g_free(b64);
}
END_TEST

/* base64 of a 300 x 200 picture (grey ramp, a black bar) in format. */
static char *
image_b64(int format)
{
	PIX *pix = pixCreate(300, 200, 32);
	l_uint8 *data = NULL;
	size_t size = 0;
	char *b64;

	for (int y = 0; y < 200; y++)
		for (int x = 0; x < 300; x++)
			pixSetRGBPixel(pix, x, y, y < 40 ? 0 : x * 255 / 300,
			    y < 40 ? 0 : 128, y < 40 ? 0 : 255 - x * 255 / 300);
	if (format == IFF_JFIF_JPEG)
		ck_assert_int_eq(pixWriteMemJpeg(&data, &size, pix, 80, 0), 0);
	else
		ck_assert_int_eq(pixWriteMem(&data, &size, pix, format), 0);
	b64 = g_base64_encode(data, size);
	lept_free(data);
	pixDestroy(&pix);
	return b64;
}

/* PNG, JPEG, GIF and BMP attachments (refused before) become pages; so
 * does a colour TIFF. */
START_TEST(test_render_images)
{
	char *png = image_b64(IFF_PNG), *jpg = image_b64(IFF_JFIF_JPEG);
	char *gif = image_b64(IFF_GIF), *bmp = image_b64(IFF_BMP);
	char *tif = image_b64(IFF_TIFF_LZW);
	char *msg = g_strdup_printf(
	    "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=m\n\n"
	    "--m\nContent-Type: text/plain\n\nPictures attached.\n"
	    "--m\nContent-Type: image/png; name=a.png\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n"
	    "--m\nContent-Type: image/jpeg; name=b.jpg\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n"
	    "--m\nContent-Type: image/gif\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n"
	    "--m\nContent-Type: application/octet-stream; name=d.bmp\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n"
	    "--m\nContent-Type: image/tiff; name=colour.tif\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n--m--\n",
	    png, jpg, gif, bmp, tif);
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_notes notes = { .missing_glyphs = 7 };
	struct offramp_render_opts o = { .notes = &notes };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;

	ck_assert_uint_eq(mime_offramp_nparts(m), 6);
	ck_assert_int_eq(mime_offramp_part(m, 1)->kind, MIME_PART_IMAGE);
	ck_assert_int_eq(mime_offramp_part(m, 5)->kind, MIME_PART_TIFF);
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0, "%s %s",
	    err.status, err.text);
	ck_assert_uint_eq(pages, 6);
	ck_assert_uint_eq(count_pages(out), 6);
	ck_assert_uint_eq(notes.missing_glyphs, 0);
	offramp_render_notes_clear(&notes);
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
	g_free(png);
	g_free(jpg);
	g_free(gif);
	g_free(bmp);
	g_free(tif);
}
END_TEST

/* An image declaring more pixels than allowed fails the message with the
 * limit status, named. */
START_TEST(test_render_image_limits)
{
	char *png = image_b64(IFF_PNG);
	char *msg = g_strdup_printf(
	    "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: image/png; name=big.png\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n", png);
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_opts o = { .max_image_pixels = 50000 };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages;

	ck_assert_int_eq(offramp_render(m, &o, tmpdir, out, &pages, &err), -1);
	ck_assert_str_eq(err.status, "5.3.4");
	ck_assert_msg(strstr(err.text, "big.png") != NULL &&
	    strstr(err.text, "300 x 200 pixels; the limit is 50000") != NULL, "%s",
	    err.text);
	ck_assert(access(out, F_OK) != 0);
	mime_offramp_free(m);
	g_free(out);
	g_free(msg);
	g_free(png);
}
END_TEST

/* Characters no font has are counted for the sender's report, on the
 * cover page as well. */
START_TEST(test_render_missing_glyphs)
{
	static const char msg[] =
	    "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n\n"
	    "Symbols: \xf4\x8f\xbf\xbd and \xf3\xb0\x80\x80, "
	    "\xe4\xb8\xad\xe6\x96\x87 and \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\n";
	struct mime_offramp *m = parse_msg(msg);
	struct offramp_render_notes notes = { 0 };
	struct offramp_render_opts o = { .notes = &notes };
	char *out = g_strdup_printf("%s/fax.tif", tmpdir);
	struct mime_error err;
	unsigned pages = 0;

	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0, "%s",
	    err.text);
	ck_assert_uint_eq(notes.missing_glyphs, 2);
	offramp_render_notes_clear(&notes);
	notes.missing_glyphs = 0;
	o.coverpage = 1;
	ck_assert_msg(offramp_render(m, &o, tmpdir, out, &pages, &err) == 0, "%s",
	    err.text);
	ck_assert_uint_eq(pages, 1);
	ck_assert_uint_eq(notes.missing_glyphs, 2);
	offramp_render_notes_clear(&notes);
	mime_offramp_free(m);
	g_free(out);
}
END_TEST

Suite *
suite_offramp_render(void)
{
	Suite *s = suite_create("offramp_render");
	TCase *tc = tcase_create("render");

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_render_text_and_tiff);
	tcase_add_test(tc, test_render_cover);
	tcase_add_test(tc, test_render_cover_detail);
	tcase_add_test(tc, test_render_limits);
	tcase_add_test(tc, test_render_corrupt_tiff);
	tcase_add_test(tc, test_render_pdf);
	tcase_add_test(tc, test_render_images);
	tcase_add_test(tc, test_render_image_limits);
	tcase_add_test(tc, test_render_missing_glyphs);
	suite_add_tcase(s, tc);
	return s;
}
