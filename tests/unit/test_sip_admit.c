/* Unit tests for sip/admit: the CIDR matcher, the bounded table of
 * sources and its token buckets, digest nonces; then a real line thread
 * on loopback with admission on, driven with hand-written SIP over UDP
 * from 127.0.0.1 and 127.0.0.2 (403, 401 and the digest, 486 beyond the
 * rate and the per-source cap); and the identity of outgoing calls
 * (From, P-Asserted-Identity, Privacy). */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <re.h>

#include "sip_test_util.h"
#include "sip/admit.h"
#include "sip/sip.h"

/* ---- CIDR ---- */

static const struct {
	const char *net;        /* address/prefix */
	const char *addr;
	bool match;
} cidr_cases[] = {
	{ "192.0.2.0/24", "192.0.2.1", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.3.0", false },
	{ "192.0.2.128/25", "192.0.2.127", false },
	{ "192.0.2.128/25", "192.0.2.200", true },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "127.0.0.1/32", "127.0.0.1", true },
	{ "127.0.0.1/32", "127.0.0.2", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "2001:db8::1", false },         /* families do not mix */
	{ "192.0.2.0/24", "::ffff:192.0.2.7", true },  /* v4-mapped is IPv4 */
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "::1/128", "::1", true },
	{ "::1/128", "127.0.0.1", false },
	{ "::/0", "fe80::1", true },
};

static void
cidr_parse(const char *text, struct sip_cidr *c)
{
	char addr[64];
	const char *slash = strchr(text, '/');
	struct sip_src s;

	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - text), text);
	ck_assert_int_eq(sip_src_parse(addr, &s), 0);
	memset(c, 0, sizeof(*c));
	c->family = s.family;
	memcpy(c->addr, s.addr, 16);
	c->prefix = (unsigned)atoi(slash + 1);
}

START_TEST(test_cidr)
{
	struct sip_cidr c;
	struct sip_src s;

	cidr_parse(cidr_cases[_i].net, &c);
	ck_assert_int_eq(sip_src_parse(cidr_cases[_i].addr, &s), 0);
	ck_assert_msg(sip_cidr_match(&c, &s) == cidr_cases[_i].match, "%s in %s",
	    cidr_cases[_i].addr, cidr_cases[_i].net);
}
END_TEST

START_TEST(test_src)
{
	struct sip_src a, b;
	char buf[64];

	ck_assert_int_eq(sip_src_parse("::ffff:10.1.2.3", &a), 0);
	ck_assert_int_eq(a.family, AF_INET);
	ck_assert_str_eq(sip_src_str(&a, buf, sizeof(buf)), "10.1.2.3");
	ck_assert_int_eq(sip_src_parse("10.1.2.3", &b), 0);
	ck_assert(sip_src_equal(&a, &b));
	ck_assert_int_eq(sip_src_parse("2001:db8::7", &b), 0);
	ck_assert(!sip_src_equal(&a, &b));
	ck_assert_str_eq(sip_src_str(&b, buf, sizeof(buf)), "2001:db8::7");
	ck_assert_int_eq(sip_src_parse("host.example", &b), -1);
	ck_assert_int_eq(sip_src_parse("10.1.2.3/8", &b), -1);
	ck_assert_int_eq(sip_src_parse("", &b), -1);
}
END_TEST

/* ---- the table ---- */

static struct sip_src
src_n(unsigned n)
{
	struct sip_src s;

	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.addr[0] = 10;
	s.addr[1] = (uint8_t)(n >> 16);
	s.addr[2] = (uint8_t)(n >> 8);
	s.addr[3] = (uint8_t)n;
	return s;
}

/* Rate 2/s, burst 2: two calls at once, then one per 500 ms. */
START_TEST(test_token_bucket)
{
	struct sip_admit_table *t = sip_admit_table_new(16);
	struct sip_src s = src_n(1);
	struct sip_admit_entry *e;

	ck_assert_ptr_nonnull(t);
	e = sip_admit_table_get(t, &s, 2, 1000);
	ck_assert(sip_admit_take(e, 2, 2, 1000));
	ck_assert(sip_admit_take(e, 2, 2, 1000));
	ck_assert(!sip_admit_take(e, 2, 2, 1000));
	ck_assert(!sip_admit_take(e, 2, 2, 1499));
	ck_assert(sip_admit_take(e, 2, 2, 1500));
	ck_assert(!sip_admit_take(e, 2, 2, 1600));
	/* a long pause refills to the burst, not beyond */
	ck_assert(sip_admit_take(e, 2, 2, 100000));
	ck_assert(sip_admit_take(e, 2, 2, 100000));
	ck_assert(!sip_admit_take(e, 2, 2, 100000));
	/* the same source finds its entry again; rate 0 is no limit */
	ck_assert_ptr_eq(sip_admit_table_get(t, &s, 2, 100000), e);
	ck_assert(sip_admit_take(e, 0, 0, 100000));
	/* a clock that goes back takes nothing */
	ck_assert(!sip_admit_take(e, 2, 2, 50));
	sip_admit_table_free(t);
}
END_TEST

