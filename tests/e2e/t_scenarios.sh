#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# The scenario corpus (tests/scenarios/*.json): every complaint is filed with
# the real daemon and explained by `seamctl rules explain` from the same
# file; the owners the daemon assigned, the CLI's answer, the API's explain
# and the expectation must all agree; an expectation may also name the
# precedence step that decided ("decided_by": explain's decided_by.step) and
# how the service's dependency applied ("dependency": "upstream_first",
# "joint" or "none"; explain's and the signed route event's). A scenario's own customer ("id" in
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
# One jq per scenario reads what the shell needs (fields split by the
# unit separator, which keeps empty ones), and one
# compares the daemon's view, the CLI's and the API's explain with the
# expectation: a jq process costs more than the requests themselves.
for file in "$SCENARIOS"/*.json; do
    jq -c '.scenarios[]' "$file" >"$TMP/file.jsonl"
    while IFS= read -r scenario; do
        printf '%s\n' "$scenario" >"$TMP/s.json"
        # explain's facts: the customer record's, then the complaint's (which
        # may override one); the record's other facts (a roaming customer's
        # home country) are given to the customer as --fact K=V
        IFS=$'\x1f' read -r name b r cid body xbody want_status want_field want_dep args rec < <(jq -r '[
            .name, .customer.bundle, .customer.region,
            (.customer.id // "c-\(.customer.bundle)-\(.customer.region)"),
            (.complaint + {summary: .name, description: "scenario"} | tojson),
            ((.customer | del(.id)) + .complaint | tojson),
            (.expect.status // "" | tostring), (.expect.field // ""),
            (.expect.dependency // ""),
            ((.customer | del(.id)) + .complaint | to_entries | map("--\(.key) \(.value)") | join(" ")),
            (.customer | del(.id, .bundle, .region) | to_entries | map("--fact \(.key)=\(.value)") | join(" "))
            ] | map(. // "" | tostring) | join("\u001f")' "$TMP/s.json")
        read -r -a args <<<"$args"
        read -r -a rec <<<"$rec"
        if [ -z "${TOK[$cid]:-}" ]; then TOK[$cid]=$(new_customer "$cid" "$b" "$r" "${rec[@]}"); fi
        req POST /v1/tickets "${TOK[$cid]}" "$body"
        n=$((n + 1))
        if [ "$want_status" = 400 ]; then
            check "$name: the daemon refuses it (400 $want_field)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = "$want_field" ]
            refute "$name: seamctl refuses it too" ctl rules explain "${args[@]}"
            continue
        fi
        [ "$STATUS" = 201 ] || { ok 1 "$name: filed ($STATUS $(body))"; continue; }
        id=$(jbody .id)
        req GET "/v1/tickets/$id" "$LEAD"
        cp "$TMP/body" "$TMP/ticket-view.json"
        ctl rules explain "${args[@]}" >"$TMP/cli.json"
        req POST /v1/rules/explain "$LEAD" "$xbody"
        cp "$TMP/body" "$TMP/api.json"
        # The dependency the daemon applied is the one its signed route event records.
        echo '{"events":[]}' >"$TMP/evidence.json"
        if [ -n "$want_dep" ]; then
            req GET "/v1/tickets/$id/evidence" "$LEAD"
            cp "$TMP/body" "$TMP/evidence.json"
        fi
        # What explain says decided (decided_by: the precedence step) and how
        # the dependency applied ("upstream_first", "joint", or "none" when it
        # did not), where the scenario names them.
        verdict=$(jq -n -r --slurpfile s "$TMP/s.json" --slurpfile d "$TMP/ticket-view.json" \
            --slurpfile c "$TMP/cli.json" --slurpfile a "$TMP/api.json" \
            --slurpfile e "$TMP/evidence.json" '
            $s[0] as $s | $d[0] as $d | $c[0] as $c |
            ($s.expect | {rule, mode, owners}) as $want |
            {rule: $d.rule, mode: $d.mode, owners: ([$d.assignments[].partner] | sort)} as $daemon |
            {rule: $c.winner, mode: $c.mode, owners: ([$c.owners[].partner] | sort)} as $cli |
            ($s.expect | {decided_by, dependency} | with_entries(select(.value != null))) as $xw |
            ({decided_by: $c.decided_by.step,
              dependency: (if $c.dependency.applied then $c.dependency.mode else "none" end)}
             | with_entries(select(.key as $k | $xw | has($k)))) as $xc |
            ([$e[0].events[].disclosures // [] | .[] | fromjson | select(.[1] == "route") | .[2]][0]
             .dependency.mode // "none") as $xd |
            [ if $daemon != $want then "# want   \($want | tojson)\n# daemon \($daemon | tojson)" else empty end,
              if $cli != $want then "# want   \($want | tojson)\n# cli    \($cli | tojson)" else empty end,
              if $xc != $xw then "# want explain \($xw | tojson), cli \($xc | tojson)" else empty end,
              if ($xw | has("dependency")) and $xd != $xw.dependency then
                  "# the daemon'"'"'s route event: dependency \($xd)" else empty end,
              if $a[0] != $c then "# the API'"'"'s explain differs from the CLI'"'"'s" else empty end
            ] | if length == 0 then "ok \($want | tojson)" else join("\n") end')
        if [ "${verdict#ok }" != "$verdict" ]; then
            ok 0 "$name: ${verdict#ok }"
        else
            ok 1 "$name"
            echo "$verdict"
        fi
        SC_IDS=("$id")
        SC_TOK=${TOK[$cid]}
        scenario_steps
    done <"$TMP/file.jsonl"
done
check "at least ${MIN_SCENARIOS:-79} scenarios ran ($n)" [ "$n" -ge "${MIN_SCENARIOS:-79}" ]
stop_broker
check "seamctl verify passes after the corpus" ctl verify
finish
