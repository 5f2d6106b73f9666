#!/usr/bin/env python3
# t37-test: long
"""t37gwctl against the real daemon, its peers real too (t37fax on both
sides, a small SMTP server that can refuse, Python's email package on the
DSNs):

- status names the version, the listeners, the socket and the queues;
  route explains a routed number (exit 0) and a denied one (exit 1).
- calls lists an onramp call in progress with its numbers and a page count
  that moves while t37fax sends.
- That fax's mail is deferred (no mail server yet): queue shows it with its
  attempts and error, show gives its history; hold / release do what they
  say; once the server is up, retry delivers it at once (the queue's own
  retry is 10 minutes away).
- An offramp job waiting after a busy call: queue shows it; delete sends the
  sender a failed DSN (5.0.0, deleted by the operator) and the job is gone.
- A report that neither its recipient nor the postmaster accepts ends in
  the failed queue; requeue delivers it once the server accepts.
- The socket is 0660: a user outside its group is refused (EACCES), a
  member is served. Malformed requests, an overlong line, silent clients
  and more connections than the limit get clear errors, and the daemon
  keeps answering.
"""
import email
import email.policy
import glob
import json
import os
import pwd
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import atexit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, check, fail, free_port  # noqa: E402
from call_lib import answer, have_tools, make_tiff, send, wait_listening  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CTL = os.path.join(BUILD, "t37gwctl")
T37GW = os.path.join(BUILD, "t37gw")

CONF = """\
hostname gw.test
spool {spool}
{user}
log stderr level info
control socket {dir}/run/ctl.sock
sip
 listen udp 127.0.0.1 {sip_port}
mta send server 127.0.0.1 port {smtp_out}
mta send mail-from fax-gw@gw.test
mta send postmaster fax-admin@example.com
mta send retry 600
mta receive listen 127.0.0.1 {smtp_in}
mta receive aliases fax.test
mta receive maximum-recipients 10
fax deny-pattern 1900.......
fax send retry busy 3 600
dial-peer voice 210 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-$d$@example.com
dial-peer voice 300 mmoip
 incoming called-number 1919.......
 information-type fax
dial-peer voice 400 voip
 destination-pattern 1919.......
 session target sip:$d$@127.0.0.1:{fax_port}
 clid network-number 9195550100
"""


