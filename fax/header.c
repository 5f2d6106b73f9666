/*
 * fax/header.c: the page header line of outgoing faxes (Cisco `fax send
 * {left|center|right}-header`), drawn over a white band at the top of each
 * page of a normalized file. Templates use $a$ (date), $d$ (destination),
 * $p$ (page x/y), $s$ (sender), $t$ (time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/fax.h"
#include "fax/fax_int.h"

#define HEADER_MAX_CHARS	256	/* per part, after expansion */
#define HEADER_SIDE_MARGIN	32	/* pixels */
#define HEADER_TOP_MARGIN	8	/* rows at 98 dpi; doubled when fine */
#define HEADER_MAX_PAGES	1000
#define HEADER_MAX_HEIGHT	40000

static size_t	 decode(const char *, uint32_t *, size_t);
static void	 draw_header(struct fax_bitmap *, int, const struct fax_header *,
		    unsigned, unsigned);

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

static size_t
decode(const char *s, uint32_t *cps, size_t max)
{
	size_t n = 0, len = strlen(s), used;

	while (n < max && (used = fax_utf8_next(s, len, &cps[n])) > 0) {
		s += used;
		len -= used;
		n++;
	}
	return n;
}

/* Draws the three parts at the top of the page; each part gets a third
 * of the line when they would not fit side by side. */
static void
draw_header(struct fax_bitmap *b, int yres, const struct fax_header *h,
    unsigned page, unsigned pages)
{
	const char *tmpl[3] = { h->left, h->center, h->right };
	uint32_t cps[3][HEADER_MAX_CHARS];
	size_t n[3], cap;
	char text[HEADER_MAX_CHARS * 4];
	unsigned sy = yres > 150 ? 2 : 1, sx = 2, cell = 8 * sx, top, band, x;
	unsigned usable = FAX_PAGE_WIDTH - 2 * HEADER_SIDE_MARGIN;
	int i;

	for (i = 0; i < 3; i++) {
		n[i] = 0;
		if (tmpl[i] == NULL || *tmpl[i] == '\0')
			continue;
		fax_header_expand(tmpl[i], &h->vars, page, pages, text,
		    sizeof(text));
		n[i] = decode(text, cps[i], HEADER_MAX_CHARS);
	}
	if ((n[0] + n[1] + n[2] + 2) * cell > usable) {
		cap = usable / cell / 3 - 1;
		for (i = 0; i < 3; i++)
			if (n[i] > cap)
				n[i] = cap;
	}
	top = HEADER_TOP_MARGIN * sy;
	band = top + 16 * sy + top;
	if (band > b->height)
		band = b->height;
	memset(b->bits, 0, b->stride * band);	/* white band under the text */
	fax_font_draw(b, HEADER_SIDE_MARGIN, top, cps[0], n[0], sx, sy);
	x = (FAX_PAGE_WIDTH - (unsigned)n[1] * cell) / 2;
	fax_font_draw(b, x, top, cps[1], n[1], sx, sy);
	x = FAX_PAGE_WIDTH - HEADER_SIDE_MARGIN - (unsigned)n[2] * cell;
	fax_font_draw(b, x, top, cps[2], n[2], sx, sy);
}

int
fax_header_stamp(const char *in_path, const char *out_path,
    const struct fax_header *h, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	struct fax_writer *w = NULL;
	struct fax_bitmap *b = NULL;
	int nd, d, xres, yres, rc = -1;
	char perr[200];

	if (fax_tiff_in_open(&in, in_path, err, errlen) < 0)
		return -1;
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
		draw_header(b, yres, h, (unsigned)d + 1, (unsigned)nd);
		if (fax_writer_page(w, b, yres > 150 ? FAX_YRES_FINE :
		    FAX_YRES_STANDARD, err, errlen) < 0)
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
	return rc;
}
