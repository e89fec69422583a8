#!/usr/bin/env bash
# Reload (issue 21, item 5): SIGHUP and seamctl reload read the configuration
# again, check it as the start does, and swap it in only when every check
# passes. Under load (customers filing, the lead reading, a partner's long
# poll parked across the reloads) no request fails; a good configuration is
# taken (generation 2, its version on /metrics and in the next routing's
# event), a configuration whose rules conflict, one that is not valid and one
# that changes what only a restart changes are each refused with the reason
# in seamctl's answer, the log and /metrics, and the one in force stays. A
# ticket routed before the reload keeps the fallback chain it was routed
# with; one routed after follows the new one.
. "$(dirname "$0")/lib.sh"

LIVE=$TMP/live.json
cp "$ROOT/conf/seam.json" "$LIVE"
CONF=$LIVE
init_store
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_broker
LOG=$TMP/broker.$STARTS.log
version_of() { sha256sum "$1" | cut -c1-16; }
metric() { curl -s "$(URL /metrics)" | grep -E "^$1" | head -1; }
VA=$(version_of "$LIVE")

check "generation 1 at the start" [ "$(metric 'seam_config_generation ')" = "seam_config_generation 1" ]
check "/metrics names the version in force (the file's SHA-256 prefix)" \
    [ "$(metric seam_config_info)" = "seam_config_info{version=\"$VA\"} 1" ]

# T1 is routed under the start's rules: internet-access, fallback [provider_of:wiring, lead].
req POST /v1/tickets "$C1" "$TICKET_BODY"
T1=$(jbody .id)
req GET "/v1/tickets/$T1/evidence" "$LEAD"
check "the routing event names the configuration that decided it" \
    [ "$(ev_open "$TMP/body" | jq -r '[.[] | .data.route? | select(. != null) | .config][0]')" = "$VA" ]

