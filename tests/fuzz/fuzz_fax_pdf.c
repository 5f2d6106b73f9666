/*
 * libFuzzer target for the onramp PDF and preview (fax_tiff_to_pdf,
 * fax_tiff_preview_png) on hostile TIFF bytes: refused with a reason or a
 * PDF that starts and ends as one, never a crash or an overrun.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fax/fax.h"

static char fuzz_dir[] = "/tmp/t37-fuzz-pdf-XXXXXX";
static char in_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *out;
	size_t len;
	char err[256];
	FILE *f;

	if (in_path[0] == '\0') {
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(in_path, sizeof(in_path), "%s/in.tif", fuzz_dir);
	}
	if ((f = fopen(in_path, "wb")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	err[0] = '\0';
	if (fax_tiff_to_pdf(in_path, NULL, &out, &len, err, sizeof(err)) == 0) {
		if (len < 32 || memcmp(out, "%PDF-1.4\n", 9) != 0 ||
		    memcmp(out + len - 6, "%%EOF\n", 6) != 0)
			abort();
		free(out);
	} else if (err[0] == '\0' || out != NULL)
		abort();
	err[0] = '\0';
	if (fax_tiff_preview_png(in_path, 200, &out, &len, err,
	    sizeof(err)) == 0) {
		if (len < 8 || memcmp(out, "\x89PNG", 4) != 0)
			abort();
		free(out);
	} else if (err[0] == '\0')
		abort();
	return 0;
}
