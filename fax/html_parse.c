/*
 * fax/html_parse.c: an HTML document to the engine's document model
 * (html_int.h). libxml2's HTML parser builds the tree (recovering from
 * broken markup as browsers do, entities decoded, never touching the
 * network); this file walks it into blocks of styled text, rules and
 * tables, as a mail reader would show them:
 *   - block elements (p, div, h1-h6, li, pre, blockquote, table, ...)
 *     start paragraphs, with collapsed vertical margins; white space
 *     collapses outside <pre>;
 *   - inline elements set bold, italic, underline, strike-through,
 *     monospace, size and raise (sup/sub) on runs of text;
 *   - lists get bullets or numbers (ol start and type), quotes a bar,
 *     align and text-align their alignment;
 *   - tables become rows of cells on a grid (colspan, rowspan);
 *   - <img> becomes a placement of an image html_image.c can show, or
 *     its alt text in brackets when it cannot be shown;
 *   - what a reader does not see is dropped: <head>, <script>, <style>,
 *     frames, objects, and elements hidden by their style attribute
 *     (display:none, visibility:hidden, mso-hide:all, zero size) - the
 *     hidden "preheader" text of newsletters among them.
 * Style sheets are not applied; of the style attribute only the few
 * properties above, font-weight, font-style, text-decoration, width and
 * height are read.
 *
 * Limits (fax.h): elements nested deeper than FAX_HTML_MAX_DEPTH keep
 * their text as plain text; tables nested deeper than
 * FAX_HTML_MAX_TABLE_DEPTH or wider than FAX_HTML_MAX_COLS are printed
 * cell after cell; more than FAX_HTML_MAX_BLOCKS blocks or
 * FAX_HTML_MAX_CELLS cells fail; images beyond FAX_HTML_MAX_IMAGES show
 * their alt text. Everything left out is counted in the report.
 *
 * Not here: attributes and styles (html_attr.c), tables (html_table.c),
 * layout and drawing (html_layout.c), images (html_image.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <pango/pango.h>

#include "fax/html_int.h"
#include "fax/html_walk.h"

#define HTML_LIST_INDENT	(0.35 * 204.0)
#define HTML_QUOTE_INDENT	(0.3 * 204.0)
#define HTML_QUOTE_BAR_X	(0.1 * 204.0)
/* Indentation stops growing after this many levels of lists and quotes. */
#define HTML_INDENT_LEVELS	8
#define HTML_TAB		8
/* Numbers an ordered list counts from (start="N"). */
#define HTML_LIST_START_MAX	1000000
/* Longest alt text shown for an image (bytes). */
#define HTML_ALT_MAX		200

/* Percent sizes of h1..h6 (the CSS defaults) and of big and small. */
static const int heading_scale[7] = { 100, 200, 150, 117, 100, 83, 67 };
#define HTML_BIG_SCALE		120
#define HTML_SMALL_SCALE	83
#define HTML_SUP_SCALE		70

enum tag_kind {
	T_INLINE = 0,	/* style only (or nothing) */
	T_BLOCK,	/* a paragraph break around it */
	T_DROP,		/* not shown, nor its content */
	T_BR, T_HR, T_IMG, T_PRE, T_LIST, T_LI, T_TABLE, T_QUOTE,
	T_HEADING, T_DD, T_Q,
};

/* Style bits of inline elements. */
#define S_BOLD		0x01
#define S_ITALIC	0x02
#define S_UNDER		0x04
#define S_STRIKE	0x08
#define S_MONO		0x10
#define S_BIG		0x20
#define S_SMALL		0x40
#define S_SUP		0x80
#define S_SUB		0x100
#define S_CENTER	0x200	/* <center>, <caption> */
#define S_LINK		0x400	/* <a href> underlined */

struct tag {
	const char *name;
	enum tag_kind kind;
	unsigned style;
	double gap;		/* margin above and below, layout units */
};

