#!/usr/bin/env python3
"""Numbers that try to slip past the deny-patterns, against the running
daemon with broad dial-peers (mail may fax any +1 number and every number
has a route), as an attacker would write them: overdialled, underdialled,
with separators, with the international prefix, with '+' and the prefix.
Each must be refused with the deny-pattern named; ordinary numbers pass.
The second gateway has the numbering plan of North America, so that
numbers dialled with 011 or the national 1 are the same lines as E.164."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check  # noqa: E402

BROAD = """fax send hold
dial-peer voice 500 mmoip
 incoming called-number T
 information-type fax
dial-peer voice 501 voip
 destination-pattern T
 session target sip:$d$@127.0.0.1:9
"""
PLAN = """fax numbering country-code 1
fax numbering national-prefix 1
fax numbering international-prefix 011
"""


def rcpt(gw, to):
    c = gw.client()
    c.expect("EHLO client.test", 250)
    c.expect("MAIL FROM:<alice@example.com>", 250)
    code, text = c.cmd("RCPT TO:<%s>" % to)
    c.close()
    return code, text[-1]


def refused(gw, to, pattern):
    code, text = rcpt(gw, to)
    check(code == 550 and text.startswith("5.7.1") and ("deny-pattern " + pattern) in text,
          "%s: want 550 naming deny-pattern %s, got %d %s" % (to, pattern, code, text))


def accepted(gw, to):
    code, text = rcpt(gw, to)
    check(code == 250, "%s: want 250, got %d %s" % (to, code, text))


gw = Gateway(extra=BROAD).start()
for to in ("FAX=+19005551234@fax.test",         # the number the pattern names
           "FAX=+1900555123@fax.test",          # underdialled
           "FAX=+190055512345@fax.test",        # overdialled
           "FAX=+1900555123456789@fax.test",    # far overdialled
           "FAX=1-900-555-1234-9@fax.test",     # separators and one more digit
           "FAX=+1.900.555@fax.test",           # the first digits only
           "/FAX=+190055512/@fax.test",
           "19005551234567@fax.test"):          # bare digits (Cisco)
    refused(gw, to, "1900.......")
for to in ("FAX=01144207123456@fax.test", "FAX=011@fax.test", "FAX=0115@fax.test"):
    refused(gw, to, "011T")
for to in ("FAX=+19195551234@fax.test", "FAX=+1901555123@fax.test", "FAX=5551234@fax.test"):
    accepted(gw, to)
gw.stop()
print("ok over- and underdialled numbers refused")

gw = Gateway(extra=PLAN + BROAD).start()
for to in ("FAX=01119005551234@fax.test",       # international prefix, then +1 900
           "FAX=011190055512345@fax.test",
           "FAX=+01119005551234@fax.test",      # '+' and the prefix, by habit
           "FAX=011-1-900-555@fax.test"):
    refused(gw, to, "1900.......")
# E.164 abroad is denied by the rule for the 011 form; and 011T still
# denies what is written with 011, even +1 and +900 numbers
for to in ("FAX=+442071234567@fax.test", "FAX=+44-20-7123-4567@fax.test",
           "FAX=01119195551234@fax.test", "FAX=0119005551234@fax.test"):
    refused(gw, to, "011T")
for to in ("FAX=19195551234@fax.test", "FAX=+19195551234@fax.test"):
    accepted(gw, to)
gw.stop()
print("ok numbers matched in every written form")
