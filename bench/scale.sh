#!/usr/bin/env bash
# bench/scale.sh: the scale rows of make bench (issue 17). A store of
# BENCH_SCALE_TICKETS tickets (default 1,000,000; 0 skips) is filled through
# the API by seam-fill (tests/tools/fill.c): several customers of every
# bundle and region, a mix of services, symptoms, equipment and priorities,
# hand-backs (some ending with the lead, disputed), acknowledgements and
# resolutions, twelve batches a month apart on the test clock (seam-broker
# -T), so that creation times span a year and what is left open breaches.
# Then, on that store, with the broker that filled it:
#   - p99 of each lead list filter of GET /v1/tickets and of the TMF621 list
#     with a filter (wrk, BENCH_SCALE_SECONDS each, 8 connections);
#   - p99 of GET /v1/audit/sla over the year;
#   - the creation rate (wrk POST, BENCH_SCALE_SECONDS) with this broker, then
#     with one built with -DSEAM_NO_INDEXES on the same store, if the sources
#     honour that define (else a line says it is skipped), each started
#     afresh at the clock where the one before stopped;
#   - seamctl verify's peak resident set (/usr/bin/time), the broker's peak
#     resident set through the whole run (VmHWM).
# It prints a table, measured against the issue's targets, and appends it
# to BENCH_OUT if set. Run by bench/run.sh; runs alone too:
#   BENCH_SCALE_TICKETS=20000 bench/scale.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
N=${BENCH_SCALE_TICKETS:-1000000}
DUR=${BENCH_SCALE_SECONDS:-5}
BUILD=${BUILD:-build-bench}
if [ "$N" -eq 0 ]; then
    echo "scale rows: skipped (BENCH_SCALE_TICKETS=0)"
    exit 0
fi
make --no-print-directory BUILD="$BUILD" CFLAGS="-O2 -g" "$BUILD/seam-broker" "$BUILD/seamctl" \
    "$BUILD/tests/seam-fill" >/dev/null
NOIDX=
if grep -rqs 'SEAM_NO_INDEXES' broker include; then
    NOIDX=$BUILD-noidx
    make --no-print-directory BUILD="$NOIDX" CFLAGS="-O2 -g -DSEAM_NO_INDEXES" \
        "$NOIDX/seam-broker" >/dev/null
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/seam-scale.XXXXXX")
BPID=
cleanup() {
    local rc=$?
    [ -z "$BPID" ] || kill "$BPID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$rc" = 0 ]; then
        rm -rf "$T"
    else # the broker's log and the store, to see what went wrong
        echo "scale rows: failed; kept $T (broker.log, data/)" >&2
    fi
}
trap cleanup EXIT

DATA=$T/data
CONF=$T/seam.json
# Every partner pulls (no push endpoint to fail); wrk's connections all come from 127.0.0.1;
# seam-fill's connections wait idle while one of them pulls a partner's queue (minutes, at a
# million tickets), longer than the default idle timeouts (a kept-alive connection is closed
# after limits.header_timeout_s without a request).
jq '.limits.max_connections_per_ip = 1024 | .limits.connection_timeout_s = 3600 |
    .limits.header_timeout_s = 3600 |
    .partners |= map(if .delivery.mode == "push" then .delivery = {"mode":"pull"} else . end)' \
    conf/seam.json >"$CONF"
ctl() { "$BUILD/seamctl" -d "$DATA" -c "$CONF" "$@"; }
ctl init >/dev/null
: >"$T/customers.txt"
bundles=(triple-play tv-internet phone-only triple-play)
for i in $(seq 1 48); do
    region=north
    [ $((i % 2)) = 0 ] && region=south
    ctl customer add "scale$i" --name "Scale customer $i" --bundle "${bundles[$((i % 4))]}" \
        --region $region --contact "scale$i@example.net" >/dev/null
    ctl token issue --role customer --subject "scale$i" 2>/dev/null >>"$T/customers.txt"
done
: >"$T/partners.txt"
for p in $(jq -r '.partners[].id' "$CONF"); do
    echo "$p $(ctl token issue --role partner --subject "$p" 2>/dev/null)" >>"$T/partners.txt"
done
LEAD=$(ctl token issue --role lead --subject ops 2>/dev/null)

start() { # BROKER-BINARY
    "$1" -c "$CONF" -d "$DATA" -l 127.0.0.1:0 -T "$CLOCK" >"$T/broker.log" 2>&1 &
    BPID=$!
    PORT=
    for _ in $(seq 1 600); do
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/broker.log" | head -1)
        [ -n "$PORT" ] && return 0
        kill -0 "$BPID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$T/broker.log"
    return 1
}
stop() {
    kill "$BPID" 2>/dev/null || true
    wait "$BPID" 2>/dev/null || true
    BPID=
}
hwm_kb() { sed -n "s/^${1:-VmHWM}:[[:space:]]*\([0-9]*\).*/\1/p" "/proc/$BPID/status"; }
store_mb() { echo $(($(stat -c %s "$DATA/data.mdb") >> 20)); }

