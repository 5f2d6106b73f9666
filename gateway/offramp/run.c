/*
 * gateway/offramp/run: the offramp on the mail thread. One job per
 * accepted message (spool queue "offramp", written by the intake):
 *
 *   load (env + state) -> prepare the document in a worker process
 *     (prep.c) -> per recipient: first in its number's arrival
 *     order, admit, persist DIALING, dial -> result -> ladder -> persist
 *     -> reports (DSN, MDN) into the mail queue -> done: remove
 *
 * The job's progress is the "state" file of the spool job, rewritten with
 * spool_replace() before every call and after every result, so a restart
 * resumes every job: recipients done are not called again, a call that
 * was in progress is placed again (at-least-once: the remote machine may
 * get the pages twice; a lost notification is worse than a repeated one).
 * Reports are queued before the state that marks them sent is written,
 * for the same reason.
 *
 * Slow work refers back by id, never by pointer: a call carries a call
 * number mapped to (job id, recipient); a finished preparation carries the
 * job id. Results for vanished jobs are logged and dropped.
 *
 * Jobs to one number go out in arrival order (order.c): a
 * recipient calls only when no earlier job still owes its number a fax,
 * whatever made that one late (a slow document, a busy line waiting for
 * its retry, a restart); when it becomes final the next job is woken.
 *
 * Not here: SMTP (intake, mail queue), SIP (the line thread), preparing
 * the document (prep.c), the ladder (retry.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <glib.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/intake/intake.h"
#include "gateway/mailq/mailq.h"
#include "gateway/offramp/run_int.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "sip/sip.h"
#include "util/log.h"

#define OFFRAMP_ADMIT_RETRY 5     /* seconds: a call was not admitted yet */

/* A call in progress: what its SIP events refer to. */
struct ocall {
	uint64_t call_no;
	char id[SPOOL_ID_LEN + 1];
	size_t rcpt;
	char number[SIP_NUMBER_MAX];
	char trunk[SIP_NAME_MAX];
	unsigned peer;
};

static struct ojob *ojob_load(struct offramp *o, const char *id);
static void ojob_free(gpointer p);
static int ojob_dial(struct ojob *j, size_t i, time_t now);
static void ojob_forward_postmaster(struct ojob *j);
static void order_add_job(struct ojob *j);
static void order_sync(struct ojob *j, int all);
static void runner_fonts(void);
static int report_queue(struct offramp *o, const char *from, const char *to,
    const char *buf, size_t len, const char *ref);
static void ojob_timer_cb(evutil_socket_t fd, short what, void *arg);
static void scan_cb(evutil_socket_t fd, short what, void *arg);
static int scan_one(const char *id, void *arg);
static uint64_t *u64_key(uint64_t v);
static void history_add(struct ojob *j, size_t i, const struct sip_event *ev,
    const char *diag);

struct offramp *
offramp_new(struct event_base *base, struct spool *sp, struct mailq *q,
    const struct config *cfg, offramp_dial_fn *dial, void *dial_arg,
    char *err, size_t errlen)
{
	struct offramp *o = g_new0(struct offramp, 1);
	struct timeval tv = { OFFRAMP_RESCAN, 0 };

	o->base = base;
	o->sp = sp;
	o->q = q;
	o->cfg = config_hold(cfg);
	o->dial = dial;
	o->dial_arg = dial_arg;
	o->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, ojob_free);
	o->calls = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
	o->admit = offramp_calls_new();
	o->order = offramp_order_new();
	o->next_call_no = 1;
	g_queue_init(&o->pending);
	if (offramp_prep_exe(o->exe, sizeof(o->exe), err, errlen) != 0) {
		offramp_free(o);
		return NULL;
	}
	o->scan_ev = event_new(base, -1, EV_PERSIST, scan_cb, o);
	if (o->scan_ev == NULL || event_add(o->scan_ev, &tv) != 0) {
		snprintf(err, errlen, "offramp: cannot create events");
		offramp_free(o);
		return NULL;
	}
	runner_fonts();
	return o;
}

/* The fonts load once, at start-up rather than in the first render, and
 * the log says when text will print as boxes. */
