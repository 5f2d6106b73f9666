/*
 * Prototypes of every unit suite, from the list the build generates; the
 * build force-includes this header into each tests/unit file, so a suite
 * function is always declared before it is defined.
 */
#ifndef T37_TESTS_UNIT_SUITES_H
#define T37_TESTS_UNIT_SUITES_H
#include <check.h>

#define T37_SUITE(n) Suite *suite_##n(void);
#include "unit_suites.h"
#undef T37_SUITE

#endif
