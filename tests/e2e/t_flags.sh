#!/usr/bin/env bash
# Nothing reaches the lead silently: the flags filing raises (out_of_bundle,
# possible_duplicate with its link), the lead's merge of a duplicate (the
# customer then sees one ticket, nothing left without an owner, both
# histories verifiable), every flag as a filter of the lead's list and a
# column of the SLA audit, and the refusals: other principals, merging
# into itself, into a closed, merged or other customer's ticket, chains.
# The watch lists on the test clock, in a store of their own: bouncing
# (open, handed back this round) and at_risk (a claim's clock past its
# warning, still due) list exactly their tickets, alone and combined, and
# let them go when they are resolved, acknowledged, breached or paused; a
# store whose indexes a broker of format 1 built (no watch keys) is built
# again at start and lists the same.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only north)
C3=$(new_customer c3 triple-play south)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
start_broker
file() { # TOKEN BODY -> the ticket's id
    req POST /v1/tickets "$1" "$2"
    [ "$STATUS" = 201 ] || echo "# filing answered $STATUS $(body)" >&2
    jbody .id
}
lead_get() { req GET "/v1/tickets/$1" "$LEAD"; }
flag_list() { # FLAG -> the ids the lead's list gives for ?flag=FLAG, comma-separated
    req GET "/v1/tickets?flag=$1&limit=200" "$LEAD"
    jbody '[.items[].id] | join(",")'
}
all_open_owned() { # every open ticket has a live assignment (invariant 1)
    all_tickets '{status, live: [.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")] | length}' "$TMP/all"
    [ "$(jq -s '[.[] | select((.status == "acknowledged" or .status == "inProgress" or .status == "pending") and .live == 0)] | length' "$TMP/all")" = 0 ]
}
SLOW='{"summary":"Slow","description":"every evening","service":"internet","symptom":"slow"}'
DOWN='{"summary":"Down","description":"","service":"internet","symptom":"no_service"}'
TV='{"summary":"No picture","description":"","service":"tv","symptom":"no_signal"}'
PHONE='{"summary":"No tone","description":"","service":"phone","symptom":"no_dial_tone"}'

# --- out of bundle: routed (the default rule gives the lead), flagged
TO=$(file "$C2" "$TV")
lead_get "$TO"
check "a TV complaint from a phone-only customer is routed to the lead, flagged out_of_bundle" [ "$(jbody '.flags | index("out_of_bundle") != null')" = true -a "$(jbody '.assignments[0].partner')" = northwind ]
check "?flag=out_of_bundle lists it alone" [ "$(flag_list out_of_bundle)" = "$TO" ]
req GET "/v1/tickets/$TO" "$C2"
check "the customer sees its ticket, not the flag" [ "$STATUS" = 200 -a "$(jbody 'has("flags")')" = false ]
TP=$(file "$C2" "$PHONE")
lead_get "$TP"
check "a phone complaint from the same customer is in its bundle: no flag" [ "$(jbody '.flags | index("out_of_bundle")')" = null ]
req POST /v1/rules/explain "$LEAD" '{"service":"tv","symptom":"no_signal","bundle":"phone-only","region":"north"}'
check "explain says out_of_bundle" [ "$(jbody .out_of_bundle)" = true ]
req POST /v1/rules/explain "$LEAD" '{"service":"internet","symptom":"slow","bundle":"triple-play","region":"north"}'
check "explain lists who a claim may be handed to: the bundle's partners in the region" [ "$(jbody '[.handback_to[].partner] | sort | join(",")')" = "fibernet,nordtel,skyview" -a "$(jbody .out_of_bundle)" = false ]
req POST /v1/rules/explain "$LEAD" '{"service":"phone","symptom":"no_dial_tone","bundle":"phone-only","region":"north"}'
check "... for a phone-only customer only nordtel" [ "$(jbody '[.handback_to[].partner] | join(",")')" = nordtel ]

