// Shared helpers of the example job scripts: argument parsing, a seeded PRNG and durable (fsync'd) file I/O.
// No dependencies: a job is `node <script> <args>` and must run on any Node >= 20.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

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

/**
 * Writes a file in 1 MiB chunks and fsyncs it, so the bytes reach the disk inside the job (and inside its
 * cgroup): disk throttling then slows the job itself instead of a kernel flusher thread.
 */
export function writeDurable(path, data) {
  const bytes =
    typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fd = openSync(path, 'w');
  try {
    for (let offset = 0; offset < bytes.length; offset += 1 << 20) {
      writeSync(fd, bytes, offset, Math.min(1 << 20, bytes.length - offset));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads a whole file. */
export function readBytes(path) {
  return readFileSync(path);
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
