#!/usr/bin/env bash
# Witnesses (issue 20, item 2; C2SP tlog-witness and tlog-cosignature/v1):
# two `seam-partner witness` processes cosign the broker's real checkpoints,
# submitted with the broker's own consistency proofs; each cosignature
# verifies with its witness's key (checked here by PyNaCl, independently of
# our code); a witness that was down catches up from the size it last
# cosigned; a bad signature, an unknown log and a bad proof are refused with
# the spec's statuses; and a fork (a restored old backup that writes) is
# refused by both witnesses, loudly, their state unchanged.
. "$(dirname "$0")/lib.sh"
PARTNER=$ROOT/$BUILD/seam-partner
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import nacl' 2>/dev/null || { echo "Bail out! PyNaCl is needed (Debian: python3-nacl)"; exit 1; }
BODY='{"summary":"No internet","description":"Red lights.","service":"internet","symptom":"no_service"}'

init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
start_broker
req GET /v1/audit/checkpoint "$LEAD"
ORIGIN=$(jbody .origin)

declare -A WPID WPORT
start_witness() { # N
    mkdir -p "$TMP/w$1"
    [ -f "$TMP/w$1/partner.key" ] || "$PARTNER" keygen "$TMP/w$1" >/dev/null
    local before
    before=$(grep -c '^listening on' "$TMP/w$1/log" 2>/dev/null)
    "$PARTNER" witness --listen "127.0.0.1:${WPORT[$1]:-0}" --key "$TMP/w$1/partner.key" \
        --name "witness$1.example" --log-key "$DATA/broker.pub" --origin "$ORIGIN" \
        --state "$TMP/w$1/state" 2>>"$TMP/w$1/log" &
    WPID[$1]=$!
    for _ in $(seq 1 100); do
        local p
        p=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$TMP/w$1/log" | sed -n "$((${before:-0} + 1))p")
        if [ -n "$p" ] && kill -0 "${WPID[$1]}" 2>/dev/null; then WPORT[$1]=$p; return 0; fi
        sleep 0.05
    done
    echo "Bail out! witness $1 did not start"
    cat "$TMP/w$1/log"
    exit 1
}
stop_witness() { kill "${WPID[$1]}" 2>/dev/null; wait "${WPID[$1]}" 2>/dev/null; }

# submit N OLD [PROOF-FILTER]: the broker's latest checkpoint to witness N as
# the spec's add-checkpoint body, with the broker's consistency proof from
# OLD; sets WSTATUS, the answer in $TMP/wresp, the checkpoint in $TMP/note.
submit() {
    req GET /v1/audit/checkpoint "$LEAD"
    jbody -j .checkpoint >"$TMP/note"
    local size
    size=$(jbody .tree_size)
    {
        echo "old $2"
        if [ "$2" != 0 ]; then
            curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/audit/proof?from=$2&to=$size")" |
                jq -r ".proof[]? | ${3:-.}"
        fi
        echo
        cat "$TMP/note"
    } >"$TMP/wreq"
    WSTATUS=$(curl -s -o "$TMP/wresp" -w '%{http_code}' --data-binary "@$TMP/wreq" \
        "http://127.0.0.1:${WPORT[$1]}/add-checkpoint")
}
jbody() { if [ "$1" = -j ]; then jq -j "$2" "$TMP/body"; else jq -r "$1" "$TMP/body"; fi; }

# cosig_ok N: the answer is a cosignature/v1 by witness N over the checkpoint (PyNaCl).
cosig_ok() {
    "$PY" - "$TMP/note" "$TMP/wresp" "witness$1.example" "$(cat "$TMP/w$1/partner.pub")" <<'PY'
import base64, hashlib, sys
from nacl.signing import VerifyKey
note, resp, name, pk = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read(), sys.argv[3], base64.b64decode(sys.argv[4])
body = note[: note.index(b"\n\n") + 1]
key_id = hashlib.sha256(name.encode() + b"\n\x04" + pk).digest()[:4]
lines = [l for l in resp.decode().split("\n") if l]
assert len(lines) == 1 and lines[0].startswith("\u2014 " + name + " "), lines
blob = base64.b64decode(lines[0].split(" ")[2], validate=True)
assert len(blob) == 76 and blob[:4] == key_id, "key id"
ts = int.from_bytes(blob[4:12], "big")
VerifyKey(pk).verify(b"cosignature/v1\ntime %d\n" % ts + body, blob[12:])
PY
}
cosigned_size() { sed -n 2p "$TMP/w$1/state"; }

