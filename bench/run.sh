#!/usr/bin/env bash
# make bench: seam against nginx serving a static file, in the same run, with
# the same wrk settings (64 connections, 2 threads). The broker is the
# optimised build, durable (no MDB_NOSYNC), on the example federation with
# its real rules and a fresh store in a temporary directory.
#
#   BENCH_SECONDS   length of each wrk run (default 10)
#   BENCH_TICKETS   store size for the "full store" creation rate (default
#                   1000000; 0 skips that phase)
#   BENCH_SCALE_TICKETS  store size of the scale rows (default 1000000; 0 skips
#                   them), BENCH_SCALE_SECONDS each of their wrk runs (default
#                   5): see bench/scale.sh
#   BENCH_OUT       also write the table (markdown) to this file
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build-bench}
DUR=${BENCH_SECONDS:-10}
TICKETS=${BENCH_TICKETS:-1000000}
CONNS=64
THREADS=2
SEAM_EXTRA_PKGS="wrk nginx" scripts/deps.sh
make --no-print-directory BUILD="$BUILD" CFLAGS="-O2 -g" "$BUILD/seam-broker" "$BUILD/seamctl" >/dev/null

T=$(mktemp -d "${TMPDIR:-/tmp}/seam-bench.XXXXXX")
BPID= NPID=
cleanup() {
    [ -z "$BPID" ] || kill "$BPID" 2>/dev/null || true
    [ -z "$NPID" ] || kill "$NPID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
free_port() { python3 - <<'PY' 2>/dev/null || echo $((20000 + RANDOM % 20000))
import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
PY
}

# --- nginx: the ceiling of HTTP on this machine ------------------------------
NPORT=$(free_port)
mkdir -p "$T/nginx/www" "$T/nginx/tmp"
head -c 512 /dev/zero | tr '\0' 'x' >"$T/nginx/www/static.txt"
cat >"$T/nginx/nginx.conf" <<CONF
worker_processes 2;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $T/nginx/tmp;
    proxy_temp_path $T/nginx/tmp;
    fastcgi_temp_path $T/nginx/tmp;
    uwsgi_temp_path $T/nginx/tmp;
    scgi_temp_path $T/nginx/tmp;
    server {
        listen 127.0.0.1:$NPORT;
        root $T/nginx/www;
    }
}
CONF
chmod -R a+rX "$T"
nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -e "$T/nginx/error.log" &
NPID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$NPORT/static.txt" >/dev/null && break; sleep 0.05; done

# --- seam --------------------------------------------------------------------
DATA=$T/data
# The example federation; wrk's 64 connections all come from 127.0.0.1, the
# default per-address limit (limits.max_connections_per_ip, 64), so the
# limit is raised: a connection still closing from one run must not refuse
# one of the next.
CONF=$T/seam.json
jq '.limits.max_connections_per_ip = 1024' "$ROOT/conf/seam.json" >"$CONF"
ctl() { "$BUILD/seamctl" -d "$DATA" -c "$CONF" "$@"; }
ctl init >/dev/null
: >"$T/tokens.txt"
for i in $(seq 1 16); do
    region=north
    [ $((i % 2)) = 0 ] && region=south
    ctl customer add "bench$i" --name "Bench customer $i" --bundle triple-play --region $region \
        --contact "bench$i@example.net" >/dev/null
    ctl token issue --role customer --subject "bench$i" 2>/dev/null >>"$T/tokens.txt"
done
LEAD=$(ctl token issue --role lead --subject ops 2>/dev/null)
PARTNER=$(ctl token issue --role partner --subject nordtel 2>/dev/null)
PARTNER2=$(ctl token issue --role partner --subject fibernet 2>/dev/null)
"$BUILD/seam-broker" -c "$CONF" -d "$DATA" -l 127.0.0.1:0 >"$T/broker.log" 2>&1 &
BPID=$!
SPORT=
for _ in $(seq 1 200); do
    SPORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/broker.log" | head -1)
    [ -n "$SPORT" ] && break
    sleep 0.05
done
[ -n "$SPORT" ] || { cat "$T/broker.log"; exit 1; }
S=http://127.0.0.1:$SPORT

. "$ROOT/bench/lib.sh"
field() { awk -v i="$2" '{ print $i }' "$T/r.$1"; }
metric() { curl -s "$S/metrics" | sed -n "s/^$1 //p"; }

echo "seam bench: $(date -u +%Y-%m-%d), $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "each run: wrk -t$THREADS -c$CONNS -d${DUR}s"

run_wrk nginx "$DUR" "http://127.0.0.1:$NPORT/static.txt"
run_wrk post "$DUR" "$S/v1/tickets" post tokens.txt
batch_mean=$(metric seam_store_batch_size_mean)
created=$(($(field post 5) - $(field post 6)))

curl -s -H "Authorization: Bearer $LEAD" "$S/v1/tickets?limit=200" | jq -r '.items[].id' >"$T/ids.txt"
run_wrk get "$DUR" "$S/v1/tickets/x" get "$LEAD" "$T/ids.txt"
run_wrk pull "$DUR" "$S/v1/assignments?limit=50" pull "$PARTNER"