# --- possible duplicates
T1=$(file "$C1" "$SLOW")
T2=$(file "$C1" "$SLOW")
lead_get "$T2"
check "the same customer, the same facts while the first is open: possible_duplicate" [ "$(jbody '.flags | index("possible_duplicate") != null')" = true -a "$(jbody .duplicate_of)" = "$T1" ]
check "... still routed to its owner" [ "$(jbody '.assignments[0].partner')" = fibernet -a "$(jbody '.assignments[0].state')" = assigned ]
req GET "/v1/tickets/$T2/evidence" "$LEAD"
check "... the link is in the signed creation event" [ "$(jq -r '.events[0].event | fromjson | .data.duplicate_of' "$TMP/body")" = "$T1" ]
lead_get "$T1"
check "the first is not flagged" [ "$(jbody '.flags | index("possible_duplicate")')" = null -a "$(jbody 'has("duplicate_of")')" = false ]
T3=$(file "$C1" "$DOWN")
lead_get "$T3"
check "other facts: no flag" [ "$(jbody '.flags | index("possible_duplicate")')" = null ]
T4=$(file "$C3" "$SLOW")
lead_get "$T4"
check "another customer with the same facts: no flag" [ "$(jbody '.flags | index("possible_duplicate")')" = null ]
T5=$(file "$C1" "$(jq -c '.priority = "urgent"' <<<"$SLOW")")
lead_get "$T5"
check "a different priority is the same fault: flagged, linked to the newest open one" [ "$(jbody .duplicate_of)" = "$T2" ]
check "?flag=possible_duplicate lists both, newest first" [ "$(flag_list possible_duplicate)" = "$T5,$T2" ]
# A resolved earlier ticket is no duplicate's original.
T6=$(file "$C3" "$PHONE")
lead_get "$T6"
A6=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$A6/resolve" "$NORD" '{"resolution":"fixed"}'
T7=$(file "$C3" "$PHONE")
lead_get "$T7"
check "after the first is resolved, the same facts are not flagged" [ "$(jbody '.flags | index("possible_duplicate")')" = null ]

# --- merge: refusals first, each changing nothing
lead_get "$T2"
cp "$TMP/body" "$TMP/t2.before"
req POST "/v1/tickets/$T2/merge" "$C1" "{\"into\":\"$T1\"}"
check "a customer cannot merge (404)" [ "$STATUS" = 404 ]
req POST "/v1/tickets/$T2/merge" "$FIB" "{\"into\":\"$T1\"}"
check "a partner cannot merge (404)" [ "$STATUS" = 404 ]
req POST "/v1/tickets/$T2/merge" "" "{\"into\":\"$T1\"}"
check "no token: 401" [ "$STATUS" = 401 ]
req POST "/v1/tickets/$T2/merge" "$LEAD" '{}'
check "into is required (400 missing_field into)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = into ]
req POST "/v1/tickets/$T2/merge" "$LEAD" '{"into":42}'
check "into must be a string (400 into)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = into ]
req POST "/v1/tickets/$T2/merge" "$LEAD" "{\"into\":\"$T1\",\"owner\":\"x\"}"
check "an unknown member is 400 unknown_field" [ "$STATUS" = 400 -a "$(jbody .error.code)" = unknown_field ]
req POST "/v1/tickets/$T2/merge" "$LEAD" '{"into":"T-malformed"}'
check "a malformed id is 400 into" [ "$STATUS" = 400 -a "$(jbody .error.field)" = into ]
req POST "/v1/tickets/$T2/merge" "$LEAD" '{"into":"T00000000000000000000"}'
check "a ticket that does not exist is 400 into" [ "$STATUS" = 400 -a "$(jbody .error.field)" = into ]
req POST "/v1/tickets/$T2/merge" "$LEAD" "{\"into\":\"$T2\"}"
check "into itself is 400 into" [ "$STATUS" = 400 -a "$(jbody .error.field)" = into -a "$(jbody .error.code)" = invalid_field ]
req POST "/v1/tickets/$T2/merge" "$LEAD" "{\"into\":\"$T4\"}"
check "into another customer's ticket is 409 into" [ "$STATUS" = 409 -a "$(jbody .error.field)" = into ]
req POST "/v1/tickets/$T2/merge" "$LEAD" "{\"into\":\"$T6\"}"
check "into a resolved (not open) ticket is 409 into" [ "$STATUS" = 409 -a "$(jbody .error.field)" = into ]
req POST "/v1/tickets/T00000000000000000000/merge" "$LEAD" "{\"into\":\"$T1\"}"
check "merging a ticket that does not exist is 404" [ "$STATUS" = 404 ]
lead_get "$T2"
check "the refusals changed nothing" [ "$(jq -S . "$TMP/body")" = "$(jq -S . "$TMP/t2.before")" ]

