/*
 * gateway/intake/intake: the offramp acceptance policy (see intake.h). It owns
 * the smtp/server instance, fills its options from the config, answers its
 * callbacks, holds each message in memory while it arrives (or, above
 * INTAKE_MEM_SPILL, writes it into its spool job) and hands it to the
 * committer (commit.c), which writes and commits it off the loop;
 * the 250 to the final dot is sent only once the job is durable.
 *
 * Policy, in the order it is applied:
 *   connect  clients outside "mta receive allow" are refused unless AUTH is
 *            configured, in which case they must authenticate (530 5.7.0);
 *            the users and the AUTH check, throttled against guessing, are
 *            in auth.c and throttle.c
 *   MAIL     "mta receive allow-sender" patterns (550 5.7.1)
 *   RCPT     maximum-recipients (452 4.5.3; 0 refuses all mail), the alias
 *            and the address form (550 5.7.1 relaying denied, 553 5.1.3,
 *            550 5.1.1), then toll-fraud rules: fax deny-pattern, an mmoip
 *            dial-peer's incoming called-number, a voip dial-peer's
 *            destination-pattern (550 5.7.1 naming the rule)
 * It does not parse the message (mime/ does, later, from the spool).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "config/config.h"
#include "gateway/intake/intake_int.h"
#include "gateway/intake/intake_test.h"
#include "gateway/metrics/metrics.h"
#include "smtp/smtp.h"
#include "util/log.h"

/* Descriptors kept for everything but SMTP sessions: spool, logs, SIP
 * sockets, the loops' own; and per call of sip max-calls (RTP, UDPTL, the
 * fax file, its job). The session cap is lowered to what remains. */
#define INTAKE_FD_RESERVE       128
#define INTAKE_FD_PER_CALL      8

struct intake_rcpt {
	char addr[SMTP_SERVER_PATH_MAX + 1];
	struct intake_faxaddr fa;
	unsigned notify;
	char orcpt[SMTP_ORCPT_MAX + 1];
	unsigned peer;                  /* voip dial-peer tag */
};

/* Per session (the server's udata). */
struct intake_sess {
	struct intake *in;           /* borrowed */
	unsigned long long id;
	char addr[64];
	int net_ok;                     /* client inside mta receive allow */
	unsigned messages;              /* accepted in this session */
	/* the transaction, from MAIL on */
	char from[SMTP_SERVER_PATH_MAX + 1];
	char envid[SMTP_ENVID_MAX + 1];
	enum smtp_server_ret ret;
	enum smtp_server_body body;
	struct intake_rcpt *rcpts;      /* owned */
	size_t nrcpt, cap;
	char *buf;                      /* owned: the message so far, in memory */
	size_t blen, bcap;
	struct spool_job *job;          /* owned: the message spilled (> INTAKE_MEM_SPILL) */
	int fd;                         /* job's "msg" file (owned by the job) */
	int write_err;                  /* errno of a failed write, else 0 */
	size_t size;
};

static void intake_connect(void *arg, const struct smtp_server_client *c, void **udata,
    struct smtp_server_reply *r);
static void intake_mail(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_mail *m, struct smtp_server_reply *r);
static void intake_rcpt_judged(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r);
static void intake_rcpt(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r);
static void intake_data_start(void *arg, void *udata, const struct smtp_server_client *c,
    struct smtp_server_reply *r);
static void intake_data_chunk(void *arg, void *udata, const char *buf, size_t len);
static int intake_data_end(void *arg, void *udata, const struct smtp_server_client *c,
    size_t size, struct smtp_server_reply *r);
static void intake_data_abort(void *arg, void *udata);
static void intake_end(void *arg, void *udata, const struct smtp_server_client *c);
static void intake_finish(void *arg, struct intake_commit *c);
static int intake_net_allowed(const struct config *cfg, const char *addr);
static int intake_write(struct intake_sess *s, const char *buf, size_t len);
static int intake_received(struct intake_sess *s, const struct smtp_server_client *c,
    char *buf, size_t size);
static struct spool_rec *intake_envelope(struct intake_sess *s,
    const struct smtp_server_client *c);
static void intake_txn_reset(struct intake_sess *s);
static void intake_limits(const struct config *cfg, struct smtp_server_options *opt,
    int log);

