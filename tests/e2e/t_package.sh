#!/usr/bin/env bash
# The Debian package (issue 21, item 4): dpkg-buildpackage -us -uc -b builds
# it from a copy of this tree with nothing but Debian's packages; dpkg-deb -c
# lists exactly the daemon, the tools, the man pages, the examples, the unit
# and the package's docs; it depends on adduser and the libraries it links;
# lintian reports no error; its maintainer scripts create the user and the
# directories at configure only and remove the data only at purge; the
# unpacked binaries answer --version and check the packaged example.
# (Installing it for real needs a chroot of Debian 12, which a test cannot
# make without the network: the unpacked tree stands in for it.)
# It takes a minute or two (a full optimised build), so make test skips it
# unless SEAM_PACKAGE=1: make deb-check runs it.
. "$(dirname "$0")/lib.sh"
skip() { T_N=$((T_N + 1)); echo "ok $T_N - # SKIP $1"; }
if [ "${SEAM_PACKAGE:-}" != 1 ]; then
    skip "the package build takes minutes: make deb-check runs it (SEAM_PACKAGE=1)"
    finish
fi
VERSION=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
need=""
for p in debhelper lintian fakeroot dpkg-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ] && [ "$(id -u)" = 0 ]; then
    flock -w 600 /tmp/seam-tests-apt.lock sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends$need" \
        >"$TMP/apt.log" 2>&1
fi
check "debhelper and lintian are installed" bash -c "command -v dh && command -v lintian"

# A copy of the tree as git has it (tracked and new files, nothing ignored).
SRC=$TMP/src/seam
mkdir -p "$SRC"
(cd "$ROOT" && git ls-files -co --exclude-standard | tar -cf - -T -) | tar -xf - -C "$SRC"
(cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1
check "dpkg-buildpackage -us -uc -b builds it" bash -c "[ $? = 0 ] || { tail -30 '$TMP/build.log'; false; }"
DEB=$(ls "$TMP"/src/seam_"$VERSION"_*.deb 2>/dev/null | head -1)
check "the package is seam_${VERSION}_ARCH.deb" [ -n "$DEB" ]

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./||; /\/$/d; /^$/d' | sort >"$TMP/files"
cat >"$TMP/want" <<LIST
lib/systemd/system/seam-broker.service
usr/bin/seam-partner
usr/sbin/seam-broker
usr/sbin/seamctl
usr/share/doc/seam/changelog.gz
usr/share/doc/seam/copyright
usr/share/man/man1/seam-partner.1.gz
usr/share/man/man5/seam.json.5.gz
usr/share/man/man8/seam-broker.8.gz
usr/share/man/man8/seamctl.8.gz
$(cd "$ROOT" && ls conf/seam.json conf/examples/*.json | sed 's|^|usr/share/seam/|')
$(cd "$ROOT/$BUILD/web" && find . -type f | sed 's|^\./|usr/share/seam/web/|')
LIST
sort -o "$TMP/want" "$TMP/want"
check "dpkg-deb -c lists exactly what it should" diff "$TMP/want" "$TMP/files"
dpkg-deb -I "$DEB" >"$TMP/info"
check "it depends on adduser and the libraries it links" \
    bash -c "grep -q '^ Depends: adduser, .*libmicrohttpd12.*libsodium23' '$TMP/info'"
check "the binaries are mode 0755" [ "$(dpkg-deb -c "$DEB" | awk '$6 ~ /usr\/s?bin\/[^\/]+$/ { print $1 }' | sort -u)" = -rwxr-xr-x ]

lintian --fail-on error "$TMP"/src/seam_"$VERSION"_*.changes >"$TMP/lintian.out" 2>&1
check "lintian reports no error" bash -c "[ $? = 0 ] || { cat '$TMP/lintian.out'; false; }"
check "... nor a warning" bash -c "! grep -q '^[EW]:' '$TMP/lintian.out' || { cat '$TMP/lintian.out'; false; }"

mkdir -p "$TMP/ctl" "$TMP/root"
dpkg-deb -e "$DEB" "$TMP/ctl"
dpkg-deb -x "$DEB" "$TMP/root"
for s in postinst postrm prerm; do check "$s is valid sh" sh -n "$TMP/ctl/$s"; done
check "postinst makes the seam user and its directories at configure" \
    bash -c "grep -q 'adduser --system --group --home /var/lib/seam' '$TMP/ctl/postinst' &&
             grep -q 'install -d -o seam -g seam -m 0700 /var/lib/seam' '$TMP/ctl/postinst'"
check "postrm removes the data directory at purge only" \
    bash -c "awk '/\"\\\$1\" = purge/ { p = 1 } /rm -rf \\/var\\/lib\\/seam/ { print p; exit }' '$TMP/ctl/postrm' | grep -qx 1"
# dh_installsystemd --no-enable: the enable step runs only for a unit installed (and enabled) before.
check "the unit is not enabled by a first installation" awk '
    /deb-systemd-helper debian-installed .seam-broker.service/ { d = 1 }
    /deb-systemd-helper enable/ && !d { bad = 1 } END { exit !(d && !bad) }' "$TMP/ctl/postinst"
R=$TMP/root
check "the packaged broker answers --version $VERSION" bash -c "'$R/usr/sbin/seam-broker' --version | grep -q ' $VERSION '"
check "the packaged seamctl and seam-partner answer --version" \
    bash -c "'$R/usr/sbin/seamctl' --version && '$R/usr/bin/seam-partner' --version"
check "the packaged broker checks the packaged example" \
    "$R/usr/sbin/seam-broker" -c "$R/usr/share/seam/conf/seam.json" -n
check "the unit runs the packaged broker" grep -q '^ExecStart=/usr/sbin/seam-broker ' "$R/lib/systemd/system/seam-broker.service"
check "the man pages are mandoc-clean" bash -c "zcat '$R'/usr/share/man/man*/*.gz >/dev/null &&
    for m in '$R'/usr/share/man/man*/*.gz; do zcat \"\$m\" | mandoc -T lint -W warning || exit 1; done"
finish
