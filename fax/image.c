/*
 * fax/image.c: decoding image attachments to greyscale pages: PNG
 * (libpng), JPEG (libjpeg, EXIF orientation applied, large photos decoded
 * at a reduced scale), GIF (giflib, the first frame only), BMP (Leptonica)
 * and TIFF of any kind libtiff's RGBA interface reads (colour, greyscale,
 * palette, 16 bits per sample, tiles, YCbCr, CMYK).
 *
 * Untrusted input: the format libraries run with their errors captured
 * (nothing is printed, nothing exits), and every page's declared width and
 * height are checked against the pixel cap before any pixel is decoded, so
 * a small file that claims a huge image costs nothing. An animated GIF is
 * never decoded past its first frame.
 *
 * Not here: fitting, binarizing, writing fax pages (image_page.c).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gif_lib.h>
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "fax/fax.h"
#include "fax/image_int.h"

#define IMAGE_ERR_MAX		160
#define IMAGE_TIFF_BAND_ROWS	64	/* rows per RGBA read of a TIFF page */
#define IMAGE_EXIF_ORIENTATION	0x0112
/* A progressive JPEG of thousands of scans costs minutes of CPU for a
 * few kilobytes; real ones have about ten. */
#define IMAGE_JPEG_MAX_SCANS	100

struct fax_image_src {
	enum fax_image_format fmt;
	const uint8_t *buf;		/* borrowed */
	size_t len;
	unsigned pages;
	int bilevel;
	unsigned long long pixels;	/* declared, all pages together */
	struct fax_tiff_in tin;		/* TIFF: open while the source is */
};

/* Reads from memory for libpng and giflib. */
struct mem_reader {
	const uint8_t *p;
	size_t len, pos;
};

/* libpng's error state: the message and the way back. */
struct png_ctx {
	char msg[IMAGE_ERR_MAX];
};

/* libjpeg's error manager with a way back and the first warning that
 * matters (the data ended early), and its progress hook. */
struct jpeg_ctx {
	struct jpeg_error_mgr mgr;
	struct jpeg_progress_mgr progress;
	jmp_buf back;
	char msg[JMSG_LENGTH_MAX];
	int truncated;
};

static pthread_once_t lept_once = PTHREAD_ONCE_INIT;
static __thread char lept_msg[IMAGE_ERR_MAX];

static void	 lept_quiet(void);
static void	 lept_handler(const char *);
static int	 too_big(unsigned long long, unsigned long long,
		    unsigned long long, char *, size_t);
static void	 png_mem_read(png_structp, png_bytep, png_size_t);
static void	 png_on_error(png_structp, png_const_charp);
static void	 png_on_warning(png_structp, png_const_charp);
static PIX	*decode_png(struct fax_image_src *, unsigned long long, float *,
		    float *, char *, size_t);
static void	 jpeg_on_exit(j_common_ptr);
static void	 jpeg_on_message(j_common_ptr, int);
static void	 jpeg_on_progress(j_common_ptr);
static unsigned	 jpeg_denom(unsigned long long);
static int	 exif_orientation(jpeg_saved_marker_ptr);
static PIX	*orient(PIX *, int);
static PIX	*decode_jpeg(struct fax_image_src *, unsigned long long, float *,
		    float *, char *, size_t);
static int	 gif_mem_read(GifFileType *, GifByteType *, int);
static PIX	*decode_gif(struct fax_image_src *, unsigned long long, char *,
		    size_t);
static PIX	*decode_bmp(struct fax_image_src *, unsigned long long, float *,
		    float *, char *, size_t);
static PIX	*decode_tiff(struct fax_image_src *, unsigned, unsigned long long,
		    float *, float *, char *, size_t);
static uint32_t	 rd32le(const uint8_t *);

/* ------------------------------------------------------------- common */

/* Leptonica reports through one process-wide hook: keep each thread's
 * last message instead of printing it. */
static void
lept_quiet(void)
{
	leptSetStderrHandler(lept_handler);
}

