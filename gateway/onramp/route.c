/*
 * gateway/onramp/route: which dial-peers take a call to a called number,
 * from the configuration alone. onramp_route() (calls.c) decides with it
 * on a line thread; onramp_route_explain() shows an operator each step.
 * Not here: what depends on the moment (max-conn in use, shutdown, the
 * incoming job).
 */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "gateway/onramp/onramp.h"
#include "sip/sip.h"

const struct config_dial_peer *
onramp_route_peer(const struct config *cfg, const char *dnis,
    const struct config_dial_peer **voip, const char **why)
{
	const struct config_dial_peer *peer;
	size_t i;
	int voip_in = 0;

	*voip = NULL;
	*why = NULL;
	/* Voip peers with an incoming called-number filter the calls
	 * answered; without any, every number an mmoip peer takes is. */
	for (i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].type == CONFIG_PEER_VOIP && cfg->peers[i].has_incoming &&
		    !cfg->peers[i].shutdown)
			voip_in = 1;
	if (voip_in && (*voip = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_INCOMING,
	    dnis)) == NULL) {
		*why = "no voip dial-peer with a matching incoming called-number";
		return NULL;
	}
	peer = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION, dnis);
	if (peer == NULL || peer->target_kind != CONFIG_TARGET_MAILTO) {
		*why = "no mmoip dial-peer with a matching destination-pattern";
		return NULL;
	}
	return peer;
}

int
onramp_route_explain(const struct config *cfg, const char *dnis, FILE *out)
{
	const struct config_dial_peer *peer, *voip;
	const char *why, *csi;
	char rcpt[CONFIG_STR_MAX];

	fprintf(out, "a call to %s (onramp)\n", dnis);
	peer = onramp_route_peer(cfg, dnis, &voip, &why);
	if (voip != NULL)
		fprintf(out, "  %-14s dial-peer voice %u voip (line %u): incoming called-number "
		    "%s\n", "voip", voip->tag, voip->line, voip->incoming.text);
	else if (why == NULL || peer != NULL)
		fprintf(out, "  %-14s no voip dial-peer has an incoming called-number: the "
		    "mmoip dial-peers decide\n", "voip");
	if (peer == NULL) {
		fprintf(out, "  %-14s 404 Not Found: %s\n", "answer", why);
		return -1;
	}
	fprintf(out, "  %-14s dial-peer voice %u mmoip (line %u): destination-pattern %s%s%s\n",
	    "mmoip", peer->tag, peer->line, peer->destination.text,
	    peer->description[0] != '\0' ? ", description " : "", peer->description);
	if (config_expand_target(peer->target, dnis, NULL, NULL, rcpt, sizeof(rcpt)) > 0)
		fprintf(out, "  %-14s %s (session target mailto:%s)\n", "mail to", rcpt,
		    peer->target);
	else
		fprintf(out, "  %-14s the postmaster %s: session target mailto:%s cannot take this "
		    "number\n", "mail to", cfg->mta_send.postmaster, peer->target);
	csi = cfg->fax_receive.called_subscriber_dnis ||
	    cfg->fax_receive.called_subscriber[0] == '\0' ? dnis :
	    cfg->fax_receive.called_subscriber;
	fprintf(out, "  %-14s %.*s\n", "CSI", SIP_IDENT_MAX - 1, csi);
	if (peer->max_conn > 0)
		fprintf(out, "  %-14s %u calls at once through this dial-peer (486 beyond)\n",
		    "max-conn", peer->max_conn);
	fprintf(out, "  %-14s yes, T.38 %s, pages %s\n", "answer",
	    cfg->sip.t38 == CONFIG_T38_OFF ? "off (G.711 only)" : "offered or accepted",
	    peer->encoding == CONFIG_ENC_PASSTHROUGH ? "mailed as received (passthrough)" :
	    "mailed as TIFF Profile S");
	return 0;
}
