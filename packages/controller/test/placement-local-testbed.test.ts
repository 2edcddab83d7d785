// Placement (issue 14 §3): a request's `hints.placement.jobs` puts its anomaly on the worker that runs those jobs, for
// as long as they run there. Checked on real processes of testbed-local through the ledger, the labels and the
// kernel's CFS counters of that worker's cgroup, never through the wall clock.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type AnomalyCounters,
  type AnomalyHandle,
  createInjector,
  type Injector,
  readAnomalyCounters,
  readLedger,
} from '@proteus-wf/injector';
import { createLocalTestbed } from '@proteus-wf/testbed-local';
import { describe, expect, it } from 'vitest';
import { createController } from '../src/index.js';
import { readLabels } from './support/campaign-fixture.js';
import { createTempDir, repoRoot } from './support/temp-dir.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot)
  console.warn('controller placement on testbed-local: kernel counters not asserted (needs root for cgroups)');

describe('a placed anomaly on testbed-local (e2e)', () => {
  it('lands on the worker running the target job, only while it runs, and the kernel throttles that worker', async () => {
    const dir = await createTempDir('proteus-controller-placement-');
    try {
      const workflow = join(dir.path, 'workflow', 'workflow.yml');
      await promisify(execFile)(process.execPath, [
        join(repoRoot, 'examples', 'workflows', '1000genome-like', 'generate.mjs'),
        '--scale',
        'small',
        '--out',
        workflow,
      ]);
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
      const applied: Array<{ worker: string; target: string; at: AnomalyCounters[] }> = [];
      const controller = createController({
        testbed,
        injector: countingInjector(createInjector({ ledgerPath, workDir: dir.path }), applied),
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

/** The injector, with each anomaly's kernel counters read right after apply and right before revert. */
function countingInjector(
  injector: Injector,
  applied: Array<{ worker: string; target: string; at: AnomalyCounters[] }>,
): Injector {
  return Object.assign(Object.create(injector) as Injector, {
    apply: async (...args: Parameters<Injector['apply']>): Promise<AnomalyHandle> => {
      const handle = await injector.apply(...args);
      const read = () =>
        readAnomalyCounters(handle.target, { effect: handle.effect }).catch(() => ({ target: handle.target }));
      const entry = { worker: args[2]?.worker ?? '', target: handle.target, at: [await read()] };
      applied.push(entry);
      const revert = async () => {
        entry.at.push(await read());
        await handle.revert();
      };
      return Object.assign(Object.create(handle) as AnomalyHandle, { revert, release: revert });
    },
  });
}
