# tests/e2e/lib.sh: shared by the end-to-end scripts. Each script starts the
# real seam-broker on a free loopback port with a temporary data directory,
# talks HTTP to it with curl, prints TAP, and calls finish. The directory is
# removed on success and kept (its path printed) on failure.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
BROKER=$ROOT/$BUILD/seam-broker
SEAMCTL=$ROOT/$BUILD/seamctl
CONF=${CONF:-$ROOT/conf/seam.json}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/seam-e2e.XXXXXX")
DATA=$TMP/data
T_N=0
T_FAIL=0
BPID=
PORT=
STARTS=0
# Under tests/run.sh (SEAM_RUN_LOGS set), the scripts listed in
# tests/contract/scripts capture their answers there for t_contract.sh, which
# then validates them instead of running those scripts a second time.
if [ -z "${SEAM_CAPTURE:-}" ] && [ -n "${SEAM_RUN_LOGS:-}" ] &&
    grep -qx "$(basename "$0" .sh)" "$ROOT/tests/contract/scripts" 2>/dev/null; then
    SEAM_CAPTURE=$SEAM_RUN_LOGS/$(basename "$0" .sh).jsonl
fi

ok() { # status description
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $T_N - $2"
    else
        echo "not ok $T_N - $2"
        T_FAIL=$((T_FAIL + 1))
    fi
}

check() { # description command...
    local d=$1
    shift
    if "$@" >"$TMP/last.out" 2>&1; then ok 0 "$d"; else ok 1 "$d"; sed 's/^/# /' "$TMP/last.out"; fi
}

refute() { # description command...: passes when the command fails
    local d=$1
    shift
    if "$@" >"$TMP/last.out" 2>&1; then ok 1 "$d"; sed 's/^/# /' "$TMP/last.out"; else ok 0 "$d"; fi
}

matches() { [[ "$1" =~ $2 ]]; } # string regex

ctl() { "$SEAMCTL" -d "$DATA" -c "$CONF" "$@"; }

# conf_with FILTER [JQ-OPTIONS...]: the example federation changed by a jq
# filter becomes CONF (a new file each time).
conf_with() {
    local filter=$1
    shift
    CONF_N=$((${CONF_N:-0} + 1))
    CONF=$TMP/conf$CONF_N.json
    jq "$@" "$filter" "$ROOT/conf/seam.json" >"$CONF" || { echo "Bail out! jq: $filter"; exit 1; }
}

init_store() {
    ctl init >"$TMP/pubkey" || { echo "Bail out! seamctl init failed"; exit 1; }
}

start_broker() {
    STARTS=$((STARTS + 1))
    local log=$TMP/broker.$STARTS.log
    # SEAM_BROKER_WRAPPER runs the broker under a tool, e.g. "valgrind -q --error-exitcode=99".
    ${SEAM_BROKER_WRAPPER:-} "$BROKER" -c "$CONF" -d "$DATA" -l "127.0.0.1:${BPORT:-0}" "$@" >"$log" 2>&1 &
    BPID=$!
    for _ in $(seq 1 400); do
        PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
        [ -n "$PORT" ] && return 0
        kill -0 "$BPID" 2>/dev/null || break
        sleep 0.05
    done
    echo "Bail out! the broker did not start; see $log"
    cat "$log"
    exit 1
}

stop_broker() { # asserts a clean exit: status 0, no sanitizer report
    [ -n "$BPID" ] || return 0
    kill -TERM "$BPID" 2>/dev/null
    wait "$BPID" 2>/dev/null
    local rc=$? log=$TMP/broker.$STARTS.log
    BPID=
    if [ $rc -ne 0 ] || grep -q -E 'Sanitizer|runtime error' "$log"; then
        ok 1 "the broker stopped cleanly (status $rc; see $log)"
        grep -E -A20 'Sanitizer|runtime error' "$log" | sed 's/^/# /' | head -40
    else
        ok 0 "the broker stopped cleanly"
    fi
}

kill9_broker() {
    [ -n "$BPID" ] || return 0
    kill -9 "$BPID" 2>/dev/null
    wait "$BPID" 2>/dev/null
    BPID=
}

URL() { echo "http://127.0.0.1:$PORT$1"; }

