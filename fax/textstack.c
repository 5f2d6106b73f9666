/*
 * fax/textstack.c: the text stack under text pages and header lines:
 * fontconfig with the gateway's own fixed configuration, Pango contexts on
 * it (shaping, bidi, fallback between fonts by coverage), and a Cairo
 * canvas whose greyscale coverage becomes bilevel fax rows.
 *
 * The font configuration is built once per process and never changes:
 * the system font directories, the system font cache, no per-user font
 * directories and nothing from the environment, so what a fax looks like
 * does not depend on who runs the daemon. Fontconfig is thread-safe once
 * the configuration exists; each rendering call makes its own Pango font
 * map and context (Pango objects are not shared between threads).
 *
 * Not here: layout of text into pages (text.c) or header lines (header.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <fontconfig/fontconfig.h>
#include <pango/pangofc-fontmap.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fax/fax.h"
#include "fax/text_int.h"

#define FONTS_ERR_MAX	160

/*
 * The whole configuration. Hinting is off so that outlines keep their
 * shapes under the 204 x 98 dpi scaling; generic names map to the fonts
 * the gateway documents (DejaVu for Latin, Greek, Cyrillic, Arabic and
 * Hebrew, Noto CJK for Chinese, Japanese and Korean); any other installed
 * font still serves as fallback by coverage.
 */
