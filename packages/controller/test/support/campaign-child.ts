/*
 * A campaign in its own process, for the kill -9 test: `node campaign-child.mjs <outDir> <ledgerPath> <seed>`.
 * Bundled by the test with esbuild (the `@proteus-wf/source` condition), so it runs the sources under test.
 */
import { dirname } from 'node:path';
import { createInjector } from '@proteus-wf/injector';
import { createController, parseCampaignConfig } from '../../src/index.js';
import { smallCampaign } from './campaign-fixture.js';
import { createProcessTestbed } from './process-testbed.js';

const [outDir, ledgerPath, seed, dagPath] = process.argv.slice(2) as [string, string, string, string];
const testbed = createProcessTestbed({ workers: ['w1', 'w2'], jobMs: 40 });
const injector = createInjector({ ledgerPath, workDir: dirname(ledgerPath), handleSignals: false });
const controller = createController({ testbed, injector, outDir, seed: Number(seed), ledgerPath });
const config = parseCampaignConfig(
  smallCampaign({
    experiments: [
      { workflow: 'diamond', type: 'normal', number_of_runs: 2, number_of_anomaly_workers: [] },
      { workflow: 'diamond', type: 'cpu_1', number_of_runs: 2, number_of_anomaly_workers: [1] },
      { workflow: 'diamond', type: 'hdd_1', number_of_runs: 2, number_of_anomaly_workers: [1] },
    ],
    workflows: { diamond: { path: dagPath } },
  }),
);
const result = await controller.runCampaign(controller.planCampaign(config));
process.stdout.write(`${JSON.stringify({ planId: result.planId, done: result.done, failed: result.failed })}\n`);
