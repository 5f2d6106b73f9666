/*
 * gateway/offramp/render.h: mail to fax pages (render.c), private to the
 * offramp (the document worker runs it).
 */
#ifndef T37_OFFRAMP_RENDER_H
#define T37_OFFRAMP_RENDER_H

#include "gateway/offramp/pdf.h"
#include "mime/mime.h"

struct fax_header;

#define OFFRAMP_RENDER_SECONDS_DEFAULT 60    /* preparing one document */

/* What the sender should hear about a document that was rendered. */
struct offramp_render_notes {
	unsigned missing_glyphs;          /* characters of the text no installed
	                                   * font has: printed as boxes */
	struct mime_part_outcome *outcomes;   /* each part of the message and
	                                   * the pages it became, or why it was
	                                   * not faxed (owned; g_free), or NULL */
	size_t noutcomes;                 /* at most MIME_OUTCOMES_MAX */
};
/* Frees what notes own; accepts NULL. */
void offramp_render_notes_clear(struct offramp_render_notes *n);

struct offramp_render_opts {
	unsigned max_pages;               /* whole fax, cover included; 0: 100 */
	unsigned max_seconds;             /* 0: OFFRAMP_RENDER_SECONDS_DEFAULT */
	int coverpage;                    /* `fax send coverpage enable` */
	const char *cover_comment;        /* `fax send coverpage comment`, or NULL */
	int cover_detail;                 /* `fax send coverpage show-detail`: the
	                                     mail's header block on the cover */
	const char *to_number;            /* the number, for the cover page */
	const struct fax_header *header;  /* page header line, or NULL */
	struct offramp_pdf_opts pdf;           /* gs path; its limits are set here */
	unsigned long long max_image_pixels;  /* one image page, as declared;
	                                   * 0: FAX_IMAGE_MAX_PIXELS_DEFAULT */
	const char *office;               /* LibreOffice's soffice; NULL: the
	                                   * default; "" none installed */
	unsigned office_timeout;          /* s, within max_seconds; 0: default */
	unsigned office_memory;           /* MiB; 0: default */
	struct offramp_render_notes *notes;    /* out: filled on success, or NULL;
	                                   * it owns the outcomes then: the caller
	                                   * clears it before it goes or is reused */
};

/*
 * Turns the parsed message into one normalized multi-page TIFF at out,
 * ready for T.30: text parts rendered (fax_text_render), HTML laid out
 * with the images of the message it shows (fax_html_render; images it
 * did not show follow as pages of their own), TIFF and image parts (PNG,
 * JPEG, GIF, BMP) through fax_image_to_pages, PDF parts through
 * Ghostscript, office documents through LibreOffice and then Ghostscript,
 * all in message order; an optional cover page first (from, to, subject,
 * date, page count, the comment, and the first text part, which then is
 * not repeated); the header line stamped on every page. Scratch files go
 * to workdir and are removed. Returns 0 with the page count (and
 * o->notes filled: glyphs, and the outcome of every part), or -1 with
 * err: 5.3.4 too many pages, an image over the pixel limit or over the
 * time limit, 5.6.1 an office document without LibreOffice, 5.6.5 a part
 * that could not be converted (named), 4.3.0 local trouble.
 */
int offramp_render(const struct mime_offramp *m, const struct offramp_render_opts *o,
    const char *workdir, const char *out, unsigned *pages, struct mime_error *err);

#endif
