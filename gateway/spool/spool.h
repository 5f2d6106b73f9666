/*
 * gateway/spool: the durable job store. Every other room keeps its jobs
 * here and nowhere else: a job is one directory of files that is either
 * wholly in a queue or not there at all, after a process crash or a power
 * loss; a queue is a directory of jobs scanned in id (= arrival) order.
 * The spool does not know what the files of a job mean (their queue's
 * owner does) and keeps no timers.
 *
 * Layout under the spool root:
 *
 *     ROOT/tmp/<id>/          a job being built (never seen by a scan)
 *     ROOT/<queue>/<id>/      a committed job: one directory of files
 *
 * Queues (SPOOL_Q_* below; the list is in spool.c): "incoming" (faxes
 * being received: the call record and the pages spandsp writes;
 * gateway/onramp), "mail" (mail to send, of both directions: received
 * faxes, and the DSNs/MDNs and postmaster forwards of the offramp;
 * gateway/mailq), "offramp" (mail accepted by SMTP, to be faxed;
 * gateway/intake writes, gateway/offramp reads), "failed" (jobs kept for
 * the operator). An older spool's "onramp" queue becomes "mail" at the
 * first open.
 *
 * Discipline (Postfix/qmail): a job's files are written under tmp/<id>/,
 * every file and the job directory are fsync'd, the directory is renamed
 * into its queue, and the queue directory is fsync'd. Only then does
 * spool_job_commit() return 0, so a job is either wholly in its queue or
 * not there at all, after a process crash or a power loss. Files inside a
 * committed job are changed only with spool_replace() (temp file, fsync,
 * rename, fsync directory). spool_open() removes everything left in tmp/:
 * those are jobs that were never committed (or removals that were cut
 * short), so the recovery rule is simply "a job exists iff it is in a queue".
 * A spool_replace() cut short may leave a ".new-NAME" file inside a job;
 * it is never read and the next spool_replace() of NAME overwrites it.
 *
 * Costs: spool_job_commit() does one fsync per file, one on the job
 * directory and one on the queue directory. Callers that accept many jobs
 * at once (SMTP intake under load) may gather them and call
 * spool_job_commit_many() (group commit): one syncfs() of the spool's file
 * system replaces all the per-file and per-job fsyncs, and the queue
 * directory is fsync'd once per queue for the whole batch: two device
 * flushes per batch. syncfs() also writes out whatever else is dirty on
 * that file system, so the spool is best on a file system of its own.
 * Every job in the batch is durable when it returns 0.
 *
 * Job ids: SPOOL_ID_LEN lower-case hex digits, the microsecond clock
 * shifted left by 12 bits plus a sequence number, so ids sort by creation
 * time, and unique within the spool (creation of tmp/<id> is exclusive and
 * commit/move never overwrite an existing job).
 *
 * Ownership: one process owns a spool at a time (spool_open() takes an
 * flock on ROOT/.lock and fails with "in use by another process (pid N)"),
 * because its recovery empties tmp/. A forked child shares its parent's
 * lock.
 *
 * Threads: a struct spool may be used from several threads (id generation
 * is locked; everything else is plain file system calls). A struct
 * spool_job belongs to one thread.
 *
 * Not here: what the files of a job mean (the queues' owners decide), and
 * retry timing (gateway/mailq, gateway/offramp).
 */
#ifndef T37_SPOOL_H
#define T37_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPOOL_ID_LEN 16         /* job ids: 16 lower-case hex chars */
#define SPOOL_NAME_MAX 64       /* longest file name inside a job */
#define SPOOL_QUEUE_MAX 16      /* longest queue name */

/* The queues. */
#define SPOOL_Q_INCOMING "incoming"     /* faxes being received */
#define SPOOL_Q_MAIL "mail"             /* mail to send (both directions) */
#define SPOOL_Q_OFFRAMP "offramp"       /* mail accepted to be faxed */
#define SPOOL_Q_FAILED "failed"         /* kept for the operator */

struct spool;                   /* opaque: the spool tree */
struct spool_job;               /* opaque: a job being built in tmp/ */

