#!/usr/bin/env bash
# Limits per ticket (issue 14, finding 6): a ticket no longer grows without
# bound. With small limits (5 notes, 16 events, 2 attachments, 16 KiB a
# record): past them a note, a partner's progress, a TMF note or update is
# 409 ticket_full or 413 record_too_large, and nothing is stored (the lead's
# view and the evidence log are the same before and after). The steps that
# end a claim (resolve, confirm, the lead's assign) go on in their reserve;
# the broker's own SLA events are never refused, so a full ticket keeps its
# breaches on record and its owner. Other tickets are not affected, and the
# store verifies.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
conf_with '.limits += {"max_notes_per_ticket":5,"max_events_per_ticket":16,"max_attachments_per_ticket":2,"max_record_bytes":16384}'
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_broker -T 2030-01-07T08:00:00Z

lead_view() { curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$1")"; }
expect() { # description status code
    local ok_=0
    [ "$STATUS" = "$2" ] || ok_=1
    [ "$(jq -r '.error.code // .code' "$TMP/body")" = "$3" ] || ok_=1
    ok $ok_ "$1 -> $2 $3"
    [ $ok_ = 0 ] || echo "# got $STATUS: $(body | head -c 300)"
}
# unchanged TICKET BEFORE-VIEW BEFORE-TREE: the refused request stored nothing.
unchanged() { [ "$(lead_view "$1")" = "$2" ] && [ "$(tree_size)" = "$3" ]; }
PATCH() { STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary "$3" "$(URL "$TMF/troubleTicket/$2")"); }
file() { # CUSTOMER-TOKEN: an internet complaint (fibernet's); prints the ticket and its claim
    req POST /v1/tickets "$1" '{"summary":"Down","description":"No light.","service":"internet","symptom":"no_service"}'
    local t
    t=$(jbody .id)
    req GET "/v1/tickets/$t" "$LEAD"
    echo "$t $(jbody '.assignments[0].id')"
}

# --- notes: the customer's, the partner's progress and question count alike
read -r TA AA < <(file "$C1")
req POST "/v1/assignments/$AA/ack" "$FIB" '{}'
req POST "/v1/tickets/$TA/notes" "$C1" '{"text":"It blinks red."}'
req POST "/v1/tickets/$TA/notes" "$C1" '{"text":"Since 8 o clock."}'
req POST "/v1/assignments/$AA/progress" "$FIB" '{"note":"Line test ordered."}'
req POST "/v1/assignments/$AA/need-info" "$FIB" '{"question":"Is the ONT plugged in?"}'
req POST "/v1/tickets/$TA/notes" "$C1" '{"text":"Yes it is."}'
check "five notes are taken" [ "$STATUS" = 200 ]
before=$(lead_view "$TA")
tree=$(tree_size)
req POST "/v1/tickets/$TA/notes" "$C1" '{"text":"Still down."}'
expect "the customer's sixth note" 409 ticket_full
check "the answer names the limit" matches "$(jbody .error.message)" "max_notes_per_ticket"
check "nothing was stored (the lead's view and the log are the same)" unchanged "$TA" "$before" "$tree"
req POST "/v1/assignments/$AA/progress" "$FIB" '{"note":"Technician booked."}'
expect "the partner's progress note on the full ticket" 409 ticket_full
PATCH "$C1" "$TA" '{"note":[{"text":"From the CRM."}]}'
expect "a TMF note on the full ticket (TMF Error shape)" 409 ticket_full
check "... naming the attribute" [ "$(jref)" = note ]
check "nothing was stored by either" unchanged "$TA" "$before" "$tree"
req POST "/v1/assignments/$AA/resolve" "$FIB" '{"resolution":"ONT replaced."}'
check "the partner still resolves the full ticket" [ "$STATUS" = 200 ]
req POST "/v1/tickets/$TA/confirm" "$C1" '{}'
check "and the customer confirms it" [ "$STATUS" = 200 -a "$(jbody .status)" = closed ]

# --- timeline entries: additions stop at 16 - 2x4, the steps that end a claim at 16 - 4
req POST "$TMF/troubleTicket" "$C1" '{"name":"Slow","description":"Slow line.","severity":"Low","ticketType":"connectivity","attachment":[{"name":"a.png"},{"name":"b.png"}]}'
check "a TMF ticket with two attachments is taken" [ "$STATUS" = 201 ]
TB=$(jbody .id)
for i in 1 2 3 4 5 6 7; do PATCH "$C1" "$TB" "{\"name\":\"Slow $i\"}"; done
check "seven TMF updates are taken (8 events)" [ "$STATUS" = 200 ]
before=$(lead_view "$TB")
tree=$(tree_size)
PATCH "$C1" "$TB" '{"name":"Slow 8"}'
expect "a ninth event by a client's update" 409 ticket_full
check "... which is no attribute's fault" [ "$(jbody '.referenceError // "none"')" = none ]
check "the answer names the limit" matches "$(jbody .message)" "max_events_per_ticket"
check "nothing was stored" unchanged "$TB" "$before" "$tree"
for i in 1 2 3 4; do
    req POST "/v1/tickets/$TB/assign" "$LEAD" "{\"partner\":\"lead\",\"reason\":\"take $i\"}"
