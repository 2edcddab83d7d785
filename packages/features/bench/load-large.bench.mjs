#!/usr/bin/env node
// Loading at scale: the largest shared Flow-Bench zips (casa_wind_full: 910 runs; variant_calling: 395 runs x 371
// jobs) and a seeded synthetic 400-run x 2,081-job zip on the casa_nowcast_full DAG, written to a temp folder first
// (never committed) and deleted after. Each load is a fresh Node process (zip -> dataset -> flowbench-v1 tensors):
// wall and CPU time, peak RSS, and CPU per job row, which should stay flat from 1,000-row to 800,000-row zips since
// runs stream through the loader one at a time. Each load is repeated REPEATS times: CPU and wall time are medians,
// peak RSS the worst. Prints JSON lines { name, unit, value, load } (see scripts/bench.mjs).
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';

const self = fileURLToPath(import.meta.url);
const datasets = resolve(self, '../../../../../shared/datasets/flowbench');
const SYNTHETIC_RUNS = 400;
const SEED = 17;
const REPEATS = 3;

function emit(name, unit, value) {
  process.stdout.write(`${JSON.stringify({ name, unit, value, load: Math.round(loadavg()[0] * 100) / 100 })}\n`);
}

async function measure(zip) {
  const { extractFeatures, loadFlowBench, toTensors } = await import('@proteus-wf/features');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const dataset = await loadFlowBench(zip);
  const tensors = toTensors(extractFeatures(dataset, { pipeline: 'flowbench-v1' }));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const [runs, jobs] = tensors.shape;
  process.stdout.write(
    `${JSON.stringify({ ms, cpuMs: (used.user + used.system) / 1000, rssMb: process.resourceUsage().maxRSS / 1024, runs, jobs, skipped: dataset.skipped.length })}\n`,
  );
}

/** A zip written entry by entry (deflated by zlib), so the generator never holds the whole archive. */
function createZipWriter(path) {
  const fd = openSync(path, 'w');
  const central = [];
  let offset = 0;
  const write = (buffer) => {
    writeSync(fd, buffer);
    offset += buffer.length;
  };
  return {
    add(name, text) {
      const data = Buffer.from(text);
      const packed = deflateRawSync(data, { level: 1 });
      const nameBytes = Buffer.from(name);
      const header = Buffer.alloc(30);
      header.writeUInt32LE(0x04034b50, 0);
      header.writeUInt16LE(20, 4);
      header.writeUInt16LE(8, 8);
      header.writeUInt32LE(crc32(data), 14);
      header.writeUInt32LE(packed.length, 18);
      header.writeUInt32LE(data.length, 22);
      header.writeUInt16LE(nameBytes.length, 26);
      const entry = Buffer.alloc(46);
      entry.writeUInt32LE(0x02014b50, 0);
      entry.writeUInt16LE(20, 4);
      entry.writeUInt16LE(20, 6);
      entry.writeUInt16LE(8, 10);
      entry.writeUInt32LE(crc32(data), 16);
      entry.writeUInt32LE(packed.length, 20);
      entry.writeUInt32LE(data.length, 24);
      entry.writeUInt16LE(nameBytes.length, 28);
      entry.writeUInt32LE(offset, 42);
      central.push(entry, nameBytes);
      write(header);
      write(nameBytes);
      write(packed);
    },
    close() {
      const start = offset;
      for (const part of central) write(part);
      const end = Buffer.alloc(22);
      end.writeUInt32LE(0x06054b50, 0);
      end.writeUInt16LE(central.length / 2, 8);
      end.writeUInt16LE(central.length / 2, 10);
      end.writeUInt32LE(offset - start, 12);
      end.writeUInt32LE(start, 16);
      write(end);
      closeSync(fd);
    },
  };
}

