/*
 * The third-party libraries this package owns, imported in one place so that swapping one touches one file.
 */

import * as xml from 'fast-xml-parser';
import { DirectedGraph } from 'graphology';
import * as yaml from 'yaml';

export type { Document as YamlDocument } from 'yaml';
export { DirectedGraph };

/** A graphology `DirectedGraph` as returned by `WorkflowGraph.toGraphology()`. */
export type GraphologyGraph = DirectedGraph;

export const loadYaml = (_where: string): typeof yaml => yaml;
export const loadXml = (_where: string): typeof xml => xml;