# Enough claims for the ack run: more complaints, then every assignment the
# two pull partners have not yet acknowledged, as "token id" lines.
run_wrk fill_acks "$((DUR * 2))" "$S/v1/tickets" post tokens.txt
created=$((created + $(field fill_acks 5) - $(field fill_acks 6)))
: >"$T/assigned.txt"
for p in "$PARTNER" "$PARTNER2"; do
    cursor=
    while :; do
        curl -s -H "Authorization: Bearer $p" \
            "$S/v1/assignments?state=assigned&limit=200${cursor:+&cursor=$cursor}" >"$T/page.json"
        jq -r --arg t "$p" '.items[] | $t + " " + .id' "$T/page.json" >>"$T/assigned.txt"
        cursor=$(jq -r '.next_cursor // empty' "$T/page.json")
        [ -n "$cursor" ] || break
    done
done

run_wrk ack "$DUR" "$S/v1/assignments/x/ack" ack "$T/assigned.txt" $THREADS

rss_kb() { sed -n "s/^${1:-VmHWM}:[[:space:]]*\([0-9]*\).*/\1/p" "/proc/$BPID/status"; }
rss_small=$(rss_kb)

if [ "$TICKETS" -gt 0 ]; then
    echo "filling the store to $TICKETS tickets ..."
    while [ "$created" -lt "$TICKETS" ]; do
        rps=$(field post 2)
        left=$((TICKETS - created))
        secs=$(awk -v l="$left" -v r="$rps" 'BEGIN { s = int(l / (r > 0 ? r : 1000)) + 1; print (s > 60 ? 60 : s) }')
        run_wrk fill "$secs" "$S/v1/tickets" post tokens.txt
        created=$((created + $(field fill 5) - $(field fill 6)))
        echo "  $created tickets"
    done
    run_wrk post_full "$DUR" "$S/v1/tickets" post tokens.txt
    created=$((created + $(field post_full 5) - $(field post_full 6)))
fi
# nginx once more at the end: the machine is shared, so the ceiling is the
# better of the two runs (which makes every ratio the more conservative).
run_wrk nginx2 "$DUR" "http://127.0.0.1:$NPORT/static.txt"
if awk -v a="$(field nginx2 2)" -v b="$(field nginx 2)" 'BEGIN { exit !(a > b) }'; then
    cp "$T/r.nginx2" "$T/r.nginx"
fi
rss_peak=$(rss_kb)
rss_anon=$(rss_kb RssAnon)
rss_file=$(rss_kb RssFile)
store_mb=$(($(metric seam_store_used_bytes) >> 20))

nginx_rps=$(field nginx 2)
{
    echo
    echo "| workload | requests/s | p50 ms | p99 ms | non-2xx | ratio to nginx | target |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    row() { # name label target
        awk -v l="$2" -v t="$3" -v n="$nginx_rps" '{ printf "| %s | %d | %.2f | %.2f | %d | %.3f | %s |\n", l, $2, $3, $4, $6, $2 / n, t }' "$T/r.$1"
    }
    row nginx "nginx, static file (the ceiling: the better of two runs)" "1"
    row post "POST /v1/tickets (empty store)" "≥ 0.15, p99 ≤ 20 ms"
    row get "GET /v1/tickets/{id} (lead)" "≥ 0.7"
    row pull "GET /v1/assignments?limit=50 (partner)" "≥ 0.36"
    row ack "POST /v1/assignments/{id}/ack (partner)" "≥ 0.12"
    [ "$TICKETS" -gt 0 ] && row post_full "POST /v1/tickets (store of $TICKETS)" "≥ 0.8 × empty"
    echo
    echo "- mean commit batch during the POST run: $batch_mean requests per durable commit"
    echo "- tickets in the store at the end: $created; store size $store_mb MiB"
    echo "- broker peak RSS: $((rss_small / 1024)) MiB after the four workloads, $((rss_peak / 1024)) MiB at the end;"
    echo "  at the end $((rss_anon / 1024)) MiB of it is the process's own memory (RssAnon) and"
    echo "  $((rss_file / 1024)) MiB pages of the store's memory map (RssFile: the kernel's page cache, shared, reclaimable)"
    if [ "$TICKETS" -gt 0 ]; then
        awk -v a="$(field post 2)" -v b="$(field post_full 2)" \
            'BEGIN { printf "- creation rate with the full store: %.0f%% of the empty store'"'"'s\n", 100 * b / a }'
    fi
} | tee "${BENCH_OUT:-/dev/null}"

# --- scale rows (issue 17): BENCH_SCALE_TICKETS filled through the API -------
# Their own broker and store (bench/scale.sh); this run's broker and nginx
# are stopped first so that they take nothing from it.
kill "$BPID" "$NPID" 2>/dev/null || true
wait 2>/dev/null || true
BPID= NPID=
BUILD="$BUILD" bench/scale.sh
