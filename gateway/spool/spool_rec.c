/*
 * gateway/spool/spool_rec: the key/value record format of spool files (see
 * spool.h). Builds the encoded text as pairs are added, and parses text
 * back into pairs with a line-numbered error for anything malformed. It
 * knows nothing about what the keys mean.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/spool/spool.h"

struct spool_pair {
	char *key;                      /* owned */
	char *value;                    /* owned, NUL-terminated */
	size_t len;                     /* value length (may hold NULs) */
};

struct spool_rec {
	struct spool_pair *pairs;       /* owned */
	size_t n, cap;
	char *text;                     /* owned: encoded form, NUL-terminated */
	size_t len, textcap;
};

static int spool_rec_key_valid(const char *key, size_t len);
static int spool_rec_needs_escape(unsigned char c);
static int spool_rec_push(struct spool_rec *rec, const char *key, size_t klen,
    char *value, size_t vlen);
static int spool_rec_text_reserve(struct spool_rec *rec, size_t more);
static int spool_rec_hexval(char c);

static int
spool_rec_key_valid(const char *key, size_t len)
{
	size_t i;

	if (len == 0 || len > SPOOL_REC_KEY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

static int
spool_rec_needs_escape(unsigned char c)
{
	return c < 0x20 || c == 0x7f || c == '%';
}

static int
spool_rec_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

struct spool_rec *
spool_rec_new(void)
{
	struct spool_rec *rec = calloc(1, sizeof(*rec));

	if (rec == NULL)
		return NULL;
	if ((rec->text = malloc(1)) == NULL) {
		free(rec);
		return NULL;
	}
	rec->text[0] = '\0';
	rec->textcap = 1;
	return rec;
}

void
spool_rec_free(struct spool_rec *rec)
{
	size_t i;

	if (rec == NULL)
		return;
	for (i = 0; i < rec->n; i++) {
		free(rec->pairs[i].key);
		free(rec->pairs[i].value);
	}
	free(rec->pairs);
	free(rec->text);
	free(rec);
}

/* Takes ownership of value (malloc'd, NUL at value[vlen]) even on failure. */
static int
spool_rec_push(struct spool_rec *rec, const char *key, size_t klen, char *value, size_t vlen)
{
	struct spool_pair *p;

	if (rec->n == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 8;

		if ((p = reallocarray(rec->pairs, cap, sizeof(*p))) == NULL) {
			free(value);
			return -1;
		}
		rec->pairs = p;
		rec->cap = cap;
	}
	p = &rec->pairs[rec->n];
	if ((p->key = strndup(key, klen)) == NULL) {
		free(value);
		return -1;
	}
	p->value = value;
	p->len = vlen;
	rec->n++;
	return 0;
}

static int
spool_rec_text_reserve(struct spool_rec *rec, size_t more)
{
	size_t need = rec->len + more + 1, cap;
	char *t;

	if (rec->len + more > SPOOL_REC_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (need <= rec->textcap)
		return 0;
	cap = rec->textcap * 2 > need ? rec->textcap * 2 : need;
	if ((t = realloc(rec->text, cap)) == NULL)
		return -1;
	rec->text = t;
	rec->textcap = cap;
	return 0;
}

int
spool_rec_addn(struct spool_rec *rec, const char *key, const void *value, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *v = value;
	size_t klen = key ? strlen(key) : 0, enc = 0, i, o;
	char *copy;

	if (!spool_rec_key_valid(key, klen)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++)
		enc += spool_rec_needs_escape(v[i]) ? 3 : 1;
	if (spool_rec_text_reserve(rec, klen + 1 + enc + 1) == -1)
		return -1;
	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, v, len);
	copy[len] = '\0';
	if (spool_rec_push(rec, key, klen, copy, len) == -1)
		return -1;
	o = rec->len;
	memcpy(rec->text + o, key, klen);
	o += klen;
	rec->text[o++] = ' ';
	for (i = 0; i < len; i++) {
		if (spool_rec_needs_escape(v[i])) {
			rec->text[o++] = '%';
			rec->text[o++] = hex[v[i] >> 4];
			rec->text[o++] = hex[v[i] & 15];
		} else {
			rec->text[o++] = (char)v[i];
		}
	}
	rec->text[o++] = '\n';
	rec->text[o] = '\0';
	rec->len = o;
	return 0;
}

int
spool_rec_add(struct spool_rec *rec, const char *key, const char *value)
{
	return spool_rec_addn(rec, key, value, value ? strlen(value) : 0);
}

int
spool_rec_addf(struct spool_rec *rec, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	rc = spool_rec_addn(rec, key, s, (size_t)n);
	free(s);
	return rc;
}

int
spool_rec_add_u64(struct spool_rec *rec, const char *key, uint64_t v)
{
	return spool_rec_addf(rec, key, "%" PRIu64, v);
}

const char *
spool_rec_data(const struct spool_rec *rec, size_t *len)
{
	if (len != NULL)
		*len = rec->len;
	return rec->text;
}

struct spool_rec *
spool_rec_parse(const char *buf, size_t len, char *err, size_t errlen)
{
	struct spool_rec *rec;
	const char *line, *end, *sp, *p;
	unsigned lineno = 0;
	char *val;
	size_t vlen;
	int hi, lo;

	if (len > SPOOL_REC_MAX) {
		snprintf(err, errlen, "record of %zu bytes is over the limit of %u", len,
		    SPOOL_REC_MAX);
		return NULL;
	}
	if ((rec = spool_rec_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (line = buf; line < buf + len; line = end + 1) {
		lineno++;
		if ((end = memchr(line, '\n', (size_t)(buf + len - line))) == NULL) {
			snprintf(err, errlen, "line %u: truncated (no newline at end)", lineno);
			goto fail;
		}
		if ((sp = memchr(line, ' ', (size_t)(end - line))) == NULL)
			sp = end;       /* "key" alone: empty value */
		if (!spool_rec_key_valid(line, (size_t)(sp - line))) {
			snprintf(err, errlen, "line %u: bad key", lineno);
			goto fail;
		}
		if ((val = malloc((size_t)(end - sp) + 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		vlen = 0;
		for (p = sp < end ? sp + 1 : end; p < end; p++) {
			if (*p == '%') {
				if (end - p < 3 || (hi = spool_rec_hexval(p[1])) < 0 ||
				    (lo = spool_rec_hexval(p[2])) < 0) {
					snprintf(err, errlen, "line %u: bad %%-escape", lineno);
					free(val);
					goto fail;
				}
				val[vlen++] = (char)(hi << 4 | lo);
				p += 2;
			} else if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(err, errlen, "line %u: raw control byte 0x%02x in value",
				    lineno, (unsigned char)*p);
				free(val);
				goto fail;
			} else {
				val[vlen++] = *p;
			}
		}
		val[vlen] = '\0';
		if (spool_rec_push(rec, line, (size_t)(sp - line), val, vlen) == -1) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	/* Keep the text as given so spool_rec_data() round-trips. */
	if (spool_rec_text_reserve(rec, len) == -1) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(rec->text, buf, len);
	rec->text[len] = '\0';
	rec->len = len;
	return rec;
fail:
	spool_rec_free(rec);
	return NULL;
}

size_t
spool_rec_count(const struct spool_rec *rec)
{
	return rec->n;
}

const char *
spool_rec_key(const struct spool_rec *rec, size_t i)
{
	return i < rec->n ? rec->pairs[i].key : NULL;
}

const char *
spool_rec_value(const struct spool_rec *rec, size_t i, size_t *len)
{
	if (i >= rec->n)
		return NULL;
	if (len != NULL)
		*len = rec->pairs[i].len;
	return rec->pairs[i].value;
}

const char *
spool_rec_get(const struct spool_rec *rec, const char *key)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		if (strcmp(rec->pairs[i].key, key) == 0)
			return rec->pairs[i].value;
	return NULL;
}

int
spool_rec_get_u64(const struct spool_rec *rec, const char *key, uint64_t *v)
{
	size_t i;

	for (i = 0; i < rec->n; i++)
		if (strcmp(rec->pairs[i].key, key) == 0)
			return spool_rec_value_u64(rec, i, v);
	errno = ENOENT;
	return -1;
}

int
spool_rec_value_u64(const struct spool_rec *rec, size_t i, uint64_t *v)
{
	const char *s = rec->pairs[i].value;
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	*v = n;
	return 0;
}

struct spool_rec *
spool_rec_load(struct spool *sp, const char *queue, const char *id,
    const char *name, char *err, size_t errlen)
{
	struct spool_rec *rec;
	char *buf, msg[256];
	size_t len;

	int e;

	if (spool_read(sp, queue, id, name, &buf, &len) == -1) {
		e = errno;
		snprintf(err, errlen, "%s/%s/%s: %s", queue, id ? id : "?",
		    name ? name : "?", strerror(e));
		errno = e;
		return NULL;
	}
	rec = spool_rec_parse(buf, len, msg, sizeof(msg));
	if (rec == NULL) {
		snprintf(err, errlen, "%s/%s/%s: %s", queue, id, name, msg);
		errno = EINVAL;
	}
	free(buf);
	return rec;
}

int
spool_rec_store(struct spool *sp, const char *queue, const char *id,
    const char *name, const struct spool_rec *rec)
{
	return spool_replace(sp, queue, id, name, rec->text, rec->len);
}
