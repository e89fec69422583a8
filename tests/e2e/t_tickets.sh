#!/usr/bin/env bash
# A customer files a complaint and reads it back; the lead sees it with its
# assignment; another customer cannot see it; its evidence verifies offline.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
C2=$(new_customer c2 phone-only south)
LEAD=$(new_token lead ops)
AUD=$(new_token auditor audit1)
start_broker

req GET /healthz ""
check "healthz answers 200 ok" [ "$STATUS" = 200 -a "$(jbody .status)" = ok ]

req POST /v1/tickets "$C1" "$TICKET_BODY"
check "POST /v1/tickets answers 201" [ "$STATUS" = 201 ]
T1=$(jbody .id)
check "the ticket id is opaque T..." matches "$T1" "^T[0-9a-f]{20}$"
check "Location names the ticket" [ "$(header Location)" = "/v1/tickets/$T1" ]
check "status acknowledged, priority high" [ "$(jbody .status)/$(jbody .priority)" = "acknowledged/high" ]
check "created_at is RFC 3339 UTC with ms" matches "$(jbody .created_at)" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[.][0-9]{3}Z$"
check "the customer sees one timeline entry" [ "$(jbody '.timeline | length')" = 1 ]
check "the customer does not see assignments" [ "$(jbody '.assignments')" = null ]

req GET "/v1/tickets/$T1" "$C1"
check "the customer reads its ticket back" [ "$STATUS" = 200 -a "$(jbody .summary)" = "No internet since this morning" ]
req GET "/v1/tickets/$T1" "$LEAD"
check "the lead reads it with one live assignment" [ "$STATUS" = 200 -a "$(jbody '.assignments | length')" = 1 ]
check "the rules give it to the region's internet provider" [ "$(jbody '.assignments[0].partner')" = fibernet -a "$(jbody '.assignments[0].state')" = assigned ]
check "the assignment names the rule that decided" [ "$(jbody '.assignments[0].rule')" = internet-access -a "$(jbody .rule)" = internet-access ]
check "the lead sees bundle and region from the customer record" [ "$(jbody .bundle)/$(jbody .region)" = triple-play/north ]
req GET "/v1/tickets/$T1" "$C2"
check "another customer gets 404 for it" [ "$STATUS" = 404 -a "$(jbody .error.code)" = not_found ]
req GET "/v1/tickets/$T1/evidence" "$C2"
check "another customer gets 404 for its evidence" [ "$STATUS" = 404 ]
req GET "/v1/tickets/T0000000000000000000" "$C1"
check "an unknown ticket is 404 too" [ "$STATUS" = 404 ]

for i in 1 2 3 4; do req POST /v1/tickets "$C1" "$TICKET_BODY"; done
req POST /v1/tickets "$C2" '{"summary":"Dead line","description":"","service":"phone","symptom":"no_dial_tone"}'
T2=$(jbody .id)
check "priority defaults to normal" [ "$(jbody .priority)" = normal ]
req GET "/v1/tickets?limit=2" "$C1"
check "a page of 2 with a cursor" [ "$(jbody '.items | length')" = 2 -a "$(jbody .next_cursor)" != null ]
seen=$(jbody '.items[].id')
CUR=$(jbody .next_cursor)
while [ "$CUR" != null ]; do
    req GET "/v1/tickets?limit=2&cursor=$CUR" "$C1"
    seen="$seen $(jbody '.items[].id')"
    CUR=$(jbody .next_cursor)
done
check "paging yields the customer's 5 tickets once each" [ "$(echo $seen | tr ' ' '\n' | sort -u | wc -l)" = 5 ]
check "paging never yields another customer's ticket" [ -z "$(echo $seen | tr ' ' '\n' | grep -x "$T2")" ]
req GET "/v1/tickets?limit=200" "$LEAD"
check "the lead lists all 6 tickets, newest first" [ "$(jbody '.items | length')" = 6 -a "$(jbody '.items[0].id')" = "$T2" ]
req GET "/v1/tickets?limit=0" "$LEAD"
check "limit=0 is 400 invalid_parameter" [ "$STATUS" = 400 -a "$(jbody .error.field)" = limit ]
req GET "/v1/tickets?cursor=bogus" "$LEAD"
check "a malformed cursor is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = cursor ]

req GET "/v1/tickets/$T1/evidence" "$C1"
check "the customer fetches its evidence" [ "$STATUS" = 200 ]
cp "$TMP/body" "$TMP/ev.json"
check "the evidence verifies with only the public key" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$(cat "$TMP/pubkey")"
check "the evidence holds the creation event" [ "$(jq -r '.events[0].event | fromjson | .type' "$TMP/ev.json")" = ticket.created ]
check "its checkpoint names the federation" [ "$(jq -r .checkpoint "$TMP/ev.json" | head -1)" = seam.northwind.example/federation ]
other=$(mktemp -d)
"$SEAMCTL" -d "$other/d" init >"$other/pub"
refute "the evidence fails with another key" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$other/pub" 2>/dev/null
rm -rf "$other"

req GET /v1/audit/checkpoint "$AUD"
check "the auditor reads the checkpoint: 6 events" [ "$STATUS" = 200 -a "$(jbody .tree_size)" = 6 ]
req GET "/v1/tickets/$T1" "$AUD"
check "the auditor reads audit material only, not tickets (404)" [ "$STATUS" = 404 ]
req GET "/v1/tickets/$T1/evidence" "$AUD"
check "... but a ticket's evidence" [ "$STATUS" = 200 ]
req GET /v1/audit/checkpoint "$C1"
check "a customer may not read the audit checkpoint (404)" [ "$STATUS" = 404 ]

req GET /v1/no/such/thing "$LEAD"
req GET /metrics ""
check "metrics count a request no endpoint matched as unmatched" grep -q 'seam_http_requests_total{endpoint="unmatched",code="404"} 1$' "$TMP/body"
check "... and the table's last endpoint under its own name, its 200 once" \
    grep -q 'seam_http_requests_total{endpoint="audit_checkpoint",code="200"} 1$' "$TMP/body"
check "metrics count the 201s" grep -q 'seam_http_requests_total{endpoint="tickets_create",code="201"} 6' "$TMP/body"
check "metrics show the store size" grep -q '^seam_store_used_bytes [1-9]' "$TMP/body"

stop_broker
check "seamctl verify passes on the store" ctl verify
check "the broker logged one line per request" [ "$(grep -c ' req=' "$TMP"/broker.*.log)" -ge 20 ]
finish
