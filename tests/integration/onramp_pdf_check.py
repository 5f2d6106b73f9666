#!/usr/bin/env python3
"""Checks an onramp message carrying the fax as PDF (`mta send attachment
pdf` or `both`, optionally `mta send preview`) with Python's email module,
and its PDF with poppler: no parser defects; the structure (the summary,
or with a preview a multipart/alternative of text/plain and a
multipart/related text/html whose <img> names the inline image/png by
Content-ID; then image/tiff for `both`, then application/pdf); the PDF's
page count, page sizes and image resolutions (pdfinfo, pdfimages -list)
matching the fax; and with `both`, every PDF image decoding (pdfimages
-tiff) to the same pixels as the TIFF attachment's page.

usage: onramp_pdf_check.py FILE PAGES YRES {both|pdf} [--preview] [--sink]
"""
import email
import email.policy
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onramp_check import tiff_tags  # noqa: E402


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run(*args):
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0 or p.stderr.strip():
        fail("%s: rc %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def pages_bits(data):
    """Every page of an uncompressed bilevel TIFF as (w, h, rows of 0/1
    with 1 = black)."""
    e = "<" if data[:2] == b"II" else ">"
    out = []
    for t in tiff_tags(data):
        w, h = t[256], t[257]
        if t.get(259, 1) != 1:
            fail("page is compressed")
        offs, counts = t[273], t[279]
        if not isinstance(offs, tuple):
            offs, counts = (offs,), (counts,)
        raw = b"".join(data[o:o + c] for o, c in zip(offs, counts))
        stride = (w + 7) // 8
        black_is_one = t.get(262, 0) == 1  # min-is-black: 1 is white
        lsb = t.get(266, 1) == 2
        rows = []
        for y in range(h):
            row = raw[y * stride:(y + 1) * stride]
            bits = []
            for b in row:
                for k in range(8):
                    v = (b >> k) & 1 if lsb else (b >> (7 - k)) & 1
                    bits.append(v ^ 1 if black_is_one else v)
            rows.append(bytes(bits[:w]))
        out.append((w, h, rows))
    del e
    return out


def uncompressed(path, tmp, name):
    out = os.path.join(tmp, name)
    run("tiffcp", "-c", "none", path, out)
    return open(out, "rb").read()


def main():
    path, pages, yres, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    opts = sys.argv[5:]
    raw = open(path, "rb").read()
    if "--sink" in opts:
        lines = raw.split(b"\n")
        k = 0
        while k < len(lines) and lines[k].startswith((b"X-Client", b"X-Helo", b"X-Mail", b"X-Rcpt")):
            k += 1
        raw = b"\n".join(lines[k:])
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    for part in msg.walk():
        if part.defects:
            fail("parser defects %r in %s" % (part.defects, part.get_content_type()))
    if msg["X-Fax-Pages"] != str(pages):
        fail("X-Fax-Pages %r" % msg["X-Fax-Pages"])
    for ln in raw.split(b"\n"):
        if any(c > 127 for c in ln):
            fail("8-bit line in the message")
    parts = list(msg.iter_parts())
    want = 3 if mode == "both" else 2
    if len(parts) != want:
        fail("%d parts, want %d" % (len(parts), want))
    summary = parts[0]
    if "--preview" in opts:
        if summary.get_content_type() != "multipart/alternative":
            fail("summary is %s" % summary.get_content_type())
        alt = list(summary.iter_parts())
        if [p.get_content_type() for p in alt] != ["text/plain", "multipart/related"]:
            fail("alternatives %r" % [p.get_content_type() for p in alt])
        rel = alt[1]
        if rel.get_param("type") != "text/html":
            fail("related type %r" % rel.get_param("type"))
        html, png = list(rel.iter_parts())
        if html.get_content_type() != "text/html" or png.get_content_type() != "image/png":
            fail("related parts %s, %s" % (html.get_content_type(), png.get_content_type()))
        cid = png["Content-ID"].strip()
        if not (cid.startswith("<") and cid.endswith(">")):
            fail("Content-ID %r" % cid)
        if ('src="cid:%s"' % cid[1:-1]) not in html.get_content():
            fail("the HTML does not show %s" % cid)
        if png.get_content_disposition() != "inline":
            fail("preview disposition %r" % png.get_content_disposition())
        img = png.get_content()
        if img[:8] != b"\x89PNG\r\n\x1a\n":
            fail("preview is not a PNG")
        pw, ph = struct.unpack(">II", img[16:24])
        if pw != 600 or not 700 < ph < 900:
            fail("preview is %dx%d" % (pw, ph))
        text = alt[0].get_content()
    else:
        if summary.get_content_type() != "text/plain":
            fail("summary is %s" % summary.get_content_type())
        text = summary.get_content()
    if ("%d page" % pages) not in text:
        fail("summary: %r" % text)
    pdfpart = parts[-1]
    if pdfpart.get_content_type() != "application/pdf":
        fail("last part is %s" % pdfpart.get_content_type())
    if pdfpart.get_filename() != "fax.pdf":
        fail("PDF name %r" % pdfpart.get_filename())
    pdf = pdfpart.get_content()
    tif = None
    if mode == "both":
        if parts[1].get_content_type() != "image/tiff":
            fail("second part is %s" % parts[1].get_content_type())
        tif = parts[1].get_content()

    with tempfile.TemporaryDirectory() as tmp:
        pdfpath = os.path.join(tmp, "fax.pdf")
        open(pdfpath, "wb").write(pdf)
        info = run("pdfinfo", "-f", "1", "-l", str(pages), pdfpath)
        m = re.search(r"^Pages:\s+(\d+)$", info, re.M)
        if not m or int(m.group(1)) != pages:
            fail("pdfinfo pages: %s" % info)
        # the caller's number written as everywhere else in the mail (NANP grouped)
        if not re.search(r"^Title:\s+Fax from \+1 919 472 4118$", info, re.M):
            fail("pdfinfo title: %s" % info)
        if not re.search(r"^Author:\s+\+1 919 472 4118 \(CSI \+1 919 472 4118\)$", info, re.M):
            fail("pdfinfo author: %s" % info)
        if not re.search(r"^Subject:\s+Fax to 9913170, %d pages?$" % pages, info, re.M):
            fail("pdfinfo subject: %s" % info)
        sizes = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info, re.M)
        imgs = [ln.split() for ln in run("pdfimages", "-list", pdfpath).splitlines()[2:]]
        if len(sizes) != pages or len(imgs) != pages:
            fail("%d sizes, %d images for %d pages" % (len(sizes), len(imgs), pages))
        for (w_pt, h_pt), im in zip(sizes, imgs):
            width, height, enc, xppi, yppi = int(im[3]), int(im[4]), im[8], int(im[12]), int(im[13])
            if enc != "ccitt" or width != 1728 or (xppi, yppi) != (204, yres):
                fail("image %r" % im)
            if abs(float(w_pt) - 1728 * 72 / 204) > 0.01 or abs(float(h_pt) - height * 72 / yres) > 0.01:
                fail("page size %s x %s for %d rows" % (w_pt, h_pt, height))
        if tif is not None:
            tifpath = os.path.join(tmp, "fax.tif")
            open(tifpath, "wb").write(tif)
            want = pages_bits(uncompressed(tifpath, tmp, "plain.tif"))
            run("pdfimages", "-tiff", pdfpath, os.path.join(tmp, "pi"))
            for i in range(pages):
                got = pages_bits(uncompressed(os.path.join(tmp, "pi-%03d.tif" % i), tmp, "p.tif"))
                if got[0][:2] != want[i][:2] or got[0][2] != want[i][2]:
                    fail("page %d: the PDF image is not the TIFF page" % (i + 1))
    print("ok: %s (%s%s)" % (path, mode, ", preview" if "--preview" in opts else ""))


if __name__ == "__main__":
    main()
