import type { ProgressEvent } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import type { CliIo } from './cli-io.js';

/** Seconds between two progress lines when stderr is not a terminal, unless `PROTEUS_PROGRESS_SECONDS` says otherwise. */
export const DEFAULT_PROGRESS_SECONDS = 5;

/** What the CLI calls each phase of a long operation in its progress lines. */
const PHASE_LABELS: Record<string, string> = {
  load: 'loading runs',
  prepare: 'preparing features',
  train: 'training',
  score: 'scoring',
  emulate: 'emulating',
  run: 'running the campaign',
};

/** Options of {@link createProgressReporter}. */
export interface ProgressReporterOptions {
  /** The clock in milliseconds (tests pass their own). */
  now?: () => number;
}

/**
 * Renders progress events on stderr. On a terminal one status line is rewritten in place. Otherwise (CI logs, batch
 * jobs) a plain line is printed at most every `PROTEUS_PROGRESS_SECONDS` (default 5; 0 prints every event), so
 * quick commands stay silent and long ones show life: `training: epoch 40/100 (40%), elapsed 12 s, ETA 18 s`.
 * @example const onProgress = createProgressReporter(io); await train(dataset, { onProgress });
 * @throws ProteusError PROTEUS_CLI_USAGE when `PROTEUS_PROGRESS_SECONDS` is not a number of seconds >= 0
 */
export function createProgressReporter(
  io: CliIo,
  options: ProgressReporterOptions = {},
): (event: ProgressEvent) => void {
  const now = options.now ?? Date.now;
  const intervalMs = progressIntervalMs(io.env);
  let phase: string | undefined;
  let phaseStarted = now();
  let lastPrinted = phaseStarted;
  let lastEvent = phaseStarted;
  let printedInPhase = false;
  let statusShown = false;
  return (event) => {
    const at = now();
    if (event.phase !== phase) {
      if (statusShown) io.stderr('\n');
      statusShown = false;
      // A phase starts when the one before it reported last (or when the command started).
      if (phase !== undefined) phaseStarted = lastEvent;
      phase = event.phase;
      printedInPhase = false;
    }
    lastEvent = at;
    const line = describeProgress(event, at - phaseStarted);
    if (io.isTTY) {
      io.stderr(`\r\x1b[K${line}${event.ratio >= 1 ? '\n' : ''}`);
      statusShown = event.ratio < 1;
      return;
    }
    const finished = event.ratio >= 1;
    if (at - lastPrinted >= intervalMs || (finished && printedInPhase)) {
      io.stderr(`${line}\n`);
      lastPrinted = at;
      printedInPhase = !finished;
    }
  };
}

/**
 * One progress line: phase, done/total (when the event tells), percent, elapsed time in the phase and the ETA.
 * @example describeProgress({ phase: 'train', ratio: 0.4, message: 'epoch 40/100' }, 12_000)
 */
export function describeProgress(event: ProgressEvent, elapsedMs: number): string {
  const label = PHASE_LABELS[event.phase] ?? event.phase;
  const percent = `${Math.floor(event.ratio * 100)}%`;
  const count = countOf(event);
  const what = [event.message, count].filter(Boolean).join(', ');
  const eta =
    event.ratio > 0 && event.ratio < 1 ? `, ETA ${formatSeconds((elapsedMs * (1 - event.ratio)) / event.ratio)}` : '';
  return `${label}: ${what ? `${what} (${percent})` : percent}, elapsed ${formatSeconds(elapsedMs)}${eta}${detailsOf(event)}`;
}

function countOf(event: ProgressEvent): string {
  const data = event.data ?? {};
  // loadFlowBench reports the runs read so far (loaded + skipped) and the ratio of the archive they make up.
  if (event.phase === 'load' && typeof data.runs === 'number' && event.ratio > 0) {
    const read = data.runs + (typeof data.skipped === 'number' ? data.skipped : 0);
    return `${read}/${Math.round(read / event.ratio)} runs`;
  }
  return '';
}

function detailsOf(event: ProgressEvent): string {
  const data = event.data ?? {};
  if (typeof data.validationLoss === 'number') return `, val loss ${data.validationLoss.toFixed(4)}`;
  if (typeof data.loss === 'number') return `, loss ${data.loss.toFixed(4)}`;
  return '';
}

function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function progressIntervalMs(env: NodeJS.ProcessEnv): number {
  const raw = env.PROTEUS_PROGRESS_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_PROGRESS_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ProteusError(
      'PROTEUS_CLI_USAGE',
      `PROTEUS_PROGRESS_SECONDS must be a number of seconds >= 0 (0 prints every progress event), got "${raw}".`,
    );
  }
  return seconds * 1000;
}
