#!/usr/bin/env python3
"""Documents people mail, faxed by the real daemon to real `t37fax answer`
fax machines on loopback, each received fax checked on its pixels and each
DSN on its words. The mails are shaped like what the clients send:

1. mutt: UTF-8 text in Cyrillic, Chinese, Japanese and Arabic. Each line
   of the received page is compared with a reference rendering of the same
   text by pango-view (its own Pango, drawn by Cairo, rasterized by
   Ghostscript): it must match that, and not the line with its letters
   replaced by "?".
2. Thunderbird: a forward as attachment (message/rfc822). Page 2 starts with
   the forwarded message's header block; the DSN names the forwarded part.
3. Outlook: multipart/related(alternative(plain, HTML), logo) with a heading,
   a table, the logo between two paragraphs and a tracking image on the
   Internet. The heading is set larger than the body, the table's columns
   line up, the logo stands between its paragraphs; the DSN says delivered
   with parts left out (RFC 3463 2.6.4) and names the image not fetched.
4. Apple Mail: an inline JPEG photo (landscape, 320 x 240 at 96 dpi): it
   fits the page, so it keeps its own size (3.33 x 2.5 in, as a mail
   client shows it), is neither enlarged nor turned, and is dithered. A
   dithered photo costs about 3 bits a pixel in T.6 (some 80 s of line time
   at 14,400 bit/s for this one; a full page takes over 5 minutes), so the
   photo is small; fitting and turning large ones is tested in the unit
   tests.
5. Gmail: a PNG screenshot attached: larger than the page across, so turned
   to print larger, binarized as text.
6. Thunderbird: a .docx report (paragraphs and a table) attached, converted
   by LibreOffice: page 2 has its lines and the table's columns. Without
   LibreOffice the case is left out and the test ends as skipped, saying so.
Every DSN lists each part with its pages. The faxes go out at once, each to
its own fax machine.
"""
import atexit
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtpd_lib import BUILD, Gateway, check, fail, free_port  # noqa: E402
from offramp_lib import dsn_blocks, dsn_text, dsns_by_envid, submit  # noqa: E402
from fax_pages import read_tiff  # noqa: E402
import documents_lib as D  # noqa: E402

T37FAX = os.path.join(BUILD, "t37fax")
SOFFICE = "/usr/bin/soffice"
# The photo, in pixels at its JFIF density of 96 dpi.
PHOTO_W, PHOTO_H, PHOTO_DPI = 320, 240, 96.0
DOCX_PARAS = ["Quarterly report", "Sales rose in every region this quarter.",
              "The table below lists the totals."]
DOCX_TABLE = [["Region", "Units", "Revenue"], ["North", "1200", "36000"],
              ["South", "950", "28500"], ["West", "400", "12000"]]
SCRIPT_LINES = [
    "\u0420\u0443\u0441\u0441\u043a\u0438\u0439: \u0421\u044a\u0435\u0448\u044c \u0436\u0435 "
    "\u0435\u0449\u0451 \u044d\u0442\u0438\u0445 \u043c\u044f\u0433\u043a\u0438\u0445 "
    "\u0444\u0440\u0430\u043d\u0446\u0443\u0437\u0441\u043a\u0438\u0445 "
    "\u0431\u0443\u043b\u043e\u043a.",
    "\u4e2d\u6587\uff1a\u6211\u4eec\u7684\u4f20\u771f\u7f51\u5173\u73b0\u5728\u53ef\u4ee5"
    "\u6253\u5370\u6c49\u5b57\u3002",
    "\u65e5\u672c\u8a9e\uff1a\u30d5\u30a1\u30c3\u30af\u30b9\u3067\u65e5\u672c\u8a9e\u3092"
    "\u9001\u308a\u307e\u3059\u3002",
    "\u0627\u0644\u0639\u0631\u0628\u064a\u0629: \u0645\u0631\u062d\u0628\u0627 \u0628\u0643"
    "\u0645 \u0641\u064a \u0628\u0648\u0627\u0628\u0629 \u0627\u0644\u0641\u0627\u0643\u0633",
]


