#!/usr/bin/env bash
# make bench-replication: the creation rate and its p99 of one node alone and
# of a replicated leader (three nats-server processes clustered on this
# machine, a stream of three replicas, a standby following), in the same
# run with the same wrk settings as make bench (2 threads, 64 connections),
# and the standby's read throughput next to the leader's. Everything on one
# machine: a floor, not a datacentre figure. The failover time is
# tests/e2e/t_failover.sh's.
#
#   BENCH_SECONDS   length of each wrk run (default 10)
#   BENCH_OUT       also write the table (markdown) to this file
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build-bench}
DUR=${BENCH_SECONDS:-10}
CONNS=64
THREADS=2
SEAM_EXTRA_PKGS="wrk" scripts/deps.sh
make --no-print-directory BUILD="$BUILD" CFLAGS="-O2 -g" "$BUILD/seam-broker" "$BUILD/seamctl" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/seam-bench-repl.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
free_ports() {
    python3 -c '
import socket, sys
ss = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in ss: s.bind(("127.0.0.1", 0))
for s in ss: print(s.getsockname()[1])
for s in ss: s.close()' "$1"
}

# --- three NATS servers, one JetStream cluster ---------------------------------
mapfile -t NP < <(free_ports 6)
routes="nats-route://127.0.0.1:${NP[3]}, nats-route://127.0.0.1:${NP[4]}, nats-route://127.0.0.1:${NP[5]}"
for i in 0 1 2; do
    mkdir -p "$T/nats$i"
    cat >"$T/nats$i.conf" <<EOC
server_name: n$i
listen: 127.0.0.1:${NP[$i]}
jetstream { store_dir: "$T/nats$i", max_memory_store: 64MB, max_file_store: 4GB }
cluster { name: seambench, listen: 127.0.0.1:${NP[$((i + 3))]}, routes: [$routes] }
EOC
    nats-server -c "$T/nats$i.conf" >"$T/nats$i.log" 2>&1 &
    PIDS+=($!)
done
URLS="[\"nats://127.0.0.1:${NP[0]}\", \"nats://127.0.0.1:${NP[1]}\", \"nats://127.0.0.1:${NP[2]}\"]"

# --- one store, copied for each broker -----------------------------------------
jq '.limits.max_connections_per_ip = 1024' "$ROOT/conf/seam.json" >"$T/single.json"
jq --argjson s "$URLS" '.replication = {servers: $s, stream: "seambench", leader: "a"}' \
    "$T/single.json" >"$T/repl.json"
ctl() { "$BUILD/seamctl" -d "$T/seed" -c "$T/repl.json" "$@"; }
ctl init >/dev/null
: >"$T/tokens.txt"
for i in $(seq 1 16); do
    ctl customer add "bench$i" --name "Bench customer $i" --bundle triple-play --region north \
        --contact "bench$i@example.net" >/dev/null
    ctl token issue --role customer --subject "bench$i" 2>/dev/null >>"$T/tokens.txt"
done
LEAD=$(ctl token issue --role lead --subject ops 2>/dev/null)
for d in single a b; do cp -a "$T/seed" "$T/data.$d"; done
for _ in $(seq 1 60); do ctl replication init >/dev/null 2>&1 && break; sleep 0.5; done

start() { # NAME CONF [ARGS]: a broker on a free port; sets PORT
    local name=$1 conf=$2
    shift 2
    "$BUILD/seam-broker" -c "$conf" -d "$T/data.$name" -l 127.0.0.1:0 "$@" >"$T/$name.log" 2>&1 &
    PIDS+=($!)
    PORT=
    for _ in $(seq 1 200); do
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/$name.log" | head -1)
        [ -n "$PORT" ] && return 0
        sleep 0.05
    done
    cat "$T/$name.log"
    exit 1
}
. "$ROOT/bench/lib.sh"

echo "seam replication bench: $(date -u +%Y-%m-%d), $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "each run: wrk -t$THREADS -c$CONNS -d${DUR}s"

start single "$T/single.json"
run_wrk post_single "$DUR" "http://127.0.0.1:$PORT/v1/tickets" post tokens.txt
curl -s -H "Authorization: Bearer $LEAD" "http://127.0.0.1:$PORT/v1/tickets?limit=200" |
    jq -r '.items[].id' >"$T/ids.single"
run_wrk get_single "$DUR" "http://127.0.0.1:$PORT/v1/tickets/x" get "$LEAD" "$T/ids.single"
kill "${PIDS[-1]}"
wait "${PIDS[-1]}" 2>/dev/null || true

start a "$T/repl.json" -N a
LPORT=$PORT
start b "$T/repl.json" -N b
SPORT=$PORT
run_wrk post_leader "$DUR" "http://127.0.0.1:$LPORT/v1/tickets" post tokens.txt
curl -s -H "Authorization: Bearer $LEAD" "http://127.0.0.1:$LPORT/v1/tickets?limit=200" |
    jq -r '.items[].id' >"$T/ids.repl"
seq_of() { curl -s -D - -o /dev/null -H "Authorization: Bearer $LEAD" "http://127.0.0.1:$1/v1/audit/checkpoint" |
    tr -d '\r' | sed -n 's/^[Ss]eam-[Rr]eplica-[Ss]eq: //p'; }
caught=0
for _ in $(seq 1 600); do
    [ "$(seq_of "$SPORT")" = "$(seq_of "$LPORT")" ] && { caught=1; break; }
    sleep 0.05
done
run_wrk get_leader "$DUR" "http://127.0.0.1:$LPORT/v1/tickets/x" get "$LEAD" "$T/ids.repl"
run_wrk get_standby "$DUR" "http://127.0.0.1:$SPORT/v1/tickets/x" get "$LEAD" "$T/ids.repl"
batches=$(seq_of "$LPORT")

{
    echo
    echo "| workload | requests/s | p50 ms | p99 ms | non-2xx |"
    echo "|---|---:|---:|---:|---:|"
    row() { awk -v l="$2" '{ printf "| %s | %d | %.2f | %.2f | %d |\n", l, $2, $3, $4, $6 }' "$T/r.$1"; }
    row post_single "POST /v1/tickets, one node alone"
    row post_leader "POST /v1/tickets, replicated leader (stream of 3 replicas)"
    row get_single "GET /v1/tickets/{id} (lead), one node alone"
    row get_leader "GET /v1/tickets/{id} (lead), replicated leader"
    row get_standby "GET /v1/tickets/{id} (lead), standby"
    echo
    echo "- the leader's creation rate: $(awk -v a="$(awk '{ print $2 }' "$T/r.post_leader")" \
        -v b="$(awk '{ print $2 }' "$T/r.post_single")" 'BEGIN { printf "%.0f%%", 100 * a / b }') of one node's"
    echo "- batches appended to the stream: $batches; the standby $([ $caught = 1 ] && echo "had applied them all before its read run" || echo "was still behind at its read run")"
} | tee "${BENCH_OUT:-/dev/null}"