static void
lept_handler(const char *msg)
{
	size_t n;

	snprintf(lept_msg, sizeof(lept_msg), "%s", msg);
	n = strlen(lept_msg);
	while (n > 0 && (lept_msg[n - 1] == '\n' || lept_msg[n - 1] == ' '))
		lept_msg[--n] = '\0';
}

static int
too_big(unsigned long long w, unsigned long long h, unsigned long long max,
    char *err, size_t errlen)
{
	if (w == 0 || h == 0) {
		snprintf(err, errlen, "the image has no pixels (%llu x %llu)",
		    w, h);
		return 1;
	}
	if (w * h > max || w > 0xffffffu || h > 0xffffffu) {
		snprintf(err, errlen, "the image is %llu x %llu pixels; the "
		    "limit is %llu pixels", w, h, max);
		return 1;
	}
	return 0;
}

enum fax_image_format
fax_image_sniff(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	if (len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
		return FAX_IMAGE_PNG;
	if (len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
		return FAX_IMAGE_JPEG;
	if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 ||
	    memcmp(p, "GIF89a", 6) == 0))
		return FAX_IMAGE_GIF;
	if (len >= 26 && p[0] == 'B' && p[1] == 'M')
		return FAX_IMAGE_BMP;
	if (len >= 8 && ((p[0] == 'I' && p[1] == 'I' && p[2] == 42 &&
	    p[3] == 0) || (p[0] == 'M' && p[1] == 'M' && p[2] == 0 &&
	    p[3] == 42)))
		return FAX_IMAGE_TIFF;
	return FAX_IMAGE_NONE;
}

struct fax_image_src *
fax_image_src_open(const void *buf, size_t len, char *err, size_t errlen)
{
	struct fax_image_src *s;
	int nd, d;

	pthread_once(&lept_once, lept_quiet);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->buf = buf;
	s->len = len;
	s->pages = 1;
	s->fmt = fax_image_sniff(buf, len);
	if (s->fmt == FAX_IMAGE_NONE) {
		snprintf(err, errlen, "not a PNG, JPEG, GIF, BMP or TIFF image");
		free(s);
		return NULL;
	}
	if (s->fmt != FAX_IMAGE_TIFF)
		return s;
	if (fax_tiff_in_open_mem(&s->tin, buf, len, err, errlen) < 0) {
		free(s);
		return NULL;
	}
	nd = TIFFNumberOfDirectories(s->tin.tif);
	if (nd <= 0) {
		snprintf(err, errlen, "corrupt TIFF: no pages");
		fax_image_src_close(s);
		return NULL;
	}
	s->pages = (unsigned)nd;
	s->bilevel = 1;
	for (d = 0; d < nd && d <= FAX_IMAGE_MAX_PAGES_SCANNED; d++) {
		uint16_t bps = 1, spp = 1;
		uint32_t w = 0, h = 0;

		if (!TIFFSetDirectory(s->tin.tif, (tdir_t)d)) {
			snprintf(err, errlen, "corrupt TIFF: page %d: %s", d + 1,
			    s->tin.msg[0] ? s->tin.msg : "unreadable");
			fax_image_src_close(s);
			return NULL;
		}
		TIFFGetFieldDefaulted(s->tin.tif, TIFFTAG_BITSPERSAMPLE, &bps);
		TIFFGetFieldDefaulted(s->tin.tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
		TIFFGetField(s->tin.tif, TIFFTAG_IMAGEWIDTH, &w);
		TIFFGetField(s->tin.tif, TIFFTAG_IMAGELENGTH, &h);
		s->bilevel = s->bilevel && bps == 1 && spp == 1;
		s->pixels += (unsigned long long)w * h;
	}
	return s;
}

unsigned
fax_image_src_pages(const struct fax_image_src *s)
{
	return s->pages;
}

int
fax_image_src_bilevel(const struct fax_image_src *s)
{
	return s->fmt == FAX_IMAGE_TIFF && s->bilevel;
}

unsigned long long
fax_image_src_pixels(const struct fax_image_src *s)
{
	return s->pixels;
}

void
fax_image_src_close(struct fax_image_src *s)
{
	if (s == NULL)
		return;
	if (s->fmt == FAX_IMAGE_TIFF)
		fax_tiff_in_close(&s->tin);
	free(s);
}

PIX *
fax_image_src_decode(struct fax_image_src *s, unsigned i,
    unsigned long long max_pixels, float *xdpi, float *ydpi, char *err,
    size_t errlen)
{
	*xdpi = *ydpi = 0;
	if (i >= s->pages) {
		snprintf(err, errlen, "no page %u", i + 1);
		return NULL;
	}
	switch (s->fmt) {
	case FAX_IMAGE_PNG:
		return decode_png(s, max_pixels, xdpi, ydpi, err, errlen);
	case FAX_IMAGE_JPEG:
		return decode_jpeg(s, max_pixels, xdpi, ydpi, err, errlen);
	case FAX_IMAGE_GIF:
		return decode_gif(s, max_pixels, err, errlen);
	case FAX_IMAGE_BMP:
		return decode_bmp(s, max_pixels, xdpi, ydpi, err, errlen);
	case FAX_IMAGE_TIFF:
		return decode_tiff(s, i, max_pixels, xdpi, ydpi, err, errlen);
	case FAX_IMAGE_NONE:
		break;
	}
	snprintf(err, errlen, "unknown image format");
	return NULL;
}

/* ---------------------------------------------------------------- PNG */

static void
png_mem_read(png_structp png, png_bytep out, png_size_t n)
{
	struct mem_reader *m = png_get_io_ptr(png);

	if (n > m->len - m->pos)
		png_error(png, "the data ends before the image");
	memcpy(out, m->p + m->pos, n);
	m->pos += n;
}

static void
png_on_error(png_structp png, png_const_charp msg)
{
	struct png_ctx *c = png_get_error_ptr(png);

	snprintf(c->msg, sizeof(c->msg), "%s", msg);
	png_longjmp(png, 1);
}

static void
png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;			/* ancillary chunk trouble: not ours */
	(void)msg;
}

