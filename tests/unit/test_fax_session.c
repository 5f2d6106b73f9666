/*
 * Unit tests for fax/ sessions: sender and receiver back-to-back in
 * memory (audio samples and T.38 IFP packets), every modem, ECM on and
 * off, 1 and 4 pages, each received page compared pixel for pixel with
 * what was sent; the success rules; the watchdog; the switch-over to T.38;
 * tone detection; bad options.
 */
#include <fcntl.h>
#include <unistd.h>

#include "tests/unit/fax_test_util.h"

#include "fax/fax.h"
#include "tools/t37fax.h"

#define PAGE_ROWS 160		/* small pages keep the suite fast */

/* A back-to-back pair driven by the test itself. */
struct pair {
	struct fax_session *tx, *rx;
	struct {
		uint8_t buf[1500];
		int len;
	} q[2][256];			/* [0] tx -> rx, [1] rx -> tx */
	int qn[2];
	uint16_t seq[2];
	int rx_pages_seen;
	int stop_rx_after;		/* terminate the receiver after N pages */
	int lose_every;			/* receiver loses every Nth block */
	int phase_b_calls, phase_b_rate, phase_b_ecm;
	int max_ifp;			/* longest IFP packet seen */
	char phase_b_ident[FAX_IDENT_MAX + 1];
	int tones[4];
	int done_calls[2];
};

static void
q_push(struct pair *p, int dir, const uint8_t *buf, int len)
{
	ck_assert_int_lt(p->qn[dir], 256);
	ck_assert_int_le(len, 1500);
	memcpy(p->q[dir][p->qn[dir]].buf, buf, (size_t)len);
	p->q[dir][p->qn[dir]++].len = len;
}

static void
tx_ifp(void *arg, const uint8_t *buf, int len, int count)
{
	struct pair *p = arg;

	ck_assert_int_ge(count, 1);
	if (len > p->max_ifp)
		p->max_ifp = len;
	q_push(arg, 0, buf, len);
}

static void
rx_ifp(void *arg, const uint8_t *buf, int len, int count)
{
	struct pair *p = arg;

	ck_assert_int_ge(count, 1);
	if (len > p->max_ifp)
		p->max_ifp = len;
	q_push(arg, 1, buf, len);
}

static void
rx_page(void *arg, const struct fax_page_info *pi)
{
	struct pair *p = arg;

	p->rx_pages_seen++;
	ck_assert_int_eq(pi->page, p->rx_pages_seen);
	ck_assert_int_eq(pi->width, 1728);
	ck_assert_int_eq(pi->x_resolution, 204);
	ck_assert(pi->y_resolution == 196 || pi->y_resolution == 98);
	ck_assert_int_gt(pi->rows, 0);
}

static void
rx_phase_b(void *arg, const struct fax_phase_b_info *pb)
{
	struct pair *p = arg;

	p->phase_b_calls++;
	snprintf(p->phase_b_ident, sizeof(p->phase_b_ident), "%s",
	    pb->remote_ident);
	p->phase_b_rate = pb->bit_rate;
	p->phase_b_ecm = pb->ecm;
}

static void
tx_done(void *arg, const struct fax_result *r)
{
	(void)r;
	((struct pair *)arg)->done_calls[0]++;
}

static void
rx_done(void *arg, const struct fax_result *r)
{
	(void)r;
	((struct pair *)arg)->done_calls[1]++;
}

static void
on_tone(void *arg, enum fax_tone t)
{
	((struct pair *)arg)->tones[t]++;
}

static void
deliver(struct pair *p)
{
	int dir, i, n;

	for (int round = 0; round < 8; round++) {
		n = 0;
		for (dir = 0; dir < 2; dir++) {
			int cnt = p->qn[dir];
			struct fax_session *to = dir == 0 ? p->rx : p->tx;

			for (i = 0; i < cnt; i++)
				fax_session_rx_ifp(to, p->q[dir][i].buf,
				    p->q[dir][i].len, p->seq[dir]++);
			/* New packets were appended after cnt. */
			memmove(p->q[dir], p->q[dir] + cnt,
			    (size_t)(p->qn[dir] - cnt) * sizeof(p->q[dir][0]));
			p->qn[dir] -= cnt;
			n += cnt;
		}
		if (n == 0)
			break;
	}
}

/* Runs the pair up to max_s seconds of line time; switches both to T.38
 * after switch_block blocks when > 0. */
