/*
 * fax/rxfile: where a fax session receives its pages, checked or made
 * before T.30 starts (spandsp itself would only find out at phase B, and
 * opens the file by name).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fax/fax_int.h"

#define FAX_RX_MEMORY_PATH_MAX 64

int
fax_rx_dir_writable(const char *path, char *err, size_t errlen)
{
	char *copy, *dir;
	int rc = 0;

	if ((copy = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	dir = dirname(copy);
	if (access(dir, W_OK | X_OK) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(copy);
	return rc;
}

/*
 * The memory file to receive into. spandsp 0.0.6 takes only a file name
 * (it calls TIFFOpen itself), so the file is named through /proc: opening
 * /proc/self/fd/N opens the memory file again, and spandsp's page writes
 * then land in memory, never waiting on a disk or its journal.
 */
int
fax_rx_memory_open(char **path, char *err, size_t errlen)
{
	char name[FAX_RX_MEMORY_PATH_MAX];
	int fd;

	if ((fd = memfd_create("t37-fax-rx", MFD_CLOEXEC)) < 0) {
		snprintf(err, errlen, "file to receive: no memory file: %s", strerror(errno));
		return -1;
	}
	snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
	if (access(name, R_OK | W_OK) < 0) {
		snprintf(err, errlen, "file to receive: %s cannot be opened (is /proc "
		    "mounted?): %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if ((*path = strdup(name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	return fd;
}
