/*
 * fax/: the fax engine of the gateway.
 *
 * What it does: T.30 fax sessions over spandsp 0.0.6, in audio mode (8 kHz
 * linear samples, G.711 pass-through) or in T.38 mode (IFP packets), with a
 * watchdog and the audio -> T.38 switch-over; fax tone detection (CNG, CED /
 * V.21 preamble) for the switch-over decision; TIFF handling: normalizing
 * any sane bilevel or greyscale TIFF into pages spandsp can send, rewriting
 * received files to RFC 3949 Profile S, rendering text/plain into fax pages
 * (Pango), images into fax pages (Leptonica), stamping the page header
 * line; for onramp mail, a received fax as a PDF of its CCITT strips and a
 * PNG preview of its first page.
 *
 * What it does not do: no sockets, no timers, no threads, no RTP/UDPTL
 * framing. The caller moves samples or IFP packets and drives time by calling
 * fax_session_tick() every 20 ms. A session belongs to one thread.
 */
#ifndef FAX_FAX_H
#define FAX_FAX_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ---------------------------------------------------------------- limits */

#define FAX_SAMPLE_RATE		8000	/* audio mode: 8 kHz linear, 16-bit */
#define FAX_BLOCK_SAMPLES	160	/* one 20 ms block */
#define FAX_IDENT_MAX		20	/* TSI/CSI, T.30 5.3.6.2.4 */
#define FAX_PAGE_HEADER_MAX	50	/* spandsp's page header info */
#define FAX_COMPLETION_TEXT_MAX	96

/* ------------------------------------------------------------- sessions */

struct fax_session;			/* opaque */

enum fax_media {
	FAX_MEDIA_AUDIO = 0,		/* G.711 pass-through: samples in/out */
	FAX_MEDIA_T38			/* T.38 terminal: IFP packets in/out */
};

/* Modem set (same values as spandsp's T30_SUPPORT_*). */
#define FAX_MODEM_V27TER	0x01	/* 2400, 4800 */
#define FAX_MODEM_V29		0x02	/* 7200, 9600 */
#define FAX_MODEM_V17		0x04	/* 7200 .. 14400 */
#define FAX_MODEM_ALL		(FAX_MODEM_V27TER | FAX_MODEM_V29 | FAX_MODEM_V17)

/* Resolutions to advertise (receive) or accept (send). */
#define FAX_RES_STANDARD	0x01	/* 204x98 */
#define FAX_RES_FINE		0x02	/* 204x196 */
#define FAX_RES_SUPERFINE	0x04	/* 204x391 */

/* Page widths to advertise. */
#define FAX_WIDTH_A4		0x01	/* 215 mm, 1728 px */
#define FAX_WIDTH_B4		0x02	/* 255 mm, 2048 px */
#define FAX_WIDTH_A3		0x04	/* 303 mm, 2432 px */

/* T.38 data rate management (T.38 / SDP T38FaxRateManagement). */
enum fax_t38_rate_management {
	FAX_T38_LOCAL_TCF = 1,		/* "localTCF": TCF generated locally */
	FAX_T38_TRANSFERRED_TCF = 2	/* "transferredTCF" */
};

struct fax_t38_options {
	int max_datagram;		/* T38FaxMaxDatagram, bytes; 0 = 400 */
	enum fax_t38_rate_management rate_management;	/* 0 = local TCF */
	int max_rate;			/* T38MaxBitRate, bps; 0 = 14400 */
	int version;			/* T38FaxVersion, 0 */
	int fill_bit_removal;		/* T38FaxFillBitRemoval */
};