/* Sorted by name (bsearch). */
static const struct tag tags[] = {
	{ "a", T_INLINE, S_LINK, 0 },
	{ "address", T_BLOCK, S_ITALIC, 0 },
	{ "applet", T_DROP, 0, 0 },
	{ "area", T_DROP, 0, 0 },
	{ "article", T_BLOCK, 0, 0 },
	{ "aside", T_BLOCK, 0, 0 },
	{ "audio", T_DROP, 0, 0 },
	{ "b", T_INLINE, S_BOLD, 0 },
	{ "base", T_DROP, 0, 0 },
	{ "big", T_INLINE, S_BIG, 0 },
	{ "blockquote", T_QUOTE, 0, HTML_PARA_GAP },
	{ "body", T_BLOCK, 0, 0 },
	{ "br", T_BR, 0, 0 },
	{ "canvas", T_DROP, 0, 0 },
	{ "caption", T_BLOCK, S_CENTER, 0 },
	{ "center", T_BLOCK, S_CENTER, 0 },
	{ "cite", T_INLINE, S_ITALIC, 0 },
	{ "code", T_INLINE, S_MONO, 0 },
	{ "datalist", T_DROP, 0, 0 },
	{ "dd", T_DD, 0, 0 },
	{ "del", T_INLINE, S_STRIKE, 0 },
	{ "details", T_BLOCK, 0, 0 },
	{ "dfn", T_INLINE, S_ITALIC, 0 },
	{ "dir", T_LIST, 0, HTML_PARA_GAP },
	{ "div", T_BLOCK, 0, 0 },
	{ "dl", T_BLOCK, 0, HTML_PARA_GAP },
	{ "dt", T_BLOCK, 0, 0 },
	{ "em", T_INLINE, S_ITALIC, 0 },
	{ "embed", T_DROP, 0, 0 },
	{ "fieldset", T_BLOCK, 0, 0 },
	{ "figcaption", T_BLOCK, 0, 0 },
	{ "figure", T_BLOCK, 0, HTML_PARA_GAP },
	{ "footer", T_BLOCK, 0, 0 },
	{ "form", T_BLOCK, 0, 0 },
	{ "frame", T_DROP, 0, 0 },
	{ "frameset", T_DROP, 0, 0 },
	{ "h1", T_HEADING, 0, 0 },
	{ "h2", T_HEADING, 0, 0 },
	{ "h3", T_HEADING, 0, 0 },
	{ "h4", T_HEADING, 0, 0 },
	{ "h5", T_HEADING, 0, 0 },
	{ "h6", T_HEADING, 0, 0 },
	{ "head", T_DROP, 0, 0 },
	{ "header", T_BLOCK, 0, 0 },
	{ "hr", T_HR, 0, 0.5 * HTML_EM },
	{ "html", T_BLOCK, 0, 0 },
	{ "i", T_INLINE, S_ITALIC, 0 },
	{ "iframe", T_DROP, 0, 0 },
	{ "img", T_IMG, 0, 0 },
	{ "ins", T_INLINE, S_UNDER, 0 },
	{ "kbd", T_INLINE, S_MONO, 0 },
	{ "legend", T_BLOCK, S_BOLD, 0 },
	{ "li", T_LI, 0, 0 },
	{ "link", T_DROP, 0, 0 },
	{ "listing", T_PRE, 0, HTML_PARA_GAP },
	{ "main", T_BLOCK, 0, 0 },
	{ "map", T_DROP, 0, 0 },
	{ "math", T_DROP, 0, 0 },
	{ "menu", T_LIST, 0, HTML_PARA_GAP },
	{ "meta", T_DROP, 0, 0 },
	{ "nav", T_BLOCK, 0, 0 },
	{ "noframes", T_DROP, 0, 0 },
	{ "noscript", T_DROP, 0, 0 },
	{ "object", T_DROP, 0, 0 },
	{ "ol", T_LIST, 0, HTML_PARA_GAP },
	{ "option", T_DROP, 0, 0 },
	{ "p", T_BLOCK, 0, HTML_PARA_GAP },
	{ "param", T_DROP, 0, 0 },
	{ "plaintext", T_PRE, 0, HTML_PARA_GAP },
	{ "pre", T_PRE, 0, HTML_PARA_GAP },
	{ "q", T_Q, 0, 0 },
	{ "s", T_INLINE, S_STRIKE, 0 },
	{ "samp", T_INLINE, S_MONO, 0 },
	{ "script", T_DROP, 0, 0 },
	{ "section", T_BLOCK, 0, 0 },
	{ "select", T_DROP, 0, 0 },
	{ "small", T_INLINE, S_SMALL, 0 },
	{ "strike", T_INLINE, S_STRIKE, 0 },
	{ "strong", T_INLINE, S_BOLD, 0 },
	{ "style", T_DROP, 0, 0 },
	{ "sub", T_INLINE, S_SUB, 0 },
	{ "summary", T_BLOCK, S_BOLD, 0 },
	{ "sup", T_INLINE, S_SUP, 0 },
	{ "svg", T_DROP, 0, 0 },
	{ "table", T_TABLE, 0, 0 },
	{ "tbody", T_BLOCK, 0, 0 },
	{ "td", T_BLOCK, 0, 0 },
	{ "template", T_DROP, 0, 0 },
	{ "textarea", T_PRE, 0, 0 },
	{ "tfoot", T_BLOCK, 0, 0 },
	{ "th", T_BLOCK, S_BOLD, 0 },
	{ "thead", T_BLOCK, 0, 0 },
	{ "title", T_DROP, 0, 0 },
	{ "tr", T_BLOCK, 0, 0 },
	{ "tt", T_INLINE, S_MONO, 0 },
	{ "u", T_INLINE, S_UNDER, 0 },
	{ "ul", T_LIST, 0, HTML_PARA_GAP },
	{ "var", T_INLINE, S_ITALIC, 0 },
	{ "video", T_DROP, 0, 0 },
	{ "xmp", T_PRE, 0, HTML_PARA_GAP },
};

