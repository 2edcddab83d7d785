import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One line of the experiment log (`experiments.log.jsonl`): what the controller did, in order. */
export type ExperimentLogEntry =
  | { event: 'campaign-start'; at: string; planId: string; runs: number }
  | {
      event: 'run-start';
      at: string;
      planId: string;
      runId: string;
      workflow: string;
      anomaly: string;
      workers: string[];
      attempt: number;
    }
  | {
      event: 'anomaly-applied';
      at: string;
      planId: string;
      runId: string;
      worker: string;
      target: string;
      anomaly: string;
    }
  | { event: 'anomaly-reverted'; at: string; planId: string; runId: string; worker: string }
  | {
      event: 'run-done';
      at: string;
      planId: string;
      runId: string;
      workflow: string;
      anomaly: string;
      workers: string[];
      csv: string;
      jobs: number;
      anomalousJobs: number;
      startedAt: number;
      endedAt: number;
    }
  | { event: 'run-failed'; at: string; planId: string; runId: string; code: string; message: string }
  | { event: 'campaign-end'; at: string; planId: string; done: number; failed: number };

/** Appends entries to the experiment log, each one fsync'd before `append` resolves. */
export interface ExperimentLog {
  readonly path: string;
  append(entry: ExperimentLogEntry): Promise<void>;
}

/**
 * Opens (creating if needed) an append-only JSON-lines log. Every `append` writes one whole line and fsyncs it, so a
 * crash loses at most the line being written; a torn last line left by `kill -9` is ended with a newline first, and
 * `readExperimentLog` skips it.
 * @example const log = await openExperimentLog('out/experiments.log.jsonl'); await log.append({ event: 'campaign-start', ... });
 */
export async function openExperimentLog(path: string): Promise<ExperimentLog> {
  await mkdir(dirname(path), { recursive: true });
  const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  let needsNewline = existing.length > 0 && !existing.endsWith('\n');
  let queue = Promise.resolve();
  return {
    path,
    append(entry) {
      const line = `${needsNewline ? '\n' : ''}${JSON.stringify(entry)}\n`;
      needsNewline = false;
      // Serialise appends so lines never interleave, even when callers do not await.
      const write = queue.then(async () => {
        const handle = await open(path, 'a');
        try {
          await handle.write(line);
          await handle.sync();
        } finally {
          await handle.close();
        }
      });
      queue = write.catch(() => undefined);
      return write;
    },
  };
}

/**
 * Reads the experiment log; a missing file is an empty log, and lines that do not parse (a write torn by a crash)
 * are skipped.
 * @example const entries = await readExperimentLog('out/experiments.log.jsonl');
 */
export async function readExperimentLog(path: string): Promise<ExperimentLogEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: ExperimentLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as ExperimentLogEntry;
      if (typeof value === 'object' && value !== null && typeof value.event === 'string') entries.push(value);
    } catch {
      // A torn line from a crash mid-append; everything it described is redone on resume.
    }
  }
  return entries;
}
