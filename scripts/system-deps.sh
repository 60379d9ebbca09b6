#!/usr/bin/env bash
# Install the Debian packages the tests use when they are missing (root, Debian's registry only).
set -euo pipefail
need=()
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
# The injection test (tests/test_sqlmap.py) runs sqlmap against a live server.
command -v sqlmap >/dev/null || need+=(sqlmap)
# The deployment test (tests/test_deploy_nginx.py) runs the shipped nginx configs.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
# Browser tests (tests/e2e) launch the real Chromium binary, not the /usr/bin wrapper.
[ -x /usr/lib/chromium/chromium ] || need+=(chromium fonts-liberation fonts-noto-core)
[ ${#need[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${need[*]}"
apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null