# --- load: two customers' filings and the lead's reads, all the while
STOP=$TMP/stop
load() { # NAME: requests until $STOP exists; one status a line in $TMP/load.NAME
    local n=0
    while [ ! -e "$STOP" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' -X POST -H "Authorization: Bearer $C1" \
            -H 'Content-Type: application/json' --data-binary "$TICKET_BODY" "$(URL /v1/tickets)"
        curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $LEAD" \
            "$(URL "/v1/tickets/$T1")"
        curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $LEAD" \
            "$(URL /v1/rules/check)"
        n=$((n + 1))
    done >"$TMP/load.$1"
}
load a &
LA=$!
load b &
LB=$!
# A partner's long poll parked across every reload below (it began under generation 1).
curl -s -o "$TMP/poll.body" -w '%{http_code}' -H "Authorization: Bearer $FIB" \
    "$(URL '/v1/assignments?state=assigned&wait=4')" >"$TMP/poll.status" &
LP=$!
sleep 0.5

# --- a good configuration: the internet rule's fallback chain becomes [nordtel, lead]
jq '.rules |= map(if .id == "internet-access" then .fallback = ["nordtel", "lead"] else . end)' \
    "$ROOT/conf/seam.json" >"$LIVE.new" && mv "$LIVE.new" "$LIVE"
VB=$(version_of "$LIVE")
ctl reload >"$TMP/reload.out" 2>&1
RC=$?
check "seamctl reload takes the good configuration (exit 0)" [ $RC = 0 ]
check "... and says which is in force" grep -q "reloaded: configuration $VB in force (generation 2)" "$TMP/reload.out"
check "... generation 2 on /metrics" [ "$(metric 'seam_config_generation ')" = "seam_config_generation 2" ]
check "... its version on /metrics" [ "$(metric seam_config_info)" = "seam_config_info{version=\"$VB\"} 1" ]
check "... the last reload succeeded" [ "$(metric 'seam_config_last_reload_success ')" = "seam_config_last_reload_success 1" ]
check "... the log says so" grep -q "reload: generation 2 in force, version $VB" "$LOG"

# --- a bad one: two rules of equal rank give the same complaints different owners
jq '.rules += [(.rules[] | select(.id == "internet-access") | .id = "internet-clash" | .owners = "nordtel")]' \
    "$ROOT/conf/seam.json" >"$LIVE.new" && mv "$LIVE.new" "$LIVE"
ctl reload >"$TMP/reload.out" 2>&1
RC=$?
check "a configuration whose rules conflict is refused (exit 1)" [ $RC = 1 ]
check "... seamctl says why, and that the one in force stays" \
    grep -q "reload refused; configuration $VB stays in force (generation 2): the rules have conflicts" "$TMP/reload.out"
check "... generation 2 stays" [ "$(metric 'seam_config_generation ')" = "seam_config_generation 2" ]
check "... /metrics says why" [ "$(metric seam_config_last_reload_refused)" = 'seam_config_last_reload_refused{reason="rules"} 1' ]
check "... and that the last reload failed" [ "$(metric 'seam_config_last_reload_success ')" = "seam_config_last_reload_success 0" ]
check "... the log names the conflict" grep -q 'reload: the rules.* check: .*internet-clash' "$LOG"
check "... and the refusal" grep -q "reload: refused, the configuration in force stays (generation 2, version $VB)" "$LOG"

# --- not valid: an unknown key, named by its path (plain SIGHUP this time)
jq '.limits.no_such_limit = 1' "$ROOT/conf/seam.json" >"$LIVE"
kill -HUP "$BPID"
eventually 5 grep -q 'reload: .*\$\.limits.*no_such_limit' "$LOG"
check "an unknown key is refused, its JSON path in the log" grep -q 'reload: .*\$\.limits.*no_such_limit' "$LOG"
eventually 5 bash -c "curl -s '$(URL /metrics)' | grep -q 'seam_config_last_reload_refused{reason=\"invalid\"} 1'"
check "... /metrics: refused as invalid" bash -c "curl -s '$(URL /metrics)' | grep -q 'seam_config_last_reload_refused{reason=\"invalid\"} 1'"

# --- what only a restart changes
jq '.limits.threads = 7' "$ROOT/conf/seam.json" >"$LIVE"
ctl reload >"$TMP/reload.out" 2>&1
RC=$?
check "a change of limits.threads is refused: only a restart changes it" \
    bash -c "[ $RC = 1 ] && grep -q 'limits.threads changed: only a restart changes it' '$TMP/reload.out'"
check "... /metrics: restart_only" [ "$(metric seam_config_last_reload_refused)" = 'seam_config_last_reload_refused{reason="restart_only"} 1' ]
check "... refusals counted" [ "$(metric 'seam_config_reloads_total{result="refused"}')" = 'seam_config_reloads_total{result="refused"} 3' ]
check "... the good one counted" [ "$(metric 'seam_config_reloads_total{result="ok"}')" = 'seam_config_reloads_total{result="ok"} 1' ]
jq '.mail = {"smtp_url": "smtp://127.0.0.1:1", "from": "support@northwind.example", "portal_url": "https://portal.northwind.example"}
    | .witnesses = {"list": [{"name": "w.example", "url": "http://127.0.0.1:1", "key": "'"$(head -c 32 /dev/zero | base64)"'"}]}' \
    "$ROOT/conf/seam.json" >"$LIVE"
ctl reload >"$TMP/reload.out" 2>&1
RC=$?
check "mail and witnesses turned on by a reload are refused: their threads read the start's" \
    bash -c "[ $RC = 1 ] && grep -q 'mail, witnesses changed: only a restart changes them' '$TMP/reload.out'"

wait "$LP"
check "the long poll parked across the reloads was answered 200" [ "$(cat "$TMP/poll.status")" = 200 ]
touch "$STOP"
wait "$LA" "$LB"
TOTAL=$(cat "$TMP"/load.* | wc -l)
FAILED=$(cat "$TMP"/load.* | grep -cv '^20[01]$')
check "under load: $TOTAL requests during the reloads, none failed ($FAILED not 200/201)" \
    [ "$TOTAL" -gt 30 -a "$FAILED" = 0 ]

# --- tickets in flight keep the rules they were routed with
req POST /v1/tickets "$C1" "$TICKET_BODY"
T2=$(jbody .id)
req GET "/v1/tickets/$T2/evidence" "$LEAD"
check "a routing after the reload names the new version" \
    [ "$(ev_open "$TMP/body" | jq -r '[.[] | .data.route? | select(. != null) | .config][0]')" = "$VB" ]
handback() { # TICKET: fibernet hands its claim back; prints the next owner
    req GET "/v1/tickets/$1" "$LEAD"
    local a
    a=$(jbody '.assignments[] | select(.partner == "fibernet" and .state == "assigned") | .id')
    req POST "/v1/assignments/$a/handback" "$FIB" '{"reason":"not_our_service"}'
    req GET "/v1/tickets/$1" "$LEAD"
    jbody '[.assignments[] | select(.state != "handed_back" and .state != "resolved")][0].partner'
}
LEAD_ID=$(jq -r .lead.id "$ROOT/conf/seam.json")
check "T1, routed before, follows its own chain to the wiring provider (the lead)" \
    [ "$(handback "$T1")" = "$LEAD_ID" ]
check "T2, routed after, follows the new chain to nordtel" [ "$(handback "$T2")" = nordtel ]

stop_broker
ctl reload >"$TMP/reload.out" 2>&1
RC=$?
check "seamctl reload without a broker says so (exit 1)" \
    bash -c "[ $RC = 1 ] && grep -q 'no broker serves' '$TMP/reload.out'"
check "no use of a freed configuration (the sanitizers' builds report it)" \
    bash -c "! grep -q -E 'heap-use-after-free|Sanitizer' '$LOG'"
finish
