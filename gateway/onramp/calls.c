/*
 * gateway/onramp/calls: the onramp's calls (see onramp.h): routing an
 * INVITE on its line thread, the incoming job its pages go into, the line's
 * events for it on the mail thread, and the mail built from the pages on a
 * pool thread. The calls in progress are kept for max-conn and for finding
 * a call's incoming job; they and the current config are shared with the
 * line threads under o->lock (held only to read or change them, never
 * across I/O).
 *
 * An incoming job ("incoming" queue) holds the call record (a spool_rec:
 * call, ani, dnis, rdnis, started) and the pages as fax.tif. A line thread
 * must not wait on the disk, so it never makes one: the keeper (one pool
 * thread, util/offload) keeps committed spare jobs ready (empty but for
 * the "spare" marker; ONRAMP_SPARE_JOBS, twice as many after each burst
 * that found none, up to ONRAMP_SPARE_JOBS_MAX), onramp_route() takes one under
 * o->lock, and the call record it posts (o->posts) is written into that
 * job by the keeper while the call proceeds. The keeper also removes the
 * jobs that are done, in the order it was given the work, so a job's
 * record is never written after its removal. A job goes once the mail
 * job holding its pages is durable, or at the end of a call that left no
 * page. Not here: the mail itself (onramp.c).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/cdr/cdr.h"
#include "gateway/mailq/mailq.h"
#include "gateway/onramp/onramp.h"
#include "gateway/spool/spool.h"
#include "sip/sip.h"
#include "util/chan.h"
#include "util/log.h"
#include "util/offload.h"

#include <event2/event.h>

#define ONRAMP_RX_FILE    "fax.tif"             /* the pages, in the incoming job */
#define ONRAMP_RX_CALL    "call"                /* the call record (spool_rec) */
#define ONRAMP_RECOVERED  "fax.recovered.tif"   /* the pages, rewritten, after a crash */
#define ONRAMP_RECOVERED_WHY "the gateway stopped during the call"
#define ONRAMP_RX_SPARE   "spare"               /* marks a job made ahead of a call */
#define ONRAMP_NOREC_WHY  "the gateway stopped during the call, before its " \
	"numbers were recorded"

/* One accepted call, for max-conn and for finding its incoming job. */
struct onramp_call {
	struct onramp_call *next;
	char call_id[SIP_CALL_ID_MAX];
	unsigned peer_tag;              /* the mmoip dial-peer that took it */
	char job[SPOOL_ID_LEN + 1];     /* its job in SPOOL_Q_INCOMING */
	int mailed;                     /* FAX_RECEIVED handled */
	bool passthrough;               /* the pages are mailed as spandsp wrote
	                                   them (else rewritten to Profile S) */
};

/* From a line thread to the mail thread: the record of a call that took
 * a spare job, or (job "") only a request to refill the spare jobs. */
struct onramp_post {
	struct chan_msg msg;            /* first: the chan's link */
	struct onramp *o;               /* set by the mail thread */
	char job[SPOOL_ID_LEN + 1];
	char call_id[SIP_CALL_ID_MAX];
	char ani[SIP_NUMBER_MAX], dnis[SIP_NUMBER_MAX], rdnis[SIP_NUMBER_MAX];
	time_t started;
};

/* Spare jobs being made by the keeper. */
struct onramp_refill {
	struct onramp *o;
	unsigned want, made;
	char ids[ONRAMP_SPARE_JOBS_MAX][SPOOL_ID_LEN + 1];
};

/* A job the keeper removes. */
struct onramp_drop {
	struct onramp *o;
	char call_id[SIP_CALL_ID_MAX + 8];
	char job[SPOOL_ID_LEN + 1];
};

struct onramp {
	struct event_base *base;        /* borrowed */
	struct spool *sp;               /* borrowed */
	struct mailq *q;                /* borrowed; may be NULL (tests) */
	struct offload *builders;       /* owned: mail built off the loop */
	struct offload *keeper;         /* owned: one thread, spare jobs, call
	                                   records and removals in order */
	struct chan *posts;             /* owned: struct onramp_post from the lines */
	struct event *posts_ev;         /* owned: reads posts on the mail loop */
	int refilling;                  /* mail thread: a refill is queued */
	pthread_mutex_t lock;           /* cfg, calls, stopping, spare: line threads too */
	char spare[ONRAMP_SPARE_JOBS_MAX][SPOOL_ID_LEN + 1];    /* ready jobs */
	unsigned n_spare;
	unsigned spare_target;          /* spare jobs kept; grows on bursts */
	int spare_grew;                 /* grown since the last refill ended */
	unsigned spare_logged;          /* mail thread: the target last logged */
	const struct config *cfg;       /* held */
	struct onramp_call *calls;      /* owned list */
	int stopping;                   /* new calls get 486 */
	struct cdr *cdr;                /* borrowed: call records (mail thread); NULL none */
};

