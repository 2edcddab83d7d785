import {
  addGradients,
  appendOptimizerStep,
  createGraphBuilder,
  createSession,
  createTensor,
  resolveOptimizer,
  runGraph,
} from '@proteus-wf/onnx-train';

// Logistic regression as ONE ONNX graph: forward, loss, backward and the Adam update run in one session.run.
const g = createGraphBuilder({ name: 'logistic-regression' });
const x = g.input('x', 'float32', ['batch', 2]);
const y = g.input('y', 'float32', ['batch', 1]);
const w = g.input('w', 'float32', [2, 1]);
const b = g.input('b', 'float32', [1]);
const p = g.sigmoid(g.add(g.matMul(x, w), b));
const nll = g.neg(g.add(g.mul(y, g.log(p)), g.mul(g.sub(1, y), g.log(g.sub(1, p)))));
const loss = g.reduceMean(nll);
const grads = addGradients(g, loss, [w, b]);
const scalars = { step: g.input('step', 'float32', []), lr: g.input('lr', 'float32', []) };
const adam = appendOptimizerStep(g, [w, b], grads, resolveOptimizer({ kind: 'adam' }), scalars);
g.output(loss, 'loss');
g.output(adam.updated[0], 'w.next');
g.output(adam.updated[1], 'b.next');
for (const [i, state] of adam.stateInputs.entries()) g.output(adam.stateOutputs[i], `${state.name}.next`);

const session = await createSession(g.toModel(), { threads: 1 });
const f32 = (values, dims) => createTensor('float32', Float32Array.from(values), dims);
// Class 1 when x0 + x1 > 1.
const xs = [0.1, 0.2, 0.9, 0.8, 0.4, 0.3, 0.7, 0.9, 0.2, 0.6, 0.8, 0.5];
const ys = [0, 1, 0, 1, 0, 1];
const feeds = { x: f32(xs, [6, 2]), y: f32(ys, [6, 1]), w: f32([0, 0], [2, 1]), b: f32([0], [1]) };
const zeros = (shape) => f32(new Float32Array(shape.reduce((size, d) => size * d, 1)), shape);
for (const state of adam.stateInputs) feeds[state.name] = zeros(state.shape); // Adam's m and v
let first;
let last;
for (let step = 1; step <= 300; step++) {
  const out = await runGraph(session, { ...feeds, step: f32([step], []), lr: f32([0.05], []) });
  // The outputs of step k are the inputs of step k + 1 (no copies).
  feeds.w = out['w.next'];
  feeds.b = out['b.next'];
  for (const state of adam.stateInputs) feeds[state.name] = out[`${state.name}.next`];
  last = out.loss.data[0];
  first ??= last;
}
console.log({ first: first.toFixed(3), last: last.toFixed(3) }); // { first: '0.693', last: '0.061' }
if (!(last < first / 2)) throw new Error(`training did not converge: ${first} -> ${last}`);
await session.session.release();
