/*
 * fax/session.c: one T.30 fax session on spandsp 0.0.6, in audio mode
 * (fax_state_t) or T.38 mode (t38_terminal_state_t), with the watchdog, the
 * audio -> T.38 switch-over and the result rules.
 *
 * It does no I/O and keeps no clock of its own: time is the number of
 * samples the caller reports through fax_session_tick(). spandsp's T.30
 * timers advance only when fed (fax_rx/fax_rx_fillin in audio mode,
 * t38_terminal_send_timeout in T.38 mode), so a caller that stops feeding a
 * silent peer would hang the call; the watchdog here ends it regardless.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <spandsp.h>

#include "fax/fax.h"
#include "fax/fax_int.h"
#include "util/log.h"

/* The watchdog looks at spandsp's statistics this often (samples). */
#define FAX_PROGRESS_POLL_SAMPLES	FAX_SAMPLE_RATE
/* A block whose peak is above this carries a signal (about -46 dBm0). */
#define FAX_SIGNAL_PEAK			160
#define FAX_T38_MAX_DATAGRAM_DEFAULT	400
#define FAX_T38_MAX_DATAGRAM_MIN	100
#define FAX_T38_MAX_DATAGRAM_MAX	1500

/* One state machine per session: the phase of the call. */
enum fax_session_state {
	FAX_S_PHASE_A,			/* started, no DCS yet */
	FAX_S_PHASE_B,			/* negotiated */
	FAX_S_PAGES,			/* at least one page done */
	FAX_S_DONE			/* result final */
};

struct fax_session {
	enum fax_session_state state;
	struct fax_session_options opts;	/* strings below are owned */
	char *ident;
	char *page_header;
	char *tx_tiff;
	char *rx_tiff;
	int rx_fd;			/* owned: the memory file (rx_memory) */
	struct fax_session_callbacks cb;
	void *arg;

	enum fax_media media;
	fax_state_t *fax;		/* owned, audio mode */
	t38_terminal_state_t *t38;	/* owned, T.38 mode */
	t30_state_t *t30;		/* belongs to fax or t38 */
	struct fax_tone_detector *tones;	/* owned, optional */

	enum fax_phase phase;		/* T.30 phase, from the frames */
	int last_pmc;			/* FCF of the last post-message command */
	int tx_signal;			/* the last audio block out had a signal */
	uint64_t clock;			/* samples since start */
	uint64_t last_progress;		/* clock at the last progress */
	uint64_t next_poll;
	int timed_out;			/* the watchdog ended the call */
	char timeout_text[FAX_COMPLETION_TEXT_MAX];
	struct {
		int pages_tx, pages_rx, image_size, length;
	} seen;				/* statistics at the last poll */
	struct fax_result result;
};

static const char *state_name(enum fax_session_state);
static void	 enter_state(struct fax_session *, enum fax_session_state);
static int	 start_t30(struct fax_session *, char *, size_t);
static void	 configure_t30(struct fax_session *);
static void	 configure_t38(struct fax_session *,
		    const struct fax_t38_options *);
static int	 phase_b_handler(t30_state_t *, void *, int);
static int	 phase_d_handler(t30_state_t *, void *, int);
static void	 phase_e_handler(t30_state_t *, void *, int);
static void	 frame_handler(t30_state_t *, void *, int, const uint8_t *,
		    int);
static void	 track_phase(struct fax_session *, const uint8_t *, int);
static int	 t38_tx_handler(t38_core_state_t *, void *, const uint8_t *,
		    int, int);
static void	 tone_handler(void *, enum fax_tone);
static void	 finish(struct fax_session *, int);
static void	 progress(struct fax_session *);
static int	 has_signal(const int16_t *, int);
static void	 poll_progress(struct fax_session *);
static void	 watchdog(struct fax_session *);
static void	 stop_engine(struct fax_session *);
static int	 ppm_to_dpi(int);
static void	 quote(const char *, char *, size_t);
static char	*dup_opt(const char *, int *);

/* ---------------------------------------------------------- options */

