import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JobRecord, ProteusError } from '@proteus-wf/core';
import { loadWorkflowGraph, topologicalOrder } from '@proteus-wf/workflow-graph';
import { isSafeLfn } from './internal/data-node.js';

/** One job of a workflow as the local testbed runs it. */
export interface LocalJob {
  /** The job name (the DAG node name, e.g. `individuals_ID0000001`). */
  name: string;
  type: JobRecord['type'];
  transformation: string;
  /** Absolute path of the program (the transformation's pfn, resolved against the YAML file's folder). */
  executable: string;
  /** The job's arguments as written in the workflow. */
  argv: string[];
  /** Logical file names staged in before the job and out after it. */
  inputs: string[];
  outputs: string[];
  parents: string[];
}

/** A workflow ready to run locally: jobs in a topological order and the raw inputs it reads. */
export interface LocalWorkflow {
  name: string;
  path: string;
  jobs: LocalJob[];
  /** Inputs no job produces, by lfn, resolved to files beside the YAML file. */
  rawInputs: Map<string, string>;
}

const JOB_TYPES = new Set<JobRecord['type']>(['auxiliary', 'compute', 'transfer', 'subwf']);

/**
 * Loads a Pegasus YAML 5.0 workflow whose transformations are local programs, and checks that it can run here:
 * every transformation has a pfn that exists, every lfn is a plain file name, and every input that no job
 * produces exists beside the YAML file. All problems are reported at once.
 *
 * @example
 * const workflow = await loadLocalWorkflow('examples/workflows/montage-like/workflow.yml');
 * workflow.jobs.length; // 31
 * @throws ProteusError PROTEUS_TESTBED_LOCAL_WORKFLOW_INVALID listing every problem in `details`
 * @throws ProteusError from `@proteus-wf/workflow-graph` when the file is missing or is not a valid workflow
 */
export async function loadLocalWorkflow(path: string): Promise<LocalWorkflow> {
  const absolute = resolve(path);
  const graph = await loadWorkflowGraph(absolute);
  const baseDir = dirname(absolute);
  const catalog = graph.attributes.transformations ?? {};
  const problems: string[] = [];
  const produced = new Set<string>();
  for (const name of graph.jobNames()) {
    for (const use of graph.job(name).uses ?? []) {
      if (use.link === 'output' || use.link === 'inout' || use.link === 'checkpoint') produced.add(use.lfn);
    }
  }
  const rawInputs = new Map<string, string>();
  const jobs: LocalJob[] = [];
  for (const name of topologicalOrder(graph)) {
    const attributes = graph.job(name);
    const entry = catalog[attributes.transformation];
    let executable = '';
    if (entry?.pfn === undefined) {
      problems.push(
        `job ${name}: transformation "${attributes.transformation}" has no pfn in the transformation catalog`,
      );
    } else {
      executable = resolvePfn(entry.pfn, baseDir);
      if (!existsSync(executable) || !statSync(executable).isFile()) {
        problems.push(
          `job ${name}: pfn of "${attributes.transformation}" resolves to ${executable}, which is not a file`,
        );
      }
    }
    const inputs: string[] = [];
    const outputs: string[] = [];
    for (const use of attributes.uses ?? []) {
      if (!isSafeLfn(use.lfn)) {
        problems.push(`job ${name}: lfn "${use.lfn}" is not a plain file name (no "/", "\\" or NUL)`);
        continue;
      }
      if (use.link === 'input' || use.link === 'inout') inputs.push(use.lfn);
      if (use.link === 'output' || use.link === 'inout' || use.link === 'checkpoint') outputs.push(use.lfn);
      if (use.link === 'input' && !produced.has(use.lfn) && !rawInputs.has(use.lfn)) {
        const candidate = resolve(baseDir, use.lfn);
        if (existsSync(candidate)) rawInputs.set(use.lfn, candidate);
        else problems.push(`job ${name}: input "${use.lfn}" is produced by no job and ${candidate} does not exist`);
      }
    }
    const type = JOB_TYPES.has(attributes.type as JobRecord['type'])
      ? (attributes.type as JobRecord['type'])
      : 'compute';
    jobs.push({
      name,
      type,
      transformation: attributes.transformation,
      executable,
      argv: [...(attributes.arguments ?? [])],
      inputs,
      outputs,
      parents: graph.parents(name),
    });
  }
  if (problems.length > 0) {
    throw new ProteusError(
      'PROTEUS_TESTBED_LOCAL_WORKFLOW_INVALID',
      `testbed-local/loadLocalWorkflow: ${absolute} cannot run locally (${problems.length} problem${problems.length === 1 ? '' : 's'}): ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''}. Transformations must be local programs (pfn relative to the YAML folder) and raw inputs must sit beside the YAML file.`,
      { details: { path: absolute, problems } },
    );
  }
  return { name: graph.workflow, path: absolute, jobs, rawInputs };
}

function resolvePfn(pfn: string, baseDir: string): string {
  if (pfn.startsWith('file://')) return fileURLToPath(pfn);
  return isAbsolute(pfn) ? pfn : resolve(baseDir, pfn);
}
