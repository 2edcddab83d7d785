#!/usr/bin/env node
// Startup of the built `proteus` binary: wall time of `proteus --help`, `proteus --version` and a bare `node` (the
// floor every command pays), each a fresh process, median of RUNS (target: --help < 300 ms). The machine is shared, so
// the load average goes to stderr beside the numbers. Prints JSON lines { name, unit, value } (see scripts/bench.mjs).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNS = 7;
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'bin.js');

function medianMs(args) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const started = process.hrtime.bigint();
    const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (result.status !== 0) throw new Error(`startup.bench: node ${args.join(' ')} exited with ${result.status}`);
  }
  samples.sort((a, b) => a - b);
  return Math.round(samples[Math.floor(RUNS / 2)] ?? Number.NaN);
}

const print = (name, unit, value) => process.stdout.write(`${JSON.stringify({ name, unit, value })}\n`);
const before = loadavg()[0];
print('cli/startup proteus --help (median)', 'ms', medianMs([bin, '--help']));
print('cli/startup proteus --version (median)', 'ms', medianMs([bin, '--version']));
print('cli/startup node -e "" (median, the floor)', 'ms', medianMs(['-e', '']));
process.stderr.write(`startup.bench: load average ${before.toFixed(1)} -> ${loadavg()[0].toFixed(1)}\n`);
