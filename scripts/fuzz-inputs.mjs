#!/usr/bin/env node
// Input fuzzer (issue 13, item 11): feeds seeded malformed inputs to every parser entry point — the five workflow
// formats, Flow-Bench traces, campaign configs, experiment requests, anomaly specs, injector targets and the
// FABRIC/Chameleon topology files — and counts per entry point how each input ended:
//   coded        a ProteusError (or, for Flow-Bench, the run was skipped with a coded reason)
//   raw          any other exception: a crash the user would see as "internal error"
//   acceptedBad  an input built to be invalid (a known bad case: a typo'd key, 1e8 runs, ../ job ids, NaN...) was
//                accepted
//   accepted     a random corruption that happened to stay valid (not an error)
// Exits 1 when any entry point has a raw crash or an accepted bad input.
// Usage: npm run build && node scripts/fuzz-inputs.mjs [--per-base 60] [--seed 11]   (needs ../shared/datasets for Flow-Bench)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseCampaignConfig, parseExperimentRequests } from '@proteus-wf/controller';
import { loadFlowBench } from '@proteus-wf/features';
import { parseAnomaly, parseTarget, validateAnomaly } from '@proteus-wf/injector';
import { loadChameleonTopology } from '@proteus-wf/testbed-chameleon';
import { loadFabricTopology } from '@proteus-wf/testbed-fabric';
import { parseWorkflow } from '@proteus-wf/workflow-graph';
import { createSeededRandom } from './lib/seeded-random.mjs';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    'per-base': { type: 'string', default: '60' },
    seed: { type: 'string', default: '11' },
    datasets: { type: 'string', default: resolve(repoRoot, '..', 'shared', 'datasets') },
  },
});
const perBase = Number(values['per-base']);

const random = createSeededRandom(Number(values.seed));
const int = (n) => Math.floor(random() * n);
const JUNK = [
  '',
  '\u0000',
  '"',
  '{',
  '}',
  '[',
  ']',
  ',',
  ':',
  '\n',
  '-1',
  '1e400',
  'NaN',
  '../',
  '<',
  '>',
  '&',
  '\ufffd',
];

/** One random corruption of a text: truncation, a flipped or inserted character, a dropped or repeated line. */
function mutateText(text) {
  const at = int(text.length + 1);
  switch (int(5)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + String.fromCharCode(int(128)) + text.slice(at + 1);
    case 2:
      return text.slice(0, at) + JUNK[int(JUNK.length)] + text.slice(at);
    case 3: {
      const lines = text.split('\n');
      lines.splice(int(lines.length), 1);
      return lines.join('\n');
    }
    default: {
      const lines = text.split('\n');
      const line = int(lines.length);
      lines.splice(line, 0, lines[line] ?? '');
      return lines.join('\n');
    }
  }
}

const ODD_VALUES = [null, -1, 0, Number.POSITIVE_INFINITY, Number.NaN, 1e8, 'x', [], {}, true, '../x', -0.5, 2 ** 53];
/** One random corruption of a JSON value: a value replaced, a key dropped, or an unknown key added. */
function mutateJson(value) {
  const copy = structuredClone(value);
  const holders = [];
  const walk = (node) => {
    if (node && typeof node === 'object') {
      holders.push(node);
      for (const child of Object.values(node)) walk(child);
    }
  };
  walk(copy);
  const holder = holders[int(holders.length)];
  const keys = Object.keys(holder);
  const key = keys[int(keys.length)];
  const choice = int(3);
  if (choice === 0 && key !== undefined) holder[key] = ODD_VALUES[int(ODD_VALUES.length)];
  else if (choice === 1 && key !== undefined && !Array.isArray(holder)) delete holder[key];
  else if (!Array.isArray(holder)) holder[`typo_${int(100)}`] = 1;
  else holder.push(ODD_VALUES[int(ODD_VALUES.length)]);
  return copy;
}

const isCoded = (error) => typeof error?.code === 'string' && error.code.startsWith('PROTEUS_');
const report = {};

/** Runs `call` on every case; `accepted(result)` says whether a returned result counts as accepting the input. */
async function fuzz(name, cases, call, accepted = () => true) {
  const totals = {
    cases: cases.length,
    coded: 0,
    raw: 0,
    acceptedBad: 0,
    accepted: 0,
    rawExamples: [],
    badExamples: [],
  };
  for (const { input, bad, why } of cases) {
    try {
      const result = await call(input);
      if (!accepted(result)) totals.coded++;
      else if (bad) {
        totals.acceptedBad++;
        if (totals.badExamples.length < 5) totals.badExamples.push(why);
      } else totals.accepted++;
    } catch (error) {
      if (isCoded(error)) totals.coded++;
      else {
        totals.raw++;
        if (totals.rawExamples.length < 5) totals.rawExamples.push(String(error?.stack ?? error).slice(0, 300));
      }
    }
  }
  report[name] = totals;
}