static void
count_entry(struct sip_admit_entry *e, void *arg)
{
	ck_assert(e->used);
	(*(unsigned *)arg)++;
}

/* 100,000 sources through a table of 4096: memory stays bounded, the most
 * recent sources are kept, refusals of forgotten ones are still counted. */
START_TEST(test_table_bounded)
{
	struct sip_admit_table *t = sip_admit_table_new(SIP_ADMIT_SOURCES);
	struct sip_admit_entry *e, *first;
	struct sip_src s;
	unsigned i, walked = 0;
	uint32_t *lost;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 100000; i++) {
		s = src_n(i);
		e = sip_admit_table_get(t, &s, 5, i);
		ck_assert(sip_src_equal(&e->src, &s));
		e->refused[SIP_REFUSE_NOT_ALLOWED]++;
		ck_assert_uint_le(sip_admit_table_count(t), SIP_ADMIT_SOURCES);
	}
	ck_assert_uint_eq(sip_admit_table_count(t), SIP_ADMIT_SOURCES);
	lost = sip_admit_table_forgotten(t);
	ck_assert_uint_eq(lost[SIP_REFUSE_NOT_ALLOWED], 100000 - SIP_ADMIT_SOURCES);
	sip_admit_table_walk(t, count_entry, &walked);
	ck_assert_uint_eq(walked, SIP_ADMIT_SOURCES);
	/* The last source is there with its count; the first is a new entry. */
	s = src_n(99999);
	e = sip_admit_table_get(t, &s, 5, 200000);
	ck_assert_uint_eq(e->refused[SIP_REFUSE_NOT_ALLOWED], 1);
	s = src_n(0);
	first = sip_admit_table_get(t, &s, 5, 200000);
	ck_assert_uint_eq(first->refused[SIP_REFUSE_NOT_ALLOWED], 0);
	/* A source seen again stays while others come and go. */
	for (i = 0; i < 3 * SIP_ADMIT_SOURCES; i++) {
		s = src_n(200000 + i);
		(void)sip_admit_table_get(t, &s, 5, 300000);
		s = src_n(0);
		e = sip_admit_table_get(t, &s, 5, 300000);
	}
	ck_assert_ptr_eq(e, first);
	ck_assert_ptr_null(sip_admit_table_new(0));
	sip_admit_table_free(t);
	sip_admit_table_free(NULL);
}
END_TEST

/* One hostile source cannot use up another source's tokens. */
START_TEST(test_table_sources_apart)
{
	struct sip_admit_table *t = sip_admit_table_new(4);
	struct sip_src a = src_n(1), b = src_n(2);
	struct sip_admit_entry *e;
	int i, ok = 0;

	for (i = 0; i < 500; i++) {
		e = sip_admit_table_get(t, &a, 3, 10);
		ok += sip_admit_take(e, 3, 3, 10);
	}
	ck_assert_int_eq(ok, 3);
	e = sip_admit_table_get(t, &b, 3, 10);
	ck_assert(sip_admit_take(e, 3, 3, 10));
	sip_admit_table_free(t);
}
END_TEST

START_TEST(test_nonce)
{
	static const uint8_t key[] = "0123456789abcdefghij";
	char n[SIP_ADMIT_NONCE_LEN + 1], bad[SIP_ADMIT_NONCE_LEN + 1];
	struct sip_src a = src_n(1), b = src_n(2);

	sip_admit_nonce(key, 20, &a, 1000, n);
	ck_assert_uint_eq(strlen(n), SIP_ADMIT_NONCE_LEN);
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &a, 1000, n, strlen(n)), 0);
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &a, 1000 + SIP_ADMIT_NONCE_SECS, n,
	    strlen(n)), 0);
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &a, 1001 + SIP_ADMIT_NONCE_SECS, n,
	    strlen(n)), 1);
	/* bound to the address and the key; not forgeable by changing the time */
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &b, 1000, n, strlen(n)), -1);
	ck_assert_int_eq(sip_admit_nonce_check((const uint8_t *)"other key 0123456789", 20, &a,
	    1000, n, strlen(n)), -1);
	memcpy(bad, n, sizeof(bad));
	bad[7] = bad[7] == '0' ? '1' : '0';
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &a, 1000, bad, strlen(bad)), -1);
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &a, 1000, n, strlen(n) - 1), -1);
	ck_assert_int_eq(sip_admit_nonce_check(key, 20, &a, 1000, "zzzzzzzz0000000000000000",
	    24), -1);
}
END_TEST

