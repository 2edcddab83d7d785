// biome-ignore-all assist/source/organizeImports: the index is a table of contents grouped by topic
// Graph builder: typed ONNX ops, static and symbolic shapes, shape inference, ModelProto bytes
export type {
  Dim,
  DType,
  GemmOptions,
  GraphBuilderOptions,
  GraphNode,
  TensorData,
  Value,
} from './graph-builder.js';
export { broadcastShapes, createGraphBuilder, GraphBuilder, OPSET } from './graph-builder.js';

// Reverse-mode autodiff: backward nodes appended to the same graph
export type { AddGradientsOptions } from './gradients.js';
export { addGradients, DIFFERENTIABLE_OPS } from './gradients.js';

// In-graph optimizers: SGD (momentum), Adam, AdamW
export type { AdamSpec, AdamWSpec, OptimizerSpec, OptimizerStep, ResolvedOptimizer, SgdSpec } from './optimizers.js';
export { appendOptimizerStep, resolveOptimizer } from './optimizers.js';

// onnxruntime-node sessions and tensors (onnxruntime-node is loaded on the first session or tensor)
export type {
  CreateSessionOptions,
  ExecutionProvider,
  InputMetadata,
  OnnxSession,
  ProteusSession,
  RunGraphOptions,
  Tensor,
  TensorValues,
} from './session.js';
export { createSession, createTensor, onnxRuntimeVersion, runGraph } from './session.js';
