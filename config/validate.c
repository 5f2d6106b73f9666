/*
 * config/validate: the defaults every config starts from, and the checks
 * that need the whole file: required parts of trunks and dial-peers, trunk
 * names used by session targets, settings that depend on each other, and
 * files that must be readable. Errors name the line they belong to. After
 * it, every field of the config holds its final value (inherited settings
 * copied, defaults filled), so readers never need to know a default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config/config_int.h"

static void default_listen(struct config_listen *l, enum config_transport tr,
    const char *addr, uint16_t port);
static bool listen_is_loopback(const struct config_listen *l);
static void check_readable(struct cfg_parser *p, unsigned line, const char *what,
    const char *path);
static void check_peer(struct cfg_parser *p, struct config_dial_peer *d);
static void finish_mail_addr(struct cfg_parser *p, const char *what,
    struct config_mail_addr *a, unsigned host_line, unsigned user_line);

static void
default_listen(struct config_listen *l, enum config_transport tr, const char *addr,
    uint16_t port)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&l->sa;

	memset(l, 0, sizeof(*l));
	l->transport = tr;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	l->port = port;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	inet_pton(AF_INET, addr, &s4->sin_addr);
	l->salen = sizeof(*s4);
}

static bool
listen_is_loopback(const struct config_listen *l)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)&l->sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)&l->sa;

	if (l->sa.ss_family == AF_INET)
		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	return l->sa.ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
}

void
cfg_defaults(struct config *cfg)
{
	struct config_cidr *c;

	snprintf(cfg->spool, sizeof(cfg->spool), "%s", CONFIG_DEFAULT_SPOOL);
	cfg->log_dest = CONFIG_LOG_STDERR;
	cfg->log_level = LOG_LVL_INFO;
	cfg->shutdown_deadline = CONFIG_DEFAULT_SHUTDOWN_DEADLINE;

	default_listen(&cfg->sip.listen[0], CONFIG_TRANSPORT_UDP, CONFIG_DEFAULT_SIP_ADDR,
	    CONFIG_DEFAULT_SIP_PORT);
	cfg->sip.n_listen = 1;
	cfg->sip.t38 = CONFIG_T38_ON;
	cfg->sip.codecs[0] = CONFIG_CODEC_PCMU;
	cfg->sip.codecs[1] = CONFIG_CODEC_PCMA;
	cfg->sip.n_codecs = 2;
	cfg->sip.rtp_min = CONFIG_DEFAULT_RTP_MIN;
	cfg->sip.rtp_max = CONFIG_DEFAULT_RTP_MAX;
	cfg->sip.max_calls = CONFIG_DEFAULT_MAX_CALLS;
	cfg->sip.media_timeout = CONFIG_DEFAULT_MEDIA_TIMEOUT;
	cfg->sip.max_call_rate = CONFIG_DEFAULT_CALL_RATE;

	snprintf(cfg->mta_send.subject, sizeof(cfg->mta_send.subject), "%s",
	    CONFIG_DEFAULT_SUBJECT);
	snprintf(cfg->mta_send.filename, sizeof(cfg->mta_send.filename), "%s",
	    CONFIG_DEFAULT_FILENAME);
	cfg->mta_send.mime = CONFIG_MIME_MIXED;
	cfg->mta_send.attachment = CONFIG_ATTACH_TIFF;
	cfg->mta_send.tls = CONFIG_TLS_OPPORTUNISTIC;
	cfg->mta_send.retry = CONFIG_DEFAULT_RETRY;
	cfg->mta_send.give_up = CONFIG_DEFAULT_GIVE_UP;

	/* No "mta receive listen" line, no SMTP listener: an onramp-only
	 * gateway must start beside the host's own MTA on port 25. */
	cfg->mta_receive.n_listen = 0;
	cfg->mta_receive.maximum_recipients = 0;
	cfg->mta_receive.maximum_size = CONFIG_DEFAULT_MAX_SIZE;
	cfg->mta_receive.maximum_sessions = CONFIG_DEFAULT_MAX_SESSIONS;
	cfg->mta_receive.maximum_sessions_per_client = CONFIG_DEFAULT_MAX_PER_CLIENT;
	cfg->mta_receive.session_deadline = CONFIG_DEFAULT_SESSION_DEADLINE;
	cfg->mta_receive.minimum_rate = CONFIG_DEFAULT_MIN_RATE;
	/* Default client networks: loopback only. */
	c = &cfg->mta_receive.allow[0];
	c->family = AF_INET;
	c->addr[0] = 127;
	c->prefix = 8;
	snprintf(c->text, sizeof(c->text), "127.0.0.0/8");
	c = &cfg->mta_receive.allow[1];
	c->family = AF_INET6;
	c->addr[15] = 1;
	c->prefix = 128;
	snprintf(c->text, sizeof(c->text), "::1/128");
	cfg->mta_receive.n_allow = 2;

	cfg->fax_receive.called_subscriber_dnis = true;
	cfg->fax_send.transmitting_subscriber_ani = true;
	cfg->fax_send.max_speed = CONFIG_DEFAULT_MAX_SPEED;
	cfg->fax_send.ecm = true;
	cfg->fax_send.retry_busy = (struct config_fax_retry){ CONFIG_DEFAULT_RETRY_BUSY };
	cfg->fax_send.retry_no_answer = (struct config_fax_retry){ CONFIG_DEFAULT_RETRY_NOANSWER };
	cfg->fax_send.retry_failure = (struct config_fax_retry){ CONFIG_DEFAULT_RETRY_FAILURE };
	cfg->fax_send.max_pages = CONFIG_DEFAULT_MAX_PAGES;
	cfg->fax_send.render_timeout = CONFIG_RENDER_TIMEOUT_DEFAULT;
	cfg->fax_send.render_workers = CONFIG_RENDER_WORKERS_DEFAULT;
	cfg->fax_send.render_memory = CONFIG_RENDER_MEMORY_DEFAULT;
	cfg->fax_send.max_pixels = CONFIG_MAX_PIXELS_DEFAULT;
	snprintf(cfg->fax_send.office_converter, sizeof(cfg->fax_send.office_converter),
	    "%s", CONFIG_OFFICE_CONVERTER_DEFAULT);
	cfg->fax_send.office_timeout = CONFIG_OFFICE_TIMEOUT_DEFAULT;
	cfg->fax_send.office_memory = CONFIG_OFFICE_MEMORY_DEFAULT;
}

