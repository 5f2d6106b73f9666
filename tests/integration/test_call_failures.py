#!/usr/bin/env python3
# t37-test: long
"""Every way a call fails names its layer, in the gateway's call line and
attempt line and, in words a sender understands, in the offramp DSN. All at
once, through the real daemon (offramp mail -> t37gw -> SIP peer):

  busy                 t37fax answer --busy (486)
  no answer            t37fax answer --no-answer (ring timeout, CANCEL)
  SIP 503              a scripted peer answering 503
  SIP timeout          a peer that never answers the INVITE
  network              a TCP session target nobody listens on
  dead call            t37fax answer stopped (SIGSTOP) just after answering:
                       no media either way, no answer to OPTIONS
  T.30, partial,       t37fax answer refusing T.38 (488), stopped after the
  T.38 refused         first of two pages: T.30 phase D gives up
  not a fax machine    a scripted peer that answers and stays silent

and on the onramp side: a T.38 caller stopped in the middle of a page is a
dead call, ended within media-timeout + the OPTIONS wait (bounded here by
a loose limit, not timed), logged with the T.30 phase it interrupted."""
import email.message
import email.policy
import os
import re
import signal
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check, fail  # noqa: E402
from call_lib import (answer, free_port, have_tools, make_chart, maildir_messages, send,  # noqa: E402
                      wait_listening)

HERE = os.path.dirname(os.path.abspath(__file__))
MEDIA_TIMEOUT = 5
# What each offramp number meets, what the DSN must say.
#   (number suffix, Status, Diagnostic-Code substrings, words in the text,
#    cause on the attempt line)
CASES = {
    "busy": ("01", "4.4.1", ["SIP 486 Busy Here"], "the line was busy", "busy"),
    "noanswer": ("02", "4.4.1", ["SIP 487: no answer in"], "nobody answered", "noanswer"),
    "503": ("03", "4.4.2", ["SIP 503 Service Unavailable"],
            "the telephone network could not connect the call", "sip-rejected"),
    "timeout": ("04", "4.4.2", ["SIP timeout: no response to INVITE"],
                "the telephone network did not respond to the call", "sip-timeout"),
    "dead": ("05", "4.4.2", ["media: dead call: no media either way for %d s" % MEDIA_TIMEOUT,
                             "no answer to OPTIONS"],
             "the connection was lost during the call", "dead-call"),
    "t30": ("06", "4.4.2", ["T.30 phase D code ", "1 of 2 pages confirmed",
                            "T.38 refused (488), G.711 used"],
            "the receiving fax machine did not confirm a page", "t30"),
    "notfax": ("07", "4.4.1", ["T.30 phase ", "(no T.30 frame from the remote side)"],
               "the number answered, but not as a fax machine", "not-fax"),
    "network": ("08", "4.4.2", ["network: Connection refused"],
                "the gateway could not reach the telephone network", "network"),
}
LIMIT_S = 240


def wait_log(gw, pattern, secs, what):
    end = time.time() + secs
    while time.time() < end:
        m = re.search(pattern, gw.logtext(tail=0), re.M)
        if m:
            return m
        time.sleep(0.1)
    fail("%s: no %r in the log:\n%s" % (what, pattern, gw.logtext()))


