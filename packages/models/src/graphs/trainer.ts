// The trainer: owns one training-step session and one evaluation session, keeps weights and optimizer state as
// onnxruntime tensors between steps (the outputs of step k are fed as inputs of step k+1, never copied in JS).
import { createRng, ProteusError, type Rng } from '@proteus-wf/core';
import type { OptimizerSpec, ResolvedOptimizer } from '@proteus-wf/onnx-train';
import {
  type CreateSessionOptions,
  createSession,
  createTensor,
  type ExecutionProvider,
  resolveOptimizer,
  runGraph,
  type Tensor,
} from '@proteus-wf/onnx-train';
import { createTrainerState } from '../internal/trainer-state.js';
import { inputShape } from './model-graph.js';
import {
  assertWeights,
  defineModelSpec,
  initWeights,
  type ModelSpec,
  type ModelWeights,
  type ResolvedModelSpec,
  weightShapes,
} from './model-spec.js';
import { buildInferenceGraph, buildTrainingGraph, type TrainingGraph } from './training-graph.js';

/** Options of `createTrainer`. */
export interface CreateTrainerOptions extends CreateSessionOptions {
  /** The model to train. */
  model: ModelSpec;
  /** Optimizer (default Adam, lr 1e-3, as in the WORKS'22 paper). */
  optimizer?: OptimizerSpec;
  /** Seed for weight init and dropout masks (default 0). */
  seed?: number;
  /** Per-class loss weights (length C), like torch CrossEntropyLoss(weight=). */
  classWeights?: readonly number[];
  /** Start from these weights instead of a seeded init. */
  weights?: ModelWeights;
}

/** Options of `Trainer.step`. */
export interface StepOptions {
  /** 0/1 (or fractional) weight per labelled item: node level [B*N]; graph level [B]. Default all ones. */
  mask?: Float32Array;
}

