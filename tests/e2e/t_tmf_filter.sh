#!/usr/bin/env bash
# TMF621 list filtering as TMF630 defines it: equality, comma-separated and
# repeated values as OR, .eq/.gt/.gte/.lt/.lte on every date attribute, several
# attributes as AND, under paging, fields= and each principal's visibility.
# What a filter should answer is computed from the unfiltered list of the
# same tickets (their creation times spread by the test clock), never written
# down. Every attribute or operator seam does not filter on, a comparison on
# a non-date attribute, a malformed date and an empty value are a 400 in
# TMF's Error shape naming the argument, and change nothing.
. "$(dirname "$0")/lib.sh"
TMF=/tmf-api/troubleTicket/v4
init_store
C1=$(new_customer c1 triple-play north)
C2=$(new_customer c2 phone-only south)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
start_broker -T now

advance() { req POST /v1/test/clock "$LEAD" "{\"advance_ms\":$1}"; }
tmf_file() { # TOKEN BODY
    req POST "$TMF/troubleTicket" "$1" "$2"
    [ "$STATUS" = 201 ] || echo "# filing failed: $STATUS $(body)"
    LAST=$(jbody .id)
}

# Tickets of several severities, types, customers and dates, hours to days apart.
tmf_file "$C1" '{"description":"No light.","severity":"High","ticketType":"connectivity","externalId":"CRM-1","requestedResolutionDate":"2030-01-02T00:00:00Z"}'
T1=$LAST
advance 3600000
tmf_file "$C1" '{"description":"Box dead.","severity":"Low","ticketType":"device","externalId":"CRM-2","requestedResolutionDate":"2030-01-05T12:00:00Z"}'
T2=$LAST
advance 86400000
tmf_file "$C2" '{"description":"Line dead.","severity":"Critical","ticketType":"phone","name":"Phone line"}'
T3=$LAST
advance 7200000
req POST /v1/tickets "$C1" '{"summary":"Slow","description":"","service":"internet","symptom":"slow","priority":"low"}'
T4=$(jbody .id)
advance 172800000
tmf_file "$C1" '{"description":"Flicker.","severity":"Major","ticketType":"connectivity","externalId":"CRM-3","requestedResolutionDate":"2030-01-03T00:00:00+02:00"}'
T5=$LAST
advance 1800000
tmf_file "$C2" '{"description":"No tone.","severity":"High","ticketType":"phone","externalId":"CRM-4","expectedResolutionDate":"2030-02-01T00:00:00Z"}'
T6=$LAST
advance 600000
tmf_file "$C1" '{"description":"Router lights red.","severity":"High","ticketType":"connectivity"}'
T7=$LAST
# Statuses and update times apart: a claim resolved, a ticket cancelled, a PATCH.
advance 5400000
for A in $(curl -s -H "Authorization: Bearer $FIB" "$(URL /v1/assignments?limit=100)" |
    jq -r --arg t "$T1" '.items[] | select(.ticket == $t) | .id'); do
    req POST "/v1/assignments/$A/resolve" "$FIB" '{"resolution":"Spliced."}'
done
advance 900000
req DELETE "$TMF/troubleTicket/$T3" "$LEAD"
check "a ticket is cancelled (DELETE)" [ "$STATUS" = 204 ]
advance 300000
STATUS=$(curl -s -o "$TMP/body" -w '%{http_code}' -X PATCH -H "Authorization: Bearer $C1" \
    -H 'Content-Type: application/merge-patch+json' --data-binary '{"name":"Box still dead"}' \
    "$(URL "$TMF/troubleTicket/$T2")")
check "a ticket is changed (PATCH)" [ "$STATUS" = 200 ]

# The unfiltered lists, from which every expectation is computed.
req GET "$TMF/troubleTicket?limit=1000" "$LEAD"
cp "$TMP/body" "$TMP/all.lead"
check "the lead sees the seven tickets" [ "$(jq length "$TMP/all.lead")" = 7 ]
check "of more than one status" [ "$(jq '[.[].status] | unique | length' "$TMP/all.lead")" -ge 3 ]
N=$(jq length "$TMP/all.lead")

