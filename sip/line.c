/*
 * sip/line: a line thread and its two channels (see sip.h for the thread
 * model).
 *
 * sip_line_start() makes the line's inbox and creates the thread, which
 * initializes libre for itself (re_thread_init), opens the SIP transports,
 * the session socket and the OPTIONS responder, registers trunks, watches
 * the inbox with fd_listen() and runs re_main(). Commands arrive on the
 * inbox; events leave on the caller's events chan.
 *
 * It does not handle calls itself: call.c and media.c do.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sip/admit.h"
#include "sip/internal.h"
#include "sip/lanes.h"
#include "util/chan.h"
#include "util/log.h"
#include "util/thread_role.h"

#define SIP_ALLOW_HDR "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
#define SIP_HASH_SIZE 32
#define SIP_DEFAULT_PORT 5060

/* Table of contents. */
static void *sip_line_main(void *arg);
static int sip_line_setup(struct sip_line *line);
static void sip_line_teardown(struct sip_line *line);
static void sip_line_inbox(int flags, void *arg);
static void sip_line_cmd(struct sip_line *line, struct sip_cmd *cmd);
static int sip_line_send(struct sip_line *line, struct sip_cmd *cmd);
static void sip_line_conn(const struct sip_msg *msg, void *arg);
static bool sip_line_request(const struct sip_msg *msg, void *arg);
static void sip_line_exit(void *arg);
static void sip_line_stop_tmr(void *arg);
static void sip_line_quit(struct sip_line *line);
static void sip_line_register(struct sip_line *line);
static void sip_line_reg_resp(int err, const struct sip_msg *msg, void *arg);
static int sip_line_reg_auth(char **user, char **pass, const char *realm, void *arg);
static void sip_line_libre_init(void);

static pthread_once_t sip_line_once = PTHREAD_ONCE_INIT;

void
sip_line_options_init(struct sip_line_options *o)
{
	memset(o, 0, sizeof(*o));
	o->t38 = SIP_T38_ON;
	o->codec = SIP_CODEC_PCMU;
	o->rtp_port_min = 20000;
	o->rtp_port_max = 29999;
	o->max_calls = 64;
	o->udptl_redundancy = SIP_UDPTL_DEFAULT_REDUNDANCY;
	o->jitter_ms = 60;
	o->media_timeout_s = 30;
	o->probe_wait_ms = SIP_PROBE_WAIT_DEFAULT_MS;
	o->max_call_s = 1800;
	o->ring_timeout_s = 60;
	o->reinvite_timeout_ms = 5000;
	snprintf(o->user_agent, sizeof(o->user_agent), "t37gw/%s", T37GW_VERSION);
}

const char *
sip_result_name(enum sip_result r)
{
	switch (r) {
	case SIP_RESULT_OK:        return "ok";
	case SIP_RESULT_PARTIAL:   return "partial";
	case SIP_RESULT_BUSY:      return "busy";
	case SIP_RESULT_NOANSWER:  return "noanswer";
	case SIP_RESULT_REJECTED:  return "rejected";
	case SIP_RESULT_FAILED:    return "failed";
	}
	return "failed";
}

/* --- caller side ------------------------------------------------------ */

