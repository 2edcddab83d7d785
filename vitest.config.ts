import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@proteus-wf/source'] },
  ssr: { resolve: { conditions: ['@proteus-wf/source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