def mutt_scripts():
    body = "\n".join(SCRIPT_LINES) + "\n"
    return ("Date: Tue, 1 Dec 2026 09:00:00 +0100\nFrom: Olga <olga@example.org>\n"
            "To: FAX=+19195559101@fax.test\nSubject: Scripts\nMessage-ID: "
            "<20261201080000.GA1234@example.org>\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Disposition: inline\n"
            "Content-Transfer-Encoding: 8bit\nUser-Agent: NeoMutt/20220429\n\n" +
            body).encode("utf-8")


def thunderbird_forward():
    return ("Message-ID: <f1@example.org>\nDate: Tue, 1 Dec 2026 13:30:00 +0100\n"
            "MIME-Version: 1.0\nUser-Agent: Mozilla Thunderbird\n"
            "From: Anna Becker <anna@example.org>\nTo: FAX=+19195559102@fax.test\n"
            "Subject: Fwd: Order 42\nContent-Type: multipart/mixed;\n"
            " boundary=\"------------tbForward01\"\n\n"
            "This is a multi-part message in MIME format.\n"
            "--------------tbForward01\nContent-Type: text/plain; charset=UTF-8; "
            "format=flowed\nContent-Transfer-Encoding: 7bit\n\n"
            "Please fax the order below.\n\n"
            "--------------tbForward01\nContent-Type: message/rfc822; name=\"Order 42.eml\"\n"
            "Content-Disposition: attachment; filename=\"Order 42.eml\"\n\n"
            "From: Customer <customer@example.com>\nTo: sales@example.org\n"
            "Subject: Order 42\nDate: Mon, 30 Nov 2026 10:00:00 +0000\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
            "One box of widgets, please.\n\n"
            "--------------tbForward01--\n").encode()


HTML = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style>p.MsoNormal {margin:0cm;font-family:Calibri}</style></head>
<body lang=EN-US><div class=WordSection1>
<div style="display:none">Your order 42 is on its way</div>
<h1>Order confirmation</h1>
<p class=MsoNormal>Dear customer, thank you for your order.</p>
<p class=MsoNormal><img width=200 height=60 src="cid:image001.png@01DB43AC.0A1B2C3D"
 alt="ACME logo"></p>
