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
static void	 words_add(GString *, unsigned, const char *, const char *);
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
	if (rep == NULL) {
		memset(&scratch, 0, sizeof(scratch));   /* no caller's flags */
		rep = &scratch;
	}
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

/* "; N thing(s) what" when n > 0. */
static void
words_add(GString *s, unsigned n, const char *thing, const char *what)
{
	if (n == 0)
		return;
	g_string_append_printf(s, "%s%u %s%s %s", s->len ? "; " : "", n, thing,
	    n == 1 ? "" : "s", what);
}

int
fax_html_report_words(const struct fax_html_report *rep, char *buf, size_t size)
{
	GString *s = g_string_new(NULL);
	int kinds = (rep->images_remote > 0) + (rep->images_data_big > 0) +
	    (rep->images_missing > 0) + (rep->images_bad > 0) +
	    (rep->images_over > 0);

	words_add(s, rep->images_remote, "image", "on the Internet (the gateway "
	    "never fetches remote content)");
	words_add(s, rep->images_data_big, "embedded image", "larger than the "
	    "gateway takes");
	words_add(s, rep->images_missing, "image", "the message does not contain");
	words_add(s, rep->images_bad, "image", "that could not be read or was too "
	    "large");
	if (rep->images_over > 0)
		g_string_append_printf(s, "%s%u image%s beyond the first %u",
		    s->len ? "; " : "", rep->images_over,
		    rep->images_over == 1 ? "" : "s", FAX_HTML_MAX_IMAGES);
	if (size > 0)
		g_strlcpy(buf, s->str, size);
	g_string_free(s, TRUE);
	return kinds;
}