static const struct tag *tag_find(const xmlChar *);
static int	 tag_cmp(const void *, const void *);
static void	 open_block(struct builder *, const struct ctx *);
static void	 run_add(struct html_block *, unsigned, unsigned,
		    const struct html_style *, int);
static void	 put(struct builder *, const struct ctx *, const char *,
		    size_t);
static void	 put_pre(struct builder *, const struct ctx *, const char *,
		    size_t);
static void	 put_space(struct builder *, const struct ctx *);
static void	 put_text(struct builder *, const struct ctx *, const char *,
		    size_t);
static void	 put_alt(struct builder *, const struct ctx *, const char *);
static void	 walk_flat(struct builder *, const xmlNode *,
		    const struct ctx *);
static void	 element(struct builder *, const xmlNode *, const struct tag *,
		    const struct ctx *);
static void	 indent_more(struct ctx *, double, int);
static void	 do_li(struct builder *, const xmlNode *, struct ctx *);
static void	 do_img(struct builder *, const xmlNode *, const struct ctx *);

static int
tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

static const struct tag *
tag_find(const xmlChar *name)
{
	if (name == NULL)
		return NULL;
	return bsearch(name, tags, sizeof(tags) / sizeof(tags[0]),
	    sizeof(tags[0]), tag_cmp);
}






int
html_doc_fail(struct html_doc *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->failed) {
		va_start(ap, fmt);
		vsnprintf(d->err, sizeof(d->err), fmt, ap);
		va_end(ap);
		d->failed = 1;
	}
	return -1;
}

/* A new block of the context's shape; NULL past the block limit. */
struct html_block *
html_block_new(struct builder *b, enum html_block_kind kind, const struct ctx *c)
{
	struct html_block *k;

	if (++b->d->nblocks > FAX_HTML_MAX_BLOCKS) {
		html_doc_fail(b->d, "the HTML has more than %u paragraphs and cells",
		    FAX_HTML_MAX_BLOCKS);
		return NULL;
	}
	k = g_new0(struct html_block, 1);
	k->kind = kind;
	k->minw = -1;
	if (kind == HTML_BLOCK_TEXT) {
		k->text = g_string_new(NULL);
		k->runs = g_array_new(FALSE, FALSE, sizeof(struct html_run));
	}
	k->pre = c->pre;
	k->heading = c->heading;
	k->align = c->align;
	k->indent = c->indent;
	k->nbars = c->nbars;
	memcpy(k->bars, c->bars, sizeof(k->bars));
	k->before = b->gap;
	b->gap = 0;
	return k;
}