struct fax_session_options {
	int calling_party;		/* 1: we originate (send CNG), 0: answer */
	enum fax_media media;
	const char *ident;		/* TSI/CSI, <= FAX_IDENT_MAX, or NULL */
	const char *page_header;	/* <= FAX_PAGE_HEADER_MAX, or NULL
					 * (the header line is normally stamped
					 * into the file by fax_header_stamp) */
	int ecm;			/* error correction mode; default on */
	int modems;			/* FAX_MODEM_*; 0 = all */
	int max_speed;			/* 2400..14400 bps; 0 = no limit.
					 * spandsp 0.0.6 caps by modem: < 12000
					 * drops V.17, < 7200 drops V.29 (so
					 * does t38.max_rate in T.38 mode) */
	int resolutions;		/* FAX_RES_*; 0 = standard|fine|superfine */
	int widths;			/* FAX_WIDTH_*; 0 = A4|B4|A3 */
	const char *tx_tiff;		/* send this normalized file, or NULL */
	const char *rx_tiff;		/* receive into this path, or NULL */
	int rx_memory;			/* receive into an anonymous memory file
					 * instead (rx_tiff NULL, profile_s 0):
					 * spandsp's writes then never wait on a
					 * disk; fax_session_rx_fd() gives it, for
					 * the caller to copy elsewhere */
	int profile_s;			/* receive: rewrite rx_tiff to Profile S
					 * at the end (before the done callback;
					 * disk I/O with fsync in the caller's
					 * thread); 0 keeps what spandsp wrote,
					 * fax_tiff_profile_s() can run later */
	int rx_mh;			/* receive: spandsp writes MH (T.4 1-D),
					 * which fax_tiff_profile_s() then
					 * rewrites cheaply elsewhere; implied
					 * by profile_s */
	unsigned idle_timeout_ms;	/* watchdog: no progress; 0 = default */
	unsigned max_duration_ms;	/* watchdog: whole call; 0 = default */
	struct fax_t38_options t38;	/* used in T.38 mode */
};

#define FAX_IDLE_TIMEOUT_DEFAULT_MS	(180u * 1000u)
#define FAX_MAX_DURATION_DEFAULT_MS	(60u * 60u * 1000u)

/* Fills *o with the defaults: answer, audio, ECM on, every modem, no limit,
 * every resolution and width, Profile S on, default watchdog, T.38 400-byte
 * datagrams with local TCF. */
void fax_session_options_init(struct fax_session_options *o);

enum fax_status {
	FAX_STATUS_RUNNING = 0,		/* no result yet */
	FAX_STATUS_OK,			/* sent: OK and every page; received: >0
					 * pages and T.30 ended normally */
	FAX_STATUS_PARTIAL,		/* received some pages, then T.30 failed */
	FAX_STATUS_FAILED,		/* nothing (or not everything) delivered */
	FAX_STATUS_TIMEOUT		/* ended by the watchdog; pages_rx > 0
					 * means those pages are in rx_tiff */
};

/* T.30 phases (T.30 clause 2.2), followed from the frames exchanged:
 * where a session was when it ended says what failed. */
enum fax_phase {
	FAX_PHASE_A = 0,		/* call set-up: no T.30 frame yet */
	FAX_PHASE_B,			/* pre-message: DIS/DCS, training */
	FAX_PHASE_C,			/* a page (or ECM block) on the line */
	FAX_PHASE_D,			/* post-message: MPS/EOP/PPS, MCF, RR */
	FAX_PHASE_E			/* release: DCN */
};

/* The outcome of a session, plain data. */
struct fax_result {
	enum fax_status status;
	int completion_code;		/* spandsp T30_ERR_* */
	char completion_text[FAX_COMPLETION_TEXT_MAX];	/* spandsp's text, or
					 * the watchdog / Profile S reason */
	int calling_party;
	int sending;			/* 1 if this side sent the document */
	int pages_tx;			/* pages confirmed sent */
	int pages_rx;			/* pages received */
	int pages_in_file;		/* pages in the tx file (<0 unknown) */
	int bit_rate;			/* last image bit rate; 0 when no
					 * fax phase ran (negotiated == 0) */
	int ecm;			/* ECM was used */
	int negotiated;			/* a DCS was exchanged: bit_rate and
					 * ecm describe the image transfer */
	enum fax_phase phase;		/* T.30 phase when the session ended */
	int frames_rx;			/* T.30 frames heard from the far end
					 * (0: it never spoke T.30) */
	char remote_ident[FAX_IDENT_MAX + 1];	/* far TSI/CSI, raw bytes */
	unsigned duration_ms;		/* session clock (samples fed) */
	enum fax_media media;		/* media at the end */
	int switched_to_t38;		/* the call started in audio */
	int profile_s_error;		/* receive: the Profile S rewrite failed
					 * (the spandsp file was kept) */
	int ecm_retries;		/* ECM: partial pages sent or asked
					 * again (T.30 PPR), for the metrics */
};

