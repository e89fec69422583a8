#!/usr/bin/env bash
# Queue pages are served from a cache keyed by who asked, the query and the
# store snapshot. Whatever changes the store, a later pull shows it: the
# partner's own ack, the lead's reassignment, and a customer's details
# changed by seamctl in another process while the broker runs. Another
# partner never gets a page cached for someone else.
. "$(dirname "$0")/lib.sh"
cp "$CONF" "$TMP/live.json" # reloaded below with another customer_data
CONF=$TMP/live.json
init_store
C1=$(new_customer c1 triple-play south)
LEAD=$(new_token lead ops)
NORD=$(new_token partner nordtel)
FIB=$(new_token partner fibernet)
start_broker
for i in 1 2 3; do req POST /v1/tickets "$C1" "$TICKET_BODY"; done
pull() { # TOKEN [QUERY] -> $TMP/body
    req GET "/v1/assignments?limit=50${2:+&$2}" "$1"
}
pull "$NORD"
cp "$TMP/body" "$TMP/first"
pull "$NORD"
check "the same page twice, byte for byte, while nothing changes" cmp -s "$TMP/first" "$TMP/body"
check "the page holds the partner's three claims" [ "$(jbody '.items | length')" = 3 ]
A1=$(jbody '.items[0].id')
T1=$(jbody '.items[0].ticket')
req POST "/v1/assignments/$A1/ack" "$NORD" '{}'
pull "$NORD"
check "after the partner's ack the next pull shows it" [ "$(jq -r --arg a "$A1" '.items[] | select(.id == $a) | .state' "$TMP/body")" = acknowledged ]
pull "$NORD" "state=assigned"
check "a different query is a different page" [ "$(jbody '.items | length')" = 2 ]
pull "$FIB"
check "another partner does not get nordtel's cached page" [ "$(jbody '.items | length')" = 0 ]
ctl customer update c1 --contact "new@example.net" >/dev/null
pull "$NORD"
check "a change made by seamctl in another process shows at once" [ "$(jbody '.items[0].customer.contact')" = "new@example.net" ]
req POST "/v1/tickets/$T1/assign" "$LEAD" '{"partner":"fibernet","reason":"Fibre fault."}'
pull "$FIB"
check "the lead's reassignment reaches the new owner's page" [ "$(jbody '.items[0].ticket')" = "$T1" ]
pull "$NORD" "state=live"
check "and leaves the old owner's live page" [ -z "$(jq -r --arg t "$T1" '.items[] | select(.ticket == $t) | .id' "$TMP/body")" ]
# A reload that withdraws the customer's contact from nordtel, with no commit after it.
pull "$NORD"
check "nordtel's page shows the customer's contact while its customer_data allows it" \
    [ "$(jbody '.items[0].customer.contact')" = "new@example.net" ]
jq '(.partners[] | select(.id == "nordtel")).customer_data = ["name"]' "$ROOT/conf/seam.json" >"$TMP/next.json"
mv "$TMP/next.json" "$CONF"
kill -HUP "$BPID"
for _ in $(seq 1 100); do grep -q 'reload: generation 2 in force' "$TMP/broker.$STARTS.log" && break; sleep 0.05; done
pull "$NORD"
check "after the reload its page, nothing committed since, shows the contact no more" \
    [ "$(jbody '.items[0].customer | has("contact")')" = false -a "$(jbody '.items[0].customer.name')" = "Customer c1" ]
finish
