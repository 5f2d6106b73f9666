/*
 * gateway/spool: durable jobs as directories (see spool.h for the layout
 * and the guarantees). This file keeps the tree: creation, the lock, the
 * recovery of tmp/, queues renamed since earlier versions, and the
 * committed jobs (atomic replace/move/remove, the sorted scan). Jobs being
 * built and their commit are in spool_job.c. It does not interpret the
 * files of a job. All paths are resolved relative to directory fds opened
 * once by spool_open().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway/spool/spool.h"
#include "gateway/spool/spool_int.h"
#include "gateway/spool/spool_test.h"
#include "util/log.h"
#include "util/thread_role.h"

/* The queues, in the order their fds are kept (SPOOL_NQUEUES). */
static const char *const spool_queues[SPOOL_NQUEUES] = {
	SPOOL_Q_INCOMING, SPOOL_Q_MAIL, SPOOL_Q_OFFRAMP, SPOOL_Q_FAILED,
};

/* Queue directories of earlier versions: their jobs move to the new name
 * at the first open (to NULL: removed when empty). */
static const struct {
	const char *from, *to;
} spool_renamed[] = {
	{ "onramp", SPOOL_Q_MAIL },     /* it always carried offramp reports too */
	{ "notify", NULL },             /* reserved, never used */
};

static int spool_mkdir_open(int dirfd, const char *name, const char *path,
    char *err, size_t errlen);
static int spool_clear_tmp(struct spool *sp);
static int spool_lock(struct spool *sp, int rootfd, char *err, size_t errlen);
static void spool_migrate_dirs(struct spool *sp, int rootfd);
static int spool_migrate_jobs(struct spool *sp, int rootfd, char *err, size_t errlen);
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
void
spool_step(const char *step)
{
	if (spool_fp_trace != NULL)
		spool_fp_trace(step);
	if (spool_fp_countdown > 0 && --spool_fp_countdown == 0)
		_exit(SPOOL_FAILPOINT_EXIT);
}

/* ---- names ---- */

int
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
int
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
	spool_migrate_dirs(sp, rootfd);
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
	if (spool_migrate_jobs(sp, rootfd, err, errlen) == -1)
		goto fail;
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
 * A queue renamed since an earlier version: when only the old directory
 * exists it becomes the new one whole (one atomic rename; the root fsync
 * in spool_open() makes it durable). A reserved queue that was never used
 * goes when it is empty.
 */
static void
spool_migrate_dirs(struct spool *sp, int rootfd)
{
	size_t i;

	for (i = 0; i < sizeof(spool_renamed) / sizeof(spool_renamed[0]); i++) {
		if (spool_renamed[i].to == NULL) {
			if (unlinkat(rootfd, spool_renamed[i].from, AT_REMOVEDIR) == 0)
				log_info("event=spool-migrate spool=%s queue=%s result=removed",
				    sp->root, spool_renamed[i].from);
			continue;
		}
		if (renameat2(rootfd, spool_renamed[i].from, rootfd, spool_renamed[i].to,
		    RENAME_NOREPLACE) == 0)
			log_info("event=spool-migrate spool=%s from=%s to=%s result=renamed",
			    sp->root, spool_renamed[i].from, spool_renamed[i].to);
	}
}

/*
 * Both the old and the new directory of a renamed queue exist (an older
 * version ran after a newer one): every job of the old one moves over,
 * durably, and the old directory goes once it is empty. A job whose id is
 * taken in the new queue stays where it is, with a warning.
 */
static int
spool_migrate_jobs(struct spool *sp, int rootfd, char *err, size_t errlen)
{
	struct dirent *de;
	unsigned moved, kept;
	size_t i;
	DIR *d;
	int fd, q;

	for (i = 0; i < sizeof(spool_renamed) / sizeof(spool_renamed[0]); i++) {
		if (spool_renamed[i].to == NULL)
			continue;
		fd = openat(rootfd, spool_renamed[i].from, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd == -1)
			continue;       /* nothing to move */
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
			snprintf(err, errlen, "spool %s/%s: %s", sp->root,
			    spool_renamed[i].from, strerror(errno));
			return -1;
		}
		q = spool_queue_index(spool_renamed[i].to);
		moved = kept = 0;
		while ((de = readdir(d)) != NULL) {
			if (!spool_id_valid(de->d_name))
				continue;
			if (spool_rename_noreplace(dirfd(d), de->d_name, sp->qfd[q],
			    de->d_name) == 0) {
				moved++;
			} else {
				kept++;
				log_warn("event=spool-migrate spool=%s from=%s to=%s job=%s "
				    "result=kept", sp->root, spool_renamed[i].from,
				    spool_renamed[i].to, de->d_name);
			}
		}
		if (moved > 0 && (spool_fsync_fd(sp->qfd[q], "queue-fsync") == -1 ||
		    spool_fsync_fd(dirfd(d), "queue-fsync") == -1)) {
			closedir(d);
			snprintf(err, errlen, "spool %s/%s: fsync: %s", sp->root,
			    spool_renamed[i].to, strerror(errno));
			return -1;
		}
		closedir(d);
		if (kept == 0)
			unlinkat(rootfd, spool_renamed[i].from, AT_REMOVEDIR);
		log_info("event=spool-migrate spool=%s from=%s to=%s jobs=%u kept=%u",
		    sp->root, spool_renamed[i].from, spool_renamed[i].to, moved, kept);
	}
	return 0;
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
int
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

/* ---- helpers shared with spool_job.c ---- */

int
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
int
spool_fsync_fd(int fd, const char *step)
{
	spool_step(step);
	while (fsync(fd) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* renameat2(RENAME_NOREPLACE): a commit or move never replaces a job. */
int
spool_rename_noreplace(int fromfd, const char *from, int tofd, const char *to)
{
	spool_step("rename");
	return renameat2(fromfd, from, tofd, to, RENAME_NOREPLACE);
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

	thread_role_no_line_io("spool_replace");
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

	thread_role_no_line_io("spool_move");
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

	thread_role_no_line_io("spool_remove");
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
