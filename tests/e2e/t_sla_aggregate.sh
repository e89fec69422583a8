#!/usr/bin/env bash
# The SLA report from the aggregates equals the exact report from the
# records (?exact=1): every count exactly, every percentile within the
# stated relative error; for a day, a month, everything, one partner and
# the CSV. The data is built through the API over four days across a month's
# end on the test clock: several partners and priorities, acks in and out of
# time, breaches that come with the clock, hand-backs with reasons, claims
# bounced to the lead (disputed), resolutions, reopens. A bound inside a day
# is answered from the records; bad parameters are 400. A store written
# before the aggregates gets them at its first start, with progress in the
# log, and seamctl verify checks them (and names a ticket whose record was
# edited behind their back).
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only north)
C3=$(new_customer c3 triple-play south)
LEAD=$(new_token lead ops)
SKY=$(new_token partner skyview)
FIB=$(new_token partner fibernet)
NORD=$(new_token partner nordtel)
# The lead's calendar is in Europe/Oslo: its days start at 23:00Z in winter.
start_broker -T 2030-01-30T07:00:00Z
clock() { req POST /v1/test/clock "$LEAD" "{\"advance_ms\":$1}"; }
tok_of() { case $1 in skyview) echo "$SKY" ;; fibernet) echo "$FIB" ;; nordtel) echo "$NORD" ;; *) echo "$LEAD" ;; esac; }
live() { # TICKET -> "ASSIGNMENT PARTNER" of its first live claim, or nothing
    req GET "/v1/tickets/$1" "$LEAD"
    jbody '[.assignments[] | select(.state == "assigned" or .state == "acknowledged" or .state == "inProgress")][0] | select(. != null) | "\(.id) \(.partner)"'
}
act() { # TICKET ACTION [BODY]: the action on the ticket's live claim, by its owner
    local a p b=${3:-}
    [ -n "$b" ] || b='{}'
    read -r a p <<<"$(live "$1")"
    [ -n "$a" ] || return 1
    req POST "/v1/assignments/$a/$2" "$(tok_of "$p")" "$b"
}
SERVICES=('"service":"internet","symptom":"slow"' '"service":"tv","symptom":"no_signal"'
    '"service":"phone","symptom":"no_dial_tone"' '"service":"internet","symptom":"no_service"')
PRIOS=(low normal high urgent)
CUSTS=("$C1" "$C2" "$C3")
REASONS=(not_our_service customer_side)
n=0 bad=0
for day in 1 2 3 4; do
    ids=()
    for i in 0 1 2 3 4 5 6; do
        n=$((n + 1))
        req POST /v1/tickets "${CUSTS[$((n % 3))]}" "{\"summary\":\"s$n\",\"description\":\"\",${SERVICES[$((n % 4))]},\"priority\":\"${PRIOS[$(((n / 3) % 4))]}\"}"
        [ "$STATUS" = 201 ] || bad=$((bad + 1))
        ids+=("$(jbody .id)")
    done
    clock $((600000 * day))                 # some minutes: acks in time
    act "${ids[0]}" ack; act "${ids[2]}" ack; act "${ids[4]}" ack
    clock 3600000                             # an hour
    act "${ids[0]}" resolve '{"resolution":"fixed"}'
    act "${ids[2]}" handback "{\"reason\":\"${REASONS[$((day % 2))]}\",\"note\":\"not here\"}"
    act "${ids[2]}" ack
    for _ in 1 2 3 4 5; do                    # bounced until the lead holds it, disputed
        read -r a p <<<"$(live "${ids[3]}")"
        [ -z "$a" ] || [ "$p" = northwind ] && break
        req POST "/v1/assignments/$a/handback" "$(tok_of "$p")" '{"reason":"not_our_service","note":"no"}'
    done
    act "${ids[3]}" ack
    clock $((5 * 3600000))                    # five hours: late acks
    act "${ids[5]}" ack; act "${ids[6]}" ack
    act "${ids[4]}" resolve '{"resolution":"done"}'
    req POST "/v1/tickets/${ids[4]}/reopen" "${CUSTS[$(((n - 2) % 3))]}" '{"reason":"again"}'
    act "${ids[4]}" ack
    act "${ids[3]}" resolve '{"resolution":"lead fixed it"}'
    clock $((19 * 3600000 - 600000 * day))   # to the next morning: breaches come with the clock
    act "${ids[4]}" resolve '{"resolution":"done again"}'
    act "${ids[6]}" resolve '{"resolution":"late"}'
done
check "28 tickets filed over four days" [ "$bad" = 0 -a "$n" = 28 ]
sleep 1.5 # the scheduler's last breaches

