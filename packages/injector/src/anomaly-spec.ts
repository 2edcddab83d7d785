import { ProteusError } from '@proteus-wf/core';
import { INTERFACE_NAME } from './targets.js';

/**
 * Anomaly specifications and the dataset names that map to them.
 *
 * Reference: testbeds.md §1.4 (Poseidon-X `cpu_K`, `hdd_K`, `loss_X`), datasets/README.md (Flow-Bench labels),
 * the GNN paper §IV.C (gen-1 `stress` CPU/HDD load and TC loss).
 */

/** No anomaly: the label of a normal worker. */
export interface NoAnomalySpec {
  kind: 'none';
  label?: string;
}

/**
 * A CPU limit on a group of processes: withhold `removeCores` cores (cpuset shrunk from the top and the CFS quota
 * lowered by the same amount, as Poseidon-X did with `--cpuset-cpus` and `--cpus`), or cap at `quota` cores
 * (CPU-seconds per second, e.g. `0.5`).
 */
export type CpuAnomalySpec =
  | { kind: 'cpu'; removeCores: number; quota?: undefined; label?: string }
  | { kind: 'cpu'; quota: number; removeCores?: undefined; label?: string };

/**
 * A block-device throughput cap in bytes per second (`0`/absent = unlimited, at most {@link MAX_DISK_BPS}) on `device`
 * or the working folder's disk.
 */
export interface DiskAnomalySpec {
  kind: 'disk';
  readBps?: number;
  writeBps?: number;
  /** A device (`/dev/vda`), a `MAJ:MIN` pair, or any path whose backing disk is meant; default: the working folder. */
  device?: string;
  label?: string;
}

/** Contention load from stressor processes placed beside the worker's jobs. */
export interface StressAnomalySpec {
  kind: 'stress';
  /** Busy-looping workers, each using up to `loadPercent` (default 100) of one core. */
  cpu?: { workers: number; loadPercent?: number };
  /** Workers that write `bytes` to a file, fsync, delete it and start again (the `stress --hdd` loop). */
  disk?: { workers: number; bytes: number };
  /** Workers that allocate and keep touching `bytes` of memory. */
  memory?: { workers: number; bytes: number };
  /** `node`: the package's own stressor (no install); `stress-ng` when installed; `auto` prefers `node` locally. */
  engine?: 'auto' | 'node' | 'stress-ng';
  label?: string;
}

/** Network impairment on a target's interfaces. Loss uses nftables drops or netem; the rest need netem or tc tbf. */
export interface NetworkAnomalySpec {
  kind: 'network';
  lossPercent?: number;
  duplicatePercent?: number;
  corruptPercent?: number;
  delayMs?: number;
  jitterMs?: number;
  rateMbit?: number;
  /** The interface to impair; default: every interface of the target except `lo`. */
  interface?: string;
  label?: string;
}

/** A typed, validated anomaly. `label` is the dataset name it came from (`cpu_2`), kept for the ledger's labels. */
export type AnomalySpec = NoAnomalySpec | CpuAnomalySpec | DiskAnomalySpec | StressAnomalySpec | NetworkAnomalySpec;

/** Options of {@link parseAnomaly}: which dataset generation's meaning a dataset anomaly name takes. */
export interface ParseAnomalyOptions {
  /**
   * Which dataset generation the name comes from. `2` (default): Flow-Bench/Poseidon-X, where `cpu_K` withholds K
   * cores and `hdd_K` caps writes at K MB/s. `1`: the GNN paper's ExoGENI data, where `cpu_K` is K busy `stress`
   * cores and `hdd_K` is a `stress` worker continuously writing K MB.
   */
  generation?: 1 | 2;
}

/** The largest disk cap, 1 TiB/s: no disk is faster, so a larger number is a typo. */
export const MAX_DISK_BPS = 2 ** 40;
/** The largest file a disk stressor worker rewrites (64 GiB) and the most memory a memory worker holds (1 TiB). */
const MAX_STRESS_DISK_BYTES = 2 ** 36;
const MAX_STRESS_MEMORY_BYTES = 2 ** 40;

/** Docker's `mb` unit (`--device-write-bps /dev/sda:5mb`) is binary: 1 mb = 1,048,576 bytes. */
const MIB = 1024 * 1024;

const NAME_PATTERN = /^(normal|none|cpu|hdd|loss)(?:_(\d+(?:\.\d+)?))?$/i;

