/*
 * sip/call: the SIP side of one fax call on the line thread, as one state
 * machine (enum sip_call_state, all transitions through
 * sip_call_enter_state): answering (100/180/200 with SDP, 404/486/488),
 * originating (INVITE with digest auth through a trunk, CANCEL on no
 * answer), the T.38 switch-over by re-INVITE in both directions with the
 * fallback to G.711, BYE both ways, and the end of call: the result,
 * the events to the caller and the call= log line.
 *
 * It does not move media (media.c) nor run the line (line.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "sip/internal.h"

#define SIP_ALLOW "INVITE, ACK, BYE, CANCEL, OPTIONS"
/* The receiving side waits this long after phase E for the sender's BYE. */
#define SIP_RX_HANGUP_DELAY_MS 3000

/* Table of contents. */
static struct sip_call *sip_call_new(struct sip_line *line, enum sip_dir dir);
static void sip_call_enter_state(struct sip_call *call, enum sip_call_state st);
static const char *sip_call_state_name(enum sip_call_state st);
static int sip_call_parse_body(const struct sip_msg *msg, struct sip_sdp *sdp);
static void sip_call_local_init(struct sip_call *call);
static struct mbuf *sip_call_sdp_mbuf(const char *buf, int n);
static int sip_call_offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg);
static int sip_call_answer_h(const struct sip_msg *msg, void *arg);
static void sip_call_progr_h(const struct sip_msg *msg, void *arg);
static void sip_call_estab_h(const struct sip_msg *msg, void *arg);
static void sip_call_close_h(int err, const struct sip_msg *msg, void *arg);
static int sip_call_auth_h(char **user, char **pass, const char *realm, void *arg);
static void sip_call_ring_timeout(void *arg);
static void sip_call_reinvite_timeout(void *arg);
static void sip_call_hangup_now(void *arg);
static void sip_call_free_cb(void *arg);
static void sip_call_end(struct sip_call *call, const char *reason);
static void sip_call_times(const struct sip_call *call, struct sip_event *ev);
static void sip_call_fail_early(struct sip_call *call, enum sip_cause cause,
    const char *reason);
static void sip_call_refuse_media(struct sip_call *call, const struct sip_msg *msg,
    enum sip_port_status st);
static int sip_call_udptl_or_stay(struct sip_call *call);
static void sip_call_report(struct sip_call *call, enum sip_result res);
static void sip_call_numbers(struct sip_call *call, const struct sip_msg *msg);
static unsigned sip_call_count_trunk(struct sip_line *line, const char *name);
static void sip_call_identity(const struct sip_line *line, const struct sip_dial_request *req,
    const struct sip_trunk *trunk, char *from_uri, size_t from_size, char *hdrs,
    size_t hdrs_size);

static struct sip_call *
sip_call_new(struct sip_line *line, enum sip_dir dir)
{
	struct sip_call *call = calloc(1, sizeof(*call));

	if (call == NULL)
		return NULL;
	call->line = line;
	call->dir = dir;
	call->t38_policy = line->opts.t38;
	call->audio_pt = line->opts.codec == SIP_CODEC_PCMA ? SIP_SDP_PT_PCMA : SIP_SDP_PT_PCMU;
	snprintf(call->id, sizeof(call->id), "%012llx",
	    (unsigned long long)(rand_u64() & 0xffffffffffffULL));
	tmr_init(&call->ring_tmr);
	tmr_init(&call->reinvite_tmr);
	tmr_init(&call->probe_tmr);
	tmr_init(&call->hangup_tmr);
	tmr_init(&call->free_tmr);
	call->start_ms = tmr_jiffies();
	list_append(&line->calls, &call->le, call);
	pthread_mutex_lock(&line->lock);
	line->active++;
	pthread_mutex_unlock(&line->lock);
	return call;
}

static const char *
sip_call_state_name(enum sip_call_state st)
{
	static const char *names[] = { "new", "ringing", "dialing", "active", "closing",
	    "done" };

	return names[st];
}

static void
sip_call_enter_state(struct sip_call *call, enum sip_call_state st)
{
	log_debug("call=%s state %s -> %s", call->id, sip_call_state_name(call->state),
	    sip_call_state_name(st));
	call->state = st;
	sip_status_call(call);
}

static void
sip_call_local_init(struct sip_call *call)
{
	char addr[SIP_SDP_ADDR_MAX];

	call->local.sess_id = rand_u64() & 0x7fffffffffffULL;
	call->local.version = 1;
	sa_ntop(&call->line->media_ip, addr, sizeof(addr));
	snprintf(call->local.addr, sizeof(call->local.addr), "%s", addr);
	call->local.audio_pt = call->audio_pt;
	call->local.audio_pt2 = -1;
	sip_t38_params_local(&call->local.t38);
	if (call->line->opts.udptl_redundancy == 0)
		call->local.t38.ec = SIP_UDPTL_EC_NONE;
}

static int
sip_call_parse_body(const struct sip_msg *msg, struct sip_sdp *sdp)
{
	const char *why = NULL;

	if (msg == NULL || msg->mb == NULL || mbuf_get_left(msg->mb) == 0)
		return -1;
	if (sip_sdp_parse((const char *)mbuf_buf(msg->mb), mbuf_get_left(msg->mb), sdp,
	    &why) < 0) {
		log_warnx("sip: bad SDP: %s", why);
		return -1;
	}
	return 0;
}

static struct mbuf *
sip_call_sdp_mbuf(const char *buf, int n)
{
	struct mbuf *mb;

	if (n <= 0)
		return NULL;
	mb = mbuf_alloc((size_t)n);
	if (mb == NULL)
		return NULL;
	mbuf_write_mem(mb, (const uint8_t *)buf, (size_t)n);
	mb->pos = 0;
	return mb;
}