for i in 1 2; do req POST /v1/tickets "$C1" "$BODY"; done
ctl backup "$TMP/bk" >/dev/null
for i in 1 2; do req POST /v1/tickets "$C1" "$BODY"; done
start_witness 1
start_witness 2
S2=$(tree_size)
for w in 1 2; do
    submit $w 0
    check "witness $w cosigns the broker's checkpoint of size $S2 (status $WSTATUS)" [ "$WSTATUS" = 200 ]
    check "... its cosignature verifies with its key (PyNaCl, C2SP cosignature/v1)" cosig_ok $w
    check "... and it keeps that size" [ "$(cosigned_size $w)" = "$S2" ]
done
refute "witness 2's cosignature does not pass as witness 1's" cosig_ok 1

# The spec's refusals.
submit 1 0
check "a stale old size: 409 (status $WSTATUS)" [ "$WSTATUS" = 409 ]
check "... answering the cosigned size as text/x.tlog.size" [ "$(cat "$TMP/wresp")" = "$S2" ]
{ printf 'old 0\n\n'; sed "s|^$ORIGIN\$|another.example/log|" "$TMP/note"; } >"$TMP/wreq"
st=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$TMP/wreq" "http://127.0.0.1:${WPORT[1]}/add-checkpoint")
check "an unknown log: 404 (status $st)" [ "$st" = 404 ]
check "... (the body names that log)" grep -q "^another.example/log$" "$TMP/wreq"
req POST /v1/tickets "$C1" "$BODY"
submit 1 "$S2" '"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="'
check "a consistency proof changed: 422 (status $WSTATUS)" [ "$WSTATUS" = 422 ] || cat "$TMP/wreq"
check "... and the witness keeps its size" [ "$(cosigned_size 1)" = "$S2" ]
# A checkpoint with its signature changed: 403.
{ printf 'old %s\n\n' "$S2"; sed -E '$ s/A(.{20})$/B\1/; t; $ s/[^A](.{20})$/A\1/' "$TMP/note"; } >"$TMP/wreq"
st=$(curl -s -o /dev/null -w '%{http_code}' --data-binary "@$TMP/wreq" "http://127.0.0.1:${WPORT[1]}/add-checkpoint")
check "a checkpoint whose signature does not verify: 403 (status $st)" [ "$st" = 403 ]

# Witness 2 down, then up: it catches up from the size it cosigned.
stop_witness 2
S3=$(tree_size)
submit 1 "$S2"
check "witness 1 cosigns the extension to $S3 (status $WSTATUS)" [ "$WSTATUS" = 200 ]
check "... verifiably" cosig_ok 1
submit 2 "$S2"
check "witness 2, down, answers nothing (status $WSTATUS)" [ "$WSTATUS" = 000 ]
start_witness 2
check "witness 2 restarts with the size it cosigned ($S2)" grep -q "cosigned size $S2)" "$TMP/w2/log"
submit 2 "$S2"
check "... and catches up with a proof from there to $S3 (status $WSTATUS)" [ "$WSTATUS" = 200 ]
check "... verifiably" cosig_ok 2
check "... keeping $S3" [ "$(cosigned_size 2)" = "$S3" ]

# A fork: the backup (made at a smaller size) restored, written to until it is larger.
stop_broker
"$SEAMCTL" restore "$TMP/bk" "$TMP/restored" >/dev/null
DATA=$TMP/restored
start_broker
for i in 1 2 3 4 5 6; do req POST /v1/tickets "$C1" "$BODY"; done
F=$(tree_size)
check "the restored store writes past the witnessed size ($F > $S3)" [ "$F" -gt "$S3" ]
for w in 1 2; do
    submit $w "$S3"
    check "witness $w refuses the fork (status $WSTATUS)" [ "$WSTATUS" = 422 -o "$WSTATUS" = 409 ]
    check "... loudly: its log names the refusal" grep -q "witness: refused .*the log forked" "$TMP/w$w/log"
    check "... and keeps the size it cosigned" [ "$(cosigned_size $w)" = "$S3" ]
    submit $w 0
    check "... and from size 0 too: 409 naming $S3 (status $WSTATUS)" [ "$WSTATUS" = 409 -a "$(cat "$TMP/wresp")" = "$S3" ]