/**
 * Parses a dataset anomaly name (`cpu_2`, `hdd_5`, `loss_0.5`, `normal`) or a JSON spec into a validated
 * {@link AnomalySpec}.
 * @example parseAnomaly('cpu_2') // { kind: 'cpu', removeCores: 2, label: 'cpu_2' }
 * @example parseAnomaly('hdd_5') // { kind: 'disk', writeBps: 5242880, readBps: 10485760, label: 'hdd_5' }
 * @example parseAnomaly('{"kind":"network","rateMbit":10}')
 * @throws ProteusError PROTEUS_INJECTOR_SPEC_INVALID when the name or JSON does not describe a valid anomaly
 */
export function parseAnomaly(input: string, options: ParseAnomalyOptions = {}): AnomalySpec {
  const text = input.trim();
  if (text.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw invalid(`JSON spec does not parse (${(error as Error).message})`, input, error);
    }
    return validateAnomaly(value);
  }
  const match = NAME_PATTERN.exec(text);
  if (!match) {
    throw invalid(
      'unknown anomaly name; expected normal, cpu_<cores>, hdd_<MB/s>, loss_<percent> or a JSON spec',
      input,
    );
  }
  const family = match[1]!.toLowerCase();
  const amountText = match[2];
  const label = text.toLowerCase();
  if (family === 'normal' || family === 'none') {
    if (amountText !== undefined) throw invalid(`"${family}" takes no amount`, input);
    return { kind: 'none', label: family };
  }
  if (amountText === undefined) throw invalid(`"${family}" needs an amount, e.g. ${family}_2`, input);
  const amount = Number(amountText);
  const generation = options.generation ?? 2;
  if (family === 'cpu') {
    if (!Number.isInteger(amount) || amount < 1) throw invalid('cpu_<cores> needs a whole number of cores ≥ 1', input);
    return validateAnomaly(
      generation === 1
        ? { kind: 'stress', cpu: { workers: amount }, label }
        : { kind: 'cpu', removeCores: amount, label },
    );
  }
  if (family === 'hdd') {
    if (!(amount > 0)) throw invalid('hdd_<MB> needs an amount > 0', input);
    return validateAnomaly(
      generation === 1
        ? { kind: 'stress', disk: { workers: 1, bytes: Math.round(amount * MIB) }, label }
        : { kind: 'disk', writeBps: Math.round(amount * MIB), readBps: Math.round(2 * amount * MIB), label },
    );
  }
  return validateAnomaly({ kind: 'network', lossPercent: amount, label });
}

/**
 * Checks an unknown value (e.g. parsed JSON) against the {@link AnomalySpec} union, collecting every problem.
 * @example validateAnomaly({ kind: 'cpu', quota: 0.5 })
 * @throws ProteusError PROTEUS_INJECTOR_SPEC_INVALID with `details.problems` listing every problem found
 */
