/*
 * mime/report: delivery status notifications for offramp jobs (RFC 3461
 * section 6, RFC 3464, RFC 6522), and the multipart/report plumbing the
 * MDN builder shares.
 *
 * A DSN says in plain words what happened to each fax (pages, remote CSI,
 * duration, the failure and the attempts) and in machine-readable form
 * what RFC 3464 asks for. A fax machine is not an MTA: there is no
 * Remote-MTA; the T.30 or SIP cause goes into "Diagnostic-Code: X-FAX;"
 * and the fax facts into X-Fax-* extension fields (RFC 3464 2.4).
 *
 * Not here: when to send a DSN and to whom (gateway/ applies NOTIFY,
 * disable-dsn and the null sender), and sending it (the mail queue).
 */
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

/* Column at which structured fields are folded (RFC 5322 2.1.1). */
#define REPORT_FOLD_COL 78
/* Longest field value: a whole diagnostic and its "X-FAX; " prefix. */
#define REPORT_FIELD_MAX (MIME_DSN_TEXT_MAX + 64)
/* Width of the plain-words text. */
#define REPORT_WRAP_COL 72

/* What the original message looks like, for the text and the return. */
struct dsn_orig {
	char *subject;    /* decoded, or NULL */
	char *date;       /* as written, or NULL */
	char *headers;    /* raw header block (mime_headers_raw) */
	GMimeMessage *full;   /* parsed whole message when it is to be returned */
	const char *not_returned;  /* why a requested full return did not happen */
};

static int dsn_check(const struct mime_dsn *d, struct mime_error *err);
static int dsn_has_failure(const struct mime_dsn *d);
static void dsn_orig_load(const struct mime_dsn *d, struct dsn_orig *o);
static void dsn_orig_free(struct dsn_orig *o);
static char *dsn_subject(const struct mime_dsn *d);
static char *dsn_text(const struct mime_dsn *d, const struct dsn_orig *o);
static void dsn_text_rcpt(GString *s, const struct mime_dsn *d,
    const struct mime_dsn_rcpt *r);
static void dsn_text_parts(GString *s, const struct mime_dsn *d);
static int rcpt_lossy(const struct mime_dsn_rcpt *r);
static char *dsn_status(const struct mime_dsn *d);
static const char *dsn_reason(const struct mime_dsn_rcpt *r);
static void text_wrap(GString *s);
static void text_duration(GString *s, unsigned secs);
static void text_time(GString *s, time_t t);
static char *text_clip(const char *in);
static int file_is_7bit(const char *path, size_t *size);
static int err_set(struct mime_error *err, const char *status,
    const char *text);

/* Default words for a status when the caller gave none (RFC 3463 codes as
 * a fax user would say them). Matched on the whole code, then the class
 * and subject ("4.4"). */
static const struct {
	const char *code;
	const char *words;
} dsn_reasons[] = {
	{ "4.4.1", "there was no answer or the line was busy" },
	{ "4.4.2", "the call was dropped or the fax machines could not complete the transfer" },
	{ "4.4.5", "all lines were busy" },
	{ "4.4.7", "the gateway gave up after trying for too long" },
	{ "5.1.1", "the number does not exist" },
	{ "5.1.3", "the number is not a valid fax number" },
	{ "5.3.4", "the document is too large to fax (too many pages or too long to prepare)" },
	{ "5.6.1", "the message contains content that cannot be faxed" },
	{ "5.6.5", "the document could not be converted to fax pages" },
	{ "5.7.1", "faxing this number is not allowed" },
	{ "4.4", "the call could not be completed" },
	{ "5.4", "the call could not be completed" },
	{ "4.3", "the gateway had a temporary problem" },
	{ "5.3", "the gateway could not process the message" },
};

