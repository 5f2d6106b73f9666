/*
 * gateway/mailq: scheduling and delivery of mail jobs (see mailq.h for
 * the job layout and the rules). One in-memory struct qjob per spool job;
 * its phase is deliver or bounce, its attempt walks the server list. The
 * spool is the truth: every decision that must survive a crash (a
 * deferral, the switch to bounce) is written with spool_rec_store() or
 * spool_replace() before it is acted on.
 *
 * Not here: building messages (mime/), the SMTP dialogue (smtp/client),
 * the durability of files (gateway/spool).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <openssl/ssl.h>

#include "config/config.h"
#include "gateway/mailq/mailq.h"
#include "gateway/mailq/mailq_int.h"
#include "gateway/mailq/mailq_test.h"
#include "gateway/metrics/metrics.h"
#include "mime/mime.h"
#include "smtp/smtp.h"
#include "util/log.h"
#include "util/offload.h"

#define MAILQ_BOUNCE_MAX (64u * 1024 * 1024)

/* A delivered job's removal from the spool, off the loop. */
struct qrm {
	struct spool *sp;               /* borrowed */
	char id[SPOOL_ID_LEN + 1];
};

/* A Maildir delivery, off the loop. */
struct qmaildir {
	struct qjob_token tok;
	struct spool *sp;               /* borrowed */
	char name[16];                  /* "message" or "bounce" */
	char dir[2 * CONFIG_PATH_MAX];
	char host[CONFIG_STR_MAX];
	int rc;                         /* out */
	char err[256];                  /* out */
};

static struct qjob *qjob_load(struct mailq *q, const char *id);
static void qjob_timer_cb(evutil_socket_t fd, short what, void *arg);
static void mailq_pump_cb(evutil_socket_t fd, short what, void *arg);
static void mailq_pump(struct mailq *q);
static void qjob_attempt(struct qjob *j);
static void qjob_try_server(struct qjob *j);
static void qjob_smtp_done(const struct smtp_client_result *res, void *arg);
static void qjob_delivered(struct qjob *j);
static void qjob_defer(struct qjob *j);
static void qjob_to_bounce(struct qjob *j, const char *reason);
static void qjob_to_failed(struct qjob *j, const char *reason);
static int qjob_scan_cb(const char *id, void *arg);
static void mailq_log_attempt(struct qjob *j, const char *relay, const char *ip,
    unsigned port, const char *status, const char *dsn, const char *text,
    const char *layer);
static void mailq_log_attempt_local(struct qjob *j, const char *relay, const char *status,
    const char *dsn, const char *text);
static void mailq_clean(const char *in, char *out, size_t size);
static int mailq_tls_refresh(struct mailq *q, char *err, size_t errlen);
static void mailq_remove_work(void *arg);
static void mailq_remove_later(struct mailq *q, const char *id);
static void qjob_maildir(struct qjob *j);
static void qjob_maildir_work(void *arg);
static void qjob_maildir_done(void *arg);

/* ---- life cycle -------------------------------------------------------- */

