import type { WorkflowGraph } from './workflow-graph.js';

/** Options of `toDot`. */
export interface ToDotOptions {
  /** Graphviz `rankdir`; default `TB` (roots at the top). */
  rankdir?: 'TB' | 'LR' | 'BT' | 'RL';
}

/**
 * Exports a graph as Graphviz DOT: one node per job (labelled with its name, shaped by type: `box` compute,
 * `ellipse` auxiliary, `cds` transfer, `folder` subwf) and one edge per dependency, in node-index order.
 *
 * @example writeFileSync('montage.dot', toDot(graph)); // then: dot -Tsvg montage.dot > montage.svg
 */
export function toDot(graph: WorkflowGraph, options: ToDotOptions = {}): string {
  const lines = [
    `digraph ${dotId(graph.workflow)} {`,
    `  rankdir=${options.rankdir ?? 'TB'};`,
    '  node [fontsize=10];',
  ];
  // Node ids are indices, so any job name is safe: it only appears as a quoted label.
  graph.jobs().forEach((job, i) => {
    lines.push(
      `  n${i} [label=${dotId(job.name)}, shape=${SHAPES[job.type] ?? 'box'}, tooltip=${dotId(`${job.transformation} (${job.type})`)}];`,
    );
  });
  for (const [parent, child] of graph.edges()) lines.push(`  n${parent} -> n${child};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const SHAPES: Readonly<Record<string, string>> = {
  compute: 'box',
  auxiliary: 'ellipse',
  transfer: 'cds',
  subwf: 'folder',
};

/** A DOT double-quoted string. */
function dotId(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n')}"`;
}
