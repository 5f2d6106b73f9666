/*
 * The unit test runner: every tests/unit/test_NAME.c defines
 * `Suite *suite_NAME(void)`; the build lists them in unit_suites.h and this
 * runner adds them all to one SRunner, so the run ends with one Check
 * summary line. `T37_SUITE=NAME` in the environment runs one suite only
 * (CK_RUN_SUITE works as well); CK_FORK=no helps under gdb.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#define T37_SUITE(n) Suite *suite_##n(void);
#include "unit_suites.h"
#undef T37_SUITE

int
main(void)
{
	const char *only = getenv("T37_SUITE");
	SRunner *sr = NULL;
	int failed;

#define T37_SUITE(n)                                                      \
	if (only == NULL || strcmp(only, #n) == 0) {                      \
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