static void
runner_fonts(void)
{
	char ferr[LOG_ESC_BUFSZ], names[LOG_ESC_BUFSZ], esc[LOG_ESC_BUFSZ];
	int n = fax_text_init(ferr, sizeof(ferr));

	if (n < 0) {
		log_warnx("event=fonts result=failed error=%s",
		    log_str(esc, sizeof(esc), ferr));
		return;
	}
	if (fax_text_fonts_missing(names, sizeof(names)) > 0)
		log_warnx("event=fonts fonts=%d missing=%s warning=\"characters "
		    "these fonts cover may print as boxes\"", n,
		    log_str(esc, sizeof(esc), names));
	else
		log_info("event=fonts fonts=%d", n);
}

/* "fax send hold": jobs are loaded and kept, never rendered nor dialed. */
int
offramp_run_held(const struct offramp *o)
{
	return o->cfg->fax_send.hold;
}

static void
log_hold(const struct offramp *o)
{
	log_info("offramp event=hold jobs=%u (fax send hold: mail is accepted and "
	    "spooled, no call is placed)", g_hash_table_size(o->jobs));
}

void
offramp_set_config(struct offramp *o, const struct config *cfg)
{
	int was_held = offramp_run_held(o);
	GList *ids, *l;

	config_free(o->cfg);
	o->cfg = config_hold(cfg);
	if (offramp_run_held(o)) {
		log_hold(o);
		return;
	}
	if (!was_held || o->stopping)
		return;
	log_info("offramp event=release jobs=%u", g_hash_table_size(o->jobs));
	/* By id: ojob_run() may end (free) a job. */
	ids = g_hash_table_get_keys(o->jobs);
	for (l = ids; l != NULL; l = l->next)
		l->data = g_strdup(l->data);
	for (l = ids; l != NULL; l = l->next) {
		struct ojob *j = g_hash_table_lookup(o->jobs, l->data);

		if (j != NULL && j->phase == OJ_CALLING)
			offramp_run_job(j);
	}
	g_list_free_full(ids, g_free);
	offramp_prep_pump(o);
}

int
offramp_start(struct offramp *o, char *err, size_t errlen)
{
	if (spool_scan(o->sp, SPOOL_Q_OFFRAMP, scan_one, o) < 0 && errno != ENOENT) {
		snprintf(err, errlen, "offramp: cannot scan the spool: %s", strerror(errno));
		return -1;
	}
	if (offramp_run_held(o))
		log_hold(o);
	return 0;
}

void
offramp_add(struct offramp *o, const char *id)
{
	if (!o->stopping && spool_id_valid(id))
		scan_one(id, o);
}

unsigned offramp_jobs(const struct offramp *o) { return g_hash_table_size(o->jobs); }
unsigned offramp_calls(const struct offramp *o) { return g_hash_table_size(o->calls); }

time_t
offramp_oldest(const struct offramp *o)
{
	GHashTableIter it;
	gpointer v;
	time_t oldest = 0;

	g_hash_table_iter_init(&it, o->jobs);
	while (g_hash_table_iter_next(&it, NULL, &v)) {
		const struct ojob *j = v;

		if (j->job != NULL && j->job->received > 0 &&
		    (oldest == 0 || j->job->received < oldest))
			oldest = j->job->received;
	}
	return oldest;
}

void
offramp_free(struct offramp *o)
{
	if (o == NULL)
		return;
	o->stopping = 1;
	/* Workers still preparing are ended now; their jobs are prepared
	 * again at the next start, and a stop is no death of the daemon. */
	if (o->jobs != NULL) {
		GHashTableIter it;
		gpointer v;

		g_hash_table_iter_init(&it, o->jobs);
		while (g_hash_table_iter_next(&it, NULL, &v))
			offramp_prep_cancel(v);
	}
	g_queue_clear_full(&o->pending, g_free);
	if (o->scan_ev)
		event_free(o->scan_ev);
	g_hash_table_destroy(o->jobs);
	g_hash_table_destroy(o->calls);
	offramp_calls_free(o->admit);
	offramp_order_free(o->order);
	config_free(o->cfg);
	g_free(o);
}

/* ---- loading -------------------------------------------------------------- */

static void
scan_cb(evutil_socket_t fd, short what, void *arg)
{
	struct offramp *o = arg;

	(void)fd;
	(void)what;
	spool_scan(o->sp, SPOOL_Q_OFFRAMP, scan_one, o);
}

