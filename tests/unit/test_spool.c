/*
 * Unit tests for gateway/spool: tree creation and errors, job life cycle,
 * ids, replace/move/remove/scan, fsync ordering, and crash tests that stop
 * the process at every durable step (spool_failpoint_set) and prove that
 * recovery then sees either the whole job or none of it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/spool/spool.h"
#include "gateway/spool/spool_test.h"

#define CRASH_MAX_STEPS 200     /* bound on the failpoint loop */

static char root[256];
static char base[128];

static void
setup(void)
{
	snprintf(base, sizeof(base), "%s/t37spool.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(base));
	snprintf(root, sizeof(root), "%s/spool", base);
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", base, base);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", base);
}

static struct spool *
open_ok(void)
{
	char err[512] = "";
	struct spool *sp = spool_open(root, err, sizeof(err));

	ck_assert_msg(sp != NULL, "spool_open: %s", err);
	return sp;
}

/* Number of entries in ROOT/sub (excluding . and ..). */
static int
count_entries(const char *sub)
{
	char cmd[512], line[32];
	FILE *f;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "ls -A %s/%s 2>/dev/null | wc -l", root, sub);
	f = popen(cmd, "r");
	if (f && fgets(line, sizeof(line), f))
		n = atoi(line);
	if (f)
		pclose(f);
	return n;
}

static int
collect_cb(const char *id, void *arg)
{
	char (*ids)[SPOOL_ID_LEN + 1] = arg;
	int i;

	for (i = 0; ids[i][0] != '\0'; i++)
		;
	memcpy(ids[i], id, SPOOL_ID_LEN + 1);
	return 0;
}

/* The content of a job file, or "" when missing; caller frees. */
static char *
file_of(struct spool *sp, const char *queue, const char *id, const char *name)
{
	char *buf;
	size_t len;

	if (spool_read(sp, queue, id, name, &buf, &len) == -1)
		return strdup("");
	return buf;
}

START_TEST(test_spool_open_creates_tree)
{
	static const char *const dirs[] = { "tmp", "incoming", "mail", "offramp", "failed" };
	struct spool *sp = open_ok();
	char path[512];
	struct stat st;
	size_t i;

	ck_assert_str_eq(spool_root(sp), root);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		ck_assert_msg(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "%s missing", path);
	}
	ck_assert_int_eq(count_entries("tmp"), 0);
	spool_free(sp);
	/* opening an existing tree works and keeps it */
	sp = open_ok();
	spool_free(sp);
	spool_free(NULL);
}
END_TEST

