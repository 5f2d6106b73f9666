/*
 * smtp/client_connect: how a client session reaches its server: the name
 * is resolved here (evdns, or at once for an address), then each address
 * is tried in turn (RFC 5321 5.1) until one accepts the connection. The
 * address being tried is in the result from the first attempt on, so a
 * refused connection or a timeout is logged against the address it
 * concerns, and every failure says its layer: the name did not resolve
 * (dns), no address took the connection (tcp). The SMTP dialogue starts in
 * client.c once connected.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "util/log.h"
#include "smtp/client_int.h"
#include "smtp/smtp.h"

/* A pending resolution points back at its client through this token, which
 * outlives a client freed meanwhile (evdns calls back even after a cancel). */
struct client_resolve {
	struct smtp_client *c;          /* NULL once the client is gone */
};

static void client_resolved(int err, struct evutil_addrinfo *res, void *arg);
static void client_resolved_for(struct smtp_client *c, int err, struct evutil_addrinfo *res);
static void client_try_next(struct smtp_client *c);

struct smtp_client *
smtp_client_connect(struct event_base *base, struct evdns_base *dns,
    const char *host, uint16_t port, const struct smtp_client_opts *opts,
    const struct smtp_client_msg *msg, smtp_client_cb cb, void *arg)
{
	struct evutil_addrinfo hints, *res = NULL;
	struct smtp_client *c;
	char portstr[8];
	unsigned char buf[16];
	int numeric, err;

	if (host == NULL || *host == '\0' || port == 0)
		return NULL;
	if ((c = smtp_client_new(base, opts, msg, cb, arg)) == NULL)
		return NULL;
	c->port = port;
	if ((c->host = strdup(host)) == NULL) {
		smtp_client_free(c);
		return NULL;
	}
	c->state = CS_CONNECT;          /* no socket yet: nothing to arm */
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	numeric = inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
	if (numeric || dns == NULL) {
		/* no query on the wire: an address, or no resolver given */
		hints.ai_flags = EVUTIL_AI_NUMERICHOST | EVUTIL_AI_NUMERICSERV;
		err = evutil_getaddrinfo(host, portstr, &hints, &res);
		client_resolved_for(c, err, res);
		return c;
	}
	if ((c->resolving = calloc(1, sizeof(*c->resolving))) == NULL) {
		smtp_client_free(c);
		return NULL;
	}
	c->resolving->c = c;
	/* the answer may come at once (hosts file): then the request is done
	 * and NULL returned, and client_resolved() has run already */
	c->dns_req = evdns_getaddrinfo(dns, host, portstr, &hints, client_resolved,
	    c->resolving);
	return c;
}

/* evdns's answer (or failure, or cancel); arg is the client's token. */
static void
client_resolved(int err, struct evutil_addrinfo *res, void *arg)
{
	struct client_resolve *tok = arg;
	struct smtp_client *c = tok->c;

	free(tok);
	if (c == NULL) {                        /* the client was freed meanwhile */
		if (res != NULL)
			evutil_freeaddrinfo(res);
		return;
	}
	c->resolving = NULL;
	c->dns_req = NULL;
	client_resolved_for(c, err, res);
}

/* The addresses of c's server (res owned from now on), or a DNS failure. */
static void
client_resolved_for(struct smtp_client *c, int err, struct evutil_addrinfo *res)
{
	if (err != 0 || res == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		smtp_client_fail_layer(c, SMTP_LAYER_DNS, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_CONNECT,
		    "4.4.3", "cannot resolve %s: %s", c->host,
		    err ? evutil_gai_strerror(err) : "no address");
		smtp_client_finish(c);
		return;
	}
	c->ai = c->ai_next = res;
	client_try_next(c);
}

/* Connects to the next address; when none is left, fails with the last
 * address's error. */
static void
client_try_next(struct smtp_client *c)
{
	struct evutil_addrinfo *ai;
	struct bufferevent *bev;

	while ((ai = c->ai_next) != NULL) {
		c->ai_next = ai->ai_next;
		if (ai->ai_family == AF_INET)
			evutil_inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
			    c->res.peer_ip, sizeof(c->res.peer_ip));
		else if (ai->ai_family == AF_INET6)
			evutil_inet_ntop(AF_INET6,
			    &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
			    c->res.peer_ip, sizeof(c->res.peer_ip));
		else
			continue;
		if (c->bev != NULL) {
			bufferevent_free(c->bev);
			c->bev = NULL;
		}
		if ((bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE)) == NULL)
			break;
		smtp_client_attach(c, bev);
		smtp_client_enter(c, CS_CONNECT);       /* the connect timeout, per address */
		c->tried++;
		if (bufferevent_socket_connect(bev, ai->ai_addr, (int)ai->ai_addrlen) == 0)
			return;                 /* the outcome comes as an event */
		snprintf(c->connect_err, sizeof(c->connect_err), "%s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	}
	smtp_client_fail_layer(c, SMTP_LAYER_TCP, SMTP_CLIENT_TEMPFAIL, SMTP_STEP_CONNECT, "4.4.1",
	    "connect to %s port %u: %s%s", c->res.peer_ip[0] ? c->res.peer_ip : c->host,
	    (unsigned)c->port, c->connect_err[0] ? c->connect_err : "no usable address",
	    c->tried > 1 ? " (every address tried)" : "");
	smtp_client_finish(c);
}

/* The connection to the address being tried failed (error or timeout):
 * the next address, or the end. */
void
smtp_client_connect_failed(struct smtp_client *c, bool timeout)
{
	snprintf(c->connect_err, sizeof(c->connect_err), "%s", timeout ?
	    "connection timed out" : evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	if (timeout)
		c->res.timeout = true;
	if (c->ai_next != NULL)
		log_debug("smtp-client: rcpt=<%s> connect to %s port %u: %s; next address",
		    c->rcpt, c->res.peer_ip, (unsigned)c->port, c->connect_err);
	client_try_next(c);
}

/* What smtp_client_free() undoes of the above. */
void
smtp_client_connect_free(struct smtp_client *c)
{
	if (c->resolving != NULL) {
		c->resolving->c = NULL;         /* the token frees itself */
		if (c->dns_req != NULL)
			evdns_getaddrinfo_cancel(c->dns_req);
	}
	if (c->ai != NULL)
		evutil_freeaddrinfo(c->ai);
	free(c->host);
}
