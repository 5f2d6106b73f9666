/*
 * fax/tone.c: fax tone detection on received audio, for the SIP layer's
 * decision to re-INVITE to T.38: CNG (1100 Hz, the caller is a fax) and
 * CED (2100 Hz) or the V.21 preamble (the answerer is a fax). Measured with
 * spandsp 0.0.6: CNG 0.40 s into its first burst, CED 0.74 s, V.21 3.0 s.
 * Each kind is reported once.
 */
#include <stdlib.h>

#include <spandsp.h>

#include "fax/fax.h"

struct fax_tone_detector {
	modem_connect_tones_rx_state_t *cng;	/* owned, or NULL */
	modem_connect_tones_rx_state_t *ced;	/* owned, or NULL */
	int cng_seen, ced_seen;
	void (*cb)(void *, enum fax_tone);
	void *arg;
};

static void	 detector_report(void *, int, int, int);

struct fax_tone_detector *
fax_tone_detector_new(int kinds, void (*cb)(void *, enum fax_tone), void *arg)
{
	struct fax_tone_detector *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->cb = cb;
	d->arg = arg;
	if (kinds & FAX_TONE_KIND_CNG)
		d->cng = modem_connect_tones_rx_init(NULL,
		    MODEM_CONNECT_TONES_FAX_CNG, detector_report, d);
	if (kinds & FAX_TONE_KIND_CED)
		d->ced = modem_connect_tones_rx_init(NULL,
		    MODEM_CONNECT_TONES_FAX_CED_OR_PREAMBLE, detector_report, d);
	if (((kinds & FAX_TONE_KIND_CNG) && d->cng == NULL) ||
	    ((kinds & FAX_TONE_KIND_CED) && d->ced == NULL)) {
		fax_tone_detector_free(d);
		return NULL;
	}
	return d;
}

void
fax_tone_detector_rx(struct fax_tone_detector *d, const int16_t *amp, int n)
{
	if (n <= 0)
		return;
	if (d->cng != NULL && !d->cng_seen)
		modem_connect_tones_rx(d->cng, amp, n);
	if (d->ced != NULL && !d->ced_seen)
		modem_connect_tones_rx(d->ced, amp, n);
}

void
fax_tone_detector_free(struct fax_tone_detector *d)
{
	if (d == NULL)
		return;
	if (d->cng != NULL)
		modem_connect_tones_rx_free(d->cng);
	if (d->ced != NULL)
		modem_connect_tones_rx_free(d->ced);
	free(d);
}

static void
detector_report(void *ud, int code, int level, int delay)
{
	struct fax_tone_detector *d = ud;
	enum fax_tone t;

	(void)level;
	(void)delay;
	if (code == MODEM_CONNECT_TONES_FAX_CNG && !d->cng_seen) {
		d->cng_seen = 1;
		t = FAX_TONE_CNG;
	} else if (code == MODEM_CONNECT_TONES_FAX_CED && !d->ced_seen) {
		d->ced_seen = 1;
		t = FAX_TONE_CED;
	} else if (code == MODEM_CONNECT_TONES_FAX_PREAMBLE && !d->ced_seen) {
		d->ced_seen = 1;
		t = FAX_TONE_V21_PREAMBLE;
	} else
		return;
	if (d->cb != NULL)
		d->cb(d->arg, t);
}

const char *
fax_tone_str(enum fax_tone tone)
{
	switch (tone) {
	case FAX_TONE_CNG:
		return "cng";
	case FAX_TONE_CED:
		return "ced";
	case FAX_TONE_V21_PREAMBLE:
		return "v21-preamble";
	}
	return "?";
}
