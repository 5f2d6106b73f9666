/*
 * gateway/offramp/order.h: jobs to one number in arrival order
 * (order.c), private to the offramp.
 */
#ifndef T37_OFFRAMP_ORDER_H
#define T37_OFFRAMP_ORDER_H

#include <time.h>

/*
 * Jobs to one number go out in arrival order: per number, the jobs that
 * still owe it a fax, sorted by arrival time and then job id; only the
 * first may call it.
 */
struct offramp_order;
struct offramp_order *offramp_order_new(void);
void offramp_order_free(struct offramp_order *o);   /* accepts NULL */
/* Queues job id (accepted at arrival) for number; once per job and number. */
void offramp_order_add(struct offramp_order *o, const char *number, time_t arrival,
    const char *id);
/* May id call number now: first in its queue, or not queued for it? */
int offramp_order_first(const struct offramp_order *o, const char *number, const char *id);
/* Takes id out of number's queue. Returns the id that became first (owned
 * by o, valid until the next change), NULL when the first did not change. */
const char *offramp_order_remove(struct offramp_order *o, const char *number, const char *id);
/* Jobs queued for number. */
unsigned offramp_order_waiting(const struct offramp_order *o, const char *number);

#endif