char *
mime_dsn_build(const struct mime_dsn *d, size_t *len, struct mime_error *err)
{
	struct dsn_orig o = { 0 };
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimeObject *part;
	char *subject, *text, *status, *out;

	memset(err, 0, sizeof(*err));
	if (dsn_check(d, err) != 0)
		return NULL;
	mime_gmime_init();
	dsn_orig_load(d, &o);

	subject = dsn_subject(d);
	msg = mime_report_new(d->from_name, d->from_addr, d->to, subject, d->now,
	    "delivery-status", &mp);
	g_free(subject);

	text = dsn_text(d, &o);
	part = mime_report_text(text);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	g_free(text);

	status = dsn_status(d);
	part = mime_report_7bit("message", "delivery-status", status);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	g_free(status);

	if (o.full != NULL) {
		part = GMIME_OBJECT(g_mime_message_part_new_with_message("rfc822", o.full));
		g_mime_multipart_add(mp, part);
		g_object_unref(part);
	} else if (o.headers != NULL) {
		part = mime_report_7bit("text", "rfc822-headers", o.headers);
		g_mime_multipart_add(mp, part);
		g_object_unref(part);
	}
	out = mime_report_serialize(msg, d->crlf, len);
	g_object_unref(msg);
	dsn_orig_free(&o);
	return out;
}

/* Input checks: the report must be consistent before it is truthful. */
static int
dsn_check(const struct mime_dsn *d, struct mime_error *err)
{
	size_t i;

	if (d->nrcpts == 0 || d->rcpts == NULL)
		return err_set(err, "4.3.0", "a DSN needs at least one recipient");
	if (d->reporting_mta == NULL || *d->reporting_mta == '\0' ||
	    d->from_addr == NULL || d->to == NULL || *d->to == '\0')
		return err_set(err, "4.3.0", "a DSN needs a reporting MTA, a From "
		    "address and a non-null recipient");
	for (i = 0; i < d->nrcpts; i++) {
		const struct mime_dsn_rcpt *r = &d->rcpts[i];
		const char *s = r->status;
		char want;

		if (r->final_rcpt == NULL || *r->final_rcpt == '\0')
			return err_set(err, "4.3.0", "a DSN recipient lacks its address");
		if (s == NULL || !g_regex_match_simple("^[245]\\.[0-9]{1,3}\\.[0-9]{1,3}$",
		    s, 0, 0))
			return err_set(err, "4.3.0", "a DSN status is not an RFC 3463 code");
		want = r->action == MIME_DSN_DELIVERED ? '2' :
		    r->action == MIME_DSN_DELAYED ? '4' : 0;
		if (r->action == MIME_DSN_FAILED) {
			if (s[0] == '2')
				return err_set(err, "4.3.0", "a failed recipient has a success status");
		} else if (want == 0 || s[0] != want) {
			return err_set(err, "4.3.0", "a DSN status does not fit its action");
		}
		if (r->action == MIME_DSN_DELAYED && r->retry_until == 0)
			return err_set(err, "4.3.0", "a delayed DSN needs its retry limit");
	}
	return 0;
}

static int
dsn_has_failure(const struct mime_dsn *d)
{
	size_t i;

	for (i = 0; i < d->nrcpts; i++)
		if (d->rcpts[i].action == MIME_DSN_FAILED)
			return 1;
	return 0;
}

/*
 * RFC 3461 4.3 and 6.2: RET=FULL returns the whole message, but only in a
 * DSN reporting a failure; success and delay DSNs return headers. A huge
 * or 8-bit original is returned as headers (the report must stay 7-bit
 * and reasonable in size); the text says so.
 */
static void
dsn_orig_load(const struct mime_dsn *d, struct dsn_orig *o)
{
	GMimeParser *parser;
	GMimeStream *stream;
	GMimeMessage *hm;
	size_t size = 0;

	if (d->orig_path == NULL)
		return;
	o->headers = mime_headers_raw(d->orig_path);
	if (o->headers != NULL) {
		/* The header block alone is enough for subject and date. */
		stream = g_mime_stream_mem_new_with_buffer(o->headers, strlen(o->headers));
		parser = g_mime_parser_new_with_stream(stream);
		hm = g_mime_parser_construct_message(parser, NULL);
		if (hm != NULL) {
			const char *v = g_mime_message_get_subject(hm);

			if (v != NULL)
				o->subject = g_utf8_make_valid(v, -1);
			if ((v = g_mime_object_get_header(GMIME_OBJECT(hm), "Date")) != NULL)
				o->date = g_strstrip(g_utf8_make_valid(v, -1));
			g_object_unref(hm);
		}
		g_object_unref(parser);
		g_object_unref(stream);
	}
	if (d->ret != MIME_RET_FULL || !dsn_has_failure(d))
		return;
	if (!file_is_7bit(d->orig_path, &size)) {
		o->not_returned = "it contains 8-bit data";
		return;
	}
	if (size > MIME_DSN_RETURN_MAX) {
		o->not_returned = "it is too large";
		return;
	}
	stream = g_mime_stream_file_open(d->orig_path, "r", NULL);
	if (stream == NULL)
		return;
	parser = g_mime_parser_new_with_stream(stream);
	o->full = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
}

