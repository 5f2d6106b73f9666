/*
 * gateway/parts: the daemon's parts and the wiring between them, opened,
 * started, stopped and freed in one explicit sequence (gw.h shows it):
 *
 *   mailq    the outbound mail queue (gateway/mailq): onramp faxes and the
 *            DSNs and MDNs of the offramp go out through it
 *   offramp  accepted mail -> fax pages -> calls through the line -> DSNs
 *            into the mail queue (gateway/offramp)
 *   onramp   incoming calls routed through the dial-peers, their pages
 *            mailed through the mail queue (gateway/onramp)
 *   line     the SIP line thread (sip/): routes incoming calls through the
 *            onramp; its events go to the onramp (a fax was received) and
 *            to the offramp (a call it placed ended)
 *   smtpd    the offramp's SMTP listener (gateway/intake): each message
 *            made durable is handed to the offramp at once; absent without
 *            `mta receive listen`
 *   cdr      the call and job records (gateway/cdr) the onramp, the offramp
 *            and the mail queue write; opened at start by the run user
 *            (after the drop, as every reopen is), reopened on SIGUSR1,
 *            freed last; absent without `cdr FILE`
 *   metrics  the /metrics and /healthz listener (gateway/metrics); absent
 *            without `metrics listen`
 *
 * Every part is opened before the privilege drop (the line and the
 * listener bind their sockets then) and started after it. Each holds the
 * config it was given (config_hold()) until a reload gives it the next.
 * Everything here runs on the mail thread; the line's events arrive
 * through their util/chan.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config/config.h"
#include "gateway/cdr/cdr.h"
#include "gateway/ctl/ctl.h"
#include "gateway/gw.h"
#include "gateway/intake/intake.h"
#include "gateway/mailq/mailq.h"
#include "gateway/metrics/metrics.h"
#include "gateway/offramp/offramp.h"
#include "gateway/onramp/onramp.h"
#include "gateway/parts_int.h"
#include "sip/sip.h"
#include "util/chan.h"
#include "util/log.h"

static int parts_open(struct gw_parts *p);
static int parts_start(struct gw_parts *p);
static void parts_reload(void *arg, const struct config *cfg);
static void parts_stop(void *arg);
static void parts_reopen(void *arg);
static int parts_cdr_open(struct gw_parts *p, char *err, size_t errlen);
static int parts_ctl_open(struct gw_parts *p, char *err, size_t errlen);
static unsigned parts_inflight(void *arg);
static void parts_free(struct gw_parts *p);
static int parts_failed(const char *part, const char *err);
static int line_open(struct gw_parts *p, const struct config *cfg, char *err,
    size_t errlen);
static int line_options(struct gw_parts *p, const struct config *cfg,
    struct sip_line_options *o, char *err, size_t errlen);
static void line_admit_targets(const struct config *cfg, struct sip_admit_options *a);
static void line_event_cb(evutil_socket_t fd, short what, void *arg);
static int intake_open(struct gw_parts *p, const struct config *cfg, char *err,
    size_t errlen);
static int offramp_dial(void *arg, const struct sip_dial_request *req);
static void offramp_committed(void *arg, const char *id);
static int metrics_open(struct gw_parts *p, const struct config *cfg, char *err,
    size_t errlen);
static void metrics_queues(void *arg, struct metrics_queues *q);

int
gw_run(struct gw *gw)
{
	const struct gw_hooks hooks = { parts_reload, parts_stop, parts_inflight, NULL,
	    parts_reopen };
	struct gw_hooks h = hooks;
	struct gw_parts p;
	int rc = 1;

	memset(&p, 0, sizeof(p));
	p.gw = gw;
	h.arg = &p;
	if (gw_open(gw) == 0 && parts_open(&p) == 0 && gw_drop_privileges(gw) == 0 &&
	    parts_start(&p) == 0)
		rc = gw_loop(gw, &h, p.names);
	parts_free(&p);
	if (rc == 0)
		log_info("event=stop result=ok");
	return rc;
}

static int
parts_failed(const char *part, const char *err)
{
	char ebuf[LOG_ESC_BUFSZ];

	log_err("event=start subsystem=%s result=failed error=%s", part,
	    log_str(ebuf, sizeof(ebuf), err));
	return -1;
}

/* Before the privilege drop: each part made, sockets bound. */
static int
parts_open(struct gw_parts *p)
{
	struct event_base *base = gw_base(p->gw);
	struct spool *sp = gw_spool(p->gw);
	const struct config *cfg = gw_config_hold(p->gw);
	char err[GW_ERR_MAX];
	const char *failed = NULL;

	if ((p->mailq = mailq_new(base, sp, err, sizeof(err))) == NULL) {
		failed = "mailq";
	} else {
		mailq_set_config(p->mailq, cfg);
		p->offramp = offramp_new(base, sp, p->mailq, cfg, offramp_dial, p, err,
		    sizeof(err));
	}
	if (failed == NULL && p->offramp == NULL)
		failed = "offramp";
	if (failed == NULL &&
	    (p->onramp = onramp_new(base, sp, p->mailq, cfg, err, sizeof(err))) == NULL)
		failed = "onramp";
	if (failed == NULL && line_open(p, cfg, err, sizeof(err)) == -1)
		failed = "line";
	if (failed == NULL && intake_open(p, cfg, err, sizeof(err)) == -1)
		failed = "smtpd";
	if (failed == NULL && metrics_open(p, cfg, err, sizeof(err)) == -1)
		failed = "metrics";
	p->start_cfg = config_hold(cfg);
	gw_config_release(p->gw, cfg);
	if (failed != NULL)
		return parts_failed(failed, err);
	snprintf(p->names, sizeof(p->names), "mailq,offramp,onramp,line%s%s",
	    p->intake != NULL ? ",smtpd" : "", p->metrics[0] != NULL ? ",metrics" : "");
	return 0;
}

