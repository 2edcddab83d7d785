// The one-run training step: forward + softmax cross-entropy + backward + optimizer update in a single ONNX graph.
// Weights and optimizer state are graph inputs; their updated values are graph outputs (`<name>.next`).
import {
  addGradients,
  appendOptimizerStep,
  createGraphBuilder,
  type Dim,
  type ResolvedOptimizer,
  type Value,
} from '@proteus-wf/onnx-train';
import { buildForward, outputShape } from './model-graph.js';
import type { ModelWeights, ResolvedModelSpec } from './model-spec.js';
import { assertWeights, weightShapes } from './model-spec.js';

/** A built training-step graph and the names of its inputs and outputs. */
export interface TrainingGraph {
  bytes: Uint8Array;
  /** Weight inputs; outputs are `<name>.next`. */
  paramNames: string[];
  /** Optimizer state inputs (e.g. `gcn0.weight.m`); outputs are `<name>.next`. */
  stateNames: string[];
  /** Dropout mask inputs and their shapes (batch dim symbolic). */
  dropoutMasks: { name: string; shape: Dim[] }[];
}

/**
 * Builds the training-step graph. Inputs: `x`, `target` (one-hot or soft labels, shaped like the logits), `weight`
 * (per-item loss weight = class weight x mask, shaped like the logits without the class axis), `step` (1-based float
 * scalar), `lr` (float scalar), the weights, the optimizer state and the dropout masks. Outputs: `loss` and
 * `<input>.next` for every weight and state. The loss is `sum(weight * nll) / sum(weight)`, which is
 * torch.nn.CrossEntropyLoss(weight=classWeights) restricted to the masked items.
 * @example const graph = buildTrainingGraph(defineModelSpec(spec), resolveOptimizer({ kind: 'adam' }));
 */
export function buildTrainingGraph(spec: ResolvedModelSpec, optimizer: ResolvedOptimizer): TrainingGraph {
  const g = createGraphBuilder({ name: `${spec.kind}-train-step` });
  const shapes = weightShapes(spec);
  const params: Record<string, Value> = {};
  for (const [name, shape] of shapes) params[name] = g.input(name, 'float32', shape);
  const forward = buildForward(g, spec, params, { dropout: true });
  const logitsShape = outputShape(spec);
  const target = g.input('target', 'float32', logitsShape);
  const itemWeight = g.input('weight', 'float32', logitsShape.slice(0, -1));
  const step = g.input('step', 'float32', []);
  const lr = g.input('lr', 'float32', []);

  const logProbabilities = g.logSoftmax(forward.logits, -1);
  const nll = g.neg(g.reduceSum(g.mul(target, logProbabilities), [-1]));
  const total = g.emit('Max', [g.reduceSum(itemWeight), g.scalar(1e-12)], [], { dtype: 'float32', shape: [] });
  const loss = g.div(g.reduceSum(g.mul(nll, itemWeight)), total);

  const paramValues = shapes.map(([name]) => params[name] as Value);
  const grads = addGradients(g, loss, paramValues);
  const update = appendOptimizerStep(g, paramValues, grads, optimizer, { step, lr }, { flat: true });
  g.output(loss, 'loss');
  paramValues.forEach((p, i) => {
    g.output(update.updated[i] as Value, `${p.name}.next`);
  });
  update.stateInputs.forEach((s, i) => {
    g.output(update.stateOutputs[i] as Value, `${s.name}.next`);
  });
  return {
    bytes: g.toModel(),
    paramNames: shapes.map(([name]) => name),
    stateNames: update.stateInputs.map((s) => s.name),
    dropoutMasks: forward.dropoutMasks.map((m) => ({ name: m.name, shape: [...m.shape] })),
  };
}

/**
 * Builds the forward-only graph: input `x`, outputs `logits` and `probabilities` (softmax over classes). With
 * `weights`, they are baked in as initializers (a self-contained model to save); without, they are inputs named like
 * the weights (what the trainer's evaluation session uses).
 * @example const onnx = buildInferenceGraph(spec, trainer.weights());
 * @throws ProteusError PROTEUS_MODELS_INVALID_WEIGHTS when `weights` do not match the spec
 */
export function buildInferenceGraph(spec: ResolvedModelSpec, weights?: ModelWeights): Uint8Array {
  if (weights) assertWeights(spec, weights, 'buildInferenceGraph');
  const g = createGraphBuilder({ name: `${spec.kind}-inference` });
  const values: Record<string, Value> = {};
  for (const [name, shape] of weightShapes(spec)) {
    const w = weights?.[name];
    values[name] = w ? g.initializer(name, 'float32', shape, w.data) : g.input(name, 'float32', shape);
  }
  const forward = buildForward(g, spec, values, { dropout: false });
  g.output(forward.logits, 'logits');
  g.output(g.softmax(forward.logits, -1), 'probabilities');
  return g.toModel();
}
