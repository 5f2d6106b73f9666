/*
 * smtp/server_parse: the grammar of MAIL FROM and RCPT TO arguments on the
 * server side: paths (RFC 5321 4.1.2), and the ESMTP parameters SIZE (RFC
 * 1870), BODY (RFC 6152), RET/ENVID/NOTIFY/ORCPT (RFC 3461) and AUTH=
 * (RFC 4954 5). It checks syntax and limits only; whether an address is
 * acceptable is the owner's decision. Pure functions, no I/O.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp.h"
#include "smtp/server_int.h"

static int parse_copy(const char *arg, const char *kw, char *buf, size_t bufsz,
    char **rest);
static int parse_path(char **pp, int is_rcpt, char **out);
static int parse_domain(const char **pp, const char *end);
static int parse_local(const char **pp, const char *end);
static int parse_param(char **pp, char **kw, char **val);
static int parse_orcpt(const char *val);
static int xtext_ok(const char *val, size_t maxlen);
static int is_atext(int c);

/* Whether c may appear in an RFC 5321 Atom. */
static int
is_atext(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Copies arg after the keyword ("FROM:" / "TO:") into buf; *rest points at
 * the path. -1 when the keyword is missing or the argument is too long. */
static int
parse_copy(const char *arg, const char *kw, char *buf, size_t bufsz, char **rest)
{
	size_t kl = strlen(kw), n;

	if (strncasecmp(arg, kw, kl) != 0)
		return -1;
	arg += kl;
	while (*arg == ' ')     /* "MAIL FROM: <a>" is common; accept it */
		arg++;
	n = strlen(arg);
	if (n + 1 > bufsz)
		return -1;
	memcpy(buf, arg, n + 1);
	*rest = buf;
	return 0;
}

/* sub-domain *("." sub-domain) or an address literal "[...]". Advances *pp. */
static int
parse_domain(const char **pp, const char *end)
{
	const char *p = *pp, *start = p;

	if (p < end && *p == '[') {
		for (p++; p < end && *p != ']'; p++)
			if (*p < 33 || *p > 126 || *p == '[' || *p == '\\')
				return -1;
		if (p >= end || p == start + 1)
			return -1;
		*pp = p + 1;
		return 0;
	}
	for (;;) {
		const char *label = p;

		if (p >= end || !isalnum((unsigned char)*p))
			return -1;
		while (p < end && (isalnum((unsigned char)*p) || *p == '-'))
			p++;
		if (p[-1] == '-' || p - label > 63)
			return -1;
		if (p < end && *p == '.') {
			p++;
			continue;
		}
		break;
	}
	if (p - start > SMTP_SERVER_DOMAIN_MAX)
		return -1;
	*pp = p;
	return 0;
}

/* Dot-string or Quoted-string (RFC 5321 4.1.2). Advances *pp. */
static int
parse_local(const char **pp, const char *end)
{
	const char *p = *pp, *start = p;

	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++) {
			if (*p == '\\') {
				p++;
				if (p >= end || *p < 32 || *p > 126)
					return -1;
			} else if (*p < 32 || *p > 126)
				return -1;
		}
		if (p >= end)
			return -1;
		p++;
	} else {
		for (;;) {
			const char *atom = p;

			while (p < end && is_atext((unsigned char)*p))
				p++;
			if (p == atom)
				return -1;
			if (p < end && *p == '.') {
				p++;
				continue;
			}
			break;
		}
	}
	if (p - start > SMTP_SERVER_LOCAL_MAX)
		return -1;
	*pp = p;
	return 0;
}

/*
 * Parses "<...>" at *pp, NUL-terminates the inner text and stores it in
 * *out. Accepts "<>" (MAIL only), "<postmaster>" (RCPT only, RFC 5321
 * 4.1.1.3), an optional source route, and local@domain.
 */
