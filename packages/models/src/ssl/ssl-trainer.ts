/*
 * The SSL trainer: one training-step session (forward of both views, loss, backward and optimizer in one ONNX graph)
 * and one scoring session. Weights and optimizer state stay onnxruntime tensors between steps. Gumbel noise and
 * dropout masks enter as input tensors drawn from streams seeded by the core Rng, so a seed fixes the whole run.
 */
import { createRng, ProteusError, type Rng } from '@proteus-wf/core';
import * as ort from 'onnxruntime-node';
import type { ModelWeights } from '../graphs/model-spec.js';
import { type OptimizerSpec, type ResolvedOptimizer, resolveOptimizer } from '../onnx/optimizers.js';
import { type CreateSessionOptions, createSession, type ExecutionProvider, runSession } from '../onnx/session.js';
import { type AugmentJobsOptions, augmentJobs } from './augment-jobs.js';
import { buildSslInferenceGraph, buildSslTrainingGraph, type SslScoreCalibration } from './ssl-graph.js';
import {
  assertSslWeights,
  defineSslSpec,
  initSslWeights,
  type ResolvedSslSpec,
  type SslSpec,
  sslWeightShapes,
} from './ssl-spec.js';

/** Options of {@link createSslTrainer}. */
export interface CreateSslTrainerOptions extends CreateSessionOptions {
  model: SslSpec;
  /** Default AdamW, lr 5e-4, weight decay 1e-4 (the active-learning paper). */
  optimizer?: OptimizerSpec;
  /** Seed of the weights, the augmentation, the Gumbel noise and the dropout masks (default 0). */
  seed?: number;
  /** Start from these weights instead of a seeded init. */
  weights?: ModelWeights;
  /** The contrastive view's perturbations. */
  augmentation?: AugmentJobsOptions;
}

/** The three losses of one step. */
export interface SslStepResult {
  loss: number;
  reconstructionLoss: number;
  contrastLoss: number;
}

/** An SSL model being trained. `x` is always `[runs, N, F]` row-major (scaled features). */
export interface SslTrainer {
  readonly spec: ResolvedSslSpec;
  readonly optimizer: ResolvedOptimizer;
  readonly executionProviders: readonly ExecutionProvider[];
  readonly stepCount: number;
  /** One unsupervised training step at Gumbel-softmax temperature `temperature`. */
  step(x: Float32Array, options: { temperature: number }): Promise<SslStepResult>;
  /** Per-job reconstruction errors `[runs*N]` in eval mode (no dropout, no noise; latent `softmax(logp / temperature)`). */
  score(x: Float32Array, options: { temperature: number }): Promise<Float32Array>;
  weights(): ModelWeights;
  setWeights(weights: ModelWeights, options?: { resetOptimizer?: boolean }): void;
  /** The self-contained scoring ONNX model (input `x`, outputs `scores`, `errors`, `reconstruction`). */
  exportInferenceModel(options: { temperature: number; calibration?: SslScoreCalibration }): Uint8Array;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A fast uniform stream in [0, 1) (xorshift128) seeded from `rng`: masks and noise need ~100k values per step. */
export function createUniformStream(rng: Rng): () => number {
  let a = rng.int(1, 0x7fffffff);
  let b = rng.int(1, 0x7fffffff);
  let c = rng.int(1, 0x7fffffff);
  let d = rng.int(1, 0x7fffffff);
  return () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return d / 4294967296;
  };
}

function invalidInput(message: string): ProteusError {
  return new ProteusError('PROTEUS_MODELS_INVALID_INPUT', `models/SslTrainer.${message}`);
}

function checkTemperature(value: number, where: string): void {
  if (!(Number.isFinite(value) && value > 0))
    throw invalidInput(`${where}: temperature must be a finite number > 0, got ${value}`);
}

/**
 * Creates a trainer for the self-supervised detector.
 * @example
 * await using trainer = await createSslTrainer({ model: { nodes, features, adjacency }, seed: 1 });
 * const { loss } = await trainer.step(x, { temperature: 1 });
 * const scores = await trainer.score(x, { temperature: 1 });
 * @throws ProteusError PROTEUS_MODELS_INVALID_SPEC, PROTEUS_MODELS_INVALID_OPTIMIZER, PROTEUS_MODELS_INVALID_WEIGHTS,
 * PROTEUS_MODELS_EP_UNAVAILABLE, PROTEUS_MODELS_SESSION_FAILED
 */
