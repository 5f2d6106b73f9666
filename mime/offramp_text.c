/*
 * mime/offramp_text: the text side of offramp mail. Converts a body from
 * its declared charset to clean UTF-8 (what the page renderers expect),
 * and finds the charset an HTML part declares only in its <meta>.
 *
 * It does not render anything and does not guess languages: an unknown or
 * missing charset means UTF-8 when the bytes are valid UTF-8, else
 * windows-1252 (the de-facto meaning of unlabelled 8-bit mail). Bytes the
 * converter cannot decode become U+FFFD, never garbage or a failure: a fax
 * with one odd character is better than no fax. HTML is not read here:
 * fax/ parses and lays it out.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

static char *text_convert(const char *in, size_t len, const char *charset,
    size_t *out_len);
static void text_clean(GString *out, const char *in, size_t len);
static int charset_is_unlabelled(const char *charset);

char *
mime_text_to_utf8(const char *in, size_t len, const char *charset,
    size_t *out_len)
{
	char *conv;
	size_t clen = 0;
	GString *out;

	if (in == NULL) {   /* an empty part may have no buffer */
		in = "";
		len = 0;
	}
	mime_gmime_init();
	conv = text_convert(in, len, charset, &clen);
	out = g_string_sized_new(len + 16);
	if (conv != NULL) {
		text_clean(out, conv, clen);
		g_free(conv);
	} else {
		text_clean(out, in, len);
	}
	if (out_len != NULL)
		*out_len = out->len;
	return g_string_free(out, FALSE);
}

/*
 * Converts to UTF-8 with iconv (through GMime's charset name table, which
 * knows the aliases mailers use); NULL when the input should be taken as
 * is (unlabelled and already valid UTF-8). *out_len is the converted
 * length (the input may hold NULs; text_clean() drops them).
 */
static char *
text_convert(const char *in, size_t len, const char *charset, size_t *out_len)
{
	iconv_t cd = (iconv_t)-1;
	GString *out;
	char buf[4096];
	char *ip = (char *)in;
	size_t il = len;

	if (charset_is_unlabelled(charset) || g_ascii_strcasecmp(charset, "utf-8") == 0 ||
	    g_ascii_strcasecmp(charset, "utf8") == 0) {
		if (g_utf8_validate(in, (gssize)len, NULL))
			return NULL;
		if (!charset_is_unlabelled(charset))
			cd = g_mime_iconv_open("UTF-8", "UTF-8");
	} else {
		cd = g_mime_iconv_open("UTF-8", charset);
	}
	if (cd == (iconv_t)-1)
		cd = g_mime_iconv_open("UTF-8", "windows-1252");
	if (cd == (iconv_t)-1)
		return NULL;   /* text_clean() still makes it valid UTF-8 */

	out = g_string_sized_new(len + len / 2 + 16);
	while (il > 0) {
		char *op = buf;
		size_t ol = sizeof(buf);
		size_t r = iconv(cd, &ip, &il, &op, &ol);

		g_string_append_len(out, buf, (gssize)(op - buf));
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		/* EILSEQ or EINVAL (truncated at the end): one replacement
		 * character, then resynchronise on the next byte. */
		g_string_append(out, "\xef\xbf\xbd");
		ip++;
		il--;
		iconv(cd, NULL, NULL, NULL, NULL);
	}
	/* Flush a stateful encoding (ISO-2022-JP back to ASCII). */
	{
		char *op = buf;
		size_t ol = sizeof(buf);

		iconv(cd, NULL, NULL, &op, &ol);
		g_string_append_len(out, buf, (gssize)(op - buf));
	}
	g_mime_iconv_close(cd);
	*out_len = out->len;
	return g_string_free(out, FALSE);
}

static int
charset_is_unlabelled(const char *charset)
{
	return charset == NULL || *charset == '\0' ||
	    g_ascii_strcasecmp(charset, "us-ascii") == 0 ||
	    g_ascii_strcasecmp(charset, "ascii") == 0 ||
	    g_ascii_strcasecmp(charset, "unknown-8bit") == 0 ||
	    g_ascii_strcasecmp(charset, "x-unknown") == 0;
}

/*
 * Appends in to out as clean text: CRLF and lone CR become LF; NUL and the
 * C0 controls other than TAB, LF and FF (a page break for the renderer)
 * are dropped; invalid UTF-8 becomes U+FFFD.
 */
static void
text_clean(GString *out, const char *in, size_t len)
{
	const char *p = in, *end = in + len;

	while (p < end) {
		const char *bad;
		gboolean ok = g_utf8_validate(p, end - p, &bad);
		const char *stop = ok ? end : bad;

		for (; p < stop; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '\r') {
				g_string_append_c(out, '\n');
				if (p + 1 < stop && p[1] == '\n')
					p++;
			} else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\f') {
				g_string_append_c(out, (char)c);
			}
		}
		if (!ok) {
			/* g_utf8_validate() stops at a NUL too: drop it. */
			if (*p != '\0')
				g_string_append(out, "\xef\xbf\xbd");
			p++;
		}
	}
}

/* ---- HTML --------------------------------------------------------------- */

/* The prescan window of the HTML encoding sniffing algorithm. */
#define HTML_PRESCAN_BYTES 1024

int
mime_html_meta_charset(const char *html, size_t len, char *out, size_t size)
{
	size_t n = MIN(len, HTML_PRESCAN_BYTES), i, k;
	char *low;
	const char *p;
	int rc = -1;

	/* An empty part has no bytes, and its buffer may be NULL. */
	if (html == NULL || n == 0)
		return -1;
	low = g_ascii_strdown(html, (gssize)n);
	p = low;

	/* Within a <meta ...> tag, the first "charset=" names it. */
	while ((p = strstr(p, "<meta")) != NULL && rc != 0) {
		const char *end = strchr(p, '>');
		const char *c = strstr(p, "charset");

		if (end == NULL)
			break;
		if (c != NULL && c < end) {
			c += 7;
			while (*c == ' ' || *c == '=' || *c == '"' || *c == '\'')
				c++;
			for (i = (size_t)(c - low), k = 0; i < n && k + 1 < size &&
			    (g_ascii_isalnum(low[i]) || low[i] == '-' || low[i] == '_' ||
			    low[i] == ':' || low[i] == '.'); i++)
				out[k++] = low[i];
			out[k] = '\0';
			if (k > 0)
				rc = 0;
		}
		p = end;
	}
	g_free(low);
	return rc;
}
