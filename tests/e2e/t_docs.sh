#!/usr/bin/env bash
# The contract stays in step with the code: every row of the endpoint table
# (broker/endpoints.c) is a path and method of docs/openapi.yaml, and every
# path there is served.
. "$(dirname "$0")/lib.sh"
API=$ROOT/docs/openapi.yaml
rows=$(grep -o '{"[A-Z]*", "/[^"]*"' "$ROOT/broker/endpoints.c" | sed 's/^{"//; s/", "/ /; s/"$//')
check "the endpoint table is readable" [ -n "$rows" ]
while read -r method path; do
    m=$(echo "$method" | tr 'A-Z' 'a-z')
    documented=$(awk -v p="  $path:" -v m="    $m:" '
        $0 == p { inside = 1; next }
        inside && /^  [^ ]/ { inside = 0 }
        inside && index($0, m) == 1 { found = 1 }
        END { print found ? "yes" : "no" }' "$API")
    check "$method $path is in docs/openapi.yaml" [ "$documented" = yes ]
done <<<"$rows"
for path in $(grep -o '^  /[^:]*' "$API"); do
    check "$path in docs/openapi.yaml is served" grep -q "\"$path\"" "$ROOT/broker/endpoints.c"
done
finish