/* Phase B: the far end identified itself and the DCS was exchanged. */
struct fax_phase_b_info {
	const char *remote_ident;	/* valid during the callback only */
	int bit_rate;
	int ecm;
};

/* Phase D: a page ended (sent or received). */
struct fax_page_info {
	int page;			/* 1-based: pages done so far */
	int bit_rate;
	int x_resolution;		/* dpi (204) */
	int y_resolution;		/* dpi (98, 196, 391) */
	int width;			/* pixels */
	int rows;			/* pixel rows in the page */
	int bad_rows;
	int longest_bad_run;
	int ecm;
};

/* Tones fax_tone_detector and the session's tone callback report. */
enum fax_tone {
	FAX_TONE_CNG = 1,		/* calling tone, 1100 Hz */
	FAX_TONE_CED = 2,		/* answer tone, 2100 Hz */
	FAX_TONE_V21_PREAMBLE = 3	/* V.21 HDLC flags (DIS on the way) */
};
#define FAX_TONE_KIND_CNG	0x01	/* detect CNG */
#define FAX_TONE_KIND_CED	0x02	/* detect CED or the V.21 preamble */

/*
 * Callbacks: every one is optional (NULL) except t38_tx in T.38 mode. They
 * run from inside fax_session_rx_*(), _tx_audio(), _tick(), _terminate() or
 * _switch_to_t38(). They must not free the session: note the outcome and
 * free it at the top level.
 */
struct fax_session_callbacks {
	void (*phase_b)(void *arg, const struct fax_phase_b_info *info);
	void (*page)(void *arg, const struct fax_page_info *info);
	void (*done)(void *arg, const struct fax_result *result);
	/* T.38: one IFP packet to send; put it in one UDPTL datagram (one
	 * sequence number) and send that datagram `count` times (3 for
	 * indicators and end of data, 1 for image data). May run after done. */
	void (*t38_tx)(void *arg, const uint8_t *buf, int len, int count);
	/* Audio mode: a fax tone was heard on the received audio (kinds from
	 * tone_kinds below); used to trigger a T.38 re-INVITE. */
	void (*tone)(void *arg, enum fax_tone tone);
	int tone_kinds;			/* FAX_TONE_KIND_*; 0 = no detection */
};

/*
 * Creates a session. *opts and *cb are copied (the strings too); arg is
 * passed to every callback. Returns NULL with a message in err on bad
 * options (ident too long, no file, unreadable tx file...). Caller frees
 * with fax_session_free().
 */
struct fax_session *fax_session_new(const struct fax_session_options *opts,
    const struct fax_session_callbacks *cb, void *arg, char *err,
    size_t errlen);

/* Audio mode. Feed every received 20 ms block (n samples, normally 160);
 * a lost block goes to rx_lost (spandsp's fill-in), never zeros. These
 * also run the T.30 timers in audio mode, so feed one or the other every
 * 20 ms, also after the result until the call is hung up. Return 0, or -1
 * when the session is not (or no longer) in audio mode. */
int fax_session_rx_audio(struct fax_session *s, const int16_t *amp, int n);
int fax_session_rx_lost(struct fax_session *s, int n);
/* Fills amp[0..n) with the next block (silence while idle) and returns n;
 * returns 0 when not in audio mode. */
int fax_session_tx_audio(struct fax_session *s, int16_t *amp, int n);
/* 1 when the last block fax_session_tx_audio() gave carried a signal (a
 * tone, a modem), 0 when it was silence: the modem is idle or listening. */
int fax_session_tx_signal(const struct fax_session *s);

/* T.38 mode: one received IFP packet (payload of the primary UDPTL field)
 * with its sequence number. Returns 0, or -1 when not in T.38 mode. */
int fax_session_rx_ifp(struct fax_session *s, const uint8_t *buf, int len,
    uint16_t seq);

/* Call every 20 ms (samples = 160) in BOTH modes: it advances the session
 * clock and the watchdog, and in T.38 mode the T.38 terminal's timers. Keep
 * calling it (and sending what t38_tx gives) after the result until the
 * call is hung up: the final DCN may still be queued. */
void fax_session_tick(struct fax_session *s, int samples);