void
html_block_free(struct html_block *k)
{
	if (k == NULL)
		return;
	if (k->text != NULL)
		g_string_free(k->text, TRUE);
	if (k->runs != NULL)
		g_array_free(k->runs, TRUE);
	g_free(k->marker);
	html_table_free(k->table);
	g_free(k);
}

/* The paragraph text goes to, opened in the context when none is. */
static void
open_block(struct builder *b, const struct ctx *c)
{
	if (b->cur != NULL || b->d->failed)
		return;
	b->cur = html_block_new(b, HTML_BLOCK_TEXT, c);
	if (b->cur == NULL)
		return;
	b->cur->marker = b->marker;
	b->marker = NULL;
	b->space = 0;
	b->col = 0;
}

/* Ends the open paragraph: trailing blanks go; an empty one is dropped
 * (its space above stays owed). */
void
html_flush(struct builder *b)
{
	struct html_block *k = b->cur;

	b->cur = NULL;
	b->space = 0;
	if (k == NULL)
		return;
	if (!k->pre)
		while (k->text->len > 0 && (k->text->str[k->text->len - 1] == ' ' ||
		    k->text->str[k->text->len - 1] == '\n'))
			g_string_truncate(k->text, k->text->len - 1);
	if (k->text->len == 0 && k->marker == NULL) {
		if (k->before > b->gap)
			b->gap = k->before;
		b->d->nblocks--;
		html_block_free(k);
		return;
	}
	/* Runs that reach past the trimmed end are cut back. */
	for (guint i = 0; i < k->runs->len; i++) {
		struct html_run *r = &g_array_index(k->runs, struct html_run, i);

		if (r->end > k->text->len)
			r->end = (unsigned)k->text->len;
	}
	g_ptr_array_add(b->out, k);
}

/* Space above the next block: margins collapse to the largest. */
void
html_gap(struct builder *b, double g)
{
	if (g > b->gap)
		b->gap = g;
}

/* Records that text[start, end) has style st (or is image img); joins
 * the previous run when it is the same. */
static void
run_add(struct html_block *k, unsigned start, unsigned end,
    const struct html_style *st, int img)
{
	struct html_run r;

	if (end <= start)
		return;
	if (img < 0 && k->runs->len > 0) {
		struct html_run *last = &g_array_index(k->runs, struct html_run,
		    k->runs->len - 1);

		if (last->img < 0 && last->end == start &&
		    memcmp(&last->st, st, sizeof(*st)) == 0) {
			last->end = end;
			return;
		}
	}
	memset(&r, 0, sizeof(r));
	r.start = start;
	r.end = end;
	r.st = *st;
	r.img = img;
	g_array_append_val(k->runs, r);
}

/* Appends n bytes of text in the context's style to the open paragraph. */
static void
put(struct builder *b, const struct ctx *c, const char *s, size_t n)
{
	unsigned start;

	open_block(b, c);
	if (b->cur == NULL || n == 0)
		return;
	start = (unsigned)b->cur->text->len;
	g_string_append_len(b->cur->text, s, (gssize)n);
	run_add(b->cur, start, (unsigned)b->cur->text->len, &c->st, -1);
}

/* Preformatted: line ends kept, tabs to the next multiple of HTML_TAB
 * columns, CR dropped. */
static void
put_pre(struct builder *b, const struct ctx *c, const char *s, size_t n)
{
	static const char spaces[HTML_TAB + 1] = "        ";
	size_t i = 0, from = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				b->col++;
			continue;
		}
		put(b, c, s + from, i - from);
		if (s[i] == '\t')
			put(b, c, spaces, HTML_TAB - b->col % HTML_TAB);
		else if (s[i] == '\n')
			put(b, c, "\n", 1);
		b->col = s[i] == '\t' ? b->col + HTML_TAB - b->col % HTML_TAB :
		    s[i] == '\n' ? 0 : b->col;
		from = i + 1;
	}
	put(b, c, s + from, n - from);
}

