#!/usr/bin/env bash
# Install the Debian packages the tests use when they are missing (root, Debian's registry only).
set -euo pipefail
need=()
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
# Browser tests (tests/e2e) launch the real Chromium binary, not the /usr/bin wrapper.
[ -x /usr/lib/chromium/chromium ] || need+=(chromium fonts-liberation fonts-noto-core)
[ ${#need[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${need[*]}"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
