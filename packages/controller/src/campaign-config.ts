import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ProteusError } from '@proteus-wf/core';
import { z } from 'zod';
import { checkAnomalyName } from './internal/anomaly-name.js';
import { type ConfigProblem, collectIssues, formatProblems } from './internal/problems.js';

/** One worker of the campaign's infrastructure: the unit anomalies are injected into (a Poseidon-X container). */
export interface WorkerSpec {
  name: string;
  cores: number;
  memoryMb: number;
  site: string;
}

/** One experiment entry after validation: every anomaly name is a full Flow-Bench name (`normal`, `cpu_2`, `hdd_5`). */
export interface ExperimentSpec {
  workflow: string;
  /** Anomaly names, one per level, in the order given; `['normal']` for a normal experiment. */
  anomalies: string[];
  /** Numbers of anomalous workers, one block of runs per entry; `[0]` for a normal experiment. */
  anomalousWorkers: number[];
  /** Runs per (anomaly, anomalous-worker count) pair: Poseidon-X's `number_of_runs`. */
  runs: number;
}

/** A validated campaign: who runs (infrastructure), what to run (experiments) and where workflows live. */
export interface CampaignConfig {
  infrastructure: {
    workers: WorkerSpec[];
    /** Poseidon-X's remote hosts, passed through for remote testbeds (unused by the local testbed). */
    submitNode?: { ipAddress: string };
    dataNode?: { ipAddress: string };
  };
  experiments: ExperimentSpec[];
  /** Workflow name -> absolute path of its Pegasus YAML 5.0 definition. */
  workflows: Record<string, { path: string }>;
}

/**
 * Upper bounds of every count a campaign file holds. A campaign is planned in memory and run one run at a time, so a
 * count far beyond any real campaign (Flow-Bench's largest has a few thousand runs) is a typo or an attack: it would
 * exhaust the memory of `experiment plan` long before anything ran.
 */
export const CAMPAIGN_LIMITS = {
  /**
   * Planned runs of the whole campaign (every experiment × level × anomalous-worker count × `number_of_runs`). Planning
   * is one synchronous step; the bound keeps it short, so a signal waits for it only briefly.
   */
  runs: 20_000,
  /** `number_of_runs` of one experiment entry. */
  runsPerExperiment: 10_000,
  experiments: 1_000,
  workers: 1_024,
  /** Entries of `levels` and of `number_of_anomaly_workers`. */
  levels: 100,
  /** Cores of one worker or node, and of a condor slot. */
  cores: 4_096,
  /** Memory of one worker (`memory_mb`), or of a node or slot (`ram`, GB × 1024). */
  memoryMb: 64 * 1024 * 1024,
} as const;

/** Campaign and request files are a few kilobytes; anything past this is not one. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

const positiveInt = z.number().int().positive();
const bounded = (max: number, what: string) =>
  positiveInt.max(max, `at most ${max} ${what} (a larger value is almost certainly a typo)`);
const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'use letters, digits, ".", "_" and "-" (it becomes part of file names)');

const hostSchema = z.object({ ip_address: z.string().min(1) }).strict();

const coresSchema = bounded(CAMPAIGN_LIMITS.cores, 'cores');
const ramGbSchema = bounded(CAMPAIGN_LIMITS.memoryMb / 1024, 'GB');

const nodeSchema = z
  .object({
    cores: coresSchema,
    /** GB, as in Poseidon-X. */
    ram: ramGbSchema,
    site: z.string().min(1).optional(),
    ip_address: z.string().optional(),
    username: z.string().optional(),
    key_filename: z.string().optional(),
  })
  .strict();

