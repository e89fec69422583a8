#!/usr/bin/env bash
# `make run`'s script initialises a data directory when there is none and
# serves the example federation: it answers /healthz. Run on a copy of the
# example whose address and data directory are this test's own.
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
kill -TERM $RPID
wait $RPID
check "it stops on SIGTERM with status 0" [ $? = 0 ]
SEAM_CONFIG=$TMP/run.json scripts/run.sh >"$TMP/run2.log" 2>&1 &
RPID=$!
for _ in $(seq 1 200); do grep -q "listening on" "$TMP/run2.log" && break; sleep 0.05; done
refute "a second make run keeps the existing store" grep -q initialising "$TMP/run2.log"
kill -TERM $RPID
wait $RPID
finish
