/*
 * Unit tests for fax/ HTML pages (fax_html_render): the parser's view of
 * real mail HTML (hidden parts, entities, lists, quotes, preformatted
 * text), the layout checked on the pixels (headings larger than body
 * text, table columns that line up, an inline image between the
 * paragraphs it stands between, alignment, right-to-left text), images
 * found by cid:, Content-Location and data:, never fetched from the
 * network, and every limit (depth, cells, columns, images, pages).
 */
#include "tests/unit/fax_test_util.h"

#include <glib.h>
#include <leptonica/allheaders.h>

#include "fax/fax.h"

/* The page: a 7 inch column in the middle of 1728 pixels. */
#define COL_LEFT	150
#define COL_RIGHT	(150 + 1428)
#define TOP_FINE	127	/* 0.65 in at 196 dpi */

struct band {
	uint32_t y0, y1, x0, x1;
};

/* Bands of rows with ink, separated by at least gap blank rows. */
static int
bands(const struct ft_page *p, struct band *b, int max, uint32_t gap)
{
	int n = 0;
	uint32_t y = 0, blank = 0;
	int in = 0;

	for (y = 0; y < p->h; y++) {
		int any = ft_black_in(p, 0, y, p->w, y + 1);

		if (any) {
			if (!in) {
				ck_assert_int_lt(n, max);
				b[n].y0 = y;
				b[n].x0 = UINT32_MAX;
				b[n].x1 = 0;
				in = 1;
			}
			for (uint32_t x = 0; x < p->w; x++)
				if (ft_get(p, x, y)) {
					if (x < b[n].x0)
						b[n].x0 = x;
					if (x + 1 > b[n].x1)
						b[n].x1 = x + 1;
				}
			b[n].y1 = y + 1;
			blank = 0;
		} else if (in && ++blank >= gap) {
			n++;
			in = 0;
		}
	}
	return n + in;
}

/* The first inked column at or right of x in rows y0..y1. */
static uint32_t
first_ink_from(const struct ft_page *p, uint32_t x, uint32_t y0, uint32_t y1)
{
	for (; x < p->w; x++)
		if (ft_black_in(p, x, y0, x + 1, y1))
			return x;
	return UINT32_MAX;
}

static struct ft_page *
render(const char *html, const struct fax_html_options *o, const char *name,
    struct fax_tiff_info *info, struct fax_html_report *rep)
{
	struct fax_tiff_info i;
	char err[200];

