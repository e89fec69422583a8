#!/bin/sh
# scripts/demo.sh CONFIG DATADIR: seeds a fresh data directory of the example
# federation with demo people and a few tickets (make run does this once, on
# the first run; seamctl init seeds nothing). It runs a broker of its own on a
# free loopback port while it seeds, through the same API as anyone, and stops
# it. The people sign in with the passwords printed by scripts/run.sh: they
# are for a demonstration on one's own machine, never for a real federation.
set -eu
CONF=$1
DATA=$2
CTL="./seamctl -c $CONF -d $DATA"
LOG=$(mktemp "${TMPDIR:-/tmp}/seam-demo.XXXXXX")
BPID=
cleanup() {
    [ -z "$BPID" ] || { kill -TERM "$BPID" 2>/dev/null; wait "$BPID" 2>/dev/null || true; }
    rm -f "$LOG"
}
trap cleanup EXIT

# The people: a customer, an agent of each partner, the lead's manager, an auditor.
$CTL customer add c1 --name "Kari Nordmann" --bundle triple-play --region north \
    --contact kari@example.net >/dev/null
while read -r user kind; do
    $CTL user add "$user" --kind "$kind" >/dev/null
done <<PEOPLE
c1/kari customer
fibernet/ola agent
skyview/siri agent
nordtel/nils agent
northwind/mary manager
audit/ida auditor
PEOPLE

# Tokens for the seeding alone, revoked at its end.
CUST=$($CTL token issue --role customer --subject c1 2>/dev/null)
FIBER=$($CTL token issue --role partner --subject fibernet 2>/dev/null)
SKY=$($CTL token issue --role partner --subject skyview 2>/dev/null)
NORD=$($CTL token issue --role partner --subject nordtel 2>/dev/null)

./seam-broker -c "$CONF" -d "$DATA" -l 127.0.0.1:0 >"$LOG" 2>&1 &
BPID=$!
PORT=
for _ in $(seq 1 200); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$LOG" | head -1)
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "$PORT" ] || { echo "demo: the broker did not start:" >&2; cat "$LOG" >&2; exit 1; }

# call TOKEN METHOD PATH [BODY]: the answer's body on stdout; fails on an answer not 2xx.
call() {
    curl -sf -X "$2" -H "Authorization: Bearer $1" -H "Content-Type: application/json" \
        ${4:+--data-binary "$4"} "http://127.0.0.1:$PORT$3"
}
# file SUMMARY DESCRIPTION SERVICE SYMPTOM [EQUIPMENT]: the new ticket's id.
file() {
    jq -nc --arg s "$1" --arg d "$2" --arg v "$3" --arg y "$4" --arg e "${5:-}" \
        '{summary: $s, description: $d, service: $v, symptom: $y} + (if $e == "" then {} else {equipment: $e} end)' |
        { read -r body; call "$CUST" POST /v1/tickets "$body"; } | jq -r .id
}
# assignment TOKEN TICKET: the partner's assignment of the ticket.
assignment() {
    call "$1" GET "/v1/assignments?limit=100" | jq -r --arg t "$2" '.items[] | select(.ticket == $t) | .id' | head -1
}
# password USER PASSWORD: the invitation accepted, as its user would.
password() {
    link=$($CTL user invite "$1" 2>/dev/null)
    call "" POST /v1/password "$(jq -nc --arg l "$link" --arg p "$2" '{link: $l, password: $p}')" >/dev/null
}

password c1/kari kari-demo-password
password fibernet/ola ola-demo-password
password skyview/siri siri-demo-password
password nordtel/nils nils-demo-password
password northwind/mary mary-demo-password
password audit/ida ida-demo-password

# A complaint waiting for the customer's answer.
T=$(file "No internet since this morning" "All the lights on the router are red." internet no_service router)
A=$(assignment "$FIBER" "$T")
call "$FIBER" POST "/v1/assignments/$A/ack" '{}' >/dev/null
call "$FIBER" POST "/v1/assignments/$A/need-info" \
    '{"question":"Which lights are red: power, internet or both?"}' >/dev/null
# One resolved, for the customer to confirm or reopen.
T=$(file "The TV picture freezes every evening" "It starts around 20:00, on every channel." tv intermittent set_top_box)
A=$(assignment "$SKY" "$T")
call "$SKY" POST "/v1/assignments/$A/ack" '{}' >/dev/null
call "$SKY" POST "/v1/assignments/$A/progress" '{"note":"A new set-top box is on its way."}' >/dev/null
call "$SKY" POST "/v1/assignments/$A/resolve" '{"resolution":"The set-top box was replaced."}' >/dev/null
# One being worked on.
T=$(file "No dial tone on the home phone" "The phone is silent since the storm." phone no_dial_tone handset)
A=$(assignment "$NORD" "$T")
call "$NORD" POST "/v1/assignments/$A/ack" '{}' >/dev/null
call "$NORD" POST "/v1/assignments/$A/progress" '{"note":"A technician checks the line on Thursday."}' >/dev/null
# One just taken on. (No claim is left unacknowledged in a partner's queue, nor
# disputed: the README's walk-through, run after make run, reads those lists.)
T=$(file "Slow internet in the evenings" "Below 5 Mbit/s after 18:00." internet slow)
A=$(assignment "$FIBER" "$T")
call "$FIBER" POST "/v1/assignments/$A/ack" '{}' >/dev/null

kill -TERM "$BPID"
wait "$BPID" || { echo "demo: the broker did not stop cleanly:" >&2; cat "$LOG" >&2; exit 1; }
BPID=
for tok in "$CUST" "$FIBER" "$SKY" "$NORD"; do
    $CTL token revoke "$tok" >/dev/null
done
