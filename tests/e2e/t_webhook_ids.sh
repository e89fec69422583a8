#!/usr/bin/env bash
# Webhook ids (issue 20, item 5) with real deliveries to a real receiver:
# every message has a random id ("msg_" and 32 hex digits) that a retry and a
# redelivery keep and that no other store, nor a restored backup, ever sends
# again; the broker's key in the whpk_ form; and the v1a verifiers of docs/
# (Node's crypto and PyNaCl) accept each delivery as received and refuse it
# changed by one byte, under another id or timestamp, or with another key.
. "$(dirname "$0")/lib.sh"
RECV=$ROOT/tests/tools/webhook_receiver.py
TV='{"summary":"No picture","description":"Since the storm.","service":"tv","symptom":"no_signal"}'
if ! command -v node >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null 2>&1
fi
command -v node >/dev/null || { echo "Bail out! node is needed (Debian: nodejs)"; exit 1; }
# Debian's python3 (where python3-nacl installs PyNaCl), before any other on the PATH.
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import nacl' 2>/dev/null || { echo "Bail out! PyNaCl is needed (Debian: python3-nacl)"; exit 1; }

RPID=
start_receiver() { # FAIL
    : >"$TMP/recv.out"
    "$PY" "$RECV" "$TMP/recv.log" "$1" >"$TMP/recv.out" 2>&1 &
    RPID=$!
    for _ in $(seq 1 100); do
        RPORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/recv.out")
        [ -n "$RPORT" ] && return 0
        sleep 0.05
    done
    echo "Bail out! the receiver did not start"
    exit 1
}
stop_receiver() { [ -z "$RPID" ] || { kill "$RPID"; wait "$RPID" 2>/dev/null; RPID=; }; }
delivered() { [ -f "$TMP/recv.log" ] && [ "$(jq -s '[.[] | select(.status == 204)] | length' "$TMP/recv.log")" -ge "$1" ]; }
ids_204() { jq -r 'select(.status == 204) | .headers["webhook-id"]' "$TMP/recv.log"; }

start_receiver 1
conf_with '(.partners[] | select(.id == "skyview") | .delivery.url) = $u | .delivery = {"retry_schedule_ms": [0, 300, 300, 300]}' \
    --arg u "http://127.0.0.1:$RPORT/seam/webhook"
PUSHCONF=$CONF
init_store
C1=$(new_customer c1)
C1A=$C1
LEAD=$(new_token lead ops)
start_broker
WHPK=$(ctl key show --whpk)
check "key show --whpk: whpk_ and the broker's base64 key" [ "$WHPK" = "whpk_$(cat "$DATA/broker.pub")" ]
req GET /v1/audit/checkpoint "$LEAD"
check "the checkpoint names the webhook public key in that form too" [ "$(jbody .webhook_public_key)" = "$WHPK" ]
check "seamctl takes a whpk_ key where it takes a key" ctl verify --key "$WHPK"

req POST /v1/tickets "$C1" "$TV"
check "eventually delivered" eventually 20 delivered 1
first=$(head -1 "$TMP/recv.log")
ID1=$(jq -r '.headers["webhook-id"]' <<<"$first")
check "the first try was refused (503)" [ "$(jq -r .status <<<"$first")" = 503 ]
check "the id is msg_ and 32 hex digits ($ID1)" matches "$ID1" '^msg_[0-9a-f]{32}$'
check "the retry has the same id and body" \
    [ "$(jq -r 'select(.status == 204) | .headers["webhook-id"] + " " + .body' "$TMP/recv.log")" = "$ID1 $(jq -r .body <<<"$first")" ]
req POST "/v1/deliveries/$ID1/redeliver" "$LEAD" ''
check "a redelivery by id is accepted ($STATUS)" [ "$STATUS" = 200 ]
check "... and arrives" eventually 20 delivered 2
check "... with the same id and body" [ "$(ids_204 | sort -u | wc -l)" = 1 -a \
    "$(jq -r 'select(.status == 204) | .body' "$TMP/recv.log" | sort -u | wc -l)" = 1 ]
req POST /v1/tickets "$C1" "$TV"
check "a second ticket's message arrives" eventually 20 delivered 3
check "... with an id of its own" [ "$(ids_204 | sort -u | wc -l)" = 2 ]
ctl backup "$TMP/bk" >/dev/null
req POST /v1/tickets "$C1" "$TV"
check "a third one (after the backup)" eventually 20 delivered 4

