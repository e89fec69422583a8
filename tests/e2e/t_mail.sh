#!/usr/bin/env bash
# E-mail both ways against real servers on loopback: an SMTP server
# (python3-aiosmtpd, tests/e2e/mail_sink.py, storing each message to a file)
# and an IMAP server (Dovecot, configured in the test's directory with a
# passwd-file user). A customer's whole life by e-mail: filed through the API,
# the acknowledgement, the owner's question, the reply by e-mail taking the
# ticket out of pending, the resolution. A reply fetched twice is applied once;
# a kill -9 between the commit and the send loses no mail and sends it once;
# mail queued while the relay is down arrives when it is back. Hostile mail
# (forged senders, another customer's ticket, malformed MIME, huge messages)
# goes to the lead's triage queue, never onto a ticket.
# e2e: long
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mail_lib.sh"

# --- the federation, with mail
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
conf_with '.mail = {"smtp_url": $smtp, "from": "support@northwind.example", "portal_url": "https://portal.northwind.example",
    "imap_url": $imap, "imap_user": "seam", "imap_password_file": $pw, "poll_ms": 200, "max_message_bytes": 16384,
    "complaint_facts": {"symptom": "no_service"}}
  | .delivery = {"retry_schedule_ms": [0, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300, 300]}
  | (.partners[] | select(.id == "fibernet") | .mail) = {"address": "desk@fibernet.example", "notify": ["assignment", "sla_warning"]}' \
    --arg smtp "smtp://127.0.0.1:$SMTP_PORT" --arg imap "$IMAP" --arg pw "$TMP/imap.pass"
check "the configuration with mail is valid" "$BROKER" -n -c "$CONF"
start_sink
start_broker


# --- the settings: address, language, preference
req PUT /v1/customers/c1/mail "$C1" '{"email":"c1@example.net","language":"en"}'
check "a customer sets its own address and language" [ "$STATUS $(jbody '.email + " " + .language + " " + (.notifications|tostring)')" = "200 c1@example.net en true" ]
req PUT /v1/customers/c2/mail "$LEAD" '{"email":"c2@example.net","language":"nb"}'
check "the lead sets a customer's address" [ "$STATUS" = 200 ]
req PUT /v1/customers/c2/mail "$C1" '{"email":"evil@example.net"}'
check "a customer cannot change another's (404)" [ "$STATUS $(jbody .error.code)" = "404 not_found" ]
req PUT /v1/customers/c1/mail "$C1" '{"email":"C2@Example.net"}'
check "another customer's address is refused (409), whatever its case" [ "$STATUS $(jbody .error.code) $(jbody .error.field)" = "409 address_taken email" ]
req PUT /v1/customers/c1/mail "$C1" '{"email":"not an address"}'
check "a bad address is refused (400, field email)" [ "$STATUS $(jbody .error.code) $(jbody .error.field)" = "400 invalid_field email" ]
req PUT /v1/customers/c1/mail "$C1" '{"language":"xx"}'
check "a language without templates is refused (400, field language)" [ "$STATUS $(jbody .error.field)" = "400 language" ]
req PUT /v1/customers/c1/mail "$C1" '{"notifications":"no"}'
check "notifications must be a boolean (400)" [ "$STATUS $(jbody .error.field)" = "400 notifications" ]
req PUT /v1/customers/c1/mail "" '{"language":"en"}'
check "no token: 401" [ "$STATUS" = 401 ]
req PUT /v1/customers/c1/mail "$C1" '{}'
check "the refusals changed nothing" [ "$(jbody '.email + " " + .language')" = "c1@example.net en" ]

