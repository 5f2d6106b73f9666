/*
 * config/commands: the keyword table of the top level and of the sip and
 * trunk sub-modes, one handler per command, the value parsers they share
 * (numbers, addresses, CIDRs, host names, mailboxes), and the table of
 * Cisco IOS commands t37gw recognizes but does not implement.
 *
 * Each handler checks its own words and reports what is wrong with the
 * offending word named; it stores nothing on error. Checks that span
 * lines (required parts, cross-references) are in validate.c. The dial-peer
 * sub-mode is in dialpeer.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

static bool valid_name(const char *s);

static cfg_handler cmd_ignore, cmd_hostname, cmd_spool, cmd_log, cmd_user, cmd_shutdown_deadline;
static cfg_handler cmd_sip, cmd_sip_listen, cmd_sip_t38, cmd_sip_codec,
    cmd_sip_rtp_ports, cmd_sip_max_calls, cmd_sip_allow, cmd_sip_call_rate,
    cmd_sip_calls_per_source;
static cfg_handler cmd_sip_media_timeout, cmd_sip_rt_priority, cmd_sip_threads;
static cfg_handler cmd_trunk, cmd_trunk_proxy, cmd_trunk_auth, cmd_trunk_register,
    cmd_trunk_max_calls, cmd_trunk_t38, cmd_trunk_calling_number, cmd_trunk_calling_name,
    cmd_trunk_asserted_id, cmd_trunk_inbound_auth;
#define TOP CFG_MODE_TOP
#define SIP CFG_MODE_SIP
#define TRK CFG_MODE_TRUNK

const struct cfg_cmd cfg_top_commands[] = {
	{ "version", TOP, 0, 0, -1, cmd_ignore, "version [TEXT]" },
	{ "end", TOP, 0, 0, 0, cmd_ignore, "end" },
	{ "hostname", TOP, 0, 1, 1, cmd_hostname, "hostname NAME" },
	{ "spool", TOP, 0, 1, 1, cmd_spool, "spool DIRECTORY" },
	{ "log", TOP, 0, 1, 3, cmd_log, "log {stderr|syslog} [level err|warn|info|debug]" },
	{ "user", TOP, 0, 1, 1, cmd_user, "user NAME" },
	{ "shutdown-deadline", TOP, 0, 1, 1, cmd_shutdown_deadline, "shutdown-deadline SECONDS" },
	{ "cdr", TOP, 0, 1, 1, cfg_cdr, "cdr FILE" },
	{ "control socket", TOP, 0, 1, 1, cfg_control_socket, "control socket PATH" },
	{ "sip", TOP, 0, 0, 0, cmd_sip, "sip" },
	{ "listen", SIP, 0, 3, 3, cmd_sip_listen, "listen {udp|tcp} ADDRESS PORT" },
	{ "t38", SIP, 0, 1, 1, cmd_sip_t38, "t38 {on|off|immediate}" },
	{ "codec", SIP, 0, 1, CONFIG_MAX_CODECS, cmd_sip_codec, "codec {pcmu|pcma} [pcmu|pcma]" },
	{ "rtp-ports", SIP, 0, 2, 2, cmd_sip_rtp_ports, "rtp-ports MIN MAX" },
	{ "max-calls", SIP, 0, 1, 1, cmd_sip_max_calls, "max-calls N" },
	{ "media-timeout", SIP, 0, 1, 1, cmd_sip_media_timeout, "media-timeout SECONDS" },
	{ "allow", SIP, 0, 1, 1, cmd_sip_allow, "allow CIDR" },
	{ "max-call-rate", SIP, 0, 1, 1, cmd_sip_call_rate, "max-call-rate N" },
	{ "max-calls-per-source", SIP, 0, 1, 1, cmd_sip_calls_per_source,
	  "max-calls-per-source N" },
	{ "realtime-priority", SIP, 0, 1, 1, cmd_sip_rt_priority, "realtime-priority N" },
	{ "threads", SIP, 0, 1, 1, cmd_sip_threads, "threads N" },
	{ "trunk", TOP, 0, 1, 1, cmd_trunk, "trunk NAME" },
	{ "proxy", TRK, 0, 1, 1, cmd_trunk_proxy, "proxy sip:URI" },
	{ "auth", TRK, 0, 2, 2, cmd_trunk_auth, "auth USER PASSWORD" },
	{ "register", TRK, 0, 0, 1, cmd_trunk_register, "register [EXPIRES]" },
	{ "max-calls", TRK, 0, 1, 1, cmd_trunk_max_calls, "max-calls N" },
	{ "t38", TRK, 0, 1, 1, cmd_trunk_t38, "t38 {on|off|immediate}" },
	{ "calling-number", TRK, 0, 1, 1, cmd_trunk_calling_number, "calling-number NUMBER" },
	{ "calling-name", TRK, 0, 1, -1, cmd_trunk_calling_name, "calling-name TEXT" },
	{ "asserted-id", TRK, 0, 1, 1, cmd_trunk_asserted_id, "asserted-id {pai|ppi}" },
	{ "inbound-auth", TRK, 0, 2, 2, cmd_trunk_inbound_auth, "inbound-auth USER PASSWORD" },
	{ "dial-peer voice", TOP, 0, 2, 2, cfg_dial_peer, "dial-peer voice TAG {voip|mmoip}" },
	{ "mta send server", TOP, 0, 1, 3, cfg_send_server, "mta send server HOST [port N]" },
	{ "mta send maildir", TOP, 0, 1, 1, cfg_send_maildir, "mta send maildir DIRECTORY" },
	{ "mta send mail-from", TOP, 0, 1, 2, cfg_send_mail_from,
	  "mta send mail-from {ADDRESS|hostname H|username U|username $s$}" },
	{ "mta send postmaster", TOP, 0, 1, 1, cfg_send_postmaster, "mta send postmaster ADDRESS" },
	{ "mta send subject", TOP, 0, 1, -1, cfg_send_subject, "mta send subject TEXT" },
	{ "mta send with-subject", TOP, 0, 1, 1, cfg_send_with_subject,
	  "mta send with-subject {$d$|$s$|both}" },
	{ "mta send return-receipt-to", TOP, 0, 1, 2, cfg_send_return_receipt_to,
	  "mta send return-receipt-to {ADDRESS|hostname H|username U|username $s$}" },
	{ "mta send origin-prefix", TOP, 0, 1, -1, cfg_send_origin_prefix, "mta send origin-prefix TEXT" },
	{ "mta send filename", TOP, 0, 0, 2, cfg_send_filename, "mta send filename [NAME] [date]" },
	{ "mta send success-fax-only", TOP, 0, 0, 0, cfg_send_success_fax_only,
	  "mta send success-fax-only" },
	{ "mta send mime", TOP, 0, 1, 1, cfg_send_mime, "mta send mime {mixed|fax-message}" },
	{ "mta send tls", TOP, 0, 1, 4, cfg_send_tls,
	  "mta send tls {off|opportunistic|required} [verify] [ca FILE]" },
	{ "mta send auth", TOP, 0, 2, 3, cfg_send_auth, "mta send auth USER PASSWORD [allow-plaintext]" },
	{ "mta send retry", TOP, 0, 1, 1, cfg_send_retry, "mta send retry SECONDS" },
	{ "mta send give-up", TOP, 0, 1, 1, cfg_send_give_up, "mta send give-up SECONDS" },
	{ "mta send attachment", TOP, 0, 1, 1, cfg_send_attachment,
	  "mta send attachment {tiff|pdf|both}" },
	{ "mta send preview", TOP, 0, 0, 0, cfg_send_preview, "mta send preview" },
	{ "mta receive listen", TOP, 0, 2, 2, cfg_recv_listen, "mta receive listen ADDRESS PORT" },
	{ "mta receive aliases", TOP, 0, 1, 1, cfg_recv_aliases, "mta receive aliases NAME" },
	{ "mta receive maximum-recipients", TOP, 0, 1, 1, cfg_recv_max_recipients,
	  "mta receive maximum-recipients 0-1024" },
	{ "mta receive maximum-size", TOP, 0, 1, 1, cfg_recv_max_size, "mta receive maximum-size BYTES" },
	{ "mta receive allow", TOP, 0, 1, 1, cfg_recv_allow, "mta receive allow CIDR" },
	{ "mta receive allow-sender", TOP, 0, 1, 1, cfg_recv_allow_sender,
	  "mta receive allow-sender PATTERN" },
	{ "mta receive auth", TOP, 0, 2, 2, cfg_recv_auth, "mta receive auth USER PASSWORD" },
	{ "mta receive auth-file", TOP, 0, 1, 1, cfg_recv_auth_file, "mta receive auth-file FILE" },
	{ "mta receive auth-clear", TOP, 0, 0, 0, cfg_recv_auth_clear, "mta receive auth-clear" },
	{ "mta receive tls", TOP, 0, 4, 4, cfg_recv_tls, "mta receive tls cert FILE key FILE" },
	{ "mta receive generate", TOP, 0, 1, 1, cfg_recv_generate,
	  "mta receive generate {permanent-error|mdn}" },
	{ "mta receive disable-dsn", TOP, 0, 0, 0, cfg_recv_disable_dsn, "mta receive disable-dsn" },
	{ "mta receive bare-newline", TOP, 0, 1, 1, cfg_recv_bare_newline,
	  "mta receive bare-newline {reject|normalize}" },
	{ "mta receive maximum-sessions", TOP, 0, 1, 1, cfg_recv_max_sessions,
	  "mta receive maximum-sessions N" },
	{ "mta receive maximum-sessions-per-client", TOP, 0, 1, 1, cfg_recv_max_per_client,
	  "mta receive maximum-sessions-per-client N" },
	{ "mta receive session-deadline", TOP, 0, 1, 1, cfg_recv_session_deadline,
	  "mta receive session-deadline SECONDS" },
	{ "mta receive minimum-rate", TOP, 0, 1, 1, cfg_recv_min_rate,
	  "mta receive minimum-rate BYTES-PER-SECOND" },
	{ "metrics listen", TOP, 0, 2, 2, cfg_metrics_listen, "metrics listen ADDRESS PORT" },
	{ "fax receive called-subscriber", TOP, 0, 1, -1, cfg_fax_called_subscriber,
	  "fax receive called-subscriber {$d$|NUMBER}" },
	{ "fax send transmitting-subscriber", TOP, 0, 1, -1, cfg_fax_tsi,
	  "fax send transmitting-subscriber {$s$|NUMBER}" },
	{ "fax send max-speed", TOP, 0, 1, 1, cfg_fax_max_speed,
	  "fax send max-speed {2400|4800|7200|9600|12000|14400}" },
	{ "fax send ecm", TOP, 0, 1, 1, cfg_fax_ecm, "fax send ecm {on|off}" },
	{ "fax send left-header", TOP, 0, 1, -1, cfg_fax_header, "fax send left-header TEXT" },
	{ "fax send center-header", TOP, 0, 1, -1, cfg_fax_header, "fax send center-header TEXT" },
	{ "fax send right-header", TOP, 0, 1, -1, cfg_fax_header, "fax send right-header TEXT" },
	{ "fax send coverpage", TOP, 0, 1, -1, cfg_fax_coverpage,
	  "fax send coverpage {enable|comment TEXT|e-mail-controllable|show-detail}" },
	{ "fax send retry", TOP, 0, 3, 3, cfg_fax_retry,
	  "fax send retry {busy|no-answer|failure} ATTEMPTS DELAY" },
	{ "fax send max-pages", TOP, 0, 1, 1, cfg_fax_max_pages, "fax send max-pages N" },
	{ "fax send hold", TOP, 0, 0, 0, cfg_fax_hold, "fax send hold" },
	{ "fax send render-timeout", TOP, 0, 1, 1, cfg_fax_render,
	  "fax send render-timeout SECONDS" },
	{ "fax send render-workers", TOP, 0, 1, 1, cfg_fax_render,
	  "fax send render-workers N" },
	{ "fax send render-memory", TOP, 0, 1, 1, cfg_fax_render,
	  "fax send render-memory MEGABYTES" },
	{ "fax send max-pixels", TOP, 0, 1, 1, cfg_fax_render,
	  "fax send max-pixels MEGAPIXELS" },
	{ "fax send office-converter", TOP, 0, 1, 1, cfg_fax_office_converter,
	  "fax send office-converter {PATH|none}" },
	{ "fax send office-timeout", TOP, 0, 1, 1, cfg_fax_render,
	  "fax send office-timeout SECONDS" },
	{ "fax send office-memory", TOP, 0, 1, 1, cfg_fax_render,
	  "fax send office-memory MEGABYTES" },
	{ "fax send alternative", TOP, 0, 1, 1, cfg_fax_alternative,
	  "fax send alternative {html|text}" },
	{ "fax deny-pattern", TOP, 0, 1, 1, cfg_fax_deny_pattern, "fax deny-pattern PATTERN" },
	{ "fax numbering country-code", TOP, 0, 1, 1, cfg_fax_numbering,
	  "fax numbering country-code DIGITS" },
	{ "fax numbering national-prefix", TOP, 0, 1, 1, cfg_fax_numbering,
	  "fax numbering national-prefix DIGITS" },
	{ "fax numbering international-prefix", TOP, 0, 1, 1, cfg_fax_numbering,
	  "fax numbering international-prefix DIGITS" },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};

/*
 * Cisco commands that concern fax but cannot be honoured: errors, since
 * ignoring them would change who may send or which numbers are called.
 * Lines of other IOS features are ignored with a warning (cisco.c).
 */
