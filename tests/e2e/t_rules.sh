#!/usr/bin/env bash
# Invariant 6: the rules are checked before they are used. The coverage
# check finds a gap, a conflict (also one only the order of the rules would
# decide), a shadowed rule, an unresolvable owner, a partner named for what
# it does not serve, unknown vocabulary, a dependency cycle, a dependency
# on an unknown service and a dependent service routed by an upstream the
# bundle lacks in the broken configurations under tests/configs/; the
# broker refuses to start on all but the gap and the shadowed rule; the
# example federation has none of those. The check and explain (with the step that decided) over
# HTTP.
. "$(dirname "$0")/lib.sh"
CFGS=$ROOT/tests/configs
rcheck() { "$SEAMCTL" rules check -c "$1" >"$TMP/check.json" 2>"$TMP/check.err"; }
jcheck() { jq -r "$1" "$TMP/check.json"; }

check "the example federation checks clean" rcheck "$CONF"
check "... no conflicts, no unresolvable owners, no shadowed rules, no partner named for what it does not serve" \
    [ "$(jcheck '[.conflicts.count, .unresolvable_owners.count, .shadowed.count, .unserved_owners.count] | add')" = 0 ]
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
refute "two rules of equal specificity and rank with different fallback chains fail the check" \
    rcheck "$CFGS/order-decides.json"
check "... as a conflict naming both: the order in the file never decides" \
    [ "$(jcheck '.conflicts.examples[0].rules | sort | join(",")')" = "tv-signal,tv-signal-same-rank" ]
refute "the broker refuses to start on it" "$BROKER" -c "$CFGS/order-decides.json" -n
refute "a rule naming a partner for a service it does not deliver fails the check" \
    rcheck "$CFGS/unserved-service.json"
check "... naming the rule, the partner and why" \
    [ "$(jcheck '.unserved_owners.examples[0] | .rule + " " + .partner + " " + .as')" = "nordtel-urgent-tv nordtel owner" -a \
      "$(jcheck '.unserved_owners.examples[0].facts.service')" = tv ]
refute "the broker refuses to start on it" "$BROKER" -c "$CFGS/unserved-service.json" -n
refute "a rule naming a partner for a region no bundle has it serve fails the check" \
    rcheck "$CFGS/unserved-region.json"
check "... naming the partner and the region" \
    [ "$(jcheck '.unserved_owners.examples[0] | .partner + " " + .facts.region')" = "fibernet south" ]
refute "the broker refuses to start on it" "$BROKER" -c "$CFGS/unserved-region.json" -n
check "a shadowed rule passes the check" rcheck "$CFGS/shadowed.json"
check "... and is reported" [ "$(jcheck '.shadowed.rules | join(",")')" = tv-signal-old ]
check "a configuration with a gap passes the check" rcheck "$CFGS/gap.json"
check "... with more gaps than the example" [ "$(jcheck .gaps.count)" -gt "$EXAMPLE_GAPS" ]
"$SEAMCTL" -c "$CFGS/gap.json" rules explain --bundle triple-play --region north \
    --service internet --symptom slow >"$TMP/gap.json"
check "... and slow internet now falls to the default rule" [ "$(jq -r .winner "$TMP/gap.json")" = default ]
refute "unknown vocabulary fails the check" rcheck "$CFGS/unknown-vocabulary.json"
check "... and is reported" [ "$(jcheck .unknown_vocabulary.count)" = 1 ] && grep -q smoke "$TMP/check.json"
refute "a dependency cycle fails the check" rcheck "$CFGS/dependency-cycle.json"
check "... naming the services around it" [ "$(jcheck '.dependency_cycles.examples[0].cycle | join(">")')" = "internet>phone>internet" ]
refute "the broker refuses to start on it" "$BROKER" -c "$CFGS/dependency-cycle.json" -n
refute "a dependency on an unknown service fails the check" rcheck "$CFGS/dependency-unknown.json"
check "... naming the place and the service" \
    [ "$(jcheck .unknown_dependencies.count)" = 1 ] && jcheck '.unknown_dependencies.examples[0]' | grep -q 'services\[1\].depends_on.*"fibre"'
