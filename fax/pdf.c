/*
 * fax/pdf.c: a received fax as a PDF, for mail readers that show PDF but
 * not multi-page TIFF.
 *
 * The pages keep their original coding: each TIFF strip (MH, MR or MMR,
 * as the fax machine sent it and Profile S stored it) becomes a PDF image
 * XObject with /CCITTFaxDecode and the parameters that describe it (K,
 * Columns, Rows, EncodedByteAlign, EndOfLine, BlackIs1), nothing decoded
 * or re-encoded; the only change is the bit order, which PDF fixes at most
 * significant bit first (TIFF FillOrder 2 is reversed byte by byte). Each
 * page's MediaBox comes from its width and rows at its own resolution, so a
 * standard (98 dpi) page and a fine (196 dpi) page both have their paper
 * size. The document info carries title, author (the caller), subject and
 * date, as UTF-16 text strings. The cross-reference table is written with
 * the byte offset of every object.
 *
 * Not here: deciding whether a PDF is wanted, mail (mime/).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "fax/fax.h"
#include "fax/fax_int.h"

#define PDF_MAX_OBJECTS		100000	/* pages * (strips + 2) + 3 */
#define PDF_INFO_TEXT_MAX	256	/* characters of a metadata string */

/* The document being written: the output and where each object starts. */
struct pdf_out {
	FILE *f;			/* owned: an open_memstream */
	long *offset;			/* owned: offset[obj], 0 = unused */
	unsigned nobj;			/* objects allocated so far (+1: 0) */
	unsigned cap;
};

/* One page as the TIFF describes it. */
struct pdf_page {
	uint32_t width, rows, rows_per_strip;
	uint16_t compression, fillorder, photometric;
	uint32_t g3opts;
	float xres, yres;
	unsigned nstrips;
};

/* Byte bit reversal, built once (FillOrder 2 to PDF's order). */
static pthread_once_t bitrev_once = PTHREAD_ONCE_INIT;
static uint8_t	 bitrev[256];

static void	 bitrev_init(void);
static unsigned	 obj_new(struct pdf_out *);
static int	 obj_begin(struct pdf_out *, unsigned);
static void	 put_num(FILE *, double);
static void	 put_text(FILE *, const char *);
static int	 page_read(struct fax_tiff_in *, struct pdf_page *, char *,
		    size_t);
static int	 page_write(struct pdf_out *, struct fax_tiff_in *,
		    const struct pdf_page *, unsigned, unsigned *, char *,
		    size_t);

static void
bitrev_init(void)
{
	unsigned i, b;

	for (i = 0; i < 256; i++) {
		uint8_t r = 0;

		for (b = 0; b < 8; b++)
			if (i & (1u << b))
				r |= (uint8_t)(0x80 >> b);
		bitrev[i] = r;
	}
}

/* A new object number (its offset recorded by obj_begin). */
static unsigned
obj_new(struct pdf_out *o)
{
	if (o->nobj + 1 >= o->cap) {
		unsigned cap = o->cap ? o->cap * 2 : 64;
		long *n = realloc(o->offset, cap * sizeof(*n));

		if (n == NULL || cap > PDF_MAX_OBJECTS)
			return 0;
		memset(n + o->cap, 0, (cap - o->cap) * sizeof(*n));
		o->offset = n;
		o->cap = cap;
	}
	return ++o->nobj;
}

static int
obj_begin(struct pdf_out *o, unsigned n)
{
	if (n == 0)
		return -1;
	o->offset[n] = ftell(o->f);
	fprintf(o->f, "%u 0 obj\n", n);
	return 0;
}

/* A real number with three decimals, whatever the locale. */
static void
put_num(FILE *f, double v)
{
	long m = (long)(v * 1000.0 + (v < 0 ? -0.5 : 0.5));

	if (m < 0) {
		fputc('-', f);
		m = -m;
	}
	fprintf(f, "%ld", m / 1000);
	if (m % 1000 != 0)
		fprintf(f, ".%03ld", m % 1000);
}

/* A text string (PDF 7.9.2.2) as UTF-16BE with its byte order mark, in
 * hex: any character, nothing to escape. */