# expect WHO ALL-FILE QUERY JQ-PREDICATE: the filtered list is exactly the
# unfiltered one's tickets that pass the predicate, in the same order, with
# the counts; the predicate must keep some and drop some (else the check
# could not fail).
expect() {
    local who=$1 all=$2 q=$3 pred=$4
    local want got
    want=$(jq -c "$DEFS [.[] | select($pred) | .id]" "$all")
    req GET "$TMF/troubleTicket?$q" "$who"
    got=$(jq -c '[.[].id]' "$TMP/body" 2>/dev/null)
    local n m
    n=$(jq length <<<"$want")
    m=$(jq length "$all")
    check "?$q: the $n of $m tickets that pass (${pred})" \
        [ "$STATUS" = 200 -a "$got" = "$want" -a "$(header X-Total-Count)" = "$n" \
        -a "$(header X-Result-Count)" = "$n" -a "$n" -gt 0 -a "$n" -lt "$m" ]
    [ "$got" = "$want" ] || echo "# want $want got $got ($STATUS $(head -c 300 "$TMP/body"))"
}
DEFS=
ALL=$TMP/all.lead
nth() { jq -r ".[$1].$2" "$ALL"; } # the unfiltered list's Nth ticket's attribute

# Equality, OR (comma, semicolon, repeated), .eq
expect "$LEAD" "$ALL" "status=acknowledged" '.status == "acknowledged"'
expect "$LEAD" "$ALL" "status=resolved,cancelled" '.status == "resolved" or .status == "cancelled"'
expect "$LEAD" "$ALL" "status=resolved;cancelled" '.status == "resolved" or .status == "cancelled"'
expect "$LEAD" "$ALL" "status=resolved&status=cancelled" '.status == "resolved" or .status == "cancelled"'
expect "$LEAD" "$ALL" "status.eq=cancelled" '.status == "cancelled"'
expect "$LEAD" "$ALL" "severity=High,Low" '.severity == "High" or .severity == "Low"'
expect "$LEAD" "$ALL" "severity=Major" '.severity == "Major"'
expect "$LEAD" "$ALL" "ticketType=connectivity" '.ticketType == "connectivity"'
expect "$LEAD" "$ALL" "ticketType=internet,phone" '.ticketType == "internet" or .ticketType == "phone"'
expect "$LEAD" "$ALL" "priority=high" '.priority == "high"'
expect "$LEAD" "$ALL" "priority=low,urgent" '.priority == "low" or .priority == "urgent"'
expect "$LEAD" "$ALL" "externalId=CRM-2,CRM-4" '.externalId == "CRM-2" or .externalId == "CRM-4"'
expect "$LEAD" "$ALL" "name=Box%20still%20dead" '.name == "Box still dead"'
expect "$LEAD" "$ALL" "relatedParty.id=c2" '.relatedParty[0].id == "c2"'
expect "$LEAD" "$ALL" "id=$T1,$T4,$T6" ".id == \"$T1\" or .id == \"$T4\" or .id == \"$T6\""
expect "$LEAD" "$ALL" "status=rejected,acknowledged" '.status == "acknowledged"'

# The four comparisons and equality on every date attribute, at a ticket's own value.
for attr in creationDate lastUpdate statusChangeDate; do
    for i in 2 4; do # values inside the range, whatever the order of the list
        v=$(jq -r "[.[].$attr] | sort | .[$i]" "$ALL")
        expect "$LEAD" "$ALL" "$attr.gt=$v" ".$attr > \"$v\""
        expect "$LEAD" "$ALL" "$attr.gte=$v" ".$attr >= \"$v\""
        expect "$LEAD" "$ALL" "$attr.lt=$v" ".$attr < \"$v\""
        expect "$LEAD" "$ALL" "$attr.lte=$v" ".$attr <= \"$v\""
    done
    v=$(nth 3 $attr)
    expect "$LEAD" "$ALL" "$attr.eq=$v" ".$attr == \"$v\""
    expect "$LEAD" "$ALL" "$attr=$v" ".$attr == \"$v\""
done
# The client's dates, given with an offset: compared by instant, not as text.
# A requested resolution date as an instant (the tickets give Z or +02:00).
DEFS='def rrd: (.requestedResolutionDate // null) as $d | if $d == null then null
  elif ($d | endswith("+02:00")) then ($d | sub("\\+02:00$"; "Z") | fromdateiso8601 - 7200)
  else ($d | fromdateiso8601) end;'
at() { echo "(\"$1\" | fromdateiso8601)"; }
expect "$LEAD" "$ALL" "requestedResolutionDate.gt=2030-01-02T12:00:00Z" \
    "rrd != null and rrd > $(at 2030-01-02T12:00:00Z)"
expect "$LEAD" "$ALL" "requestedResolutionDate.lte=2030-01-02T22:00:00Z" \
    "rrd != null and rrd <= $(at 2030-01-02T22:00:00Z)"
expect "$LEAD" "$ALL" "requestedResolutionDate.gte=2030-01-03" \
    "rrd != null and rrd >= $(at 2030-01-03T00:00:00Z)"
