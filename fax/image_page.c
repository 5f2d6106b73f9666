/*
 * fax/image_page.c: image attachments to fax pages with Leptonica.
 *
 * Each page of the image (image.c decodes it to greyscale) gets its
 * physical size from the resolution it declares (96 dpi when it declares
 * none or nonsense), is shrunk to fit the page below the header line
 * (never enlarged), turned a quarter counter-clockwise when it is
 * landscape and prints clearly larger that way, and scaled to 204 dpi
 * across and 196 or 98 dpi down, so it keeps its proportions on paper.
 * Then it is judged:
 *   - text-like (a screenshot, line art, a clean scan: a few grey levels
 *     hold most pixels, or hardly any mid-tones): Sauvola's adaptive
 *     threshold, so text on coloured boxes stays readable;
 *   - a photographed or scanned document (after Leptonica's adaptive
 *     background normalization it is white paper with dark marks): that
 *     normalized image thresholded, which is adaptive binarization;
 *   - a photo: Floyd-Steinberg error diffusion, so grey stays grey on the
 *     fax instead of turning into black or white areas.
 * A TIFF whose pages are all bilevel goes to fax_tiff_normalize(), which
 * keeps fax pages exactly as they are.
 *
 * Not here: decoding (image.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/image_int.h"

/* The printable area: 8 in across, from below the header band to the
 * bottom margin of a letter page (which fits A4 as well). */
#define IMAGE_AREA_W_IN		8.0
#define IMAGE_TOP_IN		0.45
#define IMAGE_BOTTOM_IN		0.25
#define IMAGE_PAGE_IN		11.0
/* Resolutions taken as declared; outside, the image is taken as 96 dpi. */
#define IMAGE_DPI_DEFAULT	96.0
#define IMAGE_DPI_MIN		50.0
#define IMAGE_DPI_MAX		2400.0
/* Landscape images are turned when they then print this much larger. */
#define IMAGE_TURN_GAIN		1.15
/* Text-like: the IMAGE_FLAT_LEVELS most used grey levels hold at least
 * IMAGE_FLAT_SHARE of the pixels, or at most IMAGE_MID_TEXT are mid-tones. */
#define IMAGE_FLAT_LEVELS	8
#define IMAGE_FLAT_SHARE	0.75
#define IMAGE_MID_TEXT		0.05
/* Sauvola's window (half size, pixels at fax resolution: about two lines
 * of screen text) and its k. */
#define IMAGE_SAUVOLA_HALF	8
#define IMAGE_SAUVOLA_K		0.35f
/* Text-like images: darker than this is black whatever Sauvola says. */
#define IMAGE_TEXT_BLACK	48
/* Mid-tones: grey levels in [IMAGE_MID_LO, IMAGE_MID_HI). */
#define IMAGE_MID_LO		64
#define IMAGE_MID_HI		192
/* A document after background normalization (paper at 200): mostly
 * paper, few mid-tones, and before it not much dark (normalization also
 * flattens the large dark areas of a photo into "paper"); then
 * thresholded at IMAGE_DOC_THRESHOLD. */
#define IMAGE_DOC_DARK		96
#define IMAGE_DOC_DARK_SHARE	0.25
#define IMAGE_DOC_PAPER		180
#define IMAGE_DOC_PAPER_SHARE	0.80
#define IMAGE_DOC_MID		0.08
#define IMAGE_DOC_THRESHOLD	140
/* Photos are error-diffused on cells of IMAGE_PHOTO_CELL x IMAGE_PHOTO_CELL
 * fax pixels (IMAGE_PHOTO_CELL x 1 at standard resolution, whose pixels are
 * already twice as tall), not on single pixels: the isolated dots that
 * single-pixel diffusion leaves cost T.4/T.6 about 3 bits a pixel (a
 * 640 x 480 photo at its own size: 290 s of line time at 14,400 bit/s),
 * cells about 1 bit (100 s), and fax printers keep cells where they lose
 * single dots. Grey levels stay those of the picture. */