# The v1a verifiers of docs/ against every delivery the receiver got.
cat >"$TMP/v.mjs" <<JS
import { verifyWebhook } from '$ROOT/docs/webhooks/verify_v1a.mjs';
import { readFileSync } from 'node:fs';
const [key, mode] = process.argv.slice(2);
let good = 0, bad = 0;
for (const line of readFileSync('$TMP/recv.log', 'utf8').trim().split('\n')) {
  const r = JSON.parse(line), h = r.headers;
  let body = Buffer.from(r.body, 'base64');
  if (mode === 'body') body[body.length >> 1] ^= 1;
  if (mode === 'id') h['webhook-id'] = h['webhook-id'].replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  if (mode === 'ts') h['webhook-timestamp'] = String(Number(h['webhook-timestamp']) - 1);
  try { verifyWebhook(key, h, body); good++; } catch (e) { bad++; }
}
console.log(good + ' ' + bad);
JS
cat >"$TMP/v.py" <<PY
import base64, json, sys
sys.path.insert(0, "$ROOT/docs/webhooks")
from verify_v1a import verify_webhook
key, mode = sys.argv[1], sys.argv[2]
good = bad = 0
for line in open("$TMP/recv.log"):
    r = json.loads(line)
    h, body = r["headers"], bytearray(base64.b64decode(r["body"]))
    if mode == "body": body[len(body) // 2] ^= 1
    if mode == "id": h["webhook-id"] = h["webhook-id"][:-1] + ("1" if h["webhook-id"][-1] == "0" else "0")
    if mode == "ts": h["webhook-timestamp"] = str(int(h["webhook-timestamp"]) - 1)
    try:
        verify_webhook(key, h, bytes(body)); good += 1
    except ValueError:
        bad += 1
print(good, bad)
PY
N=$(wc -l <"$TMP/recv.log")
"$SEAMCTL" -d "$TMP/otherkey" init >/dev/null 2>&1
OTHER="whpk_$(cat "$TMP/otherkey/broker.pub")"
for lang in node "$PY"; do
    f=$TMP/v.mjs
    [ "$lang" = "$PY" ] && f=$TMP/v.py
    check "$lang verifier: all $N deliveries verify with the whpk_ key" [ "$("$lang" "$f" "$WHPK" none)" = "$N 0" ]
    check "$lang verifier: ... and with the plain base64 key" [ "$("$lang" "$f" "$(cat "$DATA/broker.pub")" none)" = "$N 0" ]
    for mode in body id ts; do
        check "$lang verifier: none verifies with one changed ($mode)" [ "$("$lang" "$f" "$WHPK" $mode)" = "0 $N" ]
    done
    check "$lang verifier: none verifies with another key" [ "$("$lang" "$f" "$OTHER" none)" = "0 $N" ]
done
stop_broker
ids_204 | sort -u >"$TMP/ids.first"

# A second, fresh store: its messages never take the first store's ids.
DATA=$TMP/data2
init_store
C1=$(new_customer c1)
start_broker
for _ in 1 2 3; do req POST /v1/tickets "$C1" "$TV"; done
check "a fresh store's three messages arrive" eventually 20 delivered 7
ids_204 | sort -u >"$TMP/ids.all"
check "two stores sent 6 distinct ids over 7 deliveries (one a redelivery)" [ "$(wc -l <"$TMP/ids.all")" = 6 ]
stop_broker

# A restored backup (made after the second message): it sends new ids, none seen before.
check "the backup is restored" "$SEAMCTL" restore "$TMP/bk" "$TMP/restored"
DATA=$TMP/restored
start_broker
req POST /v1/tickets "$C1A" "$TV"
T=$(jbody .id)
id_of_ticket() { jq -r --arg t "$1" 'select(.status == 204) | select((.body | @base64d | fromjson | .data.ticket) == $t) | .headers["webhook-id"]' "$TMP/recv.log" | head -1; }
has_ticket() { [ -n "$(id_of_ticket "$1")" ]; }
check "the restored store's message arrives" eventually 20 has_ticket "$T"
NEW=$(id_of_ticket "$T")
check "... with an id no store sent before ($NEW)" bash -c "! grep -qx '$NEW' '$TMP/ids.all'"
stop_broker
stop_receiver
finish