<p class=MsoNormal>Your order:</p>
<table cellpadding=4>
<tr><td>Widget</td><td align=right>12</td><td align=right>3.50</td></tr>
<tr><td>Widget with a much longer name</td><td align=right>7</td><td align=right>12.00</td></tr>
<tr><td>Box</td><td align=right>1</td><td align=right>126.00</td></tr>
</table>
<p class=MsoNormal>Regards,<br>ACME Sales</p>
<img src="https://track.example.com/open.gif?id=42" width=1 height=1>
</div></body></html>
"""


def outlook_html(work):
    logo = D.logo_png(os.path.join(work, "logo.png"))
    plain = "Order confirmation\n\nDear customer, thank you for your order.\n"
    return ("From: \"Miller, John\" <j.miller@example.com>\nTo: <FAX=+19195559103@fax.test>\n"
            "Subject: Order confirmation\nDate: Tue, 1 Dec 2026 08:15:40 +0000\n"
            "Message-ID: <000101db43ac$0a1b2c3d@example.com>\nMIME-Version: 1.0\n"
            "X-Mailer: Microsoft Outlook 16.0\nContent-Type: multipart/related;\n"
            "\tboundary=\"----=_NextPart_000_0005\";\n\ttype=\"multipart/alternative\"\n\n"
            "This is a multipart message in MIME format.\n\n"
            "------=_NextPart_000_0005\nContent-Type: multipart/alternative;\n"
            "\tboundary=\"----=_NextPart_001_0006\"\n\n\n"
            "------=_NextPart_001_0006\nContent-Type: text/plain;\n\tcharset=\"us-ascii\"\n"
            "Content-Transfer-Encoding: quoted-printable\n\n" + D.qp(plain) + "\n"
            "------=_NextPart_001_0006\nContent-Type: text/html;\n\tcharset=\"utf-8\"\n"
            "Content-Transfer-Encoding: quoted-printable\n\n" + D.qp(HTML) + "\n"
            "------=_NextPart_001_0006--\n\n"
            "------=_NextPart_000_0005\nContent-Type: image/png;\n\tname=\"image001.png\"\n"
            "Content-Transfer-Encoding: base64\n"
            "Content-ID: <image001.png@01DB43AC.0A1B2C3D>\n\n" + D.b64(logo) + "\n\n"
            "------=_NextPart_000_0005--\n").encode()


def apple_photo(work):
    jpg = D.photo_jpeg(os.path.join(work, "photo.jpg"), PHOTO_W, PHOTO_H)
    return ("From: Paul <paul@example.net>\nContent-Type: multipart/mixed;\n"
            "\tboundary=\"Apple-Mail=_1E3C\"\nMime-Version: 1.0 (Mac OS X Mail 16.0)\n"
            "Subject: The photo\nDate: Tue, 1 Dec 2026 10:00:00 +0100\n"
            "To: FAX=+19195559104@fax.test\nX-Mailer: Apple Mail (2.3731)\n\n"
            "--Apple-Mail=_1E3C\nContent-Transfer-Encoding: 7bit\nContent-Type: text/plain;\n"
            "\tcharset=us-ascii\n\nHere is the photo of the site.\n\n"
            "--Apple-Mail=_1E3C\nContent-Disposition: inline;\n\tfilename=IMG_0042.JPG\n"
            "Content-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname=\"IMG_0042.JPG\"\n"
            "Content-Transfer-Encoding: base64\n\n" + D.b64(jpg) + "\n"
            "--Apple-Mail=_1E3C--\n").encode()


def gmail_screenshot(work):
    png = D.screenshot_png(os.path.join(work, "shot.png"))
    return ("MIME-Version: 1.0\nDate: Tue, 1 Dec 2026 11:00:00 +0100\n"
            "Message-ID: <CAF=abc@mail.gmail.com>\nSubject: Screenshot\n"
            "From: Gina <gina@example.com>\nTo: FAX=+19195559105@fax.test\n"
            "Content-Type: multipart/mixed; boundary=\"000000000000a1b2c3\"\n\n"
            "--000000000000a1b2c3\nContent-Type: multipart/alternative; "
            "boundary=\"000000000000a1b2c1\"\n\n"
            "--000000000000a1b2c1\nContent-Type: text/plain; charset=\"UTF-8\"\n\n"
            "The screenshot of the report.\n\n"
            "--000000000000a1b2c1\nContent-Type: text/html; charset=\"UTF-8\"\n\n"
            "<div dir=\"ltr\">The screenshot of the report.</div>\n\n"
            "--000000000000a1b2c1--\n"
            "--000000000000a1b2c3\nContent-Type: image/png; name=\"report.png\"\n"
            "Content-Disposition: attachment; filename=\"report.png\"\n"
            "Content-Transfer-Encoding: base64\nX-Attachment-Id: f_lq1\n"
            "Content-ID: <f_lq1>\n\n" + D.b64(png) + "\n"
            "--000000000000a1b2c3--\n").encode()


def thunderbird_docx(work):
    doc = D.docx(os.path.join(work, "report.docx"), DOCX_PARAS, DOCX_TABLE)
    return ("Message-ID: <d1@example.org>\nDate: Tue, 1 Dec 2026 14:00:00 +0100\n"
            "MIME-Version: 1.0\nUser-Agent: Mozilla Thunderbird\n"
            "From: Anna Becker <anna@example.org>\nTo: FAX=+19195559106@fax.test\n"
            "Subject: Report\nContent-Type: multipart/mixed;\n"
            " boundary=\"------------tbDocx01\"\n\n"
            "This is a multi-part message in MIME format.\n"
            "--------------tbDocx01\nContent-Type: text/plain; charset=UTF-8; "
            "format=flowed\nContent-Transfer-Encoding: 7bit\n\n"
            "The report is attached.\n\n"
            "--------------tbDocx01\nContent-Type: application/vnd.openxmlformats-"
            "officedocument.wordprocessingml.document; name=\"report.docx\"\n"
            "Content-Disposition: attachment; filename=\"report.docx\"\n"
            "Content-Transfer-Encoding: base64\n\n" + D.b64(doc) + "\n\n"
            "--------------tbDocx01--\n").encode()


def text_bands(page):
    """Bands of ink below the top margin, lines of text apart."""
    return page.bands(y0=100, min_gap=3)


def check_scripts(page, work):
    bands = text_bands(page)
    check(len(bands) == len(SCRIPT_LINES), "scripts: %d lines on the page: %r" %
          (len(bands), bands))
    for i, (line, (y0, y1)) in enumerate(zip(SCRIPT_LINES, bands)):
        fax = D.band_bits(page, y0, y1)
        ref = D.reference_line(line, work, "ref%d" % i)
        qm = D.reference_line("".join(c if ord(c) < 128 else "?" for c in line), work,
                              "qm%d" % i)
        like, unlike = D.likeness(fax, ref), D.likeness(fax, qm)
        check(like >= 0.75, "scripts line %d: %.2f like the reference rendering" %
              (i + 1, like))
        check(unlike < 0.6, "scripts line %d: %.2f like the line of '?'" % (i + 1, unlike))
        print("ok line %d: %.2f like the reference, %.2f like '?'" % (i + 1, like, unlike))


def check_forward(pages, work):
    check(len(pages) == 2, "forward: %d pages" % len(pages))
    bands = text_bands(pages[1])
    # the separator, From, To, Subject, Date, a blank line, the body
    check(len(bands) >= 6, "forward: page 2 has %d lines" % len(bands))
    first = D.band_bits(pages[1], *bands[0])
    like = D.likeness(first, D.reference_line("---------- Forwarded message ----------",
                                              work, "fwd"))
    check(like >= 0.75, "forward: page 2 does not start with the forward's header block "
          "(%.2f)" % like)
    frm = D.band_bits(pages[1], *bands[1])
    like = D.likeness(frm, D.reference_line("From: Customer <customer@example.com>",
                                            work, "fwdfrom"))
    check(like >= 0.75, "forward: no From line (%.2f)" % like)


def check_html(page):
    b = page.bands(y0=100, min_gap=4)
    heights = [y1 - y0 for y0, y1 in b]
    # heading, paragraph, logo, paragraph, 3 table rows, "Regards," and a line
    check(len(b) == 9, "html: %d bands %r" % (len(b), b))
    # The heading ("Order confirmation") and the last table row ("Box 1
    # 126.00") have no descenders: their ink is a capital's height, set at
    # 200% and at 100%.
    head, para = heights[0], heights[6]
    check(head > 1.6 * para, "html: the heading (%d rows) is not larger than the body "
          "(%d rows)" % (head, para))
    # The logo: 60 CSS pixels tall (122 rows), 200 wide (425 dots), between
    # "Dear customer" and "Your order:".
    logo = b[2]
    check(abs((logo[1] - logo[0]) - 122) <= 4, "html: the logo band is %d rows" %
          (logo[1] - logo[0]))
    x0, x1 = page.extent(*logo)
    check(abs((x1 - x0) - 425) <= 6, "html: the logo is %d dots wide" % (x1 - x0))
    check(b[1][1] < logo[0] and logo[1] < b[3][0], "html: the logo is not between its "
          "paragraphs")
    # The table: the first column starts at one x, the right-aligned ones
    # end at one x, in every row.
    starts, ends2, ends3 = [], [], []
    for y0, y1 in b[4:7]:
        cols = page.columns(y0, y1, min_gap=14)
        check(len(cols) >= 3, "html: a table row has %d ink columns: %r" % (len(cols), cols))
        starts.append(cols[0][0])
        ends3.append(cols[-1][1])
        ends2.append(cols[-2][1])
    for what, xs in (("first column starts", starts), ("second column ends", ends2),
                     ("third column ends", ends3)):
        check(max(xs) - min(xs) <= 3, "html: the table's %s at %r" % (what, xs))
    print("ok html: heading %d rows, body %d; logo between paragraphs; columns at %r %r %r"
          % (head, para, starts, ends2, ends3))


def check_photo(pages):
    check(len(pages) == 2, "photo: %d pages" % len(pages))
    p = pages[1]
    b = p.bands(y0=80, min_gap=20)
    y0, y1 = b[0][0], b[-1][1]
    x0, x1 = p.extent(y0, y1)
    h_in, w_in = (y1 - y0) / p.yres, (x1 - x0) / 204.0
    # landscape 4:3 at its own size: not enlarged to the page, not turned
    want_w, want_h = PHOTO_W / PHOTO_DPI, PHOTO_H / PHOTO_DPI
    check(abs(w_in - want_w) < 0.1 and abs(h_in - want_h) < 0.1,
          "photo: %.2f x %.2f in, not its own %.2f x %.2f in" % (w_in, h_in, want_w,
                                                               want_h))
    share = p.ink(x0, y0, x1, y1) / float((x1 - x0) * (y1 - y0))
    check(0.15 < share < 0.85, "photo: %.2f of it black: not dithered" % share)
    print("ok photo: %.2f x %.2f in, %.2f black" % (w_in, h_in, share))


def check_screenshot(pages):
    check(len(pages) == 2, "screenshot: %d pages" % len(pages))
    p = pages[1]
    b = p.bands(y0=80, min_gap=40)
    y0, y1 = b[0][0], b[-1][1]
    x0, x1 = p.extent(y0, y1)
    w_in, h_in = (x1 - x0) / 204.0, (y1 - y0) / p.yres
    # 1024 x 768 at 96 dpi is 10.7 x 8 in: upright it would print at 75%,
    # turned a quarter at 97%, so it is turned: its title bar, as long as
    # the screenshot is wide, runs down the page's whole printable height
    # (10.3 in), and its ink (the title bar to the button near its bottom
    # edge) is less wide than the 7.7 in of 768 pixels at that scale.
    check(abs(h_in - 10.3) < 0.05 and 6.5 < w_in < 7.75,
          "screenshot: not turned to fit (%.2f x %.2f in)" % (w_in, h_in))
    share = p.ink(x0, y0, x1, y1) / float((x1 - x0) * (y1 - y0))
    check(share < 0.35, "screenshot: %.2f of it black" % share)
    # the title bar is black across, the lines of text (turned: columns of
    # ink) are apart
    check(len(p.columns(y0, y1, min_gap=2)) >= 15, "screenshot: its text lines "
          "did not survive: %r" % p.columns(y0, y1, min_gap=2))
    print("ok screenshot: %.2f x %.2f in, %.2f black" % (w_in, h_in, share))


def check_docx(pages):
    check(len(pages) == 2, "docx: %d pages" % len(pages))
    p = pages[1]
    b = p.bands(y0=100, min_gap=3)
    # three paragraphs and four table rows, maybe the table's rules
    check(len(b) >= len(DOCX_PARAS) + len(DOCX_TABLE), "docx: %d lines on page 2: %r" %
          (len(b), b))
    rows = [bb for bb in b if len(p.columns(bb[0], bb[1], min_gap=30)) >= 3]
    check(len(rows) >= len(DOCX_TABLE), "docx: %d lines with three columns: %r" %
          (len(rows), b))
    starts = [p.columns(y0, y1, min_gap=30)[1][0] for y0, y1 in rows]
    check(max(starts) - min(starts) <= 3, "docx: the second column starts at %r" % starts)
    print("ok docx: %d lines, %d table rows, second column at %d" % (len(b), len(rows),
                                                                   starts[0]))


def main():
    for tool in (T37FAX,):
        if not os.access(tool, os.X_OK):
            print("t37fax is not built")
            sys.exit(77)
    work = tempfile.mkdtemp(prefix="t37docs.")
    mails = [
        ("mutt-scripts", mutt_scripts()),
        ("thunderbird-forward", thunderbird_forward()),
        ("outlook-html", outlook_html(work)),
        ("apple-photo", apple_photo(work)),
        ("gmail-screenshot", gmail_screenshot(work)),
    ]
    office = os.access(SOFFICE, os.X_OK)
    if office:
        mails.append(("thunderbird-docx", thunderbird_docx(work)))
    ports = [free_port() for _ in mails]
    extra = "".join("dial-peer voice %d voip\n destination-pattern 1919555910%d\n"
                    " session target sip:$d$@127.0.0.1:%d\n" % (410 + i, i + 1, port)
                    for i, port in enumerate(ports))
    gw = Gateway(extra=extra, max_size=4000000).start()
    answerers = []
    for i, port in enumerate(ports):
        out = os.path.join(work, "rx%d" % i)
        os.mkdir(out)
        p = subprocess.Popen([T37FAX, "answer", "--listen", "127.0.0.1:%d" % port, "--out",
                              out, "--count", "1", "--ident", "+1 919 555 910%d" % (i + 1)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        atexit.register(lambda p=p: p.poll() is None and p.kill())
        answerers.append((p, out))
    for i, (name, raw) in enumerate(mails):
        submit(gw, raw, "FAX=+1919555910%d@fax.test" % (i + 1), name)
    got = dsns_by_envid(gw, [n for n, _ in mails], 400)
    received = {}
    for (name, _), (p, out) in zip(mails, answerers):
        try:
            res = p.communicate(timeout=60)[0].decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            p.kill()
            fail("%s: the fax machine got no call" % name)
        check(re.search(r"^call=\S+ result=ok ", res, re.M), "%s: %s" % (name, res))
        tifs = [f for f in os.listdir(out) if f.endswith(".tif")]
        check(len(tifs) == 1, "%s: received %r" % (name, tifs))
        received[name] = read_tiff(os.path.join(out, tifs[0]))

    expect = {
        "mutt-scripts": ("2.0.0", ["page 1: the text"]),
        "thunderbird-forward": ("2.0.0", ["page 1: the text", "page 2: the forwarded "
                                          "message \"Order 42\": the text"]),
        "outlook-html": ("2.6.4", ["page 1: the HTML text; left out: 1 image on the "
                                   "Internet (the gateway never fetches remote content)"]),
        "apple-photo": ("2.0.0", ["page 1: the text", "page 2: the attachment "
                                  "\"IMG_0042.JPG\" (image/jpeg)"]),
        "gmail-screenshot": ("2.0.0", ["page 1: the HTML text", "page 2: the attachment "
                                       "\"report.png\" (image/png)"]),
        "thunderbird-docx": ("2.0.0", ["page 1: the text", "page 2: the attachment "
                                       "\"report.docx\""]),
    }
    for name, _ in mails:
        msg, raw = got[name]
        _, rcpts = dsn_blocks(msg, name, raw)
        r = rcpts[0]
        text = dsn_text(msg)
        status, lines = expect[name]
        pages = len(received[name])
        check(r["Action"] == "delivered" and r["Status"] == status,
              "%s: %s %s: %s" % (name, r["Action"], r["Status"], text))
        check(r["X-Fax-Pages"] == "%d of %d" % (pages, pages), "%s: pages %s, received %d"
              % (name, r["X-Fax-Pages"], pages))
        check("Your message was faxed as follows:" in text, "%s: no list: %s" % (name, text))
        for line in lines:
            check(line in text, "%s: DSN lacks %r: %s" % (name, line, text))
        check("could not be printed" not in text, "%s: missing glyphs: %s" % (name, text))
        if status == "2.6.4":
            check(msg["Subject"].endswith("delivered with parts left out"),
                  "%s: subject %s" % (name, msg["Subject"]))
            check("Not everything in your message could be faxed" in text,
                  "%s: %s" % (name, text))
        print("ok %-22s %s, %d page(s): %s" % (name, status, pages,
                                               text.split("faxed as follows: ", 1)[1][:120]))

    check_scripts(received["mutt-scripts"][0], work)
    check_forward(received["thunderbird-forward"], work)
    check_html(received["outlook-html"][0])
    check_photo(received["apple-photo"])
    check_screenshot(received["gmail-screenshot"])
    if office:
        check_docx(received["thunderbird-docx"])
    log = gw.logtext(0)
    check("missing_glyphs" not in log, "a glyph was missing:\n%s" % log[-2000:])
    gw.stop()
    subprocess.run(["rm", "-rf", work])
    if not office:
        print("the .docx case was left out: LibreOffice is not installed (%s)" % SOFFICE)
        sys.exit(77)
    print("all documents faxed as they look, with a DSN that lists their parts")


if __name__ == "__main__":
    main()
