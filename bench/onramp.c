/*
 * bench/onramp: 1,000 queued two-page faxes drained to Postfix's
 * smtp-sink by the onramp queue (SMTP client, PIPELINING, DSN, spool
 * removal after each 250), against smtp-source sending the same number of
 * messages of the same size with the same parallelism to the same sink in
 * the same run. Prints both rates and their ratio (target >= 0.5).
 *
 *   build/bench/onramp [COUNT]
 *
 * Exits 77 (skipped) when smtp-sink or smtp-source is missing.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/event.h>
#include <tiffio.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/mailq/mailq.h"
#include "gateway/onramp/onramp.h"
#include "gateway/spool/spool.h"
#include "util/log.h"

#define BENCH_COUNT_DEFAULT 1000
#define BENCH_PAGES 2

struct bench {
	struct event_base *base;
	struct mailq *q;
};

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static int
free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	port = ntohs(sa.sin_port);
	close(s);
	return port;
}

static int
wait_port(int port)
{
	struct sockaddr_in sa;
	int i, s;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	for (i = 0; i < 100; i++) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(s);
			return 0;
		}
		close(s);
		usleep(50000);
	}
	return -1;
}

static pid_t
spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* A two-page fine fax rewritten to Profile S, as received faxes are. */
static int
make_fax(const char *out)
{
	char tmp[1300], err[256];
	unsigned char row[FAX_PAGE_WIDTH / 8];
	struct fax_tiff_info info;
	TIFF *t;
	int p, r;
	size_t k;

	snprintf(tmp, sizeof(tmp), "%s.raw", out);
	if ((t = TIFFOpen(tmp, "w")) == NULL)
		return -1;
	for (p = 0; p < BENCH_PAGES; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, FAX_PAGE_WIDTH);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, 2200);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 2200);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, BENCH_PAGES);
		for (r = 0; r < 2200; r++) {
			memset(row, 0, sizeof(row));
			if ((r / 14) % 3 == 0 && r % 14 < 10)
				for (k = 12; k < sizeof(row) - 12; k += 2)
					row[k] = (unsigned char)(0x5a ^ (k * (unsigned)(r + p)));
			TIFFWriteScanline(t, row, (uint32_t)r, 0);
		}
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
	if (fax_tiff_profile_s(tmp, out, &info, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench/onramp: %s\n", err);
		return -1;
	}
	unlink(tmp);
	return 0;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bench *b = arg;

	(void)fd;
	(void)what;
	if (mailq_jobs(b->q) == 0)
		event_base_loopbreak(b->base);
}

