/* Unit tests for config/: every command in its good forms, and the
 * defaults of a config that sets nothing. Each row is a config text and a
 * predicate on the loaded config; the text must load without errors. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "config/config.h"
#include "smtp/smtp.h"

#define S(a, b) (strcmp((a), (b)) == 0)
#define CHECK(fn, expr) \
	static bool fn(const struct config *c) { return (expr); }

/* Onramp peers need somewhere to send mail. */
#define MD "mta send maildir m\n"

static bool
listen_is(const struct config_listen *l, enum config_transport tr, const char *addr,
    unsigned port)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&l->sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&l->sa;

	if (l->transport != tr || !S(l->addr, addr) || l->port != port)
		return false;
	if (strchr(addr, ':') != NULL)
		return s6->sin6_family == AF_INET6 && ntohs(s6->sin6_port) == port &&
		    l->salen == sizeof(*s6);
	return s4->sin_family == AF_INET && ntohs(s4->sin_port) == port &&
	    s4->sin_addr.s_addr == inet_addr(addr) && l->salen == sizeof(*s4);
}

CHECK(defaults,
    S(c->spool, CONFIG_DEFAULT_SPOOL) && c->log_dest == CONFIG_LOG_STDERR &&
    c->log_level == LOG_LVL_INFO && c->user[0] == '\0' && c->shutdown_deadline == 30 &&
    c->hostname[0] != '\0' &&
    c->sip.n_listen == 1 && listen_is(&c->sip.listen[0], CONFIG_TRANSPORT_UDP, "127.0.0.1", 5060) &&
    c->sip.t38 == CONFIG_T38_ON && c->sip.n_codecs == 2 &&
    c->sip.codecs[0] == CONFIG_CODEC_PCMU && c->sip.codecs[1] == CONFIG_CODEC_PCMA &&
    c->sip.rtp_min == 16384 && c->sip.rtp_max == 32767 && c->sip.max_calls == 30 &&
    c->sip.media_timeout == 30 &&
    c->n_trunks == 0 && c->mta_send.n_servers == 0 && c->mta_send.maildir[0] == '\0' &&
    S(c->mta_send.mail_from.username, "fax") &&
    S(c->mta_send.mail_from.hostname, c->hostname) && !c->mta_send.mail_from.use_ani &&
    strncmp(c->mta_send.postmaster, "postmaster@", 11) == 0 &&
    S(c->mta_send.postmaster + 11, c->hostname) &&
    S(c->mta_send.subject, "Fax Message") &&
    c->mta_send.with_subject == CONFIG_WITH_SUBJECT_NONE && !c->mta_send.return_receipt &&
    S(c->mta_send.filename, "fax.tif") && !c->mta_send.filename_date &&
    c->mta_send.mime == CONFIG_MIME_MIXED && c->mta_send.tls == CONFIG_TLS_OPPORTUNISTIC &&
    !c->mta_send.tls_verify && c->mta_send.auth_user[0] == '\0' &&
    c->mta_send.retry == 300 && c->mta_send.give_up == 432000 &&
    c->mta_receive.n_listen == 0 &&
    c->mta_receive.n_aliases == 0 && c->mta_receive.maximum_recipients == 0 &&
    c->mta_receive.maximum_size == 10485760 && c->mta_receive.n_allow == 2 &&
    S(c->mta_receive.allow[0].text, "127.0.0.0/8") && c->mta_receive.allow[0].prefix == 8 &&
    c->mta_receive.allow[0].addr[0] == 127 && c->mta_receive.allow[1].family == AF_INET6 &&
    c->mta_receive.allow[1].prefix == 128 && c->mta_receive.allow[1].addr[15] == 1 &&
    c->mta_receive.n_allow_sender == 0 && c->mta_receive.n_users == 0 &&
    !c->mta_receive.auth_clear && c->mta_receive.tls_cert[0] == '\0' &&
    !c->mta_receive.disable_dsn && !c->mta_receive.generate_mdn &&
    !c->mta_receive.bare_newline_normalize && c->mta_receive.maximum_sessions == 200 &&
    c->mta_receive.maximum_sessions_per_client == 20 &&
    c->mta_receive.session_deadline == 3600 && c->mta_receive.minimum_rate == 500 &&
    c->fax_receive.called_subscriber_dnis && c->fax_send.transmitting_subscriber_ani &&
    c->fax_send.max_speed == 14400 && c->fax_send.ecm && !c->fax_send.coverpage &&
    c->fax_send.retry_busy.attempts == 5 && c->fax_send.retry_busy.delay == 120 &&
    c->fax_send.retry_no_answer.attempts == 3 && c->fax_send.retry_no_answer.delay == 300 &&
    c->fax_send.retry_failure.attempts == 3 && c->fax_send.retry_failure.delay == 60 &&
    c->fax_send.max_pages == 100 && !c->fax_send.hold && c->n_deny == 0 && c->n_peers == 0 &&
    c->fax_send.render_timeout == 60 && c->fax_send.render_workers == 4 &&
    c->fax_send.render_memory == 1024 && c->fax_send.max_pixels == 1000 &&
    S(c->fax_send.office_converter, "/usr/bin/soffice") &&
    c->fax_send.office_timeout == 60 && c->fax_send.office_memory == 1024 &&
    !c->fax_send.prefer_text &&
    c->sip.n_allow == 0 && c->sip.max_call_rate == 10 && c->sip.max_calls_per_source == 0 &&
    c->numbering.country_code[0] == '\0' && c->numbering.national_prefix[0] == '\0' &&
    c->numbering.international_prefix[0] == '\0')
