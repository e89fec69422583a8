#!/usr/bin/env bash
# A ticket's life through its owners and its customer: the customer's one
# face (one status, public timeline, which company only where the rule says
# so, nothing partner-internal), owners acknowledging and resolving, joint
# tickets, notes, confirm, reopen (a new assignment round), cancel, the
# lead forcing an owner, the lead's filtered views; every step one signed
# event and the whole history verifying.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play south)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
SKY=$(new_token partner skyview)
start_broker
live() { jq '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")] | length' "$TMP/body"; }

# --- the customer's one face
req POST /v1/tickets "$C1" '{"summary":"Internet down","description":"Nothing works","service":"internet","symptom":"no_service"}'
T=$(jbody .id)
check "the customer sees which company works on it, as the rule allows" [ "$(jbody '.handled_by | join(",")')" = "Fibernet Nord AS" -a "$(jbody .topic)" = "Internet connection" ]
for k in assignments rule facts customer bundle region fallback flags round mode head customer_visible; do
    [ "$(jbody "has(\"$k\")")" = false ] || { ok 1 "the customer's view leaks $k"; }
done
check "the customer's view holds nothing partner-internal" [ "$(jq -c 'keys' "$TMP/body")" = '["channel","created_at","description","equipment","handled_by","id","priority","service","status","summary","symptom","timeline","topic","updated_at"]' ]
req POST /v1/tickets "$C1" '{"summary":"Router broken","description":"","service":"internet","symptom":"equipment_fault","equipment":"router"}'
check "a rule that is not customer_visible names no company" [ "$(jbody 'has("handled_by")')" = false ]
TC=$(jbody .id)
req GET "/v1/tickets/$T" "$C2"
check "another customer gets 404" [ "$STATUS" = 404 ]
req POST "/v1/tickets/$T/notes" "$C2" '{"text":"mine now"}'
check "another customer cannot add a note (404)" [ "$STATUS" = 404 ]

req GET "/v1/tickets/$T" "$LEAD"
A=$(jbody '.assignments[0].id')
check "the lead sees the assignment, its rule and round" [ "$(jbody '.assignments[0] | .partner + " " + .rule + " " + (.round|tostring)')" = "fibernet internet-access 1" ]

# --- owners work the claim
req POST "/v1/assignments/$A/ack" "$NORD" '{}'
check "another partner cannot acknowledge it (404)" [ "$STATUS" = 404 ]
req POST "/v1/assignments/$A/ack" "$C1" '{}'
check "a customer cannot acknowledge (404)" [ "$STATUS" = 404 ]
req POST "/v1/assignments/$A/ack" "$FIB" ""
check "the owner acknowledges: the ticket is inProgress" [ "$STATUS" = 200 -a "$(jbody .ticket_status)" = inProgress ]
check "the partner gets its assignment back, acknowledged" [ "$(jbody .id)" = "$A" -a "$(jbody .state)" = acknowledged ]
check "the partner sees the complaint and its region, not the customer id or the facts" [ "$(jbody .region)" = north -a "$(jbody '.customer | has("id")')" = false -a "$(jbody 'has("facts")')" = false ]
req POST "/v1/assignments/$A/ack" "$FIB" '{}'
check "acknowledging twice is 409 and changes nothing" [ "$STATUS" = 409 -a "$(jbody .error.code)" = conflict ]
req POST "/v1/tickets/$T/confirm" "$C1" '{}'
check "confirming an unresolved ticket is 409" [ "$STATUS" = 409 ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":"The lights blink orange now."}'
check "the customer adds information" [ "$STATUS" = 200 -a "$(jbody '.timeline[-1].text')" = "The lights blink orange now." ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":""}'
check "an empty note is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = text ]
req POST "/v1/assignments/$A/resolve" "$FIB" '{}'
check "resolving without a resolution is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = resolution ]
req POST "/v1/assignments/$A/resolve" "$FIB" '{"resolution":"Fibre splice repaired at the cabinet."}'
check "the owner resolves the last live claim: the ticket is resolved" [ "$(jbody .ticket_status)" = resolved ]
req GET "/v1/tickets/$T" "$C1"
check "the customer sees the resolution in its timeline" [ "$(jbody '.timeline[-1].text')" = "Fibre splice repaired at the cabinet." -a "$(jbody .status)" = resolved ]
check "the customer's timeline has only public entries" [ "$(jbody '[.timeline[] | select(has("visibility"))] | length')" = 0 ]

# --- reopen: routed again, a new round, history kept
req POST "/v1/tickets/$T/reopen" "$C1" '{}'
check "reopen needs a reason (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = reason ]
req POST "/v1/tickets/$T/reopen" "$C1" '{"reason":"Down again this morning."}'
check "reopen after resolve: inProgress again" [ "$STATUS" = 200 -a "$(jbody .status)" = inProgress ]
req GET "/v1/tickets/$T" "$LEAD"
check "reopen makes a new assignment round" [ "$(jbody .round)" = 2 -a "$(jbody '.assignments | length')" = 2 -a "$(jbody '.assignments[1].round')" = 2 ]
check "the first round's claim stays resolved in the history" [ "$(jbody '.assignments[0].state')" = resolved ]
check "the reopened ticket has one live owner" [ "$(live)" = 1 ]
A2=$(jbody '.assignments[1].id')
# The customer moves south; a reopen routes with the facts as they are now.
req POST "/v1/assignments/$A2/resolve" "$FIB" '{"resolution":"Reset the ONT."}'
ctl customer update c1 --region south >/dev/null
req POST "/v1/tickets/$T/reopen" "$C1" '{"reason":"We moved; still down."}'
req GET "/v1/tickets/$T" "$LEAD"
check "a reopen after the customer moved goes to the new region's provider" [ "$(jbody '.assignments[2].partner')" = nordtel -a "$(jbody .facts.region)" = south ]
check "the ticket keeps the region it was filed with" [ "$(jbody .region)" = north ]
A2=$(jbody '.assignments[2].id')
OWNER=$NORD
req POST "/v1/assignments/$A2/resolve" "$OWNER" '{"resolution":"Replaced the ONT."}'
req POST "/v1/tickets/$T/confirm" "$C1" '{}'
check "the customer confirms: closed" [ "$STATUS" = 200 -a "$(jbody .status)" = closed ]
req POST "/v1/tickets/$T/reopen" "$C1" '{"reason":"again"}'
check "a closed ticket cannot be reopened (409)" [ "$STATUS" = 409 ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":"hello?"}'
check "a closed ticket takes no notes (409)" [ "$STATUS" = 409 ]
req GET "/v1/tickets/$T/evidence" "$C1"
cp "$TMP/body" "$TMP/ev.json"
check "the whole history is in the evidence (9 events)" [ "$(jq '.events | length' "$TMP/ev.json")" = 9 ]
check "and verifies with the public key alone" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$(cat "$TMP/pubkey")"
check "the reopen event records the new routing" [ "$(ev_open "$TMP/ev.json" | jq -r '.[4] | .type + " " + .data.route.rule')" = "ticket.reopened internet-access" ]

# --- joint ownership: open until each owner resolves
req POST /v1/tickets "$C2" '{"summary":"TV and internet dead","description":"","service":"tv","symptom":"no_service","priority":"urgent"}'
TJ=$(jbody .id)
check "the customer sees both companies" [ "$(jbody '.handled_by | sort | join(",")')" = "Nordtel Telefoni AS,SkyView Broadcast AS" ]
req GET "/v1/tickets/$TJ" "$LEAD"
check "a joint ticket has one assignment per owner" [ "$(jbody .mode)" = joint -a "$(jbody '[.assignments[].partner] | sort | join(",")')" = nordtel,skyview ]
AS=$(jbody '.assignments[] | select(.partner == "skyview") | .id')
AN=$(jbody '.assignments[] | select(.partner == "nordtel") | .id')
req POST "/v1/assignments/$AS/resolve" "$SKY" '{"resolution":"Head-end restored."}'
check "one owner resolving leaves the joint ticket open" [ "$(jbody .ticket_status)" != resolved ]
req POST "/v1/assignments/$AN/resolve" "$NORD" '{"resolution":"Backbone fixed."}'
check "the last owner resolving resolves it" [ "$(jbody .ticket_status)" = resolved ]

# --- cancel and forced assignment
req POST /v1/tickets "$C2" '{"summary":"Phone dead","description":"","service":"phone","symptom":"no_dial_tone"}'
TP=$(jbody .id)
req POST "/v1/tickets/$TP/assign" "$LEAD" '{"partner":"skyview"}'
check "forcing an owner needs a reason (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = reason ]
req POST "/v1/tickets/$TP/assign" "$LEAD" '{"partner":"nobody","reason":"x"}'
check "forcing an unknown partner is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = partner ]
req POST "/v1/tickets/$TP/assign" "$C2" '{"partner":"lead","reason":"x"}'
check "a customer cannot force an owner (404)" [ "$STATUS" = 404 ]
req POST "/v1/tickets/$TP/assign" "$LEAD" '{"partner":"lead","reason":"Customer is a VIP; we handle it."}'
check "the lead takes it over, with a reason" [ "$STATUS" = 200 -a "$(live)" = 1 ]
check "the old claim is reassigned, the new one forced" [ "$(jbody '[.assignments[].state] | join(",")')" = "reassigned,assigned" -a "$(jbody '.assignments[1].flags[0]')" = forced ]
check "the reason is recorded" [ "$(jbody '.timeline[-1].text')" = "Customer is a VIP; we handle it." ]
AO=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$AO/ack" "$NORD" '{}'
check "the former owner can no longer act (409)" [ "$STATUS" = 409 ]
req GET "/v1/tickets?owner=lead" "$LEAD"
check "the lead's queue holds what the lead owns" [ "$(jbody '[.items[].id] | index("'"$TP"'") != null')" = true ]
req GET "/v1/tickets/$TP" "$C2"
check "the customer does not see the internal reassignment" [ "$(jbody '[.timeline[] | select(.type == "ticket.assigned")] | length')" = 0 ]
req POST "/v1/tickets/$TP/cancel" "$C2" '{"reason":"It works again."}'
check "the customer withdraws an open ticket" [ "$(jbody .status)" = cancelled ]
req GET "/v1/tickets/$TP" "$LEAD"
check "cancelling ends its live claims" [ "$(live)" = 0 -a "$(jbody '.assignments[1].state')" = cancelled ]
req POST "/v1/tickets/$TP/cancel" "$C2" '{}'
check "cancelling twice is 409" [ "$STATUS" = 409 ]

# --- the lead's views
req GET "/v1/tickets?status=closed" "$LEAD"
check "filter by status" [ "$(jbody '[.items[].id] | join(",")')" = "$T" ]
req GET "/v1/tickets?partner=nordtel" "$LEAD"
check "filter by partner" [ "$(jbody '[.items[].id] | sort | join(",")')" = "$(printf '%s\n' "$T" "$TJ" "$TP" | sort | paste -sd,)" ]
req GET "/v1/tickets?flag=forced" "$LEAD"
check "filter by flag" [ "$(jbody '[.items[].id] | join(",")')" = "$TP" ]
req GET "/v1/tickets?owner=fibernet" "$LEAD"
check "filter by live owner" [ "$(jbody '[.items[].id] | join(",")')" = "$TC" ]
req GET "/v1/tickets?created_from=2000-01-01T00:00:00Z&created_to=2000-01-02T00:00:00Z" "$LEAD"
check "filter by creation time (an empty window)" [ "$(jbody '.items | length')" = 0 ]
req GET "/v1/tickets?created_from=2000-01-01T00:00:00.000Z&limit=2" "$LEAD"
check "filters page with a cursor" [ "$(jbody '.items | length')" = 2 -a "$(jbody .next_cursor)" != null ]
req GET "/v1/tickets?created_from=yesterday" "$LEAD"
check "a malformed time is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = created_from ]
req GET "/v1/tickets?status=done" "$LEAD"
check "an unknown status is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = status ]
req GET "/v1/tickets?partner=skyview" "$C1"
check "the lead's filters are not the customer's (400)" [ "$STATUS" = 400 ]
req GET "/v1/tickets?status=closed" "$C1"
check "a customer filters its own by status" [ "$(jbody '[.items[].id] | join(",")')" = "$T" ]
stop_broker
check "seamctl verify passes over the whole history" ctl verify
finish