struct mailq *
mailq_new(struct event_base *base, struct spool *sp, char *err, size_t errlen)
{
	struct mailq *q = calloc(1, sizeof(*q));

	if (q == NULL) {
		snprintf(err, errlen, "mailq: out of memory");
		return NULL;
	}
	q->base = base;
	q->sp = sp;
	TAILQ_INIT(&q->jobs);
	TAILQ_INIT(&q->ready);
	q->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (q->dns == NULL)     /* no resolv.conf: /etc/hosts and numeric only */
		q->dns = evdns_base_new(base, EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	q->pump_ev = event_new(base, -1, 0, mailq_pump_cb, q);
	if (q->dns == NULL || q->pump_ev == NULL) {
		snprintf(err, errlen, "mailq: cannot set up the resolver");
		mailq_free(q);
		return NULL;
	}
	evdns_base_load_hosts(q->dns, NULL);
	if ((q->off = offload_new(base, "mailq", 1, err, errlen)) == NULL) {
		mailq_free(q);
		return NULL;
	}
	return q;
}

/* On a pool thread. */
static void
mailq_remove_work(void *arg)
{
	struct qrm *r = arg;

	if (spool_remove(r->sp, SPOOL_Q_MAIL, r->id) != 0)
		log_warn("job=%s delivered but cannot be removed from the "
		    "spool (it may be sent again after a restart)", r->id);
}

/*
 * After a 250 the job only has to go. A crash before the removal is
 * durable sends the message again after the restart (at least once, as
 * with any MTA); never zero times.
 */
static void
mailq_remove_later(struct mailq *q, const char *id)
{
	struct qrm *r = calloc(1, sizeof(*r));

	if (r != NULL) {
		r->sp = q->sp;
		snprintf(r->id, sizeof(r->id), "%s", id);
	}
	if (r == NULL || offload_run(q->off, mailq_remove_work, free, r) == -1) {
		/* no memory to do it later: now, on the loop */
		if (spool_remove(q->sp, SPOOL_Q_MAIL, id) != 0)
			log_warn("job=%s delivered but cannot be removed from the "
			    "spool (it may be sent again after a restart)", id);
		free(r);
	}
}

void
mailq_free(struct mailq *q)
{
	struct qjob *j;

	if (q == NULL)
		return;
	/* Completions find their jobs by id: they run before the jobs go. */
	offload_free(q->off);
	while ((j = TAILQ_FIRST(&q->jobs)) != NULL)
		mailq_job_forget(j);
	if (q->pump_ev)
		event_free(q->pump_ev);
	if (q->dns)
		evdns_base_free(q->dns, 0);
	if (q->tls_ctx)
		SSL_CTX_free(q->tls_ctx);
	config_free(q->cfg);
	free(q);
}

void
mailq_set_config(struct mailq *q, const struct config *cfg)
{
	char err[256];

	if (cfg != NULL)
		config_hold(cfg);
	config_free(q->cfg);
	q->cfg = cfg;
	if (mailq_tls_refresh(q, err, sizeof(err)) != 0)
		log_warnx("mailq: %s; TLS stays off until the next reload", err);
}

void
mailq_set_timeouts(struct mailq *q, const struct smtp_client_timeouts *t)
{
	q->have_timeouts = t != NULL;
	if (t)
		q->timeouts = *t;
}

/* A client SSL_CTX for the config's `mta send tls`; clients take their
 * own reference, so the old one may go now. */
static int
mailq_tls_refresh(struct mailq *q, char *err, size_t errlen)
{
	SSL_CTX *ctx = NULL;

	if (q->cfg != NULL && q->cfg->mta_send.tls != CONFIG_TLS_OFF) {
		ctx = smtp_client_tls_ctx_new(q->cfg->mta_send.tls_verify,
		    q->cfg->mta_send.tls_ca, err, errlen);
		if (ctx == NULL)
			return -1;
	}
	if (q->tls_ctx)
		SSL_CTX_free(q->tls_ctx);
	q->tls_ctx = ctx;
	return 0;
}

static int
qjob_scan_cb(const char *id, void *arg)
{
	struct mailq *q = arg;

	mailq_add(q, id);       /* a bad job is logged and left alone */
	return 0;
}

int
mailq_start(struct mailq *q, char *err, size_t errlen)
{
	if (q->cfg == NULL) {
		snprintf(err, errlen, "mailq: no config");
		return -1;
	}
	q->started = true;
	if (spool_scan(q->sp, SPOOL_Q_MAIL, qjob_scan_cb, q) < 0) {
		snprintf(err, errlen, "mailq: cannot scan the spool: %s",
		    strerror(errno));
		return -1;
	}
	if (q->n_jobs > 0)
		log_info("queue=%s event=resume jobs=%u", SPOOL_Q_MAIL, q->n_jobs);
	return 0;
}

void
mailq_stop(struct mailq *q)
{
	q->stopping = true;
}

unsigned
mailq_inflight(const struct mailq *q)
{
	return q->active + offload_pending(q->off);
}

unsigned
mailq_jobs(const struct mailq *q)
{
	return q->n_jobs;
}

time_t
mailq_oldest(const struct mailq *q)
{
	const struct qjob *j;
	time_t oldest = 0;

	TAILQ_FOREACH(j, &q->jobs, all)
		if (j->created > 0 && (oldest == 0 || j->created < oldest))
			oldest = j->created;
	return oldest;
}

unsigned
mailq_backoff(unsigned retry, unsigned attempts)
{
	unsigned cap = retry > MAILQ_RETRY_CAP ? retry : MAILQ_RETRY_CAP;
	unsigned d = retry ? retry : 1;

	while (attempts > 1 && d < cap) {
		d *= 2;
		attempts--;
	}
	return d < cap ? d : cap;
}

/* ---- jobs -------------------------------------------------------------- */

struct qjob *
mailq_job_find(struct mailq *q, const char *id)
{
	struct qjob *j;

	TAILQ_FOREACH(j, &q->jobs, all)
		if (strcmp(j->id, id) == 0)
			return j;
	return NULL;
}

/* Reads envelope and state of a committed job. */
static struct qjob *
qjob_load(struct mailq *q, const char *id)
{
	struct qjob *j;
	char err[256];

	if ((j = mailq_job_read(q, SPOOL_Q_MAIL, id, err, sizeof(err))) == NULL) {
		log_warnx("job=%s queue=%s %s", id, SPOOL_Q_MAIL, err);
		return NULL;
	}
	if ((j->timer = evtimer_new(q->base, qjob_timer_cb, j)) == NULL) {
		mailq_job_free(j);
		return NULL;
	}
	return j;
}

/* Drops the in-memory job (the spool is handled by the caller). */
void
mailq_job_forget(struct qjob *j)
{
	struct mailq *q = j->q;

	if (j->on_ready)
		TAILQ_REMOVE(&q->ready, j, ready);
	if (j->active)
		q->active--;
	TAILQ_REMOVE(&q->jobs, j, all);
	q->n_jobs--;
	mailq_job_free(j);
}

int
mailq_add(struct mailq *q, const char *id)
{
	struct qjob *j;

	if (mailq_job_find(q, id) != NULL)
		return 0;
	if ((j = qjob_load(q, id)) == NULL)
		return -1;
	TAILQ_INSERT_TAIL(&q->jobs, j, all);
	q->n_jobs++;
	mailq_job_schedule(j, j->next);
	return 0;
}

void
mailq_job_schedule(struct qjob *j, time_t when)
{
	time_t now = time(NULL);
	struct timeval tv;

	if (j->held)            /* the operator's release schedules it */
		return;
	if (when <= now) {
		if (!j->on_ready) {
			TAILQ_INSERT_TAIL(&j->q->ready, j, ready);
			j->on_ready = true;
		}
		event_active(j->q->pump_ev, 0, 0);
		return;
	}
	tv.tv_sec = when - now;
	tv.tv_usec = 0;
	evtimer_add(j->timer, &tv);
}

static void
qjob_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct qjob *j = arg;

	(void)fd;
	(void)what;
	mailq_job_schedule(j, 0);
}

