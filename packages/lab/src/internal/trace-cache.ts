import type { JobObservation } from '@proteus-wf/active-learner';
import { ProteusError } from '@proteus-wf/core';
import {
  applyScaler,
  extractFeatures,
  type FeaturePipelineName,
  type FeatureSet,
  type FlowBenchDataset,
  loadFlowBench,
  NORMAL_LABEL,
  type Scaler,
} from '@proteus-wf/features';
import type { WorkflowGraph } from '@proteus-wf/workflow-graph';
import { WHERE } from './lab-errors.js';

export interface LoadedTraces {
  dataset: FlowBenchDataset;
  set: FeatureSet;
  runIndex: Map<string, number>;
}

export interface TraceCache {
  load(runIds: string[]): Promise<LoadedTraces>;
}

/** Loads a controller's trace folder once per new run and keeps the features of every run it holds. */
export function createTraceCache(folder: string, graph: WorkflowGraph, pipeline: FeaturePipelineName): TraceCache {
  let loaded: LoadedTraces | undefined;
  return {
    async load(runIds) {
      if (loaded && runIds.every((id) => loaded?.runIndex.has(id))) return loaded;
      const dataset = await loadFlowBench(folder, { adjacency: graph, generation: 2 });
      const set = extractFeatures(dataset, { pipeline });
      const runIndex = new Map(dataset.runs.map((run) => [run.runId, run.runIndex]));
      const missing = runIds.filter((id) => !runIndex.has(id));
      if (missing.length > 0) {
        const skipped = dataset.skipped.filter((run) => missing.some((id) => run.file.includes(id)));
        throw new ProteusError(
          'PROTEUS_LAB_TRACE_INVALID',
          `${WHERE}: ${missing.length} trace(s) in ${folder} could not be read: ${skipped.map((run) => `${run.file}: ${run.message}`).join('; ') || missing.join(', ')}`,
          { details: { missing, skipped } },
        );
      }
      loaded = { dataset, set, runIndex };
      return loaded;
    },
  };
}

/** Scaled features, binary and named job labels of some runs. Labels are any anomaly name (not only Flow-Bench's). */
export function gather(
  set: FeatureSet,
  indices: number[],
  scaler: Scaler,
): { x: Float32Array; jobBinary: Uint8Array; jobLabels: string[] } {
  const scaled = applyScaler(set, scaler).values;
  const n = set.jobsPerRun;
  const f = set.featureNames.length;
  const x = new Float32Array(indices.length * n * f);
  const jobBinary = new Uint8Array(indices.length * n);
  const jobLabels: string[] = [];
  indices.forEach((run, k) => {
    x.set(scaled.subarray(run * n * f, (run + 1) * n * f), k * n * f);
    for (let j = 0; j < n; j++) {
      const label = set.jobLabels[run * n + j] ?? NORMAL_LABEL;
      jobBinary[k * n + j] = label === NORMAL_LABEL ? 0 : 1;
      jobLabels.push(label);
    }
  });
  return { x, jobBinary, jobLabels };
}

/** Each job's traced runtime and label in some runs of a trace folder. */
export function jobObservations(loaded: LoadedTraces, runIds: string[], folder: string): JobObservation[] {
  const runtime = loaded.dataset.jobs.getChild('runtime');
  const names = loaded.dataset.graph.jobNames();
  const n = loaded.set.jobsPerRun;
  return runIds.flatMap((id) => {
    const run = loaded.runIndex.get(id) as number;
    return names.map((job, j) => ({
      run: `${folder}/${id}`,
      job,
      label: loaded.set.jobLabels[run * n + j] ?? NORMAL_LABEL,
      value: Math.max(0, Number(runtime?.get(run * n + j) ?? 0) || 0),
    }));
  });
}

/** Wall time of one run: latest job end minus earliest `ready`, in seconds. */
export function runDuration(dataset: FlowBenchDataset, run: number): number {
  const ready = dataset.jobs.getChild('ready');
  const ends = ['execute_end', 'post_script_end', 'stage_out_end'].map((name) => dataset.jobs.getChild(name));
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (let row = run * dataset.jobsPerRun; row < (run + 1) * dataset.jobsPerRun; row++) {
    const s = ready?.get(row) as number | null | undefined;
    if (typeof s === 'number' && Number.isFinite(s)) start = Math.min(start, s);
    for (const column of ends) {
      const e = column?.get(row) as number | null | undefined;
      if (typeof e === 'number' && Number.isFinite(e)) end = Math.max(end, e);
    }
  }
  return Number.isFinite(start) && Number.isFinite(end) && end >= start ? end - start : 0;
}
