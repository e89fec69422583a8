#!/usr/bin/env bash
# make install and make uninstall (install issue, item 1): installed into a
# temporary DESTDIR, the binaries, man pages, example configuration and
# systemd unit are where PREFIX puts them, with their modes; the installed
# commands answer --version with the Makefile's VERSION, the installed pages
# carry it and are clean under mandoc; the installed seam-broker, on a store
# made by the installed seamctl from the installed example configuration,
# serves /healthz on a loopback port and stops cleanly; make uninstall then
# leaves no file behind. Another PREFIX moves everything, the unit's
# ExecStart too.
. "$(dirname "$0")/lib.sh"
# make install builds what is missing first: the same build as the tests run (make check: SANITIZE=1).
MKARGS=(BUILD="$BUILD")
[[ $BUILD == *-san ]] && MKARGS=(SANITIZE=1)
VERSION=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
DEST=$TMP/root
P=$DEST/usr/local

make -s -C "$ROOT" --no-print-directory install DESTDIR="$DEST" "${MKARGS[@]}" >"$TMP/install.out" 2>&1
check "make install DESTDIR=... succeeds" [ $? = 0 ]
mode() { stat -c %a "$1" 2>/dev/null; }
for f in sbin/seam-broker sbin/seamctl bin/seam-partner; do
    check "$f is installed, mode 755" [ "$(mode "$P/$f")" = 755 ]
done
for f in share/man/man8/seam-broker.8 share/man/man8/seamctl.8 share/man/man1/seam-partner.1 \
    share/man/man5/seam.json.5 share/seam/conf/seam.json share/seam/conf/examples/roaming.json \
    share/seam/conf/examples/condominium.json lib/systemd/system/seam-broker.service; do
    check "$f is installed, mode 644" [ "$(mode "$P/$f")" = 644 ]
done
if [ -f "$ROOT/${BUILD:-build}/web/index.html" ]; then
    check "the web pages are installed, mode 644 (share/seam/web)" [ "$(mode "$P/share/seam/web/index.html")" = 644 ]
    check "... with their assets" [ -n "$(ls "$P/share/seam/web/assets/" | grep '^portal\.[0-9a-f]*\.js$')" ]
    check "... uPlot among them, its licence beside it" \
        [ -n "$(ls "$P/share/seam/web/assets/" | grep '^uPlot\.[0-9a-f]*\.js$')" -a -f "$P/share/seam/web/assets/uPlot.LICENSE.txt" ]
fi
check "the example configuration is the repository's" cmp "$ROOT/conf/seam.json" "$P/share/seam/conf/seam.json"
check "the unit starts the installed broker" \
    grep -qx 'ExecStart=/usr/local/sbin/seam-broker -c /etc/seam/seam.json -d /var/lib/seam' \
    "$P/lib/systemd/system/seam-broker.service"
refute "no placeholder is left in the unit" grep -q '@[A-Z]*@' "$P/lib/systemd/system/seam-broker.service"
for c in sbin/seam-broker sbin/seamctl bin/seam-partner; do
    n=$(basename "$c")
    out=$("$P/$c" --version 2>&1)
    check "the installed $n --version says $n $VERSION ($out)" [ "${out%% (*}" = "$n $VERSION" ]
done
for m in "$P"/share/man/man*/*; do
    check "the installed $(basename "$m") is clean under mandoc -T lint" \
        bash -c "out=\$(mandoc -T lint -W warning '$m' 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
    check "... and names the version in its footer" grep -qx "\.Os seam $VERSION" "$m"
done

# The installed broker runs.
BROKER=$P/sbin/seam-broker
SEAMCTL=$P/sbin/seamctl
CONF=$P/share/seam/conf/seam.json
check "the installed seamctl initialises a data directory" ctl init
start_broker
check "the installed broker logs its version" grep -q "seam-broker $VERSION started" "$TMP/broker.$STARTS.log"
req GET /healthz ""
check "the installed broker serves /healthz" [ "$STATUS" = 200 -a "$(jbody .status)" = ok ]
LEAD=$(new_token lead ops)
req GET /v1/rules/check "$LEAD"
check "... and the lead's API on the installed example federation" [ "$STATUS" = 200 ]
stop_broker

make -s -C "$ROOT" --no-print-directory uninstall DESTDIR="$DEST" "${MKARGS[@]}" >"$TMP/uninstall.out" 2>&1
check "make uninstall succeeds" [ $? = 0 ]
left=$(find "$DEST" ! -type d | head -5)
check "make uninstall leaves no file${left:+ (left: $left)}" [ -z "$left" ]
check "... nor the share/seam directory" [ ! -e "$P/share/seam" ]

# Another PREFIX.
DEST2=$TMP/root2
make -s -C "$ROOT" --no-print-directory install DESTDIR="$DEST2" PREFIX=/opt/seam "${MKARGS[@]}" >"$TMP/install2.out" 2>&1
check "make install PREFIX=/opt/seam succeeds" [ $? = 0 ]
check "... with the broker in /opt/seam/sbin" [ -x "$DEST2/opt/seam/sbin/seam-broker" ]
check "... and the unit starting it there" \
    grep -q '^ExecStart=/opt/seam/sbin/seam-broker ' "$DEST2/opt/seam/lib/systemd/system/seam-broker.service"
check "... and saying where the example is" grep -q '/opt/seam/share/seam/conf/seam.json' \
    "$DEST2/opt/seam/lib/systemd/system/seam-broker.service"
make -s -C "$ROOT" --no-print-directory uninstall DESTDIR="$DEST2" PREFIX=/opt/seam "${MKARGS[@]}" >/dev/null 2>&1
left=$(find "$DEST2" ! -type d | head -5)
check "make uninstall PREFIX=/opt/seam leaves no file${left:+ (left: $left)}" [ -z "$left" ]
finish
