/*
 * Benchmark: offramp rendering, content to fax pages, in pages per second,
 * each kind of content against Ghostscript turning the same content into
 * tiffg3 fax pages (204 x 196 dpi, letter) in the same run.
 *
 *   text    a 10-page ASCII letter: fax_text_render() (Pango, DejaVu Sans
 *           Mono 10 pt, 80 columns) against the same lines shown in
 *           Courier 10 pt by a PostScript program;
 *   image   a 1600 x 1200 JPEG photo: fax_image_to_pages() (decode, fit,
 *           classify, dither) against Ghostscript drawing the same JPEG
 *           (DCTDecode) fitted to the page and halftoned;
 *   html    an HTML mail of 12 sections (an h2 heading, three 60-word
 *           paragraphs, a bordered table of 9 rows): fax_html_render()
 *           (libxml2, Pango) against the same words as PostScript
 *           (Helvetica-Bold headings, Times-Roman 10 pt lines, table
 *           columns at fixed places): 7 pages each;
 *   pdf     the text kind's letter made into a 10-page PDF by pdfwrite:
 *           the document worker's path (offramp_pdf_render(), Ghostscript
 *           in its sandbox to G4 pages, then fax_tiff_normalize()) against
 *           Ghostscript rendering the same PDF to tiffg3.
 *
 * Each document is one call on our side and one Ghostscript process on the
 * reference side, as the gateway runs them. More kinds go into kinds[]:
 * a function that writes the input and the reference's PostScript, and
 * one that renders the input with t37gw.
 *
 * Measured on the 2-core build machine (shared with other builds, so
 * compare the ratios of one run): text 0.47-0.64 (Pango shaping,
 * anti-aliased coverage and G4 coding against Ghostscript's 1-bit Courier
 * and MH), image 1.9-2.4, html 0.76-0.96 (the same Pango work plus
 * parsing and table layout, against Ghostscript's 1-bit fonts), pdf
 * 0.39-0.52 (the same Ghostscript rendering plus a process spawned with
 * its limits, then every page decoded, checked and coded again by the
 * normalizer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <leptonica/allheaders.h>

#include "fax/fax.h"
#include "gateway/offramp/pdf.h"

#define BENCH_TEXT_PAGES	10
#define BENCH_TEXT_LINES	59	/* a page of fax_text_render */
#define BENCH_TEXT_DOCS		6
#define BENCH_IMAGE_W		1600
#define BENCH_IMAGE_H		1200
#define BENCH_IMAGE_DOCS	10
#define BENCH_HTML_SECTIONS	12	/* a heading, paragraphs, a table */
#define BENCH_HTML_PARAS	3
#define BENCH_HTML_ROWS		8
#define BENCH_HTML_DOCS		6
#define BENCH_PDF_DOCS		6

struct kind {
	const char *name;
	const char *what;
	unsigned docs;
	/* writes dir/input.* and dir/ref.ps; 0 or -1 */
	int (*prepare)(const char *dir);
	/* what Ghostscript renders: dir/ref.ps, or the input itself */
	const char *ref;
	/* renders the input once into out; the page count, or -1 */
	int (*render)(const char *dir, const char *out);
};

static double	 now_s(void);
static int	 text_prepare(const char *);
static int	 text_render(const char *, const char *);
static int	 image_prepare(const char *);
static int	 image_render(const char *, const char *);
static int	 html_prepare(const char *);
static int	 html_render(const char *, const char *);
static int	 pdf_prepare(const char *);
static int	 pdf_render(const char *, const char *);
static int	 gs_pages(const char *, const char *, const char *);

static const struct kind kinds[] = {
	{ "text", "10-page letter", BENCH_TEXT_DOCS, text_prepare, "ref.ps",
	    text_render },
	{ "image", "1600x1200 JPEG photo", BENCH_IMAGE_DOCS, image_prepare,
	    "ref.ps", image_render },
	{ "html", "HTML mail: 12 headings, 36 paragraphs, 12 tables",
	    BENCH_HTML_DOCS, html_prepare, "ref.ps", html_render },
	{ "pdf", "10-page PDF letter", BENCH_PDF_DOCS, pdf_prepare, "input.pdf",
	    pdf_render },
};

