import { describe, expect, it } from 'vitest';
import { repoRoot } from './index.js';
import { findSharedDatasetSuites, judgeSharedDatasets } from './shared-datasets-setup.js';

describe('judgeSharedDatasets', () => {
  const suites = ['packages/features/test/real-datasets.test.ts', 'packages/models/test/train.test.ts'];

  it('says nothing when the datasets are present', () => {
    expect(judgeSharedDatasets({ present: true, required: true, suites, datasetsRoot: '/x/datasets' })).toEqual({});
  });

  it('names every skipped suite in one line when the datasets are absent', () => {
    const verdict = judgeSharedDatasets({ present: false, required: false, suites, datasetsRoot: '/x/datasets' });
    expect(verdict.error).toBeUndefined();
    expect(verdict.line?.split('\n')).toHaveLength(1);
    for (const suite of suites) expect(verdict.line).toContain(suite);
  });

  it('throws PROTEUS_TEST_DATASETS_MISSING when required and absent', () => {
    const verdict = judgeSharedDatasets({ present: false, required: true, suites, datasetsRoot: '/x/datasets' });
    expect(verdict.error?.code).toBe('PROTEUS_TEST_DATASETS_MISSING');
    expect(verdict.error?.details).toEqual({ suites });
  });
});

describe('findSharedDatasetSuites', () => {
  it('finds the suites that use hasSharedDatasets, and not this one', () => {
    const found = findSharedDatasetSuites(repoRoot);
    expect(found).toContain('packages/features/test/real-datasets.test.ts');
    expect(found).toContain('packages/cli/src/commands/train.test.ts');
    expect(found).not.toContain('tooling/test-utils/src/shared-datasets-setup.test.ts');
  });
});