static void
dsn_orig_free(struct dsn_orig *o)
{
	g_free(o->subject);
	g_free(o->date);
	g_free(o->headers);
	if (o->full != NULL)
		g_object_unref(o->full);
}

/* "Fax to +1 919 555 1234: delivered", or a count for several. */
static char *
dsn_subject(const struct mime_dsn *d)
{
	static const char *const word[] = { "", "delivered", "not delivered", "delayed" };
	unsigned n[4] = { 0 };
	size_t i;
	char num[64];

	unsigned lossy = 0;

	for (i = 0; i < d->nrcpts; i++) {
		n[d->rcpts[i].action]++;
		lossy += rcpt_lossy(&d->rcpts[i]);
	}
	if (d->nrcpts == 1) {
		const struct mime_dsn_rcpt *r = &d->rcpts[0];
		char *who = text_clip(r->number ? r->number : r->final_rcpt);
		char *s = g_strdup_printf("Fax to %s: %s%s",
		    mime_number_pretty(who, num, sizeof(num)), word[r->action],
		    lossy ? " with parts left out" : "");

		g_free(who);
		return s;
	}
	{
		GString *s = g_string_new("Fax delivery report:");
		const char *sep = " ";

		for (i = 1; i < 4; i++) {
			if (n[i] == 0)
				continue;
			g_string_append_printf(s, "%s%u %s", sep, n[i], word[i]);
			if (i == MIME_DSN_DELIVERED && lossy)
				g_string_append(s, " with parts left out");
			sep = ", ";
		}
		return g_string_free(s, FALSE);
	}
}

static char *
dsn_text(const struct mime_dsn *d, const struct dsn_orig *o)
{
	GString *s = g_string_new(NULL);
	size_t i;

	g_string_append_printf(s, "This is the fax gateway %s reporting on your message",
	    d->reporting_mta);
	if (o->subject != NULL || o->date != NULL) {
		g_string_append(s, "\n\n");
		if (o->subject != NULL)
			g_string_append_printf(s, "  Subject: %s\n", o->subject);
		if (o->date != NULL)
			g_string_append_printf(s, "  Date:    %s\n", o->date);
	} else {
		g_string_append(s, ".\n");
	}
	for (i = 0; i < d->nrcpts; i++) {
		g_string_append_c(s, '\n');
		dsn_text_rcpt(s, d, &d->rcpts[i]);
	}
	dsn_text_parts(s, d);
	if (d->note != NULL && *d->note != '\0') {
		char *note = text_clip(d->note);

		g_string_append_printf(s, "\nNote: %s\n", note);
		g_free(note);
	}
	if (o->not_returned != NULL)
		g_string_append_printf(s, "\nOnly the headers of your message are "
		    "attached: %s.\n", o->not_returned);
	g_string_append_printf(s, "\nThe details for mail programs follow in the "
	    "delivery-status part.\n");
	text_wrap(s);
	return g_string_free(s, FALSE);
}

