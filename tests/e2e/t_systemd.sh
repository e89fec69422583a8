#!/usr/bin/env bash
# The systemd unit and readiness (install issue, item 3). The unit make
# install writes passes systemd-analyze verify (a copy whose ExecStart is the
# binary installed in a temporary DESTDIR), has its sections, Type=notify,
# its own user, state and configuration directories, a SIGHUP reload and the
# hardening options, and systemd-analyze security rates it OK or better with
# the exposure docs/operations.md quotes. The broker, run under strace
# through a filing, a push attempt, a report, /metrics and a SIGHUP, makes
# only system calls the unit's SystemCallFilter allows, and opens only the
# address families it allows. Under NOTIFY_SOCKET (a path, then an abstract
# name) READY=1 arrives once the port answers /healthz, SIGHUP reloads
# (RELOADING=1, then READY=1 naming the configuration), STOPPING=1 arrives at the stop, and a broker
# that cannot start sends no READY=1.
. "$(dirname "$0")/lib.sh"
# make install builds what is missing first: the same build as the tests run (make check: SANITIZE=1).
MKARGS=(BUILD="$BUILD")
[[ $BUILD == *-san ]] && MKARGS=(SANITIZE=1)
DEST=$TMP/root
UNIT=$DEST/usr/local/lib/systemd/system/seam-broker.service

need() { # command package: installs the package as root when the command is missing
    command -v "$1" >/dev/null && return 0
    [ "$(id -u)" = 0 ] || return 1
    flock -w 600 /tmp/seam-tests-apt.lock sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $2" \
        >"$TMP/apt.$2.log" 2>&1
    command -v "$1" >/dev/null
}
skip() { T_N=$((T_N + 1)); echo "ok $T_N - # SKIP $1"; }

make -s -C "$ROOT" --no-print-directory install DESTDIR="$DEST" "${MKARGS[@]}" >"$TMP/install.out" 2>&1
check "make install writes the unit" [ -f "$UNIT" ]
section() { awk -v s="[$1]" '/^\[/ { on = ($0 == s) } on && /^[A-Za-z]/' "$UNIT"; }
for s in Unit Service Install; do
    check "the unit has a [$s] section" grep -qx "\[$s\]" "$UNIT"
done
for kv in 'Type=notify' 'User=seam' 'StateDirectory=seam' 'ConfigurationDirectory=seam' \
    'ExecReload=/bin/kill -HUP $MAINPID' 'NoNewPrivileges=yes' 'ProtectSystem=strict' \
    'ProtectHome=yes' 'PrivateTmp=yes' 'PrivateDevices=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' 'MemoryDenyWriteExecute=yes'; do
    check "[Service] has $kv" grep -qxF "$kv" <(section Service)
done
check "[Install] is wanted by multi-user.target" grep -qx 'WantedBy=multi-user.target' <(section Install)
check "the broker runs on the state directory" grep -q '^ExecStart=.* -d /var/lib/seam$' "$UNIT"

# systemd-analyze on a copy that starts the binary installed in DESTDIR.
mkdir -p "$TMP/unit"
sed "s|^ExecStart=/usr/local/sbin/|ExecStart=$DEST/usr/local/sbin/|" "$UNIT" >"$TMP/unit/seam-broker.service"
if need systemd-analyze systemd; then
    (cd "$TMP/unit" && systemd-analyze verify --man=no ./seam-broker.service) >"$TMP/verify.out" 2>&1
    rc=$?
    check "systemd-analyze verify passes (status $rc)" [ "$rc" = 0 ]
    check "... without a word" [ ! -s "$TMP/verify.out" ]
    (cd "$TMP/unit" && systemd-analyze security --offline=yes --no-pager ./seam-broker.service) >"$TMP/security.out" 2>&1
    score=$(sed -n 's/.*Overall exposure level for seam-broker.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' "$TMP/security.out")
    check "systemd-analyze security rates the unit OK or better ($score)" \
        grep -qE '^[0-9.]+ (PERFECT|SAFE|OK)$' <<<"$score"
    check "docs/operations.md quotes that exposure ($score)" grep -qF "exposure level for seam-broker.service: $score" "$ROOT/docs/operations.md"
    # The system calls the filter allows: @system-service without @privileged and @resources.
    resolve() {
        systemd-analyze syscall-filter "$1" | awk 'NR > 1 && NF && $1 !~ /^#/ { print $1 }' |
            while read -r e; do case $e in @*) resolve "$e" ;; *) echo "$e" ;; esac; done
    }
    resolve @system-service | sort -u >"$TMP/allowed"
    { resolve @privileged; resolve @resources; } | sort -u >"$TMP/denied"
    check "the filter's sets are known ($(wc -l <"$TMP/allowed") allowed)" [ "$(wc -l <"$TMP/allowed")" -gt 100 ]
else
    skip "systemd-analyze is not installed and cannot be (not root, or no package)"
fi

if [[ $BUILD == *-san ]]; then
    skip "the system calls of a sanitizer build are not the unit's (and LeakSanitizer cannot run under strace)"
