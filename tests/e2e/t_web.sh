#!/usr/bin/env bash
# The web pages (issue 19): what the broker serves (the pages with a strict
# Content-Security-Policy and no caching, the assets under content-hashed
# names cached for a year, nothing else of the directory), a broker whose
# pages are not built (the API works, "/" says so), and the customer portal
# driven in Debian's Chromium by tests/web/portal.mjs (Playwright, axe-core on
# every page): sign-in, filing by keyboard alone, a summary with <script>
# shown as text, a question answered (the ticket leaves pending), confirm,
# reopen and withdraw, notifications, the language switch and the browser's
# language, a form from another origin refused, an expired session sent back
# to sign-in, the ticket's evidence verified in the browser and a tampered
# export failing; then the partner desk by tests/web/desk.mjs: the queue due
# first, a new claim appearing without reloading, the countdown at risk from
# the SLA policy's warning and overdue, acknowledge, ask the customer, the
# claim's evidence verified, hand back with a reason, belongs_to offered only
# among the companies the rules allow, a supervisor's SLA figures, staff
# signing in with a TOTP code, a customer sent to its own pages; the lead
# console by tests/web/console.mjs: the lists at a glance (each the API's
# ?flag= list, bouncing and at risk too, with its "All" pages), a ticket's history
# with its bouncers, filing for a customer who called in (the customer sees
# the same ticket), forcing an owner, merging, correcting facts, the SLA
# charts (uPlot) and their CSV, the rules explained, a dead letter sent again;
# tests/web/flow.mjs: one complaint through three browser contexts
# (customer, partners' desk, lead); then the pages' evidence check itself
# (web/src/verify.js) against seamctl verify-evidence by tests/web/verify.mjs.
# With SEAM_SCREENSHOTS=1 (make screenshots) it writes the screenshots of
# docs/screens/; otherwise it writes nothing in the tree.
. "$(dirname "$0")/lib.sh"
WEB=$ROOT/$BUILD/web
[ -f "$WEB/index.html" ] || { echo "Bail out! the pages are not built ($WEB): make web (needs node)"; exit 1; }

# ---- no pages built: the API works, "/" says so ----
conf_with '.web_dir = $d' --arg d "$TMP/nothing"
init_store
check "seamctl init seeds nothing (no user: the demo people are make run's alone)" [ -z "$(ctl user list)" ]
C1=$(new_customer c1)
C2=$(new_customer c2 tv-internet north)
LEAD=$(new_token lead ops)
FN=$(new_token partner fibernet)
SV=$(new_token partner skyview)
NT=$(new_token partner nordtel)
start_broker -T now
req GET / ""
check "without pages, / answers a page saying they are not built (503, HTML)" \
    [ "$STATUS" = 503 -a "$(header content-type)" = "text/html; charset=utf-8" ]
check "... in words" grep -q "This page is not built" "$TMP/body"
req GET /lead/ ""
check "... and so does the lead console (503)" [ "$STATUS" = 503 ]
req GET /v1/vocabulary "$C1"
check "... and the API works" [ "$STATUS" = 200 ]
req GET /assets/portal.0123456789ab.js ""
check "an asset that is not there is the API's 404" [ "$STATUS" = 404 -a "$(jbody .error.code)" = not_found ]
stop_broker

# ---- the pages built ----
cp -r "$WEB" "$TMP/web"
ln -s /etc/passwd "$TMP/web/assets/passwd.txt"
echo secret >"$TMP/web/secret.txt"
# nordtel takes its claims by webhook, at a port where nothing listens until
# the console's test opens it (a dead letter, sent again); one try each.
HOOK_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
conf_with '.web_dir = $d | .sessions.totp_staff = 1 | .delivery.retry_schedule_ms = [0]
    | (.partners[] | select(.id == "nordtel") | .delivery) = {mode: "push", url: $hook, timeout_ms: 2000}
    | (.partners[] | select(.id == "skyview") | .delivery) = {mode: "pull"}' \
    --arg d "$TMP/web" --arg hook "http://127.0.0.1:$HOOK_PORT/seam/webhook"
start_broker -T now
ORIGIN="http://127.0.0.1:$PORT"
req GET / ""
check "/ is the portal's page (200, HTML)" [ "$STATUS" = 200 -a "$(header content-type)" = "text/html; charset=utf-8" ]
CSP=$(header content-security-policy)
check "... with a Content-Security-Policy of this origin only" matches "$CSP" "^default-src 'self'; script-src 'self'; "
check "... that forbids framing" matches "$CSP" "frame-ancestors 'none'"
refute "... and allows no inline script" matches "$CSP" "unsafe-inline|unsafe-eval"
check "... nosniff" [ "$(header x-content-type-options)" = nosniff ]
check "... and is never cached without asking (no-cache)" [ "$(header cache-control)" = no-cache ]
refute "the page has no inline script" grep -qE '<script>|<script [^>]*>[^<]' "$TMP/body"
req GET /partner ""
check "/partner is the partner desk's page, as /partner/ is" grep -q 'src="/assets/desk\.[0-9a-f]*\.js"' "$TMP/body"
req GET /lead/ ""
check "/lead/ is the lead console's page (200)" [ "$STATUS" = 200 ]
check "... loading its script and uPlot's style sheet by content hash" \
    grep -q 'src="/assets/lead\.[0-9a-f]\{12\}\.js"' "$TMP/body"
