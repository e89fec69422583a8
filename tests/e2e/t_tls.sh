#!/usr/bin/env bash
# TLS, IPv6 and the client's address (issue 21, item 6). With $.tls the broker
# serves HTTPS only, TLS 1.2 and 1.3 only, with a certificate this test makes
# (its own CA): curl verifies it; plain HTTP on that port gets no answer; a
# client without the CA refuses it. A reload takes a new certificate for the
# next handshakes, and refuses a key that is not the certificate's (the old
# one stays). Each request's log line names the client: the peer, or the
# X-Forwarded-For address when the peer is a trusted proxy, never a header
# an untrusted peer sent. On IPv6 ("[::1]:PORT") the broker serves as well
# (skipped, said so, where the machine has no ::1).
. "$(dirname "$0")/lib.sh"
skip() { T_N=$((T_N + 1)); echo "ok $T_N - # SKIP $1"; }

PKI=$TMP/pki
mkdir -p "$PKI"
mkcert() { # NAME CN: a key and a certificate for 127.0.0.1, ::1 and localhost, signed by the CA
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$PKI/$1.key" -out "$PKI/$1.crt" -subj "/CN=$2" \
        -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
        -addext "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost" \
        -addext "basicConstraints=critical,CA:FALSE" >/dev/null 2>&1
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=seam test CA" >/dev/null 2>&1
mkcert one seam-one
mkcert two seam-two
check "the test made its CA and two server certificates" \
    openssl verify -CAfile "$PKI/ca.crt" "$PKI/one.crt" "$PKI/two.crt"
cp "$PKI/one.crt" "$PKI/live.crt"
cp "$PKI/one.key" "$PKI/live.key"
chmod 600 "$PKI"/*.key

conf_with '.tls = {cert: $c, key: $k} | .trusted_proxies = ["127.0.0.1"]' \
    --arg c "$PKI/live.crt" --arg k "$PKI/live.key"
LIVE=$CONF
init_store
LEAD=$(new_token lead ops)
start_broker
LOG=$TMP/broker.$STARTS.log
S="https://127.0.0.1:$PORT"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
check "curl verifies the certificate and gets 200 over TLS" \
    [ "$(code --cacert "$PKI/ca.crt" "$S/healthz")" = 200 ]
refute "a client without the CA refuses the certificate" curl -sf -o /dev/null "$S/healthz"
check "plain HTTP on the TLS port gets no HTTP answer" \
    [ "$(code --max-time 5 "http://127.0.0.1:$PORT/healthz")" = 000 ]
check "TLS 1.2 is taken" [ "$(code --cacert "$PKI/ca.crt" --tlsv1.2 --tls-max 1.2 "$S/healthz")" = 200 ]
check "TLS 1.3 is taken" [ "$(code --cacert "$PKI/ca.crt" --tlsv1.3 "$S/healthz")" = 200 ]
proto() { # VERSION-FLAG: the cipher a client that offers only that version gets ("(NONE)": refused)
    openssl s_client -connect "127.0.0.1:$PORT" "$1" -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1 |
        sed -n 's/.*Cipher is \([^ ]*\).*/\1/p' | head -1
}
check "TLS 1.1 is refused by the broker (a client offering it gets no cipher)" [ "$(proto -tls1_1)" = "(NONE)" ]
check "TLS 1.0 too" [ "$(proto -tls1)" = "(NONE)" ]
check "... while the same client offering TLS 1.2 gets one" matches "$(proto -tls1_2)" "^ECDHE-"
check "the lead's API over TLS" \
    [ "$(code --cacert "$PKI/ca.crt" -H "Authorization: Bearer $LEAD" "$S/v1/tickets")" = 200 ]
check "/metrics says TLS is on" \
    bash -c "curl -s --cacert '$PKI/ca.crt' '$S/metrics' | grep -qx 'seam_tls_enabled 1'"
check "the log says it listens with TLS 1.2 and 1.3" grep -q "listening on 127.0.0.1:$PORT threads=[0-9]* tls=on" "$LOG"

subject() { # the subject the broker presents now
    openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$PKI/ca.crt" </dev/null 2>/dev/null |
        openssl x509 -noout -subject 2>/dev/null
}
check "it presents the first certificate" matches "$(subject)" "CN ?= ?seam-one"

# --- the client's address in the log
curl -s -o /dev/null --cacert "$PKI/ca.crt" -H 'X-Forwarded-For: 203.0.113.7' "$S/healthz?n=xff1"
curl -s -o /dev/null --cacert "$PKI/ca.crt" -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9, 127.0.0.1' \
    "$S/healthz?n=xff2"
