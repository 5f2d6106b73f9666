/*
 * gateway/parts: the daemon's working subsystems and the wiring between
 * them. Registered with the life cycle of gateway/gw.h, in this order:
 *
 *   onramp   the mail queue (gateway/queue): onramp faxes and the DSNs and
 *            MDNs of the offramp go out through it
 *   offramp  the offramp runner (gateway/offramp_run): accepted mail ->
 *            fax pages -> calls through the line -> DSNs into the queue
 *   line     the SIP line thread (sip/): incoming calls are routed here
 *            through the dial-peers; its events go to the onramp (a fax
 *            was received) and to the offramp (a call it placed ended)
 *   smtpd    the offramp SMTP listener (gateway/intake): each message made
 *            durable is handed to the offramp at once
 *
 * Received faxes: an accepted call gets a job in the spool queue
 * "incoming" (the call record) and spandsp writes the pages into it. When
 * the call ends, the pages become an onramp job (gw_onramp_fax_received)
 * and the incoming job is removed. A job still in "incoming" at start-up
 * is a call the gateway did not see end: its pages are mailed as a
 * partial fax with that reason (DESIGN.md "Spool").
 *
 * Threads: everything here runs on the mail thread except parts_route(),
 * which the line thread calls for each incoming INVITE; it reads only the
 * config it holds (immutable) and the max-conn counters under p->lock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/gw.h"
#include "gateway/intake/intake.h"
#include "util/log.h"
#include "gateway/offramp/offramp.h"
#include "gateway/parts.h"
#include "gateway/mailq/mailq.h"
#include "gateway/spool/spool.h"
#include "sip/sip.h"

#define PARTS_RX_FILE    "fax.tif"      /* the pages, in the incoming job */
#define PARTS_RX_CALL    "call"         /* the call record (spool_rec) */
#define PARTS_RECOVERED  "fax.recovered.tif"

/* One accepted onramp call, for max-conn and for finding its spool job. */
struct parts_call {
	struct parts_call *next;
	char call_id[SIP_CALL_ID_MAX];
	unsigned peer_tag;              /* the mmoip dial-peer that took it */
	char job[SPOOL_ID_LEN + 1];     /* its job in SPOOL_Q_INCOMING */
	int mailed;                     /* FAX_RECEIVED handled */
};

struct gw_parts {
	struct gw *gw;                  /* borrowed: owns us through the hooks */
	const struct config *cfg;       /* held (gw_config_hold) */
	struct queue *queue;            /* owned */
	struct gw_offramp *offramp;     /* owned */
	struct sip_line *line;          /* owned */
	struct event *line_ev;          /* owned: the line's event notification */
	struct gw_intake *intake;       /* owned */
	pthread_mutex_t lock;           /* calls, stopping: line vs mail thread */
	struct parts_call *calls;       /* owned list */
	int stopping;                   /* no new incoming calls */
};

static void parts_free_all(struct gw_parts *p);

static int queue_open(struct gw *gw, void *arg, char *err, size_t errlen);
static int queue_start_cb(struct gw *gw, void *arg, char *err, size_t errlen);
static void queue_reload(struct gw *gw, void *arg, const struct config *cfg);
static void queue_stop_cb(struct gw *gw, void *arg);
static unsigned queue_inflight_cb(struct gw *gw, void *arg);
static void queue_free_cb(struct gw *gw, void *arg);

static int offramp_open(struct gw *gw, void *arg, char *err, size_t errlen);
static int offramp_start(struct gw *gw, void *arg, char *err, size_t errlen);
static unsigned offramp_inflight(struct gw *gw, void *arg);
static void offramp_free(struct gw *gw, void *arg);
static int offramp_dial(void *arg, const struct sip_dial_request *req);
static void offramp_committed(void *arg, const char *id);

