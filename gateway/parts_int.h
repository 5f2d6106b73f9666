/*
 * gateway/parts_int.h: the daemon's parts as parts.c opens them, shared
 * with the control commands (control.c) that report on them and act on
 * their jobs. Core-private: only the core (gateway/, not its rooms) includes it.
 */
#ifndef T37_GATEWAY_PARTS_INT_H
#define T37_GATEWAY_PARTS_INT_H

#include <stddef.h>

#include "config/config.h"

struct cdr;
struct chan;
struct ctl;
struct ctl_peer;
struct ctlwire_request;
struct event;
struct gw;
struct intake;
struct json_object;
struct mailq;
struct metrics_http;
struct offramp;
struct onramp;
struct sip_line;

#define PARTS_NAMES_MAX 64

struct gw_parts {
	struct gw *gw;                  /* borrowed */
	struct mailq *mailq;            /* owned */
	struct offramp *offramp;     /* owned */
	struct onramp *onramp;          /* owned */
	struct sip_line *line;          /* owned */
	struct chan *line_events;       /* owned: events of the line, to us */
	struct event *line_ev;          /* owned: watches line_events */
	struct intake *intake;       /* owned; NULL without a listener */
	struct cdr *cdr;                /* owned; NULL without `cdr FILE` */
	char cdr_path[CONFIG_PATH_MAX]; /* fixed until a restart */
	struct metrics_http *metrics[CONFIG_MAX_METRICS_LISTEN];  /* owned; NULL unless
	                                   configured */
	char names[PARTS_NAMES_MAX];    /* "mailq,offramp,...", for the start line */
	const struct config *start_cfg; /* held: the listeners as opened (a reload
	                                   does not change them) */
	struct ctl *ctl;                /* owned: the control socket */
};


/* control.c: the control socket's handler (ctl_handler_fn; arg the parts). */
struct json_object *gw_control_handle(void *arg, const struct ctlwire_request *req,
    const struct ctl_peer *peer, char *err, size_t errlen);

#endif