# --- a customer's whole life by e-mail
req POST /v1/tickets "$C1" "$TICKET_BODY"
T1=$(jbody .id)
check "the acknowledgement arrives" eventually 10 has_mail c1@example.net "received"
check "its Message-ID is the ticket's thread root" [ "$(mail_field c1@example.net received Message-ID)" = "<$T1@northwind.example>" ]
check "it is text/plain; charset=utf-8, quoted-printable" grep -q -x -F -e $'Content-Type: text/plain; charset=utf-8\r' "$(grep -l -F "Message-ID: <$T1@northwind.example>" "$SINK"/*.eml)"
check "it has a Date" [ -n "$(mail_field c1@example.net received Date)" ]
check "it offers List-Unsubscribe" matches "$(mail_field c1@example.net received List-Unsubscribe)" "mailto:support@northwind.example\?subject=unsubscribe"
check "it links to the portal" matches "$(mail_field c1@example.net received body)" "https://portal.northwind.example/tickets/$T1"
check "the partner's desk is told of its new assignment" eventually 10 has_mail desk@fibernet.example "New assignment"
req GET /v1/assignments "$FIB"
A1=$(jq -r --arg t "$T1" '.items[] | select(.ticket == $t) | .id' "$TMP/body")
req POST "/v1/assignments/$A1/ack" "$FIB" '{}'
req POST "/v1/assignments/$A1/need-info" "$FIB" '{"question":"Is the router plugged in and are its lights on?"}'
check "the question is asked (200)" [ "$STATUS" = 200 ]
check "the question arrives" eventually 10 has_mail c1@example.net "question"
check "the question mail carries the owner's question" matches "$(mail_field c1@example.net question body)" "Is the router plugged in"
Q_ID=$(mail_field c1@example.net question Message-ID)
check "the question threads to the ticket (In-Reply-To, References)" [ "$(mail_field c1@example.net question In-Reply-To) $(mail_field c1@example.net question References)" = "<$T1@northwind.example> <$T1@northwind.example>" ]
req GET "/v1/tickets/$T1" "$C1"
check "the ticket is pending" [ "$(jbody .status)" = pending ]

reply() { # FILE MESSAGE-ID FROM IN-REPLY-TO SUBJECT TEXT
    printf 'From: Customer <%s>\r\nTo: support@northwind.example\r\nSubject: %s\r\nMessage-ID: %s\r\nIn-Reply-To: %s\r\nReferences: %s\r\nDate: Tue, 01 Dec 2026 05:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n\r\nOn Tue, 1 Dec 2026, support@northwind.example wrote:\r\n> To go on with your complaint we need an answer from you:\r\n> Is the router plugged in?\r\n' \
        "$3" "$5" "$2" "$4" "$4" "$6" >"$1"
}
reply "$TMP/r1.eml" "<reply-1@example.net>" c1@example.net "$Q_ID" "Re: A question" "Yes, it is plugged in; every light is red."
append "$TMP/r1.eml"
leaves_pending() { req GET "/v1/tickets/$T1" "$C1"; [ "$(jbody .status)" = inProgress ]; }
check "the reply by e-mail takes the ticket out of pending" eventually 15 leaves_pending
req GET "/v1/tickets/$T1" "$C1"
check "the reply is the ticket's note, without the quoted history" [ "$(jq -r '[.timeline[] | select(.text == "Yes, it is plugged in; every light is red.")] | length' "$TMP/body")" = 1 ]
check "nothing quoted reached the ticket" [ "$(jq -r '[.timeline[] | select((.text // "") | test("wrote:|^>"))] | length' "$TMP/body")" = 0 ]
# The same reply fetched again (a second copy in the mailbox): applied once.
append "$TMP/r1.eml"
check "the second copy is processed" eventually 15 all_processed
req GET "/v1/tickets/$T1" "$C1"
check "a reply processed twice is applied once" [ "$(jq -r '[.timeline[] | select(.text == "Yes, it is plugged in; every light is red.")] | length' "$TMP/body")" = 1 ]
req POST "/v1/assignments/$A1/resolve" "$FIB" '{"resolution":"Replaced the line card at the street cabinet."}'
check "the resolution arrives" eventually 10 has_mail c1@example.net "resolved"
check "the resolution mail carries the public timeline entry" matches "$(mail_field c1@example.net resolved body)" "Replaced the line card"
NA=$(mails_to desk@fibernet.example "New assignment")
req POST "/v1/tickets/$T1/reopen" "$C1" '{"reason":"The lights are red again."}'
check "reopened (200)" [ "$STATUS" = 200 ]
check "the customer is told it is open again, with its reason" eventually 10 has_mail c1@example.net "open again"
check "the reopen mail carries the reason" matches "$(mail_field c1@example.net "open again" body)" "The lights are red again"
new_round() { [ "$(mails_to desk@fibernet.example "New assignment")" -gt "$NA" ]; }
check "the partner's desk is told of the new round's claim" eventually 10 new_round

# --- Norwegian, encoded subject
req POST /v1/tickets "$C2" "$TICKET_BODY"
T2=$(jbody .id)
check "a Norwegian customer gets the Norwegian acknowledgement" eventually 10 has_mail c2@example.net "Vi har mottatt"
check "its subject is RFC 2047 encoded on the wire" grep -q -E '^Subject: =\?UTF-8\?B\?' "$(grep -l -F "Message-ID: <$T2@northwind.example>" "$SINK"/*.eml)"

