/*
 * gateway/offramp/pdf: PDF attachments to fax pages with Ghostscript.
 *
 * PDF is a program for a complex interpreter; a hostile one may try to
 * read files, loop, or explode in size. So Ghostscript runs as a separate
 * process: only on files that start with "%PDF-" (anything else would be
 * run as PostScript), -dSAFER (no file access beyond its input, output
 * and temporary directory), a temporary directory of its own, no shell
 * between us and it (posix_spawn with an argument vector), an almost empty
 * environment, its own process group (or the document worker's), a
 * wall-clock limit after which it is killed, and a page cap passed to it
 * (-dLastPage) so it stops rendering one page past the limit. Pages come out 1728 pixels wide
 * at 204x196 dpi, each PDF page scaled to fit A4 (portrait and landscape
 * pages alike), G4-compressed; fax/ normalizes them afterwards.
 *
 * Not here: scheduling and the CPU and memory limits (the document worker
 * process runs this, gateway/offramp/worker.c) and the TIFF normalization
 * (fax/).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>
#include <tiffio.h>

#include "gateway/offramp/pdf.h"
#include "gateway/offramp/worker.h"
#include "mime/mime.h"
#include "util/log.h"

/* Fax page geometry: 1728 dots at 204 dpi, A4 length at 196 lines/inch. */
#define PDF_PAGE_GEOMETRY "-g1728x2292"
#define PDF_RESOLUTION "-r204x196"
/* How often the child is polled while it runs. */
#define PDF_POLL_NS (20 * 1000 * 1000L)
/* Longest Ghostscript message quoted in a DSN. */
#define PDF_GS_MSG_MAX 120
#define PDF_ARGV_MAX 20

static int pdf_spawn(const char *gs, char *const argv[], const char *logpath,
    const char *tmpdir, int keep_group, pid_t *pid, struct mime_error *err);
