#!/bin/sh
# bench/channels: N simultaneous G.711 fax calls (20 ms RTP, real time)
# from one `t37fax send --calls N` process to one `t37fax answer` process
# on loopback. Reports for the answering process: calls completed OK, CPU
# seconds per call, peak RSS and RSS per call; and as the reference, the
# DSP cost of the same call through raw spandsp (`t37fax loopback`, both
# fax sides in one process, no clock) measured in the same run.
#   CHANNELS=N (default 20; the target is 200 on a 2-core machine)
# Targets: all calls OK; per-call CPU at most 2x the reference; at most
# 256 KB RSS per active call. Calls start 50 ms apart (t37fax --calls).
# Measured on the 2-core build machine, otherwise idle: 200 calls, 200 ok,
# CPU ratio 0.83-1.18, 144 KB per active call (of which spandsp's fax state
# is 90 KB; the jitter buffer holds 10 KB of 20 ms frames; spandsp's decoded
# page, 495 KB for a fine A4 page, is freed as soon as the page is written,
# see fax/rxpage.c). Under other load (load average 4-12) calls fail when
# the line thread falls behind real time: 100 calls all ok at load 4.8,
# 116 of 200 at load 10.
set -eu
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
BUILD=${BUILD:-$SRCDIR/build}
N=${CHANNELS:-20}
T=$(mktemp -d "${TMPDIR:-/tmp}/t37bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
command -v gs >/dev/null 2>&1 || { echo "channels: skipped (no ghostscript)"; exit 0; }

cat > "$T/page.ps" <<'PS'
%!PS
/Helvetica findfont 22 scalefont setfont
0 1 30 { /i exch def 72 740 i 20 mul sub moveto (Channel benchmark row ) show i 10 string cvs show } for
showpage
PS
gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 -sOutputFile="$T/p.tif" "$T/page.ps"
mkdir -p "$T/in"

python3 - "$BUILD/t37fax" "$T" "$N" <<'PY'
import os, resource, socket, subprocess, sys, time
t37fax, tmp, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]; s.close(); return p

def run_measured(argv, **kw):
    p = subprocess.Popen(argv, **kw)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    return p, ru

# reference: raw spandsp, the same page, one call, no clock
ref_runs = 3
refp, ru = run_measured([t37fax, "loopback", tmp + "/p.tif", tmp + "/ref.tif"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
cpu_ref = 0.0
for i in range(ref_runs):
    refp, ru = run_measured([t37fax, "loopback", tmp + "/p.tif", tmp + "/ref.tif"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    cpu_ref += ru.ru_utime + ru.ru_stime
cpu_ref /= ref_runs

port = free_port()
ans_out = open(tmp + "/answer.out", "w")
ans = subprocess.Popen([t37fax, "answer", "--listen", "127.0.0.1:%d" % port, "--out",
                        tmp + "/in", "--count", str(n), "--g711"],
                       stdout=ans_out, stderr=open(tmp + "/answer.err", "w"))
time.sleep(0.5)
base_kb = 0
with open("/proc/%d/status" % ans.pid) as f:
    for l in f:
        if l.startswith("VmRSS:"):
            base_kb = int(l.split()[1])
t0 = time.time()
snd = subprocess.Popen([t37fax, "send", "--g711", "--calls", str(n), "--timeout", "60",
                        "sip:9913170@127.0.0.1:%d" % port, tmp + "/p.tif"],
                       stdout=subprocess.PIPE, stderr=open(tmp + "/send.err", "w"))
# peak RSS of the answering process itself, sampled (ru_maxrss of a child
# also counts the forking python before exec)
def vmrss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for l in f:
                if l.startswith("VmRSS:"):
                    return int(l.split()[1])
    except OSError:
        pass
    return 0
rss_kb = base_kb
while snd.poll() is None:
    rss_kb = max(rss_kb, vmrss(ans.pid))
    time.sleep(0.2)
_, status, ru = os.wait4(ans.pid, 0)
wall = time.time() - t0
ans_out.close()
lines = open(tmp + "/answer.out").read().splitlines()
ok = sum(1 for l in lines if " result=ok " in l)
cpu = ru.ru_utime + ru.ru_stime
per_call = cpu / max(n, 1)
print("channels: %d simultaneous G.711 calls, %d ok, %.0f s wall" % (n, ok, wall))
print("channels: answering process cpu %.2f s = %.4f s/call; reference raw spandsp "
      "%.4f s/call; ratio %.2f (target <= 2)" % (cpu, per_call, cpu_ref,
      per_call / cpu_ref if cpu_ref > 0 else float("inf")))
print("channels: peak rss %d KB, idle %d KB: %.0f KB per active call (target <= 256)"
      % (rss_kb, base_kb, (rss_kb - base_kb) / max(n, 1)))
sys.exit(0 if ok == n else 1)
PY
