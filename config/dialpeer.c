/*
 * config/dialpeer: the `dial-peer voice TAG {voip|mmoip}` sub-mode: its
 * keyword table and handlers. A mmoip peer is the mail side (onramp:
 * destination-pattern -> session target mailto:; offramp: incoming
 * called-number says which numbers mail may fax); a voip peer is the SIP
 * side (destination-pattern -> session target sip:/trunk). POTS peers do
 * not exist here: t37gw has no telephony ports.
 *
 * Required parts and trunk names are checked after the pass (validate.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"
#include "smtp/smtp.h"

static struct config_dial_peer *new_peer(struct cfg_parser *p);
static int check_template(struct cfg_parser *p, const char *tmpl);
static void set_pattern(struct cfg_parser *p, const char *what, const char *text,
    struct config_pattern *pat, bool *has);

static cfg_handler cmd_incoming, cmd_destination, cmd_information_type,
    cmd_session_target, cmd_session_protocol, cmd_dsn, cmd_mdn, cmd_preference,
    cmd_max_conn, cmd_image_encoding, cmd_image_resolution, cmd_description,
    cmd_shutdown, cmd_direct_inward_dial, cmd_clid;

#define PEER CFG_MODE_PEER
#define MMOIP CFG_CMD_MMOIP_ONLY

const struct cfg_cmd cfg_peer_commands[] = {
	{ "incoming called-number", PEER, 0, 1, 1, cmd_incoming, "incoming called-number PATTERN" },
	{ "destination-pattern", PEER, 0, 1, 1, cmd_destination, "destination-pattern PATTERN" },
	{ "information-type", PEER, 0, 1, 1, cmd_information_type, "information-type fax" },
	{ "session target", PEER, 0, 1, 2, cmd_session_target,
	  "session target {mailto:TEMPLATE|sip:TEMPLATE|trunk NAME|ipv4:ADDRESS[:PORT]}" },
	{ "session protocol", PEER, 0, 1, 1, cmd_session_protocol,
	  "session protocol {smtp|sipv2}" },
	{ "dsn", PEER, MMOIP, 1, 1, cmd_dsn, "dsn {success|failure|delay}" },
	{ "mdn", PEER, MMOIP, 0, 0, cmd_mdn, "mdn" },
	{ "preference", PEER, 0, 1, 1, cmd_preference, "preference 0-10" },
	{ "max-conn", PEER, 0, 1, 1, cmd_max_conn, "max-conn N" },
	{ "image encoding", PEER, MMOIP, 1, 1, cmd_image_encoding,
	  "image encoding {mh|mr|mmr|passthrough}" },
	{ "image resolution", PEER, MMOIP, 1, 1, cmd_image_resolution,
	  "image resolution {fine|standard|superfine|passthrough}" },
	{ "description", PEER, 0, 1, -1, cmd_description, "description TEXT" },
	{ "shutdown", PEER, 0, 0, 0, cmd_shutdown, "shutdown" },
	{ "direct-inward-dial", PEER, 0, 0, 0, cmd_direct_inward_dial, "direct-inward-dial" },
	{ "clid", PEER, 0, 1, 2, cmd_clid, "clid {network-number NUMBER|restrict}" },
	{ NULL, 0, 0, 0, 0, NULL, NULL },
};

/* A fresh peer at the end of p->peers (NULL when out of memory). */
static struct config_dial_peer *
new_peer(struct cfg_parser *p)
{
	struct config_dial_peer *n;

	if (p->n_peers == p->cap_peers) {
		size_t cap = p->cap_peers ? p->cap_peers * 2 : 16;

		n = realloc(p->peers, cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		p->peers = n;
		p->cap_peers = cap;
	}
	n = &p->peers[p->n_peers++];
	memset(n, 0, sizeof(*n));
	return n;
}

/*
 * dial-peer voice TAG {voip|mmoip}. A header with an error still opens the
 * sub-mode on a scratch peer, so the lines under it are checked too; a
 * telephony type (pots, ...) skips the block after one warning.
 */
void
cfg_dial_peer(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const types[] = { "voip", "mmoip", NULL };
	static const char *const other[] = { "pots", "vofr", "voatm", "vohdlc", NULL };
	struct config_dial_peer *peer;
	unsigned long tag = 0;
	bool ok = true;
	size_t i;
	int t;

	(void)argc;
	for (i = 0; other[i] != NULL; i++)
		if (strcasecmp(argv[1], other[i]) == 0) {
			cfg_warn(p, "'dial-peer voice %s %s' ignored with the lines under it: "
			    "t37gw has no telephony ports; calls arrive over SIP (voip and "
			    "mmoip peers route them)", argv[0], argv[1]);
			p->mode = CFG_MODE_SKIP;
			return;
		}
	if (cfg_keyword(p, "dial-peer voice type", argv[1], types, &t) < 0) {
		p->mode = CFG_MODE_SKIP;
		return;
	}
	if (cfg_uint(p, "dial-peer tag", argv[0], 1, CONFIG_TAG_MAX, &tag) < 0)
		ok = false;
	for (i = 0; ok && i < p->n_peers; i++)
		if (p->peers[i].tag == tag) {
			cfg_err(p, "duplicate dial-peer tag %lu (first at line %u)", tag,
			    p->peers[i].line);
			ok = false;
		}
	if (ok && p->n_peers == CONFIG_MAX_DIAL_PEERS) {
		cfg_err(p, "too many dial-peers (at most %d)", CONFIG_MAX_DIAL_PEERS);
		ok = false;
	}
	peer = NULL;
	if (ok && (peer = new_peer(p)) == NULL)
		cfg_err(p, "out of memory");
	if (peer == NULL) {
		memset(&p->scratch, 0, sizeof(p->scratch));
		peer = &p->scratch;
	}
	peer->tag = (unsigned)tag;
	peer->type = (enum config_peer_type)t;
	peer->trunk = -1;
	peer->encoding = CONFIG_ENC_MH;        /* Profile S unless told */
	peer->resolution = CONFIG_RES_PASSTHROUGH;
	peer->line = p->line;
	p->peer = peer;
	p->mode = CFG_MODE_PEER;
}

static void
set_pattern(struct cfg_parser *p, const char *what, const char *text,
    struct config_pattern *pat, bool *has)
{
	char err[128];

	if (*has) {
		cfg_err(p, "'%s' given twice in dial-peer voice %u", what, p->peer->tag);
		return;
	}
	if (config_pattern_compile(pat, text, err, sizeof(err)) < 0) {
		cfg_err(p, "bad %s '%s': %s", what, text, err);
		return;
	}
	*has = true;
}

static void
cmd_incoming(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	set_pattern(p, "incoming called-number", argv[0], &p->peer->incoming,
	    &p->peer->has_incoming);
}

static void
cmd_destination(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	set_pattern(p, "destination-pattern", argv[0], &p->peer->destination,
	    &p->peer->has_destination);
}

static void
cmd_information_type(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	if (strcasecmp(argv[0], "fax") != 0) {
		cfg_err(p, "information-type '%s' is not supported (only fax)", argv[0]);
		return;
	}
	p->peer->information_fax = true;
}

/* Only $d$ $s$ $m$ may appear in a target template. */
static int
check_template(struct cfg_parser *p, const char *tmpl)
{
	const char *c;

	for (c = tmpl; (c = strchr(c, '$')) != NULL; c++) {
		if (c[1] == '\0' || c[2] != '$' || strchr("dsm", c[1]) == NULL) {
			cfg_err(p, "unknown token '%.3s' in session target (expected $d$ $s$ $m$)", c);
			return -1;
		}
		c += 2;
	}
	for (c = tmpl; *c != '\0'; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 0x7f || strchr("<>\"", *c)) {
			cfg_err(p, "bad character '%c' in session target '%s'", *c, tmpl);
			return -1;
		}
	return 0;
}

/*
 * session target mailto:TMPL (mmoip), sip:TMPL | trunk NAME (voip), and
 * Cisco's ipv4:ADDR[:PORT] / dns:HOST[:PORT], read as sip:$d$@ADDR[:PORT].
 */
static void
cmd_session_target(struct cfg_parser *p, int argc, char **argv)
{
	struct config_dial_peer *peer = p->peer;
	enum config_target_kind kind;
	char buf[CONFIG_STR_MAX + 16];
	const char *arg = argv[0];

	if (peer->target_kind != CONFIG_TARGET_NONE) {
		cfg_err(p, "'session target' given twice in dial-peer voice %u", peer->tag);
		return;
	}
	if (strcasecmp(arg, "trunk") == 0) {
		if (argc != 2) {
			cfg_err(p, "'session target trunk' needs a trunk NAME");
			return;
		}
		kind = CONFIG_TARGET_TRUNK;
		arg = argv[1];
	} else if (argc == 2) {
		cfg_err(p, "unexpected '%s' after 'session target %s'", argv[1], argv[0]);
		return;
	} else if (strncasecmp(arg, "mailto:", 7) == 0) {
		kind = CONFIG_TARGET_MAILTO;
		arg += 7;
		if (strchr(arg, '@') == NULL || arg[0] == '@' || strchr(arg, '@')[1] == '\0') {
			cfg_err(p, "bad session target '%s' (expected mailto:USER@DOMAIN)", argv[0]);
			return;
		}
	} else if (strncasecmp(arg, "sip:", 4) == 0 || strncasecmp(arg, "sips:", 5) == 0) {
		const char *host = strchr(arg, ':') + 1;

		kind = CONFIG_TARGET_SIP;
		if (strchr(host, '@') != NULL)
			host = strchr(host, '@') + 1;
		if (*host == '\0' || *host == ':' || *host == ';') {
			cfg_err(p, "bad session target '%s': no host", argv[0]);
			return;
		}
	} else if (strncasecmp(arg, "ipv4:", 5) == 0 || strncasecmp(arg, "dns:", 4) == 0) {
		kind = CONFIG_TARGET_SIP;
		if (arg[strcspn(arg, ":") + 1] == '\0') {
			cfg_err(p, "bad session target '%s': no host", argv[0]);
			return;
		}
		snprintf(buf, sizeof(buf), "sip:$d$@%s", arg + strcspn(arg, ":") + 1);
		arg = buf;
	} else {
		cfg_err(p, "bad session target '%s' (expected mailto:, sip:, trunk NAME or ipv4:)",
		    argv[0]);
		return;
	}
	if (kind == CONFIG_TARGET_MAILTO && peer->type != CONFIG_PEER_MMOIP) {
		cfg_err(p, "session target '%s' needs a mmoip dial-peer (voip peers target "
		    "sip: or trunk)", argv[0]);
		return;
	}
	if (kind != CONFIG_TARGET_MAILTO && peer->type == CONFIG_PEER_MMOIP) {
		cfg_err(p, "session target '%s' needs a voip dial-peer (mmoip peers target mailto:)",
		    argv[argc - 1]);
		return;
	}
	if (kind != CONFIG_TARGET_TRUNK && check_template(p, arg) < 0)
		return;
	if (cfg_copy(p, "session target", arg, peer->target, sizeof(peer->target)) < 0)
		return;
	peer->target_kind = kind;
	peer->target_line = p->line;
}

/* smtp on mmoip peers, sipv2 on voip peers: both what t37gw speaks anyway. */
static void
cmd_session_protocol(struct cfg_parser *p, int argc, char **argv)
{
	const char *want = p->peer->type == CONFIG_PEER_MMOIP ? "smtp" : "sipv2";

	(void)argc;
	if (strcasecmp(argv[0], want) != 0) {
		cfg_err(p, "session protocol '%s' is not supported on a %s dial-peer (only %s)",
		    argv[0], p->peer->type == CONFIG_PEER_MMOIP ? "mmoip" : "voip", want);
		return;
	}
	if (p->peer->type == CONFIG_PEER_MMOIP)
		p->peer->session_protocol_smtp = true;
}

static void
cmd_dsn(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "success", "failure", "delay", NULL };
	static const unsigned bits[] = {
		SMTP_NOTIFY_SUCCESS, SMTP_NOTIFY_FAILURE, SMTP_NOTIFY_DELAY,
	};
	int v;

	(void)argc;
	if (cfg_keyword(p, "dsn", argv[0], names, &v) == 0)
		p->peer->dsn |= bits[v];
}

