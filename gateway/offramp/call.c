/*
 * gateway/offramp/call: what the offramp needs to place and judge calls:
 * the ladder's policy and the report settings from the config, the dial
 * request for a number through its voip dial-peer, the outcome of a call
 * as the ladder sees it, and call admission (one call per number, global,
 * per trunk and per dial-peer caps).
 *
 * Not here: the line thread (sip/), the ladder itself (retry.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "config/config.h"
#include "gateway/offramp/call.h"
#include "mime/mime.h"
#include "sip/sip.h"

/* A report's From: display name (Cisco's, which users know). */
#define OFFRAMP_FROM_NAME "Fax Daemon"

struct offramp_calls {
	GHashTable *numbers;   /* number -> 1 while a call is active (owned keys) */
	GHashTable *trunks;    /* trunk name -> count (owned keys) */
	GHashTable *peers;     /* peer tag -> count */
	unsigned active;
};

static void call_diag(char *diag, size_t len, const struct sip_event *ev,
    enum sip_cause cause);
static const char *call_words(const struct sip_event *ev, enum sip_cause cause);
static unsigned table_count(GHashTable *t, gconstpointer key);
static void table_add(GHashTable *t, gpointer key, int delta, int own_key);

void
offramp_policy_from_config(const struct config *cfg, struct offramp_retry_policy *p)
{
	const struct config_fax_retry *r[OFFRAMP_FAIL_NCLASS] = {
		&cfg->fax_send.retry_busy, &cfg->fax_send.retry_no_answer,
		&cfg->fax_send.retry_failure,
	};
	int c;

	/* The config checked the ranges; every class has its values. */
	offramp_retry_policy_default(p);
	for (c = 0; c < OFFRAMP_FAIL_NCLASS; c++) {
		p->attempts[c] = r[c]->attempts;
		p->delay[c] = r[c]->delay;
	}
	p->permanent_error = cfg->mta_receive.generate_permanent_error;
}

void
offramp_report_cfg_from_config(const struct config *cfg, struct offramp_report_cfg *rc)
{
	memset(rc, 0, sizeof(*rc));
	rc->hostname = cfg->hostname;
	rc->postmaster = cfg->mta_send.postmaster;
	rc->from_name = OFFRAMP_FROM_NAME;
	rc->crlf = 0;   /* the mail queue stores messages with LF ends */
	rc->dsn.disable_dsn = cfg->mta_receive.disable_dsn;
	rc->generate_mdn = cfg->mta_receive.generate_mdn;
}

void
offramp_base_params(const struct config *cfg, struct offramp_call_params *p)
{
	p->t38 = cfg->sip.t38 != CONFIG_T38_OFF;
	p->ecm = cfg->fax_send.ecm;
	p->max_speed = cfg->fax_send.max_speed ? cfg->fax_send.max_speed : 14400;
}