static PIX *
decode_png(struct fax_image_src *s, unsigned long long max_pixels,
    float *xdpi, float *ydpi, char *err, size_t errlen)
{
	struct mem_reader m = { s->buf, s->len, 0 };
	struct png_ctx c = { "" };
	png_structp png;
	png_infop info;
	PIX *volatile pix = NULL;
	uint8_t *volatile rows = NULL;
	png_uint_32 w, h, y, x, resx, resy;
	int ctype, depth, unit, interlaced, ch;
	size_t rowbytes;
	l_uint32 *data;
	int wpl;

	png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &c, png_on_error,
	    png_on_warning);
	info = png != NULL ? png_create_info_struct(png) : NULL;
	if (info == NULL) {
		png_destroy_read_struct(&png, NULL, NULL);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (setjmp(png_jmpbuf(png))) {
		snprintf(err, errlen, "corrupt PNG: %s", c.msg);
		goto fail;
	}
	png_set_read_fn(png, &m, png_mem_read);
	png_read_info(png, info);
	w = png_get_image_width(png, info);
	h = png_get_image_height(png, info);
	if (too_big(w, h, max_pixels, err, errlen))
		goto fail;
	ctype = png_get_color_type(png, info);
	depth = png_get_bit_depth(png, info);
	interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
	/* To 8-bit grey, with alpha when there is any (tRNS included). */
	png_set_expand(png);
	if (depth == 16)
		png_set_strip_16(png);
	if (ctype & (PNG_COLOR_MASK_COLOR | PNG_COLOR_MASK_PALETTE))
		png_set_rgb_to_gray_fixed(png, 1, -1, -1);
	png_set_interlace_handling(png);
	png_read_update_info(png, info);
	ch = png_get_channels(png, info);
	rowbytes = png_get_rowbytes(png, info);
	if ((ch != 1 && ch != 2) || rowbytes != (size_t)w * (size_t)ch) {
		snprintf(err, errlen, "corrupt PNG: unexpected layout");
		goto fail;
	}
	if (png_get_pHYs(png, info, &resx, &resy, &unit) &&
	    unit == PNG_RESOLUTION_METER) {
		*xdpi = (float)resx * 0.0254f;
		*ydpi = (float)resy * 0.0254f;
	}
	if ((pix = pixCreate((l_int32)w, (l_int32)h, 8)) == NULL ||
	    (rows = malloc(rowbytes * (interlaced ? h : 1))) == NULL) {
		snprintf(err, errlen, "out of memory (%u x %u image)", w, h);
		goto fail;
	}
	data = pixGetData(pix);
	wpl = pixGetWpl(pix);
	if (interlaced) {
		png_bytep *rp = malloc(sizeof(*rp) * h);

		if (rp == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (y = 0; y < h; y++)
			rp[y] = rows + (size_t)y * rowbytes;
		png_read_image(png, rp);
		free(rp);
	}
	for (y = 0; y < h; y++) {
		uint8_t *r = interlaced ? rows + (size_t)y * rowbytes : rows;
		l_uint32 *line = data + (size_t)y * (size_t)wpl;

		if (!interlaced)
			png_read_row(png, r, NULL);
		for (x = 0; x < w; x++) {
			unsigned g = r[x * (unsigned)ch];

			if (ch == 2) {	/* flatten onto white */
				unsigned a = r[x * 2 + 1];

				g = (g * a + 255 * (255 - a) + 127) / 255;
			}
			SET_DATA_BYTE(line, x, g);
		}
	}
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);
	return pix;
fail:
	png_destroy_read_struct(&png, &info, NULL);
	free(rows);
	if (pix != NULL) {
		PIX *p = pix;

		pixDestroy(&p);
	}
	return NULL;
}

