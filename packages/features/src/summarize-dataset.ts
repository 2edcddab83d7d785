import type { ProteusErrorCode } from '@proteus-wf/core';
import { readTextColumn } from './internal/arrow-columns.js';
import { NORMAL_LABEL } from './labels.js';
import type { FlowBenchDataset } from './load-flowbench.js';
import type { Generation } from './trace-schema.js';

/** What `proteus dataset inspect` prints. */
export interface DatasetSummary {
  workflow: string;
  generation: Generation;
  /** Runs loaded (skipped runs not included). */
  runs: number;
  jobsPerRun: number;
  edges: number;
  /** Loaded runs per run label. */
  runLabels: Record<string, number>;
  /** Jobs of loaded runs per job label (`normal` for `None`/empty/NaN; gen-1 jobs carry their run's label). */
  jobLabels: Record<string, number>;
  /** Anomalous jobs / all jobs of loaded runs. */
  anomalousJobFraction: number;
  skipped: Array<{ file: string; code: ProteusErrorCode; message: string }>;
}

/**
 * Counts runs and jobs per label of a loaded dataset. Labels are listed `normal` first, then in natural order.
 * @example summarizeDataset(await loadFlowBench('montage.zip')).runLabels; // { normal: 51, cpu_2: 46, ... }
 */
export function summarizeDataset(dataset: FlowBenchDataset): DatasetSummary {
  const runLabels = new Map<string, number>();
  for (const run of dataset.runs) runLabels.set(run.label, (runLabels.get(run.label) ?? 0) + 1);
  const jobLabels = new Map<string, number>();
  let anomalous = 0;
  const labels = readTextColumn(dataset.jobs, 'job_label') ?? [];
  for (const label of labels) {
    const key = label ?? NORMAL_LABEL;
    jobLabels.set(key, (jobLabels.get(key) ?? 0) + 1);
    if (key !== NORMAL_LABEL) anomalous++;
  }
  return {
    workflow: dataset.workflow,
    generation: dataset.generation,
    runs: dataset.runs.length,
    jobsPerRun: dataset.jobsPerRun,
    edges: dataset.graph.edgeCount,
    runLabels: ordered(runLabels),
    jobLabels: ordered(jobLabels),
    anomalousJobFraction: labels.length === 0 ? 0 : anomalous / labels.length,
    skipped: dataset.skipped.map(({ file, code, message }) => ({ file, code, message })),
  };
}

function ordered(counts: ReadonlyMap<string, number>): Record<string, number> {
  const keys = [...counts.keys()].sort((a, b) =>
    a === NORMAL_LABEL ? -1 : b === NORMAL_LABEL ? 1 : a.localeCompare(b, 'en', { numeric: true }),
  );
  return Object.fromEntries(keys.map((key) => [key, counts.get(key) as number]));
}
