#!/usr/bin/env bash
# The partner side: a partner's queue (its own assignments only, cursor,
# long-poll), the fields its configuration withholds, working a claim
# (progress, need-info and the customer's answer), and hand-backs: along the
# chain, belongs_to, duplicate, ping-pong ending with the lead flagged
# disputed, max_bounces; at every step the ticket has a live owner, and every
# claim that comes to the lead through a hand-back is disputed, even where
# the chain names the lead.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
SKY=$(new_token partner skyview)
start_broker
live_owner() { # the ticket $1 has at least one live assignment (lead's view)
    req GET "/v1/tickets/$1" "$LEAD"
    [ "$(jq '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")] | length' "$TMP/body")" -ge 1 ]
}
file() { req POST /v1/tickets "$C1" "$1"; jbody .id; }
INTERNET='{"summary":"Slow","description":"","service":"internet","symptom":"slow"}'
TV='{"summary":"No picture","description":"","service":"tv","symptom":"no_signal"}'

# --- queues
T1=$(file "$INTERNET")
T2=$(file "$TV")
T3=$(file "$INTERNET")
req GET /v1/assignments "$FIB"
check "fibernet's queue holds its two claims, oldest first" [ "$(jbody '[.items[].ticket] | join(",")')" = "$T1,$T3" ]
A1=$(jbody '.items[0].id')
check "the assignment carries what the partner needs" [ "$(jbody '.items[0] | .summary + "|" + .region + "|" + .priority + "|" + .state')" = "Slow|north|normal|assigned" ]
check "fibernet may see the customer's name and contact" [ "$(jbody '.items[0].customer | .name + "|" + .contact')" = "Customer c1|c1@example.net" ]
check "with the broker's signed event that assigned it" [ "$(jbody '.items[0].event.bytes | fromjson | .type')" = ticket.created -a -n "$(jbody '.items[0].event.signature')" ]
req GET "/v1/assignments?limit=1" "$FIB"
check "a page of one with a cursor" [ "$(jbody '.items | length')" = 1 -a "$(jbody .next_cursor)" = "$A1" ]
req GET "/v1/assignments?limit=1&cursor=$A1" "$FIB"
check "the cursor gives the next claim" [ "$(jbody '.items[0].ticket')" = "$T3" -a "$(jbody .next_cursor)" = null ]
req GET /v1/assignments "$SKY"
A2=$(jbody '.items[0].id')
check "skyview's queue holds only the TV claim" [ "$(jbody '[.items[].ticket] | join(",")')" = "$T2" ]
check "skyview is not given the customer's contact (its configuration withholds it)" [ "$(jbody '.items[0].customer | has("contact")')" = false -a "$(jbody '.items[0].customer.name')" = "Customer c1" ]
req GET "/v1/assignments/$A1" "$SKY"
check "another partner's assignment is 404" [ "$STATUS" = 404 ]
all404=0
for action in 'ack {}' 'progress {"note":"x"}' 'need-info {"question":"x"}' \
    'resolve {"resolution":"x"}' 'handback {"reason":"not_our_service"}'; do
    req POST "/v1/assignments/$A1/${action%% *}" "$SKY" "${action#* }"
    [ "$STATUS" = 404 ] || { all404=1; echo "# skyview ${action%% *} answered $STATUS"; }
done
check "... and 404 for every action on it" [ $all404 = 0 ]
req GET "/v1/assignments?state=bogus" "$FIB"
check "an unknown state is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = state ]
req GET "/v1/assignments?wait=61" "$FIB"
check "wait over 60 seconds is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = wait ]
req GET "/v1/assignments" "$C1"
check "a customer has no queue (404)" [ "$STATUS" = 404 ]

# --- long-poll: answered by the commit of a new claim, not by the wait's end
req GET "/v1/assignments?state=assigned&cursor=$(jbody .next_cursor // empty)" "$NORD"
req GET /v1/assignments "$NORD"
check "nordtel's queue is empty" [ "$(jbody '.items | length')" = 0 ]
curl -s --max-time 30 -H "Authorization: Bearer $NORD" "$(URL '/v1/assignments?wait=60')" >"$TMP/poll" &
POLL=$!
sleep 0.5
ctl customer add c2 --name "Customer c2" --bundle phone-only --region south >/dev/null
C2=$(ctl token issue --role customer --subject c2 2>/dev/null)
req POST /v1/tickets "$C2" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
T4=$(jbody .id)
wait $POLL
check "a long-poll is answered when a claim for it commits" [ "$(jq -r '.items[0].ticket' "$TMP/poll")" = "$T4" ]
req GET "/v1/assignments?wait=1&cursor=$(jq -r '.items[0].id' "$TMP/poll")" "$NORD"
check "a long-poll with no news ends with an empty page" [ "$STATUS" = 200 -a "$(jbody '.items | length')" = 0 ]

