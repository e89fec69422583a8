#!/usr/bin/env bash
# TMF621 v4's PATCH as the guidelines read (docs/interop.md):
#   - a merge patch (RFC 7396) exactly: null removes an attribute (externalId,
#     severity, the notes), an array replaces the ticket's (note: the notes
#     it keeps are those it names, as they were; new ones are the requester's,
#     now); an attribute the ticket always has cannot be removed (400);
#   - a JSON Patch (RFC 6902, application/json-patch+json): add to /note/-
#     appends a note; add, replace and remove of an attribute; any other
#     operation or path is 400 naming it ([i].op, [i].path), nothing changed;
#   - a value outside an enumeration (status, severity) is 400, not 409, on
#     PATCH and on create;
#   - referenceError is a URI (urn:seam:field:...);
#   - a severity change re-prioritises the ticket and re-plans its running
#     SLA clocks, in a signed event; the store still verifies.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
LEAD=$(new_token lead ops)
start_broker

PATCH() { # TOKEN ID BODY [CONTENT-TYPE]
    STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X PATCH \
        -H "Authorization: Bearer $1" -H "Content-Type: ${4:-application/merge-patch+json}" \
        --data-binary "$3" \
        "$(URL "$TMF/troubleTicket/$2")")
    [ -z "${SEAM_CAPTURE:-}" ] || capture PATCH "$TMF/troubleTicket/$2"
}
JPATCH() { PATCH "$1" "$2" "$3" application/json-patch+json; }
urn() { jq -rn --arg k "$1" --arg f "$2" '"urn:seam:\($k):" + ($f | @uri)'; }
# refused STATUS CODE FIELD: TMF's Error naming FIELD by its URI
refused() {
    local want=null
    [ -z "$3" ] || want=$(urn field "$3")
    [ "$STATUS" = "$1" ] && [ "$(jbody .code)" = "$2" ] && [ "$(jbody .referenceError)" = "$want" ]
}
view() { req GET "$TMF/troubleTicket/$1" "$C1"; }
events() { req GET "/v1/tickets/$1/evidence" "$LEAD"; jq '.events | length' "$TMP/body"; }

BODY='{"name":"Fibre down","description":"No light on the ONT.","severity":"Low","ticketType":"connectivity","externalId":"CRM-7","note":[{"text":"First call."}]}'
req POST "$TMF/troubleTicket" "$C1" "$BODY"
check "a TroubleTicket with an externalId and a note: 201" [ "$STATUS" = 201 -a "$(jbody .externalId)" = CRM-7 ]
T=$(jbody .id)
FIRST=$(jq -c '.note[0]' "$TMP/body")

# --- RFC 7396: null removes ---
PATCH "$C1" "$T" '{"externalId":null}'
check "merge patch {externalId: null}: 200" [ "$STATUS" = 200 ]
check "... the answer has no externalId" [ "$(jbody 'has("externalId")')" = false ]
view "$T"
check "... nor has the ticket after" [ "$(jbody '(has("externalId") | not) and .name == "Fibre down"')" = true ]
req GET "/v1/tickets/$T" "$LEAD"
check "... nor the record's TMF attributes (the lead's view)" [ "$(jbody '.tmf | has("externalId")')" = false ]
PATCH "$C1" "$T" '{"externalId":"CRM-8","name":null}'
check "an attribute set and another removed in one patch" \
    [ "$STATUS" = 200 -a "$(jbody '.externalId + "|" + .name')" = "CRM-8|Fibre down" ]
PATCH "$C1" "$T" '{"description":null}'
check "an attribute the ticket always has cannot be removed: 400" refused 400 invalid_field description
PATCH "$C1" "$T" '{"status":null}'
check "... nor the status" refused 400 invalid_field status

# --- RFC 7396: arrays replace ---
PATCH "$C1" "$T" '{"note":[{"text":"First call."},{"text":"Second call."}]}'
check "a note array replaces the ticket's: the two given" \
    [ "$STATUS" = 200 -a "$(jbody '[.note[].text] | join("|")')" = "First call.|Second call." ]
check "... the note it names keeps its author and date" [ "$(jq -c '.note[0]' "$TMP/body")" = "$FIRST" ]
check "... the new one is the requester's" [ "$(jbody '.note[1].author')" = customer:c1 ]
PATCH "$C1" "$T" '{"note":[{"text":"Only this."}]}'
check "a shorter array leaves one note (not appended to: 1, not 3)" \
    [ "$STATUS" = 200 -a "$(jbody '[.note[].text] | join("|")')" = "Only this." ]
