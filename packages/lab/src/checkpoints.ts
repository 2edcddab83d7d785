import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import { WHERE } from './internal/lab-errors.js';

/** Where a live loop in `outDir` keeps each strategy's checkpoint and request files. */
export interface LiveLoopPaths {
  checkpoints: string;
  checkpoint(strategy: string): string;
  requests(strategy: string): string;
  summary: string;
  report: string;
}

/** The files of a live loop in `outDir`. */
export function liveLoopPaths(outDir: string): LiveLoopPaths {
  return {
    checkpoints: join(outDir, 'checkpoints'),
    checkpoint: (strategy) => join(outDir, 'checkpoints', `${strategy}.json`),
    requests: (strategy) => join(outDir, 'requests', strategy),
    summary: join(outDir, 'summary.json'),
    report: join(outDir, 'report.html'),
  };
}

/**
 * Refuses to start a loop over the checkpoints of another one unless it resumes it.
 * @throws ProteusError PROTEUS_LAB_ALREADY_STARTED when `outDir` holds checkpoints and `resume` is off
 */
export async function assertFreshLoop(outDir: string, resume: boolean): Promise<void> {
  if (resume) return;
  const { checkpoints } = liveLoopPaths(outDir);
  const present = await access(checkpoints).then(
    () => true,
    () => false,
  );
  if (present) {
    throw new ProteusError(
      'PROTEUS_LAB_ALREADY_STARTED',
      `${WHERE}: ${outDir} already holds a live loop; continue it with resume (--resume) or choose another output folder`,
      { details: { out: outDir } },
    );
  }
}
