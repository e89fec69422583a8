#!/usr/bin/env bash
# The example alerting rules of docs/operations.md (install issue, item 9):
# the block under the "alerting rules" marker is valid for promtool check
# rules; promtool test rules fires two of them on made-up series and not on
# quiet ones; every seam_ series the rules name is served by a running
# broker's /metrics, whose seam_build_info names this build's version; a
# push that fails its last try is counted as a dead letter of its channel,
# and the outbox's depth comes back to 0.
# promtool comes with Debian's prometheus package, installed here when
# missing (as root); without it the promtool checks are skipped, said so.
. "$(dirname "$0")/lib.sh"
VERSION=$(sed -n 's/^VERSION *= *//p' "$ROOT/Makefile")
skip() { T_N=$((T_N + 1)); echo "ok $T_N - # SKIP $1"; }

awk '/<!-- alerting rules:/ { on = 1; next } on && /^```yaml/ { p = 1; next } p && /^```/ { exit } p' \
    "$ROOT/docs/operations.md" >"$TMP/rules.yml"
check "docs/operations.md has the rules block" [ -s "$TMP/rules.yml" ]

if ! command -v promtool >/dev/null && [ "$(id -u)" = 0 ]; then
    flock -w 600 /tmp/seam-tests-apt.lock sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus" \
        >"$TMP/apt.log" 2>&1
fi
if command -v promtool >/dev/null; then
    check "promtool check rules accepts them" promtool check rules "$TMP/rules.yml"
    cat >"$TMP/test.yml" <<'YML'
rule_files: [rules.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'seam_store_full_errors_total{job="seam",instance="a"}'
        values: '0 0 0 1 2 2 2'
      - series: 'seam_store_full_errors_total{job="seam",instance="b"}'
        values: '0 0 0 0 0 0 0'
      - series: 'seam_store_queue_length{job="seam",instance="a"}'
        values: '5000x10'
      - series: 'seam_store_queue_length{job="seam",instance="b"}'
        values: '10x10'
    alert_rule_test:
      - eval_time: 5m
        alertname: SeamStoreFull
        exp_alerts:
          - exp_labels: {severity: page, job: seam, instance: a}
            exp_annotations:
              summary: "seam-broker on a refuses writes: the map is at limits.map_max_mb or the disk is full"
      - eval_time: 8m
        alertname: SeamWriteBacklog
        exp_alerts:
          - exp_labels: {severity: ticket, job: seam, instance: a}
            exp_annotations:
              summary: "5000 writes wait for the writer on a"
YML
    (cd "$TMP" && promtool test rules test.yml) >"$TMP/promtool.out" 2>&1
    check "promtool test rules: SeamStoreFull and SeamWriteBacklog fire on the busy broker only" \
        bash -c "cat '$TMP/promtool.out'; grep -q SUCCESS '$TMP/promtool.out'"
else
    skip "promtool is not installed and cannot be (Debian package prometheus)"
fi

# A push partner whose endpoint refuses, and two tries: one dead letter.
conf_with '.partners[0].delivery.url = "http://127.0.0.1:1/seam" | .delivery.retry_schedule_ms = [0, 4000]'
init_store
start_broker
metric() { curl -s "$(URL /metrics)" | awk -v k="$1" '$1 == k { print $2 }'; }
metric_is() { local v; v=$(metric "$1"); [ -n "$v" ] && [ "$v" "$2" "$3" ]; } # NAME OP VALUE
check "no dead letter yet" [ "$(metric 'seam_outbox_dead_letters_total{channel="webhook"}')" = 0 ]
CUST=$(new_customer c1)
req POST /v1/tickets "$CUST" '{"summary":"No TV","description":"Black screen.","service":"tv","symptom":"no_signal","equipment":"set_top_box"}'
check "a TV complaint for the push partner is filed" [ "$STATUS" = 201 ]
check "seam_tickets counts it" [ "$(metric seam_tickets)" = 1 ]
check "its push waits for its retry in the outbox" eventually 5 metric_is seam_outbox_pending = 1
check "its push fails twice and becomes a dead letter" \
    eventually 15 metric_is 'seam_outbox_dead_letters_total{channel="webhook"}' -ge 1
# (the partner is also told of the escalation that follows, which dies the same way)
check "... and the outbox empties" eventually 15 metric_is seam_outbox_pending = 0
dead=$(grep -c 'delivery: dead letter id=' "$TMP/broker.$STARTS.log")
check "the counter is the log's dead letters ($dead)" \
    [ "$(metric 'seam_outbox_dead_letters_total{channel="webhook"}')" = "$dead" -a "$dead" -ge 1 ]
check "... no hub notification died" [ "$(metric 'seam_outbox_dead_letters_total{channel="tmf_hub"}')" = 0 ]
req GET /metrics ""
check "a running broker serves /metrics" [ "$STATUS" = 200 ]
served=$(sed -n 's/^# TYPE \(seam_[a-z_]*\) .*/\1/p' "$TMP/body" | sort -u)
named=$(grep -o 'seam_[a-z_]*' "$TMP/rules.yml" | sort -u)
check "the rules name seam series ($(echo $named))" [ -n "$named" ]
for m in $named; do
    m=${m%_bucket} # a histogram's series are named by its TYPE line without the suffix
    check "$m is served" grep -qx "$m" <<<"$served"
done
check "seam_build_info names this build" \
    grep -q "^seam_build_info{version=\"$VERSION\",store_format=\"[0-9]*\"} 1$" "$TMP/body"
finish
