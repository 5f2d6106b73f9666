#!/usr/bin/env python3
# t37-test: long
"""Call and job records (`cdr FILE`) from the real daemon, checked with
Python's json against the daemon's own log lines:

  onramp   t37fax send (2 pages) -> t37gw -> mail job -> maildir: a call
           record with the call id, pages, rate, ECM, media and result of
           the call= line, linked to the mail job of the `result=queued`
           line; the mail job's record (sent, linked back to the call)
  offramp  mail (2-page TIFF, NOTIFY=SUCCESS) -> t37gw -> t37fax answer: a
           call record with the call id of the call= line, the job and dial
           number of the `event=dial` line and the mail's Message-ID; the
           job record (done; the recipient delivered, 2.0.0, its last call);
           the record of the DSN's mail job (a report)
  rotate   the file renamed, SIGUSR1, another onramp call: its record is in
           the new file, none in the renamed one; the new file is the run
           user's, mode 0640
  start    a `cdr` file that cannot be opened stops the start, naming it

Every line must be one JSON object of valid UTF-8."""
import atexit
import email.message
import email.policy
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import stat
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail  # noqa: E402
from call_lib import answer, expect, have_tools, make_chart, send, wait_listening  # noqa: E402

LIMIT_S = 180
MSGID = "<cdr-test-1@example.com>"


def records(path):
    """Every record in path, each line checked to be one JSON object."""
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    out = []
    check(data == b"" or data.endswith(b"\n"), "%s: the last line is cut: %r" % (path, data[-80:]))
    for n, raw in enumerate(data.split(b"\n")[:-1], 1):
        try:
            rec = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            fail("%s:%d: not a JSON line of UTF-8 (%s): %r" % (path, n, e, raw[:200]))
        check(isinstance(rec, dict) and rec.get("type") in ("call", "job"),
              "%s:%d: not a call or job record: %r" % (path, n, raw[:200]))
        out.append(rec)
    return out


def wait_for(path, pred, what, gw, secs=LIMIT_S):
    end = time.time() + secs
    while time.time() < end:
        got = [r for r in records(path) if pred(r)]
        if got:
            return got[0]
        time.sleep(0.3)
    fail("%s: no record in %s:\n%s\n-- log:\n%s" % (
        what, path, "\n".join(json.dumps(r) for r in records(path)), gw.logtext()))


def log_search(gw, pattern, what):
    m = re.search(pattern, gw.logtext(tail=0), re.M)
    check(m is not None, "%s: no %r in the log:\n%s" % (what, pattern, gw.logtext()))
    return m


def onramp_call(work, name, sip_port, tif, gw, path, ident="+1 555 0199"):
    """One onramp call whose fax machine sends the TSI ident; its record,
    checked against the log and t37fax."""
    tx = send(work, name, "sip:9913170@127.0.0.1:%d" % sip_port, [tif], "--from", "9194724118",
              "--ident", ident)
    check(tx.wait(120) == 0, "%s: the onramp fax failed:\n%s" % (name, tx.text(err=True)[-2000:]))
    res = expect(tx, result="ok", pages=2)
    end = time.time() + 30
    while time.time() < end and not re.search(
            r"call=\w+ dir=onramp .*pages=2 job=\w+ .*result=queued", gw.logtext(tail=0)):
        time.sleep(0.2)
    # the line's call= line and the mail's
    calls = re.findall(r"call=(\w+) dir=onramp ani=9194724118 dnis=9913170 rdnis=\S* "
                       r"media=(\w+) sip=200 result=ok pages=2 rate=(\d+) ecm=(\d)",
                       gw.logtext(tail=0))
    check(calls, "%s: no call= line for the onramp call:\n%s" % (name, gw.logtext()))
    call, media, rate, ecm = calls[-1]
    job = log_search(gw, r"call=%s dir=onramp .*pages=2 job=(\w+) .*result=queued" % call,
                     name).group(1)
    rec = wait_for(path, lambda r: r["type"] == "call" and r.get("call") == call,
                   "%s: call %s" % (name, call), gw)
    for k, v in (("dir", "onramp"), ("ani", "9194724118"), ("dnis", "9913170"),
                 ("media", media), ("pages", 2), ("rate", int(rate)), ("ecm", ecm == "1"),
                 ("result", "ok"), ("cause", "none"), ("sip_status", 200), ("job", job),
                 ("mail", "queued"), ("peer", 210)):
        check(rec.get(k) == v, "%s: call record %s=%r, the log says %r:\n%s" % (
            name, k, rec.get(k), v, json.dumps(rec)))
    check(str(rec["rate"]) == res.get("rate"), "%s: rate %s, t37fax says %s" % (
        name, rec["rate"], res.get("rate")))
    # A TSI is peer data: whatever bytes it holds, the line is valid JSON
    # (records() parsed it) and the text is the TSI's, each byte that is
    # not UTF-8 replaced by U+FFFD.
    want = os.fsencode(ident).decode("utf-8", "replace").strip()
    check(rec.get("remote_ident", "").strip() == want, "%s: remote_ident %r, sent %r" % (
        name, rec.get("remote_ident"), want))
    for k in ("start", "answer", "end"):
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", rec.get(k, "")),
              "%s: %s=%r is not an RFC 3339 UTC time" % (name, k, rec.get(k)))
    check(rec["start"] <= rec["answer"] <= rec["end"], "%s: times out of order: %s" % (
        name, json.dumps(rec)))
    return call, job


