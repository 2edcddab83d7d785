import { loadWorkflowGraph, topologicalOrder } from '@proteus-wf/workflow-graph';
import type { AdjacencyDag } from '../format-run-csv.js';

/**
 * The DAG of a workflow definition (Pegasus YAML 5.0, DAX, WfFormat, DAGMan or adjacency JSON) as Flow-Bench's
 * adjacency list, jobs in topological order. The local testbed runs exactly the jobs of the abstract workflow, so
 * this is also the executed DAG.
 */
export async function loadWorkflowDag(path: string): Promise<AdjacencyDag> {
  const graph = await loadWorkflowGraph(path);
  const dag: AdjacencyDag = {};
  for (const name of topologicalOrder(graph)) dag[name] = graph.children(name);
  return dag;
}
