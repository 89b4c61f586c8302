// Prints each skipped test with its reason, then one closing line for the
// whole suite, from the Vitest and Playwright JSON reports.
import fs from 'node:fs';
import path from 'node:path';

let passed = 0, failed = 0;
const skipped = [];
for (const file of process.argv.slice(2)) {
  if (!fs.existsSync(file)) { failed++; continue; }
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (r.numTotalTests !== undefined) { // Vitest keeps no reason for a skip: a conditional test names its condition in its title
    passed += r.numPassedTests; failed += r.numFailedTests;
    for (const suite of r.testResults) {
      for (const t of suite.assertionResults) {
        if (['skipped', 'pending', 'todo'].includes(t.status)) skipped.push({ title: `${path.relative(process.cwd(), suite.name)} › ${t.fullName}`, reason: t.status === 'todo' ? 'to do' : null });
      }
    }
  } else if (r.stats) { // Playwright
    passed += r.stats.expected; failed += r.stats.unexpected + (r.stats.flaky ?? 0);
    collectPlaywrightSkips(r.suites ?? [], []);
  }
}
for (const { title, reason } of skipped) console.log(`skipped: ${title}${reason ? `: ${reason}` : ''}`);
console.log(`${passed} passed, ${failed} failed${skipped.length ? `, ${skipped.length} skipped` : ''}`);

/** Skipped Playwright tests, titled file › describe › test, with the reason given to test.skip or test.fixme. */
function collectPlaywrightSkips(suites, titles) {
  for (const suite of suites) {
    const trail = [...titles, suite.title];
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        if (t.status !== 'skipped') continue;
        const notes = [...(t.annotations ?? []), ...(t.results ?? []).flatMap((res) => res.annotations ?? [])];
        const reason = notes.find((a) => (a.type === 'skip' || a.type === 'fixme') && a.description)?.description ?? null;
        skipped.push({ title: [...trail, spec.title].join(' › '), reason });
      }
    }
    collectPlaywrightSkips(suite.suites ?? [], trail);
  }
}