/* The far end switched the call to T.38 (re-INVITE done): the audio T.30
 * is terminated without a result, a fresh T.38 terminal starts from phase
 * A with the same options. t38 = NULL keeps opts->t38. Returns 0, or -1 if
 * already in T.38 or done, or when a page was already transferred: T.30
 * cannot resume a document, so the session then ends (done callback) with
 * what arrived, reason "switched to T.38 after a page". */
int fax_session_switch_to_t38(struct fax_session *s,
    const struct fax_t38_options *t38);

/* The call ended (BYE): T.30 is terminated and the done callback fires if
 * it has not yet. Idempotent. */
void fax_session_terminate(struct fax_session *s);

int fax_session_is_done(const struct fax_session *s);
enum fax_media fax_session_media(const struct fax_session *s);
/* The result; status FAX_STATUS_RUNNING until done. Owned by the session. */
const struct fax_result *fax_session_result(const struct fax_session *s);
/* The T.30 phase now, from the frames exchanged so far (the result's
 * phase is where it ended). */
enum fax_phase fax_session_phase(const struct fax_session *s);
/* Frees everything, closes files. Accepts NULL. A session freed before it
 * was done is terminated first (the done callback does not run). */
void fax_session_free(struct fax_session *s);
/* The memory file a session with rx_memory receives into (owned by the
 * session, closed by fax_session_free(): dup() it to keep it), or -1. */
int fax_session_rx_fd(const struct fax_session *s);

/* "ok", "partial", "failed", "timeout", "running". */
const char *fax_status_str(enum fax_status st);
/* "A" .. "E". */
const char *fax_phase_str(enum fax_phase ph);
/* What the phase is about, in words for a reader who does not know T.30:
 * "call set-up", "negotiation", "page transfer", "page confirmation",
 * "release". */
const char *fax_phase_words(enum fax_phase ph);
/* The one-line result of the CLI and the logs:
 * result=ok pages=2 rate=14400 ecm=1 t38=0 secs=41 code=0 reason="OK"
 * remote="..." (pages: sent when sending, received when receiving; reason
 * and the far ident escaped: \" \\ \xNN). Returns snprintf's value. */
int fax_result_format(const struct fax_result *r, char *buf, size_t len);

/* --------------------------------------------------------- tone detector */

struct fax_tone_detector;		/* opaque */

/* kinds: FAX_TONE_KIND_*. cb runs from fax_tone_detector_rx() once per
 * detected tone. Caller frees with fax_tone_detector_free(). */
struct fax_tone_detector *fax_tone_detector_new(int kinds,
    void (*cb)(void *arg, enum fax_tone tone), void *arg);
void fax_tone_detector_rx(struct fax_tone_detector *d, const int16_t *amp,
    int n);
void fax_tone_detector_free(struct fax_tone_detector *d);
const char *fax_tone_str(enum fax_tone tone);

/* ------------------------------------------------------------------ TIFF */

/* Output pages of fax_tiff_normalize and fax_text_render. */
#define FAX_PAGE_WIDTH		1728	/* pixels, 215 mm at 204 dpi */
#define FAX_XRES		204
#define FAX_YRES_FINE		196
#define FAX_YRES_STANDARD	98

/* Input bounds (checked before anything is decoded). */
#define FAX_TIFF_MAX_PAGES_DEFAULT	100
#define FAX_TIFF_MAX_DIM_DEFAULT	14000	/* pixels, either side */
#define FAX_TIFF_MAX_PIXELS_DEFAULT	(120ull * 1000 * 1000)	/* per page */
#define FAX_TIFF_MAX_OUT_ROWS		4400	/* ~56 cm at 196 dpi */

enum fax_tiff_resolution {
	FAX_TIFF_RES_AUTO = 0,		/* fine unless the input is <= 100 dpi
					 * vertically, then standard */
	FAX_TIFF_RES_FINE,		/* always 204x196 */
	FAX_TIFF_RES_STANDARD		/* always 204x98 */
};

/* Zero fields take the defaults above. */
struct fax_tiff_limits {
	unsigned max_pages;		/* total pages over all inputs */
	unsigned max_width;		/* input pixels */
	unsigned max_height;		/* input pixels */
	unsigned long long max_pixels;	/* input width * height per page */
	enum fax_tiff_resolution resolution;
};