/* After the drop: the spool's jobs resumed. */
static int
parts_start(struct gw_parts *p)
{
	char err[GW_ERR_MAX];

	/* Before the queues resume: the jobs they end have records too. */
	if (parts_cdr_open(p, err, sizeof(err)) == -1)
		return parts_failed("cdr", err);
	if (mailq_start(p->mailq, err, sizeof(err)) == -1)
		return parts_failed("mailq", err);
	if (offramp_start(p->offramp, err, sizeof(err)) == -1)
		return parts_failed("offramp", err);
	/* Faxes whose calls the gateway did not see end are mailed now. */
	if (onramp_recover(p->onramp, err, sizeof(err)) == -1)
		return parts_failed("onramp", err);
	if (parts_ctl_open(p, err, sizeof(err)) == -1)
		return parts_failed("ctl", err);
	return 0;
}

/* The control socket, made by the run user (after the drop) so that it is
 * the service user's, in the spool (or where `control socket` says). */
static int
parts_ctl_open(struct gw_parts *p, char *err, size_t errlen)
{
	char path[CONFIG_PATH_MAX];

	if (config_control_socket(p->start_cfg, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "control socket %.200s/%s: name longer than %d bytes "
		    "(set 'control socket PATH')", p->start_cfg->spool, CONFIG_CONTROL_NAME,
		    CONFIG_SOCKET_PATH_MAX);
		return -1;
	}
	p->ctl = ctl_new(gw_base(p->gw), path, gw_control_handle, p, err, errlen);
	return p->ctl != NULL ? 0 : -1;
}

/* Every part gets the new config; work in flight keeps its own. */
static void
parts_reload(void *arg, const struct config *cfg)
{
	struct gw_parts *p = arg;
	struct sip_line_options o;
	char err[GW_ERR_MAX] = "";

	mailq_set_config(p->mailq, cfg);
	offramp_set_config(p->offramp, cfg);
	onramp_set_config(p->onramp, cfg);
	if (strcmp(cfg->cdr, p->cdr_path) != 0)
		log_warnx("event=reload cdr=%s result=ignored reason=restart-needed",
		    cfg->cdr[0] != '\0' ? cfg->cdr : "none");
	if (line_options(p, cfg, &o, err, sizeof(err)) == -1 ||
	    sip_line_reconfigure(p->line, &o) == -1)
		log_warnx("event=reload part=line result=failed error=\"%s\"",
		    err[0] != '\0' ? err : strerror(errno));
	if (p->intake != NULL && intake_set_config(p->intake, cfg, err, sizeof(err)) == -1)
		log_warnx("event=reload part=smtpd result=failed error=\"%s\"", err);
}

