#!/usr/bin/env bash
# `make run`'s script initialises a data directory when there is none and
# serves the example federation: it answers /healthz. Run on a copy of the
# example whose address and data directory are this test's own. A fresh data
# directory is seeded with demo people and tickets (scripts/demo.sh), once.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
for try in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 40000))
    RUNDATA=$TMP/rundata.$try # fresh each try: a port taken by someone else must not count
    jq --arg l "127.0.0.1:$PORT" --arg d "$RUNDATA" '.listen = $l | .data_dir = $d' \
        "$CONF" >"$TMP/run.json"
    SEAM_CONFIG=$TMP/run.json scripts/run.sh >"$TMP/run.log" 2>&1 &
    RPID=$!
    for _ in $(seq 1 200); do
        grep -q "listening on" "$TMP/run.log" && break
        kill -0 $RPID 2>/dev/null || break
        sleep 0.05
    done
    kill -0 $RPID 2>/dev/null && break
done
check "make run initialised the data directory" [ -f "$RUNDATA/broker.key" -a -f "$RUNDATA/data.mdb" ]
check "make run printed the public key" grep -qE '^[A-Za-z0-9+/]{43}=$' "$TMP/run.log"
req GET /healthz ""
check "make run answers /healthz" [ "$STATUS" = 200 -a "$(jbody .status)" = ok ]
check "make run printed where to open and how to sign in" \
    grep -q "^Open http://127.0.0.1:$PORT/ and sign in" "$TMP/run.log"
curl -s -o "$TMP/body" -w '%{http_code}' -c "$TMP/cookies" -H 'Content-Type: application/json' \
    -d '{"user":"c1/kari","password":"kari-demo-password"}' "$(URL /v1/sessions)" >"$TMP/status"
check "the demo customer signs in with the printed password" [ "$(cat "$TMP/status")" = 201 ]
curl -s -b "$TMP/cookies" -o "$TMP/body" "$(URL /v1/tickets)"
check "... and finds its demo tickets, one waiting for its answer" \
    [ "$(jq '.items | length' "$TMP/body")" = 4 -a "$(jq '[.items[] | select(.status == "pending")] | length' "$TMP/body")" = 1 ]
check "every demo person was made (customer, three agents, manager, auditor)" \
    [ "$("$SEAMCTL" -d "$RUNDATA" -c "$TMP/run.json" user list | grep -c ' active ')" = 6 ]
check "the seeding's own tokens are revoked" \
    [ "$("$SEAMCTL" -d "$RUNDATA" -c "$TMP/run.json" token list | grep -vc ' revoked')" = 0 ]
kill -TERM $RPID
wait $RPID
check "it stops on SIGTERM with status 0" [ $? = 0 ]
SEAM_CONFIG=$TMP/run.json scripts/run.sh >"$TMP/run2.log" 2>&1 &
RPID=$!
for _ in $(seq 1 200); do grep -q "listening on" "$TMP/run2.log" && break; sleep 0.05; done
refute "a second make run keeps the existing store" grep -q initialising "$TMP/run2.log"
refute "... and seeds nothing again" grep -q seeding "$TMP/run2.log"
kill -TERM $RPID
wait $RPID
finish
