/*
 * sip/admit: admission of incoming SIP requests (private to sip/; the
 * unit tests include it for the pure parts).
 *
 * admit_table.c holds what needs no network and no clock of its own:
 * source addresses, CIDR matching, and the bounded table of sources with
 * each one's token bucket (new calls per second) and its refusals not yet
 * logged. Memory is bounded: the table has a fixed number of entries and
 * forgets the least recently seen source when it is full, so a flood from
 * many (spoofed) addresses costs no more than one from a single address.
 *
 * admit.c runs the policy on the line thread (see struct
 * sip_admit_options in sip.h).
 */
#ifndef SIP_ADMIT_H
#define SIP_ADMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "sip/sip.h"

/* Sources remembered at once (token buckets and refusal counts). */
#define SIP_ADMIT_SOURCES 4096

/* Why a request was refused; each is counted and logged per source. */
enum sip_refusal {
	SIP_REFUSE_NOT_ALLOWED = 0,     /* 403: not a trunk, not in sip allow */
	SIP_REFUSE_AUTH,                /* 401 again: wrong or no credentials */
	SIP_REFUSE_RATE,                /* 486: over max-call-rate */
	SIP_REFUSE_SOURCE_CALLS,        /* 486: over max-calls-per-source */
	SIP_REFUSE_N,
};

/* A source address: family AF_INET (addr[0..3]) or AF_INET6. IPv4-mapped
 * IPv6 addresses are stored as IPv4. */
struct sip_src {
	uint8_t family;
	uint8_t addr[16];
};

/* One remembered source. */
struct sip_admit_entry {
	struct sip_src src;
	uint64_t tokens;                /* new calls allowed now, x SIP_ADMIT_TOKEN */
	uint64_t refill_ms;             /* when tokens were last refilled */
	uint32_t refused[SIP_REFUSE_N]; /* since the last summary */
	bool logged;                    /* a refusal was logged in this interval */
	/* table links (indexes, -1 for none) */
	int hnext, lprev, lnext;
	bool used;
};

#define SIP_ADMIT_TOKEN 1000u

struct sip_admit_table;

/* A table of at most capacity sources (1..SIP_ADMIT_SOURCES * 16). Caller
 * frees with sip_admit_table_free(), which accepts NULL. */
struct sip_admit_table *sip_admit_table_new(unsigned capacity);
void sip_admit_table_free(struct sip_admit_table *t);
/*
 * The entry of src, created (with a full bucket of burst tokens) when it
 * is new, forgetting the least recently seen source when the table is
 * full: its unlogged refusals are added to the table's `forgotten`
 * counts. The entry is valid until the next call that creates one.
 */
struct sip_admit_entry *sip_admit_table_get(struct sip_admit_table *t,
    const struct sip_src *src, unsigned burst, uint64_t now_ms);
/* Sources in the table. */
unsigned sip_admit_table_count(const struct sip_admit_table *t);
/* Refusals of sources that were forgotten before they were summarized
 * (read and cleared by the summary). */
uint32_t *sip_admit_table_forgotten(struct sip_admit_table *t);
/* Calls fn for every entry, most recently seen first. */
void sip_admit_table_walk(struct sip_admit_table *t,
    void (*fn)(struct sip_admit_entry *e, void *arg), void *arg);

/*
 * Token bucket: refills rate tokens per second up to burst, then takes
 * one for a new call. True when the call may go on. rate 0: no limit.
 */
bool sip_admit_take(struct sip_admit_entry *e, unsigned rate, unsigned burst,
    uint64_t now_ms);

/* Whether src is in the network c. */
bool sip_cidr_match(const struct sip_cidr *c, const struct sip_src *src);
/* "a.b.c.d" or "x:y::z" (a plain address) into src; 0 or -1. */
int sip_src_parse(const char *text, struct sip_src *src);
/* The address of src as text ("192.0.2.1", "2001:db8::1"). */
const char *sip_src_str(const struct sip_src *src, char *buf, size_t size);
/* Same address? */
bool sip_src_equal(const struct sip_src *a, const struct sip_src *b);
/* From a socket address (AF_INET, AF_INET6; v4-mapped made IPv4). 0 or -1. */
struct sockaddr;
int sip_src_from_sockaddr(const struct sockaddr *sa, struct sip_src *src);

/* ---- digest nonces (RFC 2617 3.2.1: opaque to the client) ---- */

#define SIP_ADMIT_NONCE_LEN 24          /* hex characters */
#define SIP_ADMIT_NONCE_SECS 300        /* a nonce is good this long */

/* A nonce bound to src and the time (seconds), keyed by secret. */
void sip_admit_nonce(const uint8_t *secret, size_t secret_len, const struct sip_src *src,
    uint64_t now_s, char out[SIP_ADMIT_NONCE_LEN + 1]);
/* 0 when nonce is ours for src and fresh, 1 when ours but stale, -1 when not ours. */
int sip_admit_nonce_check(const uint8_t *secret, size_t secret_len, const struct sip_src *src,
    uint64_t now_s, const char *nonce, size_t len);

/* ---- the line thread's admission (admit.c) ---- */

struct sip_line;
struct sip_admit;

/* Builds the admission of line from line->opts and registers its request
 * listener ahead of the session socket. 0 or an errno. */
int sip_admit_start(struct sip_line *line);
/* New options (a reload): new allow list and limits; trunk hosts are
 * resolved again. */
void sip_admit_reconfigure(struct sip_line *line);
/* Logs the refusals not yet logged, stops the resolver's results from
 * arriving, frees. Accepts a line without admission. */
void sip_admit_stop(struct sip_line *line);

#endif
