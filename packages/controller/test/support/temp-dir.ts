export { createTempDir, datasetsRoot, hasSharedDatasets, repoRoot } from '@proteus-wf/test-utils';
