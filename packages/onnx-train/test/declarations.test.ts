import { typecheckPublishedDeclarations } from '@proteus-wf/test-utils';
import { describe, expect, it } from 'vitest';

// onnxruntime-common's declarations need DOM types (ImageData, WebGLTexture, ...), so they must not be reachable
// from ours (issue 12 §2).
describe('the published declarations of @proteus-wf/onnx-train', () => {
  it('typecheck in a strict Node-only consumer without skipLibCheck (no onnxruntime types leak)', async () => {
    const { externalImports, tscOutput } = await typecheckPublishedDeclarations({
      packages: ['onnx-train'],
      consumer:
        "import { createGraphBuilder, createTensor, type Tensor } from '@proteus-wf/onnx-train';\n" +
        'export const bytes: Uint8Array = createGraphBuilder().toModel();\n' +
        "export const tensor: Tensor = createTensor('float32', new Float32Array(1), [1]);\n",
    });
    expect(externalImports).toEqual([]);
    expect(tscOutput).toBe('');
  }, 300_000);
});