done
stop_witness 1
stop_witness 2
stop_broker

# --- The broker's own witnesses: configured, submitted to, served, counted.
DATA=$TMP/data3
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
for w in 3 4; do start_witness $w; done
conf_with '.witnesses = {"quorum": 2, "list": [
    {"name": "witness3.example", "url": $u3, "key": $k3},
    {"name": "witness4.example", "url": $u4, "key": $k4}]}' \
    --arg u3 "http://127.0.0.1:${WPORT[3]}" --arg k3 "$(cat "$TMP/w3/partner.pub")" \
    --arg u4 "http://127.0.0.1:${WPORT[4]}" --arg k4 "$(cat "$TMP/w4/partner.pub")"
check "seam-broker -n accepts the witnesses" "$BROKER" -c "$CONF" -n
jq '.witnesses.list[0].key = "nope"' "$CONF" >"$TMP/badw.json"
"$BROKER" -c "$TMP/badw.json" -n >"$TMP/out" 2>&1
check "a bad witness key is named by its path" grep -q 'witnesses.list\[0\].key' "$TMP/out"
start_broker
for i in 1 2 3; do req POST /v1/tickets "$C1" "$BODY"; done
ckpt() { curl -s -H "Authorization: Bearer $LEAD" "$(URL /v1/audit/checkpoint)" >"$TMP/ckpt.json"; }
all_cosigned() { ckpt; [ "$(jq -r '.cosigned_checkpoint // "" | split("\n")[1]' "$TMP/ckpt.json")" = "$(jq -r .tree_size "$TMP/ckpt.json")" ]; }
check "the broker's checkpoint is cosigned by both witnesses (quorum 2)" eventually 20 all_cosigned
jq -j .cosigned_checkpoint "$TMP/ckpt.json" >"$TMP/cosigned"
both_ok() {
    "$PY" - "$TMP/cosigned" "$(cat "$TMP/w3/partner.pub")" "$(cat "$TMP/w4/partner.pub")" <<'PY'
import base64, hashlib, sys
from nacl.signing import VerifyKey
note = open(sys.argv[1], "rb").read()
body = note[: note.index(b"\n\n") + 1]
sigs = note[note.index(b"\n\n") + 2 :].decode().split("\n")
for name, pk in (("witness3.example", sys.argv[2]), ("witness4.example", sys.argv[3])):
    pk = base64.b64decode(pk)
    line = [l for l in sigs if l.startswith("\u2014 " + name + " ")][0]
    blob = base64.b64decode(line.split(" ")[2])
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n\x04" + pk).digest()[:4]
    VerifyKey(pk).verify(b"cosignature/v1\ntime %d\n" % int.from_bytes(blob[4:12], "big") + body, blob[12:])
PY
}
check "... both cosignatures in it verify with the witnesses' keys (PyNaCl)" both_ok

