#!/usr/bin/env bash
# People (issue 18, items 1-5): users of every principal made with seamctl
# and through /v1/users, invitations and resets as one-time links that
# expire, sign-in with a password (and a TOTP code for staff), lockout after
# failed sign-ins, session cookies with CSRF token and Origin, idle expiry,
# sign-out and sign-out everywhere, a disabled agent losing access at its
# next request, events naming the acting user (and still verifying), and a
# partner's supervisor reading its own SLA figures only. On the test clock
# (seam-broker -T): expiry is reached by moving it.
. "$(dirname "$0")/lib.sh"
conf_with '.sessions = {"idle_s": 300, "absolute_s": 600, "invite_s": 600, "max_failures": 3, "lockout_s": 30,
                        "totp_staff": 1}'
init_store
C1=$(new_customer c1)
C2=$(new_customer c2)
LEAD=$(new_token lead ops)
OFFSET_MS=0 # how far the test clock was moved
PY3=/usr/bin/python3 # Debian's (a python3 earlier in PATH may be a slow wrapper)
[ -x "$PY3" ] || PY3=python3

# seamctl: users of every kind of principal
check "a partner's agent is added" ctl user add fibernet/alice --kind agent
check "a partner's supervisor" ctl user add fibernet/sam --kind supervisor
check "a skyview agent" ctl user add skyview/sue --kind agent
check "the lead's manager" ctl user add northwind/mary --kind manager
check "the lead's desk" ctl user add northwind/dan --kind desk
check "two users of one customer record (a household)" ctl user add c1/ann --kind customer
check "... the second" ctl user add c1/ben --kind customer
check "a user of another customer" ctl user add c2/cat --kind customer
refute "a user of a customer that does not exist is refused" ctl user add c9/x --kind customer
refute "a partner's user of an unknown partner is refused" ctl user add nopartner/x --kind agent
refute "an agent of the lead is refused (agents are partners')" ctl user add northwind/x --kind agent
refute "an unknown kind is refused" ctl user add fibernet/x --kind root
refute "a user id without its principal is refused" ctl user add alice --kind agent
refute "the same user twice is refused" ctl user add fibernet/alice --kind agent
ctl user list >"$TMP/users"
check "user list shows every user, invited" [ "$(grep -c ' invited ' "$TMP/users")" = 8 ]
check "user list --subject shows one principal's" [ "$(ctl user list --subject c1 | wc -l)" = 2 ]
ctl customer list >"$TMP/customers"
check "customer list shows the customer records" [ "$(awk '{print $1}' "$TMP/customers" | tr '\n' ' ')" = "c1 c2 " ]
ALICE_TOK=$(ctl token issue --role partner --subject fibernet/alice 2>/dev/null)
check "a token is issued to a user" matches "$ALICE_TOK" '^seam_'
refute "a token of another role than the user's is refused" ctl token issue --role lead --subject fibernet/alice
refute "a token of a user that does not exist is refused" ctl token issue --role partner --subject fibernet/zed
ctl token list >"$TMP/tokens"
check "token list names the user a token is issued to" grep -q ' partner fibernet fibernet/alice ' "$TMP/tokens"
check "token list shows every token (3 principals' and the user's)" [ "$(wc -l <"$TMP/tokens")" = 4 ]
refute "token list shows no secret" grep -q 'seam_' "$TMP/tokens"

