import { resolve } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import {
  type Capabilities,
  createInjector,
  describeAnomaly,
  detectCapabilities,
  type LedgerEntry,
  MAX_DURATION_SEC,
  parseAnomaly,
  type RecoverResult,
  readLedger,
  recoverLedger,
} from '@proteus-wf/injector';
import type { Argv } from 'yargs';
import { type CliIo, formatTable, printResult } from '../cli-io.js';

interface LedgerArgs {
  ledger: string;
  json: boolean;
}

interface ApplyArgs extends LedgerArgs {
  spec: string;
  target: string;
  duration?: number;
  runId?: string;
  worker?: string;
  generation?: 1 | 2;
}

/** What `proteus inject apply` prints. */
export interface InjectApplySummary {
  id: string;
  target: string;
  spec: LedgerEntry['spec'];
  effect: Record<string, unknown>;
  ledger: string;
  appliedAt: number;
  /** True when `--duration` held the anomaly and then reverted it. */
  reverted: boolean;
}

/**
 * `proteus inject capabilities|apply|revert|recover|list`: real anomalies on workers, always undone through a ledger.
 * @example proteus inject apply cpu_2 --target cgroup:proteus/tb1/w1 --ledger out/ledger.jsonl --duration 60 --json
 */
export function registerInjectCommands(cli: Argv, io: CliIo): Argv {
  return cli.command('inject', 'Inject CPU, disk and network anomalies into workers, and undo them', (inject) =>
    inject
      .command(
        'capabilities',
        'Say which anomaly backends work on a target, and how to get the missing ones',
        (y) =>
          y
            .option('target', {
              type: 'string',
              default: 'local',
              describe: 'local, cgroup:<path>, netns:<name>, ssh:<user@host>',
            })
            .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' }),
        async (argv) => {
          const capabilities = await detectCapabilities(argv.target as string);
          printResult(io, capabilities, { json: argv.json as boolean, table: renderCapabilities });
        },
      )
      .command(
        'apply <spec>',
        'Apply an anomaly (cpu_<cores>, hdd_<MB/s>, loss_<percent>, or a JSON spec); with --duration, hold it then revert',
        (y) =>
          withLedger(y)
            .positional('spec', {
              type: 'string',
              demandOption: true,
              describe: 'cpu_2, hdd_5, loss_0.5, normal or JSON',
            })
            .option('target', {
              type: 'string',
              demandOption: true,
              describe: 'local, cgroup:<path>, netns:<name>, ssh:<user@host>, docker:<container>',
            })
            .option('duration', {
              type: 'number',
              describe: `Hold the anomaly this many seconds (at most ${MAX_DURATION_SEC}), then revert; a detached reverter ends it on time even if this process dies`,
            })
            .option('run-id', { type: 'string', describe: 'The run this anomaly labels' })
            .option('worker', { type: 'string', describe: 'The worker it makes anomalous' })
            .option('generation', {
              type: 'number',
              choices: [1, 2],
              describe: 'Dataset generation of the name (default 2)',
            }),
        async (argv) => {
          const args = argv as unknown as ApplyArgs;
          if (
            args.duration !== undefined &&
            !(Number.isFinite(args.duration) && args.duration > 0 && args.duration <= MAX_DURATION_SEC)
          ) {
            throw new ProteusError(
              'PROTEUS_CLI_USAGE',
              `inject apply: --duration must be a number of seconds in (0, ${MAX_DURATION_SEC}] (got ${args.duration}). Leave it out to keep the anomaly until inject revert.`,
            );
          }
          const spec = parseAnomaly(args.spec, args.generation ? { generation: args.generation } : {});
          const ledger = resolve(io.cwd, args.ledger);
          const hold = args.duration !== undefined;
          // Without --duration the anomaly must outlive this process: no signal handlers, no abort wiring.
          const injector = createInjector({ ledgerPath: ledger, handleSignals: hold });
          const handle = await injector.apply(args.target, spec, {
            ...(args.runId ? { runId: args.runId } : {}),
            ...(args.worker ? { worker: args.worker } : {}),
            ...(hold ? { signal: io.signal, durationSec: args.duration } : {}),
          });
          if (hold) {
            if (!args.json)
              io.stderr(
                `holding ${describeAnomaly(spec)} on ${args.target} for ${args.duration} s (id ${handle.id})\n`,
              );
            await sleepUntil(handle.appliedAt * 1000 + (args.duration ?? 0) * 1000, io.signal);
            await handle.release();
          }
          const summary: InjectApplySummary = {
            id: handle.id,
            target: handle.target,
            spec: handle.spec,
            effect: { ...handle.effect },
            ledger,
            appliedAt: handle.appliedAt,
            reverted: handle.reverted,
          };
          printResult(io, summary, { json: args.json, table: renderApply });
        },
      )
      .command(
        'revert',
        'Revert one anomaly (--id), or every anomaly of the ledger that is still applied',
        (y) => withLedger(y).option('id', { type: 'string', describe: 'The anomaly id (see inject list)' }),
        async (argv) => {
          const args = argv as unknown as LedgerArgs & { id?: string };
          const ledger = resolve(io.cwd, args.ledger);
          let result: RecoverResult;
          if (args.id) {
            const outcome = await createInjector({ ledgerPath: ledger, handleSignals: false }).revert(args.id);
            result = {
              reverted: outcome.reverted ? [outcome.id] : [],
              skipped: outcome.reverted ? [] : [{ id: args.id, reason: 'already reverted' }],
              failed: [],
              rejected: [],
            };
          } else {
            result = await recoverLedger(ledger, { includeLiveOwners: true });
          }
          finish(io, result, args.json);
        },
      )
      .command(
        'recover',
        'Revert whatever crashed or killed processes left applied (anomalies of living owners are left alone)',
        (y) => withLedger(y),
        async (argv) => {
          const args = argv as unknown as LedgerArgs;
          finish(io, await recoverLedger(resolve(io.cwd, args.ledger)), args.json);
        },
      )
      .command(
        'list',
        'List the anomalies of a ledger: target, spec, run, worker, state and time window',
        (y) => withLedger(y),
        async (argv) => {
          const args = argv as unknown as LedgerArgs;
          const entries = await readLedger(resolve(io.cwd, args.ledger));
          printResult(io, entries, { json: args.json, table: renderList });
        },
      )
      .demandCommand(1, 'Name an inject command: capabilities, apply, revert, recover or list.'),
  );
}

