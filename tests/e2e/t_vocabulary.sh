#!/usr/bin/env bash
# The facts a federation declares ($.facts): GET /v1/vocabulary gives them
# to every principal in its language (?lang=, else Accept-Language, else
# English); and a fact declared only in the configuration (no C change) is
# matched by a rule, explained, given at filing, stored and read back after a
# restart, filtered on in the lead's list and broken down by in the SLA
# report. A fact whose source is "either" comes from the customer record
# unless the complaint names it; the event says what the record said.
. "$(dirname "$0")/lib.sh"

# --- a broken declaration: rules check names it under "facts", the broker refuses to start
CFGS=$ROOT/tests/configs
broken() { # file, the problem expected (a substring of the one finding)
    refute "rules check fails on $1" "$SEAMCTL" rules check -c "$CFGS/$1"
    "$SEAMCTL" rules check -c "$CFGS/$1" >"$TMP/check.json" 2>/dev/null
    check "... one finding of the facts, at its path: $2" [ "$(jq --arg w "$2" \
        '.facts.count == 1 and (.facts.examples[0] | contains(": $.facts") and contains($w))' \
        "$TMP/check.json")" = true ]
    refute "... and the broker refuses to start" "$BROKER" -c "$CFGS/$1" -n
}
broken facts-unknown-source.json 'unknown source "roaming"'
broken facts-no-english.json 'labels must give English'
broken facts-duplicate.json 'fact "symptom" is declared twice'
broken facts-unknown-vocabulary.json 'vocabulary "countries" is unknown'
broken facts-missing.json 'must declare "equipment"'
broken facts-value-label.json '"radio" is not a value of the fact "service"'
broken facts-two-places.json 'only one fact is the place'
check "the example federation has no finding of the facts" \
    [ "$("$SEAMCTL" rules check -c "$CONF" | jq '.facts.count // 0')" = 0 ]

init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
AUD=$(new_token auditor firm)
start_broker

req GET /v1/vocabulary ""
check "the vocabulary needs credentials (401)" [ "$STATUS" = 401 ]
req GET /v1/vocabulary "$C1"
check "a customer reads the vocabulary, in English by default" [ "$STATUS" = 200 -a "$(jbody .lang)" = en ]
check "... every declared fact, in the table's order" \
    [ "$(jbody '[.facts[].name] | join(",")')" = "service,symptom,equipment,region,bundle,priority" ]
check "... with its source and whether a complaint may leave it out" \
    [ "$(jbody '[.facts[] | .name + ":" + .source + ":" + (.optional | tostring)] | join(" ")')" = \
      "service:complaint:true symptom:complaint:false equipment:complaint:true region:record:false bundle:record:false priority:priority:true" ]
check "... its label and its values' labels" \
    [ "$(jbody '(.facts[] | select(.name == "service") | .label + "|" + (.values | map(.id + "=" + .label) | join(",")))')" = \
      "Service|tv=TV,phone=Phone,internet=Internet,wiring=In-home wiring" ]
check "... the place bundles map per: the region" [ "$(jbody '[.facts[] | select(.place) | .name] | join(",")')" = region ]
check "... Content-Language says which" [ "$(header Content-Language)" = en ]
req GET "/v1/vocabulary?lang=fr" "$C1"
check "?lang=fr gives the French labels" [ "$STATUS" = 200 -a "$(jbody .lang)" = fr -a \
    "$(jbody '.facts[] | select(.name == "service") | .values[] | select(.id == "tv") | .label')" = Télévision ]
check "... and the fact's own" [ "$(jbody '.facts[] | select(.name == "symptom") | .label')" = Symptôme ]
req GET /v1/vocabulary "$C1" "" 2>/dev/null # (no body)
vocab_al() { # Accept-Language value: sets STATUS, the body in $TMP/body
    STATUS=$(curl -s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -H "Authorization: Bearer $1" \
        -H "Accept-Language: $2" "$(URL /v1/vocabulary)")
}
vocab_al "$C1" "de-DE;q=0.9, fr-CH;q=0.95, en;q=0.5"
check "Accept-Language: the best weighted language the labels have (fr-CH -> fr)" \
    [ "$STATUS" = 200 -a "$(jbody .lang)" = fr -a "$(jbody '.facts[] | select(.name == "region") | .values[0].label')" = Nord ]
