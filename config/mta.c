/*
 * config/mta: handlers of the mail and fax command families:
 * `mta send ...` (onramp submission), `mta receive ...` (offramp listener),
 * `fax receive ...`, `fax send ...` and `fax deny-pattern`. Cisco names keep
 * their Cisco meaning (t37gw.conf(5) says which IOS command each follows);
 * the additions (ports, TLS, AUTH, maildir, retry, allow lists,
 * deny-patterns) follow the same families.
 *
 * The command table is in commands.c; checks across lines in validate.c.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

static int too_many(struct cfg_parser *p, size_t n, size_t max);

/* Reports "too many 'mta send server' lines" when n reached max. */
static int
too_many(struct cfg_parser *p, size_t n, size_t max)
{
	if (n < max)
		return 0;
	cfg_err(p, "too many '%s' lines (at most %zu)", p->cmd->words, max);
	return -1;
}

/* ---- mta send ---- */

void
cfg_send_server(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	unsigned long port = CONFIG_DEFAULT_SMTP_PORT;
	unsigned char buf[16];
	const char *h = argv[0];

	if (argc == 2 || (argc == 3 && strcasecmp(argv[1], "port") != 0)) {
		cfg_err(p, "unexpected '%s' after 'mta send server %s' (usage: %s)",
		    argv[1], argv[0], p->cmd->usage);
		return;
	}
	if (!cfg_valid_hostname(h) && inet_pton(AF_INET6, h, buf) != 1) {
		cfg_err(p, "bad mail server '%s' (expected a host name or an address)", h);
		return;
	}
	if (argc == 3 && cfg_uint(p, "port", argv[2], 1, 65535, &port) < 0)
		return;
	if (too_many(p, cfg->mta_send.n_servers, CONFIG_MAX_SERVERS) < 0 ||
	    cfg_copy(p, "mta send server", h, cfg->mta_send.servers[cfg->mta_send.n_servers].host,
		sizeof(cfg->mta_send.servers[0].host)) < 0)
		return;
	cfg->mta_send.servers[cfg->mta_send.n_servers++].port = (uint16_t)port;
	if (p->seen.server == 0)
		p->seen.server = p->line;
}

void
cfg_send_maildir(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	if (cfg_copy(p, "mta send maildir", argv[0], p->cfg->mta_send.maildir,
	    sizeof(p->cfg->mta_send.maildir)) == 0)
		p->seen.maildir = p->line;
}

void
cfg_send_mail_from(struct cfg_parser *p, int argc, char **argv)
{
	cfg_mail_addr(p, "mta send mail-from", argc, argv, &p->cfg->mta_send.mail_from,
	    &p->seen.mail_from_host, &p->seen.mail_from_user);
}

void
cfg_send_postmaster(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	if (!cfg_valid_mailbox(argv[0])) {
		cfg_err(p, "bad mail address '%s' for mta send postmaster", argv[0]);
		return;
	}
	cfg_copy(p, "mta send postmaster", argv[0], p->cfg->mta_send.postmaster,
	    sizeof(p->cfg->mta_send.postmaster));
}

void
cfg_send_subject(struct cfg_parser *p, int argc, char **argv)
{
	cfg_text(p, "mta send subject", argc, argv, p->cfg->mta_send.subject,
	    sizeof(p->cfg->mta_send.subject));
}

void
cfg_send_with_subject(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "none", "$d$", "$s$", "both", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "mta send with-subject", argv[0], names, &v) == 0)
		p->cfg->mta_send.with_subject = (enum config_with_subject)v;
}

void
cfg_send_return_receipt_to(struct cfg_parser *p, int argc, char **argv)
{
	if (cfg_mail_addr(p, "mta send return-receipt-to", argc, argv,
	    &p->cfg->mta_send.return_receipt_to, &p->seen.rr_host, &p->seen.rr_user) == 0)
		p->cfg->mta_send.return_receipt = true;
}

