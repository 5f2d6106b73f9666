#!/usr/bin/env python3
"""`fax send hold` with the real daemon: mail sent while the offramp is on
hold is accepted (250) and durable in the spool, but no call is placed and
no document is prepared; removing the line and reloading (SIGHUP) releases
the job, the fax arrives at `t37fax answer` and the DSN says delivered.
A restart while on hold keeps the job held."""
import email
import email.policy
import glob
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail  # noqa: E402

T37FAX = os.path.join(BUILD, "t37fax")
HELD_SECS = 4           # how long the test watches for a call that must not come


def mail(gw, body):
    m = email.message.EmailMessage()
    m["From"] = "Alice <alice@example.com>"
    m["To"] = "FAX=+19195551234@fax.test"
    m["Subject"] = "Held fax"
    m.set_content(body)
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        s.ehlo("client.test")
        s.sendmail("alice@example.com", ["FAX=+19195551234@fax.test"],
                   m.as_bytes(policy=email.policy.SMTP),
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE"])


def wait_log(gw, what, secs):
    end = time.time() + secs
    while time.time() < end:
        if what in gw.logtext(200000):
            return
        time.sleep(0.1)
    fail("no %r in the log after %d s:\n%s" % (what, secs, gw.logtext()))


def udp_listener(port):
    """Stands in for the trunk while on hold: any INVITE would land here."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.2)
    return s


def no_invite(sock, secs):
    end = time.time() + secs
    while time.time() < end:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        check(not data.startswith(b"INVITE"), "a call was placed while on hold")


def main():
    if not os.access(T37FAX, os.X_OK):
        print("t37fax is not built")
        sys.exit(77)
    gw = Gateway(extra="fax send hold").start()
    with open(gw.conf) as f:
        conf = f.read()
    trunk_port = int(re.search(r"sip:\$d\$@127\.0\.0\.1:(\d+)", conf).group(1))
    work = tempfile.mkdtemp(prefix="t37hold.")
    try:
        wait_log(gw, "event=hold", 10)

        # 1. On hold: 250, a durable job, no INVITE, nothing rendered.
        trunk = udp_listener(trunk_port)
        mail(gw, "Sent while the offramp is on hold.\n")
        jobs = gw.jobs()
        check(len(jobs) == 1, "jobs in the spool: %r" % jobs)
        no_invite(trunk, HELD_SECS)
        log = gw.logtext(200000)
        check("event=render" not in log and "event=dial" not in log,
              "held job was worked on:\n" + log)
        print("ok accepted and held: job in the spool, no call for %d s" % HELD_SECS)

        # 2. A restart keeps it held (the config still says so).
        gw.stop()
        gw.start()
        wait_log(gw, "event=hold jobs=1", 10)
        no_invite(trunk, 2)
        trunk.close()
        print("ok still held after a restart")

        # 3. Release: drop the line, SIGHUP; the fax goes out and is confirmed.
        rx = os.path.join(work, "rx")
        os.mkdir(rx)
        ans = subprocess.Popen([T37FAX, "answer", "--listen", "127.0.0.1:%d" % trunk_port,
                                "--out", rx, "--count", "1"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        time.sleep(0.5)
        with open(gw.conf, "w") as f:
            f.write(conf.replace("fax send hold\n", ""))
        gw.proc.send_signal(signal.SIGHUP)
        wait_log(gw, "event=release jobs=1", 10)
        try:
            out = ans.communicate(timeout=150)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            ans.kill()
            fail("the released job was not faxed:\n" + gw.logtext())
        check("result=ok" in out, "t37fax: %s" % out)
        check(len(glob.glob(os.path.join(rx, "*.tif"))) == 1, "no fax received")
        end = time.time() + 30
        dsn = None
        while time.time() < end and dsn is None:
            for p in glob.glob(os.path.join(gw.spool, "maildir", "new", "*")):
                with open(p, "rb") as f:
                    dsn = email.message_from_bytes(f.read(), policy=email.policy.default)
            time.sleep(0.2)
        check(dsn is not None, "no DSN after the release:\n" + gw.logtext())
        check("delivered" in dsn.as_string(), "DSN: %s" % dsn.as_string()[:2000])
        print("ok released by reload: fax sent, delivered DSN")
    finally:
        gw.cleanup()


if __name__ == "__main__":
    main()
