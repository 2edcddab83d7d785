// In-graph optimizer updates: the update rule is appended to the training-step graph, so new weights and optimizer
// state come out of the same session.run as the loss. Semantics follow torch.optim (SGD with momentum and L2 weight
// decay; Adam with L2 weight decay; AdamW with decoupled decay, Loshchilov & Hutter 2019).
import { ProteusError } from '@proteus-wf/core';
import type { GraphBuilder, Value } from './graph-builder.js';

/** SGD with optional momentum (torch: buf = momentum * buf + grad; p -= lr * buf). */
export interface SgdSpec {
  kind: 'sgd';
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

/** Adam (torch semantics; `weightDecay` is L2 added to the gradient). */
export interface AdamSpec {
  kind: 'adam';
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** AdamW (decoupled weight decay; defaults lr 5e-4 and weightDecay 1e-4 as in the active-learning paper). */
export interface AdamWSpec {
  kind: 'adamw';
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** An optimizer and its hyperparameters. */
export type OptimizerSpec = SgdSpec | AdamSpec | AdamWSpec;

/** Hyperparameters after defaults. */
export type ResolvedOptimizer =
  | { kind: 'sgd'; lr: number; momentum: number; weightDecay: number }
  | { kind: 'adam' | 'adamw'; lr: number; beta1: number; beta2: number; eps: number; weightDecay: number };

const DEFAULTS = {
  adam: { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  adamw: { lr: 5e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-4 },
} as const;

/**
 * Validates an optimizer spec and fills its defaults.
 * @example resolveOptimizer({ kind: 'adamw' }) // { kind: 'adamw', lr: 5e-4, weightDecay: 1e-4, ... }
 * @throws ProteusError PROTEUS_ONNX_TRAIN_INVALID_OPTIMIZER for an unknown kind or a hyperparameter out of range
 */
export function resolveOptimizer(spec: OptimizerSpec): ResolvedOptimizer {
  const bad = (what: string) =>
    new ProteusError(
      'PROTEUS_ONNX_TRAIN_INVALID_OPTIMIZER',
      `onnx-train/optimizer: ${what} (got ${JSON.stringify(spec)})`,
    );
  let resolved: ResolvedOptimizer;
  if (spec.kind === 'sgd') {
    resolved = { kind: 'sgd', lr: spec.lr, momentum: spec.momentum ?? 0, weightDecay: spec.weightDecay ?? 0 };
    if (!(resolved.momentum >= 0 && resolved.momentum < 1)) throw bad('momentum must be in [0, 1)');
  } else if (spec.kind === 'adam' || spec.kind === 'adamw') {
    resolved = { ...DEFAULTS[spec.kind], ...definedOnly(spec), kind: spec.kind };
    if (!(resolved.beta1 >= 0 && resolved.beta1 < 1 && resolved.beta2 >= 0 && resolved.beta2 < 1)) {
      throw bad('beta1 and beta2 must be in [0, 1)');
    }
    if (!(resolved.eps > 0)) throw bad('eps must be > 0');
  } else {
    throw bad(`kind must be "sgd", "adam" or "adamw"`);
  }
  if (!(Number.isFinite(resolved.lr) && resolved.lr > 0)) throw bad('lr must be a finite number > 0');
  if (!(resolved.weightDecay >= 0)) throw bad('weightDecay must be >= 0');
  return resolved;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** What `appendOptimizerStep` added. */
export interface OptimizerStep {
  /** New parameter values, one per parameter. */
  updated: Value[];
  /** State inputs (zeros before the first step), in `stateNames` order. */
  stateInputs: Value[];
  /** State outputs matching `stateInputs`. */
  stateOutputs: Value[];
}

/**
 * Appends the optimizer update for `params` given their `grads`. `step` (1-based, float scalar input) drives Adam's
 * bias correction; `lr` is a float scalar input so schedules need no new graph.
 * State inputs are named `<param>.<slot>` (slots: `momentum` for SGD, `m` and `v` for Adam/AdamW).
 * @example
 * const { updated } = appendOptimizerStep(g, [w], [dw], resolveOptimizer({ kind: 'adam' }), { step, lr });
 */
export function appendOptimizerStep(
  g: GraphBuilder,
  params: readonly Value[],
  grads: readonly Value[],
  spec: ResolvedOptimizer,
  scalars: { step: Value; lr: Value },
): OptimizerStep {
  const { step, lr } = scalars;
  const updated: Value[] = [];
  const stateInputs: Value[] = [];
  const stateOutputs: Value[] = [];
  if (spec.kind === 'sgd') {
    params.forEach((p, i) => {
      let grad = grads[i] as Value;
      if (spec.weightDecay > 0) grad = g.add(grad, g.mul(p, spec.weightDecay));
      if (spec.momentum > 0) {
        const buffer = g.input(`${p.name}.momentum`, p.dtype, p.shape);
        // torch initialises the buffer with the first gradient; with a zero buffer mu * 0 + g is the same.
        grad = g.add(g.mul(buffer, spec.momentum), grad);
        stateInputs.push(buffer);
        stateOutputs.push(grad);
      }
      updated.push(g.sub(p, g.mul(grad, lr)));
    });
    return { updated, stateInputs, stateOutputs };
  }
  const { beta1, beta2, eps, weightDecay } = spec;
  // Bias corrections, once per step: stepSize = lr / (1 - b1^t), denomScale = 1 / sqrt(1 - b2^t).
  const stepSize = g.div(lr, g.sub(1, g.pow(g.scalar(beta1), step)));
  const denomScale = g.div(1, g.sqrt(g.sub(1, g.pow(g.scalar(beta2), step))));
  params.forEach((p, i) => {
    let grad = grads[i] as Value;
    let base = p;
    if (spec.kind === 'adam' && weightDecay > 0) grad = g.add(grad, g.mul(p, weightDecay));
    if (spec.kind === 'adamw' && weightDecay > 0) base = g.sub(p, g.mul(p, g.mul(lr, weightDecay)));
    const m = g.input(`${p.name}.m`, p.dtype, p.shape);
    const v = g.input(`${p.name}.v`, p.dtype, p.shape);
    const mNext = g.add(g.mul(m, beta1), g.mul(grad, 1 - beta1));
    const vNext = g.add(g.mul(v, beta2), g.mul(g.mul(grad, grad), 1 - beta2));
    const denom = g.add(g.mul(g.sqrt(vNext), denomScale), eps);
    updated.push(g.sub(base, g.mul(g.div(mNext, denom), stepSize)));
    stateInputs.push(m, v);
    stateOutputs.push(mNext, vNext);
  });
  return { updated, stateInputs, stateOutputs };
}
