/*
 * util/thread_role: the calling thread's role, a thread-local flag, and
 * the check blocking I/O makes against it (see thread_role.h). Not here:
 * deciding where the work runs.
 */
#include <stdlib.h>

#include "util/log.h"
#include "util/thread_role.h"

#if defined(__SANITIZE_ADDRESS__) || defined(T37_LINE_IO_ABORT)
#define THREAD_ROLE_ABORT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define THREAD_ROLE_ABORT 1
#endif
#endif
#ifndef THREAD_ROLE_ABORT
#define THREAD_ROLE_ABORT 0
#endif

static _Thread_local bool thread_role_line;

void
thread_role_set_line(bool on)
{
	thread_role_line = on;
}

bool
thread_role_is_line(void)
{
	return thread_role_line;
}

bool
thread_role_aborts(void)
{
	return THREAD_ROLE_ABORT;
}

void
thread_role_no_line_io(const char *fn)
{
	if (!thread_role_line)
		return;
	log_err("event=blocking-io thread=line fn=%s", fn);
	if (THREAD_ROLE_ABORT)
		abort();
}
