/**
 * The package's own stressor, run as `node -e <source> <json config>`. It is built from the two functions below
 * with `Function.prototype.toString`, so it is the same code from `src/` (vitest) and from `dist/` (tsup), needs no
 * file beside the bundle, and is typechecked and linted with the rest. The functions may use only globals (and
 * `globalThis.require`, which `node -e` and eval workers provide).
 */

/** The JSON config of one stressor process. */
export interface StressorConfig {
  cpu?: { workers: number; loadPercent?: number };
  disk?: { workers: number; bytes: number; dir: string };
  memory?: { workers: number; bytes: number };
  /** Exit after this many seconds: a safety net for the duration-bound anomalies. */
  timeoutSec?: number;
}

interface ThreadTask {
  kind: 'cpu' | 'disk' | 'memory';
  index: number;
  loadPercent?: number;
  bytes?: number;
  dir?: string;
}

function stressorMain(thread: () => void): void {
  // Through globalThis: bundlers rewrite a bare `require`, which would then not exist in the `node -e` process.
  const load = (globalThis as unknown as { require: (id: string) => unknown }).require;
  const { Worker } = load('node:worker_threads') as typeof import('node:worker_threads');
  const config = JSON.parse(process.argv[1] ?? '{}') as StressorConfig;
  const tasks: ThreadTask[] = [];
  for (let i = 0; i < (config.cpu?.workers ?? 0); i++) {
    tasks.push({ kind: 'cpu', index: i, loadPercent: config.cpu?.loadPercent ?? 100 });
  }
  for (let i = 0; i < (config.disk?.workers ?? 0); i++) {
    tasks.push({ kind: 'disk', index: i, bytes: config.disk?.bytes ?? 0, dir: config.disk?.dir ?? '.' });
  }
  for (let i = 0; i < (config.memory?.workers ?? 0); i++)
    tasks.push({ kind: 'memory', index: i, bytes: config.memory?.bytes ?? 0 });
  const source = `(${thread.toString()})()`;
  for (const task of tasks) {
    const worker = new Worker(source, { eval: true, workerData: task });
    worker.on('error', (error) => {
      process.stderr.write(`stressor ${task.kind}#${task.index}: ${String(error)}\n`);
      process.exit(3);
    });
  }
  if (config.timeoutSec) setTimeout(() => process.exit(0), config.timeoutSec * 1000);
}

function stressorThread(): void {
  const load = (globalThis as unknown as { require: (id: string) => unknown }).require;
  const { workerData } = load('node:worker_threads') as typeof import('node:worker_threads');
  const fs = load('node:fs') as typeof import('node:fs');
  const task = workerData as ThreadTask;
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const sleep = (ms: number) => Atomics.wait(gate, 0, 0, ms);
  if (task.kind === 'cpu') {
    const load = Math.min(100, Math.max(1, task.loadPercent ?? 100));
    const sliceMs = 100;
    let x = 0;
    for (;;) {
      const end = performance.now() + (sliceMs * load) / 100;
      while (performance.now() < end) x = (x * 1103515245 + 12345) % 2147483647;
      if (load < 100) sleep(sliceMs - (sliceMs * load) / 100);
    }
  }
  if (task.kind === 'disk') {
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    const file = `${task.dir}/stress-${process.pid}-${task.index}.bin`;
    for (;;) {
      const fd = fs.openSync(file, 'w');
      let written = 0;
      while (written < (task.bytes ?? 0))
        written += fs.writeSync(fd, chunk, 0, Math.min(chunk.length, (task.bytes ?? 0) - written));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.unlinkSync(file);
    }
  }
  const memory = Buffer.alloc(task.bytes ?? 0);
  for (let round = 0; ; round++) {
    for (let i = 0; i < memory.length; i += 4096) memory[i] = round & 0xff;
    sleep(100);
  }
}

/** The `node -e` source of the stressor. */
export const STRESSOR_SOURCE = `'use strict';(${stressorMain.toString()})(${stressorThread.toString()});`;