/*
 * Creates (mode 0750) or verifies ROOT, ROOT/tmp and every queue, checks
 * that tmp/ is writable and that all of them are on one file system, then
 * removes whatever tmp/ holds (recovery). NULL on failure with a complete
 * message in err ("spool /x/tmp: cannot create: Permission denied").
 * Caller frees with spool_free().
 */
struct spool *spool_open(const char *root, char *err, size_t errlen);
void spool_free(struct spool *sp);                /* accepts NULL */
const char *spool_root(const struct spool *sp);   /* owned by sp */
/* Probes that the calling process can create files in tmp/ and may write
 * every queue (after a privilege drop). 0, or -1 with a message in err. */
int spool_check(struct spool *sp, char *err, size_t errlen);
/* Gives the tree's directories (root, tmp, queues - not the jobs) to
 * uid:gid, for a daemon that opens the spool as root and then drops to an
 * unprivileged user. 0, or -1 with a message in err. */
int spool_chown(struct spool *sp, uid_t uid, gid_t gid, char *err, size_t errlen);
/* Number of leftovers spool_open() removed from tmp/ (for the start-up log). */
unsigned spool_recovered(const struct spool *sp);
/* 1 when name is a known queue, else 0. */
int spool_queue_valid(const char *queue);
/* 1 when id is SPOOL_ID_LEN lower-case hex digits, else 0. */
int spool_id_valid(const char *id);

/*
 * Starts a new job destined for queue: creates tmp/<id>/ and writes its id
 * (NUL-terminated) into id. NULL with errno on failure (EINVAL: unknown
 * queue). The job is freed by spool_job_commit() or spool_job_abort().
 */
struct spool_job *spool_job_new(struct spool *sp, const char *queue,
    char id[SPOOL_ID_LEN + 1]);
const char *spool_job_id(const struct spool_job *job);
/* Appends len bytes to file name in the job (created mode 0640). 0 or -1 + errno. */
int spool_job_write(struct spool_job *job, const char *name, const void *buf, size_t len);
/* A write fd on file name (created on first use, shared with
 * spool_job_write()); owned by the job: do not close it. -1 + errno. */
int spool_job_fd(struct spool_job *job, const char *name);
/* tmp/<id> path for tools that create files themselves (libtiff, spandsp).
 * Such files are fsync'd by the commit as well. Owned by the job. */
const char *spool_job_dir(const struct spool_job *job);
/*
 * Makes the job durable in its queue: fsync every file (those opened via
 * the job and any other regular file in the directory), fsync tmp/<id>,
 * rename it to <queue>/<id>, fsync <queue>. Frees the job in all cases.
 * 0, or -1 + errno when the job could not be made durable (it is removed).
 */
int spool_job_commit(struct spool_job *job);
/* Group commit: like spool_job_commit() for each job (all of one spool),
 * with one syncfs() instead of the file and job directory fsyncs (each
 * job falls back to them if syncfs() fails) and one fsync per distinct
 * queue directory. Frees every job. Returns the number of jobs
 * that failed (they are removed; their pointers set to NULL in jobs[]
 * like all others) - 0 means all are durable. errno is that of the last
 * failure. */
int spool_job_commit_many(struct spool_job **jobs, size_t n);
/* Removes tmp/<id> and frees the job. Accepts NULL. */
void spool_job_abort(struct spool_job *job);

/*
 * ROOT/queue/id/name into out (name NULL: the job directory; id NULL too:
 * the queue directory). 0, or -1 with errno EINVAL (bad queue, id or name)
 * or ENAMETOOLONG.
 */
int spool_path(const struct spool *sp, const char *queue, const char *id,
    const char *name, char *out, size_t size);
/* Atomically replaces (or creates) file name of a committed job with buf:
 * temp file in the job directory, fsync, rename, fsync the directory. */
int spool_replace(struct spool *sp, const char *queue, const char *id,
    const char *name, const void *buf, size_t len);
/* Reads file name of a committed job into a malloc'd buffer (caller frees,
 * NUL-terminated beyond *len). At most SPOOL_READ_MAX bytes (else EFBIG). */
#define SPOOL_READ_MAX (64u * 1024 * 1024)
int spool_read(struct spool *sp, const char *queue, const char *id,
    const char *name, char **buf, size_t *len);