/* The plain-words paragraph about one recipient. */
static void
dsn_text_rcpt(GString *s, const struct mime_dsn *d, const struct mime_dsn_rcpt *r)
{
	char num[64];
	char *who = text_clip(r->number ? r->number : r->final_rcpt);
	char *csi = r->csi && *r->csi ? text_clip(r->csi) : NULL;
	char *reason = text_clip(dsn_reason(r));

	(void)d;
	g_string_append_printf(s, "The fax to %s ", mime_number_pretty(who, num, sizeof(num)));
	switch (r->action) {
	case MIME_DSN_DELIVERED:
		g_string_append_printf(s, "was sent: %u page%s", r->pages_sent,
		    r->pages_sent == 1 ? "" : "s");
		if (r->duration > 0) {
			g_string_append(s, " in ");
			text_duration(s, r->duration);
		}
		if (csi != NULL)
			g_string_append_printf(s, ", received by the fax machine \"%s\"", csi);
		else
			g_string_append(s, ", received by the remote fax machine");
		if (r->last_attempt != 0) {
			g_string_append(s, " on ");
			text_time(s, r->last_attempt);
		}
		if (r->attempts > 1)
			g_string_append_printf(s, " (attempt %u)", r->attempts);
		g_string_append(s, ".");
		if (rcpt_lossy(r))
			g_string_append(s, " Not everything in your message could be "
			    "faxed: the parts it left out are listed below.");
		g_string_append_c(s, '\n');
		break;
	case MIME_DSN_FAILED:
		g_string_append_printf(s, "was not sent: %s", reason);
		if (r->attempts > 1 && r->attempts_same == r->attempts)
			g_string_append_printf(s, " on all %u attempts", r->attempts);
		else if (r->attempts > 1)
			g_string_append_printf(s, " on the last of %u attempts", r->attempts);
		if (r->last_attempt != 0) {
			g_string_append(s, r->attempts > 1 ? " (last " : " (");
			text_time(s, r->last_attempt);
			g_string_append_c(s, ')');
		}
		g_string_append(s, ".");
		if (r->pages_sent > 0) {
			if (r->pages_total > 0)
				g_string_append_printf(s, " %u of %u pages had been sent "
				    "when the call failed.", r->pages_sent, r->pages_total);
			else
				g_string_append_printf(s, " %u page%s had been sent when "
				    "the call failed.", r->pages_sent,
				    r->pages_sent == 1 ? "" : "s");
		}
		if (csi != NULL)
			g_string_append_printf(s, " The remote fax machine identified "
			    "itself as \"%s\".", csi);
		if (r->attempts == 0)
			g_string_append(s, " No call was placed.");
		if (r->status[0] == '4')
			g_string_append(s, " You may send the message again later.");
		g_string_append_c(s, '\n');
		break;
	case MIME_DSN_DELAYED:
		g_string_append_printf(s, "has not been sent yet: %s", reason);
		if (r->attempts > 0)
			g_string_append_printf(s, " (attempt %u", r->attempts);
		if (r->attempts > 0 && r->last_attempt != 0) {
			g_string_append(s, ", ");
			text_time(s, r->last_attempt);
		}
		if (r->attempts > 0)
			g_string_append_c(s, ')');
		g_string_append(s, ". The gateway will keep trying until ");
		text_time(s, r->retry_until);
		g_string_append(s, "; you do not need to send the message again.\n");
		break;
	}
	g_free(who);
	g_free(csi);
	g_free(reason);
}

/* Delivered, but with parts left out (RFC 3463 2.6.4)? */
static int
rcpt_lossy(const struct mime_dsn_rcpt *r)
{
	return r->action == MIME_DSN_DELIVERED && strcmp(r->status, "2.6.4") == 0;
}

/*
 * The parts of the message and what became of each: the pages of the fax
 * it became, what was left out of it, or why it was not faxed.
 */
static void
dsn_text_parts(GString *s, const struct mime_dsn *d)
{
	int delivered = 0;
	size_t i;

	if (d->parts == NULL || d->nparts == 0)
		return;
	for (i = 0; i < d->nrcpts; i++)
		delivered |= d->rcpts[i].action == MIME_DSN_DELIVERED;
	g_string_append(s, delivered ? "\nYour message was faxed as follows:\n" :
	    "\nYour message was prepared for faxing as follows:\n");
	for (i = 0; i < d->nparts && i < MIME_OUTCOMES_MAX; i++) {
		const struct mime_part_outcome *o = &d->parts[i];
		char *label = text_clip(o->label), *detail = text_clip(o->detail);

		switch (o->kind) {
		case MIME_OUTCOME_FAXED:
		case MIME_OUTCOME_PARTLY:
			if (o->first == o->last)
				g_string_append_printf(s, "  - page %u: %s", o->first, label);
			else
				g_string_append_printf(s, "  - pages %u-%u: %s", o->first,
				    o->last, label);
			if (o->kind == MIME_OUTCOME_PARTLY)
				g_string_append_printf(s, "; left out: %s", detail);
			g_string_append(s, "\n");
			break;
		case MIME_OUTCOME_NOT_FAXED:
			g_string_append_printf(s, "  - not faxed: %s: %s\n", label, detail);
			break;
		}
		g_free(label);
		g_free(detail);
	}
}

