#!/usr/bin/env bash
# Sends a signed GitHub push webhook for the demo app, as github.com would.
# usage: scripts/send-push.sh [REF] [SHA]   (env: RELAY_URL, RELAY_WEBHOOK_GITHUB_SECRET)
#   REF defaults to refs/heads/main (deploys staging); refs/tags/v1.0.0 deploys production.
set -euo pipefail
ref=${1:-refs/heads/main}
sha=${2:-$(head -c 32 /dev/urandom | sha1sum | cut -c1-40)}
now=$(date +%s)
body=$(cat <<JSON
{"ref":"$ref","before":"0000000000000000000000000000000000000001","after":"$sha","created":false,"deleted":false,
 "forced":false,"commits":[{"id":"$sha","message":"demo change","timestamp":"$(date -u +%FT%TZ)",
 "author":{"name":"Demo Person","email":"demo@example.org"}}],
 "head_commit":{"id":"$sha","message":"demo change","timestamp":"$(date -u +%FT%TZ)",
 "author":{"name":"Demo Person","email":"demo@example.org"}},
 "repository":{"name":"demo","full_name":"example/demo","html_url":"https://github.com/example/demo",
 "clone_url":"https://github.com/example/demo.git","default_branch":"main","pushed_at":$now},
 "pusher":{"name":"demo-person","email":"demo@example.org"},"sender":{"login":"demo-person"}}
JSON
)
"$(dirname "$0")/sign-and-send.sh" push "$body"
