/*
 * The unit test runner: every tests/unit/test_NAME.c defines
 * `Suite *suite_NAME(void)`; the build lists them in unit_suites.h and this
 * runner adds them all to one SRunner, so the run ends with one Check
 * summary line. `T37_SUITE=NAME` in the environment runs one suite only
 * (CK_RUN_SUITE works as well); `T37_SHARD=I/N` runs every Nth suite
 * starting with the Ith, so that N runners side by side run them all
 * once; CK_FORK=no helps under gdb. Started
 * with OFFRAMP_WORKER_ARG it is the offramp's document worker instead.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gateway/offramp/offramp.h"
#include "gateway/offramp/worker.h"

#define T37_SUITE(n) Suite *suite_##n(void);
#include "unit_suites.h"
#undef T37_SUITE

static int worker_with_hooks(int argc, char **argv);
static void write_limits(const char *path);

/* "cpu=SOFT/HARD as=.. fsize=.. core=.. nofile=.. nice=.." to path. */
static void
write_limits(const char *path)
{
	static const struct { const char *name; int res; } lim[] = {
		{ "cpu", RLIMIT_CPU }, { "as", RLIMIT_AS }, { "fsize", RLIMIT_FSIZE },
		{ "core", RLIMIT_CORE }, { "nofile", RLIMIT_NOFILE },
	};
	FILE *f = path ? fopen(path, "w") : NULL;
	struct rlimit rl;
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		getrlimit(lim[i].res, &rl);
		fprintf(f, "%s=%lld/%lld ", lim[i].name, (long long)rl.rlim_cur,
		    (long long)rl.rlim_max);
	}
	errno = 0;
	fprintf(f, "nice=%d\n", getpriority(PRIO_PROCESS, 0));
	fclose(f);
}

/*
 * The offramp runs its document worker as its own binary again; in the
 * unit runner that binary is this one. Tests steer one job's worker with
 * T37_TEST_WORKER="JOBID:ACTION" (several separated by ','), ACTION one of
 * abort, segv, hang, spin (burns CPU), hangkid (a sleeping child in its
 * process group, its pid in $T37_TEST_KIDPID, then hang), garbage, babble
 * (1 MiB of it, then hang), exit3,
 * sleepN (N ms, then work as usual), limits (its rlimits and nice value
 * into $T37_TEST_KIDPID, then work). Only this test binary knows them.
 */
static int
worker_with_hooks(int argc, char **argv)
{
	const char *hooks = getenv("T37_TEST_WORKER");
	struct offramp_worker_req req;
	char want[128];
	const char *p;
	int rc;

	/* The hooks act after the worker's own setup: bound to its parent,
	 * limits set, as a misbehaving document would find it. */
	if ((rc = offramp_worker_setup(argc, argv, &req)) != 0)
		return rc;
	if (hooks != NULL) {
		snprintf(want, sizeof(want), "%s:", argv[2]);
		for (p = hooks; (p = strstr(p, want)) != NULL; p++) {
			const char *act = p + strlen(want);

			if (strncmp(act, "abort", 5) == 0)
				abort();
			if (strncmp(act, "segv", 4) == 0) {
				/* As the kernel delivers it, past any handler a
				 * sanitizer installed. */
				signal(SIGSEGV, SIG_DFL);
				raise(SIGSEGV);
			}
			if (strncmp(act, "hangkid", 7) == 0) {
				pid_t kid = fork();
				FILE *f;

				if (kid == 0)
					for (;;)
						pause();
				/* Written whole, then renamed: a reader
				 * never sees half a number. */
				if (kid > 0 && getenv("T37_TEST_KIDPID") != NULL) {
					char tmp[4096];

					snprintf(tmp, sizeof(tmp), "%s.tmp",
					    getenv("T37_TEST_KIDPID"));
					if ((f = fopen(tmp, "w")) != NULL) {
						fprintf(f, "%ld\n", (long)kid);
						fclose(f);
						rename(tmp, getenv("T37_TEST_KIDPID"));
					}
				}
			}
			if (strncmp(act, "hang", 4) == 0)
				for (;;)
					pause();
			if (strncmp(act, "spin", 4) == 0)
				for (volatile unsigned long n = 0;; n++)
					;
			if (strncmp(act, "babble", 6) == 0) {
				static char junk[64 << 10];
				int k;

				memset(junk, 'x', sizeof(junk));
				for (k = 0; k < 16; k++)
					if (fwrite(junk, 1, sizeof(junk), stdout) != sizeof(junk))
						break;
				fflush(stdout);
				for (;;)
					pause();
			}
			if (strncmp(act, "garbage", 7) == 0) {
				fputs("this is not a result record\n", stdout);
				return 0;
			}
			if (strncmp(act, "exit3", 5) == 0)
				return 3;
			if (strncmp(act, "sleep", 5) == 0)
				usleep((useconds_t)atoi(act + 5) * 1000);
			if (strncmp(act, "limits", 6) == 0)
				write_limits(getenv("T37_TEST_KIDPID"));
		}
	}
	return offramp_worker_run(&req);
}

int
main(int argc, char **argv)
{
	const char *only = getenv("T37_SUITE");
	const char *shard = getenv("T37_SHARD");
	unsigned shard_i = 1, shard_n = 1, k = 0;
	SRunner *sr = NULL;
	int failed;

	if (argc > 1 && strcmp(argv[1], OFFRAMP_WORKER_ARG) == 0)
		return worker_with_hooks(argc, argv);
	if (shard != NULL && (sscanf(shard, "%u/%u", &shard_i, &shard_n) != 2 ||
	    shard_n == 0 || shard_i == 0 || shard_i > shard_n)) {
		fprintf(stderr, "T37_SHARD=%s: expected I/N with 1 <= I <= N\n", shard);
		return 2;
	}

#define T37_SUITE(n)                                                      \
	if ((only == NULL || strcmp(only, #n) == 0) &&                    \
	    k++ % shard_n == shard_i - 1) {                               \
		if (sr == NULL)                                           \
			sr = srunner_create(suite_##n());                 \
		else                                                      \
			srunner_add_suite(sr, suite_##n());               \
	}
#include "unit_suites.h"
#undef T37_SUITE

	if (sr == NULL)
		return only ? 2 : 0;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
