import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInjector, detectCapabilities, parseAnomaly, readAnomalyCounters } from '../src/index.js';
import { createTempDir, createVethPair, hasCommand, isRoot, skipReason } from './helpers.js';

const hasIp = await hasCommand('ip', ['-V']);
const hasNft = await hasCommand('nft', ['--version']);
const hasTc = await hasCommand('tc', ['-V']);
const skipAll = skipReason(!isRoot || !hasIp, 'network effect tests need root and iproute2 (network namespaces)');

/** Counts UDP datagrams until SIGTERM, then prints the count. */
const UDP_RECEIVER = `
const [host, port] = process.argv.slice(1);
const socket = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
let count = 0;
socket.on('message', () => count++);
socket.bind(Number(port), host, () => console.log('ready'));
process.on('SIGTERM', () => { console.log(count); process.exit(0); });`;

/** Sends `n` datagrams in paced batches (so that no socket buffer overflows), then exits. */
const UDP_SENDER = `
const [host, port, n] = process.argv.slice(1);
const socket = require('node:dgram').createSocket('udp4');
let sent = 0;
const batch = () => {
  for (let i = 0; i < 50 && sent < Number(n); i++, sent++) socket.send(Buffer.alloc(64, 1), Number(port), host);
  if (sent < Number(n)) setTimeout(batch, 2); else setTimeout(() => socket.close(), 100);
};
batch();`;

/** Accepts one TCP connection and prints the bytes it got and the seconds between first and last byte. */
const TCP_RECEIVER = `
const [host, port] = process.argv.slice(1);
const server = require('node:net').createServer((c) => {
  let bytes = 0, first = 0, last = 0;
  c.on('data', (d) => { const now = performance.now(); if (!first) first = now; last = now; bytes += d.length; });
  c.on('end', () => { console.log(JSON.stringify({ bytes, seconds: (last - first) / 1000 })); server.close(); });
});
server.listen(Number(port), host, () => console.log('ready'));`;

const TCP_SENDER = `
const [host, port, total] = process.argv.slice(1);
const c = require('node:net').connect(Number(port), host, () => {
  const chunk = Buffer.alloc(64 * 1024, 7); let sent = 0;
  const pump = () => { while (sent < Number(total)) { sent += chunk.length; if (!c.write(chunk)) return c.once('drain', pump); } c.end(); };
  pump();
});`;

function inNamespace(namespace: string, script: string, args: string[]) {
  return execa('ip', ['netns', 'exec', namespace, process.execPath, '-e', script, ...args], { reject: false });
}

async function waitReady(child: ReturnType<typeof inNamespace>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    void child.then((r) => reject(new Error(`receiver exited: ${r.stderr}`)));
  });
}

async function measureUdpLoss(pair: Awaited<ReturnType<typeof createVethPair>>, datagrams: number): Promise<number> {
  const receiver = inNamespace(pair.b, UDP_RECEIVER, [pair.ipB, '9000']);
  await waitReady(receiver);
  const sender = await inNamespace(pair.a, UDP_SENDER, [pair.ipB, '9000', String(datagrams)]);
  expect(sender.exitCode, sender.stderr).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 150));
  receiver.kill('SIGTERM');
  const { stdout } = await receiver;
  const received = Number(stdout.trim().split('\n').pop());
  return 1 - received / datagrams;
}

