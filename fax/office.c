/*
 * fax/office.c: word-processor, spreadsheet and presentation documents to
 * PDF with LibreOffice headless, for the PDF path (Ghostscript) to make
 * fax pages of.
 *
 * An office file is a program's worth of features for a complex
 * application (macros, links to other files and to the network, embedded
 * objects), so LibreOffice runs as a sandboxed child:
 *   - a directory of its own under the caller's work directory: its
 *     HOME, its profile (one per conversion, so nothing carries over
 *     between documents), its temporary directory and its output, all
 *     removed afterwards; a copy of the document in it;
 *   - a profile that turns macros off, blocks links to untrusted places,
 *     never updates links when loading, and sends any network request to
 *     a closed port on loopback;
 *   - a network namespace of its own when the kernel grants one (as
 *     root, or through a user namespace): then there is no network at
 *     all, not even loopback;
 *   - an address-space limit, stdin from /dev/null, no inherited file
 *     descriptors, an environment of HOME, PATH, TMPDIR and the locale;
 *   - a process group of its own, led by a small supervisor process that
 *     kills the group when the caller dies, and that the caller kills,
 *     group and all, at the time limit (LibreOffice's launcher starts
 *     further processes).
 * LibreOffice exits with FAX_OFFICE_EXIT_RESTART after making a new
 * profile; it is then started once more.
 *
 * Not here: PDF to pages (gateway/, Ghostscript), deciding that a part is
 * an office document (mime/).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "fax/fax.h"

/* How often the supervisor is polled while it runs. */
#define OFFICE_POLL_NS		(20 * 1000 * 1000L)
#define OFFICE_ARGV_MAX		20
#define OFFICE_EXT_MAX		8
/* Longest line of LibreOffice's output quoted in an error. */
#define OFFICE_MSG_MAX		120
/* Exit status of the supervisor when the converter could not start. */
#define OFFICE_EXIT_EXEC	127
/* A dead loopback port for any network request the profile lets out. */
#define OFFICE_DEAD_PROXY	"127.0.0.1"
#define OFFICE_DEAD_PORT	"9"
#define OFFICE_RM_FDS		16

/* The profile's settings (LibreOffice's registrymodifications.xcu). */
#define XCU_ITEM(path, name, value) \
	"<item oor:path=\"" path "\"><prop oor:name=\"" name "\" " \
	"oor:op=\"fuse\"><value>" value "</value></prop></item>\n"
static const char office_profile[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<oor:items xmlns:oor=\"http://openoffice.org/2001/registry\" "
    "xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
    XCU_ITEM("/org.openoffice.Office.Common/Security/Scripting",
	"MacroSecurityLevel", "3")
    XCU_ITEM("/org.openoffice.Office.Common/Security/Scripting",
	"DisableMacrosExecution", "true")
    XCU_ITEM("/org.openoffice.Office.Common/Security/Scripting",
	"BlockUntrustedRefererLinks", "true")
    XCU_ITEM("/org.openoffice.Office.Writer/Content/Update", "Link", "2")
    XCU_ITEM("/org.openoffice.Office.Calc/Content/Update", "Link", "2")
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetProxyType", "2")
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetNoProxy", "")
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetHTTPProxyName",
	OFFICE_DEAD_PROXY)
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetHTTPProxyPort",
	OFFICE_DEAD_PORT)
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyName",
	OFFICE_DEAD_PROXY)
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetHTTPSProxyPort",
	OFFICE_DEAD_PORT)
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetFTPProxyName",
	OFFICE_DEAD_PROXY)
    XCU_ITEM("/org.openoffice.Inet/Settings", "ooInetFTPProxyPort",
	OFFICE_DEAD_PORT)
    "</oor:items>\n";

/* Everything the child needs, made before fork(): after it, only
 * async-signal-safe calls. */
struct office_run {
	char *argv[OFFICE_ARGV_MAX];
	char *envp[8];
	const char *converter;
	const char *dir;		/* the sandbox directory */
	const char *log;		/* stdout and stderr */
	rlim_t memory;			/* bytes of address space */
};