static int
scan_one(const char *id, void *arg)
{
	struct offramp *o = arg;
	struct ojob *j;
	char keep[SPOOL_ID_LEN + 1];

	if (g_hash_table_contains(o->jobs, id))
		return 0;
	if ((j = ojob_load(o, id)) == NULL) {
		/* Unreadable: set aside for the operator, never dropped. */
		if (spool_move(o->sp, SPOOL_Q_OFFRAMP, id, SPOOL_Q_FAILED) == 0) {
			log_warnx("job=%s moved to the %s queue for the operator", id,
			    SPOOL_Q_FAILED);
			offramp_record_unreadable(o, id);
		} else
			log_warn("job=%s cannot be moved to the %s queue", id,
			    SPOOL_Q_FAILED);
		return 0;
	}
	g_strlcpy(keep, j->id, sizeof(keep));
	g_hash_table_insert(o->jobs, j->id, j);
	order_add_job(j);
	ojob_forward_postmaster(j);
	if (j->quarantine) {
		offramp_prep_quarantine(j);   /* may end it */
		return 0;
	}
	offramp_run_changed(j);   /* reports left over from before a restart; may end it */
	if ((j = g_hash_table_lookup(o->jobs, keep)) != NULL)
		offramp_prep_request(j);
	return 0;
}

static struct ojob *
ojob_load(struct offramp *o, const char *id)
{
	struct spool_rec *env, *state;
	struct ojob *j;
	char err[256];
	size_t i;
	time_t now = time(NULL);
	int recovered = 0;

	env = spool_rec_load(o->sp, SPOOL_Q_OFFRAMP, id, "env", err, sizeof(err));
	if (env == NULL) {
		log_warnx("job=%s queue=%s envelope unreadable: %s", id, SPOOL_Q_OFFRAMP, err);
		return NULL;
	}
	j = g_new0(struct ojob, 1);
	j->o = o;
	g_strlcpy(j->id, id, sizeof(j->id));
	j->job = offramp_job_new();
	for (i = 0; i < spool_rec_count(env); i++) {
		const char *v = spool_rec_value(env, i, NULL);

		if (offramp_job_env(j->job, spool_rec_key(env, i), v, err, sizeof(err)) != 0) {
			log_warnx("job=%s envelope: %s", id, err);
			spool_rec_free(env);
			ojob_free(j);
			return NULL;
		}
	}
	spool_rec_free(env);
	if ((state = spool_rec_load(o->sp, SPOOL_Q_OFFRAMP, id, OFFRAMP_STATE_FILE, err,
	    sizeof(err))) != NULL) {
		if (offramp_job_state_load(j->job, state, err, sizeof(err)) != 0)
			log_warnx("job=%s state=unreadable error=\"%s\"; delivery starts over",
			    id, err);
		spool_rec_free(state);
	} else if (errno != ENOENT) {
		log_warnx("job=%s state=unreadable error=\"%s\"; delivery starts over", id, err);
	}
	for (i = 0; i < j->job->nrcpts; i++) {
		struct offramp_rcpt_retry *r = &j->job->rcpts[i].retry;
		struct offramp_retry_policy p;

		if (r->phase != OFFRAMP_RCPT_DIALING)
			continue;
		offramp_policy_from_config(o->cfg, &p);
		log_info("job=%s rcpt=%zu number=%s event=recover (a call was in progress "
		    "at the restart; it is placed again)", id, i,
		    j->job->rcpts[i].number ? j->job->rcpts[i].number : "");
		offramp_retry_recover(r, &p, offramp_job_since(j->job), now);
		recovered = 1;
	}
	j->timer = evtimer_new(o->base, ojob_timer_cb, j);
	if (j->timer == NULL) {
		ojob_free(j);
		return NULL;
	}
	offramp_prep_load(j);
	if (recovered)
		offramp_run_persist(j);
	log_info("job=%s dir=offramp event=loaded rcpts=%zu", id, j->job->nrcpts);
	return j;
}