static void
put_text(FILE *f, const char *utf8)
{
	char *valid = g_utf8_make_valid(utf8, -1);
	gunichar2 *u;
	glong n = 0, i;

	if (g_utf8_strlen(valid, -1) > PDF_INFO_TEXT_MAX) {
		char *cut = g_utf8_substring(valid, 0, PDF_INFO_TEXT_MAX);

		g_free(valid);
		valid = cut;
	}
	u = g_utf8_to_utf16(valid, -1, NULL, &n, NULL);
	fputs("<FEFF", f);
	for (i = 0; u != NULL && i < n; i++)
		fprintf(f, "%04X", (unsigned)u[i]);
	fputc('>', f);
	g_free(u);
	g_free(valid);
}

/* The current directory's facts; -1 with err for pages PDF cannot carry. */
static int
page_read(struct fax_tiff_in *in, struct pdf_page *p, char *err,
    size_t errlen)
{
	TIFF *t = in->tif;
	uint16_t bps = 1, spp = 1, unit = RESUNIT_INCH;

	memset(p, 0, sizeof(*p));
	TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &p->width);
	TIFFGetField(t, TIFFTAG_IMAGELENGTH, &p->rows);
	TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(t, TIFFTAG_COMPRESSION, &p->compression);
	TIFFGetFieldDefaulted(t, TIFFTAG_FILLORDER, &p->fillorder);
	TIFFGetFieldDefaulted(t, TIFFTAG_PHOTOMETRIC, &p->photometric);
	TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &p->rows_per_strip);
	if (p->compression == COMPRESSION_CCITTFAX3)
		TIFFGetFieldDefaulted(t, TIFFTAG_GROUP3OPTIONS, &p->g3opts);
	if (bps != 1 || spp != 1 || TIFFIsTiled(t)) {
		snprintf(err, errlen, "not a bilevel fax page");
		return -1;
	}
	if (p->width == 0 || p->rows == 0 || p->width > FAX_TIFF_MAX_DIM_DEFAULT ||
	    p->rows > FAX_TIFF_MAX_DIM_DEFAULT) {
		snprintf(err, errlen, "absurd page dimensions %ux%u", p->width,
		    p->rows);
		return -1;
	}
	if (p->compression != COMPRESSION_CCITTRLE &&
	    p->compression != COMPRESSION_CCITTFAX3 &&
	    p->compression != COMPRESSION_CCITTFAX4) {
		snprintf(err, errlen, "compression %u is not a fax coding",
		    p->compression);
		return -1;
	}
	if (p->compression == COMPRESSION_CCITTFAX3 &&
	    (p->g3opts & GROUP3OPT_UNCOMPRESSED)) {
		snprintf(err, errlen, "T.4 uncompressed mode has no PDF form");
		return -1;
	}
	if (p->rows_per_strip == 0 || p->rows_per_strip > p->rows)
		p->rows_per_strip = p->rows;
	p->nstrips = TIFFNumberOfStrips(t);
	if (p->nstrips != (p->rows + p->rows_per_strip - 1) / p->rows_per_strip) {
		snprintf(err, errlen, "corrupt TIFF: %u strips for %u rows",
		    p->nstrips, p->rows);
		return -1;
	}
	p->xres = FAX_XRES;
	p->yres = p->rows > 1500 ? FAX_YRES_FINE : FAX_YRES_STANDARD;
	if (TIFFGetField(t, TIFFTAG_XRESOLUTION, &p->xres) &&
	    TIFFGetField(t, TIFFTAG_YRESOLUTION, &p->yres)) {
		TIFFGetFieldDefaulted(t, TIFFTAG_RESOLUTIONUNIT, &unit);
		if (unit == RESUNIT_CENTIMETER) {
			p->xres *= 2.54f;
			p->yres *= 2.54f;
		}
	}
	if (!(p->xres >= 50 && p->xres <= 1200 && p->yres >= 25 &&
	    p->yres <= 1200)) {
		snprintf(err, errlen, "implausible resolution %.0fx%.0f",
		    (double)p->xres, (double)p->yres);
		return -1;
	}
	return 0;
}

/*
 * The page's image objects (one per strip), its content stream and the
 * page dictionary; *page_obj gets the page's object number.
 */