PATCH "$C1" "$T" '{"note":null}'
check "note: null removes the notes" [ "$STATUS" = 200 -a "$(jbody 'has("note")')" = false ]
PATCH "$C1" "$T" '[{"text":"x"}]'
check "a merge patch that is no object: 400 (RFC 7396 merges objects)" [ "$STATUS" = 400 -a "$(jbody .code)" = bad_json ]

# --- RFC 6902 JSON Patch ---
JPATCH "$C1" "$T" '[{"op":"add","path":"/note/-","value":{"text":"Appended."}}]'
check "JSON Patch add /note/-: 200, the note appended" \
    [ "$STATUS" = 200 -a "$(jbody '[.note[].text] | join("|")')" = "Appended." ]
JPATCH "$C1" "$T" '[{"op":"add","path":"/note/-","value":{"text":"And again.","author":"someone"}}]'
check "... again: appended, not replaced" [ "$(jbody '[.note[].text] | join("|")')" = "Appended.|And again." ]
check "... author and date the server's" [ "$(jbody '.note[1].author')" = customer:c1 -a -n "$(jbody '.note[1].date')" ]
JPATCH "$C1" "$T" '[{"op":"replace","path":"/name","value":"Fibre cut"},{"op":"remove","path":"/externalId"}]'
check "JSON Patch replace and remove of attributes" \
    [ "$STATUS" = 200 -a "$(jbody '.name + "|" + (has("externalId") | tostring)')" = "Fibre cut|false" ]
N=$(events "$T")
view "$T"
jq -S 'del(.lastUpdate)' "$TMP/body" >"$TMP/before.json"
while IFS='|' read -r ops field what; do
    JPATCH "$C1" "$T" "$ops"
    check "JSON Patch $what: 400 naming $field" refused 400 invalid_field "$field"
done <<'EOF'
[{"op":"move","from":"/name","path":"/description"}]|[0].op|move
[{"op":"copy","from":"/name","path":"/description"}]|[0].op|copy
[{"op":"test","path":"/name","value":"Fibre cut"}]|[0].op|test
[{"op":"add","path":"/note/-","value":{"text":"ok"}},{"op":"replace","path":"/note/0/text","value":"x"}]|[1].path|inside an array (after a good op)
[{"op":"add","path":"/relatedEntity/0","value":{"id":"x"}}]|[0].path|inside an attribute
[{"op":"remove","path":"/note/0"}]|[0].path|a note removed by index
[{"op":"replace","path":"/creationDate","value":"2020-01-01T00:00:00Z"}]|creationDate|on a server-owned attribute
[{"op":"replace","path":"/status","value":"nanana"}]|status|with a status outside the enumeration
{"op":"add","path":"/note/-","value":{"text":"x"}}||that is no array
EOF
JPATCH "$C1" "$T" '[{"op":"add","path":"/note/-"}]'
check "add without a value: 400 missing_field naming [0].value" refused 400 missing_field "[0].value"
JPATCH "$C1" "$T" '[{"op":"add","path":"/note/-","value":{"text":"x"},"extra":1}]'
check "an operation with an unknown member: 400 unknown_field" refused 400 unknown_field "[0].extra"
JPATCH "$C1" "$T" '[]'
check "an empty JSON Patch: 400" [ "$STATUS" = 400 ]
view "$T"
check "no refused patch changed the ticket" diff "$TMP/before.json" <(jq -S 'del(.lastUpdate)' "$TMP/body")
check "... nor wrote an event" [ "$(events "$T")" = "$N" ]

