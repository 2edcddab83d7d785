import { createRequire } from 'node:module';
import { onnxRuntimeVersion } from '@proteus-wf/onnx-train';

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
  return { models, onnxruntime: onnxRuntimeVersion(), node: process.versions.node };
}
