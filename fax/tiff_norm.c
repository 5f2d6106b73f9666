/*
 * fax/tiff_norm.c: turns any sane TIFF a mail user attaches into pages
 * spandsp 0.0.6 can send (it cannot scale: 1728 wide, 204x98 or 204x196),
 * and rewrites received files to RFC 3949 Profile S.
 *
 * Every input page is checked (dimensions, pixel count, sample format,
 * resolution) before its pixels are decoded, and the page count of all
 * inputs before the first page: a TIFF bomb costs a few header reads.
 * A page is decoded into a bitmap (grey and colour thresholded at 50%),
 * turned to portrait if it is landscape, then area-scaled to keep its
 * physical size at 204 dpi across (scaled down only to fit 215 mm).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/fax_int.h"
#include "util/thread_role.h"

#define FAX_TIFF_MAX_TILE_BYTES		(16 * 1024 * 1024)
#define FAX_RES_MIN_DPI			10.0
#define FAX_RES_MAX_DPI			4800.0
#define FAX_FIT_WIDTH_IN		(FAX_PAGE_WIDTH / (double)FAX_XRES * 1.02)
#define FAX_THRESHOLD_GREY		128	/* 50% darkness */
#define FAX_THRESHOLD_THIN		80	/* downscaling bilevel: keep
						 * one-pixel strokes */
#define FAX_PROFILE_S_MAX_PAGES		1000	/* received faxes */
#define FAX_PROFILE_S_MAX_WIDTH		4864	/* T.4 widest (A3 R16) */
#define FAX_PROFILE_S_MAX_HEIGHT	40000	/* unlimited length pages */

/* How the samples of one input page are laid out. */
struct src_fmt {
	unsigned width, height;
	uint16_t bps, spp, photo;
	uint16_t *cmap_r, *cmap_g, *cmap_b;	/* palette; owned by libtiff */
	unsigned max;				/* (1 << bps) - 1 */
	double xres, yres;			/* dpi, after guessing */
	int tiled;
	uint32_t tile_w, tile_h;
};

static void	 limits_defaults(const struct fax_tiff_limits *,
		    struct fax_tiff_limits *);
static int	 check_page(struct fax_tiff_in *, const struct fax_tiff_limits *,
		    struct src_fmt *, char *, size_t);
static void	 guess_resolution(struct fax_tiff_in *, struct src_fmt *);
static int	 check_chunks(struct fax_tiff_in *, int, char *, size_t);
static int	 chunk_cmp(const void *, const void *);
static unsigned	 darkness(const struct src_fmt *, const uint8_t *, unsigned);
static void	 convert_row(const struct src_fmt *, const uint8_t *, unsigned,
		    struct fax_bitmap *, unsigned, unsigned);
static struct fax_bitmap *decode_page(struct fax_tiff_in *,
		    const struct src_fmt *, char *, size_t);
static struct fax_bitmap *rotate_ccw(const struct fax_bitmap *);
static int	 scale_into(const struct fax_bitmap *, struct fax_bitmap *,
		    unsigned, unsigned, unsigned, unsigned);
static int	 normalize_page(struct fax_tiff_in *,
		    const struct fax_tiff_limits *, struct fax_writer *,
		    struct fax_tiff_info *, char *, size_t);
static int	 normalize_files(struct fax_tiff_in *, int, const char *,
		    const struct fax_tiff_limits *, struct fax_tiff_info *,
		    char *, size_t);

static void
limits_defaults(const struct fax_tiff_limits *in, struct fax_tiff_limits *l)
{
	memset(l, 0, sizeof(*l));
	if (in != NULL)
		*l = *in;
	if (l->max_pages == 0)
		l->max_pages = FAX_TIFF_MAX_PAGES_DEFAULT;
	if (l->max_width == 0)
		l->max_width = FAX_TIFF_MAX_DIM_DEFAULT;
	if (l->max_height == 0)
		l->max_height = FAX_TIFF_MAX_DIM_DEFAULT;
	if (l->max_pixels == 0)
		l->max_pixels = FAX_TIFF_MAX_PIXELS_DEFAULT;
}

