/*
 * sip/sdp: parse and write the SDP of a fax call (audio G.711 and/or
 * image/t38). See sdp.h for why this is not libre's sdp_session.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sip/sdp.h"

/* Table of contents. */
static int sip_sdp_media_line(struct sip_sdp_media *m, const char *v, const char **why);
static void sip_sdp_attr(struct sip_sdp_media *m, const char *v);
static int sip_sdp_conn(char *addr, const char *v);
static int sip_sdp_appendf(char *out, size_t outsz, size_t *pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int sip_sdp_head(char *out, size_t outsz, size_t *pos, const struct sip_sdp_local *l);
static int sip_sdp_audio(char *out, size_t outsz, size_t *pos, uint16_t port, int pt, int pt2);
static int sip_sdp_image(char *out, size_t outsz, size_t *pos, uint16_t port,
    const struct sip_t38_params *t38);
static int sip_sdp_t38_attr(const char *name, const char *value, void *arg);

/* "c=IN IP4 192.0.2.1" (also IP6). 0 or -1. */
static int
sip_sdp_conn(char *addr, const char *v)
{
	char nt[8], at[8], a[SIP_SDP_ADDR_MAX];

	if (sscanf(v, "%7s %7s %63s", nt, at, a) != 3 || strcmp(nt, "IN") != 0 ||
	    (strcmp(at, "IP4") != 0 && strcmp(at, "IP6") != 0))
		return -1;
	/* drop a multicast /ttl suffix */
	a[strcspn(a, "/")] = '\0';
	snprintf(addr, SIP_SDP_ADDR_MAX, "%s", a);
	return 0;
}

/* "m=<media> <port>[/n] <proto> <fmt> ..." */
static int
sip_sdp_media_line(struct sip_sdp_media *m, const char *v, const char **why)
{
	char name[16], proto[16], *end;
	unsigned long port;
	int off = 0;
	const char *fmts;

	if (sscanf(v, "%15s %n", name, &off) != 1 || off == 0) {
		*why = "bad m= line";
		return -1;
	}
	v += off;
	port = strtoul(v, &end, 10);
	if (end == v || port > 65535) {
		*why = "bad m= port";
		return -1;
	}
	if (*end == '/')                       /* port/count */
		strtoul(end + 1, &end, 10);
	off = 0;
	if (sscanf(end, " %15s %n", proto, &off) != 1 || off == 0) {
		*why = "bad m= protocol";
		return -1;
	}
	fmts = end + off;
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->proto, sizeof(m->proto), "%s", proto);
	snprintf(m->fmt_line, sizeof(m->fmt_line), "%s", fmts);
	m->port = (uint16_t)port;
	if (strcmp(name, "audio") == 0 && strcasecmp(proto, "RTP/AVP") == 0) {
		const char *p = fmts;
		m->kind = SIP_SDP_AUDIO;
		while (*p != '\0' && m->nfmts < SIP_SDP_MAX_FMTS) {
			long pt = strtol(p, &end, 10);
			if (end == p)
				break;
			if (pt >= 0 && pt <= 127)
				m->pts[m->nfmts++] = (int)pt;
			p = end;
			while (*p == ' ')
				p++;
		}
	} else if (strcmp(name, "image") == 0 && strcasecmp(proto, "udptl") == 0) {
		m->kind = SIP_SDP_IMAGE;
		m->t38 = strstr(fmts, "t38") != NULL;
	} else {
		m->kind = SIP_SDP_OTHER;
	}
	sip_t38_params_peer_init(&m->t38p);
	return 0;
}

static void
sip_sdp_attr(struct sip_sdp_media *m, const char *v)
{
	char name[64];
	const char *colon = strchr(v, ':');
	size_t n = colon != NULL ? (size_t)(colon - v) : strlen(v);

	if (n == 0 || n >= sizeof(name))
		return;
	memcpy(name, v, n);
	name[n] = '\0';
	if (strcmp(name, "sendrecv") == 0)
		m->dir = SIP_SDP_SENDRECV;
	else if (strcmp(name, "sendonly") == 0)
		m->dir = SIP_SDP_SENDONLY;
	else if (strcmp(name, "recvonly") == 0)
		m->dir = SIP_SDP_RECVONLY;
	else if (strcmp(name, "inactive") == 0)
		m->dir = SIP_SDP_INACTIVE;
	else if (m->kind == SIP_SDP_IMAGE && strncasecmp(name, "T38", 3) == 0) {
		if (sip_t38_attr_apply(&m->t38p, name, colon != NULL ? colon + 1 : NULL) < 0)
			m->t38_bad = 1;
	}
}

