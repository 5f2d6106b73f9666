#!/usr/bin/env python3
"""Every mail of the corpus in tests/data/mail through the real daemon.

The corpus holds mails shaped like what Thunderbird, Outlook, Apple Mail,
Gmail, mutt and scan-to-email devices send (MANIFEST says what each must
give). Each is submitted over SMTP with ENVID=<file name> and NOTIFY
SUCCESS,FAILURE. A mail expected to fax must be prepared and dialled: most
go to a number whose `t37fax answer --busy` refuses the call, so the job
ends at once with a failed DSN saying 4.4.1 after one attempt; two go to a
real `t37fax answer` and must come back as delivered DSNs with their
pages. A mail expected to fail must give a DSN with its status and no call.
Every DSN is checked with Python's email package; the daemon must still be
running at the end and leave no document worker behind.
"""
import atexit
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail, free_port  # noqa: E402
from offramp_lib import (dsn_blocks, dsn_text, dsns_by_envid, processes_mentioning,  # noqa: E402
                         submit)

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "../.."))
CORPUS = os.path.join(SRCDIR, "tests", "data", "mail")
T37FAX = os.path.join(BUILD, "t37fax")
DELIVERED = {"thunderbird-alternative-pdf.eml", "scanner-tiff-odd-base64.eml"}
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SOFFICE = "/usr/bin/soffice"


def manifest():
    out = []
    with open(os.path.join(CORPUS, "MANIFEST")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, expect, _ = line.split(" ", 2)
            out.append((name, expect))
    return out


def start_answerers(work, n_busy):
    """The gateway's config and the two answerers on the ports it dials,
    started before the gateway. An answerer that cannot bind its port
    exits at once: then the test stops with what it said, rather than let
    the calls reach whatever holds the port."""
    real_port = free_port()
    gw = Gateway(extra="fax send retry busy 1 10\n"
                       "fax send retry no-answer 1 10\n"
                       "fax send retry failure 1 10\n"
                       "dial-peer voice 402 voip\n"
                       " destination-pattern 19195559...\n"
                       " session target sip:$d$@127.0.0.1:%d\n" % real_port,
                 max_size=1000000)
    with open(gw.conf) as f:
        busy_port = [int(p) for p in re.findall(r"sip:\$d\$@127\.0\.0\.1:(\d+)", f.read())
                     if int(p) != real_port][0]
    busy = subprocess.Popen([T37FAX, "answer", "--listen", "127.0.0.1:%d" % busy_port,
                             "--out", work, "--busy", "--count", str(n_busy)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    real = subprocess.Popen([T37FAX, "answer", "--listen", "127.0.0.1:%d" % real_port,
                             "--out", work, "--count", str(len(DELIVERED)),
                             "--ident", "+1 919 555 9000"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for p in (busy, real):
        atexit.register(lambda p=p: p.poll() is None and p.kill())
    time.sleep(0.5)
    for p in (busy, real):
        if p.poll() is not None:
            fail("t37fax answer exited: " +
                 p.communicate()[0].decode("utf-8", "replace").strip())
    return gw, busy, real


def main():
    if not os.access(T37FAX, os.X_OK):
        print("t37fax is not built")
        sys.exit(77)
    mails = manifest()
    check(len(mails) >= 20, "the corpus has %d mails" % len(mails))
    n_busy = sum(1 for n, e in mails if e == "fax" and n not in DELIVERED)
    work = tempfile.mkdtemp(prefix="t37corpus.")
    gw, busy, real = start_answerers(work, n_busy)
    gw.start()
    pid = gw.proc.pid
    jobs = {}
    for i, (name, expect) in enumerate(mails):
        with open(os.path.join(CORPUS, name), "rb") as f:
            raw = f.read()
        number = ("+1919555%04d" % (9001 + i)) if name in DELIVERED else \
            ("+1919555%04d" % (100 + i))
        jobs[name] = submit(gw, raw, "FAX=%s@fax.test" % number, name)
    got = dsns_by_envid(gw, [n for n, _ in mails], 240)
    log = gw.logtext(0)
    for name, expect in mails:
        msg, raw = got[name]
        _, rcpts = dsn_blocks(msg, name, raw)
        r = rcpts[0]
        text = dsn_text(msg)
        jid = jobs[name]
        if expect == "fax":
            m = re.search(r"job=%s event=rendered pages=(\d+)" % jid, log)
            check(m is not None and int(m.group(1)) >= 1,
                  "%s: not rendered:\n%s" % (name, "\n".join(
                      l for l in log.splitlines() if jid in l)))
            if name in DELIVERED:
                check(r["Action"] == "delivered" and r["Status"] == "2.0.0",
                      "%s: %s %s" % (name, r["Action"], r["Status"]))
                check(r["X-Fax-Pages"] == "%s of %s" % (m.group(1), m.group(1)),
                      "%s: pages %s, rendered %s" % (name, r["X-Fax-Pages"], m.group(1)))
            else:
                check(r["Action"] == "failed" and r["Status"] == "4.4.1",
                      "%s: %s %s: %s" % (name, r["Action"], r["Status"], text))
                check(r["X-Fax-Attempts"] == "1", "%s: attempts %s" %
                      (name, r["X-Fax-Attempts"]))
            print("ok %-36s faxed (%s pages)" % (name, m.group(1)))
            continue
        if expect == "5.6.5" and name == "outlook-docx.eml" and \
                not os.access(SOFFICE, os.X_OK):
            expect = "5.6.1"    # refused: no LibreOffice to convert it
        check(r["Action"] == "failed" and r["Status"] == expect,
              "%s: want %s, got %s %s: %s" % (name, expect, r["Action"], r["Status"], text))
        check(r["X-Fax-Attempts"] == "0", "%s: a call was placed" % name)
        check("was not sent:" in text and "No call was placed" in text,
              "%s: text: %s" % (name, text))
        # Plain words, nothing cut in the middle of a name or type.
        check("?" * 3 not in text, "%s: garbled text: %s" % (name, text))
        if name == "outlook-docx.eml":
            check(DOCX in text, "%s: the type is cut: %s" % (name, text))
            check("finance).docx" in text, "%s: the name lost its end: %s" % (name, text))
        print("ok %-36s %s: %s" % (name, expect,
                                   text.split("was not sent: ", 1)[1][:100]))
    check(gw.proc.poll() is None and gw.proc.pid == pid, "the daemon did not survive")
    for p, what in ((busy, "busy answerer"), (real, "answerer")):
        try:
            out = p.communicate(timeout=120)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            p.kill()
            fail("%s did not finish" % what)
        if p is real:
            check(len(re.findall(r"^call=\S+ result=ok ", out, re.M)) == len(DELIVERED),
                  "t37fax: %s" % out)
    gw.stop()
    left = [j for j in jobs.values() if processes_mentioning(j)]
    check(not left, "processes left for jobs %s" % left)
    print("all %d corpus mails faxed or refused with a valid DSN" % len(mails))


if __name__ == "__main__":
    main()
