/*
 * The Eq. 6 update of the active-learning paper as ONNX graphs over a ModelDefinition.
 * Reference: Raghavan, Papadimitriou et al., "Advancing Anomaly Detection in Computational Workflows with Active
 * Learning", §3.2.1 Eq. 4-6; the reconstruction in ../shared/reference/ml.md §5.4 after the BCL template
 * (Raghavan & Balaprakash, NeurIPS 2021, ref. [32]).
 *
 *   H(w, Q_k) = beta * (J_P(w) + J_M(w))                 term 1: the new batch P = Q_k plus a replay-memory batch M
 *             + gamma * (J_M(w + dw) - J_M(w))             term 2: finite difference after one inner SGD step on P
 *             + lambda * J_M(w; x_M + eps * g / ||g||)     term 3: input sensitivity, one normalized ascent step on x_M
 *
 * The inner step and the ascent step are first order: dw and the perturbed inputs enter the update graph as inputs
 * computed by a "probe" graph (dJ_P/dw and dJ_M/dx_M), so no gradient flows through them. The gradient of term 2 is
 * then dJ_M/dw evaluated at w + dw minus dJ_M/dw at w. Each term can be switched off (the paper's Figs. 9-10).
 */
import { isProteusError, ProteusError, type Rng } from '@proteus-wf/core';
import type { ModelWeights } from '@proteus-wf/models';
import {
  addGradients,
  appendOptimizerStep,
  createGraphBuilder,
  createSession,
  createTensor,
  type GraphBuilder,
  type ProteusSession,
  type ResolvedOptimizer,
  runGraph,
  type Tensor,
  type Value,
} from '@proteus-wf/onnx-train';
import { BATCH, type ModelDefinition, type RunBatch } from './model-definitions.js';

/** Which Eq. 6 terms the update uses, and their hyperparameters (resolved). */
export interface ResolvedUpdateTerms {
  beta: number;
  finiteDifference: { enabled: boolean; weight: number; innerLr: number };
  inputSensitivity: { enabled: boolean; weight: number; epsilon: number };
}

/** The losses of one update step (H and its terms; a disabled term is 0). */
export interface UpdateLosses {
  h: number;
  newBatch: number;
  memory: number;
  finiteDifference: number;
  inputSensitivity: number;
}

/** Weights plus optimizer state: everything a checkpoint needs to resume the model exactly. */
export interface ModelState {
  weights: ModelWeights;
  optimizer: Record<string, Float32Array>;
  step: number;
}

/**
 * Per-job outputs of the analysis graph for one batch of runs. A graph-level model's per-run outputs are repeated for
 * each of the run's jobs, so that every strategy reads one layout.
 */
export interface Analysis {
  score: Float32Array;
  /** Class probabilities `[runs, N, C]` (node level) or `[runs, C]` (graph level); absent for the SSL. */
  classProbabilities?: Float32Array;
  /** `[runs, N, G, C]`. */
  probabilities: Float32Array;
  groups: number;
  classes: number;
  /** `[runs, N, H]`. */
  embedding: Float32Array;
  embeddingWidth: number;
  /** L2 norm over features of d(sensitivity loss)/dx per job, `[runs, N]`. */
  gradientNorm: Float32Array;
}

/** A model under active learning. */
export interface LearnerModel {
  readonly definition: ModelDefinition;
  readonly terms: ResolvedUpdateTerms;
  update(newBatch: RunBatch, memory: RunBatch, rng: Rng): Promise<UpdateLosses>;
  analyze(batch: RunBatch): Promise<Analysis>;
  /** Anomaly score per job `[runs, N]` (a graph-level model's run score, repeated for each job). */
  score(batch: RunBatch): Promise<Float32Array>;
  /** The score and the class probabilities (`[runs, N, C]`, or `[runs, C]` at graph level; absent for the SSL). */
  predict(batch: RunBatch): Promise<Prediction>;
  saveState(): ModelState;
  loadState(state: ModelState): void;
  release(): Promise<void>;
}

/** What {@link LearnerModel.predict} returns. */
export interface Prediction {
  score: Float32Array;
  classProbabilities?: Float32Array;
}

/** Repeats each run's `width` values for each of its `nodes` jobs: `[runs, W]` to `[runs, N, W]`. */
function perJob(values: Float32Array, runs: number, nodes: number): Float32Array {
  const width = values.length / runs;
  const out = new Float32Array(runs * nodes * width);
  for (let r = 0; r < runs; r++)
    for (let j = 0; j < nodes; j++) out.set(values.subarray(r * width, (r + 1) * width), (r * nodes + j) * width);
  return out;
}

interface GraphInputs {
  x: Value;
  extras: Record<string, Value>;
}

