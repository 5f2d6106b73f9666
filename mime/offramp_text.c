/*
 * mime/offramp_text: the text side of offramp mail. Converts a body from
 * its declared charset to clean UTF-8 (what the page renderer expects) and
 * reduces HTML to the text a reader would see.
 *
 * It does not render anything and does not guess languages: an unknown or
 * missing charset means UTF-8 when the bytes are valid UTF-8, else
 * windows-1252 (the de-facto meaning of unlabelled 8-bit mail). Bytes the
 * converter cannot decode become U+FFFD, never garbage or a failure: a fax
 * with one odd character is better than no fax.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

/* HTML entities longer than this are not entities ("&" is kept). */
#define HTML_ENTITY_MAX 10
/* Tag names we look at are short; longer ones are only skipped. */
#define HTML_TAGNAME_MAX 16

/* What a tag does to the text flow. */
enum html_tag_effect {
	TAG_INLINE = 0,   /* nothing */
	TAG_BREAK,        /* a line break (<br>, <tr>, <div>, ...) */
	TAG_PARA,         /* a blank line around it (<p>, <h1>, ...) */
	TAG_ITEM,         /* a line break and a bullet (<li>) */
	TAG_CELL,         /* a separator between table cells */
	TAG_RULE,         /* a line of dashes (<hr>) */
	TAG_DROP,         /* its content is not text (<script>, <style>, <title>) */
	TAG_PRE,          /* white space is kept inside */
};

struct html_tag {
	const char *name;
	enum html_tag_effect effect;
};

struct html_entity {
	const char *name;
	unsigned cp;
};

/* Output state of the HTML reducer. */
struct html_out {
	GString *s;
	int pre;          /* inside <pre> (depth) */
	int pending_nl;   /* line breaks owed before the next text */
	int space;        /* a collapsed space is owed */
};

static char *text_convert(const char *in, size_t len, const char *charset,
    size_t *out_len);
static void text_clean(GString *out, const char *in, size_t len);
static int charset_is_unlabelled(const char *charset);
static const struct html_tag *html_tag_find(const char *name);
static const char *html_skip_tag(const char *p, const char *end);
static const char *html_skip_dropped(const char *p, const char *end,
    const char *name);
static const char *html_entity(const char *p, const char *end, unsigned *cp);
static void html_break(struct html_out *o, int n);
static void html_text(struct html_out *o, const char *p, size_t n);
static void html_flush(struct html_out *o);
static void html_apply_tag(struct html_out *o, const struct html_tag *t,
    int closing);

static const struct html_tag html_tags[] = {
	{ "address", TAG_BREAK }, { "article", TAG_BREAK }, { "aside", TAG_BREAK },
	{ "blockquote", TAG_PARA }, { "body", TAG_BREAK }, { "br", TAG_BREAK },
	{ "caption", TAG_BREAK }, { "dd", TAG_BREAK }, { "div", TAG_BREAK },
	{ "dl", TAG_BREAK }, { "dt", TAG_BREAK }, { "footer", TAG_BREAK },
	{ "form", TAG_BREAK }, { "h1", TAG_PARA }, { "h2", TAG_PARA },
	{ "h3", TAG_PARA }, { "h4", TAG_PARA }, { "h5", TAG_PARA },
	{ "h6", TAG_PARA }, { "head", TAG_INLINE }, { "header", TAG_BREAK },
	{ "hr", TAG_RULE }, { "li", TAG_ITEM }, { "noscript", TAG_DROP },
	{ "ol", TAG_BREAK }, { "p", TAG_PARA }, { "pre", TAG_PRE },
	{ "script", TAG_DROP }, { "section", TAG_BREAK }, { "style", TAG_DROP },
	{ "table", TAG_BREAK }, { "td", TAG_CELL }, { "template", TAG_DROP },
	{ "th", TAG_CELL }, { "title", TAG_DROP }, { "tr", TAG_BREAK },
	{ "ul", TAG_BREAK },
};

