#!/usr/bin/env bash
# The mobile-roaming example federation (conf/examples/roaming.json): a home
# operator whose travellers are served abroad by partner operators. The
# fact that matters, country, is declared in the configuration only (source
# either: the home country from the customer record unless the complaint
# names where the traveller is now), and the bundles map each service per
# country. Its configuration must pass the coverage check and its scenarios
# (tests/scenarios/roaming/) run through the daemon, the CLI and the explain
# API exactly as the telecom example's do.
here=$(cd "$(dirname "$0")" && pwd)
CONF=$here/../../conf/examples/roaming.json SCENARIOS=$here/../scenarios/roaming \
    MIN_SCENARIOS=30 exec bash "$here/t_scenarios.sh"
