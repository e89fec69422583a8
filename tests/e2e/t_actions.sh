#!/usr/bin/env bash
# The action routes' contract, route by route: the routes of the state
# machine's actions share one handler driven by their rows of the endpoint
# table, and each still answers bad input as it did when each had its own
# handler: an unknown field, a mistyped, overlong or missing one, a body
# over the route's limit, a role the route does not take (the lead takes a
# customer's actions only through TMF621), the hand-back's reason checked
# before anything else (an empty body, a partner's missing signature), and
# a signing partner's signature checked before the body is read. None of
# it changes anything; each route counts under its own metric name.
. "$(dirname "$0")/lib.sh"
AGENT=$ROOT/$BUILD/seam-partner
mkdir "$TMP/keys"
NPUB=$("$AGENT" keygen "$TMP/keys")
conf_with '(.partners[] | select(.id == "nordtel") | .signing_key) = $k' --arg k "$NPUB"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
AUD=$(new_token auditor firm)
start_broker
req POST /v1/tickets "$C1" '{"summary":"Internet down","description":"Nothing works","service":"internet","symptom":"no_service"}'
T=$(jbody .id)
req GET "/v1/tickets/$T" "$LEAD"
A=$(jbody '.assignments[0].id')
req POST /v1/tickets "$C2" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
req GET /v1/assignments "$NORD"
AN=$(jbody '.items[0].id')
check "a ticket for fibernet and one for nordtel (which signs its actions)" [ -n "$T" -a -n "$A" -a -n "$AN" ]
before=$(tree_size)
long=$(head -c 8001 /dev/zero | tr '\0' x)

error_is() { # STATUS CODE FIELD [MESSAGE-REGEX]
    [ "$STATUS" = "$1" ] && [ "$(jbody .error.code)" = "$2" ] &&
        [ "$(jbody '.error.field // ""')" = "$3" ] && matches "$(jbody .error.message)" "${4:-.}"
}

# name path token text-member required(1/0) body-limit wrong-token...
routes=$(
    cat <<EOF
tickets_note /v1/tickets/$T/notes C1 note 1 16384 FIB LEAD AUD
tickets_confirm /v1/tickets/$T/confirm C1 comment 0 4096 FIB LEAD AUD
tickets_reopen /v1/tickets/$T/reopen C1 reason 1 16384 FIB LEAD AUD
tickets_cancel /v1/tickets/$T/cancel C1 reason 0 16384 FIB LEAD AUD
tickets_assign /v1/tickets/$T/assign LEAD reason 1 16384 C1 FIB AUD
assignments_ack /v1/assignments/$A/ack FIB note 0 16384 C1 AUD
assignments_progress /v1/assignments/$A/progress FIB note 1 16384 C1 AUD
assignments_need_info /v1/assignments/$A/need-info FIB question 1 16384 C1 AUD
assignments_resolve /v1/assignments/$A/resolve FIB resolution 1 16384 C1 AUD
assignments_handback /v1/assignments/$A/handback FIB note 0 16384 C1 AUD
EOF
)
while read -r name path tok text required limit wrong; do
    token=${!tok}
    req POST "$path" "$token" '{"bogus":"x"}'
    check "$name: an unknown field is 400 unknown_field naming it" error_is 400 unknown_field bogus
    req POST "$path" "$token" "{\"$text\":5}"
    check "$name: a $text that is no string is 400 invalid_field" \
        error_is 400 invalid_field "$text" '^must be a string$'
    req POST "$path" "$token" "{\"$text\":\"$long\"}"
    if [ "$limit" -lt 8100 ]; then
        check "$name: a body over its limit of $limit bytes is 413" \
            [ "$STATUS" = 413 -a "$(jbody .error.code)" = body_too_large ]
    else
        check "$name: a $text over 8000 bytes is 400 invalid_field" \
            error_is 400 invalid_field "$text" "^must be $required to 8000 bytes long$"
    fi
    if [ "$required" = 1 ]; then
        req POST "$path" "$token" '{}'
        check "$name: without its $text, 400 missing_field" error_is 400 missing_field "$text"
        req POST "$path" "$token" "{\"$text\":\"\"}"
        check "$name: an empty $text is 400 invalid_field" \
            error_is 400 invalid_field "$text" '^must be 1 to 8000 bytes long$'
    fi
    for w in $wrong; do
        req POST "$path" "${!w}" '{}'
        check "$name: not for the $w token's role (404)" \
            error_is 404 not_found "" '^no such resource for this principal$'
    done
    req POST "$path" "$token" "{\"$text\":\"x\"}" text/plain
    check "$name: a body that is not JSON is 415" [ "$STATUS" = 415 ]
done <<<"$routes"

# --- the hand-back: its reason first, on a body it requires
HB=/v1/assignments/$A/handback
req POST "$HB" "$FIB" ""
check "handback: an empty body is 400 bad_json (a body is required)" \
    error_is 400 bad_json "" '^a JSON object body is required$'
