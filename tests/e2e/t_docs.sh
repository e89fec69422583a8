#!/usr/bin/env bash
# The contract stays in step with the code: every row of the endpoint table
# (broker/endpoints.c) is a path and method of docs/openapi.yaml, and every
# path there is served; every setting of the configuration's table is in
# docs/operations.md, and every error code in the OpenAPI error enum.
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
    # A trailing-slash alias is named by its operation's x-also-served-at.
    [ "$documented" = yes ] || ! grep -q "^      x-also-served-at: $path\$" "$API" || documented=yes
    check "$method $path is in docs/openapi.yaml" [ "$documented" = yes ]
done <<<"$rows"
for path in $(grep -o '^  /[^:]*' "$API"); do
    check "$path in docs/openapi.yaml is served" grep -q "\"$path\"" "$ROOT/broker/endpoints.c"
done
OPS=$ROOT/docs/operations.md
# The scalar settings: one row each in config_settings[] (broker/config.c).
settings=$(sed -n '/^const struct config_setting config_settings\[\]/,/^};/p' "$ROOT/broker/config.c" |
    grep -o '{CONFIG_[A-Z_]*, "[a-z_0-9]*"' | sed 's/^{CONFIG_\([A-Z_]*\), "\([a-z_0-9]*\)"$/\1 \2/')
check "the configuration's settings are readable" [ "$(echo "$settings" | wc -l)" -ge 20 ]
check "... the limits among them" [ "$(grep -c '^LIMITS ' <<<"$settings")" -ge 10 ]
while read -r section k; do
    case $section in
    TOP) name=$k pattern="\`$k\`" ;;
    LIMITS) name=limits.$k pattern="limits\.$k" ;;
    DELIVERY) name=delivery.$k pattern="delivery\.$k" ;;
    PARTNER_DELIVERY) name="partners[].delivery.$k" pattern="^| \`partners\` |.*\"$k\"" ;;
    SLA_TARGET) name="sla_policies targets' $k" pattern="^| \`sla_policies\` |.*$k" ;;
    RULE) name="rules[].$k" pattern="^| \`rules\` |.*\`$k\`" ;;
    SESSIONS) name=sessions.$k pattern="sessions\.$k" ;;
    *) name="$k of section $section, which this test does not know" pattern='^$.^' ;;
    esac
    check "$name is documented in docs/operations.md" grep -q -- "$pattern" "$OPS"
done <<<"$settings"
codes=$(grep -o '{[0-9]*, "[a-z_]*"' "$ROOT/broker/errors.c" | sed 's/.*"\([a-z_]*\)"/\1/')
check "the error table is readable" [ "$(echo "$codes" | wc -l)" -ge 10 ]
enum=$(awk '/^    Error:/ { inside = 1 } inside && /enum:/ { on = 1 } on { print } on && /\]/ { exit }' "$API")
for c in $codes; do
    check "error code $c is in the OpenAPI error enum" grep -qw "$c" <<<"$enum"
done
# The project stands alone: its README and docs send no reader outside it,
# and every test docs/design.md names for an invariant exists.
refute "README.md and docs/ name no path outside the repository" grep -n '\.\./' "$ROOT/README.md" "$ROOT"/docs/*.md
named=$(grep -o '`\(tests/[a-z0-9_/]*\.[a-z]*\|t_[a-z0-9_]*\.sh\|test_[a-z0-9_]*\.c\)`' "$ROOT/docs/design.md" | tr -d '`' | sort -u)
check "docs/design.md names the tests of the invariants" [ "$(echo "$named" | wc -l)" -ge 10 ]
for n in $named; do
    case $n in
    tests/*) f=$ROOT/$n ;;
    t_*) f=$ROOT/tests/e2e/$n ;;
    *) f=$ROOT/tests/unit/$n ;;
    esac
    check "$n, named in docs/design.md, exists" [ -e "$f" ]
done
finish