#define IMAGE_PHOTO_CELL	2
/* A multi-page picture TIFF may declare this many pages at the pixel
 * limit, all pages together. */
#define IMAGE_FULL_PAGES	5ull
/* Pixels sampled for the histogram, at most (about). */
#define IMAGE_HIST_SAMPLES	400000

enum image_kind {
	IMAGE_TEXT = 0,
	IMAGE_DOCUMENT,
	IMAGE_PHOTO,
};

static double	 plausible_dpi(float);
static void	 histogram(PIX *, double *);
static unsigned	 otsu(const double *);
static PIX	*binarize(PIX *, int, enum image_kind *, char *, size_t);
static PIX	*dither_cells(PIX *, int);
static struct fax_bitmap *page_make(PIX *, float, float, int, int *,
		    enum image_kind *, char *, size_t);

static double
plausible_dpi(float d)
{
	return d >= IMAGE_DPI_MIN && d <= IMAGE_DPI_MAX ? d : 0;
}

/* Shares of each grey level (256 entries summing to 1). */
static void
histogram(PIX *g, double *h)
{
	l_int32 w = pixGetWidth(g), ht = pixGetHeight(g), wpl = pixGetWpl(g);
	l_uint32 *data = pixGetData(g);
	double total = 0;
	l_int32 step = 1, x, y;

	while ((double)(w / step) * (double)(ht / step) > IMAGE_HIST_SAMPLES)
		step++;
	memset(h, 0, 256 * sizeof(*h));
	for (y = 0; y < ht; y += step) {
		const l_uint32 *line = data + (size_t)y * (size_t)wpl;

		for (x = 0; x < w; x += step) {
			h[GET_DATA_BYTE(line, x)] += 1;
			total += 1;
		}
	}
	for (x = 0; x < 256 && total > 0; x++)
		h[x] /= total;
}

/* Otsu's threshold: levels below it are black. 128 for a flat image. */
static unsigned
otsu(const double *h)
{
	double mu = 0, w0 = 0, mu0 = 0, best = -1;
	unsigned t, pick = 128;

	for (t = 0; t < 256; t++)
		mu += t * h[t];
	for (t = 0; t < 255; t++) {
		double w1, m0, m1, between;

		w0 += h[t];
		mu0 += t * h[t];
		w1 = 1 - w0;
		if (w0 <= 0 || w1 <= 0)
			continue;
		m0 = mu0 / w0;
		m1 = (mu - mu0) / w1;
		between = w0 * w1 * (m0 - m1) * (m0 - m1);
		if (between > best) {
			best = between;
			pick = t + 1;
		}
	}
	return pick;
}

/* A photo (8 bpp grey) error-diffused on cells (IMAGE_PHOTO_CELL wide,
 * cell_h tall) into a 1 bpp image of the same size; NULL when out of
 * memory. */
static PIX *
dither_cells(PIX *g, int cell_h)
{
	l_int32 w = pixGetWidth(g), h = pixGetHeight(g);
	PIX *small, *dots, *out;

	if (w < 2 * IMAGE_PHOTO_CELL || h < 2 * cell_h)
		return pixDitherToBinary(g);
	if ((small = pixScaleAreaMap(g, 1.0f / IMAGE_PHOTO_CELL, 1.0f / (l_float32)cell_h)) == NULL)
		return NULL;
	dots = pixDitherToBinary(small);
	pixDestroy(&small);
	if (dots == NULL)
		return NULL;
	out = pixScaleBySampling(dots, (l_float32)w / (l_float32)pixGetWidth(dots),
	    (l_float32)h / (l_float32)pixGetHeight(dots));
	pixDestroy(&dots);
	if (out != NULL && (pixGetWidth(out) != w || pixGetHeight(out) != h)) {
		PIX *exact = pixCreate(w, h, 1);

		if (exact != NULL)
			pixRasterop(exact, 0, 0, w, h, PIX_SRC, out, 0, 0);
		pixDestroy(&out);
		out = exact;
	}
	return out;
}

