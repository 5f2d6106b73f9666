/*
 * fax/html_image.c: the images an HTML document shows. An <img src> is
 * found among the message's parts the caller passes (RFC 2392 "cid:"
 * URLs by Content-ID, other names by Content-Location, RFC 2557), or is a
 * small base64 "data:" image. Nothing is ever fetched: http:, https:,
 * ftp: and "//host" images are counted as remote and left out, like
 * file: names and parts the message does not have.
 *
 * Each image is decoded once (image.c: its declared size checked against
 * the pixel caps before any pixel is decoded, FAX_HTML_MAX_IMAGE_PIXELS
 * for all images of the document together), kept in greyscale no larger
 * than a page, and scaled and binarized for each place it is shown.
 *
 * Not here: where images go on the page (html_layout.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fax/html_int.h"
#include "fax/image_int.h"

/* A decoded image is kept at most this large (page pixels): a column is
 * 7 inches wide and a page body 10 inches tall at 204 dpi. */
#define HTML_IMAGE_KEEP_W	1728
#define HTML_IMAGE_KEEP_H	2244
/* A src longer than this is no name of a part. */
#define HTML_IMAGE_SRC_MAX	2048

struct html_entry {
	int res;		/* index into the options' images, or -1 */
	GBytes *data;		/* a data: image's bytes (owned), or NULL */
	int state;		/* 0 not read yet, 1 decoded, -1 unusable */
	PIX *grey;		/* decoded, at most KEEP_W x KEEP_H (owned) */
	double w, h;		/* its pixels as decoded */
};

struct html_images {
	const struct fax_html_options *o;	/* borrowed */
	struct fax_html_report *rep;		/* borrowed */
	GPtrArray *entries;	/* struct html_entry * (owned) */
	int *by_res;		/* res -> entry, -1 none (owned) */
	unsigned long long pixels;	/* decoded so far */
};

static void	 entry_free(gpointer);
static int	 entry_add(struct html_images *, int, GBytes *);
static int	 find_cid(struct html_images *, const char *);
static int	 find_location(struct html_images *, const char *);
static int	 find_data(struct html_images *, const char *);
static int	 entry_decode(struct html_images *, struct html_entry *);

struct html_images *
html_images_new(const struct fax_html_options *o, struct fax_html_report *rep)
{
	struct html_images *s = g_new0(struct html_images, 1);
	size_t i;

	s->o = o;
	s->rep = rep;
	s->entries = g_ptr_array_new_with_free_func(entry_free);
	s->by_res = g_new(int, o->nimages + 1);
	for (i = 0; i < o->nimages; i++)
		s->by_res[i] = -1;
	return s;
}

void
html_images_free(struct html_images *s)
{
	if (s == NULL)
		return;
	g_ptr_array_free(s->entries, TRUE);
	g_free(s->by_res);
	g_free(s);
}

static void
entry_free(gpointer p)
{
	struct html_entry *e = p;

	if (e->data != NULL)
		g_bytes_unref(e->data);
	if (e->grey != NULL)
		pixDestroy(&e->grey);
	g_free(e);
}

/* The entry of part res (one per part), or a new one for data bytes. */
static int
entry_add(struct html_images *s, int res, GBytes *data)
{
	struct html_entry *e;

	if (res >= 0 && s->by_res[res] >= 0)
		return s->by_res[res];
	e = g_new0(struct html_entry, 1);
	e->res = res;
	e->data = data;
	g_ptr_array_add(s->entries, e);
	if (res >= 0)
		s->by_res[res] = (int)s->entries->len - 1;
	return (int)s->entries->len - 1;
}

int
html_images_find(struct html_images *s, const char *src)
{
	size_t n;

	while (g_ascii_isspace(*src))
		src++;
	n = strnlen(src, HTML_IMAGE_SRC_MAX + 1);
	if (g_ascii_strncasecmp(src, "data:", 5) == 0)
		return find_data(s, src + 5);
	if (n > HTML_IMAGE_SRC_MAX) {
		s->rep->images_missing++;
		return -1;
	}
	if (g_ascii_strncasecmp(src, "cid:", 4) == 0)
		return find_cid(s, src + 4);
	if (g_ascii_strncasecmp(src, "http:", 5) == 0 ||
	    g_ascii_strncasecmp(src, "https:", 6) == 0 ||
	    g_ascii_strncasecmp(src, "ftp:", 4) == 0 ||
	    strncmp(src, "//", 2) == 0) {
		s->rep->images_remote++;
		return -1;
	}
	return find_location(s, src);
}

/* RFC 2392: the Content-ID is the URL's rest, %-decoded; matched without
 * its angle brackets and ignoring case, as mailers differ. */
static int
find_cid(struct html_images *s, const char *rest)
{
	char *id = g_uri_unescape_string(rest, NULL);
	size_t i;

	if (id != NULL) {
		char *p = g_strstrip(id);

		if (*p == '<' && p[strlen(p) - 1] == '>') {
			p[strlen(p) - 1] = '\0';
			p++;
		}
		for (i = 0; i < s->o->nimages; i++) {
			const char *cid = s->o->images[i].cid;

			if (cid != NULL && *p != '\0' && g_ascii_strcasecmp(cid, p) == 0) {
				g_free(id);
				return entry_add(s, (int)i, NULL);
			}
		}
	}
	g_free(id);
	s->rep->images_missing++;
	return -1;
}

