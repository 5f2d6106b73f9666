/*
 * gateway/intake/intake_int.h: shared by intake.c (policy, sessions),
 * commit.c (the committer), auth.c (users, the AUTH check) and throttle.c
 * (the AUTH failure table). Private to the intake (and its tests).
 */
#ifndef T37_INTAKE_INT_H
#define T37_INTAKE_INT_H

#include <sys/queue.h>
#include <time.h>

#include <openssl/ssl.h>

#include "config/config.h"
#include "gateway/intake/faxaddr.h"
#include "gateway/intake/intake.h"
#include "gateway/spool/spool.h"
#include "smtp/smtp.h"

/* Batches committed at once. One is fastest: while it flushes (syncfs),
 * every message finished meanwhile waits for it, so the next batch is
 * larger; parallel committers only split batches and flush more often
 * (measured with smtp-source, 20 sessions of 1 KB messages, spool on a
 * loop-mounted ext4 where every flush is slow: 1 thread 2900-3300 msgs/s,
 * 2 threads 2400, 4 threads 2100). */
#define INTAKE_COMMITTERS 1
/* A message up to this size is held in memory until its final dot and the
 * committer thread writes it into its spool job, so the event loop never
 * creates files for it; a larger one spills into its job while it arrives.
 * Memory held: at most the SMTP session cap times this. */
#define INTAKE_MEM_SPILL (256 * 1024)
/* Jobs committed together at most (one spool_job_commit_many() call). */
#define INTAKE_COMMIT_BATCH 256
/* Longest per-message log summary (from, recipients). */
#define INTAKE_SUMMARY_MAX 1024

/* SMTP AUTH throttling (throttle.c): failures are counted per
 * client address (IPv6: per /64) and per user name over a window; an
 * address with too many is locked out for a while (454 4.7.0, credentials
 * unchecked); once a user name has too many, one failure locks the address
 * it came from. Entries: at most INTAKE_AUTH_SLOTS (least recently used
 * reused), keys truncated to INTAKE_AUTH_KEY_MAX - 1 characters. */
#define INTAKE_AUTH_WINDOW      600     /* seconds failures are counted over */
#define INTAKE_AUTH_ADDR_MAX    5       /* failures from an address: locked */
#define INTAKE_AUTH_USER_MAX    10      /* failures for a user name: attacked */
#define INTAKE_AUTH_LOCKOUT     600     /* seconds an address stays locked */
#define INTAKE_AUTH_SLOTS       4096
#define INTAKE_AUTH_KEY_MAX     96
#define INTAKE_THROTTLE_ADDR    0x1     /* this failure locked the address */
#define INTAKE_THROTTLE_USER    0x2     /* this failure put the user under attack */

struct intake_throttle;         /* opaque */
/* A table of slots entries (>= 2); NULL without memory. Caller frees. */
struct intake_throttle *intake_throttle_new(size_t slots);
void intake_throttle_free(struct intake_throttle *t);   /* accepts NULL */
/* Seconds addr stays locked at now, 0 when it may try. */
time_t intake_throttle_locked(struct intake_throttle *t, const char *addr, time_t now);
/* Records a failed AUTH; returns INTAKE_THROTTLE_* bits for what it
 * changed, and the failures counted in the window for each key. */
unsigned intake_throttle_fail(struct intake_throttle *t, const char *addr,
    const char *user, time_t now, unsigned *addr_fails, unsigned *user_fails);
/* Entries in use (tests: memory stays bounded). */
size_t intake_throttle_entries(const struct intake_throttle *t);

/* One message handed to the committer; ownership moves with it. */
struct intake_commit {
	TAILQ_ENTRY(intake_commit) entry;
	unsigned long long sess;                /* the session, by id: it may be
	                                           gone when the commit ends */
	struct spool_job *job;                  /* owned until committed, or NULL: */
	char *msg;                              /* owned: the message to write */
	size_t msglen;                          /*   into a new job (committer) */
	struct spool_rec *env;                  /* owned: its envelope, likewise */
	char id[SPOOL_ID_LEN + 1];              /* set once the job exists */
	int ok;                                 /* set by the committer */
	int err;                                /* errno of a failure */
	char summary[INTAKE_SUMMARY_MAX];       /* "client=... from=... rcpt=... size=..." */
};
TAILQ_HEAD(intake_commitq, intake_commit);

/* The committer: messages wait on the loop; one batch at a time is
 * committed on a pool thread (util/offload); the sessions are answered on
 * the loop when it comes back. Loop thread only. */
struct intake_committer {
	struct offload *off;                    /* owned */
	struct spool *spool;                    /* borrowed */
	struct intake_commitq pending;          /* waiting for the next batch */
	int running;                            /* a batch is being committed */
	unsigned busy;                          /* pushed, not yet finished */
	void (*finish)(void *arg, struct intake_commit *c);     /* on the loop */
	void *arg;
};

struct intake_user {
	char *user;                     /* owned */
	char *password;                 /* owned */
};

struct intake {
	struct event_base *base;        /* borrowed */
	const struct config *cfg;       /* held; replaced on reload */
	struct spool *spool;            /* borrowed */
	struct smtp_server *srv;        /* owned */
	SSL_CTX *tls;                   /* owned; NULL without a certificate */
	struct intake_user *users;      /* owned: config users + auth file */
	size_t nusers;
	struct intake_committer cm;
	struct intake_throttle *throttle;    /* owned; made at the first AUTH failure */
	intake_committed_fn *committed;   /* told of each durable job, or NULL */
	void *committed_arg;
};

/* auth.c */
/* Users: every "mta receive auth", then the auth file. 0, or -1 with err. */
int intake_auth_users_load(const struct config *cfg, struct intake_user **users, size_t *n,
    char *err, size_t errlen);
void intake_auth_users_free(struct intake_user *users, size_t n);
/* The server's auth callback (smtp.h): 0 good, -1 bad, 1 throttled. */
int intake_auth_check(void *arg, void *udata, const struct smtp_server_client *c,
    const char *user, const char *pass);

/* commit.c */
/* 0, or -1 with err. */
int intake_committer_start(struct intake_committer *cm, struct event_base *base,
    struct spool *spool, void (*finish)(void *, struct intake_commit *), void *arg,
    char *err, size_t errlen);
/* Queues c (ownership moves to the committer; finish gets it back). */
void intake_committer_push(struct intake_committer *cm, struct intake_commit *c);
/* Commits handed over and not yet answered. */
unsigned intake_committer_busy(struct intake_committer *cm);
/* Commits and finishes everything handed over, then frees the committer. */
void intake_committer_stop(struct intake_committer *cm);

/* route.c: the listener's answer to a recipient address, from the config
 * alone (not the session's recipient count or earlier cover choices). */
struct intake_verdict {
	enum intake_faxaddr_result addr;
	struct intake_faxaddr fa;
	const struct config_pattern *deny;       /* points into the config */
	const struct config_dial_peer *mmoip;    /* incoming called-number */
	const struct config_dial_peer *voip;     /* destination-pattern */
	int code;                                /* 250, 550, 553 */
	char status[8];                          /* RFC 3463 */
	char text[640];
};
/* 0 when accepted (250), else -1; v says why either way. */
int intake_rcpt_judge(const struct config *cfg, const char *to, struct intake_verdict *v);

#endif
