import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@proteus-wf/source'] },
  ssr: { resolve: { conditions: ['@proteus-wf/source'] } },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'tooling/*/src/**/*.test.ts',
    ],
    // One loud line naming the suites that skip without ../shared/datasets; fails with PROTEUS_REQUIRE_DATASETS=1.
    globalSetup: ['tooling/test-utils/src/shared-datasets-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
