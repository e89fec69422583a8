#!/usr/bin/env bash
# TMF621 v5 (5.0.1) under /tmf-api/troubleTicketManagement/v5, beside v4 and
# over the same tickets (docs/interop.md, "TMF621 v5"):
#   - create, get, list (v4's filters, paging and counts), PATCH (merge
#     patch and JSON Patch), DELETE, through the same checks and state
#     machine; every object of the resource with its @type;
#   - v5's own shapes: externalIdentifier (kept in step with v4's
#     externalId), relatedEntity {role, entity}, relatedParty {role,
#     partyOrPartyRole}, statusChangeHistory, attachment references;
#   - v4's attributes and what seam does not carry are refused (400), errors
#     in v5's Error shape;
#   - a v5 listener receives v5's events (@type, event.troubleTicket),
#     signed; a v4 listener still v4's.
# Under tests/run.sh the answers are captured (tests/contract/scripts) and
# t_contract.sh validates them against docs/openapi.yaml and against the v5
# definition's schemas (tests/contract/validate_tmf5.js), the events too.
. "$(dirname "$0")/lib.sh"
V5=/tmf-api/troubleTicketManagement/v5
V4=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only south)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_sim
start_broker

PATCH() { # TOKEN ID BODY [CONTENT-TYPE]
    STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X PATCH \
        -H "Authorization: Bearer $1" -H "Content-Type: ${4:-application/merge-patch+json}" \
        --data-binary "$3" "$(URL "$V5/troubleTicket/$2")")
    [ -z "${SEAM_CAPTURE:-}" ] || capture PATCH "$V5/troubleTicket/$2"
}
JPATCH() { PATCH "$1" "$2" "$3" application/json-patch+json; }
DELETE() { # TOKEN PATH
    STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X DELETE \
        -H "Authorization: Bearer $1" "$(URL "$2")")
    [ -z "${SEAM_CAPTURE:-}" ] || capture DELETE "$2"
}
# refused STATUS CODE FIELD: v5's Error (with @type) naming FIELD by its URI
refused() {
    local want=null
    [ -z "$3" ] || want=$(jq -rn --arg f "$3" '"urn:seam:field:" + ($f | @uri)')
    [ "$STATUS" = "$1" ] && [ "$(jbody .code)" = "$2" ] && [ "$(jbody '."@type"')" = Error ] &&
        [ "$(jbody .referenceError)" = "$want" ] && [ -n "$(jbody .reason)" ]
}

req POST "$V5/hub" "$LEAD" "{\"@type\":\"Hub\",\"callback\":\"http://127.0.0.1:$SIMPORT/v5/listener\"}"
check "the lead registers a v5 listener: v5's Hub, with its @type" \
    [ "$STATUS" = 201 -a "$(jbody '."@type"')" = Hub -a "$(header Location)" = "$V5/hub/$(jbody .id)" ]
HUB5=$(jbody .id)
req POST "$V4/hub" "$LEAD" "{\"callback\":\"http://127.0.0.1:$SIMPORT/v4/listener\"}"
HUB4=$(jbody .id)
req GET "$V5/hub/$HUB5" "$LEAD"
check "the lead reads the v5 listener back (hubGet): v5's Hub, its callback, no query" \
    [ "$STATUS" = 200 -a "$(jbody '."@type" + " " + .id + " " + .callback + " " + (has("query") | tostring)')" = "Hub $HUB5 http://127.0.0.1:$SIMPORT/v5/listener false" ]
req GET "$V5/hub/$HUB4" "$LEAD"
check "... and one the v4 face registered, in v5's shape" [ "$STATUS" = 200 -a "$(jbody '."@type"')" = Hub ]
req GET "$V5/hub/0123456789abcdef" "$LEAD"
check "... a listener that does not exist is 404, a TMF Error" [ "$STATUS" = 404 -a "$(jbody '."@type"')" = Error ]
req GET "$V5/hub/$HUB5" "$C1"
check "... a customer may not read listeners (404)" [ "$STATUS" = 404 ]
req POST "$V5/hub" "$LEAD" '{"callback":"http://127.0.0.1:1/x","colour":"red"}'
check "a Hub member v5 does not have is 400" [ "$STATUS" = 400 -a "$(jbody .code)" = unknown_field ]
req POST "$V5/hub" "$C1" '{"callback":"http://127.0.0.1:1/x"}'
check "a customer may not register listeners (404)" [ "$STATUS" = 404 ]

