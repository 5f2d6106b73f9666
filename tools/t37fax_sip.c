/*
 * tools/t37fax_sip.c: `t37fax send` and `t37fax answer`, a soft fax
 * machine over SIP built on the gateway's own line (sip/): the same SIP,
 * RTP, jitter buffer, UDPTL and T.38 switch-over code the daemon runs.
 *
 * Each finished call prints one line on stdout:
 *   call=ID result=ok|failed|busy|noanswer pages=N rate=N ecm=0|1 t38=0|1
 *   secs=N sip=STATUS cause=CAUSE [t30_phase=X t30_code=N] [file=PATH]
 *   ani=CALLING dnis=CALLED remote=TSI|CSI reason="..."
 * (rate and ecm are 0 when no fax phase ran).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fax/fax.h"
#include "util/log.h"
#include "sip/sip.h"
#include "tools/t37fax.h"

#define T37FAX_SIP_WAIT_MS 1000
/* send: a call ends by itself (ring timeout, watchdogs); this only bounds
 * the wait for the line's final event. */
#define T37FAX_SEND_MAX_S 3600
/* --calls: simultaneous calls from one process (load generation). */
#define T37FAX_MAX_CALLS 1000
#define T37FAX_CALL_SPACING_MS 50

struct t37fax_answer_ctx {
	char out_dir[PATH_MAX - 64];
	char ident[SIP_IDENT_MAX];
	bool busy, no_answer, ecm;
	unsigned max_rate;
};

/* Table of contents. */
static int t37fax_parse_pct(const char *s, double *out);
static int t37fax_parse_uint(const char *s, unsigned max, unsigned *out);
static int t37fax_parse_rate(const char *s, unsigned *out);
static int t37fax_parse_refuse(const char *s, int *out);
static const char *t37fax_result_word(enum sip_result r);
static void t37fax_print_result(const struct sip_event *ev);
static void t37fax_answer_profile_s(const struct sip_event *ev);
static void t37fax_local_listen(const char *uri, char *out, size_t outsz);
static void t37fax_answer_route(const struct sip_call_info *info,
    struct sip_route_decision *d, void *arg);
static void t37fax_limits(const struct sip_line_options *lo);
static int t37fax_send_usage(void);
static int t37fax_answer_usage(void);

static int
t37fax_parse_pct(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || end == s || v < 0 || v > 100)
		return -1;
	*out = v;
	return 0;
}

static int
t37fax_parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || *s == '-' || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* --max-rate: a T.30 modem rate. */
static int
t37fax_parse_rate(const char *s, unsigned *out)
{
	static const unsigned rates[] = { 2400, 4800, 7200, 9600, 12000, 14400 };
	unsigned v, i;

	if (t37fax_parse_uint(s, 14400, &v) < 0)
		return -1;
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (v == rates[i]) {
			*out = v;
			return 0;
		}
	return -1;
}

/* --t38-refuse: a final status 300..699, or "none" (never answer). */
static int
t37fax_parse_refuse(const char *s, int *out)
{
	unsigned v;

	if (strcmp(s, "none") == 0) {
		*out = SIP_T38_REFUSE_SILENT;
		return 0;
	}
	if (t37fax_parse_uint(s, 699, &v) < 0 || v < 300)
		return -1;
	*out = (int)v;
	return 0;
}

/* The four words of the result line. */
static const char *
t37fax_result_word(enum sip_result r)
{
	switch (r) {
	case SIP_RESULT_OK:       return "ok";
	case SIP_RESULT_BUSY:     return "busy";
	case SIP_RESULT_NOANSWER: return "noanswer";
	default:                  return "failed";
	}
}

static void
t37fax_print_result(const struct sip_event *ev)
{
	char reason[LOG_ESC_BUFSZ], csi[LOG_ESC_BUFSZ], ani[LOG_ESC_BUFSZ], dnis[LOG_ESC_BUFSZ];

	printf("call=%s result=%s pages=%u rate=%u ecm=%d t38=%d secs=%u sip=%d cause=%s",
	    ev->call_id, t37fax_result_word(ev->result), ev->pages, ev->rate, ev->ecm ? 1 : 0,
	    ev->t38 ? 1 : 0, ev->secs, ev->sip_status, sip_cause_name(ev->cause));
	if (ev->cause == SIP_CAUSE_T30 || ev->cause == SIP_CAUSE_NOT_FAX)
		printf(" t30_phase=%c t30_code=%d", ev->t30_phase != 0 ? ev->t30_phase : '-',
		    ev->t30_code);
	if (ev->dir == SIP_DIR_ONRAMP && ev->pages > 0)
		printf(" file=%s", ev->rx_path);
	/* who called whom: answer shows the caller's number as received
	 * (P-Asserted-Identity, else From), remote= its TSI */
	printf(" ani=%s dnis=%s", log_str(ani, sizeof(ani), ev->ani),
	    log_str(dnis, sizeof(dnis), ev->dnis));
	printf(" remote=%s reason=%s\n", log_str(csi, sizeof(csi), ev->remote_ident),
	    log_str(reason, sizeof(reason), ev->reason));
	fflush(stdout);
}

