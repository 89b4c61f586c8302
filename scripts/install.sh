#!/usr/bin/env bash
# Installs what Lifeline needs: Debian packages (when run as root) and npm
# packages (once, and again when package-lock.json changes).
#   --for-tests   also the packages the test suite needs; fail if they are missing
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=("xterm:xterm" "xsetroot:x11-xserver-utils")
if [ "${1:-}" = "--for-tests" ]; then
  wanted+=("Xvfb:xvfb" "chromium:chromium" "xdotool:xdotool" "xwininfo:x11-utils" "xclip:xclip")
fi
missing=()
for pair in "${wanted[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  elif [ "${1:-}" = "--for-tests" ]; then
    echo "The tests need these Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  else
    echo "Optional Debian packages missing (the demo agent needs them): ${missing[*]}. Install with: sudo apt-get install -y ${missing[*]}" >&2
  fi
fi

stamp=node_modules/.lifeline-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  # Electron's binary is downloaded from outside the npm registry. Where that
  # host is unreachable, install without it: the console then opens in a browser.
  if ! node -e "require('dns').lookup('github.com', (e) => process.exit(e ? 1 : 0))" 2>/dev/null; then
    export ELECTRON_SKIP_BINARY_DOWNLOAD=1
  fi
  echo "Installing npm packages…"
  npm ci --no-fund --no-audit --loglevel=error
  touch "$stamp"
fi
