#!/usr/bin/env python3
"""Hostile offramp mail against the real daemon, and the daemon dying on it.

1. The poison message (its only part an empty text/html): a 5.6.1 DSN and
   the same daemon still serving.
2. A PDF of nested form XObjects that would keep Ghostscript busy for
   hours, with `fax send render-timeout 8`: a 5.3.4 DSN within the limit,
   while a plain mail sent after it is prepared and dialled meanwhile.
3. PostScript calling itself a PDF (the 54-byte "{} loop"): refused at once
   (5.6.5), never run.
4. kill -9 of the daemon while it prepares the nested-forms PDF, twice:
   each time the worker and its Ghostscript die with it (no orphan), and at
   the third start the job is set aside - one failed DSN ("the document
   could not be processed"), the job in failed/, an error in the log - and
   the gateway goes on with new mail.
5. The daemon's binary replaced while it runs (an upgrade): documents are
   still prepared, by the binary the daemon runs.
"""
import atexit
import email
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail  # noqa: E402
from offramp_lib import (dsn_blocks, dsn_text, dsns_by_envid, maildir,  # noqa: E402
                         processes_mentioning, submit)

SRCDIR = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "../.."))
T37FAX = os.path.join(BUILD, "t37fax")


def pdf_mail(name):
    with open(os.path.join(SRCDIR, "tests", "data", "hostile", "nested-forms.pdf"),
              "rb") as f:
        pdf = f.read()
    m = email.message.EmailMessage()
    m["From"] = "alice@example.com"
    m["To"] = "FAX=+19195550001@fax.test"
    m["Subject"] = "forms"
    m.set_content("see attached")
    m.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    return bytes(m)


def corpus(name):
    with open(os.path.join(SRCDIR, "tests", "data", "mail", name), "rb") as f:
        return f.read()


def text_mail():
    return b"From: alice@example.com\nSubject: plain\n\nA plain fax.\n"


def wait_log(gw, pattern, secs, start=0):
    end = time.time() + secs
    while time.time() < end:
        m = re.search(pattern, gw.logtext(0)[start:])
        if m:
            return m
        time.sleep(0.1)
    fail("no %r in the log after %d s:\n%s" % (pattern, secs, gw.logtext(6000)))


def gone(word, secs=3):
    end = time.time() + secs
    while time.time() < end and processes_mentioning(word):
        time.sleep(0.05)
    return not processes_mentioning(word)


