/*
 * Fuzz target for the config parser: any bytes go through
 * config_parse_buffer() with diagnostics collected; a loaded config is
 * exercised through the lookups (dial-peer matching, deny-patterns,
 * target expansion) and freed. Must never crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config/config.h"

static const char *const numbers[] = {
	"19195551234", "+44 20 7123 4567", "9913170", "011", "", "1-900-555-1234", "x",
	"01144207123456", "+0119005551234", "00442071234567", "0", "+1900555123456789",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_diag diag;
	struct config *cfg;
	char out[512];
	size_t i;

	config_diag_init(&diag);
	cfg = config_parse_buffer("fuzz", (const char *)data, size, &diag);
	for (i = 0; i < diag.kept; i++)
		if (strncmp(config_diag_get(&diag, i), "fuzz", 4) != 0)
			__builtin_trap();       /* every message names the file */
	if ((cfg == NULL) != (diag.count > 0))
		__builtin_trap();               /* NULL exactly when there were errors */
	if (diag.kept > 0 && diag.count + diag.warnings < diag.kept)
		__builtin_trap();               /* every kept message is counted */
	if (cfg != NULL) {
		for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++) {
			const struct config_dial_peer *d;

			d = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION,
			    numbers[i]);
			if (d != NULL && d->target_kind == CONFIG_TARGET_MAILTO)
				config_expand_target(d->target, numbers[i], "5551234", NULL,
				    out, sizeof(out));
			d = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION,
			    numbers[i]);
			if (d != NULL && d->target_kind == CONFIG_TARGET_TRUNK &&
			    (d->trunk < 0 || (size_t)d->trunk >= cfg->n_trunks))
				__builtin_trap();
			(void)config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING,
			    numbers[i]);
			(void)config_number_denied(cfg, numbers[i]);
			/* every form of a number is a number; a routed form fits */
			{
				struct config_number n;
				char form[CONFIG_FORM_MAX];
				unsigned f;

				if (config_number_parse(cfg, numbers[i], &n) == 0)
					for (f = 0; f < n.n_forms; f++)
						if (n.forms[f][0] == '\0' ||
						    strlen(n.forms[f]) >= CONFIG_FORM_MAX)
							__builtin_trap();
				d = config_route_number(cfg, CONFIG_PEER_VOIP,
				    CONFIG_MATCH_DESTINATION, numbers[i], form, sizeof(form));
				if (d != NULL && form[0] == '\0')
					__builtin_trap();
			}
		}
	}
	config_free(cfg);
	config_diag_clear(&diag);
	return 0;
}
