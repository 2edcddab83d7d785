#!/usr/bin/env node
// Evidence for issue 14: active learning measured in experiments, on Flow-Bench workflows (job-level binary GCN).
// Per seed (each fixes the test split and the initialisation of every entry, so entries pair by seed): a full-pool
// model trained to convergence sets the target (its test ROC-AUC - --target-gap); `random` and `--strategy`
// (default `gradient`, the paper's rule) run under the converge protocol with the stopping rule recorded (stable
// predictions). Seeds run in `--jobs` worker processes; each finished seed is one file
// `<out>/<workflow>/seed-<s>.json` (curves, full-pool ROC-AUC, wall time, load), so an interrupted evaluation resumes
// where it stopped and a partial one still reports the seeds it has. The merge writes `<out>/evaluation.json` and
// `<out>/evaluation.md`: the §1 table (runs and testbed-seconds to target, AULC over 16 runs, worst seed, swing,
// paired ratios and gains with 95% t-intervals, via `summarizeStrategyMetrics` / `summarizePairedComparison`) and
// the §2 stopping table. Run it under `nice`; it prints the load beside every number.
// Tuning runs: before any seed splits, a fixed share of every workflow's runs (`--tuning-share`, stratified by run
// label, fixed seed TUNING_SEED) is carved out; every seed's test split and pool come from the other runs, so no test
// split ever holds a tuning run. `--tuning-seeds` extra seeds (1000, 1001, ...) evaluate on the tuning runs instead of
// their test split: the stopping rule's thresholds are chosen on those seeds only (a grid, one rule for every
// workflow) and then reported on the test seeds, never chosen on them.
//   nice -n 10 npm run evaluate:al -- [--out al-evaluation] [--seeds 10] [--tuning-seeds 3] [--jobs 2]
//        [--iterations 8] [--workflows 1000genome,montage,predict_future_sales] [--strategy gradient|none]
//        [--max-steps 80] [--full-pool-steps 600] [--full-pool-patience 10] [--full-pool-min-steps 100] [--skip-build]
//   npm run evaluate:al -- --merge-only --out al-evaluation
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { tableFromIPC, tableToIPC } from 'apache-arrow';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'al-evaluation' },
    seeds: { type: 'string', default: '10' },
    jobs: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '8' },
    'per-iteration': { type: 'string', default: '2' },
    workflows: { type: 'string', default: '1000genome,montage,predict_future_sales' },
    strategy: { type: 'string', default: 'gradient' },
    'max-steps': { type: 'string', default: '80' },
    'full-pool-steps': { type: 'string', default: '600' },
    'full-pool-patience': { type: 'string', default: '10' },
    'full-pool-min-steps': { type: 'string', default: '100' },
    'target-gap': { type: 'string', default: '0.01' },
    'tuning-share': { type: 'string', default: '0.1' },
    'tuning-seeds': { type: 'string', default: '3' },
    datasets: { type: 'string', default: resolve(root, '..', 'shared', 'datasets', 'flowbench') },
    'skip-build': { type: 'boolean', default: false },
    'merge-only': { type: 'boolean', default: false },
    worker: { type: 'string' },
    refit: { type: 'boolean', default: false },
    'seed-list': { type: 'string' },
  },
});

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

const TUNING_SEED = 0x7a11;
let decideStop;
let defineStoppingRule;
const FIRST_TUNING_SEED = 1000;
const strategies = values.strategy === 'none' ? ['random'] : ['random', values.strategy];

if (values.worker) {
  await runWorker(values.worker, values['seed-list'].split(',').map(Number));
  process.exit(0);
}