curl -s -o /dev/null --cacert "$PKI/ca.crt" -H 'X-Forwarded-For: not-an-address' "$S/healthz?n=xff3"
curl -s -o /dev/null --cacert "$PKI/ca.crt" "$S/healthz?n=plain"
sleep 0.3
check "a trusted proxy's X-Forwarded-For names the client" \
    bash -c "grep -q 'client=203.0.113.7 method=GET path=/healthz' '$LOG'"
check "... read from its right end, trusted proxies skipped" \
    bash -c "grep -q 'client=203.0.113.9 method=GET path=/healthz' '$LOG'"
check "... a malformed entry leaves the peer's address" \
    [ "$(grep -c 'client=127.0.0.1 method=GET path=/healthz' "$LOG")" -ge 2 ]

# --- a reload takes a new certificate for the next handshakes
cp "$PKI/two.crt" "$PKI/live.crt"
cp "$PKI/two.key" "$PKI/live.key"
touch "$LIVE" # the file is the same; its certificate is read again all the same
ctl reload >"$TMP/reload.out" 2>&1
check "seamctl reload takes the new certificate" grep -q "reloaded" "$TMP/reload.out"
check "the next handshake presents it" matches "$(subject)" "CN ?= ?seam-two"
check "curl still verifies it" [ "$(code --cacert "$PKI/ca.crt" "$S/healthz")" = 200 ]

# --- a key that is not the certificate's is refused; the one in force stays
cp "$PKI/one.key" "$PKI/live.key"
ctl reload >"$TMP/reload.out" 2>&1
RC=$?
check "a certificate with another's key is refused (exit 1)" [ $RC = 1 ]
check "... named in seamctl's answer" grep -q 'reload refused.*\$\.tls' "$TMP/reload.out"
check "... /metrics: refused for tls" \
    bash -c "curl -s --cacert '$PKI/ca.crt' '$S/metrics' | grep -qx 'seam_config_last_reload_refused{reason=\"tls\"} 1'"
check "... the certificate in force is still served" matches "$(subject)" "CN ?= ?seam-two"
cp "$PKI/two.key" "$PKI/live.key"

# --- TLS on or off only at a restart
jq 'del(.tls)' "$LIVE" >"$LIVE.new" && mv "$LIVE.new" "$LIVE"
ctl reload >"$TMP/reload.out" 2>&1
check "turning TLS off by a reload is refused: only a restart does" \
    grep -q 'tls (on or off) changed: only a restart changes it' "$TMP/reload.out"
check "... and HTTPS is still served" [ "$(code --cacert "$PKI/ca.crt" "$S/healthz")" = 200 ]
stop_broker

# --- a certificate that cannot be read stops the start, saying which
conf_with '.tls = {cert: $c, key: $k}' --arg c "$PKI/missing.crt" --arg k "$PKI/two.key"
"$BROKER" -c "$CONF" -d "$DATA" -l 127.0.0.1:0 >"$TMP/missing.log" 2>&1
check "a missing certificate file stops the start, named" \
    bash -c "[ $? != 0 ] && grep -q 'missing.crt' '$TMP/missing.log'"

# --- IPv6
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    conf_with '.tls = {cert: $c, key: $k}' --arg c "$PKI/two.crt" --arg k "$PKI/two.key"
    "$BROKER" -c "$CONF" -d "$DATA" -l "[::1]:0" >"$TMP/v6.log" 2>&1 &
    BPID=$!
    STARTS=$((STARTS + 1))
    cp "$TMP/v6.log" "$TMP/broker.$STARTS.log" 2>/dev/null
    P6=
    for _ in $(seq 1 100); do
        P6=$(sed -n 's/.*listening on \[::1\]:\([0-9]*\).*/\1/p' "$TMP/v6.log" | head -1)
        [ -n "$P6" ] && break
        sleep 0.05
    done
    check "the broker listens on [::1]" [ -n "$P6" ]
    check "curl over IPv6 and TLS gets 200" \
        [ "$(code -g --cacert "$PKI/ca.crt" "https://[::1]:$P6/healthz")" = 200 ]
    curl -s -g -o /dev/null --cacert "$PKI/ca.crt" -H 'X-Forwarded-For: 203.0.113.50' \
        "https://[::1]:$P6/healthz"
    sleep 0.3
    check "the log names the IPv6 client; an untrusted peer's X-Forwarded-For is ignored" \
        bash -c "grep -q 'client=::1 method=GET path=/healthz' '$TMP/v6.log' && ! grep -q 203.0.113.50 '$TMP/v6.log'"
    check "/metrics is served to ::1 as to 127.0.0.1" \
        [ "$(code -g --cacert "$PKI/ca.crt" "https://[::1]:$P6/metrics")" = 200 ]
    kill -TERM "$BPID"
    wait "$BPID"
    check "the IPv6 broker stopped cleanly" [ $? = 0 ]
    BPID=
else
    skip "no IPv6 loopback on this machine"
fi
finish