/* The page-sized greyscale image to one bit per pixel (1 = black); yres
 * the page's vertical resolution (photo cells are square on paper). */
static PIX *
binarize(PIX *g, int yres, enum image_kind *kind, char *err, size_t errlen)
{
	double h[256], top[IMAGE_FLAT_LEVELS] = { 0 }, flat = 0, mid = 0;
	double paper = 0, dark = 0;
	PIX *bin = NULL, *norm;
	int i, k;

	histogram(g, h);
	for (i = 0; i < 256; i++) {
		double v = h[i];

		if (i >= IMAGE_MID_LO && i < IMAGE_MID_HI)
			mid += v;
		if (i < IMAGE_DOC_DARK)
			dark += v;
		for (k = 0; k < IMAGE_FLAT_LEVELS; k++)
			if (v > top[k]) {
				double t = top[k];

				top[k] = v;
				v = t;
			}
	}
	for (k = 0; k < IMAGE_FLAT_LEVELS; k++)
		flat += top[k];
	if (flat >= IMAGE_FLAT_SHARE || mid <= IMAGE_MID_TEXT) {
		PIX *dark_px;

		*kind = IMAGE_TEXT;
		/* Sauvola: text stays black on coloured boxes and highlights
		 * (they turn white), light text on dark stays readable. It
		 * hollows out large dark areas, so what is near black stays
		 * black as well. An image smaller than its window takes one
		 * global threshold. */
		if (pixGetWidth(g) < 2 * IMAGE_SAUVOLA_HALF + 3 ||
		    pixGetHeight(g) < 2 * IMAGE_SAUVOLA_HALF + 3 ||
		    pixSauvolaBinarize(g, IMAGE_SAUVOLA_HALF, IMAGE_SAUVOLA_K, 1,
		    NULL, NULL, NULL, &bin) != 0) {
			bin = pixThresholdToBinary(g, (l_int32)otsu(h));
			goto out;
		}
		if ((dark_px = pixThresholdToBinary(g, IMAGE_TEXT_BLACK)) == NULL) {
			pixDestroy(&bin);
			goto out;
		}
		pixOr(bin, bin, dark_px);
		pixDestroy(&dark_px);
		goto out;
	}
	/* Uneven light on paper: Leptonica brings the background to 200. */
	if (dark <= IMAGE_DOC_DARK_SHARE &&
	    (norm = pixBackgroundNormSimple(g, NULL, NULL)) != NULL) {
		histogram(norm, h);
		mid = 0;
		for (i = 0; i < 256; i++) {
			if (i >= IMAGE_MID_LO && i < IMAGE_DOC_THRESHOLD)
				mid += h[i];
			if (i >= IMAGE_DOC_PAPER)
				paper += h[i];
		}
		if (paper >= IMAGE_DOC_PAPER_SHARE && mid <= IMAGE_DOC_MID) {
			*kind = IMAGE_DOCUMENT;
			bin = pixThresholdToBinary(norm, IMAGE_DOC_THRESHOLD);
			pixDestroy(&norm);
			goto out;
		}
		pixDestroy(&norm);
	}
	*kind = IMAGE_PHOTO;
	bin = dither_cells(g, yres >= FAX_YRES_FINE ? IMAGE_PHOTO_CELL : 1);
out:
	if (bin == NULL)
		snprintf(err, errlen, "out of memory (binarizing)");
	return bin;
}

/*
 * One decoded page to a fax page: fitted, maybe turned, scaled to the
 * fax's pixel shape, binarized, centred below the header band.
 */
static struct fax_bitmap *
page_make(PIX *grey, float fxdpi, float fydpi, int yres, int *turned,
    enum image_kind *kind, char *err, size_t errlen)
{
	double xdpi = plausible_dpi(fxdpi), ydpi = plausible_dpi(fydpi);
	double w_in, h_in, area_h, s0, s90, s;
	l_int32 w = pixGetWidth(grey), h = pixGetHeight(grey);
	unsigned tw, th, top, bottom, x;
	PIX *src, *scaled, *bin;
	struct fax_bitmap *b;

