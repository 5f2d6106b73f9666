/*
 * gateway/metrics/http.c: the metrics listener, libevent's evhttp on the
 * mail thread's loop. GET (or HEAD) /metrics answers the exposition,
 * /healthz answers 200 "ok" while the gateway runs and 503 "draining"
 * once shutdown began; any other path is 404, another method 405, and a
 * request evhttp cannot parse gets its 400 from evhttp. Requests are
 * bounded in size and time; nothing here writes or reads the spool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "gateway/metrics/metrics.h"
#include "util/log.h"

#define METRICS_HTTP_TIMEOUT_S 10           /* to read a request, write a reply */
#define METRICS_HTTP_HEADERS_MAX 8192       /* request line and headers */
#define METRICS_HTTP_BODY_MAX 1024          /* a GET has no body */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct evhttp *http;            /* owned */
	metrics_queues_fn *queues;
	void *arg;
	int draining;
};

static void http_metrics_cb(struct evhttp_request *req, void *arg);
static void http_healthz_cb(struct evhttp_request *req, void *arg);
static void http_other_cb(struct evhttp_request *req, void *arg);
static int http_method_ok(struct evhttp_request *req);
static void http_text(struct evhttp_request *req, int code, const char *reason,
    const char *text);

struct metrics_http *
metrics_http_new(struct event_base *base, const char *addr, unsigned port,
    metrics_queues_fn *queues, void *arg, char *err, size_t errlen)
{
	struct metrics_http *h;

	if ((h = calloc(1, sizeof(*h))) == NULL || (h->http = evhttp_new(base)) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		free(h);
		return NULL;
	}
	h->queues = queues;
	h->arg = arg;
	evhttp_set_timeout(h->http, METRICS_HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(h->http, METRICS_HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(h->http, METRICS_HTTP_BODY_MAX);
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	if (evhttp_set_cb(h->http, "/metrics", http_metrics_cb, h) != 0 ||
	    evhttp_set_cb(h->http, "/healthz", http_healthz_cb, h) != 0) {
		snprintf(err, errlen, "metrics: cannot set the handlers");
		metrics_http_free(h);
		return NULL;
	}
	evhttp_set_gencb(h->http, http_other_cb, h);
	errno = 0;
	if (evhttp_bind_socket(h->http, addr, (ev_uint16_t)port) != 0) {
		snprintf(err, errlen, "metrics listen %s %u: cannot listen: %s", addr, port,
		    errno != 0 ? strerror(errno) : "bad address");
		metrics_http_free(h);
		return NULL;
	}
	log_info("metrics listen=%s:%u paths=/metrics,/healthz", addr, port);
	return h;
}

void
metrics_http_draining(struct metrics_http *h)
{
	if (h != NULL)
		h->draining = 1;
}

void
metrics_http_free(struct metrics_http *h)
{
	if (h == NULL)
		return;
	if (h->http != NULL)
		evhttp_free(h->http);
	free(h);
}

/* evhttp lets only GET and HEAD through (it answers others 501 itself);
 * this guards the handlers should that setting ever change. A query
 * string is ignored. */
static int
http_method_ok(struct evhttp_request *req)
{
	enum evhttp_cmd_type c = evhttp_request_get_command(req);

	return c == EVHTTP_REQ_GET || c == EVHTTP_REQ_HEAD;
}

static void
http_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    "text/plain; charset=utf-8");
	if (b != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, code, reason, b);
	if (b != NULL)
		evbuffer_free(b);
}

static void
http_metrics_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_http *h = arg;
	struct metrics_queues q;
	struct evbuffer *b;

	if (!http_method_ok(req)) {
		http_text(req, 405, "Method Not Allowed", "method not allowed");
		return;
	}
	memset(&q, 0, sizeof(q));
	if (h->queues != NULL)
		h->queues(h->arg, &q);
	if ((b = evbuffer_new()) == NULL ||
	    metrics_write(b, h->queues != NULL ? &q : NULL) == -1) {
		if (b != NULL)
			evbuffer_free(b);
		http_text(req, 500, "Internal Server Error", "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	    METRICS_CONTENT_TYPE);
	evhttp_send_reply(req, 200, "OK", b);
	evbuffer_free(b);
}

static void
http_healthz_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_http *h = arg;

	if (!http_method_ok(req))
		http_text(req, 405, "Method Not Allowed", "method not allowed");
	else if (h->draining)
		http_text(req, 503, "Service Unavailable", "draining");
	else
		http_text(req, 200, "OK", "ok");
}

static void
http_other_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	http_text(req, 404, "Not Found", "not found: try /metrics or /healthz");
}