static void
run_pair(struct pair *p, int t38, int switch_block, int max_s)
{
	int16_t a[FAX_BLOCK_SAMPLES], b[FAX_BLOCK_SAMPLES];
	int blk;

	for (blk = 0; blk < max_s * 50; blk++) {
		if (fax_session_is_done(p->tx) && fax_session_is_done(p->rx))
			break;
		if (switch_block > 0 && blk == switch_block) {
			ck_assert_int_eq(fax_session_switch_to_t38(p->tx, NULL), 0);
			ck_assert_int_eq(fax_session_switch_to_t38(p->rx, NULL), 0);
			t38 = 1;
		}
		if (p->stop_rx_after > 0 && p->rx_pages_seen >= p->stop_rx_after &&
		    !fax_session_is_done(p->rx))
			fax_session_terminate(p->rx);	/* the BYE */
		if (t38) {
			fax_session_tick(p->tx, FAX_BLOCK_SAMPLES);
			fax_session_tick(p->rx, FAX_BLOCK_SAMPLES);
			deliver(p);
		} else {
			ck_assert_int_eq(fax_session_tx_audio(p->tx, a,
			    FAX_BLOCK_SAMPLES), FAX_BLOCK_SAMPLES);
			ck_assert_int_eq(fax_session_tx_audio(p->rx, b,
			    FAX_BLOCK_SAMPLES), FAX_BLOCK_SAMPLES);
			if (p->lose_every > 0 && blk % p->lose_every ==
			    p->lose_every - 1)
				ck_assert_int_eq(fax_session_rx_lost(p->rx,
				    FAX_BLOCK_SAMPLES), 0);
			else
				fax_session_rx_audio(p->rx, a, FAX_BLOCK_SAMPLES);
			fax_session_rx_audio(p->tx, b, FAX_BLOCK_SAMPLES);
			fax_session_tick(p->tx, FAX_BLOCK_SAMPLES);
			fax_session_tick(p->rx, FAX_BLOCK_SAMPLES);
		}
	}
	/* The line is hung up either way. */
	fax_session_terminate(p->tx);
	fax_session_terminate(p->rx);
}

static struct fax_t38_options pair_t38;	/* zero: defaults */

static void
pair_open(struct pair *p, const char *txf, const char *rxf, int t38, int ecm,
    int modems, int tones)
{
	struct fax_session_options o;
	struct fax_session_callbacks cb;
	char err[200];

	memset(p, 0, sizeof(*p));
	fax_session_options_init(&o);
	o.media = t38 ? FAX_MEDIA_T38 : FAX_MEDIA_AUDIO;
	o.ecm = ecm;
	o.modems = modems;
	o.calling_party = 1;
	o.ident = "+1 555 0100";
	o.tx_tiff = txf;
	if (pair_t38.max_datagram != 0)
		o.t38 = pair_t38;
	memset(&cb, 0, sizeof(cb));
	cb.t38_tx = tx_ifp;
	cb.done = tx_done;
	cb.tone = on_tone;
	cb.tone_kinds = tones & FAX_TONE_KIND_CED;
	p->tx = fax_session_new(&o, &cb, p, err, sizeof(err));
	ck_assert_msg(p->tx != NULL, "%s", err);
	o.calling_party = 0;
	o.ident = "+1 555 0199";
	o.tx_tiff = NULL;
	o.rx_tiff = rxf;
	if (rxf == NULL) {              /* into a memory file */
		o.rx_memory = 1;
		o.profile_s = 0;
	}
	cb.t38_tx = rx_ifp;
	cb.done = rx_done;
	cb.page = rx_page;
	cb.phase_b = rx_phase_b;
	cb.tone_kinds = tones & FAX_TONE_KIND_CNG;
	p->rx = fax_session_new(&o, &cb, p, err, sizeof(err));
	ck_assert_msg(p->rx != NULL, "%s", err);
}

static void
pair_close(struct pair *p)
{
	fax_session_free(p->tx);
	fax_session_free(p->rx);
}

/* n small pages, written already normalized (1728, fine, G4). */
static struct ft_page **
make_doc(const char *path, int n, unsigned seed)
{
	struct ft_page **pages = calloc((size_t)n, sizeof(*pages));
	struct ft_layout L = { .compression = COMPRESSION_CCITTFAX4 };

	for (int i = 0; i < n; i++) {
		pages[i] = ft_pattern(1728, PAGE_ROWS + 8 * i, seed + (unsigned)i);
		if (i % 2 == 1)
			pages[i]->yres = 98;
	}
	ft_write(path, pages, n, &L);
	return pages;
}

