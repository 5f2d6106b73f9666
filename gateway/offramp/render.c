/*
 * gateway/offramp/render: from a parsed offramp message (mime/) to the one
 * normalized TIFF the fax call sends (fax/), within the page and time
 * limits (every limit named and checked before use). Text and HTML are
 * rendered, TIFF and images converted, PDF run through Ghostscript,
 * office documents through LibreOffice first; a cover page may go first;
 * the header line is stamped on every page. What became of each part (its pages, what was
 * left out, or why it was not faxed) is listed for the DSN.
 *
 * Every failure names the part and carries the RFC 3463 status the DSN
 * will report: 5.3.4 for limits, 5.6.5 for content that could not be
 * converted, 4.3.0 for local trouble (worth another try later).
 *
 * Blocks (Ghostscript, libtiff) and reads untrusted content: the document
 * worker process runs it (worker.c), never the daemon.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "fax/fax.h"
#include "gateway/offramp/render.h"
#include "mime/mime.h"

#define RENDER_ERR_MAX 256
/* The cover page text beyond this is cut (the first text part on it). */
#define RENDER_COVER_TEXT_MAX (64u << 10)
/* show-detail: the mail's header block beyond this is cut. */
#define RENDER_COVER_HEADERS_MAX (8u << 10)

/* One rendering run. */
struct render {
	const struct mime_offramp *m;
	const struct offramp_render_opts *o;
	const char *workdir;
	struct mime_error *err;
	unsigned max_pages;
	unsigned used;         /* pages of the parts rendered so far */
	time_t deadline;
	GPtrArray *inputs;     /* normalized files, in order (owned strings) */
	GPtrArray *scratch;    /* files to remove at the end (owned strings) */
	GPtrArray *names;      /* part names for diagnostics (owned strings) */
	size_t skip_part;      /* part shown on the cover, or (size_t)-1 */
	unsigned missing_glyphs;   /* over every text rendered */
	GArray *outcomes;      /* struct mime_part_outcome, message order */
	GArray *counts;        /* pages of each outcome (unsigned); 0 none */
};

static int render_part(struct render *r, size_t i);
static int render_image(struct render *r, const char *path, const char *name,
    const char *dst, struct fax_tiff_info *info);
static int render_pdf(struct render *r, const char *pdf, const char *name,
    const char *dst, size_t i, struct fax_tiff_info *info);
static int render_html(struct render *r, const struct mime_part *p, size_t i,
    const char *dst);
static int render_office(struct render *r, const struct mime_part *p,
    const char *name, const char *dst, size_t i, struct fax_tiff_info *info);
static void outcome_add(struct render *r, enum mime_outcome_kind kind,
    const char *label, unsigned pages, const char *detail, int lossy);
static void outcomes_number(struct render *r, unsigned cover_pages);
static int render_cover(struct render *r, unsigned body_pages, const char *path,
    unsigned *cover_pages);