/* ------------------------------------------------------ page checks */

static void
guess_resolution(struct fax_tiff_in *in, struct src_fmt *f)
{
	float x = 0, y = 0;
	uint16_t unit = RESUNIT_INCH;
	int hx, hy;

	hx = TIFFGetField(in->tif, TIFFTAG_XRESOLUTION, &x) && x > 0;
	hy = TIFFGetField(in->tif, TIFFTAG_YRESOLUTION, &y) && y > 0;
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER) {
		x *= 2.54f;
		y *= 2.54f;
	}
	f->xres = x;
	f->yres = y;
	if (hx && hy && unit != RESUNIT_NONE)
		return;
	/* No (absolute) resolution: fax widths are 204 dpi across, and a
	 * fax page taller than 1500 rows is fine; a wide image is taken as a
	 * square-pixel scan of a letter-wide page, a small one as fax pixels. */
	if (f->width == 1728 || f->width == 2048 || f->width == 2432) {
		f->xres = FAX_XRES;
		if (hx && hy && unit == RESUNIT_NONE)
			f->yres = FAX_XRES * (double)y / (double)x;
		else if (hy && unit != RESUNIT_NONE)
			f->yres = y;
		else
			f->yres = f->height > 1500 ? FAX_YRES_FINE :
			    FAX_YRES_STANDARD;
	} else if (f->width >= 1275) {	/* a page scan, 150 dpi or more */
		f->xres = f->width / 8.5;
		f->yres = (hx && hy) ? f->xres * (double)y / (double)x :
		    f->xres;
	} else {			/* a small image: fax-sized pixels */
		f->xres = FAX_XRES;
		f->yres = (hx && hy) ? FAX_XRES * (double)y / (double)x :
		    FAX_YRES_FINE;
	}
}

struct chunk {
	uint64_t off, len;
};

