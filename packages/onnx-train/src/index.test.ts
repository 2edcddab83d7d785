import { describe, expect, it } from 'vitest';

describe('@proteus-wf/onnx-train exports', () => {
  it('lists every public name (a change here is an API change)', async () => {
    expect(Object.keys(await import('./index.js')).sort()).toMatchInlineSnapshot(`
      [
        "DIFFERENTIABLE_OPS",
        "GraphBuilder",
        "OPSET",
        "addGradients",
        "appendOptimizerStep",
        "broadcastShapes",
        "createGraphBuilder",
        "createSession",
        "createTensor",
        "onnxRuntimeVersion",
        "resolveOptimizer",
        "runGraph",
      ]
    `);
  });
});
