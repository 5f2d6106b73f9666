/*
 * gateway/offramp/explain: how the offramp would call a fax number, from
 * the configuration alone, for an operator (t37gw -t -x): the dial-peer
 * and the request made from it by the same offramp_dial_request() every
 * call goes through (target, the number as dialed, who calls, TSI, T.38,
 * ECM, speed), and the retry policy. Not here: whether mail to the number
 * is accepted (the intake's explanation says that).
 */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "gateway/offramp/call.h"
#include "gateway/offramp/offramp.h"
#include "mime/mime.h"
#include "sip/sip.h"

static void
offramp_explain_retry(FILE *out, const char *what, const struct config_fax_retry *r)
{
	if (r->attempts <= 1)
		fprintf(out, "  %-14s %s: no retry\n", "retry", what);
	else
		fprintf(out, "  %-14s %s: %u calls in all, %u s apart\n", "retry", what,
		    r->attempts, r->delay);
}

int
offramp_route_explain(const struct config *cfg, const char *number, FILE *out)
{
	const struct config_dial_peer *peer = NULL;
	const struct config_trunk *tr;
	struct offramp_call_params base;
	struct sip_dial_request req;
	struct mime_error err;

	fprintf(out, "a fax call to %s (offramp)\n", number);
	offramp_base_params(cfg, &base);
	if (offramp_dial_request(cfg, number, 0, "", &base, &req, &peer, &err) != 0) {
		fprintf(out, "  %-14s none: %s %s\n", "call", err.status, err.text);
		return -1;
	}
	fprintf(out, "  %-14s dial-peer voice %u voip (line %u): destination-pattern %s%s%s\n",
	    "voip", peer->tag, peer->line, peer->destination.text,
	    peer->description[0] != '\0' ? ", description " : "", peer->description);
	if (peer->target_kind == CONFIG_TARGET_TRUNK) {
		tr = config_find_trunk(cfg, req.target);
		fprintf(out, "  %-14s %s through trunk %s (proxy %s)\n", "dial", req.number,
		    req.target, tr != NULL ? tr->proxy : "?");
	} else {
		fprintf(out, "  %-14s %s (session target %s)\n", "dial", req.target, peer->target);
	}
	fprintf(out, "  %-14s %s%s%s%s%s\n", "from", req.privacy ? "anonymous (clid restrict), " :
	    "", req.from[0] != '\0' ? req.from : "no calling number",
	    req.from_name[0] != '\0' ? " \"" : "", req.from_name,
	    req.from_name[0] != '\0' ? "\"" : "");
	fprintf(out, "  %-14s %s\n", "TSI", req.fax.ident[0] != '\0' ? req.fax.ident : "(none)");
	fprintf(out, "  %-14s T.38 %s, ECM %s, up to %u bit/s\n", "fax",
	    req.t38_allowed ? "offered" : "off (G.711 only)", req.fax.ecm ? "on" : "off",
	    req.fax.max_rate != 0 ? req.fax.max_rate : 14400);
	if (peer->max_conn > 0)
		fprintf(out, "  %-14s %u calls at once through this dial-peer\n", "max-conn",
		    peer->max_conn);
	offramp_explain_retry(out, "busy", &cfg->fax_send.retry_busy);
	offramp_explain_retry(out, "no answer", &cfg->fax_send.retry_no_answer);
	offramp_explain_retry(out, "failure", &cfg->fax_send.retry_failure);
	if (cfg->fax_send.hold)
		fprintf(out, "  %-14s fax send hold: the job waits in the queue, no call is made\n",
		    "hold");
	return 0;
}
