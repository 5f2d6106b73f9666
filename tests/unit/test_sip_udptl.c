/* Unit tests for sip/udptl: hand-built UDPTL datagrams, redundancy and FEC
 * recovery, duplicates, reordering and the 65535 -> 0 wrap. */
#include <check.h>
#include <string.h>

#include "sip/udptl.h"

#define REC_MAX 64

struct rec {
	int n;
	uint16_t seq[REC_MAX];
	size_t len[REC_MAX];
	uint8_t first[REC_MAX];
};

static void
rec_fn(const uint8_t *ifp, size_t len, uint16_t seq, void *arg)
{
	struct rec *r = arg;

	ck_assert_int_lt(r->n, REC_MAX);
	r->seq[r->n] = seq;
	r->len[r->n] = len;
	r->first[r->n] = len > 0 ? ifp[0] : 0xff;
	r->n++;
}

/* A datagram seq with primary {p, p+1} and redundancy of nsec packets,
 * secondary i being {p-1-i, p-i}: each IFP is 2 bytes starting with its
 * own sequence's low byte. */
static size_t
build_red(uint8_t *b, uint16_t seq, unsigned nsec)
{
	size_t n = 0;
	unsigned i;

	b[n++] = seq >> 8;
	b[n++] = seq & 0xff;
	b[n++] = 2;
	b[n++] = seq & 0xff;
	b[n++] = 0xaa;
	b[n++] = 0x00;
	b[n++] = nsec;
	for (i = 0; i < nsec; i++) {
		uint16_t s = seq - 1 - i;
		b[n++] = 2;
		b[n++] = s & 0xff;
		b[n++] = 0xaa;
	}
	return n;
}

START_TEST(test_sip_udptl_decode_redundancy)
{
	/* seq 0x1234, primary 3 bytes, two secondaries of 1 and 2 bytes */
	static const uint8_t b[] = { 0x12, 0x34, 0x03, 0xde, 0xad, 0x01, 0x00,
	    0x02, 0x01, 0x07, 0x02, 0x08, 0x09 };
	struct sip_udptl_packet p;

	ck_assert_int_eq(sip_udptl_decode(b, sizeof(b), &p), 0);
	ck_assert_uint_eq(p.seq, 0x1234);
	ck_assert_uint_eq(p.primary.len, 3);
	ck_assert_uint_eq(p.primary.data[2], 0x01);
	ck_assert_int_eq(p.ec, SIP_UDPTL_EC_REDUNDANCY);
	ck_assert_uint_eq(p.nsecondary, 2);
	ck_assert_uint_eq(p.secondary[0].len, 1);
	ck_assert_uint_eq(p.secondary[0].data[0], 0x07);
	ck_assert_uint_eq(p.secondary[1].len, 2);
	ck_assert_uint_eq(p.secondary[1].data[1], 0x09);
}
END_TEST

START_TEST(test_sip_udptl_decode_fec)
{
	/* seq 5, primary 1 byte, FEC span 3 with 2 entries */
	static const uint8_t b[] = { 0x00, 0x05, 0x01, 0x42, 0x80, 0x01, 0x03,
	    0x02, 0x01, 0x11, 0x02, 0x22, 0x33 };
	struct sip_udptl_packet p;

	ck_assert_int_eq(sip_udptl_decode(b, sizeof(b), &p), 0);
	ck_assert_int_eq(p.ec, SIP_UDPTL_EC_FEC);
	ck_assert_uint_eq(p.fec_span, 3);
	ck_assert_uint_eq(p.fec_entries, 2);
	ck_assert_uint_eq(p.fec[1].len, 2);
	ck_assert_uint_eq(p.fec[1].data[1], 0x33);
}
END_TEST

START_TEST(test_sip_udptl_decode_long_length)
{
	uint8_t b[2 + 2 + 300 + 2];
	struct sip_udptl_packet p;

	memset(b, 0x55, sizeof(b));
	b[0] = 0; b[1] = 1;
	b[2] = 0x80 | (300 >> 8); b[3] = 300 & 0xff;
	b[304] = 0x00; b[305] = 0x00;
	ck_assert_int_eq(sip_udptl_decode(b, sizeof(b), &p), 0);
	ck_assert_uint_eq(p.primary.len, 300);
	ck_assert_uint_eq(p.nsecondary, 0);
}
END_TEST

