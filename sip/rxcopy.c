/*
 * sip/rxcopy: the pages an incoming call receives, copied from memory to
 * the call's file, on a thread of the line's own.
 *
 * A line thread clocks the media of every call it carries, so it must not
 * wait on a disk: spandsp writes each received page into a memory file
 * (the fax session's rx_memory), and after each page the line queues a
 * copy of that file to the call's path here and goes on. This thread
 * writes it without fsync, like spandsp writing into the spool did: the
 * pages already confirmed to the sender survive a crash of the gateway,
 * and the onramp commits its mail job with its own fsync.
 *
 * The line's events come through the same queue (sip_rxcopy_post), so the
 * owner sees a call's SIP_EV_FAX_RECEIVED only once the last copy of its
 * pages is complete, and every event in the order the line sent it.
 *
 * Ownership: a queued copy owns the descriptor it was given (a dup), a
 * queued event until it is forwarded to the owner's chan.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sip/internal.h"
#include "util/chan.h"
#include "util/log.h"

/* A file that grows while it is copied is copied again, up to this often:
 * spandsp appends a page only at the end of one, seconds apart. */
#define SIP_RXCOPY_TRIES 4
#define SIP_RXCOPY_FILE_MODE 0640       /* as the spool's own files */
#define SIP_RXCOPY_CHUNK (1u << 20)     /* bytes per sendfile() */

enum sip_rxjob_kind {
	SIP_RXJOB_COPY,
	SIP_RXJOB_EVENT,
	SIP_RXJOB_QUIT,
};

struct sip_rxjob {
	struct chan_msg msg;            /* first: queued on the copier's chan */
	enum sip_rxjob_kind kind;
	int fd;                         /* owned (copy): the memory file */
	bool last;                      /* the call's final copy */
	struct sip_event *ev;           /* owned (event) until forwarded */
	char call_id[SIP_CALL_ID_MAX];
	char dest[];                    /* copy: the file to write */
};

struct sip_rxcopy {
	struct chan *queue;             /* owned: struct sip_rxjob */
	struct chan *events;            /* the line owner's */
	pthread_t thread;
	unsigned pending;               /* jobs queued, not yet done (atomic) */
	struct sip_rxjob quit;          /* sip_rxcopy_free()'s message */
};

/* Table of contents. */
static void *sip_rxcopy_main(void *arg);
static void sip_rxcopy_run(struct sip_rxcopy *w, struct sip_rxjob *job);
static int sip_rxcopy_pass(int src, int out, off_t *size);
static int sip_rxcopy_range(int src, int out, off_t from, off_t *end);

struct sip_rxcopy *
sip_rxcopy_new(struct chan *events, char *err, size_t errlen)
{
	struct sip_rxcopy *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL || (w->queue = chan_new()) == NULL) {
		snprintf(err, errlen, "page copier: %s", strerror(errno));
		free(w);
		return NULL;
	}
	w->events = events;
	w->quit.kind = SIP_RXJOB_QUIT;
	if ((rc = pthread_create(&w->thread, NULL, sip_rxcopy_main, w)) != 0) {
		snprintf(err, errlen, "page copier: cannot start a thread: %s", strerror(rc));
		chan_free(w->queue, NULL);
		free(w);
		return NULL;
	}
	return w;
}

void
sip_rxcopy_free(struct sip_rxcopy *w)
{
	if (w == NULL)
		return;
	/* Last in the queue: every copy and event before it is done first. */
	chan_push(w->queue, &w->quit.msg);
	pthread_join(w->thread, NULL);
	chan_free(w->queue, NULL);
	free(w);
}

int
sip_rxcopy_page(struct sip_rxcopy *w, const char *call_id, int fd, const char *dest, bool last)
{
	size_t dlen = strlen(dest);
	struct sip_rxjob *job = calloc(1, sizeof(*job) + dlen + 1);

	if (job == NULL)
		return -1;
	if ((job->fd = dup(fd)) < 0) {
		free(job);
		return -1;
	}
	job->kind = SIP_RXJOB_COPY;
	job->last = last;
	snprintf(job->call_id, sizeof(job->call_id), "%s", call_id);
	memcpy(job->dest, dest, dlen + 1);
	__atomic_add_fetch(&w->pending, 1, __ATOMIC_ACQ_REL);
	chan_push(w->queue, &job->msg);
	return 0;
}

unsigned
sip_rxcopy_pending(struct sip_rxcopy *w)
{
	return __atomic_load_n(&w->pending, __ATOMIC_ACQUIRE);
}