# The cosigned checkpoint travels with the evidence; verify-evidence --witness requires it.
vkey() { sed -n 's/^witness verifier key: //p' "$TMP/w$1/log" | tail -1; }
VK3=$(vkey 3) VK4=$(vkey 4)
vkey_ok() { # the vkey the witness prints is C2SP's NAME+hex(key id)+base64(0x04||key) (PyNaCl-free)
    "$PY" - "$1" "$2" "$3" <<'PY'
import base64, hashlib, sys
vk, name, pk = sys.argv[1], sys.argv[2], base64.b64decode(sys.argv[3])
kid = hashlib.sha256(name.encode() + b"\n\x04" + pk).digest()[:4].hex()
assert vk == "%s+%s+%s" % (name, kid, base64.b64encode(b"\x04" + pk).decode()), vk
PY
}
check "witness 3 prints its verifier key ($VK3)" vkey_ok "$VK3" witness3.example "$(cat "$TMP/w3/partner.pub")"
T=$(curl -s -H "Authorization: Bearer $C1" "$(URL /v1/tickets)" | jq -r '.items[0].id')
export_cosigned() { # WHO TOKEN: the ticket's export, once its checkpoint is cosigned
    req GET "/v1/tickets/$T/evidence" "$2"
    cp "$TMP/body" "$TMP/ev_$1.json"
    [ "$(jq -r '.checkpoint | split("\n") | map(select(startswith("\u2014 witness"))) | length' "$TMP/ev_$1.json")" = 2 ]
}
check "the lead's evidence export carries the checkpoint cosigned by both witnesses" eventually 10 export_cosigned lead "$LEAD"
check "... and the customer's" export_cosigned c1 "$C1"
PK=$DATA/broker.pub
for who in lead c1; do
    check "$who's export verifies with the broker's key alone" ctl verify-evidence "$TMP/ev_$who.json" --key "$PK"
    check "... and with --witness for both witnesses" ctl verify-evidence "$TMP/ev_$who.json" --key "$PK" --witness "$VK3" --witness "$VK4"
done
check "... and a byte changed anywhere in a cosigned export makes it fail (400 spread)" \
    "$ROOT/$BUILD/tests/evflip" "$TMP/ev_c1.json" "$PK" 400
check "... saying its checkpoint carries 2 cosignatures not checked without --witness" \
    bash -c "'$SEAMCTL' verify-evidence '$TMP/ev_lead.json' --key '$PK' | grep -q 'carries 2 cosignatures'"
ctl export "$T" >"$TMP/ev_ctl.json"
check "seamctl export carries the cosignatures too" ctl verify-evidence "$TMP/ev_ctl.json" --key "$PK" --witness "$VK3" --witness "$VK4"
VK1=$("$PY" -c 'import base64,hashlib,sys; n,pk=sys.argv[1],base64.b64decode(sys.argv[2]); print("%s+%s+%s"%(n,hashlib.sha256(n.encode()+b"\n\x04"+pk).digest()[:4].hex(),base64.b64encode(b"\x04"+pk).decode()))' witness1.example "$(cat "$TMP/w1/partner.pub")")
fails_naming() { # TEXT CMD...: CMD exits 1 and says TEXT
    local text=$1
    shift
    "$@" >"$TMP/out" 2>&1
    [ $? = 1 ] && grep -qF -- "$text" "$TMP/out"
}
check "a witness that did not cosign fails, named" fails_naming "witness1.example (no cosignature)" \
    ctl verify-evidence "$TMP/ev_lead.json" --key "$PK" --witness "$VK3" --witness "$VK1"
check "... but two of three needed pass" ctl verify-evidence "$TMP/ev_lead.json" --key "$PK" --witness "$VK3" --witness "$VK4" --witness "$VK1" --witnesses-needed 2
refute "... and three of three fail" ctl verify-evidence "$TMP/ev_lead.json" --key "$PK" --witness "$VK3" --witness "$VK4" --witness "$VK1" --witnesses-needed 3
WRONG=$("$PY" -c 'import base64,hashlib,sys; n,pk=sys.argv[1],base64.b64decode(sys.argv[2]); print("%s+%s+%s"%(n,hashlib.sha256(n.encode()+b"\n\x04"+pk).digest()[:4].hex(),base64.b64encode(b"\x04"+pk).decode()))' witness4.example "$(cat "$TMP/w3/partner.pub")")
check "witness 4's name with another key fails, named" fails_naming "witness4.example (cosignature does not verify)" \
    ctl verify-evidence "$TMP/ev_lead.json" --key "$PK" --witness "$WRONG"
check "a witness key not in the vkey form is refused" [ "$(ctl verify-evidence "$TMP/ev_lead.json" --key "$PK" --witness "$(cat "$TMP/w3/partner.pub")" >/dev/null 2>&1; echo $?)" != 0 ]
# One byte of witness 4's cosignature changed: the broker's signed head covers the whole note.
"$PY" - "$TMP/ev_lead.json" "$TMP/ev_bad.json" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
i = d.index("\u2014 witness4.example ".encode()) + len("\u2014 witness4.example ".encode()) + 10
c = d[i:i+1]
open(sys.argv[2], "wb").write(d[:i] + (b"B" if c != b"B" else b"C") + d[i+1:])
PY
refute "a cosignature byte changed fails with the broker's key alone" ctl verify-evidence "$TMP/ev_bad.json" --key "$PK"
refute "... and with the witnesses' keys" ctl verify-evidence "$TMP/ev_bad.json" --key "$PK" --witness "$VK3" --witness "$VK4"

