#!/usr/bin/env bash
# Starts gitops-relay with its embedded defaults (embedded Kafka, a local GitOps repository in ./data,
# notifications to the log), sends one signed push for the demo app, and shows the GitOps commit it became.
# The service keeps running afterwards: send more with scripts/send-push.sh; stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")"
export RELAY_WEBHOOK_GITHUB_SECRET=${RELAY_WEBHOOK_GITHUB_SECRET:-demo-secret}
export RELAY_API_TOKEN=${RELAY_API_TOKEN:-demo-token}
# The packaged service logs JSON lines for a cluster's log pipeline; the demo's log is read by a person.
export QUARKUS_LOG_CONSOLE_JSON_ENABLED=${QUARKUS_LOG_CONSOLE_JSON_ENABLED:-false}
port=${QUARKUS_HTTP_PORT:-8080}
export RELAY_URL="http://127.0.0.1:$port"
jar=target/quarkus-app/quarkus-run.jar
if [ ! -f "$jar" ] || [ -n "$(find src kustomize-base pom.xml -newer "$jar" -type f 2>/dev/null | head -1)" ]; then
  echo "== Building (first time: a few minutes to download dependencies)"
  ./mvnw -B -q package -DskipTests
fi
echo "== Starting gitops-relay on port $port (log: data/relay.log)"
mkdir -p data
java -jar "$jar" >data/relay.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 60); do
  curl -fs "$RELAY_URL/q/health/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { echo "gitops-relay exited; see data/relay.log"; tail -20 data/relay.log; exit 1; }
  sleep 1
done
sha=$(head -c 32 /dev/urandom | sha1sum | cut -c1-40)
echo "== A signed GitHub push of commit $sha to main of github.com/example/demo:"
scripts/send-push.sh refs/heads/main "$sha"
for _ in $(seq 1 50); do
  git --git-dir=data/gitops.git log -1 --format=%B 2>/dev/null | grep -q "$sha" && break
  sleep 0.2
done
echo "== The GitOps repository data/gitops.git now holds:"
git --git-dir=data/gitops.git log -1 --stat
git --git-dir=data/gitops.git show HEAD -- apps/demo/envs/staging/kustomization.yaml | grep -E '^[+-] ' || true
echo
echo "== gitops-relay keeps running on $RELAY_URL (Ctrl-C stops it). Try:"
echo "   scripts/send-push.sh refs/tags/v1.0.0     # deploys production"
echo "   scripts/send-pull-request.sh opened 7     # opens a preview for pull request 7 (closed: removes it)"
echo "   curl -H 'Authorization: Bearer $RELAY_API_TOKEN' $RELAY_URL/api/previews"
echo "   git --git-dir=data/gitops.git log --oneline"
wait $pid
