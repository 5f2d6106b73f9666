/*
 * Benchmark: what preparing documents in worker processes costs. The same
 * one-page text mail is prepared (parsed, rendered to a normalized fax
 * page) BENCH_DOCS times three ways, measured in the same run:
 *   reference  offramp_worker_prepare() in this process, one after the other:
 *              the work itself, without any isolation;
 *   serial     one worker process per document, one at a time, started
 *              and read on an event loop as the daemon does;
 *   pool       the same with BENCH_POOL workers at once (the default of
 *              `fax send render-workers`).
 * Prints the rates and each one's ratio to the reference. This binary is
 * also the worker (run again with --render-worker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <glib.h>
#include <glib/gstdio.h>

#include "config/config.h"
#include "util/log.h"
#include "gateway/offramp/offramp.h"
#include "gateway/offramp/pdf.h"
#include "gateway/offramp/worker.h"

#define BENCH_DOCS 200
#define BENCH_POOL CONFIG_RENDER_WORKERS_DEFAULT
#define BENCH_ID "661b2e084b381000"

static const char bench_msg[] =
    "From: Alice <alice@example.com>\nSubject: Figures\nMIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Dear colleagues,\n\nplease find the figures for the third quarter below.\n\n"
    "  North   1,204\n  South     988\n  East    1,377\n  West      865\n\n"
    "Regards,\nAlice\n";

static char dir[64], exe[PATH_MAX];
static unsigned running, finished;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
make_req(struct offramp_worker_req *req, unsigned slot)
{
	memset(req, 0, sizeof(*req));
	g_strlcpy(req->id, BENCH_ID, sizeof(req->id));
	g_snprintf(req->msg_path, sizeof(req->msg_path), "%s/msg", dir);
	g_snprintf(req->dir, sizeof(req->dir), "%s/w%u", dir, slot);
	g_snprintf(req->out, sizeof(req->out), "%s/w%u/fax.tif", dir, slot);
	g_strlcpy(req->gs_path, OFFRAMP_PDF_GS_PATH, sizeof(req->gs_path));
	req->timeout = CONFIG_RENDER_TIMEOUT_DEFAULT;
	req->memory_mb = CONFIG_RENDER_MEMORY_DEFAULT;
	req->max_pages = CONFIG_DEFAULT_MAX_PAGES;
	req->max_mpixels = CONFIG_MAX_PIXELS_DEFAULT;
}

static void
done(void *arg, struct offramp_worker *w, const char *id, struct offramp_worker_res *res)
{
	(void)arg;
	(void)id;
	if (res->end != OFFRAMP_WORKER_RESULT || res->rc != 0) {
		fprintf(stderr, "bench: a worker failed: %s\n", res->err.text);
		exit(1);
	}
	offramp_worker_res_clear(res);
	offramp_worker_free(w);
	running--;
	finished++;
}

/* docs documents through workers, at most pool at once; documents/s. */
static double
through_workers(unsigned docs, unsigned pool)
{
	struct event_base *base = event_base_new();
	struct offramp_worker_req req;
	unsigned started = 0;
	char err[256];
	double t0 = now_s();

	running = finished = 0;
	while (finished < docs) {
		while (running < pool && started < docs) {
			make_req(&req, started % pool);
			if (offramp_worker_start(base, exe, &req, done, NULL, err, sizeof(err)) == NULL) {
				fprintf(stderr, "bench: %s\n", err);
				exit(1);
			}
			running++;
			started++;
		}
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_base_free(base);
	return docs / (now_s() - t0);
}

int
main(int argc, char **argv)
{
	struct offramp_worker_req req;
	struct offramp_worker_res res;
	double t0, ref, serial, pool;
	char *path, *cmd;
	unsigned i;
	ssize_t n;

	if (argc > 1 && strcmp(argv[1], OFFRAMP_WORKER_ARG) == 0)
		return offramp_worker_main(argc, argv);
	log_set_level(LOG_LVL_ERR);
	g_strlcpy(dir, "/tmp/t37benchwXXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL || (n = readlink("/proc/self/exe", exe,
	    sizeof(exe) - 1)) <= 0)
		return 1;
	exe[n] = '\0';
	path = g_strdup_printf("%s/msg", dir);
	if (!g_file_set_contents(path, bench_msg, -1, NULL))
		return 1;
	for (i = 0; i < BENCH_POOL; i++) {
		char *w = g_strdup_printf("%s/w%u", dir, i);

		g_mkdir(w, 0700);
		g_free(w);
	}

	t0 = now_s();
	for (i = 0; i < BENCH_DOCS; i++) {
		make_req(&req, 0);
		if (offramp_worker_prepare(&req, &res) != 0) {
			fprintf(stderr, "bench: %s\n", res.err.text);
			return 1;
		}
		offramp_worker_res_clear(&res);
	}
	ref = BENCH_DOCS / (now_s() - t0);
	serial = through_workers(BENCH_DOCS, 1);
	pool = through_workers(BENCH_DOCS, BENCH_POOL);

	printf("in process (reference):   %7.1f documents/s\n", ref);
	printf("one worker at a time:     %7.1f documents/s  ratio %.2f\n", serial,
	    serial / ref);
	printf("%u workers at once:        %7.1f documents/s  ratio %.2f\n", BENCH_POOL,
	    pool, pool / ref);
	cmd = g_strdup_printf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	g_free(cmd);
	g_free(path);
	return 0;
}