class Rig:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="t37ctl.")
        os.chmod(self.dir, 0o755)
        self.spool = os.path.join(self.dir, "spool")
        # The socket is made by the run user (nobody when started as root).
        run = os.path.join(self.dir, "run")
        os.mkdir(run, 0o755)
        if os.getuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(run, nobody.pw_uid, nobody.pw_gid)
        self.sock = os.path.join(run, "ctl.sock")
        self.sip_port, self.smtp_in, self.smtp_out, self.fax_port = (
            free_port(), free_port(), free_port(), free_port())
        self.conf = os.path.join(self.dir, "t37gw.conf")
        with open(self.conf, "w") as f:
            os.fchmod(f.fileno(), 0o644)
            f.write(CONF.format(spool=self.spool, dir=self.dir,
                                user="user nobody" if os.getuid() == 0 else "",
                                sip_port=self.sip_port, smtp_in=self.smtp_in,
                                smtp_out=self.smtp_out, fax_port=self.fax_port))
        self.log = os.path.join(self.dir, "t37gw.log")
        self.mail = os.path.join(self.dir, "mail")
        self.proc = self.sink = None
        atexit.register(self.cleanup)

    def start(self):
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([T37GW, "-c", self.conf], stdout=self.logf,
                                     stderr=subprocess.STDOUT)
        end = time.time() + 15
        while time.time() < end:
            if self.proc.poll() is not None:
                fail("t37gw exited:\n" + self.logtext())
            if os.path.exists(self.sock):
                r = ctl("status", rig=self, ok=None)
                if r.returncode == 0:
                    return
            time.sleep(0.1)
        fail("no control socket after 15 s:\n" + self.logtext())

    def sink_start(self, reject=None):
        self.sink_stop()
        # Each run of the sink numbers its files from 1: a directory of its own.
        self.runs = getattr(self, "runs", 0) + 1
        out = os.path.join(self.mail, str(self.runs))
        args = [sys.executable, os.path.join(HERE, "onramp_smtpd.py"), str(self.smtp_out),
                out] + (["--reject", reject] if reject else [])
        self.sink = subprocess.Popen(args)
        end = time.time() + 10
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", self.smtp_out), 0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        fail("the SMTP sink does not listen")

    def sink_stop(self):
        if self.sink is not None and self.sink.poll() is None:
            self.sink.terminate()
            self.sink.wait(5)
        self.sink = None

    def mails(self):
        return sorted(glob.glob(os.path.join(self.mail, "*", "*.eml")),
                      key=lambda p: (int(os.path.basename(os.path.dirname(p))),
                                     int(os.path.basename(p)[:-4])))

    def logtext(self, tail=6000):
        with open(self.log, "rb") as f:
            t = f.read().decode("utf-8", "replace")
        return t[-tail:] if tail else t

    def cleanup(self):
        self.sink_stop()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if not os.environ.get("T37_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def ctl(*args, rig, ok=True, json_out=False, user=None):
    cmd = [CTL, "-c", rig.conf] + (["--json"] if json_out else []) + list(args)
    if user is not None:
        cmd = ["setpriv", "--reuid=%d" % user[0], "--regid=%d" % user[1]] + (
            ["--groups=%s" % ",".join(map(str, user[2]))] if user[2] else ["--clear-groups"]) + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=70)
    r.out, r.err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    if ok is True:
        check(r.returncode == 0, "t37gwctl %s: exit %d\n%s%s\n%s" % (
            " ".join(args), r.returncode, r.out, r.err, rig.logtext()))
    if json_out and r.returncode == 0:
        r.json = json.loads(r.out)
    return r


def wait(what, cond, secs, rig):
    end = time.time() + secs
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    fail("%s: not within %d s\n%s" % (what, secs, rig.logtext()))


def jobs(rig, queue):
    return ctl("queue", queue, rig=rig, json_out=True).json


