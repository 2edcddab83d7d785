import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { currentProcessIdentity } from '@proteus-wf/core';
import { createInjector } from '@proteus-wf/injector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createController, parseCampaignConfig } from '../src/index.js';
import { buildCampaignChild } from './support/build-campaign-child.js';
import { diamondPath, smallCampaign } from './support/campaign-fixture.js';
import { createProcessTestbed } from './support/process-testbed.js';
import { createTempDir } from './support/temp-dir.js';

const hasProc = currentProcessIdentity().startTime !== '';
let dir: { path: string; dispose: () => Promise<void> };
let campaignChild: { path: string; dispose: () => Promise<void> };

beforeAll(async () => {
  dir = await createTempDir('proteus-controller-lock-');
  campaignChild = await buildCampaignChild();
});
afterAll(async () => {
  await dir?.dispose();
  await campaignChild?.dispose();
});

function setup(name: string) {
  const outDir = join(dir.path, name);
  const ledgerPath = join(dir.path, `${name}-ledger.jsonl`);
  const testbed = createProcessTestbed({ workers: ['w1', 'w2'], jobMs: 20 });
  const injector = createInjector({ ledgerPath, workDir: dir.path, handleSignals: false });
  const controller = createController({ testbed, injector, outDir, seed: 3, ledgerPath });
  return { outDir, controller, plan: controller.planCampaign(parseCampaignConfig(smallCampaign())) };
}

/** The identity of a process that has exited: its pid and start time name nobody now. */
async function deadIdentity() {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  return { ...currentProcessIdentity(), pid: child.pid as number, startTime, since: '2026-01-01T00:00:00.000Z' };
}

describe.skipIf(!hasProc)('the campaign folder lock', () => {
  it('refuses a second campaign in the same folder with PROTEUS_CONTROLLER_LOCKED naming the holder, then frees it', async () => {
    const { controller, plan, outDir } = setup('same-process');
    const first = controller.runCampaign(plan);
    // Wait until the first holds the lock (it takes it before writing anything else).
    while (!existsSync(join(outDir, 'campaign.lock'))) await new Promise((resolve) => setTimeout(resolve, 2));
    await expect(controller.runCampaign(plan, { resume: true })).rejects.toMatchObject({
      code: 'PROTEUS_CONTROLLER_LOCKED',
      details: { holder: { pid: process.pid } },
    });
    expect(await first).toMatchObject({ done: 3 });
    expect(existsSync(join(outDir, 'campaign.lock'))).toBe(false);
    expect(await controller.runCampaign(plan, { resume: true })).toMatchObject({ done: 3 });
  });

  it('takes over the lock of a dead process', async () => {
    const { controller, plan, outDir } = setup('stale');
    await mkdir(outDir, { recursive: true });
    await writeFile(join(outDir, 'campaign.lock'), `${JSON.stringify(await deadIdentity())}\n`);
    expect(await controller.runCampaign(plan)).toMatchObject({ done: 3, failed: 0 });
    expect(existsSync(join(outDir, 'campaign.lock'))).toBe(false);
  });

  it('refuses a lock held by another live process, and one that names no process', async () => {
    const { controller, plan, outDir } = setup('foreign');
    await mkdir(outDir, { recursive: true });
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => sleeper.once('spawn', resolve));
      const stat = readFileSync(`/proc/${sleeper.pid}/stat`, 'utf8');
      const startTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
      const holder = { ...currentProcessIdentity(), pid: sleeper.pid as number, startTime, since: 'x' };
      await writeFile(join(outDir, 'campaign.lock'), JSON.stringify(holder));
      await expect(controller.runCampaign(plan)).rejects.toMatchObject({
        code: 'PROTEUS_CONTROLLER_LOCKED',
        details: { holder: { pid: sleeper.pid } },
      });
    } finally {
      sleeper.kill('SIGKILL');
    }
    await writeFile(join(outDir, 'campaign.lock'), 'garbage');
    await expect(controller.runCampaign(plan)).rejects.toMatchObject({ code: 'PROTEUS_CONTROLLER_LOCKED' });
    expect(readFileSync(join(outDir, 'campaign.lock'), 'utf8')).toBe('garbage');
  });

  it('lets exactly one of two racing campaign processes run, 3 times out of 3', async () => {
    for (let pair = 0; pair < 3; pair++) {
      const outDir = join(dir.path, `race-${pair}`);
      const ledgerPath = join(dir.path, `race-${pair}-ledger.jsonl`);
      const both = await Promise.all([0, 1].map(() => runChild(outDir, ledgerPath)));
      const winners = both.filter((exit) => exit.code === 0);
      const losers = both.filter((exit) => exit.code !== 0);
      expect(winners, both.map((exit) => exit.stderr).join('\n')).toHaveLength(1);
      expect(JSON.parse(winners[0]?.stdout as string)).toMatchObject({ done: 6, failed: 0 });
      expect(losers[0]?.stderr).toMatch(/PROTEUS_CONTROLLER_LOCKED/);
      expect(losers[0]?.stderr).toMatch(new RegExp(`in use by process ${winners[0]?.pid}`));
    }
  }, 120_000);
});

function runChild(
  outDir: string,
  ledgerPath: string,
): Promise<{ code: number | null; pid: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [campaignChild.path, outDir, ledgerPath, '5', diamondPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, pid: child.pid as number, stdout, stderr }));
  });
}
