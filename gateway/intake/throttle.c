/*
 * gateway/intake/throttle: the table that slows down SMTP AUTH guessing.
 * It counts failed authentications per client address (IPv6 clients by
 * their /64, which one host usually owns whole) and per user name, each
 * over a window of INTAKE_AUTH_WINDOW seconds:
 *
 *   - an address with INTAKE_AUTH_ADDR_MAX failures is locked for
 *     INTAKE_AUTH_LOCKOUT seconds: its AUTH attempts are answered 454
 *     without the credentials being looked at, so it learns nothing more;
 *   - a user name with INTAKE_AUTH_USER_MAX failures (from anywhere: many
 *     hosts guessing one account) is under attack: from then on a single
 *     failure locks the address it came from.
 *
 * A correct password from an address that is not locked always succeeds,
 * so an attack on an account from other hosts never locks its owner out.
 * Memory is bounded: a fixed number of entries, the least recently used
 * reused when full. Time is passed in by the caller (tests run the clock).
 * No I/O, no logging; single-threaded (the mail loop).
 */
#include <sys/random.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/intake/intake_int.h"
#include "smtp/smtp.h"

enum { KIND_ADDR = 1, KIND_USER = 2 };
#define NIL (-1)

struct throttle_ent {
	char kind;                      /* KIND_*, 0: unused */
	char key[INTAKE_AUTH_KEY_MAX];  /* address (or /64) or user name, truncated */
	unsigned fails;                 /* in the window */
	time_t window;                  /* the window began */
	time_t locked_until;            /* addresses: no AUTH before this */
	int32_t chain;                  /* next in the hash bucket */
	int32_t newer, older;           /* recency list */
};

struct intake_throttle {
	struct throttle_ent *ents;      /* owned: slots entries */
	int32_t *buckets;               /* owned: nbuckets chain heads */
	size_t slots, nbuckets, used;
	int32_t newest, oldest;
	uint64_t seed;                  /* hash key: bucket choice is not guessable */
};

static uint64_t throttle_hash(const struct intake_throttle *t, int kind, const char *key);
static struct throttle_ent *throttle_get(struct intake_throttle *t, int kind,
    const char *key, int add);
static void throttle_touch(struct intake_throttle *t, int32_t i);
static void throttle_unlink(struct intake_throttle *t, int32_t i);
static void throttle_count(struct throttle_ent *e, time_t now);

struct intake_throttle *
intake_throttle_new(size_t slots)
{
	struct intake_throttle *t;
	size_t i;

	if (slots < 2 || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->slots = slots;
	for (t->nbuckets = 16; t->nbuckets < slots * 2; t->nbuckets *= 2)
		;
	t->ents = calloc(slots, sizeof(*t->ents));
	t->buckets = malloc(t->nbuckets * sizeof(*t->buckets));
	if (t->ents == NULL || t->buckets == NULL) {
		intake_throttle_free(t);
		return NULL;
	}
	for (i = 0; i < t->nbuckets; i++)
		t->buckets[i] = NIL;
	t->newest = t->oldest = NIL;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)(uintptr_t)t ^ (uint64_t)time(NULL);
	return t;
}

void
intake_throttle_free(struct intake_throttle *t)
{
	if (t == NULL)
		return;
	free(t->ents);
	free(t->buckets);
	free(t);
}

size_t
intake_throttle_entries(const struct intake_throttle *t)
{
	return t->used;
}

