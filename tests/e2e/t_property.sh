#!/usr/bin/env bash
# Invariant 1 as a property: file many random complaints (random
# vocabulary, values outside it, wrong types, missing fields) from customers
# of every bundle and region. Each is either refused with a 400 naming a
# field that was bad, or becomes a ticket with at least one live owner.
. "$(dirname "$0")/lib.sh"
N=${SEAM_PROPERTY_N:-10000}
init_store
LEAD=$(new_token lead ops)
toks=()
for b in triple-play tv-internet phone-only; do
    for r in north south; do toks+=("$(new_customer "c-$b-$r" "$b" "$r")"); done
done
start_broker
mkdir "$TMP/r"
# Each request: a customer, and each field drawn from the vocabulary, from
# outside it, or left out. Bad fields are written down beside the request.
awk -v n="$N" -v seed="$RANDOM" -v url="$(URL /v1/tickets)" -v dir="$TMP/r" \
    -v toks="${toks[*]}" 'BEGIN {
    srand(seed); nt = split(toks, tok, " ")
    ns = split("tv phone internet wiring", sv, " ")
    ny = split("no_service degraded intermittent no_signal no_dial_tone slow equipment_fault installation billing", sy, " ")
    ne = split("set_top_box router ont dsl_modem handset in_home_wiring none", eq, " ")
    np = split("low normal high urgent", pr, " ")
    for (i = 1; i <= n; i++) {
        bad = ""; body = "{\"summary\":\"random " i "\",\"description\":\"property test\""
        x = int(rand() * 10)
        if (x < 7) body = body ",\"service\":\"" sv[int(rand() * ns) + 1] "\""
        else if (x == 7) { body = body ",\"service\":\"radio\""; bad = bad " service" }
        else if (x == 8) { body = body ",\"service\":42"; bad = bad " service" }
        x = int(rand() * 20)
        if (x < 17) body = body ",\"symptom\":\"" sy[int(rand() * ny) + 1] "\""
        else if (x == 17) { body = body ",\"symptom\":\"smoke\""; bad = bad " symptom" }
        else if (x == 18) { body = body ",\"symptom\":null"; bad = bad " symptom" }
        else bad = bad " symptom"
        x = int(rand() * 10)
        if (x < 6) body = body ",\"equipment\":\"" eq[int(rand() * ne) + 1] "\""
        else if (x == 6) { body = body ",\"equipment\":\"toaster\""; bad = bad " equipment" }
        x = int(rand() * 10)
        if (x < 6) body = body ",\"priority\":\"" pr[int(rand() * np) + 1] "\""
        else if (x == 6) { body = body ",\"priority\":\"asap\""; bad = bad " priority" }
        else if (x == 7) { body = body ",\"priority\":[\"high\"]"; bad = bad " priority" }
        body = body "}"
        gsub(/"/, "\\\"", body)
        printf "url = \"%s\"\noutput = \"%s/%d\"\nheader = \"Authorization: Bearer %s\"\n", url, dir, i, tok[int(rand() * nt) + 1]
        printf "header = \"Content-Type: application/json\"\ndata = \"%s\"\n", body
        print "request = \"POST\"\nwrite-out = \"%{http_code}\\n\""
        if (i < n) print "next"
        print i bad > (dir "/bad")
    }
}' >"$TMP/curl.cfg"
curl -s --no-progress-meter -Z --parallel-max 32 -K "$TMP/curl.cfg" >"$TMP/codes"
created=$(grep -c '^201$' "$TMP/codes")
refused=$(grep -c '^400$' "$TMP/codes")
echo "# $N complaints: $created tickets, $refused refused"
check "every complaint was answered 201 or 400" [ $((created + refused)) = "$N" ]
# Each 400 names one of the fields that was bad in its request.
# "N BODY" for each answer, its lines joined (one awk over the files, not a process each).
find "$TMP/r" -type f -name '[0-9]*' -print0 |
    xargs -0 awk 'FNR == 1 && NR > 1 { print id, buf; buf = "" }
        FNR == 1 { id = FILENAME; sub(/.*\//, "", id) } { buf = buf $0 } END { if (NR) print id, buf }' \
        >"$TMP/answers"
check "every answer was read back ($N)" [ "$(wc -l <"$TMP/answers")" = "$N" ]
wrong=$(awk 'NR == FNR { $1 = $1; bad[$1] = $0; next }
    { id = $1; sub(/^[0-9]+ /, ""); if ($0 !~ /"error"/) { if (bad[id] != id) { print id " accepted with bad fields: " bad[id] }; next }
      match($0, /"field":"[a-z]+"/); f = substr($0, RSTART + 9, RLENGTH - 10)
      if (index(" " bad[id] " ", " " f " ") == 0) print id " refused for " f " but bad was: " bad[id] }' \
    "$TMP/r/bad" "$TMP/answers")
check "every 400 names a field that was bad, and nothing bad was accepted" [ -z "$wrong" ]
[ -z "$wrong" ] || echo "$wrong" | head -5 | sed 's/^/# /'
# Every ticket has at least one live owner.
all_tickets '{id, status, live: [.assignments[] | select(.state == "assigned")] | length}' "$TMP/all"
check "the lead sees all $created tickets" [ "$(wc -l <"$TMP/all")" = "$created" ]
check "every ticket has at least one live owner" [ "$(jq -s '[.[] | select(.live < 1)] | length' "$TMP/all")" = 0 ]
req GET /v1/audit/checkpoint "$LEAD"
check "one signed event per ticket, none for the refused" [ "$(jbody .tree_size)" = "$created" ]
stop_broker
check "seamctl verify passes" ctl verify
finish
