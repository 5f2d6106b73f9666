#!/bin/sh
# t37-test: long
# The fax as PDF through the whole onramp: `t37fax send` calls t37gw over
# SIP on loopback; with `mta send attachment both` and `mta send preview`
# the mail carries the summary with an HTML preview of page 1, the TIFF and
# the PDF; after a reload to `mta send attachment pdf`, a standard-
# resolution fax arrives as PDF alone. Each message is checked with
# Python's email module, its PDF with poppler (pages, page sizes, image
# resolution, and with `both` the PDF's images decoded against the TIFF).
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
. tests/integration/sip_lib.sh
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
command -v pdfimages >/dev/null || skip "pdfimages (poppler-utils) not installed"
command -v tiffcp >/dev/null || skip "tiffcp (libtiff-tools) not installed"

make_page "$T/p1.tif" "PDF page one"
make_page "$T/p2.tif" "PDF page two"
# a standard-resolution page for the second call
cp "$T/page.ps" "$T/std.ps"
gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x98 -sPAPERSIZE=a4 \
    -sOutputFile="$T/std.tif" "$T/std.ps" || fail "gs could not make std.tif"
sport=$(free_port); mport=$(free_port); lport=$(free_port)
smtp_sink "$mport" "$T/sink"
conf() {
    onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $mport" \
        "mta receive listen 127.0.0.1 $lport" \
        "sip" " listen udp 127.0.0.1 $sport" "$@"
    if [ "$(id -u)" = 0 ]; then
        echo "user nobody" >> "$T/gw.conf"; chmod 711 "$T"; chmod 644 "$T/gw.conf"
        mkdir -p "$T/spool"; chown nobody "$T/spool"
    fi
}
conf "mta send attachment both" "mta send preview"
"$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
gw=$!; t37_bg $gw
wait_for 10 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }

send() {
    rc=0
    timeout 240 "$BUILD/t37fax" send --from 9194724118 --ident "+1 919 472 4118" \
        "sip:9913170@127.0.0.1:$sport" "$@" > "$T/send.out" 2> "$T/send.err" || rc=$?
    cat "$T/send.out"
    [ "$rc" -eq 0 ] || { cat "$T/send.err" "$T/gw.log"; fail "t37fax send failed ($rc)"; }
}

send "$T/p1.tif" "$T/p2.tif"
wait_for 30 grep -q 'status=sent dsn=2.0.0' "$T/gw.log" || { cat "$T/gw.log"; fail "fax not mailed"; }
grep -q 'dir=onramp .* attach=both preview=1 result=queued' "$T/gw.log" \
    || { cat "$T/gw.log"; fail "no queued line with attach=both preview=1"; }
[ "$(count_files "$T/sink")" -eq 1 ] || fail "want one message at the sink"
python3 tests/integration/onramp_pdf_check.py "$(find "$T/sink" -type f)" 2 196 both \
    --preview --sink || fail "message check (both, preview)"

# Reload: PDF only, no preview; a standard page.
conf "mta send attachment pdf"
kill -HUP "$gw"
wait_for 10 grep -q 'event=reload result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "no reload"; }
first=$(find "$T/sink" -type f)
send "$T/std.tif"
wait_for 30 sh -c "[ \$(grep -c 'status=sent dsn=2.0.0' '$T/gw.log') -ge 2 ]" \
    || { cat "$T/gw.log"; fail "second fax not mailed"; }
grep -q 'dir=onramp .* attach=pdf result=queued' "$T/gw.log" || fail "no attach=pdf line"
second=$(find "$T/sink" -type f ! -path "$first")
[ -n "$second" ] || fail "no second message"
python3 tests/integration/onramp_pdf_check.py "$second" 1 98 pdf --sink \
    || fail "message check (pdf)"
cat "$T/gw.log"
echo "fax call -> mail with PDF: ok"
