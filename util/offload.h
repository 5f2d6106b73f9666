/*
 * util/offload: blocking work off the mail loop.
 *
 * The mail thread runs one libevent loop for every SMTP session, delivery
 * and timer; a call that waits on a disk (fsync, a TIFF rewrite, a PDF)
 * would stall all of them. An offload runs such work on a thread of a
 * pool (GLib's GThreadPool; threads are shared between offloads and made
 * as needed) and then its completion on the loop:
 *
 *     loop:  offload_run(o, work, done, arg)
 *     pool:  work(arg)              blocking is allowed; touches only arg
 *     loop:  done(arg)              may touch anything the loop owns
 *
 * arg belongs to the work while it runs and comes back with the
 * completion; the loop must not touch it in between. Completions come in
 * the order the works finish, through a util/chan message read on the
 * loop. An offload runs at most `threads` works at once (1 keeps them in
 * submission order); each owner has its own, sized for its work.
 *
 * The owner drains before it frees what its completions use:
 * offload_drain() waits for every work and runs every completion.
 * Not for: the document workers, which are processes (gateway/offramp),
 * nor anything on a line thread.
 */
#ifndef T37_UTIL_OFFLOAD_H
#define T37_UTIL_OFFLOAD_H

#include <stddef.h>

struct event_base;
struct offload;                         /* opaque */

typedef void (offload_fn)(void *arg);

/* An offload whose completions run on base, at most threads (>= 1) works
 * at once; name is for logs. NULL with err. Caller frees. */
struct offload *offload_new(struct event_base *base, const char *name, unsigned threads,
    char *err, size_t errlen);
/*
 * Queues work(arg) for a pool thread and done(arg) for the loop after it
 * (done may be NULL). Loop thread only. 0, or -1 (out of memory): then
 * neither runs and arg is still the caller's.
 */
int offload_run(struct offload *o, offload_fn *work, offload_fn *done, void *arg);
/* Works queued or running whose completion has not run yet. Loop thread. */
unsigned offload_pending(const struct offload *o);
/* Waits until every work queued so far has finished and runs their
 * completions, on the calling (loop) thread. */
void offload_drain(struct offload *o);
/* Drains, then frees. Accepts NULL. */
void offload_free(struct offload *o);

#endif
