#!/usr/bin/env bash
# Filing on behalf and the channel (issue 19, item 3): the lead's desk files
# POST /v1/tickets for a customer who called, naming the customer and the
# channel; every ticket records the way it came (web, email, phone, tmf621,
# api) in its signed creation event and in the views; the customer finds
# each in its own one list, however it was filed; the SLA report breaks its
# figures down by channel.
. "$(dirname "$0")/lib.sh"

init_store
C1=$(new_customer c1)
C2=$(new_customer c2)
LEAD=$(new_token lead ops)
FIBER=$(new_token partner fibernet)
AUD=$(new_token auditor audit-firm)
ctl user add c1/ann --kind customer >/dev/null 2>&1
ctl user add northwind/dan --kind desk >/dev/null 2>&1
DESK=$(ctl token issue --role lead --subject northwind/dan 2>/dev/null)
start_broker
ORIGIN="http://127.0.0.1:$PORT"

# A customer's session: the portal.
LINK=$(ctl user invite c1/ann 2>/dev/null)
curl -s -o /dev/null -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data-binary "$(jq -nc --arg l "$LINK" '{link: $l, password: "ann'"'"'s long password"}')" "$(URL /v1/password)"
curl -s -D "$TMP/sh" -o "$TMP/sb" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data-binary '{"user":"c1/ann","password":"ann'"'"'s long password"}' "$(URL /v1/sessions)"
SID=$(grep -i '^set-cookie:' "$TMP/sh" | sed -n 's/^[Ss]et-[Cc]ookie: __Host-seam_session=\([^;]*\);.*/\1/p' | head -1)
CSRF=$(jq -r .csrf_token "$TMP/sb")
check "the customer signs in" [ -n "$SID" -a -n "$CSRF" ]
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Cookie: __Host-seam_session=$SID" \
    -H "X-CSRF-Token: $CSRF" -H "Origin: $ORIGIN" -H 'Content-Type: application/json' \
    --data-binary "$TICKET_BODY" "$(URL /v1/tickets)")
check "filed over the portal (a session): 201" [ "$STATUS" = 201 ]
T_WEB=$(jbody .id)
check "the customer's view says web" [ "$(jbody .channel)" = web ]

# An attachment over the portal: the session's CSRF token and Origin, as for any change.
printf 'modem log\n' >"$TMP/log.txt"
sup() { # CSRF ORIGIN: an upload over the session; sets STATUS
    STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H "Cookie: __Host-seam_session=$SID" \
        ${1:+-H "X-CSRF-Token: $1"} ${2:+-H "Origin: $2"} -H 'Content-Type: text/plain' \
        --data-binary "@$TMP/log.txt" "$(URL "/v1/tickets/$T_WEB/attachments")")
}
sup "" "$ORIGIN"
check "an upload over the portal without the CSRF token is 403" [ "$STATUS" = 403 ]
sup "$CSRF" "http://evil.example"
check "an upload from another origin is 403" [ "$STATUS" = 403 ]
req GET "/v1/tickets/$T_WEB/attachments" "$C1"
check "... neither stored anything" [ "$(jbody '.items | length')" = 0 ]
sup "$CSRF" "$ORIGIN"
check "with both, the portal uploads (201)" [ "$STATUS" = 201 ]

req POST /v1/tickets "$C1" "$TICKET_BODY"
T_API=$(jbody .id)
check "filed with a token: api" [ "$STATUS" = 201 -a "$(jbody .channel)" = api ]

# The lead's desk, for a customer who called.
BODY_FOR=$(jq -c '. + {customer: "c1", channel: "phone"}' <<<"$TICKET_BODY")
req POST /v1/tickets "$DESK" "$BODY_FOR"
check "the lead's desk files for a named customer (201)" [ "$STATUS" = 201 ]
T_PHONE=$(jbody .id)
check "the lead's answer is the whole ticket, with its channel and customer" \
    [ "$(jbody .channel)" = phone -a "$(jbody .customer)" = c1 -a "$(jbody '.assignments[0].partner')" = fibernet ]
req POST /v1/tickets "$LEAD" "$(jq -c '. + {customer: "c1"}' <<<"$TICKET_BODY")"
check "the channel defaults to phone for the lead's desk" [ "$STATUS" = 201 -a "$(jbody .channel)" = phone ]
T_PHONE2=$(jbody .id)
req POST /v1/tickets "$LEAD" "$(jq -c '. + {customer: "c1", channel: "email"}' <<<"$TICKET_BODY")"
check "an e-mail the desk files by hand: email" [ "$STATUS" = 201 -a "$(jbody .channel)" = email ]
T_MAIL=$(jbody .id)

n_before=$(curl -s -H "Authorization: Bearer $LEAD" "$(URL '/v1/tickets?limit=200')" | jq '.items | length')
req POST /v1/tickets "$LEAD" "$TICKET_BODY"
check "the lead names the customer it files for (400 missing_field customer)" \
    [ "$STATUS" = 400 -a "$(jbody .error.code)" = missing_field -a "$(jbody .error.field)" = customer ]
