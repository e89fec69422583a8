#!/usr/bin/env bash
# Storage full. With a small maximum map size, and then on a small data
# volume (a tmpfs, where the machine lets us mount one): writes fail with 503
# storage_full and a clear log line, reads go on, nothing committed is
# damaged, and writes succeed again once space returns.
. "$(dirname "$0")/lib.sh"
C1=
# fill_until_full: posts tickets one after another (twenty a curl, over one
# connection) until one is refused, then one more; sets IDS (every one
# answered 201) and FULL_STATUS, FULL_CODE and FULL_RETRY (that last one's).
# One ticket more, as often as one still fits (pages freed by the last writes become free again
# once no reader holds them): the answer that ended it in $STATUS.
file_past_full() {
    local i
    for i in $(seq 1 100); do
        req POST /v1/tickets "$C1" "$TICKET_BODY"
        [ "$STATUS" = 201 ] || return 0
        IDS+=("$(jbody .id)")
    done
}
fill_until_full() {
    IDS=()
    FULL_STATUS=
    local batch i code refused=0
    mkdir -p "$TMP/fill"
    for batch in $(seq 1 150); do
        rm -f "$TMP/fill/"*
        for i in $(seq 1 20); do
            printf 'url = "%s"\noutput = "%s"\n' "$(URL /v1/tickets)" "$TMP/fill/$i.body"
        done >"$TMP/fill.cfg"
        curl -s --no-progress-meter -X POST -H "Authorization: Bearer $C1" \
            -H 'Content-Type: application/json' --data-binary "$TICKET_BODY" -K "$TMP/fill.cfg" \
            -w '%{http_code} %{filename_effective}\n' >"$TMP/fill.codes"
        while read -r code i; do
            if [ "$code" = 201 ]; then
                IDS+=("$(jq -r .id "$i")")
            else
                refused=1
            fi
        done <"$TMP/fill.codes"
        [ $refused = 0 ] || break
    done
    # A batch of twenty can be refused where one ticket still fits (a ticket's index entries wait
    # to be merged, so the space one filing needs varies): one at a time until one is refused.
    file_past_full
    FULL_STATUS=$STATUS
    FULL_CODE=$(jbody .error.code)
    FULL_RETRY=$(header Retry-After)
}
refute_grown() { ! grep -q "map grown" "$TMP/broker.$STARTS.log"; }
all_present() { # every id in IDS reads back 200 (eight requests at a time)
    local id
    for id in "${IDS[@]}"; do
        printf 'url = "%s"\noutput = "/dev/null"\n' "$(URL "/v1/tickets/$id")"
    done >"$TMP/present.cfg"
    curl -s --no-progress-meter -Z --parallel-max 8 -H "Authorization: Bearer $C1" \
        -K "$TMP/present.cfg" -w '%{http_code} %{url}\n' >"$TMP/present.codes"
    [ "$(grep -c '^200 ' "$TMP/present.codes")" = "${#IDS[@]}" ] ||
        { grep -v '^200 ' "$TMP/present.codes" | head -5; return 1; }
}

# --- the map limit
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
conf_with '.limits.map_size_mb = 1 | .limits.map_max_mb = 2'
start_broker
fill_until_full
echo "# ${#IDS[@]} tickets fit in a 2 MiB map"
check "a write beyond the map limit answers 503 storage_full" [ "$FULL_STATUS $FULL_CODE" = "503 storage_full" ]
check "with Retry-After" [ "$FULL_RETRY" = 1 ]
check "the log says the storage is full and what to do" grep -q "storage full; writes refused until space is freed or limits.map_max_mb is raised" "$TMP/broker.$STARTS.log"
check "the map grew to its limit before refusing" grep -q "map grown from_mb=1 to_mb=2" "$TMP/broker.$STARTS.log"
req GET /healthz ""
check "the broker stays up" [ "$STATUS" = 200 ]
check "every ticket answered 201 reads back while full (${#IDS[@]})" all_present
file_past_full
check "a second write is refused the same way, nothing half-done" [ "$STATUS $(jbody .error.code)" = "503 storage_full" ]
check "the evidence log holds exactly the tickets answered 201" [ "$(tree_size)" = "${#IDS[@]}" ]
stop_broker
check "seamctl verify passes on the full store" ctl verify
# Space returns: a larger map limit.
conf_with '.limits.map_size_mb = 1 | .limits.map_max_mb = 16'
start_broker
check "every ticket is still there after the restart" all_present
req POST /v1/tickets "$C1" "$TICKET_BODY"
check "writes succeed once the limit is raised" [ "$STATUS" = 201 ]
stop_broker
check "seamctl verify passes after recovering" ctl verify

# --- a full data volume, space freed while the broker runs
VOL=$TMP/vol
mkdir -p "$VOL"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=3m seam-test "$VOL" 2>/dev/null; then
    trap 'umount "$VOL" 2>/dev/null' EXIT
    DATA=$VOL/data
    CONF=$ROOT/conf/seam.json
    init_store
    C1=$(new_customer c1)
    LEAD=$(new_token lead ops)
    head -c $((1024 * 1024)) /dev/zero >"$VOL/ballast" # what the operator frees later
    start_broker
    fill_until_full
    echo "# ${#IDS[@]} tickets fit on the small volume"
    check "a write on a full disk answers 503 storage_full" [ "$FULL_STATUS $FULL_CODE" = "503 storage_full" ]
    check "the log says there is no space left on the data volume" grep -q "storage full: no space left on the data volume" "$TMP/broker.$STARTS.log"
    check "the map is not grown in vain when the disk is full" refute_grown
    check "every ticket answered 201 reads back while the disk is full" all_present
    rm -f "$VOL/ballast"
    req POST /v1/tickets "$C1" "$TICKET_BODY"
    check "once space is freed, writes succeed without a restart" [ "$STATUS" = 201 ]
    IDS+=("$(jbody .id)")
    check "the evidence log holds exactly the tickets answered 201" [ "$(tree_size)" = "${#IDS[@]}" ]
    stop_broker
    check "seamctl verify passes after the disk filled and emptied" ctl verify
    start_broker
    check "every ticket survives the restart" all_present
    stop_broker
    umount "$VOL"
else
    echo "ok $((T_N + 1)) - a full data volume # SKIP cannot mount a tmpfs here"
    T_N=$((T_N + 1))
fi
finish
