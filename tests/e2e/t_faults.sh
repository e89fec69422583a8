#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# Store fault injection (STYLE.md section 9; docs/operations.md): the broker
# built with -DSEAM_FAULTS (make faults) fails the N-th LMDB call after a
# request that carries "seam-fault-at: N". For every write path (filing,
# each assignment action, notes, confirm, reopen, cancel, the lead's
# assignment, TMF create and PATCH) and N = 1, 2, ... until the request makes
# fewer calls than N, each on a ticket of its own: a request that failed
# answered a structured 5xx and changed nothing (the same request then
# succeeds), one that succeeded made its change, and the broker stays up.
# The push outbox and the SLA scheduler are reached by faults left armed
# after the answer: every message is still delivered, every breach still
# recorded. After each path `seamctl verify` passes on the store.
. "$(dirname "$0")/lib.sh"
FAULTS_BUILD=${FAULTS_BUILD:-${BUILD}-faults}
BROKER=$ROOT/$FAULTS_BUILD/seam-broker
if [ ! -x "$BROKER" ]; then
    echo "Bail out! $BROKER is missing: run 'make faults'"
    exit 1
fi
TMF=/tmf-api/troubleTicket/v4
init_store
start_sim
# Push to the simulator, retried quickly.
conf_with ".partners[0].delivery.url = \"http://127.0.0.1:$SIMPORT/seam/webhook\"
           | .delivery = {\"retry_schedule_ms\": [0, 200, 200, 200, 200, 200, 200, 200]}"
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
C3=$(new_customer c3 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_broker -T now
LOG=$TMP/broker.$STARTS.log

# freq N METHOD PATH TOKEN [BODY]: one request with the fault armed at N;
# sets STATUS and FAULT (fired, pending); the body is in $TMP/body.
freq() {
    local n=$1 method=$2 path=$3 token=$4 out
    local args=(-s -o "$TMP/body" -w '%{http_code} %header{seam-fault}' -X "$method"
        -H "seam-fault-at: $n" -H "Authorization: Bearer $token")
    [ $# -ge 5 ] && args+=(-H "Content-Type: application/json" --data-binary "$5")
    out=$(curl "${args[@]}" "$(URL "$path")")
    STATUS=${out%% *} FAULT=${out#* }
}
disarm() { curl -s -o /dev/null -H "seam-fault-at: 0" "$(URL /healthz)"; }
faults_logged() { grep -c "fault injected" "$LOG"; }

# many METHOD TOKEN BODY PATH...: one curl for several requests; prints each status.
many() {
    local method=$1 token=$2 b=$3 args=() p
    shift 3
    for p in "$@"; do
        args+=(--next -s -o /dev/null -w '%{http_code}\n' -X "$method" -H "Authorization: Bearer $token")
        [ -n "$b" ] && args+=(-H "Content-Type: application/json" --data-binary "$b")
        args+=("$(URL "$p")")
    done
    curl "${args[@]:1}"
}
# views ID...: the lead's view of each ticket (through $VIEW), one JSON value each, in order.
VIEW=/v1/tickets
views() {
    local args=() p
    for p in "$@"; do args+=("$(URL "$VIEW/$p")"); done
    curl -s -H "Authorization: Bearer $LEAD" "${args[@]}"
}
# prepare K STATE: K tickets of C2 in STATE (filed, acked, resolved); sets TS and AS.
prepare() {
    local k=$1 state=$2 i args=() codes paths=()
    for i in $(seq 1 "$k"); do
        args+=(--next -s -X POST -H "Authorization: Bearer $C2" -H "Content-Type: application/json"
            --data-binary "$TICKET_BODY" "$(URL /v1/tickets)")
    done
    mapfile -t TS < <(curl "${args[@]:1}" | jq -r .id)
    mapfile -t AS < <(VIEW=/v1/tickets views "${TS[@]}" | jq -r '.assignments[0].id')
    if [ "$state" != filed ]; then
        paths=()
        for i in "${AS[@]}"; do paths+=("/v1/assignments/$i/ack"); done
        codes=$(many POST "$FIB" '{}' "${paths[@]}" | sort -u)
        [ "$codes" = 200 ] || echo "# prepare: ack answered $codes"
    fi
    if [ "$state" = resolved ]; then
        paths=()
        for i in "${AS[@]}"; do paths+=("/v1/assignments/$i/resolve"); done
        codes=$(many POST "$FIB" '{"resolution":"Spliced."}' "${paths[@]}" | sort -u)
        [ "$codes" = 200 ] || echo "# prepare: resolve answered $codes"
    fi
    [ "${#TS[@]}" = "$k" ] && [ "${#AS[@]}" = "$k" ]
}

# fault_path NAME STATE DONE METHOD PATH TOKEN BODY
#   STATE: what each ticket is prepared as; DONE: a jq test of the lead's
#   view that holds once the request's change is made. PATH may name @T
#   (the ticket) and @A (its first assignment). CALLS (default 60): the most
#   store calls the request may make (and the tickets prepared for it).
fault_path() {
    local name=$1 state=$2 done_=$3 method=$4 tpl=$5 token=$6 b=$7
    local n=0 bad=0 why="" t0=$SECONDS p want=() failed=() k=${CALLS:-60}
    prepare $k "$state" || { ok 1 "$name: $k tickets prepared" && return; }
    while :; do
        n=$((n + 1))
        if [ $n -gt $k ]; then
            bad=1 why="more than $k calls"
            break
        fi
        p=${tpl//@T/${TS[n - 1]}}
        p=${p//@A/${AS[n - 1]}}
        freq $n "$method" "$p" "$token" "$b"
        kill -0 "$BPID" 2>/dev/null || { bad=1 why="the broker died at N=$n" && break; }
        case "$FAULT:$STATUS" in
        pending:2??) disarm; want+=(true); break ;;
        fired:2??) want+=(true) ;;
        fired:500 | fired:503) want+=(false); failed+=("$p"); cp "$TMP/body" "$TMP/fail.$n" ;;
        *) bad=1 why="N=$n: answered $STATUS (fault: $FAULT): $(body)"; break ;;
        esac
    done
    n=${#want[@]}
    local used=("${TS[@]:0:$n}") expect got
    expect=$(printf '%s\n' "${want[@]}" | jq -sc .)
    got=$(views "${used[@]}" | jq -sc "[.[] | $done_]")
    ok $bad "$name: $n requests, a fault in each but the last; ${#failed[@]} answered 5xx${why:+ ($why)}"
    check "$name: ... each 2xx made its change, each 5xx none" [ "$got" = "$expect" ]
    if [ ${#failed[@]} -gt 0 ]; then
        check "$name: ... each 5xx a structured error with a request id" \
            jq -se 'all(.error.code and .error.message and .error.request_id or (.code and .reason and .status))' \
            "$TMP"/fail.*
        check "$name: ... the same requests then succeed" [ "$(many "$method" "$token" "$b" "${failed[@]}" | cut -c1 | sort -u)" = 2 ]
        got=$(views "${used[@]}" | jq -sc "[.[] | $done_] | all")
        check "$name: ... and make their change" [ "$got" = true ]
    else
        ok 1 "$name: ... no fault failed the request"
    fi
    rm -f "$TMP"/fail.*
    check "$name: ... the store verifies" ctl verify
    echo "# $name: $((SECONDS - t0)) s"
}

breached_one() { [ "$(views "$1" | jq '.assignments[0].flags | index("breached") != null')" = true ]; }

# Filing: the customer's tickets are exactly the 2xx answers.
fault_file() { # NAME TOKEN PATH BODY
    local name=$1 token=$2 path=$3 b=$4 n=0 created=0 failed=0 bad=0 why="" t0=$SECONDS
    while :; do
        n=$((n + 1))
        [ $n -le 200 ] || { bad=1 why="no end after 200" && break; }
        freq $n POST "$path" "$token" "$b"
        kill -0 "$BPID" 2>/dev/null || { bad=1 why="the broker died at N=$n" && break; }
        case "$FAULT:$STATUS" in
        pending:201) disarm; created=$((created + 1)); break ;;
        fired:201) created=$((created + 1)) ;;
        fired:500 | fired:503) failed=$((failed + 1)); cp "$TMP/body" "$TMP/fail.$n" ;;
        *) bad=1 why="N=$n: answered $STATUS (fault: $FAULT): $(body)"; break ;;
        esac
    done
    ok $bad "$name: $n requests, a fault in each but the last; $failed answered 5xx${why:+ ($why)}"
    local have
    have=$(curl -s -H "Authorization: Bearer $token" "$(URL '/v1/tickets?limit=200')" | jq '.items | length')
    check "$name: ... the customer has a ticket for each 2xx, none for a 5xx ($have of $created)" [ "$have" = "$created" ]
    check "$name: ... some failed, each a structured error" [ "$failed" -gt 0 ] &&
        check "$name: ... (the bodies)" jq -se 'all(.error.code and .error.message and .error.request_id or (.code and .reason and .status))' "$TMP"/fail.*
    rm -f "$TMP"/fail.*
    check "$name: ... the store verifies" ctl verify
    echo "# $name: $((SECONDS - t0)) s"
}

fault_file "file a ticket" "$C1" /v1/tickets "$TICKET_BODY"
fault_file "TMF create" "$C3" "$TMF/troubleTicket" \
    '{"name":"Fibre down","description":"No light.","severity":"High","ticketType":"connectivity"}'

fault_path "ack" filed '.assignments[0].state == "acknowledged"' POST /v1/assignments/@A/ack "$FIB" '{}'
fault_path "progress" acked '.assignments[0].state == "inProgress"' POST /v1/assignments/@A/progress \
    "$FIB" '{"note":"Line test ordered."}'
fault_path "need-info" acked '.status == "pending"' POST /v1/assignments/@A/need-info "$FIB" \
    '{"question":"Is the ONT on?"}'
fault_path "resolve" acked '.assignments[0].state == "resolved"' POST /v1/assignments/@A/resolve \
    "$FIB" '{"resolution":"Spliced."}'
CALLS=100 fault_path "handback" filed '.assignments[0].state == "handed_back"' POST /v1/assignments/@A/handback \
    "$FIB" '{"reason":"customer_side"}'
fault_path "note" filed '[.timeline[] | select(.type == "ticket.note")] | length == 1' POST \
    /v1/tickets/@T/notes "$C2" '{"text":"It blinks."}'
fault_path "confirm" resolved '.status == "closed"' POST /v1/tickets/@T/confirm "$C2" '{}'
fault_path "reopen" resolved '.status == "inProgress"' POST /v1/tickets/@T/reopen "$C2" \
    '{"reason":"Down again."}'
fault_path "cancel" filed '.status == "cancelled"' POST /v1/tickets/@T/cancel "$C2" '{"reason":"It works."}'
CALLS=100 fault_path "lead assigns" filed '[.assignments[] | select(.state == "assigned")][-1].partner == "northwind"' \
    POST /v1/tickets/@T/assign "$LEAD" '{"partner":"lead","reason":"We take it."}'
VIEW=$TMF/troubleTicket
fault_path "TMF PATCH" filed '.name == "Renamed"' PATCH "$TMF/troubleTicket/@T" "$C2" '{"name":"Renamed"}'
VIEW=/v1/tickets

# --- push: a fault left armed after the answer meets the forwarder. The
# loop ends when three faults in a row were met by nothing.
TV='{"summary":"No picture","description":"","service":"tv","symptom":"no_signal"}'
n=0 bad=0 why="" late=0 unmet=0 t0=$SECONDS TVS=()
while [ $unmet -lt 3 ]; do
    n=$((n + 1))
    [ $n -le 300 ] || { bad=1 why="no end by N=300" && break; }
    before=$(faults_logged)
    freq $n POST /v1/tickets "$C2" "$TV"
    case "$STATUS" in
    201) TVS+=("$(jbody .id)") ;;
    500 | 503) continue ;; # nothing was filed: covered above
    *) bad=1 why="N=$n answered $STATUS" && break ;;
    esac
    [ "$FAULT" = pending ] || continue
    sleep 0.3 # the sender's turn
    kill -0 "$BPID" 2>/dev/null || { bad=1 why="the broker died at N=$n" && break; }
    if [ "$(faults_logged)" = "$before" ]; then
        disarm
        unmet=$((unmet + 1))
    else
        late=$((late + 1)) unmet=0
    fi