req POST "$HB" "$FIB" '{}'
check "handback: without a reason, 400 missing_field" error_is 400 missing_field reason
req POST "$HB" "$FIB" '{"reason":"nope","bogus":1}'
check "handback: an unknown reason is 400 invalid_field, before the other fields" \
    error_is 400 invalid_field reason '^a reason is one of not_our_service, '
req POST "$HB" "$FIB" '{"reason":""}'
check "handback: an empty reason is an unknown one" error_is 400 invalid_field reason '^a reason is one of '
req POST "$HB" "$FIB" '{"reason":5}'
check "handback: a reason that is no string is 400 invalid_field" \
    error_is 400 invalid_field reason '^must be a string$'
req POST "$HB" "$FIB" '{"reason":"not_our_service","partner":""}'
check "handback: an empty partner is 400 invalid_field" \
    error_is 400 invalid_field partner '^must be 1 to 64 bytes long$'
req POST "$HB" "$FIB" '{"reason":"not_our_service","ticket":5}'
check "handback: a ticket that is no string is 400 invalid_field" \
    error_is 400 invalid_field ticket '^must be a string$'
req POST "$HB" "$FIB" "{\"reason\":\"$(head -c 33 /dev/zero | tr '\0' x)\"}"
check "handback: a reason of 33 bytes is an unknown one" error_is 400 invalid_field reason '^a reason is one of '
req POST "$HB" "$FIB" '{"reason":"not_our_service"'
check "handback: a body that does not parse is 400 bad_json" error_is 400 bad_json "" '^body is not valid JSON'
req POST "/v1/assignments/$A/progress" "$FIB" ""
check "progress: an empty body is an empty object (400 missing_field note)" error_is 400 missing_field note

# --- the lead's assign: both fields required, the reason named first
req POST "/v1/tickets/$T/assign" "$LEAD" '{"reason":"ours now"}'
check "assign: without a partner, 400 missing_field partner" error_is 400 missing_field partner
req POST "/v1/tickets/$T/assign" "$LEAD" '{"partner":"lead","reason":""}'
check "assign: an empty reason is 400 invalid_field" error_is 400 invalid_field reason
req POST "/v1/tickets/$T/assign" "$LEAD" "{\"partner\":\"$(head -c 65 /dev/zero | tr '\0' x)\",\"reason\":\"x\"}"
check "assign: a partner over 64 bytes is 400 invalid_field" \
    error_is 400 invalid_field partner '^must be 1 to 64 bytes long$'

# --- a signing partner: the hand-back's reason before the signature, the
# signature before the body of every other action
req POST "/v1/assignments/$AN/handback" "$NORD" '{"reason":"nope"}'
check "signing partner: an unknown reason is 400, before the missing signature" \
    error_is 400 invalid_field reason '^a reason is one of '
req POST "/v1/assignments/$AN/handback" "$NORD" ''
check "signing partner: an empty hand-back body is 400 bad_json, before the signature" \
    error_is 400 bad_json ""
req POST "/v1/assignments/$AN/handback" "$NORD" '{"reason":"not_our_service"}'
check "signing partner: a known reason without a signature is 401" error_is 401 unauthorized "" 'missing'
req POST "/v1/assignments/$AN/ack" "$NORD" '{"bogus'
check "signing partner: an ack whose body does not parse is 401 first (the signature)" \
    error_is 401 unauthorized "" 'missing'
req POST "/v1/assignments/$AN/progress" "$NORD" '{"bogus":1}'
check "signing partner: an unknown field is 401 first (the signature)" error_is 401 unauthorized ""

check "none of it changed anything" [ "$(tree_size)" = "$before" ]

# --- and the routes work: one action through the shared handler
req POST "/v1/assignments/$A/ack" "$FIB" ""
check "ack with an empty body: 200, the owner's assignment back" \
    [ "$STATUS" = 200 -a "$(jbody .id)" = "$A" -a "$(jbody .state)" = acknowledged ]
req POST "/v1/tickets/$T/notes" "$C1" '{"text":"Still down."}'
check "a note: 200, the customer's ticket back" \
    [ "$STATUS" = 200 -a "$(jbody .id)" = "$T" -a "$(jbody '.timeline[-1].text')" = "Still down." ]
check "two events more" [ "$(tree_size)" = "$((before + 2))" ]

# --- one metric series per route, under its name
req GET /metrics ""
metrics=$(body)
for name in $(echo "$routes" | cut -d' ' -f1); do
    check "$name counts its 400s and 404s under its own name" \
        grep -q "endpoint=\"$name\",code=\"404\"" <<<"$metrics"
done
check "assignments_ack counts its 200" grep -q 'endpoint="assignments_ack",code="200"' <<<"$metrics"
check "tickets_note counts its 200" grep -q 'endpoint="tickets_note",code="200"' <<<"$metrics"
check "tickets_confirm counts its 413" grep -q 'endpoint="tickets_confirm",code="413"' <<<"$metrics"
finish
