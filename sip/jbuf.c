/*
 * sip/jbuf: fixed-delay jitter buffer (see jbuf.h for the contract).
 * Frames are ordered by a playout number: the sequence number plus the
 * frames a silence-suppressing peer left out. Slot i holds playout number
 * v when v % SIP_JB_SLOTS == i.
 *
 * Why not spandsp's play-out buffer (playout.h, static length, with
 * PLAYOUT_FILLIN for a missing frame), which is meant for FoIP: measured
 * with bench/jbuf (both at 60 ms, the same packets on the same clock):
 *   - a sender that suppresses 2 s of silence (a short pause before
 *     showed that it does): spandsp reports all 100 missing frames as
 *     fill-in, so the modem's carrier stays "on" and a V.21 receiver
 *     never sees the peer stop (T.30 then waits out its timers); here 94
 *     of them play as silence;
 *   - a new stream after 5 s (new SSRC, sequence and timestamp, as after
 *     a re-INVITE to another media gateway): spandsp never plays again
 *     (510 fill-ins out of 510 frames; the call is lost) -- it knows only
 *     timestamps and has no restart of its own; here 747 of 750 play;
 *   - 10,000 packets stamped an hour ahead: spandsp holds all 10,000 (it
 *     allocates a node per packet and has no bound), here at most
 *     SIP_JB_SLOTS frames;
 *   - steady jitter up to 40 ms with 0.5 % loss: played 29,837 here,
 *     29,804 there, of 30,000; CPU 0.5 to 0.85 of spandsp's a packet
 *     over runs (its caller also allocates each payload, as the buffer
 *     keeps pointers).
 * So the line keeps this buffer; spandsp's fill-in (fax_rx_fillin) is
 * still what a LOST frame feeds.
 */
#include <stdlib.h>
#include <string.h>

#include "sip/jbuf.h"

/* Table of contents. */
static void sip_jb_restart(struct sip_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts);
static int sip_jb_new_stream(const struct sip_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts);
static uint16_t sip_jb_vseq(const struct sip_jb *jb, uint16_t seq, uint32_t ts);
static int sip_jb_grow(struct sip_jb *jb);

int
sip_jb_init(struct sip_jb *jb, unsigned delay, unsigned samples)
{
	memset(jb, 0, sizeof(*jb));
	jb->delay = delay > SIP_JB_MAX_DELAY ? SIP_JB_MAX_DELAY : delay;
	jb->samples = samples > 0 ? samples : 160;
	jb->stride = jb->samples < SIP_JB_FRAME_MAX ? jb->samples : SIP_JB_FRAME_MAX;
	jb->pool = malloc((size_t)SIP_JB_SLOTS * jb->stride);
	return jb->pool != NULL ? 0 : -1;
}

void
sip_jb_free(struct sip_jb *jb)
{
	free(jb->pool);
	jb->pool = NULL;
	jb->started = 0;
}

/* A frame longer than the pool's: the pool grows to the largest size
 * accepted, once; what it held is dropped (the buffer restarts). */
static int
sip_jb_grow(struct sip_jb *jb)
{
	uint8_t *p = malloc((size_t)SIP_JB_SLOTS * SIP_JB_FRAME_MAX);

	if (p == NULL)
		return -1;
	free(jb->pool);
	jb->pool = p;
	jb->stride = SIP_JB_FRAME_MAX;
	jb->started = 0;
	return 0;
}

static void
sip_jb_restart(struct sip_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	unsigned i;

	for (i = 0; i < SIP_JB_SLOTS; i++)
		jb->slot[i].full = 0;
	jb->started = 1;
	jb->prefill = jb->delay;
	jb->play_seq = seq;
	jb->ssrc = ssrc;
	jb->ref_seq = seq;
	jb->ref_ts = ts;
	jb->ref_vseq = seq;
	jb->ref_len = jb->samples;
	jb->late_run = 0;
	jb->empty_run = 0;
}

/* A packet from another stream than the one playing (RFC 3550 5.1: the
 * SSRC names the stream; seq and timestamp advance together in it). */
static int
sip_jb_new_stream(const struct sip_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	int16_t dseq = (int16_t)(uint16_t)(seq - jb->ref_seq);
	int32_t dts = (int32_t)(ts - jb->ref_ts);
	int64_t expect = (int64_t)dseq * jb->samples;
	int64_t off = (int64_t)dts - expect;

	if (ssrc != jb->ssrc)
		return 1;
	if (dseq >= SIP_JB_SLOTS || dseq <= -SIP_JB_SLOTS)   /* far ahead only */
		return (uint16_t)(jb->ref_vseq + dseq - jb->play_seq) < 0x8000;
	return off > (int64_t)SIP_JB_SLOTS * jb->samples ||
	    off < -(int64_t)SIP_JB_SLOTS * jb->samples;
}

/*
 * The playout number of a packet newer than the reference: its sequence
 * distance, plus the frames whose timestamps passed without a packet
 * (RFC 3551 4.1: silence suppression keeps the sequence numbers
 * contiguous and lets the timestamp run). Older packets (reordered) are
 * placed by sequence number alone.
 */
