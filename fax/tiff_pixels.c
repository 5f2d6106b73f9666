/*
 * fax/tiff_pixels: how many pixels a TIFF would make us decode, read from
 * its directories alone (no image data), so that a document can be
 * refused for its size before any page is decoded: a few hundred bytes of
 * G4 can declare pages of 14000 x 14000 white pixels, and a hundred of
 * them take minutes to normalize.
 *
 * Not here: the per-page bounds (fax_tiff_normalize checks them again as
 * it reads) and any decoding.
 */
#include <stdint.h>
#include <stdio.h>

#include <tiffio.h>

#include "fax/fax.h"
#include "fax/fax_int.h"

int
fax_tiff_pixels(const char *path, unsigned max_pages, unsigned long long *pixels,
    unsigned *pages, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	unsigned long long total = 0;
	unsigned n = 0;

	*pixels = 0;
	*pages = 0;
	if (fax_tiff_in_open(&in, path, err, errlen) < 0)
		return -1;
	do {
		uint32_t w = 0, h = 0;

		if (++n > max_pages)
			break;   /* enough to know it is too many */
		if (!TIFFGetField(in.tif, TIFFTAG_IMAGEWIDTH, &w) ||
		    !TIFFGetField(in.tif, TIFFTAG_IMAGELENGTH, &h)) {
			snprintf(err, errlen, "page %u has no size", n);
			fax_tiff_in_close(&in);
			return -1;
		}
		/* Two 32-bit factors cannot overflow 64 bits; the sum of at
		 * most max_pages of them stays far below it. */
		total += (unsigned long long)w * h;
	} while (TIFFReadDirectory(in.tif));
	fax_tiff_in_close(&in);
	*pixels = total;
	*pages = n;
	return 0;
}
