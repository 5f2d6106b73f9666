/*
 * fax/preview.c: a small picture of a fax's first page for the HTML part
 * of onramp mail, made with Leptonica: the bilevel page scaled down to
 * grey (anti-aliased, so text stays legible at a third of its size), its
 * rows stretched back to the page's true proportions when the fax is at
 * standard resolution, 16 grey levels, PNG.
 *
 * Not here: the mail (mime/onramp), the PDF (pdf.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/image_int.h"

#define PREVIEW_MAX_ROWS	FAX_TIFF_MAX_OUT_ROWS * 2	/* rows read */
#define PREVIEW_GREYS		16

static PIX	*bitmap_to_pix(const struct fax_bitmap *);

/* A fax bitmap (1 = black, MSB first) as a 1 bpp Pix. */
static PIX *
bitmap_to_pix(const struct fax_bitmap *b)
{
	PIX *pix = pixCreate((l_int32)b->width, (l_int32)b->height, 1);
	l_uint32 *data;
	l_int32 wpl;
	unsigned y;
	size_t k;

	if (pix == NULL)
		return NULL;
	data = pixGetData(pix);
	wpl = pixGetWpl(pix);
	for (y = 0; y < b->height; y++) {
		const uint8_t *src = fax_bitmap_row(b, y);
		l_uint32 *line = data + (size_t)y * (size_t)wpl;

		for (k = 0; k < b->stride; k++)
			line[k / 4] |= (l_uint32)src[k] << (24 - 8 * (k % 4));
	}
	return pix;
}

int
fax_tiff_preview_png(const char *tiff_path, unsigned width,
    unsigned char **png, size_t *png_len, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	struct fax_bitmap *b = NULL;
	PIX *bin = NULL, *grey = NULL, *tall = NULL, *q = NULL;
	l_uint8 *data = NULL;
	size_t size = 0;
	float f, stretch;
	int xres, yres, rc = -1;

	*png = NULL;
	*png_len = 0;
	if (width == 0)
		width = FAX_PREVIEW_WIDTH;
	if (width > FAX_PREVIEW_WIDTH_MAX)
		width = FAX_PREVIEW_WIDTH_MAX;
	if (fax_tiff_in_open(&in, tiff_path, err, errlen) < 0)
		return -1;
	if ((b = fax_tiff_read_bilevel(&in, FAX_TIFF_MAX_DIM_DEFAULT,
	    PREVIEW_MAX_ROWS, &xres, &yres, err, errlen)) == NULL)
		goto out;
	if (xres <= 0 || yres <= 0)
		xres = yres = FAX_XRES;
	if ((bin = bitmap_to_pix(b)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	f = (float)width / (float)b->width;
	grey = f < 1.0f ? pixScaleToGray(bin, f) : pixConvert1To8(NULL, bin,
	    255, 0);
	/* Rows at 98 dpi cover twice the paper rows at 196 do. */
	stretch = (float)xres / (float)yres;
	if (grey != NULL && (stretch < 0.98f || stretch > 1.02f))
		tall = pixScaleGrayLI(grey, 1.0f, stretch);
	else if (grey != NULL)
		tall = pixClone(grey);
	if (tall != NULL)
		q = pixThresholdTo4bpp(tall, PREVIEW_GREYS, 1);
	if (q == NULL || pixWriteMemPng(&data, &size, q, 0.0f) != 0) {
		snprintf(err, errlen, "out of memory (preview)");
		goto out;
	}
	*png = data;
	*png_len = size;
	rc = 0;
out:
	pixDestroy(&q);
	pixDestroy(&tall);
	pixDestroy(&grey);
	pixDestroy(&bin);
	fax_bitmap_free(b);
	fax_tiff_in_close(&in);
	return rc;
}
