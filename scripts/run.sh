#!/bin/sh
# make run: initialise the example federation's data directory if it has no
# store yet, then run the broker in the foreground on conf/seam.json.
set -e
CONF=${SEAM_CONFIG:-conf/seam.json}
DATA=$(sed -n 's/^ *"data_dir": *"\([^"]*\)".*/\1/p' "$CONF" | head -1)
DATA=${DATA:-var/data}
if [ ! -f "$DATA/broker.key" ]; then
    mkdir -p "$(dirname "$DATA")"
    echo "initialising $DATA; the broker's public key is:"
    ./seamctl -c "$CONF" -d "$DATA" init
fi
echo "seam-broker on $CONF (data in $DATA); Ctrl-C stops it"
exec ./seam-broker -c "$CONF"