elif [ -s "${TMP}/allowed" ] && need strace strace; then
    init_store
    CUST=$(new_customer c1)
    LEAD=$(new_token lead ops)
    SEAM_BROKER_WRAPPER="strace -f -qq -o $TMP/trace" start_broker
    req POST /v1/tickets "$CUST" "$TICKET_BODY"
    check "under strace: a ticket is filed" [ "$STATUS" = 201 ]
    req POST /v1/tickets "$CUST" '{"summary":"No TV","description":"Black screen.","service":"tv","symptom":"no_signal","equipment":"set_top_box"}'
    check "... and one that is pushed to a partner (who is not there)" [ "$STATUS" = 201 ]
    req GET /v1/audit/sla "$LEAD"
    check "... a report" [ "$STATUS" = 200 ]
    req GET /metrics "$LEAD"
    check "... the metrics" [ "$STATUS" = 200 ]
    sleep 0.5 # the push's first try
    kill -HUP "$BPID"
    sleep 0.3
    req GET /healthz ""
    check "... and a SIGHUP" [ "$STATUS" = 200 ]
    # strace passes no SIGTERM on: the broker itself is stopped, then strace ends with it.
    kill -TERM "$(pgrep -P "$BPID")"
    stop_broker
    awk '{ s = $2; sub(/\(.*/, "", s); if (s ~ /^[a-z_0-9]+$/) print s }' "$TMP/trace" | sort -u >"$TMP/used"
    check "the broker made system calls ($(wc -l <"$TMP/used"))" [ "$(wc -l <"$TMP/used")" -gt 20 ]
    out=$(comm -23 "$TMP/used" "$TMP/allowed" | tr '\n' ' ')
    check "every one is in @system-service${out:+ (not: $out)}" [ -z "$out" ]
    out=$(comm -12 "$TMP/used" "$TMP/denied" | tr '\n' ' ')
    check "none is in @privileged or @resources${out:+ (used: $out)}" [ -z "$out" ]
    fams=$(grep -o 'socket(AF_[A-Z0-9]*' "$TMP/trace" | sed 's/socket(//' | sort -u | tr '\n' ' ')
    check "its sockets are of the families the unit allows ($fams)" \
        bash -c "for f in $fams; do case \$f in AF_INET|AF_INET6|AF_UNIX) ;; *) exit 1 ;; esac; done"
    rm -rf "$DATA"
else
    skip "strace is not installed and cannot be, or the filter's sets are unknown"
fi

# Readiness over the notify socket: a listener that, on READY=1, asks the
# broker's port (from its log) for /healthz at once.
cat >"$TMP/listen.py" <<'PY'
import socket, sys, re, time, urllib.request
name, log, out = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
with open(out, "a") as f:
    f.write("bound\n"); f.flush()
    while True:
        msg = s.recv(4096).decode()
        line = msg.replace("\n", "|")
        if "READY=1" in msg.split("\n"):
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log).read())
            try:
                code = urllib.request.urlopen("http://127.0.0.1:%s/healthz" % m.group(1), timeout=2).status
            except Exception as e:
                code = "failed:" + type(e).__name__
            line += " healthz=%s" % code
        f.write(line + "\n"); f.flush()
PY
listen() { # NAME: starts the listener; sets LPID
    : >"$TMP/notified"
    python3 "$TMP/listen.py" "$1" "$TMP/broker.$((STARTS + 1)).log" "$TMP/notified" &
    LPID=$!
    eventually 5 grep -q bound "$TMP/notified"
}
init_store
for name in "$TMP/notify.sock" "@seam-test-notify-$$"; do
    listen "$name"
    NOTIFY_SOCKET=$name start_broker
    check "READY=1 reaches $name once the port answers /healthz" \
        eventually 5 grep -q '^READY=1|STATUS=serving .* healthz=200$' "$TMP/notified"
    check "... once" [ "$(grep -c 'READY=1' "$TMP/notified")" = 1 ]
    kill -HUP "$BPID"
    check "SIGHUP is told as a reload" eventually 5 grep -q '^RELOADING=1|STATUS=reloading the configuration$' "$TMP/notified"
    check "... and its end: ready again, the configuration in force named" \
        eventually 5 grep -q '^READY=1|STATUS=serving .* (configuration [0-9a-f]\{16\}) healthz=200$' "$TMP/notified"
    check "... the broker still runs" kill -0 "$BPID"
    check "... and logs the reload" grep -q 'reload: generation 2 in force' "$TMP/broker.$STARTS.log"
    req GET /healthz ""
    check "... and serves" [ "$STATUS" = 200 ]
    stop_broker
    check "STOPPING=1 at the stop" eventually 5 grep -q '^STOPPING=1' "$TMP/notified"
    kill "$LPID"
    wait "$LPID" 2>/dev/null
    rm -f "$TMP/notify.sock"
done

# A broker that cannot start is never ready.
listen "$TMP/notify.sock"
NOTIFY_SOCKET=$TMP/notify.sock "$BROKER" -c "$CONF" -d "$TMP/empty" -l 127.0.0.1:0 >"$TMP/broker.$((STARTS + 1)).log" 2>&1
check "a broker without a store exits non-zero" [ $? != 0 ]
sleep 0.2
refute "... and sent no READY=1" grep -q 'READY=1' "$TMP/notified"
kill "$LPID"
wait "$LPID" 2>/dev/null
finish
