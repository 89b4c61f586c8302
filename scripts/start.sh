#!/usr/bin/env bash
# Runs Lifeline: installs what is missing, builds the console, then starts the
# support server, the console and (where a display exists) a demo agent.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if [ ! -f dist/renderer/index.html ] || [ -n "$(find renderer shared -newer dist/renderer/index.html -type f -print -quit)" ]; then
  echo "Building the console…"
  npx vite build --config renderer/vite.config.ts --logLevel warn
fi
exec node_modules/.bin/tsx scripts/start.ts "$@"
