import { createHash } from 'node:crypto';
import type { WorkflowGraph } from './workflow-graph.js';

/**
 * A stable SHA-256 (hex) of the job names in node-index order and the edges. Two graphs hash equal exactly when
 * they have the same jobs at the same indices and the same edges, whatever format or file they came from, so a
 * saved model can check that it is applied to the workflow it was trained on. Attributes do not count.
 *
 * @example adjacencyHash(graph) === model.metadata.adjacencyHash;
 */
export function adjacencyHash(graph: WorkflowGraph): string {
  const hash = createHash('sha256');
  hash.update(`proteus-adjacency-v1\n${graph.size}\n`);
  // JSON-encoding each name keeps names with newlines or quotes unambiguous.
  for (const name of graph.jobNames()) hash.update(`${JSON.stringify(name)}\n`);
  for (const [parent, child] of graph.edges()) hash.update(`${parent} ${child}\n`);
  return hash.digest('hex');
}
