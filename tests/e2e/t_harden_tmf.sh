#!/usr/bin/env bash
# Issue 14, finding 2: the TMF621 face checks the type and bounds of every
# attribute it takes (create and PATCH, down to the elements of arrays) and
# refuses the rest with 400 in TMF's Error shape naming the attribute,
# storing nothing; a note's author and date are the ones seam knows (the
# authenticated principal, the server's time), never the client's claim.
# Also: values nested as deep as Jansson allows are refused (finding 1 on
# this face), and the conformance kit's create payloads are still accepted.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_broker

count() { curl -s -D "$TMP/h2" -o /dev/null -H "Authorization: Bearer $LEAD" "$(URL "$TMF/troubleTicket?limit=1")" &&
    grep -i '^X-Total-Count:' "$TMP/h2" | tr -dc 0-9; }
PATCH() { STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary "$3" "$(URL "$TMF/troubleTicket/$2")"); }
# refused STATUS-CODE CODE FIELD: the last answer is TMF's Error for that attribute
refused() {
    [ "$STATUS" = "$1" ] && [ "$(jbody '.code + "|" + .status + "|" + ."@type"')|$(jref)" = "$2|$1|Error|$3" ]
}
BASE='"description":"No light on the ONT.","severity":"High","ticketType":"connectivity"'
N0=$(count)
TS0=$(tree_size)

# --- the issue's example: a non-string name or externalId ---
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"name\":{\"a\":\"b\"}}"
check "a non-string name is 400 in TMF's Error shape, naming name" refused 400 invalid_field name
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"externalId\":{\"a\":\"b\"}}"
check "a non-string externalId is 400 naming externalId" refused 400 invalid_field externalId
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"externalId\":42}"
check "a number is no externalId either" refused 400 invalid_field externalId

# --- every attribute, and the elements of arrays ---
while IFS='|' read -r attr code field; do
    req POST "$TMF/troubleTicket" "$C1" "{$BASE,$attr}"
    check "create refuses $attr ($code, $field)" refused 400 "$code" "$field"
done <<'EOF'
"note":{"text":"x"}|invalid_field|note
"note":["x"]|invalid_field|note[0]
"note":[{"text":"ok"},{"text":5}]|invalid_field|note[1].text
"note":[{"author":"me"}]|missing_field|note[0].text
"note":[{"text":"x","author":{"a":"b"}}]|invalid_field|note[0].author
"note":[{"text":"x","date":"yesterday"}]|invalid_field|note[0].date
"note":[{"text":"x","mood":"grumpy"}]|unknown_field|note[0].mood
"relatedEntity":{"id":"ont"}|invalid_field|relatedEntity
"relatedEntity":[{"id":{"a":1},"role":"equipment","@referredType":"Resource"}]|invalid_field|relatedEntity[0].id
"relatedEntity":[{"id":"ont","role":["equipment"],"@referredType":"Resource"}]|invalid_field|relatedEntity[0].role
"relatedEntity":[{"id":"ont","role":"equipment","@referredType":7}]|invalid_field|relatedEntity[0].@referredType
"relatedEntity":[{"id":"ont","role":"equipment","extra":{"x":[1]}}]|unknown_field|relatedEntity[0].extra
"relatedParty":[{"id":["c1"],"role":"customer"}]|invalid_field|relatedParty[0].id
"channel":"web"|invalid_field|channel
"channel":{"id":"web","name":{"x":1}}|invalid_field|channel.name
"attachment":[{"url":"http://x/y","size":{"amount":"big"}}]|invalid_field|attachment[0].size.amount
"attachment":[{"validFor":{"startDateTime":"soon"}}]|invalid_field|attachment[0].validFor.startDateTime
"troubleTicketRelationship":[{"id":1}]|invalid_field|troubleTicketRelationship[0].id
"requestedResolutionDate":"tomorrow"|invalid_field|requestedResolutionDate
"expectedResolutionDate":1700000000|invalid_field|expectedResolutionDate
"status":{"a":"b"}|invalid_field|status
"statusChange":[{"status":1}]|invalid_field|statusChange[0].status
"priority":true|invalid_field|priority
"creationDate":null|invalid_field|creationDate
"@type":["TroubleTicket"]|invalid_field|@type
"colour":"red"|unknown_field|colour
EOF
req POST "$TMF/troubleTicket" "$C1" '{"description":"x","severity":{"a":"b"},"ticketType":"phone"}'
check "a non-string severity is 400" refused 400 invalid_field severity
LONG=$(printf 'x%.0s' $(seq 1 65))
req POST "$TMF/troubleTicket" "$C1" "{\"description\":\"x\",\"severity\":\"$LONG\",\"ticketType\":\"phone\"}"
check "a 65-byte severity is too long" refused 400 invalid_field severity
NAME=$(printf 'é%.0s' $(seq 1 101))
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"name\":\"$NAME\"}"
check "a 202-byte name is too long" refused 400 invalid_field name
KEY=$(printf 'é%.0s' $(seq 1 60))
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"note\":[{\"text\":\"x\",\"$KEY\":1}]}"
check "a long unknown key is quoted cut between characters" \
    [ "$STATUS" = 400 -a "$(jref)" = "note[0].$(printf 'é%.0s' $(seq 1 32))" ]

