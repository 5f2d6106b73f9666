/*
 * Shared code for the fax/ unit suites: a temporary directory per test, TIFF
 * pages written with libtiff in any layout the normalizer must accept,
 * and pages decoded back to bitmaps for pixel comparisons.
 */
#ifndef FAX_TEST_UTIL_H
#define FAX_TEST_UTIL_H

#include <check.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <unistd.h>

#define FT_UNUSED __attribute__((unused))

/* A decoded page: 1 = black, MSB first. */
struct ft_page {
	uint32_t w, h;
	size_t stride;
	uint8_t *bits;
	float xres, yres;
};

/* How ft_write() lays a page out in the file. */
struct ft_layout {
	uint16_t compression;		/* COMPRESSION_*; 0 = none */
	uint32_t g3opts;		/* for CCITTFAX3 */
	uint16_t fillorder;		/* 0 = 1 */
	uint16_t photometric;		/* 0 = min-is-white */
	uint16_t bps;			/* 0 = 1; 8 = greyscale */
	uint32_t tile;			/* 0 = strips, else square tiles */
	int big_endian;
	int no_resolution;
};

static char ft_dir[64];

static FT_UNUSED int
ft_rm(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(p);
}

static FT_UNUSED void
ft_setup(void)
{
	snprintf(ft_dir, sizeof(ft_dir), "/tmp/t37-fax-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(ft_dir));
}

static FT_UNUSED void
ft_teardown(void)
{
	nftw(ft_dir, ft_rm, 16, FTW_DEPTH | FTW_PHYS);
}

static FT_UNUSED const char *
ft_path(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", ft_dir, name);
	return buf[i];
}

static FT_UNUSED struct ft_page *
ft_page_new(uint32_t w, uint32_t h)
{
	struct ft_page *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	p->w = w;
	p->h = h;
	p->stride = (w + 7) / 8;
	p->bits = calloc(h, p->stride);
	ck_assert_ptr_nonnull(p->bits);
	p->xres = 204;
	p->yres = 196;
	return p;
}

static FT_UNUSED void
ft_page_free(struct ft_page *p)
{
	if (p != NULL)
		free(p->bits);
	free(p);
}

static FT_UNUSED int
ft_get(const struct ft_page *p, uint32_t x, uint32_t y)
{
	return (p->bits[y * p->stride + x / 8] >> (7 - x % 8)) & 1;
}

static FT_UNUSED void
ft_set(struct ft_page *p, uint32_t x, uint32_t y)
{
	if (x < p->w && y < p->h)
		p->bits[y * p->stride + x / 8] |= (uint8_t)(0x80 >> (x % 8));
}

static FT_UNUSED void
ft_rect(struct ft_page *p, uint32_t x0, uint32_t y0, uint32_t x1, uint32_t y1)
{
	for (uint32_t y = y0; y < y1; y++)
		for (uint32_t x = x0; x < x1; x++)
			ft_set(p, x, y);
}

/* A page with a 4-pixel border and text-like blocks from a seed. */
/* 1 when any pixel of the rectangle [x0,x1) x [y0,y1) is black. */
static FT_UNUSED int
ft_black_in(const struct ft_page *p, uint32_t x0, uint32_t y0, uint32_t x1,
    uint32_t y1)
{
	for (uint32_t y = y0; y < y1 && y < p->h; y++)
		for (uint32_t x = x0; x < x1 && x < p->w; x++)
			if (ft_get(p, x, y))
				return 1;
	return 0;
}

/* The black pixels in the rectangle [x0,x1) x [y0,y1). */
static FT_UNUSED unsigned long
ft_ink(const struct ft_page *p, uint32_t x0, uint32_t y0, uint32_t x1,
    uint32_t y1)
{
	unsigned long n = 0;

	for (uint32_t y = y0; y < y1 && y < p->h; y++)
		for (uint32_t x = x0; x < x1 && x < p->w; x++)
			n += ft_get(p, x, y);
	return n;
}

static FT_UNUSED struct ft_page *
ft_pattern(uint32_t w, uint32_t h, unsigned seed)
{
	struct ft_page *p = ft_page_new(w, h);
	uint32_t x, y;

	ft_rect(p, 0, 0, w, 4);
	ft_rect(p, 0, h - 4, w, h);
	ft_rect(p, 0, 0, 4, h);
	ft_rect(p, w - 4, 0, w, h);
	for (y = 20; y + 12 < h; y += 24)
		for (x = 40; x + 30 < w; x += 36) {
			seed = seed * 1103515245u + 12345u;
			if ((seed >> 16) % 3 != 0)
				ft_rect(p, x, y, x + 10 + (seed >> 20) % 20,
				    y + 6 + (seed >> 24) % 8);
		}
	return p;
}

/* Writes pages[0..n) with layout L. */
static FT_UNUSED void
ft_write(const char *path, struct ft_page **pages, int n,
    const struct ft_layout *L)
{
	TIFF *t = TIFFOpen(path, L->big_endian ? "wb" : "wl");
	uint16_t bps = L->bps ? L->bps : 1;
	uint16_t photo = L->photometric;
	int i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < n; i++) {
		struct ft_page *p = pages[i];
		size_t rowbytes = bps == 8 ? p->w : p->stride;
		uint8_t *row = calloc(1, rowbytes + 16);
		uint32_t x, y;

		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, p->w);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, p->h);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bps);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, photo);
		TIFFSetField(t, TIFFTAG_COMPRESSION,
		    L->compression ? L->compression : COMPRESSION_NONE);
		if (L->compression == COMPRESSION_CCITTFAX3)
			TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, L->g3opts);
		TIFFSetField(t, TIFFTAG_FILLORDER,
		    L->fillorder ? L->fillorder : FILLORDER_MSB2LSB);
		TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
		if (!L->no_resolution) {
			TIFFSetField(t, TIFFTAG_XRESOLUTION, p->xres);
			TIFFSetField(t, TIFFTAG_YRESOLUTION, p->yres);
			TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		}
		TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t)i, (uint16_t)n);
		if (L->tile) {
			uint32_t tw = L->tile, tx, ty, r;
			size_t tb = bps == 8 ? tw : tw / 8;
			uint8_t *tile = calloc(tw, tb);

			TIFFSetField(t, TIFFTAG_TILEWIDTH, tw);
			TIFFSetField(t, TIFFTAG_TILELENGTH, tw);
			for (ty = 0; ty < p->h; ty += tw)
				for (tx = 0; tx < p->w; tx += tw) {
					memset(tile, 0, tw * tb);
					for (r = 0; r < tw && ty + r < p->h; r++)
						for (x = 0; x < tw &&
						    tx + x < p->w; x++) {
							int blk = ft_get(p,
							    tx + x, ty + r);
							int on = photo ==
							    PHOTOMETRIC_MINISBLACK
							    ? !blk : blk;
							if (bps == 8)
								tile[r * tb + x] =
								    on ? 255 : 0;
							else if (on)
								tile[r * tb + x / 8] |=
								    (uint8_t)(0x80 >>
								    (x % 8));
						}
					ck_assert_int_ge(TIFFWriteTile(t, tile,
					    tx, ty, 0, 0), 0);
				}
			free(tile);
		} else {
			TIFFSetField(t, TIFFTAG_ROWSPERSTRIP,
			    L->compression == COMPRESSION_NONE ? 64 : p->h);
			for (y = 0; y < p->h; y++) {
				for (x = 0; x < p->w; x++) {
					int blk = ft_get(p, x, y);
					int on = photo == PHOTOMETRIC_MINISBLACK ?
					    !blk : blk;

					if (bps == 8)
						row[x] = on ? 255 : 0;
					else if (x % 8 == 0)
						row[x / 8] = 0;
					if (bps != 8 && on)
						row[x / 8] |= (uint8_t)(0x80 >>
						    (x % 8));
				}
				ck_assert_int_ge(TIFFWriteScanline(t, row, y, 0),
				    0);
			}
		}
		free(row);
		ck_assert(TIFFWriteDirectory(t));
	}
	TIFFClose(t);
}

