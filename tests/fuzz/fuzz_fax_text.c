/*
 * libFuzzer target for text pages and header templates: hostile UTF-8,
 * control characters and `$x$` sequences must render or be refused with a
 * reason, never overrun; the page limit must hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fax/fax.h"

static char fuzz_dir[] = "/tmp/t37-fuzz-text-XXXXXX";
static char out_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fax_text_options o = { .max_pages = 3, .tab_width = 8 };
	struct fax_header_vars v = { "$a$", "$d$$", "x", "$p$" };
	struct fax_tiff_info info;
	char err[256], out[64], *tmpl;

	if (out_path[0] == '\0') {
		if (mkdtemp(fuzz_dir) == NULL)
			abort();
		snprintf(out_path, sizeof(out_path), "%s/t.tif", fuzz_dir);
	}
	if (fax_text_render((const char *)data, size, &o, out_path, &info, err,
	    sizeof(err)) == 0) {
		if (info.pages < 1 || info.pages > 3 ||
		    fax_tiff_count_pages(out_path, err, sizeof(err)) !=
		    (int)info.pages)
			abort();
		unlink(out_path);
	} else if (strcmp(err, "text longer than 3 pages") != 0)
		abort();
	if ((tmpl = malloc(size + 1)) == NULL)
		return 0;
	memcpy(tmpl, data, size);
	tmpl[size] = '\0';
	if (fax_header_expand(tmpl, &v, 7, 9, out, sizeof(out)) >= sizeof(out))
		abort();
	free(tmpl);
	return 0;
}
