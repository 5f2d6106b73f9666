/*
 * fax/html.c: HTML mail to fax pages (fax_html_render): libxml2 set up
 * once per process and kept quiet, then parse (html_parse.c), images
 * (html_image.c), layout and drawing (html_layout.c).
 *
 * Not here: choosing which part of a mail is HTML, or which images it
 * may show (mime/).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "fax/html_int.h"

static pthread_once_t html_once = PTHREAD_ONCE_INIT;

static void	 html_init(void);
static void	 html_quiet(void *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
html_init(void)
{
	xmlInitParser();
}

/* libxml2 reports through these even with NOERROR in a few places;
 * nothing of a hostile document reaches a log. */
static void
html_quiet(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

int
fax_html_render(const char *html, size_t len, const struct fax_html_options *o,
    const char *out_path, struct fax_tiff_info *info,
    struct fax_html_report *rep, char *err, size_t errlen)
{
	struct fax_html_options def;
	struct fax_html_report scratch;
	struct html_doc d;
	unsigned char *used;
	unsigned max_pages;
	int yres, rc;

	if (o == NULL) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	if (rep == NULL)
		rep = &scratch;
	used = rep->image_used;
	memset(rep, 0, sizeof(*rep));
	rep->image_used = used;
	if (used != NULL && o->nimages > 0)
		memset(used, 0, o->nimages);
	max_pages = o->max_pages ? o->max_pages : FAX_TEXT_MAX_PAGES_DEFAULT;
	yres = o->resolution == FAX_TIFF_RES_STANDARD ? FAX_YRES_STANDARD :
	    FAX_YRES_FINE;
	pthread_once(&html_once, html_init);
	xmlSetGenericErrorFunc(NULL, html_quiet);
	xmlSetStructuredErrorFunc(NULL, NULL);

	memset(&d, 0, sizeof(d));
	d.rep = rep;
	d.images = html_images_new(o, rep);
	rc = html_doc_parse(&d, html != NULL ? html : "", html != NULL ? len : 0,
	    o->preface, err, errlen);
	if (rc == 0)
		rc = html_doc_render(&d, max_pages, yres, out_path, info, err, errlen);
	html_doc_clear(&d);
	html_images_free(d.images);
	return rc;
}