start_broker -T now
ORIGIN="http://127.0.0.1:$PORT"
clock() { # advance the test clock by MS
    req POST /v1/test/clock "$LEAD" "{\"advance_ms\":$1}"
    OFFSET_MS=$((OFFSET_MS + $1))
}
totp() { # SECRET: the code now, on the broker's clock
    "$PY3" - "$1" "$OFFSET_MS" <<'PY'
import base64, hashlib, hmac, struct, sys, time
s = sys.argv[1]
k = base64.b32decode(s + "=" * (-len(s) % 8))
t = int((time.time() * 1000 + int(sys.argv[2])) // 1000 // 30)
h = hmac.new(k, struct.pack(">Q", t), hashlib.sha1).digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}
# sreq METHOD PATH SID CSRF [BODY [ORIGIN]]: a request with a session cookie; sets STATUS.
sreq() {
    local method=$1 path=$2 sid=$3 csrf=$4 body=${5-} origin=${6-$ORIGIN}
    local args=(-s -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}' -X "$method")
    [ -n "$sid" ] && args+=(-H "Cookie: __Host-seam_session=$sid")
    [ -n "$csrf" ] && args+=(-H "X-CSRF-Token: $csrf")
    [ -n "$origin" ] && args+=(-H "Origin: $origin")
    [ $# -ge 5 ] && [ -n "$body" ] && args+=(-H "Content-Type: application/json" --data-binary "$body")
    STATUS=$(curl "${args[@]}" "$(URL "$path")")
    [ -z "${SEAM_CAPTURE:-}" ] || capture "$method" "$path"
}
# signin USER PASSWORD [TOTP]: sets STATUS, SID and CSRF.
signin() {
    local b
    b=$(jq -nc --arg u "$1" --arg p "$2" --arg t "${3-}" '{user: $u, password: $p} + (if $t == "" then {} else {totp: $t} end)')
    sreq POST /v1/sessions "" "" "$b"
    SID=$(header set-cookie | sed -n 's/^__Host-seam_session=\([^;]*\);.*/\1/p')
    CSRF=$(jbody '.csrf_token // empty')
}
# accept LINK PASSWORD: sets STATUS (the body holds the TOTP secret for staff).
accept() {
    sreq POST /v1/password "" "" "$(jq -nc --arg l "$1" --arg p "$2" '{link: $l, password: $p}')"
}

# Invitations: one-time, expiring
LINK=$(ctl user invite c1/ann 2>/dev/null)
check "an invitation link is printed" matches "$LINK" '^seaml_[A-Za-z0-9_-]{43}$'
accept "$LINK" "short"
check "a password under 10 characters is refused (400 invalid_field password)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = password ]
accept "$LINK" "ann's long password"
check "the invitation sets the password (200)" [ "$STATUS" = 200 -a "$(jbody .user)" = c1/ann ]
check "a customer gets no TOTP secret" [ "$(jbody '.totp_secret // "none"')" = none ]
accept "$LINK" "another long password"
check "the invitation works once (400 link_invalid)" [ "$STATUS" = 400 -a "$(jbody .error.code)" = link_invalid ]
LINK_CAT=$(ctl user invite c2/cat 2>/dev/null)
accept "seaml_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "cat's long password"
check "an unknown link is refused the same way" [ "$STATUS" = 400 -a "$(jbody .error.code)" = link_invalid ]
accept "$LINK_CAT" "cat's long password"
check "another invitation works" [ "$STATUS" = 200 ]

# Sign-in: wrong password, the cookie, lockout
signin c1/ann "not the password"
check "a wrong password is 401 signin_failed" [ "$STATUS" = 401 -a "$(jbody .error.code)" = signin_failed ]
signin c1/nobody "not the password"
check "an unknown user is the same 401" [ "$STATUS" = 401 -a "$(jbody .error.code)" = signin_failed ]
check "the failure is logged without the password" grep -q 'sign-in failed user=c1/ann addr=127.0.0.1 reason=password' "$TMP/broker.1.log"
refute "... and the password appears nowhere in the log" grep -q 'not the password' "$TMP/broker.1.log"
signin c1/ann "ann's long password" "" 
check "the right password signs in (201)" [ "$STATUS" = 201 -a -n "$SID" -a ${#CSRF} = 64 ]
COOKIE=$(header set-cookie)
check "the cookie is __Host-, HttpOnly, SameSite=Strict, Secure, Path=/" \
    matches "$COOKIE" '^__Host-seam_session=[A-Za-z0-9_-]{43}; Path=/; Max-Age=600; HttpOnly; SameSite=Strict; Secure$'
ANN_SID=$SID ANN_CSRF=$CSRF
for i in 1 2 3; do signin c1/ann "wrong $i"; done
check "the limit's failure still answers 401" [ "$STATUS" = 401 ]
signin c1/ann "ann's long password"
check "after 3 failures the account is locked, even for the right password (429)" [ "$STATUS" = 429 -a "$(jbody .error.code)" = signin_locked ]
check "... with Retry-After" matches "$(header retry-after)" '^[0-9]+$'
check "the lock is logged" grep -q 'sign-in refused: locked user=c1/ann' "$TMP/broker.1.log"
clock 31000
signin c1/ann "ann's long password"
check "after the lock the right password signs in again" [ "$STATUS" = 201 ]

# The session does what ann's principal (customer c1) does, through the same endpoints
sreq POST /v1/tickets "$ANN_SID" "$ANN_CSRF" "$TICKET_BODY"
check "a customer's session files a ticket (201)" [ "$STATUS" = 201 ]
T1=$(jbody .id)
req POST /v1/tickets "$C2" "$TICKET_BODY"
T2=$(jbody .id)
sreq GET "/v1/tickets/$T1" "$ANN_SID" ""
check "the session reads its customer's ticket" [ "$STATUS" = 200 -a "$(jbody .id)" = "$T1" ]
sreq GET "/v1/tickets/$T2" "$ANN_SID" ""
check "the session of one customer never sees another's ticket (404)" [ "$STATUS" = 404 ]
sreq GET "/v1/tickets" "$ANN_SID" ""
check "the list holds only its customer's tickets" [ "$(jbody '[.items[].id] | join(",")')" = "$T1" ]
sreq GET "/v1/assignments" "$ANN_SID" ""
check "a customer's session cannot read a partner's queue (404)" [ "$STATUS" = 404 ]
sreq GET /v1/sessions/current "$ANN_SID" ""
check "the session says who it is" [ "$(jbody .principal)" = customer:c1/ann -a "$(jbody .session)" = true ]

# CSRF: a state-changing request with the cookie needs the token and this origin
NOTE='{"text":"It is still down."}'
sreq POST "/v1/tickets/$T1/notes" "$ANN_SID" "" "$NOTE"
check "without X-CSRF-Token: 403 csrf" [ "$STATUS" = 403 -a "$(jbody .error.code)" = csrf -a "$(jbody .error.field)" = X-CSRF-Token ]
sreq POST "/v1/tickets/$T1/notes" "$ANN_SID" "$(printf '0%.0s' $(seq 64))" "$NOTE"
check "with a wrong token: 403 csrf" [ "$STATUS" = 403 -a "$(jbody .error.code)" = csrf ]
sreq POST "/v1/tickets/$T1/notes" "$ANN_SID" "$ANN_CSRF" "$NOTE" "http://evil.example"
check "a cross-origin POST is refused (403 csrf, field Origin)" [ "$STATUS" = 403 -a "$(jbody .error.field)" = Origin ]
sreq POST "/v1/tickets/$T1/notes" "$ANN_SID" "$ANN_CSRF" "$NOTE" ""
check "a POST without Origin is refused" [ "$STATUS" = 403 -a "$(jbody .error.field)" = Origin ]
sreq GET "/v1/tickets/$T1" "$ANN_SID" ""
check "the refused notes changed nothing" [ "$(jbody '[.timeline[] | select(.type == "ticket.note")] | length')" = 0 ]
sreq POST "/v1/tickets/$T1/notes" "$ANN_SID" "$ANN_CSRF" "$NOTE"
check "with the token and this origin the note is added" [ "$STATUS" = 200 -a "$(jbody '[.timeline[] | select(.type == "ticket.note")] | length')" = 1 ]
sreq POST /v1/sessions "" "" '{"user":"c1/ann","password":"ann'"'"'s long password"}' "http://evil.example"
check "a sign-in posted from another site is refused" [ "$STATUS" = 403 -a "$(jbody .error.code)" = csrf ]

# Staff: TOTP required (sessions.totp_staff)
accept "$(ctl user invite fibernet/alice 2>/dev/null)" "alice's long password"
ALICE_TOTP=$(jbody .totp_secret)
check "staff get a TOTP secret when they set a password" matches "$ALICE_TOTP" '^[A-Z2-7]{32}$'
check "... and its otpauth URI" matches "$(jbody .otpauth_uri)" "^otpauth://totp/seam:fibernet/alice\?secret=$ALICE_TOTP"
signin fibernet/alice "alice's long password"
check "staff without a TOTP code: 401 (field totp)" [ "$STATUS" = 401 -a "$(jbody .error.field)" = totp -a -z "$SID" ]
GOOD=$(totp "$ALICE_TOTP")
WRONG=$(printf '%06d' $(((10#$GOOD + 500000) % 1000000)))
signin fibernet/alice "alice's long password" "$WRONG"
check "a wrong TOTP code: 401 (field totp)" [ "$STATUS" = 401 -a "$(jbody .error.field)" = totp -a -z "$SID" ]
signin fibernet/alice "alice's long password" "$GOOD"
check "the right TOTP code signs in" [ "$STATUS" = 201 -a -n "$SID" ]
ALICE_SID=$SID ALICE_CSRF=$CSRF
signin fibernet/alice "alice's long password" "$GOOD"
check "the same code is not taken twice" [ "$STATUS" = 401 -a "$(jbody .error.field)" = totp ]

# An agent's action names the agent; the evidence verifies
sreq GET "/v1/tickets/$T1/evidence" "$ALICE_SID" ""
A1=$(curl -s -H "Authorization: Bearer $LEAD" "$(URL "/v1/tickets/$T1")" | jq -r '.assignments[0].id')
sreq POST "/v1/assignments/$A1/ack" "$ALICE_SID" "$ALICE_CSRF" '{"note":"On it."}'
check "the agent's session acknowledges the assignment" [ "$STATUS" = 200 ]
req GET "/v1/tickets/$T1/evidence" "$LEAD"
# (the user is a restricted value of the event: a disclosure named actor.user, t_evidence_view)
actor_user='def user: [.disclosures[]? | fromjson | select(.[1] == "actor.user") | .[2]][0];'
check "the event names the agent: partner fibernet, user fibernet/alice" \
    [ "$(jbody "$actor_user"'[.events[] | select((.event | fromjson | .type) == "assignment.acknowledged") | "\(.event | fromjson | .actor.role):\(user)"] | join(",")')" = partner:fibernet/alice ]
check "the customer's events name the customer's user" \
    [ "$(jbody "$actor_user"'[.events[] | select((.event | fromjson | .type) == "ticket.created") | user] | join(",")')" = c1/ann ]
body >"$TMP/ev.json"
req GET "/v1/tickets/$T1" "$LEAD"
check "the lead's view names the agent on the acknowledgement's timeline entry" \
    [ "$(jbody '[.timeline[] | select(.type == "assignment.acknowledged") | .by] | join(",")')" = fibernet/alice ]
check "... and the customer's user on the filing" [ "$(jbody '.timeline[0].by')" = c1/ann ]
sreq GET "/v1/tickets/$T1" "$ANN_SID" ""
check "the customer's view names no user" [ "$(jbody '[.timeline[] | has("by")] | any')" = false ]
check "the evidence verifies offline" ctl verify-evidence "$TMP/ev.json" --key "$TMP/data/broker.pub"
req GET "/v1/tickets/$T2/evidence" "$LEAD"
check "events without a user (bearer tokens) keep their shape" [ "$(jbody '[.events[].event | fromjson | .actor | has("user")] | any')" = false ]
req POST "/v1/assignments/$A1/progress" "$ALICE_TOK" '{"note":"Checking the line."}'
check "a token issued to the agent works like its session" [ "$STATUS" = 200 ]

# Supervisors: their own company's SLA figures and users
accept "$(ctl user invite fibernet/sam 2>/dev/null)" "sam's long password"
SAM_TOTP=$(jbody .totp_secret)
signin fibernet/sam "sam's long password" "$(totp "$SAM_TOTP")"
SAM_SID=$SID SAM_CSRF=$CSRF
check "the supervisor signs in" [ "$STATUS" = 201 ]
sreq GET /v1/audit/sla "$SAM_SID" ""
check "a supervisor reads the SLA report, scoped to its company" [ "$STATUS" = 200 -a "$(jbody .partner)" = fibernet ]
check "... with no other owner in it" [ "$(jbody '[.owners[].partner // .owners[].owner // empty] | map(select(. != "fibernet")) | length')" = 0 ]
sreq GET "/v1/audit/sla?partner=skyview" "$SAM_SID" ""
check "another partner's report is 404" [ "$STATUS" = 404 ]
sreq GET "/v1/audit/breaches?partner=skyview" "$SAM_SID" ""
check "another partner's breaches are 404" [ "$STATUS" = 404 ]
sreq GET /v1/audit/breaches "$SAM_SID" ""
check "its own breaches: 200" [ "$STATUS" = 200 ]
sreq GET /v1/audit/sla "$ALICE_SID" ""
check "an agent does not read the SLA report (404)" [ "$STATUS" = 404 ]
req GET /v1/audit/sla "$(new_token partner fibernet)"
check "nor does the partner's own machine token" [ "$STATUS" = 404 ]
# A customer whose id is the partner's: its users share the subject, not the company.
ctl customer add fibernet --name "Fiona Net" --bundle triple-play --region north >/dev/null
ctl user add fibernet/home --kind customer >/dev/null
ctl user email fibernet/home home@fiona.example >/dev/null 2>&1
sreq GET /v1/users "$SAM_SID" ""
refute "a supervisor's list holds no customer's user of the same subject (fibernet/home)" \
    grep -q -e fibernet/home -e fiona.example "$TMP/body"
check "a supervisor lists its own company's users only" [ "$STATUS" = 200 -a "$(jbody '[.items[].subject] | unique | join(",")')" = fibernet ]
check "... never with a password hash or TOTP secret" [ "$(jbody '[.items[] | has("password") or has("totp_secret")] | any')" = false ]
sreq POST /v1/users "$SAM_SID" "$SAM_CSRF" '{"id":"fibernet/carl","kind":"agent"}'
check "a supervisor adds an agent of its company (201, with an invitation link)" [ "$STATUS" = 201 -a "$(jbody .user.state)" = invited ] && matches "$(jbody .link)" '^seaml_'
sreq POST /v1/users "$SAM_SID" "$SAM_CSRF" '{"id":"skyview/carl","kind":"agent"}'
check "... never of another partner (404)" [ "$STATUS" = 404 ]
sreq POST /v1/users "$SAM_SID" "$SAM_CSRF" '{"id":"fibernet/boss","kind":"manager"}'
check "... never a lead's kind (404)" [ "$STATUS" = 404 ]
sreq POST /v1/users "$SAM_SID" "$SAM_CSRF" '{"id":"fibernet/carl","kind":"agent"}'
check "a user id taken is 409 exists" [ "$STATUS" = 409 -a "$(jbody .error.code)" = exists ]
sreq POST /v1/users/skyview/sue/disable "$SAM_SID" "$SAM_CSRF" '{}'
check "a supervisor cannot disable another partner's agent (404)" [ "$STATUS" = 404 ]
sreq GET /v1/users "$ALICE_SID" ""
check "an agent cannot list users (404)" [ "$STATUS" = 404 ]

# The lead's manager keeps every user; the desk does not
accept "$(ctl user invite northwind/mary 2>/dev/null)" "mary's long password"
signin northwind/mary "mary's long password" "$(totp "$(jbody .totp_secret)")"
MARY_SID=$SID MARY_CSRF=$CSRF
sreq GET /v1/users "$MARY_SID" ""
check "the manager lists every user (fibernet/home, a customer's, among them)" [ "$STATUS" = 200 -a "$(jbody '.items | length')" = 10 ]
sreq POST /v1/users "$MARY_SID" "$MARY_CSRF" '{"id":"c2/dora","kind":"customer"}'
check "the manager adds a customer's user" [ "$STATUS" = 201 ]
LINK_DORA=$(jbody .link)
sreq POST /v1/users "$MARY_SID" "$MARY_CSRF" '{"id":"c9/dora","kind":"customer"}'
check "not of a customer that does not exist (400, field id)" [ "$STATUS" = 400 -a "$(jbody .error.field)" = id ]
sreq POST /v1/users "$MARY_SID" "$MARY_CSRF" '{"id":"c2/Dora","kind":"customer"}'
check "a malformed id is 400 invalid_field" [ "$STATUS" = 400 -a "$(jbody .error.code)" = invalid_field ]
sreq POST /v1/users/c1/ben/reset "$MARY_SID" "$MARY_CSRF" '{}'
check "the manager makes a reset link" [ "$STATUS" = 200 ] && matches "$(jbody .link)" '^seaml_'
accept "$(jbody .link)" "ben's long password"
check "the reset link sets the password" [ "$STATUS" = 200 ]
check "seamctl reset prints a link too" matches "$(ctl user reset c2/cat 2>/dev/null)" '^seaml_'

# Sign-out, sign-out everywhere, idle expiry
signin c1/ben "ben's long password"
BEN1=$SID BEN1_CSRF=$CSRF
signin c1/ben "ben's long password"
BEN2=$SID
sreq DELETE /v1/sessions/current "$BEN2" ""
check "sign-out needs the CSRF token too" [ "$STATUS" = 403 ]
sreq DELETE /v1/sessions "$BEN1" "$BEN1_CSRF"
check "sign-out everywhere (204)" [ "$STATUS" = 204 ]
sreq GET /v1/tickets "$BEN1" ""
check "... ends this session" [ "$STATUS" = 401 ]
sreq GET /v1/tickets "$BEN2" ""
check "... and the other" [ "$STATUS" = 401 ]
signin c1/ben "ben's long password"
sreq DELETE /v1/sessions/current "$SID" "$CSRF"
check "sign-out (204) clears the cookie" [ "$STATUS" = 204 ] && matches "$(header set-cookie)" '^__Host-seam_session=; .*Max-Age=0'
sreq GET /v1/tickets "$SID" ""
check "the signed-out session is 401" [ "$STATUS" = 401 ]

# An agent disabled mid-session loses access at its next request
sreq GET /v1/assignments "$ALICE_SID" ""
check "the agent's session works" [ "$STATUS" = 200 ]
check "the agent is disabled" ctl user disable fibernet/alice
sreq GET /v1/assignments "$ALICE_SID" ""
check "its session is 401 at the next request" [ "$STATUS" = 401 ]
req GET /v1/assignments "$ALICE_TOK"
check "the token issued to it is 401 too" [ "$STATUS" = 401 ]
signin fibernet/alice "alice's long password" "$(totp "$ALICE_TOTP")"
check "it cannot sign in" [ "$STATUS" = 401 ]
check "user list shows it disabled" grep -q '^fibernet/alice partner agent disabled' <(ctl user list)

# Idle expiry
sreq GET /v1/tickets "$ANN_SID" ""
check "ann's session still works" [ "$STATUS" = 200 ]
clock 301000
sreq GET /v1/tickets "$ANN_SID" ""
check "a session idle past sessions.idle_s is 401" [ "$STATUS" = 401 ]

# Absolute expiry: a session in use ends sessions.absolute_s after its sign-in
signin c1/ann "ann's long password"
ANN_SID=$SID
clock 290000
sreq GET /v1/tickets "$ANN_SID" ""
check "a session used within idle_s lives on (290 s)" [ "$STATUS" = 200 ]
clock 290000
sreq GET /v1/tickets "$ANN_SID" ""
check "... and on (580 s, used 290 s ago)" [ "$STATUS" = 200 ]
clock 30000
sreq GET /v1/tickets "$ANN_SID" ""
check "past sessions.absolute_s (610 s) it has ended, used or not" [ "$STATUS" = 401 ]

# A flood of sign-ins: at most sessions.hash_concurrency hash at once, the
# others are answered 503 at once, and other requests are served meanwhile.
FLOOD=()
for i in $(seq 1 16); do
    curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
        --data-binary '{"user":"c2/cat","password":"cat'"'"'s long password"}' "$(URL /v1/sessions)" >"$TMP/flood.$i" &
    FLOOD+=($!)
done
T0=$(date +%s%N)
HZ=$(curl -s -o /dev/null -w '%{http_code}' "$(URL /healthz)")
T1=$(date +%s%N)
wait "${FLOOD[@]}"
cat "$TMP"/flood.* | sort | uniq -c | sed 's/^/# /'
check "every sign-in of the flood is 201 or 503" [ -z "$(cat "$TMP"/flood.* | grep -v -x -e 201 -e 503)" ]
check "... some were refused at once (503)" grep -q -x 503 "$TMP"/flood.*
check "... some signed in" grep -q -x 201 "$TMP"/flood.*
check "a request during the flood was served (healthz 200 in $(((T1 - T0) / 1000000)) ms, under 5 s)" [ "$HZ" = 200 -a $(((T1 - T0) / 1000000)) -lt 5000 ]

# An invitation that expired (sessions.invite_s: 600 s on the broker's clock)
clock 600000
accept "$LINK_DORA" "dora's long password"
check "an expired invitation is refused (400 link_invalid)" [ "$STATUS" = 400 -a "$(jbody .error.code)" = link_invalid ]

stop_broker
check "seamctl verify: the store verifies with users' events" ctl verify
finish
