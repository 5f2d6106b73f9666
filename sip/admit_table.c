/*
 * sip/admit_table: the pure parts of SIP admission (sip/admit.h): source
 * addresses and CIDR matching, the bounded table of sources with their
 * token buckets and unlogged refusals, and digest nonces.
 *
 * The table is a fixed array of entries, chained in hash buckets and in a
 * least-recently-seen list; a new source on a full table takes the place
 * of the one seen longest ago. No allocation after sip_admit_table_new().
 * It does no I/O and reads no clock: times are passed in.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <re.h>

#include "sip/admit.h"

struct sip_admit_table {
	struct sip_admit_entry *e;      /* owned, capacity entries */
	int *heads;                     /* owned, nbuckets chain heads */
	unsigned capacity, nbuckets, count;
	int lru_head, lru_tail;         /* most and least recently seen */
	uint32_t forgotten[SIP_REFUSE_N];
};

/* Table of contents. */
static unsigned table_src_len(const struct sip_src *s);
static unsigned table_src_hash(const struct sip_src *s, unsigned nbuckets);
static void table_lru_unlink(struct sip_admit_table *t, int i);
static void table_lru_push(struct sip_admit_table *t, int i);
static void table_hash_unlink(struct sip_admit_table *t, int i);
static void table_src_v6(const uint8_t *a, struct sip_src *src);

static unsigned
table_src_len(const struct sip_src *s)
{
	return s->family == AF_INET ? 4u : 16u;
}

/* FNV-1a over the family and the address bytes. */
static unsigned
table_src_hash(const struct sip_src *s, unsigned nbuckets)
{
	uint32_t h = 2166136261u;
	unsigned i;

	h = (h ^ s->family) * 16777619u;
	for (i = 0; i < table_src_len(s); i++)
		h = (h ^ s->addr[i]) * 16777619u;
	return h & (nbuckets - 1);
}

bool
sip_src_equal(const struct sip_src *a, const struct sip_src *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, table_src_len(a)) == 0;
}

/* An IPv6 address; IPv4-mapped ones (::ffff:a.b.c.d) become IPv4. */
static void
table_src_v6(const uint8_t *a, struct sip_src *src)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(src, 0, sizeof(*src));
	if (memcmp(a, mapped, sizeof(mapped)) == 0) {
		src->family = AF_INET;
		memcpy(src->addr, a + 12, 4);
	} else {
		src->family = AF_INET6;
		memcpy(src->addr, a, 16);
	}
}

int
sip_src_from_sockaddr(const struct sockaddr *sa, struct sip_src *src)
{
	memset(src, 0, sizeof(*src));
	if (sa->sa_family == AF_INET) {
		src->family = AF_INET;
		memcpy(src->addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		table_src_v6(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr,
		    src);
		return 0;
	}
	return -1;
}

int
sip_src_parse(const char *text, struct sip_src *src)
{
	uint8_t a[16];

	memset(src, 0, sizeof(*src));
	if (inet_pton(AF_INET, text, src->addr) == 1) {
		src->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, a) == 1) {
		table_src_v6(a, src);
		return 0;
	}
	return -1;
}

const char *
sip_src_str(const struct sip_src *src, char *buf, size_t size)
{
	if (inet_ntop(src->family == AF_INET ? AF_INET : AF_INET6, src->addr, buf,
	    (socklen_t)size) == NULL)
		snprintf(buf, size, "?");
	return buf;
}