export async function createSslTrainer(options: CreateSslTrainerOptions): Promise<SslTrainer> {
  const spec = defineSslSpec(options.model);
  const optimizer = resolveOptimizer(options.optimizer ?? { kind: 'adamw' });
  const rng = createRng(options.seed ?? 0);
  const initial = options.weights ?? initSslWeights(spec, rng.fork());
  assertSslWeights(spec, initial, 'createSslTrainer');
  const augmentRng = rng.fork();
  const uniform = createUniformStream(rng.fork());
  const graph = buildSslTrainingGraph(spec, optimizer);
  const train = await createSession(graph.bytes, options);
  const evaluation = await createSession(buildSslInferenceGraph(spec), {
    ...options,
    executionProviders: train.providers,
  });
  const shapes = new Map(sslWeightShapes(spec));
  const sizeOf = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);
  const block = spec.nodes * spec.features;

  let params: Record<string, ort.Tensor> = {};
  let state: Record<string, ort.Tensor> = {};
  let stepCount = 0;
  let released = false;
  const loadWeights = (weights: ModelWeights) => {
    params = {};
    for (const [name, shape] of shapes) {
      params[name] = new ort.Tensor(
        'float32',
        Float32Array.from((weights[name] as { data: Float32Array }).data),
        shape,
      );
    }
  };
  const resetState = () => {
    state = {};
    for (const name of graph.stateNames) {
      const shape = shapes.get(name.slice(0, name.lastIndexOf('.'))) ?? [];
      state[name] = new ort.Tensor('float32', new Float32Array(sizeOf(shape)), shape);
    }
    stepCount = 0;
  };
  loadWeights(initial);
  resetState();

  const runsOf = (x: Float32Array, where: string): number => {
    if (released) throw invalidInput(`${where}: the trainer was released`);
    if (!(x instanceof Float32Array) || x.length === 0 || x.length % block !== 0) {
      throw invalidInput(
        `${where}: x must be a Float32Array of runs x ${spec.nodes} x ${spec.features} values, got ${x?.length ?? 'none'}`,
      );
    }
    return x.length / block;
  };
  const xTensor = (x: Float32Array, runs: number) => new ort.Tensor('float32', x, [runs, spec.nodes, spec.features]);

  const trainer: SslTrainer = {
    spec,
    optimizer,
    executionProviders: train.providers,
    get stepCount() {
      return stepCount;
    },
    async step(x, stepOptions) {
      const runs = runsOf(x, 'step');
      checkTemperature(stepOptions.temperature, 'step');
      const view = augmentJobs(
        x,
        { runs, nodes: spec.nodes, features: spec.features },
        augmentRng,
        options.augmentation,
      );
      const latent = spec.groups * spec.categories;
      const gumbel = new Float32Array(spec.nodes * runs * latent);
      for (let i = 0; i < gumbel.length; i++) gumbel[i] = -Math.log(-Math.log(uniform() + 1e-20));
      const feeds: Record<string, ort.Tensor> = {
        ...params,
        ...state,
        x: xTensor(x, runs),
        xAugmented: xTensor(view.x, runs),
        augmented: new ort.Tensor('float32', view.augmented, [runs, spec.nodes]),
        gumbel: new ort.Tensor('float32', gumbel, [spec.nodes, runs, spec.groups, spec.categories]),
        temperature: new ort.Tensor('float32', new Float32Array([stepOptions.temperature]), []),
        step: new ort.Tensor('float32', new Float32Array([stepCount + 1]), []),
        lr: new ort.Tensor('float32', new Float32Array([optimizer.lr]), []),
      };
      const keep = 1 / (1 - spec.dropout);
      for (const mask of graph.dropoutMasks) {
        const data = new Float32Array(spec.nodes * runs * spec.hidden);
        for (let i = 0; i < data.length; i++) data[i] = uniform() < spec.dropout ? 0 : keep;
        feeds[mask.name] = new ort.Tensor('float32', data, [spec.nodes, runs, spec.hidden]);
      }
      const out = await runSession(train.session, feeds, 'SslTrainer.step');
      const read = (name: string) => (out[name] as ort.Tensor).data[0] as number;
      const result = {
        loss: read('loss'),
        reconstructionLoss: read('reconstructionLoss'),
        contrastLoss: read('contrastLoss'),
      };
      if (!Number.isFinite(result.loss)) {
        throw new ProteusError(
          'PROTEUS_MODELS_NON_FINITE_LOSS',
          `models/SslTrainer.step: loss is ${result.loss} at step ${stepCount + 1}; weights were not updated. Lower the learning rate or check the inputs for NaN.`,
          { details: { step: stepCount + 1, ...result } },
        );
      }
      for (const name of graph.paramNames) params[name] = out[`${name}.next`] as ort.Tensor;
      for (const name of graph.stateNames) state[name] = out[`${name}.next`] as ort.Tensor;
      stepCount++;
      return result;
    },
    async score(x, scoreOptions) {
      const runs = runsOf(x, 'score');
      checkTemperature(scoreOptions.temperature, 'score');
      const feeds = {
        ...params,
        x: xTensor(x, runs),
        temperature: new ort.Tensor('float32', new Float32Array([scoreOptions.temperature]), []),
      };
      const out = await runSession(evaluation.session, feeds, 'SslTrainer.score');
      return Float32Array.from((out.errors as ort.Tensor).data as Float32Array);
    },
    weights() {
      const copy: ModelWeights = {};
      for (const [name, shape] of shapes) {
        copy[name] = { shape: [...shape], data: Float32Array.from((params[name] as ort.Tensor).data as Float32Array) };
      }
      return copy;
    },
    setWeights(weights, setOptions = {}) {
      assertSslWeights(spec, weights, 'SslTrainer.setWeights');
      loadWeights(weights);
      if (setOptions.resetOptimizer ?? true) resetState();
    },
    exportInferenceModel(exportOptions) {
      checkTemperature(exportOptions.temperature, 'exportInferenceModel');
      return buildSslInferenceGraph(spec, {
        weights: trainer.weights(),
        temperature: exportOptions.temperature,
        ...(exportOptions.calibration ? { calibration: exportOptions.calibration } : {}),
      });
    },
    async release() {
      if (released) return;
      released = true;
      await Promise.all([train.session.release(), evaluation.session.release()]);
    },
    [Symbol.asyncDispose]() {
      return trainer.release();
    },
  };
  return trainer;
}
