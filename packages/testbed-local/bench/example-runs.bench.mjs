// Wall time of one normal-scale run of each example workflow on 2 workers × 1 slot (cgroups and network namespaces
// when root, process groups otherwise; `cpuWeight: 64` so the workers behave like dedicated machines on a busy host),
// and the cost `recoverLocalTestbeds` adds to every `provision` when there is nothing to recover (mean of 50 calls).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalTestbed, recoverLocalTestbeds } from '@proteus-wf/testbed-local';

const root = new URL('../../../', import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;
const print = (name, unit, value) =>
  process.stdout.write(`${JSON.stringify({ name, unit, value: Math.round(value * 1000) / 1000 })}\n`);

const dir = await mkdtemp(join(tmpdir(), 'proteus-bench-examples-'));
try {
  for (const workflow of ['1000genome-like', 'montage-like']) {
    const yaml = join(dir, workflow, 'workflow.yml');
    const generator = join(root, 'examples', 'workflows', workflow, 'generate.mjs');
    const generated = spawnSync(process.execPath, [generator, '--scale', 'normal', '--seed', '1', '--out', yaml], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (generated.status !== 0) throw new Error(`${workflow}: generate.mjs exited with ${generated.status}`);
    const testbed = createLocalTestbed({
      workers: 2,
      slotsPerWorker: 1,
      network: isRoot,
      cpuWeight: 64,
      workDir: join(dir, workflow, 'testbed'),
    });
    await testbed.provision();
    try {
      const started = performance.now();
      const run = await testbed.runWorkflow(yaml, { runId: 'bench', workDir: join(dir, workflow, 'run') });
      if (!run.succeeded) throw new Error(`${workflow}: the run failed`);
      print(
        `testbed-local ${workflow} normal run (${run.jobs.length} jobs, 2 workers × 1 slot)`,
        's',
        (performance.now() - started) / 1000,
      );
    } finally {
      await testbed.release();
    }
  }

  const workDir = join(dir, 'recover');
  await recoverLocalTestbeds({ workDir });
  const calls = 50;
  const started = performance.now();
  for (let i = 0; i < calls; i++) await recoverLocalTestbeds({ workDir });
  print('testbed-local recoverLocalTestbeds with nothing to recover', 'ms/call', (performance.now() - started) / calls);
} finally {
  await rm(dir, { recursive: true, force: true });
}
