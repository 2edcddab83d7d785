// Shared pieces of the models benchmarks: the Flow-Bench DAGs, medians, JSON lines, onnxruntime kernel profiles.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession, createTensor, runGraph } from '@proteus-wf/onnx-train';
import { gcnAdjacency, parseFlowBenchAdjacency, toDenseAdjacency } from '@proteus-wf/workflow-graph';

/** `{ name, unit, value, load }` on stdout: one JSON line per number, the 1-minute load average beside it. */
export function emit(name, unit, value) {
  process.stdout.write(`${JSON.stringify({ name, unit, value, load1: Number(loadavg()[0].toFixed(2)) })}\n`);
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export const adjacencyFolder = join(process.cwd(), '..', 'shared', 'datasets', 'flowbench', 'adjacency_list_dags');

/** A Flow-Bench DAG from ../shared/datasets, or undefined when the datasets are absent. */
export function loadWorkflowGraph(workflow) {
  const file = join(adjacencyFolder, `${workflow}.json`);
  if (!existsSync(file)) return undefined;
  return parseFlowBenchAdjacency(readFileSync(file, 'utf8'), { source: file });
}

/** The GCN-normalized dense adjacency of 1000genome (N = 137), or of a seeded random DAG of that size. */
export function loadGenomeAdjacency(rng) {
  const graph = loadWorkflowGraph('1000genome');
  if (graph) return { nodes: graph.size, adjacency: toDenseAdjacency(gcnAdjacency(graph)), source: '1000genome' };
  const nodes = 137;
  const adjacency = new Float32Array(nodes * nodes);
  const degree = new Array(nodes).fill(1);
  const edges = [];
  for (let i = 1; i < nodes; i++) {
    edges.push([rng.int(0, i - 1), i]);
    degree[i]++;
  }
  for (let i = 0; i < nodes; i++) adjacency[i * nodes + i] = 1 / degree[i];
  for (const [s, t] of edges) adjacency[t * nodes + s] = 1 / Math.sqrt(degree[s] * degree[t]);
  return { nodes, adjacency, source: 'random-dag' };
}

/** A tensor of ones for every input of a session, symbolic dims set to `batch`. */
export function onesFeeds(session, batch) {
  const feeds = {};
  for (const input of session.session.inputMetadata) {
    const dims = (input.shape ?? []).map((d) => (typeof d === 'number' ? d : batch));
    const size = dims.reduce((p, d) => p * d, 1);
    feeds[input.name] = createTensor('float32', new Float32Array(size).fill(1), dims);
  }
  return feeds;
}

/**
 * Kernels per `session.run` of a graph, from onnxruntime's profile: runs it `runs` times on ones (values do not change
 * which kernels run) and counts the Node `*_kernel_time` events per run, with the op types that run most often.
 */
export async function countKernels(bytes, batch, { runs = 20, threads = 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'proteus-kernels-'));
  try {
    const session = await createSession(bytes, { threads, profilePrefix: join(dir, 'profile') });
    const feeds = onesFeeds(session, batch);
    for (let i = 0; i < runs; i++) await runGraph(session, feeds);
    session.session.endProfiling();
    await session.session.release();
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    const events = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const kernels = events.filter((e) => e.cat === 'Node' && String(e.name).endsWith('_kernel_time'));
    const byOp = {};
    const microsByOp = {};
    for (const e of kernels) {
      const op = e.args?.op_name ?? '?';
      byOp[op] = (byOp[op] ?? 0) + 1;
      microsByOp[op] = (microsByOp[op] ?? 0) + (e.dur ?? 0) / runs;
    }
    const perRun = Object.fromEntries(
      Object.entries(byOp)
        .sort((a, b) => b[1] - a[1])
        .map(([op, count]) => [op, count / runs]),
    );
    const micros = Object.fromEntries(
      Object.entries(microsByOp)
        .sort((a, b) => b[1] - a[1])
        .map(([op, us]) => [op, Math.round(us)]),
    );
    return { kernels: kernels.length / runs, byOp: perRun, microsByOp: micros };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