static int
page_write(struct pdf_out *o, struct fax_tiff_in *in, const struct pdf_page *p,
    unsigned pages_obj, unsigned *page_obj, char *err, size_t errlen)
{
	double w_pt = p->width * 72.0 / p->xres, h_pt = p->rows * 72.0 / p->yres;
	unsigned first = o->nobj + 1, s, contents;
	GString *cs = g_string_new(NULL);
	uint8_t *buf = NULL;
	size_t cap = 0;
	int k, align, eol, rc = -1;

	switch (p->compression) {
	case COMPRESSION_CCITTRLE:	/* MH, no EOLs, rows byte-aligned */
		k = 0, align = 1, eol = 0;
		break;
	case COMPRESSION_CCITTFAX3:	/* T.4: EOL before every row */
		k = (p->g3opts & GROUP3OPT_2DENCODING) ? 4 : 0;
		align = 0, eol = 1;
		break;
	default:			/* T.6 */
		k = -1, align = 0, eol = 0;
		break;
	}
	for (s = 0; s < p->nstrips; s++) {
		uint32_t r0 = s * p->rows_per_strip;
		uint32_t n = p->rows - r0 < p->rows_per_strip ? p->rows - r0 :
		    p->rows_per_strip;
		uint64_t *sizes = NULL;
		tmsize_t got;
		size_t sz, i;
		unsigned obj = obj_new(o);

		if (!TIFFGetField(in->tif, TIFFTAG_STRIPBYTECOUNTS, &sizes) ||
		    sizes == NULL || sizes[s] == 0 || sizes[s] > in->size) {
			snprintf(err, errlen, "corrupt TIFF: strip %u has no data", s);
			goto out;
		}
		sz = (size_t)sizes[s];
		if (sz > cap) {
			uint8_t *nb = realloc(buf, sz);

			if (nb == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			buf = nb;
			cap = sz;
		}
		got = TIFFReadRawStrip(in->tif, s, buf, (tmsize_t)sz);
		if (got <= 0 || obj_begin(o, obj) < 0) {
			snprintf(err, errlen, "corrupt TIFF: %s", in->msg[0] ?
			    in->msg : "strip unreadable");
			goto out;
		}
		if (p->fillorder == FILLORDER_LSB2MSB)
			for (i = 0; i < (size_t)got; i++)
				buf[i] = bitrev[buf[i]];
		fprintf(o->f, "<< /Type /XObject /Subtype /Image /Width %u "
		    "/Height %u /ColorSpace /DeviceGray /BitsPerComponent 1 "
		    "/Filter /CCITTFaxDecode /DecodeParms << /K %d /Columns %u "
		    "/Rows %u /EncodedByteAlign %s /EndOfLine %s /EndOfBlock false "
		    "/BlackIs1 false >>%s /Length %ld >>\nstream\n", p->width, n, k,
		    p->width, n, align ? "true" : "false", eol ? "true" : "false",
		    p->photometric == PHOTOMETRIC_MINISBLACK ? " /Decode [1 0]" :
		    "", (long)got);
		fwrite(buf, 1, (size_t)got, o->f);
		fputs("\nendstream\nendobj\n", o->f);
		/* Draw the strip over its rows: PDF's y axis points up. */
		{
			char *line;
			FILE *m;
			size_t ml = 0;

			line = NULL;
			if ((m = open_memstream(&line, &ml)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			fputs("q ", m);
			put_num(m, w_pt);
			fputs(" 0 0 ", m);
			put_num(m, n * 72.0 / p->yres);
			fputs(" 0 ", m);
			put_num(m, h_pt - (r0 + n) * 72.0 / p->yres);
			fprintf(m, " cm /Im%u Do Q\n", s);
			fclose(m);
			g_string_append(cs, line);
			free(line);
		}
	}
	contents = obj_new(o);
	if (obj_begin(o, contents) < 0) {
		snprintf(err, errlen, "too many PDF objects");
		goto out;
	}
	fprintf(o->f, "<< /Length %zu >>\nstream\n%s\nendstream\nendobj\n",
	    cs->len, cs->str);
	*page_obj = obj_new(o);
	if (obj_begin(o, *page_obj) < 0) {
		snprintf(err, errlen, "too many PDF objects");
		goto out;
	}
	fprintf(o->f, "<< /Type /Page /Parent %u 0 R /MediaBox [0 0 ", pages_obj);
	put_num(o->f, w_pt);
	fputc(' ', o->f);
	put_num(o->f, h_pt);
	fputs("] /Resources << /XObject <<", o->f);
	for (s = 0; s < p->nstrips; s++)
		fprintf(o->f, " /Im%u %u 0 R", s, first + s);
	fprintf(o->f, " >> >> /Contents %u 0 R >>\nendobj\n", contents);
	rc = 0;
out:
	free(buf);
	g_string_free(cs, TRUE);
	return rc;
}

int
fax_tiff_to_pdf(const char *tiff_path, const struct fax_pdf_meta *meta,
    unsigned char **pdf, size_t *pdf_len, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	struct pdf_out o;
	struct pdf_page pg;
	unsigned *kids = NULL, pages_obj, info_obj, root_obj, i;
	char *buf = NULL;
	size_t len = 0;
	long xref;
	int nd, d, rc = -1;

	*pdf = NULL;
	*pdf_len = 0;
	pthread_once(&bitrev_once, bitrev_init);
	memset(&o, 0, sizeof(o));
	if (fax_tiff_in_open(&in, tiff_path, err, errlen) < 0)
		return -1;
	nd = TIFFNumberOfDirectories(in.tif);
	if (nd <= 0 || nd > FAX_PDF_MAX_PAGES) {
		snprintf(err, errlen, nd <= 0 ? "corrupt TIFF: no pages" :
		    "too many pages for a PDF (limit %d)", FAX_PDF_MAX_PAGES);
		goto out;
	}
	if ((o.f = open_memstream(&buf, &len)) == NULL ||
	    (kids = calloc((size_t)nd, sizeof(*kids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* Objects 1..3: the page tree, the info, the catalog (written last,
	 * when the pages are known). */
	pages_obj = obj_new(&o);
	info_obj = obj_new(&o);
	root_obj = obj_new(&o);
	fputs("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", o.f);
	for (d = 0; d < nd; d++) {
		char perr[200];

		if (!TIFFSetDirectory(in.tif, (tdir_t)d) ||
		    page_read(&in, &pg, perr, sizeof(perr)) < 0 ||
		    page_write(&o, &in, &pg, pages_obj, &kids[d], perr,
		    sizeof(perr)) < 0) {
			snprintf(err, errlen, "page %d: %s", d + 1,
			    in.msg[0] ? in.msg : perr);
			goto out;
		}
	}
	obj_begin(&o, pages_obj);
	fputs("<< /Type /Pages /Kids [", o.f);
	for (d = 0; d < nd; d++)
		fprintf(o.f, "%s%u 0 R", d ? " " : "", kids[d]);
	fprintf(o.f, "] /Count %d >>\nendobj\n", nd);
	obj_begin(&o, info_obj);
	fputs("<< /Producer (t37gw " T37GW_VERSION ") /Creator (t37gw)", o.f);
	if (meta != NULL && meta->title != NULL) {
		fputs(" /Title ", o.f);
		put_text(o.f, meta->title);
	}
	if (meta != NULL && meta->author != NULL) {
		fputs(" /Author ", o.f);
		put_text(o.f, meta->author);
	}
	if (meta != NULL && meta->subject != NULL) {
		fputs(" /Subject ", o.f);
		put_text(o.f, meta->subject);
	}
	if (meta != NULL && meta->created != 0) {
		struct tm tm;
		char date[32];

		gmtime_r(&meta->created, &tm);
		strftime(date, sizeof(date), "D:%Y%m%d%H%M%SZ", &tm);
		fprintf(o.f, " /CreationDate (%s) /ModDate (%s)", date, date);
	}
	fputs(" >>\nendobj\n", o.f);
	obj_begin(&o, root_obj);
	fprintf(o.f, "<< /Type /Catalog /Pages %u 0 R >>\nendobj\n", pages_obj);
	/* PDF 7.5.4: entries of exactly 20 bytes. */
	xref = ftell(o.f);
	fprintf(o.f, "xref\n0 %u\n0000000000 65535 f\r\n", o.nobj + 1);
	for (i = 1; i <= o.nobj; i++)
		fprintf(o.f, "%010ld 00000 n\r\n", o.offset[i]);
	fprintf(o.f, "trailer\n<< /Size %u /Root %u 0 R /Info %u 0 R >>\n"
	    "startxref\n%ld\n%%%%EOF\n", o.nobj + 1, root_obj, info_obj, xref);
	if (ferror(o.f) || fclose(o.f) != 0) {
		o.f = NULL;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	o.f = NULL;
	*pdf = (unsigned char *)buf;
	*pdf_len = len;
	buf = NULL;
	rc = 0;
out:
	if (o.f != NULL)
		fclose(o.f);
	free(buf);
	free(kids);
	free(o.offset);
	fax_tiff_in_close(&in);
	return rc;
}
