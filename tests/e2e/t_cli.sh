#!/usr/bin/env bash
# The command lines: seam-broker -n and its configuration errors (each naming
# the JSON path), seamctl's commands, their --help, their one-line failures,
# and that they work while the broker runs (hot backup included).
. "$(dirname "$0")/lib.sh"

check "seam-broker -n accepts the example federation" "$BROKER" -c "$CONF" -n
bad_conf() { # description jq-filter expected-text
    jq "$2" "$CONF" >"$TMP/bad.json"
    "$BROKER" -c "$TMP/bad.json" -n >"$TMP/out" 2>&1
    local rc=$?
    if [ $rc -ne 0 ] && grep -qF -- "$3" "$TMP/out"; then ok 0 "$1"; else ok 1 "$1"; cat "$TMP/out"; fi
}
bad_conf "an unknown top-level key is named" '.colour = "red"' '$.colour: unknown key'
bad_conf "an unknown nested key is named" '.partners[1].delivery.colour = 1' '$.partners[1].delivery.colour: unknown key'
bad_conf "a wrong type is named" '.max_bounces = "three"' '$.max_bounces: expected an integer'
bad_conf "a missing key is named" 'del(.lead.calendar)' '$.lead.calendar: missing required key'
bad_conf "a dangling partner in a bundle is named" '.bundles[0].services.tv = "nobody"' '$.bundles[0].services.tv: no partner "nobody"'
bad_conf "a partner without the service is named" '.bundles[0].services.tv = "fibernet"' 'partner "fibernet" does not provide "tv"'
bad_conf "a dangling SLA policy is named" '.partners[0].sla_policy = "gold"' '$.partners[0].sla_policy: no SLA policy "gold"'
bad_conf "a dangling calendar is named" '.sla_policies["lead-care"].calendar = "mars"' 'no calendar "mars"'
bad_conf "an unknown time zone is named" '.calendars["oslo-office"].timezone = "Europe/Atlantis"' 'not a known IANA time zone'
bad_conf "a bad span is named" '.calendars["oslo-office"].hours.mon = ["16:00-08:00"]' '$.calendars.oslo-office.hours.mon'
bad_conf "a rule's unknown owner is named" '.rules[0].owners = "provider_of:radio"' '$.rules[0].owners'
bad_conf "a rule's unknown vocabulary is named" '.rules[0].match.symptom = "smoke"' '"smoke" is not in the symptom vocabulary'
bad_conf "a missing default rule is refused" 'del(.rules[-1])' 'no default rule'
bad_conf "a push partner without url is refused" 'del(.partners[0].delivery.url)' 'a push partner needs'
bad_conf "a region without internet provider is named" 'del(.bundles[0].services.internet.south)' 'no provider for region "south"'
bad_conf "duplicate partner ids are refused" '.partners[2].id = "nordtel"' 'partner id "nordtel" is used twice'
printf '{"federation": "x",\n "listen": }' >"$TMP/broken.json"
"$BROKER" -c "$TMP/broken.json" -n >"$TMP/out" 2>&1
check "broken JSON names file, line and column" grep -q "broken.json:2:" "$TMP/out"
printf '{"a": 1, "a": 2}' >"$TMP/dup.json"
refute "duplicate keys are refused" "$BROKER" -c "$TMP/dup.json" -n
refute "a missing file is refused" "$BROKER" -c "$TMP/nope.json" -n
check "seam-broker --help" "$BROKER" --help
refute "seam-broker without -c is a usage error" "$BROKER"

refute "the broker refuses to start without a key" "$BROKER" -c "$CONF" -d "$TMP/none" -l 127.0.0.1:0

init_store
check "init prints the public key" matches "$(cat "$TMP/pubkey")" '^[A-Za-z0-9+/]{43}=$'
check "the secret key is mode 0600" [ "$(stat -c %a "$DATA/broker.key")" = 600 ]
check "key show prints the same key" [ "$(ctl key show)" = "$(cat "$TMP/pubkey")" ]
refute "init twice is refused" ctl init
check "... with a one-line reason" [ "$(wc -l <"$TMP/last.out")" = 1 ]
for c in init "key" "customer" "token" verify backup export verify-evidence; do
    check "seamctl $c --help" "$SEAMCTL" $c --help
done
refute "an unknown command fails" "$SEAMCTL" frobnicate 2>/dev/null
refute "a customer in an unknown bundle is refused" ctl customer add c9 --name N --bundle gold --region north 2>/dev/null
refute "a customer in an unknown region is refused" ctl customer add c9 --name N --bundle triple-play --region east 2>/dev/null
refute "a customer with a hostile id is refused" ctl customer add '../x' --name N --bundle triple-play --region north 2>/dev/null
refute "updating an unknown customer fails" ctl customer update ghost --region south
refute "an update to an unknown region is refused" ctl customer update c9 --region east
refute "an update needs something to change" ctl customer update c9
refute "a token for an unknown customer is refused" ctl token issue --role customer --subject ghost 2>/dev/null
refute "a token for an unknown partner is refused" ctl token issue --role partner --subject ghost 2>/dev/null
refute "a token of an unknown role is refused" ctl token issue --role admin --subject x 2>/dev/null
refute "revoking an unknown token fails" ctl token revoke 0123456789abcdef 2>/dev/null

start_broker
# While the broker runs: add a customer, issue a token, use it.
C1=$(new_customer c1)
check "customer add and token issue work while the broker runs" [ -n "$C1" ]
check "the token is printed alone" matches "$C1" '^seam_[A-Za-z0-9_-]{43}$'
P1=$(new_token partner nordtel)
check "a partner token is issued for a configured partner" [ -n "$P1" ]
req POST /v1/tickets "$C1" "$TICKET_BODY"
check "the new token files a complaint" [ "$STATUS" = 201 ]
T1=$(jbody .id)
req GET "/v1/tickets/$T1" "$P1"
check "a partner token may not read tickets through the customer API" [ "$STATUS" = 404 ]
ctl token issue --role customer --subject c1 >"$TMP/tok" 2>"$TMP/tokid"
TOKID=$(awk '{print $3}' "$TMP/tokid")
check "revoke by token id works while the broker runs" ctl token revoke "$TOKID"
req GET /v1/tickets "$(cat "$TMP/tok")"
check "the revoked token is refused at once" [ "$STATUS" = 401 ]
check "seamctl verify works while the broker runs" ctl verify
check "a hot backup works while the broker runs" ctl backup "$TMP/backup"
refute "a backup into a non-empty directory is refused" ctl backup "$TMP/backup" 2>/dev/null
check "the backup keeps the secret key private" [ "$(stat -c %a "$TMP/backup/broker.key")" = 600 ]
check "export works while the broker runs" sh -c "'$SEAMCTL' -d '$DATA' -c '$CONF' export $T1 >'$TMP/ev.json'"
refute "export of an unknown ticket fails" ctl export T0000000000000000000 2>/dev/null
stop_broker

check "the backup verifies on its own" "$SEAMCTL" -d "$TMP/backup" verify
DATA=$TMP/backup start_broker
req GET "/v1/tickets/$T1" "$C1"
check "a broker started on the backup serves the ticket" [ "$STATUS" = 200 ]
stop_broker
check "the exported evidence verifies with the key alone" "$SEAMCTL" verify-evidence "$TMP/ev.json" --key "$DATA/broker.pub"
check "verify-evidence reads stdin" sh -c "'$SEAMCTL' verify-evidence - --key '$DATA/broker.pub' <'$TMP/ev.json'"
finish
