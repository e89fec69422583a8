#!/usr/bin/env bash
# Bad input of every kind gets the right status and a structured error, and
# changes nothing: the evidence log's size is the same before and after.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
C2=$(new_customer c2)
LEAD=$(new_token lead ops)
REVOKED=$(new_customer c3)
start_broker
req POST /v1/tickets "$C2" "$TICKET_BODY"
T2=$(jbody .id)
before=$(tree_size)

expect() { # description status code [field]
    local ok_=0
    [ "$STATUS" = "$2" ] || ok_=1
    [ "$(jbody .error.code)" = "$3" ] || ok_=1
    [ $# -lt 4 ] || [ "$(jbody .error.field)" = "$4" ] || ok_=1
    [ -n "$(jbody .error.message)" ] && [ "$(jbody .error.message)" != null ] || ok_=1
    ok $ok_ "$1 -> $2 $3${4:+ ($4)}"
    [ $ok_ = 0 ] || { echo "# got $STATUS: $(body)"; }
}

big=$(head -c 20000 /dev/zero | tr '\0' a)
req POST /v1/tickets "$C1" "{\"summary\":\"x\",\"description\":\"$big\",\"symptom\":\"slow\"}"
expect "oversized body" 413 body_too_large
req POST /v1/tickets "$C1" "$(printf '{"summary":"x","description":"%s","symptom":"slow"}' "$(head -c 7000 /dev/zero | tr '\0' b)")"
check "a 7000-byte description, under both limits, is taken" [ "$STATUS" = 201 ]
before=$(tree_size)
req POST /v1/tickets "$C1" '{"summary":"x",'
expect "broken JSON" 400 bad_json
req POST /v1/tickets "$C1" '[1,2]'
expect "a JSON array instead of an object" 400 bad_json
req POST /v1/tickets "$C1" '{"summary":"a","summary":"b","description":"","symptom":"slow"}'
expect "a duplicated key" 400 bad_json
req POST /v1/tickets "$C1" '{"summary":42,"description":"d","symptom":"slow"}'
expect "summary of the wrong type" 400 invalid_field summary
req POST /v1/tickets "$C1" '{"summary":"s","description":"d","symptom":["slow"]}'
expect "symptom of the wrong type" 400 invalid_field symptom
req POST /v1/tickets "$C1" '{"summary":"s","description":"d","symptom":"slow","priority":"whenever"}'
expect "an unknown priority" 400 invalid_field priority
req POST /v1/tickets "$C1" '{"summary":"s","description":"d","symptom":"smoke"}'
expect "a symptom outside the vocabulary" 400 invalid_field symptom
req POST /v1/tickets "$C1" '{"summary":"","description":"d","symptom":"slow"}'
expect "an empty summary" 400 invalid_field summary
req POST /v1/tickets "$C1" '{"description":"d","symptom":"slow"}'
expect "a missing summary" 400 missing_field summary
req POST /v1/tickets "$C1" '{"summary":"s","description":"d"}'
expect "a missing symptom" 400 missing_field symptom
req POST /v1/tickets "$C1" '{"summary":"s","description":"d","symptom":"slow","region":"south"}'
expect "an unknown field (region comes from the customer record)" 400 unknown_field region
req POST /v1/tickets "$C1" ''
expect "an empty body" 400 bad_json
req POST /v1/tickets "$C1" "$TICKET_BODY" text/plain
expect "a body that is not JSON by its media type" 415 unsupported_media_type
req POST /v1/tickets "" "$TICKET_BODY"
expect "no token" 401 unauthorized
check "401 says how to authenticate" [ "$(header WWW-Authenticate)" = 'Bearer realm="seam"' ]
req POST /v1/tickets "seam_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$TICKET_BODY"
expect "an unknown token" 401 unauthorized
req POST /v1/tickets "garbage" "$TICKET_BODY"
expect "a malformed token" 401 unauthorized
ctl token revoke "$REVOKED" >/dev/null
req POST /v1/tickets "$REVOKED" "$TICKET_BODY"
expect "a revoked token" 401 unauthorized
req GET "/v1/tickets/$T2" "$C1"
expect "another customer's ticket" 404 not_found
req GET "/v1/tickets/$T2/evidence" "$C1"
expect "another customer's evidence" 404 not_found
req POST /v1/assignments/A0000000000000000000a/ack "$C1" '{}'
expect "a customer token on the partner's endpoint" 404 not_found
req POST /v1/tickets "$LEAD" "$TICKET_BODY"
expect "the lead files only for a named customer" 400 missing_field
req DELETE /v1/tickets "$C1"
expect "a method the endpoint lacks" 405 method_not_allowed
check "405 lists the allowed methods" [ "$(header Allow)" = "POST, GET" ]
req GET /v1/nothing "$C1"
expect "an unknown path" 404 not_found
req GET "/v1/tickets/..%2f..%2fetc" "$C1"
check "a hostile id is 404 or 400, never 5xx" [ "$STATUS" = 404 -o "$STATUS" = 400 ]
# A chunked body over the limit (no Content-Length to refuse it early).
STATUS=$(head -c 40000 /dev/zero | tr '\0' x | curl -s -o "$TMP/body" -w '%{http_code}' -X POST \
    -H "Authorization: Bearer $C1" -H 'Content-Type: application/json' \
    -H 'Transfer-Encoding: chunked' --data-binary @- "$(URL /v1/tickets)")
expect "a chunked body over the limit" 413 body_too_large
# Headers flood: far more header bytes than the connection may hold.
hdrs=()
for i in $(seq 1 200); do hdrs+=(-H "X-Fill-$i: $(head -c 400 /dev/zero | tr '\0' h)"); done
STATUS=$(curl -s -o /dev/null -w '%{http_code}' "${hdrs[@]}" "$(URL /healthz)")
check "oversized headers are refused, not crashed on ($STATUS)" [ "$STATUS" = 431 -o "$STATUS" = 413 -o "$STATUS" = 400 -o "$STATUS" = 000 ]

check "nothing was written: the log size is unchanged" [ "$(tree_size)" = "$before" ]
req GET /healthz ""
check "the broker is still up" [ "$STATUS" = 200 ]
stop_broker
check "seamctl verify still passes" ctl verify
finish
