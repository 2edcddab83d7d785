#!/usr/bin/env node
// Canary fuzz of job names (issue 13, item 2): N seeded random job ids, many of them hostile (`../`, `/`, `\`, NUL,
// control characters, `.`/`..`, 300-byte names) and the rest odd but legal (spaces, `~`, `$HOME`, `*`, `-rf`, `é`),
// are written into Pegasus YAML workflows and run with `proteus experiment run` on the local testbed. The run folders
// sit 10 levels deep in a sandbox full of canary files; afterwards nothing outside the `--out` folders may have been
// created, changed or removed, and no entry named after a fuzzed id may appear in `/` or the system temp folder.
// Prints one JSON line per workflow and a summary; exits 1 when anything escaped.
// Usage: npm run build && node scripts/fuzz-job-names.mjs [--ids 1000] [--per-workflow 50] [--seed 7] [--cli <proteus.js>]
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createSeededRandom } from './lib/seeded-random.mjs';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    ids: { type: 'string', default: '1000' },
    'per-workflow': { type: 'string', default: '50' },
    seed: { type: 'string', default: '7' },
    cli: { type: 'string', default: join(repoRoot, 'packages/cli/bin/proteus.js') },
    keep: { type: 'boolean', default: false },
  },
});
const total = Number(values.ids);
const perWorkflow = Number(values['per-workflow']);

const random = createSeededRandom(Number(values.seed));
const pick = (list) => list[Math.floor(random() * list.length)];

const HOSTILE = ['..', '.', '/', '\\', '../', '..\\', '\u0000', '\n', '\u0007', '\u001b[31m', '/etc/', '../../../../'];
const ODD = ['a', 'job', '~', '$HOME', '*', ' ', '-rf', 'é', '%2e%2e', ':', '|', ';', '"', "'", 'ID0001', '.hidden'];

/** A random id: hostile ones include at least one separator, dot name or control character. */
function randomJobId(hostile) {
  if (hostile && random() < 0.05) return random() < 0.5 ? '..' : '.';
  // Long names: legal up to 255 bytes (the testbed must shorten them for its log names), refused beyond.
  if (random() < 0.03)
    return `j${'x'.repeat(hostile ? 255 + Math.floor(random() * 200) : 100 + Math.floor(random() * 150))}`;
  const parts = [];
  const count = 1 + Math.floor(random() * 6);
  for (let i = 0; i < count; i++) parts.push(pick(ODD));
  if (hostile) parts.splice(Math.floor(random() * (parts.length + 1)), 0, pick(HOSTILE));
  if (hostile && random() < 0.4) parts.unshift('../'.repeat(1 + Math.floor(random() * 8)));
  return parts.join('');
}

function snapshot(root, skip) {
  const entries = new Map();
  const walk = (folder) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (skip.some((prefix) => path === prefix || path.startsWith(`${prefix}/`))) continue;
      const info = statSync(path, { throwIfNoEntry: false });
      if (!info) continue;
      entries.set(path, `${info.isDirectory() ? 'd' : 'f'}:${info.size}:${info.mtimeMs}`);
      if (info.isDirectory()) walk(path);
    }
  };
  walk(root);
  return entries;
}