/* ---- a line with admission ---- */

static pthread_mutex_t routed_lock = PTHREAD_MUTEX_INITIALIZER;
static int routed;

static void
route(const struct sip_call_info *info, struct sip_route_decision *d, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&routed_lock);
	routed++;
	pthread_mutex_unlock(&routed_lock);
	if (strcmp(info->dnis, "ring") == 0) {
		d->action = SIP_ROUTE_RING_ONLY;
		snprintf(d->rx_path, sizeof(d->rx_path), "/tmp/t37-admit-test-%d.tif",
		    (int)getpid());
	} else {
		d->action = SIP_ROUTE_REJECT_NOT_FOUND;
	}
}

static int
routed_count(void)
{
	int n;

	pthread_mutex_lock(&routed_lock);
	n = routed;
	pthread_mutex_unlock(&routed_lock);
	return n;
}

struct admit_peer {
	int fd;
	int port;
	char addr[32];
	struct sockaddr_in to;
};

/* A UDP socket on addr (127.0.0.1 or 127.0.0.2), talking to port. */
static void
admit_peer_open(struct admit_peer *c, const char *addr, int port)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	struct timeval tv = { 3, 0 };

	memset(c, 0, sizeof(*c));
	snprintf(c->addr, sizeof(c->addr), "%s", addr);
	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	inet_pton(AF_INET, addr, &a.sin_addr);
	ck_assert_int_eq(bind(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(c->fd, (struct sockaddr *)&a, &len);
	c->port = ntohs(a.sin_port);
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&c->to, 0, sizeof(c->to));
	c->to.sin_family = AF_INET;
	c->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->to.sin_port = htons((uint16_t)port);
}

static int
free_port(void)
{
	struct admit_peer c;
	int port;

	admit_peer_open(&c, "127.0.0.1", 1);
	port = c.port;
	close(c.fd);
	return port;
}

static const char sdp_audio[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 0\r\n";

/* Sends a request; the status of the first response >= min_status (the
 * response text into full when given), or -1 when none came. */
static int
request(struct admit_peer *c, const char *method, const char *user, const char *callid,
    const char *extra, int min_status, char *full, size_t fullsz)
{
	char msg[4096], resp[4096];
	bool invite = strcmp(method, "INVITE") == 0;
	int n, status;

	n = snprintf(msg, sizeof(msg),
	    "%s sip:%s@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s\r\n"
	    "Max-Forwards: 70\r\nFrom: <sip:5551000@%s>;tag=t%s\r\nTo: <sip:%s@127.0.0.1>\r\n"
	    "Call-ID: %s@test\r\nCSeq: 1 %s\r\nContact: <sip:test@%s:%d>\r\n%s%s"
	    "Content-Length: %zu\r\n\r\n%s", method, user, c->addr, c->port, callid, c->addr,
	    callid, user, callid, method, c->addr, c->port, extra,
	    invite ? "Content-Type: application/sdp\r\n" : "",
	    invite ? strlen(sdp_audio) : (size_t)0, invite ? sdp_audio : "");
	ck_assert_int_lt(n, (int)sizeof(msg));
	ck_assert_int_eq(sendto(c->fd, msg, (size_t)n, 0, (struct sockaddr *)&c->to,
	    sizeof(c->to)), n);
	for (;;) {
		ssize_t r = recv(c->fd, resp, sizeof(resp) - 1, 0);

		if (r <= 0)
			return -1;
		resp[r] = '\0';
		if (sscanf(resp, "SIP/2.0 %d", &status) != 1)
			continue;
		if (status >= min_status) {
			if (full != NULL)
				snprintf(full, fullsz, "%s", resp);
			return status;
		}
	}
}

/* A line on port whose trunk is 127.0.0.1 (with inbound credentials when
 * auth), allowing the network allow (or nothing but the trunk). */
static struct sip_line *
admit_line(int port, unsigned rate, unsigned per_source, bool auth, const char *allow)
{
	struct sip_line_options o;
	struct sip_line *line;

	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.max_calls = 8;
	o.route = route;
	if (allow != NULL) {
		cidr_parse(allow, &o.admit.allow[0]);
		o.admit.nallow = 1;
	}
	o.admit.enabled = true;
	o.admit.max_call_rate = rate;
	o.admit.max_calls_per_source = per_source;
	snprintf(o.admit.realm, sizeof(o.admit.realm), "gw.test");
	/* the trunk is 127.0.0.1; nobody else is listed */
	o.ntrunks = 1;
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "pstn");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "127.0.0.1:5099");
	if (auth) {
		snprintf(o.trunks[0].inbound_user, sizeof(o.trunks[0].inbound_user), "carrier");
		snprintf(o.trunks[0].inbound_password, sizeof(o.trunks[0].inbound_password),
		    "s3cret");
	}
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	return line;
}

