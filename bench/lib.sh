# bench/lib.sh: what the benches share (sourced by run.sh and replication.sh, which set ROOT,
# T, THREADS and CONNS first).

# wrk NAME SECONDS URL [SCRIPT ARGS...]: runs wrk, records rps, p50, p99 (ms),
# requests and non-2xx answers in $T/NAME.
run_wrk() {
    local name=$1 secs=$2 url=$3
    shift 3
    local args=(-t$THREADS -c$CONNS -d"${secs}s" --latency)
    if [ $# -gt 0 ]; then
        args+=(-s "$ROOT/bench/$1.lua" "$url")
        shift
        args+=(-- "$@")
    else
        args+=("$url")
    fi
    (cd "$T" && wrk "${args[@]}") >"$T/r.$name.wrk"
    awk -v name="$name" '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /s$/)  return substr(v, 1, length(v) - 1) * 1000
            return v
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        /requests in/ { total = $1 }
        /Non-2xx/ { bad = $NF }
        /^Requests\/sec:/ { rps = $2 }
        END { printf "%s %.0f %.2f %.2f %d %d\n", name, rps, p50, p99, total, bad + 0 }
    ' "$T/r.$name.wrk" >"$T/r.$name"
}
