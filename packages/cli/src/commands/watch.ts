import { resolve } from 'node:path';
import { createOnlineDetector, loadModel } from '@proteus-wf/models';
import { followSubmitDir } from '@proteus-wf/pegasus';
import type { Argv } from 'yargs';
import type { CliIo } from '../cli-io.js';

interface WatchArgs {
  submitDir: string;
  model: string;
  state?: string;
  pollMs: number;
  timeoutMs?: number;
  threshold?: number;
  json: boolean;
}

/** One line of `proteus watch --json`: a scored job, the run's alert, or the summary at the end. */
export type WatchLine =
  | {
      type: 'job';
      job: string;
      score: number | null;
      predicted: string | null;
      runScore: number;
      runAnomalous: boolean;
      finishedJobs: number;
      totalJobs: number;
      /** Milliseconds from the job's kickstart record (or end state) being seen to its score being printed. */
      latencyMs: number;
    }
  | { type: 'alert'; job: string; runScore: number; threshold: number | null; finishedJobs: number; totalJobs: number }
  | {
      type: 'summary';
      submitDir: string;
      status: number | null;
      jobs: number;
      runScore: number;
      runAnomalous: boolean;
      alerts: number;
    };

/**
 * `proteus watch <submit-dir> --model <dir>`: follows a running Pegasus workflow and scores each job as it finishes.
 * @example proteus watch submit/alice/pegasus/montage/run0001 --model models/montage-gcn --json
 */
export function registerWatchCommands(cli: Argv, io: CliIo): Argv {
  return cli.command(
    'watch <submit-dir>',
    'Follow a running Pegasus workflow and score each job as it finishes',
    (y) =>
      y
        .positional('submit-dir', {
          type: 'string',
          demandOption: true,
          describe: 'The submit directory (braindump.yml)',
        })
        .option('model', {
          type: 'string',
          demandOption: true,
          describe: 'A model folder written by `proteus train --out`',
        })
        .option('state', {
          type: 'string',
          describe: 'Progress file for resuming after a restart (default: <submit-dir>/proteus-watch.json)',
        })
        .option('poll-ms', { type: 'number', default: 200, describe: 'How often jobstate.log is read' })
        .option('threshold', {
          type: 'number',
          describe: "Alert when a job's (graph level: the run's) score is above this, instead of the model's decision",
        })
        .option('timeout-ms', { type: 'number', describe: 'Give up after this long without DAGMAN_FINISHED' })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object per line' }),
    async (argv) => {
      const args = argv as unknown as WatchArgs;
      const submitDir = resolve(io.cwd, args.submitDir);
      await using model = await loadModel(resolve(io.cwd, args.model));
      const detector = createOnlineDetector({
        model,
        runId: submitDir,
        ...(args.threshold !== undefined ? { threshold: args.threshold } : {}),
      });
      const print = (line: WatchLine): void => io.stdout(`${args.json ? JSON.stringify(line) : renderLine(line)}\n`);
      const events = followSubmitDir(submitDir, {
        stateFile: args.state ? resolve(io.cwd, args.state) : resolve(submitDir, 'proteus-watch.json'),
        replayHandled: true,
        pollIntervalMs: args.pollMs,
        ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}),
        signal: io.signal,
      });
      for await (const event of events) {
        if (event.kind === 'finished') {
          const summary = detector.summary();
          print({
            type: 'summary',
            submitDir,
            status: event.status ?? null,
            jobs: event.jobs,
            runScore: summary.runScore,
            runAnomalous: summary.runAnomalous,
            alerts: summary.alerts,
          });
          continue;
        }
        const observed = await detector.observe(event.record);
        // Jobs scored before a restart rebuild the running score silently.
        if (event.replayed) continue;
        print({
          type: 'job',
          job: observed.job,
          score: observed.score,
          predicted: observed.predicted,
          runScore: observed.runScore,
          runAnomalous: observed.runAnomalous,
          finishedJobs: observed.finishedJobs,
          totalJobs: observed.totalJobs,
          latencyMs: Date.now() - event.seenAt,
        });
        if (observed.alert) {
          print({
            type: 'alert',
            job: observed.job,
            runScore: observed.runScore,
            threshold: observed.threshold,
            finishedJobs: observed.finishedJobs,
            totalJobs: observed.totalJobs,
          });
        }
      }
    },
  );
}

function renderLine(line: WatchLine): string {
  const score = (value: number | null) => (value === null ? '-' : value.toFixed(4));
  switch (line.type) {
    case 'job':
      return `${line.job}  score ${score(line.score)} (${line.predicted ?? '-'})  run ${score(line.runScore)}  ${line.finishedJobs}/${line.totalJobs} jobs`;
    case 'alert':
      return `ALERT: the run looks anomalous after ${line.job} (run score ${score(line.runScore)}, ${line.finishedJobs}/${line.totalJobs} jobs finished)`;
    case 'summary':
      return `finished (DAGMan status ${line.status ?? '?'}): ${line.jobs} jobs, run score ${score(line.runScore)}, ${line.runAnomalous ? 'ANOMALOUS' : 'normal'}, ${line.alerts} alert${line.alerts === 1 ? '' : 's'}`;
  }
}
