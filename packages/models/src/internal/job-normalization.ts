/*
 * The input normalization a classifier applies before its min-max scaler: none (`global`), per job type with the
 * training runs' statistics (`job-type`), or per job type within each run (`run-job-type`). Stored in the sidecar, so
 * scoring (on the model's DAG or, after `loadModel({ graph })`, on another instance) reads jobs as training did.
 */
import { ProteusError } from '@proteus-wf/core';
import {
  applyJobTypeScaler,
  type FeatureSet,
  fitJobTypeScaler,
  type JobTypeScaler,
  standardizeJobTypesPerRun,
} from '@proteus-wf/features';

/** How a classifier normalizes each job's features before its min-max scaler (`TrainOptions.normalization`). */
export type Normalization = 'global' | 'job-type' | 'run-job-type';

/** The sidecar's record of a normalization other than `global` (absent: `global`, and every model before it). */
export type JobNormalization =
  | {
      kind: 'job-type';
      /**
       * Mean and std per job type (and over all jobs, `global`) of the training runs. A job type absent from
       * `scaler.types` (another instance's, scored with `unknownJobTypes: 'score'`) uses `scaler.global`.
       */
      scaler: JobTypeScaler;
    }
  | { kind: 'run-job-type' };

/** The normalization fitted on `runs` (the runs the min-max scaler is fitted on) and the normalized features. */
export function fitNormalization(
  features: FeatureSet,
  normalization: Normalization,
  runs: readonly number[],
): { normalization: JobNormalization | undefined; features: FeatureSet } {
  if (normalization === 'global') return { normalization: undefined, features };
  const record: JobNormalization =
    normalization === 'job-type'
      ? { kind: 'job-type', scaler: fitJobTypeScaler(features, { runs }) }
      : { kind: 'run-job-type' };
  return { normalization: record, features: applyNormalization(features, record, 'models/train') };
}

/**
 * `features` normalized as the sidecar says (unchanged without a normalization record).
 * @throws ProteusError PROTEUS_MODELS_BAD_METADATA for a normalization kind this version does not know
 */
export function applyNormalization(
  features: FeatureSet,
  normalization: JobNormalization | undefined,
  where: string,
): FeatureSet {
  if (normalization === undefined) return features;
  if (normalization.kind === 'job-type') {
    return applyJobTypeScaler(features, normalization.scaler, { unknownJobTypes: 'global' });
  }
  if (normalization.kind === 'run-job-type') return standardizeJobTypesPerRun(features);
  throw new ProteusError(
    'PROTEUS_MODELS_BAD_METADATA',
    `${where}: the model's normalization ${JSON.stringify((normalization as { kind: unknown }).kind)} is unknown to this version of @proteus-wf/models. Upgrade @proteus-wf/models or train the model again.`,
  );
}
