/*
 * fax/text.c: text/plain to fax pages. UTF-8 in, fine-resolution pages out
 * (1728 wide, 204x196), drawn with the built-in 8x16 font at twice its size
 * (2 x 4 mm cells, 80 columns inside 28 mm side margins). Word wrap at
 * spaces, hard wrap for longer words, tabs to the next tab stop, form feed
 * starts a new page. Characters without a glyph and invalid UTF-8 print as
 * '?'; other control characters are dropped.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/fax_int.h"

#define TEXT_COLS		80
#define TEXT_SCALE_X		2
#define TEXT_SCALE_Y		2
#define TEXT_CELL_W		(8 * TEXT_SCALE_X)
#define TEXT_LINE_ROWS		(16 * TEXT_SCALE_Y + 4)	/* + leading */
#define TEXT_PAGE_ROWS		2156		/* 11 in at 196 dpi */
#define TEXT_TOP_ROWS		128		/* room for the header line */
#define TEXT_BOTTOM_ROWS	96
#define TEXT_LEFT		((FAX_PAGE_WIDTH - TEXT_COLS * TEXT_CELL_W) / 2)
#define TEXT_LINES_PER_PAGE \
	((TEXT_PAGE_ROWS - TEXT_TOP_ROWS - TEXT_BOTTOM_ROWS) / TEXT_LINE_ROWS)

/* Splits the text into printed lines. */
struct text_layout {
	const char *s;
	size_t len, pos;
	unsigned tab;
	uint32_t carry[TEXT_COLS];	/* word moved to the next line */
	size_t ncarry;
	int brk_after;			/* a form feed ended the last line */
	int eof;
};

static int	 glyph_cmp(const void *, const void *);
static int	 next_line(struct text_layout *, uint32_t *, size_t *, int *);
static int	 layout(const char *, size_t, unsigned, unsigned,
		    struct fax_writer *, unsigned *, char *, size_t);

/* ------------------------------------------------------------- font */

static int
glyph_cmp(const void *k, const void *e)
{
	uint32_t a = *(const uint32_t *)k, b = ((const struct fax_glyph *)e)->cp;

	return a < b ? -1 : a > b;
}

const struct fax_glyph *
fax_font_glyph(uint32_t cp)
{
	const struct fax_glyph *g;
	uint32_t q = '?';

	if (cp == 0xa0)
		cp = ' ';
	g = bsearch(&cp, fax_font_glyphs, fax_font_nglyphs,
	    sizeof(fax_font_glyphs[0]), glyph_cmp);
	if (g == NULL)
		g = bsearch(&q, fax_font_glyphs, fax_font_nglyphs,
		    sizeof(fax_font_glyphs[0]), glyph_cmp);
	return g;
}

void
fax_font_draw(struct fax_bitmap *b, unsigned x, unsigned y,
    const uint32_t *cps, size_t n, unsigned sx, unsigned sy)
{
	const struct fax_glyph *g;
	unsigned r, c, i, j;
	size_t k;

	for (k = 0; k < n; k++, x += 8 * sx) {
		if (x + 8 * sx > b->width)
			break;
		if (cps[k] == ' ' || (g = fax_font_glyph(cps[k])) == NULL)
			continue;
		for (r = 0; r < 16; r++)
			for (c = 0; c < 8; c++)
				if (g->rows[r] & (0x80 >> c))
					for (i = 0; i < sy; i++)
						for (j = 0; j < sx; j++)
							fax_bitmap_set(b,
							    x + c * sx + j,
							    y + r * sy + i);
	}
}

size_t
fax_utf8_next(const char *str, size_t len, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t c, min;
	size_t n, i;

	if (len == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0)
		n = 2, c &= 0x1f, min = 0x80;
	else if ((c & 0xf0) == 0xe0)
		n = 3, c &= 0x0f, min = 0x800;
	else if ((c & 0xf8) == 0xf0)
		n = 4, c &= 0x07, min = 0x10000;
	else
		goto bad;
	if (n > len)
		goto bad;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;		/* overlong, out of range, surrogate */
	*cp = c;
	return n;
bad:
	*cp = 0xfffd;
	return 1;
}

/* ----------------------------------------------------------- layout */

/*
 * The next printed line into out[TEXT_COLS] (*n code points). *ff is set
 * when a form feed on an empty line asked for a new page before this line;
 * L->brk_after when one ended the line. Returns 0 at the end of the text.
 */