struct sip_line *
sip_line_start(const struct sip_line_options *opts, struct chan *events)
{
	struct sip_line *line = calloc(1, sizeof(*line));
	char cerr[128];
	int err, ready;

	if (line == NULL)
		return NULL;
	if ((line->inbox = chan_new()) == NULL) {
		free(line);
		return NULL;
	}
	line->opts = *opts;
	line->events = events;
	/* Counted here: sysconf reads /sys, a file the line thread must not
	 * open (it stays off every file system). */
	line->cores = sip_lanes_default();
	if ((line->rxcopy = sip_rxcopy_new(events, cerr, sizeof(cerr))) == NULL) {
		log_warnx("sip: %s", cerr);
		chan_free(line->inbox, NULL);
		free(line);
		return NULL;
	}
	pthread_mutex_init(&line->lock, NULL);
	pthread_cond_init(&line->cond, NULL);
	if ((err = pthread_create(&line->thread, NULL, sip_line_main, line)) != 0) {
		pthread_mutex_destroy(&line->lock);
		pthread_cond_destroy(&line->cond);
		sip_rxcopy_free(line->rxcopy);
		chan_free(line->inbox, NULL);
		free(line);
		errno = err;
		return NULL;
	}
	pthread_mutex_lock(&line->lock);
	while (line->ready == 0)
		pthread_cond_wait(&line->cond, &line->lock);
	ready = line->ready;
	pthread_mutex_unlock(&line->lock);
	if (ready < 0) {
		pthread_join(line->thread, NULL);
		sip_rxcopy_free(line->rxcopy);
		pthread_mutex_destroy(&line->lock);
		pthread_cond_destroy(&line->cond);
		chan_free(line->inbox, NULL);
		free(line);
		errno = EADDRNOTAVAIL;
		return NULL;
	}
	return line;
}

/* Hands cmd to the line thread (ownership moves). */
static int
sip_line_send(struct sip_line *line, struct sip_cmd *cmd)
{
	chan_push(line->inbox, &cmd->msg);
	return 0;
}

int
sip_line_dial(struct sip_line *line, const struct sip_dial_request *req)
{
	struct sip_cmd *cmd = calloc(1, sizeof(*cmd));

	if (cmd == NULL)
		return -1;
	cmd->type = SIP_CMD_DIAL;
	cmd->u.dial = *req;
	return sip_line_send(line, cmd);
}

int
sip_line_reconfigure(struct sip_line *line, const struct sip_line_options *opts)
{
	struct sip_cmd *cmd = calloc(1, sizeof(*cmd));

	if (cmd == NULL)
		return -1;
	cmd->type = SIP_CMD_RECONF;
	cmd->u.opts = *opts;
	return sip_line_send(line, cmd);
}

struct sip_event *
sip_event_next(struct chan *events)
{
	return (struct sip_event *)chan_pop(events);
}

struct sip_event *
sip_event_wait(struct chan *events, int timeout_ms)
{
	return (struct sip_event *)chan_pop_wait(events, timeout_ms);
}

unsigned
sip_line_active_calls(struct sip_line *line)
{
	unsigned n;

	pthread_mutex_lock(&line->lock);
	n = line->active;
	pthread_mutex_unlock(&line->lock);
	return n;
}

unsigned
sip_line_pending(struct sip_line *line)
{
	return line != NULL ? sip_rxcopy_pending(line->rxcopy) : 0;
}

void
sip_line_stop(struct sip_line *line)
{
	if (line == NULL)
		return;
	/* The line's own quit message: stopping never needs memory. */
	line->quit_cmd.type = SIP_CMD_QUIT;
	sip_line_send(line, &line->quit_cmd);
	pthread_join(line->thread, NULL);
	sip_rxcopy_free(line->rxcopy);  /* the last copies and events */
	chan_free(line->inbox, NULL);
	pthread_mutex_destroy(&line->lock);
	pthread_cond_destroy(&line->cond);
	free(line);
}

/* --- line thread -------------------------------------------------------- */

/* Through the page copier: a call's events follow its pages' copies. */
void
sip_line_post(struct sip_line *line, struct sip_event *ev)
{
	sip_rxcopy_post(line->rxcopy, ev);
}

void
sip_line_call_gone(struct sip_line *line)
{
	pthread_mutex_lock(&line->lock);
	if (line->active > 0)
		line->active--;
	pthread_mutex_unlock(&line->lock);
}

static void
sip_line_libre_init(void)
{
	if (libre_init() != 0)
		log_warnx("sip: libre_init failed");
}