# The test clock starts a minute ahead (it may not start in the past) and ends the fill a year on.
CLOCK=$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)
YEAR_FROM=$CLOCK
YEAR_TO=$(date -u -d "$CLOCK + 365 days" +%Y-%m-%dT%H:%M:%SZ)
# The report over whole days (the lead's), as an auditor asks for a year: the aggregates answer it.
YEAR_DAY_FROM=$(date -u -d "$CLOCK" +%Y-%m-%d)
YEAR_DAY_TO=$(date -u -d "$CLOCK + 366 days" +%Y-%m-%d)
MONTH_FROM=$(date -u -d "$CLOCK + 150 days" +%Y-%m-%dT00:00:00Z)
MONTH_TO=$(date -u -d "$CLOCK + 180 days" +%Y-%m-%dT00:00:00Z)
start "$BUILD/seam-broker"
S=http://127.0.0.1:$PORT

echo "scale rows: filling $N tickets through the API (seam-fill, 12 batches a month apart) ..."
fill_start=$(date +%s)
"$BUILD/tests/seam-fill" -p "$PORT" -n "$N" -b 12 -d 30 -c 64 -C "$T/customers.txt" \
    -P "$T/partners.txt" -L "$LEAD" >"$T/fill.out"
fill_secs=$(($(date +%s) - fill_start))
fill_rate=$(sed -n 's/^filing_rate //p' "$T/fill.out")
echo "  filled in $fill_secs s ($(sed -n 's/^requests //p' "$T/fill.out") requests); store $(store_mb) MiB"
echo "  of which $(awk '/^seconds_/ { sub("seconds_", "", $1); printf "%s%s %s s", sep, $1, $2; sep = ", " }' "$T/fill.out")"

# wrk_get NAME PATH: p99 and requests/s of GETs of PATH by the lead, in $T/g.NAME ("p99 rps non2xx").
wrk_get() {
    local name=$1 path=$2
    curl -s -o "$T/g.$name.body" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $LEAD" \
        "$S$path" >"$T/g.$name.code"
    wrk -t2 -c8 -d"${DUR}s" --latency -H "Authorization: Bearer $LEAD" "$S$path" >"$T/g.$name.wrk"
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
            return v
        }
        $1 == "99%" { p99 = ms($2) }
        /Non-2xx/ { bad = $NF }
        /^Requests\/sec:/ { rps = $2 }
        END { printf "%.2f %.0f %d\n", p99, rps, bad + 0 }
    ' "$T/g.$name.wrk" >"$T/g.$name"
}
LISTS=(
    "status|/v1/tickets?status=acknowledged&limit=50"
    "status (resolved)|/v1/tickets?status=resolved&limit=50"
    "flag=disputed|/v1/tickets?flag=disputed&limit=50"
    "flag=breached|/v1/tickets?flag=breached&limit=50"
    "owner=fibernet|/v1/tickets?owner=fibernet&limit=50"
    "owner=the lead|/v1/tickets?owner=$(jq -r .lead.id conf/seam.json)&limit=50"
    "partner=nordtel|/v1/tickets?partner=nordtel&limit=50"
    "priority=urgent|/v1/tickets?priority=urgent&limit=50"
    "service=tv|/v1/tickets?service=tv&limit=50"
    "service=phone, status=resolved|/v1/tickets?service=phone&status=resolved&limit=50"
    "created_from/created_to (a month)|/v1/tickets?created_from=$MONTH_FROM&created_to=$MONTH_TO&limit=50"
    "TMF621 status=acknowledged|/tmf-api/troubleTicket/v4/troubleTicket?status=acknowledged&limit=50"
    "audit/sla over the year|/v1/audit/sla?from=$YEAR_DAY_FROM&to=$YEAR_DAY_TO"
)
echo "  measuring the lists and the SLA report (${DUR} s each) ..."
i=0
for l in "${LISTS[@]}"; do
    wrk_get "l$i" "${l#*|}"
    i=$((i + 1))
done

