/*
 * config/pattern: IOS dial-peer number patterns: compiling them, matching
 * one written form of a number (whole, or as a prefix for deny-patterns),
 * the order in which dial-peers beat each other, and target templates.
 * Numbers and their equivalent forms, and the lookups on a loaded config
 * (dial-peers, deny-patterns), are in number.c.
 *
 * Pattern syntax (IOS): a digit matches itself; '.' any digit; "[2-9]",
 * "[0135]", "[^01]" a class; after an element, '?' makes it optional, '%'
 * repeats it zero or more times, '+' one or more times; 'T' at the end
 * matches any number of further digits; a leading '+' requires a number
 * written with a leading '+' (E.164). Numbers are compared on their digits
 * only: '-', '.', ' ', '(' and ')' are separators.
 *
 * Matching runs the pattern as a small NFA over the digits (no
 * backtracking), so hostile numbers and patterns cost O(digits x elements).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

#define ALL_DIGITS 0x3ffu

static int perr(char *err, size_t errsize, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int parse_class(const char **sp, uint16_t *mask, char *err, size_t errsize);
static void closure(const struct config_pattern *p, bool *set);
static bool match_digits(const struct config_pattern *p, const char *digits, bool prefix);
static bool safe_value(const char *v);

static int
perr(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
	return -1;
}

/* *sp points after '['; leaves it after ']'. */
static int
parse_class(const char **sp, uint16_t *mask, char *err, size_t errsize)
{
	const char *s = *sp;
	bool neg = false;
	uint16_t m = 0;

	if (*s == '^') {
		neg = true;
		s++;
	}
	while (*s != ']') {
		int lo, hi;

		if (*s == '\0')
			return perr(err, errsize, "unterminated class '['");
		if (!isdigit((unsigned char)*s))
			return perr(err, errsize, "bad character '%c' in class", *s);
		lo = hi = *s++ - '0';
		if (*s == '-') {
			if (!isdigit((unsigned char)s[1]))
				return perr(err, errsize, "bad range in class near '%c'", s[1] ? s[1] : ']');
			hi = s[1] - '0';
			if (hi < lo)
				return perr(err, errsize, "backward range in class ending '%c'", s[1]);
			s += 2;
		}
		for (; lo <= hi; lo++)
			m |= (uint16_t)(1u << lo);
	}
	if (neg)
		m = (uint16_t)(~m & ALL_DIGITS);
	if (m == 0)
		return perr(err, errsize, "class '[...]' matches no digit");
	*sp = s + 1;
	*mask = m;
	return 0;
}

int
config_pattern_compile(struct config_pattern *p, const char *text, char *err, size_t errsize)
{
	const char *s = text;
	struct config_pattern_elem *e;
	unsigned i;

	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(p->text))
		return perr(err, errsize, "pattern too long (at most %d characters)",
		    CONFIG_PATTERN_TEXT_MAX - 1);
	strcpy(p->text, text);
	if (*s == '+') {
		p->plus = true;
		s++;
	}
	if (*text == '\0')
		return perr(err, errsize, "empty pattern");
	if (*s == '\0')
		return perr(err, errsize, "nothing after the leading '+'");
	while (*s != '\0') {
		uint16_t mask = 0;

		if (*s == '?' || *s == '%' || *s == '+') {
			/* A quantifier applies to the element just before it. */
			if (p->n_elem == 0 || p->elem[p->n_elem - 1].quant != CONFIG_Q_ONE)
				return perr(err, errsize, "'%c' must follow a digit, '.' or class", *s);
			p->variable = true;
			e = &p->elem[p->n_elem - 1];
			if (*s == '?')
				e->quant = CONFIG_Q_OPT;
			else if (*s == '%')
				e->quant = CONFIG_Q_STAR;
			else {
				/* One or more: the element, then a repeat of it. */
				if (p->n_elem == CONFIG_PATTERN_MAX)
					return perr(err, errsize,
					    "pattern too long (at most %d elements)", CONFIG_PATTERN_MAX);
				p->elem[p->n_elem].digits = e->digits;
				p->elem[p->n_elem++].quant = CONFIG_Q_STAR;
			}
			s++;
			continue;
		}
		if (isdigit((unsigned char)*s)) {
			mask = (uint16_t)(1u << (*s - '0'));
			s++;
		} else if (*s == '.') {
			mask = ALL_DIGITS;
			s++;
		} else if (*s == '[') {
			s++;
			if (parse_class(&s, &mask, err, errsize) < 0)
				return -1;
		} else if (*s == 'T' || *s == 't') {
			if (s[1] != '\0')
				return perr(err, errsize, "'%c' must end the pattern", *s);
			if (p->n_elem == CONFIG_PATTERN_MAX)
				return perr(err, errsize, "pattern too long (at most %d elements)",
				    CONFIG_PATTERN_MAX);
			p->elem[p->n_elem].digits = ALL_DIGITS;
			p->elem[p->n_elem++].quant = CONFIG_Q_STAR;
			p->variable = true;
			s++;
			continue;
		} else if (*s == '*' || *s == '#')
			return perr(err, errsize, "'%c' is not supported (numbers are digits only)", *s);
		else
			return perr(err, errsize, (unsigned char)*s > ' ' && (unsigned char)*s < 0x7f ?
			    "bad character '%c'" : "bad character 0x%02x", (unsigned char)*s);
		if (p->n_elem == CONFIG_PATTERN_MAX)
			return perr(err, errsize, "pattern too long (at most %d elements)",
			    CONFIG_PATTERN_MAX);
		p->elem[p->n_elem].digits = mask;
		p->elem[p->n_elem++].quant = CONFIG_Q_ONE;
	}
	for (i = 0; i < p->n_elem; i++) {
		e = &p->elem[i];
		if (e->quant != CONFIG_Q_ONE)
			continue;
		if (__builtin_popcount(e->digits) == 1)
			p->explicit_digits++;
		else
			p->narrowness += 10u - (unsigned)__builtin_popcount(e->digits);
	}
	return 0;
}

