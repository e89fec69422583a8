#!/usr/bin/env bash
# eBonding (delivery mode tmf621) against a real peer: two seam-brokers. The
# lead's gives its TV claims to "skyview", its phone claims to "nordtel" and
# its internet claims to "fibernet", tmf621 partners whose own system is the
# second broker (P_*): its TMF621 v4 face and hub, its own configuration,
# rules and subcontractors (the same companies, pull partners there, driven
# here through its pull API). A claim travels lead -> partner, is
# acknowledged and resolved there, and the resolution comes back; the
# partner's system goes down for a while and nothing is lost; wrong and
# other partners' credentials are refused and change nothing; a status the
# map does not know reaches the lead; the customer's answer, a reopen and a
# cancellation reach the partner's ticket; a partner without a hub is
# polled; a creation refused until its tries are spent goes to the lead;
# both stores verify.
. "$(dirname "$0")/lib.sh"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

# ---- the partner's system: a second broker with its own store and configuration ----
P_DATA=$TMP/pdata
P_CONF=$TMP/partner.json
P_PID=
P_PORT=$(free_port)
P_STARTS=0
jq '.delivery.retry_schedule_ms = [0,200,400,800,1000,1000,1000,1000,1000,1000,1000,1000]
  | (.partners[] | .delivery) = {mode: "pull"}' "$ROOT/conf/seam.json" >"$P_CONF"
pctl() { "$SEAMCTL" -d "$P_DATA" -c "$P_CONF" "$@"; }
start_partner() {
    P_STARTS=$((P_STARTS + 1))
    "$BROKER" -c "$P_CONF" -d "$P_DATA" -l "127.0.0.1:$P_PORT" >"$TMP/partner.$P_STARTS.log" 2>&1 &
    P_PID=$!
    for _ in $(seq 1 400); do
        grep -q "listening on 127.0.0.1:$P_PORT" "$TMP/partner.$P_STARTS.log" && return 0
        kill -0 "$P_PID" 2>/dev/null || break
        sleep 0.05
    done
    echo "Bail out! the partner's broker did not start"
    cat "$TMP/partner.$P_STARTS.log"
    exit 1
}
stop_partner() {
    [ -n "$P_PID" ] || return 0
    kill -TERM "$P_PID" 2>/dev/null
    wait "$P_PID" 2>/dev/null
    local rc=$?
    P_PID=
    ok $rc "the partner's broker stopped cleanly"
}
# preq: req against the partner's broker.
preq() {
    local keep=$PORT
    PORT=$P_PORT
    req "$@"
    PORT=$keep
}

pctl init >/dev/null || { echo "Bail out! seamctl init (partner)"; exit 1; }
P_LEAD=$(pctl token issue --role lead --subject ops 2>/dev/null)
P_SKY=$(pctl token issue --role partner --subject skyview 2>/dev/null)
P_NORD=$(pctl token issue --role partner --subject nordtel 2>/dev/null)
P_FIB=$(pctl token issue --role partner --subject fibernet 2>/dev/null)
for c in northwind-desk northwind-desk2 northwind-desk3; do
    pctl customer add "$c" --name "Northwind Telecom" --bundle triple-play --region north \
        --contact "desk@northwind.example" >/dev/null
done
printf '%s\n' "$P_LEAD" >"$TMP/partner.token"
chmod 600 "$TMP/partner.token"
start_partner

# ---- the lead's broker: skyview and nordtel are tmf621 partners ----
BPORT=$(free_port)
PAPI=http://127.0.0.1:$P_PORT/tmf-api/troubleTicket/v4
conf_with '.delivery.retry_schedule_ms = [0,200,400,800,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000,1000]
  | (.partners[] | select(.id == "skyview") | .delivery) = {mode: "tmf621", url: $api,
      token_file: $tok, customer: "northwind-desk", callback_url: $cb, timeout_ms: 2000}
  | (.partners[] | select(.id == "nordtel") | .delivery) = {mode: "tmf621", url: $api,
      token_file: $tok, customer: "northwind-desk2", callback_url: $cb,
      status_map: {acknowledged: "ack", inProgress: "progress", pending: "need_info",
                   resolved: "resolve", closed: "resolve", cancelled: "ignore"}}
  | (.partners[] | select(.id == "fibernet") | .delivery) = {mode: "tmf621", url: $api,
      token_file: $tok, customer: "northwind-desk3", poll_s: 1}' \
    --arg api "$PAPI" --arg tok "$TMP/partner.token" --arg cb "http://127.0.0.1:$BPORT"
