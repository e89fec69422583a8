#!/usr/bin/env bash
# Replay protection of partners' signed requests (issue 14, finding 3): a
# used signature is recorded in the store with the action it signed, so a
# signed request replayed after a restart, or after another partner flooded
# the broker with signed requests, is still refused; identical requests sent
# at once are carried out once; each partner has a bound of its own (429
# past it, others unaffected) that frees up as its signatures expire.
. "$(dirname "$0")/lib.sh"
AGENT=$ROOT/$BUILD/seam-partner
SP=$ROOT/$BUILD/tests/signed-post
[ -x "$SP" ] || { echo "Bail out! $SP is missing (make $BUILD/tests/signed-post)"; exit 1; }
mkdir "$TMP/nk" "$TMP/fk"
NPUB=$("$AGENT" keygen "$TMP/nk")
FPUB=$("$AGENT" keygen "$TMP/fk")
KEYS='(.partners[] | select(.id == "nordtel") | .signing_key) = $n
    | (.partners[] | select(.id == "fibernet") | .signing_key) = $f'
conf_with "$KEYS" --arg n "$NPUB" --arg f "$FPUB"
init_store
C1=$(new_customer c1 phone-only north)
C2=$(new_customer c2 tv-internet north)
LEAD=$(new_token lead ops)
NORD=$(new_token partner nordtel)
FIB=$(new_token partner fibernet)
start_broker
req POST /v1/tickets "$C1" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
T1=$(jbody .id)
req POST /v1/tickets "$C2" "$TICKET_BODY"
req GET /v1/assignments "$NORD"
A1=$(jbody '.items[0].id')
req GET /v1/assignments "$FIB"
A2=$(jbody '.items[0].id')
check "each partner has a claim" [ -n "$A1" -a "$A1" != null -a -n "$A2" -a "$A2" != null ]

sign() { "$AGENT" sign --key "$TMP/$1/partner.key" POST "$2" "$3"; } # KEYDIR PATH BODY
signed() { # TOKEN PATH BODY SIGNATURE: a signed POST; sets STATUS, the body in $TMP/body
    STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' -H "seam-signature: $4" --data-binary "$3" "$(URL "$2")")
}
# with_sig SIG: how many of T1's events carry that partner signature
with_sig() {
    req GET "/v1/tickets/$T1/evidence" "$LEAD"
    jq --arg s "${1#*s=}" '[.events[].event | fromjson | select(.data.partner_signature.s == $s)] | length' "$TMP/body"
}

signed "$NORD" "/v1/assignments/$A1/ack" '{}' "$(sign nk "/v1/assignments/$A1/ack" '{}')"
check "nordtel's signed ack is accepted" [ "$STATUS" = 200 ]

# 1. Across a restart.
P=/v1/assignments/$A1/progress
BODY='{"note":"Line card swapped."}'
SIG_P=$(sign nk "$P" "$BODY")
signed "$NORD" "$P" "$BODY" "$SIG_P"
check "a signed progress note is accepted" [ "$STATUS" = 200 ]
stop_broker
start_broker
signed "$NORD" "$P" "$BODY" "$SIG_P"
check "replayed after a restart, within the window, it is refused (401)" \
    [ "$STATUS" = 401 -a "$(jbody .error.message | grep -c replayed)" = 1 ]
