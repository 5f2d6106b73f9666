/*
 * fax/html_layout.c: lays out the HTML engine's document (html_int.h)
 * with Pango and draws it onto fax pages.
 *
 * The page: letter length (fits A4), a column 7 inches wide in the
 * middle, room at the top for the header line, as text pages have. Body
 * text is DejaVu Sans 10 pt (any script through font fallback, bidi and
 * shaping as for text pages), preformatted text DejaVu Sans Mono.
 *
 * Layout makes one long display list: every line of text, image, rule,
 * quote bar and table border with its box in one continuous vertical
 * space. Tables are laid out as browsers do in automatic layout: each
 * column between its narrowest (longest word or image) and widest (no
 * wrapping) content, the room left shared in proportion, cells spanning
 * columns or rows taken into account, each cell's content laid out at its
 * width and aligned in its row (valign). Pagination then cuts that space
 * into pages between lines: a page ends above the first line, image or
 * rule that would cross its bottom; only bars and vertical borders, and
 * a single line taller than a page, are cut. Images are scaled to fit
 * the column and the page.
 *
 * Not here: the document model (html_parse.c), images (html_image.c).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pango/pangocairo.h>

#include "fax/html_int.h"
#include "fax/image_int.h"
#include "fax/text_int.h"

#define HTML_FONT		"DejaVu Sans,Noto Sans CJK SC,sans-serif 10"
#define HTML_MONO_FAMILY	"DejaVu Sans Mono,Noto Sans Mono CJK SC,monospace"
#define HTML_PAGE_IN_X100	1100	/* letter length, fits A4 too */
#define HTML_TOP_IN_X100	65	/* room for the header line */
#define HTML_BOTTOM_IN_X100	50
#define HTML_COLUMN_IN_X100	700	/* the text column */
#define HTML_CELL_PAD		6.0	/* inside a cell, each side */
#define HTML_CELL_SPACING	4.0	/* between cells and at the edges */
#define HTML_LINE		2.0	/* borders and rules, thick */
#define HTML_BAR		3.0	/* block quote bars, wide */
#define HTML_MARKER_GAP		(0.08 * FAX_TEXT_UNITS_PER_INCH)
#define HTML_RISE		(3.0 * FAX_TEXT_UNITS_PER_INCH / 72.0)
/* The narrowest a nested block's column gets, however deep it is. */
#define HTML_MIN_COLUMN		(0.5 * FAX_TEXT_UNITS_PER_INCH)
/* Bytes of a paragraph Pango lays out at once (chunk_end). */
#define HTML_CHUNK_MAX		8192
/* An image fills at most this share of a page's height. */
#define HTML_IMAGE_PAGE_SHARE	0.95

enum item_kind {
	ITEM_LINE = 0,
	ITEM_IMAGE,
	ITEM_RECT,
};

/* One thing on the display list; boxes in layout units. */
struct item {
	enum item_kind kind;
	int slice;		/* may be cut across a page break */
	double x, y, w, h;
	double base;		/* LINE: the baseline, below y */
	PangoLayoutLine *line;	/* LINE: borrowed from lay.layouts */
	int img;		/* IMAGE: index into html_doc.imgs */
};

enum wrap {
	WRAP_FINAL = 0,		/* at the given width */
	WRAP_MIN,		/* at every break: the widest word */
	WRAP_NONE,		/* no wrapping: the widest line */
};

/* One layout run. */
struct lay {
	struct html_doc *d;
	PangoContext *ctx;		/* owned */
	PangoFontDescription *font;	/* owned */
	GPtrArray *layouts;	/* PangoLayout (owned) the lines come from */
	GArray *items;		/* struct item */
	double column;		/* the page's text column */
	double body;		/* a page's body height */
	double limit;		/* the document may not grow past this */
	unsigned max_pages;
	unsigned missing;
	int failed;
	char err[160];
};

