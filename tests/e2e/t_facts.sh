#!/usr/bin/env bash
# Facts that can change: a complaint classified wrongly is corrected by the
# lead or by the owner of a live claim (POST /v1/tickets/{id}/facts), or by
# the customer reopening with what it is now. The live claims of the old
# round end (reassigned: their SLA time stays theirs), a new round is routed
# on the new facts, and the event records the facts before and after, who
# and why. Bad corrections change nothing.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
SKY=$(new_token partner skyview)
start_broker
live_owners() { jq -r '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress") | .partner] | sort | join(",")' "$TMP/body"; }

req POST /v1/tickets "$C1" '{"summary":"Picture breaks up","description":"Blocks on every channel","service":"internet","symptom":"slow","equipment":"router"}'
T=$(jbody .id)
req GET "/v1/tickets/$T" "$LEAD"
A1=$(jbody '.assignments[0].id')
check "filed as slow internet: fibernet owns it" [ "$(live_owners)" = fibernet -a "$(jbody .rule)" = internet-access ]
req POST "/v1/assignments/$A1/ack" "$FIB" '{}'
events_before=$(tree_size)

# --- refusals change nothing
fix() { req POST "/v1/tickets/$T/facts" "$1" "$2"; }
fix "$NORD" '{"facts":{"service":"tv"},"reason":"not mine either"}'
check "a partner without a live claim of the ticket gets 404" [ "$STATUS" = 404 ]
fix "$C1" '{"facts":{"service":"tv"},"reason":"x"}'
check "the customer corrects by reopening, not here (404)" [ "$STATUS" = 404 ]
fix "$FIB" '{"facts":{"colour":"red"},"reason":"x"}'
check "an unknown fact is 400 naming it" [ "$STATUS" = 400 -a "$(jbody .error.code)" = unknown_field -a "$(jbody .error.field)" = facts.colour ]
fix "$FIB" '{"facts":{"region":"south"},"reason":"x"}'
check "a fact of the customer record cannot be corrected here (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = facts.region ]
fix "$FIB" '{"facts":{"service":"radio"},"reason":"x"}'
check "a value outside the vocabulary is 400" [ "$STATUS" = 400 -a "$(jbody .error.code)" = invalid_field -a "$(jbody .error.field)" = facts.service ]
fix "$FIB" '{"facts":{"symptom":null},"reason":"x"}'
check "a required fact cannot be cleared (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = facts.symptom ]
fix "$FIB" '{"facts":{"service":7},"reason":"x"}'
check "a fact must be a string (400)" [ "$STATUS" = 400 ]
fix "$FIB" '{"facts":{},"reason":"x"}'
check "an empty correction is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = facts ]
fix "$FIB" '{"reason":"x"}'
check "a correction names the facts (400 missing_field)" [ "$STATUS" = 400 -a "$(jbody .error.code)" = missing_field ]
fix "$FIB" '{"facts":{"service":"tv"}}'
check "... and why (400 missing_field reason)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = reason ]
fix "$FIB" '{"facts":{"service":"internet","symptom":"slow"},"reason":"same"}'
check "a correction that changes nothing is 409" [ "$STATUS" = 409 ]
check "nothing was written by any of them" [ "$(tree_size)" = "$events_before" ]