const struct cfg_unsupported cfg_unsupported[] = {
	{ "mmoip aaa", false, "AAA is not implemented; use 'mta receive auth' and 'mta receive allow'" },
	{ "mta receive relay", false, "t37gw never relays mail" },
	{ "mta send authentication", false, "use 'mta send auth USER PASSWORD'" },
	{ "port", false, "t37gw has no telephony ports; route with 'session target'" },
	{ "prefix", false, "digit manipulation is not implemented" },
	{ "forward-digits", false, "digit manipulation is not implemented" },
	{ "translation-profile", false, "number translation is not implemented" },
	{ "answer-address", false, "use 'incoming called-number'" },
	{ NULL, false, NULL },
};

/* ---- Value parsers ---- */

int
cfg_uint(struct cfg_parser *p, const char *what, const char *word,
    unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)word[0])) {
		cfg_err(p, "'%s' is not a number (%s)", word, what);
		return -1;
	}
	errno = 0;
	v = strtoul(word, &end, 10);
	if (*end != '\0') {
		cfg_err(p, "'%s' is not a number (%s)", word, what);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		cfg_err(p, "%s %s is out of range (%lu-%lu)", what, word, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cfg_copy(struct cfg_parser *p, const char *what, const char *word, char *dst, size_t size)
{
	size_t len = strlen(word);

	if (len == 0) {
		cfg_err(p, "empty value for %s", what);
		return -1;
	}
	if (len >= size) {
		cfg_err(p, "%s '%.20s...' is too long (at most %zu characters)", what,
		    word, size - 1);
		return -1;
	}
	memcpy(dst, word, len + 1);
	return 0;
}

int
cfg_keyword(struct cfg_parser *p, const char *what, const char *word,
    const char *const *names, int *out)
{
	char expect[256];
	size_t off = 0;
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(word, names[i]) == 0) {
			*out = i;
			return 0;
		}
	expect[0] = '\0';
	for (i = 0; names[i] != NULL && off < sizeof(expect); i++)
		off += snprintf(expect + off, sizeof(expect) - off, "%s%s", i ? "|" : "", names[i]);
	cfg_err(p, "bad value '%s' for %s (expected %s)", word, what, expect);
	return -1;
}

int
cfg_listen(struct cfg_parser *p, const char *what, enum config_transport tr,
    const char *addr, const char *port, struct config_listen *out)
{
	struct config_listen l;
	unsigned long n;

	memset(&l, 0, sizeof(l));
	l.transport = tr;
	if (cfg_copy(p, "address", addr, l.addr, sizeof(l.addr)) < 0)
		return -1;
	if (cfg_uint(p, "port", port, 1, 65535, &n) < 0)
		return -1;
	l.port = (uint16_t)n;
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&l.sa;

		if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1) {
			cfg_err(p, "bad address '%s' for %s", addr, what);
			return -1;
		}
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(l.port);
		l.salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&l.sa;

		if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1) {
			cfg_err(p, "bad address '%s' for %s", addr, what);
			return -1;
		}
		s4->sin_family = AF_INET;
		s4->sin_port = htons(l.port);
		l.salen = sizeof(*s4);
	}
	*out = l;
	return 0;
}