void
cfg_send_origin_prefix(struct cfg_parser *p, int argc, char **argv)
{
	cfg_text(p, "mta send origin-prefix", argc, argv, p->cfg->mta_send.origin_prefix,
	    sizeof(p->cfg->mta_send.origin_prefix));
}

/* filename [NAME] [date]: ".tif" is appended to a NAME without it. */
void
cfg_send_filename(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	const char *name = NULL, *c;
	bool date = false;
	size_t n;

	if (argc == 1 && strcasecmp(argv[0], "date") == 0)
		date = true;
	else if (argc >= 1) {
		name = argv[0];
		if (argc == 2) {
			if (strcasecmp(argv[1], "date") != 0) {
				cfg_err(p, "unexpected '%s' after 'mta send filename %s' (usage: %s)",
				    argv[1], argv[0], p->cmd->usage);
				return;
			}
			date = true;
		}
	}
	if (name != NULL) {
		for (c = name; *c != '\0'; c++)
			if (*c == '/' || *c == '\\' || *c == '"' || *c == ' ' ||
			    (unsigned char)*c >= 0x7f) {
				cfg_err(p, "bad file name '%s' (no '/', '\\', quote or blank)", name);
				return;
			}
		n = strlen(name);
		if (n + 4 > CONFIG_FILENAME_MAX || name[0] == '.') {
			cfg_err(p, "bad file name '%s' (1-%d characters, not starting with '.')",
			    name, CONFIG_FILENAME_MAX - 4);
			return;
		}
		if (n > 4 && (strcasecmp(name + n - 4, ".tif") == 0 ||
		    (n > 5 && strcasecmp(name + n - 5, ".tiff") == 0)))
			snprintf(cfg->mta_send.filename, sizeof(cfg->mta_send.filename), "%s", name);
		else
			snprintf(cfg->mta_send.filename, sizeof(cfg->mta_send.filename), "%s.tif", name);
	}
	cfg->mta_send.filename_date = date;
}

void
cfg_send_success_fax_only(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->cfg->mta_send.success_fax_only = true;
}

void
cfg_send_mime(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "mixed", "fax-message", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "mta send mime", argv[0], names, &v) == 0)
		p->cfg->mta_send.mime = (enum config_mime)v;
}

/* attachment {tiff|pdf|both}: the received fax as TIFF (RFC 3965, Cisco),
 * as PDF, or both. */
void
cfg_send_attachment(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "tiff", "pdf", "both", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "mta send attachment", argv[0], names, &v) == 0)
		p->cfg->mta_send.attachment = (enum config_attach)v;
}

void
cfg_send_preview(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->cfg->mta_send.preview = true;
}

/* tls {off|opportunistic|required} [verify] [ca FILE] */
void
cfg_send_tls(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "off", "opportunistic", "required", NULL };
	struct config *cfg = p->cfg;
	char ca[CONFIG_PATH_MAX] = "";
	bool verify = false;
	int v, i;

	if (cfg_keyword(p, "mta send tls", argv[0], names, &v) < 0)
		return;
	for (i = 1; i < argc; i++) {
		if (strcasecmp(argv[i], "verify") == 0 && !verify)
			verify = true;
		else if (strcasecmp(argv[i], "ca") == 0 && i + 1 < argc && ca[0] == '\0') {
			if (cfg_copy(p, "mta send tls ca", argv[++i], ca, sizeof(ca)) < 0)
				return;
		} else {
			cfg_err(p, "unexpected '%s' in 'mta send tls' (usage: %s)", argv[i],
			    p->cmd->usage);
			return;
		}
	}
	if (v == CONFIG_TLS_OFF && (verify || ca[0] != '\0')) {
		cfg_err(p, "'%s' makes no sense with 'mta send tls off'", verify ? "verify" : "ca");
		return;
	}
	cfg->mta_send.tls = (enum config_tls)v;
	cfg->mta_send.tls_verify = verify;
	strcpy(cfg->mta_send.tls_ca, ca);
	p->seen.send_tls = p->line;
}