static void
check_readable(struct cfg_parser *p, unsigned line, const char *what, const char *path)
{
	if (path[0] == '\0')
		return;
	if (access(path, R_OK) != 0)
		cfg_err_line(p, line, "cannot read %s '%s': %s", what, path, strerror(errno));
}

/* mail-from / return-receipt-to: fill the parts Cisco lets one leave out. */
static void
finish_mail_addr(struct cfg_parser *p, const char *what, struct config_mail_addr *a,
    unsigned host_line, unsigned user_line)
{
	if (a->hostname[0] == '\0')
		snprintf(a->hostname, sizeof(a->hostname), "%s", p->cfg->hostname);
	if (a->username[0] == '\0' && !a->use_ani) {
		if (user_line == 0 && host_line != 0 && strstr(what, "return") != NULL)
			cfg_err_line(p, host_line, "'%s hostname' needs a '%s username' line too",
			    what, what);
		else
			snprintf(a->username, sizeof(a->username), "%s", CONFIG_DEFAULT_MAIL_USER);
	}
}

static void
check_peer(struct cfg_parser *p, struct config_dial_peer *d)
{
	const struct config_trunk *t;
	unsigned tl = d->target_line ? d->target_line : d->line;
	const char *type = d->type == CONFIG_PEER_MMOIP ? "mmoip" : "voip";

	if (!d->has_incoming && !d->has_destination)
		cfg_err_line(p, d->line, "dial-peer voice %u %s has neither "
		    "'destination-pattern' nor 'incoming called-number'", d->tag, type);
	if (d->type == CONFIG_PEER_MMOIP) {
		if (d->resolution != CONFIG_RES_PASSTHROUGH && d->encoding == CONFIG_ENC_PASSTHROUGH)
			cfg_err_line(p, d->resolution_line, "dial-peer voice %u: 'image resolution' "
			    "rewrites the pages, so it needs 'image encoding mh' (not passthrough)",
			    d->tag);
		if (!d->information_fax)
			cfg_err_line(p, d->line, "dial-peer voice %u mmoip needs "
			    "'information-type fax'", d->tag);
		if (d->has_destination && d->target_kind != CONFIG_TARGET_MAILTO)
			cfg_err_line(p, d->line, "dial-peer voice %u mmoip has a "
			    "'destination-pattern' but no 'session target mailto:'", d->tag);
		if (d->target_kind == CONFIG_TARGET_MAILTO && !d->has_destination)
			cfg_err_line(p, tl, "dial-peer voice %u mmoip has a session target "
			    "but no 'destination-pattern'", d->tag);
		return;
	}
	if (d->has_destination && d->target_kind == CONFIG_TARGET_NONE)
		cfg_err_line(p, d->line, "dial-peer voice %u voip has a 'destination-pattern' "
		    "but no 'session target sip:' or 'session target trunk'", d->tag);
	t = NULL;
	if (d->target_kind == CONFIG_TARGET_TRUNK) {
		t = config_find_trunk(p->cfg, d->target);
		if (t == NULL)
			cfg_err_line(p, tl, "session target names unknown trunk '%s'", d->target);
		else
			d->trunk = (int)(t - p->cfg->trunks);
	}
	/* Carriers refuse or flag calls without a caller identity, and the
	 * TSI ($s$) follows the calling number. */
	if (d->has_destination && d->target_kind != CONFIG_TARGET_NONE && !d->shutdown &&
	    d->clid_number[0] == '\0' && (t == NULL || t->calling_number[0] == '\0'))
		cfg_warn_line(p, tl, "dial-peer voice %u voip places calls without a calling "
		    "number (From: t37gw%s): set 'clid network-number'%s", d->tag,
		    p->cfg->fax_send.transmitting_subscriber_ani ? ", no TSI" : "",
		    d->target_kind == CONFIG_TARGET_TRUNK ? " or the trunk's 'calling-number'" : "");
}