static const char *const words[] = {
	"fax", "gateway", "invoice", "delivery", "the", "of", "and", "to",
	"quarterly", "figures", "shipment", "order", "number", "please",
	"find", "attached", "regards", "account", "balance", "statement",
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The same lines for both: fixed words, 70-79 columns, 59 a page. */
static int
text_prepare(const char *dir)
{
	GString *txt = g_string_new(NULL), *ps = g_string_new(NULL);
	unsigned seed = 1, p, l;
	char *path;
	int ok;

	g_string_append(ps, "%!PS\n/Courier findfont 10 scalefont setfont\n");
	for (p = 0; p < BENCH_TEXT_PAGES; p++) {
		for (l = 0; l < BENCH_TEXT_LINES; l++) {
			GString *line = g_string_new(NULL);

			while (line->len < 70) {
				seed = seed * 1103515245u + 12345u;
				g_string_append_printf(line, "%s%s", line->len ? " " : "",
				    words[(seed >> 16) % G_N_ELEMENTS(words)]);
			}
			g_string_append_printf(txt, "%s\n", line->str);
			/* letter: 0.65 in top margin, 12 pt pitch, 0.88 in left */
			g_string_append_printf(ps, "64 %u moveto (%s) show\n",
			    792 - 47 - 12 * l - 10, line->str);
			g_string_free(line, TRUE);
		}
		if (p + 1 < BENCH_TEXT_PAGES)
			g_string_append_c(txt, '\f');
		g_string_append(ps, "showpage\n");
	}
	path = g_build_filename(dir, "input.txt", NULL);
	ok = g_file_set_contents(path, txt->str, (gssize)txt->len, NULL);
	g_free(path);
	path = g_build_filename(dir, "ref.ps", NULL);
	ok = ok && g_file_set_contents(path, ps->str, (gssize)ps->len, NULL);
	g_free(path);
	g_string_free(txt, TRUE);
	g_string_free(ps, TRUE);
	return ok ? 0 : -1;
}

static int
text_render(const char *dir, const char *out)
{
	struct fax_tiff_info info;
	char *path = g_build_filename(dir, "input.txt", NULL), *text, err[256];
	gsize len;
	int rc = -1;

	if (g_file_get_contents(path, &text, &len, NULL)) {
		if (fax_text_render(text, len, NULL, out, &info, err,
		    sizeof(err)) == 0)
			rc = (int)info.pages;
		else
			fprintf(stderr, "offramp-render: text: %s\n", err);
		g_free(text);
	}
	g_free(path);
	return rc;
}

/* A sentence of n words from the fixed list (seeded), into s. */
static void
sentence(GString *s, unsigned *seed, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		g_string_append_printf(s, "%s%s", i ? " " : "",
		    words[(*seed >> 16) % G_N_ELEMENTS(words)]);
	}
	g_string_append_c(s, '.');
}

/*
 * An HTML mail of sections (a heading, paragraphs, a table of numbers),
 * and for Ghostscript the same words as PostScript: the heading in
 * Helvetica-Bold 14 pt, paragraphs in Times-Roman 10 pt cut at 90
 * columns, the table in three columns, pages broken at the bottom margin.
 */
static int
html_prepare(const char *dir)
{
	GString *h = g_string_new("<html><body>\n"), *ps = g_string_new(NULL);
	unsigned seed = 3, sct, k, r;
	int y = 792 - 54, ok;
	char *path;

	g_string_append(ps, "%!PS\n");
#define PS_NEED(dy) do {						\
		if (y - (dy) < 54) {					\
			g_string_append(ps, "showpage\n");		\
			y = 792 - 54;					\
		}							\
		y -= (dy);						\
	} while (0)
	for (sct = 0; sct < BENCH_HTML_SECTIONS; sct++) {
		g_string_append_printf(h, "<h2>Section %u: quarterly figures</h2>\n",
		    sct + 1);
		PS_NEED(24);
		g_string_append_printf(ps, "/Helvetica-Bold findfont 14 scalefont "
		    "setfont 64 %d moveto (Section %u: quarterly figures) show\n",
		    y, sct + 1);
		g_string_append(ps, "/Times-Roman findfont 10 scalefont setfont\n");
		for (k = 0; k < BENCH_HTML_PARAS; k++) {
			GString *para = g_string_new(NULL);
			const char *p;

			sentence(para, &seed, 60);
			g_string_append_printf(h, "<p>%s</p>\n", para->str);
			for (p = para->str; *p != '\0';) {
				size_t n = strlen(p);
				const char *cut = p + (n > 90 ? 90 : n);

				while (n > 90 && cut > p && *cut != ' ')
					cut--;
				PS_NEED(12);
				g_string_append_printf(ps, "64 %d moveto (%.*s) show\n",
				    y, (int)(cut - p), p);
				p = *cut == ' ' ? cut + 1 : cut;
			}
			PS_NEED(6);
			g_string_free(para, TRUE);
		}
		g_string_append(h, "<table border=1>\n<tr><th>Item</th><th>Units</th>"
		    "<th>Amount</th></tr>\n");
		for (r = 0; r < BENCH_HTML_ROWS; r++) {
			seed = seed * 1103515245u + 12345u;
			g_string_append_printf(h, "<tr><td>%s %u</td><td align=right>%u"
			    "</td><td align=right>%u.%02u</td></tr>\n",
			    words[(seed >> 16) % G_N_ELEMENTS(words)], r + 1,
			    (seed >> 8) % 1000, (seed >> 4) % 10000, seed % 100);
			PS_NEED(14);
			g_string_append_printf(ps, "64 %d moveto (%s %u) show 300 %d "
			    "moveto (%u) show 400 %d moveto (%u.%02u) show\n", y,
			    words[(seed >> 16) % G_N_ELEMENTS(words)], r + 1, y,
			    (seed >> 8) % 1000, y, (seed >> 4) % 10000, seed % 100);
		}
		g_string_append(h, "</table>\n");
		PS_NEED(12);
	}
