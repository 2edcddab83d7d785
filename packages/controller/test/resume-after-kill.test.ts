import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '@proteus-wf/core';
import { loadFlowBench } from '@proteus-wf/features';
import { readLedger } from '@proteus-wf/injector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CampaignPlan, readExperimentLog } from '../src/index.js';
import { buildCampaignChild } from './support/build-campaign-child.js';
import { diamondPath, readLabels } from './support/campaign-fixture.js';
import { createTempDir } from './support/temp-dir.js';

let dir: { path: string; dispose: () => Promise<void> };
let campaignChild: { path: string; dispose: () => Promise<void> };

beforeAll(async () => {
  dir = await createTempDir('proteus-controller-kill-');
  campaignChild = await buildCampaignChild();
});
afterAll(async () => {
  await dir?.dispose();
  await campaignChild?.dispose();
});

interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the child; kills it with SIGKILL as soon as the experiment log matches `killWhen`. */
function startCampaign(outDir: string, ledgerPath: string, killWhen?: (log: string) => boolean): Promise<ChildExit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [campaignChild.path, outDir, ledgerPath, '5', diamondPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const poll = killWhen
      ? setInterval(() => {
          readFile(join(outDir, 'experiments.log.jsonl'), 'utf8').then(
            (text) => killWhen(text) && child.kill('SIGKILL'),
            () => undefined,
          );
        }, 5)
      : undefined;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Processes still carrying an injector stressor's marker: anomalies left behind. */
async function stressorsAlive(): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const environ = await readFile(`/proc/${name}/environ`, 'utf8').catch(() => '');
    if (environ.includes('PROTEUS_ANOMALY_ID=') && environ.includes(dir.path)) pids.push(Number(name));
  }
  return pids;
}

describe('a campaign killed with SIGKILL at random points', () => {
  it('resumes on rerun with no run lost, duplicated or half-written, and no anomaly left applied', async () => {
    const outDir = join(dir.path, 'out');
    const ledgerPath = join(dir.path, 'ledger.jsonl');
    const rng = createRng(2024);
    const kills: number[] = [];
    let killedMidCampaign = 0;
    // Kill points are counted in experiment-log events, not milliseconds, so a fast or a loaded machine kills the
    // campaign at the same (seeded, random) places instead of letting it finish first.
    const events = (log: string) => log.split('\n').filter(Boolean).length;
    for (let attempt = 0; attempt < 6; attempt++) {
      const logBefore = await readFile(join(outDir, 'experiments.log.jsonl'), 'utf8').catch(() => '');
      const target = events(logBefore) + rng.int(1, 6);
      // One kill is aimed at a run whose anomaly is applied, so recovery must revert a live stressor.
      const applied = (log: string) => log.split('"anomaly-applied"').length - 1;
      const appliedBefore = applied(logBefore);
      const killWhen =
        attempt === 1 ? (log: string) => applied(log) > appliedBefore : (log: string) => events(log) >= target;
      const exit = await startCampaign(outDir, ledgerPath, killWhen);
      if (exit.signal === 'SIGKILL') {
        kills.push(target);
        const log = await readExperimentLog(join(outDir, 'experiments.log.jsonl'));
        const done = new Set(log.filter((e) => e.event === 'run-done').map((e) => (e as { runId: string }).runId));
        if (done.size > 0 && done.size < 6) killedMidCampaign++;
      } else {
        expect(exit.code, exit.stderr).toBe(0);
      }
    }
    expect(kills.length).toBeGreaterThanOrEqual(3);
    expect(killedMidCampaign).toBeGreaterThanOrEqual(1);

    const final = await startCampaign(outDir, ledgerPath);
    expect(final.code, final.stderr).toBe(0);
    const summary = JSON.parse(final.stdout) as { planId: string; done: number; failed: number };
    expect(summary).toMatchObject({ done: 6, failed: 0 });

    // No run lost or duplicated: exactly the six planned CSVs, each complete, and no temporary file left.
    const plan = JSON.parse(await readFile(join(outDir, 'plans', `${summary.planId}.json`), 'utf8')) as CampaignPlan;
    expect((await readdir(join(outDir, 'diamond'))).sort()).toEqual(plan.runs.map((run) => `${run.id}.csv`).sort());
    for (const run of plan.runs) {
      const rows = await readLabels(join(outDir, 'diamond', `${run.id}.csv`));
      expect(rows.map((row) => row.job).sort()).toEqual([
        'analyze_ID0000004',
        'findrange_ID0000002',
        'findrange_ID0000003',
        'preprocess_ID0000001',
      ]);
      for (const row of rows) expect(row.label).toBe(run.anomalousWorkers.includes(row.worker) ? run.anomaly : 'None');
    }
    const dataset = await loadFlowBench(join(outDir, 'diamond'), { strict: true });
    expect(dataset.runs).toHaveLength(6);

    const log = await readExperimentLog(join(outDir, 'experiments.log.jsonl'));
    const doneLines = log.filter((e) => e.event === 'run-done').map((e) => (e as { runId: string }).runId);
    expect(doneLines.sort()).toEqual(plan.runs.map((run) => run.id).sort());

    // No anomaly left applied: every ledger entry reverted, no stressor process alive.
    const ledger = await readLedger(ledgerPath);
    expect(ledger.length).toBeGreaterThanOrEqual(4);
    expect(ledger.filter((entry) => entry.state !== 'reverted')).toEqual([]);
    expect(ledger.some((entry) => entry.revertReason === 'recover')).toBe(true);
    expect(await stressorsAlive()).toEqual([]);
  }, 120_000);
});
