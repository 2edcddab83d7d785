import { gcnAdjacency, hopDistances, loadWorkflowGraph, toDenseAdjacency } from '@proteus-wf/workflow-graph';

const graph = await loadWorkflowGraph('datasets/flowbench/adjacency_list_dags/montage.json');
console.log(graph.size, graph.edgeCount); // 539 jobs, 2838 parent -> child edges
console.log(graph.indexOf('mAdd_ID0000470')); // node index = key order of the JSON
console.log(graph.edges().slice(0, 3)); // [[parentIndex, childIndex], ...]
const hops = hopDistances(graph); // Int32Array, hops from the nearest root, per node index
const a = gcnAdjacency(graph); // CSR D^-1/2 (A + I) D^-1/2, PyG GCNConv semantics
const dense = toDenseAdjacency(a); // Float32Array N x N, row i = what job i aggregates
console.log(Math.max(...hops), dense.length); // deepest job, N * N