/* --------------------------------------------------------------- JPEG */

static void
jpeg_on_exit(j_common_ptr j)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)j->err;

	(*j->err->format_message)(j, c->msg);
	longjmp(c->back, 1);
}

/* Warnings are kept quiet; the data ending before the image counts. */
static void
jpeg_on_message(j_common_ptr j, int level)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)j->err;

	if (level < 0) {
		j->err->num_warnings++;
		if (j->err->msg_code == JWRN_JPEG_EOF)
			c->truncated = 1;
	}
}

/* Called as the decoder advances: too many scans end the decoding. */
static void
jpeg_on_progress(j_common_ptr j)
{
	struct jpeg_ctx *c = (struct jpeg_ctx *)j->err;
	j_decompress_ptr d = (j_decompress_ptr)j;

	if (j->is_decompressor && d->input_scan_number > IMAGE_JPEG_MAX_SCANS) {
		snprintf(c->msg, sizeof(c->msg), "more than %d progressive scans",
		    IMAGE_JPEG_MAX_SCANS);
		longjmp(c->back, 1);
	}
}

/* Large photos: the smallest scale (1/1 .. 1/8) that keeps the detail a
 * page can show. */
static unsigned
jpeg_denom(unsigned long long long_side)
{
	unsigned d = 1;

	while (d < 8 && long_side / (d * 2) >= FAX_IMAGE_DECODE_LONG_SIDE)
		d *= 2;
	return d;
}

/* The EXIF Orientation of the first APP1 Exif block, 1 when none. */
static int
exif_orientation(jpeg_saved_marker_ptr mk)
{
	for (; mk != NULL; mk = mk->next) {
		const uint8_t *t;
		size_t n, off, k, cnt;
		int le;

		if (mk->marker != JPEG_APP0 + 1 || mk->data_length < 14 ||
		    memcmp(mk->data, "Exif\0\0", 6) != 0)
			continue;
		t = mk->data + 6;
		n = mk->data_length - 6;
		if (t[0] == 'I' && t[1] == 'I')
			le = 1;
		else if (t[0] == 'M' && t[1] == 'M')
			le = 0;
		else
			continue;
#define RD16(p) (le ? (unsigned)((p)[0] | (p)[1] << 8) : \
		    (unsigned)((p)[0] << 8 | (p)[1]))
#define RD32(p) (le ? ((size_t)(p)[0] | (size_t)(p)[1] << 8 | \
		    (size_t)(p)[2] << 16 | (size_t)(p)[3] << 24) : \
		    ((size_t)(p)[0] << 24 | (size_t)(p)[1] << 16 | \
		    (size_t)(p)[2] << 8 | (size_t)(p)[3]))
		if (RD16(t + 2) != 42)
			continue;
		off = RD32(t + 4);
		if (off > n || n - off < 2)
			continue;
		cnt = RD16(t + off);
		for (k = 0; k < cnt; k++) {
			size_t e = off + 2 + 12 * k;

			if (e > n || n - e < 12)
				break;
			if (RD16(t + e) == IMAGE_EXIF_ORIENTATION &&
			    RD16(t + e + 2) == 3) {	/* SHORT */
				unsigned v = RD16(t + e + 8);

				return v >= 1 && v <= 8 ? (int)v : 1;
			}
		}
