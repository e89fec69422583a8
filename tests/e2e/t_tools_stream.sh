#!/usr/bin/env bash
# e2e: long
# seamctl verify, report sla, export and backup read the store in bounded
# memory (issue 17, item 4): on a store filled through the API (seam-fill,
# the bench's filler) to well over the bound, each one's peak resident set
# stays under it, where reading the whole store through the map once held
# the store's size resident. The streaming Merkle check still finds a
# changed node and a rewritten, re-signed event (the checkpoints signed
# before tell). On a terminal each prints a progress line on stderr; off a
# terminal nothing extra.
. "$(dirname "$0")/lib.sh"

FILL=$ROOT/$BUILD/tests/seam-fill
TAMPER=$ROOT/$BUILD/tests/tamper
BOUND_MB=96       # what each command may hold resident
STORE_MIN_MB=100  # a store this big broke the bound before (each peaked at its size + 10 MiB)
TICKETS=${T_TOOLS_TICKETS:-14000}

conf_with '.limits.max_connections_per_ip = 1024 |
    .partners |= map(if .id == "skyview" then .delivery = {"mode":"pull"} else . end)'
init_store
: >"$TMP/customers.txt"
for i in $(seq 1 12); do
    region=north
    [ $((i % 2)) = 0 ] && region=south
    new_customer "s$i" triple-play $region >>"$TMP/customers.txt"
done
: >"$TMP/partners.txt"
for p in nordtel fibernet skyview; do echo "$p $(new_token partner $p)" >>"$TMP/partners.txt"; done
LEAD=$(new_token lead ops)
fill() { # TICKETS BATCHES DAYS
    "$FILL" -p "$PORT" -n "$1" -b "$2" -d "$3" -c 16 -C "$TMP/customers.txt" \
        -P "$TMP/partners.txt" -L "$LEAD" >"$TMP/fill.out" 2>"$TMP/fill.err"
}

# --- a small store: the streaming Merkle check against tampering -------------
start_broker -T now
check "seam-fill files 40 tickets, with acks, resolves and hand-backs" fill 40 2 0
req GET "/v1/tickets?limit=1" "$LEAD"
TID=$(jbody '.items[0].id')
stop_broker
cp -r "$DATA" "$TMP/small"
SMALL=$TMP/small
verify_copy() { "$SEAMCTL" -d "$TMP/copy" verify >"$TMP/verify.out" 2>&1; }
names() { grep -q "$1" "$TMP/verify.out" || { cat "$TMP/verify.out"; return 1; }; }
fresh() { rm -rf "$TMP/copy" && cp -r "$SMALL" "$TMP/copy"; }
fresh
check "the small store verifies" verify_copy
fresh
"$TAMPER" "$TMP/copy" corrupt-node 1 3
refute "a changed tree node fails verify" verify_copy
check "... named as a stored node differing from the events" names "tree: 1 stored node hashes differ"
fresh
"$TAMPER" "$TMP/copy" rewrite-event "$TID"
refute "an event changed and signed again, its tree recomputed, fails verify" verify_copy
check "... the checkpoints signed before name the rewritten log" names "root differs from the events (log rewritten)"
check "... and the tree itself agrees with the rewritten events" sh -c "! grep -q 'stored node hashes differ' '$TMP/verify.out'"

# --- progress: a line on a terminal, nothing off one ------------------------
if command -v script >/dev/null; then
    script -qc "'$SEAMCTL' -d '$SMALL' verify" /dev/null >"$TMP/pty.out" </dev/null
    check "on a terminal, verify draws a progress line (count, rate)" \
        grep -aqE $'\r.*seamctl verify: events [0-9]+ of [0-9]+ \\([0-9]+%\\), [0-9]+/s' "$TMP/pty.out"
    check "... erased before the result" grep -aq $'\r\033\\[Kok: ' "$TMP/pty.out"
else
    ok 0 "# skip script (util-linux) is not installed"
    ok 0 "# skip script (util-linux) is not installed"
fi
"$SEAMCTL" -d "$SMALL" verify >"$TMP/v.out" 2>"$TMP/v.err"
check "off a terminal, verify writes nothing to stderr" [ ! -s "$TMP/v.err" ]
check "... and its result on stdout as before" grep -q '^ok: [0-9]* events of 40 tickets' "$TMP/v.out"