def main():
    have_tools()
    work = tempfile.mkdtemp(prefix="t37fail.")
    two = os.path.join(work, "two.tif")
    make_chart(two, "0 12 0 5 chart 0 16 0 6 chart\n")
    dense = os.path.join(work, "dense.tif")
    make_chart(dense, "110 24 0 7 chart\n")
    ports = {name: free_port() for name in CASES}
    closed_tcp = free_port()
    tcp_listen = free_port()
    peers = ""
    for i, (name, c) in enumerate(sorted(CASES.items())):
        target = "sip:$d$@127.0.0.1:%d" % (closed_tcp if name == "network" else ports[name])
        if name == "network":
            target += ";transport=tcp"
        peers += ("dial-peer voice %d voip\n destination-pattern 191955500%s\n"
                  " session target %s\n" % (500 + i, c[0], target))
    gw = Gateway(max_size=2000000,
                 extra="sip\n listen tcp 127.0.0.1 %d\n media-timeout %d\n"
                       "fax send retry busy 1 10\nfax send retry no-answer 1 10\n"
                       "fax send retry failure 1 10\n%s"
                       "dial-peer voice 210 mmoip\n destination-pattern 99131..\n"
                       " information-type fax\n session target mailto:fax-$d$@example.com\n"
                       % (tcp_listen, MEDIA_TIMEOUT, peers)).start()
    with open(gw.conf) as f:
        sip_port = int(re.search(r"listen udp 127\.0\.0\.1 (\d+)", f.read()).group(1))

    fx = {
        "busy": answer(work, "busy", ports["busy"], "--busy"),
        "noanswer": answer(work, "noanswer", ports["noanswer"], "--no-answer"),
        "dead": answer(work, "dead", ports["dead"]),
        "t30": answer(work, "t30", ports["t30"], "--t38-refuse", "488",
                      "--ident", "+1 555 0106"),
    }
    scripted = [subprocess.Popen([sys.executable, os.path.join(HERE, "sip_peer.py"),
                                  str(ports[n])] + args)
                for n, args in (("503", ["reply", "503 Service Unavailable"]),
                                ("timeout", ["blackhole"]), ("notfax", ["voice"]))]
    try:
        wait_listening(*fx.values())
        time.sleep(0.5)   # the scripted peers bind at once
        with open(two, "rb") as f:
            data = f.read()

        def mail(name):
            m = email.message.EmailMessage()
            m["From"] = "alice@example.com"
            m["Subject"] = "Failure case " + name
            m.set_content("")
            m.add_attachment(data, maintype="image", subtype="tiff", filename="two.tif")
            with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as sm:
                sm.sendmail("alice@example.com", ["FAX=+191955500%s@fax.test" % CASES[name][0]],
                            m.as_bytes(policy=email.policy.SMTP), rcpt_options=["NOTIFY=FAILURE"])

        # dead: alone first, stopped once it answered with its CED tone (the
        # gateway's T.38 re-INVITE follows the tone), before any T.30 frame
        start = time.time()
        mail("dead")
        wait_log(gw, r"t38 re-INVITE sent", 60, "dead: no answer tone")
        os.kill(fx["dead"].proc.pid, signal.SIGSTOP)
        for name in sorted(CASES):
            if name != "dead":
                mail(name)
        # onramp: a T.38 caller that stops in the middle of a page
        onramp = send(work, "onramp", "sip:9913170@127.0.0.1:%d" % sip_port, [dense], "--t38")

        # t30: stopped once the gateway has the first page confirmed (MCF)
        m = wait_log(gw, r'call=(\w+) phase=b rate=\d+ ecm=\d remote="\+1 555 0106"', 60,
                     "t30")
        t30_call = m.group(1)
        wait_log(gw, r"call=%s page=1 " % t30_call, 120, "t30: first page")
        os.kill(fx["t30"].proc.pid, signal.SIGSTOP)
        # onramp: stopped 5 s into its page
        m = wait_log(gw, r'call=(\w+) phase=b rate=\d+ ecm=\d remote="\+1 555 0199"', 60,
                     "onramp")
        time.sleep(5)
        os.kill(onramp.proc.pid, signal.SIGSTOP)
        stopped = time.time()
        line = wait_log(gw, r"call=%s dir=onramp .*result=.*" % m.group(1), 60, "onramp dead call")
        took = time.time() - stopped
        os.kill(onramp.proc.pid, signal.SIGCONT)
        print("onramp: %s (ended %.0f s after the caller stopped)" % (line.group(0), took))
        for want in ("result=failed", "cause=dead-call", "t30_phase=C",
                     "dead call: no media either way for %d s, no answer to OPTIONS"
                     % MEDIA_TIMEOUT, "in T.30 phase C (page transfer)"):
            check(want in line.group(0), "onramp call line lacks %r" % want)
        check("rate=14400" in line.group(0), "a fax phase ran: rate expected")

        # every DSN
        deadline = start + LIMIT_S
        while time.time() < deadline:
            dsns = [m for p, m in maildir_messages(os.path.join(gw.spool, "maildir"))
                    if m.get_content_type() == "multipart/report"]
            if len(dsns) >= len(CASES):
                break
            time.sleep(0.5)
        check(len(dsns) == len(CASES), "%d DSNs for %d cases:\n%s" % (
            len(dsns), len(CASES), gw.logtext(tail=0)[-6000:]))
    finally:
        for f in fx.values():
            f.stop()
        for p in scripted:
            p.terminate()
            p.wait()
    log = gw.logtext(tail=0)
    for d in dsns:
        text = " ".join(d.get_payload()[0].get_content().split())
        st = d.get_payload()[1].get_payload()[1]
        number = st["X-Fax-Number"]
        name = [n for n, c in CASES.items() if number.endswith("191955500" + c[0])]
        check(len(name) == 1, "a DSN for %s" % number)
        name = name[0]
        _, status, diags, words, cause = CASES[name]
        diag = " ".join(str(st["Diagnostic-Code"]).split())
        if name == "t30" and "dead call" in diag:
            # The frozen receiver sends nothing at all: T.30 gives up after
            # its post-page retries (about 12-16 s), the dead-call check
            # after MEDIA_TIMEOUT quiet seconds and an unanswered OPTIONS
            # (13 s). Either may end the call first on a busy machine; the
            # DSN must then still count the pages and name its layer.
            _, status, diags, words, cause = CASES["dead"]
            diags = diags + ["1 of 2 pages confirmed", "T.38 refused (488), G.711 used"]
        print("%-8s %s %s | %s" % (name, st["Status"], diag, words))
        check(st["Action"] == "failed", "%s: Action %s" % (name, st["Action"]))
        check(st["Status"] == status, "%s: Status %s, expected %s" % (name, st["Status"], status))
        for want in diags:
            check(want in diag, "%s: Diagnostic-Code %r lacks %r" % (name, diag, want))
        check("was not sent: " + words in text, "%s: the text lacks %r:\n%s" % (
            name, words, text))
        check(not re.search(r"T\.30 error 0|fax transfer failed", diag + text),
              "%s: the old untruthful words: %s / %s" % (name, diag, text))
        m = re.search(r"number=\+?191955500%s result=\w+ .* cause=(\S+) diag=" % CASES[name][0],
                      log)
        check(m and m.group(1) == cause, "%s: attempt line cause %s, expected %s" % (
            name, m.group(1) if m else None, cause))
        if name == "t30":
            check(st["X-Fax-Pages"] == "1 of 2", "t30: pages %s" % st["X-Fax-Pages"])
            check("1 of 2 pages had been sent" in text, "t30: text %s" % text)
    # the 488 to the T.38 re-INVITE was acted on, not waited out (only the
    # t30 peer refuses; the dead peer may be stopped before it answers its
    # re-INVITE, and then the timer is what ends the wait)
    check(re.search(r"call=%s t38 re-INVITE refused: 488 .*: staying on g711" % t30_call, log),
          "the gateway did not act on the 488")
    check("call=%s t38 re-INVITE unanswered" % t30_call not in log,
          "the gateway waited for its re-INVITE timer on the call that got a 488")
    # no rate on calls where no fax phase ran
    for n in ("busy", "noanswer", "503", "timeout", "network", "notfax"):
        m = re.search(r"call=\w+ dir=offramp ani=\S* dnis=\+?191955500%s .*" % CASES[n][0],
                      log)
        check(m is not None, "%s: no call line" % n)
        check(" rate=" not in m.group(0), "%s: a rate on a call with no fax: %s" % (
            n, m.group(0)))
    gw.stop()
    print("failures: every cause named")
    if not os.environ.get("T37_KEEP"):
        import shutil
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
