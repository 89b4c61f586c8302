/**
 * `npm run bench -- <name>`: runs one benchmark and prints one JSON object.
 * Benchmarks print figures; they never pass or fail on a number.
 */
const BENCHES: Record<string, () => Promise<object>> = {
  session: async () => (await import('./session.js')).benchSession(),
  screen: async () => (await import('./screen.js')).benchScreen(),
  files: async () => (await import('./files.js')).benchFiles(),
  broker: async () => (await import('./broker.js')).benchBroker(),
};

const name = process.argv[2];
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}>\n`);
  process.exit(2);
}
const result = await bench();
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
