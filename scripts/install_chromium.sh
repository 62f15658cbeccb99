#!/usr/bin/env bash
# Install what the browser tests (tests/e2e, `pytest -m e2e`) need, without make:
# Debian's Chromium at /usr/bin/chromium (Playwright's own browser download is never used)
# and a CJK font so that Chinese pages render as text in screenshots.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qiE "wenquanyi|noto sans cjk|source han" || missing+=(fonts-wqy-microhei)

if [ ${#missing[@]} -eq 0 ]; then
  echo "Chromium and a CJK font are already installed."
  exit 0
fi
echo "Installing: ${missing[*]}"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}"
/usr/bin/chromium --version