/* A mail to build off the loop; owns copies of what the event said. */
struct onramp_build {
	struct onramp *o;               /* outlives it: onramp_free() drains */
	const struct config *cfg;       /* held for the work */
	char incoming[SPOOL_ID_LEN + 1];        /* the incoming job it comes from */
	int recovery;                   /* a call the gateway did not see end */
	bool profile_s;                 /* rewrite the pages to Profile S first */
	struct onramp_fax fr;           /* strings point into the fields below */
	char call_id[SIP_CALL_ID_MAX + 8];
	char tiff[PATH_MAX];
	char ani[SIP_NUMBER_MAX], dnis[SIP_NUMBER_MAX], rdnis[SIP_NUMBER_MAX];
	char csi[SIP_IDENT_MAX];
	char reason[SIP_REASON_MAX];
	int rc;                         /* out: onramp_mail()'s */
	char id[SPOOL_ID_LEN + 1];      /* out: the mail job */
	struct sip_event *ev;           /* owned: the call's end, for its record
	                                   (NULL in a recovery) */
	unsigned peer;                  /* the mmoip dial-peer of the call */
};

static const struct config *onramp_cfg_hold(struct onramp *o);
static int onramp_spare_take(struct onramp *o, char job[SPOOL_ID_LEN + 1]);
static void onramp_post(struct onramp *o, const struct sip_call_info *info,
    const char *job);
static void onramp_posts_cb(evutil_socket_t fd, short what, void *arg);
static void onramp_posts_drain(struct onramp *o);
static void onramp_record_work(void *arg);
static void onramp_refill(struct onramp *o);
static void onramp_refill_work(void *arg);
static void onramp_refill_done(void *arg);
static void onramp_drop(struct onramp *o, const char *call_id, const char *job);
static void onramp_drop_work(void *arg);
static int onramp_job_has(struct onramp *o, const char *id, const char *name);
static struct onramp_call *onramp_call_find(struct onramp *o, const char *call_id);
static void onramp_call_forget(struct onramp *o, const char *call_id);
static int onramp_recover_cb(const char *id, void *arg);
static void onramp_build_start(struct onramp *o, struct onramp_build *b);
static void onramp_build_work(void *arg);
static void onramp_build_done(void *arg);
static int onramp_build_recovered(struct onramp_build *b);
static void onramp_build_record(struct onramp_build *b);

struct onramp *
onramp_new(struct event_base *base, struct spool *sp, struct mailq *q,
    const struct config *cfg, char *err, size_t errlen)
{
	struct onramp *o = calloc(1, sizeof(*o));

	if (o == NULL) {
		snprintf(err, errlen, "onramp: out of memory");
		return NULL;
	}
	o->base = base;
	o->sp = sp;
	o->q = q;
	o->cfg = config_hold(cfg);
	pthread_mutex_init(&o->lock, NULL);
	o->spare_target = ONRAMP_SPARE_JOBS;
	if ((o->builders = offload_new(base, "onramp", ONRAMP_BUILDERS, err, errlen)) == NULL ||
	    (o->keeper = offload_new(base, "onramp-jobs", 1, err, errlen)) == NULL) {
		onramp_free(o);
		return NULL;
	}
	if ((o->posts = chan_new()) == NULL ||
	    (o->posts_ev = event_new(base, chan_fd(o->posts), EV_READ | EV_PERSIST,
	    onramp_posts_cb, o)) == NULL || event_add(o->posts_ev, NULL) == -1) {
		snprintf(err, errlen, "onramp: cannot watch the line's call records: %s",
		    strerror(errno));
		onramp_free(o);
		return NULL;
	}
	return o;
}

