/*
 * sip/sdp: the small part of SDP (RFC 4566, offer/answer RFC 3264) a fax
 * line needs, private to sip/: parse an offer or answer into plain data,
 * write our offer or answer.
 *
 * Written in the project rather than with libre's sdp_session because
 * libre 1.1.0 pairs media by position and refuses an m=image that replaces
 * m=audio (the common T.38 re-INVITE); here each offer is read afresh and
 * the answer mirrors its m-lines one for one (RFC 3264 6), with the o=
 * line's session id kept and its version incremented per change.
 */
#ifndef SIP_SDP_H
#define SIP_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/t38sdp.h"

#define SIP_SDP_MAX_MEDIA 8          /* m-lines read; more is refused */
#define SIP_SDP_MAX_FMTS 16          /* formats kept per m-line */
#define SIP_SDP_MAX_LINE 512         /* longest line accepted */
#define SIP_SDP_ADDR_MAX 64

#define SIP_SDP_PT_PCMU 0
#define SIP_SDP_PT_PCMA 8

enum sip_sdp_kind {
	SIP_SDP_OTHER = 0,
	SIP_SDP_AUDIO,
	SIP_SDP_IMAGE,
};

enum sip_sdp_dir {
	SIP_SDP_SENDRECV = 0,
	SIP_SDP_SENDONLY,
	SIP_SDP_RECVONLY,
	SIP_SDP_INACTIVE,
};

struct sip_sdp_media {
	enum sip_sdp_kind kind;
	char name[16];               /* the media token as sent ("audio", "video") */
	uint16_t port;               /* 0 = disabled */
	char proto[16];              /* "RTP/AVP", "udptl", "UDPTL" ... */
	char fmt_line[128];          /* the format list as sent, for mirroring */
	unsigned nfmts;
	int pts[SIP_SDP_MAX_FMTS];   /* audio payload types */
	bool t38;                    /* image with format t38 over udptl */
	char addr[SIP_SDP_ADDR_MAX]; /* c= of the media, else of the session */
	enum sip_sdp_dir dir;
	struct sip_t38_params t38p;  /* a=T38* of this media */
	int t38_bad;                 /* an attribute value was not understood */
};

struct sip_sdp {
	unsigned nmedia;
	struct sip_sdp_media m[SIP_SDP_MAX_MEDIA];
};

/* Parses an SDP body. 0, or -1 with a reason in *why (static text). */
int sip_sdp_parse(const char *buf, size_t len, struct sip_sdp *sdp, const char **why);

/* Index of the first usable (port != 0) media of a kind, else -1. For
 * audio, a medium offering PCMU or PCMA. */
int sip_sdp_find(const struct sip_sdp *sdp, enum sip_sdp_kind kind);
/* The G.711 payload type to use from audio media m: the preferred one when
 * offered, else the other; -1 when neither. */
int sip_sdp_pick_pt(const struct sip_sdp_media *m, int preferred);

/* What we write. */
struct sip_sdp_local {
	uint64_t sess_id;            /* o= id, constant for the call */
	uint64_t version;            /* o= version, +1 per new offer/answer content */
	char addr[SIP_SDP_ADDR_MAX]; /* our media address (IP literal) */
	uint16_t audio_port;         /* 0 = no audio / audio refused */
	int audio_pt;                /* first payload type offered/answered */
	int audio_pt2;               /* second one (offers only), -1 none */
	uint16_t image_port;         /* 0 = no T.38 / refused */
	struct sip_t38_params t38;
};

/*
 * Writes an offer: m=audio first (when audio_port), then m=image (when
 * image_port). Returns the length, or -1 when out is too small.
 */
int sip_sdp_write_offer(char *out, size_t outsz, const struct sip_sdp_local *l);
/*
 * Writes the answer to offer: one m-line per offered m-line, in order. The
 * first usable audio line gets audio_port (if non-zero) and audio_pt, the
 * first usable image line image_port (if non-zero) and the T.38
 * attributes; every other line is refused with port 0.
 */
int sip_sdp_write_answer(char *out, size_t outsz, const struct sip_sdp_local *l,
    const struct sip_sdp *offer);

#endif
