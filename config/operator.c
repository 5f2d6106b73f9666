/*
 * config/operator: the commands of the operator's plane: `cdr FILE` (call
 * and job records), `control socket PATH` (t37gwctl's socket) and
 * `metrics listen ADDRESS PORT` (Prometheus), and where the control socket
 * is when no line says. The command table is in commands.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config/config_int.h"

/* The call and job records file: an absolute path (the daemon may be
 * started from anywhere), not a directory name. */
void
cfg_cdr(struct cfg_parser *p, int argc, char **argv)
{
	size_t len = strlen(argv[0]);

	(void)argc;
	if (argv[0][0] != '/') {
		cfg_err(p, "cdr '%s' is not an absolute path", argv[0]);
		return;
	}
	if (argv[0][len - 1] == '/') {
		cfg_err(p, "cdr '%s' names a directory, not a file", argv[0]);
		return;
	}
	cfg_copy(p, "cdr", argv[0], p->cfg->cdr, sizeof(p->cfg->cdr));
}

/* The operator's control socket (t37gwctl): an absolute path short enough
 * for a Unix socket address (sun_path holds CONFIG_SOCKET_PATH_MAX bytes
 * and a NUL). */
void
cfg_control_socket(struct cfg_parser *p, int argc, char **argv)
{
	size_t len = strlen(argv[0]);

	(void)argc;
	if (argv[0][0] != '/') {
		cfg_err(p, "control socket '%s' is not an absolute path", argv[0]);
		return;
	}
	if (argv[0][len - 1] == '/') {
		cfg_err(p, "control socket '%s' names a directory, not a socket", argv[0]);
		return;
	}
	if (len > CONFIG_SOCKET_PATH_MAX) {
		cfg_err(p, "control socket '%s' is longer than %d bytes (the limit of a "
		    "Unix socket's name)", argv[0], CONFIG_SOCKET_PATH_MAX);
		return;
	}
	cfg_copy(p, "control socket", argv[0], p->cfg->control_socket,
	    sizeof(p->cfg->control_socket));
}

int
config_control_socket(const struct config *cfg, char *out, size_t size)
{
	int n;

	if (cfg->control_socket[0] != '\0')
		n = snprintf(out, size, "%s", cfg->control_socket);
	else
		n = snprintf(out, size, "%s/%s", cfg->spool, CONFIG_CONTROL_NAME);
	if (n < 0 || (size_t)n >= size || n > CONFIG_SOCKET_PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* metrics listen ADDRESS PORT: the HTTP listener of /metrics and /healthz. */
void
cfg_metrics_listen(struct cfg_parser *p, int argc, char **argv)
{
	struct config_listen l;

	(void)argc;
	if (cfg_listen(p, "metrics listen", CONFIG_TRANSPORT_TCP, argv[0], argv[1], &l) < 0)
		return;
	if (p->cfg->metrics.n_listen == CONFIG_MAX_METRICS_LISTEN) {
		cfg_err(p, "too many 'metrics listen' lines (at most %d)",
		    CONFIG_MAX_METRICS_LISTEN);
		return;
	}
	p->cfg->metrics.listen[p->cfg->metrics.n_listen++] = l;
}