/* Called number from the Request-URI user (else To), calling number from
 * P-Asserted-Identity (else From), redirecting number from Diversion. */
static void
sip_call_numbers(struct sip_call *call, const struct sip_msg *msg)
{
	const struct sip_hdr *h;
	char ruri[SIP_URI_MAX + 2];

	snprintf(ruri, sizeof(ruri), "<%.*s>", (int)(msg->ruri.l < SIP_URI_MAX ? msg->ruri.l :
	    SIP_URI_MAX), msg->ruri.p);
	if (sip_number_from_addr(ruri, strlen(ruri), call->dnis, sizeof(call->dnis)) < 0)
		sip_number_from_addr(msg->to.val.p, msg->to.val.l, call->dnis,
		    sizeof(call->dnis));
	h = sip_msg_hdr(msg, SIP_HDR_P_ASSERTED_IDENTITY);
	if (h == NULL || sip_number_from_addr(h->val.p, h->val.l, call->ani,
	    sizeof(call->ani)) < 0)
		sip_number_from_addr(msg->from.val.p, msg->from.val.l, call->ani,
		    sizeof(call->ani));
	h = sip_msg_xhdr(msg, "Diversion");
	if (h != NULL)
		sip_number_from_addr(h->val.p, h->val.l, call->rdnis, sizeof(call->rdnis));
}

void
sip_call_incoming(struct sip_line *line, const struct sip_msg *msg)
{
	struct sip_route_decision dec;
	struct sip_call_info info;
	struct sip_call *call;
	struct sip_sdp offer;
	struct mbuf *desc;
	char peer[SIP_ADDR_MAX], sdp[SIP_SDP_MAX], err[128];
	enum sip_port_status st;
	unsigned ncalls = list_count(&line->calls);
	int audio, image, n;
	bool use_t38;

	if (line->quitting) {
		sip_treply(NULL, line->sip, msg, 503, "Service Unavailable");
		return;
	}
	if (ncalls >= line->opts.max_calls) {
		sip_limit_hit(line, SIP_LIMIT_MAX_CALLS, "", " sip=486");
		sip_treply(NULL, line->sip, msg, 486, "Busy Here");
		return;
	}
	if (ncalls >= line->cap.fd_calls) {
		/* Refused before it starts: a call that ran out of descriptors
		 * later would lose its pages (the TIFF is opened at phase C). */
		sip_limit_hit(line, SIP_LIMIT_DESCRIPTORS, "", " sip=503");
		sip_treply(NULL, line->sip, msg, 503, "Service Unavailable");
		return;
	}
	if (sip_call_parse_body(msg, &offer) < 0) {
		/* no offer-less INVITE support: the answer would be our offer */
		sip_treply(NULL, line->sip, msg, 488, "Not Acceptable Here");
		return;
	}
	call = sip_call_new(line, SIP_DIR_ONRAMP);
	if (call == NULL) {
		sip_treply(NULL, line->sip, msg, 503, "Service Unavailable");
		return;
	}
	call->src = msg->src;
	sip_call_numbers(call, msg);
	audio = sip_sdp_find(&offer, SIP_SDP_AUDIO);
	image = sip_sdp_find(&offer, SIP_SDP_IMAGE);
	use_t38 = image >= 0 && call->t38_policy != SIP_T38_OFF;
	if (!use_t38 && audio < 0) {
		call->sip_status = 488;
		call->cause = SIP_CAUSE_MEDIA_REFUSED;
		sip_treply(NULL, line->sip, msg, 488, "Not Acceptable Here");
		sip_call_end(call, "no acceptable media offered");
		return;
	}
	/* The media ports before the route: a call the line cannot carry
	 * leaves nothing behind in the gateway (no spool job). */
	sip_call_local_init(call);
	st = use_t38 ? sip_media_open_udptl(call) : sip_media_open_audio(call);
	if (st != SIP_PORT_OK) {
		sip_call_refuse_media(call, msg, st);
		return;
	}

	re_snprintf(peer, sizeof(peer), "%J", &msg->src);
	memset(&info, 0, sizeof(info));
	info.call_id = call->id;
	info.dnis = call->dnis;
	info.ani = call->ani;
	info.rdnis = call->rdnis;
	info.peer = peer;
	info.t38_offered = image >= 0;
	memset(&dec, 0, sizeof(dec));
	dec.action = SIP_ROUTE_REJECT_NOT_FOUND;
	if (line->opts.route != NULL)
		line->opts.route(&info, &dec, line->opts.route_arg);

	if (dec.action == SIP_ROUTE_REJECT_NOT_FOUND || dec.action == SIP_ROUTE_REJECT_BUSY) {
		call->sip_status = dec.action == SIP_ROUTE_REJECT_BUSY ? 486 : 404;
		call->cause = sip_cause_of_status(call->sip_status, 0);
		sip_treply(NULL, line->sip, msg, (uint16_t)call->sip_status,
		    call->sip_status == 486 ? "Busy Here" : "Not Found");
		sip_call_end(call, call->sip_status == 486 ? "busy" : "no route");
		return;
	}
	snprintf(call->rx_path, sizeof(call->rx_path), "%s", dec.rx_path);
	call->fax_opts = dec.fax;
	call->ring_only = dec.action == SIP_ROUTE_RING_ONLY;
	if (use_t38) {
		sip_media_set_udptl_peer(call, &offer.m[image]);
		sip_t38_negotiate(&call->local.t38, &offer.m[image].t38p, &call->local.t38);
		call->local.audio_port = 0;
	} else {
		call->audio_pt = sip_sdp_pick_pt(&offer.m[audio], call->audio_pt);
		call->local.audio_pt = call->audio_pt;
		sip_media_set_audio_peer(call, &offer.m[audio]);
		call->local.image_port = 0;
	}
	if (sip_media_start_fax(call, use_t38 ? SIP_MEDIA_T38 : SIP_MEDIA_AUDIO, err,
	    sizeof(err)) < 0) {
		log_warnx("call=%s fax: %s", call->id, err);
		goto fail;
	}
	n = sip_sdp_write_answer(sdp, sizeof(sdp), &call->local, &offer);
	/* 100 Trying (stateless: libre's session takes over with 180) */
	if (n >= 0)
		sip_reply(line->sip, msg, 100, "Trying");
	if (n < 0 || sipsess_accept(&call->sess, line->sock, msg, 180, "Ringing", "t37gw",
	    "application/sdp", NULL, NULL, NULL, false, sip_call_offer_h, sip_call_answer_h,
	    sip_call_estab_h, NULL, NULL, sip_call_close_h, call,
	    "Allow: " SIP_ALLOW "\r\n") != 0)
		goto fail;
	sip_call_enter_state(call, SIP_CALL_RINGING);
	if (call->ring_only)
		return;
	desc = sip_call_sdp_mbuf(sdp, n);
	if (desc == NULL || sipsess_answer(call->sess, 200, "OK", desc,
	    "Allow: " SIP_ALLOW "\r\n") != 0) {
		mem_deref(desc);
		sip_call_fail_early(call, SIP_CAUSE_LOCAL, "cannot answer");
		return;
	}
	mem_deref(desc);
	call->sip_status = 200;
	call->answer_ms = tmr_jiffies();
	sip_call_enter_state(call, SIP_CALL_ACTIVE);
	sip_clock_start(call);
	return;
fail:
	call->sip_status = 500;
	if (call->sess == NULL)
		sip_treply(NULL, line->sip, msg, 500, "Server Internal Error");
	sip_call_fail_early(call, SIP_CAUSE_LOCAL, "cannot set up the call");
}

