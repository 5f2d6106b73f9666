/*
 * gateway/cdr/record: the text of call and job records (see cdr.h). Each
 * record is a json-c object written on one line; json-c does the escaping
 * (quotes, backslashes, control characters as \uXXXX). json-c passes other
 * bytes through as they are, so each string from a peer (CSI, numbers,
 * addresses, server replies) is first cut to CDR_STR_MAX bytes and made
 * valid UTF-8 (GLib replaces each invalid sequence by U+FFFD). Absent
 * values are left out rather than written empty. No I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>
#include <json-c/json.h>

#include "gateway/cdr/cdr.h"
#include "sip/sip.h"

static void rec_str(struct json_object *o, const char *key, const char *s);
static void rec_str_set(struct json_object *o, const char *key, const char *s);
static void rec_int(struct json_object *o, const char *key, int64_t v);
static void rec_bool(struct json_object *o, const char *key, bool v);
static void rec_time(struct json_object *o, const char *key, int64_t ms);
static struct json_object *rec_rcpt(const struct cdr_rcpt *r);
static char *rec_line(struct json_object *o, size_t *len);

int64_t
cdr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* As the log lines print their time: RFC 3339, UTC, milliseconds. */
const char *
cdr_time(char *buf, size_t size, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, size, "1970-01-01T00:00:00.000Z");
		return buf;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

/* A string value when s is set (NULL: left out). */
static void
rec_str(struct json_object *o, const char *key, const char *s)
{
	gchar *valid;
	size_t n;

	if (s == NULL)
		return;
	if ((n = strlen(s)) > CDR_STR_MAX)
		n = CDR_STR_MAX;
	valid = g_utf8_make_valid(s, (gssize)n);
	json_object_object_add(o, key, json_object_new_string(valid));
	g_free(valid);
}

/* Left out when s is NULL or empty (numbers a call did not carry). */
static void
rec_str_set(struct json_object *o, const char *key, const char *s)
{
	if (s != NULL && *s != '\0')
		rec_str(o, key, s);
}

static void
rec_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void
rec_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

/* A time when known (ms > 0). */
static void
rec_time(struct json_object *o, const char *key, int64_t ms)
{
	char buf[40];

	if (ms > 0)
		rec_str(o, key, cdr_time(buf, sizeof(buf), ms));
}

/* The object as one line ending in "\n"; frees o. */
static char *
rec_line(struct json_object *o, size_t *len)
{
	const char *s;
	size_t n = 0;
	char *line = NULL;

	s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (s != NULL && (line = malloc(n + 2)) != NULL) {
		memcpy(line, s, n);
		line[n] = '\n';
		line[n + 1] = '\0';
		*len = n + 1;
	}
	json_object_put(o);
	return line;
}

