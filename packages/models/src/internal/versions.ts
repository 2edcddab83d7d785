import { createRequire } from 'node:module';
import { onnxRuntime } from './onnx-runtime.js';

const require = createRequire(import.meta.url);

/** Versions recorded in a saved model's sidecar (this package, onnxruntime, node). */
export function packageVersions(): { models: string; onnxruntime: string; node: string } {
  // src/internal/ and dist/ both sit below the package root; try both depths.
  let models = 'unknown';
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      const manifest = require(candidate) as { name?: string; version?: string };
      if (manifest.name === '@proteus-wf/models' && manifest.version) {
        models = manifest.version;
        break;
      }
    } catch {
      // not at this depth
    }
  }
  return { models, onnxruntime: onnxRuntime().env.versions.common, node: process.versions.node };
}
