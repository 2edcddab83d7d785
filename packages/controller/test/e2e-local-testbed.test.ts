import { createRequire } from 'node:module';
import { join } from 'node:path';
import { loadFlowBench, summarizeDataset } from '@proteus-wf/features';
import { createInjector, readLedger } from '@proteus-wf/injector';
import { readSubmitDir } from '@proteus-wf/pegasus';
import { createLocalTestbed } from '@proteus-wf/testbed-local';
import { describe, expect, it } from 'vitest';
import { createController, parseCampaignConfig } from '../src/index.js';
import { readLabels } from './support/campaign-fixture.js';
import { countingInjector, writeSmallGenomeWorkflow } from './support/local-testbed-fixture.js';
import { createTempDir, repoRoot } from './support/temp-dir.js';

let hasYaml = true;
try {
  createRequire(join(repoRoot, 'packages', 'workflow-graph', 'package.json')).resolve('yaml');
} catch {
  hasYaml = false;
  console.warn(
    'controller e2e on testbed-local: skipped, the `yaml` package (Pegasus YAML workflows) is not installed',
  );
}

describe.skipIf(!hasYaml)('a campaign on testbed-local (e2e)', () => {
  it('produces a dataset with the expected runs and labels, labelled from the ledger', async () => {
    const dir = await createTempDir('proteus-controller-e2e-');
    try {
      const workflow = await writeSmallGenomeWorkflow(dir.path);
      const config = parseCampaignConfig({
        infrastructure: {
          workers: [
            { name: 'w1', cores: 1, memory_mb: 512 },
            { name: 'w2', cores: 1, memory_mb: 512 },
          ],
        },
        experiments: [
          { workflow: 'genome', type: 'normal', number_of_runs: 1, number_of_anomaly_workers: [] },
          { workflow: 'genome', type: 'cpu_1', number_of_runs: 1, number_of_anomaly_workers: [1] },
          { workflow: 'genome', type: 'hdd_1', number_of_runs: 1, number_of_anomaly_workers: [1] },
        ],
        workflows: { genome: { path: workflow } },
      });
      const ledgerPath = join(dir.path, 'ledger.jsonl');
      // Each worker gets a 1-core CPU quota over the host's cores (cgroups when root); a high CPU weight makes the
      // workers behave like dedicated machines on a busy host, so the anomalies are not masked by other load.
      await using testbed = createLocalTestbed({
        workers: config.infrastructure.workers.map((worker) => ({ name: worker.name, cores: worker.cores })),
        workDir: join(dir.path, 'testbed'),
        cpuWeight: 64,
      });
      const { injector, applied } = countingInjector(createInjector({ ledgerPath, workDir: dir.path }));
      const controller = createController({
        testbed,
        injector,
        outDir: join(dir.path, 'out'),
        seed: 1,
        ledgerPath,
      });
      const plan = controller.planCampaign(config);
      const result = await controller.runCampaign(plan);
      expect(result).toMatchObject({ done: 3, failed: 0 });

      const dataset = await loadFlowBench(join(dir.path, 'out', 'genome'), { strict: true });
      const summary = summarizeDataset(dataset);
      expect(summary.runs).toBe(3);
      expect(Object.keys(summary.jobLabels).sort()).toEqual(['cpu_1', 'hdd_1', 'normal']);
      expect((await readLedger(ledgerPath)).every((entry) => entry.state === 'reverted')).toBe(true);

      // Labels follow the ledger: exactly the jobs on each run's anomalous worker carry its anomaly.
      for (const [index, run] of plan.runs.entries()) {
        const rows = await readLabels(result.csvPaths[index] as string);
        for (const row of rows)
          expect(row.label).toBe(run.anomalousWorkers.includes(row.worker) ? run.anomaly : 'None');
      }
      // The controller read each run back through the Pegasus reader and kept its submit directory beside the CSV:
      // the CSV's rows are the submit directory's jobs (worker, runtime), as for a real Pegasus run.
      for (const csv of result.csvPaths) {
        const submit = await readSubmitDir(csv.replace(/\.csv$/, '.submit'));
        expect(submit.result.succeeded).toBe(true);
        const rows = new Map((await readLabels(csv)).map((row) => [row.job, row]));
        expect(submit.result.jobs.map((job) => job.job).sort()).toEqual([...rows.keys()].sort());
        for (const job of submit.result.jobs) {
          expect(rows.get(job.job)?.worker).toBe(job.worker);
          expect(rows.get(job.job)?.runtime).toBeCloseTo(job.executeEnd - job.executeStart, 3);
        }
      }
      // The anomalies acted on the anomalous worker, as the kernel accounts it (never timed: issue 12). Without root
      // the anomalies are host-wide stressors (controller decision "the anomaly name is mapped to the worker's
      // target") whose effect no worker-specific counter shows.
      const deployment = await testbed.provision();
      if (deployment.isolation !== 'cgroup') {
        console.warn(`controller e2e: anomaly effects not asserted: ${deployment.isolationNote}`);
        return;
      }
      const cpuRun = plan.runs[1]?.id as string;
      const hddRun = plan.runs[2]?.id as string;
      const cpu = applied.find((anomaly) => anomaly.runId === cpuRun);
      const hdd = applied.find((anomaly) => anomaly.runId === hddRun);
      const cpuJobs = (await readLabels(result.csvPaths[1] as string)).filter((row) => row.label === 'cpu_1');
      const hddJobs = (await readLabels(result.csvPaths[2] as string)).filter((row) => row.label === 'hdd_1');
      const [cpuBefore, cpuAfter] = cpu?.at ?? [];
      const throttled = (cpuAfter?.cpu?.throttledPeriods ?? 0) - (cpuBefore?.cpu?.throttledPeriods ?? 0);
      const device = hdd?.effect.device as string;
      const [hddBefore, hddAfter] = hdd?.at ?? [];
      const written =
        (hddAfter?.disk?.find((d) => d.device === device)?.writeBytes ?? 0) -
        (hddBefore?.disk?.find((d) => d.device === device)?.writeBytes ?? 0);
      console.info(
        `controller e2e: cpu_1 run throttled the anomalous worker in ${throttled} CFS periods (${cpuJobs.length} cpu_1 jobs); hdd_1 run wrote ${(written / 2 ** 20).toFixed(2)} MiB through the 1 MiB/s throttle on ${device} (${hddJobs.length} hdd_1 jobs)`,
      );
      expect(cpuJobs.length).toBeGreaterThan(0);
      expect(hddJobs.length).toBeGreaterThan(0);
      // cpu_1 withholds a core and half the worker's quota: its CPU-bound job hits the quota and is throttled.
      expect(throttled).toBeGreaterThan(0);
      // hdd_1 caps the worker's direct I/O on the working folder's disk; the ~2 MB genotype chunk goes through it.
      expect(written).toBeGreaterThan(1.5 * 2 ** 20);
    } finally {
      await dir.dispose();
    }
  }, 300_000);
});
