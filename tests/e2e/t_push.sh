#!/usr/bin/env bash
# Push delivery to a real HTTP receiver (the partner simulator), from the
# transactional outbox: retries until the partner accepts, every signature
# verifying and each webhook-id seen once after de-duplication; nothing lost
# to a kill -9 between the commit and the delivery; Retry-After honoured;
# dead letters and 410 escalating the claim to the lead; redelivery.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
SKY=$(new_token partner skyview)
TV='{"summary":"No picture","description":"","service":"tv","symptom":"no_signal"}'
# A federation whose push partner is the simulator, retries compressed.
push_conf() { # schedule
    jq --arg u "http://127.0.0.1:$SIMPORT/seam/webhook" --argjson s "$1" \
        '(.partners[] | select(.id == "skyview") | .delivery.url) = $u | .delivery = {"retry_schedule_ms": $s}' \
        "$ROOT/conf/seam.json" >"$TMP/push.json"
    CONF=$TMP/push.json
}
# sim_lines STATUS [TYPE]: requests the receiver answered with STATUS (of that message type).
sim_lines() {
    [ -f "$TMP/sim.log" ] || { echo 0; return; }
    jq -s --argjson st "$1" --arg ty "${2:-}" '[.[] | select(.status == $st and ($ty == "" or .type == $ty))] | length' "$TMP/sim.log"
}
sim_has() { [ "$(sim_lines "$@")" -ge 1 ]; } # re-evaluated on each try by eventually
delivery() { curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/deliveries?$1")"; }

# --- fails three times, then accepts
start_sim -f 3
push_conf '[0, 200, 200, 200, 200, 200]'
start_broker
req POST /v1/tickets "$C1" "$TV"
T1=$(jbody .id)
check "the claim is delivered after three refusals" eventually 20 sim_has 200
check "the receiver was tried four times" [ "$(wc -l <"$TMP/sim.log")" = 4 ]
check "every delivery's signature verifies with the broker's key" [ "$(jq -s '[.[] | select(.verified == false)] | length' "$TMP/sim.log")" = 0 ]
check "de-duplicated by webhook-id, the receiver saw one message" [ "$(jq -rs 'map(.id) | unique | length' "$TMP/sim.log")" = 1 ]
check "the message announces the new claim on the ticket" [ "$(jq -rs '.[0] | .type + " " + .ticket' "$TMP/sim.log")" = "assignment.created $T1" ]
# The receiver logs its 200 before the broker has committed the delivery: the lead sees it soon after.
delivered_after() { # N: the lead's list of delivered messages shows the first after N attempts
    delivery "state=delivered" >"$TMP/d.json"
    [ "$(jq -r '.items[0] | .state + " " + (.attempts|tostring)' "$TMP/d.json")" = "delivered $1" ]
}
check "the lead sees it delivered after 4 attempts" eventually 10 delivered_after 4
req GET /v1/assignments "$SKY"
check "a push partner can also pull its claim" [ "$(jbody '.items[0].ticket')" = "$T1" ]
A1=$(jbody '.items[0].id')
: >"$TMP/sim.log"
req POST "/v1/tickets/$T1/notes" "$C1" '{"text":"It flickers sometimes."}'
sleep 0.5
check "a change made by the customer is not pushed while it changes no state" [ ! -s "$TMP/sim.log" ]
req POST "/v1/assignments/$A1/ack" "$SKY" '{}'
sleep 0.5
check "the partner's own action is not pushed back to it" [ ! -s "$TMP/sim.log" ]
req POST "/v1/tickets/$T1/assign" "$LEAD" '{"partner":"lead","reason":"We take it."}'
check "a change by the lead (the claim taken away) is pushed" eventually 10 grep -q '"type":"assignment.updated"' "$TMP/sim.log"
stop_broker
stop_sim

# --- kill -9 between the commit and the delivery
# Every start tries the pending messages at once, and a loaded machine makes
# the restarts slow: the schedule is long enough (32 tries, 15 s) that none of the
# five messages runs out of tries while the receiver is down.
: >"$TMP/sim.log"
KILL_SCHEDULE=$(jq -cn '[0] + [range(31) | 500]')
push_conf "$KILL_SCHEDULE"
start_broker
lost=0
for i in 1 2 3 4 5; do
    req POST /v1/tickets "$C1" "$TV"   # the receiver is down: nothing can be delivered
    [ "$STATUS" = 201 ] || lost=1
    ids="${ids:-} $(jbody .id)"
    kill9_broker
    start_broker
