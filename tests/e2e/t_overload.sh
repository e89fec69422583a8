#!/usr/bin/env bash
# e2e: alone
# Overload: with the writer's queue full, writes are refused with 503 and
# Retry-After, nothing half-done is left, and the broker stays up. Slow
# clients (one byte a second, in the headers or in the body) are dropped by
# the request deadline (limits.connection_timeout_s) without starving others.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)

# --- a writer queue of one, 64 writers at once
conf_with '.limits.queue_depth = 1 | .limits.batch_max = 1'
start_broker
N=320
for i in $(seq 1 $N); do echo "url = \"$(URL /v1/tickets)\""; echo 'output = "/dev/null"'; done >"$TMP/curl.cfg"
curl -s --no-progress-meter -Z --parallel-max 64 -X POST -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json' --data-binary "$TICKET_BODY" \
    -w '%{http_code} %header{retry-after}\n' -K "$TMP/curl.cfg" >"$TMP/codes"
created=$(grep -c '^201 ' "$TMP/codes")
busy=$(grep -c '^503 ' "$TMP/codes")
echo "# $created created, $busy refused"
check "every request is answered 201 or 503 ($created + $busy = $N)" [ $((created + busy)) = $N ]
check "a full writer queue answers 503" [ "$busy" -gt 0 ]
check "every 503 carries Retry-After" [ "$(grep '^503 ' "$TMP/codes" | grep -vc '^503 1$')" = 0 ]
req GET /healthz ""
check "the broker stays up under overload" [ "$STATUS" = 200 ]
check "the log holds exactly the tickets answered 201" [ "$(tree_size)" = "$created" ]
req POST /v1/tickets "$C1" "$TICKET_BODY"
check "once the burst is over, writes are accepted again" [ "$STATUS" = 201 ]
stop_broker

# --- slow clients against a 2 s request deadline
conf_with '.limits.connection_timeout_s = 2'
start_broker
# slow_client OUT HEADER SLOWPART: sends HEADER at once and SLOWPART one byte
# a second; writes the seconds until the broker closed the connection (or
# "finished" if it never did) to OUT.
slow_client() {
    trap '' PIPE
    local out=$1 head=$2 slow=$3 start=$SECONDS i rc line
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || { echo noconnect >"$out"; return; }
    printf '%s' "$head" >&3
    for ((i = 0; i < ${#slow}; i++)); do
        printf '%s' "${slow:i:1}" >&3 2>/dev/null || { echo $((SECONDS - start)) >"$out"; return; }
        read -r -t 1 -u 3 line
        rc=$?
        if [ $rc -le 128 ]; then echo $((SECONDS - start)) >"$out"; return; fi
    done
    echo finished >"$out"
}
HDR=$'POST /v1/tickets HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer '"$C1"$'\r\nContent-Type: application/json\r\nContent-Length: '"${#TICKET_BODY}"$'\r\n\r\n'
SLOWERS=24
pids=()
for k in $(seq 1 $SLOWERS); do
    if [ $((k % 2)) = 0 ]; then
        slow_client "$TMP/slow.$k" "" "$HDR$TICKET_BODY" & # slow in the headers
    else
        slow_client "$TMP/slow.$k" "$HDR" "$TICKET_BODY" & # slow in the body
    fi
    pids+=($!)
done
sleep 0.5
ok_others=0
for i in $(seq 1 20); do
    req POST /v1/tickets "$C1" "$TICKET_BODY"
    [ "$STATUS" = 201 ] && ok_others=$((ok_others + 1))
done
check "$SLOWERS slow clients (more than the broker's threads) starve no one: 20 of 20 writes answered" [ "$ok_others" = 20 ]
wait "${pids[@]}"
dropped=0 late=0
for k in $(seq 1 $SLOWERS); do
    v=$(cat "$TMP/slow.$k")
    if [[ "$v" =~ ^[0-9]+$ ]]; then
        dropped=$((dropped + 1))
        [ "$v" -le 10 ] || late=$((late + 1))
    else
        echo "# slow client $k: $v"
    fi
done
check "every slow client was dropped ($dropped of $SLOWERS)" [ "$dropped" = $SLOWERS ]
check "each within a few seconds of the 2 s deadline, long before its request could finish" [ "$late" = 0 ]
req GET /metrics ""
check "the drops are counted in /metrics" [ "$(sed -n 's/^seam_http_dropped_slow_total //p' "$TMP/body")" -ge $SLOWERS ]
check "the log says why" grep -q "dropped a connection that sent no complete request in 2s" "$TMP/broker.$STARTS.log"
# A keep-alive client that is merely idle between requests is not hurt: its
# next request on the same connection, after a pause under the deadline, works.
check "requests on a kept-alive connection still work" \
    curl -sf -o /dev/null -H "Authorization: Bearer $LEAD" "$(URL /healthz)" -: -sf -o /dev/null "$(URL /healthz)"
req GET /healthz ""
check "the broker is still up" [ "$STATUS" = 200 ]
finish
