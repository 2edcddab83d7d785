import { execFile } from 'node:child_process';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AnomalyCounters, type AnomalyHandle, type Injector, readAnomalyCounters } from '@proteus-wf/injector';
import { repoRoot } from './temp-dir.js';

const example = join(repoRoot, 'examples', 'workflows', '1000genome-like');

/** Writes the small 1000genome-like Pegasus YAML workflow (and its input files) under `dir/workflow`; returns its path. */
export async function writeSmallGenomeWorkflow(dir: string): Promise<string> {
  const workflow = join(dir, 'workflow', 'workflow.yml');
  await promisify(execFile)(process.execPath, [join(example, 'generate.mjs'), '--scale', 'small', '--out', workflow]);
  for (const name of await readdir(example)) {
    if (name.endsWith('.txt')) await copyFile(join(example, name), join(dir, 'workflow', name));
  }
  return workflow;
}

/** One anomaly the {@link countingInjector} saw: where it went and its kernel counters after apply and before revert. */
export interface CountedAnomaly {
  runId: string;
  worker: string;
  target: string;
  effect: Readonly<Record<string, unknown>>;
  at: AnomalyCounters[];
}

/**
 * The injector, with each anomaly's kernel counters read right after it is applied and right before it is reverted
 * (revert deletes what they count), in the order they were applied.
 */
export function countingInjector(injector: Injector): { injector: Injector; applied: CountedAnomaly[] } {
  const applied: CountedAnomaly[] = [];
  const counting = Object.assign(Object.create(injector) as Injector, {
    apply: async (...args: Parameters<Injector['apply']>): Promise<AnomalyHandle> => {
      const handle = await injector.apply(...args);
      const read = () =>
        readAnomalyCounters(handle.target, { effect: handle.effect }).catch(() => ({ target: handle.target }));
      const entry: CountedAnomaly = {
        runId: args[2]?.runId ?? handle.id,
        worker: args[2]?.worker ?? '',
        target: handle.target,
        effect: handle.effect,
        at: [await read()],
      };
      applied.push(entry);
      const revert = async () => {
        entry.at.push(await read());
        await handle.revert();
      };
      return Object.assign(Object.create(handle) as AnomalyHandle, { revert, release: revert });
    },
  });
  return { injector: counting, applied };
}
