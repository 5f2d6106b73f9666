/*
 * gateway/offramp/worker: the document worker, the one process that reads
 * untrusted offramp mail. The daemon runs its own binary as
 * "t37gw --render-worker ID PPID" for each document; this file is that
 * process: it takes the request on stdin, binds its fate to the daemon
 * (it dies with it, and takes Ghostscript with it), lowers its priority
 * below the daemon's, limits itself (CPU seconds, address space, file
 * size, no core file), parses the message, checks the image pixel budget,
 * renders the fax document, and writes the result on stdout.
 *
 * Whatever the document does to GMime, libtiff, the renderer or
 * Ghostscript - crash, loop, allocate without end - happens here; the
 * daemon sees a signal, a timeout or garbage and fails that one job.
 *
 * Not here: the daemon side (spawn.c), the record formats
 * (wire.c), parsing (mime/) and rendering (render.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib.h>

#include "fax/fax.h"
#include "gateway/offramp/pdf.h"
#include "gateway/offramp/worker.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "util/log.h"

#define WORKER_EXIT_USAGE 2
/* File descriptors a worker may hold open (Ghostscript opens fonts). */
#define WORKER_NOFILE 256

/* AddressSanitizer maps terabytes of shadow memory: RLIMIT_AS cannot be
 * used in a sanitized build (it would fail every allocation). */
#if defined(__SANITIZE_ADDRESS__)
#define WORKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_ASAN 1
#endif
#endif
#ifndef WORKER_ASAN
#define WORKER_ASAN 0
#endif

static int worker_pixel_budget(const struct offramp_worker_req *req,
    const struct mime_offramp *m, struct mime_error *err);
static void worker_parts(const struct mime_offramp *m, char *buf, size_t size);
static int worker_bind_parent(pid_t ppid);
static void worker_term(int sig);
static int worker_limits(const struct offramp_worker_req *req);
static char *worker_read_all(int fd, size_t max, size_t *len);
static int worker_write_all(int fd, const char *buf, size_t len);

int
offramp_worker_prepare(const struct offramp_worker_req *req, struct offramp_worker_res *res)
{
	struct mime_offramp_opts mo = { .out_dir = req->dir,
	    .allow_empty = req->coverpage, .prefer_text = req->prefer_text };
	struct offramp_render_opts ro;
	struct fax_header hdr;
	struct mime_offramp *m;

	memset(res, 0, sizeof(*res));
	res->rc = -1;
	m = mime_offramp_parse_file(req->msg_path, &mo, &res->err);
	if (m == NULL)
		return -1;
	res->facts = m;
	worker_parts(m, res->parts, sizeof(res->parts));
	if (worker_pixel_budget(req, m, &res->err) != 0)
		return -1;

	memset(&ro, 0, sizeof(ro));
	ro.max_pages = req->max_pages;
	ro.max_seconds = req->timeout;
	ro.coverpage = req->coverpage;
	ro.cover_comment = req->cover_comment;
	ro.cover_detail = req->cover_detail;
	ro.notes = &res->notes;
	/* One image page may declare at most the smaller of the image cap and
	 * the document's whole pixel budget. */
	ro.max_image_pixels = FAX_IMAGE_MAX_PIXELS_DEFAULT;
	if (req->max_mpixels > 0 &&
	    (unsigned long long)req->max_mpixels * 1000000ull < ro.max_image_pixels)
		ro.max_image_pixels = (unsigned long long)req->max_mpixels * 1000000ull;
	ro.to_number = req->number[0] ? req->number : NULL;
	if (req->left[0] || req->center[0] || req->right[0]) {
		memset(&hdr, 0, sizeof(hdr));
		hdr.left = req->left;
		hdr.center = req->center;
		hdr.right = req->right;
		hdr.vars.date = req->date;
		hdr.vars.time = req->time;
		hdr.vars.destination = req->number;
		hdr.vars.sender = req->sender;
		ro.header = &hdr;
	}
	ro.office = req->office;	/* "": none; LibreOffice runs as a child */
	ro.office_timeout = req->office_timeout;
	ro.office_memory = req->office_memory;
	ro.pdf.gs_path = req->gs_path[0] ? req->gs_path : NULL;
	ro.pdf.timeout = req->timeout;
	ro.pdf.max_pages = req->max_pages;
	/* Ghostscript stays in the worker's process group: killing the
	 * group (time limit, the daemon's death) ends it too. */
	ro.pdf.keep_group = 1;
	res->rc = offramp_render(m, &ro, req->dir, req->out, &res->pages, &res->err);
	return res->rc;
}