static const struct smtp_server_callbacks intake_cb = {
	intake_connect, intake_auth_check, intake_mail, intake_rcpt, intake_data_start,
	intake_data_chunk, intake_data_end, intake_data_abort, intake_end,
};

/* ---- life cycle ------------------------------------------------------- */

struct intake *
intake_new(struct event_base *base, const struct config *cfg, struct spool *spool,
    char *err, size_t errlen)
{
	const typeof(cfg->mta_receive) *mr = &cfg->mta_receive;
	struct smtp_server_options opt;
	struct intake *in;

	if ((in = calloc(1, sizeof(*in))) == NULL) {
		snprintf(err, errlen, "mta receive: out of memory");
		return NULL;
	}
	in->base = base;
	in->cfg = config_hold(cfg);
	in->spool = spool;
	if (intake_auth_users_load(cfg, &in->users, &in->nusers, err, errlen) == -1)
		goto fail;
	if (mr->tls_cert[0] != '\0') {
		if ((in->tls = SSL_CTX_new(TLS_server_method())) == NULL ||
		    SSL_CTX_set_min_proto_version(in->tls, TLS1_2_VERSION) != 1 ||
		    SSL_CTX_use_certificate_chain_file(in->tls, mr->tls_cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(in->tls, mr->tls_key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(in->tls) != 1) {
			unsigned long e = ERR_get_error();

			snprintf(err, errlen, "mta receive tls cert %s key %s: %s", mr->tls_cert,
			    mr->tls_key, e ? ERR_reason_error_string(e) : "cannot load");
			goto fail;
		}
	}
	memset(&opt, 0, sizeof(opt));
	opt.hostname = cfg->hostname;
	opt.max_message_size = mr->maximum_size;
	opt.max_recipients = mr->maximum_recipients;
	intake_limits(cfg, &opt, 0);
	opt.tls = (struct ssl_ctx_st *)in->tls;
	opt.auth = in->nusers > 0;
	opt.auth_in_clear = mr->auth_clear;
	opt.no_dsn = mr->disable_dsn;
	if ((in->srv = smtp_server_new(base, &opt, &intake_cb, in)) == NULL) {
		snprintf(err, errlen, "mta receive: cannot create the SMTP server");
		goto fail;
	}
	if (intake_committer_start(&in->cm, base, spool, intake_finish, in, err, errlen) == -1)
		goto fail;
	return in;
fail:
	intake_free(in);
	return NULL;
}

/*
 * The limits of the config into opt: session caps, deadlines, bare-newline
 * mode. The session cap is lowered to what RLIMIT_NOFILE leaves (said in
 * the log when log is set, as is the capacity).
 */
static void
intake_limits(const struct config *cfg, struct smtp_server_options *opt, int log)
{
	const typeof(cfg->mta_receive) *mr = &cfg->mta_receive;
	unsigned long long reserve, avail, cap;
	struct rlimit rl;

	opt->max_sessions = mr->maximum_sessions;
	opt->max_sessions_per_addr = mr->maximum_sessions_per_client;
	opt->session_deadline = mr->session_deadline;
	opt->min_rate = mr->minimum_rate;
	opt->bare_newline = mr->bare_newline_normalize ? SMTP_BARE_NEWLINE_NORMALIZE :
	    SMTP_BARE_NEWLINE_REJECT;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return;
	reserve = INTAKE_FD_RESERVE + (unsigned long long)INTAKE_FD_PER_CALL * cfg->sip.max_calls;
	avail = rl.rlim_cur > reserve ? rl.rlim_cur - reserve : 0;
	/* m + SMTP_SERVER_OVERFLOW(m) = m + m / 4 + 64 <= avail */
	cap = avail > 64 ? (avail - 64) * 4 / 5 : 1;
	if (cap == 0)
		cap = 1;
	if (cap < opt->max_sessions) {
		if (log)
			log_warnx("smtp max-sessions=%u lowered-to=%llu nofile=%llu reason=\"too "
			    "few file descriptors: raise the limit (LimitNOFILE)\"",
			    opt->max_sessions, cap, (unsigned long long)rl.rlim_cur);
		opt->max_sessions = (unsigned)cap;
		if (opt->max_sessions_per_addr > opt->max_sessions)
			opt->max_sessions_per_addr = opt->max_sessions;
	}
	if (log)
		log_info("smtp max-sessions=%u per-client=%u session-deadline=%us "
		    "minimum-rate=%u bare-newline=%s nofile=%llu capacity=%llu",
		    opt->max_sessions, opt->max_sessions_per_addr, opt->session_deadline,
		    opt->min_rate, mr->bare_newline_normalize ? "normalize" : "reject",
		    (unsigned long long)rl.rlim_cur, cap);
}

unsigned long long
intake_attach(struct intake *in, struct bufferevent *bev, const char *addr)
{
	return smtp_server_attach(in->srv, bev, addr);
}

int
intake_start(struct intake *in, char *err, size_t errlen)
{
	const typeof(in->cfg->mta_receive) *mr = &in->cfg->mta_receive;
	struct smtp_server_options opt;
	char port[16];
	size_t i;

	memset(&opt, 0, sizeof(opt));
	intake_limits(in->cfg, &opt, 1);
	for (i = 0; i < mr->n_listen; i++) {
		snprintf(port, sizeof(port), "%u", mr->listen[i].port);
		if (smtp_server_listen(in->srv, mr->listen[i].addr, port) == -1) {
			snprintf(err, errlen, "mta receive listen %s %s: cannot listen: %s",
			    mr->listen[i].addr, port, strerror(errno));
			return -1;
		}
		log_info("smtp listen=%s:%s tls=%s auth=%s", mr->listen[i].addr, port,
		    in->tls ? "starttls" : "no", in->nusers ? "yes" : "no");
	}
	return 0;
}

int
intake_set_config(struct intake *in, const struct config *cfg, char *err, size_t errlen)
{
	struct smtp_server_options opt;
	struct intake_user *users;
	size_t n;

	if (intake_auth_users_load(cfg, &users, &n, err, errlen) == -1)
		return -1;
	intake_auth_users_free(in->users, in->nusers);
	in->users = users;
	in->nusers = n;
	config_free(in->cfg);
	in->cfg = config_hold(cfg);
	memset(&opt, 0, sizeof(opt));
	intake_limits(cfg, &opt, 1);
	smtp_server_set_limits(in->srv, &opt);
	return 0;
}

void
intake_shutdown(struct intake *in)
{
	smtp_server_shutdown(in->srv);
}

unsigned
intake_inflight(struct intake *in)
{
	return smtp_server_sessions(in->srv) + intake_committer_busy(&in->cm);
}

void
intake_free(struct intake *in)
{
	if (in == NULL)
		return;
	smtp_server_free(in->srv);      /* sessions end; open jobs are aborted */
	in->srv = NULL;
	intake_committer_stop(&in->cm); /* in-flight commits finish first */
	config_free(in->cfg);
	SSL_CTX_free(in->tls);
	intake_auth_users_free(in->users, in->nusers);
	intake_throttle_free(in->throttle);
	free(in);
}


/* Whether the numeric address is inside one of the allow CIDRs. */
static int
intake_net_allowed(const struct config *cfg, const char *addr)
{
	uint8_t a[16];
	int family = AF_INET6;
	size_t i, len;
	unsigned bits, full, rest;

	if (inet_pton(AF_INET6, addr, a) == 1) {
		/* an IPv4 client on a v6 socket: ::ffff:a.b.c.d */
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(a, mapped, 12) == 0) {
			memmove(a, a + 12, 4);
			family = AF_INET;
		}
	} else if (inet_pton(AF_INET, addr, a) == 1) {
		family = AF_INET;
	} else {
		return 0;
	}
	len = family == AF_INET ? 4 : 16;
	for (i = 0; i < cfg->mta_receive.n_allow; i++) {
		const struct config_cidr *c = &cfg->mta_receive.allow[i];

		if (c->family != family || c->prefix > len * 8)
			continue;
		bits = c->prefix;
		full = bits / 8;
		rest = bits % 8;
		if (memcmp(a, c->addr, full) != 0)
			continue;
		if (rest && ((a[full] ^ c->addr[full]) & (uint8_t)(0xff << (8 - rest))) != 0)
			continue;
		return 1;
	}
	return 0;
}

/* ---- callbacks -------------------------------------------------------- */

static void
intake_connect(void *arg, const struct smtp_server_client *c, void **udata,
    struct smtp_server_reply *r)
{
	struct intake *in = arg;
	struct intake_sess *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		smtp_server_reply_set(r, 421, "4.3.0", "%s Out of memory, try later",
		    in->cfg->hostname);
		return;
	}
	s->in = in;
	s->id = c->id;
	s->fd = -1;
	snprintf(s->addr, sizeof(s->addr), "%s", c->addr);
	s->net_ok = intake_net_allowed(in->cfg, c->addr);
	*udata = s;
	if (!s->net_ok && in->nusers == 0) {
		log_info("smtp=%llx client=%s result=refused reason=\"not in mta receive allow\"",
		    c->id, c->addr);
		smtp_server_reply_set(r, 554, "5.7.1",
		    "Client host [%s] refused: not in mta receive allow", c->addr);
	}
}