static void
mailq_pump_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	mailq_pump(arg);
}

static void
mailq_pump(struct mailq *q)
{
	struct qjob *j;

	while (!q->stopping && q->cfg != NULL && q->active < MAILQ_CONCURRENCY &&
	    (j = TAILQ_FIRST(&q->ready)) != NULL) {
		TAILQ_REMOVE(&q->ready, j, ready);
		j->on_ready = false;
		j->active = true;
		q->active++;
		qjob_attempt(j);
	}
}

/* ---- attempts ---------------------------------------------------------- */

static void
qjob_attempt(struct qjob *j)
{
	const struct config *cfg = j->q->cfg;

	j->attempts++;
	j->server = 0;
	if (cfg->mta_send.maildir[0] != '\0') {
		qjob_maildir(j);
		return;
	}
	if (cfg->mta_send.n_servers == 0) {
		snprintf(j->reason, sizeof(j->reason), "no mta send server configured");
		mailq_log_attempt_local(j, "none", "deferred", "4.3.5", j->reason);
		qjob_defer(j);
		return;
	}
	qjob_try_server(j);
}

/* `mta send maildir`: the copy and its fsyncs run off the loop. */
static void
qjob_maildir(struct qjob *j)
{
	const struct config *cfg = j->q->cfg;
	struct qmaildir *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(j->reason, sizeof(j->reason), "out of memory");
		mailq_log_attempt_local(j, "maildir", "deferred", "4.3.0", j->reason);
		qjob_defer(j);
		return;
	}
	m->tok.q = j->q;
	snprintf(m->tok.id, sizeof(m->tok.id), "%s", j->id);
	m->sp = j->q->sp;
	snprintf(m->name, sizeof(m->name), "%s", j->phase == QP_BOUNCE ? "bounce" :
	    MAILQ_FILE_MESSAGE);
	/* A relative maildir is under the spool root. */
	if (cfg->mta_send.maildir[0] == '/')
		snprintf(m->dir, sizeof(m->dir), "%s", cfg->mta_send.maildir);
	else
		snprintf(m->dir, sizeof(m->dir), "%s/%s", spool_root(j->q->sp),
		    cfg->mta_send.maildir);
	snprintf(m->host, sizeof(m->host), "%s", cfg->hostname);
	if (offload_run(j->q->off, qjob_maildir_work, qjob_maildir_done, m) == -1) {
		free(m);
		snprintf(j->reason, sizeof(j->reason), "out of memory");
		mailq_log_attempt_local(j, "maildir", "deferred", "4.3.0", j->reason);
		qjob_defer(j);
	}
}