/* Shutdown: the listeners close and idle sessions get 421; new calls get
 * 486; the mail queue starts no new attempt. What is in flight finishes
 * within the deadline. */
static void
parts_stop(void *arg)
{
	struct gw_parts *p = arg;
	size_t i;

	for (i = 0; i < CONFIG_MAX_METRICS_LISTEN; i++)
		metrics_http_draining(p->metrics[i]);   /* load balancers look away */
	if (p->intake != NULL)
		intake_shutdown(p->intake);
	onramp_stop(p->onramp);
	mailq_stop(p->mailq);
}

static unsigned
parts_inflight(void *arg)
{
	struct gw_parts *p = arg;

	return mailq_inflight(p->mailq) + offramp_calls(p->offramp) +
	    onramp_inflight(p->onramp) + sip_line_active_calls(p->line) +
	    sip_line_pending(p->line) + chan_count(p->line_events) +
	    (p->intake != NULL ? intake_inflight(p->intake) : 0);
}

/* In the reverse order of open; what never opened is NULL. The intake
 * waits for its commits; sessions still open lose their unconfirmed
 * message; the line ends its calls. */
static void
parts_free(struct gw_parts *p)
{
	size_t i;

	ctl_free(p->ctl);
	for (i = 0; i < CONFIG_MAX_METRICS_LISTEN; i++)
		metrics_http_free(p->metrics[i]);
	intake_free(p->intake);
	sip_line_stop(p->line);         /* joins the thread */
	if (p->line_ev != NULL)
		event_free(p->line_ev);
	chan_free(p->line_events, NULL);        /* events never handled */
	onramp_free(p->onramp);
	offramp_free(p->offramp);
	mailq_free(p->mailq);
	cdr_free(p->cdr);               /* last: the parts' last records written */
	if (p->start_cfg != NULL)
		config_free(p->start_cfg);
	memset(p, 0, sizeof(*p));
}

/* ---- call and job records ------------------------------------------------ */

/* `cdr FILE`: opened as the run user, so that a reopen after logrotate
 * (as that user too) finds the same permissions. A file that cannot be
 * opened stops the start. */
static int
parts_cdr_open(struct gw_parts *p, char *err, size_t errlen)
{
	const struct config *cfg = gw_config_hold(p->gw);
	int rc = 0;

	snprintf(p->cdr_path, sizeof(p->cdr_path), "%s", cfg->cdr);
	gw_config_release(p->gw, cfg);
	if (p->cdr_path[0] == '\0')
		return 0;
	if ((p->cdr = cdr_open(gw_base(p->gw), p->cdr_path, err, errlen)) == NULL)
		rc = -1;
	mailq_set_cdr(p->mailq, p->cdr);
	offramp_set_cdr(p->offramp, p->cdr);
	onramp_set_cdr(p->onramp, p->cdr);
	if (rc == 0)
		log_info("event=cdr result=ok path=%s", p->cdr_path);
	return rc;
}

static void
parts_reopen(void *arg)
{
	struct gw_parts *p = arg;

	cdr_reopen(p->cdr);
}

/* ---- the line ------------------------------------------------------------ */

