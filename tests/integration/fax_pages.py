"""Fax pages as pixels, for tests that check what a fax looks like: a
multi-page TIFF (any compression libtiff reads) is rewritten uncompressed by
tiffcp (libtiff-tools) and its pages read into rows of bits, 1 = black.
Also: a PDF rendered to bilevel fax pages by Ghostscript, and the shapes
tests measure - bands of rows with ink, columns of ink, ink in a box.
"""
import os
import struct
import subprocess
import tempfile


class Page:
    """One bilevel page: width, height, yres and rows of bytes (MSB first,
    1 = black)."""

    def __init__(self, width, height, yres, rows):
        self.width = width
        self.height = height
        self.yres = yres
        self.rows = rows

    def get(self, x, y):
        return (self.rows[y][x >> 3] >> (7 - (x & 7))) & 1

    def row_ink(self, y, x0=0, x1=None):
        x1 = self.width if x1 is None else x1
        return sum(self.get(x, y) for x in range(x0, x1))

    def ink(self, x0=0, y0=0, x1=None, y1=None):
        """Black pixels in the box."""
        x1 = self.width if x1 is None else x1
        y1 = self.height if y1 is None else y1
        n = 0
        for y in range(y0, y1):
            row = self.rows[y]
            if x0 == 0 and x1 == self.width:
                n += sum(bin(b).count("1") for b in row)
            else:
                n += sum(self.get(x, y) for x in range(x0, x1))
        return n

    def row_has_ink(self, y):
        return any(self.rows[y])

    def bands(self, y0=0, y1=None, min_gap=1):
        """Runs of rows with ink separated by at least min_gap blank rows:
        [(top, bottom)] (bottom exclusive)."""
        y1 = self.height if y1 is None else y1
        out, start, blank = [], None, 0
        for y in range(y0, y1):
            if self.row_has_ink(y):
                if start is None:
                    start = y
                blank = 0
            elif start is not None:
                blank += 1
                if blank >= min_gap:
                    out.append((start, y - blank + 1))
                    start, blank = None, 0
        if start is not None:
            out.append((start, y1 - blank))
        return out

    def columns(self, y0, y1, min_gap=1):
        """Runs of columns with ink between rows y0 and y1: [(left, right)]."""
        inked = [False] * self.width
        for y in range(y0, y1):
            row = self.rows[y]
            for i, b in enumerate(row):
                if b:
                    for k in range(8):
                        if b & (0x80 >> k) and i * 8 + k < self.width:
                            inked[i * 8 + k] = True
        out, start, blank = [], None, 0
        for x in range(self.width):
            if inked[x]:
                if start is None:
                    start = x
                blank = 0
            elif start is not None:
                blank += 1
                if blank >= min_gap:
                    out.append((start, x - blank + 1))
                    start, blank = None, 0
        if start is not None:
            out.append((start, self.width - blank))
        return out

    def extent(self, y0, y1):
        """Leftmost and rightmost inked column between rows y0 and y1, or None."""
        cols = self.columns(y0, y1)
        return (cols[0][0], cols[-1][1]) if cols else None


def _tags(data, off, le):
    e = "<" if le else ">"
    n = struct.unpack(e + "H", data[off:off + 2])[0]
    tags = {}
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8}
    fmt = {1: "B", 2: "B", 3: "H", 4: "I", 5: "II"}
    for i in range(n):
        ent = data[off + 2 + 12 * i: off + 14 + 12 * i]
        tag, typ, cnt = struct.unpack(e + "HHI", ent[:8])
        size = sizes.get(typ, 1) * cnt
        raw = ent[8:12] if size <= 4 else data[struct.unpack(e + "I", ent[8:12])[0]:][:size]
        if typ in (3, 4):
            vals = list(struct.unpack(e + fmt[typ] * cnt, raw[:size]))
        elif typ == 5:
            vals = list(struct.unpack(e + "II" * cnt, raw[:size]))
        else:
            vals = list(raw[:size])
        tags[tag] = vals
    nxt = struct.unpack(e + "I", data[off + 2 + 12 * n: off + 6 + 12 * n])[0]
    return tags, nxt


def read_tiff(path):
    """Every page of a bilevel TIFF as a Page."""
    with tempfile.TemporaryDirectory() as d:
        flat = os.path.join(d, "flat.tif")
        subprocess.run(["tiffcp", "-c", "none", "-f", "msb2lsb", path, flat], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(flat, "rb") as f:
            data = f.read()
    le = data[:2] == b"II"
    off = struct.unpack(("<" if le else ">") + "I", data[4:8])[0]
    pages = []
    while off:
        t, off = _tags(data, off, le)
        w, h = t[256][0], t[257][0]
        photometric = t.get(262, [0])[0]
        yres = t.get(283, [196, 1])
        yres = yres[0] / yres[1] if len(yres) == 2 and yres[1] else 196
        stride = (w + 7) // 8
        raw = b"".join(data[o:o + n] for o, n in zip(t[273], t[279]))
        rows = []
        for y in range(h):
            r = bytearray(raw[y * stride:(y + 1) * stride])
            if photometric == 1:        # min-is-black: invert to 1 = black
                r = bytearray(b ^ 0xff for b in r)
            rows.append(bytes(r))
        pages.append(Page(w, h, yres, rows))
    return pages


def pdf_to_fax_pages(pdf, out_tif):
    """A PDF as fax pages (Ghostscript, tiffg4 at 204x196 dpi, letter)."""
    subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=tiffg4",
                    "-r204x196", "-sPAPERSIZE=letter", "-sOutputFile=" + out_tif, pdf],
                   check=True)
    return read_tiff(out_tif)