expect "$LEAD" "$ALL" "requestedResolutionDate.lt=2030-01-04T00:00:00.000%2B01:00" \
    "rrd != null and rrd < $(at 2030-01-03T23:00:00Z)"
expect "$LEAD" "$ALL" "expectedResolutionDate.gt=2000-01-01" "has(\"expectedResolutionDate\")"
# An instant given with an offset equals the same instant in UTC.
v=$(nth 2 creationDate)
off=$(jq -rn --arg v "$v" '($v[0:19] + "Z" | fromdateiso8601 + 3600 | todateiso8601 | .[0:19]) + $v[19:23] + "+01:00"')
expect "$LEAD" "$ALL" "creationDate.gte=${off/+/%2B}" ".creationDate >= \"$v\""
expect "$LEAD" "$ALL" "creationDate.lt=${off/+/%2B}" ".creationDate < \"$v\""

# Several attributes: AND; a range on one attribute.
expect "$LEAD" "$ALL" "status=acknowledged&severity=High" '.status == "acknowledged" and .severity == "High"'
expect "$LEAD" "$ALL" "ticketType=connectivity&creationDate.gt=$(nth 5 creationDate)" \
    ".ticketType == \"connectivity\" and .creationDate > \"$(nth 5 creationDate)\""
expect "$LEAD" "$ALL" "creationDate.gte=$(nth 5 creationDate)&creationDate.lt=$(nth 1 creationDate)" \
    ".creationDate >= \"$(nth 5 creationDate)\" and .creationDate < \"$(nth 1 creationDate)\""
expect "$LEAD" "$ALL" "relatedParty.id=c1&priority=high,urgent&lastUpdate.lte=$(nth 0 lastUpdate)" \
    ".relatedParty[0].id == \"c1\" and (.priority == \"high\" or .priority == \"urgent\") and .lastUpdate <= \"$(nth 0 lastUpdate)\""

# Paging under a filter: the counts are the filter's, the page its slice.
want=$(jq -c '[.[] | select(.status == "acknowledged") | .id]' "$ALL")
nw=$(jq length <<<"$want")
req GET "$TMF/troubleTicket?status=acknowledged&offset=1&limit=2" "$LEAD"
check "paging under a filter: the filter's second and third, X-Total-Count $nw" \
    [ "$(jq -c '[.[].id]' "$TMP/body")" = "$(jq -c '.[1:3]' <<<"$want")" -a \
    "$(header X-Total-Count)" = "$nw" -a "$(header X-Result-Count)" = 2 ]
req GET "$TMF/troubleTicket?status=acknowledged&offset=$nw&limit=2" "$LEAD"
check "an offset past the filter's tickets: none, with the total" \
    [ "$(jbody length)" = 0 -a "$(header X-Total-Count)" = "$nw" ]
req GET "$TMF/troubleTicket?fields=id,severity&severity=High" "$LEAD"
check "fields= with a filter: only those attributes of the matching tickets" \
    [ "$(jbody '[.[] | keys | join(",")] | unique | join(";")')" = "id,severity" -a \
    "$(jq -c '[.[].id]' "$TMP/body")" = "$(jq -c '[.[] | select(.severity == "High") | .id]' "$ALL")" ]

# Each principal filters what it may see, no more.
req GET "$TMF/troubleTicket?limit=1000" "$C1"
cp "$TMP/body" "$TMP/all.c1"
expect "$C1" "$TMP/all.c1" "severity=High" '.severity == "High"'
req GET "$TMF/troubleTicket?relatedParty.id=c2" "$C1"
check "a customer filtering on another customer gets nothing of it" \
    [ "$STATUS" = 200 -a "$(jbody length)" = 0 -a "$(header X-Total-Count)" = 0 ]
req GET "$TMF/troubleTicket?limit=1000" "$FIB"
cp "$TMP/body" "$TMP/all.fib"
expect "$FIB" "$TMP/all.fib" "status=resolved" '.status == "resolved"'
req GET "$TMF/troubleTicket?id=$T3,$T6" "$FIB"
check "a partner naming tickets it has no claim on by id gets none" \
    [ "$STATUS" = 200 -a "$(jq -c "[.[].id] - [$(jq -c '.[].id' "$TMP/all.fib" | paste -sd,)]" "$TMP/body")" = "[]" ]

