/*
 * t37fax: a soft fax machine for tests, demos and field checks.
 * Subcommands are dispatched from the table below.
 */
#include <stdio.h>
#include <string.h>

#include "tools/t37fax.h"

static const struct t37fax_cmd {
	const char *name;
	int (*run)(int argc, char **argv);   /* argv[0] is the subcommand */
	const char *usage;
} t37fax_cmds[] = {
	{ "loopback", t37fax_loopback, T37FAX_LOOPBACK_USAGE },
	{ "send", t37fax_send, T37FAX_SEND_USAGE },
	{ "answer", t37fax_answer, T37FAX_ANSWER_USAGE },
	{ NULL, NULL, NULL },
};

static int
t37fax_usage(FILE *f)
{
	const struct t37fax_cmd *c;

	fprintf(f, "usage: t37fax COMMAND [OPTIONS] ...\n");
	for (c = t37fax_cmds; c->name != NULL; c++)
		fprintf(f, "  t37fax %s\n", c->usage);
	fprintf(f, "  t37fax -V\n");
	return 2;
}

int
main(int argc, char **argv)
{
	const struct t37fax_cmd *c;

	if (argc >= 2 && strcmp(argv[1], "-V") == 0) {
		printf("t37fax %s\n", T37GW_VERSION);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		t37fax_usage(stdout);
		return 0;
	}
	if (argc < 2)
		return t37fax_usage(stderr);
	for (c = t37fax_cmds; c->name != NULL; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "t37fax: unknown command '%s'\n", argv[1]);
	return t37fax_usage(stderr);
}