CHECK(hostname, S(c->hostname, "gw1.example.com") &&
    S(c->mta_send.mail_from.hostname, "gw1.example.com") &&
    S(c->mta_send.postmaster, "postmaster@gw1.example.com"))
CHECK(spool, S(c->spool, "/tmp/spool dir"))
CHECK(log_syslog, c->log_dest == CONFIG_LOG_SYSLOG && c->log_level == LOG_LVL_DEBUG)
CHECK(log_stderr, c->log_dest == CONFIG_LOG_STDERR && c->log_level == LOG_LVL_WARN)
CHECK(user, S(c->user, "t37gw"))
CHECK(deadline, c->shutdown_deadline == 5)
CHECK(deadline0, c->shutdown_deadline == 0)
CHECK(cdr_off, c->cdr[0] == '\0')
CHECK(cdr_file, S(c->cdr, "/var/log/t37gw/cdr.json"))
CHECK(sip_listen, c->sip.n_listen == 2 &&
    listen_is(&c->sip.listen[0], CONFIG_TRANSPORT_UDP, "127.0.0.1", 5070) &&
    listen_is(&c->sip.listen[1], CONFIG_TRANSPORT_TCP, "::1", 5071))
CHECK(sip_t38, c->sip.t38 == CONFIG_T38_IMMEDIATE)
CHECK(sip_t38_off, c->sip.t38 == CONFIG_T38_OFF)
CHECK(sip_codec2, c->sip.n_codecs == 2 && c->sip.codecs[0] == CONFIG_CODEC_PCMA &&
    c->sip.codecs[1] == CONFIG_CODEC_PCMU)
CHECK(sip_codec1, c->sip.n_codecs == 1 && c->sip.codecs[0] == CONFIG_CODEC_PCMU)
CHECK(sip_rtp, c->sip.rtp_min == 10000 && c->sip.rtp_max == 10999 && c->sip.max_calls == 100)
CHECK(sip_media_timeout, c->sip.media_timeout == 5)
CHECK(trunk_full, c->n_trunks == 1 && S(c->trunks[0].name, "pstn") &&
    S(c->trunks[0].proxy, "sip:gw.example.com:5060") && S(c->trunks[0].auth_user, "u") &&
    S(c->trunks[0].auth_password, "p w") && c->trunks[0].do_register &&
    c->trunks[0].register_expires == 600 && c->trunks[0].max_calls == 4 &&
    c->trunks[0].t38 == CONFIG_T38_OFF && c->trunks[0].line == 1)
CHECK(trunk_inherit, c->n_trunks == 2 && c->trunks[0].t38 == CONFIG_T38_IMMEDIATE &&
    !c->trunks[0].do_register && c->trunks[0].register_expires == 3600 &&
    c->trunks[1].t38 == CONFIG_T38_OFF && config_find_trunk(c, "b") == &c->trunks[1] &&
    config_find_trunk(c, "zz") == NULL)
