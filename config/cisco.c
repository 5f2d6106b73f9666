/*
 * config/cisco: the lines of a Cisco IOS running-config that belong to
 * features t37gw does not have (interfaces, routing, voice ports, POTS
 * dial-peers, H.323, console lines, banners, ...). Each is ignored with one
 * warning that says why, a block together with the lines under it, so that
 * an IOS configuration loads as it is and does what its fax lines say.
 *
 * Lines that concern fax but cannot be honoured (AAA, digit manipulation,
 * number translation on a dial-peer) stay errors: ignoring them would
 * change which numbers are called or who may send. Those are in the
 * cfg_unsupported table of commands.c. The 'no' forms of t37gw's own
 * commands are errors too (the setting cannot be turned off that way).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

#define TOP CFG_MODE_TOP
#define PEER CFG_MODE_PEER
#define ANY (CFG_MODE_TOP | CFG_MODE_PEER)

#define PLATFORM "IOS platform configuration does not apply to t37gw"
#define NOPORTS "t37gw has no telephony ports; calls arrive over SIP"
#define BUILTIN "onramp and offramp are built in"
#define SIPSET "SIP settings are under 'sip' and 'trunk'"

static int ignored_match(const struct cfg_ignored *g, unsigned mode, int argc,
    char **argv);
static bool banner_start(struct cfg_parser *p, const char *line);

/* Longest words first where two entries share a prefix does not matter:
 * the lookup takes the longest match. */
