#!/usr/bin/env bash
# The store's format version (item 7 of the install issue): seamctl init
# records this build's format in a new store; a store of a newer format
# (written here with mdb_load, as a newer broker would leave it) is refused
# by the broker and by seamctl with a message that names both formats, a
# non-zero exit, and nothing changed; a store whose format is older (the
# record "format" set back to 1, or absent as before the record existed)
# is migrated at start and keeps its tickets, which still verify. (A store
# with no format record at all, as the broker before it wrote, is
# t_migrate's: a real store of that broker.)
. "$(dirname "$0")/lib.sh"

FORMAT=$("$BROKER" --version | sed -n 's/.*(store format \([0-9]*\)).*/\1/p')
check "seam-broker --version names the store format it writes ($FORMAT)" [ -n "$FORMAT" ]
check "seamctl --version names the same" grep -q "(store format $FORMAT)" <("$SEAMCTL" --version)
format() { mdb_dump -p -s meta "$DATA" | grep -A1 '^ format$' | tail -1 | tr -d ' '; }
set_format() { printf 'format\n%s\n' "$1" | mdb_load -T -s meta "$DATA"; }

init_store
check "a new store records its format at init" [ "$(format)" = "$FORMAT" ]

# Tickets of this format, then the store as a newer broker would leave it.
start_broker
CUST=$(new_customer c1)
req POST /v1/tickets "$CUST" "$TICKET_BODY"
check "a ticket is filed" [ "$STATUS" = 201 ]
T1=$(jbody .id)
stop_broker
NEWER=$((FORMAT + 1))
set_format "$NEWER"
check "the store now says format $NEWER" [ "$(format)" = "$NEWER" ]
sum_before=$(mdb_dump -a "$DATA" | sha256sum)

"$BROKER" -c "$CONF" -d "$DATA" -l 127.0.0.1:0 >"$TMP/newer.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    ok 1 "the broker refuses a store of a newer format (it is still running)"
else
    wait "$pid"
    rc=$?
    check "the broker refuses a store of a newer format: exit $rc" [ "$rc" -ne 0 ]
fi
check "... saying the store's format and its own" \
    grep -q "is of format $NEWER, newer than this broker's ($FORMAT)" "$TMP/newer.log"
refute "... before it listens" grep -q 'listening on' "$TMP/newer.log"
check "... and changes nothing" [ "$(mdb_dump -a "$DATA" | sha256sum)" = "$sum_before" ]
for cmd in "verify" "token issue --role lead --subject ops" "backup $TMP/copy" "export $T1" "migrate"; do
    # shellcheck disable=SC2086
    ctl $cmd >"$TMP/ctl.out" 2>&1
    rc=$?
    check "seamctl $cmd refuses the newer store (exit $rc)" [ "$rc" = 1 ]
    check "... naming both formats" grep -q "is of format $NEWER, newer than this seamctl knows ($FORMAT)" "$TMP/ctl.out"
done
check "the newer store is still unchanged" [ "$(mdb_dump -a "$DATA" | sha256sum)" = "$sum_before" ]
check "no backup was written" [ ! -e "$TMP/copy/data.mdb" ]

# Older: format 1 (the records of the broker before the record module).
set_format 1
chmod 600 "$DATA"/*.mdb
start_broker
check "a store of format 1 is migrated at start" grep -q "migrate: format 1 to $FORMAT" "$TMP/broker.$STARTS.log"
LEAD=$(new_token lead ops)
req GET "/v1/tickets/$T1" "$LEAD"
check "... and its ticket is served as before" [ "$STATUS" = 200 -a "$(jbody .id)" = "$T1" ]
stop_broker
check "the store is at format $FORMAT again" [ "$(format)" = "$FORMAT" ]
check "seamctl verify passes on the migrated store" ctl verify

finish
