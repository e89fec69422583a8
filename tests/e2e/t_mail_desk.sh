#!/usr/bin/env bash
# E-mail, the lead's desk and the relay (issue 18, items 6-7): the triage
# queue emptied by the lead's desk (attach an item to a ticket as the
# customer's note, file it as a new complaint, dismiss it with a reason),
# each item once and never lost (a resolved item is listed by its state);
# SMTP AUTH at the relay with the password read from a file (a wrong one: a
# dead letter after the tries, never a silent loss; STARTTLS required
# against a relay without it: not sent); a partner's desk told in its own
# language, and its agents with an address of their own each told too (not
# a disabled one, nor another partner's). Real servers on loopback (mail_lib.sh).
# e2e: long
. "$(dirname "$0")/lib.sh"
SINK_AUTH=relay:relay-secret
. "$(dirname "$0")/mail_lib.sh"

init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
ctl user add northwind/mary --kind manager >/dev/null
MARY=$(new_token lead northwind/mary)
# The partner's agents: alice with an address from the start, bob given one
# through the API, carol disabled, dave another partner's.
check "seamctl user add --email gives an agent an address" ctl user add fibernet/alice --kind agent --email alice@fibernet.example
refute "... a malformed one is refused" ctl user add fibernet/eve --kind agent --email not-an-address
refute "... and adds no user" grep -q '^fibernet/eve ' <(ctl user list)
ctl user add fibernet/bob --kind agent >/dev/null
ctl user add fibernet/carol --kind agent --email carol@fibernet.example >/dev/null
ctl user disable fibernet/carol >/dev/null
ctl user add fibernet/sup --kind supervisor >/dev/null
ctl user add nordtel/dave --kind agent >/dev/null
check "seamctl user email sets one" ctl user email nordtel/dave dave@nordtel.example
check "user list shows the addresses" [ "$(ctl user list | grep -c ' mail=')" = 3 ]
SUP=$(new_token partner fibernet/sup)
NTS=$(new_token partner nordtel)
echo relay-secret >"$TMP/smtp.pass"
echo wrong-secret >"$TMP/smtp.bad"
mail_conf() { # PASSWORD-FILE [SMTP_TLS]
    conf_with '.mail = {"smtp_url": $smtp, "from": "support@northwind.example", "portal_url": "https://portal.northwind.example",
        "smtp_user": "relay", "smtp_password_file": $spw, "smtp_tls": $tls,
        "imap_url": $imap, "imap_user": "seam", "imap_password_file": $pw, "poll_ms": 200,
        "complaint_facts": {"symptom": "no_service"}}
      | .delivery = {"retry_schedule_ms": [0, 200, 200, 200]}
      | (.partners[] | select(.id == "fibernet")) += {"language": "nb", "mail": {"address": "desk@fibernet.example", "notify": ["assignment"]}}' \
        --arg smtp "smtp://127.0.0.1:$SMTP_PORT" --arg imap "$IMAP" --arg pw "$TMP/imap.pass" --arg spw "$1" --arg tls "${2:-try}"
}
mail_conf "$TMP/smtp.pass"
check "the configuration with SMTP AUTH is valid" "$BROKER" -n -c "$CONF"
cp "$CONF" "$TMP/good.json"
jq 'del(.mail.smtp_password_file)' "$TMP/good.json" >"$TMP/c.json"
refute "smtp_user without smtp_password_file is refused" "$BROKER" -n -c "$TMP/c.json"
jq '.mail.smtp_password_file = "/nonexistent/pass"' "$TMP/good.json" >"$TMP/c.json"
refute "an unreadable password file is refused" "$BROKER" -n -c "$TMP/c.json"
jq '.mail.smtp_tls = "sometimes"' "$TMP/good.json" >"$TMP/c.json"
refute "an unknown smtp_tls is refused" "$BROKER" -n -c "$TMP/c.json"
jq '(.partners[] | select(.id == "fibernet")).language = "xx"' "$TMP/good.json" >"$TMP/c.json"
refute "a partner's language without templates is refused" "$BROKER" -n -c "$TMP/c.json"
refute "the configuration holds no password" grep -q relay-secret "$CONF"
start_sink
start_broker