void
cfg_send_auth(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;

	if (argc == 3 && strcasecmp(argv[2], "allow-plaintext") != 0) {
		cfg_err(p, "unexpected '%s' after 'mta send auth' (usage: %s)", argv[2],
		    p->cmd->usage);
		return;
	}
	if (cfg_copy(p, "mta send auth user", argv[0], cfg->mta_send.auth_user,
	    sizeof(cfg->mta_send.auth_user)) < 0 ||
	    cfg_copy(p, "mta send auth password", argv[1], cfg->mta_send.auth_password,
	    sizeof(cfg->mta_send.auth_password)) < 0) {
		cfg->mta_send.auth_user[0] = cfg->mta_send.auth_password[0] = '\0';
		return;
	}
	cfg->mta_send.auth_allow_plaintext = argc == 3;
}

void
cfg_send_retry(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta send retry", argv[0], CONFIG_RETRY_MIN,
	    CONFIG_RETRY_MAX, &v) == 0) {
		p->cfg->mta_send.retry = (unsigned)v;
		p->seen.retry = p->line;
	}
}

void
cfg_send_give_up(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta send give-up", argv[0], CONFIG_GIVE_UP_MIN,
	    CONFIG_GIVE_UP_MAX, &v) == 0) {
		p->cfg->mta_send.give_up = (unsigned)v;
		p->seen.give_up = p->line;
	}
}

/* ---- mta receive ---- */

void
cfg_recv_listen(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	struct config_listen l;

	(void)argc;
	if (cfg_listen(p, "mta receive listen", CONFIG_TRANSPORT_TCP, argv[0], argv[1], &l) < 0)
		return;
	p->seen.mta_listen = p->line;
	if (too_many(p, cfg->mta_receive.n_listen, CONFIG_MAX_LISTEN) < 0)
		return;
	cfg->mta_receive.listen[cfg->mta_receive.n_listen++] = l;
}

/* NAME: a host name, or an address literal [a.b.c.d] / [IPv6:...]. */
void
cfg_recv_aliases(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	char probe[CONFIG_STR_MAX + 8];
	size_t i;

	(void)argc;
	snprintf(probe, sizeof(probe), "x@%s", argv[0]);
	if (!cfg_valid_mailbox(probe)) {
		cfg_err(p, "bad alias '%s' (expected a host name or [address])", argv[0]);
		return;
	}
	for (i = 0; i < cfg->mta_receive.n_aliases; i++)
		if (strcasecmp(cfg->mta_receive.aliases[i], argv[0]) == 0) {
			cfg_err(p, "alias '%s' listed twice", argv[0]);
			return;
		}
	if (too_many(p, cfg->mta_receive.n_aliases, CONFIG_MAX_ALIASES) < 0)
		return;
	if (cfg_copy(p, "alias", argv[0], cfg->mta_receive.aliases[cfg->mta_receive.n_aliases],
	    CONFIG_STR_MAX) == 0)
		cfg->mta_receive.n_aliases++;
}

void
cfg_recv_max_recipients(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta receive maximum-recipients", argv[0], 0, CONFIG_MAX_RECIPIENTS,
	    &v) == 0) {
		p->cfg->mta_receive.maximum_recipients = (unsigned)v;
		p->seen.max_recipients = p->line;
	}
}

void
cfg_recv_max_size(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta receive maximum-size", argv[0], CONFIG_SIZE_MIN,
	    CONFIG_SIZE_MAX, &v) == 0)
		p->cfg->mta_receive.maximum_size = v;
}

