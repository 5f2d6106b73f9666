#!/bin/sh
# `make install DESTDIR=... PREFIX=...` puts every file where it belongs:
# binaries, each man page present in docs/, the example config (docs and
# /etc copy), the Kamailio example, and the systemd unit with its paths
# substituted.
. "$(dirname "$0")/lib.sh"
command -v make > /dev/null || skip "make not installed"

check_tree() {   # check_tree DESTDIR PREFIX
    d=$1 p=$2
    [ -x "$d$p/sbin/t37gw" ] || fail "$p/sbin/t37gw missing"
    [ -x "$d$p/bin/t37fax" ] || fail "$p/bin/t37fax missing"
    [ -x "$d$p/sbin/t37gwctl" ] || fail "$p/sbin/t37gwctl missing"
    "$d$p/sbin/t37gw" -V | grep -q '^t37gw ' || fail "installed t37gw -V"
    for m in "$SRCDIR"/docs/*.[158]; do
        [ -f "$m" ] || continue
        s=${m##*.}
        cmp -s "$m" "$d$p/share/man/man$s/$(basename "$m")" || fail "man page $(basename "$m") not installed"
    done
    if [ -f "$SRCDIR/contrib/t37gw.conf.example" ]; then
        [ -f "$d$p/share/doc/t37gw/t37gw.conf.example" ] || fail "example not in doc dir"
        [ -f "$d/etc/t37gw/t37gw.conf" ] || fail "no /etc/t37gw/t37gw.conf"
    fi
    for k in t37gw-dispatch.cfg t37gw-gateways.list; do
        cmp -s "$SRCDIR/contrib/kamailio/$k" "$d$p/share/doc/t37gw/kamailio/$k" ||
            fail "contrib/kamailio/$k not in the doc dir"
    done
    u="$d$p/lib/systemd/system/t37gw.service"
    [ -f "$u" ] || fail "unit not installed"
    grep -q '@' "$u" && grep -n '@[A-Z]*@' "$u" && fail "unsubstituted @VAR@ in the unit"
    grep -qx "ExecStart=$p/sbin/t37gw -c /etc/t37gw/t37gw.conf" "$u" || fail "ExecStart wrong in $u"
    grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$u" || fail "ExecReload wrong"
    for k in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
             Restart=on-failure 'ReadWritePaths=-/var/spool/t37gw'; do
        grep -qx "$k" "$u" || fail "unit lacks $k"
    done
    grep -q '^CapabilityBoundingSet=CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID' "$u" || fail "capabilities"
    grep -q '^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX$' "$u" || fail "address families"
}

make -s -C "$SRCDIR" install BUILD="$BUILD" DESTDIR="$T/a" PREFIX=/usr > "$T/a.log" 2>&1 ||
    { cat "$T/a.log"; fail "make install PREFIX=/usr"; }
check_tree "$T/a" /usr
echo "ok: PREFIX=/usr"

# An edited config is never overwritten by a later install.
if [ -f "$T/a/etc/t37gw/t37gw.conf" ]; then
    echo "! local edit" >> "$T/a/etc/t37gw/t37gw.conf"
    make -s -C "$SRCDIR" install BUILD="$BUILD" DESTDIR="$T/a" PREFIX=/usr > /dev/null 2>&1
    grep -q 'local edit' "$T/a/etc/t37gw/t37gw.conf" || fail "install overwrote the config"
fi

make -s -C "$SRCDIR" install BUILD="$BUILD" DESTDIR="$T/b" PREFIX=/usr/local > "$T/b.log" 2>&1 ||
    { cat "$T/b.log"; fail "make install PREFIX=/usr/local"; }
check_tree "$T/b" /usr/local
echo "ok: PREFIX=/usr/local"

# The unit passes systemd's own checker (ignoring that the installed binary
# and man pages live under DESTDIR, not /).
if command -v systemd-analyze > /dev/null; then
    sed "s|/usr/sbin/t37gw|$T/a/usr/sbin/t37gw|g" "$T/a/usr/lib/systemd/system/t37gw.service" \
        > "$T/t37gw.service"
    systemd-analyze verify "$T/t37gw.service" > "$T/verify.log" 2>&1 || true
    if grep -v "Command 'man " "$T/verify.log" | grep -q .; then
        cat "$T/verify.log"; fail "systemd-analyze verify complains"
    fi
    echo "ok: systemd-analyze verify"
fi