int
mime_outcomes_lossy(const struct mime_part_outcome *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (o[i].kind == MIME_OUTCOME_PARTLY ||
		    (o[i].kind == MIME_OUTCOME_NOT_FAXED && o[i].lossy))
			return 1;
	return 0;
}

/* The message/delivery-status body (RFC 3464 2.1). */
static char *
dsn_status(const struct mime_dsn *d)
{
	GString *s = g_string_new(NULL);
	char date[64], v[512];
	size_t i;

	g_snprintf(v, sizeof(v), "dns; %s", d->reporting_mta);
	mime_report_field(s, "Reporting-MTA", v);
	/* RFC 3461 6.3 (a): only when the sender gave ENVID, decoded. */
	if (d->envid != NULL)
		mime_report_field(s, "Original-Envelope-Id", d->envid);
	if (d->arrival != 0)
		mime_report_field(s, "Arrival-Date",
		    mime_report_date(d->arrival, date, sizeof(date)));
	for (i = 0; i < d->nrcpts; i++) {
		const struct mime_dsn_rcpt *r = &d->rcpts[i];
		static const char *const action[] = { "", "delivered", "failed", "delayed" };

		g_string_append_c(s, '\n');
		/* RFC 3461 6.3 (c): Original-Recipient only from ORCPT. */
		if (r->orcpt_type != NULL && r->orcpt != NULL) {
			g_snprintf(v, sizeof(v), "%s;%s", r->orcpt_type, r->orcpt);
			mime_report_field(s, "Original-Recipient", v);
		}
		g_snprintf(v, sizeof(v), "rfc822;%s", r->final_rcpt);
		mime_report_field(s, "Final-Recipient", v);
		mime_report_field(s, "Action", action[r->action]);
		mime_report_field(s, "Status", r->status);
		if (r->diagnostic != NULL && *r->diagnostic != '\0') {
			char *dc = g_strdup_printf("X-FAX; %s", r->diagnostic);

			mime_report_field(s, "Diagnostic-Code", dc);
			g_free(dc);
		}
		if (r->last_attempt != 0)
			mime_report_field(s, "Last-Attempt-Date",
			    mime_report_date(r->last_attempt, date, sizeof(date)));
		/* RFC 3464 2.3.9: only in delayed DSNs. */
		if (r->action == MIME_DSN_DELAYED)
			mime_report_field(s, "Will-Retry-Until",
			    mime_report_date(r->retry_until, date, sizeof(date)));
		if (r->number != NULL)
			mime_report_field(s, "X-Fax-Number", r->number);
		if (r->action != MIME_DSN_DELIVERED || r->pages_total > 0 || r->pages_sent > 0) {
			if (r->pages_total > 0)
				g_snprintf(v, sizeof(v), "%u of %u", r->pages_sent, r->pages_total);
			else
				g_snprintf(v, sizeof(v), "%u", r->pages_sent);
			mime_report_field(s, "X-Fax-Pages", v);
		}
		if (r->csi != NULL && *r->csi != '\0')
			mime_report_field(s, "X-Fax-CSI", r->csi);
		g_snprintf(v, sizeof(v), "%u", r->attempts);
		mime_report_field(s, "X-Fax-Attempts", v);
		if (r->attempts > 0 && r->duration > 0) {
			g_snprintf(v, sizeof(v), "%u", r->duration);
			mime_report_field(s, "X-Fax-Duration", v);
		}
	}
	return g_string_free(s, FALSE);
}

static const char *
dsn_reason(const struct mime_dsn_rcpt *r)
{
	size_t i;

	if (r->reason != NULL && *r->reason != '\0')
		return r->reason;
	for (i = 0; i < G_N_ELEMENTS(dsn_reasons); i++)
		if (strncmp(r->status, dsn_reasons[i].code, strlen(dsn_reasons[i].code)) == 0 &&
		    (r->status[strlen(dsn_reasons[i].code)] == '\0' ||
		    r->status[strlen(dsn_reasons[i].code)] == '.'))
			return dsn_reasons[i].words;
	return r->status[0] == '4' ? "the fax could not be sent for now" :
	    "the fax could not be delivered";
}

