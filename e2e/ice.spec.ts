/**
 * ICE servers come from the server's configuration and reach both ends of the
 * peer connection: the technician's renderer (welcome → console core →
 * config:get → simple-peer) and the agent (its own welcome). A real STUN
 * server on loopback answers binding requests, and the test tells whose
 * socket each request came from.
 */
import dgram from 'node:dgram';
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { startAttendedSession, type AttendedSession } from './console.js';
import { startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';

const MAGIC_COOKIE = 0x2112a442;

/** A STUN server (RFC 5389 binding only) that records the source port of every binding request it answers. */
function startStunServer(): Promise<{ port: number; sourcePorts: Set<number>; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const sourcePorts = new Set<number>();
  socket.on('message', (msg, from) => {
    if (msg.length < 20 || msg.readUInt16BE(0) !== 0x0001 || msg.readUInt32BE(4) !== MAGIC_COOKIE) return;
    sourcePorts.add(from.port);
    const res = Buffer.alloc(32);
    res.writeUInt16BE(0x0101, 0); // binding success
    res.writeUInt16BE(12, 2);
    msg.copy(res, 4, 4, 20); // magic cookie and transaction id
    res.writeUInt16BE(0x0020, 20); // XOR-MAPPED-ADDRESS
    res.writeUInt16BE(8, 22);
    res.writeUInt16BE(0x0001, 24); // IPv4
    res.writeUInt16BE(from.port ^ (MAGIC_COOKIE >>> 16), 26);
    from.address.split('.').forEach((octet, i) => res.writeUInt8(Number(octet) ^ ((MAGIC_COOKIE >>> (24 - 8 * i)) & 0xff), 28 + i));
    socket.send(res, from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, '127.0.0.1', () => resolve({
    port: socket.address().port, sourcePorts, close: () => socket.close(),
  })));
}

/** The local UDP ports of the sockets a process holds open (from /proc: its fds' socket inodes matched in /proc/net/udp*). */
function udpPortsOf(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m) inodes.add(m[1]!);
  }
  const ports = new Set<number>();
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

let x: XDisplay;
let xterm: Proc;
let stun: Awaited<ReturnType<typeof startStunServer>>;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;

test.beforeAll(async () => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  stun = await startStunServer();
  server = await startServer(['--ice', JSON.stringify([{ urls: `stun:127.0.0.1:${stun.port}` }])]);
  web = await startWebConsole(server.url);
});

test.afterAll(async () => {
  await session?.close();
  await web?.proc.stop();
  await server?.stop();
  stun?.close();
  await xterm?.stop();
  await x?.stop();
});

test('the ICE servers set on the support server are used by both the console and the agent', async ({ browser }) => {
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'Ice User', control: false });
  const agentPid = session.agent.child.pid!;
  let fromAgent = 0;
  let fromConsole = 0;
  await waitFor('binding requests from the agent and from the console', () => {
    const agentPorts = udpPortsOf(agentPid);
    fromAgent = [...stun.sourcePorts].filter((p) => agentPorts.has(p)).length;
    fromConsole = stun.sourcePorts.size - fromAgent;
    return fromAgent > 0 && fromConsole > 0;
  }, 20_000).catch((e: Error) => {
    throw new Error(`${e.message}: ${fromAgent} from the agent's sockets, ${fromConsole} from others`);
  });
  await expect(session.tech.getByTestId('peer-status')).toHaveText('connected');
});
