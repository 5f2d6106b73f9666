/*
 * sip/watch: is an answered call still alive, and what did the peer say
 * to our T.38 re-INVITE.
 *
 * Dead calls. Silence from the peer alone proves nothing: a T.38 receiver
 * sends nothing while a page comes in (an ECM block takes 36 s at 14,400
 * bit/s, 55 s at 9,600, a dense non-ECM page minutes), and a G.711 peer
 * with voice activity detection sends no RTP while it listens. While T.30
 * expects the peer to speak, its own timers (T2, T4, T5) end the fax. So
 * the only thing watched here is a call where nothing moves either way:
 * no packet from the peer, and no datagram or audio signal from us (once
 * the peer has spoken T.30), for media_timeout_s. Then an OPTIONS in the dialog asks the peer (RFC 3261
 * 11): any answer means the dialog lives and the wait starts over; no
 * answer within probe_wait_ms, 408 or 481 (12.2.1.2) ends the call as
 * dead.
 *
 * Refused re-INVITEs. libre 1.1.0 reports no final response >= 300 to a
 * re-INVITE it sent, so the line's SIP trace handler (sip_watch_trace)
 * picks such responses to INVITEs out of the incoming messages and hands
 * them to the call of that dialog.
 *
 * It also holds the test-peer behaviour of refusing a T.38 re-INVITE with
 * a chosen status (t37fax answer --t38-refuse).
 */
#include <string.h>

#include "util/log.h"
#include "sip/internal.h"

/* Table of contents. */
static void sip_watch_probe(struct sip_call *call, uint64_t quiet_ms);
static void sip_watch_probe_resp(int err, const struct sip_msg *msg, void *arg);
static void sip_watch_probe_timeout(void *arg);
static void sip_watch_dead(struct sip_call *call, const char *why);
static bool sip_watch_any_reinvite(const struct sip_line *line);
static const char *sip_watch_phrase(int status);

/* Called from the 20 ms clock of an answered call. */
void
sip_watch_media(struct sip_call *call, uint64_t now)
{
	const struct sip_line_options *o = &call->line->opts;
	uint64_t last = call->last_rx_ms;

	if (o->media_timeout_s == 0 || call->sess == NULL || call->state != SIP_CALL_ACTIVE ||
	    call->probe_req != NULL || tmr_isrunning(&call->probe_tmr))
		return;
	if (call->last_tx_ms > last)
		last = call->last_tx_ms;
	if (call->alive_ms > last)
		last = call->alive_ms;
	/* (a packet sent during this tick is stamped after `now`) */
	if (last < now && now - last >= (uint64_t)o->media_timeout_s * 1000u)
		sip_watch_probe(call, now - last);
}

static void
sip_watch_probe(struct sip_call *call, uint64_t quiet_ms)
{
	const struct sip_line_options *o = &call->line->opts;
	int err;

	err = sip_drequestf(&call->probe_req, call->line->sip, true, "OPTIONS",
	    sipsess_dialog(call->sess), 0, NULL, NULL, sip_watch_probe_resp, call,
	    "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n");
	if (err != 0) {
		log_warnx("call=%s media: no packet either way for %llu s, and OPTIONS cannot "
		    "be sent: %s", call->id, (unsigned long long)(quiet_ms / 1000), strerror(err));
		sip_watch_dead(call, "no packet either way, OPTIONS not sent");
		return;
	}
	log_info("call=%s media: no packet either way for %llu s: OPTIONS sent", call->id,
	    (unsigned long long)(quiet_ms / 1000));
	tmr_start(&call->probe_tmr, o->probe_wait_ms > 0 ? o->probe_wait_ms :
	    SIP_PROBE_WAIT_DEFAULT_MS, sip_watch_probe_timeout, call);
}

/* libre cleared call->probe_req before calling this. */
static void
sip_watch_probe_resp(int err, const struct sip_msg *msg, void *arg)
{
	struct sip_call *call = arg;
	char why[SIP_REASON_MAX];

	if (msg != NULL && msg->scode < 200)
		return;
	tmr_cancel(&call->probe_tmr);
	if (call->state != SIP_CALL_ACTIVE)
		return;
	if (err != 0 || msg == NULL) {
		snprintf(why, sizeof(why), "OPTIONS failed: %s", strerror(err));
		sip_watch_dead(call, why);
		return;
	}
	if (msg->scode == 408 || msg->scode == 481) {
		snprintf(why, sizeof(why), "OPTIONS answered %u %.*s", msg->scode,
		    (int)(msg->reason.l < 40 ? msg->reason.l : 40), msg->reason.p);
		sip_watch_dead(call, why);
		return;
	}
	/* Any other answer (200, 405, 501...): the peer holds the dialog;
	 * T.30's timers judge its silence. */
	call->alive_ms = tmr_jiffies();
	log_info("call=%s media: OPTIONS answered %u: the peer is alive", call->id,
	    msg->scode);
}

