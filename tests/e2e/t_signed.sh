#!/usr/bin/env bash
# Partner-signed updates: a partner configured with a signing key must sign
# each action; a good signature is kept in the signed event (the partner's
# word, provable later); a missing, forged, tampered, stale or replayed one
# is refused with 401 and changes nothing.
. "$(dirname "$0")/lib.sh"
AGENT=$ROOT/$BUILD/seam-partner
mkdir "$TMP/keys" "$TMP/other"
NPUB=$("$AGENT" keygen "$TMP/keys")
"$AGENT" keygen "$TMP/other" >/dev/null
check "keygen makes a private key only its owner reads" [ "$(stat -c %a "$TMP/keys/partner.key")" = 600 ]
conf_with '(.partners[] | select(.id == "nordtel") | .signing_key) = $k' --arg k "$NPUB"
init_store
C1=$(new_customer c1 phone-only north)
LEAD=$(new_token lead ops)
NORD=$(new_token partner nordtel)
start_broker
req POST /v1/tickets "$C1" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
T=$(jbody .id)
req GET /v1/assignments "$NORD"
A=$(jbody '.items[0].id')
check "reading needs no signature" [ "$STATUS" = 200 -a -n "$A" ]
before=$(tree_size)
signed() { # KEYDIR METHOD PATH BODY [SIGNATURE]: a signed POST
    local sig=${5:-$("$AGENT" sign --key "$1/partner.key" "$2" "$3" "$4")}
    STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $NORD" \
        -H 'Content-Type: application/json' -H "seam-signature: $sig" --data-binary "$4" "$(URL "$3")")
}
req POST "/v1/assignments/$A/ack" "$NORD" '{}'
check "an unsigned action is refused (401)" [ "$STATUS" = 401 -a "$(jbody .error.code)" = unauthorized ]
check "... saying the signature is missing" [ "$(jbody .error.message | grep -c missing)" = 1 ]
signed "$TMP/other" POST "/v1/assignments/$A/ack" '{}'
check "a signature by another key is refused (401)" [ "$STATUS" = 401 ]
SIG=$("$AGENT" sign --key "$TMP/keys/partner.key" POST "/v1/assignments/$A/ack" '{}')
signed "$TMP/keys" POST "/v1/assignments/$A/ack" '{"note":"x"}' "$SIG"
check "a signature over another body is refused (401)" [ "$STATUS" = 401 ]
signed "$TMP/keys" POST "/v1/assignments/$A/resolve" '{}' "$SIG"
check "a signature for another path is refused (401)" [ "$STATUS" = 401 ]
signed "$TMP/keys" POST "/v1/assignments/$A/ack" '{}' "t=1000000000,${SIG#*,}"
check "a signature with an old timestamp is refused (401)" [ "$STATUS" = 401 ]
signed "$TMP/keys" POST "/v1/assignments/$A/ack" '{}' "t=-9223372036854775808,${SIG#*,}"
check "a signature with the least 64-bit timestamp is refused (401, no overflow)" [ "$STATUS" = 401 ]
signed "$TMP/keys" POST "/v1/assignments/$A/ack" '{}' "t=9223372036854775807,${SIG#*,}"
check "a signature with the greatest 64-bit timestamp is refused (401)" [ "$STATUS" = 401 ]
signed "$TMP/keys" POST "/v1/assignments/$A/ack" '{}' "garbage"
check "a malformed signature header is refused (401)" [ "$STATUS" = 401 ]
check "none of them changed anything" [ "$(tree_size)" = "$before" ]
signed "$TMP/keys" POST "/v1/assignments/$A/ack" '{}' "$SIG"
check "a good signature is accepted" [ "$STATUS" = 200 -a "$(jbody .state)" = acknowledged ]
BODY='{"note":"Line card swapped."}'
SIG2=$("$AGENT" sign --key "$TMP/keys/partner.key" POST "/v1/assignments/$A/progress" "$BODY")
signed "$TMP/keys" POST "/v1/assignments/$A/progress" "$BODY" "$SIG2"
check "a signed progress note is accepted" [ "$STATUS" = 200 ]
mid=$(tree_size)
signed "$TMP/keys" POST "/v1/assignments/$A/progress" "$BODY" "$SIG2"
check "the same signed request replayed is refused (401)" [ "$STATUS" = 401 -a "$(jbody .error.message | grep -c replayed)" = 1 ]
check "... and changed nothing" [ "$(tree_size)" = "$mid" ]
req GET "/v1/tickets/$T/evidence" "$LEAD"
cp "$TMP/body" "$TMP/ev.json"
check "the evidence verifies" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
jq -r '.events[1].event | fromjson | .data.partner_signature' "$TMP/ev.json" >"$TMP/psig.json"
check "the signed event keeps the partner's signature" [ "$(jq -r .s "$TMP/psig.json")" = "${SIG#*s=}" ]
check "... over the exact request" [ "$(jq -r '.method + " " + .path' "$TMP/psig.json")" = "POST /v1/assignments/$A/ack" ]
"$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub" --partner-key "nordtel=$TMP/keys/partner.pub" >"$TMP/v.out"
check "verify-evidence checks the partner's signatures with its key" grep -q "partner signatures: 2 verify, 0 not checked" "$TMP/v.out"
refute "... and fails with another key for the partner" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub" --partner-key "nordtel=$TMP/other/partner.pub"
stop_broker
check "seamctl verify passes" ctl verify
finish
