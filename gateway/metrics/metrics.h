/*
 * gateway/metrics: the gateway's Prometheus metrics and the HTTP listener
 * that serves them (`metrics listen ADDR PORT`). Fixed metrics with label
 * sets known in advance (no number or address is ever a label value),
 * counted with relaxed C11 atomics so that any thread (the line threads,
 * the mail thread, the pool threads) records without a lock; exposed in
 * the Prometheus text format 0.0.4 at /metrics, with /healthz for load
 * balancers (200 while running, 503 while draining).
 *
 * It does not know the other rooms: each records through the one-line
 * calls below, and what only exists at scrape time (queue depth, the age
 * of the oldest job) comes through a callback the core sets. The counters
 * are process-wide (one gateway per process), so a hook needs no handle.
 */
#ifndef T37_GATEWAY_METRICS_H
#define T37_GATEWAY_METRICS_H

#include <stddef.h>
#include <time.h>

struct event_base;
struct evbuffer;
struct sip_event;
struct metrics_http;            /* opaque: the HTTP listener */

/* ---- recording (any thread) ---- */

/* A call ended (the line's SIP_EV_CALL_FINISHED): calls by direction,
 * media and result, confirmed pages, signalling rate, duration. */
void metrics_call_ended(const struct sip_event *ev);

enum metrics_smtp_session {
	METRICS_SMTP_CLOSED = 0,        /* ended by QUIT, timeout or the client */
	METRICS_SMTP_SHED,              /* closed to make room at the session cap */
	METRICS_SMTP_REFUSED,           /* client not in mta receive allow */
};
void metrics_smtp_session(enum metrics_smtp_session how);
/* The final reply to a message's DATA (250 accepted, 4xx, 5xx). */
void metrics_smtp_message(int code);
/* The reply to one RCPT TO. */
void metrics_smtp_rcpt(int code);
/* One outbound mail attempt's or job's outcome: status is the log's
 * status= word ("sent", "deferred", "bounced", "failed"). */
void metrics_delivery(const char *status);
/* An offramp document preparation ended (ok: pages were made). */
void metrics_render(int ok, double secs);
/* A batch of accepted messages made durable (fsync'd, renamed). */
void metrics_spool_commit(double secs);
/* Seconds since an arbitrary start, for the two durations above. */
double metrics_now(void);

/* ---- scrape ---- */

enum metrics_queue {
	METRICS_QUEUE_MAIL = 0,         /* outbound mail: onramp faxes, DSNs */
	METRICS_QUEUE_OFFRAMP,          /* accepted mail waiting to be faxed */
	METRICS_QUEUE_COUNT
};
struct metrics_queues {
	unsigned jobs[METRICS_QUEUE_COUNT];
	time_t oldest[METRICS_QUEUE_COUNT];     /* arrival of the oldest; 0 = none */
};
/* Fills q from what the queues hold in memory (mail thread, at scrape). */
typedef void (metrics_queues_fn)(void *arg, struct metrics_queues *q);

/* Every metric in the text format 0.0.4 onto out; q may be NULL (no
 * queue gauges). 0, or -1 without memory. */
int metrics_write(struct evbuffer *out, const struct metrics_queues *q);

/*
 * Binds ADDR:PORT (numeric) and serves GET /metrics and /healthz on base
 * (the mail thread's loop). NULL with the reason in err when the address
 * cannot be bound. queues may be NULL.
 */
struct metrics_http *metrics_http_new(struct event_base *base, const char *addr,
    unsigned port, metrics_queues_fn *queues, void *arg, char *err, size_t errlen);
/* Shutdown began: /healthz answers 503 from now on. */
void metrics_http_draining(struct metrics_http *h);
void metrics_http_free(struct metrics_http *h);

#endif
