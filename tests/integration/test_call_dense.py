#!/usr/bin/env python3
# t37-test: exclusive (loads the machine or measures timing; runs alone)
"""Dense pages: a 4-page test chart document whose dense pages take 65-100 s
of line time each (more than two full ECM blocks; at 9,600 bit/s an ECM
block alone takes 55 s) goes through in every combination at once:

  T.38, t37fax send -> t37fax answer        14,400 / 9,600, ECM on / off
  G.711, to a receiver with voice activity detection that sends nothing
         while a page comes in (t37fax answer --silent-rx), same four
  offramp: mail -> t37gw -> call to t37fax answer (T.38), same four
  onramp:  t37fax send -> t37gw (T.38) -> mail in the maildir, same four

Every call must end ok with the rate and ECM asked for, and every received
page must equal the page sent, row for row. A receiver that is silent for
longer than the old 30 s media timeout used to get the call cut ("media
timeout") after 1 to 3 pages.

One exception, because T.4 without ECM has no error correction: on a G.711
call without ECM whose receiver logged RTP packets lost or late (16 calls
at once on a small machine can hold a sender up past the 60 ms playout
delay), a page may lose the rows its receiver reported bad, and only
those; every page it reported clean must still be identical."""
import os
import re
import smtplib
import sys
import tempfile
import time
import email.message
import email.policy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check, fail  # noqa: E402
from call_lib import (answer, free_port, expect, have_tools, make_chart, maildir_messages,  # noqa: E402
                      media_impaired, received, same_pages_but_damaged, same_pages, send, tiff_attachment, wait_listening)

# The longest call (4 pages at 9,600 bit/s without ECM) takes about 300 s.
CALL_MAX_S = 540
COMBOS = [(14400, True), (14400, False), (9600, True), (9600, False)]


def opts(rate, ecm):
    o = ["--max-rate", str(rate)]
    if not ecm:
        o.append("--no-ecm")
    return o


