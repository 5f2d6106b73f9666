/*
 * gateway/route: the answer to "where does this go?" for an operator,
 * offline from a configuration (t37gw -t -x ARG). An address
 * (FAX=+19195551234@fax.example.com) is explained as the listener takes it
 * and, when accepted, as the offramp would call it; a bare number both
 * ways: as mail to FAX=NUMBER at the first alias (then the offramp call)
 * and as a call to that number (the onramp). Each room explains its own
 * part with the functions its decisions use; this file only puts them
 * together.
 */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "gateway/gw.h"
#include "gateway/intake/intake.h"
#include "gateway/offramp/offramp.h"
#include "gateway/onramp/onramp.h"

/* Longest argument explained (an SMTP path's limit, RFC 5321 4.5.3.1.3). */
#define GW_ROUTE_ARG_MAX 256

int
gw_route_explain(const struct config *cfg, const char *arg, FILE *out)
{
	char addr[GW_ROUTE_ARG_MAX + CONFIG_STR_MAX + 8], dial[64];
	const char *domain;
	int mail_ok, call_ok = -1;

	if (strlen(arg) > GW_ROUTE_ARG_MAX) {
		fprintf(out, "%.40s...: longer than %d characters\n", arg, GW_ROUTE_ARG_MAX);
		return -1;
	}
	if (strchr(arg, '@') != NULL) {
		mail_ok = intake_route_explain(cfg, arg, dial, sizeof(dial), out);
		if (mail_ok == 0 && dial[0] != '\0')
			mail_ok = offramp_route_explain(cfg, dial, out);
		return mail_ok;
	}
	/* A number: mail to it at the first alias, and a call to it. */
	domain = cfg->mta_receive.n_aliases > 0 ? cfg->mta_receive.aliases[0] : cfg->hostname;
	snprintf(addr, sizeof(addr), "FAX=%s@%s", arg, domain);
	mail_ok = intake_route_explain(cfg, addr, dial, sizeof(dial), out);
	if (mail_ok == 0 && dial[0] != '\0')
		mail_ok = offramp_route_explain(cfg, dial, out);
	if (config_number_digits(arg, dial, sizeof(dial)) < 0)
		fprintf(out, "a call to %s (onramp)\n  %-14s not a telephone number\n", arg,
		    "number");
	else
		call_ok = onramp_route_explain(cfg, dial, out);
	return mail_ok == 0 || call_ok == 0 ? 0 : -1;
}
