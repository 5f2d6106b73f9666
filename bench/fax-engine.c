/*
 * bench/fax-engine: the cost of fax/ over raw spandsp. The same one-page
 * call (V.17, ECM, G.711 audio back-to-back in memory) runs through a
 * minimal raw spandsp loop and through fax/ sessions, alternately, in one
 * process; prints CPU microseconds per second of line audio for both and
 * the ratio. Target: fax/ <= 1.10 x raw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <spandsp.h>

#include "fax/fax.h"

#define BENCH_ROUNDS		16
#define BENCH_MAX_BLOCKS	(600 * 50)	/* 10 min of line time */

struct raw_end {
	fax_state_t *fax;
	int done;
	int code;
};

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
raw_phase_e(t30_state_t *t, void *ud, int code)
{
	struct raw_end *e = ud;

	(void)t;
	e->done = 1;
	e->code = code;
}

static void
raw_setup(struct raw_end *e, int calling, const char *tx, const char *rx)
{
	t30_state_t *t;

	memset(e, 0, sizeof(*e));
	e->fax = fax_init(NULL, calling);
	fax_set_transmit_on_idle(e->fax, 1);
	t = fax_get_t30_state(e->fax);
	t30_set_supported_modems(t, T30_SUPPORT_V27TER | T30_SUPPORT_V29 |
	    T30_SUPPORT_V17);
	t30_set_ecm_capability(t, 1);
	t30_set_supported_compressions(t, T30_SUPPORT_T4_1D_COMPRESSION |
	    T30_SUPPORT_T4_2D_COMPRESSION | T30_SUPPORT_T6_COMPRESSION);
	if (tx != NULL)
		t30_set_tx_file(t, tx, -1, -1);
	if (rx != NULL)
		t30_set_rx_file(t, rx, -1);
	t30_set_phase_e_handler(t, raw_phase_e, e);
}

/* Returns blocks of audio used; -1 on failure. */
static long
run_raw(const char *tx, const char *rx)
{
	struct raw_end a, b;
	int16_t ba[FAX_BLOCK_SAMPLES], bb[FAX_BLOCK_SAMPLES];
	long blk;

	raw_setup(&a, 1, tx, NULL);
	raw_setup(&b, 0, NULL, rx);
	for (blk = 0; blk < BENCH_MAX_BLOCKS && !(a.done && b.done); blk++) {
		int n;

		n = fax_tx(a.fax, ba, FAX_BLOCK_SAMPLES);
		if (n < FAX_BLOCK_SAMPLES)
			memset(ba + n, 0, (size_t)(FAX_BLOCK_SAMPLES - n) * 2);
		n = fax_tx(b.fax, bb, FAX_BLOCK_SAMPLES);
		if (n < FAX_BLOCK_SAMPLES)
			memset(bb + n, 0, (size_t)(FAX_BLOCK_SAMPLES - n) * 2);
		fax_rx(b.fax, ba, FAX_BLOCK_SAMPLES);
		fax_rx(a.fax, bb, FAX_BLOCK_SAMPLES);
	}
	fax_free(a.fax);
	fax_free(b.fax);
	return a.code == T30_ERR_OK && b.code == T30_ERR_OK ? blk : -1;
}

static long
run_fax(const char *tx, const char *rx)
{
	struct fax_session_options o;
	struct fax_session *a, *b;
	int16_t ba[FAX_BLOCK_SAMPLES], bb[FAX_BLOCK_SAMPLES];
	char err[200];
	long blk;
	int ok;

	fax_session_options_init(&o);
	o.calling_party = 1;
	o.tx_tiff = tx;
	a = fax_session_new(&o, NULL, NULL, err, sizeof(err));
	o.calling_party = 0;
	o.tx_tiff = NULL;
	o.rx_tiff = rx;
	o.profile_s = 0;		/* raw spandsp's file, like the raw loop */
	b = fax_session_new(&o, NULL, NULL, err, sizeof(err));
	if (a == NULL || b == NULL) {
		fprintf(stderr, "fax-engine: %s\n", err);
		exit(1);
	}
	for (blk = 0; blk < BENCH_MAX_BLOCKS && !(fax_session_is_done(a) &&
	    fax_session_is_done(b)); blk++) {
		fax_session_tx_audio(a, ba, FAX_BLOCK_SAMPLES);
		fax_session_tx_audio(b, bb, FAX_BLOCK_SAMPLES);
		fax_session_rx_audio(b, ba, FAX_BLOCK_SAMPLES);
		fax_session_rx_audio(a, bb, FAX_BLOCK_SAMPLES);
		fax_session_tick(a, FAX_BLOCK_SAMPLES);
		fax_session_tick(b, FAX_BLOCK_SAMPLES);
	}
	ok = fax_session_result(a)->status == FAX_STATUS_OK &&
	    fax_session_result(b)->status == FAX_STATUS_OK;
	fax_session_free(a);
	fax_session_free(b);
	return ok ? blk : -1;
}

int
main(void)
{
	char dir[] = "/tmp/t37-bench-XXXXXX", tx[64], rx[64], err[200];
	char text[8192];
	double t0, cpu_raw = 0, cpu_fax = 0, s_raw = 0, s_fax = 0;
	size_t n = 0;
	long blocks;
	int i;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(tx, sizeof(tx), "%s/tx.tif", dir);
	snprintf(rx, sizeof(rx), "%s/rx.tif", dir);
	for (i = 0; i < 50 && n + 100 < sizeof(text); i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
		    "%02d The quick brown fox jumps over the lazy dog; "
		    "0123456789 fax engine benchmark line.\n", i);
	if (fax_text_render(text, n, NULL, tx, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "fax-engine: %s\n", err);
		return 1;
	}
	for (i = 0; i < BENCH_ROUNDS; i++) {
		t0 = cpu_now();
		if ((blocks = run_raw(tx, rx)) < 0) {
			fprintf(stderr, "fax-engine: raw spandsp call failed\n");
			return 1;
		}
		cpu_raw += cpu_now() - t0;
		s_raw += blocks / 50.0;
		unlink(rx);
		t0 = cpu_now();
		if ((blocks = run_fax(tx, rx)) < 0) {
			fprintf(stderr, "fax-engine: fax/ call failed\n");
			return 1;
		}
		cpu_fax += cpu_now() - t0;
		s_fax += blocks / 50.0;
		unlink(rx);
	}
	unlink(tx);
	rmdir(dir);
	printf("fax-engine: raw spandsp %.1f us CPU per audio second, fax/ %.1f "
	    "us (%d calls of %.0f s each), ratio %.3f (target <= 1.10)\n",
	    cpu_raw / s_raw * 1e6, cpu_fax / s_fax * 1e6, BENCH_ROUNDS,
	    s_fax / BENCH_ROUNDS, (cpu_fax / s_fax) / (cpu_raw / s_raw));
	return 0;
}
