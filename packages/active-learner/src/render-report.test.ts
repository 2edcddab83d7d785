import { describe, expect, it } from 'vitest';
import type { EmulationSummary } from './emulate-active-learning.js';
import { describeConfidenceSpread, renderReport, renderSvg } from './render-report.js';
import type { CurvePoint, StrategySummary } from './summarize-learning-curves.js';

const point = (samples: number, auc: number, std: number): CurvePoint => ({
  samples,
  rocAuc: { mean: auc, std },
  averagePrecision: { mean: auc - 0.1, std },
  precisionAtK: { mean: auc - 0.2, std },
});

function strategy(name: string, seeds: number[], std: number, histogram: number[]): StrategySummary {
  const curve = [point(2, 0.6, std), point(4, 0.7, std)];
  return {
    strategy: name,
    label: name,
    terms: { finiteDifference: true, inputSensitivity: true },
    seeds,
    aulc: 0.65,
    aulcStd: std,
    curve,
    final: curve[1] as CurvePoint,
    confidenceHistograms: [histogram, histogram],
    finalByAnomaly: {
      cpu_1: { rocAuc: { mean: 0.71, std }, averagePrecision: { mean: 0.5, std }, precisionAtK: { mean: 0.4, std } },
    },
    queries: seeds.flatMap((seed) => [
      { seed, iteration: 1, random: true, requested: ['cpu_1 ×2'], ran: ['cpu_1', 'cpu_1'], wallSeconds: 12.5 },
      { seed, iteration: 2, random: false, requested: ['hdd_1 ×1', 'normal ×1'], ran: ['hdd_1', 'normal'] },
    ]),
  };
}

function summaryOf(seeds: number[], std: number, histogram = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]): EmulationSummary {
  return {
    workflow: 'genome',
    model: 'gcn',
    dataset: { runs: 10, pool: 6, test: 4, testJobs: 32 },
    settings: {
      strategy: 'gradient',
      seeds: seeds.length,
      iterations: 2,
      perIteration: 2,
      burnIn: 1,
      stepsPerIteration: 5,
    },
    strategies: [strategy('gradient', seeds, std, histogram), strategy('random', seeds, std, histogram)],
  };
}

describe('renderReport', () => {
  it('prints no ± for a single seed and says that one seed is an anecdote', async () => {
    const html = await renderReport(summaryOf([0], 0));
    expect(html).not.toContain('±');
    expect(html).toContain('anecdote');
  });

  it('shows the spread of several seeds as mean ± std', async () => {
    const html = await renderReport(summaryOf([0, 1, 2], 0.05));
    expect(html).toContain('0.700 ± 0.050');
    expect(html).toContain('over 3 seeds (0, 1, 2)');
    expect(html).not.toContain('anecdote');
  });

  it('lists the requested experiments and wall time per iteration, per-anomaly metrics and how to reproduce', async () => {
    const summary = summaryOf([0], 0);
    summary.reproduce = { command: 'proteus al run --seed 0', versions: { '@proteus-wf/cli': '0.0.0' }, seeds: [0] };
    const html = await renderReport(summary);
    expect(html).toContain('<td class="list">hdd_1 ×1, normal ×1</td>');
    expect(html).toContain('<td>12.5</td>');
    expect(html).toMatch(/<td>gradient<\/td><td class="list">cpu_1<\/td><td>0\.710<\/td>/);
    expect(html).toContain('<code>proteus al run --seed 0</code>');
    expect(html).toContain('@proteus-wf/cli');
  });

  it('names the strategy of the Fig. 8 panel and says so when every confidence sits in one bin', async () => {
    const html = await renderReport(summaryOf([0], 0, [0, 0, 0, 0, 0, 0, 0, 0, 1, 19]));
    expect(html).toContain('Confidence histograms of gradient');
    expect(html).toContain('95 % of the labelled jobs');
    // Each cell carries its count, so a panel of near-empty bins is not blank.
    expect(html).toMatch(/<text[^>]*>19<\/text>/);
  });

  it('puts the legend above the curves, inside the chart width (visible in a narrow window)', async () => {
    const html = await renderReport(summaryOf([0], 0));
    expect(html).toContain('svg{max-width:100%;height:auto}');
    const svg = /<svg[^>]*width="(\d+(?:\.\d+)?)"[\s\S]*?<\/svg>/.exec(html);
    const legend = /role-legend"[^>]*><g transform="translate\((-?[\d.]+),(-?[\d.]+)\)"/.exec(svg?.[0] ?? '');
    expect(legend, 'a legend group').not.toBeNull();
    // Above the plots (negative y) at their left edge, not beyond the right edge of three facets.
    expect(Number(legend?.[2])).toBeLessThan(0);
    expect(Number(legend?.[1])).toBeLessThan(Number(svg?.[1]) / 2);
  });

  it('reports no comparison when the anomalies did not measurably change the runs', async () => {
    const summary = summaryOf([0], 0);
    summary.comparison = {
      aulcGain: 0.026,
      target: 0.42,
      samples: 4,
      randomSamples: 8,
      fraction: 0.5,
      meaningful: false,
    };
    summary.warnings = ['The injected anomalies did not measurably change the runs.'];
    const html = await renderReport(summary);
    expect(html).not.toContain('2.6%');
    expect(html).toContain('any difference between the curves is noise');
    expect(html).toContain('did not measurably change the runs.');
  });
});

describe('describeConfidenceSpread', () => {
  it('is silent when the bins spread the confidences and says so when one bin holds most', () => {
    expect(describeConfidenceSpread([[1, 1, 2, 2, 3, 3, 4, 4, 5, 5]])).toBeUndefined();
    expect(describeConfidenceSpread([[0, 0, 0, 0, 0, 0, 0, 0, 0, 10]])).toMatch(/^100 % .* 0\.9–1\.0/);
    expect(describeConfidenceSpread([[0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])).toMatch(/empty/);
  });
});

it('renderSvg renders a vega-lite spec to SVG', async () => {
  const svg = await renderSvg({
    data: { values: [{ a: 1 }] },
    mark: 'point',
    encoding: { x: { field: 'a', type: 'quantitative' } },
  });
  expect(svg.startsWith('<svg')).toBe(true);
});
