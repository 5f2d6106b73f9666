/*
 * tools/t37fax_loopback.c: `t37fax loopback` runs a sending and a receiving
 * fax session back-to-back in one process, audio samples or T.38 IFP
 * packets passed in memory, as fast as the CPU allows. The input is
 * normalized first, like every sending path of the gateway.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fax/fax.h"
#include "tools/t37fax.h"

#define LOOPBACK_MAX_PACKETS	1024	/* IFP packets in flight per side */
#define LOOPBACK_MAX_IFP	2048	/* bytes; a datagram is <= 1500 */
#define LOOPBACK_DEFAULT_SECONDS 1800	/* simulated line time cap */

/* IFP packets from one side waiting for the other. */
struct ifp_queue {
	struct {
		uint16_t len;
		uint8_t buf[LOOPBACK_MAX_IFP];
	} *pkt;				/* owned, LOOPBACK_MAX_PACKETS */
	unsigned head, count;
	uint16_t seq;
	int overflow;
};

static void	 ifp_out(void *, const uint8_t *, int, int);
static int	 ifp_deliver(struct ifp_queue *, struct fax_session *);
static int	 loopback_usage(void);

static void
ifp_out(void *arg, const uint8_t *buf, int len, int count)
{
	struct ifp_queue *q = arg;
	unsigned slot;

	/* In memory nothing is lost: one copy is enough, whatever `count`
	 * asks of a real UDPTL link. */
	(void)count;
	if (len <= 0 || len > LOOPBACK_MAX_IFP || q->count == LOOPBACK_MAX_PACKETS) {
		q->overflow = 1;
		return;
	}
	slot = (q->head + q->count) % LOOPBACK_MAX_PACKETS;
	q->pkt[slot].len = (uint16_t)len;
	memcpy(q->pkt[slot].buf, buf, (size_t)len);
	q->count++;
}

/* Delivers what is queued now (packets the receiver sends in response
 * land in the other queue). Returns the number delivered. */
static int
ifp_deliver(struct ifp_queue *q, struct fax_session *to)
{
	unsigned n = q->count, i;

	for (i = 0; i < n; i++) {
		fax_session_rx_ifp(to, q->pkt[q->head].buf, q->pkt[q->head].len,
		    q->seq++);
		q->head = (q->head + 1) % LOOPBACK_MAX_PACKETS;
		q->count--;
	}
	return (int)n;
}

int
t37fax_loopback_run(const char *tx_tiff, const char *rx_tiff,
    const struct t37fax_loopback_opts *o, struct fax_result *txr,
    struct fax_result *rxr, char *err, size_t errlen)
{
	struct fax_session_options so, ro;
	struct fax_session_callbacks scb, rcb;
	struct fax_session *tx = NULL, *rx = NULL;
	struct ifp_queue to_rx, to_tx;
	int16_t a[FAX_BLOCK_SAMPLES], b[FAX_BLOCK_SAMPLES];
	uint64_t blocks, max_blocks;
	int rc = -1;