static void
ojob_free(gpointer p)
{
	struct ojob *j = p;

	if (j == NULL)
		return;
	if (j->worker != NULL) {
		offramp_worker_free(j->worker);
		j->o->nworkers--;
	}
	order_sync(j, 1);
	if (j->timer != NULL)
		event_free(j->timer);
	offramp_job_free(j->job);
	mime_offramp_free(j->msg);
	g_free(j);
}

/*
 * RFC 5321 4.5.1: mail to the postmaster is not faxed but forwarded to
 * `mta send postmaster` through the mail queue, with the sender kept.
 */
static void
ojob_forward_postmaster(struct ojob *j)
{
	struct offramp *o = j->o;
	size_t i;
	int changed = 0;

	for (i = 0; i < j->job->nrcpts; i++) {
		struct offramp_rcpt *r = &j->job->rcpts[i];
		char *buf = NULL;
		size_t len;

		if (!r->postmaster || r->retry.phase == OFFRAMP_RCPT_DELIVERED)
			continue;
		if (spool_read(o->sp, SPOOL_Q_OFFRAMP, j->id, "msg", &buf, &len) != 0 ||
		    report_queue(o, j->job->from, o->cfg->mta_send.postmaster, buf, len,
		    j->id) != 0) {
			free(buf);
			log_warnx("job=%s cannot forward to the postmaster yet", j->id);
			continue;
		}
		free(buf);
		r->retry.phase = OFFRAMP_RCPT_DELIVERED;
		r->retry.notify = SMTP_NOTIFY_NEVER;
		changed = 1;
	}
	if (changed)
		offramp_run_persist(j);
}

/* ---- send order ----------------------------------------------------------- */

/* Queues the job for every number it still owes a fax. */
static void
order_add_job(struct ojob *j)
{
	size_t i;

	for (i = 0; i < j->job->nrcpts; i++) {
		const struct offramp_rcpt *r = &j->job->rcpts[i];

		if (!r->postmaster && r->number != NULL &&
		    (r->retry.phase == OFFRAMP_RCPT_READY || r->retry.phase == OFFRAMP_RCPT_DIALING))
			offramp_order_add(j->o->order, r->number, j->job->received, j->id);
	}
}

/*
 * Takes the job out of the queues of the numbers it no longer owes a fax
 * (all of them when all is set: the job goes away), and wakes each job
 * that became first for a number, when its document is ready.
 */
static void
order_sync(struct ojob *j, int all)
{
	struct offramp *o = j->o;
	size_t i, k;

	for (i = 0; i < j->job->nrcpts; i++) {
		const struct offramp_rcpt *r = &j->job->rcpts[i];
		const char *next;
		struct ojob *n;
		int still = 0;

		if (r->postmaster || r->number == NULL)
			continue;
		/* Another recipient of this job may owe the same number. */
		for (k = 0; k < j->job->nrcpts && !all; k++)
			if (!j->job->rcpts[k].postmaster && j->job->rcpts[k].number != NULL &&
			    strcmp(j->job->rcpts[k].number, r->number) == 0 &&
			    (j->job->rcpts[k].retry.phase == OFFRAMP_RCPT_READY ||
			    j->job->rcpts[k].retry.phase == OFFRAMP_RCPT_DIALING))
				still = 1;
		if (still)
			continue;
		next = offramp_order_remove(o->order, r->number, j->id);
		if (next == NULL || o->stopping)
			continue;
		if ((n = g_hash_table_lookup(o->jobs, next)) != NULL && n != j &&
		    n->phase == OJ_CALLING) {
			log_info("job=%s number=%s event=turn (the earlier job to this number "
			    "is done)", n->id, r->number);
			offramp_run_schedule(n, time(NULL));
		}
	}
}

/* The document cannot be faxed: every recipient fails with its status.
 * May end (free) the job. */
void
offramp_run_fail_all(struct ojob *j, const struct mime_error *err)
{
	char esc[LOG_ESC_BUFSZ];
	size_t i;

	log_info("job=%s event=undeliverable status=%s (%s)", j->id, err->status,
	    log_str(esc, sizeof(esc), err->text));
	for (i = 0; i < j->job->nrcpts; i++) {
		struct offramp_rcpt_retry *r = &j->job->rcpts[i].retry;

		if (r->phase == OFFRAMP_RCPT_READY)
			offramp_retry_fail_now(r, err->status, err->text);
	}
	offramp_run_persist(j);
	offramp_run_changed(j);
}