/* The space owed between two words, in the style of the text before it
 * (a link's underline does not reach back over it). */
static void
put_space(struct builder *b, const struct ctx *c)
{
	struct ctx k;

	if (b->space && b->cur != NULL && b->cur->text->len > 0 &&
	    b->cur->text->str[b->cur->text->len - 1] != '\n') {
		k = *c;
		k.st = b->space_st;
		put(b, &k, " ", 1);
	}
	b->space = 0;
}

/* Text with white space collapsed to single spaces between words. */
static void
put_text(struct builder *b, const struct ctx *c, const char *s, size_t n)
{
	size_t i = 0;

	if (c->pre) {
		put_pre(b, c, s, n);
		return;
	}
	while (i < n) {
		size_t w;

		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r' ||
		    s[i] == '\f') {
			if (!b->space)
				b->space_st = c->st;
			b->space = 1;
			i++;
			continue;
		}
		for (w = i; w < n && s[w] != ' ' && s[w] != '\t' && s[w] != '\n' &&
		    s[w] != '\r' && s[w] != '\f'; w++)
			;
		put_space(b, c);
		put(b, c, s + i, w - i);
		i = w;
	}
}

/* "[alt]" for an image that is not shown, when it has words. */
static void
put_alt(struct builder *b, const struct ctx *c, const char *alt)
{
	char buf[HTML_ALT_MAX + 3];
	size_t n;

	if (alt == NULL)
		return;
	while (g_ascii_isspace(*alt))
		alt++;
	n = strnlen(alt, HTML_ALT_MAX);
	while (n > 0 && g_ascii_isspace(alt[n - 1]))
		n--;
	if (n == 0)
		return;
	/* Never cut inside a character. */
	while (n > 0 && ((unsigned char)alt[n] & 0xc0) == 0x80)
		n--;
	buf[0] = '[';
	memcpy(buf + 1, alt, n);
	buf[n + 1] = ']';
	buf[n + 2] = '\0';
	put_text(b, c, buf, n + 2);
}

int
html_doc_parse(struct html_doc *d, const char *html, size_t len,
    const char *preface, char *err, size_t errlen)
{
	struct builder b = { .d = d };
	struct ctx c;
	htmlDocPtr doc;
	const xmlNode *root;
	/* The text is UTF-8 already (mime/ converted it): a <meta charset>
	 * must not switch the parser to another encoding. XML_PARSE_HUGE
	 * lifts libxml2's nesting limit of 256, past which it drops the
	 * rest of the document without a word; the walk has its own limit
	 * that keeps the text (the input is bounded by the mail limits). */
	int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
	    HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_COMPACT |
	    HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE;

	d->blocks = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)html_block_free);
	d->imgs = g_array_new(FALSE, FALSE, sizeof(struct html_img));
	b.out = d->blocks;
	memset(&c, 0, sizeof(c));
	c.align = PANGO_ALIGN_LEFT;

	if (preface != NULL && *preface != '\0') {
		struct ctx pc = c;

		pc.pre = 1;
		pc.st.mono = 1;
		put_text(&b, &pc, preface, strlen(preface));
		html_flush(&b);
		if (!d->failed) {
			struct html_block *rule = html_block_new(&b, HTML_BLOCK_RULE, &c);

			if (rule != NULL)
				g_ptr_array_add(d->blocks, rule);
			html_gap(&b, HTML_PARA_GAP);
		}
	}
	if (len > (size_t)INT_MAX) {
		snprintf(err, errlen, "the HTML is too large");
		return -1;
	}
	doc = htmlReadMemory(len > 0 ? html : "", (int)len, NULL, "UTF-8", opts);
	if (doc != NULL && (root = xmlDocGetRootElement(doc)) != NULL)
		html_walk(&b, root, &c);
	html_flush(&b);
	g_free(b.marker);
	if (doc != NULL)
		xmlFreeDoc(doc);
	if (d->failed) {
		snprintf(err, errlen, "%s", d->err);
		return -1;
	}
	return 0;
}

