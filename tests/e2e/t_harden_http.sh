#!/usr/bin/env bash
# Hardening of the HTTP layer (issue 14, findings 4, 7 and 8):
#  - strict framing: two Content-Length, Content-Length with Transfer-Encoding,
#    a Transfer-Encoding other than chunked, HTTP/1.1 without Host, folded
#    header lines, bare LF line ends and bare CR are refused with 400 and the
#    connection closed; what follows on the connection never runs as a request;
#  - a client's bytes never make a 500: error replies are valid UTF-8;
#  - tokens in a URL path are masked in the log; /metrics only for the
#    configured networks or token (default loopback); no duplicate series.
. "$(dirname "$0")/lib.sh"
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
start_broker
LOG=$TMP/broker.$STARTS.log

# raw BYTES (printf format): sends them on one connection, prints every byte
# answered and then "#closed" if the broker closed the connection, "#open"
# if it was still open after 1 s.
raw() {
    printf "$1" | python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(sys.stdin.buffer.read())
s.settimeout(1.0)
d, state = b"", "open"
try:
    while True:
        x = s.recv(65536)
        if not x:
            state = "closed"
            break
        d += x
except socket.timeout:
    pass
except ConnectionResetError:
    state = "closed"
sys.stdout.write(d.decode("latin1") + "\n#" + state + "\n")
' "$PORT" >"$TMP/raw"
}
answers() { grep -c '^HTTP/1\.[01] ' "$TMP/raw"; }
raw_code() { grep -o '"code":"[a-z_]*"' "$TMP/raw" | head -1 | cut -d'"' -f4; }
# refused DESCRIPTION BYTES CODE: one 400 with that code, the connection closed,
# nothing after it answered.
refused() {
    local before after
    before=$(grep -c 'path=/v1/smuggled' "$LOG")
    raw "$2"
    sleep 0.2 # request lines reach the log within 50 ms
    after=$(grep -c 'path=/v1/smuggled' "$LOG")
    local st=0
    [ "$(answers)" = 1 ] || st=1
    grep -q '^HTTP/1.1 400 ' "$TMP/raw" || st=1
    [ "$(raw_code)" = "$3" ] || st=1
    grep -qi '^Connection: close' "$TMP/raw" || st=1
    grep -q '^#closed' "$TMP/raw" || st=1
    [ "$before" = "$after" ] || st=1 # the smuggled request never ran
    ok $st "$1 -> 400 $3, connection closed, the bytes after it not run"
    [ $st = 0 ] || sed 's/^/# /' "$TMP/raw" | head -20
}
SMUGGLE='GET /v1/smuggled HTTP/1.1\r\nHost: x\r\n\r\n'

# --- finding 4: framing
raw "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n$SMUGGLE"
check "two pipelined requests on one connection are both answered (keep-alive unharmed)" [ "$(answers)" = 2 ]
sleep 0.2
check "... and the second is logged as a request (what the checks below count)" grep -q 'path=/v1/smuggled status=404' "$LOG"
refused "two Content-Length" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 37\r\n\r\n$SMUGGLE" bad_framing
refused "two equal Content-Length" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 37\r\nContent-Length: 37\r\n\r\n$SMUGGLE" bad_framing
refused "Content-Length with Transfer-Encoding: chunked" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLE" bad_framing
refused "Transfer-Encoding: gzip" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n$SMUGGLE" bad_framing
refused "Transfer-Encoding: gzip, chunked" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n$SMUGGLE" bad_framing
refused "two Transfer-Encoding fields" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n$SMUGGLE" bad_framing
refused "a space before the colon (Content-Length : 5)" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length : 37\r\n\r\n$SMUGGLE" bad_header
refused "HTTP/1.1 without Host" "GET /healthz HTTP/1.1\r\n\r\n$SMUGGLE" bad_header
refused "two Host fields" "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n$SMUGGLE" bad_header
raw "GET /healthz HTTP/1.0\r\n\r\n"
check "HTTP/1.0 without Host is still served" grep -q '^HTTP/1.1 200 ' "$TMP/raw"
# obs-fold: libmicrohttpd appends the continuation to the field NAME, so
# "Content: 37" + " -Length" would become a Content-Length nobody else sees.
refused "a fold that forms a Content-Length" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent: 37\r\n -Length\r\n\r\n$SMUGGLE" bad_header
refused "a fold that hides a Content-Length" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n 7\r\n\r\n$SMUGGLE" bad_header
refused "a fold of any field" "GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n$SMUGGLE" bad_header
refused "a bare LF in the head" "GET /healthz HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n$SMUGGLE" bad_header
refused "bare LF line ends throughout" "GET /healthz HTTP/1.1\nHost: x\n\n$SMUGGLE" bad_header
refused "a bare LF ending the head" "GET /healthz HTTP/1.1\r\nHost: x\r\n\n$SMUGGLE" bad_header
refused "a bare CR inside a field" \
    "POST /v1/tickets HTTP/1.1\r\nHost: x\r\nX-A: 1\rContent-Length: 37\r\n\r\n$SMUGGLE" bad_header
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' \
    --data-binary "$TICKET_BODY" "$(URL /v1/tickets)")