struct fax_tiff_info {
	unsigned pages;
	unsigned width;			/* 1728 */
	unsigned fine_pages;		/* pages at 196 dpi */
	unsigned rotated_pages;		/* landscape pages turned to portrait */
	unsigned missing_glyphs;	/* text: characters no installed font
					 * has, drawn as boxes with their code */
	unsigned photo_pages;		/* images: pages dithered as photos
					 * (the others were binarized as text) */
};

/*
 * Reads every page of inputs[0..n) (any bilevel TIFF libtiff decodes: G3
 * 1-D/2-D, G4, none, PackBits, LZW...; either fill order; MinIsWhite or
 * MinIsBlack; strips or tiles; greyscale, palette, RGB and JPEG YCbCr are
 * thresholded at 50%; strips must lie in the file and not overlap) and writes
 * one multi-page file at out_path: 1728 wide, 204x196 or 204x98, G4...
 * readable by spandsp, one strip per page. Pages are scaled to keep their
 * physical size (wider than 215 mm: scaled down to fit, aspect kept);
 * landscape pages are turned to portrait. Returns 0, or -1 with a specific
 * message in err (not a TIFF, corrupt, colour, absurd dimensions, too many
 * pages, ...) and no out_path left behind. lim and info may be NULL.
 */
int fax_tiff_normalize(const char *const *inputs, int n, const char *out_path,
    const struct fax_tiff_limits *lim, struct fax_tiff_info *info, char *err,
    size_t errlen);

/* Same, on a TIFF held in memory (used by the fuzzer and by mail parts). */
int fax_tiff_normalize_mem(const void *buf, size_t len, const char *out_path,
    const struct fax_tiff_limits *lim, struct fax_tiff_info *info, char *err,
    size_t errlen);

/*
 * Rewrites a received fax file to RFC 3949 Profile S at out_path (may equal
 * in: the file is replaced atomically): MH (Compression 3, T4Options 0 or
 * 4), FillOrder 2, 1728 wide, XResolution 204 and YResolution 98 or 196 in
 * inches (391 is halved to 196), NewSubFileType 2, PageNumber n,m, one strip
 * per page, little-endian, MinIsWhite. Wider pages are scaled to 1728.
 * Returns 0, or -1 with err.
 */
int fax_tiff_profile_s(const char *in, const char *out,
    struct fax_tiff_info *info, char *err, size_t errlen);

/* Number of pages (directories) in a TIFF file, or -1 with err. */
int fax_tiff_count_pages(const char *path, char *err, size_t errlen);

/*
 * The pixels (width x height summed over its pages) and the pages of a
 * TIFF, from its directories alone; it stops counting past max_pages
 * (then *pages is max_pages + 1). 0, or -1 with err (not a TIFF, corrupt
 * directory, a page without a size).
 */
int fax_tiff_pixels(const char *path, unsigned max_pages, unsigned long long *pixels,
    unsigned *pages, char *err, size_t errlen);
/* ---------------------------------------------------------------- images */

#define FAX_IMAGE_MAX_PAGES_DEFAULT	FAX_TIFF_MAX_PAGES_DEFAULT
/* Pixels one image page may declare; more is refused from the header,
 * before anything is decoded (a decompression bomb costs nothing). */
#define FAX_IMAGE_MAX_PIXELS_DEFAULT	(40ull * 1000 * 1000)

enum fax_image_format {
	FAX_IMAGE_NONE = 0,
	FAX_IMAGE_PNG,
	FAX_IMAGE_JPEG,
	FAX_IMAGE_GIF,
	FAX_IMAGE_BMP,
	FAX_IMAGE_TIFF,
};

/* The format from the first bytes (magic numbers), FAX_IMAGE_NONE when
 * it is none of these. */
enum fax_image_format fax_image_sniff(const void *buf, size_t len);

/* Zero fields take the defaults. */
struct fax_image_limits {
	unsigned max_pages;		/* pages of a TIFF */
	unsigned long long max_pixels;	/* width * height of one page */
	enum fax_tiff_resolution resolution;	/* AUTO and FINE: 204x196 */
};

