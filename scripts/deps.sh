#!/bin/sh
# Installs the Debian packages seam needs to build, run and test, when any is
# missing. As root it runs apt-get; as anyone else it prints the exact line.
set -e
PKGS="build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev libjansson-dev \
liblmdb-dev libsodium-dev libssl-dev libmimalloc-dev libicu-dev libgnutls28-dev lmdb-utils openssl curl jq time tzdata clang libclang-rt-14-dev mandoc \
python3-aiosmtpd dovecot-imapd python3-nacl nodejs chromium fonts-dejavu-core \
libnats-dev nats-server iproute2"
[ -n "$SEAM_EXTRA_PKGS" ] && PKGS="$PKGS $SEAM_EXTRA_PKGS"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# npm: Debian's own package, unless the nodejs installed brings it (as some builds of it do).
command -v npm >/dev/null || missing="$missing npm"
# The npm packages of the web pages (web/package-lock.json: uPlot), into web/node_modules.
web_packages() {
    web=$(dirname "$0")/../web
    if [ ! -d "$web/node_modules" ] || [ "$web/package-lock.json" -nt "$web/node_modules" ]; then
        (cd "$web" && npm ci --no-audit --no-fund --loglevel=error) && touch "$web/node_modules"
    fi
}
[ -z "$missing" ] && { web_packages; exit 0; }
if [ "$(id -u)" != 0 ]; then
    echo "seam needs these Debian packages; run as root:" >&2
    echo "  apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
web_packages
