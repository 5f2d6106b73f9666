/*
 * sip/admit: who may send requests to the line, decided on the line
 * thread before any call state exists (struct sip_admit_options, sip.h).
 *
 * A request listener registered ahead of the session socket sees every
 * request outside a dialog first. From a source that is neither a trunk's
 * address nor in sip allow it answers 403 (stateless: a flood leaves no
 * transactions behind), OPTIONS included: a scanner learns nothing, the
 * trunks' OPTIONS pings still get their 200. An INVITE from a trunk with
 * inbound credentials must carry a digest response to our challenge (401,
 * RFC 3261 22.2; nonces are stateless HMACs, sip/admit_table.c). Then a
 * source gets at most max_calls_per_source calls at once and
 * max_call_rate new calls per second (token bucket, burst of one second):
 * 486 beyond, so that one busy or hostile source cannot take every line.
 *
 * The trunks' proxy hosts are resolved by a short-lived thread
 * (getaddrinfo honours /etc/hosts and the system resolver, and may block)
 * whose result the line thread picks up on a timer; again every
 * SIP_ADMIT_RESOLVE_S, sooner after a failure. A host that does not
 * resolve admits nobody until it does, and says so in the log.
 *
 * Each refusal is counted per source; the first of a source in an
 * interval is logged at once (up to SIP_ADMIT_LOG_BURST lines an
 * interval), the rest are summarized at the end of the interval, at most
 * SIP_ADMIT_LOG_SOURCES lines plus one for all other sources.
 *
 * It does not answer or route calls (call.c, the route callback).
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/log.h"
#include "sip/admit.h"
#include "sip/internal.h"

#define SIP_ADMIT_RESOLVE_S 300         /* trunk hosts looked up again */
#define SIP_ADMIT_RETRY_S 30            /* after a host did not resolve */
#define SIP_ADMIT_POLL_MS 200           /* looking for the resolver's result */
#define SIP_ADMIT_ADDRS 8               /* addresses kept per trunk host */
#define SIP_ADMIT_LOG_MS 10000          /* refusal log interval */
#define SIP_ADMIT_LOG_BURST 5           /* refusals logged at once per interval */
#define SIP_ADMIT_LOG_SOURCES 10        /* sources summarized per interval */
#define SIP_ADMIT_SECRET 20             /* bytes of the nonce key */

/* A lookup of the trunk hosts, shared by the line thread and the resolver
 * thread; the last of the two to let go frees it. */
struct admit_dns {
	pthread_mutex_t lock;
	int refs;
	bool done;
	unsigned n;
	char host[SIP_MAX_TRUNKS][SIP_URI_MAX];
	struct sip_src src[SIP_MAX_TRUNKS][SIP_ADMIT_ADDRS];
	unsigned nsrc[SIP_MAX_TRUNKS];
	int err[SIP_MAX_TRUNKS];                /* EAI_* of getaddrinfo, 0 ok */
};

struct sip_admit {
	struct sip_line *line;                  /* not owned */
	struct sip_lsnr *lsnr;                  /* owned */
	struct sip_admit_table *table;          /* owned */
	uint8_t secret[SIP_ADMIT_SECRET];
	char host[SIP_MAX_TRUNKS][SIP_URI_MAX]; /* each trunk's proxy host */
	struct sip_src src[SIP_MAX_TRUNKS][SIP_ADMIT_ADDRS];
	unsigned nsrc[SIP_MAX_TRUNKS];
	int state[SIP_MAX_TRUNKS];              /* 0 not yet, 1 resolved, -1 failed */
	struct admit_dns *dns;                  /* a lookup in progress (one ref) */
	struct tmr dns_tmr;
	struct tmr log_tmr;
	unsigned log_left;                      /* immediate lines left this interval */
};

/* A summary walk. */
struct admit_summary {
	unsigned lines, sources;
	uint32_t count[SIP_REFUSE_N];
};

/* Table of contents. */
static const char *refusal_name(enum sip_refusal r);
static bool admit_request(const struct sip_msg *msg, void *arg);
static bool admit_allowed(const struct sip_admit *a, const struct sip_src *src,
    unsigned *trunks);