static void *
sip_line_main(void *arg)
{
	struct sip_line *line = arg;
	sigset_t all;
	int err;

	/* Signals belong to the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_setname_np(pthread_self(), "t37-line");
	/* Real time from here on: the spool and TIFF writers refuse to run. */
	thread_role_set_line(true);
	sip_limits_realtime(&line->opts, 0);
	pthread_once(&sip_line_once, sip_line_libre_init);
	err = re_thread_init();
	if (err != 0 && err != EALREADY) {
		log_warnx("sip: re_thread_init: %s", strerror(err));
		pthread_mutex_lock(&line->lock);
		line->ready = -1;
		pthread_cond_broadcast(&line->cond);
		pthread_mutex_unlock(&line->lock);
		return NULL;
	}
	list_init(&line->calls);
	tmr_init(&line->stop_tmr);
	tmr_init(&line->limit_tmr);
	/* libre polls descriptors below a table size set once per thread,
	 * FD_SETSIZE (1024) by default: sized from RLIMIT_NOFILE before
	 * anything is opened here, or calls fail past ~500 sockets. */
	sip_limits_update(line);
	if ((err = fd_setsize((int)line->cap.max_fds)) != 0)
		log_warnx("sip: cannot size the poll table to %u descriptors: %s",
		    line->cap.max_fds, strerror(err));
	err = sip_clock_init(line);
	if (err == 0)
		err = sip_line_setup(line);
	pthread_mutex_lock(&line->lock);
	line->ready = err != 0 ? -1 : 1;
	pthread_cond_broadcast(&line->cond);
	pthread_mutex_unlock(&line->lock);
	if (err == 0)
		re_main(NULL);
	sip_line_teardown(line);
	re_thread_close();
	return NULL;
}

int
sip_line_addr(const char *s, struct sa *sa)
{
	if (sa_decode(sa, s, strlen(s)) == 0)
		return 0;
	return sa_set_str(sa, s, SIP_DEFAULT_PORT);
}

static int
sip_line_setup(struct sip_line *line)
{
	const struct sip_line_options *o = &line->opts;
	struct sa sa;
	unsigned i;
	int err;

	err = fd_listen(chan_fd(line->inbox), FD_READ, sip_line_inbox, line);
	if (err == 0)
		err = sip_alloc(&line->sip, NULL, SIP_HASH_SIZE, SIP_HASH_SIZE, SIP_HASH_SIZE,
		    o->user_agent, sip_line_exit, line);
	if (err != 0) {
		log_warnx("sip: cannot start the SIP stack: %s", strerror(err));
		return err;
	}
	for (i = 0; i < o->nlisten_udp + o->nlisten_tcp; i++) {
		bool udp = i < o->nlisten_udp;
		const char *a = udp ? o->listen_udp[i] : o->listen_tcp[i - o->nlisten_udp];

		if (sip_line_addr(a, &sa) != 0) {
			log_warnx("sip: bad listen address %s", a);
			return EINVAL;
		}
		err = sip_transp_add(line->sip, udp ? SIP_TRANSP_UDP : SIP_TRANSP_TCP, &sa);
		if (err != 0) {
			log_warnx("sip: cannot listen on %s %s: %s", udp ? "udp" : "tcp", a,
			    strerror(err));
			return err;
		}
		if (i == 0)
			line->media_ip = sa;
	}
	if (o->nlisten_udp + o->nlisten_tcp == 0) {
		log_warnx("sip: no listen address");
		return EINVAL;
	}
	if (o->media_addr[0] != '\0' && sa_set_str(&line->media_ip, o->media_addr, 0) != 0) {
		log_warnx("sip: bad media address %s", o->media_addr);
		return EINVAL;
	}
	sa_set_port(&line->media_ip, 0);
	if (sa_is_any(&line->media_ip) &&
	    net_default_source_addr_get(sa_af(&line->media_ip), &line->media_ip) != 0) {
		log_warnx("sip: no media address: set one");
		return EINVAL;
	}
	/* Listeners are asked in the order they were added: admission first,
	 * then a test peer's T.38 refusal, which must see a re-INVITE before
	 * the session socket. */
	err = sip_admit_start(line);
	if (err != 0) {
		log_warnx("sip: cannot set up admission: %s", strerror(err));
		return err;
	}
	if (o->t38_refuse != 0)
		err = sip_listen(&line->refuse_lsnr, line->sip, true, sip_watch_refuse_t38, line);
	if (err == 0)
		err = sipsess_listen(&line->sock, line->sip, SIP_HASH_SIZE, sip_line_conn, line);
	if (err == 0)
		err = sip_listen(&line->lsnr, line->sip, true, sip_line_request, line);
	if (err != 0) {
		log_warnx("sip: cannot listen for sessions: %s", strerror(err));
		return err;
	}
	/* Final responses to our re-INVITEs, which libre does not report. */
	sip_set_trace_handler(line->sip, sip_watch_trace);
	sip_limits_start(line);
	sip_status_trunks_set(line);
	sip_line_register(line);
	return 0;
}

