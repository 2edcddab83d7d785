import type { Rng } from '@proteus-wf/core';
import type { ExperimentBackend } from '../experiment-backend.js';
import { type CandidateEmbedding, gradientEmbeddings } from '../strategies.js';
import type { LearnerModel } from './learner-model.js';
import type { RunBatch } from './model-definitions.js';

const BATCH = 32;

/**
 * BADGE gradient embeddings of the unlabelled pool runs of each option (at most `limit` per option, drawn at random):
 * what a new run of it would change in the model, under the model's own predicted labels.
 */
export async function embedCandidates(
  model: LearnerModel,
  backend: ExperimentBackend,
  keys: readonly string[],
  settings: { limit: number; rng: Rng },
): Promise<CandidateEmbedding[]> {
  const { nodes, features } = backend;
  const owners: { key: string; runId: string; x: Float32Array }[] = [];
  for (const key of keys) {
    const c = backend.candidates?.(key);
    if (!c || c.runs === 0) continue;
    let picked = c.runIds.map((_, i) => i);
    if (picked.length > settings.limit) picked = settings.rng.sample(picked, settings.limit).sort((a, b) => a - b);
    for (const i of picked)
      owners.push({
        key,
        runId: c.runIds[i] as string,
        x: c.x.subarray(i * nodes * features, (i + 1) * nodes * features),
      });
  }
  const out: CandidateEmbedding[] = [];
  for (let start = 0; start < owners.length; start += BATCH) {
    const part = owners.slice(start, start + BATCH);
    const x = new Float32Array(part.length * nodes * features);
    part.forEach((o, k) => {
      x.set(o.x, k * nodes * features);
    });
    const batch: RunBatch = { x, runs: part.length, jobBinary: new Uint8Array(part.length * nodes) };
    const a = await model.analyze(batch);
    const embeddings = gradientEmbeddings({ nodes, ...a });
    part.forEach((o, k) => {
      out.push({ key: o.key, runId: o.runId, embedding: embeddings[k] as Float32Array });
    });
  }
  return out;
}
