/*
 * The SSL trainer: one training-step session (forward of both views, loss, backward and optimizer in one ONNX graph)
 * and one scoring session. Weights and optimizer state stay onnxruntime tensors between steps. Gumbel noise and
 * dropout masks enter as input tensors drawn from streams seeded by the core Rng, so a seed fixes the whole run.
 */
import { createRng, ProteusError } from '@proteus-wf/core';
import {
  type CreateSessionOptions,
  createSession,
  createTensor,
  type ExecutionProvider,
  type OptimizerSpec,
  type ResolvedOptimizer,
  resolveOptimizer,
  runGraph,
  type Tensor,
} from '@proteus-wf/onnx-train';
import type { ModelWeights } from '../graphs/model-spec.js';
import { createTrainerState } from '../internal/trainer-state.js';
import { type AugmentJobsOptions, augmentJobsInto, resolveAugmentJobsOptions } from './augment-jobs.js';
import { createRandomFill } from './internal/random-fill.js';
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
  /**
   * One unsupervised training step at Gumbel-softmax temperature `temperature`. `jobWeight` ([runs*N], default all 1)
   * weights each job in the reconstruction term (0 leaves it out; see `TrainSslOptions.trim`).
   */
  step(x: Float32Array, options: { temperature: number; jobWeight?: Float32Array }): Promise<SslStepResult>;
  /** Per-job reconstruction errors `[runs*N]` in eval mode (no dropout, no noise; latent `softmax(logp / temperature)`). */
  score(x: Float32Array, options: { temperature: number }): Promise<Float32Array>;
  weights(): ModelWeights;
  setWeights(weights: ModelWeights, options?: { resetOptimizer?: boolean }): void;
  /** The self-contained scoring ONNX model (input `x`, outputs `scores`, `errors`, `reconstruction`). */
  exportInferenceModel(options: { temperature: number; calibration?: SslScoreCalibration }): Uint8Array;
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
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
  const augmentation = resolveAugmentJobsOptions(options.augmentation);
  const augmentRng = rng.fork();
  const random = createRandomFill(rng.fork());
  const graph = buildSslTrainingGraph(spec, optimizer);
  const train = await createSession(graph.bytes, options);
  const evaluation = await createSession(buildSslInferenceGraph(spec), {
    ...options,
    executionProviders: train.providers,
  });
  const shapes = new Map(sslWeightShapes(spec));
  const block = spec.nodes * spec.features;

  const current = createTrainerState(shapes, graph, initial, [train.session, evaluation.session]);

  const runsOf = (x: Float32Array, where: string): number => {
    if (current.released) throw invalidInput(`${where}: the trainer was released`);
    if (!(x instanceof Float32Array) || x.length === 0 || x.length % block !== 0) {
      throw invalidInput(
        `${where}: x must be a Float32Array of runs x ${spec.nodes} x ${spec.features} values, got ${x?.length ?? 'none'}`,
      );
    }
    return x.length / block;
  };
  const xTensor = (x: Float32Array, runs: number) => createTensor('float32', x, [runs, spec.nodes, spec.features]);

  // Step inputs other than x, weights and state live in buffers reused for every step of a batch size (the last,
  // partial batch of an epoch gets its own set): nothing per step is allocated but the Tensor wrappers of x.
  const latent = spec.groups * spec.categories;
  const scalars = {
    temperature: new Float32Array(1),
    step: new Float32Array(1),
    lr: new Float32Array([optimizer.lr]),
  };
  const buffersByRuns = new Map<number, ReturnType<typeof createStepBuffers>>();
  const createStepBuffers = (runs: number) => {
    const xAugmented = new Float32Array(runs * block);
    const augmented = new Float32Array(runs * spec.nodes);
    const jobWeight = new Float32Array(runs * spec.nodes).fill(1);
    const noise = new Float32Array(spec.nodes * runs * latent);
    const dropoutNoise = graph.dropoutNoise.map(() => new Float32Array(spec.nodes * runs * spec.hidden));
    const feeds: Record<string, Tensor> = {
      xAugmented: xTensor(xAugmented, runs),
      augmented: createTensor('float32', augmented, [runs, spec.nodes]),
      jobWeight: createTensor('float32', jobWeight, [runs, spec.nodes]),
      noise: createTensor('float32', noise, [spec.nodes, runs, spec.groups, spec.categories]),
      temperature: createTensor('float32', scalars.temperature, []),
      step: createTensor('float32', scalars.step, []),
      lr: createTensor('float32', scalars.lr, []),
    };
    graph.dropoutNoise.forEach((input, i) => {
      feeds[input.name] = createTensor('float32', dropoutNoise[i] as Float32Array, [spec.nodes, runs, spec.hidden]);
    });
    return { x: xAugmented, augmented, jobWeight, noise, dropoutNoise, scalars, feeds };
  };
  const stepBuffers = (runs: number) => {
    let buffers = buffersByRuns.get(runs);
    if (!buffers) {
      // Keep at most the full and the last partial batch size.
      if (buffersByRuns.size >= 2) buffersByRuns.clear();
      buffers = createStepBuffers(runs);
      buffersByRuns.set(runs, buffers);
    }
    return buffers;
  };

  const trainer: SslTrainer = {
    spec,
    optimizer,
    executionProviders: train.providers,
    get stepCount() {
      return current.stepCount;
    },
    async step(x, stepOptions) {
      const runs = runsOf(x, 'step');
      checkTemperature(stepOptions.temperature, 'step');
      const buffers = stepBuffers(runs);
      augmentJobsInto(x, { runs, nodes: spec.nodes, features: spec.features }, augmentRng, augmentation, buffers);
      random.uniform(buffers.noise);
      for (const noise of buffers.dropoutNoise) random.uniform(noise);
      buffers.scalars.temperature[0] = stepOptions.temperature;
      buffers.scalars.step[0] = current.stepCount + 1;
      if (stepOptions.jobWeight) {
        if (stepOptions.jobWeight.length !== runs * spec.nodes)
          throw invalidInput(
            `step: jobWeight must hold runs x ${spec.nodes} values, got ${stepOptions.jobWeight.length}`,
          );
        buffers.jobWeight.set(stepOptions.jobWeight);
      } else buffers.jobWeight.fill(1);
      const feeds: Record<string, Tensor> = { ...buffers.feeds, x: xTensor(x, runs) };
      for (const name of graph.paramNames) feeds[name] = current.params[name] as Tensor;
      for (const name of graph.stateNames) feeds[name] = current.state[name] as Tensor;
      const out = await runGraph(train, feeds, { where: 'models/SslTrainer.step' });
      const read = (name: string) => (out[name] as Tensor).data[0] as number;
      const result = {
        loss: read('loss'),
        reconstructionLoss: read('reconstructionLoss'),
        contrastLoss: read('contrastLoss'),
      };
      if (!Number.isFinite(result.loss)) {
        throw new ProteusError(
          'PROTEUS_MODELS_NON_FINITE_LOSS',
          `models/SslTrainer.step: loss is ${result.loss} at step ${current.stepCount + 1}; weights were not updated. Lower the learning rate or check the inputs for NaN.`,
          { details: { step: current.stepCount + 1, ...result } },
        );
      }
      current.advance(out);
      return result;
    },
    async score(x, scoreOptions) {
      const runs = runsOf(x, 'score');
      checkTemperature(scoreOptions.temperature, 'score');
      const feeds = {
        ...current.params,
        x: xTensor(x, runs),
        temperature: createTensor('float32', new Float32Array([scoreOptions.temperature]), []),
      };
      const out = await runGraph(evaluation, feeds, { where: 'models/SslTrainer.score' });
      return new Float32Array((out.errors as Tensor).data as Float32Array);
    },
    weights() {
      return current.weights();
    },
    setWeights(weights, setOptions = {}) {
      assertSslWeights(spec, weights, 'SslTrainer.setWeights');
      current.loadWeights(weights);
      if (setOptions.resetOptimizer ?? true) current.resetState();
    },
    exportInferenceModel(exportOptions) {
      checkTemperature(exportOptions.temperature, 'exportInferenceModel');
      return buildSslInferenceGraph(spec, {
        weights: trainer.weights(),
        temperature: exportOptions.temperature,
        ...(exportOptions.calibration ? { calibration: exportOptions.calibration } : {}),
      });
    },
    release() {
      return current.release();
    },
    [Symbol.asyncDispose]() {
      return trainer.release();
    },
  };
  return trainer;
}
