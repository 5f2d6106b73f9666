/*
 * gateway/intake/faxaddr: what an offramp recipient address means (RFC 3192 /
 * RFC 3191 plus the forms Cisco gateways accept). It classifies a
 * syntactically valid SMTP path (smtp/server checked the grammar) as a fax
 * number at one of our aliases, the postmaster, someone else's address
 * (relaying), or a malformed number. It does not look at dial-peers or
 * deny-patterns: gateway/intake does that with the number found here.
 *
 * Accepted, case-insensitive, at a served alias:
 *   FAX=+19195551234        E.164 with '+'; separators '-' and '.' ignored
 *   FAX=+1-919-555.1234/T33S=6789   with a T.33 subaddress
 *   FAX=5551234/cover=no    Cisco's cover page choice (also /cover=yes);
 *                           the intake refuses it unless the config says
 *                           `fax send coverpage e-mail-controllable`
 *   /FAX=+19195551234/      the slash-wrapped form (RFC 3192 section 3)
 *   FAX=5551234             a local number (no '+')
 *   19195551234, +19195551234  bare digits (Cisco)
 *   postmaster, <postmaster>   routed to the postmaster, never dialed
 * Refused as relaying: another domain, address literals, source routes,
 * '%' and '!' routing, and quoted local parts.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/intake/faxaddr.h"

static int faxaddr_number(const char *p, const char *end, struct intake_faxaddr *fa);
static int faxaddr_alias(const char *domain, const char *const *aliases, size_t n);

/* Whether domain is one of the aliases (case-insensitive, a final dot ignored). */
static int
faxaddr_alias(const char *domain, const char *const *aliases, size_t n)
{
	size_t i, dl = strlen(domain), al;

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	for (i = 0; i < n; i++) {
		al = strlen(aliases[i]);
		if (al > 0 && aliases[i][al - 1] == '.')
			al--;
		if (al == dl && strncasecmp(domain, aliases[i], dl) == 0)
			return 1;
	}
	return 0;
}

/*
 * global-phone / local-phone with written separators, then optional
 * "/T33S=digits" (RFC 3191 section 3) and "/cover=yes|no" (Cisco), each at
 * most once, in either order. p..end is the number part.
 */
static int
faxaddr_number(const char *p, const char *end, struct intake_faxaddr *fa)
{
	size_t nd = 0, ns = 0;
	int prev_sep = 1;

	if (p < end && *p == '+') {
		fa->e164 = 1;
		p++;
	}
	for (; p < end && *p != '/'; p++) {
		if (isdigit((unsigned char)*p)) {
			if (nd >= INTAKE_FAXADDR_DIGITS_MAX)
				return -1;
			fa->number[nd++] = *p;
			prev_sep = 0;
		} else if ((*p == '-' || *p == '.') && !prev_sep) {
			prev_sep = 1;       /* no leading or doubled separators */
		} else {
			return -1;
		}
	}
	if (nd < INTAKE_FAXADDR_DIGITS_MIN || prev_sep)
		return -1;
	fa->number[nd] = '\0';
	while (p < end) {                       /* p at a '/' */
		const char *q = memchr(p + 1, '/', (size_t)(end - p - 1));
		size_t len;

		if (q == NULL)
			q = end;
		len = (size_t)(q - p);
		if (len > 6 && strncasecmp(p, "/T33S=", 6) == 0 && ns == 0) {
			for (p += 6; p < q; p++) {
				if (!isdigit((unsigned char)*p) || ns >= INTAKE_FAXADDR_SUB_MAX)
					return -1;
				fa->subaddr[ns++] = *p;
			}
			fa->subaddr[ns] = '\0';
		} else if (len == 10 && strncasecmp(p, "/cover=yes", 10) == 0 && fa->cover < 0) {
			fa->cover = 1;
		} else if (len == 9 && strncasecmp(p, "/cover=no", 9) == 0 && fa->cover < 0) {
			fa->cover = 0;
		} else {
			return -1;
		}
		p = q;
	}
	return 0;
}

enum intake_faxaddr_result
intake_faxaddr_parse(const char *path, const char *const *aliases, size_t naliases,
    struct intake_faxaddr *fa)
{
	const char *at, *local, *lend;
	size_t llen;

	memset(fa, 0, sizeof(*fa));
	fa->cover = -1;
	if (strcasecmp(path, "postmaster") == 0) {     /* RFC 5321 4.1.1.3 */
		fa->postmaster = 1;
		return INTAKE_FAXADDR_OK;
	}
	/* source routes and quoted local parts never reach a fax line */
	if (path[0] == '@' || path[0] == '"')
		return INTAKE_FAXADDR_RELAY;
	if ((at = strrchr(path, '@')) == NULL)
		return INTAKE_FAXADDR_RELAY;
	if (!faxaddr_alias(at + 1, aliases, naliases))
		return INTAKE_FAXADDR_RELAY;
	snprintf(fa->domain, sizeof(fa->domain), "%s", at + 1);
	local = path;
	lend = at;
	llen = (size_t)(lend - local);
	if (memchr(local, '%', llen) != NULL || memchr(local, '!', llen) != NULL ||
	    memchr(local, '@', llen) != NULL)
		return INTAKE_FAXADDR_RELAY;        /* "%" hack / UUCP path */
	if (llen == 10 && strncasecmp(local, "postmaster", 10) == 0) {
		fa->postmaster = 1;
		return INTAKE_FAXADDR_OK;
	}
	/* the slash-wrapped form "/FAX=.../" */
	if (llen >= 2 && local[0] == '/' && lend[-1] == '/') {
		local++;
		lend--;
		if (lend - local < 4 || strncasecmp(local, "FAX=", 4) != 0)
			return INTAKE_FAXADDR_BADNUMBER;
	}
	if (lend - local >= 4 && strncasecmp(local, "FAX=", 4) == 0)
		local += 4;
	else if (local < lend && !isdigit((unsigned char)*local) && *local != '+')
		return INTAKE_FAXADDR_UNKNOWN;      /* an ordinary mailbox name */
	if (faxaddr_number(local, lend, fa) == -1)
		return INTAKE_FAXADDR_BADNUMBER;
	/* the form dial-peers match: digits, with '+' for E.164 */
	snprintf(fa->dial, sizeof(fa->dial), "%s%s", fa->e164 ? "+" : "", fa->number);
	return INTAKE_FAXADDR_OK;
}
