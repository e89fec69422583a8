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

start_nats() { # sets NATS_PORTS (clients), NATS_URLS (a JSON array of them); NATS_EXTRA: more settings
    local ports routes i
    mapfile -t ports < <(free_ports 6)
    NATS_PORTS=("${ports[@]:0:3}")
    routes="nats-route://127.0.0.1:${ports[3]}, nats-route://127.0.0.1:${ports[4]}, nats-route://127.0.0.1:${ports[5]}"
    for i in 0 1 2; do
        mkdir -p "$TMP/nats$i"
        cat >"$TMP/nats$i.conf" <<EOC
server_name: n$i
listen: 127.0.0.1:${ports[$i]}
jetstream { store_dir: "$TMP/nats$i", max_memory_store: 64MB, max_file_store: 1GB }
${NATS_EXTRA:-}
cluster { name: seamtest, listen: 127.0.0.1:${ports[$((i + 3))]}, routes: [$routes] }
EOC
        nats-server -c "$TMP/nats$i.conf" >"$TMP/nats$i.log" 2>&1 &
        NATS_PIDS+=($!)
    done
    NATS_URLS="[\"nats://127.0.0.1:${ports[0]}\", \"nats://127.0.0.1:${ports[1]}\", \"nats://127.0.0.1:${ports[2]}\"]"
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