static const char fonts_conf[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE fontconfig SYSTEM \"urn:fontconfig:fonts.dtd\">\n"
    "<fontconfig>\n"
    " <dir>/usr/share/fonts</dir>\n"
    " <dir>/usr/local/share/fonts</dir>\n"
    " <cachedir>/var/cache/fontconfig</cachedir>\n"
    " <config><rescan><int>0</int></rescan></config>\n"
    " <match target=\"pattern\">\n"
    "  <edit name=\"antialias\" mode=\"assign\"><bool>true</bool></edit>\n"
    "  <edit name=\"hinting\" mode=\"assign\"><bool>false</bool></edit>\n"
    "  <edit name=\"autohint\" mode=\"assign\"><bool>false</bool></edit>\n"
    "  <edit name=\"embeddedbitmap\" mode=\"assign\"><bool>false</bool></edit>\n"
    " </match>\n"
    " <alias><family>monospace</family><prefer>"
    "<family>DejaVu Sans Mono</family><family>Noto Sans Mono CJK SC</family>"
    "</prefer></alias>\n"
    " <alias><family>sans-serif</family><prefer>"
    "<family>DejaVu Sans</family><family>Noto Sans CJK SC</family>"
    "</prefer></alias>\n"
    "</fontconfig>\n";

/* Written once under fonts_once, read-only afterwards. */
static pthread_once_t fonts_once = PTHREAD_ONCE_INIT;
static FcConfig *fonts_config;		/* owned for the process's life */
static int fonts_count = -1;
static char fonts_err[FONTS_ERR_MAX];

/* The families the gateway documents (t37gw.conf(5)): checked at start. */
static const char *const fonts_wanted[] = {
	"DejaVu Sans Mono", "DejaVu Sans", "Noto Sans Mono CJK SC",
	"Noto Sans CJK SC",
};

static void	 fonts_build(void);
static uint8_t	 rev8(unsigned);
static uint8_t	 ink_byte(const unsigned char *, unsigned);
static unsigned	 ink_row(const unsigned char *, uint8_t *, unsigned);

static void
fonts_build(void)
{
	FcConfig *c;
	FcFontSet *set;

	if ((c = FcConfigCreate()) == NULL) {
		snprintf(fonts_err, sizeof(fonts_err), "fontconfig: out of memory");
		return;
	}
	if (!FcConfigParseAndLoadFromMemory(c, (const FcChar8 *)fonts_conf,
	    FcTrue) || !FcConfigBuildFonts(c)) {
		FcConfigDestroy(c);
		snprintf(fonts_err, sizeof(fonts_err),
		    "fontconfig: the font configuration does not load");
		return;
	}
	set = FcConfigGetFonts(c, FcSetSystem);
	/* The current configuration too: Cairo resolves some patterns against
	 * it, and it must never load the user's. */
	FcConfigSetCurrent(c);
	fonts_count = set != NULL ? set->nfont : 0;
	fonts_config = c;
}

int
fax_fonts_load(char *err, size_t errlen)
{
	pthread_once(&fonts_once, fonts_build);
	if (fonts_config == NULL) {
		snprintf(err, errlen, "%s", fonts_err);
		return -1;
	}
	return fonts_count;
}

int
fax_text_init(char *err, size_t errlen)
{
	return fax_fonts_load(err, errlen);
}

int
fax_text_fonts_missing(char *buf, size_t len)
{
	char err[FONTS_ERR_MAX];
	size_t i, o = 0;
	int missing = 0;

	if (len > 0)
		buf[0] = '\0';
	if (fax_fonts_load(err, sizeof(err)) < 0)
		return (int)(sizeof(fonts_wanted) / sizeof(fonts_wanted[0]));
	for (i = 0; i < sizeof(fonts_wanted) / sizeof(fonts_wanted[0]); i++) {
		FcPattern *pat = FcPatternBuild(NULL, FC_FAMILY, FcTypeString,
		    fonts_wanted[i], (char *)NULL);
		FcObjectSet *os = FcObjectSetBuild(FC_FAMILY, (char *)NULL);
		FcFontSet *fs = pat && os ? FcFontList(fonts_config, pat, os) :
		    NULL;

		if (fs == NULL || fs->nfont == 0) {
			missing++;
			if (o < len)
				o += (size_t)snprintf(buf + o, len - o, "%s%s",
				    o ? ", " : "", fonts_wanted[i]);
		}
		if (fs != NULL)
			FcFontSetDestroy(fs);
		if (os != NULL)
			FcObjectSetDestroy(os);
		if (pat != NULL)
			FcPatternDestroy(pat);
	}
	return missing;
}

PangoContext *
fax_text_context(char *err, size_t errlen)
{
	cairo_font_options_t *fo;
	PangoFontMap *fm;
	PangoContext *ctx;

	if (fax_fonts_load(err, errlen) < 0)
		return NULL;
	fm = pango_cairo_font_map_new_for_font_type(CAIRO_FONT_TYPE_FT);
	if (fm == NULL) {
		snprintf(err, errlen, "no FreeType font map in Pango");
		return NULL;
	}
	pango_fc_font_map_set_config(PANGO_FC_FONT_MAP(fm), fonts_config);
	ctx = pango_font_map_create_context(fm);
	g_object_unref(fm);		/* the context holds it */
	pango_cairo_context_set_resolution(ctx, FAX_TEXT_UNITS_PER_INCH);
	fo = cairo_font_options_create();
	cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	pango_cairo_context_set_font_options(ctx, fo);
	cairo_font_options_destroy(fo);
	pango_context_set_round_glyph_positions(ctx, FALSE);
	return ctx;
}

unsigned
fax_text_line_missing(PangoLayoutLine *line)
{
	unsigned n = 0;
	GSList *l;
	int i;

	for (l = line->runs; l != NULL; l = l->next) {
		const PangoGlyphItem *run = l->data;

		for (i = 0; i < run->glyphs->num_glyphs; i++) {
			PangoGlyph g = run->glyphs->glyphs[i].glyph;

			if ((g & PANGO_GLYPH_UNKNOWN_FLAG) &&
			    g != PANGO_GLYPH_INVALID_INPUT)
				n++;
		}
	}
	return n;
}

/* ---------------------------------------------------------------- canvas */

int
fax_canvas_init(struct fax_canvas *c, unsigned width, unsigned rows,
    int yres, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->surface = cairo_image_surface_create(CAIRO_FORMAT_A8, (int)width,
	    (int)rows);
	if (cairo_surface_status(c->surface) != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "out of memory (text canvas)");
		fax_canvas_free(c);
		return -1;
	}
	c->cr = cairo_create(c->surface);
	if (cairo_status(c->cr) != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "out of memory (text canvas)");
		fax_canvas_free(c);
		return -1;
	}
	c->width = width;
	c->rows = rows;
	c->yres = yres;
	/* Layout units are square; page rows are 98 or 196 per inch. */
	cairo_scale(c->cr, 1.0, (double)yres / FAX_TEXT_UNITS_PER_INCH);
	cairo_set_source_rgba(c->cr, 0, 0, 0, 1);
	return 0;
}

