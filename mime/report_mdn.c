/*
 * mime/report_mdn: message disposition notifications (RFC 8098) for
 * offramp mail: "your message was dispatched as a fax", sent only when the
 * message asked for one and the RFC allows an unattended gateway to answer.
 *
 * Not here: the configuration switch (`mta receive generate mdn`) and the
 * one-MDN-per-recipient bookkeeping, which gateway/ keeps in the job.
 */
#include <string.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

static int addr_equal(const char *a, const char *b);
static char *local_canon(const char *local, size_t len);
static void why_set(char *why, size_t size, const char *text);

int
mime_mdn_allowed(const struct mime_offramp *orig, const char *envelope_from,
    char *why, size_t size)
{
	const char *rp = mime_offramp_return_path(orig);

	if (mime_offramp_dnt(orig) == NULL) {
		why_set(why, size, "no Disposition-Notification-To");
		return 0;
	}
	/* RFC 8098 2.1: never an MDN for an MDN; a DSN is no better. */
	if (mime_offramp_is_report(orig)) {
		why_set(why, size, "the message is itself a delivery or disposition report");
		return 0;
	}
	if (mime_offramp_dnt_count(orig) != 1 || mime_offramp_dnt_addr(orig) == NULL) {
		why_set(why, size, "Disposition-Notification-To is repeated or has "
		    "several addresses");
		return 0;
	}
	/* We deliver the message: the envelope sender is what the
	 * Return-Path field would say. */
	if (rp == NULL)
		rp = envelope_from;
	if (rp == NULL || *rp == '\0') {
		why_set(why, size, "no Return-Path (null sender)");
		return 0;
	}
	if (!addr_equal(mime_offramp_dnt_addr(orig), rp)) {
		why_set(why, size, "Disposition-Notification-To differs from Return-Path");
		return 0;
	}
	why_set(why, size, "");
	return 1;
}

char *
mime_mdn_build(const struct mime_mdn *m, size_t *len, struct mime_error *err)
{
	GMimeMessage *msg;
	GMimeMultipart *mp;
	GMimeObject *part;
	GString *text, *fields;
	char *subject, *out, num[64], v[512];

	memset(err, 0, sizeof(*err));
	if (m->to == NULL || *m->to == '\0' || m->from_addr == NULL ||
	    m->final_recipient == NULL || m->reporting_ua == NULL ||
	    (m->disposition != MIME_MDN_DISPATCHED && m->disposition != MIME_MDN_ERROR)) {
		g_strlcpy(err->status, "4.3.0", sizeof(err->status));
		g_strlcpy(err->text, "an MDN needs a recipient, a From address, the "
		    "final recipient, the Reporting-UA and a disposition",
		    sizeof(err->text));
		return NULL;
	}
	mime_gmime_init();
	mime_number_pretty(m->number ? m->number : m->final_recipient, num, sizeof(num));
	subject = g_strdup_printf("%s: %s",
	    m->disposition == MIME_MDN_DISPATCHED ? "Fax sent" : "Fax not sent",
	    m->orig_subject ? m->orig_subject : num);
	msg = mime_report_new(m->from_name, m->from_addr, m->to, subject, m->now,
	    "disposition-notification", &mp);
	g_free(subject);

	text = g_string_new(NULL);
	if (m->disposition == MIME_MDN_DISPATCHED)
		g_string_append_printf(text, "Your message was sent as a fax to %s.\n", num);
	else
		g_string_append_printf(text, "Your message could not be sent as a fax "
		    "to %s: %s.\n", num, m->error_text ? m->error_text : "an error");
	g_string_append(text, "\nThis notice says only what the fax gateway did with "
	    "the message;\nit does not mean that anyone has read it.\n");
	part = mime_report_text(text->str);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	g_string_free(text, TRUE);

	/* RFC 8098 3.1 */
	fields = g_string_new(NULL);
	mime_report_field(fields, "Reporting-UA", m->reporting_ua);
	if (m->original_recipient != NULL)
		mime_report_field(fields, "Original-Recipient", m->original_recipient);
	g_snprintf(v, sizeof(v), "rfc822;%s", m->final_recipient);
	mime_report_field(fields, "Final-Recipient", v);
	if (m->original_message_id != NULL)
		mime_report_field(fields, "Original-Message-ID", m->original_message_id);
	mime_report_field(fields, "Disposition",
	    m->disposition == MIME_MDN_DISPATCHED ?
	    "automatic-action/MDN-sent-automatically; dispatched" :
	    "automatic-action/MDN-sent-automatically; processed/error");
	if (m->disposition == MIME_MDN_ERROR && m->error_text != NULL)
		mime_report_field(fields, "Error", m->error_text);
	part = mime_report_7bit("message", "disposition-notification", fields->str);
	g_mime_multipart_add(mp, part);
	g_object_unref(part);
	g_string_free(fields, TRUE);

	out = mime_report_serialize(msg, m->crlf, len);
	g_object_unref(msg);
	return out;
}

/*
 * RFC 8098 2.1: compare addr-specs, the local part case-sensitively after
 * removing quoting, the domain without regard to case.
 */
static int
addr_equal(const char *a, const char *b)
{
	const char *at_a = strrchr(a, '@'), *at_b = strrchr(b, '@');
	char *la, *lb;
	int eq;

	if (at_a == NULL || at_b == NULL)
		return 0;
	if (g_ascii_strcasecmp(at_a + 1, at_b + 1) != 0)
		return 0;
	la = local_canon(a, (size_t)(at_a - a));
	lb = local_canon(b, (size_t)(at_b - b));
	eq = strcmp(la, lb) == 0;
	g_free(la);
	g_free(lb);
	return eq;
}

/* The local part without surrounding quotes and backslash escapes. */
static char *
local_canon(const char *local, size_t len)
{
	GString *s = g_string_sized_new(len);
	size_t i = 0;

	if (len >= 2 && local[0] == '"' && local[len - 1] == '"') {
		i = 1;
		len--;
	}
	for (; i < len; i++) {
		if (local[i] == '\\' && i + 1 < len)
			i++;
		g_string_append_c(s, local[i]);
	}
	return g_string_free(s, FALSE);
}

static void
why_set(char *why, size_t size, const char *text)
{
	if (why != NULL && size > 0)
		g_strlcpy(why, text, size);
}