/* Breaks lines longer than REPORT_WRAP_COL characters at a space. */
static void
text_wrap(GString *s)
{
	size_t i, line = 0, space = 0;
	glong col = 0;

	for (i = 0; i < s->len; i = (size_t)(g_utf8_next_char(s->str + i) - s->str)) {
		if (s->str[i] == '\n') {
			line = i + 1;
			space = 0;
			col = 0;
			continue;
		}
		if (s->str[i] == ' ' && i > line)
			space = i;
		if (++col > REPORT_WRAP_COL && space > line) {
			s->str[space] = '\n';
			line = space + 1;
			col = g_utf8_strlen(s->str + line, (gssize)(i + 1 - line));
			space = 0;
		}
	}
}

static void
text_duration(GString *s, unsigned secs)
{
	if (secs >= 60)
		g_string_append_printf(s, "%u min %u s", secs / 60, secs % 60);
	else
		g_string_append_printf(s, "%u s", secs);
}

/* "2026-11-23 14:05 UTC" */
static void
text_time(GString *s, time_t t)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
	g_string_append(s, buf);
}

/* Peer or caller text for the human part: valid UTF-8, one line, at most
 * MIME_DSN_TEXT_MAX bytes cut between words (mime_text_fit). */
static char *
text_clip(const char *in)
{
	char *v = g_utf8_make_valid(in ? in : "", -1);
	char *c;

	if (strlen(v) > MIME_DSN_TEXT_MAX) {
		c = g_malloc(MIME_DSN_TEXT_MAX + 1);
		mime_text_fit(c, MIME_DSN_TEXT_MAX + 1, v);
		g_free(v);
		v = c;
	}
	for (c = v; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return v;
}

const char *
mime_number_pretty(const char *number, char *buf, size_t size)
{
	size_t n = strlen(number);
	const char *d = NULL;

	/* NANP: +1 NPA NXX XXXX, written +1 and ten digits, 1 and ten, or
	 * ten (an area code never starts with 0 or 1). Other plans vary too
	 * much to group. */
	if (n == 12 && number[0] == '+' && number[1] == '1')
		d = number + 2;
	else if (n == 11 && number[0] == '1')
		d = number + 1;
	else if (n == 10)
		d = number;
	if (d != NULL && (strspn(d, "0123456789") != 10 || d[0] == '0' || d[0] == '1'))
		d = NULL;
	if (d != NULL)
		g_snprintf(buf, (gulong)size, "+1 %.3s %.3s %.4s", d, d + 3, d + 6);
	else
		g_strlcpy(buf, number, size);
	return buf;
}

/* Is the file 7-bit clean (no octet above 127, no NUL)? Sets *size. */
static int
file_is_7bit(const char *path, size_t *size)
{
	FILE *f = fopen(path, "re");
	unsigned char buf[8192];
	size_t n, i;
	int ok = 1;

	*size = 0;
	if (f == NULL)
		return 0;
	while (ok && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		*size += n;
		for (i = 0; i < n; i++)
			if (buf[i] == 0 || buf[i] > 127)
				ok = 0;
	}
	fclose(f);
	return ok;
}

static int
err_set(struct mime_error *err, const char *status, const char *text)
{
	g_strlcpy(err->status, status, sizeof(err->status));
	g_strlcpy(err->text, text, sizeof(err->text));
	return -1;
}

/* ---- report plumbing, shared with the MDN builder ------------------------ */

GMimeMessage *
mime_report_new(const char *from_name, const char *from_addr, const char *to,
    const char *subject, time_t now, const char *report_type, GMimeMultipart **mp)
{
	GMimeMessage *msg = g_mime_message_new(TRUE);
	GDateTime *dt = g_date_time_new_from_unix_utc((gint64)now);
	const char *at = strrchr(from_addr, '@');
	char *id;

	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_FROM, from_name, from_addr);
	g_mime_message_add_mailbox(msg, GMIME_ADDRESS_TYPE_TO, NULL, to);
	g_mime_message_set_subject(msg, subject, "utf-8");
	g_mime_message_set_date(msg, dt);
	g_date_time_unref(dt);
	id = g_mime_utils_generate_message_id(at ? at + 1 : "localhost");
	g_mime_message_set_message_id(msg, id);
	g_free(id);
	/* RFC 3834: an automatic reply; nobody should auto-answer it. */
	g_mime_object_set_header(GMIME_OBJECT(msg), "Auto-Submitted", "auto-replied", NULL);

	*mp = g_mime_multipart_new_with_subtype("report");
	g_mime_object_set_content_type_parameter(GMIME_OBJECT(*mp), "report-type",
	    report_type);
	g_mime_message_set_mime_part(msg, GMIME_OBJECT(*mp));
	g_object_unref(*mp);   /* the message holds it */
	return msg;
}

