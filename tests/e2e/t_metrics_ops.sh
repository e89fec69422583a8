#!/usr/bin/env bash
# The metrics an operator alerts on (issue 21, item 9), on the test clock
# from Monday 7 January 2030, 08:00Z: open tickets by owner, disputed
# tickets, claims past their SLA warning (at risk) and breached, and the
# writer's commit latency histogram, each following what the tickets do;
# the example alerting rules of docs/operations.md that name them fire on
# made-up series (promtool test rules; skipped, said so, without promtool).
. "$(dirname "$0")/lib.sh"
skip() { T_N=$((T_N + 1)); echo "ok $T_N - # SKIP $1"; }
init_store
C1=$(new_customer c1 triple-play north)
LEAD=$(new_token lead ops)
FIB=$(new_token partner fibernet)
LEAD_ID=$(jq -r .lead.id "$CONF")
start_broker -T 2030-01-07T08:00:00Z
metric() { curl -s "$(URL /metrics)" | awk -v k="$1" '$1 == k { print $2 }'; }
is() { [ "$(metric "$1")" = "$2" ]; } # NAME VALUE

check "no open ticket for fibernet yet" is 'seam_tickets_open{owner="fibernet"}' 0
check "every owner has its series, the lead by its id" is "seam_tickets_open{owner=\"$LEAD_ID\"}" 0
check "no claim at risk" is 'seam_claims_at_risk{clock="ack"}' 0

# Two complaints for Fibernet; it hands the second back to the lead: disputed.
req POST /v1/tickets "$C1" "$TICKET_BODY"
T1=$(jbody .id)
req POST /v1/tickets "$C1" '{"summary":"Drops","description":"","service":"internet","symptom":"intermittent"}'
T2=$(jbody .id)
check "two open tickets for fibernet" is 'seam_tickets_open{owner="fibernet"}' 2
check "... two ack clocks running" is 'seam_claims_running{clock="ack"}' 2
req GET "/v1/tickets/$T2" "$LEAD"
A2=$(jbody '.assignments[0].id')
req POST "/v1/assignments/$A2/handback" "$FIB" '{"reason":"customer_side"}'
check "a hand-back to the lead" [ "$STATUS" = 200 ]
check "one open ticket for fibernet after it" is 'seam_tickets_open{owner="fibernet"}' 1
check "one for the lead" is "seam_tickets_open{owner=\"$LEAD_ID\"}" 1
check "one disputed ticket" is seam_tickets_disputed 1
check "none breached" is seam_tickets_breached 0

# network-critical, high: ack within 30 business minutes, warned at 80 % (24 minutes).
req POST /v1/test/clock "$LEAD" '{"advance_ms":1560000}' # 26 minutes
check "past its warning, T1's ack clock is at risk" eventually 5 is 'seam_claims_at_risk{clock="ack"}' 1
req POST /v1/test/clock "$LEAD" '{"advance_ms":300000}' # 5 more: 31 minutes
check "past its target, T1 is breached" eventually 5 is seam_tickets_breached 1
check "... and no longer at risk" is 'seam_claims_at_risk{clock="ack"}' 0
check "... escalated to the lead" is seam_tickets_escalated 1
req GET "/v1/tickets/$T1" "$LEAD"
A1=$(jbody '[.assignments[] | select(.partner == "fibernet")][0].id')
req POST "/v1/assignments/$A1/resolve" "$FIB" '{"resolution":"Fixed."}'
check "T1 resolved" [ "$STATUS" = 200 ]
check "a resolved ticket is no longer open for fibernet" is 'seam_tickets_open{owner="fibernet"}' 0
check "... nor counted breached" is seam_tickets_breached 0

# The writer's commits: a histogram whose count is every commit so far.
curl -s "$(URL /metrics)" >"$TMP/m"
count=$(awk '$1 == "seam_store_commit_duration_seconds_count" { print $2 }' "$TMP/m")
inf=$(awk '$1 == "seam_store_commit_duration_seconds_bucket{le=\"+Inf\"}" { print $2 }' "$TMP/m")
batches=$(awk '$1 == "seam_store_batches_total" { print $2 }' "$TMP/m")
check "the commit histogram counts every batch ($count commits, $batches batches)" \
    [ -n "$count" -a "$count" = "$inf" -a "$count" -ge "$batches" -a "$batches" -ge 4 ]
check "its buckets only grow" bash -c "grep '^seam_store_commit_duration_seconds_bucket' '$TMP/m' |
    awk '{ if (\$2 < last) exit 1; last = \$2 }'"
check "its sum is a time in seconds" \
    bash -c "awk '\$1 == \"seam_store_commit_duration_seconds_sum\" { exit !(\$2 > 0 && \$2 < 60) }' '$TMP/m'"
stop_broker

# The alerting rules that name these series fire where they should.
awk '/<!-- alerting rules:/ { on = 1; next } on && /^```yaml/ { p = 1; next } p && /^```/ { exit } p' \
    "$ROOT/docs/operations.md" >"$TMP/rules.yml"
for s in seam_tickets_open seam_tickets_disputed seam_tickets_breached seam_claims_at_risk \
    seam_store_commit_duration_seconds_bucket seam_config_last_reload_success; do
    check "the rules name $s" grep -q "$s" "$TMP/rules.yml"
done
if command -v promtool >/dev/null; then
    cat >"$TMP/test.yml" <<'YML'
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'seam_tickets_breached{job="seam",instance="a"}'
        values: '0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1'
      - series: 'seam_tickets_breached{job="seam",instance="b"}'
        values: '0x40'
      - series: 'seam_config_last_reload_success{job="seam",instance="a"}'
        values: '1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0'
      - series: 'seam_config_last_reload_success{job="seam",instance="b"}'
        values: '1x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="a",le="0.1"}'
        values: '0+10x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="a",le="0.5"}'
        values: '0+10x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="a",le="1"}'
        values: '0+1000x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="a",le="+Inf"}'
        values: '0+1000x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="b",le="0.1"}'
        values: '0+1000x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="b",le="0.5"}'
        values: '0+1000x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="b",le="1"}'
        values: '0+1000x20'
      - series: 'seam_store_commit_duration_seconds_bucket{job="seam",instance="b",le="+Inf"}'
        values: '0+1000x20'
    alert_rule_test:
      - eval_time: 34m
        alertname: SeamSLABreached
        exp_alerts:
          - exp_labels: {severity: ticket, job: seam, instance: a}
            exp_annotations:
              summary: "1 open tickets on a breached an SLA target (GET /v1/tickets?flag=breached)"
      - eval_time: 14m
        alertname: SeamReloadRefused
        exp_alerts:
          - exp_labels: {severity: ticket, job: seam, instance: a}
            exp_annotations:
              summary: "seam-broker on a refused its configuration file: the one in force is older (seam_config_last_reload_refused and the log say why)"
      - eval_time: 18m
        alertname: SeamSlowCommits
        exp_alerts:
          - exp_labels: {severity: ticket, instance: a}
            exp_annotations:
              summary: "99 % of the writer's commits on a take more than 250 ms: the disk is slow"
YML
    (cd "$TMP" && promtool test rules test.yml) >"$TMP/promtool.out" 2>&1
    check "promtool test rules: the breach, reload and commit alerts fire on a only" \
        bash -c "cat '$TMP/promtool.out'; grep -q SUCCESS '$TMP/promtool.out'"
else
    skip "promtool is not installed (Debian package prometheus; t_alerts.sh installs it)"
fi
finish