CHECK(trunk_register_default, c->trunks[0].do_register && c->trunks[0].register_expires == 3600)
CHECK(servers, c->mta_send.n_servers == 3 && S(c->mta_send.servers[0].host, "a.example.com") &&
    c->mta_send.servers[0].port == 25 && S(c->mta_send.servers[1].host, "10.0.0.1") &&
    c->mta_send.servers[1].port == 587 && S(c->mta_send.servers[2].host, "::1") &&
    c->mta_send.servers[2].port == 26)
CHECK(maildir, S(c->mta_send.maildir, "/var/mail/fax"))
CHECK(maildir_rel, S(c->mta_send.maildir, "/srv/spool/out/mail"))
CHECK(mail_from_addr, S(c->mta_send.mail_from.username, "fax-gw") &&
    S(c->mta_send.mail_from.hostname, "example.com") && !c->mta_send.mail_from.use_ani)
CHECK(mail_from_cisco, c->mta_send.mail_from.use_ani &&
    S(c->mta_send.mail_from.hostname, "fax.example.com"))
CHECK(mail_from_user, S(c->mta_send.mail_from.username, "faxer") &&
    S(c->mta_send.mail_from.hostname, "h.example.com"))
CHECK(postmaster, S(c->mta_send.postmaster, "pm@example.com"))
CHECK(subject, S(c->mta_send.subject, "Incoming Fax"))
CHECK(subject_quoted, S(c->mta_send.subject, "A  \"B\" \\ C"))
CHECK(with_both, c->mta_send.with_subject == CONFIG_WITH_SUBJECT_BOTH)
CHECK(with_d, c->mta_send.with_subject == CONFIG_WITH_SUBJECT_DNIS)
CHECK(with_s, c->mta_send.with_subject == CONFIG_WITH_SUBJECT_ANI)
CHECK(rr_addr, c->mta_send.return_receipt &&
    S(c->mta_send.return_receipt_to.username, "admin") &&
    S(c->mta_send.return_receipt_to.hostname, "example.com"))
CHECK(rr_cisco, c->mta_send.return_receipt && c->mta_send.return_receipt_to.use_ani &&
    S(c->mta_send.return_receipt_to.hostname, "example.com"))
CHECK(rr_user_only, c->mta_send.return_receipt &&
    S(c->mta_send.return_receipt_to.username, "admin") &&
    S(c->mta_send.return_receipt_to.hostname, "gw.example.com"))
CHECK(origin, S(c->mta_send.origin_prefix, "Cisco-Powered Fax System"))
CHECK(filename_date, S(c->mta_send.filename, "fax.tif") && c->mta_send.filename_date)
CHECK(filename_only_date, S(c->mta_send.filename, "fax.tif") && c->mta_send.filename_date)
CHECK(filename_tif, S(c->mta_send.filename, "Cisco_fax.TIF") && !c->mta_send.filename_date)
CHECK(filename_none, S(c->mta_send.filename, "fax.tif") && !c->mta_send.filename_date)
CHECK(success_only, c->mta_send.success_fax_only)
CHECK(mime_fax, c->mta_send.mime == CONFIG_MIME_FAX_MESSAGE)
CHECK(attach_default, c->mta_send.attachment == CONFIG_ATTACH_TIFF && !c->mta_send.preview)
CHECK(attach_pdf, c->mta_send.attachment == CONFIG_ATTACH_PDF && !c->mta_send.preview)
CHECK(attach_both_preview, c->mta_send.attachment == CONFIG_ATTACH_BOTH &&
    c->mta_send.preview)
CHECK(attach_tiff, c->mta_send.attachment == CONFIG_ATTACH_TIFF)
CHECK(tls_required, c->mta_send.tls == CONFIG_TLS_REQUIRED && c->mta_send.tls_verify &&
    S(c->mta_send.tls_ca, "/dev/null"))
CHECK(tls_off, c->mta_send.tls == CONFIG_TLS_OFF && !c->mta_send.tls_verify)
CHECK(send_auth, S(c->mta_send.auth_user, "u") && S(c->mta_send.auth_password, "p") &&
    c->mta_send.auth_allow_plaintext)
CHECK(send_auth_tls, S(c->mta_send.auth_user, "u") && !c->mta_send.auth_allow_plaintext)
CHECK(retry_giveup, c->mta_send.retry == 600 && c->mta_send.give_up == 86400)
CHECK(recv_listen, c->mta_receive.n_listen == 2 &&
    listen_is(&c->mta_receive.listen[0], CONFIG_TRANSPORT_TCP, "127.0.0.1", 2525) &&
    listen_is(&c->mta_receive.listen[1], CONFIG_TRANSPORT_TCP, "::1", 2526))
