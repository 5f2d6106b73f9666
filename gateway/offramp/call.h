/*
 * gateway/offramp/call.h: the offramp's calls (call.c), private to it: the
 * ladder's policy and the call settings from the config, the outcome of a
 * SIP call for the ladder, the dial request for a number, and the call
 * admission counters. No I/O.
 */
#ifndef T37_OFFRAMP_CALL_H
#define T37_OFFRAMP_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/offramp/job.h"
#include "gateway/offramp/retry.h"

struct config;
struct config_dial_peer;
struct sip_event;
struct sip_dial_request;

/* The ladder's policy from `fax send retry ...` (ATTEMPTS counts every
 * call placed; 0 is taken as 1) and `mta receive generate permanent-error`. */
void offramp_policy_from_config(const struct config *cfg, struct offramp_retry_policy *p);
/* The reporting settings (hostname, postmaster, disable-dsn, generate mdn). */
void offramp_report_cfg_from_config(const struct config *cfg, struct offramp_report_cfg *rc);

/*
 * The outcome of an offramp call (SIP_EV_CALL_FINISHED) for the ladder.
 * Delivered only when the fax session confirmed every page of the file.
 * Busy (486/600), no answer (ring timeout, 408/480, a far end that is no
 * fax machine) and failures (T.30, dead or dropped call, partial, no SIP
 * response, 488/415/5xx) are retried, the fax failures stepping down;
 * 404/484/410/604 (unallocated: 5.1.1) and 401/403/407/603 (refused:
 * 5.7.1) are not. diag (diaglen bytes) receives the cause by layer for
 * "Diagnostic-Code: X-FAX;" and the logs; res->diag and res->csi point
 * into diag and ev, res->words to a constant.
 */
void offramp_call_result_from_event(const struct sip_event *ev, struct offramp_call_result *res,
    char *diag, size_t diaglen);

/*
 * The outgoing call for number (digits, '+' first when E.164) through the
 * voip dial-peer whose destination-pattern matches it: its session target
 * expanded ($d$ the number), or its trunk; TSI, ECM and max speed from
 * `fax send`, stepped down by params; T.38 only when params allow it and
 * the line or trunk has it on. 0, or -1 with err (no dial-peer: the
 * number is not reachable, 5.1.1 in err->status; denied: 5.7.1).
 */
int offramp_dial_request(const struct config *cfg, const char *number,
    uint64_t job_id, const char *tx_path, const struct offramp_call_params *params,
    struct sip_dial_request *req, const struct config_dial_peer **peer,
    struct mime_error *err);
/* The base call settings from the config (before step-down). */
void offramp_base_params(const struct config *cfg, struct offramp_call_params *p);

/*
 * Call admission: at most one active call per destination number, at most
 * max_calls at once overall, per trunk and per dial-peer (max-conn).
 */
struct offramp_calls;
enum offramp_calls_verdict {
	OFFRAMP_CALLS_OK = 0,
	OFFRAMP_CALLS_NUMBER_BUSY,    /* a call to this number is in progress */
	OFFRAMP_CALLS_GLOBAL_FULL,
	OFFRAMP_CALLS_TRUNK_FULL,
	OFFRAMP_CALLS_PEER_FULL,
};
struct offramp_calls *offramp_calls_new(void);
void offramp_calls_free(struct offramp_calls *c);   /* accepts NULL */
/* Admits and counts a call (caps of 0 mean unlimited); key is the
 * trunk name or "" and peer the dial-peer tag. */
enum offramp_calls_verdict offramp_calls_acquire(struct offramp_calls *c, const char *number,
    const char *trunk, unsigned peer, unsigned global_max, unsigned trunk_max,
    unsigned peer_max);
/* Ends a call admitted with the same arguments. */
void offramp_calls_release(struct offramp_calls *c, const char *number, const char *trunk,
    unsigned peer);
unsigned offramp_calls_active(const struct offramp_calls *c);

#endif