static int admit_digest(struct sip_admit *a, const struct sip_msg *msg,
    const struct sip_src *src, unsigned trunks);
static void admit_challenge(struct sip_admit *a, const struct sip_msg *msg,
    const struct sip_src *src, bool stale);
static unsigned admit_source_calls(const struct sip_line *line, const struct sa *src);
static void admit_refuse(struct sip_admit *a, const struct sip_msg *msg,
    const struct sip_src *src, enum sip_refusal why, uint16_t scode, const char *reason);
static void admit_log_tmr(void *arg);
static void admit_summarize(struct sip_admit_entry *e, void *arg);
static void admit_log_summary(struct sip_admit *a);
static void admit_hosts(struct sip_admit *a);
static int host_of(const char *domain, char *out, size_t size);
static void admit_resolve(struct sip_admit *a);
static void *admit_dns_main(void *arg);
static void admit_dns_release(struct admit_dns *d);
static void admit_dns_tmr(void *arg);
static void admit_dns_apply(struct sip_admit *a, struct admit_dns *d);

static const char *
refusal_name(enum sip_refusal r)
{
	static const char *const names[SIP_REFUSE_N] = {
		"not-allowed", "auth", "call-rate", "calls-per-source",
	};

	return (unsigned)r < SIP_REFUSE_N ? names[r] : "?";
}

int
sip_admit_start(struct sip_line *line)
{
	struct sip_admit *a;
	int err;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return ENOMEM;
	a->line = line;
	tmr_init(&a->dns_tmr);
	tmr_init(&a->log_tmr);
	if ((a->table = sip_admit_table_new(SIP_ADMIT_SOURCES)) == NULL) {
		free(a);
		return ENOMEM;
	}
	rand_bytes(a->secret, sizeof(a->secret));
	a->log_left = SIP_ADMIT_LOG_BURST;
	/* Before sipsess_listen(): libre offers requests to listeners in the
	 * order they were added. */
	err = sip_listen(&a->lsnr, line->sip, true, admit_request, a);
	if (err != 0) {
		sip_admit_table_free(a->table);
		free(a);
		return err;
	}
	line->admit = a;
	tmr_start(&a->log_tmr, SIP_ADMIT_LOG_MS, admit_log_tmr, a);
	admit_hosts(a);
	return 0;
}

void
sip_admit_reconfigure(struct sip_line *line)
{
	if (line->admit != NULL)
		admit_hosts(line->admit);
}

void
sip_admit_stop(struct sip_line *line)
{
	struct sip_admit *a = line->admit;

	if (a == NULL)
		return;
	tmr_cancel(&a->dns_tmr);
	tmr_cancel(&a->log_tmr);
	admit_log_summary(a);
	if (a->dns != NULL)
		admit_dns_release(a->dns);      /* the resolver frees it when done */
	a->lsnr = mem_deref(a->lsnr);
	sip_admit_table_free(a->table);
	free(a);
	line->admit = NULL;
}

/* ---- the decision ---- */

static bool
admit_request(const struct sip_msg *msg, void *arg)
{
	struct sip_admit *a = arg;
	struct sip_line *line = a->line;
	const struct sip_admit_options *o = &line->opts.admit;
	struct sip_admit_entry *e;
	struct sip_src src;
	unsigned trunks = 0;

	if (!o->enabled || pl_isset(&msg->to.tag) || !pl_strcmp(&msg->met, "ACK") ||
	    !pl_strcmp(&msg->met, "CANCEL"))
		return false;   /* in a dialog, or bound to a transaction */
	if (sip_src_from_sockaddr(&msg->src.u.sa, &src) < 0)
		return false;
	if (!admit_allowed(a, &src, &trunks)) {
		admit_refuse(a, msg, &src, SIP_REFUSE_NOT_ALLOWED, 403, "Forbidden");
		return true;
	}
	if (pl_strcmp(&msg->met, "INVITE") != 0)
		return false;   /* OPTIONS and the like from an admitted source */
	if (admit_digest(a, msg, &src, trunks) != 0)
		return true;    /* challenged */
	if (o->max_calls_per_source > 0 &&
	    admit_source_calls(line, &msg->src) >= o->max_calls_per_source) {
		admit_refuse(a, msg, &src, SIP_REFUSE_SOURCE_CALLS, 486, "Busy Here");
		return true;
	}
	e = sip_admit_table_get(a->table, &src, o->max_call_rate, tmr_jiffies());
	if (!sip_admit_take(e, o->max_call_rate, o->max_call_rate, tmr_jiffies())) {
		admit_refuse(a, msg, &src, SIP_REFUSE_RATE, 486, "Busy Here");
		return true;
	}
	return false;
}