static void
intake_txn_reset(struct intake_sess *s)
{
	s->nrcpt = 0;
	s->from[0] = '\0';
	s->envid[0] = '\0';
	s->ret = SMTP_RET_NONE;
	s->body = SMTP_BODY_NONE;
	s->size = 0;
	s->write_err = 0;
}

static void
intake_mail(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_mail *m, struct smtp_server_reply *r)
{
	struct intake *in = arg;
	struct intake_sess *s = udata;
	const typeof(in->cfg->mta_receive) *mr = &in->cfg->mta_receive;
	size_t i;

	intake_txn_reset(s);
	if (!s->net_ok && c->auth_user == NULL) {
		smtp_server_reply_set(r, 530, "5.7.0",
		    "Authentication required: client [%s] is not in mta receive allow", c->addr);
		return;
	}
	if (mr->n_allow_sender > 0) {
		for (i = 0; i < mr->n_allow_sender; i++)
			if (fnmatch(mr->allow_sender[i], m->from, FNM_CASEFOLD) == 0)
				break;
		if (i == mr->n_allow_sender) {
			smtp_server_reply_set(r, 550, "5.7.1",
			    "Sender <%.200s> not allowed by mta receive allow-sender", m->from);
			return;
		}
	}
	snprintf(s->from, sizeof(s->from), "%s", m->from);
	snprintf(s->envid, sizeof(s->envid), "%s", m->envid ? m->envid : "");
	s->ret = m->ret;
	s->body = m->body;
}

