#!/usr/bin/env bash
# Headless Chromium for the release report's browser test (suites/integration/report): the
# report must open with no console errors and its verdict visible. Idempotent: does nothing when
# `chromium` is already on PATH. Debian's package; needs root (or sudo) and the Debian mirror.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
$SUDO apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