/* The UDPTL port for a switch to T.38 of a call on G.711; when a limit
 * keeps it, the call goes on in G.711 (and the limit is logged). */
static int
sip_call_udptl_or_stay(struct sip_call *call)
{
	enum sip_port_status st = sip_media_open_udptl(call);
	char why[SIP_REASON_MAX];

	if (st == SIP_PORT_OK)
		return 0;
	if (!sip_limit_port_refusal(call->line, call->id, st, " action=stay-on-g711", why,
	    sizeof(why)))
		log_warnx("call=%s udptl: %s: staying on g711", call->id, why);
	return -1;
}

/*
 * An incoming call without media ports: 503 when a limit was hit (ports,
 * descriptors: a proxy tries another gateway, RFC 3261 21.5.4), 500 on
 * another error.
 */
static void
sip_call_refuse_media(struct sip_call *call, const struct sip_msg *msg,
    enum sip_port_status st)
{
	char why[SIP_REASON_MAX];

	call->sip_status = sip_limit_port_refusal(call->line, call->id, st, " sip=503", why,
	    sizeof(why)) ? 503 : 500;
	sip_treply(NULL, call->line->sip, msg, (uint16_t)call->sip_status,
	    call->sip_status == 503 ? "Service Unavailable" : "Server Internal Error");
	sip_call_fail_early(call, SIP_CAUSE_LOCAL, why);
}

/* Calls in progress through the trunk called name. */
static unsigned
sip_call_count_trunk(struct sip_line *line, const char *name)
{
	struct le *le;
	unsigned n = 0;

	for (le = list_head(&line->calls); le != NULL; le = le->next) {
		const struct sip_call *c = le->data;
		if (c->state < SIP_CALL_CLOSING && strcmp(c->trunk, name) == 0)
			n++;
	}
	return n;
}