void
onramp_free(struct onramp *o)
{
	struct onramp_call *c;

	if (o == NULL)
		return;
	o->stopping = 1;        /* no refill from here on */
	if (o->posts_ev != NULL)
		event_free(o->posts_ev);
	if (o->keeper != NULL)
		onramp_posts_drain(o);  /* the records of the last calls */
	offload_free(o->builders);      /* the mail being built is finished */
	offload_free(o->keeper);        /* after the builders: they hand it removals */
	chan_free(o->posts, NULL);
	while ((c = o->calls) != NULL) {
		o->calls = c->next;
		free(c);
	}
	config_free(o->cfg);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

void
onramp_set_config(struct onramp *o, const struct config *cfg)
{
	const struct config *old;

	/* A route in progress took its own hold: the old one may go now. */
	pthread_mutex_lock(&o->lock);
	old = o->cfg;
	o->cfg = config_hold(cfg);
	pthread_mutex_unlock(&o->lock);
	config_free(old);
}

void
onramp_set_cdr(struct onramp *o, struct cdr *c)
{
	o->cdr = c;
}

void
onramp_stop(struct onramp *o)
{
	pthread_mutex_lock(&o->lock);
	o->stopping = 1;        /* calls in progress finish; new ones get 486 */
	pthread_mutex_unlock(&o->lock);
}

unsigned
onramp_inflight(const struct onramp *o)
{
	return offload_pending(o->builders) + offload_pending(o->keeper);
}

unsigned
onramp_spare(struct onramp *o, unsigned *target)
{
	unsigned n;

	pthread_mutex_lock(&o->lock);
	n = o->n_spare;
	*target = o->spare_target;
	pthread_mutex_unlock(&o->lock);
	return n;
}

/* The current config with a hold of the caller's. Any thread. */
static const struct config *
onramp_cfg_hold(struct onramp *o)
{
	const struct config *cfg;

	pthread_mutex_lock(&o->lock);
	cfg = config_hold(o->cfg);
	pthread_mutex_unlock(&o->lock);
	return cfg;
}

/* ---- routing (line threads) -------------------------------------------- */

void
onramp_route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	struct onramp *o = arg;
	const struct config *cfg = onramp_cfg_hold(o);
	const struct config_dial_peer *peer, *voip;
	struct onramp_call *c, *nc = NULL;
	char ani[LOG_ESC_BUFSZ], dnis[LOG_ESC_BUFSZ], src[LOG_ESC_BUFSZ], desc[LOG_ESC_BUFSZ];
	const char *why, *csi;
	unsigned active = 0;
	int refill = 0;

	d->action = SIP_ROUTE_REJECT_NOT_FOUND;
	peer = onramp_route_peer(cfg, info->dnis, &voip, &why);

	pthread_mutex_lock(&o->lock);
	if (why == NULL && o->stopping) {
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "the gateway is shutting down";
	}
	if (why == NULL && peer->max_conn > 0) {
		for (c = o->calls; c != NULL; c = c->next)
			active += c->peer_tag == peer->tag;
		if (active >= peer->max_conn) {
			d->action = SIP_ROUTE_REJECT_BUSY;
			why = "the dial-peer's max-conn is reached";
		}
	}
	if (why == NULL && (nc = calloc(1, sizeof(*nc))) == NULL) {
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "out of memory";
	}
	/* The job was made and committed ahead of the call, off this thread:
	 * its pages have a durable home from the first one on. */
	if (why == NULL && onramp_spare_take(o, nc->job) == -1) {
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "no spare incoming job is ready (the spool is behind)";
		refill = 1;
		free(nc);
		nc = NULL;
	}
	if (why == NULL) {
		snprintf(nc->call_id, sizeof(nc->call_id), "%s", info->call_id);
		nc->peer_tag = peer->tag;
		nc->passthrough = peer->encoding == CONFIG_ENC_PASSTHROUGH;
		nc->next = o->calls;
		o->calls = nc;
	}
	pthread_mutex_unlock(&o->lock);

	if (why == NULL && spool_path(o->sp, SPOOL_Q_INCOMING, nc->job, ONRAMP_RX_FILE,
	    d->rx_path, sizeof(d->rx_path)) == -1) {
		/* Not with a valid id; the unused job is taken back at the next
		 * start. */
		onramp_call_forget(o, info->call_id);
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "the spool path is too long";
	} else if (why == NULL) {
		onramp_post(o, info, nc->job);
	} else if (refill) {
		onramp_post(o, NULL, "");
	}
	if (why != NULL) {
		log_info("call=%s dir=onramp ani=%s dnis=%s result=refused sip=%d reason=\"%s\"",
		    info->call_id, log_str(ani, sizeof(ani), info->ani),
		    log_str(dnis, sizeof(dnis), info->dnis),
		    d->action == SIP_ROUTE_REJECT_BUSY ? 486 : 404, why);
		config_free(cfg);
		return;
	}
	d->action = SIP_ROUTE_ACCEPT;
	/* The CSI: T.30 allows 20 characters; a longer one is cut. */
	csi = cfg->fax_receive.called_subscriber_dnis ||
	    cfg->fax_receive.called_subscriber[0] == '\0' ? info->dnis :
	    cfg->fax_receive.called_subscriber;
	snprintf(d->fax.ident, sizeof(d->fax.ident), "%.*s", SIP_IDENT_MAX - 1, csi);
	d->fax.ecm = true;
	d->fax.max_rate = 0;
	d->fax.passthrough = peer->encoding == CONFIG_ENC_PASSTHROUGH;
	log_info("call=%s dir=onramp ani=%s dnis=%s src=%s peer=%u desc=%s job=%s event=routed",
	    info->call_id, log_str(ani, sizeof(ani), info->ani),
	    log_str(dnis, sizeof(dnis), info->dnis), log_str(src, sizeof(src), info->peer),
	    peer->tag, log_str(desc, sizeof(desc), peer->description), nc->job);
	config_free(cfg);
}

