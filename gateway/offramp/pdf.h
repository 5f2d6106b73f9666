/*
 * gateway/offramp/pdf.h: PDF to fax pages with Ghostscript (pdf.c),
 * private to the offramp (the document worker runs it).
 */
#ifndef T37_OFFRAMP_PDF_H
#define T37_OFFRAMP_PDF_H

#include "mime/mime.h"

struct mime_error;

#define OFFRAMP_PDF_GS_PATH "/usr/bin/gs"
#define OFFRAMP_PDF_TIMEOUT_DEFAULT 60      /* seconds for one document */
#define OFFRAMP_PDF_MAX_PAGES_DEFAULT 100

struct offramp_pdf_opts {
	const char *gs_path;     /* NULL: OFFRAMP_PDF_GS_PATH */
	unsigned max_pages;      /* 0: OFFRAMP_PDF_MAX_PAGES_DEFAULT */
	unsigned timeout;        /* seconds; 0: OFFRAMP_PDF_TIMEOUT_DEFAULT */
	int keep_group;          /* Ghostscript stays in the caller's process
	                          * group (a worker that is killed as a group) */
};

/*
 * Renders the PDF at pdf into a multi-page TIFF at tiff_out (G4, 204x196
 * dpi, 1728 pixels wide, every page scaled to fit) by running Ghostscript
 * with -dSAFER, without a shell (posix_spawn, own process group unless
 * keep_group, empty environment but PATH and LC_ALL), stopped and killed
 * after the time limit. The file must start with "%PDF-" (the parser cuts
 * what comes before): Ghostscript then reads it as PDF, never as
 * PostScript. The result still goes through fax_tiff_normalize() before it is
 * sent. Blocks: run it off the event loop. Returns 0 and the page count,
 * or -1 with err: 5.3.4 (more than max_pages, or over the time limit),
 * 5.6.5 (Ghostscript could not convert it; its last message is quoted),
 * 4.3.0 (could not run Ghostscript at all).
 */
int offramp_pdf_render(const char *pdf, const char *tiff_out,
    const struct offramp_pdf_opts *opts, unsigned *pages, struct mime_error *err);

#endif