/* On a pool thread. */
static void
qjob_maildir_work(void *arg)
{
	struct qmaildir *m = arg;

	m->rc = mailq_maildir_deliver(m->sp, SPOOL_Q_MAIL, m->tok.id, m->name, m->dir,
	    m->host, m->err, sizeof(m->err));
}

static void
qjob_maildir_done(void *arg)
{
	struct qmaildir *m = arg;
	struct qjob *j = mailq_job_find(m->tok.q, m->tok.id);
	char relay[sizeof(m->dir) + 16];

	if (j == NULL) {
		log_warnx("job=%s maildir result for a vanished job dropped", m->tok.id);
		free(m);
		return;
	}
	snprintf(relay, sizeof(relay), "maildir[%s]", m->dir);
	if (m->rc == 0) {
		mailq_log_attempt_local(j, relay, "sent", "2.0.0", "delivered to maildir");
		qjob_delivered(j);
	} else {
		mailq_log_attempt_local(j, relay, "deferred", "4.3.0", m->err);
		snprintf(j->reason, sizeof(j->reason), "%s", m->err);
		qjob_defer(j);
	}
	free(m);
}

static void
qjob_try_server(struct qjob *j)
{
	struct mailq *q = j->q;
	const struct config *cfg = q->cfg;
	struct smtp_client_opts o;
	struct smtp_client_msg m;
	char path[1024];
	int fd;

	memset(&o, 0, sizeof(o));
	memset(&m, 0, sizeof(m));
	o.helo_name = cfg->hostname;
	o.tls = q->tls_ctx == NULL ? SMTP_TLS_OFF
	    : cfg->mta_send.tls == CONFIG_TLS_REQUIRED ? SMTP_TLS_REQUIRED
	    : SMTP_TLS_OPPORTUNISTIC;
	if (cfg->mta_send.tls == CONFIG_TLS_REQUIRED && q->tls_ctx == NULL)
		o.tls = SMTP_TLS_REQUIRED;      /* fails: never in clear */
	o.tls_ctx = q->tls_ctx;
	o.tls_server_name = cfg->mta_send.servers[j->server].host;
	o.tls_verify = cfg->mta_send.tls_verify;
	if (cfg->mta_send.auth_user[0] != '\0') {
		o.auth_user = cfg->mta_send.auth_user;
		o.auth_pass = cfg->mta_send.auth_password;
		o.auth_plaintext_ok = cfg->mta_send.auth_allow_plaintext;
	}
	if (q->have_timeouts)
		o.timeouts = q->timeouts;

	if (j->phase == QP_BOUNCE) {
		m.mail_from = "";               /* never bounce a bounce */
		m.rcpt = cfg->mta_send.postmaster;
	} else {
		m.mail_from = j->from;
		m.rcpt = j->rcpt;
		if (j->dsn) {
			m.envid = j->id;        /* RFC 3249 4.3: correlate by job */
			m.notify = j->notify;
			m.ret_hdrs = j->ret_hdrs;
		}
	}
	if (spool_path(q->sp, SPOOL_Q_MAIL, j->id,
	    j->phase == QP_BOUNCE ? "bounce" : MAILQ_FILE_MESSAGE, path, sizeof(path)) != 0 ||
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(j->reason, sizeof(j->reason), "cannot open the message: %s",
		    strerror(errno));
		mailq_log_attempt_local(j, "none", "deferred", "4.3.0", j->reason);
		qjob_defer(j);
		return;
	}
	m.fd = fd;
	if ((j->token = calloc(1, sizeof(*j->token))) != NULL) {
		j->token->q = q;
		snprintf(j->token->id, sizeof(j->token->id), "%s", j->id);
		j->client = smtp_client_connect(q->base, q->dns,
		    cfg->mta_send.servers[j->server].host,
		    cfg->mta_send.servers[j->server].port, &o, &m,
		    qjob_smtp_done, j->token);
	}
	close(fd);
	if (j->client == NULL) {
		free(j->token);
		j->token = NULL;
		snprintf(j->reason, sizeof(j->reason), "cannot start an SMTP session");
		mailq_log_attempt(j, cfg->mta_send.servers[j->server].host, NULL,
		    cfg->mta_send.servers[j->server].port, "deferred", "4.3.0", j->reason, NULL);
		qjob_defer(j);
	}
}

