import type { JobAttributes, TransformationInfo, WorkflowFormat, WorkflowGraph } from './workflow-graph.js';

/** Node-link JSON of a workflow graph; the networkx `node_link_data` layout, readable by `parseWorkflowJson`. */
export interface WorkflowGraphJson {
  directed: true;
  multigraph: false;
  graph: {
    workflow: string;
    /** The format the graph was first read from. */
    format: WorkflowFormat;
    source: string;
    transformations?: Record<string, TransformationInfo>;
  };
  /** Jobs in node-index order; `id` is the job name. */
  nodes: Array<{ id: string } & Omit<JobAttributes, 'name'>>;
  links: Array<{ source: string; target: string }>;
}

/**
 * Exports a graph as node-link JSON (networkx `node_link_data` layout: `directed`, `graph`, `nodes[{id, ...}]`,
 * `links[{source, target}]`). Node order is the node index, so `parseWorkflowJson(toJson(g))` has the same
 * `adjacencyHash` as `g`. `JSON.stringify` the result to write it.
 *
 * @example writeFileSync('montage.graph.json', JSON.stringify(toJson(graph)));
 */
export function toJson(graph: WorkflowGraph): WorkflowGraphJson {
  const { workflow, format, source, transformations } = graph.attributes;
  const names = graph.jobNames();
  return {
    directed: true,
    multigraph: false,
    graph: { workflow, format, source, ...(transformations === undefined ? {} : { transformations }) },
    nodes: graph.jobs().map(({ name, ...rest }) => ({ id: name, ...rest })),
    links: graph.edges().map(([p, c]) => ({ source: names[p] as string, target: names[c] as string })),
  };
}
