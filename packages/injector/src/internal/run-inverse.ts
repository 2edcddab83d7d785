import { rm, writeFile } from 'node:fs/promises';
import type { CommandRunner } from '@proteus-wf/core';
import type { InverseOperation } from '../ledger.js';
import { killStressor } from './proc.js';
import { REMOTE_SWEEP } from './stress.js';

/**
 * Runs inverse operations in order, continuing past failures so that one stuck piece does not leave the others
 * behind. Returns the failures (empty when everything is undone). Every operation is idempotent.
 */
export async function runInverse(
  operations: readonly InverseOperation[],
  runner: () => CommandRunner,
): Promise<string[]> {
  const errors: string[] = [];
  for (const operation of operations) {
    try {
      await runOne(operation, runner);
    } catch (error) {
      errors.push(`${describe(operation)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

async function runOne(operation: InverseOperation, runner: () => CommandRunner): Promise<void> {
  switch (operation.op) {
    case 'write':
      try {
        await writeFile(operation.path, operation.value);
      } catch (error) {
        // The cgroup itself is gone: nothing is left to undo there.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      return;
    case 'remove':
      await rm(operation.path, { recursive: true, force: true });
      return;
    case 'kill': {
      if (operation.where === 'target') {
        await runner().run('sh', ['-c', REMOTE_SWEEP, 'sh', operation.marker]);
        return;
      }
      const left = await killStressor(operation.marker, operation.pid, operation.startTime);
      if (left.length > 0) throw new Error(`processes ${left.join(', ')} survived SIGKILL`);
      return;
    }
    case 'run': {
      const result = await runner().run(operation.file, operation.args, { allowFailure: true });
      if (result.exitCode === 0) return;
      if (operation.ignoreStderr && new RegExp(operation.ignoreStderr).test(result.stderr)) return;
      throw new Error(`exited with ${result.exitCode}: ${result.stderr.trim().slice(-300)}`);
    }
  }
}

function describe(operation: InverseOperation): string {
  switch (operation.op) {
    case 'write':
      return `write ${JSON.stringify(operation.value)} to ${operation.path}`;
    case 'remove':
      return `remove ${operation.path}`;
    case 'kill':
      return `kill stressor ${operation.marker}${operation.pid ? ` (pid ${operation.pid})` : ''}`;
    case 'run':
      return [operation.file, ...operation.args].join(' ');
  }
}