done
ok $bad "push: $n faults, $late of them after the answer${why:+ ($why)}"
all_delivered() { # every page of the partner's deliveries (more than a page's worth may be filed)
    local cursor="" page
    : >"$TMP/deliveries"
    while :; do
        page=$(curl -s -H "Authorization: Bearer $LEAD" \
            "$(URL "/v1/deliveries?partner=skyview&limit=200${cursor:+&cursor=$cursor}")")
        jq -c '.items[]' <<<"$page" >>"$TMP/deliveries" || return 1
        cursor=$(jq -r '.next_cursor // empty' <<<"$page")
        [ -n "$cursor" ] || break
    done
    jq -s '{items: .}' "$TMP/deliveries" |
        jq -e --argjson ts "$(printf '%s\n' "${TVS[@]}" | jq -R . | jq -sc .)" \
            '[.items[] | select(.ticket as $t | $ts | index($t))] as $m
             | ($m | map(.ticket) | unique | length) == ($ts | length) and ($m | all(.state == "delivered"))' >/dev/null
}
check "push: ... some met the sender" [ "$late" -gt 0 ]
check "push: ... every message is delivered all the same (${#TVS[@]} tickets)" eventually 30 all_delivered
check "push: ... the store verifies" ctl verify
echo "# push: $((SECONDS - t0)) s"

