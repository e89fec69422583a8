#!/usr/bin/env bash
# e2e: last
# The contract, docs/openapi.yaml, is valid and exact:
#   - two validators accept it: redocly lint (the recommended rules, every
#     warning an error) and swagger-parser's validate;
#   - the answers of the end-to-end scripts listed in tests/contract/scripts,
#     captured (SEAM_CAPTURE, see lib.sh), are each documented: the status among the operation's
#     responses, the content type, and the body valid against the schema by
#     ajv in strict mode, as written (oneOf exactly one) and closed (no member
#     the contract does not name), by tests/contract/validate.js;
#   - the checks can fail: a comma in a flow mapping, a schema that loses a
#     member, an answer with a member or a status the contract lacks.
# The validators are npm packages pinned in tests/contract/package-lock.json,
# installed by npm ci (once; nodejs and npm from Debian when missing, as root).
. "$(dirname "$0")/lib.sh"
CT=$ROOT/tests/contract
API=$ROOT/docs/openapi.yaml

if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi
    command -v npm >/dev/null || { echo "Bail out! npm is needed (Debian: nodejs npm)"; exit 1; }
fi
# npm ci when node_modules is missing or older than the lock file.
if [ ! -f "$CT/node_modules/.package-lock.json" ] || [ "$CT/package-lock.json" -nt "$CT/node_modules/.package-lock.json" ]; then
    (cd "$CT" && npm ci --no-audit --no-fund --loglevel=error) >"$TMP/npm.log" 2>&1 ||
        { sed 's/^/# /' "$TMP/npm.log"; echo "Bail out! npm ci in tests/contract failed"; exit 1; }
fi
lint() { "$CT/node_modules/.bin/redocly" lint --config "$CT/redocly.yaml" "$1"; }
parse() { (cd "$CT" && node -e 'require("@apidevtools/swagger-parser").validate(process.argv[1]).catch((e) => { console.log(e.message); process.exit(1); })' "$1"); }

check "redocly lint accepts docs/openapi.yaml (recommended rules, warnings as errors)" lint "$API"
check "swagger-parser validates docs/openapi.yaml" parse "$API"

# The tests of the tests: a description with a comma in a flow mapping (a
# bogus member), and a path with a trailing slash, are refused by each.
sed 's/^\(        summary: {type: string\), minLength: 1, maxLength: 200}/\1, description: one line, or two}/' \
    "$API" >"$TMP/comma.yaml"
refute "... (the broken copy differs)" cmp -s "$API" "$TMP/comma.yaml"
refute "redocly lint refuses an unquoted comma in a flow mapping" lint "$TMP/comma.yaml"
refute "swagger-parser refuses it too" parse "$TMP/comma.yaml"
sed 's|^  /v1/rules/check:|  /v1/rules/check/:|' "$API" >"$TMP/slash.yaml"
refute "redocly lint refuses a path with a trailing slash" lint "$TMP/slash.yaml"

# The answers of the scripts listed in tests/contract/scripts: under
# tests/run.sh (SEAM_RUN_LOGS) those scripts capture them in their own run,
# which counts their checks, and this script (queued last) waits for each to
# end; alone, it runs each script itself with its answers captured.
CAP=$TMP/capture
mkdir -p "$CAP"
while read -r s; do
    [ -f "$ROOT/tests/e2e/$s.sh" ] || continue
    if [ -n "${SEAM_RUN_LOGS:-}" ]; then
        n=0
        while [ ! -f "$SEAM_RUN_LOGS/$s.rc" ] && [ $n -lt 1800 ]; do
            sleep 1
            n=$((n + 1))
        done
        cp "$SEAM_RUN_LOGS/$s.jsonl" "$CAP/$s.jsonl" 2>/dev/null
        cp "$SEAM_RUN_LOGS/$s.events" "$CAP/$s.events" 2>/dev/null # t_tmf5's hub events
        check "$s.sh captured its answers in this run ($(wc -l <"$CAP/$s.jsonl" 2>/dev/null || echo 0) answers)" \
            test -s "$CAP/$s.jsonl"
    else
        SEAM_CAPTURE=$CAP/$s.jsonl bash "$ROOT/tests/e2e/$s.sh" >"$TMP/$s.out" 2>&1
        rc=$?
        ok $rc "$s.sh passes with its answers captured ($(wc -l <"$CAP/$s.jsonl" 2>/dev/null || echo 0) answers)"
        [ $rc -eq 0 ] || grep -v '^ok' "$TMP/$s.out" | head -20 | sed 's/^/# /'
    fi
done <"$CT/scripts"

