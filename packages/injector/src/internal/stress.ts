import { spawn } from 'node:child_process';
import { open, readFile, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandRunner } from '@proteus-wf/core';
import { ProteusError } from '@proteus-wf/core';
import type { StressAnomalySpec } from '../anomaly-spec.js';
import type { InverseAction } from '../ledger.js';
import type { Target } from '../targets.js';
import { type CgroupLayout, cgroupProcsFiles } from './cgroup.js';
import { createScratchDir, remoteScratchDir, scratchDirName } from './inverse-actions.js';
import { hasProgram } from './network.js';
import type { Plan } from './plan.js';
import { MARKER_VARIABLE, readStartTime } from './proc.js';
import { STRESSOR_SOURCE, type StressorConfig } from './stressor-script.js';

/**
 * Writes its own PID into each `cgroup.procs` file given before `--`, then execs the rest: the stressor is inside
 * the worker cgroup before its first instruction, and so are all its children. Constant text; values are arguments.
 */
const PLACE_AND_EXEC = 'while [ "$1" != "--" ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"';

/** Starts a detached, marked stressor on a remote target and prints its PID. Constant text; values are arguments. */
const REMOTE_START =
  'd=$1; m=$2; shift 2; mkdir -p "$d" && cd "$d" || exit 97; ' +
  `${MARKER_VARIABLE}=$m setsid "$@" >/dev/null 2>"$d/stderr" </dev/null & echo $!`;

export interface StressContext {
  id: string;
  target: Target;
  runner: CommandRunner;
  layout: CgroupLayout;
  /** Folder that holds the stressor's scratch folder (disk load is written there). */
  scratchRoot: string;
  durationSec?: number;
  signal?: AbortSignal;
}

/** Plans a stressor process (the package's Node stressor or stress-ng) on the target. */
export async function planStress(context: StressContext, spec: StressAnomalySpec): Promise<Plan> {
  const { id, target, runner } = context;
  const remote = target.kind === 'ssh';
  let engine = spec.engine ?? 'auto';
  if (engine === 'auto') engine = remote ? 'stress-ng' : 'node';
  if (engine === 'node' && remote) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_TARGET_UNSUPPORTED',
      `injector/stress: the Node stressor runs on this machine only; target ${runner.target} needs { engine: 'stress-ng' } (installed there).`,
    );
  }
  if (engine === 'stress-ng' && !(await hasProgram(runner, 'stress-ng', ['--version']))) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_FACILITY_MISSING',
      `injector/stress: stress-ng is not installed on ${runner.target}. Install it (apt-get install stress-ng) or use { engine: 'node' } locally.`,
    );
  }
  // The real path: recover removes a scratch folder only where no symbolic link leads.
  const root = remote ? '' : await realpath(context.scratchRoot).catch(() => resolve(context.scratchRoot));
  const scratch = remote ? remoteScratchDir(id) : join(root, scratchDirName(id));
  const timeoutSec = context.durationSec === undefined ? undefined : Math.ceil(context.durationSec) + 5;
  const program =
    engine === 'node'
      ? [process.execPath, '-e', STRESSOR_SOURCE, JSON.stringify(nodeConfig(spec, scratch, timeoutSec))]
      : ['stress-ng', ...stressNgArgs(spec, scratch, timeoutSec)];
  const effect: Record<string, unknown> = { engine, scratch, marker: id };
  if (remote) {
    const inverse: InverseAction[] = [{ kind: 'process-group' }, { kind: 'scratch-dir', path: scratch }];
    return {
      effect,
      steps: [
        {
          name: `start ${engine} on ${runner.target}`,
          inverse,
          apply: async () => {
            const { stdout } = await runner.run('sh', ['-c', REMOTE_START, 'sh', scratch, id, ...program], {
              ...(context.signal ? { signal: context.signal } : {}),
            });
            effect.pid = Number(stdout.trim());
            return undefined;
          },
        },
      ],
    };
  }
  const prefix = target.kind === 'netns' ? ['ip', 'netns', 'exec', target.name] : [];
  const procs = target.kind === 'cgroup' ? await cgroupProcsFiles(context.layout, target.path) : [];
  const intent: InverseAction[] = [{ kind: 'process-group' }, { kind: 'scratch-dir', path: scratch }];
  return {
    effect,
    steps: [
      {
        name: `start ${engine}`,
        inverse: intent,
        apply: async () => {
          await createScratchDir(root, id);
          const pid = await spawnMarked(id, scratch, [
            '-c',
            PLACE_AND_EXEC,
            'proteus-stressor',
            ...procs,
            '--',
            ...prefix,
            ...program,
          ]);
          const startTime = await readStartTime(pid);
          effect.pid = pid;
          if (procs.length > 0) effect.cgroupProcs = procs;
          return [{ kind: 'process-group', ...(startTime ? { pid, startTime } : {}) }, intent[1]!];
        },
      },
    ],
  };
}

/** Spawns `sh <args>` detached (its own process group) with the marker in its environment; fails if it dies at once. */
async function spawnMarked(id: string, scratch: string, args: string[]): Promise<number> {
  const log = join(scratch, 'stderr');
  const handle = await open(log, 'w');
  try {
    const child = spawn('sh', args, {
      detached: true,
      stdio: ['ignore', 'ignore', handle.fd],
      cwd: scratch,
      env: { ...process.env, [MARKER_VARIABLE]: id },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid!));
    });
    // A stressor that cannot start (no stress-ng, cgroup write refused) dies within a few milliseconds.
    const early = await new Promise<number | null | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), 250);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? (signal ? 128 : null));
      });
    });
    child.unref();
    if (early !== undefined) {
      const said = (await readFile(log, 'utf8').catch(() => '')).trim();
      throw new ProteusError(
        'PROTEUS_INJECTOR_STRESSOR_FAILED',
        `injector/stress: the stressor exited at once with ${early}${early === 97 ? ' (could not join the target cgroup: are you root?)' : ''}${said ? `: ${said.slice(-300)}` : ''}`,
        { details: { exitCode: early, stderr: said } },
      );
    }
    return pid;
  } finally {
    await handle.close();
  }
}

function nodeConfig(spec: StressAnomalySpec, scratch: string, timeoutSec?: number): StressorConfig {
  return {
    ...(spec.cpu ? { cpu: spec.cpu } : {}),
    ...(spec.disk ? { disk: { ...spec.disk, dir: scratch } } : {}),
    ...(spec.memory ? { memory: spec.memory } : {}),
    ...(timeoutSec === undefined ? {} : { timeoutSec }),
  };
}

/** stress-ng arguments for a spec (testbeds.md §5: `--cpu/--cpu-load`, `--hdd/--hdd-bytes --temp-path`, `--vm`). */
export function stressNgArgs(spec: StressAnomalySpec, scratch: string, timeoutSec?: number): string[] {
  const args: string[] = [];
  if (spec.cpu) {
    args.push('--cpu', String(spec.cpu.workers));
    if (spec.cpu.loadPercent !== undefined) args.push('--cpu-load', String(Math.round(spec.cpu.loadPercent)));
  }
  if (spec.disk) args.push('--hdd', String(spec.disk.workers), '--hdd-bytes', `${spec.disk.bytes}b`);
  if (spec.memory) args.push('--vm', String(spec.memory.workers), '--vm-bytes', `${spec.memory.bytes}b`, '--vm-keep');
  args.push('--temp-path', scratch, '--timeout', timeoutSec === undefined ? '0' : `${timeoutSec}s`, '--quiet');
  return args;
}
