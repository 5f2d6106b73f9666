#!/usr/bin/env python3
"""DSNs and MDNs built by mime/report, checked by an independent parser.

The mime_report unit suite writes every report it builds into
T37_REPORT_OUT; this test reads them back with Python's email package and
checks RFC 6522 / 3464 / 8098 structure: multipart/report with the right
report-type, a text/plain first part, the machine-readable part with the
required fields in their blocks, 7-bit ASCII with short lines, no parser
defects.
"""
import email
import email.policy
import os
import re
import subprocess
import sys
import tempfile

BUILD = os.environ.get("BUILD", "build")
STATUS_RE = re.compile(r"^[245]\.\d{1,3}\.\d{1,3}$")
ACTIONS = {"delivered", "failed", "delayed", "relayed", "expanded"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def check_defects(msg, name):
    for part in msg.walk():
        if part.defects:
            fail("%s: parser defects %r in %s" % (name, part.defects,
                                                  part.get_content_type()))


def check_dsn(msg, name):
    parts = msg.get_payload()
    if len(parts) not in (2, 3):
        fail("%s: %d parts" % (name, len(parts)))
    ds = parts[1]
    if ds.get_content_type() != "message/delivery-status":
        fail("%s: second part is %s" % (name, ds.get_content_type()))
    if ds.get("Content-Transfer-Encoding", "7bit").lower() != "7bit":
        fail("%s: delivery-status is not 7bit" % name)
    # Python parses message/delivery-status into header blocks.
    blocks = ds.get_payload()
    if len(blocks) < 2:
        fail("%s: %d delivery-status blocks" % (name, len(blocks)))
    per_msg = blocks[0]
    if not re.match(r"^dns; ?\S+\.\S+$", per_msg.get("Reporting-MTA", "")):
        fail("%s: Reporting-MTA %r" % (name, per_msg.get("Reporting-MTA")))
    if "Arrival-Date" in per_msg and email.utils.parsedate_to_datetime(
            per_msg["Arrival-Date"]) is None:
        fail("%s: bad Arrival-Date" % name)
    failed = False
    for rb in blocks[1:]:
        action = rb.get("Action", "")
        status = rb.get("Status", "")
        if action not in ACTIONS:
            fail("%s: Action %r" % (name, action))
        if not STATUS_RE.match(status):
            fail("%s: Status %r" % (name, status))
        if action == "delivered" and not status.startswith("2."):
            fail("%s: delivered with %s" % (name, status))
        if action == "failed":
            failed = True
            if status.startswith("2."):
                fail("%s: failed with %s" % (name, status))
        if not rb.get("Final-Recipient", "").startswith("rfc822;"):
            fail("%s: Final-Recipient %r" % (name, rb.get("Final-Recipient")))
        if ("Will-Retry-Until" in rb) != (action == "delayed"):
            fail("%s: Will-Retry-Until with Action %s" % (name, action))
        if "Remote-MTA" in rb:
            fail("%s: a fax machine is not a Remote-MTA" % name)
        dc = rb.get("Diagnostic-Code")
        if dc is not None and not dc.startswith("X-FAX;"):
            fail("%s: Diagnostic-Code %r" % (name, dc))
        if "Original-Recipient" in rb and ";" not in rb["Original-Recipient"]:
            fail("%s: Original-Recipient without addr-type" % name)
    if len(parts) == 3:
        ret = parts[2].get_content_type()
        if ret not in ("text/rfc822-headers", "message/rfc822"):
            fail("%s: returned content is %s" % (name, ret))
        if ret == "message/rfc822" and not failed:
            fail("%s: full message returned without a failure" % name)


def check_mdn(msg, name):
    parts = msg.get_payload()
    if len(parts) not in (2, 3):
        fail("%s: %d parts" % (name, len(parts)))
    dn = parts[1]
    if dn.get_content_type() != "message/disposition-notification":
        fail("%s: second part is %s" % (name, dn.get_content_type()))
    payload = dn.get_payload()
    fields = payload[0] if isinstance(payload, list) else email.message_from_string(payload)
    disp = fields.get("Disposition", "")
    if not re.match(r"^automatic-action/MDN-sent-automatically; "
                    r"(dispatched|processed/error)$", disp):
        fail("%s: Disposition %r" % (name, disp))
    if not fields.get("Final-Recipient", "").startswith("rfc822;"):
        fail("%s: Final-Recipient" % name)
    if "Reporting-UA" not in fields:
        fail("%s: no Reporting-UA" % name)
    if "Disposition-Notification-To" in msg:
        fail("%s: an MDN must not ask for an MDN" % name)


def main():
    unit = os.path.join(BUILD, "tests", "unit")
    if not os.access(unit, os.X_OK):
        print("the unit runner is not built")
        sys.exit(77)
    with tempfile.TemporaryDirectory() as out:
        env = dict(os.environ, T37_SUITE="mime_report", T37_REPORT_OUT=out)
        r = subprocess.run([unit], env=env, capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            fail("mime_report suite failed:\n" + r.stdout + r.stderr)
        names = sorted(os.listdir(out))
        if len(names) < 5:
            fail("only %d reports written: %r" % (len(names), names))
        for n in names:
            raw = open(os.path.join(out, n), "rb").read()
            for i, line in enumerate(raw.split(b"\n")):
                if len(line.rstrip(b"\r")) > 998:
                    fail("%s: line %d longer than 998" % (n, i + 1))
            if any(b > 127 for b in raw):
                fail("%s: not 7-bit" % n)
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            check_defects(msg, n)
            if msg.get_content_type() != "multipart/report":
                fail("%s: top type %s" % (n, msg.get_content_type()))
            if msg["From"] is None or msg["To"] is None or msg["Date"] is None \
                    or msg["Message-ID"] is None:
                fail("%s: From/To/Date/Message-ID missing" % n)
            first = msg.get_payload()[0]
            if first.get_content_type() != "text/plain":
                fail("%s: first part %s" % (n, first.get_content_type()))
            text = first.get_content()
            if not text.strip():
                fail("%s: empty human-readable part" % n)
            rtype = msg.get_param("report-type")
            if rtype == "delivery-status":
                check_dsn(msg, n)
            elif rtype == "disposition-notification":
                check_mdn(msg, n)
            else:
                fail("%s: report-type %r" % (n, rtype))
            print("ok: %s" % n)
    print("all reports valid")


if __name__ == "__main__":
    main()
