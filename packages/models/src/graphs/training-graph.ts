// The one-run training step: forward + softmax cross-entropy + backward + optimizer update in a single ONNX graph.
// Weights and optimizer state are graph inputs; their updated values are graph outputs (`<name>.next`).
import { createGraphBuilder, type Dim, type ResolvedOptimizer } from '@proteus-wf/onnx-train';
import { buildForward, outputShape } from './model-graph.js';
import type { ModelWeights, ResolvedModelSpec } from './model-spec.js';
import { assertWeights, weightShapes } from './model-spec.js';
import { appendTrainingStep, type TrainingStepNames, weightValues } from './training-step.js';

/** A built training-step graph and the names of its inputs and outputs. */
export interface TrainingGraph extends TrainingStepNames {
  bytes: Uint8Array;
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
  const params = weightValues(g, shapes);
  const forward = buildForward(g, spec, params, { dropout: true });
  const logitsShape = outputShape(spec);
  const target = g.input('target', 'float32', logitsShape);
  const itemWeight = g.input('weight', 'float32', logitsShape.slice(0, -1));

  const logProbabilities = g.logSoftmax(forward.logits, -1);
  const nll = g.neg(g.reduceSum(g.mul(target, logProbabilities), [-1]));
  const total = g.emit('Max', [g.reduceSum(itemWeight), g.scalar(1e-12)], [], { dtype: 'float32', shape: [] });
  const loss = g.div(g.reduceSum(g.mul(nll, itemWeight)), total);
  const names = appendTrainingStep(g, shapes, params, { loss }, optimizer);
  return {
    bytes: g.toModel(),
    ...names,
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
  const forward = buildForward(g, spec, weightValues(g, weightShapes(spec), weights), { dropout: false });
  g.output(forward.logits, 'logits');
  g.output(g.softmax(forward.logits, -1), 'probabilities');
  return g.toModel();
}
