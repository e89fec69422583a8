#!/usr/bin/env bash
# The manual pages (man/) and the commands' own help (install issue, item 2):
# every page is clean under mandoc -T lint; each command (seam-broker,
# seamctl and each of its commands, seam-partner) exits 0 on --help and
# answers --version with the Makefile's VERSION; the options each --help
# lists are exactly those its page documents (and seamctl's commands too);
# seam.json(5) documents every key the configuration loader knows
# (broker/config.c's tables of keys and settings, the vocabularies of
# broker/fact.c, the weekdays and priorities) and no key it does not.
. "$(dirname "$0")/lib.sh"
PARTNER=$ROOT/$BUILD/seam-partner
MAN=$ROOT/man
VERSION=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")

if ! command -v mandoc >/dev/null; then
    echo "Bail out! mandoc is not installed (scripts/deps.sh installs it)"
    exit 1
fi
for page in "$MAN"/*.[1-8]; do
    name=$(basename "$page")
    check "mandoc -T lint: $name is clean" bash -c "out=\$(mandoc -T lint -W warning '$page' 2>&1); echo \"\$out\"; [ -z \"\$out\" ]"
    sect=${name##*.}
    check "$name: its .Dt names section $sect" grep -q "^\.Dt [A-Z.-]* $sect\$" "$page"
done
for p in seam-broker.8 seamctl.8 seam-partner.1 seam.json.5; do
    check "man/$p exists" [ -f "$MAN/$p" ]
done
refute "no seamctl page left in section 1" [ -e "$MAN/seamctl.1" ]

# --help and --version.
for cmd in "$BROKER" "$SEAMCTL" "$PARTNER"; do
    n=$(basename "$cmd")
    "$cmd" --help >"$TMP/help.$n" 2>"$TMP/help.err"
    check "$n --help exits 0 with the usage on stdout" [ $? = 0 -a -s "$TMP/help.$n" ]
    out=$("$cmd" --version 2>&1)
    rc=$?
    check "$n --version exits 0 and says '$n $VERSION' (said: $out)" \
        [ "$rc" = 0 -a "${out%% (*}" = "$n $VERSION" ]
done
check "seam-broker -h and -V as well" bash -c "'$BROKER' -h >/dev/null && '$BROKER' -V >/dev/null"
check "seamctl -h and -V as well" bash -c "'$SEAMCTL' -h >/dev/null && '$SEAMCTL' -V >/dev/null"

# The options a text lists: -x and --word after a space, a bracket, a bar,
# a parenthesis or a comma.
help_opts() { grep -oE '(^|[][ (|,])--?[A-Za-z][A-Za-z0-9-]*' "$@" | sed -E 's/^[][ (|,]//' | sort -u; }
# The options a page documents: every argument of an Fl macro (".Fl -name" is --name).
man_opts() {
    awk '/^\./ { for (i = 1; i < NF; i++) if ($i == "Fl" || $i == ".Fl") {
             a = $(i + 1); if (a ~ /^-?[A-Za-z]/) print "-" a } }' "$1" | sort -u
}
compare() { # name help-file page
    diff <(help_opts "$2") <(man_opts "$3") >"$TMP/diff" 2>&1
    local rc=$?
    if [ $rc = 0 ]; then ok 0 "$1: --help and the page list the same options ($(help_opts "$2" | tr '\n' ' '))"; else
        ok 1 "$1: --help (<) and the page (>) list other options"; sed 's/^/# /' "$TMP/diff"; fi
}
compare seam-broker "$TMP/help.seam-broker" "$MAN/seam-broker.8"
compare seam-partner "$TMP/help.seam-partner" "$MAN/seam-partner.1"
# seamctl: its own --help and every command's.
cmds=$(sed -n '/^commands:/,/^[^ ]/p' "$TMP/help.seamctl" | awk '/^  [a-z]/ { print $1 }' | sort -u)
check "seamctl --help lists its commands" [ "$(echo "$cmds" | wc -l)" -ge 10 ]
cp "$TMP/help.seamctl" "$TMP/help.seamctl.all"
for c in $cmds; do
    "$SEAMCTL" "$c" --help >"$TMP/help.c" 2>&1
    check "seamctl $c --help exits 0" [ $? = 0 -a -s "$TMP/help.c" ]
    cat "$TMP/help.c" >>"$TMP/help.seamctl.all"
done
compare "seamctl and its commands" "$TMP/help.seamctl.all" "$MAN/seamctl.8"
page_cmds=$(awk '$1 == ".It" && $2 == "Cm" { print $3 }' "$MAN/seamctl.8" | sort -u)
check "seamctl's page has an entry for each command of its --help" [ "$cmds" = "$page_cmds" ]

# seam.json(5): the keys.
src_keys() {
    {
        grep -oE '\{"[$a-z_0-9]+", T_[A-Z_]+' "$ROOT/broker/config.c" | sed -E 's/^\{"([^"]+)".*/\1/'
        grep -oE '\{CONFIG_[A-Z_]+, "[a-z_0-9]+"' "$ROOT/broker/config.c" | sed -E 's/.*"([^"]+)"$/\1/'
        grep -oE 'FACT_VOCAB_LIST, "[a-z_]+"' "$ROOT/broker/fact.c" | sed -E 's/.*"([^"]+)"$/\1/'
        grep -oE 'day_names\[7\] = \{[^}]*\}' "$ROOT/broker/config.c" | grep -oE '"[a-z]+"' | tr -d '"'
        grep -oE 'priority_names\[PRIO_COUNT\] = \{[^}]*\}' "$ROOT/broker/config.c" | grep -oE '"[a-z]+"' | tr -d '"'
    } | sort -u
}
# The words a page marks as keys: the arguments of Ic (up to the next macro).
page_keys() {
    awk '/^\./ { on = 0; for (i = 1; i <= NF; i++) {
             w = $i; sub(/^\./, "", w)
             if (w == "Ic") { on = 1; continue }
             if (w ~ /^[A-Z][a-z][a-z]?$/) { on = 0; continue }
             if (on && $i ~ /^[$a-z_0-9]+$/) print $i } }' "$1" | sort -u
}
item_keys() { awk '$1 == ".It" && $2 == "Ic" { print $3 }' "$1" | sort -u; }
src_keys >"$TMP/src.keys"
page_keys "$MAN/seam.json.5" >"$TMP/page.keys"
item_keys "$MAN/seam.json.5" >"$TMP/item.keys"
check "the loader knows many keys ($(wc -l <"$TMP/src.keys"))" [ "$(wc -l <"$TMP/src.keys")" -ge 80 ]
missing=$(comm -23 "$TMP/src.keys" "$TMP/page.keys" | tr '\n' ' ')
check "seam.json(5) documents every key of broker/config.c${missing:+ (missing: $missing)}" [ -z "$missing" ]
stale=$(comm -13 "$TMP/src.keys" "$TMP/item.keys" | tr '\n' ' ')
check "seam.json(5) has no entry for a key the loader does not know${stale:+ (stale: $stale)}" [ -z "$stale" ]
# Each entry gives its type and default, and an example.
check "each entry of seam.json(5) gives type and default, then an example" awk '
    $1 == ".It" && $2 == "Ic" { if (n && !(t && e)) { print "incomplete: " k; bad = 1 } k = $3; n = 1; t = 0; e = 0; next }
    n && /^\(.*; .*\)$/ { t = 1 }
    n && /^\.Ql / { e = 1 }
    END { if (n && !(t && e)) { print "incomplete: " k; bad = 1 } exit bad }' "$MAN/seam.json.5"
finish