# --- the SLA scheduler: a fault armed by moving the clock meets the
# breaches of the one ticket due then (each is cancelled after its turn, so
# that its later instants do not come due in the next).
req POST /v1/test/clock "$LEAD" '{"advance_ms":2592000000}' # all before is overdue now
sleep 3
URGENT='{"summary":"Down","description":"","service":"internet","symptom":"no_service","priority":"urgent"}'
n=0 bad=0 why="" late=0 unmet=0 t0=$SECONDS URG=()
while [ $unmet -lt 3 ]; do
    n=$((n + 2)) # every other call: a failed instant is retried after a second's pause
    [ $n -le 400 ] || { bad=1 why="no end by N=400" && break; }
    req POST /v1/tickets "$C2" "$URGENT"
    [ "$STATUS" = 201 ] || { bad=1 why="filing answered $STATUS" && break; }
    T=$(jbody .id)
    URG+=("$T")
    before=$(faults_logged)
    freq $n POST /v1/test/clock "$LEAD" '{"advance_ms":1200000}' # 20 min: past the 15-min ack
    if [ "$STATUS" != 200 ]; then # the fault met the lead's token: move the clock anyway
        req POST /v1/test/clock "$LEAD" '{"advance_ms":1200000}'
    else
        sleep 0.3 # the scheduler's turn
        if [ "$(faults_logged)" = "$before" ]; then
            disarm
            unmet=$((unmet + 1))
        else
            late=$((late + 1)) unmet=0
        fi
    fi
    kill -0 "$BPID" 2>/dev/null || { bad=1 why="the broker died at N=$n" && break; }
    eventually 10 breached_one "$T" || { bad=1 why="N=$n: the breach of $T was never recorded" && break; }
    req POST "/v1/tickets/$T/cancel" "$C2" '{"reason":"Done with it."}'
done
ok $bad "SLA: clock moves up to N=$n, $late faults met after the answer; every breach recorded${why:+ ($why)}"
check "SLA: ... some met the scheduler" [ "$late" -gt 0 ]
check "SLA: ... the store verifies" ctl verify
echo "# SLA: $((SECONDS - t0)) s"

finish
