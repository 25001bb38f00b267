#!/usr/bin/env bash
# The long version of the fault suite (src/test/java/.../*ProcessIT.java): the same runs on the packaged service
# as processes, with more apps, more pushes per app and a longer outage (the broker down, the GitOps remote gone).
# Each run prints events accepted, commits, lost and duplicated; record them in bench/RESULTS.md.
# usage: bench/faults.sh [APPS=30] [ROUNDS=40] [OUTAGE=PT60S]
set -euo pipefail
cd "$(dirname "$0")/.."
apps=${1:-30}
rounds=${2:-40}
outage=${3:-PT60S}
./mvnw -B -q package -DskipTests
./mvnw -B failsafe:integration-test failsafe:verify -Dfault.apps="$apps" -Dfault.rounds="$rounds" \
  -Dfault.outage="$outage" \
  | grep -E -A3 'accepted=|kill -9|deployments by|dead-lettered|person pushed|refused while|Tests run|FAIL|expected'
