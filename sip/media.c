/*
 * sip/media: the media of one call. G.711 RTP (20 ms
 * frames, source address latching, the fixed jitter buffer, lost frames
 * to the fax session's fill-in), T.38 over UDPTL (redundancy out, recovery
 * in), one 20 ms frame of the fax session, the time of the last packet
 * each way for the dead-call check (watch.c), and what test peers do to
 * their own outgoing packets (loss, jitter, no RTP during silence).
 *
 * A frame (sip_media_frame, and the fax session's callbacks inside it)
 * runs on a media thread (lanes.c) while the line thread waits: it reads
 * the call's RTP and UDPTL sockets itself, with recvmmsg() on their
 * descriptors (libre's poll loop does not watch them), sends with
 * sendto(), and leaves SIP, libre timers and libre memory to the line
 * thread (a fax tone only sets a flag that clock.c acts on). So the line
 * thread wakes for SIP and RTCP only, not for 50 datagrams a second a
 * call, and T.38's IFPs (T.30 and the page's image data) are decoded on
 * the media threads too.
 *
 * It does not do SIP (call.c decides media and calls in here) nor keep
 * time (clock.c).
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <spandsp.h>

#include "util/log.h"
#include "sip/internal.h"

/* A delayed outgoing datagram (impairment --jitter). */
struct sip_delayed {
	struct tmr tmr;
	struct udp_sock *us;                    /* referenced */
	struct sa dst;
	struct mbuf *mb;                        /* owned */
};

/* What a frame does with one datagram read from a media socket. */
typedef void sip_media_rx_fn(struct sip_call *call, const struct sa *src, uint8_t *buf,
    size_t len, uint64_t now);

/* Table of contents. */
static void sip_media_drain(struct sip_call *call, struct udp_sock *us, sip_media_rx_fn *rx);
static void sip_media_rtp_rx(struct sip_call *call, const struct sa *src, uint8_t *buf,
    size_t len, uint64_t now);
static void sip_media_udptl_rx(struct sip_call *call, const struct sa *src, uint8_t *buf,
    size_t len, uint64_t now);
static bool sip_media_latch(struct sa *dst, bool *latched, const struct sa *sdp,
    const struct sa *src);
static void sip_media_ifp_deliver(const uint8_t *ifp, size_t len, uint16_t seq, void *arg);
static void sip_media_send_audio(struct sip_call *call, const int16_t *pcm, int n);
static void sip_media_output(struct sip_call *call, struct udp_sock *us,
    const struct sa *dst, const uint8_t *buf, size_t len);
static void sip_media_delayed_send(void *arg);
static void sip_media_delayed_destructor(void *arg);
static void sip_media_cb_done(void *arg, const struct fax_result *r);
static void sip_media_cb_t38_tx(void *arg, const uint8_t *buf, int len, int count);
static void sip_media_cb_tone(void *arg, enum fax_tone tone);
static void sip_media_cb_phase_b(void *arg, const struct fax_phase_b_info *info);
static void sip_media_cb_page(void *arg, const struct fax_page_info *info);
static void sip_media_sent(struct sip_call *call);
static void sip_media_t38_opts(const struct sip_call *call, struct fax_t38_options *o);
static int sip_media_peer(struct sa *dst, const struct sip_sdp_media *m);

enum sip_port_status
sip_media_open_audio(struct sip_call *call)
{
	const struct sip_line_options *o = &call->line->opts;
	enum sip_port_status st;

	if (call->rtp != NULL)
		return SIP_PORT_OK;
	st = sip_ports_open(call->line, true, &call->rtp, &call->rtcp, &call->rtp_port);
	if (st != SIP_PORT_OK)
		return st;
	if (sip_jb_init(&call->jb, (o->jitter_ms + SIP_FRAME_MS - 1) / SIP_FRAME_MS,
	    SIP_FRAME_SAMPLES) == -1) {
		log_warnx("call=%s rtp: out of memory for the jitter buffer", call->id);
		sip_ports_close(call->line, &call->rtp);
		sip_ports_close(call->line, &call->rtcp);
		return SIP_PORT_FAILED;
	}
	call->rtp_ts = rand_u32();
	call->rtp_ssrc = rand_u32();
	call->rtp_seq = rand_u16() & 0x7fff;    /* RFC 3550 5.1: random start */
	call->local.audio_port = call->rtp_port;
	return SIP_PORT_OK;
}

