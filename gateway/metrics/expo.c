/*
 * gateway/metrics/expo.c: metric families in atomics, and their text
 * exposition (Prometheus text format 0.0.4: # HELP, # TYPE, one line per
 * series, histograms as cumulative _bucket{le=...}, _sum and _count).
 * Knows no metric of its own (defs.c has them) and does no I/O.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "metrics_int.h"

static size_t family_series_count(const struct metrics_family *f);
static size_t family_series_slots(const struct metrics_family *f);
static int write_labels(struct evbuffer *out, const struct metrics_family *f, size_t series,
    const char *le);
static int write_double(struct evbuffer *out, double v);
static void fmt_double(char *buf, size_t size, double v);
static uint64_t double_bits(double v);
static double bits_double(uint64_t b);

static size_t
family_series_count(const struct metrics_family *f)
{
	size_t n = 1;
	unsigned i;

	for (i = 0; i < f->nlabels; i++)
		n *= f->labels[i].n;
	return n;
}

static size_t
family_series_slots(const struct metrics_family *f)
{
	return f->kind == METRICS_HISTOGRAM ? (size_t)f->nbounds + 2 : 1;
}

size_t
metrics_family_slots(const struct metrics_family *f)
{
	return family_series_count(f) * family_series_slots(f);
}

long
metrics_family_series(const struct metrics_family *f, const unsigned *lv)
{
	long s = 0;
	unsigned i;

	for (i = 0; i < f->nlabels; i++) {
		if (lv[i] >= f->labels[i].n)
			return -1;
		s = s * (long)f->labels[i].n + (long)lv[i];
	}
	if ((size_t)(s + 1) * family_series_slots(f) > f->nslots)
		return -1;      /* a table whose storage is too small */
	return s;
}

int
metrics_label_index(const struct metrics_label *l, const char *s)
{
	unsigned i;
	int other = -1;

	for (i = 0; i < l->n; i++) {
		if (s != NULL && strcmp(l->values[i], s) == 0)
			return (int)i;
		if (strcmp(l->values[i], "other") == 0)
			other = (int)i;
	}
	return other;
}

static uint64_t
double_bits(double v)
{
	uint64_t b;

	memcpy(&b, &v, sizeof(b));
	return b;
}

static double
bits_double(uint64_t b)
{
	double v;

	memcpy(&v, &b, sizeof(v));
	return v;
}

void
metrics_family_add(const struct metrics_family *f, const unsigned *lv, uint64_t n)
{
	long s = metrics_family_series(f, lv);

	if (s >= 0 && f->kind == METRICS_COUNTER)
		atomic_fetch_add_explicit(&f->slots[s], n, memory_order_relaxed);
}

void
metrics_family_set(const struct metrics_family *f, const unsigned *lv, double v)
{
	long s = metrics_family_series(f, lv);

	if (s >= 0 && f->kind == METRICS_GAUGE)
		atomic_store_explicit(&f->slots[s], double_bits(v), memory_order_relaxed);
}

void
metrics_family_observe(const struct metrics_family *f, const unsigned *lv, double v)
{
	long s = metrics_family_series(f, lv);
	_Atomic uint64_t *sl, *sum;
	uint64_t old;
	unsigned b;

	if (s < 0 || f->kind != METRICS_HISTOGRAM || isnan(v))
		return;
	sl = &f->slots[(size_t)s * family_series_slots(f)];
	for (b = 0; b < f->nbounds && v > f->bounds[b]; b++)
		;
	atomic_fetch_add_explicit(&sl[b], 1, memory_order_relaxed);
	/* The sum: a double added with compare-and-swap on its bits. */
	sum = &sl[f->nbounds + 1];
	old = atomic_load_explicit(sum, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(sum, &old,
	    double_bits(bits_double(old) + v), memory_order_relaxed, memory_order_relaxed))
		;
}

int
metrics_escape(struct evbuffer *out, const char *in, int label)
{
	const char *p;
	int rc = 0;

	for (p = in; *p != '\0' && rc == 0; p++) {
		if (*p == '\\')
			rc = evbuffer_add(out, "\\\\", 2);
		else if (*p == '\n')
			rc = evbuffer_add(out, "\\n", 2);
		else if (*p == '"' && label)
			rc = evbuffer_add(out, "\\\"", 2);
		else
			rc = evbuffer_add(out, p, 1);
	}
	return rc;
}