describe.skipIf(skipAll)('network anomalies between two namespaces (measured on real sockets)', () => {
  let pair: Awaited<ReturnType<typeof createVethPair>>;
  let dir: Awaited<ReturnType<typeof createTempDir>>;
  beforeAll(async () => {
    pair = await createVethPair();
    dir = await createTempDir();
  });
  afterAll(async () => {
    await pair?.dispose();
    await dir?.dispose();
  });

  it.skipIf(skipReason(!hasNft, 'nft (nftables) is not installed: apt-get install nftables'))(
    'loss_30 drops close to 30% of UDP datagrams in the receiving namespace, and revert deletes the nft table',
    async () => {
      const injector = createInjector({ ledgerPath: join(dir.path, 'ledger.jsonl') });
      const baseline = await measureUdpLoss(pair, 1000);
      const handle = await injector.apply(`netns:${pair.b}`, parseAnomaly('loss_30'));
      expect(handle.effect).toMatchObject({ mechanisms: ['nft-loss'] });
      const lossy = await measureUdpLoss(pair, 4000);
      const dropped = (await readAnomalyCounters(handle.target, { effect: handle.effect })).drops?.packets ?? 0;
      console.log(
        `[injector evidence] loss_30 via nft: ${dropped} of 4000 UDP datagrams dropped by the rule (${((dropped / 4000) * 100).toFixed(1)}%); receiver saw ${(lossy * 100).toFixed(1)}% lost (baseline ${(baseline * 100).toFixed(1)}%)`,
      );
      // The rule's own counter, not what a receiver on a loaded host managed to read: 30% ± 5.5 binomial sd.
      expect(Math.abs(dropped / 4000 - 0.3)).toBeLessThan(0.04);
      // A receiver can only miss more datagrams than the rule dropped, never fewer.
      expect(lossy).toBeGreaterThanOrEqual(dropped / 4000 - 0.001);
      await handle.release();
      const tables = await execa('ip', ['netns', 'exec', pair.b, 'nft', 'list', 'tables']);
      expect(tables.stdout).not.toContain('proteus_');
    },
  );

  it.skipIf(skipReason(!hasTc, 'tc (iproute2) is not installed'))(
    'a tbf rate of 8 Mbit/s bounds measured TCP throughput, and revert restores the default qdisc',
    async () => {
      const caps = await detectCapabilities(`netns:${pair.a}`);
      if (skipReason(!caps.backends.tcTbf.available, `tbf unavailable: ${caps.backends.tcTbf.reason}`)) return;
      await using injector = createInjector({ ledgerPath: join(dir.path, 'ledger.jsonl') });
      const total = 1_500_000;
      {
        await using handle = await injector.apply(`netns:${pair.a}`, { kind: 'network', rateMbit: 8 });
        expect(handle.effect).toMatchObject({ mechanisms: ['tbf'] });
        const receiver = inNamespace(pair.b, TCP_RECEIVER, [pair.ipB, '9001']);
        await waitReady(receiver);
        const sender = await inNamespace(pair.a, TCP_SENDER, [pair.ipB, '9001', String(total)]);
        expect(sender.exitCode, sender.stderr).toBe(0);
        const { bytes, seconds } = JSON.parse((await receiver).stdout.trim().split('\n').pop()!) as {
          bytes: number;
          seconds: number;
        };
        const mbit = (bytes * 8) / seconds / 1e6;
        console.log(
          `[injector evidence] tbf 8 Mbit/s: ${mbit.toFixed(2)} Mbit/s measured over ${bytes} bytes in ${seconds.toFixed(2)} s`,
        );
        // A ceiling that host load can only lower further; the kernel's own tbf counters show the shaper held
        // the transfer back (overlimits) instead of a lower bound on throughput, which a loaded host breaks.
        expect(mbit).toBeLessThan(8 * 1.1);
        const stats = (await execa('ip', ['netns', 'exec', pair.a, 'tc', '-s', 'qdisc', 'show'])).stdout;
        const tbf = stats.slice(stats.indexOf('qdisc tbf'));
        const sent = Number(/Sent (\d+) bytes/.exec(tbf)?.[1]);
        const overlimits = Number(/overlimits (\d+)/.exec(tbf)?.[1]);
        console.log(`[injector evidence] tbf 8 Mbit/s: qdisc sent ${sent} bytes, ${overlimits} overlimits`);
        expect(sent).toBeGreaterThanOrEqual(total);
        expect(overlimits).toBeGreaterThan(0);
      }
      const qdisc = await execa('ip', ['netns', 'exec', pair.a, 'tc', 'qdisc', 'show']);
      expect(qdisc.stdout).not.toContain('tbf');
    },
  );
});