static void
free_doc(struct ft_page **pages, int n)
{
	for (int i = 0; i < n; i++)
		ft_page_free(pages[i]);
	free(pages);
}

/* Every received page equals the page sent, row for row. */
static void
assert_same_doc(struct ft_page **sent, int n, const char *rxf)
{
	ck_assert_int_eq(ft_pages(rxf), n);
	for (int i = 0; i < n; i++) {
		struct ft_page *got = ft_read(rxf, i);

		ck_assert_ptr_nonnull(got);
		ck_assert_uint_eq(got->w, sent[i]->w);
		ck_assert_uint_eq(got->h, sent[i]->h);
		ck_assert_float_eq(got->yres, sent[i]->yres);
		ck_assert_uint_eq(ft_diff_rows(got, sent[i]), 0);
		ft_page_free(got);
	}
}

static const struct {
	int t38, ecm, modems, pages;
} combos[] = {
	{ 0, 1, FAX_MODEM_V17, 1 },
	{ 0, 0, FAX_MODEM_V17, 1 },
	{ 0, 1, FAX_MODEM_V29, 1 },
	{ 0, 0, FAX_MODEM_V29, 1 },
	{ 0, 1, FAX_MODEM_V27TER, 1 },
	{ 0, 0, FAX_MODEM_V27TER, 1 },
	{ 1, 1, FAX_MODEM_V17, 1 },
	{ 1, 0, FAX_MODEM_V17, 1 },
	{ 1, 1, FAX_MODEM_V29, 1 },
	{ 1, 0, FAX_MODEM_V29, 1 },
	{ 1, 1, FAX_MODEM_V27TER, 1 },
	{ 1, 0, FAX_MODEM_V27TER, 1 },
	{ 0, 1, FAX_MODEM_ALL, 4 },
	{ 0, 0, FAX_MODEM_ALL, 4 },
	{ 1, 1, FAX_MODEM_ALL, 4 },
	{ 1, 0, FAX_MODEM_ALL, 4 },
};

START_TEST(test_fax_back_to_back)
{
	struct pair p;
	struct ft_page **doc;
	const struct fax_result *tr, *rr;
	int n = combos[_i].pages;
	int rates_v17[] = { 14400, 12000 }, rate;

	(void)rates_v17;
	doc = make_doc(ft_path("send.tif"), n, 7u * (unsigned)_i + 1);
	pair_open(&p, ft_path("send.tif"), ft_path("recv.tif"), combos[_i].t38,
	    combos[_i].ecm, combos[_i].modems, 0);
	run_pair(&p, combos[_i].t38, 0, 600);
	tr = fax_session_result(p.tx);
	rr = fax_session_result(p.rx);
	ck_assert_str_eq(fax_status_str(tr->status), "ok");
	ck_assert_str_eq(fax_status_str(rr->status), "ok");
	ck_assert_int_eq(tr->pages_tx, n);
	ck_assert_int_eq(tr->pages_in_file, n);
	ck_assert_int_eq(rr->pages_rx, n);
	ck_assert_int_eq(p.rx_pages_seen, n);
	ck_assert_int_eq(p.done_calls[0], 1);
	ck_assert_int_eq(p.done_calls[1], 1);
	ck_assert_int_eq(tr->ecm, combos[_i].ecm);
	ck_assert_int_eq(rr->media, combos[_i].t38 ? FAX_MEDIA_T38 :
	    FAX_MEDIA_AUDIO);
	ck_assert_str_eq(rr->remote_ident, "+1 555 0100");
	ck_assert_int_ge(p.phase_b_calls, 1);
	ck_assert_str_eq(p.phase_b_ident, "+1 555 0100");
	ck_assert_int_eq(p.phase_b_ecm, combos[_i].ecm);
	ck_assert_int_eq(p.phase_b_rate, tr->bit_rate);
	ck_assert_str_eq(tr->remote_ident, "+1 555 0199");
	/* Both followed T.30 to the release, having heard each other. */
	ck_assert_int_eq(tr->phase, FAX_PHASE_E);
	ck_assert_int_eq(rr->phase, FAX_PHASE_E);
	ck_assert_int_eq(tr->negotiated, 1);
	ck_assert_int_eq(rr->negotiated, 1);
	ck_assert_int_gt(tr->frames_rx, 0);
	ck_assert_int_gt(rr->frames_rx, 0);
	rate = tr->bit_rate;
	switch (combos[_i].modems) {
	case FAX_MODEM_V27TER:
		ck_assert(rate == 4800 || rate == 2400);
		break;
	case FAX_MODEM_V29:
		ck_assert(rate == 9600 || rate == 7200);
		break;
	default:
		ck_assert_int_eq(rate, 14400);
		break;
	}
	assert_same_doc(doc, n, ft_path("recv.tif"));
	pair_close(&p);
	free_doc(doc, n);
}
END_TEST

