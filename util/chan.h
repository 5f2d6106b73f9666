/*
 * util/chan: the one way messages cross threads in the gateway.
 *
 * A chan is a locked FIFO of messages and an eventfd that is readable
 * exactly while the FIFO is not empty. Any thread pushes; one consumer
 * watches chan_fd() with its own loop (a libevent event on the mail
 * thread, libre's fd_listen() on a line thread, poll() in a tool) and pops
 * until chan_pop() returns NULL. A message is the caller's struct with a
 * struct chan_msg as its first member; ownership moves with it: the pusher
 * gives it up, the popper frees it.
 *
 * Used for: commands to a line thread (sip/line.c), events from the line
 * threads to the mail thread, and the completions of work offloaded from
 * the mail loop (util/offload.h). It does not know what a message means,
 * and it never blocks a pusher (the FIFO is unbounded; its producers bound
 * what they send: calls, jobs, sessions).
 */
#ifndef T37_UTIL_CHAN_H
#define T37_UTIL_CHAN_H

/* The first member of every message. */
struct chan_msg {
	struct chan_msg *next;          /* the FIFO's link; the chan's while queued */
};

struct chan;                            /* opaque */

/* A new empty chan. NULL with errno when no eventfd or memory. Caller
 * frees with chan_free(). */
struct chan *chan_new(void);
/* Frees the chan; each message still queued goes to drop (NULL: free()).
 * Accepts NULL. No thread may push any more. */
void chan_free(struct chan *c, void (*drop)(struct chan_msg *m));
/* The descriptor to watch for reading (owned by the chan). */
int chan_fd(const struct chan *c);
/* Appends m (ownership moves to the chan, then to the popper). Any thread. */
void chan_push(struct chan *c, struct chan_msg *m);
/* Takes the oldest message (caller owns it), or NULL when empty. */
struct chan_msg *chan_pop(struct chan *c);
/* Like chan_pop(), waiting up to timeout_ms (< 0: forever) for one. */
struct chan_msg *chan_pop_wait(struct chan *c, int timeout_ms);
/* Messages queued now (a snapshot). */
unsigned chan_count(struct chan *c);

#endif