static FT_UNUSED void
ft_write1(const char *path, struct ft_page *p, const struct ft_layout *L)
{
	ft_write(path, &p, 1, L);
}

/* Decodes page `dir` of a bilevel file; NULL if it has no such page. */
static FT_UNUSED struct ft_page *
ft_read(const char *path, int dir)
{
	TIFF *t = TIFFOpen(path, "r");
	struct ft_page *p;
	uint32_t w = 0, h = 0, y;
	uint16_t photo = 0, bps = 1, unit = 2;
	size_t i;

	ck_assert_ptr_nonnull(t);
	if (!TIFFSetDirectory(t, (tdir_t)dir)) {
		TIFFClose(t);
		return NULL;
	}
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
	ck_assert_uint_eq(bps, 1);
	TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &photo);
	p = ft_page_new(w, h);
	TIFFGetField(t, TIFFTAG_XRESOLUTION, &p->xres);
	TIFFGetField(t, TIFFTAG_YRESOLUTION, &p->yres);
	TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
	ck_assert_uint_eq(unit, RESUNIT_INCH);
	for (y = 0; y < h; y++)
		ck_assert_int_ge(TIFFReadScanline(t, p->bits + y * p->stride,
		    y, 0), 0);
	if (photo == PHOTOMETRIC_MINISBLACK)
		for (i = 0; i < p->stride * h; i++)
			p->bits[i] = (uint8_t)~p->bits[i];
	TIFFClose(t);
	return p;
}

static FT_UNUSED int
ft_pages(const char *path)
{
	TIFF *t = TIFFOpen(path, "r");
	int n;

	ck_assert_ptr_nonnull(t);
	n = TIFFNumberOfDirectories(t);
	TIFFClose(t);
	return n;
}

/* Number of rows that differ between two pages of equal size. */
static FT_UNUSED unsigned
ft_diff_rows(const struct ft_page *a, const struct ft_page *b)
{
	unsigned n = 0;
	uint32_t y, x;

	ck_assert_uint_eq(a->w, b->w);
	ck_assert_uint_eq(a->h, b->h);
	for (y = 0; y < a->h; y++)
		for (x = 0; x < a->w; x++)
			if (ft_get(a, x, y) != ft_get(b, x, y)) {
				n++;
				break;
			}
	return n;
}

/* Bounding box of black pixels; returns 0 for a white page. */
static FT_UNUSED int
ft_bbox(const struct ft_page *p, uint32_t *x0, uint32_t *y0, uint32_t *x1,
    uint32_t *y1)
{
	uint32_t x, y;
	int any = 0;

	*x0 = *y0 = UINT32_MAX;
	*x1 = *y1 = 0;
	for (y = 0; y < p->h; y++)
		for (x = 0; x < p->w; x++)
			if (ft_get(p, x, y)) {
				any = 1;
				if (x < *x0) *x0 = x;
				if (y < *y0) *y0 = y;
				if (x > *x1) *x1 = x;
				if (y > *y1) *y1 = y;
			}
	return any;
}

#endif
