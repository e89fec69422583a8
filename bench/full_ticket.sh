#!/usr/bin/env bash
# bench/full_ticket.sh [NFILL] [LOAD]: does a big ticket slow the others?
# (issue 14, finding 6). Files ticket A and fills it with NFILL notes of
# 7.9 KB (default 40: past the default limits, which refuse the rest), then
# times a short note on a fresh ticket B, alone and while 4 clients keep
# writing notes to A (LOAD "long": 7.9 KB notes, refused once A is full;
# "short": one-letter notes, taken until the record's limit). A manual
# measurement with the debug build (make all), not a test: it asserts
# nothing; compare the lines "B alone" and "B while ...". With NFILL 0 and
# LOAD short it gives the same load on a small ticket, for reference.
. "$(dirname "$0")/../tests/e2e/lib.sh"
NFILL=${1:-40}
LOAD=${2:-long}
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 triple-play north)
LEAD=$(new_token lead ops)
start_broker
req POST /v1/tickets "$C1" "$TICKET_BODY"
TA=$(jbody .id)
req POST /v1/tickets "$C2" "$TICKET_BODY"
TB=$(jbody .id)
printf '{"text":"%s"}' "$(head -c 7900 /dev/zero | tr '\0' n)" >"$TMP/long.json"
printf '{"text":"x"}' >"$TMP/short.json"
note() { # TOKEN TICKET FILE: prints status and seconds
    curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $1" \
        -H 'Content-Type: application/json' --data-binary @"$3" "$(URL "/v1/tickets/$2/notes")"
}
for _ in $(seq 1 "$NFILL"); do note "$C1" "$TA" "$TMP/long.json"; done >"$TMP/fill"
echo "fill of A: $(cut -d' ' -f1 "$TMP/fill" | sort | uniq -c | tr -s ' \n' ' ')"
req GET "/v1/tickets/$TA" "$LEAD"
echo "record of A: $(body | wc -c) bytes, $(jbody '.timeline | length') entries"
lat() { # N: median and p90 of N short notes on B
    for _ in $(seq 1 "$1"); do note "$C2" "$TB" "$TMP/short.json"; done | cut -d' ' -f2 | sort -n |
        awk '{a[NR] = $1} END {printf "median %.1f ms, p90 %.1f ms\n", a[int(NR / 2) + 1] * 1000, a[int(NR * 0.9)] * 1000}'
}
echo "B alone: $(lat 40)"
loaders=()
for k in 1 2 3 4; do
    (while :; do note "$C1" "$TA" "$TMP/$LOAD.json"; done >"$TMP/load$k") &
    loaders+=($!)
done
sleep 1
echo "B while 4 clients write $LOAD notes to A: $(lat 40)"
kill "${loaders[@]}" 2>/dev/null
wait "${loaders[@]}" 2>/dev/null
cat "$TMP"/load* | awk '$1 != "000" {n[$1]++; t[$1] += $2} END {for (c in n) printf "A: %d answered %s, mean %.1f ms\n", n[c], c, t[c] / n[c] * 1000}'
req GET "/v1/tickets/$TA" "$LEAD"
echo "record of A after: $(body | wc -c) bytes"
finish >/dev/null
