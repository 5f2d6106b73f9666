"""Documents and mails for the offramp document tests: images drawn by
Ghostscript (a JPEG photo, a PNG screenshot, a logo), a .docx built as a zip
of WordprocessingML, reference renderings of text lines with pango-view (an
independent Pango and Cairo, rasterized by Ghostscript), and the comparison
of a line of a received fax with such a reference.
"""
import base64
import os
import quopri
import subprocess
import zipfile

from fax_pages import pdf_to_fax_pages
from smtpd_lib import check


def gs_image(path, device, width, height, ps, dpi=96):
    """Draws PostScript ps into an image file (png16m, pnggray or jpeg)."""
    r = subprocess.run(["gs", "-q", "-dSAFER", "-dBATCH", "-dNOPAUSE", "-sDEVICE=" + device,
                        "-r%d" % dpi, "-g%dx%d" % (width, height), "-dJPEGQ=85",
                        "-sOutputFile=" + path, "-"], input=ps.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "gs %s: %s" % (device, r.stdout))
    with open(path, "rb") as f:
        return f.read()


def photo_jpeg(path, width=1600, height=1200):
    """A photo: a sky-to-ground gradient, soft discs, a horizon."""
    w, h = width * 72.0 / 96, height * 72.0 / 96
    ps = """
<< /ShadingType 2 /ColorSpace /DeviceRGB /Coords [0 0 0 %(h)f]
   /Function << /FunctionType 2 /Domain [0 1] /C0 [0.2 0.35 0.1] /C1 [0.55 0.75 0.95] /N 1 >>
   /Extend [true true] >> shfill
0.9 0.8 0.3 setrgbcolor %(sx)f %(sy)f %(r)f 0 360 arc fill
0.3 0.25 0.2 setrgbcolor 0 0 moveto %(w)f 0 lineto %(w)f %(hz)f lineto
  %(w2)f %(hz2)f lineto 0 %(hz)f lineto closepath fill
0.6 0.5 0.45 setrgbcolor %(tx)f %(ty)f %(tr)f 0 360 arc fill
showpage
""" % {"w": w, "h": h, "sx": w * 0.7, "sy": h * 0.75, "r": h * 0.12, "hz": h * 0.35,
       "w2": w * 0.5, "hz2": h * 0.45, "tx": w * 0.3, "ty": h * 0.2, "tr": h * 0.1}
    return gs_image(path, "jpeg", width, height, ps)


def screenshot_png(path, width=1024, height=768):
    """A screenshot: a window with a dark title bar, a menu and lines of text."""
    h = height * 72.0 / 96
    lines = "".join("20 %f moveto (Line %d of the report: totals for the quarter) show\n" %
                    (h - 80 - 18 * i, i + 1) for i in range(20))
    ps = """
1 1 1 setrgbcolor clippath fill
0.15 0.2 0.35 setrgbcolor 0 %(t)f %(w)f 30 rectfill
1 1 1 setrgbcolor /Helvetica-Bold findfont 14 scalefont setfont 10 %(tt)f moveto (Report - Viewer) show
0.85 0.85 0.85 setrgbcolor 0 %(m)f %(w)f 20 rectfill
0 0 0 setrgbcolor /Helvetica findfont 12 scalefont setfont 10 %(mt)f moveto (File   Edit   View   Help) show
%(lines)s
0.2 0.4 0.8 setrgbcolor 600 40 120 30 rectfill
1 1 1 setrgbcolor 630 50 moveto (OK) show
showpage
""" % {"t": h - 30, "w": width * 72.0 / 96, "tt": h - 20, "m": h - 50, "mt": h - 45,
       "lines": lines}
    return gs_image(path, "png16m", width, height, ps)


def logo_png(path):
    """A 200 x 60 logo: a black frame, a black bar and a square inside."""
    ps = """
1 1 1 setrgbcolor clippath fill 0 0 0 setrgbcolor
0 0 150 45 rectfill 1 1 1 setrgbcolor 4 4 142 37 rectfill
0 0 0 setrgbcolor 20 18 80 9 rectfill 110 12 20 20 rectfill
showpage
"""
    return gs_image(path, "png16m", 200, 60, ps)


def docx(path, paragraphs, table=None):
    """A .docx (WordprocessingML in a zip): paragraphs, then a table."""
    body = "".join('<w:p><w:r><w:t xml:space="preserve">%s</w:t></w:r></w:p>' % p
                   for p in paragraphs)
    if table:
        rows = "".join("<w:tr>%s</w:tr>" % "".join(
            '<w:tc><w:p><w:r><w:t>%s</w:t></w:r></w:p></w:tc>' % c for c in row)
            for row in table)
        body += ('<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>%s</w:tbl>'
                 '<w:p/>' % rows)
    doc = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
           '2006/main"><w:body>%s<w:sectPr/></w:body></w:document>' % body)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension='
                   '"rels" ContentType="application/vnd.openxmlformats-package.'
                   'relationships+xml"/><Default Extension="xml" ContentType="application/'
                   'xml"/><Override PartName="/word/document.xml" ContentType="application/'
                   'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                   '</Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://'
                   'schemas.openxmlformats.org/package/2006/relationships"><Relationship '
                   'Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="word/document.xml"/>'
                   '</Relationships>')
        z.writestr("word/document.xml", doc)
    with open(path, "rb") as f:
        return f.read()


def b64(data, width=76):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


def qp(text):
    return quopri.encodestring(text.encode("utf-8")).decode()


def band_bits(page, y0, y1):
    """The inked box of rows y0..y1 as rows of 0/1."""
    x0, x1 = page.extent(y0, y1)
    return [[page.get(x, y) for x in range(x0, x1)] for y in range(y0, y1)]


def reference_line(text, workdir, name, font="DejaVu Sans Mono 10"):
    """A line of text as pango-view sets it (its own Pango and fontconfig,
    drawn by Cairo into a PDF), rasterized like a fax page by Ghostscript:
    its inked box as rows of 0/1."""
    pdf = os.path.join(workdir, name + ".pdf")
    r = subprocess.run(["pango-view", "-q", "--dpi=72", "--font=" + font, "--margin=10",
                        "--hinting=none", "-o", pdf, "--text", text],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    check(r.returncode == 0, "pango-view: %s" % r.stdout)
    page = pdf_to_fax_pages(pdf, os.path.join(workdir, name + ".tif"))[0]
    bands = page.bands(min_gap=3)
    check(bands, "pango-view drew nothing for %r" % text)
    return band_bits(page, bands[0][0], bands[-1][1])


def likeness(a, b):
    """How alike two inked boxes are, aligned at their top left: the share
    of each one's ink that the other has within a pixel, the smaller of
    the two (1.0: the same shapes)."""
    def near(img, x, y):
        for yy in (y - 1, y, y + 1):
            if 0 <= yy < len(img):
                row = img[yy]
                for xx in (x - 1, x, x + 1):
                    if 0 <= xx < len(row) and row[xx]:
                        return True
        return False

    def share(p, q):
        n = hit = 0
        for y, row in enumerate(p):
            for x, v in enumerate(row):
                if v:
                    n += 1
                    hit += near(q, x, y)
        return hit / n if n else 0.0
    return min(share(a, b), share(b, a))
