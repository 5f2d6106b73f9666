/*
 * gateway/spool: durable jobs as directories (see spool.h for the layout
 * and the guarantees). This file does the file system work: tree creation
 * and recovery, job ids, the tmp -> queue commit with its fsyncs, atomic
 * replace/move/remove and the sorted scan. It does not interpret the
 * files of a job. All paths are resolved relative to directory fds opened
 * once by spool_open().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "util/log.h"
#include "gateway/spool/spool.h"

#define SPOOL_DIR_MODE 0750
#define SPOOL_FILE_MODE 0640
#define SPOOL_TMP_DIR "tmp"
#define SPOOL_LOCK_FILE ".lock"         /* one process per spool */
#define SPOOL_RM_SUFFIX "-rm"           /* tmp/<id>-rm: a removal in progress */
#define SPOOL_REPLACE_PREFIX ".new-"    /* <job>/.new-NAME: spool_replace temp */
#define SPOOL_RMTREE_DEPTH 4            /* deepest tree spool removal descends */
#define SPOOL_SEQ_BITS 12               /* ids: usec << 12 | sequence */

/* The queues, in the order their fds are kept. */
static const char *const spool_queues[] = {
	"incoming", "onramp", "offramp", "notify", "failed",
};
#define SPOOL_NQUEUES (sizeof(spool_queues) / sizeof(spool_queues[0]))

struct spool {
	char *root;                     /* owned */
	int lockfd;                     /* ROOT/.lock, flock'd while open */
	int tmpfd;                      /* ROOT/tmp */
	int qfd[SPOOL_NQUEUES];         /* ROOT/<queue> */
	unsigned recovered;             /* leftovers removed by spool_open() */
	pthread_mutex_t idlock;         /* guards last_id */
	uint64_t last_id;
};

struct spool_file {
	char name[SPOOL_NAME_MAX + 1];
	int fd;
};

struct spool_job {
	struct spool *sp;               /* not owned */
	int queue;                      /* index into spool_queues */
	char id[SPOOL_ID_LEN + 1];
	char *dir;                      /* owned: ROOT/tmp/<id> */
	int dirfd;                      /* tmp/<id>, owned */
	struct spool_file *files;       /* owned; fds owned */
	size_t nfiles, capfiles;
};

static void spool_step(const char *step);
static int spool_queue_index(const char *queue);
static int spool_name_valid(const char *name);
static int spool_mkdir_open(int dirfd, const char *name, const char *path,
    char *err, size_t errlen);
static int spool_rmtree_at(int pfd, const char *name, int depth);
static int spool_clear_tmp(struct spool *sp);
static int spool_lock(struct spool *sp, int rootfd, char *err, size_t errlen);
static uint64_t spool_next_id(struct spool *sp);
static int spool_write_all(int fd, const void *buf, size_t len);
static int spool_job_file(struct spool_job *job, const char *name);
static void spool_job_release(struct spool_job *job, int remove_tmp);
static int spool_job_sync(struct spool_job *job);
static int spool_job_place(struct spool_job *job, int synced);
static int spool_fsync_fd(int fd, const char *step);
static int spool_rename_noreplace(int fromfd, const char *from, int tofd, const char *to);
static int spool_open_job(struct spool *sp, int q, const char *id);
static int spool_id_cmp(const void *a, const void *b);

/* ---- failpoints (test hook) ---- */

static volatile int spool_fp_countdown;
static void (*spool_fp_trace)(const char *step);

void
spool_failpoint_set(int k)
{
	spool_fp_countdown = k;
}

void
spool_failpoint_trace(void (*fn)(const char *step))
{
	spool_fp_trace = fn;
}

/* Called before every durable step; the hook's only action is to end the
 * process there, as a crash would. */
static void
spool_step(const char *step)
{
	if (spool_fp_trace != NULL)
		spool_fp_trace(step);
	if (spool_fp_countdown > 0 && --spool_fp_countdown == 0)
		_exit(SPOOL_FAILPOINT_EXIT);
}