int
cfg_cidr(struct cfg_parser *p, const char *word, struct config_cidr *out)
{
	struct config_cidr c;
	char addr[CONFIG_ADDR_MAX];
	const char *slash = strchr(word, '/');
	size_t alen = slash ? (size_t)(slash - word) : strlen(word);
	unsigned long bits, i, max;

	memset(&c, 0, sizeof(c));
	if (alen == 0 || alen >= sizeof(addr) || strlen(word) >= sizeof(c.text)) {
		cfg_err(p, "bad CIDR '%s'", word);
		return -1;
	}
	memcpy(addr, word, alen);
	addr[alen] = '\0';
	c.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	max = c.family == AF_INET6 ? 128 : 32;
	if (inet_pton(c.family, addr, c.addr) != 1) {
		cfg_err(p, "bad CIDR '%s' (bad address '%s')", word, addr);
		return -1;
	}
	bits = max;
	if (slash != NULL) {
		char *end;

		if (!isdigit((unsigned char)slash[1]) ||
		    (bits = strtoul(slash + 1, &end, 10), *end != '\0') || bits > max) {
			cfg_err(p, "bad CIDR '%s' (prefix length must be 0-%lu)", word, max);
			return -1;
		}
	}
	for (i = bits; i < max; i++)
		if (c.addr[i / 8] & (0x80 >> (i % 8))) {
			cfg_err(p, "bad CIDR '%s': host bits set after /%lu", word, bits);
			return -1;
		}
	c.prefix = (unsigned)bits;
	snprintf(c.text, sizeof(c.text), "%s", word);
	*out = c;
	return 0;
}