/* t37fax loopback's engine: same pixels, and the result line format. */
START_TEST(test_fax_loopback_engine)
{
	struct t37fax_loopback_opts o = { .ecm = 1, .t38 = _i };
	struct fax_result tr, rr;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 2, 99);
	char err[200], line[512];

	ck_assert_int_eq(t37fax_loopback_run(ft_path("s.tif"), ft_path("r.tif"),
	    &o, &tr, &rr, err, sizeof(err)), 0);
	ck_assert(t37fax_loopback_ok(&tr, &rr));
	assert_same_doc(doc, 2, ft_path("r.tif"));
	fax_result_format(&rr, line, sizeof(line));
	ck_assert_msg(strncmp(line, "result=ok pages=2 rate=14400 ecm=1 t38=",
	    39) == 0, "%s", line);
	ck_assert_ptr_nonnull(strstr(line, "remote=\"t37fax loopback tx\""));
	free_doc(doc, 2);
}
END_TEST

/* Success rules: a receiver hanging up after page 1 of 4. */
START_TEST(test_fax_partial_receive)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 4, 5);
	const struct fax_result *tr, *rr;

	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), _i, 1, FAX_MODEM_ALL,
	    0);
	p.stop_rx_after = 1;
	run_pair(&p, _i, 0, 600);
	tr = fax_session_result(p.tx);
	rr = fax_session_result(p.rx);
	ck_assert_int_ge(rr->pages_rx, 1);
	ck_assert_int_lt(rr->pages_rx, 4);
	ck_assert_str_eq(fax_status_str(rr->status), "partial");
	ck_assert_int_ne(tr->status, FAX_STATUS_OK);
	ck_assert_int_lt(tr->pages_tx, 4);
	ck_assert_int_eq(tr->pages_in_file, 4);
	/* The sender was sending or confirming a page when the call went. */
	ck_assert_msg(tr->phase == FAX_PHASE_C || tr->phase == FAX_PHASE_D,
	    "phase %s", fax_phase_str(tr->phase));
	ck_assert_int_eq(tr->negotiated, 1);
	ck_assert_int_gt(tr->bit_rate, 0);
	ck_assert_int_eq(p.done_calls[0], 1);
	ck_assert_int_eq(p.done_calls[1], 1);
	pair_close(&p);
	free_doc(doc, 4);
}
END_TEST

/* A receive with no page is a failure, whatever T.30 says. */
START_TEST(test_fax_no_pages_is_failure)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 1, 3);

	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), 0, 1, FAX_MODEM_ALL, 0);
	run_pair(&p, 0, 0, 2);		/* hung up 2 s in */
	ck_assert_str_eq(fax_status_str(fax_session_result(p.rx)->status),
	    "failed");
	ck_assert_int_eq(fax_session_result(p.rx)->pages_rx, 0);
	ck_assert_str_eq(fax_status_str(fax_session_result(p.tx)->status),
	    "failed");
	ck_assert_int_eq(access(ft_path("r.tif"), F_OK), -1);
	pair_close(&p);
	free_doc(doc, 1);
}
END_TEST

/* A file spandsp cannot send (8-bit grey, not normalized) never counts
 * as sent. */
START_TEST(test_fax_unsendable_file_not_ok)
{
	struct pair p;
	struct ft_page *pg = ft_pattern(1728, 100, 1);
	struct ft_layout L = { .bps = 8, .photometric = PHOTOMETRIC_MINISBLACK };

	ft_write1(ft_path("grey.tif"), pg, &L);
	pair_open(&p, ft_path("grey.tif"), ft_path("r.tif"), 0, 1,
	    FAX_MODEM_ALL, 0);
	run_pair(&p, 0, 0, 120);
	ck_assert_int_ne(fax_session_result(p.tx)->status, FAX_STATUS_OK);
	ck_assert_int_eq(fax_session_result(p.tx)->pages_tx, 0);
	ck_assert_int_eq(fax_session_result(p.rx)->pages_rx, 0);
	ck_assert_int_ne(fax_session_result(p.rx)->status, FAX_STATUS_OK);
	pair_close(&p);
	ft_page_free(pg);
}
END_TEST

