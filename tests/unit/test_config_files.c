/* Unit tests for config/: the tokenizer, and whole files: the shipped
 * example, the five-mistakes file, a real Cisco T.37 configuration, and
 * config_load() on missing files. Files are found from $SRCDIR, else from
 * the current directory (tests run from the repository root). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "smtp/smtp.h"

/* ---- Tokenizer ---- */

static const struct {
	const char *line;
	int argc;               /* -1: error */
	const char *words[5];   /* or words[0] = the error */
} tok_cases[] = {
	{ "", 0, { NULL } },
	{ "   \t ", 0, { NULL } },
	{ "! comment", 0, { NULL } },
	{ "# comment", 0, { NULL } },
	{ "  ! indented comment", 0, { NULL } },
	{ "hostname gw", 2, { "hostname", "gw" } },
	{ "\thostname\t\tgw  ", 2, { "hostname", "gw" } },
	{ "a b ! c d", 2, { "a", "b" } },
	{ "a b #c", 2, { "a", "b" } },
	{ "a b!c x#y", 3, { "a", "b!c", "x#y" } },
	{ "a \"b c\" d", 3, { "a", "b c", "d" } },
	{ "a \"\"", 2, { "a", "" } },
	{ "a \"! not a comment\"", 2, { "a", "! not a comment" } },
	{ "a \"x\\\"y\\\\z\"", 2, { "a", "x\"y\\z" } },
	{ "a \"x\\ny\"", 2, { "a", "x\\ny" } },
	{ "a \"tab\there\"", 2, { "a", "tab\there" } },
	{ "$d$@x $s$", 2, { "$d$@x", "$s$" } },
	{ "a \"b", -1, { "unterminated quoted string" } },
	{ "a \"b\"c", -1, { "missing blank after quoted string" } },
	{ "a b\"c", -1, { "quote inside word 'b\"'" } },
	{ "a \x7f", -1, { "control character 0x7f in line" } },
	{ "a \"\x02\"", -1, { "control character 0x02 in line" } },
	{ "1 2 3 4 5", -1, { "too many words (at most 4)" } },
	{ "1 2 3 4", 4, { "1", "2", "3", "4" } },
	{ "1 2 3 4 ! five", 4, { "1", "2", "3", "4" } },
};

START_TEST(test_tokenize)
{
	char line[128], err[128] = "";
	char *argv[4];
	int argc, i;

	snprintf(line, sizeof(line), "%s", tok_cases[_i].line);
	argc = config_tokenize(line, argv, 4, err, sizeof(err));
	ck_assert_int_eq(argc, tok_cases[_i].argc);
	if (argc < 0) {
		ck_assert_str_eq(err, tok_cases[_i].words[0]);
		return;
	}
	for (i = 0; i < argc; i++)
		ck_assert_str_eq(argv[i], tok_cases[_i].words[i]);
}
END_TEST

/* ---- Files ---- */

static const char *
src_path(const char *rel, char *buf, size_t size)
{
	const char *src = getenv("SRCDIR");

	if (src != NULL && *src != '\0')
		snprintf(buf, size, "%s/%s", src, rel);
	else
		snprintf(buf, size, "%s", rel);
	return buf;
}

