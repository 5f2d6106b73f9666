"""Helpers for the call tests (tests/integration/test_call_*.py): dense fax
test pages drawn by Ghostscript, `t37fax send` / `t37fax answer` processes on
free loopback ports, their result lines, and page-by-page pixel comparison
of received faxes with what was sent (tiffcmp compares the decoded rows, so
different compressions and fill orders compare equal)."""
import atexit
import email
import email.policy
import glob
import os
import re
import shutil
import signal
import subprocess
import time

from ports import free_port  # noqa: F401  (the tests take it from here)

from smtpd_lib import BUILD, check, fail  # noqa: F401

T37FAX = os.path.join(BUILD, "t37fax")
_running = []   # every Fax started, stopped at exit whatever happens


@atexit.register
def _stop_all():
    for f in _running:
        f.stop()

# A page of an ITU-T test chart's kind, at 204x196 on A4 (1728 wide): a
# halftone "photo" (a computed grey image under a 50 lpi round-dot screen),
# fine print, a fan of thin lines and a dithered grey wedge.
# `PH TL FAN SEED chart` draws PH points of photo, TL lines of fine print
# and, with FAN 1, the line fan.
CHART_PS = r"""%!PS
/W 320 def /H 240 def
/row W string def
/clamp { round cvi dup 0 lt { pop 0 } if dup 255 gt { pop 255 } if } def
/photo { % seed x y w h
  gsave 4 2 roll translate scale /seed exch def /ry 0 def
  W H 8 [W 0 0 H neg 0 H]
  { 0 1 W 1 sub { /i exch def
      row i
      i 3 mul seed add sin ry 2.5 mul cos mul 70 mul
      i ry add 1.7 mul seed 2 mul add sin 40 mul add
      i 160 sub dup mul ry 120 sub dup mul add sqrt 9 mul sin 25 mul add
      128 add clamp put } for
    /ry ry 1 add def row }
  image grestore } def
/chart { % PH TL FAN seed
  /sd exch def /fan exch def /tl exch def /ph exch def
  /top 800 def
  ph 0 gt { gsave 50 45 { dup mul exch dup mul add 1 exch sub } setscreen
    sd 20 top ph sub 555 ph photo grestore /top top ph sub 12 sub def } if
  /Times-Roman findfont 6.5 scalefont setfont
  0 1 tl 1 sub { /k exch def 20 top 7 sub k 7 mul sub moveto
    (Fine print 0123456789 The quick brown fox jumps over the lazy dog; ITU-T T.4 chart row ) show
    k 10 string cvs show ( seed ) show sd 10 string cvs show } for
  fan 1 eq { 0.4 setlinewidth
    0 3 180 { /k exch def 20 k add 20 moveto 300 k 2 mul add 170 lineto stroke } for } if
  gsave 33 15 { pop } setscreen 340 20 translate 235 150 scale
  256 1 8 [256 0 0 1 0 0] { /g 256 string def 0 1 255 { dup g 3 1 roll put } for g } image
  grestore showpage } def
"""

# Four pages: two dense ones (65-70 s of line time each at 14,400 bit/s,
# about 100 s at 9,600; more than two full ECM blocks) and two lighter ones.
# The whole document: about 190 s at 14,400, 280 s at 9,600.
DENSE_DOC = "110 24 0 7 chart 0 20 0 91 chart 40 30 1 53 chart 0 20 0 113 chart\n"


def make_chart(path, pages=DENSE_DOC):
    r = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg4",
                        "-r204x196", "-sPAPERSIZE=a4", "-sOutputFile=" + path, "-"],
                       input=(CHART_PS + pages).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    check(r.returncode == 0, "gs: %s" % r.stdout)


def make_tiff(path, pages):
    """A fax-like multi-page TIFF, drawn by Ghostscript."""
    ps = "".join("/Helvetica findfont 60 scalefont setfont 72 600 moveto (Page %d) show "
                 "showpage\n" % (i + 1) for i in range(pages))
    r = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg4",
                        "-r204x196", "-g1728x2200", "-sOutputFile=" + path, "-"],
                       input=ps.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "gs: %s" % r.stdout)


def tiff_pages(path):
    out = subprocess.run(["tiffinfo", path], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL).stdout.decode()
    return out.count("TIFF Directory")