/* Not a trunk, not allowed: 403 for INVITE and OPTIONS, no call state;
 * the trunk's address gets through. */
START_TEST(test_admit_source)
{
	int port = free_port();
	struct sip_line *line = admit_line(port, 0, 0, false, NULL);
	struct admit_peer stranger, trunk;
	int before = routed_count();

	admit_peer_open(&stranger, "127.0.0.2", port);
	admit_peer_open(&trunk, "127.0.0.1", port);
	ck_assert_int_eq(request(&stranger, "INVITE", "9913170", "s1", "", 200, NULL, 0), 403);
	ck_assert_int_eq(request(&stranger, "OPTIONS", "x", "s2", "", 200, NULL, 0), 403);
	ck_assert_int_eq(request(&stranger, "REGISTER", "x", "s3", "", 200, NULL, 0), 403);
	ck_assert_int_eq(routed_count(), before);
	ck_assert_uint_eq(sip_line_active_calls(line), 0);
	ck_assert_int_eq(request(&trunk, "OPTIONS", "x", "t1", "", 200, NULL, 0), 200);
	ck_assert_int_eq(request(&trunk, "INVITE", "9913170", "t2", "", 200, NULL, 0), 404);
	ck_assert_int_eq(routed_count(), before + 1);
	st_line_stop(line);
	close(stranger.fd);
	close(trunk.fd);
}
END_TEST

/* A trunk proxy given by name is admitted once the resolver found it
 * (localhost: /etc/hosts, no network needed). */
START_TEST(test_admit_trunk_name)
{
	struct sip_line_options o;
	struct sip_line *line;
	struct admit_peer trunk;
	int port = free_port(), i, st = -1;

	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.route = route;
	o.admit.enabled = true;
	o.ntrunks = 1;
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "byname");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "localhost:5099");
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	admit_peer_open(&trunk, "127.0.0.1", port);
	for (i = 0; i < 30 && st != 404; i++) {
		char id[16];

		snprintf(id, sizeof(id), "n%d", i);
		st = request(&trunk, "INVITE", "9913170", id, "", 200, NULL, 0);
		ck_assert(st == 403 || st == 404);
		if (st == 403)
			usleep(100 * 1000);
	}
	ck_assert_int_eq(st, 404);
	st_line_stop(line);
	close(trunk.fd);
}
END_TEST

/* Fills out the digest response (RFC 2617 3.2.2, qop=auth) to a 401. */
static void
digest(const char *chall, const char *user, const char *pass, const char *uri, char *hdr,
    size_t size)
{
	char realm[64], nonce[64], ha1[33], ha2[33], resp[33];
	uint8_t md[16];
	const char *r = strstr(chall, "realm=\""), *n = strstr(chall, "nonce=\"");
	int i;

	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(sscanf(r, "realm=\"%63[^\"]\"", realm), 1);
	ck_assert_int_eq(sscanf(n, "nonce=\"%63[^\"]\"", nonce), 1);
	md5_printf(md, "%s:%s:%s", user, realm, pass);
	for (i = 0; i < 16; i++)
		snprintf(ha1 + 2 * i, 3, "%02x", md[i]);
	md5_printf(md, "INVITE:%s", uri);
	for (i = 0; i < 16; i++)
		snprintf(ha2 + 2 * i, 3, "%02x", md[i]);
	md5_printf(md, "%s:%s:00000001:abcdef:auth:%s", ha1, nonce, ha2);
	for (i = 0; i < 16; i++)
		snprintf(resp + 2 * i, 3, "%02x", md[i]);
	snprintf(hdr, size, "Authorization: Digest username=\"%s\", realm=\"%s\", "
	    "nonce=\"%s\", uri=\"%s\", response=\"%s\", algorithm=MD5, qop=auth, "
	    "nc=00000001, cnonce=\"abcdef\"\r\n", user, realm, nonce, uri, resp);
}

