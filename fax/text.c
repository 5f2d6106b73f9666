/*
 * fax/text.c: text/plain to fax pages. UTF-8 in, pages 1728 wide at
 * 204 x 196 (fine) or 204 x 98 (standard) out, letter length.
 *
 * Text goes through Pango (fax/textstack.c): shaping of complex scripts,
 * the Unicode bidirectional algorithm with each paragraph's direction
 * taken from its text (an Arabic or Hebrew paragraph starts at the right
 * margin), fallback to any installed font that has a character. The body
 * font is DejaVu Sans Mono at 10 pt, 80 columns of its digits wide; lines
 * sit on a fixed 12 pt pitch so that a line with Chinese in it is not
 * taller than its neighbours. Paragraphs wrap at word boundaries (inside
 * words when a word is longer than a line); tabs stop every tab_width
 * columns; a form feed starts a new page unless the page is still empty;
 * CR LF and lone CR end lines like LF; other control characters are
 * dropped and invalid UTF-8 becomes U+FFFD. Characters no font has are
 * drawn as boxes with their code and counted (fax_tiff_info.missing_glyphs).
 *
 * Not here: the header line (header.c), fonts and the canvas (textstack.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/text_int.h"

#define TEXT_FONT		"DejaVu Sans Mono,Noto Sans Mono CJK SC,monospace 10"
#define TEXT_COLS		80
#define TEXT_PITCH_PT		12	/* baseline to baseline */
#define TEXT_PAGE_IN_X100	1100	/* letter length, fits A4 too */
#define TEXT_TOP_IN_X100	65	/* room for the header line */
#define TEXT_BOTTOM_IN_X100	50
/* Paragraphs are laid out in pieces of at most this many bytes: a
 * megabyte without a line break costs no more than short lines do. */
#define TEXT_CHUNK_MAX		8192

/* One printed line: where it goes. */
struct text_line {
	PangoLayoutLine *line;		/* borrowed from a layout in layouts;
					 * NULL for an empty line */
	double x;			/* logical left edge, layout units */
	unsigned page;
	unsigned slot;			/* line position on the page */
};

/* One rendering. */
struct text_run {
	PangoContext *ctx;		/* owned */
	PangoFontDescription *font;	/* owned */
	PangoTabArray *tabs;		/* owned */
	PangoAttrList *attrs;		/* owned */
	int width;			/* text column, Pango units */
	double left;			/* left margin, layout units */
	double top, pitch, ascent;	/* layout units */
	unsigned lines_per_page, max_pages;
	GPtrArray *layouts;		/* owned PangoLayouts */
	GArray *lines;			/* struct text_line */
	unsigned page, slot;		/* where the next line goes */
	int pending_ff;			/* a form feed waits for content */
	unsigned missing;
};

static char	*text_clean(const char *, size_t, size_t *);
static int	 run_init(struct text_run *, unsigned, unsigned, char *,
		    size_t);
static void	 run_free(struct text_run *);
static int	 run_place(struct text_run *, PangoLayoutLine *, double,
		    char *, size_t);
static int	 run_paragraph(struct text_run *, const char *, size_t,
		    char *, size_t);
static int	 run_text(struct text_run *, const char *, size_t, char *,
		    size_t);
static int	 run_write(struct text_run *, const char *, int, char *,
		    size_t);

/*
 * The text as Pango gets it: valid UTF-8, LF line ends, no control
 * characters but TAB, LF and FF. Caller frees (g_free).
 */
static char *
text_clean(const char *s, size_t len, size_t *outlen)
{
	GString *o = g_string_sized_new(len + 1);
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		gunichar u;
		const char *next;

		if (c < 0x80) {
			i++;
			if (c == '\r') {
				if (i < len && s[i] == '\n')
					i++;
				g_string_append_c(o, '\n');
			} else if (c >= 0x20 && c != 0x7f) {
				g_string_append_c(o, (char)c);
			} else if (c == '\t' || c == '\n' || c == '\f') {
				g_string_append_c(o, (char)c);
			}
			continue;
		}
		u = g_utf8_get_char_validated(s + i, (gssize)(len - i));
		if (u == (gunichar)-1 || u == (gunichar)-2) {
			g_string_append_unichar(o, 0xfffd);
			i++;
			continue;
		}
		next = g_utf8_next_char(s + i);
		if (u >= 0x80 && u < 0xa0) {	/* C1 controls */
			i = (size_t)(next - s);
			continue;
		}
		g_string_append_len(o, s + i, next - (s + i));
		i = (size_t)(next - s);
	}
	*outlen = o->len;
	return g_string_free(o, FALSE);
}

