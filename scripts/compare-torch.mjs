#!/usr/bin/env node
// Side by side with PyTorch (issue 17 §4): runs packages/models/bench/gemm-floor.bench.mjs (1 thread) and the
// PyTorch reference benchmark ../shared/reference/torch-ref/bench.py (Debian python3-torch, OPENBLAS_NUM_THREADS=1)
// interleaved, ROUNDS rounds, and prints per round and as medians: our GCN training step against torch's (graph
// level, B=32, N=137, F=24, hidden 64, Adam) and our node-level scoring throughput (256 runs) against torch's, with
// the load average beside each number; per round also torch.mm on the GEMM shapes of our floors
// (scripts/compare-torch-floor.py), so `stepFloorRatio` says whether onnxruntime's GEMMs or torch's are faster, and
// the phases of torch's step. Skips with a message when torch is not installed.
// `npm run bench -- --compare-torch` (builds first) or `node scripts/compare-torch.mjs` after `npm run build`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.PROTEUS_COMPARE_ROUNDS ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const torchRef = resolve(root, '..', 'shared', 'reference', 'torch-ref');
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const oneThread = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', PROTEUS_BENCH_THREADS: '1' };

const say = (line) => process.stdout.write(`${line}\n`);
const load = () => loadavg()[0].toFixed(1);
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// bench.py imports torch, and (through data.py) numpy, pandas and sklearn.
const probe = spawnSync(python, ['-c', 'import torch, pandas, sklearn; print(torch.__version__)'], {
  encoding: 'utf8',
});
if (probe.status !== 0 || !existsSync(join(torchRef, 'bench.py'))) {
  say(
    `compare-torch: SKIPPED: ${probe.status !== 0 ? `PyTorch, pandas or sklearn is not importable by ${python} (apt-get install -y python3-torch python3-pandas python3-sklearn)` : `${torchRef}/bench.py is absent`}`,
  );
  process.exit(0);
}

function jsonLines(stdout) {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

function runOurs() {
  // execArgv passes through, e.g. --conditions=@proteus-wf/source --import <register> to run on the sources.
  const gemmFloor = join(root, 'packages', 'models', 'bench', 'gemm-floor.bench.mjs');
  const result = spawnSync(process.execPath, [...process.execArgv, gemmFloor], {
    cwd: root,
    env: { ...process.env, ...oneThread },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`gemm-floor bench failed: ${result.stderr}`);
  const values = Object.fromEntries(jsonLines(result.stdout).map((r) => [r.name, r.value]));
  const pick = (suffix) => Object.entries(values).find(([name]) => name.endsWith(suffix))?.[1];
  return {
    stepMs: pick('threads1.step.ms'),
    stepOverFloor: pick('threads1.step-over-floor'),
    scoreJobsPerSecond: pick('threads1.score-jobs-per-second'),
    scoreOverFloor: pick('threads1.score-throughput-over-floor'),
    stepFloorMs: pick('threads1.step-floor.ms'),
    scoreFloorMs: pick('threads1.score-floor.ms'),
    kernels: pick('kernels-per-step'),
  };
}

function runTorch() {
  const result = spawnSync(
    python,
    ['bench.py', '--threads', '1', '--features', '24', '--modes', 'scatter', 'dense', '--iters', '60'],
    { cwd: torchRef, env: { ...process.env, ...oneThread }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`torch bench failed: ${result.stderr}`);
  const records = jsonLines(result.stdout);
  const steps = records.filter((r) => r.kind === 'train_step' && r.level === 'graph' && r.F === 24);
  const scores = records.filter((r) => r.kind === 'inference' && r.B === 256 && r.F === 24);
  // torch's faster propagation back-end for each, so the comparison is against its best.
  return {
    version: records.find((r) => r.kind === 'env')?.torch,
    stepMs: Math.min(...steps.map((r) => r.ms_per_step)),
    scoreJobsPerSecond: Math.max(...scores.map((r) => r.jobs_per_s)),
  };
}

/** torch.mm on the GEMM shapes of our floors, and the phases of torch's step (scripts/compare-torch-floor.py). */
function runTorchFloor() {
  const result = spawnSync(python, [join(root, 'scripts', 'compare-torch-floor.py'), torchRef], {
    cwd: torchRef,
    env: { ...process.env, ...oneThread },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`torch floor failed: ${result.stderr}`);
  return jsonLines(result.stdout).find((r) => r.kind === 'torch-floor');
}

say(`compare-torch: ${ROUNDS} interleaved rounds, 1 thread each side, ${cpus().length} cores (${cpus()[0]?.model})`);
const rounds = [];
for (let r = 1; r <= ROUNDS; r++) {
  const loadBefore = load();
  const ours = runOurs();
  const loadMiddle = load();
  const torch = runTorch();
  const torchFloor = runTorchFloor();
  const round = {
    round: r,
    load1: [Number(loadBefore), Number(loadMiddle), Number(load())],
    oursStepMs: ours.stepMs,
    torchStepMs: torch.stepMs,
    stepRatio: Number((ours.stepMs / torch.stepMs).toFixed(2)),
    stepOverFloor: ours.stepOverFloor,
    oursScoreJobsPerSecond: ours.scoreJobsPerSecond,
    torchScoreJobsPerSecond: Math.round(torch.scoreJobsPerSecond),
    scoreRatio: Number((ours.scoreJobsPerSecond / torch.scoreJobsPerSecond).toFixed(2)),
    scoreOverFloor: ours.scoreOverFloor,
    kernelsPerStep: ours.kernels,
    // The same GEMM shapes in torch.mm (OpenBLAS) and in onnxruntime Gemm (MLAS): ours / torch's.
    oursStepFloorMs: ours.stepFloorMs,
    torchStepFloorMs: torchFloor.step_floor_ms,
    stepFloorRatio: Number((ours.stepFloorMs / torchFloor.step_floor_ms).toFixed(2)),
    oursScoreFloorMs: ours.scoreFloorMs,
    torchScoreFloorMs: torchFloor.score_floor_ms,
    scoreFloorRatio: Number((ours.scoreFloorMs / torchFloor.score_floor_ms).toFixed(2)),
    torchStepPhasesMs: torchFloor.step_phases_ms,
    torch: torch.version,
  };
  rounds.push(round);
  say(JSON.stringify(round));
}
const summary = {
  summary: true,
  rounds: ROUNDS,
  stepRatio: median(rounds.map((r) => r.stepRatio)),
  scoreRatio: median(rounds.map((r) => r.scoreRatio)),
  stepOverFloor: median(rounds.map((r) => r.stepOverFloor)),
  scoreOverFloor: median(rounds.map((r) => r.scoreOverFloor)),
  stepFloorRatio: median(rounds.map((r) => r.stepFloorRatio)),
  scoreFloorRatio: median(rounds.map((r) => r.scoreFloorRatio)),
  load1: Number(load()),
};
say(JSON.stringify(summary));
say(
  `compare-torch: our step takes ${summary.stepRatio}x torch's time (target <= 0.33); our scoring runs ${summary.scoreRatio}x torch's throughput (target >= 3); step/floor ${summary.stepOverFloor} (target <= 1.3), score/floor ${summary.scoreOverFloor} (target >= 0.7); the same GEMMs take ${summary.stepFloorRatio}x (step) and ${summary.scoreFloorRatio}x (score) torch.mm's time in onnxruntime; load average ${summary.load1} on ${cpus().length} cores`,
);
