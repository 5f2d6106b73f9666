/*
 * gateway/onramp_route: the routing decision for an incoming fax call,
 * for the SIP line's route callback (issue "Routing"): the called number
 * against `incoming called-number` of voip dial-peers (optional: with none
 * configured every call passes, like Cisco's default peer) and against
 * `destination-pattern` of mmoip dial-peers (the best match mails it; none
 * refuses the call with 404); `max-conn` of that peer (486 beyond it); the
 * CSI from `fax receive called-subscriber`; ECM on.
 *
 * Runs on the line thread: reads only the immutable config; the per-peer
 * call counts are the one shared state, behind a mutex.
 * Not here: receiving (sip/), mailing (gateway/onramp.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "gateway/log.h"
#include "gateway/queue.h"
#include "sip/sip.h"

struct onramp_slot {
	char call_id[SIP_CALL_ID_MAX];
	unsigned tag;                   /* the mmoip peer; 0: free slot */
};

struct gw_onramp_conns {
	pthread_mutex_t mu;
	struct onramp_slot slot[GW_ONRAMP_CALLS_MAX];
};

static bool onramp_has_voip_incoming(const struct config *cfg);
static unsigned onramp_count(const struct gw_onramp_conns *c, unsigned tag);

struct gw_onramp_conns *
gw_onramp_conns_new(void)
{
	struct gw_onramp_conns *c = calloc(1, sizeof(*c));

	if (c != NULL)
		pthread_mutex_init(&c->mu, NULL);
	return c;
}

void
gw_onramp_conns_free(struct gw_onramp_conns *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static bool
onramp_has_voip_incoming(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].type == CONFIG_PEER_VOIP &&
		    cfg->peers[i].has_incoming && !cfg->peers[i].shutdown)
			return true;
	return false;
}

/* Calls in progress on peer tag. Caller holds the mutex. */
static unsigned
onramp_count(const struct gw_onramp_conns *c, unsigned tag)
{
	unsigned i, n = 0;

	for (i = 0; i < GW_ONRAMP_CALLS_MAX; i++)
		if (c->slot[i].tag == tag)
			n++;
	return n;
}

unsigned
gw_onramp_route(const struct config *cfg, struct gw_onramp_conns *conns,
    const char *rx_dir, const struct sip_call_info *info,
    struct sip_route_decision *d)
{
	const struct config_dial_peer *peer;
	char call[LOG_ESC_BUFSZ], dnis[LOG_ESC_BUFSZ], ani[LOG_ESC_BUFSZ];
	const char *csi;
	unsigned i, free_slot = GW_ONRAMP_CALLS_MAX;

	memset(d, 0, sizeof(*d));
	d->action = SIP_ROUTE_REJECT_NOT_FOUND;
	log_str(call, sizeof(call), info->call_id);
	log_str(dnis, sizeof(dnis), info->dnis);
	log_str(ani, sizeof(ani), info->ani);
	if (info->dnis == NULL || *info->dnis == '\0') {
		log_info("call=%s dir=onramp ani=%s result=refused sip=404 "
		    "reason=\"no called number\"", call, ani);
		return 0;
	}
	if (onramp_has_voip_incoming(cfg) && config_match_peer(cfg, CONFIG_PEER_VOIP,
	    CONFIG_MATCH_INCOMING, info->dnis) == NULL) {
		log_info("call=%s dir=onramp ani=%s dnis=%s result=refused sip=404 "
		    "reason=\"no voip dial-peer with a matching incoming called-number\"",
		    call, ani, dnis);
		return 0;
	}
	peer = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION,
	    info->dnis);
	if (peer == NULL || peer->target_kind != CONFIG_TARGET_MAILTO) {
		log_info("call=%s dir=onramp ani=%s dnis=%s result=refused sip=404 "
		    "reason=\"no mmoip dial-peer with a mailto target\"", call, ani, dnis);
		return 0;
	}

	pthread_mutex_lock(&conns->mu);
	for (i = 0; i < GW_ONRAMP_CALLS_MAX && free_slot == GW_ONRAMP_CALLS_MAX; i++)
		if (conns->slot[i].tag == 0)
			free_slot = i;
	if (free_slot == GW_ONRAMP_CALLS_MAX ||
	    (peer->max_conn > 0 && onramp_count(conns, peer->tag) >= peer->max_conn)) {
		pthread_mutex_unlock(&conns->mu);
		d->action = SIP_ROUTE_REJECT_BUSY;
		log_info("call=%s dir=onramp ani=%s dnis=%s peer=%u result=refused "
		    "sip=486 reason=\"max-conn %u reached\"", call, ani, dnis, peer->tag,
		    peer->max_conn);
		return 0;
	}
	conns->slot[free_slot].tag = peer->tag;
	snprintf(conns->slot[free_slot].call_id, sizeof(conns->slot[free_slot].call_id),
	    "%s", info->call_id ? info->call_id : "");
	pthread_mutex_unlock(&conns->mu);

	d->action = SIP_ROUTE_ACCEPT;
	if ((size_t)snprintf(d->rx_path, sizeof(d->rx_path), "%s/%s.tif", rx_dir,
	    info->call_id ? info->call_id : "call") >= sizeof(d->rx_path)) {
		gw_onramp_call_ended(conns, info->call_id);
		d->action = SIP_ROUTE_REJECT_BUSY;
		log_warnx("call=%s dir=onramp rx directory name too long", call);
		return 0;
	}
	csi = cfg->fax_receive.called_subscriber_dnis ? info->dnis
	    : cfg->fax_receive.called_subscriber;
	snprintf(d->fax.ident, sizeof(d->fax.ident), "%.*s", SIP_IDENT_MAX - 1, csi);
	d->fax.ecm = true;
	return peer->tag;
}

void
gw_onramp_call_ended(struct gw_onramp_conns *conns, const char *call_id)
{
	unsigned i;

	if (conns == NULL || call_id == NULL)
		return;
	pthread_mutex_lock(&conns->mu);
	for (i = 0; i < GW_ONRAMP_CALLS_MAX; i++) {
		if (conns->slot[i].tag != 0 &&
		    strcmp(conns->slot[i].call_id, call_id) == 0) {
			conns->slot[i].tag = 0;
			conns->slot[i].call_id[0] = '\0';
			break;
		}
	}
	pthread_mutex_unlock(&conns->mu);
}
