"""Helpers for the offramp tests that run real mail through the real daemon
(tests/integration/test_offramp_*.py): submit a message over SMTP and get
its job id, collect the DSNs the daemon delivers into its maildir and
check each one as an independent parser sees it (Python's email package:
RFC 6522 multipart/report, RFC 3464 fields, 7-bit, short lines, no parser
defects), and find processes a job left behind.
"""
import email
import email.policy
import glob
import os
import re
import smtplib
import time

from smtpd_lib import check, fail

STATUS_RE = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")


def submit(gw, raw, rcpt, envid, notify="SUCCESS,FAILURE"):
    """Sends raw (bytes, LF or CRLF) from alice@example.com to rcpt with
    ENVID=envid; returns the job id from the 250 reply."""
    data = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        s.ehlo("client.test")
        code, _ = s.mail("alice@example.com", ["RET=HDRS", "ENVID=" + envid])
        check(code == 250, "%s: MAIL %d" % (envid, code))
        code, _ = s.rcpt(rcpt, ["NOTIFY=" + notify])
        check(code == 250, "%s: RCPT %d" % (envid, code))
        code, text = s.data(data)
        check(code == 250, "%s: DATA %d %s" % (envid, code, text))
    m = re.search(rb"queued as ([0-9a-f]{16})", text)
    check(m is not None, "%s: no job id in %r" % (envid, text))
    return m.group(1).decode()


def maildir(gw):
    return sorted(glob.glob(os.path.join(gw.spool, "maildir", "new", "*")))


def dsns_by_envid(gw, want, secs):
    """Waits until a DSN for every ENVID in want arrived; {envid: message}."""
    got = {}
    end = time.time() + secs
    while time.time() < end:
        for path in maildir(gw):
            with open(path, "rb") as f:
                raw = f.read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            per_msg, _ = dsn_blocks(msg, path, raw)
            envid = per_msg.get("Original-Envelope-Id")
            if envid in want and envid not in got:
                got[envid] = (msg, raw)
        if len(got) == len(want):
            return got
        time.sleep(0.3)
    fail("no DSN after %d s for: %s\n%s" % (secs, sorted(set(want) - set(got)),
                                            gw.logtext(8000)))


def dsn_blocks(msg, name, raw):
    """Checks the DSN's structure; returns (per-message fields, [rcpt blocks])."""
    check(msg.get_content_type() == "multipart/report", "%s: type %s" %
          (name, msg.get_content_type()))
    check(msg.get_param("report-type") == "delivery-status", "%s: report-type" % name)
    check(all(b < 128 for b in raw), "%s: not 7-bit" % name)
    for i, line in enumerate(raw.split(b"\n")):
        check(len(line.rstrip(b"\r")) <= 998, "%s: line %d over 998" % (name, i + 1))
    for p in msg.walk():
        check(not p.defects, "%s: parser defects %r" % (name, p.defects))
    parts = msg.get_payload()
    check(len(parts) in (2, 3), "%s: %d parts" % (name, len(parts)))
    check(parts[0].get_content_type() == "text/plain", "%s: first part" % name)
    check(parts[1].get_content_type() == "message/delivery-status", "%s: no status" % name)
    blocks = parts[1].get_payload()
    check(len(blocks) >= 2, "%s: %d status blocks" % (name, len(blocks)))
    for b in blocks[1:]:
        check(STATUS_RE.match(b.get("Status", "")) is not None, "%s: Status %r" %
              (name, b.get("Status")))
        check(b.get("Action") in ("delivered", "failed", "delayed"), "%s: Action" % name)
    return blocks[0], blocks[1:]


def dsn_text(msg):
    """The human-readable part, line breaks as blanks."""
    return " ".join(msg.get_payload()[0].get_content().split())


def processes_mentioning(word):
    """Pids of processes whose command line contains word."""
    pids = []
    for d in glob.glob("/proc/[0-9]*"):
        try:
            with open(os.path.join(d, "cmdline"), "rb") as f:
                cmd = f.read().replace(b"\0", b" ")
        except OSError:
            continue
        if word.encode() in cmd and int(os.path.basename(d)) != os.getpid():
            pids.append(int(os.path.basename(d)))
    return pids
