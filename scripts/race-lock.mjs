#!/usr/bin/env node
// Lock race of a campaign folder (issue 13, item 3): N pairs of `proteus experiment run --out D`, the second with
// `--resume`, started at the same moment on the same folder. Exactly one of each pair may run the campaign; the other
// must exit non-zero with PROTEUS_CONTROLLER_LOCKED naming the winner's pid. Prints one JSON line per pair (exit codes,
// the loser's wall time) and a summary with the load average (wall times on a loaded machine mean little).
// Usage: npm run build && node scripts/race-lock.mjs [--pairs 20] [--cli <proteus.js>]
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '20' },
    cli: { type: 'string', default: join(repoRoot, 'packages/cli/bin/proteus.js') },
  },
});

const work = await mkdtemp(join(tmpdir(), 'proteus-race-lock-'));
const example = join(repoRoot, 'examples/workflows/1000genome-like');
const workflow = join(work, 'workflow', 'workflow.yml');
execFileSync(process.execPath, [join(example, 'generate.mjs'), '--scale', 'small', '--out', workflow]);
copyFileSync(join(example, 'populations.txt'), join(work, 'workflow', 'populations.txt'));
const config = join(work, 'campaign.json');
writeFileSync(
  config,
  JSON.stringify({
    infrastructure: { workers: [{ name: 'w1', cores: 1, memory_mb: 256 }] },
    experiments: [{ workflow: 'genome', type: 'normal', number_of_runs: 2, number_of_anomaly_workers: [] }],
    workflows: { genome: { path: workflow } },
  }),
);

function start(args) {
  const started = Date.now();
  const child = spawn(process.execPath, [values.cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.resume();
  return new Promise((done) =>
    child.on('close', (code) => done({ pid: child.pid, code, ms: Date.now() - started, stdout })),
  );
}

// What a CLI start costs here, for comparison with the losers' times: `experiment plan` reads the same config.
const startup = [];
for (let i = 0; i < 3; i++) startup.push((await start(['experiment', 'plan', '--config', config, '--json'])).ms);

let exactlyOne = 0;
let namedHolder = 0;
const loserMs = [];
const pairs = Number(values.pairs);
for (let pair = 0; pair < pairs; pair++) {
  const out = join(work, `out-${pair}`);
  mkdirSync(out);
  const [first, second] = await Promise.all([
    start(['experiment', 'run', '--config', config, '--out', out, '--json']),
    start(['experiment', 'run', '--config', config, '--out', out, '--resume', '--json']),
  ]);
  const winners = [first, second].filter((run) => run.code === 0);
  const loser = [first, second].find((run) => run.code !== 0);
  let loserError;
  try {
    loserError = loser ? JSON.parse(loser.stdout).error : undefined;
  } catch {
    loserError = { code: 'RAW_CRASH' };
  }
  const ok = winners.length === 1 && loserError?.code === 'PROTEUS_CONTROLLER_LOCKED';
  if (ok) exactlyOne++;
  if (ok && loserError.message.includes(`process ${winners[0].pid} `)) namedHolder++;
  if (loser) loserMs.push(loser.ms);
  console.log(
    JSON.stringify({
      pair,
      exits: [first.code, second.code],
      loserCode: loserError?.code,
      loserMs: loser?.ms,
      winnerMs: winners[0]?.ms,
    }),
  );
}
const summary = {
  pairs,
  exactlyOneRunner: exactlyOne,
  loserNamedWinner: namedHolder,
  loserMaxMs: Math.max(...loserMs),
  loserMedianMs: loserMs.sort((a, b) => a - b)[Math.floor(loserMs.length / 2)],
  cliStartupMedianMs: startup.sort((a, b) => a - b)[1],
  loadavg: loadavg(),
};
console.log(JSON.stringify({ summary }));
await rm(work, { recursive: true, force: true });
process.exitCode = exactlyOne === pairs ? 0 : 1;