static char *cover_text(const struct render *r, unsigned total);
static char *scratch_path(struct render *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static const char *scratch_name(struct render *r, const struct mime_part *p);
static int over_time(struct render *r);
static unsigned pages_left(const struct render *r);
static int over_limit(struct render *r, const char *name);
static int page_limit(struct render *r, const char *name);
static int over_pages(struct render *r, const char *name);
static int rerr(struct mime_error *err, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int
offramp_render(const struct mime_offramp *m, const struct offramp_render_opts *o,
    const char *workdir, const char *out, unsigned *pages, struct mime_error *err)
{
	struct render r = {
		.m = m, .o = o, .workdir = workdir, .err = err,
		.max_pages = o->max_pages ? o->max_pages : FAX_TIFF_MAX_PAGES_DEFAULT,
		.deadline = time(NULL) + (time_t)(o->max_seconds ? o->max_seconds :
		    OFFRAMP_RENDER_SECONDS_DEFAULT),
		.inputs = g_ptr_array_new_with_free_func(g_free),
		.scratch = g_ptr_array_new_with_free_func(g_free),
		.names = g_ptr_array_new_with_free_func(g_free),
		.skip_part = (size_t)-1,
		.outcomes = g_array_new(FALSE, TRUE, sizeof(struct mime_part_outcome)),
		.counts = g_array_new(FALSE, TRUE, sizeof(unsigned)),
	};
	struct fax_tiff_limits lim = { .max_pages = r.max_pages };
	struct fax_tiff_info info;
	char ferr[RENDER_ERR_MAX];
	unsigned body_pages = 0, cover_pages = 0;
	char *body = NULL, *cover = NULL;
	size_t i;
	int rc = -1;

	memset(err, 0, sizeof(*err));
	*pages = 0;
	if (o->coverpage && mime_offramp_nparts(m) > 0 &&
	    mime_offramp_part(m, 0)->kind == MIME_PART_TEXT)
		r.skip_part = 0;
	for (i = 0; i < mime_offramp_nparts(m); i++) {
		if (i == r.skip_part) {
			/* on the cover page (0 pages of its own) */
			outcome_add(&r, MIME_OUTCOME_FAXED, mime_offramp_part(m, i)->label,
			    0, NULL, 0);
			continue;
		}
		if (render_part(&r, i) != 0)
			goto out;
	}

	if (r.inputs->len > 0) {
		body = scratch_path(&r, "body.tif");
		if (fax_tiff_normalize((const char *const *)r.inputs->pdata,
		    (int)r.inputs->len, body, &lim, &info, ferr, sizeof(ferr)) != 0) {
			rerr(err, strstr(ferr, "too many pages") ? "5.3.4" : "5.6.5",
			    "the document could not be assembled: %s", ferr);
			goto out;
		}
		body_pages = info.pages;
	}
	if (over_time(&r))
		goto out;
	if (o->coverpage) {
		cover = scratch_path(&r, "cover.tif");
		if (render_cover(&r, body_pages, cover, &cover_pages) != 0)
			goto out;
	}
	if (body_pages + cover_pages == 0) {
		rerr(err, "5.6.1", "the message has nothing to fax");
		goto out;
	}
	if (body_pages + cover_pages > r.max_pages) {
		rerr(err, "5.3.4", "the fax would have %u pages; the limit is %u",
		    body_pages + cover_pages, r.max_pages);
		goto out;
	}
	{
		const char *parts[2];
		int n = 0;

		if (cover != NULL)
			parts[n++] = cover;
		if (body != NULL)
			parts[n++] = body;
		if (fax_tiff_normalize(parts, n, out, &lim, &info, ferr, sizeof(ferr)) != 0) {
			rerr(err, "4.3.0", "the fax pages could not be written: %s", ferr);
			goto out;
		}
	}
	if (o->header != NULL &&
	    fax_header_stamp(out, out, o->header, ferr, sizeof(ferr)) != 0) {
		unlink(out);
		rerr(err, "4.3.0", "the page header could not be stamped: %s", ferr);
		goto out;
	}
	*pages = info.pages;
	if (o->notes != NULL) {
		o->notes->missing_glyphs = r.missing_glyphs;
		outcomes_number(&r, cover_pages);
		o->notes->noutcomes = r.outcomes->len;
		o->notes->outcomes = (struct mime_part_outcome *)g_array_free(r.outcomes,
		    FALSE);
		r.outcomes = NULL;
	}
	rc = 0;
out:
	for (i = 0; i < r.scratch->len; i++)
		unlink(g_ptr_array_index(r.scratch, i));
	g_ptr_array_free(r.inputs, TRUE);
	g_ptr_array_free(r.scratch, TRUE);
	g_ptr_array_free(r.names, TRUE);
	if (r.outcomes != NULL)
		g_array_free(r.outcomes, TRUE);
	g_array_free(r.counts, TRUE);
	return rc;
}

void
offramp_render_notes_clear(struct offramp_render_notes *n)
{
	if (n == NULL)
		return;
	g_free(n->outcomes);
	n->outcomes = NULL;
	n->noutcomes = 0;
}

/* One entry of the list of parts; pages are numbered at the end. */
static void
outcome_add(struct render *r, enum mime_outcome_kind kind, const char *label,
    unsigned pages, const char *detail, int lossy)
{
	struct mime_part_outcome o;

	memset(&o, 0, sizeof(o));
	o.kind = kind;
	o.lossy = lossy;
	mime_text_fit(o.label, sizeof(o.label), label);
	mime_text_fit(o.detail, sizeof(o.detail), detail ? detail : "");
	g_array_append_val(r->outcomes, o);
	g_array_append_val(r->counts, pages);
	r->used += pages;
}

/*
 * Page numbers in the fax: the cover first (the part it shows is on it),
 * then each part's pages in order. At most MIME_OUTCOMES_MAX entries: the
 * last of them then stands for the rest.
 */
static void
outcomes_number(struct render *r, unsigned cover_pages)
{
	unsigned next = cover_pages + 1;
	guint i;

	for (i = 0; i < r->outcomes->len; i++) {
		struct mime_part_outcome *o = &g_array_index(r->outcomes,
		    struct mime_part_outcome, i);
		unsigned n = g_array_index(r->counts, unsigned, i);

		if (o->kind == MIME_OUTCOME_NOT_FAXED)
			continue;
		if (n == 0) {		/* on the cover page */
			o->first = 1;
			o->last = cover_pages;
			continue;
		}
		o->first = next;
		o->last = next + n - 1;
		next += n;
	}
	if (cover_pages > 0) {
		struct mime_part_outcome c;

		memset(&c, 0, sizeof(c));
		c.kind = MIME_OUTCOME_FAXED;
		c.first = 1;
		c.last = cover_pages;
		g_strlcpy(c.label, "the cover page", sizeof(c.label));
		g_array_prepend_val(r->outcomes, c);
	}
	if (r->outcomes->len > MIME_OUTCOMES_MAX) {
		struct mime_part_outcome *last = &g_array_index(r->outcomes,
		    struct mime_part_outcome, MIME_OUTCOMES_MAX - 1);
		unsigned first = 0, end = 0, more = r->outcomes->len -
		    MIME_OUTCOMES_MAX + 1, lossy;

		lossy = mime_outcomes_lossy(last, more);
		for (i = MIME_OUTCOMES_MAX - 1; i < r->outcomes->len; i++) {
			const struct mime_part_outcome *o = &g_array_index(r->outcomes,
			    struct mime_part_outcome, i);

			if (o->kind != MIME_OUTCOME_NOT_FAXED && first == 0)
				first = o->first;
			if (o->kind != MIME_OUTCOME_NOT_FAXED)
				end = o->last;
		}
		memset(last, 0, sizeof(*last));
		last->kind = first == 0 ? MIME_OUTCOME_NOT_FAXED : lossy ?
		    MIME_OUTCOME_PARTLY : MIME_OUTCOME_FAXED;
		last->lossy = lossy;
		last->first = first;
		last->last = end;
		g_snprintf(last->label, sizeof(last->label), "the other %u parts", more);
		if (lossy)
			g_strlcpy(last->detail, "some of them, or parts of them, could "
			    "not be faxed", sizeof(last->detail));
		g_array_set_size(r->outcomes, MIME_OUTCOMES_MAX);
	}
}

/* One content part to a normalized file appended to r->inputs. */
static int
render_part(struct render *r, size_t i)
{
	const struct mime_part *p = mime_offramp_part(r->m, i);
	/* Named whole (never cut inside the name or the type): it goes into
	 * the DSN. Owned by r. */
	const char *name = scratch_name(r, p);
	struct fax_text_options to = { .max_pages = pages_left(r) };
	struct fax_tiff_info info;
	char ferr[RENDER_ERR_MAX];
	char *dst = scratch_path(r, "render-%zu.tif", i);

	if (over_time(r))
		return -1;
	switch (p->kind) {
	case MIME_PART_TEXT:
		if (fax_text_render(p->text, p->text_len, &to, dst, &info, ferr,
		    sizeof(ferr)) != 0) {
			if (strstr(ferr, "pages") && r->used > 0)
				return page_limit(r, name);
			return rerr(r->err, strstr(ferr, "pages") ? "5.3.4" : "5.6.5",
			    "the text of the message could not be rendered: %s", ferr);
		}
		r->missing_glyphs += info.missing_glyphs;
		break;
	case MIME_PART_HTML:
		if (render_html(r, p, i, dst) != 0)
			return -1;
		return over_pages(r, name) != 0 ? -1 : over_time(r);
	case MIME_PART_TIFF:
	case MIME_PART_IMAGE:
		if (render_image(r, p->path, name, dst, &info) != 0)
			return -1;
		break;
	case MIME_PART_PDF:
		if (render_pdf(r, p->path, name, dst, i, &info) != 0)
			return -1;
		break;
	case MIME_PART_OFFICE:
		if (render_office(r, p, name, dst, i, &info) != 0)
			return -1;
		break;
	case MIME_PART_SKIPPED:
		outcome_add(r, MIME_OUTCOME_NOT_FAXED, p->label, 0, p->reason, p->lossy);
		return 0;
	}
	outcome_add(r, MIME_OUTCOME_FAXED, p->label, info.pages, NULL, 0);
	g_ptr_array_add(r->inputs, g_strdup(dst));
	return over_pages(r, name) != 0 ? -1 : over_time(r);
}

/* A PDF (an attachment, or an office document converted) through
 * Ghostscript to normalized pages. */
static int
render_pdf(struct render *r, const char *pdf, const char *name, const char *dst,
    size_t i, struct fax_tiff_info *info)
{
	struct fax_tiff_limits lim = { .max_pages = pages_left(r) };
	struct offramp_pdf_opts po = r->o->pdf;
	struct mime_error perr;
	char ferr[RENDER_ERR_MAX];
	unsigned n;
	char *raw = scratch_path(r, "render-%zu-gs.tif", i);
	const char *in[1] = { raw };
	time_t left = r->deadline - time(NULL);
	unsigned own;

	po.max_pages = pages_left(r);
	/* The document's own limit, or less when the rest of the message
	 * left less: never more than either. */
	if (po.timeout == 0)
		po.timeout = OFFRAMP_PDF_TIMEOUT_DEFAULT;
	own = po.timeout;
	if (left < (time_t)po.timeout)
		po.timeout = left > 0 ? (unsigned)left : 1;
	if (offramp_pdf_render(pdf, raw, &po, &n, &perr) != 0) {
		if (strcmp(perr.status, "5.3.4") == 0 && strstr(perr.text, "pages") &&
		    r->used > 0)
			return page_limit(r, name);
		/* Stopped by what the message had left, not the PDF's own
		 * limit: say the limit the sender's message ran into. */
		if (strcmp(perr.status, "5.3.4") == 0 && left < (time_t)own)
			return over_limit(r, name);
		return rerr(r->err, perr.status, "%s: %s", name, perr.text);
	}
	if (fax_tiff_normalize(in, 1, dst, &lim, info, ferr, sizeof(ferr)) != 0)
		return rerr(r->err, "5.6.5", "%s could not be converted: %s", name, ferr);
	return 0;
}

/*
 * HTML laid out with the images of the message it shows; the images it
 * did not show (a related part's resources it never named) follow as
 * pages of their own, so that nothing the sender attached is lost.
 */
static int
render_html(struct render *r, const struct mime_part *p, size_t i, const char *dst)
{
	struct fax_html_image *im = g_new0(struct fax_html_image, p->nres + 1);
	unsigned char *used = g_malloc0(p->nres + 1);
	struct fax_html_report rep = { .image_used = used };
	struct fax_html_options ho = {
		.max_pages = pages_left(r), .max_image_pixels = r->o->max_image_pixels,
		.images = im, .nimages = p->nres, .preface = p->preface,
	};
	struct fax_tiff_info info;
	char ferr[RENDER_ERR_MAX], words[MIME_OUTCOME_TEXT_MAX];
	size_t k;
	int rc = -1;

	for (k = 0; k < p->nres; k++) {
		im[k].cid = p->res[k].cid;
		im[k].location = p->res[k].location;
		im[k].path = p->res[k].path;
	}
	if (fax_html_render(p->text, p->text_len, &ho, dst, &info, &rep, ferr,
	    sizeof(ferr)) != 0) {
		if (strstr(ferr, "pages") && r->used > 0)
			page_limit(r, p->label);
		else
			rerr(r->err, strstr(ferr, "pages") ||
			    strstr(ferr, "more than") ? "5.3.4" : "5.6.5",
			    "the HTML text of the message could not be "
			    "rendered: %s", ferr);
		goto out;
	}
	r->missing_glyphs += info.missing_glyphs;
	g_ptr_array_add(r->inputs, g_strdup(dst));
	if (fax_html_report_words(&rep, words, sizeof(words)) > 0)
		outcome_add(r, MIME_OUTCOME_PARTLY, p->label, info.pages, words, 1);
	else
		outcome_add(r, MIME_OUTCOME_FAXED, p->label, info.pages, NULL, 0);
	for (k = 0; k < p->nres; k++) {
		char *page, *label;

		if (used[k])
			continue;
		page = scratch_path(r, "render-%zu-res-%zu.tif", i, k);
		if (render_image(r, p->res[k].path, p->res[k].label, page, &info) != 0)
			goto out;
		label = g_strdup_printf("%s, which the HTML text did not show",
		    p->res[k].label);
		outcome_add(r, MIME_OUTCOME_FAXED, label, info.pages, NULL, 0);
		g_free(label);
		g_ptr_array_add(r->inputs, g_strdup(page));
	}
	rc = over_time(r);
out:
	g_free(im);
	g_free(used);
	return rc;
}

/* An office document: LibreOffice makes a PDF of it, Ghostscript pages;
 * without LibreOffice the sender hears what the gateway can fax. */
static int
render_office(struct render *r, const struct mime_part *p, const char *name,
    const char *dst, size_t i, struct fax_tiff_info *info)
{
	struct fax_office_options fo = {
		.converter = r->o->office, .timeout = r->o->office_timeout,
		.memory_mb = r->o->office_memory,
	};
	char ferr[RENDER_ERR_MAX], *pdf = scratch_path(r, "render-%zu.pdf", i);
	time_t left = r->deadline - time(NULL);
	unsigned own;

	if (fo.timeout == 0)
		fo.timeout = FAX_OFFICE_TIMEOUT_DEFAULT;
	own = fo.timeout;
	if (left < (time_t)fo.timeout)
		fo.timeout = left > 0 ? (unsigned)left : 1;
	if (r->o->office != NULL && *r->o->office == '\0')
		return rerr(r->err, "5.6.1", "%s cannot be faxed: this gateway does "
		    "not convert office documents; it can fax text, HTML, PDF and "
		    "images (TIFF, PNG, JPEG, GIF, BMP)", name);
	switch (fax_office_to_pdf(p->path, p->ext, r->workdir, pdf, &fo, ferr,
	    sizeof(ferr))) {
	case FAX_OFFICE_OK:
		break;
	case FAX_OFFICE_MISSING:
		return rerr(r->err, "5.6.1", "%s cannot be faxed: %s; the gateway can "
		    "fax text, HTML, PDF and images (TIFF, PNG, JPEG, GIF, BMP)",
		    name, ferr);
	case FAX_OFFICE_TIMEOUT:
		if (left < (time_t)own)
			return over_limit(r, name);
		return rerr(r->err, "5.3.4", "%s: %s", name, ferr);
	case FAX_OFFICE_FAILED:
		return rerr(r->err, "5.6.5", "%s could not be converted: %s", name, ferr);
	case FAX_OFFICE_LOCAL:
		return rerr(r->err, "4.3.0", "%s: %s", name, ferr);
	}
	return render_pdf(r, pdf, name, dst, i, info);
}

/* A TIFF or image file to fax pages (fax/ tells bilevel fax TIFF from
 * pictures); the file is mapped, not copied. */
static int
render_image(struct render *r, const char *path, const char *name,
    const char *dst, struct fax_tiff_info *info)
{
	struct fax_image_limits lim = {
		.max_pages = pages_left(r), .max_pixels = r->o->max_image_pixels,
	};
	char ferr[RENDER_ERR_MAX];
	GError *gerr = NULL;
	GMappedFile *mf = g_mapped_file_new(path, FALSE, &gerr);
	int rc;

	if (mf == NULL) {
		rerr(r->err, "4.3.0", "%s cannot be read: %s", name,
		    gerr->message);
		g_error_free(gerr);
		return -1;
	}
	rc = fax_image_to_pages(g_mapped_file_get_contents(mf),
	    g_mapped_file_get_length(mf), dst, &lim, info, ferr, sizeof(ferr));
	g_mapped_file_unref(mf);
	if (rc != 0 && strstr(ferr, "too many pages") && r->used > 0)
		return page_limit(r, name);
	if (rc != 0)
		return rerr(r->err, strstr(ferr, "too many pages") ||
		    strstr(ferr, "the limit is") ? "5.3.4" : "5.6.5",
		    "%s could not be converted: %s", name, ferr);
	return 0;
}

/*
 * The cover page names the total page count, which depends on how many
 * pages the cover itself takes: render it, and render again when it did
 * not fit on one page.
 */
static int
render_cover(struct render *r, unsigned body_pages, const char *path,
    unsigned *cover_pages)
{
	struct fax_text_options to = { .max_pages = r->max_pages };
	struct fax_tiff_info info;
	char ferr[RENDER_ERR_MAX];
	unsigned guess = 1;
	int round;

	for (round = 0; round < 2; round++) {
		char *text = cover_text(r, body_pages + guess);
		int rc = fax_text_render(text, strlen(text), &to, path, &info, ferr,
		    sizeof(ferr));

		g_free(text);
		if (rc != 0)
			return rerr(r->err, strstr(ferr, "pages") ? "5.3.4" : "4.3.0",
			    "the cover page could not be rendered: %s", ferr);
		if (info.pages == guess)
			break;
		guess = info.pages;
	}
	*cover_pages = info.pages;
	r->missing_glyphs += info.missing_glyphs;
	return 0;
}

static char *
cover_text(const struct render *r, unsigned total)
{
	const struct mime_offramp *m = r->m;
	GString *s = g_string_new("FAX\n\n");
	char num[64];

	if (r->o->to_number != NULL)
		g_string_append_printf(s, "To:      %s\n",
		    mime_number_pretty(r->o->to_number, num, sizeof(num)));
	if (mime_offramp_from(m) != NULL)
		g_string_append_printf(s, "From:    %s\n", mime_offramp_from(m));
	if (mime_offramp_date(m) != NULL)
		g_string_append_printf(s, "Date:    %s\n", mime_offramp_date(m));
	if (mime_offramp_subject(m) != NULL)
		g_string_append_printf(s, "Subject: %s\n", mime_offramp_subject(m));
	g_string_append_printf(s, "Pages:   %u, including this cover page\n", total);
	if (r->o->cover_comment != NULL && *r->o->cover_comment != '\0')
		g_string_append_printf(s, "\n%s\n", r->o->cover_comment);
	if (r->o->cover_detail && mime_offramp_headers(m) != NULL) {
		/* Cisco's show-detail: every header of the mail, as received
		 * (7-bit, so the page font shows it as written). */
		const char *h = mime_offramp_headers(m);
		size_t n = strlen(h);

		g_string_append(s, "\nMessage headers:\n");
		g_string_append_len(s, h, (gssize)MIN(n, RENDER_COVER_HEADERS_MAX));
		if (n > RENDER_COVER_HEADERS_MAX)
			g_string_append(s, "\n[...]");
		g_string_append(s, "\n");
	}
	if (r->skip_part != (size_t)-1) {
		const struct mime_part *p = mime_offramp_part(m, r->skip_part);

		g_string_append(s, "\n");
		g_string_append_len(s, p->text, (gssize)MIN(p->text_len,
		    RENDER_COVER_TEXT_MAX));
	}
	return g_string_free(s, FALSE);
}

/* workdir/NAME, remembered for removal. Owned by r. */
static char *
scratch_path(struct render *r, const char *fmt, ...)
{
	va_list ap;
	char *name, *path;

	va_start(ap, fmt);
	name = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	path = g_build_filename(r->workdir, name, NULL);
	g_free(name);
	g_ptr_array_add(r->scratch, path);
	return path;
}

/* The part as diagnostics name it (mime_part_name). Owned by r. */
static const char *
scratch_name(struct render *r, const struct mime_part *p)
{
	char *name = mime_part_name(p->type, p->filename);

	g_ptr_array_add(r->names, name);
	return name;
}

/* The whole message's time ran out (name: the part it stopped, or NULL). */
static int
over_limit(struct render *r, const char *name)
{
	return rerr(r->err, "5.3.4", "%s%spreparing the fax took longer than %u seconds",
	    name != NULL ? name : "", name != NULL ? ": " : "",
	    r->o->max_seconds ? r->o->max_seconds : OFFRAMP_RENDER_SECONDS_DEFAULT);
}

static int
over_time(struct render *r)
{
	if (time(NULL) <= r->deadline)
		return 0;
	return over_limit(r, NULL);
}

static int
rerr(struct mime_error *err, const char *status, const char *fmt, ...)
{
	va_list ap;

	if (err->status[0] != '\0')
		return -1;   /* the first cause wins */
	va_start(ap, fmt);
	mime_error_vset(err, status, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Each part may make only the pages the parts before it left of the
 * limit, so a message of many long parts stops at the part that crosses
 * it instead of rendering every part first. A part always gets at least
 * one page: a message that already has its limit fails at the next part
 * that makes any (over_pages()).
 */
static unsigned
pages_left(const struct render *r)
{
	return r->used < r->max_pages ? r->max_pages - r->used : 1;
}

/* The part named would take the fax past the page limit (its renderer
 * stopped at the pages left). */
static int
page_limit(struct render *r, const char *name)
{
	if (r->used >= r->max_pages)
		return rerr(r->err, "5.3.4", "the fax would have more than %u "
		    "pages: %s starts on page %u; the limit is %u", r->max_pages,
		    name, r->used + 1, r->max_pages);
	return rerr(r->err, "5.3.4", "the fax would have more than %u pages: %s "
	    "starts on page %u and does not end by page %u; the limit is %u",
	    r->max_pages, name, r->used + 1, r->max_pages, r->max_pages);
}

static int
over_pages(struct render *r, const char *name)
{
	if (r->used <= r->max_pages)
		return 0;
	return rerr(r->err, "5.3.4", "the fax would have more than %u pages: "
	    "%s ends on page %u; the limit is %u", r->max_pages, name, r->used,
	    r->max_pages);
}