static void
qjob_smtp_done(const struct smtp_client_result *res, void *arg)
{
	struct qjob_token *tok = arg;
	struct mailq *q = tok->q;
	struct qjob *j = mailq_job_find(q, tok->id);
	const struct config *cfg = q->cfg;
	const char *host;
	unsigned port;

	if (j == NULL || j->token != tok) {
		log_warnx("job=%s delivery result for a vanished job dropped", tok->id);
		return;
	}
	free(j->token);
	j->token = NULL;
	j->client = NULL;               /* frees itself after this returns */
	host = j->server < cfg->mta_send.n_servers
	    ? cfg->mta_send.servers[j->server].host : "?";
	port = j->server < cfg->mta_send.n_servers
	    ? cfg->mta_send.servers[j->server].port : 0;
	switch (res->status) {
	case SMTP_CLIENT_SENT:
		mailq_log_attempt(j, host, res->peer_ip, port, "sent", res->dsn, res->reply, NULL);
		qjob_delivered(j);
		return;
	case SMTP_CLIENT_PERMFAIL:
		mailq_log_attempt(j, host, res->peer_ip, port, "bounced", res->dsn, res->reply,
		    smtp_client_layer_name(res->layer));
		if (j->phase == QP_BOUNCE)
			qjob_to_failed(j, res->reply);
		else
			qjob_to_bounce(j, res->reply);
		return;
	case SMTP_CLIENT_TEMPFAIL:
		mailq_log_attempt(j, host, res->peer_ip, port, "deferred", res->dsn, res->reply,
		    smtp_client_layer_name(res->layer));
		snprintf(j->reason, sizeof(j->reason), "%s", res->reply);
		if (++j->server < cfg->mta_send.n_servers && !q->stopping) {
			qjob_try_server(j);     /* next server, same attempt */
			return;
		}
		qjob_defer(j);
		return;
	}
}

/* ---- outcomes ---------------------------------------------------------- */

static void
qjob_end_attempt(struct qjob *j)
{
	struct mailq *q = j->q;

	if (j->active) {
		j->active = false;
		q->active--;
	}
	event_active(q->pump_ev, 0, 0);
}

