/*
 * gateway/spool/spool_int.h: what spool.c (the tree, committed jobs) and
 * spool_job.c (jobs being built, commits) share. Private to them.
 */
#ifndef T37_SPOOL_INT_H
#define T37_SPOOL_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/spool/spool.h"

#define SPOOL_DIR_MODE 0750
#define SPOOL_FILE_MODE 0640
#define SPOOL_TMP_DIR "tmp"
#define SPOOL_LOCK_FILE ".lock"         /* one process per spool */
#define SPOOL_RM_SUFFIX "-rm"           /* tmp/<id>-rm: a removal in progress */
#define SPOOL_REPLACE_PREFIX ".new-"    /* <job>/.new-NAME: spool_replace temp */
#define SPOOL_RMTREE_DEPTH 4            /* deepest tree spool removal descends */
#define SPOOL_SEQ_BITS 12               /* ids: usec << 12 | sequence */
#define SPOOL_NQUEUES 4                 /* the SPOOL_Q_* queues */

struct spool {
	char *root;                     /* owned */
	int lockfd;                     /* ROOT/.lock, flock'd while open */
	int tmpfd;                      /* ROOT/tmp */
	int qfd[SPOOL_NQUEUES];         /* ROOT/<queue> */
	unsigned recovered;             /* leftovers removed by spool_open() */
	pthread_mutex_t idlock;         /* guards last_id */
	uint64_t last_id;
};

/* Called before every durable step (the crash tests' failpoint). */
void spool_step(const char *step);
/* Index of a queue name in the spool's table, or -1. */
int spool_queue_index(const char *queue);
/* A file name inside a job: 1..SPOOL_NAME_MAX bytes, no '/', no leading
 * '.', no control bytes. */
int spool_name_valid(const char *name);
/* Removes name (file or tree, depth levels at most) under pfd. */
int spool_rmtree_at(int pfd, const char *name, int depth);
/* write() until done, EINTR retried. 0 or -1 + errno. */
int spool_write_all(int fd, const void *buf, size_t len);
/* fsync() with EINTR retried, after the failpoint step. */
int spool_fsync_fd(int fd, const char *step);
/* renameat2(RENAME_NOREPLACE) after the "rename" failpoint step. */
int spool_rename_noreplace(int fromfd, const char *from, int tofd, const char *to);

#endif