/** Seeded runs on the casa_nowcast_full DAG, in the published gen-2 format (formatFlowBenchCsv). */
async function generate(folder) {
  const { createRng } = await import('@proteus-wf/core');
  const { formatFlowBenchCsv } = await import('@proteus-wf/features');
  const { parseFlowBenchAdjacency, topologicalOrder } = await import('@proteus-wf/workflow-graph');
  const { readFileSync } = await import('node:fs');
  const adjacencySource = join(datasets, 'adjacency_list_dags', 'casa_nowcast_full.json');
  mkdirSync(join(folder, 'adjacency_list_dags'), { recursive: true });
  copyFileSync(adjacencySource, join(folder, 'adjacency_list_dags', 'casa_nowcast_full.json'));
  const graph = parseFlowBenchAdjacency(readFileSync(adjacencySource, 'utf8'), { generation: 2 });
  const order = topologicalOrder(graph);
  const rng = createRng(SEED);
  const hosts = Array.from({ length: 12 }, (_, i) => `casa-worker-${i}-container-${40 + i}`);
  const anomalies = ['cpu_2', 'cpu_3', 'hdd_5', 'hdd_10'];
  const zip = createZipWriter(join(folder, 'casa_nowcast_full.zip'));
  for (let run = 0; run < SYNTHETIC_RUNS; run++) {
    const anomaly = rng.float() < 0.5 ? anomalies[rng.int(0, anomalies.length - 1)] : null;
    const start = 1_700_000_000 + run * 7_200;
    const rows = order.map((job, k) => {
      const kind =
        job.startsWith('create_dir') || job.startsWith('cleanup')
          ? 'auxiliary'
          : job.startsWith('stage')
            ? 'transfer'
            : 'compute';
      const ready = start + k * 2 + rng.int(0, 3);
      const submit = ready + rng.int(1, 10);
      const executeStart = submit + rng.int(2, 40);
      const runtime = rng.int(1, 120) + (anomaly && rng.float() < 0.3 ? rng.int(10, 60) : 0);
      const executeEnd = executeStart + runtime;
      const postStart = executeEnd + rng.int(0, 2);
      const transformation = job.replace(/_ID\d+$|_\d+(_\d+)*$/, '');
      return {
        job,
        anomaly_type: anomaly && kind === 'compute' && rng.float() < 0.3 ? anomaly : null,
        type: kind,
        is_clustered: 0,
        ready,
        submit,
        execute_start: executeStart,
        execute_end: executeEnd,
        stage_in_effective_bytes_per_sec: rng.int(0, 5_000_000) / 4,
        stage_out_effective_bytes_per_sec: 0,
        post_script_start: postStart,
        post_script_end: postStart + 5,
        wms_delay: submit - ready,
        queue_delay: executeStart - submit,
        runtime,
        post_script_delay: 5,
        stage_in_delay: kind === 'compute' ? rng.int(0, 5) : null,
        stage_in_bytes: kind === 'compute' ? rng.int(1_000, 50_000_000) : null,
        kickstart_user: 'poseidon',
        kickstart_site: kind === 'compute' ? 'condorpool' : 'local',
        kickstart_hostname: hosts[rng.int(0, hosts.length - 1)],
        kickstart_transformations: transformation,
        kickstart_executables: `/srv/casa/bin/${transformation}`,
        kickstart_executables_argv: `-i ${job}.in -o ${job}.out --radar KSAO --time ${ready} --threshold ${rng.int(1, 99)}${k % 17 === 0 ? ' --label "a,b"' : ''}`,
        kickstart_executables_cpu_time: runtime * 0.9,
        kickstart_status: 0,
        kickstart_executables_exitcode: 0,
        kickstart_online_utime: runtime * 0.8,
        kickstart_online_stime: runtime * 0.05,
      };
    });
    zip.add(`casa_nowcast_full-run${String(run + 1).padStart(4, '0')}.csv`, formatFlowBenchCsv(rows));
  }
  zip.close();
}

const [mode, target] = process.argv.slice(2);
if (mode === '--measure') {
  await measure(target);
} else if (mode === '--generate') {
  await generate(target);
} else if (!existsSync(datasets)) {
  process.stderr.write(`bench: skipped, ${datasets} is absent\n`);
} else {
  const folder = mkdtempSync(join(tmpdir(), 'proteus-bench-large-'));
  const run = (args) => {
    const result = spawnSync(process.execPath, [self, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`bench: ${args.join(' ')} exited with ${result.status}`);
    return result.stdout;
  };
  try {
    run(['--generate', folder]);
    const cases = [
      ['casa_wind_full', join(datasets, 'casa_wind_full.zip')],
      ['variant_calling', join(datasets, 'variant_calling.zip')],
      ['synthetic-casa_nowcast_full-400', join(folder, 'casa_nowcast_full.zip')],
    ];
    for (const [name, zip] of cases) {
      const samples = Array.from({ length: REPEATS }, () => JSON.parse(run(['--measure', zip])));
      const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
      const sample = samples[0];
      const cpuMs = median(samples.map((s) => s.cpuMs));
      const rows = sample.runs * sample.jobs;
      const round = (value) => Math.round(value * 10) / 10;
      emit(`features.load-large.${name}.rows`, 'job rows', rows);
      emit(`features.load-large.${name}.ms`, 'ms', round(median(samples.map((s) => s.ms))));
      emit(`features.load-large.${name}.cpu-ms`, 'ms', round(cpuMs));
      emit(`features.load-large.${name}.peak-rss`, 'MB', Math.round(Math.max(...samples.map((s) => s.rssMb))));
      emit(`features.load-large.${name}.cpu-per-row`, 'us', Math.round((cpuMs * 1000 * 100) / rows) / 100);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