check "seam-broker -n accepts the tmf621 partners" "$BROKER" -n -c "$CONF"
BAD=$TMP/bad.json
jq '(.partners[] | select(.id == "skyview") | .delivery) = {mode: "tmf621", url: "ftp://x",
      token_file: "relative", status_map: {resolved: "finish"}}' "$CONF" >"$BAD"
"$BROKER" -n -c "$BAD" >"$TMP/bad.out" 2>&1
ok $((! $?)) "a tmf621 partner without an http(s) url, with a relative token_file or an unknown action is refused"
check "the refusal names the keys" grep -q 'status_map.resolved' "$TMP/bad.out"

init_store
LEAD=$(new_token lead ops)
C1=$(new_customer c1)
start_broker
LOG=$TMP/broker.1.log

check "the lead registered its listener at skyview's system" \
    eventually 20 grep -q "partner=skyview hub listener registered" "$LOG"
check "and at nordtel's" eventually 20 grep -q "partner=nordtel hub listener registered" "$LOG"
refute "none at fibernet's, which is polled" grep -q "partner=fibernet hub" "$LOG"

# ---- a claim travels: lead -> partner's system -> subcontractor -> back ----
TV='{"summary":"No TV signal","description":"Every channel says no signal since the storm.","service":"tv","symptom":"no_signal","priority":"normal"}'
req POST /v1/tickets "$C1" "$TV"
T1=$(jbody .id)
check "a TV complaint is filed (201)" test "$STATUS" = 201
req GET "/v1/tickets/$T1" "$LEAD"
A1=$(jbody '.assignments[0].id')
check "its claim is skyview's" test "$(jbody '.assignments[0].partner')" = skyview

partner_ticket() { # externalId -> sets PT (the partner's TroubleTicket) or fails
    preq GET "/tmf-api/troubleTicket/v4/troubleTicket?externalId=$1" "$P_LEAD"
    PT=$(jq -c '.[0] // empty' "$TMP/body")
    [ -n "$PT" ]
}
check "the claim is a TroubleTicket in the partner's system, externalId the claim's id" \
    eventually 20 partner_ticket "$A1"
R1=$(jq -r .id <<<"$PT")
check "filed under the lead's party there, with what skyview may see" \
    test "$(jq -r '[.relatedParty[0].id, .name, .description, .ticketType] | join("|")' <<<"$PT")" = \
    "northwind-desk|No TV signal|Every channel says no signal since the storm.|tv"
check "the TroubleTicket carries nothing of the lead's customer" \
    jq -e '[.. | strings | select(. == "c1" or test("Customer c1|c1@example"))] | length == 0' <<<"$PT"

# sub_claim TICKET: the partner's own subcontractor of its ticket (its token SUBTOK, its claim
# SUBCLAIM), as the partner's own rules chose it.
sub_claim() {
    preq GET "/v1/tickets/$1" "$P_LEAD"
    case $(jbody '.assignments[0].partner') in
    fibernet) SUBTOK=$P_FIB ;;
    nordtel) SUBTOK=$P_NORD ;;
    *) SUBTOK=$P_SKY ;;
    esac
    SUBCLAIM=$(jbody '.assignments[0].id')
}

lead_state() { # ticket assignment state -> passes when the lead sees the claim in that state
    req GET "/v1/tickets/$1" "$LEAD"
    [ "$(jq -r --arg a "$2" '.assignments[] | select(.id == $a) | .state' "$TMP/body")" = "$3" ]
}
check "the partner's system acknowledged it: the lead's claim is acknowledged" \
    eventually 20 lead_state "$T1" "$A1" acknowledged

