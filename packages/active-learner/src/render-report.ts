/*
 * The self-contained HTML report of an emulation: learning curves with mean ± std bands, the per-iteration histogram
 * of confidence scores (the paper's Fig. 8) and the ablation of Eq. 6's third term (Figs. 9-10). Charts are vega-lite
 * specs rendered to inline SVG in Node (vega's headless `View.toSVG`, no canvas).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { EmulationSummary } from './emulate-active-learning.js';
import type { StrategySummary } from './summarize-learning-curves.js';

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
    // Above the charts, not right of three facets: a narrow window would scroll the legend out of view.
    config: { legend: { orient: 'top' } },
  } as TopLevelSpec;
}

/** The strategy whose confidences Fig. 8 shows: the first non-random one. */
function histogramStrategy(summary: EmulationSummary): StrategySummary | undefined {
  return summary.strategies.find((s) => s.strategy !== 'random');
}

/**
 * A sentence when the fixed bins cannot spread the confidences: one bin holds at least 80 % of them (after min-max
 * scaling most jobs sit near 1 once the model is sure of them).
 */
export function describeConfidenceSpread(histograms: readonly number[][]): string | undefined {
  const totals = new Array<number>(10).fill(0);
  for (const bins of histograms) {
    for (const [b, count] of bins.entries()) totals[b] = (totals[b] ?? 0) + count;
  }
  const all = totals.reduce((a, b) => a + b, 0);
  if (all === 0) return 'No labelled job has a confidence yet: the histogram is empty.';
  const top = totals.indexOf(Math.max(...totals));
  const share = (totals[top] as number) / all;
  if (share < 0.8) return undefined;
  return `${(share * 100).toFixed(0)} % of the labelled jobs' confidences fall in ${(top / 10).toFixed(1)}–${((top + 1) / 10).toFixed(1)}: the ten fixed bins cannot spread them (the counts in each cell say how many).`;
}

