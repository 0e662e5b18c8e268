#!/usr/bin/env bash
# Make sure headless Chromium is at /usr/bin/chromium (the drift report and portal tests
# open pages in it). Installs the Debian package with apt-get when missing; needs root, as
# in CI. Without root it says so and the browser tests skip.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ensure-chromium: /usr/bin/chromium missing and cannot apt-get install it (not root or no apt); browser tests will be skipped" >&2
  exit 0
fi
echo "ensure-chromium: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
/usr/bin/chromium --version >&2
