#!/usr/bin/env bash
# e2e: long (started first by tests/run.sh)
# The second example federation, of another industry: a housing
# cooperative whose buildings' services (heating, water, lifts, electrics,
# cleaning, grounds) are delivered by contractors (conf/examples/
# condominium.json). Its configuration must pass the coverage check and its
# scenarios (tests/scenarios/condominium/) run through the daemon, the CLI
# and the explain API exactly as the telecom example's do.
here=$(cd "$(dirname "$0")" && pwd)
CONF=$here/../../conf/examples/condominium.json SCENARIOS=$here/../scenarios/condominium \
    MIN_SCENARIOS=55 exec bash "$here/t_scenarios.sh"
