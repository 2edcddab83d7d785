/*
 * Attribute augmentation of the SSL model's contrastive view (adapted by the reference from PyGOD CONAD).
 * Reference: FlowGAD `Lib_SSL_CL.py` `_data_augmentation` (ml.md §3.3), with its range bug fixed: the reference
 * divides every job with p >= 7r/8 (about 82.5% of all jobs) because the last branch has no upper bound r.
 */
import { ProteusError, type Rng } from '@proteus-wf/core';

/** Options of {@link augmentJobs}. */
export interface AugmentJobsOptions {
  /** Fraction of jobs perturbed (default 0.2). */
  rate?: number;
  /** Scale factor of the scale-up / scale-down perturbations (default 10). */
  factor?: number;
  /** Random candidates among which a replaced job takes the farthest one's features (default 50). */
  candidates?: number;
}

/** An augmented batch: perturbed features and a 0/1 flag per job. */
export interface AugmentedJobs {
  /** Same layout as the input, `[runs, N, F]`. */
  x: Float32Array;
  /** 1 where the job was perturbed, `[runs, N]`. */
  augmented: Float32Array;
  /** How many jobs got each perturbation. */
  counts: { replaced: number; scaledUp: number; scaledDown: number };
}

const DEFAULTS = { rate: 0.2, factor: 10, candidates: 50 };

/**
 * Perturbs a seeded fraction `rate` of the jobs of a batch and flags them; the DAG is untouched. With p ~ U(0,1) per
 * job: p < r/2 takes the features of the farthest (L2) of `candidates` random jobs of the batch, r/2 <= p < 3r/4 is
 * multiplied by `factor`, 3r/4 <= p < r is divided by `factor`. These are the reference's three attribute
 * perturbations in its 2:1:1 proportions, spread over the whole rate (its structural share does not apply here).
 * @example const { x: xAugmented, augmented } = augmentJobs(x, { runs: 32, nodes: 137, features: 7 }, createRng(1));
 * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT when `x` does not hold runs*nodes*features values or an option is
 * out of range
 */
export function augmentJobs(
  x: Float32Array,
  shape: { runs: number; nodes: number; features: number },
  rng: Rng,
  options: AugmentJobsOptions = {},
): AugmentedJobs {
  const resolved = resolveAugmentJobsOptions(options);
  const { runs, nodes, features } = shape;
  const jobs = runs * nodes;
  if (x.length !== jobs * features || jobs === 0) {
    throw new ProteusError(
      'PROTEUS_MODELS_INVALID_INPUT',
      `models/augmentJobs: x has ${x.length} values; expected runs*nodes*features = ${runs}*${nodes}*${features}`,
    );
  }
  const out = new Float32Array(x.length);
  const augmented = new Float32Array(jobs);
  const counts = augmentJobsInto(x, shape, rng, resolved, { x: out, augmented });
  return { x: out, augmented, counts };
}

/**
 * Validates augmentation options and fills their defaults.
 * @throws ProteusError PROTEUS_MODELS_INVALID_INPUT when an option is out of range
 */
export function resolveAugmentJobsOptions(options: AugmentJobsOptions = {}): Required<AugmentJobsOptions> {
  const rate = options.rate ?? DEFAULTS.rate;
  const factor = options.factor ?? DEFAULTS.factor;
  const candidates = options.candidates ?? DEFAULTS.candidates;
  const bad = (what: string) => new ProteusError('PROTEUS_MODELS_INVALID_INPUT', `models/augmentJobs: ${what}`);
  if (!(rate >= 0 && rate <= 1)) throw bad(`rate must be in [0, 1], got ${rate}`);
  if (!(factor > 0 && Number.isFinite(factor))) throw bad(`factor must be a finite number > 0, got ${factor}`);
  if (!(Number.isInteger(candidates) && candidates >= 1))
    throw bad(`candidates must be an integer >= 1, got ${candidates}`);
  return { rate, factor, candidates };
}

/**
 * {@link augmentJobs} into caller-owned buffers (the trainer reuses one pair per batch size): `target.x` and
 * `target.augmented` are fully overwritten. Options must already be validated.
 */
export function augmentJobsInto(
  x: Float32Array,
  shape: { runs: number; nodes: number; features: number },
  rng: Rng,
  options: Required<AugmentJobsOptions>,
  target: { x: Float32Array; augmented: Float32Array },
): AugmentedJobs['counts'] {
  const { rate, factor, candidates } = options;
  const { features } = shape;
  const jobs = shape.runs * shape.nodes;
  const out = target.x;
  const augmented = target.augmented;
  out.set(x);
  augmented.fill(0);
  const counts = { replaced: 0, scaledUp: 0, scaledDown: 0 };
  for (let job = 0; job < jobs; job++) {
    const p = rng.float();
    if (p >= rate) continue;
    const base = job * features;
    augmented[job] = 1;
    if (p < rate / 2) {
      let farthest = job;
      let best = -1;
      for (let c = 0; c < candidates; c++) {
        const other = rng.int(0, jobs - 1);
        const otherBase = other * features;
        let distance = 0;
        for (let f = 0; f < features; f++) {
          const d = (x[base + f] as number) - (x[otherBase + f] as number);
          distance += d * d;
        }
        if (distance > best) {
          best = distance;
          farthest = other;
        }
      }
      out.set(x.subarray(farthest * features, (farthest + 1) * features), base);
      counts.replaced++;
    } else {
      const scale = p < (3 * rate) / 4 ? factor : 1 / factor;
      for (let f = 0; f < features; f++) out[base + f] = (x[base + f] as number) * scale;
      if (scale === factor) counts.scaledUp++;
      else counts.scaledDown++;
    }
  }
  return counts;
}
