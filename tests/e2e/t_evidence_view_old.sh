#!/usr/bin/env bash
# t_evidence_view_old.sh: evidence per principal on a store written before
# restricted content was signed by digest (tests/fixtures/store-v1, every
# event of format 1, its texts in clear). Each principal's export of the old
# tickets verifies with only the broker's public key; an old event holding
# restricted content the principal may not see (a partner's hand-back note,
# the lead's reason for a forced assignment) is given by its hash alone,
# and its text is nowhere in the export; the lead's export holds everything.
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/store-v1
CONF=$FIX/seam.json
mkdir -m 700 "$DATA"
gunzip -c "$FIX/data.mdb.gz" >"$DATA/data.mdb"
cp "$FIX/broker.key" "$FIX/broker.pub" "$DATA/"
chmod 600 "$DATA/data.mdb" "$DATA/broker.key"
. "$FIX/tokens.env"
PK=$FIX/broker.pub
start_broker

export_as() { # NAME TOKEN TICKET: into $TMP/NAME.json, verified
    req GET "/v1/tickets/$3/evidence" "$2"
    cp "$TMP/body" "$TMP/$1.json"
    [ "$STATUS" = 200 ] && "$SEAMCTL" verify-evidence "$TMP/$1.json" --key "$PK" >/dev/null
}
# index TYPE FILE: the index of the first event of that type in a (lead's) export
index() { jq --arg t "$1" '[.events[] | .event | fromjson | .type] | index($t)' "$2"; }
hidden_at() { [ "$(jq --argjson i "$1" '.events[$i] | keys' -c "$2")" = '["hash"]' ]; }

for t in T1 T2 T3 T4; do
    check "the lead's export of old ticket $t verifies" export_as "lead-$t" "$LEAD" "${!t}"
done
check "the customer's export of old ticket T1 verifies" export_as c1-T1 "$C1" "$T1"
check "... it holds the customer's note and the resolution (both on its timeline)" \
    sh -c "grep -qF 'Fibre splice repaired.' '$TMP/c1-T1.json' && grep -qF 'orange' '$TMP/c1-T1.json'"
check "the customer's export of old ticket T2 verifies" export_as c1-T2 "$C1" "$T2"
HB=$(index assignment.handed_back "$TMP/lead-T2.json")
check "... the old hand-back (a partner's internal note) is given by hash only" hidden_at "$HB" "$TMP/c1-T2.json"
refute "... and its note is nowhere in it" grep -qF 'Head-end is fine.' "$TMP/c1-T2.json"
check "... which the lead's export holds" grep -qF 'Head-end is fine.' "$TMP/lead-T2.json"
check "skyview, which wrote the note, exports T2" export_as sky-T2 "$SKY" "$T2"
check "... with the note" grep -qF 'Head-end is fine.' "$TMP/sky-T2.json"
check "fibernet, which took the claim after, exports T2" export_as fib-T2 "$FIB" "$T2"
check "... the hand-back that gave it the claim is there by hash only (its note is skyview's)" hidden_at "$HB" "$TMP/fib-T2.json"
refute "... and the note is nowhere in it" grep -qF 'Head-end is fine.' "$TMP/fib-T2.json"
check "the other customer's export of old ticket T3 verifies" export_as c2-T3 "$C2" "$T3"
AS=$(index ticket.assigned "$TMP/lead-T3.json")
check "... the lead's forced assignment (its internal reason) is given by hash only" hidden_at "$AS" "$TMP/c2-T3.json"
check "... and the lead's holds it whole" [ "$(jq --argjson i "$AS" '.events[$i].event | fromjson | .data.reason' -r "$TMP/lead-T3.json")" = VIP ]
req GET "/v1/tickets/$T3/evidence" "$C1"
check "a customer cannot export another's old ticket (404)" [ "$STATUS" = 404 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