enum sip_port_status
sip_media_open_udptl(struct sip_call *call)
{
	const struct sip_line_options *o = &call->line->opts;
	enum sip_port_status st;

	if (call->udptl != NULL)
		return SIP_PORT_OK;
	/* Only T.38 calls pay for the UDPTL history (~70 KB). */
	call->urx = calloc(1, sizeof(*call->urx));
	call->utx = calloc(1, sizeof(*call->utx));
	if (call->urx == NULL || call->utx == NULL) {
		free(call->urx);
		free(call->utx);
		call->urx = NULL;
		call->utx = NULL;
		return SIP_PORT_FAILED;
	}
	sip_udptl_tx_init(call->utx, o->udptl_redundancy, 0);
	st = sip_ports_open(call->line, false, &call->udptl, NULL, &call->udptl_port);
	if (st != SIP_PORT_OK) {
		free(call->urx);
		free(call->utx);
		call->urx = NULL;
		call->utx = NULL;
		return st;
	}
	call->local.image_port = call->udptl_port;
	sip_udptl_rx_init(call->urx);
	return SIP_PORT_OK;
}

static int
sip_media_peer(struct sa *dst, const struct sip_sdp_media *m)
{
	return sa_set_str(dst, m->addr, m->port);
}

void
sip_media_set_audio_peer(struct sip_call *call, const struct sip_sdp_media *m)
{
	struct sa dst;

	if (sip_media_peer(&dst, m) != 0)
		return;
	/* A new address from SDP starts a new latch. */
	if (!sa_cmp(&dst, &call->rtp_sdp, SA_ALL)) {
		call->rtp_sdp = dst;
		call->rtp_dst = dst;
		call->rtp_latched = false;
	}
}

void
sip_media_set_udptl_peer(struct sip_call *call, const struct sip_sdp_media *m)
{
	struct sa dst;

	if (call->utx == NULL || sip_media_peer(&dst, m) != 0)
		return;
	if (!sa_cmp(&dst, &call->udptl_sdp, SA_ALL)) {
		call->udptl_sdp = dst;
		call->udptl_dst = dst;
		call->udptl_latched = false;
	}
	call->t38_peer = m->t38p;
	/* Only the limit changes: a refresh re-INVITE in the middle of a
	 * fax must not restart our sequence numbers. */
	call->utx->max_datagram = call->t38_peer.max_datagram;
}

static void
sip_media_t38_opts(const struct sip_call *call, struct fax_t38_options *o)
{
	memset(o, 0, sizeof(*o));
	/* spandsp sizes its IFPs to this; redundancy needs room beside the
	 * primary, and the peer's limit caps the whole datagram. */
	o->max_datagram = call->t38_peer.max_datagram > 0 ?
	    (int)call->t38_peer.max_datagram : 400;
	o->rate_management = call->t38_peer.rate == SIP_T38_LOCAL_TCF ?
	    FAX_T38_LOCAL_TCF : FAX_T38_TRANSFERRED_TCF;
	o->max_rate = (int)call->t38_peer.max_bitrate;
	o->version = (int)call->t38_peer.version;
	o->fill_bit_removal = 0;
}

int
sip_media_start_fax(struct sip_call *call, enum sip_media media, char *err, size_t errlen)
{
	struct fax_session_options fo;
	struct fax_session_callbacks cb;
	const struct sip_line_options *o = &call->line->opts;

	fax_session_options_init(&fo);
	fo.calling_party = call->dir == SIP_DIR_OFFRAMP;
	fo.media = media == SIP_MEDIA_T38 ? FAX_MEDIA_T38 : FAX_MEDIA_AUDIO;
	fo.ident = call->fax_opts.ident[0] != '\0' ? call->fax_opts.ident : NULL;
	fo.ecm = call->fax_opts.ecm;
	fo.max_speed = (int)call->fax_opts.max_rate;
	fo.tx_tiff = call->dir == SIP_DIR_OFFRAMP ? call->tx_path : NULL;
	/* Received pages go into memory, and the copier writes them to
	 * rx_path after each page: no file is created or written here. The
	 * Profile S rewrite fsyncs: the route's owner does it off this
	 * thread; spandsp writes MH so that it is cheap. */
	fo.rx_memory = call->dir == SIP_DIR_ONRAMP;
	fo.profile_s = 0;
	fo.rx_mh = !call->fax_opts.passthrough;
	fo.max_duration_ms = o->max_call_s * 1000u;
	if (media == SIP_MEDIA_T38)
		sip_media_t38_opts(call, &fo.t38);
	memset(&cb, 0, sizeof(cb));
	cb.done = sip_media_cb_done;
	cb.t38_tx = sip_media_cb_t38_tx;
	cb.phase_b = sip_media_cb_phase_b;
	cb.page = sip_media_cb_page;
	cb.tone = sip_media_cb_tone;
	if (call->t38_policy == SIP_T38_ON)
		cb.tone_kinds = call->dir == SIP_DIR_ONRAMP ? FAX_TONE_KIND_CNG :
		    FAX_TONE_KIND_CED;
	call->fax = fax_session_new(&fo, &cb, call, err, errlen);
	if (call->fax == NULL)
		return -1;
	call->media = media;
	return 0;
}

