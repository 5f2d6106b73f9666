/*
 * fax/header.c: the page header line of outgoing faxes (Cisco `fax send
 * {left|center|right}-header`), drawn over a white band at the top of each
 * page of a normalized file. Templates use $a$ (date), $d$ (destination),
 * $p$ (page x/y), $s$ (sender), $t$ (time). The line is set in DejaVu Sans
 * through the same text stack as message text (any script, fallback fonts,
 * true proportions at standard and fine resolution).
 *
 * Not here: fonts and the canvas (textstack.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/text_int.h"

#define HEADER_FONT		"DejaVu Sans,Noto Sans CJK SC,sans-serif 9"
#define HEADER_MAX_CHARS	256	/* per part, after expansion */
#define HEADER_SIDE_MARGIN	32	/* pixels */
#define HEADER_GAP		16	/* pixels between parts at least */
/* The band: 8 rows of margin, 16 of text, 8 of margin at 98 dpi (8.3 mm),
 * in layout units. */
#define HEADER_TOP_UNITS	(8.0 * FAX_TEXT_UNITS_PER_INCH / FAX_YRES_STANDARD)
#define HEADER_TEXT_UNITS	(16.0 * FAX_TEXT_UNITS_PER_INCH / FAX_YRES_STANDARD)
#define HEADER_MAX_PAGES	1000
#define HEADER_MAX_HEIGHT	40000

static void	 header_clean(char *);
static PangoLayout *header_part(PangoContext *, const PangoFontDescription *,
		    const char *, double *);
static int	 draw_header(struct fax_bitmap *, int, const struct fax_header *,
		    unsigned, unsigned, PangoContext *,
		    const PangoFontDescription *, char *, size_t);

size_t
fax_header_expand(const char *tmpl, const struct fax_header_vars *v,
    unsigned page, unsigned pages, char *out, size_t outlen)
{
	size_t o = 0, k;
	const char *val;
	char num[32];

	if (outlen == 0)
		return 0;
	for (; tmpl != NULL && *tmpl != '\0'; ) {
		val = NULL;
		if (tmpl[0] == '$' && tmpl[1] != '\0' && tmpl[2] == '$') {
			switch (tmpl[1]) {
			case 'a':
				val = v != NULL && v->date ? v->date : "";
				break;
			case 'd':
				val = v != NULL && v->destination ?
				    v->destination : "";
				break;
			case 's':
				val = v != NULL && v->sender ? v->sender : "";
				break;
			case 't':
				val = v != NULL && v->time ? v->time : "";
				break;
			case 'p':
				snprintf(num, sizeof(num), "%u/%u", page, pages);
				val = num;
				break;
			}
		}
		if (val != NULL) {
			for (k = 0; val[k] != '\0' && o + 1 < outlen; k++)
				out[o++] = val[k];
			tmpl += 3;
		} else {
			if (o + 1 < outlen)
				out[o++] = *tmpl;
			tmpl++;
		}
	}
	out[o] = '\0';
	return o;
}

/* Expanded templates hold peer data (the sender) and may be cut inside a
 * UTF-8 sequence: valid UTF-8 on one line, in place. */
static void
header_clean(char *text)
{
	char *valid = g_utf8_make_valid(text, -1);
	size_t n = strlen(valid), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)valid[i] < 0x20 || valid[i] == 0x7f)
			valid[i] = ' ';
	/* U+FFFD takes 3 bytes where a bad byte took 1: cut to fit. */
	if (n >= HEADER_MAX_CHARS * 4) {
		const char *end = g_utf8_find_prev_char(valid,
		    valid + HEADER_MAX_CHARS * 4 - 1);

		n = end != NULL ? (size_t)(end - valid) : 0;
	}
	memcpy(text, valid, n);
	text[n] = '\0';
	g_free(valid);
}

/* One part of the line laid out; its natural width in layout units. */
static PangoLayout *
header_part(PangoContext *ctx, const PangoFontDescription *font,
    const char *text, double *width)
{
	PangoLayout *L = pango_layout_new(ctx);
	PangoRectangle logical;

	pango_layout_set_font_description(L, font);
	pango_layout_set_single_paragraph_mode(L, TRUE);
	pango_layout_set_text(L, text, -1);
	pango_layout_get_extents(L, NULL, &logical);
	*width = (double)logical.width / PANGO_SCALE;
	return L;
}

/*
 * Draws the three parts into the band at the top of the page: left part
 * at the left margin, centre part centred, right part flush right. When
 * they do not fit side by side each gets a third of the line and is cut
 * with an ellipsis.
 */
