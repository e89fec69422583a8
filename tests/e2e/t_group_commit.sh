#!/usr/bin/env bash
# Group commit: under 64 concurrent writers the writer commits several
# requests per durable commit (the mean batch size in /metrics is above 1),
# and every request is answered 201 with nothing lost.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
start_broker
N=640
{
    for i in $(seq 1 $N); do
        echo "url = \"$(URL /v1/tickets)\""
        echo "output = \"/dev/null\""
    done
} >"$TMP/curl.cfg"
curl -s --no-progress-meter -Z --parallel-max 64 -X POST -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json' --data-binary "$TICKET_BODY" \
    -w '%{http_code}\n' -K "$TMP/curl.cfg" >"$TMP/codes"
check "all $N concurrent requests answered 201" [ "$(grep -c '^201$' "$TMP/codes")" = "$N" ]
req GET /metrics ""
mean=$(sed -n 's/^seam_store_batch_size_mean //p' "$TMP/body")
batches=$(sed -n 's/^seam_store_batches_total //p' "$TMP/body")
echo "# mean batch size $mean over $batches commits"
check "mean batch size above 1 ($mean)" awk -v m="$mean" 'BEGIN { exit !(m > 1) }'
check "fewer durable commits than writes ($batches < $N)" [ "$batches" -lt "$N" ]
check "the log holds every ticket" [ "$(tree_size)" = "$N" ]
stop_broker
check "seamctl verify passes" ctl verify
finish