# --- working a claim
req POST "/v1/assignments/$A1/progress" "$FIB" '{"note":"Checked the line."}'
check "progress before acknowledging is 409" [ "$STATUS" = 409 ]
req POST "/v1/assignments/$A1/ack" "$FIB" '{}'
req POST "/v1/assignments/$A1/progress" "$FIB" '{"note":"Internal: port 7 flapping."}'
check "progress moves the claim to inProgress" [ "$STATUS" = 200 -a "$(jbody .state)" = inProgress ]
req POST "/v1/assignments/$A1/need-info" "$FIB" '{"question":"Is the router plugged into the wall socket?"}'
check "need-info makes the ticket pending" [ "$(jbody .ticket_status)" = pending ]
req GET "/v1/tickets/$T1" "$C1"
check "the customer sees the question" [ "$(jbody .status)" = pending -a "$(jbody '.timeline[-1].text')" = "Is the router plugged into the wall socket?" ]
check "the customer never sees the partner's internal note" [ "$(jbody '[.timeline[] | select(.text == "Internal: port 7 flapping.")] | length')" = 0 ]
req POST "/v1/assignments/$A1/need-info" "$FIB" '{"question":"again?"}'
check "a second question while one is open is 409" [ "$STATUS" = 409 ]
req POST "/v1/tickets/$T1/notes" "$C1" '{"text":"Yes, it is."}'
check "the customer's answer puts the ticket back inProgress" [ "$(jbody .status)" = inProgress ]

# --- hand-backs
req POST "/v1/assignments/$A1/handback" "$FIB" '{"reason":"because"}'
check "an unknown reason is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = reason ]
req POST "/v1/assignments/$A1/handback" "$FIB" '{"reason":"belongs_to"}'
check "belongs_to without a partner is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = partner ]
req POST "/v1/assignments/$A1/handback" "$FIB" '{"reason":"belongs_to","partner":"acme"}'
check "belongs_to an unknown partner is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = partner ]
req POST "/v1/assignments/$A1/handback" "$FIB" '{"reason":"customer_side","note":"In-home wiring."}'
check "a hand-back is recorded with the time held" [ "$STATUS" = 200 -a "$(jbody .state)" = handed_back -a "$(jbody '.handback_reason')" = customer_side ]
check "the claim went along the chain to the lead (the wiring provider)" live_owner "$T1"
check "... owned by the lead, disputed: it came by a hand-back" [ "$(jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.assignments[-1].flags | index("disputed") != null')" = true ]
check "the handed-back claim records how long fibernet held it" [ "$(jbody '.assignments[0].held_ms')" -ge 0 ]
req GET "/v1/tickets/$T1" "$C1"
check "the customer does not see the companies' ping-pong" [ "$(jbody '[.timeline[] | select(.type == "assignment.handed_back")] | length')" = 0 -a "$(jbody .status)" = inProgress ]
req GET "/v1/tickets/$T1" "$LEAD"
AL=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$AL/handback" "$LEAD" '{"reason":"not_our_service"}'
check "the lead cannot hand back: it is the owner of last resort (409)" [ "$STATUS" = 409 ]

# Ping-pong: every candidate says no.
T5=$(file "$TV")
steps_ok=0
check "TV goes to skyview" live_owner "$T5"
A=$(jbody '.assignments[-1].id'); [ "$(jbody '.assignments[-1].partner')" = skyview ] || ok 1 "not skyview"
req POST "/v1/assignments/$A/handback" "$SKY" '{"reason":"belongs_to","partner":"fibernet"}'
check "skyview says it belongs to fibernet, a possible owner: fibernet gets it" live_owner "$T5"
check "... fibernet" [ "$(jbody '.assignments[-1].partner')" = fibernet ]
A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$FIB" '{"reason":"belongs_to","partner":"skyview"}'
check "fibernet sends it back to skyview, which refused it already: the lead" live_owner "$T5"
check "... flagged disputed" [ "$(jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.assignments[-1].flags | index("disputed") != null')" = true -a "$(jbody '.flags | index("disputed") != null')" = true ]
req GET "/v1/tickets?flag=disputed" "$LEAD"
check "the lead finds both among the disputed" [ "$(jbody '[.items[].id] | join(",")')" = "$T5,$T1" ]

# not_our_service all the way down the chain.
T6=$(file "$TV")
live_owner "$T6"; A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$SKY" '{"reason":"not_our_service"}'
check "skyview: not ours; the chain's next is fibernet" [ "$(live_owner "$T6"; jbody '.assignments[-1].partner')" = fibernet ]
A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$FIB" '{"reason":"not_our_service"}'
check "fibernet: not ours either; the lead, as the chain's last step" live_owner "$T6"
check "... the lead, disputed although the chain named it" [ "$(jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.assignments[-1].flags | index("disputed") != null')" = true ]
check "... the event names the bouncers and their time" [ "$(jbody '.assignments | map(select(.state == "handed_back")) | length')" = 2 ]

