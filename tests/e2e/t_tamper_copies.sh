#!/usr/bin/env bash
# Every live stored copy of a ticket's text (issue 20, item 3): a byte of
# each copy of a marked description in data.mdb (the record, the signed
# event, the pending push message, whatever else holds it) is changed, one
# copy at a time, in a copy of the stopped store. Each change is found by
# `seamctl verify`, or the broker started on the changed store never sends
# the changed text. The pending message changed is found by verify AND is
# refused by the broker's forwarder: logged, counted, escalated, not sent.
. "$(dirname "$0")/lib.sh"
RECV=$ROOT/tests/tools/webhook_receiver.py
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
MARK=MARK-7Q-MARK
CHANGED=MARK-8Q-MARK
TV="{\"summary\":\"No picture\",\"description\":\"Since the storm $MARK.\",\"service\":\"tv\",\"symptom\":\"no_signal\"}"

touch "$TMP/recv.log.refuse" # the receiver refuses (503) until this file goes
"$PY" "$RECV" "$TMP/recv.log" 0 >"$TMP/recv.out" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do
    RPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/recv.out")
    [ -n "$RPORT" ] && break
    sleep 0.05
done
[ -n "$RPORT" ] || { echo "Bail out! the receiver did not start"; exit 1; }
conf_with '(.partners[] | select(.id == "skyview") | .delivery.url) = $u | .delivery = {"retry_schedule_ms": [0, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500, 1500]}' \
    --arg u "http://127.0.0.1:$RPORT/seam/webhook"
init_store
C1=$(new_customer c1)
start_broker
req POST /v1/tickets "$C1" "$TV"
TID=$(jbody .id)
check "a ticket for a push partner is filed" [ "$STATUS" = 201 ]
refused_once() { [ "$(jq -s length "$TMP/recv.log" 2>/dev/null)" -ge 1 ]; }
check "its message was tried and refused by the receiver: it stays pending" eventually 20 refused_once
sleep 0.3
stop_broker
sleep 1.6 # its next try is due by now: each broker started below tries it at once
: >"$TMP/recv.log"
rm -f "$TMP/recv.log.refuse"
check "the store verifies as it is" ctl verify

offsets=$(grep -obUa -- "$MARK" "$DATA/data.mdb" | cut -d: -f1)
n=$(echo "$offsets" | wc -w)
check "the description is stored in several places ($n)" [ "$n" -ge 3 ]
sent_changed() { # the receiver got the changed text
    jq -r .body "$TMP/recv.log" 2>/dev/null | while read -r b; do base64 -d <<<"$b"; echo; done | grep -q -- "$CHANGED"
}
sent_any() { [ -s "$TMP/recv.log" ] || grep -q "delivery: refused" "$TMP/broker.$STARTS.log"; }
outbox_hit=0
for off in $offsets; do
    rm -rf "$TMP/copy"
    mkdir "$TMP/copy"
    cp "$DATA/data.mdb" "$DATA/broker.pub" "$DATA/broker.key" "$TMP/copy/"
    # the byte after "MARK-": 7 becomes 8
    printf '8' | dd of="$TMP/copy/data.mdb" bs=1 seek=$((off + 5)) conv=notrunc 2>/dev/null
    # a copy inside the outbox message's body is JSON in a JSON string: \" before "Since"
    ctx=$(dd if="$DATA/data.mdb" bs=1 skip=$((off - 40)) count=40 2>/dev/null | tr -d '\0')
    where=other
    [[ "$ctx" == *'\"description\":\"Since'* ]] && where=outbox
    if "$SEAMCTL" -d "$TMP/copy" verify >"$TMP/verify.out" 2>&1; then
        # not found by verify: then it must never leave changed
        : >"$TMP/recv.log"
        DATA=$TMP/copy start_broker
        eventually 15 sent_any
        sleep 0.3
        DATA=$TMP/copy stop_broker
        refute "byte at $off ($where): verify passes, and the changed text is never sent" sent_changed
        [ $where = outbox ] && outbox_hit=1
    else
        ok 0 "byte at $off ($where): seamctl verify fails ($(grep -m1 -v '^ok' "$TMP/verify.out" | cut -c1-90))"
        if [ $where = outbox ]; then
            outbox_hit=1
            check "... naming the outbox message" grep -q "outbox message .*message edited" "$TMP/verify.out"
            # and a broker started on it anyway does not send it
            : >"$TMP/recv.log"
            OLDCONF=$CONF
            DATA=$TMP/copy start_broker
            LEAD=$(DATA=$TMP/copy ctl token issue --role lead --subject ops 2>/dev/null)
            check "... the broker started on it refuses to send it, loudly" eventually 15 grep -q "delivery: refused .*ticket=$TID.*differs from the signed events" "$TMP/broker.$STARTS.log"
            metric() { curl -s "$(URL /metrics)" -H "Authorization: Bearer $LEAD" | grep -q '^seam_outbox_refused_total 1$'; }
            check "... counts it in seam_outbox_refused_total" eventually 5 metric
            failed() { curl -s -H "Authorization: Bearer $LEAD" "$(URL '/v1/deliveries?state=failed')" | jq -e '.items[0].last_error | test("not sent")' >/dev/null; }
            check "... records it failed (a dead letter), saying why" eventually 5 failed
            sleep 0.5
            refute "... and its changed text never reached the receiver" sent_changed
            DATA=$TMP/copy stop_broker
        fi
    fi
done
check "one of the copies was the pending push message's" [ $outbox_hit = 1 ]

# The original store, started: its message (unchanged) is delivered.
: >"$TMP/recv.log"
start_broker
delivered() { [ "$(jq -s 'map(select(.status == 204)) | length' "$TMP/recv.log")" -ge 1 ]; }
check "the unchanged store's message is delivered" eventually 15 delivered
check "... with the text as filed" bash -c "jq -r .body '$TMP/recv.log' | base64 -d | grep -q -- '$MARK'"
kill "$RPID" 2>/dev/null
finish