static void
sip_watch_probe_timeout(void *arg)
{
	struct sip_call *call = arg;
	char why[SIP_REASON_MAX];

	call->probe_req = mem_deref(call->probe_req);   /* stops its retransmissions */
	snprintf(why, sizeof(why), "no answer to OPTIONS in %u ms",
	    call->line->opts.probe_wait_ms > 0 ? call->line->opts.probe_wait_ms :
	    SIP_PROBE_WAIT_DEFAULT_MS);
	sip_watch_dead(call, why);
}

static void
sip_watch_dead(struct sip_call *call, const char *why)
{
	char reason[SIP_REASON_MAX];

	snprintf(reason, sizeof(reason), "dead call: no media either way for %u s, %s",
	    call->line->opts.media_timeout_s, why);
	log_info("call=%s %s", call->id, reason);
	sip_call_hangup(call, SIP_CAUSE_DEAD_CALL, reason);
}

/* The call is ending or being freed: no probe outlives it. */
void
sip_watch_stop(struct sip_call *call)
{
	tmr_cancel(&call->probe_tmr);
	call->probe_req = mem_deref(call->probe_req);
}

static bool
sip_watch_any_reinvite(const struct sip_line *line)
{
	const struct le *le;

	for (le = list_head(&line->calls); le != NULL; le = le->next)
		if (((const struct sip_call *)le->data)->reinvite_pending)
			return true;
	return false;
}

/*
 * The line's SIP trace handler: sees every message libre sends or
 * receives. Only final responses >= 300 to INVITEs are of interest, and
 * only while one of our re-INVITEs is out; everything else costs a few
 * byte compares.
 */
void
sip_watch_trace(bool tx, enum sip_transp tp, const struct sa *src, const struct sa *dst,
    const uint8_t *pkt, size_t len, void *arg)
{
	struct sip_line *line = arg;
	struct sip_msg *msg = NULL;
	struct mbuf *mb;
	struct le *le;

	(void)tp;
	(void)src;
	(void)dst;
	if (tx || len < 12 || memcmp(pkt, "SIP/2.0 ", 8) != 0 || pkt[8] < '3' ||
	    pkt[8] > '6' || !sip_watch_any_reinvite(line))
		return;
	mb = mbuf_alloc(len);
	if (mb == NULL)
		return;
	mbuf_write_mem(mb, pkt, len);
	mb->pos = 0;
	if (sip_msg_decode(&msg, mb) == 0 && !msg->req && msg->scode >= 300 &&
	    pl_strcmp(&msg->cseq.met, "INVITE") == 0) {
		for (le = list_head(&line->calls); le != NULL; le = le->next) {
			struct sip_call *call = le->data;

			if (call->reinvite_pending && call->sess != NULL &&
			    pl_strcmp(&msg->callid,
			    sip_dialog_callid(sipsess_dialog(call->sess))) == 0) {
				sip_call_t38_response(call, msg);
				break;
			}
		}
	}
	mem_deref(msg);
	mem_deref(mb);
}

static const char *
sip_watch_phrase(int status)
{
	switch (status) {
	case 415: return "Unsupported Media Type";
	case 488: return "Not Acceptable Here";
	case 501: return "Not Implemented";
	case 603: return "Decline";
	case 606: return "Not Acceptable";
	default:  return "Refused";
	}
}

/*
 * A test peer that will not switch to T.38: a re-INVITE in a dialog that
 * offers image media gets opts.t38_refuse as its final response, or no
 * response at all. Registered before libre's session socket, so that the
 * session never sees the offer. Other requests pass.
 */
bool
sip_watch_refuse_t38(const struct sip_msg *msg, void *arg)
{
	struct sip_line *line = arg;
	struct sip_sdp offer;
	const char *why = NULL;
	int image;

	if (pl_strcmp(&msg->met, "INVITE") != 0 || !pl_isset(&msg->to.tag) ||
	    msg->mb == NULL || mbuf_get_left(msg->mb) == 0 ||
	    sip_sdp_parse((const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb), &offer,
	    &why) < 0)
		return false;
	image = sip_sdp_find(&offer, SIP_SDP_IMAGE);
	if (image < 0 || offer.m[image].port == 0)
		return false;
	if (line->opts.t38_refuse == SIP_T38_REFUSE_SILENT) {
		log_info("sip: t38 re-INVITE ignored (test peer)");
		return true;
	}
	log_info("sip: t38 re-INVITE refused with %d (test peer)", line->opts.t38_refuse);
	sip_treply(NULL, line->sip, msg, (uint16_t)line->opts.t38_refuse,
	    sip_watch_phrase(line->opts.t38_refuse));
	return true;
}