/*
 * A trunk's address (the bits of the trunks it belongs to go to *trunks),
 * or in sip allow. With no trunk and no allow line, loopback only: a
 * gateway fresh out of the box is not open to the network.
 */
static bool
admit_allowed(const struct sip_admit *a, const struct sip_src *src, unsigned *trunks)
{
	const struct sip_line_options *o = &a->line->opts;
	static const struct sip_cidr loop4 = { AF_INET, { 127 }, 8 };
	static const struct sip_cidr loop6 = { AF_INET6, { [15] = 1 }, 128 };
	unsigned i, j;

	*trunks = 0;
	for (i = 0; i < o->ntrunks && i < SIP_MAX_TRUNKS; i++)
		for (j = 0; j < a->nsrc[i]; j++)
			if (sip_src_equal(&a->src[i][j], src))
				*trunks |= 1u << i;
	if (*trunks != 0)
		return true;
	for (i = 0; i < o->admit.nallow; i++)
		if (sip_cidr_match(&o->admit.allow[i], src))
			return true;
	if (o->ntrunks == 0 && o->admit.nallow == 0)
		return sip_cidr_match(&loop4, src) || sip_cidr_match(&loop6, src);
	return false;
}

/*
 * Digest authentication of an INVITE from trunks that want it (RFC 3261
 * 22.4, MD5, qop=auth): 0 when none of them has inbound credentials or the
 * response is right, else -1 after a 401 challenge.
 */
static int
admit_digest(struct sip_admit *a, const struct sip_msg *msg, const struct sip_src *src,
    unsigned trunks)
{
	const struct sip_line_options *o = &a->line->opts;
	struct httpauth_digest_resp resp;
	const struct sip_hdr *h;
	uint8_t ha1[16];
	uint64_t now_s = tmr_jiffies() / 1000;
	bool wanted = false, stale = false;
	unsigned i;
	int fresh;

	for (i = 0; i < o->ntrunks && i < SIP_MAX_TRUNKS; i++)
		if ((trunks & (1u << i)) && o->trunks[i].inbound_user[0] != '\0')
			wanted = true;
	if (!wanted)
		return 0;
	h = sip_msg_hdr(msg, SIP_HDR_AUTHORIZATION);
	if (h == NULL || httpauth_digest_response_decode(&resp, &h->val) != 0) {
		admit_challenge(a, msg, src, false);
		return -1;
	}
	fresh = sip_admit_nonce_check(a->secret, sizeof(a->secret), src, now_s,
	    resp.nonce.p, resp.nonce.l);
	if (fresh == 1)
		stale = true;
	else if (fresh == 0 && pl_strcmp(&resp.realm, o->admit.realm) == 0)
		for (i = 0; i < o->ntrunks && i < SIP_MAX_TRUNKS; i++) {
			const struct sip_trunk *t = &o->trunks[i];

			if (!(trunks & (1u << i)) || t->inbound_user[0] == '\0' ||
			    pl_strcmp(&resp.username, t->inbound_user) != 0)
				continue;
			if (md5_printf(ha1, "%s:%s:%s", t->inbound_user, o->admit.realm,
			    t->inbound_password) == 0 &&
			    httpauth_digest_response_auth(&resp, &msg->met, ha1) == 0)
				return 0;
		}
	if (!stale)
		admit_refuse(a, NULL, src, SIP_REFUSE_AUTH, 401, "Unauthorized");
	admit_challenge(a, msg, src, stale);
	return -1;
}

