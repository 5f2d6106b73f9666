/*
 * fax/html_table.c: HTML tables to the document model: rows from thead,
 * tbody, tfoot or the table itself, each cell's content walked into a
 * container of its own, and the cells placed on a grid (colspan and
 * rowspan, a span past the last column reaching the last one). A table
 * whose cells would start past FAX_HTML_MAX_COLS columns is printed cell
 * after cell instead; more than FAX_HTML_MAX_CELLS cells fail the
 * document. Layout of the grid is html_layout.c's.
 *
 * Not here: the rest of the walk (html_parse.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pango/pango.h>

#include "fax/html_walk.h"

static void	 table_rows(struct builder *, const xmlNode *,
		    struct html_table *, const struct ctx *, int *);
static void	 table_cell(struct builder *, const xmlNode *,
		    struct html_table *, unsigned, const struct ctx *);
static int	 table_grid(struct html_table *);
static void	 table_flatten(struct builder *, struct html_table *);

/* A table: its rows and cells on a grid, or cell by cell when it is too
 * wide for a page of columns. */
void
html_table_do(struct builder *b, const xmlNode *n, const struct ctx *c)
{
	struct html_table *t = g_new0(struct html_table, 1);
	struct html_block *k;
	const char *bd = html_attr(n, "border"), *s = html_attr(n, "style");
	char v[64] = "";
	int pct, row = -1;
	double w;

	html_flush(b);
	html_gap(b, 0.3 * HTML_EM);
	t->cells = g_ptr_array_new();
	t->minw = -1;
	t->border = bd != NULL && (*bd == '\0' || atoi(bd) > 0);
	if (s != NULL && html_style(s, "border", v, sizeof(v)) == 0 &&
	    v[0] != '\0' && strcmp(v, "none") != 0 && strcmp(v, "0") != 0)
		t->border = 1;
	if (s != NULL && html_style(s, "width", v, sizeof(v)) != 0)
		v[0] = '\0';
	w = html_length(v[0] ? v : html_attr(n, "width"), &pct);
	t->width = pct ? -w : w;
	{
		const char *al = html_attr(n, "align");
		char ml[32];

		t->center = (al != NULL && g_ascii_strcasecmp(al, "center") == 0) ||
		    c->align == PANGO_ALIGN_CENTER ||
		    (s != NULL && html_style(s, "margin-left", ml, sizeof(ml)) == 0 &&
		    strcmp(ml, "auto") == 0);
	}
	table_rows(b, n, t, c, &row);
	t->nrows = (unsigned)(row + 1);
	if (b->d->failed) {
		html_table_free(t);
		return;
	}
	if (t->cells->len == 0) {
		html_table_free(t);
		return;
	}
	if (table_grid(t) != 0) {
		b->d->rep->tables_flattened++;
		table_flatten(b, t);
		return;
	}
	k = html_block_new(b, HTML_BLOCK_TABLE, c);
	if (k == NULL) {
		html_table_free(t);
		return;
	}
	k->indent = c->indent;
	k->table = t;
	g_ptr_array_add(b->out, k);
	html_gap(b, 0.3 * HTML_EM);
}

/*
 * The rows of a table (in thead, tbody, tfoot or directly in it), each
 * cell's content walked into the cell. A caption goes above the table;
 * anything else found between rows goes above it too (browsers move it
 * out of the table).
 */
static void
table_rows(struct builder *b, const xmlNode *n, struct html_table *t,
    const struct ctx *c, int *row)
{
	const xmlNode *k;

	if (b->depth + 1 > FAX_HTML_MAX_DEPTH)
		return;		/* row groups in row groups without end */
	b->depth++;
	for (k = n->children; k != NULL && !b->d->failed; k = k->next) {
		const char *name = (const char *)k->name;

		if (k->type != XML_ELEMENT_NODE) {
			if (k->type == XML_TEXT_NODE)
				html_walk(b, k, c);
			continue;
		}
		if (html_hidden(k))
			continue;
		if (strcmp(name, "thead") == 0 || strcmp(name, "tbody") == 0 ||
		    strcmp(name, "tfoot") == 0) {
			table_rows(b, k, t, c, row);
		} else if (strcmp(name, "tr") == 0) {
			const xmlNode *cell;

			(*row)++;
			for (cell = k->children; cell != NULL && !b->d->failed;
			    cell = cell->next)
				if (cell->type == XML_ELEMENT_NODE && !html_hidden(cell) &&
				    (strcmp((const char *)cell->name, "td") == 0 ||
				    strcmp((const char *)cell->name, "th") == 0))
					table_cell(b, cell, t, (unsigned)*row, c);
		} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
			if (*row < 0)
				*row = 0;
			table_cell(b, k, t, (unsigned)*row, c);
		} else if (strcmp(name, "colgroup") == 0 || strcmp(name, "col") == 0) {
			continue;
		} else {
			html_walk(b, k, c);
			html_flush(b);
		}
	}
	b->depth--;
}