int
config_number_digits(const char *number, char *out, size_t size)
{
	size_t n = 0, digits = 0;
	const char *s;

	if (number == NULL || size == 0)
		return -1;
	for (s = number; *s != '\0'; s++) {
		if (isdigit((unsigned char)*s)) {
			if (++digits > CONFIG_NUMBER_MAX)
				return -1;
		} else if (*s == '+') {
			if (digits > 0 || n > 0)
				return -1;      /* only a leading plus */
		} else if (strchr("-. ()", *s) == NULL)
			return -1;
		else
			continue;
		if (n + 1 >= size)
			return -1;
		out[n++] = *s;
	}
	if (digits == 0)
		return -1;
	out[n] = '\0';
	return (int)n;
}

/* Adds every state reachable by skipping optional elements. */
static void
closure(const struct config_pattern *p, bool *set)
{
	unsigned j;

	for (j = 0; j < p->n_elem; j++)
		if (set[j] && (p->elem[j].quant == CONFIG_Q_OPT ||
		    p->elem[j].quant == CONFIG_Q_STAR))
			set[j + 1] = true;
}

/*
 * NFA states 0..n_elem: "the next element to match is j". With prefix,
 * also true when the pattern matches the start of the digits (the number
 * is overdialled) or the digits are the start of a match (underdialled):
 * the pattern and the number agree as far as both go.
 */
static bool
match_digits(const struct config_pattern *p, const char *digits, bool prefix)
{
	bool cur[CONFIG_PATTERN_MAX + 1], next[CONFIG_PATTERN_MAX + 1];
	unsigned j;

	memset(cur, 0, sizeof(cur));
	cur[0] = true;
	closure(p, cur);
	for (; *digits != '\0'; digits++) {
		uint16_t bit = (uint16_t)(1u << (*digits - '0'));
		bool any = false;

		if (prefix && cur[p->n_elem])
			return true;
		memset(next, 0, sizeof(next));
		for (j = 0; j < p->n_elem; j++) {
			if (!cur[j] || !(p->elem[j].digits & bit))
				continue;
			if (p->elem[j].quant == CONFIG_Q_STAR)
				next[j] = true;
			else
				next[j + 1] = true;
			any = true;
		}
		if (!any)
			return false;
		memcpy(cur, next, sizeof(cur));
		closure(p, cur);
	}
	return prefix || cur[p->n_elem];
}

bool
cfg_pattern_match_form(const struct config_pattern *p, const char *form, bool prefix)
{
	bool plus = form[0] == '+';

	if (p->plus && !plus)
		return false;
	return match_digits(p, form + plus, prefix);
}

bool
config_pattern_match(const struct config_pattern *p, const char *number)
{
	char form[CONFIG_NUMBER_MAX + 2];

	return config_number_digits(number, form, sizeof(form)) >= 0 &&
	    cfg_pattern_match_form(p, form, false);
}

int
cfg_pattern_more_specific(const struct config_dial_peer *a, const struct config_pattern *pa,
    const struct config_dial_peer *b, const struct config_pattern *pb)
{
	if (pa->explicit_digits != pb->explicit_digits)
		return pa->explicit_digits > pb->explicit_digits ? 1 : -1;
	if (pa->variable != pb->variable)
		return pa->variable ? -1 : 1;
	if (pa->narrowness != pb->narrowness)
		return pa->narrowness > pb->narrowness ? 1 : -1;
	if (pa->plus != pb->plus)
		return pa->plus ? 1 : -1;
	if (a->preference != b->preference)
		return a->preference < b->preference ? 1 : -1;
	if (a->tag != b->tag)
		return a->tag < b->tag ? 1 : -1;
	return 0;
}

/* Substituted values may hold only these: nothing that can end an address. */
static bool
safe_value(const char *v)
{
	for (; *v != '\0'; v++)
		if (!isalnum((unsigned char)*v) && strchr("+.-_", *v) == NULL)
			return false;
	return true;
}

int
config_expand_target(const char *tmpl, const char *d, const char *s, const char *m,
    char *out, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return -1;
	if (d == NULL)
		d = "";
	if (s == NULL)
		s = "";
	if (m == NULL || *m == '\0')
		m = d;
	if (!safe_value(d) || !safe_value(s) || !safe_value(m)) {
		out[0] = '\0';
		return -1;
	}
	while (*tmpl != '\0') {
		const char *v = NULL;
		size_t len;

		if (tmpl[0] == '$' && tmpl[1] != '\0' && tmpl[2] == '$') {
			if (tmpl[1] == 'd')
				v = d;
			else if (tmpl[1] == 's')
				v = s;
			else if (tmpl[1] == 'm')
				v = m;
		}
		if (v != NULL) {
			len = strlen(v);
			tmpl += 3;
		} else {
			v = tmpl++;
			len = 1;
		}
		if (n + len >= size) {
			out[0] = '\0';
			return -1;
		}
		memcpy(out + n, v, len);
		n += len;
	}
	out[n] = '\0';
	return (int)n;
}

const struct config_trunk *
config_find_trunk(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_trunks; i++)
		if (strcmp(cfg->trunks[i].name, name) == 0)
			return &cfg->trunks[i];
	return NULL;
}