/* 250 or Maildir commit: the job and its TIFF go. */
static void
qjob_delivered(struct qjob *j)
{
	struct mailq *q = j->q;

	qjob_end_attempt(j);
	mailq_job_record(j, j->phase == QP_BOUNCE ? "bounced" : "sent");
	mailq_remove_later(q, j->id);
	mailq_job_forget(j);
}

/* The job ended: its record (the postmaster has a bounced one). */
void
mailq_job_record(struct qjob *j, const char *result)
{
	struct mailq_ended e;
	bool sent = strcmp(result, "sent") == 0;

	memset(&e, 0, sizeof(e));
	e.id = j->id;
	e.from = j->from;
	e.rcpt = j->rcpt;
	e.ref = j->call;
	e.created = j->created;
	e.attempts = j->attempts;
	e.result = result;
	e.action = !sent ? "failed" : j->q->cfg->mta_send.maildir[0] != '\0' ? "delivered" :
	    "relayed";
	e.status = sent ? j->last_dsn : NULL;
	e.diag = sent ? j->last_reply : j->reason;
	mailq_record(j->q->cdr, &e);
}

void
mailq_set_cdr(struct mailq *q, struct cdr *c)
{
	q->cdr = c;
}

/* Every server failed temporarily: retry later, or give up. */
static void
qjob_defer(struct qjob *j)
{
	const struct config *cfg = j->q->cfg;
	time_t now = time(NULL);
	char why[MAILQ_REASON_MAX + 64];

	qjob_end_attempt(j);
	if (now - j->since >= (time_t)cfg->mta_send.give_up) {
		snprintf(why, sizeof(why), "gave up after %lld s: %s",
		    (long long)(now - j->since), j->reason);
		if (j->phase == QP_BOUNCE)
			qjob_to_failed(j, why);
		else
			qjob_to_bounce(j, why);
		return;
	}
	j->delay = mailq_backoff(cfg->mta_send.retry, j->attempts);
	j->next = now + j->delay;
	mailq_job_store(j, SPOOL_Q_MAIL);
	log_info("job=%s to=<%s> status=deferred attempt=%u next_try=+%us (%s)",
	    j->id, j->phase == QP_BOUNCE ? cfg->mta_send.postmaster : j->rcpt,
	    j->attempts, j->delay, j->reason);
	if (!j->q->stopping)
		mailq_job_schedule(j, j->next);
}

/* 5xx or give-up: the fax goes to the postmaster, wrapped with the reason. */
static void
qjob_to_bounce(struct qjob *j, const char *reason)
{
	struct mailq *q = j->q;
	const struct config *cfg = q->cfg;
	struct mime_onramp_bounce b;
	char msgpath[1024], err[MIME_ONRAMP_ERR_MAX];
	char *buf = NULL;
	size_t len = 0;
	long n;
	int fd;

	qjob_end_attempt(j);
	memset(&b, 0, sizeof(b));
	b.hostname = cfg->hostname;
	b.job_id = j->id;
	b.postmaster = cfg->mta_send.postmaster;
	b.rcpt = j->rcpt;
	b.reason = reason;
	b.when = time(NULL);
	if (spool_path(q->sp, SPOOL_Q_MAIL, j->id, MAILQ_FILE_MESSAGE, msgpath, sizeof(msgpath)) != 0) {
		qjob_to_failed(j, "bad job path");
		return;
	}
	b.msg_path = msgpath;
	/* Built in memory, then written atomically into the job. */
	fd = memfd_create("t37-bounce", MFD_CLOEXEC);
	n = fd < 0 ? -1 : mime_onramp_bounce_write(&b, fd, err, sizeof(err));
	if (n > 0 && (size_t)n <= MAILQ_BOUNCE_MAX && (buf = malloc((size_t)n)) != NULL &&
	    pread(fd, buf, (size_t)n, 0) == n)
		len = (size_t)n;
	if (fd >= 0)
		close(fd);
	if (len == 0 || spool_replace(q->sp, SPOOL_Q_MAIL, j->id, "bounce", buf, len) != 0) {
		free(buf);
		qjob_to_failed(j, n < 0 ? err : "cannot write the postmaster notice");
		return;
	}
	free(buf);
	log_info("job=%s to=<%s> status=bounced postmaster=<%s> (%s)", j->id,
	    j->rcpt, cfg->mta_send.postmaster, reason);
	j->phase = QP_BOUNCE;
	j->attempts = 0;
	j->delay = 0;
	j->since = time(NULL);
	j->next = 0;
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
	mailq_job_store(j, SPOOL_Q_MAIL);
	if (!q->stopping)
		mailq_job_schedule(j, 0);
}