START_TEST(test_example_config)
{
	struct config_diag diag;
	struct config *cfg;
	const struct config_dial_peer *d;
	char path[1024];

	config_diag_init(&diag);
	cfg = config_load(src_path("contrib/t37gw.conf.example", path, sizeof(path)), &diag);
	ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
	ck_assert_uint_eq(diag.count, 0);
	ck_assert_str_eq(cfg->spool, "/var/spool/t37gw");
	ck_assert_str_eq(cfg->file, path);
	/* Loopback listeners for the demo. */
	ck_assert_str_eq(cfg->sip.listen[0].addr, "127.0.0.1");
	ck_assert_uint_eq(cfg->sip.listen[0].port, 5060);
	ck_assert_uint_eq(cfg->mta_receive.n_listen, 1);
	ck_assert_str_eq(cfg->mta_receive.listen[0].addr, "127.0.0.1");
	ck_assert_uint_eq(cfg->mta_receive.listen[0].port, 2525);
	ck_assert_str_eq(cfg->mta_send.maildir, "/var/spool/t37gw/maildir");
	ck_assert_uint_gt(cfg->mta_receive.maximum_recipients, 0);
	/* Onramp, offramp and the toll-fraud rules. */
	d = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION, "9913170");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->tag, 100);
	d = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING, "+1 919 555 1234");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->tag, 200);
	d = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "19195551234");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->target_kind, CONFIG_TARGET_TRUNK);
	ck_assert_str_eq(cfg->trunks[d->trunk].name, "pstn");
	ck_assert(config_number_denied(cfg, "19005551234"));
	ck_assert(config_number_denied(cfg, "011442071234567"));
	ck_assert(config_number_denied(cfg, "+442071234567"));
	ck_assert(!config_number_denied(cfg, "19195551234"));
	ck_assert_ptr_null(config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_INCOMING,
	    "19005551234"));
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

START_TEST(test_five_mistakes)
{
	static const char *const want[] = {
		":6: port 506000 is out of range (1-65535)",
		":13: bad CIDR '10.0.0.0/33' (prefix length must be 0-32)",
		":14: unknown command 'mta receive allow-senders'",
		":21: duplicate dial-peer tag 200 (first at line 16)",
		":25: 'destination-pattern' is only valid under dial-peer voice",
	};
	struct config_diag diag;
	char path[1024], msg[1200];
	size_t i;

	config_diag_init(&diag);
	src_path("tests/data/five-mistakes.conf", path, sizeof(path));
	ck_assert_ptr_null(config_load(path, &diag));
	ck_assert_uint_eq(diag.count, 5);
	for (i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "%s%s", path, want[i]);
		ck_assert_str_eq(config_diag_get(&diag, i), msg);
	}
	config_diag_clear(&diag);
}
END_TEST

/*
 * A real IOS T.37 gateway: every line is accepted, or ignored with its own
 * warning (other features), or an error (a fax line t37gw cannot honour).
 */
#define PLAT "ignored: IOS platform configuration does not apply to t37gw"
#define PLATB "ignored with the lines under it: IOS platform configuration does not " \
    "apply to t37gw"
START_TEST(test_cisco_config)
{
	static const char *const want[] = {
		":6: warning: 'service' " PLAT,
		":9: warning: 'boot-start-marker' " PLAT,
		":10: warning: 'boot-end-marker' " PLAT,
		":12: warning: 'ip' " PLAT,
		":13: warning: 'ip' " PLAT,
		":15: warning: 'voice service' ignored with the lines under it: SIP settings are "
		    "under 'sip' and 'trunk'; T.38 is set with 't38' under them",
		":20: warning: 'fax interface-type' ignored: t37gw always works as a fax-mail "
		    "gateway",
		":37: warning: 'call application' ignored: onramp and offramp are built in",
		":38: warning: 'call application' ignored: onramp and offramp are built in",
		":40: warning: 'interface' " PLATB,
		":44: 'mmoip aaa' is not supported: AAA is not implemented; use 'mta receive "
		    "auth' and 'mta receive allow'",
		":56: warning: 'dial-peer voice 1 pots' ignored with the lines under it: t37gw has "
		    "no telephony ports; calls arrive over SIP (voip and mmoip peers route them)",
		":63: warning: 'application' ignored: onramp and offramp are built in",
		":74: warning: 'application' ignored: onramp and offramp are built in",
		":78: warning: 'dial-peer voice 400 pots' ignored with the lines under it: t37gw "
		    "has no telephony ports; calls arrive over SIP (voip and mmoip peers route them)",
		":86: warning: dial-peer voice 500 voip places calls without a calling number "
		    "(From: t37gw): set 'clid network-number'",
		":87: warning: 'codec' ignored: codecs are set with 'codec' under 'sip'",
		":88: warning: 'fax rate' ignored: the speed is set with 'fax send max-speed'",
		":89: warning: 'no vad' ignored: not a t37gw command",
		":91: warning: 'line' " PLATB,
		":92: warning: 'line' " PLATB,
	};
	const size_t n = sizeof(want) / sizeof(want[0]);
	struct config_diag diag;
	char path[1024], msg[1200];
	size_t i;

	config_diag_init(&diag);
	src_path("tests/data/cisco-t37.conf", path, sizeof(path));
	ck_assert_ptr_null(config_load(path, &diag));
	for (i = 0; i < n && i < diag.kept; i++) {
		snprintf(msg, sizeof(msg), "%s%s", path, want[i]);
		ck_assert_str_eq(config_diag_get(&diag, i), msg);
	}
	ck_assert_uint_eq(diag.kept, n);
	ck_assert_uint_eq(diag.count, 1);
	ck_assert_uint_eq(diag.warnings, n - 1);
	config_diag_clear(&diag);
}
END_TEST

