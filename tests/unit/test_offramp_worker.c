/*
 * Unit tests for the document worker: the request and result records
 * (round trips, and the strict decoding of what another process wrote),
 * the preparation itself in this process (a text, the poison message, the
 * pixel budget), and real worker processes started from an event loop -
 * this test binary run again (tests/unit/main.c), steered per job by
 * T37_TEST_WORKER - that answer, crash, hang, spin, babble or die with
 * their parent. Each ending must become one failed result with its words.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <glib.h>
#include <tiffio.h>

#include "fax/fax.h"
#include "gateway/offramp/offramp.h"
#include "gateway/offramp/pdf.h"
#include "gateway/offramp/worker.h"
#include "mime/mime.h"

#define JOB_ID "661b2e084b381000"

static char dir[64];
static char exe[PATH_MAX];
static struct event_base *base;

static void
setup(void)
{
	ssize_t n;

	g_strlcpy(dir, "/tmp/t37wkXXXXXX", sizeof(dir));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	base = event_base_new();
	unsetenv("T37_TEST_WORKER");
}

static void
teardown(void)
{
	char *cmd = g_strdup_printf("rm -rf '%s'", dir);

	event_base_free(base);
	ck_assert_int_eq(system(cmd), 0);
	g_free(cmd);
	unsetenv("T37_TEST_WORKER");
}

/* A request for the message msg written into dir. */
static void
make_req(struct offramp_worker_req *req, const char *msg, unsigned timeout)
{
	char *path = g_strdup_printf("%s/msg", dir);

	ck_assert(g_file_set_contents(path, msg, -1, NULL));
	memset(req, 0, sizeof(*req));
	g_strlcpy(req->id, JOB_ID, sizeof(req->id));
	g_strlcpy(req->msg_path, path, sizeof(req->msg_path));
	g_strlcpy(req->dir, dir, sizeof(req->dir));
	g_snprintf(req->out, sizeof(req->out), "%s/fax.tif", dir);
	g_strlcpy(req->gs_path, OFFRAMP_PDF_GS_PATH, sizeof(req->gs_path));
	req->timeout = timeout;
	req->memory_mb = 1024;
	req->max_pages = 10;
	req->max_mpixels = 1000;
	g_strlcpy(req->number, "+19195551234", sizeof(req->number));
	g_strlcpy(req->sender, "alice@example.com", sizeof(req->sender));
	g_free(path);
}

static const char text_msg[] =
    "From: Alice <alice@example.com>\nSubject: Figures\n"
    "Message-ID: <fig@example.com>\nReturn-Path: <alice@example.com>\n"
    "Disposition-Notification-To: alice@example.com\n\nHello fax.\n";

/* ---- records ------------------------------------------------------------- */

