/*
 * config/fax_render: the limits of the offramp's document worker, the
 * process that parses and renders mail into fax pages:
 *   fax send render-timeout SECONDS    wall clock and CPU per document
 *   fax send render-workers N          documents prepared at once
 *   fax send render-memory MEGABYTES   address space of one worker
 *   fax send max-pixels MEGAPIXELS     image pixels in one document
 * Each takes one number in its range; the defaults are set in validate.c.
 *
 * Not here: enforcing them (gateway/offramp/worker.c, spawn.c).
 */
#include <stddef.h>
#include <strings.h>

#include "config/config.h"
#include "config/config_int.h"

struct render_limit {
	const char *words;
	unsigned long min, max;
	size_t off;   /* in struct config */
};

#define LIMIT(w, lo, hi, f) { w, lo, hi, offsetof(struct config, fax_send.f) }

static const struct render_limit render_limits[] = {
	LIMIT("fax send render-timeout", 1, CONFIG_RENDER_TIMEOUT_MAX, render_timeout),
	LIMIT("fax send render-workers", 1, CONFIG_RENDER_WORKERS_MAX, render_workers),
	LIMIT("fax send render-memory", CONFIG_RENDER_MEMORY_MIN, CONFIG_RENDER_MEMORY_MAX,
	    render_memory),
	LIMIT("fax send max-pixels", 1, CONFIG_MAX_PIXELS_MAX, max_pixels),
};

void
cfg_fax_render(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;
	size_t i;

	(void)argc;
	for (i = 0; i < sizeof(render_limits) / sizeof(render_limits[0]); i++) {
		const struct render_limit *l = &render_limits[i];

		if (strcasecmp(p->cmd->words, l->words) != 0)
			continue;
		if (cfg_uint(p, l->words, argv[0], l->min, l->max, &v) == 0)
			*(unsigned *)((char *)p->cfg + l->off) = (unsigned)v;
		return;
	}
}