BODY='{"@type":"TroubleTicket","name":"Fibre down","description":"No light on the ONT.","severity":"High","ticketType":"connectivity",
 "externalIdentifier":[{"@type":"ExternalIdentifier","id":"CRM-1","owner":"crm","externalIdentifierType":"Case"},{"id":"OSS-9","owner":"oss"}],
 "relatedEntity":[{"@type":"RelatedEntity","role":"equipment","entity":{"@type":"EntityRef","id":"ont","@referredType":"Resource"}}],
 "note":[{"@type":"Note","text":"Customer called twice."}],
 "attachment":[{"@type":"AttachmentRef","id":"photo-1","url":"https://crm.example/att/photo-1","description":"the ONT"}]}'
req POST "$V5/troubleTicket" "$C1" "$BODY"
check "a customer files through v5: 201, acknowledged" [ "$STATUS" = 201 -a "$(jbody .status)" = acknowledged ]
T1=$(jbody .id)
check "with a Location on the v5 face and v5's href" \
    [ "$(header Location)" = "$V5/troubleTicket/$T1" -a "$(jbody .href)" = "$V5/troubleTicket/$T1" ]
check "externalIdentifier as given, each with its @type" \
    [ "$(jbody '[.externalIdentifier[] | .id + ":" + .owner + ":" + ."@type"] | join(",")')" = "CRM-1:crm:ExternalIdentifier,OSS-9:oss:ExternalIdentifier" ]
check "relatedEntity as v5 nests it" \
    [ "$(jbody '.relatedEntity[0] | .role + " " + .entity.id + " " + .entity."@type" + " " + ."@type"')" = "equipment ont EntityRef RelatedEntity" ]
check "relatedParty names the customer as a PartyRef" \
    [ "$(jbody '.relatedParty[0] | .role + " " + .partyOrPartyRole.id + " " + .partyOrPartyRole."@type"')" = "customer c1 PartyRef" ]
check "notes are seam's (author, date) with their @type" \
    [ "$(jbody '.note[0] | .author + " " + ."@type" + " " + .text')" = "customer:c1 Note Customer called twice." ]
check "an attachment reference stays a reference" \
    [ "$(jbody '.attachment[0] | ."@type" + " " + .id + " " + .url')" = "AttachmentRef photo-1 https://crm.example/att/photo-1" ]
check "statusChangeHistory, not v4's statusChange" \
    [ "$(jbody '[.statusChangeHistory[] | .status + "/" + ."@type"] | join(",")')" = "acknowledged/StatusChange" -a "$(jbody 'has("statusChange") or has("externalId")')" = false ]
req GET "/v1/tickets/$T1" "$LEAD"
check "a v5 ticket is a seam ticket, routed by the rules" \
    [ "$(jbody '.assignments[0].partner + " " + .service + " " + .equipment + " " + .priority')" = "fibernet internet ont high" ]
req GET "$V4/troubleTicket/$T1" "$C1"
check "v4 shows the same ticket: externalId the first identifier, flat relatedEntity" \
    [ "$(jbody '.externalId + " " + .relatedEntity[0].id + " " + (has("externalIdentifier") | tostring) + " " + .statusChange[0].status')" = "CRM-1 ont false acknowledged" ]

req POST "$V4/troubleTicket" "$C1" '{"description":"TV box","severity":"Low","ticketType":"tv","externalId":"CRM-2","relatedEntity":[{"name":"stb","role":"equipment"}]}'
T2=$(jbody .id)
req GET "$V5/troubleTicket/$T2" "$C1"
check "a v4 ticket shows through v5: externalId as an ExternalIdentifier" \
    [ "$STATUS" = 200 -a "$(jbody '.externalIdentifier[0].id + " " + .externalIdentifier[0]."@type"')" = "CRM-2 ExternalIdentifier" ]
check "... a relatedEntity named only by its name is an EntityRef of that id" \
    [ "$(jbody '.relatedEntity[0].entity | .id + " " + .name')" = "stb stb" ]
req POST /v1/tickets "$C1" '{"summary":"Slow","description":"","service":"internet","symptom":"slow","priority":"low"}'
T3=$(jbody .id)
req GET "$V5/troubleTicket/$T3" "$C1"
check "a /v1 ticket shows through v5" [ "$STATUS" = 200 -a "$(jbody '.severity + " " + .ticketType + " " + ."@type"')" = "Low internet TroubleTicket" ]
req POST "$V5/troubleTicket" "$LEAD" '{"@type":"TroubleTicket","description":"For c2","severity":"Critical","ticketType":"phone","relatedParty":[{"@type":"RelatedPartyRefOrPartyRoleRef","role":"customer","partyOrPartyRole":{"@type":"PartyRef","id":"c2","@referredType":"Customer"}}]}'
check "the lead files for a customer named in relatedParty (partyOrPartyRole)" \
    [ "$STATUS" = 201 -a "$(jbody '.relatedParty[0].partyOrPartyRole.id')" = c2 ]
