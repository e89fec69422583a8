#!/usr/bin/env bash
# Attachments under store faults (the fault-injecting broker, make faults):
# an upload whose store call N fails, for every N until one succeeds, is
# answered 5xx with nothing stored or 2xx with the file whole; a note that
# refers to an attachment, failing the same way, leaves no reference behind
# (the customer still cannot read the partner's file) or makes it; the
# store verifies after each.
. "$(dirname "$0")/faults_lib.sh"

req POST /v1/tickets "$C1" "$TICKET_BODY"
T=$(jbody .id)

req GET "/v1/tickets/$T" "$LEAD"
A=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$A/ack" "$FIB" '{}'

# fup N FILE [TOKEN]: an upload with the fault armed at N; sets STATUS and FAULT.
fup() {
    local out
    out=$(curl -s -o "$TMP/body" -w '%{http_code} %header{seam-fault}' -X POST \
        -H "seam-fault-at: $1" -H "Authorization: Bearer ${3:-$C1}" -H 'Content-Type: text/plain' \
        --data-binary "@$2" "$(URL "/v1/tickets/$T/attachments")")
    STATUS=${out%% *} FAULT=${out#* }
}
listed() { # SHA: whether the lead's list holds it
    curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$T/attachments")" |
        jq -e --arg s "$1" 'any(.items[]; .sha256 == $s)' >/dev/null
}

n=0 bad=0 why="" failed=0 stored=0
while :; do
    n=$((n + 1))
    [ $n -le 60 ] || { bad=1 why="no end after 60" && break; }
    printf 'modem log %d\n' "$n" >"$TMP/log.$n"
    sha=$(sha256sum "$TMP/log.$n" | cut -d' ' -f1)
    fup $n "$TMP/log.$n"
    kill -0 "$BPID" 2>/dev/null || { bad=1 why="the broker died at N=$n" && break; }
    case "$FAULT:$STATUS" in
    pending:201) disarm; listed "$sha" || { bad=1 why="N=$n: 201 but not stored"; }; stored=$((stored + 1)); break ;;
    fired:201) listed "$sha" || { bad=1 why="N=$n: 201 but not stored" && break; }; stored=$((stored + 1)) ;;
    fired:500 | fired:503)
        failed=$((failed + 1))
        listed "$sha" && { bad=1 why="N=$n: $STATUS but stored" && break; } ;;
    *) bad=1 why="N=$n: answered $STATUS (fault: $FAULT): $(body)"; break ;;
    esac
done
ok $bad "upload: $n requests, a fault in each but the last; $failed answered 5xx, $stored stored${why:+ ($why)}"
check "upload: ... some failed" [ "$failed" -gt 0 ]
check "upload: ... the store verifies" ctl verify

# The partner's log, then a question to the customer referring to it, under faults.
printf 'line test: port 7\n' >"$TMP/partner.log"
fup 0 "$TMP/partner.log" "$FIB"
check "the partner uploads its log" [ "$STATUS" = 201 ]
sha=$(jbody .sha256)
n=0 bad=0 why="" failed=0
while :; do
    n=$((n + 1))
    [ $n -le 100 ] || { bad=1 why="no end after 100" && break; }
    out=$(curl -s -o "$TMP/body" -w '%{http_code} %header{seam-fault}' -X POST \
        -H "seam-fault-at: $n" -H "Authorization: Bearer $FIB" -H 'Content-Type: application/json' \
        --data-binary "{\"question\":\"Is the port lit?\",\"attachments\":[\"$sha\"]}" \
        "$(URL "/v1/assignments/$A/need-info")")
    STATUS=${out%% *} FAULT=${out#* }
    kill -0 "$BPID" 2>/dev/null || { bad=1 why="the broker died at N=$n" && break; }
    cust=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $C1" \
        "$(URL "/v1/tickets/$T/attachments/$sha")")
    case "$FAULT:$STATUS" in
    pending:200) disarm; [ "$cust" = 200 ] || { bad=1 why="N=$n: 200 but the customer cannot read it"; }; break ;;
    fired:200) [ "$cust" = 200 ] || bad=1 why="N=$n: 200 but the customer cannot read it"; break ;;
    fired:500 | fired:503)
        failed=$((failed + 1))
        [ "$cust" = 404 ] || { bad=1 why="N=$n: $STATUS but the reference was kept" && break; } ;;
    *) bad=1 why="N=$n: answered $STATUS (fault: $FAULT): $(body)"; break ;;
    esac
done
ok $bad "question with an attachment: $n requests; $failed answered 5xx, none leaving a reference${why:+ ($why)}"
check "question: ... some failed" [ "$failed" -gt 0 ]
check "question: ... the store verifies" ctl verify
finish