/* Started in audio, both sides switched to T.38 after 1 s: the fax
 * restarts from phase A over T.38 and completes. */
START_TEST(test_fax_switch_to_t38)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 2, 11);
	const struct fax_result *rr;

	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), 0, 1, FAX_MODEM_ALL,
	    0);
	ck_assert_int_eq(fax_session_media(p.rx), FAX_MEDIA_AUDIO);
	run_pair(&p, 0, 50, 600);
	rr = fax_session_result(p.rx);
	ck_assert_str_eq(fax_status_str(rr->status), "ok");
	ck_assert_str_eq(fax_status_str(fax_session_result(p.tx)->status), "ok");
	ck_assert_int_eq(rr->switched_to_t38, 1);
	ck_assert_int_eq(rr->media, FAX_MEDIA_T38);
	ck_assert_int_eq(fax_session_media(p.tx), FAX_MEDIA_T38);
	ck_assert_int_eq(fax_session_switch_to_t38(p.tx, NULL), -1);
	assert_same_doc(doc, 2, ft_path("r.tif"));
	pair_close(&p);
	free_doc(doc, 2);
}
END_TEST

/* Received into memory (as a line thread does): no file is named, the
 * pages are whole in the memory file, also across the switch to T.38
 * (the T.30 engine is made again and opens the file again). */
START_TEST(test_fax_memory_receive)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 3, 23);
	const struct fax_result *rr;
	char path[64];
	int fd;

	pair_open(&p, ft_path("s.tif"), NULL, 0, 1, FAX_MODEM_ALL, 0);
	fd = fax_session_rx_fd(p.rx);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fax_session_rx_fd(p.tx), -1);
	run_pair(&p, 0, 50, 600);
	rr = fax_session_result(p.rx);
	ck_assert_str_eq(fax_status_str(rr->status), "ok");
	ck_assert_int_eq(rr->switched_to_t38, 1);
	ck_assert_int_eq(rr->pages_rx, 3);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	assert_same_doc(doc, 3, path);
	/* nothing was written beside the file sent */
	ck_assert_int_eq(access(ft_path("r.tif"), F_OK), -1);
	pair_close(&p);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);       /* closed with the session */
	free_doc(doc, 3);
}
END_TEST

/* Lost RTP blocks go through spandsp's fill-in: with ECM a page with a
 * few blocks lost on the way still arrives intact. */
START_TEST(test_fax_lost_blocks)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 2, 13);

	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), 0, 1, FAX_MODEM_ALL,
	    0);
	p.lose_every = 211;
	run_pair(&p, 0, 0, 600);
	ck_assert_str_eq(fax_status_str(fax_session_result(p.rx)->status), "ok");
	ck_assert_str_eq(fax_status_str(fax_session_result(p.tx)->status), "ok");
	assert_same_doc(doc, 2, ft_path("r.tif"));
	pair_close(&p);
	free_doc(doc, 2);
}
END_TEST

/* T.38 options: small datagrams and transferred TCF still carry the
 * fax; no packet is longer than T38FaxMaxDatagram. */
START_TEST(test_fax_t38_options)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 2, 17);

	pair_t38.max_datagram = 160;
	pair_t38.rate_management = _i ? FAX_T38_TRANSFERRED_TCF :
	    FAX_T38_LOCAL_TCF;
	pair_t38.max_rate = 9600;
	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), 1, _i, FAX_MODEM_ALL,
	    0);
	run_pair(&p, 1, 0, 600);
	ck_assert_str_eq(fax_status_str(fax_session_result(p.rx)->status), "ok");
	ck_assert_int_le(p.max_ifp, 160);
	ck_assert_int_gt(p.max_ifp, 0);
	ck_assert_int_le(fax_session_result(p.tx)->bit_rate, 9600);
	assert_same_doc(doc, 2, ft_path("r.tif"));
	pair_close(&p);
	free_doc(doc, 2);
	memset(&pair_t38, 0, sizeof(pair_t38));
}
END_TEST

