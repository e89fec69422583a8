#!/usr/bin/env bash
# The TMF621 hub's listener query (TMF630's notification filter): a listener
# receives only the events its query selects, by eventType and by attributes
# of the ticket the event carries (event.troubleTicket.ATTR, the list
# filter's attributes and operators); a query seam cannot apply is refused
# at registration with a 400 naming "query", never stored and ignored.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_sim
start_broker

listen() { # NAME QUERY: a listener at /NAME with that query; 201 expected
    req POST "$TMF/hub" "$LEAD" "$(jq -nc --arg c "http://127.0.0.1:$SIMPORT/$1" --arg q "$2" '{callback: $c, query: $q}')"
    check "a listener with query \"$2\": 201" [ "$STATUS" = 201 ]
}
listen all ""
listen resolved "eventType=TroubleTicketResolvedEvent"
listen critical "event.troubleTicket.severity=Critical"
listen mef "eventType = troubleTicketStatusChangeEvent & event.troubleTicket.status=resolved,closed"
listen created_or_changed "eventType=TroubleTicketCreateEvent,TroubleTicketAttributeValueChangeEvent"
listen later "event.troubleTicket.creationDate.gt=2100-01-01T00:00:00Z"

refused() { # QUERY: 400 invalid_field naming query, and no listener stored
    req POST "$TMF/hub" "$LEAD" "$(jq -nc --arg c "http://127.0.0.1:$SIMPORT/bad" --arg q "$1" '{callback: $c, query: $q}')"
    check "query \"$1\" is refused: 400 naming query ($(jbody .message))" \
        [ "$STATUS" = 400 -a "$(jbody .code)" = invalid_field -a "$(jref)" = query ]
}
refused "colour=red"
refused "eventType=TroubleTicketExplodedEvent"
refused "eventType="
refused "event.troubleTicket.status=nanana"
refused "event.troubleTicket.colour=red"
refused "event.troubleTicket.creationDate.gt=yesterday"
refused "event.troubleTicket.severity.gt=High"
refused "just words"

# A critical ticket filed, then a high one filed, changed and resolved, and closed.
req POST "$TMF/troubleTicket" "$C1" '{"name":"Dead","description":"Line dead.","severity":"Critical","ticketType":"connectivity"}'
TC=$(jbody .id)
req POST "$TMF/troubleTicket" "$C1" '{"name":"Slow","description":"Slow line.","severity":"High","ticketType":"connectivity"}'
TH=$(jbody .id)
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary '{"externalId":"CRM-7"}' "$(URL "$TMF/troubleTicket/$TH")")
check "the high one changes an attribute (200)" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$TH" "$LEAD"
A=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$A/resolve" "$FIB" '{"resolution":"Re-synced."}'
check "the high one is resolved" [ "$STATUS" = 200 ]
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary '{"status":"closed"}' "$(URL "$TMF/troubleTicket/$TH")")
check "... and closed by the customer" [ "$STATUS" = 200 ]

# heard NAME: "TYPE:TICKET" for each event the listener at /NAME received, sorted.
heard() { jq -r --arg p "/$1" 'select(.path == $p and .status == 200) | "\(.type):\(.tmf_ticket)"' "$TMP/sim.log" | sort; }
all_heard() { [ "$(heard all | wc -l)" -ge 6 ]; }
check "the listener without a query hears every event" eventually 10 all_heard
sleep 1 # the others' deliveries go out in the same passes
check "... (create x2, attribute change, status changes, resolved)" \
    [ "$(heard all | cut -d: -f1 | sort -u | paste -sd,)" = \
        "TroubleTicketAttributeValueChangeEvent,TroubleTicketCreateEvent,TroubleTicketResolvedEvent,TroubleTicketStatusChangeEvent" ]
check "eventType=TroubleTicketResolvedEvent hears the resolution alone" \
    [ "$(heard resolved | paste -sd' ')" = "TroubleTicketResolvedEvent:$TH" ]
check "severity=Critical hears the critical ticket's events alone" \
    [ "$(heard critical | paste -sd' ')" = "TroubleTicketCreateEvent:$TC" ]
check "status changes to resolved or closed (MEF's spelling, spaces around =)" \
    [ "$(heard mef | paste -sd' ')" = "TroubleTicketStatusChangeEvent:$TH TroubleTicketStatusChangeEvent:$TH" ]
want=$(printf '%s\n' "TroubleTicketAttributeValueChangeEvent:$TH" "TroubleTicketCreateEvent:$TC" "TroubleTicketCreateEvent:$TH" | sort | paste -sd' ')
check "two event types as OR" [ "$(heard created_or_changed | paste -sd' ')" = "$want" ]
check "creationDate.gt a later year: nothing" [ -z "$(heard later)" ]
check "no refused query was stored (nothing at /bad)" [ -z "$(heard bad)" ]
check "every event's signature verifies" [ "$(jq -s '[.[] | select(.verified == false)] | length' "$TMP/sim.log")" = 0 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
