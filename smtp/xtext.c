/*
 * smtp/xtext: the codecs of RFC 3461 that both sides share: the xtext
 * encoding of section 4 (ENVID, ORCPT) and the NOTIFY list of 4.1.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp.h"

static int xtext_hexval(char c);

static int
xtext_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;       /* RFC 3461: hexchar is upper case only */
}

int
smtp_xtext_encode(const char *in, size_t len, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if (c >= 33 && c <= 126 && c != '+' && c != '=') {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= size)
				return -1;
			out[o++] = '+';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= size)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int
smtp_xtext_decode(const char *in, char *out, size_t size)
{
	size_t o = 0;
	int hi, lo;
	unsigned char c;

	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (c < 33 || c > 126 || c == '=')
			return -1;
		if (c == '+') {
			if ((hi = xtext_hexval(in[1])) < 0 || (lo = xtext_hexval(in[2])) < 0)
				return -1;
			c = (unsigned char)(hi << 4 | lo);
			in += 2;
		}
		if (o + 1 >= size)
			return -1;
		out[o++] = (char)c;
	}
	if (size == 0)
		return -1;
	out[o] = '\0';
	return (int)o;
}

static const struct {
	const char *name;
	unsigned bit;
} notify_words[] = {
	{ "NEVER", SMTP_NOTIFY_NEVER }, { "SUCCESS", SMTP_NOTIFY_SUCCESS },
	{ "FAILURE", SMTP_NOTIFY_FAILURE }, { "DELAY", SMTP_NOTIFY_DELAY },
};
#define NOTIFY_NWORDS (sizeof(notify_words) / sizeof(notify_words[0]))

int
smtp_notify_parse(const char *s)
{
	unsigned bits = 0;
	size_t i, n;

	if (s == NULL)
		return -1;
	while (*s != '\0') {
		n = strcspn(s, ",");
		for (i = 0; i < NOTIFY_NWORDS; i++)
			if (strlen(notify_words[i].name) == n &&
			    strncasecmp(s, notify_words[i].name, n) == 0)
				break;
		if (i == NOTIFY_NWORDS || (bits & notify_words[i].bit))
			return -1;
		bits |= notify_words[i].bit;
		s += n;
		if (*s == ',' && *++s == '\0')
			return -1;
	}
	/* RFC 3461 4.1: NEVER stands alone. */
	if (bits == 0 || ((bits & SMTP_NOTIFY_NEVER) && bits != SMTP_NOTIFY_NEVER))
		return -1;
	return (int)bits;
}

const char *
smtp_notify_format(unsigned bits, char *buf, size_t size)
{
	size_t i, o = 0;
	int n;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < NOTIFY_NWORDS; i++) {
		if (!(bits & notify_words[i].bit))
			continue;
		n = snprintf(buf + o, size - o, "%s%s", o ? "," : "", notify_words[i].name);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
	return buf;
}