static void
table_cell(struct builder *b, const xmlNode *n, struct html_table *t,
    unsigned row, const struct ctx *c)
{
	struct html_cell *cell;
	struct builder saved = *b;
	struct ctx k;
	const char *v;
	int pct;
	double w;

	if (++b->d->ncells > FAX_HTML_MAX_CELLS) {
		html_doc_fail(b->d, "the HTML has more than %u table cells",
		    FAX_HTML_MAX_CELLS);
		return;
	}
	cell = g_new0(struct html_cell, 1);
	cell->blocks = g_ptr_array_new_with_free_func(
	    (GDestroyNotify)html_block_free);
	cell->row = row;
	cell->colspan = 1;
	cell->rowspan = 1;
	cell->minw = -1;
	cell->valign = 1;
	if ((v = html_attr(n, "colspan")) != NULL && atoi(v) > 1)
		cell->colspan = atoi(v) > FAX_HTML_MAX_COLS ? FAX_HTML_MAX_COLS :
		    (unsigned)atoi(v);
	if ((v = html_attr(n, "rowspan")) != NULL && atoi(v) > 1)
		cell->rowspan = atoi(v) > FAX_HTML_MAX_ROWSPAN ?
		    FAX_HTML_MAX_ROWSPAN : (unsigned)atoi(v);
	if ((v = html_attr(n, "valign")) != NULL)
		cell->valign = g_ascii_strcasecmp(v, "top") == 0 ? 0 :
		    g_ascii_strcasecmp(v, "bottom") == 0 ? 2 : 1;
	w = html_length(html_attr(n, "width"), &pct);
	cell->width = pct ? 0 : w;
	g_ptr_array_add(t->cells, cell);

	/* The cell's content is a container of its own. */
	memset(&k, 0, sizeof(k));
	k.st = c->st;
	k.tables = c->tables + 1;
	k.align = strcmp((const char *)n->name, "th") == 0 ? PANGO_ALIGN_CENTER :
	    PANGO_ALIGN_LEFT;
	if (strcmp((const char *)n->name, "th") == 0)
		k.st.bold = 1;
	k.align = html_align(n, k.align);
	html_inline_style(n, 0, &k);
	b->out = cell->blocks;
	b->cur = NULL;
	b->gap = 0;
	b->space = 0;
	b->marker = NULL;
	html_walk_children(b, n, &k);
	html_flush(b);
	g_free(b->marker);
	b->out = saved.out;
	b->cur = saved.cur;
	b->gap = saved.gap;
	b->space = saved.space;
	b->marker = saved.marker;
	b->col = saved.col;
}

/*
 * Places the cells on the grid: each row from the left, past columns
 * that cells of rows above still cover (rowspan). -1 when a cell would
 * start past FAX_HTML_MAX_COLS columns.
 */
static int
table_grid(struct html_table *t)
{
	unsigned busy[FAX_HTML_MAX_COLS] = { 0 };
	unsigned row = 0, col = 0, i, k;

	for (i = 0; i < t->cells->len; i++) {
		struct html_cell *c = g_ptr_array_index(t->cells, i);

		while (row < c->row) {
			for (k = 0; k < FAX_HTML_MAX_COLS; k++)
				if (busy[k] > 0)
					busy[k]--;
			row++;
			col = 0;
		}
		while (col < FAX_HTML_MAX_COLS && busy[col] > 0)
			col++;
		if (col >= FAX_HTML_MAX_COLS)
			return -1;
		/* A span past the last column reaches the last one (mail
		 * layouts write colspan="100" for "all columns"). */
		if (col + c->colspan > FAX_HTML_MAX_COLS)
			c->colspan = FAX_HTML_MAX_COLS - col;
		c->col = col;
		for (k = col; k < col + c->colspan; k++)
			busy[k] = c->rowspan;
		col += c->colspan;
		if (col > t->ncols)
			t->ncols = col;
	}
	for (i = 0; i < t->cells->len; i++) {
		struct html_cell *c = g_ptr_array_index(t->cells, i);

		if (c->row + c->rowspan > t->nrows)
			c->rowspan = t->nrows - c->row;
	}
	return 0;
}

/* A table too wide for columns: its cells' blocks, one after another. */
static void
table_flatten(struct builder *b, struct html_table *t)
{
	guint i;

	for (i = 0; i < t->cells->len; i++) {
		struct html_cell *c = g_ptr_array_index(t->cells, i);

		while (c->blocks->len > 0) {
			struct html_block *k = g_ptr_array_steal_index(c->blocks, 0);

			g_ptr_array_add(b->out, k);
		}
	}
	html_table_free(t);
}

void
html_table_free(struct html_table *t)
{
	guint i;

	if (t == NULL)
		return;
	for (i = 0; i < t->cells->len; i++) {
		struct html_cell *c = g_ptr_array_index(t->cells, i);

		g_ptr_array_free(c->blocks, TRUE);
		g_free(c);
	}
	g_ptr_array_free(t->cells, TRUE);
	g_free(t);
}