static void
sip_line_teardown(struct sip_line *line)
{
	struct le *le;
	unsigned i;

	tmr_cancel(&line->stop_tmr);
	sip_limits_stop(line);
	while ((le = list_head(&line->calls)) != NULL)
		sip_call_free(le->data);
	sip_clock_close(line);
	for (i = 0; i < SIP_MAX_TRUNKS; i++)
		line->reg[i] = mem_deref(line->reg[i]);
	sip_admit_stop(line);
	line->lsnr = mem_deref(line->lsnr);
	/* Sessions libre keeps after we let them go (a 200 still waiting
	 * for its ACK keeps itself for 64*T1 on a timer that no longer
	 * runs once the loop ended): freed with their socket. */
	sipsess_close_all(line->sock);
	line->sock = mem_deref(line->sock);
	line->refuse_lsnr = mem_deref(line->refuse_lsnr);
	if (line->sip != NULL)
		sip_close(line->sip, true);
	line->sip = mem_deref(line->sip);
	fd_close(chan_fd(line->inbox));
}

static void
sip_line_conn(const struct sip_msg *msg, void *arg)
{
	sip_call_incoming(arg, msg);
}

/* Requests outside sessions: OPTIONS gets 200 with Allow (libre quirk 6:
 * else 501; trunks ping with OPTIONS). */
static bool
sip_line_request(const struct sip_msg *msg, void *arg)
{
	struct sip_line *line = arg;

	if (pl_strcmp(&msg->met, "OPTIONS") != 0)
		return false;
	sip_replyf(line->sip, msg, 200, "OK", SIP_ALLOW_HDR
	    "Accept: application/sdp\r\nContent-Length: 0\r\n\r\n");
	return true;
}

/* The inbox is readable: every command waiting is run, in order. */
static void
sip_line_inbox(int flags, void *arg)
{
	struct sip_line *line = arg;
	struct chan_msg *m;

	(void)flags;
	while ((m = chan_pop(line->inbox)) != NULL)
		sip_line_cmd(line, (struct sip_cmd *)m);
}

static void
sip_line_cmd(struct sip_line *line, struct sip_cmd *cmd)
{
	switch (cmd->type) {
	case SIP_CMD_DIAL:
		if (line->quitting)
			log_warnx("sip: dial while stopping: dropped");
		else
			sip_call_dial(line, &cmd->u.dial);
		break;
	case SIP_CMD_RECONF: {
		const struct sip_line_options *o = &cmd->u.opts;
		/* listen addresses stay; everything else applies to new calls */
		memcpy(line->opts.trunks, o->trunks, sizeof(o->trunks));
		line->opts.ntrunks = o->ntrunks;
		line->opts.t38 = o->t38;
		line->opts.codec = o->codec;
		line->opts.max_calls = o->max_calls;
		line->opts.udptl_redundancy = o->udptl_redundancy;
		line->opts.jitter_ms = o->jitter_ms;
		line->opts.media_timeout_s = o->media_timeout_s;
		line->opts.probe_wait_ms = o->probe_wait_ms;
		line->opts.max_call_s = o->max_call_s;
		line->opts.ring_timeout_s = o->ring_timeout_s;
		line->opts.reinvite_timeout_ms = o->reinvite_timeout_ms;
		line->opts.route = o->route;
		line->opts.route_arg = o->route_arg;
		line->opts.admit = o->admit;
		sip_clock_reconfigure(line, o->threads, o->rt_priority);
		if (o->rt_priority != line->opts.rt_priority) {
			line->opts.rt_priority = o->rt_priority;
			sip_limits_realtime(&line->opts, 1);
		}
		sip_limits_update(line);
		sip_admit_reconfigure(line);
		sip_status_trunks_set(line);
		break;
	}
	case SIP_CMD_QUIT:
		sip_line_quit(line);
		break;
	}
	if (cmd != &line->quit_cmd)
		free(cmd);
}

