#!/bin/sh
# make run: initialise the example federation's data directory if it has no
# store yet (and seed it with demo people and tickets: scripts/demo.sh), then
# run the broker in the foreground on conf/seam.json.
# SEAM_PORT (make run PORT=N) serves on 127.0.0.1:N, SEAM_LISTEN (make run
# LISTEN=ADDR:PORT) there, instead of the configuration's "listen".
set -e
CONF=${SEAM_CONFIG:-conf/seam.json}
DATA=$(sed -n 's/^ *"data_dir": *"\([^"]*\)".*/\1/p' "$CONF" | head -1)
DATA=${DATA:-var/data}
LISTEN=${SEAM_LISTEN:-}
if [ -z "$LISTEN" ] && [ -n "${SEAM_PORT:-}" ]; then
    case $SEAM_PORT in
    *[!0-9]*) echo "make run: PORT=$SEAM_PORT is not a port number" >&2; exit 2 ;;
    esac
    LISTEN=127.0.0.1:$SEAM_PORT
fi
if [ ! -f "$DATA/broker.key" ]; then
    mkdir -p "$(dirname "$DATA")"
    echo "initialising $DATA; the broker's public key is:"
    ./seamctl -c "$CONF" -d "$DATA" init
    echo "seeding demo people and tickets (scripts/demo.sh)"
    scripts/demo.sh "$CONF" "$DATA"
    SHOW=${LISTEN:-$(jq -r .listen "$CONF")}
    cat <<PEOPLE

Open http://$SHOW/ and sign in:
  the customer portal (/)     c1/kari          kari-demo-password
  the partner desk (/partner/)
  a partner's agent           fibernet/ola     ola-demo-password
                              skyview/siri     siri-demo-password
                              nordtel/nils     nils-demo-password
  the lead console (/lead/)
  the lead's manager          northwind/mary   mary-demo-password
  an auditor (SLA charts)     audit/ida        ida-demo-password
These passwords are for a demonstration on this machine only.

PEOPLE
fi
if [ -n "$LISTEN" ]; then
    echo "seam-broker on $CONF at $LISTEN (data in $DATA); Ctrl-C stops it"
    exec ./seam-broker -c "$CONF" -l "$LISTEN"
fi
echo "seam-broker on $CONF (data in $DATA); Ctrl-C stops it"
exec ./seam-broker -c "$CONF"
