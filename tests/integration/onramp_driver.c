/*
 * onramp_driver: drives the mail queue the way the daemon's mail thread
 * does, for the integration tests: loads a config, opens its spool,
 * resumes every queued job, optionally hands over received faxes through
 * onramp_mail() (what the onramp does off the loop for each fax received)
 * and mailq_add(), and runs the event loop until the queue is empty or the
 * time limit passes.
 *
 *   onramp_driver -c CONF [-w SECONDS] [-t CLIENT_TIMEOUT_MS]
 *                 [-m TIFF_OUT] (make a 2-page Profile S fax and exit)
 *                 [-f TIFF -a ANI -d DNIS -C CSI -p PAGES [-P REASON] [-n COUNT]]
 *
 * Exit: 0 drained, 3 jobs left at the time limit, 1 error, 2 usage.
 * Built by the tests from this file and build/libt37.a.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <tiffio.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/mailq/mailq.h"
#include "gateway/mailq/mailq_test.h"
#include "gateway/onramp/onramp.h"
#include "gateway/spool/spool.h"
#include "smtp/smtp.h"
#include "util/log.h"

struct drv {
	struct event_base *base;
	struct mailq *q;
	int drained;
};

static void
drv_tick(evutil_socket_t fd, short what, void *arg)
{
	struct drv *d = arg;

	(void)fd;
	(void)what;
	if (mailq_jobs(d->q) == 0) {
		d->drained = 1;
		event_base_loopexit(d->base, NULL);
	}
}

/* A 2-page fax as spandsp would write it (T.4 2-D, fine), then rewritten
 * to Profile S by the fax module, as the line side does after a call. */
static int
make_fax(const char *out)
{
	char tmp[1024], err[256];
	unsigned char row[FAX_PAGE_WIDTH / 8];
	struct fax_tiff_info info;
	TIFF *t;
	int p, r;

	snprintf(tmp, sizeof(tmp), "%s.raw", out);
	if ((t = TIFFOpen(tmp, "w")) == NULL)
		return 1;
	for (p = 0; p < 2; p++) {
		TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
		TIFFSetField(t, TIFFTAG_IMAGEWIDTH, FAX_PAGE_WIDTH);
		TIFFSetField(t, TIFFTAG_IMAGELENGTH, 1100);
		TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
		TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
		TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX3);
		TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_2DENCODING);
		TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
		TIFFSetField(t, TIFFTAG_FILLORDER, FILLORDER_LSB2MSB);
		TIFFSetField(t, TIFFTAG_XRESOLUTION, 204.0);
		TIFFSetField(t, TIFFTAG_YRESOLUTION, 196.0);
		TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
		TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 1100);
		TIFFSetField(t, TIFFTAG_PAGENUMBER, p, 2);
		for (r = 0; r < 1100; r++) {
			/* text-like bands of dashes */
			memset(row, 0, sizeof(row));
			if ((r / 12) % 3 == 0 && r % 12 < 8)
				for (size_t k = 10; k < sizeof(row) - 10; k += 3)
					row[k] = (unsigned char)(0x3c ^ (k * (unsigned)(r + p)));
			TIFFWriteScanline(t, row, (uint32_t)r, 0);
		}
		TIFFWriteDirectory(t);
	}
	TIFFClose(t);
	if (fax_tiff_profile_s(tmp, out, &info, err, sizeof(err)) != 0) {
		fprintf(stderr, "make fax: %s\n", err);
		unlink(tmp);
		return 1;
	}
	unlink(tmp);
	printf("pages=%u\n", info.pages);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf = NULL, *tiff = NULL, *ani = "9194724118", *dnis = "9913170";
	const char *csi = "+1 919 472 4118", *partial = NULL;
	unsigned pages = 2, count = 1, wait_s = 60, tmo = 0, i;
	struct config_diag diag;
	struct config *cfg;
	struct spool *sp;
	struct drv d;
	struct event *tick;
	struct timeval tv = { 0, 50 * 1000 }, limit;
	char err[512], id[SPOOL_ID_LEN + 1], callid[32];
	int c, rc;

	while ((c = getopt(argc, argv, "c:w:t:m:f:a:d:C:p:P:n:")) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'w': wait_s = (unsigned)atoi(optarg); break;
		case 't': tmo = (unsigned)atoi(optarg); break;
		case 'm': return make_fax(optarg);
		case 'f': tiff = optarg; break;
		case 'a': ani = optarg; break;
		case 'd': dnis = optarg; break;
		case 'C': csi = optarg; break;
		case 'p': pages = (unsigned)atoi(optarg); break;
		case 'P': partial = optarg; break;
		case 'n': count = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (conf == NULL)
		return 2;
	log_init("onramp_driver", 0, LOG_LVL_INFO);
	config_diag_init(&diag);
	if ((cfg = config_load(conf, &diag)) == NULL) {
		for (i = 0; i < diag.kept; i++)
			fprintf(stderr, "%s\n", config_diag_get(&diag, i));
		return 1;
	}
	config_diag_clear(&diag);
	if ((sp = spool_open(cfg->spool, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	memset(&d, 0, sizeof(d));
	d.base = event_base_new();
	if ((d.q = mailq_new(d.base, sp, err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	mailq_set_config(d.q, cfg);
	if (tmo) {
		struct smtp_client_timeouts t = { tmo, tmo, tmo, tmo, tmo, tmo, tmo, tmo };
		mailq_set_timeouts(d.q, &t);
	}
	if (mailq_start(d.q, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	for (i = 0; tiff != NULL && i < count; i++) {
		struct onramp_fax fr;

		memset(&fr, 0, sizeof(fr));
		snprintf(callid, sizeof(callid), "drv%u-%d", i, (int)getpid());
		fr.call_id = callid;
		fr.tiff_path = tiff;
		fr.ani = ani;
		fr.dnis = dnis;
		fr.remote_csi = csi;
		fr.pages = pages;
		fr.rate = 14400;
		fr.ecm = true;
		fr.duration = 48;
		fr.partial = partial != NULL;
		fr.reason = partial;
		rc = onramp_mail(cfg, sp, &fr, id);
		if (rc < 0 || (rc == 0 && mailq_add(d.q, id) != 0))
			return 1;
	}
	tick = event_new(d.base, -1, EV_PERSIST, drv_tick, &d);
	event_add(tick, &tv);
	limit.tv_sec = wait_s;
	limit.tv_usec = 0;
	event_base_loopexit(d.base, &limit);
	event_base_dispatch(d.base);
	event_free(tick);
	mailq_free(d.q);
	event_base_free(d.base);
	spool_free(sp);
	config_free(cfg);
	return d.drained ? 0 : 3;
}