const work = await mkdtemp(join(tmpdir(), 'proteus-fuzz-inputs-'));
const fixtures = join(repoRoot, 'packages/workflow-graph/test/fixtures');

// Workflow formats: random corruptions of real examples, plus each format with a `../` job id.
const formats = [
  { file: 'diamond.yml', id: 'ID0000001' },
  { file: 'diamond-3.0.dax', id: 'ID0000001' },
  { file: 'blast-wfformat-1.5.json', id: '00000001' },
  { file: 'diamond-0.dag', id: 'preprocess_ID0000001' },
];
for (const { file, id } of formats) {
  const text = readFileSync(join(fixtures, file), 'utf8');
  const cases = Array.from({ length: perBase }, () => ({ input: mutateText(text), bad: false }));
  for (const hostile of ['../../x', 'a/b', '..', 'x\u0007y']) {
    cases.push({ input: text.split(id).join(hostile), bad: true, why: `${file}: job id ${JSON.stringify(hostile)}` });
  }
  await fuzz(`workflow ${file}`, cases, (input) => parseWorkflow(input, { source: file }));
}
const adjacency = { create_dir_w: ['a', 'b'], a: ['c'], b: ['c'], c: [] };
await fuzz(
  'workflow flowbench-adjacency',
  [
    ...Array.from({ length: perBase }, () => ({ input: JSON.stringify(mutateJson(adjacency)), bad: false })),
    ...Array.from({ length: perBase }, () => ({ input: mutateText(JSON.stringify(adjacency)), bad: false })),
    { input: JSON.stringify({ ...adjacency, create_dir_w: ['a', 'b', 'a'] }), bad: true, why: 'duplicate edge' },
    { input: JSON.stringify({ ...adjacency, '../../x': [] }), bad: true, why: '../ job id' },
  ],
  (input) => parseWorkflow(input, { source: 'w.json', format: 'flowbench-adjacency' }),
);

// Flow-Bench traces: two real runs of eht_imaging with one cell corrupted, and random corruptions of a run.
const zip = join(values.datasets, 'flowbench', 'eht_imaging.zip');
if (existsSync(zip)) {
  const names = execFileSync('unzip', ['-Z1', zip], { encoding: 'utf8' })
    .split('\n')
    .filter((name) => name.endsWith('.csv'))
    .sort()
    .slice(0, 2);
  const runs = names.map((name) => execFileSync('unzip', ['-p', zip, name], { encoding: 'utf8' }));
  const dag = readFileSync(join(values.datasets, 'flowbench', 'adjacency_list_dags', 'eht_imaging.json'), 'utf8');
  let counter = 0;
  const writeDataset = (second) => {
    const folder = join(work, `fb${counter++}`);
    mkdirSync(join(folder, 'eht_imaging'), { recursive: true });
    mkdirSync(join(folder, 'adjacency_list_dags'));
    writeFileSync(join(folder, 'adjacency_list_dags', 'eht_imaging.json'), dag);
    writeFileSync(join(folder, 'eht_imaging', 'eht_imaging-run0001.csv'), runs[0]);
    writeFileSync(join(folder, 'eht_imaging', 'eht_imaging-run0002.csv'), second);
    return join(folder, 'eht_imaging');
  };
  const setCell = (column, value, row = 2) => {
    const lines = runs[1].trimEnd().split('\n');
    const at = lines[0].split(',').indexOf(column);
    const cells = lines[row].split(',');
    cells[at] = typeof value === 'function' ? value(lines[0].split(','), cells) : value;
    lines[row] = cells.join(',');
    return `${lines.join('\n')}\n`;
  };
  const badCells = [
    ['runtime', 'NaN'],
    ['runtime', 'nan'],
    ['runtime', 'Infinity'],
    ['stage_in_bytes', '1e400'],
    ['submit', '-5'],
    ['execute_start', '-1'],
    ['kickstart_online_bytes_read', '-1'],
    ['stage_out_bytes', '-100'],
    ['execute_end', (header, cells) => String(Number(cells[header.indexOf('execute_start')]) - 10)],
  ];
  const cases = [
    ...Array.from({ length: perBase }, () => ({ input: writeDataset(mutateText(runs[1])), bad: false })),
    ...badCells.map(([column, value]) => ({
      input: writeDataset(setCell(column, value)),
      bad: true,
      why: `${column}=${typeof value === 'function' ? 'before its start' : value}`,
    })),
  ];
  // A run kept with every row is acceptance; a skipped run is a coded rejection.
  await fuzz(
    'flowbench traces',
    cases,
    (input) => loadFlowBench(input),
    (dataset) => dataset.skipped.length === 0,
  );
  await fuzz(
    'flowbench traces (strict)',
    cases.filter((c) => c.bad),
    (input) => loadFlowBench(input, { strict: true }),
  );
} else console.error(`fuzz-inputs: ${zip} not found; Flow-Bench traces are not fuzzed`);

