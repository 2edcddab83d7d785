import { createRng, type Rng } from '@proteus-wf/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { addGradients, DIFFERENTIABLE_OPS } from './gradients.js';
import { createGraphBuilder, type Dim, type GraphBuilder, staticSize, type Value } from './graph-builder.js';
import { createSession } from './session.js';

interface Case {
  /** Input shapes (float64); `symbolic` marks dims declared as symbolic in the graph. */
  shapes: number[][];
  /** Transforms the random normal values of input i (e.g. keep Log's input positive). */
  map?: (value: number, input: number) => number;
  build: (g: GraphBuilder, xs: Value[]) => Value;
  symbolicFirstDim?: boolean;
}

const SEEDS = [1, 2, 3, 4];

function randomShape(rng: Rng, rank: number, max = 4): number[] {
  return Array.from({ length: rank }, () => rng.int(1, max));
}

/** A shape that broadcasts against `shape`: a suffix of it with some dims set to 1. */
function broadcastPartner(rng: Rng, shape: number[]): number[] {
  const keep = rng.int(0, shape.length);
  return shape.slice(shape.length - keep).map((d) => (rng.float() < 0.4 ? 1 : d));
}

/** Checks autodiff gradients of sum(f(x) * R) against float64 central differences. */
async function checkGradients(rng: Rng, c: Case): Promise<void> {
  const g = createGraphBuilder({ name: 'gradcheck' });
  const xs = c.shapes.map((shape, i) => {
    const dims: Dim[] = c.symbolicFirstDim && shape.length > 0 ? ['batch', ...shape.slice(1)] : shape;
    return g.input(`x${i}`, 'float64', dims);
  });
  const out = c.build(g, xs);
  const outShape = out.shape.map((d) => (typeof d === 'number' ? d : (c.shapes[0]?.[0] ?? 1)));
  const weights = Float64Array.from({ length: staticSize(outShape) ?? 0 }, () => rng.normal());
  const loss = g.reduceSum(g.mul(out, g.constant(weights, outShape, 'float64')));
  const grads = addGradients(g, loss, xs);
  g.output(loss, 'loss');
  grads.forEach((d, i) => {
    g.output(d, `d${i}`);
  });
  const { session } = await createSession(g.toModel());
  const data = c.shapes.map((shape, i) =>
    Float64Array.from({ length: staticSize(shape) ?? 0 }, () => (c.map ? c.map(rng.normal(), i) : rng.normal())),
  );
  const run = async () => {
    const feeds: Record<string, ort.Tensor> = {};
    data.forEach((d, i) => {
      feeds[`x${i}`] = new ort.Tensor('float64', d, c.shapes[i]);
    });
    return session.run(feeds);
  };
  const base = await run();
  const h = 1e-6;
  for (let i = 0; i < data.length; i++) {
    const x = data[i] as Float64Array;
    const analytic = base[`d${i}`]?.data as Float64Array;
    expect(analytic.length).toBe(x.length);
    const probes = x.length <= 24 ? x.map((_, j) => j) : Array.from({ length: 24 }, () => rng.int(0, x.length - 1));
    for (const j of probes) {
      const saved = x[j] as number;
      x[j] = saved + h;
      const plus = (await run()).loss?.data[0] as number;
      x[j] = saved - h;
      const minus = (await run()).loss?.data[0] as number;
      x[j] = saved;
      const numeric = (plus - minus) / (2 * h);
      const got = analytic[j] as number;
      expect(Math.abs(got - numeric), `input ${i} element ${j}: autodiff ${got} vs FD ${numeric}`).toBeLessThan(
        1e-5 * Math.max(1, Math.abs(numeric)),
      );
    }
  }
  await session.release();
}

const awayFromZero = (v: number) => v + Math.sign(v || 1) * 0.3;
const positive = (v: number) => Math.abs(v) + 0.2;