/* The error cases; permission bits only bind a non-root user. */
static void
open_errors_body(void)
{
	char err[512] = "", path[512];
	struct spool *sp;
	FILE *f;

	ck_assert_ptr_null(spool_open("", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no directory"));
	/* a file where the root should be */
	snprintf(path, sizeof(path), "%s/afile", base);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	ck_assert_ptr_null(spool_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
	/* unwritable tree */
	sp = open_ok();
	spool_free(sp);
	snprintf(path, sizeof(path), "%s/tmp", root);
	chmod(path, 0500);
	ck_assert_ptr_null(spool_open(root, err, sizeof(err)));
	ck_assert_msg(strstr(err, "not writable") && strstr(err, "Permission denied"), "%s", err);
	chmod(path, 0700);
	snprintf(path, sizeof(path), "%s/mail", root);
	chmod(path, 0500);
	ck_assert_ptr_null(spool_open(root, err, sizeof(err)));
	ck_assert_msg(strstr(err, "mail: not writable"), "%s", err);
	chmod(path, 0700);
	/* cannot create the root */
	chmod(base, 0500);
	snprintf(path, sizeof(path), "%s/other", base);
	ck_assert_ptr_null(spool_open(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "cannot create"), "%s", err);
	chmod(base, 0700);
}

START_TEST(test_spool_open_errors)
{
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		open_errors_body();
		return;
	}
	/* as root: run the cases as "nobody" on a tree that user owns */
	ck_assert_int_eq(chown(base, 65534, 65534), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (setgroups(0, NULL) == -1 || setgid(65534) == -1 || setuid(65534) == -1)
			_exit(2);
		open_errors_body();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "error cases failed as an unprivileged user (status %d)", status);
}
END_TEST

static char trace_buf[4096];

static void
trace_fn(const char *step)
{
	strncat(trace_buf, step, sizeof(trace_buf) - strlen(trace_buf) - 2);
	strcat(trace_buf, ",");
}

/* Writes ROOT/queue/id/name holding text, creating the directories. */
static void
put_file(const char *queue, const char *id, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s", root);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/%s", root, queue);
	mkdir(path, 0750);
	if (id == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s/%s", root, queue, id);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/%s/%s/%s", root, queue, id, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A spool of an earlier version: its "onramp" queue (mail to send) is the
 * "mail" queue now, whole; the reserved "notify" goes when empty. */
START_TEST(test_spool_migrates_renamed_queue)
{
	const char *a = "0123456789abc000", *b = "0123456789abc001";
	struct spool *sp;
	struct stat st;
	char path[512], *s;

	put_file("onramp", a, "message", "mail A\n");
	put_file("onramp", b, "fax.tif", "II*");
	put_file("notify", NULL, NULL, NULL);
	sp = open_ok();
	snprintf(path, sizeof(path), "%s/onramp", root);
	ck_assert_int_eq(stat(path, &st), -1);
	snprintf(path, sizeof(path), "%s/notify", root);
	ck_assert_int_eq(stat(path, &st), -1);
	ck_assert_int_eq(count_entries("mail"), 2);
	s = file_of(sp, "mail", a, "message");
	ck_assert_str_eq(s, "mail A\n");
	free(s);
	s = file_of(sp, "mail", b, "fax.tif");
	ck_assert_str_eq(s, "II*");
	free(s);
	spool_free(sp);
}
END_TEST

/* Both directories exist (an older version ran after a newer one): the
 * old queue's jobs move over; one whose id is taken stays, and with it the
 * old directory; a "notify" directory that holds something is kept. */
START_TEST(test_spool_migrates_into_existing_queue)
{
	const char *a = "0123456789abc000", *b = "0123456789abc001", *c = "0123456789abc002";
	struct spool *sp;
	struct stat st;
	char path[512], *s;

	put_file("mail", c, "message", "mail C\n");
	put_file("mail", b, "message", "new B\n");
	put_file("onramp", a, "message", "mail A\n");
	put_file("onramp", b, "message", "old B\n");
	put_file("onramp", NULL, NULL, NULL);
	put_file("notify", "0123456789abc009", "x", "y");
	trace_buf[0] = '\0';
	spool_failpoint_trace(trace_fn);
	sp = open_ok();
	spool_failpoint_trace(NULL);
	/* the moves are made durable: both queue directories flushed */
	ck_assert_str_eq(trace_buf, "rename,rename,queue-fsync,queue-fsync,");
	ck_assert_int_eq(count_entries("mail"), 3);
	s = file_of(sp, "mail", a, "message");
	ck_assert_str_eq(s, "mail A\n");
	free(s);
	s = file_of(sp, "mail", b, "message");
	ck_assert_str_eq(s, "new B\n");      /* never overwritten */
	free(s);
	ck_assert_int_eq(count_entries("onramp"), 1);
	snprintf(path, sizeof(path), "%s/onramp/%s/message", root, b);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(count_entries("notify"), 1);
	spool_free(sp);
	/* the next open moves nothing more and loses nothing */
	sp = open_ok();
	ck_assert_int_eq(count_entries("mail"), 3);
	ck_assert_int_eq(count_entries("onramp"), 1);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_single_owner)
{
	struct spool *sp = open_ok(), *again;
	char err[512] = "", want[64];

	again = spool_open(root, err, sizeof(err));
	ck_assert_ptr_null(again);
	snprintf(want, sizeof(want), "in use by another process (pid %ld)", (long)getpid());
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	spool_free(sp);
	sp = open_ok();         /* free released the lock */
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_job_commit)
{
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1], path[512], *s;
	struct spool_job *job;
	FILE *f;
	int fd;

	job = spool_job_new(sp, "incoming", id);
	ck_assert_ptr_nonnull(job);
	ck_assert(spool_id_valid(id));
	ck_assert_str_eq(spool_job_id(job), id);
	ck_assert_int_eq(spool_job_write(job, "env", "a ", 2), 0);
	ck_assert_int_eq(spool_job_write(job, "env", "b\n", 2), 0);
	fd = spool_job_fd(job, "msg");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(spool_job_fd(job, "msg"), fd);
	ck_assert_int_eq(write(fd, "body", 4), 4);
	/* a tool writing its own file */
	snprintf(path, sizeof(path), "%s/page.tif", spool_job_dir(job));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("TIFF", f);
	fclose(f);
	/* invisible until committed */
	ck_assert_int_eq(count_entries("incoming"), 0);
	ck_assert_int_eq(spool_job_write(job, "../evil", "x", 1), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(spool_job_write(job, ".hidden", "x", 1), -1);
	ck_assert_int_eq(spool_job_commit(job), 0);
	ck_assert_int_eq(count_entries("incoming"), 1);
	ck_assert_int_eq(count_entries("tmp"), 0);
	s = file_of(sp, "incoming", id, "env");
	ck_assert_str_eq(s, "a b\n");
	free(s);
	s = file_of(sp, "incoming", id, "msg");
	ck_assert_str_eq(s, "body");
	free(s);
	s = file_of(sp, "incoming", id, "page.tif");
	ck_assert_str_eq(s, "TIFF");
	free(s);
	ck_assert_int_eq(spool_path(sp, "incoming", id, "msg", path, sizeof(path)), 0);
	ck_assert_int_eq(access(path, R_OK), 0);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_job_abort_and_bad_queue)
{
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1];
	struct spool_job *job;

	job = spool_job_new(sp, "offramp", id);
	ck_assert_ptr_nonnull(job);
	ck_assert_int_eq(spool_job_write(job, "x", "1", 1), 0);
	ck_assert_int_eq(count_entries("tmp"), 1);
	spool_job_abort(job);
	spool_job_abort(NULL);
	ck_assert_int_eq(count_entries("tmp"), 0);
	ck_assert_int_eq(count_entries("offramp"), 0);
	errno = 0;
	ck_assert_ptr_null(spool_job_new(sp, "nosuch", id));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(spool_job_new(sp, "../tmp", id));
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_ids_unique_sorted)
{
	enum { N = 300 };
	static char ids[N + 1][SPOOL_ID_LEN + 1];
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1];
	struct spool_job *job;
	int i;

	memset(ids, 0, sizeof(ids));
	for (i = 0; i < N; i++) {
		job = spool_job_new(sp, "mail", id);
		ck_assert_ptr_nonnull(job);
		if (i > 0)
			ck_assert_msg(strcmp(id, ids[i - 1]) > 0, "%s after %s", id, ids[i - 1]);
		memcpy(ids[i], id, sizeof(id));
		ck_assert_int_eq(spool_job_commit(job), 0);
	}
	ck_assert_int_eq(count_entries("mail"), N);
	memset(ids, 0, sizeof(ids));
	ck_assert_int_eq(spool_scan(sp, "mail", collect_cb, ids), 0);
	for (i = 1; i < N; i++)
		ck_assert(strcmp(ids[i - 1], ids[i]) < 0);
	ck_assert_str_eq(ids[N], "");
	spool_free(sp);
}
END_TEST

static int
stop_cb(const char *id, void *arg)
{
	(void)id;
	return ++*(int *)arg == 2 ? 7 : 0;
}

START_TEST(test_spool_scan)
{
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1], path[512];
	char ids[8][SPOOL_ID_LEN + 1];
	int i, calls = 0;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(spool_job_commit(spool_job_new(sp, "mail", id)), 0);
	/* foreign entries are skipped, not reported as jobs */
	snprintf(path, sizeof(path), "%s/mail/README", root);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/mail/ABCDEF0123456789", root);
	mkdir(path, 0700);
	memset(ids, 0, sizeof(ids));
	ck_assert_int_eq(spool_scan(sp, "mail", collect_cb, ids), 0);
	ck_assert_str_eq(ids[2], id);
	ck_assert_str_eq(ids[3], "");
	ck_assert_int_eq(spool_scan(sp, "mail", stop_cb, &calls), 7);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(spool_scan(sp, "bogus", stop_cb, &calls), -1);
	ck_assert_int_eq(spool_scan(sp, "failed", stop_cb, &calls), 0);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_replace_move_remove)
{
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1], *s;
	struct spool_job *job;

	job = spool_job_new(sp, "offramp", id);
	ck_assert_int_eq(spool_job_write(job, "state", "try 1\n", 6), 0);
	ck_assert_int_eq(spool_job_commit(job), 0);
	ck_assert_int_eq(spool_replace(sp, "offramp", id, "state", "try 2\n", 6), 0);
	s = file_of(sp, "offramp", id, "state");
	ck_assert_str_eq(s, "try 2\n");
	free(s);
	ck_assert_int_eq(spool_replace(sp, "offramp", id, "new", "n", 1), 0);
	ck_assert_int_eq(spool_replace(sp, "offramp", id, "a/b", "n", 1), -1);
	ck_assert_int_eq(spool_replace(sp, "offramp", "0000000000000000", "x", "n", 1), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(spool_move(sp, "offramp", id, "failed"), 0);
	ck_assert_int_eq(count_entries("offramp"), 0);
	ck_assert_int_eq(count_entries("failed"), 1);
	s = file_of(sp, "failed", id, "new");
	ck_assert_str_eq(s, "n");
	free(s);
	ck_assert_int_eq(spool_move(sp, "failed", id, "nope"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(spool_move(sp, "offramp", id, "failed"), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(spool_remove(sp, "failed", id), 0);
	ck_assert_int_eq(count_entries("failed"), 0);
	ck_assert_int_eq(count_entries("tmp"), 0);
	ck_assert_int_eq(spool_remove(sp, "failed", id), -1);
	ck_assert_int_eq(errno, ENOENT);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_move_never_overwrites)
{
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1], path[512], *s;
	struct spool_job *job;

	job = spool_job_new(sp, "mail", id);
	ck_assert_int_eq(spool_job_write(job, "f", "1", 1), 0);
	ck_assert_int_eq(spool_job_commit(job), 0);
	/* a job with the same id in the target queue (foreign process) */
	snprintf(path, sizeof(path), "%s/failed/%s", root, id);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(spool_move(sp, "mail", id, "failed"), -1);
	ck_assert_int_eq(errno, EEXIST);
	s = file_of(sp, "mail", id, "f");
	ck_assert_str_eq(s, "1");
	free(s);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_path)
{
	struct spool *sp = open_ok();
	char out[512], small[8];

	ck_assert_int_eq(spool_path(sp, "mail", NULL, NULL, out, sizeof(out)), 0);
	ck_assert(strlen(out) > 5 && strcmp(out + strlen(out) - 5, "/mail") == 0);
	ck_assert_int_eq(spool_path(sp, "mail", "0123456789abcdef", "env", out, sizeof(out)), 0);
	ck_assert_ptr_nonnull(strstr(out, "/mail/0123456789abcdef/env"));
	ck_assert_int_eq(spool_path(sp, "mail", "0123456789ABCDEF", NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(spool_path(sp, "mail", "0123", NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(spool_path(sp, "mail", NULL, "env", out, sizeof(out)), -1);
	ck_assert_int_eq(spool_path(sp, "tmp", NULL, NULL, out, sizeof(out)), -1);
	ck_assert_int_eq(spool_path(sp, "mail", NULL, NULL, small, sizeof(small)), -1);
	ck_assert_int_eq(errno, ENAMETOOLONG);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_recovery_clears_tmp)
{
	struct spool *sp = open_ok();
	char id[SPOOL_ID_LEN + 1];
	struct spool_job *job;
	int status;
	pid_t pid;

	spool_free(sp);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* a process that dies while writing a job */
		sp = open_ok();
		job = spool_job_new(sp, "incoming", id);
		if (job == NULL || spool_job_write(job, "msg", "half", 4) == -1)
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(count_entries("tmp"), 1);
	sp = open_ok();
	ck_assert_uint_eq(spool_recovered(sp), 1);
	ck_assert_int_eq(count_entries("tmp"), 0);
	ck_assert_int_eq(count_entries("incoming"), 0);
	spool_free(sp);
}
END_TEST

START_TEST(test_spool_rec_store_load)
{
	struct spool *sp = open_ok();
	struct spool_rec *rec = spool_rec_new(), *back;
	char id[SPOOL_ID_LEN + 1], err[256];

	ck_assert_int_eq(spool_job_commit(spool_job_new(sp, "mail", id)), 0);
	spool_rec_add(rec, "to", "<a@example.com>");
	spool_rec_add(rec, "note", "two\nlines");
	ck_assert_int_eq(spool_rec_store(sp, "mail", id, "env", rec), 0);
	back = spool_rec_load(sp, "mail", id, "env", err, sizeof(err));
	ck_assert_msg(back != NULL, "%s", err);
	ck_assert_str_eq(spool_rec_get(back, "note"), "two\nlines");
	spool_rec_free(back);
	ck_assert_int_eq(spool_replace(sp, "mail", id, "env", "to x\nbad", 9), 0);
	ck_assert_ptr_null(spool_rec_load(sp, "mail", id, "env", err, sizeof(err)));
	ck_assert_msg(strstr(err, "env: line 2: truncated"), "%s", err);
	ck_assert_ptr_null(spool_rec_load(sp, "mail", id, "missing", err, sizeof(err)));
	ck_assert_msg(strstr(err, "No such file"), "%s", err);
	spool_rec_free(rec);
	spool_free(sp);
}
END_TEST

/* As root: a tree opened by root is unwritable for "nobody" until
 * spool_chown() gives it away; spool_check() tells the two apart. */
START_TEST(test_spool_chown_check)
{
	struct spool *sp;
	char err[512];
	int status, pass;
	pid_t pid;

	if (geteuid() != 0)
		return;         /* needs root to chown and to switch users */
	ck_assert_int_eq(chmod(base, 0755), 0);
	sp = open_ok();
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)
			ck_assert_msg(spool_chown(sp, 65534, 65534, err, sizeof(err)) == 0, "%s", err);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			if (setgroups(0, NULL) == -1 || setgid(65534) == -1 || setuid(65534) == -1)
				_exit(2);
			if (spool_check(sp, err, sizeof(err)) == 0)
				_exit(0);
			_exit(strstr(err, "tmp: not writable") ? 1 : 3);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), pass == 0 ? 1 : 0);
	}
	spool_free(sp);
}
END_TEST

/* ---- fsync ordering ---- */


static int
count_str(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

START_TEST(test_spool_commit_step_order)
{
	struct spool *sp = open_ok();
	struct spool_job *jobs[3];
	char id[SPOOL_ID_LEN + 1];
	int i;

	jobs[0] = spool_job_new(sp, "incoming", id);
	spool_job_write(jobs[0], "a", "1", 1);
	spool_job_write(jobs[0], "b", "2", 1);
	trace_buf[0] = '\0';
	spool_failpoint_trace(trace_fn);
	ck_assert_int_eq(spool_job_commit(jobs[0]), 0);
	spool_failpoint_trace(NULL);
	/* every file synced, then its directory, then renamed, then the queue */
	ck_assert_str_eq(trace_buf, "file-fsync,file-fsync,job-dir-fsync,rename,queue-fsync,");

	/* group commit: one syncfs() before any rename, no per-file fsync,
	 * one queue fsync for the whole batch */
	for (i = 0; i < 3; i++) {
		jobs[i] = spool_job_new(sp, "incoming", id);
		spool_job_write(jobs[i], "m", "x", 1);
	}
	trace_buf[0] = '\0';
	spool_failpoint_trace(trace_fn);
	ck_assert_int_eq(spool_job_commit_many(jobs, 3), 0);
	spool_failpoint_trace(NULL);
	ck_assert_int_eq(count_str(trace_buf, "queue-fsync"), 1);
	ck_assert_int_eq(count_str(trace_buf, "rename"), 3);
	ck_assert_int_eq(count_str(trace_buf, "file-fsync"), 0);
	ck_assert_int_eq(count_str(trace_buf, "job-dir-fsync"), 0);
	ck_assert_msg(strncmp(trace_buf, "syncfs,rename,", 14) == 0, "%s", trace_buf);
	/* the one queue fsync comes after the last rename */
	ck_assert_str_eq(trace_buf + strlen(trace_buf) - strlen("rename,queue-fsync,"),
	    "rename,queue-fsync,");
	for (i = 0; i < 3; i++)
		ck_assert_ptr_null(jobs[i]);
	ck_assert_int_eq(count_entries("incoming"), 4);

	/* a bigger batch: still one syncfs() and one queue fsync */
	{
		struct spool_job *many[10];
		char id2[SPOOL_ID_LEN + 1];

		for (i = 0; i < 10; i++) {
			many[i] = spool_job_new(sp, "mail", id2);
			spool_job_write(many[i], "m", "x", 1);
		}
		trace_buf[0] = '\0';
		spool_failpoint_trace(trace_fn);
		ck_assert_int_eq(spool_job_commit_many(many, 10), 0);
		spool_failpoint_trace(NULL);
		ck_assert_int_eq(count_str(trace_buf, "file-fsync"), 0);
		ck_assert_int_eq(count_str(trace_buf, "rename"), 10);
		ck_assert_int_eq(count_str(trace_buf, "queue-fsync"), 1);
		ck_assert_msg(strncmp(trace_buf, "syncfs,rename,", 14) == 0, "%s", trace_buf);
		ck_assert_int_eq(count_entries("mail"), 10);
	}

	/* replace: data synced before the rename, directory after */
	trace_buf[0] = '\0';
	spool_failpoint_trace(trace_fn);
	ck_assert_int_eq(spool_replace(sp, "incoming", id, "m", "y", 1), 0);
	spool_failpoint_trace(NULL);
	ck_assert_str_eq(trace_buf, "replace-create,write,replace-fsync,rename,job-dir-fsync,");
	spool_free(sp);
}
END_TEST

/* ---- crash tests ---- */

enum crash_op { CRASH_COMMIT, CRASH_REPLACE, CRASH_MOVE, CRASH_REMOVE, CRASH_GROUP };

#define CRASH_GROUP_JOBS 8      /* jobs in the group commit crashed */

static const char big_text[] = "0123456789abcdefghijklmnopqrstuvwxyz\n";

/* A committed job in onramp with env "v1" and data, for the ops on committed jobs. */
static void
crash_prepare(char id[SPOOL_ID_LEN + 1])
{
	struct spool *sp = open_ok();
	struct spool_job *job = spool_job_new(sp, "mail", id);

	ck_assert_int_eq(spool_job_write(job, "env", "v1", 2), 0);
	ck_assert_int_eq(spool_job_write(job, "data", big_text, sizeof(big_text) - 1), 0);
	ck_assert_int_eq(spool_job_commit(job), 0);
	spool_free(sp);
}

/* In the child: the operation, stopped at step k by the failpoint. */
static void
crash_child(enum crash_op op, const char *id, int k)
{
	char err[256], path[512];
	struct spool *sp = spool_open(root, err, sizeof(err));
	struct spool_job *job;
	FILE *f;
	int i;

	if (sp == NULL)
		_exit(3);
	spool_failpoint_set(k);
	switch (op) {
	case CRASH_COMMIT:
		if ((job = spool_job_new(sp, "incoming", NULL)) == NULL)
			_exit(4);
		for (i = 0; i < 3; i++)
			if (spool_job_write(job, "msg", big_text, sizeof(big_text) - 1) == -1)
				_exit(4);
		if (spool_job_write(job, "env", "from a\n", 7) == -1)
			_exit(4);
		snprintf(path, sizeof(path), "%s/fax.tif", spool_job_dir(job));
		if ((f = fopen(path, "w")) == NULL)
			_exit(4);
		fputs("II*", f);
		fclose(f);
		if (spool_job_commit(job) == -1)
			_exit(4);
		break;
	case CRASH_GROUP: {
		struct spool_job *jobs[CRASH_GROUP_JOBS];

		for (i = 0; i < CRASH_GROUP_JOBS; i++) {
			if ((jobs[i] = spool_job_new(sp, "incoming", NULL)) == NULL ||
			    spool_job_write(jobs[i], "msg", big_text, sizeof(big_text) - 1) == -1 ||
			    spool_job_write(jobs[i], "env", "from b\n", 7) == -1)
				_exit(4);
		}
		if (spool_job_commit_many(jobs, CRASH_GROUP_JOBS) != 0)
			_exit(4);
		break;
	}
	case CRASH_REPLACE:
		if (spool_replace(sp, "mail", id, "env", "version-2", 9) == -1)
			_exit(4);
		break;
	case CRASH_MOVE:
		if (spool_move(sp, "mail", id, "failed") == -1)
			_exit(4);
		break;
	case CRASH_REMOVE:
		if (spool_remove(sp, "mail", id) == -1)
			_exit(4);
		break;
	}
	spool_free(sp);
	_exit(0);
}

static int
first_cb(const char *id, void *arg)
{
	memcpy(arg, id, SPOOL_ID_LEN + 1);
	return 1;
}

static int
check_group_job(const char *id, void *arg)
{
	struct spool *sp = arg;
	char *s = file_of(sp, "incoming", id, "msg");

	ck_assert_str_eq(s, big_text);
	free(s);
	s = file_of(sp, "incoming", id, "env");
	ck_assert_str_eq(s, "from b\n");
	free(s);
	ck_assert_int_eq(spool_remove(sp, "incoming", id), 0);
	return 0;
}

/* After recovery: the state before the op or the state after it, nothing else. */
static int
crash_check(enum crash_op op, const char *id, int done)
{
	char found[SPOOL_ID_LEN + 1] = "";
	struct spool *sp = open_ok();
	int n_in = count_entries("incoming"), n_on = count_entries("mail");
	int n_fail = count_entries("failed"), after = 0;
	char *s, *d, expect[sizeof(big_text) * 3];

	ck_assert_int_eq(count_entries("tmp"), 0);
	switch (op) {
	case CRASH_COMMIT:
		ck_assert_int_le(n_in, 1);
		if (n_in == 1) {
			ck_assert_int_eq(spool_scan(sp, "incoming", first_cb, found), 1);
			snprintf(expect, sizeof(expect), "%s%s%s", big_text, big_text, big_text);
			s = file_of(sp, "incoming", found, "msg");
			ck_assert_str_eq(s, expect);
			free(s);
			s = file_of(sp, "incoming", found, "env");
			ck_assert_str_eq(s, "from a\n");
			free(s);
			s = file_of(sp, "incoming", found, "fax.tif");
			ck_assert_str_eq(s, "II*");
			free(s);
			ck_assert_int_eq(count_entries("incoming/*"), 3);
			/* clean up for the next round */
			ck_assert_int_eq(spool_remove(sp, "incoming", found), 0);
			after = 1;
		}
		break;
	case CRASH_GROUP:
		/* each job of the batch is complete or absent; all there once done */
		ck_assert_int_le(n_in, CRASH_GROUP_JOBS);
		ck_assert_int_eq(spool_scan(sp, "incoming", check_group_job, sp), 0);
		after = n_in == CRASH_GROUP_JOBS;
		break;
	case CRASH_REPLACE:
		s = file_of(sp, "mail", id, "env");
		ck_assert_msg(strcmp(s, "v1") == 0 || strcmp(s, "version-2") == 0, "env=%s", s);
		after = strcmp(s, "version-2") == 0;
		free(s);
		d = file_of(sp, "mail", id, "data");
		ck_assert_str_eq(d, big_text);
		free(d);
		if (after)
			ck_assert_int_eq(spool_replace(sp, "mail", id, "env", "v1", 2), 0);
		break;
	case CRASH_MOVE:
		ck_assert_int_eq(n_on + n_fail, 1);
		after = n_fail == 1;
		s = file_of(sp, after ? "failed" : "mail", id, "env");
		ck_assert_str_eq(s, "v1");
		free(s);
		if (after)
			ck_assert_int_eq(spool_move(sp, "failed", id, "mail"), 0);
		break;
	case CRASH_REMOVE:
		ck_assert_int_le(n_on, 1);
		after = n_on == 0;
		if (!after) {
			s = file_of(sp, "mail", id, "data");
			ck_assert_str_eq(s, big_text);
			free(s);
		}
		break;
	}
	spool_free(sp);
	if (done)
		ck_assert_msg(after, "operation completed but its result is missing");
	return after;
}

static void
crash_run(enum crash_op op)
{
	char id[SPOOL_ID_LEN + 1] = "";
	int k, status, crashed = 0, completed = 0;
	pid_t pid;

	spool_free(open_ok());
	if (op != CRASH_COMMIT)
		crash_prepare(id);
	for (k = 1; k <= CRASH_MAX_STEPS; k++) {
		if (op == CRASH_REMOVE && count_entries("mail") == 0)
			crash_prepare(id);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			crash_child(op, id, k);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		if (WEXITSTATUS(status) == SPOOL_FAILPOINT_EXIT) {
			crashed++;
			crash_check(op, id, 0);
			continue;
		}
		ck_assert_int_eq(WEXITSTATUS(status), 0);
		crash_check(op, id, 1);
		completed = 1;
		break;
	}
	ck_assert_msg(completed, "operation never completed in %d steps", CRASH_MAX_STEPS);
	/* every step was interrupted once before the run that went through */
	ck_assert_int_eq(crashed, k - 1);
	ck_assert_int_ge(crashed, op == CRASH_COMMIT ? 9 : op == CRASH_GROUP ? 40 : 3);
}

START_TEST(test_spool_crash_commit) { crash_run(CRASH_COMMIT); }
END_TEST
START_TEST(test_spool_crash_replace) { crash_run(CRASH_REPLACE); }
END_TEST
START_TEST(test_spool_crash_move) { crash_run(CRASH_MOVE); }
END_TEST
START_TEST(test_spool_crash_remove) { crash_run(CRASH_REMOVE); }
END_TEST
START_TEST(test_spool_crash_group) { crash_run(CRASH_GROUP); }
END_TEST

Suite *
suite_spool(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("spool");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_spool_open_creates_tree);
	tcase_add_test(tc, test_spool_open_errors);
	tcase_add_test(tc, test_spool_single_owner);
	tcase_add_test(tc, test_spool_migrates_renamed_queue);
	tcase_add_test(tc, test_spool_migrates_into_existing_queue);
	tcase_add_test(tc, test_spool_job_commit);
	tcase_add_test(tc, test_spool_job_abort_and_bad_queue);
	tcase_add_test(tc, test_spool_ids_unique_sorted);
	tcase_add_test(tc, test_spool_scan);
	tcase_add_test(tc, test_spool_replace_move_remove);
	tcase_add_test(tc, test_spool_move_never_overwrites);
	tcase_add_test(tc, test_spool_path);
	tcase_add_test(tc, test_spool_recovery_clears_tmp);
	tcase_add_test(tc, test_spool_rec_store_load);
	tcase_add_test(tc, test_spool_chown_check);
	tcase_add_test(tc, test_spool_commit_step_order);
	tcase_add_test(tc, test_spool_crash_commit);
	tcase_add_test(tc, test_spool_crash_replace);
	tcase_add_test(tc, test_spool_crash_move);
	tcase_add_test(tc, test_spool_crash_remove);
	tcase_add_test(tc, test_spool_crash_group);
	suite_add_tcase(s, tc);
	return s;
}
