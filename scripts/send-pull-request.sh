#!/usr/bin/env bash
# Sends a signed GitHub pull_request webhook for the demo app, as github.com would.
# usage: scripts/send-pull-request.sh [ACTION=opened] [NUMBER=7] [SHA]   (env: RELAY_URL, RELAY_WEBHOOK_GITHUB_SECRET)
#   ACTION: opened, reopened, synchronize (new commits) or closed.
set -euo pipefail
action=${1:-opened}
number=${2:-7}
sha=${3:-$(head -c 32 /dev/urandom | sha1sum | cut -c1-40)}
merged=false
[ "$action" = closed ] && merged=true
body=$(cat <<JSON
{"action":"$action","number":$number,
 "pull_request":{"number":$number,"title":"Demo change $number","user":{"login":"demo-person"},"merged":$merged,
  "html_url":"https://github.com/example/demo/pull/$number","updated_at":"$(date -u +%FT%TZ)",
  "head":{"ref":"feature/demo-$number","sha":"$sha","repo":{"full_name":"example/demo"}},
  "base":{"ref":"main","sha":"$sha","repo":{"full_name":"example/demo"}}},
 "repository":{"name":"demo","full_name":"example/demo","html_url":"https://github.com/example/demo"},
 "sender":{"login":"demo-person"}}
JSON
)
"$(dirname "$0")/sign-and-send.sh" pull_request "$body"
