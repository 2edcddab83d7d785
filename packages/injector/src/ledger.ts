import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import type { AnomalySpec } from './anomaly-spec.js';

/**
 * One inverse operation: data, not code, so that any process can replay it from the ledger after a crash.
 * Every operation is idempotent.
 */
export type InverseOperation =
  /** Write `value` into a local (cgroup) file; a missing file counts as done. */
  | { op: 'write'; path: string; value: string }
  /** Run a command on the target; a non-zero exit whose stderr matches `ignoreStderr` counts as done. */
  | { op: 'run'; file: string; args: string[]; ignoreStderr?: string }
  /**
   * Kill a stressor: its process group when `pid` still has `startTime` (`/proc/<pid>/stat` field 22), then every
   * process whose environment carries `PROTEUS_ANOMALY_ID=<marker>`. `where: 'target'` runs the sweep on the target.
   */
  | { op: 'kill'; marker: string; pid?: number; startTime?: string; where: 'local' | 'target' }
  /** Remove a local folder the anomaly created (stressor scratch files). */
  | { op: 'remove'; path: string };

/** The process that applied an anomaly; `recover` leaves a living owner's anomalies alone. */
export interface LedgerOwner {
  pid: number;
  /** `/proc/<pid>/stat` start time (clock ticks since boot), so a reused PID is not mistaken for the owner. */
  startTime: string;
  hostname: string;
}

/** A raw ledger line. `at` is epoch milliseconds. */
export type LedgerRecord =
  | {
      type: 'intent';
      v: 1;
      id: string;
      at: number;
      target: string;
      spec: AnomalySpec;
      runId?: string;
      worker?: string;
      durationSec?: number;
      owner: LedgerOwner;
      inverse: InverseOperation[];
    }
  | { type: 'applied'; id: string; at: number; inverse: InverseOperation[]; effect: Record<string, unknown> }
  | { type: 'reverted'; id: string; at: number; reason: RevertReason }
  | { type: 'revert-failed'; id: string; at: number; reason: RevertReason; errors: string[] };

/** Why an anomaly was reverted. */
export type RevertReason = 'release' | 'duration' | 'abort' | 'signal' | 'dispose' | 'apply-failed' | 'recover';

/** The state of one anomaly, folded from its ledger lines: the label source and the undo list. */
export interface LedgerEntry {
  id: string;
  target: string;
  spec: AnomalySpec;
  runId?: string;
  worker?: string;
  durationSec?: number;
  owner: LedgerOwner;
  /** `pending`: intent written, apply not confirmed (a crash mid-apply); `applied`; `reverted`. */
  state: 'pending' | 'applied' | 'reverted';
  /** The inverse operations to run, in order (the applied ones when the apply finished, else the intent's). */
  inverse: InverseOperation[];
  /** What the backends did (mechanisms, devices, PIDs, cgroup paths). */
  effect?: Record<string, unknown>;
  /** Epoch seconds (as `JobRecord` timestamps), so jobs can be matched to anomaly windows. */
  window: { intentAt: number; appliedAt?: number; revertedAt?: number };
  revertReason?: RevertReason;
  /** Errors of the last failed revert attempt, if it failed. */
  revertErrors?: string[];
}

/**
 * Reads a ledger file into one entry per anomaly, in the order they were applied. A missing file is an empty
 * ledger; a torn last line (a process killed mid-write) is skipped.
 * @example const anomalous = (await readLedger('ledger.jsonl')).filter((e) => e.runId === runId)
 * @throws ProteusError PROTEUS_INJECTOR_LEDGER_CORRUPT when a line is not a ledger record
 */
export async function readLedger(path: string): Promise<LedgerEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries = new Map<string, LedgerEntry>();
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let record: LedgerRecord;
    try {
      record = JSON.parse(line) as LedgerRecord;
    } catch (error) {
      // A torn line can only come from a writer killed mid-append; the next append starts on a fresh line.
      if (line.startsWith('{') && !line.endsWith('}')) return;
      throw corrupt(path, index, line, error);
    }
    if (typeof record !== 'object' || record === null || typeof record.id !== 'string') {
      throw corrupt(path, index, line);
    }
    if (record.type === 'intent') {
      entries.set(record.id, {
        id: record.id,
        target: record.target,
        spec: record.spec,
        ...(record.runId === undefined ? {} : { runId: record.runId }),
        ...(record.worker === undefined ? {} : { worker: record.worker }),
        ...(record.durationSec === undefined ? {} : { durationSec: record.durationSec }),
        owner: record.owner,
        state: 'pending',
        inverse: record.inverse,
        window: { intentAt: record.at / 1000 },
      });
      return;
    }
    const entry = entries.get(record.id);
    if (!entry) throw corrupt(path, index, line, undefined, `"${record.type}" before the intent of ${record.id}`);
    if (record.type === 'applied') {
      entry.state = 'applied';
      entry.inverse = record.inverse;
      entry.effect = record.effect;
      entry.window.appliedAt = record.at / 1000;
    } else if (record.type === 'reverted') {
      entry.state = 'reverted';
      entry.window.revertedAt = record.at / 1000;
      entry.revertReason = record.reason;
      delete entry.revertErrors;
    } else if (record.type === 'revert-failed') {
      entry.revertErrors = record.errors;
    } else {
      throw corrupt(
        path,
        index,
        line,
        undefined,
        `unknown record type ${JSON.stringify((record as { type: unknown }).type)}`,
      );
    }
  });
  return [...entries.values()];
}

/**
 * Appends one record and fsyncs it before returning (the write-ahead guarantee). Starts a fresh line when a crashed
 * writer left a torn one.
 */
export async function appendLedgerRecord(path: string, record: LedgerRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a+', 0o644);
  try {
    const { size } = await handle.stat();
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.appendFile(`${prefix}${JSON.stringify(record)}\n`, 'utf8');
    await handle.sync();
  } catch (error) {
    throw new ProteusError('PROTEUS_INJECTOR_LEDGER_WRITE', `injector/ledger: cannot append to ${path}`, {
      cause: error,
    });
  } finally {
    await handle.close();
  }
}

function corrupt(
  path: string,
  index: number,
  line: string,
  cause?: unknown,
  why = 'not a JSON ledger record',
): ProteusError {
  return new ProteusError(
    'PROTEUS_INJECTOR_LEDGER_CORRUPT',
    `injector/readLedger: ${path}:${index + 1}: ${why} (got ${JSON.stringify(line.slice(0, 120))}). Is this an injector ledger?`,
    { ...(cause === undefined ? {} : { cause }) },
  );
}