/* Malformed datagrams, each must be refused. */
static const struct {
	const char *what;
	uint8_t b[16];
	size_t len;
} bad[] = {
	{ "too short", { 0x00, 0x01 }, 2 },
	{ "primary overruns", { 0x00, 0x01, 0x05, 0x01, 0x02 }, 5 },
	{ "no error recovery", { 0x00, 0x01, 0x01, 0x01 }, 4 },
	{ "secondary overruns", { 0x00, 0x01, 0x01, 0x01, 0x00, 0x01, 0x04, 0x01 }, 8 },
	{ "missing secondary", { 0x00, 0x01, 0x01, 0x01, 0x00, 0x02, 0x01, 0x01 }, 8 },
	{ "fragmented length", { 0x00, 0x01, 0xc1, 0x01, 0x00, 0x00 }, 6 },
	{ "trailing octets", { 0x00, 0x01, 0x01, 0x01, 0x00, 0x00, 0x77 }, 7 },
	{ "fec span zero", { 0x00, 0x01, 0x01, 0x01, 0x80, 0x01, 0x00, 0x00 }, 8 },
	{ "fec too many entries", { 0x00, 0x01, 0x01, 0x01, 0x80, 0x01, 0x02, 0x40 }, 8 },
	{ "truncated two-byte length", { 0x00, 0x01, 0x81 }, 3 },
};

START_TEST(test_sip_udptl_decode_bad)
{
	struct sip_udptl_packet p;
	struct sip_udptl_rx rx;
	struct rec r = { 0 };

	ck_assert_msg(sip_udptl_decode(bad[_i].b, bad[_i].len, &p) == -1, "%s", bad[_i].what);
	sip_udptl_rx_init(&rx);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, bad[_i].b, bad[_i].len, rec_fn, &r), -1);
	ck_assert_uint_eq(rx.malformed, 1);
	ck_assert_int_eq(r.n, 0);
}
END_TEST

START_TEST(test_sip_udptl_rx_in_order_and_duplicates)
{
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t b[64];
	size_t n;
	uint16_t s;

	sip_udptl_rx_init(&rx);
	for (s = 10; s < 15; s++) {
		n = build_red(b, s, 0);
		ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 1);
	}
	n = build_red(b, 12, 0);       /* duplicate */
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 0);
	ck_assert_int_eq(r.n, 5);
	for (s = 0; s < 5; s++)
		ck_assert_uint_eq(r.seq[s], 10 + s);
	ck_assert_uint_eq(rx.duplicates, 1);
	ck_assert_uint_eq(rx.lost, 0);
}
END_TEST

START_TEST(test_sip_udptl_rx_redundancy_recovers)
{
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t b[64];
	size_t n;

	sip_udptl_rx_init(&rx);
	n = build_red(b, 100, 0);
	sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r);
	/* 101 and 102 lost; 103 carries 102, 101, 100 */
	n = build_red(b, 103, 3);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 3);
	ck_assert_int_eq(r.n, 4);
	ck_assert_uint_eq(r.seq[1], 101);
	ck_assert_uint_eq(r.first[1], 101);
	ck_assert_uint_eq(r.seq[2], 102);
	ck_assert_uint_eq(r.first[2], 102);
	ck_assert_uint_eq(r.seq[3], 103);
	ck_assert_uint_eq(rx.recovered, 2);
	ck_assert_uint_eq(rx.lost, 0);
	/* the late originals of 101/102 are now duplicates */
	n = build_red(b, 102, 3);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 0);
	ck_assert_uint_eq(rx.duplicates, 1);
}
END_TEST

START_TEST(test_sip_udptl_rx_unrecoverable_gap)
{
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t b[64];
	size_t n;

	sip_udptl_rx_init(&rx);
	n = build_red(b, 1, 1);         /* first datagram: its secondary 0 too */
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 2);
	ck_assert_uint_eq(r.seq[0], 0);
	n = build_red(b, 6, 1);         /* 2..4 gone for good, 5 recovered */
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 2);
	ck_assert_uint_eq(r.seq[2], 5);
	ck_assert_uint_eq(r.seq[3], 6);
	ck_assert_uint_eq(rx.lost, 3);
	/* reordered 3 arrives after 6: already given up */
	n = build_red(b, 3, 0);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 0);
}
END_TEST

START_TEST(test_sip_udptl_rx_wrap)
{
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t b[64];
	size_t n;

	sip_udptl_rx_init(&rx);
	n = build_red(b, 65534, 0);
	sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r);
	/* 65535 and 0 lost, 1 carries 0, 65535, 65534 */
	n = build_red(b, 1, 3);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 3);
	ck_assert_int_eq(r.n, 4);
	ck_assert_uint_eq(r.seq[1], 65535);
	ck_assert_uint_eq(r.seq[2], 0);
	ck_assert_uint_eq(r.seq[3], 1);
	/* 65535 again after the wrap: a duplicate, not a jump forward */
	n = build_red(b, 65535, 0);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 0);
	ck_assert_uint_eq(rx.duplicates, 1);
}
END_TEST

