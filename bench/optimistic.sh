#!/usr/bin/env bash
# Optimistic writes against a Git host across a network: changes applied one after the other to a remote served by
# git's http-backend with LATENCY added to every request, fetching before each change (max-staleness PT0S) and
# planning on the cache (PT10S). Prints p50/p90 per change; record them in bench/RESULTS.md.
# usage: bench/optimistic.sh [LATENCY=PT0.05S] [CHANGES=30]
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q test-compile
./mvnw -B surefire:test -Dtest=OptimisticWritesBench -Dbench.latency="${1:-PT0.05S}" -Dbench.changes="${2:-30}" \
  | grep -E 'latency .* per request|Tests run|FAIL'
