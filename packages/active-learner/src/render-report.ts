/*
 * The self-contained HTML report of an emulation: learning curves with mean ± std bands, the per-iteration histogram
 * of confidence scores (the paper's Fig. 8) and the ablation of Eq. 6's third term (Figs. 9-10). Charts are vega-lite
 * specs rendered to inline SVG in Node (vega's headless `View.toSVG`, no canvas).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EmulationSummary } from './emulate-active-learning.js';

const METRICS = [
  ['rocAuc', 'ROC-AUC'],
  ['averagePrecision', 'Average precision'],
  ['precisionAtK', 'Precision@k'],
] as const;

/**
 * Renders a vega-lite spec to an SVG string (headless vega `View`, no canvas).
 * @example const svg = await renderSvg({ data: { values }, mark: 'line', encoding: { x: { field: 'samples', type: 'quantitative' } } });
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  // Loaded on first use: vega-canvas probes for `canvas` with a top-level await, which makes require() of a package
  // that imports vega statically fail (ERR_REQUIRE_ASYNC_MODULE).
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function curveRows(summary: EmulationSummary, labels?: ReadonlySet<string>) {
  return summary.strategies
    .filter((s) => !labels || labels.has(s.label))
    .flatMap((s) =>
      s.curve.flatMap((p) =>
        METRICS.map(([key, metric]) => ({
          label: s.label,
          metric,
          samples: p.samples,
          mean: p[key].mean,
          lo: p[key].mean - p[key].std,
          hi: p[key].mean + p[key].std,
        })),
      ),
    );
}

function curveSpec(rows: ReturnType<typeof curveRows>, title: string): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: rows },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: METRICS.map(([, m]) => m) } },
    spec: {
      width: 260,
      height: 200,
      layer: [
        {
          mark: { type: 'errorband', opacity: 0.2 },
          encoding: {
            x: { field: 'samples', type: 'quantitative', title: 'runs acquired' },
            y: { field: 'lo', type: 'quantitative', title: 'test metric', scale: { zero: false } },
            y2: { field: 'hi' },
            color: { field: 'label', type: 'nominal', title: 'strategy' },
          },
        },
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'samples', type: 'quantitative' },
            y: { field: 'mean', type: 'quantitative' },
            color: { field: 'label', type: 'nominal' },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

function histogramSpec(summary: EmulationSummary): TopLevelSpec {
  const rows = summary.strategies
    .filter((s) => s.strategy !== 'random')
    .slice(0, 1)
    .flatMap((s) =>
      s.confidenceHistograms.flatMap((bins, i) => {
        const total = bins.reduce((a, b) => a + b, 0) || 1;
        return bins.map((count, b) => ({
          iteration: i + 1,
          bin: `${(b / 10).toFixed(1)}-${((b + 1) / 10).toFixed(1)}`,
          share: count / total,
        }));
      }),
    );
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Confidence of the labelled jobs per iteration (share of jobs per bin)',
    data: { values: rows },
    width: 420,
    height: 220,
    mark: 'rect',
    encoding: {
      x: { field: 'iteration', type: 'ordinal', title: 'iteration' },
      y: { field: 'bin', type: 'ordinal', title: 'confidence', sort: 'descending' },
      color: { field: 'share', type: 'quantitative', title: 'share', scale: { scheme: 'blues' } },
    },
  } as TopLevelSpec;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Renders the report of an emulation as one self-contained HTML page (inline SVG, no scripts).
 * @example await writeFile('report.html', await renderReport(summary));
 */
export async function renderReport(summary: EmulationSummary): Promise<string> {
  const fmt = (m: { mean: number; std: number }) => `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}`;
  const rows = summary.strategies
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.label)}</td><td>${s.aulc.toFixed(3)} ± ${s.aulcStd.toFixed(3)}</td><td>${fmt(s.final.rocAuc)}</td><td>${fmt(s.final.averagePrecision)}</td><td>${fmt(s.final.precisionAtK)}</td><td>${s.final.samples}</td></tr>`,
    )
    .join('\n');
  const sections = [
    `<h2>Learning curves</h2>${await renderSvg(curveSpec(curveRows(summary), `${summary.workflow}, ${summary.model.toUpperCase()}: test metrics vs runs acquired (mean ± std over ${summary.settings.seeds} seeds)`))}`,
  ];
  if (summary.strategies.some((s) => s.strategy !== 'random'))
    sections.push(`<h2>Confidence histograms (paper Fig. 8)</h2>${await renderSvg(histogramSpec(summary))}`);
  const ablation = summary.strategies.filter((s) => s.strategy === summary.settings.strategy);
  if (ablation.length > 1) {
    const labels = new Set(ablation.map((s) => s.label));
    sections.push(
      `<h2>Ablation: Eq. 6 with and without the third term (paper Figs. 9-10)</h2>${await renderSvg(curveSpec(curveRows(summary, labels), 'with and without the input-sensitivity term'))}`,
    );
  }
  const comparison = summary.comparison
    ? `<p>AULC of <b>${escapeHtml(summary.settings.strategy)}</b> vs random: ${(summary.comparison.aulcGain * 100).toFixed(1)}% (relative). Random's final ROC-AUC ${summary.comparison.target.toFixed(3)} reached by ${escapeHtml(summary.settings.strategy)} after ${summary.comparison.samples ?? 'never (within the budget)'} of ${summary.comparison.randomSamples} runs${summary.comparison.fraction === null ? '' : ` (${(summary.comparison.fraction * 100).toFixed(0)}%)`}.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Proteus active learning: ${escapeHtml(summary.workflow)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}</style>
</head><body>
<h1>Active learning emulation: ${escapeHtml(summary.workflow)} (${summary.model.toUpperCase()})</h1>
<p>${summary.settings.seeds} seeds, ${summary.settings.iterations} iterations of ${summary.settings.perIteration} runs, burn-in ${summary.settings.burnIn}, ${summary.dataset.pool} pool runs, ${summary.dataset.test} held-out test runs (${summary.dataset.testJobs} jobs).</p>
<table><thead><tr><th>strategy</th><th>AULC (ROC-AUC)</th><th>final ROC-AUC</th><th>final AP</th><th>final P@k</th><th>runs</th></tr></thead><tbody>
${rows}
</tbody></table>
${comparison}
${sections.join('\n')}
</body></html>
`;
}