static int
chunk_cmp(const void *a, const void *b)
{
	const struct chunk *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * Strips or tiles must lie inside the file and must not overlap (RFC 3949
 * reader rules): a crafted file reusing bytes is refused, not decoded.
 * Identical entries (one blank strip shared) and empty ones are allowed.
 */
static int
check_chunks(struct fax_tiff_in *in, int tiled, char *err, size_t errlen)
{
	uint64_t *offs = NULL, *lens = NULL;
	struct chunk *c;
	uint32_t n, i;

	n = tiled ? TIFFNumberOfTiles(in->tif) : TIFFNumberOfStrips(in->tif);
	if (n == 0 || !TIFFGetField(in->tif, tiled ? TIFFTAG_TILEOFFSETS :
	    TIFFTAG_STRIPOFFSETS, &offs) || !TIFFGetField(in->tif, tiled ?
	    TIFFTAG_TILEBYTECOUNTS : TIFFTAG_STRIPBYTECOUNTS, &lens) ||
	    offs == NULL || lens == NULL) {
		snprintf(err, errlen, "corrupt TIFF: no image data");
		return -1;
	}
	if ((c = calloc(n, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		c[i].off = offs[i];
		c[i].len = lens[i];
		if (c[i].len > in->size || c[i].off > in->size - c[i].len) {
			snprintf(err, errlen, "corrupt TIFF: image data outside "
			    "the file");
			free(c);
			return -1;
		}
	}
	qsort(c, n, sizeof(*c), chunk_cmp);
	for (i = 1; i < n; i++) {
		if (c[i - 1].len == 0 || (c[i].off == c[i - 1].off &&
		    c[i].len == c[i - 1].len))
			continue;
		if (c[i - 1].off + c[i - 1].len > c[i].off) {
			snprintf(err, errlen, "corrupt TIFF: overlapping image "
			    "data");
			free(c);
			return -1;
		}
	}
	free(c);
	return 0;
}

/* Everything about a page that can be refused without decoding it. */
static int
check_page(struct fax_tiff_in *in, const struct fax_tiff_limits *l,
    struct src_fmt *f, char *err, size_t errlen)
{
	uint32_t w = 0, h = 0;
	uint16_t planar = PLANARCONFIG_CONTIG, sfmt = SAMPLEFORMAT_UINT;
	uint16_t comp = COMPRESSION_NONE;
	uint64_t tile_bytes;

	memset(f, 0, sizeof(*f));
	if (!TIFFGetField(in->tif, TIFFTAG_IMAGEWIDTH, &w) ||
	    !TIFFGetField(in->tif, TIFFTAG_IMAGELENGTH, &h)) {
		snprintf(err, errlen, "corrupt TIFF: no image dimensions");
		return -1;
	}
	if (w == 0 || h == 0 || w > l->max_width || h > l->max_height ||
	    (unsigned long long)w * h > l->max_pixels) {
		snprintf(err, errlen, "absurd page dimensions %ux%u (limit "
		    "%ux%u)", w, h, l->max_width, l->max_height);
		return -1;
	}
	f->width = w;
	f->height = h;
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_BITSPERSAMPLE, &f->bps);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_SAMPLESPERPIXEL, &f->spp);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_PLANARCONFIG, &planar);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_SAMPLEFORMAT, &sfmt);
	if (!TIFFGetField(in->tif, TIFFTAG_PHOTOMETRIC, &f->photo))
		f->photo = PHOTOMETRIC_MINISWHITE;	/* fax default */
	if (sfmt != SAMPLEFORMAT_UINT || (f->bps != 1 && f->bps != 2 &&
	    f->bps != 4 && f->bps != 8 && f->bps != 16)) {
		snprintf(err, errlen, "unsupported sample format (%u bits)",
		    f->bps);
		return -1;
	}
	f->max = (1u << f->bps) - 1;
	switch (f->photo) {
	case PHOTOMETRIC_MINISWHITE:
	case PHOTOMETRIC_MINISBLACK:
		if (f->spp < 1 || f->spp > 2 ||
		    (f->spp > 1 && planar != PLANARCONFIG_CONTIG))
			goto colour;
		break;
	case PHOTOMETRIC_YCBCR:
		/* JPEG scans: libjpeg converts to RGB for us. */
		TIFFGetFieldDefaulted(in->tif, TIFFTAG_COMPRESSION, &comp);
		if (comp != COMPRESSION_JPEG || f->bps != 8 || f->spp != 3 ||
		    !TIFFSetField(in->tif, TIFFTAG_JPEGCOLORMODE,
		    JPEGCOLORMODE_RGB))
			goto colour;
		f->photo = PHOTOMETRIC_RGB;
		break;
	case PHOTOMETRIC_RGB:
		if (f->bps != 8 || f->spp < 3 || f->spp > 4 ||
		    planar != PLANARCONFIG_CONTIG)
			goto colour;
		break;
	case PHOTOMETRIC_PALETTE:
		if (f->spp != 1 || f->bps > 8 ||
		    !TIFFGetField(in->tif, TIFFTAG_COLORMAP, &f->cmap_r,
		    &f->cmap_g, &f->cmap_b))
			goto colour;
		break;
	default:
		goto colour;
	}
	f->tiled = TIFFIsTiled(in->tif);
	if (f->tiled) {
		if (!TIFFGetField(in->tif, TIFFTAG_TILEWIDTH, &f->tile_w) ||
		    !TIFFGetField(in->tif, TIFFTAG_TILELENGTH, &f->tile_h) ||
		    f->tile_w == 0 || f->tile_h == 0 || f->tile_w % 16 ||
		    f->tile_h % 16) {
			snprintf(err, errlen, "corrupt TIFF: bad tile size");
			return -1;
		}
		tile_bytes = (uint64_t)f->tile_w * f->tile_h * f->spp *
		    f->bps / 8;
		if (tile_bytes > FAX_TIFF_MAX_TILE_BYTES) {
			snprintf(err, errlen, "absurd tile size %ux%u",
			    f->tile_w, f->tile_h);
			return -1;
		}
	}
	if (check_chunks(in, f->tiled, err, errlen) < 0)
		return -1;
	guess_resolution(in, f);
	if (!(f->xres >= FAX_RES_MIN_DPI && f->xres <= FAX_RES_MAX_DPI &&
	    f->yres >= FAX_RES_MIN_DPI && f->yres <= FAX_RES_MAX_DPI)) {
		snprintf(err, errlen, "absurd resolution %.0fx%.0f dpi",
		    f->xres, f->yres);
		return -1;
	}
	return 0;
