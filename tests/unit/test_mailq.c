/*
 * gateway/mailq and the onramp's mail in process: the retry ladder, and
 * the whole hand-over (dial-peer match, message, envelope, durable job,
 * delivery into a Maildir, spool cleaned) on a real event loop, plus the
 * policy refusals.
 */
#include <check.h>
#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <tiffio.h>

#include "config/config.h"
#include "gateway/mailq/mailq.h"
#include "gateway/onramp/onramp.h"
#include "gateway/spool/spool.h"

static const struct {
	unsigned retry, attempts, want;
} backoff_cases[] = {
	{ 300, 1, 300 }, { 300, 2, 600 }, { 300, 3, 1200 }, { 300, 4, 2400 },
	{ 300, 5, 3600 }, { 300, 40, 3600 }, { 10, 1, 10 }, { 10, 9, 2560 },
	{ 7200, 1, 7200 }, { 7200, 5, 7200 },   /* over the cap: stays */
};

START_TEST(backoff_doubles_to_the_cap)
{
	ck_assert_uint_eq(mailq_backoff(backoff_cases[_i].retry,
	    backoff_cases[_i].attempts), backoff_cases[_i].want);
}
END_TEST

struct fx {
	char dir[64], tiff[128], conf[4096];
	struct config *cfg;
	struct spool *sp;
	struct event_base *base;
	struct mailq *q;
};

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	if (mailq_jobs(f->q) == 0)
		event_base_loopbreak(f->base);
}

static unsigned
count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	unsigned n = 0;

	/* a missing directory is an error, never "empty" */
	ck_assert_msg(d != NULL, "%s: %s", path, strerror(errno));
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
fx_open(struct fx *f, const char *extra)
{
	struct config_diag diag;
	char err[256];
	unsigned char row[216];
	TIFF *t;
	int r;

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/t37queue.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->tiff, sizeof(f->tiff), "%s/rx.tif", f->dir);
	t = TIFFOpen(f->tiff, "w");
	ck_assert_ptr_nonnull(t);
	TIFFSetField(t, TIFFTAG_IMAGEWIDTH, 1728);
	TIFFSetField(t, TIFFTAG_IMAGELENGTH, 32);
	TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
	TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
	TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
	TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 32);
	for (r = 0; r < 32; r++) {
		memset(row, r % 3 ? 0 : 0x81, sizeof(row));
		TIFFWriteScanline(t, row, r, 0);
	}
	TIFFClose(t);
	snprintf(f->conf, sizeof(f->conf),
	    "hostname gw1.example.com\n"
	    "spool %s/spool\n"
	    "mta send maildir %s/Maildir\n"
	    "mta send postmaster postmaster@example.com\n"
	    "%s"
	    "dial-peer voice 200 mmoip\n"
	    " destination-pattern 99131..\n"
	    " information-type fax\n"
	    " session target mailto:fax-$d$@example.com\n"
	    " dsn success\n"
	    " mdn\n", f->dir, f->dir, extra);
	config_diag_init(&diag);
	f->cfg = config_parse_buffer("test", f->conf, strlen(f->conf), &diag);
	ck_assert_msg(f->cfg != NULL, "config: %s",
	    diag.kept ? config_diag_get(&diag, 0) : "?");
	config_diag_clear(&diag);
	f->sp = spool_open(f->cfg->spool, err, sizeof(err));
	ck_assert_msg(f->sp != NULL, "%s", err);
	f->base = event_base_new();
	f->q = mailq_new(f->base, f->sp, err, sizeof(err));
	ck_assert_ptr_nonnull(f->q);
	mailq_set_config(f->q, f->cfg);
	ck_assert_int_eq(mailq_start(f->q, err, sizeof(err)), 0);
}

static void
fx_run(struct fx *f)
{
	struct event *ev = event_new(f->base, -1, EV_PERSIST, tick, f);
	struct timeval tv = { 0, 10000 }, limit = { 5, 0 };

	event_add(ev, &tv);
	event_base_loopexit(f->base, &limit);
	event_base_dispatch(f->base);
	event_free(ev);
}