void
sip_call_dial(struct sip_line *line, struct sip_dial_request *req)
{
	const struct sip_trunk *trunk = NULL;
	struct sip_call *call;
	struct mbuf *desc;
	const char *routev[1];
	uint32_t routec = 0;
	char uri[SIP_URI_MAX + SIP_NUMBER_MAX + 8], from_uri[SIP_URI_MAX], sdp[SIP_SDP_MAX];
	char hdrs[SIP_URI_MAX];
	enum sip_port_status st;
	unsigned i, ring;
	int n, err;

	call = sip_call_new(line, SIP_DIR_OFFRAMP);
	if (call == NULL)
		return;
	call->job_id = req->job_id;
	call->fax_opts = req->fax;
	snprintf(call->tx_path, sizeof(call->tx_path), "%s", req->tx_path);
	snprintf(call->ani, sizeof(call->ani), "%s", req->from);
	if (!req->t38_allowed)
		call->t38_policy = SIP_T38_OFF;
	if (strncmp(req->target, "sip:", 4) == 0 || strncmp(req->target, "sips:", 5) == 0) {
		snprintf(uri, sizeof(uri), "%s", req->target);
		if (sip_number_from_addr(uri, strlen(uri), call->dnis, sizeof(call->dnis)) < 0)
			snprintf(call->dnis, sizeof(call->dnis), "%s", req->number);
	} else {
		for (i = 0; i < line->opts.ntrunks; i++)
			if (strcmp(line->opts.trunks[i].name, req->target) == 0)
				trunk = &line->opts.trunks[i];
		if (trunk == NULL) {
			sip_call_fail_early(call, SIP_CAUSE_LOCAL, "unknown trunk");
			return;
		}
		if (trunk->max_calls > 0 && sip_call_count_trunk(line, trunk->name) >=
		    trunk->max_calls) {
			/* local congestion: the job retries like on busy */
			call->sip_status = 486;
			sip_call_fail_early(call, SIP_CAUSE_BUSY, "trunk call limit reached");
			return;
		}
		snprintf(call->trunk, sizeof(call->trunk), "%s", trunk->name);
		snprintf(uri, sizeof(uri), "sip:%s@%s", req->number, trunk->domain);
		snprintf(call->dnis, sizeof(call->dnis), "%s", req->number);
		if (trunk->proxy[0] != '\0') {
			routev[0] = trunk->proxy;
			routec = 1;
		}
		snprintf(call->auth_user, sizeof(call->auth_user), "%s", trunk->user);
		snprintf(call->auth_password, sizeof(call->auth_password), "%s", trunk->password);
	}
	if (access(call->tx_path, R_OK) != 0) {
		sip_call_fail_early(call, SIP_CAUSE_LOCAL, "cannot read the file to send");
		return;
	}
	if (list_count(&line->calls) > line->cap.fd_calls) {
		/* local congestion, like the trunk's limit: the job retries */
		sip_limit_hit(line, SIP_LIMIT_DESCRIPTORS, call->id, "");
		call->sip_status = 503;
		sip_call_fail_early(call, SIP_CAUSE_BUSY, "out of descriptors (limit=descriptors)");
		return;
	}
	sip_call_local_init(call);
	call->local.audio_pt2 = call->audio_pt == SIP_SDP_PT_PCMU ? SIP_SDP_PT_PCMA :
	    SIP_SDP_PT_PCMU;
	st = sip_media_open_audio(call);
	if (st == SIP_PORT_OK && call->t38_policy == SIP_T38_IMMEDIATE)
		st = sip_media_open_udptl(call);
	if (st != SIP_PORT_OK) {
		char why[SIP_REASON_MAX];

		sip_limit_port_refusal(line, call->id, st, "", why, sizeof(why));
		sip_call_fail_early(call, SIP_CAUSE_LOCAL, why);
		return;
	}
	n = sip_sdp_write_offer(sdp, sizeof(sdp), &call->local);
	desc = sip_call_sdp_mbuf(sdp, n);
	sip_call_identity(line, req, trunk, from_uri, sizeof(from_uri), hdrs, sizeof(hdrs));
	err = desc == NULL ? ENOMEM : sipsess_connect(&call->sess, line->sock, uri,
	    req->privacy ? "Anonymous" : req->from_name[0] != '\0' ? req->from_name : NULL,
	    from_uri, "t37gw", routec > 0 ? routev : NULL, routec, "application/sdp", desc,
	    sip_call_auth_h, call, false, sip_call_offer_h, sip_call_answer_h,
	    sip_call_progr_h, sip_call_estab_h, NULL, NULL, sip_call_close_h, call,
	    "Allow: " SIP_ALLOW "\r\n%s", hdrs);
	mem_deref(desc);
	if (err != 0) {
		char why[SIP_REASON_MAX];

		log_warnx("call=%s invite %s: %s", call->id, uri, strerror(err));
		snprintf(why, sizeof(why), "cannot send INVITE: %s", strerror(err));
		sip_call_fail_early(call, err == ENOMEM ? SIP_CAUSE_LOCAL : SIP_CAUSE_NETWORK, why);
		return;
	}
	sip_call_enter_state(call, SIP_CALL_DIALING);
	ring = req->ring_timeout_s > 0 ? req->ring_timeout_s : line->opts.ring_timeout_s;
	tmr_start(&call->ring_tmr, (uint64_t)ring * 1000u, sip_call_ring_timeout, call);
}

/*
 * Who an outgoing call is from: the calling number in From (or, with
 * privacy, an anonymous From and "Privacy: id", RFC 3323 4.1.1.3), and in
 * P-Asserted-Identity or P-Preferred-Identity when the trunk wants it (RFC
 * 3325 9.1: the network that trusts us passes it on, and drops it
 * itself when Privacy asks). hdrs gets the extra header lines.
 */
static void
sip_call_identity(const struct sip_line *line, const struct sip_dial_request *req,
    const struct sip_trunk *trunk, char *from_uri, size_t from_size, char *hdrs,
    size_t hdrs_size)
{
	char host[SIP_ADDR_MAX];
	int n = 0;

	if (sa_af(&line->media_ip) == AF_INET6)
		re_snprintf(host, sizeof(host), "[%j]", &line->media_ip);
	else
		re_snprintf(host, sizeof(host), "%j", &line->media_ip);
	if (req->privacy)
		snprintf(from_uri, from_size, "sip:anonymous@anonymous.invalid");
	else
		snprintf(from_uri, from_size, "sip:%s@%s",
		    req->from[0] != '\0' ? req->from : "t37gw", host);
	hdrs[0] = '\0';
	if (trunk != NULL && trunk->asserted_id != SIP_ASSERTED_NONE && req->from[0] != '\0')
		n = snprintf(hdrs, hdrs_size, "%s: <sip:%s@%s>\r\n",
		    trunk->asserted_id == SIP_ASSERTED_PAI ? "P-Asserted-Identity" :
		    "P-Preferred-Identity", req->from, host);
	if (req->privacy && n >= 0 && (size_t)n < hdrs_size)
		snprintf(hdrs + n, hdrs_size - (size_t)n, "Privacy: id\r\n");
}