static void
cmd_mdn(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->peer->mdn = true;
}

static void
cmd_preference(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "preference", argv[0], 0, CONFIG_MAX_PREFERENCE, &v) == 0)
		p->peer->preference = (unsigned)v;
}

static void
cmd_max_conn(struct cfg_parser *p, int argc, char **argv)
{
	unsigned long v;

	(void)argc;
	if (cfg_uint(p, "max-conn", argv[0], 1, CONFIG_CALLS_MAX, &v) == 0)
		p->peer->max_conn = (unsigned)v;
}

static void
cmd_image_encoding(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "passthrough", "mh", "mr", "mmr", NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "image encoding", argv[0], names, &v) == 0)
		p->peer->encoding = (enum config_image_encoding)v;
}

static void
cmd_image_resolution(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "passthrough", "standard", "fine", "superfine",
	    NULL };
	int v;

	(void)argc;
	if (cfg_keyword(p, "image resolution", argv[0], names, &v) < 0)
		return;
	if (v == CONFIG_RES_SUPERFINE) {
		cfg_err(p, "'image resolution superfine' is not supported: the mailed TIFF (RFC "
		    "3949 Profile S) has standard or fine rows; superfine pages are mailed at "
		    "fine");
		return;
	}
	p->peer->resolution = (enum config_image_resolution)v;
	p->peer->resolution_line = p->line;
}

