/*
 * sip/lanes: the threads that run the calls' 20 ms frames (RTP and UDPTL
 * receive, fax DSP, sends) beside the line thread. Private to sip/.
 *
 * Fork and join: at each tick the line thread hands the calls due to
 * sip_lanes_run(), works through them together with the lanes, and goes
 * on once every call is done. While they run, the line thread does
 * nothing else, so a call's state still has one owner at a time and
 * needs no lock: the lanes touch no libre object (no timer, no allocated
 * mbuf, no libre socket call; datagrams come in by recvmmsg() and go out
 * by sendto() on the socket's descriptor) and nothing of the line but its
 * read-only options.
 *
 * It does not decide what a frame does (media.c) nor when (clock.c).
 */
#ifndef SIP_LANES_H
#define SIP_LANES_H

#include <stdbool.h>

#include "sip/sip.h"

/* Most threads a line runs its frames on (sip threads N). */
#define SIP_LANES_MAX SIP_THREADS_MAX

struct sip_lanes;

/* One item's work; runs on any lane, one item on one lane at a time. */
typedef void sip_lanes_fn(void *item);

/* n threads in all, the line thread among them: n - 1 are started (none
 * for n <= 1: everything runs on the caller). The lanes ask for SCHED_RR
 * at rt_priority (0: normal). NULL with err when a thread cannot start. */
struct sip_lanes *sip_lanes_new(unsigned n, unsigned rt_priority, char *err, size_t errlen);
/* Stops and joins the lanes. Accepts NULL. */
void sip_lanes_free(struct sip_lanes *l);
/* Threads in all, the caller's among them. */
unsigned sip_lanes_count(const struct sip_lanes *l);
/* Runs fn on each of the n items, spread over the lanes and the calling
 * thread, and returns when all are done. The caller owns items. */
void sip_lanes_run(struct sip_lanes *l, void **items, unsigned n, sip_lanes_fn *fn);
/* The lanes' scheduling after a reload: SCHED_RR at rt_priority, or
 * normal for 0. Logs what could not be had. */
void sip_lanes_realtime(struct sip_lanes *l, unsigned rt_priority);
/* How many items each thread ran since the start (the caller's first),
 * into counts[0..max-1]; the number of threads. */
unsigned sip_lanes_counts(struct sip_lanes *l, unsigned long *counts, unsigned max);
/* The threads in all for a setting of 0: one per online core. */
unsigned sip_lanes_default(void);

#endif