done
check "the lead still assigns, in the reserve (12 events)" [ "$STATUS" = 200 ]
before=$(lead_view "$TB")
tree=$(tree_size)
req POST "/v1/tickets/$TB/assign" "$LEAD" '{"partner":"fibernet","reason":"again"}'
expect "past the reserve even the lead's assign" 409 ticket_full
check "nothing was stored" unchanged "$TB" "$before" "$tree"
# The broker's own events go on: the lead's claim breaches on the test clock.
req POST /v1/test/clock "$LEAD" '{"advance_ms":604800000}'
check "the full ticket's SLA breaches are recorded all the same" eventually 10 sh -c \
    "curl -s -H 'Authorization: Bearer $LEAD' '$(URL "/v1/tickets/$TB")' | jq -e '([.timeline[] | select(.type == \"sla.breached\")] | length) > 0' >/dev/null"
lead_view "$TB" >"$TMP/tb.json"
check "... past the clients' limit ($(jq '.timeline | length' "$TMP/tb.json") events)" [ "$(jq '.timeline | length' "$TMP/tb.json")" -gt 12 ]
check "... and the open ticket keeps a live owner" [ "$(jq '[.assignments[] | select(.state == "assigned")] | length' "$TMP/tb.json")" = 1 ]

# --- attachments and notes a TMF filing carries
tree=$(tree_size)
req POST "$TMF/troubleTicket" "$C1" '{"description":"x","severity":"Low","ticketType":"connectivity","attachment":[{"name":"a"},{"name":"b"},{"name":"c"}]}'
expect "a TMF filing with three attachments" 409 ticket_full
check "the error names the attribute" [ "$(jref)" = attachment ]
req POST "$TMF/troubleTicket" "$C1" '{"description":"x","severity":"Low","ticketType":"connectivity","note":[{"text":"1"},{"text":"2"},{"text":"3"},{"text":"4"},{"text":"5"},{"text":"6"}]}'
expect "a TMF filing with six notes" 409 ticket_full
check "no ticket was filed by either" [ "$(tree_size)" = "$tree" ]

# --- bytes: additions stop at 16 KiB - 2 KiB, the steps that end a claim at 16 KiB - 1 KiB
read -r TD AD < <(file "$C1")
req POST "/v1/assignments/$AD/ack" "$FIB" '{}'
long=$(head -c 2900 /dev/zero | tr '\0' n)
for i in 1 2 3 4; do req POST "/v1/tickets/$TD/notes" "$C1" "{\"text\":\"$i $long\"}"; done
check "four long notes are taken" [ "$STATUS" = 200 ]
before=$(lead_view "$TD")
tree=$(tree_size)
req POST "/v1/tickets/$TD/notes" "$C1" "{\"text\":\"5 $long\"}"
expect "a note that would pass the record's limit" 413 record_too_large
check "the answer names the limit" matches "$(jbody .error.message)" "max_record_bytes"
check "nothing was stored" unchanged "$TD" "$before" "$tree"
req POST "/v1/assignments/$AD/resolve" "$FIB" '{"resolution":"Fixed."}'
check "the partner still resolves it" [ "$STATUS" = 200 ]
req POST "/v1/tickets/$TD/confirm" "$C1" '{}'
check "and the customer confirms it" [ "$STATUS" = 200 -a "$(jbody .status)" = closed ]
req GET "/v1/tickets/$TD" "$LEAD"
check "the stored record stays under max_record_bytes ($(body | wc -c) bytes)" [ "$(body | wc -c)" -le 16384 ]

# --- other tickets are not affected
read -r TE AE < <(file "$C2")
req POST "/v1/tickets/$TE/notes" "$C2" '{"text":"Another customer, another ticket."}'
check "a note on another ticket is taken" [ "$STATUS" = 200 ]
req POST "/v1/assignments/$AE/ack" "$FIB" '{}'
check "and its claim is worked" [ "$STATUS" = 200 ]

stop_broker
check "seamctl verify passes" ctl verify
finish