# --- deep nesting (finding 1 on this face): 2,047 and 2,046 levels are refused ---
deep() { python3 -c "import sys; n=int(sys.argv[1]); print('['*n + ']'*n)" "$1"; }
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"name\":$(deep 2047)}"
check "a name nested 2,047 levels is 400, not 201" [ "$STATUS" = 400 ]
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"relatedEntity\":[{\"id\":\"ont\",\"role\":\"equipment\",\"name\":$(deep 2045)}]}"
check "relatedEntity nested 2,047 levels is 400" [ "$STATUS" = 400 ]
check "nothing was filed by any refused create" [ "$(count)" = "$N0" ]
check "nor any event written" [ "$(tree_size)" = "$TS0" ]

# --- the issue's notes: a customer claims to be the lead, in 2020 ---
CLAIM='{"author":"Northwind Telecom (lead)","text":"Approved: full refund","date":"2020-01-01T00:00:00Z"}'
req POST "$TMF/troubleTicket" "$C1" "{$BASE,\"name\":\"Fibre down\",\"note\":[$CLAIM]}"
check "the customer's create with a claimed author answers 201" [ "$STATUS" = 201 ]
T1=$(jbody .id)
CREATED=$(jbody .creationDate)
check "the note's author is the customer, as seam names it" [ "$(jbody '.note[0].author')" = customer:c1 ]
check "its date is the server's (the filing's), not 2020" [ "$(jbody '.note[0].date')" = "$CREATED" ]
check "the text is kept" [ "$(jbody '.note[0].text')" = "Approved: full refund" ]
not_claimed() { ! grep -q -e 'Northwind Telecom (lead)' -e '2020-01-01' "$TMP/body"; }
req GET "$TMF/troubleTicket/$T1" "$LEAD"
check "the lead's TMF view: author customer:c1, the filing's date" \
    [ "$(jbody '.note[0].author + " " + .note[0].date')" = "customer:c1 $CREATED" ]
check "... and the claim is nowhere in it" not_claimed
req GET "/v1/tickets/$T1" "$LEAD"
check "the lead's /v1 view: the same author and date" \
    [ "$(jbody '.tmf.note[0].author + " " + .tmf.note[0].date')" = "customer:c1 $CREATED" ]
check "... and the claim is nowhere in it" not_claimed
req GET "$TMF/troubleTicket/$T1" "$FIB"
check "the partner's TMF view: author customer:c1, the filing's date" \
    [ "$STATUS" = 200 -a "$(jbody '.note[0].author + " " + .note[0].date')" = "customer:c1 $CREATED" ]
check "... and the claim is nowhere in it" not_claimed
A1=$(curl -s -H "Authorization: Bearer $FIB" "$(URL /v1/assignments)" | jq -r ".items[] | select(.ticket == \"$T1\") | .id")
req GET "/v1/assignments/$A1" "$FIB"
check "the partner's /v1 assignment (with the signed event it carries): no claim in it" \
    [ "$STATUS" = 200 -a "$(jbody .ticket)" = "$T1" ]
check "... none" not_claimed
req GET "/v1/tickets/$T1" "$FIB"
check "the partner's /v1 ticket: the claim is nowhere in it" not_claimed
req GET "/v1/tickets/$T1/evidence" "$LEAD"
check "the signed creation event names the customer as the note's author" \
    [ "$(jq -r '.events[0].event | fromjson | .data.tmf.note[0].author' "$TMP/body")" = customer:c1 ]