if (!values['skip-build'] && !values['merge-only']) {
  const packages = ['core', 'workflow-graph', 'features', 'models', 'active-learner'].flatMap((p) => [
    '-w',
    `@proteus-wf/${p}`,
  ]);
  const build = spawnSync('npm', ['run', 'build', '--silent', ...packages], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const workflows = values.workflows.split(',');
if (!values['merge-only']) {
  const seeds = [
    ...Array.from({ length: Number(values['tuning-seeds']) }, (_, s) => FIRST_TUNING_SEED + s),
    ...Array.from({ length: Number(values.seeds) }, (_, s) => s),
  ];
  for (const workflow of workflows) {
    const todo = seeds.filter((s) => !existsSync(join(values.out, workflow, `seed-${s}.json`)));
    const jobs = Math.max(1, Math.min(Number(values.jobs), todo.length));
    const lists = Array.from({ length: jobs }, (_, j) => todo.filter((_, i) => i % jobs === j));
    await Promise.all(
      lists
        .filter((list) => list.length > 0)
        .map(
          (list) =>
            new Promise((done, fail) => {
              const args = [...process.argv.slice(1), '--worker', workflow, '--seed-list', list.join(',')];
              const child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
              child.on('exit', (code) =>
                code === 0 ? done() : fail(new Error(`${workflow} seeds ${list}: exit ${code}`)),
              );
            }),
        ),
    );
  }
}
await merge(workflows);

/**
 * Splits a dataset into the fixed tuning runs and the rest (every seed's test split and pool come from the rest).
 * The same runs for every seed: stratified by run label with TUNING_SEED.
 */
async function carveTuningRuns(dataset) {
  const { splitByRun } = await import('@proteus-wf/features');
  const share = Number(values['tuning-share']);
  const split = splitByRun(
    { runs: dataset.runs, jobsPerRun: dataset.jobsPerRun },
    { seed: TUNING_SEED, ratios: { train: 1 - share, validation: 0, test: share } },
  );
  const rest = [...split.train, ...split.validation].sort((a, b) => a - b);
  return {
    rest: subsetRuns(dataset, rest),
    tuning: subsetRuns(
      dataset,
      [...split.test].sort((a, b) => a - b),
    ),
  };
}

function subsetRuns(dataset, indices) {
  const n = dataset.jobsPerRun;
  const ranges = [];
  for (const i of indices) {
    const last = ranges.at(-1);
    if (last && last[1] === i) last[1] = i + 1;
    else ranges.push([i, i + 1]);
  }
  const tables = ranges.map(([a, b]) => dataset.jobs.slice(a * n, b * n));
  // An IPC round trip re-packs the sliced chunks at offset 0 (features' dictionary reader assumes unsliced chunks).
  return {
    ...dataset,
    jobs: tableFromIPC(tableToIPC(tables[0].concat(...tables.slice(1)))),
    runs: indices.map((i, k) => ({ ...dataset.runs[i], runIndex: k })),
  };
}

/**
 * The tuning runs as an evaluation set, scaled with the seed's pool scaler. They are not in the backend's dataset at
 * all; the backend is told they are held out so the loop's leak check accepts them.
 */
async function tuningSetOf(tuning, backend) {
  const { extractFeatures, toTensors } = await import('@proteus-wf/features');
  const tensors = toTensors(extractFeatures(tuning), { scaler: backend.scaler });
  const ids = new Set(tensors.runIds);
  const isHeldOut = backend.isHeldOut.bind(backend);
  backend.isHeldOut = (runId) => ids.has(runId) || isHeldOut(runId);
  return { runIds: [...tensors.runIds], runs: tensors.shape[0], x: tensors.X, jobBinary: tensors.jobBinary };
}

async function runWorker(workflow, seeds) {
  const { loadFlowBench } = await import('@proteus-wf/features');
  const { createEmulationBackend, runActiveLearning, seedCurveOf } = await import('@proteus-wf/active-learner');
  const { rest: dataset, tuning } = await carveTuningRuns(
    await loadFlowBench(join(values.datasets, `${workflow}.zip`)),
  );
  mkdirSync(join(values.out, workflow), { recursive: true });
  const iterations = Number(values.iterations);
  const perIteration = Number(values['per-iteration']);
  const training = { kind: 'converge', maxSteps: Number(values['max-steps']) };
  if (values.refit) {
    // Retrain only the full-pool reference of finished seeds with the current --full-pool-* settings.
    for (const seed of seeds) {
      const path = join(values.out, workflow, `seed-${seed}.json`);
      if (!existsSync(path)) continue;
      const record = JSON.parse(readFileSync(path, 'utf8'));
      const backend = createEmulationBackend(dataset, { seed });
      const full = await runActiveLearning({
        backend,
        evaluation: seed >= FIRST_TUNING_SEED ? await tuningSetOf(tuning, backend) : backend.testSet(),
        strategy: 'random',
        seed,
        iterations: 1,
        perIteration: backend.remaining().length,
        training: {
          ...training,
          maxSteps: Number(values['full-pool-steps']),
          minSteps: Math.min(Number(values['full-pool-min-steps']), Number(values['full-pool-steps'])),
          patience: Number(values['full-pool-patience']),
        },
        stopping: { rule: 'never' },
      });
      const refit = {
        ...record,
        earlierFullPool: { rocAuc: record.fullPool, steps: record.fullPoolSteps, settings: record.settings },
        fullPool: full.iterations[0]?.metrics?.rocAuc,
        fullPoolSteps: full.iterations[0]?.trainingSteps,
        settings: {
          ...record.settings,
          fullPoolSteps: Number(values['full-pool-steps']),
          fullPoolPatience: Number(values['full-pool-patience']),
          fullPoolMinSteps: Number(values['full-pool-min-steps']),
        },
      };
      writeFileSync(path, `${JSON.stringify(refit)}\n`);
      process.stderr.write(
        `${workflow} seed ${seed} full pool refit ${record.fullPool.toFixed(3)} -> ${refit.fullPool.toFixed(3)} (${refit.fullPoolSteps} steps), load ${load()}\n`,
      );
    }
    return;
  }
  for (const seed of seeds) {
    if (existsSync(join(values.out, workflow, `seed-${seed}.json`))) continue;
    const started = Date.now();
    const loadBefore = load();
    const role = seed >= FIRST_TUNING_SEED ? 'tuning' : 'test';
    const fresh = async () => {
      const backend = createEmulationBackend(dataset, { seed });
      return { backend, evaluation: role === 'tuning' ? await tuningSetOf(tuning, backend) : backend.testSet() };
    };
    const pool = await fresh();
    const poolRuns = pool.backend.remaining().length;
    const full = await runActiveLearning({
      ...pool,
      strategy: 'random',
      seed,
      iterations: 1,
      perIteration: poolRuns,
      training: {
        ...training,
        maxSteps: Number(values['full-pool-steps']),
        minSteps: Math.min(Number(values['full-pool-min-steps']), Number(values['full-pool-steps'])),
        patience: Number(values['full-pool-patience']),
      },
      stopping: { rule: 'never' },
    });
    const curves = {};
    for (const strategy of strategies) {
      const result = await runActiveLearning({
        ...(await fresh()),
        strategy,
        seed,
        iterations,
        perIteration,
        training,
        stopping: { rule: 'stable-predictions', onStop: 'record' },
      });
      curves[strategy] = {
        ...seedCurveOf(result),
        agreements: result.iterations.map((it) => it.stopAgreement ?? null),
        stopReason: result.stopAt?.reason ?? 'never fired',
      };
      process.stderr.write(
        `${workflow} seed ${seed} ${strategy}: ${curves[strategy].points.map((p) => `${p.runs}:${p.rocAuc.toFixed(3)}`).join(' ')} | stop ${result.stopAt?.samples ?? '-'} | load ${load()}\n`,
      );
    }
    const record = {
      workflow,
      seed,
      role,
      evaluationRuns: pool.evaluation.runs,
      tuningRuns: tuning.runs.length,
      poolRuns,
      fullPool: full.iterations[0]?.metrics?.rocAuc,
      fullPoolSteps: full.iterations[0]?.trainingSteps,
      curves,
      settings: {
        iterations,
        perIteration,
        training,
        fullPoolSteps: Number(values['full-pool-steps']),
        fullPoolPatience: Number(values['full-pool-patience']),
        fullPoolMinSteps: Number(values['full-pool-min-steps']),
      },
      wallSeconds: (Date.now() - started) / 1000,
      load: { before: loadBefore, after: load() },
    };
    writeFileSync(join(values.out, workflow, `seed-${seed}.json`), `${JSON.stringify(record)}\n`);
    process.stderr.write(
      `${workflow} seed ${seed} done in ${record.wallSeconds.toFixed(0)} s (full pool ${record.fullPool.toFixed(3)}), load ${load()}\n`,
    );
  }
}

/**
 * Where the stable-predictions rule with these thresholds stops a recorded curve (null: it never fires): the loop's
 * own `decideStop` replayed on the recorded per-iteration agreements.
 */
function simulateStop(curve, thresholds) {
  const rule = defineStoppingRule(thresholds);
  let stable = 0;
  for (const [i, point] of curve.points.entries()) {
    const decision = decideStop(rule, {
      agreement: curve.agreements?.[i] ?? null,
      stable,
      runs: point.runs,
      stopSetRuns: rule.stopSetRuns,
    });
    stable = decision.stable;
    if (decision.stop) return point;
  }
  return null;
}

/**
 * Over records × strategies: `good` where the rule stopped at ≤ 1/20 of the pool at or above the seed's target,
 * `premature` where it stopped below the target although the curve reached it later within the budget.
 */
function scoreRule(records, rule, gap) {
  let good = 0;
  let premature = 0;
  let fired = 0;
  let runs = 0;
  let total = 0;
  for (const r of records) {
    for (const curve of Object.values(r.curves)) {
      total++;
      const stop = simulateStop(curve, rule);
      if (!stop) continue;
      fired++;
      runs += stop.runs;
      const target = r.fullPool - gap;
      if (stop.runs <= r.poolRuns / 20 && stop.rocAuc >= target) good++;
      else if (stop.rocAuc < target && curve.points.some((p) => p.runs > stop.runs && p.rocAuc >= target)) premature++;
    }
  }
  return { good, premature, fired, total, meanRuns: fired === 0 ? null : runs / fired };
}

/**
 * The grid's best rule on the tuning seeds: most seeds meeting the target, then fewest premature stops, then fewest
 * runs at the stop.
 */
function tuneRule(records, gap) {
  let best = null;
  const key = (score) => [-score.good, score.premature, score.meanRuns ?? 1e9];
  for (const agreement of [0.6, 0.7, 0.8, 0.85, 0.9, 0.95])
    for (const window of [1, 2, 3])
      for (const minRuns of [2, 4, 6, 8, 10]) {
        const rule = { agreement, window, minRuns };
        const score = scoreRule(records, rule, gap);
        const [a, b] = [key(score), best ? key(best.score) : null];
        const better = !b || a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));
        if (better) best = { rule, score };
      }
  return best;
}

