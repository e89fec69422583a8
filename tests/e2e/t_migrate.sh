#!/usr/bin/env bash
# A store written by the broker before the record module (commit c40e0dc;
# tests/fixtures/store-v1, made by its make.sh) opens with this broker,
# which re-encodes its records to format 2 at start (and stamps it 3) (once: a second start
# does nothing); seamctl verify passes before and after; the lead's view of
# each old ticket is the JSON that broker answered; new actions on old
# tickets work; the evidence export that broker made still verifies, and so
# does a new export of the same ticket; seamctl migrate is idempotent.
. "$(dirname "$0")/lib.sh"
FIX=$ROOT/tests/fixtures/store-v1
CONF=$FIX/seam.json
mkdir -m 700 "$DATA"
gunzip -c "$FIX/data.mdb.gz" >"$DATA/data.mdb"
cp "$FIX/broker.key" "$FIX/broker.pub" "$DATA/"
chmod 600 "$DATA/data.mdb" "$DATA/broker.key"
. "$FIX/tokens.env"
format() { mdb_dump -p -s meta "$DATA" | grep -A1 '^ format$' | tail -1 | tr -d ' '; }
heads() { # the head version of every record, one a line (values are the even lines of the dump)
    mdb_dump -s tickets "$DATA" | sed -n '/^HEADER=END$/,/^DATA=END$/p' | sed '1d;$d' |
        awk 'NR % 2 == 0 { print $1 }' | while read -r hex; do
            printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | jq -r '.head.v // 1'
        done
}

check "the old store has no format (1)" [ -z "$(format)" ]
check "seamctl verify passes on the old store" ctl verify
check "the old evidence export verifies" "$SEAMCTL" verify-evidence "$FIX/evidence.json" --key "$FIX/broker.pub"

chmod 600 "$DATA"/*.mdb # seamctl made lock.mdb with the umask
start_broker
check "the broker migrated the store at start" grep -q 'migrate: the store is at format 3' "$TMP/broker.1.log"
check "... logging its progress" grep -q 'migrate: 4 of 4 tickets done, 4 rewritten' "$TMP/broker.1.log"
OLD_VIEW='(.assignments[]?.sla | objects) |= with_entries(select(.key | test("_at$") | not)) |
    (.e2e | objects) |= del(.running_since_at)'
for f in "$FIX"/lead-T*.json; do
    t=$(basename "$f" .json)
    t=${t#lead-}
    req GET "/v1/tickets/$t" "$LEAD"
    # (but for the clocks' RFC 3339 times the view has since written beside the ms counters)
    check "the lead's view of old ticket $t is what the old broker answered" \
        [ "$STATUS" = 200 -a "$(jq -S "$OLD_VIEW" "$TMP/body")" = "$(jq -S . "$f")" ]
done
stop_broker
check "the store is at format 3" [ "$(format)" = 3 ]
check "every record carries version 2 in its head" [ "$(heads | sort -u)" = 2 ]
check "seamctl verify passes on the migrated store" ctl verify

chmod 600 "$DATA"/*.mdb # seamctl made lock.mdb with the umask
start_broker
refute "a second start migrates nothing" grep -q 'migrate:' "$TMP/broker.2.log"
req GET "/v1/tickets/$T2" "$LEAD"
A2=$(jbody '[.assignments[] | select(.state == "assigned")][0].id')
P2=$(jbody '[.assignments[] | select(.state == "assigned")][0].partner')
TOK=$FIB
[ "$P2" = skyview ] && TOK=$SKY
[ "$P2" = fibernet ] || [ "$P2" = skyview ] || TOK=$LEAD
req POST "/v1/assignments/$A2/ack" "$TOK" '{}'
check "an old ticket's live claim is acknowledged by its owner ($P2)" [ "$STATUS" = 200 ]
req POST "/v1/tickets/$T1/confirm" "$C1" '{}'
check "an old resolved ticket is confirmed by its customer" [ "$STATUS" = 200 ]
req POST "/v1/tickets/$T4/notes" "$C1" '{"text":"Still slow after the migration."}'
check "a note on an old TMF ticket" [ "$STATUS" = 200 -o "$STATUS" = 201 ]
req POST "/v1/tickets/$T3/cancel" "$C2" '{"reason":"It works again."}'
check "an old ticket is cancelled" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T1" "$LEAD"
check "the confirmed ticket is closed" [ "$(jbody .status)" = closed ]
req POST /v1/tickets "$C2" '{"summary":"Line noise","description":"","service":"phone","symptom":"no_dial_tone"}'
check "a new ticket on the migrated store" [ "$STATUS" = 201 ]
stop_broker

check "seamctl verify passes after new actions" ctl verify
check "the old evidence export still verifies" "$SEAMCTL" verify-evidence "$FIX/evidence.json" --key "$DATA/broker.pub"
ctl export "$T1" >"$TMP/ev1.json"
check "a new export of the old ticket verifies" "$SEAMCTL" verify-evidence "$TMP/ev1.json" --key "$DATA/broker.pub"
old_events() { jq -c '[.events[0:4][] | [.event, .signature]]' "$1"; }
check "... and begins with the old export's events" [ "$(old_events "$TMP/ev1.json")" = "$(old_events "$FIX/evidence.json")" ]
ctl migrate >"$TMP/migrate.out"
check "seamctl migrate on a migrated store does nothing" grep -q '^ok: the store is at format 3; 0 records rewritten' "$TMP/migrate.out"
finish
