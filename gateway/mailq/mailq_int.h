/*
 * gateway/queue_int.h: private to gateway/queue*.c and gateway/onramp.c.
 */
#ifndef T37_QUEUE_INT_H
#define T37_QUEUE_INT_H

#include <stddef.h>

struct config;
struct queue;
struct spool;

/* The queue's current config and its spool (borrowed). */
const struct config *queue_config_of(struct queue *q);
struct spool *queue_spool_of(struct queue *q);

#define QUEUE_MAILDIR_NAME_MAX 256

/*
 * Delivers file `name` of job id (spool queue `queue`) into the Maildir
 * dir: dir/{tmp,new,cur} are created when missing; the copy is written to
 * tmp/<unique>, fsync'd, linked into new/<unique>, tmp/ unlinked, new/
 * fsync'd (the qmail discipline). Unique names are
 * "<sec>.M<usec>P<pid>Q<job>.<host>". LF line ends are kept (Maildir
 * convention). 0, or -1 with a message in err.
 */
int queue_maildir_deliver(struct spool *sp, const char *queue, const char *id,
    const char *name, const char *dir, const char *host, char *err, size_t errlen);

#endif