/* A trunk with inbound credentials: 401 with a challenge, a wrong password
 * is challenged again, the right one gets through. */
START_TEST(test_admit_digest)
{
	int port = free_port();
	struct sip_line *line = admit_line(port, 0, 0, true, NULL);
	struct admit_peer trunk;
	char resp[4096], auth[1024];
	int before = routed_count();

	admit_peer_open(&trunk, "127.0.0.1", port);
	ck_assert_int_eq(request(&trunk, "INVITE", "9913170", "d1", "", 200, resp,
	    sizeof(resp)), 401);
	ck_assert_ptr_nonnull(strstr(resp, "WWW-Authenticate: Digest realm=\"gw.test\""));
	ck_assert_int_eq(routed_count(), before);
	digest(resp, "carrier", "wrong", "sip:9913170@127.0.0.1", auth, sizeof(auth));
	ck_assert_int_eq(request(&trunk, "INVITE", "9913170", "d2", auth, 200, NULL, 0), 401);
	digest(resp, "someone", "s3cret", "sip:9913170@127.0.0.1", auth, sizeof(auth));
	ck_assert_int_eq(request(&trunk, "INVITE", "9913170", "d3", auth, 200, NULL, 0), 401);
	ck_assert_int_eq(routed_count(), before);
	digest(resp, "carrier", "s3cret", "sip:9913170@127.0.0.1", auth, sizeof(auth));
	ck_assert_int_eq(request(&trunk, "INVITE", "9913170", "d4", auth, 200, NULL, 0), 404);
	ck_assert_int_eq(routed_count(), before + 1);
	st_line_stop(line);
	close(trunk.fd);
}
END_TEST

/* max-call-rate 2: a burst of INVITEs gets two through, then 486. */
START_TEST(test_admit_rate)
{
	int port = free_port();
	struct sip_line *line = admit_line(port, 2, 0, false, NULL);
	struct admit_peer trunk;
	char id[16];
	int i, got404 = 0, got486 = 0, st;

	admit_peer_open(&trunk, "127.0.0.1", port);
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		st = request(&trunk, "INVITE", "9913170", id, "", 200, NULL, 0);
		got404 += st == 404;
		got486 += st == 486;
	}
	ck_assert_int_eq(got404, 2);
	ck_assert_int_eq(got486, 4);
	/* a second later the bucket has refilled */
	usleep(1100 * 1000);
	ck_assert_int_eq(request(&trunk, "INVITE", "9913170", "r9", "", 200, NULL, 0), 404);
	st_line_stop(line);
	close(trunk.fd);
}
END_TEST

/* max-calls-per-source 1: a ringing call from the trunk, the next one
 * from it gets 486; an allowed other source still gets a line. */