static int
line_open(struct gw_parts *p, const struct config *cfg, char *err, size_t errlen)
{
	struct sip_line_options o;

	if (line_options(p, cfg, &o, err, errlen) == -1)
		return -1;
	if ((p->line_events = chan_new()) == NULL) {
		snprintf(err, errlen, "line: cannot make its channel: %s", strerror(errno));
		return -1;
	}
	p->line_ev = event_new(gw_base(p->gw), chan_fd(p->line_events), EV_READ | EV_PERSIST,
	    line_event_cb, p);
	if (p->line_ev == NULL || event_add(p->line_ev, NULL) == -1) {
		snprintf(err, errlen, "line: cannot watch its channel");
		return -1;
	}
	/* Binds the SIP and media sockets now, before privileges are dropped. */
	if ((p->line = sip_line_start(&o, p->line_events)) == NULL) {
		snprintf(err, errlen, "line: cannot start the SIP line: %s (see above)",
		    strerror(errno));
		return -1;
	}
	return 0;
}

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
	o->rt_priority = cfg->sip.rt_priority;
	_Static_assert(CONFIG_SIP_THREADS_MAX <= SIP_THREADS_MAX, "sip threads range");
	o->threads = cfg->sip.threads;
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
	o->route = onramp_route;
	o->route_arg = p->onramp;
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

static void
line_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gw_parts *p = arg;
	struct sip_event *ev;

	(void)fd, (void)what;
	while ((ev = sip_event_next(p->line_events)) != NULL) {
		switch (ev->type) {
		case SIP_EV_FAX_RECEIVED:
			if (ev->dir == SIP_DIR_ONRAMP)
				onramp_fax_received(p->onramp, ev);
			break;
		case SIP_EV_CALL_FINISHED:
			metrics_call_ended(ev);
			if (ev->dir == SIP_DIR_OFFRAMP)
				offramp_call_finished(p->offramp, ev);
			else
				onramp_call_finished(p->onramp, ev);
			break;
		}
		free(ev);
	}
	gw_drain_check(p->gw);
}

/* ---- the offramp and its listener ---------------------------------------- */

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

	offramp_add(p->offramp, id);
}

static int
intake_open(struct gw_parts *p, const struct config *cfg, char *err, size_t errlen)
{
	if (cfg->mta_receive.n_listen == 0) {
		/* An onramp-only gateway: nothing binds port 25 beside the
		 * host's own MTA. Listeners are not changed by a reload. */
		if (cfg->mta_receive.maximum_recipients > 0)
			log_warnx("smtp listener=none maximum-recipients=%u reason=\"no 'mta "
			    "receive listen' line: no mail can arrive\"",
			    cfg->mta_receive.maximum_recipients);
		else
			log_info("smtp listener=none reason=\"no 'mta receive listen' line\"");
		return 0;
	}
	p->intake = intake_new(gw_base(p->gw), cfg, gw_spool(p->gw), err, errlen);
	if (p->intake == NULL)
		return -1;
	intake_set_committed(p->intake, offramp_committed, p);
	/* Binds the listeners now, before privileges are dropped. */
	return intake_start(p->intake, err, errlen);
}

/* ---- the metrics listener ------------------------------------------------ */

/* Binds every `metrics listen` now, before privileges are dropped. Like the
 * other listeners, these are not changed by a reload. */
static int
metrics_open(struct gw_parts *p, const struct config *cfg, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < cfg->metrics.n_listen && i < CONFIG_MAX_METRICS_LISTEN; i++) {
		p->metrics[i] = metrics_http_new(gw_base(p->gw), cfg->metrics.listen[i].addr,
		    cfg->metrics.listen[i].port, metrics_queues, p, err, errlen);
		if (p->metrics[i] == NULL)
			return -1;
	}
	return 0;
}

/* At each scrape: what the queues hold in memory, no spool scan. */
static void
metrics_queues(void *arg, struct metrics_queues *q)
{
	struct gw_parts *p = arg;

	q->jobs[METRICS_QUEUE_MAIL] = mailq_jobs(p->mailq);
	q->oldest[METRICS_QUEUE_MAIL] = mailq_oldest(p->mailq);
	q->jobs[METRICS_QUEUE_OFFRAMP] = offramp_jobs(p->offramp);
	q->oldest[METRICS_QUEUE_OFFRAMP] = offramp_oldest(p->offramp);
}