refute "the broker refuses to start on it" "$BROKER" -c "$CFGS/dependency-unknown.json" -n
refute "a rule routing phone over the internet line where the bundle has no internet fails the check" \
    rcheck "$CFGS/upstream-unresolvable.json"
check "... naming the rule, the bundle, the service and its upstream" \
    [ "$(jcheck '.unresolvable_upstreams.examples[0] | .rule + " " + .facts.bundle + " " + .service + " " + .upstream')" = "voice-over-internet phone-only phone internet" ]
check "... and nothing else" [ "$(jcheck '[.conflicts.count, .unresolvable_owners.count, .unserved_owners.count, .dependency_cycles.count] | add')" = 0 ]
refute "the broker refuses to start on it" "$BROKER" -c "$CFGS/upstream-unresolvable.json" -n
check "the example federation has no dependency finding" rcheck "$CONF"
check "... neither cycle nor unresolvable upstream" [ "$(jcheck '.dependency_cycles.count + .unresolvable_upstreams.count + .unknown_dependencies.count')" = 0 ]

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
check "explain lists every rule considered" [ "$(jbody '.considered | length')" = "$(jq '.rules | length' "$CONF")" ]
check "explain says why a rule did not match" [ "$(jbody '.considered[] | select(.rule == "tv-signal") | .why_not')" = 'service is "internet", the rule wants "tv"' ]
check "explain gives the fallback chain, ending with the lead" [ "$(jbody '.fallback[-1].partner')" = northwind ]
check "explain names the precedence step that decided: specificity over the default" \
    [ "$(jbody '.decided_by.step + " " + .decided_by.runner_up')" = "specificity default" ]
req POST /v1/rules/explain "$LEAD" '{"customer":"c1","service":"internet","symptom":"slow","equipment":"in_home_wiring"}'
check "... rank, when two rules are as specific" \
    [ "$(jbody '.winner + " " + .decided_by.step + " " + .decided_by.runner_up')" = "home-wiring-fault rank internet-access" ]
req POST /v1/rules/explain "$LEAD" '{"customer":"c1","service":"tv","symptom":"billing","equipment":"set_top_box"}'
check "... rank before specificity: the billing rule (rank 20, one fact) beats tv-box (three facts)" \
    [ "$(jbody '.winner + " " + .decided_by.step + " " + .decided_by.runner_up')" = "billing rank tv-box" ]
req POST /v1/rules/explain "$LEAD" '{"customer":"c1","service":"tv","symptom":"no_service","equipment":"in_home_wiring","priority":"urgent"}'
check "... specificity between rules of equal rank (10): the joint outage rule over the wiring rule" \
    [ "$(jbody '.winner + " " + .decided_by.step + " " + .decided_by.runner_up')" = "tv-over-ip-outage specificity home-wiring-fault" ]
req POST /v1/rules/explain "$LEAD" '{"bundle":"triple-play","region":"north","service":"phone","symptom":"no_service"}'
check "explain shows the dependency that applied: phone over internet, the internet provider first" \
    [ "$(jbody '.winner + " " + .dependency.mode + " " + (.dependency.applied | tostring) + " " + .owners[0].partner + " " + .fallback[0].partner')" = "voice-over-internet upstream_first true fibernet nordtel" ]
check "... and why" jbody '.dependency.why | test("phone rides on internet: its provider, fibernet, owns it first")'
req POST /v1/rules/explain "$LEAD" '{"bundle":"phone-only","region":"north","service":"phone","symptom":"no_service"}'
check "... and where it does not: the Home Phone line is owned on its own" \
    [ "$(jbody '.winner + " " + .dependency.mode + " " + (.dependency.applied | tostring) + " " + .owners[0].partner')" = "phone-line none false nordtel" ]
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
