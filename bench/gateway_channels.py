"""bench/gateway-channels, the measuring part (run by gateway-channels.sh).

N simultaneous fax calls into t37gw itself: one `t37fax send --calls N`
process calls the daemon on loopback, the daemon receives every fax,
spools it, builds the onramp message and delivers it into a Maildir.
Both on this machine. For each media (G.711, T.38) it prints:

  - calls OK at the sender, calls OK at the gateway, messages mailed;
  - the gateway's CPU per call (utime + stime of the daemon from before
    the first call until the last message is mailed, over the calls OK)
    as a ratio to raw spandsp: `t37fax loopback` (both fax ends in one
    process, no clock, no network) for the same page, measured in the
    same run;
  - RSS per active call: the daemon's peak VmRSS minus its idle VmRSS,
    over the most calls that were active at once; beside it, the memory
    files the received pages are in until each call ends (not mapped, so
    not in VmRSS): their peak total over the same number of calls;
  - how many "frames skipped" lines (the media clock fell behind real
    time) and which refusals (the limit named) the daemon logged.

Not a test: nothing here asserts a time. The exit status is 1 when a call
failed or a fax was not mailed, so that a run that missed the target shows.
"""
import os
import re
import signal
import socket
import subprocess
import sys
import time

SRC, BUILD, TMP = sys.argv[1], sys.argv[2], sys.argv[3]
CALLS = int(os.environ.get("CALLS", "50"))
MEDIA = os.environ.get("MEDIA", "g711 t38").split()
BUSY_LOOPS = int(os.environ.get("BUSY_LOOPS", "0"))
RT_PRIORITY = int(os.environ.get("RT_PRIORITY", "0"))
# t37gw's `sip threads` (0: one per core)
THREADS = int(os.environ.get("THREADS", "0"))
# a fax that is received is mailed within this after the last call ends
MAIL_WAIT_S = 120
# the daemon's own start
START_WAIT_S = 20
SAMPLE_S = 0.2
REF_RUNS = 15
TICK = os.sysconf("SC_CLK_TCK")
T37FAX = os.path.join(BUILD, "t37fax")
T37GW = os.path.join(BUILD, "t37gw")


