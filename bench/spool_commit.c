/*
 * bench/spool_commit: durable jobs per second through gateway/spool, one
 * commit per job and in groups (spool_job_commit_many), against a
 * reference measured in the same run: the bare minimum for one durable
 * file (write a temp file, fsync it, rename it, fsync the directory), the
 * discipline Postfix and qmail follow per queue file.
 *
 * Each job is an offramp-sized mail: an envelope record and a message
 * file. Output: jobs/s for each mode and its ratio to the reference.
 * BENCH_SPOOL_JOBS (default 300) and TMPDIR choose the size and place.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gateway/spool/spool.h"

#define BENCH_MSG_SIZE 8192     /* bytes of the message file */
#define BENCH_GROUP 16          /* jobs per group commit */

static double now_secs(void);
static double bench_reference(const char *dir, int n, const char *msg);
static double bench_spool(struct spool *sp, int n, int group, const char *msg);
static void write_all(int fd, const void *buf, size_t len);

static double
now_secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
write_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len) {
		perror("write");
		exit(1);
	}
}

/* One file per job: temp file, fsync, rename, fsync dir. */
static double
bench_reference(const char *dir, int n, const char *msg)
{
	char tmp[512], dst[512];
	double t0 = now_secs();
	int i, fd, dfd = open(dir, O_RDONLY | O_DIRECTORY);

	for (i = 0; i < n; i++) {
		snprintf(tmp, sizeof(tmp), "%s/t.%d", dir, i);
		snprintf(dst, sizeof(dst), "%s/q.%d", dir, i);
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0640);
		write_all(fd, "from <a@example.com>\nrcpt <b@example.com>\n", 42);
		write_all(fd, msg, BENCH_MSG_SIZE);
		if (fsync(fd) == -1 || close(fd) == -1 || rename(tmp, dst) == -1 || fsync(dfd) == -1) {
			perror("reference");
			exit(1);
		}
	}
	close(dfd);
	return n / (now_secs() - t0);
}

static double
bench_spool(struct spool *sp, int n, int group, const char *msg)
{
	struct spool_job *jobs[BENCH_GROUP];
	struct spool_rec *env = spool_rec_new();
	const char *text;
	double t0 = now_secs();
	size_t len;
	int i, k = 0;

	spool_rec_add(env, "from", "<a@example.com>");
	spool_rec_add(env, "rcpt", "<b@example.com>");
	text = spool_rec_data(env, &len);
	for (i = 0; i < n; i++) {
		jobs[k] = spool_job_new(sp, "incoming", NULL);
		if (jobs[k] == NULL || spool_job_write(jobs[k], "env", text, len) == -1 ||
		    spool_job_write(jobs[k], "msg", msg, BENCH_MSG_SIZE) == -1) {
			perror("spool job");
			exit(1);
		}
		if (++k == group || i == n - 1) {
			if (spool_job_commit_many(jobs, (size_t)k) != 0) {
				perror("spool commit");
				exit(1);
			}
			k = 0;
		}
	}
	spool_rec_free(env);
	return n / (now_secs() - t0);
}

int
main(void)
{
	const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp";
	int n = getenv("BENCH_SPOOL_JOBS") ? atoi(getenv("BENCH_SPOOL_JOBS")) : 300;
	char base[256], refdir[300], root[300], err[256], cmd[300];
	static char msg[BENCH_MSG_SIZE];
	double ref, one, grp;
	struct spool *sp;

	memset(msg, 'x', sizeof(msg));
	snprintf(base, sizeof(base), "%s/t37bench.XXXXXX", tmpdir);
	if (n <= 0 || mkdtemp(base) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(refdir, sizeof(refdir), "%s/ref", base);
	snprintf(root, sizeof(root), "%s/spool", base);
	if (mkdir(refdir, 0700) == -1 || (sp = spool_open(root, err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench: %s\n", err);
		return 1;
	}
	ref = bench_reference(refdir, n, msg);
	one = bench_spool(sp, n, 1, msg);
	grp = bench_spool(sp, n, BENCH_GROUP, msg);
	spool_free(sp);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: cleanup of %s failed\n", base);

	printf("spool_commit reference (file+fsync+rename+dirsync): %.0f jobs/s\n", ref);
	printf("spool_commit single: %.0f jobs/s ratio=%.2f\n", one, one / ref);
	printf("spool_commit group-of-%d: %.0f jobs/s ratio=%.2f\n", BENCH_GROUP, grp, grp / ref);
	return 0;
}
