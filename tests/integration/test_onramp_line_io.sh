#!/bin/sh
# No disk I/O on the line thread: t37gw runs under strace while it
# receives a two-page fax over G.711 and mails it. The thread that clocks
# the media (named t37-line), and the media threads that run the calls'
# frames beside it (t37-media1 and up), must not open, create, sync, cut,
# rename or remove a file (opening something under /proc, which no disk
# holds, is allowed): spandsp writes the pages into a memory file (opened as
# /proc/self/fd/N), and the page copier (t37-rxcopy)
# writes them to the spool job. The trace must show the copier doing it
# (else the trace saw nothing and proves nothing), and the fax must arrive
# whole. The calls' RTP is read by the frames (recvmmsg on the media
# threads or the line thread as one of them), not by libre's poll loop:
# the line thread's own reads (recvfrom) are SIP and RTCP, a few dozen,
# while the call brings well over a thousand RTP packets.
. tests/integration/lib.sh
. tests/integration/onramp_lib.sh
. tests/integration/sip_lib.sh
command -v strace >/dev/null || skip "strace not installed"
command -v smtp-sink >/dev/null || skip "smtp-sink not installed"
strace -f -o /dev/null true 2>/dev/null || skip "ptrace is not permitted here"

make_page "$T/p1.tif" "Line thread page one"
make_page "$T/p2.tif" "Line thread page two"
sport=$(free_port); mport=$(free_port)
smtp_sink "$mport" "$T/sink"
onramp_conf "$T/gw.conf" "mta send server 127.0.0.1 port $mport" \
    "sip" " listen udp 127.0.0.1 $sport" " t38 off"
calls="openat,open,creat,fsync,fdatasync,syncfs,sync_file_range,ftruncate,truncate"
calls="$calls,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,link,linkat"
calls="$calls,recvfrom,recvmmsg"
strace -f -qq --seccomp-bpf -e trace="$calls" -o "$T/trace" \
    "$BUILD/t37gw" -c "$T/gw.conf" 2> "$T/gw.log" &
st=$!; t37_bg $st
wait_for 20 grep -q 'event=start result=ok' "$T/gw.log" || { cat "$T/gw.log"; fail "t37gw did not start"; }
gw=$(pgrep -P "$st" | head -n 1)
[ -n "$gw" ] || fail "no t37gw under strace"
# The daemon's threads by name (the line thread names itself at its start).
line="" copier="" media=""
for d in /proc/"$gw"/task/*; do
    case "$(cat "$d/comm" 2>/dev/null)" in
    t37-line) line="$line ${d##*/}" ;;
    t37-media*) media="$media ${d##*/}" ;;
    t37-rxcopy) copier="$copier ${d##*/}" ;;
    esac
done
[ -n "$line" ] || fail "no thread named t37-line in t37gw"
[ -n "$copier" ] || fail "no thread named t37-rxcopy in t37gw"

rc=0
timeout 240 "$BUILD/t37fax" send --g711 --from 9194724118 --ident "+1 919 472 4118" \
    "sip:9913170@127.0.0.1:$sport" "$T/p1.tif" "$T/p2.tif" > "$T/send.out" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || { cat "$T/send.out" "$T/gw.log"; fail "t37fax send failed ($rc)"; }
wait_for 60 grep -q 'status=sent dsn=2.0.0' "$T/gw.log" || { cat "$T/gw.log"; fail "fax not mailed"; }
kill -TERM "$gw"
wait "$st" 2>/dev/null || true
python3 tests/integration/onramp_check.py "$(find "$T/sink" -type f | head -n 1)" 2 --sink --dsn \
    || fail "the mailed fax"

bad=0
for tid in $line $media; do
    # strace -f: "TID name(args) = result"
    if grep -E "^$tid +[a-z_0-9]+\(" "$T/trace" | grep -vE '^[0-9]+ +open(at)?\((AT_FDCWD, )?"/proc/' \
        | grep -vE '^[0-9]+ +recv(from|mmsg)\(' > "$T/line.calls"; then
        echo "the line or media thread $tid:"; cat "$T/line.calls"; bad=1
    fi
done
for tid in $line; do
    grep -qE "^$tid +open(at)?\(.*\"/proc/self/fd/[0-9]+\"" "$T/trace" ||
        fail "the line thread $tid never opened its memory file (the trace is blind?)"
done
[ "$bad" -eq 0 ] || fail "the line thread or a media thread made file system calls"
stored=$(sed -n 's/.* rtp stored=\([0-9]*\) .*/\1/p' "$T/gw.log" | head -n 1)
[ "${stored:-0}" -ge 1000 ] || { grep 'rtp stored' "$T/gw.log"; fail "the call's RTP was not stored"; }
frames=0 polled=0
for tid in $line $media; do
    n=$(grep -cE "^$tid +recvmmsg\(" "$T/trace" || true)
    frames=$((frames + n))
done
for tid in $line; do
    n=$(grep -cE "^$tid +recvfrom\(" "$T/trace" || true)
    polled=$((polled + n))
done
# About one read a frame; a frame after a stall reads several packets.
[ "$frames" -ge $((stored / 2)) ] || fail "the frames read RTP $frames times for $stored packets"
[ "$polled" -lt 100 ] || fail "the line thread's poll loop read $polled datagrams ($stored RTP packets)"
echo "RTP: $stored packets read by the frames ($frames recvmmsg); the line's poll loop read $polled datagrams"
seen=0
for tid in $copier; do
    grep -qE "^$tid +openat\(.*/incoming/.*fax\.tif\"" "$T/trace" && seen=1
done
[ "$seen" -eq 1 ] || { grep fax.tif "$T/trace"; fail "the copier did not write the pages to the spool"; }
echo "line thread and media threads ($(echo $media | wc -w)): no file system calls; pages copied by t37-rxcopy: ok"