# same QUERY: the aggregate report and the exact one agree
same() {
    local q=$1
    req GET "/v1/audit/sla?$q" "$LEAD"
    cp "$TMP/body" "$TMP/agg.json"
    req GET "/v1/audit/sla?${q}${q:+&}exact=1" "$LEAD"
    cp "$TMP/body" "$TMP/exact.json"
    local strip='del(.. | objects | .p50_min?, .p90_min?, .p99_min?) | del(.percentiles)'
    check "[$q] the aggregate report comes from the aggregates, bound stated" \
        [ "$(jq -r '.percentiles | "\(.source) \(.relative_error)"' "$TMP/agg.json")" = "aggregates 0.01" ]
    check "[$q] ?exact=1 comes from the records, exact" \
        [ "$(jq -r '.percentiles | "\(.source) \(.relative_error)"' "$TMP/exact.json")" = "records 0" ]
    check "[$q] every count is the same" [ "$(jq -S "$strip" "$TMP/agg.json")" = "$(jq -S "$strip" "$TMP/exact.json")" ]
    jq -n --slurpfile a "$TMP/agg.json" --slurpfile b "$TMP/exact.json" '
        [$a[0] | paths | select(.[-1] | tostring | test("^p[0-9]+_min$"))] as $ps
        | [$ps[] | . as $p | [($a[0] | getpath($p)), ($b[0] | getpath($p))]]
        | {n: length, set: [.[] | select(.[1] != null)] | length,
           off: [.[] | select((.[0] == null) != (.[1] == null)
                 or (.[0] != null and ((.[0] - .[1]) | if . < 0 then -. else . end) > 0.01 * .[1] + 1e-9))] | length}' >"$TMP/pct.json"
    check "[$q] every percentile within 1% of the exact one ($(jq -c . "$TMP/pct.json"))" \
        [ "$(jq .off "$TMP/pct.json")" = 0 -a "$(jq .set "$TMP/pct.json")" -gt 0 ]
}
same ""
check "the data has what the report counts: breaches, hand-backs by reason, disputes, late acks" \
    [ "$(jq '.overall | .breaches > 0 and .handbacks > 0 and .handback_reasons.customer_side > 0 and .handback_reasons.not_our_service > 0 and .disputed > 0 and .acknowledge.within_sla < .acknowledge.count and .end_to_end.resolved > 0' "$TMP/agg.json")" = true ]
check "... over several partners and the lead" [ "$(jq '.owners | length' "$TMP/agg.json")" -ge 3 ]
ALL=$(jq .overall.assignments "$TMP/agg.json")
same "from=2030-01-31&to=2030-02-01"                                 # a day (Oslo)
check "a day holds some of the claims, not all" [ "$(jq .overall.assignments "$TMP/agg.json")" -gt 0 -a "$(jq .overall.assignments "$TMP/agg.json")" -lt "$ALL" ]
same "from=2030-01-01&to=2030-02-01"                                 # January
same "from=2030-02-01&to=2030-03-01"                                 # February
same "from=2030-01-31T23:00:00Z"                                     # Oslo's 1 February, as an instant
same "partner=fibernet&from=2030-01-01"
same "to=2030-02-02"

# The CSV: the same columns; percentiles (columns 7-9, 13-15) within 1% and the rounding.
req GET "/v1/audit/sla?format=csv" "$LEAD"
cp "$TMP/body" "$TMP/agg.csv"
req GET "/v1/audit/sla?format=csv&exact=1" "$LEAD"
cp "$TMP/body" "$TMP/exact.csv"
cut_counts() { cut -d, -f1-6,10-12,16- "$1"; }
check "the CSV's counts are the same" [ "$(cut_counts "$TMP/agg.csv")" = "$(cut_counts "$TMP/exact.csv")" -a "$(wc -l <"$TMP/agg.csv")" -ge 4 ]
check "the CSV's percentiles are within 1%" awk -F, 'NR == FNR { for (i = 1; i <= NF; i++) a[FNR, i] = $i; next }
    FNR > 1 { for (i = 7; i <= 15; i++) if (i <= 9 || i >= 13) { x = a[FNR, i]; y = $i; d = x - y; if (d < 0) d = -d
        if ((x == "") != (y == "") || d > 0.01 * y + 0.011) { print "row " FNR " col " i ": " x " vs " y; bad = 1 } } }
    END { exit bad }' "$TMP/agg.csv" "$TMP/exact.csv"

# Bounds inside a day: the records answer.
req GET "/v1/audit/sla?from=2030-01-31T12:00:00Z" "$LEAD"
check "a bound inside a day is answered from the records" [ "$STATUS" = 200 -a "$(jbody .percentiles.source)" = records ]
req GET "/v1/audit/sla?exact=2" "$LEAD"
check "?exact=2 is 400 naming exact" [ "$STATUS" = 400 -a "$(jbody .error.field)" = exact ]
req GET "/v1/audit/sla?from=2030-02-30" "$LEAD"
check "a date that does not exist is 400 naming from" [ "$STATUS" = 400 -a "$(jbody .error.field)" = from ]
req GET "/v1/audit/sla?exact=1" "$SKY"
check "a partner cannot read the exact report either (404)" [ "$STATUS" = 404 ]
stop_broker
check "seamctl verify checks the aggregates and passes" ctl verify
ctl report sla --format csv >"$TMP/cli.csv"
check "seamctl report sla gives the aggregate CSV" [ "$(cat "$TMP/cli.csv")" = "$(cat "$TMP/agg.csv")" ]
"$ROOT/$BUILD/tests/tamper" "$DATA" edit-record "${ids[2]}" priority=normal # was low
ctl verify >"$TMP/verify.out" 2>&1
check "a record edited behind the aggregates' back: verify names its contribution" grep -q "ticket ${ids[2]}: its SLA aggregate contribution differs from its record" "$TMP/verify.out"

# --- a store written before the aggregates: built at the first start, checked by verify
FIX=$ROOT/tests/fixtures/store-v1
DATA=$TMP/old
CONF=$FIX/seam.json
mkdir -m 700 "$DATA"
gunzip -c "$FIX/data.mdb.gz" >"$DATA/data.mdb"
cp "$FIX/broker.key" "$FIX/broker.pub" "$DATA/"
chmod 600 "$DATA/data.mdb" "$DATA/broker.key"
. "$FIX/tokens.env"
start_broker
check "the broker builds the aggregates of an old store at start, with progress" grep -q 'sla aggregates: 4 of 4 tickets done' "$TMP/broker.$STARTS.log"
same ""
stop_broker
chmod 600 "$DATA"/*.mdb
start_broker
refute "a second start builds nothing" grep -q 'sla aggregates: building' "$TMP/broker.$STARTS.log"
stop_broker
check "seamctl verify passes on the built store" ctl verify
finish
