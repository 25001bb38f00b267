#!/usr/bin/env bash
# Signs BODY as GitHub does (HMAC-SHA256 with the webhook secret) and posts it as a delivery of EVENT.
# usage: scripts/sign-and-send.sh EVENT BODY   (env: RELAY_URL, RELAY_WEBHOOK_GITHUB_SECRET)
set -euo pipefail
event=$1
body=$2
url=${RELAY_URL:-http://127.0.0.1:8080}
secret=${RELAY_WEBHOOK_GITHUB_SECRET:-demo-secret}
sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$secret" -r | cut -d' ' -f1)
curl -sS -X POST "$url/webhooks/github" \
  -H 'Content-Type: application/json' -H "X-GitHub-Event: $event" \
  -H "X-GitHub-Delivery: $(cat /proc/sys/kernel/random/uuid)" \
  -H "X-Hub-Signature-256: sha256=$sig" \
  --data-binary "$body" -w '  (HTTP %{http_code})\n'
