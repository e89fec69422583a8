#!/usr/bin/env bash
# The ticket indexes through the real broker (docs/design.md, "Indexes"):
# a filter name or value a list does not know is a 400 naming it (never a
# silent 200); the breach list walks the breached flag's index in pages
# (next_cursor) on the test clock; a store without indexes (as written
# before them) gets them built at start, with progress in the log, and
# lists the same; seamctl verify names an index entry deleted or added
# behind the records' back. The lists' agreement with the records at
# random is test_index's property test.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only north)
LEAD=$(new_token lead ops)
AUD=$(new_token auditor audit-1)
start_broker -T 2030-01-07T08:00:00Z
clock() { req POST /v1/test/clock "$LEAD" "$1"; }
ids() { jbody '[.items[].id] | join(",")'; }
bad() { # PATH TOKEN CODE FIELD: a 400 with that code naming that field
    req GET "$1" "$2"
    [ "$STATUS" = 400 ] && [ "$(jbody .error.code)" = "$3" ] && [ "$(jbody .error.field)" = "$4" ]
}

# --- filings: internet to fibernet, phone to nordtel, out of bundle to the lead
for i in 1 2 3; do
    req POST /v1/tickets "$C1" '{"summary":"Down","description":"","service":"internet","symptom":"no_service"}'
    clock '{"advance_ms":60000}'
done
req POST /v1/tickets "$C2" '{"summary":"No tone","description":"","service":"phone","symptom":"no_dial_tone"}'
req POST /v1/tickets "$C2" '{"summary":"No picture","description":"","service":"tv","symptom":"no_signal"}'
TV=$(jbody .id)

# --- unknown filters and values: 400 naming them
check "flag=bounced: 400 invalid_parameter naming flag" bad "/v1/tickets?flag=bounced" "$LEAD" invalid_parameter flag
check "owner=none: 400 naming owner" bad "/v1/tickets?owner=none" "$LEAD" invalid_parameter owner
check "partner=acme (no such partner): 400 naming partner" bad "/v1/tickets?partner=acme" "$LEAD" invalid_parameter partner
check "sort=: 400 unknown_parameter naming sort" bad "/v1/tickets?sort=created" "$LEAD" unknown_parameter sort
check "q=: 400 unknown_parameter naming q" bad "/v1/tickets?status=acknowledged&q=router" "$LEAD" unknown_parameter q
check "a customer's unknown filter: 400 naming it" bad "/v1/tickets?colour=red" "$C1" unknown_parameter colour
check "a customer's lead-only filter stays the lead's (400 naming it)" bad "/v1/tickets?flag=disputed" "$C1" invalid_parameter flag
check "the breach list's unknown filter: 400 naming it" bad "/v1/audit/breaches?sort=due" "$LEAD" unknown_parameter sort
check "the breach list's malformed cursor: 400 naming it" bad "/v1/audit/breaches?cursor=x" "$LEAD" invalid_parameter cursor
req GET "/v1/tickets?flag=out_of_bundle&owner=lead" "$LEAD"
check "known filters combine: the out-of-bundle ticket the lead owns" [ "$STATUS" = 200 -a "$(ids)" = "$TV" ]
req GET "/v1/tickets?owner=northwind&service=tv" "$LEAD"
check "the lead's own id is an owner too, with a fact" [ "$STATUS" = 200 -a "$(ids)" = "$TV" ]
req GET "/v1/tickets?owner=fibernet&limit=2" "$LEAD"
P1=$(ids)
NEXT=$(jbody .next_cursor)
req GET "/v1/tickets?owner=fibernet&limit=2&cursor=$NEXT" "$LEAD"
check "an owner's tickets page by next_cursor: 2 then 1, newest first" [ "$(echo "$P1" | tr ',' '\n' | wc -l)" = 2 -a "$(jbody '.items | length')" = 1 -a "$(jbody .next_cursor)" = null ]

# --- breaches: four days on, every claim breached; the list pages through the flag's index
clock '{"advance_ms":345600000}'
check "the claims breach (the scheduler fires)" eventually 10 sh -c "[ \$(curl -s -H 'Authorization: Bearer $AUD' '$(URL "/v1/audit/breaches")' | jq '[.items[].ticket] | unique | length') -ge 4 ]"
req GET "/v1/audit/breaches?limit=1000" "$AUD"
ALL=$(jbody '[.items[] | .ticket + .assignment + .clock] | join(",")')
check "the whole list in one page: next_cursor null" [ "$(jbody .next_cursor)" = null ]
GOT="" CUR="" PAGES=0
while :; do
    req GET "/v1/audit/breaches?limit=1${CUR:+&cursor=$CUR}" "$AUD"
    [ "$STATUS" = 200 ] || break
    PAGES=$((PAGES + 1))
    GOT="$GOT${GOT:+,}$(jbody '[.items[] | .ticket + .assignment + .clock] | join(",")')"
    CUR=$(jbody '.next_cursor // empty')
    [ -n "$CUR" ] && [ "$PAGES" -lt 50 ] || break
done
check "paged one ticket at a time, the breaches are the same, in the same order ($PAGES pages)" [ "$GOT" = "$ALL" -a "$PAGES" -ge 4 ]
req GET "/v1/audit/breaches?partner=fibernet&limit=1000" "$AUD"
check "?partner= keeps that partner's breaches only" [ "$(jbody '[.items[].partner] | unique | join(",")')" = fibernet ]

# --- a store without indexes: built at start, lists the same
req GET "/v1/tickets?status=acknowledged&limit=200" "$LEAD"
BEFORE=$(ids)
req GET "/v1/tickets?flag=breached&limit=200" "$LEAD"
BREACHED=$(ids)
stop_broker
check "the indexes dropped, as a store written before them" "$ROOT/$BUILD/tests/tamper" "$DATA" drop-indexes
start_broker -T 2030-01-11T09:00:00Z
LOG=$TMP/broker.$STARTS.log
check "the broker builds them at start, saying so in the log" grep -q "index: building the ticket indexes, 5 tickets" "$LOG"
check "with its progress" grep -q "index: 5 of 5 tickets indexed" "$LOG"
req GET "/v1/tickets?status=acknowledged&limit=200" "$LEAD"
check "the lists answer as before (status)" [ -n "$BEFORE" -a "$(ids)" = "$BEFORE" ]
req GET "/v1/tickets?flag=breached&limit=200" "$LEAD"
check "the lists answer as before (flag)" [ -n "$BREACHED" -a "$(ids)" = "$BREACHED" ]
stop_broker
check "seamctl verify: the built indexes agree with the records" ctl verify

# --- verify names a damaged index
T1=$(echo "$BEFORE" | cut -d, -f1)
"$ROOT/$BUILD/tests/tamper" "$DATA" unindex "$T1" acknowledged
ctl verify >"$TMP/verify.out" 2>&1
RC=$?
check "an index entry deleted: verify fails, naming the ticket and the entry" sh -c "[ $RC = 1 ] && grep -q 'ticket $T1: index status=acknowledged: missing' '$TMP/verify.out'"
"$ROOT/$BUILD/tests/tamper" "$DATA" overindex "$T1" acknowledged
"$ROOT/$BUILD/tests/tamper" "$DATA" overindex "$T1" closed
ctl verify >"$TMP/verify.out" 2>&1
RC=$?
check "an index entry added: verify fails, naming it extra" sh -c "[ $RC = 1 ] && grep -q 'ticket $T1: index status=closed: extra' '$TMP/verify.out'"
"$ROOT/$BUILD/tests/tamper" "$DATA" unindex "$T1" closed
check "repaired: verify passes again" ctl verify
finish
