/*
 * Unit tests for fax/ text pages and the page header line: scripts through
 * Pango (Cyrillic, Greek, CJK, Arabic and Hebrew with their direction),
 * missing-glyph counting, same pixels for the same text, true proportions
 * at standard and fine resolution, word wrap, tabs, form feeds, line
 * endings, the page limit, header template expansion and stamping.
 */
#include "tests/unit/fax_test_util.h"

#include <glib.h>

#include "fax/fax.h"
#include "tools/t37fax.h"

/* The text column: 80 DejaVu Sans Mono digits at 10 pt, 204 dpi. */
#define COL		17.057		/* pixels per column */
#define LEFT		181		/* (1728 - 80 * COL) / 2 = 181.7 */
#define LEFTF		181.7
#define RIGHT		(FAX_PAGE_WIDTH - LEFT)
#define BEARING		10		/* glyph side bearings, at most */
#define TOP_FINE	127		/* 0.65 in at 196 dpi */
#define PITCH_FINE	32.67		/* 12 pt at 196 dpi */
#define SLACK		3

/* A row band of ink: one printed line when lines are apart. */
struct band {
	uint32_t y0, y1, x0, x1;
};

static struct ft_page *
render_opts(const char *text, size_t len, const struct fax_text_options *o,
    const char *name, struct fax_tiff_info *info)
{
	struct fax_tiff_info i;
	char err[200];

	ck_assert_msg(fax_text_render(text, len, o, ft_path(name),
	    info ? info : &i, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(ft_pages(ft_path(name)), (int)(info ? info : &i)->pages);
	return ft_read(ft_path(name), 0);
}

static struct ft_page *
render(const char *text, size_t len, const char *name, unsigned *pages)
{
	struct fax_tiff_info info;
	struct ft_page *p = render_opts(text, len, NULL, name, &info);

	if (pages != NULL)
		*pages = info.pages;
	return p;
}

/* Splits the page into bands of rows with ink separated by blank rows. */
static int
bands(const struct ft_page *p, struct band *b, int max)
{
	int n = 0, in = 0;

	for (uint32_t y = 0; y < p->h; y++) {
		int any = ft_black_in(p, 0, y, p->w, y + 1);

		if (any && !in) {
			ck_assert_int_lt(n, max);
			b[n].y0 = y;
			b[n].x0 = UINT32_MAX;
			b[n].x1 = 0;
			in = 1;
		}
		if (any) {
			for (uint32_t x = 0; x < p->w; x++)
				if (ft_get(p, x, y)) {
					if (x < b[n].x0)
						b[n].x0 = x;
					if (x > b[n].x1)
						b[n].x1 = x;
				}
			b[n].y1 = y + 1;
		}
		if (!any && in) {
			n++;
			in = 0;
		}
	}
	return n + in;
}

/* The documented fonts are there (scripts/deps.sh installs them); the
 * configuration loads once and says how many fonts it found. */
START_TEST(test_fax_text_fonts)
{
	char err[200], names[200];
	int n = fax_text_init(err, sizeof(err));

	ck_assert_msg(n > 0, "%s", err);
	ck_assert_int_eq(fax_text_init(err, sizeof(err)), n);
	ck_assert_msg(fax_text_fonts_missing(names, sizeof(names)) == 0,
	    "missing: %s", names);
	ck_assert_str_eq(names, "");
}
END_TEST

START_TEST(test_fax_text_empty_and_format)
{
	unsigned pages;
	struct ft_page *p = render("", 0, "e.tif", &pages);
	uint32_t x0, y0, x1, y1;

	ck_assert_uint_eq(pages, 1);
	ck_assert_uint_eq(p->w, 1728);
	ck_assert_float_eq(p->xres, 204);
	ck_assert_float_eq(p->yres, 196);
	ck_assert_uint_eq(p->h, 2156);
	ck_assert(!ft_bbox(p, &x0, &y0, &x1, &y1));
	ft_page_free(p);
	p = render("Hello", 5, "h.tif", &pages);
	ck_assert(ft_bbox(p, &x0, &y0, &x1, &y1));
	ck_assert_uint_ge(x0, LEFT);
	ck_assert_uint_le(x0, LEFT + BEARING);
	ck_assert_msg(x1 < LEFTF + 5 * COL, "x1 %u", x1);
	ck_assert_uint_ge(y0, TOP_FINE);
	ck_assert_uint_lt(y1, TOP_FINE + PITCH_FINE);
	ft_page_free(p);
}
END_TEST

/*
 * Every script of the sample prints, each on its own line, with no glyph
 * missing; left-to-right lines start at the left margin, Arabic and Hebrew
 * ones end at the right margin. Before Pango all of these printed as '?'.
 */
static const struct {
	const char *text;
	int rtl;
} scripts[] = {
	{ "Русский текст: Съешь же ещё этих мягких булок.", 0 },
	{ "Ελληνικά: Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", 0 },
	{ "中文：我能吞下玻璃而不伤身体。", 0 },
	{ "日本語：私はガラスを食べられます。", 0 },
	{ "한국어: 나는 유리를 먹을 수 있어요.", 0 },
	{ "العربية: أنا قادر على أكل الزجاج و هذا لا يؤلمني.", 1 },
	{ "עברית: אני יכול לאכול זכוכית וזה לא מזיק לי.", 1 },
};
#define NSCRIPTS (int)(sizeof(scripts) / sizeof(scripts[0]))

START_TEST(test_fax_text_scripts)
{
	GString *s = g_string_new(NULL);
	struct fax_tiff_info info;
	struct band b[16];
	struct ft_page *p;
	int i, n;

	for (i = 0; i < NSCRIPTS; i++)
		g_string_append_printf(s, "%s\n\n", scripts[i].text);
	p = render_opts(s->str, s->len, NULL, "s.tif", &info);
	ck_assert_uint_eq(info.missing_glyphs, 0);
	ck_assert_uint_eq(info.pages, 1);
	n = bands(p, b, 16);
	ck_assert_int_eq(n, NSCRIPTS);
	for (i = 0; i < n; i++) {
		/* each line has real ink, not a stroke or two */
		ck_assert_uint_gt(ft_ink(p, 0, b[i].y0, p->w, b[i].y1), 500);
		ck_assert_uint_le(b[i].x1, RIGHT + SLACK);
		if (scripts[i].rtl) {
			ck_assert_msg(b[i].x1 + 2 * COL >= RIGHT, "line %d ends "
			    "at %u", i, b[i].x1);
			ck_assert_uint_gt(b[i].x0, LEFT + 10 * COL);
		} else {
			ck_assert_msg(b[i].x0 <= LEFT + BEARING, "line %d "
			    "starts at %u", i, b[i].x0);
			ck_assert_uint_lt(b[i].x1, RIGHT - 10 * COL);
		}
	}
	ft_page_free(p);
	g_string_free(s, TRUE);
}
END_TEST

/* Chinese is drawn with its own glyphs, not as question marks. */
START_TEST(test_fax_text_cjk_is_not_question_marks)
{
	struct fax_tiff_info info;
	struct ft_page *q = render("??", 2, "q.tif", NULL);
	struct ft_page *c = render_opts("中文", 6, NULL, "c.tif", &info);
	uint32_t qx0, qy0, qx1, qy1, cx0, cy0, cx1, cy1;

	ck_assert_uint_eq(info.missing_glyphs, 0);
	ck_assert(ft_bbox(q, &qx0, &qy0, &qx1, &qy1));
	ck_assert(ft_bbox(c, &cx0, &cy0, &cx1, &cy1));
	ck_assert_uint_gt(ft_diff_rows(q, c), 10);
	/* ideographs are wider than two Latin columns would be */
	ck_assert_uint_gt(cx1 - cx0, qx1 - qx0);
	ck_assert_uint_gt(ft_ink(c, 0, 0, c->w, c->h), 2 * ft_ink(q, 0, 0, q->w, q->h));
	ft_page_free(q);
	ft_page_free(c);
}
END_TEST

/* Characters no font has are counted, one per character. */
START_TEST(test_fax_text_missing_glyphs)
{
	static const struct {
		const char *text;
		unsigned missing;
	} cases[] = {
		{ "plain ASCII", 0 },
		{ "\xf4\x8f\xbf\xbd", 1 },		/* U+10FFFD, private use */
		{ "a \xf4\x8f\xbf\xbd b \xf3\xb0\x80\x80 c", 2 },
		{ "\xf4\x8f\xbf\xbd\n\n\xf4\x8f\xbf\xbd\f\xf4\x8f\xbf\xbd", 3 },
		{ "caf\xc3\xa9 \xe2\x82\xac \xd0\x96 \xe4\xb8\x80", 0 },
		{ "bad \xff\xfe bytes", 0 },		/* U+FFFD has a glyph */
	};
	struct fax_tiff_info info;
	struct ft_page *p;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		p = render_opts(cases[i].text, strlen(cases[i].text), NULL,
		    "m.tif", &info);
		ck_assert_msg(info.missing_glyphs == cases[i].missing,
		    "case %zu: %u missing", i, info.missing_glyphs);
		ft_page_free(p);
	}
	/* the box still shows where the character was */
	p = render("\xf4\x8f\xbf\xbd", 4, "box.tif", NULL);
	ck_assert_uint_gt(ft_ink(p, 0, 0, p->w, p->h), 50);
	ft_page_free(p);
}
END_TEST

/* Same text, same pixels; a one-letter change shows. */
START_TEST(test_fax_text_deterministic)
{
	static const char t1[] = "Invoice 4711\n\tTotal: 99.50 EUR\n"
	    "Привет 世界 שלום";
	static const char t2[] = "Invoice 4712\n\tTotal: 99.50 EUR\n"
	    "Привет 世界 שלום";
	struct ft_page *a = render(t1, strlen(t1), "a.tif", NULL);
	struct ft_page *b = render(t1, strlen(t1), "b.tif", NULL);
	struct ft_page *c = render(t2, strlen(t2), "c.tif", NULL);

	ck_assert_uint_eq(ft_diff_rows(a, b), 0);
	ck_assert_uint_gt(ft_diff_rows(a, c), 0);
	ft_page_free(a);
	ft_page_free(b);
	ft_page_free(c);
}
END_TEST

/* Standard pages have half the rows and the same layout: the text is as
 * tall on paper, not stretched. */
START_TEST(test_fax_text_resolution)
{
	static const char text[] = "First line of a letter\nsecond line\n"
	    "third\n\nfifth \xe4\xb8\xad\xe6\x96\x87\n"
	    "a long line that wraps because it is much longer than eighty "
	    "columns of the monospaced body font\n";
	struct fax_text_options std = { .resolution = FAX_TIFF_RES_STANDARD };
	struct fax_tiff_info fi, si;
	struct ft_page *f = render_opts(text, strlen(text), NULL, "f.tif", &fi);
	struct ft_page *s = render_opts(text, strlen(text), &std, "s.tif", &si);
	uint32_t fx0, fy0, fx1, fy1, sx0, sy0, sx1, sy1;
	struct band fb[16], sb[16];
	double ratio;
	int n;

	ck_assert_float_eq(s->yres, 98);
	ck_assert_uint_eq(s->h, 1078);
	ck_assert_uint_eq(f->h, 2156);
	ck_assert_uint_eq(fi.fine_pages, 1);
	ck_assert_uint_eq(si.fine_pages, 0);
	ck_assert(ft_bbox(f, &fx0, &fy0, &fx1, &fy1));
	ck_assert(ft_bbox(s, &sx0, &sy0, &sx1, &sy1));
	/* same width, half the height */
	ck_assert_uint_le(fx0 > sx0 ? fx0 - sx0 : sx0 - fx0, 1);
	ck_assert_uint_le(fx1 > sx1 ? fx1 - sx1 : sx1 - fx1, 1);
	ratio = (double)(fy1 - fy0 + 1) / (sy1 - sy0 + 1);
	ck_assert_msg(ratio > 1.95 && ratio < 2.05, "height ratio %.3f", ratio);
	/* the same lines */
	n = bands(f, fb, 16);
	ck_assert_int_eq(n, 6);
	ck_assert_int_eq(bands(s, sb, 16), n);
	ratio = (double)(fb[5].y0 - fb[0].y0) / (sb[5].y0 - sb[0].y0);
	ck_assert_msg(ratio > 1.95 && ratio < 2.05, "pitch ratio %.3f", ratio);
	ft_page_free(f);
	ft_page_free(s);
}
END_TEST

START_TEST(test_fax_text_wrap)
{
	char text[1000];
	struct band b[8];
	struct ft_page *p;
	size_t n = 0;

	/* 20 words of 9 letters: 200 columns -> 3 lines, no word split */
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
		    i ? " abcdefghi" : "abcdefghi");
	p = render(text, n, "w.tif", NULL);
	ck_assert_int_eq(bands(p, b, 8), 3);
	/* line 1 holds 8 words (79 columns): column 80 is empty */
	ck_assert_msg(b[0].x1 < LEFTF + 79 * COL, "x1 %u", b[0].x1);
	ck_assert_msg(b[0].x1 > LEFTF + 78 * COL, "x1 %u", b[0].x1);
	ck_assert(!ft_black_in(p, RIGHT + SLACK, 0, 1728, 2156));
	ft_page_free(p);
	/* One 200-letter word is cut hard at 80 columns: 80 + 80 + 40. */
	memset(text, 'x', 200);
	p = render(text, 200, "h.tif", NULL);
	ck_assert_int_eq(bands(p, b, 8), 3);
	ck_assert_uint_gt(b[0].x1, RIGHT - BEARING);
	ck_assert_uint_gt(b[1].x1, RIGHT - BEARING);
	ck_assert_msg(b[2].x1 > LEFTF + 39 * COL, "x1 %u", b[2].x1);
	ck_assert_msg(b[2].x1 < LEFTF + 40.5 * COL, "x1 %u", b[2].x1);
	ft_page_free(p);
}
END_TEST