static int	 office_err(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 office_rm(const char *, const struct stat *, int,
		    struct FTW *);
static int	 office_copy(const char *, const char *);
static int	 office_write(const char *, const char *, size_t);
static pid_t	 office_spawn(const struct office_run *);
static void	 office_supervise(const struct office_run *)
		    __attribute__((noreturn));
static void	 office_term(int);
static int	 office_wait(pid_t, struct timespec *, int *);
static void	 office_last_line(const char *, char *, size_t);

static int
office_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int
office_rm(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

/* Copies in to out (a new file): the converter gets a name it may not
 * follow out of its sandbox. */
static int
office_copy(const char *in, const char *out)
{
	int fi = open(in, O_RDONLY | O_CLOEXEC), fo = -1, rc = -1;
	char buf[65536];
	ssize_t n;

	if (fi < 0)
		return -1;
	fo = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fo < 0)
		goto out;
	while ((n = read(fi, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (off < n) {
			ssize_t k = write(fo, buf + off, (size_t)(n - off));

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				goto out;
			off += k;
		}
	}
	rc = n == 0 ? 0 : -1;
out:
	if (fo >= 0 && close(fo) != 0)
		rc = -1;
	close(fi);
	return rc;
}

static int
office_write(const char *path, const char *data, size_t len)
{
	return g_file_set_contents(path, data, (gssize)len, NULL) ? 0 : -1;
}

enum fax_office_result
fax_office_to_pdf(const char *in, const char *ext, const char *workdir,
    const char *pdf_out, const struct fax_office_options *o, char *err,
    size_t errlen)
{
	const char *conv = o != NULL && o->converter != NULL && *o->converter ?
	    o->converter : FAX_OFFICE_CONVERTER_DEFAULT;
	unsigned timeout = o != NULL && o->timeout ? o->timeout :
	    FAX_OFFICE_TIMEOUT_DEFAULT;
	unsigned memory = o != NULL && o->memory_mb ? o->memory_mb :
	    FAX_OFFICE_MEMORY_DEFAULT;
	enum fax_office_result res = FAX_OFFICE_LOCAL;
	struct office_run run;
	struct timespec deadline;
	char *dir, *doc = NULL, *profile = NULL, *xcu = NULL, *pdf = NULL;
	char *envs[4] = { NULL }, *uinst = NULL, *outdir = NULL, *log = NULL;
	char msg[OFFICE_MSG_MAX + 1] = "";
	int attempt, status = 0, argc = 0;
	size_t i;

	if (access(conv, X_OK) != 0) {
		office_err(err, errlen, "no office-document converter is installed "
		    "(%s: %s)", conv, strerror(errno));
		return FAX_OFFICE_MISSING;
	}
	for (i = 0; ext[i] != '\0'; i++)
		if (!g_ascii_isalnum(ext[i]))
			break;
	if (ext[i] != '\0' || i == 0 || i > OFFICE_EXT_MAX) {
		office_err(err, errlen, "no document format named");
		return FAX_OFFICE_LOCAL;
	}
	dir = g_build_filename(workdir, "office.XXXXXX", NULL);
	if (mkdtemp(dir) == NULL) {
		office_err(err, errlen, "cannot make a directory for the conversion: %s",
		    strerror(errno));
		g_free(dir);
		return FAX_OFFICE_LOCAL;
	}
	doc = g_strdup_printf("%s/document.%s", dir, ext);
	profile = g_build_filename(dir, "profile", "user", NULL);
	xcu = g_build_filename(profile, "registrymodifications.xcu", NULL);
	outdir = g_build_filename(dir, "out", NULL);
	pdf = g_build_filename(outdir, "document.pdf", NULL);
	log = g_build_filename(dir, "log", NULL);
	uinst = g_strdup_printf("-env:UserInstallation=file://%s/profile", dir);
	envs[0] = g_strdup_printf("HOME=%s/home", dir);
	envs[1] = g_strdup_printf("TMPDIR=%s/tmp", dir);
	{
		char *home = g_build_filename(dir, "home", NULL);
		char *tmp = g_build_filename(dir, "tmp", NULL);
		int ok = g_mkdir_with_parents(profile, 0700) == 0 &&
		    g_mkdir_with_parents(home, 0700) == 0 &&
		    g_mkdir_with_parents(tmp, 0700) == 0 &&
		    g_mkdir_with_parents(outdir, 0700) == 0;

		g_free(home);
		g_free(tmp);
		if (!ok || office_copy(in, doc) != 0 ||
		    office_write(xcu, office_profile, sizeof(office_profile) - 1) != 0) {
			office_err(err, errlen, "cannot prepare the conversion: %s",
			    strerror(errno));
			goto out;
		}
	}
	memset(&run, 0, sizeof(run));
	run.argv[argc++] = (char *)conv;
	run.argv[argc++] = (char *)"--headless";
	run.argv[argc++] = (char *)"--invisible";
	run.argv[argc++] = (char *)"--nologo";
	run.argv[argc++] = (char *)"--norestore";
	run.argv[argc++] = (char *)"--nolockcheck";
	run.argv[argc++] = (char *)"--nodefault";
	run.argv[argc++] = (char *)"--nofirststartwizard";
	run.argv[argc++] = uinst;
	run.argv[argc++] = (char *)"--convert-to";
	run.argv[argc++] = (char *)"pdf";
	run.argv[argc++] = (char *)"--outdir";
	run.argv[argc++] = outdir;
	run.argv[argc++] = doc;
	run.argv[argc] = NULL;
	run.envp[0] = envs[0];
	run.envp[1] = envs[1];
	run.envp[2] = (char *)"PATH=/usr/bin:/bin";
	run.envp[3] = (char *)"LANG=C.UTF-8";
	run.envp[4] = (char *)"SAL_USE_VCLPLUGIN=svp";
	run.envp[5] = NULL;
	run.converter = conv;
	run.dir = dir;
	run.log = log;
	run.memory = (rlim_t)memory << 20;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += (time_t)timeout;
	for (attempt = 0; attempt < 2; attempt++) {
		pid_t pid = office_spawn(&run);

		if (pid < 0) {
			office_err(err, errlen, "cannot start %s: %s", conv,
			    strerror(errno));
			goto out;
		}
		if (office_wait(pid, &deadline, &status) != 0) {
			res = FAX_OFFICE_TIMEOUT;
			office_err(err, errlen, "the conversion took longer than %u "
			    "seconds", timeout);
			goto out;
		}
		if (!WIFEXITED(status) || WEXITSTATUS(status) !=
		    FAX_OFFICE_EXIT_RESTART)
			break;
	}
	office_last_line(log, msg, sizeof(msg));
	{
		int fd = open(pdf, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		char head[5];
		ssize_t n = fd >= 0 ? read(fd, head, sizeof(head)) : -1;

		if (fd >= 0)
			close(fd);
		if (n != (ssize_t)sizeof(head) || memcmp(head, "%PDF-", 5) != 0) {
			res = FAX_OFFICE_FAILED;
			if (WIFEXITED(status) && WEXITSTATUS(status) == OFFICE_EXIT_EXEC)
				office_err(err, errlen, "the office-document converter "
				    "%s could not be run", conv);
			else
				office_err(err, errlen, "LibreOffice could not convert "
				    "it%s%s", msg[0] ? ": " : "", msg);
			goto out;
		}
	}
	if (rename(pdf, pdf_out) != 0) {
		office_err(err, errlen, "cannot keep the converted document: %s",
		    strerror(errno));
		goto out;
	}
	res = FAX_OFFICE_OK;
out:
	nftw(dir, office_rm, OFFICE_RM_FDS, FTW_DEPTH | FTW_PHYS);
	g_free(dir);
	g_free(doc);
	g_free(profile);
	g_free(xcu);
	g_free(outdir);
	g_free(pdf);
	g_free(log);
	g_free(uinst);
	for (i = 0; i < G_N_ELEMENTS(envs); i++)
		g_free(envs[i]);
	return res;
}

/* Starts the supervisor; its pid (its process group), or -1. */
static pid_t
office_spawn(const struct office_run *run)
{
	pid_t pid = fork();

	if (pid == 0)
		office_supervise(run);
	return pid;
}

/* The supervisor's end: the caller died (PR_SET_PDEATHSIG), so the whole
 * group goes, the converter and whatever it started included. */
static void
office_term(int sig)
{
	(void)sig;
	kill(0, SIGKILL);
	_exit(1);
}

/*
 * In the child, async-signal-safe calls only: a group of its own, tied
 * to the caller's life, without the network when the kernel allows a
 * namespace, limited, stdin and output redirected, no other descriptor;
 * then the converter as its own child, and its exit status passed on.
 */
static void
office_supervise(const struct office_run *run)
{
	struct sigaction sa;
	struct rlimit as, cur;
	pid_t conv;
	int fd, status;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = office_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		_exit(OFFICE_EXIT_EXEC);
	/* No network: a namespace of its own (root may make one; others
	 * through a user namespace, where the kernel allows that). */
	if (unshare(CLONE_NEWNET) != 0)
		(void)unshare(CLONE_NEWUSER | CLONE_NEWNET);
	if (getrlimit(RLIMIT_AS, &cur) == 0) {
		as.rlim_cur = as.rlim_max = run->memory;
		if (cur.rlim_max != RLIM_INFINITY && cur.rlim_max < as.rlim_max)
			as.rlim_cur = as.rlim_max = cur.rlim_max;
		setrlimit(RLIMIT_AS, &as);
	}
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0)
		_exit(OFFICE_EXIT_EXEC);
	if ((fd = open(run->log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW,
	    0600)) < 0 || dup2(fd, 1) < 0 || dup2(1, 2) < 0)
		_exit(OFFICE_EXIT_EXEC);
	if (close_range(3, ~0U, 0) != 0 && getrlimit(RLIMIT_NOFILE, &cur) == 0)
		for (fd = 3; (rlim_t)fd < cur.rlim_cur; fd++)
			close(fd);
	if (chdir(run->dir) != 0)
		_exit(OFFICE_EXIT_EXEC);
	conv = fork();
	if (conv == 0) {
		sa.sa_handler = SIG_DFL;
		sigaction(SIGTERM, &sa, NULL);
		execve(run->converter, run->argv, run->envp);
		_exit(OFFICE_EXIT_EXEC);
	}
	if (conv < 0)
		_exit(OFFICE_EXIT_EXEC);
	while (waitpid(conv, &status, 0) < 0)
		if (errno != EINTR)
			_exit(OFFICE_EXIT_EXEC);
	/* What the converter left running goes with the group; this
	 * process steps into the caller's group first, to live on and pass
	 * the exit status up. */
	status = WIFEXITED(status) ? WEXITSTATUS(status) : OFFICE_EXIT_EXEC;
	if (setpgid(0, getpgid(getppid())) == 0)
		kill(-getpid(), SIGKILL);
	_exit(status);
}

/*
 * Waits for the supervisor until the deadline; then kills its group and
 * reaps it. 0 when it ended by itself (*status set), -1 on timeout.
 */
static int
office_wait(pid_t pid, struct timespec *deadline, int *status)
{
	struct timespec now, nap = { 0, OFFICE_POLL_NS };
	pid_t r;

	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR) {
			*status = OFFICE_EXIT_EXEC << 8;
			return 0;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline->tv_sec || (now.tv_sec == deadline->tv_sec &&
		    now.tv_nsec >= deadline->tv_nsec))
			break;
		nanosleep(&nap, NULL);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return -1;
}

/* The last non-empty line of the converter's output, printable ASCII. */
static void
office_last_line(const char *log, char *buf, size_t size)
{
	FILE *f = fopen(log, "re");
	char line[512], last[512] = "";
	size_t i, n;

	buf[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		for (i = 0, n = 0; line[i] != '\0'; i++) {
			unsigned char c = (unsigned char)line[i];

			if (c == '\n' || c == '\r')
				continue;
			last[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		if (n > 0)
			last[n] = '\0';
	}
	fclose(f);
	g_strlcpy(buf, last, size);
}
