#!/usr/bin/env bash
# The baseline the relay must beat: the CI shell pipeline many teams run per image update — clone the GitOps
# repository, set the image tag in the overlay, render it (the check a pipeline makes before it commits), commit,
# push (pulling and pushing again when another job pushed first). Run on a local bare repository holding APPS copies
# of kustomize-base, by WORKERS jobs at once, UPDATES updates in all, round-robin over the apps.
# Prints updates/s and the p50/p99 of one update, clone to pushed; record them in bench/RESULTS.md.
# usage: bench/shell-pipeline.sh [UPDATES=200] [APPS=50] [WORKERS=8]
set -euo pipefail
cd "$(dirname "$0")/.."
updates=${1:-200}
apps=${2:-50}
workers=${3:-8}
work=$(mktemp -d /tmp/shell-pipeline.XXXXXX)
trap 'echo "scratch: $work"' EXIT
render() { if command -v kustomize >/dev/null; then kustomize build "$1"; else kubectl kustomize "$1"; fi; }
export -f render

git init -q --bare -b main "$work/gitops.git"
git clone -q "$work/gitops.git" "$work/seed" 2>/dev/null
for i in $(seq 1 "$apps"); do
  mkdir -p "$work/seed/apps/app-$i/envs"
  cp -r kustomize-base/base "$work/seed/apps/app-$i/base"
  cp -r kustomize-base/envs/staging "$work/seed/apps/app-$i/envs/staging"
done
git -C "$work/seed" add -A
git -C "$work/seed" -c user.name=bench -c user.email=bench@example.org commit -qm "Seed $apps apps"
git -C "$work/seed" push -q origin HEAD:main

# One update: everything a CI job does, from a fresh clone to a pushed commit, starting again from the new tip when
# another job pushed first. Prints "ok" or "failed" (not pushed after 20 tries, or the render failed: a CI job
# that fails) and its duration in ms.
update() {
  local n=$1 apps=$2 work=$3
  local app=$(( (n - 1) % apps + 1 )) dir="$work/job-$n" started tag outcome=failed
  local overlay="apps/app-$app/envs/staging"
  started=$(date +%s%N)
  tag=$(printf 'c0ffee%034x' "$n")
  git clone -q --depth 1 "file://$work/gitops.git" "$dir"
  # Beaten by another job: start again from what it pushed (a rebase of the same line would conflict).
  for attempt in $(seq 1 20); do
    if [ "$attempt" -gt 1 ]; then
      git -C "$dir" fetch -q --depth 1 origin main && git -C "$dir" reset -q --hard FETCH_HEAD
    fi
    sed -i "s/^    newTag: .*/    newTag: $tag/" "$dir/$overlay/kustomization.yaml"
    render "$dir/$overlay" >/dev/null || break
    git -C "$dir" -c user.name=ci -c user.email=ci@example.org commit -qam "Deploy app-$app: $tag"
    if git -C "$dir" push -q origin HEAD:main 2>/dev/null; then
      outcome=ok
      break
    fi
  done
  rm -rf "$dir"
  echo "$outcome $(( ($(date +%s%N) - started) / 1000000 ))"
}
export -f update

echo "== machine: $(nproc) cores, $(git --version), $(kubectl version --client 2>/dev/null | head -1)"
echo "== shell pipeline: $updates updates over $apps apps, $workers jobs at once"
started=$(date +%s%N)
seq 1 "$updates" | xargs -P "$workers" -I{} bash -c 'update {} '"$apps $work" >"$work/durations.txt"
took=$(( ($(date +%s%N) - started) / 1000000 ))
pushed=$(git -C "$work/gitops.git" rev-list --count main)
sort -k2 -n "$work/durations.txt" | awk -v total="$took" -v updates="$updates" -v commits="$((pushed - 1))" '
  $1 == "ok" { d[++n] = $2 } $1 == "failed" { failed++ }
  END {
    printf "updates: %d, pushed: %d, failed (20 pushes beaten): %d, commits: %d, wall: %d ms, pushed/s: %.1f\n",
      updates, n, failed, commits, total, n * 1000 / total
    printf "one update, clone to pushed: p50 %d ms, p99 %d ms\n", d[int(n * 0.5) + 1], d[int(n * 0.99) + 1]
  }'
