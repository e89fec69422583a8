#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# A property of hand-backs: random complaints from customers of every bundle
# and region, then random hand-backs by whoever holds each claim (any
# reason, belongs_to any partner or the lead, duplicates) and random
# corrections of the facts (by the claim's owner or the lead: a new round),
# some claims resolved on the way; a third of the complaints are about a
# service riding on the internet line (TV, phone) being out, so that its
# dependency routes them (the internet provider first, or jointly). After every step: an open ticket has a live owner,
# and every claim that came to the lead after a hand-back in its round is
# disputed (also where the chain's planned last step is the lead).
. "$(dirname "$0")/lib.sh"
N=${SEAM_PROPERTY_HB_N:-120}
init_store
LEAD=$(new_token lead ops)
declare -A PT
for p in skyview nordtel fibernet; do PT[$p]=$(new_token partner "$p"); done
toks=()
for b in triple-play tv-internet phone-only; do
    for r in north south; do toks+=("$(new_customer "c-$b-$r" "$b" "$r")"); done
done
start_broker
services=(tv phone internet wiring)
symptoms=(no_service degraded intermittent no_signal no_dial_tone slow equipment_fault)
partners=(skyview nordtel fibernet lead)
reasons=(not_our_service customer_side belongs_to belongs_to duplicate)
priorities=(low normal high urgent)
deprules=" voice-over-internet tv-over-ip-outage " # the rules that route by a dependency (conf/seam.json)
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }

# step_view: on the lead's view in $TMP/body, "BROKEN" when it breaks one of
# the two properties, else the first live claim of a partner ("ID PARTNER",
# empty when none) and the ticket's rule, after a tab (one jq a step)
step_view() {
    jq -r --arg lead northwind '
      if ((if (.status == "acknowledged" or .status == "inProgress" or .status == "pending")
           then ([.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")] | length) > 0
           else true end)
          and
          ([.assignments as $xs | $xs[] | select(.partner == $lead) as $l
            | [$xs[] | select(.round == $l.round and .state == "handed_back" and .handed_back_at <= $l.assigned_at)] | length
            | if . > 0 then ($l.flags | index("disputed")) != null else true end] | all))
      then ([.assignments[] | select((.state == "assigned" or .state == "acknowledged" or .state == "inProgress") and .partner != $lead)][0]
            | if . then .id + " " + .partner else "" end) + "\t" + (.rule // "")
      else "BROKEN" end' "$TMP/body"
}

steps=0 broken=0 to_lead=0 prev="" corrected=0 by_dependency=0
for i in $(seq 1 "$N"); do
    s=$(pick "${services[@]}") y=$(pick "${symptoms[@]}")
    tok=$(pick "${toks[@]}")
    if [ $((i % 3)) = 0 ]; then # a service riding on the internet line, out: its dependency routes it
        s=$(pick tv phone) y=no_service
        tok=$(pick "${toks[@]:0:4}") # triple-play and tv-internet customers
    fi
    body=$(printf '{"summary":"random","description":"property","service":"%s","symptom":"%s","priority":"%s"}' \
        "$s" "$y" "$(pick "${priorities[@]}")")
    req POST /v1/tickets "$tok" "$body"
    [ "$STATUS" = 201 ] || { broken=$((broken + 1)); echo "# filing answered $STATUS"; continue; }
    id=$(jbody .id)
    for k in 1 2 3 4 5; do
        req GET "/v1/tickets/$id" "$LEAD"
        steps=$((steps + 1))
        view=$(step_view)
        if [ "$view" = BROKEN ]; then
            broken=$((broken + 1))
            echo "# $id breaks a property:"
            jq -c '{status, flags, assignments: [.assignments[] | {partner, state, round, flags, assigned_at, handed_back_at}]}' "$TMP/body"
            break
        fi
        live=${view%%$'\t'*}
        [ $k = 1 ] && [[ "$deprules" == *" ${view#*$'\t'} "* ]] && by_dependency=$((by_dependency + 1))
        [ -n "$live" ] || break
        aid=${live% *} owner=${live#* }
        if [ $((RANDOM % 6)) = 0 ]; then
            req POST "/v1/assignments/$aid/resolve" "${PT[$owner]}" '{"resolution":"fixed"}'
            continue
        fi
        if [ $((RANDOM % 5)) = 0 ]; then
            fx=$(printf '{"facts":{"service":"%s","symptom":"%s"},"reason":"reclassified"}' \
                "$(pick "${services[@]}")" "$(pick "${symptoms[@]}")")
            who=${PT[$owner]}
            [ $((RANDOM % 2)) = 0 ] && who=$LEAD
            req POST "/v1/tickets/$id/facts" "$who" "$fx"
            case $STATUS in
            200) corrected=$((corrected + 1)) ;;
            409) ;; # the same facts again
            *) broken=$((broken + 1)); echo "# correction $fx answered $STATUS $(body)"; break ;;
            esac
            continue
        fi
        reason=$(pick "${reasons[@]}")
        case $reason in
        belongs_to) hb="{\"reason\":\"belongs_to\",\"partner\":\"$(pick "${partners[@]}")\"}" ;;
        duplicate) hb="{\"reason\":\"duplicate\",\"ticket\":\"${prev:-$id}\"}" ;;
        *) hb="{\"reason\":\"$reason\"}" ;;
        esac
        req POST "/v1/assignments/$aid/handback" "${PT[$owner]}" "$hb"
        [ "$STATUS" = 200 ] || { broken=$((broken + 1)); echo "# hand-back $hb answered $STATUS $(body)"; break; }
    done
    req GET "/v1/tickets/$id" "$LEAD"
    [ "$(jbody '[.assignments[] | select(.partner == "northwind" and (.flags | index("disputed")))] | length')" -gt 0 ] && to_lead=$((to_lead + 1))
    prev=$id
done
check "$N complaints, $steps steps of random hand-backs and corrections: every open ticket owned, every arrival at the lead after a hand-back disputed" [ "$broken" = 0 ]
check "some claims did come to the lead after hand-backs ($to_lead)" [ "$to_lead" -gt 0 ]
check "some facts were corrected on the way ($corrected)" [ "$corrected" -gt 0 ]
check "some complaints were routed by a service's dependency ($by_dependency)" [ "$by_dependency" -gt 0 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