check "a plain chunked body is still taken ($STATUS)" [ "$STATUS" = 201 ]
check "each refusal is logged with its reason" grep -q 'refused a malformed request head: more than one Content-Length' "$LOG"

# --- finding 7: a client's bytes never make a 500
printf '{"summary":"x","descrirti\\\xcf\x9b\x00\xb0\x60\x00\x00symptom":"lo"}' >"$TMP/f7.bin"
check "the regression body holds the bytes of the finding" \
    [ "$(od -An -tx1 -j25 -N8 "$TMP/f7.bin" | tr -d ' \n')" = "5ccf9b00b0600000" ]
for path in /v1/tickets /tmf-api/troubleTicket/v4/troubleTicket; do
    STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $C1" \
        -H 'Content-Type: application/json' --data-binary @"$TMP/f7.bin" "$(URL $path)")
    check "a broken escape then bytes that are not UTF-8 on $path -> 400 ($STATUS)" [ "$STATUS" = 400 ]
    check "... with a structured error that is valid JSON" jq -e '(.error.code // .code) == "bad_json"' "$TMP/body"
done
printf '{"summary":"x","\xff\xfe":"y"}' >"$TMP/key.bin"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X POST -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/json' --data-binary @"$TMP/key.bin" "$(URL /v1/tickets)")
check "a field name that is not UTF-8 -> 400 with a reply that dumps ($STATUS)" \
    jq -e '.error.code == "bad_json"' "$TMP/body"
req GET "/v1/tickets?status=%FF%FE" "$C1"
check "a query value that is not UTF-8 -> 400 invalid_parameter ($STATUS)" jq -e '.error.code == "invalid_parameter" and .error.field == "status"' "$TMP/body"
req GET "/v1/tickets?limit=%C0%80" "$C1"
check "an overlong UTF-8 form in a query value -> 400 ($STATUS)" [ "$STATUS" = 400 ]
refute "no 500 and no failed dump in the log" grep -q -E 'json_dumps failed|status=500' "$LOG"

# --- finding 8: tokens in a path are masked in the log
curl -s -o /dev/null -H "Authorization: Bearer $C1" "$(URL "/v1/tickets/$C1")"
curl -s -o /dev/null "$(URL /v1/tickets/0123456789abcdef0123456789abcdef01234567/notes)"
req POST /v1/tickets "$C1" "$TICKET_BODY"
T1=$(jbody .id)
req GET "/v1/tickets/$T1" "$C1"
sleep 0.2
refute "a seam token put in a path is not in the log" grep -q -F "$C1" "$LOG"
refute "a 40-character hex segment is not in the log" grep -q 0123456789abcdef0123456789abcdef01234567 "$LOG"
check "the log shows where they were masked" grep -q 'path=/v1/tickets/\[masked\]/notes' "$LOG"
check "ticket ids stay readable in the log" grep -q "path=/v1/tickets/$T1 " "$LOG"

# --- finding 8: /metrics, duplicates and access
req POST /tmf-api/troubleTicket/v4/troubleTicket "$C1" '{"name":"x"}'
req POST /tmf-api/troubleTicket/v4/troubleTicket/ "$C1" '{"name":"x"}'
req GET /metrics ""
check "/metrics answers on loopback by default" [ "$STATUS" = 200 ]
cp "$TMP/body" "$TMP/metrics"
check "both TMF create endpoints have their own series" \
    [ "$(grep -c -E 'endpoint="tmf_create(_slash)?"' "$TMP/metrics")" -ge 2 ]
