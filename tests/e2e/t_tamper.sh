#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# Evidence that has been rewritten is found: a byte changed in the LMDB file
# by hand, an event removed, two events swapped, the log's tail cut, a
# checkpoint signed by another key, a ticket record edited. Each makes
# `seamctl verify` fail and name the problem. An exported ticket verifies
# with only the public key and fails after any byte of it changes.
. "$(dirname "$0")/lib.sh"
TAMPER=$ROOT/$BUILD/tests/tamper
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
start_broker
ids=()
for i in 1 2 3 4 5; do
    req POST /v1/tickets "$C1" "{\"summary\":\"Complaint number $i\",\"description\":\"MARK-$i-MARK\",\"symptom\":\"slow\",\"service\":\"internet\"}"
    ids+=("$(jbody .id)")
done
req GET "/v1/tickets/${ids[0]}/evidence" "$LEAD" # seamctl export is the lead's view
cp "$TMP/body" "$TMP/ev-http.json"
stop_broker
ctl export "${ids[0]}" >"$TMP/ev.json"
PUB=$(cat "$TMP/pubkey")

check "seamctl export matches what the API serves, byte for byte (but the head signature)" \
    [ "$(jq -c 'del(.head.signature)' "$TMP/ev.json")" = "$(jq -c 'del(.head.signature)' "$TMP/ev-http.json")" ]
check "an exported ticket verifies with only the public key" \
    "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$PUB"

# Change single bytes all over the document: every one must fail.
size=$(stat -c %s "$TMP/ev.json")
fails=0 tried=0
for off in $(seq 0 7 $((size - 1))) $((size - 1)); do
    cp "$TMP/ev.json" "$TMP/ev-bad.json"
    orig=$(dd if="$TMP/ev.json" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    new=$(( orig == 65 ? 66 : 65 ))
    printf "$(printf '\\%03o' "$new")" | dd of="$TMP/ev-bad.json" bs=1 seek="$off" conv=notrunc 2>/dev/null
    tried=$((tried + 1))
    if "$SEAMCTL" verify-evidence "$TMP/ev-bad.json" --key "$PUB" >/dev/null 2>&1; then
        fails=$((fails + 1))
        echo "# byte $off changed and still verified"
    fi
done
check "every one of $tried changed bytes makes the evidence fail" [ "$fails" = 0 ]
echo '{}' >"$TMP/empty.json"
refute "an empty document fails" "$SEAMCTL" verify-evidence "$TMP/empty.json" --key "$PUB" 2>/dev/null
jq -c '.events = .events[0:0]' "$TMP/ev.json" >"$TMP/cut.json"
refute "a document with its events removed fails" "$SEAMCTL" verify-evidence "$TMP/cut.json" --key "$PUB" 2>/dev/null

check "the untouched store verifies" ctl verify

fresh() { # a copy of the store to damage
    rm -rf "$TMP/copy"
    mkdir "$TMP/copy"
    cp "$DATA"/data.mdb "$DATA"/broker.pub "$TMP/copy/"
}
verify_copy() { "$SEAMCTL" -d "$TMP/copy" verify >"$TMP/verify.out" 2>&1; }
names() { grep -q "$1" "$TMP/verify.out" || { cat "$TMP/verify.out"; return 1; }; }

fresh
# Change a byte of an event's text inside the LMDB file itself.
offsets=$(grep -obUa 'MARK-3-MARK' "$TMP/copy/data.mdb" | cut -d: -f1)
for off in $offsets; do
    printf 'X' | dd of="$TMP/copy/data.mdb" bs=1 seek="$off" conv=notrunc 2>/dev/null
done
check "a byte changed in data.mdb by hand was found in the file" [ -n "$offsets" ]
refute "seamctl verify fails on the changed byte" verify_copy
check "... and names the bad signature" names "signature does not verify"

fresh
"$TAMPER" "$TMP/copy" remove-event "${ids[1]}"
refute "seamctl verify fails on a removed event" verify_copy
check "... and names it" names "${ids[1]}: has no creation event"

fresh
"$TAMPER" "$TMP/copy" swap-events "${ids[1]}" "${ids[2]}"
refute "seamctl verify fails on two swapped events" verify_copy
check "... and names them" names "stored under the wrong ticket or number"

fresh
"$TAMPER" "$TMP/copy" cut-tail
refute "seamctl verify fails on a cut tail" verify_copy
check "... and names it" names "tail cut"

fresh
"$TAMPER" "$TMP/copy" foreign-checkpoint
refute "seamctl verify fails on a checkpoint signed by another key" verify_copy
check "... and names it" names "signed by another key"

fresh
"$TAMPER" "$TMP/copy" edit-record "${ids[4]}"
refute "seamctl verify fails on an edited ticket record" verify_copy
check "... and names it" names "summary differs from its signed creation event"
finish
