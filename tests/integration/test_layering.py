#!/usr/bin/env python3
"""The architecture the tree shows, checked on the sources themselves.

Production code is every .c and .h outside tests/ and bench/. A "unit" is
a folder (util, config, fax, mime, smtp, sip, tools), the daemon core (the
files directly in gateway/) or a room of the gateway (gateway/ROOM/).

  - util/ includes no other unit; the lower folders (config, fax, mime,
    smtp, sip, tools) include nothing under gateway/.
  - A unit's public header is UNIT/UNIT.h (gw.h for the core); every other
    header is private: no other unit's production code includes it. util/
    is a box of separate utilities: each of its headers is public.
  - Rooms do not include the core (gw.h): the core wires the rooms, not
    the other way round.
  - No include cycles between units.
  - Each room has its public header, which opens with a comment whose first
    paragraph says what the room does ("gateway/ROOM: ...").
  - Production files stay at or under FILE_LINES_MAX lines.
  - No comment cites a document the repository does not ship.
Each finding is one line; the test fails when there is any.
"""
import os
import re
import sys

SRC = os.environ.get("SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
FILE_LINES_MAX = 1000
LOWER = {"config", "fax", "mime", "smtp", "sip", "tools"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
FOREIGN_DOCS = re.compile(r"DESIGN\.md|house[ -]style|field-lessons|rfc-checklist|"
                          r"sip-libre-notes|spandsp-notes|cisco-t37\.md")


def unit_of(path):
    """util, config, ..., "gateway" (the core) or "gateway/ROOM"."""
    parts = path.split("/")
    if parts[0] == "gateway" and len(parts) > 2:
        return "gateway/" + parts[1]
    return parts[0]


def public_header(unit):
    if unit == "gateway":
        return "gateway/gw.h"
    return "%s/%s.h" % (unit, unit.split("/")[-1])


def production_files():
    for top in sorted(os.listdir(SRC)):
        full = os.path.join(SRC, top)
        if not os.path.isdir(full) or top.startswith(".") or top in (
                "tests", "bench", "build", "build-asan", "build-fuzz", "docs",
                "contrib", "scripts"):
            continue
        for root, _dirs, files in os.walk(full):
            for name in sorted(files):
                if name.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(root, name), SRC)


def main():
    findings = []
    graph = {}
    rooms = set()
    files = list(production_files())
    for path in files:
        unit = unit_of(path)
        if unit.startswith("gateway/"):
            rooms.add(unit)
        with open(os.path.join(SRC, path), encoding="utf-8", errors="replace") as f:
            text = f.read()
        lines = text.count("\n")
        if lines > FILE_LINES_MAX:
            findings.append("%s: %d lines (at most %d)" % (path, lines, FILE_LINES_MAX))
        m = FOREIGN_DOCS.search(text)
        if m:
            findings.append("%s: cites %r, which a clone does not have" % (path, m.group(0)))
        for inc in INCLUDE.findall(text):
            if "/" not in inc or not os.path.exists(os.path.join(SRC, inc)):
                continue        # a header of the same folder by name, or a system one
            dep = unit_of(inc)
            if dep == unit:
                continue
            graph.setdefault(unit, set()).add(dep)
            if unit == "util":
                findings.append("%s: util/ includes %s" % (path, inc))
            if unit in LOWER and inc.startswith("gateway/"):
                findings.append("%s: a lower folder includes %s" % (path, inc))
            if inc != public_header(dep) and dep != "util":
                findings.append("%s: includes %s, private to %s/" % (path, inc, dep))
            if unit.startswith("gateway/") and dep == "gateway":
                findings.append("%s: a room includes the core (%s)" % (path, inc))
    # cycles between units
    state = {}

    def visit(u, stack):
        state[u] = 1
        for v in sorted(graph.get(u, ())):
            if state.get(v) == 1:
                cyc = stack[stack.index(v):] + [v] if v in stack else [u, v]
                findings.append("include cycle: %s" % " -> ".join(cyc))
            elif state.get(v) is None:
                visit(v, stack + [v])
        state[u] = 2
    for u in sorted(graph):
        if state.get(u) is None:
            visit(u, [u])
    # each room: its header and its opening paragraph
    for room in sorted(rooms):
        hdr = public_header(room)
        try:
            with open(os.path.join(SRC, hdr), encoding="utf-8") as f:
                head = f.read(2000)
        except OSError:
            findings.append("%s: the room has no public header %s" % (room, hdr))
            continue
        if not re.match(r"/\*\n \* %s: \S" % re.escape(room), head):
            findings.append("%s: does not open with \"/*\\n * %s: what it does\"" % (hdr, room))
    for line in findings:
        print(line)
    print("layering: %d files, %d units, %d rooms, %d findings" % (
        len(files), len(set(unit_of(p) for p in files)), len(rooms), len(findings)))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
