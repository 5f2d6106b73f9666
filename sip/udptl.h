/*
 * sip/udptl: the UDPTL transport of T.38 (ITU-T T.38 clause 9, ASN.1 in
 * Annex A), private to sip/.
 *
 * A UDPTLPacket is a 16-bit sequence number, the primary IFP packet as a
 * length-prefixed open type, and error recovery: either redundancy (the
 * previous IFP packets, most recent first) or parity FEC (span/entries
 * XOR groups). Lengths are ASN.1 PER length determinants: one byte below
 * 128, two bytes (top bits 10) below 16384. Fragmented lengths (>= 16384)
 * never occur in a datagram of sane size and are rejected.
 *
 * This module is pure: no sockets, no clock. sip_udptl_decode() parses one
 * datagram; struct sip_udptl_rx turns a stream of datagrams into IFP packets
 * delivered once each and in sequence order (duplicates and stale packets
 * dropped, lost packets recovered from redundancy or FEC, correct across
 * the 65535 -> 0 wrap). struct sip_udptl_tx encodes with redundancy within the
 * peer's T38FaxMaxDatagram.
 */
#ifndef SIP_UDPTL_H
#define SIP_UDPTL_H

#include <stddef.h>
#include <stdint.h>

/* Largest IFP packet kept or delivered (T.38 IFPs are a few hundred bytes). */
#define SIP_UDPTL_IFP_MAX 1024
/* Most secondary packets / FEC entries parsed from one datagram. */
#define SIP_UDPTL_MAX_SECONDARY 16
#define SIP_UDPTL_MAX_FEC_ENTRIES 16
/* Most packets one FEC entry may span. */
#define SIP_UDPTL_MAX_FEC_SPAN 16
/* Default and largest redundancy depth we send. */
#define SIP_UDPTL_DEFAULT_REDUNDANCY 3
#define SIP_UDPTL_MAX_REDUNDANCY 8
/* Received packets kept for FEC recovery (power of two). */
#define SIP_UDPTL_RX_HISTORY 64
/* The bytes of those packets, in a ring: a packet whose bytes have been
 * written over counts as not received. Several datagrams' worth (one is
 * at most SIP_DATAGRAM_MAX, 1500) and 64 packets of 250 bytes, instead of
 * 64 of the largest (66 KB a T.38 call). */
#define SIP_UDPTL_RX_RING 16384
/* A jump forward by more than this is taken as a restart of the sender. */
#define SIP_UDPTL_MAX_GAP 1000

enum sip_udptl_ec {
	SIP_UDPTL_EC_NONE = 0,
	SIP_UDPTL_EC_REDUNDANCY,
	SIP_UDPTL_EC_FEC,
};

struct sip_udptl_ifp {
	const uint8_t *data;         /* points into the datagram */
	size_t len;
};

/* One parsed datagram; every pointer refers into the caller's buffer. */
struct sip_udptl_packet {
	uint16_t seq;
	struct sip_udptl_ifp primary;
	enum sip_udptl_ec ec;            /* REDUNDANCY (possibly 0 entries) or FEC */
	unsigned nsecondary;         /* secondary[0] is seq-1, [1] seq-2 ... */
	struct sip_udptl_ifp secondary[SIP_UDPTL_MAX_SECONDARY];
	unsigned fec_span;
	unsigned fec_entries;
	struct sip_udptl_ifp fec[SIP_UDPTL_MAX_FEC_ENTRIES];
};

/* Parses buf. 0 on success, -1 on a malformed or over-limit datagram. */
int sip_udptl_decode(const uint8_t *buf, size_t len, struct sip_udptl_packet *pkt);

/* Delivery of one IFP packet, in sequence order. */
typedef void (sip_udptl_deliver_fn)(const uint8_t *ifp, size_t len, uint16_t seq, void *arg);

struct sip_udptl_rx_slot {
	uint8_t valid;
	uint16_t seq;
	uint16_t len;
	uint64_t start;              /* its bytes: ring[start % SIP_UDPTL_RX_RING] */
};

/* Receiver state. Zero it with sip_udptl_rx_init(); no allocation. */
struct sip_udptl_rx {
	int started;
	uint16_t next;               /* next sequence number to deliver */
	struct sip_udptl_rx_slot hist[SIP_UDPTL_RX_HISTORY];   /* by seq % size */
	uint64_t pos;                /* ring bytes used so far (never wraps) */
	uint8_t ring[SIP_UDPTL_RX_RING];
	/* statistics */
	unsigned long received, delivered, recovered, duplicates, lost, malformed;
};

void sip_udptl_rx_init(struct sip_udptl_rx *rx);
/*
 * Feeds one received datagram. Delivers, through fn, the primary packet and
 * any earlier packets that were missing and can be recovered from this
 * datagram's redundancy or FEC, in order. Packets not recoverable by then
 * are counted as lost and skipped (T.38 copes with gaps; spandsp sees them
 * from the sequence numbers). Returns the number of IFP packets delivered,
 * or -1 when the datagram was malformed.
 */
int sip_udptl_rx_datagram(struct sip_udptl_rx *rx, const uint8_t *buf, size_t len,
    sip_udptl_deliver_fn *fn, void *arg);

struct sip_udptl_tx {
	uint16_t seq;                /* next sequence number to send */
	unsigned depth;              /* redundancy depth wanted */
	size_t max_datagram;         /* peer's T38FaxMaxDatagram, 0 = no limit */
	unsigned nhist;              /* valid entries in hist */
	struct {
		uint16_t len;
		uint8_t data[SIP_UDPTL_IFP_MAX];
	} hist[SIP_UDPTL_MAX_REDUNDANCY];  /* hist[0] = most recent sent */
};

void sip_udptl_tx_init(struct sip_udptl_tx *tx, unsigned depth, size_t max_datagram);
/*
 * Encodes IFP packet ifp as the next datagram into out (size outsz),
 * carrying as many of the previous packets as depth and the datagram limit
 * allow. Returns the datagram length, or -1 when the IFP alone does not fit
 * (ifp too large for the peer's maximum or for out).
 */
int sip_udptl_tx_encode(struct sip_udptl_tx *tx, const uint8_t *ifp, size_t len,
    uint8_t *out, size_t outsz);

/* PER length determinant writer (exported for tests and the fuzzer). */
int sip_udptl_put_length(uint8_t *out, size_t outsz, size_t len);

#endif