/** Declares a batch's inputs; each prefix gets its own symbolic batch dim (P and M batches differ in size). */
function declareBatch(g: GraphBuilder, def: ModelDefinition, prefix: string, extrasFrom?: GraphInputs): GraphInputs {
  const dim = extrasFrom ? (extrasFrom.x.shape[0] as string) : `${prefix}${BATCH}`;
  const x = g.input(`${prefix}x`, 'float32', [dim, def.nodes, def.features]);
  if (extrasFrom) return { x, extras: extrasFrom.extras };
  const extras: Record<string, Value> = {};
  for (const e of def.extraInputs())
    extras[e.name] = g.input(
      `${prefix}${e.name}`,
      'float32',
      e.shape.map((d) => (d === BATCH ? dim : d)),
    );
  return { x, extras };
}

function declareWeights(g: GraphBuilder, def: ModelDefinition, prefix = ''): Record<string, Value> {
  const w: Record<string, Value> = {};
  for (const [name, shape] of def.weightShapes) w[name] = g.input(`${prefix}${name}`, 'float32', shape);
  return w;
}

function buildProbeGraph(def: ModelDefinition, terms: ResolvedUpdateTerms): Uint8Array {
  const g = createGraphBuilder({ name: 'al-probe' });
  const w = declareWeights(g, def);
  const params = def.weightShapes.map(([name]) => w[name] as Value);
  if (terms.finiteDifference.enabled) {
    const p = declareBatch(g, def, 'p.');
    const grads = addGradients(g, def.loss(g, w, p.x, p.extras), params);
    grads.forEach((grad, i) => {
      g.output(grad, `grad.${def.weightShapes[i]?.[0]}`);
    });
  }
  if (terms.inputSensitivity.enabled) {
    const m = declareBatch(g, def, 'm.');
    const [gradient] = addGradients(g, def.loss(g, w, m.x, m.extras), [m.x]) as [Value];
    g.output(gradient, 'gradX');
  }
  return g.toModel();
}

function buildUpdateGraph(def: ModelDefinition, terms: ResolvedUpdateTerms, optimizer: ResolvedOptimizer) {
  const g = createGraphBuilder({ name: 'al-update' });
  const w = declareWeights(g, def);
  const params = def.weightShapes.map(([name]) => w[name] as Value);
  const step = g.input('step', 'float32', []);
  const lr = g.input('lr', 'float32', []);
  const p = declareBatch(g, def, 'p.');
  const m = declareBatch(g, def, 'm.');
  const jP = def.loss(g, w, p.x, p.extras);
  const jM = def.loss(g, w, m.x, m.extras);
  let objective = g.mul(g.add(jP, jM), terms.beta);
  let h = objective;
  let innerGrads: Value[] | undefined;
  let jInner: Value | undefined;
  let jAdv: Value | undefined;
  if (terms.finiteDifference.enabled) {
    const inner = declareWeights(g, def, 'inner.');
    jInner = def.loss(g, inner, m.x, m.extras);
    const gamma = terms.finiteDifference.weight;
    objective = g.sub(objective, g.mul(jM, gamma));
    h = g.add(h, g.mul(g.sub(jInner, jM), gamma));
    innerGrads = addGradients(
      g,
      g.mul(jInner, gamma),
      def.weightShapes.map(([name]) => inner[name] as Value),
    );
  }
  if (terms.inputSensitivity.enabled) {
    const a = declareBatch(g, def, 'a.', m);
    jAdv = def.loss(g, w, a.x, a.extras);
    const term = g.mul(jAdv, terms.inputSensitivity.weight);
    objective = g.add(objective, term);
    h = g.add(h, term);
  }
  let grads = addGradients(g, objective, params);
  if (innerGrads) grads = grads.map((grad, i) => g.add(grad, innerGrads?.[i] as Value));
  const update = appendOptimizerStep(g, params, grads, optimizer, { step, lr });
  g.output(h, 'h');
  g.output(jP, 'jP');
  g.output(jM, 'jM');
  if (jInner) g.output(jInner, 'jInner');
  if (jAdv) g.output(jAdv, 'jAdv');
  params.forEach((param, i) => {
    g.output(update.updated[i] as Value, `${param.name}.next`);
  });
  update.stateInputs.forEach((s, i) => {
    g.output(update.stateOutputs[i] as Value, `${s.name}.next`);
  });
  return {
    bytes: g.toModel(),
    state: update.stateInputs.map((s) => ({
      name: s.name,
      size: s.shape.reduce<number>((n, d) => n * (d as number), 1),
      shape: s.shape as number[],
    })),
  };
}

