#!/usr/bin/env bash
# Queue pages are served from a cache keyed by who asked, the query and the
# store snapshot. Whatever changes the store, a later pull shows it: the
# partner's own ack, the lead's reassignment, and a customer's details
# changed by seamctl in another process while the broker runs. Another
# partner never gets a page cached for someone else.
. "$(dirname "$0")/lib.sh"
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
finish