# --- a user's own address through the API
req PUT /v1/users/fibernet/bob/email "$SUP" '{"email":"not an address"}'
check "PUT a user's email: a malformed address is a 400 naming email" [ "$STATUS" = 400 -a "$(jbody .error.field)" = email ]
req PUT /v1/users/fibernet/bob/email "$NTS" '{"email":"bob@evil.example"}'
check "... another partner's user is not found (404)" [ "$STATUS" = 404 ]
req PUT /v1/users/fibernet/bob/email "$SUP" '{"email":"bob@fibernet.example"}'
check "... the supervisor sets its agent's (200, in the user's view)" [ "$STATUS" = 200 -a "$(jbody .email)" = bob@fibernet.example ]
req PUT /v1/users/fibernet/sup/email "$SUP" '{"email":"sup@fibernet.example"}'
req DELETE /v1/users/fibernet/sup/email "$SUP"
check "... and a user removes its own" [ "$STATUS" = 200 -a "$(jbody '.email // "none"')" = none ]
check "... which the store keeps (user list)" [ "$(ctl user list | grep -c ' mail=')" = 4 ]

# --- SMTP AUTH; the partner's desk in Norwegian
req PUT /v1/customers/c1/mail "$C1" '{"email":"c1@example.net"}'
req PUT /v1/customers/c2/mail "$C2" '{"email":"c2@example.net"}'
req POST /v1/tickets "$C1" "$TICKET_BODY"
T1=$(jbody .id)
check "the acknowledgement arrives through the relay requiring AUTH" eventually 10 has_mail c1@example.net "received"
check "... sent as the configured user" grep -q -F -x -e $'X-Auth-User: relay\r' "$(grep -l -F "Message-ID: <$T1@northwind.example>" "$SINK"/*.eml)"
check "the partner's desk is told in its language (nb)" eventually 10 has_mail desk@fibernet.example "Nytt oppdrag"
check "... with the Norwegian body" matches "$(mail_field desk@fibernet.example "Nytt oppdrag" body)" "Et nytt oppdrag er tildelt dere"
check "... and not in English" [ "$(mails_to desk@fibernet.example "New assignment")" = 0 ]
check "the partner's agent with an address is told too" eventually 10 has_mail alice@fibernet.example "Nytt oppdrag"
check "... and the one given an address through the API" eventually 10 has_mail bob@fibernet.example "Nytt oppdrag"
msgids() { for a in "$@"; do grep -l -F -e "X-Envelope-To: $a" "$SINK"/*.eml; done | xargs grep -h -i '^Message-ID:' | sort -u | wc -l; }
check "... each once, with a Message-ID of its own" \
    [ "$(mails_to alice@fibernet.example "")$(mails_to bob@fibernet.example "")$(msgids desk@fibernet.example alice@fibernet.example bob@fibernet.example)" = 113 ]
check "the disabled agent is not told, nor another partner's agent, nor one without an address" \
    [ "$(mails_to carol@fibernet.example "Nytt oppdrag")" = 0 -a "$(mails_to dave@nordtel.example "")" = 0 -a "$(mails_to sup@fibernet.example "")" = 0 ]
req POST /v1/tickets "$C2" "$TICKET_BODY"
T2=$(jbody .id)
eventually 10 has_mail c2@example.net "received"

# --- the triage queue
triage_mail() { # FILE MESSAGE-ID FROM TO SUBJECT TEXT [IN-REPLY-TO]
    {
        printf 'From: <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\n' "$3" "$4" "$5" "$2"
        [ -z "${7:-}" ] || printf 'In-Reply-To: %s\r\nReferences: %s\r\n' "$7" "$7"
        printf 'Date: Tue, 01 Dec 2026 05:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n' "$6"
    } >"$1"
    append "$1"
}
triage_mail "$TMP/m1.eml" "<m1@example.net>" c2@example.net support@northwind.example "Re: x" "About my line: still dead." "<$T1@northwind.example>"
triage_mail "$TMP/m2.eml" "<m2@example.net>" stranger@elsewhere.example support@northwind.example "My TV is dark" "Nothing on the TV since Sunday."
triage_mail "$TMP/m3.eml" "<m3@example.net>" c1@example.net billing@northwind.example "Line" "The line crackles too."
triage_mail "$TMP/m4.eml" "<m4@example.net>" offers@spam.example support@northwind.example "Cheap watches" "Buy now."
triage_mail "$TMP/m5.eml" "<m5@example.net>" stranger@elsewhere.example support@northwind.example "Again" "Hello?"
check "the mails are processed" eventually 15 all_processed
req GET /v1/mail/triage "$LEAD"
check "five open items in the queue" [ "$STATUS $(jbody '.items | length') $(jbody '[.items[].state] | unique | join(",")')" = "200 5 open" ]
tri() { jq -r --arg m "$1" '.items[] | select(.message_id == $m) | .id' "$TMP/body"; }
I1=$(tri "<m1@example.net>") I2=$(tri "<m2@example.net>") I3=$(tri "<m3@example.net>") I4=$(tri "<m4@example.net>") I5=$(tri "<m5@example.net>")
timeline_len() { req GET "/v1/tickets/$1" "$LEAD"; jq '.timeline | length' "$TMP/body"; }
L1=$(timeline_len "$T1")

req POST "/v1/mail/triage/$I1/attach" "$LEAD" "{\"ticket\":\"$T1\"}"
check "attaching another customer's mail to a ticket is refused (400, confirm_sender)" [ "$STATUS $(jbody .error.field)" = "400 confirm_sender" ]
req POST "/v1/mail/triage/$I1/attach" "$LEAD" '{"ticket":"T-NOPE"}'
check "attaching to no ticket is refused (400, ticket)" [ "$STATUS $(jbody .error.field)" = "400 ticket" ]
req POST "/v1/mail/triage/$I1/attach" "$LEAD" "{\"ticket\":\"$T1\",\"confirm_sender\":\"yes\"}"
check "confirm_sender must be a boolean (400)" [ "$STATUS $(jbody .error.field)" = "400 confirm_sender" ]
req POST "/v1/mail/triage/$I1/attach" "$LEAD" "{\"ticket\":\"$T1\",\"extra\":1}"
check "an unknown member is refused (400)" [ "$STATUS" = 400 ]
req POST "/v1/mail/triage/$I1/attach" "$FIB" "{\"ticket\":\"$T1\"}"
check "a partner cannot resolve triage items (403 or 404)" matches "$STATUS" "^40[34]$"
req POST "/v1/mail/triage/$I1/attach" "$C2" "{\"ticket\":\"$T2\"}"
check "nor can a customer (403 or 404)" matches "$STATUS" "^40[34]$"
req POST "/v1/mail/triage/tri_00000000000000ff/dismiss" "$LEAD" '{"reason":"x"}'
check "an unknown item: 404" [ "$STATUS" = 404 ]
check "the refusals touched no ticket" [ "$(timeline_len "$T1")" = "$L1" ]
req GET /v1/mail/triage "$LEAD"
check "... and no item" [ "$(jbody '.items | length')" = 5 ]

L2=$(timeline_len "$T2")
req POST "/v1/mail/triage/$I1/attach" "$MARY" "{\"ticket\":\"$T2\"}"
check "the lead's manager attaches a mail to its sender's ticket (200)" [ "$STATUS $(jbody .state) $(jbody .resolved_ticket)" = "200 attached $T2" ]
check "... recorded with who and when" [ "$(jbody .resolved_by)" = "lead:northwind/mary" -a -n "$(jbody .resolved_at)" ]
req GET "/v1/tickets/$T2" "$C2"
check "the mail is the customer's note on the ticket" [ "$(jq -r '[.timeline[] | select(.text == "About my line: still dead.")] | length' "$TMP/body")" = 1 ]
req GET "/v1/tickets/$T2/evidence" "$LEAD"
check "its signed event is the customer's" [ "$(jq -r '[.events[].event | fromjson | select(.data.text? == "About my line: still dead." or .type == "ticket.note") | .actor.role] | last' "$TMP/body")" = customer ]
req POST "/v1/mail/triage/$I1/attach" "$LEAD" "{\"ticket\":\"$T2\"}"
check "attaching it again: 409" [ "$STATUS $(jbody .error.code)" = "409 conflict" ]
req POST "/v1/mail/triage/$I1/dismiss" "$LEAD" '{"reason":"changed my mind"}'
check "dismissing an attached item: 409" [ "$STATUS" = 409 ]
check "the note is on the ticket once" [ "$(timeline_len "$T2")" = "$((L2 + 1))" ]

req POST "/v1/mail/triage/$I3/attach" "$LEAD" "{\"ticket\":\"$T1\"}"
check "a mail from the ticket's own customer is attached without confirmation" [ "$STATUS $(jbody .state)" = "200 attached" ]

req POST "/v1/mail/triage/$I2/file" "$LEAD" '{}'
check "filing a stranger's mail needs a customer (400, customer)" [ "$STATUS $(jbody .error.field)" = "400 customer" ]
req POST "/v1/mail/triage/$I2/file" "$LEAD" '{"customer":"c1"}'
check "... and confirm_sender when it is not the customer's address (400)" [ "$STATUS $(jbody .error.field)" = "400 confirm_sender" ]
req POST "/v1/mail/triage/$I2/file" "$LEAD" '{"customer":"c9","confirm_sender":true}'
check "... an existing customer (400)" [ "$STATUS $(jbody .error.field)" = "400 customer" ]
req POST "/v1/mail/triage/$I2/file" "$LEAD" '{"customer":"c1","confirm_sender":true}'
check "the lead files it for a customer, explicitly (200)" [ "$STATUS $(jbody .state) $(jbody .customer) $(jbody .sender_confirmed)" = "200 filed c1 true" ]
T3=$(jbody .resolved_ticket)
req GET "/v1/tickets/$T3" "$C1"
check "the complaint is the customer's, from the mail" [ "$STATUS $(jbody .summary)" = "200 My TV is dark" ]

req POST "/v1/mail/triage/$I4/dismiss" "$LEAD" '{}'
check "dismissing needs a reason (400)" [ "$STATUS $(jbody .error.field)" = "400 reason" ]
req POST "/v1/mail/triage/$I4/dismiss" "$LEAD" '{"reason":"Advertising."}'
check "the lead dismisses an item with a reason (200)" [ "$STATUS $(jbody .state) $(jbody .dismiss_reason)" = "200 dismissed Advertising." ]

# one item resolved by two desks at once: exactly one wins
RACE=()
for k in 1 2; do
    curl -s -o "$TMP/race$k" -w '%{http_code}\n' -X POST -H "Authorization: Bearer $LEAD" -H 'Content-Type: application/json' \
        --data-binary '{"reason":"duplicate of m2"}' "$(URL "/v1/mail/triage/$I5/dismiss")" >"$TMP/race$k.status" &
    RACE+=($!)
done
wait "${RACE[@]}"
check "two desks dismissing one item at once: one 200, one 409" [ "$(cat "$TMP/race1.status" "$TMP/race2.status" | sort | tr '\n' ' ')" = "200 409 " ]

req GET /v1/mail/triage "$LEAD"
check "the open queue is empty" [ "$STATUS $(jbody '.items | length')" = "200 0" ]
req GET "/v1/mail/triage?state=dismissed" "$LEAD"
check "dismissed items are still listed (?state=dismissed)" [ "$(jbody '[.items[].message_id] | join(" ")')" = "<m4@example.net> <m5@example.net>" ]
req GET "/v1/mail/triage?state=attached" "$LEAD"
check "attached ones too (?state=attached)" [ "$(jbody '.items | length')" = 2 ]
req GET "/v1/mail/triage?state=all&limit=2" "$LEAD"
check "all of them, by pages" [ "$(jbody '.items | length')" = 2 -a "$(jbody .next_cursor)" != null ]
req GET "/v1/mail/triage?state=gone" "$LEAD"
check "an unknown state is refused (400)" [ "$STATUS $(jbody .error.field)" = "400 state" ]
stop_broker
start_broker
req GET "/v1/mail/triage?state=filed" "$LEAD"
check "the resolutions outlive a restart" [ "$(jbody '.items[0].resolved_ticket')" = "$T3" ]

# --- a wrong SMTP password: the tries fail, a dead letter the lead sees
stop_broker
mail_conf "$TMP/smtp.bad"
start_broker
N=$(mails_to c1@example.net)
req POST /v1/tickets "$C1" '{"summary":"Phone dead","description":"","service":"phone","symptom":"no_dial_tone"}'
T4=$(jbody .id)
mail_dead() { req GET "/v1/deliveries?channel=mail&state=failed" "$LEAD"; [ "$(jq --arg t "$T4" '[.items[] | select(.body | tostring | contains($t))] | length' "$TMP/body")" -ge 1 ]; }
check "with a wrong password the mail is a dead letter after its tries" eventually 20 mail_dead
check "... the relay refused the AUTH" [ "$(cat "$SINK/auth_failures")" -ge 3 ]
check "... and nothing was delivered" [ "$(mails_to c1@example.net)" = "$N" ]
refute "the log never holds the password" grep -q wrong-secret "$TMP"/broker.*.log

# --- STARTTLS required against a relay that offers none: not sent
stop_broker
mail_conf "$TMP/smtp.pass" starttls
start_broker
F=$(cat "$SINK/auth_failures")
req POST /v1/tickets "$C2" '{"summary":"Phone dead too","description":"","service":"phone","symptom":"no_dial_tone"}'
T5=$(jbody .id)
tls_dead() { req GET "/v1/deliveries?channel=mail&state=failed" "$LEAD"; [ "$(jq --arg t "$T5" '[.items[] | select(.body | tostring | contains($t))] | length' "$TMP/body")" -ge 1 ]; }
check "with smtp_tls starttls and a relay without it, the mail is not sent" eventually 20 tls_dead
check "... and the credentials were never offered in clear" [ "$(cat "$SINK/auth_failures")" = "$F" -a "$(count_id "<$T5@northwind.example>")" = 0 ]
stop_broker
stop_sink
stop_imap
finish