	memset(&to_rx, 0, sizeof(to_rx));
	memset(&to_tx, 0, sizeof(to_tx));
	memset(&scb, 0, sizeof(scb));
	memset(&rcb, 0, sizeof(rcb));
	fax_session_options_init(&so);
	so.calling_party = 1;
	so.media = o->t38 ? FAX_MEDIA_T38 : FAX_MEDIA_AUDIO;
	so.ecm = o->ecm;
	so.modems = o->modems ? o->modems : FAX_MODEM_ALL;
	so.max_speed = o->max_speed;
	so.ident = o->tx_ident ? o->tx_ident : "t37fax loopback tx";
	so.idle_timeout_ms = o->idle_timeout_ms;
	ro = so;
	ro.calling_party = 0;
	ro.ident = o->rx_ident ? o->rx_ident : "t37fax loopback rx";
	ro.profile_s = o->passthrough ? 0 : 1;
	so.tx_tiff = tx_tiff;
	ro.rx_tiff = rx_tiff;
	if (o->t38) {
		to_rx.pkt = calloc(LOOPBACK_MAX_PACKETS, sizeof(*to_rx.pkt));
		to_tx.pkt = calloc(LOOPBACK_MAX_PACKETS, sizeof(*to_tx.pkt));
		if (to_rx.pkt == NULL || to_tx.pkt == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		scb.t38_tx = ifp_out;
		rcb.t38_tx = ifp_out;
	}
	if ((tx = fax_session_new(&so, &scb, &to_rx, err, errlen)) == NULL ||
	    (rx = fax_session_new(&ro, &rcb, &to_tx, err, errlen)) == NULL)
		goto out;
	max_blocks = (uint64_t)(o->max_seconds ? o->max_seconds :
	    LOOPBACK_DEFAULT_SECONDS) * (FAX_SAMPLE_RATE / FAX_BLOCK_SAMPLES);
	for (blocks = 0; blocks < max_blocks; blocks++) {
		if (fax_session_is_done(tx) && fax_session_is_done(rx))
			break;
		if (o->t38) {
			fax_session_tick(tx, FAX_BLOCK_SAMPLES);
			fax_session_tick(rx, FAX_BLOCK_SAMPLES);
			/* Bounded: each round answers the previous one. */
			for (int round = 0; round < 8; round++)
				if (ifp_deliver(&to_rx, rx) +
				    ifp_deliver(&to_tx, tx) == 0)
					break;
			if (to_rx.overflow || to_tx.overflow) {
				snprintf(err, errlen, "IFP queue overflow");
				goto out;
			}
		} else {
			fax_session_tx_audio(tx, a, FAX_BLOCK_SAMPLES);
			fax_session_tx_audio(rx, b, FAX_BLOCK_SAMPLES);
			fax_session_rx_audio(rx, a, FAX_BLOCK_SAMPLES);
			fax_session_rx_audio(tx, b, FAX_BLOCK_SAMPLES);
			fax_session_tick(tx, FAX_BLOCK_SAMPLES);
			fax_session_tick(rx, FAX_BLOCK_SAMPLES);
		}
	}
	/* Out of line time: hang up both, like a BYE. */
	fax_session_terminate(tx);
	fax_session_terminate(rx);
	*txr = *fax_session_result(tx);
	*rxr = *fax_session_result(rx);
	rc = 0;
out:
	fax_session_free(tx);
	fax_session_free(rx);
	free(to_rx.pkt);
	free(to_tx.pkt);
	return rc;
}

int
t37fax_loopback_ok(const struct fax_result *txr, const struct fax_result *rxr)
{
	return txr->status == FAX_STATUS_OK && rxr->status == FAX_STATUS_OK &&
	    rxr->pages_rx == txr->pages_in_file && txr->pages_in_file > 0;
}

static int
loopback_usage(void)
{
	fprintf(stderr, "usage: t37fax %s\n", T37FAX_LOOPBACK_USAGE);
	return 2;
}

int
t37fax_loopback(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "t38", no_argument, NULL, 't' },
		{ "no-ecm", no_argument, NULL, 'n' },
		{ "modem", required_argument, NULL, 'm' },
		{ "passthrough", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct t37fax_loopback_opts o;
	struct fax_tiff_info info;
	struct fax_result txr, rxr, line;
	const char *in;
	char tmp[] = "/tmp/t37fax-loopback-XXXXXX", path[64], err[256];
	char out[512];
	int c, ok;

	memset(&o, 0, sizeof(o));
	o.ecm = 1;
	optind = 0;			/* GNU: full reset, the tool may rerun */
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.t38 = 1;
			break;
		case 'n':
			o.ecm = 0;
			break;
		case 'p':
			o.passthrough = 1;
			break;
		case 'm':
			if (strcmp(optarg, "v17") == 0)
				o.modems = FAX_MODEM_V17;
			else if (strcmp(optarg, "v29") == 0)
				o.modems = FAX_MODEM_V29;
			else if (strcmp(optarg, "v27ter") == 0)
				o.modems = FAX_MODEM_V27TER;
			else {
				fprintf(stderr, "t37fax loopback: unknown modem "
				    "'%s' (v17, v29 or v27ter)\n", optarg);
				return 2;
			}
			break;
		default:
			return loopback_usage();
		}
	}
	if (argc - optind != 2)
		return loopback_usage();
	in = argv[optind];
	if (mkdtemp(tmp) == NULL) {
		perror("t37fax loopback: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/send.tif", tmp);
	if (fax_tiff_normalize(&in, 1, path, NULL, &info, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "t37fax loopback: %s: %s\n", in, err);
		rmdir(tmp);
		return 1;
	}
	if (t37fax_loopback_run(path, argv[optind + 1], &o, &txr, &rxr, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "t37fax loopback: %s\n", err);
		unlink(path);
		rmdir(tmp);
		return 1;
	}
	unlink(path);
	rmdir(tmp);
	/* One line, what arrived: the receiver's view, judged by both. */
	ok = t37fax_loopback_ok(&txr, &rxr);
	line = rxr;
	if (!ok && line.status == FAX_STATUS_OK)
		line.status = txr.status == FAX_STATUS_OK ? FAX_STATUS_PARTIAL :
		    txr.status;
	if (!ok && line.completion_code == 0)
		snprintf(line.completion_text, sizeof(line.completion_text),
		    "sender: %.80s", txr.completion_text);
	fax_result_format(&line, out, sizeof(out));
	printf("%s sent=%d of=%d\n", out, txr.pages_tx, txr.pages_in_file);
	return ok ? 0 : 1;
}
