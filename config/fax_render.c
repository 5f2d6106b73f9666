/*
 * config/fax_render: the limits of the offramp's document worker, the
 * process that parses and renders mail into fax pages:
 *   fax send render-timeout SECONDS    wall clock and CPU per document
 *   fax send render-workers N          documents prepared at once
 *   fax send render-memory MEGABYTES   address space of one worker
 *   fax send max-pixels MEGAPIXELS     image pixels in one document
 *   fax send office-timeout SECONDS    LibreOffice, per office document
 *   fax send office-memory MEGABYTES   LibreOffice's address space
 * Each takes one number in its range; the defaults are set in validate.c.
 * Also what the worker makes of some documents:
 *   fax send office-converter {PATH|none}   LibreOffice's soffice
 *   fax send alternative {html|text}        which alternative is faxed
 *
 * Not here: enforcing them (gateway/offramp/worker.c, spawn.c).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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
	LIMIT("fax send office-timeout", 1, CONFIG_RENDER_TIMEOUT_MAX, office_timeout),
	LIMIT("fax send office-memory", CONFIG_RENDER_MEMORY_MIN, CONFIG_RENDER_MEMORY_MAX,
	    office_memory),
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

/*
 * fax send office-converter {PATH|none}: an absolute path (LibreOffice
 * need not be installed when the config is loaded: a warning says office
 * documents will be refused), or none to refuse them outright.
 */
void
cfg_fax_office_converter(struct cfg_parser *p, int argc, char **argv)
{
	char *dst = p->cfg->fax_send.office_converter;
	size_t size = sizeof(p->cfg->fax_send.office_converter);

	(void)argc;
	if (strcasecmp(argv[0], "none") == 0) {
		dst[0] = '\0';
		return;
	}
	if (argv[0][0] != '/') {
		cfg_err(p, "fax send office-converter: '%s' is not an absolute path "
		    "(or none)", argv[0]);
		return;
	}
	if (cfg_copy(p, "fax send office-converter", argv[0], dst, size) != 0)
		return;
	if (access(dst, X_OK) != 0)
		cfg_warn(p, "fax send office-converter: %s is not installed: office "
		    "documents will be refused", dst);
}

/* fax send alternative {html|text}: of a multipart/alternative, fax the
 * richest alternative (HTML, the default) or the text/plain one. */
void
cfg_fax_alternative(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "html", "text", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "fax send alternative", argv[0], names, &v) == 0)
		p->cfg->fax_send.prefer_text = v == 1;
}
