/*
 * gateway/spool/spool_job: jobs being built in tmp/ and their commit into
 * a queue (see spool.h for the discipline): ids, files written through
 * the job or by tools into its directory, the fsyncs, and the group commit
 * with one syncfs(). It does not touch committed jobs (spool.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "gateway/spool/spool.h"
#include "gateway/spool/spool_int.h"
#include "util/thread_role.h"

struct spool_file {
	char name[SPOOL_NAME_MAX + 1];
	int fd;
};

struct spool_job {
	struct spool *sp;               /* not owned */
	int queue;                      /* index into the spool's queues */
	char id[SPOOL_ID_LEN + 1];
	char *dir;                      /* owned: ROOT/tmp/<id> */
	int dirfd;                      /* tmp/<id>, owned */
	struct spool_file *files;       /* owned; fds owned */
	size_t nfiles, capfiles;
};

static uint64_t spool_next_id(struct spool *sp);
static int spool_job_file(struct spool_job *job, const char *name);
static void spool_job_release(struct spool_job *job, int remove_tmp);
static int spool_job_sync(struct spool_job *job);
static int spool_job_place(struct spool_job *job, int synced);
static int spool_commit(struct spool_job **jobs, size_t n, int use_syncfs);

/* usec << SPOOL_SEQ_BITS, strictly increasing even when the clock steps back. */
static uint64_t
spool_next_id(struct spool *sp)
{
	struct timeval tv;
	uint64_t v;

	gettimeofday(&tv, NULL);
	v = ((uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec) << SPOOL_SEQ_BITS;
	pthread_mutex_lock(&sp->idlock);
	if (v <= sp->last_id)
		v = sp->last_id + 1;
	sp->last_id = v;
	pthread_mutex_unlock(&sp->idlock);
	return v;
}

struct spool_job *
spool_job_new(struct spool *sp, const char *queue, char id[SPOOL_ID_LEN + 1])
{
	struct spool_job *job;
	struct stat st;
	int q, tries;

	thread_role_no_line_io("spool_job_new");
	if ((q = spool_queue_index(queue)) < 0) {
		errno = EINVAL;
		return NULL;
	}
	if ((job = calloc(1, sizeof(*job))) == NULL)
		return NULL;
	job->sp = sp;
	job->queue = q;
	job->dirfd = -1;
	/* Another process on the same spool, or a clock set back across a
	 * restart, can produce an id already in use: take the next one. */
	for (tries = 0; tries < 100; tries++) {
		snprintf(job->id, sizeof(job->id), "%016llx",
		    (unsigned long long)spool_next_id(sp));
		if (fstatat(sp->qfd[q], job->id, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		spool_step("job-mkdir");
		if (mkdirat(sp->tmpfd, job->id, SPOOL_DIR_MODE) == 0)
			break;
		if (errno != EEXIST)
			goto fail;
	}
	if (tries == 100) {
		errno = EEXIST;
		goto fail;
	}
	job->dirfd = openat(sp->tmpfd, job->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (job->dirfd == -1 ||
	    asprintf(&job->dir, "%s/%s/%s", sp->root, SPOOL_TMP_DIR, job->id) == -1) {
		job->dir = NULL;
		spool_job_release(job, 1);
		return NULL;
	}
	if (id != NULL)
		memcpy(id, job->id, SPOOL_ID_LEN + 1);
	return job;
fail:
	free(job);
	return NULL;
}

const char *
spool_job_id(const struct spool_job *job)
{
	return job->id;
}

const char *
spool_job_dir(const struct spool_job *job)
{
	return job->dir;
}

static int
spool_job_file(struct spool_job *job, const char *name)
{
	struct spool_file *f;
	size_t i;
	int fd;

	if (!spool_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < job->nfiles; i++)
		if (strcmp(job->files[i].name, name) == 0)
			return job->files[i].fd;
	if (job->nfiles == job->capfiles) {
		size_t cap = job->capfiles ? job->capfiles * 2 : 4;

		if ((f = reallocarray(job->files, cap, sizeof(*f))) == NULL)
			return -1;
		job->files = f;
		job->capfiles = cap;
	}
	spool_step("file-create");
	fd = openat(job->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SPOOL_FILE_MODE);
	if (fd == -1)
		return -1;
	f = &job->files[job->nfiles++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->fd = fd;
	return fd;
}

int
spool_job_write(struct spool_job *job, const char *name, const void *buf, size_t len)
{
	int fd = spool_job_file(job, name);

	return fd == -1 ? -1 : spool_write_all(fd, buf, len);
}

int
spool_job_fd(struct spool_job *job, const char *name)
{
	return spool_job_file(job, name);
}

/* fsync the job's own fds, then any file a tool wrote into the directory
 * itself, then the directory. */
static int
spool_job_sync(struct spool_job *job)
{
	struct dirent *de;
	DIR *d;
	size_t i;
	int fd, known, rc = 0;

	for (i = 0; i < job->nfiles; i++) {
		if (spool_fsync_fd(job->files[i].fd, "file-fsync") == -1)
			return -1;
		close(job->files[i].fd);
		job->files[i].fd = -1;
	}
	if ((fd = openat(job->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' && (de->d_name[1] == '\0' ||
		    (de->d_name[1] == '.' && de->d_name[2] == '\0')))
			continue;
		for (known = 0, i = 0; i < job->nfiles && !known; i++)
			known = strcmp(job->files[i].name, de->d_name) == 0;
		if (known)
			continue;
		fd = openat(job->dirfd, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1 || spool_fsync_fd(fd, "file-fsync") == -1)
			rc = -1;
		if (fd != -1)
			close(fd);
	}
	closedir(d);
	if (rc == -1)
		return -1;
	return spool_fsync_fd(job->dirfd, "job-dir-fsync");
}

/* Syncs the job's files (unless the whole file system just was), then
 * moves tmp/<id> into the queue (not yet durable there). */
static int
spool_job_place(struct spool_job *job, int synced)
{
	size_t i;

	if (!synced && spool_job_sync(job) == -1)
		return -1;
	for (i = 0; i < job->nfiles; i++) {
		if (job->files[i].fd != -1)
			close(job->files[i].fd);
		job->files[i].fd = -1;
	}
	return spool_rename_noreplace(job->sp->tmpfd, job->id,
	    job->sp->qfd[job->queue], job->id);
}

static void
spool_job_release(struct spool_job *job, int remove_tmp)
{
	size_t i;
	int saved = errno;

	if (job == NULL)
		return;
	for (i = 0; i < job->nfiles; i++)
		if (job->files[i].fd != -1)
			close(job->files[i].fd);
	if (job->dirfd != -1)
		close(job->dirfd);
	if (remove_tmp)
		spool_rmtree_at(job->sp->tmpfd, job->id, SPOOL_RMTREE_DEPTH);
	free(job->files);
	free(job->dir);
	free(job);
	errno = saved;
}

/* One job: its own fsyncs, so a single commit never waits for the rest of
 * the file system. */
int
spool_job_commit(struct spool_job *job)
{
	thread_role_no_line_io("spool_job_commit");
	return spool_commit(&job, 1, 0) == 0 ? 0 : -1;
}

/* A batch: one syncfs() makes every file and job directory durable at
 * once (one device flush instead of three or more per job). */
int
spool_job_commit_many(struct spool_job **jobs, size_t n)
{
	thread_role_no_line_io("spool_job_commit_many");
	return spool_commit(jobs, n, 1);
}

static int
spool_commit(struct spool_job **jobs, size_t n, int use_syncfs)
{
	int synced[SPOOL_NQUEUES] = { 0 };
	int used[SPOOL_NQUEUES] = { 0 };
	struct spool *sp = NULL;
	int failed = 0, err = 0, fs_synced = 0;
	size_t i, q, live = 0;

	for (i = 0; i < n; i++) {
		if (jobs[i] != NULL) {
			sp = jobs[i]->sp;
			live++;
		}
	}
	/* When syncfs() fails, every job falls back to its own fsyncs. */
	if (use_syncfs && live > 0) {
		spool_step("syncfs");
		if (syncfs(sp->tmpfd) == 0)
			fs_synced = 1;
	}
	for (i = 0; i < n; i++) {
		if (jobs[i] == NULL)
			continue;
		if (spool_job_place(jobs[i], fs_synced) == -1) {
			err = errno;
			failed++;
			spool_job_release(jobs[i], 1);
			jobs[i] = NULL;
			continue;
		}
		used[jobs[i]->queue] = 1;
	}
	/* One fsync per queue directory makes every rename above durable. */
	for (q = 0; q < SPOOL_NQUEUES && sp != NULL; q++) {
		if (used[q])
			synced[q] = spool_fsync_fd(sp->qfd[q], "queue-fsync") == 0;
		if (used[q] && !synced[q])
			err = errno;
	}
	for (i = 0; i < n; i++) {
		if (jobs[i] == NULL)
			continue;
		if (!synced[jobs[i]->queue]) {
			/* Not durable: take it back out rather than report it. */
			failed++;
			spool_rmtree_at(sp->qfd[jobs[i]->queue], jobs[i]->id,
			    SPOOL_RMTREE_DEPTH);
		}
		spool_job_release(jobs[i], 0);
		jobs[i] = NULL;
	}
	if (failed)
		errno = err;
	return failed;
}

void
spool_job_abort(struct spool_job *job)
{
	spool_job_release(job, 1);
}