static int
next_line(struct text_layout *L, uint32_t *out, size_t *n, int *ff)
{
	uint32_t cp;
	size_t k, used, last_space = 0, i;
	int have_space = 0;

	*ff = 0;
	*n = 0;
	if (L->eof && L->ncarry == 0)
		return 0;
	memcpy(out, L->carry, L->ncarry * sizeof(*out));
	*n = L->ncarry;
	L->ncarry = 0;
	for (;;) {
		if ((used = fax_utf8_next(L->s + L->pos, L->len - L->pos,
		    &cp)) == 0) {
			L->eof = 1;
			return *n > 0 || *ff;
		}
		L->pos += used;
		if (cp == '\r') {
			if (L->pos < L->len && L->s[L->pos] == '\n')
				L->pos++;
			return 1;
		}
		if (cp == '\n')
			return 1;
		if (cp == '\f') {
			if (*n > 0) {		/* break after this line */
				L->brk_after = 1;
				return 1;
			}
			*ff = 1;		/* break before this line */
			continue;
		}
		if (cp == '\t') {
			k = L->tab - (*n % L->tab);
			while (k-- > 0 && *n < TEXT_COLS)
				out[(*n)++] = ' ';
			if (*n >= TEXT_COLS)
				return 1;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			continue;		/* other controls */
		if (*n == TEXT_COLS) {
			/* Wrap: move the last word to the next line. */
			have_space = 0;
			for (i = *n; i > 0; i--)
				if (out[i - 1] == ' ') {
					have_space = 1;
					last_space = i - 1;
					break;
				}
			if (cp == ' ') {
				/* The space itself is the break. */
				return 1;
			}
			if (have_space && last_space > 0) {
				L->ncarry = *n - last_space - 1;
				memcpy(L->carry, out + last_space + 1,
				    L->ncarry * sizeof(*out));
				*n = last_space;
			}
			L->carry[L->ncarry++] = cp;
			return 1;
		}
		out[(*n)++] = cp;
	}
}

/*
 * Lays the text out; with w == NULL it only counts pages (and refuses more
 * than max_pages), with a writer it draws and writes them.
 */
static int
layout(const char *utf8, size_t len, unsigned tab, unsigned max_pages,
    struct fax_writer *w, unsigned *pages, char *err, size_t errlen)
{
	struct text_layout L;
	struct fax_bitmap *page = NULL;
	uint32_t line[TEXT_COLS];
	size_t n;
	unsigned lineno = 0, npages = 1;
	int ff, pending_ff = 0, rc = -1;

	memset(&L, 0, sizeof(L));
	L.s = utf8;
	L.len = len;
	L.tab = tab;
	if (w != NULL && (page = fax_bitmap_new(FAX_PAGE_WIDTH,
	    TEXT_PAGE_ROWS)) == NULL)
		goto nomem;
	while (next_line(&L, line, &n, &ff)) {
		if (((ff || pending_ff) && lineno > 0) ||
		    lineno == TEXT_LINES_PER_PAGE) {
			if (w != NULL) {
				if (fax_writer_page(w, page, FAX_YRES_FINE, err,
				    errlen) < 0)
					goto out;
				memset(page->bits, 0, page->stride * page->height);
			}
			if (++npages > max_pages) {
				snprintf(err, errlen, "text longer than %u pages",
				    max_pages);
				goto out;
			}
			lineno = 0;
		}
		pending_ff = L.brk_after;
		L.brk_after = 0;
		if (page != NULL)
			fax_font_draw(page, TEXT_LEFT, TEXT_TOP_ROWS +
			    lineno * TEXT_LINE_ROWS, line, n, TEXT_SCALE_X,
			    TEXT_SCALE_Y);
		lineno++;
	}
	if (w != NULL && fax_writer_page(w, page, FAX_YRES_FINE, err,
	    errlen) < 0)
		goto out;
	*pages = npages;
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	fax_bitmap_free(page);
	return rc;
}

int
fax_text_render(const char *utf8, size_t len,
    const struct fax_text_options *o, const char *out_path,
    struct fax_tiff_info *info, char *err, size_t errlen)
{
	struct fax_writer *w;
	unsigned pages = 0, again = 0, max_pages = FAX_TEXT_MAX_PAGES_DEFAULT;
	unsigned tab = FAX_TEXT_TAB_DEFAULT;

	if (o != NULL && o->max_pages != 0)
		max_pages = o->max_pages;
	if (o != NULL && o->tab_width != 0 && o->tab_width <= TEXT_COLS)
		tab = o->tab_width;
	/* Count first: PageNumber needs the total, and a huge text is
	 * refused before anything is drawn. */
	if (layout(utf8, len, tab, max_pages, NULL, &pages, err, errlen) < 0)
		return -1;
	if ((w = fax_writer_open(out_path, FAX_OUT_SEND, pages, err,
	    errlen)) == NULL)
		return -1;
	if (layout(utf8, len, tab, max_pages, w, &again, err, errlen) < 0) {
		fax_writer_abort(w);
		return -1;
	}
	if (fax_writer_commit(w, err, errlen) < 0)
		return -1;
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->pages = pages;
		info->fine_pages = pages;
		info->width = FAX_PAGE_WIDTH;
	}
	return 0;
}
