#!/usr/bin/env bash
# The scenario corpus (tests/scenarios/*.json): every complaint is filed with
# the real daemon and explained by `seamctl rules explain` from the same
# file; the owners the daemon assigned, the CLI's answer, the API's explain
# and the expectation must all agree. A scenario's own customer ("id" in
# "customer"), flags and steps after filing (hand-backs, filing again,
# merging): scenario_steps.sh. Another federation runs the same way with
# CONF, SCENARIOS (its directory of scenario files) and MIN_SCENARIOS set
# (t_scenarios_condominium.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenario_steps.sh"
SCENARIOS=${SCENARIOS:-$ROOT/tests/scenarios}
init_store
check "the federation's coverage check passes (no conflict, no unresolvable owner)" \
    sh -c '"$0" -d "$1" -c "$2" rules check | jq -e .ok >/dev/null' "$SEAMCTL" "$DATA" "$CONF"
LEAD=$(new_token lead ops)
start_broker
declare -A TOK
n=0
for file in "$SCENARIOS"/*.json; do
    count=$(jq '.scenarios | length' "$file")
    for i in $(seq 0 $((count - 1))); do
        jq -c ".scenarios[$i]" "$file" >"$TMP/s.json"
        name=$(jq -r .name "$TMP/s.json")
        b=$(jq -r .customer.bundle "$TMP/s.json")
        r=$(jq -r .customer.region "$TMP/s.json")
        cid=$(jq -r ".customer.id // \"c-$b-$r\"" "$TMP/s.json")
        # the customer record's other facts (a roaming customer's home country): --fact K=V
        mapfile -t rec < <(jq -r '.customer | del(.id, .bundle, .region) | to_entries[] | "--fact\n\(.key)=\(.value)"' "$TMP/s.json")
        if [ -z "${TOK[$cid]:-}" ]; then TOK[$cid]=$(new_customer "$cid" "$b" "$r" "${rec[@]}"); fi
        body=$(jq -c '.complaint + {summary: .name, description: "scenario"}' "$TMP/s.json")
        req POST /v1/tickets "${TOK[$cid]}" "$body"
        # explain's facts: the customer record's, then the complaint's (which may override one)
        mapfile -t args < <(jq -r '(.customer | del(.id)) + .complaint | to_entries[] | "--\(.key)\n\(.value)"' "$TMP/s.json")
        n=$((n + 1))
        if [ "$(jq -r '.expect.status // empty' "$TMP/s.json")" = 400 ]; then
            want=$(jq -r .expect.field "$TMP/s.json")
            check "$name: the daemon refuses it (400 $want)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = "$want" ]
            refute "$name: seamctl refuses it too" ctl rules explain "${args[@]}"
            continue
        fi
        [ "$STATUS" = 201 ] || { ok 1 "$name: filed ($STATUS $(body))"; continue; }
        id=$(jbody .id)
        req GET "/v1/tickets/$id" "$LEAD"
        daemon=$(jq -c '{rule: .rule, mode: .mode, owners: [.assignments[].partner] | sort}' "$TMP/body")
        ctl rules explain "${args[@]}" >"$TMP/cli.json"
        cli=$(jq -c '{rule: .winner, mode: .mode, owners: [.owners[].partner] | sort}' "$TMP/cli.json")
        want=$(jq -c '.expect | {rule, mode, owners}' "$TMP/s.json")
        req POST /v1/rules/explain "$LEAD" "$(jq -c '(.customer | del(.id)) + .complaint' "$TMP/s.json")"
        api_same=1
        [ "$(jq -S . "$TMP/body")" = "$(jq -S . "$TMP/cli.json")" ] || api_same=0
        if [ "$daemon" = "$want" ] && [ "$cli" = "$want" ] && [ $api_same = 1 ]; then
            ok 0 "$name: $want"
        else
            ok 1 "$name"
            echo "# want   $want"
            echo "# daemon $daemon"
            echo "# cli    $cli"
            [ $api_same = 1 ] || echo "# the API's explain differs from the CLI's"
        fi
        SC_IDS=("$id")
        SC_TOK=${TOK[$cid]}
        scenario_steps
    done
done
check "at least ${MIN_SCENARIOS:-40} scenarios ran ($n)" [ "$n" -ge "${MIN_SCENARIOS:-40}" ]
stop_broker
check "seamctl verify passes after the corpus" ctl verify
finish
