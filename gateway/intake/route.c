/*
 * gateway/intake/route: what the listener answers to a recipient address,
 * from the configuration alone: the address's meaning (fax number at an
 * alias, postmaster, relaying, malformed), then the toll-fraud rules in
 * their order (fax deny-pattern, an mmoip dial-peer's incoming
 * called-number, a voip dial-peer's destination-pattern) and the cover
 * page choice. intake.c replies with the verdict in a session;
 * intake_route_explain() shows an operator each step of it.
 *
 * Not here: what depends on the session (recipient count, the cover page
 * choices of the recipients before it) and the call itself (offramp).
 */
#include <stdio.h>
#include <string.h>

#include "gateway/intake/intake_int.h"

static void intake_verdict_set(struct intake_verdict *v, int code, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
intake_verdict_set(struct intake_verdict *v, int code, const char *status,
    const char *fmt, ...)
{
	va_list ap;

	v->code = code;
	snprintf(v->status, sizeof(v->status), "%s", status);
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
}

int
intake_rcpt_judge(const struct config *cfg, const char *to, struct intake_verdict *v)
{
	const char *aliases[CONFIG_MAX_ALIASES];
	size_t i, n = 0;
	bool invalid;

	memset(v, 0, sizeof(*v));
	if (cfg->mta_receive.maximum_recipients == 0) {
		/* As with Cisco, the default refuses all mail. */
		v->addr = INTAKE_FAXADDR_OK;
		intake_verdict_set(v, 452, "4.5.3", "Too many recipients: mta receive "
		    "maximum-recipients is 0, this gateway accepts no mail");
		return -1;
	}
	for (i = 0; i < cfg->mta_receive.n_aliases && i < CONFIG_MAX_ALIASES; i++)
		aliases[n++] = cfg->mta_receive.aliases[i];
	v->addr = intake_faxaddr_parse(to, aliases, n, &v->fa);
	switch (v->addr) {
	case INTAKE_FAXADDR_RELAY:
		intake_verdict_set(v, 550, "5.7.1", "<%.256s>: relaying denied", to);
		return -1;
	case INTAKE_FAXADDR_BADNUMBER:
		intake_verdict_set(v, 553, "5.1.3",
		    "<%.256s>: malformed fax number (use FAX=+number@domain)", to);
		return -1;
	case INTAKE_FAXADDR_UNKNOWN:
		intake_verdict_set(v, 550, "5.1.1",
		    "<%.256s>: no such mailbox here (use FAX=+number@domain)", to);
		return -1;
	case INTAKE_FAXADDR_OK:
		break;
	}
	if (v->fa.postmaster) {
		intake_verdict_set(v, 250, "2.1.5", "Ok (postmaster)");
		return 0;
	}
	/* toll fraud first: the deny rules name what they stop, in every
	 * form of the number (config/number.c) */
	if ((v->deny = config_number_deny(cfg, v->fa.dial, &invalid)) != NULL) {
		intake_verdict_set(v, 550, "5.7.1",
		    "Fax to %s not allowed: matches fax deny-pattern %s", v->fa.dial,
		    v->deny->text);
		return -1;
	}
	if (invalid) {
		intake_verdict_set(v, 550, "5.7.1", "Fax to %s not allowed", v->fa.dial);
		return -1;
	}
	v->mmoip = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING, v->fa.dial);
	if (v->mmoip == NULL) {
		intake_verdict_set(v, 550, "5.7.1", "Fax to %s not allowed: no mmoip "
		    "dial-peer incoming called-number matches", v->fa.dial);
		return -1;
	}
	v->voip = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, v->fa.dial);
	if (v->voip == NULL) {
		intake_verdict_set(v, 550, "5.7.1", "Fax to %s not allowed: no voip "
		    "dial-peer destination-pattern matches", v->fa.dial);
		return -1;
	}
	/* /cover=: Cisco's e-mail-controllable cover page. */
	if (v->fa.cover >= 0 && !cfg->fax_send.coverpage_email_controllable) {
		intake_verdict_set(v, 550, "5.7.1", "<%.256s>: /cover= is not allowed here "
		    "(no fax send coverpage e-mail-controllable)", to);
		return -1;
	}
	intake_verdict_set(v, 250, "2.1.5", "Ok, fax to %s", v->fa.dial);
	return 0;
}

