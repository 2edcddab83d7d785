/*
 * The query step: Q_k = random during burn-in and at the periodic re-selection, else g(s_{k-1}) from the model's
 * uncertainty on the labelled runs (the paper) or on the unlabelled pool candidates (pool-based emulation).
 */
import type { Rng } from '@proteus-wf/core';
import type { ExperimentBackend } from '../../experiment-backend.js';
import { type ExperimentRequestFile, requestLabel } from '../../experiment-requests.js';
import type { OptionBandit } from '../../option-bandit.js';
import {
  type JobAnalysis,
  jobUncertainty,
  optionKey,
  perNodeRelative,
  type RunReduce,
  runUncertainty,
  type Selection,
  type StrategyName,
  selectExperiments,
} from '../../strategies.js';
import { embedCandidates } from '../embed-candidates.js';
import { batchOf, EVAL_BATCH, type LabelledSet, meanDurations } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';
import type { RunBatch } from '../model-definitions.js';

/** The query settings `runActiveLearning` resolved. */
export interface QuerySettings {
  strategy: StrategyName;
  seed: number;
  perIteration: number;
  burnIn: number;
  reselectEvery: number;
  anomalousWorkers?: number;
  costWeight: number;
  normalize: 'node' | 'none';
  runSelection: 'random' | 'uncertain';
  typeScore: 'labelled' | 'pool';
  runReduce: RunReduce;
  candidatesPerType: number;
}

/** Chooses iteration `k`'s experiments; returns the selection and the request file to run. */
export async function queryExperiments(
  k: number,
  model: LearnerModel,
  backend: ExperimentBackend,
  analysis: JobAnalysis | undefined,
  set: LabelledSet,
  s: QuerySettings,
  rng: Rng,
  bandit?: OptionBandit,
): Promise<{ selection: Selection; file: ExperimentRequestFile }> {
  const random = k <= s.burnIn || (s.reselectEvery > 0 && k > s.burnIn && (k - s.burnIn) % s.reselectEvery === 0);
  const poolBased = s.runSelection === 'uncertain' || s.typeScore === 'pool';
  const open = backend.options().filter((o) => o.available === undefined || o.available > 0);
  const scored =
    // A design (random, balanced) draws any run of the option it picks: no model scores its runs.
    poolBased && !random && analysis && s.strategy !== 'random' && s.strategy !== 'balanced'
      ? await scoreCandidates(model, backend, open.map(optionKey), {
          strategy: s.strategy,
          normalize: s.normalize,
          reduce: s.runReduce,
          limit: s.candidatesPerType,
          rng,
        })
      : undefined;
  // A type's pool uncertainty: the mean over the runs a query of it would replay (its most uncertain ones).
  const optionUncertainty = bandit
    ? random
      ? undefined
      : bandit.values(open)
    : scored && s.typeScore === 'pool'
      ? Object.fromEntries(
          [...scored].map(([label, c]) => {
            const top = c.uncertainty.subarray(0, s.perIteration);
            return [label, top.reduce((a, b) => a + b, 0) / Math.max(1, top.length)];
          }),
        )
      : undefined;
  const selection = selectExperiments(
    {
      workflow: backend.workflow,
      options: backend.options(),
      jobNames: backend.jobNames,
      ...(analysis ? { analysis } : {}),
      durations: meanDurations(set),
      ...(optionUncertainty ? { optionUncertainty } : {}),
      ...(s.strategy === 'badge' && !random && analysis && backend.candidates
        ? {
            candidates: await embedCandidates(model, backend, open.map(optionKey), { limit: s.candidatesPerType, rng }),
          }
        : {}),
    },
    {
      strategy: s.strategy,
      runs: s.perIteration,
      rng,
      random,
      ...(s.anomalousWorkers === undefined ? {} : { anomalousWorkers: s.anomalousWorkers }),
      costWeight: s.costWeight,
      normalize: s.normalize,
    },
  );
  if (scored && s.runSelection === 'uncertain') {
    for (const request of selection.requests) {
      const c = scored.get(typeof request.hints?.option === 'string' ? request.hints.option : requestLabel(request));
      // BADGE names its own pool runs; the others get their option's most uncertain ones.
      if (c && !Array.isArray(request.hints?.runIds))
        request.hints = { ...request.hints, runIds: c.runIds.slice(0, request.runs) };
    }
  }
  const file = { id: `al-${s.strategy}-s${s.seed}-k${String(k).padStart(4, '0')}`, requests: selection.requests };
  return { selection, file };
}