# validate OPENAPI CAPTURES...: its TAP lines become this script's. FACTS:
# the facts the configurations declare (the members named for them).
FACTS=$(jq -r '.facts[]?.name' "$ROOT"/conf/*.json "$ROOT"/tests/configs/*.json 2>/dev/null | sort -u | paste -sd, -)
export FACTS
validate() {
    node "$CT/validate.js" "$@" >"$TMP/validate.out" 2>&1
    echo $? >"$TMP/validate.rc"
}
validate "$API" "$CAP"/*.jsonl
while IFS= read -r line; do
    case $line in
    "ok "*) ok 0 "${line#ok * - }" ;;
    "not ok "*) ok 1 "${line#not ok * - }" ;;
    "#"*) echo "$line" ;;
    esac
done <"$TMP/validate.out"
check "every captured answer is as documented" [ "$(cat "$TMP/validate.rc")" = 0 ]
check "... and the capture holds answers of the TMF621 face, /v1 and errors" \
    jq -se '. as $a | ([$a[] | select(.path | startswith("/tmf-api"))] | length > 10) and
        ([$a[] | select(.path | startswith("/v1/"))] | length > 100) and
        ([$a[] | select(.status >= 400)] | length > 20)' "$CAP"/*.jsonl

# TMF621 v5: t_tmf5.sh's answers on the v5 face, and the events its v5
# listener received, against TM Forum's v5.0.1 definition (as written and
# closed: a member v5 does not define fails), by validate_tmf5.js.
V5DEF=$CT/tmf621/TMF621-Trouble_Ticket-v5.0.1.oas.yaml
V5=/tmf-api/troubleTicketManagement/v5
validate5() {
    node "$CT/validate_tmf5.js" "$V5DEF" "$V5" "$@" >"$TMP/validate5.out" 2>&1
    echo $? >"$TMP/validate5.rc"
}
validate5 "$CAP/t_tmf5.jsonl" "$CAP/t_tmf5.events"
while IFS= read -r line; do
    case $line in
    "ok "*) ok 0 "${line#ok * - }" ;;
    "not ok "*) ok 1 "${line#not ok * - }" ;;
    "#"*) echo "$line" ;;
    esac
done <"$TMP/validate5.out"
check "every v5 answer and event is as TMF621 v5.0.1 defines it" [ "$(cat "$TMP/validate5.rc")" = 0 ]
# ... and it can fail: v4's statusChange in a v5 answer, an event member v5
# does not define, an event of a type v5 does not have.
jq -c 'if .status == 200 and (.path | startswith("'$V5'/troubleTicket/")) then .body |= (fromjson | .statusChange = [] | tojson) else . end' \
    "$CAP/t_tmf5.jsonl" >"$TMP/v4in5.jsonl"
validate5 "$TMP/v4in5.jsonl"
check "a v5 answer with v4's statusChange fails" grep -q 'a member v5 does not define.*(statusChange)' "$TMP/validate5.out"
jq -c '.event.troubleTicket.colour = "red"' "$CAP/t_tmf5.events" >"$TMP/colour.events"
validate5 "$CAP/t_tmf5.jsonl" "$TMP/colour.events"
check "an event with a member v5 does not define fails" grep -q 'a member v5 does not define.*(colour)' "$TMP/validate5.out"
jq -c '."@type" = "TroubleTicketFooEvent"' "$CAP/t_tmf5.events" >"$TMP/foo.events"
validate5 "$CAP/t_tmf5.jsonl" "$TMP/foo.events"
check "an event of a type v5 does not have fails" [ "$(cat "$TMP/validate5.rc")" != 0 ]

# The tests of the validator: each change below must make it fail.
# (1) a schema that loses a member the broker answers (Ticket's summary);
node -e '
const Y = require(process.argv[1] + "/node_modules/yaml");
const fs = require("fs");
const d = Y.parse(fs.readFileSync(process.argv[2], "utf8"));
delete d.components.schemas.Ticket.properties.summary;
d.components.schemas.Ticket.required = d.components.schemas.Ticket.required.filter((r) => r !== "summary");
fs.writeFileSync(process.argv[3], Y.stringify(d));' "$CT" "$API" "$TMP/lost.yaml"
validate "$TMP/lost.yaml" "$CAP"/*.jsonl
check "a schema without a member the broker answers fails the validation" \
    [ "$(cat "$TMP/validate.rc")" != 0 ]
check "... naming the undocumented member" grep -q 'undocumented field.*(summary)' "$TMP/validate.out"
# (2) an answer with a member the contract does not name;
jq -c 'if .status == 201 and .path == "/v1/tickets" then .body |= (fromjson | .colour = "red" | tojson) else . end' \
    "$CAP/t_tickets.jsonl" >"$TMP/colour.jsonl"
validate "$API" "$TMP/colour.jsonl"
check "an answer with an undocumented member fails" [ "$(cat "$TMP/validate.rc")" != 0 ]
check "... naming it" grep -q 'undocumented field.*(colour)' "$TMP/validate.out"
# (3) a status the operation does not document;
jq -c 'if .status == 404 then .status = 418 else . end' "$CAP/t_tickets.jsonl" >"$TMP/teapot.jsonl"
validate "$API" "$TMP/teapot.jsonl"
check "an undocumented status fails" grep -q 'status 418 is not documented' "$TMP/validate.out"
# (4) a oneOf whose branches both match (the customer's Ticket made open to
# the lead's members again): the lead's answers match Ticket and LeadTicket.
node -e '
const Y = require(process.argv[1] + "/node_modules/yaml");
const fs = require("fs");
const d = Y.parse(fs.readFileSync(process.argv[2], "utf8"));
delete d.components.schemas.Ticket.additionalProperties;
fs.writeFileSync(process.argv[3], Y.stringify(d));' "$CT" "$API" "$TMP/open.yaml"
validate "$TMP/open.yaml" "$CAP"/*.jsonl
check "an ambiguous oneOf fails (Ticket and LeadTicket both match)" \
    grep -q 'Ticket matches | .*LeadTicket matches' "$TMP/validate.out"
# (5) an undocumented content type.
jq -c 'if .status == 201 then .type = "text/html" else . end' "$CAP/t_tickets.jsonl" >"$TMP/html.jsonl"
validate "$API" "$TMP/html.jsonl"
check "an undocumented content type fails" grep -q 'content type "text/html" not documented' "$TMP/validate.out"
finish
