// Placement (issue 14 §3): a request's `hints.placement.jobs` puts its anomaly on the worker that runs those jobs, for
// as long as they run there. Checked on real processes of testbed-local through the ledger, the labels and the
// kernel's CFS counters of that worker's cgroup, never through the wall clock.
import { join } from 'node:path';
import { createInjector, readLedger } from '@proteus-wf/injector';
import { createLocalTestbed } from '@proteus-wf/testbed-local';
import { describe, expect, it } from 'vitest';
import { createController } from '../src/index.js';
import { readLabels } from './support/campaign-fixture.js';
import { countingInjector, writeSmallGenomeWorkflow } from './support/local-testbed-fixture.js';
import { createTempDir } from './support/temp-dir.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot)
  console.warn('controller placement on testbed-local: kernel counters not asserted (needs root for cgroups)');

describe('a placed anomaly on testbed-local (e2e)', () => {
  it('lands on the worker running the target job, only while it runs, and the kernel throttles that worker', async () => {
    const dir = await createTempDir('proteus-controller-placement-');
    try {
      const workflow = await writeSmallGenomeWorkflow(dir.path);
      const ledgerPath = join(dir.path, 'ledger.jsonl');
      await using testbed = createLocalTestbed({
        workers: [
          { name: 'w1', cores: 1 },
          { name: 'w2', cores: 1 },
        ],
        workDir: join(dir.path, 'testbed'),
        cpuWeight: 64,
      });
      const deployment = await testbed.provision();
      const { injector, applied } = countingInjector(createInjector({ ledgerPath, workDir: dir.path }));
      const controller = createController({
        testbed,
        injector,
        outDir: join(dir.path, 'out'),
        seed: 1,
        ledgerPath,
      });
      const target = 'individuals_ID0000002';
      const config = {
        infrastructure: {
          workers: deployment.workers.map(({ name, cores, memoryMb, site }) => ({ name, cores, memoryMb, site })),
        },
        workflows: { genome: { path: workflow } },
      };
      const result = await controller.runRequests(
        {
          id: 'placed',
          requests: [
            {
              workflow: 'genome',
              anomaly: 'cpu_1',
              anomalousWorkers: 1,
              runs: 1,
              hints: { placement: { jobs: [target] } },
            },
          ],
        },
        { config },
      );
      expect(result).toMatchObject({ done: 1, failed: 0 });
      const rows = await readLabels(result.csvPaths[0] as string);
      const targetRow = rows.find((row) => row.job === target);
      expect(targetRow?.label).toBe('cpu_1');
      // Exactly one window, on the worker the testbed ran the target job on, opened and closed around it.
      const entries = (await readLedger(ledgerPath)).filter((entry) => entry.spec.kind !== 'none');
      expect(entries.map((entry) => entry.worker)).toEqual([targetRow?.worker]);
      expect(entries.every((entry) => entry.state === 'reverted')).toBe(true);
      expect(applied.map((entry) => entry.worker)).toEqual([targetRow?.worker]);
      // Jobs that ran on that worker after the target job ended are normal: the four sinks wait for it and spread
      // over both one-slot workers, so the target's worker runs some of them after the anomaly was reverted.
      const onTargetWorker = rows.filter((row) => row.worker === targetRow?.worker);
      expect(onTargetWorker.filter((row) => row.label === 'None').length).toBeGreaterThan(0);
      if (deployment.isolation !== 'cgroup') {
        console.warn(`controller placement: kernel counters not asserted: ${deployment.isolationNote}`);
        return;
      }
      const [before, after] = applied[0]?.at ?? [];
      const throttled = (after?.cpu?.throttledPeriods ?? 0) - (before?.cpu?.throttledPeriods ?? 0);
      const throttledSeconds = (after?.cpu?.throttledSeconds ?? 0) - (before?.cpu?.throttledSeconds ?? 0);
      console.info(
        `controller placement: cpu_1 on ${applied[0]?.worker} (${applied[0]?.target}) while ${target} ran: throttled in ${throttled} CFS periods (${throttledSeconds.toFixed(2)} s)`,
      );
      expect(applied[0]?.target).toContain(String(targetRow?.worker));
      expect(throttled).toBeGreaterThan(0);
    } finally {
      await dir.dispose();
    }
  }, 300_000);
});
