/*
 * Unit tests for sip/rxcopy: a memory file copied over the call's file
 * (created, overwritten and cut to size, grown and copied again), errors
 * named, and the events queued behind the copies reaching the owner only
 * after them, in the order sent.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sip/internal.h"
#include "util/chan.h"

#define RX_EVENTS 40                    /* events interleaved with copies */

static char rx_dir[] = "/tmp/t37rxcopy.XXXXXX";

static void
rx_setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(rx_dir));
}

static void
rx_teardown(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", rx_dir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(rx_dir + strlen(rx_dir) - 6, "XXXXXX", 6);
}

/* A memory file of n bytes of a pattern that depends on seed. */
static int
rx_memfile(size_t n, unsigned seed)
{
	int fd = memfd_create("test", MFD_CLOEXEC);
	unsigned char *buf = malloc(n);

	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 31u + seed);
	ck_assert_int_eq(pwrite(fd, buf, n, 0), (ssize_t)n);
	free(buf);
	return fd;
}

/* The file at path holds exactly what fd holds. */
static void
rx_same(int fd, const char *path)
{
	struct stat a, b;
	unsigned char *x, *y;
	int out = open(path, O_RDONLY);

	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert_int_eq(fstat(out, &b), 0);
	ck_assert_int_eq(a.st_size, b.st_size);
	x = malloc((size_t)a.st_size + 1);
	y = malloc((size_t)a.st_size + 1);
	ck_assert_int_eq(pread(fd, x, (size_t)a.st_size, 0), a.st_size);
	ck_assert_int_eq(pread(out, y, (size_t)a.st_size, 0), a.st_size);
	ck_assert_int_eq(memcmp(x, y, (size_t)a.st_size), 0);
	ck_assert_int_eq(b.st_mode & 0777, 0640);
	free(x);
	free(y);
	close(out);
}

START_TEST(test_rxcopy_file)
{
	char path[PATH_MAX], err[256];
	int fd = rx_memfile(3u << 20, 1), old;  /* more than one sendfile chunk */
	off_t size = 0;

	snprintf(path, sizeof(path), "%s/fax.tif", rx_dir);
	/* made 0640 */
	ck_assert_int_eq(sip_rxcopy_file(fd, path, &size, err, sizeof(err)), 0);
	ck_assert_int_eq(size, 3 << 20);
	rx_same(fd, path);
	/* grown: copied whole again */
	ck_assert_int_eq(pwrite(fd, "next page", 9, 3 << 20), 9);
	ck_assert_int_eq(sip_rxcopy_file(fd, path, &size, err, sizeof(err)), 0);
	ck_assert_int_eq(size, (3 << 20) + 9);
	rx_same(fd, path);
	/* over a longer file left by an earlier attempt: cut to size */
	old = fd;
	fd = rx_memfile(1000, 7);
	ck_assert_int_eq(sip_rxcopy_file(fd, path, &size, err, sizeof(err)), 0);
	ck_assert_int_eq(size, 1000);
	rx_same(fd, path);
	/* an empty memory file: an empty file */
	close(fd);
	fd = memfd_create("empty", MFD_CLOEXEC);
	ck_assert_int_eq(sip_rxcopy_file(fd, path, &size, err, sizeof(err)), 0);
	ck_assert_int_eq(size, 0);
	rx_same(fd, path);
	close(fd);
	close(old);
}
END_TEST

START_TEST(test_rxcopy_file_errors)
{
	char path[PATH_MAX], err[256];
	int fd = rx_memfile(100, 2);
	off_t size;

	snprintf(path, sizeof(path), "%s/gone/fax.tif", rx_dir);
	ck_assert_int_eq(sip_rxcopy_file(fd, path, &size, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "cannot open: No such file or directory");
	/* a descriptor that cannot be read from */
	snprintf(path, sizeof(path), "%s/fax.tif", rx_dir);
	close(fd);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	snprintf(path, sizeof(path), "%s/other.tif", rx_dir);
	ck_assert_int_eq(sip_rxcopy_file(fd, path, &size, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "cannot copy: ", 13) == 0, "%s", err);
	close(fd);
}
END_TEST

/* Each event reaches the owner after the copies queued before it, when
 * the file already holds what was copied; events keep their order. The
 * caller closes its descriptor at once: a queued copy has its own. */
START_TEST(test_rxcopy_order)
{
	struct chan *events = chan_new();
	struct sip_rxcopy *w;
	struct sip_event *ev;
	char path[PATH_MAX], err[128];
	int fd, i;

	ck_assert_ptr_nonnull(events);
	w = sip_rxcopy_new(events, err, sizeof(err));
	ck_assert_msg(w != NULL, "%s", err);
	snprintf(path, sizeof(path), "%s/fax.tif", rx_dir);
	ck_assert_uint_eq(sip_rxcopy_pending(w), 0);
	for (i = 0; i < RX_EVENTS; i++) {
		fd = rx_memfile(4096u * (unsigned)(i + 1), (unsigned)i);
		ck_assert_int_eq(sip_rxcopy_page(w, "c1", fd, path, i == RX_EVENTS - 1), 0);
		close(fd);
		ev = calloc(1, sizeof(*ev));
		ev->pages = (unsigned)i;
		sip_rxcopy_post(w, ev);
	}
	for (i = 0; i < RX_EVENTS; i++) {
		struct stat st;

		ev = (struct sip_event *)chan_pop_wait(events, 10000);
		ck_assert_ptr_nonnull(ev);
		ck_assert_uint_eq(ev->pages, (unsigned)i);
		free(ev);
		/* the copy before the last event has been made */
		if (i == RX_EVENTS - 1) {
			ck_assert_int_eq(stat(path, &st), 0);
			ck_assert_int_eq(st.st_size, 4096 * RX_EVENTS);
		}
	}
	/* nothing left in flight once the last job is done (bounded wait) */
	for (i = 0; i < 1000 && sip_rxcopy_pending(w) != 0; i++)
		usleep(1000);
	ck_assert_uint_eq(sip_rxcopy_pending(w), 0);
	/* freeing forwards what is still queued */
	ev = calloc(1, sizeof(*ev));
	ev->pages = 99;
	sip_rxcopy_post(w, ev);
	sip_rxcopy_free(w);
	ev = (struct sip_event *)chan_pop(events);
	ck_assert_ptr_nonnull(ev);
	ck_assert_uint_eq(ev->pages, 99);
	free(ev);
	sip_rxcopy_free(NULL);
	chan_free(events, NULL);
}
END_TEST

Suite *
suite_sip_rxcopy(void)
{
	Suite *s = suite_create("sip_rxcopy");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, rx_setup, rx_teardown);
	tcase_add_test(tc, test_rxcopy_file);
	tcase_add_test(tc, test_rxcopy_file_errors);
	tcase_add_test(tc, test_rxcopy_order);
	suite_add_tcase(s, tc);
	return s;
}
