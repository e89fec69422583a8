# tests/e2e/nats_lib.sh: three nats-server processes clustered on loopback, with
# JetStream, for the replication scripts (after lib.sh). A script whose machine has
# no nats-server passes with one skipped test (scripts/deps.sh installs it).
if ! command -v nats-server >/dev/null; then
    ok 0 "# skip nats-server is not installed"
    echo "1..$T_N"
    rm -rf "$TMP"
    exit 0
fi
NATS_PIDS=()
NATS_PORTS=()
NATS_MPORTS=() # each server's monitoring port (/healthz, /jsz)
NATS_URLS=
# Every process the script started (the brokers' pids in EXTRA_PIDS) ends with it.
EXTRA_PIDS=()
nats_cleanup() {
    for p in "${NATS_PIDS[@]}" "${EXTRA_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
}
trap nats_cleanup EXIT

free_ports() { # N: prints N free loopback ports
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
for s in ss: print(s.getsockname()[1])
for s in ss: s.close()' "$1"
}

start_nats() { # sets NATS_PORTS (clients), NATS_URLS (a JSON array of them); NATS_EXTRA: more settings,
    # NATS_CLUSTER_EXTRA: more in the cluster block
    local ports routes i
    mapfile -t ports < <(free_ports 9)
    NATS_PORTS=("${ports[@]:0:3}")
    NATS_MPORTS=("${ports[@]:6:3}")
    routes="nats-route://127.0.0.1:${ports[3]}, nats-route://127.0.0.1:${ports[4]}, nats-route://127.0.0.1:${ports[5]}"
    for i in 0 1 2; do
        mkdir -p "$TMP/nats$i"
        cat >"$TMP/nats$i.conf" <<EOC
server_name: n$i
listen: 127.0.0.1:${ports[$i]}
http: 127.0.0.1:${ports[$((i + 6))]}
jetstream { store_dir: "$TMP/nats$i", max_memory_store: 64MB, max_file_store: 1GB }
${NATS_EXTRA:-}
cluster { name: seamtest, listen: 127.0.0.1:${ports[$((i + 3))]}, routes: [$routes]${NATS_CLUSTER_EXTRA:+, $NATS_CLUSTER_EXTRA} }
EOC
        start_nats_server "$i"
    done
    NATS_URLS="[\"nats://127.0.0.1:${ports[0]}\", \"nats://127.0.0.1:${ports[1]}\", \"nats://127.0.0.1:${ports[2]}\"]"
}

start_nats_server() { # I: server nI (again), with its configuration and its JetStream directory
    nats-server -c "$TMP/nats$1.conf" >>"$TMP/nats$1.log" 2>&1 &
    NATS_PIDS[$1]=$!
}

# nats_of PID: the index (0-2) of the NATS server the process PID is connected to, or "".
nats_of() {
    local peer i
    for peer in $(ss -tnpH state established 2>/dev/null | grep "pid=$1," | awk '{ print $4 }'); do
        for i in 0 1 2; do
            [ "$peer" = "127.0.0.1:${NATS_PORTS[$i]}" ] && { echo "$i"; return; }
        done
    done
}

# nats_current I SEQ: server nI is a current member of the cluster again (its /healthz, which
# checks that its JetStream assets are caught up, says ok) and its replica of stream
# $STREAM holds sequence SEQ or later.
nats_current() {
    local m=http://127.0.0.1:${NATS_MPORTS[$1]}
    [ "$(curl -s -m 2 "$m/healthz" | jq -r .status)" = ok ] &&
        [ "$(curl -s -m 2 "$m/jsz?accounts=true&streams=true" |
            jq --arg s "$STREAM" '[.account_details[]?.stream_detail[]? | select(.name == $s)
                | .state.last_seq][0] // 0')" -ge "$2" ]
}

# nats_request I SUBJECT [PAYLOAD]: a request to server nI over the NATS protocol; prints the reply.
nats_request() {
    python3 - "${NATS_PORTS[$1]}" "$2" "${3:-}" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
f.readline()  # INFO
body = sys.argv[3].encode()
s.sendall(b'CONNECT {"verbose":false,"headers":true,"no_responders":true}\r\nSUB _INBOX.t 1\r\n' +
          b"PUB %s _INBOX.t %d\r\n%s\r\nPING\r\n" % (sys.argv[2].encode(), len(body), body))
while True:
    line = f.readline().decode()
    if line.startswith("MSG") or line.startswith("HMSG"):
        print(f.read(int(line.split()[-1]) + 2).decode().strip())
        break
PY
}

# nats_groups I: "NAME LEADER" for each stream of the cluster (the lease's bucket is one), as
# server nI sees them.
nats_groups() {
    curl -s -m 2 "http://127.0.0.1:${NATS_MPORTS[$1]}/jsz?accounts=true&streams=true" |
        jq -r '.account_details[]?.stream_detail[]? | "\(.name) \(.cluster.leader // "-")"'
}

# nats_lead_on I: server nI made the leader of every stream's group (the stream of batches and
# the lease's bucket), by asking the others to step down until it is (elections are random).
nats_lead_on() {
    local name leader todo
    for _ in $(seq 1 20); do
        todo=0
        while read -r name leader; do
            [ "$leader" = "n$1" ] && continue
            todo=1
            nats_request "$1" "\$JS.API.STREAM.LEADER.STEPDOWN.$name" >/dev/null 2>&1
        done < <(nats_groups "$1")
        [ $todo = 0 ] && [ -n "$(nats_groups "$1")" ] && return 0
        sleep 1
    done
    return 1
}

kill_nats() {
    for p in "${NATS_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${NATS_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    NATS_PIDS=()
}

# replication_init: seamctl replication init, retried while the cluster elects its
# JetStream leader (seconds); its output in $TMP/init.out.
replication_init() {
    for _ in $(seq 1 60); do
        ctl replication init >"$TMP/init.out" 2>&1 && return 0
        sleep 0.5
    done
    return 1
}

# start_node NAME [CONFIG]: broker node NAME (-N NAME) on port NPORT[NAME] and store
# $TMP/data.NAME, with CONFIG (default $CONF), its log appended to $TMP/node.NAME.log (a restart
# in place keeps it); its pid in NPID[NAME]. The script declares NPORT and NPID (declare -A).
start_node() {
    local n=$1 log=$TMP/node.$1.log
    echo "--- start" >>"$log"
    "$BROKER" -c "${2:-$CONF}" -d "$TMP/data.$n" -l "127.0.0.1:${NPORT[$n]}" -N "$n" >>"$log" 2>&1 &
    NPID[$n]=$!
    EXTRA_PIDS+=("${NPID[$n]}")
    for _ in $(seq 1 200); do
        curl -s -o /dev/null "http://127.0.0.1:${NPORT[$n]}/healthz" && return 0
        sleep 0.05
    done
    echo "Bail out! node $n did not start"
    tail -20 "$log"
    exit 1
}