/* A switch after the first page would restart the document over the
 * pages received: the session ends with them instead. */
START_TEST(test_fax_switch_after_page)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 4, 19);
	int16_t a[FAX_BLOCK_SAMPLES], b[FAX_BLOCK_SAMPLES];
	const struct fax_result *rr;
	int blk;

	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), 0, 1, FAX_MODEM_ALL,
	    0);
	for (blk = 0; blk < 600 * 50 && p.rx_pages_seen == 0; blk++) {
		fax_session_tx_audio(p.tx, a, FAX_BLOCK_SAMPLES);
		fax_session_tx_audio(p.rx, b, FAX_BLOCK_SAMPLES);
		fax_session_rx_audio(p.rx, a, FAX_BLOCK_SAMPLES);
		fax_session_rx_audio(p.tx, b, FAX_BLOCK_SAMPLES);
		fax_session_tick(p.tx, FAX_BLOCK_SAMPLES);
		fax_session_tick(p.rx, FAX_BLOCK_SAMPLES);
	}
	ck_assert_int_eq(p.rx_pages_seen, 1);
	ck_assert_int_eq(fax_session_switch_to_t38(p.rx, NULL), -1);
	ck_assert(fax_session_is_done(p.rx));
	ck_assert_int_eq(p.done_calls[1], 1);
	rr = fax_session_result(p.rx);
	ck_assert_str_eq(fax_status_str(rr->status), "partial");
	ck_assert_int_eq(rr->pages_rx, 1);
	ck_assert_str_eq(rr->completion_text, "switched to T.38 after a page");
	ck_assert_int_eq(rr->media, FAX_MEDIA_AUDIO);
	ck_assert_int_eq(ft_pages(ft_path("r.tif")), 1);
	pair_close(&p);
	free_doc(doc, 4);
}
END_TEST

/* The answerer hears CNG, the caller hears CED or the V.21 preamble. */
START_TEST(test_fax_tones)
{
	struct pair p;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 1, 2);

	pair_open(&p, ft_path("s.tif"), ft_path("r.tif"), 0, 1, FAX_MODEM_ALL,
	    FAX_TONE_KIND_CNG | FAX_TONE_KIND_CED);
	run_pair(&p, 0, 0, 600);
	ck_assert_int_eq(p.tones[FAX_TONE_CNG], 1);
	ck_assert_int_eq(p.tones[FAX_TONE_CED] + p.tones[FAX_TONE_V21_PREAMBLE],
	    1);
	ck_assert_str_eq(fax_status_str(fax_session_result(p.rx)->status), "ok");
	pair_close(&p);
	free_doc(doc, 1);
}
END_TEST

static int det_hits[4];

static void
det_cb(void *arg, enum fax_tone t)
{
	(void)arg;
	det_hits[t]++;
}

/* The standalone detector on a caller's first seconds of audio. */
START_TEST(test_fax_tone_detector)
{
	struct fax_session_options o;
	struct fax_session *s;
	struct fax_tone_detector *d;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 1, 2);
	int16_t a[FAX_BLOCK_SAMPLES];
	char err[200];
	int i;

	memset(det_hits, 0, sizeof(det_hits));
	fax_session_options_init(&o);
	o.calling_party = 1;
	o.tx_tiff = ft_path("s.tif");
	s = fax_session_new(&o, NULL, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	d = fax_tone_detector_new(FAX_TONE_KIND_CNG | FAX_TONE_KIND_CED, det_cb,
	    NULL);
	ck_assert_ptr_nonnull(d);
	for (i = 0; i < 150; i++) {	/* 3 s */
		fax_session_tx_audio(s, a, FAX_BLOCK_SAMPLES);
		fax_tone_detector_rx(d, a, FAX_BLOCK_SAMPLES);
		fax_session_rx_lost(s, FAX_BLOCK_SAMPLES);
		fax_session_tick(s, FAX_BLOCK_SAMPLES);
	}
	ck_assert_int_eq(det_hits[FAX_TONE_CNG], 1);
	ck_assert_int_eq(det_hits[FAX_TONE_CED], 0);
	ck_assert_str_eq(fax_tone_str(FAX_TONE_CNG), "cng");
	fax_tone_detector_free(d);
	fax_session_free(s);
	free_doc(doc, 1);
}
END_TEST

static int wd_done;

static void
wd_done_cb(void *arg, const struct fax_result *r)
{
	(void)arg;
	(void)r;
	wd_done++;
}