/* Even the postmaster cannot be reached: keep the job for the operator. */
static void
qjob_to_failed(struct qjob *j, const char *reason)
{
	struct mailq *q = j->q;

	qjob_end_attempt(j);
	metrics_delivery("failed");
	log_err("job=%s to=<%s> status=failed postmaster unreachable (%s); "
	    "kept in %s/%s/%s", j->id, j->rcpt, reason, spool_root(q->sp),
	    SPOOL_Q_FAILED, j->id);
	if (reason != j->reason)
		snprintf(j->reason, sizeof(j->reason), "%s", reason);
	mailq_job_record(j, "failed");
	j->next = 0;
	mailq_job_store(j, SPOOL_Q_MAIL);       /* the last error and history, for show */
	if (spool_move(q->sp, SPOOL_Q_MAIL, j->id, SPOOL_Q_FAILED) != 0)
		log_warn("job=%s cannot move to %s; it stays queued", j->id,
		    SPOOL_Q_FAILED);
	mailq_job_forget(j);
}

/* ---- logging ----------------------------------------------------------- */

/* Peer text for a log line: printable ASCII only, bounded. */
static void
mailq_clean(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (; in && *in && o + 4 < size && o < LOG_ESC_MAX; in++) {
		unsigned char c = (unsigned char)*in;
		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (in && *in && o + 4 <= size) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

/*
 * One line per attempt and server. relay is host[address]:port for the
 * address the attempt concerned (also when it refused or timed out), or
 * host:port when the name gave no address; failed= names the layer of a
 * failure (dns, tcp, tls, smtp).
 */
static void
mailq_log_attempt(struct qjob *j, const char *relay, const char *ip,
    unsigned port, const char *status, const char *dsn, const char *text,
    const char *layer)
{
	const struct config *cfg = j->q->cfg;
	char clean[LOG_ESC_MAX + 8], where[512], failed[32] = "";
	const char *to = j->phase == QP_BOUNCE ? cfg->mta_send.postmaster : j->rcpt;

	mailq_clean(text, clean, sizeof(clean));
	if (port && ip && *ip)
		snprintf(where, sizeof(where), "%s[%s]:%u", relay, ip, port);
	else if (port)
		snprintf(where, sizeof(where), "%s:%u", relay, port);
	else
		snprintf(where, sizeof(where), "%s", relay);
	if (layer != NULL)
		snprintf(failed, sizeof(failed), " failed=%s", layer);
	snprintf(j->last_dsn, sizeof(j->last_dsn), "%s", dsn && *dsn ? dsn : "4.0.0");
	snprintf(j->last_reply, sizeof(j->last_reply), "%s", clean);
	mailq_job_history_add(j, time(NULL), where, status, j->last_dsn, clean);
	metrics_delivery(status);
	log_info("job=%s to=<%s> relay=%s%s delay=%lld attempt=%u%s status=%s dsn=%s (%s)",
	    j->id, to, where, failed, (long long)(time(NULL) - j->created), j->attempts,
	    j->phase == QP_BOUNCE ? " notice=postmaster" : "", status,
	    dsn && *dsn ? dsn : "4.0.0", clean);
}

/* An attempt decided here, without a server (maildir, nothing configured). */
static void
mailq_log_attempt_local(struct qjob *j, const char *relay, const char *status,
    const char *dsn, const char *text)
{
	mailq_log_attempt(j, relay, NULL, 0, status, dsn, text, NULL);
}