function withLedger(y: Argv): Argv {
  return y
    .option('ledger', { type: 'string', demandOption: true, describe: 'The anomaly ledger (JSON lines)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' });
}

function finish(io: CliIo, result: RecoverResult, json: boolean): void {
  printResult(io, result, { json, table: renderRecover });
  if (result.failed.length > 0) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_REVERT_FAILED',
      `inject: ${result.failed.length} anomaly(ies) are not fully reverted: ${result.failed.map((f) => `${f.id} (${f.errors.join('; ')})`).join(', ')}`,
      { details: result.failed },
    );
  }
  if (result.rejected.length > 0) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_LEDGER_REJECTED',
      `inject: ${result.rejected.length} ledger entr${result.rejected.length === 1 ? 'y was' : 'ies were'} not run (${[...new Set(result.rejected.map((r) => r.code))].join(', ')}); see the list above and check those targets by hand.`,
      { details: result.rejected },
    );
  }
}

/** Sleeps until `epochMs` or an abort, in chunks: one timer longer than 2^31-1 ms would fire after 1 ms. */
async function sleepUntil(epochMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted && Date.now() < epochMs) {
    await new Promise<void>((resolveSleep) => {
      const timer = setTimeout(done, Math.min(epochMs - Date.now(), 2 ** 31 - 1));
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolveSleep();
      }
    });
  }
}

function renderCapabilities(capabilities: Capabilities): string {
  return [
    `target ${capabilities.target}${capabilities.root ? ' (root)' : ''}${capabilities.cgroupVersion ? `, cgroup v${capabilities.cgroupVersion}` : ''}`,
    formatTable([
      ['backend', 'available', 'why not / note', 'fix'],
      ...Object.entries(capabilities.backends).map(([name, c]) => [
        name,
        c.available ? 'yes' : 'no',
        (c.available ? c.note : c.reason) ?? '',
        c.available ? '' : (c.fix ?? ''),
      ]),
    ]),
  ].join('\n');
}

function renderApply(summary: InjectApplySummary): string {
  return formatTable([
    ['id', summary.id],
    ['anomaly', describeAnomaly(summary.spec)],
    ['target', summary.target],
    ['state', summary.reverted ? 'reverted' : 'applied (undo: proteus inject revert --id)'],
    ['ledger', summary.ledger],
  ]);
}

function renderList(entries: LedgerEntry[]): string {
  if (entries.length === 0) return 'the ledger is empty';
  return formatTable([
    ['id', 'anomaly', 'target', 'run', 'worker', 'state', 'applied at', 'reverted at'],
    ...entries.map((e) => [
      e.id,
      describeAnomaly(e.spec),
      e.target,
      e.runId ?? '',
      e.worker ?? '',
      e.state,
      e.window.appliedAt ? new Date(e.window.appliedAt * 1000).toISOString() : '',
      e.window.revertedAt ? new Date(e.window.revertedAt * 1000).toISOString() : '',
    ]),
  ]);
}

function renderRecover(result: RecoverResult): string {
  return [
    `reverted ${result.reverted.length}${result.reverted.length ? `: ${result.reverted.join(', ')}` : ''}`,
    ...result.skipped.map((s) => `skipped ${s.id}: ${s.reason}`),
    ...result.failed.map((f) => `FAILED ${f.id}: ${f.errors.join('; ')}`),
    // Rejected entries are hand-written text: control characters are not passed to the terminal.
    ...result.rejected.map((r) =>
      `NOT RUN ${r.id ?? `line ${r.line}`} (${r.code}): ${r.reason}`.replace(/\p{Cc}/gu, '?'),
    ),
  ].join('\n');
}