static int
sip_call_auth_h(char **user, char **pass, const char *realm, void *arg)
{
	struct sip_call *call = arg;

	(void)realm;
	if (call->auth_user[0] == '\0')
		return EAUTH;
	if (str_dup(user, call->auth_user) != 0 || str_dup(pass, call->auth_password) != 0)
		return ENOMEM;
	return 0;
}

/* A peer's offer: a re-INVITE (to T.38, or back to audio). */
static int
sip_call_offer_h(struct mbuf **descp, const struct sip_msg *msg, void *arg)
{
	struct sip_call *call = arg;
	struct sip_sdp offer;
	struct sip_sdp_local l;
	char sdp[SIP_SDP_MAX];
	int audio, image, n;

	if (sip_call_parse_body(msg, &offer) < 0)
		return EBADMSG;
	audio = sip_sdp_find(&offer, SIP_SDP_AUDIO);
	image = sip_sdp_find(&offer, SIP_SDP_IMAGE);
	l = call->local;
	if (image >= 0 && call->t38_policy != SIP_T38_OFF && !call->fax_done) {
		if (sip_call_udptl_or_stay(call) < 0)
			return ENOMEM;  /* libre answers 488: the call stays on G.711 */
		sip_media_set_udptl_peer(call, &offer.m[image]);
		sip_t38_params_local(&l.t38);
		if (call->line->opts.udptl_redundancy == 0)
			l.t38.ec = SIP_UDPTL_EC_NONE;
		sip_t38_negotiate(&l.t38, &offer.m[image].t38p, &l.t38);
		l.image_port = call->udptl_port;
		l.audio_port = 0;
	} else if (audio >= 0 && call->rtp != NULL) {
		/* audio kept (a refresh, or T.38 refused by policy: image gets 0) */
		sip_media_set_audio_peer(call, &offer.m[audio]);
		l.image_port = 0;
	} else {
		log_info("call=%s re-INVITE refused (t38 %s)", call->id,
		    call->t38_policy == SIP_T38_OFF ? "off" : "unusable");
		return EPROTO;          /* libre answers 488 */
	}
	l.version = ++call->local.version;
	n = sip_sdp_write_answer(sdp, sizeof(sdp), &l, &offer);
	*descp = sip_call_sdp_mbuf(sdp, n);
	if (*descp == NULL)
		return ENOMEM;
	if (l.image_port != 0) {
		call->local.t38 = l.t38;
		call->local.image_port = l.image_port;
		call->reinvite_pending = false;
		tmr_cancel(&call->reinvite_tmr);
		if (call->fax != NULL && sip_media_switch_t38(call) < 0)
			log_warnx("call=%s cannot switch the fax session to T.38", call->id);
	}
	return 0;
}

/* The peer's answer to our INVITE or re-INVITE. */
static int
sip_call_answer_h(const struct sip_msg *msg, void *arg)
{
	struct sip_call *call = arg;
	struct sip_sdp ans;
	char err[128];
	int audio, image;

	if (sip_call_parse_body(msg, &ans) < 0)
		return EBADMSG;
	audio = sip_sdp_find(&ans, SIP_SDP_AUDIO);
	image = sip_sdp_find(&ans, SIP_SDP_IMAGE);
	if (call->reinvite_pending) {
		call->reinvite_pending = false;
		tmr_cancel(&call->reinvite_tmr);
		if (image >= 0) {
			sip_media_set_udptl_peer(call, &ans.m[image]);
			sip_media_switch_t38(call);
		} else {
			call->t38_refused = true;
			log_info("call=%s t38 not accepted: staying on g711", call->id);
		}
		return 0;
	}
	if (call->fax != NULL)
		return 0;               /* an answer we already have */
	if (image >= 0 && call->udptl != NULL) {
		sip_media_set_udptl_peer(call, &ans.m[image]);
		if (sip_media_start_fax(call, SIP_MEDIA_T38, err, sizeof(err)) < 0)
			goto fail;
	} else if (audio >= 0) {
		sip_media_set_audio_peer(call, &ans.m[audio]);
		call->audio_pt = sip_sdp_pick_pt(&ans.m[audio], call->audio_pt);
		call->local.audio_pt = call->audio_pt;
		if (call->udptl != NULL)
			call->t38_refused = true;
		if (sip_media_start_fax(call, SIP_MEDIA_AUDIO, err, sizeof(err)) < 0)
			goto fail;
	} else {
		snprintf(err, sizeof(err), "no usable media in the answer");
		goto fail;
	}
	return 0;
fail:
	log_warnx("call=%s %s", call->id, err);
	sip_call_hangup(call, SIP_CAUSE_LOCAL, "cannot start the fax session");
	return 0;
}

static void
sip_call_progr_h(const struct sip_msg *msg, void *arg)
{
	struct sip_call *call = arg;

	log_debug("call=%s progress %u", call->id, msg->scode);
	call->src = msg->src;
}

static void
sip_call_estab_h(const struct sip_msg *msg, void *arg)
{
	struct sip_call *call = arg;

	if (call->dir == SIP_DIR_OFFRAMP) {
		tmr_cancel(&call->ring_tmr);
		call->sip_status = 200;
		call->answer_ms = tmr_jiffies();
		call->src = msg->src;
		sip_call_enter_state(call, SIP_CALL_ACTIVE);
		if (call->fax == NULL) {
			sip_call_hangup(call, SIP_CAUSE_MEDIA_REFUSED, "no usable media in the answer");
			return;
		}
		sip_clock_start(call);
	}
	if (call->t38_policy == SIP_T38_IMMEDIATE)
		sip_call_want_t38(call);
}