/** The model's view of every labelled run: what the strategies rank. */
export async function analyzeLabelled(
  model: LearnerModel,
  set: LabelledSet,
  nodes: number,
  features: number,
): Promise<JobAnalysis> {
  const all = set.runIds.map((_, i) => i);
  const parts = [];
  for (let start = 0; start < all.length; start += EVAL_BATCH) {
    parts.push(await model.analyze(batchOf(set, all.slice(start, start + EVAL_BATCH), nodes, features)));
  }
  const concat = (arrays: Float32Array[]) => {
    const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
    let offset = 0;
    for (const a of arrays) {
      out.set(a, offset);
      offset += a.length;
    }
    return out;
  };
  const first = parts[0];
  return {
    nodes,
    jobLabels: set.jobLabels.flat(),
    runLabels: set.labels,
    probabilities: concat(parts.map((p) => p.probabilities)),
    groups: first?.groups ?? 1,
    classes: first?.classes ?? 2,
    gradientNorm: concat(parts.map((p) => p.gradientNorm)),
    embedding: concat(parts.map((p) => p.embedding)),
    embeddingWidth: first?.embeddingWidth ?? 0,
  };
}

async function scoreCandidates(
  model: LearnerModel,
  backend: ExperimentBackend,
  labels: readonly string[],
  settings: { strategy: StrategyName; normalize: 'node' | 'none'; reduce: RunReduce; limit: number; rng: Rng },
): Promise<Map<string, { runIds: string[]; uncertainty: Float32Array }>> {
  const { nodes, features } = backend;
  const ids: string[] = [];
  const owners: string[] = [];
  const parts: Float32Array[] = [];
  for (const label of labels) {
    const c = backend.candidates?.(label);
    if (!c || c.runs === 0) continue;
    let picked = c.runIds.map((_, i) => i);
    if (picked.length > settings.limit) picked = settings.rng.sample(picked, settings.limit).sort((a, b) => a - b);
    for (const i of picked) {
      ids.push(c.runIds[i] as string);
      owners.push(label);
      parts.push(c.x.subarray(i * nodes * features, (i + 1) * nodes * features));
    }
  }
  const uncertainty = new Float32Array(ids.length * nodes);
  for (let start = 0; start < ids.length; start += EVAL_BATCH) {
    const count = Math.min(EVAL_BATCH, ids.length - start);
    const x = new Float32Array(count * nodes * features);
    for (let k = 0; k < count; k++) x.set(parts[start + k] as Float32Array, k * nodes * features);
    // No labels before the run: the GCN's gradient is taken against its own prediction (expected-gradient style).
    const probe: RunBatch = { x, runs: count, jobBinary: new Uint8Array(count * nodes) };
    if (model.definition.kind === 'gcn') {
      const { score, classProbabilities } = await model.predict(probe);
      for (let j = 0; j < score.length; j++) probe.jobBinary[j] = (score[j] as number) >= 0.5 ? 1 : 0;
      const k = model.definition.classes;
      // A task's head: each job's (or run's) predicted class is its target.
      if (classProbabilities && (k > 2 || model.definition.level === 'graph'))
        probe.classes = Int32Array.from({ length: classProbabilities.length / k }, (_, i) => {
          let top = 0;
          for (let c = 1; c < k; c++)
            if ((classProbabilities[i * k + c] as number) > (classProbabilities[i * k + top] as number)) top = c;
          return top;
        });
    }
    const a = await model.analyze(probe);
    const u = jobUncertainty(
      {
        nodes,
        jobLabels: new Array<string>(count * nodes).fill(''),
        probabilities: a.probabilities,
        groups: a.groups,
        classes: a.classes,
        gradientNorm: a.gradientNorm,
        embedding: a.embedding,
        embeddingWidth: a.embeddingWidth,
      },
      settings.strategy,
    );
    uncertainty.set(u, start * nodes);
  }
  const normalized = settings.normalize === 'node' ? perNodeRelative(uncertainty, nodes) : uncertainty;
  const perRun = runUncertainty(normalized, nodes, settings.reduce);
  const out = new Map<string, { runIds: string[]; scores: number[] }>();
  owners.forEach((label, r) => {
    const entry = out.get(label) ?? { runIds: [], scores: [] };
    entry.runIds.push(ids[r] as string);
    entry.scores.push(perRun[r] as number);
    out.set(label, entry);
  });
  return new Map(
    [...out].map(([label, { runIds, scores }]) => {
      const order = runIds.map((_, i) => i).sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
      return [
        label,
        {
          runIds: order.map((i) => runIds[i] as string),
          uncertainty: Float32Array.from(order.map((i) => scores[i] as number)),
        },
      ];
    }),
  );
}