int
sip_media_switch_t38(struct sip_call *call)
{
	struct fax_t38_options t38;

	if (call->media == SIP_MEDIA_T38)
		return 0;
	sip_media_t38_opts(call, &t38);
	if (call->fax != NULL && fax_session_switch_to_t38(call->fax, &t38) < 0)
		return -1;
	call->media = SIP_MEDIA_T38;
	log_info("call=%s media=t38 peer_datagram=%u redundancy=%u", call->id,
	    call->t38_peer.max_datagram, call->utx != NULL ? call->utx->depth : 0);
	return 0;
}

void
sip_media_close(struct sip_call *call)
{
	sip_clock_stop(call);
	if (call->rtp != NULL && call->jb.started) {
		call->rtp_lost = call->jb.lost;
		call->rtp_late = call->jb.late;
	}
	if (call->urx != NULL && call->urx->started) {
		call->udptl_lost = call->urx->lost;
		call->udptl_recovered = call->urx->recovered;
	}
	if (call->rtp != NULL && call->jb.started)
		log_info("call=%s rtp stored=%lu played=%lu lost=%lu silent=%lu late=%lu dup=%lu "
		    "restarts=%lu foreign=%lu", call->id, call->jb.stored, call->jb.played,
		    call->jb.lost, call->jb.silent, call->jb.late, call->jb.duplicates,
		    call->jb.restarts, call->rtp_foreign);
	if (call->urx != NULL && call->urx->started)
		log_info("call=%s udptl received=%lu delivered=%lu recovered=%lu lost=%lu "
		    "dup=%lu malformed=%lu foreign=%lu", call->id, call->urx->received,
		    call->urx->delivered, call->urx->recovered, call->urx->lost,
		    call->urx->duplicates, call->urx->malformed, call->udptl_foreign);
	sip_ports_close(call->line, &call->rtp);
	sip_ports_close(call->line, &call->rtcp);
	sip_jb_free(&call->jb);
	sip_ports_close(call->line, &call->udptl);
	free(call->urx);
	free(call->utx);
	call->urx = NULL;
	call->utx = NULL;
}

/* --- receive (in the frame) ------------------------------------------ */

/*
 * Reads what waits on the call's socket, SIP_MEDIA_RX_BATCH datagrams a
 * system call, SIP_MEDIA_RX_MAX in a frame at most: a peer that floods a
 * port fills the kernel's buffer (which then drops) instead of taking the
 * media threads' time from the other calls. At the normal 50 packets a
 * second each system call reads one datagram. A truncated datagram
 * (larger than SIP_DATAGRAM_MAX) is not media of ours and is dropped; an
 * error (the socket holds nothing: EAGAIN) ends the reading until the
 * next frame.
 */