# The partner's subcontractor works it through the partner's own pull API.
preq GET /v1/assignments "$P_SKY"
PA1=$(jq -r --arg r "$R1" '.items[] | select(.ticket == $r) | .id' "$TMP/body")
check "the partner's own rules gave it to its subcontractor" test -n "$PA1"
preq POST "/v1/assignments/$PA1/ack" "$P_SKY" '{}'
check "the subcontractor acknowledges it there (200)" test "$STATUS" = 200
check "the lead's claim is in progress" eventually 20 lead_state "$T1" "$A1" inProgress
preq POST "/v1/assignments/$PA1/resolve" "$P_SKY" '{"resolution":"Realigned the dish after the storm"}'
check "the subcontractor resolves it there (200)" test "$STATUS" = 200
check "the resolution came back: the lead's claim is resolved" \
    eventually 20 lead_state "$T1" "$A1" resolved
req GET "/v1/tickets/$T1" "$LEAD"
check "the lead's ticket is resolved" test "$(jbody .status)" = resolved
check "with the partner's resolution and its TroubleTicket's id, signed on the lead's side" \
    bash -c "jq -e --arg r '$R1' '.assignments[0].resolution | (contains(\"Realigned the dish\") and contains(\$r))' '$TMP/body'"
req GET "/v1/tickets/$T1/evidence" "$LEAD"
ev_open "$TMP/body" >"$TMP/ev1"
check "the lead's evidence holds skyview's acknowledgement and resolution events" \
    jq -e 'map(.type? // "") | (index("assignment.acknowledged") and index("assignment.resolved"))' "$TMP/ev1"
check "and the claim's link to the partner's TroubleTicket, signed" \
    jq -e --arg a "$A1" --arg r "$R1" 'map(select(.type? == "assignment.linked" and .data.assignment == $a and .data.partner_ticket == $r)) | length == 1' "$TMP/ev1"

# ---- the customer reopens: the partner's old TroubleTicket is told, a new claim follows ----
req POST "/v1/tickets/$T1/reopen" "$C1" '{"reason":"The signal is gone again tonight"}'
check "the customer reopens ticket 1 (200)" test "$STATUS" = 200
req GET "/v1/tickets/$T1" "$LEAD"
A1B=$(jbody '.assignments[-1].id')
check "a new claim of skyview's" test "$(jbody '.assignments[-1].partner'),$(jbody '.assignments | length')" = "skyview,2"
partner_note() {
    preq GET "/tmf-api/troubleTicket/v4/troubleTicket/$1" "$P_LEAD"
    jq -e --arg t "$2" '[.note[]? | select(.text == $t)] | length == 1' "$TMP/body"
}
check "the reopen is noted into the partner's old TroubleTicket" \
    eventually 20 partner_note "$R1" "The customer reopened the ticket: The signal is gone again tonight"
check "the new claim is a TroubleTicket of its own there" eventually 20 partner_ticket "$A1B"

# ---- the partner's system down for a while ----
stop_partner
req POST /v1/tickets "$C1" "${TV/No TV signal/Picture freezes}"
T2=$(jbody .id)
req GET "/v1/tickets/$T2" "$LEAD"
A2=$(jbody '.assignments[0].id')
check "while the partner's system is down the claim is skyview's, its clock running" \
    test "$(jbody '[.assignments[0].partner, (.assignments[0].due.ack != null)] | map(tostring) | join(",")')" = "skyview,true"
failing() {
    req GET "/v1/deliveries?channel=ebond&state=pending" "$LEAD"
    jq -e --arg a "$A2" '.items[] | select(.assignment == $a and .attempts >= 2 and .last_error != null)' "$TMP/body"
}
check "its creation is retried, kept pending" eventually 20 failing
sleep 1
req GET "/v1/tickets/$T2" "$LEAD"
check "still skyview's, not escalated" test "$(jbody '.assignments | length')" = 1
start_partner
check "once the partner's system is back the claim reaches it" eventually 30 partner_ticket "$A2"
R2=$(jq -r .id <<<"$PT")
check "and is acknowledged there" eventually 20 lead_state "$T2" "$A2" acknowledged
preq GET "/tmf-api/troubleTicket/v4/troubleTicket?externalId=$A2" "$P_LEAD"
check "once only" test "$(jq length "$TMP/body")" = 1

