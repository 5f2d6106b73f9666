/*
 * fax/html_int.h: private to fax/. The document model of the HTML engine:
 * html_parse.c (with html_attr.c and html_table.c, which share
 * html_walk.h) builds it from libxml2's tree, html_layout.c lays it out
 * with Pango and draws it onto fax pages, html_image.c finds, decodes and
 * scales the images it shows, html.c ties them together.
 *
 * Sizes are in layout units: FAX_TEXT_UNITS_PER_INCH (204) per inch in
 * both directions, as for text pages (text_int.h).
 */
#ifndef FAX_HTML_INT_H
#define FAX_HTML_INT_H

#include <glib.h>
#include <leptonica/allheaders.h>

#include "fax/fax.h"

/* Layout units per CSS pixel (96 per inch). */
#define HTML_CSS_PX		(204.0 / 96.0)
/* Block quotes nested deeper than this draw no more bars. */
#define HTML_QUOTE_BARS_MAX	8

enum html_block_kind {
	HTML_BLOCK_TEXT = 0,	/* paragraph, heading, list item, pre */
	HTML_BLOCK_RULE,	/* <hr> */
	HTML_BLOCK_TABLE,
};

/* How a run of text looks. */
struct html_style {
	unsigned bold:1, italic:1, underline:1, strike:1, mono:1;
	int scale;		/* percent of the body size; 0 = 100 */
	int rise;		/* +1 superscript, -1 subscript */
};

/* A run of a paragraph's text in one style, or one image (U+FFFC). */
struct html_run {
	unsigned start, end;	/* byte offsets into the text */
	struct html_style st;
	int img;		/* index into html_doc.imgs, or -1 */
};

/* One image placed in a paragraph: what the document asks for. */
struct html_img {
	int entry;		/* html_images entry */
	double w, h;		/* layout units; w < 0: -percent of the column */
};

struct html_table;

struct html_block {
	enum html_block_kind kind;
	GString *text;		/* TEXT: UTF-8 (owned) */
	GArray *runs;		/* TEXT: struct html_run (owned) */
	int pre;		/* white space as written, no word wrap */
	int heading;		/* 1..6; 0 for others */
	int align;		/* PangoAlignment */
	double indent;		/* left, from the container's edge */
	double before;		/* space above (collapsed margins) */
	char *marker;		/* list bullet or number (owned), or NULL */
	unsigned nbars;		/* block quote bars on the left */
	double bars[HTML_QUOTE_BARS_MAX];	/* their x, from the edge */
	struct html_table *table;	/* TABLE (owned) */
	double minw, maxw;	/* measured; minw < 0 until then */
};

struct html_cell {
	GPtrArray *blocks;	/* struct html_block * (owned) */
	unsigned row, col, colspan, rowspan;
	int valign;		/* 0 top, 1 middle, 2 bottom */
	double width;		/* asked for (width="N"), layout units, or 0 */
	double minw, maxw;	/* measured; minw < 0 until then */
};

struct html_table {
	GPtrArray *cells;	/* struct html_cell * (owned), row by row */
	unsigned nrows, ncols;
	int border;		/* draw the grid */
	int center;		/* centred in its column */
	double width;		/* asked for: > 0 layout units, < 0 -percent,
				 * 0 auto */
	double minw, maxw;	/* measured; minw < 0 until then */
};

struct html_images;

/* A parsed document. */
struct html_doc {
	GPtrArray *blocks;	/* struct html_block * (owned), top level */
	GArray *imgs;		/* struct html_img, every placement */
	struct html_images *images;	/* borrowed */
	struct fax_html_report *rep;	/* borrowed, never NULL */
	unsigned nblocks, ncells;
	int failed;		/* a limit was hit: err says which */
	char err[160];
};

/* html_parse.c */
/* Parses html (UTF-8) into d (zeroed, images and rep set): blocks, their
 * text and runs, tables and image placements, within the FAX_HTML_MAX_*
 * limits. The preface comes first as preformatted text and a rule.
 * 0, or -1 with err. */
int html_doc_parse(struct html_doc *d, const char *html, size_t len,
    const char *preface, char *err, size_t errlen);
void html_doc_clear(struct html_doc *d);	/* frees what d owns */
void html_block_free(struct html_block *b);

/* html_image.c */
/* The images of one rendering; borrowed options and report. */
struct html_images *html_images_new(const struct fax_html_options *o,
    struct fax_html_report *rep);
void html_images_free(struct html_images *s);	/* accepts NULL */
/* The entry an <img src> names, or -1 when it cannot be shown (counted
 * in the report as remote, missing or an over-large data: URI). */
int html_images_find(struct html_images *s, const char *src);
/* Its size in CSS pixels, decoding it once: 0, or -1 when it cannot be
 * read or is over the pixel caps (not counted: the caller does). */
int html_images_size(struct html_images *s, int entry, double *w, double *h);
/* Marks the part behind an entry as shown (report->image_used). */
void html_images_used(struct html_images *s, int entry);
/* The image scaled to w x h page pixels and binarized like image
 * attachments (1 = black); NULL when out of memory. Caller destroys. */
PIX *html_images_bitmap(struct html_images *s, int entry, unsigned w,
    unsigned h, int yres);

/* html_layout.c */
/* Lays d out and writes its pages to out_path (normalized, like
 * fax_text_render). 0, or -1 with err. */
int html_doc_render(struct html_doc *d, unsigned max_pages, int yres,
    const char *out_path, struct fax_tiff_info *info, char *err,
    size_t errlen);

#endif
