#!/usr/bin/env bash
# Replication on NATS JetStream ($.replication): three nats-server processes
# clustered on loopback (JetStream, a stream of three replicas), a leader
# and a standby broker. Complaints, partner actions and notes filed on the
# leader reach the standby, which serves the same tickets and evidence,
# tells how current it is (Seam-Replica-Seq, Seam-Replica-Lag), wakes a
# partner's long-poll when a claim for it is applied, and sends writes to
# the leader (307). seamctl's changes (a customer, a token) go through the
# stream from any node's store. An append that expects a sequence the stream
# has moved past, as a node behind the stream would send, is refused. At the
# end both stores hold the same records, database by database, and seamctl
# verify passes on both. A push delivered while the leader cannot record it
# (the NATS servers stopped, its lease stale) is not sent again and again.
# (The lease and the failover: t_failover.sh.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nats_lib.sh"
SPID=
NATS_EXTRA="max_payload: 262144" # 256 KiB: a batch with a larger attachment does not fit
start_nats
SIMPORT=$(free_ports 1) # skyview's receiver, started late (below)
conf_with '.replication = {servers: $s, stream: "seamtest", leader: "a", publish_timeout_ms: 3000} |
    (.partners[] | select(.id == "skyview") | .delivery.url) = $u |
    .delivery.retry_schedule_ms = [0, 4000, 1000, 1000, 1000, 1000, 1000, 1000, 1000]' \
    --argjson s "$NATS_URLS" --arg u "http://127.0.0.1:$SIMPORT/seam/webhook"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
# The nodes start from copies of one store (docs/operations.md: adding a node).
cp -a "$DATA" "$TMP/standby"

# The cluster elects its JetStream leader within seconds: init is retried until then.
replication_init
inited=$?
check "seamctl replication init creates the stream of three replicas" \
    grep -q "stream seamtest created: subject seamtest.batches, 3 replicas" "$TMP/init.out"
[ $inited = 0 ] || { cat "$TMP/init.out"; finish; }
ctl replication init >"$TMP/init2.out" 2>&1
check "a second init leaves the stream as it is" grep -q "exists already; nothing changed" "$TMP/init2.out"

start_broker -N a
LPID=$BPID LPORT=$PORT
LEADER_LOG=$TMP/broker.$STARTS.log
DATA_A=$DATA
DATA=$TMP/standby
start_broker -N b
SPID=$BPID SPORT=$PORT
EXTRA_PIDS+=("$SPID")
DATA=$DATA_A BPID=$LPID PORT=$LPORT
check "the standby logs that it follows node a" \
    grep -q "replication node=b leader=a stream=seamtest role=standby" "$TMP/broker.$STARTS.log"
req GET /healthz ""
check "the leader's /healthz says it leads" [ "$(jbody .role) $(jbody .leader)" = "leader a" ]
PORT=$SPORT
req GET /healthz ""
check "the standby's /healthz says it follows node a" [ "$(jbody .role) $(jbody .leader)" = "standby a" ]
PORT=$LPORT

# On the leader: complaints, a partner's acknowledgement and progress, a customer's note.
TICKETS=()
for i in 1 2 3 4 5 6; do
    tok=$C1
    [ $((i % 2)) = 0 ] && tok=$C2
    req POST /v1/tickets "$tok" "$TICKET_BODY"
    [ "$STATUS" = 201 ] && TICKETS+=("$(jbody .id)")
done
check "six complaints filed on the leader (201)" [ "${#TICKETS[@]}" = 6 ]
req GET "/v1/tickets/${TICKETS[0]}" "$LEAD"
A=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$A/ack" "$FIB" '{"note":"on it"}'
s1=$STATUS
req POST "/v1/assignments/$A/progress" "$FIB" '{"note":"a technician is on the way"}'
s2=$STATUS
req POST "/v1/tickets/${TICKETS[0]}/notes" "$C1" '{"note":"still down"}'
check "the partner's ack and progress and the customer's note answered 2xx" \
    matches "$s1 $s2 $STATUS" '^2[0-9][0-9] 2[0-9][0-9] 2[0-9][0-9]$'
