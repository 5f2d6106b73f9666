/*
 * Unit tests for fax/ text pages and the page header line: UTF-8 decoding,
 * unknown characters as '?', word wrap, tabs, form feeds, line endings,
 * the page limit, header template expansion and stamping.
 */
#include "tests/unit/fax_test_util.h"

#include "fax/fax.h"
#include "tools/t37fax.h"

#define LEFT		224		/* (1728 - 80 * 16) / 2 */
#define RIGHT		(LEFT + 80 * 16)
#define TOP		128
#define LINE		36

static struct ft_page *
render(const char *text, size_t len, const char *name, unsigned *pages)
{
	struct fax_tiff_info info;
	char err[200];

	ck_assert_msg(fax_text_render(text, len, NULL, ft_path(name), &info, err,
	    sizeof(err)) == 0, "%s", err);
	if (pages != NULL)
		*pages = info.pages;
	ck_assert_int_eq(ft_pages(ft_path(name)), (int)info.pages);
	return ft_read(ft_path(name), 0);
}

static int
black_in(const struct ft_page *p, uint32_t x0, uint32_t y0, uint32_t x1,
    uint32_t y1)
{
	for (uint32_t y = y0; y < y1 && y < p->h; y++)
		for (uint32_t x = x0; x < x1 && x < p->w; x++)
			if (ft_get(p, x, y))
				return 1;
	return 0;
}

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
	ck_assert_uint_lt(x1, LEFT + 5 * 16);
	ck_assert_uint_ge(y0, TOP);
	ck_assert_uint_lt(y1, TOP + 32);
	ft_page_free(p);
}
END_TEST

/* Anything without a glyph and invalid UTF-8 print as '?'. */
START_TEST(test_fax_text_unknown_is_question_mark)
{
	static const char *const same[] = {
		"\xe4\xb8\x80",		/* U+4E00 */
		"\xff",			/* invalid byte */
		"\xc0\xaf",		/* overlong '/' */
		"\xed\xa0\x80",		/* surrogate */
		"\xf0\x9f\x98",		/* truncated emoji */
	};
	struct ft_page *q = render("?", 1, "q.tif", NULL), *p;
	unsigned bad;

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		p = render(same[i], strlen(same[i]), "u.tif", NULL);
		/* invalid sequences give one '?' per bad byte: compare the
		 * first cell only */
		bad = 0;
		for (uint32_t y = TOP; y < TOP + 32; y++)
			for (uint32_t x = LEFT; x < LEFT + 16; x++)
				bad += ft_get(p, x, y) != ft_get(q, x, y);
		ck_assert_msg(bad == 0, "case %zu", i);
		ft_page_free(p);
	}
	/* Latin-1 and symbols have their own glyphs. */
	p = render("\xc3\xa9", 2, "e.tif", NULL);		/* é */
	ck_assert_uint_ne(ft_diff_rows(p, q), 0);
	ft_page_free(p);
	p = render("\xe2\x82\xac", 3, "euro.tif", NULL);	/* € */
	ck_assert_uint_ne(ft_diff_rows(p, q), 0);
	ft_page_free(p);
	ft_page_free(q);
}
END_TEST

START_TEST(test_fax_text_wrap)
{
	char text[1000];
	struct ft_page *p;
	size_t n = 0;

	/* 20 words of 9 letters: 200 columns -> 3 lines, no word split */
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s",
		    i ? " abcdefghi" : "abcdefghi");
	p = render(text, n, "w.tif", NULL);
	ck_assert(black_in(p, LEFT, TOP, RIGHT, TOP + LINE));
	ck_assert(black_in(p, LEFT, TOP + LINE, RIGHT, TOP + 2 * LINE));
	ck_assert(black_in(p, LEFT, TOP + 2 * LINE, RIGHT, TOP + 3 * LINE));
	ck_assert(!black_in(p, LEFT, TOP + 3 * LINE, RIGHT, 2156));
	ck_assert(!black_in(p, RIGHT, 0, 1728, 2156));
	/* line 1 holds 8 words (79 columns): column 80 is empty */
	ck_assert(!black_in(p, LEFT + 79 * 16, TOP, RIGHT, TOP + LINE));
	ft_page_free(p);
	/* One 200-letter word is cut hard at 80 columns. */
	memset(text, 'x', 200);
	p = render(text, 200, "h.tif", NULL);
	ck_assert(black_in(p, LEFT + 79 * 16, TOP, RIGHT, TOP + LINE));
	ck_assert(black_in(p, LEFT, TOP + 2 * LINE, LEFT + 16, TOP + 3 * LINE));
	ft_page_free(p);
}
END_TEST

