/*
 * fax/fax_int.h: private to fax/. Page bitmaps, the TIFF page writer and
 * reader functions shared by the normalizer, Profile S, text, header, image
 * and PDF code. The text stack has its own private header (text_int.h).
 */
#ifndef FAX_FAX_INT_H
#define FAX_FAX_INT_H

#include <stddef.h>
#include <stdint.h>
#include <tiffio.h>

/* A bilevel page in memory: 1 = black, rows packed MSB first. */
struct fax_bitmap {
	unsigned width;
	unsigned height;
	size_t stride;			/* bytes per row */
	uint8_t *bits;			/* owned, stride * height bytes */
};

/* Allocates a white page; NULL on failure. */
struct fax_bitmap *fax_bitmap_new(unsigned width, unsigned height);
void fax_bitmap_free(struct fax_bitmap *b);
static inline uint8_t *
fax_bitmap_row(const struct fax_bitmap *b, unsigned y)
{
	return b->bits + (size_t)y * b->stride;
}
static inline void
fax_bitmap_set(struct fax_bitmap *b, unsigned x, unsigned y)
{
	if (x < b->width && y < b->height)
		b->bits[(size_t)y * b->stride + x / 8] |= (uint8_t)(0x80 >> (x & 7));
}

/* How a page is written. */
enum fax_out_format {
	FAX_OUT_SEND,			/* normalized: G4, MinIsWhite, FillOrder 1 */
	FAX_OUT_PROFILE_S		/* RFC 3949 Profile S: MH, FillOrder 2 */
};

/* A multi-page TIFF being written to a temporary name next to the target;
 * fax_writer_commit() renames it into place. */
struct fax_writer;
struct fax_writer *fax_writer_open(const char *path, enum fax_out_format fmt,
    unsigned pages, char *err, size_t errlen);
/* Writes one page: width must be FAX_PAGE_WIDTH; yres 98/196 (or 391). */
int fax_writer_page(struct fax_writer *w, const struct fax_bitmap *b,
    int yres, char *err, size_t errlen);
/* Descriptive tags kept from a received page (NULL: none). */
struct fax_page_meta {
	const char *description;	/* ImageDescription: the far TSI */
	const char *datetime;		/* DateTime of reception */
	int clean;			/* CleanFaxData, or -1 */
	int bad_lines;			/* BadFaxLines, or -1 */
};
int fax_writer_page_meta(struct fax_writer *w, const struct fax_bitmap *b,
    int yres, const struct fax_page_meta *meta, char *err, size_t errlen);
/* Closes and renames into place (0), or -1 with err and nothing left. */
int fax_writer_commit(struct fax_writer *w, char *err, size_t errlen);
/* Closes and removes the temporary file. Accepts NULL. */
void fax_writer_abort(struct fax_writer *w);

/* Opens a TIFF for reading with errors captured into a buffer rather than
 * printed, and a cap on every single allocation libtiff makes. */
struct fax_tiff_in {
	TIFF *tif;
	void *mem;			/* owned: in-memory source, or NULL */
	uint64_t size;			/* bytes in the file */
	char msg[160];			/* the last libtiff error, or "" */
};
int fax_tiff_in_open(struct fax_tiff_in *in, const char *path, char *err,
    size_t errlen);
int fax_tiff_in_open_mem(struct fax_tiff_in *in, const void *buf,
    size_t len, char *err, size_t errlen);
void fax_tiff_in_close(struct fax_tiff_in *in);

/* Reads the current directory of a bilevel fax page (as written by
 * fax_writer or spandsp) into a new bitmap; NULL with err. */
struct fax_bitmap *fax_tiff_read_bilevel(struct fax_tiff_in *in,
    unsigned max_width, unsigned max_height, int *xres, int *yres,
    char *err, size_t errlen);

/* fax/rxfile.c: where a received fax goes. A file: its directory must be
 * writable (0, or -1 with err). Or memory: a memory file, whose name for
 * spandsp is put in *path (caller frees); its descriptor (caller closes),
 * or -1 with err. */
int fax_rx_dir_writable(const char *path, char *err, size_t errlen);
int fax_rx_memory_open(char **path, char *err, size_t errlen);

/* fax/rxpage.c: frees spandsp's buffer of a received page once the page is
 * written (the receiving side's phase D); returns the bytes freed. */
struct t30_state_s;
size_t fax_rx_page_release(struct t30_state_s *t);

#endif