void
html_doc_clear(struct html_doc *d)
{
	if (d->blocks != NULL)
		g_ptr_array_free(d->blocks, TRUE);
	if (d->imgs != NULL)
		g_array_free(d->imgs, TRUE);
	d->blocks = NULL;
	d->imgs = NULL;
}

void
html_walk_children(struct builder *b, const xmlNode *n, const struct ctx *c)
{
	const xmlNode *k;

	if (++b->depth > FAX_HTML_MAX_DEPTH) {
		/* Deeper than a real document goes: the text is kept, the
		 * form is not, and nothing recurses further. */
		b->d->rep->deep_flattened++;
		for (k = n->children; k != NULL && !b->d->failed; k = k->next)
			walk_flat(b, k, c);
	} else {
		for (k = n->children; k != NULL && !b->d->failed; k = k->next)
			html_walk(b, k, c);
	}
	b->depth--;
}

/* The text of a subtree in document order, without recursion. */
static void
walk_flat(struct builder *b, const xmlNode *top, const struct ctx *c)
{
	const xmlNode *n = top;

	while (n != NULL && !b->d->failed) {
		const struct tag *t = n->type == XML_ELEMENT_NODE ?
		    tag_find(n->name) : NULL;
		int skip = t != NULL && t->kind == T_DROP;

		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
		    n->content != NULL)
			put_text(b, c, (const char *)n->content,
			    strlen((const char *)n->content));
		else if (n->type == XML_ELEMENT_NODE && !skip && !html_hidden(n) &&
		    n->children != NULL) {
			n = n->children;
			continue;
		}
		/* next in document order within top */
		while (n != NULL && n != top && n->next == NULL)
			n = n->parent;
		if (n == NULL || n == top)
			break;
		n = n->next;
	}
}

void
html_walk(struct builder *b, const xmlNode *n, const struct ctx *c)
{
	const struct tag *t;

	switch (n->type) {
	case XML_TEXT_NODE:
	case XML_CDATA_SECTION_NODE:
		if (n->content != NULL)
			put_text(b, c, (const char *)n->content,
			    strlen((const char *)n->content));
		return;
	case XML_ELEMENT_NODE:
		break;
	default:
		return;		/* comments, processing instructions */
	}
	if (html_hidden(n))
		return;
	t = tag_find(n->name);
	if (t == NULL) {
		struct ctx k = *c;

		html_inline_style(n, 0, &k);	/* unknown elements: their content */
		html_walk_children(b, n, &k);
		return;
	}
	element(b, n, t, c);
}

/* Bold, italic, decoration and font from the tag and the style attribute. */
void
html_inline_style(const xmlNode *n, unsigned bits, struct ctx *k)
{
	const char *s = html_attr(n, "style");
	char v[128];

	if (bits & S_BOLD)
		k->st.bold = 1;
	if (bits & S_ITALIC)
		k->st.italic = 1;
	if (bits & (S_UNDER | S_LINK))
		k->st.underline = !(bits & S_LINK) || html_attr(n, "href") != NULL ||
		    k->st.underline;
	if (bits & S_STRIKE)
		k->st.strike = 1;
	if (bits & S_MONO)
		k->st.mono = 1;
	if (bits & S_BIG)
		k->st.scale = (k->st.scale ? k->st.scale : 100) * HTML_BIG_SCALE / 100;
	if (bits & S_SMALL)
		k->st.scale = (k->st.scale ? k->st.scale : 100) * HTML_SMALL_SCALE / 100;
	if (bits & (S_SUP | S_SUB)) {
		k->st.scale = (k->st.scale ? k->st.scale : 100) * HTML_SUP_SCALE / 100;
		k->st.rise = bits & S_SUP ? 1 : -1;
	}
	/* Sizes stay between a fifth and four times the body size. */
	if (k->st.scale != 0 && k->st.scale < 20)
		k->st.scale = 20;
	if (k->st.scale > 400)
		k->st.scale = 400;
	if (s == NULL)
		return;
	if (html_style(s, "font-weight", v, sizeof(v)) == 0)
		k->st.bold = strcmp(v, "bold") == 0 || strcmp(v, "bolder") == 0 ||
		    (v[0] >= '6' && v[0] <= '9' && v[1] == '0' && v[2] == '0');
	if (html_style(s, "font-style", v, sizeof(v)) == 0)
		k->st.italic = strcmp(v, "italic") == 0 || strcmp(v, "oblique") == 0;
	if (html_style(s, "text-decoration", v, sizeof(v)) == 0 ||
	    html_style(s, "text-decoration-line", v, sizeof(v)) == 0) {
		k->st.underline = strstr(v, "underline") != NULL;
		k->st.strike = strstr(v, "line-through") != NULL;
	}
	if (html_style(s, "font-family", v, sizeof(v)) == 0)
		k->st.mono = strstr(v, "mono") != NULL || strstr(v, "courier") != NULL ||
		    strstr(v, "consolas") != NULL;
}