colour:
	snprintf(err, errlen, "colour image it cannot threshold "
	    "(photometric %u, %u samples of %u bits)", f->photo, f->spp,
	    f->bps);
	return -1;
}

/* -------------------------------------------------------- decoding */

/* Darkness 0 (white) .. 255 (black) of pixel i of a raw row. */
static unsigned
darkness(const struct src_fmt *f, const uint8_t *raw, unsigned i)
{
	unsigned v, lum, bit;

	switch (f->bps) {
	case 8:
		if (f->photo == PHOTOMETRIC_RGB) {
			raw += (size_t)i * f->spp;
			lum = (299u * raw[0] + 587u * raw[1] + 114u * raw[2]) /
			    1000u;
			return 255 - lum;
		}
		v = raw[(size_t)i * f->spp];
		break;
	case 16:
		v = ((const uint16_t *)(const void *)raw)[(size_t)i * f->spp];
		v >>= 8;
		break;
	default:
		bit = i * f->spp * f->bps;
		v = (raw[bit / 8] >> (8 - f->bps - bit % 8)) & f->max;
		break;
	}
	if (f->photo == PHOTOMETRIC_PALETTE) {
		lum = (299u * (f->cmap_r[v] >> 8) + 587u * (f->cmap_g[v] >> 8) +
		    114u * (f->cmap_b[v] >> 8)) / 1000u;
		return 255 - lum;
	}
	if (f->bps != 8 && f->bps != 16)
		v = v * 255 / f->max;
	return f->photo == PHOTOMETRIC_MINISWHITE ? v : 255 - v;
}

/* Converts n pixels of a raw row to bits at (x0, y) of b. */
static void
convert_row(const struct src_fmt *f, const uint8_t *raw, unsigned n,
    struct fax_bitmap *b, unsigned x0, unsigned y)
{
	uint8_t *out = fax_bitmap_row(b, y);
	unsigned i, full;

	if (f->bps == 1 && f->spp == 1 && f->photo != PHOTOMETRIC_PALETTE &&
	    x0 % 8 == 0) {
		full = n / 8;
		for (i = 0; i < full; i++)
			out[x0 / 8 + i] = f->photo == PHOTOMETRIC_MINISBLACK ?
			    (uint8_t)~raw[i] : raw[i];
		for (i = full * 8; i < n; i++)
			if (darkness(f, raw, i) >= FAX_THRESHOLD_GREY)
				fax_bitmap_set(b, x0 + i, y);
		return;
	}
	for (i = 0; i < n; i++)
		if (darkness(f, raw, i) >= FAX_THRESHOLD_GREY)
			fax_bitmap_set(b, x0 + i, y);
}

