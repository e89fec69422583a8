#!/usr/bin/env bash
# Personal signing keys (issue 18, item 4): a staff user registers an
# Ed25519 public key (seamctl user key, or PUT /v1/users/{subject}/{name}/key
# by the user itself or whoever keeps it) and signs its actions with it,
# naming itself in the seam-signature header (",u=SUBJECT/NAME"). The event
# then names the user and keeps its signature, which verify-evidence checks
# with --user-key. One user's signature presented as another's, a revoked
# key, a replay, a user of another partner: 401, and nothing changes.
. "$(dirname "$0")/lib.sh"
AGENT=$ROOT/$BUILD/seam-partner
mkdir "$TMP/nord" "$TMP/alice" "$TMP/bob" "$TMP/eve" "$TMP/dan"
NPUB=$("$AGENT" keygen "$TMP/nord")
APUB=$("$AGENT" keygen "$TMP/alice")
BPUB=$("$AGENT" keygen "$TMP/bob")
EPUB=$("$AGENT" keygen "$TMP/eve")
DPUB=$("$AGENT" keygen "$TMP/dan")
# nordtel signs its actions: a user's own signature stands for the partner's
conf_with '(.partners[] | select(.id == "nordtel") | .signing_key) = $k' --arg k "$NPUB"
init_store
C1=$(new_customer c1 phone-only north)
LEAD=$(new_token lead ops)
LEAD2=$(new_token lead ops-night)
NORD=$(new_token partner nordtel)
ctl user add nordtel/alice --kind agent >/dev/null
ctl user add nordtel/bob --kind agent >/dev/null
ctl user add nordtel/sam --kind supervisor >/dev/null
ctl user add skyview/sue --kind agent >/dev/null
ctl user add skyview/sky --kind supervisor >/dev/null
ctl user add c1/ann --kind customer >/dev/null
ctl user add northwind/dan --kind desk >/dev/null
BOB=$(new_token partner nordtel/bob)
SAM=$(new_token partner nordtel/sam)
SKY=$(new_token partner skyview/sky)
check "seamctl registers a staff user's key" ctl user key nordtel/alice "$TMP/alice/partner.pub"
check "user list shows it" grep -q '^nordtel/alice .* key$' <(ctl user list)
refute "a customer's user holds no signing key" ctl user key c1/ann "$APUB"
refute "a key that is no key is refused" ctl user key nordtel/bob "not-a-key"
refute "revoke-key of a user without a key fails" ctl user revoke-key nordtel/bob

start_broker
req POST /v1/tickets "$C1" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
T=$(jbody .id)
req GET /v1/assignments "$NORD"
A=$(jbody '.items[0].id')
signed() { # TOKEN KEYDIR USER METHOD PATH BODY [SIGNATURE]: a signed request
    local sig=${7:-$("$AGENT" sign --key "$2/partner.key" --user "$3" "$4" "$5" "$6")}
    STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X "$4" -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' -H "seam-signature: $sig" --data-binary "$6" "$(URL "$5")")
}

# registering keys through the API
req PUT /v1/users/nordtel/bob/key "$BOB" "{\"public_key\":\"$BPUB\"}"
check "a user registers its own key (200)" [ "$STATUS" = 200 -a "$(jbody .signing_key)" = "$BPUB" ]
req PUT /v1/users/nordtel/alice/key "$BOB" "{\"public_key\":\"$EPUB\"}"
check "an agent cannot set another agent's key (404)" [ "$STATUS" = 404 ]
req PUT /v1/users/nordtel/alice/key "$SKY" "{\"public_key\":\"$EPUB\"}"
check "another partner's supervisor cannot (404)" [ "$STATUS" = 404 ]
req PUT /v1/users/nordtel/alice/key "$C1" "{\"public_key\":\"$EPUB\"}"
check "a customer cannot (403 or 404)" [ "$STATUS" = 403 -o "$STATUS" = 404 ]
req PUT /v1/users/nordtel/bob/key "$BOB" '{"public_key":"AAAA"}'
check "a malformed key is refused (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = public_key ]
req PUT /v1/users/nordtel/bob/key "$BOB" '{"public_key":"'"$BPUB"'","extra":1}'
check "an unknown member is refused (400)" [ "$STATUS" = 400 ]
req PUT /v1/users/skyview/sue/key "$SKY" "{\"public_key\":\"$EPUB\"}"
check "a supervisor sets its own agent's key" [ "$STATUS" = 200 ]
req GET /v1/users "$SAM"
check "the supervisor sees which of its users hold keys" \
    [ "$(jbody '[.items[] | select(.signing_key != null) | .id] | join(" ")')" = "nordtel/alice nordtel/bob" ]