/* One more level of indentation (lists, quotes, dd), up to a cap. */
static void
indent_more(struct ctx *k, double by, int bar)
{
	if (k->levels >= HTML_INDENT_LEVELS)
		return;
	k->levels++;
	if (bar && k->nbars < HTML_QUOTE_BARS_MAX)
		k->bars[k->nbars++] = k->indent + HTML_QUOTE_BAR_X;
	k->indent += by;
}

static void
element(struct builder *b, const xmlNode *n, const struct tag *t,
    const struct ctx *c)
{
	struct ctx k = *c;
	struct list_state list;
	double margin = t->gap;

	if (t->kind == T_DROP)
		return;
	html_inline_style(n, t->style, &k);
	switch (t->kind) {
	case T_INLINE:
		html_walk_children(b, n, &k);
		return;
	case T_Q:
		put_text(b, &k, "\xe2\x80\x9c", 3);
		html_walk_children(b, n, &k);
		put_text(b, &k, "\xe2\x80\x9d", 3);
		return;
	case T_BR:
		open_block(b, &k);
		if (b->cur != NULL)
			put(b, &k, "\n", 1);
		b->space = 0;
		b->col = 0;
		return;
	case T_IMG:
		do_img(b, n, &k);
		return;
	case T_HR:
		html_flush(b);
		html_gap(b, t->gap);
		{
			struct html_block *rule = html_block_new(b, HTML_BLOCK_RULE, &k);

			if (rule != NULL)
				g_ptr_array_add(b->out, rule);
		}
		html_gap(b, t->gap);
		return;
	case T_TABLE:
		if (k.flat_table || k.tables >= FAX_HTML_MAX_TABLE_DEPTH) {
			if (!k.flat_table)
				b->d->rep->tables_flattened++;
			k.flat_table = 1;
			html_flush(b);
			html_walk_children(b, n, &k);
			html_flush(b);
			return;
		}
		html_table_do(b, n, &k);
		return;
	case T_LI:
		do_li(b, n, &k);
		return;
	default:
		break;
	}

	/* Block elements: a paragraph break before and after. */
	html_flush(b);
	k.align = html_align(n, (t->style & S_CENTER) ? PANGO_ALIGN_CENTER : k.align);
	switch (t->kind) {
	case T_HEADING:
		k.heading = n->name[1] - '0';
		k.st.bold = 1;
		k.st.scale = heading_scale[k.heading];
		html_gap(b, 0.67 * HTML_EM * heading_scale[k.heading] / 100.0);
		html_walk_children(b, n, &k);
		html_flush(b);
		html_gap(b, 0.67 * HTML_EM * heading_scale[k.heading] / 100.0);
		return;
	case T_PRE:
		k.pre = 1;
		k.st.mono = 1;
		break;
	case T_QUOTE:
		indent_more(&k, HTML_QUOTE_INDENT, 1);
		break;
	case T_DD:
		indent_more(&k, HTML_LIST_INDENT, 0);
		break;
	case T_LIST:
		memset(&list, 0, sizeof(list));
		list.ordered = n->name[0] == 'o';
		list.type = '1';
		list.next = 1;
		list.depth = c->list != NULL ? c->list->depth + 1 : 1;
		if (list.ordered) {
			const char *ty = html_attr(n, "type"), *st = html_attr(n, "start");

			if (ty != NULL && strchr("1aAiI", ty[0]) != NULL && ty[0])
				list.type = ty[0];
			if (st != NULL) {
				long v = strtol(st, NULL, 10);

				if (v > -HTML_LIST_START_MAX && v < HTML_LIST_START_MAX)
					list.next = v;
			}
		}
		k.list = &list;
		indent_more(&k, HTML_LIST_INDENT, 0);
		if (c->list != NULL)
			margin = 0;	/* a list in a list: no space around */
		break;
	default:
		break;
	}
	html_gap(b, margin);
	html_walk_children(b, n, &k);
	html_flush(b);
	html_gap(b, margin);
}

