# Helpers for the onramp integration tests (sourced after lib.sh).
#
# The driver (tests/integration/onramp_driver.c) is the queue as the
# daemon's mail thread runs it: config, spool, resume, faxes handed over
# through onramp_mail() and mailq_add(), event loop until the queue is empty.

ONRAMP_PKGS="spandsp libtiff-4 libevent libevent_openssl libevent_pthreads gmime-3.0 libre openssl"
# fax/ renders text (Pango) and images (Leptonica); giflib has no .pc file.
ONRAMP_PKGS="$ONRAMP_PKGS pangocairo pangoft2 fontconfig cairo lept libpng libjpeg"
# The Makefile's other libraries: HTML (libxml2), call and job records (json-c).
ONRAMP_PKGS="$ONRAMP_PKGS libxml-2.0 json-c"
ONRAMP_LIBS="-lgif"

# Compiles the driver into $T/onramp_driver (against $BUILD/libt37.a).
onramp_build_driver() {
    nm "$BUILD/libt37.a" 2>/dev/null | grep -q ' T config_load$' \
        || skip "the config module is not in this build"
    _san=""
    [ -n "${T37_SANITIZED:-}" ] && _san="-fsanitize=address,undefined"
    # shellcheck disable=SC2046
    cc -std=gnu11 -O1 -g $_san -I"$SRCDIR" -D_GNU_SOURCE \
        -DHAVE_INTTYPES_H -DHAVE_STDBOOL_H -DHAVE_INET6 \
        $(pkg-config --cflags $ONRAMP_PKGS) -o "$T/onramp_driver" \
        "$SRCDIR/tests/integration/onramp_driver.c" "$BUILD/libt37.a" \
        $(pkg-config --libs $ONRAMP_PKGS) $ONRAMP_LIBS -ltiff -lm -lpthread \
        || fail "cannot build the onramp driver"
    "$T/onramp_driver" -m "$T/fax.tif" >/dev/null || fail "cannot make a test fax"
}

# onramp_conf FILE "mta send ... lines": a config with a spool in $T/spool,
# the 99131.. mmoip dial-peer (DSN success+failure, MDN), and the SMTP and
# SIP listeners on free loopback ports.
onramp_conf() {
    _f=$1; shift
    {
        echo "hostname gw1.example.com"
        echo "spool $T/spool"
        # the SMTP listener on a free port, not the default 25 that
        # another daemon on the machine may hold
        echo "mta receive listen 127.0.0.1 $(free_port)"
        echo "mta send postmaster postmaster@example.com"
        echo "mta send subject Incoming Fax"
        echo "mta send with-subject both"
        echo "mta send return-receipt-to fax-admin@example.com"
        printf '%s\n' "$@"
        echo "dial-peer voice 200 mmoip"
        echo " destination-pattern 99131.."
        echo " information-type fax"
        echo " session target mailto:fax-\$d\$@example.com"
        echo " dsn success"
        echo " dsn failure"
        echo " mdn"
        # nor the default SIP port 5060, which tests running side by
        # side would contend for, unless the test chose its own
        case "$*" in
        *"listen udp"*|*"listen tcp"*) ;;
        *) echo "sip"; echo " listen udp 127.0.0.1 $(free_port)" ;;
        esac
    } > "$_f"
}

# smtp_sink PORT DIR [OPTIONS...]: Postfix's smtp-sink on 127.0.0.1:PORT,
# one dump file per message under DIR; its pid is remembered for cleanup.
smtp_sink() {
    _port=$1 _dir=$2; shift 2
    mkdir -p "$_dir"
    _u=""
    # as root it must drop to nobody, who needs to reach DIR
    [ "$(id -u)" = 0 ] && { chmod 711 "$T"; chmod 777 "$_dir"; _u="-u nobody"; }
    # shellcheck disable=SC2086
    smtp-sink $_u "$@" -d "$_dir/%M." "127.0.0.1:$_port" 64 >"$_dir.log" 2>&1 &
    SINK_PID=$!
    t37_bg $SINK_PID
    wait_port "$_port" 10 || fail "smtp-sink did not start on $_port"
}

# count_files DIR: regular files in DIR (0 when missing).
count_files() { find "$1" -type f 2>/dev/null | wc -l; }