void
cfg_recv_allow(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	struct config_cidr c;

	(void)argc;
	if (cfg_cidr(p, argv[0], &c) < 0)
		return;
	if (p->seen.allow == 0)
		cfg->mta_receive.n_allow = 0;       /* the first line replaces the default */
	p->seen.allow = p->line;
	if (too_many(p, cfg->mta_receive.n_allow, CONFIG_MAX_ALLOW) < 0)
		return;
	cfg->mta_receive.allow[cfg->mta_receive.n_allow++] = c;
}

/* A glob on the envelope sender: "*@example.com", "fax-*@example.com", "*". */
void
cfg_recv_allow_sender(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	const char *c;

	(void)argc;
	for (c = argv[0]; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f ||
		    strchr("<>()[],;:\\\"", *c) != NULL) {
			cfg_err(p, "bad sender pattern '%s' (character '%c')", argv[0], *c);
			return;
		}
	if (strcmp(argv[0], "*") != 0 && strchr(argv[0], '@') == NULL) {
		cfg_err(p, "bad sender pattern '%s' (expected LOCAL@DOMAIN with '*' or '?', or '*')",
		    argv[0]);
		return;
	}
	if (too_many(p, cfg->mta_receive.n_allow_sender, CONFIG_MAX_ALLOW_SENDER) < 0)
		return;
	if (cfg_copy(p, "allow-sender", argv[0],
	    cfg->mta_receive.allow_sender[cfg->mta_receive.n_allow_sender], CONFIG_STR_MAX) == 0)
		cfg->mta_receive.n_allow_sender++;
}

void
cfg_recv_auth(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	struct config_user *u;
	size_t i;

	(void)argc;
	for (i = 0; i < cfg->mta_receive.n_users; i++)
		if (strcmp(cfg->mta_receive.users[i].user, argv[0]) == 0) {
			cfg_err(p, "duplicate 'mta receive auth' user '%s'", argv[0]);
			return;
		}
	if (too_many(p, cfg->mta_receive.n_users, CONFIG_MAX_SMTP_USERS) < 0)
		return;
	u = &cfg->mta_receive.users[cfg->mta_receive.n_users];
	if (cfg_copy(p, "auth user", argv[0], u->user, sizeof(u->user)) < 0 ||
	    cfg_copy(p, "auth password", argv[1], u->password, sizeof(u->password)) < 0) {
		memset(u, 0, sizeof(*u));
		return;
	}
	cfg->mta_receive.n_users++;
	if (p->seen.recv_auth == 0)
		p->seen.recv_auth = p->line;
}

void
cfg_recv_auth_file(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	if (cfg_copy(p, "mta receive auth-file", argv[0], p->cfg->mta_receive.auth_file,
	    sizeof(p->cfg->mta_receive.auth_file)) == 0) {
		p->seen.auth_file = p->line;
		if (p->seen.recv_auth == 0)
			p->seen.recv_auth = p->line;
	}
}

void
cfg_recv_auth_clear(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->cfg->mta_receive.auth_clear = true;
}

/* tls cert FILE key FILE */
void
cfg_recv_tls(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;

	(void)argc;
	if (strcasecmp(argv[0], "cert") != 0) {
		cfg_err(p, "unexpected '%s' in 'mta receive tls' (usage: %s)", argv[0], p->cmd->usage);
		return;
	}
	if (strcasecmp(argv[2], "key") != 0) {
		cfg_err(p, "unexpected '%s' in 'mta receive tls' (usage: %s)", argv[2], p->cmd->usage);
		return;
	}
	if (cfg_copy(p, "tls cert", argv[1], cfg->mta_receive.tls_cert,
	    sizeof(cfg->mta_receive.tls_cert)) < 0 ||
	    cfg_copy(p, "tls key", argv[3], cfg->mta_receive.tls_key,
	    sizeof(cfg->mta_receive.tls_key)) < 0)
		cfg->mta_receive.tls_cert[0] = cfg->mta_receive.tls_key[0] = '\0';
	else
		p->seen.recv_tls = p->line;
}

