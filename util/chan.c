/*
 * util/chan: locked FIFO + eventfd (see chan.h). The eventfd's counter is
 * 1 while the FIFO holds messages and 0 when it is empty: the push that
 * makes the FIFO non-empty writes it, the pop that empties it reads it,
 * both under the lock, so a level-triggered watcher wakes exactly while
 * there is something to pop.
 */
#include <sys/eventfd.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "util/chan.h"
#include "util/log.h"

struct chan {
	pthread_mutex_t lock;
	struct chan_msg *head, *tail;   /* owned while queued */
	unsigned count;
	int efd;                        /* owned */
};

static void chan_signal(struct chan *c, int on);

struct chan *
chan_new(void)
{
	struct chan *c = calloc(1, sizeof(*c));
	int err;

	if (c == NULL)
		return NULL;
	if ((c->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		err = errno;
		free(c);
		errno = err;
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void
chan_free(struct chan *c, void (*drop)(struct chan_msg *m))
{
	struct chan_msg *m;

	if (c == NULL)
		return;
	while ((m = chan_pop(c)) != NULL) {
		if (drop != NULL)
			drop(m);
		else
			free(m);
	}
	close(c->efd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int
chan_fd(const struct chan *c)
{
	return c->efd;
}

/* Caller holds the lock. An eventfd write or read only fails when the
 * counter would overflow or is already 0 (EAGAIN): neither loses a wakeup. */
static void
chan_signal(struct chan *c, int on)
{
	uint64_t v = 1;

	if (on) {
		if (write(c->efd, &v, sizeof(v)) == -1 && errno != EAGAIN)
			log_warn("event=chan-signal");
	} else if (read(c->efd, &v, sizeof(v)) == -1 && errno != EAGAIN) {
		log_warn("event=chan-clear");
	}
}

void
chan_push(struct chan *c, struct chan_msg *m)
{
	m->next = NULL;
	pthread_mutex_lock(&c->lock);
	if (c->tail != NULL)
		c->tail->next = m;
	else
		c->head = m;
	c->tail = m;
	if (c->count++ == 0)
		chan_signal(c, 1);
	pthread_mutex_unlock(&c->lock);
}

struct chan_msg *
chan_pop(struct chan *c)
{
	struct chan_msg *m;

	pthread_mutex_lock(&c->lock);
	if ((m = c->head) != NULL) {
		c->head = m->next;
		if (c->head == NULL)
			c->tail = NULL;
		if (--c->count == 0)
			chan_signal(c, 0);
		m->next = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	return m;
}

struct chan_msg *
chan_pop_wait(struct chan *c, int timeout_ms)
{
	struct pollfd pfd = { c->efd, POLLIN, 0 };
	struct timespec end, now;
	struct chan_msg *m;
	long left = timeout_ms;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	/* Another consumer may take what woke us: poll again until the time
	 * is up. */
	while ((m = chan_pop(c)) == NULL) {
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = (end.tv_sec - now.tv_sec) * 1000L +
			    (end.tv_nsec - now.tv_nsec) / 1000000L;
			if (left <= 0)
				return NULL;
		}
		if (poll(&pfd, 1, timeout_ms < 0 ? -1 : (int)left) == -1 && errno != EINTR)
			return NULL;
	}
	return m;
}

unsigned
chan_count(struct chan *c)
{
	unsigned n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