/*
 * Turns the image in buf (PNG, JPEG, GIF: first frame, BMP, or TIFF of any
 * kind: colour, greyscale, palette, 16 bits per sample) into normalized fax
 * pages at out_path, one per image page, with Leptonica: each shrunk to fit
 * below the header line from the size its resolution gives (96 dpi when
 * none; never enlarged), turned to portrait when a landscape image prints
 * clearly larger that way, scaled to 204 x 196 (or 98) dpi; screenshots and
 * documents are binarized (Otsu, or adaptive after background
 * normalization for photographed paper), photos dithered by error
 * diffusion. JPEG EXIF orientation is applied. A TIFF of bilevel pages
 * goes through fax_tiff_normalize_mem() unchanged. Each page's declared
 * size is checked against lim->max_pixels before it is decoded. Returns
 * 0 (info: pages, rotated_pages, photo_pages), or -1 with err ("corrupt
 * PNG: ...", "truncated JPEG: ...", "the image is W x H pixels; the limit
 * is N pixels", "too many pages (...)") and nothing left at out_path.
 * Thread-safe.
 */
int fax_image_to_pages(const void *buf, size_t len, const char *out_path,
    const struct fax_image_limits *lim, struct fax_tiff_info *info,
    char *err, size_t errlen);

/* ------------------------------------------------------------------- PDF */

#define FAX_PDF_MAX_PAGES		10000

/* Document info of a fax PDF; every string may be NULL (UTF-8, borrowed). */
struct fax_pdf_meta {
	const char *title;		/* "Fax from +1 919 555 1234" */
	const char *author;		/* the caller: number and CSI */
	const char *subject;		/* "Fax to 9913170, 2 pages" */
	time_t created;			/* when it was received; 0: none */
};

/*
 * The fax TIFF at tiff_path (Profile S, or any bilevel file coded MH, MR or
 * MMR in strips) as a PDF in memory: one page per TIFF page with its
 * MediaBox from width and rows at its own resolution (a fine and a standard
 * page are both the size of the paper), each strip embedded as a
 * /CCITTFaxDecode image with its original coding (no re-encoding; bit
 * order made MSB first), the document info from meta. Returns 0 with
 * *pdf (caller frees with free()) and *pdf_len, or -1 with err (not a fax
 * coding, corrupt, over FAX_PDF_MAX_PAGES).
 */
int fax_tiff_to_pdf(const char *tiff_path, const struct fax_pdf_meta *meta,
    unsigned char **pdf, size_t *pdf_len, char *err, size_t errlen);

/*
 * Page 1 of a fax TIFF as a small greyscale PNG for mail previews: width
 * pixels wide (FAX_PREVIEW_WIDTH when 0), its height from the page's true
 * proportions (a standard page is not squashed), anti-aliased. Returns 0
 * with *png (caller frees with free()) and *png_len, or -1 with err.
 */
#define FAX_PREVIEW_WIDTH		600
#define FAX_PREVIEW_WIDTH_MAX		1728
int fax_tiff_preview_png(const char *tiff_path, unsigned width,
    unsigned char **png, size_t *png_len, char *err, size_t errlen);

/* ------------------------------------------------------------ text pages */

#define FAX_TEXT_MAX_PAGES_DEFAULT	50
#define FAX_TEXT_TAB_DEFAULT		8

/* Zero fields take the defaults. */
struct fax_text_options {
	unsigned max_pages;		/* more text is an error */
	unsigned tab_width;		/* columns */
	enum fax_tiff_resolution resolution;	/* AUTO and FINE: 204x196;
					 * STANDARD: 204x98 */
};

/*
 * Loads the fonts text pages and header lines are set in, once per
 * process (thread-safe; the first rendering does it when nobody did):
 * fontconfig with a fixed configuration of the gateway's own, reading
 * /usr/share/fonts and /usr/local/share/fonts through the system font
 * cache, never per-user fonts or the environment. Returns the number of
 * fonts found (0: every character will print as a box), or -1 with err.
 */
int fax_text_init(char *err, size_t errlen);

/* How many of the font families t37gw documents (DejaVu Sans Mono, DejaVu
 * Sans, Noto Sans Mono CJK SC, Noto Sans CJK SC) are not installed; their
 * names, comma-separated, in buf. */
int fax_text_fonts_missing(char *buf, size_t len);

