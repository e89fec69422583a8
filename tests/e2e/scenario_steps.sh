# tests/e2e/scenario_steps.sh: what a scenario (tests/scenarios/*.json) does
# after its complaint is filed, sourced by t_scenarios.sh. A scenario may say
#   "expect": {..., "flags": ["out_of_bundle", ...]}  flags the ticket must carry
# and give "steps", run in order on the ticket last filed; each has one action
# and an "expect":
#   {"handback": {"reason": "belongs_to", "partner": "skyview"}}
#       the live claim's owner hands it back (its own token);
#   {"file_again": {"priority": "high"}}
#       the customer files the complaint again (with these members changed);
#       the new ticket is the scenario's next one (tickets are numbered from 0);
#   {"merge": {"into": 0}}
#       the lead merges the ticket last filed into ticket number "into";
#   {"facts": {"by": "owner"|"lead", "facts": {...}, "reason": "..."}}
#       the newest live claim's owner, or the lead, corrects the facts;
#   {"resolve": {}}
#       every live claim's owner resolves it;
#   {"reopen": {"facts": {...}}}
#       the customer reopens the resolved ticket, with corrected facts if given.
# A step's expect may name: "owner" (the partner of the newest claim),
# "disputed" (the ticket's flag), "belongs_to_refused" (the refusal code on
# the claim just handed back, null: taken), "flags" (each carried),
# "no_flags" (none carried), "duplicate_of" (a ticket number), "status",
# "merged_into" (a ticket number), "customer_sees" (how many of the
# scenario's tickets the customer's list shows), "bouncers" (the partners the
# last hand-back event names as bouncers, in order), "rule" (the ticket's
# rule), "live_owners" (the partners of its live claims, in any order).
declare -A PTOK
LEAD_ID=$(jq -r .lead.id "$CONF")

# owner_token PARTNER: sets OWNER_TOK to a token of the claim's owner (the
# lead's own when the lead holds the claim)
owner_token() {
    if [ "$1" = "$LEAD_ID" ]; then OWNER_TOK=$LEAD; return; fi
    [ -n "${PTOK[$1]:-}" ] || PTOK[$1]=$(new_token partner "$1")
    OWNER_TOK=${PTOK[$1]}
}

# scenario_ticket ID: the lead's view of ticket ID in $TMP/ticket.json
scenario_ticket() {
    req GET "/v1/tickets/$1" "$LEAD"
    cp "$TMP/body" "$TMP/ticket.json"
}

# scenario_expect NAME EXPECT-JSON: checks the lead's view of the current ticket
scenario_expect() {
    local name=$1 want=$2 bad="" v
    scenario_ticket "${SC_IDS[-1]}"
    local t="$TMP/ticket.json"
    v=$(jq -r '.owner // empty' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '.assignments[-1].partner' "$t")" = "$v" ] || bad="$bad owner=$(jq -r '.assignments[-1].partner' "$t")"
    v=$(jq -r 'if has("disputed") then .disputed else empty end' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '.flags | index("disputed") != null' "$t")" = "$v" ] || bad="$bad disputed!=$v"
    if jq -e 'has("belongs_to_refused")' <<<"$want" >/dev/null; then
        v=$(jq -r '.belongs_to_refused // "null"' <<<"$want")
        [ "$(jq -r '[.assignments[] | select(.state == "handed_back")][-1].belongs_to_refused // "null"' "$t")" = "$v" ] || bad="$bad belongs_to_refused!=$v"
    fi
    for v in $(jq -r '.flags // [] | .[]' <<<"$want"); do
        [ "$(jq -r --arg f "$v" '.flags | index($f) != null' "$t")" = true ] || bad="$bad missing-flag=$v"
    done
    for v in $(jq -r '.no_flags // [] | .[]' <<<"$want"); do
        [ "$(jq -r --arg f "$v" '.flags | index($f)' "$t")" = null ] || bad="$bad flag=$v"
    done
    v=$(jq -r '.rule // empty' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '.rule' "$t")" = "$v" ] || bad="$bad rule=$(jq -r .rule "$t")"
    v=$(jq -r '.live_owners // empty | sort | join(",")' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress") | .partner] | sort | join(",")' "$t")" = "$v" ] || bad="$bad live_owners"
    v=$(jq -r '.duplicate_of // empty' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '.duplicate_of' "$t")" = "${SC_IDS[$v]}" ] || bad="$bad duplicate_of"
    v=$(jq -r '.status // empty' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '.status' "$t")" = "$v" ] || bad="$bad status=$(jq -r .status "$t")"
    v=$(jq -r '.merged_into // empty' <<<"$want")
    [ -z "$v" ] || [ "$(jq -r '.merged_into' "$t")" = "${SC_IDS[$v]}" ] || bad="$bad merged_into"
    v=$(jq -r '.bouncers // empty | join(",")' <<<"$want")
    if [ -n "$v" ]; then
        req GET "/v1/tickets/${SC_IDS[-1]}/evidence" "$LEAD"
        [ "$(jq -r '[.events[].event | fromjson | select(.type == "assignment.handed_back")][-1].data.next.bouncers // [] | map(.partner) | join(",")' "$TMP/body")" = "$v" ] || bad="$bad bouncers"
    fi
    v=$(jq -r '.customer_sees // empty' <<<"$want")
    if [ -n "$v" ]; then
        req GET "/v1/tickets?limit=200" "$SC_TOK"
        local ids seen=0 id
        ids=$(jbody '[.items[].id] | join(" ")')
        for id in "${SC_IDS[@]}"; do [[ " $ids " == *" $id "* ]] && seen=$((seen + 1)); done
        [ "$seen" = "$v" ] || bad="$bad customer_sees=$seen"
    fi
    # Invariant 1 at every step: an open ticket has a live owner.
    if [ "$(jq -r '.status' "$t")" != closed ] && [ "$(jq -r '.status' "$t")" != cancelled ] &&
        [ "$(jq -r '.status' "$t")" != resolved ] &&
        [ "$(jq '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")] | length' "$t")" = 0 ]; then
        bad="$bad no-live-owner"
    fi
    if [ -z "$bad" ]; then ok 0 "$name"; else
        ok 1 "$name"
        echo "#  $bad"
    fi
}