/* ---- calling ---------------------------------------------------------------- */

static void
ojob_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ojob *j = arg;
	struct offramp *o = j->o;
	char id[SPOOL_ID_LEN + 1];

	(void)fd;
	(void)what;
	if (j->phase == OJ_WAITING) {
		j->phase = OJ_LOADED;
		offramp_prep_request(j);
		return;
	}
	g_strlcpy(id, j->id, sizeof(id));
	if (j->phase == OJ_CALLING)
		offramp_run_job(j);   /* may end the job */
	/* Reports that could not be queued earlier are tried again here. */
	if ((j = g_hash_table_lookup(o->jobs, id)) != NULL)
		offramp_run_changed(j);
}

/*
 * Places every call that is due, first in its number's order and
 * admitted; schedules the next wake-up. A recipient behind an earlier job
 * to its number is not woken by time: order_sync() wakes it when its turn
 * comes. May end (free) the job.
 */
void
offramp_run_job(struct ojob *j)
{
	time_t now = time(NULL), next = 0;
	size_t i;
	int blocked = 0, changed = 0;

	if (j->phase != OJ_CALLING || j->o->stopping || offramp_run_held(j->o) ||
	    j->job->held)
		return;         /* a release runs it again */
	for (i = 0; i < j->job->nrcpts; i++) {
		struct offramp_rcpt *r = &j->job->rcpts[i];
		int rc;

		if (r->postmaster || !offramp_retry_due(&r->retry, now))
			continue;
		if (r->number != NULL && !offramp_order_first(j->o->order, r->number, j->id))
			continue;   /* an earlier job to this number goes first */
		if (now > offramp_job_since(j->job) + (time_t)OFFRAMP_RETRY_MAX_AGE) {
			/* RFC 3463 4.4.7: the job outlived its delivery time. */
			offramp_retry_fail_now(&r->retry, "4.4.7", "the call could not be "
			    "placed before the message expired");
			offramp_run_persist(j);
			changed = 1;
			continue;
		}
		rc = ojob_dial(j, i, now);
		if (rc > 0)
			changed = 1;
		else if (rc < 0)
			blocked = 1;   /* not admitted yet */
	}
	for (i = 0; i < j->job->nrcpts; i++) {
		const struct offramp_rcpt *rc = &j->job->rcpts[i];
		const struct offramp_rcpt_retry *r = &rc->retry;

		if (rc->number != NULL && !offramp_order_first(j->o->order, rc->number, j->id))
			continue;   /* woken by its turn, not by the clock */
		if (r->phase == OFFRAMP_RCPT_READY && (next == 0 || r->next_at < next))
			next = r->next_at;
	}
	if (blocked)
		next = now + OFFRAMP_ADMIT_RETRY;
	if (next != 0)
		offramp_run_schedule(j, next);
	if (changed)
		offramp_run_changed(j);
}

/*
 * One call for recipient i. Returns 0 when the call was placed, -1 when
 * it was not admitted (still due), 1 when the recipient changed without a
 * call in progress (no route: failed; the line refused the call: the
 * ladder took it as a failed call). Never frees the job.
 */