# belongs_to a partner of the customer's bundle outside the chain: taken.
T7=$(file "$INTERNET")
live_owner "$T7"; A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$FIB" '{"reason":"belongs_to","partner":"skyview"}'
check "belongs_to skyview, the bundle's TV provider, outside the chain: skyview takes it" live_owner "$T7"
check "... not disputed" [ "$(jbody '.assignments[-1].partner')" = skyview -a "$(jbody '.flags | index("disputed")')" = null ]
# belongs_to a partner outside the customer's bundle: refused, the chain goes on.
req POST /v1/tickets "$C2" '{"summary":"Dead again","description":"","service":"phone","symptom":"no_dial_tone"}'
T7b=$(jbody .id)
live_owner "$T7b"; A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$NORD" '{"reason":"belongs_to","partner":"skyview"}'
check "belongs_to skyview for a phone-only customer: refused with its reason" [ "$STATUS" = 200 -a "$(jbody .belongs_to_refused)" = not_in_bundle -a -n "$(jbody .belongs_to_refused_message)" ]
check "... the chain's lead takes it, disputed" [ "$(live_owner "$T7b"; jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.flags | index("disputed") != null')" = true ]

# duplicate: the lead decides.
T8=$(file "$INTERNET")
live_owner "$T8"; A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$FIB" '{"reason":"duplicate"}'
check "duplicate without a ticket is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = ticket ]
req POST "/v1/assignments/$A/handback" "$FIB" "{\"reason\":\"duplicate\",\"ticket\":\"$T7\"}"
check "a duplicate goes to the lead, flagged" live_owner "$T8"
check "... duplicate" [ "$(jbody '.assignments[-1].flags | index("duplicate") != null')" = true ]
stop_broker

# max_bounces: with max_bounces 1 the first hand-back ends with the lead, disputed.
jq '.max_bounces = 1' "$CONF" >"$TMP/one.json"
CONF=$TMP/one.json start_broker
T9=$(file "$TV")
live_owner "$T9"; A=$(jbody '.assignments[-1].id')
req POST "/v1/assignments/$A/handback" "$SKY" '{"reason":"not_our_service"}'
check "after max_bounces hand-backs the lead owns it" live_owner "$T9"
check "... flagged disputed" [ "$(jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.flags | index("disputed") != null')" = true ]
stop_broker
# --- an assignment answered alone (its event escaped by seam) is the queue's view of it (escaped
# by Jansson), with every character a JSON string can need escaped in the signed event
start_broker
TRICKY='{"summary":"q \" b \\ t \t n \n c \u0001 \u001f é ✓ 😀 </x>","description":"\\\"","service":"internet","symptom":"slow"}'
T10=$(file "$TRICKY")
page_item() { # the queue's view of fibernet's claim on ticket $1
    req GET "/v1/assignments?limit=200" "$FIB"
    jq -S --arg t "$1" '.items[] | select(.ticket == $t)' "$TMP/body"
}
page_item "$T10" >"$TMP/from_page"
A10=$(jq -r .id "$TMP/from_page")
req GET "/v1/assignments/$A10" "$FIB"
# (one claim's page adds whom a belongs_to hand-back may name; the queue's items do not carry it)
jq -S 'del(.belongs_to_choices)' "$TMP/body" >"$TMP/from_get"
check "an assignment alone is the queue's view of it, escapes and all" cmp "$TMP/from_page" "$TMP/from_get"
check "... and whom a belongs_to hand-back may name" [ "$(jbody '.belongs_to_choices | length')" -ge 1 ]
check "... its event's bytes parse back to the text filed" [ "$(jq -r '.event.bytes | fromjson | .data.summary' "$TMP/from_get")" = "$(jq -r .summary "$TMP/from_get")" -a "$(jq -r '.summary | length' "$TMP/from_get")" = 32 ]
req POST "/v1/assignments/$A10/ack" "$FIB" '{}'
jq -S 'del(.action_event)' "$TMP/body" >"$TMP/from_ack"
check "... the answer to ack carries its own event (action_event)" \
    [ "$(jbody .action_event.type)" = assignment.acknowledged ]
page_item "$T10" >"$TMP/from_page"
check "the answer to ack is, besides, the queue's view of the claim after it" cmp "$TMP/from_page" "$TMP/from_ack"
check "... acknowledged" [ "$(jq -r .state "$TMP/from_ack")" = acknowledged ]
stop_broker
check "seamctl verify passes over all of it" ctl verify
finish