/* A paragraph of more than a layout chunk (8 KiB) breaks exactly like
 * the same words in several paragraphs would fill lines: no short line
 * where a chunk ended. */
START_TEST(test_fax_text_long_paragraph)
{
	GString *s = g_string_new(NULL);
	struct fax_tiff_info info;
	struct band b[80];
	struct ft_page *p;
	int n, i;

	/* 10.5 KiB of 6-letter words: 1536 words, 11 a line, 140 lines */
	for (i = 0; i < 1536; i++)
		g_string_append(s, i ? " word.." : "word..");
	p = render_opts(s->str, s->len, NULL, "p.tif", &info);
	n = bands(p, b, 80);
	ck_assert_int_eq(n, 59);
	for (i = 0; i < n; i++)
		ck_assert_msg(b[i].x1 > LEFT + 74 * COL, "line %d short", i);
	ck_assert_uint_eq(info.pages, 3);
	ft_page_free(p);
	g_string_free(s, TRUE);
}
END_TEST

/* Tabs, CRLF and CR give the same page as spaces and LF. */
START_TEST(test_fax_text_tabs_line_ends)
{
	struct ft_page *a = render("ab\tX\nline2\n", 11, "a.tif", NULL);
	struct ft_page *b = render("ab      X\r\nline2\r\n", 18, "b.tif", NULL);
	struct ft_page *c = render("ab      X\rline2\r", 16, "c.tif", NULL);
	struct ft_page *d = render("ab\x01\x7f\xc2\x85\tX\nline2\n", 15, "d.tif",
	    NULL);

	ck_assert_uint_eq(ft_diff_rows(a, b), 0);
	ck_assert_uint_eq(ft_diff_rows(a, c), 0);
	ck_assert_uint_eq(ft_diff_rows(a, d), 0);	/* controls dropped */
	ft_page_free(a);
	ft_page_free(b);
	ft_page_free(c);
	ft_page_free(d);
}
END_TEST