static int
ojob_dial(struct ojob *j, size_t i, time_t now)
{
	struct offramp *o = j->o;
	const struct config *cfg = o->cfg;
	struct offramp_rcpt *r = &j->job->rcpts[i];
	const struct config_dial_peer *peer = NULL;
	const struct config_trunk *trunk = NULL;
	struct offramp_call_params base, prm;
	struct sip_dial_request req;
	struct mime_error err;
	struct ocall *c;
	char tx[PATH_MAX], esc[LOG_ESC_BUFSZ], desc[LOG_ESC_BUFSZ], from[LOG_ESC_BUFSZ];

	offramp_base_params(cfg, &base);
	offramp_retry_call_params(&r->retry, &base, &prm);
	spool_path(o->sp, SPOOL_Q_OFFRAMP, j->id, OFFRAMP_FAX_FILE, tx, sizeof(tx));
	if (offramp_dial_request(cfg, r->number ? r->number : "", o->next_call_no, tx,
	    &prm, &req, &peer, &err) != 0) {
		offramp_retry_fail_now(&r->retry, err.status, err.text);
		log_info("job=%s rcpt=%zu number=%s status=%s (%s)", j->id, i,
		    log_str(esc, sizeof(esc), r->number), err.status, err.text);
		offramp_run_persist(j);
		return 1;
	}
	if (peer->target_kind == CONFIG_TARGET_TRUNK)
		trunk = config_find_trunk(cfg, req.target);
	if (offramp_calls_acquire(o->admit, r->number, trunk ? trunk->name : "", peer->tag,
	    cfg->sip.max_calls, trunk ? trunk->max_calls : 0, peer->max_conn) != OFFRAMP_CALLS_OK)
		return -1;
	offramp_retry_dial(&r->retry, now);
	if (offramp_run_persist(j) != 0) {
		/* Without a durable DIALING record a crash could lose the count. */
		offramp_calls_release(o->admit, r->number, trunk ? trunk->name : "", peer->tag);
		r->retry.phase = OFFRAMP_RCPT_READY;
		r->retry.attempts--;
		return -1;
	}
	log_info("job=%s rcpt=%zu number=%s event=dial attempt=%u call=%llu t38=%d ecm=%d "
	    "speed=%u peer=%u desc=%s from=%s", j->id, i, r->number, r->retry.attempts,
	    (unsigned long long)o->next_call_no, req.t38_allowed, prm.ecm, prm.max_speed,
	    peer->tag, log_str(desc, sizeof(desc), peer->description),
	    log_str(from, sizeof(from), req.from));
	if (o->dial(o->dial_arg, &req) != 0) {
		/* The line is not up (start-up, shutdown): not the number's
		 * fault, so no attempt is counted; tried again shortly. */
		log_warnx("job=%s rcpt=%zu the line did not take the call; again in %d s",
		    j->id, i, OFFRAMP_ADMIT_RETRY);
		offramp_calls_release(o->admit, r->number, trunk ? trunk->name : "", peer->tag);
		r->retry.phase = OFFRAMP_RCPT_READY;
		r->retry.attempts--;
		offramp_run_persist(j);
		o->next_call_no++;
		return -1;
	}
	c = g_new0(struct ocall, 1);
	c->call_no = o->next_call_no++;
	g_strlcpy(c->id, j->id, sizeof(c->id));
	c->rcpt = i;
	g_strlcpy(c->number, r->number, sizeof(c->number));
	g_strlcpy(c->trunk, trunk ? trunk->name : "", sizeof(c->trunk));
	c->peer = peer->tag;
	g_hash_table_insert(o->calls, u64_key(c->call_no), c);
	j->calls++;
	return 0;
}

