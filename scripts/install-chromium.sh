#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests, once. Playwright drives it through
# executable_path; `playwright install` cannot download browsers here.
set -euo pipefail
CHROMIUM="${FOOTFALL_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Chromium is not at $CHROMIUM and installing it needs root:" >&2
  echo "  sudo apt-get install -y chromium    (or set FOOTFALL_CHROMIUM to a Chromium binary)" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests ..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
"$CHROMIUM" --version