CHECK(aliases, c->mta_receive.n_aliases == 3 && S(c->mta_receive.aliases[0], "a.example.com") &&
    S(c->mta_receive.aliases[1], "[10.1.1.20]") && S(c->mta_receive.aliases[2], "[IPv6:::1]") &&
    c->mta_receive.maximum_recipients == 1024)
CHECK(max_size, c->mta_receive.maximum_size == 2048)
CHECK(allow, c->mta_receive.n_allow == 3 && c->mta_receive.allow[0].family == AF_INET &&
    c->mta_receive.allow[0].prefix == 8 && c->mta_receive.allow[0].addr[0] == 10 &&
    c->mta_receive.allow[1].family == AF_INET6 && c->mta_receive.allow[1].prefix == 32 &&
    c->mta_receive.allow[1].addr[0] == 0x20 && c->mta_receive.allow[1].addr[1] == 0x01 &&
    c->mta_receive.allow[2].prefix == 32 && c->mta_receive.allow[2].addr[3] == 5 &&
    S(c->mta_receive.allow[2].text, "192.168.1.5"))
CHECK(allow_all, c->mta_receive.n_allow == 1 && c->mta_receive.allow[0].prefix == 0)
CHECK(allow_sender, c->mta_receive.n_allow_sender == 2 &&
    S(c->mta_receive.allow_sender[0], "*@example.com") && S(c->mta_receive.allow_sender[1], "*"))
CHECK(recv_auth, c->mta_receive.n_users == 2 && S(c->mta_receive.users[1].user, "c") &&
    S(c->mta_receive.users[1].password, "d e") && S(c->mta_receive.auth_file, "/dev/null") &&
    c->mta_receive.auth_clear)
CHECK(recv_tls, S(c->mta_receive.tls_cert, "/dev/null") && S(c->mta_receive.tls_key, "/dev/zero"))
CHECK(generate, c->mta_receive.generate_permanent_error && c->mta_receive.generate_mdn)
CHECK(disable_dsn, c->mta_receive.disable_dsn)
CHECK(bare_normalize, c->mta_receive.bare_newline_normalize)
CHECK(bare_reject, !c->mta_receive.bare_newline_normalize)
CHECK(sessions, c->mta_receive.maximum_sessions == 5000 &&
    c->mta_receive.maximum_sessions_per_client == 50 &&
    c->mta_receive.session_deadline == 600 && c->mta_receive.minimum_rate == 2000)
CHECK(sessions_small, c->mta_receive.maximum_sessions == 5 &&
    c->mta_receive.maximum_sessions_per_client == 3)
CHECK(sessions_one, c->mta_receive.maximum_sessions == 1 &&
    c->mta_receive.maximum_sessions_per_client == 1)
CHECK(per_client_equal, c->mta_receive.maximum_sessions == 8 &&
    c->mta_receive.maximum_sessions_per_client == 8)
CHECK(csi, S(c->fax_receive.called_subscriber, "+1 919 555 1234") &&
    !c->fax_receive.called_subscriber_dnis)
CHECK(csi_dnis, c->fax_receive.called_subscriber_dnis && c->fax_receive.called_subscriber[0] == 0)
CHECK(tsi, S(c->fax_send.transmitting_subscriber, "+15551234") &&
    !c->fax_send.transmitting_subscriber_ani)
CHECK(tsi_ani, c->fax_send.transmitting_subscriber_ani)
CHECK(max_speed, c->fax_send.max_speed == 9600)
CHECK(ecm_off, !c->fax_send.ecm)
CHECK(headers, S(c->fax_send.left_header, "$a$ $t$") &&
    S(c->fax_send.center_header, "From $s$ to $d$") && S(c->fax_send.right_header, "Page $p$"))
CHECK(coverpage, c->fax_send.coverpage && S(c->fax_send.coverpage_comment, "Hello World") &&
    c->fax_send.coverpage_email_controllable && c->fax_send.coverpage_show_detail)
