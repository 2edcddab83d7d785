import { ProteusError } from '@proteus-wf/core';
import type { Scaler } from '@proteus-wf/features';
import type { ClassificationSummary } from './summarize-classification.js';

/** The sidecar format name and version; `loadModel` refuses anything else. */
export const MODEL_FORMAT = 'proteus-model';
export const MODEL_FORMAT_VERSION = 1;

/**
 * Everything a saved model needs to score new traces, stored as `model.json` beside the inference `model.onnx`.
 * Plain JSON: the feature pipeline and fitted scaler, the classes, the workflow and its DAG, and provenance.
 */
export interface ModelMetadata {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  model: 'gcn' | 'mlp';
  task: 'graph' | 'node';
  labels: 'binary' | 'multiclass';
  /** Output class names; class 0 is always `normal`. */
  classes: string[];
  /** How trace labels map to classes (`merged`: cpu_2 -> cpu; `binary`: any anomaly -> anomalous). */
  labelGranularity: 'binary' | 'merged';
  workflow: string;
  generation: 1 | 2;
  /** Jobs per run (N) and their names in node-index order. */
  jobs: number;
  jobNames: string[];
  /** `adjacencyHash` of the DAG the model was trained on. */
  adjacencyHash: string;
  /** The DAG as Flow-Bench adjacency JSON (`{ parent: [children] }`), to read single CSV files later. */
  adjacency: Record<string, string[]>;
  pipeline: { name: string; version: number; featureNames: string[] };
  scaler: Scaler;
  architecture: { hidden: number; dropout: number; undirected: boolean };
  training: {
    protocol: 'paper' | 'deployable';
    seed: number;
    epochs: number;
    epochsRun: number;
    bestEpoch: number;
    batchSize: number;
    optimizer: string;
    lr: number;
    weightDecay: number;
    runs: { train: number; validation: number; test: number };
    trainSeconds: number;
    test: ClassificationSummary | null;
  };
  versions: { models: string; onnxruntime: string; node: string };
  onnx: { file: string; sha256: string; input: string; output: string };
}

/**
 * Checks a parsed `model.json` enough to trust its fields, and names the first problem.
 * @throws ProteusError PROTEUS_MODELS_BAD_METADATA when a field is missing or of the wrong type
 */
export function checkModelMetadata(value: unknown, source: string): ModelMetadata {
  const fail = (what: string): never => {
    throw new ProteusError(
      'PROTEUS_MODELS_BAD_METADATA',
      `models/loadModel: ${source} is not a Proteus model sidecar: ${what}. Save models with saveModel or \`proteus train --out\`.`,
    );
  };
  if (typeof value !== 'object' || value === null) return fail('expected a JSON object');
  const meta = value as Record<string, unknown>;
  if (meta.format !== MODEL_FORMAT) return fail(`format is ${JSON.stringify(meta.format)}, expected "${MODEL_FORMAT}"`);
  if (meta.formatVersion !== MODEL_FORMAT_VERSION) {
    return fail(
      `formatVersion ${JSON.stringify(meta.formatVersion)} is not supported (this version reads ${MODEL_FORMAT_VERSION})`,
    );
  }
  const checks: Array<[string, (v: unknown) => boolean]> = [
    ['model', (v) => v === 'gcn' || v === 'mlp'],
    ['task', (v) => v === 'graph' || v === 'node'],
    ['labels', (v) => v === 'binary' || v === 'multiclass'],
    ['classes', (v) => Array.isArray(v) && v.length >= 2 && v.every((c) => typeof c === 'string')],
    ['workflow', (v) => typeof v === 'string'],
    ['generation', (v) => v === 1 || v === 2],
    ['jobs', (v) => Number.isInteger(v) && (v as number) > 0],
    ['jobNames', (v) => Array.isArray(v) && v.every((c) => typeof c === 'string')],
    ['adjacencyHash', (v) => typeof v === 'string'],
    ['adjacency', (v) => typeof v === 'object' && v !== null],
    [
      'pipeline',
      (v) => typeof v === 'object' && v !== null && Array.isArray((v as { featureNames?: unknown }).featureNames),
    ],
    ['scaler', (v) => typeof v === 'object' && v !== null],
    ['onnx', (v) => typeof v === 'object' && v !== null && typeof (v as { sha256?: unknown }).sha256 === 'string'],
  ];
  for (const [field, ok] of checks) if (!ok(meta[field])) fail(`field "${field}" is missing or malformed`);
  if ((meta.jobNames as string[]).length !== meta.jobs)
    fail(`jobNames has ${(meta.jobNames as string[]).length} names for ${meta.jobs} jobs`);
  return value as ModelMetadata;
}
