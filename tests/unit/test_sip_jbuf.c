/* Unit tests for sip/jbuf: the fixed-delay jitter buffer. */
#include <check.h>
#include <string.h>

#include "sip/jbuf.h"

#define SSRC 0x1234abcdu

static enum sip_jb_put
put(struct sip_jb *jb, uint16_t seq)
{
	uint8_t f[160];

	memset(f, seq & 0xff, sizeof(f));
	/* the timestamp advances with the sequence number, also across its wrap */
	return sip_jb_put(jb, SSRC, seq, (uint32_t)((int32_t)(int16_t)seq * 160 + 1000000),
	    0, f, sizeof(f));
}

/* Plays one tick; returns the result and the first payload byte in *b. */
static enum sip_jb_get
get(struct sip_jb *jb, int *b)
{
	uint8_t out[SIP_JB_FRAME_MAX];
	size_t len = 0;
	enum sip_jb_get r = sip_jb_get(jb, out, sizeof(out), &len);

	*b = r == SIP_JB_FRAME ? out[0] : -1;
	if (r == SIP_JB_FRAME)
		ck_assert_uint_eq(len, 160);
	return r;
}

START_TEST(test_sip_jb_fixed_delay)
{
	struct sip_jb jb;
	int b, i;

	ck_assert_int_eq(sip_jb_init(&jb, 3, 160), 0);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_WAIT);     /* nothing yet */
	ck_assert_int_eq(put(&jb, 500), SIP_JB_STORED);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(get(&jb, &b), SIP_JB_WAIT);  /* prefill */
	ck_assert_int_eq(put(&jb, 501), SIP_JB_STORED);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	ck_assert_int_eq(b, 500 & 0xff);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	ck_assert_int_eq(b, 501 & 0xff);
	/* underrun: the frame due now is reported lost, time goes on */
	ck_assert_int_eq(get(&jb, &b), SIP_JB_LOST);
	ck_assert_int_eq(put(&jb, 503), SIP_JB_STORED);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	ck_assert_int_eq(b, 503 & 0xff);
	ck_assert_uint_eq(jb.lost, 1);
	ck_assert_uint_eq(jb.played, 3);
	sip_jb_free(&jb);
}
END_TEST

START_TEST(test_sip_jb_reorder_lost_late_dup)
{
	struct sip_jb jb;
	int b;

	ck_assert_int_eq(sip_jb_init(&jb, 2, 160), 0);
	put(&jb, 10);
	put(&jb, 12);                                    /* 11 delayed */
	ck_assert_int_eq(put(&jb, 11), SIP_JB_STORED);   /* arrives in time */
	ck_assert_int_eq(put(&jb, 11), SIP_JB_DUPLICATE);
	get(&jb, &b);
	get(&jb, &b);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME); ck_assert_int_eq(b, 10);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME); ck_assert_int_eq(b, 11);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME); ck_assert_int_eq(b, 12);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_LOST);     /* 13 never came */
	ck_assert_int_eq(put(&jb, 13), SIP_JB_LATE);     /* too late now */
	ck_assert_int_eq(put(&jb, 10), SIP_JB_LATE);
	ck_assert_uint_eq(jb.late, 2);
	ck_assert_uint_eq(jb.duplicates, 1);
	sip_jb_free(&jb);
}
END_TEST

START_TEST(test_sip_jb_wrap)
{
	struct sip_jb jb;
	int b, i;
	uint16_t s;

	ck_assert_int_eq(sip_jb_init(&jb, 1, 160), 0);
	for (s = 65533, i = 0; i < 6; i++, s++)
		ck_assert_int_eq(put(&jb, s), SIP_JB_STORED);
	get(&jb, &b);
	for (s = 65533, i = 0; i < 6; i++, s++) {
		ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
		ck_assert_int_eq(b, s & 0xff);
	}
	ck_assert_uint_eq(jb.restarts, 0);
	ck_assert_int_eq(put(&jb, 65535), SIP_JB_LATE);  /* before the wrap: late */
	sip_jb_free(&jb);
}
END_TEST