/* ---- names ---- */

static int
spool_queue_index(const char *queue)
{
	size_t i;

	if (queue == NULL)
		return -1;
	for (i = 0; i < SPOOL_NQUEUES; i++)
		if (strcmp(queue, spool_queues[i]) == 0)
			return (int)i;
	return -1;
}

int
spool_queue_valid(const char *queue)
{
	return spool_queue_index(queue) >= 0;
}

int
spool_id_valid(const char *id)
{
	size_t i;

	if (id == NULL)
		return 0;
	for (i = 0; i < SPOOL_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[SPOOL_ID_LEN] == '\0';
}

/* A file name inside a job: 1..SPOOL_NAME_MAX bytes, no '/', no leading
 * '.' (reserved for spool temporaries), no control bytes. */
static int
spool_name_valid(const char *name)
{
	size_t i, n;

	if (name == NULL || name[0] == '\0' || name[0] == '.')
		return 0;
	n = strlen(name);
	if (n > SPOOL_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] == '/' || (unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return 0;
	return 1;
}

/* ---- open / recovery ---- */

static int
spool_mkdir_open(int dirfd, const char *name, const char *path, char *err, size_t errlen)
{
	int fd;

	if (mkdirat(dirfd, name, SPOOL_DIR_MODE) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "spool %s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		snprintf(err, errlen, "spool %s: cannot open: %s", path, strerror(errno));
	return fd;
}

struct spool *
spool_open(const char *root, char *err, size_t errlen)
{
	struct spool *sp;
	struct stat st, st0;
	char path[4096];
	int rootfd = -1;
	size_t i;

	if (root == NULL || root[0] == '\0') {
		snprintf(err, errlen, "spool: no directory given");
		return NULL;
	}
	if ((sp = calloc(1, sizeof(*sp))) == NULL || (sp->root = strdup(root)) == NULL) {
		snprintf(err, errlen, "spool %s: out of memory", root);
		free(sp);
		return NULL;
	}
	sp->tmpfd = sp->lockfd = -1;
	for (i = 0; i < SPOOL_NQUEUES; i++)
		sp->qfd[i] = -1;
	pthread_mutex_init(&sp->idlock, NULL);

	if ((rootfd = spool_mkdir_open(AT_FDCWD, root, root, err, errlen)) == -1 ||
	    spool_lock(sp, rootfd, err, errlen) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/%s", root, SPOOL_TMP_DIR);
	if ((sp->tmpfd = spool_mkdir_open(rootfd, SPOOL_TMP_DIR, path, err, errlen)) == -1)
		goto fail;
	if (fstat(sp->tmpfd, &st0) == -1) {
		snprintf(err, errlen, "spool %s: %s", path, strerror(errno));
		goto fail;
	}
	for (i = 0; i < SPOOL_NQUEUES; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, spool_queues[i]);
		if ((sp->qfd[i] = spool_mkdir_open(rootfd, spool_queues[i], path, err, errlen)) == -1)
			goto fail;
		if (fstat(sp->qfd[i], &st) == -1 || st.st_dev != st0.st_dev) {
			snprintf(err, errlen, "spool %s: not on the same file system as %s/%s",
			    path, root, SPOOL_TMP_DIR);
			goto fail;
		}
	}
	/* The directories persist across a crash only once their parent is synced. */
	if (fsync(rootfd) == -1) {
		snprintf(err, errlen, "spool %s: fsync: %s", root, strerror(errno));
		goto fail;
	}
	close(rootfd);
	rootfd = -1;

	if (spool_check(sp, err, errlen) == -1)
		goto fail;
	if (spool_clear_tmp(sp) == -1) {
		snprintf(err, errlen, "spool %s/%s: cannot remove leftovers: %s", root,
		    SPOOL_TMP_DIR, strerror(errno));
		goto fail;
	}
	return sp;

fail:
	if (rootfd != -1)
		close(rootfd);
	spool_free(sp);
	return NULL;
}

/*
 * Recovery empties tmp/, which would destroy the jobs another process is
 * writing: so a spool has one owner at a time, held by flock() on
 * ROOT/.lock (released by the kernel when the owner dies).
 */
static int
spool_lock(struct spool *sp, int rootfd, char *err, size_t errlen)
{
	char pid[32] = "";
	ssize_t n;

	sp->lockfd = openat(rootfd, SPOOL_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    SPOOL_FILE_MODE);
	if (sp->lockfd == -1) {
		if (errno == EACCES || errno == EROFS || errno == EPERM)
			snprintf(err, errlen, "spool %s: not writable: %s", sp->root, strerror(errno));
		else
			snprintf(err, errlen, "spool %s/%s: cannot open: %s", sp->root,
			    SPOOL_LOCK_FILE, strerror(errno));
		return -1;
	}
	if (flock(sp->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			n = pread(sp->lockfd, pid, sizeof(pid) - 1, 0);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			snprintf(err, errlen, "spool %s: in use by another process%s%s%s", sp->root,
			    pid[0] ? " (pid " : "", pid, pid[0] ? ")" : "");
		} else {
			snprintf(err, errlen, "spool %s/%s: cannot lock: %s", sp->root,
			    SPOOL_LOCK_FILE, strerror(errno));
		}
		return -1;
	}
	/* The pid is only a hint for the message above: failing to write it is
	 * harmless. */
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(sp->lockfd, 0) == -1 ||
	    pwrite(sp->lockfd, pid, strlen(pid), 0) != (ssize_t)strlen(pid))
		log_debug("event=spool-lock spool=%s pid-hint=unwritten", sp->root);
	return 0;
}

int
spool_check(struct spool *sp, char *err, size_t errlen)
{
	char probe[64];
	size_t i;
	int fd;

	/* Root bypasses permission bits, so try tmp/ for real. */
	snprintf(probe, sizeof(probe), ".probe-%ld", (long)getpid());
	fd = openat(sp->tmpfd, probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SPOOL_FILE_MODE);
	if (fd == -1) {
		snprintf(err, errlen, "spool %s/%s: not writable: %s", sp->root, SPOOL_TMP_DIR,
		    strerror(errno));
		return -1;
	}
	close(fd);
	unlinkat(sp->tmpfd, probe, 0);
	for (i = 0; i < SPOOL_NQUEUES; i++) {
		if (faccessat(sp->qfd[i], ".", W_OK | X_OK, AT_EACCESS) == -1) {
			snprintf(err, errlen, "spool %s/%s: not writable: %s", sp->root,
			    spool_queues[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

int
spool_chown(struct spool *sp, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	size_t i;

	if (chown(sp->root, uid, gid) == -1 || fchown(sp->lockfd, uid, gid) == -1) {
		snprintf(err, errlen, "spool %s: chown: %s", sp->root, strerror(errno));
		return -1;
	}
	if (fchown(sp->tmpfd, uid, gid) == -1) {
		snprintf(err, errlen, "spool %s/%s: chown: %s", sp->root, SPOOL_TMP_DIR,
		    strerror(errno));
		return -1;
	}
	for (i = 0; i < SPOOL_NQUEUES; i++) {
		if (fchown(sp->qfd[i], uid, gid) == -1) {
			snprintf(err, errlen, "spool %s/%s: chown: %s", sp->root,
			    spool_queues[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

void
spool_free(struct spool *sp)
{
	size_t i;

	if (sp == NULL)
		return;
	if (sp->tmpfd != -1)
		close(sp->tmpfd);
	if (sp->lockfd != -1)
		close(sp->lockfd);      /* releases the lock */
	for (i = 0; i < SPOOL_NQUEUES; i++)
		if (sp->qfd[i] != -1)
			close(sp->qfd[i]);
	pthread_mutex_destroy(&sp->idlock);
	free(sp->root);
	free(sp);
}

const char *
spool_root(const struct spool *sp)
{
	return sp->root;
}

unsigned
spool_recovered(const struct spool *sp)
{
	return sp->recovered;
}

/* Removes name (file or tree) under dirfd. Job trees are flat; depth is a
 * guard against hostile nesting. */
static int
spool_rmtree_at(int pfd, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth <= 0) {
		errno = ELOOP;
		return -1;
	}
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (spool_rmtree_at(dirfd(d), de->d_name, depth - 1) == -1)
			rc = -1;
	}
	closedir(d);
	if (rc == 0 && unlinkat(pfd, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* Recovery: tmp/ only ever holds uncommitted jobs and cut-short removals. */
static int
spool_clear_tmp(struct spool *sp)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = openat(sp->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (spool_rmtree_at(sp->tmpfd, de->d_name, SPOOL_RMTREE_DEPTH) == -1)
			rc = -1;
		else
			sp->recovered++;
	}
	closedir(d);
	return rc;
}

/* ---- jobs ---- */

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
spool_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		spool_step("write");
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The fd of file name in the job, opened (created) on first use. */
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

static int
spool_fsync_fd(int fd, const char *step)
{
	spool_step(step);
	while (fsync(fd) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
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

/* renameat2(RENAME_NOREPLACE): a commit or move never replaces a job. */
static int
spool_rename_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
	spool_step("rename");
	return renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE);
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

static int spool_commit(struct spool_job **jobs, size_t n, int use_syncfs);

/* One job: its own fsyncs, so a single commit never waits for the rest of
 * the file system. */
int
spool_job_commit(struct spool_job *job)
{
	return spool_commit(&job, 1, 0) == 0 ? 0 : -1;
}

/* A batch: one syncfs() makes every file and job directory durable at
 * once (one device flush instead of three or more per job). */
int
spool_job_commit_many(struct spool_job **jobs, size_t n)
{
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

/* ---- committed jobs ---- */

int
spool_path(const struct spool *sp, const char *queue, const char *id,
    const char *name, char *out, size_t size)
{
	int n;

	if (!spool_queue_valid(queue) || (id != NULL && !spool_id_valid(id)) ||
	    (name != NULL && (id == NULL || !spool_name_valid(name)))) {
		errno = EINVAL;
		return -1;
	}
	if (id == NULL)
		n = snprintf(out, size, "%s/%s", sp->root, queue);
	else if (name == NULL)
		n = snprintf(out, size, "%s/%s/%s", sp->root, queue, id);
	else
		n = snprintf(out, size, "%s/%s/%s/%s", sp->root, queue, id, name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* An fd on <queue>/<id>, or -1 with errno (EINVAL for bad names). */
static int
spool_open_job(struct spool *sp, int q, const char *id)
{
	if (q < 0 || !spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	return openat(sp->qfd[q], id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int
spool_replace(struct spool *sp, const char *queue, const char *id,
    const char *name, const void *buf, size_t len)
{
	char tmp[sizeof(SPOOL_REPLACE_PREFIX) + SPOOL_NAME_MAX];
	int dfd, fd = -1, saved;

	if (!spool_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if ((dfd = spool_open_job(sp, spool_queue_index(queue), id)) == -1)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s%s", SPOOL_REPLACE_PREFIX, name);
	spool_step("replace-create");
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, SPOOL_FILE_MODE);
	if (fd == -1 || spool_write_all(fd, buf, len) == -1 ||
	    spool_fsync_fd(fd, "replace-fsync") == -1)
		goto fail;
	close(fd);
	fd = -1;
	spool_step("rename");
	if (renameat(dfd, tmp, dfd, name) == -1 ||
	    spool_fsync_fd(dfd, "job-dir-fsync") == -1)
		goto fail;
	close(dfd);
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlinkat(dfd, tmp, 0);
	close(dfd);
	errno = saved;
	return -1;
}

int
spool_read(struct spool *sp, const char *queue, const char *id,
    const char *name, char **buf, size_t *len)
{
	struct stat st;
	char *p = NULL;
	size_t got = 0;
	ssize_t n;
	int dfd, fd = -1, saved;

	*buf = NULL;
	*len = 0;
	if (!spool_name_valid(name)) {
		errno = EINVAL;
		return -1;
	}
	if ((dfd = spool_open_job(sp, spool_queue_index(queue), id)) == -1)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd == -1 || fstat(fd, &st) == -1)
		goto fail;
	if (st.st_size > (off_t)SPOOL_READ_MAX) {
		errno = EFBIG;
		goto fail;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		n = read(fd, p + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	p[got] = '\0';
	*buf = p;
	*len = got;
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	free(p);
	errno = saved;
	return -1;
}

int
spool_move(struct spool *sp, const char *from_queue, const char *id, const char *to_queue)
{
	int from = spool_queue_index(from_queue), to = spool_queue_index(to_queue);

	if (from < 0 || to < 0 || !spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	if (from == to)
		return 0;
	if (spool_rename_noreplace(sp->qfd[from], id, sp->qfd[to], id) == -1)
		return -1;
	if (spool_fsync_fd(sp->qfd[to], "queue-fsync") == -1 ||
	    spool_fsync_fd(sp->qfd[from], "queue-fsync") == -1)
		return -1;
	return 0;
}

int
spool_remove(struct spool *sp, const char *queue, const char *id)
{
	char rm[SPOOL_ID_LEN + sizeof(SPOOL_RM_SUFFIX)];
	int q = spool_queue_index(queue);

	if (q < 0 || !spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(rm, sizeof(rm), "%s%s", id, SPOOL_RM_SUFFIX);
	/* A leftover of an earlier cut-short removal of the same id would make
	 * the rename fail; it is garbage by definition. */
	spool_rmtree_at(sp->tmpfd, rm, SPOOL_RMTREE_DEPTH);
	if (spool_rename_noreplace(sp->qfd[q], id, sp->tmpfd, rm) == -1)
		return -1;
	if (spool_fsync_fd(sp->qfd[q], "queue-fsync") == -1)
		return -1;
	spool_step("rmtree");
	if (spool_rmtree_at(sp->tmpfd, rm, SPOOL_RMTREE_DEPTH) == -1)
		log_warn("event=spool-remove job=%s result=leftover", id);
	return 0;
}

static int
spool_id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, SPOOL_ID_LEN);
}

int
spool_scan(struct spool *sp, const char *queue,
    int (*cb)(const char *id, void *arg), void *arg)
{
	char (*ids)[SPOOL_ID_LEN + 1] = NULL, (*grown)[SPOOL_ID_LEN + 1];
	char buf[LOG_ESC_BUFSZ];
	struct dirent *de;
	size_t n = 0, cap = 0, i;
	int q = spool_queue_index(queue), fd, rc = 0;
	DIR *d;

	if (q < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = openat(sp->qfd[q], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (!spool_id_valid(de->d_name)) {
			log_warnx("event=spool-scan queue=%s entry=%s result=ignored", queue,
			    log_str(buf, sizeof(buf), de->d_name));
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((grown = reallocarray(ids, cap, sizeof(*ids))) == NULL) {
				closedir(d);
				free(ids);
				errno = ENOMEM;
				return -1;
			}
			ids = grown;
		}
		memcpy(ids[n++], de->d_name, SPOOL_ID_LEN + 1);
	}
	closedir(d);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), spool_id_cmp);
	for (i = 0; i < n && rc == 0; i++)
		rc = cb(ids[i], arg);
	free(ids);
	return rc;
}