LSEQ=$(header seam-replica-seq)
check "the leader's answers carry the stream's sequence its store holds (past 1)" \
    [ "${LSEQ:-0}" -gt 1 ]

# The standby catches up: the same sequence, no lag.
PORT=$SPORT
for _ in $(seq 1 100); do
    req GET /v1/audit/checkpoint "$LEAD"
    [ "$(header seam-replica-seq)" = "$LSEQ" ] && break
    sleep 0.05
done
check "the standby reaches the leader's sequence $LSEQ" [ "$(header seam-replica-seq)" = "$LSEQ" ]
check "the standby says it is not behind (Seam-Replica-Lag: 0)" [ "$(header seam-replica-lag)" = 0 ]
jq -S . "$TMP/body" >"$TMP/cp.standby"
PORT=$LPORT
req GET /v1/audit/checkpoint "$LEAD"
jq -S . "$TMP/body" >"$TMP/cp.leader"
check "the checkpoints of both, at the same tree size, are equal" \
    cmp "$TMP/cp.leader" "$TMP/cp.standby"

same=0
for t in "${TICKETS[@]}"; do
    for what in "" /evidence; do
        PORT=$LPORT
        req GET "/v1/tickets/$t$what" "$LEAD"
        a=$(jq -cS . "$TMP/body")
        PORT=$SPORT
        req GET "/v1/tickets/$t$what" "$LEAD"
        b=$(jq -cS . "$TMP/body")
        [ "$STATUS" = 200 ] && [ "$a" = "$b" ] && same=$((same + 1))
    done
done
check "the standby serves each ticket and its evidence as the leader does" [ $same = 12 ]
PORT=$LPORT
all_tickets '[.id, .status]' "$TMP/list.leader"
req GET /v1/assignments "$FIB"
jq -cS . "$TMP/body" >"$TMP/queue.leader"
PORT=$SPORT
all_tickets '[.id, .status]' "$TMP/list.standby"
check "the standby lists the lead's tickets as the leader does" \
    cmp "$TMP/list.leader" "$TMP/list.standby"
req GET /v1/assignments "$FIB"
check "the standby serves the partner's queue as the leader does" \
    bash -c "[ $STATUS = 200 ] && jq -cS . '$TMP/body' | cmp - '$TMP/queue.leader'"

# A partner's long-poll on the standby wakes when a batch with a claim for it is applied there
# (as on the leader when it commits one), not when its wait ends.
CUR=$(jq -r '.items[-1].id' "$TMP/body")
curl -s -o "$TMP/lp.body" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $FIB" \
    "$(URL "/v1/assignments?cursor=$CUR&wait=60")" >"$TMP/lp.out" &
LP=$!
sleep 1 # parked on the standby
PORT=$LPORT
req POST /v1/tickets "$C2" "$TICKET_BODY"
NEWT=$(jbody .id)
TICKETS+=("$NEWT")
req GET "/v1/tickets/$NEWT" "$LEAD"
NEWA=$(jbody '.assignments[0].id')
PORT=$SPORT
wait $LP
read -r lp_status lp_secs <"$TMP/lp.out"
check "a partner's long-poll (wait=60) on the standby is answered with the new claim" \
    [ "$lp_status" = 200 -a "$(jq -r '[.items[].id] | join(" ")' "$TMP/lp.body")" = "$NEWA" ]
check "... once the claim's batch is applied there, not at the wait's end (${lp_secs} s)" \
    awk -v s="$lp_secs" 'BEGIN { exit !(s < 30) }'

# seamctl's changes go through the stream: a customer added on the leader's store while it
# runs, a token issued on the standby's, each reaches every node.
PORT=$LPORT
check "seamctl customer add on the leader's store (running) in a replicated federation" \
    ctl customer add c9 --name "Ninth" --bundle triple-play --region north