START_TEST(test_fax_text_form_feed_and_limit)
{
	static const struct {
		const char *text;
		unsigned pages;
	} ff[] = {
		{ "a\fb", 2 },
		{ "a\n\fb\n", 2 },
		{ "a\f", 1 },
		{ "\fa", 1 },
		{ "a\f\fb", 2 },
		{ "a\fb\fc", 3 },
	};
	struct fax_text_options o = { .max_pages = 2 };
	struct fax_tiff_info info;
	unsigned pages;
	char err[200], *big;
	struct ft_page *p;
	size_t n;

	for (size_t i = 0; i < sizeof(ff) / sizeof(ff[0]); i++) {
		p = render(ff[i].text, strlen(ff[i].text), "f.tif", &pages);
		ck_assert_msg(pages == ff[i].pages, "%zu: %u pages", i, pages);
		ft_page_free(p);
	}
	/* 59 lines a page: 118 fit on 2 pages, 120 need 3 */
	big = malloc(120 * 6 + 1);
	for (n = 0; n < 120; n++)
		memcpy(big + n * 6, "line.\n", 6);
	p = render(big, 118 * 6, "l.tif", &pages);
	ck_assert_uint_eq(pages, 2);
	ft_page_free(p);
	p = render(big, 120 * 6, "l.tif", &pages);
	ck_assert_uint_eq(pages, 3);
	ft_page_free(p);
	ck_assert_int_eq(fax_text_render(big, 120 * 6, &o, ft_path("x.tif"),
	    &info, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "text longer than 2 pages");
	ck_assert_int_eq(access(ft_path("x.tif"), F_OK), -1);
	free(big);
}
END_TEST

/* A text page is a normalized page: it goes through a fax call. */
START_TEST(test_fax_text_sends)
{
	struct t37fax_loopback_opts o = { .ecm = 1, .t38 = 1 };
	struct fax_result tr, rr;
	static const char text[] = "Dear customer,\n\nyour order has "
	    "shipped.\fPage two. Страница два.";
	struct ft_page *p = render(text, strlen(text), "t.tif", NULL), *got;
	char err[200];

	ck_assert_int_eq(t37fax_loopback_run(ft_path("t.tif"), ft_path("r.tif"),
	    &o, &tr, &rr, err, sizeof(err)), 0);
	ck_assert(t37fax_loopback_ok(&tr, &rr));
	ck_assert_int_eq(rr.pages_rx, 2);
	got = ft_read(ft_path("r.tif"), 0);
	ck_assert_uint_eq(ft_diff_rows(got, p), 0);
	ft_page_free(got);
	ft_page_free(p);
}
END_TEST

static const struct {
	const char *tmpl;
	unsigned page, pages;
	const char *out;
} expand_cases[] = {
	{ "$a$ $t$", 1, 2, "2026-11-23 09:40" },
	{ "To: $d$", 1, 1, "To: +15551234" },
	{ "From $s$ page $p$", 3, 7, "From Alice page 3/7" },
	{ "$x$ kept, $$ and $ too", 1, 1, "$x$ kept, $$ and $ too" },
	{ "$p$$p$", 2, 2, "2/22/2" },
	{ "", 1, 1, "" },
	{ "trailing $", 1, 1, "trailing $" },
};

START_TEST(test_fax_header_expand)
{
	struct fax_header_vars v = { "2026-11-23", "+15551234", "Alice",
	    "09:40" };
	char out[64];

	fax_header_expand(expand_cases[_i].tmpl, &v, expand_cases[_i].page,
	    expand_cases[_i].pages, out, sizeof(out));
	ck_assert_str_eq(out, expand_cases[_i].out);
}
END_TEST

START_TEST(test_fax_header_expand_truncates)
{
	struct fax_header_vars v = { .sender = "a very long sender name" };
	char out[8];

	ck_assert_uint_eq(fax_header_expand("$s$", &v, 1, 1, out, sizeof(out)),
	    7);
	ck_assert_str_eq(out, "a very ");
	ck_assert_uint_eq(fax_header_expand("$s$", NULL, 1, 1, out, sizeof(out)),
	    0);
}
END_TEST

/* The header goes into a band at the top of every page; the rest of the
 * page is untouched; fine and standard pages alike. */
START_TEST(test_fax_header_stamp)
{
	struct fax_header h = { "$a$ $t$", "Fax from $s$", "Page $p$",
	    { "2026-11-23", "+15551234", "Алиса 李", "09:40" } };
	struct ft_page *pg[2], *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	char err[200];
	unsigned bad;
	uint32_t band[2] = { 64, 32 };	/* 8.3 mm */
	uint32_t x0, y0, x1, y1, text_h[2];
	double ratio;

	pg[0] = ft_pattern(1728, 400, 1);
	pg[1] = ft_pattern(1728, 300, 2);
	pg[1]->yres = 98;
	ft_write(ft_path("in.tif"), pg, 2, &L);
	ck_assert_msg(fax_header_stamp(ft_path("in.tif"), ft_path("out.tif"), &h,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(ft_pages(ft_path("out.tif")), 2);
	for (int i = 0; i < 2; i++) {
		struct ft_page *top;

		got = ft_read(ft_path("out.tif"), i);
		ck_assert_uint_eq(got->h, pg[i]->h);
		ck_assert_float_eq(got->yres, pg[i]->yres);
		/* text at the left, centre and right of the band */
		ck_assert(ft_black_in(got, 32, 0, 300, band[i]));
		ck_assert(ft_black_in(got, 700, 0, 1028, band[i]));
		ck_assert(ft_black_in(got, 1500, 0, 1696, band[i]));
		/* the border under the band is gone, the rest intact */
		ck_assert(!ft_black_in(got, 0, 0, 32, band[i]));
		ck_assert(!ft_black_in(got, 1697, 0, 1728, band[i]));
		bad = 0;
		for (uint32_t y = band[i]; y < got->h; y++)
			for (uint32_t x = 0; x < 1728; x++)
				bad += ft_get(got, x, y) != ft_get(pg[i], x, y);
		ck_assert_uint_eq(bad, 0);
		/* the header text alone, for its height */
		top = ft_page_new(1728, band[i]);
		for (uint32_t y = 0; y < band[i]; y++)
			for (uint32_t x = 0; x < 1728; x++)
				if (ft_get(got, x, y))
					ft_set(top, x, y);
		ck_assert(ft_bbox(top, &x0, &y0, &x1, &y1));
		ck_assert_uint_gt(y0, 0);
		ck_assert_uint_lt(y1, band[i] - 1);
		text_h[i] = y1 - y0 + 1;
		ft_page_free(top);
		ft_page_free(got);
	}
	/* as tall on paper at either resolution */
	ratio = (double)text_h[0] / text_h[1];
	ck_assert_msg(ratio > 1.8 && ratio < 2.2, "ratio %.2f", ratio);
	/* in place, and the page numbers differ between pages */
	ck_assert_int_eq(fax_header_stamp(ft_path("in.tif"), ft_path("in.tif"),
	    &h, err, sizeof(err)), 0);
	ck_assert_int_eq(fax_header_stamp(ft_path("nope.tif"), ft_path("o.tif"),
	    &h, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ft_page_free(pg[0]);
	ft_page_free(pg[1]);
}
END_TEST

/* Parts too long for the line are cut to a third each and never overlap
 * or leave the page; bytes that are not UTF-8 and control characters in
 * a variable do not break the line. */
START_TEST(test_fax_header_long_parts)
{
	char longs[300];
	struct fax_header h = { "$s$", "$s$", "$s$", { "d", "n", longs, "t" } };
	struct ft_page *pg, *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	char err[200];
	uint32_t third = (1728 - 64) / 3;

	memset(longs, 'W', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	longs[10] = '\n';
	longs[20] = '\xff';
	longs[21] = '\xc3';
	pg = ft_page_new(1728, 300);
	pg->xres = 204;
	pg->yres = 196;
	ft_write(ft_path("in.tif"), &pg, 1, &L);
	ck_assert_msg(fax_header_stamp(ft_path("in.tif"), ft_path("out.tif"), &h,
	    err, sizeof(err)) == 0, "%s", err);
	got = ft_read(ft_path("out.tif"), 0);
	ck_assert(ft_black_in(got, 32, 0, 32 + third, 64));
	ck_assert(ft_black_in(got, 32 + third, 0, 32 + 2 * third, 64));
	ck_assert(ft_black_in(got, 32 + 2 * third, 0, 1696, 64));
	ck_assert(!ft_black_in(got, 1697, 0, 1728, 64));
	ck_assert(!ft_black_in(got, 0, 0, 31, 64));
	/* gaps between the parts */
	for (int k = 1; k < 3; k++) {
		uint32_t gx = 32 + k * third;

		ck_assert(!ft_black_in(got, gx - 4, 0, gx + 4, 64));
	}
	ck_assert(!ft_black_in(got, 0, 64, 1728, 300));
	ft_page_free(got);
	ft_page_free(pg);
}
END_TEST

Suite *
suite_fax_text(void)
{
	Suite *s = suite_create("fax_text");
	TCase *tc = tcase_create("text");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fax_text_fonts);
	tcase_add_test(tc, test_fax_text_empty_and_format);
	tcase_add_test(tc, test_fax_text_scripts);
	tcase_add_test(tc, test_fax_text_cjk_is_not_question_marks);
	tcase_add_test(tc, test_fax_text_missing_glyphs);
	tcase_add_test(tc, test_fax_text_deterministic);
	tcase_add_test(tc, test_fax_text_resolution);
	tcase_add_test(tc, test_fax_text_wrap);
	tcase_add_test(tc, test_fax_text_long_paragraph);
	tcase_add_test(tc, test_fax_text_tabs_line_ends);
	tcase_add_test(tc, test_fax_text_form_feed_and_limit);
	tcase_add_test(tc, test_fax_text_sends);
	tcase_add_loop_test(tc, test_fax_header_expand, 0,
	    (int)(sizeof(expand_cases) / sizeof(expand_cases[0])));
	tcase_add_test(tc, test_fax_header_expand_truncates);
	tcase_add_test(tc, test_fax_header_stamp);
	tcase_add_test(tc, test_fax_header_long_parts);
	suite_add_tcase(s, tc);
	return s;
}