static void
intake_explain_peer(FILE *out, const char *what, const struct config_dial_peer *p,
    const struct config_pattern *pat, const char *field)
{
	fprintf(out, "  %-14s dial-peer voice %u %s (line %u): %s %s%s%s\n", what, p->tag,
	    p->type == CONFIG_PEER_VOIP ? "voip" : "mmoip", p->line, field, pat->text,
	    p->description[0] != '\0' ? ", description " : "", p->description);
}

int
intake_route_explain(const struct config *cfg, const char *to, char *dial, size_t dialsz,
    FILE *out)
{
	struct intake_verdict v;
	struct config_number n;
	size_t i;
	int rc;

	rc = intake_rcpt_judge(cfg, to, &v);
	snprintf(dial, dialsz, "%s", rc == 0 && !v.fa.postmaster ? v.fa.dial : "");
	fprintf(out, "mail to <%s> (offramp)\n", to);
	if (v.code == 452) {
		fprintf(out, "  %-14s %d %s %s\n", "RCPT TO", v.code, v.status, v.text);
		return rc;
	}
	switch (v.addr) {
	case INTAKE_FAXADDR_RELAY:
		fprintf(out, "  %-14s not one of this gateway's aliases (mta receive aliases):"
		    " relaying\n", "address");
		break;
	case INTAKE_FAXADDR_BADNUMBER:
		fprintf(out, "  %-14s a fax number form, but malformed\n", "address");
		break;
	case INTAKE_FAXADDR_UNKNOWN:
		fprintf(out, "  %-14s a mailbox name, not a fax number\n", "address");
		break;
	case INTAKE_FAXADDR_OK:
		if (v.fa.postmaster) {
			fprintf(out, "  %-14s the postmaster (mta send postmaster %s), never "
			    "dialed\n", "address", cfg->mta_send.postmaster);
			break;
		}
		fprintf(out, "  %-14s fax number %s at alias %s%s%s%s\n", "address", v.fa.dial,
		    v.fa.domain, v.fa.subaddr[0] != '\0' ? ", T.33 subaddress " : "",
		    v.fa.subaddr, v.fa.cover < 0 ? "" : v.fa.cover ? ", /cover=yes" :
		    ", /cover=no");
		if (config_number_parse(cfg, v.fa.dial, &n) != 0) {
			fprintf(out, "  %-14s not a telephone number\n", "forms");
			break;
		}
		fprintf(out, "  %-14s", "forms");
		for (i = 0; i < n.n_forms; i++)
			fprintf(out, " %s", n.forms[i]);
		fputc('\n', out);
		if (v.deny != NULL)
			fprintf(out, "  %-14s fax deny-pattern %s denies it\n", "deny-pattern",
			    v.deny->text);
		else
			fprintf(out, "  %-14s none of %zu matches\n", "deny-pattern", cfg->n_deny);
		if (v.mmoip != NULL)
			intake_explain_peer(out, "mmoip", v.mmoip, &v.mmoip->incoming,
			    "incoming called-number");
		else if (v.deny == NULL && v.code == 550)
			fprintf(out, "  %-14s no mmoip dial-peer's incoming called-number matches\n",
			    "mmoip");
		if (v.voip != NULL)
			intake_explain_peer(out, "voip", v.voip, &v.voip->destination,
			    "destination-pattern");
		else if (v.mmoip != NULL)
			fprintf(out, "  %-14s no voip dial-peer's destination-pattern matches\n",
			    "voip");
		break;
	}
	fprintf(out, "  %-14s %d %s %s\n", "RCPT TO", v.code, v.status, v.text);
	return rc;
}
