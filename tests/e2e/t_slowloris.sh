#!/usr/bin/env bash
# e2e: alone
# Slowloris (issue 14, finding 5): 400 connections from one address
# (127.0.0.2), each trickling a byte a second and reconnecting when cut, for
# 20 s. The broker holds at most limits.max_connections_per_ip of them,
# cuts those whose request head is not complete within
# limits.header_timeout_s, and a normal client (127.0.0.1) keeps being
# answered within 2 s: /healthz and an authenticated GET. A long-poll
# waiting longer than the head deadline is not cut; a body that trickles
# after a complete head is cut by the whole request's deadline
# (limits.connection_timeout_s), not the head's. /metrics counts refusals
# and drops. The broker listens on 127.0.0.1 only (lib.sh); 127.0.0.2 is
# another source address on the same loopback interface.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
FIB=$(new_token partner fibernet)
# 200 connections at most, so that 400 slow ones would take them all
conf_with '.limits.max_connections = 200 | .limits.max_connections_per_ip = 32 |
           .limits.header_timeout_s = 2 | .limits.connection_timeout_s = 6'
start_broker
req POST /v1/tickets "$C1" "$TICKET_BODY"
T1=$(jbody .id)

ATTACK_S=20
python3 - "$PORT" 400 "$ATTACK_S" >"$TMP/attack.out" 2>&1 <<'PY' &
import socket, sys, time, errno
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
socks = [None] * n
connects = cuts = 0
def opened():
    global connects
    s = socket.socket()
    s.setblocking(False)
    s.bind(("127.0.0.2", 0))
    try:
        s.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    connects += 1
    return [s, 0]
end = time.time() + secs
while time.time() < end:
    tick = time.time()
    for i in range(n):
        if socks[i] is None:
            socks[i] = opened()
            continue
        s, sent = socks[i]
        try:
            if s.recv(4096, socket.MSG_DONTWAIT) == b"":
                raise ConnectionResetError
        except BlockingIOError:
            pass
        except OSError:
            s.close(); socks[i] = None; cuts += 1
            continue
        try:
            # the head's first bytes, then one byte a second
            s.send(head[:1] if sent == 0 else (head[sent:sent + 1] if sent < len(head) else b"a"))
            socks[i][1] = sent + 1
        except BlockingIOError:
            pass
        except OSError:
            s.close(); socks[i] = None; cuts += 1
    time.sleep(max(0, 1 - (time.time() - tick)))
print("connects", connects, "cuts", cuts)
PY
APID=$!

# A long-poll that waits 8 s, longer than the 2 s head deadline and the 6 s request deadline.
(
    s=$SECONDS
    code=$(curl -s -o "$TMP/lp.body" -w '%{http_code}' --max-time 20 -H "Authorization: Bearer $FIB" \
        "$(URL '/v1/assignments?state=acknowledged&wait=8')")
    echo "$code $((SECONDS - s))" >"$TMP/lp"
) &
LPID=$!

# probe PATH HEAD SLOW OUT: from 127.0.0.1, sends HEAD at once, then SLOW
# one byte every 0.5 s; writes the seconds until the broker cut it.
probe() {
    python3 - "$PORT" "$1" "$2" >"$3" 2>&1 <<'PY' &
import socket, sys, time
port, head, slow = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
s = socket.create_connection(("127.0.0.1", port))
t0 = time.time()
s.sendall(head)
s.settimeout(0.5)
for i in range(60):
    try:
        if s.recv(4096) == b"":
            break
    except socket.timeout:
        pass
    except OSError:
        break
    try:
        s.send(slow[i % len(slow):i % len(slow) + 1])
    except OSError:
        break
print(round(time.time() - t0, 1))
PY
}
probe "" "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "$TMP/head.s"
PHEAD=$!
probe $'POST /v1/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer '"$C1"$'\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n' \
    '{"summary":"slow body"' "$TMP/body.s"
PBODY=$!

sleep 2 # the attack has its connections open
fast=0 slow=0 n=0
end=$((SECONDS + 15))
while [ $SECONDS -lt $end ]; do
    n=$((n + 1))
    c1=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$(URL /healthz)")
    c2=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H "Authorization: Bearer $C1" "$(URL "/v1/tickets/$T1")")
    if [ "$c1" = 200 ] && [ "$c2" = 200 ]; then fast=$((fast + 1)); else slow=$((slow + 1)); echo "# round $n: healthz $c1, GET $c2"; fi
    sleep 0.3
done
check "a normal client is answered within 2 s during the attack: $fast of $n rounds (healthz and an authenticated GET)" [ "$slow" = 0 ] && [ "$n" -ge 10 ]
wait $APID
echo "# attacker: $(cat "$TMP/attack.out")"
wait $LPID $PHEAD $PBODY
read -r lpcode lps <"$TMP/lp"
check "a long-poll waiting 8 s is not cut by the 2 s head deadline ($lpcode after ${lps}s)" [ "$lpcode" = 200 ] && [ "$lps" -ge 7 ]
hs=$(cat "$TMP/head.s") bs=$(cat "$TMP/body.s")
check "a head trickled byte by byte is cut at the head deadline (${hs}s, limit 2 s)" python3 -c "import sys; sys.exit(not (1.5 <= $hs <= 4))"
check "a body trickled after a complete head is cut at the request deadline (${bs}s, limit 6 s)" python3 -c "import sys; sys.exit(not (5.5 <= $bs <= 8.5))"
req GET /metrics ""
refused=$(sed -n 's/^seam_http_refused_per_ip_total //p' "$TMP/body")
headcut=$(sed -n 's/^seam_http_dropped_slow_head_total //p' "$TMP/body")
allcut=$(sed -n 's/^seam_http_dropped_slow_total //p' "$TMP/body")
check "connections over the per-address limit are counted in /metrics ($refused)" [ "${refused:-0}" -gt 100 ]
check "connections cut at the head deadline are counted ($headcut)" [ "${headcut:-0}" -gt 32 ]
check "the request deadline's cuts are counted too ($allcut)" [ "${allcut:-0}" -gt "${headcut:-0}" ]
check "the log names the per-address limit" grep -q 'limits.max_connections_per_ip' "$TMP/broker.$STARTS.log"
# A kept-alive connection that is merely idle after an answer is closed at
# the head deadline too, but it is not a slow client: not counted.
idle=$(python3 - "$PORT" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
s.settimeout(10)
d = b""
while b"\r\n\r\n" not in d:
    d += s.recv(4096)
t0 = time.time()
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print(round(time.time() - t0, 1))
PY
)
req GET /metrics ""
allcut2=$(sed -n 's/^seam_http_dropped_slow_total //p' "$TMP/body")
check "an idle kept-alive connection is closed at the head deadline (${idle}s, limit 2 s)" python3 -c "import sys; sys.exit(not (1.5 <= $idle <= 4))"
check "... and not counted as a slow client ($allcut2 = $allcut)" [ "$allcut2" = "$allcut" ]
req GET /healthz ""
check "the broker is still up" [ "$STATUS" = 200 ]
finish
