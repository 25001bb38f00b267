#!/usr/bin/env bash
# Preview benchmark: pull-request-opened webhook -> preview commit pushed, first on an app with no previews, then
# with 2,000 live previews already in the GitOps repository. Cost must grow with the change, not the repository.
# usage: bench/previews.sh [PREVIEWS=2000] [SAMPLES=30]
set -euo pipefail
cd "$(dirname "$0")/.."
previews=${1:-2000}
samples=${2:-30}
. bench/service.sh

# app-1: a copy of the demo app with pull-request previews and room for them all.
mkdir -p "$work/clone/apps/app-1"
cp -r "$work/clone/apps/demo/base" "$work/clone/apps/demo/components" "$work/clone/apps/app-1/"
printf 'source: {repository: github.com/bench/app-1}\nimage: {repository: registry.example.org/bench/app-1}\nenvironments: {}\npreviews: {pullRequests: true, max: 100000}\n' \
  >"$work/clone/apps/app-1/app.yaml"
git -C "$work/clone" add -A
git -C "$work/clone" -c user.name=bench -c user.email=bench@example.org commit -qm "Register app-1"
git -C "$work/clone" push -q origin HEAD:main
sleep 3

run() { java -cp "$cp" bench/PushLoad.java "http://127.0.0.1:$port" $secret "$bootstrap" 1 "$samples" 1 pull_request "$1"; }
echo "== $samples previews opened one at a time on an app with none"
run 1

# Fill the repository with live previews, as if that many pull requests were open: copies of one the service made.
git -C "$work/clone" pull -q origin main
template="$work/clone/apps/app-1/previews/pr-1/kustomization.yaml"
for i in $(seq 100001 $((100000 + previews))); do
  mkdir -p "$work/clone/apps/app-1/previews/pr-$i"
  sed -e "s/pr-1\b/pr-$i/g" "$template" >"$work/clone/apps/app-1/previews/pr-$i/kustomization.yaml"
done
git -C "$work/clone" add -A
git -C "$work/clone" -c user.name=bench -c user.email=bench@example.org commit -qm "$previews more previews"
git -C "$work/clone" push -q origin HEAD:main
echo "== live previews now: $(git --git-dir="$work/data/gitops.git" ls-tree --name-only main:apps/app-1/previews | wc -l)"
sleep 2
echo "== $samples previews opened one at a time on an app with $previews live ones"
run 1001
