/*
 * fax/html_attr.c: what the HTML walk reads from attributes: values,
 * the few properties of the style attribute it honours (display,
 * visibility, zero sizes, text-align, widths), lengths in HTML and CSS
 * units, alignment, and list markers. No style sheets: mail readers
 * differ too much in what they apply for a fax to follow them.
 *
 * Not here: the walk (html_parse.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pango/pango.h>

#include "fax/html_walk.h"

/* An attribute's value as written (entities decoded), or NULL. libxml2
 * keeps HTML attribute names in lower case. Borrowed from the tree. */
const char *
html_attr(const xmlNode *n, const char *name)
{
	const xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->name == NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->children != NULL && a->children->content != NULL)
			return (const char *)a->children->content;
		return "";
	}
	return NULL;
}

/*
 * The value of one property in a style attribute ("a: b; c: d"), lower
 * case, without "!important", into out. 0, or -1 when it is not there.
 */
int
html_style(const char *style, const char *prop, char *out, size_t size)
{
	size_t plen = strlen(prop), n = strnlen(style, HTML_STYLE_MAX);
	const char *p = style, *end = style + n;

	while (p < end) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi != NULL ? semi : end;
		const char *colon = memchr(p, ':', (size_t)(stop - p));

		if (colon != NULL) {
			const char *k = p, *ke = colon;
			const char *v = colon + 1, *ve = stop;

			while (k < ke && g_ascii_isspace(*k))
				k++;
			while (ke > k && g_ascii_isspace(ke[-1]))
				ke--;
			if ((size_t)(ke - k) == plen &&
			    g_ascii_strncasecmp(k, prop, plen) == 0) {
				size_t o = 0;
				char *imp;

				while (v < ve && g_ascii_isspace(*v))
					v++;
				for (; v < ve && o + 1 < size; v++)
					out[o++] = g_ascii_tolower(*v);
				out[o] = '\0';
				if ((imp = strstr(out, "!important")) != NULL)
					*imp = '\0';
				g_strstrip(out);
				return 0;
			}
		}
		p = stop + 1;
	}
	return -1;
}

/* Hidden from readers: the hidden attribute or a hiding style. */
int
html_hidden(const xmlNode *n)
{
	const char *s = html_attr(n, "style");
	char v[64];

	if (html_attr(n, "hidden") != NULL)
		return 1;
	if (s == NULL)
		return 0;
	if (html_style(s, "display", v, sizeof(v)) == 0 && strcmp(v, "none") == 0)
		return 1;
	if (html_style(s, "visibility", v, sizeof(v)) == 0 &&
	    strcmp(v, "hidden") == 0)
		return 1;
	if (html_style(s, "mso-hide", v, sizeof(v)) == 0 && strcmp(v, "all") == 0)
		return 1;
	/* Preheaders hide behind a zero size as often as behind display. */
	if (html_style(s, "font-size", v, sizeof(v)) == 0 &&
	    strspn(v, "0.") == strcspn(v, "pxemt%") && strspn(v, "0.") > 0)
		return 1;
	if (html_style(s, "max-height", v, sizeof(v)) == 0 &&
	    strspn(v, "0.") == strcspn(v, "pxemt%") && strspn(v, "0.") > 0)
		return 1;
	return 0;
}

/* The align attribute or text-align, else the inherited alignment. */
int
html_align(const xmlNode *n, int inherited)
{
	const char *a = html_attr(n, "align"), *s = html_attr(n, "style");
	char v[32];

	if (s != NULL && html_style(s, "text-align", v, sizeof(v)) == 0)
		a = v;
	if (a == NULL)
		return inherited;
	if (g_ascii_strcasecmp(a, "center") == 0 ||
	    g_ascii_strcasecmp(a, "middle") == 0)
		return PANGO_ALIGN_CENTER;
	if (g_ascii_strcasecmp(a, "right") == 0 ||
	    g_ascii_strcasecmp(a, "end") == 0)
		return PANGO_ALIGN_RIGHT;
	if (g_ascii_strcasecmp(a, "left") == 0 ||
	    g_ascii_strcasecmp(a, "start") == 0 ||
	    g_ascii_strcasecmp(a, "justify") == 0)
		return PANGO_ALIGN_LEFT;
	return inherited;
}

/*
 * A length as HTML and CSS write them: "120", "120px", "50%" (*pct set),
 * "2in", "3cm", "12pt", "1.5em". Layout units (or percent); 0 when it is
 * none of these. Bounded: a hostile "width=1e99" is a page wide at most.
 */
double
html_length(const char *s, int *pct)
{
	char *end;
	double v;

	*pct = 0;
	if (s == NULL)
		return 0;
	while (g_ascii_isspace(*s))
		s++;
	v = g_ascii_strtod(s, &end);
	if (end == s || !(v > 0) || v > 1e6)
		return 0;
	while (g_ascii_isspace(*end))
		end++;
	if (*end == '%') {
		*pct = 1;
		return v > 100 ? 100 : v;
	}
	if (g_ascii_strncasecmp(end, "in", 2) == 0)
		v *= 204.0;
	else if (g_ascii_strncasecmp(end, "cm", 2) == 0)
		v *= 204.0 / 2.54;
	else if (g_ascii_strncasecmp(end, "mm", 2) == 0)
		v *= 204.0 / 25.4;
	else if (g_ascii_strncasecmp(end, "pt", 2) == 0)
		v *= 204.0 / 72.0;
	else if (g_ascii_strncasecmp(end, "em", 2) == 0)
		v *= HTML_EM;
	else
		v *= HTML_CSS_PX;
	return v > 40000 ? 40000 : v;
}

/* "•", "◦", "▪" by depth; "3.", "c.", "iii." for ordered lists. */
char *
html_list_marker(const struct list_state *l)
{
	static const char *const bullets[] = { "\xe2\x80\xa2", "\xe2\x97\xa6",
	    "\xe2\x96\xaa" };
	static const char *const roman[] = { "m", "cm", "d", "cd", "c", "xc",
	    "l", "xl", "x", "ix", "v", "iv", "i" };
	static const int values[] = { 1000, 900, 500, 400, 100, 90, 50, 40, 10,
	    9, 5, 4, 1 };
	GString *s;
	long v;

	if (l == NULL || !l->ordered)
		return g_strdup(bullets[((l ? l->depth : 1) - 1) % 3]);
	v = l->next;
	if (l->type == '1' || v <= 0 || (v > 3999 && (l->type == 'i' ||
	    l->type == 'I')))
		return g_strdup_printf("%ld.", v);
	s = g_string_new(NULL);
	if (l->type == 'a' || l->type == 'A') {
		char tmp[16];
		int i = 0;

		for (; v > 0 && i < (int)sizeof(tmp); v = (v - 1) / 26)
			tmp[i++] = (char)((l->type == 'a' ? 'a' : 'A') + (v - 1) % 26);
		while (i > 0)
			g_string_append_c(s, tmp[--i]);
	} else {
		for (size_t i = 0; i < G_N_ELEMENTS(values); i++)
			for (; v >= values[i]; v -= values[i])
				g_string_append(s, roman[i]);
		if (l->type == 'I')
			for (size_t i = 0; i < s->len; i++)
				s->str[i] = g_ascii_toupper(s->str[i]);
	}
	g_string_append_c(s, '.');
	return g_string_free(s, FALSE);
}