// Campaign configs and experiment requests.
const campaign = {
  seed: 1,
  infrastructure: {
    workers: [
      { name: 'w1', cores: 1, memory_mb: 256 },
      { name: 'w2', cores: 1, memory_mb: 256 },
    ],
  },
  experiments: [
    { workflow: 'genome', type: 'normal', number_of_runs: 2, number_of_anomaly_workers: [] },
    { workflow: 'genome', anomaly: 'cpu', levels: [1], number_of_runs: 2, number_of_anomaly_workers: [1] },
  ],
  workflows: { genome: { path: 'genome.yml' } },
};
const nodes = {
  infrastructure: { chameleon_nodes: { n1: { cores: 8, ram: 32 } }, condor_config: { cores: 2, ram: 4 } },
};
const badCampaigns = [
  ['workers[0] typo', (c) => (c.infrastructure.workers[0].coers = 2)],
  ['root typo', (c) => (c.fabirc = {})],
  ['experiment typo', (c) => (c.experiments[0].number_of_run = 3)],
  ['1e8 runs', (c) => (c.experiments[0].number_of_runs = 1e8)],
  ['1e6 cores', (c) => (c.infrastructure.workers[0].cores = 1e6)],
  ['1e12 MB', (c) => (c.infrastructure.workers[0].memory_mb = 1e12)],
  ['5000 levels', (c) => (c.experiments[1].levels = Array.from({ length: 5000 }, (_, i) => i + 1))],
  [
    '30000 planned runs',
    (c) => (c.experiments = Array.from({ length: 3 }, () => ({ ...campaign.experiments[0], number_of_runs: 10_000 }))),
  ],
  [
    '5000 workers',
    (c) =>
      (c.infrastructure.workers = Array.from({ length: 5000 }, (_, i) => ({ name: `w${i}`, cores: 1, memory_mb: 1 }))),
  ],
  [
    'node typo',
    (c) =>
      Object.assign(c, structuredClone(nodes), {
        infrastructure: {
          ...structuredClone(nodes.infrastructure),
          chameleon_nodes: { n1: { cores: 8, ram: 32, huors: 1 } },
        },
      }),
  ],
  [
    'condor typo',
    (c) =>
      Object.assign(c, {
        infrastructure: { ...structuredClone(nodes.infrastructure), condor_config: { cores: 2, ram: 4, coers: 1 } },
      }),
  ],
  [
    'node slicing into 1e6 workers',
    (c) =>
      Object.assign(c, {
        infrastructure: { chameleon_nodes: { n1: { cores: 4096, ram: 65536 } }, condor_config: { cores: 1, ram: 1 } },
      }),
  ],
  ['submit_node typo', (c) => (c.infrastructure.submit_node = { ip_address: '10.0.0.1', port: 22 })],
];
await fuzz(
  'campaign config',
  [
    ...Array.from({ length: perBase * 2 }, () => ({ input: mutateJson(campaign), bad: false })),
    ...badCampaigns.map(([why, edit]) => {
      const input = structuredClone(campaign);
      edit(input);
      return { input, bad: true, why };
    }),
  ],
  (input) => parseCampaignConfig(input, { baseDir: work }),
);
const config = parseCampaignConfig(campaign, { baseDir: work });
const requests = { requests: [{ workflow: 'genome', anomaly: 'cpu', level: 1, anomalousWorkers: 1, runs: 2 }] };
const badRequests = [
  ['runs 1e7', (r) => (r.requests[0].runs = 1e7)],
  ['runs -1', (r) => (r.requests[0].runs = -1)],
  ['unknown key', (r) => (r.requests[0].runz = 1)],
  ['99 anomalous workers', (r) => (r.requests[0].anomalousWorkers = 99)],
  [
    '30000 runs in all',
    (r) => (r.requests = Array.from({ length: 3 }, () => ({ ...requests.requests[0], runs: 10_000 }))),
  ],
];
await fuzz(
  'experiment requests',
  [
    ...Array.from({ length: perBase }, () => ({ input: mutateJson(requests), bad: false })),
    ...badRequests.map(([why, edit]) => {
      const input = structuredClone(requests);
      edit(input);
      return { input, bad: true, why };
    }),
  ],
  (input) => parseExperimentRequests(input, config),
);