vocab_al "$C1" "ja, zh;q=0.8"
check "... falling back to English when it has none of them" [ "$(jbody .lang)" = en -a "$(jbody '.facts[0].label')" = Service ]
vocab_al "$C1" "fr;q=0, en"
check "... q=0 is a refusal" [ "$(jbody .lang)" = en ]
vocab_al "$C1" ";;;,,=q"
check "... a malformed header is a preference, not an error" [ "$STATUS" = 200 -a "$(jbody .lang)" = en ]
vocab_al "$C1" "$(printf 'x;%.0s,' $(seq 1 2500))fr;q=0.1"
check "... 2,500 malformed entries before a good one: each read on its own, the good one counts" \
    [ "$STATUS" = 200 -a "$(jbody .lang)" = fr ]
vocab_al "$C1" "fr;level=1, en;q=0.5"
check "... an entry's weight is its own (fr has none: 1, above en's 0.5)" \
    [ "$STATUS" = 200 -a "$(jbody .lang)" = fr ]
req GET "/v1/vocabulary?lang=fr_FR!" "$C1"
check "a malformed ?lang= is 400 naming it" [ "$STATUS" = 400 -a "$(jbody .error.code)" = invalid_parameter -a "$(jbody .error.field)" = lang ]
req GET "/v1/vocabulary?lang=it" "$FIB"
check "a partner reads it too; a language without labels falls back to English" [ "$STATUS" = 200 -a "$(jbody .lang)" = en -a "$(jbody '.facts[1].label')" = Symptom ]
req GET /v1/vocabulary "$LEAD"
check "... the lead" [ "$STATUS" = 200 ]
req GET /v1/vocabulary "$AUD"
check "... an auditor" [ "$STATUS" = 200 ]
stop_broker

# --- a federation that declares two more facts, in JSON only
conf_with '.facts += [
  {"name":"line","source":"complaint","optional":true,"values":["fibre","copper"],
   "labels":{"en":"Line","fr":"Ligne"},
   "value_labels":{"copper":{"en":"Copper pair","fr":"Paire de cuivre"}},
   "tmf":{"roles":["line"]}},
  {"name":"site","source":"either","optional":true,"values":["home","away"],
   "labels":{"en":"Where you are","fr":"Où vous êtes"}}]
 | (.rules[] | select(.id == "internet-access") | .match) as $m
 | .rules = [{"id":"copper-line","match":($m + {"line":"copper"}),
              "owners":"nordtel","fallback":["lead"],"rank":2},
             {"id":"away-internet","match":($m + {"site":"away"}),
              "owners":"lead","rank":3}] + .rules'
check "the federation with two facts declared only in JSON checks clean" "$SEAMCTL" rules check -c "$CONF"
"$SEAMCTL" rules check -c "$CONF" >"$TMP/check.json"
check "... the check enumerates them (x3 line, x3 site)" [ "$(jq .combinations "$TMP/check.json")" = $((8640 * 9)) ]
"$SEAMCTL" -c "$CONF" rules explain --bundle triple-play --region north --site home \
    --service internet --symptom slow --line copper >"$TMP/explain.json"
check "seamctl explain takes --line: the rule matching it wins" [ "$(jq -r .winner "$TMP/explain.json")" = copper-line ]
ctl customer add c2 --name "Customer c2" --bundle triple-play --region north --fact site=home >/dev/null
C2=$(new_token customer c2)
refute "a customer's fact outside its vocabulary is refused" ctl customer update c2 --fact site=moon
refute "... and a fact the complaint gives (not the record's)" ctl customer update c2 --fact line=copper
start_broker
req GET "/v1/vocabulary?lang=fr" "$C2"
check "the vocabulary lists the declared facts with their labels" \
    [ "$(jbody '[.facts[] | select(.name == "line" or .name == "site") | .name + ":" + .source + ":" + .label] | join(" ")')" = \
      "line:complaint:Ligne site:either:Où vous êtes" ]
