#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# Store fault injection (see t_faults.sh) where it meets the broker's own
# threads: a fault left armed after the answer meets the push outbox's sender
# or the SLA scheduler. Every message is still delivered, every breach still
# recorded, and `seamctl verify` passes on the store.
. "$(dirname "$0")/faults_lib.sh"

breached_one() { [ "$(views "$1" | jq '.assignments[0].flags | index("breached") != null')" = true ]; }

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
# A fault met while the sender checks a message against the signed events is no verdict on it.
refute "push: ... none was refused as differing from the signed events" grep "delivery: refused" "$LOG"
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
