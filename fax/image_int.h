/*
 * fax/image_int.h: private to fax/. Decoding of image attachments
 * (image.c) for the page maker (image_page.c) and the onramp preview:
 * every format becomes 8-bit greyscale Leptonica pages, alpha flattened
 * onto white, after the declared size was checked against the pixel cap.
 */
#ifndef FAX_IMAGE_INT_H
#define FAX_IMAGE_INT_H

#include <leptonica/allheaders.h>

#include "fax/fax_int.h"

/* Longest side of an image that is decoded at full size: a JPEG larger
 * than this is decoded at 1/2, 1/4 or 1/8 scale (libjpeg's DCT scaling),
 * as long as its long side stays at least this many pixels (an 11 inch
 * page at 204 dpi). */
#define FAX_IMAGE_DECODE_LONG_SIDE	2244

/* An image in memory, opened: its format and pages known, nothing decoded. */
struct fax_image_src;

/*
 * Opens the image in buf (borrowed until closed): the format from its
 * magic number, the page count (TIFF: directories; others: one). NULL with
 * err when the format is not one of PNG, JPEG, GIF, BMP, TIFF.
 */
struct fax_image_src *fax_image_src_open(const void *buf, size_t len,
    char *err, size_t errlen);
unsigned fax_image_src_pages(const struct fax_image_src *s);
/* A TIFF whose every page is one bit per pixel (a fax or a bilevel scan). */
int fax_image_src_bilevel(const struct fax_image_src *s);
/* TIFF: the pixels its pages declare, all together (the first
 * FAX_IMAGE_MAX_PAGES_SCANNED + 1 pages; more are refused anyway); 0 for
 * the other formats, which have one page. */
#define FAX_IMAGE_MAX_PAGES_SCANNED	1000
unsigned long long fax_image_src_pixels(const struct fax_image_src *s);

/*
 * Decodes page i (0-based) to an 8 bpp greyscale Pix (0 black, 255
 * white), EXIF orientation applied. Its dimensions are read first and
 * more than max_pixels refuses the page before any pixel is decoded.
 * *xdpi and *ydpi get the resolution the file declares, or 0. NULL with
 * err ("corrupt PNG: ...", "truncated JPEG ...", "the image is W x H
 * pixels; the limit is N"). Caller frees with pixDestroy().
 */
PIX *fax_image_src_decode(struct fax_image_src *s, unsigned i,
    unsigned long long max_pixels, float *xdpi, float *ydpi, char *err,
    size_t errlen);
void fax_image_src_close(struct fax_image_src *s);	/* accepts NULL */

/*
 * A greyscale Pix already at its final pixel size to 1 bpp (1 = black),
 * judged like a page of an image attachment (image_page.c): text-like
 * pictures binarized adaptively, documents after background
 * normalization, photos dithered. NULL with err when out of memory.
 */
PIX *fax_image_binarize(PIX *grey, int yres, char *err, size_t errlen);

/* Pix (1 bpp, 1 = black) to a new fax bitmap of width x height with the
 * image's top left at (x, y); NULL when out of memory. */
struct fax_bitmap *fax_image_to_bitmap(PIX *pix, unsigned width,
    unsigned height, unsigned x, unsigned y);

#endif