def free_port():
    """A port free for UDP on loopback (SIP listens there)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def proc_cpu(pid):
    """utime + stime of pid in seconds (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_rss_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_memfd_kb(pid):
    """The total size of the memory files pid holds open (received pages)."""
    total = 0
    fddir = "/proc/%d/fd" % pid
    try:
        names = os.listdir(fddir)
    except OSError:
        return 0
    for n in names:
        p = os.path.join(fddir, n)
        try:
            if os.readlink(p).startswith("/memfd:"):
                total += os.stat(p).st_size
        except OSError:
            pass
    return total // 1024


def reference_cpu(page, t38):
    """CPU seconds of one raw spandsp call (both ends): the median of
    REF_RUNS runs (one run is ~30 ms, at the clock tick's resolution)."""
    argv = [T37FAX, "loopback"] + (["--t38"] if t38 else []) + [page, TMP + "/ref.tif"]
    runs = []
    for i in range(REF_RUNS + 1):
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit("gateway-channels: t37fax loopback failed")
        if i > 0:           # the first run warms the page cache
            runs.append(ru.ru_utime + ru.ru_stime)
    runs.sort()
    return runs[len(runs) // 2]


def write_config(path, media, sport, spool):
    with open(path, "w") as f:
        f.write("""hostname gw.bench
spool {spool}
sip
 listen udp 127.0.0.1 {sport}
 t38 {t38}
 max-calls {calls}
 ! every call comes from the one sender on loopback: admission must let
 ! a load test through (behind a proxy the same holds, see t37gw.conf(5))
 allow 127.0.0.0/8
 max-call-rate 1000
 max-calls-per-source 0
 realtime-priority {rt}
 threads {threads}
mta send maildir maildir
dial-peer voice 200 mmoip
 destination-pattern 99131..
 information-type fax
 session target mailto:fax-$d$@example.com
""".format(spool=spool, sport=sport, t38="on" if media == "t38" else "off",
           calls=max(CALLS, 30), rt=RT_PRIORITY, threads=THREADS))


class GatewayLog:
    """Follows the daemon's log file: calls routed, ended, refused."""
    CALL_END = re.compile(r"call=\S+ dir=onramp .* result=(\S+) ")

    def __init__(self, path):
        self.f = open(path, errors="replace")
        self.routed = self.ended = self.ok = self.skipped = 0
        self.refused = {}
        self.limits = {}
        self.peak_active = 0

    def poll(self):
        for line in self.f.readlines():
            if "event=routed" in line:
                self.routed += 1
            elif "frames skipped" in line:
                self.skipped += 1
            elif "result=refused" in line:
                m = re.search(r"sip=(\d+)", line)
                key = m.group(1) if m else "?"
                self.refused[key] = self.refused.get(key, 0) + 1
            else:
                m = self.CALL_END.search(line)
                if m and " sip=" in line:
                    self.ended += 1
                    self.ok += m.group(1) == "ok"
            m = re.search(r" limit=(\S+)", line)
            if m and "event=call-limit" in line:
                self.limits[m.group(1)] = self.limits.get(m.group(1), 0) + 1
        self.peak_active = max(self.peak_active, self.routed - self.ended)


def mailed(maildir):
    n = 0
    for sub in ("new", "cur"):
        try:
            n += len(os.listdir(os.path.join(maildir, sub)))
        except OSError:
            pass
    return n


def run_media(media, page):
    t38 = media == "t38"
    d = os.path.join(TMP, media)
    os.makedirs(d)
    spool = os.path.join(d, "spool")
    sport = free_port()
    conf = os.path.join(d, "gw.conf")
    write_config(conf, media, sport, spool)
    ref = reference_cpu(page, t38)

    gwlog = os.path.join(d, "gw.log")
    gw = subprocess.Popen([T37GW, "-c", conf], stdout=subprocess.DEVNULL,
                          stderr=open(gwlog, "w"))
    log = GatewayLog(gwlog)
    end = time.time() + START_WAIT_S
    started = False
    while time.time() < end and gw.poll() is None:
        with open(gwlog, errors="replace") as f:
            if "event=start result=ok" in f.read():
                started = True
                break
        time.sleep(0.1)
    if not started:
        gw.kill()
        sys.stdout.write(open(gwlog, errors="replace").read()[-3000:])
        sys.exit("gateway-channels: t37gw did not start")
    time.sleep(0.5)
    idle_kb = proc_rss_kb(gw.pid)
    cpu0 = proc_cpu(gw.pid)
    t0 = time.time()
    busy = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(BUSY_LOOPS)]
    try:
        snd = subprocess.Popen(
            [T37FAX, "send", "--t38" if t38 else "--g711", "--calls", str(CALLS),
             "--timeout", "60", "--realtime-priority", str(RT_PRIORITY),
             "sip:9913170@127.0.0.1:%d" % sport, page],
            stdout=open(os.path.join(d, "send.out"), "w"),
            stderr=open(os.path.join(d, "send.err"), "w"))
        peak_kb = idle_kb
        memfd_kb = 0
        while snd.poll() is None:
            peak_kb = max(peak_kb, proc_rss_kb(gw.pid))
            memfd_kb = max(memfd_kb, proc_memfd_kb(gw.pid))
            log.poll()
            time.sleep(SAMPLE_S)
        log.poll()
        # every fax the gateway took is mailed (or the wait ends)
        maildir = os.path.join(spool, "maildir")
        end = time.time() + MAIL_WAIT_S
        while time.time() < end:
            log.poll()
            if log.ended >= log.routed and mailed(maildir) >= log.ok:
                break
            peak_kb = max(peak_kb, proc_rss_kb(gw.pid))
            time.sleep(SAMPLE_S)
        wall = time.time() - t0
        cpu = proc_cpu(gw.pid) - cpu0
    finally:
        for b in busy:
            b.kill()
            b.wait()
    gw.send_signal(signal.SIGTERM)
    try:
        gw.wait(60)
    except subprocess.TimeoutExpired:
        gw.kill()
        gw.wait()
    log.poll()
    n_mailed = mailed(os.path.join(spool, "maildir"))
    with open(os.path.join(d, "send.out")) as f:
        sent_ok = sum(1 for line in f if " result=ok " in line)
    with open(gwlog, errors="replace") as f:
        text = f.read()
    limits_line = next((line for line in text.splitlines() if "event=limits" in line), "")
    # how many call frames each media thread ran (logged as the line stops)
    m = re.search(r"event=media-threads-done threads=(\d+) frames=(\S+)", text)
    threads_line = ("media threads %s, frames per thread %s" % (m.group(1), m.group(2))
                    if m else "media threads: no line")

    per_call = cpu / max(log.ok, 1)
    active = max(log.peak_active, 1)
    name = "gateway-channels %s:" % media
    print("%s %d calls, sender ok %d, gateway ok %d, mailed %d, %.0f s wall%s"
          % (name, CALLS, sent_ok, log.ok, n_mailed, wall,
             (", %d busy loops beside" % BUSY_LOOPS if BUSY_LOOPS else "") +
             (", realtime priority %d" % RT_PRIORITY if RT_PRIORITY else "")))
    print("%s t37gw cpu %.2f s = %.4f s/call; raw spandsp %.4f s/call; ratio %.2f "
          "(target <= 1.2)" % (name, cpu, per_call, ref,
                               per_call / ref if ref > 0 else float("inf")))
    print("%s rss idle %d KB, peak %d KB, %d calls active at most: %.0f KB per active "
          "call (target <= 160); received pages in memory files %d KB at most, %.0f KB "
          "per active call" % (name, idle_kb, peak_kb, log.peak_active,
                               (peak_kb - idle_kb) / active, memfd_kb, memfd_kb / active))
    print("%s frames skipped lines %d (target 0); refused %s; limits hit %s"
          % (name, log.skipped,
             " ".join("sip=%s:%d" % kv for kv in sorted(log.refused.items())) or "none",
             " ".join("%s:%d" % kv for kv in sorted(log.limits.items())) or "none"))
    if limits_line:
        print("%s %s" % (name, limits_line[limits_line.find("event=limits"):]))
    print("%s %s" % (name, threads_line))
    return sent_ok == CALLS and log.ok == CALLS and n_mailed == CALLS


def main():
    page = os.path.join(TMP, "p.tif")
    ok = True
    for media in MEDIA:
        if media not in ("g711", "t38"):
            sys.exit("gateway-channels: MEDIA is g711 and/or t38")
        ok = run_media(media, page) and ok
    sys.exit(0 if ok else 1)


main()
