// Prints one closing line for the whole suite from the Vitest and Playwright JSON reports.
import fs from 'node:fs';

let passed = 0, failed = 0, skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) { failed++; continue; }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (r.numTotalTests !== undefined) { // Vitest
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } else if (r.stats) { // Playwright
    passed += r.stats.expected; failed += r.stats.unexpected + (r.stats.flaky ?? 0); skipped += r.stats.skipped;
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