/* Letters, digits, '-' and '.', labels not starting or ending with '-'. */
bool
cfg_valid_hostname(const char *s)
{
	size_t len = strlen(s), label = 0, i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum(ch) || ch == '-' || ch == '_') {
			if (label == 0 && ch == '-')
				return false;
			if (++label > 63)
				return false;
		} else
			return false;
	}
	return s[len - 1] != '-';
}

/* local@domain, the domain a host name or an address literal. */
bool
cfg_valid_mailbox(const char *s)
{
	const char *at = strrchr(s, '@'), *c;
	char lit[CONFIG_ADDR_MAX];
	unsigned char buf[16];
	size_t n;

	if (at == NULL || at == s)
		return false;
	for (c = s; c < at; c++)
		if (*c <= ' ' || *c >= 0x7f || strchr("<>()[],;:\\\"@", *c) != NULL)
			return false;
	if (at[1] == '[') {
		n = strlen(at + 2);
		if (n < 2 || at[1 + n] != ']' || n - 1 >= sizeof(lit))
			return false;
		memcpy(lit, at + 2, n - 1);
		lit[n - 1] = '\0';
		if (strncasecmp(lit, "IPv6:", 5) == 0)
			return inet_pton(AF_INET6, lit + 5, buf) == 1;
		return inet_pton(AF_INET, lit, buf) == 1;
	}
	return cfg_valid_hostname(at + 1);
}