# Creation: each broker started afresh on the full store at the clock where the filling one
# stopped (neither works off SLA instants the other does not): this one, then the one without
# index maintenance (last: it marks the store's indexes as not built).
post_rate() { # NAME
    (cd "$T" && wrk -t2 -c64 -d"${DUR}s" --latency -s "$ROOT/bench/post.lua" "$S/v1/tickets" \
        -- customers.txt) >"$T/p.$1.wrk"
    awk '/^Requests\/sec:/ { printf "%.0f\n", $2 }' "$T/p.$1.wrk" >"$T/p.$1"
}
clock_now() {
    curl -s -X POST -H "Authorization: Bearer $LEAD" -H 'Content-Type: application/json' \
        -d '{"advance_ms":0}' "$S/v1/test/clock" | jq -r .now
}
NOW=$(clock_now)
broker_hwm=$(hwm_kb)
broker_anon=$(hwm_kb RssAnon)
broker_file=$(hwm_kb RssFile)
stop
echo "  creation rate on the full store ..."
size_idx=$(store_mb)
CLOCK=$(date -u -d "$NOW + 1 minute" +%Y-%m-%dT%H:%M:%SZ)
start "$BUILD/seam-broker"
S=http://127.0.0.1:$PORT
post_rate idx
NOW=$(clock_now)
post_hwm=$(hwm_kb)
[ "$post_hwm" -le "$broker_hwm" ] || broker_hwm=$post_hwm
stop
noidx_line=
if [ -n "$NOIDX" ]; then
    size_noidx=$(store_mb)
    CLOCK=$(date -u -d "$NOW + 1 minute" +%Y-%m-%dT%H:%M:%SZ) # where this one stopped
    if start "$NOIDX/seam-broker"; then
        S=http://127.0.0.1:$PORT
        post_rate noidx
        stop
    else
        noidx_line="the broker built with -DSEAM_NO_INDEXES did not start on the store (see above)"
    fi
else
    noidx_line="skipped: the sources do not honour -DSEAM_NO_INDEXES, so there is no broker without index maintenance to compare with"
fi

echo "  seamctl verify ..."
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M %e' -o "$T/verify.time" "$BUILD/seamctl" -d "$DATA" -c "$CONF" verify \
        >"$T/verify.out" 2>&1 || true
    verify_kb=$(awk '{ print $1 }' "$T/verify.time" | tail -1)
    verify_s=$(awk '{ print $2 }' "$T/verify.time" | tail -1)
else # its VmHWM, looked at five times a second until it ends
    v0=$(date +%s)
    "$BUILD/seamctl" -d "$DATA" -c "$CONF" verify >"$T/verify.out" 2>&1 &
    vpid=$! verify_kb=0
    while kill -0 "$vpid" 2>/dev/null; do
        k=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$vpid/status" 2>/dev/null || true)
        [ -z "$k" ] || verify_kb=$k
        sleep 0.2
    done
    wait "$vpid" || true
    verify_s=$(($(date +%s) - v0))
fi

{
    echo
    echo "### Scale rows: a store of $N tickets filled through the API"
    echo
    echo "Filled in $fill_secs s (filing at $fill_rate tickets/s while filling); store $(store_mb) MiB."
    echo
    echo "| measure | measured | target |"
    echo "|---|---:|---:|"
    i=0
    for l in "${LISTS[@]}"; do
        name=${l%%|*}
        target="≤ 20 ms"
        [[ "$name" == audit* ]] && target="≤ 50 ms"
        read -r p99 rps bad <"$T/g.l$i"
        read -r code secs <"$T/g.l$i.code"
        extra=
        [ "$code" = 200 ] || extra=" (answered $code: $(head -c 120 "$T/g.l$i.body"))"
        [ "$bad" = 0 ] || extra="$extra ($bad non-2xx)"
        if [ "$rps" = 0 ]; then # not one answer within the run
            echo "| \`GET ${l#*|}\` | none within ${DUR} s; one request alone took $secs s$extra | $target |"
        else
            echo "| \`GET ${l#*|}\` p99 | $p99 ms at $rps/s$extra | $target |"
        fi
        i=$((i + 1))
    done
    idx=$(cat "$T/p.idx")
    echo "| \`POST /v1/tickets\` with indexes (store $size_idx MiB) | $idx/s | |"
    if [ -z "$noidx_line" ]; then
        noidx=$(cat "$T/p.noidx")
        echo "| \`POST /v1/tickets\` without index maintenance (store $size_noidx MiB) | $noidx/s | |"
        awk -v a="$idx" -v b="$noidx" \
            'BEGIN { printf "| creation rate with indexes / without | %.0f%% | ≥ 90%% |\n", 100 * a / b }'
    else
        echo "| creation rate with indexes / without | $noidx_line | ≥ 90% |"
    fi
    echo "| \`seamctl verify\` peak resident set | $((verify_kb / 1024)) MiB ($verify_s s; $(tail -1 "$T/verify.out" | cut -c1-60)) | ≤ 150 MiB |"
    echo "| broker peak resident set (VmHWM), fill and measures | $((broker_hwm / 1024)) MiB (after the lists $((broker_anon / 1024)) MiB its own, RssAnon; $((broker_file / 1024)) MiB the store's map, RssFile) | ≤ 200 MiB |"
} | tee -a "${BENCH_OUT:-/dev/null}"