void
sip_rxcopy_post(struct sip_rxcopy *w, struct sip_event *ev)
{
	struct sip_rxjob *job = calloc(1, sizeof(*job) + 1);

	if (job == NULL) {
		/* Out of memory: the event goes at once, ahead of copies still
		 * queued (the owner then reads a file one page short). */
		chan_push(w->events, &ev->msg);
		return;
	}
	job->kind = SIP_RXJOB_EVENT;
	job->ev = ev;
	__atomic_add_fetch(&w->pending, 1, __ATOMIC_ACQ_REL);
	chan_push(w->queue, &job->msg);
}

static void *
sip_rxcopy_main(void *arg)
{
	struct sip_rxcopy *w = arg;
	struct chan_msg *m;
	struct sip_rxjob *job;
	sigset_t all;

	sigfillset(&all);               /* signals belong to the main thread */
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), "t37-rxcopy");
	for (;;) {
		if ((m = chan_pop_wait(w->queue, -1)) == NULL)
			continue;
		job = (struct sip_rxjob *)m;
		if (job->kind == SIP_RXJOB_QUIT)
			break;
		sip_rxcopy_run(w, job);
		free(job);
		__atomic_sub_fetch(&w->pending, 1, __ATOMIC_ACQ_REL);
	}
	return NULL;
}

static void
sip_rxcopy_run(struct sip_rxcopy *w, struct sip_rxjob *job)
{
	char err[256], esc[LOG_ESC_BUFSZ];
	off_t size = 0;

	if (job->kind == SIP_RXJOB_EVENT) {
		chan_push(w->events, &job->ev->msg);
		return;
	}
	if (sip_rxcopy_file(job->fd, job->dest, &size, err, sizeof(err)) == -1)
		log_warnx("call=%s event=rx-copy result=failed last=%d file=%s error=\"%s\"",
		    job->call_id, job->last, log_str(esc, sizeof(esc), job->dest), err);
	close(job->fd);
}

int
sip_rxcopy_file(int src, const char *dest, off_t *size, char *err, size_t errlen)
{
	struct stat st;
	int out, tries, rc = -1;

	if ((out = open(dest, O_WRONLY | O_CREAT | O_CLOEXEC, SIP_RXCOPY_FILE_MODE)) < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	for (tries = 0; tries < SIP_RXCOPY_TRIES; tries++) {
		if (sip_rxcopy_pass(src, out, size) == -1) {
			snprintf(err, errlen, "cannot copy: %s", strerror(errno));
			break;
		}
		if (fstat(src, &st) != 0) {
			snprintf(err, errlen, "cannot stat the memory file: %s", strerror(errno));
			break;
		}
		if (st.st_size == *size) {
			rc = 0;
			break;
		}
	}
	if (tries == SIP_RXCOPY_TRIES)
		snprintf(err, errlen, "the memory file kept growing during %d copies",
		    SIP_RXCOPY_TRIES);
	if (close(out) != 0 && rc == 0) {
		snprintf(err, errlen, "cannot close: %s", strerror(errno));
		rc = -1;
	}
	return rc;
}

/*
 * One copy of the whole of src over out, which is cut to its size. A TIFF
 * grows by appending a page and its directory, then pointing the previous
 * directory (or the header) at it: the appended part is copied first and
 * the old part, with those pointers, last, so that a copy cut short by a
 * crash leaves the pages copied before it readable.
 */
static int
sip_rxcopy_pass(int src, int out, off_t *size)
{
	struct stat st, dst;
	off_t had, old;

	if (fstat(src, &st) != 0 || fstat(out, &dst) != 0)
		return -1;
	*size = st.st_size;
	had = old = dst.st_size < *size ? dst.st_size : *size;
	if (sip_rxcopy_range(src, out, had, size) == -1 ||
	    sip_rxcopy_range(src, out, 0, &had) == -1)
		return -1;
	if (had < old)                  /* src shrank meanwhile */
		*size = had;
	return ftruncate(out, *size);
}

/* Copies src's bytes [from, *end) to the same place in out; *end becomes
 * where src ended, if sooner. */
static int
sip_rxcopy_range(int src, int out, off_t from, off_t *end)
{
	off_t off = from;
	ssize_t n;

	if (lseek(out, from, SEEK_SET) != from)
		return -1;
	while (off < *end) {
		size_t want = (size_t)(*end - off) < SIP_RXCOPY_CHUNK ?
		    (size_t)(*end - off) : SIP_RXCOPY_CHUNK;
		if ((n = sendfile(out, src, &off, want)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {           /* shorter than it was: copied again */
			*end = off;
			break;
		}
	}
	return 0;
}
