/*
 * sip/limits: what a line can carry, and what it says when a limit is hit.
 *
 *  - descriptors: the soft RLIMIT_NOFILE goes up to the hard one
 *    (sip_nofile_raise, called by the programs at start); libre's poll loop
 *    takes descriptors below a table size fixed when the line thread
 *    starts (FD_SETSIZE, 1024, unless told otherwise: line.c sizes it
 *    from this limit); each call holds up to SIP_FDS_PER_CALL;
 *  - ports: the rtp-ports range holds 2 ports per G.711 call, 3 when the
 *    call may switch to T.38 (ports.c takes them);
 *  - max-calls, as configured.
 * The capacity is the least of the three (sip_capacity_get); a call
 * beyond it is refused, and the refusal is logged with the limit's name:
 * the first of each limit in an interval at once, the rest as one summary
 * line at the end of the interval, so that a burst cannot flood the log.
 *
 * The SIP UDP sockets get a receive buffer for bursts of INVITEs
 * (SIP_UDP_RCVBUF, forced past net.core.rmem_max when the process may);
 * the same timer checks them for datagrams the kernel dropped because the
 * buffer was full (SO_MEMINFO) and logs any.
 *
 * A line thread that carries calls clocks their media every 20 ms: with
 * `sip realtime-priority` it asks for SCHED_RR so that busy programs at
 * normal priority beside it cannot hold it past a frame
 * (sip_limits_realtime); where that is not permitted it says so and goes
 * on at normal priority.
 *
 * It does not refuse calls itself (call.c asks) nor take ports (ports.c).
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/sock_diag.h>

#include "util/log.h"
#include "sip/internal.h"

/* Refusal summaries and the overflow check, this often. */
#define SIP_LIMIT_LOG_MS 10000
/* A burst of 500 INVITEs of ~1 KB takes ~1.2 MB of kernel buffer (each
 * datagram is charged its skb, ~2.3 KB); the default is ~200 KB. */
#define SIP_UDP_RCVBUF (4 * 1024 * 1024)

#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

/* Table of contents. */
static void sip_limits_tick(void *arg);
static void sip_limits_summary(struct sip_line *line);
static void sip_limits_overflow(struct sip_line *line);
static int sip_limits_find_udp(const struct sa *laddr, const int *skip, unsigned nskip);
static void sip_limits_rcvbuf(struct sip_line *line, unsigned i, int fd);
static int sip_limits_drops(int fd, uint32_t *drops, uint32_t *rcvbuf);

void
sip_limits_realtime(const struct sip_line_options *o, int reload)
{
	struct sched_param sp;
	struct rlimit rl;
	int err;

	memset(&sp, 0, sizeof(sp));
	if (o->rt_priority == 0) {
		if (reload && (err = pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp)) == 0)
			log_info("sip: event=realtime policy=other result=ok");
		else if (reload)
			log_warnx("sip: event=realtime policy=other result=failed reason=\"%s\"",
			    strerror(err));
		return;
	}
	sp.sched_priority = (int)(o->rt_priority < SIP_RT_PRIORITY_MAX ? o->rt_priority :
	    SIP_RT_PRIORITY_MAX);
	if ((err = pthread_setschedparam(pthread_self(), SCHED_RR, &sp)) == 0) {
		log_info("sip: event=realtime policy=rr priority=%d result=ok", sp.sched_priority);
		return;
	}
	if (getrlimit(RLIMIT_RTPRIO, &rl) != 0)
		rl.rlim_cur = 0;
	log_warnx("sip: event=realtime policy=rr priority=%d result=refused rtprio-limit=%llu "
	    "reason=\"%s\" (normal scheduling: allow it with LimitRTPRIO=%d, or run as root)",
	    sp.sched_priority, (unsigned long long)rl.rlim_cur, strerror(err), sp.sched_priority);
}

const char *
sip_limit_name(enum sip_limit l)
{
	switch (l) {
	case SIP_LIMIT_MAX_CALLS:   return "max-calls";
	case SIP_LIMIT_DESCRIPTORS: return "descriptors";
	case SIP_LIMIT_PORTS:       return "ports";
	case SIP_LIMIT_N:           break;
	}
	return "?";
}

