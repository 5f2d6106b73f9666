/*
 * sip/outcome: what a finished call delivered (enum sip_result) and why it
 * ended (enum sip_cause), from what the call saw: the final status of the
 * INVITE, the errno libre gave, the fax session's result, and the cause its
 * own timers or the caller decided on the way.
 *
 * It neither ends calls nor logs: call.c does, with these answers.
 */
#include <errno.h>

#include "sip/internal.h"

const char *
sip_cause_name(enum sip_cause c)
{
	switch (c) {
	case SIP_CAUSE_NONE:          return "none";
	case SIP_CAUSE_NOANSWER:      return "noanswer";
	case SIP_CAUSE_BUSY:          return "busy";
	case SIP_CAUSE_REJECTED:      return "sip-rejected";
	case SIP_CAUSE_MEDIA_REFUSED: return "media-refused";
	case SIP_CAUSE_SIP_TIMEOUT:   return "sip-timeout";
	case SIP_CAUSE_NETWORK:       return "network";
	case SIP_CAUSE_DEAD_CALL:     return "dead-call";
	case SIP_CAUSE_HANGUP:        return "hangup";
	case SIP_CAUSE_NOT_FAX:       return "not-fax";
	case SIP_CAUSE_T30:           return "t30";
	case SIP_CAUSE_LOCAL:         return "local";
	}
	return "local";
}

enum sip_cause
sip_cause_of_status(int status, int err)
{
	switch (status) {
	case 0:
		/* RFC 3261 17.1.1.2: Timer B, no response at all */
		if (err == ETIMEDOUT)
			return SIP_CAUSE_SIP_TIMEOUT;
		return err != 0 ? SIP_CAUSE_NETWORK : SIP_CAUSE_LOCAL;
	case 486:
	case 600:
		return SIP_CAUSE_BUSY;
	case 408:
	case 480:
	case 487:
		return SIP_CAUSE_NOANSWER;
	case 415:
	case 488:
	case 606:
		return SIP_CAUSE_MEDIA_REFUSED;
	default:
		return status >= 300 ? SIP_CAUSE_REJECTED : SIP_CAUSE_LOCAL;
	}
}

enum sip_result
sip_call_result(const struct sip_call *call)
{
	const struct fax_result *r = &call->result;

	if (call->answer_ms == 0) {
		switch (call->sip_status) {
		case 486:
		case 600:
			return SIP_RESULT_BUSY;
		case 408:
		case 480:
		case 487:
			return SIP_RESULT_NOANSWER;
		case 0:
		case 200:
			return SIP_RESULT_FAILED;
		default:
			return SIP_RESULT_REJECTED;
		}
	}
	if (!call->fax_done)
		return SIP_RESULT_FAILED;
	if (r->status == FAX_STATUS_OK)
		return SIP_RESULT_OK;
	if (call->dir == SIP_DIR_OFFRAMP ? r->pages_tx > 0 : r->pages_rx > 0)
		return SIP_RESULT_PARTIAL;
	return SIP_RESULT_FAILED;
}

/*
 * A fax that failed by itself (T.30 gave up before the call ended) names
 * T.30, or, when the far end never sent one T.30 frame, a far end that is
 * no fax machine. Otherwise the cause decided where the call was ended
 * (a timer, the peer's BYE, a SIP response) stands; a call ended before an
 * answer without one is classified by its SIP status.
 */
enum sip_cause
sip_call_cause(const struct sip_call *call, enum sip_result res)
{
	if (res == SIP_RESULT_OK)
		return SIP_CAUSE_NONE;
	if (call->answer_ms != 0 && call->fax_ended_first &&
	    call->result.status != FAX_STATUS_OK)
		return call->result.frames_rx == 0 ? SIP_CAUSE_NOT_FAX : SIP_CAUSE_T30;
	if (call->cause != SIP_CAUSE_NONE)
		return call->cause;
	if (call->answer_ms == 0)
		return sip_cause_of_status(call->sip_status, 0);
	return SIP_CAUSE_LOCAL;
}