check "... and holds no claim" not_claimed

# A note added by JSON Patch (a merge patch's note array replaces the ticket's: t_tmf_patch.sh).
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json-patch+json' \
    --data-binary "[{\"op\":\"add\",\"path\":\"/note/-\",\"value\":$CLAIM}]" "$(URL "$TMF/troubleTicket/$T1")")
check "a PATCH note with a claimed author: 200" [ "$STATUS" = 200 -a "$(jbody '.note | length')" = 2 ]
check "its author is the customer and its date the change's" \
    [ "$(jbody '.note[1].author')" = customer:c1 -a "$(jbody '.note[1].date')" = "$(jbody .lastUpdate)" ]
req GET "$TMF/troubleTicket/$T1" "$FIB"
check "the partner sees both notes as the customer's" \
    [ "$(jbody '[.note[].author] | unique | join(",")')" = customer:c1 ]
check "... and no claim" not_claimed
req POST "$TMF/troubleTicket" "$LEAD" "{$BASE,\"relatedParty\":[{\"id\":\"c1\",\"role\":\"customer\"}],\"note\":[$CLAIM]}"
check "a note the lead files is the lead's" [ "$STATUS" = 201 -a "$(jbody '.note[0].author')" = lead:ops ]

# --- PATCH checks the same types ---
TS1=$(tree_size)
while IFS='|' read -r body code field; do
    PATCH "$C1" "$T1" "$body"
    check "PATCH refuses $body" refused 400 "$code" "$field"
done <<'EOF'
{"name":{"a":"b"}}|invalid_field|name
{"externalId":["x"]}|invalid_field|externalId
{"note":[{"text":"x","author":5}]}|invalid_field|note[0].author
{"relatedEntity":[{"id":"x","role":"service","sub":[[[1]]]}]}|unknown_field|relatedEntity[0].sub
{"channel":"web"}|invalid_field|channel
{"expectedResolutionDate":"2024-13-01T00:00:00Z"}|invalid_field|expectedResolutionDate
{"status":"nanana"}|invalid_field|status
{"statusChangeReason":{"why":1}}|invalid_field|statusChangeReason
{"relatedParty":[{"id":"c2"}]}|invalid_field|relatedParty
{"colour":"red"}|unknown_field|colour
EOF
PATCH "$C1" "$T1" "{\"relatedEntity\":[{\"id\":\"x\",\"role\":\"service\",\"name\":$(deep 2044)}]}"
check "PATCH of relatedEntity nested 2,046 levels is 400, not 200" [ "$STATUS" = 400 ]
req GET "$TMF/troubleTicket/$T1" "$C1"
check "no refused PATCH changed the ticket" [ "$(jbody '.name + "|" + (.note | length | tostring)')" = "Fibre down|2" ]
check "nor wrote an event" [ "$(tree_size)" = "$TS1" ]
PATCH "$C1" "$T1" '{"channel":{"id":"web","name":"Web portal"},"expectedResolutionDate":"2030-05-01T08:00:00.5+02:00"}'
check "a ChannelRef object and an RFC 3339 date are taken" [ "$STATUS" = 200 -a "$(jbody .channel.name)" = "Web portal" ]

# --- the conformance kit's payloads still pass ---
req POST "$TMF/troubleTicket" "$C1" '{"description":"<anytext>","severity":"High","ticketType":"device"}'
check "CTK N1's minimal create: 201" [ "$STATUS" = 201 ]
req POST "$TMF/troubleTicket" "$C1" '{"description":"nanana","severity":"Low","ticketType":"connectivity","status":"nanana","externalId":"123","note":[{"author":"writer n2_1","text":"This is the first note in N2"},{"author":"writer n2_2","text":"This is the second note in N2"}]}'
check "CTK N2's create (status nanana, notes with authors): 201" [ "$STATUS" = 201 -a "$(jbody '.externalId + " " + .status')" = "123 acknowledged" ]
req POST "$TMF/troubleTicket/" "$C1" '{"description":"<anytext>","severity":"High","ticketType":"problem","note":{"author":"writer e3_1"}}'
check "CTK E3's note without text: 400" [ "$STATUS" = 400 ]

stop_broker
check "seamctl verify passes" ctl verify
finish