int
sip_nofile_raise(unsigned long long *was, unsigned long long *now)
{
	struct rlimit rl;

	*was = *now = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	*was = *now = rl.rlim_cur;
	if (rl.rlim_cur >= rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
		return -1;
	*now = rl.rlim_cur;
	return 0;
}

void
sip_capacity_get(const struct sip_line_options *o, unsigned long long nofile,
    struct sip_capacity *c)
{
	struct rlimit rl;

	memset(c, 0, sizeof(*c));
	if (nofile == 0)
		nofile = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
	c->nofile = nofile;
	c->max_fds = nofile < SIP_LINE_MAX_FDS ? (unsigned)nofile : SIP_LINE_MAX_FDS;
	c->fd_calls = c->max_fds > SIP_FD_RESERVE ?
	    (c->max_fds - SIP_FD_RESERVE) / SIP_FDS_PER_CALL : 0;
	c->ports = o->rtp_port_max >= o->rtp_port_min ?
	    (unsigned)(o->rtp_port_max - o->rtp_port_min) + 1 : 0;
	c->ports_per_call = o->t38 == SIP_T38_OFF ? 2 : 3;
	c->port_calls = c->ports / c->ports_per_call;
	c->max_calls = o->max_calls;
	c->calls = c->max_calls;
	c->limit = sip_limit_name(SIP_LIMIT_MAX_CALLS);
	if (c->fd_calls < c->calls) {
		c->calls = c->fd_calls;
		c->limit = sip_limit_name(SIP_LIMIT_DESCRIPTORS);
	}
	if (c->port_calls < c->calls) {
		c->calls = c->port_calls;
		c->limit = sip_limit_name(SIP_LIMIT_PORTS);
	}
}

void
sip_capacity_format(const struct sip_capacity *c, const struct sip_line_options *o,
    char *buf, size_t size)
{
	snprintf(buf, size, " calls=%u limit=%s max-calls=%u fds-per-call=%u fd-capacity=%u "
	    "rtp-ports=%u-%u ports-per-call=%u port-capacity=%u", c->calls, c->limit,
	    c->max_calls, SIP_FDS_PER_CALL, c->fd_calls, o->rtp_port_min, o->rtp_port_max,
	    c->ports_per_call, c->port_calls);
}

void
sip_limits_update(struct sip_line *line)
{
	unsigned max_fds = line->cap.max_fds;

	sip_capacity_get(&line->opts, 0, &line->cap);
	/* The poll table was sized once, when the thread started. */
	if (max_fds != 0 && max_fds < line->cap.max_fds) {
		line->cap.max_fds = max_fds;
		line->cap.fd_calls = max_fds > SIP_FD_RESERVE ?
		    (max_fds - SIP_FD_RESERVE) / SIP_FDS_PER_CALL : 0;
	}
}

/* --- refusals ------------------------------------------------------------ */

void
sip_limit_hit(struct sip_line *line, enum sip_limit l, const char *call_id,
    const char *detail)
{
	char what[128];

	if (line->limit_logged[l]) {
		line->limit_refused[l]++;
		return;
	}
	line->limit_logged[l] = true;
	switch (l) {
	case SIP_LIMIT_MAX_CALLS:
		snprintf(what, sizeof(what), "max-calls=%u", line->opts.max_calls);
		break;
	case SIP_LIMIT_DESCRIPTORS:
		snprintf(what, sizeof(what), "nofile=%llu fd-capacity=%u reason=\"raise "
		    "LimitNOFILE\"", line->cap.nofile, line->cap.fd_calls);
		break;
	default:
		snprintf(what, sizeof(what), "rtp-ports=%u-%u held=%u taken-by-others=%u "
		    "reason=\"every port of the range is in use\"",
		    line->opts.rtp_port_min, line->opts.rtp_port_max, line->ports_held,
		    line->ports_skipped);
		break;
	}
	log_warnx("%s%s%sevent=call-limit limit=%s calls=%u %s%s", call_id[0] != '\0' ?
	    "call=" : "", call_id, call_id[0] != '\0' ? " " : "", sip_limit_name(l),
	    list_count(&line->calls), what, detail);
}

int
sip_limit_port_refusal(struct sip_line *line, const char *call_id, enum sip_port_status st,
    const char *detail, char *why, size_t whylen)
{
	enum sip_limit l = st == SIP_PORT_NOFILE ? SIP_LIMIT_DESCRIPTORS : SIP_LIMIT_PORTS;

	if (st == SIP_PORT_FAILED) {
		snprintf(why, whylen, "%s", sip_port_status_name(st));
		return 0;
	}
	sip_limit_hit(line, l, call_id, detail);
	snprintf(why, whylen, "%s (limit=%s)", sip_port_status_name(st), sip_limit_name(l));
	return 1;
}

static void
sip_limits_summary(struct sip_line *line)
{
	unsigned l;

	for (l = 0; l < SIP_LIMIT_N; l++) {
		if (line->limit_refused[l] > 0)
			log_warnx("event=call-limit limit=%s refused=%u interval=%us calls=%u",
			    sip_limit_name((enum sip_limit)l), line->limit_refused[l],
			    SIP_LIMIT_LOG_MS / 1000, list_count(&line->calls));
		line->limit_refused[l] = 0;
		line->limit_logged[l] = false;
	}
}

/* --- the SIP sockets -------------------------------------------------- */

/* The descriptor of this process's UDP socket bound to laddr (any port
 * when its port is 0) that is not in skip, or -1. libre does not hand out
 * the sockets of its SIP transports. */
static int
sip_limits_find_udp(const struct sa *laddr, const int *skip, unsigned nskip)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	if (d == NULL)
		return -1;
	while (found < 0 && (e = readdir(d)) != NULL) {
		struct sa sa;
		int fd = atoi(e->d_name), type = 0;
		socklen_t len = sizeof(type);
		unsigned i;

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd == dirfd(d))
			continue;
		for (i = 0; i < nskip && skip[i] != fd; i++)
			;
		if (i < nskip)
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_DGRAM)
			continue;
		sa_init(&sa, AF_UNSPEC);
		sa.len = sizeof(sa.u);
		if (getsockname(fd, &sa.u.sa, &sa.len) != 0 ||
		    !sa_cmp(&sa, laddr, SA_ADDR) ||
		    (sa_port(laddr) != 0 && sa_port(&sa) != sa_port(laddr)))
			continue;
		found = fd;
	}
	closedir(d);
	return found;
}