START_TEST(test_sip_jb_new_stream)
{
	struct sip_jb jb;
	uint8_t f[160] = { 0 };
	int b;

	ck_assert_int_eq(sip_jb_init(&jb, 0, 160), 0);
	put(&jb, 100);
	get(&jb, &b);
	/* another SSRC */
	ck_assert_int_eq(sip_jb_put(&jb, SSRC + 1, 7, 0, 0, f, sizeof(f)), SIP_JB_RESTARTED);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	/* same SSRC, a sequence jump far ahead */
	ck_assert_int_eq(sip_jb_put(&jb, SSRC + 1, 3000, 3000 * 160, 0, f, sizeof(f)),
	    SIP_JB_RESTARTED);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	/* next sequence but a timestamp 10 s away */
	ck_assert_int_eq(sip_jb_put(&jb, SSRC + 1, 3001, 3000 * 160 + 80000, 0, f, sizeof(f)),
	    SIP_JB_RESTARTED);
	/* next sequence and timestamp: normal */
	ck_assert_int_eq(sip_jb_put(&jb, SSRC + 1, 3002, 3000 * 160 + 80160, 0, f, sizeof(f)),
	    SIP_JB_STORED);
	ck_assert_uint_eq(jb.restarts, 3);
	ck_assert_int_eq(sip_jb_put(&jb, SSRC + 1, 3003, 0, 0, f, SIP_JB_FRAME_MAX + 1),
	    SIP_JB_TOO_LONG);
	sip_jb_free(&jb);
}
END_TEST

/* Feeds n packets from seq s on, one per tick, timestamps `skip` frames
 * past their sequence numbers, the first one marked if `marker`; checks
 * what each tick plays. Returns the next sequence number. */
static uint16_t
spurt(struct sip_jb *jb, uint16_t s, unsigned n, unsigned skip, int marker)
{
	uint8_t f[160];
	unsigned k;
	int b;

	for (k = 0; k < n; k++, s++) {
		memset(f, s & 0xff, sizeof(f));
		ck_assert_int_eq(sip_jb_put(jb, SSRC, s, 8000u + 160u * (s + skip),
		    marker && k == 0, f, sizeof(f)), SIP_JB_STORED);
		get(jb, &b);
	}
	return s;
}

/* Ticks of a gap of 10 frames with no packet, the 3 frames still buffered
 * first; checks how many of the missing ones play as silence. */
static void
gap(struct sip_jb *jb, unsigned silent)
{
	int b, i;

	for (i = 0; i < 10; i++)
		ck_assert_int_eq(get(jb, &b), i < 3 ? SIP_JB_FRAME :
		    i < 3 + SIP_JB_PAUSE_FRAMES || silent == 0 ? SIP_JB_LOST : SIP_JB_SILENT);
}

/* A peer with voice activity detection (RFC 3551 4.1): it sends nothing
 * for 10 frames but its timestamp runs on, and the next packet carries the
 * next sequence number and the marker bit. It plays after the gap, in
 * time; nothing is late and the buffer does not restart. From then on the
 * buffer knows the peer pauses: the next gap is silence once it is longer
 * than SIP_JB_PAUSE_FRAMES. */
START_TEST(test_sip_jb_silence_suppression)
{
	struct sip_jb jb;
	int b, i;
	uint16_t s;

	ck_assert_int_eq(sip_jb_init(&jb, 3, 160), 0);
	s = spurt(&jb, 100, 10, 0, 0);
	gap(&jb, 0);                 /* not known to pause yet: filled in */
	ck_assert_int_eq(jb.pauses, 0);
	/* the talkspurt: each frame plays the fixed delay (3 ticks) after
	 * it arrived; the 10 frames of the gap were played before it */
	s = spurt(&jb, s, 10, 10, 1);
	ck_assert_int_eq(jb.pauses, 1);
	gap(&jb, 1);                 /* 117..119, 5 lost, then silence */
	s = spurt(&jb, s, 5, 20, 1);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
		ck_assert_int_eq(b, (122 + i) & 0xff);
	}
	ck_assert_uint_eq(jb.late, 0);
	ck_assert_uint_eq(jb.restarts, 0);
	ck_assert_uint_eq(jb.played, 25);
	ck_assert_uint_eq(jb.silent, 2);         /* the second gap's last 2 */
	sip_jb_free(&jb);
}
END_TEST

/* A sender that stalled skips its timestamp ahead without the marker
 * (it did not pause, it fell behind): its missing frames are lost frames,
 * filled in however long the gap, never silence that would drop the
 * modem's carrier in the middle of a page. */