static void
fx_close(struct fx *f)
{
	char cmd[128];

	mailq_free(f->q);       /* removals under way finish first */
	event_base_free(f->base);
	spool_free(f->sp);
	config_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct onramp_fax
fax(const struct fx *f, const char *dnis, unsigned pages)
{
	struct onramp_fax fr;

	memset(&fr, 0, sizeof(fr));
	fr.call_id = "c0ffee";
	fr.tiff_path = f->tiff;
	fr.ani = "9194724118";
	fr.dnis = dnis;
	fr.remote_csi = "+1 919 472 4118";
	fr.pages = pages;
	fr.rate = 9600;
	fr.duration = 30;
	return fr;
}

/* The onramp's mail job for fr, scheduled as the daemon does. */
static int
mail(struct fx *f, const struct onramp_fax *fr, char id[SPOOL_ID_LEN + 1])
{
	int rc = onramp_mail(f->cfg, f->sp, fr, id);

	if (rc == 0)
		ck_assert_int_eq(mailq_add(f->q, id), 0);
	return rc;
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(fp != NULL, "%s: %s", path, strerror(errno));
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

static char *
maildir_message(const struct fx *f)
{
	char path[512], *buf;
	DIR *d;
	struct dirent *e;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/Maildir/new", f->dir);
	d = opendir(path);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL && e->d_name[0] == '.')
		;
	ck_assert_ptr_nonnull(e);
	snprintf(path, sizeof(path), "%s/Maildir/new/%s", f->dir, e->d_name);
	closedir(d);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return buf;
}

START_TEST(fax_to_maildir)
{
	struct fx f;
	struct onramp_fax fr;
	char id[SPOOL_ID_LEN + 1], path[512], *msg;

	fx_open(&f, "");
	fr = fax(&f, "9913170", 1);
	fr.remove_tiff = true;
	ck_assert_int_eq(mail(&f, &fr, id), 0);
	ck_assert(spool_id_valid(id));
	ck_assert_int_eq(access(f.tiff, F_OK), -1);     /* handed over */
	snprintf(path, sizeof(path), "%s/spool/mail/%s/fax.tif", f.dir, id);
	ck_assert_int_eq(access(path, F_OK), 0);        /* durable in the job */
	/* the envelope the queue sends by: the dial-peer's dsn success */
	snprintf(path, sizeof(path), "%s/spool/mail/%s/envelope", f.dir, id);
	msg = slurp(path);
	ck_assert_ptr_nonnull(strstr(msg, "\nrcpt fax-9913170@example.com\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\ndsn 1\nnotify SUCCESS\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\ncall c0ffee\n"));
	free(msg);
	ck_assert_uint_eq(mailq_jobs(f.q), 1);
	fx_run(&f);
	ck_assert_uint_eq(mailq_jobs(f.q), 0);
	snprintf(path, sizeof(path), "%s/Maildir/new", f.dir);
	ck_assert_uint_eq(count_dir(path), 1);
	msg = maildir_message(&f);
	ck_assert_ptr_nonnull(strstr(msg, "\nTo: fax-9913170@example.com\n"));
	ck_assert_ptr_nonnull(strstr(msg, "\nDisposition-Notification-To: fax@gw1.example.com\n"));
	ck_assert_ptr_nonnull(strstr(msg, "image/tiff"));
	free(msg);
	fx_close(&f);   /* the remover is joined here */
}
END_TEST

START_TEST(spool_emptied_after_delivery)
{
	struct fx f;
	struct onramp_fax fr;
	char id[SPOOL_ID_LEN + 1], path[512];

	fx_open(&f, "");
	fr = fax(&f, "9913170", 2);
	ck_assert_int_eq(mail(&f, &fr, id), 0);
	fx_run(&f);
	mailq_free(f.q);
	f.q = mailq_new(f.base, f.sp, path, sizeof(path));
	snprintf(path, sizeof(path), "%s/spool/mail", f.dir);
	ck_assert_uint_eq(count_dir(path), 0);
	ck_assert_int_eq(access(f.tiff, F_OK), 0);      /* not asked to remove it */
	fx_close(&f);
}
END_TEST

START_TEST(policy_refusals)
{
	struct fx f;
	struct onramp_fax fr;
	char id[SPOOL_ID_LEN + 1], path[512];

	fx_open(&f, "mta send success-fax-only\n");
	fr = fax(&f, "9913170", 0);                     /* no page */
	ck_assert_int_eq(mail(&f, &fr, id), 1);
	fr = fax(&f, "9913170", 1);                     /* partial, success only */
	fr.partial = true;
	fr.reason = "hung up";
	ck_assert_int_eq(mail(&f, &fr, id), 1);
	ck_assert_uint_eq(mailq_jobs(f.q), 0);
	snprintf(path, sizeof(path), "%s/spool/mail", f.dir);
	ck_assert_uint_eq(count_dir(path), 0);
	ck_assert_int_eq(access(f.tiff, F_OK), 0);      /* the caller keeps it */
	fx_close(&f);
}
END_TEST

START_TEST(unroutable_goes_to_postmaster)
{
	struct fx f;
	struct onramp_fax fr;
	char id[SPOOL_ID_LEN + 1], *msg;

	fx_open(&f, "");
	fr = fax(&f, "5550100", 1);                     /* no mmoip peer */
	ck_assert_int_eq(mail(&f, &fr, id), 0);
	fx_run(&f);
	msg = maildir_message(&f);
	ck_assert_ptr_nonnull(strstr(msg, "\nTo: postmaster@example.com\n"));
	ck_assert_ptr_null(strstr(msg, "Disposition-Notification-To"));
	free(msg);
	fx_close(&f);
}
END_TEST

Suite *
suite_mailq(void)
{
	Suite *s = suite_create("mailq");
	TCase *tc = tcase_create("mailq");

	tcase_add_loop_test(tc, backoff_doubles_to_the_cap, 0,
	    sizeof(backoff_cases) / sizeof(backoff_cases[0]));
	tcase_add_test(tc, fax_to_maildir);
	tcase_add_test(tc, spool_emptied_after_delivery);
	tcase_add_test(tc, policy_refusals);
	tcase_add_test(tc, unroutable_goes_to_postmaster);
	suite_add_tcase(s, tc);
	return s;
}