const struct cfg_ignored cfg_ignored[] = {
	/* Output of "show running-config" around the configuration. */
	{ "building configuration...", TOP, false, "a line of 'show running-config' output" },
	{ "current configuration", TOP, false, "a line of 'show running-config' output" },
	/* Voice features other than fax. */
	{ "voice service", TOP, true, SIPSET "; T.38 is set with 't38' under them" },
	{ "voice-port", TOP, true, NOPORTS },
	{ "voice-card", TOP, true, NOPORTS },
	{ "voice class", TOP, true, "voice classes are not used; codecs and T.38 are set "
	  "under 'sip'" },
	{ "voice translation-rule", TOP, true, "number translation is not implemented "
	  "(a dial-peer that uses it is an error)" },
	{ "voice translation-profile", TOP, true, "number translation is not implemented "
	  "(a dial-peer that uses it is an error)" },
	{ "voice register", TOP, true, "SIP phone registration is not a fax feature" },
	{ "voice call", TOP, false, "not a fax feature" },
	{ "voice rtp", TOP, false, "not a fax feature" },
	{ "voice hpi", TOP, false, "not a fax feature" },
	{ "voice statistics", TOP, false, "not a fax feature" },
	{ "telephony-service", TOP, true, "not a fax feature" },
	{ "ephone", TOP, true, "not a fax feature" },
	{ "ephone-dn", TOP, true, "not a fax feature" },
	{ "dial-peer cor", TOP, true, "class of restriction does not apply; use "
	  "'fax deny-pattern'" },
	{ "dial-peer search", TOP, false, "dial-peers are chosen by the most specific pattern" },
	{ "dial-peer hunt", TOP, false, "dial-peers are chosen by the most specific pattern" },
	{ "stcapp", TOP, true, "not a fax feature" },
	{ "sccp", TOP, true, "not a fax feature" },
	{ "ccm-manager", TOP, false, "not a fax feature" },
	{ "mgcp", TOP, true, "not a fax feature" },
	{ "gatekeeper", TOP, true, "H.323 does not apply" },
	{ "gateway", TOP, true, "H.323 does not apply" },
	{ "sip-ua", TOP, true, SIPSET " (registrar and credentials: 'register' and 'auth' "
	  "under 'trunk')" },
	{ "dspfarm", TOP, true, NOPORTS },
	{ "fax interface-type", TOP, false, "t37gw always works as a fax-mail gateway" },
	{ "fax protocol", ANY, false, "T.38 is set with 't38' under 'sip' or 'trunk'" },
	{ "fax rate", PEER, false, "the speed is set with 'fax send max-speed'" },
	{ "fax-relay", ANY, false, "ECM and speed are set with 'fax send ecm' and 'fax send "
	  "max-speed'" },
	{ "mmoip aaa send-accounting", TOP, false, "accounting is not implemented; every "
	  "call and message has its log line" },
	{ "mmoip aaa receive-accounting", TOP, false, "accounting is not implemented; every "
	  "call and message has its log line" },
	{ "mmoip aaa method fax accounting", TOP, false, "accounting is not implemented; "
	  "every call and message has its log line" },
	{ "call application", TOP, false, BUILTIN },
	{ "application", TOP, true, BUILTIN },
	{ "application", PEER, false, BUILTIN },
	/* Dial-peer lines of voice calls. */
	{ "codec", PEER, false, "codecs are set with 'codec' under 'sip'" },
	{ "voice-class", PEER, false, "voice classes are not used" },
	{ "dtmf-relay", PEER, false, "fax calls carry no DTMF" },
	{ "vad", PEER, false, "voice activity detection is always off for fax" },
	{ "session transport", PEER, false, "the transport follows 'listen' under 'sip'" },
	{ "ip qos", PEER, false, "not a fax feature" },
	{ "modem passthrough", PEER, false, "not a fax feature" },
	{ "playout-delay", PEER, false, "the jitter buffer is fixed for fax" },
	{ "huntstop", PEER, false, "dial-peers are chosen by the most specific pattern" },
	{ "progress_ind", PEER, false, "not a fax feature" },
	{ "rtp payload-type", PEER, false, "not a fax feature" },
	{ "supplementary-service", PEER, false, "not a fax feature" },
	{ "corlist", PEER, false, "class of restriction does not apply; use "
	  "'fax deny-pattern'" },
	/* The platform. */
	{ "service", TOP, false, PLATFORM },
	{ "boot", TOP, false, PLATFORM },
	{ "boot-start-marker", TOP, false, PLATFORM },
	{ "boot-end-marker", TOP, false, PLATFORM },
	{ "enable", TOP, false, PLATFORM },
	{ "username", TOP, false, PLATFORM },
	{ "aaa", TOP, false, PLATFORM },
	{ "logging", TOP, false, PLATFORM },
	{ "ntp", TOP, false, PLATFORM },
	{ "clock", TOP, false, PLATFORM },
	{ "snmp-server", TOP, false, PLATFORM },
	{ "snmp", TOP, false, PLATFORM },
	{ "access-list", TOP, false, PLATFORM },
	{ "radius-server", TOP, false, PLATFORM },
	{ "radius", TOP, true, PLATFORM },
	{ "tacacs-server", TOP, false, PLATFORM },
	{ "tacacs", TOP, true, PLATFORM },
	{ "ip", TOP, false, PLATFORM },
	{ "ipv6", TOP, false, PLATFORM },
	{ "interface", TOP, true, PLATFORM },
	{ "controller", TOP, true, PLATFORM },
	{ "isdn", TOP, false, PLATFORM },
	{ "router", TOP, true, PLATFORM },
	{ "line", TOP, true, PLATFORM },
	{ "control-plane", TOP, true, PLATFORM },
	{ "card", TOP, false, PLATFORM },
	{ "network-clock-participate", TOP, false, PLATFORM },
	{ "network-clock-select", TOP, false, PLATFORM },
	{ "memory-size", TOP, false, PLATFORM },
	{ "multilink", TOP, false, PLATFORM },
	{ "license", TOP, false, PLATFORM },
	{ "archive", TOP, true, PLATFORM },
	{ "redundancy", TOP, true, PLATFORM },
	{ "crypto", TOP, true, PLATFORM },
	{ "security", TOP, false, PLATFORM },
	{ "login", TOP, false, PLATFORM },
	{ "spanning-tree", TOP, false, PLATFORM },
	{ "vtp", TOP, false, PLATFORM },
	{ "vlan", TOP, true, PLATFORM },
	{ "cdp", TOP, false, PLATFORM },
	{ "lldp", TOP, false, PLATFORM },
	{ "alias", TOP, false, PLATFORM },
	{ "privilege", TOP, false, PLATFORM },
	{ "file", TOP, false, PLATFORM },
	{ "scheduler", TOP, false, PLATFORM },
	{ "process-max-time", TOP, false, PLATFORM },
	{ "exception", TOP, false, PLATFORM },
	{ "hw-module", TOP, false, PLATFORM },
	{ "platform", TOP, false, PLATFORM },
	{ "diagnostic", TOP, false, PLATFORM },
	{ "class-map", TOP, true, PLATFORM },
	{ "policy-map", TOP, true, PLATFORM },
	{ "route-map", TOP, true, PLATFORM },
	{ "object-group", TOP, true, PLATFORM },
	{ "parameter-map", TOP, true, PLATFORM },
	{ "zone", TOP, true, PLATFORM },
	{ "zone-pair", TOP, true, PLATFORM },
	{ "key", TOP, true, PLATFORM },
	{ "track", TOP, true, PLATFORM },
	{ "event", TOP, true, PLATFORM },
	{ "kron", TOP, true, PLATFORM },
	{ "template", TOP, true, PLATFORM },
	{ "subscriber", TOP, false, PLATFORM },
	{ "wsma", TOP, true, PLATFORM },
	{ "cts", TOP, false, PLATFORM },
	{ NULL, 0, false, NULL },
};

