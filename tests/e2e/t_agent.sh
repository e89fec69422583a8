#!/usr/bin/env bash
# The partner agent against the real broker: 400 assignments, the broker
# killed with kill -9 and restarted in the middle, the agent itself stopped
# and started again; every assignment's command runs exactly once, every
# claim is resolved, and the agent verified the broker's signature on each.
. "$(dirname "$0")/lib.sh"
AGENT=$ROOT/$BUILD/seam-partner
N=${SEAM_AGENT_N:-400}
init_store
LEAD=$(new_token lead ops)
new_token partner nordtel >"$TMP/nordtel.token"
toks=()
for i in 1 2 3 4; do toks+=("$(new_customer "c$i" phone-only north)"); done
start_broker
BPORT=$PORT # restarts keep the agent's address
file_many() { # FROM TO
    awk -v from="$1" -v to="$2" -v url="$(URL /v1/tickets)" -v toks="${toks[*]}" 'BEGIN {
        n = split(toks, tok, " ")
        for (i = from; i <= to; i++) {
            printf "url = \"%s\"\noutput = \"/dev/null\"\nrequest = \"POST\"\n", url
            printf "header = \"Authorization: Bearer %s\"\nheader = \"Content-Type: application/json\"\n", tok[i % n + 1]
            printf "data = \"{\\\"summary\\\":\\\"line %d\\\",\\\"description\\\":\\\"\\\",\\\"service\\\":\\\"phone\\\",\\\"symptom\\\":\\\"no_dial_tone\\\"}\"\n", i
            printf "write-out = \"%%{http_code}\\n\"\n"
            if (i < to) print "next"
        }
    }' >"$TMP/file.cfg"
    curl -s --no-progress-meter -Z --parallel-max 16 -K "$TMP/file.cfg" >>"$TMP/codes"
}
export SEAM_HANDLED=$TMP/handled.log
run_agent() {
    "$AGENT" --url "http://127.0.0.1:$BPORT" --token-file "$TMP/nordtel.token" \
        --broker-key "$DATA/broker.pub" --state "$TMP/agent.state" --wait 2 --idle-exit "${1:-0}" \
        --exec 'cat >/dev/null; echo "$SEAM_ASSIGNMENT_ID" >>"$SEAM_HANDLED"; echo "Line repaired."' \
        >>"$TMP/agent.log" 2>&1 &
    APID=$!
}
handled_n() { [ -f "$TMP/handled.log" ] && wc -l <"$TMP/handled.log" || echo 0; }
at_least() { [ "$(handled_n)" -ge "$1" ]; }

file_many 1 $((N / 2))
run_agent 0
check "the agent starts working the queue" eventually 60 at_least $((N / 5))
kill9_broker                       # the broker dies under the agent
sleep 0.5
start_broker
check "the broker came back on the agent's address" [ "$PORT" = "$BPORT" ]
file_many $((N / 2 + 1)) "$N"
check "the agent carries on after the broker's restart" eventually 60 at_least $((N * 3 / 5))
kill -TERM "$APID"; wait "$APID"   # the agent is stopped and started again
run_agent 8
wait "$APID"
check "all $N complaints were filed" [ "$(grep -c '^201$' "$TMP/codes")" = "$N" ]
check "the command ran $N times" [ "$(handled_n)" = "$N" ]
check "... once for each assignment" [ "$(sort -u "$TMP/handled.log" | wc -l)" = "$N" ]
all_tickets .status "$TMP/all"
check "every ticket is resolved" [ "$(grep -c '^"resolved"$' "$TMP/all")" = "$N" ]
check "the agent never skipped an assignment for a bad signature" [ "$(grep -c 'does not verify' "$TMP/agent.log")" = 0 ]

# An agent holding another broker key trusts nothing it is sent.
"$SEAMCTL" -d "$TMP/impostor" init >/dev/null
file_many $((N + 1)) $((N + 1))
"$AGENT" --url "http://127.0.0.1:$BPORT" --token-file "$TMP/nordtel.token" \
    --broker-key "$TMP/impostor/broker.pub" --state "$TMP/wrong.state" --wait 1 --idle-exit 2 \
    --exec 'echo "$SEAM_ASSIGNMENT_ID" >>"$SEAM_HANDLED"' 2>"$TMP/wrong.log"
check "with the wrong broker key the agent refuses the assignment" grep -q "does not verify" "$TMP/wrong.log"
check "... runs nothing" [ "$(handled_n)" = "$N" ]
req GET "/v1/assignments?state=assigned" "$(cat "$TMP/nordtel.token")"
check "... and leaves the claim unacknowledged" [ "$(jbody '.items | length')" = 1 ]
# Exit statuses: 3 hands back with the reason it prints, 4 asks the customer.
"$AGENT" --url "http://127.0.0.1:$BPORT" --token-file "$TMP/nordtel.token" \
    --broker-key "$DATA/broker.pub" --state "$TMP/back.state" --wait 1 --idle-exit 2 \
    --exec 'echo "customer_side" "-" "Socket is dead in the flat."; exit 3' 2>/dev/null
req GET "/v1/assignments?state=handed_back" "$(cat "$TMP/nordtel.token")"
check "exit status 3 hands the claim back with the printed reason" [ "$(jbody '.items[0].handback_reason')" = customer_side ]
file_many $((N + 2)) $((N + 2))
"$AGENT" --url "http://127.0.0.1:$BPORT" --token-file "$TMP/nordtel.token" \
    --broker-key "$DATA/broker.pub" --state "$TMP/ask.state" --wait 1 --idle-exit 2 \
    --exec 'echo "Which socket did you use?"; exit 4' 2>/dev/null
req GET "/v1/tickets?status=pending" "$LEAD"
check "exit status 4 asks the customer: the ticket is pending" [ "$(jbody '.items | length')" = 1 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
