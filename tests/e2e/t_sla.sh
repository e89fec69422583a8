#!/usr/bin/env bash
# SLA clocks on the test clock (seam-broker -T), from Monday 7 January 2030,
# 08:00Z (09:00 in Oslo). Expected instants are worked out by hand below.
# A claim handed back after 3 business hours is charged 3 hours to that
# partner and the next owner starts a fresh clock; a ticket pending on the
# customer does not breach; breaches come at their instant, also when it
# fell while the broker was down, and never twice; the report, the CSV and
# the breach list say so; an auditor reads them and nothing else.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
AUD=$(new_token auditor audit1)
SKY=$(new_token partner skyview)
FIB=$(new_token partner fibernet)
start_broker -T 2030-01-07T08:00:00Z
clock() { req POST /v1/test/clock "$LEAD" "$1"; }
ms() { date -u -d "$1" +%s%3N; }
# near WANT GOT [MS]: GOT is WANT or up to MS (default 10 s) later: the test clock runs on in
# real time between requests, which a slow build (valgrind) stretches.
near() { [ "$2" != null ] && [ $(( $(ms "$2") - $(ms "$1") )) -ge 0 ] && [ $(( $(ms "$2") - $(ms "$1") )) -lt "${3:-10000}" ]; }
about() { [ "$2" -ge "$1" ] && [ "$2" -lt $(($1 + 10000)) ]; } # WANT_MS GOT_MS
asg() { req GET "/v1/tickets/$1" "$LEAD"; }
events_of() { # TICKET TYPE: how many events of TYPE the ticket has
    req GET "/v1/tickets/$1/evidence" "$LEAD"
    jq --arg t "$2" '[.events[].event | fromjson | select(.type == $t)] | length' "$TMP/body"
}

# --- A: 3 business hours with skyview, then handed back
req POST /v1/tickets "$C1" '{"summary":"No picture","description":"","service":"tv","symptom":"no_signal"}'
TA=$(jbody .id)
asg "$TA"
# skyview: field-service hours (Mon-Fri 07-19 Oslo), normal: ack 240 min, resolve 2880 min.
# Ack: Monday 09:00 CET + 4h = 13:00 CET = 12:00Z.
check "skyview's ack is due 4 business hours later" near 2030-01-07T12:00:00Z "$(jbody '.assignments[0].due.ack')"
# Resolve: 48 business hours: Mon 09-19 (10) + Tue-Thu 3x12 (46) + Fri 07-09 (2) = Fri 09:00 CET = 08:00Z.
check "skyview's resolve is due 48 business hours later, on Friday" near 2030-01-11T08:00:00Z "$(jbody '.assignments[0].due.resolve')"
A1=$(jbody '.assignments[0].id')
# The lead's end-to-end clock: lead-care (Oslo 08-16), normal: 1920 min = 32 h:
# Mon 09-16 (7) + Tue-Thu (24) = 31 h; Fri 08-09 (1): Friday 09:00 CET = 08:00Z.
check "the lead's end-to-end clock is due after 32 business hours" near 2030-01-11T08:00:00Z "$(jbody '.e2e.due')"
req POST "/v1/assignments/$A1/ack" "$SKY" '{}'
check "the ack clock stops when acknowledged (no ack due any more)" [ "$(jbody .due.ack)" = null ]
clock '{"advance_ms":10800000}'   # 3 hours: 11:00Z, 12:00 in Oslo
req POST "/v1/assignments/$A1/handback" "$SKY" '{"reason":"not_our_service","note":"Signal is fine at the head-end."}'
asg "$TA"
check "skyview is charged the 3 business hours it held the claim" about 10800000 "$(jbody '.assignments[0].sla.resolve_business_ms')"
check "the next owner is fibernet" [ "$(jbody '.assignments[1].partner')" = fibernet ]
# fibernet: network-critical, round the clock, normal: ack 60 min, resolve 1440 min, from 11:00Z.
check "fibernet starts a fresh clock: ack due at 12:00Z" near 2030-01-07T12:00:00Z "$(jbody '.assignments[1].due.ack')"
check "... and resolve due a day later" near 2030-01-08T11:00:00Z "$(jbody '.assignments[1].due.resolve')"
DUE_A2=$(jbody '.assignments[1].due.ack')
A2=$(jbody '.assignments[1].id')

