import type { JobAttributes } from '../workflow-graph.js';

/**
 * The edges Pegasus's planner infers from file use: a job that writes an lfn (`output` or `inout`) precedes every
 * other job that reads it (`input`, or `inout` when it comes later in the file, so two `inout` users do not form a
 * cycle). `checkpoint` files are a job's own restart state and create no edge.
 */
export function fileDependencies(jobs: readonly JobAttributes[]): Array<[string, string]> {
  const producers = new Map<string, number[]>();
  jobs.forEach((job, i) => {
    for (const use of job.uses ?? []) {
      if (use.link === 'output' || use.link === 'inout') {
        const list = producers.get(use.lfn) ?? [];
        if (list[list.length - 1] !== i) list.push(i);
        producers.set(use.lfn, list);
      }
    }
  });
  const edges: Array<[string, string]> = [];
  jobs.forEach((job, i) => {
    for (const use of job.uses ?? []) {
      if (use.link !== 'input' && use.link !== 'inout') continue;
      for (const producer of producers.get(use.lfn) ?? []) {
        if (producer === i) continue;
        if (use.link === 'inout' && producer > i) continue;
        edges.push([(jobs[producer] as JobAttributes).name, job.name]);
      }
    }
  });
  return edges;
}