static int line_open(struct gw *gw, void *arg, char *err, size_t errlen);
static int line_start(struct gw *gw, void *arg, char *err, size_t errlen);
static void line_reload(struct gw *gw, void *arg, const struct config *cfg);
static void line_stop(struct gw *gw, void *arg);
static unsigned line_inflight(struct gw *gw, void *arg);
static void line_free(struct gw *gw, void *arg);
static int line_options(struct gw_parts *p, const struct config *cfg,
    struct sip_line_options *o, char *err, size_t errlen);
static void line_admit_targets(const struct config *cfg, struct sip_admit_options *a);
static void line_event_cb(evutil_socket_t fd, short what, void *arg);
static void line_fax_received(struct gw_parts *p, const struct sip_event *ev);
static void line_call_finished(struct gw_parts *p, const struct sip_event *ev);
static void parts_route(const struct sip_call_info *info,
    struct sip_route_decision *d, void *arg);
static int rx_job_new(struct gw_parts *p, const struct sip_call_info *info,
    char job[SPOOL_ID_LEN + 1], char *path, size_t pathsz);
static int rx_recover(const char *id, void *arg);
static struct parts_call *call_find(struct gw_parts *p, const char *call_id);
static void call_forget(struct gw_parts *p, const char *call_id);

static int smtpd_open(struct gw *gw, void *arg, char *err, size_t errlen);
static void smtpd_reload(struct gw *gw, void *arg, const struct config *cfg);
static void smtpd_stop(struct gw *gw, void *arg);
static unsigned smtpd_inflight(struct gw *gw, void *arg);
static void smtpd_free(struct gw *gw, void *arg);

/* The queue is opened first: when its open() never succeeded, no other
 * part was opened either, and its discard() frees the shared state. */
static const struct gw_subsys parts_queue_ops = {
	"onramp", queue_open, queue_start_cb, queue_reload, queue_stop_cb,
	queue_inflight_cb, queue_free_cb, queue_free_cb,
};
static const struct gw_subsys parts_offramp_ops = {
	"offramp", offramp_open, offramp_start, NULL, NULL,
	offramp_inflight, offramp_free, NULL,
};
static const struct gw_subsys parts_line_ops = {
	"line", line_open, line_start, line_reload, line_stop, line_inflight,
	line_free, NULL,
};
static const struct gw_subsys parts_smtpd_ops = {
	"smtpd", smtpd_open, NULL, smtpd_reload, smtpd_stop, smtpd_inflight, smtpd_free,
	NULL,
};

int
gw_parts_register(struct gw *gw)
{
	struct gw_parts *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->gw = gw;
	pthread_mutex_init(&p->lock, NULL);
	/* The queue is registered first, so it is freed last, with p. */
	if (gw_register(gw, &parts_queue_ops, p) == -1) {
		pthread_mutex_destroy(&p->lock);
		free(p);
		return -1;
	}
	if (gw_register(gw, &parts_offramp_ops, p) == -1 ||
	    gw_register(gw, &parts_line_ops, p) == -1 ||
	    gw_register(gw, &parts_smtpd_ops, p) == -1)
		return -1;      /* p is freed with the queue's free() */
	return 0;
}

/* ---- onramp: the mail queue -------------------------------------------- */

static int
queue_open(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct gw_parts *p = arg;

	p->cfg = gw_config_hold(gw);
	if ((p->queue = queue_new(gw_base(gw), gw_spool(gw), err, errlen)) == NULL)
		return -1;
	queue_set_config(p->queue, p->cfg);
	return 0;
}

static int
queue_start_cb(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct gw_parts *p = arg;

	(void)gw;
	return queue_start(p->queue, err, errlen);
}

static void
queue_reload(struct gw *gw, void *arg, const struct config *cfg)
{
	struct gw_parts *p = arg;
	const struct config *old = p->cfg;

	/* The queue is reloaded first (it was registered first): it takes
	 * the reference that p->cfg holds for every part; the parts reloaded
	 * after it switch to p->cfg. The old config lives on while sessions
	 * that started under it still hold it. */
	(void)cfg;
	p->cfg = gw_config_hold(gw);
	queue_set_config(p->queue, p->cfg);
	if (p->offramp != NULL)
		gw_offramp_set_config(p->offramp, p->cfg);
	if (old != NULL)
		gw_config_release(gw, old);
}

