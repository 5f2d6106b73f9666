/* Unit tests for config/: every error message. Each row is a config text
 * (named "t") and the exact diagnostics it must produce, in order; the
 * load must fail. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

#define MD "mta send maildir m\n"
#define PLATFORM "IOS platform configuration does not apply to t37gw; remove it"
#define VOIP "dial-peer voice 1 voip\n destination-pattern 1\n session target sip:a@b\n"
#define MMOIP "dial-peer voice 1 mmoip\n incoming called-number 1\n information-type fax\n"

static const struct {
	const char *text;
	const char *msgs[3];
} bad_cases[] = {
	/* Words and lines */
	{ "hostname \"a", { "t:1: unterminated quoted string" } },
	{ "hostname \"a\"b", { "t:1: missing blank after quoted string" } },
	{ "hostname a\"b", { "t:1: quote inside word 'a\"'" } },
	{ "hostname a\x01", { "t:1: control character 0x01 in line" } },
	{ "a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7",
	  { "t:1: too many words (at most 32)" } },
	/* Commands and sub-modes */
	{ "hostnme x", { "t:1: unknown command 'hostnme'" } },
	{ "mta send frob", { "t:1: unknown command 'mta send frob'" } },
	{ "mta", { "t:1: incomplete command 'mta'" } },
	{ "mta send", { "t:1: incomplete command 'mta send'" } },
	{ "fax send ecmm on", { "t:1: unknown command 'fax send ecmm'" } },
	{ "destination-pattern 1", { "t:1: 'destination-pattern' is only valid under dial-peer voice" } },
	{ "listen udp 1.2.3.4 5", { "t:1: 'listen' is only valid under sip" } },
	{ "incoming called-number 1",
	  { "t:1: 'incoming called-number' is only valid under dial-peer voice" } },
	{ "sip\n mta send subject x",
	  { "t:2: 'mta send subject' is a top-level command, not valid under sip" } },
	{ "t38 on", { "t:1: 't38' is only valid under sip or trunk" } },
	{ "sip\n proxy sip:x", { "t:2: 'proxy' is only valid under trunk, not under sip" } },
	{ "sip\n hostname x", { "t:2: 'hostname' is a top-level command, not valid under sip" } },
	{ " hostname x", { "t:1: indented line 'hostname' but no sub-mode is open" } },
	{ "sip\n exit\n t38 on", { "t:3: indented line 't38' but no sub-mode is open" } },
	{ " exit", { "t:1: 'exit' outside a sub-mode" } },
	{ "hostname", { "t:1: 'hostname' is incomplete (usage: hostname NAME)" } },
	{ "hostname a b", { "t:1: unexpected 'b' after 'hostname' (usage: hostname NAME)" } },
	{ "sip x", { "t:1: unexpected 'x' after 'sip' (usage: sip)" } },
	/* Global */
	{ "spool \"\"", { "t:1: empty value for spool" } },
	{ "hostname -bad", { "t:1: bad host name '-bad'" } },
	{ "hostname a..b", { "t:1: bad host name 'a..b'" } },
	{ "log file", { "t:1: bad value 'file' for log (expected stderr|syslog)" } },
	{ "log syslog lvl debug", { "t:1: unexpected 'lvl' after 'log syslog' (usage: log "
	  "{stderr|syslog} [level err|warn|info|debug])" } },
	{ "log syslog level loud",
	  { "t:1: bad value 'loud' for log level (expected err|warn|info|debug)" } },
	{ "user r/t", { "t:1: bad user name 'r/t'" } },
	{ "shutdown-deadline 99999", { "t:1: shutdown-deadline 99999 is out of range (0-3600)" } },
	{ "shutdown-deadline abc", { "t:1: 'abc' is not a number (shutdown-deadline)" } },
	{ "cdr cdr.json", { "t:1: cdr 'cdr.json' is not an absolute path" } },
	{ "cdr /var/log/t37gw/", { "t:1: cdr '/var/log/t37gw/' names a directory, not a file" } },
	{ "cdr \"\"", { "t:1: cdr '' is not an absolute path" } },
	{ "cdr /a /b", { "t:1: unexpected '/b' after 'cdr' (usage: cdr FILE)" } },
	{ "cdr", { "t:1: 'cdr' is incomplete (usage: cdr FILE)" } },
	{ "shutdown-deadline -1", { "t:1: '-1' is not a number (shutdown-deadline)" } },
	{ "shutdown-deadline 5s", { "t:1: '5s' is not a number (shutdown-deadline)" } },
	{ "shutdown-deadline 99999999999999999999999",
	  { "t:1: shutdown-deadline 99999999999999999999999 is out of range (0-3600)" } },
	/* sip */
	{ "sip\n listen sctp 127.0.0.1 5060",
	  { "t:2: bad value 'sctp' for sip listen (expected udp|tcp)" } },
	{ "sip\n listen udp 1.2.3 5060", { "t:2: bad address '1.2.3' for sip listen" } },
	{ "sip\n listen udp ::g 5060", { "t:2: bad address '::g' for sip listen" } },
	{ "sip\n listen udp 127.0.0.1 0", { "t:2: port 0 is out of range (1-65535)" } },
	{ "sip\n listen udp 127.0.0.1 1\n listen udp 127.0.0.1 2\n listen udp 127.0.0.1 3\n"
	  " listen udp 127.0.0.1 4\n listen udp 127.0.0.1 5\n listen udp 127.0.0.1 6\n"
	  " listen udp 127.0.0.1 7\n listen udp 127.0.0.1 8\n listen udp 127.0.0.1 9",
	  { "t:10: too many 'listen' lines under sip (at most 8)" } },
	{ "sip\n t38 maybe", { "t:2: bad value 'maybe' for t38 (expected off|on|immediate)" } },
	{ "sip\n codec g729r8",
	  { "t:2: codec 'g729r8' is not supported: fax needs G.711 (pcmu or pcma)" } },
	{ "sip\n codec pcmu g711ulaw", { "t:2: codec 'g711ulaw' listed twice" } },
	{ "sip\n codec speex",
	  { "t:2: bad value 'speex' for codec (expected pcmu|pcma|g711ulaw|g711alaw)" } },
	{ "sip\n rtp-ports 10001 20000",
	  { "t:2: rtp-ports MIN 10001 must be even (RTP uses even ports)" } },
	{ "sip\n rtp-ports 20000 20001", { "t:2: rtp-ports MAX 20001 must be above MIN 20000 + 1" } },
	{ "sip\n rtp-ports 80 20000", { "t:2: rtp-ports MIN 80 is out of range (1024-65534)" } },
	{ "sip\n rtp-ports 20000 20009\n max-calls 30",
	  { "t:3: sip rtp-ports 20000-20009 hold 5 calls, fewer than max-calls 30" } },
	{ "sip\n max-calls 0", { "t:2: max-calls 0 is out of range (1-10000)" } },
	{ "sip\n media-timeout 4", { "t:2: media-timeout 4 is out of range (5-3600)" } },
	{ "sip\n media-timeout 30s", { "t:2: '30s' is not a number (media-timeout)" } },
	/* trunk */
	{ "trunk a/b", { "t:1: bad trunk name 'a/b' (letters, digits, '.', '_', '-')" } },
	{ "trunk a\n proxy sip:x\ntrunk a\n proxy sip:y\n max-calls -1",
	  { "t:3: duplicate trunk 'a' (first at line 1)",
	    "t:5: '-1' is not a number (max-calls)" } },
	{ "trunk a", { "t:1: trunk 'a' needs a 'proxy sip:...' line" } },
	{ "trunk a\n proxy http://x",
	  { "t:1: trunk 'a' needs a 'proxy sip:...' line",
	    "t:2: bad proxy 'http://x' (expected sip:HOST[:PORT])" } },
	{ "trunk a\n proxy sip:x\n proxy sip:", { "t:3: bad proxy 'sip:': no host" } },
	{ "trunk a\n proxy sip:x\n auth u p\n register 5",
	  { "t:4: register expires 5 is out of range (60-86400)" } },
	{ "trunk a\n proxy sip:x\n register", { "t:1: trunk 'a' registers but has no 'auth' line" } },
	{ "trunk a\n proxy sip:x\n max-calls x", { "t:3: 'x' is not a number (max-calls)" } },
	/* mta send */
	{ "mta send server bad_host!",
	  { "t:1: bad mail server 'bad_host!' (expected a host name or an address)" } },
	{ "mta send server a.b prt 25", { "t:1: unexpected 'prt' after 'mta send server a.b' "
	  "(usage: mta send server HOST [port N])" } },
	{ "mta send server a.b 25", { "t:1: unexpected '25' after 'mta send server a.b' "
	  "(usage: mta send server HOST [port N])" } },
	{ "mta send server a.b port 0", { "t:1: port 0 is out of range (1-65535)" } },
	{ "mta send server a1\nmta send server a2\nmta send server a3\nmta send server a4\n"
	  "mta send server a5\nmta send server a6\nmta send server a7\nmta send server a8\n"
	  "mta send server a9\nmta send server a10\nmta send server a11",
	  { "t:11: too many 'mta send server' lines (at most 10)" } },
	{ "mta send mail-from nobody", { "t:1: bad mail address 'nobody' for mta send mail-from" } },
	{ "mta send mail-from host x", { "t:1: bad value 'host' for mta send mail-from "
	  "(expected ADDRESS, hostname H or username U)" } },
	{ "mta send mail-from hostname -x", { "t:1: bad host name '-x' for mta send mail-from" } },
	{ "mta send mail-from username a<b", { "t:1: bad user name 'a<b' for mta send mail-from" } },
	{ "mta send postmaster pm", { "t:1: bad mail address 'pm' for mta send postmaster" } },
	{ "mta send with-subject all", { "t:1: bad value 'all' for mta send with-subject "
	  "(expected none|$d$|$s$|both)" } },
	{ "mta send attachment png", { "t:1: bad value 'png' for mta send attachment "
	  "(expected tiff|pdf|both)" } },
	{ "mta send preview large", { "t:1: unexpected 'large' after 'mta send preview' "
	  "(usage: mta send preview)" } },
	{ "mta send return-receipt-to hostname example.com",
	  { "t:1: 'mta send return-receipt-to hostname' needs a 'mta send return-receipt-to "
	    "username' line too" } },
	{ "mta send filename a/b", { "t:1: bad file name 'a/b' (no '/', '\\', quote or blank)" } },
	{ "mta send filename fax daily", { "t:1: unexpected 'daily' after 'mta send filename fax' "
	  "(usage: mta send filename [NAME] [date])" } },
	{ "mta send filename .hidden",
	  { "t:1: bad file name '.hidden' (1-59 characters, not starting with '.')" } },
	{ "mta send mime plain",
	  { "t:1: bad value 'plain' for mta send mime (expected mixed|fax-message)" } },
	{ "mta send tls maybe", { "t:1: bad value 'maybe' for mta send tls "
	  "(expected off|opportunistic|required)" } },
	{ "mta send tls required verfy", { "t:1: unexpected 'verfy' in 'mta send tls' (usage: "
	  "mta send tls {off|opportunistic|required} [verify] [ca FILE])" } },
	{ "mta send tls off verify", { "t:1: 'verify' makes no sense with 'mta send tls off'" } },
	{ "mta send tls off ca /dev/null", { "t:1: 'ca' makes no sense with 'mta send tls off'" } },
	{ "mta send return-receipt-to x@", { "t:1: bad mail address 'x@' for mta send "
	  "return-receipt-to" } },
	{ "mta send tls required ca /nonexistent/ca.pem", { "t:1: cannot read mta send tls ca "
	  "'/nonexistent/ca.pem': No such file or directory" } },
	{ "mta send auth u p plain", { "t:1: unexpected 'plain' after 'mta send auth' "
	  "(usage: mta send auth USER PASSWORD [allow-plaintext])" } },
	{ "mta send tls off\nmta send auth u p", { "t:1: 'mta send tls off' would send the AUTH "
	  "password in clear: add 'allow-plaintext' to 'mta send auth'" } },
	{ "mta send retry 5", { "t:1: mta send retry 5 is out of range (10-86400)" } },
	{ "mta send retry 1000\nmta send give-up 600",
	  { "t:2: mta send give-up 600 is shorter than retry 1000" } },
	{ "mta send maildir m\nmta send server a.b",
	  { "t:1: 'mta send maildir' and 'mta send server' exclude each other (line 2)" } },
	/* mta receive */
	{ "mta receive listen 127.0.0.1", { "t:1: 'mta receive listen' is incomplete "
	  "(usage: mta receive listen ADDRESS PORT)" } },
	{ "mta receive listen localhost 25",
	  { "t:1: bad address 'localhost' for mta receive listen" } },
	{ "mta receive aliases bad..name",
	  { "t:1: bad alias 'bad..name' (expected a host name or [address])" } },
	{ "mta receive aliases [1.2.3]",
	  { "t:1: bad alias '[1.2.3]' (expected a host name or [address])" } },
	{ "mta receive aliases a.b\nmta receive aliases A.B", { "t:2: alias 'A.B' listed twice" } },
	{ "mta receive aliases a1\nmta receive aliases a2\nmta receive aliases a3\n"
	  "mta receive aliases a4\nmta receive aliases a5\nmta receive aliases a6\n"
	  "mta receive aliases a7\nmta receive aliases a8\nmta receive aliases a9\n"
	  "mta receive aliases a10\nmta receive aliases a11",
	  { "t:11: too many 'mta receive aliases' lines (at most 10)" } },
	{ "mta receive maximum-recipients 1025",
	  { "t:1: mta receive maximum-recipients 1025 is out of range (0-1024)" } },
	{ MMOIP "mta receive maximum-recipients 5", { "t:4: mta receive maximum-recipients 5 "
	  "needs at least one 'mta receive aliases' line" } },
	{ "mta receive aliases a.b\nmta receive maximum-recipients 5\n"
	  "dial-peer voice 2 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target mailto:a@b\nmta send maildir m",
	  { "t:2: mta receive maximum-recipients 5 but no mmoip dial-peer has an 'incoming "
	    "called-number': all fax mail would be refused" } },
	{ "mta receive maximum-size 10",
	  { "t:1: mta receive maximum-size 10 is out of range (1024-1073741824)" } },
	{ "mta receive bare-newline allow",
	  { "t:1: bad value 'allow' for mta receive bare-newline (expected reject|normalize)" } },
	{ "mta receive bare-newline", { "t:1: 'mta receive bare-newline' is incomplete "
	  "(usage: mta receive bare-newline {reject|normalize})" } },
	{ "mta receive maximum-sessions 0",
	  { "t:1: mta receive maximum-sessions 0 is out of range (1-20000)" } },
	{ "mta receive maximum-sessions 20001",
	  { "t:1: mta receive maximum-sessions 20001 is out of range (1-20000)" } },
	{ "mta receive maximum-sessions-per-client 0",
	  { "t:1: mta receive maximum-sessions-per-client 0 is out of range (1-20000)" } },
	{ "mta receive maximum-sessions 10\nmta receive maximum-sessions-per-client 11",
	  { "t:2: mta receive maximum-sessions-per-client 11 is above maximum-sessions 10" } },
	{ "mta receive maximum-sessions-per-client 201", { "t:1: mta receive "
	  "maximum-sessions-per-client 201 is above maximum-sessions 200" } },
	{ "mta receive session-deadline 9",
	  { "t:1: mta receive session-deadline 9 is out of range (10-86400)" } },
	{ "mta receive minimum-rate 0",
	  { "t:1: mta receive minimum-rate 0 is out of range (1-10485760)" } },
	{ "mta receive minimum-rate fast",
	  { "t:1: 'fast' is not a number (mta receive minimum-rate)" } },
	{ "mta receive allow 10.0.0.0/33",
	  { "t:1: bad CIDR '10.0.0.0/33' (prefix length must be 0-32)" } },
	{ "mta receive allow 10.0.0.1/8", { "t:1: bad CIDR '10.0.0.1/8': host bits set after /8" } },
	{ "mta receive allow 10.0.0/8", { "t:1: bad CIDR '10.0.0/8' (bad address '10.0.0')" } },
	{ "mta receive allow 2001:db8::/129",
	  { "t:1: bad CIDR '2001:db8::/129' (prefix length must be 0-128)" } },
	{ "mta receive allow 10.0.0.0/x", { "t:1: bad CIDR '10.0.0.0/x' (prefix length must be 0-32)" } },
	{ "mta receive allow /8", { "t:1: bad CIDR '/8'" } },
	{ "mta receive allow-sender example.com", { "t:1: bad sender pattern 'example.com' "
	  "(expected LOCAL@DOMAIN with '*' or '?', or '*')" } },
	{ "mta receive allow-sender a<b@c", { "t:1: bad sender pattern 'a<b@c' (character '<')" } },
	{ "mta receive auth-clear\nmta receive auth a b\nmta receive auth a c",
	  { "t:3: duplicate 'mta receive auth' user 'a'" } },
	{ "mta receive auth-clear\nmta receive auth-file /nonexistent/users",
	  { "t:2: cannot read mta receive auth-file '/nonexistent/users': No such file or "
	    "directory" } },
	{ "hostname a.b\nmta receive auth a b", { "t:2: SMTP AUTH users can never log in: add "
	  "'mta receive tls cert FILE key FILE' or 'mta receive auth-clear'" } },
	{ "mta receive auth-file /dev/null", { "t:1: SMTP AUTH users can never log in: add "
	  "'mta receive tls cert FILE key FILE' or 'mta receive auth-clear'" } },
	{ "mta receive tls crt a key b", { "t:1: unexpected 'crt' in 'mta receive tls' "
	  "(usage: mta receive tls cert FILE key FILE)" } },
	{ "mta receive tls cert /dev/null kye b", { "t:1: unexpected 'kye' in 'mta receive tls' "
	  "(usage: mta receive tls cert FILE key FILE)" } },
	{ "mta receive tls cert /nonexistent/c key /dev/null", { "t:1: cannot read mta receive "
	  "tls cert '/nonexistent/c': No such file or directory" } },
	{ "mta receive generate dsn", { "t:1: bad value 'dsn' for mta receive generate "
	  "(expected permanent-error|mdn)" } },
	/* fax */
	{ "fax receive called-subscriber abc", { "t:1: bad fax receive called-subscriber 'abc': "
	  "only digits, '+' and blanks (or $d$)" } },
	{ "fax receive called-subscriber 123456789012345678901", { "t:1: fax receive "
	  "called-subscriber '123456789012345678901' is too long (at most 20 characters)" } },
	{ "fax send transmitting-subscriber $d$", { "t:1: bad fax send transmitting-subscriber "
	  "'$d$': only digits, '+' and blanks (or $s$)" } },
	{ "fax send max-speed 33600", { "t:1: bad value '33600' for fax send max-speed "
	  "(expected 2400|4800|7200|9600|12000|14400)" } },
	{ "fax send ecm maybe", { "t:1: bad value 'maybe' for fax send ecm (expected off|on)" } },
	{ "fax send left-header $x$", { "t:1: unknown token '$x$' in fax send left-header "
	  "(expected $a$ $d$ $p$ $s$ $t$)" } },
	{ "fax send right-header Page $p", { "t:1: unknown token '$p' in fax send right-header "
	  "(expected $a$ $d$ $p$ $s$ $t$)" } },
	{ "fax send coverpage comment", { "t:1: 'fax send coverpage comment' needs a TEXT" } },
	{ "fax send coverpage enable now",
	  { "t:1: unexpected 'now' after 'fax send coverpage enable'" } },
	{ "fax send coverpage disable", { "t:1: bad value 'disable' for fax send coverpage "
	  "(expected enable|comment|e-mail-controllable|show-detail)" } },
	{ "fax send retry busy 101 60",
	  { "t:1: fax send retry ATTEMPTS 101 is out of range (1-100)" } },
	{ "fax send retry busy 0 60",
	  { "t:1: fax send retry ATTEMPTS 0 is out of range (1-100)" } },
	{ "fax send retry busy 1 5", { "t:1: fax send retry DELAY 5 is out of range (10-86400)" } },
	{ "fax send retry ring 1 60", { "t:1: bad value 'ring' for fax send retry "
	  "(expected busy|no-answer|failure)" } },
	{ "fax send max-pages 0", { "t:1: fax send max-pages 0 is out of range (1-1000)" } },
	{ "fax send hold now", { "t:1: unexpected 'now' after 'fax send hold' (usage: fax send hold)" } },
	{ "fax send render-timeout 0",
	  { "t:1: fax send render-timeout 0 is out of range (1-600)" } },
	{ "fax send render-timeout 601",
	  { "t:1: fax send render-timeout 601 is out of range (1-600)" } },
	{ "fax send render-workers 33",
	  { "t:1: fax send render-workers 33 is out of range (1-32)" } },
	{ "fax send render-memory 63",
	  { "t:1: fax send render-memory 63 is out of range (64-65536)" } },
	{ "fax send max-pixels 0", { "t:1: fax send max-pixels 0 is out of range (1-100000)" } },
	{ "fax send render-timeout 10 s", { "t:1: unexpected 's' after 'fax send "
	  "render-timeout' (usage: fax send render-timeout SECONDS)" } },
	{ "fax send render-workers", { "t:1: 'fax send render-workers' is incomplete "
	  "(usage: fax send render-workers N)" } },
	{ "fax send office-converter soffice", { "t:1: fax send office-converter: "
	  "'soffice' is not an absolute path (or none)" } },
	{ "fax send office-timeout 0",
	  { "t:1: fax send office-timeout 0 is out of range (1-600)" } },
	{ "fax send office-memory 70000",
	  { "t:1: fax send office-memory 70000 is out of range (64-65536)" } },
	{ "fax send alternative rich", { "t:1: bad value 'rich' for fax send alternative "
	  "(expected html|text)" } },
	{ "fax deny-pattern 1900x", { "t:1: bad deny-pattern '1900x': bad character 'x'" } },
	/* dial-peer */
	{ "dial-peer voice 0 voip", { "t:1: dial-peer tag 0 is out of range (1-2147483647)" } },
	{ "dial-peer voice 1 h323", { "t:1: bad value 'h323' for dial-peer voice type "
	  "(expected voip|mmoip)" } },
	{ VOIP "dial-peer voice 1 voip\n destination-pattern 2\n bogus",
	  { "t:4: duplicate dial-peer tag 1 (first at line 1)", "t:6: unknown command 'bogus'" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1x",
	  { "t:1: dial-peer voice 1 voip has neither 'destination-pattern' nor 'incoming "
	    "called-number'", "t:2: bad destination-pattern '1x': bad character 'x'" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1", { "t:1: dial-peer voice 1 voip has a "
	  "'destination-pattern' but no 'session target sip:' or 'session target trunk'" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1\n session target mailto:a@b",
	  { "t:1: dial-peer voice 1 voip has a 'destination-pattern' but no 'session target "
	    "sip:' or 'session target trunk'", "t:3: session target 'mailto:a@b' needs a mmoip "
	    "dial-peer (voip peers target sip: or trunk)" } },
	{ "dial-peer voice 1 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target sip:1@h",
	  { "t:1: dial-peer voice 1 mmoip has a 'destination-pattern' but no 'session target "
	    "mailto:'", "t:4: session target 'sip:1@h' needs a voip dial-peer (mmoip peers "
	    "target mailto:)" } },
	{ "dial-peer voice 1 mmoip\n incoming called-number 1",
	  { "t:1: dial-peer voice 1 mmoip needs 'information-type fax'" } },
	{ MD MMOIP " session target mailto:a@b",
	  { "t:5: dial-peer voice 1 mmoip has a session target but no 'destination-pattern'" } },
	{ "dial-peer voice 7 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target mailto:$d$@b", { "t:1: dial-peer voice 7 mails faxes but there is "
	  "no 'mta send server' or 'mta send maildir'" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1\n session target trunk nope",
	  { "t:3: session target names unknown trunk 'nope'" } },
	{ VOIP " session target sip:c@d", { "t:4: 'session target' given twice in dial-peer voice 1" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1\n session target trunk",
	  { "t:1: dial-peer voice 1 voip has a 'destination-pattern' but no 'session target "
	    "sip:' or 'session target trunk'", "t:3: 'session target trunk' needs a trunk NAME" } },
	{ MD "dial-peer voice 1 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target mailto:nobody",
	  { "t:2: dial-peer voice 1 mmoip has a 'destination-pattern' but no 'session target "
	    "mailto:'", "t:5: bad session target 'mailto:nobody' (expected mailto:USER@DOMAIN)" } },
	{ VOIP " destination-pattern 2", { "t:4: 'destination-pattern' given twice in dial-peer voice 1" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1\n session target sip:1@",
	  { "t:1: dial-peer voice 1 voip has a 'destination-pattern' but no 'session target "
	    "sip:' or 'session target trunk'", "t:3: bad session target 'sip:1@': no host" } },
	{ MD "dial-peer voice 1 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target mailto:$x$@b",
	  { "t:2: dial-peer voice 1 mmoip has a 'destination-pattern' but no 'session target "
	    "mailto:'", "t:5: unknown token '$x$' in session target (expected $d$ $s$ $m$)" } },
	{ MMOIP " session target ipv4:", { "t:4: bad session target 'ipv4:': no host" } },
	{ "dial-peer voice 1 mmoip\n information-type fax\n incoming called-number 1[^0-9]",
	  { "t:1: dial-peer voice 1 mmoip has neither 'destination-pattern' nor 'incoming "
	    "called-number'", "t:3: bad incoming called-number '1[^0-9]': class '[...]' "
	    "matches no digit" } },
	{ MMOIP " session target h323:x", { "t:4: bad session target 'h323:x' (expected mailto:, "
	  "sip:, trunk NAME or ipv4:)" } },
	{ "dial-peer voice 1 voip\n destination-pattern 1\n session target sip:a@b extra",
	  { "t:1: dial-peer voice 1 voip has a 'destination-pattern' but no 'session target "
	    "sip:' or 'session target trunk'",
	    "t:3: unexpected 'extra' after 'session target sip:a@b'" } },
	{ VOIP " session protocol smtp", { "t:4: session protocol 'smtp' is not supported on a "
	  "voip dial-peer (only sipv2)" } },
	{ MMOIP " session protocol sipv2", { "t:4: session protocol 'sipv2' is not supported on a "
	  "mmoip dial-peer (only smtp)" } },
	{ VOIP " dsn success", { "t:4: 'dsn' is only valid under a mmoip dial-peer" } },
	{ VOIP " image encoding mh", { "t:4: 'image encoding' is only valid under a mmoip dial-peer" } },
	{ MMOIP " dsn always",
	  { "t:4: bad value 'always' for dsn (expected success|failure|delay)" } },
	{ VOIP " preference 11", { "t:4: preference 11 is out of range (0-10)" } },
	{ VOIP " max-conn 0", { "t:4: max-conn 0 is out of range (1-10000)" } },
	{ MMOIP " image encoding jbig", { "t:4: bad value 'jbig' for image encoding "
	  "(expected passthrough|mh|mr|mmr)" } },
	{ MMOIP " image resolution ultra", { "t:4: bad value 'ultra' for image resolution "
	  "(expected passthrough|standard|fine|superfine)" } },
	{ MMOIP " information-type voice",
	  { "t:4: information-type 'voice' is not supported (only fax)" } },
	{ MMOIP " incoming called-number 2",
	  { "t:4: 'incoming called-number' given twice in dial-peer voice 1" } },
	{ MMOIP " description 12345678901234567890123456789012345678901234567890123456789012345"
	  "678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
	  "012345678901234567890123456789012345678901234567890123456789012345678901234567890123"
	  "4567890123456789012345678901234567890123456789012345678901234567890",
	  { "t:4: description '12345678901234567890...' is too long "
	  "(at most 255 characters)" } },
	/* Cisco commands t37gw does not implement */
	{ "mmoip aaa receive-authentication", { "t:1: 'mmoip aaa' is not supported: AAA is not "
	  "implemented; use 'mta receive auth' and 'mta receive allow'" } },
	{ "mta receive relay x", { "t:1: 'mta receive relay' is not supported: t37gw never "
	  "relays mail" } },
	{ VOIP " port 0/0/0:23", { "t:4: 'port' is not supported: t37gw has no telephony ports; "
	  "route with 'session target'" } },
	{ VOIP " prefix 1919", { "t:4: 'prefix' is not supported: digit manipulation is not "
	  "implemented" } },
	{ VOIP " translation-profile outgoing x", { "t:4: 'translation-profile' is not "
	  "supported: number translation is not implemented" } },
	{ "no fax send ecm", { "t:1: 'no fax send ecm': 'no' forms of t37gw commands are not "
	  "implemented; leave the command out" } },
	{ "sip\n no t38", { "t:2: 'no t38': 'no' forms of t37gw commands are not implemented; "
	  "leave the command out" } },
	{ "banner motd", { "t:1: 'banner' without a delimiter" } },
	{ "banner motd ^C\nhello\nmta receive maximum-recipients x\n",
	  { "t:1: the text of this 'banner' never ends: no line holds its delimiter '^C'" } },
	{ "sip\n interface x", { "t:2: unknown command 'interface'" } },
	{ MD "dial-peer voice 1 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target mailto:a@b.c\n image resolution superfine",
	  { "t:6: 'image resolution superfine' is not supported: the mailed TIFF (RFC 3949 "
	  "Profile S) has standard or fine rows; superfine pages are mailed at fine" } },
	{ MD "dial-peer voice 1 mmoip\n destination-pattern 1\n information-type fax\n"
	  " session target mailto:a@b.c\n image encoding passthrough\n image resolution fine",
	  { "t:7: dial-peer voice 1: 'image resolution' rewrites the pages, so it needs "
	  "'image encoding mh' (not passthrough)" } },
	/* caller identity and admission */
	{ "sip\n allow 10.0.0.1/8", { "t:2: bad CIDR '10.0.0.1/8': host bits set after /8" } },
	{ "sip\n max-call-rate 0", { "t:2: max-call-rate 0 is out of range (1-1000)" } },
	{ "sip\n realtime-priority 50", { "t:2: realtime-priority 50 is out of range (0-49)" } },
	{ "sip\n threads 65", { "t:2: threads 65 is out of range (0-64)" } },
	{ "sip\n threads two", { "t:2: 'two' is not a number (threads)" } },
	{ "sip\n realtime-priority", { "t:2: 'realtime-priority' is incomplete "
	  "(usage: realtime-priority N)" } },
	{ "sip\n max-calls-per-source x", { "t:2: 'x' is not a number (max-calls-per-source)" } },
	{ "trunk a\n proxy sip:a\n calling-number 919-555", { "t:3: bad calling-number '919-555' "
	  "(digits, with '+' first for E.164; at most 32 digits)" } },
	{ "trunk a\n proxy sip:a\n calling-number +", { "t:3: bad calling-number '+' "
	  "(digits, with '+' first for E.164; at most 32 digits)" } },
	{ "trunk a\n proxy sip:a\n calling-name \"A \\\"B\\\"\"", { "t:3: bad calling-name "
	  "'A \"B\"': printable ASCII without quotes or backslashes" } },
	{ "trunk a\n proxy sip:a\n calling-name 123456789012345678901234567890123",
	  { "t:3: calling-name '123456789012345678901234567890123' is too long (at most 32 "
	  "characters)" } },
	{ "trunk a\n proxy sip:a\n asserted-id rpid", { "t:3: bad value 'rpid' for asserted-id "
	  "(expected none|pai|ppi)" } },
	{ "trunk a\n proxy sip:a\n inbound-auth u", { "t:3: 'inbound-auth' is incomplete "
	  "(usage: inbound-auth USER PASSWORD)" } },
	{ MMOIP " clid network-number 1", { "t:4: 'clid' is only valid under a voip dial-peer" } },
	{ VOIP " clid network-number", { "t:4: 'clid network-number' needs a NUMBER" } },
	{ VOIP " clid network-number 1a", { "t:4: bad clid network-number '1a' (digits, with '+' "
	  "first for E.164; at most 32 digits)" } },
	{ VOIP " clid strip", { "t:4: bad value 'strip' for clid (expected "
	  "network-number|restrict)" } },
	{ VOIP " clid restrict x", { "t:4: unexpected 'x' after 'clid restrict'" } },
	/* fax numbering */
	{ "fax numbering country-code 0044", { "t:1: bad value '0044' for fax numbering "
	  "country-code: 1 to 3 digits" } },
	{ "fax numbering country-code 044", { "t:1: bad value '044' for fax numbering "
	  "country-code: country codes do not start with 0 (E.164)" } },
	{ "fax numbering international-prefix 0x1", { "t:1: bad value '0x1' for fax numbering "
	  "international-prefix: digits only" } },
	{ "fax numbering national-prefix 12345", { "t:1: bad value '12345' for fax numbering "
	  "national-prefix: 1 to 4 digits" } },
	{ "fax numbering national-prefix 1", { "t:1: 'fax numbering national-prefix' needs "
	  "'fax numbering country-code'" } },
	{ "fax numbering country-code 44\nfax numbering national-prefix 0\n"
	  "fax numbering international-prefix 0", { "t:2: the national and international "
	  "prefixes are both '0'" } },
};

START_TEST(test_bad)
{
	struct config_diag diag;
	struct config *cfg;
	const char *text = bad_cases[_i].text;
	size_t n = 0, i, e;

	while (n < 3 && bad_cases[_i].msgs[n] != NULL)
		n++;
	config_diag_init(&diag);
	cfg = config_parse_buffer("t", text, strlen(text), &diag);
	ck_assert_msg(cfg == NULL, "case %d loaded:\n%s", _i, text);
	/* The errors, in order; warnings (ignored lines) are tested below. */
	for (i = 0, e = 0; i < diag.kept; i++) {
		if (config_diag_is_warning(&diag, i))
			continue;
		if (e >= n || strcmp(config_diag_get(&diag, i), bad_cases[_i].msgs[e]) != 0)
			ck_abort_msg("case %d message %zu:\n got  %s\n want %s", _i, i,
			    config_diag_get(&diag, i), e < n ? bad_cases[_i].msgs[e] : "(none)");
		e++;
	}
	ck_assert_uint_eq(diag.count, n);
	ck_assert_uint_eq(e, n);
	config_diag_clear(&diag);
}
END_TEST

/*
 * Lines of other IOS features: the config loads, and each such line (a
 * block with its body) gets exactly one warning naming it.
 */
#define IGN "ignored: IOS platform configuration does not apply to t37gw"
#define NOCLID "t:3: warning: dial-peer voice 1 voip places calls without a calling number " \
    "(From: t37gw, no TSI): set 'clid network-number'",
static const struct {
	const char *text;
	const char *msgs[3];
} warn_cases[] = {
	{ "interface Fa0/0\n ip address \"1\n  \"x", { "t:1: warning: 'interface' ignored with "
	  "the lines under it: IOS platform configuration does not apply to t37gw" } },
	{ "ip domain name example.com\nip cef", { "t:1: warning: 'ip' " IGN,
	  "t:2: warning: 'ip' " IGN } },
	{ MMOIP " codec g711ulaw", { "t:4: warning: 'codec' ignored: codecs are set with 'codec' "
	  "under 'sip'" } },
	{ "dial-peer voice 1 pots\n port 1/0\n direct-inward-dial",
	  { "t:1: warning: 'dial-peer voice 1 pots' ignored with the lines under it: t37gw has "
	    "no telephony ports; calls arrive over SIP (voip and mmoip peers route them)" } },
	{ "fax interface-type fax-mail", { "t:1: warning: 'fax interface-type' ignored: t37gw "
	  "always works as a fax-mail gateway" } },
	{ "voice service voip\n fax protocol t38\n sip\n  bind control", { "t:1: warning: "
	  "'voice service' ignored with the lines under it: SIP settings are under 'sip' and "
	  "'trunk'; T.38 is set with 't38' under them" } },
	{ "call application voice onramp flash:x.tcl", { "t:1: warning: 'call application' "
	  "ignored: onramp and offramp are built in" } },
	{ "application\n service onramp flash:x.tcl\n  param a b", { "t:1: warning: "
	  "'application' ignored with the lines under it: onramp and offramp are built in" } },
	{ "mmoip aaa send-accounting enable", { "t:1: warning: 'mmoip aaa send-accounting' "
	  "ignored: accounting is not implemented; every call and message has its log line" } },
	{ "fax protocol t38", { "t:1: warning: 'fax protocol' ignored: T.38 is set with 't38' "
	  "under 'sip' or 'trunk'" } },
	{ VOIP " no vad", { NOCLID "t:4: warning: 'no vad' ignored: not a t37gw command" } },
	{ VOIP " application onramp", { NOCLID "t:4: warning: 'application' ignored: onramp and "
	  "offramp are built in" } },
	{ VOIP " fax rate 14400", { NOCLID "t:4: warning: 'fax rate' ignored: the speed is set with "
	  "'fax send max-speed'" } },
	{ "sip\n listen udp 192.0.2.10 5060\n listen udp 127.0.0.1 5060",
	  { "t:3: warning: SIP listens on 192.0.2.10 but there is no trunk and no 'allow' "
	    "under sip: only loopback may call" } },
	{ "fax send office-converter /nonexistent/soffice", { "t:1: warning: fax send "
	  "office-converter: /nonexistent/soffice is not installed: office documents will "
	  "be refused" } },
	{ "no service pad\nno ip domain lookup", { "t:1: warning: 'no service pad' ignored: not "
	  "a t37gw command", "t:2: warning: 'no ip domain lookup' ignored: not a t37gw command" } },
	{ "Building configuration...\n\nCurrent configuration : 4711 bytes\n!\nend",
	  { "t:1: warning: 'building configuration...' ignored: a line of 'show "
	    "running-config' output", "t:3: warning: 'current configuration' ignored: a line of "
	    "'show running-config' output" } },
	/* Banners: the text to the delimiter, whatever it holds, is skipped. */
	{ "banner motd ^C\nAuthorized \"access\x01 only\n  hostname x\n^C\nhostname gw",
	  { "t:1: warning: 'banner' ignored with its text: IOS platform configuration does not "
	    "apply to t37gw" } },
	{ "banner login #Go away#\nhostname gw", { "t:1: warning: 'banner' ignored with its "
	  "text: IOS platform configuration does not apply to t37gw" } },
	{ "line con 0\n exec-timeout 0 0\nline vty 0 4\n login local\n transport input ssh",
	  { "t:1: warning: 'line' " "ignored with the lines under it: IOS platform configuration "
	    "does not apply to t37gw", "t:3: warning: 'line' ignored with the lines under it: "
	    "IOS platform configuration does not apply to t37gw" } },
};

START_TEST(test_warn)
{
	struct config_diag diag;
	struct config *cfg;
	const char *text = warn_cases[_i].text;
	size_t n = 0, i;

	while (n < 3 && warn_cases[_i].msgs[n] != NULL)
		n++;
	config_diag_init(&diag);
	cfg = config_parse_buffer("t", text, strlen(text), &diag);
	ck_assert_msg(cfg != NULL, "case %d did not load: %s", _i, config_diag_get(&diag, 0));
	ck_assert_uint_eq(diag.count, 0);
	ck_assert_uint_eq(diag.warnings, n);
	ck_assert_uint_eq(diag.kept, n);
	for (i = 0; i < n; i++) {
		ck_assert(config_diag_is_warning(&diag, i));
		ck_assert_str_eq(config_diag_get(&diag, i), warn_cases[_i].msgs[i]);
	}
	config_free(cfg);
	config_diag_clear(&diag);
}
END_TEST

/* The text after a banner is read again as configuration. */
START_TEST(test_banner_then_config)
{
	static const char text[] = "hostname gw.example\nbanner exec ^C\nhostname evil\n^C\n"
	    "banner motd %one line%\nspool /x\n";
	struct config *cfg = config_parse_buffer("t", text, sizeof(text) - 1, NULL);

	ck_assert_ptr_nonnull(cfg);
	ck_assert_str_eq(cfg->hostname, "gw.example");
	ck_assert_str_eq(cfg->spool, "/x");
	config_free(cfg);
}
END_TEST

START_TEST(test_line_limits)
{
	struct config_diag diag;
	char *text = malloc(CONFIG_LINE_MAX + 64);
	const char nul[] = "hostname a.b\nhostname a\0b\nspool /x";
	size_t n;

	ck_assert_ptr_nonnull(text);
	n = (size_t)sprintf(text, "hostname a.b\nmta send subject ");
	memset(text + n, 'x', CONFIG_LINE_MAX);
	n += CONFIG_LINE_MAX;
	n += (size_t)sprintf(text + n, "\nhostname -x\n");
	config_diag_init(&diag);
	ck_assert_ptr_null(config_parse_buffer("t", text, n, &diag));
	ck_assert_uint_eq(diag.count, 2);
	ck_assert_str_eq(config_diag_get(&diag, 0), "t:2: line too long (1041 bytes, at most 1024)");
	ck_assert_str_eq(config_diag_get(&diag, 1), "t:3: bad host name '-x'");
	config_diag_clear(&diag);
	free(text);

	config_diag_init(&diag);
	ck_assert_ptr_null(config_parse_buffer("t", nul, sizeof(nul) - 1, &diag));
	ck_assert_uint_eq(diag.count, 1);
	ck_assert_str_eq(config_diag_get(&diag, 0), "t:2: NUL byte in line");
	config_diag_clear(&diag);
}
END_TEST

static void
count_report(void *arg, const char *msg)
{
	ck_assert_ptr_nonnull(msg);
	(*(int *)arg)++;
}

/* More errors than CONFIG_DIAG_MAX: all counted, the first ones kept. */
START_TEST(test_diag_limits)
{
	struct config_diag diag;
	size_t n = CONFIG_DIAG_MAX + 100, i, len = 0;
	char *text = malloc(n * 8);
	int reported = 0;

	ck_assert_ptr_nonnull(text);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "bogus\n");
	config_diag_init(&diag);
	diag.report = count_report;
	diag.report_arg = &reported;
	ck_assert_ptr_null(config_parse_buffer("t", text, len, &diag));
	ck_assert_uint_eq(diag.count, n);
	ck_assert_uint_eq(diag.kept, CONFIG_DIAG_MAX);
	ck_assert_int_eq(reported, (int)n);
	ck_assert_str_eq(config_diag_get(&diag, 0), "t:1: unknown command 'bogus'");
	ck_assert_str_eq(config_diag_get(&diag, CONFIG_DIAG_MAX - 1), "t:500: unknown command 'bogus'");
	ck_assert_ptr_null(config_diag_get(&diag, CONFIG_DIAG_MAX));
	config_diag_clear(&diag);
	ck_assert_uint_eq(diag.count, 0);
	ck_assert_ptr_null(config_diag_get(&diag, 0));
	ck_assert_ptr_null(config_diag_get(NULL, 0));
	config_diag_clear(NULL);
	/* Without a diag the result is the same, silently. */
	ck_assert_ptr_null(config_parse_buffer("t", text, len, NULL));
	free(text);
}
END_TEST

/* Each list refuses the line after its limit, naming it. */
static const struct {
	const char *fmt;        /* one line, %zu = its index */
	const char *head;       /* lines before them */
	size_t max;
	const char *msg;
} limit_cases[] = {
	{ "trunk t%zu\n proxy sip:h\n", "", CONFIG_MAX_TRUNKS, "too many trunks (at most 32)" },
	{ "dial-peer voice %zu voip\n incoming called-number 1\n", "", CONFIG_MAX_DIAL_PEERS,
	  "too many dial-peers (at most 1024)" },
	{ "mta receive allow 10.%zu.0.0/16\n", "", CONFIG_MAX_ALLOW,
	  "too many 'mta receive allow' lines (at most 64)" },
	{ "mta receive allow-sender *@d%zu.example.com\n", "", CONFIG_MAX_ALLOW_SENDER,
	  "too many 'mta receive allow-sender' lines (at most 64)" },
	{ "mta receive auth u%zu p\n", "mta receive auth-clear\n", CONFIG_MAX_SMTP_USERS,
	  "too many 'mta receive auth' lines (at most 64)" },
	{ "fax deny-pattern 1900%zu\n", "", CONFIG_MAX_DENY,
	  "too many 'fax deny-pattern' lines (at most 128)" },
	{ "mta receive listen 127.0.0.1 %zu\n", "", CONFIG_MAX_LISTEN,
	  "too many 'mta receive listen' lines (at most 8)" },
};

/* The formats below are the literals of limit_cases[]. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
START_TEST(test_limits)
{
	struct config_diag diag;
	size_t cap = 200000, len, i, lines, per_item;
	char *text = malloc(cap), want[256];

	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "%s", limit_cases[_i].head);
	lines = strchr(limit_cases[_i].head, '\n') ? 1 : 0;
	per_item = 0;
	for (const char *c = limit_cases[_i].fmt; *c; c++)
		per_item += *c == '\n';
	for (i = 1; i <= limit_cases[_i].max + 1; i++)
		len += (size_t)snprintf(text + len, cap - len, limit_cases[_i].fmt, i);
	ck_assert_uint_lt(len, cap - 1);
	config_diag_init(&diag);
	ck_assert_ptr_null(config_parse_buffer("t", text, len, &diag));
	snprintf(want, sizeof(want), "t:%zu: %s", lines + limit_cases[_i].max * per_item + 1,
	    limit_cases[_i].msg);
	ck_assert_uint_eq(diag.count, 1);
	ck_assert_str_eq(config_diag_get(&diag, 0), want);
	config_diag_clear(&diag);
	/* One fewer loads. */
	len = (size_t)snprintf(text, cap, "%s", limit_cases[_i].head);
	for (i = 1; i <= limit_cases[_i].max; i++)
		len += (size_t)snprintf(text + len, cap - len, limit_cases[_i].fmt, i);
	config_diag_init(&diag);
	{
		struct config *cfg = config_parse_buffer("t", text, len, &diag);

		ck_assert_msg(cfg != NULL, "%s", config_diag_get(&diag, 0));
		config_free(cfg);
	}
	config_diag_clear(&diag);
	free(text);
}
END_TEST
#pragma GCC diagnostic pop

/* A file over the size limit is refused before it is parsed. */
START_TEST(test_file_too_large)
{
	struct config_diag diag;
	char path[] = "/tmp/t37conf.XXXXXX", msg[128];
	char block[4096];
	int fd = mkstemp(path);
	size_t i;

	ck_assert_int_ge(fd, 0);
	memset(block, '!', sizeof(block));
	for (i = 0; i < 4 * 1024 * 1024 / sizeof(block) + 1; i++)
		ck_assert_int_eq(write(fd, block, sizeof(block)), (int)sizeof(block));
	close(fd);
	config_diag_init(&diag);
	ck_assert_ptr_null(config_load(path, &diag));
	unlink(path);
	ck_assert_uint_eq(diag.count, 1);
	snprintf(msg, sizeof(msg), "%s: file too large (more than 4194304 bytes)", path);
	ck_assert_str_eq(config_diag_get(&diag, 0), msg);
	config_diag_clear(&diag);
}
END_TEST

#define N(a) (int)(sizeof(a) / sizeof((a)[0]))

Suite *
suite_config_errors(void)
{
	Suite *s = suite_create("config_errors");
	TCase *tc = tcase_create("errors");

	tcase_add_loop_test(tc, test_bad, 0, N(bad_cases));
	tcase_add_loop_test(tc, test_warn, 0, N(warn_cases));
	tcase_add_test(tc, test_banner_then_config);
	tcase_add_test(tc, test_line_limits);
	tcase_add_test(tc, test_diag_limits);
	tcase_add_loop_test(tc, test_limits, 0, N(limit_cases));
	tcase_add_test(tc, test_file_too_large);
	suite_add_tcase(s, tc);
	return s;
}
