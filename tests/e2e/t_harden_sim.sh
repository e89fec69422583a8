#!/usr/bin/env bash
# seam-sim, the test partner's webhook receiver, processes a message once
# (issue 14, finding 8): a delivery replayed with the same webhook-id is
# acknowledged but not processed again, also when copies arrive at once;
# a delivery it refused (a 503 of -f) is processed when it comes again; a
# forged one with a known id is not taken for a duplicate.
. "$(dirname "$0")/lib.sh"
SP=$ROOT/$BUILD/tests/signed-post
[ -x "$SP" ] || { echo "Bail out! $SP is missing (make $BUILD/tests/signed-post)"; exit 1; }
init_store
start_sim
deliver() { # ID BODY [KEY]: one delivery signed like the broker's; prints "STATUS COUNT"
    "$SP" --key "${3:-$DATA/broker.key}" --webhook "$1" --url "http://127.0.0.1:$SIMPORT" /seam/webhook "$2"
}
lines() { jq -s --arg id "$1" "[.[] | select(.id == \$id) | $2] | length" "$TMP/sim.log"; }
BODY='{"type":"assignment.created","data":{"id":"A1","ticket":"T1"}}'
check "a delivery is acknowledged" [ "$(deliver msg_1 "$BODY")" = "200 1" ]
check "the same delivery again is acknowledged too" [ "$(deliver msg_1 "$BODY")" = "200 1" ]
check "... both verified" [ "$(lines msg_1 'select(.verified)')" = 2 ]
check "... and it was processed once: the second is marked a duplicate" \
    [ "$(lines msg_1 'select(.duplicate == false)')" = 1 -a "$(lines msg_1 'select(.duplicate == true)')" = 1 ]
check "another webhook-id is processed" [ "$(deliver msg_2 "$BODY")" = "200 1" -a "$(lines msg_2 'select(.duplicate == false)')" = 1 ]
pids=
for i in $(seq 1 8); do
    deliver msg_3 "$BODY" >"$TMP/par.$i" &
    pids="$pids $!"
done
wait $pids
check "eight copies at once are all acknowledged" [ "$(cat "$TMP"/par.* | sort -u)" = "200 1" ]
check "... and processed once" [ "$(lines msg_3 'select(.duplicate == false)')" = 1 -a "$(lines msg_3 'select(.duplicate)')" = 7 ]
mkdir "$TMP/other"
"$SEAMCTL" -d "$TMP/other" -c "$CONF" init >/dev/null
deliver msg_1 "$BODY" "$TMP/other/broker.key" >/dev/null
check "a forged delivery with a processed id is not taken for a duplicate" \
    [ "$(lines msg_1 'select(.verified == false and .duplicate == false)')" = 1 ]
stop_sim
: >"$TMP/sim.log"
start_sim -f 1
check "a delivery refused with 503 (-f 1) ..." [ "$(deliver msg_4 "$BODY")" = "503 1" ]
check "... is processed when it comes again" [ "$(deliver msg_4 "$BODY")" = "200 1" -a "$(lines msg_4 'select(.duplicate == false and .status == 200)')" = 1 ]
check "... and only then is a third copy a duplicate" [ "$(deliver msg_4 "$BODY")" = "200 1" -a "$(lines msg_4 'select(.duplicate)')" = 1 ]
finish