static void
queue_stop_cb(struct gw *gw, void *arg)
{
	(void)gw;
	queue_stop(((struct gw_parts *)arg)->queue);
}

static unsigned
queue_inflight_cb(struct gw *gw, void *arg)
{
	(void)gw;
	return queue_inflight(((struct gw_parts *)arg)->queue);
}

static void
queue_free_cb(struct gw *gw, void *arg)
{
	(void)gw;
	parts_free_all(arg);
}

/* Last one out: the queue, then the shared state. */
static void
parts_free_all(struct gw_parts *p)
{
	struct parts_call *c;

	queue_free(p->queue);
	while ((c = p->calls) != NULL) {
		p->calls = c->next;
		free(c);
	}
	if (p->cfg != NULL)
		gw_config_release(p->gw, p->cfg);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- offramp: the runner ------------------------------------------------ */

static int
offramp_open(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct gw_parts *p = arg;

	p->offramp = gw_offramp_new(gw_base(gw), gw_spool(gw), p->queue, p->cfg,
	    offramp_dial, p, err, errlen);
	return p->offramp == NULL ? -1 : 0;
}

static int
offramp_start(struct gw *gw, void *arg, char *err, size_t errlen)
{
	(void)gw;
	return gw_offramp_start(((struct gw_parts *)arg)->offramp, err, errlen);
}

static unsigned
offramp_inflight(struct gw *gw, void *arg)
{
	(void)gw;
	return gw_offramp_calls(((struct gw_parts *)arg)->offramp);
}

static void
offramp_free(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	gw_offramp_free(p->offramp);
	p->offramp = NULL;
}

static int
offramp_dial(void *arg, const struct sip_dial_request *req)
{
	struct gw_parts *p = arg;

	if (p->line == NULL) {
		errno = ENOTCONN;
		return -1;
	}
	return sip_line_dial(p->line, req);
}

static void
offramp_committed(void *arg, const char *id)
{
	struct gw_parts *p = arg;

	if (p->offramp != NULL)
		gw_offramp_add(p->offramp, id);
}

/* ---- line: SIP calls ----------------------------------------------------- */

static int
line_options(struct gw_parts *p, const struct config *cfg, struct sip_line_options *o,
    char *err, size_t errlen)
{
	const struct config_listen *l;
	const struct config_trunk *t;
	struct sip_trunk *st;
	const char *h;
	size_t i;

	sip_line_options_init(o);
	for (i = 0; i < cfg->sip.n_listen; i++) {
		l = &cfg->sip.listen[i];
		if (l->transport == CONFIG_TRANSPORT_UDP && o->nlisten_udp < SIP_MAX_LISTEN)
			snprintf(o->listen_udp[o->nlisten_udp++], SIP_ADDR_MAX,
			    strchr(l->addr, ':') ? "[%s]:%u" : "%s:%u", l->addr, l->port);
		else if (l->transport == CONFIG_TRANSPORT_TCP && o->nlisten_tcp < SIP_MAX_LISTEN)
			snprintf(o->listen_tcp[o->nlisten_tcp++], SIP_ADDR_MAX,
			    strchr(l->addr, ':') ? "[%s]:%u" : "%s:%u", l->addr, l->port);
	}
	o->t38 = cfg->sip.t38 == CONFIG_T38_OFF ? SIP_T38_OFF :
	    cfg->sip.t38 == CONFIG_T38_IMMEDIATE ? SIP_T38_IMMEDIATE : SIP_T38_ON;
	o->codec = cfg->sip.n_codecs > 0 && cfg->sip.codecs[0] == CONFIG_CODEC_PCMA ?
	    SIP_CODEC_PCMA : SIP_CODEC_PCMU;
	o->rtp_port_min = (uint16_t)cfg->sip.rtp_min;
	o->rtp_port_max = (uint16_t)cfg->sip.rtp_max;
	if (cfg->sip.max_calls > 0)
		o->max_calls = cfg->sip.max_calls;
	if (cfg->sip.media_timeout > 0)
		o->media_timeout_s = cfg->sip.media_timeout;
	snprintf(o->user_agent, sizeof(o->user_agent), "t37gw/%s", T37GW_VERSION);
	for (i = 0; i < cfg->n_trunks; i++) {
		if (o->ntrunks >= SIP_MAX_TRUNKS) {
			snprintf(err, errlen, "more than %d trunks", SIP_MAX_TRUNKS);
			return -1;
		}
		t = &cfg->trunks[i];
		st = &o->trunks[o->ntrunks++];
		snprintf(st->name, sizeof(st->name), "%s", t->name);
		snprintf(st->proxy, sizeof(st->proxy), "%s", t->proxy);
		/* Calls through a trunk go to sip:NUMBER@<the proxy's host>. */
		h = strncmp(t->proxy, "sips:", 5) == 0 ? t->proxy + 5 :
		    strncmp(t->proxy, "sip:", 4) == 0 ? t->proxy + 4 : t->proxy;
		snprintf(st->domain, sizeof(st->domain), "%.*s", (int)strcspn(h, ";>"), h);
		snprintf(st->user, sizeof(st->user), "%s", t->auth_user);
		snprintf(st->password, sizeof(st->password), "%s", t->auth_password);
		st->do_register = t->do_register;
		st->register_expiry = t->register_expires;
		st->max_calls = t->max_calls;
		st->asserted_id = t->asserted_id == CONFIG_ASSERTED_PAI ? SIP_ASSERTED_PAI :
		    t->asserted_id == CONFIG_ASSERTED_PPI ? SIP_ASSERTED_PPI : SIP_ASSERTED_NONE;
		snprintf(st->inbound_user, sizeof(st->inbound_user), "%s", t->inbound_user);
		snprintf(st->inbound_password, sizeof(st->inbound_password), "%s",
		    t->inbound_password);
	}
	/* Who may call: the trunks, what sip allow lists, at the rates set. */
	o->admit.enabled = true;
	for (i = 0; i < cfg->sip.n_allow && i < SIP_MAX_ALLOW; i++) {
		o->admit.allow[i].family = cfg->sip.allow[i].family;
		memcpy(o->admit.allow[i].addr, cfg->sip.allow[i].addr, 16);
		o->admit.allow[i].prefix = cfg->sip.allow[i].prefix;
	}
	o->admit.nallow = (unsigned)i;
	line_admit_targets(cfg, &o->admit);
	o->admit.max_call_rate = cfg->sip.max_call_rate;
	o->admit.max_calls_per_source = cfg->sip.max_calls_per_source;
	snprintf(o->admit.realm, sizeof(o->admit.realm), "%s", cfg->hostname);
	o->route = parts_route;
	o->route_arg = p;
	return 0;
}

/*
 * The address of a voip dial-peer's `session target sip:...@ADDRESS` (and
 * Cisco's ipv4:ADDRESS) is a carrier like a trunk: calls from it are
 * admitted too, so that a Cisco configuration works without a trunk.
 * Host names there are not looked up (a trunk is the place for them).
 */
static void
line_admit_targets(const struct config *cfg, struct sip_admit_options *a)
{
	char host[CONFIG_ADDR_MAX];
	struct sip_cidr c;
	const char *h, *e;
	size_t i, j, n;

	for (i = 0; i < cfg->n_peers && a->nallow < SIP_MAX_ALLOW; i++) {
		const struct config_dial_peer *d = &cfg->peers[i];

		if (d->type != CONFIG_PEER_VOIP || d->shutdown || d->target_kind != CONFIG_TARGET_SIP)
			continue;
		h = strchr(d->target, ':') + 1;
		if (strchr(h, '@') != NULL)
			h = strchr(h, '@') + 1;
		if (*h == '[')
			e = strchr(++h, ']');
		else
			e = h + strcspn(h, ":;>");
		n = e != NULL ? (size_t)(e - h) : 0;
		if (n == 0 || n >= sizeof(host))
			continue;
		memcpy(host, h, n);
		host[n] = '\0';
		memset(&c, 0, sizeof(c));
		if (inet_pton(AF_INET, host, c.addr) == 1) {
			c.family = AF_INET;
			c.prefix = 32;
		} else if (inet_pton(AF_INET6, host, c.addr) == 1) {
			c.family = AF_INET6;
			c.prefix = 128;
		} else {
			continue;
		}
		for (j = 0; j < a->nallow; j++)
			if (memcmp(&a->allow[j], &c, sizeof(c)) == 0)
				break;
		if (j == a->nallow)
			a->allow[a->nallow++] = c;
	}
}

static int
line_open(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct gw_parts *p = arg;
	struct sip_line_options o;

	if (line_options(p, p->cfg, &o, err, errlen) == -1)
		return -1;
	p->line_ev = event_new(gw_base(gw), -1, 0, line_event_cb, p);
	if (p->line_ev == NULL) {
		snprintf(err, errlen, "line: cannot create its event");
		return -1;
	}
	/* Binds the SIP and media sockets now, before privileges are dropped. */
	if ((p->line = sip_line_start(&o, p->line_ev)) == NULL) {
		snprintf(err, errlen, "line: cannot start the SIP line: %s (see above)",
		    strerror(errno));
		event_free(p->line_ev);         /* free() is not called for it */
		p->line_ev = NULL;
		return -1;
	}
	return 0;
}

/* Faxes whose calls the gateway did not see end are mailed now. */
static int
line_start(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct gw_parts *p = arg;

	if (spool_scan(gw_spool(gw), SPOOL_Q_INCOMING, rx_recover, p) == -1) {
		snprintf(err, errlen, "spool queue %s: cannot scan: %s", SPOOL_Q_INCOMING,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
line_reload(struct gw *gw, void *arg, const struct config *cfg)
{
	struct gw_parts *p = arg;
	struct sip_line_options o;
	char err[GW_ERR_MAX];

	(void)gw, (void)cfg;
	if (p->line == NULL)
		return;
	if (line_options(p, p->cfg, &o, err, sizeof(err)) == -1 ||
	    sip_line_reconfigure(p->line, &o) == -1)
		log_warnx("event=reload part=line result=failed error=\"%s\"", err);
}

static void
line_stop(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;        /* calls in progress finish; new ones get 486 */
	pthread_mutex_unlock(&p->lock);
}

static unsigned
line_inflight(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	return p->line != NULL ? sip_line_active_calls(p->line) : 0;
}

static void
line_free(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	sip_line_stop(p->line);         /* joins the thread; frees its events */
	p->line = NULL;
	if (p->line_ev != NULL)
		event_free(p->line_ev);
	p->line_ev = NULL;
}

static void
line_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_parts *p = arg;
	struct sip_event *ev;

	(void)fd, (void)what;
	while (p->line != NULL && (ev = sip_line_next_event(p->line)) != NULL) {
		switch (ev->type) {
		case SIP_EV_CALL_OFFERED:
			break;
		case SIP_EV_FAX_RECEIVED:
			if (ev->dir == SIP_DIR_ONRAMP)
				line_fax_received(p, ev);
			break;
		case SIP_EV_CALL_FINISHED:
			line_call_finished(p, ev);
			break;
		}
		free(ev);
	}
	gw_drain_check(p->gw);
}

/* The pages of an onramp call are in its incoming job: mail them. */
static void
line_fax_received(struct gw_parts *p, const struct sip_event *ev)
{
	struct gw_fax_received fr;
	struct parts_call *c;
	char id[SPOOL_ID_LEN + 1], job[SPOOL_ID_LEN + 1];
	int rc;

	pthread_mutex_lock(&p->lock);
	c = call_find(p, ev->call_id);
	if (c != NULL) {
		snprintf(job, sizeof(job), "%s", c->job);
		c->mailed = 1;
	}
	pthread_mutex_unlock(&p->lock);
	if (c == NULL) {
		log_warnx("call=%s event=fax-received result=dropped reason=\"unknown call\"",
		    ev->call_id);
		return;
	}
	memset(&fr, 0, sizeof(fr));
	fr.call_id = ev->call_id;
	fr.tiff_path = ev->rx_path;
	fr.remove_tiff = true;
	fr.ani = ev->ani;
	fr.dnis = ev->dnis;
	fr.rdnis = ev->rdnis;
	fr.remote_csi = ev->remote_ident;
	fr.pages = ev->pages;
	fr.rate = ev->rate;
	fr.duration = ev->secs;
	fr.ecm = ev->ecm;
	fr.partial = ev->result != SIP_RESULT_OK;
	fr.reason = ev->reason;
	rc = gw_onramp_fax_received(p->queue, &fr, id);
	/* Queued (0) or not mailed by policy (1): the call's job is done. On
	 * an error the pages stay in "incoming" and the next start mails them. */
	if (rc >= 0 && spool_remove(gw_spool(p->gw), SPOOL_Q_INCOMING, job) == -1)
		log_warn("call=%s job=%s event=rx-cleanup", ev->call_id, job);
}

static void
line_call_finished(struct gw_parts *p, const struct sip_event *ev)
{
	struct parts_call *c;
	char job[SPOOL_ID_LEN + 1] = "";
	int mailed = 1;

	if (ev->dir == SIP_DIR_OFFRAMP) {
		if (p->offramp != NULL)
			gw_offramp_call_finished(p->offramp, ev);
		return;
	}
	pthread_mutex_lock(&p->lock);
	if ((c = call_find(p, ev->call_id)) != NULL) {
		snprintf(job, sizeof(job), "%s", c->job);
		mailed = c->mailed;
	}
	pthread_mutex_unlock(&p->lock);
	call_forget(p, ev->call_id);
	if (c == NULL || mailed)
		return;
	/* No pages arrived: nothing to mail (DESIGN: a call with 0 pages is
	 * logged, not mailed). */
	log_info("call=%s dir=onramp result=nofax reason=\"%s\" mailed=0", ev->call_id,
	    ev->reason[0] != '\0' ? ev->reason : sip_result_name(ev->result));
	if (spool_remove(gw_spool(p->gw), SPOOL_Q_INCOMING, job) == -1 && errno != ENOENT)
		log_warn("call=%s job=%s event=rx-cleanup", ev->call_id, job);
}

/*
 * The line thread asks: may this call be answered, and where do its pages
 * go? The voip dial-peers' `incoming called-number` (when any is set) must
 * match the called number; the best mmoip `destination-pattern` match must
 * have a mailto target and room under its max-conn.
 */
static void
parts_route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	struct gw_parts *p = arg;
	const struct config *cfg = gw_config_hold(p->gw);
	const struct config_dial_peer *peer = NULL;
	struct parts_call *c, *nc = NULL;
	char ani[LOG_ESC_BUFSZ], dnis[LOG_ESC_BUFSZ], src[LOG_ESC_BUFSZ], desc[LOG_ESC_BUFSZ];
	const char *why = NULL, *csi;
	unsigned active = 0;
	size_t i;
	int voip_in = 0;

	d->action = SIP_ROUTE_REJECT_NOT_FOUND;
	for (i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].type == CONFIG_PEER_VOIP && cfg->peers[i].has_incoming &&
		    !cfg->peers[i].shutdown)
			voip_in = 1;
	if (voip_in && config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_INCOMING,
	    info->dnis) == NULL)
		why = "no voip dial-peer with a matching incoming called-number";
	else if ((peer = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION,
	    info->dnis)) == NULL || peer->target_kind != CONFIG_TARGET_MAILTO)
		why = "no mmoip dial-peer with a matching destination-pattern";

	pthread_mutex_lock(&p->lock);
	if (why == NULL && p->stopping) {
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "the gateway is shutting down";
	}
	if (why == NULL && peer->max_conn > 0) {
		for (c = p->calls; c != NULL; c = c->next)
			active += c->peer_tag == peer->tag;
		if (active >= peer->max_conn) {
			d->action = SIP_ROUTE_REJECT_BUSY;
			why = "the dial-peer's max-conn is reached";
		}
	}
	if (why == NULL && (nc = calloc(1, sizeof(*nc))) != NULL) {
		snprintf(nc->call_id, sizeof(nc->call_id), "%s", info->call_id);
		nc->peer_tag = peer->tag;
		nc->next = p->calls;
		p->calls = nc;
	} else if (why == NULL) {
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "out of memory";
	}
	pthread_mutex_unlock(&p->lock);

	if (why == NULL && rx_job_new(p, info, nc->job, d->rx_path, sizeof(d->rx_path)) == -1) {
		call_forget(p, info->call_id);
		d->action = SIP_ROUTE_REJECT_BUSY;
		why = "the spool cannot take the fax";
	}
	if (why != NULL) {
		log_info("call=%s dir=onramp ani=%s dnis=%s result=refused sip=%d reason=\"%s\"",
		    info->call_id, log_str(ani, sizeof(ani), info->ani),
		    log_str(dnis, sizeof(dnis), info->dnis),
		    d->action == SIP_ROUTE_REJECT_BUSY ? 486 : 404, why);
		gw_config_release(p->gw, cfg);
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
	gw_config_release(p->gw, cfg);
}