char *
cdr_call_line(const struct sip_event *ev, const struct cdr_call_link *link, size_t *len)
{
	struct json_object *o = json_object_new_object();
	char phase[2] = { ev->t30_phase, '\0' };

	if (o == NULL)
		return NULL;
	rec_str(o, "type", "call");
	rec_str(o, "call", ev->call_id);
	rec_str(o, "dir", ev->dir == SIP_DIR_ONRAMP ? "onramp" : "offramp");
	rec_time(o, "start", ev->start_ms);
	rec_time(o, "answer", ev->answer_ms);
	rec_time(o, "end", ev->end_ms);
	rec_int(o, "secs", ev->secs);
	rec_str(o, "ani", ev->ani);
	rec_str(o, "dnis", ev->dnis);
	rec_str_set(o, "rdnis", ev->rdnis);
	rec_str(o, "media", ev->t38 ? "t38" : "g711");
	rec_int(o, "pages", ev->pages);
	if (ev->dir == SIP_DIR_OFFRAMP && ev->fax_ran)
		rec_int(o, "pages_total", ev->pages_total);
	/* Rate and ECM describe the image transfer: only once a DCS was
	 * exchanged (before training spandsp reports its top rate). */
	if (ev->fax_ran) {
		rec_int(o, "rate", ev->rate);
		rec_bool(o, "ecm", ev->ecm);
	}
	rec_str(o, "result", sip_result_name(ev->result));
	rec_str(o, "cause", sip_cause_name(ev->cause));
	if (ev->sip_status > 0)
		rec_int(o, "sip_status", ev->sip_status);
	if (ev->t30_phase != '\0') {
		rec_str(o, "t30_phase", phase);
		rec_int(o, "t30_code", ev->t30_code);
	}
	if (ev->t38_refused != 0)
		rec_int(o, "t38_refused", ev->t38_refused);
	rec_str_set(o, "remote_ident", ev->remote_ident);
	rec_str_set(o, "reason", ev->reason);
	if (link != NULL) {
		if (link->peer != 0)
			rec_int(o, "peer", link->peer);
		rec_str_set(o, "job", link->job);
		rec_str_set(o, "message_id", link->message_id);
		rec_str_set(o, "mail", link->mail);
		if (link->rcpt >= 0)
			rec_int(o, "rcpt", link->rcpt);
		rec_str_set(o, "number", link->number);
		if (link->attempt > 0)
			rec_int(o, "attempt", link->attempt);
		if (link->dial > 0)
			rec_int(o, "dial", (int64_t)link->dial);
		if (link->recovered)
			rec_bool(o, "recovered", true);
	}
	return rec_line(o, len);
}

static struct json_object *
rec_rcpt(const struct cdr_rcpt *r)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		return NULL;
	rec_str(o, "address", r->address);
	rec_str_set(o, "number", r->number);
	rec_str_set(o, "status", r->status);
	rec_str_set(o, "action", r->action);
	rec_int(o, "attempts", r->attempts);
	if (r->number != NULL) {
		rec_int(o, "pages", r->pages);
		rec_int(o, "pages_total", r->pages_total);
	}
	rec_str_set(o, "call", r->call);
	rec_str_set(o, "remote_ident", r->remote_ident);
	rec_str_set(o, "diag", r->diag);
	return o;
}

char *
cdr_job_line(const struct cdr_job *j, size_t *len)
{
	struct json_object *o = json_object_new_object(), *a;
	char secs[32];
	size_t i;

	if (o == NULL)
		return NULL;
	rec_str(o, "type", "job");
	rec_str(o, "job", j->job);
	rec_str(o, "dir", j->dir);
	rec_str_set(o, "kind", j->kind);
	rec_str_set(o, "call", j->call);
	rec_str_set(o, "about", j->about);
	rec_time(o, "created", j->created_ms);
	rec_time(o, "end", j->end_ms);
	if (j->created_ms > 0 && j->end_ms >= j->created_ms) {
		/* Milliseconds, written as such (not as the nearest double's
		 * 17 digits). */
		snprintf(secs, sizeof(secs), "%lld.%03lld",
		    (long long)((j->end_ms - j->created_ms) / 1000),
		    (long long)((j->end_ms - j->created_ms) % 1000));
		json_object_object_add(o, "secs", json_object_new_double_s(
		    (double)(j->end_ms - j->created_ms) / 1000.0, secs));
	}
	rec_str_set(o, "message_id", j->message_id);
	rec_str(o, "sender", j->sender);
	rec_str(o, "result", j->result);
	if (j->attempts > 0)
		rec_int(o, "attempts", j->attempts);
	if (j->pages > 0)
		rec_int(o, "pages", j->pages);
	if ((a = json_object_new_array()) != NULL) {
		for (i = 0; i < j->nrcpts && i < CDR_RCPT_MAX; i++)
			json_object_array_add(a, rec_rcpt(&j->rcpts[i]));
		json_object_object_add(o, "recipients", a);
	}
	if (j->nrcpts > CDR_RCPT_MAX)
		rec_int(o, "recipients_left_out", (int64_t)(j->nrcpts - CDR_RCPT_MAX));
	return rec_line(o, len);
}