const infrastructureSchema = z
  .object({
    workers: z
      .array(
        z
          .object({
            name: nameSchema,
            cores: coresSchema,
            memory_mb: bounded(CAMPAIGN_LIMITS.memoryMb, 'MB'),
            site: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(CAMPAIGN_LIMITS.workers, `at most ${CAMPAIGN_LIMITS.workers} workers`)
      .optional(),
    nodes: z.record(nameSchema, nodeSchema).optional(),
    chameleon_nodes: z.record(nameSchema, nodeSchema).optional(),
    condor_config: z
      .object({ cores: coresSchema, ram: ramGbSchema, network_limit: positiveInt.optional() })
      .strict()
      .optional(),
    submit_node: hostSchema.optional(),
    data_node: hostSchema.optional(),
    lossy_router: z
      .object({
        ip_address: z.string(),
        fabric_interface: z.string(),
        chameleon_interface: z.string(),
        username: z.string(),
        key_filename: z.string(),
      })
      .strict()
      .optional(),
  })
  .strict();

const experimentSchema = z
  .object({
    workflow: z.string().min(1),
    type: z.string().min(1).optional(),
    anomaly: z.string().min(1).optional(),
    levels: z
      .array(z.number().positive().max(1_000_000))
      .min(1)
      .max(CAMPAIGN_LIMITS.levels, `at most ${CAMPAIGN_LIMITS.levels} levels`)
      .optional(),
    number_of_runs: bounded(CAMPAIGN_LIMITS.runsPerExperiment, 'runs per experiment'),
    number_of_anomaly_workers: z
      .array(z.number().int().nonnegative().max(CAMPAIGN_LIMITS.workers))
      .max(CAMPAIGN_LIMITS.levels, `at most ${CAMPAIGN_LIMITS.levels} anomalous-worker counts`),
  })
  .strict();

const workflowSchema = z
  .object({
    path: z.string().min(1),
  })
  .strict();

const configSchema = z
  .object({
    seed: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional(),
    infrastructure: infrastructureSchema,
    experiments: z
      .array(experimentSchema)
      .min(1)
      .max(CAMPAIGN_LIMITS.experiments, `at most ${CAMPAIGN_LIMITS.experiments} experiment entries`),
    workflows: z.record(nameSchema, workflowSchema),
  })
  .strict();

/** The raw JSON shape of a campaign file (Poseidon-X's `experiments-config.json` plus `workflows.json`). */
export type CampaignConfigInput = z.input<typeof configSchema>;

/**
 * Validates a campaign configuration (the JSON of `proteus experiment plan --config`) and normalises it.
 * Field names follow what Poseidon-X's code reads (testbeds.md §1.2): `infrastructure.chameleon_nodes` (alias `nodes`)
 * sliced into workers by `condor_config` (`<node>-container-<lo>-<hi>`), or an explicit `infrastructure.workers` list;
 * `experiments[]` with `type` (`cpu_2`) or `anomaly` + `levels` (`cpu`, `[2, 3]`), `number_of_runs` and
 * `number_of_anomaly_workers`; `workflows` mapping each name to its Pegasus YAML `path` (relative to `baseDir`).
 * Every problem is collected and thrown once.
 * @example const config = parseCampaignConfig(JSON.parse(text), { baseDir: dirname(file) });
 * @throws ProteusError PROTEUS_CONTROLLER_INVALID_CONFIG with `details: ConfigProblem[]` listing every problem
 */
export function parseCampaignConfig(
  input: unknown,
  options: { baseDir?: string; source?: string } = {},
): CampaignConfig {
  const where = options.source ?? 'campaign config';
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) throw invalid(where, collectIssues(parsed.error));
  const raw = parsed.data;
  const problems: ConfigProblem[] = [];
  const baseDir = options.baseDir ?? process.cwd();

  const workers = resolveWorkers(raw.infrastructure, problems);
  const workflows: Record<string, { path: string }> = {};
  for (const [name, entry] of Object.entries(raw.workflows)) {
    workflows[name] = { path: isAbsolute(entry.path) ? entry.path : resolve(baseDir, entry.path) };
  }

  const experiments: ExperimentSpec[] = [];
  raw.experiments.forEach((entry, index) => {
    const at = `experiments[${index}]`;
    if (!(entry.workflow in workflows)) {
      problems.push({
        path: `${at}.workflow`,
        message: `unknown workflow "${entry.workflow}"; known: ${Object.keys(workflows).join(', ') || '(none)'}`,
      });
    }
    const anomalies = resolveAnomalies(entry, at, problems);
    const counts = entry.number_of_anomaly_workers.length === 0 ? [0] : [...entry.number_of_anomaly_workers];
    const isNormal = anomalies.length === 1 && anomalies[0] === 'normal';
    counts.forEach((count, countIndex) => {
      const path = `${at}.number_of_anomaly_workers[${countIndex}]`;
      if (isNormal && count > 0) {
        problems.push({ path, message: `a "normal" experiment has no anomalous workers (got ${count}); use []` });
      } else if (!isNormal && count === 0) {
        problems.push({ path, message: 'an anomaly needs at least one anomalous worker (got 0)' });
      } else if (count > workers.length) {
        problems.push({
          path,
          message: `${count} anomalous workers requested but the infrastructure has ${workers.length}`,
        });
      }
    });
    experiments.push({ workflow: entry.workflow, anomalies, anomalousWorkers: counts, runs: entry.number_of_runs });
  });

  const total = countPlannedRuns(experiments);
  if (total > CAMPAIGN_LIMITS.runs) {
    problems.push({
      path: 'experiments',
      message: `the experiments expand into ${total} runs, more than the limit of ${CAMPAIGN_LIMITS.runs}; split the campaign or lower number_of_runs`,
    });
  }
  if (problems.length > 0) throw invalid(where, problems);
  const infrastructure: CampaignConfig['infrastructure'] = { workers };
  if (raw.infrastructure.submit_node)
    infrastructure.submitNode = { ipAddress: raw.infrastructure.submit_node.ip_address };
  if (raw.infrastructure.data_node) infrastructure.dataNode = { ipAddress: raw.infrastructure.data_node.ip_address };
  return { infrastructure, experiments, workflows };
}

/**
 * Reads and validates a campaign file; workflow paths resolve against the file's folder.
 * @example const config = await loadCampaignConfig('campaign.json');
 * @throws ProteusError PROTEUS_CONTROLLER_CONFIG_UNREADABLE when the file is missing or not JSON
 * @throws ProteusError PROTEUS_CONTROLLER_INVALID_CONFIG when the content is invalid
 */
export async function loadCampaignConfig(path: string): Promise<CampaignConfig & { seed?: number }> {
  const input = await readJsonFile(path, 'controller/loadCampaignConfig');
  const config = parseCampaignConfig(input, { baseDir: dirname(resolve(path)), source: path });
  const seed = (input as { seed?: unknown }).seed;
  return typeof seed === 'number' ? { ...config, seed } : config;
}

/** Reads a JSON file or throws PROTEUS_CONTROLLER_CONFIG_UNREADABLE. */
export async function readJsonFile(path: string, where: string): Promise<unknown> {
  let text: string;
  try {
    const size = (await stat(path)).size;
    if (size > MAX_JSON_BYTES) {
      throw new ProteusError(
        'PROTEUS_CONTROLLER_CONFIG_UNREADABLE',
        `${where}: ${path} is ${size} bytes, more than the ${MAX_JSON_BYTES} a campaign or request file may have. Is it the right file?`,
        { details: { path, size, limit: MAX_JSON_BYTES } },
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ProteusError) throw error;
    throw new ProteusError(
      'PROTEUS_CONTROLLER_CONFIG_UNREADABLE',
      `${where}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)}). Check the path.`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ProteusError(
      'PROTEUS_CONTROLLER_CONFIG_UNREADABLE',
      `${where}: ${path} is not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
}

/** How many runs `planCampaign` makes of these experiments, computed without making them. */
export function countPlannedRuns(experiments: readonly ExperimentSpec[]): number {
  return experiments.reduce(
    (sum, experiment) => sum + experiment.anomalies.length * experiment.anomalousWorkers.length * experiment.runs,
    0,
  );
}

function resolveWorkers(raw: z.output<typeof infrastructureSchema>, problems: ConfigProblem[]): WorkerSpec[] {
  const nodes = raw.chameleon_nodes ?? raw.nodes;
  if (raw.chameleon_nodes && raw.nodes) {
    problems.push({ path: 'infrastructure.nodes', message: 'give either "nodes" or "chameleon_nodes", not both' });
  }
  const workers: WorkerSpec[] = [];
  if (raw.workers && nodes) {
    problems.push({
      path: 'infrastructure',
      message: 'give either "workers" or "nodes" with "condor_config", not both',
    });
  } else if (raw.workers) {
    for (const worker of raw.workers) {
      workers.push({
        name: worker.name,
        cores: worker.cores,
        memoryMb: worker.memory_mb,
        site: worker.site ?? 'local',
      });
    }
  } else if (nodes) {
    const slot = raw.condor_config;
    if (!slot) {
      problems.push({
        path: 'infrastructure.condor_config',
        message: 'nodes are sliced into workers by condor_config { cores, ram }; it is missing',
      });
    } else {
      for (const [node, spec] of Object.entries(nodes)) {
        // Poseidon-X PoseidonCondorPool.py:162-174: n = min(floor(cores/c), floor(ram/r)) containers per node.
        const count = Math.min(Math.floor(spec.cores / slot.cores), Math.floor(spec.ram / slot.ram));
        if (workers.length + count > CAMPAIGN_LIMITS.workers) {
          problems.push({
            path: `infrastructure.nodes.${node}`,
            message: `the nodes slice into more than ${CAMPAIGN_LIMITS.workers} workers; use larger condor_config slots`,
          });
          break;
        }
        if (count === 0) {
          problems.push({
            path: `infrastructure.nodes.${node}`,
            message: `node (${spec.cores} cores, ${spec.ram} GB) cannot hold one worker of ${slot.cores} cores and ${slot.ram} GB`,
          });
        }
        for (let i = 0; i < count; i++) {
          const low = i * slot.cores;
          workers.push({
            name: `${node}-container-${low}-${low + slot.cores - 1}`,
            cores: slot.cores,
            memoryMb: slot.ram * 1024,
            site: spec.site ?? node,
          });
        }
      }
    }
  } else {
    problems.push({ path: 'infrastructure', message: 'no workers: give "workers" or "nodes" with "condor_config"' });
  }
  const seen = new Set<string>();
  for (const worker of workers) {
    if (seen.has(worker.name))
      problems.push({ path: 'infrastructure.workers', message: `duplicate worker "${worker.name}"` });
    seen.add(worker.name);
  }
  return workers;
}

function resolveAnomalies(entry: z.output<typeof experimentSchema>, at: string, problems: ConfigProblem[]): string[] {
  const names: string[] = [];
  if (entry.type !== undefined && entry.anomaly !== undefined) {
    problems.push({ path: at, message: 'give either "type" (e.g. "cpu_2") or "anomaly" with "levels", not both' });
    return names;
  }
  if (entry.type !== undefined) {
    if (entry.levels) problems.push({ path: `${at}.levels`, message: '"levels" goes with "anomaly", not with "type"' });
    names.push(entry.type);
  } else if (entry.anomaly !== undefined) {
    if (entry.anomaly === 'normal') {
      if (entry.levels) problems.push({ path: `${at}.levels`, message: 'a "normal" experiment has no levels' });
      names.push('normal');
    } else if (!entry.levels) {
      problems.push({ path: `${at}.levels`, message: `anomaly "${entry.anomaly}" needs "levels", e.g. [2, 3]` });
    } else {
      for (const level of entry.levels) names.push(`${entry.anomaly}_${level}`);
    }
  } else {
    problems.push({
      path: at,
      message: 'missing the anomaly: give "type" (e.g. "normal", "cpu_2") or "anomaly" + "levels"',
    });
  }
  const valid: string[] = [];
  names.forEach((name) => {
    const problem = checkAnomalyName(name);
    if (problem) problems.push({ path: entry.type !== undefined ? `${at}.type` : `${at}.anomaly`, message: problem });
    else valid.push(name);
  });
  return valid.length === names.length ? valid : names;
}

function invalid(where: string, problems: ConfigProblem[]): ProteusError {
  return new ProteusError(
    'PROTEUS_CONTROLLER_INVALID_CONFIG',
    `controller: ${where} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${formatProblems(problems)}`,
    { details: problems },
  );
}