static struct fax_bitmap *
decode_page(struct fax_tiff_in *in, const struct src_fmt *f, char *err,
    size_t errlen)
{
	struct fax_bitmap *b;
	uint8_t *buf = NULL;
	tmsize_t sz;
	uint32_t x, y, r, n, rowbytes;

	if ((b = fax_bitmap_new(f->width, f->height)) == NULL)
		goto nomem;
	if (!f->tiled) {
		sz = TIFFScanlineSize(in->tif);
		if (sz <= 0 || (uint64_t)sz < ((uint64_t)f->width * f->spp *
		    f->bps + 7) / 8)
			goto corrupt;
		if ((buf = malloc((size_t)sz)) == NULL)
			goto nomem;
		for (y = 0; y < f->height; y++) {
			if (TIFFReadScanline(in->tif, buf, y, 0) < 0)
				goto corrupt;
			convert_row(f, buf, f->width, b, 0, y);
		}
	} else {
		sz = TIFFTileSize(in->tif);
		rowbytes = (uint32_t)(((uint64_t)f->tile_w * f->spp * f->bps +
		    7) / 8);
		if (sz <= 0 || (uint64_t)sz < (uint64_t)rowbytes * f->tile_h)
			goto corrupt;
		if ((buf = malloc((size_t)sz)) == NULL)
			goto nomem;
		for (y = 0; y < f->height; y += f->tile_h) {
			for (x = 0; x < f->width; x += f->tile_w) {
				if (TIFFReadTile(in->tif, buf, x, y, 0, 0) < 0)
					goto corrupt;
				n = f->width - x < f->tile_w ? f->width - x :
				    f->tile_w;
				for (r = 0; r < f->tile_h &&
				    y + r < f->height; r++)
					convert_row(f, buf + (size_t)r *
					    rowbytes, n, b, x, y + r);
			}
		}
	}
	free(buf);
	return b;
corrupt:
	snprintf(err, errlen, "corrupt TIFF: %s",
	    in->msg[0] ? in->msg : "bad image data");
	free(buf);
	fax_bitmap_free(b);
	return NULL;
nomem:
	snprintf(err, errlen, "out of memory");
	free(buf);
	fax_bitmap_free(b);
	return NULL;
}

/* Landscape to portrait: the top of the page ends up on the left. */
static struct fax_bitmap *
rotate_ccw(const struct fax_bitmap *s)
{
	struct fax_bitmap *d;
	unsigned x, y;
	const uint8_t *row;

	if ((d = fax_bitmap_new(s->height, s->width)) == NULL)
		return NULL;
	/* Source (x, y) goes to (y, width - 1 - x). */
	for (y = 0; y < s->height; y++) {
		row = fax_bitmap_row(s, y);
		for (x = 0; x < s->width; x++)
			if (row[x / 8] & (0x80 >> (x & 7)))
				fax_bitmap_set(d, y, s->width - 1 - x);
	}
	return d;
}

/*
 * Area-average scaling of src into an out_w x out_h box at column x_off of
 * dst (rows 0..out_h). Output pixel x covers source span [x*in_w, (x+1)*in_w)
 * in units where a source pixel is out_w wide; same vertically. Identity
 * scaling reproduces the source exactly.
 */
static int
scale_into(const struct fax_bitmap *src, struct fax_bitmap *dst,
    unsigned x_off, unsigned out_w, unsigned out_h, unsigned threshold)
{
	const unsigned in_w = src->width, in_h = src->height;
	uint32_t *hrow, *acc;
	uint64_t lo, hi, a, b, ov;
	unsigned j, x, i, y = 0;
	const uint8_t *row;

	if (in_w == out_w && in_h == out_h && x_off % 8 == 0) {
		for (j = 0; j < in_h; j++)
			memcpy(fax_bitmap_row(dst, j) + x_off / 8,
			    fax_bitmap_row(src, j), src->stride);
		return 0;
	}
	hrow = calloc(out_w, sizeof(*hrow));
	acc = calloc(out_w, sizeof(*acc));
	if (hrow == NULL || acc == NULL) {
		free(hrow);
		free(acc);
		return -1;
	}
	for (j = 0; j < in_h && y < out_h; j++) {
		row = fax_bitmap_row(src, j);
		/* Horizontal: average darkness (0..255) per output column. */
		i = 0;
		for (x = 0; x < out_w; x++) {
			uint64_t sum = 0;

			a = (uint64_t)x * in_w;
			b = a + in_w;
			while (i < in_w) {
				lo = (uint64_t)i * out_w;
				hi = lo + out_w;
				ov = (hi < b ? hi : b) - (lo > a ? lo : a);
				if (row[i / 8] & (0x80 >> (i & 7)))
					sum += ov;
				if (hi > b)
					break;
				i++;
				if (hi == b)
					break;
			}
			hrow[x] = (uint32_t)(sum * 255 / in_w);
		}
		/* Vertical: spread this source row over the output rows. */
		lo = (uint64_t)j * out_h;
		hi = lo + out_h;
		while (y < out_h) {
			a = (uint64_t)y * in_h;
			b = a + in_h;
			ov = (hi < b ? hi : b) - (lo > a ? lo : a);
			for (x = 0; x < out_w; x++)
				acc[x] += (uint32_t)(hrow[x] * ov);
			if (b > hi)
				break;
			/* Output row y complete. */
			for (x = 0; x < out_w; x++) {
				if (acc[x] >= (uint64_t)threshold * in_h)
					fax_bitmap_set(dst, x_off + x, y);
				acc[x] = 0;
			}
			y++;
			if (b == hi)
				break;
		}
	}
	free(hrow);
	free(acc);
	return 0;
}

