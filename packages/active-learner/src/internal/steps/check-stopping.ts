/*
 * The stop step: flag the stop set's jobs with the updated model, compare with the previous model's flags and apply
 * the stopping rule. The stop set is drawn once from the unlabelled pool (emulation) or is the labelled runs.
 */
import { createRng } from '@proteus-wf/core';
import type { ExperimentBackend } from '../../experiment-backend.js';
import { cohenKappa, decideStop, type StopDecision, type StoppingRule } from '../../stopping-rule.js';
import type { LabelledSet } from '../labelled-set.js';
import { scoreRuns } from '../labelled-set.js';
import type { LearnerModel } from '../learner-model.js';

/** Features of the runs whose job flags the rule compares. */
export interface StopSet {
  kind: 'unlabelled pool' | 'labelled';
  runs: number;
  x: Float32Array;
}

/** What the stop step carries from one iteration to the next (and in checkpoints). */
export interface StoppingState {
  previousFlags: Uint8Array | null;
  stable: number;
}

/** Draws the stop set from the backend's unlabelled candidates; undefined when it lists none (a live testbed). */
export function drawStopSet(backend: ExperimentBackend, rule: StoppingRule, seed: number): StopSet | undefined {
  if (rule.rule === 'never' || !backend.candidates) return undefined;
  const per = backend.options().map((o) => backend.candidates?.(o.label));
  const all = per.flatMap((c) => (c ? c.runIds.map((_, i) => ({ c, i })) : []));
  if (all.length === 0) return undefined;
  const picked = createRng(seed + 0x5709).sample(all, Math.min(rule.stopSetRuns, all.length));
  const size = backend.nodes * backend.features;
  const x = new Float32Array(picked.length * size);
  picked.forEach(({ c, i }, k) => {
    x.set(c.x.subarray(i * size, (i + 1) * size), k * size);
  });
  return { kind: 'unlabelled pool', runs: picked.length, x };
}

/** Flags the stop set's jobs, compares with the previous flags and decides. */
export async function checkStopping(
  model: LearnerModel,
  rule: StoppingRule,
  stopSet: StopSet | undefined,
  set: LabelledSet,
  state: StoppingState,
  nodes: number,
  features: number,
): Promise<{ decision: StopDecision; agreement: number | null; state: StoppingState }> {
  if (rule.rule === 'never')
    return {
      decision: decideStop(rule, { agreement: null, stable: 0, runs: set.runIds.length, stopSetRuns: 0 }),
      agreement: null,
      state,
    };
  const target: StopSet = stopSet ?? { kind: 'labelled', runs: set.runIds.length, x: concat(set.x) };
  const scores = await scoreRuns(model, target.x, target.runs, nodes, features);
  const flags = flagsOf(scores, model.definition.kind, anomalousShare(set));
  const previous = state.previousFlags;
  const common = previous ? Math.min(previous.length, flags.length) : 0;
  const agreement = previous && common > 0 ? cohenKappa(previous.subarray(0, common), flags.subarray(0, common)) : null;
  const decision = decideStop(rule, {
    agreement,
    stable: state.stable,
    runs: set.runIds.length,
    stopSetRuns: previous ? common / nodes : target.runs,
    stopSetKind: target.kind,
  });
  return { decision, agreement, state: { previousFlags: flags, stable: decision.stable } };
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function anomalousShare(set: LabelledSet): number {
  let positives = 0;
  let total = 0;
  for (const run of set.jobBinary) {
    total += run.length;
    for (const b of run) if (b > 0) positives++;
  }
  return total === 0 ? 0 : positives / total;
}

/** GCN: probability >= 0.5. SSL (scores are errors): the top share of jobs, as many as the labelled anomaly share. */
function flagsOf(scores: Float32Array, kind: 'gcn' | 'ssl', share: number): Uint8Array {
  const flags = new Uint8Array(scores.length);
  if (kind === 'gcn') {
    for (let j = 0; j < scores.length; j++) flags[j] = (scores[j] as number) >= 0.5 ? 1 : 0;
    return flags;
  }
  const sorted = Float32Array.from(scores).sort();
  const cut = sorted[Math.min(sorted.length - 1, Math.floor((1 - share) * sorted.length))] as number;
  for (let j = 0; j < scores.length; j++) flags[j] = share > 0 && (scores[j] as number) >= cut ? 1 : 0;
  return flags;
}