/* Tabs, CRLF and CR give the same page as spaces and LF. */
START_TEST(test_fax_text_tabs_line_ends)
{
	struct ft_page *a = render("ab\tX\nline2\n", 11, "a.tif", NULL);
	struct ft_page *b = render("ab      X\r\nline2\r\n", 18, "b.tif", NULL);
	struct ft_page *c = render("ab      X\rline2\r", 16, "c.tif", NULL);

	ck_assert_uint_eq(ft_diff_rows(a, b), 0);
	ck_assert_uint_eq(ft_diff_rows(a, c), 0);
	ft_page_free(a);
	ft_page_free(b);
	ft_page_free(c);
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
	/* 50 lines a page: 120 lines need 3 pages */
	big = malloc(120 * 6 + 1);
	for (n = 0; n < 120; n++)
		memcpy(big + n * 6, "line.\n", 6);
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
	    "shipped.\fPage two.";
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
	    { "2026-11-23", "+15551234", "Alice", "09:40" } };
	struct ft_page *pg[2], *got;
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };
	char err[200];
	unsigned bad;
	uint32_t band[2] = { 64, 32 };	/* 8.3 mm */

	pg[0] = ft_pattern(1728, 400, 1);
	pg[1] = ft_pattern(1728, 300, 2);
	pg[1]->yres = 98;
	ft_write(ft_path("in.tif"), pg, 2, &L);
	ck_assert_msg(fax_header_stamp(ft_path("in.tif"), ft_path("out.tif"), &h,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(ft_pages(ft_path("out.tif")), 2);
	for (int i = 0; i < 2; i++) {
		got = ft_read(ft_path("out.tif"), i);
		ck_assert_uint_eq(got->h, pg[i]->h);
		ck_assert_float_eq(got->yres, pg[i]->yres);
		/* text at the left, centre and right of the band */
		ck_assert(black_in(got, 32, 0, 300, band[i]));
		ck_assert(black_in(got, 700, 0, 1028, band[i]));
		ck_assert(black_in(got, 1500, 0, 1696, band[i]));
		/* the border under the band is gone, the rest intact */
		ck_assert(!black_in(got, 0, 0, 32, band[i]));
		bad = 0;
		for (uint32_t y = band[i]; y < got->h; y++)
			for (uint32_t x = 0; x < 1728; x++)
				bad += ft_get(got, x, y) != ft_get(pg[i], x, y);
		ck_assert_uint_eq(bad, 0);
		ft_page_free(got);
	}
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

Suite *
suite_fax_text(void)
{
	Suite *s = suite_create("fax_text");
	TCase *tc = tcase_create("text");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fax_text_empty_and_format);
	tcase_add_test(tc, test_fax_text_unknown_is_question_mark);
	tcase_add_test(tc, test_fax_text_wrap);
	tcase_add_test(tc, test_fax_text_tabs_line_ends);
	tcase_add_test(tc, test_fax_text_form_feed_and_limit);
	tcase_add_test(tc, test_fax_text_sends);
	tcase_add_loop_test(tc, test_fax_header_expand, 0,
	    (int)(sizeof(expand_cases) / sizeof(expand_cases[0])));
	tcase_add_test(tc, test_fax_header_expand_truncates);
	tcase_add_test(tc, test_fax_header_stamp);
	suite_add_tcase(s, tc);
	return s;
}