static int
run_init(struct text_run *t, unsigned tab, unsigned max_pages, char *err,
    size_t errlen)
{
	PangoFontMetrics *fm;
	int digit, i, ntabs;
	double body;

	memset(t, 0, sizeof(*t));
	if ((t->ctx = fax_text_context(err, errlen)) == NULL)
		return -1;
	t->font = pango_font_description_from_string(TEXT_FONT);
	fm = pango_context_get_metrics(t->ctx, t->font, NULL);
	digit = pango_font_metrics_get_approximate_digit_width(fm);
	t->ascent = (double)pango_font_metrics_get_ascent(fm) / PANGO_SCALE;
	pango_font_metrics_unref(fm);
	if (digit <= 0)
		digit = PANGO_SCALE * 17;	/* 10 pt monospace at 204 dpi */
	t->left = (FAX_PAGE_WIDTH - (double)TEXT_COLS * digit / PANGO_SCALE) / 2;
	/* Half a column more: rounding of advances must not push the 80th
	 * column of a full line to the next one. */
	t->width = TEXT_COLS * digit + digit / 2;
	if (t->left < 0)
		t->left = 0;
	ntabs = TEXT_COLS / (int)tab + 1;
	t->tabs = pango_tab_array_new(ntabs, FALSE);
	for (i = 0; i < ntabs; i++)
		pango_tab_array_set_tab(t->tabs, i, PANGO_TAB_LEFT,
		    (i + 1) * (int)tab * digit);
	t->pitch = TEXT_PITCH_PT * FAX_TEXT_UNITS_PER_INCH / 72.0;
	t->top = TEXT_TOP_IN_X100 * FAX_TEXT_UNITS_PER_INCH / 100.0;
	body = (TEXT_PAGE_IN_X100 - TEXT_TOP_IN_X100 - TEXT_BOTTOM_IN_X100) *
	    FAX_TEXT_UNITS_PER_INCH / 100.0;
	t->lines_per_page = (unsigned)(body / t->pitch);
	/* A word cut at the margin gets no hyphen: a long URL or number
	 * must read exactly as written. */
	t->attrs = pango_attr_list_new();
	pango_attr_list_insert(t->attrs, pango_attr_insert_hyphens_new(FALSE));
	t->max_pages = max_pages;
	t->layouts = g_ptr_array_new_with_free_func(g_object_unref);
	t->lines = g_array_new(FALSE, FALSE, sizeof(struct text_line));
	return 0;
}

static void
run_free(struct text_run *t)
{
	if (t->lines != NULL)
		g_array_free(t->lines, TRUE);
	if (t->layouts != NULL)
		g_ptr_array_free(t->layouts, TRUE);
	if (t->tabs != NULL)
		pango_tab_array_free(t->tabs);
	if (t->attrs != NULL)
		pango_attr_list_unref(t->attrs);
	if (t->font != NULL)
		pango_font_description_free(t->font);
	if (t->ctx != NULL)
		g_object_unref(t->ctx);
}

/* The next line (NULL: an empty one) on the current page, or on a new
 * page when this one is full or a form feed asked for one. */
static int
run_place(struct text_run *t, PangoLayoutLine *line, double x, char *err,
    size_t errlen)
{
	struct text_line tl;

	if ((t->pending_ff && t->slot > 0) || t->slot == t->lines_per_page) {
		if (t->page + 1 >= t->max_pages) {
			snprintf(err, errlen, "text longer than %u pages",
			    t->max_pages);
			return -1;
		}
		t->page++;
		t->slot = 0;
	}
	t->pending_ff = 0;
	tl.line = line;
	tl.x = x;
	tl.page = t->page;
	tl.slot = t->slot++;
	g_array_append_val(t->lines, tl);
	if (line != NULL)
		t->missing += fax_text_line_missing(line);
	return 0;
}

/*
 * One paragraph (no LF or FF inside): laid out in pieces of at most
 * TEXT_CHUNK_MAX bytes; all lines of a piece but its last are kept, and
 * the next piece starts where that last line started, so the breaks are
 * those of the whole paragraph.
 */
static int
run_paragraph(struct text_run *t, const char *s, size_t len, char *err,
    size_t errlen)
{
	size_t off = 0;

	if (len == 0)
		return run_place(t, NULL, 0, err, errlen);
	while (off < len) {
		PangoLayout *L;
		PangoLayoutIter *it;
		PangoRectangle logical;
		size_t n = len - off;
		int final = 1, nlines, use, i = 0, rc = 0;

		if (n > TEXT_CHUNK_MAX) {
			const char *cut = g_utf8_find_prev_char(s + off,
			    s + off + TEXT_CHUNK_MAX + 1);

			n = cut != NULL && cut > s + off ?
			    (size_t)(cut - (s + off)) : TEXT_CHUNK_MAX;
			final = 0;
		}
		L = pango_layout_new(t->ctx);
		g_ptr_array_add(t->layouts, L);
		pango_layout_set_font_description(L, t->font);
		pango_layout_set_width(L, t->width);
		pango_layout_set_wrap(L, PANGO_WRAP_WORD_CHAR);
		pango_layout_set_tabs(L, t->tabs);
		pango_layout_set_attributes(L, t->attrs);
		pango_layout_set_auto_dir(L, TRUE);
		pango_layout_set_text(L, s + off, (int)n);
		nlines = pango_layout_get_line_count(L);
		use = final || nlines == 1 ? nlines : nlines - 1;
		it = pango_layout_get_iter(L);
		do {
			PangoLayoutLine *line;

			if (i++ >= use)
				break;
			line = pango_layout_iter_get_line_readonly(it);
			pango_layout_iter_get_line_extents(it, NULL, &logical);
			rc = run_place(t, line, (double)logical.x / PANGO_SCALE,
			    err, errlen);
		} while (rc == 0 && pango_layout_iter_next_line(it));
		pango_layout_iter_free(it);
		if (rc != 0)
			return -1;
		if (final)
			break;
		if (nlines == 1)
			off += n;
		else
			off += (size_t)pango_layout_get_line_readonly(L,
			    nlines - 1)->start_index;
	}
	return 0;
}