# --- values outside an enumeration: 400 ---
PATCH "$C1" "$T" '{"status":"nanana"}'
check "status nanana: 400 (not 409)" refused 400 invalid_field status
PATCH "$C1" "$T" '{"severity":"nanana"}'
check "severity nanana: 400" refused 400 invalid_field severity
req POST "$TMF/troubleTicket" "$C1" '{"description":"x","severity":"Sorta","ticketType":"connectivity"}'
check "create with a severity outside the enumeration: 400" refused 400 invalid_field severity
PATCH "$C1" "$T" '{"status":"resolved"}'
check "a status of the enumeration the work sets: still 409" [ "$STATUS" = 409 -a "$(jbody .code)" = conflict ]
check "referenceError is a URI naming the attribute" [ "$(jbody .referenceError)" = urn:seam:field:status ]
req GET "$TMF/troubleTicket?limit=x" "$LEAD"
check "a query argument's referenceError is a parameter URI" [ "$(jbody .referenceError)" = urn:seam:parameter:limit ]
PATCH "$C2" "$T" '{"externalId":null}'
check "another customer's ticket: 404, whatever the patch" [ "$STATUS" = 404 ]
JPATCH "$C2" "$T" '[{"op":"add","path":"/note/-","value":{"text":"mine"}}]'
check "... also a JSON Patch" [ "$STATUS" = 404 ]

# --- a severity change re-prioritises the ticket and re-plans its clocks ---
req GET "/v1/tickets/$T" "$LEAD"
check "filed Low: priority low" [ "$(jbody .priority)" = low ]
TGT0=$(jbody '.assignments[0].sla.resolve_target_ms')
DUE0=$(jbody '.assignments[0].due.resolve')
ACK0=$(jbody '.assignments[0].due.ack')
E2E0=$(jbody '.e2e.target_ms')
N=$(events "$T")
PATCH "$C1" "$T" '{"severity":"Critical"}'
check "severity Critical: 200, the TMF priority urgent" [ "$STATUS" = 200 -a "$(jbody '.severity + "|" + .priority')" = "Critical|urgent" ]
req GET "/v1/tickets/$T" "$LEAD"
check "... the ticket is urgent in /v1 too" [ "$(jbody .priority)" = urgent ]
P=$(jq -r '.partners[] | select(.id == "fibernet") | .sla_policy' "$ROOT/conf/seam.json")
WANT=$(jq --arg p "$P" '.sla_policies[$p].targets.urgent.resolve_minutes * 60000' "$ROOT/conf/seam.json")
check "... its claim's resolve target is the policy's urgent one" \
    [ "$(jbody '.assignments[0].sla.resolve_target_ms')" = "$WANT" -a "$WANT" -lt "$TGT0" ]
check "... its due times came earlier" \
    [ "$(jbody '.assignments[0].due.resolve')" \< "$DUE0" -a "$(jbody '.assignments[0].due.ack')" \< "$ACK0" ]
check "... and the end-to-end target too" [ "$(jbody '.e2e.target_ms')" -lt "$E2E0" ]
check "one event more" [ "$(events "$T")" = $((N + 1)) ]
check "... signed, naming the change of priority" \
    jq -e '.events[-1].event | fromjson | .type == "ticket.updated" and .data.priority == {"from":"low","to":"urgent"}' "$TMP/body"
cp "$TMP/body" "$TMP/ev.json"
check "... the ticket's evidence verifies" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
PATCH "$C1" "$T" '{"severity":"critical"}'
req GET "/v1/tickets/$T" "$LEAD"
check "the same priority again re-plans nothing" [ "$(jbody '.assignments[0].sla.resolve_target_ms')" = "$WANT" ]
req GET "$TMF/troubleTicket?priority=urgent" "$LEAD"
check "the list finds it by its new priority" [ "$(jbody "[.[] | select(.id == \"$T\")] | length")" = 1 ]
req POST /v1/tickets "$C1" "$TICKET_BODY" application/json-patch+json
check "a JSON Patch is taken by PATCH only: elsewhere 415" [ "$STATUS" = 415 -a "$(jbody .error.code)" = unsupported_media_type ]
req POST "$TMF/troubleTicket" "$C1" "$BODY" application/json-patch+json
check "... also on the TMF621 face's create" [ "$STATUS" = 415 ]
req PUT "$TMF/troubleTicket/$T" "$C1" '{"name":"x"}'
check "PUT (no TMF621 operation): 405 in TMF's Error shape" \
    [ "$STATUS" = 405 -a "$(jbody '.code + "|" + ."@type"')" = "method_not_allowed|Error" ]
req DELETE "/v1/tickets/$T" "$LEAD"
check "DELETE of a /v1 ticket: 405 in /v1's shape" [ "$STATUS" = 405 -a "$(jbody .error.code)" = method_not_allowed ]
stop_broker
check "seamctl verify passes over the store" ctl verify
finish
