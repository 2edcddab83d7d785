import type { FeatureSet } from './extract-features.js';
import { type LabelGranularity, type LabelMap, labelIndex, labelMapFor, NORMAL_LABEL } from './labels.js';
import { type Scaler, scaleValues } from './scaler.js';

/** Options of `toTensors`. */
export interface ToTensorsOptions {
  /** Scale X with a scaler fitted on training data; without one X holds the unscaled values. */
  scaler?: Scaler;
  /** Multi-class granularity; default `fine` for gen-2, `merged` for gen-1 (see `labelMapFor`). */
  labels?: LabelGranularity;
}

/** What a model consumes. Flat typed arrays, row-major, jobs in node-index order. */
export interface DatasetTensors {
  /** `[runs, jobs, features]`. Without a scaler this is `features.values` itself (not a copy). */
  X: Float32Array;
  shape: [runs: number, jobs: number, features: number];
  featureNames: readonly string[];
  /** Class index per job, `[runs, jobs]`, in `labelMap.classes`. */
  jobLabels: Int32Array;
  /** 1 = anomalous job, `[runs, jobs]`. */
  jobBinary: Uint8Array;
  /** Class index per run. */
  runLabels: Int32Array;
  /** 1 = anomalous run. */
  runBinary: Uint8Array;
  labelMap: LabelMap;
  runIds: readonly string[];
}

/**
 * Packs a feature set into model tensors: X (scaled when a scaler is given), multi-class and binary labels per job
 * and per run.
 *
 * @example
 * const { X, shape, jobBinary, labelMap } = toTensors(features, { scaler, labels: 'merged' });
 * shape; // [351, 137, 7]
 * @throws ProteusError PROTEUS_FEATURES_LABEL_UNKNOWN when a label has no class in the chosen map
 * @throws ProteusError PROTEUS_FEATURES_SCALER_INVALID when the scaler does not fit the features
 * @throws ProteusError PROTEUS_FEATURES_INVALID_OPTION for an unknown label granularity
 */
export function toTensors(features: FeatureSet, options: ToTensorsOptions = {}): DatasetTensors {
  const labelMap = labelMapFor(features.generation, options.labels);
  const X = options.scaler ? scaleValues(features, options.scaler) : features.values;
  const runs = features.runs.length;
  const jobs = features.jobsPerRun;
  const classOf = new Map<string, number>();
  const lookup = (label: string) => {
    let index = classOf.get(label);
    if (index === undefined) {
      index = labelIndex(labelMap, label);
      classOf.set(label, index);
    }
    return index;
  };
  const jobLabels = new Int32Array(runs * jobs);
  const jobBinary = new Uint8Array(runs * jobs);
  // Labels repeat in long runs (mostly `normal`): the previous label's class is reused without a map lookup.
  let previous: string | undefined;
  let previousClass = 0;
  for (let i = 0; i < jobLabels.length; i++) {
    const label = features.jobLabels[i] ?? NORMAL_LABEL;
    if (label !== previous) {
      previous = label;
      previousClass = lookup(label);
    }
    jobLabels[i] = previousClass;
    jobBinary[i] = label === NORMAL_LABEL ? 0 : 1;
  }
  const runLabels = Int32Array.from(features.runs, (run) => lookup(run.label));
  const runBinary = Uint8Array.from(features.runs, (run) => (run.label === NORMAL_LABEL ? 0 : 1));
  return {
    X,
    shape: [runs, jobs, features.featureNames.length],
    featureNames: features.featureNames,
    jobLabels,
    jobBinary,
    runLabels,
    runBinary,
    labelMap,
    runIds: features.runs.map((run) => run.runId),
  };
}