# ---- credentials ----
# The callbacks seam gave the partner's hub, as the partner's system holds them.
PHONE='{"summary":"No dial tone","description":"The landline is silent.","service":"phone","symptom":"no_dial_tone","priority":"normal"}'
req POST /v1/tickets "$C1" "$PHONE"
T3=$(jbody .id)
req GET "/v1/tickets/$T3" "$LEAD"
A3=$(jbody '.assignments[0].id')
check "a phone claim is nordtel's" test "$(jbody '.assignments[0].partner')" = nordtel
check "nordtel's reaches the partner's system" eventually 20 partner_ticket "$A3"
callbacks() {
    preq GET "/v1/deliveries?channel=tmf&limit=200" "$P_LEAD"
    SKY_CB=$(jq -r '[.items[].url | select(test("/v1/ebond/skyview/events/"))][0] // empty' "$TMP/body")
    NORD_CB=$(jq -r '[.items[].url | select(test("/v1/ebond/nordtel/events/"))][0] // empty' "$TMP/body")
    [ -n "$SKY_CB" ] && [ -n "$NORD_CB" ]
}
check "the partner's hub calls each partner's own callback" eventually 20 callbacks
check "the two capabilities differ" test "${SKY_CB##*/}" != "${NORD_CB##*/}"
SKY_CAP=${SKY_CB##*/}
NORD_CAP=${NORD_CB##*/}
event() { # TroubleTicket JSON -> a status change event
    jq -nc --argjson tt "$1" '{eventId:"e1",eventType:"TroubleTicketStatusChangeEvent",event:{troubleTicket:$tt}}'
}
TT2=$(jq -nc --arg id "$R2" --arg a "$A2" '{id:$id, externalId:$a, status:"resolved",
    statusChange:[{status:"resolved", changeReason:"forged"}]}')
SIZE=$(tree_size)
req POST "/v1/ebond/skyview/events/L0000000000000000.$(printf '0%.0s' $(seq 64))" "" "$(event "$TT2")"
check "a wrong capability is refused (401)" test "$STATUS" = 401
req POST "/v1/ebond/skyview/events/$NORD_CAP" "" "$(event "$TT2")"
check "another partner's capability is refused (403)" test "$STATUS" = 403
req POST "/v1/ebond/nordtel/events/$NORD_CAP" "" "$(event "$TT2")"
check "a callback for another partner's claim is refused (403)" test "$STATUS" = 403
check "none changed anything" test "$(tree_size)" = "$SIZE"
check "skyview's claim is still acknowledged" lead_state "$T2" "$A2" acknowledged

# ---- a question at the partner's, and the customer's answer back ----
R3=$(jq -r .id <<<"$PT")
sub_claim "$R3"
PA3=$SUBCLAIM
preq POST "/v1/assignments/$PA3/ack" "$SUBTOK" '{}'
preq POST "/v1/assignments/$PA3/need-info" "$SUBTOK" '{"question":"Does the handset show a line icon?"}'
check "the partner's subcontractor asks a question there (200)" test "$STATUS" = 200
ticket_status() {
    req GET "/v1/tickets/$1" "$LEAD"
    [ "$(jbody .status)" = "$2" ]
}
check "the lead's ticket waits on the customer" eventually 20 ticket_status "$T3" pending
req GET "/v1/tickets/$T3" "$C1"
check "the customer sees the partner's question" \
    jq -e '[.timeline[] | .text // "" | select(contains("line icon"))] | length == 1' "$TMP/body"
req POST "/v1/tickets/$T3/notes" "$C1" '{"text":"No icon at all, the screen is blank."}'
check "the customer answers (200)" test "$STATUS" = 200
check "the answer is noted into the partner's TroubleTicket" \
    eventually 20 partner_note "$R3" "No icon at all, the screen is blank."
sleep 1
req GET "/v1/tickets/$T3" "$LEAD"
check "the note's own event does not ask the question again" test "$(jbody .status)" != pending
check "nor does the answer come back as the partner's note" \
    jq -e '[.timeline[] | .text // "" | select(contains("Note at the partner"))] | length == 0' "$TMP/body"
preq PATCH "/tmf-api/troubleTicket/v4/troubleTicket/$R3" "$P_LEAD" \
    '[{"op":"add","path":"/note/-","value":{"text":"Technician booked for Thursday"}}]' application/json-patch+json
check "the partner's system notes its ticket (200)" test "$STATUS" = 200
lead_note() {
    req GET "/v1/tickets/$1" "$LEAD"
    jq -e --arg t "$2" '[.timeline[] | .text // "" | select(contains($t))] | length == 1' "$TMP/body"
}
check "the partner's note comes back on the claim, once" \
    eventually 20 lead_note "$T3" "Note at the partner's system: Technician booked for Thursday"

# ---- a status the map does not know goes to the lead ----
TT2=$(jq -nc --arg id "$R2" --arg a "$A2" '{id:$id, externalId:$a, status:"awaitingVendor"}')
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" "$(event "$TT2")"
check "an unknown status is taken (200), said unknown" \
    test "$STATUS,$(jbody .unknown_status)" = "200,true"
req GET "/v1/tickets/$T2" "$LEAD"
check "the lead sees it on the ticket's timeline" \
    jq -e '[.timeline[] | .text // "" | select(contains("awaitingVendor") and contains("does not know"))] | length == 1' "$TMP/body"
check "and in the log" grep -q 'unknown status "awaitingVendor"' "$LOG"
check "the ticket is flagged escalated; the claim stays skyview's, acknowledged" \
    jq -e --arg a "$A2" '(.flags | index("escalated")) and ([.assignments[] | select(.id == $a and .partner == "skyview" and .state == "acknowledged")] | length == 1)' "$TMP/body"
req GET "/v1/tickets?flag=escalated" "$LEAD"
check "it is among the lead's escalations" jq -e --arg t "$T2" '[.items[].id] | index($t)' "$TMP/body"
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" "$(event "$TT2")"
req GET "/v1/tickets/$T2/evidence" "$LEAD"
ev_open "$TMP/body" >"$TMP/ev2"
check "the same status again is not reported twice: one signed assignment.status_unknown" \
    jq -e 'map(select(.type? == "assignment.status_unknown")) | length == 1' "$TMP/ev2"

# ---- a partner without a hub is polled ----
INET='{"summary":"Slow internet","description":"Pages take a minute to load.","service":"internet","symptom":"slow","priority":"normal"}'
req POST /v1/tickets "$C1" "$INET"
T5=$(jbody .id)
req GET "/v1/tickets/$T5" "$LEAD"
A5=$(jbody '.assignments[0].id')
check "an internet claim is fibernet's" test "$(jbody '.assignments[0].partner')" = fibernet
check "it reaches the partner's system" eventually 20 partner_ticket "$A5"
R5=$(jq -r .id <<<"$PT")
check "polling finds it acknowledged there" eventually 20 lead_state "$T5" "$A5" acknowledged
sub_claim "$R5"
PA5=$SUBCLAIM
preq POST "/v1/assignments/$PA5/resolve" "$SUBTOK" '{"resolution":"Replaced the line card"}'
check "resolved at the partner's (200)" test "$STATUS" = 200
check "polling brings the resolution back" eventually 20 lead_state "$T5" "$A5" resolved

# ---- seam's own changes go to the partner's ticket ----
req POST "/v1/tickets/$T2/cancel" "$C1" '{"reason":"It works again"}'
check "the customer cancels ticket 2 (200)" test "$STATUS" = 200
partner_status() {
    preq GET "/tmf-api/troubleTicket/v4/troubleTicket/$1" "$P_LEAD"
    [ "$(jbody .status)" = "$2" ]
}
check "the cancellation is patched into the partner's TroubleTicket" \
    eventually 20 partner_status "$R2" cancelled

# ---- hostile callbacks with the right capability change nothing ----
SIZE=$(tree_size)
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" '{"event":'
check "a body that is no JSON is 400" test "$STATUS" = 400
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" '{"event":{"resource":{}}}'
check "an event without its TroubleTicket is 400" test "$STATUS" = 400
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" "$(event '{"id":"x","externalId":"A00000000000000000000","status":"resolved"}')"
check "a TroubleTicket naming no claim is 404" test "$STATUS" = 404
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" "$(event '{"id":"x","externalId":7,"status":"resolved"}')"
check "an externalId that is no string is 400" test "$STATUS" = 400
check "none changed anything" test "$(tree_size)" = "$SIZE"

# ---- what /metrics shows of each tmf621 partner ----
metric() { curl -s "$(URL /metrics)" | awk -v k="$1" '$1 == k { print $2 }'; }
check "metrics: skyview's and nordtel's listeners registered, fibernet polled" \
    test "$(metric 'seam_ebond_listener{partner="skyview"}') $(metric 'seam_ebond_listener{partner="nordtel"}') $(metric 'seam_ebond_listener{partner="fibernet"}')" = "1 1 -1"
check "... fibernet's polls answered, its resolution applied" \
    test "$(metric 'seam_ebond_calls_total{partner="fibernet",result="ok"}')" -ge 1 -a "$(metric 'seam_ebond_events_total{partner="fibernet",outcome="applied"}')" -ge 2
check "... the unknown status counted" test "$(metric 'seam_ebond_events_total{partner="skyview",outcome="unknown_status"}')" -ge 1
check "... the callback for another partner's claim counted refused" \
    test "$(metric 'seam_ebond_events_total{partner="nordtel",outcome="refused"}')" -ge 1
check "... no eBonding dead letter yet" test "$(metric 'seam_outbox_dead_letters_total{channel="ebond"}')" = 0

# ---- a new callback URL: a new listener, the one before removed at the partner's ----
stop_broker
jq --arg cb "http://localhost:$BPORT" '(.partners[] | select(.id == "skyview") | .delivery.callback_url) = $cb' \
    "$CONF" >"$TMP/moved.json"
CONF=$TMP/moved.json
start_broker
LOG=$TMP/broker.$STARTS.log
check "the lead registers skyview's listener again" \
    eventually 20 grep -q "partner=skyview hub listener registered" "$LOG"
check "and removes the one before at the partner's" \
    eventually 20 grep -q "method=DELETE path=/tmf-api/troubleTicket/v4/hub/.* status=204" "$TMP/partner.$P_STARTS.log"
refute "nordtel's stays as it was" grep -q "partner=nordtel hub listener registered" "$LOG"
req POST "/v1/ebond/skyview/events/$SKY_CAP" "" "$(event "$TT2")"
check "skyview's capability before is refused now (401)" test "$STATUS" = 401

# ---- a creation the partner's system keeps refusing: a dead letter, the claim to the lead ----
printf 'not-a-token\n' >"$TMP/partner.token"
req POST /v1/tickets "$C1" "${TV/No TV signal/Channels missing}"
T6=$(jbody .id)
escalated() {
    req GET "/v1/tickets/$T6" "$LEAD"
    jq -e '.assignments[0].state == "undeliverable" and .assignments[1].partner == "northwind" and (.assignments[1].flags | index("escalated"))' "$TMP/body"
}
check "refused by the partner's system (401) until its tries are spent, the claim goes to the lead" \
    eventually 40 escalated
req GET "/v1/deliveries?channel=ebond&state=failed" "$LEAD"
check "a dead letter, its last answer the partner's 401" \
    jq -e '[.items[] | select(.last_status == 401 and .type == "ebond.create")] | length == 1' "$TMP/body"
check "... counted in /metrics on the ebond channel" test "$(metric 'seam_outbox_dead_letters_total{channel="ebond"}')" = 1
printf '%s\n' "$P_LEAD" >"$TMP/partner.token"

# ---- a reload that makes a partner tmf621 needs no restart ----
stop_broker
TMFCONF=$CONF
CONF=$TMP/reloaded.json
jq '.partners |= map(.delivery = {"mode": "pull"})' "$TMFCONF" >"$CONF"
start_broker
LOG=$TMP/broker.$STARTS.log
sleep 1
refute "a broker with no tmf621 partner registers no listener" grep -q "hub listener registered" "$LOG"
# skyview's callback back at 127.0.0.1: a listener its store does not hold yet.
jq --arg cb "http://127.0.0.1:$BPORT" '(.partners[] | select(.id == "skyview") | .delivery.callback_url) = $cb' \
    "$TMFCONF" >"$CONF"
kill -HUP "$BPID"
check "after a reload that makes skyview tmf621 again, its new listener is registered, no restart" \
    eventually 20 grep -q "partner=skyview hub listener registered" "$LOG"
check "... and shows in /metrics" eventually 10 test "$(metric 'seam_ebond_listener{partner="skyview"}')" = 1

# ---- both stores verify ----
stop_partner
check "the partner's store passes seamctl verify" pctl verify
stop_broker
check "the lead's store passes seamctl verify" ctl verify
finish
