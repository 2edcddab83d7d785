// What every training-step graph shares, whatever its model and loss (the GCN/MLP classifier and the SSL detector):
// weights as graph inputs (or baked-in initializers), then backward + optimizer update of a scalar loss, with the
// updated weights and optimizer state as outputs `<name>.next` that feed the next step.
import {
  addGradients,
  appendOptimizerStep,
  type GraphBuilder,
  type ResolvedOptimizer,
  type Value,
} from '@proteus-wf/onnx-train';
import type { ModelWeights } from './model-spec.js';

/** Names a training-step graph takes and gives back as `<name>.next`. */
export interface TrainingStepNames {
  /** Weight inputs, in `shapes` order. */
  paramNames: string[];
  /** Optimizer state inputs (e.g. `gcn0.weight.m`). */
  stateNames: string[];
}

/**
 * Weight values for a graph: initializers when `weights` are given (a self-contained model to save), else float32
 * inputs named like the weights (what training and evaluation sessions feed).
 */
export function weightValues(
  g: GraphBuilder,
  shapes: readonly (readonly [string, readonly number[]])[],
  weights?: ModelWeights,
): Record<string, Value> {
  const values: Record<string, Value> = {};
  for (const [name, shape] of shapes) {
    const w = weights?.[name];
    values[name] = w ? g.initializer(name, 'float32', [...shape], w.data) : g.input(name, 'float32', [...shape]);
  }
  return values;
}

/**
 * Appends backward and the optimizer update of `losses.loss` with respect to `params` (in `shapes` order), declares
 * the `step` (1-based) and `lr` scalar inputs, and outputs every entry of `losses` by its key plus `<name>.next` for
 * every weight and optimizer state.
 */
export function appendTrainingStep(
  g: GraphBuilder,
  shapes: readonly (readonly [string, readonly number[]])[],
  params: Record<string, Value>,
  losses: { loss: Value } & Record<string, Value>,
  optimizer: ResolvedOptimizer,
): TrainingStepNames {
  const step = g.input('step', 'float32', []);
  const lr = g.input('lr', 'float32', []);
  const values = shapes.map(([name]) => params[name] as Value);
  const grads = addGradients(g, losses.loss, values);
  const update = appendOptimizerStep(g, values, grads, optimizer, { step, lr }, { flat: true });
  for (const [name, value] of Object.entries(losses)) g.output(value, name);
  values.forEach((p, i) => {
    g.output(update.updated[i] as Value, `${p.name}.next`);
  });
  update.stateInputs.forEach((s, i) => {
    g.output(update.stateOutputs[i] as Value, `${s.name}.next`);
  });
  return { paramNames: shapes.map(([name]) => name), stateNames: update.stateInputs.map((s) => s.name) };
}
