#!/usr/bin/env bash
# Crash: the broker is killed with kill -9 at random moments while several
# clients write at once (complaints, partner acks, customer notes, with push
# delivery under way), and restarted, SEAM_CRASH_ROUNDS times (at least 20).
# Afterwards every request that was answered 2xx is there, seamctl verify
# passes, and the outbox still delivers every claim to the push partner.
. "$(dirname "$0")/lib.sh"
ROUNDS=${SEAM_CRASH_ROUNDS:-20}
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
TV='{"summary":"No picture","description":"Black screen.","service":"tv","symptom":"no_signal","equipment":"set_top_box"}'
start_sim
jq --arg u "http://127.0.0.1:$SIMPORT/seam/webhook" \
    '(.partners[] | select(.id == "skyview") | .delivery.url) = $u |
     .delivery = {"retry_schedule_ms": [0, 100, 200, 400, 800, 1000, 1000, 1000, 1000, 1000, 1000, 1000]}' \
    "$ROOT/conf/seam.json" >"$TMP/crash.json"
CONF=$TMP/crash.json
start_broker
req POST /v1/tickets "$C1" "$TICKET_BODY"
T0=$(jbody .id) # the ticket the customer keeps adding notes to
kill9_broker

post() { # OUT TOKEN BODY: one request, prints the status; the body in OUT
    curl -s --max-time 5 -o "$1" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" \
        -H 'Content-Type: application/json' --data-binary "$3" "$4"
}
creator() { # W: files complaints, TV and internet in turn
    local w=$1 k=0 body kind
    while [ ! -f "$TMP/stop" ]; do
        k=$((k + 1))
        if [ $((k % 2)) = 0 ]; then body=$TV kind=TV; else body=$TICKET_BODY kind=T; fi
        [ "$(post "$TMP/c.$w" "$C1" "$body" "$(URL /v1/tickets)")" = 201 ] &&
            echo "$kind $(jq -r .id "$TMP/c.$w")" >>"$TMP/ok.$w"
    done
}
acker() { # the pull partner acknowledges what it finds
    local id
    while [ ! -f "$TMP/stop" ]; do
        curl -s --max-time 5 -H "Authorization: Bearer $FIB" \
            "$(URL '/v1/assignments?state=assigned&limit=5')" >"$TMP/a.page" || continue
        for id in $(jq -r '.items[]?.id' "$TMP/a.page" 2>/dev/null); do
            [ "$(post "$TMP/a.out" "$FIB" '{"note":"on it"}' "$(URL "/v1/assignments/$id/ack")")" = 200 ] &&
                echo "A $id" >>"$TMP/ok.acker"
        done
    done
}
noter() { # ROUND: the customer adds numbered notes to one ticket
    local k=0
    while [ ! -f "$TMP/stop" ]; do
        k=$((k + 1))
        [ "$(post "$TMP/n.out" "$C1" "{\"text\":\"note $1.$k\"}" "$(URL "/v1/tickets/$T0/notes")")" = 200 ] &&
            echo "N note $1.$k" >>"$TMP/ok.noter"
    done
}

for round in $(seq 1 "$ROUNDS"); do
    start_broker
    rm -f "$TMP/stop"
    pids=()
    for w in 1 2 3 4; do creator "$w" & pids+=($!); done
    acker & pids+=($!)
    noter "$round" & pids+=($!)
    sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
    kill9_broker
    touch "$TMP/stop"
    wait "${pids[@]}"
done
cat "$TMP"/ok.* >"$TMP/answered"
n_t=$(grep -c '^TV\? ' "$TMP/answered")
n_a=$(grep -c '^A ' "$TMP/answered")
n_n=$(grep -c '^N ' "$TMP/answered")
echo "# $ROUNDS kills; answered 2xx: $n_t complaints, $n_a acks, $n_n notes"
check "the load was real: complaints, acks and notes were answered 2xx" [ "$n_t" -gt 0 -a "$n_a" -gt 0 -a "$n_n" -gt 0 ]

# Index entries that wait: a clean stop merges every waiting ticket's list
# entries; twenty filings after it are fewer than the writer merges at, so
# theirs still wait above the mark when kill -9 comes. The lists must show
# them after the restart all the same.
start_broker
stop_broker
start_broker
for i in $(seq 1 20); do
    req POST /v1/tickets "$C1" "$TV"
    [ "$STATUS" = 201 ] && echo "TV $(jbody .id)" >>"$TMP/ok.waiting"
done
kill9_broker
cat "$TMP"/ok.* >"$TMP/answered"

start_broker
check "after the last kill, the twenty tickets' index entries wait (seam_index_pending)" \
    [ "$(curl -s "$(URL /metrics)" | sed -n 's/^seam_index_pending //p')" -ge 20 ]
all_tickets .id "$TMP/present_tv" service=tv
sed -n 's/^TV //p' "$TMP/answered" | sort -u >"$TMP/want_tv"
sort -u -o "$TMP/present_tv" "$TMP/present_tv"
check "the lead's list by service (an index walk) holds every TV complaint answered 201 ($(wc -l <"$TMP/want_tv"))" \
    [ -z "$(comm -23 "$TMP/want_tv" <(tr -d '"' <"$TMP/present_tv"))" ]
all_tickets .id "$TMP/present"
sed -n 's/^TV\? //p' "$TMP/answered" | sort -u >"$TMP/want"
sort -u -o "$TMP/present" "$TMP/present"
check "every complaint answered 201 is there after $ROUNDS kills" [ -z "$(comm -23 "$TMP/want" <(tr -d '"' <"$TMP/present"))" ]
acked_lost=0
for id in $(sed -n 's/^A //p' "$TMP/answered" | sort -u); do
    req GET "/v1/assignments/$id" "$FIB"
    [ "$(jbody .state)" != assigned ] || { acked_lost=$((acked_lost + 1)); echo "# ack of $id lost"; }
done
check "every ack answered 200 is there" [ "$acked_lost" = 0 ]
req GET "/v1/tickets/$T0" "$LEAD"
jq -r '.timeline[].text // empty' "$TMP/body" | sort -u >"$TMP/notes"
sed -n 's/^N //p' "$TMP/answered" | sort -u >"$TMP/want_notes"
check "every note answered 200 is in the ticket's timeline" [ -z "$(comm -23 "$TMP/want_notes" "$TMP/notes")" ]
delivered_all() {
    jq -r 'select(.status == 200 and .verified and .type == "assignment.created") | .ticket' \
        "$TMP/sim.log" | sort -u >"$TMP/got_tv"
    [ -z "$(comm -23 "$TMP/want_tv" "$TMP/got_tv")" ]
}
check "the outbox delivers every TV claim to the push partner, signed ($(wc -l <"$TMP/want_tv"))" eventually 60 delivered_all
pending() { curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/deliveries?state=$1")" | jq '.items | length'; }
check "no delivery was given up" [ "$(pending failed)" = 0 ]
stop_broker
check "seamctl verify passes after $ROUNDS kills" ctl verify
finish
