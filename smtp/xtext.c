/*
 * smtp/xtext: the xtext encoding of RFC 3461 section 4, used for ENVID and
 * ORCPT on both the client and the server side.
 */
#include <string.h>

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