/* User and trunk names: letters, digits, '.', '_', '-'. */
static bool
valid_name(const char *s)
{
	if (*s == '\0' || *s == '-')
		return false;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return false;
	return true;
}

/* TEXT: the remaining words joined by single blanks. */
int
cfg_text(struct cfg_parser *p, const char *what, int argc, char **argv, char *dst, size_t size)
{
	char buf[CONFIG_LINE_MAX + 1];
	size_t off = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < argc; i++)
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? " " : "", argv[i]);
	return cfg_copy(p, what, buf, dst, size);
}

/*
 * mail-from and return-receipt-to: a full ADDRESS, or Cisco's separate
 * "hostname H" and "username {U|$s$}" lines that build one.
 */
int
cfg_mail_addr(struct cfg_parser *p, const char *what, int argc, char **argv,
    struct config_mail_addr *a, unsigned *host_line, unsigned *user_line)
{
	if (argc == 1) {
		const char *at = strrchr(argv[0], '@');

		if (!cfg_valid_mailbox(argv[0]) || (size_t)(at - argv[0]) >= sizeof(a->username) ||
		    strlen(at + 1) >= sizeof(a->hostname)) {
			cfg_err(p, "bad mail address '%s' for %s", argv[0], what);
			return -1;
		}
		memcpy(a->username, argv[0], (size_t)(at - argv[0]));
		a->username[at - argv[0]] = '\0';
		snprintf(a->hostname, sizeof(a->hostname), "%s", at + 1);
		a->use_ani = false;
		*host_line = *user_line = p->line;
		return 0;
	}
	if (strcasecmp(argv[0], "hostname") == 0) {
		if (!cfg_valid_hostname(argv[1])) {
			cfg_err(p, "bad host name '%s' for %s", argv[1], what);
			return -1;
		}
		if (cfg_copy(p, what, argv[1], a->hostname, sizeof(a->hostname)) < 0)
			return -1;
		*host_line = p->line;
		return 0;
	}
	if (strcasecmp(argv[0], "username") == 0) {
		if (strcmp(argv[1], "$s$") == 0) {
			a->use_ani = true;
			a->username[0] = '\0';
		} else {
			char probe[CONFIG_STR_MAX + 16];

			snprintf(probe, sizeof(probe), "%s@localhost", argv[1]);
			if (strchr(argv[1], '@') != NULL || !cfg_valid_mailbox(probe)) {
				cfg_err(p, "bad user name '%s' for %s", argv[1], what);
				return -1;
			}
			if (cfg_copy(p, what, argv[1], a->username, sizeof(a->username)) < 0)
				return -1;
			a->use_ani = false;
		}
		*user_line = p->line;
		return 0;
	}
	cfg_err(p, "bad value '%s' for %s (expected ADDRESS, hostname H or username U)",
	    argv[0], what);
	return -1;
}

/* CSI/TSI: tok ($d$ or $s$), or up to 20 digits, '+' and blanks (T.30 5.3.6.2.4). */
int
cfg_subscriber(struct cfg_parser *p, const char *what, const char *tok, int argc,
    char **argv, char *dst, bool *use_token)
{
	char text[CONFIG_STR_MAX];
	const char *c;

	if (argc == 1 && strcmp(argv[0], tok) == 0) {
		*use_token = true;
		dst[0] = '\0';
		return 0;
	}
	if (cfg_text(p, what, argc, argv, text, sizeof(text)) < 0)
		return -1;
	for (c = text; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c) && *c != '+' && *c != ' ') {
			cfg_err(p, "bad %s '%s': only digits, '+' and blanks (or %s)", what, text, tok);
			return -1;
		}
	if (strlen(text) > CONFIG_SUBSCRIBER_MAX) {
		cfg_err(p, "%s '%s' is too long (at most %d characters)", what, text,
		    CONFIG_SUBSCRIBER_MAX);
		return -1;
	}
	strcpy(dst, text);
	*use_token = false;
	return 0;
}