/* A job in "incoming" holding the call record; the pages go beside it. */
static int
rx_job_new(struct gw_parts *p, const struct sip_call_info *info,
    char job[SPOOL_ID_LEN + 1], char *path, size_t pathsz)
{
	struct spool *sp = gw_spool(p->gw);
	struct spool_job *j;
	struct spool_rec *rec;
	const char *data;
	size_t len;
	int rc = -1;

	if ((rec = spool_rec_new()) == NULL)
		return -1;
	if (spool_rec_add(rec, "call", info->call_id) == 0 &&
	    spool_rec_add(rec, "ani", info->ani) == 0 &&
	    spool_rec_add(rec, "dnis", info->dnis) == 0 &&
	    spool_rec_add(rec, "rdnis", info->rdnis) == 0 &&
	    spool_rec_add_u64(rec, "started", (uint64_t)time(NULL)) == 0 &&
	    (j = spool_job_new(sp, SPOOL_Q_INCOMING, job)) != NULL) {
		data = spool_rec_data(rec, &len);
		if (spool_job_write(j, PARTS_RX_CALL, data, len) == 0) {
			if (spool_job_commit(j) == 0)
				rc = spool_path(sp, SPOOL_Q_INCOMING, job, PARTS_RX_FILE, path, pathsz);
		} else {
			spool_job_abort(j);
		}
	}
	if (rc == -1)
		log_warn("call=%s event=rx-job", info->call_id);
	spool_rec_free(rec);
	return rc;
}

