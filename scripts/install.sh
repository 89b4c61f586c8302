#!/usr/bin/env bash
# Installs what Lifeline needs: Debian packages (when run as root) and npm
# packages (once, and again when package-lock.json changes).
#   --for-tests   also the packages the test suite needs; fail if they are missing
set -euo pipefail
cd "$(dirname "$0")/.."

wanted=("xterm:xterm" "xsetroot:x11-xserver-utils")
if [ "${1:-}" = "--for-tests" ]; then
  wanted+=("Xvfb:xvfb" "chromium:chromium" "xdotool:xdotool" "xwininfo:x11-utils" "xclip:xclip" "openssl:openssl" "setxkbmap:x11-xkb-utils")
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

# Electron's binary comes from outside the npm registry, so npm ci never
# fetches it (a failed download would fail the whole install); Electron's own
# install script then tries, for at most LIFELINE_ELECTRON_TIMEOUT seconds
# (120). Where that fails the console opens in a browser instead, one line says
# so, and the download is tried again a day later, not at every start.
fetch_electron() {
  local dir=$1 tried=node_modules/.lifeline-electron-failed
  if [ -f "$dir/path.txt" ] && [ -e "$dir/dist/$(cat "$dir/path.txt")" ]; then return 0; fi
  if [ -f "$tried" ] && [ -z "$(find "$tried" -mmin +1440)" ]; then return 0; fi
  echo "Downloading Electron's binary for the desktop console…"
  local limit=()
  if command -v timeout >/dev/null 2>&1; then limit=(timeout "${LIFELINE_ELECTRON_TIMEOUT:-120}"); fi
  if ${limit[@]+"${limit[@]}"} node "$dir/install.js" >/dev/null 2>&1; then
    rm -f "$tried"
  else
    touch "$tried"
    echo "Electron's binary could not be downloaded here, so the console will open in your browser (to retry now: node $dir/install.js)."
  fi
}

stamp=node_modules/.lifeline-installed
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  echo "Installing npm packages…"
  ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm ci --no-fund --no-audit --loglevel=error
  touch "$stamp"
fi
fetch_electron node_modules/electron