START_TEST(test_req_round_trip)
{
	struct offramp_worker_req a, b;
	char err[256], *text;
	size_t len;

	make_req(&a, text_msg, 60);
	g_strlcpy(a.left, "From $s$ \"quoted\"\nnewline", sizeof(a.left));
	g_strlcpy(a.cover_comment, "100% sure", sizeof(a.cover_comment));
	a.coverpage = 1;
	a.cover_detail = 1;
	text = offramp_worker_req_encode(&a, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_uint_lt(len, OFFRAMP_WORKER_REQ_MAX);
	ck_assert_int_eq(offramp_worker_req_decode(text, len, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(memcmp(&a, &b, sizeof(a)), 0);
	g_free(text);
}
END_TEST

/* What the worker refuses to work from. */
/* text with its first "from" replaced by "to"; caller frees. */
static char *
replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);

	ck_assert_ptr_nonnull(at);
	return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* What the worker refuses to work from. */
START_TEST(test_req_strict)
{
	static const char *const bad[] = {
		"",
		"version 2\n",
		"garbage without a newline",
		"version 1\nid x\n",
		"\x01\x02\x03\n",
	};
	struct offramp_worker_req a, b;
	char err[256], *text, *mut, *from, *longv, *line;
	size_t len, i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++)
		ck_assert_int_eq(offramp_worker_req_decode(bad[i], strlen(bad[i]), &b, err,
		    sizeof(err)), -1);
	make_req(&a, text_msg, 60);
	text = offramp_worker_req_encode(&a, &len);
	/* A relative path, a zero limit, a value out of range. */
	from = g_strdup_printf("msg %s\n", a.msg_path);
	mut = replaced(text, from, "msg msgs/x\n");
	ck_assert_int_eq(offramp_worker_req_decode(mut, strlen(mut), &b, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "absolute"));
	g_free(mut);
	g_free(from);
	mut = replaced(text, "timeout 60\n", "timeout 0\n");
	ck_assert_int_eq(offramp_worker_req_decode(mut, strlen(mut), &b, err, sizeof(err)), -1);
	g_free(mut);
	mut = replaced(text, "timeout 60\n", "timeout 6000\n");
	ck_assert_int_eq(offramp_worker_req_decode(mut, strlen(mut), &b, err, sizeof(err)), -1);
	g_free(mut);
	/* A string that would not fit its field. */
	longv = g_strnfill(OFFRAMP_WORKER_TEXT_MAX + 10, 'x');
	line = g_strdup_printf("left %s\n", longv);
	mut = replaced(text, "left \n", line);
	ck_assert_int_eq(offramp_worker_req_decode(mut, strlen(mut), &b, err, sizeof(err)), -1);
	g_free(mut);
	g_free(line);
	g_free(longv);
	g_free(text);
}
END_TEST

START_TEST(test_res_round_trip)
{
	struct offramp_worker_req req;
	struct offramp_worker_res a, b;
	char err[256], *text;
	size_t len;

	make_req(&req, text_msg, 60);
	ck_assert_int_eq(offramp_worker_prepare(&req, &a), 0);
	ck_assert_uint_ge(a.pages, 1);
	ck_assert_ptr_nonnull(strstr(a.parts, "text/plain("));
	text = offramp_worker_res_encode(&a, a.facts, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(offramp_worker_res_decode(text, len, &b, err, sizeof(err)), 0);
	ck_assert_int_eq(b.rc, 0);
	ck_assert_uint_eq(b.pages, a.pages);
	ck_assert_str_eq(b.parts, a.parts);
	ck_assert_uint_eq(b.notes.missing_glyphs, 0);
	/* Characters no font had reach the daemon (the DSN says so). */
	g_free(text);
	a.notes.missing_glyphs = 3;
	text = offramp_worker_res_encode(&a, a.facts, &len);
	offramp_worker_res_clear(&b);
	ck_assert_int_eq(offramp_worker_res_decode(text, len, &b, err, sizeof(err)), 0);
	ck_assert_uint_eq(b.notes.missing_glyphs, 3);
	/* The header facts the MDN needs made the trip. */
	ck_assert_ptr_nonnull(b.facts);
	ck_assert_str_eq(mime_offramp_subject(b.facts), "Figures");
	ck_assert_str_eq(mime_offramp_message_id(b.facts), "<fig@example.com>");
	ck_assert_str_eq(mime_offramp_dnt_addr(b.facts), "alice@example.com");
	ck_assert_int_eq(mime_offramp_dnt_count(b.facts), 1);
	ck_assert_str_eq(mime_offramp_return_path(b.facts), "alice@example.com");
	ck_assert_uint_eq(mime_offramp_nparts(b.facts), 0);
	offramp_worker_res_clear(&a);
	offramp_worker_res_clear(&b);
	g_free(text);
}
END_TEST

/* What the daemon refuses to believe. */
START_TEST(test_res_strict)
{
	static const char *const bad[] = {
		"",
		"version 1\n",                                       /* no rc */
		"version 1\nrc 0\npages 0\n",                        /* a fax of nothing */
		"version 1\nrc 1\npages 1\n",                        /* rc is 0 or -1 */
		"version 1\nrc -1\nstatus 2.0.0\ntext x\npages 0\n",  /* failed with 2.x */
		"version 1\nrc -1\nstatus 5.6.1\npages 0\n",          /* no reason */
		"version 1\nrc -1\nstatus 5.x.1\ntext x\npages 0\n",
		"version 1\nrc 0\npages 999999999\n",
		"version 1\nrc 0\npages 1\nfact.dnt-count 1\nfact.is-report 7\n"
		    "fact.date-time 0\n",
		"version 9\nrc 0\npages 1\n",
		"this is not a result record\n",
	};
	struct offramp_worker_res r;
	char err[256];
	size_t i;

	for (i = 0; i < G_N_ELEMENTS(bad); i++) {
		ck_assert_msg(offramp_worker_res_decode(bad[i], strlen(bad[i]), &r, err,
		    sizeof(err)) == -1, "accepted: %s", bad[i]);
		ck_assert_ptr_null(r.facts);
	}
	/* Invalid UTF-8 in a reason is repaired, not passed on. */
	{
		static const char odd[] = "version 1\nrc -1\nstatus 5.6.1\n"
		    "text caf\xe9 %0A\npages 0\n";

		ck_assert_int_eq(offramp_worker_res_decode(odd, strlen(odd), &r, err,
		    sizeof(err)), 0);
		ck_assert(g_utf8_validate(r.err.text, -1, NULL));
	}
}
END_TEST

/* ---- the preparation in this process -------------------------------------- */

START_TEST(test_prepare_poison)
{
	struct offramp_worker_req req;
	struct offramp_worker_res res;

	make_req(&req, "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: text/html\n\n", 60);
	ck_assert_int_eq(offramp_worker_prepare(&req, &res), -1);
	ck_assert_str_eq(res.err.status, "5.6.1");
	offramp_worker_res_clear(&res);
}
END_TEST

/* A G4 TIFF of pages w x h, all white (a few hundred bytes each). */
static char *
big_tiff(unsigned pages, uint32_t w, uint32_t h)
{
	char *path = g_strdup_printf("%s/big.tif", dir);
	TIFF *t = TIFFOpen(path, "w");
	unsigned char *row = g_malloc0((w + 7) / 8);
	uint32_t y;
	unsigned p;

	ck_assert_ptr_nonnull(t);
	for (p = 0; p < pages; p++) {
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 600.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 600.0);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		for (y = 0; y < h; y++)
			ck_assert_int_ge(TIFFWriteScanline(t, row, y, 0), 0);
		ck_assert(TIFFWriteDirectory(t));
	}
	TIFFClose(t);
	g_free(row);
	return path;
}

/* Declared pixels are counted before any page is decoded. */
START_TEST(test_prepare_pixel_budget)
{
	struct offramp_worker_req req;
	struct offramp_worker_res res;
	char *tif = big_tiff(3, 10000, 10000), *data = NULL, *b64, *msg;
	gsize len;
	unsigned long long px;
	unsigned pages;
	char err[128];
	time_t t0;

	ck_assert_int_eq(fax_tiff_pixels(tif, 100, &px, &pages, err, sizeof(err)), 0);
	ck_assert_uint_eq(pages, 3);
	ck_assert(px == 300000000ull);
	ck_assert_int_eq(fax_tiff_pixels(tif, 2, &px, &pages, err, sizeof(err)), 0);
	ck_assert_uint_eq(pages, 3);   /* past the limit: it stopped counting */
	ck_assert(g_file_get_contents(tif, &data, &len, NULL));
	b64 = g_base64_encode((const guchar *)data, len);
	msg = g_strdup_printf("From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: image/tiff; name=big.tif\n"
	    "Content-Transfer-Encoding: base64\n\n%s\n", b64);
	make_req(&req, msg, 60);
	req.max_mpixels = 250;
	t0 = time(NULL);
	ck_assert_int_eq(offramp_worker_prepare(&req, &res), -1);
	ck_assert_str_eq(res.err.status, "5.3.4");
	ck_assert_msg(strstr(res.err.text, "million pixels") != NULL, "%s", res.err.text);
	ck_assert(time(NULL) - t0 < 5);   /* refused before decoding */
	offramp_worker_res_clear(&res);
	g_free(tif);
	g_free(data);
	g_free(b64);
	g_free(msg);
}
END_TEST

/* ---- worker processes ------------------------------------------------------ */

struct outcome {
	int done;
	struct offramp_worker *w;
	char id[32];
	struct offramp_worker_res res;
};

static void
on_done(void *arg, struct offramp_worker *w, const char *id, struct offramp_worker_res *res)
{
	struct outcome *oc = arg;

	ck_assert_int_eq(oc->done, 0);   /* once */
	oc->done = 1;
	ck_assert_ptr_eq(w, oc->w);
	g_strlcpy(oc->id, id, sizeof(oc->id));
	oc->res = *res;
	offramp_worker_free(w);   /* allowed inside the callback */
}

/* Starts a worker with hook (NULL: none) and runs the loop until it ends. */
static void
run_worker(const char *hook, unsigned timeout, const char *msg, struct outcome *oc,
    int max_secs)
{
	struct offramp_worker_req req;
	char err[256];
	int i;

	memset(oc, 0, sizeof(*oc));
	if (hook != NULL) {
		char *h = g_strdup_printf("%s:%s", JOB_ID, hook);

		setenv("T37_TEST_WORKER", h, 1);
		g_free(h);
	}
	make_req(&req, msg, timeout);
	oc->w = offramp_worker_start(base, exe, &req, on_done, oc, err, sizeof(err));
	ck_assert_msg(oc->w != NULL, "%s", err);
	ck_assert_int_gt(offramp_worker_pid(oc->w), 1);
	for (i = 0; i < max_secs * 100 && !oc->done; i++)
		event_base_loop(base, EVLOOP_ONCE);
	ck_assert_msg(oc->done, "no outcome in %d s", max_secs);
	ck_assert_str_eq(oc->id, JOB_ID);
}

START_TEST(test_spawn_result)
{
	struct outcome oc;

	run_worker(NULL, 60, text_msg, &oc, 30);
	ck_assert_int_eq(oc.res.end, OFFRAMP_WORKER_RESULT);
	ck_assert_int_eq(oc.res.rc, 0);
	ck_assert_uint_ge(oc.res.pages, 1);
	ck_assert_ptr_nonnull(oc.res.facts);
	offramp_worker_res_clear(&oc.res);
	/* The document is where the request said. */
	{
		char *out = g_strdup_printf("%s/fax.tif", dir);

		ck_assert_int_eq(access(out, R_OK), 0);
		g_free(out);
	}
}
END_TEST

START_TEST(test_spawn_poison_fails_one_job)
{
	struct outcome oc;

	run_worker(NULL, 60, "From: a@example.com\nMIME-Version: 1.0\n"
	    "Content-Type: text/html\n\n", &oc, 30);
	ck_assert_int_eq(oc.res.end, OFFRAMP_WORKER_RESULT);
	ck_assert_int_eq(oc.res.rc, -1);
	ck_assert_str_eq(oc.res.err.status, "5.6.1");
}
END_TEST

struct crash_case {
	const char *hook;
	unsigned timeout;
	enum offramp_worker_end end;
	int signal;
	const char *status;
	const char *words;
};

static const struct crash_case crash_cases[] = {
	{ "abort", 60, OFFRAMP_WORKER_SIGNAL, SIGABRT, "5.6.5", "signal SIGABRT" },
	{ "segv", 60, OFFRAMP_WORKER_SIGNAL, SIGSEGV, "5.6.5", "signal SIGSEGV" },
	{ "garbage", 60, OFFRAMP_WORKER_GARBAGE, 0, "5.6.5", "no usable answer" },
	/* More than a result may be: cut off and killed at once. */
	{ "babble", 60, OFFRAMP_WORKER_GARBAGE, 0, "5.6.5", "no usable answer" },
	{ "exit3", 60, OFFRAMP_WORKER_EXIT, 0, "4.3.0", "status 3" },
	/* CPU: RLIMIT_CPU stops it at 1 s of processor time - or the wall
	 * clock first, on a machine too busy to give a niced worker 1 s. */
	{ "spin", 1, OFFRAMP_WORKER_SIGNAL, SIGXCPU, "5.3.4", "within 1 second" },
	/* Wall clock: asleep, no CPU used; killed at the limit plus grace. */
	{ "hang", 1, OFFRAMP_WORKER_TIMEOUT, 0, "5.3.4", "within 1 second" },
};

START_TEST(test_spawn_crashes)
{
	const struct crash_case *c = &crash_cases[_i];
	struct outcome oc;
	time_t t0 = time(NULL);

	run_worker(c->hook, c->timeout, text_msg, &oc, 30);
	ck_assert_msg(time(NULL) - t0 <= (time_t)c->timeout + OFFRAMP_WORKER_GRACE + 2,
	    "%s: took %ld s", c->hook, (long)(time(NULL) - t0));
	if (strcmp(c->hook, "babble") == 0)
		ck_assert_msg(time(NULL) - t0 < 5, "babble: not cut off");
	if (c->signal == SIGXCPU && oc.res.end == OFFRAMP_WORKER_TIMEOUT) {
		oc.res.end = c->end;   /* see above */
		oc.res.signal = SIGXCPU;
	}
	ck_assert_msg(oc.res.end == c->end, "%s: end %d", c->hook, oc.res.end);
	ck_assert_int_eq(oc.res.rc, -1);
	if (c->signal)
		ck_assert_int_eq(oc.res.signal, c->signal);
	ck_assert_str_eq(oc.res.err.status, c->status);
	ck_assert_msg(strstr(oc.res.err.text, "could not be processed") != NULL, "%s",
	    oc.res.err.text);
	ck_assert_msg(strstr(oc.res.err.text, c->words) != NULL, "%s: %s", c->hook,
	    oc.res.err.text);
	ck_assert_ptr_null(oc.res.facts);
}
END_TEST

START_TEST(test_spawn_no_binary)
{
	struct offramp_worker_req req;
	char err[256];

	make_req(&req, text_msg, 60);
	ck_assert_ptr_null(offramp_worker_start(base, "/nonexistent/t37gw", &req, on_done,
	    NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot run"));
}
END_TEST

/* The limits the worker set on itself, as the document finds them. */
START_TEST(test_spawn_limits)
{
	char *file = g_strdup_printf("%s/limits", dir), *text = NULL, *want;
	struct outcome oc;

	setenv("T37_TEST_KIDPID", file, 1);
	run_worker("limits", 7, text_msg, &oc, 30);
	ck_assert_int_eq(oc.res.rc, 0);
	offramp_worker_res_clear(&oc.res);
	ck_assert(g_file_get_contents(file, &text, NULL, NULL));
	ck_assert_msg(strstr(text, "cpu=7/8 ") != NULL, "%s", text);
	want = g_strdup_printf("fsize=%llu/%llu ", OFFRAMP_WORKER_FILE_MAX, OFFRAMP_WORKER_FILE_MAX);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	ck_assert_msg(strstr(text, "core=0/0 ") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "nofile=256/256 ") != NULL, "%s", text);
	/* 1024 MiB, unless a sanitizer needs its terabytes of shadow. */
	if (getenv("T37_SANITIZED") == NULL)
		ck_assert_msg(strstr(text, "as=1073741824/1073741824 ") != NULL, "%s", text);
	ck_assert_msg(atoi(strstr(text, "nice=") + 5) >= OFFRAMP_WORKER_NICE, "%s", text);
	unsetenv("T37_TEST_KIDPID");
	g_free(want);
	g_free(text);
	g_free(file);
}
END_TEST

/* Running, not a zombie waiting for a reaper that is not us (an orphan is
 * reaped by init, or by nobody in some containers). */
static int
alive(pid_t pid)
{
	char *path = g_strdup_printf("/proc/%ld/stat", (long)pid), *st = NULL;
	const char *rp;
	int up = 0;

	if (kill(pid, 0) == 0 && g_file_get_contents(path, &st, NULL, NULL)) {
		rp = strrchr(st, ')');
		up = rp == NULL || rp[1] == '\0' || rp[2] != 'Z';
	}
	g_free(st);
	g_free(path);
	return up;
}

/* Freeing a running worker kills its whole process group at once. */
START_TEST(test_spawn_free_kills)
{
	struct offramp_worker_req req;
	struct outcome oc = { 0 };
	char err[256], *kidfile = g_strdup_printf("%s/kid", dir), *text = NULL;
	long pid;
	pid_t kid;
	int i;

	setenv("T37_TEST_WORKER", JOB_ID ":hangkid", 1);
	setenv("T37_TEST_KIDPID", kidfile, 1);
	make_req(&req, text_msg, 60);
	oc.w = offramp_worker_start(base, exe, &req, on_done, &oc, err, sizeof(err));
	ck_assert_ptr_nonnull(oc.w);
	pid = offramp_worker_pid(oc.w);
	for (i = 0; i < 500 && !g_file_get_contents(kidfile, &text, NULL, NULL); i++)
		usleep(10000);
	ck_assert_ptr_nonnull(text);
	kid = (pid_t)atol(text);
	ck_assert_int_gt(kid, 1);
	offramp_worker_free(oc.w);
	ck_assert_int_eq(oc.done, 0);   /* no callback */
	ck_assert_int_eq(kill((pid_t)pid, 0), -1);   /* reaped */
	for (i = 0; i < 200 && alive(kid); i++)
		usleep(10000);
	ck_assert_msg(!alive(kid), "the worker's child %ld survived", (long)kid);
	unsetenv("T37_TEST_KIDPID");
	g_free(text);
	g_free(kidfile);
}
END_TEST

/*
 * The daemon dies (kill -9) while its worker runs: the worker and
 * everything in its process group (Ghostscript) die too, at once - no
 * orphan keeps rendering, or writing into the job, beside the next start.
 */
START_TEST(test_spawn_dies_with_parent)
{
	char *kidfile = g_strdup_printf("%s/kid", dir), *text = NULL;
	int fds[2];
	long wpid = 0;
	pid_t daemon, kid;
	int i, status;

	ck_assert_int_eq(pipe(fds), 0);
	setenv("T37_TEST_WORKER", JOB_ID ":hangkid", 1);
	setenv("T37_TEST_KIDPID", kidfile, 1);
	daemon = fork();
	ck_assert_int_ge(daemon, 0);
	if (daemon == 0) {
		struct event_base *b = event_base_new();
		struct offramp_worker_req req;
		struct outcome oc = { 0 };
		char err[256];

		make_req(&req, text_msg, 60);
		oc.w = offramp_worker_start(b, exe, &req, on_done, &oc, err, sizeof(err));
		wpid = oc.w ? offramp_worker_pid(oc.w) : 0;
		if (write(fds[1], &wpid, sizeof(wpid)) != sizeof(wpid))
			_exit(1);
		for (;;)
			pause();   /* the "daemon", until killed */
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &wpid, sizeof(wpid)), sizeof(wpid));
	close(fds[0]);
	ck_assert_int_gt(wpid, 1);
	for (i = 0; i < 500 && !g_file_get_contents(kidfile, &text, NULL, NULL); i++)
		usleep(10000);
	ck_assert_ptr_nonnull(text);
	kid = (pid_t)atol(text);
	ck_assert_int_gt(kid, 1);
	ck_assert(alive((pid_t)wpid));
	ck_assert(alive(kid));
	kill(daemon, SIGKILL);
	ck_assert_int_eq(waitpid(daemon, &status, 0), daemon);
	for (i = 0; i < 300 && (alive((pid_t)wpid) || alive(kid)); i++)
		usleep(10000);
	ck_assert_msg(!alive((pid_t)wpid), "the worker outlived its daemon");
	ck_assert_msg(!alive(kid), "the worker's child outlived the daemon");
	unsetenv("T37_TEST_KIDPID");
	g_free(text);
	g_free(kidfile);
}
END_TEST

/* Run by hand it only says what it is for. */
START_TEST(test_worker_by_hand)
{
	char *argv1[] = { (char *)"t37gw", (char *)OFFRAMP_WORKER_ARG, NULL };
	char *argv2[] = { (char *)"t37gw", (char *)OFFRAMP_WORKER_ARG, (char *)JOB_ID,
	    (char *)"1", NULL };

	ck_assert_int_eq(offramp_worker_main(2, argv1), 2);
	ck_assert_int_eq(offramp_worker_main(4, argv2), 2);
}
END_TEST

Suite *
suite_offramp_worker(void)
{
	Suite *s = suite_create("offramp_worker");
	TCase *tr = tcase_create("records");
	TCase *tp = tcase_create("process");

	tcase_add_checked_fixture(tr, setup, teardown);
	tcase_add_test(tr, test_req_round_trip);
	tcase_add_test(tr, test_req_strict);
	tcase_add_test(tr, test_res_round_trip);
	tcase_add_test(tr, test_res_strict);
	tcase_add_test(tr, test_prepare_poison);
	tcase_add_test(tr, test_prepare_pixel_budget);
	tcase_add_test(tr, test_worker_by_hand);
	suite_add_tcase(s, tr);
	tcase_set_timeout(tp, 60);
	tcase_add_checked_fixture(tp, setup, teardown);
	tcase_add_test(tp, test_spawn_result);
	tcase_add_test(tp, test_spawn_poison_fails_one_job);
	tcase_add_loop_test(tp, test_spawn_crashes, 0, G_N_ELEMENTS(crash_cases));
	tcase_add_test(tp, test_spawn_no_binary);
	tcase_add_test(tp, test_spawn_limits);
	tcase_add_test(tp, test_spawn_free_kills);
	tcase_add_test(tp, test_spawn_dies_with_parent);
	suite_add_tcase(s, tp);
	return s;
}