# scenario_steps: runs the steps of $TMP/s.json on the ticket $SC_IDS[-1]
scenario_steps() {
    local n i step name owner aid
    if jq -e '.expect.flags or .expect.no_flags' "$TMP/s.json" >/dev/null; then
        scenario_expect "$(jq -r .name "$TMP/s.json"): flags" "$(jq -c '.expect | {flags, no_flags}' "$TMP/s.json")"
    fi
    n=$(jq '.steps // [] | length' "$TMP/s.json")
    for i in $(seq 0 $((n - 1))); do
        step=$(jq -c ".steps[$i]" "$TMP/s.json")
        name="$(jq -r .name "$TMP/s.json"): step $((i + 1)) $(jq -c 'del(.expect)' <<<"$step")"
        if jq -e 'has("handback")' <<<"$step" >/dev/null; then
            scenario_ticket "${SC_IDS[-1]}"
            owner=$(jq -r '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")][-1].partner' "$TMP/ticket.json")
            aid=$(jq -r '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")][-1].id' "$TMP/ticket.json")
            [ -n "${PTOK[$owner]:-}" ] || PTOK[$owner]=$(new_token partner "$owner")
            req POST "/v1/assignments/$aid/handback" "${PTOK[$owner]}" "$(jq -c .handback <<<"$step")"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
        elif jq -e 'has("file_again")' <<<"$step" >/dev/null; then
            req POST /v1/tickets "$SC_TOK" "$(jq -c --argjson c "$(jq -c .file_again <<<"$step")" \
                '.complaint + $c + {summary: .name, description: "scenario, again"}' "$TMP/s.json")"
            [ "$STATUS" = 201 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            SC_IDS+=("$(jbody .id)")
        elif jq -e 'has("facts")' <<<"$step" >/dev/null; then
            local tok=$LEAD
            if [ "$(jq -r .facts.by <<<"$step")" = owner ]; then
                scenario_ticket "${SC_IDS[-1]}"
                owner=$(jq -r '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")][-1].partner' "$TMP/ticket.json")
                owner_token "$owner"
                tok=$OWNER_TOK
            fi
            req POST "/v1/tickets/${SC_IDS[-1]}/facts" "$tok" "$(jq -c '.facts | {facts, reason: (.reason // "scenario")}' <<<"$step")"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
        elif jq -e 'has("resolve")' <<<"$step" >/dev/null; then
            scenario_ticket "${SC_IDS[-1]}"
            local pair
            for pair in $(jq -r '.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress") | .partner + "=" + .id' "$TMP/ticket.json"); do
                owner_token "${pair%%=*}"
                req POST "/v1/assignments/${pair#*=}/resolve" "$OWNER_TOK" '{"resolution":"scenario"}'
            done
        elif jq -e 'has("reopen")' <<<"$step" >/dev/null; then
            req POST "/v1/tickets/${SC_IDS[-1]}/reopen" "$SC_TOK" "$(jq -c '.reopen + {reason: "scenario"} | with_entries(select(.value != null))' <<<"$step")"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
        elif jq -e 'has("merge")' <<<"$step" >/dev/null; then
            req POST "/v1/tickets/${SC_IDS[-1]}/merge" "$LEAD" \
                "{\"into\":\"${SC_IDS[$(jq -r .merge.into <<<"$step")]}\",\"reason\":\"scenario\"}"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
        else
            ok 1 "$name: no action this runner knows"
            continue
        fi
        scenario_expect "$name" "$(jq -c '.expect // {}' <<<"$step")"
    done
}