before=$(tree_size)
signed "$NORD" "$TMP/alice" nordtel/bob POST "/v1/assignments/$A/ack" '{}'
check "alice's signature presented as bob's is refused (401)" [ "$STATUS" = 401 -a "$(jbody .error.code)" = unauthorized ]
signed "$BOB" "$TMP/alice" nordtel/alice POST "/v1/assignments/$A/ack" '{}'
check "bob's token with alice's signature is refused (401)" [ "$STATUS" = 401 ]
check "... saying it is another user's" [ "$(jbody .error.message | grep -c 'another user')" = 1 ]
signed "$NORD" "$TMP/eve" skyview/sue POST "/v1/assignments/$A/ack" '{}'
check "a user of another partner is refused (401)" [ "$STATUS" = 401 ]
signed "$NORD" "$TMP/eve" nordtel/alice POST "/v1/assignments/$A/ack" '{}'
check "a signature by a key not the user's is refused (401)" [ "$STATUS" = 401 ]
signed "$NORD" "$TMP/alice" nordtel/nobody POST "/v1/assignments/$A/ack" '{}'
check "an unknown user is refused (401)" [ "$STATUS" = 401 ]
signed "$NORD" "$TMP/alice" 'nordtel/alice,u=x' POST "/v1/assignments/$A/ack" '{}'
check "a malformed user is refused (401)" [ "$STATUS" = 401 ]
check "none of them changed anything" [ "$(tree_size)" = "$before" ]

SIG=$("$AGENT" sign --key "$TMP/alice/partner.key" --user nordtel/alice POST "/v1/assignments/$A/ack" '{}')
check "seam-partner sign --user names the user after the signature" matches "$SIG" '^t=[0-9]+,s=[A-Za-z0-9+/=]+,u=nordtel/alice$'
signed "$NORD" "$TMP/alice" nordtel/alice POST "/v1/assignments/$A/ack" '{}' "$SIG"
check "the partner's token signed by its agent's key is accepted" [ "$STATUS" = 200 -a "$(jbody .state)" = acknowledged ]
mid=$(tree_size)
signed "$NORD" "$TMP/alice" nordtel/alice POST "/v1/assignments/$A/ack" '{}' "$SIG"
check "the same signed request replayed is refused (401)" [ "$STATUS" = 401 -a "$(jbody .error.message | grep -c replayed)" = 1 ]
check "... and changed nothing" [ "$(tree_size)" = "$mid" ]
BODY='{"note":"Line card swapped."}'
signed "$BOB" "$TMP/bob" nordtel/bob POST "/v1/assignments/$A/progress" "$BODY"
check "bob's own token, signed with bob's key, is accepted" [ "$STATUS" = 200 ]

