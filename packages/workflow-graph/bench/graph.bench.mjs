// Time to parse Flow-Bench montage (539 jobs, 2838 edges) and build its GCN adjacency, against the built package.
// Prints JSON lines { name, unit, value } (medians over repeated runs after a warm-up). Run: npm run bench -- workflow-graph
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gcnAdjacency, hopDistances, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';

const path = fileURLToPath(
  new URL('../../../../shared/datasets/flowbench/adjacency_list_dags/montage.json', import.meta.url),
);
const text = readFileSync(path, 'utf8');
const WARMUP = 20;
const RUNS = 100;

function median(fn) {
  for (let i = 0; i < WARMUP; i++) fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const emit = (name, unit, value) =>
  process.stdout.write(`${JSON.stringify({ name, unit, value: Number(value.toFixed(4)) })}\n`);

const graph = parseFlowBenchAdjacency(text, { source: path });
emit(
  'workflow-graph/montage-parse',
  'ms',
  median(() => parseFlowBenchAdjacency(text, { source: path })),
);
emit(
  'workflow-graph/montage-gcn-adjacency',
  'ms',
  median(() => gcnAdjacency(graph)),
);
emit(
  'workflow-graph/montage-gcn-adjacency-undirected',
  'ms',
  median(() => gcnAdjacency(graph, { undirected: true })),
);
emit(
  'workflow-graph/montage-parse-plus-gcn',
  'ms',
  median(() => gcnAdjacency(parseFlowBenchAdjacency(text, { source: path }))),
);
emit(
  'workflow-graph/montage-hop-distances',
  'ms',
  median(() => hopDistances(graph)),
);
const csr = gcnAdjacency(graph);
emit(
  'workflow-graph/montage-dense-adjacency',
  'ms',
  median(() => toDenseAdjacency(csr)),
);
emit('workflow-graph/peak-rss', 'MB', process.resourceUsage().maxRSS / 1024);
