/*
 * sip/udptl: UDPTL framing of T.38 IFP packets (ITU-T T.38 clause 9 and
 * Annex A, ASN.1 aligned PER): parsing, in-order delivery with recovery
 * from redundancy and parity FEC, and encoding with redundancy.
 *
 * It does not open sockets, keep time or interpret IFP contents: the call
 * code in sip/ moves datagrams and spandsp's t38_core reads the IFPs.
 */
#include <string.h>

#include "sip/udptl.h"

/* Table of contents. */
static int sip_udptl_get_length(const uint8_t *buf, size_t len, size_t *pos, size_t *out);
static int sip_udptl_get_open(const uint8_t *buf, size_t len, size_t *pos, struct sip_udptl_ifp *ifp);
static size_t sip_udptl_length_size(size_t len);
static struct sip_udptl_rx_slot *sip_udptl_rx_slot(struct sip_udptl_rx *rx, uint16_t seq);
static void sip_udptl_rx_store(struct sip_udptl_rx *rx, uint16_t seq, const uint8_t *data, size_t len);
static void sip_udptl_rx_fec(struct sip_udptl_rx *rx, const struct sip_udptl_packet *pkt);

/* A length determinant (X.691 10.9): 0xxxxxxx, or 10xxxxxx xxxxxxxx.
 * 11xxxxxx (fragmentation, lengths >= 16384) is refused. */
static int
sip_udptl_get_length(const uint8_t *buf, size_t len, size_t *pos, size_t *out)
{
	if (*pos >= len)
		return -1;
	if ((buf[*pos] & 0x80) == 0) {
		*out = buf[(*pos)++];
		return 0;
	}
	if ((buf[*pos] & 0xc0) == 0x80) {
		if (*pos + 2 > len)
			return -1;
		*out = ((size_t)(buf[*pos] & 0x3f) << 8) | buf[*pos + 1];
		*pos += 2;
		return 0;
	}
	return -1;
}

/* An open type or OCTET STRING: length determinant then the octets. */
static int
sip_udptl_get_open(const uint8_t *buf, size_t len, size_t *pos, struct sip_udptl_ifp *ifp)
{
	size_t n;

	if (sip_udptl_get_length(buf, len, pos, &n) < 0 || n > len - *pos)
		return -1;
	ifp->data = buf + *pos;
	ifp->len = n;
	*pos += n;
	return 0;
}

int
sip_udptl_decode(const uint8_t *buf, size_t len, struct sip_udptl_packet *pkt)
{
	size_t pos = 0, count, i, n;
	struct sip_udptl_ifp skip;

	memset(pkt, 0, sizeof(*pkt));
	if (buf == NULL || len < 3)
		return -1;
	pkt->seq = (uint16_t)((buf[0] << 8) | buf[1]);
	pos = 2;
	if (sip_udptl_get_open(buf, len, &pos, &pkt->primary) < 0)
		return -1;
	if (pos >= len)
		return -1;
	/* CHOICE index in the top bit of an octet-aligned byte. */
	if ((buf[pos++] & 0x80) == 0) {
		pkt->ec = SIP_UDPTL_EC_REDUNDANCY;
		if (sip_udptl_get_length(buf, len, &pos, &count) < 0)
			return -1;
		for (i = 0; i < count; i++) {
			struct sip_udptl_ifp *dst = i < SIP_UDPTL_MAX_SECONDARY ?
			    &pkt->secondary[i] : &skip;
			if (sip_udptl_get_open(buf, len, &pos, dst) < 0)
				return -1;
		}
		pkt->nsecondary = count < SIP_UDPTL_MAX_SECONDARY ? count : SIP_UDPTL_MAX_SECONDARY;
	} else {
		pkt->ec = SIP_UDPTL_EC_FEC;
		/* fec-npackets: unconstrained INTEGER, length then octets. */
		if (sip_udptl_get_length(buf, len, &pos, &n) < 0 || n < 1 || n > 2 ||
		    n > len - pos)
			return -1;
		pkt->fec_span = buf[pos];
		if (n == 2)
			pkt->fec_span = (pkt->fec_span << 8) | buf[pos + 1];
		pos += n;
		if (pkt->fec_span < 1 || pkt->fec_span > SIP_UDPTL_MAX_FEC_SPAN)
			return -1;
		if (sip_udptl_get_length(buf, len, &pos, &count) < 0 ||
		    count > SIP_UDPTL_MAX_FEC_ENTRIES)
			return -1;
		for (i = 0; i < count; i++)
			if (sip_udptl_get_open(buf, len, &pos, &pkt->fec[i]) < 0)
				return -1;
		pkt->fec_entries = count;
	}
	if (pos != len)
		return -1;
	return 0;
}