/* With the AAA line removed, the Cisco file loads (the other lines of
 * other features ignored) and means what it did. */
START_TEST(test_cisco_config_migrated)
{
	static const int drop[] = { 44 };
	struct config_diag diag;
	struct config *cfg;
	const struct config_dial_peer *d;
	char path[1024], line[1100], *text;
	size_t len = 0, k = 0, i;
	int lineno = 0;
	FILE *f;

	f = fopen(src_path("tests/data/cisco-t37.conf", path, sizeof(path)), "r");
	ck_assert_ptr_nonnull(f);
	text = calloc(1, 65536);
	ck_assert_ptr_nonnull(text);
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (k < sizeof(drop) / sizeof(drop[0]) && drop[k] == lineno) {
			k++;
			strcpy(line, "!\n");    /* keep the line numbers */
		}
		len += (size_t)snprintf(text + len, 65536 - len, "%s", line);
	}
	fclose(f);
	config_diag_init(&diag);
	cfg = config_parse_buffer("cisco", text, len, &diag);
	for (i = 0; i < diag.kept; i++)
		if (!config_diag_is_warning(&diag, i))
			fprintf(stderr, "%s\n", config_diag_get(&diag, i));
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(diag.warnings, 20);
	ck_assert_str_eq(cfg->hostname, "fax-2811");
	ck_assert_uint_eq(cfg->mta_send.n_servers, 2);
	ck_assert_str_eq(cfg->mta_send.servers[0].host, "10.1.1.25");
	ck_assert(cfg->mta_send.mail_from.use_ani);
	ck_assert_str_eq(cfg->mta_send.mail_from.hostname, "fax-2811.example.com");
	ck_assert_str_eq(cfg->mta_send.return_receipt_to.username, "fax-admin");
	ck_assert_str_eq(cfg->mta_send.filename, "fax.tif");
	ck_assert(cfg->mta_send.filename_date);
	ck_assert_uint_eq(cfg->mta_receive.n_aliases, 2);
	ck_assert_str_eq(cfg->fax_send.transmitting_subscriber, "+19194724118");
	ck_assert_str_eq(cfg->fax_send.coverpage_comment, "Cisco T.37 Fax");
	d = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION, "9913170");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->tag, 200);
	ck_assert_int_eq(d->encoding, CONFIG_ENC_MH);
	ck_assert_uint_eq(d->dsn, SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE);
	d = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "19194724118");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->target, "sip:$d$@10.1.1.40");
	config_free(cfg);
	config_diag_clear(&diag);
	free(text);
}
END_TEST

/*
 * A whole IOS running-config loads as it is: one warning for each line of
 * another feature (and for the voip peers without a calling number),
 * none for a fax line, and the fax lines mean what they say.
 */