static void
do_li(struct builder *b, const xmlNode *n, struct ctx *k)
{
	html_flush(b);
	if (k->list == NULL)
		indent_more(k, HTML_LIST_INDENT, 0);
	g_free(b->marker);
	b->marker = html_list_marker(k->list);
	if (k->list != NULL)
		k->list->next++;
	k->align = html_align(n, k->align);
	html_walk_children(b, n, k);
	html_flush(b);
	/* An empty item: its marker is not owed to what follows. */
	g_free(b->marker);
	b->marker = NULL;
}


/*
 * <img>: its size from width and height (attributes or style), else from
 * the image itself (CSS pixels), the other side in proportion; an image
 * that cannot be shown prints its alt text.
 */
static void
do_img(struct builder *b, const xmlNode *n, const struct ctx *c)
{
	struct html_doc *d = b->d;
	const char *src = html_attr(n, "src"), *alt = html_attr(n, "alt");
	const char *s = html_attr(n, "style");
	char sw[32] = "", sh[32] = "";
	struct html_img img;
	double w, h, nw, nh;
	int wp, hp, entry, idx;
	unsigned start;

	if (d->imgs->len >= FAX_HTML_MAX_IMAGES) {
		d->rep->images_over++;
		put_alt(b, c, alt);
		return;
	}
	if (src == NULL || (entry = html_images_find(d->images, src)) < 0) {
		if (src == NULL)
			d->rep->images_missing++;
		put_alt(b, c, alt);
		return;
	}
	if (s != NULL) {
		html_style(s, "width", sw, sizeof(sw));
		html_style(s, "height", sh, sizeof(sh));
	}
	w = html_length(sw[0] ? sw : html_attr(n, "width"), &wp);
	h = html_length(sh[0] ? sh : html_attr(n, "height"), &hp);
	if (html_images_size(d->images, entry, &nw, &nh) != 0) {
		d->rep->images_bad++;
		put_alt(b, c, alt);
		return;
	}
	if (wp) {
		/* A share of the column: the height follows the width. */
		w = -w;
		h = nh / nw;
	} else {
		if (hp)
			h = 0;	/* a share of an unknown height */
		if (w == 0 && h == 0) {
			w = nw * HTML_CSS_PX;
			h = nh * HTML_CSS_PX;
		} else if (w == 0) {
			w = h * nw / nh;
		} else if (h == 0) {
			h = w * nh / nw;
		}
	}
	img.entry = entry;
	img.w = w;
	img.h = h;
	g_array_append_val(d->imgs, img);
	idx = (int)d->imgs->len - 1;
	html_images_used(d->images, entry);
	d->rep->images_shown++;
	put_space(b, c);
	open_block(b, c);
	if (b->cur == NULL)
		return;
	start = (unsigned)b->cur->text->len;
	g_string_append(b->cur->text, "\xef\xbf\xbc");	/* U+FFFC */
	run_add(b->cur, start, (unsigned)b->cur->text->len, &c->st, idx);
}