/* Sends our T.38 offer (re-INVITE replacing audio by image, T.38 D.2.2),
 * unless one is out, the peer refused, or policy says no. */
void
sip_call_want_t38(struct sip_call *call)
{
	struct sip_sdp_local l;
	struct mbuf *desc;
	char sdp[SIP_SDP_MAX];
	int n;

	if (call->media != SIP_MEDIA_AUDIO || call->reinvite_pending || call->t38_refused ||
	    call->state != SIP_CALL_ACTIVE || call->fax_done ||
	    (call->t38_policy != SIP_T38_ON && call->t38_policy != SIP_T38_IMMEDIATE))
		return;
	if (sip_call_udptl_or_stay(call) < 0) {
		call->t38_refused = true;
		return;
	}
	l = call->local;
	l.audio_port = 0;
	l.image_port = call->udptl_port;
	l.version = ++call->local.version;
	n = sip_sdp_write_offer(sdp, sizeof(sdp), &l);
	desc = sip_call_sdp_mbuf(sdp, n);
	/* The re-INVITE takes the dialog's next CSeq, or a later one when
	 * libre has to wait for a transaction in progress. */
	call->reinvite_cseq = sip_dialog_lseq(sipsess_dialog(call->sess));
	if (desc == NULL || sipsess_modify(call->sess, desc) != 0) {
		mem_deref(desc);
		return;                 /* a transaction is out: the tone may retry */
	}
	mem_deref(desc);
	call->reinvite_pending = true;
	log_info("call=%s t38 re-INVITE sent", call->id);
	/* A refusal (488, 415, 501, 606...) is acted on when it arrives
	 * (sip_call_t38_response); this timer is for a peer that does not
	 * answer at all: we are still on G.711 and stay there. */
	tmr_start(&call->reinvite_tmr, call->line->opts.reinvite_timeout_ms,
	    sip_call_reinvite_timeout, call);
}

static void
sip_call_reinvite_timeout(void *arg)
{
	struct sip_call *call = arg;

	if (!call->reinvite_pending)
		return;
	call->reinvite_pending = false;
	call->t38_refused = true;
	call->t38_status = SIP_T38_REFUSE_SILENT;
	log_info("call=%s t38 re-INVITE unanswered after %u ms: staying on g711", call->id,
	    call->line->opts.reinvite_timeout_ms);
}

/*
 * A final response >= 300 to an INVITE of our dialog (sip_watch_trace).
 * libre handles some itself: 401/407 are answered with credentials, 491
 * (glare, RFC 3261 14.1) and 500 with Retry-After are retried, 408 and 481
 * end the dialog (RFC 3261 12.2.1.2) through the close handler. Any other
 * refuses T.38: the call goes on in G.711 now, not when the timer fires.
 */
void
sip_call_t38_response(struct sip_call *call, const struct sip_msg *msg)
{
	if (!call->reinvite_pending || msg->cseq.num < call->reinvite_cseq)
		return;
	switch (msg->scode) {
	case 401:
	case 407:
	case 408:
	case 481:
	case 491:
		return;
	case 500:
		if (sip_msg_hdr(msg, SIP_HDR_RETRY_AFTER) != NULL)
			return;
		break;
	default:
		break;
	}
	call->reinvite_pending = false;
	tmr_cancel(&call->reinvite_tmr);
	call->t38_refused = true;
	call->t38_status = msg->scode;
	log_info("call=%s t38 re-INVITE refused: %u %.*s: staying on g711", call->id,
	    msg->scode, (int)(msg->reason.l < 60 ? msg->reason.l : 60), msg->reason.p);
}

static void
sip_call_ring_timeout(void *arg)
{
	struct sip_call *call = arg;

	if (call->state != SIP_CALL_DIALING)
		return;
	call->sip_status = 487;     /* our CANCEL */
	snprintf(call->reason, sizeof(call->reason), "no answer in %llu s (CANCEL sent)",
	    (unsigned long long)((tmr_jiffies() - call->start_ms + 500) / 1000));
	sip_call_hangup(call, SIP_CAUSE_NOANSWER, call->reason);
}

static void
sip_call_close_h(int err, const struct sip_msg *msg, void *arg)
{
	struct sip_call *call = arg;
	char reason[SIP_REASON_MAX];
	bool answered = call->answer_ms != 0;

	if (msg != NULL && msg->scode >= 300 && !answered) {
		/* the final answer to our INVITE */
		call->sip_status = msg->scode;
		call->cause = sip_cause_of_status(msg->scode, 0);
		snprintf(reason, sizeof(reason), "%u %.*s", msg->scode,
		    (int)(msg->reason.l < 60 ? msg->reason.l : 60), msg->reason.p);
	} else if (msg != NULL && msg->scode >= 300) {
		/* 408 or 481 to a request in the dialog: it is gone */
		call->cause = SIP_CAUSE_DEAD_CALL;
		snprintf(reason, sizeof(reason), "dialog lost: %u %.*s in dialog", msg->scode,
		    (int)(msg->reason.l < 60 ? msg->reason.l : 60), msg->reason.p);
	} else if (err == ECONNRESET) {
		call->cause = SIP_CAUSE_HANGUP;
		snprintf(reason, sizeof(reason), "%s", "peer hung up");
	} else if (err == ETIMEDOUT) {
		/* A request in the dialog went unanswered until its transaction
		 * timed out (32 s): libre ends the dialog with BYE, as RFC 3261
		 * 12.2.1.2 advises. The unanswered T.38 re-INVITE is the usual
		 * one: the call went on in G.711 meanwhile. */
		call->cause = answered ? SIP_CAUSE_DEAD_CALL : SIP_CAUSE_SIP_TIMEOUT;
		snprintf(reason, sizeof(reason), "%s", !answered ? "no response to INVITE" :
		    call->t38_status == SIP_T38_REFUSE_SILENT ?
		    "dialog lost: no response to the T.38 re-INVITE (SIP timeout)" :
		    "dialog lost: no response to a request in dialog (SIP timeout)");
	} else if (err != 0) {
		call->cause = answered ? SIP_CAUSE_DEAD_CALL : SIP_CAUSE_NETWORK;
		snprintf(reason, sizeof(reason), "network: %s", strerror(err));
	} else {
		snprintf(reason, sizeof(reason), "%s", "closed");
	}
	call->sess = mem_deref(call->sess);
	sip_call_end(call, reason);
}

