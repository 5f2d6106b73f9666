/*
 * gateway/parts: registers the daemon's working subsystems (the onramp
 * mail queue, the offramp runner, the SIP line, the SMTP listener) with a
 * struct gw, wired to each other. See gateway/parts.c.
 */
#ifndef T37_GW_PARTS_H
#define T37_GW_PARTS_H

struct gw;

/* Registers them all; they share one state freed with the last of them.
 * 0, or -1 when the gw's subsystem table is full. */
int gw_parts_register(struct gw *gw);

#endif
