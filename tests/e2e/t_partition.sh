#!/usr/bin/env bash
# A partitioned leader ($.replication): three nats-server processes clustered
# on loopback and two broker nodes. Node a, the leader, reaches the NATS
# servers only through a TCP relay of this script's; node b directly. The
# relay is stopped: a's connections to every NATS server are cut while its
# process lives and answers HTTP. From then on a acknowledges no write (each
# complaint sent to it is answered 5xx or sent on, and kept nowhere), b takes
# the lease and files, and a, reconnected once the relay is back, finds the
# lease taken and follows b as a standby. At the end both stores hold the
# same records and seamctl verify passes on each.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nats_lib.sh"
# The servers do not tell clients of each other (no_advertise): a's only way to them is the relay.
NATS_CLUSTER_EXTRA="no_advertise: true"
start_nats
mapfile -t RELAY_PORTS < <(free_ports 3)
RELAY_PID=
start_relay() { # forwards RELAY_PORTS[i] to NATS_PORTS[i] until killed
    python3 - "${RELAY_PORTS[*]}" "${NATS_PORTS[*]}" >>"$TMP/relay.log" 2>&1 <<'PY' &
import asyncio, sys
froms = [int(p) for p in sys.argv[1].split()]
tos = [int(p) for p in sys.argv[2].split()]
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except Exception:
        pass
    finally:
        w.close()
def handler(to):
    async def handle(r, w):
        try:
            ur, uw = await asyncio.open_connection("127.0.0.1", to)
        except OSError:
            w.close()
            return
        await asyncio.gather(pipe(r, uw), pipe(ur, w))
    return handle
async def main():
    servers = [await asyncio.start_server(handler(t), "127.0.0.1", f, reuse_address=True)
               for f, t in zip(froms, tos)]
    print("relay up", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))
asyncio.run(main())
PY
    RELAY_PID=$!
    EXTRA_PIDS+=("$RELAY_PID")
    for _ in $(seq 1 100); do
        [ "$(grep -c "relay up" "$TMP/relay.log")" -ge "${1:-1}" ] && return 0
        sleep 0.05
    done
    echo "Bail out! the relay did not start"
    exit 1
}
start_relay 1
RELAY_URLS="[\"nats://127.0.0.1:${RELAY_PORTS[0]}\", \"nats://127.0.0.1:${RELAY_PORTS[1]}\", \"nats://127.0.0.1:${RELAY_PORTS[2]}\"]"
STREAM=seampart
conf_with '.replication = {servers: $s, stream: $st, leader: "a", lease_ms: 1500, publish_timeout_ms: 1000}' \
    --argjson s "$NATS_URLS" --arg st "$STREAM"
init_store
replication_init # (seamctl's changes below go through the stream: it waits for the servers)
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
cp -a "$DATA" "$TMP/data.b"
mv "$DATA" "$TMP/data.a"
DATA=$TMP/data.a
CONF_B=$CONF
jq --argjson s "$RELAY_URLS" '.replication.servers = $s' "$CONF" >"$TMP/conf.a.json"
CONF_A=$TMP/conf.a.json

mapfile -t ports < <(free_ports 2)
declare -A NPORT NPID
NPORT=([a]=${ports[0]} [b]=${ports[1]})
role() { curl -s -m 2 "http://127.0.0.1:${NPORT[$1]}/healthz" | jq -r '.role // empty' 2>/dev/null; }
post() { # NODE MARKER: one complaint to NODE, not following a 307; prints its status
    curl -s -m 10 -o "$TMP/post.$2" -w '%{http_code}' -H "Authorization: Bearer $C1" \
        -H 'Content-Type: application/json' \
        --data-binary "{\"summary\":\"$2\",\"description\":\"\",\"service\":\"internet\",\"symptom\":\"no_service\"}" \
        "http://127.0.0.1:${NPORT[$1]}/v1/tickets"
}
start_node a "$CONF_A"
start_node b "$CONF_B"
check "node a leads (through the relay), b follows" [ "$(role a) $(role b)" = "leader standby" ]
check "a complaint filed on a before the cut (201)" [ "$(post a before)" = 201 ]

