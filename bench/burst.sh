#!/usr/bin/env bash
# Benchmark of issue #12: a burst of PUSHES pushes over APPS apps (each app's pushes chained as GitHub sends them,
# from 8 senders) against the packaged service with its embedded defaults, side by side in the same run with what
# one update costs by hand (one Kustomize build of an overlay plus one local git push) and with the CI shell
# pipeline (bench/shell-pipeline.sh, SHELL_UPDATES updates over the same number of apps).
# Prints events/s until every app holds its last push, p50/p99 push→landed, and the service's peak RSS.
# usage: [EXTERNAL_BROKER=1] [HEAP=1g] bench/burst.sh [PUSHES=2000] [APPS=50] [SHELL_UPDATES=500, 0: none]
set -euo pipefail
cd "$(dirname "$0")/.."
pushes=${1:-2000}
apps=${2:-50}
shell_updates=${3:-500}
. bench/service.sh

register_apps "$apps"

echo "== by hand: one kustomize build of an overlay + one local git push, 20 times"
render() { if command -v kustomize >/dev/null; then kustomize build "$1"; else kubectl kustomize "$1"; fi; }
git clone -q --bare "$work/clone" "$work/by-hand.git"
git clone -q "$work/by-hand.git" "$work/by-hand"
times=()
for n in $(seq 1 20); do
  sed -i -E "s/^( *)newTag: .*/\1newTag: by-hand-$n/" "$work/by-hand/apps/app-1/envs/staging/kustomization.yaml"
  git -C "$work/by-hand" -c user.name=bench -c user.email=bench@example.org commit -qam "by hand $n"
  t0=$(date +%s%N)
  render "$work/by-hand/apps/app-1/envs/staging" >/dev/null
  git -C "$work/by-hand" push -q origin HEAD:main
  times+=($(( ($(date +%s%N) - t0) / 1000000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "by hand ms: p50=%d max=%d\n", a[int((NR+1)/2)], a[NR]}'

echo "== latency: 50 pushes, one at a time, across $apps apps (the first of each app: its overlay is rendered)"
java -cp "$cp" bench/PushLoad.java "http://127.0.0.1:$port" $secret "$bootstrap" "$apps" 50 1
echo "== latency: 50 more (an app's next push: only its tag changed, so its render is reused)"
java -cp "$cp" bench/PushLoad.java "http://127.0.0.1:$port" $secret "$bootstrap" "$apps" 50 1
echo "== burst: $pushes pushes, 8 concurrent senders, across $apps apps"
java -cp "$cp" bench/PushLoad.java "http://127.0.0.1:$port" $secret "$bootstrap" "$apps" "$pushes" 8 || true
what="the service with its embedded broker"
[ "${EXTERNAL_BROKER:-0}" = 1 ] && what="the service alone, broker in its own process"
echo "peak RSS of $what, -Xmx${HEAP:-1g}: $(awk '/VmHWM/{printf "%d MB", $2/1024}' "/proc/$pid/status")"
echo "batches: $(curl -fs "http://127.0.0.1:$port/q/metrics" | grep -E '^relay_handler_batch_size_(count|sum|max)' | tr '\n' ' ')"
echo "outcomes: $(curl -fs "http://127.0.0.1:$port/q/metrics" | grep -E '^relay_events_handled_total' | sed -E 's/.*outcome="([^"]*)"[^}]*\} ([0-9.E]+).*/\1=\2/' | tr '\n' ' ')"

if [ "$shell_updates" -gt 0 ]; then
  echo "== shell pipeline: $shell_updates updates over $apps apps, 8 jobs"
  bench/shell-pipeline.sh "$shell_updates" "$apps" 8
fi