static void
admit_challenge(struct sip_admit *a, const struct sip_msg *msg, const struct sip_src *src,
    bool stale)
{
	char nonce[SIP_ADMIT_NONCE_LEN + 1];

	sip_admit_nonce(a->secret, sizeof(a->secret), src, tmr_jiffies() / 1000, nonce);
	(void)sip_replyf(a->line->sip, msg, 401, "Unauthorized",
	    "WWW-Authenticate: Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
	    "qop=\"auth\"%s\r\nContent-Length: 0\r\n\r\n", a->line->opts.admit.realm, nonce,
	    stale ? ", stale=true" : "");
}

/* Incoming calls in progress from src's address. */
static unsigned
admit_source_calls(const struct sip_line *line, const struct sa *src)
{
	const struct le *le;
	unsigned n = 0;

	for (le = list_head(&line->calls); le != NULL; le = le->next) {
		const struct sip_call *c = le->data;

		if (c->dir == SIP_DIR_ONRAMP && c->state < SIP_CALL_CLOSING &&
		    sa_cmp(&c->src, src, SA_ADDR))
			n++;
	}
	return n;
}

/* ---- refusals and their log ---- */

/* Answers msg (unless NULL) statelessly, counts the refusal, logs it
 * when the interval's budget allows. */
static void
admit_refuse(struct sip_admit *a, const struct sip_msg *msg, const struct sip_src *src,
    enum sip_refusal why, uint16_t scode, const char *reason)
{
	struct sip_admit_entry *e;
	char addr[64];

	if (msg != NULL)
		(void)sip_reply(a->line->sip, msg, scode, reason);
	e = sip_admit_table_get(a->table, src, a->line->opts.admit.max_call_rate,
	    tmr_jiffies());
	e->refused[why]++;
	if (e->logged || a->log_left == 0)
		return;
	a->log_left--;
	e->logged = true;
	e->refused[why]--;      /* this one is in the line below */
	log_info("event=sip-refused src=%s reason=%s sip=%u method=%.*s", sip_src_str(src,
	    addr, sizeof(addr)), refusal_name(why), scode,
	    msg != NULL ? (int)(msg->met.l < 16 ? msg->met.l : 16) : 6,
	    msg != NULL ? msg->met.p : "INVITE");
}

static void
admit_log_tmr(void *arg)
{
	struct sip_admit *a = arg;

	admit_log_summary(a);
	tmr_start(&a->log_tmr, SIP_ADMIT_LOG_MS, admit_log_tmr, a);
}

static void
admit_summarize(struct sip_admit_entry *e, void *arg)
{
	struct admit_summary *s = arg;
	char addr[64], counts[128];
	uint32_t total = 0;
	size_t off = 0;
	unsigned k;

	e->logged = false;
	counts[0] = '\0';
	for (k = 0; k < SIP_REFUSE_N; k++) {
		total += e->refused[k];
		if (e->refused[k] > 0 && off < sizeof(counts))
			off += (size_t)snprintf(counts + off, sizeof(counts) - off, " %s=%u",
			    refusal_name((enum sip_refusal)k), e->refused[k]);
	}
	if (total == 0)
		return;
	if (s->lines < SIP_ADMIT_LOG_SOURCES) {
		s->lines++;
		log_info("event=sip-refused-summary src=%s secs=%u%s",
		    sip_src_str(&e->src, addr, sizeof(addr)), SIP_ADMIT_LOG_MS / 1000, counts);
	} else {
		s->sources++;
		for (k = 0; k < SIP_REFUSE_N; k++)
			s->count[k] += e->refused[k];
	}
	memset(e->refused, 0, sizeof(e->refused));
}

/* One line per source refused in the interval (at most
 * SIP_ADMIT_LOG_SOURCES), one for the rest and the forgotten. */