void
offramp_call_finished(struct offramp *o, const struct sip_event *ev)
{
	uint64_t key = ev->job_id;
	struct ocall *c = g_hash_table_lookup(o->calls, &key);
	struct offramp_call_result res;
	struct offramp_retry_policy p;
	struct offramp_call_params base;
	struct ojob *j;
	struct offramp_rcpt *r;
	enum offramp_retry_event e;
	char diag[OFFRAMP_RETRY_DIAG_MAX], esc[LOG_ESC_BUFSZ], id[SPOOL_ID_LEN + 1];
	unsigned peer;
	size_t ri;

	if (c == NULL) {
		log_info("call=%llu offramp result for no known call; dropped",
		    (unsigned long long)ev->job_id);
		offramp_record_call(o, ev, NULL, 0, 0);
		return;
	}
	offramp_calls_release(o->admit, c->number, c->trunk, c->peer);
	g_strlcpy(id, c->id, sizeof(id));
	ri = c->rcpt;
	peer = c->peer;
	g_hash_table_remove(o->calls, &key);   /* frees c */
	j = g_hash_table_lookup(o->jobs, id);
	if (j == NULL || ri >= j->job->nrcpts) {
		log_info("job=%s call result for a job no longer here; dropped", id);
		offramp_record_call(o, ev, NULL, 0, peer);
		return;
	}
	r = &j->job->rcpts[ri];
	j->calls--;
	offramp_call_result_from_event(ev, &res, diag, sizeof(diag));
	offramp_policy_from_config(o->cfg, &p);
	offramp_base_params(o->cfg, &base);
	e = offramp_retry_result(&r->retry, &p, &base, &res, offramp_job_since(j->job),
	    time(NULL));
	log_info("job=%s rcpt=%zu number=%s result=%s status=%s pages=%u/%u next=%s cause=%s "
	    "diag=%s", id, ri, r->number, sip_result_name(ev->result),
	    r->retry.status, ev->pages, ev->pages_total,
	    e == OFFRAMP_RETRY_AGAIN ? "retry" : e == OFFRAMP_RETRY_DELIVERED ? "done" : "failed",
	    sip_cause_name(ev->cause),
	    log_str(esc, sizeof(esc), diag));
	g_strlcpy(r->last_call, ev->call_id, sizeof(r->last_call));
	history_add(j, ri, ev, e == OFFRAMP_RETRY_DELIVERED ? "" : diag);
	offramp_record_call(o, ev, j, ri, peer);
	offramp_run_persist(j);
	if (e == OFFRAMP_RETRY_DELIVERED && j->msg != NULL) {
		struct offramp_report_cfg rc;
		char why[128];
		size_t len;
		char *mdn;

		offramp_report_cfg_from_config(o->cfg, &rc);
		mdn = offramp_job_mdn(j->job, ri, j->msg, &rc, time(NULL), &len,
		    why, sizeof(why));
		if (mdn != NULL) {
			if (report_queue(o, "", mime_offramp_dnt_addr(j->msg), mdn, len, id) == 0)
				offramp_run_persist(j);
			else
				r->retry.mdn_sent = 0;
			g_free(mdn);
		}
	}
	offramp_run_job(j);   /* schedules the retry; may end the job */
	if ((j = g_hash_table_lookup(o->jobs, id)) != NULL)
		offramp_run_changed(j);
}

/* ---- reports and the end of a job ------------------------------------------ */

/* Sends what is due; removes the job once everything is final and told
 * (a quarantined one goes to the failed queue). May end (free) the job. */
void
offramp_run_changed(struct ojob *j)
{
	struct offramp *o = j->o;
	struct offramp_report_cfg rc;
	struct offramp_retry_policy p;
	char msgpath[PATH_MAX];
	enum offramp_report_kind kind;
	struct mime_error err;
	size_t i, len;
	int all_done = 1;
	char *rep;

	order_sync(j, 0);
	offramp_report_cfg_from_config(o->cfg, &rc);
	offramp_policy_from_config(o->cfg, &p);
	spool_path(o->sp, SPOOL_Q_OFFRAMP, j->id, "msg", msgpath, sizeof(msgpath));
	for (;;) {
		GArray *marks = g_array_sized_new(FALSE, FALSE, sizeof(int), 2 * j->job->nrcpts);

		for (i = 0; i < j->job->nrcpts; i++) {
			g_array_append_val(marks, j->job->rcpts[i].retry.delay_reported);
			g_array_append_val(marks, j->job->rcpts[i].retry.final_reported);
		}
		rep = offramp_job_next_report(j->job, &rc, &p, msgpath, time(NULL), &kind,
		    &len, &err);
		if (rep == NULL) {
			g_array_free(marks, TRUE);
			break;
		}
		if (report_queue(o, "", j->job->from, rep, len, j->id) != 0) {
			/* Not queued: undo the marks, try again later. */
			for (i = 0; i < j->job->nrcpts; i++) {
				j->job->rcpts[i].retry.delay_reported = g_array_index(marks, int, 2 * i);
				j->job->rcpts[i].retry.final_reported = g_array_index(marks, int, 2 * i + 1);
			}
			g_array_free(marks, TRUE);
			g_free(rep);
			log_warnx("job=%s cannot queue a report; again in %d s", j->id,
			    OFFRAMP_LOCAL_RETRY);
			offramp_run_schedule(j, time(NULL) + OFFRAMP_LOCAL_RETRY);
			return;
		}
		g_array_free(marks, TRUE);
		log_info("job=%s event=report kind=%s to=<%s>", j->id,
		    kind == OFFRAMP_REPORT_DSN_DELAY ? "delay" : "final", j->job->from);
		g_free(rep);
		offramp_run_persist(j);
	}
	if (err.status[0] != '\0' && j->calls == 0) {
		/* A report that cannot be built would hold the job forever:
		 * set it aside for the operator instead. */
		log_err("job=%s report not built: %s; moved to the %s queue", j->id,
		    err.text, SPOOL_Q_FAILED);
		if (spool_move(o->sp, SPOOL_Q_OFFRAMP, j->id, SPOOL_Q_FAILED) == 0) {
			offramp_record_job(j, "failed");
			g_hash_table_remove(o->jobs, j->id);   /* frees j */
		}
		return;
	}
	for (i = 0; i < j->job->nrcpts; i++)
		if (!j->job->rcpts[i].retry.final_reported)
			all_done = 0;
	if (!all_done || j->calls > 0)
		return;
	if (j->quarantine) {
		/* Told; kept for the operator, never prepared again. */
		if (spool_move(o->sp, SPOOL_Q_OFFRAMP, j->id, SPOOL_Q_FAILED) != 0) {
			log_warn("job=%s cannot be moved to the %s queue", j->id,
			    SPOOL_Q_FAILED);
			return;
		}
		log_err("job=%s dir=offramp event=quarantined queue=%s", j->id,
		    SPOOL_Q_FAILED);
		offramp_record_job(j, "quarantined");
		g_hash_table_remove(o->jobs, j->id);   /* frees j */
		return;
	}
	if (spool_remove(o->sp, SPOOL_Q_OFFRAMP, j->id) != 0) {
		log_warn("job=%s done but cannot be removed from the spool", j->id);
		return;
	}
	log_info("job=%s dir=offramp event=%s", j->id, j->job->deleted ? "deleted" :
	    "done");
	offramp_record_job(j, j->job->deleted ? "deleted" : "done");
	g_hash_table_remove(o->jobs, j->id);   /* frees j */
}

