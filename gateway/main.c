/*
 * t37gw: the daemon's entry point (command line, life cycle).
 */
#include <stdio.h>
#include <string.h>

#include "gateway/log.h"

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "-V") == 0) {
		printf("t37gw %s\n", T37GW_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: t37gw [-t] -c FILE | -V | -h\n");
	return 2;
}
