/*
 * libFuzzer target: a control socket request from arbitrary bytes (any
 * local user of the socket's group can send one). The parser must never
 * crash or leak, and a request it accepts must have a valid command name
 * and arguments, and build back into a line that parses to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/ctlwire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctlwire_request r, again;
	const char *args[CTLWIRE_ARGS_MAX];
	char err[CTLWIRE_ERR_MAX], *line;
	size_t len;
	unsigned i;

	if (ctlwire_request_parse((const char *)data, size, &r, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (r.cmd[0] == '\0' || strlen(r.cmd) >= CTLWIRE_CMD_MAX || r.nargs > CTLWIRE_ARGS_MAX)
		abort();
	for (i = 0; i < r.nargs; i++)
		args[i] = r.args[i];
	if ((line = ctlwire_request_format(r.cmd, args, r.nargs)) == NULL)
		return 0;       /* a request near the size limit may not fit once re-escaped */
	if (ctlwire_request_parse(line, strlen(line), &again, err, sizeof(err)) != 0 ||
	    strcmp(again.cmd, r.cmd) != 0 || again.nargs != r.nargs)
		abort();
	for (i = 0; i < r.nargs; i++)
		if (strcmp(again.args[i], r.args[i]) != 0)
			abort();
	free(line);
	line = ctlwire_response_format(NULL, (const char *)r.args[0], &len);
	if (line == NULL || line[len - 1] != '\n')
		abort();
	free(line);
	return 0;
}