bool
sip_cidr_match(const struct sip_cidr *c, const struct sip_src *src)
{
	unsigned full = c->prefix / 8, rest = c->prefix % 8;

	if ((c->family == AF_INET ? AF_INET : AF_INET6) != src->family)
		return false;
	if (c->prefix > table_src_len(src) * 8)
		return false;
	if (memcmp(c->addr, src->addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((c->addr[full] ^ src->addr[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

/* ---- the table ---- */

struct sip_admit_table *
sip_admit_table_new(unsigned capacity)
{
	struct sip_admit_table *t;
	unsigned i;

	if (capacity == 0 || capacity > SIP_ADMIT_SOURCES * 16)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->capacity = capacity;
	for (t->nbuckets = 1; t->nbuckets < capacity * 2; t->nbuckets <<= 1)
		;
	t->e = calloc(capacity, sizeof(*t->e));
	t->heads = malloc(t->nbuckets * sizeof(*t->heads));
	if (t->e == NULL || t->heads == NULL) {
		sip_admit_table_free(t);
		return NULL;
	}
	for (i = 0; i < t->nbuckets; i++)
		t->heads[i] = -1;
	t->lru_head = t->lru_tail = -1;
	return t;
}

void
sip_admit_table_free(struct sip_admit_table *t)
{
	if (t == NULL)
		return;
	free(t->e);
	free(t->heads);
	free(t);
}

static void
table_lru_unlink(struct sip_admit_table *t, int i)
{
	struct sip_admit_entry *e = &t->e[i];

	if (e->lprev >= 0)
		t->e[e->lprev].lnext = e->lnext;
	else
		t->lru_head = e->lnext;
	if (e->lnext >= 0)
		t->e[e->lnext].lprev = e->lprev;
	else
		t->lru_tail = e->lprev;
	e->lprev = e->lnext = -1;
}

static void
table_lru_push(struct sip_admit_table *t, int i)
{
	struct sip_admit_entry *e = &t->e[i];

	e->lprev = -1;
	e->lnext = t->lru_head;
	if (t->lru_head >= 0)
		t->e[t->lru_head].lprev = i;
	t->lru_head = i;
	if (t->lru_tail < 0)
		t->lru_tail = i;
}

static void
table_hash_unlink(struct sip_admit_table *t, int i)
{
	int *pp = &t->heads[table_src_hash(&t->e[i].src, t->nbuckets)];

	while (*pp >= 0 && *pp != i)
		pp = &t->e[*pp].hnext;
	if (*pp == i)
		*pp = t->e[i].hnext;
}

struct sip_admit_entry *
sip_admit_table_get(struct sip_admit_table *t, const struct sip_src *src, unsigned burst,
    uint64_t now_ms)
{
	unsigned h = table_src_hash(src, t->nbuckets), k;
	struct sip_admit_entry *e;
	int i;

	for (i = t->heads[h]; i >= 0; i = t->e[i].hnext)
		if (sip_src_equal(&t->e[i].src, src)) {
			if (t->lru_head != i) {
				table_lru_unlink(t, i);
				table_lru_push(t, i);
			}
			return &t->e[i];
		}
	if (t->count < t->capacity) {
		i = (int)t->count++;
	} else {
		/* Full: the source seen longest ago makes room. */
		i = t->lru_tail;
		for (k = 0; k < SIP_REFUSE_N; k++)
			t->forgotten[k] += t->e[i].refused[k];
		table_lru_unlink(t, i);
		table_hash_unlink(t, i);
	}
	e = &t->e[i];
	memset(e, 0, sizeof(*e));
	e->src = *src;
	e->tokens = (uint64_t)burst * SIP_ADMIT_TOKEN;
	e->refill_ms = now_ms;
	e->used = true;
	e->hnext = t->heads[h];
	t->heads[h] = i;
	table_lru_push(t, i);
	return e;
}

unsigned
sip_admit_table_count(const struct sip_admit_table *t)
{
	return t->count;
}

uint32_t *
sip_admit_table_forgotten(struct sip_admit_table *t)
{
	return t->forgotten;
}

void
sip_admit_table_walk(struct sip_admit_table *t,
    void (*fn)(struct sip_admit_entry *e, void *arg), void *arg)
{
	int i, next;

	for (i = t->lru_head; i >= 0; i = next) {
		next = t->e[i].lnext;
		fn(&t->e[i], arg);
	}
}

bool
sip_admit_take(struct sip_admit_entry *e, unsigned rate, unsigned burst, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)(burst > 0 ? burst : 1) * SIP_ADMIT_TOKEN;

	if (rate == 0)
		return true;
	if (now_ms > e->refill_ms) {
		/* rate tokens per 1000 ms, in thousandths of a token */
		uint64_t add = (now_ms - e->refill_ms) * rate;

		e->tokens = add >= cap || e->tokens + add >= cap ? cap : e->tokens + add;
		e->refill_ms = now_ms;
	}
	if (e->tokens < SIP_ADMIT_TOKEN)
		return false;
	e->tokens -= SIP_ADMIT_TOKEN;
	return true;
}

/* ---- nonces ---- */

/* HMAC-SHA1(secret, time | address), cut to 8 bytes, after the time. */
void
sip_admit_nonce(const uint8_t *secret, size_t secret_len, const struct sip_src *src,
    uint64_t now_s, char out[SIP_ADMIT_NONCE_LEN + 1])
{
	uint8_t data[4 + 1 + 16], mac[20];
	uint32_t t = (uint32_t)now_s;
	unsigned i;

	data[0] = (uint8_t)(t >> 24);
	data[1] = (uint8_t)(t >> 16);
	data[2] = (uint8_t)(t >> 8);
	data[3] = (uint8_t)t;
	data[4] = src->family;
	memcpy(data + 5, src->addr, 16);
	hmac_sha1(secret, secret_len, data, sizeof(data), mac, sizeof(mac));
	snprintf(out, 9, "%08x", (unsigned)t);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 + 2 * i, 3, "%02x", mac[i]);
}

int
sip_admit_nonce_check(const uint8_t *secret, size_t secret_len, const struct sip_src *src,
    uint64_t now_s, const char *nonce, size_t len)
{
	char want[SIP_ADMIT_NONCE_LEN + 1], ts[9];
	unsigned long t;
	char *end;

	if (len != SIP_ADMIT_NONCE_LEN)
		return -1;
	memcpy(ts, nonce, 8);
	ts[8] = '\0';
	t = strtoul(ts, &end, 16);
	if (*end != '\0')
		return -1;
	sip_admit_nonce(secret, secret_len, src, t, want);
	if (memcmp(want, nonce, SIP_ADMIT_NONCE_LEN) != 0)
		return -1;
	if ((uint32_t)now_s - (uint32_t)t > SIP_ADMIT_NONCE_SECS)
		return 1;
	return 0;
}
