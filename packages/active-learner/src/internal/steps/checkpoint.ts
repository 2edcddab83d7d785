/*
 * The checkpoint step: after every iteration, everything `resume` needs to continue bit for bit (weights, optimizer
 * state, RNG, backend pool, labelled runs, history, the stopping rule's state), written atomically.
 */
import { readFile } from 'node:fs/promises';
import { ProteusError, type Rng, type RngState, restoreRng, writeFileAtomic } from '@proteus-wf/core';
import type { ExperimentBackend } from '../../experiment-backend.js';
import type { IterationRecord, StopPoint, StopReason } from '../../run-active-learning.js';
import type { LabelledSet } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';
import { decodeFloats, decodeWeights, encodeFloats, encodeWeights } from '../serialize.js';
import type { StoppingState, StopSet } from './check-stopping.js';

const FORMAT = 'proteus-al-checkpoint';
const VERSION = 2;
const WHERE = 'active-learner/runActiveLearning';

/** The loop's state between iterations. */
export interface LoopState {
  iteration: number;
  history: IterationRecord[];
  stopped: StopReason | null;
  /** Where the stopping rule stopped (or, recording, would have). */
  stopAt: StopPoint | null;
  rng: Rng;
  set: LabelledSet;
  stopping: StoppingState;
  stopSet: StopSet | undefined;
}

interface Checkpoint {
  format: typeof FORMAT;
  version: typeof VERSION;
  fingerprint: Record<string, unknown>;
  iteration: number;
  stopped: StopReason | null;
  stopAt: StopPoint | null;
  model: { weights: ReturnType<typeof encodeWeights>; optimizer: Record<string, string>; step: number };
  rng: RngState;
  backend: unknown;
  acquired: {
    runIds: string[];
    labels: string[];
    durations: number[];
    x: string[];
    jobBinary: string[];
    jobLabels: string[][];
  };
  stopping: {
    previousFlags: string | null;
    stable: number;
    stopSet: { kind: StopSet['kind']; runs: number; x: string } | null;
  };
  history: IterationRecord[];
}

const bytes = (b: Uint8Array) => Buffer.from(b).toString('base64');
const unbytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

/** Writes the loop's state to `path` atomically. */
export async function writeCheckpoint(
  path: string,
  fingerprint: Record<string, unknown>,
  state: LoopState,
  model: LearnerModel,
  backend: ExperimentBackend,
): Promise<void> {
  const saved = model.saveState();
  const { set } = state;
  const checkpoint: Checkpoint = {
    format: FORMAT,
    version: VERSION,
    fingerprint,
    iteration: state.iteration,
    stopped: state.stopped,
    stopAt: state.stopAt,
    model: {
      weights: encodeWeights(saved.weights),
      optimizer: Object.fromEntries(Object.entries(saved.optimizer).map(([name, v]) => [name, encodeFloats(v)])),
      step: saved.step,
    },
    rng: state.rng.save(),
    backend: backend.save(),
    acquired: {
      runIds: set.runIds,
      labels: set.labels,
      durations: set.durations,
      x: set.x.map(encodeFloats),
      jobBinary: set.jobBinary.map(bytes),
      jobLabels: set.jobLabels,
    },
    stopping: {
      previousFlags: state.stopping.previousFlags ? bytes(state.stopping.previousFlags) : null,
      stable: state.stopping.stable,
      stopSet: state.stopSet
        ? { kind: state.stopSet.kind, runs: state.stopSet.runs, x: encodeFloats(state.stopSet.x) }
        : null,
    },
    history: state.history,
  };
  await writeFileAtomic(path, JSON.stringify(checkpoint));
}

/**
 * Restores the loop's state from `path` into `model` and `backend`; undefined when there is no file.
 * @throws ProteusError PROTEUS_AL_CHECKPOINT_INVALID for another format or other settings
 */
export async function readCheckpoint(
  path: string,
  fingerprint: Record<string, unknown>,
  model: LearnerModel,
  backend: ExperimentBackend,
): Promise<LoopState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  let saved: Checkpoint;
  try {
    saved = JSON.parse(text) as Checkpoint;
    if (saved.format !== FORMAT || saved.version !== VERSION)
      throw new Error(`format ${String(saved.format)} v${String(saved.version)}, expected v${VERSION}`);
  } catch (cause) {
    throw new ProteusError(
      'PROTEUS_AL_CHECKPOINT_INVALID',
      `${WHERE}: ${path} is not an active-learning checkpoint of this version (${(cause as Error).message}); delete it or drop --resume`,
      { cause },
    );
  }
  if (JSON.stringify(saved.fingerprint) !== JSON.stringify(fingerprint)) {
    throw new ProteusError(
      'PROTEUS_AL_CHECKPOINT_INVALID',
      `${WHERE}: ${path} was written with other settings; drop --resume or use another --out`,
      { details: { saved: saved.fingerprint, requested: fingerprint } },
    );
  }
  backend.restore(saved.backend);
  model.loadState({
    weights: decodeWeights(saved.model.weights),
    optimizer: Object.fromEntries(Object.entries(saved.model.optimizer).map(([k, v]) => [k, decodeFloats(v)])),
    step: saved.model.step,
  });
  const a = saved.acquired;
  const s = saved.stopping;
  return {
    iteration: saved.iteration,
    history: saved.history,
    stopped: saved.stopped,
    stopAt: saved.stopAt,
    rng: restoreRng(saved.rng),
    set: {
      runIds: a.runIds,
      labels: a.labels,
      durations: a.durations,
      x: a.x.map(decodeFloats),
      jobBinary: a.jobBinary.map(unbytes),
      jobLabels: a.jobLabels,
    },
    stopping: { previousFlags: s.previousFlags ? unbytes(s.previousFlags) : null, stable: s.stable },
    stopSet: s.stopSet ? { kind: s.stopSet.kind, runs: s.stopSet.runs, x: decodeFloats(s.stopSet.x) } : undefined,
  };
}
