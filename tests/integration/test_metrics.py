#!/usr/bin/env python3
# t37-test: long
"""Prometheus metrics of the real daemon (`metrics listen`): /metrics is
scraped before, during and after an onramp call (t37fax send -> t37gw, T.38
-> mail in the maildir) and an offramp mail and call (SMTP -> t37gw -> t37fax
answer, with a success DSN), and each counter must have moved by exactly
what happened: one call of each direction with its pages, media and
result, one accepted message and recipient (250), one refused recipient,
two mails delivered (the fax and the DSN), a render and a spool commit;
queue gauges show the offramp job while its call runs. Every scrape passes
`promtool check metrics`. Calls whose sender drops 5% of its datagrams
move the RTP (G.711) and UDPTL (T.38) loss counters. A busy metrics port
stops the start with a clear error. /healthz answers 200, and 503 once SIGTERM began
a drain with a call still in flight. Unknown paths get 404, other methods
501, garbage 400, a silent client does not hold up a scrape, and the
daemon keeps serving after all of them."""
import email.message
import email.policy
import http.client
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail, free_port  # noqa: E402
from call_lib import answer, expect, have_tools, make_tiff, send, wait_listening  # noqa: E402

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$')


def get(port, path, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read().decode("utf-8", "replace")
    c.close()
    return r.status, r.getheader("Content-Type"), body


def raw(port, data, secs=5):
    """What the listener answers to bytes of our choosing (first line)."""
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.settimeout(secs)
    s.sendall(data)
    out = b""
    try:
        while b"\r\n" not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        pass
    s.close()
    return out.split(b"\r\n")[0].decode("latin-1")


def scrape(port):
    """{(name, labels): value} of one scrape, after promtool checked it."""
    status, ctype, body = get(port, "/metrics")
    check(status == 200, "/metrics: %s" % status)
    check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %s" % ctype)
    r = subprocess.run(["promtool", "check", "metrics"], input=body.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "promtool check metrics:\n%s" % r.stdout.decode())
    out = {}
    for line in body.splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        check(m is not None, "not a sample line: %r" % line)
        out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


def moved(before, after):
    """Every sample that changed: {(name, labels): delta}."""
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


def val(s, name, labels=""):
    key = (name, labels)
    check(key in s, "no sample %s%s" % key)
    return s[key]


def want_moves(before, after, exact, ignore=("_sum", "_bucket", "t37gw_queue_",
                                            "t37gw_render", "t37gw_spool_commit",
                                            "t37gw_rtp_", "t37gw_udptl_", "_ecm_")):
    """The counters moved by exactly `exact`; nothing else moved except
    what `ignore` names (sums, buckets, gauges, timings checked apart)."""
    d = moved(before, after)
    for k, v in exact.items():
        check(d.get(k, 0) == v, "%s%s moved by %s, expected %s (all moves: %r)" %
              (k[0], k[1], d.get(k, 0), v, d))
    for k in d:
        if k not in exact and not any(i in k[0] for i in ignore):
            fail("%s%s moved by %s unexpectedly (all moves: %r)" % (k[0], k[1], d[k], d))


def wait_for(what, cond, secs, gw):
    end = time.time() + secs
    while time.time() < end:
        if cond():
            return
        time.sleep(0.2)
    fail("%s did not happen in %d s:\n%s" % (what, secs, gw.logtext()))


def maildir(gw):
    d = os.path.join(gw.spool, "maildir", "new")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def mail(gw, rcpt, tif):
    m = email.message.EmailMessage()
    m["From"] = "alice@example.com"
    m["To"] = rcpt
    m["Subject"] = "metrics"
    m.set_content("")
    with open(tif, "rb") as f:
        m.add_attachment(f.read(), maintype="image", subtype="tiff", filename="p.tif")
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as s:
        s.ehlo("client.test")
        s.sendmail("alice@example.com", [rcpt], m.as_bytes(policy=email.policy.SMTP),
                   rcpt_options=["NOTIFY=SUCCESS,FAILURE"])


def main():
    have_tools()
    if shutil.which("promtool") is None:
        print("promtool is not installed (package prometheus)")
        sys.exit(77)
    work = tempfile.mkdtemp(prefix="t37metrics.")

    # A port that cannot be bound stops the start with a clear error.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    bad = Gateway(extra="metrics listen 127.0.0.1 %d\n" % busy.getsockname()[1])
    r = subprocess.run([os.path.join(BUILD, "t37gw"), "-c", bad.conf], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30)
    out = r.stdout.decode("utf-8", "replace")
    check(r.returncode == 1 and "event=start subsystem=metrics result=failed" in out and
          "Address already in use" in out, "busy metrics port: rc=%d\n%s" % (r.returncode, out))
    busy.close()
    bad.cleanup()
    print("ok a busy metrics port stops the start")

    mport = free_port()
    gw = Gateway(extra="metrics listen 127.0.0.1 %d\n"
                       "fax send retry busy 1 10\nfax send retry no-answer 1 10\n"
                       "fax send retry failure 1 10\n"
                       "dial-peer voice 210 mmoip\n destination-pattern 99131..\n"
                       " information-type fax\n session target mailto:fax-$d$@example.com\n"
                       % mport).start()
    conf = open(gw.conf).read()
    sip_port = int(re.search(r"listen udp 127\.0\.0\.1 (\d+)", conf).group(1))
    trunk_port = int(re.search(r"sip:\$d\$@127\.0\.0\.1:(\d+)", conf).group(1))
    tif = os.path.join(work, "doc.tif")
    make_tiff(tif, 2)

    # Before: every family there, every call counter at zero; healthy.
    s0 = scrape(mport)
    check(sum(v for k, v in s0.items() if k[0] == "t37gw_calls_total") == 0, "calls at start")
    check(len([k for k in s0 if k[0] == "t37gw_calls_total"]) == 24, "24 call series")
    check(get(mport, "/healthz")[0:3:2] == (200, "ok\n"), "healthz at start")
    print("ok scrape before: promtool passes, counters at zero")

    # Onramp: t37fax calls the gateway (T.38), the fax is mailed.
    f = send(work, "on", "sip:9913170@127.0.0.1:%d" % sip_port, [tif], "--t38",
             "--from", "9195551234")
    during = 0
    while f.proc.poll() is None:
        s = scrape(mport)               # scrapes go on while the call runs
        check(get(mport, "/healthz")[0] == 200, "healthz during a call")
        during += 1
        time.sleep(0.5)
    f.wait(5)
    r = expect(f, result="ok", pages=2, t38=1)
    wait_for("the onramp mail", lambda: len(maildir(gw)) == 1, 30, gw)
    wait_for("the delivery count", lambda: val(scrape(mport), "t37gw_mail_deliveries_total",
                                               '{status="sent"}') == 1, 10, gw)
    s1 = scrape(mport)
    want_moves(s0, s1, {
        ("t37gw_calls_total", '{direction="onramp",media="t38",result="ok"}'): 1,
        ("t37gw_fax_pages_total", '{direction="onramp"}'): 2,
        ("t37gw_fax_bit_rate_count", '{direction="onramp"}'): 1,
        ("t37gw_call_duration_seconds_count", '{direction="onramp"}'): 1,
        ("t37gw_call_setup_seconds_count", '{direction="onramp"}'): 1,
        ("t37gw_mail_deliveries_total", '{status="sent"}'): 1,
    })
    rate = int(r["rate"])
    check(val(s1, "t37gw_fax_bit_rate_bucket", '{direction="onramp",le="%d"}' % rate) == 1 and
          (rate == 2400 or val(s1, "t37gw_fax_bit_rate_bucket",
                               '{direction="onramp",le="%d"}' % (rate - 2400)) == 0),
          "bit rate %d not in its bucket" % rate)
    print("ok onramp call: %d scrapes during it, counters moved by one call of 2 pages "
          "at %d bit/s and one mail" % (during, rate))

    # A refused recipient (deny-pattern 1900.......): counted with its code.
    with smtplib.SMTP("127.0.0.1", gw.port, timeout=30) as sm:
        sm.ehlo("client.test")
        sm.mail("alice@example.com")
        code, _ = sm.rcpt("FAX=+19005551234@fax.test")
        check(500 <= code < 600, "denied number got %d" % code)
        sm.rset()
    s2 = scrape(mport)
    label = '{result="rejected",code="%d"}' % code
    if ("t37gw_smtp_recipients_total", label) not in s2:
        label = '{result="rejected",code="other"}'
    want_moves(s1, s2, {("t37gw_smtp_recipients_total", label): 1,
                        ("t37gw_smtp_sessions_total", '{result="closed"}'): 1})
    print("ok refused recipient counted as %s" % label)

    # Offramp: a mail becomes a call to t37fax answer, then a DSN.
    a = answer(work, "off", trunk_port)
    wait_listening(a)
    mail(gw, "FAX=+19195551234@fax.test", tif)
    s3 = scrape(mport)
    want_moves(s2, s3, {
        ("t37gw_smtp_recipients_total", '{result="accepted",code="250"}'): 1,
        ("t37gw_smtp_messages_total", '{result="accepted",code="250"}'): 1,
        ("t37gw_smtp_sessions_total", '{result="closed"}'): 1,
        ("t37gw_spool_commit_duration_seconds_count", ""): 1,
    })
    seen_queue = False
    while a.proc.poll() is None:
        s = scrape(mport)
        if val(s, "t37gw_queue_jobs", '{queue="offramp"}') == 1:
            seen_queue = True
            check(val(s, "t37gw_queue_oldest_job_age_seconds", '{queue="offramp"}') < 600,
                  "oldest offramp job age")
        time.sleep(0.5)
    a.wait(5)
    ra = expect(a, result="ok", pages=2)
    check(seen_queue, "no scrape showed the offramp job queued during its call")
    wait_for("the DSN", lambda: len(maildir(gw)) == 2, 30, gw)
    wait_for("the DSN's count", lambda: val(scrape(mport), "t37gw_mail_deliveries_total",
                                            '{status="sent"}') == 2, 10, gw)
    wait_for("the offramp queue to empty", lambda: val(scrape(mport), "t37gw_queue_jobs",
                                                       '{queue="offramp"}') == 0, 10, gw)
    s4 = scrape(mport)
    media = "t38" if ra.get("t38") == "1" else "g711"
    want_moves(s3, s4, {
        ("t37gw_calls_total", '{direction="offramp",media="%s",result="ok"}' % media): 1,
        ("t37gw_fax_pages_total", '{direction="offramp"}'): 2,
        ("t37gw_fax_bit_rate_count", '{direction="offramp"}'): 1,
        ("t37gw_call_duration_seconds_count", '{direction="offramp"}'): 1,
        ("t37gw_call_setup_seconds_count", '{direction="offramp"}'): 1,
        ("t37gw_mail_deliveries_total", '{status="sent"}'): 1,
        ("t37gw_render_duration_seconds_count", '{result="ok"}'): 1,
    })
    check(val(s4, "t37gw_queue_oldest_job_age_seconds", '{queue="offramp"}') == 0,
          "age of an empty queue")
    print("ok offramp mail and call: queue gauge during the call, counters moved by one "
          "message, one call of 2 pages, one render, one DSN")

    # Impaired media: the sender drops 5% of its datagrams; the gateway's
    # receive side counts them (G.711: frames lost; T.38: lost or recovered
    # from redundancy), whatever the calls' results.
    for media, names in (("--g711", ("t37gw_rtp_packets_lost_total",)),
                         ("--t38", ("t37gw_udptl_packets_lost_total",
                                    "t37gw_udptl_packets_recovered_total"))):
        before = scrape(mport)
        f = send(work, "loss" + media, "sip:9913171@127.0.0.1:%d" % sip_port, [tif], media,
                 "--loss", "5", "--from", "9195551234")
        f.wait(120)
        wait_for("the impaired call's end", lambda: sum(
            v for k, v in scrape(mport).items() if k[0] == "t37gw_calls_total") >
            sum(v for k, v in before.items() if k[0] == "t37gw_calls_total"), 30, gw)
        after = scrape(mport)
        got = sum(val(after, n, '{direction="onramp"}') - val(before, n, '{direction="onramp"}')
                  for n in names)
        check(got > 0, "%s with 5%% loss: %s did not move" % (media, names))
        print("ok %s call with 5%% loss: %s moved by %d" % (media, "+".join(names), got))
    wait_for("the impaired calls' mail", lambda: not [
        1 for k, v in scrape(mport).items() if k[0] == "t37gw_queue_jobs" and v > 0], 60, gw)

    # Bad requests: clean errors, and the daemon serves on.
    check(get(mport, "/nope")[0] == 404, "unknown path")
    check(get(mport, "/metrics", "POST")[0] in (405, 501), "POST")
    check(raw(mport, b"GARBAGE\r\n\r\n").startswith("HTTP/1.1 400"), "garbage request")
    check(raw(mport, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 +
              b"\r\n\r\n").split(" ")[1] in ("400", "413", "431"), "huge header")
    silent = socket.create_connection(("127.0.0.1", mport), 5)     # sends nothing
    half = socket.create_connection(("127.0.0.1", mport), 5)
    half.sendall(b"GET /metr")
    t = time.time()
    scrape(mport)
    check(time.time() - t < 5, "a silent client held up a scrape")
    silent.close()
    half.close()
    check(gw.proc.poll() is None, "t37gw died:\n" + gw.logtext())
    print("ok 404, POST refused, garbage 400, huge header refused, silent clients harmless")

    # Draining: /healthz says 503 while a call is still in flight.
    a = answer(work, "drain", trunk_port)
    wait_listening(a)
    mail(gw, "FAX=+19195551234@fax.test", tif)
    wait_for("the second offramp call to start",
             lambda: len(re.findall(r"event=dial", gw.logtext(0))) >= 2, 60, gw)
    gw.proc.send_signal(signal.SIGTERM)
    end = time.time() + 10
    status = None
    while time.time() < end and gw.proc.poll() is None:
        try:
            status, _, body = get(mport, "/healthz")
        except OSError:
            break
        if status == 503:
            check(body == "draining\n", "503 body %r" % body)
            break
        time.sleep(0.1)
    check(status == 503, "healthz while draining: %s\n%s" % (status, gw.logtext()))
    try:
        gw.proc.wait(60)
    except subprocess.TimeoutExpired:
        fail("t37gw did not stop:\n" + gw.logtext())
    a.stop()
    print("ok healthz 503 while draining")
    return 0


if __name__ == "__main__":
    sys.exit(main())