/** A model being trained; see docs/engine.md for the tensor layouts. */
export interface Trainer {
  /** The resolved model spec. */
  readonly spec: ResolvedModelSpec;
  /** The resolved optimizer. */
  readonly optimizer: ResolvedOptimizer;
  /** Execution providers the sessions run on (after any CUDA -> CPU fallback). */
  readonly executionProviders: readonly ExecutionProvider[];
  /** Optimizer steps taken since init or the last `setWeights` that reset the optimizer. */
  readonly stepCount: number;
  /** One training step (forward, backward, update in one session.run); resolves to the batch loss. */
  step(x: Float32Array, labels: ArrayLike<number>, options?: StepOptions): Promise<number>;
  /** Class probabilities with dropout off: [B*C] (graph level, MLP rows) or [B*N*C] (node level). */
  evaluate(x: Float32Array): Promise<Float32Array>;
  /** A copy of the current weights. */
  weights(): ModelWeights;
  /** Replaces the weights; resets the optimizer state and step count unless `resetOptimizer: false`. */
  setWeights(weights: ModelWeights, options?: { resetOptimizer?: boolean }): void;
  /** Changes the learning rate of later steps. */
  setLearningRate(lr: number): void;
  /** The forward-only ONNX model with the current weights as initializers (input `x`, outputs `logits`, `probabilities`). */
  exportInferenceModel(): Uint8Array;
  /** Releases both onnxruntime sessions. */
  release(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function invalidInput(message: string, details?: unknown): ProteusError {
  return new ProteusError('PROTEUS_MODELS_INVALID_INPUT', `models/Trainer.${message}`, { details });
}

/** Fast seeded uniform stream (xorshift128) for dropout masks: seeded from the trainer's Rng, ~1 ns per value. */
function createMaskStream(rng: Rng): (out: Float32Array, p: number) => void {
  let a = rng.int(1, 0x7fffffff);
  let b = rng.int(1, 0x7fffffff);
  let c = rng.int(1, 0x7fffffff);
  let d = rng.int(1, 0x7fffffff);
  return (out, p) => {
    const keep = 1 / (1 - p);
    for (let i = 0; i < out.length; i++) {
      let t = a ^ (a << 11);
      a = b;
      b = c;
      c = d;
      d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
      t = d / 4294967296;
      out[i] = t < p ? 0 : keep;
    }
  };
}

/**
 * Creates a trainer for a GCN or MLP: builds the training-step and evaluation graphs and opens their sessions.
 * @example
 * const trainer = await createTrainer({ model: { kind: 'mlp', features: 24, classes: 2 }, seed: 1 });
 * const loss = await trainer.step(x, labels);
 * const probabilities = await trainer.evaluate(x);
 * await trainer.release();
 * @throws ProteusError PROTEUS_MODELS_INVALID_SPEC, PROTEUS_MODELS_INVALID_OPTIMIZER, PROTEUS_MODELS_INVALID_WEIGHTS,
 * PROTEUS_MODELS_INVALID_INPUT (class weights), PROTEUS_ONNX_TRAIN_EP_UNAVAILABLE, PROTEUS_ONNX_TRAIN_SESSION_FAILED
 */
export async function createTrainer(options: CreateTrainerOptions): Promise<Trainer> {
  const spec = defineModelSpec(options.model);
  const optimizer = resolveOptimizer(options.optimizer ?? { kind: 'adam', lr: 1e-3 });
  const rng = createRng(options.seed ?? 0);
  const classWeights = options.classWeights ?? new Array<number>(spec.classes).fill(1);
  if (classWeights.length !== spec.classes || classWeights.some((w) => !(Number.isFinite(w) && w >= 0))) {
    throw invalidInput(
      `create: classWeights must be ${spec.classes} finite numbers >= 0, got [${classWeights.join(', ')}]`,
    );
  }
  const initial = options.weights ?? initWeights(spec, rng.fork());
  assertWeights(spec, initial, 'createTrainer');
  const graph: TrainingGraph = buildTrainingGraph(spec, optimizer);
  const train = await createSession(graph.bytes, options);
  const evaluation = await createSession(buildInferenceGraph(spec), {
    ...options,
    executionProviders: train.providers,
  });
  const fillMask = createMaskStream(rng.fork());
  const shapes = new Map(weightShapes(spec));

  const [, ...itemDims] = inputShape(spec).slice(0, -1) as number[];
  const itemsPerSample = itemDims.reduce((p, d) => p * d, 1);
  const sampleSize = itemsPerSample * spec.features;

  const current = createTrainerState(shapes, graph, initial, [train.session, evaluation.session]);
  let lr = optimizer.lr;

  const batchOf = (x: Float32Array, where: string) => {
    if (current.released) throw invalidInput(`${where}: the trainer was released`);
    if (!(x instanceof Float32Array) || x.length === 0 || x.length % sampleSize !== 0) {
      throw invalidInput(
        `${where}: x must be a Float32Array of batch x ${[...itemDims, spec.features].join(' x ')} = k x ${sampleSize} values, got ${x?.length ?? 'none'}`,
      );
    }
    return x.length / sampleSize;
  };
  const xTensor = (x: Float32Array, batch: number) => createTensor('float32', x, [batch, ...itemDims, spec.features]);

  const trainer: Trainer = {
    spec,
    optimizer,
    executionProviders: train.providers,
    get stepCount() {
      return current.stepCount;
    },
    async step(x, labels, stepOptions = {}) {
      const batch = batchOf(x, 'step');
      const items = batch * itemsPerSample;
      const perItem = spec.kind === 'gcn' && spec.level === 'graph' ? batch : items;
      if (labels.length !== perItem) {
        throw invalidInput(`step: expected ${perItem} labels for a batch of ${batch}, got ${labels.length}`);
      }
      const mask = stepOptions.mask;
      if (mask && mask.length !== perItem)
        throw invalidInput(`step: expected ${perItem} mask values, got ${mask.length}`);
      const target = new Float32Array(perItem * spec.classes);
      const weight = new Float32Array(perItem);
      for (let i = 0; i < perItem; i++) {
        const label = labels[i] as number;
        if (!Number.isInteger(label) || label < 0 || label >= spec.classes) {
          throw invalidInput(`step: label ${i} is ${label}; labels must be integers in [0, ${spec.classes - 1}]`);
        }
        target[i * spec.classes + label] = 1;
        weight[i] = (classWeights[label] as number) * (mask ? (mask[i] as number) : 1);
      }
      const itemShape = [batch, ...itemDims].slice(0, spec.kind === 'gcn' && spec.level === 'graph' ? 1 : undefined);
      const feeds: Record<string, Tensor> = {
        ...current.params,
        ...current.state,
        x: xTensor(x, batch),
        target: createTensor('float32', target, [...itemShape, spec.classes]),
        weight: createTensor('float32', weight, itemShape),
        step: createTensor('float32', new Float32Array([current.stepCount + 1]), []),
        lr: createTensor('float32', new Float32Array([lr]), []),
      };
      for (const mask of graph.dropoutMasks) {
        const dims = mask.shape.map((d) => (typeof d === 'number' ? d : batch));
        const data = new Float32Array(dims.reduce((p, d) => p * d, 1));
        fillMask(data, spec.dropout);
        feeds[mask.name] = createTensor('float32', data, dims);
      }
      const out = await runGraph(train, feeds, { where: 'models/Trainer.step' });
      const loss = (out.loss as Tensor).data[0] as number;
      if (!Number.isFinite(loss)) {
        // Keep the last good weights and state: the caller can lower the learning rate and retry.
        throw new ProteusError(
          'PROTEUS_MODELS_NON_FINITE_LOSS',
          `models/Trainer.step: loss is ${loss} at step ${current.stepCount + 1}; weights were not updated. Lower the learning rate or check the inputs for NaN.`,
          { details: { step: current.stepCount + 1, loss } },
        );
      }
      current.advance(out);
      return loss;
    },
    async evaluate(x) {
      const batch = batchOf(x, 'evaluate');
      const out = await runGraph(
        evaluation,
        { ...current.params, x: xTensor(x, batch) },
        { where: 'models/Trainer.evaluate' },
      );
      return (out.probabilities as Tensor).data as Float32Array;
    },
    weights() {
      return current.weights();
    },
    setWeights(weights, setOptions = {}) {
      assertWeights(spec, weights, 'Trainer.setWeights');
      current.loadWeights(weights);
      if (setOptions.resetOptimizer ?? true) current.resetState();
    },
    setLearningRate(value) {
      if (!(Number.isFinite(value) && value > 0)) {
        throw new ProteusError(
          'PROTEUS_MODELS_INVALID_OPTIMIZER',
          `models/Trainer.setLearningRate: lr must be > 0, got ${value}`,
        );
      }
      lr = value;
    },
    exportInferenceModel() {
      return buildInferenceGraph(spec, trainer.weights());
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