/* Ends the call from our side: BYE when answered, CANCEL when dialing, a
 * final 486 when ringing. Runs from a timer, never inside the session's
 * own callbacks. */
void
sip_call_hangup(struct sip_call *call, enum sip_cause cause, const char *reason)
{
	if (call->state >= SIP_CALL_CLOSING)
		return;
	if (call->cause == SIP_CAUSE_NONE)
		call->cause = cause;
	if (call->reason[0] == '\0')
		snprintf(call->reason, sizeof(call->reason), "%s", reason);
	tmr_start(&call->hangup_tmr, 0, sip_call_hangup_now, call);
}

static void
sip_call_hangup_now(void *arg)
{
	struct sip_call *call = arg;
	char reason[SIP_REASON_MAX];

	if (call->state >= SIP_CALL_CLOSING)
		return;
	snprintf(reason, sizeof(reason), "%s", call->reason);
	call->sess = mem_deref(call->sess);
	sip_call_end(call, reason);
}

/* Phase E reached: the sending side hangs up at once, the receiving side
 * gives the sender time to send its BYE first. */
void
sip_call_fax_finished(struct sip_call *call)
{
	sip_clock_stop(call);
	if (call->state >= SIP_CALL_CLOSING || tmr_isrunning(&call->hangup_tmr))
		return;
	snprintf(call->reason, sizeof(call->reason), "%s", "fax done");
	tmr_start(&call->hangup_tmr, call->dir == SIP_DIR_OFFRAMP ? SIP_HANGUP_DELAY_MS :
	    SIP_RX_HANGUP_DELAY_MS, sip_call_hangup_now, call);
}

static void
sip_call_fail_early(struct sip_call *call, enum sip_cause cause, const char *reason)
{
	if (call->cause == SIP_CAUSE_NONE)
		call->cause = cause;
	call->sess = mem_deref(call->sess);
	sip_call_end(call, reason);
}

/* The end of a call: the fax result, the events, the log line; the call
 * is freed from a zero timer. */
static void
sip_call_end(struct sip_call *call, const char *reason)
{
	if (call->state >= SIP_CALL_CLOSING)
		return;
	sip_call_enter_state(call, SIP_CALL_CLOSING);
	tmr_cancel(&call->ring_tmr);
	tmr_cancel(&call->reinvite_tmr);
	tmr_cancel(&call->hangup_tmr);
	sip_watch_stop(call);
	call->fax_ended_first = call->fax_done;
	if (call->fax != NULL && !call->fax_done)
		fax_session_terminate(call->fax);     /* fires done: call->result */
	if (call->reason[0] == '\0' || strcmp(call->reason, "fax done") == 0 ||
	    !call->fax_done)
		snprintf(call->reason, sizeof(call->reason), "%s", reason);
	sip_media_close(call);
	sip_call_report(call, sip_call_result(call));
	sip_call_enter_state(call, SIP_CALL_DONE);
	sip_line_call_gone(call->line);
	tmr_start(&call->free_tmr, 0, sip_call_free_cb, call);
}

/*
 * The call= line and the events. rate and ecm only when a DCS was
 * exchanged (spandsp reports 14400 before any training), the T.30 phase
 * when a fax session ran and the call failed, the T.30 code when T.30
 * itself failed.
 */