/* The line leaves spandsp's MH file as it is: the received fax is
 * rewritten to Profile S here, on the main thread, before it is reported. */
static void
t37fax_answer_profile_s(const struct sip_event *ev)
{
	char err[256];

	if (ev->dir != SIP_DIR_ONRAMP || ev->pages == 0 || ev->rx_path[0] == '\0')
		return;
	if (fax_tiff_profile_s(ev->rx_path, ev->rx_path, NULL, err, sizeof(err)) != 0)
		fprintf(stderr, "t37fax answer: %s: Profile S: %s (kept as received)\n",
		    ev->rx_path, err);
}

/* A loopback target gets a loopback listener; anything else the wildcard. */
static void
t37fax_local_listen(const char *uri, char *out, size_t outsz)
{
	const char *at = strchr(uri, '@');
	const char *host = at != NULL ? at + 1 : strchr(uri, ':') + 1;

	if (strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0)
		snprintf(out, outsz, "127.0.0.1:0");
	else if (strncmp(host, "[::1]", 5) == 0)
		snprintf(out, outsz, "[::1]:0");
	else
		snprintf(out, outsz, "0.0.0.0:0");
}

/* Many calls (--calls, --count) need many descriptors: the soft limit goes
 * up to the hard one, and the capacity that leaves is logged. */
static void
t37fax_limits(const struct sip_line_options *lo)
{
	struct sip_capacity cap;
	unsigned long long was, now;
	char calls[256];
	int rc = sip_nofile_raise(&was, &now);

	sip_capacity_get(lo, now, &cap);
	sip_capacity_format(&cap, lo, calls, sizeof(calls));
	if (rc != 0)
		log_warn("event=limits nofile=%llu raise=failed%s", now, calls);
	else
		log_info("event=limits nofile=%llu was=%llu%s", now, was, calls);
}

static int
t37fax_send_usage(void)
{
	fprintf(stderr, "usage: t37fax %s\n", T37FAX_SEND_USAGE);
	return 2;
}