# --- hostile mail: each goes to the lead's triage queue, none onto a ticket
req GET "/v1/tickets/$T1" "$LEAD"
EV1=$(jq '.timeline | length' "$TMP/body")
reply "$TMP/h1.eml" "<forged-1@example.net>" c2@example.net "<$T1@northwind.example>" "Re: x" "Cancel all of this, says someone else."
append "$TMP/h1.eml"
reply "$TMP/h2.eml" "<forged-2@example.net>" stranger@evil.example "<$T1@northwind.example>" "Re: x" "I am not a customer."
append "$TMP/h2.eml"
printf 'From: c1@example.net\r\nTo: support@northwind.example\r\nSubject: broken\r\nMessage-ID: <mime-1@example.net>\r\nIn-Reply-To: <%s@northwind.example>\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nno boundary declared\r\n--x--\r\n' "$T1" >"$TMP/h3.eml"
append "$TMP/h3.eml"
{ printf 'From: c1@example.net\r\nTo: support@northwind.example\r\nSubject: =?UTF-8?B?U3TDuHJyZSB2ZWRsZWdn?=\r\nMessage-ID: <huge-1@example.net>\r\nIn-Reply-To: <%s@northwind.example>\r\n\r\n' "$T1"; head -c 40000 /dev/zero | tr '\0' 'a'; printf '\r\n'; } >"$TMP/h4.eml"
append "$TMP/h4.eml"
check "the hostile messages are processed" eventually 15 all_processed
req GET /v1/mail/triage "$LEAD"
cp "$TMP/body" "$TMP/triage.json"
reason_of() { jq -r --arg m "$1" '.items[] | select(.message_id == $m) | .reason' "$TMP/triage.json"; }
check "a reply from another customer's address naming this ticket is triaged" matches "$(reason_of '<forged-1@example.net>')" "not the customer"
check "a reply from an unknown address is triaged" matches "$(reason_of '<forged-2@example.net>')" "not the customer"
check "malformed MIME is triaged" matches "$(reason_of '<mime-1@example.net>')" "boundary"
check "a huge message is triaged by its head, its subject decoded" [ "$(jq -r '.items[] | select(.message_id == "<huge-1@example.net>") | .subject' "$TMP/triage.json")" = "Større vedlegg" ]
req GET "/v1/tickets/$T1" "$LEAD"
check "none of them touched the ticket" [ "$(jq '.timeline | length' "$TMP/body")" = "$EV1" ]
req GET /v1/mail/triage "$C1"
check "the triage queue is the lead's alone (a customer: 403 or 404)" matches "$STATUS" "^40[34]$"

# --- a new complaint by e-mail, routed with the facts the lead's desk then sets
printf 'From: "Customer One" <c1@example.net>\r\nTo: support@northwind.example\r\nSubject: =?ISO-8859-1?Q?TV_p=E5_stua?= is dark\r\nMessage-ID: <new-1@example.net>\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThe TV in the living room shows nothing since yesterday.=0D=0A\r\n' >"$TMP/n1.eml"
append "$TMP/n1.eml"
filed_by_mail() { all_tickets 'select(.summary | test("TV på stua")) | .id' "$TMP/filed"; [ -s "$TMP/filed" ]; }
check "a mail from a known customer to the support address files a complaint" eventually 15 filed_by_mail
T4=$(head -1 "$TMP/filed" | tr -d '"')
req GET "/v1/tickets/$T4" "$LEAD"
check "the complaint filed by mail came by the channel email" [ "$(jbody .channel)" = email ]
ack4() { [ "$(count_id "<$T4@northwind.example>")" = 1 ]; }
check "the complaint filed by mail is acknowledged by mail" eventually 10 ack4
req POST "/v1/tickets/$T4/facts" "$LEAD" '{"reason":"From the customer'"'"'s mail","facts":{"service":"tv","symptom":"no_signal"}}'
check "the lead's desk sets its facts" [ "$STATUS" = 200 ]

# --- unsubscribe by mail (List-Unsubscribe's mailto)
printf 'From: c2@example.net\r\nTo: support@northwind.example\r\nSubject: unsubscribe\r\nMessage-ID: <unsub-1@example.net>\r\n\r\n\r\n' >"$TMP/u1.eml"
append "$TMP/u1.eml"
unsubscribed() { req PUT /v1/customers/c2/mail "$C2" '{}'; [ "$(jbody .notifications)" = false ]; }
check "a customer turns notifications off by mail" eventually 15 unsubscribed
N2=$(mails_to c2@example.net)
req POST "/v1/tickets/$T2/cancel" "$C2" '{"reason":"never mind"}'
req POST /v1/tickets "$C2" "$TICKET_BODY"
sleep 1
check "and gets no more mail" [ "$(mails_to c2@example.net)" = "$N2" ]

