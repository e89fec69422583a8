#!/usr/bin/env bash
# The partner agent stopped while it waits to acknowledge a claim (the
# broker refusing writes, its map full): the claim is not passed over; the
# agent's next run works it once space returns. The map is made full for
# every write, however small, by a reader that holds an old snapshot (an
# mdb_dump stalled on a pipe nobody reads), so LMDB can reuse no page.
. "$(dirname "$0")/lib.sh"
AGENT=$ROOT/$BUILD/seam-partner
init_store
new_token partner nordtel >"$TMP/nordtel.token"
C1=$(new_customer c1 phone-only north)
C2=$(new_customer c2 triple-play north)
conf_with '.limits.map_size_mb = 1 | .limits.map_max_mb = 2'
start_broker
req POST /v1/tickets "$C1" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
T1=$(jbody .id)
req GET /v1/assignments "$(cat "$TMP/nordtel.token")"
A1=$(jbody '.items[0].id')
check "nordtel holds the one claim" [ -n "$A1" ] && [ "$A1" != null ]
FILLER="{\"summary\":\"Slow\",\"description\":\"$(printf '%0600d' 0)\",\"service\":\"internet\",\"symptom\":\"slow\"}"
SMALL='{"summary":"S","description":"","service":"internet","symptom":"slow"}'
fill() { # until a write of this body is refused
    for i in $(seq 1 3000); do
        req POST /v1/tickets "$C2" "$1"
        [ "$STATUS" = 201 ] || break
    done
}
fill "$FILLER"
mkfifo "$TMP/hold"
mdb_dump -a "$DATA" >"$TMP/hold" 2>/dev/null &
HOLDER=$!
exec 9<"$TMP/hold" # opened, never read: the dump stalls holding its snapshot
fill "$SMALL" # what is left, and no page freed from now on can be used again
LAST=$(req GET "/v1/tickets?limit=1" "$C2"; jbody '.items[0].id')
for i in $(seq 1 3000); do # and the smallest changes there are: notes on a ticket
    req POST "/v1/tickets/$LAST/notes" "$C2" '{"text":"n"}'
    [ "$STATUS" = 201 ] || [ "$STATUS" = 200 ] || break
done
check "the map is full: even a small write is refused" [ "$STATUS" = 503 ]

export SEAM_HANDLED=$TMP/handled.log
run_agent() { # idle-exit seconds
    "$AGENT" --url "$(URL '')" --token-file "$TMP/nordtel.token" --broker-key "$DATA/broker.pub" \
        --state "$TMP/agent.state" --wait 1 --idle-exit "$1" \
        --exec 'cat >/dev/null; echo "$SEAM_ASSIGNMENT_ID" >>"$SEAM_HANDLED"; echo "Fixed."' \
        >>"$TMP/agent.log" 2>&1 &
    APID=$!
}
run_agent 0
acking() { grep -q "path=/v1/assignments/$A1/ack status=503" "$TMP/broker.$STARTS.log"; }
check "the agent tries to acknowledge the claim and is refused" eventually 20 acking
kill -TERM "$APID"
wait "$APID"
check "stopped meanwhile, it ran nothing" [ ! -s "$TMP/handled.log" ]
kill "$HOLDER" 2>/dev/null
exec 9<&-
wait "$HOLDER" 2>/dev/null
stop_broker

conf_with '.limits.map_size_mb = 1 | .limits.map_max_mb = 64'
start_broker
run_agent 3
wait "$APID"
check "its next run works the claim it was stopped on" grep -qx "$A1" "$TMP/handled.log"
req GET "/v1/tickets/$T1" "$C1"
check "... and the ticket is resolved" [ "$(jbody .status)" = resolved ]
stop_broker
check "seamctl verify passes" ctl verify
finish