#undef RD16
#undef RD32
	}
	return 1;
}

/* Applies an EXIF orientation so the picture stands as it was taken. */
static PIX *
orient(PIX *pix, int o)
{
	PIX *r = NULL, *f = NULL;

	switch (o) {
	case 2:
		return pixFlipLR(NULL, pix);
	case 3:
		return pixRotateOrth(pix, 2);
	case 4:
		return pixFlipTB(NULL, pix);
	case 5:				/* transpose */
		if ((r = pixRotateOrth(pix, 1)) != NULL)
			f = pixFlipLR(NULL, r);
		pixDestroy(&r);
		return f;
	case 6:
		return pixRotateOrth(pix, 1);
	case 7:				/* transverse */
		if ((r = pixRotateOrth(pix, 1)) != NULL)
			f = pixFlipTB(NULL, r);
		pixDestroy(&r);
		return f;
	case 8:
		return pixRotateOrth(pix, 3);
	}
	return pixClone(pix);
}

static PIX *
decode_jpeg(struct fax_image_src *s, unsigned long long max_pixels,
    float *xdpi, float *ydpi, char *err, size_t errlen)
{
	struct jpeg_decompress_struct j;
	struct jpeg_ctx c;
	PIX *volatile pix = NULL;
	uint8_t *volatile row = NULL;
	PIX *turned;
	unsigned long long w, h;
	unsigned x, y;
	int cmyk, o, wpl;
	l_uint32 *data;

	memset(&c, 0, sizeof(c));
	memset(&j, 0, sizeof(j));
	j.err = jpeg_std_error(&c.mgr);
	c.mgr.error_exit = jpeg_on_exit;
	c.mgr.emit_message = jpeg_on_message;
	c.progress.progress_monitor = jpeg_on_progress;
	if (setjmp(c.back)) {
		snprintf(err, errlen, "corrupt JPEG: %s", c.msg);
		goto fail;
	}
	jpeg_create_decompress(&j);
	j.progress = &c.progress;
	jpeg_mem_src(&j, s->buf, (unsigned long)s->len);
	jpeg_save_markers(&j, JPEG_APP0 + 1, 0xffff);
	jpeg_read_header(&j, TRUE);
	w = j.image_width;
	h = j.image_height;
	if (too_big(w, h, max_pixels, err, errlen))
		goto fail;
	if (j.saw_JFIF_marker && j.X_density > 0 && j.Y_density > 0 &&
	    (j.density_unit == 1 || j.density_unit == 2)) {
		float f = j.density_unit == 2 ? 2.54f : 1.0f;

		*xdpi = j.X_density * f;
		*ydpi = j.Y_density * f;
	}
	o = exif_orientation(j.marker_list);
	j.scale_num = 1;
	j.scale_denom = jpeg_denom(w > h ? w : h);
	cmyk = j.jpeg_color_space == JCS_CMYK || j.jpeg_color_space == JCS_YCCK;
	j.out_color_space = cmyk ? JCS_CMYK : JCS_GRAYSCALE;
	jpeg_start_decompress(&j);
	if ((pix = pixCreate((l_int32)j.output_width, (l_int32)j.output_height,
	    8)) == NULL || (row = malloc((size_t)j.output_width *
	    (size_t)j.output_components)) == NULL) {
		snprintf(err, errlen, "out of memory (%llu x %llu image)", w, h);
		jpeg_destroy_decompress(&j);
		goto fail;
	}
	data = pixGetData(pix);
	wpl = pixGetWpl(pix);
	while (j.output_scanline < j.output_height && !c.truncated) {
		JSAMPROW rp = row;
		l_uint32 *line;

		y = j.output_scanline;
		if (jpeg_read_scanlines(&j, &rp, 1) != 1)
			break;
		line = data + (size_t)y * (size_t)wpl;
		for (x = 0; x < j.output_width; x++) {
			unsigned g = row[x];

			if (cmyk) {
				/* Adobe writes CMYK inverted: 255 = no ink. */
				const uint8_t *k = row + 4 * x;
				unsigned r = k[0] * k[3] / 255;
				unsigned gg = k[1] * k[3] / 255;
				unsigned b = k[2] * k[3] / 255;

				if (!j.saw_Adobe_marker) {
					r = 255 - r;
					gg = 255 - gg;
					b = 255 - b;
				}
				g = (r * 77 + gg * 150 + b * 29) >> 8;
			}
			SET_DATA_BYTE(line, x, g);
		}
	}
	if (c.truncated || j.output_scanline < j.output_height) {
		snprintf(err, errlen, "truncated JPEG: the data ends at row %u "
		    "of %u", j.output_scanline, j.output_height);
		jpeg_destroy_decompress(&j);
		goto fail;
	}
	jpeg_finish_decompress(&j);
	jpeg_destroy_decompress(&j);
	free(row);
	turned = orient(pix, o);
	{
		PIX *p = pix;

		pixDestroy(&p);
	}
	if (turned == NULL)
		snprintf(err, errlen, "out of memory");
	else if (o >= 5) {		/* turned a quarter: swap the dpi */
		float t = *xdpi;

		*xdpi = *ydpi;
		*ydpi = t;
	}
	return turned;
fail:
	/* After a longjmp the object may be half made: destroying is safe. */
	jpeg_destroy_decompress(&j);
	free(row);
	if (pix != NULL) {
		PIX *p = pix;

		pixDestroy(&p);
	}
	return NULL;
}