const CASES: Record<string, (rng: Rng) => Case> = {
  MatMul: (rng) => {
    const [b, m, k, n] = randomShape(rng, 4) as [number, number, number, number];
    const variants: [number[], number[]][] = [
      [
        [m, k],
        [k, n],
      ],
      [
        [b, m, k],
        [k, n],
      ],
      [
        [m, k],
        [b, k, n],
      ],
      [
        [b, m, k],
        [b, k, n],
      ],
      [
        [b, 1, m, k],
        [2, k, n],
      ],
    ];
    const [sa, sb] = variants[rng.int(0, variants.length - 1)] as [number[], number[]];
    return { shapes: [sa, sb], build: (g, [a, c]) => g.matMul(a as Value, c as Value) };
  },
  Gemm: (rng) => {
    const [m, k, n] = randomShape(rng, 3) as [number, number, number];
    const transA = rng.float() < 0.5;
    const transB = rng.float() < 0.5;
    const cShape = [[n], [m, n], [1, n], [m, 1]][rng.int(0, 3)] as number[];
    const alpha = 0.5 + rng.float();
    const beta = 0.5 + rng.float();
    return {
      shapes: [transA ? [k, m] : [m, k], transB ? [n, k] : [k, n], cShape],
      build: (g, [a, b, c]) => g.gemm(a as Value, b as Value, c, { alpha, beta, transA, transB }),
    };
  },
  ...Object.fromEntries(
    (['add', 'sub', 'mul', 'div', 'pow'] as const).map((op) => [
      op[0]?.toUpperCase() + op.slice(1),
      (rng: Rng): Case => {
        const shape = randomShape(rng, rng.int(1, 3));
        const partner = broadcastPartner(rng, shape);
        const swap = rng.float() < 0.5;
        const shapes = swap ? [partner, shape] : [shape, partner];
        return {
          shapes,
          map:
            op === 'div'
              ? (v, i) => (i === 1 ? awayFromZero(v) : v)
              : op === 'pow'
                ? (v, i) => (i === 0 ? positive(v) : v)
                : undefined,
          build: (g, [a, b]) => g[op](a as Value, b as Value),
        };
      },
    ]),
  ),
  ...Object.fromEntries(
    (['neg', 'relu', 'sigmoid', 'tanh', 'exp', 'log', 'sqrt'] as const).map((op) => [
      op[0]?.toUpperCase() + op.slice(1),
      (rng: Rng): Case => ({
        shapes: [randomShape(rng, rng.int(1, 3))],
        map: op === 'log' || op === 'sqrt' ? positive : op === 'relu' ? awayFromZero : undefined,
        build: (g, [a]) => g[op](a as Value),
      }),
    ]),
  ),
  Softmax: (rng) => {
    const shape = randomShape(rng, 3);
    const axis = rng.int(-3, 2);
    return { shapes: [shape], build: (g, [a]) => g.softmax(a as Value, axis) };
  },
  LogSoftmax: (rng) => {
    const shape = randomShape(rng, 3);
    const axis = rng.int(-3, 2);
    return { shapes: [shape], build: (g, [a]) => g.logSoftmax(a as Value, axis) };
  },
  ...Object.fromEntries(
    (['reduceSum', 'reduceMean', 'reduceMax'] as const).map((op) => [
      op[0]?.toUpperCase() + op.slice(1),
      (rng: Rng): Case => {
        const shape = randomShape(rng, 3);
        const all = rng.float() < 0.25;
        const axes = all ? undefined : rng.sample([0, 1, -1], rng.int(1, 2));
        const keepdims = rng.float() < 0.5;
        return { shapes: [shape], build: (g, [a]) => g[op](a as Value, axes, keepdims) };
      },
    ]),
  ),
  Reshape: (rng) => {
    const [a, b, c] = randomShape(rng, 3) as [number, number, number];
    return { shapes: [[a, b, c]], build: (g, [x]) => g.reshape(x as Value, [rng.float() < 0.5 ? -1 : a * b, c]) };
  },
  Transpose: (rng) => {
    const perm = rng.shuffle([0, 1, 2]);
    return { shapes: [randomShape(rng, 3)], build: (g, [x]) => g.transpose(x as Value, perm) };
  },
  Concat: (rng) => {
    const shape = randomShape(rng, 3);
    const axis = rng.int(0, 2);
    const other = shape.map((d, i) => (i === axis ? rng.int(1, 3) : d));
    return { shapes: [shape, other], build: (g, [a, b]) => g.concat([a as Value, b as Value], axis) };
  },
  Slice: (rng) => {
    const shape = randomShape(rng, 3, 5);
    const axis = rng.int(0, 2);
    const size = shape[axis] as number;
    const start = rng.int(0, size - 1);
    const end = rng.float() < 0.3 ? -1 : rng.int(start + 1, size);
    return { shapes: [shape], build: (g, [x]) => g.slice(x as Value, [start], [end], [axis]) };
  },
  Gather: (rng) => {
    const shape = randomShape(rng, 3);
    const axis = rng.int(0, 2);
    const size = shape[axis] as number;
    const indices = Array.from({ length: rng.int(1, 5) }, () => rng.int(0, size - 1));
    const twoD = rng.float() < 0.3 && indices.length % 2 === 0;
    return {
      shapes: [shape],
      build: (g, [x]) =>
        g.gather(x as Value, g.constant(indices, twoD ? [2, indices.length / 2] : [indices.length], 'int64'), axis),
    };
  },
  Unsqueeze: (rng) => ({
    shapes: [randomShape(rng, 2)],
    build: (g, [x]) => g.unsqueeze(x as Value, [rng.int(0, 2)]),
  }),
  Squeeze: (rng) => {
    const shape = randomShape(rng, 3);
    const axis = rng.int(0, 2);
    shape[axis] = 1;
    return { shapes: [shape], build: (g, [x]) => g.squeeze(x as Value, [axis]) };
  },
  Where: (rng) => {
    const shape = randomShape(rng, 2);
    const partner = broadcastPartner(rng, shape);
    const cond = Array.from({ length: staticSize(shape) ?? 0 }, () => (rng.float() < 0.5 ? 1 : 0));
    return {
      shapes: [shape, partner],
      build: (g, [a, b]) => g.where(g.constant(cond, shape, 'bool'), a as Value, b as Value),
    };
  },
  Dropout: (rng) => {
    const shape = randomShape(rng, 3);
    const mask = Array.from({ length: staticSize(shape) ?? 0 }, () => (rng.float() < 0.5 ? 0 : 2));
    return { shapes: [shape], build: (g, [x]) => g.dropout(x as Value, g.constant(mask, shape, 'float64')) };
  },
  ScatterND: (rng) => {
    const [n, b, h] = randomShape(rng, 3) as [number, number, number];
    const e = rng.int(1, 6);
    const indices = Array.from({ length: e }, () => rng.int(0, n - 1));
    return {
      shapes: [
        [n, b, h],
        [e, b, h],
      ],
      build: (g, [data, updates]) =>
        g.scatterNdAdd(data as Value, g.constant(indices, [e, 1], 'int64'), updates as Value),
    };
  },
  GatherND: (rng) => {
    const [n, b] = randomShape(rng, 2) as [number, number];
    const indices = Array.from({ length: 4 }, () => rng.int(0, n - 1));
    return { shapes: [[n, b]], build: (g, [x]) => g.gatherNd(x as Value, g.constant(indices, [4, 1], 'int64')) };
  },
  Expand: (rng) => {
    const shape = randomShape(rng, 3);
    const partner = broadcastPartner(rng, shape);
    return { shapes: [partner], build: (g, [x]) => g.expand(x as Value, g.ints(shape)) };
  },
  Abs: (rng) => ({ shapes: [randomShape(rng, 2)], map: awayFromZero, build: (g, [x]) => g.abs(x as Value) }),
};

