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
# After each path `seamctl verify` passes on the store. The push outbox and
# the SLA scheduler, reached by faults left armed after the answer, are
# t_faults_async.sh's.
. "$(dirname "$0")/faults_lib.sh"
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

finish