/* --------------------------------------------------- normalization */

static int
normalize_page(struct fax_tiff_in *in, const struct fax_tiff_limits *l,
    struct fax_writer *w, struct fax_tiff_info *info, char *err,
    size_t errlen)
{
	struct src_fmt f;
	struct fax_bitmap *src = NULL, *rot, *page = NULL;
	double wp, hp, t, out_yres, fit;
	unsigned out_w, out_h, thr;
	int rc = -1, rotated = 0, fax_page;

	if (check_page(in, l, &f, err, errlen) < 0)
		return -1;
	wp = f.width / f.xres;			/* inches */
	hp = f.height / f.yres;
	if ((src = decode_page(in, &f, err, errlen)) == NULL)
		return -1;
	/* Landscape and too wide for the fax: turn it. A short strip that
	 * fits across (a receipt, a fax page cut short) stays as it is. */
	if (wp > hp * 1.05 && wp > FAX_FIT_WIDTH_IN) {
		if ((rot = rotate_ccw(src)) == NULL)
			goto nomem;
		fax_bitmap_free(src);
		src = rot;
		t = wp, wp = hp, hp = t;
		t = f.xres, f.xres = f.yres, f.yres = t;
		rotated = 1;
	}
	switch (l->resolution) {
	case FAX_TIFF_RES_FINE:
		out_yres = FAX_YRES_FINE;
		break;
	case FAX_TIFF_RES_STANDARD:
		out_yres = FAX_YRES_STANDARD;
		break;
	default:
		out_yres = f.yres <= 100.5 ? FAX_YRES_STANDARD : FAX_YRES_FINE;
		break;
	}
	/* Fax widths at fax resolutions map 1:1 (T.4 widths are 204 dpi;
	 * Profile S allows 200~204 and 98~100/196~200). */
	fax_page = f.xres >= 196 && f.xres <= 208 &&
	    src->width == FAX_PAGE_WIDTH;
	if (fax_page)
		out_w = src->width;
	else
		out_w = (unsigned)lround(wp * FAX_XRES);
	if (fax_page && fabs(f.yres - out_yres) <= out_yres * 0.03)
		out_h = src->height;
	else
		out_h = (unsigned)lround(hp * out_yres);
	fit = 1.0;
	if (out_w > FAX_PAGE_WIDTH)
		fit = (double)FAX_PAGE_WIDTH / out_w;
	if (out_h * fit > FAX_TIFF_MAX_OUT_ROWS)
		fit = (double)FAX_TIFF_MAX_OUT_ROWS / out_h;
	if (fit < 1.0) {
		out_w = (unsigned)lround(out_w * fit);
		out_h = (unsigned)lround(out_h * fit);
	}
	if (out_w > FAX_PAGE_WIDTH)
		out_w = FAX_PAGE_WIDTH;
	if (out_w == 0)
		out_w = 1;
	if (out_h == 0)
		out_h = 1;
	if ((page = fax_bitmap_new(FAX_PAGE_WIDTH, out_h)) == NULL)
		goto nomem;
	thr = (f.bps == 1 && (out_w < src->width || out_h < src->height)) ?
	    FAX_THRESHOLD_THIN : FAX_THRESHOLD_GREY;
	if (scale_into(src, page, (FAX_PAGE_WIDTH - out_w) / 2, out_w, out_h,
	    thr) < 0)
		goto nomem;
	if (fax_writer_page(w, page, (int)out_yres, err, errlen) < 0)
		goto out;
	if (info != NULL) {
		info->pages++;
		if (out_yres == FAX_YRES_FINE)
			info->fine_pages++;
		info->rotated_pages += (unsigned)rotated;
	}
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	fax_bitmap_free(src);
	fax_bitmap_free(page);
	return rc;
}