/* FNV-1a over the seed, the kind and the key. */
static uint64_t
throttle_hash(const struct intake_throttle *t, int kind, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ t->seed;

	h = (h ^ (unsigned char)kind) * 1099511628211ULL;
	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* Moves entry i to the newest end of the recency list. */
static void
throttle_touch(struct intake_throttle *t, int32_t i)
{
	struct throttle_ent *e = &t->ents[i];

	if (t->newest == i)
		return;
	if (e->newer != NIL || e->older != NIL || t->oldest == i) {
		/* unlink from where it is */
		if (e->newer != NIL)
			t->ents[e->newer].older = e->older;
		if (e->older != NIL)
			t->ents[e->older].newer = e->newer;
		if (t->oldest == i)
			t->oldest = e->newer;
	}
	e->older = t->newest;
	e->newer = NIL;
	if (t->newest != NIL)
		t->ents[t->newest].newer = i;
	t->newest = i;
	if (t->oldest == NIL)
		t->oldest = i;
}

/* Removes entry i from its hash chain and the recency list. */
static void
throttle_unlink(struct intake_throttle *t, int32_t i)
{
	struct throttle_ent *e = &t->ents[i];
	int32_t *p = &t->buckets[throttle_hash(t, e->kind, e->key) & (t->nbuckets - 1)];

	while (*p != NIL && *p != i)
		p = &t->ents[*p].chain;
	if (*p == i)
		*p = e->chain;
	if (e->newer != NIL)
		t->ents[e->newer].older = e->older;
	else
		t->newest = e->older;
	if (e->older != NIL)
		t->ents[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	memset(e, 0, sizeof(*e));
	t->used--;
}

/* The entry for (kind, key); with add, a new one when missing (the least
 * recently used is reused when the table is full). */
static struct throttle_ent *
throttle_get(struct intake_throttle *t, int kind, const char *key, int add)
{
	char k[INTAKE_AUTH_KEY_MAX];
	uint64_t b;
	int32_t i;

	snprintf(k, sizeof(k), "%s", key);
	b = throttle_hash(t, kind, k) & (t->nbuckets - 1);
	for (i = t->buckets[b]; i != NIL; i = t->ents[i].chain)
		if (t->ents[i].kind == kind && strcmp(t->ents[i].key, k) == 0) {
			throttle_touch(t, i);
			return &t->ents[i];
		}
	if (!add)
		return NULL;
	if (t->used == t->slots) {
		i = t->oldest;
		throttle_unlink(t, i);
	} else {
		for (i = 0; t->ents[i].kind != 0; i++)
			;
	}
	t->ents[i].kind = (char)kind;
	memcpy(t->ents[i].key, k, sizeof(k));
	t->ents[i].newer = t->ents[i].older = NIL;
	t->ents[i].chain = t->buckets[b];
	t->buckets[b] = i;
	t->used++;
	throttle_touch(t, i);
	return &t->ents[i];
}

/* One more failure, in a window that starts over once it is past. */
static void
throttle_count(struct throttle_ent *e, time_t now)
{
	if (e->fails == 0 || now - e->window >= INTAKE_AUTH_WINDOW) {
		e->fails = 0;
		e->window = now;
	}
	e->fails++;
}

time_t
intake_throttle_locked(struct intake_throttle *t, const char *addr, time_t now)
{
	char key[INTAKE_AUTH_KEY_MAX];
	struct throttle_ent *e;

	smtp_server_addr_key(addr, key, sizeof(key));
	e = throttle_get(t, KIND_ADDR, key, 0);
	return e != NULL && e->locked_until > now ? e->locked_until - now : 0;
}

unsigned
intake_throttle_fail(struct intake_throttle *t, const char *addr, const char *user,
    time_t now, unsigned *addr_fails, unsigned *user_fails)
{
	char key[INTAKE_AUTH_KEY_MAX];
	struct throttle_ent *u, *a;
	unsigned flags = 0;

	u = throttle_get(t, KIND_USER, user, 1);
	throttle_count(u, now);
	*user_fails = u->fails;
	if (u->fails == INTAKE_AUTH_USER_MAX)
		flags |= INTAKE_THROTTLE_USER;
	smtp_server_addr_key(addr, key, sizeof(key));
	a = throttle_get(t, KIND_ADDR, key, 1);         /* after u: never evicts it */
	throttle_count(a, now);
	*addr_fails = a->fails;
	if ((a->fails >= INTAKE_AUTH_ADDR_MAX || u->fails >= INTAKE_AUTH_USER_MAX) &&
	    a->locked_until <= now) {
		a->locked_until = now + INTAKE_AUTH_LOCKOUT;
		flags |= INTAKE_THROTTLE_ADDR;
	}
	return flags;
}