static void
sip_limits_rcvbuf(struct sip_line *line, unsigned i, int fd)
{
	const char *listen = line->opts.listen_udp[i];
	int want = SIP_UDP_RCVBUF, got = 0;
	socklen_t len = sizeof(got);
	uint32_t drops = 0, rcvbuf = 0;

	/* SO_RCVBUFFORCE passes net.core.rmem_max where the process may
	 * (t37gw binds as root); else SO_RCVBUF, capped by it. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) != 0)
		got = 0;
	/* Linux reports twice what was set (its bookkeeping overhead). */
	if (got / 2 < want)
		log_warnx("sip listen=udp:%s rcvbuf=%d wanted=%d reason=\"capped by "
		    "net.core.rmem_max: a burst of INVITEs may overflow it\"", listen, got / 2,
		    want);
	else
		log_info("sip listen=udp:%s rcvbuf=%d", listen, got / 2);
	sip_limits_drops(fd, &drops, &rcvbuf);
	line->sip_fd[i] = fd;
	line->sip_drops[i] = drops;
}

static int
sip_limits_drops(int fd, uint32_t *drops, uint32_t *rcvbuf)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	memset(mem, 0, sizeof(mem));
	if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) != 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return -1;
	*drops = mem[SK_MEMINFO_DROPS];
	*rcvbuf = mem[SK_MEMINFO_RCVBUF];
	return 0;
}

static void
sip_limits_overflow(struct sip_line *line)
{
	unsigned i;

	for (i = 0; i < line->nsip_fd; i++) {
		uint32_t drops, rcvbuf;

		if (line->sip_fd[i] < 0 || sip_limits_drops(line->sip_fd[i], &drops, &rcvbuf) != 0 ||
		    drops == line->sip_drops[i])
			continue;
		log_warnx("event=sip-overflow listen=udp:%s dropped=%u total=%u rcvbuf=%u "
		    "calls=%u reason=\"the SIP socket's receive buffer was full: requests were "
		    "lost (peers retransmit them)\"", line->opts.listen_udp[i],
		    drops - line->sip_drops[i], drops, rcvbuf, list_count(&line->calls));
		line->sip_drops[i] = drops;
	}
}

static void
sip_limits_tick(void *arg)
{
	struct sip_line *line = arg;

	sip_limits_summary(line);
	sip_limits_overflow(line);
	tmr_start(&line->limit_tmr, SIP_LIMIT_LOG_MS, sip_limits_tick, line);
}

void
sip_limits_start(struct sip_line *line)
{
	struct sa sa;
	unsigned i;
	int fd;

	for (i = 0; i < SIP_MAX_LISTEN; i++)
		line->sip_fd[i] = -1;
	line->nsip_fd = line->opts.nlisten_udp < SIP_MAX_LISTEN ? line->opts.nlisten_udp :
	    SIP_MAX_LISTEN;
	for (i = 0; i < line->nsip_fd; i++) {
		if (sip_line_addr(line->opts.listen_udp[i], &sa) != 0 ||
		    (fd = sip_limits_find_udp(&sa, line->sip_fd, i)) < 0) {
			log_warnx("sip listen=udp:%s rcvbuf=unknown reason=\"socket not found\"",
			    line->opts.listen_udp[i]);
			continue;
		}
		sip_limits_rcvbuf(line, i, fd);
	}
	tmr_start(&line->limit_tmr, SIP_LIMIT_LOG_MS, sip_limits_tick, line);
}

void
sip_limits_stop(struct sip_line *line)
{
	tmr_cancel(&line->limit_tmr);
	sip_limits_summary(line);
}