def part_one():
    gw = Gateway(extra="fax send render-timeout 8\nfax send retry busy 1 10\n").start()
    with open(gw.conf) as f:
        port = int(re.search(r"sip:\$d\$@127\.0\.0\.1:(\d+)", f.read()).group(1))
    busy = subprocess.Popen([T37FAX, "answer", "--listen", "127.0.0.1:%d" % port,
                             "--out", tempfile.mkdtemp(prefix="t37host."), "--busy",
                             "--count", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    atexit.register(lambda: busy.poll() is None and busy.kill())
    time.sleep(0.5)
    pid = gw.proc.pid

    # 1. The poison message.
    submit(gw, corpus("html-only-empty.eml"), "FAX=+19195550001@fax.test", "poison")
    msg, raw = dsns_by_envid(gw, ["poison"], 30)["poison"]
    _, r = dsn_blocks(msg, "poison", raw)
    check(r[0]["Status"] == "5.6.1", "poison: %s" % r[0]["Status"])
    check(gw.proc.poll() is None and gw.proc.pid == pid, "the daemon died on the poison")
    print("ok poison message: 5.6.1, the daemon lives")

    # 2. Nested forms, then a plain mail: the plain one is not held up.
    t0 = time.time()
    forms = submit(gw, pdf_mail("forms.pdf"), "FAX=+19195550002@fax.test", "forms")
    plain = submit(gw, text_mail(), "FAX=+19195550003@fax.test", "plain")
    got = dsns_by_envid(gw, ["forms", "plain"], 60)
    log = gw.logtext(0)
    check(log.find("job=%s event=rendered" % plain) < log.find("job=%s event=undeliverable"
                                                               % forms),
          "the plain mail waited for the hostile PDF:\n" + log[-3000:])
    msg, raw = got["forms"]
    _, r = dsn_blocks(msg, "forms", raw)
    check(r[0]["Status"] == "5.3.4", "forms: %s: %s" % (r[0]["Status"], dsn_text(msg)))
    check("8 seconds" in dsn_text(msg), "forms: %s" % dsn_text(msg))
    secs = time.time() - t0
    check(secs < 8 + 5 + 10, "the PDF took %.0f s" % secs)
    msg, raw = got["plain"]
    _, r = dsn_blocks(msg, "plain", raw)
    check(r[0]["Status"] == "4.4.1", "plain: %s" % r[0]["Status"])
    check(gone(forms), "a process of the hostile job is still running")
    print("ok nested-forms PDF stopped at 8 s (%.1f s in all); the plain mail went first" % secs)

    # 3. PostScript disguised as PDF: refused unrun.
    t0 = time.time()
    submit(gw, corpus("disguised-postscript.eml"), "FAX=+19195550004@fax.test", "ps")
    msg, raw = dsns_by_envid(gw, ["ps"], 30)["ps"]
    _, r = dsn_blocks(msg, "ps", raw)
    check(r[0]["Status"] == "5.6.5", "ps: %s" % r[0]["Status"])
    check(time.time() - t0 < 6, "the PostScript ran %.0f s" % (time.time() - t0))
    print("ok PostScript in PDF clothing: 5.6.5 in %.1f s" % (time.time() - t0))
    busy.wait(30)
    gw.stop()


def part_two():
    gw = Gateway(extra="fax send render-timeout 120\n").start()
    job = submit(gw, pdf_mail("forms.pdf"), "FAX=+19195550005@fax.test", "poisonpdf",
                 notify="FAILURE")
    pos = 0
    for death in (1, 2):
        m = wait_log(gw, r"job=%s event=render pid=(\d+)" % job, 30, pos)
        worker = int(m.group(1))
        time.sleep(1.0)   # Ghostscript is at work
        check(os.path.exists("/proc/%d" % worker), "no worker %d" % worker)
        pos = len(gw.logtext(0))
        gw.kill9()
        check(gone(job), "death %d: the worker or Ghostscript outlived the daemon: %s" %
              (death, processes_mentioning(job)))
        gw.start()
        print("ok death %d while preparing: nothing left running" % death)
    wait_log(gw, r"job=%s event=quarantine" % job, 30, pos)
    msg, raw = dsns_by_envid(gw, ["poisonpdf"], 30)["poisonpdf"]
    _, r = dsn_blocks(msg, "poisonpdf", raw)
    check(r[0]["Action"] == "failed" and r[0]["Status"] == "5.6.5", "quarantine: %s %s" %
          (r[0]["Action"], r[0]["Status"]))
    check("the document could not be processed" in dsn_text(msg), dsn_text(msg))
    check(msg.get_payload()[2].get_content_type() == "text/rfc822-headers",
          "the poison was returned whole")
    check(os.path.isdir(os.path.join(gw.spool, "failed", job)), "not in failed/")
    check(not os.path.exists(os.path.join(gw.spool, "offramp", job)), "still in offramp/")
    check(re.search(r" err .*job=%s event=quarantine" % job, gw.logtext(0)) is not None,
          "no error line")
    # The gateway goes on.
    plain = submit(gw, text_mail(), "FAX=+19195550006@fax.test", "after")
    wait_log(gw, r"job=%s event=rendered" % plain, 30)
    time.sleep(2)
    dsns = [p for p in maildir(gw) if b"poisonpdf" in open(p, "rb").read()]
    check(len(dsns) == 1, "%d DSNs for the poison" % len(dsns))
    print("ok quarantined after two deaths: one DSN, job in failed/, the gateway goes on")
    gw.stop()


def part_three():
    """The daemon's binary replaced under it (a package upgrade): its
    workers are still the binary it runs."""
    import shutil
    import smtpd_lib
    bindir = tempfile.mkdtemp(prefix="t37bin.")
    os.chmod(bindir, 0o755)
    shutil.copy(os.path.join(BUILD, "t37gw"), os.path.join(bindir, "t37gw"))
    smtpd_lib.BUILD = bindir
    try:
        gw = Gateway().start()
    finally:
        smtpd_lib.BUILD = BUILD
    os.unlink(os.path.join(bindir, "t37gw"))
    with open(os.path.join(bindir, "t37gw"), "w") as f:
        f.write("#!/bin/sh\nexit 3\n")          # the "new version"
    os.chmod(os.path.join(bindir, "t37gw"), 0o755)
    job = submit(gw, text_mail(), "FAX=+19195550007@fax.test", "upgrade", notify="NEVER")
    wait_log(gw, r"job=%s event=rendered" % job, 30)
    gw.stop()
    shutil.rmtree(bindir)
    print("ok binary replaced while running: the worker is still the daemon's own")


def main():
    if not os.access(T37FAX, os.X_OK):
        print("t37fax is not built")
        sys.exit(77)
    part_one()
    part_two()
    part_three()


if __name__ == "__main__":
    main()