check "... a value without a label in the language: its English one, else its id" \
    [ "$(jbody '.facts[] | select(.name == "line") | .values | map(.label) | join(",")')" = "fibre,Paire de cuivre" ]
req POST /v1/rules/explain "$LEAD" '{"customer":"c2","service":"internet","symptom":"slow","line":"copper"}'
check "explain over HTTP takes the fact, and the either fact from the record" \
    [ "$STATUS" = 200 -a "$(jbody .winner)" = copper-line -a "$(jbody .facts.site)" = home ]
file() { req POST /v1/tickets "$1" "$2"; }
file "$C2" '{"summary":"Slow","description":"Old copper line","service":"internet","symptom":"slow","line":"copper"}'
T1=$(jbody .id)
check "filing gives the declared fact: routed by the rule matching it" [ "$STATUS" = 201 ]
req GET "/v1/tickets/$T1" "$LEAD"
check "... nordtel owns it by copper-line" [ "$(jbody .rule)" = copper-line -a "$(jbody '.assignments[0].partner')" = nordtel ]
check "... the record keeps it as filed and now" [ "$(jbody '.line + " " + .facts.line + " " + .facts.site')" = "copper copper home" ]
file "$C2" '{"summary":"Slow","description":"Fibre","service":"internet","symptom":"slow","line":"fibre","site":"away"}'
T2=$(jbody .id)
req GET "/v1/tickets/$T2" "$LEAD"
check "an either fact the complaint gives overrides the record's: routed by it" \
    [ "$(jbody .rule)" = away-internet -a "$(jbody '.site + " " + .facts.site')" = "away away" ]
req GET "/v1/tickets/$T2/evidence" "$LEAD"
check "... the filing event records what the record said" \
    [ "$(jq -r '[.events[].event | fromjson | select(.type == "ticket.created")][0].data | .site + " " + .record_facts.site' "$TMP/body")" = "away home" ]
file "$C2" '{"summary":"Slow","description":"x","service":"internet","symptom":"slow","line":"cable"}'
check "a value outside the declared vocabulary is 400 naming the fact" [ "$STATUS" = 400 -a "$(jbody .error.field)" = line ]
file "$C2" '{"summary":"Slow","description":"x","service":"internet","symptom":"slow"}'
T3=$(jbody .id)
req GET "/v1/tickets/$T3" "$LEAD"
check "the optional fact left out: null, and the default rule for slow internet" [ "$(jbody '.facts.line')" = null -a "$(jbody .rule)" = internet-access ]

TMF=/tmf-api/troubleTicket/v4
req POST "$TMF/troubleTicket" "$C2" '{"description":"Slow on copper","severity":"Low","ticketType":"internet","relatedEntity":[{"id":"slow","role":"symptom","@referredType":"Symptom"},{"id":"copper","role":"line","@referredType":"Line"}]}'
T4=$(jbody .id)
check "TMF621: the declared fact's relatedEntity role carries it" [ "$STATUS" = 201 ]
req GET "/v1/tickets/$T4" "$LEAD"
check "... routed by the rule matching it" [ "$(jbody '.rule + " " + .facts.line')" = "copper-line copper" ]

req GET "/v1/tickets?line=copper" "$LEAD"
check "the lead's list filters on the declared fact" [ "$STATUS" = 200 -a "$(jbody '[.items[].id] | join(",")')" = "$T4,$T1" ]
req GET "/v1/tickets?site=away&service=internet" "$LEAD"
check "... and on several facts at once" [ "$(jbody '[.items[].id] | join(",")')" = "$T2" ]
req GET "/v1/tickets?line=cable" "$LEAD"
check "... a value outside the vocabulary is 400 naming the filter" [ "$STATUS" = 400 -a "$(jbody .error.field)" = line ]
req GET "/v1/tickets?line=copper" "$C2"
check "... a customer may not filter on facts (the lead's filter)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = line ]