CHECK(fax_retry, c->fax_send.retry_busy.attempts == 2 && c->fax_send.retry_busy.delay == 30 &&
    c->fax_send.retry_no_answer.attempts == 1 && c->fax_send.retry_no_answer.delay == 10 &&
    c->fax_send.retry_failure.attempts == 100 && c->fax_send.retry_failure.delay == 86400)
CHECK(max_pages, c->fax_send.max_pages == 5)
CHECK(hold, c->fax_send.hold)
CHECK(render, c->fax_send.render_timeout == 1 && c->fax_send.render_workers == 32 &&
    c->fax_send.render_memory == 64 && c->fax_send.max_pixels == 100000)
CHECK(office, S(c->fax_send.office_converter, "/opt/lo/program/soffice") &&
    c->fax_send.office_timeout == 600 && c->fax_send.office_memory == 4096 &&
    c->fax_send.prefer_text)
CHECK(office_none, c->fax_send.office_converter[0] == '\0' && !c->fax_send.prefer_text)
CHECK(deny, c->n_deny == 2 && S(c->deny[0].text, "1900.......") && S(c->deny[1].text, "011T"))
CHECK(peer_mmoip,
    c->n_peers == 1 && c->peers[0].tag == 200 && c->peers[0].type == CONFIG_PEER_MMOIP &&
    c->peers[0].has_destination && S(c->peers[0].destination.text, "99131..") &&
    !c->peers[0].has_incoming && c->peers[0].information_fax &&
    c->peers[0].session_protocol_smtp && c->peers[0].target_kind == CONFIG_TARGET_MAILTO &&
    S(c->peers[0].target, "$d$@example.com") && c->peers[0].trunk == -1 &&
    c->peers[0].dsn == (SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY) && c->peers[0].mdn &&
    c->peers[0].preference == 3 && c->peers[0].max_conn == 4 &&
    c->peers[0].encoding == CONFIG_ENC_MMR && c->peers[0].resolution == CONFIG_RES_FINE &&
    S(c->peers[0].description, "Sales fax") && c->peers[0].shutdown &&
    c->peers[0].line == 2 && c->peers[0].target_line == 6)
CHECK(peer_defaults, c->n_peers == 1 && c->peers[0].preference == 0 &&
    c->peers[0].max_conn == 0 && c->peers[0].encoding == CONFIG_ENC_MH &&
    c->peers[0].resolution == CONFIG_RES_PASSTHROUGH && !c->peers[0].shutdown &&
    c->peers[0].dsn == 0 && !c->peers[0].mdn && c->peers[0].has_incoming &&
    c->peers[0].target_kind == CONFIG_TARGET_NONE)
CHECK(peer_trunk, c->n_peers == 1 && c->peers[0].type == CONFIG_PEER_VOIP &&
    c->peers[0].target_kind == CONFIG_TARGET_TRUNK && S(c->peers[0].target, "b") &&
    c->peers[0].trunk == 1)
CHECK(peer_ipv4, c->peers[0].target_kind == CONFIG_TARGET_SIP &&
    S(c->peers[0].target, "sip:$d$@10.1.1.40:5062"))
CHECK(peer_sip, c->peers[0].target_kind == CONFIG_TARGET_SIP &&
    S(c->peers[0].target, "sips:+$d$@trunk.example.com;transport=tls"))
CHECK(peer_order, c->n_peers == 3 && c->peers[0].tag == 30 && c->peers[1].tag == 10 &&
    c->peers[2].tag == 20)
CHECK(case_insensitive, S(c->mta_send.subject, "Fax") && c->n_peers == 1 &&
    c->peers[0].type == CONFIG_PEER_MMOIP && c->peers[0].encoding == CONFIG_ENC_MH)
CHECK(comments, S(c->hostname, "a.example.com") && S(c->spool, "/s#1") &&
    S(c->mta_send.subject, "x!y"))
CHECK(exit_mode, c->sip.t38 == CONFIG_T38_OFF && S(c->hostname, "x.example.com"))
CHECK(crlf, S(c->hostname, "a.example.com") && S(c->spool, "/x"))
CHECK(blank_in_mode, c->sip.t38 == CONFIG_T38_OFF && c->sip.max_calls == 7)
CHECK(ios_frame, S(c->hostname, "fax-2811"))
CHECK(sip_admission, c->sip.n_allow == 2 && S(c->sip.allow[0].text, "192.0.2.0/24") &&
    c->sip.allow[0].prefix == 24 && c->sip.allow[1].family == AF_INET6 &&
    c->sip.max_call_rate == 50 && c->sip.max_calls_per_source == 3)
