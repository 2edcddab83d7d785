import { describe, expect, it } from 'vitest';
import { broadcastShapes, createGraphBuilder } from './graph-builder.js';

describe('createGraphBuilder', () => {
  it('infers shapes through broadcasting, matmul, reductions and reshape with a symbolic batch', () => {
    const g = createGraphBuilder();
    const x = g.input('x', 'float32', ['batch', 137, 24]);
    const w = g.input('w', 'float32', [24, 64]);
    const h = g.add(g.matMul(x, w), g.input('b', 'float32', [64]));
    expect(h.shape).toEqual(['batch', 137, 64]);
    expect(g.reduceMean(h, [1]).shape).toEqual(['batch', 64]);
    expect(g.reduceSum(h, [-1], true).shape).toEqual(['batch', 137, 1]);
    expect(g.reshape(h, [-1, 64]).shape).toEqual(['batch*137', 64]);
    expect(g.transpose(h, [1, 0, 2]).shape).toEqual([137, 'batch', 64]);
    expect(g.slice(h, [2], [-1], [1]).shape).toEqual(['batch', 134, 64]);
    expect(g.unsqueeze(w, [0]).shape).toEqual([1, 24, 64]);
  });

  it('throws PROTEUS_ONNX_TRAIN_GRAPH_INVALID for shapes that do not broadcast or multiply', () => {
    const g = createGraphBuilder();
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4, 3]);
    expect(() => g.add(a, b)).toThrow(expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_GRAPH_INVALID' }));
    expect(() => g.matMul(a, b)).toThrow(expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_GRAPH_INVALID' }));
    expect(() => g.input('a', 'float32', [1])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_GRAPH_INVALID' }),
    );
    expect(() => broadcastShapes(['n'], ['m'])).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_GRAPH_INVALID' }),
    );
  });

  it('throws PROTEUS_ONNX_TRAIN_GRAPH_INVALID for a graph without outputs', () => {
    expect(() => createGraphBuilder().toModel()).toThrow(
      expect.objectContaining({ code: 'PROTEUS_ONNX_TRAIN_GRAPH_INVALID' }),
    );
  });
});
