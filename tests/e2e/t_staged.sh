#!/usr/bin/env bash
# Staged writes: filings and actions are made ahead on the request's thread,
# against a snapshot, and the writer replays them. Under concurrent filings
# every id still goes into the store in its order: the evidence log's leaf
# order is the commit order, and ticket and assignment ids rise with it (a
# partner paging its queue by cursor never passes a claim committed later).
# Concurrent notes on one ticket, all staged on the same snapshot, are all
# kept: a stage whose ticket moved is done again by the writer, never
# replayed over the other.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play south)
LEAD=$(new_token lead ops)
start_broker

N=160 # per customer
file_many() { # TOKEN OUT
    local i
    for i in $(seq 1 $N); do
        echo "url = \"$(URL /v1/tickets)\""
        echo "output = \"/dev/null\""
    done >"$TMP/curl.$2.cfg"
    curl -s --no-progress-meter -Z --parallel-max 32 -X POST -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' --data-binary "$TICKET_BODY" \
        -w '%{http_code}\n' -K "$TMP/curl.$2.cfg" >"$TMP/codes.$2"
}
file_many "$C1" a &
FILER=$!
file_many "$C2" b
wait "$FILER"
check "all $((2 * N)) concurrent filings answered 201" \
    [ "$(cat "$TMP/codes.a" "$TMP/codes.b" | grep -c '^201$')" = "$((2 * N))" ]
metric() { curl -s "$(URL /metrics)" | sed -n "s/^$1 //p"; }
staged=$(metric seam_store_staged_total)
stale=$(metric seam_store_stale_stages_total)
echo "# $staged replayed from a stage, $stale stale"
check "filings were staged and replayed ($staged)" [ "${staged:-0}" -gt 0 ]
check "every filing was either replayed or done again ($staged + $stale >= $((2 * N)))" \
    [ $((staged + stale)) -ge $((2 * N)) ]

# Each ticket's first event's leaf (commit order), its id and its assignments' ids.
all_tickets '.id' "$TMP/ids"
: >"$TMP/views.cfg"
mkdir -p "$TMP/views"
while read -r id; do
    id=${id//\"/}
    printf 'url = "%s"\noutput = "%s"\nurl = "%s"\noutput = "%s"\n' \
        "$(URL "/v1/tickets/$id/evidence")" "$TMP/views/$id.evidence" \
        "$(URL "/v1/tickets/$id")" "$TMP/views/$id.ticket" >>"$TMP/views.cfg"
done <"$TMP/ids"
curl -s --no-progress-meter -Z --parallel-max 8 -H "Authorization: Bearer $LEAD" -K "$TMP/views.cfg"
# "LEAF ID ASSIGNMENT-IDS..." a ticket, from its evidence and its view
jq -r '(input_filename | split("/")[-1] | split(".")) as [$id, $kind]
    | if $kind == "evidence" then "\($id) 0 \(.events[0].leaf_index)"
      else "\($id) 1 \([.assignments[].id] | join(" "))" end' "$TMP"/views/* |
    sort -k1,1 -k2,2n |
    awk '$2 == 0 { leaf = $3; id = $1; next } $1 == id { $2 = ""; sub(/^[^ ]* +/, ""); print leaf, id, $0 }' \
        >"$TMP/order"
sort -n "$TMP/order" >"$TMP/by_leaf"
check "every ticket has its place in the log" [ "$(wc -l <"$TMP/by_leaf")" = "$((2 * N))" ]
check "ticket ids rise with the commit order" \
    sh -c "cut -d' ' -f2 '$TMP/by_leaf' | sort -c"
check "assignment ids rise with the commit order" \
    sh -c "cut -d' ' -f3- '$TMP/by_leaf' | tr ' ' '\n' | grep . | sort -c"
check "every ticket has an assignment" \
    [ "$(awk 'NF >= 3' "$TMP/by_leaf" | wc -l)" = "$((2 * N))" ]

# Twenty notes at once on one ticket: every one kept, in its own event.
req POST /v1/tickets "$C1" "$TICKET_BODY"
T=$(jbody .id)
for i in $(seq 1 20); do
    echo "url = \"$(URL "/v1/tickets/$T/notes")\""
    echo "output = \"/dev/null\""
done >"$TMP/notes.cfg"
before=$(metric seam_store_stale_stages_total)
curl -s --no-progress-meter -Z --parallel-max 20 -X POST -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json' --data-binary '{"text":"One more thing."}' \
    -w '%{http_code}\n' -K "$TMP/notes.cfg" >"$TMP/ncodes"
check "twenty concurrent notes answered 200" [ "$(grep -c '^200$' "$TMP/ncodes")" = 20 ]
echo "# $(($(metric seam_store_stale_stages_total) - before)) of the notes were stale and done again"
req GET "/v1/tickets/$T" "$LEAD"
check "the ticket's timeline holds all twenty notes" \
    [ "$(jq '[.timeline[] | select(.type == "ticket.note")] | length' "$TMP/body")" = 20 ]
check "and its log has 21 events" \
    [ "$(curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$T/evidence")" | jq '.events | length')" = 21 ]
stop_broker
check "seamctl verify passes" ctl verify
finish