START_TEST(test_sip_udptl_rx_restart)
{
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t b[64];
	size_t n;

	sip_udptl_rx_init(&rx);
	n = build_red(b, 10, 0);
	sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r);
	n = build_red(b, 20000, 0);     /* far jump: resynchronized */
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 1);
	ck_assert_uint_eq(r.seq[1], 20000);
	n = build_red(b, 20001, 0);
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 1);
}
END_TEST

/* FEC with span 2, entries 2: packet N covers N-4..N-1; entry 0 =
 * (N-4) ^ (N-2), entry 1 = (N-3) ^ (N-1). */
START_TEST(test_sip_udptl_rx_fec_recovers)
{
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t b[64];
	size_t n;
	uint16_t s;
	/* IFP of seq s: 3 bytes {0x10+s, 0x20, 0x30+s} */

	sip_udptl_rx_init(&rx);
	for (s = 0; s < 4; s++) {
		if (s == 2)
			continue;       /* lost */
		n = 0;
		b[n++] = 0; b[n++] = s;
		b[n++] = 3; b[n++] = 0x10 + s; b[n++] = 0x20; b[n++] = 0x30 + s;
		b[n++] = 0x00; b[n++] = 0x00;
		sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r);
	}
	ck_assert_int_eq(r.n, 3);       /* 0, 1, 3; 2 given up */
	/* lose 4; packet 6 brings FEC over 2..5 (5 lost too) */
	n = 0;
	b[n++] = 0; b[n++] = 6;
	b[n++] = 3; b[n++] = 0x16; b[n++] = 0x20; b[n++] = 0x36;
	b[n++] = 0x80;
	b[n++] = 1; b[n++] = 2;         /* span 2 */
	b[n++] = 2;                     /* 2 entries */
	/* entry 0: 2 ^ 4 */
	b[n++] = 3; b[n++] = 0x12 ^ 0x14; b[n++] = 0; b[n++] = 0x32 ^ 0x34;
	/* entry 1: 3 ^ 5 */
	b[n++] = 3; b[n++] = 0x13 ^ 0x15; b[n++] = 0; b[n++] = 0x33 ^ 0x35;
	/* 4 is not recoverable (2 also missing in its group); 5 is, from 3. */
	ck_assert_int_eq(sip_udptl_rx_datagram(&rx, b, n, rec_fn, &r), 2);
	ck_assert_uint_eq(r.seq[3], 5);
	ck_assert_uint_eq(r.len[3], 3);
	ck_assert_uint_eq(r.first[3], 0x15);
	ck_assert_uint_eq(r.seq[4], 6);
	ck_assert_uint_eq(rx.recovered, 1);
}
END_TEST

START_TEST(test_sip_udptl_tx_roundtrip)
{
	struct sip_udptl_tx tx;
	struct sip_udptl_rx rx;
	struct rec r = { 0 };
	uint8_t ifp[4], out[256];
	int i, n;

	sip_udptl_tx_init(&tx, 3, 0);
	sip_udptl_rx_init(&rx);
	for (i = 0; i < 10; i++) {
		memset(ifp, i, sizeof(ifp));
		n = sip_udptl_tx_encode(&tx, ifp, sizeof(ifp), out, sizeof(out));
		ck_assert_int_gt(n, 0);
		if (i == 4 || i == 5 || i == 6)
			continue;       /* three in a row lost: depth 3 recovers */
		sip_udptl_rx_datagram(&rx, out, (size_t)n, rec_fn, &r);
	}
	ck_assert_int_eq(r.n, 10);
	for (i = 0; i < 10; i++) {
		ck_assert_uint_eq(r.seq[i], i);
		ck_assert_uint_eq(r.first[i], i);
		ck_assert_uint_eq(r.len[i], 4);
	}
}
END_TEST

/* Large packets through the receiver's byte ring: 2,000 packets of 300 to
 * 1,000 bytes (the ring holds a dozen of the largest), every third datagram
 * lost and recovered from redundancy: each packet arrives once, in order,
 * byte for byte as sent, across many wraps of the ring. */
struct big_rec {
	unsigned n, bad;
	uint32_t sum;
};

static size_t
big_len(unsigned i)
{
	return 300 + (i * 397u) % 701u;
}

static uint8_t
big_byte(unsigned i, size_t k)
{
	return (uint8_t)(i * 31u + k * 7u + (k >> 8));
}

static void
big_fn(const uint8_t *ifp, size_t len, uint16_t seq, void *arg)
{
	struct big_rec *r = arg;
	size_t k;

	if (seq != (uint16_t)r->n || len != big_len(r->n))
		r->bad++;
	for (k = 0; k < len; k++)
		if (ifp[k] != big_byte(r->n, k)) {
			r->bad++;
			break;
		}
	r->n++;
}