static void
cmd_description(struct cfg_parser *p, int argc, char **argv)
{
	cfg_text(p, "description", argc, argv, p->peer->description,
	    sizeof(p->peer->description));
}

static void
cmd_shutdown(struct cfg_parser *p, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	p->peer->shutdown = true;
}

/* Accepted for Cisco configs: t37gw always routes on the called number. */
static void
cmd_direct_inward_dial(struct cfg_parser *p, int argc, char **argv)
{
	(void)p;
	(void)argc;
	(void)argv;
}

/*
 * clid network-number NUMBER: the calling number of offramp calls through
 * this voip peer (From user, P-Asserted-Identity, TSI when it follows the
 * calling number). clid restrict: Privacy: id, an anonymous From (RFC
 * 3323, 3325). Cisco's other clid forms change calls t37gw never places.
 */
static void
cmd_clid(struct cfg_parser *p, int argc, char **argv)
{
	static const char *const names[] = { "network-number", "restrict", NULL };
	struct config_dial_peer *peer = p->peer;
	int v;

	if (peer->type != CONFIG_PEER_VOIP) {
		cfg_err(p, "'clid' is only valid under a voip dial-peer");
		return;
	}
	if (cfg_keyword(p, "clid", argv[0], names, &v) < 0)
		return;
	if (v == 0) {
		if (argc != 2) {
			cfg_err(p, "'clid network-number' needs a NUMBER");
			return;
		}
		cfg_calling_number(p, "clid network-number", argv[1], peer->clid_number,
		    sizeof(peer->clid_number));
		return;
	}
	if (argc != 1) {
		cfg_err(p, "unexpected '%s' after 'clid restrict'", argv[1]);
		return;
	}
	peer->clid_restrict = true;
}
