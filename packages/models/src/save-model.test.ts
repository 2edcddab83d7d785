import { isProteusError } from '@proteus-wf/core';
import { describe, expect, it } from 'vitest';
import { saveModel } from './save-model.js';
import type { TrainedModel } from './train.js';

const model = { onnx: new Uint8Array([8, 9]), metadata: { onnx: {} } } as unknown as TrainedModel;

async function codeOf(call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await call();
  } catch (error) {
    return isProteusError(error) ? error.code : `raw ${String(error)}`;
  }
  return undefined;
}

describe('saveModel', () => {
  it('throws PROTEUS_MODELS_INVALID_ARGUMENT when called with the folder first', async () => {
    const swapped = saveModel as unknown as (dir: string, model: TrainedModel) => Promise<unknown>;
    expect(await codeOf(() => swapped('models/x', model))).toBe('PROTEUS_MODELS_INVALID_ARGUMENT');
  });

  it('throws PROTEUS_MODELS_INVALID_ARGUMENT for an empty folder or a non-model', async () => {
    expect(await codeOf(() => saveModel(model, ''))).toBe('PROTEUS_MODELS_INVALID_ARGUMENT');
    expect(await codeOf(() => saveModel({} as TrainedModel, 'models/x'))).toBe('PROTEUS_MODELS_INVALID_ARGUMENT');
  });
});