describe('addGradients', () => {
  for (const [op, make] of Object.entries(CASES)) {
    it(`matches float64 central differences for ${op} on random shapes`, async () => {
      for (const seed of SEEDS) await checkGradients(createRng(seed * 7919 + op.length), make(createRng(seed)));
    });
  }

  it('handles a symbolic batch dim through broadcasting, reshape and reductions', async () => {
    await checkGradients(createRng(11), {
      shapes: [[3, 4, 2], [2, 5], [5]],
      symbolicFirstDim: true,
      build: (g, [x, w, b]) => {
        const h = g.relu(g.add(g.matMul(x as Value, w as Value), b as Value));
        const flat = g.reshape(h, [-1, 5]);
        return g.reduceMean(g.mul(flat, flat), [0]);
      },
    });
  });

  it('chains ops that reuse a value (gradient accumulation) like a GCN layer with a loss', async () => {
    await checkGradients(createRng(12), {
      shapes: [
        [2, 4, 3],
        [3, 2],
      ],
      build: (g, [x, w]) => {
        const adjacency = g.constant(
          [0.5, 0.5, 0, 0, 0.3, 0.4, 0.3, 0, 0, 0.5, 0.5, 0, 0, 0, 0.2, 0.8],
          [4, 4],
          'float64',
        );
        const h = g.matMul(adjacency, g.matMul(x as Value, w as Value));
        const logp = g.logSoftmax(g.add(h, g.tanh(h)), -1);
        return g.neg(g.reduceMean(g.reduceSum(g.mul(logp, logp), [-1])));
      },
    });
  });

  it('scatters a row gather gradient into the gradient already accumulated (sparse aggregation with self loops)', async () => {
    const edges = { src: [1, 0, 2, 2, 3], dst: [0, 1, 1, 3, 2] };
    const build = (g: GraphBuilder, [x]: Value[]) => {
      const rows = x as Value;
      const messages = g.mul(
        g.gather(rows, g.constant(edges.src, [5], 'int64'), 0),
        g.constant([0.5, 0.2, 0.3, 0.7, 0.4], [5, 1], rows.dtype),
      );
      const self = g.mul(rows, g.constant([0.5, 0.5, 0.4, 0.3], [4, 1], rows.dtype));
      return g.tanh(g.scatterNdAdd(self, g.constant(edges.dst, [5, 1], 'int64'), messages));
    };
    await checkGradients(createRng(13), { shapes: [[4, 3]], build });

    const g = createGraphBuilder();
    const x = g.input('x', 'float32', [4, 3]);
    const y = build(g, [x]);
    const before = g.nodes.length;
    addGradients(g, g.reduceSum(y), [x]);
    const backward = g.nodes.slice(before).map((node) => node.op);
    expect(backward.filter((op) => op === 'ScatterND')).toHaveLength(1);
    expect(backward.filter((op) => op === 'Expand')).toHaveLength(1); // the loss's ReduceSum, no zero fill
    expect(backward.filter((op) => op === 'Add')).toHaveLength(0);
  });

  it('divides a mean-pool gradient before broadcasting it back over the pooled axis', () => {
    const g = createGraphBuilder();
    const x = g.input('x', 'float32', [137, 32, 64]);
    const pooled = g.reduceMean(x, [0]);
    const before = g.nodes.length;
    addGradients(g, g.reduceSum(g.mul(pooled, pooled)), [x]);
    const backward = g.nodes.slice(before);
    const divide = backward.find((node) => node.op === 'Div');
    expect(divide?.outputs[0]?.shape).toEqual([32, 64]);
    const fullSize = backward.filter((node) => node.outputs[0]?.shape[0] === 137).map((node) => node.op);
    expect(fullSize).toEqual(['Expand']);
  });

  it('covers every differentiable op the builder offers', () => {
    const tested = new Set(Object.keys(CASES));
    const untested = DIFFERENTIABLE_OPS.filter((op) => !tested.has(op) && !['Identity', 'Cast'].includes(op));
    expect(untested).toEqual([]);
  });

  it('throws PROTEUS_ONNX_TRAIN_GRAPH_INVALID for a non-scalar loss', () => {
    const g = createGraphBuilder();
    const x = g.input('x', 'float32', [2]);
    expect(() => addGradients(g, g.relu(x), [x])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_GRAPH_INVALID' }),
    );
  });

  it('returns zeros for inputs the loss does not depend on', async () => {
    const g = createGraphBuilder();
    const x = g.input('x', 'float32', [2]);
    const y = g.input('y', 'float32', [3]);
    const [dy] = addGradients(g, g.reduceSum(g.exp(x)), [y]);
    g.output(dy as Value, 'dy');
    const { session } = await createSession(g.toModel());
    const out = await session.run({
      x: new ort.Tensor('float32', new Float32Array(2), [2]),
      y: new ort.Tensor('float32', new Float32Array([1, 2, 3]), [3]),
    });
    expect(Array.from(out.dy?.data as Float32Array)).toEqual([0, 0, 0]);
  });
});