#undef PS_NEED
	g_string_append(h, "</body></html>\n");
	g_string_append(ps, "showpage\n");
	path = g_build_filename(dir, "input.html", NULL);
	ok = g_file_set_contents(path, h->str, (gssize)h->len, NULL);
	g_free(path);
	path = g_build_filename(dir, "ref.ps", NULL);
	ok = ok && g_file_set_contents(path, ps->str, (gssize)ps->len, NULL);
	g_free(path);
	g_string_free(h, TRUE);
	g_string_free(ps, TRUE);
	return ok ? 0 : -1;
}

static int
html_render(const char *dir, const char *out)
{
	struct fax_tiff_info info;
	char *path = g_build_filename(dir, "input.html", NULL), *html, err[256];
	gsize len;
	int rc = -1;

	if (g_file_get_contents(path, &html, &len, NULL)) {
		if (fax_html_render(html, len, NULL, out, &info, NULL, err,
		    sizeof(err)) == 0)
			rc = (int)info.pages;
		else
			fprintf(stderr, "offramp-render: html: %s\n", err);
		g_free(html);
	}
	g_free(path);
	return rc;
}

/* The text kind's letter made into a PDF by Ghostscript's pdfwrite:
 * both sides then render that same PDF. */
static int
pdf_prepare(const char *dir)
{
	char *cmd;
	int status = -1, ok;

	if (text_prepare(dir) < 0)
		return -1;
	cmd = g_strdup_printf("gs -q -dSAFER -dNOPAUSE -dBATCH -sDEVICE=pdfwrite "
	    "-sPAPERSIZE=letter -sOutputFile=%s/input.pdf %s/ref.ps", dir, dir);
	ok = g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL) &&
	    g_spawn_check_wait_status(status, NULL);
	g_free(cmd);
	return ok ? 0 : -1;
}

/* As the document worker renders a PDF attachment: Ghostscript to fax
 * pages (offramp_pdf_render), then normalized. */
static int
pdf_render(const char *dir, const char *out)
{
	struct offramp_pdf_opts po = { .keep_group = 1 };
	struct fax_tiff_info info;
	struct mime_error merr;
	char *pdf = g_build_filename(dir, "input.pdf", NULL);
	char *raw = g_build_filename(dir, "gs-raw.tif", NULL), err[256];
	const char *in[1] = { raw };
	unsigned n;
	int rc = -1;

	if (offramp_pdf_render(pdf, raw, &po, &n, &merr) != 0)
		fprintf(stderr, "offramp-render: pdf: %s %s\n", merr.status, merr.text);
	else if (fax_tiff_normalize(in, 1, out, NULL, &info, err, sizeof(err)) != 0)
		fprintf(stderr, "offramp-render: pdf: %s\n", err);
	else
		rc = (int)info.pages;
	unlink(raw);
	g_free(pdf);
	g_free(raw);
	return rc;
}

