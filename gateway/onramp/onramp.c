/*
 * gateway/onramp/onramp: a received fax becomes a mail job (onramp_mail(),
 * see onramp.h): dial-peer match on the called number, the session target
 * expanded, the message built by mime/onramp from the config's `mta send`
 * settings (the fax as TIFF, PDF or both, an optional preview of page 1,
 * the pages rewritten at the dial-peer's `image resolution`), and fax.tif
 * + message + envelope committed as one spool job before the log line says
 * "queued". Blocking from start to end: it runs on a pool thread.
 *
 * Not here: the calls and their incoming jobs (calls.c), receiving the
 * fax (sip/, fax/), delivery (gateway/mailq).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "fax/fax.h"
#include "gateway/mailq/mailq.h"
#include "gateway/onramp/onramp.h"
#include "gateway/spool/spool.h"
#include "mime/mime.h"
#include "util/log.h"

#define ONRAMP_COPY_CHUNK (64 * 1024)

static int onramp_take_tiff(struct spool_job *job, const char *src);
static void onramp_addr(const struct config *cfg, const struct config_mail_addr *a,
    const char *ani, char *out, size_t size);
static bool onramp_from_is_default(const struct config *cfg);
static void onramp_resolution(const char *call, const char *tiff,
    enum config_image_resolution res, unsigned pages);
static void onramp_extras(const struct config *cfg, const struct onramp_fax *fr,
    const char *tiff, const char *call, struct mime_onramp_info *mi,
    unsigned char **pdf, unsigned char **png);

/* Hard-links the received TIFF into the job (same file system: the
 * spool), or copies it. */
static int
onramp_take_tiff(struct spool_job *job, const char *src)
{
	char dst[1024], buf[ONRAMP_COPY_CHUNK];
	ssize_t n;
	int in, out;

	snprintf(dst, sizeof(dst), "%s/%s", spool_job_dir(job), ONRAMP_FILE_FAX);
	if (link(src, dst) == 0)
		return 0;
	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = spool_job_fd(job, ONRAMP_FILE_FAX)) < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (spool_job_write(job, ONRAMP_FILE_FAX, buf, (size_t)n) != 0) {
			n = -1;
			break;
		}
	}
	close(in);
	return n < 0 ? -1 : 0;
}

/* An address from `mta send mail-from` / `return-receipt-to` parts. */
static void
onramp_addr(const struct config *cfg, const struct config_mail_addr *a,
    const char *ani, char *out, size_t size)
{
	const char *user = a->use_ani ? (ani && *ani ? ani : "anonymous") : a->username;
	const char *host = a->hostname[0] ? a->hostname : cfg->hostname;

	snprintf(out, size, "%s@%s", user[0] ? user : CONFIG_DEFAULT_MAIL_USER, host);
}

/* The header From: is Cisco's fax form unless mail-from was changed. */
static bool
onramp_from_is_default(const struct config *cfg)
{
	const struct config_mail_addr *a = &cfg->mta_send.mail_from;

	return !a->use_ani && strcmp(a->username, CONFIG_DEFAULT_MAIL_USER) == 0 &&
	    (a->hostname[0] == '\0' || strcmp(a->hostname, cfg->hostname) == 0);
}

/*
 * `image resolution standard|fine` on the mmoip peer: the pages are
 * rewritten at that vertical resolution (rows doubled or merged, the page
 * keeping its size), still RFC 3949 Profile S. When that fails the pages
 * are mailed as they were received: a fax is never lost to a conversion.
 */
static void
onramp_resolution(const char *call, const char *tiff, enum config_image_resolution res,
    unsigned pages)
{
	struct fax_tiff_limits lim;
	struct fax_tiff_info info;
	const char *in[1] = { tiff };
	char tmp[1200], err[256];

	memset(&lim, 0, sizeof(lim));
	lim.max_pages = pages < FAX_TIFF_MAX_PAGES_DEFAULT ? 0 : pages + 1;
	lim.resolution = res == CONFIG_RES_FINE ? FAX_TIFF_RES_FINE : FAX_TIFF_RES_STANDARD;
	if (snprintf(tmp, sizeof(tmp), "%s.res", tiff) >= (int)sizeof(tmp))
		return;
	if (fax_tiff_normalize(in, 1, tmp, &lim, NULL, err, sizeof(err)) != 0 ||
	    fax_tiff_profile_s(tmp, tiff, &info, err, sizeof(err)) != 0)
		log_warnx("call=%s dir=onramp event=image-resolution result=failed "
		    "reason=\"%s\" mailed=as-received", call, err);
	unlink(tmp);
}

/*
 * The PDF and the preview the config asks for, made from the spooled
 * TIFF into *pdf and *png (caller frees both). Neither may cost the fax:
 * when the PDF cannot be made the mail carries the TIFF, when the preview
 * cannot, the mail has none; the log says so.
 */
