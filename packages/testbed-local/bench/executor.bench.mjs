// Executor overhead per job (schedule + trace) on a 200-job DAG of no-op jobs.
// Method: every job runs the shell builtin `true` through the job wrapper (the program is the workflow's pfn, a
// `#!/bin/sh` script would add an exec; a builtin adds none), so a job's own execution time is ~0. The overhead per
// job is (run wall time x worker slots - sum of the jobs' own execution times) / jobs: the time a slot was busy with
// the executor's work (dependency tracking, placement, spawning the wrapper, reading /proc counters, post script,
// building the record) rather than with the job. We also print the plain wall time per job.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalTestbed } from '@proteus-wf/testbed-local';

const JOBS = 200;
const SLOTS = 1;
const dir = await mkdtemp(join(tmpdir(), 'proteus-bench-executor-'));
try {
  await mkdir(join(dir, 'bin'), { recursive: true });
  // A no-op program: an empty shell script (sh starts, reads nothing, exits).
  await writeFile(join(dir, 'bin', 'noop'), '#!/bin/sh\n', { mode: 0o755 });
  const lines = ['pegasus: "5.0"', 'name: "noop-200"', 'transformationCatalog:', '  transformations:'];
  lines.push('    - name: "noop"', '      sites:', '        - name: "local"', '          pfn: "bin/noop"');
  lines.push('jobs:');
  // A layered DAG: 10 levels of 20 jobs, each job depending on two jobs of the previous level.
  const width = 20;
  for (let i = 0; i < JOBS; i++)
    lines.push('  - type: "job"', '    name: "noop"', `    id: "noop_${i}"`, '    arguments: []');
  lines.push('jobDependencies:');
  for (let i = 0; i < JOBS - width; i++) {
    const level = Math.floor(i / width);
    const next = (level + 1) * width;
    lines.push(
      `  - id: "noop_${i}"`,
      `    children: ["noop_${next + (i % width)}", "noop_${next + ((i + 1) % width)}"]`,
    );
  }
  const yaml = join(dir, 'workflow.yml');
  await writeFile(yaml, `${lines.join('\n')}\n`);
  const testbed = createLocalTestbed({
    workers: 1,
    slotsPerWorker: SLOTS,
    isolation: 'process-group',
    workDir: join(dir, 'tb'),
  });
  await testbed.provision();
  const started = performance.now();
  const run = await testbed.runWorkflow(yaml, { runId: 'bench', workDir: join(dir, 'run') });
  const wallMs = performance.now() - started;
  await testbed.release();
  if (!run.succeeded || run.jobs.length !== JOBS) throw new Error(`bench run failed: ${run.jobs.length} jobs`);
  // The job's own execution: the wrapper's child (`sh` running an empty script), measured by its CPU time, the
  // only part of execute that is the job's.
  const ownMs = run.jobs.reduce((sum, job) => sum + job.cpuTimeSeconds * 1000, 0);
  const overhead = (wallMs * SLOTS - ownMs) / JOBS;
  const print = (name, unit, value) =>
    process.stdout.write(`${JSON.stringify({ name, unit, value: Math.round(value * 100) / 100 })}\n`);
  print('testbed-local executor overhead per job (200 no-op jobs, 1 slot)', 'ms/job', overhead);
  print('testbed-local wall time per job (200 no-op jobs, 1 slot)', 'ms/job', wallMs / JOBS);
} finally {
  await rm(dir, { recursive: true, force: true });
}
