/*
 * gateway/queue_gw: the onramp queue as a daemon subsystem (gateway/gw.h):
 * created once the spool is open (as root: the TLS CA file is read then),
 * resumed from the spool at start, given each new config on reload,
 * drained on shutdown. The SIP side hands received faxes to it through
 * gw_onramp_fax_received(queue_gw_queue(), ...).
 */
#include <stdio.h>
#include <stdlib.h>

#include "gateway/gw.h"
#include "gateway/log.h"
#include "gateway/queue.h"

struct queue_gw {
	struct queue *q;                /* owned */
	const struct config *cfg;       /* held (gw_config_hold) */
};

static int qgw_open(struct gw *gw, void *arg, char *err, size_t errlen);
static int qgw_start(struct gw *gw, void *arg, char *err, size_t errlen);
static void qgw_reload(struct gw *gw, void *arg, const struct config *cfg);
static void qgw_stop(struct gw *gw, void *arg);
static unsigned qgw_inflight(struct gw *gw, void *arg);
static void qgw_free(struct gw *gw, void *arg);

static const struct gw_subsys queue_gw_ops = {
	.name = "onramp",
	.open = qgw_open,
	.start = qgw_start,
	.reload = qgw_reload,
	.stop = qgw_stop,
	.inflight = qgw_inflight,
	.free = qgw_free,
};

/* The process's one onramp queue, for the line side's hand-over (the
 * gw context has no lookup by subsystem). Mail thread only. */
static struct queue_gw *queue_gw_current;

struct queue *
queue_gw_queue(void)
{
	return queue_gw_current ? queue_gw_current->q : NULL;
}

int
queue_gw_register(struct gw *gw)
{
	struct queue_gw *qg = calloc(1, sizeof(*qg));

	if (qg == NULL)
		return -1;
	if (gw_register(gw, &queue_gw_ops, qg) != 0) {
		free(qg);
		return -1;
	}
	return 0;
}

static int
qgw_open(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct queue_gw *qg = arg;

	qg->q = queue_new(gw_base(gw), gw_spool(gw), err, errlen);
	if (qg->q == NULL)
		return -1;
	qg->cfg = gw_config_hold(gw);
	queue_set_config(qg->q, qg->cfg);
	queue_gw_current = qg;
	return 0;
}

static int
qgw_start(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct queue_gw *qg = arg;

	(void)gw;
	return queue_start(qg->q, err, errlen);
}

static void
qgw_reload(struct gw *gw, void *arg, const struct config *cfg)
{
	struct queue_gw *qg = arg;
	const struct config *old = qg->cfg;

	(void)cfg;
	qg->cfg = gw_config_hold(gw);   /* the new current one */
	queue_set_config(qg->q, qg->cfg);
	gw_config_release(gw, old);
}

static void
qgw_stop(struct gw *gw, void *arg)
{
	struct queue_gw *qg = arg;

	(void)gw;
	if (qg->q)
		queue_stop(qg->q);
}

static unsigned
qgw_inflight(struct gw *gw, void *arg)
{
	struct queue_gw *qg = arg;

	(void)gw;
	return qg->q ? queue_inflight(qg->q) : 0;
}

static void
qgw_free(struct gw *gw, void *arg)
{
	struct queue_gw *qg = arg;

	if (queue_gw_current == qg)
		queue_gw_current = NULL;
	queue_free(qg->q);
	if (qg->cfg)
		gw_config_release(gw, qg->cfg);
	free(qg);
}