void
cfg_recv_generate(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "permanent-error", "mdn", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "mta receive generate", argv[0], names, &v) < 0)
		return;
	if (v == 0)
		p->cfg->mta_receive.generate_permanent_error = true;
	else
		p->cfg->mta_receive.generate_mdn = true;
}

void
cfg_recv_disable_dsn(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->cfg->mta_receive.disable_dsn = true;
}

/* A line ending in a bare LF: refused (521, close) or taken as CRLF. */
void
cfg_recv_bare_newline(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "reject", "normalize", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "mta receive bare-newline", argv[0], names, &v) == 0)
		p->cfg->mta_receive.bare_newline_normalize = v == 1;
}

/* Live SMTP sessions; at the cap the idlest is shed or the new one refused. */
void
cfg_recv_max_sessions(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta receive maximum-sessions", argv[0], 1, CONFIG_SESSIONS_MAX,
	    &v) == 0)
		p->cfg->mta_receive.maximum_sessions = (unsigned)v;
}

/* Sessions from one client address (validate.c: not above maximum-sessions). */
void
cfg_recv_max_per_client(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta receive maximum-sessions-per-client", argv[0], 1,
	    CONFIG_SESSIONS_MAX, &v) == 0) {
		p->cfg->mta_receive.maximum_sessions_per_client = (unsigned)v;
		p->seen.max_per_client = p->line;
	}
}

void
cfg_recv_session_deadline(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta receive session-deadline", argv[0], CONFIG_SESSION_DEADLINE_MIN,
	    CONFIG_SESSION_DEADLINE_MAX, &v) == 0)
		p->cfg->mta_receive.session_deadline = (unsigned)v;
}

void
cfg_recv_min_rate(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "mta receive minimum-rate", argv[0], 1, CONFIG_RATE_MAX, &v) == 0)
		p->cfg->mta_receive.minimum_rate = (unsigned)v;
}

/* ---- fax ---- */

void
cfg_fax_called_subscriber(struct cfg_parser *p, int argc, char **argv)
{
	cfg_subscriber(p, "fax receive called-subscriber", "$d$", argc, argv,
	    p->cfg->fax_receive.called_subscriber, &p->cfg->fax_receive.called_subscriber_dnis);
}

void
cfg_fax_tsi(struct cfg_parser *p, int argc, char **argv)
{
	cfg_subscriber(p, "fax send transmitting-subscriber", "$s$", argc, argv,
	    p->cfg->fax_send.transmitting_subscriber,
	    &p->cfg->fax_send.transmitting_subscriber_ani);
}

void
cfg_fax_max_speed(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "2400", "4800", "7200", "9600", "12000", "14400", NULL };
	static const unsigned rates[] = { 2400, 4800, 7200, 9600, 12000, 14400 };
	int v;

	(void)argc;
	if (cfg_keyword(p, "fax send max-speed", argv[0], names, &v) == 0)
		p->cfg->fax_send.max_speed = rates[v];
}

void
cfg_fax_ecm(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "off", "on", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "fax send ecm", argv[0], names, &v) == 0)
		p->cfg->fax_send.ecm = v == 1;
}

void
cfg_fax_header(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	char *dst;

	if (strstr(p->cmd->words, "left") != NULL)
		dst = cfg->fax_send.left_header;
	else if (strstr(p->cmd->words, "center") != NULL)
		dst = cfg->fax_send.center_header;
	else
		dst = cfg->fax_send.right_header;
	cfg_header_text(p, p->cmd->words, argc, argv, dst);
}

