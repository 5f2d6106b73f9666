/*
 * gateway/spool/spool_test.h: the spool's hook for the crash tests, kept
 * out of spool.h because nothing but a test may call it.
 *
 * spool_failpoint_set(k) makes the k-th durable step from now call
 * _exit(SPOOL_FAILPOINT_EXIT) just before the step is done; 0 disarms.
 * Steps are every write, fsync, mkdir, rename and unlink of spool_job_*(),
 * spool_replace(), spool_move() and spool_remove().
 * spool_failpoint_trace(fn) calls fn(step name) at every step (NULL: off).
 * Inert unless set; per process.
 */
#ifndef T37_SPOOL_TEST_H
#define T37_SPOOL_TEST_H

#define SPOOL_FAILPOINT_EXIT 86

void spool_failpoint_set(int k);
void spool_failpoint_trace(void (*fn)(const char *step));

#endif
