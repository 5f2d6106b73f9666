/*
 * bench/jbuf: the G.711 jitter buffer of sip/jbuf against spandsp's
 * play-out buffer (playout.h, static length, PLAYOUT_FILLIN), fed the
 * same packets on the same 20 ms clock, both with a 60 ms delay.
 *
 * Scenarios (a fixed pseudo-random sequence, so every run is the same):
 *   steady   10 minutes, network jitter up to 40 ms, 0.5 % loss
 *   pause    5 s, 200 ms and then 2 s of silence suppressed by the
 *            sender (no packets, the timestamp runs on, the marker bit
 *            on the next packet), 5 s
 *   restart  5 s, then a new stream (new SSRC, sequence and timestamp, as
 *            after a re-INVITE to another media gateway), 10 s
 *   wrap     the RTP timestamp crosses 2^31 after 2 s, 20 s in all
 *   flood    10,000 packets stamped an hour ahead within one second
 * For each: frames played, frames filled in (spandsp's FILLIN; ours LOST),
 * frames played as silence (ours SILENT: a paused peer), and the frames
 * held in memory at the end. Then the CPU time per packet (put + get) of
 * the steady scenario and the ratio ours / spandsp. spandsp's buffer keeps
 * a pointer to each payload, so its caller allocates each one; that is
 * counted too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <spandsp.h>

#include "sip/jbuf.h"

#define FRAME_SAMPLES 160               /* 20 ms of G.711 */
#define DELAY_FRAMES 3                  /* 60 ms, the line's default */
#define ROUNDS 20                       /* timing runs of the steady scenario */

struct pkt {
	uint32_t ssrc, ts;
	uint16_t seq;
	int marker;                     /* first packet of a talkspurt */
	int64_t arrive_us;
};

struct tally {
	unsigned long played, filled, silent, held;
};

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static int
by_arrival(const void *a, const void *b)
{
	const struct pkt *x = a, *y = b;

	return x->arrive_us < y->arrive_us ? -1 : x->arrive_us > y->arrive_us;
}

/* frames of a stream starting at frame `from` of the sender's clock */
static size_t
stream(struct pkt *p, size_t n, unsigned from, unsigned count, uint32_t ssrc,
    uint16_t seq0, uint32_t ts0, unsigned jitter_ms, unsigned loss_per_mille)
{
	unsigned k;

	for (k = 0; k < count; k++) {
		if (loss_per_mille && rnd() % 1000 < loss_per_mille)
			continue;
		p[n].ssrc = ssrc;
		p[n].seq = (uint16_t)(seq0 + k);
		p[n].ts = ts0 + k * FRAME_SAMPLES;
		p[n].marker = 0;
		p[n].arrive_us = (int64_t)(from + k) * 20000 + 30000 +
		    (jitter_ms ? (int64_t)(rnd() % (jitter_ms * 1000)) : 0);
		n++;
	}
	return n;
}

/* Both buffers over the packets, ticking every 20 ms from the first one
 * to `ticks` ticks later. */
static void
run(const struct pkt *p, size_t n, unsigned ticks, struct tally *ours, struct tally *theirs)
{
	static uint8_t payload[FRAME_SAMPLES], out[SIP_JB_FRAME_MAX];
	struct sip_jb jb;
	playout_state_t *po = playout_init(DELAY_FRAMES * FRAME_SAMPLES,
	    DELAY_FRAMES * FRAME_SAMPLES);
	playout_frame_t fr;
	int64_t t0 = p[0].arrive_us;
	size_t i = 0, len;
	unsigned t;
	int r, started = 0;

	memset(ours, 0, sizeof(*ours));
	memset(theirs, 0, sizeof(*theirs));
	sip_jb_init(&jb, DELAY_FRAMES, FRAME_SAMPLES);
	for (t = 0; t < ticks; t++) {
		int64_t now = t0 + (int64_t)t * 20000;

		for (; i < n && p[i].arrive_us <= now; i++) {
			uint8_t *copy = malloc(FRAME_SAMPLES);

			sip_jb_put(&jb, p[i].ssrc, p[i].seq, p[i].ts, p[i].marker, payload, sizeof(payload));
			memcpy(copy, payload, FRAME_SAMPLES);
			playout_put(po, copy, PLAYOUT_TYPE_SPEECH, FRAME_SAMPLES,
			    (timestamp_t)p[i].ts, (timestamp_t)(now / 125));
			started = 1;
		}
		switch (sip_jb_get(&jb, out, sizeof(out), &len)) {
		case SIP_JB_FRAME: ours->played++; break;
		case SIP_JB_LOST: ours->filled++; break;
		case SIP_JB_SILENT: ours->silent++; break;
		case SIP_JB_WAIT: break;
		}
		if (!started)
			continue;
		while ((r = playout_get(po, &fr, (timestamp_t)(now / 125))) == PLAYOUT_DROP)
			free(fr.data);
		if (r == PLAYOUT_OK) {
			theirs->played++;
			free(fr.data);
		} else if (r == PLAYOUT_FILLIN) {
			theirs->filled++;
		}
	}
	for (r = 0; r < SIP_JB_SLOTS; r++)
		ours->held += jb.slot[r].full != 0;
	theirs->held = (unsigned long)(po->frames_in - po->frames_out);
	{
		playout_frame_t *f;

		while ((f = playout_get_unconditional(po)) != NULL)
			free(f->data);
	}
	sip_jb_free(&jb);
	playout_free(po);
}