void
fax_session_options_init(struct fax_session_options *o)
{
	memset(o, 0, sizeof(*o));
	o->calling_party = 0;
	o->media = FAX_MEDIA_AUDIO;
	o->ecm = 1;
	o->modems = FAX_MODEM_ALL;
	o->resolutions = FAX_RES_STANDARD | FAX_RES_FINE | FAX_RES_SUPERFINE;
	o->widths = FAX_WIDTH_A4 | FAX_WIDTH_B4 | FAX_WIDTH_A3;
	o->profile_s = 1;
	o->idle_timeout_ms = FAX_IDLE_TIMEOUT_DEFAULT_MS;
	o->max_duration_ms = FAX_MAX_DURATION_DEFAULT_MS;
	o->t38.max_datagram = FAX_T38_MAX_DATAGRAM_DEFAULT;
	o->t38.rate_management = FAX_T38_LOCAL_TCF;
	o->t38.max_rate = 14400;
}

static char *
dup_opt(const char *s, int *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		*fail = 1;
	return d;
}

/* --------------------------------------------------------- life cycle */

struct fax_session *
fax_session_new(const struct fax_session_options *opts,
    const struct fax_session_callbacks *cb, void *arg, char *err,
    size_t errlen)
{
	struct fax_session *s;
	char perr[160];
	int fail = 0;

	if ((opts->tx_tiff == NULL) == (opts->rx_tiff == NULL && !opts->rx_memory) ||
	    (opts->rx_memory && opts->rx_tiff != NULL)) {
		snprintf(err, errlen, "a session sends a file or receives one");
		return NULL;
	}
	if (opts->rx_memory && opts->profile_s) {
		snprintf(err, errlen, "a session receiving into memory leaves Profile S "
		    "to its caller");
		return NULL;
	}
	if (opts->ident != NULL && strlen(opts->ident) > FAX_IDENT_MAX) {
		snprintf(err, errlen, "ident longer than %d characters",
		    FAX_IDENT_MAX);
		return NULL;
	}
	if (opts->page_header != NULL &&
	    strlen(opts->page_header) > FAX_PAGE_HEADER_MAX) {
		snprintf(err, errlen, "page header longer than %d characters",
		    FAX_PAGE_HEADER_MAX);
		return NULL;
	}
	if (opts->max_speed != 0 &&
	    (opts->max_speed < 2400 || opts->max_speed > 14400)) {
		snprintf(err, errlen, "max speed %d outside 2400..14400",
		    opts->max_speed);
		return NULL;
	}
	if (opts->media == FAX_MEDIA_T38 && (cb == NULL || cb->t38_tx == NULL)) {
		snprintf(err, errlen, "T.38 mode needs a packet callback");
		return NULL;
	}
	/* spandsp would only find out in phase B, and report OK (notes,
	 * pitfall 1): check the file to send now. */
	if (opts->tx_tiff != NULL &&
	    fax_tiff_count_pages(opts->tx_tiff, perr, sizeof(perr)) <= 0) {
		snprintf(err, errlen, "file to send: %s", perr);
		return NULL;
	}
	if (opts->rx_tiff != NULL && fax_rx_dir_writable(opts->rx_tiff, perr,
	    sizeof(perr)) < 0) {
		snprintf(err, errlen, "file to receive: %s", perr);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->rx_fd = -1;
	s->opts = *opts;
	if (opts->rx_memory && (s->rx_fd = fax_rx_memory_open(&s->rx_tiff, err,
	    errlen)) < 0) {
		free(s);
		return NULL;
	}
	s->ident = dup_opt(opts->ident, &fail);
	s->page_header = dup_opt(opts->page_header, &fail);
	s->tx_tiff = dup_opt(opts->tx_tiff, &fail);
	if (!opts->rx_memory)
		s->rx_tiff = dup_opt(opts->rx_tiff, &fail);
	s->opts.ident = s->ident;
	s->opts.page_header = s->page_header;
	s->opts.tx_tiff = s->tx_tiff;
	s->opts.rx_tiff = s->rx_tiff;
	if (s->opts.modems == 0)
		s->opts.modems = FAX_MODEM_ALL;
	if (s->opts.resolutions == 0)
		s->opts.resolutions = FAX_RES_STANDARD | FAX_RES_FINE |
		    FAX_RES_SUPERFINE;
	if (s->opts.widths == 0)
		s->opts.widths = FAX_WIDTH_A4 | FAX_WIDTH_B4 | FAX_WIDTH_A3;
	if (s->opts.idle_timeout_ms == 0)
		s->opts.idle_timeout_ms = FAX_IDLE_TIMEOUT_DEFAULT_MS;
	if (s->opts.max_duration_ms == 0)
		s->opts.max_duration_ms = FAX_MAX_DURATION_DEFAULT_MS;
	if (cb != NULL)
		s->cb = *cb;
	s->arg = arg;
	s->media = opts->media;
	s->state = FAX_S_PHASE_A;
	s->result.status = FAX_STATUS_RUNNING;
	s->result.calling_party = opts->calling_party;
	s->result.sending = opts->tx_tiff != NULL;
	s->result.pages_in_file = -1;
	if (fail || start_t30(s, err, errlen) < 0) {
		if (fail)
			snprintf(err, errlen, "out of memory");
		fax_session_free(s);
		return NULL;
	}
	if (s->media == FAX_MEDIA_AUDIO && s->cb.tone_kinds != 0 &&
	    (s->tones = fax_tone_detector_new(s->cb.tone_kinds, tone_handler,
	    s)) == NULL) {
		snprintf(err, errlen, "cannot start the tone detector");
		fax_session_free(s);
		return NULL;
	}
	return s;
}

/* Creates the spandsp engine for the current media and configures T.30. */
static int
start_t30(struct fax_session *s, char *err, size_t errlen)
{
	if (s->media == FAX_MEDIA_AUDIO) {
		if ((s->fax = fax_init(NULL, s->opts.calling_party)) == NULL) {
			snprintf(err, errlen, "cannot start the fax modem");
			return -1;
		}
		/* Always fill the 20 ms block: RTP wants a steady stream. */
		fax_set_transmit_on_idle(s->fax, 1);
		s->t30 = fax_get_t30_state(s->fax);
	} else {
		s->t38 = t38_terminal_init(NULL, s->opts.calling_party,
		    t38_tx_handler, s);
		if (s->t38 == NULL) {
			snprintf(err, errlen, "cannot start the T.38 terminal");
			return -1;
		}
		s->t30 = t38_terminal_get_t30_state(s->t38);
		configure_t38(s, &s->opts.t38);
	}
	configure_t30(s);
	return 0;
}

static void
configure_t30(struct fax_session *s)
{
	t30_state_t *t = s->t30;
	int modems = s->opts.modems, comp, sizes = 0, res = 0;
	int cap = s->opts.max_speed;

	/* spandsp 0.0.6 has no rate cap (the T.38 terminal ignores its
	 * fastest-rate setting too): drop the modems above the cap. */
	if (s->media == FAX_MEDIA_T38 && s->opts.t38.max_rate > 0 &&
	    (cap == 0 || s->opts.t38.max_rate < cap))
		cap = s->opts.t38.max_rate;
	if (cap != 0 && cap < 12000)
		modems &= ~FAX_MODEM_V17;
	if (cap != 0 && cap < 7200)
		modems &= ~FAX_MODEM_V29;
	if (modems == 0)
		modems = FAX_MODEM_V27TER;
	t30_set_supported_modems(t, modems);
	t30_set_ecm_capability(t, s->opts.ecm != 0);
	comp = T30_SUPPORT_T4_1D_COMPRESSION | T30_SUPPORT_T4_2D_COMPRESSION;
	if (s->opts.ecm)		/* T.6 exists only with ECM */
		comp |= T30_SUPPORT_T6_COMPRESSION;
	t30_set_supported_compressions(t, comp);
	if (s->opts.resolutions & FAX_RES_STANDARD)
		res |= T30_SUPPORT_STANDARD_RESOLUTION;
	if (s->opts.resolutions & FAX_RES_FINE)
		res |= T30_SUPPORT_FINE_RESOLUTION;
	if (s->opts.resolutions & FAX_RES_SUPERFINE)
		res |= T30_SUPPORT_SUPERFINE_RESOLUTION;
	t30_set_supported_resolutions(t, res);
	if (s->opts.widths & FAX_WIDTH_A4)
		sizes |= T30_SUPPORT_215MM_WIDTH;
	if (s->opts.widths & FAX_WIDTH_B4)
		sizes |= T30_SUPPORT_255MM_WIDTH;
	if (s->opts.widths & FAX_WIDTH_A3)
		sizes |= T30_SUPPORT_303MM_WIDTH;
	sizes |= T30_SUPPORT_UNLIMITED_LENGTH | T30_SUPPORT_A4_LENGTH |
	    T30_SUPPORT_B4_LENGTH | T30_SUPPORT_US_LETTER_LENGTH |
	    T30_SUPPORT_US_LEGAL_LENGTH;
	t30_set_supported_image_sizes(t, sizes);
	if (s->ident != NULL)
		t30_set_tx_ident(t, s->ident);
	if (s->page_header != NULL)
		t30_set_tx_page_header_info(t, s->page_header);
	if (s->tx_tiff != NULL)
		t30_set_tx_file(t, s->tx_tiff, -1, -1);
	if (s->rx_tiff != NULL) {
		t30_set_rx_file(t, s->rx_tiff, -1);
		if (s->opts.profile_s || s->opts.rx_mh) /* MH: the rewrite is cheap */
			t30_set_rx_encoding(t, T4_COMPRESSION_ITU_T4_1D);
	}
	t30_set_phase_b_handler(t, phase_b_handler, s);
	t30_set_phase_d_handler(t, phase_d_handler, s);
	t30_set_phase_e_handler(t, phase_e_handler, s);
	t30_set_real_time_frame_handler(t, frame_handler, s);
}

static void
configure_t38(struct fax_session *s, const struct fax_t38_options *o)
{
	t38_core_state_t *c = t38_terminal_get_t38_core_state(s->t38);
	int dg = o->max_datagram, rate = o->max_rate;

	if (dg == 0)
		dg = FAX_T38_MAX_DATAGRAM_DEFAULT;
	if (dg < FAX_T38_MAX_DATAGRAM_MIN)
		dg = FAX_T38_MAX_DATAGRAM_MIN;
	if (dg > FAX_T38_MAX_DATAGRAM_MAX)
		dg = FAX_T38_MAX_DATAGRAM_MAX;
	t38_set_max_datagram_size(c, dg);
	/* The enum values, not the header's comment (see spandsp notes). */
	t38_set_data_rate_management_method(c,
	    o->rate_management == FAX_T38_TRANSFERRED_TCF ?
	    T38_DATA_RATE_MANAGEMENT_TRANSFERRED_TCF :
	    T38_DATA_RATE_MANAGEMENT_LOCAL_TCF);
	if (rate == 0 || rate > 14400)
		rate = 14400;
	if (s->opts.max_speed != 0 && s->opts.max_speed < rate)
		rate = s->opts.max_speed;
	t38_set_fastest_image_data_rate(c, rate);
	t38_set_t38_version(c, o->version);
	t38_set_fill_bit_removal(c, o->fill_bit_removal != 0);
}

/* Releases the spandsp engine (closes its TIFF files) without a result. */
static void
stop_engine(struct fax_session *s)
{
	if (s->fax != NULL) {
		t30_set_phase_e_handler(s->t30, NULL, NULL);
		fax_free(s->fax);
		s->fax = NULL;
	}
	if (s->t38 != NULL) {
		t30_set_phase_e_handler(s->t30, NULL, NULL);
		t38_terminal_free(s->t38);
		s->t38 = NULL;
	}
	s->t30 = NULL;
}

void
fax_session_free(struct fax_session *s)
{
	if (s == NULL)
		return;
	if (s->t30 != NULL && s->state != FAX_S_DONE) {
		t30_set_phase_e_handler(s->t30, NULL, NULL);
		t30_terminate(s->t30);
	}
	stop_engine(s);
	fax_tone_detector_free(s->tones);
	free(s->ident);
	free(s->page_header);
	free(s->tx_tiff);
	free(s->rx_tiff);
	if (s->rx_fd >= 0)
		close(s->rx_fd);
	free(s);
}

int
fax_session_rx_fd(const struct fax_session *s)
{
	return s->rx_fd;
}

/* ------------------------------------------------------ state machine */

static const char *
state_name(enum fax_session_state st)
{
	switch (st) {
	case FAX_S_PHASE_A:
		return "phase-a";
	case FAX_S_PHASE_B:
		return "phase-b";
	case FAX_S_PAGES:
		return "pages";
	case FAX_S_DONE:
		return "done";
	}
	return "?";
}

static void
enter_state(struct fax_session *s, enum fax_session_state st)
{
	if (s->state == st)
		return;
	log_debug("fax state=%s->%s media=%s", state_name(s->state),
	    state_name(st), s->media == FAX_MEDIA_T38 ? "t38" : "audio");
	s->state = st;
}

/* ------------------------------------------------------- media in/out */

int
fax_session_rx_audio(struct fax_session *s, const int16_t *amp, int n)
{
	if (s->media != FAX_MEDIA_AUDIO || s->fax == NULL || n <= 0)
		return -1;
	if (s->tones != NULL)
		fax_tone_detector_rx(s->tones, amp, n);
	/* A signal from the peer is progress (non-ECM pages carry no HDLC
	 * frames for minutes). */
	if (s->last_progress != s->clock && has_signal(amp, n))
		progress(s);
	/* fax_rx() does not write to amp; its prototype lacks the const. */
	fax_rx(s->fax, (int16_t *)(uintptr_t)amp, n);
	return 0;
}

int
fax_session_rx_lost(struct fax_session *s, int n)
{
	if (s->media != FAX_MEDIA_AUDIO || s->fax == NULL || n <= 0)
		return -1;
	fax_rx_fillin(s->fax, n);
	return 0;
}

int
fax_session_tx_audio(struct fax_session *s, int16_t *amp, int n)
{
	int got;

	if (s->media != FAX_MEDIA_AUDIO || n <= 0)
		return 0;
	got = s->fax != NULL ? fax_tx(s->fax, amp, n) : 0;
	if (got < 0)
		got = 0;
	if (got < n)
		memset(amp + got, 0, (size_t)(n - got) * sizeof(*amp));
	s->tx_signal = has_signal(amp, n);
	/* Once the peer has shown itself (phase B), our own page going out
	 * is progress too: the receiver is silent while it listens. */
	if (s->state != FAX_S_PHASE_A && s->last_progress != s->clock &&
	    s->tx_signal)
		progress(s);
	return n;
}

int
fax_session_tx_signal(const struct fax_session *s)
{
	return s->media == FAX_MEDIA_AUDIO && s->tx_signal;
}

int
fax_session_rx_ifp(struct fax_session *s, const uint8_t *buf, int len,
    uint16_t seq)
{
	if (s->media != FAX_MEDIA_T38 || s->t38 == NULL || len <= 0)
		return -1;
	progress(s);
	t38_core_rx_ifp_packet(t38_terminal_get_t38_core_state(s->t38), buf,
	    len, seq);
	return 0;
}

void
fax_session_tick(struct fax_session *s, int samples)
{
	if (samples <= 0)
		return;
	/* After the result the terminal still runs until the caller hangs
	 * up: the final DCN may still be on its way out. */
	if (s->t38 != NULL)
		t38_terminal_send_timeout(s->t38, samples);
	if (s->state == FAX_S_DONE)
		return;
	s->clock += (uint64_t)samples;
	watchdog(s);
}

int
fax_session_switch_to_t38(struct fax_session *s,
    const struct fax_t38_options *t38)
{
	char err[FAX_COMPLETION_TEXT_MAX];

	if (s->media != FAX_MEDIA_AUDIO || s->state == FAX_S_DONE)
		return -1;
	/* A fresh terminal would start the document over and overwrite the
	 * pages already received: end with what arrived instead. */
	if (s->state == FAX_S_PAGES) {
		snprintf(s->timeout_text, sizeof(s->timeout_text),
		    "switched to T.38 after a page");
		fax_session_terminate(s);
		return -1;
	}
	/* spandsp: clear phase E, terminate the audio T.30, start a fresh
	 * terminal; T.30 starts over from phase A. */
	stop_engine(s);
	fax_tone_detector_free(s->tones);
	s->tones = NULL;
	if (t38 != NULL)
		s->opts.t38 = *t38;
	s->media = FAX_MEDIA_T38;
	s->result.switched_to_t38 = 1;
	/* The new terminal negotiates again; frames heard so far still
	 * count: the far end did speak T.30. */
	s->result.negotiated = 0;
	s->phase = FAX_PHASE_A;
	s->tx_signal = 0;
	enter_state(s, FAX_S_PHASE_A);
	progress(s);
	if (s->cb.t38_tx == NULL || start_t30(s, err, sizeof(err)) < 0) {
		snprintf(s->timeout_text, sizeof(s->timeout_text), "%s",
		    s->cb.t38_tx == NULL ? "no T.38 packet callback" : err);
		finish(s, T30_ERR_CALLDROPPED);
		return -1;
	}
	return 0;
}

void
fax_session_terminate(struct fax_session *s)
{
	if (s->state == FAX_S_DONE)
		return;
	if (s->t30 != NULL)
		t30_terminate(s->t30);	/* fires phase E -> finish() */
	if (s->state != FAX_S_DONE)
		finish(s, T30_ERR_CALLDROPPED);
}

int
fax_session_is_done(const struct fax_session *s)
{
	return s->state == FAX_S_DONE;
}

enum fax_media
fax_session_media(const struct fax_session *s)
{
	return s->media;
}

const struct fax_result *
fax_session_result(const struct fax_session *s)
{
	return &s->result;
}

enum fax_phase
fax_session_phase(const struct fax_session *s)
{
	return s->phase;
}

/* ------------------------------------------------------ spandsp events */

static int
ppm_to_dpi(int ppm)
{
	return (int)((ppm * 254 + 5000) / 10000);
}

static int
phase_b_handler(t30_state_t *t, void *ud, int result)
{
	struct fax_session *s = ud;
	struct fax_phase_b_info info;
	t30_stats_t st;
	const char *id;

	(void)result;
	enter_state(s, FAX_S_PHASE_B);
	progress(s);
	t30_get_transfer_statistics(t, &st);
	id = t30_get_rx_ident(t);
	snprintf(s->result.remote_ident, sizeof(s->result.remote_ident), "%s",
	    id != NULL ? id : "");
	s->result.bit_rate = st.bit_rate;
	s->result.ecm = st.error_correcting_mode;
	if (s->cb.phase_b != NULL) {
		memset(&info, 0, sizeof(info));
		info.remote_ident = s->result.remote_ident;
		info.bit_rate = st.bit_rate;
		info.ecm = st.error_correcting_mode;
		s->cb.phase_b(s->arg, &info);
	}
	return T30_ERR_OK;
}

static int
phase_d_handler(t30_state_t *t, void *ud, int result)
{
	struct fax_session *s = ud;
	struct fax_page_info info;
	t30_stats_t st;

	(void)result;
	enter_state(s, FAX_S_PAGES);
	progress(s);
	if (s->tx_tiff == NULL)
		fax_rx_page_release(t);
	t30_get_transfer_statistics(t, &st);
	s->result.pages_tx = st.pages_tx;
	s->result.pages_rx = st.pages_rx;
	s->result.bit_rate = st.bit_rate;
	s->result.ecm = st.error_correcting_mode;
	if (s->cb.page != NULL) {
		memset(&info, 0, sizeof(info));
		info.page = s->tx_tiff != NULL ? st.pages_tx : st.pages_rx;
		info.bit_rate = st.bit_rate;
		info.x_resolution = ppm_to_dpi(st.x_resolution);
		info.y_resolution = ppm_to_dpi(st.y_resolution);
		info.width = st.width;
		info.rows = st.length;
		info.bad_rows = st.bad_rows;
		info.longest_bad_run = st.longest_bad_row_run;
		info.ecm = st.error_correcting_mode;
		s->cb.page(s->arg, &info);
	}
	return T30_ERR_OK;
}

static void
phase_e_handler(t30_state_t *t, void *ud, int code)
{
	(void)t;
	finish(ud, code);
}

/* Every HDLC frame received is progress for the watchdog (our own
 * repeated DIS or DCS to a silent peer is not); frames both ways move the
 * T.30 phase. */
static void
frame_handler(t30_state_t *t, void *ud, int incoming, const uint8_t *msg,
    int len)
{
	struct fax_session *s = ud;

	(void)t;
	if (incoming) {
		progress(s);
		s->result.frames_rx++;
	}
	track_phase(s, msg, len);
}

/*
 * The T.30 phase from one frame (address, control, FCF...; the FCF's low
 * bit is the X bit, T.30 5.3.6.1). Sending our own DIS or DCS is phase B
 * already. After MCF the next phase depends on the command it confirms: a
 * page or block follows MPS and PPS, a new negotiation EOM, the release
 * EOP.
 */
static void
track_phase(struct fax_session *s, const uint8_t *msg, int len)
{
	int fcf;

	if (len < 3)
		return;
	fcf = msg[2] & 0xfe;
	switch (fcf) {
	case T30_DIS:			/* and DTC */
	case T30_CSI:
	case T30_NSF:
	case T30_TSI:
	case T30_NSS:
	case T30_FTT:
		s->phase = FAX_PHASE_B;
		break;
	case T30_DCS:
		s->phase = FAX_PHASE_B;
		s->result.negotiated = 1;
		break;
	case T30_CFR:
		s->phase = FAX_PHASE_C;
		break;
	case T30_EOM:
	case T30_MPS:
	case T30_EOP:
	case T30_PRI_EOM:
	case T30_PRI_MPS:
	case T30_PRI_EOP:
		s->last_pmc = fcf;
		s->phase = FAX_PHASE_D;
		break;
	case T30_PPS:			/* its post-message command follows */
		s->last_pmc = len > 3 ? msg[3] & 0xfe : 0;
		s->phase = FAX_PHASE_D;
		break;
	case T30_MCF:
		if (s->last_pmc == T30_EOP || s->last_pmc == T30_PRI_EOP)
			s->phase = FAX_PHASE_E;
		else if (s->last_pmc == T30_EOM || s->last_pmc == T30_PRI_EOM)
			s->phase = FAX_PHASE_B;
		else
			s->phase = FAX_PHASE_C;
		break;
	case T30_RTP:
	case T30_RTN:			/* retrain: DCS and TCF again */
		s->phase = FAX_PHASE_B;
		break;
	case T30_EOR:
	case T30_RR:
	case T30_RNR:
	case T30_PPR:
	case T30_ERR:
	case T30_CTC:
	case T30_CTR:
	case T30_PIP:
	case T30_PIN:
		s->phase = FAX_PHASE_D;
		break;
	case T30_DCN:
		/* Release after MCF to EOP is phase E already; any other DCN
		 * ends the call in the phase it interrupted, which is the
		 * one a failure report names. */
	default:
		break;
	}
}

static int
t38_tx_handler(t38_core_state_t *c, void *ud, const uint8_t *buf, int len,
    int count)
{
	struct fax_session *s = ud;

	(void)c;
	if (s->state == FAX_S_PHASE_B || s->state == FAX_S_PAGES)
		progress(s);
	if (s->cb.t38_tx != NULL)
		s->cb.t38_tx(s->arg, buf, len, count);
	return 0;
}

static void
tone_handler(void *ud, enum fax_tone tone)
{
	struct fax_session *s = ud;

	if (s->cb.tone != NULL)
		s->cb.tone(s->arg, tone);
}

/* --------------------------------------------------- result, watchdog */

/*
 * Applies the success rules (spandsp notes, pitfall 1): a send is good only
 * with T30_ERR_OK and every page of the file sent; a receive only with at
 * least one page. Then the Profile S rewrite and the done callback.
 */
static void
finish(struct fax_session *s, int code)
{
	struct fax_result *r = &s->result;
	t30_stats_t st;
	char err[FAX_COMPLETION_TEXT_MAX], e1[LOG_ESC_BUFSZ], e2[LOG_ESC_BUFSZ];

	if (s->state == FAX_S_DONE)
		return;
	enter_state(s, FAX_S_DONE);
	if (s->t30 != NULL) {
		t30_get_transfer_statistics(s->t30, &st);
		r->pages_tx = st.pages_tx;
		r->pages_rx = st.pages_rx;
		r->pages_in_file = st.pages_in_file;
		if (st.bit_rate > 0)
			r->bit_rate = st.bit_rate;
		r->ecm = st.error_correcting_mode;
		r->ecm_retries = st.error_correcting_mode_retries;
	}
	/* spandsp's statistics start at 14400 before anything is trained:
	 * without a DCS no image rate was ever chosen. */
	if (!r->negotiated) {
		r->bit_rate = 0;
		r->ecm = 0;
	}
	r->phase = s->phase;
	r->completion_code = code;
	if (s->timed_out)
		snprintf(r->completion_text, sizeof(r->completion_text), "%s",
		    s->timeout_text);
	else if (s->timeout_text[0] != '\0')
		snprintf(r->completion_text, sizeof(r->completion_text), "%s",
		    s->timeout_text);
	else
		snprintf(r->completion_text, sizeof(r->completion_text), "%s",
		    t30_completion_code_to_str(code));
	r->media = s->media;
	r->duration_ms = (unsigned)(s->clock * 1000 / FAX_SAMPLE_RATE);
	if (r->sending) {
		if (code == T30_ERR_OK && !s->timed_out && r->pages_in_file > 0 &&
		    r->pages_tx == r->pages_in_file)
			r->status = FAX_STATUS_OK;
		else if (s->timed_out)
			r->status = FAX_STATUS_TIMEOUT;
		else if (r->pages_tx > 0)
			r->status = FAX_STATUS_PARTIAL;
		else
			r->status = FAX_STATUS_FAILED;
	} else {
		if (s->timed_out)
			r->status = FAX_STATUS_TIMEOUT;
		else if (r->pages_rx > 0 && code == T30_ERR_OK)
			r->status = FAX_STATUS_OK;
		else if (r->pages_rx > 0)
			r->status = FAX_STATUS_PARTIAL;
		else
			r->status = FAX_STATUS_FAILED;
		/* spandsp closed the file before phase E. */
		if (r->pages_rx > 0 && s->opts.profile_s &&
		    fax_tiff_profile_s(s->rx_tiff, s->rx_tiff, NULL, err,
		    sizeof(err)) < 0) {
			r->profile_s_error = 1;
			log_warnx("fax profile-s=failed file=%s error=%s",
			    log_str(e1, sizeof(e1), s->rx_tiff),
			    log_str(e2, sizeof(e2), err));
		}
	}
	if (s->cb.done != NULL)
		s->cb.done(s->arg, r);
}

static void
progress(struct fax_session *s)
{
	s->last_progress = s->clock;
}

static int
has_signal(const int16_t *amp, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (amp[i] > FAX_SIGNAL_PEAK || amp[i] < -FAX_SIGNAL_PEAK)
			return 1;
	return 0;
}

/* Non-ECM image data has no HDLC frames: the statistics moving count too. */
static void
poll_progress(struct fax_session *s)
{
	t30_stats_t st;

	if (s->t30 == NULL)
		return;
	t30_get_transfer_statistics(s->t30, &st);
	if (st.pages_tx != s->seen.pages_tx ||
	    st.pages_rx != s->seen.pages_rx ||
	    (st.image_size != s->seen.image_size && st.image_size > 0) ||
	    (st.length != s->seen.length && st.length > 0))
		progress(s);
	s->seen.pages_tx = st.pages_tx;
	s->seen.pages_rx = st.pages_rx;
	s->seen.image_size = st.image_size;
	s->seen.length = st.length;
}

static void
watchdog(struct fax_session *s)
{
	uint64_t idle = (uint64_t)s->opts.idle_timeout_ms * FAX_SAMPLE_RATE /
	    1000;
	uint64_t max = (uint64_t)s->opts.max_duration_ms * FAX_SAMPLE_RATE /
	    1000;

	if (s->clock >= s->next_poll) {
		poll_progress(s);
		s->next_poll = s->clock + FAX_PROGRESS_POLL_SAMPLES;
	}
	if (s->clock - s->last_progress >= idle)
		snprintf(s->timeout_text, sizeof(s->timeout_text),
		    "watchdog: no progress for %u ms", s->opts.idle_timeout_ms);
	else if (s->clock >= max)
		snprintf(s->timeout_text, sizeof(s->timeout_text),
		    "watchdog: call longer than %u ms", s->opts.max_duration_ms);
	else
		return;
	s->timed_out = 1;		/* the caller logs the result */
	if (s->t30 != NULL)
		t30_terminate(s->t30);
	finish(s, T30_ERR_CALLDROPPED);	/* no-op if phase E already ran */
}

/* -------------------------------------------------------- formatting */

const char *
fax_status_str(enum fax_status st)
{
	switch (st) {
	case FAX_STATUS_RUNNING:
		return "running";
	case FAX_STATUS_OK:
		return "ok";
	case FAX_STATUS_PARTIAL:
		return "partial";
	case FAX_STATUS_FAILED:
		return "failed";
	case FAX_STATUS_TIMEOUT:
		return "timeout";
	}
	return "?";
}

const char *
fax_phase_str(enum fax_phase ph)
{
	static const char *const names[] = { "A", "B", "C", "D", "E" };

	return (unsigned)ph < sizeof(names) / sizeof(names[0]) ? names[ph] : "?";
}

const char *
fax_phase_words(enum fax_phase ph)
{
	static const char *const words[] = { "call set-up", "negotiation",
	    "page transfer", "page confirmation", "release" };

	return (unsigned)ph < sizeof(words) / sizeof(words[0]) ? words[ph] :
	    "unknown phase";
}

/* Quotes peer bytes for a key="value" field: printable ASCII only. */
static void
quote(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in != '\0' && o + 5 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e)
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

int
fax_result_format(const struct fax_result *r, char *buf, size_t len)
{
	char id[4 * FAX_IDENT_MAX + 1], why[2 * FAX_COMPLETION_TEXT_MAX + 1];

	quote(r->remote_ident, id, sizeof(id));
	quote(r->completion_text, why, sizeof(why));
	return snprintf(buf, len,
	    "result=%s pages=%d rate=%d ecm=%d t38=%d secs=%u code=%d "
	    "reason=\"%s\" remote=\"%s\"", fax_status_str(r->status),
	    r->sending ? r->pages_tx : r->pages_rx, r->bit_rate, r->ecm ? 1 : 0,
	    r->media == FAX_MEDIA_T38 ? 1 : 0, (r->duration_ms + 500) / 1000,
	    r->completion_code, why, id);
}