void
sip_udptl_rx_init(struct sip_udptl_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
}

/* The packet seq when it is kept and its bytes are not yet written over. */
static struct sip_udptl_rx_slot *
sip_udptl_rx_slot(struct sip_udptl_rx *rx, uint16_t seq)
{
	struct sip_udptl_rx_slot *s = &rx->hist[seq % SIP_UDPTL_RX_HISTORY];

	return s->valid && s->seq == seq && rx->pos - s->start <= SIP_UDPTL_RX_RING ? s : NULL;
}

static const uint8_t *
sip_udptl_rx_data(const struct sip_udptl_rx *rx, const struct sip_udptl_rx_slot *s)
{
	return rx->ring + s->start % SIP_UDPTL_RX_RING;
}

/* Keeps a packet; its bytes go on in the ring, whole (a packet that would
 * straddle the ring's end starts at its beginning instead). */
static void
sip_udptl_rx_store(struct sip_udptl_rx *rx, uint16_t seq, const uint8_t *data, size_t len)
{
	struct sip_udptl_rx_slot *s = &rx->hist[seq % SIP_UDPTL_RX_HISTORY];
	size_t off = (size_t)(rx->pos % SIP_UDPTL_RX_RING);

	if (len > SIP_UDPTL_IFP_MAX)
		return;
	if (off + len > SIP_UDPTL_RX_RING)
		rx->pos += SIP_UDPTL_RX_RING - off;
	s->valid = 1;
	s->seq = seq;
	s->len = (uint16_t)len;
	s->start = rx->pos;
	memcpy(rx->ring + rx->pos % SIP_UDPTL_RX_RING, data, len);
	rx->pos += len;
}

/*
 * Parity FEC: entry m of packet N is the XOR (zero-padded to the longest)
 * of packets N - span*entries + m + k*entries, k = 0..span-1. When exactly
 * one of them is missing and is still due for delivery, it is the XOR of
 * the entry and the others. Its true length is lost in the padding: the
 * recovered packet is cut after its last non-zero octet (at least one).
 */
static void
sip_udptl_rx_fec(struct sip_udptl_rx *rx, const struct sip_udptl_packet *pkt)
{
	unsigned m, k, span = pkt->fec_span, entries = pkt->fec_entries;
	uint8_t buf[SIP_UDPTL_IFP_MAX];

	for (m = 0; m < entries; m++) {
		uint16_t first = (uint16_t)(pkt->seq - span * entries + m);
		uint16_t missing = 0;
		unsigned nmissing = 0;
		size_t n, i, len;

		for (k = 0; k < span; k++) {
			uint16_t s = (uint16_t)(first + k * entries);
			if (sip_udptl_rx_slot(rx, s) == NULL) {
				missing = s;
				nmissing++;
			}
		}
		/* Only a packet not yet delivered (between next and seq) helps. */
		if (nmissing != 1 ||
		    (uint16_t)(missing - rx->next) >= (uint16_t)(pkt->seq - rx->next))
			continue;
		len = pkt->fec[m].len;
		if (len == 0 || len > sizeof(buf))
			continue;
		memcpy(buf, pkt->fec[m].data, len);
		for (k = 0; k < span; k++) {
			uint16_t s = (uint16_t)(first + k * entries);
			const struct sip_udptl_rx_slot *o = sip_udptl_rx_slot(rx, s);
			const uint8_t *od;
			if (o == NULL)
				continue;
			od = sip_udptl_rx_data(rx, o);
			n = o->len < len ? o->len : len;
			for (i = 0; i < n; i++)
				buf[i] ^= od[i];
		}
		while (len > 1 && buf[len - 1] == 0)
			len--;
		sip_udptl_rx_store(rx, missing, buf, len);
		rx->recovered++;
	}
}

