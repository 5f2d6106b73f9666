/*
 * sip/clock: the line's 20 ms media clock. One timer for all answered
 * calls: at each tick the calls' frames (media.c) run on the media
 * threads (lanes.c), the line thread among them, and then, back on the
 * line thread alone, what a frame may lead to in SIP: the fax is done, a
 * fax tone asks for T.38, the dead-call check (watch.c), the call's
 * maximum duration, the status the control socket shows.
 *
 * Deadlines are absolute (a late wake-up does not move the next one).
 * One frame per tick: when behind, the next tick runs from a zero timer,
 * after libre has polled the SIP sockets again. The first frame after a
 * stall reads the packets that queued meanwhile (media.c), and the frames
 * that catch up play them instead of declaring them lost.
 * Beyond SIP_TICK_MAX_BEHIND frames the clock skips ahead.
 *
 * It does not touch the media itself: media.c does.
 */
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "sip/internal.h"
#include "sip/lanes.h"

/* Table of contents. */
static void sip_clock_tick(void *arg);
static void sip_clock_after(struct sip_call *call, uint64_t now);
static unsigned sip_clock_due(struct sip_line *line);
static void sip_clock_skip(struct sip_line *line, uint64_t now);
static unsigned sip_clock_threads(const struct sip_line *line,
    const struct sip_line_options *o);
static void sip_clock_log_frames(struct sip_line *line);

static unsigned
sip_clock_threads(const struct sip_line *line, const struct sip_line_options *o)
{
	/* A delayed datagram (test peers' --jitter) waits on a libre timer,
	 * which only the line thread may start. */
	if (o->tx_jitter_ms > 0)
		return 1;
	return o->threads > 0 ? o->threads : line->cores;
}

int
sip_clock_init(struct sip_line *line)
{
	char err[128];
	unsigned n = sip_clock_threads(line, &line->opts);

	list_init(&line->clocked);
	tmr_init(&line->clock_tmr);
	line->lanes = sip_lanes_new(n, line->opts.rt_priority, err, sizeof(err));
	if (line->lanes == NULL) {
		log_warnx("sip: %s; the calls' media runs on the line thread alone", err);
		line->lanes = sip_lanes_new(1, 0, err, sizeof(err));
		if (line->lanes == NULL)
			return -1;
	}
	log_info("sip: event=media-threads threads=%u", sip_lanes_count(line->lanes));
	return 0;
}

void
sip_clock_reconfigure(struct sip_line *line, unsigned threads, unsigned rt_priority)
{
	struct sip_line_options o = line->opts;
	struct sip_lanes *l;
	char err[128];

	o.threads = threads;
	o.rt_priority = rt_priority;
	if (sip_clock_threads(line, &o) == sip_lanes_count(line->lanes)) {
		if (rt_priority != line->opts.rt_priority)
			sip_lanes_realtime(line->lanes, rt_priority);
		line->opts.threads = threads;
		return;
	}
	/* Between ticks the lanes hold nothing: a new set takes over. */
	l = sip_lanes_new(sip_clock_threads(line, &o), rt_priority, err, sizeof(err));
	if (l == NULL) {
		log_warnx("sip: %s; the media threads stay as they were", err);
		return;
	}
	sip_clock_log_frames(line);
	sip_lanes_free(line->lanes);
	line->lanes = l;
	line->opts.threads = threads;
	log_info("sip: event=media-threads threads=%u", sip_lanes_count(l));
}

void
sip_clock_close(struct sip_line *line)
{
	tmr_cancel(&line->clock_tmr);
	sip_clock_log_frames(line);
	sip_lanes_free(line->lanes);
	line->lanes = NULL;
	free(line->tick_calls);
	line->tick_calls = NULL;
	line->tick_cap = 0;
}

void
sip_clock_start(struct sip_call *call)
{
	struct sip_line *line = call->line;

	if (call->clocked)
		return;
	call->clocked = true;
	list_append(&line->clocked, &call->clock_le, call);
	call->last_rx_ms = tmr_jiffies();
	call->last_tx_ms = call->last_rx_ms;
	/* The call's first frame comes with the line's next tick. */
	if (!tmr_isrunning(&line->clock_tmr)) {
		line->next_tick = tmr_jiffies() + SIP_FRAME_MS;
		tmr_start(&line->clock_tmr, SIP_FRAME_MS, sip_clock_tick, line);
	}
}