int
sip_sdp_parse(const char *buf, size_t len, struct sip_sdp *sdp, const char **why)
{
	char line[SIP_SDP_MAX_LINE], sess_addr[SIP_SDP_ADDR_MAX] = "";
	size_t pos = 0, n;
	struct sip_sdp_media *cur = NULL;
	int saw_v = 0;
	unsigned i;

	memset(sdp, 0, sizeof(*sdp));
	*why = NULL;
	if (buf == NULL || len == 0) {
		*why = "empty SDP";
		return -1;
	}
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - (buf + pos)) : len - pos;
		if (n >= sizeof(line)) {
			*why = "SDP line too long";
			return -1;
		}
		memcpy(line, buf + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (memchr(line, '\0', n) != NULL || n < 2 || line[1] != '=') {
			*why = "malformed SDP line";
			return -1;
		}
		switch (line[0]) {
		case 'v':
			saw_v = 1;
			break;
		case 'c':
			if (sip_sdp_conn(cur != NULL ? cur->addr : sess_addr, line + 2) < 0) {
				*why = "bad c= line";
				return -1;
			}
			break;
		case 'm':
			if (sdp->nmedia == SIP_SDP_MAX_MEDIA) {
				*why = "too many m= lines";
				return -1;
			}
			cur = &sdp->m[sdp->nmedia++];
			if (sip_sdp_media_line(cur, line + 2, why) < 0)
				return -1;
			break;
		case 'a':
			if (cur != NULL)
				sip_sdp_attr(cur, line + 2);
			break;
		default:
			break;
		}
	}
	if (!saw_v || sdp->nmedia == 0) {
		*why = saw_v ? "no m= line" : "no v= line";
		return -1;
	}
	for (i = 0; i < sdp->nmedia; i++) {
		if (sdp->m[i].addr[0] == '\0')
			memcpy(sdp->m[i].addr, sess_addr, sizeof(sess_addr));
		if (sdp->m[i].addr[0] == '\0' && sdp->m[i].port != 0) {
			*why = "no c= line for a media";
			return -1;
		}
	}
	return 0;
}

int
sip_sdp_pick_pt(const struct sip_sdp_media *m, int preferred)
{
	unsigned i;
	int other = -1;

	for (i = 0; i < m->nfmts; i++) {
		if (m->pts[i] == preferred)
			return preferred;
		if (m->pts[i] == SIP_SDP_PT_PCMU || m->pts[i] == SIP_SDP_PT_PCMA)
			if (other < 0)
				other = m->pts[i];
	}
	return other;
}

int
sip_sdp_find(const struct sip_sdp *sdp, enum sip_sdp_kind kind)
{
	unsigned i;

	for (i = 0; i < sdp->nmedia; i++) {
		const struct sip_sdp_media *m = &sdp->m[i];
		if (m->kind != kind || m->port == 0)
			continue;
		if (kind == SIP_SDP_AUDIO && sip_sdp_pick_pt(m, SIP_SDP_PT_PCMU) < 0)
			continue;
		if (kind == SIP_SDP_IMAGE && (!m->t38 || m->t38_bad))
			continue;
		return (int)i;
	}
	return -1;
}

static int
sip_sdp_appendf(char *out, size_t outsz, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*pos >= outsz)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out + *pos, outsz - *pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz - *pos)
		return -1;
	*pos += (size_t)n;
	return 0;
}

static int
sip_sdp_head(char *out, size_t outsz, size_t *pos, const struct sip_sdp_local *l)
{
	const char *ipv = strchr(l->addr, ':') != NULL ? "IP6" : "IP4";

	return sip_sdp_appendf(out, outsz, pos,
	    "v=0\r\no=- %llu %llu IN %s %s\r\ns=t37gw\r\nc=IN %s %s\r\nt=0 0\r\n",
	    (unsigned long long)l->sess_id, (unsigned long long)l->version, ipv, l->addr,
	    ipv, l->addr);
}