static int
draw_header(struct fax_bitmap *b, int yres, const struct fax_header *h,
    unsigned page, unsigned pages, PangoContext *ctx,
    const PangoFontDescription *font, char *err, size_t errlen)
{
	const char *tmpl[3] = { h->left, h->center, h->right };
	PangoLayout *L[3] = { NULL, NULL, NULL };
	char text[HEADER_MAX_CHARS * 4];
	double w[3] = { 0, 0, 0 }, usable, third, x, top, band_units;
	unsigned band;
	struct fax_canvas cv;
	int i;

	usable = FAX_PAGE_WIDTH - 2 * HEADER_SIDE_MARGIN;
	third = usable / 3 - HEADER_GAP;
	for (i = 0; i < 3; i++) {
		if (tmpl[i] == NULL || *tmpl[i] == '\0')
			continue;
		fax_header_expand(tmpl[i], &h->vars, page, pages, text,
		    sizeof(text));
		header_clean(text);
		L[i] = header_part(ctx, font, text, &w[i]);
	}
	if (w[0] + w[1] + w[2] + 2 * HEADER_GAP > usable)
		for (i = 0; i < 3; i++)
			if (L[i] != NULL && w[i] > third) {
				pango_layout_set_width(L[i],
				    (int)(third * PANGO_SCALE));
				pango_layout_set_ellipsize(L[i],
				    PANGO_ELLIPSIZE_END);
				w[i] = third;
			}
	top = HEADER_TOP_UNITS;
	band_units = top + HEADER_TEXT_UNITS + top;
	band = (unsigned)(band_units * yres / FAX_TEXT_UNITS_PER_INCH + 0.5);
	if (band > b->height)
		band = b->height;
	if (fax_canvas_init(&cv, FAX_PAGE_WIDTH, band, yres, err, errlen) < 0) {
		for (i = 0; i < 3; i++)
			if (L[i] != NULL)
				g_object_unref(L[i]);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		PangoLayoutIter *it;

		if (L[i] == NULL)
			continue;
		x = i == 0 ? HEADER_SIDE_MARGIN : i == 1 ?
		    (FAX_PAGE_WIDTH - w[1]) / 2 :
		    FAX_PAGE_WIDTH - HEADER_SIDE_MARGIN - w[2];
		it = pango_layout_get_iter(L[i]);
		fax_canvas_line(&cv, pango_layout_iter_get_line_readonly(it), x,
		    top + (double)pango_layout_iter_get_baseline(it) /
		    PANGO_SCALE);
		pango_layout_iter_free(it);
		g_object_unref(L[i]);
	}
	memset(b->bits, 0, b->stride * band);	/* white band under the text */
	fax_canvas_to_bitmap(&cv, b, 0);
	fax_canvas_free(&cv);
	return 0;
}

int
fax_header_stamp(const char *in_path, const char *out_path,
    const struct fax_header *h, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	struct fax_writer *w = NULL;
	struct fax_bitmap *b = NULL;
	PangoContext *ctx;
	PangoFontDescription *font;
	int nd, d, xres, yres, rc = -1;
	char perr[200];

	if ((ctx = fax_text_context(err, errlen)) == NULL)
		return -1;
	font = pango_font_description_from_string(HEADER_FONT);
	if (fax_tiff_in_open(&in, in_path, err, errlen) < 0)
		goto out;
	nd = TIFFNumberOfDirectories(in.tif);
	if (nd <= 0 || nd > HEADER_MAX_PAGES) {
		snprintf(err, errlen, nd <= 0 ? "corrupt TIFF: no pages" :
		    "too many pages (limit %d)", HEADER_MAX_PAGES);
		goto out;
	}
	if ((w = fax_writer_open(out_path, FAX_OUT_SEND, (unsigned)nd, err,
	    errlen)) == NULL)
		goto out;
	for (d = 0; d < nd; d++) {
		if (!TIFFSetDirectory(in.tif, (tdir_t)d) ||
		    (b = fax_tiff_read_bilevel(&in, FAX_PAGE_WIDTH,
		    HEADER_MAX_HEIGHT, &xres, &yres, perr,
		    sizeof(perr))) == NULL) {
			snprintf(err, errlen, "page %d: %s", d + 1,
			    in.msg[0] ? in.msg : perr);
			goto out;
		}
		if (b->width != FAX_PAGE_WIDTH) {
			snprintf(err, errlen, "page %d: not a normalized page "
			    "(%u wide)", d + 1, b->width);
			goto out;
		}
		yres = yres > 150 ? FAX_YRES_FINE : FAX_YRES_STANDARD;
		if (draw_header(b, yres, h, (unsigned)d + 1, (unsigned)nd, ctx,
		    font, err, errlen) < 0 ||
		    fax_writer_page(w, b, yres, err, errlen) < 0)
			goto out;
		fax_bitmap_free(b);
		b = NULL;
	}
	fax_tiff_in_close(&in);
	rc = fax_writer_commit(w, err, errlen);
	w = NULL;
out:
	fax_bitmap_free(b);
	fax_writer_abort(w);
	fax_tiff_in_close(&in);
	pango_font_description_free(font);
	g_object_unref(ctx);
	return rc;
}