/* Page header TEXT with $a$ (date) $d$ (destination) $p$ (pages) $s$ (sender) $t$ (time). */
int
cfg_header_text(struct cfg_parser *p, const char *what, int argc, char **argv, char *dst)
{
	char text[CONFIG_STR_MAX];
	const char *c;

	if (cfg_text(p, what, argc, argv, text, sizeof(text)) < 0)
		return -1;
	for (c = text; (c = strchr(c, '$')) != NULL; c++) {
		if (c[1] == '\0' || c[2] != '$' || strchr("adpst", c[1]) == NULL) {
			cfg_err(p, "unknown token '%.3s' in %s (expected $a$ $d$ $p$ $s$ $t$)", c, what);
			return -1;
		}
		c += 2;
	}
	strcpy(dst, text);
	return 0;
}

/* ---- Global ---- */

/* "version" and "end" frame every IOS running-config: accepted, no effect. */
static void
cmd_ignore(struct cfg_parser *p, int argc, char **argv)
{
	(void)p;
	(void)argc;
	(void)argv;
}

static void
cmd_hostname(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	if (!cfg_valid_hostname(argv[0])) {
		cfg_err(p, "bad host name '%s'", argv[0]);
		return;
	}
	cfg_copy(p, "hostname", argv[0], p->cfg->hostname, sizeof(p->cfg->hostname));
}

static void
cmd_spool(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	cfg_copy(p, "spool", argv[0], p->cfg->spool, sizeof(p->cfg->spool));
}

static void
cmd_log(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const dests[] = { "stderr", "syslog", NULL };
	static const char *const levels[] = { "err", "warn", "info", "debug", NULL };
	int d, l = (int)p->cfg->log_level;

	if (cfg_keyword(p, "log", argv[0], dests, &d) < 0)
		return;
	if (argc == 2 || (argc == 3 && strcasecmp(argv[1], "level") != 0)) {
		cfg_err(p, "unexpected '%s' after 'log %s' (usage: log {stderr|syslog} "
		    "[level err|warn|info|debug])", argv[1], argv[0]);
		return;
	}
	if (argc == 3 && cfg_keyword(p, "log level", argv[2], levels, &l) < 0)
		return;
	p->cfg->log_dest = (enum config_log_dest)d;
	p->cfg->log_level = (enum log_level)l;
}

static void
cmd_user(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	if (!valid_name(argv[0])) {
		cfg_err(p, "bad user name '%s'", argv[0]);
		return;
	}
	cfg_copy(p, "user", argv[0], p->cfg->user, sizeof(p->cfg->user));
}

static void
cmd_shutdown_deadline(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "shutdown-deadline", argv[0], 0, CONFIG_DEADLINE_MAX, &v) == 0)
		p->cfg->shutdown_deadline = (unsigned)v;
}

/* ---- sip ---- */

static void
cmd_sip(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->mode = CFG_MODE_SIP;
}

static void
cmd_sip_listen(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const tr[] = { "udp", "tcp", NULL };
	struct config_listen l;
	int t;

	(void)argc;
	if (cfg_keyword(p, "sip listen", argv[0], tr, &t) < 0 ||
	    cfg_listen(p, "sip listen", (enum config_transport)t, argv[1], argv[2], &l) < 0)
		return;
	if (p->seen.sip_listen == 0)
		p->cfg->sip.n_listen = 0;    /* the first line replaces the default */
	p->seen.sip_listen = p->line;
	if (p->cfg->sip.n_listen == CONFIG_MAX_LISTEN) {
		cfg_err(p, "too many 'listen' lines under sip (at most %d)", CONFIG_MAX_LISTEN);
		return;
	}
	p->cfg->sip.listen[p->cfg->sip.n_listen++] = l;
}

static const char *const t38_names[] = { "off", "on", "immediate", NULL };

static void
cmd_sip_t38(struct cfg_parser *p, int argc, char **argv)
{
	int v;

	(void)argc;
	if (cfg_keyword(p, "t38", argv[0], t38_names, &v) == 0)
		p->cfg->sip.t38 = (enum config_t38)v;
}

static void
cmd_sip_codec(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "pcmu", "pcma", "g711ulaw", "g711alaw", NULL };
	enum config_codec list[CONFIG_MAX_CODECS];
	int i, j, v;

	for (i = 0; i < argc; i++) {
		if (strncasecmp(argv[i], "g72", 3) == 0 || strncasecmp(argv[i], "ilbc", 4) == 0 ||
		    strncasecmp(argv[i], "gsm", 3) == 0 || strncasecmp(argv[i], "opus", 4) == 0) {
			cfg_err(p, "codec '%s' is not supported: fax needs G.711 (pcmu or pcma)",
			    argv[i]);
			return;
		}
		if (cfg_keyword(p, "codec", argv[i], names, &v) < 0)
			return;
		list[i] = (enum config_codec)(v % 2);
		for (j = 0; j < i; j++)
			if (list[j] == list[i]) {
				cfg_err(p, "codec '%s' listed twice", argv[i]);
				return;
			}
	}
	memcpy(p->cfg->sip.codecs, list, (size_t)argc * sizeof(list[0]));
	p->cfg->sip.n_codecs = (size_t)argc;
}

