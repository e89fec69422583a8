#!/usr/bin/env bash
# Invariant 6: the rules are checked before they are used. The coverage
# check finds a gap, a conflict, a shadowed rule, an unresolvable owner and
# unknown vocabulary in the broken configurations under tests/configs/; the
# broker refuses to start on the conflict and the unresolvable owner; the
# example federation has none of those. The check and explain over HTTP.
. "$(dirname "$0")/lib.sh"
CFGS=$ROOT/tests/configs
rcheck() { "$SEAMCTL" rules check -c "$1" >"$TMP/check.json" 2>"$TMP/check.err"; }
jcheck() { jq -r "$1" "$TMP/check.json"; }

check "the example federation checks clean" rcheck "$CONF"
check "... no conflicts, no unresolvable owners, no shadowed rules" \
    [ "$(jcheck '[.conflicts.count, .unresolvable_owners.count, .shadowed.count] | add')" = 0 ]
check "... every combination enumerated (3 bundles x 2 regions x 5 x 9 x 8 x 4)" [ "$(jcheck .combinations)" = 8640 ]
EXAMPLE_GAPS=$(jcheck .gaps.count)
check "... its deliberate gaps are counted ($EXAMPLE_GAPS)" [ "$EXAMPLE_GAPS" -gt 0 ]

refute "a conflict fails the check" rcheck "$CFGS/conflict.json"
check "... and names both rules" [ "$(jcheck '.conflicts.examples[0].rules | sort | join(",")')" = "tv-signal,tv-signal-to-lead" ]
check "... with counts and example facts" [ "$(jcheck .conflicts.count)" -gt 0 -a "$(jcheck '.conflicts.examples[0].facts.service')" = tv ]
refute "the broker refuses to start on the conflict" "$BROKER" -c "$CFGS/conflict.json" -n
refute "an unresolvable owner fails the check" rcheck "$CFGS/unresolvable.json"
check "... naming the rule and the owner" [ "$(jcheck '.unresolvable_owners.examples[0] | .rule + " " + .owner')" = "phone-line provider_of:phone" ]
check "... in a bundle without phone" [ "$(jcheck '.unresolvable_owners.examples[0].facts.bundle')" = tv-internet ]
refute "the broker refuses to start on the unresolvable owner" "$BROKER" -c "$CFGS/unresolvable.json" -n
check "a shadowed rule passes the check" rcheck "$CFGS/shadowed.json"
check "... and is reported" [ "$(jcheck '.shadowed.rules | join(",")')" = tv-signal-old ]
check "a configuration with a gap passes the check" rcheck "$CFGS/gap.json"
check "... with more gaps than the example" [ "$(jcheck .gaps.count)" -gt "$EXAMPLE_GAPS" ]
"$SEAMCTL" -c "$CFGS/gap.json" rules explain --bundle triple-play --region north \
    --service internet --symptom slow >"$TMP/gap.json"
check "... and slow internet now falls to the default rule" [ "$(jq -r .winner "$TMP/gap.json")" = default ]
refute "unknown vocabulary fails the check" rcheck "$CFGS/unknown-vocabulary.json"
check "... and is reported" [ "$(jcheck .unknown_vocabulary.count)" = 1 ] && grep -q smoke "$TMP/check.json"

init_store
C1=$(new_customer c1 tv-internet south)
LEAD=$(new_token lead ops)
start_broker
req GET /v1/rules/check "$LEAD"
"$SEAMCTL" -c "$CONF" rules check >"$TMP/cli-check.json"
check "GET /v1/rules/check is the CLI's report" [ "$(jq -S . "$TMP/body")" = "$(jq -S . "$TMP/cli-check.json")" ]
req GET /v1/rules/check "$C1"
check "a customer may not read the rules (404)" [ "$STATUS" = 404 ]
req POST /v1/rules/explain "$LEAD" '{"customer":"c1","service":"internet","symptom":"slow"}'
check "explain takes bundle and region from a customer" [ "$STATUS" = 200 -a "$(jbody .winner)" = internet-access -a "$(jbody '.owners[0].partner')" = nordtel ]
check "explain lists every rule considered" [ "$(jbody '.considered | length')" = 11 ]
check "explain says why a rule did not match" [ "$(jbody '.considered[] | select(.rule == "tv-signal") | .why_not')" = 'service is "internet", the rule wants "tv"' ]
check "explain gives the fallback chain, ending with the lead" [ "$(jbody '.fallback[-1].partner')" = northwind ]
req POST /v1/rules/explain "$LEAD" '{"bundle":"tv-internet","region":"south","symptom":"smoke"}'
check "explain refuses unknown vocabulary (400 symptom)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = symptom ]
req POST /v1/rules/explain "$LEAD" '{"symptom":"slow"}'
check "explain needs bundle and region or a customer" [ "$STATUS" = 400 -a "$(jbody .error.code)" = missing_field ]
req POST /v1/rules/explain "$LEAD" '{"customer":"nobody","symptom":"slow"}'
check "explain of an unknown customer is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = customer ]
req POST /v1/rules/explain "$C1" '{"bundle":"tv-internet","region":"south","symptom":"slow"}'
check "a customer may not explain (404)" [ "$STATUS" = 404 ]
req POST /v1/rules/explain "" '{"bundle":"tv-internet","region":"south","symptom":"slow"}'
check "explain without a token is 401" [ "$STATUS" = 401 ]
finish
