#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# Invariant 2: a request answered 2xx is durable. Many times over: file a
# complaint, kill -9 the broker the instant the 201 arrives, restart, and
# find the ticket there with a store that verifies. Then the same under
# concurrent writers killed mid-flight: every ticket answered 201 survives.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
ROUNDS=${SEAM_KILL_ROUNDS:-12}

lost=0
for i in $(seq 1 "$ROUNDS"); do
    start_broker
    req POST /v1/tickets "$C1" "$TICKET_BODY"
    kill9_broker
    if [ "$STATUS" != 201 ]; then lost=$((lost + 1)); echo "# round $i: status $STATUS"; continue; fi
    id=$(jbody .id)
    start_broker
    req GET "/v1/tickets/$id" "$C1"
    [ "$STATUS" = 200 ] || { lost=$((lost + 1)); echo "# round $i: $id lost after kill -9"; }
    kill9_broker
done
check "$ROUNDS tickets answered 201 and killed at once all survive kill -9" [ "$lost" = 0 ]
check "seamctl verify passes after $ROUNDS kills" ctl verify

# Concurrent writers, killed while requests are in flight.
missing=0 answered=0
for round in 1 2 3; do
    start_broker
    rm -f "$TMP"/w.*
    for w in $(seq 1 24); do
        ( for k in 1 2 3 4 5 6 7 8; do
              curl -s -o "$TMP/w.$w.$k" -w '%{http_code}\n' -X POST \
                  -H "Authorization: Bearer $C1" -H 'Content-Type: application/json' \
                  --data-binary "$TICKET_BODY" "$(URL /v1/tickets)" >>"$TMP/w.$w.codes"
          done ) &
    done
    sleep 0.$((RANDOM % 5 + 2))
    kill9_broker
    wait
    start_broker
    for f in "$TMP"/w.*.*; do
        case "$f" in *.codes) continue ;; esac
        id=$(jq -r '.id // empty' "$f" 2>/dev/null)
        [ -n "$id" ] || continue
        answered=$((answered + 1))
        req GET "/v1/tickets/$id" "$C1"
        [ "$STATUS" = 200 ] || { missing=$((missing + 1)); echo "# $id answered 201, lost"; }
    done
    kill9_broker
done
check "every one of $answered tickets answered 201 under load survives kill -9" [ "$missing" = 0 -a "$answered" -gt 0 ]
check "seamctl verify passes after the concurrent kills" ctl verify
finish