static void
sip_media_drain(struct sip_call *call, struct udp_sock *us, sip_media_rx_fn *rx)
{
	uint8_t buf[SIP_MEDIA_RX_BATCH][SIP_DATAGRAM_MAX];
	struct mmsghdr msg[SIP_MEDIA_RX_BATCH];
	struct iovec iov[SIP_MEDIA_RX_BATCH];
	struct sa src[SIP_MEDIA_RX_BATCH];
	int fd = udp_sock_fd(us, sa_af(&call->line->media_ip));
	unsigned total = 0;
	uint64_t now;
	int n, i;

	while (total < SIP_MEDIA_RX_MAX) {
		memset(msg, 0, sizeof(msg));
		for (i = 0; i < SIP_MEDIA_RX_BATCH; i++) {
			iov[i].iov_base = buf[i];
			iov[i].iov_len = sizeof(buf[i]);
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
			msg[i].msg_hdr.msg_name = &src[i].u;
			msg[i].msg_hdr.msg_namelen = sizeof(src[i].u);
		}
		n = recvmmsg(fd, msg, SIP_MEDIA_RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		now = tmr_jiffies();
		for (i = 0; i < n; i++) {
			if (msg[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			src[i].len = msg[i].msg_hdr.msg_namelen;
			rx(call, &src[i], buf[i], msg[i].msg_len, now);
		}
		total += (unsigned)n;
		if (n < SIP_MEDIA_RX_BATCH)
			return;
	}
}

/*
 * Symmetric RTP (RFC 4961): the first source takes the latch, since a
 * peer behind NAT sends from another address than its SDP gives, and
 * others are dropped after. But the SDP's own address takes the latch back
 * from any other: packets that reached the port before the peer's (a
 * flood, or another party's stream: "RTP bleed") do not keep the call once
 * the peer sends from where it said it would. true: src is the peer.
 */
static bool
sip_media_latch(struct sa *dst, bool *latched, const struct sa *sdp, const struct sa *src)
{
	if (*latched && sa_cmp(src, dst, SA_ALL))
		return true;
	if (*latched && !sa_cmp(src, sdp, SA_ALL))
		return false;
	*dst = *src;
	*latched = true;
	return true;
}

static void
sip_media_rtp_rx(struct sip_call *call, const struct sa *src, uint8_t *buf, size_t len,
    uint64_t now)
{
	struct rtp_header hdr;
	struct mbuf mb;

	/* A view of buf for the decoder: nothing is allocated or freed. */
	mbuf_init(&mb);
	mb.buf = buf;
	mb.size = mb.end = len;
	memset(&hdr, 0, sizeof(hdr));
	if (rtp_hdr_decode(&hdr, &mb) != 0 || hdr.ver != RTP_VERSION)
		return;

	if (!sip_media_latch(&call->rtp_dst, &call->rtp_latched, &call->rtp_sdp, src)) {
		call->rtp_foreign++;
		return;
	}
	call->last_rx_ms = now;                 /* comfort noise too: the peer lives */
	if (hdr.pt != SIP_SDP_PT_PCMU && hdr.pt != SIP_SDP_PT_PCMA)
		return;                 /* telephone-event, CN: not fax */
	if (call->media != SIP_MEDIA_AUDIO)
		return;
	call->audio_pt = hdr.pt;                /* the law, per call */
	sip_jb_put(&call->jb, hdr.ssrc, hdr.seq, hdr.ts, hdr.m, mbuf_buf(&mb),
	    mbuf_get_left(&mb));
}

static void
sip_media_ifp_deliver(const uint8_t *ifp, size_t len, uint16_t seq, void *arg)
{
	struct sip_call *call = arg;

	if (call->fax != NULL)
		fax_session_rx_ifp(call->fax, ifp, (int)len, seq);
}

static void
sip_media_udptl_rx(struct sip_call *call, const struct sa *src, uint8_t *buf, size_t len,
    uint64_t now)
{
	if (!sip_media_latch(&call->udptl_dst, &call->udptl_latched, &call->udptl_sdp, src)) {
		call->udptl_foreign++;
		return;
	}
	call->last_rx_ms = now;
	if (call->media != SIP_MEDIA_T38 || call->fax == NULL)
		return;
	sip_udptl_rx_datagram(call->urx, buf, len, sip_media_ifp_deliver, call);
}

/* --- a frame --------------------------------------------------------- */

void
sip_media_frame(void *arg)
{
	struct sip_call *call = arg;
	int16_t pcm[SIP_FRAME_SAMPLES];
	uint8_t frame[SIP_JB_FRAME_MAX];
	size_t len = 0, i;
	int n;

	if (call->fax == NULL || call->fax_done)
		return;
	/* What came since the last frame, before the frame plays it. */
	if (call->rtp != NULL)
		sip_media_drain(call, call->rtp, sip_media_rtp_rx);
	if (call->udptl != NULL)
		sip_media_drain(call, call->udptl, sip_media_udptl_rx);
	if (call->fax_done)
		return;         /* the last IFPs ended the fax */
	if (call->media == SIP_MEDIA_AUDIO) {
		switch (sip_jb_get(&call->jb, frame, sizeof(frame), &len)) {
		case SIP_JB_FRAME:
			if (len > SIP_FRAME_SAMPLES)
				len = SIP_FRAME_SAMPLES;
			for (i = 0; i < len; i++)
				pcm[i] = call->audio_pt == SIP_SDP_PT_PCMA ?
				    alaw_to_linear(frame[i]) : ulaw_to_linear(frame[i]);
			fax_session_rx_audio(call->fax, pcm, (int)len);
			break;
		case SIP_JB_LOST:
			fax_session_rx_lost(call->fax, SIP_FRAME_SAMPLES);
			break;
		case SIP_JB_WAIT:
		case SIP_JB_SILENT:
			/* no stream yet, or the peer pauses: silence keeps the
			 * T.30 timers running and lets a modem see the carrier
			 * drop */
			memset(pcm, 0, sizeof(pcm));
			fax_session_rx_audio(call->fax, pcm, SIP_FRAME_SAMPLES);
			break;
		}
		if (call->fax_done || call->media != SIP_MEDIA_AUDIO)
			return;
		n = fax_session_tx_audio(call->fax, pcm, SIP_FRAME_SAMPLES);
		if (n > 0 && fax_session_tx_signal(call->fax))
			sip_media_sent(call);
		if (n > 0 && call->line->opts.vad && !fax_session_tx_signal(call->fax)) {
			/* RFC 3551 4.1: silence is not sent, its time passes, and
			 * the marker bit flags the next talkspurt */
			call->rtp_ts += (uint32_t)n;
			call->rtp_marker = true;
		} else if (n > 0)
			sip_media_send_audio(call, pcm, n);
	}
	fax_session_tick(call->fax, SIP_FRAME_SAMPLES);
}

/* --- send ------------------------------------------------------------- */

/*
 * We sent a signal or a datagram: the call moves, for the dead-call check.
 * Only once the far end has sent a T.30 frame: before that our CNG, CED or
 * DIS going out proves nothing about the peer, which may be gone (or was
 * never a fax machine, which T.30's T1 tells).
 */
static void
sip_media_sent(struct sip_call *call)
{
	if (call->fax != NULL && fax_session_result(call->fax)->frames_rx > 0)
		call->last_tx_ms = tmr_jiffies();
}

static void
sip_media_send_audio(struct sip_call *call, const int16_t *pcm, int n)
{
	uint8_t pkt[RTP_HEADER_SIZE + SIP_FRAME_SAMPLES], *p = pkt;
	int pt = call->local.audio_pt, i;

	if (n > SIP_FRAME_SAMPLES)
		n = SIP_FRAME_SAMPLES;
	if (call->rtp == NULL || !sa_isset(&call->rtp_dst, SA_ALL))
		return;
	/* RFC 3550 5.1, fixed part only: V=2, no padding, extension or CSRC.
	 * Encoded now so that the sequence number is fixed even if the
	 * datagram is delayed (impairment) and sent out of order. */
	*p++ = 0x80;
	*p++ = (uint8_t)((call->rtp_marker ? 0x80 : 0) | (pt & 0x7f));
	*p++ = (uint8_t)(call->rtp_seq >> 8);
	*p++ = (uint8_t)call->rtp_seq;
	for (i = 24; i >= 0; i -= 8)
		*p++ = (uint8_t)(call->rtp_ts >> i);
	for (i = 24; i >= 0; i -= 8)
		*p++ = (uint8_t)(call->rtp_ssrc >> i);
	for (i = 0; i < n; i++)
		*p++ = pt == SIP_SDP_PT_PCMA ? linear_to_alaw(pcm[i]) : linear_to_ulaw(pcm[i]);
	call->rtp_seq++;
	call->rtp_marker = false;
	sip_media_output(call, call->rtp, &call->rtp_dst, pkt, (size_t)(p - pkt));
	call->rtp_ts += (uint32_t)n;
}

static void
sip_media_cb_t38_tx(void *arg, const uint8_t *buf, int len, int count)
{
	struct sip_call *call = arg;
	uint8_t out[SIP_DATAGRAM_MAX];
	int n, i;

	if (call->udptl == NULL || !sa_isset(&call->udptl_dst, SA_ALL) || len < 0)
		return;
	n = sip_udptl_tx_encode(call->utx, buf, (size_t)len, out, sizeof(out));
	if (n < 0) {
		log_warnx("call=%s udptl: IFP of %d bytes exceeds the peer's datagram", call->id,
		    len);
		return;
	}
	sip_media_sent(call);
	/* One datagram, one sequence number, sent count times (T.38 9.1). */
	for (i = 0; i < (count > 0 ? count : 1); i++)
		sip_media_output(call, call->udptl, &call->udptl_dst, out, (size_t)n);
}

/* Sends buf to dst, or drops/delays it when impairment is configured.
 * Any media thread; a delay only on the line thread (clock.c runs the
 * frames there when --jitter is set). A datagram the kernel refuses is
 * as lost as one the network drops: the peer's recovery handles both. */
static void
sip_media_output(struct sip_call *call, struct udp_sock *us, const struct sa *dst,
    const uint8_t *buf, size_t len)
{
	const struct sip_line_options *o = &call->line->opts;
	struct sip_delayed *d;

	if (o->tx_loss_pct > 0 &&
	    (double)(rand_u32() % 1000000u) < o->tx_loss_pct * 10000.0)
		return;
	if (o->tx_jitter_ms == 0) {
		(void)sendto(udp_sock_fd(us, sa_af(dst)), buf, len, MSG_DONTWAIT, &dst->u.sa,
		    dst->len);
		return;
	}
	d = mem_zalloc(sizeof(*d), sip_media_delayed_destructor);
	if (d == NULL)
		return;
	tmr_init(&d->tmr);
	d->mb = mbuf_alloc(len);
	if (d->mb == NULL) {
		mem_deref(d);
		return;
	}
	mbuf_write_mem(d->mb, buf, len);
	d->mb->pos = 0;
	d->us = mem_ref(us);
	d->dst = *dst;
	tmr_start(&d->tmr, rand_u32() % (o->tx_jitter_ms + 1), sip_media_delayed_send, d);
}

static void
sip_media_delayed_send(void *arg)
{
	struct sip_delayed *d = arg;

	udp_send(d->us, &d->dst, d->mb);
	mem_deref(d);
}

static void
sip_media_delayed_destructor(void *arg)
{
	struct sip_delayed *d = arg;

	tmr_cancel(&d->tmr);
	mem_deref(d->mb);
	mem_deref(d->us);
}

/* --- fax session callbacks (run inside fax_session_*: flags only) ----- */

static void
sip_media_cb_done(void *arg, const struct fax_result *r)
{
	struct sip_call *call = arg;

	call->result = *r;
	call->fax_done = true;
}

static void
sip_media_cb_tone(void *arg, enum fax_tone tone)
{
	struct sip_call *call = arg;

	log_debug("call=%s tone=%s", call->id, fax_tone_str(tone));
	/* SIP is the line thread's: clock.c sends the re-INVITE after the
	 * frame. */
	call->tone_t38 = true;
}

static void
sip_media_cb_page(void *arg, const struct fax_page_info *info)
{
	struct sip_call *call = arg;

	log_info("call=%s page=%d rate=%d rows=%d bad_rows=%d ecm=%d", call->id, info->page,
	    info->bit_rate, info->rows, info->bad_rows, info->ecm);
	if (call->dir == SIP_DIR_ONRAMP)
		sip_media_copy_pages(call, false);
}

void
sip_media_copy_pages(struct sip_call *call, bool last)
{
	int fd = call->fax != NULL ? fax_session_rx_fd(call->fax) : -1;

	if (fd >= 0 && sip_rxcopy_page(call->line->rxcopy, call->id, fd, call->rx_path,
	    last) == -1)
		log_warn("call=%s event=rx-copy result=failed last=%d reason=\"cannot queue "
		    "the copy\"", call->id, last);
}

static void
sip_media_cb_phase_b(void *arg, const struct fax_phase_b_info *info)
{
	struct sip_call *call = arg;
	char esc[LOG_ESC_BUFSZ];

	log_info("call=%s phase=b rate=%d ecm=%d remote=%s", call->id, info->bit_rate,
	    info->ecm, log_str(esc, sizeof(esc), info->remote_ident));
}
