import { typecheckPublishedDeclarations } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';

// onnxruntime-common's declarations need DOM types (ImageData, WebGLTexture, ...), so they must not be reachable
// from ours (issue 12 §2). Both packages as published: onnx-train's sources import onnxruntime-node's types, its
// declarations do not.
describe('the published declarations of @proteus-wf/models', () => {
  it('typecheck in a strict Node-only consumer without skipLibCheck (no onnxruntime types leak)', async () => {
    const { externalImports, tscOutput } = await typecheckPublishedDeclarations({
      packages: ['models', 'onnx-train'],
      consumer:
        "import { type LoadedModel, rocAuc } from '@proteus-wf/models';\n" +
        'export const auc: number = rocAuc([0, 1], [0.2, 0.8]);\n' +
        'export type Model = LoadedModel;\n',
    });
    expect(externalImports).toEqual([]);
    expect(tscOutput).toBe('');
  }, 300_000);
});