/* RFC 2557: a part whose Content-Location is the name, or ends in it
 * after a '/' (a relative name against the part's base). */
static int
find_location(struct html_images *s, const char *src)
{
	size_t i, n = strlen(src);

	if (g_ascii_strncasecmp(src, "file:", 5) == 0 || n == 0) {
		s->rep->images_missing++;
		return -1;
	}
	for (i = 0; i < s->o->nimages; i++) {
		const char *loc = s->o->images[i].location;
		size_t ln;

		if (loc == NULL)
			continue;
		ln = strlen(loc);
		if (strcmp(loc, src) == 0 ||
		    (ln > n && loc[ln - n - 1] == '/' && strcmp(loc + ln - n, src) == 0))
			return entry_add(s, (int)i, NULL);
	}
	s->rep->images_missing++;
	return -1;
}

/* "data:image/png;base64,..." up to FAX_HTML_DATA_URI_MAX bytes. */
static int
find_data(struct html_images *s, const char *rest)
{
	const char *comma = strchr(rest, ',');
	size_t enc;
	char *copy;
	guchar *bytes;
	gsize len;

	if (comma == NULL || g_ascii_strncasecmp(rest, "image/", 6) != 0 ||
	    g_strstr_len(rest, comma - rest, ";base64") == NULL) {
		s->rep->images_missing++;
		return -1;
	}
	enc = strlen(comma + 1);
	if (enc / 4 * 3 > FAX_HTML_DATA_URI_MAX) {
		s->rep->images_data_big++;
		return -1;
	}
	copy = g_strdup(comma + 1);
	bytes = g_base64_decode_inplace(copy, &len);
	if (len == 0) {
		g_free(copy);
		s->rep->images_missing++;
		return -1;
	}
	return entry_add(s, -1, g_bytes_new_take(bytes, len));
}

/* Decodes an entry's first page once, within the caps; keeps it small. */
static int
entry_decode(struct html_images *s, struct html_entry *e)
{
	unsigned long long cap = s->o->max_image_pixels ? s->o->max_image_pixels :
	    FAX_IMAGE_MAX_PIXELS_DEFAULT;
	struct fax_image_src *src;
	GMappedFile *mf = NULL;
	const void *buf;
	size_t len;
	float xdpi, ydpi;
	char err[200];
	PIX *g;

	if (e->state != 0)
		return e->state > 0 ? 0 : -1;
	e->state = -1;
	if (s->pixels >= FAX_HTML_MAX_IMAGE_PIXELS)
		return -1;
	if (FAX_HTML_MAX_IMAGE_PIXELS - s->pixels < cap)
		cap = FAX_HTML_MAX_IMAGE_PIXELS - s->pixels;
	if (e->data != NULL) {
		buf = g_bytes_get_data(e->data, &len);
	} else {
		mf = g_mapped_file_new(s->o->images[e->res].path, FALSE, NULL);
		if (mf == NULL)
			return -1;
		buf = g_mapped_file_get_contents(mf);
		len = g_mapped_file_get_length(mf);
	}
	src = len > 0 ? fax_image_src_open(buf, len, err, sizeof(err)) : NULL;
	g = src != NULL ? fax_image_src_decode(src, 0, cap, &xdpi, &ydpi, err,
	    sizeof(err)) : NULL;
	fax_image_src_close(src);
	if (mf != NULL)
		g_mapped_file_unref(mf);
	if (g == NULL)
		return -1;
	e->w = pixGetWidth(g);
	e->h = pixGetHeight(g);
	s->pixels += (unsigned long long)e->w * (unsigned long long)e->h;
	if (e->w > HTML_IMAGE_KEEP_W || e->h > HTML_IMAGE_KEEP_H) {
		double f = fmin(HTML_IMAGE_KEEP_W / e->w, HTML_IMAGE_KEEP_H / e->h);
		PIX *small = pixScale(g, (l_float32)f, (l_float32)f);

		pixDestroy(&g);
		if (small == NULL)
			return -1;
		g = small;
	}
	e->grey = g;
	e->state = 1;
	return 0;
}

int
html_images_size(struct html_images *s, int entry, double *w, double *h)
{
	struct html_entry *e;

	if (entry < 0 || (guint)entry >= s->entries->len)
		return -1;
	e = g_ptr_array_index(s->entries, entry);
	if (entry_decode(s, e) != 0 || e->w < 1 || e->h < 1)
		return -1;
	*w = e->w;
	*h = e->h;
	return 0;
}

void
html_images_used(struct html_images *s, int entry)
{
	struct html_entry *e;

	if (entry < 0 || (guint)entry >= s->entries->len)
		return;
	e = g_ptr_array_index(s->entries, entry);
	if (e->res >= 0 && s->rep->image_used != NULL)
		s->rep->image_used[e->res] = 1;
}

PIX *
html_images_bitmap(struct html_images *s, int entry, unsigned w, unsigned h, int yres)
{
	struct html_entry *e;
	PIX *scaled, *bin;
	char err[100];

	if (entry < 0 || (guint)entry >= s->entries->len || w == 0 || h == 0)
		return NULL;
	e = g_ptr_array_index(s->entries, entry);
	if (e->grey == NULL)
		return NULL;
	scaled = pixScaleToSize(e->grey, (l_int32)w, (l_int32)h);
	if (scaled == NULL)
		return NULL;
	bin = fax_image_binarize(scaled, yres, err, sizeof(err));
	pixDestroy(&scaled);
	return bin;
}
