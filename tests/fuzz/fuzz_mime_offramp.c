/*
 * Fuzz target: the offramp parser on arbitrary mail. It must never crash,
 * leak or write outside its output directory; it either delivers parts or
 * fails with an enhanced status.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mime/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	char path[96];
	struct mime_offramp_opts opts = { .max_part_bytes = 1 << 20 };
	struct mime_error err;
	struct mime_offramp *m;
	FILE *f;
	size_t i;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzzmimeXXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	opts.out_dir = dir;
	snprintf(path, sizeof(path), "%s/msg.eml", dir);
	if ((f = fopen(path, "w")) == NULL)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	m = mime_offramp_parse_file(path, &opts, &err);
	if (m == NULL) {
		/* A failure always says why. */
		if (err.status[0] == '\0' || err.text[0] == '\0')
			abort();
		return 0;
	}
	for (i = 0; i < mime_offramp_nparts(m); i++) {
		const struct mime_part *p = mime_offramp_part(m, i);

		if (p->kind == MIME_PART_TEXT && strlen(p->text) != p->text_len)
			abort();
		if (p->path != NULL)
			unlink(p->path);
	}
	mime_offramp_free(m);
	return 0;
}
