/*
 * gateway/intake_gw: the SMTP intake as a subsystem of the daemon's life
 * cycle (gateway/gw.h). open() builds the intake with the current config
 * and binds the "mta receive listen" sockets (before the privilege drop,
 * which also covers reading the TLS key and the auth file); reload() hands
 * the new config to new commands; stop() closes the listeners and lets
 * open transactions finish; inflight() counts sessions and commits still
 * running; free() tears it down.
 */
#include <stdlib.h>

#include "gateway/gw.h"
#include "gateway/intake.h"
#include "gateway/log.h"

struct intake_gw {
	struct gw_intake *in;           /* owned */
	const struct config *cfg;       /* held (gw_config_hold) */
};

static int intake_gw_open(struct gw *gw, void *arg, char *err, size_t errlen);
static void intake_gw_reload(struct gw *gw, void *arg, const struct config *cfg);
static void intake_gw_stop(struct gw *gw, void *arg);
static unsigned intake_gw_inflight(struct gw *gw, void *arg);
static void intake_gw_free(struct gw *gw, void *arg);

static const struct gw_subsys intake_gw_ops = {
	"smtpd", intake_gw_open, NULL, intake_gw_reload, intake_gw_stop,
	intake_gw_inflight, intake_gw_free,
};

int
gw_intake_gw_register(struct gw *gw)
{
	struct intake_gw *ig;

	if ((ig = calloc(1, sizeof(*ig))) == NULL)
		return -1;
	if (gw_register(gw, &intake_gw_ops, ig) == -1) {
		free(ig);
		return -1;
	}
	return 0;
}

static int
intake_gw_open(struct gw *gw, void *arg, char *err, size_t errlen)
{
	struct intake_gw *ig = arg;

	ig->cfg = gw_config_hold(gw);
	ig->in = gw_intake_new(gw_base(gw), ig->cfg, gw_spool(gw), err, errlen);
	if (ig->in == NULL)
		return -1;
	return gw_intake_start(ig->in, err, errlen);
}

static void
intake_gw_reload(struct gw *gw, void *arg, const struct config *cfg)
{
	struct intake_gw *ig = arg;
	const struct config *held;
	char err[GW_ERR_MAX];

	(void)cfg;
	if (ig->in == NULL)
		return;
	held = gw_config_hold(gw);      /* the new current config */
	if (gw_intake_set_config(ig->in, held, err, sizeof(err)) == -1) {
		log_warnx("smtp event=reload result=failed error=\"%s\"", err);
		gw_config_release(gw, held);
		return;
	}
	gw_config_release(gw, ig->cfg);
	ig->cfg = held;
}

static void
intake_gw_stop(struct gw *gw, void *arg)
{
	struct intake_gw *ig = arg;

	(void)gw;
	if (ig->in != NULL)
		gw_intake_shutdown(ig->in);
}

static unsigned
intake_gw_inflight(struct gw *gw, void *arg)
{
	struct intake_gw *ig = arg;

	(void)gw;
	return ig->in != NULL ? gw_intake_inflight(ig->in) : 0;
}

static void
intake_gw_free(struct gw *gw, void *arg)
{
	struct intake_gw *ig = arg;

	gw_intake_free(ig->in);
	if (ig->cfg != NULL)
		gw_config_release(gw, ig->cfg);
	free(ig);
}