check "... (uPlot.css)" grep -q 'href="/assets/uPlot\.[0-9a-f]\{12\}\.css"' "$TMP/body"
req GET /assets/uPlot.LICENSE.txt ""
check "uPlot's licence is shipped beside it" [ "$STATUS" = 200 ]
check "... (MIT)" grep -q "MIT License" "$TMP/body"
req GET / ""
JS=$(grep -o '/assets/portal\.[0-9a-f]\{12\}\.js' "$TMP/body")
check "the page names its script by content hash" [ -n "$JS" ]
req GET "$JS" ""
check "an asset is served (200, JavaScript)" [ "$STATUS" = 200 -a "$(header content-type)" = "text/javascript; charset=utf-8" ]
check "... cached for a year, immutable" [ "$(header cache-control)" = "public, max-age=31536000, immutable" ]
check "... nosniff" [ "$(header x-content-type-options)" = nosniff ]
check "... its name is the hash of its content" \
    [ "$(sha256sum "$TMP/body" | cut -c1-12)" = "$(echo "$JS" | sed 's/.*\.\([0-9a-f]*\)\.js/\1/')" ]
curl -s -I -o /dev/null -w '%{http_code}' "$(URL "$JS")" >"$TMP/head"
check "HEAD of an asset answers 200" [ "$(cat "$TMP/head")" = 200 ]
for p in /assets/passwd.txt /secret.txt /assets/../secret.txt /assets/.hidden.js /assets/ /partner/x \
    /index.html/x "/assets/%2e%2e%2fsecret.txt"; do
    req GET "$p" ""
    check "GET $p is a 404 (nothing of the directory but pages and assets)" [ "$STATUS" = 404 ]
done
req POST / "" '{}'
check "a POST to a page is no page (404 or 405, JSON)" [ "$STATUS" = 404 -o "$STATUS" = 405 ]
req GET /v1/tickets ""
check "the API's answers forbid framing and sniffing too" \
    [ "$(header x-content-type-options)" = nosniff -a "$(header content-security-policy)" = "default-src 'none'; frame-ancestors 'none'" ]

# ---- the portal in Chromium ----
CT=$ROOT/tests/web
CHROMIUM=${SEAM_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
    echo "Bail out! $CHROMIUM is needed (Debian: chromium; make deps)"
    exit 1
fi
# npm ci when node_modules is missing or older than the lock file (the packages pinned there).
if [ ! -d "$CT/node_modules" ] || [ "$CT/package-lock.json" -nt "$CT/node_modules" ]; then
    (cd "$CT" && npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1 ||
        { sed 's/^/# /' "$TMP/npm.log"; echo "Bail out! npm ci in tests/web failed"; exit 1; }
    touch "$CT/node_modules"
fi
ctl user add c1/ann --kind customer >/dev/null
LINK=$(ctl user invite c1/ann 2>/dev/null)
req POST /v1/password "" "$(jq -nc --arg l "$LINK" '{link: $l, password: "ann-portal-password"}')"
check "the customer's user has a password" [ "$STATUS" = 200 ]
ctl user add fibernet/ola --kind agent >/dev/null
LINK=$(ctl user invite fibernet/ola 2>/dev/null)
req POST /v1/password "" "$(jq -nc --arg l "$LINK" '{link: $l, password: "ola-desk-password"}')"
check "the partner's agent has a password (and a TOTP secret: staff need codes here)" [ "$STATUS" = 200 ]
OLA_TOTP=$(jbody .totp_secret)
ctl user add fibernet/sam --kind supervisor >/dev/null
LINK=$(ctl user invite fibernet/sam 2>/dev/null)
req POST /v1/password "" "$(jq -nc --arg l "$LINK" '{link: $l, password: "sam-desk-password"}')"
check "the partner's supervisor has a password" [ "$STATUS" = 200 ]
SAM_TOTP=$(jbody .totp_secret)
# staff_user ID KIND: a staff user with a password (ID's name, "-password"); prints its TOTP secret.
staff_user() {
    ctl user add "$1" --kind "$2" >/dev/null
    LINK=$(ctl user invite "$1" 2>/dev/null)
    req POST /v1/password "" "$(jq -nc --arg l "$LINK" --arg p "${1#*/}-staff-password" '{link: $l, password: $p}')"
    jbody .totp_secret
}
MARY_TOTP=$(staff_user northwind/mary manager)
check "the lead's manager has a password and a TOTP secret" [ "$STATUS" = 200 -a -n "$MARY_TOTP" ]
IDA_TOTP=$(staff_user audit/ida auditor)
check "an auditor has a password" [ "$STATUS" = 200 ]
KIM_TOTP=$(staff_user skyview/kim agent)
check "skyview's agent has a password and a TOTP secret" [ "$STATUS" = 200 -a -n "$KIM_TOTP" ]
C3=$(new_customer c3 phone-only south)
SCREENS=
if [ "${SEAM_SCREENSHOTS:-}" = 1 ]; then
    SCREENS=$ROOT/docs/screens
    mkdir -p "$SCREENS"
fi
export SEAM_URL=$ORIGIN SEAM_LEAD=$LEAD SEAM_PARTNER=$FN SEAM_SKYVIEW=$SV SEAM_NORDTEL=$NT SEAM_CUSTOMER=$C1 SEAM_CUSTOMER2=$C2 \
    SEAM_SCREENS=$SCREENS SEAM_CHROMIUM=$CHROMIUM
# browser NAME [VAR=VALUE...]: runs tests/web/NAME.mjs; its lines become this script's.
browser() {
    local name=$1 rc
    shift
    env "$@" timeout 240 node "$CT/$name.mjs" >"$TMP/$name.out" 2>&1
    rc=$?
    while IFS= read -r line; do
        case $line in
        "ok - "*) ok 0 "$name: ${line#ok - }" ;;
        "not ok - "*) ok 1 "$name: ${line#not ok - }" ;;
        "#"*) echo "$line" ;;
        *) echo "# $line" ;;
        esac
    done <"$TMP/$name.out"
    check "the $name browser test ran to its end (status $rc)" [ "$rc" = 0 ]
}
browser portal SEAM_USER=c1/ann SEAM_PASSWORD=ann-portal-password
browser desk SEAM_USER=fibernet/ola SEAM_PASSWORD=ola-desk-password SEAM_CUSTOMER_USER=c1/ann \
    SEAM_CUSTOMER_PASSWORD=ann-portal-password SEAM_SUPERVISOR=fibernet/sam SEAM_SUPERVISOR_PASSWORD=sam-desk-password \
    SEAM_TOTP="$OLA_TOTP" SEAM_SUPERVISOR_TOTP="$SAM_TOTP"