function buildAnalysisGraph(def: ModelDefinition, withGradient: boolean): Uint8Array {
  const g = createGraphBuilder({ name: withGradient ? 'al-analysis' : 'al-score' });
  const w = declareWeights(g, def);
  const batch = declareBatch(g, def, '');
  const out = def.analysis(g, w, batch.x, batch.extras);
  g.output(out.score, 'score');
  if (out.classProbabilities) g.output(out.classProbabilities, 'classProbabilities');
  if (withGradient) {
    g.output(out.probabilities, 'probabilities');
    g.output(out.embedding, 'embedding');
    const [gradient] = addGradients(g, out.sensitivityLoss, [batch.x]) as [Value];
    g.output(g.sqrt(g.reduceSum(g.mul(gradient, gradient), [-1])), 'gradientNorm');
  }
  return g.toModel();
}

/** Options of {@link createLearnerModel}. */
export interface CreateLearnerModelOptions {
  terms: ResolvedUpdateTerms;
  optimizer: ResolvedOptimizer;
  weights: ModelWeights;
  threads?: number;
}

/**
 * Builds and opens the probe, update, analysis and scoring sessions of a model.
 * @example const model = await createLearnerModel(defineGcn(graph, { features: 7 }), { terms, optimizer, weights });
 */
export async function createLearnerModel(
  def: ModelDefinition,
  options: CreateLearnerModelOptions,
): Promise<LearnerModel> {
  const { terms, optimizer } = options;
  const tensor = (data: Float32Array, dims: readonly number[]) => createTensor('float32', data, dims);
  const open = (bytes: Uint8Array) => createSession(bytes, { threads: options.threads ?? 1 });
  const needsProbe = terms.finiteDifference.enabled || terms.inputSensitivity.enabled;
  const updateGraph = buildUpdateGraph(def, terms, optimizer);
  const sessions: ProteusSession[] = await Promise.all([
    open(updateGraph.bytes),
    open(buildAnalysisGraph(def, true)),
    open(buildAnalysisGraph(def, false)),
    ...(needsProbe ? [open(buildProbeGraph(def, terms))] : []),
  ]);
  const [update, analysis, scoring, probe] = sessions as [
    ProteusSession,
    ProteusSession,
    ProteusSession,
    ProteusSession | undefined,
  ];
  const shapes = new Map(def.weightShapes);
  let weights: Record<string, Float32Array> = {};
  let optimizerState: Record<string, Float32Array> = {};
  let step = 0;

  const loadState = (state: ModelState) => {
    weights = {};
    for (const [name] of def.weightShapes)
      weights[name] = Float32Array.from((state.weights[name] as { data: Float32Array }).data);
    optimizerState = {};
    for (const s of updateGraph.state)
      optimizerState[s.name] = Float32Array.from(state.optimizer[s.name] ?? new Float32Array(s.size));
    step = state.step;
  };
  loadState({ weights: options.weights, optimizer: {}, step: 0 });

  const weightFeeds = (values: Record<string, Float32Array>, prefix = '') => {
    const feeds: Record<string, Tensor> = {};
    for (const [name, shape] of shapes) feeds[`${prefix}${name}`] = tensor(values[name] as Float32Array, shape);
    return feeds;
  };
  const batchFeeds = (batch: RunBatch, prefix: string, rng: Rng | undefined) => {
    const feeds: Record<string, Tensor> = { [`${prefix}x`]: tensor(batch.x, [batch.runs, def.nodes, def.features]) };
    for (const [name, value] of Object.entries(def.extraFeeds(batch, rng)))
      feeds[`${prefix}${name}`] = tensor(value.data, value.dims);
    return feeds;
  };
  const scalar = (value: number) => tensor(new Float32Array([value]), []);
  const predict = async (batch: RunBatch): Promise<Prediction> => {
    const out = await run(scoring, { ...weightFeeds(weights), ...batchFeeds(batch, '', undefined) }, 'score');
    const score = out.score as Float32Array;
    return {
      score: def.level === 'graph' ? perJob(score, batch.runs, def.nodes) : Float32Array.from(score),
      ...(out.classProbabilities ? { classProbabilities: Float32Array.from(out.classProbabilities) } : {}),
    };
  };

  return {
    definition: def,
    terms,
    async update(newBatch, memory, rng) {
      const pFeeds = batchFeeds(newBatch, 'p.', rng);
      const mFeeds = batchFeeds(memory, 'm.', rng);
      const feeds: Record<string, Tensor> = { ...weightFeeds(weights), ...pFeeds, ...mFeeds };
      if (probe) {
        const probeFeeds: Record<string, Tensor> = { ...weightFeeds(weights) };
        if (terms.finiteDifference.enabled) Object.assign(probeFeeds, pFeeds);
        if (terms.inputSensitivity.enabled) Object.assign(probeFeeds, mFeeds);
        const out = await run(probe, probeFeeds, 'update (probe)');
        if (terms.finiteDifference.enabled) {
          const inner: Record<string, Float32Array> = {};
          const lrInner = terms.finiteDifference.innerLr;
          for (const [name] of def.weightShapes) {
            const w = weights[name] as Float32Array;
            const grad = out[`grad.${name}`] as Float32Array;
            const next = new Float32Array(w.length);
            for (let i = 0; i < w.length; i++) next[i] = (w[i] as number) - lrInner * (grad[i] as number);
            inner[name] = next;
          }
          Object.assign(feeds, weightFeeds(inner, 'inner.'));
        }
        if (terms.inputSensitivity.enabled) {
          feeds['a.x'] = tensor(
            ascend(memory.x, out.gradX as Float32Array, def.features, terms.inputSensitivity.epsilon),
            [memory.runs, def.nodes, def.features],
          );
        }
      }
      for (const s of updateGraph.state) feeds[s.name] = tensor(optimizerState[s.name] as Float32Array, s.shape);
      feeds.step = scalar(step + 1);
      feeds.lr = scalar(optimizer.lr);
      const out = await run(update, feeds, 'update');
      const h = (out.h as Float32Array)[0] as number;
      if (!Number.isFinite(h)) {
        throw new ProteusError(
          'PROTEUS_AL_NON_FINITE_LOSS',
          `active-learner/update: H is ${h} at step ${step + 1}; the weights were not updated. Lower the learning rate or the Eq. 6 term weights.`,
        );
      }
      for (const [name] of def.weightShapes) weights[name] = Float32Array.from(out[`${name}.next`] as Float32Array);
      for (const s of updateGraph.state)
        optimizerState[s.name] = Float32Array.from(out[`${s.name}.next`] as Float32Array);
      step++;
      const read = (name: string) => (out[name] ? ((out[name] as Float32Array)[0] as number) : 0);
      return {
        h,
        newBatch: read('jP'),
        memory: read('jM'),
        finiteDifference: terms.finiteDifference.enabled ? read('jInner') - read('jM') : 0,
        inputSensitivity: read('jAdv'),
      };
    },
    async analyze(batch) {
      const out = await run(analysis, { ...weightFeeds(weights), ...batchFeeds(batch, '', undefined) }, 'analyze');
      const jobs = batch.runs * def.nodes;
      const spread = (values: Float32Array) =>
        def.level === 'graph' ? perJob(values, batch.runs, def.nodes) : Float32Array.from(values);
      const embedding = spread(out.embedding as Float32Array);
      return {
        score: spread(out.score as Float32Array),
        ...(out.classProbabilities ? { classProbabilities: Float32Array.from(out.classProbabilities) } : {}),
        probabilities: spread(out.probabilities as Float32Array),
        groups: def.distribution.groups,
        classes: def.distribution.classes,
        embedding,
        embeddingWidth: embedding.length / jobs,
        gradientNorm: Float32Array.from(out.gradientNorm as Float32Array),
      };
    },
    async score(batch) {
      return (await predict(batch)).score;
    },
    predict,
    saveState() {
      const copy: ModelWeights = {};
      for (const [name, shape] of def.weightShapes)
        copy[name] = { shape: [...shape], data: Float32Array.from(weights[name] as Float32Array) };
      const state: Record<string, Float32Array> = {};
      for (const [name, value] of Object.entries(optimizerState)) state[name] = Float32Array.from(value);
      return { weights: copy, optimizer: state, step };
    },
    loadState,
    async release() {
      await Promise.all(sessions.map((s) => s.session.release()));
    },
  };
}