/* coverpage {enable|comment TEXT|e-mail-controllable|show-detail} */
void
cfg_fax_coverpage(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "enable", "comment", "e-mail-controllable",
	    "show-detail", NULL };
	struct config *cfg = p->cfg;
	int v;

	if (cfg_keyword(p, "fax send coverpage", argv[0], names, &v) < 0)
		return;
	if (v == 1) {
		if (argc < 2) {
			cfg_err(p, "'fax send coverpage comment' needs a TEXT");
			return;
		}
		cfg_text(p, "fax send coverpage comment", argc - 1, argv + 1,
		    cfg->fax_send.coverpage_comment, sizeof(cfg->fax_send.coverpage_comment));
		return;
	}
	if (argc > 1) {
		cfg_err(p, "unexpected '%s' after 'fax send coverpage %s'", argv[1], argv[0]);
		return;
	}
	if (v == 0)
		cfg->fax_send.coverpage = true;
	else if (v == 2)
		cfg->fax_send.coverpage_email_controllable = true;
	else
		cfg->fax_send.coverpage_show_detail = true;
}

/* retry {busy|no-answer|failure} ATTEMPTS DELAY */
void
cfg_fax_retry(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "busy", "no-answer", "failure", NULL };
	struct config_fax_retry *r[] = { &p->cfg->fax_send.retry_busy,
	    &p->cfg->fax_send.retry_no_answer, &p->cfg->fax_send.retry_failure };
	unsigned long attempts, delay;
	int v;

	(void)argc;
	if (cfg_keyword(p, "fax send retry", argv[0], names, &v) < 0 ||
	    cfg_uint(p, "fax send retry ATTEMPTS", argv[1], 1, CONFIG_ATTEMPTS_MAX,
	    &attempts) < 0 ||
	    cfg_uint(p, "fax send retry DELAY", argv[2], CONFIG_RETRY_MIN,
	    CONFIG_RETRY_MAX, &delay) < 0)
		return;
	r[v]->attempts = (unsigned)attempts;
	r[v]->delay = (unsigned)delay;
}

void
cfg_fax_max_pages(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "fax send max-pages", argv[0], 1, CONFIG_PAGES_MAX, &v) == 0)
		p->cfg->fax_send.max_pages = (unsigned)v;
}

void
cfg_fax_hold(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->cfg->fax_send.hold = true;
}

void
cfg_fax_deny_pattern(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	char err[128];

	(void)argc;
	if (too_many(p, cfg->n_deny, CONFIG_MAX_DENY) < 0)
		return;
	if (config_pattern_compile(&cfg->deny[cfg->n_deny], argv[0], err, sizeof(err)) < 0) {
		cfg_err(p, "bad deny-pattern '%s': %s", argv[0], err);
		return;
	}
	cfg->n_deny++;
}

/*
 * fax numbering {country-code|national-prefix|international-prefix} DIGITS:
 * how numbers are written here, so that every way of writing one number
 * is matched alike (config/number.c).
 */
void
cfg_fax_numbering(struct cfg_parser *p, int argc, char **argv)
{
	struct config *cfg = p->cfg;
	const char *w = p->cmd->words, *c;
	size_t len = strlen(argv[0]), max;
	char *dst;

	(void)argc;
	if (strstr(w, "country-code") != NULL) {
		dst = cfg->numbering.country_code;
		max = CONFIG_COUNTRY_CODE_MAX;
	} else if (strstr(w, "national-prefix") != NULL && strstr(w, "international") == NULL) {
		dst = cfg->numbering.national_prefix;
		max = CONFIG_PREFIX_MAX;
		p->seen.national_prefix = p->line;
	} else {
		dst = cfg->numbering.international_prefix;
		max = CONFIG_PREFIX_MAX;
	}
	for (c = argv[0]; *c != '\0'; c++)
		if (*c < '0' || *c > '9') {
			cfg_err(p, "bad value '%s' for %s: digits only", argv[0], w);
			return;
		}
	if (len == 0 || len > max) {
		cfg_err(p, "bad value '%s' for %s: 1 to %zu digits", argv[0], w, max);
		return;
	}
	if (dst == cfg->numbering.country_code && argv[0][0] == '0') {
		cfg_err(p, "bad value '%s' for %s: country codes do not start with 0 (E.164)",
		    argv[0], w);
		return;
	}
	memcpy(dst, argv[0], len + 1);
}