/* Every RCPT TO reply is counted by its code. */
static void
intake_rcpt(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r)
{
	intake_rcpt_judged(arg, udata, c, rc, r);
	metrics_smtp_rcpt(r->code);
}

static void
intake_rcpt_judged(void *arg, void *udata, const struct smtp_server_client *c,
    const struct smtp_server_rcpt *rc, struct smtp_server_reply *r)
{
	struct intake *in = arg;
	struct intake_sess *s = udata;
	const struct config *cfg = in->cfg;
	const struct config_dial_peer *voip;
	struct intake_rcpt *t;
	struct intake_verdict v;
	struct intake_faxaddr fa;
	size_t i;
	int cover;

	(void)c;
	if (cfg->mta_receive.maximum_recipients > 0 &&
	    s->nrcpt >= cfg->mta_receive.maximum_recipients) {
		smtp_server_reply_set(r, 452, "4.5.3",
		    "Too many recipients (mta receive maximum-recipients %u)",
		    cfg->mta_receive.maximum_recipients);
		return;
	}
	if (intake_rcpt_judge(cfg, rc->to, &v) != 0) {
		smtp_server_reply_set(r, v.code, v.status, "%s", v.text);
		return;
	}
	fa = v.fa;
	voip = v.voip;
	if (!fa.postmaster) {
		/* One document serves every recipient of a message, so a
		 * recipient that wants another cover page choice than those
		 * before it is sent in a new transaction (452 4.5.3: the client
		 * retries it at once). */
		cover = fa.cover >= 0 ? fa.cover : cfg->fax_send.coverpage;
		for (i = 0; i < s->nrcpt; i++)
			if (!s->rcpts[i].fa.postmaster && (s->rcpts[i].fa.cover >= 0 ?
			    s->rcpts[i].fa.cover : cfg->fax_send.coverpage) != cover) {
				smtp_server_reply_set(r, 452, "4.5.3", "<%.256s>: another cover page "
				    "choice than the recipients before it: send it in another message",
				    rc->to);
				return;
			}
	}
	if (s->nrcpt == s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 4;
		struct intake_rcpt *nr = reallocarray(s->rcpts, ncap, sizeof(*nr));

		if (nr == NULL) {
			smtp_server_reply_set(r, 452, "4.3.1", "Insufficient system resources");
			return;
		}
		s->rcpts = nr;
		s->cap = ncap;
	}
	t = &s->rcpts[s->nrcpt++];
	memset(t, 0, sizeof(*t));
	snprintf(t->addr, sizeof(t->addr), "%s", rc->to);
	t->fa = fa;
	t->notify = rc->notify;
	snprintf(t->orcpt, sizeof(t->orcpt), "%s", rc->orcpt ? rc->orcpt : "");
	t->peer = voip ? voip->tag : 0;
	if (fa.postmaster)
		smtp_server_reply_set(r, 250, "2.1.5", "Ok (postmaster)");
	else
		smtp_server_reply_set(r, 250, "2.1.5", "Ok, fax to %s", fa.dial);
}