void
offramp_call_result_from_event(const struct sip_event *ev, struct offramp_call_result *res,
    char *diag, size_t diaglen)
{
	enum sip_cause cause = ev->cause;

	memset(res, 0, sizeof(*res));
	res->pages_sent = ev->pages;
	res->pages_total = ev->pages_total;
	res->duration = ev->secs;
	res->csi = ev->remote_ident[0] ? ev->remote_ident : NULL;
	res->diag = diag;
	diag[0] = '\0';

	if (ev->result == SIP_RESULT_OK) {
		/* Truthful: delivered means every page of the file confirmed. */
		if (ev->pages_total > 0 && ev->pages < ev->pages_total) {
			res->outcome = OFFRAMP_CALL_FAILED;
			res->words = "the remote fax machine did not confirm every page";
			snprintf(diag, diaglen, "T.30: only %u of %u pages confirmed",
			    ev->pages, ev->pages_total);
		} else {
			res->outcome = OFFRAMP_CALL_OK;
			res->diag = NULL;
		}
		return;
	}
	/* An event without a cause (older line code): classify by result. */
	if (cause == SIP_CAUSE_NONE)
		cause = ev->result == SIP_RESULT_BUSY ? SIP_CAUSE_BUSY :
		    ev->result == SIP_RESULT_NOANSWER ? SIP_CAUSE_NOANSWER :
		    ev->result == SIP_RESULT_REJECTED ? SIP_CAUSE_REJECTED : SIP_CAUSE_T30;
	call_diag(diag, diaglen, ev, cause);
	res->words = call_words(ev, cause);
	res->outcome = OFFRAMP_CALL_FAILED;
	switch (cause) {
	case SIP_CAUSE_BUSY:
		res->outcome = OFFRAMP_CALL_BUSY;
		return;
	case SIP_CAUSE_NOANSWER:
	case SIP_CAUSE_NOT_FAX:      /* no fax tone: Cisco's no-answer class */
		res->outcome = OFFRAMP_CALL_NOANSWER;
		return;
	case SIP_CAUSE_SIP_TIMEOUT:
	case SIP_CAUSE_NETWORK:
	case SIP_CAUSE_LOCAL:
		res->no_step = 1;    /* the fax media played no part */
		return;
	case SIP_CAUSE_REJECTED:
		switch (ev->sip_status) {
		case 404: case 410: case 484: case 604:
			res->outcome = OFFRAMP_CALL_PERMANENT;
			res->status = "5.1.1";
			return;
		case 401: case 403: case 407: case 603:
			res->outcome = OFFRAMP_CALL_PERMANENT;
			res->status = "5.7.1";
			return;
		case 486: case 600:
			res->outcome = OFFRAMP_CALL_BUSY;
			return;
		case 408: case 480:
			res->outcome = OFFRAMP_CALL_NOANSWER;
			return;
		default:
			/* 5xx and the rest: worth another call, stepped down. */
			return;
		}
	default:
		/* media refused, dead call, hang-up, T.30: stepped down */
		return;
	}
}

/*
 * The cause by layer, for Diagnostic-Code and the logs:
 *   "SIP 486 Busy Here", "SIP timeout: no response to INVITE",
 *   "network: Connection refused", "media: dead call: ...",
 *   "T.30 phase D code 52: No response after sending a page",
 * then "; 1 of 3 pages confirmed" and "; T.38 refused (488), G.711 used".
 */
static void
call_diag(char *diag, size_t len, const struct sip_event *ev, enum sip_cause cause)
{
	const char *why = ev->reason[0] != '\0' ? ev->reason : sip_cause_name(cause);
	size_t n = 0;
	int k;

	switch (cause) {
	case SIP_CAUSE_T30:
	case SIP_CAUSE_NOT_FAX:
		if (ev->t30_phase != 0)
			k = snprintf(diag, len, "T.30 phase %c code %d: %s%s", ev->t30_phase,
			    ev->t30_code, why, cause == SIP_CAUSE_NOT_FAX ?
			    " (no T.30 frame from the remote side)" : "");
		else
			k = snprintf(diag, len, "T.30 error %d: %s", ev->t30_code, why);
		break;
	case SIP_CAUSE_SIP_TIMEOUT:
		k = snprintf(diag, len, "SIP timeout: %s", why);
		break;
	case SIP_CAUSE_NETWORK:
		k = snprintf(diag, len, "%s%s", strncmp(why, "network: ", 9) == 0 ? "" :
		    "network: ", why);
		break;
	case SIP_CAUSE_DEAD_CALL:
		k = snprintf(diag, len, "media: %s", why);
		break;
	case SIP_CAUSE_HANGUP:
		k = snprintf(diag, len, "SIP BYE: %s", why);
		break;
	case SIP_CAUSE_LOCAL:
		k = snprintf(diag, len, "gateway: %s", why);
		break;
	default:                      /* a final status to the INVITE */
		if (ev->sip_status > 0 && atoi(why) == ev->sip_status)
			k = snprintf(diag, len, "SIP %s", why);   /* "486 Busy Here" */
		else if (ev->sip_status > 0)
			k = snprintf(diag, len, "SIP %d: %s", ev->sip_status, why);
		else
			k = snprintf(diag, len, "SIP: %s", why);
		break;
	}
	if (k > 0)
		n = (size_t)k < len ? (size_t)k : len - 1;
	if (n < len && ev->pages_total > 0 && ev->pages > 0 && (k = snprintf(diag + n,
	    len - n, "; %u of %u pages confirmed", ev->pages, ev->pages_total)) > 0)
		n += (size_t)k < len - n ? (size_t)k : len - n - 1;
	if (n < len && ev->t38_refused == SIP_T38_REFUSE_SILENT)
		snprintf(diag + n, len - n, "; T.38 re-INVITE unanswered, G.711 used");
	else if (n < len && ev->t38_refused > 0)
		snprintf(diag + n, len - n, "; T.38 refused (%d), G.711 used", ev->t38_refused);
}

