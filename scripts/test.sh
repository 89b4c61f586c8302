#!/usr/bin/env bash
# The whole test suite: installs what it needs, then lint, typecheck, unit
# tests, the renderer build, and the end-to-end tests on a real X display in
# Debian's Chromium. Ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --for-tests

mkdir -p test-results
echo "== lint";      npx eslint .
echo "== typecheck"; npx tsc -b
echo "== unit";      npx vitest run --reporter=default --reporter=json --outputFile=test-results/unit.json
echo "== build";     npx vite build --config renderer/vite.config.ts --logLevel warn
echo "== e2e"
status=0
PLAYWRIGHT_JSON_OUTPUT_NAME="$PWD/test-results/e2e.json" npx playwright test -c e2e/playwright.config.ts --reporter=list,json || status=$?
node scripts/summarize-tests.mjs test-results/unit.json test-results/e2e.json
exit $status