static void
intake_buf_free(struct intake_sess *s)
{
	free(s->buf);
	s->buf = NULL;
	s->blen = s->bcap = 0;
}

/* Forgets the message being received, in memory or spilled. */
static void
intake_msg_drop(struct intake_sess *s)
{
	intake_buf_free(s);
	spool_job_abort(s->job);
	s->job = NULL;
	s->fd = -1;
}

/* Moves the message so far from memory into a new spool job. */
static int
intake_spill(struct intake_sess *s)
{
	char id[SPOOL_ID_LEN + 1];

	if ((s->job = spool_job_new(s->in->spool, SPOOL_Q_OFFRAMP, id)) == NULL ||
	    (s->fd = spool_job_fd(s->job, "msg")) == -1) {
		s->write_err = errno ? errno : EIO;
		spool_job_abort(s->job);
		s->job = NULL;
		s->fd = -1;
		return -1;
	}
	if (s->blen > 0 && spool_job_write(s->job, "msg", s->buf, s->blen) == -1)
		s->write_err = errno ? errno : EIO;
	intake_buf_free(s);
	return s->write_err ? -1 : 0;
}

/* Appends to the message: in memory up to INTAKE_MEM_SPILL, then into the
 * job. A short write is retried; a failure is remembered and answered at
 * the dot. */