/* A spare job into job, or -1 when none is ready. Caller holds o->lock. */
static int
onramp_spare_take(struct onramp *o, char job[SPOOL_ID_LEN + 1])
{
	if (o->n_spare == 0) {
		/* A burst outran the pool: keep more for the next one (once
		 * per refill, not once per call refused meanwhile). */
		if (!o->spare_grew && o->spare_target < ONRAMP_SPARE_JOBS_MAX) {
			o->spare_grew = 1;
			o->spare_target = o->spare_target * 2 < ONRAMP_SPARE_JOBS_MAX ?
			    o->spare_target * 2 : ONRAMP_SPARE_JOBS_MAX;
		}
		return -1;
	}
	o->n_spare--;
	memcpy(job, o->spare[o->n_spare], SPOOL_ID_LEN + 1);
	return 0;
}

/*
 * To the mail thread: the record of the call that took job (info NULL:
 * only "refill the spare jobs"). Line thread; no I/O. Without memory the
 * call goes on unrecorded: its mail is built from the line's events, and
 * a crash would mail its pages with unknown numbers.
 */
static void
onramp_post(struct onramp *o, const struct sip_call_info *info, const char *job)
{
	struct onramp_post *p = calloc(1, sizeof(*p));

	if (p == NULL) {
		log_warnx("call=%s job=%s event=rx-record result=failed reason=\"out of "
		    "memory\"", info != NULL ? info->call_id : "-", job[0] ? job : "-");
		return;
	}
	snprintf(p->job, sizeof(p->job), "%s", job);
	if (info != NULL) {
		snprintf(p->call_id, sizeof(p->call_id), "%s", info->call_id);
		snprintf(p->ani, sizeof(p->ani), "%s", info->ani);
		snprintf(p->dnis, sizeof(p->dnis), "%s", info->dnis);
		snprintf(p->rdnis, sizeof(p->rdnis), "%s", info->rdnis);
		p->started = time(NULL);
	}
	chan_push(o->posts, &p->msg);
}

static void
onramp_posts_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	onramp_posts_drain(arg);
}

/* The posts of the line threads: each record goes to the keeper (before
 * any removal of its job, which comes later), then the spare jobs are
 * refilled. Mail thread. */
static void
onramp_posts_drain(struct onramp *o)
{
	struct chan_msg *m;
	struct onramp_post *p;

	while ((m = chan_pop(o->posts)) != NULL) {
		p = (struct onramp_post *)m;
		p->o = o;
		if (p->job[0] == '\0' ||
		    offload_run(o->keeper, onramp_record_work, free, p) == -1)
			free(p);
	}
	onramp_refill(o);
}

