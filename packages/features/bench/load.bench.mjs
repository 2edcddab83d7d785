#!/usr/bin/env node
// Time and peak RSS to turn Flow-Bench zips into model tensors (flowbench-v1 features, X + labels), cold: every
// measurement is a fresh Node process that imports the package, loads and packs once. Each is repeated REPEATS
// times; CPU time (user + system, process.cpuUsage: robust to a loaded machine, unlike wall time) and wall time report
// the median and the best run, system time the median, peak RSS the worst. `arrow-in-process` is Arrow -> tensors
// inside a process that has imported the package and done the timed cold call: the next call (`second-call`) and the
// 5 after it (`median`, `best`, over every process).
// Prints JSON lines { name, unit, value, load } (load: the 1-minute load average; see scripts/bench.mjs).
// Targets: montage zip -> tensors < 500 ms CPU, Arrow -> tensors in-process < 20 ms, peak RSS < 500 MB.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKFLOWS = ['1000genome', 'montage'];
const REPEATS = 5;
const PIPELINE = 'flowbench-v1';
const self = fileURLToPath(import.meta.url);
const datasets = resolve(self, '../../../../../shared/datasets/flowbench');

function emit(name, unit, value) {
  process.stdout.write(`${JSON.stringify({ name, unit, value, load: Math.round(loadavg()[0] * 100) / 100 })}\n`);
}

async function measure(kind, workflow, arrowPath) {
  const { extractFeatures, loadFlowBench, readDatasetArrow, toTensors } = await import('@proteus-wf/features');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const features =
    kind === 'zip'
      ? extractFeatures(await loadFlowBench(join(datasets, `${workflow}.zip`)), { pipeline: PIPELINE })
      : await readDatasetArrow(arrowPath);
  const tensors = toTensors(features);
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const [runs, jobs, width] = tensors.shape;
  if (tensors.X.length !== runs * jobs * width) throw new Error('bench: tensor shape mismatch');
  const inProcess = [];
  if (kind === 'arrow') {
    for (let i = 0; i < 6; i++) {
      const again = process.cpuUsage();
      toTensors(await readDatasetArrow(arrowPath));
      const spent = process.cpuUsage(again);
      inProcess.push((spent.user + spent.system) / 1000);
    }
  }
  process.stdout.write(
    `${JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, sysMs: used.system / 1000, rssMb: process.resourceUsage().maxRSS / 1024, shape: tensors.shape, inProcess })}\n`,
  );
}

async function prepare(workflow, arrowPath) {
  const { extractFeatures, loadFlowBench, writeDatasetArrow } = await import('@proteus-wf/features');
  await writeDatasetArrow(
    extractFeatures(await loadFlowBench(join(datasets, `${workflow}.zip`)), { pipeline: PIPELINE }),
    arrowPath,
  );
}

const [mode, kind, workflow, arrowPath] = process.argv.slice(2);
if (mode === '--measure') {
  await measure(kind, workflow, arrowPath);
} else if (mode === '--prepare') {
  await prepare(workflow, arrowPath);
} else if (!existsSync(datasets)) {
  process.stderr.write(`bench: skipped, ${datasets} is absent\n`);
} else {
  const folder = mkdtempSync(join(tmpdir(), 'proteus-bench-'));
  const run = (args) => {
    const result = spawnSync(process.execPath, [self, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`bench: ${args.join(' ')} exited with ${result.status}`);
    return result.stdout;
  };
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  const round = (value) => Math.round(value * 10) / 10;
  const report = (kind, name, args) => {
    const samples = Array.from({ length: REPEATS }, () => JSON.parse(run(args)));
    const prefix = `features.load.${name}.${kind}`;
    emit(`${prefix}.cpu-ms`, 'ms', round(median(samples.map((s) => s.cpuMs))));
    emit(`${prefix}.cpu-ms.best`, 'ms', round(Math.min(...samples.map((s) => s.cpuMs))));
    emit(`${prefix}.sys-ms`, 'ms', round(median(samples.map((s) => s.sysMs))));
    emit(`${prefix}.ms`, 'ms', round(median(samples.map((s) => s.ms))));
    emit(`${prefix}.ms.best`, 'ms', round(Math.min(...samples.map((s) => s.ms))));
    emit(`${prefix}.peak-rss`, 'MB', Math.round(Math.max(...samples.map((s) => s.rssMb))));
    if (kind === 'arrow') {
      const warm = samples.flatMap((s) => s.inProcess.slice(1));
      emit(
        `features.load.${name}.arrow-in-process.second-call.cpu-ms`,
        'ms',
        round(median(samples.map((s) => s.inProcess[0]))),
      );
      emit(`features.load.${name}.arrow-in-process.cpu-ms`, 'ms', round(median(warm)));
      emit(`features.load.${name}.arrow-in-process.best.cpu-ms`, 'ms', round(Math.min(...warm)));
    }
  };
  try {
    for (const name of WORKFLOWS) {
      const arrow = join(folder, `${name}.${PIPELINE}.arrow`);
      report('zip', name, ['--measure', 'zip', name]);
      run(['--prepare', 'zip', name, arrow]);
      report('arrow', name, ['--measure', 'arrow', name, arrow]);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