# The cut: every connection of a's to the NATS servers closed, none taken again.
kill -9 "$RELAY_PID"
wait "$RELAY_PID" 2>/dev/null
t0=$SECONDS
: >"$TMP/cut.statuses"
i=0
while [ $((SECONDS - t0)) -lt 20 ] && [ "$(role b)" != leader ]; do
    i=$((i + 1))
    echo "cut-$i $(post a "cut-$i")" >>"$TMP/cut.statuses"
    sleep 0.2
done
check "node b takes the lease while a is cut off ($((SECONDS - t0)) s)" [ "$(role b)" = leader ]
for j in 1 2 3 4 5; do
    i=$((i + 1))
    echo "cut-$i $(post a "cut-$i")" >>"$TMP/cut.statuses"
    sleep 0.2
done
check "node a's process lives and answers HTTP while cut off" \
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "http://127.0.0.1:${NPORT[a]}/healthz")" = 200 ]
check "$i complaints sent to a while cut off: none answered 2xx" \
    bash -c "[ $i -ge 5 ] && ! grep -q ' 2[0-9][0-9]$' '$TMP/cut.statuses'"
check "b, the new leader, files (201)" [ "$(post b after)" = 201 ]

# The relay back: a reconnects, finds the lease b's, and follows it.
start_relay 2
follows_b() { [ "$(role a)" = standby ] && [ "$(role b)" = leader ]; }
check "a, reconnected, follows b as a standby" eventually 30 follows_b
st=$(post a "standby")
check "a complaint sent to a now goes to b (307)" [ "$st" = 307 ]
check "b files on (201)" [ "$(post b last)" = 201 ]

# Nothing a was sent while cut off is kept anywhere; the rest is on both, once.
PORT=${NPORT[b]}
all_tickets '.summary' "$TMP/summaries.b"
check "b holds the complaints answered 201, each once" \
    bash -c "[ \"\$(grep -cx -e '\"before\"' -e '\"after\"' -e '\"last\"' '$TMP/summaries.b')\" = 3 ] &&
             [ \"\$(sort '$TMP/summaries.b' | uniq -d | wc -l)\" = 0 ]"
refute "... and none sent to a while it was cut off" grep -q '^"cut-' "$TMP/summaries.b"
same_seq() {
    local sa sb
    sa=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $LEAD" \
        "http://127.0.0.1:${NPORT[a]}/v1/audit/checkpoint" | tr -d '\r' | sed -n 's/^[Ss]eam-[Rr]eplica-[Ss]eq: //p')
    sb=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $LEAD" \
        "http://127.0.0.1:${NPORT[b]}/v1/audit/checkpoint" | tr -d '\r' | sed -n 's/^[Ss]eam-[Rr]eplica-[Ss]eq: //p')
    [ -n "$sa" ] && [ "$sa" = "$sb" ]
}
check "a reaches b's sequence" eventually 20 same_seq
for n in a b; do
    kill "${NPID[$n]}" 2>/dev/null
    wait "${NPID[$n]}" 2>/dev/null
done
# (the last to stop writes its pending index entries as a batch of its own: each store is
# brought to the stream's end, as a node does at its start, before they are compared)
for n in a b; do
    check "seamctl replication catch-up brings node $n's store to the stream's end" \
        "$SEAMCTL" -d "$TMP/data.$n" -c "$CONF_B" replication catch-up
    check "seamctl verify passes on node $n's store" "$SEAMCTL" -d "$TMP/data.$n" -c "$CONF_B" verify
done
dump() { mdb_dump -a "$1" | grep -v '^mapsize='; }
check "both stores hold the same records, database by database" cmp <(dump "$TMP/data.a") <(dump "$TMP/data.b")
kill_nats
finish