/* Number of words of g matching argv in mode, else 0. */
static int
ignored_match(const struct cfg_ignored *g, unsigned mode, int argc, char **argv)
{
	if ((g->modes & mode) == 0)
		return 0;
	return cfg_words_match(g->words, argc, argv);
}

const struct cfg_ignored *
cfg_find_ignored(unsigned mode, int argc, char **argv, int *nwords)
{
	const struct cfg_ignored *g, *best = NULL;
	int bestn = 0, n;

	for (g = cfg_ignored; g->words != NULL; g++) {
		n = ignored_match(g, mode, argc, argv);
		if (n > bestn) {
			best = g;
			bestn = n;
		}
	}
	*nwords = bestn;
	return best;
}

void
cfg_ignore(struct cfg_parser *p, const struct cfg_ignored *g, bool indented)
{
	cfg_warn(p, "'%s' ignored%s: %s", g->words,
	    g->block && !indented ? " with the lines under it" : "", g->why);
	if (g->block && !indented)
		p->mode = CFG_MODE_SKIP;
}

/*
 * "banner TYPE <d>text<d>": the text runs, over any number of lines, to
 * the next delimiter <d> (one character; IOS shows ^C as the two
 * characters "^C"). The text may hold anything, so the lines are taken
 * raw, before they are split into words.
 */
static bool
banner_start(struct cfg_parser *p, const char *line)
{
	const char *s = line, *d;
	size_t dlen;

	if (strncasecmp(s, "banner", 6) != 0 || (s[6] != ' ' && s[6] != '\t'))
		return false;
	s += 6;
	while (*s == ' ' || *s == '\t')
		s++;
	s += strcspn(s, " \t");                 /* motd, exec, login, ... */
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0') {
		cfg_err(p, "'banner' without a delimiter");
		return true;
	}
	d = s;
	dlen = d[0] == '^' && d[1] != '\0' ? 2 : 1;
	memcpy(p->banner_delim, d, dlen);
	p->banner_delim[dlen] = '\0';
	cfg_warn(p, "'banner' ignored with its text: " PLATFORM);
	if (strstr(d + dlen, p->banner_delim) == NULL) {
		p->mode = CFG_MODE_BANNER;
		p->banner_line = p->line;
	}
	return true;
}

void
cfg_cisco_end(struct cfg_parser *p)
{
	/* Else every line after it would have been taken for banner text. */
	if (p->mode == CFG_MODE_BANNER)
		cfg_err_line(p, p->banner_line, "the text of this 'banner' never ends: no line "
		    "holds its delimiter '%s'", p->banner_delim);
}

bool
cfg_cisco_raw_line(struct cfg_parser *p, const char *line, bool indented)
{
	if (p->mode == CFG_MODE_BANNER) {
		if (strstr(line, p->banner_delim) != NULL)
			p->mode = CFG_MODE_TOP;
		return true;
	}
	if (indented)
		return false;
	return banner_start(p, line);
}

/*
 * "no X": a negated line of another feature is ignored like the line
 * itself; a negated t37gw command is an error (leave the command out).
 */
void
cfg_cisco_no(struct cfg_parser *p, int argc, char **argv, bool known)
{
	char words[CONFIG_LINE_MAX];
	size_t off = 0;
	int i;

	words[0] = '\0';
	for (i = 1; i < argc && i < 4 && off < sizeof(words); i++)
		off += snprintf(words + off, sizeof(words) - off, "%s%s", i > 1 ? " " : "",
		    argv[i]);
	if (known)
		cfg_err(p, "'no %s': 'no' forms of t37gw commands are not implemented; leave the "
		    "command out", words);
	else
		cfg_warn(p, "'no %s' ignored: not a t37gw command", words);
}
