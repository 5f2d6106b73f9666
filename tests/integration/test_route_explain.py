#!/usr/bin/env python3
"""t37gw -t -x: the route explanation agrees with the running gateway.

For each address (routed, denied by a deny-pattern, no voip dial-peer, no
mmoip dial-peer, relaying, a mailbox name, a malformed number, the
postmaster, mixed case alias) the RCPT TO line that `t37gw -t -c CONF -x
ADDRESS` prints must be the reply the daemon, started on the same config,
gives to that RCPT TO, and the exit code must say accepted (0) or refused
(1). A bare number is explained both ways (mail to it and a call to it),
and an accepted address goes on to the call the offramp would make."""
import os
import re
import smtplib
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check  # noqa: E402

ADDRESSES = [
    "FAX=+19195551234@fax.test",         # routed
    "FAX=+1-919-555.1234/T33S=77@FAX2.test",
    "FAX=+19005551234@fax.test",         # deny-pattern 1900.......
    "FAX=+12125551234@fax.test",         # mmoip yes, no voip
    "FAX=+13125551234@fax.test",         # no mmoip
    "FAX=011442071234567@fax.test",      # deny-pattern 011T
    "bob@example.org",                   # relaying
    "bob@fax.test",                      # a mailbox name
    "FAX=+1--919@fax.test",              # malformed
    "postmaster@fax.test",
]


def explain(conf, arg):
    r = subprocess.run([os.path.join(BUILD, "t37gw"), "-t", "-c", conf, "-x", arg],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return r.returncode, r.stdout.decode()


def main():
    gw = Gateway().start()
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        s.ehlo("client.example.org")
        for addr in ADDRESSES:
            s.mail("alice@example.org")
            code, text = s.rcpt(addr)
            s.rset()
            rc, out = explain(gw.conf, addr)
            m = re.search(r"^  RCPT TO +(\d{3}) (.*)$", out, re.M)
            check(m is not None, "%s: no RCPT TO line in:\n%s" % (addr, out))
            said = "%s %s" % (m.group(1), m.group(2))
            got = "%d %s" % (code, text.decode())
            check(said == got, "%s: explained %r, the gateway replied %r" % (addr, said, got))
            check(rc == (0 if code == 250 else 1), "%s: exit %d for %d" % (addr, rc, code))
            if code == 250 and not addr.startswith("postmaster"):
                check("a fax call to +1919555" in out and "dial-peer voice 400 voip" in out
                      and "sip:+19195551234@127.0.0.1:" in out,
                      "%s: the call is not explained:\n%s" % (addr, out))
            print("%-40s %s" % (addr, said))
    # a bare number: both ways
    rc, out = explain(gw.conf, "19195551234")
    check(rc == 0 and "mail to <FAX=19195551234@fax.test> (offramp)" in out and
          "a call to 19195551234 (onramp)" in out and
          "no mmoip dial-peer with a matching destination-pattern" in out,
          "bare number:\n" + out)
    rc, out = explain(gw.conf, "19005551234")
    check(rc == 1 and "fax deny-pattern 1900....... denies it" in out, "denied number:\n" + out)
    # -x without -t is a usage error; a config with errors fails
    r = subprocess.run([os.path.join(BUILD, "t37gw"), "-c", gw.conf, "-x", "1"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    check(r.returncode == 2 and b"-x goes with -t" in r.stderr, "-x without -t: %r" % r.stderr)
    bad = os.path.join(gw.dir, "bad.conf")
    with open(bad, "w") as f:
        f.write("hostname gw.test\nbogus line\n")
    rc, out = explain(bad, "1")
    check(rc == 1 and out == "", "bad config: %d %r" % (rc, out))
    gw.stop()
    print("route explanations agree with the gateway's replies")


if __name__ == "__main__":
    main()
