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
#   {"tmf_patch": {"by": "customer"|"lead", "facts": {...}}}
#       the customer or the lead PATCHes the TMF621 ticket's related entities
#       (each fact under the first TMF621 role the federation gives it);
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
# The TMF621 role that carries each fact: {"service":"service",...}
TMF_ROLES=$(jq -c '[.facts // [] | .[] | select(.tmf.roles) | {(.name): .tmf.roles[0]}] | add // {}' "$CONF")

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

# live_claim: sets OWNER and AID to the newest live claim of $TMP/ticket.json
live_claim() {
    IFS=$'\x1f' read -r OWNER AID < <(jq -r '[.assignments[] | select(.state == "assigned" or
        .state == "acknowledged" or .state == "inProgress")][-1] | "\(.partner)\u001f\(.id)"' \
        "$TMP/ticket.json")
}

# scenario_expect NAME EXPECT-JSON: checks the lead's view of the current
# ticket (one jq for every member the expectation names; the evidence and
# the customer's list are fetched only when it names bouncers or
# customer_sees)
scenario_expect() {
    local name=$1 want=$2 bad ids
    scenario_ticket "${SC_IDS[-1]}"
    echo '{"events":[]}' >"$TMP/step-evidence.json"
    echo '{"items":[]}' >"$TMP/step-list.json"
    if [[ $want == *'"bouncers"'* ]]; then
        req GET "/v1/tickets/${SC_IDS[-1]}/evidence" "$LEAD"
        cp "$TMP/body" "$TMP/step-evidence.json"
    fi
    if [[ $want == *'"customer_sees"'* ]]; then
        req GET "/v1/tickets?limit=200" "$SC_TOK"
        cp "$TMP/body" "$TMP/step-list.json"
    fi
    ids=$(printf '"%s",' "${SC_IDS[@]}")
    ids="[${ids%,}]" # ticket ids need no escaping
    bad=$(jq -n -r --argjson w "$want" --argjson ids "$ids" --slurpfile t "$TMP/ticket.json" \
        --slurpfile ev "$TMP/step-evidence.json" --slurpfile list "$TMP/step-list.json" '
        $t[0] as $t |
        ([$t.assignments[] | select(.state == "assigned" or .state == "acknowledged" or
            .state == "inProgress") | .partner]) as $live |
        [ if ($w | has("owner")) and $t.assignments[-1].partner != $w.owner then
              "owner=\($t.assignments[-1].partner)" else empty end,
          if ($w | has("disputed")) and (($t.flags | index("disputed")) != null) != $w.disputed then
              "disputed!=\($w.disputed)" else empty end,
          if ($w | has("belongs_to_refused")) and
             ([$t.assignments[] | select(.state == "handed_back")][-1].belongs_to_refused // null)
             != $w.belongs_to_refused then "belongs_to_refused!=\($w.belongs_to_refused)" else empty end,
          ($w.flags // [] | .[] | select(($t.flags | index(.)) == null) | "missing-flag=\(.)"),
          ($w.no_flags // [] | .[] | select(($t.flags | index(.)) != null) | "flag=\(.)"),
          if ($w | has("rule")) and $t.rule != $w.rule then "rule=\($t.rule)" else empty end,
          if ($w | has("live_owners")) and ($live | sort) != ($w.live_owners | sort) then
              "live_owners=\($live | join(","))" else empty end,
          if ($w | has("duplicate_of")) and $t.duplicate_of != $ids[$w.duplicate_of] then
              "duplicate_of" else empty end,
          if ($w | has("status")) and $t.status != $w.status then "status=\($t.status)" else empty end,
          if ($w | has("merged_into")) and $t.merged_into != $ids[$w.merged_into] then
              "merged_into" else empty end,
          if ($w | has("bouncers")) and
             ([$ev[0].events[].event | fromjson | select(.type == "assignment.handed_back")][-1]
               .data.next.bouncers // [] | map(.partner)) != $w.bouncers then "bouncers" else empty end,
          if ($w | has("customer_sees")) and
             ([$list[0].items[].id] as $seen | [$ids[] | select(. as $i | $seen | index($i))] | length)
             != $w.customer_sees then "customer_sees" else empty end,
          # Invariant 1 at every step: an open ticket has a live owner.
          if ($t.status | IN("closed", "cancelled", "resolved") | not) and ($live | length) == 0 then
              "no-live-owner" else empty end
        ] | join(" ")')
    if [ -z "$bad" ]; then ok 0 "$name"; else
        ok 1 "$name"
        echo "#  $bad"
    fi
}

# scenario_steps: runs the steps of $TMP/s.json on the ticket $SC_IDS[-1]
scenario_steps() {
    local lines sname i kind arg want name
    mapfile -t lines < <(jq -r -c '.name, (.expect | if .flags or .no_flags then {flags, no_flags}
        else "" end), (.steps // [] | .[] | [(del(.expect) | keys_unsorted[0]),
        (del(.expect) | .[keys_unsorted[0]]), (.expect // {}), del(.expect)]
        | map(tojson) | join("\u001f"))' "$TMP/s.json")
    sname=${lines[0]}
    [ -z "${lines[1]}" ] || scenario_expect "$sname: flags" "${lines[1]}"
    for ((i = 2; i < ${#lines[@]}; i++)); do
        IFS=$'\x1f' read -r kind arg want name <<<"${lines[$i]}"
        kind=${kind//\"/}
        name="$sname: step $((i - 1)) $name"
        case $kind in
        handback)
            scenario_ticket "${SC_IDS[-1]}"
            live_claim
            [ -n "${PTOK[$OWNER]:-}" ] || PTOK[$OWNER]=$(new_token partner "$OWNER")
            req POST "/v1/assignments/$AID/handback" "${PTOK[$OWNER]}" "$arg"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            ;;
        file_again)
            req POST /v1/tickets "$SC_TOK" "$(jq -c --argjson c "$arg" \
                '.complaint + $c + {summary: .name, description: "scenario, again"}' "$TMP/s.json")"
            [ "$STATUS" = 201 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            SC_IDS+=("$(jbody .id)")
            ;;
        facts)
            local tok=$LEAD
            if [[ $arg == *'"by":"owner"'* ]]; then
                scenario_ticket "${SC_IDS[-1]}"
                live_claim
                owner_token "$OWNER"
                tok=$OWNER_TOK
            fi
            req POST "/v1/tickets/${SC_IDS[-1]}/facts" "$tok" \
                "$(jq -c '{facts, reason: (.reason // "scenario")}' <<<"$arg")"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            ;;
        tmf_patch)
            local tok=$LEAD
            [[ $arg == *'"by":"customer"'* ]] && tok=$SC_TOK
            STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $tok" \
                -H 'Content-Type: application/merge-patch+json' --data-binary "$(jq -c --argjson r "$TMF_ROLES" \
                '{relatedEntity: [.facts | to_entries[] | {id: .value, role: ($r[.key] // .key),
                  "@referredType": ((.key | .[0:1] | ascii_upcase) + (.key | .[1:]))}]}' <<<"$arg")" \
                "$(URL "/tmf-api/troubleTicket/v4/troubleTicket/${SC_IDS[-1]}")")
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            ;;
        resolve)
            scenario_ticket "${SC_IDS[-1]}"
            local pair
            for pair in $(jq -r '.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress") | .partner + "=" + .id' "$TMP/ticket.json"); do
                owner_token "${pair%%=*}"
                req POST "/v1/assignments/${pair#*=}/resolve" "$OWNER_TOK" '{"resolution":"scenario"}'
            done
            ;;
        reopen)
            req POST "/v1/tickets/${SC_IDS[-1]}/reopen" "$SC_TOK" \
                "$(jq -c '. + {reason: "scenario"} | with_entries(select(.value != null))' <<<"$arg")"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            ;;
        merge)
            req POST "/v1/tickets/${SC_IDS[-1]}/merge" "$LEAD" \
                "{\"into\":\"${SC_IDS[$(jq -r .into <<<"$arg")]}\",\"reason\":\"scenario\"}"
            [ "$STATUS" = 200 ] || { ok 1 "$name: answered $STATUS $(body)"; continue; }
            ;;
        *)
            ok 1 "$name: no action this runner knows"
            continue
            ;;
        esac
        scenario_expect "$name" "$want"
    done
}
