/*
 * gateway/mailq/mailq_int.h: private to gateway/mailq/ (the queue and its
 * Maildir delivery).
 */
#ifndef T37_MAILQ_INT_H
#define T37_MAILQ_INT_H

#include <stddef.h>
#include <time.h>

struct cdr;
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

/* A mail job that ended, for its record. Strings borrowed. */
struct mailq_ended {
	const char *id, *from, *rcpt;
	const char *ref;                /* the envelope's: a call id, "offramp-JOB" */
	time_t created;
	unsigned attempts;
	const char *result;             /* sent, bounced, failed */
	const char *action;             /* RFC 3464: relayed, delivered, failed */
	const char *status;             /* the final reply's status, NULL none */
	const char *diag;               /* the final reply or the failure */
};

/* Writes the job record of e (record.c). c NULL: nothing. */
void mailq_record(struct cdr *c, const struct mailq_ended *e);

#endif
