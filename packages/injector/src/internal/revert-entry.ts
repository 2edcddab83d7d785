import { hostname } from 'node:os';
import type { CommandRunner } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import { appendLedgerRecord, type LedgerEntry, type LedgerOwner, type RevertReason } from '../ledger.js';
import { parseTarget } from '../targets.js';
import { DEFAULT_CGROUP_ROOT } from './cgroup.js';
import { runInverse } from './inverse-actions.js';
import { isProcessAlive } from './proc.js';

/** Reverts one checked entry through its declarative inverse and records the outcome. */
export async function revertEntry(
  ledgerPath: string,
  entry: LedgerEntry,
  runner: () => CommandRunner,
  reason: RevertReason,
  cgroupRoot = DEFAULT_CGROUP_ROOT,
): Promise<void> {
  const context = { id: entry.id, target: parseTarget(entry.target), runner, cgroupRoot };
  const errors = await runInverse(entry.inverse, context);
  if (errors.length > 0) {
    await appendLedgerRecord(ledgerPath, { type: 'revert-failed', id: entry.id, at: Date.now(), reason, errors });
    throw revertFailed(entry.id, entry.target, errors);
  }
  await appendLedgerRecord(ledgerPath, { type: 'reverted', id: entry.id, at: Date.now(), reason });
}

/** Whether the process that applied an entry still runs (a process on another host counts as alive). */
export async function isOwnerAlive(owner: LedgerOwner): Promise<boolean> {
  if (owner.hostname !== hostname()) return true;
  return isProcessAlive(owner.pid, owner.startTime || undefined);
}

export function revertFailed(id: string, target: string, errors: string[]): ProteusError {
  return new ProteusError(
    'PROTEUS_INJECTOR_REVERT_FAILED',
    `injector/revert: anomaly ${id} on ${target} is not fully reverted (${errors.length} failure(s): ${errors.join('; ')}). Fix the cause and run recover again.`,
    { details: { id, target, errors } },
  );
}
