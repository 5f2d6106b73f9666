/*
 * sip/t38sdp: T.38 SDP attribute parsing and offer/answer negotiation.
 * Plain data in and out; the SDP session objects live in the call code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/t38sdp.h"

/* Our receive limits: the largest UDPTL datagram we accept and the IFP
 * buffer spandsp's t38_core handles comfortably. */
#define SIP_T38_LOCAL_MAX_DATAGRAM 1400
#define SIP_T38_LOCAL_MAX_BUFFER 2000

/* Table of contents. */
static int sip_t38_uint(const char *value, unsigned min, unsigned max, unsigned *out);
static int sip_t38_flag(const char *value, bool *out);

void
sip_t38_params_local(struct sip_t38_params *p)
{
	memset(p, 0, sizeof(*p));
	p->version = 0;
	p->max_bitrate = 14400;
	p->rate = SIP_T38_TRANSFERRED_TCF;
	p->max_buffer = SIP_T38_LOCAL_MAX_BUFFER;
	p->max_datagram = SIP_T38_LOCAL_MAX_DATAGRAM;
	p->ec = SIP_UDPTL_EC_REDUNDANCY;
}

void
sip_t38_params_peer_init(struct sip_t38_params *p)
{
	/* Absent attributes: version 0, 14400 (the common V.17 maximum),
	 * transferredTCF (the only method over UDP per T.38 D.2.3), no EC
	 * announced, no limits known. */
	memset(p, 0, sizeof(*p));
	p->max_bitrate = 14400;
	p->rate = SIP_T38_TRANSFERRED_TCF;
	p->ec = SIP_UDPTL_EC_NONE;
}

static int
sip_t38_uint(const char *value, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (value == NULL || *value < '0' || *value > '9')
		return -1;
	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* A flag attribute: present without value means true; "0"/"1" also seen. */
static int
sip_t38_flag(const char *value, bool *out)
{
	if (value == NULL || *value == '\0' || strcmp(value, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(value, "0") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

int
sip_t38_attr_apply(struct sip_t38_params *p, const char *name, const char *value)
{
	unsigned v;

	if (strcasecmp(name, "T38FaxVersion") == 0) {
		if (sip_t38_uint(value, 0, SIP_T38_MAX_VERSION, &v) < 0)
			return -1;
		p->version = v;
	} else if (strcasecmp(name, "T38MaxBitRate") == 0) {
		if (sip_t38_uint(value, 2400, SIP_T38_MAX_BITRATE, &v) < 0)
			return -1;
		p->max_bitrate = v;
	} else if (strcasecmp(name, "T38FaxRateManagement") == 0) {
		if (value != NULL && strcasecmp(value, "localTCF") == 0)
			p->rate = SIP_T38_LOCAL_TCF;
		else if (value != NULL && strcasecmp(value, "transferredTCF") == 0)
			p->rate = SIP_T38_TRANSFERRED_TCF;
		else
			return -1;
	} else if (strcasecmp(name, "T38FaxMaxBuffer") == 0) {
		if (sip_t38_uint(value, 1, 1U << 30, &v) < 0)
			return -1;
		p->max_buffer = v;
	} else if (strcasecmp(name, "T38FaxMaxDatagram") == 0) {
		if (sip_t38_uint(value, SIP_T38_MIN_DATAGRAM, SIP_T38_MAX_DATAGRAM, &v) < 0)
			return -1;
		p->max_datagram = v;
	} else if (strcasecmp(name, "T38FaxUdpEC") == 0) {
		if (value != NULL && strcasecmp(value, "t38UDPRedundancy") == 0)
			p->ec = SIP_UDPTL_EC_REDUNDANCY;
		else if (value != NULL && strcasecmp(value, "t38UDPFEC") == 0)
			p->ec = SIP_UDPTL_EC_FEC;
		else if (value != NULL && strcasecmp(value, "t38UDPNoEC") == 0)
			p->ec = SIP_UDPTL_EC_NONE;
		else
			return -1;
	} else if (strcasecmp(name, "T38FaxFillBitRemoval") == 0) {
		return sip_t38_flag(value, &p->fill_bit_removal);
	} else if (strcasecmp(name, "T38FaxTranscodingMMR") == 0) {
		return sip_t38_flag(value, &p->mmr);
	} else if (strcasecmp(name, "T38FaxTranscodingJBIG") == 0) {
		return sip_t38_flag(value, &p->jbig);
	}
	return 0;
}

void
sip_t38_negotiate(const struct sip_t38_params *local,
    const struct sip_t38_params *offer, struct sip_t38_params *out)
{
	struct sip_t38_params a, *answer = &a;     /* out may alias local */

	memset(answer, 0, sizeof(*answer));
	answer->version = offer->version < local->version ? offer->version : local->version;
	answer->max_bitrate = offer->max_bitrate < local->max_bitrate ?
	    offer->max_bitrate : local->max_bitrate;
	answer->rate = offer->rate;
	answer->max_buffer = local->max_buffer;
	answer->max_datagram = local->max_datagram;
	answer->ec = offer->ec == SIP_UDPTL_EC_NONE || local->ec == SIP_UDPTL_EC_NONE ?
	    SIP_UDPTL_EC_NONE : SIP_UDPTL_EC_REDUNDANCY;
	answer->fill_bit_removal = false;
	answer->mmr = false;
	answer->jbig = false;
	*out = a;
}

int
sip_t38_attrs_foreach(const struct sip_t38_params *p, sip_t38_attr_fn *fn, void *arg)
{
	char v[24];
	int err;

	snprintf(v, sizeof(v), "%u", p->version);
	if ((err = fn("T38FaxVersion", v, arg)) != 0)
		return err;
	snprintf(v, sizeof(v), "%u", p->max_bitrate);
	if ((err = fn("T38MaxBitRate", v, arg)) != 0)
		return err;
	if ((err = fn("T38FaxRateManagement",
	    p->rate == SIP_T38_LOCAL_TCF ? "localTCF" : "transferredTCF", arg)) != 0)
		return err;
	if (p->max_buffer > 0) {
		snprintf(v, sizeof(v), "%u", p->max_buffer);
		if ((err = fn("T38FaxMaxBuffer", v, arg)) != 0)
			return err;
	}
	if (p->max_datagram > 0) {
		snprintf(v, sizeof(v), "%u", p->max_datagram);
		if ((err = fn("T38FaxMaxDatagram", v, arg)) != 0)
			return err;
	}
	if ((err = fn("T38FaxUdpEC", p->ec == SIP_UDPTL_EC_REDUNDANCY ? "t38UDPRedundancy" :
	    p->ec == SIP_UDPTL_EC_FEC ? "t38UDPFEC" : "t38UDPNoEC", arg)) != 0)
		return err;
	if (p->fill_bit_removal && (err = fn("T38FaxFillBitRemoval", "", arg)) != 0)
		return err;
	if (p->mmr && (err = fn("T38FaxTranscodingMMR", "", arg)) != 0)
		return err;
	if (p->jbig && (err = fn("T38FaxTranscodingJBIG", "", arg)) != 0)
		return err;
	return 0;
}