/*
 * The pixels of the TIFF parts, read from their directories before any is
 * decoded: a small file may declare enormous pages. Text pages and
 * Ghostscript's pages are fixed in size and capped by the page limit.
 */
static int
worker_pixel_budget(const struct offramp_worker_req *req, const struct mime_offramp *m,
    struct mime_error *err)
{
	unsigned long long total = 0, max = (unsigned long long)req->max_mpixels * 1000000ull;
	size_t i;

	if (req->max_mpixels == 0)
		return 0;
	for (i = 0; i < mime_offramp_nparts(m); i++) {
		const struct mime_part *p = mime_offramp_part(m, i);
		unsigned long long px;
		unsigned pages;
		char ferr[256];

		if (p->kind != MIME_PART_TIFF)
			continue;
		if (fax_tiff_pixels(p->path, req->max_pages, &px, &pages, ferr,
		    sizeof(ferr)) != 0) {
			char *name = mime_part_name(p->type, p->filename);

			mime_error_set(err, "5.6.5", "%s could not be read: %s", name, ferr);
			g_free(name);
			return -1;
		}
		total += px;
		if (total > max)
			return mime_error_set(err, "5.3.4", "the images of the message "
			    "have more than %u million pixels; the limit is %u million",
			    req->max_mpixels, req->max_mpixels);
	}
	return 0;
}

/* "text/plain(120) application/pdf(30211)" for the log line. */
static void
worker_parts(const struct mime_offramp *m, char *buf, size_t size)
{
	GString *s = g_string_new(NULL);
	size_t i;

	for (i = 0; i < mime_offramp_nparts(m); i++) {
		const struct mime_part *p = mime_offramp_part(m, i);

		g_string_append_printf(s, "%s%s(%zu)", i ? " " : "", p->type, p->size);
	}
	mime_text_fit(buf, size, s->str);
	g_string_free(s, TRUE);
}

int
offramp_worker_main(int argc, char **argv)
{
	struct offramp_worker_req req;
	int rc = offramp_worker_setup(argc, argv, &req);

	return rc != 0 ? rc : offramp_worker_run(&req);
}

int
offramp_worker_setup(int argc, char **argv, struct offramp_worker_req *req)
{
	char err[256], *in;
	size_t len;
	long ppid;
	char *end;
	int rc;

	if (argc != 4 || strcmp(argv[1], OFFRAMP_WORKER_ARG) != 0 || !spool_id_valid(argv[2]) ||
	    (ppid = strtol(argv[3], &end, 10)) <= 1 || *end != '\0') {
		fprintf(stderr, "t37gw: %s is run by the daemon only\n", OFFRAMP_WORKER_ARG);
		return WORKER_EXIT_USAGE;
	}
	if (worker_bind_parent((pid_t)ppid) != 0)
		return WORKER_EXIT_USAGE;
	log_set_level(LOG_LVL_WARN);
	if ((in = worker_read_all(STDIN_FILENO, OFFRAMP_WORKER_REQ_MAX, &len)) == NULL) {
		fprintf(stderr, "t37gw: worker %s: no request\n", argv[2]);
		return WORKER_EXIT_USAGE;
	}
	rc = offramp_worker_req_decode(in, len, req, err, sizeof(err));
	g_free(in);
	if (rc != 0 || strcmp(req->id, argv[2]) != 0) {
		fprintf(stderr, "t37gw: worker %s: bad request: %s\n", argv[2],
		    rc != 0 ? err : "another job's");
		return WORKER_EXIT_USAGE;
	}
	if (worker_limits(req) != 0)
		return WORKER_EXIT_USAGE;
	return 0;
}