int
t37fax_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "ident", required_argument, NULL, 'i' },
		{ "t38", no_argument, NULL, 'T' },
		{ "t38-offer", no_argument, NULL, 'O' },
		{ "g711", no_argument, NULL, 'G' },
		{ "no-ecm", no_argument, NULL, 'E' },
		{ "loss", required_argument, NULL, 'l' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "listen", required_argument, NULL, 'L' },
		{ "proxy", required_argument, NULL, 'P' },
		{ "auth", required_argument, NULL, 'A' },
		{ "calls", required_argument, NULL, 'C' },
		{ "max-rate", required_argument, NULL, 'R' },
		{ "realtime-priority", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	struct sip_line_options lo;
	struct sip_dial_request req;
	struct sip_trunk *trunk = &lo.trunks[0];
	const char *colon;
	struct fax_tiff_info info;
	struct sip_line *line;
	struct chan *events = NULL;
	struct sip_event *ev;
	char tmp[] = "/tmp/t37fax-send-XXXXXX", tx[PATH_MAX], err[256], listen[SIP_ADDR_MAX] = "";
	unsigned timeout = 60, waited = 0, calls = 1, finished = 0, ok = 0, i;
	int c, rc = 1;
	bool ecm = true;

	sip_line_options_init(&lo);
	lo.t38 = SIP_T38_ACCEPT;
	memset(&req, 0, sizeof(req));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': snprintf(req.from, sizeof(req.from), "%s", optarg); break;
		case 'i':
			if (strlen(optarg) > FAX_IDENT_MAX) {
				fprintf(stderr, "t37fax send: --ident is at most %d characters\n",
				    FAX_IDENT_MAX);
				return 2;
			}
			snprintf(req.fax.ident, sizeof(req.fax.ident), "%s", optarg);
			break;
		case 'T': lo.t38 = SIP_T38_ON; break;
		case 'O': lo.t38 = SIP_T38_IMMEDIATE; break;
		case 'G': lo.t38 = SIP_T38_OFF; break;
		case 'E': ecm = false; break;
		case 'l':
			if (t37fax_parse_pct(optarg, &lo.tx_loss_pct) < 0) {
				fprintf(stderr, "t37fax send: --loss wants 0..100\n");
				return 2;
			}
			break;
		case 'j':
			if (t37fax_parse_uint(optarg, 1000, &lo.tx_jitter_ms) < 0) {
				fprintf(stderr, "t37fax send: --jitter wants 0..1000 ms\n");
				return 2;
			}
			break;
		case 't':
			if (t37fax_parse_uint(optarg, 3600, &timeout) < 0 || timeout == 0) {
				fprintf(stderr, "t37fax send: --timeout wants 1..3600 s\n");
				return 2;
			}
			break;
		case 'r':
			if (t37fax_parse_uint(optarg, SIP_RT_PRIORITY_MAX, &lo.rt_priority) < 0) {
				fprintf(stderr, "t37fax %s: --realtime-priority wants 0..%d\n",
				    "send", SIP_RT_PRIORITY_MAX);
				return 2;
			}
			break;
		case 'H':
			if (t37fax_parse_uint(optarg, SIP_THREADS_MAX, &lo.threads) < 0) {
				fprintf(stderr, "t37fax %s: --threads wants 0..%d\n", "send",
				    SIP_THREADS_MAX);
				return 2;
			}
			break;
		case 'L': snprintf(listen, sizeof(listen), "%s", optarg); break;
		case 'P':
			if (strncmp(optarg, "sip:", 4) != 0) {
				fprintf(stderr, "t37fax send: --proxy wants a sip: URI\n");
				return 2;
			}
			snprintf(trunk->proxy, sizeof(trunk->proxy), "%s", optarg);
			break;
		case 'A':
			colon = strchr(optarg, ':');
			if (colon == NULL || colon == optarg ||
			    (size_t)(colon - optarg) >= sizeof(trunk->user)) {
				fprintf(stderr, "t37fax send: --auth wants USER:PASSWORD\n");
				return 2;
			}
			snprintf(trunk->user, sizeof(trunk->user), "%.*s", (int)(colon - optarg),
			    optarg);
			snprintf(trunk->password, sizeof(trunk->password), "%s", colon + 1);
			break;
		case 'C':
			if (t37fax_parse_uint(optarg, T37FAX_MAX_CALLS, &calls) < 0 || calls == 0) {
				fprintf(stderr, "t37fax send: --calls wants 1..%d\n", T37FAX_MAX_CALLS);
				return 2;
			}
			break;
		case 'R':
			if (t37fax_parse_rate(optarg, &req.fax.max_rate) < 0) {
				fprintf(stderr, "t37fax send: --max-rate wants 2400, 4800, 7200, "
				    "9600, 12000 or 14400\n");
				return 2;
			}
			break;
		default: return t37fax_send_usage();
		}
	}
	if (argc - optind < 2)
		return t37fax_send_usage();
	if (strncmp(argv[optind], "sip:", 4) != 0) {
		fprintf(stderr, "t37fax send: %s: not a sip: URI\n", argv[optind]);
		return 2;
	}
	log_init("t37fax", 0, LOG_LVL_INFO);
	/* Normalize the files into one fax document, as the gateway does. */
	if (mkdtemp(tmp) == NULL) {
		fprintf(stderr, "t37fax send: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	snprintf(tx, sizeof(tx), "%s/send.tif", tmp);
	if (fax_tiff_normalize((const char *const *)&argv[optind + 1], argc - optind - 1, tx,
	    NULL, &info, err, sizeof(err)) < 0) {
		fprintf(stderr, "t37fax send: %s\n", err);
		rmdir(tmp);
		return 1;
	}
	if (listen[0] == '\0')
		t37fax_local_listen(argv[optind], listen, sizeof(listen));
	snprintf(lo.listen_udp[0], sizeof(lo.listen_udp[0]), "%s", listen);
	lo.nlisten_udp = 1;
	req.job_id = 1;
	snprintf(req.target, sizeof(req.target), "%s", argv[optind]);
	if (trunk->proxy[0] != '\0' || trunk->user[0] != '\0') {
		/* through a proxy and/or with credentials: the line's trunk path,
		 * sip:NUMBER@DOMAIN split back out of the URI */
		const char *user = argv[optind] + 4, *at = strchr(user, '@');
		if (at == NULL || at == user) {
			fprintf(stderr, "t37fax send: %s: no number@host\n", argv[optind]);
			goto out;
		}
		snprintf(trunk->name, sizeof(trunk->name), "cli");
		snprintf(trunk->domain, sizeof(trunk->domain), "%s", at + 1);
		snprintf(req.number, sizeof(req.number), "%.*s", (int)(at - user), user);
		snprintf(req.target, sizeof(req.target), "cli");
		lo.ntrunks = 1;
	}
	lo.max_calls = calls;
	t37fax_limits(&lo);
	if ((events = chan_new()) == NULL ||
	    (line = sip_line_start(&lo, events)) == NULL) {
		fprintf(stderr, "t37fax send: cannot start the SIP line on %s\n", listen);
		goto out;
	}
	req.fax.ecm = ecm;
	req.t38_allowed = lo.t38 != SIP_T38_OFF;
	snprintf(req.tx_path, sizeof(req.tx_path), "%s", tx);
	req.ring_timeout_s = timeout;
	for (i = 0; i < calls; i++) {
		/* Calls arrive like real traffic, not all in the same
		 * millisecond: T.30 phase changes (page reads) stay spread. */
		if (i > 0)
			usleep(T37FAX_CALL_SPACING_MS * 1000);
		req.job_id = i + 1;
		if (sip_line_dial(line, &req) < 0) {
			fprintf(stderr, "t37fax send: cannot queue the call\n");
			sip_line_stop(line);
			goto out;
		}
	}
	while (finished < calls) {
		ev = sip_event_wait(events, T37FAX_SIP_WAIT_MS);
		if (ev == NULL) {
			if (++waited > T37FAX_SEND_MAX_S)
				break;
			continue;
		}
		if (ev->type == SIP_EV_CALL_FINISHED) {
			t37fax_print_result(ev);
			finished++;
			if (ev->result == SIP_RESULT_OK && ev->pages == info.pages)
				ok++;
		}
		free(ev);
	}
	rc = ok == calls ? 0 : 1;
	sip_line_stop(line);
out:
	chan_free(events, NULL);
	unlink(tx);
	rmdir(tmp);
	return rc;
}

/* Runs on the line thread: reads only ctx, which does not change. */
static void
t37fax_answer_route(const struct sip_call_info *info, struct sip_route_decision *d,
    void *arg)
{
	const struct t37fax_answer_ctx *ctx = arg;

	if (ctx->busy) {
		d->action = SIP_ROUTE_REJECT_BUSY;
		return;
	}
	d->action = ctx->no_answer ? SIP_ROUTE_RING_ONLY : SIP_ROUTE_ACCEPT;
	snprintf(d->rx_path, sizeof(d->rx_path), "%s/%s.tif", ctx->out_dir, info->call_id);
	snprintf(d->fax.ident, sizeof(d->fax.ident), "%s", ctx->ident);
	d->fax.ecm = ctx->ecm;
	d->fax.max_rate = ctx->max_rate;
}

static int
t37fax_answer_usage(void)
{
	fprintf(stderr, "usage: t37fax %s\n", T37FAX_ANSWER_USAGE);
	return 2;
}

int
t37fax_answer(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'L' },
		{ "out", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'n' },
		{ "ident", required_argument, NULL, 'i' },
		{ "t38", no_argument, NULL, 'T' },
		{ "g711", no_argument, NULL, 'G' },
		{ "busy", no_argument, NULL, 'b' },
		{ "no-answer", no_argument, NULL, 'N' },
		{ "no-ecm", no_argument, NULL, 'E' },
		{ "loss", required_argument, NULL, 'l' },
		{ "jitter", required_argument, NULL, 'j' },
		{ "max-rate", required_argument, NULL, 'R' },
		{ "silent-rx", no_argument, NULL, 'S' },
		{ "t38-refuse", required_argument, NULL, 'F' },
		{ "realtime-priority", required_argument, NULL, 'r' },
		{ "threads", required_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	static struct t37fax_answer_ctx ctx;     /* read by the line thread */
	struct sip_line_options lo;
	struct sip_line *line;
	struct chan *events;
	struct sip_event *ev;
	unsigned count = 1, done = 0, ok = 0;
	int c;

	sip_line_options_init(&lo);
	lo.t38 = SIP_T38_ACCEPT;
	memset(&ctx, 0, sizeof(ctx));
	ctx.ecm = true;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (t37fax_parse_uint(optarg, SIP_RT_PRIORITY_MAX, &lo.rt_priority) < 0) {
				fprintf(stderr, "t37fax %s: --realtime-priority wants 0..%d\n",
				    "answer", SIP_RT_PRIORITY_MAX);
				return 2;
			}
			break;
		case 'H':
			if (t37fax_parse_uint(optarg, SIP_THREADS_MAX, &lo.threads) < 0) {
				fprintf(stderr, "t37fax %s: --threads wants 0..%d\n", "answer",
				    SIP_THREADS_MAX);
				return 2;
			}
			break;
		case 'L':
			snprintf(lo.listen_udp[0], sizeof(lo.listen_udp[0]), "%s", optarg);
			lo.nlisten_udp = 1;
			break;
		case 'o': snprintf(ctx.out_dir, sizeof(ctx.out_dir), "%s", optarg); break;
		case 'n':
			if (t37fax_parse_uint(optarg, 100000, &count) < 0 || count == 0) {
				fprintf(stderr, "t37fax answer: --count wants a positive number\n");
				return 2;
			}
			break;
		case 'i':
			if (strlen(optarg) > FAX_IDENT_MAX) {
				fprintf(stderr, "t37fax answer: --ident is at most %d characters\n",
				    FAX_IDENT_MAX);
				return 2;
			}
			snprintf(ctx.ident, sizeof(ctx.ident), "%s", optarg);
			break;
		case 'T': lo.t38 = SIP_T38_ON; break;
		case 'G': lo.t38 = SIP_T38_OFF; break;
		case 'b': ctx.busy = true; break;
		case 'N': ctx.no_answer = true; break;
		case 'E': ctx.ecm = false; break;
		case 'l':
			if (t37fax_parse_pct(optarg, &lo.tx_loss_pct) < 0) {
				fprintf(stderr, "t37fax answer: --loss wants 0..100\n");
				return 2;
			}
			break;
		case 'j':
			if (t37fax_parse_uint(optarg, 1000, &lo.tx_jitter_ms) < 0) {
				fprintf(stderr, "t37fax answer: --jitter wants 0..1000 ms\n");
				return 2;
			}
			break;
		case 'R':
			if (t37fax_parse_rate(optarg, &ctx.max_rate) < 0) {
				fprintf(stderr, "t37fax answer: --max-rate wants 2400, 4800, 7200, "
				    "9600, 12000 or 14400\n");
				return 2;
			}
			break;
		case 'S': lo.vad = true; break;
		case 'F':
			if (t37fax_parse_refuse(optarg, &lo.t38_refuse) < 0) {
				fprintf(stderr, "t37fax answer: --t38-refuse wants a status "
				    "300..699 or none\n");
				return 2;
			}
			break;
		default: return t37fax_answer_usage();
		}
	}
	if (optind != argc || lo.nlisten_udp == 0 || ctx.out_dir[0] == '\0')
		return t37fax_answer_usage();
	if (access(ctx.out_dir, W_OK) != 0) {
		fprintf(stderr, "t37fax answer: %s: %s\n", ctx.out_dir, strerror(errno));
		return 1;
	}
	log_init("t37fax", 0, LOG_LVL_INFO);
	lo.route = t37fax_answer_route;
	lo.route_arg = &ctx;
	lo.max_calls = count;
	t37fax_limits(&lo);
	if ((events = chan_new()) == NULL ||
	    (line = sip_line_start(&lo, events)) == NULL) {
		fprintf(stderr, "t37fax answer: cannot listen on %s\n", lo.listen_udp[0]);
		chan_free(events, NULL);
		return 1;
	}
	fprintf(stderr, "t37fax answer: listening on %s\n", lo.listen_udp[0]);
	while (done < count) {
		ev = sip_event_wait(events, T37FAX_SIP_WAIT_MS);
		if (ev == NULL)
			continue;
		if (ev->type == SIP_EV_CALL_FINISHED) {
			t37fax_answer_profile_s(ev);
			t37fax_print_result(ev);
			done++;
			if (ev->result == SIP_RESULT_OK)
				ok++;
		}
		free(ev);
	}
	sip_line_stop(line);
	chan_free(events, NULL);
	return ok == count ? 0 : 1;
}