# --- B: pending on the customer for two days does not breach
req POST /v1/tickets "$C1" '{"summary":"Slow","description":"","service":"internet","symptom":"slow"}'
TB=$(jbody .id)
asg "$TB"
B1=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$B1/ack" "$FIB" '{}'
req POST "/v1/assignments/$B1/need-info" "$FIB" '{"question":"Wired or wireless?"}'
asg "$TB"
check "while pending, the resolve clock has no due instant" [ "$(jbody '.assignments[0].due.resolve')" = null -a "$(jbody .status)" = pending ]
check "... nor the end-to-end clock" [ "$(jbody '.e2e.due')" = null ]
# --- and meanwhile A's fibernet claim breaches its ack at 12:00Z
clock "{\"to\":\"$DUE_A2\"}"
check "a breach comes at its instant" eventually 5 sh -c "[ \$(curl -s -H 'Authorization: Bearer $LEAD' '$(URL "/v1/tickets/$TA/evidence")' | jq '[.events[].event | fromjson | select(.type == \"sla.breached\")] | length') = 1 ]"
req GET "/v1/tickets/$TA/evidence" "$LEAD"
jq -c '[.events[].event | fromjson | select(.type == "sla.breached" or .type == "sla.warning")]' "$TMP/body" >"$TMP/sla.json"
late=$(jq -r '.[] | select(.type == "sla.breached") | .at' "$TMP/sla.json")
check "... within a second of it ($late)" near "$DUE_A2" "$late" 1000
check "the warning came first" [ "$(jq -r '.[0].type' "$TMP/sla.json")" = sla.warning ]
check "... at network-critical's 80% of the hour (11:48Z)" near 2030-01-07T11:48:00Z "$(jq -r '.[0].data.due' "$TMP/sla.json")"
asg "$TA"
check "the breached claim is flagged, the ticket escalated" [ "$(jbody '.assignments[1].flags | index("breached") != null')" = true -a "$(jbody '.flags | index("escalated") != null')" = true ]
clock '{"advance_ms":172800000}'  # two more days
sleep 1.5
check "two days pending: no breach of the resolve clock" [ "$(events_of "$TB" sla.breached)" = 0 ]
req POST "/v1/tickets/$TB/notes" "$C1" '{"text":"Wireless."}'
asg "$TB"
answered=$(jbody .updated_at)
due=$(jbody '.assignments[0].due.resolve')
left=$(( $(ms "$due") - $(ms "$answered") ))
check "the customer's answer restarts the clock: a full day left ($left ms)" [ "$left" -gt 86300000 -a "$left" -le 86400000 ]

req POST "/v1/assignments/$B1/resolve" "$FIB" '{"resolution":"Channel changed."}'
asg "$TB"
check "resolving stops the end-to-end clock and records the customer's wait" [ "$(jbody '.e2e.resolved_business_ms')" -gt 0 -a "$(jbody '.e2e.due')" = null ]

# --- C: a breach that falls while the broker is down is emitted on restart, once
req POST /v1/tickets "$C1" '{"summary":"Down","description":"","service":"internet","symptom":"no_service"}'
TC=$(jbody .id)
stop_broker
start_broker -T 2030-01-10T16:00:00Z     # the broker was down for four hours
check "the breaches that fell during the downtime are emitted at start" eventually 5 sh -c "[ \$(curl -s -H 'Authorization: Bearer $LEAD' '$(URL "/v1/tickets/$TC/evidence")' | jq '[.events[].event | fromjson | select(.type == \"sla.breached\")] | length') = 2 ]"
stop_broker
start_broker -T 2030-01-10T17:00:00Z
sleep 1.5
check "and are not emitted again after another restart" [ "$(events_of "$TC" sla.breached)" = 2 ]

