#!/usr/bin/env bash
# The store and the key stay private (issue 14, finding 8): seamctl init
# makes them 0600 in a 0700 directory; the broker refuses to start on a data
# file, lock file or key that others may read, naming the exact chmod; and
# seamctl backup writes 0600 files even into an existing 0755 directory,
# whatever the umask.
. "$(dirname "$0")/lib.sh"
umask 022
init_store
mode() { stat -c %a "$1"; }
check "init: the data directory is 0700" [ "$(mode "$DATA")" = 700 ]
check "init: data.mdb, lock.mdb and broker.key are 0600" \
    [ "$(mode "$DATA/data.mdb")" = 600 -a "$(mode "$DATA/lock.mdb")" = 600 -a "$(mode "$DATA/broker.key")" = 600 ]
ABS=$(realpath "$DATA")
# refused FILE MODE: the broker, with FILE at MODE, exits non-zero at once naming the chmod.
refused() {
    chmod "$2" "$DATA/$1"
    timeout 10 "$BROKER" -c "$CONF" -d "$DATA" -l 127.0.0.1:0 >"$TMP/refused.log" 2>&1
    local rc=$?
    chmod 600 "$DATA/$1"
    [ $rc -ne 0 -a $rc -ne 124 ] && grep -qF "chmod 600 $ABS/$1" "$TMP/refused.log" &&
        ! grep -q "listening on" "$TMP/refused.log"
}
check "the broker refuses to start on a data.mdb of mode 0666, naming the exact 'chmod 600 /path/data.mdb'" refused data.mdb 666
check "... on a data.mdb of mode 0640" refused data.mdb 640
check "... on a lock.mdb of mode 0644" refused lock.mdb 644
check "... on a broker.key of mode 0644, naming the exact chmod" refused broker.key 644
C1=$(new_customer c1)
LEAD=$(new_token lead ops)
start_broker
req POST /v1/tickets "$C1" "$TICKET_BODY"
check "with the modes fixed it starts and serves" [ "$STATUS" = 201 ]
mkdir -m 755 "$TMP/bk"
check "backup into an existing 0755 directory works" ctl backup "$TMP/bk"
check "... and leaves data.mdb 0600" [ "$(mode "$TMP/bk/data.mdb")" = 600 ]
check "... and broker.key 0600" [ "$(mode "$TMP/bk/broker.key")" = 600 ]
check "... and broker.pub 0600 (every file of a backup is the operator's)" [ "$(mode "$TMP/bk/broker.pub")" = 600 ]
mkdir -m 777 "$TMP/bk2"
check "backup with umask 000 into a 0777 directory works" sh -c "umask 000 && '$SEAMCTL' -d '$DATA' -c '$CONF' backup '$TMP/bk2'"
check "... and leaves data.mdb 0600 all the same" [ "$(mode "$TMP/bk2/data.mdb")" = 600 -a "$(mode "$TMP/bk2/broker.key")" = 600 ]
stop_broker
DATA=$TMP/bk
check "the backup verifies" ctl verify
start_broker
req GET /v1/tickets "$LEAD"
check "the broker starts on the backup (its files pass the check) and serves it" \
    [ "$STATUS" = 200 -a "$(jbody '.items | length')" = 1 ]
check "... its lock file made 0600" [ "$(mode "$TMP/bk/lock.mdb")" = 600 ]
finish