def main():
    have_tools()
    work = tempfile.mkdtemp(prefix="t37cdr.")
    if not os.environ.get("T37_KEEP"):
        atexit.register(shutil.rmtree, work, True)
    two = os.path.join(work, "two.tif")
    make_chart(two, "0 12 0 5 chart 0 16 0 6 chart\n")
    gw = Gateway(max_size=2000000, extra=(
        "cdr {dir}/rec/cdr.json\n"
        "dial-peer voice 210 mmoip\n destination-pattern 99131..\n information-type fax\n"
        " session target mailto:fax-$d$@example.com\n"))
    recdir = os.path.join(gw.dir, "rec")
    os.mkdir(recdir)
    runuser = None
    if os.getuid() == 0:
        runuser = pwd.getpwnam("nobody")
        os.chown(recdir, runuser.pw_uid, runuser.pw_gid)
    path = os.path.join(recdir, "cdr.json")
    gw.start()
    with open(gw.conf) as f:
        conf = f.read()
    sip_port = int(re.search(r"listen udp 127\.0\.0\.1 (\d+)", conf).group(1))
    trunk_port = int(re.search(r"proxy sip:127\.0\.0\.1:(\d+)", conf).group(1))
    check("event=cdr result=ok path=%s" % path in gw.logtext(), "no cdr start line:\n%s" %
          gw.logtext())
    rx = answer(work, "offramp-rx", trunk_port)
    try:
        wait_listening(rx)

        # onramp
        call1, job1 = onramp_call(work, "onramp1", sip_port, two, gw, path)
        mrec = wait_for(path, lambda r: r["type"] == "job" and r.get("job") == job1,
                        "mail job %s" % job1, gw)
        log_search(gw, r"job=%s to=<fax-9913170@example.com> relay=maildir\[.*status=sent" % job1,
                   "mail job")
        for k, v in (("dir", "mail"), ("kind", "fax"), ("call", call1), ("result", "sent")):
            check(mrec.get(k) == v, "mail job record %s=%r, expected %r: %s" % (
                k, mrec.get(k), v, json.dumps(mrec)))
        r0 = mrec["recipients"][0]
        check(r0["address"] == "fax-9913170@example.com" and r0["action"] == "delivered" and
              r0["status"] == "2.0.0" and r0["attempts"] == 1,
              "mail job recipient: %s" % json.dumps(r0))

        # offramp
        m = email.message.EmailMessage()
        m["From"] = "alice@example.com"
        m["Subject"] = "cdr test"
        m["Message-ID"] = MSGID
        m.set_content("")
        with open(two, "rb") as f:
            m.add_attachment(f.read(), maintype="image", subtype="tiff", filename="two.tif")
        with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as sm:
            sm.sendmail("alice@example.com", ["FAX=+19195551234@fax.test"],
                        m.as_bytes(policy=email.policy.SMTP), rcpt_options=["NOTIFY=SUCCESS"])
        jrec = wait_for(path, lambda r: r["type"] == "job" and r.get("dir") == "offramp",
                        "offramp job", gw)
        check(rx.wait(30) == 0, "t37fax answer failed:\n%s" % rx.text(err=True)[-2000:])
        rres = expect(rx, result="ok", pages=2)
        ojob = jrec["job"]
        log_search(gw, r"job=%s dir=offramp event=done" % ojob, "offramp job")
        dial = log_search(gw, r"job=%s rcpt=0 number=\+19195551234 event=dial attempt=1 "
                          r"call=(\d+)" % ojob, "offramp dial").group(1)
        ocall, orate = log_search(gw, r"call=(\w+) dir=offramp ani=\S* dnis=\S+ rdnis=\S* "
                                  r"media=\w+ sip=200 result=ok pages=2 rate=(\d+)",
                                  "offramp call").groups()
        crec = wait_for(path, lambda r: r["type"] == "call" and r.get("call") == ocall,
                        "offramp call %s" % ocall, gw)
        for k, v in (("dir", "offramp"), ("job", ojob), ("dial", int(dial)), ("rcpt", 0),
                     ("number", "+19195551234"), ("attempt", 1), ("message_id", MSGID),
                     ("pages", 2), ("pages_total", 2), ("rate", int(orate)), ("result", "ok"),
                     ("peer", 400), ("remote_ident", "+1 555 0100")):
            check(crec.get(k) == v, "offramp call record %s=%r, expected %r:\n%s" % (
                k, crec.get(k), v, json.dumps(crec)))
        check(str(crec["rate"]) == rres.get("rate"), "offramp rate %s, t37fax says %s" % (
            crec["rate"], rres.get("rate")))
        for k, v in (("result", "done"), ("message_id", MSGID), ("sender", "alice@example.com"),
                     ("pages", 2)):
            check(jrec.get(k) == v, "offramp job record %s=%r, expected %r:\n%s" % (
                k, jrec.get(k), v, json.dumps(jrec)))
        rr = jrec["recipients"]
        check(len(rr) == 1, "offramp job recipients: %r" % rr)
        for k, v in (("address", "FAX=+19195551234@fax.test"), ("number", "+19195551234"),
                     ("status", "2.0.0"), ("action", "delivered"), ("attempts", 1),
                     ("pages", 2), ("pages_total", 2), ("call", ocall)):
            check(rr[0].get(k) == v, "offramp recipient %s=%r, expected %r: %s" % (
                k, rr[0].get(k), v, json.dumps(rr[0])))
        check(jrec["created"] <= jrec["end"], "job times: %s" % json.dumps(jrec))
        wait_for(path, lambda r: r["type"] == "job" and r.get("kind") == "report" and
                 r.get("about") == "offramp-" + ojob and r.get("result") == "sent",
                 "the DSN's mail job", gw)

        # rotate: rename, SIGUSR1, another call lands in the new file
        rotated = path + ".1"
        before = len(records(path))
        os.rename(path, rotated)
        gw.proc.send_signal(signal.SIGUSR1)
        end = time.time() + 10
        while "event=cdr-reopen result=ok" not in gw.logtext(tail=0) and time.time() < end:
            time.sleep(0.1)
        check("event=cdr-reopen result=ok" in gw.logtext(tail=0), "no reopen:\n%s" % gw.logtext())
        check(gw.proc.poll() is None, "SIGUSR1 ended the daemon")
        # this fax machine's TSI: a quote, a backslash, bytes that are not UTF-8
        call2, job2 = onramp_call(work, "onramp2", sip_port, two, gw, path,
                                  ident='+1 "\udcff\\ \udcc3(9')
        check(call2 != call1, "the same call id twice")
        check(not [r for r in records(rotated) if r.get("call") == call2],
              "the call after the rotation went to the old file")
        check(len(records(rotated)) == before, "the old file grew after the reopen")
        st = os.stat(path)
        check(stat.S_IMODE(st.st_mode) & 0o027 == 0, "new file mode %o" % st.st_mode)
        if runuser is not None:
            check(st.st_uid == runuser.pw_uid, "the new file belongs to uid %d" % st.st_uid)

        # a call refused (no dial-peer for the number) has its record too
        tx = send(work, "refused", "sip:5550000@127.0.0.1:%d" % sip_port, [two])
        tx.wait(60)
        ref = log_search(gw, r"call=(\w+) dir=onramp ani=\S+ dnis=5550000 result=refused sip=404",
                         "refused call").group(1)
        rrec = wait_for(path, lambda r: r["type"] == "call" and r.get("call") == ref,
                        "refused call %s" % ref, gw)
        for k, v in (("dir", "onramp"), ("dnis", "5550000"), ("result", "rejected"),
                     ("sip_status", 404), ("pages", 0)):
            check(rrec.get(k) == v, "refused call record %s=%r, expected %r: %s" % (
                k, rrec.get(k), v, json.dumps(rrec)))
        check("job" not in rrec and "answer" not in rrec and "rate" not in rrec,
              "refused call record: %s" % json.dumps(rrec))
    finally:
        rx.stop()
        gw.stop()
    n = len(records(path)) + len(records(rotated))
    print("cdr: %d records; onramp call %s -> mail job %s; offramp job %s call %s" % (
        n, call1, job1, ojob, ocall))

    # start: a file that cannot be opened stops the start, naming it
    bad = os.path.join(gw.dir, "no-such-dir", "cdr.json")
    badconf = os.path.join(gw.dir, "bad.conf")
    with open(badconf, "w") as f:
        os.fchmod(f.fileno(), 0o644)
        f.write(conf.replace("cdr %s" % path, "cdr %s" % bad))
    r = subprocess.run([os.path.join(BUILD, "t37gw"), "-c", badconf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    out = r.stdout.decode("utf-8", "replace")
    check(r.returncode == 1, "t37gw started with an unopenable cdr file (%d):\n%s" % (
        r.returncode, out))
    check(re.search(r"event=start subsystem=cdr result=failed error=\"cdr %s: No such file"
                    % re.escape(bad), out), "the start error does not name the file:\n%s" % out)
    print("ok")


if __name__ == "__main__":
    main()