static int
intake_write(struct intake_sess *s, const char *buf, size_t len)
{
	ssize_t n;

	if (s->write_err != 0)
		return -1;
	if (s->job == NULL && s->blen + len <= INTAKE_MEM_SPILL) {
		if (s->blen + len > s->bcap) {
			size_t cap = s->bcap ? s->bcap : 4096;
			char *p;

			while (cap < s->blen + len)
				cap *= 2;
			if (cap > INTAKE_MEM_SPILL)
				cap = INTAKE_MEM_SPILL;
			if ((p = realloc(s->buf, cap)) == NULL) {
				s->write_err = ENOMEM;
				return -1;
			}
			s->buf = p;
			s->bcap = cap;
		}
		memcpy(s->buf + s->blen, buf, len);
		s->blen += len;
		return 0;
	}
	if (s->job == NULL && intake_spill(s) == -1)
		return -1;
	while (len > 0 && s->write_err == 0) {
		n = write(s->fd, buf, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			s->write_err = errno;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	return s->write_err ? -1 : 0;
}

/* RFC 5321 4.4 trace field; protocol names from RFC 3848. */
static int
intake_received(struct intake_sess *s, const struct smtp_server_client *c, char *buf,
    size_t size)
{
	char helo[SMTP_SERVER_PATH_MAX], date[64], forpart[SMTP_SERVER_PATH_MAX + 16];
	struct tm tm;
	time_t now = time(NULL);
	size_t i;

	snprintf(helo, sizeof(helo), "%s", c->helo[0] ? c->helo : "unknown");
	for (i = 0; helo[i]; i++)               /* keep the comment well-formed */
		if (helo[i] == '(' || helo[i] == ')' || helo[i] == '\\')
			helo[i] = '_';
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	forpart[0] = '\0';
	if (s->nrcpt == 1)
		snprintf(forpart, sizeof(forpart), "\r\n\tfor <%s>", s->rcpts[0].addr);
	return snprintf(buf, size, "Received: from %s ([%s])\r\n\tby %s (t37gw) with %s%s%s "
	    "id %llx%s;\r\n\t%s\r\n", helo, c->addr, s->in->cfg->hostname,
	    c->esmtp ? "ESMTP" : "SMTP", c->tls ? "S" : "", c->auth_user ? "A" : "",
	    c->id, forpart, date);
}

static void
intake_data_start(void *arg, void *udata, const struct smtp_server_client *c,
    struct smtp_server_reply *r)
{
	struct intake_sess *s = udata;
	char hdr[2048];
	int n;

	(void)arg;
	(void)r;
	s->size = 0;
	s->write_err = 0;
	intake_msg_drop(s);
	n = intake_received(s, c, hdr, sizeof(hdr));
	if (n > 0 && (size_t)n < sizeof(hdr))
		intake_write(s, hdr, (size_t)n);
}

static void
intake_data_chunk(void *arg, void *udata, const char *buf, size_t len)
{
	struct intake_sess *s = udata;

	(void)arg;
	s->size += len;
	intake_write(s, buf, len);
}

static struct spool_rec *
intake_envelope(struct intake_sess *s, const struct smtp_server_client *c)
{
	struct spool_rec *rec;
	char nbuf[SMTP_NOTIFY_TEXT_MAX];
	size_t i;
	int e = 0;

	if ((rec = spool_rec_new()) == NULL)
		return NULL;
	e |= spool_rec_add(rec, "version", "1");
	e |= spool_rec_addf(rec, "smtp", "%llx", c->id);
	e |= spool_rec_add(rec, "client", c->addr);
	e |= spool_rec_add(rec, "helo", c->helo);
	e |= spool_rec_add(rec, "tls", c->tls ? "1" : "0");
	if (c->auth_user != NULL)
		e |= spool_rec_add(rec, "auth", c->auth_user);
	e |= spool_rec_add(rec, "from", s->from);
	if (s->envid[0] != '\0')
		e |= spool_rec_add(rec, "envid", s->envid);
	if (s->ret != SMTP_RET_NONE)
		e |= spool_rec_add(rec, "ret", s->ret == SMTP_RET_FULL ? "FULL" : "HDRS");
	if (s->body != SMTP_BODY_NONE)
		e |= spool_rec_add(rec, "body", s->body == SMTP_BODY_8BITMIME ? "8BITMIME" : "7BIT");
	e |= spool_rec_add_u64(rec, "size", s->size);
	e |= spool_rec_add_u64(rec, "received", (uint64_t)time(NULL));
	for (i = 0; i < s->nrcpt; i++) {
		const struct intake_rcpt *t = &s->rcpts[i];

		e |= spool_rec_add(rec, "rcpt", t->addr);
		e |= spool_rec_add(rec, "rcpt.kind", t->fa.postmaster ? "postmaster" : "fax");
		if (t->fa.postmaster) {
			e |= spool_rec_add(rec, "rcpt.forward", s->in->cfg->mta_send.postmaster);
		} else {
			e |= spool_rec_add(rec, "rcpt.number", t->fa.dial);
			if (t->fa.subaddr[0] != '\0')
				e |= spool_rec_add(rec, "rcpt.subaddr", t->fa.subaddr);
			if (t->fa.cover >= 0)
				e |= spool_rec_add(rec, "rcpt.cover", t->fa.cover ? "yes" : "no");
			e |= spool_rec_addf(rec, "rcpt.peer", "%u", t->peer);
		}
		if (t->notify != 0)
			e |= spool_rec_add(rec, "rcpt.notify",
			    smtp_notify_format(t->notify, nbuf, sizeof(nbuf)));
		if (t->orcpt[0] != '\0')
			e |= spool_rec_add(rec, "rcpt.orcpt", t->orcpt);
	}
	if (e != 0) {
		spool_rec_free(rec);
		return NULL;
	}
	return rec;
}

static int
intake_data_end(void *arg, void *udata, const struct smtp_server_client *c, size_t size,
    struct smtp_server_reply *r)
{
	struct intake *in = arg;
	struct intake_sess *s = udata;
	struct intake_commit *cm = NULL;
	struct spool_rec *rec = NULL;
	char from[LOG_ESC_BUFSZ], rcpt[LOG_ESC_BUFSZ], list[1024];
	const char *data;
	size_t len, i, off = 0;

	(void)size;
	errno = 0;
	if (s->write_err != 0 || (rec = intake_envelope(s, c)) == NULL ||
	    (cm = calloc(1, sizeof(*cm))) == NULL ||
	    (s->job != NULL && (data = spool_rec_data(rec, &len),
	    spool_job_write(s->job, "env", data, len)) == -1)) {
		log_warnx("smtp=%llx client=%s result=tempfail error=\"%s\"", c->id, c->addr,
		    strerror(s->write_err ? s->write_err : errno ? errno : EIO));
		spool_rec_free(rec);
		free(cm);
		intake_msg_drop(s);
		smtp_server_reply_set(r, 451, "4.3.0", "Error writing the message to the spool");
		metrics_smtp_message(r->code);
		return 0;
	}
	cm->sess = c->id;
	if (s->job != NULL) {           /* spilled: the job exists */
		spool_rec_free(rec);
		cm->job = s->job;
		snprintf(cm->id, sizeof(cm->id), "%s", spool_job_id(s->job));
		s->job = NULL;
		s->fd = -1;
	} else {                        /* in memory: the committer writes it */
		cm->env = rec;
		cm->msg = s->buf;
		cm->msglen = s->blen;
		s->buf = NULL;
		s->blen = s->bcap = 0;
	}
	list[0] = '\0';
	for (i = 0; i < s->nrcpt && off < sizeof(list) - 1; i++) {
		int n = snprintf(list + off, sizeof(list) - off, "%s<%s>", i ? "," : "",
		    s->rcpts[i].addr);

		if (n < 0)
			break;
		off += (size_t)n;
	}
	snprintf(cm->summary, sizeof(cm->summary), "client=%s from=%s rcpt=%s size=%zu",
	    c->addr, log_esc(from, sizeof(from), s->from, strlen(s->from)),
	    log_str(rcpt, sizeof(rcpt), list), s->size);
	s->messages++;
	intake_committer_push(&in->cm, cm);
	return 1;               /* the 250 comes from intake_finish() */
}

static void
intake_data_abort(void *arg, void *udata)
{
	struct intake_sess *s = udata;

	(void)arg;
	intake_msg_drop(s);             /* nothing of it stays in the spool */
}

/* On the loop: a commit finished; answer its session if it is still there. */
static void
intake_finish(void *arg, struct intake_commit *c)
{
	struct intake *in = arg;
	struct smtp_server_reply r;

	if (c->ok) {
		smtp_server_reply_set(&r, 250, "2.0.0", "Ok: queued as %s", c->id);
		log_info("smtp=%llx %s result=accepted job=%s", c->sess, c->summary, c->id);
	} else {
		smtp_server_reply_set(&r, 451, "4.3.0", "Error: the message could not be made durable");
		log_warnx("smtp=%llx %s result=tempfail error=\"%s\"", c->sess, c->summary,
		    strerror(c->err ? c->err : EIO));
	}
	metrics_smtp_message(r.code);
	if (in->srv != NULL && smtp_server_reply_data(in->srv, c->sess, &r) == -1 && c->ok)
		/* durable but never confirmed: the client will likely send it again */
		log_info("smtp=%llx job=%s result=accepted-unconfirmed reason=\"client gone\"",
		    c->sess, c->id);
	/* The client hears its 250 before the offramp starts on the job. */
	if (c->ok && in->committed != NULL)
		in->committed(in->committed_arg, c->id);
	free(c);
}

static void
intake_end(void *arg, void *udata, const struct smtp_server_client *c)
{
	struct intake_sess *s = udata;
	char helo[LOG_ESC_BUFSZ], user[LOG_ESC_BUFSZ];

	(void)arg;
	if (s == NULL)
		return;
	/* a shed or silent session during a flood: the server logs those
	 * rate-limited and summed up, not one line per connection */
	if (c->quiet)
		log_debug("smtp=%llx client=%s messages=%u result=%s", c->id, c->addr,
		    s->messages, c->shed ? "shed" : "closed");
	else
		log_info("smtp=%llx client=%s helo=%s tls=%d auth=%s messages=%u result=closed",
		    c->id, c->addr, log_str(helo, sizeof(helo), c->helo), c->tls,
		    c->auth_user ? log_str(user, sizeof(user), c->auth_user) : "-", s->messages);
	metrics_smtp_session(c->shed ? METRICS_SMTP_SHED : !s->net_ok && s->in->nusers == 0 ?
	    METRICS_SMTP_REFUSED : METRICS_SMTP_CLOSED);
	intake_msg_drop(s);
	free(s->rcpts);
	free(s);
}

void
intake_set_committed(struct intake *in, intake_committed_fn *fn, void *arg)
{
	in->committed = fn;
	in->committed_arg = arg;
}