req GET "/v1/audit/sla?by=line" "$LEAD"
check "the SLA report breaks down by the declared fact" [ "$STATUS" = 200 -a "$(jbody .by.fact)" = line ]
check "... one entry per value, and 'not given'" \
    [ "$(jbody '[.by.values[] | (.value // "-") + ":" + (.overall.tickets | tostring)] | join(" ")')" = "fibre:1 copper:2 -:1" ]
check "... with each value's owners" [ "$(jbody '.by.values[] | select(.value == "copper") | .owners | map(.owner) | join(",")')" = nordtel ]
req GET "/v1/audit/sla?by=colour" "$LEAD"
check "... by an unknown fact is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = by ]

stop_broker
start_broker
req GET "/v1/tickets/$T1" "$LEAD"
check "after a restart the record reads back the declared fact" [ "$(jbody '.line + " " + .facts.line')" = "copper copper" ]
stop_broker
check "seamctl verify passes with the declared facts" ctl verify
[ -x "$ROOT/$BUILD/tests/tamper" ] || { echo "Bail out! build $BUILD/tests/tamper first (make test builds it)"; exit 1; }
"$ROOT/$BUILD/tests/tamper" "$DATA" edit-record "$T1" line=fibre
refute "a record whose declared fact was edited fails seamctl verify" ctl verify
ctl verify >"$TMP/verify.out" 2>&1
check "... naming the fact" grep -q "record's line differs from its signed creation event" "$TMP/verify.out"
"$ROOT/$BUILD/tests/tamper" "$DATA" edit-record "$T1" line=copper
check "... and passes again once it is put back" ctl verify

# --- the roaming federation refusing out-of-bundle complaints: the place is the country the
# complaint names (else the record's), also when the request is judged before routing
CONF=$TMP/roaming.json
jq '.refuse_out_of_bundle = 1' "$ROOT/conf/examples/roaming.json" >"$CONF"
ctl customer add r1 --name "Traveller" --bundle talk-nordic --region east --fact country=no >/dev/null
R1=$(new_token customer r1)
refute "a roaming customer without its home country is refused" \
    ctl customer add r2 --name "Traveller" --bundle talk-nordic --region east
start_broker
req GET "/v1/vocabulary?lang=nb" "$R1"
check "the roaming vocabulary: the country, either, the place, in Norwegian" \
    [ "$(jbody '.facts[] | select(.name == "country") | .source + " " + (.place | tostring) + " " + .label')" = "either true Landet du er i" ]
req POST /v1/rules/explain "$LEAD" '{"bundle":"talk-nordic","region":"east","service":"voice","symptom":"no_service"}'
check "explain without a customer needs the record's country too (400 naming it)" \
    [ "$STATUS" = 400 -a "$(jbody .error.code)" = missing_field -a "$(jbody .error.field)" = country ]
req POST /v1/rules/explain "$LEAD" '{"customer":"r1","service":"voice","symptom":"no_service","country":"fi"}'
check "... with a customer, the complaint's country over the record's" \
    [ "$STATUS" = 200 -a "$(jbody '.owners[0].partner')" = elisa-fi ]
file "$R1" '{"summary":"No calls","description":"x","service":"voice","symptom":"no_service","country":"se"}'
check "calls in Sweden are in the calls-and-texts plan: filed" [ "$STATUS" = 201 ]
file "$R1" '{"summary":"No data","description":"x","service":"data","symptom":"no_data","country":"se"}'
check "mobile data is not: refused naming the service and the country" \
    [ "$STATUS" = 400 -a "$(jbody .error.field)" = service ] && matches "$(jbody .error.message)" 'in country "se"'
stop_broker
check "seamctl verify passes" ctl verify
finish