/* The call record into its spare job (keeper thread). */
static void
onramp_record_work(void *arg)
{
	struct onramp_post *p = arg;
	struct spool_rec *rec;
	const char *data;
	size_t len;
	int rc = -1;

	if ((rec = spool_rec_new()) != NULL &&
	    spool_rec_add(rec, "call", p->call_id) == 0 &&
	    spool_rec_add(rec, "ani", p->ani) == 0 &&
	    spool_rec_add(rec, "dnis", p->dnis) == 0 &&
	    spool_rec_add(rec, "rdnis", p->rdnis) == 0 &&
	    spool_rec_add_u64(rec, "started", (uint64_t)p->started) == 0) {
		data = spool_rec_data(rec, &len);
		rc = spool_replace(p->o->sp, SPOOL_Q_INCOMING, p->job, ONRAMP_RX_CALL, data, len);
	}
	if (rc == -1)
		log_warn("call=%s job=%s event=rx-record", p->call_id, p->job);
	spool_rec_free(rec);
}

/* Queues the making of the spare jobs missing, unless some are being
 * made already or the gateway is stopping. Mail thread. */
static void
onramp_refill(struct onramp *o)
{
	struct onramp_refill *r;
	unsigned want, target;

	pthread_mutex_lock(&o->lock);
	target = o->spare_target;
	want = o->stopping || o->n_spare >= target ? 0 : target - o->n_spare;
	pthread_mutex_unlock(&o->lock);
	if (target != o->spare_logged) {
		log_info("event=rx-spare target=%u reason=\"%s\"", target,
		    o->spare_logged == 0 ? "start" : "a burst of calls found no spare job");
		o->spare_logged = target;
	}
	if (want == 0 || o->refilling || (r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->o = o;
	r->want = want;
	if (offload_run(o->keeper, onramp_refill_work, onramp_refill_done, r) == -1) {
		free(r);
		return;
	}
	o->refilling = 1;
}

/* Makes r->want spare jobs, committed as one group (keeper thread). */
static void
onramp_refill_work(void *arg)
{
	static const char marker[] = "spare 1\n";
	struct onramp_refill *r = arg;
	struct spool_job *jobs[ONRAMP_SPARE_JOBS_MAX];
	unsigned i, n = 0;

	for (i = 0; i < r->want; i++) {
		if ((jobs[n] = spool_job_new(r->o->sp, SPOOL_Q_INCOMING, r->ids[n])) == NULL)
			break;
		if (spool_job_write(jobs[n], ONRAMP_RX_SPARE, marker, sizeof(marker) - 1) != 0) {
			spool_job_abort(jobs[n]);
			break;
		}
		n++;
	}
	if (n > 0 && spool_job_commit_many(jobs, n) != 0)
		n = 0;          /* which ones failed is not said: none is used */
	if (n < r->want)
		log_warn("event=rx-spare made=%u wanted=%u", n, r->want);
	r->made = n;
}

static void
onramp_refill_done(void *arg)
{
	struct onramp_refill *r = arg;
	struct onramp *o = r->o;
	unsigned i;

	pthread_mutex_lock(&o->lock);
	for (i = 0; i < r->made && o->n_spare < ONRAMP_SPARE_JOBS_MAX; i++)
		memcpy(o->spare[o->n_spare++], r->ids[i], SPOOL_ID_LEN + 1);
	/* Grown once per refill that made jobs: while the spool refuses
	 * them, each refused call would double the pool again. */
	if (r->made > 0)
		o->spare_grew = 0;
	pthread_mutex_unlock(&o->lock);
	o->refilling = 0;
	/* Calls took some meanwhile: go on, unless the spool refuses. */
	if (r->made == r->want)
		onramp_refill(o);
	free(r);
}

/* Removes an incoming job on the keeper, after the work given it before. */
static void
onramp_drop(struct onramp *o, const char *call_id, const char *job)
{
	struct onramp_drop *d = calloc(1, sizeof(*d));

	if (d == NULL) {
		log_warnx("call=%s job=%s event=rx-cleanup result=deferred reason=\"out of "
		    "memory\"", call_id, job);
		return;
	}
	d->o = o;
	snprintf(d->call_id, sizeof(d->call_id), "%s", call_id);
	snprintf(d->job, sizeof(d->job), "%s", job);
	if (offload_run(o->keeper, onramp_drop_work, free, d) == -1)
		free(d);
}

static void
onramp_drop_work(void *arg)
{
	struct onramp_drop *d = arg;

	if (spool_remove(d->o->sp, SPOOL_Q_INCOMING, d->job) == -1 && errno != ENOENT)
		log_warn("call=%s job=%s event=rx-cleanup", d->call_id, d->job);
}

/* 1 when file name exists in incoming job id. Mail thread, at start-up. */
static int
onramp_job_has(struct onramp *o, const char *id, const char *name)
{
	char path[PATH_MAX];

	return spool_path(o->sp, SPOOL_Q_INCOMING, id, name, path, sizeof(path)) == 0 &&
	    access(path, F_OK) == 0;
}

/* Caller holds o->lock. */
static struct onramp_call *
onramp_call_find(struct onramp *o, const char *call_id)
{
	struct onramp_call *c;

	for (c = o->calls; c != NULL; c = c->next)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

static void
onramp_call_forget(struct onramp *o, const char *call_id)
{
	struct onramp_call **pp, *c;

	pthread_mutex_lock(&o->lock);
	for (pp = &o->calls; (c = *pp) != NULL; pp = &c->next) {
		if (strcmp(c->call_id, call_id) == 0) {
			*pp = c->next;
			free(c);
			break;
		}
	}
	pthread_mutex_unlock(&o->lock);
}

/* ---- the line's events (mail thread) ------------------------------------ */

void
onramp_fax_received(struct onramp *o, const struct sip_event *ev)
{
	struct onramp_build *b;
	struct onramp_call *c;
	char job[SPOOL_ID_LEN + 1];
	unsigned peer = 0;
	bool passthrough = false;

	onramp_posts_drain(o);          /* its record is written before its job goes */
	pthread_mutex_lock(&o->lock);
	c = onramp_call_find(o, ev->call_id);
	if (c != NULL) {
		snprintf(job, sizeof(job), "%s", c->job);
		peer = c->peer_tag;
		passthrough = c->passthrough;
		c->mailed = 1;
	}
	pthread_mutex_unlock(&o->lock);
	if (c == NULL) {
		log_warnx("call=%s event=fax-received result=dropped reason=\"unknown call\"",
		    ev->call_id);
		return;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		/* The pages stay in "incoming": the next start mails them. */
		log_warnx("call=%s event=fax-received result=deferred reason=\"out of "
		    "memory\"", ev->call_id);
		return;
	}
	snprintf(b->incoming, sizeof(b->incoming), "%s", job);
	/* The record waits for the mail job's id (a call without the copy
	 * still gets its mail, only no record). */
	if ((b->ev = malloc(sizeof(*b->ev))) != NULL)
		*b->ev = *ev;
	b->peer = peer;
	b->profile_s = !passthrough;
	snprintf(b->call_id, sizeof(b->call_id), "%s", ev->call_id);
	snprintf(b->tiff, sizeof(b->tiff), "%s", ev->rx_path);
	snprintf(b->ani, sizeof(b->ani), "%s", ev->ani);
	snprintf(b->dnis, sizeof(b->dnis), "%s", ev->dnis);
	snprintf(b->rdnis, sizeof(b->rdnis), "%s", ev->rdnis);
	snprintf(b->csi, sizeof(b->csi), "%s", ev->remote_ident);
	snprintf(b->reason, sizeof(b->reason), "%s", ev->reason);
	b->fr.remove_tiff = true;
	b->fr.pages = ev->pages;
	b->fr.rate = ev->rate;
	b->fr.duration = ev->secs;
	b->fr.ecm = ev->ecm;
	b->fr.partial = ev->result != SIP_RESULT_OK;
	onramp_build_start(o, b);
}

void
onramp_call_finished(struct onramp *o, const struct sip_event *ev)
{
	struct cdr_call_link link = { .rcpt = -1 };
	struct onramp_call *c;
	char job[SPOOL_ID_LEN + 1] = "";
	int mailed = 1;

	onramp_posts_drain(o);          /* its record is written before its job goes */
	pthread_mutex_lock(&o->lock);
	if ((c = onramp_call_find(o, ev->call_id)) != NULL) {
		snprintf(job, sizeof(job), "%s", c->job);
		mailed = c->mailed;
		link.peer = c->peer_tag;
	}
	pthread_mutex_unlock(&o->lock);
	onramp_call_forget(o, ev->call_id);
	/* A call with pages has its record once its mail job exists
	 * (onramp_build_done); a refused one, and one that left none, now. */
	if (c == NULL) {
		cdr_call(o->cdr, ev, &link);
		return;
	}
	if (mailed)
		return;
	link.mail = "nofax";
	cdr_call(o->cdr, ev, &link);
	/* No pages arrived: nothing to mail, the call is logged. */
	log_info("call=%s dir=onramp result=nofax reason=\"%s\" mailed=0", ev->call_id,
	    ev->reason[0] != '\0' ? ev->reason : sip_result_name(ev->result));
	onramp_drop(o, ev->call_id, job);
}

/* ---- recovery (start-up) ------------------------------------------------ */

int
onramp_recover(struct onramp *o, char *err, size_t errlen)
{
	if (spool_scan(o->sp, SPOOL_Q_INCOMING, onramp_recover_cb, o) == -1) {
		snprintf(err, errlen, "spool queue %s: cannot scan: %s", SPOOL_Q_INCOMING,
		    strerror(errno));
		return -1;
	}
	onramp_refill(o);       /* the calls need their spare jobs from now on */
	return 0;
}

/*
 * An incoming job whose call never ended in this process. A spare job no
 * call took (no record, no pages) is one again, or goes when there are
 * enough; one with pages but no record (the gateway stopped before the
 * keeper wrote it) is mailed with unknown numbers, like any other.
 */
static int
onramp_recover_cb(const char *id, void *arg)
{
	struct onramp *o = arg;
	struct onramp_build *b;

	if (!onramp_job_has(o, id, ONRAMP_RX_CALL) && !onramp_job_has(o, id, ONRAMP_RX_FILE)) {
		pthread_mutex_lock(&o->lock);
		if (o->n_spare < o->spare_target) {
			memcpy(o->spare[o->n_spare++], id, SPOOL_ID_LEN + 1);
			id = NULL;
		}
		pthread_mutex_unlock(&o->lock);
		if (id != NULL)
			onramp_drop(o, id, id);
		return 0;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		log_warnx("job=%s event=rx-recovered result=deferred reason=\"out of "
		    "memory\"", id);
		return 0;
	}
	snprintf(b->incoming, sizeof(b->incoming), "%s", id);
	b->recovery = 1;
	onramp_build_start(o, b);
	return 0;
}

/* ---- building the mail (pool threads) ----------------------------------- */

/* Points b->fr at b's copies and queues the work; b is the work's. */
static void
onramp_build_start(struct onramp *o, struct onramp_build *b)
{
	b->o = o;
	b->cfg = onramp_cfg_hold(o);
	b->fr.call_id = b->call_id;
	b->fr.tiff_path = b->tiff;
	b->fr.ani = b->ani;
	b->fr.dnis = b->dnis;
	b->fr.rdnis = b->rdnis;
	b->fr.remote_csi = b->csi;
	b->fr.reason = b->reason;
	if (offload_run(o->builders, onramp_build_work, onramp_build_done, b) == -1) {
		/* The pages stay in "incoming": the next start mails them. */
		log_warnx("call=%s job=%s event=mail result=deferred reason=\"out of "
		    "memory\"", b->call_id, b->incoming);
		config_free(b->cfg);
		free(b->ev);
		free(b);
	}
}

/*
 * A recovered call: its record and its pages (if spandsp closed the file
 * readably), rewritten to Profile S. 0 when there is something to mail.
 */
static int
onramp_build_recovered(struct onramp_build *b)
{
	struct spool *sp = b->o->sp;
	struct fax_tiff_info info;
	struct spool_rec *rec;
	char in[PATH_MAX], err[256];
	const char *v;

	rec = spool_rec_load(sp, SPOOL_Q_INCOMING, b->incoming, ONRAMP_RX_CALL, err,
	    sizeof(err));
	snprintf(b->call_id, sizeof(b->call_id), "%s",
	    rec && (v = spool_rec_get(rec, "call")) ? v : b->incoming);
	snprintf(b->ani, sizeof(b->ani), "%s", rec && (v = spool_rec_get(rec, "ani")) ? v : "");
	snprintf(b->dnis, sizeof(b->dnis), "%s",
	    rec && (v = spool_rec_get(rec, "dnis")) ? v : "");
	snprintf(b->rdnis, sizeof(b->rdnis), "%s",
	    rec && (v = spool_rec_get(rec, "rdnis")) ? v : "");
	snprintf(b->reason, sizeof(b->reason), "%s",
	    rec != NULL ? ONRAMP_RECOVERED_WHY : ONRAMP_NOREC_WHY);
	spool_rec_free(rec);
	b->fr.partial = true;
	b->fr.remove_tiff = true;
	if (spool_path(sp, SPOOL_Q_INCOMING, b->incoming, ONRAMP_RX_FILE, in, sizeof(in)) == -1 ||
	    spool_path(sp, SPOOL_Q_INCOMING, b->incoming, ONRAMP_RECOVERED, b->tiff,
	    sizeof(b->tiff)) == -1)
		return -1;
	memset(&info, 0, sizeof(info));
	if (access(in, F_OK) != 0 ||
	    fax_tiff_profile_s(in, b->tiff, &info, err, sizeof(err)) != 0 || info.pages <= 0) {
		log_info("job=%s event=rx-recovered pages=0 result=discarded reason=\"%s\"",
		    b->incoming, access(in, F_OK) == 0 ? err : "no pages were received");
		return 1;
	}
	b->fr.pages = (unsigned)info.pages;
	return 0;
}

static void
onramp_build_work(void *arg)
{
	struct onramp_build *b = arg;
	char err[256], e1[LOG_ESC_BUFSZ], e2[LOG_ESC_BUFSZ];
	int r = 0;

	/* spandsp wrote MH; the line left the rewrite to us. When it fails
	 * the pages are mailed as spandsp wrote them. */
	if (!b->recovery && b->profile_s && b->fr.pages > 0 &&
	    fax_tiff_profile_s(b->tiff, b->tiff, NULL, err, sizeof(err)) != 0)
		log_warnx("call=%s fax profile-s=failed file=%s error=%s", b->call_id,
		    log_str(e1, sizeof(e1), b->tiff), log_str(e2, sizeof(e2), err));
	if (b->recovery && (r = onramp_build_recovered(b)) != 0) {
		b->rc = r < 0 ? -1 : 1;         /* a damaged job stays for the operator */
	} else {
		b->rc = onramp_mail(b->cfg, b->o->sp, &b->fr, b->id);
		if (b->recovery)
			log_info("job=%s event=rx-recovered pages=%u result=%s", b->incoming,
			    b->fr.pages, b->rc == 0 ? "queued" : b->rc == 1 ? "not-mailed" :
			    "error");
	}
}

static void
onramp_build_done(void *arg)
{
	struct onramp_build *b = arg;

	if (b->rc == 0 && b->o->q != NULL)
		mailq_add(b->o->q, b->id);
	/* Mailed (0) or not mailed by policy (1): the call's job is done. On
	 * an error the pages stay in "incoming" and the next start mails them. */
	if (b->rc >= 0)
		onramp_drop(b->o, b->call_id, b->incoming);
	onramp_build_record(b);
	config_free(b->cfg);
	free(b->ev);
	free(b);
}

/* The call's record, linked to its mail job. A recovered call has no
 * event from the line: what its incoming job kept stands in for it. */
static void
onramp_build_record(struct onramp_build *b)
{
	struct cdr_call_link link = { .rcpt = -1 };
	struct sip_event *ev = b->ev;

	if (ev == NULL && b->recovery && (ev = calloc(1, sizeof(*ev))) != NULL) {
		snprintf(ev->call_id, sizeof(ev->call_id), "%.*s", (int)sizeof(ev->call_id) - 1,
		    b->call_id);
		ev->dir = SIP_DIR_ONRAMP;
		snprintf(ev->ani, sizeof(ev->ani), "%s", b->ani);
		snprintf(ev->dnis, sizeof(ev->dnis), "%s", b->dnis);
		snprintf(ev->rdnis, sizeof(ev->rdnis), "%s", b->rdnis);
		snprintf(ev->reason, sizeof(ev->reason), "%s", b->reason);
		ev->result = b->fr.pages > 0 ? SIP_RESULT_PARTIAL : SIP_RESULT_FAILED;
		ev->cause = SIP_CAUSE_LOCAL;
		ev->pages = b->fr.pages;
		link.recovered = true;
		b->ev = ev;             /* freed with b */
	}
	if (ev == NULL)
		return;
	link.peer = b->peer;
	link.job = b->rc == 0 ? b->id : NULL;
	link.mail = b->rc == 0 ? "queued" : b->rc == 1 ? "not-mailed" : "error";
	cdr_call(b->o->cdr, ev, &link);
}