static void
wd_ifp(void *arg, const uint8_t *buf, int len, int count)
{
	(void)arg;
	(void)buf;
	(void)len;
	(void)count;			/* the peer never answers */
}

/* A silent peer: the watchdog ends the call, audio and T.38, idle and
 * maximum duration. */
START_TEST(test_fax_watchdog)
{
	struct fax_session_options o;
	struct fax_session_callbacks cb = { .done = wd_done_cb, .t38_tx = wd_ifp };
	struct fax_session *s;
	const struct fax_result *r;
	int16_t a[FAX_BLOCK_SAMPLES];
	char err[200];
	int i, idle = _i % 2 == 0, t38 = _i / 2;

	wd_done = 0;
	fax_session_options_init(&o);
	o.rx_tiff = ft_path("r.tif");
	o.media = t38 ? FAX_MEDIA_T38 : FAX_MEDIA_AUDIO;
	o.idle_timeout_ms = idle ? 4000 : 600000;
	o.max_duration_ms = idle ? 0 : 6000;
	s = fax_session_new(&o, &cb, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	for (i = 0; i < 50 * 30 && !fax_session_is_done(s); i++) {
		if (!t38) {
			fax_session_tx_audio(s, a, FAX_BLOCK_SAMPLES);
			memset(a, 0, sizeof(a));
			fax_session_rx_audio(s, a, FAX_BLOCK_SAMPLES);
		}
		fax_session_tick(s, FAX_BLOCK_SAMPLES);
	}
	ck_assert(fax_session_is_done(s));
	r = fax_session_result(s);
	ck_assert_str_eq(fax_status_str(r->status), "timeout");
	ck_assert_int_eq(wd_done, 1);
	/* No fax phase ran: no rate to report, and the far end never spoke
	 * T.30 (spandsp's statistics alone would say 14400). Our own DIS
	 * went out: phase B. */
	ck_assert_int_eq(r->negotiated, 0);
	ck_assert_int_eq(r->bit_rate, 0);
	ck_assert_int_eq(r->ecm, 0);
	ck_assert_int_eq(r->frames_rx, 0);
	ck_assert_int_eq(r->phase, FAX_PHASE_B);
	if (idle) {
		ck_assert_uint_ge(r->duration_ms, 4000);
		ck_assert_uint_le(r->duration_ms, 4100);
		ck_assert_ptr_nonnull(strstr(r->completion_text, "no progress"));
	} else {
		ck_assert_uint_ge(r->duration_ms, 6000);
		ck_assert_uint_le(r->duration_ms, 6100);
		ck_assert_ptr_nonnull(strstr(r->completion_text, "longer than"));
	}
	/* Calls after the end are harmless and fire nothing. */
	fax_session_terminate(s);
	fax_session_tick(s, FAX_BLOCK_SAMPLES);
	ck_assert_int_eq(wd_done, 1);
	fax_session_free(s);
}
END_TEST

/* Our outgoing audio says when it carries a signal: CNG bursts (0.5 s on,
 * 3 s off, T.30 5.2.1) from a caller nobody answers. */
START_TEST(test_fax_tx_signal)
{
	struct fax_session_options o;
	struct fax_session *s;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 1, 2);
	int16_t a[FAX_BLOCK_SAMPLES];
	char err[200];
	int i, on = 0, off = 0;

	fax_session_options_init(&o);
	o.calling_party = 1;
	o.tx_tiff = ft_path("s.tif");
	s = fax_session_new(&o, NULL, NULL, err, sizeof(err));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(fax_session_tx_signal(s), 0);
	for (i = 0; i < 200; i++) {	/* 4 s */
		fax_session_tx_audio(s, a, FAX_BLOCK_SAMPLES);
		if (fax_session_tx_signal(s))
			on++;
		else
			off++;
		fax_session_rx_lost(s, FAX_BLOCK_SAMPLES);
		fax_session_tick(s, FAX_BLOCK_SAMPLES);
	}
	ck_assert_int_ge(on, 20);	/* at least one burst */
	ck_assert_int_ge(off, 140);	/* and its pause */
	fax_session_free(s);
	ck_assert_str_eq(fax_phase_str(FAX_PHASE_D), "D");
	ck_assert_str_eq(fax_phase_words(FAX_PHASE_C), "page transfer");
	free_doc(doc, 1);
}
END_TEST