function readRecords(workflow) {
  const folder = join(values.out, workflow);
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => /^seed-\d+\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(folder, f), 'utf8')))
    .sort((a, b) => a.seed - b.seed);
}

async function merge(names) {
  const { summarizePairedComparison, summarizeStrategyMetrics } = await import('@proteus-wf/active-learner');
  ({ decideStop, defineStoppingRule } = await import('@proteus-wf/active-learner'));
  const gap = Number(values['target-gap']);
  const all = names.map((workflow) => ({ workflow, records: readRecords(workflow) }));
  const tuningRecords = all.flatMap((w) => w.records.filter((r) => r.role === 'tuning'));
  const tuned = tuningRecords.length > 0 ? tuneRule(tuningRecords, gap) : null;
  const defaultRule = { agreement: 0.9, window: 3, minRuns: 6 };
  const entries = [];
  for (const { workflow, records: everyRecord } of all) {
    // Records of earlier versions carry no role: they evaluated on their test split.
    const records = everyRecord.filter((r) => r.role !== 'tuning');
    if (records.length === 0) continue;
    const targetBySeed = Object.fromEntries(records.map((r) => [r.seed, r.fullPool - gap]));
    const fullPool = records.reduce((a, r) => a + r.fullPool, 0) / records.length;
    const options = { target: fullPool - gap, targetBySeed };
    const strategies = Object.keys(records[0].curves);
    const curvesOf = (name) => records.map((r) => r.curves[name]);
    const metrics = strategies.map((name) => summarizeStrategyMetrics(name, curvesOf(name), options));
    const comparisons = strategies
      .filter((name) => name !== 'random')
      .map((name) => summarizePairedComparison(name, curvesOf(name), 'random', curvesOf('random'), options));
    const oracle = Object.fromEntries(
      strategies.map((name) => [
        name,
        records.map((r) => r.curves[name].points.find((p) => p.rocAuc >= r.fullPool - gap)?.runs ?? null),
      ]),
    );
    const rules = Object.fromEntries(
      [['default', defaultRule], ...(tuned ? [['tuned', tuned.rule]] : [])].map(([name, rule]) => [
        name,
        Object.fromEntries(
          strategies.map((strategy) => [
            strategy,
            records.map((r) => {
              const stop = r.curves[strategy].agreements ? simulateStop(r.curves[strategy], rule) : undefined;
              const at =
                stop === undefined && r.curves[strategy].stopped
                  ? r.curves[strategy].points.find((p) => p.runs >= r.curves[strategy].stopped.runs)
                  : stop;
              return at ? { runs: at.runs, rocAuc: at.rocAuc, target: r.fullPool - gap } : null;
            }),
          ]),
        ),
      ]),
    );
    entries.push({
      workflow,
      seeds: records.map((r) => r.seed),
      pool: records[0].poolRuns,
      fullPool: {
        rocAuc: fullPool,
        runs: records[0].poolRuns,
        perSeed: records.map((r) => ({ seed: r.seed, rocAuc: r.fullPool })),
      },
      targetGap: gap,
      settings: records[0].settings,
      metrics,
      comparisons,
      oracle,
      rules,
      stopReasons: Object.fromEntries(strategies.map((name) => [name, records.map((r) => r.curves[name].stopReason)])),
      wallSeconds: records.map((r) => r.wallSeconds),
      load: records.map((r) => r.load),
      tuningSeeds: everyRecord.filter((r) => r.role === 'tuning').map((r) => r.seed),
    });
  }
  const summary = { tuned, defaultRule, tuningSeeds: tuningRecords.length, entries };
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'evaluation.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(values.out, 'evaluation.md'), renderMarkdown(summary));
  for (const e of entries)
    console.log(
      JSON.stringify({
        workflow: e.workflow,
        seeds: e.seeds.length,
        fullPool: e.fullPool.rocAuc,
        oracle: e.oracle,
        comparisons: e.comparisons,
        load: load(),
      }),
    );
}

