/*
 * t37gw: the daemon's entry point. Parses the command line, checks or
 * loads the config, builds the gateway context and runs the daemon
 * (gateway/gw.h). Exit status: 0 normal end or valid config (-t), 1
 * invalid config or start-up failure, 2 bad usage.
 * Run as "t37gw --render-worker ..." by the daemon itself, it is the
 * offramp's document worker instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "gateway/gw.h"
#include "gateway/offramp/offramp.h"
#include "util/log.h"
#include "sip/sip.h"

#define GW_EXIT_OK 0
#define GW_EXIT_FAIL 1
#define GW_EXIT_USAGE 2

static void usage(FILE *f);
static void raise_nofile(const struct config *cfg);
static struct config *load_config(const char *path, int check);
static int check_config(const char *path);
static int explain_route(const char *path, const char *arg);

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: t37gw [-ds] -c FILE     run the gateway in the foreground\n"
	    "       t37gw -t -c FILE        check FILE; print every error as file:line: message\n"
	    "       t37gw -t -c FILE -x NUMBER|ADDRESS\n"
	    "                               explain where a fax number or a recipient address goes\n"
	    "       t37gw -V                print the version\n"
	    "       t37gw -h                print this help\n"
	    "  -d  log at debug level    -s  log to syslog (default: as the config says)\n");
}

/*
 * Every SMTP session and every call holds descriptors: the soft limit
 * (often 1024) goes up to the hard one (systemd's LimitNOFILE) before
 * anything is opened. The SMTP listener sizes its session cap from the
 * result; the line refuses calls beyond what it leaves, and the log line
 * says how many calls that is and which limit binds (sip/limits.c).
 */
static void
raise_nofile(const struct config *cfg)
{
	struct sip_line_options o;
	struct sip_capacity cap;
	unsigned long long was, now;
	char calls[256];
	int rc;

	rc = sip_nofile_raise(&was, &now);
	if (rc != 0 && now == 0) {
		log_warn("event=limits nofile=unknown");
		return;
	}
	sip_line_options_init(&o);
	o.rtp_port_min = (uint16_t)cfg->sip.rtp_min;
	o.rtp_port_max = (uint16_t)cfg->sip.rtp_max;
	if (cfg->sip.max_calls > 0)
		o.max_calls = cfg->sip.max_calls;
	o.t38 = cfg->sip.t38 == CONFIG_T38_OFF ? SIP_T38_OFF : SIP_T38_ON;
	sip_capacity_get(&o, now, &cap);
	sip_capacity_format(&cap, &o, calls, sizeof(calls));
	if (rc != 0)
		log_warn("event=limits nofile=%llu raise=failed%s", now, calls);
	else
		log_info("event=limits nofile=%llu was=%llu%s", now, was, calls);
}

/*
 * Loads path. Errors and warnings are printed on stderr as "file:line:
 * message" when checking (-t) or when the load fails; a daemon that starts
 * logs each warning (an ignored line) instead.
 */
static struct config *
load_config(const char *path, int check)
{
	struct config_diag diag;
	struct config *cfg;
	char buf[LOG_ESC_BUFSZ];
	size_t i;

	config_diag_init(&diag);
	cfg = config_load(path, &diag);
	for (i = 0; i < diag.kept; i++) {
		if (cfg == NULL || check)
			fprintf(stderr, "%s\n", config_diag_get(&diag, i));
		else if (config_diag_is_warning(&diag, i))
			log_warnx("event=config-warning warning=%s",
			    log_str(buf, sizeof(buf), config_diag_get(&diag, i)));
	}
	if ((cfg == NULL || check) && diag.count + diag.warnings > diag.kept)
		fprintf(stderr, "t37gw: %zu more messages not shown\n",
		    diag.count + diag.warnings - diag.kept);
	if (cfg == NULL)
		fprintf(stderr, "t37gw: %s: %zu error%s\n", path, diag.count,
		    diag.count == 1 ? "" : "s");
	else if (check && diag.warnings > 0)
		fprintf(stderr, "t37gw: %s: %zu warning%s\n", path, diag.warnings,
		    diag.warnings == 1 ? "" : "s");
	config_diag_clear(&diag);
	return cfg;
}

static int
check_config(const char *path)
{
	struct config *cfg = load_config(path, 1);

	if (cfg == NULL)
		return GW_EXIT_FAIL;
	printf("%s: ok (%zu dial-peers)\n", path, cfg->n_peers);
	config_free(cfg);
	return GW_EXIT_OK;
}

/* -t -x ARG: where ARG goes with this config; exit 0 when it is faxed or
 * answered, 1 when refused (or the config has errors). */
static int
explain_route(const char *path, const char *arg)
{
	struct config *cfg = load_config(path, 1);
	int rc;

	if (cfg == NULL)
		return GW_EXIT_FAIL;
	rc = gw_route_explain(cfg, arg, stdout);
	config_free(cfg);
	return rc == 0 ? GW_EXIT_OK : GW_EXIT_FAIL;
}

int
main(int argc, char **argv)
{
	struct gw_opts opts = { 0 };
	const char *path = NULL, *route = NULL;
	char err[GW_ERR_MAX];
	struct config *cfg;
	struct gw *gw;
	int c, check = 0, rc;

	/* The offramp's document worker is this binary run again by the
	 * daemon (gateway/offramp/worker.c); it is not a user's command. */
	if (argc > 1 && strcmp(argv[1], OFFRAMP_WORKER_ARG) == 0)
		return offramp_worker_main(argc, argv);
	opterr = 0;
	while ((c = getopt(argc, argv, "c:dhstVx:")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 's':
			opts.use_syslog = 1;
			break;
		case 't':
			check = 1;
			break;
		case 'x':
			route = optarg;
			break;
		case 'V':
			printf("t37gw %s\n", T37GW_VERSION);
			return GW_EXIT_OK;
		case 'h':
			usage(stdout);
			return GW_EXIT_OK;
		default:
			if (optopt == 'c')
				fprintf(stderr, "t37gw: -c needs a FILE\n");
			else if (optopt == 'x')
				fprintf(stderr, "t37gw: -x needs a NUMBER or an ADDRESS\n");
			else
				fprintf(stderr, "t37gw: unknown option -%c\n", optopt);
			usage(stderr);
			return GW_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "t37gw: unexpected argument: %s\n", argv[optind]);
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (path == NULL) {
		fprintf(stderr, "t37gw: no config file (-c FILE)\n");
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (route != NULL && !check) {
		fprintf(stderr, "t37gw: -x goes with -t (it explains, offline)\n");
		usage(stderr);
		return GW_EXIT_USAGE;
	}
	if (route != NULL)
		return explain_route(path, route);
	if (check)
		return check_config(path);

	log_init("t37gw", opts.use_syslog, opts.debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if ((cfg = load_config(path, 0)) == NULL)
		return GW_EXIT_FAIL;
	raise_nofile(cfg);
	if ((gw = gw_new(path, cfg, &opts, err, sizeof(err))) == NULL) {
		config_free(cfg);
		log_err("event=start result=failed error=\"%s\"", err);
		return GW_EXIT_FAIL;
	}
	rc = gw_run(gw);
	gw_free(gw);
	return rc;
}