# --- the owner corrects: it is the TV
fix "$FIB" '{"facts":{"service":"tv","symptom":"no_signal","equipment":"set_top_box"},"reason":"the line is clean; the box loses the signal"}'
check "the owner corrects the facts (200)" [ "$STATUS" = 200 -a "$(jbody .round)" = 2 -a "$(jbody .facts.service)" = tv ]
check "... and the partner's answer holds no customer data" [ "$(jq -c 'keys' "$TMP/body")" = '["facts","id","round","status"]' ]
req GET "/v1/tickets/$T" "$LEAD"
check "a new round is routed on the new facts: skyview" [ "$(live_owners)" = skyview -a "$(jbody .rule)" = tv-signal -a "$(jbody .round)" = 2 ]
check "the old claim ended as reassigned, its time its own" [ "$(jbody ".assignments[] | select(.id == \"$A1\") | .state")" = reassigned -a "$(jbody ".assignments[] | select(.id == \"$A1\") | .ended_at != null")" = true ]
check "the lead's record keeps the facts as filed beside the facts now" [ "$(jbody '.service + ">" + .facts.service')" = "internet>tv" ]
req GET "/v1/tickets/$T/evidence" "$LEAD"
cp "$TMP/body" "$TMP/ev.json"
evs() { ev_open "$1"; }
ev=$(evs "$TMP/ev.json" | jq -c '[.[] | select(.type == "ticket.facts_changed")][0].data')
check "the event records the facts before and after, and why" \
    [ "$(jq -r '.facts_before.service + ">" + .facts.service + " " + .reason' <<<"$ev")" = "internet>tv the line is clean; the box loses the signal" ]
check "... who did it" [ "$(evs "$TMP/ev.json" | jq -r '[.[] | select(.type == "ticket.facts_changed")][0].actor.id')" = fibernet ]
check "... and the new round's owners" [ "$(jq -r '.route.rule + " " + (.route.owners | map(.partner) | join(","))' <<<"$ev")" = "tv-signal skyview" ]
check "the evidence verifies" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
req GET "/v1/tickets/$T" "$C1"
check "the customer sees the ticket as it is now" [ "$(jbody .service)" = tv -a "$(jbody .status)" != "" ]

fix "$FIB" '{"facts":{"service":"internet"},"reason":"mine again?"}'
check "fibernet no longer holds a live claim: 404" [ "$STATUS" = 404 ]

# --- the lead corrects back
fix "$LEAD" '{"facts":{"service":"internet","symptom":"slow","equipment":null},"reason":"the speed test says so"}'
check "the lead corrects the facts; an optional one cleared" [ "$STATUS" = 200 -a "$(jbody .round)" = 3 -a "$(jbody '.facts.equipment')" = null ]
check "... routed again: fibernet" [ "$(live_owners)" = fibernet ]

# --- a question pending, a resolved ticket
A3=$(jbody '[.assignments[] | select(.state == "assigned")][0].id')
req POST "/v1/assignments/$A3/ack" "$FIB" '{}'
req POST "/v1/assignments/$A3/need-info" "$FIB" '{"question":"Which room?"}'
fix "$FIB" '{"facts":{"service":"phone","symptom":"no_dial_tone"},"reason":"x"}'
check "while the customer has a question to answer: 409" [ "$STATUS" = 409 ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":"The living room."}'
req POST "/v1/assignments/$A3/resolve" "$FIB" '{"resolution":"Router replaced."}'
fix "$LEAD" '{"facts":{"service":"phone","symptom":"no_dial_tone"},"reason":"x"}'
check "a resolved ticket is not corrected (409): it is reopened with the facts" [ "$STATUS" = 409 ]

# --- the customer reopens with what it is now
req POST "/v1/tickets/$T/reopen" "$C1" '{"reason":"Now the phone is dead too","facts":{"service":"moon"}}'
check "a reopen's facts are checked too (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = facts.service ]
req POST "/v1/tickets/$T/reopen" "$C1" '{"reason":"Now the phone is dead","facts":{"service":"phone","symptom":"no_dial_tone","equipment":"handset"}}'
check "the customer reopens with corrected facts" [ "$STATUS" = 200 -a "$(jbody .service)" = phone ]
req GET "/v1/tickets/$T" "$LEAD"
check "... routed on them: nordtel's phone line" [ "$(live_owners)" = nordtel -a "$(jbody .rule)" = phone-line ]
req GET "/v1/tickets/$T/evidence" "$LEAD"
check "... the reopen event records the facts before" [ "$(evs "$TMP/body" | jq -r '[.[] | select(.type == "ticket.reopened")][-1].data.facts_before.service')" = internet ]
req POST "/v1/tickets/$T/reopen" "$C1" '{"reason":"x"}'
check "a reopen without facts still works as before (409 here: not resolved)" [ "$STATUS" = 409 ]

# --- TMF621: a PATCH of the attributes that carry the facts routes on them too
TMF=/tmf-api/troubleTicket/v4/troubleTicket
req POST /v1/tickets "$C1" '{"summary":"No picture","description":"x","service":"internet","symptom":"slow"}'
T2=$(jbody .id)
patch() { STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary "$2" "$(URL "$TMF/$T2")"); }
patch "$LEAD" '{"relatedEntity":[{"id":"tv","role":"service","@referredType":"Service"},{"id":"no_signal","role":"symptom","@referredType":"Symptom"}]}'
check "the lead's TMF621 PATCH of the related entities answers 200" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T2" "$LEAD"
check "... and the ticket is routed on them: skyview, like /v1 would" [ "$(live_owners)" = skyview -a "$(jbody .facts.service)" = tv -a "$(jbody .round)" = 2 ]
A4=$(jbody '[.assignments[] | select(.state == "assigned")][0].id')
req POST "/v1/assignments/$A4/ack" "$SKY" '{}'
req POST "/v1/assignments/$A4/need-info" "$SKY" '{"question":"Which TV?"}'
patch "$C1" '{"relatedEntity":[{"id":"phone","role":"service","@referredType":"Service"}]}'
check "a customer's PATCH of the facts while a question waits: 409, nothing changed" [ "$STATUS" = 409 ]
req GET "/v1/tickets/$T2" "$LEAD"
check "... still skyview's" [ "$(live_owners)" = skyview -a "$(jbody .facts.service)" = tv ]
req POST /v1/tickets "$C1" '{"summary":"No picture again","description":"x","service":"tv","symptom":"no_signal"}'
T3=$(jbody .id)
req GET "/v1/tickets/$T3" "$LEAD"
req POST "/v1/assignments/$(jbody '.assignments[0].id')/resolve" "$SKY" '{"resolution":"Dish realigned."}'
T2=$T3
patch "$C1" '{"status":"inProgress","statusChangeReason":"It is the internet now","relatedEntity":[{"id":"internet","role":"service","@referredType":"Service"},{"id":"slow","role":"symptom","@referredType":"Symptom"}]}'
check "a customer's TMF621 reopen that names new facts reopens with them (200)" [ "$STATUS" = 200 -a "$(jbody .status)" = inProgress ]
req GET "/v1/tickets/$T3" "$LEAD"
check "... routed on them: fibernet's internet" [ "$(live_owners)" = fibernet -a "$(jbody .rule)" = internet-access ]

stop_broker
check "seamctl verify passes" ctl verify
finish