function fmt(value, digits = 2) {
  return value === null || value === undefined || Number.isNaN(value) ? '—' : value.toFixed(digits);
}

function interval(m, digits = 2) {
  if (!m || m.mean === null) return '—';
  return `${fmt(m.mean, digits)} ${m.ci95 ? `[${fmt(m.ci95[0], digits)}, ${fmt(m.ci95[1], digits)}]` : ''} (${m.seeds})`;
}

function renderMarkdown({ entries, tuned, defaultRule, tuningSeeds }) {
  const describe = (rule) => `κ ≥ ${rule.agreement} for ${rule.window} iteration(s), ≥ ${rule.minRuns} runs`;
  const lines = [
    '### §1 Runs and testbed-seconds to target (target = each seed’s full-pool ROC-AUC − 0.01), paired by seed',
    '',
    '| workflow | seeds | pool runs | full-pool ROC-AUC | strategy | runs to target (seeds reached) | testbed-s to target | AULC ≤16 runs | worst-seed ROC-AUC | swing | runs ratio vs random [95% CI] (seeds) | AULC gain vs random [95% CI] (seeds) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const e of entries) {
    for (const m of e.metrics) {
      const c = e.comparisons.find((x) => x.strategy === m.strategy);
      lines.push(
        `| ${e.workflow} | ${e.seeds.length} | ${e.pool} | ${fmt(e.fullPool.rocAuc, 3)} | ${m.strategy} | ${fmt(m.runsToTarget.mean, 1)} (${m.runsToTarget.reached}/${m.seeds.length}) | ${fmt(m.secondsToTarget.mean, 0)} | ${fmt(m.aulc.mean, 3)} | ${fmt(m.worstSeedRocAuc, 3)} | ${fmt(m.swing, 3)} | ${c ? interval(c.runsToTargetRatio) : '—'} | ${c ? interval(c.aulcGain, 3) : '—'} |`,
      );
    }
  }
  lines.push(
    '',
    '### §2 Oracle: the first run count at which the model itself reached full-pool − 0.01 (per seed; — never within the budget)',
    '',
    '| workflow | strategy | 1/20 of pool | oracle runs per seed | seeds at target by 1/20 of pool |',
    '|---|---|---|---|---|',
  );
  for (const e of entries) {
    const limit = e.pool / 20;
    for (const [strategy, runs] of Object.entries(e.oracle))
      lines.push(
        `| ${e.workflow} | ${strategy} | ${fmt(limit, 1)} | ${runs.map((r) => r ?? '—').join(' ')} | ${runs.filter((r) => r !== null && r <= limit).length}/${runs.length} |`,
      );
  }
  lines.push(
    '',
    `### §2 Stopping rule (stable predictions) — target: stop at ≤ 1/20 of the pool with ROC-AUC ≥ full-pool − ${entries[0]?.targetGap ?? 0.01} on ≥ 8 of 10 seeds`,
    '',
    `Rules: default = ${describe(defaultRule)}; tuned = ${tuned ? `${describe(tuned.rule)} (chosen on ${tuningSeeds} tuning seed records evaluated on the carved-out tuning runs: ${tuned.score.good}/${tuned.score.total} met the target there, ${tuned.score.premature} stopped before a target their curve reached later)` : 'none (no tuning seeds)'}. A seed where the rule never fired within the budget counts as a miss.`,
    '',
    '| workflow | rule | strategy | 1/20 of pool | seeds fired | stop runs (mean) | ROC-AUC at stop (mean) | target (mean) | seeds stopped ≤ 1/20 of pool at target | met? |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const e of entries) {
    const limit = e.pool / 20;
    for (const [ruleName, byStrategy] of Object.entries(e.rules))
      for (const [strategy, stops] of Object.entries(byStrategy)) {
        const fired = stops.filter((s) => s !== null);
        const good = fired.filter((s) => s.runs <= limit && s.rocAuc >= s.target).length;
        const avg = (xs) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);
        const met = stops.length >= 10 && good >= 0.8 * stops.length;
        lines.push(
          `| ${e.workflow} | ${ruleName} | ${strategy} | ${fmt(limit, 1)} | ${fired.length}/${stops.length} | ${fmt(avg(fired.map((s) => s.runs)), 1)} | ${fmt(avg(fired.map((s) => s.rocAuc)), 3)} | ${fmt(avg(e.fullPool.perSeed.map((p) => p.rocAuc - e.targetGap)), 3)} | ${good}/${stops.length} | ${met ? 'yes' : '**miss**'} |`,
        );
      }
  }
  const s = entries[0]?.settings;
  lines.push(
    '',
    s
      ? `Settings: ${s.iterations} iterations × ${s.perIteration} runs; converge protocol, at most ${s.training.maxSteps} steps per iteration (patience 3 looks × 10 steps on the validation fold's ROC-AUC, selectBy rocAuc); ${values['tuning-share']} of each workflow's runs carved out as tuning runs before every split; full-pool model at most ${s.fullPoolSteps} steps, patience ${s.fullPoolPatience ?? 3} looks; stopping rule: Cohen's kappa ≥ 0.9 on 32 unlabelled pool runs for 3 iterations, ≥ 6 runs (recorded, the curves go on). Wall time per seed (full-pool model and every loop) and load average (1/5/15 min) at its end: ${entries.map((e) => `${e.workflow} ${fmt(Math.min(...e.wallSeconds), 0)}–${fmt(Math.max(...e.wallSeconds), 0)} s, load ${e.load.at(-1)?.after}`).join('; ')}.`
      : 'No seed finished.',
    '',
  );
  return lines.join('\n');
}