/* {a="x",b="y"[,le="..."]}, or nothing without labels and le. */
static int
write_labels(struct evbuffer *out, const struct metrics_family *f, size_t series,
    const char *le)
{
	unsigned idx[METRICS_LABELS_MAX];
	unsigned i;
	int rc = 0;

	if (f->nlabels == 0 && le == NULL)
		return 0;
	for (i = f->nlabels; i-- > 0;) {
		idx[i] = (unsigned)(series % f->labels[i].n);
		series /= f->labels[i].n;
	}
	rc |= evbuffer_add(out, "{", 1);
	for (i = 0; i < f->nlabels; i++) {
		rc |= evbuffer_add_printf(out, "%s%s=\"", i ? "," : "", f->labels[i].name) < 0;
		rc |= metrics_escape(out, f->labels[i].values[idx[i]], 1);
		rc |= evbuffer_add(out, "\"", 1);
	}
	if (le != NULL)
		rc |= evbuffer_add_printf(out, "%sle=\"%s\"", f->nlabels ? "," : "", le) < 0;
	rc |= evbuffer_add(out, "}", 1);
	return rc ? -1 : 0;
}

/* A sample value: integers as such, others with enough digits to read
 * back the same double. */
static int
write_double(struct evbuffer *out, double v)
{
	if (isinf(v))
		return evbuffer_add_printf(out, v > 0 ? "+Inf" : "-Inf") < 0 ? -1 : 0;
	if (isnan(v))
		return evbuffer_add_printf(out, "NaN") < 0 ? -1 : 0;
	char buf[40];

	fmt_double(buf, sizeof(buf), v);
	return evbuffer_add_printf(out, "%s", buf) < 0 ? -1 : 0;
}

/* The shortest of %.15g and %.17g that reads back as v ("0.005", not
 * "0.0050000000000000001"). */
static void
fmt_double(char *buf, size_t size, double v)
{
	snprintf(buf, size, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, size, "%.17g", v);
}

int
metrics_family_write(struct evbuffer *out, const struct metrics_family *f)
{
	static const char *const kinds[] = { "counter", "gauge", "histogram" };
	size_t n = family_series_count(f), per = family_series_slots(f), s;
	const _Atomic uint64_t *sl;
	uint64_t cum;
	char le[32];
	unsigned b;
	int rc = 0;

	if (metrics_family_slots(f) > f->nslots)
		return -1;
	rc |= evbuffer_add_printf(out, "# HELP %s ", f->name) < 0;
	rc |= metrics_escape(out, f->help, 0);
	rc |= evbuffer_add_printf(out, "\n# TYPE %s %s\n", f->name, kinds[f->kind]) < 0;
	for (s = 0; s < n && rc == 0; s++) {
		sl = &f->slots[s * per];
		if (f->kind != METRICS_HISTOGRAM) {
			uint64_t v = atomic_load_explicit(&sl[0], memory_order_relaxed);

			rc |= evbuffer_add_printf(out, "%s", f->name) < 0;
			rc |= write_labels(out, f, s, NULL);
			if (f->kind == METRICS_COUNTER)
				rc |= evbuffer_add_printf(out, " %llu\n",
				    (unsigned long long)v) < 0;
			else {
				rc |= evbuffer_add(out, " ", 1);
				rc |= write_double(out, bits_double(v));
				rc |= evbuffer_add(out, "\n", 1);
			}
			continue;
		}
		/* Buckets are cumulative; _count is the +Inf bucket, read once
		 * so that the two always agree within a scrape. */
		cum = 0;
		for (b = 0; b <= f->nbounds; b++) {
			cum += atomic_load_explicit(&sl[b], memory_order_relaxed);
			if (b < f->nbounds)
				fmt_double(le, sizeof(le), f->bounds[b]);
			else
				snprintf(le, sizeof(le), "+Inf");
			rc |= evbuffer_add_printf(out, "%s_bucket", f->name) < 0;
			rc |= write_labels(out, f, s, le);
			rc |= evbuffer_add_printf(out, " %llu\n", (unsigned long long)cum) < 0;
		}
		rc |= evbuffer_add_printf(out, "%s_sum", f->name) < 0;
		rc |= write_labels(out, f, s, NULL);
		rc |= evbuffer_add(out, " ", 1);
		rc |= write_double(out, bits_double(atomic_load_explicit(&sl[f->nbounds + 1],
		    memory_order_relaxed)));
		rc |= evbuffer_add_printf(out, "\n%s_count", f->name) < 0;
		rc |= write_labels(out, f, s, NULL);
		rc |= evbuffer_add_printf(out, " %llu\n", (unsigned long long)cum) < 0;
	}
	return rc ? -1 : 0;
}