/* Splits the cleaned text into paragraphs and page breaks. */
static int
run_text(struct text_run *t, const char *s, size_t len, char *err,
    size_t errlen)
{
	size_t i = 0, start = 0;

	for (i = 0; i < len; i++) {
		if (s[i] != '\n' && s[i] != '\f')
			continue;
		/* A form feed on an empty line breaks the page only. */
		if (s[i] == '\n' || i > start)
			if (run_paragraph(t, s + start, i - start, err,
			    errlen) < 0)
				return -1;
		if (s[i] == '\f')
			t->pending_ff = 1;
		start = i + 1;
	}
	if (start < len)
		return run_paragraph(t, s + start, len - start, err, errlen);
	return 0;
}

static int
run_write(struct text_run *t, const char *out_path, int yres, char *err,
    size_t errlen)
{
	unsigned pages = t->page + 1, rows, p;
	struct fax_canvas cv;
	struct fax_writer *w;
	struct fax_bitmap *b;
	guint k = 0;

	rows = (unsigned)((unsigned long)TEXT_PAGE_IN_X100 * (unsigned)yres /
	    100);
	if ((b = fax_bitmap_new(FAX_PAGE_WIDTH, rows)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (fax_canvas_init(&cv, FAX_PAGE_WIDTH, rows, yres, err, errlen) < 0) {
		fax_bitmap_free(b);
		return -1;
	}
	if ((w = fax_writer_open(out_path, FAX_OUT_SEND, pages, err,
	    errlen)) == NULL)
		goto fail;
	for (p = 0; p < pages; p++) {
		memset(b->bits, 0, b->stride * b->height);
		for (; k < t->lines->len; k++) {
			const struct text_line *tl = &g_array_index(t->lines,
			    struct text_line, k);

			if (tl->page != p)
				break;
			if (tl->line != NULL)
				fax_canvas_line(&cv, tl->line, t->left + tl->x,
				    t->top + tl->slot * t->pitch + t->ascent);
		}
		fax_canvas_to_bitmap(&cv, b, 0);
		if (fax_writer_page(w, b, yres, err, errlen) < 0) {
			fax_writer_abort(w);
			goto fail;
		}
	}
	fax_canvas_free(&cv);
	fax_bitmap_free(b);
	return fax_writer_commit(w, err, errlen);
fail:
	fax_canvas_free(&cv);
	fax_bitmap_free(b);
	return -1;
}

int
fax_text_render(const char *utf8, size_t len,
    const struct fax_text_options *o, const char *out_path,
    struct fax_tiff_info *info, char *err, size_t errlen)
{
	struct text_run t;
	unsigned max_pages = FAX_TEXT_MAX_PAGES_DEFAULT;
	unsigned tab = FAX_TEXT_TAB_DEFAULT;
	int yres = FAX_YRES_FINE, rc = -1;
	char *text;
	size_t n;

	if (o != NULL && o->max_pages != 0)
		max_pages = o->max_pages;
	if (o != NULL && o->tab_width != 0 && o->tab_width <= TEXT_COLS)
		tab = o->tab_width;
	if (o != NULL && o->resolution == FAX_TIFF_RES_STANDARD)
		yres = FAX_YRES_STANDARD;
	if (run_init(&t, tab, max_pages, err, errlen) < 0) {
		run_free(&t);
		return -1;
	}
	text = text_clean(utf8 != NULL ? utf8 : "", utf8 != NULL ? len : 0,
	    &n);
	/* Every page is laid out before the first is drawn: the file names
	 * the page count on each page, and a text over the limit is refused
	 * before anything is drawn. */
	if (run_text(&t, text, n, err, errlen) == 0 &&
	    run_write(&t, out_path, yres, err, errlen) == 0) {
		rc = 0;
		if (info != NULL) {
			memset(info, 0, sizeof(*info));
			info->pages = t.page + 1;
			info->fine_pages = yres == FAX_YRES_FINE ? t.page + 1 : 0;
			info->width = FAX_PAGE_WIDTH;
			info->missing_glyphs = t.missing;
		}
	}
	/* The layouts point into text: free them first. */
	run_free(&t);
	g_free(text);
	return rc;
}
