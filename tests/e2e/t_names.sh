#!/usr/bin/env bash
# One name for one idea (docs/interop.md, "One name for one idea"):
#   - a note's text is "note" on every action: a customer's note takes it as
#     the partners' ack, progress and handback do; its old name there, "text",
#     is still taken in its place (not beside it);
#   - the lead's view writes every instant as RFC 3339: the claims' SLA clocks
#     and the end-to-end clock have *_at beside the ms counters kept for the
#     clients that read them;
#   - the answer to an action on a claim carries the signed event that action
#     wrote, as JSON (action_event), beside the claim's own (event).
# Its answers are validated against docs/openapi.yaml by t_contract.sh.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_broker

req POST /v1/tickets "$C1" '{"summary":"Slow","description":"","service":"internet","symptom":"slow","priority":"high"}'
T=$(jbody .id)
tl() { req GET "/v1/tickets/$T" "$C1"; jbody '[.timeline[] | select(.type == "ticket.note") | .text] | join("|")'; }
req POST "/v1/tickets/$T/notes" "$C1" '{"note":"Since Monday."}'
check "a customer's note takes note, as every action names it" [ "$STATUS" = 200 ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":"Evenings only."}'
check "... and still its old name, text" [ "$STATUS" = 200 ]
check "both are notes on the timeline" [ "$(tl)" = "Since Monday.|Evenings only." ]
req POST "/v1/tickets/$T/notes" "$C1" '{"note":"a","text":"b"}'
check "both names at once: 400 naming the old one" \
    [ "$STATUS" = 400 -a "$(jbody .error.code)" = invalid_field -a "$(jbody .error.field)" = text ]
req POST "/v1/tickets/$T/notes" "$C1" '{}'
check "neither: 400 missing note" [ "$STATUS" = 400 -a "$(jbody .error.code)" = missing_field -a "$(jbody .error.field)" = note ]
req POST "/v1/tickets/$T/notes" "$C1" '{"note":""}'
check "an empty note: 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = note ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":""}'
check "an empty text: 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = text ]
req POST "/v1/tickets/$T/notes" "$C1" '{"note":7}'
check "a note that is no string: 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = note ]
check "... none of them wrote a note" [ "$(tl)" = "Since Monday.|Evenings only." ]

# The lead's view: RFC 3339 beside the ms counters, the same instants.
req GET "/v1/tickets/$T" "$LEAD"
same() { # MS RFC3339: the same instant
    [ "$1" != null ] && [ "$2" != null ] && [ "$(date -u -d "$2" +%s%3N)" = "$1" ]
}
S='.assignments[0].sla'
check "a claim's clock: assigned_at is assigned_ms" same "$(jbody "$S.assigned_ms")" "$(jbody "$S.assigned_at")"
check "... due_ack_at is due_ack_ms" same "$(jbody "$S.due_ack_ms")" "$(jbody "$S.due_ack_at")"
check "... due_resolve_at is due_resolve_ms" same "$(jbody "$S.due_resolve_ms")" "$(jbody "$S.due_resolve_at")"
check "... running_since_at is running_since" same "$(jbody "$S.running_since")" "$(jbody "$S.running_since_at")"
check "the end-to-end clock: running_since_at is running_since" \
    same "$(jbody .e2e.running_since)" "$(jbody .e2e.running_since_at)"
check "every instant of the view but the counters is RFC 3339" \
    [ "$(jbody '[.. | objects | to_entries[] | select((.key | test("_at$")) and .value != null) | .value | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")] | all')" = true ]
req GET "/v1/tickets/$T" "$C1"
check "the customer's view has no clocks" [ "$(jbody 'has("assignments") or has("e2e")')" = false ]

# An action's answer: its own signed event, as JSON.
A=$(curl -s -H "Authorization: Bearer $FIB" "$(URL /v1/assignments)" | jq -r ".items[] | select(.ticket == \"$T\") | .id")
req POST "/v1/assignments/$A/ack" "$FIB" '{"note":"On it."}'
cp "$TMP/body" "$TMP/ack.json"
check "ack answers the claim with its own event: assignment.acknowledged" \
    [ "$STATUS" = 200 -a "$(jbody '.action_event.type + " " + .action_event.event.type')" = "assignment.acknowledged assignment.acknowledged" ]
check "... as JSON: the event's members, not a string" \
    [ "$(jbody '.action_event.event | type')" = object -a "$(jbody '.action_event.event.data.assignment')" = "$A" ]
check "... the claim's own event stays (the routing that made it)" \
    [ "$(jbody '.event.bytes | fromjson | .type')" != assignment.acknowledged ]
req POST "/v1/assignments/$A/resolve" "$FIB" '{"resolution":"Re-profiled the line."}'
cp "$TMP/body" "$TMP/resolve.json"
check "resolve answers with assignment.resolved" [ "$(jbody .action_event.type)" = assignment.resolved ]
req GET "/v1/tickets/$T/evidence" "$LEAD"
signed() { # ANSWER: its action_event is the evidence's event at its seq, with its signature
    local seq
    seq=$(jq .action_event.seq "$1")
    [ "$(jq -r ".events[$seq].event" "$TMP/body")" = "$(jq -r .action_event.bytes "$1")" ] &&
        [ "$(jq -r ".events[$seq].signature" "$TMP/body")" = "$(jq -r .action_event.signature "$1")" ] &&
        [ "$(jq -r ".events[$seq].leaf_index" "$TMP/body")" = "$(jq -r .action_event.leaf_index "$1")" ] &&
        [ "$(jq -c '.action_event.event' "$1")" = "$(jq -r ".events[$seq].event" "$TMP/body" | jq -c .)" ]
}
check "the ack's event is the signed one in the evidence (bytes, signature, leaf)" signed "$TMP/ack.json"
check "the resolve's too" signed "$TMP/resolve.json"
req GET "/v1/assignments/$A" "$FIB"
check "reading the claim has no action_event" [ "$STATUS" = 200 -a "$(jbody 'has("action_event")')" = false ]
stop_broker
check "the store verifies" ctl verify
finish
