#!/usr/bin/env bash
# What the partner desk and the evidence badge read (issue 19): the broker's
# public key to anyone signed in (GET /v1/evidence/key: the key of
# broker.pub, 401 without credentials); a claim's warning instants (warn,
# from the SLA policy's warning_fraction) and, once the warning came, warned;
# and on one claim's page the companies a belongs_to hand-back may name
# (belongs_to_choices), exactly those the hand-back then takes: not the
# claim's own partner, not one outside the customer's bundle and the rules,
# not one that handed it back this round; the lead always.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 tv-internet north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
SKY=$(new_token partner skyview)
start_broker -T now

# ---- the broker's key ----
req GET /v1/evidence/key "$C1"
check "a customer reads the broker's key (200)" [ "$STATUS" = 200 ]
check "... the key of broker.pub" [ "$(jbody .public_key)" = "$(tr -d '\n' <"$DATA/broker.pub")" ]
check "... and the checkpoints' origin" [ "$(jbody .origin)" = "$(jq -r .federation "$CONF")" ]
check "... nothing else" [ "$(jbody 'keys | join(",")')" = origin,public_key ]
req GET /v1/evidence/key "$FIB"
check "a partner reads the same key" [ "$STATUS" = 200 -a "$(jbody .public_key)" = "$(tr -d '\n' <"$DATA/broker.pub")" ]
req GET /v1/evidence/key ""
check "without credentials: 401" [ "$STATUS" = 401 -a "$(jbody .error.code)" = unauthorized ]
req GET /metrics ""
check "metrics count its answers under its own name" \
    grep -q 'seam_http_requests_total{endpoint="evidence_key",code="200"} 2$' "$TMP/body"

# ---- a claim's warning ----
req POST /v1/tickets "$C1" '{"summary":"Slow","description":"","service":"internet","symptom":"slow","priority":"normal"}'
T1=$(jbody .id)
req GET "/v1/assignments?state=live" "$FIB"
A1=$(jq -r --arg t "$T1" '.items[] | select(.ticket == $t) | .id' "$TMP/body")
WARN=$(jq -r --arg t "$T1" '.items[] | select(.ticket == $t) | .warn.ack' "$TMP/body")
DUE=$(jq -r --arg t "$T1" '.items[] | select(.ticket == $t) | .due.ack' "$TMP/body")
check "the queue's claim has the instant its ack warning falls due" matches "$WARN" '^[0-9]{4}-.*Z$'
check "... before the ack is due" [ "$(date -d "$WARN" +%s%3N)" -lt "$(date -d "$DUE" +%s%3N)" ]
req GET "/v1/tickets/$T1" "$LEAD"
check "... the lead's clock's warning instant, as the SLA policy put it" \
    [ "$(date -d "$WARN" +%s%3N)" = "$(jbody '.assignments[0].sla.warn_ack_ms')" ]
req GET "/v1/assignments/$A1" "$FIB"
check "... no warning came yet (warned is empty)" [ "$(jbody '.warned | length')" = 0 ]
req POST /v1/test/clock "$LEAD" "$(jq -nc --arg to "$WARN" '{to: $to}')"
req POST /v1/test/clock "$LEAD" '{"advance_ms":60000}'
warned() { req GET "/v1/assignments/$A1" "$FIB" && [ "$(jbody '.warned | join(",")')" = warning_ack ]; }
check "once the warning came: warned names the ack clock" eventually 10 warned
check "... and no ack warning is to come" [ "$(jbody .warn.ack)" = null ]

# ---- whom a belongs_to hand-back may name ----
req GET "/v1/assignments/$A1" "$FIB"
check "a claim's page lists whom a belongs_to hand-back may name" \
    [ "$(jbody '[.belongs_to_choices[].partner] | join(",")')" = "skyview,$(jq -r .lead.id "$CONF")" ]
check "... why each (the bundle; the lead always)" [ "$(jbody '[.belongs_to_choices[].because] | join(",")')" = bundle,lead ]
check "... by name" [ "$(jbody '.belongs_to_choices[0].name')" = "$(jq -r '.partners[] | select(.id == "skyview") | .name' "$CONF")" ]
check "... not the partner itself, nor nordtel (not of the bundle in the north, named by no rule)" \
    [ "$(jbody '[.belongs_to_choices[].partner | select(. == "fibernet" or . == "nordtel")] | length')" = 0 ]
req GET "/v1/assignments?state=live" "$FIB"
check "the queue's items do not carry the choices (one claim's page does)" \
    [ "$(jbody '[.items[] | has("belongs_to_choices")] | any')" = false ]
req POST "/v1/assignments/$A1/handback" "$FIB" '{"reason":"belongs_to","partner":"nordtel"}'
check "a hand-back naming a company not among the choices is refused as belongs_to (not_in_bundle)" \
    [ "$STATUS" = 200 -a "$(jbody .belongs_to_refused)" = not_in_bundle ]
req POST /v1/tickets "$C1" '{"summary":"Still slow","description":"","service":"internet","symptom":"slow"}'
T2=$(jbody .id)
req GET "/v1/assignments?state=live" "$FIB"
A2=$(jq -r --arg t "$T2" '.items[] | select(.ticket == $t) | .id' "$TMP/body")
req POST "/v1/assignments/$A2/handback" "$FIB" '{"reason":"belongs_to","partner":"skyview"}'
check "a hand-back naming one of the choices is taken" [ "$STATUS" = 200 -a "$(jbody '.belongs_to_refused // "taken"')" = taken ]
req GET "/v1/tickets/$T2" "$LEAD"
A3=$(jbody '.assignments[] | select(.partner == "skyview" and .state == "assigned") | .id')
check "... skyview holds the claim" [ -n "$A3" ]
req GET "/v1/assignments/$A3" "$SKY"
check "skyview's choices leave out fibernet, which handed it back this round" \
    [ "$(jbody '[.belongs_to_choices[].partner] | join(",")')" = "$(jq -r .lead.id "$CONF")" ]
req GET "/v1/assignments/$A2" "$FIB"
check "a claim handed back offers no choice" [ "$(jbody '.belongs_to_choices | length')" = 0 ]
finish