C9=$("$SEAMCTL" -d "$TMP/standby" -c "$CONF" token issue --role customer --subject c9 2>"$TMP/c9tok.err")
check "seamctl token issue for it on the standby's store finds the customer there" [ -n "$C9" ]
# (the leader sees a batch appended by another within a third of lease_ms: it looks when it renews)
file_c9() { req POST /v1/tickets "$C9" "$TICKET_BODY" && [ "$STATUS" = 201 ]; }
check "... and the leader takes the token: the new customer files a complaint (201)" eventually 10 file_c9
[ "$STATUS" = 201 ] && TICKETS+=("$(jbody .id)")
# (nothing written: at the end both stores hold the same records)
"$SEAMCTL" -d "$TMP/standby" -c "$ROOT/conf/seam.json" customer add c10 --name Tenth \
    --bundle triple-play --region north >"$TMP/c10.out" 2>&1
check "seamctl without the replication configuration refuses to write a store that follows a stream" \
    [ $? != 0 ]
check "... saying why" grep -q "follows a replication stream" "$TMP/c10.out"
PORT=$SPORT

# Writes on the standby go to the leader.
req POST /v1/tickets "$C1" "$TICKET_BODY"
check "a complaint sent to the standby is answered 307 to the leader's address" \
    [ "$STATUS" = 307 -a "$(header location)" = "http://127.0.0.1:$LPORT/v1/tickets" ]
