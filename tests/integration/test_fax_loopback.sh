#!/bin/sh
# t37fax loopback as a user runs it: a two-page 300-dpi letter scan made
# by ghostscript goes through audio (V.17, V.29, V.27ter, with and without
# ECM) and T.38, arrives as two 1728-wide fine pages in Profile S, and the
# result line and exit codes follow t37fax(1).
. "$(dirname "$0")/lib.sh"
command -v gs >/dev/null || { echo "ghostscript not installed"; exit 77; }

gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg4 -r300 -sPAPERSIZE=letter \
   -sOutputFile="$T/scan.tif" \
   -c '/Helvetica findfont 28 scalefont setfont 72 700 moveto (page one) show
       showpage 72 700 moveto (page two) show showpage'

for args in "" "--t38" "--no-ecm" "--modem v29" "--modem v27ter --no-ecm" \
            "--t38 --no-ecm --modem v29"; do
    # shellcheck disable=SC2086
    line=$("$BUILD/t37fax" loopback $args "$T/scan.tif" "$T/out.tif")
    echo "$args: $line"
    case $line in
    "result=ok pages=2 rate="*" sent=2 of=2") ;;
    *) echo "unexpected result line for '$args'"; exit 1 ;;
    esac
    case $args in *--t38*) echo "$line" | grep -q ' t38=1 ' ;;
                  *) echo "$line" | grep -q ' t38=0 ' ;; esac
    case $args in *--no-ecm*) echo "$line" | grep -q ' ecm=0 ' ;;
                  *) echo "$line" | grep -q ' ecm=1 ' ;; esac
    tiffinfo "$T/out.tif" > "$T/info" 2>&1
    [ "$(grep -c 'Image Width: 1728 Image Length: 214[0-9]' "$T/info")" = 2 ]
    [ "$(grep -c 'Resolution: 204, 196 pixels/inch' "$T/info")" = 2 ]
    [ "$(grep -c 'Compression Scheme: CCITT Group 3' "$T/info")" = 2 ]
    [ "$(grep -c 'FillOrder: lsb-to-msb' "$T/info")" = 2 ]
done

# Refused input: exit 1 with the reason; bad usage: exit 2.
echo "not a fax" > "$T/note.txt"
rc=0; "$BUILD/t37fax" loopback "$T/note.txt" "$T/o.tif" 2> "$T/err" || rc=$?
[ "$rc" = 1 ] && grep -q 'not a TIFF file' "$T/err"
rc=0; "$BUILD/t37fax" loopback --modem v34 "$T/scan.tif" "$T/o.tif" 2>/dev/null || rc=$?
[ "$rc" = 2 ]
rc=0; "$BUILD/t37fax" loopback "$T/scan.tif" 2>/dev/null || rc=$?
[ "$rc" = 2 ]
echo "loopback ok"