done
start_sim
push_conf "$KILL_SCHEDULE" # same port again
stop_broker
start_broker
delivered_tickets() { [ "$(jq -rs '[.[] | select(.status == 200 and .type == "assignment.created") | .ticket] | unique | length' "$TMP/sim.log")" = "$1" ]; }
check "after kill -9 and restart, every claim is delivered" eventually 30 delivered_tickets 5
missing=0
for id in $ids; do grep -q "\"ticket\":\"$id\".*\"status\":200\|\"status\":200.*\"ticket\":\"$id\"" "$TMP/sim.log" || missing=1; done
check "... each of the five tickets answered 201" [ $missing = 0 -a $lost = 0 ]
check "... with valid signatures" [ "$(jq -s '[.[] | select(.verified == false)] | length' "$TMP/sim.log")" = 0 ]
stop_broker
stop_sim

# --- Retry-After is honoured
: >"$TMP/sim.log"
start_sim -f 1 -r 2
push_conf '[0, 50, 50, 50]'
start_broker
req POST /v1/tickets "$C1" "$TV"
check "a 503 with Retry-After: 2 is retried, then delivered" eventually 20 sim_has 200
gap=$(jq -s '.[1].at_ms - .[0].at_ms' "$TMP/sim.log")
check "the retry waited for Retry-After, not the 50 ms schedule (${gap} ms)" [ "$gap" -ge 1900 ]
stop_broker
stop_sim

# --- dead letter: down past the last try
: >"$TMP/sim.log"
start_sim -s 503
push_conf '[0, 100, 100]'
start_broker
req POST /v1/tickets "$C1" "$TV"
T2=$(jbody .id)
check "a partner down past the last try: a dead letter" eventually 20 sh -c "curl -s -H 'Authorization: Bearer $LEAD' '$(URL "/v1/deliveries?state=failed")' | jq -e '[.items[] | select(.type == \"assignment.created\" and .ticket == \"$T2\")] | length == 1'"
check "after exactly three tries" [ "$(sim_lines 503 assignment.created)" = 3 ]
req GET "/v1/tickets/$T2" "$LEAD"
check "the claim escalates to the lead" [ "$(jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.assignments[-1].flags | index("escalated") != null')" = true ]
check "the undelivered claim is marked so" [ "$(jbody '.assignments[0].state')" = undeliverable ]
check "with an escalation event on the record" [ "$(jbody '[.timeline[] | select(.type == "assignment.escalated")] | length')" = 1 ]
req GET "/v1/tickets?flag=escalated" "$LEAD"
check "the lead finds it among the escalated" [ "$(jbody '.items[0].id')" = "$T2" ]
MSG=$(delivery "state=failed" | jq -r --arg t "$T2" '.items[] | select(.type == "assignment.created" and .ticket == $t) | .id')
stop_sim
: >"$TMP/sim.log"
start_sim
req POST "/v1/deliveries/$MSG/redeliver" "$LEAD" ''
check "the lead redelivers it" [ "$STATUS" = 200 -a "$(jbody .state)" = pending ]
check "... and it is delivered" eventually 20 sim_has 200 assignment.created
req POST "/v1/deliveries/msg_ffffffffffffffff/redeliver" "$LEAD" ''
check "redelivering an unknown message is 404" [ "$STATUS" = 404 ]
req GET "/v1/deliveries" "$SKY"
check "a partner may not list deliveries (404)" [ "$STATUS" = 404 ]
stop_broker
stop_sim

# --- 410: the endpoint is gone
: >"$TMP/sim.log"
start_sim -s 410
push_conf '[0, 100, 100, 100]'
start_broker
req POST /v1/tickets "$C1" "$TV"
T3=$(jbody .id)
check "a 410 disables the endpoint at once" eventually 20 sh -c "curl -s -H 'Authorization: Bearer $LEAD' '$(URL "/v1/deliveries?state=disabled")' | jq -e '.items | length == 1'"
check "after one try" [ "$(sim_lines 410 assignment.created)" = 1 ]
req GET "/v1/tickets/$T3" "$LEAD"
check "and escalates the claim to the lead" [ "$(jbody '.assignments[-1].partner')" = northwind ]
req POST /v1/tickets "$C1" "$TV"
sleep 0.5
check "later claims are not pushed to a disabled endpoint" [ "$(sim_lines 410 assignment.created)" = 1 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
