/**
 * The simulated jump clients of `bench -- broker`, in their own process so
 * the server's figures are the server's alone. Each is the real JumpLink
 * (agent/src/jump/link.ts: heartbeats, backoff, retry-after); offered a
 * session, it answers the prompt with "allow" at once over REST, as a user
 * clicking Allow would make the real client do.
 *
 *   tsx bench/broker-clients.ts SERVER_URL CREDENTIALS_FILE RAMP_PER_SECOND DEADLINE_MS
 *
 * Prints one JSON line every 200 ms: {"online": n, "connects": total}. Stops
 * when stdin closes (the bench ended) or at the deadline, whichever is first.
 */
import fs from 'node:fs';
import { JumpLink } from '../agent/src/jump/link.js';

const [urlArg, credentialsFile, rampText, deadlineText] = process.argv.slice(2);
if (!urlArg || !credentialsFile) {
  process.stderr.write('usage: broker-clients.ts SERVER_URL CREDENTIALS_FILE RAMP_PER_SECOND DEADLINE_MS\n');
  process.exit(2);
}
const url: string = urlArg;
const credentials = fs.readFileSync(credentialsFile, 'utf8').split('\n').filter(Boolean);
const ramp = Number(rampText ?? 500);
const INFO = { hostname: 'bench', user: 'bench', os: 'Simulated', elevated: false };

let online = 0;
let connects = 0;
const links: JumpLink[] = [];

function start(credential: string): void {
  let up = false;
  const link = new JumpLink({
    url: `${url.replace(/^http/, 'ws')}/ws`,
    hello: () => ({ type: 'hello', role: 'jump', credential, info: INFO, heartbeatSeconds: 30 }),
    heartbeatSeconds: 30,
    onSession: (offer) => {
      void fetch(`${url}/api/jump/report`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify({ kind: 'prompt', requestId: offer.requestId, answer: 'allow', timedOut: false }),
      }).catch(() => undefined);
    },
    onStop: (stop) => process.stderr.write(`a simulated client stopped: ${JSON.stringify(stop)}\n`),
    onState: (state) => {
      if (state === 'online' && !up) {
        up = true;
        online++;
        connects++;
      } else if (state !== 'online' && up) {
        up = false;
        online--;
      }
    },
    log: () => undefined,
  });
  links.push(link);
  link.start();
}

// Ramp up: `ramp` new clients a second, in 10 ms steps.
let next = 0;
const perStep = Math.max(1, Math.round(ramp / 100));
const rampTimer = setInterval(() => {
  for (let i = 0; i < perStep && next < credentials.length; i++) start(credentials[next++]!);
  if (next >= credentials.length) clearInterval(rampTimer);
}, 10);

const report = setInterval(() => process.stdout.write(`${JSON.stringify({ online, connects, started: next })}\n`), 200);

function stop(): void {
  clearInterval(rampTimer);
  clearInterval(report);
  for (const l of links) l.stop();
  setTimeout(() => process.exit(0), 200).unref();
}
process.stdin.on('end', stop);
process.stdin.resume();
setTimeout(stop, Number(deadlineText ?? 600_000)).unref();