void
cfg_validate(struct cfg_parser *p)
{
	struct config *cfg = p->cfg;
	const struct config_dial_peer *onramp = NULL;
	size_t i;

	/* Global */
	if (cfg->hostname[0] == '\0') {
		if (gethostname(cfg->hostname, sizeof(cfg->hostname) - 1) != 0 ||
		    !cfg_valid_hostname(cfg->hostname))
			snprintf(cfg->hostname, sizeof(cfg->hostname), "localhost");
	}

	/* sip: two ports (RTP + RTCP, or UDPTL) per call */
	if ((cfg->sip.rtp_max - cfg->sip.rtp_min + 1) / 2 < cfg->sip.max_calls)
		cfg_err_line(p, p->seen.rtp > p->seen.max_calls ? p->seen.rtp : p->seen.max_calls,
		    "sip rtp-ports %u-%u hold %u calls, fewer than max-calls %u",
		    cfg->sip.rtp_min, cfg->sip.rtp_max,
		    (cfg->sip.rtp_max - cfg->sip.rtp_min + 1) / 2, cfg->sip.max_calls);

	/* Admission: with no trunk, no allow line and no voip peer calling a
	 * SIP address only loopback may call; say so when the gateway listens
	 * elsewhere. */
	for (i = 0; i < p->n_peers; i++)
		if (p->peers[i].type == CONFIG_PEER_VOIP &&
		    p->peers[i].target_kind == CONFIG_TARGET_SIP && !p->peers[i].shutdown)
			break;
	if (cfg->n_trunks == 0 && cfg->sip.n_allow == 0 && i == p->n_peers)
		for (i = 0; i < cfg->sip.n_listen; i++)
			if (!listen_is_loopback(&cfg->sip.listen[i])) {
				cfg_warn_line(p, p->seen.sip_listen, "SIP listens on %s but there is "
				    "no trunk and no 'allow' under sip: only loopback may call",
				    cfg->sip.listen[i].addr);
				break;
			}

	for (i = 0; i < cfg->n_trunks; i++) {
		struct config_trunk *t = &cfg->trunks[i];

		if (t->proxy[0] == '\0')
			cfg_err_line(p, t->line, "trunk '%s' needs a 'proxy sip:...' line", t->name);
		if (!p->trunk_t38_set[i])
			t->t38 = cfg->sip.t38;
		if (t->do_register && t->auth_user[0] == '\0')
			cfg_err_line(p, t->line, "trunk '%s' registers but has no 'auth' line",
			    t->name);
	}

	/* fax numbering: the national prefix stands for the country code */
	if (cfg->numbering.national_prefix[0] != '\0' && cfg->numbering.country_code[0] == '\0')
		cfg_err_line(p, p->seen.national_prefix, "'fax numbering national-prefix' needs "
		    "'fax numbering country-code'");
	if (cfg->numbering.national_prefix[0] != '\0' &&
	    strcmp(cfg->numbering.national_prefix, cfg->numbering.international_prefix) == 0)
		cfg_err_line(p, p->seen.national_prefix, "the national and international "
		    "prefixes are both '%s'", cfg->numbering.national_prefix);

	/* mta send */
	finish_mail_addr(p, "mta send mail-from", &cfg->mta_send.mail_from,
	    p->seen.mail_from_host, p->seen.mail_from_user);
	if (cfg->mta_send.return_receipt)
		finish_mail_addr(p, "mta send return-receipt-to", &cfg->mta_send.return_receipt_to,
		    p->seen.rr_host, p->seen.rr_user);
	if (cfg->mta_send.postmaster[0] == '\0')
		if (snprintf(cfg->mta_send.postmaster, sizeof(cfg->mta_send.postmaster),
		    "postmaster@%s", cfg->hostname) >= (int)sizeof(cfg->mta_send.postmaster))
			snprintf(cfg->mta_send.postmaster, sizeof(cfg->mta_send.postmaster),
			    "postmaster@localhost");
	if (cfg->mta_send.maildir[0] != '\0' && cfg->mta_send.maildir[0] != '/') {
		/* A relative maildir lives in the spool (moves with it). */
		char abs[CONFIG_PATH_MAX * 2 + 2];

		snprintf(abs, sizeof(abs), "%s/%s", cfg->spool, cfg->mta_send.maildir);
		if (strlen(abs) >= sizeof(cfg->mta_send.maildir))
			cfg_err_line(p, p->seen.maildir, "mta send maildir '%s' in spool '%s' "
			    "is too long", cfg->mta_send.maildir, cfg->spool);
		else
			memcpy(cfg->mta_send.maildir, abs, strlen(abs) + 1);
	}
	if (cfg->mta_send.maildir[0] != '\0' && cfg->mta_send.n_servers > 0)
		cfg_err_line(p, p->seen.maildir, "'mta send maildir' and 'mta send server' "
		    "exclude each other (line %u)", p->seen.server);
	if (cfg->mta_send.give_up < cfg->mta_send.retry)
		cfg_err_line(p, p->seen.give_up ? p->seen.give_up : p->seen.retry,
		    "mta send give-up %u is shorter than retry %u",
		    cfg->mta_send.give_up, cfg->mta_send.retry);
	if (cfg->mta_send.auth_user[0] != '\0' && cfg->mta_send.tls == CONFIG_TLS_OFF &&
	    !cfg->mta_send.auth_allow_plaintext)
		cfg_err_line(p, p->seen.send_tls, "'mta send tls off' would send the AUTH "
		    "password in clear: add 'allow-plaintext' to 'mta send auth'");
	check_readable(p, p->seen.send_tls, "mta send tls ca", cfg->mta_send.tls_ca);

	/* mta receive */
	if (cfg->mta_receive.maximum_recipients > 0 && cfg->mta_receive.n_aliases == 0)
		cfg_err_line(p, p->seen.max_recipients, "mta receive maximum-recipients %u "
		    "needs at least one 'mta receive aliases' line",
		    cfg->mta_receive.maximum_recipients);
	/* AUTH is offered after STARTTLS only, unless auth-clear says otherwise. */
	if (p->seen.recv_auth != 0 && cfg->mta_receive.tls_cert[0] == '\0' &&
	    !cfg->mta_receive.auth_clear)
		cfg_err_line(p, p->seen.recv_auth, "SMTP AUTH users can never log in: add "
		    "'mta receive tls cert FILE key FILE' or 'mta receive auth-clear'");
	/* A small maximum-sessions lowers the default per-client cap to half of
	 * it, so one client cannot take them all; an explicit one may not be
	 * above maximum-sessions. */
	if (cfg->mta_receive.maximum_sessions_per_client > cfg->mta_receive.maximum_sessions) {
		if (p->seen.max_per_client != 0)
			cfg_err_line(p, p->seen.max_per_client, "mta receive "
			    "maximum-sessions-per-client %u is above maximum-sessions %u",
			    cfg->mta_receive.maximum_sessions_per_client,
			    cfg->mta_receive.maximum_sessions);
		else
			cfg->mta_receive.maximum_sessions_per_client =
			    (cfg->mta_receive.maximum_sessions + 1) / 2;
	}
	check_readable(p, p->seen.auth_file, "mta receive auth-file", cfg->mta_receive.auth_file);
	check_readable(p, p->seen.recv_tls, "mta receive tls cert", cfg->mta_receive.tls_cert);
	check_readable(p, p->seen.recv_tls, "mta receive tls key", cfg->mta_receive.tls_key);

	/* dial-peers */
	for (i = 0; i < p->n_peers; i++) {
		check_peer(p, &p->peers[i]);
		if (onramp == NULL && p->peers[i].type == CONFIG_PEER_MMOIP &&
		    p->peers[i].target_kind == CONFIG_TARGET_MAILTO)
			onramp = &p->peers[i];
	}
	for (i = 0; i < p->n_peers; i++)
		if (p->peers[i].type == CONFIG_PEER_MMOIP && p->peers[i].has_incoming)
			break;
	if (cfg->mta_receive.maximum_recipients > 0 && i == p->n_peers)
		cfg_err_line(p, p->seen.max_recipients, "mta receive maximum-recipients %u but no "
		    "mmoip dial-peer has an 'incoming called-number': all fax mail would be "
		    "refused", cfg->mta_receive.maximum_recipients);
	if (onramp != NULL && cfg->mta_send.n_servers == 0 && cfg->mta_send.maildir[0] == '\0')
		cfg_err_line(p, onramp->line, "dial-peer voice %u mails faxes but there is no "
		    "'mta send server' or 'mta send maildir'", onramp->tag);
}
