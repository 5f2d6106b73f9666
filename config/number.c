/*
 * config/number: telephone numbers as the gateway compares them, and the
 * lookups that compare them: dial-peer selection and fax deny-patterns.
 *
 * One number has several written forms that mean the same line: as
 * written ("01119005551234"), in E.164 ("+19005551234"), and as this
 * gateway's country dials it: with the national prefix for a number of
 * its own country ("19005551234"), with the international prefix for
 * another ("011442071234567" for +44 20 7123 4567). config_number_parse() is the one place that works them
 * out, from the separators, the leading '+', and the numbering plan of
 * `fax numbering` (country code, national and international prefixes).
 * Every match of a number (offramp recipients, dial-peer selection, onramp
 * called numbers, deny-patterns) goes through it, so a number cannot slip
 * past a pattern by being written another way.
 *
 * A dial-peer pattern matches a number when it matches one of its forms
 * whole; the forms are tried in order, so the number as written is
 * routed as written when some peer takes it. A deny-pattern denies a number when it agrees with one of its
 * forms as far as both go: a number that starts with a match (overdialled)
 * or is the start of one (underdialled) is denied, whatever its length.
 *
 * Pure string code; reads the config, never changes it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

static void add_form(struct config_number *n, const char *plus, const char *a,
    const char *b);

/* Adds plus a b as a form unless it is there already or too long. */
static void
add_form(struct config_number *n, const char *plus, const char *a, const char *b)
{
	char f[CONFIG_FORM_MAX];
	unsigned i;

	if (n->n_forms == CONFIG_NUMBER_FORMS ||
	    snprintf(f, sizeof(f), "%s%s%s", plus, a, b) >= (int)sizeof(f))
		return;
	for (i = 0; i < n->n_forms; i++)
		if (strcmp(n->forms[i], f) == 0)
			return;
	memcpy(n->forms[n->n_forms++], f, strlen(f) + 1);
}

int
config_number_parse(const struct config *cfg, const char *text, struct config_number *n)
{
	char written[CONFIG_NUMBER_MAX + 2], e164[CONFIG_FORM_MAX];
	const char *d, *intl = "", *nat = "", *cc = "";
	bool is_intl, is_nat;
	size_t il, nl;

	memset(n, 0, sizeof(*n));
	n->e164 = -1;
	if (config_number_digits(text, written, sizeof(written)) < 0)
		return -1;
	if (cfg != NULL) {
		intl = cfg->numbering.international_prefix;
		nat = cfg->numbering.national_prefix;
		cc = cfg->numbering.country_code;
	}
	add_form(n, "", written, "");
	d = written + (written[0] == '+');
	il = strlen(intl);
	nl = strlen(nat);
	is_intl = il > 0 && strncmp(d, intl, il) == 0;
	is_nat = nl > 0 && cc[0] != '\0' && strncmp(d, nat, nl) == 0;
	e164[0] = '\0';
	if (written[0] == '+')
		/* "+00 44 ..." written by habit: the prefix is not part of it. */
		snprintf(e164, sizeof(e164), "%s", is_intl && d[il] != '\0' ? d + il : d);
	else if (is_intl && (il >= nl || !is_nat))
		snprintf(e164, sizeof(e164), "%s", d + il);     /* "" when only the prefix */
	else if (is_nat && d[nl] != '\0')
		snprintf(e164, sizeof(e164), "%s%s", cc, d + nl);
	if (e164[0] == '\0')
		return 0;
	if (written[0] == '+' && strcmp(d, e164) == 0)
		n->e164 = 0;            /* written in E.164 */
	else {
		add_form(n, "+", e164, "");
		if (n->n_forms == 2)
			n->e164 = 1;
	}
	/* How this gateway's country dials it: a number of its own country
	 * with the national prefix, another country's with the international
	 * one. Without a country code there is no telling, so neither. */
	if (cc[0] == '\0')
		return 0;
	if (strncmp(e164, cc, strlen(cc)) == 0) {
		if (nl > 0 && e164[strlen(cc)] != '\0')
			add_form(n, "", nat, e164 + strlen(cc));
	} else if (il > 0) {
		add_form(n, "", intl, e164);
	}
	return 0;
}

const struct config_dial_peer *
config_route_number(const struct config *cfg, enum config_peer_type type,
    enum config_match_field field, const char *number, char *form, size_t formsize)
{
	const struct config_dial_peer *best = NULL, *d;
	const struct config_pattern *bestp = NULL, *pat;
	struct config_number n;
	unsigned f, bestf = 0;
	size_t i;

	if (form != NULL && formsize > 0)
		form[0] = '\0';
	if (cfg == NULL || number == NULL || config_number_parse(cfg, number, &n) < 0)
		return NULL;
	/* The number as written first: another form only when no peer takes
	 * it as written (so a broad pattern for one form does not beat the
	 * peer meant for the number as the sender wrote it). */
	for (f = 0; f < n.n_forms && best == NULL; f++)
		for (i = 0; i < cfg->n_peers; i++) {
			d = &cfg->peers[i];
			if (d->type != type || d->shutdown)
				continue;
			if (field == CONFIG_MATCH_INCOMING) {
				if (!d->has_incoming)
					continue;
				pat = &d->incoming;
			} else {
				if (!d->has_destination)
					continue;
				pat = &d->destination;
			}
			if (!cfg_pattern_match_form(pat, n.forms[f], false))
				continue;
			if (best == NULL || cfg_pattern_more_specific(d, pat, best, bestp) > 0) {
				best = d;
				bestp = pat;
				bestf = f;
			}
		}
	if (best != NULL && form != NULL && formsize > 0)
		snprintf(form, formsize, "%s", n.forms[bestf]);
	return best;
}

const struct config_dial_peer *
config_match_peer(const struct config *cfg, enum config_peer_type type,
    enum config_match_field field, const char *number)
{
	return config_route_number(cfg, type, field, number, NULL, 0);
}

const struct config_pattern *
config_number_deny(const struct config *cfg, const char *number, bool *invalid)
{
	struct config_number n;
	unsigned f;
	size_t i;

	*invalid = false;
	if (cfg == NULL || number == NULL || config_number_parse(cfg, number, &n) < 0) {
		*invalid = true;
		return NULL;
	}
	for (i = 0; i < cfg->n_deny; i++)
		for (f = 0; f < n.n_forms; f++)
			if (cfg_pattern_match_form(&cfg->deny[i], n.forms[f], true))
				return &cfg->deny[i];
	return NULL;
}

bool
config_number_denied(const struct config *cfg, const char *number)
{
	bool invalid;

	return config_number_deny(cfg, number, &invalid) != NULL || invalid;
}