# --- kill -9 between the commit and the send: sent after the restart, once
echo refuse >"$SINK/refuse"
req POST /v1/tickets "$C1" '{"summary":"Phone dead","description":"No dial tone.","service":"phone","symptom":"no_dial_tone"}'
T5=$(jbody .id)
check "the filing is answered 201 while the relay refuses mail" [ "$STATUS" = 201 ]
kill9_broker
rm -f "$SINK/refuse"
start_broker
ack5() { [ "$(count_id "<$T5@northwind.example>")" -ge 1 ]; }
check "after the restart the acknowledgement is sent" eventually 15 ack5
sleep 1
check "once per Message-ID" [ "$(count_id "<$T5@northwind.example>")" = 1 ]

# --- the relay down for a while: the mails arrive once it is back
stop_sink
req GET "/v1/tickets/$T5" "$LEAD"
req POST "/v1/tickets/$T5/assign" "$LEAD" '{"partner":"lead","reason":"We take it."}'
req GET "/v1/tickets/$T5" "$LEAD"
AL=$(jq -r '[.assignments[] | select(.state == "assigned")] | last | .id' "$TMP/body")
req POST "/v1/assignments/$AL/resolve" "$LEAD" '{"resolution":"The exchange port was reset."}'
check "the lead resolves while the relay is down (200)" [ "$STATUS" = 200 ]
mail_pending() { req GET "/v1/deliveries?channel=mail&state=pending" "$LEAD"; [ "$(jq '[.items[] | select(.attempts >= 1)] | length' "$TMP/body")" -ge 1 ]; }
check "the lead sees the mail pending, tried and failed, on channel mail" eventually 10 mail_pending
check "its delivery names its channel and recipient" [ "$(jq -r '.items[0] | .channel + " " + .rcpt' "$TMP/body")" = "mail c1@example.net" ]
start_sink
resolved5() { grep -l "Phone dead" "$SINK"/*.eml 2>/dev/null | xargs -r grep -l "is resolved" | grep -q .; }
check "the resolution of the phone complaint arrives after the relay returns" eventually 15 resolved5

# --- a mail whose tries are spent: a dead letter on channel mail, sent again by the lead
echo refuse >"$SINK/refuse"
req POST "/v1/tickets/$T5/confirm" "$C1" '{}'
check "the customer confirms (200) while the relay refuses" [ "$STATUS" = 200 ]
mail_dead() { req GET "/v1/deliveries?channel=mail&state=failed" "$LEAD"; [ "$(jq '[.items[] | select(.type == "mail.closed")] | length' "$TMP/body")" = 1 ]; }
check "its tries spent, the mail is a dead letter the lead lists by channel" eventually 20 mail_dead
DEAD=$(jq -r '.items[] | select(.type == "mail.closed") | .id' "$TMP/body")
check "the dead letter says the relay's refusal" [ "$(jq -r '.items[] | select(.type == "mail.closed") | .last_status' "$TMP/body")" = 451 ]
rm -f "$SINK/refuse"
req POST "/v1/deliveries/$DEAD/redeliver" "$LEAD" '{}'
check "the lead sends it again (200)" [ "$STATUS" = 200 ]
closed5() { grep -l "Phone dead" "$SINK"/*.eml 2>/dev/null | xargs -r grep -l "is closed" | grep -q .; }
check "and it arrives" eventually 10 closed5

# --- a partner's desk is told of an SLA warning on its claim (the test clock)
stop_broker
start_broker -T 2030-01-07T08:00:00Z
req POST /v1/tickets "$C1" '{"summary":"Slow line","description":"","service":"internet","symptom":"no_service"}'
T6=$(jbody .id)
req GET "/v1/tickets/$T6" "$LEAD"
A6=$(jq -r '.assignments[0].id' "$TMP/body")
check "the claim is fibernet's" [ "$(jq -r '.assignments[0].partner' "$TMP/body")" = fibernet ]
req POST /v1/test/clock "$LEAD" '{"advance_ms":7200000}'
check "fibernet's desk gets the SLA warning of its claim" eventually 15 has_mail desk@fibernet.example "SLA warning on assignment $A6"
check "the customer is not told of the partner's SLA" [ "$(mails_to c1@example.net "SLA")" = 0 ]

stop_sink
stop_imap
finish
