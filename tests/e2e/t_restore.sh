#!/usr/bin/env bash
# The data directory's owner lock and seamctl restore: a second broker on a
# directory in use refuses to start; seamctl migrate and restore onto it
# refuse and change nothing; a restore goes into a new directory only,
# verifies what it copied, and a broker serves it; the lock dies with its
# broker (kill -9 included).
. "$(dirname "$0")/lib.sh"

init_store
start_broker
LEAD=$(new_token lead acme)
C1=$(new_customer c1)
req POST /v1/tickets "$C1" "$TICKET_BODY"
TID=$(jbody .id)
check "a ticket is filed" [ "$STATUS" = 201 ]

# A second broker on the same directory.
"$BROKER" -c "$CONF" -d "$DATA" -l 127.0.0.1:0 >"$TMP/second.log" 2>&1 &
P2=$!
for _ in $(seq 1 100); do kill -0 "$P2" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$P2" 2>/dev/null; then
    kill -9 "$P2"
    ok 1 "a second broker on a directory in use exits"
else
    wait "$P2"
    rc=$?
    ok $([ $rc -ne 0 ] && echo 0 || echo 1) "a second broker on a directory in use exits non-zero (status $rc)"
fi
check "... saying which process holds it" grep -q "data directory .* is in use by seam-broker pid $BPID" "$TMP/second.log"
check "... and the running broker still answers" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$(URL /healthz)')\" = 200 ]"

snapshot() { (cd "$DATA" && stat -c '%n %i' data.mdb broker.key broker.pub && sha256sum broker.key broker.pub); }
snapshot >"$TMP/before"
ctl migrate >"$TMP/out" 2>&1
rc=$?
check "seamctl migrate on a directory in use refuses (status $rc)" [ $rc -ne 0 ]
check "... naming the broker that holds it" grep -q "in use by seam-broker pid $BPID" "$TMP/out"

check "a hot backup is made while the broker runs" ctl backup "$TMP/bk"
"$SEAMCTL" restore "$TMP/bk" "$DATA" >"$TMP/out" 2>&1
rc=$?
check "seamctl restore onto the directory in use refuses (status $rc)" [ $rc -ne 0 ]
check "... with a clear message" grep -q "is in use by seam-broker pid $BPID.*nothing was changed" "$TMP/out"
snapshot >"$TMP/after"
check "... and the directory is unchanged" cmp "$TMP/before" "$TMP/after"

# A restore into a new directory.
check "seamctl restore into a new directory succeeds" "$SEAMCTL" restore "$TMP/bk" "$TMP/new"
cp "$TMP/last.out" "$TMP/restore.out"
check "... it says it verified the copy" grep -q "events of 1 tickets verify" "$TMP/restore.out"
check "... the secret key stays private" [ "$(stat -c %a "$TMP/new/broker.key")" = 600 ]
check "... the copy verifies on its own" "$SEAMCTL" -d "$TMP/new" verify
mkdir -p "$TMP/full" && echo x >"$TMP/full/something"
"$SEAMCTL" restore "$TMP/bk" "$TMP/full" >"$TMP/out" 2>&1
check "a restore into a non-empty directory refuses" grep -q "is not empty.*nothing was changed" "$TMP/out"
check "... and leaves it as it was" [ "$(ls "$TMP/full" | grep -v seam.lock)" = something ]
refute "a restore from a directory that is no backup refuses" "$SEAMCTL" restore "$TMP/full" "$TMP/new2"
# A backup whose key is not the one that signed its events does not verify: nothing restored.
cp -r "$TMP/bk" "$TMP/badbk"
"$SEAMCTL" -d "$TMP/other" init >/dev/null 2>&1
cp "$TMP/other/broker.pub" "$TMP/badbk/broker.pub"
"$SEAMCTL" restore "$TMP/badbk" "$TMP/new3" >"$TMP/out" 2>&1
rc=$?
check "a backup that does not verify is not restored (status $rc)" [ $rc -ne 0 ]
check "... it says so" grep -q "does not verify" "$TMP/out"
check "... and leaves no store behind" [ -z "$(ls "$TMP/new3" | grep -v seam.lock)" ]

# The lock dies with its broker, even by kill -9; the restored copy serves.
kill9_broker
ctl migrate >"$TMP/out" 2>&1
check "after kill -9 the lock is free: migrate runs" grep -q "^ok: the store is at format" "$TMP/out"
OLD=$DATA
DATA=$TMP/new start_broker
req GET "/v1/tickets/$TID" "$LEAD"
check "a broker started on the restored copy serves the ticket" [ "$STATUS" = 200 ]
DATA2=$DATA
DATA=$OLD
"$SEAMCTL" restore "$TMP/bk" "$TMP/new" >"$TMP/out" 2>&1
check "a restore onto the restored copy while it is served refuses too" grep -q "in use by seam-broker pid $BPID" "$TMP/out"
DATA=$DATA2
finish