// Anomaly specs and targets (the injector's).
const spec = { kind: 'disk', writeBps: 5 * 1024 * 1024, readBps: 10 * 1024 * 1024, label: 'hdd_5' };
await fuzz(
  'anomaly spec',
  [
    ...Array.from({ length: perBase }, () => ({ input: mutateJson(spec), bad: false })),
    { input: { ...spec, writeBps: 1e30 }, bad: true, why: 'writeBps 1e30' },
    { input: { ...spec, writeBps: -1 }, bad: true, why: 'writeBps -1' },
    { input: { ...spec, typo: 1 }, bad: true, why: 'unknown key' },
  ],
  (input) => validateAnomaly(input),
);
await fuzz(
  'anomaly name',
  [
    ...['cpu_2', 'hdd_5', 'loss_1', 'normal'].flatMap((name) =>
      Array.from({ length: perBase / 4 }, () => ({ input: mutateText(name), bad: false })),
    ),
    { input: 'cpu_1e400', bad: true, why: 'cpu_1e400' },
    { input: 'hdd_-5', bad: true, why: 'hdd_-5' },
  ],
  (input) => parseAnomaly(input),
);
await fuzz(
  'target',
  [
    ...['local', 'cgroup:proteus/t/w1', 'netns:proteus-x', 'ssh:user@host', 'docker:c1'].flatMap((target) =>
      Array.from({ length: perBase / 5 }, () => ({ input: mutateText(target), bad: false })),
    ),
    { input: 'netns:-x', bad: true, why: 'netns:-x (an option to ip netns exec)' },
    { input: 'docker:-v', bad: true, why: 'docker:-v' },
    { input: 'ssh:-oProxyCommand=x', bad: true, why: 'ssh:-oProxyCommand=x' },
    { input: 'cgroup:../../etc', bad: true, why: 'cgroup:../../etc' },
  ],
  (input) => parseTarget(input),
);

// Topology files of the cloud testbeds: the shipped example (FABRIC nodes, facility port, Chameleon stitch) mutated.
const topology = JSON.parse(readFileSync(join(repoRoot, 'examples/03-cloud-campaign/topology.json'), 'utf8'));
const badTopologies = [
  ['chameleon huors', (t) => (t.chameleon.huors = 4)],
  ['fabric node coers', (t) => (t.fabric.nodes[0].coers = 4)],
  ['root fabirc', (t) => (t.fabirc = {})],
  ['cores 1e6', (t) => (t.fabric.nodes[0].cores = 1e6)],
  ['hours 0.001', (t) => (t.chameleon.hours = 0.001)],
];
let topologyFiles = 0;
const topologyCases = [
  ...Array.from({ length: perBase }, () => ({ input: mutateJson(topology), bad: false })),
  ...badTopologies.map(([why, edit]) => {
    const input = structuredClone(topology);
    edit(input);
    return { input, bad: true, why };
  }),
];
const viaFile = (load) => async (input) => {
  const path = join(work, `topology-${topologyFiles++}.json`);
  writeFileSync(path, JSON.stringify(input));
  return load(path);
};
await fuzz(
  'topology fabric',
  topologyCases.filter((c) => !c.bad || !/huors|hours/.test(c.why)),
  viaFile(loadFabricTopology),
);
await fuzz(
  'topology chameleon',
  topologyCases.filter((c) => !c.bad || !/coers|cores/.test(c.why)),
  viaFile(loadChameleonTopology),
);

await rm(work, { recursive: true, force: true });
const totals = { cases: 0, coded: 0, raw: 0, acceptedBad: 0, accepted: 0 };
for (const [name, entry] of Object.entries(report)) {
  for (const key of Object.keys(totals)) totals[key] += entry[key];
  console.log(JSON.stringify({ entry: name, ...entry }));
}
console.log(JSON.stringify({ totals }));
process.exitCode = totals.raw === 0 && totals.acceptedBad === 0 ? 0 : 1;