CHECK(sip_realtime, c->sip.rt_priority == 49)
CHECK(sip_realtime_default, c->sip.rt_priority == 0 && c->sip.threads == 0)
CHECK(sip_threads, c->sip.threads == 4)
CHECK(trunk_identity, S(c->trunks[0].calling_number, "+19195550100") &&
    S(c->trunks[0].calling_name, "ACME Fax Desk") &&
    c->trunks[0].asserted_id == CONFIG_ASSERTED_PAI && S(c->trunks[0].inbound_user, "carrier") &&
    S(c->trunks[0].inbound_password, "s3 cret") && c->trunks[1].asserted_id == CONFIG_ASSERTED_PPI &&
    c->trunks[1].calling_number[0] == '\0' && c->trunks[1].inbound_user[0] == '\0')
CHECK(peer_clid, S(c->peers[0].clid_number, "9195550111") && !c->peers[0].clid_restrict &&
    c->peers[1].clid_restrict && c->peers[1].clid_number[0] == '\0')
CHECK(numbering, S(c->numbering.country_code, "44") && S(c->numbering.national_prefix, "0") &&
    S(c->numbering.international_prefix, "00"))

static const struct {
	const char *text;
	bool (*check)(const struct config *);
} good_cases[] = {
	{ "", defaults },
	{ "! only a comment\n\n   \n# another\n", defaults },
	{ "hostname gw1.example.com", hostname },
	{ "spool \"/tmp/spool dir\"", spool },
	{ "log syslog level debug", log_syslog },
	{ "log stderr level warn", log_stderr },
	{ "user t37gw", user },
	{ "shutdown-deadline 5", deadline },
	{ "shutdown-deadline 0", deadline0 },
	{ "", cdr_off },
	{ "cdr /var/log/t37gw/cdr.json", cdr_file },
	{ "sip\n listen udp 127.0.0.1 5070\n listen tcp ::1 5071", sip_listen },
	{ "sip\n t38 immediate", sip_t38 },
	{ "sip\n t38 off", sip_t38_off },
	{ "sip\n codec pcma pcmu", sip_codec2 },
	{ "sip\n codec g711ulaw", sip_codec1 },
	{ "sip\n rtp-ports 10000 10999\n max-calls 100", sip_rtp },
	{ "sip\n media-timeout 5", sip_media_timeout },
	{ "trunk pstn\n proxy sip:gw.example.com:5060\n auth u \"p w\"\n register 600\n"
	  " max-calls 4\n t38 off", trunk_full },
	{ "sip\n t38 immediate\ntrunk a\n proxy sip:x\ntrunk b\n proxy sips:y\n t38 off",
	  trunk_inherit },
	{ "trunk a\n proxy sip:x\n auth u p\n register", trunk_register_default },
	{ "mta send server a.example.com\nmta send server 10.0.0.1 port 587\n"
	  "mta send server ::1 port 26", servers },
	{ "mta send maildir /var/mail/fax", maildir },
	{ "mta send maildir out/mail\nspool /srv/spool", maildir_rel },
	{ "mta send mail-from fax-gw@example.com", mail_from_addr },
	{ "mta send mail-from hostname fax.example.com\nmta send mail-from username $s$",
	  mail_from_cisco },
	{ "hostname h.example.com\nmta send mail-from username faxer", mail_from_user },
	{ "mta send postmaster pm@example.com", postmaster },
	{ "mta send subject Incoming Fax", subject },
	{ "mta send subject \"A  \\\"B\\\" \\\\ C\"", subject_quoted },
	{ "mta send with-subject both", with_both },
	{ "mta send with-subject $d$", with_d },
	{ "mta send with-subject $s$", with_s },
	{ "mta send return-receipt-to admin@example.com", rr_addr },
	{ "mta send return-receipt-to hostname example.com\n"
	  "mta send return-receipt-to username $s$", rr_cisco },
	{ "hostname gw.example.com\nmta send return-receipt-to username admin", rr_user_only },
	{ "mta send origin-prefix \"Cisco-Powered Fax System\"", origin },
	{ "mta send filename fax date", filename_date },
	{ "mta send filename date", filename_only_date },
	{ "mta send filename Cisco_fax.TIF", filename_tif },
	{ "mta send filename", filename_none },
	{ "mta send success-fax-only", success_only },
	{ "mta send mime fax-message", mime_fax },
	{ "", attach_default },
	{ "mta send attachment pdf", attach_pdf },
	{ "mta send attachment BOTH\nmta send preview", attach_both_preview },
	{ "mta send attachment pdf\nmta send attachment tiff", attach_tiff },
	{ "mta send tls required verify ca /dev/null", tls_required },
	{ "mta send tls off", tls_off },
	{ "mta send tls off\nmta send auth u p allow-plaintext", send_auth },
	{ "mta send auth u p", send_auth_tls },
	{ "mta send retry 600\nmta send give-up 86400", retry_giveup },
	{ "mta receive listen 127.0.0.1 2525\nmta receive listen ::1 2526", recv_listen },
	{ "mta receive aliases a.example.com\nmta receive aliases [10.1.1.20]\n"
	  "mta receive aliases [IPv6:::1]\nmta receive maximum-recipients 1024\n"
	  "dial-peer voice 1 mmoip\n incoming called-number 1T\n information-type fax", aliases },
	{ "mta receive maximum-size 2048", max_size },
	{ "mta receive allow 10.0.0.0/8\nmta receive allow 2001:db8::/32\n"
	  "mta receive allow 192.168.1.5", allow },
	{ "mta receive allow 0.0.0.0/0", allow_all },
	{ "mta receive allow-sender *@example.com\nmta receive allow-sender *", allow_sender },
	{ "mta receive auth a b\nmta receive auth c \"d e\"\nmta receive auth-file /dev/null\n"
	  "mta receive auth-clear", recv_auth },
	{ "mta receive auth a b\nmta receive tls cert /dev/null key /dev/zero", recv_tls },
	{ "mta receive tls cert /dev/null key /dev/zero", recv_tls },
	{ "mta receive generate permanent-error\nmta receive generate mdn", generate },
	{ "mta receive disable-dsn", disable_dsn },
	{ "mta receive bare-newline normalize", bare_normalize },
	{ "mta receive bare-newline NORMALIZE\nmta receive bare-newline reject", bare_reject },
	{ "mta receive maximum-sessions 5000\nmta receive maximum-sessions-per-client 50\n"
	  "mta receive session-deadline 600\nmta receive minimum-rate 2000", sessions },
	{ "mta receive maximum-sessions 5", sessions_small },
	{ "mta receive maximum-sessions 1", sessions_one },
	{ "mta receive maximum-sessions-per-client 8\nmta receive maximum-sessions 8",
	  per_client_equal },
	{ "fax receive called-subscriber +1 919 555 1234", csi },
	{ "fax receive called-subscriber $d$", csi_dnis },
	{ "fax send transmitting-subscriber \"+15551234\"", tsi },
	{ "fax send transmitting-subscriber $s$", tsi_ani },
	{ "fax send max-speed 9600", max_speed },
	{ "fax send ecm off", ecm_off },
	{ "fax send left-header $a$ $t$\nfax send center-header From $s$ to $d$\n"
	  "fax send right-header \"Page $p$\"", headers },
	{ "fax send coverpage enable\nfax send coverpage comment Hello World\n"
	  "fax send coverpage e-mail-controllable\nfax send coverpage show-detail", coverpage },
	{ "fax send retry busy 2 30\nfax send retry no-answer 1 10\n"
	  "fax send retry failure 100 86400", fax_retry },
	{ "fax send max-pages 5", max_pages },
	{ "fax send hold", hold },
	{ "fax send render-timeout 1\nfax send render-workers 32\n"
	  "FAX SEND RENDER-MEMORY 64\nfax send max-pixels 100000", render },
	{ "fax send office-converter /opt/lo/program/soffice\nfax send office-timeout 600\n"
	  "fax send office-memory 4096\nfax send alternative text", office },
	{ "fax send office-converter none\nfax send alternative html", office_none },
	{ "fax deny-pattern 1900.......\nfax deny-pattern 011T", deny },
	{ MD "dial-peer voice 200 mmoip\n destination-pattern 99131..\n information-type fax\n"
	  " session protocol smtp\n session target mailto:$d$@example.com\n dsn success\n"
	  " dsn delay\n dsn success\n mdn\n preference 3\n max-conn 4\n image encoding mmr\n"
	  " image resolution fine\n description \"Sales fax\"\n shutdown\n"
	  " direct-inward-dial", peer_mmoip },
	{ "dial-peer voice 300 mmoip\n incoming called-number 1919.......\n"
	  " information-type fax", peer_defaults },
	{ "trunk a\n proxy sip:a\ntrunk b\n proxy sip:b\n"
	  "dial-peer voice 1 voip\n destination-pattern 1T\n session target trunk b", peer_trunk },
	{ "dial-peer voice 1 voip\n destination-pattern 1T\n session protocol sipv2\n"
	  " session target ipv4:10.1.1.40:5062", peer_ipv4 },
	{ "dial-peer voice 1 voip\n destination-pattern 1T\n"
	  " session target sips:+$d$@trunk.example.com;transport=tls", peer_sip },
	{ "dial-peer voice 30 voip\n incoming called-number 3\n"
	  "dial-peer voice 10 voip\n incoming called-number 1\n"
	  "dial-peer voice 20 voip\n incoming called-number 2", peer_order },
	{ MD "MTA Send Subject Fax\nDial-Peer Voice 1 MMOIP\n Destination-Pattern 1\n"
	  " INFORMATION-TYPE FAX\n SESSION TARGET mailto:a@b.c\n Image Encoding MH", case_insensitive },
	{ "hostname a.example.com ! trailing comment\nspool /s#1 # trailing\n"
	  "mta send subject x!y", comments },
	{ "sip\n t38 off\n exit\nhostname x.example.com", exit_mode },
	{ "hostname a.example.com\r\nspool /x\r\n", crlf },
	{ "sip\n\n ! note\n t38 off\n# note\n max-calls 7", blank_in_mode },
	{ "version 12.4\nhostname fax-2811\nend", ios_frame },
	{ "sip\n allow 192.0.2.0/24\n allow 2001:db8::/32\n max-call-rate 50\n"
	  " max-calls-per-source 3", sip_admission },
	{ "sip\n realtime-priority 49", sip_realtime },
	{ "sip\n max-calls 5", sip_realtime_default },
	{ "sip\n threads 4", sip_threads },
	{ "trunk a\n proxy sip:a\n calling-number +19195550100\n calling-name ACME Fax Desk\n"
	  " asserted-id pai\n inbound-auth carrier \"s3 cret\"\ntrunk b\n proxy sip:b\n"
	  " asserted-id ppi", trunk_identity },
	{ "dial-peer voice 1 voip\n destination-pattern 1T\n session target sip:$d$@h\n"
	  " clid network-number 9195550111\n"
	  "dial-peer voice 2 voip\n destination-pattern 2T\n session target sip:$d$@h\n"
	  " clid restrict", peer_clid },
	{ "fax numbering country-code 44\nfax numbering national-prefix 0\n"
	  "fax numbering international-prefix 00", numbering },
};