# --- a store well over the bound ---------------------------------------------
start_broker -T now
check "seam-fill files $TICKETS more over four months" fill "$TICKETS" 4 30
# The TMF621 list counts what passes only while its walk's budget lasts: a page of a broad list
# on this store comes without X-Total-Count, a narrow one with it.
hdr() { tr -d '\r' <"$TMP/headers" | sed -n "s/^$1: //Ip"; }
req GET "/tmf-api/troubleTicket/v4/troubleTicket?limit=10&offset=20" "$LEAD"
check "TMF621 list of every ticket: a full page (X-Result-Count 10)" [ "$(hdr X-Result-Count)" = 10 ]
check "... without X-Total-Count (more pass than the walk counts)" [ -z "$(hdr X-Total-Count)" ]
req GET "/tmf-api/troubleTicket/v4/troubleTicket?id=$TID" "$LEAD"
check "TMF621 list of one ticket: X-Total-Count 1" [ "$(hdr X-Total-Count)" = 1 ]
stop_broker
store_mb=$(($(stat -c %s "$DATA/data.mdb") >> 20))
check "the store ($store_mb MiB) is big enough to prove the bound of $BOUND_MB MiB" \
    [ "$store_mb" -ge "$STORE_MIN_MB" ]

peak() { # NAME COMMAND...: runs it, its peak resident set (MiB) in $TMP/NAME.mb
    local name=$1
    shift
    /usr/bin/time -f '%M' -o "$TMP/$name.kb" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    local rc=$?
    echo $(($(tail -1 "$TMP/$name.kb") / 1024)) >"$TMP/$name.mb"
    return $rc
}
under() { local mb; mb=$(cat "$TMP/$1.mb"); echo "# $1: $mb MiB"; [ "$mb" -le "$BOUND_MB" ]; }
# bound NAME: the peak check; skipped in a sanitizer build (make check), whose shadow memory and
# quarantine are the sanitizers', not seamctl's.
bound() {
    case "$BUILD" in
    build-san*) ok 0 "# skip $1's peak resident set: a sanitizer build" ;;
    *) check "... peak resident set under $BOUND_MB MiB" under "$1" ;;
    esac
}
if [ -x /usr/bin/time ]; then
    check "verify passes on the big store" peak verify "$SEAMCTL" -d "$DATA" -c "$CONF" verify
    bound verify
    check "report sla" peak report "$SEAMCTL" -d "$DATA" -c "$CONF" report sla
    bound report
    check "export of one ticket" peak export "$SEAMCTL" -d "$DATA" -c "$CONF" export "$TID"
    bound export
    check "backup" peak backup "$SEAMCTL" -d "$DATA" -c "$CONF" backup "$TMP/backup"
    bound backup
    "$SEAMCTL" -d "$TMP/backup" -c "$CONF" report sla >"$TMP/report2.out" 2>&1
    check "the backup gives the same SLA report" \
        sh -c "jq -S 'del(.overall.time_without_owner_ms)' '$TMP/report.out' >'$TMP/a.json' &&
               jq -S 'del(.overall.time_without_owner_ms)' '$TMP/report2.out' >'$TMP/b.json' &&
               cmp -s '$TMP/a.json' '$TMP/b.json'"
else
    for _ in 1 2 3 4 5 6 7 8 9; do ok 0 "# skip /usr/bin/time is not installed"; done
fi
if command -v script >/dev/null; then
    script -qc "'$SEAMCTL' -d '$DATA' -c '$CONF' report sla" /dev/null >"$TMP/pty.out" </dev/null
    check "on a terminal, report sla draws a progress line" \
        grep -aqE $'\r.*seamctl report sla: tickets [0-9]+ of [0-9]+' "$TMP/pty.out"
    rm -rf "$TMP/backup2"
    script -qc "'$SEAMCTL' -d '$DATA' backup '$TMP/backup2'" /dev/null >"$TMP/pty.out" </dev/null
    check "... and backup" grep -aqE $'\r.*seamctl backup: MiB copied' "$TMP/pty.out"
else
    ok 0 "# skip script (util-linux) is not installed"
    ok 0 "# skip script (util-linux) is not installed"
fi
check "report sla off a terminal: nothing on stderr" [ ! -s "$TMP/report.err" ]
check "backup off a terminal: nothing on stderr" [ ! -s "$TMP/backup.err" ]
finish