static void
admit_log_summary(struct sip_admit *a)
{
	struct admit_summary s;
	uint32_t *lost = sip_admit_table_forgotten(a->table), total = 0;
	unsigned k;

	memset(&s, 0, sizeof(s));
	sip_admit_table_walk(a->table, admit_summarize, &s);
	for (k = 0; k < SIP_REFUSE_N; k++) {
		s.count[k] += lost[k];
		total += s.count[k];
		lost[k] = 0;
	}
	if (total > 0)
		log_info("event=sip-refused-summary src=others sources=%u secs=%u "
		    "not-allowed=%u auth=%u call-rate=%u calls-per-source=%u", s.sources,
		    SIP_ADMIT_LOG_MS / 1000, s.count[SIP_REFUSE_NOT_ALLOWED],
		    s.count[SIP_REFUSE_AUTH], s.count[SIP_REFUSE_RATE],
		    s.count[SIP_REFUSE_SOURCE_CALLS]);
	a->log_left = SIP_ADMIT_LOG_BURST;
}

/* ---- the trunks' addresses ---- */

/* "host", "host:port", "[v6]:port" -> host. 0 or -1. */
static int
host_of(const char *domain, char *out, size_t size)
{
	const char *end;
	size_t n;

	if (domain[0] == '[') {
		end = strchr(domain, ']');
		if (end == NULL)
			return -1;
		domain++;
	} else {
		end = domain + strcspn(domain, ":;>");
	}
	n = (size_t)(end - domain);
	if (n == 0 || n >= size)
		return -1;
	memcpy(out, domain, n);
	out[n] = '\0';
	return 0;
}

/* The hosts of the (new) trunks: literals now, names by the resolver. */
static void
admit_hosts(struct sip_admit *a)
{
	const struct sip_line_options *o = &a->line->opts;
	char prev[SIP_MAX_TRUNKS][SIP_URI_MAX];
	unsigned i;

	memcpy(prev, a->host, sizeof(prev));
	memset(a->host, 0, sizeof(a->host));
	for (i = 0; i < o->ntrunks && i < SIP_MAX_TRUNKS; i++) {
		if (host_of(o->trunks[i].domain, a->host[i], sizeof(a->host[i])) < 0) {
			log_warnx("event=sip-allow trunk=%s result=bad-host", o->trunks[i].name);
			continue;
		}
		/* Trunks are positional: keep what is known of an unchanged host. */
		if (strcmp(prev[i], a->host[i]) != 0) {
			a->nsrc[i] = 0;
			a->state[i] = 0;
		}
		if (sip_src_parse(a->host[i], &a->src[i][0]) == 0) {
			a->nsrc[i] = 1;
			a->state[i] = 1;
		}
	}
	for (; i < SIP_MAX_TRUNKS; i++) {
		a->nsrc[i] = 0;
		a->state[i] = 0;
	}
	admit_resolve(a);
}

/* Starts a lookup of the trunk hosts that are names (one at a time). */
static void
admit_resolve(struct sip_admit *a)
{
	const struct sip_line_options *o = &a->line->opts;
	struct admit_dns *d;
	struct sip_src probe;
	pthread_attr_t at;
	pthread_t th;
	unsigned i, n = 0;
	int err;

	tmr_cancel(&a->dns_tmr);
	if (a->dns != NULL) {
		admit_dns_release(a->dns);      /* its answer is for the old hosts */
		a->dns = NULL;
	}
	for (i = 0; i < o->ntrunks && i < SIP_MAX_TRUNKS; i++)
		if (a->host[i][0] != '\0' && sip_src_parse(a->host[i], &probe) != 0)
			n++;
	if (n == 0)
		return;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto retry;
	pthread_mutex_init(&d->lock, NULL);
	d->refs = 2;
	d->n = o->ntrunks < SIP_MAX_TRUNKS ? o->ntrunks : SIP_MAX_TRUNKS;
	for (i = 0; i < d->n; i++)
		if (sip_src_parse(a->host[i], &probe) != 0)
			memcpy(d->host[i], a->host[i], sizeof(d->host[i]));
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &at, admit_dns_main, d);
	pthread_attr_destroy(&at);
	if (err != 0) {
		log_warnx("event=sip-allow result=no-resolver error=\"%s\"", strerror(err));
		pthread_mutex_destroy(&d->lock);
		free(d);
		goto retry;
	}
	a->dns = d;
	tmr_start(&a->dns_tmr, SIP_ADMIT_POLL_MS, admit_dns_tmr, a);
	return;
retry:
	tmr_start(&a->dns_tmr, SIP_ADMIT_RETRY_S * 1000u, admit_dns_tmr, a);
}

