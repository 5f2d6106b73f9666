/*
 * libFuzzer target for the TIFF input normalizer (fax_tiff_normalize_mem,
 * the path every mail attachment takes) and, when it accepts the input,
 * the Profile S rewriter and header stamper on its output. Limits are
 * lowered so one input costs milliseconds. The normalizer is what reads
 * hostile bytes; the rewriter and the stamper read only its output, a
 * fax page, and cost as much again (the stamper's text layout most), so
 * they run on one input in FZ_STAMP_EVERY (chosen by its length, so a
 * crash reproduces), which doubles the inputs a CPU second tries.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fax/fax.h"

#define FZ_STAMP_EVERY 8

static char fuzz_dir[] = "/tmp/t37-fuzz-fax-XXXXXX";
static char out_path[64], ps_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fax_tiff_limits lim = {
		.max_pages = 4, .max_width = 4000, .max_height = 4000,
		.max_pixels = 4000ull * 4000ull,
	};
	struct fax_header h = { "$a$", "$s$", "$p$", { "d", "n", "s", "t" } };
	struct fax_tiff_info info;
	char err[256];

	if (out_path[0] == '\0') {
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(out_path, sizeof(out_path), "%s/n.tif", fuzz_dir);
		snprintf(ps_path, sizeof(ps_path), "%s/s.tif", fuzz_dir);
	}
	if (fax_tiff_normalize_mem(data, size, out_path, &lim, &info, err,
	    sizeof(err)) == 0) {
		if (info.pages == 0 || info.pages > lim.max_pages)
			abort();	/* the limit must hold */
		if (size % FZ_STAMP_EVERY != 0) {
			unlink(out_path);
			return 0;
		}
		if (fax_tiff_profile_s(out_path, ps_path, NULL, err,
		    sizeof(err)) != 0)
			abort();	/* our own output must convert */
		if (fax_header_stamp(out_path, out_path, &h, err,
		    sizeof(err)) != 0)
			abort();
		unlink(ps_path);
		unlink(out_path);
	} else if (err[0] == '\0')
		abort();		/* every refusal says why */
	return 0;
}