/*
 * Start-up: an incoming job whose call never ended in this process. Its
 * pages (if spandsp closed the file readably) are mailed as a partial fax.
 */
static int
rx_recover(const char *id, void *arg)
{
	struct gw_parts *p = arg;
	struct spool *sp = gw_spool(p->gw);
	struct fax_tiff_info info;
	struct gw_fax_received fr;
	struct spool_rec *rec;
	char in[4096], out[4096], err[256], qid[SPOOL_ID_LEN + 1];
	char callid[SIP_CALL_ID_MAX + 8];
	int rc = 1;

	rec = spool_rec_load(sp, SPOOL_Q_INCOMING, id, PARTS_RX_CALL, err, sizeof(err));
	if (spool_path(sp, SPOOL_Q_INCOMING, id, PARTS_RX_FILE, in, sizeof(in)) == -1 ||
	    spool_path(sp, SPOOL_Q_INCOMING, id, PARTS_RECOVERED, out, sizeof(out)) == -1) {
		spool_rec_free(rec);
		return 0;
	}
	memset(&info, 0, sizeof(info));
	if (access(in, F_OK) == 0 &&
	    fax_tiff_profile_s(in, out, &info, err, sizeof(err)) == 0 && info.pages > 0) {
		memset(&fr, 0, sizeof(fr));
		snprintf(callid, sizeof(callid), "%s",
		    rec && spool_rec_get(rec, "call") ? spool_rec_get(rec, "call") : id);
		fr.call_id = callid;
		fr.tiff_path = out;
		fr.remove_tiff = true;
		fr.ani = rec ? spool_rec_get(rec, "ani") : NULL;
		fr.dnis = rec ? spool_rec_get(rec, "dnis") : NULL;
		fr.rdnis = rec ? spool_rec_get(rec, "rdnis") : NULL;
		fr.pages = (unsigned)info.pages;
		fr.partial = true;
		fr.reason = "the gateway stopped during the call";
		rc = gw_onramp_fax_received(p->queue, &fr, qid);
		log_info("job=%s event=rx-recovered pages=%d result=%s", id, info.pages,
		    rc == 0 ? "queued" : rc == 1 ? "not-mailed" : "error");
	} else {
		log_info("job=%s event=rx-recovered pages=0 result=discarded reason=\"%s\"", id,
		    access(in, F_OK) == 0 ? err : "no pages were received");
	}
	if (rc >= 0 && spool_remove(sp, SPOOL_Q_INCOMING, id) == -1)
		log_warn("job=%s event=rx-cleanup", id);
	spool_rec_free(rec);
	return 0;
}

