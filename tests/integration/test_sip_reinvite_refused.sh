#!/bin/sh
# The answering side refuses the sender's T.38 re-INVITE with 488, 415, 501
# or 606, or never answers it, all at once. A refusal is acted on when the
# response arrives (logged with its status; the 5 s re-INVITE timer never
# fires); only the unanswered one falls back by the timer. Every call then
# completes on G.711 with pixel-identical pages, and its call line says
# which status refused T.38.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sip_lib.sh"

make_page "$T/p1.tif" "Refused T.38 page"
# An unanswered re-INVITE ends the dialog when its transaction times out
# (32 s, RFC 3261 12.2.1.2, done by libre): that call sends a short page,
# which is through long before.
cat > "$T/short.ps" <<PS
%!PS
/Helvetica findfont 30 scalefont setfont 72 740 moveto (A short page) show showpage
PS
gs -q -dNOPAUSE -dBATCH -sDEVICE=tiffg3 -r204x196 -sPAPERSIZE=a4 \
    -sOutputFile="$T/short.tif" "$T/short.ps" || fail "gs could not make the short page"
for st in 488 415 501 606 none; do
    eval "port_$st=$(free_port)"
    eval "start_answer r$st \$port_$st --count 1 --t38-refuse $st"
done
sleep 0.3
pids=""
for st in 488 415 501 606 none; do
    doc="$T/p1.tif"
    [ "$st" = none ] && doc="$T/short.tif"
    eval "run_send r$st \$port_$st \"$doc\" --t38 &"
    pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
for st in 488 415 501 606 none; do
    wait_answer r$st
    cat "$T/r$st.s.out" "$T/r$st.a.out"
    exited r$st s 0
    exited r$st a 0
    expect r$st s result ok
    expect r$st s t38 0
    expect r$st a result ok
    if [ "$st" = none ]; then same_pages "$T/short.tif" "$(received r$st)"
    else same_pages "$T/p1.tif" "$(received r$st)"; fi
    grep -q 't38 re-INVITE sent' "$T/r$st.s.err" || fail "$st: no re-INVITE was tried"
    if [ "$st" = none ]; then
        grep -q 't38 re-INVITE ignored (test peer)' "$T/r$st.a.err" || fail "none: not ignored"
        grep -q 't38 re-INVITE unanswered after 5000 ms: staying on g711' "$T/r$st.s.err" \
            || fail "none: the timer did not fall back"
        grep -q 'dir=offramp .* t38_refused=unanswered ' "$T/r$st.s.err" \
            || fail "none: the call line does not say so"
    else
        grep -q "t38 re-INVITE refused with $st (test peer)" "$T/r$st.a.err" \
            || fail "$st: the answering side did not refuse"
        grep -q "t38 re-INVITE refused: $st .*: staying on g711" "$T/r$st.s.err" \
            || { cat "$T/r$st.s.err"; fail "$st: the refusal was not acted on"; }
        ! grep -q 're-INVITE unanswered' "$T/r$st.s.err" \
            || fail "$st: the fallback waited for the timer"
        grep -q "dir=offramp .* t38_refused=$st " "$T/r$st.s.err" \
            || fail "$st: the call line does not say which status refused T.38"
    fi
done
echo "refused re-INVITEs: ok"
