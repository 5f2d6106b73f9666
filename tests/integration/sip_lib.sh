# Shell functions for the SIP call tests (sourced after lib.sh): test pages made
# with ghostscript, a t37fax answer/send pair on free loopback ports, and
# checks on the result lines and the received pages.

command -v gs >/dev/null 2>&1 || skip "ghostscript (gs) not installed"
command -v tiffcmp >/dev/null 2>&1 || skip "tiffcmp (libtiff-tools) not installed"
T37FAX="$BUILD/t37fax"

# make_page OUT.tif TEXT: one fine A4 fax page with TEXT and some lines.
make_page() {
    cat > "$T/page.ps" <<PS
%!PS
/Helvetica findfont 22 scalefont setfont
72 740 moveto ($2) show
0 1 24 { /i exch def 72 700 i 20 mul sub moveto (Row ) show i 10 string cvs show
  ( $2 the quick brown fox jumps over the lazy dog) show } for
newpath 90 120 moveto 500 320 lineto 3 setlinewidth stroke
showpage
PS
    gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 \
        -sOutputFile="$1" "$T/page.ps" || fail "gs could not make $1"
}

# start_answer NAME PORT [OPTIONS...]: t37fax answer in the background,
# output in $T/NAME.a.out/.err, received files in $T/NAME.d.
start_answer() {
    _n=$1; _p=$2; shift 2
    mkdir -p "$T/$_n.d"
    "$T37FAX" answer --listen "127.0.0.1:$_p" --out "$T/$_n.d" "$@" \
        > "$T/$_n.a.out" 2> "$T/$_n.a.err" &
    t37_bg $!
    eval "ANSWER_PID_$_n=$!"
}

# run_send NAME PORT "FILES" [OPTIONS...]: t37fax send (FILES split on
# spaces); its exit code is kept in $T/NAME.s.rc.
run_send() {
    _n=$1; _p=$2; _files=$3; shift 3
    _rc=0
    # shellcheck disable=SC2086
    timeout 240 "$T37FAX" send "$@" "sip:9913170@127.0.0.1:$_p" $_files \
        > "$T/$_n.s.out" 2> "$T/$_n.s.err" || _rc=$?
    echo $_rc > "$T/$_n.s.rc"
}

# wait_answer NAME: until that answer process ends (bounded).
wait_answer() {
    eval "_pid=\$ANSWER_PID_$1"
    _i=0
    while kill -0 "$_pid" 2>/dev/null && [ $_i -lt 600 ]; do sleep 0.1; _i=$((_i + 1)); done
    kill -0 "$_pid" 2>/dev/null && fail "$1: answer did not end"
    _rc=0
    wait "$_pid" 2>/dev/null || _rc=$?
    echo $_rc > "$T/$1.a.rc"
}

# field FILE KEY: the value of KEY= in the first result line of FILE.
field() {
    sed -n 's/.* \('"$2"'\)=\([^ ]*\).*/\2/p' "$1" | head -n 1
}

# expect NAME SIDE KEY VALUE: a field of the result line of send (s) or answer (a).
expect() {
    _v=$(field "$T/$1.$2.out" "$3")
    if [ "$_v" != "$4" ]; then
        echo "--- $1.$2.out:"; cat "$T/$1.$2.out" 2>/dev/null
        echo "--- $1.$2.err:"; tail -n 20 "$T/$1.$2.err" 2>/dev/null
        fail "$1: $2 $3=$_v, expected $4"
    fi
}

# same_pages SENT.tif RECEIVED.tif: same page count, every row identical.
same_pages() {
    _a=$(tiffinfo "$1" 2>/dev/null | grep -c '^TIFF Directory')
    _b=$(tiffinfo "$2" 2>/dev/null | grep -c '^TIFF Directory')
    [ "$_a" = "$_b" ] || fail "$2 has $_b pages, sent $_a"
    _d=$(tiffcmp -t "$1" "$2" 2>&1 | grep -E '^(Scanline|Different)' | head -n 3)
    [ -z "$_d" ] || fail "$2 differs from $1: $_d"
}

# mailed_tiffs MAILDIR OUT: the one TIFF attachment of each mail in
# MAILDIR (Maildir files: X- lines first, then the message) into OUT.
mailed_tiffs() {
    python3 - "$1" "$2" <<'PY' || fail "cannot take the pages out of the mail"
import email, email.policy, os, sys
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for n in sorted(os.listdir(src)):
    lines = open(os.path.join(src, n), "rb").read().split(b"\n")
    k = 0
    while k < len(lines) and lines[k].startswith(b"X-"):
        k += 1
    msg = email.message_from_bytes(b"\n".join(lines[k:]), policy=email.policy.default)
    tif = [p for p in msg.walk() if p.get_content_type() == "image/tiff"]
    assert len(tif) == 1, "%s: %d TIFF parts" % (n, len(tif))
    open(os.path.join(out, n + ".tif"), "wb").write(tif[0].get_content())
PY
}

# received NAME: the one file the answer side wrote.
received() {
    ls "$T/$1.d"/*.tif 2>/dev/null | head -n 1
}

# exited NAME SIDE CODE: the exit code of send (s) or answer (a).
exited() {
    _c=$(cat "$T/$1.$2.rc" 2>/dev/null)
    if [ "$_c" != "$3" ]; then
        echo "--- $1.$2.err:"; tail -n 30 "$T/$1.$2.err" 2>/dev/null
        fail "$1: $2 exited $_c, expected $3"
    fi
}
