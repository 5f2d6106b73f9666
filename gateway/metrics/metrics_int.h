/*
 * gateway/metrics, inside: a metric family is a static table entry with
 * fixed label sets; its series are the product of the label values, each
 * stored in slots of relaxed atomics. Private to gateway/metrics (and its
 * unit tests).
 */
#ifndef T37_GATEWAY_METRICS_INT_H
#define T37_GATEWAY_METRICS_INT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct evbuffer;

#define METRICS_LABELS_MAX 3    /* labels of one family */
#define METRICS_BOUNDS_MAX 16   /* finite buckets of one histogram */

enum metrics_kind {
	METRICS_COUNTER = 0,    /* one slot per series: the count */
	METRICS_GAUGE,          /* one slot per series: a double's bits */
	METRICS_HISTOGRAM,      /* per series: nbounds + 1 bucket counts (not
	                           cumulative; +Inf last), then the sum as a
	                           double's bits */
};

struct metrics_label {
	const char *name;
	const char *const *values;      /* every value the label can take */
	unsigned n;
};

struct metrics_family {
	const char *name;               /* t37gw_..., without _bucket etc. */
	const char *help;
	enum metrics_kind kind;
	unsigned nlabels;
	struct metrics_label labels[METRICS_LABELS_MAX];
	const double *bounds;           /* histogram: ascending upper bounds */
	unsigned nbounds;
	_Atomic uint64_t *slots;        /* metrics_family_slots() of them */
	size_t nslots;                  /* checked against the labels */
};

/* Slots a family needs (series x slots per series). */
size_t metrics_family_slots(const struct metrics_family *f);
/* The series of label value indexes lv (one per label), or -1 when one is
 * out of range. */
long metrics_family_series(const struct metrics_family *f, const unsigned *lv);
/* Counter: adds n. Gauge: sets v. Histogram: observes v. Any thread; a bad
 * series is ignored. */
void metrics_family_add(const struct metrics_family *f, const unsigned *lv, uint64_t n);
void metrics_family_set(const struct metrics_family *f, const unsigned *lv, double v);
void metrics_family_observe(const struct metrics_family *f, const unsigned *lv, double v);
/* Every series of f, with # HELP and # TYPE. 0, or -1 without memory. */
int metrics_family_write(struct evbuffer *out, const struct metrics_family *f);
/* Escapes for the text format: a label value (\\, \", \n) or HELP text
 * (\\, \n) of in onto out. 0 or -1. */
int metrics_escape(struct evbuffer *out, const char *in, int label);
/* Index of s in the label's values, else the index of "other" when it has
 * one, else -1. */
int metrics_label_index(const struct metrics_label *l, const char *s);

/* The gateway's families (defs.c), for the tests. */
extern const struct metrics_family *const metrics_families[];
extern const size_t metrics_nfamilies;

#endif