# Durable: the broker restarted while both witnesses are down still serves what they cosigned.
COS=$(jq -r .cosigned_checkpoint "$TMP/ckpt.json")
stop_witness 3
stop_witness 4
stop_broker
start_broker
ckpt
check "after a restart (witnesses down) /v1/audit/checkpoint serves the stored cosigned checkpoint" \
    [ "$(jq -r .cosigned_checkpoint "$TMP/ckpt.json")" = "$COS" ]
check "... the witnesses' state starts from it" [ "$(jq '[.witnesses[].cosigned_size] | unique' -c "$TMP/ckpt.json")" = "[$(echo "$COS" | sed -n 2p)]" ]
check "... and the export still carries it and verifies with both witnesses" export_cosigned lead2 "$LEAD"
check "... verifiably" ctl verify-evidence "$TMP/ev_lead2.json" --key "$PK" --witness "$VK3" --witness "$VK4"
start_witness 3
start_witness 4
metric() { curl -s "$(URL /metrics)" | sed -n "s/^$1 //p"; }
check "the metrics show no lag" [ "$(metric 'seam_witness_lag{witness="witness3.example"}')" = 0 -a "$(metric 'seam_witness_lag{witness="witness4.example"}')" = 0 ]
ctl backup "$TMP/bk3" >/dev/null
stop_witness 4
for i in 1 2; do req POST /v1/tickets "$C1" "$BODY"; done
lagging() { [ "$(metric 'seam_witness_lag{witness="witness4.example"}')" -gt 0 ]; }
check "witness 4 down: its lag shows in /metrics" eventually 10 lagging
check "... and in the log" eventually 5 grep -q "witness: lagging name=witness4.example" "$TMP/broker.$STARTS.log"
start_witness 4
caught_up() { [ "$(metric 'seam_witness_lag{witness="witness4.example"}')" = 0 ]; }
check "witness 4 up again: it catches up" eventually 15 caught_up
check "... and the checkpoint is cosigned by both again" eventually 10 all_cosigned
W3=$(cosigned_size 3)
stop_broker
check "seamctl verify checks the stored cosignatures with the configured keys" ctl verify
jq --arg k "$(cat "$TMP/w4/partner.pub")" '.witnesses.list[0].key = $k' "$CONF" >"$TMP/wrongkey.json"
check "... and names a cosignature that does not verify with its witness's key" \
    fails_naming "cosignature of witness3.example does not verify" "$SEAMCTL" -d "$DATA" -c "$TMP/wrongkey.json" verify
# A fork: the backup restored and written to.
"$SEAMCTL" restore "$TMP/bk3" "$TMP/restored3" >/dev/null
DATA=$TMP/restored3
start_broker
for i in 1 2 3 4; do req POST /v1/tickets "$C1" "$BODY"; done
refused() { [ "$(metric "seam_witness_refusals_total{witness=\"$1\"}")" -ge 1 ]; }
for w in 3 4; do
    check "the restored store that writes is refused by witness$w (metrics)" eventually 15 refused "witness$w.example"
    check "... loudly in the broker's log" grep -q "witness: refused name=witness$w.example" "$TMP/broker.$STARTS.log"
    check "... and in the witness's" eventually 15 grep -q "witness: refused .*the log forked" "$TMP/w$w/log"
    check "... which keeps what it cosigned" [ "$(cosigned_size $w)" = "$W3" ]
done
ckpt
BK3=$(jq -r '.cosigned_checkpoint // "" | split("\n")[1] // 0' "$TMP/ckpt.json")
check "the restored broker serves no cosigned checkpoint of its fork (only the backup's, $BK3 <= $W3)" \
    [ "$BK3" -le "$W3" -a "$(jq -r .tree_size "$TMP/ckpt.json")" -gt "$W3" ]
stop_witness 3
stop_witness 4
finish
