// Weights and optimizer state of a trainer, kept as onnxruntime tensors between steps: the outputs `<name>.next` of
// step k become the inputs of step k+1 and are never copied in JS.

import { createTensor, type OnnxSession, type Tensor } from '@proteus-wf/onnx-train';
import type { ModelWeights } from '../graphs/model-spec.js';

/** The mutable tensors and lifetime of a trainer (GCN/MLP or SSL). */
export interface TrainerState {
  /** The current weights by name (replaced by `loadWeights`, updated by `advance`). */
  readonly params: Record<string, Tensor>;
  /** The current optimizer state by name. */
  readonly state: Record<string, Tensor>;
  readonly stepCount: number;
  readonly released: boolean;
  /** Copies `weights` into fresh tensors (the caller has checked their shapes). */
  loadWeights(weights: ModelWeights): void;
  /** Zeroes the optimizer state and the step count. */
  resetState(): void;
  /** A copy of the current weights. */
  weights(): ModelWeights;
  /** Takes the `<name>.next` outputs of a training step as the new weights and state, and counts the step. */
  advance(out: Readonly<Record<string, Tensor>>): void;
  /** Releases the sessions once; later calls do nothing. */
  release(): Promise<void>;
}

/**
 * Creates the state of a trainer whose training graph has `paramNames` (shaped by `shapes`) and `stateNames`
 * (`<param>.<slot>`, shaped like their param), starting from `initial`.
 */
export function createTrainerState(
  shapes: ReadonlyMap<string, number[]>,
  graph: { paramNames: readonly string[]; stateNames: readonly string[] },
  initial: ModelWeights,
  sessions: readonly OnnxSession[],
): TrainerState {
  let params: Record<string, Tensor> = {};
  let state: Record<string, Tensor> = {};
  let stepCount = 0;
  let released = false;
  const result: TrainerState = {
    get params() {
      return params;
    },
    get state() {
      return state;
    },
    get stepCount() {
      return stepCount;
    },
    get released() {
      return released;
    },
    loadWeights(weights) {
      params = {};
      for (const [name, shape] of shapes) {
        params[name] = createTensor(
          'float32',
          Float32Array.from((weights[name] as { data: Float32Array }).data),
          shape,
        );
      }
    },
    resetState() {
      state = {};
      for (const name of graph.stateNames) {
        const shape = shapes.get(name.slice(0, name.lastIndexOf('.'))) ?? [];
        state[name] = createTensor('float32', new Float32Array(shape.reduce((p, d) => p * d, 1)), shape);
      }
      stepCount = 0;
    },
    weights() {
      const copy: ModelWeights = {};
      for (const [name, shape] of shapes) {
        copy[name] = { shape: [...shape], data: Float32Array.from((params[name] as Tensor).data as Float32Array) };
      }
      return copy;
    },
    advance(out) {
      for (const name of graph.paramNames) params[name] = out[`${name}.next`] as Tensor;
      for (const name of graph.stateNames) state[name] = out[`${name}.next`] as Tensor;
      stepCount++;
    },
    async release() {
      if (released) return;
      released = true;
      await Promise.all(sessions.map((session) => session.release()));
    },
  };
  result.loadWeights(initial);
  result.resetState();
  return result;
}