static void
onramp_extras(const struct config *cfg, const struct onramp_fax *fr,
    const char *tiff, const char *call, struct mime_onramp_info *mi,
    unsigned char **pdf, unsigned char **png)
{
	char err[MIME_ONRAMP_ERR_MAX], esc[LOG_ESC_BUFSZ], num[64];
	char title[2 * MIME_ONRAMP_FIELD_MAX], author[2 * MIME_ONRAMP_FIELD_MAX];
	char subject[2 * MIME_ONRAMP_FIELD_MAX];
	const char *who;
	size_t len;

	*pdf = *png = NULL;
	mi->attach = MIME_ONRAMP_ATTACH_TIFF;
	if (cfg->mta_send.attachment != CONFIG_ATTACH_TIFF) {
		struct fax_pdf_meta meta = { title, author, subject, mi->received };

		who = fr->ani && *fr->ani ? mime_number_pretty(fr->ani, num, sizeof(num))
		    : "an unknown number";
		snprintf(title, sizeof(title), "Fax from %s", who);
		snprintf(author, sizeof(author), "%s%s%s%s", who,
		    fr->remote_csi && *fr->remote_csi ? " (CSI " : "",
		    fr->remote_csi && *fr->remote_csi ? fr->remote_csi : "",
		    fr->remote_csi && *fr->remote_csi ? ")" : "");
		snprintf(subject, sizeof(subject), "Fax to %s, %u page%s",
		    fr->dnis && *fr->dnis ? fr->dnis : "an unknown number", fr->pages,
		    fr->pages == 1 ? "" : "s");
		if (fax_tiff_to_pdf(tiff, &meta, pdf, &len, err, sizeof(err)) == 0) {
			mi->attach = cfg->mta_send.attachment == CONFIG_ATTACH_PDF ?
			    MIME_ONRAMP_ATTACH_PDF : MIME_ONRAMP_ATTACH_BOTH;
			mi->pdf = *pdf;
			mi->pdf_len = len;
		} else {
			log_warnx("call=%s dir=onramp pdf=failed error=%s; the mail "
			    "carries the TIFF", call, log_str(esc, sizeof(esc), err));
		}
	}
	if (cfg->mta_send.preview) {
		if (fax_tiff_preview_png(tiff, FAX_PREVIEW_WIDTH, png, &len, err,
		    sizeof(err)) == 0) {
			mi->preview_png = *png;
			mi->preview_len = len;
		} else {
			log_warnx("call=%s dir=onramp preview=failed error=%s", call,
			    log_str(esc, sizeof(esc), err));
		}
	}
}

