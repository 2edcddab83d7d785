import { constants } from 'node:fs';
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import type { AnomalySpec } from './anomaly-spec.js';

/** A cgroup file the injector changes and restores; the controller follows from the name. */
export type CgroupKnob =
  | 'cpu.cfs_quota_us'
  | 'cpu.max'
  | 'cpuset.cpus'
  | 'blkio.throttle.read_bps_device'
  | 'blkio.throttle.write_bps_device'
  | 'io.max';

/**
 * One declarative inverse: what to put back, never how. `recover` checks every action against the entry it belongs
 * to and the injector's own naming before acting (see `checkInverse`), so a ledger line can name a knob, a table or a
 * process group of ours, but never a command or a free path. Every action is idempotent.
 */
export type InverseAction =
  /** Put a knob of the entry's `cgroup:proteus/...` target back to `value`; a missing cgroup counts as done. */
  | { kind: 'cgroup-knob'; knob: CgroupKnob; value: string }
  /** Delete the entry's nftables table (`inet proteus_<id>`) on its target. */
  | { kind: 'nft-table'; table: string }
  /** Delete the root qdisc of `device` on the entry's target, only while it is still a `qdisc` of the kind we add. */
  | { kind: 'qdisc'; device: string; qdisc: 'netem' | 'tbf' }
  /** Restore the entry's docker container's CPU settings. */
  | { kind: 'docker-cpu'; cpusetCpus: string; cpus: number }
  /**
   * Kill the entry's stressor: its process group when `pid` still has `startTime` (`/proc/<pid>/stat` field 22) and
   * carries `PROTEUS_ANOMALY_ID=<entry id>`, then every process with that marker (on the ssh target for `ssh:`).
   */
  | { kind: 'process-group'; pid?: number; startTime?: string }
  /** Remove the entry's scratch folder `<dir>/proteus-stress-<id>` (it holds a `.proteus-scratch` file naming the id). */
  | { kind: 'scratch-dir'; path: string };

/** The ledger format this injector writes; lines of other versions are reported by `recover`, never run. */
export const LEDGER_VERSION = 2;

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
      v: typeof LEDGER_VERSION;
      id: string;
      at: number;
      target: string;
      spec: AnomalySpec;
      runId?: string;
      worker?: string;
      durationSec?: number;
      /** Epoch ms at which a `durationSec` anomaly is due to be reverted (by its holder or its deadline reverter). */
      deadlineAt?: number;
      owner: LedgerOwner;
      inverse: InverseAction[];
    }
  | {
      type: 'applied';
      id: string;
      at: number;
      inverse: InverseAction[];
      effect: Record<string, unknown>;
      /** The deadline counted from the apply (the intent's counts from before it, for a holder that dies mid-apply). */
      deadlineAt?: number;
    }
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
  /** Epoch ms at which a `durationSec` anomaly is due to be reverted. */
  deadlineAt?: number;
  owner: LedgerOwner;
  /** The ledger format of the intent line; `recover` runs only {@link LEDGER_VERSION} entries. */
  version: number;
  /** `pending`: intent written, apply not confirmed (a crash mid-apply); `applied`; `reverted`. */
  state: 'pending' | 'applied' | 'reverted';
  /**
   * The inverse actions, in order (the applied ones when the apply finished, else the intent's). Read as written:
   * `recover` checks them before acting on any.
   */
  inverse: InverseAction[];
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
  return (await scanLedger(path, 'strict')).entries;
}

/** A ledger line that could not be folded into an entry (only collected by a lenient scan). */
export interface MalformedLine {
  /** 1-based line number. */
  line: number;
  /** The anomaly id the line names, when it names one. */
  id?: string;
  reason: string;
}

/**
 * Folds a ledger into entries. `strict` throws at the first line that is not a record; `lenient` collects such lines
 * (so that `recover` reports each and acts on none of them) and keeps folding the others.
 */
export async function scanLedger(
  path: string,
  mode: 'strict' | 'lenient',
): Promise<{ entries: LedgerEntry[]; malformed: MalformedLine[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], malformed: [] };
    throw error;
  }
  const entries = new Map<string, LedgerEntry>();
  const malformed: MalformedLine[] = [];
  const bad = (index: number, line: string, why: string, id?: unknown, cause?: unknown) => {
    if (mode === 'strict') throw corrupt(path, index, line, cause, why);
    malformed.push({ line: index + 1, ...(typeof id === 'string' ? { id } : {}), reason: why });
  };
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (line.trim() === '') return;
    let record: LedgerRecord;
    try {
      record = JSON.parse(line) as LedgerRecord;
    } catch (error) {
      // A torn line can only come from a writer killed mid-append; the next append starts on a fresh line.
      if (line.startsWith('{') && !line.endsWith('}')) return;
      bad(index, line, 'not a JSON ledger record', undefined, error);
      return;
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record) || typeof record.id !== 'string') {
      bad(index, line, 'not a JSON ledger record');
      return;
    }
    if (record.type === 'intent') {
      if (entries.has(record.id)) {
        bad(index, line, `a second intent for ${record.id}`, record.id);
        return;
      }
      entries.set(record.id, {
        id: record.id,
        target: record.target,
        spec: record.spec,
        ...(record.runId === undefined ? {} : { runId: record.runId }),
        ...(record.worker === undefined ? {} : { worker: record.worker }),
        ...(record.durationSec === undefined ? {} : { durationSec: record.durationSec }),
        ...(record.deadlineAt === undefined ? {} : { deadlineAt: record.deadlineAt }),
        owner: record.owner,
        version: record.v,
        state: 'pending',
        inverse: record.inverse,
        window: { intentAt: record.at / 1000 },
      });
      return;
    }
    const entry = entries.get(record.id);
    if (!entry) {
      bad(index, line, `"${String(record.type)}" before the intent of ${record.id}`, record.id);
      return;
    }
    if (record.type === 'applied') {
      entry.state = 'applied';
      entry.inverse = record.inverse;
      entry.effect = record.effect;
      entry.window.appliedAt = record.at / 1000;
      if (record.deadlineAt !== undefined) entry.deadlineAt = record.deadlineAt;
    } else if (record.type === 'reverted') {
      entry.state = 'reverted';
      entry.window.revertedAt = record.at / 1000;
      entry.revertReason = record.reason;
      delete entry.revertErrors;
    } else if (record.type === 'revert-failed') {
      entry.revertErrors = record.errors;
    } else {
      bad(
        index,
        line,
        `unknown record type ${JSON.stringify((record as { type: unknown }).type)}`,
        (record as { id: string }).id,
      );
    }
  });
  return { entries: [...entries.values()], malformed };
}

/**
 * Appends one record and fsyncs it before returning (the write-ahead guarantee). Starts a fresh line when a crashed
 * writer left a torn one.
 */
export async function appendLedgerRecord(path: string, record: LedgerRecord): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  // O_NOFOLLOW: a ledger that is a symbolic link (say, to /etc/passwd) is refused, not appended to as root.
  const handle = await open(
    path,
    constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW,
    0o644,
  ).catch((error: unknown) => {
    throw new ProteusError(
      'PROTEUS_INJECTOR_LEDGER_WRITE',
      `injector/ledger: cannot open ${path} for appending (${(error as Error).message}). It must be a regular file, not a symbolic link.`,
      { cause: error },
    );
  });
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