int
offramp_worker_run(const struct offramp_worker_req *req)
{
	struct offramp_worker_res res;
	size_t len;
	char *out;

	offramp_worker_prepare(req, &res);
	out = offramp_worker_res_encode(&res, res.facts, &len);
	offramp_worker_res_clear(&res);
	if (out == NULL || worker_write_all(STDOUT_FILENO, out, len) != 0) {
		g_free(out);
		return WORKER_EXIT_USAGE;
	}
	g_free(out);
	return 0;
}

/*
 * The worker dies with the daemon: SIGTERM when the daemon's thread that
 * started it ends, and then the whole process group goes, Ghostscript
 * included. A daemon that died before this ran leaves the worker orphaned
 * (getppid() changed): it stops at once.
 */
static int
worker_bind_parent(pid_t ppid)
{
	struct sigaction sa;

	if (getpgrp() != getpid())
		return -1;   /* only ever the leader of its own group */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_term;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 ||
	    prctl(PR_SET_PDEATHSIG, SIGTERM) != 0)
		return -1;
	return getppid() == ppid ? 0 : -1;
}

/* The whole group: this process and any Ghostscript it started. */
static void
worker_term(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(1);
}

static int
worker_limits(const struct offramp_worker_req *req)
{
	struct rlimit cpu = { req->timeout, req->timeout + 1 };
	struct rlimit fsize = { OFFRAMP_WORKER_FILE_MAX, OFFRAMP_WORKER_FILE_MAX };
	struct rlimit core = { 0, 0 };
	struct rlimit nofile = { WORKER_NOFILE, WORKER_NOFILE };

	errno = 0;
	if (nice(OFFRAMP_WORKER_NICE) == -1 && errno != 0)
		fprintf(stderr, "t37gw: worker %s: nice: %s\n", req->id, strerror(errno));
	if (setrlimit(RLIMIT_CPU, &cpu) != 0 || setrlimit(RLIMIT_FSIZE, &fsize) != 0 ||
	    setrlimit(RLIMIT_CORE, &core) != 0 || setrlimit(RLIMIT_NOFILE, &nofile) != 0) {
		fprintf(stderr, "t37gw: worker %s: setrlimit: %s\n", req->id, strerror(errno));
		return -1;
	}
	if (!WORKER_ASAN && req->memory_mb > 0) {
		rlim_t bytes = (rlim_t)req->memory_mb << 20;
		/* LibreOffice, a child, sets its own limit up to the hard one. */
		rlim_t hard = req->office_memory > req->memory_mb ?
		    (rlim_t)req->office_memory << 20 : bytes;
		struct rlimit as = { bytes, hard };

		if (setrlimit(RLIMIT_AS, &as) != 0) {
			fprintf(stderr, "t37gw: worker %s: RLIMIT_AS: %s\n", req->id,
			    strerror(errno));
			return -1;
		}
	}
	/* A last stop of its own, should the daemon's timer not fire (it
	 * fires first: a kill it sends is reported as the time limit). */
	alarm(req->timeout + 2 * OFFRAMP_WORKER_GRACE);
	return 0;
}

/* All of fd up to max bytes (one more is an error); caller frees. */
static char *
worker_read_all(int fd, size_t max, size_t *len)
{
	GString *s = g_string_new(NULL);
	char buf[4096];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		g_string_append_len(s, buf, n);
		if (s->len > max) {
			n = -1;
			break;
		}
	}
	if (n < 0 || s->len == 0) {
		g_string_free(s, TRUE);
		return NULL;
	}
	*len = s->len;
	return g_string_free(s, FALSE);
}

static int
worker_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}
