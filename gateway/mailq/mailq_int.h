/*
 * gateway/mailq/mailq_int.h: private to gateway/mailq/ (the queue, its
 * Maildir delivery, the job's records and the operator's operations). The
 * queue and its jobs are defined here so that each file of the module
 * works on the same in-memory jobs; nothing outside gateway/mailq/ sees them.
 */
#ifndef T37_MAILQ_INT_H
#define T37_MAILQ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <time.h>

#include <openssl/ssl.h>

#include "gateway/mailq/mailq.h"
#include "smtp/smtp.h"
#include "util/log.h"

struct cdr;
struct config;
struct event;
struct evdns_base;
struct offload;
struct spool;

#define MAILQ_MAILDIR_NAME_MAX 256
#define MAILQ_REASON_MAX (SMTP_CLIENT_REPLY_MAX + 64)  /* reason kept in the state file */
#define MAILQ_FILE_STATE    "state"

enum qjob_phase { QP_DELIVER = 0, QP_BOUNCE };

/* One attempt at one server, as its log line gave it. Strings owned. */
struct mailq_hist {
	time_t at;
	char *relay;                    /* host[ip]:port, maildir[DIR], none */
	char *status;                   /* sent, deferred, bounced */
	char *dsn;                      /* x.y.z */
	char *text;                     /* the reply or the reason, cleaned */
};

struct qjob {
	TAILQ_ENTRY(qjob) all;          /* q->jobs */
	TAILQ_ENTRY(qjob) ready;        /* q->ready, when on it */
	struct mailq *q;
	char id[SPOOL_ID_LEN + 1];
	struct event *timer;            /* owned: the next attempt */
	bool on_ready, active;
	bool held;                      /* the operator's hold: no new attempts */
	enum qjob_phase phase;
	unsigned attempts, delay;
	time_t created, since, next;
	size_t server;                  /* index tried in the current attempt */
	struct smtp_client *client;     /* owned while active */
	struct qjob_token *token;       /* owned while active */
	char from[MAILQ_ADDR_MAX], rcpt[MAILQ_ADDR_MAX];
	unsigned notify;                /* SMTP_NOTIFY_* bits to ask for */
	char call[64];
	bool ret_hdrs, dsn;
	char reason[MAILQ_REASON_MAX];  /* the last failure */
	char last_dsn[16];              /* the last attempt's status, for the record */
	char last_reply[LOG_ESC_MAX + 8];       /* and its reply, cleaned */
	struct mailq_hist hist[MAILQ_HISTORY_MAX];      /* oldest first; owned */
	unsigned n_hist;
};

/* What slow work gets back to us: the job by id, never by pointer (it may
 * be gone when the answer comes). */
struct qjob_token {
	struct mailq *q;
	char id[SPOOL_ID_LEN + 1];
};

struct mailq {
	struct event_base *base;        /* borrowed */
	struct spool *sp;               /* borrowed */
	struct evdns_base *dns;         /* owned */
	const struct config *cfg;       /* held */
	SSL_CTX *tls_ctx;               /* owned; built for cfg */
	bool have_timeouts, stopping, started;
	struct smtp_client_timeouts timeouts;
	TAILQ_HEAD(, qjob) jobs;
	TAILQ_HEAD(, qjob) ready;
	unsigned n_jobs, active;
	struct event *pump_ev;          /* owned: starts ready jobs from the loop */
	/* Removals of delivered jobs and Maildir copies: their fsyncs would
	 * stall every session on the loop. */
	struct offload *off;            /* owned */
	struct cdr *cdr;                /* borrowed: job records; NULL none */
};

/* ---- mailq.c: the scheduler ---- */

/* The job id of the queue in memory, or NULL. */
struct qjob *mailq_job_find(struct mailq *q, const char *id);
/* Puts j on the ready list (when <= now) or arms its timer; a held job is
 * left alone. */
void mailq_job_schedule(struct qjob *j, time_t when);
/* Drops the in-memory job (the spool is handled by the caller). */
void mailq_job_forget(struct qjob *j);
/* Writes the job record of j with result (sent, bounced, failed, deleted). */
void mailq_job_record(struct qjob *j, const char *result);

/* ---- state.c: the job's records ---- */

/*
 * Reads envelope and state of job id in spool queue `queue` into a new
 * qjob (no timer, not on any list; caller frees with mailq_job_free()).
 * A missing state file is a job never tried. NULL with a message in err.
 */
struct qjob *mailq_job_read(struct mailq *q, const char *queue, const char *id,
    char *err, size_t errlen);
/* Frees j and all it owns (cancels its SMTP client). Accepts NULL. */
void mailq_job_free(struct qjob *j);
/* Writes j's state (phase, attempts, timers, reason, hold, history) into
 * spool queue `queue`. 0, or -1 (logged). */
int mailq_job_store(struct qjob *j, const char *queue);
/* Appends one attempt to j's history, dropping the oldest beyond
 * MAILQ_HISTORY_MAX (in memory; the next store persists it). */
void mailq_job_history_add(struct qjob *j, time_t at, const char *relay,
    const char *status, const char *dsn, const char *text);

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
	const char *result;             /* sent, bounced, failed, deleted */
	const char *action;             /* RFC 3464: relayed, delivered, failed */
	const char *status;             /* the final reply's status, NULL none */
	const char *diag;               /* the final reply or the failure */
};

/* Writes the job record of e (record.c). c NULL: nothing. */
void mailq_record(struct cdr *c, const struct mailq_ended *e);

#endif