START_TEST(test_admit_per_source)
{
	int port = free_port();
	struct sip_line *line = admit_line(port, 0, 1, false, "127.0.0.2/32");
	struct admit_peer trunk, pbx;
	char buf[4096];

	admit_peer_open(&trunk, "127.0.0.1", port);
	admit_peer_open(&pbx, "127.0.0.2", port);
	ck_assert_int_eq(request(&pbx, "INVITE", "ring", "p1", "", 180, NULL, 0), 180);
	ck_assert_int_eq(request(&pbx, "INVITE", "ring", "p2", "", 200, NULL, 0), 486);
	ck_assert_int_eq(request(&trunk, "INVITE", "ring", "q1", "", 180, NULL, 0), 180);
	ck_assert_uint_eq(sip_line_active_calls(line), 2);
	st_line_stop(line);
	while (recv(pbx.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	close(trunk.fd);
	close(pbx.fd);
}
END_TEST

/* ---- who outgoing calls are from ---- */

/* Dials through a trunk that swallows the INVITE; returns its text. */
static void
dial_capture(enum sip_asserted_id aid, const char *from, const char *name, bool privacy,
    char *invite, size_t size)
{
	struct sip_line_options o;
	struct sip_dial_request req;
	struct sip_line *line;
	struct admit_peer peer;
	ssize_t n;
	int port = free_port();

	admit_peer_open(&peer, "127.0.0.1", 1);
	sip_line_options_init(&o);
	snprintf(o.listen_udp[0], sizeof(o.listen_udp[0]), "127.0.0.1:%d", port);
	o.nlisten_udp = 1;
	o.ntrunks = 1;
	snprintf(o.trunks[0].name, sizeof(o.trunks[0].name), "t1");
	snprintf(o.trunks[0].domain, sizeof(o.trunks[0].domain), "127.0.0.1:%d", peer.port);
	o.trunks[0].asserted_id = aid;
	line = st_line_start(&o);
	ck_assert_ptr_nonnull(line);
	memset(&req, 0, sizeof(req));
	snprintf(req.target, sizeof(req.target), "t1");
	snprintf(req.number, sizeof(req.number), "19195551234");
	snprintf(req.from, sizeof(req.from), "%s", from);
	snprintf(req.from_name, sizeof(req.from_name), "%s", name);
	req.privacy = privacy;
	snprintf(req.tx_path, sizeof(req.tx_path), "/etc/passwd");
	req.ring_timeout_s = 1;
	req.job_id = 1;
	ck_assert_int_eq(sip_line_dial(line, &req), 0);
	n = recv(peer.fd, invite, size - 1, 0);
	ck_assert_int_gt(n, 0);
	invite[n] = '\0';
	st_line_stop(line);
	close(peer.fd);
}

START_TEST(test_dial_identity)
{
	char inv[8192];

	dial_capture(SIP_ASSERTED_PAI, "+19195550100", "ACME Fax", false, inv, sizeof(inv));
	ck_assert_msg(strstr(inv, "\r\nFrom: \"ACME Fax\" <sip:+19195550100@127.0.0.1>;tag=")
	    != NULL, "%s", inv);
	ck_assert_msg(strstr(inv, "\r\nP-Asserted-Identity: <sip:+19195550100@127.0.0.1>\r\n")
	    != NULL, "%s", inv);
	ck_assert_ptr_null(strstr(inv, "Privacy:"));

	dial_capture(SIP_ASSERTED_PPI, "9195550100", "", false, inv, sizeof(inv));
	ck_assert_msg(strstr(inv, "\r\nFrom: <sip:9195550100@127.0.0.1>;tag=") != NULL, "%s", inv);
	ck_assert_msg(strstr(inv, "\r\nP-Preferred-Identity: <sip:9195550100@127.0.0.1>\r\n")
	    != NULL, "%s", inv);

	/* Privacy: anonymous From, the trusted network still gets the number */
	dial_capture(SIP_ASSERTED_PAI, "+19195550100", "ACME", true, inv, sizeof(inv));
	ck_assert_msg(strstr(inv, "\r\nFrom: \"Anonymous\" <sip:anonymous@anonymous.invalid>;"
	    "tag=") != NULL, "%s", inv);
	ck_assert_ptr_null(strstr(inv, "ACME"));
	ck_assert_ptr_nonnull(strstr(inv, "\r\nPrivacy: id\r\n"));
	ck_assert_ptr_nonnull(strstr(inv, "\r\nP-Asserted-Identity: <sip:+19195550100@"));

	/* no identity header unless the trunk asks for one */
	dial_capture(SIP_ASSERTED_NONE, "+19195550100", "", false, inv, sizeof(inv));
	ck_assert_ptr_null(strstr(inv, "-Identity:"));
	ck_assert_ptr_nonnull(strstr(inv, "\r\nFrom: <sip:+19195550100@127.0.0.1>;tag="));
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *
suite_sip_admit(void)
{
	Suite *s = suite_create("sip_admit");
	TCase *tc = tcase_create("admit");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_cidr, 0, N(cidr_cases));
	tcase_add_test(tc, test_src);
	tcase_add_test(tc, test_token_bucket);
	tcase_add_test(tc, test_table_bounded);
	tcase_add_test(tc, test_table_sources_apart);
	tcase_add_test(tc, test_nonce);
	tcase_add_test(tc, test_admit_source);
	tcase_add_test(tc, test_admit_digest);
	tcase_add_test(tc, test_admit_trunk_name);
	tcase_add_test(tc, test_admit_rate);
	tcase_add_test(tc, test_admit_per_source);
	tcase_add_test(tc, test_dial_identity);
	suite_add_tcase(s, tc);
	return s;
}
