/*
 * tools/t37fax: the subcommands of the t37fax tool. Each returns the
 * process exit code: 0 when the fax completed with every page, 1 when it
 * did not, 2 on bad usage.
 */
#ifndef T37FAX_H
#define T37FAX_H

#endif
