# tests/e2e/faults_lib.sh: shared by t_faults.sh and t_faults_async.sh. It
# starts the fault-injecting broker (make faults) on a store with three
# customers, the lead and fibernet, pushing to the simulator, and defines
# the requests that arm a fault.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FAULTS_BUILD=${FAULTS_BUILD:-${BUILD}-faults}
BROKER=$ROOT/$FAULTS_BUILD/seam-broker
if [ ! -x "$BROKER" ]; then
    echo "Bail out! $BROKER is missing: run 'make faults'"
    exit 1
fi
TMF=/tmf-api/troubleTicket/v4
init_store
start_sim
# Push to the simulator, retried quickly, for about 15 s: a busy machine (make test's other
# suites) can slow the simulator's answers past a second of tries, and a message out of tries
# is a dead letter, not delivered.
conf_with ".partners[0].delivery.url = \"http://127.0.0.1:$SIMPORT/seam/webhook\"
           | .delivery = {\"retry_schedule_ms\": [0, 200, 200, 500, 500, 1000, 1000, 2000, 2000, 2000, 2000, 2000, 2000]}"
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