/* The resolver thread: getaddrinfo for each host; touches only d. */
static void *
admit_dns_main(void *arg)
{
	struct admit_dns *d = arg;
	struct addrinfo hints, *res, *ai;
	struct sip_src src;
	unsigned i, j;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	for (i = 0; i < d->n; i++) {
		if (d->host[i][0] == '\0')
			continue;
		d->err[i] = getaddrinfo(d->host[i], NULL, &hints, &res);
		if (d->err[i] != 0)
			continue;
		for (ai = res; ai != NULL && d->nsrc[i] < SIP_ADMIT_ADDRS; ai = ai->ai_next) {
			if (sip_src_from_sockaddr(ai->ai_addr, &src) < 0)
				continue;
			for (j = 0; j < d->nsrc[i]; j++)
				if (sip_src_equal(&d->src[i][j], &src))
					break;
			if (j == d->nsrc[i])
				d->src[i][d->nsrc[i]++] = src;
		}
		freeaddrinfo(res);
	}
	pthread_mutex_lock(&d->lock);
	d->done = true;
	pthread_mutex_unlock(&d->lock);
	admit_dns_release(d);
	return NULL;
}

static void
admit_dns_release(struct admit_dns *d)
{
	int left;

	pthread_mutex_lock(&d->lock);
	left = --d->refs;
	pthread_mutex_unlock(&d->lock);
	if (left == 0) {
		pthread_mutex_destroy(&d->lock);
		free(d);
	}
}

/* Polls the lookup in progress; or, with none, starts the next one. */
static void
admit_dns_tmr(void *arg)
{
	struct sip_admit *a = arg;
	struct admit_dns *d = a->dns;
	bool done;

	if (d == NULL) {
		admit_resolve(a);
		return;
	}
	pthread_mutex_lock(&d->lock);
	done = d->done;
	pthread_mutex_unlock(&d->lock);
	if (!done) {
		tmr_start(&a->dns_tmr, SIP_ADMIT_POLL_MS, admit_dns_tmr, a);
		return;
	}
	a->dns = NULL;
	admit_dns_apply(a, d);
	admit_dns_release(d);
}

/* Takes the addresses found; logs what changed; plans the next lookup. */
static void
admit_dns_apply(struct sip_admit *a, struct admit_dns *d)
{
	const struct sip_line_options *o = &a->line->opts;
	char list[SIP_ADMIT_ADDRS * 48], addr[64];
	bool failed = false;
	size_t off;
	unsigned i, j;

	for (i = 0; i < d->n; i++) {
		if (d->host[i][0] == '\0')
			continue;
		if (d->err[i] != 0 || d->nsrc[i] == 0) {
			failed = true;
			if (a->state[i] != -1)
				log_warnx("event=sip-allow trunk=%s host=%s result=unresolved "
				    "error=\"%s\" calls=%s", o->trunks[i].name, d->host[i],
				    d->err[i] != 0 ? gai_strerror(d->err[i]) : "no address",
				    a->nsrc[i] > 0 ? "admitted-from-last-addresses" : "refused");
			a->state[i] = -1;
			continue;       /* keep the last good addresses, if any */
		}
		if (a->state[i] == 1 && a->nsrc[i] == d->nsrc[i] &&
		    memcmp(a->src[i], d->src[i], d->nsrc[i] * sizeof(d->src[i][0])) == 0)
			continue;
		memcpy(a->src[i], d->src[i], sizeof(a->src[i]));
		a->nsrc[i] = d->nsrc[i];
		a->state[i] = 1;
		list[0] = '\0';
		for (j = 0, off = 0; j < a->nsrc[i] && off < sizeof(list); j++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", j ? "," : "",
			    sip_src_str(&a->src[i][j], addr, sizeof(addr)));
		log_info("event=sip-allow trunk=%s host=%s addrs=%s", o->trunks[i].name,
		    d->host[i], list);
	}
	tmr_start(&a->dns_tmr, (failed ? SIP_ADMIT_RETRY_S : SIP_ADMIT_RESOLVE_S) * 1000u,
	    admit_dns_tmr, a);
}