T4=$(jbody .id)
req POST "$V5/troubleTicket" "$LEAD" '{"description":"x","severity":"Low","ticketType":"phone"}'
check "the lead files only for a named customer (400)" refused 400 missing_field relatedParty

# Refusals: v5's Error, nothing stored.
n0=$(curl -s -H "Authorization: Bearer $LEAD" "$(URL "$V5/troubleTicket")" | jq length)
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","externalId":"X"}'
check "v4's externalId is no v5 attribute (400 unknown_field)" refused 400 unknown_field externalId
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","relatedEntity":[{"role":"equipment"}]}'
check "a relatedEntity without its entity is 400 naming it" refused 400 missing_field "relatedEntity[0].entity"
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","relatedEntity":[{"role":"equipment","entity":{"name":"ont"}}]}'
check "an EntityRef without an id is 400 naming it" refused 400 missing_field "relatedEntity[0].entity.id"
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","externalIdentifier":[{"owner":"crm"}]}'
check "an ExternalIdentifier without an id is 400" refused 400 missing_field "externalIdentifier[0].id"
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","externalIdentifier":[{"id":"A","colour":"red"}]}'
check "an ExternalIdentifier member v5 does not have is 400" refused 400 unknown_field "externalIdentifier[0].colour"
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","troubleTicketCharacteristic":[]}'
check "an attribute seam does not carry is 400, not dropped" refused 400 invalid_field troubleTicketCharacteristic
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"nanana","ticketType":"tv"}'
check "a severity outside the list is 400" refused 400 invalid_field severity
req POST "$V5/troubleTicket" "$C1" '{"severity":"Low","ticketType":"tv"}'
check "a missing description is 400" refused 400 missing_field description
req POST "$V5/troubleTicket" "$C1" '[1]'
check "a body that is no object is 400" [ "$STATUS" = 400 -a "$(jbody '."@type"')" = Error ]
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","relatedEntity":[{"role":"equipment","entity":"ont"}]}'
check "an entity that is no object is 400 naming it" refused 400 invalid_field "relatedEntity[0].entity"
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","relatedEntity":{"role":"equipment"}}'
check "a relatedEntity that is no array is 400" refused 400 invalid_field relatedEntity
req POST "$V5/troubleTicket" "$C1" "{\"description\":\"d\",\"severity\":\"Low\",\"ticketType\":\"tv\",\"externalIdentifier\":[$(printf '{"id":"x"},%.0s' $(seq 1 20)){\"id\":\"y\"}]}"
check "more than 20 external identifiers is 400" refused 400 invalid_field externalIdentifier
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","externalIdentifier":[{"id":null}]}'
check "a null id is no string: 400" refused 400 invalid_field "externalIdentifier[0].id"
req POST "$V5/troubleTicket" "$C1" '{"description":"d","severity":"Low","ticketType":"tv","relatedParty":[{"role":"customer","partyOrPartyRole":{"id":"c2"}}]}'
check "a customer files only for itself (400)" refused 400 invalid_field relatedParty
check "... and none of them stored anything" \
    [ "$(curl -s -H "Authorization: Bearer $LEAD" "$(URL "$V5/troubleTicket")" | jq length)" = "$n0" ]

# The list: v4's filters, paging and counts; fields keep id, href and @type.
req GET "$V5/troubleTicket?limit=1" "$C1"
check "paging: one of the customer's three, with counts" \
    [ "$(jbody length)" = 1 -a "$(header X-Total-Count)" = 3 -a "$(header X-Result-Count)" = 1 ]
req GET "$V5/troubleTicket?severity=High,Low&status=acknowledged" "$C1"
check "attribute filters, as v4's" [ "$(jbody '[.[].id] | sort | join(",")')" = "$(printf '%s\n' "$T1" "$T2" "$T3" | sort | paste -sd, -)" ]
req GET "$V5/troubleTicket?externalId=CRM-1" "$C1"
check "the external id filters (externalId, the first identifier)" [ "$(jbody '[.[].id] | join(",")')" = "$T1" ]
req GET "$V5/troubleTicket?externalIdentifier.id=OSS-9" "$C1"
check "... and externalIdentifier.id, any of a ticket's identifiers" [ "$(jbody '[.[].id] | join(",")')" = "$T1" ]
req GET "$V5/troubleTicket?externalIdentifier.id=CRM-2,nothing" "$C1"
check "... a v4 ticket's externalId among them" [ "$(jbody '[.[].id] | join(",")')" = "$T2" ]
req GET "$V5/troubleTicket?fields=severity" "$LEAD"
check "fields: the attributes asked for, and id, href, @type" \
    [ "$(jbody '[.[] | keys | join(",")] | unique | join(";")')" = "@type,href,id,severity" ]