/* Hang up every call, then close SIP once the BYEs/CANCELs had a chance. */
static void
sip_line_quit(struct sip_line *line)
{
	struct le *le;
	unsigned i;

	line->quitting = 1;
	for (le = list_head(&line->calls); le != NULL; le = le->next)
		sip_call_hangup(le->data, SIP_CAUSE_LOCAL, "the gateway is stopping");
	for (i = 0; i < SIP_MAX_TRUNKS; i++)
		line->reg[i] = mem_deref(line->reg[i]);     /* un-REGISTER */
	tmr_start(&line->stop_tmr, 100, sip_line_stop_tmr, line);
}

static void
sip_line_stop_tmr(void *arg)
{
	struct sip_line *line = arg;

	if (line->quitting == 1) {
		line->quitting = 2;
		sip_close(line->sip, false);        /* exit handler when idle */
		tmr_start(&line->stop_tmr, SIP_STOP_GRACE_MS, sip_line_stop_tmr, line);
		return;
	}
	re_cancel();
}

static void
sip_line_exit(void *arg)
{
	(void)arg;
	re_cancel();
}

/* --- trunk registration ------------------------------------------------- */

static void
sip_line_register(struct sip_line *line)
{
	unsigned i;

	for (i = 0; i < line->opts.ntrunks && i < SIP_MAX_TRUNKS; i++) {
		struct sip_trunk *t = &line->opts.trunks[i];
		char reg_uri[SIP_URI_MAX + 8], aor[SIP_URI_MAX + SIP_NAME_MAX + 8];
		const char *routev[1] = { t->proxy };
		int err;

		if (!t->do_register)
			continue;
		line->reg_ref[i].line = line;
		line->reg_ref[i].i = i;
		snprintf(reg_uri, sizeof(reg_uri), "sip:%s", t->domain);
		snprintf(aor, sizeof(aor), "sip:%s@%s", t->user, t->domain);
		err = sipreg_register(&line->reg[i], line->sip, reg_uri, aor, NULL, aor,
		    t->register_expiry > 0 ? t->register_expiry : 3600, t->user,
		    t->proxy[0] != '\0' ? routev : NULL, t->proxy[0] != '\0' ? 1 : 0, 0,
		    sip_line_reg_auth, &line->reg_ref[i], false, sip_line_reg_resp,
		    &line->reg_ref[i], NULL, NULL);
		if (err != 0)
			log_warnx("sip: trunk %s: cannot register: %s", t->name, strerror(err));
		sip_status_reg_started(line, i, err);
	}
}

static int
sip_line_reg_auth(char **user, char **pass, const char *realm, void *arg)
{
	const struct sip_reg_ref *ref = arg;
	const struct sip_trunk *t = &ref->line->opts.trunks[ref->i];

	(void)realm;
	if (str_dup(user, t->user) != 0 || str_dup(pass, t->password) != 0)
		return ENOMEM;
	return 0;
}

static void
sip_line_reg_resp(int err, const struct sip_msg *msg, void *arg)
{
	const struct sip_reg_ref *ref = arg;
	struct sip_line *line = ref->line;
	const struct sip_trunk *t = &line->opts.trunks[ref->i];

	sip_status_reg_response(line, ref->i, err, msg, sipreg_proxy_expires(line->reg[ref->i]));
	if (err != 0)
		log_warnx("sip: trunk %s: register: %s", t->name, strerror(err));
	else if (msg->scode >= 300)
		log_warnx("sip: trunk %s: register: %u", t->name, msg->scode);
	else if (msg->scode >= 200)
		log_info("sip: trunk %s: registered", t->name);
}
