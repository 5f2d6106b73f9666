/*
 * gateway/mailq/mailq_int.h: private to gateway/mailq/ (the queue and its
 * Maildir delivery).
 */
#ifndef T37_MAILQ_INT_H
#define T37_MAILQ_INT_H

#include <stddef.h>

struct spool;

#define MAILQ_MAILDIR_NAME_MAX 256

/*
 * Delivers file `name` of job id (spool queue `queue`) into the Maildir
 * dir: dir/{tmp,new,cur} are created when missing; the copy is written to
 * tmp/<unique>, fsync'd, linked into new/<unique>, tmp/ unlinked, new/
 * fsync'd (the qmail discipline). Unique names are
 * "<sec>.M<usec>P<pid>Q<job>.<host>". LF line ends are kept (Maildir
 * convention). Blocking: run off the loop. 0, or -1 with a message in err.
 */
int mailq_maildir_deliver(struct spool *sp, const char *queue, const char *id,
    const char *name, const char *dir, const char *host, char *err, size_t errlen);

#endif
