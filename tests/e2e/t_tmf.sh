#!/usr/bin/env bash
# The TMF621 face beyond the conformance kit: a TMF ticket is a seam ticket
# (routed, signed, visible in /v1 and back), PATCH through the state
# machine, DELETE as a lead's cancel, paging with counts, attribute
# filters, TMF errors, partners seeing only their own, and hub listeners
# receiving signed events through the outbox.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only south)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
start_sim
start_broker

req POST "$TMF/hub" "$LEAD" "{\"callback\":\"http://127.0.0.1:$SIMPORT/tmf/listener\"}"
check "the lead registers a listener" [ "$STATUS" = 201 -a -n "$(jbody .id)" ]
HUB=$(jbody .id)
req POST "$TMF/hub" "$C1" '{"callback":"http://127.0.0.1:1/x"}'
check "a customer may not register listeners (404)" [ "$STATUS" = 404 ]
req POST "$TMF/hub" "$LEAD" '{"callback":"ftp://example/x"}'
check "a callback must be http(s) (400)" [ "$STATUS" = 400 -a "$(jbody .code)" = invalid_field ]

BODY='{"name":"Fibre down","description":"No light on the ONT.","severity":"High","ticketType":"connectivity","externalId":"CRM-1","relatedEntity":[{"id":"ont","role":"equipment","@referredType":"Resource"}],"note":[{"author":"crm","text":"Customer called twice."}]}'
req POST "$TMF/troubleTicket" "$C1" "$BODY"
check "a customer files through TMF621: 201" [ "$STATUS" = 201 -a "$(jbody .status)" = acknowledged ]
T1=$(jbody .id)
check "with a Location" [ "$(header Location)" = "$TMF/troubleTicket/$T1" ]
check "and the TMF attributes as given" [ "$(jbody '.severity + "|" + .ticketType + "|" + .externalId + "|" + .note[0].text')" = "High|connectivity|CRM-1|Customer called twice." ]
req GET "/v1/tickets/$T1" "$LEAD"
check "the TMF ticket is a seam ticket, routed by the rules" [ "$(jbody '.assignments[0].partner + " " + .service + " " + .equipment + " " + .priority')" = "fibernet internet ont high" ]
req GET "/v1/tickets/$T1" "$C1"
check "the customer sees it through /v1" [ "$STATUS" = 200 -a "$(jbody .summary)" = "Fibre down" ]
req POST /v1/tickets "$C1" '{"summary":"Slow","description":"","service":"internet","symptom":"slow","priority":"low"}'
T2=$(jbody .id)
req GET "$TMF/troubleTicket/$T2" "$C1"
check "a /v1 ticket shows through TMF621" [ "$STATUS" = 200 -a "$(jbody '.severity + " " + .ticketType')" = "Low internet" ]
req POST "$TMF/troubleTicket" "$C2" '{"description":"Line dead","severity":"Critical","ticketType":"phone"}'
T3=$(jbody .id)

req GET "$TMF/troubleTicket?limit=1" "$C1"
check "paging: one of the customer's two, with counts" [ "$(jbody 'length')" = 1 -a "$(header X-Total-Count)" = 2 -a "$(header X-Result-Count)" = 1 ]
req GET "$TMF/troubleTicket?offset=1&limit=5" "$C1"
check "offset skips" [ "$(jbody 'length')" = 1 -a "$(header X-Result-Count)" = 1 ]
req GET "$TMF/troubleTicket?severity=High&status=acknowledged" "$C1"
check "attribute filters" [ "$(jbody '[.[].id] | join(",")')" = "$T1" ]
req GET "$TMF/troubleTicket?fields=id,severity" "$LEAD"
check "the lead sees all three, only the fields asked for" [ "$(jbody 'length')" = 3 -a "$(jbody '[.[] | keys | join(",")] | unique | join(";")')" = "id,severity" ]
req GET "$TMF/troubleTicket?limit=x" "$LEAD"
check "a bad limit is 400 in TMF's Error shape" [ "$STATUS" = 400 -a "$(jbody '.code + " " + .status')" = "invalid_parameter 400" -a -n "$(jbody .reason)" ]
req GET "$TMF/troubleTicket" "$FIB"
check "a partner lists only the tickets it has claims on" [ "$(jbody '[.[].id] | sort | join(",")')" = "$(printf '%s\n' "$T1" "$T2" | sort | paste -sd,)" ]
req GET "$TMF/troubleTicket/$T3" "$FIB"
check "and gets 404 for others" [ "$STATUS" = 404 -a "$(jbody .code)" = not_found ]
req GET "$TMF/troubleTicket/$T3" "$C1"
check "another customer's ticket is 404" [ "$STATUS" = 404 ]

