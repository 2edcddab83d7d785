import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadFlowBench } from '@proteus-wf/features';
import { createTempDir, hasSharedDatasets, sharedDataset } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';
import { emulateActiveLearning } from '../src/emulate-active-learning.js';

describe.skipIf(!hasSharedDatasets)('emulateActiveLearning', () => {
  it('runs strategy, ablation, random and standard learning over seeds and writes the summary and a report with three charts', async () => {
    const dataset = await loadFlowBench(sharedDataset('flowbench/eht_imaging.zip'));
    const dir = await createTempDir();
    try {
      const summary = await emulateActiveLearning(dataset, {
        strategy: 'entropy',
        compare: ['random'],
        ablation: true,
        standard: true,
        seeds: 2,
        iterations: 3,
        stepsPerIteration: 2,
        fullPoolSteps: 30,
        out: dir.path,
      });
      expect(summary.strategies.map((s) => s.label)).toEqual([
        'entropy',
        'entropy without term 3',
        'random',
        'random, plain loss',
      ]);
      expect(summary.strategies[1]?.terms).toEqual({ finiteDifference: true, inputSensitivity: false });
      expect(summary.strategies[3]?.terms).toEqual({ finiteDifference: false, inputSensitivity: false });
      expect(summary.dataset).toMatchObject({ runs: 501, test: summary.dataset.test });
      expect(summary.dataset.pool + summary.dataset.test).toBe(501);
      expect(summary.comparison?.randomSamples).toBe(6);
      expect(summary.fullPool?.runs).toBe(summary.dataset.pool);
      expect(summary.fullPool?.perSeed.map((f) => f.seed)).toEqual([0, 1]);
      expect(summary.metrics?.map((m) => m.strategy)).toEqual(summary.strategies.map((s) => s.label));
      expect(summary.metrics?.[0]?.runsToTarget.perSeed).toHaveLength(2);
      expect(summary.comparisons?.map((c) => [c.strategy, c.baseline])).toEqual([
        ['entropy', 'random'],
        ['entropy without term 3', 'random'],
        ['random, plain loss', 'random'],
      ]);
      const random = summary.strategies[2];
      expect(summary.comparison?.aulcGain).toBeCloseTo(
        ((summary.strategies[0]?.aulc as number) - (random?.aulc as number)) / (random?.aulc as number),
        12,
      );
      expect(JSON.parse(await readFile(join(dir.path, 'summary.json'), 'utf8'))).toEqual(summary);
      const html = await readFile(join(dir.path, 'report.html'), 'utf8');
      expect(html.match(/<svg/g)).toHaveLength(3);
      expect(html).toContain('Fig. 8');
      expect(html).not.toContain('<script');
    } finally {
      await dir.dispose();
    }
  }, 240_000);
});