def same_pages(sent, got, what):
    """Same page count and every row of every page identical."""
    a, b = tiff_pages(sent), tiff_pages(got)
    check(a == b, "%s: %d pages received, %d sent" % (what, b, a))
    out = subprocess.run(["tiffcmp", "-t", sent, got], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
    diff = [l for l in out.splitlines() if l.startswith(("Scanline", "Different"))]
    check(not diff, "%s: pages differ from what was sent: %s" % (what, diff[:3]))


def media_impaired(f):
    """The lost, late and restarted RTP packet counts the receiver f logged
    (its jitter buffer's line at the end of the call) and any frames its
    clock skipped: what a G.711 call without ECM cannot correct."""
    n = 0
    for m in re.finditer(r"rtp stored=\d+ played=\d+ lost=(\d+) silent=\d+ late=(\d+) "
                         r"dup=\d+ restarts=(\d+)", f.text(err=True)):
        n += sum(int(x) for x in m.groups())
    for m in re.finditer(r"clock: (\d+) frames skipped", f.text(err=True)):
        n += int(m.group(1))
    return n


def _split_pages(path, prefix):
    subprocess.run(["tiffsplit", path, prefix], check=True)
    return sorted(glob.glob(prefix + "*.tif"))


def same_pages_but_damaged(sent, f, what):
    """For a G.711 call without ECM whose receiver saw packets lost or late
    (media_impaired): T.4 has no error correction, so a lost packet garbles
    the rows it carried and the receiver drops them (its "bad_rows"). Every
    page the receiver reported clean must still be identical; a damaged page
    may differ only by at most the rows it reported bad."""
    got = received(f)
    a, b = tiff_pages(sent), tiff_pages(got)
    check(a == b, "%s: %d pages received, %d sent" % (what, b, a))
    bad = {int(p): (int(r), int(br)) for p, r, br in re.findall(
        r"page=(\d+) rate=\d+ rows=(\d+) bad_rows=(\d+)", f.text(err=True))}
    tmp = got + ".pages"
    os.makedirs(tmp, exist_ok=True)
    sp = _split_pages(sent, os.path.join(tmp, "s"))
    gp = _split_pages(got, os.path.join(tmp, "g"))
    for i, (s, g) in enumerate(zip(sp, gp), 1):
        rows, bad_rows = bad.get(i, (None, 0))
        if bad_rows == 0:
            out = subprocess.run(["tiffcmp", "-t", s, g], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT).stdout.decode("utf-8", "replace")
            diff = [l for l in out.splitlines()
                    if l.startswith(("Scanline", "Different", "ImageLength"))]
            check(not diff, "%s: page %d, reported clean, differs: %s" % (what, i, diff[:3]))
        else:
            sent_rows = int(re.search(r"Image Length: (\d+)", subprocess.run(
                ["tiffinfo", s], stdout=subprocess.PIPE).stdout.decode()).group(1))
            check(rows is not None and abs(sent_rows - rows) <= bad_rows,
                  "%s: page %d has %s rows for %d sent, %d reported bad" % (
                      what, i, rows, sent_rows, bad_rows))
            print("%s: page %d lost %d of %d rows to packets lost or late on a loaded "
                  "machine (no ECM)" % (what, i, bad_rows, sent_rows))


class Fax:
    """One t37fax process; its stdout and stderr go to files in dir."""

    def __init__(self, dir, name, args):
        self.name = name
        self.out = os.path.join(dir, name + ".out")
        self.err = os.path.join(dir, name + ".err")
        with open(self.out, "wb") as o, open(self.err, "wb") as e:
            self.proc = subprocess.Popen([T37FAX] + args, stdout=o, stderr=e)
        _running.append(self)

    def wait(self, secs):
        try:
            return self.proc.wait(secs)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("%s did not finish in %d s:\n%s" % (self.name, secs, self.text(err=True)))

    def text(self, err=False):
        with open(self.err if err else self.out, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def result(self):
        """The fields of its (first) result line."""
        for line in self.text().splitlines():
            if line.startswith("call="):
                return dict(re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', line))
        fail("%s printed no result line:\n%s\n%s" % (self.name, self.text(),
                                                    self.text(err=True)[-3000:]))

    def stop(self):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)   # in case a test stopped it
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def answer(dir, name, port, *extra):
    """t37fax answer on 127.0.0.1:port for one call, files into dir/name.d."""
    rx = os.path.join(dir, name + ".d")
    os.makedirs(rx, exist_ok=True)
    f = Fax(dir, name, ["answer", "--listen", "127.0.0.1:%d" % port, "--out", rx,
                        "--count", "1", "--ident", "+1 555 0100"] + list(extra))
    f.rx = rx
    return f


def send(dir, name, uri, files, *extra):
    return Fax(dir, name, ["send", "--ident", "+1 555 0199", "--timeout", "30"] +
               list(extra) + [uri] + list(files))


def received(f):
    got = glob.glob(os.path.join(f.rx, "*.tif"))
    check(len(got) == 1, "%s: received files %r\n%s" % (f.name, got, f.text()))
    return got[0]


def expect(f, **want):
    r = f.result()
    for k, v in want.items():
        check(r.get(k) == str(v), "%s: %s=%s, expected %s\n%s\n%s" % (
            f.name, k, r.get(k), v, f.text(), f.text(err=True)[-2000:]))
    return r


def wait_listening(*faxes, secs=10):
    """Until each t37fax answer says it listens (UDP: nothing to connect to)."""
    end = time.time() + secs
    for f in faxes:
        while "listening on" not in f.text(err=True):
            if f.proc.poll() is not None or time.time() > end:
                fail("%s does not listen:\n%s" % (f.name, f.text(err=True)))
            time.sleep(0.05)


def maildir_messages(maildir):
    out = []
    for p in sorted(glob.glob(os.path.join(maildir, "new", "*"))):
        with open(p, "rb") as f:
            out.append((p, email.message_from_bytes(f.read(), policy=email.policy.default)))
    return out


def tiff_attachment(msg, path):
    """Writes the message's image/tiff part to path."""
    for part in msg.walk():
        if part.get_content_type() == "image/tiff":
            with open(path, "wb") as f:
                f.write(part.get_payload(decode=True))
            return path
    fail("no image/tiff part in %s" % msg["Subject"])


def have_tools():
    for tool in ("gs", "tiffcmp", "tiffinfo"):
        if shutil.which(tool) is None:
            print("%s is not installed" % tool)
            raise SystemExit(77)
    if not os.access(T37FAX, os.X_OK):
        print("t37fax is not built")
        raise SystemExit(77)
