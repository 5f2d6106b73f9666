/*
 * gateway/mailq/maildir: delivery of a spooled message into a Maildir, for
 * `mta send maildir DIR` (sites without a mail server, and the demo).
 * Not here: which file or when (mailq.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "gateway/mailq/mailq_int.h"
#include "gateway/spool/spool.h"

#define MAILDIR_COPY_CHUNK (64 * 1024)

static int maildir_mkdirs(const char *dir, char *err, size_t errlen);
static int maildir_copy(int in, int out);
static int maildir_fsync_dir(const char *path);

static int
maildir_mkdirs(const char *dir, char *err, size_t errlen)
{
	static const char *const sub[] = { "", "/tmp", "/new", "/cur" };
	char path[1024];
	size_t i;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", dir, sub[i]) >= sizeof(path)) {
			snprintf(err, errlen, "maildir %s: path too long", dir);
			return -1;
		}
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "maildir %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int
maildir_copy(int in, int out)
{
	char buf[MAILDIR_COPY_CHUNK];
	ssize_t n, w, off;

	for (;;) {
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return (int)n;
		for (off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				return -1;
		}
	}
}

static int
maildir_fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
mailq_maildir_deliver(struct spool *sp, const char *queue, const char *id,
    const char *name, const char *dir, const char *host, char *err, size_t errlen)
{
	char src[1024], tmp[1024], dst[1024], newdir[1024], hostc[64];
	struct timeval tv;
	size_t i;
	int in, out, saved;

	if (maildir_mkdirs(dir, err, errlen) != 0)
		return -1;
	if (spool_path(sp, queue, id, name, src, sizeof(src)) != 0 ||
	    (in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "job %s: cannot open %s: %s", id, name, strerror(errno));
		return -1;
	}
	/* Maildir names must not hold '/' or ':' */
	for (i = 0; host[i] && i + 1 < sizeof(hostc); i++)
		hostc[i] = (host[i] == '/' || host[i] == ':') ? '_' : host[i];
	hostc[i] = '\0';
	gettimeofday(&tv, NULL);
	snprintf(newdir, sizeof(newdir), "%s/new", dir);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%lld.M%06ldP%dQ%s.%s", dir,
	    (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(), id, hostc);
	snprintf(dst, sizeof(dst), "%s/new/%lld.M%06ldP%dQ%s.%s", dir,
	    (long long)tv.tv_sec, (long)tv.tv_usec, (int)getpid(), id, hostc);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		snprintf(err, errlen, "maildir %s: %s", tmp, strerror(errno));
		close(in);
		return -1;
	}
	if (maildir_copy(in, out) != 0 || fsync(out) != 0) {
		saved = errno;
		close(in);
		close(out);
		unlink(tmp);
		snprintf(err, errlen, "maildir %s: %s", tmp, strerror(saved));
		return -1;
	}
	close(in);
	if (close(out) != 0 || link(tmp, dst) != 0) {
		saved = errno;
		unlink(tmp);
		snprintf(err, errlen, "maildir %s: %s", dst, strerror(saved));
		return -1;
	}
	unlink(tmp);
	if (maildir_fsync_dir(newdir) != 0) {
		snprintf(err, errlen, "maildir %s: fsync: %s", newdir, strerror(errno));
		return -1;      /* not known durable: deliver again later */
	}
	return 0;
}