function runCli(args) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.execPath, [values.cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => done({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

const yamlString = (text) => JSON.stringify(text); // a JSON string is a YAML double-quoted scalar

const sandbox = await mkdtemp(join(tmpdir(), 'proteus-fuzz-names-'));
const deep = join(sandbox, ...'abcdefghij'.split(''));
mkdirSync(deep, { recursive: true });
// Canaries at every level: a removal or a write through `..` would change one of them.
let folder = sandbox;
for (const level of ['', ...'abcdefghij'.split('')]) {
  folder = level ? join(folder, level) : folder;
  writeFileSync(join(folder, 'canary.txt'), `canary ${level}\n`);
  mkdirSync(join(folder, 'x'), { recursive: true });
  writeFileSync(join(folder, 'x', 'canary.txt'), 'inner canary\n');
}
const bin = join(sandbox, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'job.sh'), '#!/bin/sh\necho "$PROTEUS_JOB" > out.txt\n');
chmodSync(join(bin, 'job.sh'), 0o755);
const outs = join(deep, 'outs');
mkdirSync(outs);
const workflows = join(sandbox, 'workflows');
mkdirSync(workflows);
const rootBefore = new Set(readdirSync('/'));
const tmpBefore = new Set(readdirSync(tmpdir()));
const before = snapshot(sandbox, [outs, workflows]);

const ids = [];
const totals = { ids: 0, workflows: 0, refusedWorkflows: 0, ranWorkflows: 0, idsRun: 0, rawCrashes: 0, codes: {} };
for (let w = 0; ids.length < total; w++) {
  const hostile = w % 2 === 0;
  const names = new Set();
  while (names.size < Math.min(perWorkflow, total - ids.length)) names.add(randomJobId(hostile));
  ids.push(...names);
  const workflowDir = join(workflows, `wf${w}`);
  mkdirSync(workflowDir, { recursive: true });
  const lines = [
    'pegasus: "5.0"',
    `name: "fuzz${w}"`,
    'transformationCatalog:',
    '  transformations:',
    '    - name: "job"',
    '      sites:',
    `        - { name: "local", pfn: ${yamlString(join(bin, 'job.sh'))} }`,
    'jobs:',
  ];
  for (const name of names) lines.push(`  - { type: "job", name: "job", id: ${yamlString(name)}, arguments: [] }`);
  const yaml = join(workflowDir, 'workflow.yml');
  writeFileSync(yaml, `${lines.join('\n')}\n`);
  const config = join(workflowDir, 'campaign.json');
  writeFileSync(
    config,
    JSON.stringify({
      infrastructure: { workers: [{ name: 'w1', cores: 2, memory_mb: 512 }] },
      experiments: [{ workflow: 'fuzz', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] }],
      workflows: { fuzz: { path: yaml } },
    }),
  );
  const result = await runCli(['experiment', 'run', '--config', config, '--out', join(outs, `w${w}`), '--json']);
  let code = 'OK';
  if (result.code !== 0) {
    try {
      code = JSON.parse(result.stdout).error.code;
    } catch {
      code = 'RAW_CRASH';
    }
  }
  if (code === 'RAW_CRASH' || result.code === 2) totals.rawCrashes++;
  if (result.code === 0) {
    totals.ranWorkflows++;
    totals.idsRun += names.size;
  } else totals.refusedWorkflows++;
  totals.codes[code] = (totals.codes[code] ?? 0) + 1;
  totals.workflows++;
  console.log(JSON.stringify({ workflow: w, hostile, jobs: names.size, exit: result.code, code, ms: result.ms }));
}
totals.ids = ids.length;

const after = snapshot(sandbox, [outs, workflows]);
const changed = [];
for (const [path, stamp] of before) {
  if (!after.has(path)) changed.push({ path, what: 'removed' });
  else if (after.get(path) !== stamp) changed.push({ path, what: 'changed' });
}
for (const path of after.keys()) if (!before.has(path)) changed.push({ path, what: 'created' });
const fragments = ids.map((id) => id.split(/[/\\]/).pop()).filter((part) => part && part.length > 3);
const strays = [
  ...[...readdirSync('/')].filter((name) => !rootBefore.has(name)).map((name) => `/${name}`),
  ...[...readdirSync(tmpdir())]
    .filter((name) => !tmpBefore.has(name) && fragments.some((fragment) => name.includes(fragment)))
    .map((name) => join(tmpdir(), name)),
];
const summary = { ...totals, escapes: changed.length + strays.length, changed, strays, loadavg: loadavg() };
console.log(JSON.stringify({ summary }));
if (!values.keep) await rm(sandbox, { recursive: true, force: true });
process.exitCode = summary.escapes === 0 && totals.rawCrashes === 0 ? 0 : 1;
