/*
 * tools/t37fax: the subcommands of the t37fax tool. Each returns the
 * process exit code: 0 when the fax completed with every page, 1 when it
 * did not, 2 on bad usage.
 */
#ifndef T37FAX_H
#define T37FAX_H

#include "fax/fax.h"

/* t37fax loopback [--t38] [--no-ecm] [--modem v17|v29|v27ter] IN.tif OUT.tif */
#define T37FAX_LOOPBACK_USAGE \
	"loopback [--t38] [--no-ecm] [--modem v17|v29|v27ter] [--passthrough] IN.tif OUT.tif"
int t37fax_loopback(int argc, char **argv);

/* The engine of `t37fax loopback`, for tests and benchmarks: sends the
 * normalized file tx_tiff to a receiver writing rx_tiff, both sessions in
 * this process. Zero fields of *o are defaults. Returns 0 with both results
 * (whatever the fax outcome), or -1 with err when the run could not start. */
struct t37fax_loopback_opts {
	int t38;			/* T.38 IFP packets instead of audio */
	int ecm;			/* ECM on both sides */
	int modems;			/* FAX_MODEM_*; 0 = all */
	int max_speed;			/* 0 = no cap */
	int passthrough;		/* keep spandsp's file, no Profile S */
	unsigned max_seconds;		/* simulated line time; 0 = 1800 */
	unsigned idle_timeout_ms;	/* watchdog; 0 = default */
	const char *tx_ident;		/* NULL = a default */
	const char *rx_ident;
};
int t37fax_loopback_run(const char *tx_tiff, const char *rx_tiff,
    const struct t37fax_loopback_opts *o, struct fax_result *txr,
    struct fax_result *rxr, char *err, size_t errlen);
/* 1 when the sender says OK and the receiver got every page of the file. */
int t37fax_loopback_ok(const struct fax_result *txr,
    const struct fax_result *rxr);

/* t37fax send / answer: a soft fax machine over SIP (tools/t37fax_sip.c). */
#define T37FAX_SEND_USAGE \
	"send [--from NUMBER] [--ident TSI] [--t38|--t38-offer|--g711] [--no-ecm] " \
	"[--loss PCT] [--jitter MS] [--timeout SEC] [--listen ADDR:PORT] [--proxy SIP-URI] " \
	"[--auth USER:PASSWORD] [--calls N] [--max-rate BPS] [--realtime-priority N] [--threads N] " \
	"SIP-URI FILE.tif..."
#define T37FAX_ANSWER_USAGE \
	"answer --listen ADDR:PORT --out DIR [--count N] [--ident CSI] [--t38|--g711] " \
	"[--busy] [--no-answer] [--no-ecm] [--loss PCT] [--jitter MS] [--max-rate BPS] " \
	"[--silent-rx] [--t38-refuse STATUS|none] [--realtime-priority N] [--threads N]"
int t37fax_send(int argc, char **argv);
int t37fax_answer(int argc, char **argv);

#endif