	ck_assert_msg(fax_html_render(html, strlen(html), o, ft_path(name),
	    info ? info : &i, rep, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(ft_pages(ft_path(name)), (int)(info ? info : &i)->pages);
	return ft_read(ft_path(name), 0);
}

/* A 160 x 60 logo: a black frame with a black bar inside. */
static const char *
logo_png(const char *name)
{
	PIX *pix = pixCreate(160, 60, 32);
	const char *path = ft_path(name);

	pixSetAll(pix);
	for (int y = 0; y < 60; y++)
		for (int x = 0; x < 160; x++)
			if (y < 6 || y >= 54 || x < 6 || x >= 154 ||
			    (y >= 24 && y < 36 && x >= 30 && x < 130))
				pixSetRGBPixel(pix, x, y, 0, 0, 0);
	ck_assert_int_eq(pixWritePng(path, pix, 0), 0);
	pixDestroy(&pix);
	return path;
}

START_TEST(test_fax_html_empty)
{
	struct fax_tiff_info info;
	struct ft_page *p = render("", NULL, "e.tif", &info, NULL);

	ck_assert_uint_eq(info.pages, 1);
	ck_assert_uint_eq(info.width, FAX_PAGE_WIDTH);
	ck_assert_int_eq(ft_black_in(p, 0, 0, p->w, p->h), 0);
	ft_page_free(p);
	/* Only what a reader does not see: still a blank page. */
	p = render("<html><head><title>T</title><style>p{}</style>"
	    "<script>document.write('x')</script></head><body>"
	    "<div style=\"display: none !important\">preheader</div>"
	    "<p hidden>hidden</p><span style='visibility:hidden'>x</span>"
	    "<div style=\"font-size:0px;max-height:0\">y</div>"
	    "<!-- a comment --></body></html>", NULL, "h.tif", &info, NULL);
	ck_assert_int_eq(ft_black_in(p, 0, 0, p->w, p->h), 0);
	ft_page_free(p);
}
END_TEST

/* Headings are set larger than body text, and bold. */
START_TEST(test_fax_html_headings)
{
	struct band b[8];
	struct ft_page *p = render("<h1>Heading</h1><p>Body text</p>"
	    "<h3>Heading</h3>", NULL, "hd.tif", NULL, NULL);
	int n = bands(p, b, 8, 4);

	ck_assert_int_eq(n, 3);
	ck_assert_uint_ge(b[0].y0, TOP_FINE);
	/* h1 is twice the body size, h3 1.17 times */
	ck_assert_uint_gt(b[0].y1 - b[0].y0, 17 * (b[1].y1 - b[1].y0) / 10);
	ck_assert_uint_gt(b[0].x1 - b[0].x0, 2 * (b[2].x1 - b[2].x0) * 8 / 10);
	ck_assert_uint_gt(b[2].y1 - b[2].y0, b[1].y1 - b[1].y0);
	ft_page_free(p);
}
END_TEST

/* Table columns line up: each column's cells start at one x, whatever
 * the length of their text, and a right-aligned column ends at one x. */
START_TEST(test_fax_html_table_columns)
{
	struct band b[16];
	struct ft_page *p = render("<table border=1>"
	    "<tr><td>Item</td><td>Description of it</td><td align=right>1.00</td></tr>"
	    "</table>", NULL, "tb.tif", NULL, NULL);
	uint32_t start1[3], start2[3], end3[3], y, best = 0;
	int n = bands(p, b, 16, 3);

	/* With a border the grid is drawn: the cells' top edges are solid
	 * lines across nearly the whole table. */
	ck_assert_int_eq(n, 1);
	for (y = b[0].y0; y < b[0].y1; y++) {
		uint32_t k = (uint32_t)ft_ink(p, b[0].x0, y, b[0].x1, y + 1);

		if (k > best)
			best = k;
	}
	ck_assert_uint_gt(best, (b[0].x1 - b[0].x0) * 9 / 10);
	ft_page_free(p);
	/* Without borders the ink columns themselves show the grid. */
	p = render("<table>"
	    "<tr><td>Item</td><td>Description of it</td><td align=right>1.00</td></tr>"
	    "<tr><td>Widget number two</td><td>Short</td><td align=right>12.50</td></tr>"
	    "<tr><td>X</td><td>A much longer description that is long</td>"
	    "<td align=right>123.75</td></tr>"
	    "</table>", NULL, "tn.tif", NULL, NULL);
	n = bands(p, b, 16, 3);
	ck_assert_int_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		uint32_t x, gap = 0, col = 1;

		start1[i] = b[i].x0;
		/* the second column starts after the widest first cell: find
		 * the first ink after a gap of 20 blank columns */
		for (x = b[i].x0; x < b[i].x1; x++) {
			if (ft_black_in(p, x, b[i].y0, x + 1, b[i].y1)) {
				if (gap >= 12 && col == 1) {
					start2[i] = x;
					col = 2;
				}
				gap = 0;
			} else {
				gap++;
			}
		}
		ck_assert_uint_eq(col, 2);
		end3[i] = b[i].x1;
	}
	for (int i = 1; i < 3; i++) {
		ck_assert_uint_le(abs((int)start1[i] - (int)start1[0]), 3);
		ck_assert_uint_le(abs((int)start2[i] - (int)start2[0]), 3);
		ck_assert_uint_le(abs((int)end3[i] - (int)end3[0]), 3);
	}
	/* the second column starts right of the longest first cell */
	ck_assert_uint_gt(start2[0], start1[0] + 200);
	ft_page_free(p);
}
END_TEST

/* An inline image found by its Content-ID stands between the paragraphs
 * it stands between in the HTML, at its size (160 CSS px = 340 dots). */
START_TEST(test_fax_html_inline_image)
{
	struct fax_html_image im = { .cid = "logo@example.com", .path = logo_png("l.png") };
	unsigned char used[1] = { 0 };
	struct fax_html_report rep = { .image_used = used };
	struct fax_html_options o = { .images = &im, .nimages = 1 };
	struct band b[8];
	struct ft_page *p = render("<p>Before the logo</p><p><img alt=Logo "
	    "src=\"cid:logo%40example.com\"></p><p>After the logo</p>", &o,
	    "img.tif", NULL, &rep);
	int n = bands(p, b, 8, 4);

	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(rep.images_shown, 1);
	ck_assert_uint_eq(used[0], 1);
	/* the middle band is the logo: 60 CSS px tall at 196 dpi = 122 rows,
	 * 160 px wide = 340 dots */
	ck_assert_uint_le(abs((int)(b[1].y1 - b[1].y0) - 122), 3);
	ck_assert_uint_le(abs((int)(b[1].x1 - b[1].x0) - 340), 3);
	ck_assert_uint_le(abs((int)b[1].x0 - COL_LEFT), 2);
	/* the frame is black and the inside white around the bar */
	ck_assert_uint_gt(ft_ink(p, b[1].x0, b[1].y0, b[1].x1, b[1].y0 + 8), 2000);
	ck_assert_int_eq(ft_black_in(p, b[1].x0 + 30, b[1].y0 + 20, b[1].x0 + 60,
	    b[1].y0 + 40), 0);
	/* the text bands are text height, not image height */
	ck_assert_uint_lt(b[0].y1 - b[0].y0, 50);
	ck_assert_uint_lt(b[2].y1 - b[2].y0, 50);
	ft_page_free(p);

	/* no report asked for: the same page, nothing written through the
	 * caller's (absent) flags */
	p = render("<p>Before the logo</p><p><img alt=Logo "
	    "src=\"cid:logo%40example.com\"></p><p>After the logo</p>", &o,
	    "img2.tif", NULL, NULL);
	ck_assert_int_eq(bands(p, b, 8, 4), 3);
	ft_page_free(p);

	/* width="50%" of the column, the height in proportion */
	p = render("<img src=cid:LOGO@EXAMPLE.COM width=\"50%\">", &o, "pct.tif",
	    NULL, &rep);
	n = bands(p, b, 8, 4);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_le(abs((int)(b[0].x1 - b[0].x0) - 714), 3);
	ft_page_free(p);
}
END_TEST

/* Nothing is fetched: remote and unknown images print their alt text
 * and are counted; a small data: image is shown, a large one is not. */
START_TEST(test_fax_html_images_left_out)
{
	struct fax_html_image im = { .location = "http://x/logo.png",
	    .path = logo_png("loc.png") };
	struct fax_html_options o = { .images = &im, .nimages = 1 };
	struct fax_html_report rep;
	struct fax_tiff_info info;
	char *b64, *html;
	size_t len;
	l_uint8 *png;
	PIX *pix = pixCreate(20, 20, 8);
	struct ft_page *p;

	memset(&rep, 0, sizeof(rep));
	p = render("<img src=\"https://tracker.example/p.gif\" width=1 height=1>"
	    "<img src=\"http://example.com/a.png\" alt=\"Company\">"
	    "<img src=\"//cdn.example/b.png\"><img src=\"cid:nothere\" alt=\"x\">"
	    "<img src=\"file:///etc/passwd\"><img alt=none>"
	    "<img src=\"logo.png\">", &o, "r.tif", &info, &rep);
	ck_assert_uint_eq(rep.images_remote, 3);
	ck_assert_uint_eq(rep.images_missing, 3);
	/* the Content-Location's last segment names the part */
	ck_assert_uint_eq(rep.images_shown, 1);
	ck_assert_int_eq(ft_black_in(p, 0, 0, p->w, p->h), 1);
	ft_page_free(p);

	pixSetAll(pix);
	pixSetPixel(pix, 5, 5, 0);
	ck_assert_int_eq(pixWriteMemPng(&png, &len, pix, 0), 0);
	pixDestroy(&pix);
	b64 = g_base64_encode(png, len);
	free(png);
	html = g_strdup_printf("<img src=\"data:image/png;base64,%s\" width=100 "
	    "height=100>", b64);
	g_free(b64);
	p = render(html, NULL, "d.tif", &info, &rep);
	g_free(html);
	ck_assert_uint_eq(rep.images_shown, 1);
	ft_page_free(p);
	html = g_malloc(FAX_HTML_DATA_URI_MAX * 2 + 100);
	strcpy(html, "<img src=\"data:image/png;base64,");
	memset(html + strlen(html), 'A', FAX_HTML_DATA_URI_MAX * 2);
	strcpy(html + strlen("<img src=\"data:image/png;base64,") +
	    FAX_HTML_DATA_URI_MAX * 2, "\">");
	p = render(html, NULL, "big.tif", &info, &rep);
	g_free(html);
	ck_assert_uint_eq(rep.images_data_big, 1);
	ck_assert_uint_eq(rep.images_shown, 0);
	ft_page_free(p);
}
END_TEST

/* An image that cannot be decoded, or is over the pixel cap, is left out
 * and counted; the text around it stays. */
START_TEST(test_fax_html_image_bad)
{
	struct fax_html_image im[2] = {
		{ .cid = "bad", .path = ft_path("bad.png") },
		{ .cid = "big", .path = logo_png("big.png") },
	};
	struct fax_html_options o = { .images = im, .nimages = 2,
	    .max_image_pixels = 1000 };
	struct fax_html_report rep;
	FILE *f = fopen(im[0].path, "w");
	struct ft_page *p;

	ck_assert_ptr_nonnull(f);
	fputs("\x89PNG\r\n\x1a\nnot really", f);
	fclose(f);
	memset(&rep, 0, sizeof(rep));
	p = render("<p>text <img src=cid:bad alt=bad> and <img src=cid:big></p>",
	    &o, "bad.tif", NULL, &rep);
	ck_assert_uint_eq(rep.images_bad, 2);
	ck_assert_uint_eq(rep.images_shown, 0);
	ck_assert_int_eq(ft_black_in(p, 0, 0, p->w, p->h), 1);
	ft_page_free(p);
}
END_TEST

/* Lists have their markers left of the text; quotes a bar; pre keeps its
 * spaces in the monospace font; entities are decoded. */
START_TEST(test_fax_html_blocks)
{
	struct fax_html_report rep;
	struct band b[16];
	struct ft_page *p;
	int n;

	memset(&rep, 0, sizeof(rep));
	p = render("<ul><li>one</li><li>two</li></ul><ol start=9><li>nine</li></ol>",
	    NULL, "l.tif", NULL, &rep);
	n = bands(p, b, 16, 3);
	ck_assert_int_eq(n, 3);
	for (int i = 0; i < 3; i++) {
		/* the marker, then a gap, then the text, indented */
		uint32_t m = b[i].x0, t = first_ink_from(p, m + 1, b[i].y0, b[i].y1);

		ck_assert_uint_gt(m, COL_LEFT + 10);
		while (t < p->w && ft_black_in(p, t, b[i].y0, t + 1, b[i].y1))
			t++;
		t = first_ink_from(p, t, b[i].y0, b[i].y1);
		ck_assert_uint_gt(t, m + 8);
	}
	ft_page_free(p);

	p = render("<blockquote>quoted</blockquote>", NULL, "q.tif", NULL, &rep);
	n = bands(p, b, 16, 3);
	ck_assert_int_eq(n, 1);
	/* the bar: a solid column of ink at the left of the band */
	ck_assert_uint_ge(ft_ink(p, b[0].x0, b[0].y0, b[0].x0 + 3, b[0].y1),
	    2 * (b[0].y1 - b[0].y0));
	ck_assert_uint_gt(first_ink_from(p, b[0].x0 + 4, b[0].y0, b[0].y1),
	    b[0].x0 + 20);
	ft_page_free(p);

	p = render("<p>caf&eacute;&nbsp;&amp;&#x4e2d;&#25991;&mdash;&hellip;</p>",
	    NULL, "ent.tif", NULL, &rep);
	ck_assert_uint_eq(rep.missing_glyphs, 0);
	ck_assert_int_eq(ft_black_in(p, 0, 0, p->w, p->h), 1);
	ft_page_free(p);
}
END_TEST

/* Preformatted text keeps its columns: "a" and "b" after 8 spaces are 8
 * monospace columns apart on both lines. */
START_TEST(test_fax_html_pre)
{
	struct band b[4];
	struct ft_page *p = render("<pre>a       b\n\ta</pre>", NULL, "pre.tif",
	    NULL, NULL);
	int n = bands(p, b, 4, 3);
	uint32_t a1, a2;

	ck_assert_int_eq(n, 2);
	a1 = b[0].x0;
	a2 = b[1].x0;
	/* the tab lands where the b of the line above is: 8 columns on */
	ck_assert_uint_le(abs((int)a2 - (int)first_ink_from(p, a1 + 30, b[0].y0,
	    b[0].y1)), 3);
	ck_assert_uint_gt(a2, a1 + 100);
	ft_page_free(p);
}
END_TEST

/* Alignment: centred, right-aligned, and an Arabic paragraph from the
 * right margin on its own. */
START_TEST(test_fax_html_alignment)
{
	struct band b[8];
	struct ft_page *p = render("<p align=center>middle</p>"
	    "<div style=\"text-align: right\">right</div>"
	    "<p>\xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7</p>", NULL, "al.tif",
	    NULL, NULL);
	int n = bands(p, b, 8, 3);

	ck_assert_int_eq(n, 3);
	ck_assert_uint_le(abs((int)(b[0].x0 + b[0].x1) / 2 - FAX_PAGE_WIDTH / 2), 4);
	ck_assert_uint_le(abs((int)b[1].x1 - COL_RIGHT), 6);
	ck_assert_uint_le(abs((int)b[2].x1 - COL_RIGHT), 6);
	ft_page_free(p);
}
END_TEST

/* The preface (a forwarded message's headers) comes first. */
START_TEST(test_fax_html_preface)
{
	struct fax_html_options o = { .preface = "From: a@example.com\n"
	    "Subject: hello" };
	struct band b[8];
	struct ft_page *p = render("<p>body</p>", &o, "pf.tif", NULL, NULL);
	int n = bands(p, b, 8, 3);

	/* two header lines, the rule, the body */
	ck_assert_int_eq(n, 4);
	ck_assert_uint_gt(b[2].x1 - b[2].x0, 1400);
	ck_assert_uint_le(b[2].y1 - b[2].y0, 3);
	ft_page_free(p);
}
END_TEST

/* Hostile structure stays bounded and its text stays. */
START_TEST(test_fax_html_limits)
{
	struct fax_html_options o = { .max_pages = 3 };
	struct fax_html_report rep;
	struct fax_tiff_info info;
	GString *s = g_string_new(NULL);
	char err[200];
	struct ft_page *p;
	int i;

	/* nesting far deeper than FAX_HTML_MAX_DEPTH (and libxml2's own
	 * default limit): the text inside and after it is printed */
	for (i = 0; i < 5000; i++)
		g_string_append(s, "<div><b>");
	g_string_append(s, "deep");
	for (i = 0; i < 5000; i++)
		g_string_append(s, "</b></div>");
	g_string_append(s, "<p>after</p>");
	memset(&rep, 0, sizeof(rep));
	p = render(s->str, NULL, "deep.tif", &info, &rep);
	ck_assert_uint_ge(rep.deep_flattened, 1);
	{
		struct band b[4];

		ck_assert_int_eq(bands(p, b, 4, 5), 2);
	}
	ft_page_free(p);

	/* more cells than FAX_HTML_MAX_CELLS: refused, with the reason */
	g_string_assign(s, "<table>");
	for (i = 0; i <= FAX_HTML_MAX_CELLS; i++)
		g_string_append(s, i % 10 ? "<td>c" : "<tr><td>c");
	ck_assert_int_ne(fax_html_render(s->str, s->len, NULL, ft_path("c.tif"),
	    &info, &rep, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "table cells"));
	ck_assert_int_ne(access(ft_path("c.tif"), F_OK), 0);

	/* wider than FAX_HTML_MAX_COLS: printed cell by cell */
	g_string_assign(s, "<table><tr>");
	for (i = 0; i < FAX_HTML_MAX_COLS + 5; i++)
		g_string_append_printf(s, "<td>c%d</td>", i);
	g_string_append(s, "</tr></table>");
	p = render(s->str, NULL, "wide.tif", &info, &rep);
	ck_assert_uint_eq(rep.tables_flattened, 1);
	ft_page_free(p);

	/* a giant colspan reaches the last column; the table stays a table */
	p = render("<table><tr><td colspan=100000>a</td></tr><tr><td>b</td>"
	    "<td rowspan=99999>c</td></tr></table>", NULL, "span.tif", &info, &rep);
	ck_assert_uint_eq(rep.tables_flattened, 0);
	ft_page_free(p);

	/* tables in tables past FAX_HTML_MAX_TABLE_DEPTH */
	g_string_truncate(s, 0);
	for (i = 0; i < FAX_HTML_MAX_TABLE_DEPTH + 3; i++)
		g_string_append(s, "<table><tr><td>x");
	p = render(s->str, NULL, "nest.tif", &info, &rep);
	ck_assert_uint_eq(rep.tables_flattened, 1);
	ft_page_free(p);

	/* thousands of images: FAX_HTML_MAX_IMAGES are placed */
	{
		struct fax_html_image im = { .cid = "l", .path = logo_png("m.png") };
		struct fax_html_options io = { .images = &im, .nimages = 1,
		    .max_pages = 1000 };

		g_string_truncate(s, 0);
		for (i = 0; i < 3000; i++)
			g_string_append(s, "<img src=cid:l width=4 height=4>");
		p = render(s->str, &io, "many.tif", &info, &rep);
		ck_assert_uint_eq(rep.images_shown, FAX_HTML_MAX_IMAGES);
		ck_assert_uint_eq(rep.images_over, 3000 - FAX_HTML_MAX_IMAGES);
		ft_page_free(p);
	}

	/* the page limit */
	g_string_truncate(s, 0);
	for (i = 0; i < 400; i++)
		g_string_append(s, "<p>paragraph</p>");
	ck_assert_int_ne(fax_html_render(s->str, s->len, &o, ft_path("pg.tif"),
	    &info, &rep, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "HTML longer than 3 pages");
	/* a megabyte paragraph without a break is laid out in pieces */
	g_string_truncate(s, 0);
	for (i = 0; i < 100000; i++)
		g_string_append(s, "word ");
	ck_assert_int_ne(fax_html_render(s->str, s->len, &o, ft_path("w.tif"),
	    &info, &rep, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "HTML longer than 3 pages");
	g_string_free(s, TRUE);
}
END_TEST

/* Long documents break between lines onto several pages; a tall table
 * row's lines are never cut across a page break. */
START_TEST(test_fax_html_pages)
{
	GString *s = g_string_new("<table border=1><tr><td>");
	struct fax_tiff_info info;
	struct ft_page *p;
	int i;

	for (i = 0; i < 150; i++)
		g_string_append_printf(s, "line %d<br>", i);
	g_string_append(s, "</td><td>right</td></tr></table>");
	p = render(s->str, NULL, "tall.tif", &info, NULL);
	ck_assert_uint_ge(info.pages, 2);
	ft_page_free(p);
	for (unsigned k = 0; k < info.pages; k++) {
		struct band b[200];
		int n;

		p = ft_read(ft_path("tall.tif"), (int)k);
		/* inside the column, left of the border gaps: text lines only */
		n = bands(p, b, 200, 1);
		ck_assert_int_ge(n, 1);
		/* the last text line on a page ends above the bottom margin */
		ck_assert_uint_lt(b[n - 1].y1, p->h - 90);
		ft_page_free(p);
	}
	g_string_free(s, TRUE);
}
END_TEST

/* Standard resolution: the same layout, half the rows. */
START_TEST(test_fax_html_standard)
{
	struct fax_html_options o = { .resolution = FAX_TIFF_RES_STANDARD };
	struct fax_tiff_info info;
	struct ft_page *p = render("<h2>x</h2><p>y</p>", &o, "std.tif", &info, NULL);

	ck_assert_uint_eq(info.fine_pages, 0);
	ck_assert_uint_eq(p->h, 1078);
	ft_page_free(p);
}
END_TEST

Suite *
suite_fax_html(void)
{
	Suite *s = suite_create("fax_html");
	TCase *tc = tcase_create("render");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fax_html_empty);
	tcase_add_test(tc, test_fax_html_headings);
	tcase_add_test(tc, test_fax_html_table_columns);
	tcase_add_test(tc, test_fax_html_inline_image);
	tcase_add_test(tc, test_fax_html_images_left_out);
	tcase_add_test(tc, test_fax_html_image_bad);
	tcase_add_test(tc, test_fax_html_blocks);
	tcase_add_test(tc, test_fax_html_pre);
	tcase_add_test(tc, test_fax_html_alignment);
	tcase_add_test(tc, test_fax_html_preface);
	tcase_add_test(tc, test_fax_html_limits);
	tcase_add_test(tc, test_fax_html_pages);
	tcase_add_test(tc, test_fax_html_standard);
	suite_add_tcase(s, tc);
	return s;
}