/** Runs one of the model's graphs and reads its float outputs; a failed run is `PROTEUS_AL_SESSION_FAILED`. */
async function run(
  session: ProteusSession,
  feeds: Record<string, Tensor>,
  where: string,
): Promise<Record<string, Float32Array>> {
  let out: Record<string, Tensor>;
  try {
    out = await runGraph(session, feeds);
  } catch (error) {
    const cause = isProteusError(error) && error.cause instanceof Error ? error.cause : error;
    throw new ProteusError(
      'PROTEUS_AL_SESSION_FAILED',
      `active-learner/${where}: onnxruntime run failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause: error },
    );
  }
  const result: Record<string, Float32Array> = {};
  for (const [name, value] of Object.entries(out)) result[name] = value.data as Float32Array;
  return result;
}

/** One normalized gradient-ascent step per job: x + eps * g / ||g|| (jobs with a zero gradient stay). */
export function ascend(x: Float32Array, gradient: Float32Array, features: number, epsilon: number): Float32Array {
  const out = Float32Array.from(x);
  for (let job = 0; job < x.length / features; job++) {
    let norm = 0;
    for (let f = 0; f < features; f++) norm += (gradient[job * features + f] as number) ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    for (let f = 0; f < features; f++)
      out[job * features + f] =
        (out[job * features + f] as number) + (epsilon * (gradient[job * features + f] as number)) / norm;
  }
  return out;
}