static void
cmd_sip_rtp_ports(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long lo, hi;

	(void)argc;
	if (cfg_uint(p, "rtp-ports MIN", argv[0], CONFIG_RTP_PORT_MIN, 65534, &lo) < 0 ||
	    cfg_uint(p, "rtp-ports MAX", argv[1], CONFIG_RTP_PORT_MIN + 1, 65535, &hi) < 0)
		return;
	if (lo % 2 != 0) {
		cfg_err(p, "rtp-ports MIN %lu must be even (RTP uses even ports)", lo);
		return;
	}
	if (hi <= lo + 1) {
		cfg_err(p, "rtp-ports MAX %lu must be above MIN %lu + 1", hi, lo);
		return;
	}
	p->cfg->sip.rtp_min = (unsigned)lo;
	p->cfg->sip.rtp_max = (unsigned)hi;
	p->seen.rtp = p->line;
}

static void
cmd_sip_max_calls(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "max-calls", argv[0], 1, CONFIG_CALLS_MAX, &v) == 0) {
		p->cfg->sip.max_calls = (unsigned)v;
		p->seen.max_calls = p->line;
	}
}

/* sip allow CIDR: sources that may call besides the trunks (repeatable). */
static void
cmd_sip_allow(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	struct config_cidr c;

	(void)argc;
	if (cfg_cidr(p, argv[0], &c) < 0)
		return;
	if (cfg->sip.n_allow == CONFIG_MAX_SIP_ALLOW) {
		cfg_err(p, "too many 'allow' lines under sip (at most %d)", CONFIG_MAX_SIP_ALLOW);
		return;
	}
	cfg->sip.allow[cfg->sip.n_allow++] = c;
}

static void
cmd_sip_call_rate(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "max-call-rate", argv[0], 1, CONFIG_CALL_RATE_MAX, &v) == 0)
		p->cfg->sip.max_call_rate = (unsigned)v;
}

static void
cmd_sip_calls_per_source(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "max-calls-per-source", argv[0], 0, CONFIG_CALLS_MAX, &v) == 0)
		p->cfg->sip.max_calls_per_source = (unsigned)v;
}

/* The threads that run the calls' media, the line thread among them;
 * 0 is one per core. */
static void
cmd_sip_threads(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "threads", argv[0], 0, CONFIG_SIP_THREADS_MAX, &v) == 0)
		p->cfg->sip.threads = (unsigned)v;
}

/* The line's and the media threads' real-time (SCHED_RR) priority; 0
 * leaves them at normal scheduling. A reload applies a change. */
static void
cmd_sip_rt_priority(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "realtime-priority", argv[0], 0, CONFIG_RT_PRIORITY_MAX, &v) == 0)
		p->cfg->sip.rt_priority = (unsigned)v;
}

/* The dead-call check: seconds with no packet either way before an OPTIONS
 * in the dialog asks whether the peer is still there. */
static void
cmd_sip_media_timeout(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "media-timeout", argv[0], CONFIG_MEDIA_TIMEOUT_MIN,
	    CONFIG_MEDIA_TIMEOUT_MAX, &v) == 0)
		p->cfg->sip.media_timeout = (unsigned)v;
}

/* ---- trunk NAME ---- */

/*
 * trunk NAME. A header with an error still opens the sub-mode on a scratch
 * trunk, so the lines under it are checked too.
 */
static void
cmd_trunk(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	struct config_trunk *t = NULL;
	size_t i;

	(void)argc;
	if (!valid_name(argv[0]) || strlen(argv[0]) >= sizeof(t->name))
		cfg_err(p, "bad trunk name '%s' (letters, digits, '.', '_', '-')", argv[0]);
	else if (cfg->n_trunks == CONFIG_MAX_TRUNKS)
		cfg_err(p, "too many trunks (at most %d)", CONFIG_MAX_TRUNKS);
	else
		t = &cfg->trunks[cfg->n_trunks];
	for (i = 0; t != NULL && i < cfg->n_trunks; i++)
		if (strcmp(cfg->trunks[i].name, argv[0]) == 0) {
			cfg_err(p, "duplicate trunk '%s' (first at line %u)", argv[0],
			    cfg->trunks[i].line);
			t = NULL;
		}
	p->trunk = -1;
	if (t == NULL)
		t = &p->scratch_trunk;
	else
		p->trunk = (int)cfg->n_trunks++;
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", p->trunk >= 0 ? argv[0] : "");
	t->register_expires = CONFIG_DEFAULT_REGISTER_EXPIRES;
	t->line = p->line;
	p->tk = t;
	p->mode = CFG_MODE_TRUNK;
}