void
sip_clock_stop(struct sip_call *call)
{
	if (!call->clocked)
		return;
	list_unlink(&call->clock_le);
	call->clocked = false;
	call->tone_t38 = false;
}

/* How many call frames each media thread ran, the line thread's first:
 * how evenly the calls were spread ("frames=1200/1180"). */
static void
sip_clock_log_frames(struct sip_line *line)
{
	unsigned long counts[SIP_LANES_MAX];
	char buf[SIP_LANES_MAX * 21 + 1];
	size_t off = 0;
	unsigned n, i;

	if (line->lanes == NULL)
		return;
	n = sip_lanes_counts(line->lanes, counts, SIP_LANES_MAX);
	buf[0] = '\0';
	for (i = 0; i < n && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%lu", i > 0 ? "/" : "",
		    counts[i]);
	log_info("sip: event=media-threads-done threads=%u frames=%s", n, buf);
}

/* --- the tick --------------------------------------------------------- */

static void
sip_clock_tick(void *arg)
{
	struct sip_line *line = arg;
	uint64_t now = tmr_jiffies();
	unsigned n, i;

	if (list_isempty(&line->clocked))
		return;         /* the last call left: start again with the next */
	/* Woken early, no frame runs, but the checks below still do. */
	n = sip_clock_due(line);
	if (line->next_tick <= now) {
		sip_lanes_run(line->lanes, line->tick_calls, n, sip_media_frame);
		line->next_tick += SIP_FRAME_MS;
	}
	if (line->next_tick + SIP_FRAME_MS * SIP_TICK_MAX_BEHIND < now)
		sip_clock_skip(line, now);
	/* The frames may have ended a call; they did not free one (calls are
	 * freed from a timer of their own). */
	for (i = 0; i < n; i++)
		sip_clock_after(line->tick_calls[i], now);
	if (list_isempty(&line->clocked))
		return;
	tmr_start(&line->clock_tmr, line->next_tick > now ? line->next_tick - now : 0,
	    sip_clock_tick, line);
}

/* The clocked calls into line->tick_calls; how many. */
static unsigned
sip_clock_due(struct sip_line *line)
{
	unsigned n = list_count(&line->clocked), i = 0;
	struct le *le;
	void **grown;

	if (n > line->tick_cap) {
		grown = realloc(line->tick_calls, (size_t)n * 2 * sizeof(*grown));
		if (grown == NULL) {
			/* Under memory pressure: the calls that fit this time. */
			log_warnx("sip: clock: out of memory for %u calls", n);
			n = line->tick_cap;
		} else {
			line->tick_calls = grown;
			line->tick_cap = n * 2;
		}
	}
	for (le = list_head(&line->clocked); le != NULL && i < n; le = le->next)
		line->tick_calls[i++] = le->data;
	return i;
}

/* Stalled: skip ahead. The RTP timestamp jumps by the time skipped (RFC
 * 3550 5.1) so that the peer sees the gap. */
static void
sip_clock_skip(struct sip_line *line, uint64_t now)
{
	uint64_t skipped = (now - line->next_tick) / SIP_FRAME_MS + 1;
	struct le *le;
	struct sip_call *call;

	for (le = list_head(&line->clocked); le != NULL; le = le->next) {
		call = le->data;
		log_info("call=%s clock: %llu frames skipped", call->id,
		    (unsigned long long)skipped);
		call->rtp_ts += (uint32_t)(skipped * SIP_FRAME_SAMPLES);
	}
	line->next_tick += skipped * SIP_FRAME_MS;
}

/* What a frame leads to in SIP, on the line thread. */
static void
sip_clock_after(struct sip_call *call, uint64_t now)
{
	const struct sip_line_options *o = &call->line->opts;

	if (!call->clocked)
		return;
	sip_status_call(call);
	if (call->fax_done) {
		sip_call_fax_finished(call);
		return;
	}
	if (call->tone_t38) {
		call->tone_t38 = false;
		sip_call_want_t38(call);
		if (!call->clocked)
			return;         /* the offer could not go out: hung up */
	}
	/* No "media timeout" on the peer's silence alone: see watch.c. */
	sip_watch_media(call, now);
	if (o->max_call_s > 0 &&
	    now - call->answer_ms > (uint64_t)o->max_call_s * 1000u)
		sip_call_hangup(call, SIP_CAUSE_LOCAL, "maximum call duration");
}