START_TEST(test_sip_jb_stalled_sender_fills_in)
{
	struct sip_jb jb;
	int b;
	uint16_t s;

	ck_assert_int_eq(sip_jb_init(&jb, 3, 160), 0);
	s = spurt(&jb, 100, 10, 0, 0);
	gap(&jb, 0);
	s = spurt(&jb, s, 10, 10, 0);
	gap(&jb, 0);
	spurt(&jb, s, 3, 20, 0);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	ck_assert_int_eq(jb.pauses, 0);
	ck_assert_uint_eq(jb.silent, 0);
	ck_assert_uint_eq(jb.late, 0);
	ck_assert_uint_eq(jb.restarts, 0);
	sip_jb_free(&jb);
}
END_TEST

/* The sender stalled and its packets now arrive behind the playout clock
 * for good: after SIP_JB_LATE_RESYNC late ones, playout re-anchors. */
START_TEST(test_sip_jb_late_run_resyncs)
{
	struct sip_jb jb;
	int b, i;
	uint16_t s = 100;

	ck_assert_int_eq(sip_jb_init(&jb, 1, 160), 0);
	put(&jb, s++);
	for (i = 0; i < 10; i++)
		get(&jb, &b);                        /* playout runs 8 frames ahead */
	for (i = 0; i < SIP_JB_LATE_RESYNC - 1; i++)
		ck_assert_int_eq(put(&jb, s++), SIP_JB_LATE);
	ck_assert_int_eq(put(&jb, s), SIP_JB_RESTARTED);
	ck_assert_int_eq(get(&jb, &b), SIP_JB_WAIT);      /* prefill again */
	ck_assert_int_eq(get(&jb, &b), SIP_JB_FRAME);
	ck_assert_int_eq(b, s & 0xff);
	ck_assert_int_eq(put(&jb, s + 1), SIP_JB_STORED);
	/* isolated late packets do not restart */
	ck_assert_int_eq(put(&jb, s - 3), SIP_JB_LATE);
	ck_assert_int_eq(put(&jb, s + 2), SIP_JB_STORED);
	ck_assert_int_eq(put(&jb, s - 2), SIP_JB_LATE);
	ck_assert_uint_eq(jb.restarts, 1);
	sip_jb_free(&jb);
}
END_TEST

/* A peer sending 30 ms packets on a call set up for 20 ms: the pool grows
 * once (a restart), and the longer frames play out whole. */
START_TEST(test_sip_jb_longer_frames)
{
	struct sip_jb jb;
	uint8_t f[240], out[SIP_JB_FRAME_MAX];
	size_t len = 0;
	uint16_t seq;

	ck_assert_int_eq(sip_jb_init(&jb, 1, 160), 0);
	ck_assert_uint_eq(jb.stride, 160);
	ck_assert_int_eq(put(&jb, 10), SIP_JB_STORED);
	for (seq = 11; seq < 14; seq++) {
		memset(f, seq, sizeof(f));
		ck_assert_int_eq(sip_jb_put(&jb, SSRC, seq, seq * 240u, 0, f, sizeof(f)),
		    seq == 11 ? SIP_JB_RESTARTED : SIP_JB_STORED);
	}
	ck_assert_uint_eq(jb.stride, SIP_JB_FRAME_MAX);
	ck_assert_uint_eq(jb.restarts, 1);
	ck_assert_int_eq(sip_jb_get(&jb, out, sizeof(out), &len), SIP_JB_WAIT);
	for (seq = 11; seq < 14; seq++) {
		ck_assert_int_eq(sip_jb_get(&jb, out, sizeof(out), &len), SIP_JB_FRAME);
		ck_assert_uint_eq(len, 240);
		ck_assert_int_eq(out[0], seq);
		ck_assert_int_eq(out[239], seq);
	}
	sip_jb_free(&jb);
}
END_TEST

Suite *
suite_sip_jbuf(void)
{
	Suite *s = suite_create("sip_jbuf");
	TCase *tc = tcase_create("jbuf");

	tcase_add_test(tc, test_sip_jb_fixed_delay);
	tcase_add_test(tc, test_sip_jb_reorder_lost_late_dup);
	tcase_add_test(tc, test_sip_jb_wrap);
	tcase_add_test(tc, test_sip_jb_new_stream);
	tcase_add_test(tc, test_sip_jb_late_run_resyncs);
	tcase_add_test(tc, test_sip_jb_silence_suppression);
	tcase_add_test(tc, test_sip_jb_stalled_sender_fills_in);
	tcase_add_test(tc, test_sip_jb_longer_frames);
	suite_add_tcase(s, tc);
	return s;
}