static int	 lay_fail(struct lay *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 img_size(const struct lay *, const struct html_img *, double,
		    double *, double *);
static PangoLayout *para_layout(struct lay *, const struct html_block *,
		    size_t, size_t, double, enum wrap);
static size_t	 chunk_end(const struct html_block *, size_t);
static void	 para_measure(struct lay *, struct html_block *);
static void	 line_place(struct lay *, PangoLayoutIter *, double, double);
static double	 para_place(struct lay *, const struct html_block *, double,
		    double, double);
static void	 marker_place(struct lay *, const struct html_block *, double,
		    double, double);
static void	 blocks_measure(struct lay *, GPtrArray *, double *, double *);
static double	 blocks_place(struct lay *, GPtrArray *, double, double,
		    double);
static void	 table_measure(struct lay *, struct html_table *);
static void	 table_columns(struct lay *, struct html_table *, double *,
		    double *);
static double	 table_place(struct lay *, struct html_table *, double,
		    double, double);
static void	 item_add(struct lay *, enum item_kind, int, double, double,
		    double, double);
static int	 paginate(struct lay *, GArray *);
static int	 draw(struct lay *, GArray *, int, const char *, char *,
		    size_t);
static void	 draw_image(struct lay *, struct fax_bitmap *,
		    const struct item *, double, double, double, int);

static int
lay_fail(struct lay *L, const char *fmt, ...)
{
	va_list ap;

	if (!L->failed) {
		va_start(ap, fmt);
		vsnprintf(L->err, sizeof(L->err), fmt, ap);
		va_end(ap);
		L->failed = 1;
	}
	return -1;
}

static void
item_add(struct lay *L, enum item_kind kind, int slice, double x, double y,
    double w, double h)
{
	struct item it;

	memset(&it, 0, sizeof(it));
	it.kind = kind;
	it.slice = slice;
	it.x = x;
	it.y = y;
	it.w = w;
	it.h = h;
	g_array_append_val(L->items, it);
}

/* An image's size in a column of width: what the document asks for,
 * fitted to the column and to a page. */
static void
img_size(const struct lay *L, const struct html_img *im, double width,
    double *w, double *h)
{
	double iw = im->w, ih = im->h;

	if (iw < 0) {		/* a share of the column; ih is the aspect */
		iw = width * -iw / 100.0;
		ih = iw * ih;
	}
	if (iw > width && width > 0) {
		ih *= width / iw;
		iw = width;
	}
	if (ih > L->body * HTML_IMAGE_PAGE_SHARE) {
		iw *= L->body * HTML_IMAGE_PAGE_SHARE / ih;
		ih = L->body * HTML_IMAGE_PAGE_SHARE;
	}
	*w = fmax(1.0, iw);
	*h = fmax(1.0, ih);
}

/*
 * Where a piece of a paragraph laid out at once ends, from off: at most
 * HTML_CHUNK_MAX bytes, on a character boundary. Pango's line breaking
 * costs more than linear time (and overflows its integer widths) on a
 * paragraph of megabytes; pieces keep it linear.
 */
static size_t
chunk_end(const struct html_block *k, size_t off)
{
	const char *s = k->text->str, *cut;

	if (k->text->len - off <= HTML_CHUNK_MAX)
		return k->text->len;
	cut = g_utf8_find_prev_char(s + off, s + off + HTML_CHUNK_MAX + 1);
	return cut != NULL && cut > s + off ? (size_t)(cut - s) : off + HTML_CHUNK_MAX;
}

/* The bytes [off, off + n) of a paragraph as a Pango layout: its runs as
 * attributes, its images as shapes of their size in a column of width.
 * Caller unrefs. */
static PangoLayout *
para_layout(struct lay *L, const struct html_block *k, size_t off, size_t n,
    double width, enum wrap wrap)
{
	PangoLayout *pl = pango_layout_new(L->ctx);
	PangoAttrList *al = pango_attr_list_new();
	guint i;

	/* A word cut at the margin gets no hyphen, as on text pages. */
	pango_attr_list_insert(al, pango_attr_insert_hyphens_new(FALSE));
	for (i = 0; i < k->runs->len; i++) {
		const struct html_run *r = &g_array_index(k->runs, struct html_run, i);
		PangoAttribute *a[8];
		int na = 0, j;

		if (r->end <= off || r->start >= off + n)
			continue;
		if (r->img >= 0) {
			const struct html_img *im = &g_array_index(L->d->imgs,
			    struct html_img, r->img);
			PangoRectangle rect;
			double w, h;

			img_size(L, im, wrap == WRAP_FINAL ? width : L->column, &w, &h);
			rect.x = 0;
			rect.y = -(int)(h * PANGO_SCALE);
			rect.width = (int)(w * PANGO_SCALE);
			rect.height = (int)(h * PANGO_SCALE);
			a[na++] = pango_attr_shape_new_with_data(&rect, &rect,
			    GINT_TO_POINTER(r->img + 1), NULL, NULL);
		} else {
			if (r->st.bold)
				a[na++] = pango_attr_weight_new(PANGO_WEIGHT_BOLD);
			if (r->st.italic)
				a[na++] = pango_attr_style_new(PANGO_STYLE_ITALIC);
			if (r->st.underline)
				a[na++] = pango_attr_underline_new(PANGO_UNDERLINE_SINGLE);
			if (r->st.strike)
				a[na++] = pango_attr_strikethrough_new(TRUE);
			if (r->st.mono)
				a[na++] = pango_attr_family_new(HTML_MONO_FAMILY);
			if (r->st.scale != 0 && r->st.scale != 100)
				a[na++] = pango_attr_scale_new(r->st.scale / 100.0);
			if (r->st.rise != 0)
				a[na++] = pango_attr_rise_new((int)(r->st.rise *
				    HTML_RISE * PANGO_SCALE));
		}
		for (j = 0; j < na; j++) {
			a[j]->start_index = r->start > off ? (guint)(r->start - off) : 0;
			a[j]->end_index = (guint)(MIN((size_t)r->end, off + n) - off);
			pango_attr_list_insert(al, a[j]);
		}
	}
	pango_layout_set_font_description(pl, L->font);
	pango_layout_set_auto_dir(pl, TRUE);
	pango_layout_set_alignment(pl, (PangoAlignment)k->align);
	pango_layout_set_text(pl, k->text->str + off, (int)n);
	pango_layout_set_attributes(pl, al);
	pango_attr_list_unref(al);
	switch (wrap) {
	case WRAP_MIN:
		pango_layout_set_wrap(pl, PANGO_WRAP_WORD);
		pango_layout_set_width(pl, 1);
		break;
	case WRAP_NONE:
		pango_layout_set_width(pl, -1);
		break;
	case WRAP_FINAL:
		pango_layout_set_wrap(pl, k->pre ? PANGO_WRAP_CHAR :
		    PANGO_WRAP_WORD_CHAR);
		pango_layout_set_width(pl, (int)(fmax(1.0, width) * PANGO_SCALE));
		break;
	}
	return pl;
}

/* The narrowest and widest a paragraph may be (its indent included);
 * a paragraph of several pieces is as wide as the page allows. */
static void
para_measure(struct lay *L, struct html_block *k)
{
	PangoRectangle r;
	PangoLayout *pl;
	size_t off = 0, end;

	k->minw = k->maxw = 0;
	do {
		end = chunk_end(k, off);
		if (off == 0 && end == k->text->len) {
			pl = para_layout(L, k, 0, end, L->column, WRAP_NONE);
			pango_layout_get_extents(pl, NULL, &r);
			k->maxw = (double)r.width / PANGO_SCALE;
			g_object_unref(pl);
		} else {
			k->maxw = L->column;
		}
		pl = para_layout(L, k, off, end - off, L->column, WRAP_MIN);
		pango_layout_get_extents(pl, NULL, &r);
		k->minw = fmax(k->minw, (double)r.width / PANGO_SCALE);
		g_object_unref(pl);
		off = end;
	} while (off < k->text->len);
	if (k->pre)
		k->minw = k->maxw;
	k->minw += k->indent;
	k->maxw += k->indent;
}

static void
blocks_measure(struct lay *L, GPtrArray *blocks, double *minw, double *maxw)
{
	guint i;

	*minw = *maxw = 0;
	for (i = 0; i < blocks->len && !L->failed; i++) {
		struct html_block *k = g_ptr_array_index(blocks, i);

		if (k->minw < 0) {
			switch (k->kind) {
			case HTML_BLOCK_TEXT:
				para_measure(L, k);
				break;
			case HTML_BLOCK_RULE:
				k->minw = k->maxw = k->indent;
				break;
			case HTML_BLOCK_TABLE:
				table_measure(L, k->table);
				k->minw = k->table->minw + k->indent;
				k->maxw = k->table->maxw + k->indent;
				break;
			}
		}
		*minw = fmax(*minw, k->minw);
		*maxw = fmax(*maxw, k->maxw);
	}
}

/* A list item's bullet or number, its baseline on the first line's,
 * right-aligned before the text. */
static void
marker_place(struct lay *L, const struct html_block *k, double x,
    double y, double baseline)
{
	PangoLayout *pl = pango_layout_new(L->ctx);
	PangoLayoutIter *it;
	PangoRectangle r;
	struct item li;

	pango_layout_set_font_description(pl, L->font);
	pango_layout_set_text(pl, k->marker, -1);
	g_ptr_array_add(L->layouts, pl);
	it = pango_layout_get_iter(pl);
	pango_layout_iter_get_line_extents(it, NULL, &r);
	memset(&li, 0, sizeof(li));
	li.kind = ITEM_LINE;
	li.x = x - HTML_MARKER_GAP - (double)r.width / PANGO_SCALE;
	li.base = (double)(pango_layout_iter_get_baseline(it) - r.y) / PANGO_SCALE;
	li.y = y + baseline - li.base;
	li.h = (double)r.height / PANGO_SCALE;
	li.w = (double)r.width / PANGO_SCALE;
	li.line = pango_layout_iter_get_line_readonly(it);
	pango_layout_iter_free(it);
	if (li.x < 0)
		li.x = 0;
	g_array_append_val(L->items, li);
}

/* One line of a paragraph on the display list at y (its top), and the
 * images in it. */
static void
line_place(struct lay *L, PangoLayoutIter *it, double x, double y)
{
	PangoLayoutLine *line = pango_layout_iter_get_line_readonly(it);
	PangoRectangle r;
	struct item li;
	double run_x;
	GSList *l;

	pango_layout_iter_get_line_extents(it, NULL, &r);
	memset(&li, 0, sizeof(li));
	li.kind = ITEM_LINE;
	li.x = x + (double)r.x / PANGO_SCALE;
	li.y = y;
	li.w = (double)r.width / PANGO_SCALE;
	li.h = (double)r.height / PANGO_SCALE;
	li.base = (double)(pango_layout_iter_get_baseline(it) - r.y) / PANGO_SCALE;
	li.line = line;
	g_array_append_val(L->items, li);
	L->missing += fax_text_line_missing(line);
	/* Images: shaped runs, left to right as the line shows them. */
	run_x = li.x;
	for (l = line->runs; l != NULL; l = l->next) {
		const PangoGlyphItem *run = l->data;
		GSList *a;

		for (a = run->item->analysis.extra_attrs; a != NULL; a = a->next) {
			const PangoAttribute *at = a->data;
			const PangoAttrShape *sh;

			if (at->klass->type != PANGO_ATTR_SHAPE)
				continue;
			sh = (const PangoAttrShape *)at;
			item_add(L, ITEM_IMAGE, 0, run_x,
			    y + li.base + (double)sh->logical_rect.y / PANGO_SCALE,
			    (double)sh->logical_rect.width / PANGO_SCALE,
			    (double)sh->logical_rect.height / PANGO_SCALE);
			g_array_index(L->items, struct item, L->items->len - 1).img =
			    GPOINTER_TO_INT(sh->data) - 1;
			break;
		}
		run_x += (double)pango_glyph_string_get_width(run->glyphs) /
		    PANGO_SCALE;
	}
}

/*
 * A paragraph at (x, y) in a column of width: its lines and images on
 * the display list, its marker beside the first line. Laid out piece by
 * piece (chunk_end): of each piece all lines but the last are kept, and
 * the next piece starts where that line started, so the lines are those
 * of the whole paragraph. Returns its height.
 */
static double
para_place(struct lay *L, const struct html_block *k, double x, double width,
    double y)
{
	size_t off = 0, end;
	double y0 = y;
	int first = 1;

	do {
		PangoLayout *pl;
		PangoLayoutIter *it;
		PangoRectangle r;
		int nlines, use, i = 0, final;
		guint at;

		end = chunk_end(k, off);
		final = end == k->text->len;
		pl = para_layout(L, k, off, end - off, width, WRAP_FINAL);
		g_ptr_array_add(L->layouts, pl);
		nlines = pango_layout_get_line_count(pl);
		use = final || nlines == 1 ? nlines : nlines - 1;
		it = pango_layout_get_iter(pl);
		do {
			pango_layout_iter_get_line_extents(it, NULL, &r);
			if (i++ >= use)
				break;
			at = L->items->len;
			line_place(L, it, x, y + (double)r.y / PANGO_SCALE);
			if (first && k->marker != NULL) {
				const struct item *li = &g_array_index(L->items,
				    struct item, at);

				marker_place(L, k, x, li->y, li->base);
			}
			first = 0;
		} while (pango_layout_iter_next_line(it));
		if (i > use) {	/* the line not kept: the next piece starts there */
			y += (double)r.y / PANGO_SCALE;
			off += (size_t)pango_layout_get_line_readonly(pl,
			    nlines - 1)->start_index;
		} else {
			pango_layout_get_extents(pl, NULL, &r);
			y += (double)r.height / PANGO_SCALE;
			off = end;
		}
		pango_layout_iter_free(it);
		if (y > L->limit)
			break;
	} while (off < k->text->len);
	return y - y0;
}

/* Blocks one below the other from y in a column at x of width; returns
 * where the next block goes. */
static double
blocks_place(struct lay *L, GPtrArray *blocks, double x, double width,
    double y)
{
	guint i;

	for (i = 0; i < blocks->len && !L->failed; i++) {
		struct html_block *k = g_ptr_array_index(blocks, i);
		/* Indentation gives way before the column gets too narrow. */
		double ind = fmin(k->indent, fmax(0.0, width - HTML_MIN_COLUMN));
		double top = y, w = width - ind, kx = x + ind, h = 0;
		unsigned b;

		y += k->before;
		switch (k->kind) {
		case HTML_BLOCK_TEXT:
			h = para_place(L, k, kx, w, y);
			break;
		case HTML_BLOCK_RULE:
			item_add(L, ITEM_RECT, 0, kx, y + HTML_LINE, w, HTML_LINE);
			h = 3 * HTML_LINE;
			break;
		case HTML_BLOCK_TABLE:
			h = table_place(L, k->table, kx, w, y);
			break;
		}
		y += h;
		for (b = 0; b < k->nbars; b++)
			if (k->bars[b] < width)
				item_add(L, ITEM_RECT, 1, x + k->bars[b], top, HTML_BAR,
				    y - top);
		if (y > L->limit)
			return lay_fail(L, "HTML longer than %u pages", L->max_pages);
	}
	return y;
}

/* Columns' narrowest and widest, from the cells (spans shared out). */
static void
table_columns(struct lay *L, struct html_table *t, double *cmin, double *cmax)
{
	guint i;
	unsigned c;

	for (c = 0; c < t->ncols; c++)
		cmin[c] = cmax[c] = 0;
	for (int pass = 0; pass < 2 && !L->failed; pass++) {
		for (i = 0; i < t->cells->len; i++) {
			struct html_cell *cell = g_ptr_array_index(t->cells, i);
			double mn, mx, smin = 0, smax = 0;

			if ((pass == 0) != (cell->colspan == 1))
				continue;
			if (cell->minw < 0) {
				blocks_measure(L, cell->blocks, &mn, &mx);
				cell->minw = mn + 2 * HTML_CELL_PAD;
				cell->maxw = fmax(mx, fmin(cell->width, L->column)) +
				    2 * HTML_CELL_PAD;
			}
			for (c = cell->col; c < cell->col + cell->colspan; c++) {
				smin += cmin[c];
				smax += cmax[c];
			}
			smin += (cell->colspan - 1) * HTML_CELL_SPACING;
			smax += (cell->colspan - 1) * HTML_CELL_SPACING;
			for (c = cell->col; c < cell->col + cell->colspan; c++) {
				if (cell->minw > smin)
					cmin[c] += (cell->minw - smin) / cell->colspan;
				if (cell->maxw > smax)
					cmax[c] += (cell->maxw - smax) / cell->colspan;
			}
		}
	}
	for (c = 0; c < t->ncols; c++)
		cmax[c] = fmax(cmax[c], cmin[c]);
}

static void
table_measure(struct lay *L, struct html_table *t)
{
	double cmin[FAX_HTML_MAX_COLS], cmax[FAX_HTML_MAX_COLS];
	unsigned c;

	if (t->minw >= 0)
		return;
	table_columns(L, t, cmin, cmax);
	t->minw = t->maxw = (t->ncols + 1) * HTML_CELL_SPACING;
	for (c = 0; c < t->ncols; c++) {
		t->minw += cmin[c];
		t->maxw += cmax[c];
	}
	if (t->width > 0)
		t->maxw = fmax(t->maxw, fmin(t->width, L->column));
}

/*
 * A table at (x, y) in a column of width: column widths, each cell's
 * content laid out at its width and moved to its row, row heights from
 * the tallest cells (a cell spanning rows stretches the last of them),
 * the grid when it has a border. Returns its height.
 */
static double
table_place(struct lay *L, struct html_table *t, double x, double width,
    double y)
{
	double cmin[FAX_HTML_MAX_COLS], cmax[FAX_HTML_MAX_COLS];
	double cw[FAX_HTML_MAX_COLS], cx[FAX_HTML_MAX_COLS];
	double tmin = 0, tmax = 0, target, total, *rh, *ry, *ch;
	guint *from, *to, i;
	unsigned c, r;

	table_measure(L, t);
	table_columns(L, t, cmin, cmax);
	for (c = 0; c < t->ncols; c++) {
		tmin += cmin[c];
		tmax += cmax[c];
	}
	width -= (t->ncols + 1) * HTML_CELL_SPACING;
	if (t->width > 0)
		target = fmin(width, t->width - (t->ncols + 1) * HTML_CELL_SPACING);
	else if (t->width < 0)
		target = width * -t->width / 100.0;
	else
		target = fmin(width, tmax);
	target = fmax(target, fmin(width, tmin));
	for (c = 0; c < t->ncols; c++) {
		if (tmax <= target)	/* room to spare: shared like the content */
			cw[c] = tmax > 0 ? cmax[c] + (target - tmax) * cmax[c] / tmax :
			    target / t->ncols;
		else if (tmin >= target)	/* too narrow: all shrink alike */
			cw[c] = tmin > 0 ? cmin[c] * target / tmin : target / t->ncols;
		else
			cw[c] = cmin[c] + (cmax[c] - cmin[c]) * (target - tmin) /
			    (tmax - tmin);
	}
	total = (t->ncols + 1) * HTML_CELL_SPACING;
	for (c = 0; c < t->ncols; c++)
		total += cw[c];
	if (t->center && total < width + (t->ncols + 1) * HTML_CELL_SPACING)
		x += (width + (t->ncols + 1) * HTML_CELL_SPACING - total) / 2;
	for (c = 0; c < t->ncols; c++)
		cx[c] = (c == 0 ? x + HTML_CELL_SPACING : cx[c - 1] + cw[c - 1] +
		    HTML_CELL_SPACING);

	rh = g_new0(double, t->nrows + 1);
	ry = g_new0(double, t->nrows + 1);
	ch = g_new0(double, t->cells->len);
	from = g_new0(guint, t->cells->len);
	to = g_new0(guint, t->cells->len);
	/* Each cell's content at y = 0, moved to its row afterwards. */
	for (i = 0; i < t->cells->len && !L->failed; i++) {
		struct html_cell *cell = g_ptr_array_index(t->cells, i);
		double w = (cell->colspan - 1) * HTML_CELL_SPACING;

		for (c = cell->col; c < cell->col + cell->colspan; c++)
			w += cw[c];
		from[i] = L->items->len;
		ch[i] = blocks_place(L, cell->blocks, cx[cell->col] + HTML_CELL_PAD,
		    w - 2 * HTML_CELL_PAD, HTML_CELL_PAD) + HTML_CELL_PAD;
		to[i] = L->items->len;
		if (cell->rowspan == 1 && ch[i] > rh[cell->row])
			rh[cell->row] = ch[i];
	}
	for (i = 0; i < t->cells->len && !L->failed; i++) {
		struct html_cell *cell = g_ptr_array_index(t->cells, i);
		double span = (cell->rowspan - 1) * HTML_CELL_SPACING;

		if (cell->rowspan == 1)
			continue;
		for (r = cell->row; r < cell->row + cell->rowspan; r++)
			span += rh[r];
		if (ch[i] > span)
			rh[cell->row + cell->rowspan - 1] += ch[i] - span;
	}
	for (r = 0; r < t->nrows; r++)
		ry[r] = (r == 0 ? y + HTML_CELL_SPACING : ry[r - 1] + rh[r - 1] +
		    HTML_CELL_SPACING);
	for (i = 0; i < t->cells->len && !L->failed; i++) {
		struct html_cell *cell = g_ptr_array_index(t->cells, i);
		double span = (cell->rowspan - 1) * HTML_CELL_SPACING, w, off;
		guint k;

		for (r = cell->row; r < cell->row + cell->rowspan; r++)
			span += rh[r];
		off = ry[cell->row] + (span - ch[i]) * cell->valign / 2.0;
		for (k = from[i]; k < to[i]; k++)
			g_array_index(L->items, struct item, k).y += off;
		if (!t->border)
			continue;
		w = (cell->colspan - 1) * HTML_CELL_SPACING;
		for (c = cell->col; c < cell->col + cell->colspan; c++)
			w += cw[c];
		item_add(L, ITEM_RECT, 0, cx[cell->col], ry[cell->row], w, HTML_LINE);
		item_add(L, ITEM_RECT, 0, cx[cell->col], ry[cell->row] + span -
		    HTML_LINE, w, HTML_LINE);
		item_add(L, ITEM_RECT, 1, cx[cell->col], ry[cell->row], HTML_LINE, span);
		item_add(L, ITEM_RECT, 1, cx[cell->col] + w - HTML_LINE, ry[cell->row],
		    HTML_LINE, span);
	}
	total = (t->nrows + 1) * HTML_CELL_SPACING;
	for (r = 0; r < t->nrows; r++)
		total += rh[r];
	g_free(rh);
	g_free(ry);
	g_free(ch);
	g_free(from);
	g_free(to);
	return total;
}

/*
 * Page breaks: the start of each page in the long space, then its end.
 * A page ends at the top of the first unbreakable item that would cross
 * its bottom (an item that alone is taller than a page is cut).
 */
static int
paginate(struct lay *L, GArray *breaks)
{
	double end = 0, p = 0;
	guint i;

	for (i = 0; i < L->items->len; i++) {
		const struct item *it = &g_array_index(L->items, struct item, i);

		end = fmax(end, it->y + it->h);
	}
	g_array_append_val(breaks, p);
	do {
		double bottom = p + L->body, next = bottom;

		for (i = 0; i < L->items->len; i++) {
			const struct item *it = &g_array_index(L->items, struct item, i);

			if (!it->slice && it->y > p + 0.5 && it->y < bottom &&
			    it->y + it->h > bottom + 0.01 && it->y < next)
				next = it->y;
		}
		if (breaks->len > L->max_pages)
			return lay_fail(L, "HTML longer than %u pages", L->max_pages);
		p = next;
		g_array_append_val(breaks, p);
	} while (p + 0.5 < end);
	return 0;
}

int
html_doc_render(struct html_doc *d, unsigned max_pages, int yres,
    const char *out_path, struct fax_tiff_info *info, char *err, size_t errlen)
{
	struct lay L;
	GArray *breaks;
	int rc = -1;

	memset(&L, 0, sizeof(L));
	L.d = d;
	if ((L.ctx = fax_text_context(err, errlen)) == NULL)
		return -1;
	L.font = pango_font_description_from_string(HTML_FONT);
	L.layouts = g_ptr_array_new_with_free_func(g_object_unref);
	L.items = g_array_new(FALSE, FALSE, sizeof(struct item));
	L.column = HTML_COLUMN_IN_X100 * FAX_TEXT_UNITS_PER_INCH / 100.0;
	L.body = (HTML_PAGE_IN_X100 - HTML_TOP_IN_X100 - HTML_BOTTOM_IN_X100) *
	    FAX_TEXT_UNITS_PER_INCH / 100.0;
	L.max_pages = max_pages;
	L.limit = L.body * max_pages;
	breaks = g_array_new(FALSE, FALSE, sizeof(double));

	blocks_place(&L, d->blocks, (FAX_PAGE_WIDTH - L.column) / 2, L.column, 0);
	if (!L.failed && paginate(&L, breaks) == 0 &&
	    draw(&L, breaks, yres, out_path, err, errlen) == 0) {
		rc = 0;
		if (info != NULL) {
			memset(info, 0, sizeof(*info));
			info->pages = breaks->len - 1;
			info->fine_pages = yres == FAX_YRES_FINE ? info->pages : 0;
			info->width = FAX_PAGE_WIDTH;
			info->missing_glyphs = L.missing;
		}
		d->rep->missing_glyphs = L.missing;
	} else if (L.failed) {
		snprintf(err, errlen, "%s", L.err);
	}
	g_array_free(breaks, TRUE);
	g_array_free(L.items, TRUE);
	g_ptr_array_free(L.layouts, TRUE);
	pango_font_description_free(L.font);
	g_object_unref(L.ctx);
	return rc;
}

/* Every page: text and rules through the canvas, images straight into
 * the page bitmap, each clipped to the page's share of the long space. */
static int
draw(struct lay *L, GArray *breaks, int yres, const char *out_path, char *err,
    size_t errlen)
{
	unsigned pages = breaks->len - 1, rows, p;
	double top = HTML_TOP_IN_X100 * FAX_TEXT_UNITS_PER_INCH / 100.0;
	struct fax_canvas cv;
	struct fax_writer *w;
	struct fax_bitmap *b;
	guint i;

	rows = (unsigned)((unsigned long)HTML_PAGE_IN_X100 * (unsigned)yres / 100);
	if ((b = fax_bitmap_new(FAX_PAGE_WIDTH, rows)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (fax_canvas_init(&cv, FAX_PAGE_WIDTH, rows, yres, err, errlen) < 0) {
		fax_bitmap_free(b);
		return -1;
	}
	if ((w = fax_writer_open(out_path, FAX_OUT_SEND, pages, err, errlen)) == NULL)
		goto fail;
	for (p = 0; p < pages; p++) {
		double p0 = g_array_index(breaks, double, p);
		double p1 = g_array_index(breaks, double, p + 1);

		memset(b->bits, 0, b->stride * b->height);
		cairo_save(cv.cr);
		cairo_rectangle(cv.cr, 0, top, FAX_PAGE_WIDTH, p1 - p0);
		cairo_clip(cv.cr);
		for (i = 0; i < L->items->len; i++) {
			const struct item *it = &g_array_index(L->items, struct item, i);
			double oy = top + it->y - p0;

			if (it->y >= p1 || it->y + it->h <= p0)
				continue;
			if (it->kind == ITEM_LINE) {
				fax_canvas_line(&cv, it->line, it->x, oy + it->base);
			} else if (it->kind == ITEM_RECT) {
				cairo_rectangle(cv.cr, it->x, oy, it->w, it->h);
				cairo_fill(cv.cr);
			}
		}
		cairo_restore(cv.cr);
		fax_canvas_to_bitmap(&cv, b, 0);
		for (i = 0; i < L->items->len; i++) {
			const struct item *it = &g_array_index(L->items, struct item, i);

			if (it->kind == ITEM_IMAGE && it->y < p1 && it->y + it->h > p0)
				draw_image(L, b, it, top + it->y - p0, top, top + p1 - p0,
				    yres);
		}
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

/* One image, binarized at its size in page pixels, ORed into the page
 * between the clip rows (layout units clip0..clip1 from the page top). */
static void
draw_image(struct lay *L, struct fax_bitmap *b, const struct item *it,
    double oy, double clip0, double clip1, int yres)
{
	const struct html_img *im = &g_array_index(L->d->imgs, struct html_img,
	    it->img);
	double sy = (double)yres / FAX_TEXT_UNITS_PER_INCH;
	unsigned w = (unsigned)fmax(1.0, floor(it->w + 0.5));
	unsigned h = (unsigned)fmax(1.0, floor(it->h * sy + 0.5));
	long x0 = lround(it->x), y0 = lround(oy * sy);
	long r0 = lround(clip0 * sy), r1 = lround(clip1 * sy);
	PIX *pix = html_images_bitmap(L->d->images, im->entry, w, h, yres);
	l_uint32 *data;
	l_int32 wpl, pw, ph, r, c;

	if (pix == NULL)
		return;
	data = pixGetData(pix);
	wpl = pixGetWpl(pix);
	pw = pixGetWidth(pix);
	ph = pixGetHeight(pix);
	for (r = 0; r < ph; r++) {
		long row = y0 + r;
		const l_uint32 *line = data + (size_t)r * (size_t)wpl;

		if (row < r0 || row >= r1 || row < 0 || row >= (long)b->height)
			continue;
		for (c = 0; c < pw; c++)
			if (GET_DATA_BIT(line, c) && x0 + c >= 0)
				fax_bitmap_set(b, (unsigned)(x0 + c), (unsigned)row);
	}
	pixDestroy(&pix);
}
