// Shared helpers of the example job scripts: argument parsing, a seeded PRNG, direct (O_DIRECT) file I/O and a
// worker-thread pool for the CPU-bound phases.
// No dependencies: a job is `node <script> <args>` and must run on any Node >= 20.
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  writeSync,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/** Parses `--key value` pairs; everything else is a positional argument (input lfns). */
export function parseArgs(argv = process.argv.slice(2)) {
  const options = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      options[arg.slice(2)] = argv[i + 1];
      i++;
    } else positional.push(arg);
  }
  return { options, positional };
}

/** Reads a required option, failing the job with a clear message. */
export function required(options, key, kind = 'string') {
  const value = options[key];
  if (value === undefined) fail(`missing --${key}`);
  if (kind === 'int') {
    const number = Number(value);
    if (!Number.isInteger(number)) fail(`--${key} must be an integer (got ${value})`);
    return number;
  }
  return value;
}

/** Ends the job with a message on stderr and exit code 2. */
export function fail(message) {
  process.stderr.write(`${process.argv[1]}: ${message}\n`);
  process.exit(2);
}

/** mulberry32 seeded from a list of integers: deterministic data for a seed. */
export function createRandom(...seeds) {
  let state = 0x9e3779b9;
  for (const seed of seeds) state = Math.imul(state ^ (seed | 0), 0x85ebca6b) ^ (state >>> 13);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal from a uniform source (Box-Muller). */
export function normal(random) {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

const CHUNK = 1 << 20;
const ALIGN = 4096;
let staging;

/**
 * A 1 MiB page-aligned buffer for O_DIRECT. Node gives no control over where a Buffer's bytes live (a plain
 * Buffer is malloc'ed and O_DIRECT rejects it with EINVAL), but a WebAssembly memory is mapped page-aligned.
 */
function alignedChunk() {
  staging ??= Buffer.from(new WebAssembly.Memory({ initial: CHUNK / 65536 }).buffer, 0, CHUNK);
  return staging;
}

/** Opens with O_DIRECT, or returns undefined where the platform or filesystem refuses it (tmpfs, some overlays). */
function openDirect(path, flags) {
  if (process.env.PROTEUS_EXAMPLE_BUFFERED_IO === '1' || !constants.O_DIRECT) return undefined;
  try {
    return openSync(path, flags | constants.O_DIRECT, 0o644);
  } catch (error) {
    if (error.code === 'EINVAL' || error.code === 'EOPNOTSUPP') return undefined;
    throw error;
  }
}

/** Which I/O path the last `writeDurable`/`readBytes` took: `direct` or `buffered`. */
export let lastIoMode = 'buffered';

/**
 * Writes a file with direct I/O (O_DIRECT, 1 MiB page-aligned chunks, the tail padded to 4 KiB and truncated back)
 * and fsyncs it. Direct I/O is issued by the job itself, so a worker's disk throttling acts on the job: on cgroup
 * v1, `blkio.throttle.*` sees only direct I/O (buffered pages are written back by kernel threads outside the
 * job's cgroup). Falls back to buffered writes + fsync where O_DIRECT is unavailable.
 */
export function writeDurable(path, data) {
  const bytes =
    typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const direct = openDirect(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC);
  if (direct !== undefined) {
    lastIoMode = 'direct';
    const chunk = alignedChunk();
    try {
      for (let offset = 0; offset < bytes.length; offset += CHUNK) {
        const length = Math.min(CHUNK, bytes.length - offset);
        bytes.copy(chunk, 0, offset, offset + length);
        const padded = Math.ceil(length / ALIGN) * ALIGN;
        chunk.fill(0, length, padded);
        writeSync(direct, chunk, 0, padded, offset);
      }
      ftruncateSync(direct, bytes.length);
      fsyncSync(direct);
    } finally {
      closeSync(direct);
    }
    return;
  }
  lastIoMode = 'buffered';
  const fd = openSync(path, 'w');
  try {
    for (let offset = 0; offset < bytes.length; offset += CHUNK) {
      writeSync(fd, bytes, offset, Math.min(CHUNK, bytes.length - offset));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole file, with direct I/O where available (so disk read caps act on the job; see `writeDurable`). */
export function readBytes(path) {
  const direct = openDirect(path, constants.O_RDONLY);
  if (direct === undefined) {
    lastIoMode = 'buffered';
    return readFileSync(path);
  }
  lastIoMode = 'direct';
  const chunk = alignedChunk();
  try {
    const size = fstatSync(direct).size;
    const bytes = Buffer.allocUnsafe(size);
    let offset = 0;
    while (offset < size) {
      const read = readSync(direct, chunk, 0, CHUNK, offset);
      if (read <= 0) break;
      chunk.copy(bytes, offset, 0, Math.min(read, size - offset));
      offset += read;
    }
    return bytes;
  } finally {
    closeSync(direct);
  }
}

/** Reads a text file (direct I/O where available). */
export function readText(path) {
  return readBytes(path).toString('utf8');
}

/**
 * Runs `count` independent tasks of a kernel on every core this job may use (`os.availableParallelism()`, which
 * follows the worker's cpuset): `kernel(index, shared)` is an export `name` of the module at `moduleUrl` (no top-level
 * side effects), `shared` is structured-cloned to each thread (SharedArrayBuffers are shared, not copied). The main
 * thread works too, so one core means no thread at all. Results come back in task order, so the output does not
 * depend on the number of cores.
 */
export async function runParallel(moduleUrl, name, count, shared) {
  const threads = Math.max(1, Math.min(availableParallelism(), count, 8));
  const next = new Int32Array(new SharedArrayBuffer(4));
  const results = new Array(count);
  const kernel = (await import(moduleUrl))[name];
  const workers = [];
  for (let t = 1; t < threads; t++) {
    const worker = new Worker(new URL('./parallel-worker.mjs', import.meta.url), {
      workerData: { moduleUrl, name, shared, next: next.buffer, count },
    });
    workers.push(
      new Promise((resolve, reject) => {
        worker.once('message', (done) => {
          for (const [index, value] of done) results[index] = value;
          resolve();
        });
        worker.once('error', reject);
      }),
    );
  }
  for (;;) {
    const index = Atomics.add(next, 0, 1);
    if (index >= count) break;
    results[index] = kernel(index, shared);
  }
  await Promise.all(workers);
  return results;
}

/** A binary container: a JSON header line, then a raw payload. */
export function encodeBlob(header, payload) {
  const head = Buffer.from(`${JSON.stringify(header)}\n`);
  return Buffer.concat([head, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)]);
}

/** Splits a blob into its header and payload bytes (a copy, aligned for typed arrays). */
export function decodeBlob(bytes) {
  const newline = bytes.indexOf(10);
  if (newline < 0) fail('input is not a blob (no header line)');
  const header = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
  const payload = new Uint8Array(bytes.length - newline - 1);
  payload.set(bytes.subarray(newline + 1));
  return { header, payload };
}