PATCH() { STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary "$3" "$(URL "$TMF/troubleTicket/$2")"); }
PATCH "$C1" "$T1" '{"name":"Fibre down since Monday","note":[{"text":"Also the TV."}]}'
check "PATCH changes attributes (merge patch)" [ "$STATUS" = 200 -a "$(jbody .name)" = "Fibre down since Monday" ]
check "a note array replaces the ticket's (RFC 7396; t_tmf_patch.sh)" [ "$(jbody '[.note[].text] | join("|")')" = "Also the TV." ]
PATCH "$C1" "$T1" '{"status":"resolved"}'
check "a status the work sets is refused: 409" [ "$STATUS" = 409 -a "$(jbody .code)" = conflict ]
PATCH "$C1" "$T1" '{"status":"closed"}'
check "closing an unresolved ticket: 409 from the state machine" [ "$STATUS" = 409 ]
PATCH "$C1" "$T1" '{"creationDate":"2020-01-01T00:00:00Z"}'
check "a server-owned attribute cannot be patched (400)" [ "$STATUS" = 400 -a "$(jref)" = creationDate ]
PATCH "$C1" "$T1" '{"description":42}'
check "a wrong type is 400" [ "$STATUS" = 400 ]
PATCH "$C2" "$T1" '{"name":"mine"}'
check "another customer's PATCH is 404" [ "$STATUS" = 404 ]
A=$(curl -s -H "Authorization: Bearer $FIB" "$(URL /v1/assignments)" | jq -r ".items[] | select(.ticket == \"$T1\") | .id")
req POST "/v1/assignments/$A/resolve" "$FIB" '{"resolution":"Spliced."}'
PATCH "$C1" "$T1" '{"status":"closed","statusChangeReason":"Works again."}'
check "the customer closes a resolved ticket through TMF" [ "$STATUS" = 200 -a "$(jbody .status)" = closed ]
check "statusChange comes from the events" [ "$(jbody '[.statusChange[].status] | join(",")')" = "acknowledged,resolved,closed" ]

STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $C2" "$(URL "$TMF/troubleTicket/$T3")")
check "a customer cannot DELETE (404)" [ "$STATUS" = 404 ]
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $LEAD" "$(URL "$TMF/troubleTicket/$T3")")
check "the lead's DELETE answers 204" [ "$STATUS" = 204 ]
req GET "/v1/tickets/$T3" "$LEAD"
check "... and cancels: nothing is erased" [ "$(jbody .status)" = cancelled ]
req GET "/v1/tickets/$T3/evidence" "$LEAD"
cp "$TMP/body" "$TMP/ev.json"
check "... its evidence still verifies" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $LEAD" "$(URL "$TMF/troubleTicket/$T3")")
check "deleting it again is 409" [ "$STATUS" = 409 ]
req POST "$TMF/troubleTicket" "$LEAD" '{"description":"x","severity":"Low","ticketType":"phone"}'
check "the lead files only for a named customer (400)" [ "$STATUS" = 400 -a "$(jref)" = relatedParty ]
req POST "$TMF/troubleTicket" "$LEAD" '{"description":"For c2","severity":"Low","ticketType":"phone","relatedParty":[{"id":"c2","role":"customer"}]}'
check "the lead files for a customer named in relatedParty" [ "$STATUS" = 201 -a "$(jbody '.relatedParty[0].id')" = c2 ]

# The listener heard it all, signed by the broker.
got() { jq -s --arg t "$1" '[.[] | select(.type == $t and .status == 200)] | length' "$TMP/sim.log"; }
has_events() { [ "$(got TroubleTicketCreateEvent)" -ge 4 ] && [ "$(got TroubleTicketResolvedEvent)" -ge 1 ]; }
check "listeners receive the events" eventually 10 has_events
check "status changes" [ "$(got TroubleTicketStatusChangeEvent)" -ge 3 ]
check "attribute changes" [ "$(got TroubleTicketAttributeValueChangeEvent)" -ge 1 ]
check "each event carries the ticket as its change left it (resolved when resolved)" \
    [ "$(jq -rs '[.[] | select(.type == "TroubleTicketResolvedEvent") | .tmf_status] | unique | join(",")' "$TMP/sim.log")" = resolved ]
check "... and a closing change carries the closed ticket" \
    [ "$(jq -rs '[.[] | select(.type == "TroubleTicketStatusChangeEvent") | .tmf_status] | index("closed") != null' "$TMP/sim.log")" = true ]
check "every event's signature verifies with the broker's key" [ "$(jq -s '[.[] | select(.verified == false)] | length' "$TMP/sim.log")" = 0 ]
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $LEAD" "$(URL "$TMF/hub/$HUB")")
check "the lead removes the listener (204)" [ "$STATUS" = 204 ]
n=$(wc -l <"$TMP/sim.log")
req POST "$TMF/troubleTicket" "$C1" '{"description":"After","severity":"Low","ticketType":"tv"}'
sleep 0.5
check "a removed listener hears nothing more" [ "$(wc -l <"$TMP/sim.log")" = "$n" ]
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $LEAD" "$(URL "$TMF/hub/$HUB")")
check "removing it again is 404" [ "$STATUS" = 404 ]
stop_broker
check "seamctl verify passes over TMF's tickets too" ctl verify
finish
