/*
 * mime/offramp_facts: the header facts of a parsed offramp message that
 * DSNs, MDNs and cover pages need (from, to, subject, date, Message-ID,
 * Disposition-Notification-To, Return-Path, the raw header block), their
 * getters, and carrying them as plain values between processes.
 *
 * Not here: the MIME walk (offramp.c, offramp_leaf.c).
 */
#include <stdio.h>
#include <string.h>

#include <gmime/gmime.h>

#include "mime/mime.h"
#include "mime/offramp_private.h"

static char *fact_dup(const char *s);

void
mime_offramp_get_facts(const struct mime_offramp *m, struct mime_offramp_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->from = m->from;
	f->to = m->to;
	f->subject = m->subject;
	f->date = m->date;
	f->message_id = m->message_id;
	f->dnt = m->dnt;
	f->dnt_addr = m->dnt_addr;
	f->return_path = m->return_path;
	f->dnt_count = m->dnt_count;
	f->is_report = m->is_report;
	f->date_time = m->date_time;
}

/* NULL stays NULL; anything else is copied as valid UTF-8. */
static char *
fact_dup(const char *s)
{
	return s != NULL ? g_utf8_make_valid(s, -1) : NULL;
}

struct mime_offramp *
mime_offramp_from_facts(const struct mime_offramp_facts *f)
{
	struct mime_offramp *m = g_new0(struct mime_offramp, 1);

	m->from = fact_dup(f->from);
	m->to = fact_dup(f->to);
	m->subject = fact_dup(f->subject);
	m->date = fact_dup(f->date);
	m->message_id = fact_dup(f->message_id);
	m->dnt = fact_dup(f->dnt);
	m->dnt_addr = fact_dup(f->dnt_addr);
	m->return_path = fact_dup(f->return_path);
	m->dnt_count = f->dnt_count > 0 ? f->dnt_count : 0;
	m->is_report = f->is_report != 0;
	m->date_time = f->date_time;
	return m;
}

const char *mime_offramp_from(const struct mime_offramp *m) { return m->from; }
const char *mime_offramp_to(const struct mime_offramp *m) { return m->to; }
const char *mime_offramp_subject(const struct mime_offramp *m) { return m->subject; }
const char *mime_offramp_date(const struct mime_offramp *m) { return m->date; }
time_t mime_offramp_date_time(const struct mime_offramp *m) { return m->date_time; }
const char *mime_offramp_message_id(const struct mime_offramp *m) { return m->message_id; }
const char *mime_offramp_dnt(const struct mime_offramp *m) { return m->dnt; }
int mime_offramp_dnt_count(const struct mime_offramp *m) { return m->dnt_count; }
const char *mime_offramp_dnt_addr(const struct mime_offramp *m) { return m->dnt_addr; }
const char *mime_offramp_return_path(const struct mime_offramp *m) { return m->return_path; }
const char *mime_offramp_headers(const struct mime_offramp *m) { return m->headers; }
int mime_offramp_is_report(const struct mime_offramp *m) { return m->is_report; }

/* ---- headers ------------------------------------------------------------ */

void
mime_facts_extract(struct mime_offramp *m, GMimeMessage *msg)
{
	GMimeObject *obj = GMIME_OBJECT(msg);
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GDateTime *dt;
	const char *v;
	int i, n;

	m->from = mime_addr_list_string(g_mime_message_get_from(msg));
	m->to = mime_addr_list_string(g_mime_message_get_to(msg));
	if ((v = g_mime_message_get_subject(msg)) != NULL)
		m->subject = g_utf8_make_valid(v, -1);
	if ((v = g_mime_object_get_header(obj, "Date")) != NULL) {
		char *d = g_strstrip(g_strdup(v));

		m->date = g_utf8_make_valid(d, -1);
		g_free(d);
	}
	if ((dt = g_mime_message_get_date(msg)) != NULL)
		m->date_time = (time_t)g_date_time_to_unix(dt);
	if ((v = g_mime_message_get_message_id(msg)) != NULL && *v != '\0')
		m->message_id = g_strdup_printf("<%s>", v);

	/* RFC 8098 2.1: the field must occur at most once; count every
	 * address in every occurrence so that "more than one" is visible. */
	n = g_mime_header_list_get_count(hl);
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		InternetAddressList *l;

		if (g_ascii_strcasecmp(name, "Disposition-Notification-To") == 0) {
			v = g_mime_header_get_value(h);
			if (m->dnt == NULL)
				m->dnt = g_utf8_make_valid(v ? v : "", -1);
			l = v ? internet_address_list_parse(NULL, v) : NULL;
			if (l == NULL) {
				m->dnt_count += 2;   /* unparseable: never "single" */
				continue;
			}
			m->dnt_count += internet_address_list_length(l);
			if (m->dnt_count == 1 && m->dnt_addr == NULL) {
				InternetAddress *a = internet_address_list_get_address(l, 0);

				if (INTERNET_ADDRESS_IS_MAILBOX(a))
					m->dnt_addr = g_strdup(internet_address_mailbox_get_addr(
					    INTERNET_ADDRESS_MAILBOX(a)));
				else
					m->dnt_count = 2;   /* a group is not one address */
			}
			g_object_unref(l);
		} else if (g_ascii_strcasecmp(name, "Return-Path") == 0 &&
		    m->return_path == NULL) {
			char *rp;
			size_t len;

			v = g_mime_header_get_value(h);
			rp = g_strstrip(g_strdup(v ? v : ""));
			len = strlen(rp);

			if (len >= 2 && rp[0] == '<' && rp[len - 1] == '>') {
				memmove(rp, rp + 1, len - 2);
				rp[len - 2] = '\0';
			}
			m->return_path = rp;
		}
	}
	if (m->dnt_count != 1) {
		g_free(m->dnt_addr);
		m->dnt_addr = NULL;
	}
	{
		GMimeObject *body = g_mime_message_get_mime_part(msg);
		GMimeContentType *ct = body ? g_mime_object_get_content_type(body) : NULL;

		m->is_report = ct != NULL && g_mime_content_type_is_type(ct, "multipart", "report");
	}
}

/* "Name <addr>, ..." with RFC 2047 words decoded, or NULL when empty. */
char *
mime_addr_list_string(InternetAddressList *list)
{
	char *s, *v;

	if (list == NULL || internet_address_list_length(list) == 0)
		return NULL;
	s = internet_address_list_to_string(list, NULL, FALSE);
	v = g_utf8_make_valid(s, -1);
	g_free(s);
	return v;
}

/*
 * The header block exactly as received, for text/rfc822-headers: read from
 * the file (GMime would give it back re-folded, with boundaries invented),
 * LF line ends, 8-bit octets replaced by '?' (the DSN part is 7bit), cut at
 * a line end after MIME_OFFRAMP_MAX_HEADERS bytes.
 */
char *
mime_headers_raw(const char *path)
{
	FILE *f = fopen(path, "re");
	GString *s;
	char line[1000];   /* RFC 5322 2.1.1: 998 + CRLF; longer lines are cut */
	int skipping = 0;

	if (f == NULL)
		return NULL;
	s = g_string_new(NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line), i;
		int complete = n > 0 && line[n - 1] == '\n';

		if (skipping) {
			/* the rest of an over-long line */
			skipping = !complete;
			continue;
		}
		skipping = !complete && !feof(f);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			break;   /* the end of the header block */
		if (s->len + n + 1 > MIME_OFFRAMP_MAX_HEADERS)
			break;
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)line[i];

			g_string_append_c(s, (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?');
		}
		g_string_append_c(s, '\n');
	}
	fclose(f);
	return g_string_free(s, FALSE);
}
