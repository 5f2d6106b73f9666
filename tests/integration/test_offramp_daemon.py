#!/usr/bin/env python3
# t37-test: long
"""Offramp end to end with the real daemon: mail in over SMTP (smtplib, with
DSN parameters), fax out over SIP to `t37fax answer` on loopback, and the
DSN back through the mail queue into the maildir, checked with Python's
email package. Cases: a two-page TIFF arrives as two pages and
NOTIFY=SUCCESS gives a delivered DSN; NOTIFY=NEVER gives none; a busy
line is retried and fails with 4.4.1; an unsupported attachment fails
with 5.6.1 and places no call; text in several scripts with a character no
font has and a PNG screenshot arrive as two pages, and the delivered DSN
says one character printed as a box."""
import email
import email.policy
import glob
import os
import re
import smtplib
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail  # noqa: E402
from call_lib import make_tiff  # noqa: E402

T37FAX = os.path.join(BUILD, "t37fax")


def make_pdf(path):
    ps = "/Helvetica findfont 40 scalefont setfont 72 700 moveto (A PDF page) show showpage\n"
    r = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite",
                        "-sOutputFile=" + path, "-"], input=ps.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "gs pdf: %s" % r.stdout)


def page_lengths(path):
    out = subprocess.run(["tiffinfo", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    return [(int(w), int(h)) for w, h in
            re.findall(r"Image Width: (\d+) Image Length: (\d+)", out)]


def tiff_pages(path):
    out = subprocess.run(["tiffinfo", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    return out.count("TIFF Directory")


def answer(port, outdir, *extra):
    return subprocess.Popen([T37FAX, "answer", "--listen", "127.0.0.1:%d" % port,
                             "--out", outdir, "--ident", "+1 919 555 1234"] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def mail(gw, body, notify, attach=None):
    m = email.message.EmailMessage()
    m["From"] = "Alice <alice@example.com>"
    m["To"] = "FAX=+19195551234@fax.test"
    m["Subject"] = "Quarterly figures"
    m.set_content(body)
    if attach:
        data, maintype, subtype, name = attach
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        s.ehlo("client.test")
        s.sendmail("alice@example.com", ["FAX=+19195551234@fax.test"],
                   m.as_bytes(policy=email.policy.SMTP),
                   mail_options=["RET=HDRS", "ENVID=job-%d" % int(time.time())],
                   rcpt_options=["NOTIFY=" + notify])


def maildir_msgs(gw):
    return sorted(glob.glob(os.path.join(gw.spool, "maildir", "new", "*")))


def wait_dsn(gw, seen, secs):
    end = time.time() + secs
    while time.time() < end:
        new = [p for p in maildir_msgs(gw) if p not in seen]
        if new:
            with open(new[0], "rb") as f:
                return new[0], email.message_from_bytes(f.read(), policy=email.policy.default)
        time.sleep(0.2)
    fail("no DSN in the maildir after %d s:\n%s" % (secs, gw.logtext()))


def dsn_fields(msg):
    check(msg.get_content_type() == "multipart/report", "type %s" % msg.get_content_type())
    check(msg.get_param("report-type") == "delivery-status", "report-type")
    parts = msg.get_payload()
    check(parts[1].get_content_type() == "message/delivery-status", "no delivery-status")
    blocks = parts[1].get_payload()
    for p in msg.walk():
        check(not p.defects, "defects %r" % p.defects)
    return parts[0].get_content(), blocks[0], blocks[1]


def wait_proc(p, secs, what):
    try:
        out = p.communicate(timeout=secs)[0].decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        p.kill()
        fail("%s did not finish" % what)
    return out


def main():
    if not os.access(T37FAX, os.X_OK):
        print("t37fax is not built")
        sys.exit(77)
    gw = Gateway(extra="fax send retry busy 2 10\nfax send retry failure 3 10\n"
                       "fax send left-header $d$").start()
    with open(gw.conf) as f:
        trunk_port = int(re.search(r"sip:\$d\$@127\.0\.0\.1:(\d+)", f.read()).group(1))
    work = tempfile.mkdtemp(prefix="t37offd.")
    seen = []

    # 1. A two-page TIFF, NOTIFY=SUCCESS: two pages arrive, a delivered DSN.
    tif = os.path.join(work, "scan.tif")
    make_tiff(tif, 2)
    rx = os.path.join(work, "rx1")
    os.mkdir(rx)
    p = answer(trunk_port, rx, "--count", "1")
    time.sleep(0.5)
    with open(tif, "rb") as f:
        mail(gw, "", "SUCCESS,FAILURE", (f.read(), "image", "tiff", "scan.tif"))
    out = wait_proc(p, 150, "t37fax answer")
    check("result=ok" in out, "t37fax: %s" % out)
    got = glob.glob(os.path.join(rx, "*.tif"))
    check(len(got) == 1 and tiff_pages(got[0]) == 2, "received %r" % got)
    path, dsn = wait_dsn(gw, seen, 30)
    seen.append(path)
    text, per_msg, rcpt = dsn_fields(dsn)
    check(rcpt["Action"] == "delivered" and rcpt["Status"] == "2.0.0", "delivered: %s" % rcpt)
    check(rcpt["X-Fax-Pages"] == "2 of 2", "pages: %s" % rcpt["X-Fax-Pages"])
    check(per_msg["Reporting-MTA"] == "dns; gw.test", "Reporting-MTA")
    check(per_msg["Original-Envelope-Id"].startswith("job-"), "ENVID")
    check("was sent: 2 pages" in " ".join(text.split()), "text: %s" % text)
    check(dsn["To"] == "alice@example.com", "To: %s" % dsn["To"])
    print("ok delivered with DSN")

    # 2. NOTIFY=NEVER: the fax goes out, nothing comes back.
    rx = os.path.join(work, "rx2")
    os.mkdir(rx)
    p = answer(trunk_port, rx, "--count", "1")
    time.sleep(0.5)
    mail(gw, "A plain text fax.\n", "NEVER")
    out = wait_proc(p, 150, "t37fax answer")
    check("result=ok" in out, "t37fax: %s" % out)
    time.sleep(3)
    check(maildir_msgs(gw) == seen, "a DSN despite NOTIFY=NEVER")
    print("ok NOTIFY=NEVER")

    # 3. Busy twice (retry busy 2 10): a failed DSN with 4.4.1.
    rx = os.path.join(work, "rx3")
    os.mkdir(rx)
    p = answer(trunk_port, rx, "--count", "2", "--busy")
    time.sleep(0.5)
    mail(gw, "Busy line.\n", "FAILURE")
    wait_proc(p, 60, "t37fax answer --busy")
    path, dsn = wait_dsn(gw, seen, 30)
    seen.append(path)
    text, per_msg, rcpt = dsn_fields(dsn)
    check(rcpt["Action"] == "failed" and rcpt["Status"] == "4.4.1", "busy: %s" % rcpt)
    check("busy on all 2 attempts" in " ".join(text.split()), "text: %s" % text)
    print("ok busy retried, failed DSN 4.4.1")

    # 4. An unsupported attachment: 5.6.1, no call placed (no answerer).
    mail(gw, "see attached", "FAILURE",
         (b"\xd0\xcf\x11\xe0 not a fax", "application", "msword", "letter.doc"))
    path, dsn = wait_dsn(gw, seen, 30)
    seen.append(path)
    text, per_msg, rcpt = dsn_fields(dsn)
    check(rcpt["Status"] == "5.6.1" and "application/msword" in text, "5.6.1: %s" % text)
    check(rcpt["X-Fax-Attempts"] == "0", "a call was placed")
    print("ok unsupported attachment, failed DSN 5.6.1")

    # 5. kill -9 during a call: after the restart the call is placed again,
    # the fax arrives, and the sender gets exactly one DSN.
    rx = os.path.join(work, "rx5")
    os.mkdir(rx)
    p = answer(trunk_port, rx, "--count", "2")
    time.sleep(0.5)
    with open(tif, "rb") as f:
        mail(gw, "", "SUCCESS,FAILURE", (f.read(), "image", "tiff", "scan.tif"))
    end = time.time() + 30
    while time.time() < end and "phase=b" not in gw.logtext(20000).split("event=dial")[-1]:
        time.sleep(0.1)
    check(time.time() < end, "the call did not start:\n" + gw.logtext())
    gw.kill9()
    gw.start()
    out = wait_proc(p, 150, "t37fax answer (crash case)")
    results = re.findall(r"^call=\S+ result=(\w+)", out, re.M)
    check(results.count("ok") == 1, "t37fax after the restart: %s" % out)
    got = [g for g in glob.glob(os.path.join(rx, "*.tif")) if tiff_pages(g) == 2]
    check(len(got) >= 1, "no complete fax after the restart: %r" % out)
    path, dsn = wait_dsn(gw, seen, 30)
    seen.append(path)
    text, per_msg, rcpt = dsn_fields(dsn)
    check(rcpt["Action"] == "delivered", "after restart: %s" % rcpt)
    time.sleep(3)
    check(maildir_msgs(gw) == seen, "more than one DSN after the restart")
    print("ok kill -9 during a call: completed after restart, one DSN")

    # 6. A PDF and a 300-dpi US letter scan in one mail: rendered pages, the
    # scan at its physical size (11 in at 196 lines/in = 2156 rows).
    pdf = os.path.join(work, "doc.pdf")
    make_pdf(pdf)
    scan = os.path.join(work, "letter300.tif")
    r = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg4",
                        "-r300", "-g2550x3300", "-sOutputFile=" + scan, "-"],
                       input=b"/Helvetica findfont 80 scalefont setfont 72 700 moveto "
                             b"(Letter at 300 dpi) show showpage\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "gs scan: %s" % r.stdout)
    rx = os.path.join(work, "rx6")
    os.mkdir(rx)
    p = answer(trunk_port, rx, "--count", "1")
    time.sleep(0.5)
    m = email.message.EmailMessage()
    m["From"] = "alice@example.com"
    m["Subject"] = "PDF and scan"
    m.set_content("")
    with open(pdf, "rb") as f:
        m.add_attachment(f.read(), maintype="application", subtype="pdf", filename="doc.pdf")
    with open(scan, "rb") as f:
        m.add_attachment(f.read(), maintype="image", subtype="tiff", filename="letter.tif")
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as sm:
        sm.sendmail("alice@example.com", ["FAX=+19195551234@fax.test"],
                    m.as_bytes(policy=email.policy.SMTP), rcpt_options=["NOTIFY=NEVER"])
    out = wait_proc(p, 150, "t37fax answer (PDF)")
    got = glob.glob(os.path.join(rx, "*.tif"))
    check(len(got) == 1, "PDF case: %s" % out)
    sizes = page_lengths(got[0])
    check(len(sizes) == 2 and all(w == 1728 for w, _ in sizes), "pages: %r" % sizes)
    check(abs(sizes[1][1] - 2156) <= 2156 * 0.02, "letter scan rows %d, want ~2156" % sizes[1][1])
    print("ok PDF rendered, 300-dpi letter at its size: %r" % sizes)

    # 7. Text in Russian, Chinese and Hebrew with one private-use character
    # no font has, and a PNG screenshot: two pages, and the delivered DSN
    # says that one character printed as a box.
    png = os.path.join(work, "shot.png")
    r = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=png16m",
                        "-r96", "-g800x500", "-sOutputFile=" + png, "-"],
                       input=b"1 0 0 setrgbcolor 40 300 500 60 rectfill 0 setgray "
                             b"/Helvetica findfont 30 scalefont setfont 60 320 moveto "
                             b"(Error 42: disk full) show showpage\n",
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "gs png: %s" % r.stdout)
    rx = os.path.join(work, "rx7")
    os.mkdir(rx)
    p = answer(trunk_port, rx, "--count", "1")
    time.sleep(0.5)
    with open(png, "rb") as f:
        mail(gw, "Привет, 你好, שלום \U0010fffd\n", "SUCCESS,FAILURE",
             (f.read(), "image", "png", "shot.png"))
    out = wait_proc(p, 150, "t37fax answer (text and image)")
    check("result=ok" in out, "t37fax: %s" % out)
    got = glob.glob(os.path.join(rx, "*.tif"))
    check(len(got) == 1 and tiff_pages(got[0]) == 2, "received %r: %s" % (got, out))
    path, dsn = wait_dsn(gw, seen, 30)
    seen.append(path)
    text, per_msg, rcpt = dsn_fields(dsn)
    check(rcpt["Action"] == "delivered", "text and image: %s" % rcpt)
    check("Note: 1 character of your message could not be printed" in " ".join(text.split()),
          "no note on the missing glyph: %s" % text)
    check("missing_glyphs=1" in gw.logtext(), "no missing_glyphs=1 in the log")
    print("ok scripts and a PNG: two pages, the DSN notes one missing glyph")
    gw.stop()


if __name__ == "__main__":
    main()