/* Caller holds p->lock. */
static struct parts_call *
call_find(struct gw_parts *p, const char *call_id)
{
	struct parts_call *c;

	for (c = p->calls; c != NULL; c = c->next)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

static void
call_forget(struct gw_parts *p, const char *call_id)
{
	struct parts_call **pp, *c;

	pthread_mutex_lock(&p->lock);
	for (pp = &p->calls; (c = *pp) != NULL; pp = &c->next) {
		if (strcmp(c->call_id, call_id) == 0) {
			*pp = c->next;
			free(c);
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

/* ---- smtpd: the offramp listener ----------------------------------------- */

static int
smtpd_open(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct gw_parts *p = arg;

	if (p->cfg->mta_receive.n_listen == 0) {
		/* An onramp-only gateway: nothing binds port 25 beside the
		 * host's own MTA. Listeners are not changed by a reload. */
		if (p->cfg->mta_receive.maximum_recipients > 0)
			log_warnx("smtp listener=none maximum-recipients=%u reason=\"no 'mta "
			    "receive listen' line: no mail can arrive\"",
			    p->cfg->mta_receive.maximum_recipients);
		else
			log_info("smtp listener=none reason=\"no 'mta receive listen' line\"");
		return 0;
	}
	p->intake = gw_intake_new(gw_base(gw), p->cfg, gw_spool(gw), err, errlen);
	if (p->intake == NULL)
		return -1;
	gw_intake_set_committed(p->intake, offramp_committed, p);
	/* Binds the listeners now, before privileges are dropped. */
	return gw_intake_start(p->intake, err, errlen);
}

static void
smtpd_reload(struct gw *gw, void *arg, const struct config *cfg)
{
	struct gw_parts *p = arg;
	char err[GW_ERR_MAX];

	(void)gw, (void)cfg;
	if (p->intake != NULL && gw_intake_set_config(p->intake, p->cfg, err, sizeof(err)) == -1)
		log_warnx("event=reload part=smtpd result=failed error=\"%s\"", err);
}

/* Shutdown: the listeners close, idle sessions get 421, transactions that
 * are open may finish within the deadline. */
static void
smtpd_stop(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	if (p->intake != NULL)
		gw_intake_shutdown(p->intake);
}

static unsigned
smtpd_inflight(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	return p->intake != NULL ? gw_intake_inflight(p->intake) : 0;
}

/* What is being committed finishes first (gw_intake_free waits for the
 * committer); sessions still open lose their unconfirmed message. */
static void
smtpd_free(struct gw *gw, void *arg)
{
	struct gw_parts *p = arg;

	(void)gw;
	gw_intake_free(p->intake);
	p->intake = NULL;
}