/* ---------------------------------------------------------------- GIF */

static int
gif_mem_read(GifFileType *g, GifByteType *out, int n)
{
	struct mem_reader *m = g->UserData;
	size_t k = n > 0 ? (size_t)n : 0;

	if (k > m->len - m->pos)
		k = m->len - m->pos;
	memcpy(out, m->p + m->pos, k);
	m->pos += k;
	return (int)k;
}

/*
 * The first frame on the logical screen (white where the frame does not
 * cover it or is transparent).
 */
static PIX *
decode_gif(struct fax_image_src *s, unsigned long long max_pixels, char *err,
    size_t errlen)
{
	static const int pass_start[4] = { 0, 4, 2, 1 };
	static const int pass_step[4] = { 8, 8, 4, 2 };
	struct mem_reader m = { s->buf, s->len, 0 };
	GifFileType *g;
	GifRecordType rt;
	GifByteType *ext, *line = NULL;
	int e = 0, code, transparent = -1, done = 0, i;
	PIX *pix = NULL;
	uint8_t grey[256];

	if ((g = DGifOpen(&m, gif_mem_read, &e)) == NULL) {
		snprintf(err, errlen, "corrupt GIF: %s", GifErrorString(e));
		return NULL;
	}
	if (too_big((unsigned)g->SWidth, (unsigned)g->SHeight, max_pixels, err,
	    errlen))
		goto out;
	if ((pix = pixCreate(g->SWidth, g->SHeight, 8)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	pixSetAllArbitrary(pix, 255);
	while (!done) {
		if (DGifGetRecordType(g, &rt) == GIF_ERROR)
			goto corrupt;
		switch (rt) {
		case EXTENSION_RECORD_TYPE:
			if (DGifGetExtension(g, &code, &ext) == GIF_ERROR)
				goto corrupt;
			while (ext != NULL) {
				/* Graphic Control: the transparent colour. */
				if (code == GRAPHICS_EXT_FUNC_CODE && ext[0] >= 4)
					transparent = (ext[1] & 1) ? ext[4] : -1;
				if (DGifGetExtensionNext(g, &ext) == GIF_ERROR)
					goto corrupt;
			}
			break;
		case IMAGE_DESC_RECORD_TYPE: {
			const ColorMapObject *cm;
			GifImageDesc *d;
			int fw, fh, p, r, row, x;
			l_uint32 *data = pixGetData(pix);
			int wpl = pixGetWpl(pix);

			if (DGifGetImageDesc(g) == GIF_ERROR)
				goto corrupt;
			d = &g->Image;
			fw = d->Width;
			fh = d->Height;
			if (too_big((unsigned)fw, (unsigned)fh, max_pixels, err,
			    errlen))
				goto out;
			cm = d->ColorMap != NULL ? d->ColorMap : g->SColorMap;
			if (cm == NULL || cm->Colors == NULL) {
				snprintf(err, errlen, "corrupt GIF: no colour table");
				goto out;
			}
			for (i = 0; i < 256; i++) {
				const GifColorType *c = i < cm->ColorCount ?
				    &cm->Colors[i] : NULL;

				grey[i] = c != NULL && i != transparent ?
				    (uint8_t)((c->Red * 77 + c->Green * 150 +
				    c->Blue * 29) >> 8) : 255;
			}
			if ((line = malloc((size_t)fw)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			for (p = d->Interlace ? 0 : 3; p < 4; p++) {
				int start = d->Interlace ? pass_start[p] : 0;
				int step = d->Interlace ? pass_step[p] : 1;

				for (r = start; r < fh; r += step) {
					if (DGifGetLine(g, line, fw) == GIF_ERROR)
						goto corrupt;
					row = d->Top + r;
					if (row < 0 || row >= g->SHeight)
						continue;
					for (x = 0; x < fw; x++) {
						int col = d->Left + x;

						if (col < 0 || col >= g->SWidth ||
						    line[x] == transparent)
							continue;
						SET_DATA_BYTE(data +
						    (size_t)row * (size_t)wpl, col,
						    grey[line[x]]);
					}
				}
			}
			done = 1;
			break;
		}
		case TERMINATE_RECORD_TYPE:
			snprintf(err, errlen, "corrupt GIF: no image in it");
			goto out;
		default:
			break;
		}
	}
	free(line);
	DGifCloseFile(g, &e);
	return pix;
corrupt:
	snprintf(err, errlen, "corrupt GIF: %s", GifErrorString(g->Error));
out:
	free(line);
	pixDestroy(&pix);
	DGifCloseFile(g, &e);
	return NULL;
}

/* ---------------------------------------------------------------- BMP */

static uint32_t
rd32le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static PIX *
decode_bmp(struct fax_image_src *s, unsigned long long max_pixels,
    float *xdpi, float *ydpi, char *err, size_t errlen)
{
	uint32_t hsize = rd32le(s->buf + 14);
	long long w, h;
	PIX *pix, *grey;

	/* The size before Leptonica decodes: BITMAPCOREHEADER (12 bytes)
	 * has 16-bit sizes, the later headers signed 32-bit ones. */
	if (hsize == 12) {
		w = s->buf[18] | s->buf[19] << 8;
		h = s->buf[20] | s->buf[21] << 8;
	} else {
		w = (int32_t)rd32le(s->buf + 18);
		h = (int32_t)rd32le(s->buf + 22);
	}
	if (w < 0)
		w = -w;
	if (h < 0)
		h = -h;
	if (too_big((unsigned long long)w, (unsigned long long)h, max_pixels,
	    err, errlen))
		return NULL;
	lept_msg[0] = '\0';
	if ((pix = pixReadMemBmp(s->buf, s->len)) == NULL) {
		snprintf(err, errlen, "corrupt BMP: %s",
		    lept_msg[0] ? lept_msg : "cannot read it");
		return NULL;
	}
	if (pixGetXRes(pix) > 0 && pixGetYRes(pix) > 0) {
		*xdpi = (float)pixGetXRes(pix);
		*ydpi = (float)pixGetYRes(pix);
	}
	if (pixGetSpp(pix) == 4) {
		PIX *flat = pixAlphaBlendUniform(pix, 0xffffff00);

		pixDestroy(&pix);
		pix = flat;
	}
	grey = pix != NULL ? pixConvertTo8(pix, FALSE) : NULL;
	pixDestroy(&pix);
	if (grey == NULL)
		snprintf(err, errlen, "BMP: %s",
		    lept_msg[0] ? lept_msg : "cannot convert it");
	return grey;
}

/* --------------------------------------------------------------- TIFF */

static PIX *
decode_tiff(struct fax_image_src *s, unsigned i,
    unsigned long long max_pixels, float *xdpi, float *ydpi, char *err,
    size_t errlen)
{
	TIFF *t = s->tin.tif;
	TIFFRGBAImage img;
	char emsg[1024];
	uint32_t w = 0, h = 0, r, n, x, *raster = NULL;
	uint16_t unit = RESUNIT_INCH;
	float fx = 0, fy = 0;
	PIX *pix = NULL;
	l_uint32 *data;
	int wpl;

	s->tin.msg[0] = '\0';
	if (!TIFFSetDirectory(t, (tdir_t)i)) {
		snprintf(err, errlen, "corrupt TIFF: page %u: %s", i + 1,
		    s->tin.msg[0] ? s->tin.msg : "unreadable");
		return NULL;
	}
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	if (too_big(w, h, max_pixels, err, errlen))
		return NULL;
	if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &fx) &&
	    TIFFGetField(t, TIFFTAG_YRESOLUTION, &fy)) {
		TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
		if (unit == RESUNIT_CENTIMETER) {
			fx *= 2.54f;
			fy *= 2.54f;
		}
		if (unit != RESUNIT_NONE) {
			*xdpi = fx;
			*ydpi = fy;
		}
	}
	if (!TIFFRGBAImageOK(t, emsg) || !TIFFRGBAImageBegin(&img, t, 0, emsg)) {
		snprintf(err, errlen, "TIFF page %u cannot be read: %s", i + 1,
		    emsg);
		return NULL;
	}
	img.req_orientation = ORIENTATION_TOPLEFT;
	if ((pix = pixCreate((l_int32)w, (l_int32)h, 8)) == NULL ||
	    (raster = malloc((size_t)w * IMAGE_TIFF_BAND_ROWS *
	    sizeof(*raster))) == NULL) {
		snprintf(err, errlen, "out of memory (%u x %u page)", w, h);
		goto fail;
	}
	data = pixGetData(pix);
	wpl = pixGetWpl(pix);
	for (r = 0; r < h; r += n) {
		n = h - r < IMAGE_TIFF_BAND_ROWS ? h - r : IMAGE_TIFF_BAND_ROWS;
		img.row_offset = (int)r;
		img.col_offset = 0;
		if (!TIFFRGBAImageGet(&img, raster, w, n)) {
			snprintf(err, errlen, "corrupt TIFF: page %u: %s", i + 1,
			    s->tin.msg[0] ? s->tin.msg : "bad image data");
			goto fail;
		}
		for (uint32_t k = 0; k < n; k++) {
			const uint32_t *src = raster + (size_t)k * w;
			l_uint32 *line = data + (size_t)(r + k) * (size_t)wpl;

			for (x = 0; x < w; x++) {
				uint32_t v = src[x], a = TIFFGetA(v);
				unsigned g = (TIFFGetR(v) * 77 + TIFFGetG(v) * 150 +
				    TIFFGetB(v) * 29) >> 8;

				/* libtiff premultiplies: add white under it */
				g = g + (255 - a);
				SET_DATA_BYTE(line, x, g > 255 ? 255 : g);
			}
		}
	}
	TIFFRGBAImageEnd(&img);
	free(raster);
	return pix;
fail:
	TIFFRGBAImageEnd(&img);
	free(raster);
	pixDestroy(&pix);
	return NULL;
}