static void
cmd_trunk_proxy(struct cfg_parser *p, int argc, char **argv)
{
	const char *host;

	(void)argc;
	if (strncasecmp(argv[0], "sip:", 4) == 0)
		host = argv[0] + 4;
	else if (strncasecmp(argv[0], "sips:", 5) == 0)
		host = argv[0] + 5;
	else {
		cfg_err(p, "bad proxy '%s' (expected sip:HOST[:PORT])", argv[0]);
		return;
	}
	if (*host == '\0' || *host == ':' || *host == ';') {
		cfg_err(p, "bad proxy '%s': no host", argv[0]);
		return;
	}
	cfg_copy(p, "proxy", argv[0], p->tk->proxy, sizeof(p->tk->proxy));
}

static void
cmd_trunk_auth(struct cfg_parser *p, int argc, char **argv)
{
	struct config_trunk *t = p->tk;

	(void)argc;
	if (cfg_copy(p, "auth user", argv[0], t->auth_user, sizeof(t->auth_user)) < 0 ||
	    cfg_copy(p, "auth password", argv[1], t->auth_password, sizeof(t->auth_password)) < 0)
		t->auth_user[0] = t->auth_password[0] = '\0';
}

static void
cmd_trunk_register(struct cfg_parser *p, int argc, char **argv)
{
	struct config_trunk *t = p->tk;
	unsigned long v = CONFIG_DEFAULT_REGISTER_EXPIRES;

	if (argc == 1 && cfg_uint(p, "register expires", argv[0], CONFIG_EXPIRES_MIN,
	    CONFIG_EXPIRES_MAX, &v) < 0)
		return;
	t->do_register = true;
	t->register_expires = (unsigned)v;
}

static void
cmd_trunk_max_calls(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "max-calls", argv[0], 0, CONFIG_CALLS_MAX, &v) == 0)
		p->tk->max_calls = (unsigned)v;
}

static void
cmd_trunk_t38(struct cfg_parser *p, int argc, char **argv)
{
	int v;

	(void)argc;
	if (cfg_keyword(p, "t38", argv[0], t38_names, &v) == 0) {
		p->tk->t38 = (enum config_t38)v;
		if (p->trunk >= 0)
			p->trunk_t38_set[p->trunk] = true;
	}
}

/* A calling number: digits with an optional leading '+', sent as written. */
int
cfg_calling_number(struct cfg_parser *p, const char *what, const char *word, char *dst,
    size_t size)
{
	const char *c = word + (word[0] == '+');
	size_t n = strlen(c);

	if (n == 0 || n > CONFIG_NUMBER_MAX || strspn(c, "0123456789") != n ||
	    strlen(word) >= size) {
		cfg_err(p, "bad %s '%s' (digits, with '+' first for E.164; at most %d digits)",
		    what, word, CONFIG_NUMBER_MAX);
		return -1;
	}
	memcpy(dst, word, strlen(word) + 1);
	return 0;
}

static void
cmd_trunk_calling_number(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	cfg_calling_number(p, "calling-number", argv[0], p->tk->calling_number,
	    sizeof(p->tk->calling_number));
}

/* The From display name: printable ASCII, no quote or backslash (it goes
 * into a quoted-string, RFC 3261 25.1). */
static void
cmd_trunk_calling_name(struct cfg_parser *p, int argc, char **argv)
{
	char text[CONFIG_STR_MAX];
	const char *c;

	if (cfg_text(p, "calling-name", argc, argv, text, sizeof(text)) < 0)
		return;
	for (c = text; *c != '\0'; c++)
		if (*c < ' ' || *c > '~' || *c == '"' || *c == '\\') {
			cfg_err(p, "bad calling-name '%s': printable ASCII without quotes or "
			    "backslashes", text);
			return;
		}
	if (strlen(text) > CONFIG_CALLING_NAME_MAX) {
		cfg_err(p, "calling-name '%s' is too long (at most %d characters)", text,
		    CONFIG_CALLING_NAME_MAX);
		return;
	}
	strcpy(p->tk->calling_name, text);
}

static void
cmd_trunk_asserted_id(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "none", "pai", "ppi", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "asserted-id", argv[0], names, &v) == 0)
		p->tk->asserted_id = (enum config_asserted_id)v;
}

static void
cmd_trunk_inbound_auth(struct cfg_parser *p, int argc, char **argv)
{
	struct config_trunk *t = p->tk;

	(void)argc;
	if (cfg_copy(p, "inbound-auth user", argv[0], t->inbound_user,
	    sizeof(t->inbound_user)) < 0 ||
	    cfg_copy(p, "inbound-auth password", argv[1], t->inbound_password,
	    sizeof(t->inbound_password)) < 0)
		t->inbound_user[0] = t->inbound_password[0] = '\0';
}