static int
sip_sdp_audio(char *out, size_t outsz, size_t *pos, uint16_t port, int pt, int pt2)
{
	static const char *names[] = { [SIP_SDP_PT_PCMU] = "PCMU", [SIP_SDP_PT_PCMA] = "PCMA" };
	int err = 0;

	if (pt2 >= 0 && pt2 != pt)
		err |= sip_sdp_appendf(out, outsz, pos, "m=audio %u RTP/AVP %d %d\r\n",
		    port, pt, pt2);
	else
		err |= sip_sdp_appendf(out, outsz, pos, "m=audio %u RTP/AVP %d\r\n", port, pt);
	err |= sip_sdp_appendf(out, outsz, pos, "a=rtpmap:%d %s/8000\r\n", pt, names[pt]);
	if (pt2 >= 0 && pt2 != pt)
		err |= sip_sdp_appendf(out, outsz, pos, "a=rtpmap:%d %s/8000\r\n", pt2,
		    names[pt2]);
	/* 20 ms packets; no VAD or comfort noise on a fax call */
	err |= sip_sdp_appendf(out, outsz, pos, "a=ptime:20\r\na=sendrecv\r\n");
	return err;
}

struct sip_sdp_out {
	char *out;
	size_t outsz, *pos;
};

static int
sip_sdp_t38_attr(const char *name, const char *value, void *arg)
{
	struct sip_sdp_out *o = arg;

	if (*value == '\0')
		return sip_sdp_appendf(o->out, o->outsz, o->pos, "a=%s\r\n", name);
	return sip_sdp_appendf(o->out, o->outsz, o->pos, "a=%s:%s\r\n", name, value);
}

static int
sip_sdp_image(char *out, size_t outsz, size_t *pos, uint16_t port,
    const struct sip_t38_params *t38)
{
	struct sip_sdp_out o = { out, outsz, pos };

	if (sip_sdp_appendf(out, outsz, pos, "m=image %u udptl t38\r\n", port) < 0)
		return -1;
	return sip_t38_attrs_foreach(t38, sip_sdp_t38_attr, &o) != 0 ? -1 : 0;
}

int
sip_sdp_write_offer(char *out, size_t outsz, const struct sip_sdp_local *l)
{
	size_t pos = 0;

	if (sip_sdp_head(out, outsz, &pos, l) < 0)
		return -1;
	if (l->audio_port != 0 &&
	    sip_sdp_audio(out, outsz, &pos, l->audio_port, l->audio_pt, l->audio_pt2) < 0)
		return -1;
	if (l->image_port != 0 && sip_sdp_image(out, outsz, &pos, l->image_port, &l->t38) < 0)
		return -1;
	return (int)pos;
}

int
sip_sdp_write_answer(char *out, size_t outsz, const struct sip_sdp_local *l,
    const struct sip_sdp *offer)
{
	size_t pos = 0;
	unsigned i;
	int audio = l->audio_port != 0 ? sip_sdp_find(offer, SIP_SDP_AUDIO) : -1;
	int image = l->image_port != 0 ? sip_sdp_find(offer, SIP_SDP_IMAGE) : -1;

	if (sip_sdp_head(out, outsz, &pos, l) < 0)
		return -1;
	for (i = 0; i < offer->nmedia; i++) {
		const struct sip_sdp_media *m = &offer->m[i];
		int err;

		if ((int)i == audio)
			err = sip_sdp_audio(out, outsz, &pos, l->audio_port, l->audio_pt, -1);
		else if ((int)i == image)
			err = sip_sdp_image(out, outsz, &pos, l->image_port, &l->t38);
		else            /* RFC 3264 6: refused streams keep their line, port 0 */
			err = sip_sdp_appendf(out, outsz, &pos, "m=%s 0 %s %s\r\n", m->name,
			    m->proto, m->fmt_line[0] != '\0' ? m->fmt_line : "0");
		if (err < 0)
			return -1;
	}
	return (int)pos;
}