void
offramp_run_schedule(struct ojob *j, time_t when)
{
	time_t now = time(NULL);
	struct timeval tv = { when > now ? when - now : 0, 0 };

	evtimer_add(j->timer, &tv);
}

int
offramp_run_persist(struct ojob *j)
{
	struct spool_rec *state = offramp_job_state(j->job);
	int rc = state != NULL ? spool_rec_store(j->o->sp, SPOOL_Q_OFFRAMP, j->id,
	    OFFRAMP_STATE_FILE, state) : -1;

	if (rc != 0)
		log_warn("job=%s cannot write its state", j->id);
	spool_rec_free(state);
	return rc;
}

/*
 * Queues a message for the mail queue: a job of SPOOL_Q_MAIL with the
 * message (LF ends) and an envelope from `from` ("" for <>) to `to`,
 * committed durably, then scheduled.
 */
static int
report_queue(struct offramp *o, const char *from, const char *to,
    const char *buf, size_t len, const char *ref)
{
	struct mailq_envelope env;
	char id[SPOOL_ID_LEN + 1], call[SPOOL_ID_LEN + 16];

	if (to == NULL || *to == '\0')
		return -1;
	snprintf(call, sizeof(call), "offramp-%s", ref);
	memset(&env, 0, sizeof(env));
	env.from = from;
	env.rcpt = to;
	env.ref = call;
	if (mailq_job_commit(o->sp, &env, buf, len, id) != 0)
		return -1;
	if (o->q != NULL)
		mailq_add(o->q, id);
	return 0;
}

static uint64_t *
u64_key(uint64_t v)
{
	uint64_t *k = g_new(uint64_t, 1);

	*k = v;
	return k;
}

/* The call as it ended, into the recipient's history (persisted with the
 * state that follows). */
static void
history_add(struct ojob *j, size_t i, const struct sip_event *ev, const char *diag)
{
	const struct offramp_rcpt_retry *r = &j->job->rcpts[i].retry;
	struct offramp_call_hist h;

	memset(&h, 0, sizeof(h));
	h.at = r->last_attempt;
	h.secs = ev->secs;
	h.pages_sent = ev->pages;
	h.pages_total = ev->pages_total;
	g_strlcpy(h.result, sip_result_name(ev->result), sizeof(h.result));
	g_strlcpy(h.status, r->status, sizeof(h.status));
	g_strlcpy(h.csi, ev->remote_ident, sizeof(h.csi));
	offramp_job_history_add(j->job, i, &h, diag);
}