req GET "/v1/tickets/$T/evidence" "$LEAD"
cp "$TMP/body" "$TMP/ev.json"
ev() { jq -r ".events[$1].event | fromjson | $2" "$TMP/ev.json"; }
# the acting user is a restricted value of its event: a disclosure named actor.user (t_evidence_view)
actor_user() { jq -r "[.events[$1].disclosures[]? | fromjson | select(.[1] == \"actor.user\") | .[2]][0]" "$TMP/ev.json"; }
check "the event of the signed ack names the agent" [ "$(actor_user 1)" = nordtel/alice ]
check "... and keeps the agent's signature" [ "$(ev 1 .data.user_signature.user)" = nordtel/alice -a "$(ev 1 .data.user_signature.s)" = "$(echo "${SIG#*s=}" | cut -d, -f1)" ]
check "... over the exact request" [ "$(ev 1 '.data.user_signature.method + " " + .data.user_signature.path')" = "POST /v1/assignments/$A/ack" ]
check "the progress event names bob" [ "$(actor_user 2)" = nordtel/bob -a "$(ev 2 .data.user_signature.user)" = nordtel/bob ]
check "the evidence verifies" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
"$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub" --user-key "nordtel/alice=$TMP/alice/partner.pub" \
    --user-key "nordtel/bob=$BPUB" >"$TMP/v.out"
check "verify-evidence checks the users' signatures with their keys" grep -q "user signatures: 2 verify, 0 not checked" "$TMP/v.out"
"$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub" --user-key "nordtel/alice=$APUB" >"$TMP/v.out"
check "... counting those without a key given as not checked" grep -q "user signatures: 1 verify, 1 not checked" "$TMP/v.out"
refute "... and fails with another key for the user" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub" --user-key "nordtel/alice=$EPUB"
refute "... or with one user's key given for another" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub" --user-key "nordtel/bob=$APUB"

# revocation
req DELETE /v1/users/nordtel/alice/key "$SAM"
check "the supervisor revokes its agent's key" [ "$STATUS" = 200 -a "$(jbody .signing_key)" = null ]
req DELETE /v1/users/nordtel/alice/key "$SAM"
check "revoking again: 404" [ "$STATUS" = 404 ]
mid=$(tree_size)
signed "$NORD" "$TMP/alice" nordtel/alice POST "/v1/assignments/$A/progress" '{"note":"after revocation"}'
check "a signature by a revoked key is refused (401)" [ "$STATUS" = 401 ]
check "... and changed nothing" [ "$(tree_size)" = "$mid" ]
req PUT /v1/users/nordtel/alice/key "$LEAD" "{\"public_key\":\"$APUB\"}"
check "a revoked key is never taken again (409)" [ "$STATUS" = 409 ]
req PUT /v1/users/nordtel/alice/key "$LEAD" "{\"public_key\":\"$EPUB\"}"
check "the lead registers a new key for the agent" [ "$STATUS" = 200 -a "$(jbody .signing_key)" = "$EPUB" ]
signed "$NORD" "$TMP/eve" nordtel/alice POST "/v1/assignments/$A/progress" '{"note":"new key"}'
check "the new key signs" [ "$STATUS" = 200 ]
req POST /v1/users/nordtel/bob/disable "$SAM" '{}'
signed "$NORD" "$TMP/bob" nordtel/bob POST "/v1/assignments/$A/progress" '{"note":"disabled"}'
check "a disabled user's signature is refused (401)" [ "$STATUS" = 401 ]
req POST "/v1/assignments/$A/progress" "$NORD" '{"note":"unsigned"}'
check "the partner's unsigned action is still refused (401)" [ "$STATUS" = 401 ]

# the lead's staff sign too
req PUT /v1/users/northwind/dan/key "$LEAD" "{\"public_key\":\"$DPUB\"}"
check "the lead registers its desk user's key" [ "$STATUS" = 200 ]
signed "$NORD" "$TMP/dan" northwind/dan POST "/v1/assignments/$A/progress" '{"note":"as the lead"}'
check "a partner's token cannot act as the lead's user (401)" [ "$STATUS" = 401 ]
DSIG=$("$AGENT" sign --key "$TMP/dan/partner.key" --user northwind/dan POST "/v1/tickets/$T/assign" \
    '{"partner":"lead","reason":"We take it."}')
signed "$LEAD" "$TMP/dan" northwind/dan POST "/v1/tickets/$T/assign" '{"partner":"lead","reason":"We take it."}' "$DSIG"
check "the lead's token signed by its desk user's key is accepted" [ "$STATUS" = 200 ]
before=$(tree_size)
signed "$LEAD2" "$TMP/dan" northwind/dan POST "/v1/tickets/$T/assign" '{"partner":"lead","reason":"We take it."}' "$DSIG"
check "the desk user's signed request replayed through another lead token is refused (401)" \
    [ "$STATUS" = 401 -a "$(jbody .error.message | grep -c replayed)" = 1 ]
check "... and changed nothing" [ "$(tree_size)" = "$before" ]
req GET "/v1/tickets/$T/evidence" "$LEAD"
check "the event names the desk user and keeps its signature" \
    [ "$(jq -r '[.events[] | select((.event | fromjson | .data.user_signature.user) == "northwind/dan") | [.disclosures[]? | fromjson | select(.[1] == "actor.user") | .[2]][0]] | join(" ")' "$TMP/body")" = northwind/dan ]
cp "$TMP/body" "$TMP/ev2.json"
"$SEAMCTL" verify-evidence "$TMP/ev2.json" --key "$DATA/broker.pub" --user-key "northwind/dan=$DPUB" >"$TMP/v.out"
check "... and verify-evidence checks it" grep -q "user signatures: 1 verify, 3 not checked" "$TMP/v.out"
"$SEAMCTL" verify-evidence "$TMP/ev2.json" --key "$DATA/broker.pub" --user-key "nordtel/alice=$APUB" \
    --user-key "nordtel/alice=$EPUB" --user-key "nordtel/bob=$BPUB" --user-key "northwind/dan=$DPUB" >"$TMP/v.out"
check "a user's keys over time, each given, verify its signatures before and after the change" \
    grep -q "user signatures: 4 verify, 0 not checked" "$TMP/v.out"
refute "... and with only its new key, the old signature fails" "$SEAMCTL" verify-evidence "$TMP/ev2.json" \
    --key "$DATA/broker.pub" --user-key "nordtel/alice=$EPUB"
stop_broker
check "seamctl verify passes" ctl verify
finish