void
fax_canvas_line(struct fax_canvas *c, PangoLayoutLine *line, double x,
    double y)
{
	cairo_move_to(c->cr, x, y);
	pango_cairo_show_layout_line(c->cr, line);
}

/* The bits of a byte in reverse order. */
static uint8_t
rev8(unsigned b)
{
	b = ((b & 0xf0) >> 4) | ((b & 0x0f) << 4);
	b = ((b & 0xcc) >> 2) | ((b & 0x33) << 2);
	b = ((b & 0xaa) >> 1) | ((b & 0x55) << 1);
	return (uint8_t)b;
}

/* Up to 8 coverage values to one MSB-first byte of black pixels. */
static uint8_t
ink_byte(const unsigned char *src, unsigned n)
{
	uint8_t byte = 0;
	unsigned k;

	for (k = 0; k < n; k++)
		if (src[k] >= FAX_TEXT_INK_THRESHOLD)
			byte |= (uint8_t)(0x80 >> k);
	return byte;
}

/*
 * ORs one row of w coverage values into dst; returns nonzero when the row
 * had any coverage at all. Most of a page is paper, so blank stretches
 * are skipped 16 pixels at a time.
 */
static unsigned
ink_row(const unsigned char *src, uint8_t *dst, unsigned w)
{
	unsigned x = 0, any = 0;
#ifdef __SSE2__
	const __m128i bias = _mm_set1_epi8((char)0x80);
	const __m128i thr = _mm_set1_epi8((char)(FAX_TEXT_INK_THRESHOLD - 1 - 0x80));
	const __m128i zero = _mm_setzero_si128();

	for (; x + 16 <= w; x += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + x));
		unsigned m;

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) == 0xffff)
			continue;
		any = 1;
		/* unsigned v >= threshold, as a signed compare after a bias */
		m = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(
		    _mm_xor_si128(v, bias), thr));
		if (m == 0)
			continue;
		/* bit k of m is pixel x + k; fax rows are MSB first */
		dst[x / 8] |= rev8(m & 0xff);
		dst[x / 8 + 1] |= rev8(m >> 8);
	}
#endif
	for (; x < w; x += 8) {
		unsigned n = w - x < 8 ? w - x : 8;
		uint64_t eight = 0;

		memcpy(&eight, src + x, n);
		if (eight == 0)
			continue;
		any = 1;
		dst[x / 8] |= ink_byte(src + x, n);
	}
	return any;
}

void
fax_canvas_to_bitmap(struct fax_canvas *c, struct fax_bitmap *b, unsigned y0)
{
	unsigned char *data, *src;
	unsigned r, w = c->width < b->width ? c->width : b->width;
	size_t stride;

	cairo_surface_flush(c->surface);
	data = cairo_image_surface_get_data(c->surface);
	stride = (size_t)cairo_image_surface_get_stride(c->surface);
	for (r = 0; r < c->rows && y0 + r < b->height; r++) {
		src = data + (size_t)r * stride;
		/* Leave the canvas clear for the next page. */
		if (ink_row(src, fax_bitmap_row(b, y0 + r), w))
			memset(src, 0, stride);
	}
	cairo_surface_mark_dirty(c->surface);
}

void
fax_canvas_free(struct fax_canvas *c)
{
	if (c->cr != NULL)
		cairo_destroy(c->cr);
	if (c->surface != NULL)
		cairo_surface_destroy(c->surface);
	c->cr = NULL;
	c->surface = NULL;
}