static void
sip_call_report(struct sip_call *call, enum sip_result res)
{
	const struct fax_result *r = &call->result;
	bool ran = call->fax_done && call->answer_ms != 0;
	enum sip_cause cause = sip_call_cause(call, res);
	char ani[LOG_ESC_BUFSZ], dnis[LOG_ESC_BUFSZ], rdnis[LOG_ESC_BUFSZ];
	char ident[LOG_ESC_BUFSZ], reason[LOG_ESC_BUFSZ], rate[40] = "", fax[64] = "";
	char t38[32] = "";
	struct sip_event *ev;
	unsigned secs = (unsigned)((tmr_jiffies() - call->start_ms + 500) / 1000);
	unsigned pages = (unsigned)(call->dir == SIP_DIR_OFFRAMP ? r->pages_tx : r->pages_rx);
	size_t n;
	int k;

	if (!ran)
		pages = 0;
	/* A fax that failed by itself says why; a call ended by a watchdog, a
	 * BYE or a hang-up keeps that reason, with where T.30 was. */
	if (call->fax_ended_first && r->completion_text[0] != '\0' && res != SIP_RESULT_OK &&
	    call->answer_ms != 0)
		snprintf(call->reason, sizeof(call->reason), "%s", r->completion_text);
	else if (ran && (cause == SIP_CAUSE_HANGUP || cause == SIP_CAUSE_DEAD_CALL) &&
	    (n = strlen(call->reason)) + 1 < sizeof(call->reason))
		snprintf(call->reason + n, sizeof(call->reason) - n, " in T.30 phase %s (%s)",
		    fax_phase_str(r->phase), fax_phase_words(r->phase));
	n = 0;
	if (ran && r->negotiated)
		snprintf(rate, sizeof(rate), " rate=%d ecm=%d", r->bit_rate, r->ecm ? 1 : 0);
	if (ran && cause != SIP_CAUSE_NONE && (k = snprintf(fax, sizeof(fax),
	    " t30_phase=%s", fax_phase_str(r->phase))) > 0)
		n = (size_t)k;
	if (ran && (cause == SIP_CAUSE_T30 || cause == SIP_CAUSE_NOT_FAX) && n < sizeof(fax))
		snprintf(fax + n, sizeof(fax) - n, " t30_code=%d", r->completion_code);
	if (call->t38_refused && call->t38_status == SIP_T38_REFUSE_SILENT)
		snprintf(t38, sizeof(t38), " t38_refused=unanswered");
	else if (call->t38_refused && call->t38_status != 0)
		snprintf(t38, sizeof(t38), " t38_refused=%d", call->t38_status);
	log_info("call=%s dir=%s ani=%s dnis=%s rdnis=%s media=%s sip=%d result=%s pages=%u%s "
	    "cause=%s%s%s secs=%u remote=%s reason=%s", call->id,
	    call->dir == SIP_DIR_ONRAMP ? "onramp" : "offramp",
	    log_str(ani, sizeof(ani), call->ani), log_str(dnis, sizeof(dnis), call->dnis),
	    log_str(rdnis, sizeof(rdnis), call->rdnis),
	    call->media == SIP_MEDIA_T38 ? "t38" : "g711", call->sip_status,
	    sip_result_name(res), pages, rate, sip_cause_name(cause), fax, t38, secs,
	    log_str(ident, sizeof(ident), ran ? r->remote_ident : ""),
	    log_str(reason, sizeof(reason), call->reason));

	ev = calloc(1, sizeof(*ev));
	if (ev == NULL) {
		log_warnx("call=%s: out of memory for the result event", call->id);
		return;
	}
	snprintf(ev->call_id, sizeof(ev->call_id), "%s", call->id);
	ev->job_id = call->job_id;
	ev->dir = call->dir;
	snprintf(ev->ani, sizeof(ev->ani), "%s", call->ani);
	snprintf(ev->dnis, sizeof(ev->dnis), "%s", call->dnis);
	snprintf(ev->rdnis, sizeof(ev->rdnis), "%s", call->rdnis);
	snprintf(ev->rx_path, sizeof(ev->rx_path), "%s", call->rx_path);
	snprintf(ev->reason, sizeof(ev->reason), "%s", call->reason);
	ev->result = res;
	ev->cause = cause;
	ev->sip_status = call->sip_status;
	ev->pages = pages;
	ev->t38 = call->media == SIP_MEDIA_T38;
	ev->secs = secs;
	sip_call_times(call, ev);
	ev->answered = call->answer_ms != 0;
	ev->setup_ms = call->answer_ms > call->start_ms ?
	    (unsigned)(call->answer_ms - call->start_ms) : 0;
	ev->rtp_lost = call->rtp_lost;
	ev->rtp_late = call->rtp_late;
	ev->udptl_lost = call->udptl_lost;
	ev->udptl_recovered = call->udptl_recovered;
	if (call->t38_refused)
		ev->t38_refused = call->t38_status;
	if (ran) {
		snprintf(ev->remote_ident, sizeof(ev->remote_ident), "%s", r->remote_ident);
		ev->t30_code = r->completion_code;
		ev->t30_phase = fax_phase_str(r->phase)[0];
		ev->fax_ran = r->negotiated != 0;
		ev->pages_total = r->pages_in_file > 0 ? (unsigned)r->pages_in_file : 0;
		ev->rate = (unsigned)r->bit_rate;
		ev->ecm = r->ecm != 0;
		ev->ecm_retries = r->ecm_retries > 0 ? (unsigned)r->ecm_retries : 0;
	}
	if (call->dir == SIP_DIR_ONRAMP && pages > 0) {
		struct sip_event *rx = malloc(sizeof(*rx));
		/* The final copy: the event below follows it. */
		sip_media_copy_pages(call, true);
		if (rx != NULL) {
			*rx = *ev;
			rx->type = SIP_EV_FAX_RECEIVED;
			sip_line_post(call->line, rx);
		}
	}
	ev->type = SIP_EV_CALL_FINISHED;
	sip_line_post(call->line, ev);
}

/* The call's monotonic marks as wall-clock times: the clock may be
 * stepped during a call, so the end is read once and the rest counted
 * back from it. */
static void
sip_call_times(const struct sip_call *call, struct sip_event *ev)
{
	uint64_t now = tmr_jiffies();
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev->end_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	ev->start_ms = ev->end_ms - (int64_t)(now - call->start_ms);
	ev->answer_ms = call->answer_ms != 0 ? ev->end_ms - (int64_t)(now - call->answer_ms) : 0;
}

static void
sip_call_free_cb(void *arg)
{
	sip_call_free(arg);
}

void
sip_call_free(struct sip_call *call)
{
	if (call == NULL)
		return;
	sip_clock_stop(call);
	tmr_cancel(&call->ring_tmr);
	tmr_cancel(&call->reinvite_tmr);
	tmr_cancel(&call->hangup_tmr);
	tmr_cancel(&call->free_tmr);
	sip_watch_stop(call);
	sip_status_call_gone(call);
	call->sess = mem_deref(call->sess);
	sip_media_close(call);
	fax_session_free(call->fax);
	list_unlink(&call->le);
	free(call);
}
