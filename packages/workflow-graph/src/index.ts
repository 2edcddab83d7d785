// Public API of @proteus-wf/workflow-graph, one line per module (sorted by module file name).
export { adjacencyHash } from './adjacency-hash.js';
export { buildWorkflowGraph } from './build-workflow-graph.js';
export type { JobNameProblem } from './check-job-name.js';
export { checkJobName, describeJobNameProblem, MAX_JOB_NAME_BYTES } from './check-job-name.js';
export type { CsrMatrix, GcnAdjacencyOptions, MeanAdjacencyOptions } from './gcn-adjacency.js';
export { gcnAdjacency, meanAdjacency, toDenseAdjacency } from './gcn-adjacency.js';
export { inferJobType } from './infer-job-type.js';
export type { GraphologyGraph } from './internal/libraries.js';
export type { LoadWorkflowGraphOptions, ParseWorkflowOptions, WorkflowInputFormat } from './load-workflow-graph.js';
export { detectWorkflowFormat, loadWorkflowGraph, parseWorkflow } from './load-workflow-graph.js';
export type { ParseDagmanOptions } from './parse-dagman.js';
export { parseDagman } from './parse-dagman.js';
export type { ParseDaxOptions } from './parse-dax.js';
export { parseDax } from './parse-dax.js';
export type { ParseFlowBenchAdjacencyOptions } from './parse-flowbench-adjacency.js';
export { normalizeGen1JobName, parseFlowBenchAdjacency } from './parse-flowbench-adjacency.js';
export type { ParsePegasusYamlOptions } from './parse-pegasus-yaml.js';
export { parsePegasusYaml } from './parse-pegasus-yaml.js';
export type { ParseWfFormatOptions } from './parse-wfformat.js';
export { parseWfFormat } from './parse-wfformat.js';
export type { ParseWorkflowJsonOptions, WorkflowJsonKind } from './parse-workflow-json.js';
export { detectWorkflowJson, parseWorkflowJson } from './parse-workflow-json.js';
export type { ToDotOptions } from './to-dot.js';
export { toDot } from './to-dot.js';
export type { WorkflowGraphJson } from './to-json.js';
export { toJson } from './to-json.js';
export type { AdjacencyList } from './traversal.js';
export { findCycle, hasCycle, hopDistances, levels, topologicalOrder } from './traversal.js';
export type {
  JobAttributes,
  JobLink,
  JobUse,
  TransformationInfo,
  WorkflowAttributes,
  WorkflowFormat,
  WorkflowGraphInput,
} from './workflow-graph.js';
export { WorkflowGraph } from './workflow-graph.js';