/*
 * Renders UTF-8 text onto pages 1728 wide at 204x196 (or 204x98) with
 * Pango: 80 columns of DejaVu Sans Mono 10 pt, any script an installed
 * font covers (complex scripts shaped, right-to-left paragraphs from the
 * right margin), word wrap, tabs, form feed = new page, letter-length
 * pages with room at the top for the header line. Characters no font has
 * print as boxes and are counted in info->missing_glyphs; invalid UTF-8
 * prints as U+FFFD. Writes a normalized multi-page file at out_path.
 * Empty text gives one blank page. Returns 0, or -1 with err ("text
 * longer than N pages" over the limit; no file is left behind).
 * Thread-safe (each call has its own Pango objects).
 */
int fax_text_render(const char *utf8, size_t len,
    const struct fax_text_options *o, const char *out_path,
    struct fax_tiff_info *info, char *err, size_t errlen);

/* ------------------------------------------------------------ HTML pages */

/* Limits of the HTML layout engine (hostile mail stays bounded). */
#define FAX_HTML_MAX_DEPTH		64	/* elements nested; deeper ones
					 * keep their text, not their form */
#define FAX_HTML_MAX_BLOCKS		50000	/* paragraphs, cells, rules */
#define FAX_HTML_MAX_CELLS		20000	/* table cells in all tables */
#define FAX_HTML_MAX_COLS		32	/* columns of one table; a wider
					 * table is printed row by row */
#define FAX_HTML_MAX_ROWSPAN		64
#define FAX_HTML_MAX_TABLE_DEPTH	8	/* tables in tables; deeper ones
					 * are printed row by row */
#define FAX_HTML_MAX_IMAGES		100	/* images shown in one document */
#define FAX_HTML_MAX_IMAGE_PIXELS	(200ull * 1000 * 1000)	/* decoded,
					 * all images of a document together */
#define FAX_HTML_DATA_URI_MAX		(1u << 20)	/* bytes of a data: image */

/* An image the HTML may show: a part of the message (RFC 2387
 * multipart/related), found by its Content-ID (RFC 2392 "cid:") or its
 * Content-Location (RFC 2557). Strings borrowed. */
struct fax_html_image {
	const char *cid;		/* without the angle brackets, or NULL */
	const char *location;		/* or NULL */
	const char *path;		/* the image file (PNG, JPEG, GIF, BMP,
					 * TIFF) */
};

/* Zero fields take the defaults. */
struct fax_html_options {
	unsigned max_pages;		/* more is an error */
	enum fax_tiff_resolution resolution;	/* AUTO, FINE: 204 x 196 */
	unsigned long long max_image_pixels;	/* one image, as declared;
					 * 0: FAX_IMAGE_MAX_PIXELS_DEFAULT */
	const struct fax_html_image *images;
	size_t nimages;
	const char *preface;		/* UTF-8 lines printed above the
					 * document (a forwarded message's
					 * headers), or NULL */
};

/* What a rendering left out or changed, for the sender. */
struct fax_html_report {
	unsigned images_shown;		/* placements */
	unsigned images_remote;		/* on the Internet (http:, https:,
					 * ftp:, //host): never fetched */
	unsigned images_data_big;	/* data: URIs over FAX_HTML_DATA_URI_MAX */
	unsigned images_missing;	/* cid: or a name no part of the
					 * message has; file: and the like */
	unsigned images_bad;		/* unreadable, or over the pixel caps */
	unsigned images_over;		/* beyond FAX_HTML_MAX_IMAGES */
	unsigned tables_flattened;	/* printed row by row */
	unsigned deep_flattened;	/* elements beyond FAX_HTML_MAX_DEPTH */
	unsigned missing_glyphs;	/* drawn as boxes */
	unsigned char *image_used;	/* caller's array of nimages flags
					 * (1: shown at least once), or NULL */
};