# Refused: a 400 in TMF's Error shape naming the argument, nothing changed.
SIZE=$(tree_size)
refused() { # QUERY NAMED WHY
    req GET "$TMF/troubleTicket?$1" "$LEAD"
    check "$3: ?$1 is 400 naming $2" [ "$STATUS" = 400 -a "$(jbody .code)" = invalid_parameter \
        -a "$(jref)" = "$2" -a "$(jbody '."@type"')" = Error -a "$(jbody .status)" = 400 ]
}
refused "colour=red" colour "an unknown attribute"
refused "status=acknowledged&colour=red" colour "an unknown attribute beside a good one"
refused "sort=creationDate" sort "sorting (not supported)"
refused "description=No%20light." description "an attribute seam does not filter on"
refused "resolutionDate.gt=2024-01-01T00:00:00Z" resolutionDate.gt "a date attribute seam does not show"
refused "severity.like=High" severity.like "an unknown operator"
refused "creationDate.regex=2026" creationDate.regex "the regex operator"
refused "creationDate.ne=2026-01-01" creationDate.ne "an operator TMF630 does not define"
refused "creationDate%3E=2026-01-01T00:00:00Z" "creationDate>" "the symbol form of an operator"
refused "status.gt=acknowledged" status.gt "a comparison on a non-date attribute"
refused "severity.lte=High" severity.lte "a comparison on a non-date attribute"
refused "id.gte=T" id.gte "a comparison on a non-date attribute"
refused "creationDate.gt=yesterday" creationDate.gt "a malformed date"
refused "lastUpdate.lt=2026-13-01T00:00:00Z" lastUpdate.lt "a month that is none"
refused "creationDate=2026-01-01T25:00:00Z" creationDate "an hour that is none"
refused "statusChangeDate.gte=2026-01-01T00:00:00" statusChangeDate.gte "a date-time without zone"
refused "requestedResolutionDate.gt=2026-01-01%2010:00:00Z" requestedResolutionDate.gt "a date-time without T"
refused "creationDate.gt=2026-01-01T00:00:00Z,2026-02-01T00:00:00Z" creationDate.gt "a list for a comparison"
refused "creationDate.gt=2026-01-01T00:00:00+01:00" creationDate.gt "an offset's + not encoded (a space)"
check "... and the message says how to send it" matches "$(jbody .message)" '%2B'
refused "status=" status "an empty value"
refused "status" status "no value at all"
refused "severity=High," severity "an empty value in a list"
refused "creationDate.lt=" creationDate.lt "an empty date"
refused "status=open" status "a status that is none"
refused "priority=extreme" priority "a priority that is none"
LONG=$(printf 'x%.0s' $(seq 1 300))
req GET "$TMF/troubleTicket?$LONG=1" "$LEAD"
check "a long unknown name is 400, named cut to 64 bytes" \
    [ "$STATUS" = 400 -a "$(jref)" = "${LONG:0:64}" ]
MANY=$(for i in $(seq 1 40); do printf 'creationDate.gt=2020-01-01T00:00:%02dZ&' $i; done)
req GET "$TMF/troubleTicket?${MANY}limit=5" "$LEAD"
check "more than 32 filters: 400" [ "$STATUS" = 400 -a "$(jbody .code)" = invalid_parameter ]
req GET "$TMF/troubleTicket?%FF%FE.gt=%FF" "$LEAD"
check "a name that is not UTF-8: 400, named as valid UTF-8" \
    [ "$STATUS" = 400 -a "$(jbody .code)" = invalid_parameter -a -n "$(jref)" ]
req GET "$TMF/troubleTicket?severity=$(printf 'High%.0s,' $(seq 1 64))High" "$LEAD"
check "65 values in one filter: 400" [ "$STATUS" = 400 -a "$(jref)" = severity ]
req GET "$TMF/troubleTicket?severity=$(printf 'High%.0s,' $(seq 1 63))High" "$LEAD"
check "64 values: taken" [ "$STATUS" = 200 -a "$(header X-Total-Count)" = "$(jq '[.[] | select(.severity == "High")] | length' "$ALL")" ]
req GET "$TMF/troubleTicket?severity=High&offset=-1" "$LEAD"
check "a bad offset beside a filter: 400 naming offset" [ "$STATUS" = 400 -a "$(jref)" = offset ]
req GET "$TMF/troubleTicket?colour=red" ""
check "without credentials: 401 before any filter is judged" [ "$STATUS" = 401 ]
check "nothing was written by the refused requests" [ "$(tree_size)" = "$SIZE" ]
req GET "$TMF/troubleTicket?limit=1000" "$LEAD"
check "and the tickets are as they were" [ "$(jq -S . "$TMP/body")" = "$(jq -S . "$ALL")" ]

finish
