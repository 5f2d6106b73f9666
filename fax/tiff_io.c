/*
 * fax/tiff_io.c: page bitmaps and the low-level TIFF plumbing of fax/:
 * opening input files with captured errors and bounded allocations,
 * reading bilevel pages, writing multi-page fax TIFFs atomically.
 * It does not scale, rotate or threshold (tiff_norm.c does).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fax/fax.h"
#include "fax/fax_int.h"

/* libtiff may allocate at most this much in one go for one input file:
 * a strip or tile buffer of a sane fax page is far below it. */
#define FAX_TIFF_MAX_SINGLE_ALLOC	(64 * 1024 * 1024)

struct fax_writer {
	TIFF *tif;
	enum fax_out_format fmt;
	unsigned pages;			/* announced total, for PageNumber */
	unsigned written;
	char *path;			/* owned: final name */
	char *tmp;			/* owned: temporary name */
};

/* In-memory input for TIFFClientOpen. */
struct fax_mem_file {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

static int	 tiff_in_error(TIFF *, void *, const char *, const char *,
		    va_list);
static int	 tiff_in_warning(TIFF *, void *, const char *, const char *,
		    va_list);
static TIFFOpenOptions *tiff_in_options(struct fax_tiff_in *);
static tmsize_t	 mem_read(thandle_t, void *, tmsize_t);
static tmsize_t	 mem_write(thandle_t, void *, tmsize_t);
static toff_t	 mem_seek(thandle_t, toff_t, int);
static int	 mem_close(thandle_t);
static toff_t	 mem_size(thandle_t);
static int	 mem_map(thandle_t, void **, toff_t *);
static void	 mem_unmap(thandle_t, void *, toff_t);

/* ---------------------------------------------------------- bitmaps */

struct fax_bitmap *
fax_bitmap_new(unsigned width, unsigned height)
{
	struct fax_bitmap *b;

	if (width == 0 || height == 0)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->width = width;
	b->height = height;
	b->stride = (width + 7) / 8;
	if ((b->bits = calloc(height, b->stride)) == NULL) {
		free(b);
		return NULL;
	}
	return b;
}

void
fax_bitmap_free(struct fax_bitmap *b)
{
	if (b == NULL)
		return;
	free(b->bits);
	free(b);
}

/* ----------------------------------------------------------- input */

static int
tiff_in_error(TIFF *tif, void *ud, const char *module, const char *fmt,
    va_list ap)
{
	struct fax_tiff_in *in = ud;

	(void)tif;
	(void)module;
	if (in->msg[0] == '\0')		/* keep the first: it is the cause */
		vsnprintf(in->msg, sizeof(in->msg), fmt, ap);
	return 1;
}

static int
tiff_in_warning(TIFF *tif, void *ud, const char *module, const char *fmt,
    va_list ap)
{
	(void)tif;
	(void)ud;
	(void)module;
	(void)fmt;
	(void)ap;
	return 1;			/* unknown tags etc.: not our concern */
}

static TIFFOpenOptions *
tiff_in_options(struct fax_tiff_in *in)
{
	TIFFOpenOptions *o;

	if ((o = TIFFOpenOptionsAlloc()) == NULL)
		return NULL;
	TIFFOpenOptionsSetMaxSingleMemAlloc(o, FAX_TIFF_MAX_SINGLE_ALLOC);
	TIFFOpenOptionsSetErrorHandlerExtR(o, tiff_in_error, in);
	TIFFOpenOptionsSetWarningHandlerExtR(o, tiff_in_warning, in);
	return o;
}

/* Checks the magic first so "not a TIFF" is told apart from "corrupt". */
int
fax_tiff_in_open(struct fax_tiff_in *in, const char *path, char *err,
    size_t errlen)
{
	TIFFOpenOptions *o;
	unsigned char magic[4];
	struct stat sb;
	FILE *f;
	size_t got;

	memset(in, 0, sizeof(*in));
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	got = fread(magic, 1, sizeof(magic), f);
	fclose(f);
	if (got < 4 || !((magic[0] == 'I' && magic[1] == 'I') ||
	    (magic[0] == 'M' && magic[1] == 'M'))) {
		snprintf(err, errlen, "not a TIFF file");
		return -1;
	}
	if ((o = tiff_in_options(in)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	in->tif = TIFFOpenExt(path, "rm", o);	/* m: no mmap, read(2) */
	TIFFOpenOptionsFree(o);
	if (in->tif == NULL) {
		snprintf(err, errlen, "corrupt TIFF: %s",
		    in->msg[0] ? in->msg : "cannot read the header");
		return -1;
	}
	if (fstat(TIFFFileno(in->tif), &sb) < 0 || sb.st_size < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		fax_tiff_in_close(in);
		return -1;
	}
	in->size = (uint64_t)sb.st_size;
	return 0;
}

int
fax_tiff_in_open_mem(struct fax_tiff_in *in, const void *buf, size_t len,
    char *err, size_t errlen)
{
	TIFFOpenOptions *o;
	struct fax_mem_file *m;
	const uint8_t *p = buf;

	memset(in, 0, sizeof(*in));
	if (len < 8 || !((p[0] == 'I' && p[1] == 'I') ||
	    (p[0] == 'M' && p[1] == 'M'))) {
		snprintf(err, errlen, "not a TIFF file");
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (o = tiff_in_options(in)) == NULL) {
		free(m);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	m->buf = buf;
	m->len = len;
	in->mem = m;
	in->size = len;
	in->tif = TIFFClientOpenExt("memory", "rm", (thandle_t)m, mem_read,
	    mem_write, mem_seek, mem_close, mem_size, mem_map, mem_unmap, o);
	TIFFOpenOptionsFree(o);
	if (in->tif == NULL) {
		free(in->mem);
		in->mem = NULL;
		snprintf(err, errlen, "corrupt TIFF: %s",
		    in->msg[0] ? in->msg : "cannot read the header");
		return -1;
	}
	return 0;
}

void
fax_tiff_in_close(struct fax_tiff_in *in)
{
	if (in->tif != NULL)
		TIFFClose(in->tif);
	in->tif = NULL;
	free(in->mem);			/* after TIFFClose: it may still read */
	in->mem = NULL;
}

static tmsize_t
mem_read(thandle_t h, void *buf, tmsize_t size)
{
	struct fax_mem_file *m = (struct fax_mem_file *)h;
	size_t n;

	if (size <= 0 || m->pos >= m->len)
		return 0;
	n = m->len - m->pos;
	if ((size_t)size < n)
		n = (size_t)size;
	memcpy(buf, m->buf + m->pos, n);
	m->pos += n;
	return (tmsize_t)n;
}

static tmsize_t
mem_write(thandle_t h, void *buf, tmsize_t size)
{
	(void)h;
	(void)buf;
	(void)size;
	return -1;
}

static toff_t
mem_seek(thandle_t h, toff_t off, int whence)
{
	struct fax_mem_file *m = (struct fax_mem_file *)h;
	uint64_t base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = m->pos;
		break;
	case SEEK_END:
		base = m->len;
		break;
	default:
		return (toff_t)-1;
	}
	if (off > UINT64_MAX - base)
		return (toff_t)-1;
	/* Seeking past the end is allowed; reads there return 0. */
	m->pos = (size_t)(base + off > SIZE_MAX ? SIZE_MAX : base + off);
	return (toff_t)m->pos;
}

static int
mem_close(thandle_t h)
{
	(void)h;			/* freed by fax_tiff_in_close() */
	return 0;
}

static toff_t
mem_size(thandle_t h)
{
	return (toff_t)((struct fax_mem_file *)h)->len;
}

static int
mem_map(thandle_t h, void **base, toff_t *size)
{
	(void)h;
	(void)base;
	(void)size;
	return 0;
}

static void
mem_unmap(thandle_t h, void *base, toff_t size)
{
	(void)h;
	(void)base;
	(void)size;
}

struct fax_bitmap *
fax_tiff_read_bilevel(struct fax_tiff_in *in, unsigned max_width,
    unsigned max_height, int *xres, int *yres, char *err, size_t errlen)
{
	struct fax_bitmap *b;
	uint32_t w = 0, h = 0, y;
	uint16_t bps = 1, spp = 1, photo = PHOTOMETRIC_MINISWHITE, unit = 2;
	float fx = 204, fy = 98;
	size_t i;

	TIFFGetField(in->tif, TIFFTAG_IMAGEWIDTH, &w);
	TIFFGetField(in->tif, TIFFTAG_IMAGELENGTH, &h);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_BITSPERSAMPLE, &bps);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_PHOTOMETRIC, &photo);
	if (bps != 1 || spp != 1 || TIFFIsTiled(in->tif)) {
		snprintf(err, errlen, "not a bilevel fax page");
		return NULL;
	}
	if (w == 0 || h == 0 || w > max_width || h > max_height) {
		snprintf(err, errlen, "absurd page dimensions %ux%u", w, h);
		return NULL;
	}
	TIFFGetField(in->tif, TIFFTAG_XRESOLUTION, &fx);
	TIFFGetField(in->tif, TIFFTAG_YRESOLUTION, &fy);
	TIFFGetFieldDefaulted(in->tif, TIFFTAG_RESOLUTIONUNIT, &unit);
	if (unit == RESUNIT_CENTIMETER) {
		fx *= 2.54f;
		fy *= 2.54f;
	}
	*xres = (int)(fx + 0.5f);
	*yres = (int)(fy + 0.5f);
	if ((b = fax_bitmap_new(w, h)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((size_t)TIFFScanlineSize(in->tif) != b->stride) {
		fax_bitmap_free(b);
		snprintf(err, errlen, "corrupt TIFF: bad scanline size");
		return NULL;
	}
	for (y = 0; y < h; y++) {
		if (TIFFReadScanline(in->tif, fax_bitmap_row(b, y), y, 0) < 0) {
			snprintf(err, errlen, "corrupt TIFF: %s",
			    in->msg[0] ? in->msg : "bad image data");
			fax_bitmap_free(b);
			return NULL;
		}
	}
	if (photo == PHOTOMETRIC_MINISBLACK)
		for (i = 0; i < b->stride * b->height; i++)
			b->bits[i] = (uint8_t)~b->bits[i];
	return b;
}

int
fax_tiff_count_pages(const char *path, char *err, size_t errlen)
{
	struct fax_tiff_in in;
	int n;

	if (fax_tiff_in_open(&in, path, err, errlen) < 0)
		return -1;
	n = TIFFNumberOfDirectories(in.tif);
	fax_tiff_in_close(&in);
	return n;
}

/* ---------------------------------------------------------- output */

struct fax_writer *
fax_writer_open(const char *path, enum fax_out_format fmt, unsigned pages,
    char *err, size_t errlen)
{
	struct fax_writer *w;
	int fd;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->path = strdup(path)) == NULL ||
	    asprintf(&w->tmp, "%s.tmpXXXXXX", path) < 0) {
		if (w != NULL)
			free(w->path);
		free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->fmt = fmt;
	w->pages = pages;
	if ((fd = mkstemp(w->tmp)) < 0) {
		snprintf(err, errlen, "%s: %s", w->tmp, strerror(errno));
		free(w->tmp);
		free(w->path);
		free(w);
		return NULL;
	}
	/* "l": little-endian as Profile S asks; the fd is owned by tif. */
	if ((w->tif = TIFFFdOpen(fd, w->tmp, "wl")) == NULL) {
		close(fd);
		unlink(w->tmp);
		snprintf(err, errlen, "%s: cannot create TIFF", w->tmp);
		free(w->tmp);
		free(w->path);
		free(w);
		return NULL;
	}
	return w;
}

int
fax_writer_page(struct fax_writer *w, const struct fax_bitmap *b, int yres,
    char *err, size_t errlen)
{
	return fax_writer_page_meta(w, b, yres, NULL, err, errlen);
}

int
fax_writer_page_meta(struct fax_writer *w, const struct fax_bitmap *b,
    int yres, const struct fax_page_meta *meta, char *err, size_t errlen)
{
	TIFF *t = w->tif;
	uint32_t y;

	TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)b->width);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)b->height);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
	TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
	if (w->fmt == FAX_OUT_PROFILE_S) {
		/* RFC 3949 3.1-3.6: MH, T4Options 0, FillOrder 2. */
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, 0);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
	} else {
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB);
	}
	TIFFSetField(t, TIFFTAG_XRESOLUTION, (float)FAX_XRES);
	TIFFSetField(t, TIFFTAG_YRESOLUTION, (float)yres);
	TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)b->height);
	TIFFSetField(t, TIFFTAG_PAGENUMBER, (uint16_t)w->written,
	    (uint16_t)w->pages);
	TIFFSetField(t, TIFFTAG_SOFTWARE, "t37gw " T37GW_VERSION);
	if (meta != NULL && meta->description != NULL)
		TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, meta->description);
	if (meta != NULL && meta->datetime != NULL)
		TIFFSetField(t, TIFFTAG_DATETIME, meta->datetime);
	if (meta != NULL && meta->clean >= 0)
		TIFFSetField(t, TIFFTAG_CLEANFAXDATA, (uint16_t)meta->clean);
	if (meta != NULL && meta->bad_lines >= 0)
		TIFFSetField(t, TIFFTAG_BADFAXLINES, (uint32_t)meta->bad_lines);
	for (y = 0; y < b->height; y++) {
		if (TIFFWriteScanline(t, fax_bitmap_row(b, y), y, 0) < 0) {
			snprintf(err, errlen, "%s: write error", w->tmp);
			return -1;
		}
	}
	if (!TIFFWriteDirectory(t)) {
		snprintf(err, errlen, "%s: write error", w->tmp);
		return -1;
	}
	w->written++;
	return 0;
}

int
fax_writer_commit(struct fax_writer *w, char *err, size_t errlen)
{
	int fd, rc = 0;

	if (w->written != w->pages) {
		snprintf(err, errlen, "internal error: %u of %u pages written",
		    w->written, w->pages);
		fax_writer_abort(w);
		return -1;
	}
	/* Received faxes are the one copy: make the data durable before the
	 * rename replaces what spandsp wrote. */
	if (w->fmt == FAX_OUT_PROFILE_S) {
		TIFFFlush(w->tif);
		fd = TIFFFileno(w->tif);
		if (fsync(fd) < 0)
			rc = -1;
	}
	TIFFClose(w->tif);
	w->tif = NULL;
	if (rc < 0 || rename(w->tmp, w->path) < 0) {
		snprintf(err, errlen, "%s: %s", w->path, strerror(errno));
		unlink(w->tmp);
		rc = -1;
	}
	free(w->tmp);
	free(w->path);
	free(w);
	return rc;
}

void
fax_writer_abort(struct fax_writer *w)
{
	if (w == NULL)
		return;
	if (w->tif != NULL)
		TIFFClose(w->tif);
	unlink(w->tmp);
	free(w->tmp);
	free(w->path);
	free(w);
}