/* ins[0..n) are open; counts every page first, then converts. */
static int
normalize_files(struct fax_tiff_in *ins, int n, const char *out_path,
    const struct fax_tiff_limits *lim, struct fax_tiff_info *info,
    char *err, size_t errlen)
{
	struct fax_tiff_limits l;
	struct fax_writer *w;
	unsigned long total = 0;
	int i, d, nd;
	char perr[200];

	limits_defaults(lim, &l);
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->width = FAX_PAGE_WIDTH;
	}
	for (i = 0; i < n; i++) {
		nd = TIFFNumberOfDirectories(ins[i].tif);
		if (nd <= 0) {
			snprintf(err, errlen, "corrupt TIFF: no pages");
			return -1;
		}
		total += (unsigned long)nd;
		if (total > l.max_pages) {
			snprintf(err, errlen, "too many pages (limit %u)",
			    l.max_pages);
			return -1;
		}
	}
	if ((w = fax_writer_open(out_path, FAX_OUT_SEND, (unsigned)total, err,
	    errlen)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		nd = TIFFNumberOfDirectories(ins[i].tif);
		for (d = 0; d < nd; d++) {
			if (!TIFFSetDirectory(ins[i].tif, (tdir_t)d)) {
				snprintf(err, errlen, "corrupt TIFF: page %d: %s",
				    d + 1, ins[i].msg[0] ? ins[i].msg :
				    "unreadable directory");
				fax_writer_abort(w);
				return -1;
			}
			if (normalize_page(&ins[i], &l, w, info, perr,
			    sizeof(perr)) < 0) {
				if (n > 1)
					snprintf(err, errlen, "file %d page %d: %s",
					    i + 1, d + 1, perr);
				else
					snprintf(err, errlen, "page %d: %s",
					    d + 1, perr);
				fax_writer_abort(w);
				return -1;
			}
		}
	}
	return fax_writer_commit(w, err, errlen);
}

