#!/usr/bin/env python3
"""Rendering stays bounded: mails that would make far more fax than the
limits allow fail with a clear DSN naming the limit, the document worker
stops at the limit instead of rendering everything first, and the daemon
goes on accepting and preparing mail. Through the real daemon and SMTP:

1. a text of 60,000 lines (about 1,000 pages) against `fax send max-pages`
   (100, the default): 5.3.4, "text longer than 100 pages", prepared well
   within `fax send render-timeout` (the worker lays out 101 pages, draws
   none, and is not killed by the time limit);
2. twelve text attachments of 17 pages each (204 pages together, each
   under the limit): 5.3.4 naming the attachment that crosses page 100,
   not one found after every part was drawn;
3. a 30-megapixel JPEG photo (6000 x 5000) against `fax send max-pixels
   20`: 5.3.4 naming its size and the limit, refused from its header;
4. then a one-line text mail is still prepared (its call is placed).
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import Gateway, check  # noqa: E402
from offramp_lib import dsn_blocks, dsn_text, dsns_by_envid, submit  # noqa: E402
import documents_lib as D  # noqa: E402

RENDER_TIMEOUT = 30
MAX_MPIXELS = 20
LONG_LINES = 60000
PARTS, PART_LINES = 12, 1000


def text_mail(to, subject, body):
    return ("From: Olga <olga@example.org>\nTo: %s\nSubject: %s\n"
            "Date: Tue, 1 Dec 2026 09:00:00 +0100\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=us-ascii\n\n" % (to, subject) +
            body).encode()


def numbered(n, what):
    return "".join("%s line %5d: the quick brown fox jumps over the lazy dog\n" %
                   (what, i + 1) for i in range(n))


def many_parts(to):
    out = ["From: Olga <olga@example.org>\nTo: %s\nSubject: Logs\n"
           "Date: Tue, 1 Dec 2026 09:00:00 +0100\nMIME-Version: 1.0\n"
           "Content-Type: multipart/mixed; boundary=\"b1\"\n\n" % to]
    for k in range(PARTS):
        out.append("--b1\nContent-Type: text/plain; charset=us-ascii\n"
                   "Content-Disposition: attachment; filename=\"log%02d.txt\"\n\n%s" %
                   (k + 1, numbered(PART_LINES, "log %02d" % (k + 1))))
    out.append("--b1--\n")
    return "".join(out).encode()


def photo_mail(to, jpg):
    return ("From: Paul <paul@example.net>\nTo: %s\nSubject: The big photo\n"
            "Date: Tue, 1 Dec 2026 10:00:00 +0100\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"b2\"\n\n"
            "--b2\nContent-Type: text/plain\n\nThe site from the air.\n\n"
            "--b2\nContent-Type: image/jpeg; name=\"IMG_9000.JPG\"\n"
            "Content-Disposition: attachment; filename=\"IMG_9000.JPG\"\n"
            "Content-Transfer-Encoding: base64\n\n%s\n--b2--\n" % (to, D.b64(jpg))).encode()


def failed(gw, got, name):
    msg, raw = got[name]
    _, rcpts = dsn_blocks(msg, name, raw)
    r = rcpts[0]
    text = dsn_text(msg)
    check(r["Action"] == "failed" and r["Status"] == "5.3.4",
          "%s: %s %s: %s" % (name, r["Action"], r["Status"], text))
    return " ".join(text.split())


def render_secs(log, job):
    m = re.search(r"job=%s event=render-failed status=5\.3\.4 secs=([0-9.]+)" % job, log)
    check(m is not None, "no render-failed line for job %s:\n%s" % (job, log[-3000:]))
    return float(m.group(1))


def main():
    work = tempfile.mkdtemp(prefix="t37bounds.")
    gw = Gateway(extra="fax send render-timeout %d\nfax send max-pixels %d\n" %
                 (RENDER_TIMEOUT, MAX_MPIXELS), max_size=20000000).start()
    jpg = D.photo_jpeg(os.path.join(work, "big.jpg"), 6000, 5000)
    to = "FAX=+19195550199@fax.test"
    jobs = {
        "long-text": submit(gw, text_mail(to, "Long", numbered(LONG_LINES, "text")), to,
                            "long-text", "FAILURE"),
        "many-parts": submit(gw, many_parts(to), to, "many-parts", "FAILURE"),
        "big-photo": submit(gw, photo_mail(to, jpg), to, "big-photo", "FAILURE"),
    }
    got = dsns_by_envid(gw, list(jobs), 240)
    log = gw.logtext(0)

    text = failed(gw, got, "long-text")
    check("text longer than 100 pages" in text, "long-text: %s" % text)
    secs = render_secs(log, jobs["long-text"])
    check(secs < RENDER_TIMEOUT, "long-text: %.1f s, the render time limit" % secs)
    print("ok long-text: 5.3.4 after %.1f s: %s" % (secs, text[:160]))

    text = failed(gw, got, "many-parts")
    m = re.search(r"the fax would have more than 100 pages: the attachment "
                  r"\"log(\d\d)\.txt\" \(text/plain\) starts on page (\d+) and does "
                  r"not end by page 100; the limit is 100", text)
    check(m is not None and 1 < int(m.group(1)) < PARTS and int(m.group(2)) <= 100,
          "many-parts: %s" % text)
    secs = render_secs(log, jobs["many-parts"])
    print("ok many-parts: 5.3.4 after %.1f s: %s" % (secs, text[:200]))

    text = failed(gw, got, "big-photo")
    check("IMG_9000.JPG" in text and "6000 x 5000 pixels" in text and
          "the limit is %d000000 pixels" % MAX_MPIXELS in text, "big-photo: %s" % text)
    secs = render_secs(log, jobs["big-photo"])
    print("ok big-photo: 5.3.4 after %.1f s: %s" % (secs, text[:200]))

    check(gw.proc.poll() is None, "the daemon is gone:\n%s" % log[-3000:])
    job = submit(gw, text_mail(to, "Short", "One line.\n"), to, "short", "FAILURE")
    end = time.time() + 30
    while time.time() < end:
        log = gw.logtext(0)
        if re.search(r"job=%s event=rendered pages=1 " % job, log):
            break
        time.sleep(0.2)
    check(re.search(r"job=%s event=rendered pages=1 " % job, log),
          "a short mail after them was not prepared:\n%s" % log[-3000:])
    print("ok the daemon prepares mail after them")
    gw.stop()
    subprocess.run(["rm", "-rf", work])
    print("oversized documents fail at their limits with a DSN that names them")


if __name__ == "__main__":
    main()