static uint16_t
sip_jb_vseq(const struct sip_jb *jb, uint16_t seq, uint32_t ts)
{
	int16_t dseq = (int16_t)(uint16_t)(seq - jb->ref_seq);
	int64_t gap;

	if (dseq <= 0)
		return (uint16_t)(jb->ref_vseq + dseq);
	gap = (int64_t)(int32_t)(ts - jb->ref_ts) - (int64_t)dseq * jb->ref_len;
	if (gap < (int64_t)jb->samples / 2)
		return (uint16_t)(jb->ref_vseq + dseq);
	return (uint16_t)(jb->ref_vseq + dseq + (gap + jb->samples / 2) / jb->samples);
}

enum sip_jb_put
sip_jb_put(struct sip_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts,
    int marker, const uint8_t *data, size_t len)
{
	struct sip_jb_slot *s;
	enum sip_jb_put r = SIP_JB_STORED;
	uint16_t d, v;

	if (len > SIP_JB_FRAME_MAX || jb->pool == NULL)
		return SIP_JB_TOO_LONG;
	if (len > jb->stride) {
		if (sip_jb_grow(jb) == -1)
			return SIP_JB_TOO_LONG;
		jb->restarts++;
		r = SIP_JB_RESTARTED;
	}
	if (!jb->started) {
		sip_jb_restart(jb, ssrc, seq, ts);
	} else if (sip_jb_new_stream(jb, ssrc, seq, ts)) {
		if (ssrc != jb->ssrc)
			jb->pauses = 0;         /* another sender: learn it anew */
		sip_jb_restart(jb, ssrc, seq, ts);
		jb->restarts++;
		r = SIP_JB_RESTARTED;
	}
	v = sip_jb_vseq(jb, seq, ts);
	/* A talkspurt after frames the timestamp skipped: the peer
	 * suppresses silence, and its gaps from now on may be pauses. */
	if (marker && r != SIP_JB_RESTARTED &&
	    (int16_t)(uint16_t)(seq - jb->ref_seq) > 0 &&
	    (int16_t)(uint16_t)(v - jb->ref_vseq) > (int16_t)(uint16_t)(seq - jb->ref_seq))
		jb->pauses = 1;
	d = (uint16_t)(v - jb->play_seq);
	if (d >= 0x8000 && ++jb->late_run >= SIP_JB_LATE_RESYNC) {
		sip_jb_restart(jb, ssrc, seq, ts);
		jb->restarts++;
		r = SIP_JB_RESTARTED;
		v = seq;
		d = 0;
	} else if (d >= 0x8000) {
		jb->late++;
		return SIP_JB_LATE;
	}
	if (d >= SIP_JB_SLOTS) {         /* ahead of the buffer: start over */
		sip_jb_restart(jb, ssrc, seq, ts);
		jb->restarts++;
		r = SIP_JB_RESTARTED;
		v = seq;
	}
	s = &jb->slot[v % SIP_JB_SLOTS];
	if (s->full && s->seq == v) {
		jb->duplicates++;
		return SIP_JB_DUPLICATE;
	}
	s->full = 1;
	s->seq = v;
	s->len = (uint16_t)len;
	memcpy(jb->pool + (size_t)(v % SIP_JB_SLOTS) * jb->stride, data, len);
	if ((int16_t)(uint16_t)(seq - jb->ref_seq) > 0 || r == SIP_JB_RESTARTED) {
		jb->ref_seq = seq;
		jb->ref_ts = ts;
		jb->ref_vseq = v;
		jb->ref_len = (uint32_t)len;
	}
	jb->late_run = 0;
	jb->stored++;
	return r;
}

enum sip_jb_get
sip_jb_get(struct sip_jb *jb, uint8_t *out, size_t outsz, size_t *len)
{
	struct sip_jb_slot *s;

	if (!jb->started)
		return SIP_JB_WAIT;
	if (jb->prefill > 0) {
		jb->prefill--;
		return SIP_JB_WAIT;
	}
	s = &jb->slot[jb->play_seq % SIP_JB_SLOTS];
	jb->play_seq++;
	if (!s->full || s->seq != (uint16_t)(jb->play_seq - 1)) {
		/* Nothing at or after this frame has arrived: after a few
		 * such frames a peer that suppresses silence pauses, and its
		 * silence is silence; a frame missing before others that
		 * arrived, or from a peer that never paused, is lost. */
		if ((int16_t)(uint16_t)(jb->ref_vseq - (uint16_t)(jb->play_seq - 1)) <= 0) {
			if (++jb->empty_run > SIP_JB_PAUSE_FRAMES && jb->pauses) {
				jb->silent++;
				return SIP_JB_SILENT;
			}
		} else {
			jb->empty_run = 0;
		}
		jb->lost++;
		return SIP_JB_LOST;
	}
	jb->empty_run = 0;
	s->full = 0;
	if (s->len > outsz) {
		jb->lost++;
		return SIP_JB_LOST;
	}
	memcpy(out, jb->pool + (size_t)((uint16_t)(jb->play_seq - 1) % SIP_JB_SLOTS) * jb->stride,
	    s->len);
	*len = s->len;
	jb->played++;
	return SIP_JB_FRAME;
}
