/*
 * libFuzzer target for image attachments (fax_image_to_pages): PNG, JPEG,
 * GIF, BMP and TIFF from hostile bytes must become pages or be refused
 * with a reason, never crash, overrun or decode past the pixel limit; the
 * page limit must hold. Limits are lowered so one input costs
 * milliseconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fax/fax.h"

static char fuzz_dir[] = "/tmp/t37-fuzz-image-XXXXXX";
static char out_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fax_image_limits lim = { .max_pages = 3,
	    .max_pixels = 2000ull * 2000ull };
	struct fax_tiff_info info;
	char err[256];

	if (out_path[0] == '\0') {
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(out_path, sizeof(out_path), "%s/i.tif", fuzz_dir);
	}
	err[0] = '\0';
	if (fax_image_to_pages(data, size, out_path, &lim, &info, err,
	    sizeof(err)) == 0) {
		if (info.pages == 0 || info.pages > lim.max_pages ||
		    fax_tiff_count_pages(out_path, err, sizeof(err)) !=
		    (int)info.pages)
			abort();	/* the limit holds, the file is whole */
		unlink(out_path);
	} else if (err[0] == '\0' || access(out_path, F_OK) == 0)
		abort();		/* every refusal says why, leaves nothing */
	return 0;
}
