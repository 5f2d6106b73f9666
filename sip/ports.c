/*
 * sip/ports: the media ports of calls, taken from the rtp-ports range on
 * the line thread. RTP takes an even port and holds the odd one above it
 * for RTCP (RFC 3550 11: a peer that sends RTCP sends it there, and it
 * must not land in another call); UDPTL takes any one port.
 *
 * A port that another program holds (bind says EADDRINUSE or EACCES) is
 * skipped, not a failure: the range is tried once, starting where the
 * last allocation ended (recently freed ports are reused last, so late
 * packets of an ended call do not reach a new one). Running out of
 * descriptors (EMFILE, ENFILE, or the poll loop's table) stops at once and
 * says so; so does an error that no other port would cure.
 *
 * It does not decide what a refusal means for the call (call.c) nor log
 * it (limits.c); it counts the ports calls hold, and those the last scan
 * found taken by another program.
 */
#include <errno.h>
#include <string.h>

#include "util/log.h"
#include "sip/internal.h"

/* Table of contents. */
static int sip_ports_bind(struct sip_line *line, uint16_t port, struct udp_sock **us);
static enum sip_port_status sip_ports_status(int err);

const char *
sip_port_status_name(enum sip_port_status st)
{
	switch (st) {
	case SIP_PORT_OK:        return "ok";
	case SIP_PORT_EXHAUSTED: return "ports exhausted";
	case SIP_PORT_NOFILE:    return "out of descriptors";
	case SIP_PORT_FAILED:    return "cannot open a media socket";
	}
	return "cannot open a media socket";
}

static int
sip_ports_bind(struct sip_line *line, uint16_t port, struct udp_sock **us)
{
	struct sa laddr;

	sa_cpy(&laddr, &line->media_ip);
	sa_set_port(&laddr, port);
	return udp_listen(us, &laddr, NULL, NULL);
}

/* What an error of udp_listen means for the rest of the range: 0 (try
 * the next port) or the status to give up with. */
static enum sip_port_status
sip_ports_status(int err)
{
	switch (err) {
	case EADDRINUSE:
	case EACCES:
		return SIP_PORT_OK;
	case EMFILE:            /* also the poll table of libre (fd_listen) */
	case ENFILE:
		return SIP_PORT_NOFILE;
	default:
		return SIP_PORT_FAILED;
	}
}

enum sip_port_status
sip_ports_open(struct sip_line *line, bool pair, struct udp_sock **us, struct udp_sock **us2,
    uint16_t *port)
{
	unsigned min = line->opts.rtp_port_min, max = line->opts.rtp_port_max;
	unsigned first, n, start, i, step = pair ? 2 : 1;
	enum sip_port_status st;
	int err;

	line->ports_skipped = 0;
	*us = NULL;
	if (us2 != NULL)
		*us2 = NULL;
	first = pair ? (min + 1) & ~1u : min;
	if (max < first + step - 1)
		return SIP_PORT_EXHAUSTED;
	n = (max - (first + step - 1)) / step + 1;      /* candidates */
	start = line->port_cursor < first || line->port_cursor > max ? 0 :
	    (line->port_cursor - first + step - 1) / step % n;
	for (i = 0; i < n; i++) {
		uint16_t p = (uint16_t)(first + (start + i) % n * step);

		err = sip_ports_bind(line, p, us);
		if (err == 0 && pair) {
			err = sip_ports_bind(line, (uint16_t)(p + 1), us2);
			if (err != 0)
				*us = mem_deref(*us);
		}
		if (err == 0) {
			udp_thread_detach(*us);         /* the frames read it */
			/* libre reads RTCP and drops it: a datagram's
			 * size per read, not its 8 KB default. */
			if (pair)
				udp_rxsz_set(*us2, SIP_DATAGRAM_MAX);
			line->ports_held += step;
			line->port_cursor = (uint16_t)(p + step);
			*port = p;
			return SIP_PORT_OK;
		}
		if ((st = sip_ports_status(err)) != SIP_PORT_OK) {
			log_debug("sip: media port %u: %s", p, strerror(err));
			return st;
		}
		line->ports_skipped++;
		log_debug("sip: media port %u%s taken by another program: skipped", p,
		    pair ? " or the one above" : "");
	}
	return SIP_PORT_EXHAUSTED;
}

void
sip_ports_close(struct sip_line *line, struct udp_sock **us)
{
	if (*us == NULL)
		return;
	*us = mem_deref(*us);
	if (line->ports_held > 0)
		line->ports_held--;
}
