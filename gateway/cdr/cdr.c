/*
 * gateway/cdr/cdr: the record writer (see cdr.h). The mail loop builds a
 * record's line and queues it to an offload of one thread, which writes
 * the lines in order, each with one write(2); reopening the file is such
 * a work too, so it comes after the records queued before it. The
 * descriptor and the write-error state belong to the works (one runs at
 * a time) until cdr_free() has drained them. It does not build records
 * (record.c) nor decide when there is one (the rooms).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/cdr/cdr.h"
#include "util/log.h"
#include "util/offload.h"

/* The file and its error state: the works' (see above). */
struct cdr_file {
	int fd;                         /* owned */
	char path[PATH_MAX];
	int failing;                    /* the last write failed */
	unsigned long lost;             /* records lost in this failing burst */
};

struct cdr {
	struct offload *off;            /* owned: the writer thread */
	struct cdr_file file;           /* the works' */
	unsigned long dropped;          /* loop: records never queued */
	unsigned long burst;            /* loop: dropped since the last report */
};

/* One work: a line to write, or a reopen (line NULL). Owned by the work
 * while queued, freed by its completion. */
struct cdr_item {
	struct cdr *c;                  /* outlives it: cdr_free() drains */
	char *line;                     /* owned */
	size_t len;
};

static int cdr_file_open(const char *path, char *err, size_t errlen);
static void cdr_queue(struct cdr *c, char *line, size_t len);
static void cdr_write_work(void *arg);
static void cdr_reopen_work(void *arg);
static void cdr_item_done(void *arg);

/* Non-blocking: a FIFO nobody reads is refused (ENXIO) instead of
 * stopping the start, and a full pipe fails a write instead of holding
 * the writer; a regular file is not affected. */
static int
cdr_file_open(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
	    CDR_FILE_MODE);

	if (fd == -1)
		snprintf(err, errlen, "cdr %s: %s", path, strerror(errno));
	return fd;
}

struct cdr *
cdr_open(struct event_base *base, const char *path, char *err, size_t errlen)
{
	struct cdr *c;

	if (path == NULL || path[0] != '/' || strlen(path) >= sizeof(c->file.path)) {
		snprintf(err, errlen, "cdr %s: not an absolute path", path ? path : "");
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "cdr %s: out of memory", path);
		return NULL;
	}
	snprintf(c->file.path, sizeof(c->file.path), "%s", path);
	if ((c->file.fd = cdr_file_open(path, err, errlen)) == -1) {
		free(c);
		return NULL;
	}
	if ((c->off = offload_new(base, "cdr", 1, err, errlen)) == NULL) {
		close(c->file.fd);
		free(c);
		return NULL;
	}
	return c;
}

void
cdr_free(struct cdr *c)
{
	if (c == NULL)
		return;
	offload_free(c->off);           /* drains: every queued record written */
	if (c->burst > 0)
		log_warnx("event=cdr result=dropped records=%lu path=%s", c->burst, c->file.path);
	close(c->file.fd);
	free(c);
}

unsigned long
cdr_dropped(const struct cdr *c)
{
	return c != NULL ? c->dropped : 0;
}

/* ---- the loop's side --------------------------------------------------- */

/* Takes line (NULL: a reopen). Never waits: over CDR_QUEUE_MAX the
 * record is dropped and counted; the first drop of a burst is logged, the
 * burst's count once the queue is back under half. */
static void
cdr_queue(struct cdr *c, char *line, size_t len)
{
	int full = offload_pending(c->off) >= CDR_QUEUE_MAX;
	struct cdr_item *it;

	if (!full && (it = calloc(1, sizeof(*it))) != NULL) {
		it->c = c;
		it->line = line;
		it->len = len;
		if (offload_run(c->off, line != NULL ? cdr_write_work : cdr_reopen_work,
		    cdr_item_done, it) == 0)
			return;
		free(it);
	}
	free(line);
	if (c->burst++ == 0)
		log_warnx("event=cdr result=dropped reason=\"%s\" queued=%u path=%s",
		    full ? "queue full" : "out of memory", offload_pending(c->off),
		    c->file.path);
	c->dropped++;
}

static void
cdr_item_done(void *arg)
{
	struct cdr_item *it = arg;
	struct cdr *c = it->c;

	free(it->line);
	free(it);
	if (c->burst > 0 && offload_pending(c->off) < CDR_QUEUE_MAX / 2) {
		log_warnx("event=cdr result=dropped records=%lu path=%s", c->burst,
		    c->file.path);
		c->burst = 0;
	}
}

void
cdr_reopen(struct cdr *c)
{
	if (c != NULL)
		cdr_queue(c, NULL, 0);
}

void
cdr_call(struct cdr *c, const struct sip_event *ev, const struct cdr_call_link *link)
{
	size_t len = 0;
	char *line;

	if (c == NULL)
		return;
	if ((line = cdr_call_line(ev, link, &len)) == NULL) {
		c->dropped++;
		log_warnx("event=cdr result=dropped reason=\"out of memory\" path=%s",
		    c->file.path);
		return;
	}
	cdr_queue(c, line, len);
}

void
cdr_job(struct cdr *c, const struct cdr_job *j)
{
	size_t len = 0;
	char *line;

	if (c == NULL)
		return;
	if ((line = cdr_job_line(j, &len)) == NULL) {
		c->dropped++;
		log_warnx("event=cdr result=dropped reason=\"out of memory\" path=%s",
		    c->file.path);
		return;
	}
	cdr_queue(c, line, len);
}

/* ---- the writer thread ------------------------------------------------- */

/* One write(2) of the whole line: with O_APPEND a line is never split
 * among other appenders'. A short write (disk full) is an error: writing
 * the rest separately could interleave. */
static void
cdr_write_work(void *arg)
{
	struct cdr_item *it = arg;
	struct cdr_file *f = &it->c->file;
	ssize_t n;

	do
		n = write(f->fd, it->line, it->len);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)it->len) {
		if (f->failing)
			log_info("event=cdr result=recovered lost=%lu path=%s", f->lost, f->path);
		f->failing = 0;
		f->lost = 0;
		return;
	}
	if (n >= 0)
		errno = ENOSPC;
	if (!f->failing)
		log_warn("event=cdr result=write-failed path=%s", f->path);
	f->failing = 1;
	f->lost++;
}

/* The path again; on failure the records keep going to the file open. */
static void
cdr_reopen_work(void *arg)
{
	struct cdr_item *it = arg;
	struct cdr_file *f = &it->c->file;
	char err[PATH_MAX + 128];
	int fd;

	if ((fd = cdr_file_open(f->path, err, sizeof(err))) == -1) {
		log_warnx("event=cdr-reopen result=failed error=\"%s\"; writing on to the "
		    "file open", err);
		return;
	}
	close(f->fd);
	f->fd = fd;
	log_info("event=cdr-reopen result=ok path=%s", f->path);
}