START_TEST(test_cisco_ios_full)
{
	struct config_diag diag;
	struct config *cfg;
	const struct config_dial_peer *d;
	char path[1024];
	size_t i;

	config_diag_init(&diag);
	cfg = config_load(src_path("tests/data/cisco-ios-full.conf", path, sizeof(path)), &diag);
	for (i = 0; i < diag.kept; i++)
		if (!config_diag_is_warning(&diag, i))
			fprintf(stderr, "%s\n", config_diag_get(&diag, i));
	ck_assert_ptr_nonnull(cfg);
	ck_assert_uint_eq(diag.count, 0);
	ck_assert_uint_eq(diag.warnings, 76);
	for (i = 0; i < diag.kept; i++)
		ck_assert(strstr(config_diag_get(&diag, i), ": warning: ") != NULL);
	ck_assert_str_eq(cfg->hostname, "fax-gw1");
	ck_assert_uint_eq(cfg->n_peers, 4);
	ck_assert_uint_eq(cfg->mta_send.n_servers, 2);
	ck_assert_uint_eq(cfg->mta_receive.maximum_recipients, 10);
	ck_assert(cfg->fax_send.coverpage && cfg->fax_send.coverpage_email_controllable);
	ck_assert_str_eq(cfg->fax_send.transmitting_subscriber, "+19194724118");
	d = config_match_peer(cfg, CONFIG_PEER_MMOIP, CONFIG_MATCH_DESTINATION, "9913170");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->tag, 200);
	ck_assert_int_eq(d->resolution, CONFIG_RES_FINE);
	ck_assert_str_eq(d->description, "onramp: the fax mailboxes");
	d = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "+19195551234");
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->tag, 400);
	ck_assert_str_eq(d->target, "sip:$d$@10.1.1.40");
	/* the POTS peers and their translation-profile are gone with them */
	ck_assert_ptr_null(config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION,
	    "95551234"));
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

/* The EXAMPLE of t37gw.conf(5) is a valid configuration. */
START_TEST(test_man_page_example)
{
	struct config_diag diag;
	struct config *cfg;
	char path[1024], line[1100], *text;
	size_t len = 0;
	bool in = false;
	FILE *f;

	f = fopen(src_path("docs/t37gw.conf.5", path, sizeof(path)), "r");
	ck_assert_ptr_nonnull(f);
	text = calloc(1, 65536);
	ck_assert_ptr_nonnull(text);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, ".EX", 3) == 0)
			in = true;
		else if (strncmp(line, ".EE", 3) == 0)
			in = false;
		else if (in)
			len += (size_t)snprintf(text + len, 65536 - len, "%s", line);
	}
	fclose(f);
	ck_assert_uint_gt(len, 1000);
	config_diag_init(&diag);
	cfg = config_parse_buffer("t37gw.conf.5", text, len, &diag);
	ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
	ck_assert_uint_eq(cfg->n_peers, 3);
	ck_assert_uint_eq(cfg->n_deny, 3);
	config_free(cfg);
	config_diag_clear(&diag);
	free(text);
}
END_TEST

START_TEST(test_unreadable_file)
{
	struct config_diag diag;

	config_diag_init(&diag);
	ck_assert_ptr_null(config_load("/nonexistent/t37gw.conf", &diag));
	ck_assert_uint_eq(diag.count, 1);
	ck_assert_str_eq(config_diag_get(&diag, 0),
	    "/nonexistent/t37gw.conf: cannot open: No such file or directory");
	config_diag_clear(&diag);
	config_diag_init(&diag);
	ck_assert_ptr_null(config_load("/", &diag));
	ck_assert_uint_eq(diag.count, 1);
	ck_assert_str_eq(config_diag_get(&diag, 0), "/: cannot read: Is a directory");
	config_diag_clear(&diag);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *
suite_config_files(void)
{
	Suite *s = suite_create("config_files");
	TCase *tc = tcase_create("tokenize");

	tcase_add_loop_test(tc, test_tokenize, 0, N(tok_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("files");
	tcase_add_test(tc, test_example_config);
	tcase_add_test(tc, test_five_mistakes);
	tcase_add_test(tc, test_cisco_config);
	tcase_add_test(tc, test_cisco_config_migrated);
	tcase_add_test(tc, test_cisco_ios_full);
	tcase_add_test(tc, test_man_page_example);
	tcase_add_test(tc, test_unreadable_file);
	suite_add_tcase(s, tc);
	return s;
}