/*
 * Renders an HTML document (UTF-8; its own charset hints are ignored)
 * onto pages like fax_text_render's, with libxml2's HTML parser (never
 * any network access) and Pango: paragraphs, headings set larger and
 * bold, bold, italic, underlined and struck text, lists with their
 * bullets or numbers, block quotes with a bar, preformatted text in the
 * monospace font, rules, tables as aligned columns (colspan, rowspan,
 * borders, cell alignment), and images from o->images (or small data:
 * URIs) placed where they stand, fitted to the column, binarized like
 * image attachments. Content that is hidden (display:none, <script>,
 * <style>, <head>) is not printed; an image that is not shown prints
 * its alt text in brackets. Scripts, remote images, frames and objects
 * are never loaded; rep counts what was left out. Returns 0, or -1 with
 * err ("HTML longer than N pages", "the HTML has more than N table
 * cells", ...) and no file at out_path. rep may be NULL.
 */
int fax_html_render(const char *html, size_t len,
    const struct fax_html_options *o, const char *out_path,
    struct fax_tiff_info *info, struct fax_html_report *rep, char *err,
    size_t errlen);

/*
 * What a rendering left out, in plain words for the sender ("2 images on
 * the Internet (the gateway never fetches remote content); 1 image that
 * could not be read"), into buf; "" when nothing was left out. Returns
 * the number of kinds of things left out (0: nothing).
 */
int fax_html_report_words(const struct fax_html_report *rep, char *buf,
    size_t size);

/* ------------------------------------------------------ office documents */

#define FAX_OFFICE_CONVERTER_DEFAULT	"/usr/bin/soffice"
#define FAX_OFFICE_TIMEOUT_DEFAULT	60	/* seconds */
#define FAX_OFFICE_MEMORY_DEFAULT	1024	/* MiB of address space */
/* LibreOffice exits with this when it made its profile and must be
 * started again. */
#define FAX_OFFICE_EXIT_RESTART		81

enum fax_office_result {
	FAX_OFFICE_OK = 0,
	FAX_OFFICE_MISSING,		/* no converter installed */
	FAX_OFFICE_TIMEOUT,		/* killed at the time limit */
	FAX_OFFICE_FAILED,		/* it could not convert the document */
	FAX_OFFICE_LOCAL,		/* trouble here: disk, fork */
};

struct fax_office_options {
	const char *converter;		/* soffice; NULL: the default */
	unsigned timeout;		/* seconds; 0: the default */
	unsigned memory_mb;		/* 0: the default */
};

/*
 * Converts a word-processor, spreadsheet or presentation file (.doc,
 * .docx, .odt, .rtf, .xls, .xlsx, .ods, .ppt, .pptx; ext names its
 * format, without the dot) to PDF at pdf_out with LibreOffice headless,
 * sandboxed: a private directory under workdir as its HOME, profile and
 * temporary directory (removed afterwards), macros and links to other
 * documents or the network off in that profile, a network namespace of
 * its own when the kernel allows one (no network at all), an address
 * space limit, its own process group killed at the time limit and when
 * the calling process dies, stdin from /dev/null, nothing of the
 * environment. Blocks for the conversion. Returns FAX_OFFICE_OK, or
 * another result with err.
 */
enum fax_office_result fax_office_to_pdf(const char *in, const char *ext,
    const char *workdir, const char *pdf_out,
    const struct fax_office_options *o, char *err, size_t errlen);

/* ----------------------------------------------------------- page header */

/* Values for the Cisco `fax send {left|center|right}-header` variables. */
struct fax_header_vars {
	const char *date;		/* $a$ */
	const char *destination;	/* $d$ */
	const char *sender;		/* $s$ */
	const char *time;		/* $t$ */
};					/* $p$ = "page/pages" */

struct fax_header {
	const char *left;		/* templates; NULL or "" = nothing */
	const char *center;
	const char *right;
	struct fax_header_vars vars;
};

/* Expands $a$ $d$ $p$ $s$ $t$ in tmpl (unknown $x$ kept as is) into out,
 * always NUL-terminated. Returns the length written. */
size_t fax_header_expand(const char *tmpl, const struct fax_header_vars *v,
    unsigned page, unsigned pages, char *out, size_t outlen);

/*
 * Draws the expanded left/center/right header line into the top margin of
 * every page of a normalized file `in`, writing `out` (may equal in): a
 * white band 8.3 mm high, text in DejaVu Sans 9 pt (any script, like
 * fax_text_render), parts cut with an ellipsis when the line is full.
 * Returns 0, or -1 with err.
 */
int fax_header_stamp(const char *in, const char *out,
    const struct fax_header *h, char *err, size_t errlen);

#endif