function histogramSpec(strategy: StrategySummary): TopLevelSpec {
  const rows = strategy.confidenceHistograms.flatMap((bins, i) => {
    const total = bins.reduce((a, b) => a + b, 0) || 1;
    return bins.map((count, b) => ({
      iteration: i + 1,
      bin: `${(b / 10).toFixed(1)}-${((b + 1) / 10).toFixed(1)}`,
      share: count / total,
      count,
    }));
  });
  const x = { field: 'iteration', type: 'ordinal', title: 'iteration' };
  const y = { field: 'bin', type: 'ordinal', title: 'confidence', sort: 'descending' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${strategy.label}: confidence of the labelled jobs per iteration (share of jobs per bin)`,
    data: { values: rows },
    width: 420,
    height: 220,
    layer: [
      {
        // Empty cells are drawn too (light grey edge), so a panel whose jobs all sit in one bin is not blank.
        mark: { type: 'rect', stroke: '#ddd' },
        encoding: {
          x,
          y,
          color: { field: 'share', type: 'quantitative', title: 'share', scale: { scheme: 'blues', domain: [0, 1] } },
        },
      },
      {
        mark: { type: 'text', fontSize: 9 },
        encoding: {
          x,
          y,
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: '#333' },
        },
      },
    ],
    config: { legend: { orient: 'top' } },
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
  const seeds = summary.settings.seeds;
  // One seed has no spread to show: print the value alone, never `± 0.000`.
  const fmt = (m: { mean: number; std: number }) =>
    seeds > 1 ? `${m.mean.toFixed(3)} ± ${m.std.toFixed(3)}` : m.mean.toFixed(3);
  const rows = summary.strategies
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.label)}</td><td>${fmt({ mean: s.aulc, std: s.aulcStd })}</td><td>${fmt(s.final.rocAuc)}</td><td>${fmt(s.final.averagePrecision)}</td><td>${fmt(s.final.precisionAtK)}</td><td>${s.final.samples}</td></tr>`,
    )
    .join('\n');
  const spread =
    seeds > 1
      ? `<p>Values are mean ± standard deviation over ${seeds} seeds (${summary.strategies[0]?.seeds.join(', ') ?? ''}).</p>`
      : `<p class="warn">One seed (${summary.strategies[0]?.seeds.join(', ') ?? ''}): these numbers are an anecdote, not a result. Differences between strategies may be chance; rerun with several seeds to see the spread.</p>`;
  const band = seeds > 1 ? `mean ± std over ${seeds} seeds` : 'one seed: no spread';
  const sections = [
    `<h2>Learning curves</h2>${await renderSvg(curveSpec(curveRows(summary), `${summary.workflow}, ${summary.model.toUpperCase()}: test metrics vs runs acquired (${band})`))}`,
  ];
  const shown = histogramStrategy(summary);
  if (shown) {
    const caveat = describeConfidenceSpread(shown.confidenceHistograms);
    sections.push(
      `<h2>Confidence histograms of ${escapeHtml(shown.label)} (paper Fig. 8)</h2>${caveat ? `<p>${escapeHtml(caveat)}</p>` : ''}${await renderSvg(histogramSpec(shown))}`,
    );
  }
  const ablation = summary.strategies.filter((s) => s.strategy === summary.settings.strategy);
  if (ablation.length > 1) {
    const labels = new Set(ablation.map((s) => s.label));
    sections.push(
      `<h2>Ablation: Eq. 6 with and without the third term (paper Figs. 9-10)</h2>${await renderSvg(curveSpec(curveRows(summary, labels), 'with and without the input-sensitivity term'))}`,
    );
  }
  sections.push(renderByAnomaly(summary, fmt), renderQueries(summary));
  if (summary.anomalyEffects) sections.push(renderEffects(summary.anomalyEffects));
  if (summary.reproduce) sections.push(renderReproduce(summary.reproduce));
  const c = summary.comparison;
  const comparison = !c
    ? ''
    : c.meaningful === false
      ? `<p class="warn">No comparison of ${escapeHtml(summary.settings.strategy)} with random: the injected anomalies did not measurably change the runs, so any difference between the curves is noise.</p>`
      : `<p>AULC of <b>${escapeHtml(summary.settings.strategy)}</b> vs random: ${(c.aulcGain * 100).toFixed(1)}% (relative${seeds > 1 ? '' : ', one seed'}). Random's final ROC-AUC ${c.target.toFixed(3)} reached by ${escapeHtml(summary.settings.strategy)} after ${c.samples ?? 'never (within the budget)'} of ${c.randomSamples} runs${c.fraction === null ? '' : ` (${(c.fraction * 100).toFixed(0)}%)`}.</p>`;
  const warnings = (summary.warnings ?? []).map((w) => `<p class="warn">${escapeHtml(w)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Proteus active learning: ${escapeHtml(summary.workflow)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}svg{max-width:100%;height:auto}table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}td.list{text-align:left}.warn{border-left:4px solid #c00;background:#fee;padding:6px 10px}.wide{overflow-x:auto}code{word-break:break-all}</style>
</head><body>
<h1>Active learning emulation: ${escapeHtml(summary.workflow)} (${summary.model.toUpperCase()})</h1>
${warnings}
<p>${seeds} seed${seeds === 1 ? '' : 's'}, ${summary.settings.iterations} iterations of ${summary.settings.perIteration} runs, burn-in ${summary.settings.burnIn}, ${summary.dataset.pool} pool runs, ${summary.dataset.test} held-out test runs (${summary.dataset.testJobs} jobs).</p>
${spread}
<div class="wide"><table><thead><tr><th>strategy</th><th>AULC (ROC-AUC)</th><th>final ROC-AUC</th><th>final AP</th><th>final P@k</th><th>runs</th></tr></thead><tbody>
${rows}
</tbody></table></div>
${comparison}
${sections.filter(Boolean).join('\n')}
</body></html>
`;
}

function renderByAnomaly(summary: EmulationSummary, fmt: (m: { mean: number; std: number }) => string): string {
  const types = [...new Set(summary.strategies.flatMap((s) => Object.keys(s.finalByAnomaly ?? {})))].sort();
  if (types.length === 0) return '';
  const rows = summary.strategies.flatMap((s) =>
    types.map((type) => {
      const m = s.finalByAnomaly?.[type];
      return m
        ? `<tr><td>${escapeHtml(s.label)}</td><td class="list">${escapeHtml(type)}</td><td>${fmt(m.rocAuc)}</td><td>${fmt(m.averagePrecision)}</td><td>${fmt(m.precisionAtK)}</td></tr>`
        : '';
    }),
  );
  return `<h2>Final test metrics per anomaly type</h2><p>Each anomaly's jobs against every normal job of the test runs.</p><div class="wide"><table><thead><tr><th>strategy</th><th>anomaly</th><th>ROC-AUC</th><th>AP</th><th>P@k</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function renderQueries(summary: EmulationSummary): string {
  const rows = summary.strategies.flatMap((s) =>
    (s.queries ?? []).map(
      (q) =>
        `<tr><td>${escapeHtml(s.label)}</td><td>${q.seed}</td><td>${q.iteration}${q.random ? ' (random)' : ''}</td><td class="list">${escapeHtml(q.requested.join(', '))}</td><td class="list">${escapeHtml(q.ran.join(', '))}</td><td>${q.wallSeconds === undefined ? '–' : q.wallSeconds.toFixed(1)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '';
  return `<h2>Experiments requested per iteration</h2><div class="wide"><table><thead><tr><th>strategy</th><th>seed</th><th>iteration</th><th>requested</th><th>runs returned</th><th>wall s</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function renderEffects(found: NonNullable<EmulationSummary['anomalyEffects']>): string {
  const rows = found.effects
    .map(
      (e) =>
        `<tr><td>${escapeHtml(e.anomaly)}</td><td>${e.anomalousJobs}</td><td>${e.referenceJobs}</td><td>${Number.isFinite(e.medianRatio) ? e.medianRatio.toFixed(2) : '–'}</td><td>${Number.isFinite(e.referenceMedianRatio) ? e.referenceMedianRatio.toFixed(2) : '–'}</td><td>${e.pValue === null ? 'too few jobs' : e.pValue.toFixed(3)}</td><td>${e.adjustedPValue === null ? '–' : e.adjustedPValue.toFixed(3)}</td><td>${e.measurable ? 'yes' : '<b>no</b>'}</td></tr>`,
    )
    .join('');
  return `<h2>Did the anomalies change the runs?</h2><p>Method: ${escapeHtml(found.method)}.</p><div class="wide"><table><thead><tr><th>anomaly</th><th>anomalous jobs</th><th>normal jobs, same runs</th><th>median ratio</th><th>normal median ratio</th><th>p</th><th>p, Holm</th><th>measurable</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function renderReproduce(reproduce: NonNullable<EmulationSummary['reproduce']>): string {
  const versions = Object.entries(reproduce.versions)
    .map(([name, version]) => `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(version)}</td></tr>`)
    .join('');
  return `<h2>Reproduce</h2><p><code>${escapeHtml(reproduce.command)}</code></p><p>Seeds: ${reproduce.seeds.join(', ')}.</p><table><thead><tr><th>package</th><th>version</th></tr></thead><tbody>${versions}</tbody></table>`;
}
