#!/usr/bin/env python3
"""Checks an onramp message (a file from smtp-sink's dump or a Maildir)
with Python's email module: headers, structure, the TIFF attachment being
RFC 3949 Profile S with the expected pages, and (for smtp-sink dumps) the
DSN parameters of the envelope.

usage: onramp_check.py FILE PAGES [--dsn] [--sink] [--fax-message]
"""
import email
import email.policy
import struct
import sys


def tiff_tags(data):
    """Every IFD of a TIFF as a dict tag -> first value (or tuple)."""
    order = data[:2]
    if order == b"II":
        e = "<"
    elif order == b"MM":
        e = ">"
    else:
        raise SystemExit("attachment is not a TIFF")
    magic, off = struct.unpack(e + "HI", data[2:8])
    if magic != 42:
        raise SystemExit("bad TIFF magic")
    sizes = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8}
    ifds = []
    while off and len(ifds) < 1000:
        (n,) = struct.unpack(e + "H", data[off:off + 2])
        tags = {}
        for i in range(n):
            ent = data[off + 2 + 12 * i: off + 14 + 12 * i]
            tag, typ, cnt = struct.unpack(e + "HHI", ent[:8])
            size = sizes.get(typ, 1) * cnt
            raw = ent[8:12] if size <= 4 else data[struct.unpack(e + "I", ent[8:12])[0]:][:size]
            if typ == 3:
                vals = struct.unpack(e + "%dH" % cnt, raw[:2 * cnt])
            elif typ == 4:
                vals = struct.unpack(e + "%dI" % cnt, raw[:4 * cnt])
            elif typ == 5:
                v = struct.unpack(e + "%dI" % (2 * cnt), raw[:8 * cnt])
                vals = tuple(v[k] / v[k + 1] for k in range(0, len(v), 2))
            else:
                vals = (raw,)
            tags[tag] = vals[0] if len(vals) == 1 else vals
        ifds.append(tags)
        (off,) = struct.unpack(e + "I", data[off + 2 + 12 * n: off + 6 + 12 * n])
    return ifds


def check_profile_s(data, pages):
    ifds = tiff_tags(data)
    assert len(ifds) == pages, "TIFF has %d pages, want %d" % (len(ifds), pages)
    for i, t in enumerate(ifds):
        assert t[259] == 3, "Compression %r, want 3 (MH)" % t[259]
        assert t.get(292, 0) in (0, 4), "T4Options %r" % t.get(292)
        assert t[266] == 2, "FillOrder %r" % t.get(266)
        assert t[258] == 1 and t.get(277, 1) == 1, "not bilevel"
        assert t[262] == 0, "Photometric %r" % t[262]
        assert t[256] == 1728, "ImageWidth %r" % t[256]
        assert round(t[282]) in (204, 200), "XResolution %r" % t[282]
        assert round(t[283]) in (98, 100, 196, 200), "YResolution %r" % t[283]
        assert t[296] == 2, "ResolutionUnit %r" % t[296]
        assert t[254] == 2, "NewSubFileType %r" % t[254]
        assert tuple(t[297]) == (i, pages), "PageNumber %r" % (t[297],)
        assert t[278] == t[257], "RowsPerStrip != ImageLength"


def main():
    path, pages = sys.argv[1], int(sys.argv[2])
    opts = sys.argv[3:]
    raw = open(path, "rb").read()
    if "--sink" in opts:
        # smtp-sink's own X-* records come first; then the message.
        env = {}
        lines = raw.split(b"\n")
        k = 0
        while k < len(lines) and lines[k].startswith((b"X-Client", b"X-Helo", b"X-Mail", b"X-Rcpt")):
            key, _, val = lines[k].decode().partition(": ")
            env.setdefault(key, []).append(val)
            k += 1
        raw = b"\n".join(lines[k:])
        mail = env.get("X-Mail-Args", [""])[0]
        rcpt = env.get("X-Rcpt-Args", [""])[0]
        if "--dsn" in opts:
            assert "RET=HDRS" in mail and "ENVID=" in mail, "MAIL args: %r" % mail
            assert "NOTIFY=SUCCESS,FAILURE" in rcpt, "RCPT args: %r" % rcpt
            assert "ORCPT=rfc822;fax-9913170@example.com" in rcpt, "RCPT args: %r" % rcpt
        else:
            assert "ENVID=" not in mail and "NOTIFY=" not in rcpt, (mail, rcpt)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "Incoming Fax[DNIS=9913170][ANI=9194724118]", msg["Subject"]
    assert msg["To"].addresses[0].addr_spec == "fax-9913170@example.com", msg["To"]
    frm = msg["From"].addresses[0]
    assert frm.addr_spec == "FAX=+9194724118@gw1.example.com", frm.addr_spec
    assert frm.display_name == "+1 919 472 4118", frm.display_name
    assert msg["Message-Context"] == "fax-message"
    assert msg["MIME-Version"] == "1.0"
    assert msg["Message-ID"].endswith("@gw1.example.com>")
    assert msg["Disposition-Notification-To"] == "fax-admin@example.com"
    assert msg["Date"] is not None
    rcv = msg.get_all("Received")
    ours = str(rcv[-1]) if rcv else ""  # the first hop is at the bottom
    assert "by gw1.example.com" in ours and "ANI 9194724118" in ours, rcv
    assert msg["X-Fax-Pages"] == str(pages)
    assert msg["X-Fax-Result"] == "ok"
    want = "fax-message" if "--fax-message" in opts else "mixed"
    assert msg.get_content_type() == "multipart/" + want, msg.get_content_type()
    parts = list(msg.iter_parts())
    assert len(parts) == 2, len(parts)
    assert parts[0].get_content_type() == "text/plain"
    text = parts[0].get_content()
    assert ("%d pages from +1 919 472 4118" % pages) in text, text
    tif = parts[1]
    assert tif.get_content_type() == "image/tiff", tif.get_content_type()
    assert tif.get_param("application") == "faxbw"
    assert tif.get_param("name") == "fax.tif", tif.get_param("name")
    assert tif["Content-Transfer-Encoding"] == "base64"
    body = tif.get_payload()
    for ln in body.splitlines():
        assert len(ln) <= 76, "base64 line of %d chars" % len(ln)
    check_profile_s(tif.get_content(), pages)
    print("ok: %s" % path)


if __name__ == "__main__":
    main()