int
fax_tiff_normalize(const char *const *inputs, int n, const char *out_path,
    const struct fax_tiff_limits *lim, struct fax_tiff_info *info, char *err,
    size_t errlen)
{
	struct fax_tiff_in *ins;
	int i, rc = -1;
	char ferr[200];

	if (n <= 0) {
		snprintf(err, errlen, "no input files");
		return -1;
	}
	if ((ins = calloc((size_t)n, sizeof(*ins))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (fax_tiff_in_open(&ins[i], inputs[i], ferr, sizeof(ferr)) < 0) {
			if (n > 1)
				snprintf(err, errlen, "file %d: %s", i + 1, ferr);
			else
				snprintf(err, errlen, "%s", ferr);
			goto out;
		}
	}
	rc = normalize_files(ins, n, out_path, lim, info, err, errlen);
out:
	for (i = 0; i < n; i++)
		fax_tiff_in_close(&ins[i]);
	free(ins);
	return rc;
}

int
fax_tiff_normalize_mem(const void *buf, size_t len, const char *out_path,
    const struct fax_tiff_limits *lim, struct fax_tiff_info *info, char *err,
    size_t errlen)
{
	struct fax_tiff_in in;
	int rc;

	if (fax_tiff_in_open_mem(&in, buf, len, err, errlen) < 0)
		return -1;
	rc = normalize_files(&in, 1, out_path, lim, info, err, errlen);
	fax_tiff_in_close(&in);
	return rc;
}

/* -------------------------------------------------------- Profile S */

int
fax_tiff_profile_s(const char *in_path, const char *out_path,
    struct fax_tiff_info *info, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	struct fax_writer *w = NULL;
	struct fax_bitmap *src = NULL, *page = NULL;
	struct fax_page_meta meta;
	int nd, d, xres, yres, out_yres, rc = -1;
	uint16_t clean;
	uint32_t bad;
	unsigned out_h;
	double sy;
	char perr[200];

	thread_role_no_line_io("fax_tiff_profile_s");
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->width = FAX_PAGE_WIDTH;
	}
	if (fax_tiff_in_open(&in, in_path, err, errlen) < 0)
		return -1;
	nd = TIFFNumberOfDirectories(in.tif);
	if (nd <= 0 || nd > FAX_PROFILE_S_MAX_PAGES) {
		snprintf(err, errlen, nd <= 0 ? "corrupt TIFF: no pages" :
		    "too many pages (limit %d)", FAX_PROFILE_S_MAX_PAGES);
		goto out;
	}
	if ((w = fax_writer_open(out_path, FAX_OUT_PROFILE_S, (unsigned)nd,
	    err, errlen)) == NULL)
		goto out;
	for (d = 0; d < nd; d++) {
		if (!TIFFSetDirectory(in.tif, (tdir_t)d) ||
		    (src = fax_tiff_read_bilevel(&in, FAX_PROFILE_S_MAX_WIDTH,
		    FAX_PROFILE_S_MAX_HEIGHT, &xres, &yres, perr,
		    sizeof(perr))) == NULL) {
			snprintf(err, errlen, "page %d: %s", d + 1,
			    src == NULL && in.msg[0] == '\0' ? perr : in.msg);
			goto out;
		}
		/* 98/100 -> 98; 196/200 -> 196; superfine 391/400 halved. */
		out_yres = yres <= 150 ? FAX_YRES_STANDARD : FAX_YRES_FINE;
		sy = (yres > 300 ? 0.5 : 1.0);
		if (src->width > FAX_PAGE_WIDTH)	/* B4/A3: fit, keep aspect */
			sy *= (double)FAX_PAGE_WIDTH / src->width;
		out_h = (unsigned)lround(src->height * sy);
		if (out_h == 0)
			out_h = 1;
		if ((page = fax_bitmap_new(FAX_PAGE_WIDTH, out_h)) == NULL ||
		    scale_into(src, page, src->width < FAX_PAGE_WIDTH ?
		    (FAX_PAGE_WIDTH - src->width) / 2 : 0,
		    src->width < FAX_PAGE_WIDTH ? src->width : FAX_PAGE_WIDTH,
		    out_h, FAX_THRESHOLD_THIN) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		/* Keep the far TSI and reception time spandsp recorded. */
		meta.description = meta.datetime = NULL;
		meta.clean = meta.bad_lines = -1;
		TIFFGetField(in.tif, TIFFTAG_IMAGEDESCRIPTION, &meta.description);
		TIFFGetField(in.tif, TIFFTAG_DATETIME, &meta.datetime);
		if (TIFFGetField(in.tif, TIFFTAG_CLEANFAXDATA, &clean))
			meta.clean = clean;
		if (TIFFGetField(in.tif, TIFFTAG_BADFAXLINES, &bad))
			meta.bad_lines = (int)(bad > INT32_MAX ? INT32_MAX : bad);
		if (fax_writer_page_meta(w, page, out_yres, &meta, err,
		    errlen) < 0)
			goto out;
		if (info != NULL) {
			info->pages++;
			info->fine_pages += out_yres == FAX_YRES_FINE;
		}
		fax_bitmap_free(src);
		fax_bitmap_free(page);
		src = page = NULL;
	}
	fax_tiff_in_close(&in);		/* before the rename over in_path */
	rc = fax_writer_commit(w, err, errlen);
	w = NULL;
out:
	fax_bitmap_free(src);
	fax_bitmap_free(page);
	fax_writer_abort(w);
	fax_tiff_in_close(&in);
	return rc;
}