static void
report(const char *name, unsigned sent, const struct tally *a, const struct tally *b)
{
	printf("  %-8s sent %6u  ours: played %6lu filled %5lu silent %4lu held %5lu"
	    "  spandsp: played %6lu filled %5lu held %5lu\n", name, sent, a->played,
	    a->filled, a->silent, a->held, b->played, b->filled, b->held);
}

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	static struct pkt p[40000];
	struct tally a, b;
	double t_ours = 0, t_theirs = 0, t;
	size_t n, i;
	int round;

	printf("jbuf: sip/jbuf and spandsp playout, 60 ms fixed delay\n");
	n = stream(p, 0, 0, 30000, 1, 100, 5000, 40, 5);
	qsort(p, n, sizeof(p[0]), by_arrival);
	run(p, n, 30010, &a, &b);
	report("steady", 30000, &a, &b);

	/* a first, short pause (200 ms) shows that the peer suppresses
	 * silence (its next packet is marked); then the 2 s one */
	n = stream(p, 0, 0, 250, 1, 100, 5000, 10, 0);
	i = n;
	n = stream(p, n, 260, 90, 1, 350, 5000 + 260 * FRAME_SAMPLES, 10, 0);
	p[i].marker = 1;
	i = n;
	n = stream(p, n, 450, 250, 1, 440, 5000 + 450 * FRAME_SAMPLES, 10, 0);
	p[i].marker = 1;
	qsort(p, n, sizeof(p[0]), by_arrival);
	run(p, n, 710, &a, &b);
	report("pause", 590, &a, &b);

	n = stream(p, 0, 0, 250, 1, 100, 5000, 10, 0);
	n = stream(p, n, 250, 500, 2, 40000, 3000000000u, 10, 0);
	qsort(p, n, sizeof(p[0]), by_arrival);
	run(p, n, 760, &a, &b);
	report("restart", 750, &a, &b);

	n = stream(p, 0, 0, 1000, 1, 100, 0x80000000u - 100 * FRAME_SAMPLES, 10, 0);
	qsort(p, n, sizeof(p[0]), by_arrival);
	run(p, n, 1010, &a, &b);
	report("wrap", 1000, &a, &b);

	n = stream(p, 0, 0, 50, 1, 100, 5000, 10, 0);
	for (i = 0; i < 10000; i++) {
		p[n].ssrc = 1;
		p[n].seq = (uint16_t)(150 + i);
		p[n].ts = 5000 + 50 * FRAME_SAMPLES + 8000 * 3600 + (uint32_t)i * FRAME_SAMPLES;
		p[n].arrive_us = 1000000 + (int64_t)i * 100;
		n++;
	}
	qsort(p, n, sizeof(p[0]), by_arrival);
	run(p, n, 100, &a, &b);
	report("flood", 10050, &a, &b);

	/* CPU per packet, steady scenario, alternating */
	rng = 777;
	n = stream(p, 0, 0, 30000, 1, 100, 5000, 40, 5);
	qsort(p, n, sizeof(p[0]), by_arrival);
	for (round = 0; round < ROUNDS; round++) {
		struct sip_jb jb;
		playout_state_t *po;
		playout_frame_t fr;
		static uint8_t payload[FRAME_SAMPLES], out[SIP_JB_FRAME_MAX];
		size_t len, k = 0;
		unsigned tk;
		int r;

		t = cpu_now();
		sip_jb_init(&jb, DELAY_FRAMES, FRAME_SAMPLES);
		for (tk = 0, k = 0; tk < 30010; tk++) {
			int64_t now = p[0].arrive_us + (int64_t)tk * 20000;

			for (; k < n && p[k].arrive_us <= now; k++)
				sip_jb_put(&jb, p[k].ssrc, p[k].seq, p[k].ts, 0, payload, sizeof(payload));
			(void)sip_jb_get(&jb, out, sizeof(out), &len);
		}
		sip_jb_free(&jb);
		t_ours += cpu_now() - t;

		t = cpu_now();
		po = playout_init(DELAY_FRAMES * FRAME_SAMPLES, DELAY_FRAMES * FRAME_SAMPLES);
		for (tk = 0, k = 0; tk < 30010; tk++) {
			int64_t now = p[0].arrive_us + (int64_t)tk * 20000;

			for (; k < n && p[k].arrive_us <= now; k++) {
				uint8_t *copy = malloc(FRAME_SAMPLES);

				memcpy(copy, payload, FRAME_SAMPLES);
				playout_put(po, copy, PLAYOUT_TYPE_SPEECH, FRAME_SAMPLES,
				    (timestamp_t)p[k].ts, (timestamp_t)(now / 125));
			}
			while ((r = playout_get(po, &fr, (timestamp_t)(now / 125))) == PLAYOUT_DROP)
				free(fr.data);
			if (r == PLAYOUT_OK)
				free(fr.data);
		}
		{
			playout_frame_t *f;

			while ((f = playout_get_unconditional(po)) != NULL)
				free(f->data);
		}
		playout_free(po);
		t_theirs += cpu_now() - t;
	}
	printf("  cpu per packet: ours %.0f ns, spandsp %.0f ns (with its payload "
	    "allocations); ratio ours/spandsp %.2f\n", t_ours * 1e9 / ((double)n * ROUNDS),
	    t_theirs * 1e9 / ((double)n * ROUNDS), t_ours / t_theirs);
	return 0;
}