# --- merge T2 into T1
req POST "/v1/tickets/$T2/merge" "$LEAD" "{\"into\":\"$T1\",\"reason\":\"the same slow line\"}"
check "the lead merges the duplicate into the first" [ "$STATUS" = 200 -a "$(jbody .status)" = closed -a "$(jbody .merged_into)" = "$T1" ]
check "... its live claim ended as merged, flagged merged" [ "$(jbody '.assignments[0].state')" = merged -a "$(jbody '.flags | index("merged") != null')" = true ]
check "... its SLA clock stopped at the merge" [ "$(jbody '.assignments[0].sla.running_since // null')" = null ]
lead_get "$T1"
check "the survivor is open, owned as before, and records the merge" [ "$(jbody .status)" = acknowledged -a "$(jbody '.assignments[0].state')" = assigned -a "$(jbody '.timeline[-1].type')" = ticket.merge_received ]
req GET "/v1/tickets/$T1/evidence" "$LEAD"
cp "$TMP/body" "$TMP/ev1.json"
check "the survivor's event binds the merged ticket's history (its head before the merge)" [ "$(jq -r '.events[-1].event | fromjson | .data.from + "|" + (.data.from_head.events | tostring)' "$TMP/ev1.json")" = "$T2|1" ]
check "the survivor's evidence verifies offline" "$SEAMCTL" verify-evidence "$TMP/ev1.json" --key "$DATA/broker.pub"
req GET "/v1/tickets/$T2/evidence" "$C1"
cp "$TMP/body" "$TMP/ev2.json"
check "the merged ticket's evidence is still its customer's, and verifies" "$SEAMCTL" verify-evidence "$TMP/ev2.json" --key "$DATA/broker.pub"
check "... its last event is ticket.merged, naming the survivor" [ "$(jq -r '.events[-1].event | fromjson | .type + "|" + .data.into' "$TMP/ev2.json")" = "ticket.merged|$T1" ]
req GET /v1/tickets "$C1"
check "the customer's list shows one ticket for the fault (the merged one is gone)" [ "$(jbody "[.items[].id] | index(\"$T2\")")" = null -a "$(jbody "[.items[].id] | index(\"$T1\") != null")" = true ]
req GET "/v1/tickets/$T2" "$C1"
check "the merged ticket by its id names the one to follow" [ "$STATUS" = 200 -a "$(jbody .merged_into)" = "$T1" -a "$(jbody .status)" = closed ]
req GET "/v1/assignments?limit=200" "$FIB"
check "fibernet's queue shows the merged claim as merged" [ "$(jbody "[.items[] | select(.ticket == \"$T2\") | .state] | join(\",\")")" = merged ]
check "?flag=merged lists it" [ "$(flag_list merged)" = "$T2" ]

# --- after the merge
req POST "/v1/tickets/$T2/merge" "$LEAD" "{\"into\":\"$T1\"}"
check "merging a merged (closed) ticket again is 409" [ "$STATUS" = 409 ]
req POST "/v1/tickets/$T5/merge" "$LEAD" "{\"into\":\"$T2\"}"
check "merging into a merged ticket is 409 into, naming why" [ "$STATUS" = 409 -a "$(jbody .error.field)" = into -a -n "$(jbody .error.message | grep 'merged into another')" ]
req POST "/v1/tickets/$T2/notes" "$C1" '{"text":"still slow"}'
check "the customer cannot add to the merged ticket (409): it follows the survivor" [ "$STATUS" = 409 ]
# A chain: T1 (which holds T2) merged on into T3; T5 into T3 as well.
req POST "/v1/tickets/$T1/merge" "$LEAD" "{\"into\":\"$T3\"}"
check "a ticket that received a merge may be merged on" [ "$STATUS" = 200 -a "$(jbody .merged_into)" = "$T3" ]
req POST "/v1/tickets/$T5/merge" "$LEAD" "{\"into\":\"$T3\"}"
check "another duplicate merged into the same survivor" [ "$STATUS" = 200 ]
req GET /v1/tickets "$C1"
check "the customer now sees one open ticket" [ "$(jbody '[.items[] | select(.status != "closed")] | length')" = 1 -a "$(jbody '.items | length')" = 1 -a "$(jbody '.items[0].id')" = "$T3" ]
req GET /tmf-api/troubleTicket/v4/troubleTicket "$C1"
check "... on the TMF621 face too" [ "$STATUS" = 200 -a "$(jbody 'length')" = 1 -a "$(jbody '.[0].id')" = "$T3" ]
req GET "/v1/tickets/$T2" "$C1"
check "each merged ticket names the one it went into: T2 -> T1" [ "$(jbody .merged_into)" = "$T1" ]
req GET "/v1/tickets/$T1" "$C1"
check "... T1 -> T3" [ "$(jbody .merged_into)" = "$T3" ]
check "every open ticket has a live owner" all_open_owned

# --- hand-backs reach the lead disputed; the audit names the bouncers
lead_get "$T3"
A3=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$A3/handback" "$FIB" '{"reason":"not_our_service"}'
lead_get "$T3"
check "a hand-back along the chain to its planned lead: disputed" [ "$(jbody '.assignments[-1].partner')" = northwind -a "$(jbody '.flags | index("disputed") != null')" = true ]
req GET "/v1/tickets/$T3/evidence" "$LEAD"
check "... the event names the bouncer and its time" [ "$(jq -r '.events[-1].event | fromjson | .data.next.bouncers[0] | .partner + "|" + (.held_ms >= 0 | tostring)' "$TMP/body")" = "fibernet|true" ]
check "?flag=disputed lists it" [ "$(flag_list disputed)" = "$T3" ]
req GET "/v1/audit/sla" "$LEAD"
check "the SLA audit has a column per flag" [ "$(jbody '.overall.flags | keys | sort | join(",")')" = "breached,disputed,duplicate,escalated,forced,merged,out_of_bundle,possible_duplicate,unroutable" ]
check "... fibernet's hand-back that ended disputed is attributed to it" [ "$(jbody '.owners[] | select(.owner == "fibernet") | .disputed_handbacks')" = 1 -a "$(jbody '.owners[] | select(.owner == "fibernet") | .flags.merged')" -ge 1 ]
req GET "/v1/audit/sla?format=csv" "$LEAD"
check "the CSV too" sh -c "head -1 '$TMP/body' | grep -q 'disputed_handbacks,disputed_handback_min,flag_unroutable,.*flag_out_of_bundle,flag_possible_duplicate,flag_merged$'"
req GET "/v1/tickets?flag=nonsense" "$LEAD"
check "an unknown flag filter lists nothing" [ "$STATUS" != 200 -o "$(jbody '.items | length')" = 0 ]
stop_broker

# --- the configuration: refuse out-of-bundle, no duplicate window
conf_with '.refuse_out_of_bundle = 1 | .duplicate_window_minutes = 0'
start_broker
req GET "/v1/tickets?limit=200" "$LEAD"
n_before=$(jbody '.items | length')
req POST /v1/tickets "$C2" "$TV"
check "refuse_out_of_bundle: 400 naming the field service" [ "$STATUS" = 400 -a "$(jbody .error.field)" = service -a "$(jbody .error.code)" = invalid_field ]
req GET "/v1/tickets?limit=200" "$LEAD"
check "... nothing was filed" [ "$(jbody '.items | length')" = "$n_before" ]
req POST /v1/tickets "$C2" "$PHONE"
check "in-bundle complaints are filed as before" [ "$STATUS" = 201 ]
Ta=$(file "$C3" "$DOWN")
Tb=$(file "$C3" "$DOWN")
lead_get "$Tb"
check "duplicate_window_minutes 0: the same facts are not flagged" [ "$(jbody '.flags | index("possible_duplicate")')" = null ]
stop_broker
conf_with '.refuse_out_of_bundle = 2'
refute "refuse_out_of_bundle 2 is out of bounds" "$BROKER" -n -c "$CONF"
check "seamctl verify passes" ctl verify

# --- the watch lists, on the test clock (a store of their own: its clock runs days ahead)
CONF=$ROOT/conf/seam.json
DATA=$TMP/watch
init_store
WC=$(new_customer w1 triple-play north)
LEAD=$(new_token lead ops)
declare -A TOK=([fibernet]=$(new_token partner fibernet) [nordtel]=$(new_token partner nordtel)
    [skyview]=$(new_token partner skyview) [northwind]=$LEAD)
start_broker -T 2030-01-07T08:00:00Z
clock_to() { req POST /v1/test/clock "$LEAD" "{\"to\":\"$1\"}"; }
live_claim() { # TICKET -> "ASSIGNMENT PARTNER" of its live claim
    lead_get "$1"
    jbody '.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress") | .id + " " + .partner'
}
claim_do() { # TICKET ACTION [BODY]: the live claim's owner acts on it
    local a p
    read -r a p <<<"$(live_claim "$1")"
    req POST "/v1/assignments/$a/$2" "${TOK[$p]}" "${3-}"
    [ "$STATUS" = 200 ] || echo "# $2 on $1 ($p) answered $STATUS $(body)" >&2
}
watch() { # FILTERS -> the ids the lead's list gives, comma-separated
    req GET "/v1/tickets?$1&limit=200" "$LEAD"
    [ "$STATUS" = 200 ] && jbody '[.items[].id] | join(",")'
}
warned() { # TICKET CLOCK: its live claim's warning for the clock came
    lead_get "$1"
    [ "$(jbody "[.assignments[] | select(.state == \"assigned\" or .state == \"acknowledged\" or .state == \"inProgress\") | .sla.warned // [] | index(\"warning_$2\")] | any(. != null)")" = true ]
}
breached() { # TICKET CLOCK
    lead_get "$1"
    [ "$(jbody "[.assignments[].sla.breached // [] | index(\"$2\")] | any(. != null)")" = true ]
}
B1=$(file "$WC" "$DOWN")
B2=$(file "$WC" "$DOWN")
R1=$(file "$WC" "$DOWN")
R2=$(file "$WC" "$DOWN")
R3=$(file "$WC" "$DOWN")
check "no ticket bounces, none is at risk yet" [ "$(watch flag=bouncing)" = "" -a "$(watch flag=at_risk)" = "" ]

# bouncing: handed back this round, while open
claim_do "$B1" handback '{"reason":"not_our_service"}'
claim_do "$B2" handback '{"reason":"not_our_service"}'
check "?flag=bouncing lists the two tickets handed back, newest first" [ "$(watch flag=bouncing)" = "$B2,$B1" ]
lead_get "$B1"
check "... the lead's view counts the ping-pong: bounces 1, the bouncer's claim handed back" [ "$(jbody .bounces)" = 1 -a "$(jbody '[.assignments[] | select(.state == "handed_back") | .partner] | join(",")')" = fibernet ]
NEXT=$(jbody '.assignments[-1].partner')
check "?flag=bouncing&owner=$NEXT: the same two (their next owner)" [ "$(watch "flag=bouncing&owner=$NEXT")" = "$B2,$B1" ]
check "?flag=bouncing&owner=fibernet: none (it no longer holds them)" [ "$(watch flag=bouncing\&owner=fibernet)" = "" ]
check "?flag=bouncing&partner=fibernet: both (it had them)" [ "$(watch flag=bouncing\&partner=fibernet)" = "$B2,$B1" ]
req GET "/v1/tickets?flag=bouncing" "$WC"
check "a customer may not ask for it (400 naming flag)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = flag ]
req GET "/v1/tickets?flag=bounced" "$LEAD"
check "flag=bounced is no list (400 naming flag)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = flag ]
claim_do "$B2" ack
claim_do "$B2" resolve '{"resolution":"fixed"}'
check "B2 resolved: it stops bouncing" [ "$(watch flag=bouncing)" = "$B1" ]
claim_do "$B1" ack
claim_do "$B1" need-info '{"question":"Which lights are red?"}'
check "B1 waits on the customer (pending): still open, still bouncing" [ "$(watch flag=bouncing)" = "$B1" -a "$(watch flag=bouncing\&status=pending)" = "$B1" ]

# at risk: R2 acknowledged at once (its ack clock stops); R1 and R3 past the ack warning
claim_do "$R2" ack
lead_get "$R1"
WARN=$(jbody '.assignments[0].sla.warn_ack_ms')
DUE=$(jbody '.assignments[0].sla.due_ack_ms')
clock_to "$(jq -rn "($WARN + $DUE) / 2 / 1000 | floor | todate")"
check "the clock between R1's ack warning and its due: the warnings come" eventually 10 warned "$R3" ack
check "?flag=at_risk lists R1 and R3 (past the warning, unacknowledged), not R2 nor B1" [ "$(watch flag=at_risk)" = "$R3,$R1" ]
check "... combined: &owner=fibernet the same, &owner=lead none, &status=pending none" [ "$(watch flag=at_risk\&owner=fibernet)" = "$R3,$R1" -a "$(watch flag=at_risk\&owner=lead)" = "" -a "$(watch flag=at_risk\&status=pending)" = "" ]
check "... and bouncing is still B1 alone" [ "$(watch flag=bouncing)" = "$B1" ]
claim_do "$R3" ack
check "R3 acknowledged: its ack clock stopped, it is no longer at risk" [ "$(watch flag=at_risk)" = "$R1" ]
clock_to "$(jq -rn "($DUE / 1000 | floor) + 60 | todate")"
check "past R1's due: the breach comes" eventually 10 breached "$R1" ack
check "R1 breached: no longer at risk, and in the breached list" [ "$(watch flag=at_risk)" = "" -a "$(watch flag=breached)" = "$R1" ]

# the resolve clocks: R1, R2, R3 past their warning; B1's paused (pending) is not
lead_get "$R2"
WARN=$(jbody '.assignments[0].sla.warn_resolve_ms')
DUE=$(jbody '.assignments[0].sla.due_resolve_ms')
clock_to "$(jq -rn "($WARN + $DUE) / 2 / 1000 | floor | todate")"
check "between the resolve warning and its due: the warnings come" eventually 10 warned "$R1" resolve
check "?flag=at_risk: R1, R2 and R3 (their resolve clocks past the warning)" [ "$(watch flag=at_risk)" = "$R3,$R2,$R1" ]
claim_do "$R2" resolve '{"resolution":"fixed"}'
claim_do "$R3" need-info '{"question":"Is the router on?"}'
check "R2 resolved and R3 paused (pending): R1 alone is at risk" [ "$(watch flag=at_risk)" = "$R1" ]
req POST "/v1/tickets/$R3/notes" "$WC" '{"text":"It is on."}'
check "the customer answers: R3's clock runs again, at risk again" [ "$(watch flag=at_risk)" = "$R3,$R1" ]
check "every open ticket has a live owner" all_open_owned
# The overview: each list's count is its list's length, each owner's its ?owner= list's.
count_of() { # FILTERS -> how many tickets the lead's list gives
    req GET "/v1/tickets?$1&limit=200" "$LEAD"
    jbody '.items | length'
}
overview_agrees() {
    req GET /v1/overview "$LEAD"
    [ "$STATUS" = 200 ] && [ "$(jbody .complete)" = true ] || return 1
    cp "$TMP/body" "$TMP/overview.json"
    local f o
    for f in disputed bouncing at_risk out_of_bundle possible_duplicate breached escalated; do
        [ "$(jq -r --arg f "$f" '.lists[$f]' "$TMP/overview.json")" = "$(count_of "flag=$f")" ] || { echo "list $f differs"; return 1; }
    done
    for o in $(jq -r '.open_by_owner[].owner' "$TMP/overview.json"); do
        [ "$(jq -r --arg o "$o" '.open_by_owner[] | select(.owner == $o) | .open' "$TMP/overview.json")" = "$(count_of "owner=$o")" ] || { echo "owner $o differs"; return 1; }
    done
    local open=0 st
    for st in acknowledged inProgress pending; do open=$((open + $(count_of "status=$st"))); done
    [ "$(jq -r .open "$TMP/overview.json")" = "$open" ]
}
check "GET /v1/overview: each list's count and each owner's open tickets agree with the lists" overview_agrees
check "... which are not all zero (bouncing 1, at risk 2)" \
    [ "$(jq -r '.lists.bouncing, .lists.at_risk' "$TMP/overview.json" | tr '\n' ' ')" = "1 2 " ]
check "... every partner of the configuration and the lead among the owners" \
    [ "$(jq -r '[.open_by_owner[] | select(.lead)] | length' "$TMP/overview.json")" = 1 -a "$(jq '.open_by_owner | length' "$TMP/overview.json")" = $(($(jq '.partners | length' "$CONF") + 1)) ]
req GET /v1/overview "$WC"
check "... a customer may not read it (404)" [ "$STATUS" = 404 ]
BOUNCING=$(watch flag=bouncing)
RISKY=$(watch flag=at_risk)
req POST /v1/test/clock "$LEAD" '{"advance_ms":0}'
NOW=$(jbody .now)
stop_broker
check "seamctl verify: the watch lists' index agrees with the records" ctl verify

# --- a store whose indexes a broker of format 1 built (no watch keys): built again at start
"$ROOT/$BUILD/tests/tamper" "$DATA" index-format-1 2>"$TMP/format1.out"
check "the indexes as format 1 left them: the watch lists' entries and keys gone" grep -Eq "tamper: [1-9][0-9]* entries and [1-9][0-9]* key sets" "$TMP/format1.out"
check "seamctl verify passes on it (the indexes are not this broker's yet)" ctl verify
start_broker -T "$NOW"
check "the broker says so and builds them again" grep -q "index: the indexes are of format 1, this broker keeps format 2" "$TMP/broker.$STARTS.log"
check "... for every ticket" grep -q "index: 5 of 5 tickets indexed" "$TMP/broker.$STARTS.log"
check "?flag=bouncing and ?flag=at_risk list the same tickets as before" [ "$(watch flag=bouncing)" = "$BOUNCING" -a "$(watch flag=at_risk)" = "$RISKY" -a -n "$RISKY" ]
stop_broker
check "seamctl verify: the rebuilt indexes agree with the records" ctl verify
finish
