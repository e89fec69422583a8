#!/usr/bin/env bash
# A customer sees SLA events only for rules the lead made customer-visible
# (issue 14, finding 8): on the test clock two claims of fibernet breach
# their acknowledgement, one routed by internet-access (customer_visible)
# and one by internet-cpe (not). The customer's timeline (/v1 and TMF621)
# shows sla.warning and sla.breached of the first only; the lead sees both.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
start_broker -T 2030-01-07T08:00:00Z
sla_types() { jq -r '[.timeline[] | select(.type | startswith("sla.")) | .type] | unique | join(",")' "$TMP/body"; }

req POST /v1/tickets "$C1" '{"summary":"Down","description":"","service":"internet","symptom":"no_service"}'
TV=$(jbody .id)
req POST /v1/tickets "$C1" '{"summary":"Router","description":"","service":"internet","equipment":"router","symptom":"equipment_fault"}'
TH=$(jbody .id)
req GET "/v1/tickets/$TV" "$LEAD"
check "the first is routed by a customer-visible rule" [ "$(jbody '.rule + " " + (.customer_visible | tostring)')" = "internet-access true" ]
req GET "/v1/tickets/$TH" "$LEAD"
check "the second by one that is not" [ "$(jbody '.rule + " " + (.customer_visible | tostring)')" = "internet-cpe false" ]

# fibernet's acknowledgement is due in an hour (network-critical, round the clock).
req POST /v1/test/clock "$LEAD" '{"advance_ms":7200000}'
breached() { curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$1")" |
    jq -e '[.timeline[] | select(.type == "sla.breached")] | length > 0' >/dev/null; }
check "both claims breach on the test clock" eventually 10 sh -c "$(declare -f breached URL); PORT=$PORT LEAD=$LEAD; breached $TV && breached $TH"

req GET "/v1/tickets/$TH" "$LEAD"
check "the lead sees the warning and the breach of the non-visible rule's claim" [ "$(sla_types)" = "sla.breached,sla.warning" ]
check "... stored as internal entries" [ "$(jbody '[.timeline[] | select(.type | startswith("sla.")) | .visibility] | unique | join(",")')" = internal ]
req GET "/v1/tickets/$TV" "$LEAD"
check "and of the visible one's" [ "$(sla_types)" = "sla.breached,sla.warning" ]
check "... stored as public entries" [ "$(jbody '[.timeline[] | select(.type | startswith("sla.")) | .visibility] | unique | join(",")')" = public ]
req GET "/v1/tickets/$TH" "$C1"
check "the customer does not see them for the non-visible rule" [ "$STATUS" = 200 -a -z "$(sla_types)" ]
refute "... nothing of them in its view at all" grep -q 'sla\.' "$TMP/body"
req GET "/v1/tickets/$TV" "$C1"
check "the customer sees them for the customer-visible rule" [ "$(sla_types)" = "sla.breached,sla.warning" ]
req GET "/v1/tickets?limit=10" "$C1"
check "the list shows the same: the visible one's only" [ "$(jbody "[.items[] | select(.id == \"$TH\") | .timeline[] | select(.type | startswith(\"sla.\"))] | length")" = 0 -a "$(jbody "[.items[] | select(.id == \"$TV\") | .timeline[] | select(.type | startswith(\"sla.\"))] | length")" = 2 ]
req GET "$TMF/troubleTicket/$TH" "$C1"
check "TMF621: the customer reads its ticket of the non-visible rule" [ "$STATUS" = 200 ]
refute "... which says nothing of the SLA events" grep -q 'sla\.' "$TMP/body"
finish
