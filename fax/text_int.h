/*
 * fax/text_int.h: private to fax/. The text stack that text.c (message
 * text) and header.c (the page header line) share: the gateway's own font
 * configuration, Pango contexts on it, a drawing canvas at fax resolution
 * and its conversion to bilevel page rows.
 *
 * Layout happens in a square space of FAX_XRES (204) units per inch; the
 * canvas maps it onto the page's 204 x 98 or 204 x 196 dpi pixels, so text
 * keeps its true proportions at either resolution and lays out the same
 * (same line breaks, same pages) at both.
 */
#ifndef FAX_TEXT_INT_H
#define FAX_TEXT_INT_H

#include <pango/pangocairo.h>

#include "fax/fax_int.h"

/* Units of the layout space per inch (square). */
#define FAX_TEXT_UNITS_PER_INCH	FAX_XRES
/* Coverage (0..255) from which a canvas pixel is black. Below one half so
 * that horizontal strokes thinner than a standard-resolution row keep ink. */
#define FAX_TEXT_INK_THRESHOLD	100

/*
 * Loads the private font configuration once per process (thread-safe):
 * the system font directories only (no per-user fonts, no environment),
 * the system font cache. Returns the number of fonts found, or -1 with err.
 */
int fax_fonts_load(char *err, size_t errlen);

/*
 * A new Pango context for layout on a font map of its own over the private
 * configuration: 204 units per inch, greyscale antialiasing, no hinting
 * (outlines and advances independent of the resolution). Contexts are not
 * shared between threads. NULL with err. Caller unrefs (g_object_unref).
 */
PangoContext *fax_text_context(char *err, size_t errlen);

/* Glyphs of the line no font could draw (Pango's unknown-glyph boxes). */
unsigned fax_text_line_missing(PangoLayoutLine *line);

/* A page-wide drawing area: an 8-bit coverage image of width x rows page
 * pixels, drawn in layout units; blank when made. */
struct fax_canvas {
	cairo_surface_t *surface;	/* owned */
	cairo_t *cr;			/* owned */
	unsigned width, rows;
	int yres;
};

int fax_canvas_init(struct fax_canvas *c, unsigned width, unsigned rows,
    int yres, char *err, size_t errlen);
/* Draws one laid-out line with its logical left edge at x and its baseline
 * at y (layout units from the canvas's top left). */
void fax_canvas_line(struct fax_canvas *c, PangoLayoutLine *line, double x,
    double y);
/* ORs the inked pixels into b, canvas row 0 on bitmap row y0, and clears
 * the canvas (it is ready for the next page). */
void fax_canvas_to_bitmap(struct fax_canvas *c, struct fax_bitmap *b,
    unsigned y0);
void fax_canvas_free(struct fax_canvas *c);	/* accepts a zeroed canvas */

#endif