# --- the report
req GET "/v1/audit/sla" "$AUD"
cp "$TMP/body" "$TMP/report.json"
sky() { jq -r ".owners[] | select(.owner == \"skyview\") | $1" "$TMP/report.json"; }
fib() { jq -r ".owners[] | select(.owner == \"fibernet\") | $1" "$TMP/report.json"; }
check "the auditor reads the SLA report" [ "$STATUS" = 200 ]
check "skyview: one hand-back, 180 minutes attributed" [ "$(sky '.handbacks') $(sky '.handback_attributed_min | floor')" = "1 180" ]
check "skyview acknowledged within SLA" [ "$(sky '.acknowledge.within_sla')/$(sky '.acknowledge.count')" = 1/1 ]
# A: ack and resolve (never acknowledged); C: both, while the broker was down.
check "fibernet: three claims, four breaches" [ "$(fib '.assignments') $(fib '.breaches')" = "3 4" ]
check "fibernet's ack compliance: 1 of 1 acknowledged within SLA" [ "$(fib '.acknowledge.compliance_pct')" = 100 ]
check "no open ticket was ever without an owner" [ "$(jq -r .overall.time_without_owner_ms "$TMP/report.json")" = 0 ]
check "the lead's end-to-end clock is in the report" [ "$(jq -r .overall.end_to_end.resolved "$TMP/report.json")" = 1 ]
req GET "/v1/audit/sla?format=csv&partner=skyview" "$LEAD"
check "the CSV has a header, skyview's line and the overall line" [ "$(body | wc -l)" = 3 -a "$(body | head -1 | cut -d, -f1)" = owner ]
check "the CSV says skyview's hand-back" [ "$(body | grep '^skyview,' | cut -d, -f17,18 | cut -c1-5)" = "1,180" ]
req GET "/v1/audit/sla?from=2030-01-08T00:00:00Z" "$LEAD"
check "a period holds only what was assigned in it (C's claim)" [ "$(jbody '.overall.assignments')" = 1 ]
req GET "/v1/audit/sla?from=yesterday" "$LEAD"
check "a malformed period is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = from ]
req GET "/v1/audit/breaches" "$AUD"
check "the breach list holds all four" [ "$(jbody '.items | length')" = 4 ]
EV=$(jbody '.items[0].evidence')
req GET "$EV" "$AUD"
cp "$TMP/body" "$TMP/ev.json"
check "each breach links to evidence the auditor can fetch and verify offline" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
req GET "/v1/tickets/$TA" "$AUD"
check "an auditor reads nothing else (404)" [ "$STATUS" = 404 ]
req GET "/v1/audit/sla" "$SKY"
check "a partner cannot read the report (404)" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$TA/evidence" "$SKY"
check "a partner fetches the evidence of its own claims" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$TB/evidence" "$SKY"
check "... and not of others' (404)" [ "$STATUS" = 404 ]
ctl report sla --format csv >"$TMP/cli.csv"
check "seamctl report sla gives the same CSV" [ "$(grep '^skyview,' "$TMP/cli.csv")" = "$(curl -s -H "Authorization: Bearer $LEAD" "$(URL '/v1/audit/sla?format=csv')" | grep '^skyview,')" ]

# --- a reopened ticket: the time it sat resolved was the customer's, not without an owner
clock '{"advance_ms":7200000}'
req POST "/v1/tickets/$TB/reopen" "$C1" '{"reason":"The channel is gone again."}'
check "the customer reopens B two hours after its resolution (200, a new claim)" [ "$STATUS" = 200 ]
req GET "/v1/audit/sla" "$LEAD"
check "... and the report still says no open ticket was ever without an owner" [ "$(jbody .overall.time_without_owner_ms)" = 0 ]

# --- proofs
size=$(tree_size)
req GET "/v1/audit/proof?leaf=0&size=$size" "$AUD"
check "an inclusion proof against a signed checkpoint" [ "$STATUS" = 200 -a "$(jbody .tree_size)" = "$size" -a "$(jbody '.checkpoint | split("\n")[1]')" = "$size" ]
req GET "/v1/audit/proof?from=1&to=$size" "$AUD"
check "a consistency proof between two signed checkpoints" [ "$STATUS" = 200 -a "$(jbody '.from_checkpoint | split("\n")[1]')" = 1 ]
req GET "/v1/audit/proof?leaf=0&size=999999" "$AUD"
check "a size the broker never signed is 404" [ "$STATUS" = 404 ]
req GET "/v1/audit/proof?leaf=0" "$AUD"
check "half a query is 400" [ "$STATUS" = 400 ]
stop_broker
start_broker
req POST /v1/test/clock "$LEAD" '{"advance_ms":1000}'
check "without -T the test clock does not exist (404)" [ "$STATUS" = 404 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
