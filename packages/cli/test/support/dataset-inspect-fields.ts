/** The JSON fields of `proteus dataset inspect --json`, in order: the contract every dataset input must print. */
export const DATASET_INSPECT_FIELDS = [
  'workflow',
  'generation',
  'runs',
  'jobsPerRun',
  'edges',
  'runLabels',
  'jobLabels',
  'anomalousJobFraction',
  'skipped',
];
