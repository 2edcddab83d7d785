import { defineConfig, type Options } from 'tsup';

/** Shared build: ESM only, declarations, every dependency external (onnxruntime-node's native binary must stay in node_modules). */
export function definePackageBuild(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    skipNodeModulesBundle: true,
    ...overrides,
  });
}
