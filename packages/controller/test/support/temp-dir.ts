// NOTE: @proteus-wf/test-utils is not linked into node_modules in this checkout (no install since it was added), so
// the tests reach its source by path, as the CLI's tests do.
export { createTempDir, datasetsRoot, hasSharedDatasets, repoRoot } from '../../../../tooling/test-utils/src/index.js';
