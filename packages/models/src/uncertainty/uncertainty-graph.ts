/*
 * One ONNX graph per model that returns, for a batch of runs, each job's gradient of the model's loss with respect to
 * its input features. Reference: the active-learning paper's s_k = dH/dQ_k (§3.2, Eq. 5-6) and its code's per-job
 * input gradient (`run_SSL_samp.py` `generate_uncert_scores`, ml.md §5.2-5.4).
 */

import { addGradients, createGraphBuilder, type GraphBuilder, type Value } from '@proteus-wf/onnx-train';
import { buildForward } from '../graphs/model-graph.js';
import type { ModelWeights, ResolvedModelSpec } from '../graphs/model-spec.js';
import { assertWeights, weightShapes } from '../graphs/model-spec.js';
import { buildSslForward, sslWeightValues } from '../ssl/ssl-graph.js';
import { assertSslWeights, type ResolvedSslSpec } from '../ssl/ssl-spec.js';

/**
 * The loss whose input gradient measures a job's uncertainty. `reconstruction` (SSL): the sum of per-job L2
 * reconstruction errors. For classifiers: `self`, cross-entropy against the model's own arg-max prediction;
 * `entropy`, the predictive entropy; `margin`, minus the gap between the two most probable classes.
 */
export type UncertaintyLoss = 'reconstruction' | 'self' | 'entropy' | 'margin';

/** The model an uncertainty graph differentiates. */
export type UncertaintyModel =
  | { kind: 'ssl'; spec: ResolvedSslSpec; weights: ModelWeights; temperature: number }
  | {
      kind: 'classifier';
      spec: ResolvedModelSpec;
      weights: ModelWeights;
      loss: Exclude<UncertaintyLoss, 'reconstruction'>;
    };

/** Appends `sum(loss)` of a classifier's logits for the chosen variant (the arg-max is a constant, no gradient). */
function classifierLoss(g: GraphBuilder, logits: Value, loss: Exclude<UncertaintyLoss, 'reconstruction'>): Value {
  const logProbabilities = g.logSoftmax(logits, -1);
  const probabilities = g.softmax(logits, -1);
  if (loss === 'entropy') return g.neg(g.reduceSum(g.mul(probabilities, logProbabilities)));
  const top = g.cast(g.equal(probabilities, g.reduceMax(probabilities, [-1], true)), 'float32');
  if (loss === 'self') return g.neg(g.reduceSum(g.mul(top, logProbabilities)));
  // margin = p_top1 - p_top2; subtracting 1 at the top class leaves the runner-up as the max.
  const first = g.reduceSum(g.mul(top, probabilities), [-1]);
  const second = g.reduceMax(g.sub(probabilities, top), [-1]);
  return g.neg(g.reduceSum(g.sub(first, second)));
}

/**
 * Builds the uncertainty graph with the weights baked in. Input `x` [batch, N, F]; outputs `gradient` [batch, N, F]
 * (d loss / d x), `gradientNorm` [batch, N] (its L2 norm per job) and `loss` (scalar, summed over the batch, so a job's
 * gradient does not depend on the batch size). The SSL graph also outputs `scores` [batch, N].
 * @example const bytes = buildUncertaintyGraph({ kind: 'ssl', spec, weights, temperature: 0.1 });
 * @throws ProteusError PROTEUS_MODELS_INVALID_WEIGHTS when the weights do not match the spec
 */
export function buildUncertaintyGraph(model: UncertaintyModel): Uint8Array {
  const g = createGraphBuilder({ name: `uncertainty-${model.kind}` });
  let x: Value;
  let loss: Value;
  if (model.kind === 'ssl') {
    assertSslWeights(model.spec, model.weights, 'buildUncertaintyGraph');
    const forward = buildSslForward(
      g,
      model.spec,
      sslWeightValues(g, model.spec, model.weights),
      g.scalar(model.temperature),
    );
    x = forward.x;
    loss = g.reduceSum(forward.errors);
    g.output(g.transpose(forward.errors, [1, 0]), 'scores');
  } else {
    const known = new Set(weightShapes(model.spec).map(([name]) => name));
    const weights = Object.fromEntries(Object.entries(model.weights).filter(([name]) => known.has(name)));
    assertWeights(model.spec, weights, 'buildUncertaintyGraph');
    const values: Record<string, Value> = {};
    for (const [name, shape] of weightShapes(model.spec))
      values[name] = g.initializer(name, 'float32', shape, (weights[name] as { data: Float32Array }).data);
    const forward = buildForward(g, model.spec, values, { dropout: false });
    x = forward.x;
    loss = classifierLoss(g, forward.logits, model.loss);
  }
  const [gradient] = addGradients(g, loss, [x]) as [Value];
  g.output(loss, 'loss');
  g.output(gradient, 'gradient');
  g.output(g.sqrt(g.reduceSum(g.mul(gradient, gradient), [-1])), 'gradientNorm');
  return g.toModel();
}