grep -v '^#' "$TMP/metrics" | sed 's/ [^ ]*$//' | sort | uniq -d >"$TMP/dups"
check "no series appears twice in /metrics" [ ! -s "$TMP/dups" ]
grep '^# TYPE ' "$TMP/metrics" | awk '{print $3}' | sort | uniq -d >"$TMP/dupf"
check "no metric family is declared twice" [ ! -s "$TMP/dupf" ]
if command -v promtool >/dev/null; then
    check "promtool check metrics accepts /metrics" sh -c "promtool check metrics <'$TMP/metrics'"
else
    echo "# promtool not installed: the grep checks above stand alone"
fi
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' --interface 127.0.0.2 "$(URL /metrics)")
check "/metrics from 127.0.0.2 is loopback too ($STATUS)" [ "$STATUS" = 200 ]
stop_broker

# only 127.0.0.2, or the token
MTOKEN=metrics-secret-$RANDOM$RANDOM
conf_with ".metrics = {\"allow\": [\"127.0.0.2/32\"], \"token_sha256\": \"$(printf '%s' "$MTOKEN" | sha256sum | cut -d' ' -f1)\"}"
start_broker
req GET /metrics ""
check "/metrics from an address outside metrics.allow -> 403 ($STATUS)" \
    jq -e '.error.code == "forbidden" and (.error.message | length > 0)' "$TMP/body"
refute "... and no business figures in it" grep -q seam_http_requests_total "$TMP/body"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' --interface 127.0.0.2 "$(URL /metrics)")
check "/metrics from an address of metrics.allow -> 200 ($STATUS)" [ "$STATUS" = 200 ]
req GET /metrics "$MTOKEN"
check "/metrics with the metrics token -> 200 ($STATUS)" [ "$STATUS" = 200 ]
req GET /metrics "$LEAD"
check "/metrics with another token -> 403 ($STATUS)" [ "$STATUS" = 403 ]
req GET /healthz ""
check "/healthz stays open to all" [ "$STATUS" = 200 ]
stop_broker

# Behind a reverse proxy on loopback (trusted_proxies), /metrics is judged by
# the client its X-Forwarded-For names, not by the proxy's loopback address.
conf_with '.trusted_proxies = ["127.0.0.1"]'
start_broker
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'X-Forwarded-For: 203.0.113.9' "$(URL /metrics)")
check "/metrics through a trusted proxy on loopback for an outside client -> 403 ($STATUS)" \
    [ "$STATUS" = 403 ]
refute "... and no business figures in it" grep -q seam_http_requests_total "$TMP/body"
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -H 'X-Forwarded-For: 127.0.0.1' "$(URL /metrics)")
check "/metrics through a trusted proxy for a loopback client -> 200 ($STATUS)" [ "$STATUS" = 200 ]
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' --interface 127.0.0.2 \
    -H 'X-Forwarded-For: 127.0.0.1' "$(URL /metrics)")
check "/metrics from 127.0.0.2, not a trusted proxy, is that peer's (its header ignored) ($STATUS)" \
    [ "$STATUS" = 200 ]
stop_broker

# configuration errors name the JSON path
conf_with '.metrics = {"allow": ["10.0.0.0/8", "300.1.1.1", "10.0.0.0/33"]}'
"$BROKER" -c "$CONF" -n >"$TMP/n.out" 2>&1
check "a bad metrics.allow entry is named by its path" grep -q 'metrics.allow\[1\]' "$TMP/n.out"
check "... and a bad prefix length" grep -q 'metrics.allow\[2\]' "$TMP/n.out"
conf_with '.metrics = {"allow": [], "other": 1}'
"$BROKER" -c "$CONF" -n >"$TMP/n.out" 2>&1
check "an unknown key under metrics is refused" grep -q 'metrics.other' "$TMP/n.out"
conf_with '.metrics = {"token_sha256": "abc"}'
"$BROKER" -c "$CONF" -n >"$TMP/n.out" 2>&1
check "a token_sha256 that is not 64 hex digits is refused" grep -q 'metrics.token_sha256' "$TMP/n.out"
conf_with '.metrics = {"allow": ["192.168.0.0/16", "127.0.0.1"]}'
check "a good metrics object passes seam-broker -n" "$BROKER" -c "$CONF" -n
finish