int
sip_udptl_rx_datagram(struct sip_udptl_rx *rx, const uint8_t *buf, size_t len,
    sip_udptl_deliver_fn *fn, void *arg)
{
	struct sip_udptl_packet pkt;
	uint16_t d, seq;
	unsigned i;
	int delivered = 0;

	if (sip_udptl_decode(buf, len, &pkt) < 0 || pkt.primary.len > SIP_UDPTL_IFP_MAX) {
		rx->malformed++;
		return -1;
	}
	rx->received++;
	seq = pkt.seq;
	if (!rx->started) {
		rx->started = 1;
		/* The redundancy of the first datagram may carry earlier ones. */
		rx->next = (uint16_t)(seq - pkt.nsecondary);
	}
	d = (uint16_t)(seq - rx->next);
	if (d >= 0x8000) {                  /* before next: delivered or given up */
		rx->duplicates++;
		return 0;
	}
	if (d > SIP_UDPTL_MAX_GAP) {            /* the sender restarted: resynchronize */
		memset(rx->hist, 0, sizeof(rx->hist));    /* the ring's bytes may stay */
		rx->next = seq;
		d = 0;
	}
	sip_udptl_rx_store(rx, seq, pkt.primary.data, pkt.primary.len);
	for (i = 0; i < pkt.nsecondary; i++) {
		uint16_t s = (uint16_t)(seq - 1 - i);
		if ((uint16_t)(s - rx->next) >= d || sip_udptl_rx_slot(rx, s) != NULL)
			continue;
		if (pkt.secondary[i].len > SIP_UDPTL_IFP_MAX)
			continue;
		sip_udptl_rx_store(rx, s, pkt.secondary[i].data, pkt.secondary[i].len);
		rx->recovered++;
	}
	if (pkt.ec == SIP_UDPTL_EC_FEC)
		sip_udptl_rx_fec(rx, &pkt);
	/* Deliver next..seq in order. */
	for (;;) {
		const struct sip_udptl_rx_slot *s = sip_udptl_rx_slot(rx, rx->next);
		uint16_t cur = rx->next;

		if (s != NULL) {
			fn(sip_udptl_rx_data(rx, s), s->len, cur, arg);
			rx->delivered++;
			delivered++;
		} else {
			rx->lost++;
		}
		rx->next++;
		if (cur == seq)
			break;
	}
	return delivered;
}

static size_t
sip_udptl_length_size(size_t len)
{
	return len < 128 ? 1 : 2;
}

int
sip_udptl_put_length(uint8_t *out, size_t outsz, size_t len)
{
	if (len < 128) {
		if (outsz < 1)
			return -1;
		out[0] = (uint8_t)len;
		return 1;
	}
	if (len < 16384) {
		if (outsz < 2)
			return -1;
		out[0] = (uint8_t)(0x80 | (len >> 8));
		out[1] = (uint8_t)len;
		return 2;
	}
	return -1;
}

void
sip_udptl_tx_init(struct sip_udptl_tx *tx, unsigned depth, size_t max_datagram)
{
	memset(tx, 0, sizeof(*tx));
	tx->depth = depth > SIP_UDPTL_MAX_REDUNDANCY ? SIP_UDPTL_MAX_REDUNDANCY : depth;
	tx->max_datagram = max_datagram;
}

int
sip_udptl_tx_encode(struct sip_udptl_tx *tx, const uint8_t *ifp, size_t len,
    uint8_t *out, size_t outsz)
{
	size_t limit = outsz, size, pos;
	unsigned n, i;

	if (tx->max_datagram > 0 && tx->max_datagram < limit)
		limit = tx->max_datagram;
	if (len > SIP_UDPTL_IFP_MAX)
		return -1;
	n = tx->depth < tx->nhist ? tx->depth : tx->nhist;
	/* Drop the oldest secondaries until the datagram fits. */
	for (;;) {
		size = 2 + sip_udptl_length_size(len) + len + 1 + sip_udptl_length_size(n);
		for (i = 0; i < n; i++)
			size += sip_udptl_length_size(tx->hist[i].len) + tx->hist[i].len;
		if (size <= limit || n == 0)
			break;
		n--;
	}
	if (size > limit)
		return -1;
	out[0] = (uint8_t)(tx->seq >> 8);
	out[1] = (uint8_t)tx->seq;
	pos = 2;
	pos += (size_t)sip_udptl_put_length(out + pos, outsz - pos, len);
	memcpy(out + pos, ifp, len);
	pos += len;
	out[pos++] = 0x00;          /* error-recovery: secondary-ifp-packets */
	pos += (size_t)sip_udptl_put_length(out + pos, outsz - pos, n);
	for (i = 0; i < n; i++) {
		pos += (size_t)sip_udptl_put_length(out + pos, outsz - pos, tx->hist[i].len);
		memcpy(out + pos, tx->hist[i].data, tx->hist[i].len);
		pos += tx->hist[i].len;
	}
	/* Remember this packet as the most recent: only as many as the
	 * depth sends (moving all of them cost 8 KB a packet). */
	if (tx->depth > 0) {
		if (tx->depth > 1)
			memmove(&tx->hist[1], &tx->hist[0],
			    sizeof(tx->hist[0]) * (tx->depth - 1));
		tx->hist[0].len = (uint16_t)len;
		memcpy(tx->hist[0].data, ifp, len);
		if (tx->nhist < tx->depth)
			tx->nhist++;
	}
	tx->seq++;
	return (int)pos;
}