/* The cause as the person who sent the mail would put it. */
static const char *
call_words(const struct sip_event *ev, enum sip_cause cause)
{
	switch (cause) {
	case SIP_CAUSE_BUSY:
		return "the line was busy";
	case SIP_CAUSE_NOANSWER:
		return "nobody answered";
	case SIP_CAUSE_REJECTED:
		if (ev->sip_status >= 500 && ev->sip_status < 600)
			return "the telephone network could not connect the call";
		if (ev->sip_status >= 600)
			return "the called side declined the call";
		return "the telephone network refused the call";
	case SIP_CAUSE_MEDIA_REFUSED:
		return "the called side could not take a fax connection";
	case SIP_CAUSE_SIP_TIMEOUT:
		return "the telephone network did not respond to the call";
	case SIP_CAUSE_NETWORK:
		return "the gateway could not reach the telephone network";
	case SIP_CAUSE_DEAD_CALL:
		return "the connection was lost during the call";
	case SIP_CAUSE_HANGUP:
		return "the remote side hung up before the fax was complete";
	case SIP_CAUSE_NOT_FAX:
		return "the number answered, but not as a fax machine";
	case SIP_CAUSE_T30:
		switch (ev->t30_phase) {
		case 'A':
		case 'B':
			return "the fax machines could not agree on how to send the fax";
		case 'C':
			return "the connection failed while a page was being sent";
		case 'D':
			return "the receiving fax machine did not confirm a page";
		default:
			return "the fax machines could not complete the transfer";
		}
	case SIP_CAUSE_LOCAL:
		return "the gateway could not complete the call";
	case SIP_CAUSE_NONE:
		break;
	}
	return NULL;
}

int
offramp_dial_request(const struct config *cfg, const char *number, uint64_t job_id,
    const char *tx_path, const struct offramp_call_params *params,
    struct sip_dial_request *req, const struct config_dial_peer **peer_out,
    struct mime_error *err)
{
	const struct config_dial_peer *peer;
	const struct config_trunk *tr = NULL;
	enum config_t38 t38 = cfg->sip.t38;
	char dial[CONFIG_FORM_MAX];

	memset(req, 0, sizeof(*req));
	memset(err, 0, sizeof(*err));
	if (config_number_denied(cfg, number)) {
		snprintf(err->status, sizeof(err->status), "5.7.1");
		snprintf(err->text, sizeof(err->text), "faxing this number is not allowed");
		return -1;
	}
	/* The number goes out in the form the peer's pattern matched. */
	peer = config_route_number(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, number,
	    dial, sizeof(dial));
	if (peer == NULL || (peer->target_kind != CONFIG_TARGET_SIP &&
	    peer->target_kind != CONFIG_TARGET_TRUNK)) {
		snprintf(err->status, sizeof(err->status), "5.1.1");
		snprintf(err->text, sizeof(err->text), "no voip dial-peer routes this number");
		return -1;
	}
	req->job_id = job_id;
	if (peer->target_kind == CONFIG_TARGET_SIP) {
		if (config_expand_target(peer->target, dial, NULL, NULL, req->target,
		    sizeof(req->target)) < 0) {
			snprintf(err->status, sizeof(err->status), "5.3.5");
			snprintf(err->text, sizeof(err->text), "the session target of "
			    "dial-peer %u is too long for this number", peer->tag);
			return -1;
		}
	} else {
		tr = peer->trunk >= 0 && (size_t)peer->trunk < cfg->n_trunks ?
		    &cfg->trunks[peer->trunk] : NULL;
		if (tr == NULL) {
			snprintf(err->status, sizeof(err->status), "5.3.5");
			snprintf(err->text, sizeof(err->text), "dial-peer %u names no trunk",
			    peer->tag);
			return -1;
		}
		g_strlcpy(req->target, tr->name, sizeof(req->target));
		t38 = tr->t38;
	}
	g_strlcpy(req->number, dial, sizeof(req->number));
	/* Who calls: the peer's clid network-number, else the trunk's. */
	if (peer->clid_number[0] != '\0')
		g_strlcpy(req->from, peer->clid_number, sizeof(req->from));
	else if (tr != NULL)
		g_strlcpy(req->from, tr->calling_number, sizeof(req->from));
	if (tr != NULL)
		g_strlcpy(req->from_name, tr->calling_name, sizeof(req->from_name));
	req->privacy = peer->clid_restrict;
	/* The TSI: the fixed one, else ($s$) the calling number, so that the
	 * called machine shows who sent the fax (T.30 5.3.6.2.6). */
	if (!cfg->fax_send.transmitting_subscriber_ani)
		g_strlcpy(req->fax.ident, cfg->fax_send.transmitting_subscriber,
		    sizeof(req->fax.ident));
	else
		g_strlcpy(req->fax.ident, req->from, sizeof(req->fax.ident));
	req->fax.ecm = params->ecm;
	req->fax.max_rate = params->max_speed;
	req->t38_allowed = params->t38 && t38 != CONFIG_T38_OFF;
	g_strlcpy(req->tx_path, tx_path, sizeof(req->tx_path));
	if (peer_out != NULL)
		*peer_out = peer;
	return 0;
}