GMimeObject *
mime_report_text(const char *text)
{
	GMimeTextPart *tp = g_mime_text_part_new_with_subtype("plain");
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(text, strlen(text));
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_DEFAULT);
	const char *p;
	int ascii = 1;

	/* Not g_mime_text_part_set_text(): it would pick iso-8859-1 where
	 * it fits; reports are UTF-8 throughout. */
	for (p = text; *p != '\0'; p++)
		if ((unsigned char)*p > 0x7f)
			ascii = 0;
	g_mime_part_set_content(GMIME_PART(tp), dw);
	g_object_unref(dw);
	g_object_unref(st);
	g_mime_text_part_set_charset(tp, ascii ? "us-ascii" : "utf-8");
	g_mime_part_set_content_encoding(GMIME_PART(tp), ascii ?
	    GMIME_CONTENT_ENCODING_7BIT : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	return GMIME_OBJECT(tp);
}

GMimeObject *
mime_report_7bit(const char *type, const char *subtype, const char *content)
{
	GMimePart *p = g_mime_part_new_with_type(type, subtype);
	GMimeStream *st = g_mime_stream_mem_new_with_buffer(content, strlen(content));
	GMimeDataWrapper *dw = g_mime_data_wrapper_new_with_stream(st,
	    GMIME_CONTENT_ENCODING_7BIT);

	g_mime_part_set_content(p, dw);
	g_mime_part_set_content_encoding(p, GMIME_CONTENT_ENCODING_7BIT);
	g_object_unref(dw);
	g_object_unref(st);
	return GMIME_OBJECT(p);
}

char *
mime_report_serialize(GMimeMessage *msg, int crlf, size_t *len)
{
	GMimeFormatOptions *fo = g_mime_format_options_new();
	GByteArray *ba = g_byte_array_new();
	GMimeStream *mem = g_mime_stream_mem_new_with_byte_array(ba);
	guint8 nul = 0;

	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
	g_mime_format_options_set_newline_format(fo,
	    crlf ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
	g_mime_object_write_to_stream(GMIME_OBJECT(msg), fo, mem);
	g_mime_format_options_free(fo);
	g_object_unref(mem);
	if (len != NULL)
		*len = ba->len;
	g_byte_array_append(ba, &nul, 1);
	return (char *)g_byte_array_free(ba, FALSE);
}

void
mime_report_field(GString *s, const char *name, const char *value)
{
	size_t col, start = s->len, last_space = 0, i;
	char *fit = g_malloc(REPORT_FIELD_MAX + 1);

	/* Cut between words, never inside a type or an address. */
	mime_text_fit(fit, REPORT_FIELD_MAX + 1, value);
	value = fit;
	g_string_append_printf(s, "%s: ", name);
	col = strlen(name) + 2;
	for (i = 0; value[i] != '\0'; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '\r' || c == '\n' || c == '\t')
			c = ' ';
		else if (c < 0x20 || c > 0x7e)
			c = '?';
		/* Fold at the last space once past the column (RFC 5322 2.2.3). */
		if (col >= REPORT_FOLD_COL && last_space > start) {
			g_string_insert_c(s, (gssize)last_space, '\n');
			col = s->len - last_space - 1;
			last_space = 0;
		}
		if (c == ' ' && col > strlen(name) + 2)
			last_space = s->len;
		g_string_append_c(s, (char)c);
		col++;
	}
	g_string_append_c(s, '\n');
	g_free(fit);
}

const char *
mime_report_date(time_t t, char *buf, size_t size)
{
	/* Not strftime's %a/%b: they follow the locale, RFC 5322 does not. */
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	gmtime_r(&t, &tm);
	g_snprintf(buf, (gulong)size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}