START_TEST(test_good)
{
	struct config_diag diag;
	struct config *cfg;
	const char *text = good_cases[_i].text;

	config_diag_init(&diag);
	cfg = config_parse_buffer("t", text, strlen(text), &diag);
	ck_assert_msg(cfg != NULL, "case %d: %s", _i, config_diag_get(&diag, 0));
	ck_assert_uint_eq(diag.count, 0);
	ck_assert_msg(good_cases[_i].check(cfg), "case %d: check failed for:\n%s", _i, text);
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

/* The object is complete on its own: nothing points into the text. */
START_TEST(test_no_pointers_into_text)
{
	char text[] = "hostname a.example.com\nmta send subject Hello\n";
	struct config *cfg = config_parse_buffer("t", text, strlen(text), NULL);

	ck_assert_ptr_nonnull(cfg);
	memset(text, 'x', sizeof(text) - 1);
	ck_assert_str_eq(cfg->hostname, "a.example.com");
	ck_assert_str_eq(cfg->mta_send.subject, "Hello");
	ck_assert_str_eq(cfg->file, "t");
	config_free(cfg);
	config_free(NULL);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *
suite_config_commands(void)
{
	Suite *s = suite_create("config_commands");
	TCase *tc = tcase_create("good");

	tcase_add_loop_test(tc, test_good, 0, N(good_cases));
	tcase_add_test(tc, test_no_pointers_into_text);
	suite_add_tcase(s, tc);
	return s;
}