/* Atomically moves a committed job to another queue (never overwriting one
 * there: EEXIST) and fsyncs both queue directories. */
int spool_move(struct spool *sp, const char *from_queue, const char *id,
    const char *to_queue);
/* Removes a committed job: renamed into tmp/ (its disappearance from the
 * queue is atomic and fsync'd), then deleted. */
int spool_remove(struct spool *sp, const char *queue, const char *id);
/*
 * Calls cb(id, arg) for every committed job of queue in id order (oldest
 * first). Entries that are not job ids are skipped with a warning. Stops
 * when cb returns non-zero and returns that value; 0 after the last job;
 * -1 + errno when the queue cannot be read.
 */
int spool_scan(struct spool *sp, const char *queue,
    int (*cb)(const char *id, void *arg), void *arg);

/*
 * spool_rec: the one small record format for envelopes and state files.
 * Text lines "key value\n": key is 1..SPOOL_REC_KEY_MAX of [a-z0-9_.-],
 * value is any bytes with '%', bytes below 0x20 and 0x7f written as %XX
 * (upper-case hex), so a record never holds a raw CR, LF or NUL. Keys may
 * repeat (one "rcpt" line per recipient); order is kept.
 *
 * One type both builds and parses: spool_rec_new() + spool_rec_add*() +
 * spool_rec_data(), or spool_rec_parse() + spool_rec_get*().
 */
#define SPOOL_REC_KEY_MAX 32
/* Largest record accepted: an offramp job's state for the most recipients
 * a message may have, each with its longest texts, fits (its test says so). */
#define SPOOL_REC_MAX (8u << 20)

struct spool_rec;               /* opaque: an ordered list of key/value pairs */

struct spool_rec *spool_rec_new(void);            /* NULL on ENOMEM */
void spool_rec_free(struct spool_rec *rec);       /* accepts NULL */
/* Appends a pair. -1 with errno EINVAL (bad key), E2BIG (record over
 * SPOOL_REC_MAX) or ENOMEM. */
int spool_rec_add(struct spool_rec *rec, const char *key, const char *value);
int spool_rec_addn(struct spool_rec *rec, const char *key, const void *value, size_t len);
int spool_rec_addf(struct spool_rec *rec, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int spool_rec_add_u64(struct spool_rec *rec, const char *key, uint64_t v);
/* The encoded text (owned by rec, valid until the next add). */
const char *spool_rec_data(const struct spool_rec *rec, size_t *len);
/*
 * Parses len bytes. NULL on corrupt input with "line N: message" in err
 * (bad key, bad %-escape, raw control byte, last line without newline,
 * over SPOOL_REC_MAX). Caller frees the result.
 */
struct spool_rec *spool_rec_parse(const char *buf, size_t len, char *err, size_t errlen);
size_t spool_rec_count(const struct spool_rec *rec);
/* Pair i (0-based): its key, and its decoded value (NUL-terminated; *len
 * gets the length, which counts any embedded NUL). Owned by rec. */
const char *spool_rec_key(const struct spool_rec *rec, size_t i);
const char *spool_rec_value(const struct spool_rec *rec, size_t i, size_t *len);
/* Value of the first pair with key, or NULL. */
const char *spool_rec_get(const struct spool_rec *rec, const char *key);
/* First value of key as a decimal number: 0, or -1 (missing: ENOENT, not a
 * number or out of range: ERANGE/EINVAL). */
int spool_rec_get_u64(const struct spool_rec *rec, const char *key, uint64_t *v);
/* The value of pair i as such a number: 0, or -1 (ERANGE/EINVAL). */
int spool_rec_value_u64(const struct spool_rec *rec, size_t i, uint64_t *v);

/* Convenience: file name of job as a record (spool_read + spool_rec_parse).
 * NULL with err and errno: ENOENT when there is no such file, EINVAL when
 * it is not a record. */
struct spool_rec *spool_rec_load(struct spool *sp, const char *queue, const char *id,
    const char *name, char *err, size_t errlen);
/* Convenience: atomically writes rec as file name of a committed job. */
int spool_rec_store(struct spool *sp, const char *queue, const char *id,
    const char *name, const struct spool_rec *rec);

#endif