export function validateAnomaly(value: unknown): AnomalySpec {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('a spec must be an object with a "kind"', JSON.stringify(value));
  }
  const spec = value as Record<string, unknown>;
  const label = spec.label;
  if (label !== undefined && (typeof label !== 'string' || label.length > 128)) {
    problems.push('"label" must be a string of at most 128 characters');
  }
  const allowed = (keys: string[]) => {
    for (const key of Object.keys(spec)) {
      if (key !== 'kind' && key !== 'label' && !keys.includes(key)) problems.push(`unknown field "${key}"`);
    }
  };
  const numberAt = (key: string, min: number, max = Number.POSITIVE_INFINITY, integer = false) => {
    const v = spec[key];
    if (v === undefined) return;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      problems.push(
        `"${key}" must be a${integer ? 'n integer' : ' number'} in [${min}, ${max}] (got ${JSON.stringify(v)})`,
      );
    }
  };
  switch (spec.kind) {
    case 'none':
      allowed([]);
      break;
    case 'cpu': {
      allowed(['removeCores', 'quota']);
      const hasRemove = spec.removeCores !== undefined;
      const hasQuota = spec.quota !== undefined;
      if (hasRemove === hasQuota) problems.push('a cpu spec needs exactly one of "removeCores" or "quota"');
      numberAt('removeCores', 1, 4096, true);
      numberAt('quota', 0.01, 4096);
      break;
    }
    case 'disk': {
      allowed(['readBps', 'writeBps', 'device']);
      numberAt('readBps', 0, MAX_DISK_BPS, true);
      numberAt('writeBps', 0, MAX_DISK_BPS, true);
      if (!spec.readBps && !spec.writeBps) problems.push('a disk spec needs "readBps" or "writeBps" > 0');
      if (
        spec.device !== undefined &&
        (typeof spec.device !== 'string' ||
          spec.device === '' ||
          spec.device.length > 4096 ||
          spec.device.includes('\0'))
      ) {
        problems.push('"device" must be a non-empty path or MAJ:MIN');
      }
      break;
    }
    case 'stress': {
      allowed(['cpu', 'disk', 'memory', 'engine']);
      const group = (key: 'cpu' | 'disk' | 'memory', extra: 'loadPercent' | 'bytes') => {
        const v = spec[key];
        if (v === undefined) return false;
        if (typeof v !== 'object' || v === null) {
          problems.push(`"${key}" must be an object`);
          return true;
        }
        const g = v as Record<string, unknown>;
        if (typeof g.workers !== 'number' || !Number.isInteger(g.workers) || g.workers < 1 || g.workers > 1024) {
          problems.push(`"${key}.workers" must be an integer in [1, 1024] (got ${JSON.stringify(g.workers)})`);
        }
        const e = g[extra];
        if (extra === 'loadPercent') {
          if (e !== undefined && (typeof e !== 'number' || !(e > 0 && e <= 100))) {
            problems.push(`"cpu.loadPercent" must be in (0, 100] (got ${JSON.stringify(e)})`);
          }
        } else {
          const max = key === 'memory' ? MAX_STRESS_MEMORY_BYTES : MAX_STRESS_DISK_BYTES;
          if (typeof e !== 'number' || !Number.isInteger(e) || e < 4096 || e > max) {
            problems.push(`"${key}.bytes" must be an integer in [4096, ${max}] (got ${JSON.stringify(e)})`);
          }
        }
        for (const k of Object.keys(g))
          if (k !== 'workers' && k !== extra) problems.push(`unknown field "${key}.${k}"`);
        return true;
      };
      const any = [group('cpu', 'loadPercent'), group('disk', 'bytes'), group('memory', 'bytes')].some(Boolean);
      if (!any) problems.push('a stress spec needs at least one of "cpu", "disk" or "memory"');
      if (spec.engine !== undefined && !['auto', 'node', 'stress-ng'].includes(spec.engine as string)) {
        problems.push(`"engine" must be auto, node or stress-ng (got ${JSON.stringify(spec.engine)})`);
      }
      break;
    }
    case 'network': {
      const fields = ['lossPercent', 'duplicatePercent', 'corruptPercent', 'delayMs', 'jitterMs', 'rateMbit'];
      allowed([...fields, 'interface']);
      numberAt('lossPercent', 0, 100);
      numberAt('duplicatePercent', 0, 100);
      numberAt('corruptPercent', 0, 100);
      numberAt('delayMs', 0, 60_000);
      numberAt('jitterMs', 0, 60_000);
      numberAt('rateMbit', 0.001, 1_000_000);
      if (!fields.some((f) => typeof spec[f] === 'number' && (spec[f] as number) > 0)) {
        problems.push(`a network spec needs one of ${fields.join(', ')} > 0`);
      }
      if (spec.jitterMs && !spec.delayMs) problems.push('"jitterMs" needs "delayMs"');
      if (
        spec.interface !== undefined &&
        (typeof spec.interface !== 'string' || !INTERFACE_NAME.test(spec.interface))
      ) {
        problems.push(`"interface" must be a Linux interface name (got ${JSON.stringify(spec.interface)})`);
      }
      break;
    }
    default:
      problems.push(`"kind" must be none, cpu, disk, stress or network (got ${JSON.stringify(spec.kind)})`);
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_INJECTOR_SPEC_INVALID',
      `injector/validateAnomaly: ${problems.length} problem(s) in ${JSON.stringify(value)}: ${problems.join('; ')}`,
      { details: { problems } },
    );
  }
  return structuredClone(spec) as unknown as AnomalySpec;
}

/**
 * A short human name for a spec: its dataset label when it has one, otherwise a compact description.
 * @example describeAnomaly({ kind: 'cpu', quota: 0.5 }) // 'cpu quota=0.5'
 */
export function describeAnomaly(spec: AnomalySpec): string {
  if (spec.label) return spec.label;
  const { kind, label: _label, ...rest } = spec;
  const parts = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return [kind, ...parts].join(' ');
}

function invalid(what: string, input: string, cause?: unknown): ProteusError {
  return new ProteusError(
    'PROTEUS_INJECTOR_SPEC_INVALID',
    `injector/parseAnomaly: ${what} (got ${JSON.stringify(input)})`,
    {
      cause,
    },
  );
}