static int
parse_path(char **pp, int is_rcpt, char **out)
{
	char *p = *pp, *close;
	const char *q, *end;

	if (*p != '<')
		return -1;
	/* the closing '>' is the first one outside a quoted string */
	for (close = p + 1; *close != '\0' && *close != '>'; close++) {
		if (*close == '"') {
			for (close++; *close != '\0' && *close != '"'; close++)
				if (*close == '\\' && close[1] != '\0')
					close++;
			if (*close == '\0')
				return -1;
		}
	}
	if (*close != '>' || close - p + 1 > SMTP_SERVER_PATH_MAX)
		return -1;
	end = close;
	q = p + 1;
	if (q == end) {
		if (is_rcpt)
			return -1;
	} else if (is_rcpt && end - q == 10 && strncasecmp(q, "postmaster", 10) == 0) {
		q = end;
	} else {
		if (*q == '@') {                /* A-d-l ":" (RFC 5321 4.1.2) */
			for (;;) {
				q++;
				if (parse_domain(&q, end) == -1)
					return -1;
				if (q < end && *q == ',' && q + 1 < end && q[1] == '@') {
					q++;
					continue;
				}
				break;
			}
			if (q >= end || *q != ':')
				return -1;
			q++;
		}
		if (parse_local(&q, end) == -1 || q >= end || *q != '@')
			return -1;
		q++;
		if (parse_domain(&q, end) == -1)
			return -1;
	}
	if (q != end)
		return -1;
	*close = '\0';
	*out = p + 1;
	p = close + 1;
	if (*p != '\0' && *p != ' ')
		return -1;
	*pp = p;
	return 0;
}

/* Next " keyword[=value]"; 1 = one found, 0 = end, -1 = bad syntax. */
static int
parse_param(char **pp, char **kw, char **val)
{
	char *p = *pp, *eq;

	/* parse_path() made sure a space follows the path */
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 0;
	*kw = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p == ' ')
		*p++ = '\0';
	*pp = p;
	*val = NULL;
	if ((eq = strchr(*kw, '=')) != NULL) {
		*eq = '\0';
		*val = eq + 1;
		if (**val == '\0')
			return -1;
		for (eq = *val; *eq; eq++)        /* esmtp-value: 33-60 / 62-126 */
			if (*eq < 33 || *eq > 126 || *eq == '=')
				return -1;
	}
	if (!isalnum((unsigned char)**kw))
		return -1;
	for (eq = *kw; *eq; eq++)
		if (!isalnum((unsigned char)*eq) && *eq != '-')
			return -1;
	return 1;
}

/* Valid xtext of at most maxlen characters. */
static int
xtext_ok(const char *val, size_t maxlen)
{
	char tmp[SMTP_ORCPT_MAX + 1];

	if (strlen(val) > maxlen)
		return 0;
	return smtp_xtext_decode(val, tmp, sizeof(tmp)) >= 0;
}

/* ORCPT=addr-type ";" xtext (RFC 3461 4.2), at most 500 characters. */
static int
parse_orcpt(const char *val)
{
	const char *semi = strchr(val, ';');
	const char *p;

	if (strlen(val) > SMTP_ORCPT_MAX || semi == NULL || semi == val || semi[1] == '\0')
		return -1;
	for (p = val; p < semi; p++)
		if (!is_atext((unsigned char)*p))
			return -1;
	return xtext_ok(semi + 1, SMTP_ORCPT_MAX) ? 0 : -1;
}

int
smtp_server_parse_mail(const char *arg, int flags, size_t max_size,
    struct smtp_server_mail *m, char *buf, size_t bufsz, struct smtp_server_reply *reply)
{
	char *p, *kw, *val, *endp;
	unsigned seen = 0;
	unsigned long long sz;
	int r;

