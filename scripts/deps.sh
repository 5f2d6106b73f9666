#!/bin/sh
# Install the Debian 12 packages t37gw needs to build, test and run its demo.
# Idempotent: when every package is already installed it does nothing and
# returns at once. Needs root (or sudo) only when something is missing.
set -e
PKGS="build-essential pkg-config libspandsp-dev libtiff-dev libtiff-tools \
libevent-dev libssl-dev libgmime-3.0-dev libre-dev check ghostscript swaks \
postfix python3 clang-14 libclang-rt-14-dev openssl procps iproute2 kamailio \
gnutls-bin"
# Text pages (Pango, Cairo, fontconfig, its cache builder and the fonts
# t37gw documents), images (Leptonica, libpng, libjpeg, giflib), and
# poppler's pdfinfo and pdfimages for the PDF tests.
PKGS="$PKGS libpango1.0-dev libcairo2-dev libfontconfig-dev fonts-dejavu-core \
fonts-noto-cjk fontconfig libleptonica-dev libpng-dev libjpeg-dev libgif-dev \
poppler-utils"
# HTML mail (libxml2's HTML parser); office documents through LibreOffice
# (an optional runtime dependency of the gateway, installed here so that
# its tests run), and pango-view for reference renderings in the tests.
PKGS="$PKGS libxml2-dev libreoffice-writer-nogui libreoffice-calc-nogui \
libreoffice-impress-nogui pango1.0-tools"
# Call and job records (JSON lines through json-c).
PKGS="$PKGS libjson-c-dev"
# promtool (package prometheus) checks the /metrics exposition in the tests;
# strace shows which thread makes which system call (no disk I/O on a line
# thread).
PKGS="$PKGS prometheus strace"
missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in *" installed") ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# Postfix must not ask questions nor become the machine's MTA: the tests run
# private instances of their own.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
# Kamailio is only a test peer (private instances on loopback): the
# package's system service must not hold port 5060.
case "$missing" in
*kamailio*) $SUDO systemctl disable --now kamailio >/dev/null 2>&1 || true ;;
esac
