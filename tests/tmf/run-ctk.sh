#!/usr/bin/env bash
# make tmf-ctk: installs newman into tests/tmf/node_modules (once), starts a
# broker for the purpose on a free loopback port with a temporary data
# directory and a customer token, and runs TM Forum's TMF621 conformance
# kit against it. Exits non-zero if any assertion fails.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-build}
KIT=${TMF_KIT:-$ROOT/tests/tmf/ctk-r18}
if [ ! -f "$KIT/CTK-TMF621-TroubleTicket.postman_collection.json" ]; then
    echo "tmf-ctk: the conformance kit is not at $KIT (set TMF_KIT)" >&2
    exit 1
fi
if [ ! -d tests/tmf/node_modules/newman ]; then
    command -v npm >/dev/null || { echo "tmf-ctk: npm is needed (Debian: nodejs npm)" >&2; exit 1; }
    (cd tests/tmf && npm install --no-audit --no-fund --prefix . newman@6 >/dev/null) || exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/seam-ctk.XXXXXX")
trap 'kill $BPID 2>/dev/null; wait $BPID 2>/dev/null; rm -rf "$TMP"' EXIT
CTL() { "$BUILD/seamctl" -d "$TMP/data" -c conf/seam.json "$@"; }
CTL init >/dev/null
CTL customer add ctk --name "Conformance kit" --bundle triple-play --region north >/dev/null
TOKEN=$(CTL token issue --role customer --subject ctk 2>/dev/null)
"$BUILD/seam-broker" -c conf/seam.json -d "$TMP/data" -l 127.0.0.1:0 >"$TMP/broker.log" 2>&1 &
BPID=$!
for _ in $(seq 1 100); do
    PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/broker.log")
    [ -n "$PORT" ] && break
    sleep 0.05
done
[ -n "${PORT:-}" ] || { cat "$TMP/broker.log"; exit 1; }
node tests/tmf/ctk.js "$KIT" "http://127.0.0.1:$PORT/tmf-api/troubleTicket/v4" "$TOKEN"
