#!/usr/bin/env bash
# Benchmark: does a Mattermost that hangs slow deployments down? Runs bench/run.sh twice with the same load: once
# with notifications to the log, once with an incoming webhook on a server that accepts connections and never
# answers (every call waits for relay.mattermost.timeout, then is retried, then dead-lettered).
# usage: bench/notifier.sh [PUSHES=100] [APPS=10]
set -euo pipefail
cd "$(dirname "$0")/.."
pushes=${1:-100}
apps=${2:-10}
hang_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
# Accepts every connection and holds it open without a byte of answer.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(512)
held = []
while True:
    c, _ = s.accept(); held.append(c)
' "$hang_port" &
hang_pid=$!
trap 'kill $hang_pid 2>/dev/null' EXIT
echo "#### notifications to the log"
# run.sh ends with its stopped service's status: not a failure of the run.
bench/run.sh "$pushes" "$apps" || true
echo "#### notifications to a Mattermost that never answers (127.0.0.1:$hang_port)"
RELAY_MATTERMOST_WEBHOOK_URL="http://127.0.0.1:$hang_port/hooks/bench" RELAY_MATTERMOST_TIMEOUT=PT2S \
  RELAY_MATTERMOST_ATTEMPTS=3 bench/run.sh "$pushes" "$apps" || true
