/*
 * sip/number: telephone numbers out of SIP header values (Request-URI,
 * To, From, P-Asserted-Identity RFC 3325, Diversion RFC 5806): the user
 * part of the first URI, percent-decoded. Pure string code.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "sip/internal.h"

/* Table of contents. */
static int sip_number_hex(int c);

static int
sip_number_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
sip_number_from_addr(const char *value, size_t len, char *out, size_t outsz)
{
	const char *p = value, *end = value + len, *lt, *user, *stop;
	size_t n = 0;

	if (value == NULL || outsz == 0)
		return -1;
	out[0] = '\0';
	/* name-addr: the URI is between < and >; a quoted display name may
	 * contain '<', so skip it first. */
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++)
			if (*p == '\\' && p + 1 < end)
				p++;
		if (p < end)
			p++;
	}
	lt = memchr(p, '<', (size_t)(end - p));
	if (lt != NULL) {
		const char *gt = memchr(lt, '>', (size_t)(end - lt));
		if (gt == NULL)
			return -1;
		p = lt + 1;
		end = gt;
	}
	while (p < end && *p == ' ')
		p++;
	if ((size_t)(end - p) >= 4 && strncasecmp(p, "sip:", 4) == 0)
		user = p + 4;
	else if ((size_t)(end - p) >= 5 && strncasecmp(p, "sips:", 5) == 0)
		user = p + 5;
	else if ((size_t)(end - p) >= 4 && strncasecmp(p, "tel:", 4) == 0)
		user = p + 4;
	else
		return -1;
	/* sip: the user part ends at '@' (none: no user); tel: at ';' */
	if (strncasecmp(p, "tel:", 4) != 0) {
		const char *at = memchr(user, '@', (size_t)(end - user));
		if (at == NULL)
			return -1;
		stop = at;
		/* user parameters (";phone-context=...") are not the number */
		const char *semi = memchr(user, ';', (size_t)(stop - user));
		if (semi != NULL)
			stop = semi;
	} else {
		stop = user;
		while (stop < end && *stop != ';' && *stop != '>' && *stop != ' ')
			stop++;
	}
	for (p = user; p < stop && n + 1 < outsz; p++) {
		int c = (unsigned char)*p;
		if (c == '%' && stop - p > 2 &&
		    sip_number_hex(p[1]) >= 0 && sip_number_hex(p[2]) >= 0) {
			c = sip_number_hex(p[1]) * 16 + sip_number_hex(p[2]);
			p += 2;
		}
		if (c == '\0')
			break;
		out[n++] = (char)c;
	}
	out[n] = '\0';
	return n > 0 ? 0 : -1;
}