START_TEST(test_fax_bad_options)
{
	struct fax_session_options o;
	char err[200];

	fax_session_options_init(&o);
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "a session sends a file or receives one");
	o.rx_tiff = "/tmp/x.tif";
	o.ident = "123456789012345678901";
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "ident longer than 20 characters");
	o.ident = NULL;
	o.max_speed = 1200;
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "max speed 1200 outside 2400..14400");
	o.max_speed = 0;
	o.rx_tiff = NULL;
	o.tx_tiff = "/nonexistent/send.tif";
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_msg(strncmp(err, "file to send: /nonexistent/send.tif: ", 37)
	    == 0, "%s", err);
	o.tx_tiff = NULL;
	o.rx_tiff = "/nonexistent/recv.tif";
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "file to receive: /nonexistent/recv.tif: "
	    "No such file or directory");
	o.rx_tiff = "/tmp/x.tif";
	o.media = FAX_MEDIA_T38;
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "T.38 mode needs a packet callback");
	o.media = FAX_MEDIA_AUDIO;
	o.rx_memory = 1;                /* a file name, or memory: not both */
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "a session sends a file or receives one");
	o.rx_tiff = NULL;               /* Profile S needs a file to rewrite */
	ck_assert_ptr_null(fax_session_new(&o, NULL, NULL, err, sizeof(err)));
	ck_assert_str_eq(err, "a session receiving into memory leaves Profile S to its caller");
	fax_session_free(NULL);
}
END_TEST

/* max_speed caps the modem: 9600 leaves V.29 at most. */
START_TEST(test_fax_max_speed)
{
	struct t37fax_loopback_opts o = { .ecm = 1, .max_speed = 9600 };
	struct fax_result tr, rr;
	struct ft_page **doc = make_doc(ft_path("s.tif"), 1, 4);
	char err[200];

	ck_assert_int_eq(t37fax_loopback_run(ft_path("s.tif"), ft_path("r.tif"),
	    &o, &tr, &rr, err, sizeof(err)), 0);
	ck_assert(t37fax_loopback_ok(&tr, &rr));
	ck_assert_int_le(rr.bit_rate, 9600);
	free_doc(doc, 1);
}
END_TEST

START_TEST(test_fax_result_format)
{
	struct fax_result r;
	char buf[512];

	memset(&r, 0, sizeof(r));
	r.status = FAX_STATUS_PARTIAL;
	r.sending = 0;
	r.pages_rx = 3;
	r.bit_rate = 9600;
	r.ecm = 1;
	r.media = FAX_MEDIA_T38;
	r.duration_ms = 40600;
	r.completion_code = 37;
	snprintf(r.completion_text, sizeof(r.completion_text), "Unexpected DCN");
	snprintf(r.remote_ident, sizeof(r.remote_ident), "a\"b\n");
	fax_result_format(&r, buf, sizeof(buf));
	ck_assert_str_eq(buf, "result=partial pages=3 rate=9600 ecm=1 t38=1 "
	    "secs=41 code=37 reason=\"Unexpected DCN\" remote=\"a\\\"b\\x0a\"");
}
END_TEST

Suite *
suite_fax_session(void)
{
	Suite *s = suite_create("fax_session");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, ft_setup, ft_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_fax_back_to_back, 0,
	    (int)(sizeof(combos) / sizeof(combos[0])));
	tcase_add_loop_test(tc, test_fax_loopback_engine, 0, 2);
	tcase_add_loop_test(tc, test_fax_partial_receive, 0, 2);
	tcase_add_test(tc, test_fax_no_pages_is_failure);
	tcase_add_test(tc, test_fax_unsendable_file_not_ok);
	tcase_add_test(tc, test_fax_switch_to_t38);
	tcase_add_test(tc, test_fax_memory_receive);
	tcase_add_test(tc, test_fax_switch_after_page);
	tcase_add_test(tc, test_fax_tones);
	tcase_add_test(tc, test_fax_lost_blocks);
	tcase_add_loop_test(tc, test_fax_t38_options, 0, 2);
	tcase_add_test(tc, test_fax_tone_detector);
	tcase_add_loop_test(tc, test_fax_watchdog, 0, 4);
	tcase_add_test(tc, test_fax_tx_signal);
	tcase_add_test(tc, test_fax_bad_options);
	tcase_add_test(tc, test_fax_max_speed);
	tcase_add_test(tc, test_fax_result_format);
	suite_add_tcase(s, tc);
	return s;
}
