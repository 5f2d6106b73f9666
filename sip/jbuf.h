/*
 * sip/jbuf: a FIXED-delay jitter buffer for G.711 fax pass-through, private
 * to sip/. Pure data structure: no clock, no sockets.
 *
 * The receive path puts RTP payloads in by sequence number; the call's
 * 20 ms clock takes one frame out per tick. Playout starts `delay` ticks
 * after the first packet and never stretches or shrinks time afterwards
 * (fax modems cannot tolerate it). A frame missing at its playout tick is
 * reported as lost so the caller feeds fax_rx_fillin(), unless the peer
 * suppresses silence and has paused: once the peer has shown that it does
 * (a packet with the marker bit set after a timestamp gap, RFC 3551 4.1)
 * and SIP_JB_PAUSE_FRAMES frames in a row are missing with nothing after
 * them, the missing frames are silence (spandsp's fill-in keeps a modem's
 * carrier "on", so a V.21 receiver would never see the peer stop talking
 * and T.30 would wait for it). A peer that never paused is only ever
 * missing frames because they were lost or it stalled (a stalled sender
 * skips its timestamp ahead without the marker): those are filled in, the
 * modem's best chance to keep its place in a page. A packet arriving
 * after its tick is dropped as late; a repeated one as a duplicate.
 * Sequence numbers compare modulo 2^16. A peer that suppresses silence
 * (voice activity detection, RFC 3551 4.1) sends nothing for a while but
 * lets the timestamp run: the next packet is placed after the frames it did
 * not send (they play as lost), not at the next sequence number, where it
 * would be late. A new SSRC, a sequence jump beyond
 * the buffer, a timestamp inconsistent with the sequence number by more
 * than the buffer length, or SIP_JB_LATE_RESYNC late packets in a row is a
 * new stream (or new timing): the buffer restarts.
 *
 * Memory: the payloads live in one pool of SIP_JB_SLOTS frames of the size
 * the call negotiated (10 KB for 20 ms of G.711), not of the largest size
 * accepted; a longer packet grows the pool once (the buffer restarts).
 * sip_jb_free() releases it.
 */
#ifndef SIP_JBUF_H
#define SIP_JBUF_H

#include <stddef.h>
#include <stdint.h>

/* Longest payload kept per frame (60 ms of G.711). */
#define SIP_JB_FRAME_MAX 480
/* Frames held (1.28 s at 20 ms); the delay is at most half of it. */
#define SIP_JB_SLOTS 64
#define SIP_JB_MAX_DELAY (SIP_JB_SLOTS / 2)
/* This many late packets in a row mean the sender's clock jumped (or it
 * stalled and skipped ahead): playout restarts on the new timing. */
#define SIP_JB_LATE_RESYNC 5
/* Missing frames with nothing after them: more than this many in a row
 * (100 ms, longer than the jitter a fixed buffer absorbs) is a pause. */
#define SIP_JB_PAUSE_FRAMES 5

enum sip_jb_put {
	SIP_JB_STORED = 0,
	SIP_JB_DUPLICATE,
	SIP_JB_LATE,
	SIP_JB_RESTARTED,        /* stored as the first frame of a new stream */
	SIP_JB_TOO_LONG,         /* payload larger than SIP_JB_FRAME_MAX */
};

enum sip_jb_get {
	SIP_JB_WAIT = 0,         /* nothing to play yet (before or during prefill) */
	SIP_JB_FRAME,            /* a frame was copied out */
	SIP_JB_LOST,             /* the frame due now never came: fill it in */
	SIP_JB_SILENT,           /* the peer pauses: play silence */
};

struct sip_jb_slot {
	int full;
	uint16_t seq;
	uint16_t len;
};

struct sip_jb {
	unsigned delay;          /* frames of playout delay */
	unsigned samples;        /* RTP timestamp units per frame (160) */
	int started;
	unsigned prefill;        /* ticks left before playout starts */
	uint16_t play_seq;       /* next frame to play: a sequence number
	                            plus the frames of silence suppressed */
	uint32_t ssrc;
	uint16_t ref_seq;        /* a reference packet for timestamp checks */
	uint32_t ref_ts;
	uint16_t ref_vseq;       /* its place in playout order (as play_seq) */
	uint32_t ref_len;        /* its samples (G.711: payload bytes) */
	unsigned late_run;       /* consecutive late packets */
	unsigned empty_run;      /* consecutive missing frames, nothing after */
	int pauses;              /* the peer suppresses silence (seen a
	                            marked talkspurt after a gap) */
	unsigned stride;         /* bytes per frame in the pool */
	uint8_t *pool;           /* owned: SIP_JB_SLOTS * stride bytes */
	struct sip_jb_slot slot[SIP_JB_SLOTS];
	/* statistics */
	unsigned long stored, played, lost, silent, late, duplicates, restarts;
};

/* delay in frames (clamped to SIP_JB_MAX_DELAY), samples (= G.711 bytes)
 * per frame. 0, or -1 when the pool cannot be allocated. */
int sip_jb_init(struct sip_jb *jb, unsigned delay, unsigned samples);
/* Releases the pool; the buffer may be initialized again. */
void sip_jb_free(struct sip_jb *jb);
/* marker: the RTP header's M bit (the first packet of a talkspurt). */
enum sip_jb_put sip_jb_put(struct sip_jb *jb, uint32_t ssrc, uint16_t seq, uint32_t ts,
    int marker, const uint8_t *data, size_t len);
/* One playout tick. On SIP_JB_FRAME copies the payload to out (outsz >=
 * SIP_JB_FRAME_MAX is always enough) and sets *len. */
enum sip_jb_get sip_jb_get(struct sip_jb *jb, uint8_t *out, size_t outsz, size_t *len);

#endif
