/* Unit tests for util/thread_role: the spool's writers and the Profile S
 * rewrite, called on a thread marked as a line thread, log
 * "event=blocking-io thread=line fn=NAME" (and abort in builds that
 * abort); on any other thread they run quietly. Each call runs in a
 * forked child whose stderr is a file. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fax/fax.h"
#include "gateway/spool/spool.h"
#include "util/log.h"
#include "util/thread_role.h"

struct tr_case {
	const char *fn;
	bool line;              /* mark the calling thread a line thread */
};

static struct spool *tr_sp;
static char tr_dir[64];

static void *
tr_call(void *arg)
{
	const struct tr_case *c = arg;
	char id[SPOOL_ID_LEN + 1] = "0000000000000001", err[256];
	struct spool_job *job;

	thread_role_set_line(c->line);
	if (strcmp(c->fn, "spool_job_new") == 0) {
		if ((job = spool_job_new(tr_sp, SPOOL_Q_INCOMING, id)) != NULL)
			spool_job_abort(job);
	} else if (strcmp(c->fn, "spool_job_commit") == 0) {
		thread_role_set_line(false);
		job = spool_job_new(tr_sp, SPOOL_Q_INCOMING, id);
		thread_role_set_line(c->line);
		if (job != NULL)
			spool_job_commit(job);
	} else if (strcmp(c->fn, "spool_remove") == 0) {
		spool_remove(tr_sp, SPOOL_Q_INCOMING, id);
	} else if (strcmp(c->fn, "spool_replace") == 0) {
		spool_replace(tr_sp, SPOOL_Q_INCOMING, id, "x", "y", 1);
	} else if (strcmp(c->fn, "spool_move") == 0) {
		spool_move(tr_sp, SPOOL_Q_INCOMING, id, SPOOL_Q_FAILED);
	} else if (strcmp(c->fn, "fax_tiff_profile_s") == 0) {
		fax_tiff_profile_s("/nonexistent.tif", "/nonexistent2.tif", NULL, err,
		    sizeof(err));
	}
	return NULL;
}

/* Runs c in a child; its stderr into log (up to size). Returns the
 * child's wait status. */
static int
tr_run(const struct tr_case *c, char *log, size_t size)
{
	char path[96], err[256];
	FILE *f;
	pid_t pid;
	int status = 0;
	size_t n;

	snprintf(path, sizeof(path), "%s/stderr", tr_dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pthread_t th;

		if (freopen(path, "w", stderr) == NULL)
			_exit(3);
		setvbuf(stderr, NULL, _IONBF, 0);
		log_init("t37gw-test", 0, LOG_LVL_INFO);
		if ((tr_sp = spool_open(tr_dir, err, sizeof(err))) == NULL)
			_exit(4);
		/* a thread of its own, as the line threads are */
		if (pthread_create(&th, NULL, tr_call, (void *)c) != 0)
			_exit(5);
		pthread_join(th, NULL);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(log, 1, size - 1, f);
	log[n] = '\0';
	fclose(f);
	return status;
}

static const char *const tr_fns[] = {
	"spool_job_new", "spool_job_commit", "spool_replace", "spool_move",
	"spool_remove", "fax_tiff_profile_s",
};

static void
tr_setup(void)
{
	snprintf(tr_dir, sizeof(tr_dir), "/tmp/t37-thread-role-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tr_dir));
}

static void
tr_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tr_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tr_dir);
}

START_TEST(test_line_thread_io_is_caught)
{
	struct tr_case c = { tr_fns[_i], true };
	char log[4096], want[128];
	int st = tr_run(&c, log, sizeof(log));

	snprintf(want, sizeof(want), "event=blocking-io thread=line fn=%s", c.fn);
	ck_assert_msg(strstr(log, want) != NULL, "no \"%s\" in: %s", want, log);
	if (thread_role_aborts())
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
		    "%s on a line thread did not abort (status %d)", c.fn, st);
	else
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "%s on a line thread: status %d", c.fn, st);
}
END_TEST

START_TEST(test_other_threads_are_quiet)
{
	struct tr_case c = { tr_fns[_i], false };
	char log[4096];
	int st = tr_run(&c, log, sizeof(log));

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: status %d", c.fn, st);
	ck_assert_msg(strstr(log, "event=blocking-io") == NULL, "%s logged: %s", c.fn, log);
}
END_TEST

START_TEST(test_flag_is_per_thread)
{
	ck_assert(!thread_role_is_line());
	thread_role_set_line(true);
	ck_assert(thread_role_is_line());
	thread_role_set_line(false);
	ck_assert(!thread_role_is_line());
}
END_TEST

Suite *
suite_util_thread_role(void)
{
	Suite *s = suite_create("util_thread_role");
	TCase *tc = tcase_create("line_io");
	int n = (int)(sizeof(tr_fns) / sizeof(tr_fns[0]));

	tcase_add_checked_fixture(tc, tr_setup, tr_teardown);
	tcase_add_loop_test(tc, test_line_thread_io_is_caught, 0, n);
	tcase_add_loop_test(tc, test_other_threads_are_quiet, 0, n);
	tcase_add_test(tc, test_flag_is_per_thread);
	suite_add_tcase(s, tc);
	return s;
}