static void pdf_rmdir(const char *dir);
static int pdf_wait(pid_t pid, unsigned timeout, int *status);
static unsigned pdf_count_pages(const char *tiff);
static int pdf_is_pdf(const char *path);
static void pdf_last_message(const char *logpath, char *buf, size_t size);
static int pdf_err(struct mime_error *err, const char *status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

int
offramp_pdf_render(const char *pdf, const char *tiff_out, const struct offramp_pdf_opts *opts,
    unsigned *pages, struct mime_error *err)
{
	const char *gs = opts && opts->gs_path ? opts->gs_path : OFFRAMP_PDF_GS_PATH;
	unsigned max_pages = opts && opts->max_pages ? opts->max_pages :
	    OFFRAMP_PDF_MAX_PAGES_DEFAULT;
	unsigned timeout = opts && opts->timeout ? opts->timeout : OFFRAMP_PDF_TIMEOUT_DEFAULT;
	char lastpage[32], outarg[4096], logpath[4096], tmpdir[4096];
	char msg[PDF_GS_MSG_MAX + 1];
	char *argv[PDF_ARGV_MAX];
	int argc = 0, status = 0, rc;
	pid_t pid;
	unsigned n;

	memset(err, 0, sizeof(*err));
	*pages = 0;
	/* '%' in -sOutputFile is a page-number format to Ghostscript. */
	if (strchr(tiff_out, '%') != NULL || pdf[0] == '-')
		return pdf_err(err, "4.3.0", "unusable file name for rendering");
	snprintf(lastpage, sizeof(lastpage), "-dLastPage=%u", max_pages + 1);
	if ((size_t)snprintf(outarg, sizeof(outarg), "-sOutputFile=%s", tiff_out) >=
	    sizeof(outarg) ||
	    (size_t)snprintf(logpath, sizeof(logpath), "%s.log", tiff_out) >= sizeof(logpath) ||
	    (size_t)snprintf(tmpdir, sizeof(tmpdir), "%s.gsXXXXXX", tiff_out) >= sizeof(tmpdir))
		return pdf_err(err, "4.3.0", "file name too long for rendering");

	argv[argc++] = (char *)"gs";
	argv[argc++] = (char *)"-q";
	argv[argc++] = (char *)"-dSAFER";
	argv[argc++] = (char *)"-dBATCH";
	argv[argc++] = (char *)"-dNOPAUSE";
	argv[argc++] = (char *)"-dNOPROMPT";
	argv[argc++] = (char *)"-sDEVICE=tiffg4";
	argv[argc++] = (char *)PDF_RESOLUTION;
	argv[argc++] = (char *)PDF_PAGE_GEOMETRY;
	argv[argc++] = (char *)"-dFIXEDMEDIA";
	argv[argc++] = (char *)"-dPDFFitPage";
	argv[argc++] = (char *)"-dFirstPage=1";
	argv[argc++] = lastpage;
	argv[argc++] = outarg;
	argv[argc++] = (char *)"-f";
	argv[argc++] = (char *)pdf;
	argv[argc] = NULL;

	if (!pdf_is_pdf(pdf))
		return pdf_err(err, "5.6.1", "the document is not a PDF file");
	unlink(tiff_out);
	if (mkdtemp(tmpdir) == NULL)
		return pdf_err(err, "4.3.0", "cannot make a directory for rendering: %s",
		    strerror(errno));
	if (pdf_spawn(gs, argv, logpath, tmpdir, opts && opts->keep_group, &pid,
	    err) != 0) {
		pdf_rmdir(tmpdir);
		return -1;
	}
	rc = pdf_wait(pid, timeout, &status);
	pdf_rmdir(tmpdir);
	pdf_last_message(logpath, msg, sizeof(msg));
	unlink(logpath);
	if (rc != 0) {
		unlink(tiff_out);
		log_warnx("pdf=%s result=timeout secs=%u", pdf, timeout);
		return pdf_err(err, "5.3.4", "the PDF took longer than %u seconds to "
		    "render", timeout);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(tiff_out);
		return pdf_err(err, "5.6.5", "the PDF could not be converted to fax "
		    "pages%s%s", msg[0] ? ": " : "", msg);
	}
	n = pdf_count_pages(tiff_out);
	if (n == 0) {
		unlink(tiff_out);
		return pdf_err(err, "5.6.5", "the PDF has no pages that could be "
		    "rendered%s%s", msg[0] ? ": " : "", msg);
	}
	if (n > max_pages) {
		unlink(tiff_out);
		return pdf_err(err, "5.3.4", "the PDF has more than %u pages", max_pages);
	}
	*pages = n;
	return 0;
}

/*
 * Starts gs: stdin /dev/null, stdout and stderr to logpath, own group
 * unless keep_group. Its temporary directory is tmpdir, new and empty:
 * under -dSAFER Ghostscript still reads any file in its temporary
 * directory, and a PDF stream may name a file to read (an external
 * stream, /F); in /tmp that would let a document fax out whatever other
 * programs left there.
 */
static int
pdf_spawn(const char *gs, char *const argv[], const char *logpath,
    const char *tmpdir, int keep_group, pid_t *pid, struct mime_error *err)
{
	char *tmpenv = g_strdup_printf("TMPDIR=%s", tmpdir);
	char *const envp[] = { (char *)"PATH=/usr/bin:/bin", (char *)"LC_ALL=C", tmpenv,
	    NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, logpath,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	/* Own process group (killed as a whole) unless the caller's group is
	 * killed as a whole already. */
	offramp_spawn_attr_init(&at, !keep_group);
	rc = posix_spawn(pid, gs, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	g_free(tmpenv);
	if (rc != 0) {
		unlink(logpath);
		return pdf_err(err, "4.3.0", "cannot run %s: %s", gs, strerror(rc));
	}
	return 0;
}

/*
 * Waits for the child up to timeout seconds; then kills its process group
 * and reaps it. 0 when it ended by itself (*status set), -1 on timeout.
 */
static int
pdf_wait(pid_t pid, unsigned timeout, int *status)
{
	struct timespec start, now, nap = { 0, PDF_POLL_NS };
	pid_t r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			*status = 0x7f00;   /* not a clean exit */
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout)
			break;
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/*
 * Ghostscript picks its interpreter from the first bytes: "%PDF-" selects
 * PDF, anything else PostScript, a full programming language. A file that
 * does not start with "%PDF-" is never handed to it.
 */
static int
pdf_is_pdf(const char *path)
{
	char head[5];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, head, sizeof(head));
	close(fd);
	return n == (ssize_t)sizeof(head) && memcmp(head, "%PDF-", 5) == 0;
}

/* Ghostscript's temporary directory and what it left there. */
static void
pdf_rmdir(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (d != NULL) {
		while ((name = g_dir_read_name(d)) != NULL) {
			char *path = g_build_filename(dir, name, NULL);

			unlink(path);
			g_free(path);
		}
		g_dir_close(d);
	}
	rmdir(dir);
}

static unsigned
pdf_count_pages(const char *tiff)
{
	TIFFErrorHandler eh = TIFFSetErrorHandler(NULL);
	TIFFErrorHandler wh = TIFFSetWarningHandler(NULL);
	TIFF *t = TIFFOpen(tiff, "r");
	unsigned n = 0;

	if (t != NULL) {
		n = TIFFNumberOfDirectories(t);
		TIFFClose(t);
	}
	TIFFSetErrorHandler(eh);
	TIFFSetWarningHandler(wh);
	return n;
}

/* The last non-empty line Ghostscript wrote, printable ASCII, fitted
 * (mime_text_fit: whole words only). */
static void
pdf_last_message(const char *logpath, char *buf, size_t size)
{
	FILE *f = fopen(logpath, "re");
	char line[512], last[512] = "";
	size_t i, n;

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char clean[sizeof(line)];

		for (i = strspn(line, " \t"), n = 0; line[i] != '\0'; i++) {
			unsigned char c = (unsigned char)line[i];

			if (c == '\n' || c == '\r')
				continue;
			clean[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		while (n > 0 && clean[n - 1] == ' ')
			n--;
		clean[n] = '\0';
		if (n > 0)
			memcpy(last, clean, n + 1);
	}
	fclose(f);
	mime_text_fit(buf, size, last);
}

static int
pdf_err(struct mime_error *err, const char *status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mime_error_vset(err, status, fmt, ap);
	va_end(ap);
	return -1;
}