/* ---- admission ---------------------------------------------------------- */

struct offramp_calls *
offramp_calls_new(void)
{
	struct offramp_calls *c = g_new0(struct offramp_calls, 1);

	c->numbers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->trunks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	c->peers = g_hash_table_new(g_direct_hash, g_direct_equal);
	return c;
}

void
offramp_calls_free(struct offramp_calls *c)
{
	if (c == NULL)
		return;
	g_hash_table_destroy(c->numbers);
	g_hash_table_destroy(c->trunks);
	g_hash_table_destroy(c->peers);
	g_free(c);
}

enum offramp_calls_verdict
offramp_calls_acquire(struct offramp_calls *c, const char *number, const char *trunk,
    unsigned peer, unsigned global_max, unsigned trunk_max, unsigned peer_max)
{
	if (g_hash_table_contains(c->numbers, number))
		return OFFRAMP_CALLS_NUMBER_BUSY;
	if (global_max > 0 && c->active >= global_max)
		return OFFRAMP_CALLS_GLOBAL_FULL;
	if (trunk_max > 0 && table_count(c->trunks, trunk) >= trunk_max)
		return OFFRAMP_CALLS_TRUNK_FULL;
	if (peer_max > 0 && table_count(c->peers, GUINT_TO_POINTER(peer)) >= peer_max)
		return OFFRAMP_CALLS_PEER_FULL;
	g_hash_table_insert(c->numbers, g_strdup(number), GINT_TO_POINTER(1));
	table_add(c->trunks, (gpointer)trunk, 1, 1);
	table_add(c->peers, GUINT_TO_POINTER(peer), 1, 0);
	c->active++;
	return OFFRAMP_CALLS_OK;
}

void
offramp_calls_release(struct offramp_calls *c, const char *number, const char *trunk,
    unsigned peer)
{
	if (!g_hash_table_remove(c->numbers, number))
		return;   /* not admitted: nothing to undo */
	table_add(c->trunks, (gpointer)trunk, -1, 1);
	table_add(c->peers, GUINT_TO_POINTER(peer), -1, 0);
	c->active--;
}

unsigned
offramp_calls_active(const struct offramp_calls *c)
{
	return c->active;
}

static unsigned
table_count(GHashTable *t, gconstpointer key)
{
	return GPOINTER_TO_UINT(g_hash_table_lookup(t, key));
}

/* Adds delta to key's count; removes the entry at zero. */
static void
table_add(GHashTable *t, gpointer key, int delta, int own_key)
{
	unsigned n = table_count(t, key);

	if (delta < 0 && n <= (unsigned)-delta) {
		g_hash_table_remove(t, key);
		return;
	}
	n = (unsigned)((int)n + delta);
	if (g_hash_table_contains(t, key))
		g_hash_table_replace(t, own_key ? g_strdup(key) : key, GUINT_TO_POINTER(n));
	else
		g_hash_table_insert(t, own_key ? g_strdup(key) : key, GUINT_TO_POINTER(n));
}