/* A photo: texture, gradients, colour; JPEG quality 85. */
static int
image_prepare(const char *dir)
{
	PIX *pix = pixCreate(BENCH_IMAGE_W, BENCH_IMAGE_H, 32);
	char *path = g_build_filename(dir, "input.jpg", NULL), *ps;
	unsigned seed = 7;
	int x, y, rc;

	for (y = 0; y < BENCH_IMAGE_H; y++)
		for (x = 0; x < BENCH_IMAGE_W; x++) {
			int v;

			seed = seed * 1103515245u + 12345u;
			v = 128 + (x * 60) / BENCH_IMAGE_W - (y * 40) / BENCH_IMAGE_H +
			    (int)((seed >> 16) % 41) - 20 + ((x / 37 + y / 23) % 2) * 30;
			v = v < 0 ? 0 : v > 255 ? 255 : v;
			pixSetRGBPixel(pix, x, y, v, (v * 9) / 10, 255 - v);
		}
	rc = pixWriteJpeg(path, pix, 85, 0);
	pixDestroy(&pix);
	/* Ghostscript: the same JPEG fitted to the letter page's width. */
	ps = g_strdup_printf("%%!PS\n/DeviceRGB setcolorspace\n"
	    "36 %d translate 540 %d scale\n"
	    "<< /ImageType 1 /Width %d /Height %d /BitsPerComponent 8\n"
	    "   /Decode [0 1 0 1 0 1] /ImageMatrix [%d 0 0 -%d 0 %d]\n"
	    "   /DataSource (%s) (r) file /DCTDecode filter >> image\nshowpage\n",
	    792 - 36 - 405, 405, BENCH_IMAGE_W, BENCH_IMAGE_H, BENCH_IMAGE_W,
	    BENCH_IMAGE_H, BENCH_IMAGE_H, path);
	g_free(path);
	path = g_build_filename(dir, "ref.ps", NULL);
	if (!g_file_set_contents(path, ps, -1, NULL))
		rc = 1;
	g_free(path);
	g_free(ps);
	return rc == 0 ? 0 : -1;
}

static int
image_render(const char *dir, const char *out)
{
	struct fax_tiff_info info;
	char *path = g_build_filename(dir, "input.jpg", NULL), *data, err[256];
	gsize len;
	int rc = -1;

	if (g_file_get_contents(path, &data, &len, NULL)) {
		if (fax_image_to_pages(data, len, out, NULL, &info, err,
		    sizeof(err)) == 0)
			rc = (int)info.pages;
		else
			fprintf(stderr, "offramp-render: image: %s\n", err);
		g_free(data);
	}
	g_free(path);
	return rc;
}

/* Ghostscript on dir/ref to tiffg3 pages; the page count, or -1. */
static int
gs_pages(const char *dir, const char *ref, const char *out)
{
	char *cmd = g_strdup_printf("gs -q -dSAFER -dNOPAUSE -dBATCH "
	    "--permit-file-read=%s/ -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=letter "
	    "-sOutputFile=%s %s/%s", dir, out, dir, ref);
	char *err = NULL;
	int status = -1, n;

	if (!g_spawn_command_line_sync(cmd, NULL, &err, &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL)) {
		fprintf(stderr, "offramp-render: %s: %s\n", cmd, err ? err : "");
		g_free(cmd);
		g_free(err);
		return -1;
	}
	g_free(cmd);
	g_free(err);
	{
		char e[128];

		n = fax_tiff_count_pages(out, e, sizeof(e));
	}
	return n;
}

int
main(void)
{
	char dir[] = "/tmp/t37benchXXXXXX", err[128];
	size_t k;
	int rc = 0;

	if (mkdtemp(dir) == NULL)
		return 1;
	if (fax_text_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "offramp-render: %s\n", err);
		return 1;
	}
	for (k = 0; k < G_N_ELEMENTS(kinds); k++) {
		const struct kind *kd = &kinds[k];
		char *ours_out = g_build_filename(dir, "ours.tif", NULL);
		char *gs_out = g_build_filename(dir, "gs.tif", NULL);
		double t0, ours = 0, ref = 0;
		unsigned d, pages_ours = 0, pages_gs = 0;
		int n;

		if (kd->prepare(dir) < 0 || kd->render(dir, ours_out) < 0 ||
		    gs_pages(dir, kd->ref, gs_out) < 0) {	/* warm-up */
			printf("offramp-render: %s: skipped (cannot prepare or run)\n",
			    kd->name);
			rc = 1;
			goto next;
		}
		t0 = now_s();
		for (d = 0; d < kd->docs; d++) {
			if ((n = kd->render(dir, ours_out)) < 0) {
				rc = 1;
				goto next;
			}
			pages_ours += (unsigned)n;
		}
		ours = pages_ours / (now_s() - t0);
		t0 = now_s();
		for (d = 0; d < kd->docs; d++) {
			if ((n = gs_pages(dir, kd->ref, gs_out)) < 0) {
				rc = 1;
				goto next;
			}
			pages_gs += (unsigned)n;
		}
		ref = pages_gs / (now_s() - t0);
		printf("offramp-render %s (%s): t37gw %.1f pages/s (%u pages a "
		    "document), Ghostscript tiffg3 %.1f pages/s (%u), ratio %.2f\n",
		    kd->name, kd->what, ours, pages_ours / kd->docs, ref,
		    pages_gs / kd->docs, ours / ref);
next:
		g_free(ours_out);
		g_free(gs_out);
	}
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			rc = 1;
		g_free(cmd);
	}
	return rc;
}
