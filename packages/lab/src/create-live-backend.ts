import { join } from 'node:path';
import {
  type ExperimentBackend,
  type ExperimentOption,
  type ExperimentRequestFile,
  type LabelledRuns,
  optionOf,
  requestLabel,
} from '@proteus-wf/active-learner';
import type { ExperimentRequest } from '@proteus-wf/controller';
import { ProteusError, reportProgress } from '@proteus-wf/core';
import type { Scaler } from '@proteus-wf/features';
import type { LabContext } from './internal/lab-context.js';
import { digestOf, firstError, invalidOptions, NAME, WHERE } from './internal/lab-errors.js';
import { gather, runDuration } from './internal/trace-cache.js';

/** An `ExperimentBackend` that runs real experiments on the lab's testbed. */
export interface LiveBackend extends ExperimentBackend {
  /** Prefix of this backend's request ids (one backend per strategy). */
  readonly name: string;
  isHeldOut(runId: string): boolean;
}

interface LiveBackendState {
  batches: number;
}

/**
 * A backend whose requests run as `<name>-<request id>-<digest>` batches in the lab's `traces/` folder and come back
 * as labelled runs scaled with the calibration `scaler`. An option per run kind: `normal`, each anomaly, and each
 * placed anomaly (`cpu_1@individuals`: on the worker running those jobs, while they run).
 * @throws ProteusError PROTEUS_LAB_INVALID_OPTIONS for a bad name; from `runExperiments`
 *   PROTEUS_LAB_WORKFLOW_MISMATCH, PROTEUS_LAB_RUNS_FAILED (every run failed) and the controller's codes
 */
export function createLiveBackend(lab: LabContext, name: string, scaler: Scaler): LiveBackend {
  lab.assertLive();
  if (!NAME.test(name)) throw invalidOptions([`backend name "${name}" must be letters, digits, ".", "_" and "-"`]);
  let state: LiveBackendState = { batches: 0 };
  return {
    name,
    workflow: lab.workflow,
    graph: lab.graph,
    jobNames: lab.graph.jobNames(),
    nodes: lab.graph.size,
    features: scaler.featureNames.length,
    options(): ExperimentOption[] {
      return lab.kinds.map((kind) => {
        const label = labelOf(kind);
        const targetJobs = lab.targetJobsOf(kind);
        return {
          label,
          ...optionOf(label),
          anomalousWorkers: label === 'normal' ? 0 : 1,
          ...(targetJobs ? { key: kind, targetJobs } : {}),
        };
      });
    },
    isHeldOut: (runId) => runId.startsWith('test-set/'),
    async runExperiments(file: ExperimentRequestFile, runOptions = {}): Promise<LabelledRuns> {
      lab.assertLive();
      const wrong = file.requests.find((request) => request.workflow !== lab.workflow);
      if (wrong) {
        throw new ProteusError(
          'PROTEUS_LAB_WORKFLOW_MISMATCH',
          `${WHERE}/runExperiments: request for workflow "${wrong.workflow}" but this lab runs "${lab.workflow}"`,
        );
      }
      const kindOf = (request: ExperimentRequestFile['requests'][number]) =>
        typeof request.hints?.option === 'string' ? request.hints.option : requestLabel(request);
      const kinds = file.requests.flatMap((request) => Array<string>(request.runs).fill(kindOf(request)));
      const requests = file.requests.map((request): ExperimentRequest => {
        // The learner's target jobs (`hints.jobs`) are acted on: the anomaly follows them (issue 14 §3).
        const hinted = Array.isArray(request.hints?.jobs) ? (request.hints.jobs as string[]) : undefined;
        const copy = lab.requestOf(kindOf(request), request.runs, hinted);
        if (copy.anomaly !== 'normal' && !copy.hints?.placement) copy.anomalousWorkers = request.anomalousWorkers;
        if (request.hints) copy.hints = { ...request.hints, ...copy.hints };
        return copy;
      });
      // The id names the experiments: the same query again (a resumed iteration) reuses its runs; a different
      // query under the same file id (other settings) gets new ones.
      const batch = `${name}-${file.id ?? `q${String(state.batches + 1).padStart(4, '0')}`}-${digestOf(requests)}`;
      reportProgress(lab.onProgress, {
        phase: 'batch',
        ratio: 0,
        message: `${batch}: ${file.requests.map((request) => `${requestLabel(request)} ×${request.runs}`).join(', ')}`,
        data: {
          backend: name,
          batch,
          id: file.id ?? '',
          runs: requests.reduce((sum, request) => sum + request.runs, 0),
        },
      });
      const result = await lab.runBatch('traces', batch, requests, runOptions);
      const done = result.runs.flatMap((run, index) =>
        run.status === 'done' ? [{ run, kind: kinds[index] as string }] : [],
      );
      if (done.length === 0) {
        throw new ProteusError(
          'PROTEUS_LAB_RUNS_FAILED',
          `${WHERE}/runExperiments: every run of ${batch} failed (${firstError(result)}); see ${join(lab.folders.traces, 'experiments.log.jsonl')}`,
          { details: result.runs },
        );
      }
      const loaded = await lab.caches.traces.load(done.map(({ run }) => run.id));
      const indices = done.map(({ run }) => loaded.runIndex.get(run.id) as number);
      state.batches++;
      return {
        runIds: done.map(({ run }) => `traces/${run.id}`),
        labels: done.map(({ kind }) => labelOf(kind)),
        optionKeys: done.map(({ kind }) => kind),
        durations: indices.map((index) => runDuration(loaded.dataset, index)),
        substitutions: result.runs
          .filter((run) => run.status !== 'done')
          .map((run) => ({ requested: run.anomaly, ran: `none (${run.error?.code ?? 'failed'})` })),
        ...gather(loaded.set, indices, scaler),
      };
    },
    save(): LiveBackendState {
      return { ...state };
    },
    restore(saved: unknown) {
      const candidate = saved as Partial<LiveBackendState> | null;
      if (!candidate || !Number.isInteger(candidate.batches)) {
        throw new ProteusError('PROTEUS_LAB_CHECKPOINT_INVALID', `${WHERE}/restore: not a live backend state`);
      }
      state = { batches: candidate.batches as number };
    },
  };
}

/** The run label of a kind: `cpu_1@individuals` -> `cpu_1`. */
function labelOf(kind: string): string {
  return kind.split('@')[0] as string;
}