check "... and the evidence has exactly one progress event with that signature" [ "$(with_sig "$SIG_P")" = 1 ]
# The used signature is durable with the action it signed: kill -9 right
# after the 200, and the replay is refused all the same (invariant 2).
BODY_K='{"note":"Checked again after the swap."}'
SIG_K=$(sign nk "$P" "$BODY_K")
signed "$NORD" "$P" "$BODY_K" "$SIG_K"
check "another signed progress note is accepted" [ "$STATUS" = 200 ]
kill9_broker
start_broker
signed "$NORD" "$P" "$BODY_K" "$SIG_K"
check "replayed after a kill -9 right after its 200, it is refused (401)" [ "$STATUS" = 401 ]
check "... and the evidence has exactly one event with that signature" [ "$(with_sig "$SIG_K")" = 1 ]
req GET "/v1/tickets/$T1/evidence" "$LEAD"
check "... which is the progress note" [ "$(jq -r --arg s "${SIG_P#*s=}" '.events[].event | fromjson | select(.data.partner_signature.s == $s) | .data.partner_signature.path' "$TMP/body")" = "$P" ]

# 2. After another partner's flood of signed requests that are refused.
BODY_Q='{"note":"Waiting for the engineer."}'
SIG_Q=$(sign nk "$P" "$BODY_Q")
signed "$NORD" "$P" "$BODY_Q" "$SIG_Q"
check "another signed progress note is accepted" [ "$STATUS" = 200 ]
before=$(tree_size)
start=$SECONDS
"$SP" --key "$TMP/fk/partner.key" --token "$FIB" --url "$(URL '')" --count 8300 \
    "/v1/assignments/$A2/progress" '{"note":"x","flood":%N}' >"$TMP/flood.out"
check "fibernet sent 8,300 signed requests, each refused 400 (in $((SECONDS - start)) s)" \
    [ "$(cat "$TMP/flood.out")" = "400 8300" ]
check "... which changed nothing" [ "$(tree_size)" = "$before" ]
signed "$NORD" "$P" "$BODY_Q" "$SIG_Q"
check "nordtel's request replayed after the flood is refused (401)" \
    [ "$STATUS" = 401 -a "$(jbody .error.message | grep -c replayed)" = 1 ]
signed "$NORD" "$P" "$BODY" "$SIG_P"
check "... and so is the one from before the restart" [ "$STATUS" = 401 ]
check "... and the evidence holds each once" [ "$(with_sig "$SIG_Q")" = 1 -a "$(with_sig "$SIG_P")" = 1 ]

# 3. The same signed request ten times at once: carried out once.
BODY_C='{"note":"Sent ten times at once."}'
SIG_C=$(sign nk "$P" "$BODY_C")
before=$(tree_size)
pids=
for i in $(seq 1 10); do
    curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $NORD" \
        -H 'Content-Type: application/json' -H "seam-signature: $SIG_C" --data-binary "$BODY_C" \
        "$(URL "$P")" >"$TMP/par.$i" &
    pids="$pids $!"
done
wait $pids
cat "$TMP"/par.* | sort | uniq -c | sed 's/^ *//' >"$TMP/par.out"
check "ten identical signed requests at once: exactly one 200, nine 401" \
    [ "$(cat "$TMP/par.out" | tr '\n' ' ')" = "1 200 9 401 " ]
check "... one event" [ "$(tree_size)" = $((before + 1)) -a "$(with_sig "$SIG_C")" = 1 ]

# 4. The per-partner bound, with the test clock to let entries expire.
stop_broker
conf_with "$KEYS | .limits.max_signed_per_partner = 16" --arg n "$NPUB" --arg f "$FPUB"
start_broker -T now
# nordtel holds 5 (ack, three notes, the note sent ten times); 11 more fit.
"$SP" --key "$TMP/nk/partner.key" --token "$NORD" --url "$(URL '')" --count 20 \
    "$P" '{"note":"note %N"}' >"$TMP/bound.out"
check "with a bound of 16, nordtel gets 11 more through, then 429" \
    [ "$(tr '\n' ' ' <"$TMP/bound.out")" = "200 11 429 9 " ]
BODY_B='{"note":"one more"}'
signed "$NORD" "$P" "$BODY_B" "$(sign nk "$P" "$BODY_B")"
check "... with the code signed_requests_limit" \
    [ "$STATUS" = 429 -a "$(jbody .error.code)" = signed_requests_limit ]
signed "$NORD" "$P" "$BODY_Q" "$SIG_Q"
check "... while its old requests are still refused as replays (401)" [ "$STATUS" = 401 ]
BODY_F='{"note":"Fibre spliced."}'
signed "$FIB" "/v1/assignments/$A2/ack" '{}' "$(sign fk "/v1/assignments/$A2/ack" '{}')"
check "fibernet is not affected: its signed ack is accepted" [ "$STATUS" = 200 ]
signed "$FIB" "/v1/assignments/$A2/progress" "$BODY_F" "$(sign fk "/v1/assignments/$A2/progress" "$BODY_F")"
check "... and its signed note (its refused flood left nothing counted)" [ "$STATUS" = 200 ]
# Eleven minutes on, every one of nordtel's signatures has expired and is pruned.
req POST /v1/test/clock "$LEAD" '{"advance_ms":660000}'
later=$(($(date +%s) + 660))
after_expiry() {
    "$SP" --key "$TMP/nk/partner.key" --token "$NORD" --url "$(URL '')" --at "$later" \
        "$P" '{"note":"after expiry"}' | grep -q '^200 1$'
}
check "once its signatures expire, nordtel's signed requests are taken again" eventually 5 after_expiry
finish
