/*
 * sip/t38sdp: the T.38 SDP attributes (ITU-T T.38 Annex D, RFC 4612
 * registration of the a=T38Fax* attributes) as plain data, private to
 * sip/. Pure functions: parse attributes into parameters, negotiate an
 * answer to an offer, list the attributes to write.
 */
#ifndef SIP_T38SDP_H
#define SIP_T38SDP_H

#include <stdbool.h>

#include "sip/udptl.h"

/* Values of T38FaxRateManagement, numbered as spandsp's enum
 * (T38_DATA_RATE_MANAGEMENT_LOCAL_TCF = 1, _TRANSFERRED_TCF = 2). */
enum sip_t38_rate {
	SIP_T38_LOCAL_TCF = 1,
	SIP_T38_TRANSFERRED_TCF = 2,
};

/* Limits checked on parse. */
#define SIP_T38_MAX_VERSION 3
#define SIP_T38_MAX_BITRATE 33600
#define SIP_T38_MIN_DATAGRAM 32      /* smaller cannot carry an IFP */
#define SIP_T38_MAX_DATAGRAM 65507

struct sip_t38_params {
	unsigned version;            /* T38FaxVersion */
	unsigned max_bitrate;        /* T38MaxBitRate, bit/s */
	enum sip_t38_rate rate;      /* T38FaxRateManagement */
	unsigned max_buffer;         /* T38FaxMaxBuffer, 0 = not given */
	unsigned max_datagram;       /* T38FaxMaxDatagram, 0 = not given */
	enum sip_udptl_ec ec;        /* T38FaxUdpEC */
	bool fill_bit_removal;       /* T38FaxFillBitRemoval */
	bool mmr;                    /* T38FaxTranscodingMMR */
	bool jbig;                   /* T38FaxTranscodingJBIG */
};

/* What the gateway offers: version 0, 14400, transferredTCF, redundancy,
 * our receive buffer and datagram limits. */
void sip_t38_params_local(struct sip_t38_params *p);
/* Defaults before parsing a peer's attributes (T.38 Annex D: absent
 * attributes mean version 0, no EC, localTCF... see the .c). */
void sip_t38_params_peer_init(struct sip_t38_params *p);
/*
 * Applies one SDP attribute (name without "a=", value NULL or "" for a
 * flag). Names compare case-insensitively (peers vary). Unknown names are
 * ignored (0). Returns -1 on a value out of range or not understood.
 */
int sip_t38_attr_apply(struct sip_t38_params *p, const char *name, const char *value);
/*
 * The answer to an offer: the lower version and bit rate, the offerer's
 * rate management (T.38 D.2.3: the answer must echo it), our own buffer
 * and datagram limits, redundancy when the offer asks for any error
 * correction (we decode FEC but send redundancy), none when it asks none,
 * no transcoding options. answer may be the same object as local.
 */
void sip_t38_negotiate(const struct sip_t38_params *local,
    const struct sip_t38_params *offer, struct sip_t38_params *answer);

/* Calls fn(name, value, arg) for each attribute to write; value "" for a
 * flag (none are written as flags except when true). */
typedef int (sip_t38_attr_fn)(const char *name, const char *value, void *arg);
int sip_t38_attrs_foreach(const struct sip_t38_params *p, sip_t38_attr_fn *fn, void *arg);

#endif