/* The named entities mail actually carries; the rest come as &#NNN;. */
static const struct html_entity html_entities[] = {
	{ "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' },
	{ "apos", '\'' }, { "nbsp", ' ' }, { "copy", 0xa9 }, { "reg", 0xae },
	{ "trade", 0x2122 }, { "hellip", 0x2026 }, { "mdash", 0x2014 },
	{ "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
	{ "ldquo", 0x201c }, { "rdquo", 0x201d }, { "sbquo", 0x201a },
	{ "bdquo", 0x201e }, { "bull", 0x2022 }, { "middot", 0xb7 },
	{ "euro", 0x20ac }, { "pound", 0xa3 }, { "yen", 0xa5 }, { "cent", 0xa2 },
	{ "sect", 0xa7 }, { "para", 0xb6 }, { "deg", 0xb0 }, { "plusmn", 0xb1 },
	{ "times", 0xd7 }, { "divide", 0xf7 }, { "laquo", 0xab }, { "raquo", 0xbb },
	{ "iexcl", 0xa1 }, { "iquest", 0xbf }, { "shy", 0xad }, { "micro", 0xb5 },
	{ "frac12", 0xbd }, { "frac14", 0xbc }, { "frac34", 0xbe },
	{ "Agrave", 0xc0 }, { "Aacute", 0xc1 }, { "Acirc", 0xc2 }, { "Atilde", 0xc3 },
	{ "Auml", 0xc4 }, { "Aring", 0xc5 }, { "AElig", 0xc6 }, { "Ccedil", 0xc7 },
	{ "Egrave", 0xc8 }, { "Eacute", 0xc9 }, { "Ecirc", 0xca }, { "Euml", 0xcb },
	{ "Igrave", 0xcc }, { "Iacute", 0xcd }, { "Icirc", 0xce }, { "Iuml", 0xcf },
	{ "Ntilde", 0xd1 }, { "Ograve", 0xd2 }, { "Oacute", 0xd3 }, { "Ocirc", 0xd4 },
	{ "Otilde", 0xd5 }, { "Ouml", 0xd6 }, { "Oslash", 0xd8 }, { "Ugrave", 0xd9 },
	{ "Uacute", 0xda }, { "Ucirc", 0xdb }, { "Uuml", 0xdc }, { "Yacute", 0xdd },
	{ "szlig", 0xdf }, { "agrave", 0xe0 }, { "aacute", 0xe1 }, { "acirc", 0xe2 },
	{ "atilde", 0xe3 }, { "auml", 0xe4 }, { "aring", 0xe5 }, { "aelig", 0xe6 },
	{ "ccedil", 0xe7 }, { "egrave", 0xe8 }, { "eacute", 0xe9 }, { "ecirc", 0xea },
	{ "euml", 0xeb }, { "igrave", 0xec }, { "iacute", 0xed }, { "icirc", 0xee },
	{ "iuml", 0xef }, { "ntilde", 0xf1 }, { "ograve", 0xf2 }, { "oacute", 0xf3 },
	{ "ocirc", 0xf4 }, { "otilde", 0xf5 }, { "ouml", 0xf6 }, { "oslash", 0xf8 },
	{ "ugrave", 0xf9 }, { "uacute", 0xfa }, { "ucirc", 0xfb }, { "uuml", 0xfc },
	{ "yacute", 0xfd }, { "yuml", 0xff },
};

char *
mime_text_to_utf8(const char *in, size_t len, const char *charset,
    size_t *out_len)
{
	char *conv;
	size_t clen = 0;
	GString *out;

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

	/* A part with no body has no bytes at all (no buffer either). */
	if (html == NULL || len == 0)
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

char *
mime_html_to_text(const char *in, size_t len, size_t *out_len)
{
	struct html_out o = { .s = g_string_sized_new(len / 2 + 16) };
	const char *p = in, *end = in + len;
	char *res;

	while (p < end) {
		if (*p == '<' && p + 1 < end && (g_ascii_isalpha(p[1]) || p[1] == '/')) {
			char name[HTML_TAGNAME_MAX + 1];
			int closing = p[1] == '/';
			const char *q = p + 1 + closing;
			size_t n = 0;
			const struct html_tag *t;

			while (q < end && g_ascii_isalnum(*q)) {
				if (n < HTML_TAGNAME_MAX)
					name[n++] = g_ascii_tolower(*q);
				q++;
			}
			name[n] = '\0';
			p = html_skip_tag(q, end);
			t = html_tag_find(name);
			if (t == NULL)
				continue;
			if (t->effect == TAG_DROP && !closing) {
				p = html_skip_dropped(p, end, t->name);
				continue;
			}
			html_apply_tag(&o, t, closing);
		} else if (*p == '<' && p + 3 < end && memcmp(p, "<!--", 4) == 0) {
			const char *e = g_strstr_len(p + 4, end - p - 4, "-->");

			p = e ? e + 3 : end;
		} else if (*p == '<' && p + 1 < end && (p[1] == '!' || p[1] == '?')) {
			p = html_skip_tag(p + 2, end);
		} else if (*p == '&') {
			unsigned cp;
			const char *q = html_entity(p, end, &cp);
			char u[8];

			if (q == NULL) {
				html_text(&o, p, 1);
				p++;
				continue;
			}
			html_text(&o, u, (size_t)g_unichar_to_utf8(cp, u));
			p = q;
		} else {
			const char *q = p + 1;

			while (q < end && *q != '<' && *q != '&')
				q++;
			html_text(&o, p, (size_t)(q - p));
			p = q;
		}
	}
	html_flush(&o);
	/* Trailing blank lines carry nothing. */
	while (o.s->len > 0 && (o.s->str[o.s->len - 1] == '\n' ||
	    o.s->str[o.s->len - 1] == ' '))
		g_string_truncate(o.s, o.s->len - 1);
	if (o.s->len > 0)
		g_string_append_c(o.s, '\n');
	if (out_len != NULL)
		*out_len = o.s->len;
	res = g_string_free(o.s, FALSE);
	return res;
}

static const struct html_tag *
html_tag_find(const char *name)
{
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(html_tags); i++)
		if (strcmp(html_tags[i].name, name) == 0)
			return &html_tags[i];
	return NULL;
}

/* From inside a tag to just past its '>', honouring quoted attributes. */
static const char *
html_skip_tag(const char *p, const char *end)
{
	char quote = 0;

	for (; p < end; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'') {
			quote = *p;
		} else if (*p == '>') {
			return p + 1;
		}
	}
	return end;
}

/* Past the closing tag of a dropped element (</script>), or to the end. */
static const char *
html_skip_dropped(const char *p, const char *end, const char *name)
{
	size_t n = strlen(name);

	for (; p + 2 + n <= end; p++) {
		if (p[0] == '<' && p[1] == '/' &&
		    g_ascii_strncasecmp(p + 2, name, n) == 0 &&
		    (p + 2 + n == end || !g_ascii_isalnum(p[2 + n])))
			return html_skip_tag(p + 2 + n, end);
	}
	return end;
}

/*
 * Decodes the entity at p ("&amp;", "&#233;", "&#xE9;"); returns the
 * position after it and the code point, or NULL when p is not an entity.
 * A reference to NUL, a surrogate or beyond U+10FFFF gives U+FFFD.
 */
static const char *
html_entity(const char *p, const char *end, unsigned *cp)
{
	const char *q = p + 1;
	char name[HTML_ENTITY_MAX + 1];
	size_t n = 0, i;

	if (q < end && *q == '#') {
		unsigned long v = 0;
		int hex = 0, digits = 0;

		q++;
		if (q < end && (*q == 'x' || *q == 'X')) {
			hex = 1;
			q++;
		}
		for (; q < end && (hex ? g_ascii_isxdigit(*q) : g_ascii_isdigit(*q)); q++) {
			if (v <= 0x10ffff)
				v = v * (hex ? 16 : 10) +
				    (unsigned long)(hex ? g_ascii_xdigit_value(*q) : *q - '0');
			digits++;
		}
		if (digits == 0)
			return NULL;
		if (q < end && *q == ';')
			q++;
		if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
			v = 0xfffd;
		*cp = (unsigned)v;
		return q;
	}
	while (q < end && g_ascii_isalnum(*q) && n < HTML_ENTITY_MAX)
		name[n++] = *q++;
	name[n] = '\0';
	if (n == 0 || q >= end || *q != ';')
		return NULL;
	for (i = 0; i < G_N_ELEMENTS(html_entities); i++) {
		if (strcmp(html_entities[i].name, name) == 0) {
			*cp = html_entities[i].cp;
			return q + 1;
		}
	}
	return NULL;
}

static void
html_apply_tag(struct html_out *o, const struct html_tag *t, int closing)
{
	switch (t->effect) {
	case TAG_BREAK:
		html_break(o, 1);
		break;
	case TAG_PARA:
		html_break(o, 2);
		break;
	case TAG_ITEM:
		if (!closing) {
			html_break(o, 1);
			html_flush(o);
			g_string_append(o->s, "* ");
		} else {
			html_break(o, 1);
		}
		break;
	case TAG_CELL:
		if (!closing)
			o->space = 1;
		break;
	case TAG_RULE:
		html_break(o, 1);
		html_flush(o);
		g_string_append(o->s, "----------------------------------------");
		html_break(o, 1);
		break;
	case TAG_PRE:
		html_break(o, 1);
		if (closing) {
			if (o->pre > 0)
				o->pre--;
		} else {
			o->pre++;
		}
		break;
	case TAG_DROP:
	case TAG_INLINE:
		break;
	}
}

/* Owes n line breaks (not more than a blank line in a row). */
static void
html_break(struct html_out *o, int n)
{
	if (o->s->len == 0)
		return;
	if (n > o->pending_nl)
		o->pending_nl = n;
	o->space = 0;
}

/* Writes the owed line breaks, counting those already at the end. */
static void
html_flush(struct html_out *o)
{
	int have = 0;
	size_t i = o->s->len;

	while (i > 0 && o->s->str[i - 1] == '\n' && have < 2) {
		have++;
		i--;
	}
	for (; have < o->pending_nl; have++)
		g_string_append_c(o->s, '\n');
	o->pending_nl = 0;
}

/* Appends text, collapsing white space unless inside <pre>. */
static void
html_text(struct html_out *o, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = p[i];

		if (o->pre > 0) {
			if (c == '\r')
				continue;
			html_flush(o);
			g_string_append_c(o->s, c);
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
			o->space = 1;
			continue;
		}
		if (o->pending_nl > 0) {
			html_flush(o);
		} else if (o->space && o->s->len > 0 &&
		    o->s->str[o->s->len - 1] != '\n') {
			g_string_append_c(o->s, ' ');
		}
		o->space = 0;
		g_string_append_c(o->s, c);
	}
}