def main():
    have_tools()
    work = tempfile.mkdtemp(prefix="t37dense.")
    doc = os.path.join(work, "chart.tif")
    make_chart(doc)
    check(os.path.getsize(doc) > 200000, "the test chart is not dense")

    offramp_ports = [free_port() for _ in COMBOS]
    peers = "".join(
        "dial-peer voice %d voip\n destination-pattern 1919555000%d\n"
        " session target sip:$d$@127.0.0.1:%d\n" % (500 + i, i, port)
        for i, port in enumerate(offramp_ports))
    gw = Gateway(max_size=4000000,
                 extra="fax send retry busy 1 10\nfax send retry no-answer 1 10\n"
                       "fax send retry failure 1 10\n" + peers +
                       "dial-peer voice 210 mmoip\n destination-pattern 99131..\n"
                       " information-type fax\n session target mailto:fax-$d$@example.com\n"
                       ).start()
    with open(gw.conf) as f:
        sip_port = int(re.search(r"listen udp 127\.0\.0\.1 (\d+)", f.read()).group(1))

    answers, sends = [], []
    for i, (rate, ecm) in enumerate(COMBOS):
        tag = "%d%s" % (rate, "ecm" if ecm else "")
        # offramp: the receiver's capabilities set rate and ECM
        a = answer(work, "off-" + tag, offramp_ports[i], *opts(rate, ecm))
        a.want = dict(rate=rate, ecm=int(ecm), t38=1)
        answers.append(a)
        # direct T.38: the sender's
        p = free_port()
        a = answer(work, "t38-" + tag, p)
        s = send(work, "t38s-" + tag, "sip:1@127.0.0.1:%d" % p, [doc], "--t38",
                 *opts(rate, ecm))
        a.want = s.want = dict(rate=rate, ecm=int(ecm), t38=1)
        answers.append(a)
        sends.append(s)
        # direct G.711 to a receiver silent during pages; half the limits
        # on each side
        p = free_port()
        side = opts(rate, ecm)
        a = answer(work, "g711-" + tag, p, "--g711", "--silent-rx",
                   *(side if rate == 9600 else []))
        s = send(work, "g711s-" + tag, "sip:2@127.0.0.1:%d" % p, [doc], "--g711",
                 *(side if rate != 9600 else []))
        a.want = s.want = dict(rate=rate, ecm=int(ecm), t38=0)
        answers.append(a)
        sends.append(s)
    wait_listening(*answers)
    # onramp: t37fax calls the gateway
    for i, (rate, ecm) in enumerate(COMBOS):
        s = send(work, "on-%d%s" % (rate, "ecm" if ecm else ""),
                 "sip:991317%d@127.0.0.1:%d" % (i, sip_port), [doc], "--t38",
                 "--from", "919555123%d" % i, *opts(rate, ecm))
        s.want = dict(rate=rate, ecm=int(ecm), t38=1)
        s.dnis = "991317%d" % i
        sends.append(s)
    # offramp: one mail per combination
    with open(doc, "rb") as f:
        data = f.read()
    for i in range(len(COMBOS)):
        m = email.message.EmailMessage()
        m["From"] = "alice@example.com"
        m["Subject"] = "Test chart %d" % i
        m.set_content("")
        m.add_attachment(data, maintype="image", subtype="tiff", filename="chart.tif")
        with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as sm:
            sm.sendmail("alice@example.com", ["FAX=+1919555000%d@fax.test" % i],
                        m.as_bytes(policy=email.policy.SMTP),
                        rcpt_options=["NOTIFY=SUCCESS,FAILURE"])
    start = time.time()
    for f in answers + sends:
        f.wait(max(10, CALL_MAX_S - (time.time() - start)))
    print("all calls ended after %d s" % (time.time() - start))

    for f in answers + sends:
        expect(f, result="ok", pages=4, **f.want)
        if not hasattr(f, "rx"):
            continue
        if f.want["t38"] == 0 and f.want["ecm"] == 0 and media_impaired(f):
            same_pages_but_damaged(doc, f, f.name)
        else:
            same_pages(doc, received(f), f.name)
    # onramp: each fax mailed, pages identical
    deadline = time.time() + 60
    while time.time() < deadline:
        msgs = [(p, m) for p, m in maildir_messages(os.path.join(gw.spool, "maildir"))
                if str(m["To"]).startswith("fax-99131")]
        if len(msgs) == len(COMBOS):
            break
        time.sleep(0.5)
    check(len(msgs) == len(COMBOS), "onramp: %d of %d faxes mailed\n%s" % (
        len(msgs), len(COMBOS), gw.logtext()))
    for s in sends:
        if not hasattr(s, "dnis"):
            continue
        m = [m for p, m in msgs if str(m["To"]) == "fax-%s@example.com" % s.dnis]
        check(len(m) == 1, "onramp %s: no mail to fax-%s" % (s.name, s.dnis))
        same_pages(doc, tiff_attachment(m[0], os.path.join(work, s.name + ".tif")),
                   s.name + " (mailed)")
    # offramp: the gateway's call lines, and a delivered DSN for each mail
    log = gw.logtext(tail=0)
    calls = re.findall(r"dir=offramp .* result=(\w+) pages=(\d+) .*cause=(\S+)", log)
    check(len(calls) == len(COMBOS) and all(c == ("ok", "4", "none") for c in calls),
          "offramp call lines: %r" % calls)
    check("media timeout" not in log and "dead call" not in log, "a call was cut:\n" + log)
    deadline = time.time() + 60
    while time.time() < deadline:
        dsns = [m for p, m in maildir_messages(os.path.join(gw.spool, "maildir"))
                if m.get_content_type() == "multipart/report"]
        if len(dsns) == len(COMBOS):
            break
        time.sleep(0.5)
    check(len(dsns) == len(COMBOS), "offramp: %d DSNs for %d mails" % (len(dsns), len(COMBOS)))
    for d in dsns:
        status = d.get_payload()[1].get_payload()[1]
        check(status["Action"] == "delivered" and status["X-Fax-Pages"] == "4 of 4",
              "DSN: %s %s" % (status["Action"], status["X-Fax-Pages"]))
    print("dense pages: 16 calls of 4 pages, every page identical or its damage reported")
    gw.stop()
    for f in answers + sends:
        f.stop()
    if not os.environ.get("T37_KEEP"):
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # an unexpected error is a failure with its reason
        fail("%s: %s" % (type(e).__name__, e))