	if (xdpi == 0 || ydpi == 0)
		xdpi = ydpi = IMAGE_DPI_DEFAULT;
	w_in = w / xdpi;
	h_in = h / ydpi;
	area_h = IMAGE_PAGE_IN - IMAGE_TOP_IN - IMAGE_BOTTOM_IN;
	s0 = fmin(1.0, fmin(IMAGE_AREA_W_IN / w_in, area_h / h_in));
	s90 = fmin(1.0, fmin(IMAGE_AREA_W_IN / h_in, area_h / w_in));
	*turned = s90 > s0 * IMAGE_TURN_GAIN;
	if (*turned) {
		double t = w_in;

		/* counter-clockwise: the top of the picture on the left */
		src = pixRotate90(grey, -1);
		w_in = h_in;
		h_in = t;
		s = s90;
	} else {
		src = pixClone(grey);
		s = s0;
	}
	if (src == NULL) {
		snprintf(err, errlen, "out of memory (turning)");
		return NULL;
	}
	tw = (unsigned)fmax(1.0, floor(w_in * s * FAX_XRES + 0.5));
	th = (unsigned)fmax(1.0, floor(h_in * s * yres + 0.5));
	if (tw > (unsigned)(IMAGE_AREA_W_IN * FAX_XRES))
		tw = (unsigned)(IMAGE_AREA_W_IN * FAX_XRES);
	scaled = pixScale(src, (l_float32)tw / (l_float32)pixGetWidth(src),
	    (l_float32)th / (l_float32)pixGetHeight(src));
	pixDestroy(&src);
	if (scaled == NULL) {
		snprintf(err, errlen, "out of memory (scaling)");
		return NULL;
	}
	bin = binarize(scaled, yres, kind, err, errlen);
	pixDestroy(&scaled);
	if (bin == NULL)
		return NULL;
	top = (unsigned)(IMAGE_TOP_IN * yres + 0.5);
	bottom = (unsigned)(IMAGE_BOTTOM_IN * yres + 0.5);
	x = ((FAX_PAGE_WIDTH - (unsigned)pixGetWidth(bin)) / 2) & ~7u;
	b = fax_image_to_bitmap(bin, FAX_PAGE_WIDTH,
	    top + (unsigned)pixGetHeight(bin) + bottom, x, top);
	pixDestroy(&bin);
	if (b == NULL)
		snprintf(err, errlen, "out of memory (page)");
	return b;
}

PIX *
fax_image_binarize(PIX *grey, int yres, char *err, size_t errlen)
{
	enum image_kind kind;

	return binarize(grey, yres, &kind, err, errlen);
}

struct fax_bitmap *
fax_image_to_bitmap(PIX *pix, unsigned width, unsigned height, unsigned x,
    unsigned y)
{
	l_int32 w = pixGetWidth(pix), h = pixGetHeight(pix);
	l_int32 wpl = pixGetWpl(pix), r, k;
	const l_uint32 *data = pixGetData(pix);
	struct fax_bitmap *b;

	if (pixGetDepth(pix) != 1 || (b = fax_bitmap_new(width, height)) == NULL)
		return NULL;
	for (r = 0; r < h && y + (unsigned)r < height; r++) {
		const l_uint32 *line = data + (size_t)r * (size_t)wpl;
		uint8_t *dst = fax_bitmap_row(b, y + (unsigned)r);

		if ((x & 7) == 0) {
			/* whole bytes: Leptonica keeps 32-bit words, MSB first */
			size_t nbytes = ((size_t)w + 7) / 8, off = x / 8;

			for (k = 0; (size_t)k < nbytes && off + (size_t)k <
			    b->stride; k++) {
				l_uint32 word = line[k / 4];

				dst[off + (size_t)k] = (uint8_t)(word >>
				    (24 - 8 * (k % 4)));
			}
			/* bits past the image's width in its last byte */
			if (w % 8 != 0 && off + nbytes - 1 < b->stride)
				dst[off + nbytes - 1] &= (uint8_t)(0xff <<
				    (8 - w % 8));
		} else {
			for (k = 0; k < w; k++)
				if (GET_DATA_BIT(line, k))
					fax_bitmap_set(b, x + (unsigned)k,
					    y + (unsigned)r);
		}
	}
	return b;
}

