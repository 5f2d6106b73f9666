/* Unit tests for config/: the tokenizer, and whole files: the shipped
 * example, the five-mistakes file, a real Cisco T.37 configuration, and
 * config_load() on missing files. Files are found from $SRCDIR, else from
 * the current directory (tests run from the repository root). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

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

/* A real IOS T.37 gateway: every line is accepted or gets its own error. */
START_TEST(test_cisco_config)
{
	static const char *const want[] = {
		":6: 'service' is not supported: IOS platform configuration does not apply to "
		    "t37gw; remove it",
		":9: 'boot-start-marker' is not supported: IOS platform configuration does not "
		    "apply to t37gw; remove it",
		":10: 'boot-end-marker' is not supported: IOS platform configuration does not "
		    "apply to t37gw; remove it",
		":12: 'ip' is not supported: IOS platform configuration does not apply to t37gw; "
		    "remove it",
		":13: 'ip' is not supported: IOS platform configuration does not apply to t37gw; "
		    "remove it",
		":15: 'voice service' is not supported: SIP settings are under 'sip', fax relay "
		    "under 'sip t38'",
		":20: 'fax interface-type' is not supported: t37gw always works as a fax-mail "
		    "gateway; remove the line",
		":37: 'call application' is not supported: onramp and offramp are built in; "
		    "remove the line",
		":38: 'call application' is not supported: onramp and offramp are built in; "
		    "remove the line",
		":40: 'interface' is not supported: IOS platform configuration does not apply to "
		    "t37gw; remove it",
		":44: 'mmoip aaa' is not supported: AAA is not implemented; use 'mta receive "
		    "auth' and 'mta receive allow'",
		":56: 'dial-peer voice 1 pots' is not supported: t37gw has no telephony ports; "
		    "calls arrive over SIP (use voip and mmoip peers)",
		":63: 'application' is not supported: onramp and offramp are built in; remove "
		    "the line",
		":74: 'application' is not supported: onramp and offramp are built in; remove "
		    "the line",
		":78: 'dial-peer voice 400 pots' is not supported: t37gw has no telephony ports; "
		    "calls arrive over SIP (use voip and mmoip peers)",
		":87: 'codec' is only valid under sip, not under dial-peer voice",
		":88: 'fax rate' is not supported: use 'fax send max-speed'",
		":89: 'no' is not supported: 'no' forms are not implemented; leave the command out",
		":91: 'line' is not supported: IOS platform configuration does not apply to "
		    "t37gw; remove it",
		":92: 'line' is not supported: IOS platform configuration does not apply to "
		    "t37gw; remove it",
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
	ck_assert_uint_eq(diag.count, n);
	config_diag_clear(&diag);
}
END_TEST

/* With the unsupported lines removed, the Cisco file loads and means what it did. */
START_TEST(test_cisco_config_migrated)
{
	static const int drop[] = { 6, 9, 10, 12, 13, 15, 16, 17, 18, 20, 37, 38, 40, 41, 42, 44,
	    56, 57, 58, 59, 60, 63, 74, 78, 79, 80, 81, 87, 88, 89, 91, 92, 93 };
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
		fprintf(stderr, "%s\n", config_diag_get(&diag, i));
	ck_assert_ptr_nonnull(cfg);
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
	ck_assert_uint_eq(d->dsn, CONFIG_DSN_SUCCESS | CONFIG_DSN_FAILURE);
	d = config_match_peer(cfg, CONFIG_PEER_VOIP, CONFIG_MATCH_DESTINATION, "19194724118");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(d->target, "sip:$d$@10.1.1.40");
	config_free(cfg);
	config_diag_clear(&diag);
	free(text);
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
	tcase_add_test(tc, test_man_page_example);
	tcase_add_test(tc, test_unreadable_file);
	suite_add_tcase(s, tc);
	return s;
}