	memset(m, 0, sizeof(*m));
	if (parse_copy(arg, "FROM:", buf, bufsz, &p) == -1) {
		smtp_server_reply_set(reply, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
		return -1;
	}
	if (parse_path(&p, 0, (char **)&m->from) == -1) {
		smtp_server_reply_set(reply, 501, "5.1.7", "Bad sender address syntax");
		return -1;
	}
	while ((r = parse_param(&p, &kw, &val)) == 1) {
		unsigned bit;

		if (strcasecmp(kw, "SIZE") == 0) {
			bit = 1;
			errno = 0;
			if (val == NULL || !isdigit((unsigned char)*val) ||
			    (sz = strtoull(val, &endp, 10), *endp != '\0') || errno == ERANGE ||
			    strlen(val) > 20)
				goto badval;
			m->size = (size_t)sz;
		} else if (strcasecmp(kw, "BODY") == 0 && !(flags & SMTP_PARSE_NO8BIT)) {
			bit = 2;
			if (val != NULL && strcasecmp(val, "7BIT") == 0)
				m->body = SMTP_BODY_7BIT;
			else if (val != NULL && strcasecmp(val, "8BITMIME") == 0)
				m->body = SMTP_BODY_8BITMIME;
			else
				goto badval;
		} else if (strcasecmp(kw, "RET") == 0 && (flags & SMTP_PARSE_DSN)) {
			bit = 4;
			if (val != NULL && strcasecmp(val, "FULL") == 0)
				m->ret = SMTP_RET_FULL;
			else if (val != NULL && strcasecmp(val, "HDRS") == 0)
				m->ret = SMTP_RET_HDRS;
			else
				goto badval;
		} else if (strcasecmp(kw, "ENVID") == 0 && (flags & SMTP_PARSE_DSN)) {
			bit = 8;
			if (val == NULL || !xtext_ok(val, SMTP_ENVID_MAX))
				goto badval;
			m->envid = val;
		} else if (strcasecmp(kw, "AUTH") == 0 && (flags & SMTP_PARSE_AUTH)) {
			bit = 16;
			if (val == NULL || (strcmp(val, "<>") != 0 && !xtext_ok(val, SMTP_SERVER_PATH_MAX * 2)))
				goto badval;
			m->auth = val;
		} else {
			smtp_server_reply_set(reply, 555, "5.5.4", "Unsupported parameter %.40s", kw);
			return -1;
		}
		if (seen & bit) {
			smtp_server_reply_set(reply, 501, "5.5.4", "Duplicate parameter %s", kw);
			return -1;
		}
		seen |= bit;
	}
	if (r == -1) {
		smtp_server_reply_set(reply, 501, "5.5.4", "Bad parameter syntax");
		return -1;
	}
	if (max_size > 0 && m->size > max_size) {
		smtp_server_reply_set(reply, 552, "5.3.4", "Message size exceeds fixed limit of %zu octets",
		    max_size);
		return -1;
	}
	return 0;
badval:
	smtp_server_reply_set(reply, 501, "5.5.4", "Bad value for parameter %s", kw);
	return -1;
}

int
smtp_server_parse_rcpt(const char *arg, int flags, struct smtp_server_rcpt *rc,
    char *buf, size_t bufsz, struct smtp_server_reply *reply)
{
	char *p, *kw, *val;
	unsigned seen = 0;
	int r;

	memset(rc, 0, sizeof(*rc));
	if (parse_copy(arg, "TO:", buf, bufsz, &p) == -1) {
		smtp_server_reply_set(reply, 501, "5.5.4", "Syntax: RCPT TO:<address>");
		return -1;
	}
	if (parse_path(&p, 1, (char **)&rc->to) == -1) {
		smtp_server_reply_set(reply, 501, "5.1.3", "Bad recipient address syntax");
		return -1;
	}
	while ((r = parse_param(&p, &kw, &val)) == 1) {
		unsigned bit;

		if (strcasecmp(kw, "NOTIFY") == 0 && (flags & SMTP_PARSE_DSN)) {
			int n = smtp_notify_parse(val);

			bit = 1;
			if (n == -1)
				goto badval;
			rc->notify = (unsigned)n;
		} else if (strcasecmp(kw, "ORCPT") == 0 && (flags & SMTP_PARSE_DSN)) {
			bit = 2;
			if (val == NULL || parse_orcpt(val) == -1)
				goto badval;
			rc->orcpt = val;
		} else {
			smtp_server_reply_set(reply, 555, "5.5.4", "Unsupported parameter %.40s", kw);
			return -1;
		}
		if (seen & bit) {
			smtp_server_reply_set(reply, 501, "5.5.4", "Duplicate parameter %s", kw);
			return -1;
		}
		seen |= bit;
	}
	if (r == -1) {
		smtp_server_reply_set(reply, 501, "5.5.4", "Bad parameter syntax");
		return -1;
	}
	return 0;
badval:
	smtp_server_reply_set(reply, 501, "5.5.4", "Bad value for parameter %s", kw);
	return -1;
}

struct smtp_server_reply *
smtp_server_reply_set(struct smtp_server_reply *r, int code, const char *enh,
    const char *fmt, ...)
{
	va_list ap;

	r->code = code;
	snprintf(r->enh, sizeof(r->enh), "%s", enh);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
	return r;
}