int
main(int argc, char **argv)
{
	unsigned count = argc > 1 ? (unsigned)atoi(argv[1]) : BENCH_COUNT_DEFAULT, i;
	char dir[] = "/tmp/t37bench.XXXXXX", conf[8192], path[1200], err[512];
	char id[SPOOL_ID_LEN + 1], call[32], sport[16], scount[16], ssize[32], spar[64];
	char sinkaddr[64];
	struct config_diag diag;
	struct config *cfg;
	struct spool *sp;
	struct bench b;
	struct event *tick;
	struct timeval tv = { 0, 2000 };
	struct stat st;
	double t0, ours, ref;
	int port, status, root = geteuid() == 0;
	pid_t sink, src;
	long msgsize;

	if (system("command -v smtp-sink >/dev/null && command -v smtp-source >/dev/null") != 0) {
		printf("bench/onramp: skipped (smtp-sink/smtp-source not installed)\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	log_init("bench-onramp", 0, getenv("BENCH_DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	if (mkdtemp(dir) == NULL || (port = free_port()) < 0)
		return 1;
	if (root)
		chmod(dir, 0711);
	snprintf(sinkaddr, sizeof(sinkaddr), "127.0.0.1:%d", port);
	{
		char *args_root[] = { "smtp-sink", "-u", "nobody", sinkaddr, "256", NULL };
		char *args_user[] = { "smtp-sink", sinkaddr, "256", NULL };
		sink = spawn(root ? args_root : args_user);
	}
	if (wait_port(port) != 0) {
		fprintf(stderr, "bench/onramp: smtp-sink did not start\n");
		return 1;
	}

	snprintf(conf, sizeof(conf),
	    "hostname gw1.example.com\n"
	    "spool %s/spool\n"
	    "mta send server 127.0.0.1 port %d\n"
	    "mta send tls off\n"
	    "mta send postmaster postmaster@example.com\n"
	    "mta send with-subject both\n"
	    "dial-peer voice 200 mmoip\n"
	    " destination-pattern 99131..\n"
	    " information-type fax\n"
	    " session target mailto:fax-$d$@example.com\n"
	    " dsn success\n"
	    " dsn failure\n"
	    " mdn\n", dir, port);
	config_diag_init(&diag);
	cfg = config_parse_buffer("bench", conf, strlen(conf), &diag);
	if (cfg == NULL) {
		for (i = 0; i < diag.kept; i++)
			fprintf(stderr, "%s\n", config_diag_get(&diag, i));
		return 1;
	}
	config_diag_clear(&diag);
	if ((sp = spool_open(cfg->spool, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/fax.tif", dir);
	if (make_fax(path) != 0)
		return 1;

	b.base = event_base_new();
	b.q = mailq_new(b.base, sp, err, sizeof(err));
	if (b.q == NULL)
		return 1;
	mailq_set_config(b.q, cfg);
	if (mailq_start(b.q, err, sizeof(err)) != 0)
		return 1;
	t0 = now_s();
	for (i = 0; i < count; i++) {
		struct onramp_fax fr;

		memset(&fr, 0, sizeof(fr));
		snprintf(call, sizeof(call), "bench%u", i);
		fr.call_id = call;
		fr.tiff_path = path;
		fr.ani = "9194724118";
		fr.dnis = "9913170";
		fr.remote_csi = "+1 919 472 4118";
		fr.pages = BENCH_PAGES;
		fr.rate = 14400;
		fr.ecm = true;
		fr.duration = 48;
		if (onramp_mail(cfg, sp, &fr, id) != 0 || mailq_add(b.q, id) != 0)
			return 1;
	}
	printf("onramp: queued %u faxes (build + durable commit) in %.2f s\n",
	    count, now_s() - t0);
	snprintf(path, sizeof(path), "%s/spool/mail/%s/message", dir, id);
	msgsize = stat(path, &st) == 0 ? (long)st.st_size : 80000;

	tick = event_new(b.base, -1, EV_PERSIST, tick_cb, &b);
	event_add(tick, &tv);
	t0 = now_s();
	event_base_dispatch(b.base);
	ours = count / (now_s() - t0);
	event_free(tick);
	if (mailq_jobs(b.q) != 0) {
		fprintf(stderr, "bench/onramp: %u jobs not drained\n", mailq_jobs(b.q));
		return 1;
	}

	/* The reference: smtp-source, same count, size and parallelism. */
	snprintf(sport, sizeof(sport), "%d", MAILQ_CONCURRENCY);
	snprintf(scount, sizeof(scount), "%u", count);
	snprintf(ssize, sizeof(ssize), "%ld", msgsize);
	snprintf(spar, sizeof(spar), "%s", sinkaddr);
	{
		char *args[] = { "smtp-source", "-s", sport, "-m", scount, "-l", ssize,
		    "-f", "fax@gw1.example.com", "-t", "fax-9913170@example.com",
		    "-M", "gw1.example.com", spar, NULL };
		t0 = now_s();
		src = spawn(args);
		waitpid(src, &status, 0);
		ref = count / (now_s() - t0);
	}
	kill(sink, SIGTERM);
	waitpid(sink, NULL, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench/onramp: smtp-source failed\n");
		return 1;
	}
	printf("onramp: %u two-page faxes (%ld bytes each) drained to smtp-sink: "
	    "%.0f msgs/s; smtp-source same sink, size, %d sessions: %.0f msgs/s; "
	    "ratio %.2f (target >= 0.5)\n", count, msgsize, ours, MAILQ_CONCURRENCY,
	    ref, ours / ref);
	mailq_free(b.q);
	event_base_free(b.base);
	spool_free(sp);
	config_free(cfg);
	snprintf(conf, sizeof(conf), "rm -rf '%s'", dir);
	if (system(conf) != 0)
		return 1;
	return 0;
}