req GET "$V5/troubleTicket?creationDate.gte=2000-01-01&creationDate.lt=2000-01-02" "$C1"
check "a date range that holds none: an empty page" [ "$STATUS" = 200 -a "$(jbody length)" = 0 -a "$(header X-Total-Count)" = 0 ]
req GET "$V5/troubleTicket?colour=red" "$C1"
check "an attribute the list does not filter on: 400 naming the argument" \
    [ "$STATUS" = 400 -a "$(jbody .referenceError)" = "urn:seam:parameter:colour" -a "$(jbody '."@type"')" = Error ]
req GET "$V5/troubleTicket" "$FIB"
check "a partner lists only the tickets it has claims on" \
    [ "$(jbody "[.[].id] | index(\"$T4\")")" = null -a "$(jbody "[.[].id] | index(\"$T1\") != null")" = true ]
req GET "$V5/troubleTicket/$T4" "$C1"
check "another customer's ticket is 404 in v5's Error" [ "$STATUS" = 404 -a "$(jbody '.code + " " + ."@type"')" = "not_found Error" ]

# PATCH: merge patch and JSON Patch, through v4's rules.
PATCH "$C1" "$T1" '{"externalIdentifier":[{"id":"CRM-7","owner":"crm"}],"note":[{"@type":"Note","text":"Customer called twice."},{"text":"Also the TV."}]}'
check "a merge patch replaces externalIdentifier and the notes (RFC 7396)" \
    [ "$STATUS" = 200 -a "$(jbody '[.externalIdentifier[].id] | join(",")')" = CRM-7 -a "$(jbody '[.note[].text] | join("|")')" = "Customer called twice.|Also the TV." ]
req GET "$V4/troubleTicket/$T1" "$C1"
check "... and v4's externalId follows it" [ "$(jbody .externalId)" = CRM-7 ]
JPATCH "$C1" "$T1" '[{"op":"add","path":"/note/-","value":{"@type":"Note","text":"Still down."}},{"op":"replace","path":"/name","value":"Fibre down since Monday"}]'
check "a JSON Patch appends a note and replaces the name" \
    [ "$STATUS" = 200 -a "$(jbody '.note | length')" = 3 -a "$(jbody .note[2].text)" = "Still down." -a "$(jbody .name)" = "Fibre down since Monday" ]
JPATCH "$C1" "$T1" '[{"op":"remove","path":"/externalIdentifier"}]'
check "removing externalIdentifier removes the external id on both faces" \
    [ "$STATUS" = 200 -a "$(jbody 'has("externalIdentifier")')" = false ]
req GET "$V4/troubleTicket/$T1" "$C1"
check "... (v4: no externalId)" [ "$(jbody 'has("externalId")')" = false ]
PATCH "$C1" "$T1" '{"severity":"Critical"}'
check "a severity change re-prioritises the ticket" [ "$STATUS" = 200 -a "$(jbody .priority)" = urgent ]
PATCH "$C1" "$T1" '{"externalId":"X"}'
check "a PATCH with v4's externalId is 400" refused 400 unknown_field externalId
PATCH "$C1" "$T1" '{"statusChangeHistory":[]}'
check "the server's statusChangeHistory cannot be patched (400)" refused 400 invalid_field statusChangeHistory
PATCH "$C1" "$T1" '{"status":"nanana"}'
check "a status outside the enumeration is 400" refused 400 invalid_field status
PATCH "$C1" "$T1" '{"status":"resolved"}'
check "a status the work sets is 409" [ "$STATUS" = 409 -a "$(jbody '."@type"')" = Error ]
JPATCH "$C1" "$T1" '[{"op":"move","from":"/name","path":"/description"}]'
check "a JSON Patch move is 400 naming the operation" refused 400 invalid_field "[0].op"
PATCH "$C2" "$T1" '{"name":"mine"}'
check "another customer's PATCH is 404" [ "$STATUS" = 404 ]

# The state machine: the partner resolves through /v1, the customer closes through v5.
A=$(curl -s -H "Authorization: Bearer $FIB" "$(URL /v1/assignments)" | jq -r ".items[] | select(.ticket == \"$T1\") | .id")
req POST "/v1/assignments/$A/ack" "$FIB" '{"note":"On it."}'
req POST "/v1/assignments/$A/need-info" "$FIB" '{"question":"Is the ONT light red?"}'
req GET "$V5/troubleTicket/$T1" "$C1"
check "a question to the customer: the ticket is pending" [ "$(jbody .status)" = pending ]
req POST "/v1/tickets/$T1/notes" "$C1" '{"note":"Yes, red."}'
req POST "/v1/assignments/$A/resolve" "$FIB" '{"resolution":"Spliced."}'
PATCH "$C1" "$T1" '{"status":"closed","statusChangeReason":"Works again."}'
check "the customer closes a resolved ticket through v5" [ "$STATUS" = 200 -a "$(jbody .status)" = closed ]
check "statusChangeHistory comes from the events, with the reason" \
    [ "$(jbody '[.statusChangeHistory[].status] | join(",")')" = "acknowledged,inProgress,pending,inProgress,resolved,closed" -a "$(jbody '.statusChangeHistory[5].statusChangeReason')" = "Works again." ]

DELETE "$C2" "$V5/troubleTicket/$T4"
check "a customer cannot DELETE (404)" [ "$STATUS" = 404 ]
DELETE "$LEAD" "$V5/troubleTicket/$T4"
check "the lead's DELETE answers 204" [ "$STATUS" = 204 ]
req GET "$V5/troubleTicket/$T4" "$LEAD"
check "... and cancels: nothing is erased" [ "$(jbody .status)" = cancelled ]

# The listeners: v5's events to the v5 one, v4's to the v4 one, all signed.
got() { jq -s --arg t "$1" --arg p "$2" '[.[] | select(.type == $t and .status == 200 and (.path | endswith($p)))] | length' "$TMP/sim.log"; }
has_events() { [ "$(got TroubleTicketCreateEvent /v5/listener)" -ge 4 ] && [ "$(got TroubleTicketResolvedEvent /v5/listener)" -ge 1 ]; }
check "the v5 listener receives the events" eventually 10 has_events
check "the question as v5's TroubleTicketInformationRequiredEvent, the ticket pending" \
    [ "$(jq -rs '[.[] | select(.type == "TroubleTicketInformationRequiredEvent" and (.path | endswith("/v5/listener"))) | .tmf_status] | unique | join(",")' "$TMP/sim.log")" = pending ]
check "... and v4's listener hears it too" [ "$(got TroubleTicketInformationRequiredEvent /v4/listener)" -ge 1 ]
check "status and attribute changes" \
    [ "$(got TroubleTicketStatusChangeEvent /v5/listener)" -ge 3 -a "$(got TroubleTicketAttributeValueChangeEvent /v5/listener)" -ge 1 ]
check "v5's events: @type, id, eventType, event.troubleTicket with v5's shapes" \
    [ "$(jq -rs '[.[] | select(.path | endswith("/v5/listener")) | .tmf_event | (."@type" == .eventType and .id == .eventId and .event.troubleTicket."@type" == "TroubleTicket" and (.event.troubleTicket | has("statusChangeHistory") and (has("statusChange") | not)))] | all' "$TMP/sim.log")" = true ]
check "the v4 listener still receives v4's events" \
    [ "$(jq -rs '[.[] | select(.path | endswith("/v4/listener")) | .tmf_event | (has("@type") | not) and (.event.troubleTicket | has("statusChange"))] | (length > 0 and all)' "$TMP/sim.log")" = true ]
check "every event's signature verifies" [ "$(jq -s '[.[] | select(.verified == false)] | length' "$TMP/sim.log")" = 0 ]
[ -z "${SEAM_CAPTURE:-}" ] || jq -c 'select(.tmf_event != null and (.path | endswith("/v5/listener"))) | .tmf_event' \
    "$TMP/sim.log" >"${SEAM_CAPTURE%.jsonl}.events"
DELETE "$LEAD" "$V5/hub/$HUB5"
check "the lead removes the v5 listener (204)" [ "$STATUS" = 204 ]
DELETE "$LEAD" "$V5/hub/$HUB5"
check "removing it again is 404" [ "$STATUS" = 404 -a "$(jbody '."@type"')" = Error ]
req GET "$V5/hub/$HUB5" "$LEAD"
check "... and reading it is 404" [ "$STATUS" = 404 ]
DELETE "$LEAD" "$V4/hub/$HUB4"
stop_broker
check "seamctl verify passes over v5's tickets too" ctl verify
finish
