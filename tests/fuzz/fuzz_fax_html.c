/*
 * libFuzzer target for HTML pages: hostile markup (broken nesting, deep
 * trees, huge tables and spans, image references of every kind, entities,
 * invalid UTF-8) must render within the limits or be refused with one of
 * the engine's reasons - never crash, overrun, fetch anything or run
 * without bound. Two images exist, by Content-ID "a" and by
 * Content-Location "b.png".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <leptonica/allheaders.h>

#include "fax/fax.h"

static char fuzz_dir[] = "/tmp/t37-fuzz-html-XXXXXX";
static char out_path[64], png_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
setup(void)
{
	PIX *pix;

	if (mkdtemp(fuzz_dir) == NULL)
		abort();
	snprintf(out_path, sizeof(out_path), "%s/h.tif", fuzz_dir);
	snprintf(png_path, sizeof(png_path), "%s/i.png", fuzz_dir);
	pix = pixCreate(40, 30, 8);
	pixSetAll(pix);
	pixSetPixel(pix, 3, 3, 0);
	if (pixWritePng(png_path, pix, 0) != 0)
		abort();
	pixDestroy(&pix);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fax_html_image im[2] = {
		{ .cid = "a", .path = png_path },
		{ .location = "b.png", .path = png_path },
	};
	unsigned char used[2];
	struct fax_html_options o = { .max_pages = 3, .images = im, .nimages = 2,
	    .preface = "From: fuzz" };
	struct fax_html_report rep = { .image_used = used };
	struct fax_tiff_info info;
	char err[256];

	if (out_path[0] == '\0')
		setup();
	if (fax_html_render((const char *)data, size, &o, out_path, &info, &rep,
	    err, sizeof(err)) == 0) {
		if (info.pages < 1 || info.pages > 3 ||
		    fax_tiff_count_pages(out_path, err, sizeof(err)) !=
		    (int)info.pages || rep.images_shown > FAX_HTML_MAX_IMAGES ||
		    used[0] > 1 || used[1] > 1)
			abort();
		unlink(out_path);
	} else if (strcmp(err, "HTML longer than 3 pages") != 0 &&
	    strstr(err, "the HTML has more than") == NULL) {
		fprintf(stderr, "unexpected error: %s\n", err);
		abort();
	}
	return 0;
}