int
fax_image_to_pages(const void *buf, size_t len, const char *out_path,
    const struct fax_image_limits *lim, struct fax_tiff_info *info,
    char *err, size_t errlen)
{
	struct fax_image_limits L = {
		FAX_IMAGE_MAX_PAGES_DEFAULT, FAX_IMAGE_MAX_PIXELS_DEFAULT,
		FAX_TIFF_RES_AUTO,
	};
	struct fax_image_src *src;
	struct fax_writer *w = NULL;
	struct fax_tiff_info got;
	unsigned n, i;
	int yres, rc = -1;

	if (lim != NULL) {
		if (lim->max_pages)
			L.max_pages = lim->max_pages;
		if (lim->max_pixels)
			L.max_pixels = lim->max_pixels;
		L.resolution = lim->resolution;
	}
	yres = L.resolution == FAX_TIFF_RES_STANDARD ? FAX_YRES_STANDARD :
	    FAX_YRES_FINE;
	memset(&got, 0, sizeof(got));
	if ((src = fax_image_src_open(buf, len, err, errlen)) == NULL)
		return -1;
	if (fax_image_src_bilevel(src)) {
		/* One bit a pixel: the normalizer's own pixel bound unless the
		 * caller set one. */
		struct fax_tiff_limits tl = {
			.max_pages = L.max_pages,
			.max_pixels = lim != NULL ? lim->max_pixels : 0,
			.resolution = L.resolution,
		};

		fax_image_src_close(src);
		return fax_tiff_normalize_mem(buf, len, out_path, &tl, info, err,
		    errlen);
	}
	n = fax_image_src_pages(src);
	if (n > L.max_pages) {
		snprintf(err, errlen, "too many pages (%u; the limit is %u)", n,
		    L.max_pages);
		goto out;
	}
	/* Pages of pictures cost their pixels: a TIFF may not make more work
	 * than IMAGE_FULL_PAGES pages at the limit. */
	if (n > 1 && fax_image_src_pixels(src) > IMAGE_FULL_PAGES * L.max_pixels) {
		snprintf(err, errlen, "the image's pages have %llu pixels together; "
		    "the limit is %llu", fax_image_src_pixels(src),
		    IMAGE_FULL_PAGES * L.max_pixels);
		goto out;
	}
	if ((w = fax_writer_open(out_path, FAX_OUT_SEND, n, err, errlen)) ==
	    NULL)
		goto out;
	for (i = 0; i < n; i++) {
		struct fax_bitmap *b;
		enum image_kind kind;
		float xdpi, ydpi;
		int turned;
		PIX *g;
		char perr[200];

		if ((g = fax_image_src_decode(src, i, L.max_pixels, &xdpi, &ydpi,
		    perr, sizeof(perr))) == NULL) {
			if (n > 1)
				snprintf(err, errlen, "page %u: %s", i + 1, perr);
			else
				snprintf(err, errlen, "%s", perr);
			goto out;
		}
		b = page_make(g, xdpi, ydpi, yres, &turned, &kind, err, errlen);
		pixDestroy(&g);
		if (b == NULL)
			goto out;
		if (fax_writer_page(w, b, yres, err, errlen) < 0) {
			fax_bitmap_free(b);
			goto out;
		}
		fax_bitmap_free(b);
		got.pages++;
		got.rotated_pages += (unsigned)turned;
		got.photo_pages += kind == IMAGE_PHOTO;
	}
	rc = fax_writer_commit(w, err, errlen);
	w = NULL;
	got.width = FAX_PAGE_WIDTH;
	got.fine_pages = yres == FAX_YRES_FINE ? got.pages : 0;
	if (rc == 0 && info != NULL)
		*info = got;
out:
	fax_writer_abort(w);
	fax_image_src_close(src);
	return rc;
}
