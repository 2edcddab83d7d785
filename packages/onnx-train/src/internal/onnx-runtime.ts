// onnxruntime-node is loaded on first use, not at import: metrics-only users never load its native addon (issue 12).
// It is a CommonJS package, so `require` gives the same module instance that a static `import` would.
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';

const require = createRequire(import.meta.url);
let loaded: typeof Ort | undefined;

/** The onnxruntime-node module, required on the first call. */
export function onnxRuntime(): typeof Ort {
  loaded ??= require('onnxruntime-node') as typeof Ort;
  return loaded;
}