st=$(curl -s --location-trusted -o "$TMP/body" -w '%{http_code}' -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json' --data-binary "$TICKET_BODY" "$(URL /v1/tickets)")
check "a client that follows the 307 files it on the leader (201)" [ "$st" = 201 ]
TICKETS+=("$(jbody .id)")

# A batch larger than the servers' max_payload is refused whole, and the log says why.
PORT=$LPORT
head -c 300000 /dev/zero | tr '\0' 'x' >"$TMP/big.txt"
req POST "/v1/tickets/${TICKETS[0]}/attachments" "$C1" "@$TMP/big.txt" text/plain
check "an attachment whose batch exceeds the NATS servers' max_payload is refused (503)" \
    [ "$STATUS" = 503 -a "$(jbody .error.code)" = unavailable ]
check "the leader logs the max_payload to raise" grep -q "larger than the NATS servers' max_payload" "$LEADER_LOG"
head -c 3000 /dev/zero | tr '\0' 'y' >"$TMP/small.txt"
req POST "/v1/tickets/${TICKETS[0]}/attachments" "$C1" "@$TMP/small.txt" text/plain
check "a small one goes on as usual (201)" [ "$STATUS" = 201 ]

# A would-be second writer: an append to the stream's subject that expects the last sequence
# to be one the stream has moved past (as a node whose store is behind would) is refused.
PORT=$LPORT
req GET /v1/audit/checkpoint "$LEAD"
LSEQ=$(header seam-replica-seq)
python3 - "${NATS_PORTS[1]}" "$((LSEQ - 1))" >"$TMP/fence.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
f.readline()  # INFO
hdr = "NATS/1.0\r\nNats-Expected-Last-Sequence: %s\r\n\r\n" % sys.argv[2]
body = "SWS1"
s.sendall(b'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\n'
          b"SUB _INBOX.fence 1\r\n" +
          ("HPUB seamtest.batches _INBOX.fence %d %d\r\n%s%s\r\nPING\r\n"
           % (len(hdr), len(hdr) + len(body), hdr, body)).encode())
while True:
    line = f.readline().decode()
    if line.startswith("MSG") or line.startswith("HMSG"):
        n = int(line.split()[-1])
        print(f.read(n + 2).decode().strip())
        break
PY
check "an append expecting seq $((LSEQ - 1)) after the stream's $LSEQ is refused (wrong last sequence)" \
    grep -q "wrong last sequence" "$TMP/fence.out"
PORT=$LPORT
req POST /v1/tickets "$C1" "$TICKET_BODY"
check "the leader goes on (201)" [ "$STATUS" = 201 ]
TICKETS+=("$(jbody .id)")
LSEQ=$(header seam-replica-seq)

# A push delivered while the leader cannot record the attempt: a TV claim (skyview's, pushed)
# while skyview's receiver is down, its first attempt recorded, its retry due 4 s later; the NATS
# servers stopped meanwhile (the leader's lease goes stale, its writer takes nothing) and the
# receiver started. The retry is delivered but not recorded: the forwarder waits before it
# sends again, instead of sending it as fast as the receiver answers. (The standby is stopped
# meanwhile, so that it does not take the lease the leader could not renew.)
PORT=$LPORT
req POST /v1/tickets "$C1" '{"summary":"tv","description":"","service":"tv","symptom":"no_signal"}'
check "a TV claim filed while skyview's receiver is down (201)" [ "$STATUS" = 201 ]
TV=$(jbody .id)
TICKETS+=("$TV")
sleep 0.5
kill -STOP "$SPID"
for p in "${NATS_PIDS[@]}"; do kill -STOP "$p"; done
start_sim
EXTRA_PIDS+=("$SIMPID")
t0=$(date +%s)
sleep 6
for p in "${NATS_PIDS[@]}"; do kill -CONT "$p"; done
files_again() {
    req POST /v1/tickets "$C1" "$TICKET_BODY"
    [ "$STATUS" = 201 ] && TICKETS+=("$(jbody .id)")
}
# (the NATS servers running again, the lease is renewed some seconds later: the writer takes
# nothing until then, though the stream answers at once)
check "the NATS servers running again, the leader files again (201)" eventually 30 files_again
s=$(($(date +%s) - t0 - 4 + 1))
n=$(jq -s --arg t "$TV" '[.[] | select(.ticket == $t and .status == 200)] | length' "$TMP/sim.log")
check "skyview got the push $n times in the $s s it could not be recorded: about once a second, not again and again" \
    [ "$n" -ge 1 -a "$n" -le $((s + 3)) ]
check "... and the leader logged that it paused" grep -q "nothing is sent for 1000 ms" "$LEADER_LOG"
kill -CONT "$SPID"

# The end: the leader stops (its last batch appended), the standby reaches the stream's end;
# both stores alike and verified.
stop_broker
ctl replication status >"$TMP/status.out" 2>&1
LAST=$(sed -n 's/^stream seamtest: first 1, last \([0-9]*\),.*/\1/p' "$TMP/status.out")
check "seamctl replication status: the leader's store is at the stream's end ($LAST)" \
    grep -q "seq $LAST, 0 behind" "$TMP/status.out"
check "seamctl replication status names the lease's holder, node a, and its address" \
    grep -q "; lease: node a at http://127.0.0.1:$LPORT\$" "$TMP/status.out"
PORT=$SPORT
for _ in $(seq 1 100); do
    req GET /v1/audit/checkpoint "$LEAD"
    [ "$(header seam-replica-seq)" = "$LAST" ] && break
    sleep 0.05
done
check "the standby reaches the stream's end" [ -n "$LAST" -a "$(header seam-replica-seq)" = "$LAST" ]
n=0
for t in "${TICKETS[@]}"; do
    req GET "/v1/tickets/$t" "$LEAD"
    [ "$STATUS" = 200 ] && n=$((n + 1))
done
check "the standby holds all ${#TICKETS[@]} tickets answered 201 on the leader" [ $n = "${#TICKETS[@]}" ]
kill -TERM "$SPID"
wait "$SPID"
check "the standby stopped cleanly" [ $? = 0 ]
SPID=
check "seamctl verify passes on the leader's store" ctl verify
check "seamctl verify passes on the standby's store" "$SEAMCTL" -d "$TMP/standby" -c "$CONF" verify
dump() { mdb_dump -a "$1" | grep -v '^mapsize='; }
check "both stores hold the same records, database by database" \
    cmp <(dump "$DATA") <(dump "$TMP/standby")
kill_nats
finish