req POST /v1/tickets "$LEAD" "$(jq -c '. + {customer: "nobody"}' <<<"$TICKET_BODY")"
check "an unknown customer is 400 naming the field" [ "$STATUS" = 400 -a "$(jbody .error.field)" = customer ]
req POST /v1/tickets "$LEAD" "$(jq -c '. + {customer: "c1", channel: "fax"}' <<<"$TICKET_BODY")"
check "an unknown channel is 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = channel ]
req POST /v1/tickets "$LEAD" "$(jq -c '. + {customer: "c1", channel: "tmf621"}' <<<"$TICKET_BODY")"
check "tmf621 is the TMF621 face's alone (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = channel ]
req POST /v1/tickets "$C1" "$(jq -c '. + {customer: "c2"}' <<<"$TICKET_BODY")"
check "a customer cannot file for another (400 unknown_field customer)" \
    [ "$STATUS" = 400 -a "$(jbody .error.field)" = customer ]
req POST /v1/tickets "$C1" "$(jq -c '. + {channel: "phone"}' <<<"$TICKET_BODY")"
check "a customer does not choose its channel (400)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = channel ]
req POST /v1/tickets "$FIBER" "$TICKET_BODY"
check "a partner does not file (404)" [ "$STATUS" = 404 ]
req POST /v1/tickets "$AUD" "$(jq -c '. + {customer: "c1"}' <<<"$TICKET_BODY")"
check "an auditor does not file (404)" [ "$STATUS" = 404 ]
n_after=$(curl -s -H "Authorization: Bearer $LEAD" "$(URL '/v1/tickets?limit=200')" | jq '.items | length')
check "the refusals filed nothing" [ "$n_before" = "$n_after" ]

# TMF621: the lead for a customer named in relatedParty.
req POST /tmf-api/troubleTicket/v4/troubleTicket "$LEAD" \
    '{"description":"Lights red.","severity":"Low","ticketType":"phone","relatedParty":[{"id":"c1","role":"customer"}]}'
T_TMF=$(jbody .id)
check "filed over TMF621 (201)" [ "$STATUS" = 201 -a -n "$T_TMF" ]
req GET "/v1/tickets/$T_TMF" "$LEAD"
check "its channel is tmf621" [ "$(jbody .channel)" = tmf621 ]

# The customer's one list holds every one, whichever way it came.
req GET "/v1/tickets?limit=200" "$C1"
for t in "$T_WEB" "$T_API" "$T_PHONE" "$T_PHONE2" "$T_MAIL" "$T_TMF"; do
    check "the customer's list holds $t" [ "$(jbody "[.items[] | select(.id == \"$t\")] | length")" = 1 ]
done
check "and shows the way each came" \
    [ "$(jbody "[.items[] | select(.id == \"$T_PHONE\") | .channel][0]")" = phone ]
req GET "/v1/tickets/$T_PHONE" "$C1"
check "the customer reads the ticket filed for it by phone" [ "$STATUS" = 200 -a "$(jbody .channel)" = phone ]
req GET "/v1/tickets/$T_PHONE" "$C2"
check "another customer does not (404)" [ "$STATUS" = 404 ]

# The signed creation event says the channel.
req GET "/v1/tickets/$T_PHONE/evidence" "$LEAD"
ev_open "$TMP/body" >"$TMP/ev"
check "the signed ticket.created event records the channel" [ "$(jq -r '.[0].data.channel' "$TMP/ev")" = phone ]
# (the acting user is a restricted value: the disclosure named actor.user)
check "and the desk user who filed" \
    [ "$(jbody '[.events[0].disclosures[]? | fromjson | select(.[1] == "actor.user") | .[2]][0]')" = northwind/dan ]

# The SLA report by channel.
req GET "/v1/audit/sla?by=channel" "$LEAD"
check "the SLA report breaks down by channel (200)" [ "$STATUS" = 200 -a "$(jbody .by.fact)" = channel ]
check "every channel is a row" [ "$(jbody '[.by.values[].value] | join(",")')" = web,email,phone,tmf621,api ]
check "phone: two tickets" [ "$(jbody '.by.values[] | select(.value == "phone") | .overall.tickets')" = 2 ]
check "web: one; tmf621: one; email: one" \
    [ "$(jbody '[.by.values[] | select(.value == "web" or .value == "tmf621" or .value == "email") | .overall.tickets] | join(",")')" = 1,1,1 ]
req GET "/v1/audit/sla?by=nonsense" "$LEAD"
check "an unknown breakdown is still 400" [ "$STATUS" = 400 -a "$(jbody .error.field)" = by ]

stop_broker
check "seamctl verify passes" ctl verify
"$ROOT/$BUILD/tests/tamper" "$DATA" edit-record "$T_PHONE" channel=web
ctl verify >"$TMP/verify.out" 2>&1
check "a record whose channel was edited: verify names it" \
    grep -q "ticket $T_PHONE: record's channel differs from its signed creation event" "$TMP/verify.out"
start_broker
finish