# req METHOD PATH TOKEN [BODY [CONTENT-TYPE]]: sets STATUS; the body is in $TMP/body.
req() {
    local method=$1 path=$2 token=$3 body=${4-} ctype=${5-application/json}
    local args=(-s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$method")
    [ -n "$token" ] && args+=(-H "Authorization: Bearer $token")
    if [ $# -ge 4 ]; then
        args+=(-H "Content-Type: $ctype" --data-binary "$body")
    fi
    STATUS=$(curl "${args[@]}" "$(URL "$path")")
    [ -z "${SEAM_CAPTURE:-}" ] || capture "$method" "$path"
}

# With SEAM_CAPTURE=FILE, each answer req gets is appended to FILE as one JSON
# line (method, path, status, content type, body), for tests/contract/validate.js
# to check against docs/openapi.yaml.
capture() { # METHOD PATH
    jq -nc --arg m "$1" --arg p "$2" --arg s "$STATUS" --arg t "$(header content-type)" \
        --rawfile b "$TMP/body" '{method: $m, path: $p, status: ($s | tonumber), type: $t, body: $b}' \
        >>"$SEAM_CAPTURE"
}

body() { cat "$TMP/body"; }
jbody() { jq -r "$1" "$TMP/body"; }
# jref: a TMF621 error's referenceError (urn:seam:field:PATH or
# urn:seam:parameter:NAME, percent-encoded) as the plain attribute or argument.
jref() {
    local s
    s=$(jq -r '.referenceError // empty' "$TMP/body")
    s=${s#urn:seam:*:}
    printf '%b' "${s//%/\\x}"
}
header() { grep -i "^$1:" "$TMP/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

# A customer with a token: new_customer ID [BUNDLE REGION [MORE-ARGS...]] -> prints the token
# (MORE-ARGS: seamctl customer add's, e.g. --fact country=no)
new_customer() {
    ctl customer add "$1" --name "Customer $1" --bundle "${2:-triple-play}" \
        --region "${3:-north}" --contact "$1@example.net" "${@:4}" >/dev/null &&
        ctl token issue --role customer --subject "$1" 2>/dev/null
}

new_token() { ctl token issue --role "$1" --subject "$2" 2>/dev/null; }

TICKET_BODY='{"summary":"No internet since this morning","description":"All router lights are red.","service":"internet","symptom":"no_service","equipment":"router","priority":"high"}'

# all_tickets JQ FILE [FILTERS]: JQ over every ticket the lead sees (that pass
# FILTERS, e.g. "service=tv"), page by page, into FILE.
all_tickets() {
    local cursor=""
    : >"$2"
    while :; do
        req GET "/v1/tickets?${3:+$3&}limit=200${cursor:+&cursor=$cursor}" "$LEAD"
        jq -c ".items[] | $1" "$TMP/body" >>"$2"
        cursor=$(jbody '.next_cursor // empty')
        [ -n "$cursor" ] || break
    done
}

# ev_open FILE: an evidence document's events as one JSON array, each
# shown event parsed with its disclosed members put back into its data (an
# event given by hash only stays {"hash":...}).
ev_open() {
    jq -c '[.events[] | if .event then ((.event | fromjson) as $e
        | reduce ((.disclosures // [])[] | fromjson) as $d ($e; .data[$d[1]] = $d[2])) else . end]' "$1"
}

tree_size() { # the evidence log's size, through the lead's API
    curl -s -H "Authorization: Bearer $LEAD" "$(URL /v1/audit/checkpoint)" | jq -r .tree_size
}

finish() {
    stop_broker
    [ -z "${SIMPID:-}" ] || kill "$SIMPID" 2>/dev/null
    echo "1..$T_N"
    if [ "$T_FAIL" -gt 0 ]; then
        echo "# kept $TMP for inspection"
        exit 1
    fi
    rm -rf "$TMP"
    exit 0
}

SIM=$ROOT/$BUILD/seam-sim
SIMPID=
# start_sim ARGS...: the partner simulator on a free port; sets SIMPORT.
start_sim() {
    local log=$TMP/sim.err
    "$SIM" -l 127.0.0.1:${SIMPORT:-0} -k "$DATA/broker.pub" -o "$TMP/sim.log" "$@" 2>"$log" &
    SIMPID=$!
    for _ in $(seq 1 100); do
        local p
        p=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
        [ -n "$p" ] && { SIMPORT=$p; return 0; }
        sleep 0.05
    done
    echo "Bail out! the partner simulator did not start"
    exit 1
}
stop_sim() { [ -n "$SIMPID" ] && kill "$SIMPID" 2>/dev/null && wait "$SIMPID" 2>/dev/null; SIMPID=; }

# eventually SECONDS command...: retries the command until it passes (bounded).
eventually() {
    local limit=$1
    shift
    for _ in $(seq 1 $((limit * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}