LEAD_ENV=(SEAM_LEAD_USER=northwind/mary SEAM_LEAD_PASSWORD=mary-staff-password SEAM_LEAD_TOTP="$MARY_TOTP"
    SEAM_CUSTOMER_USER=c1/ann SEAM_CUSTOMER_PASSWORD=ann-portal-password)
browser console "${LEAD_ENV[@]}" SEAM_OTHER_CUSTOMER="$C3" SEAM_HOOK_PORT="$HOOK_PORT" \
    SEAM_AUDITOR_USER=audit/ida SEAM_AUDITOR_PASSWORD=ida-staff-password SEAM_AUDITOR_TOTP="$IDA_TOTP"
browser flow "${LEAD_ENV[@]}" SEAM_FIRST_AGENT=skyview/kim SEAM_FIRST_PASSWORD=kim-staff-password \
    SEAM_FIRST_TOTP="$KIM_TOTP" SEAM_NEXT_AGENT=fibernet/ola SEAM_NEXT_PASSWORD=ola-desk-password SEAM_NEXT_TOTP="$OLA_TOTP"
# The pages' evidence check (web/src/verify.js) against the library's, on the exports of a ticket
# handed back (the customer's view hides events, each view discloses values), by each principal,
# and an old export of format 1.
req GET "/v1/tickets?limit=100" "$LEAD"
TB=$(jbody '.items[] | select(.summary == "Slow internet in the evenings") | .id')
for who in C1 FN LEAD; do
    curl -s -o "$TMP/ev-$who.json" -H "Authorization: Bearer ${!who}" "$(URL "/v1/tickets/$TB/evidence")"
done
check "the customer's export of a ticket handed back hides events (by hash)" \
    [ "$(jq '[.events[] | select(has("hash"))] | length' "$TMP/ev-C1.json")" -ge 1 ]
browser verify SEAM_KEY="$(tr -d '\n' <"$DATA/broker.pub")" SEAM_ORIGIN="$(jq -r .federation "$CONF")" \
    SEAM_SEAMCTL="$SEAMCTL" SEAM_FLIPS=120 SEAM_EVIDENCE="$TMP/ev-C1.json $TMP/ev-FN.json $TMP/ev-LEAD.json"
cp "$ROOT/tests/fixtures/store-v1/evidence.json" "$TMP/ev-v1.json"
browser verify SEAM_KEY="$(tr -d '\n' <"$ROOT/tests/fixtures/store-v1/broker.pub")" \
    SEAM_ORIGIN="$(jq -r .federation "$ROOT/tests/fixtures/store-v1/seam.json")" SEAM_SEAMCTL="$SEAMCTL" SEAM_FLIPS=60 \
    SEAM_EVIDENCE="$TMP/ev-v1.json"
finish