def raw(rig, data, secs=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(rig.sock)
    s.settimeout(secs)
    try:
        if data:
            s.sendall(data)
            if not data.endswith(b"\n"):
                s.shutdown(socket.SHUT_WR)      # the request ends at EOF
    except OSError:
        pass            # refused at once (busy): its answer is still there to read
    out = b""
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            out += c
    except socket.timeout:
        pass
    s.close()
    return out


def part_status_and_overview(rig):
    r = ctl("status", rig=rig)
    for want in ("t37gw 0.1.0", rig.sock, "udp 127.0.0.1:%d" % rig.sip_port,
                 "smtp 127.0.0.1:%d" % rig.smtp_in, "queues", "calls",
                 "incoming jobs ready for calls"):
        check(want in r.out, "status lacks %r:\n%s" % (want, r.out))
    j = ctl("status", rig=rig, json_out=True).json
    check(j["pid"] == rig.proc.pid and j["state"] == "running" and
          j["listeners"]["control"] == rig.sock, "status: %s" % j)
    spare = j["queues"]["onramp"]
    check(spare["spare_target"] == 16 and 0 <= spare["spare"] <= 16, "status: %s" % spare)
    r = ctl("route", "+19195551234", rig=rig)
    check("400" in r.out and "127.0.0.1:%d" % rig.fax_port in r.out,
          "route of a routed number:\n%s" % r.out)
    r = ctl("route", "+19005551234", rig=rig, ok=False)
    check(r.returncode == 1 and "1900......." in r.out, "route of a denied number: exit %d\n%s" %
          (r.returncode, r.out))
    r = ctl("route", "FAX=+19195551234@fax.test", rig=rig)
    check("400" in r.out, "route of an address:\n%s" % r.out)


def part_onramp(rig, work):
    tif = os.path.join(work, "three.tif")
    make_tiff(tif, 3)
    tx = send(work, "onramp", "sip:9913170@127.0.0.1:%d" % rig.sip_port, [tif],
              "--from", "9194724118", "--max-rate", "4800", "--timeout", "120")
    seen_pages = set()
    seen = None
    end = time.time() + 90
    while tx.proc.poll() is None and time.time() < end:
        calls = ctl("calls", rig=rig, json_out=True).json
        for c in calls:
            if c["dir"] == "onramp" and c["dnis"] == "9913170":
                seen = c
                seen_pages.add(c["pages"])
        time.sleep(0.3)
    check(tx.wait(60) == 0, "onramp call failed:\n%s" % tx.text(err=True)[-3000:])
    check(seen is not None, "calls never listed the onramp call\n%s" % rig.logtext())
    check(seen["ani"] == "9194724118" and seen["media"] in ("t38", "g711") and
          re.fullmatch(r"[0-9a-f]{12}", seen["id"]), "calls entry: %s" % seen)
    check(len(seen_pages) >= 2 and max(seen_pages) >= 2,
          "the page count did not move during the call: %s" % sorted(seen_pages))
    check(ctl("calls", rig=rig, json_out=True).json == [], "a finished call is still listed")
    check("no calls in progress" in ctl("calls", rig=rig).out, "calls table")

    # Its mail is deferred: nothing listens on the mail server's port.
    q = wait("a deferred mail job", lambda: [j for j in jobs(rig, "onramp")
                                             if j["attempts"] >= 1], 30, rig)
    job = q[0]
    check(job["kind"] == "fax-mail" and job["to"] == ["fax-9913170@example.com"] and
          job["error"] != "" and job["next"] > time.time() + 300, "deferred job: %s" % job)
    out = ctl("queue", rig=rig).out
    check(job["id"] in out and "fax-9913170@example.com" in out and job["error"][:20] in out,
          "queue table:\n%s" % out)
    show = ctl("show", job["id"], rig=rig, json_out=True).json
    check(len(show.get("history", [])) == job["attempts"] and
          show["history"][-1]["status"] == "deferred", "show: %s" % show)

    check(ctl("hold", job["id"], rig=rig).out.strip() == "%s: held" % job["id"], "hold")
    check(jobs(rig, "onramp")[0]["held"] is True, "the job is not held")
    rig.sink_start()
    r = ctl("retry", job["id"], rig=rig, ok=False)
    check(r.returncode == 1 and "held" in r.err, "retry of a held job: %s" % r.err)
    time.sleep(3)
    check(rig.mails() == [] and jobs(rig, "onramp") != [],
          "a held job was delivered:\n%s" % rig.logtext())
    ctl("release", job["id"], rig=rig)
    wait("the released job delivered", lambda: jobs(rig, "onramp") == [], 20, rig)
    check(len(rig.mails()) == 1, "delivered: %s" % rig.mails())
    check(re.search(r"job=%s .*status=sent" % job["id"], rig.logtext(0)),
          "no sent line for %s" % job["id"])
    r = ctl("show", job["id"], rig=rig, ok=False)
    check(r.returncode == 1 and "no such job" in r.err, "show of a gone job: %s" % r.err)
    return job["id"]


def part_retry(rig, work):
    """A second fax deferred, then delivered by `retry` at once."""
    rig.sink_stop()
    tif = os.path.join(work, "one.tif")
    make_tiff(tif, 1)
    tx = send(work, "onramp2", "sip:9913171@127.0.0.1:%d" % rig.sip_port, [tif],
              "--from", "9194724118")
    check(tx.wait(90) == 0, "second onramp call failed:\n%s" % tx.text(err=True)[-3000:])
    job = wait("the second mail deferred", lambda: [j for j in jobs(rig, "onramp")
                                                    if j["attempts"] >= 1], 30, rig)[0]
    rig.sink_start()
    n = len(rig.mails())
    t0 = time.time()
    check("retrying" in ctl("retry", job["id"], rig=rig).out, "retry answer")
    wait("the retried job delivered", lambda: jobs(rig, "onramp") == [], 10, rig)
    check(len(rig.mails()) == n + 1 and time.time() - t0 < 10, "retry did not deliver at once")


def submit(rig, envid):
    m = email.message.EmailMessage()
    m["From"] = "alice@example.com"
    m["To"] = "FAX=+19195551234@fax.test"
    m["Subject"] = "operator test"
    m.set_content("A page of text.\n")
    with smtplib.SMTP("127.0.0.1", rig.smtp_in, timeout=30) as s:
        s.ehlo("client.test")
        code, _ = s.mail("alice@example.com", ["ENVID=" + envid, "RET=HDRS"])
        check(code == 250, "MAIL %d" % code)
        code, _ = s.rcpt("FAX=+19195551234@fax.test", ["NOTIFY=SUCCESS,FAILURE"])
        check(code == 250, "RCPT %d" % code)
        code, text = s.data(m.as_bytes(policy=email.policy.SMTP))
        check(code == 250, "DATA %d %s" % (code, text))
    return re.search(rb"([0-9a-f]{16})", text).group(1).decode()


def busy_job(rig, work, envid):
    jid = submit(rig, envid)
    job = wait("job %s waiting after a busy call" % jid,
               lambda: [j for j in jobs(rig, "offramp") if j["id"] == jid and
                        j["attempts"] >= 1 and j["next"] > time.time()], 60, rig)[0]
    check(job["kind"] == "offramp" and job["from"] == "alice@example.com" and
          "19195551234" in " ".join(job["to"]) and "busy" in job["error"].lower(),
          "offramp job: %s" % job)
    show = ctl("show", jid, rig=rig, json_out=True).json
    r0 = show["recipients"][0]
    check(r0["attempts"] == 1 and len(r0["history"]) == 1, "show recipients: %s" % r0)
    return jid


def dsn_for(rig, envid, secs):
    def find():
        for p in rig.mails():
            with open(p, "rb") as f:
                raw_msg = f.read()
            if ("Original-Envelope-Id: " + envid).encode() in raw_msg:
                return p, email.message_from_bytes(raw_msg, policy=email.policy.default), raw_msg
        return None
    return wait("a DSN for %s" % envid, find, secs, rig)


def part_offramp_delete(rig, work):
    rx = answer(work, "busy", rig.fax_port, "--busy")
    wait_listening(rx)
    jid = busy_job(rig, work, "env-delete")
    r = ctl("delete", jid, rig=rig)
    check(r.out.strip() == "%s: deleted" % jid, "delete: %s" % r.out)
    wait("the deleted job gone", lambda: jid not in [j["id"] for j in jobs(rig, "all")], 20,
         rig)
    _, msg, raw_msg = dsn_for(rig, "env-delete", 20)
    check(msg.get_content_type() == "multipart/report" and b"Status: 5.0.0" in raw_msg and
          b"Action: failed" in raw_msg and b"deleted" in raw_msg and b"operator" in raw_msg,
          "the DSN of a deleted job:\n%s" % raw_msg.decode("latin-1")[:3000])
    rx.stop()


def part_failed_requeue(rig, work):
    """A DSN that nobody accepts ends in failed/; requeue sends it again."""
    rx = answer(work, "busy2", rig.fax_port, "--busy")
    wait_listening(rx)
    jid = busy_job(rig, work, "env-failed")
    rig.sink_start(reject="@")
    ctl("delete", jid, rig=rig)
    failed = wait("a job in the failed queue", lambda: jobs(rig, "failed"), 30, rig)
    fj = failed[0]
    check(fj["queue"] == "failed" and fj["kind"] == "report" and fj["error"] != "",
          "failed job: %s" % fj)
    r = ctl("retry", fj["id"], rig=rig, ok=False)
    check(r.returncode == 1 and "requeue" in r.err, "retry of a failed job: %s" % r.err)
    rig.sink_start()
    n = len(rig.mails())
    check(ctl("requeue", fj["id"], rig=rig).out.strip() == "%s: requeued" % fj["id"], "requeue")
    wait("the requeued job delivered", lambda: jobs(rig, "all") == [], 20, rig)
    check(len(rig.mails()) == n + 1, "requeue did not deliver")
    dsn_for(rig, "env-failed", 5)
    rx.stop()


def part_permissions(rig):
    st = os.stat(rig.sock)
    check(st.st_mode & 0o777 == 0o660, "socket mode %o" % (st.st_mode & 0o777))
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        print("permission checks need root and setpriv: skipped")
        return
    other = pwd.getpwnam("daemon")
    r = ctl("status", rig=rig, ok=False, user=(other.pw_uid, other.pw_gid, []))
    check(r.returncode == 1 and "Permission denied" in r.err,
          "a user outside the group: exit %d %s" % (r.returncode, r.err))
    # In the socket's group: served.
    r = ctl("status", rig=rig, ok=False, user=(other.pw_uid, other.pw_gid, [st.st_gid]))
    check(r.returncode == 0, "a member of the socket's group: %s" % r.err)


def part_hostile(rig):
    for data, why in ((b"status\n", "not JSON"), (b"{}\n", "cmd"),
                      (b'{"cmd":"frobnicate"}\n', "unknown command"),
                      (b'{"cmd":"show","args":["../../etc"]}\n', "not a job id"),
                      (b'{"cmd":"queue","args":["nope"]}\n', "unknown queue"),
                      (b'{"cmd":"show"}\n', "usage"),
                      (b'{"cmd":"status"', "not JSON"),
                      (b"\xff\xfe\x00\n", "")):
        out = raw(rig, data)
        try:
            j = json.loads(out.decode("utf-8"))
        except ValueError:
            fail("%r -> %r is not a JSON answer" % (data, out))
        check(j["ok"] is False and why in j["error"], "%r -> %r" % (data, out))
    out = raw(rig, b"{" + b" " * 5000 + b"\n")
    check(b"longer than 4096" in out, "an overlong request: %r" % out[:200])
    # More clients than the limit: the extra one waits for a free session
    # (it is not refused), and silent ones are closed after 10 s.
    silent = []
    for _ in range(16):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(rig.sock)
        silent.append(s)
    time.sleep(0.3)
    late = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    late.connect(rig.sock)          # into the backlog
    late.sendall(b'{"cmd":"status"}\n')
    late.settimeout(1)
    try:
        early = late.recv(100)
    except socket.timeout:
        early = b""
    check(early == b"", "a 17th client was served beside 16: %r" % early)
    for s in silent[:4]:
        s.close()
    late.settimeout(5)
    got = b""
    while not got.endswith(b"\n"):
        c = late.recv(65536)
        if not c:
            break
        got += c
    late.close()
    check(json.loads(got.decode())["ok"] is True, "the waiting client: %r" % got[:200])
    t0 = time.time()
    for s in silent[4:]:
        s.settimeout(15)
        check(s.recv(10) == b"", "a silent client got data")
        s.close()
    check(time.time() - t0 < 14, "silent clients held for %.1f s" % (time.time() - t0))
    ctl("status", rig=rig)
    check(rig.proc.poll() is None, "the daemon died")


def main():
    have_tools()
    if not os.access(CTL, os.X_OK):
        print("t37gwctl is not built")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="t37ctlw.")
    if not os.environ.get("T37_KEEP"):
        atexit.register(shutil.rmtree, work, True)
    rig = Rig()
    rig.start()
    part_status_and_overview(rig)
    part_permissions(rig)
    part_hostile(rig)
    part_onramp(rig, work)
    part_retry(rig, work)
    part_offramp_delete(rig, work)
    part_failed_requeue(rig, work)
    r = ctl("status", rig=rig, json_out=True)
    check(r.json["queues"]["failed"]["jobs"] == 0, "status after: %s" % r.json)
    print("t37gwctl: status, calls, queue, show, hold/release, retry, delete with DSN, "
          "requeue, route, permissions and hostile requests OK")


if __name__ == "__main__":
    main()
