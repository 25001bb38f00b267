#!/usr/bin/env bash
# Benchmark: starts the packaged service with embedded defaults in a scratch data dir, registers M apps in its
# GitOps repository, and runs bench/PushLoad.java twice: one push at a time (latency), then N pushes from 8
# concurrent senders (throughput). Results go to stdout; record them in bench/RESULTS.md.
# usage: bench/run.sh [PUSHES=200] [APPS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
pushes=${1:-200}
apps=${2:-10}
. bench/service.sh

register_apps "$apps"

echo "== latency: 50 pushes, one at a time, across $apps apps"
java -cp "$cp" bench/PushLoad.java "http://127.0.0.1:$port" $secret "$bootstrap" "$apps" 50 1
echo "== throughput: $pushes pushes, 8 concurrent senders, across $apps apps"
java -cp "$cp" bench/PushLoad.java "http://127.0.0.1:$port" $secret "$bootstrap" "$apps" "$pushes" 8