START_TEST(test_sip_udptl_rx_ring_large_packets)
{
	static struct sip_udptl_tx tx;
	static struct sip_udptl_rx rx;
	struct big_rec r = { 0 };
	uint8_t ifp[SIP_UDPTL_IFP_MAX], out[4 * SIP_UDPTL_IFP_MAX];
	unsigned i;
	int n;

	sip_udptl_tx_init(&tx, 2, 0);
	sip_udptl_rx_init(&rx);
	for (i = 0; i < 2000; i++) {
		size_t k, len = big_len(i);

		for (k = 0; k < len; k++)
			ifp[k] = big_byte(i, k);
		n = sip_udptl_tx_encode(&tx, ifp, len, out, sizeof(out));
		ck_assert_int_gt(n, 0);
		if (i % 3 == 1)
			continue;
		sip_udptl_rx_datagram(&rx, out, (size_t)n, big_fn, &r);
	}
	/* the last one sent was kept (1999 % 3 == 1 is lost: 1998 last) */
	ck_assert_uint_eq(r.n, 1999);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(rx.lost, 0);
	ck_assert_uint_gt(rx.pos, 50 * SIP_UDPTL_RX_RING);
	/* the ring is what the receiver costs, not 64 of the largest packets */
	ck_assert_uint_lt(sizeof(rx), SIP_UDPTL_RX_RING + 2048);
}
END_TEST

START_TEST(test_sip_udptl_tx_respects_max_datagram)
{
	struct sip_udptl_tx tx;
	struct sip_udptl_packet p;
	uint8_t ifp[40], out[512];
	int n, i;

	memset(ifp, 7, sizeof(ifp));
	/* 2 seq + 1+40 primary + 1 choice + 1 count = 45; each secondary 41 */
	sip_udptl_tx_init(&tx, 3, 100);
	for (i = 0; i < 4; i++) {
		n = sip_udptl_tx_encode(&tx, ifp, sizeof(ifp), out, sizeof(out));
		ck_assert_int_le(n, 100);
		ck_assert_int_eq(sip_udptl_decode(out, (size_t)n, &p), 0);
		ck_assert_uint_eq(p.seq, i);
	}
	ck_assert_uint_eq(p.nsecondary, 1);     /* only one fits in 100 */
	/* an IFP too big for the peer's datagram is refused */
	sip_udptl_tx_init(&tx, 3, 30);
	ck_assert_int_eq(sip_udptl_tx_encode(&tx, ifp, sizeof(ifp), out, sizeof(out)), -1);
}
END_TEST

START_TEST(test_sip_udptl_tx_wraps)
{
	struct sip_udptl_tx tx;
	struct sip_udptl_packet p;
	uint8_t ifp[1] = { 9 }, out[64];
	int n;

	sip_udptl_tx_init(&tx, 2, 0);
	tx.seq = 65535;
	n = sip_udptl_tx_encode(&tx, ifp, 1, out, sizeof(out));
	ck_assert_int_eq(sip_udptl_decode(out, (size_t)n, &p), 0);
	ck_assert_uint_eq(p.seq, 65535);
	n = sip_udptl_tx_encode(&tx, ifp, 1, out, sizeof(out));
	ck_assert_int_eq(sip_udptl_decode(out, (size_t)n, &p), 0);
	ck_assert_uint_eq(p.seq, 0);
	ck_assert_uint_eq(p.nsecondary, 1);
}
END_TEST

Suite *
suite_sip_udptl(void)
{
	Suite *s = suite_create("sip_udptl");
	TCase *tc = tcase_create("udptl");

	tcase_add_test(tc, test_sip_udptl_decode_redundancy);
	tcase_add_test(tc, test_sip_udptl_decode_fec);
	tcase_add_test(tc, test_sip_udptl_decode_long_length);
	tcase_add_loop_test(tc, test_sip_udptl_decode_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_sip_udptl_rx_in_order_and_duplicates);
	tcase_add_test(tc, test_sip_udptl_rx_redundancy_recovers);
	tcase_add_test(tc, test_sip_udptl_rx_unrecoverable_gap);
	tcase_add_test(tc, test_sip_udptl_rx_wrap);
	tcase_add_test(tc, test_sip_udptl_rx_restart);
	tcase_add_test(tc, test_sip_udptl_rx_fec_recovers);
	tcase_add_test(tc, test_sip_udptl_tx_roundtrip);
	tcase_add_test(tc, test_sip_udptl_rx_ring_large_packets);
	tcase_add_test(tc, test_sip_udptl_tx_respects_max_datagram);
	tcase_add_test(tc, test_sip_udptl_tx_wraps);
	suite_add_tcase(s, tc);
	return s;
}