int
onramp_mail(const struct config *cfg, struct spool *sp, const struct onramp_fax *fr,
    char id[SPOOL_ID_LEN + 1])
{
	const struct config_dial_peer *peer;
	struct mailq_envelope env;
	struct mime_onramp_info mi;
	struct spool_job *job;
	char rcpt[MAILQ_ADDR_MAX], from[2 * CONFIG_STR_MAX + 2], dnt[2 * CONFIG_STR_MAX + 2];
	char tiff[1100], err[MIME_ONRAMP_ERR_MAX], call[LOG_ESC_BUFSZ];
	char ani[LOG_ESC_BUFSZ], dnis[LOG_ESC_BUFSZ], desc[LOG_ESC_BUFSZ];
	unsigned char *pdf = NULL, *png = NULL;
	long size;
	int fd;

	id[0] = '\0';
	log_str(call, sizeof(call), fr->call_id);
	log_str(ani, sizeof(ani), fr->ani);
	log_str(dnis, sizeof(dnis), fr->dnis);
	if (cfg == NULL || fr->call_id == NULL || fr->tiff_path == NULL) {
		log_warnx("call=%s dir=onramp result=error reason=\"no config or no fax file\"", call);
		return -1;
	}
	if (fr->pages == 0) {
		log_info("call=%s dir=onramp ani=%s dnis=%s result=not-mailed "
		    "reason=\"no page was received\"", call, ani, dnis);
		return 1;
	}
	if (fr->partial && cfg->mta_send.success_fax_only) {
		log_info("call=%s dir=onramp ani=%s dnis=%s pages=%u result=not-mailed "
		    "reason=\"partial fax and mta send success-fax-only\"",
		    call, ani, dnis, fr->pages);
		return 1;
	}
	peer = fr->dnis ? config_match_peer(cfg, CONFIG_PEER_MMOIP,
	    CONFIG_MATCH_DESTINATION, fr->dnis) : NULL;
	if (peer == NULL || peer->target_kind != CONFIG_TARGET_MAILTO ||
	    config_expand_target(peer->target, fr->dnis, fr->ani, fr->rdnis,
	    rcpt, sizeof(rcpt)) <= 0 || strchr(rcpt, '@') == NULL) {
		/* Received but unroutable (a reload between answer and now):
		 * never drop it, give it to the postmaster. */
		log_warnx("call=%s dir=onramp dnis=%s no mmoip dial-peer with a "
		    "mailto target; mailing the postmaster", call, dnis);
		snprintf(rcpt, sizeof(rcpt), "%s", cfg->mta_send.postmaster);
		peer = NULL;
	}
	onramp_addr(cfg, &cfg->mta_send.mail_from, fr->ani, from, sizeof(from));
	if (strlen(from) >= MAILQ_ADDR_MAX) {
		log_warnx("call=%s dir=onramp result=error mail-from address too long", call);
		return -1;
	}
	if (cfg->mta_send.return_receipt)
		onramp_addr(cfg, &cfg->mta_send.return_receipt_to, fr->ani, dnt, sizeof(dnt));
	else
		snprintf(dnt, sizeof(dnt), "%s", from);   /* RFC 2532 2.1.2 */

	if ((job = spool_job_new(sp, SPOOL_Q_MAIL, id)) == NULL) {
		log_warn("call=%s dir=onramp result=error cannot create a spool job", call);
		return -1;
	}
	if (onramp_take_tiff(job, fr->tiff_path) != 0) {
		log_warn("call=%s dir=onramp result=error cannot take %s", call, fr->tiff_path);
		spool_job_abort(job);
		return -1;
	}
	snprintf(tiff, sizeof(tiff), "%s/%s", spool_job_dir(job), ONRAMP_FILE_FAX);
	if (peer != NULL && peer->encoding != CONFIG_ENC_PASSTHROUGH &&
	    (peer->resolution == CONFIG_RES_STANDARD || peer->resolution == CONFIG_RES_FINE))
		onramp_resolution(call, tiff, peer->resolution, fr->pages);

	memset(&mi, 0, sizeof(mi));
	mi.hostname = cfg->hostname;
	mi.call_id = fr->call_id;
	mi.job_id = id;
	mi.ani = fr->ani;
	mi.dnis = fr->dnis;
	mi.rdnis = fr->rdnis;
	mi.remote_csi = fr->remote_csi;
	mi.pages = fr->pages;
	mi.rate = fr->rate;
	mi.ecm = fr->ecm;
	mi.duration = fr->duration;
	mi.result = fr->partial ? MIME_ONRAMP_PARTIAL : MIME_ONRAMP_OK;
	mi.reason = fr->reason;
	mi.received = fr->ended ? fr->ended : time(NULL);
	mi.to = rcpt;
	mi.from = onramp_from_is_default(cfg) ? NULL : from;
	mi.subject = cfg->mta_send.subject[0] ? cfg->mta_send.subject : NULL;
	mi.with_subject = (enum mime_with_subject)cfg->mta_send.with_subject;
	mi.filename = cfg->mta_send.filename[0] ? cfg->mta_send.filename : NULL;
	mi.filename_date = cfg->mta_send.filename_date;
	mi.mode = cfg->mta_send.mime == CONFIG_MIME_FAX_MESSAGE
	    ? MIME_ONRAMP_FAX_MESSAGE : MIME_ONRAMP_MIXED;
	mi.return_receipt_to = peer && peer->mdn ? dnt : NULL;
	mi.origin_prefix = cfg->mta_send.origin_prefix[0] ? cfg->mta_send.origin_prefix : NULL;
	mi.tiff_path = tiff;
	onramp_extras(cfg, fr, tiff, call, &mi, &pdf, &png);
	if ((fd = spool_job_fd(job, MAILQ_FILE_MESSAGE)) < 0 ||
	    (size = mime_onramp_write(&mi, fd, err, sizeof(err))) < 0) {
		log_warnx("call=%s dir=onramp result=error cannot build the message: %s",
		    call, fd < 0 ? strerror(errno) : err);
		free(pdf);
		free(png);
		spool_job_abort(job);
		return -1;
	}
	free(pdf);
	free(png);

	memset(&env, 0, sizeof(env));
	env.from = from;
	env.rcpt = rcpt;
	env.dsn = peer != NULL && peer->dsn != 0;
	env.notify = peer != NULL ? peer->dsn : 0;
	env.ref = fr->call_id;
	if (mailq_envelope_write(job, &env) != 0) {
		log_warn("call=%s dir=onramp result=error cannot write the envelope", call);
		spool_job_abort(job);
		return -1;
	}
	if (spool_job_commit(job) != 0) {
		log_warn("call=%s dir=onramp result=error cannot commit job %s", call, id);
		return -1;
	}
	/* Durable from here: the caller's copy is no longer needed. */
	if (fr->remove_tiff && unlink(fr->tiff_path) != 0)
		log_warn("call=%s cannot remove %s", call, fr->tiff_path);
	log_info("call=%s dir=onramp ani=%s dnis=%s peer=%u desc=%s pages=%u job=%s "
	    "to=<%s> size=%ld%s%s result=queued", call, ani, dnis, peer ? peer->tag : 0,
	    log_str(desc, sizeof(desc), peer ? peer->description : ""), fr->pages, id, rcpt,
	    size,
	    mi.attach == MIME_ONRAMP_ATTACH_PDF ? " attach=pdf" :
	    mi.attach == MIME_ONRAMP_ATTACH_BOTH ? " attach=both" : "",
	    mi.preview_png != NULL ? " preview=1" : "");
	return 0;
}
