/*
 * util/thread_role: what the calling thread is for, so that code which
 * may block on a disk can refuse to run where blocking breaks real time.
 *
 * A line thread (sip/) clocks RTP, UDPTL and spandsp for every call it
 * holds; one fsync there delays the audio and T.38 of all of them. Such a
 * thread marks itself when it starts; the functions that write the spool
 * or rewrite a TIFF call thread_role_no_line_io() first, which logs
 *
 *     event=blocking-io thread=line fn=NAME
 *
 * as an error when it is called on a line thread, and aborts the process
 * in builds with AddressSanitizer (or -DT37_LINE_IO_ABORT), so the test
 * suite under `make asan` fails on the first one. Production builds log
 * and carry on: a late fax beats a lost one.
 *
 * Not here: which work goes where (the callers move it to the mail thread
 * or a pool thread); the flag is per thread and set only by the thread
 * itself.
 */
#ifndef T37_UTIL_THREAD_ROLE_H
#define T37_UTIL_THREAD_ROLE_H

#include <stdbool.h>

/* Marks (or unmarks) the calling thread as a line thread. */
void thread_role_set_line(bool on);
/* True on a thread marked as a line thread. */
bool thread_role_is_line(void);
/* Blocking disk I/O is about to start in fn: on a line thread it is
 * logged (and aborts, see above). Any thread. */
void thread_role_no_line_io(const char *fn);
/* True when thread_role_no_line_io() aborts in this build. */
bool thread_role_aborts(void);

#endif
