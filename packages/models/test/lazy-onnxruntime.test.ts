import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..', '..');
const register = join(repoRoot, 'examples', '01-live-loop', 'scripts', 'register.mjs');
const script = join(here, 'fixtures', 'report-onnxruntime-loaded.mjs');

async function report(packageName: string) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', register, script, packageName], {
    cwd: repoRoot,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as {
    exports: number;
    auc: number;
    ap: number;
    afterImport: boolean;
    afterMetrics: boolean;
    afterTensor: boolean;
  };
}

describe('onnxruntime-node is loaded lazily', () => {
  it('is not loaded by importing @proteus-wf/models and computing metrics, only by the first tensor', async () => {
    const loaded = await report('@proteus-wf/models');
    expect(loaded.auc).toBe(1);
    expect(loaded.ap).toBe(1);
    expect(loaded.afterImport).toBe(false);
    expect(loaded.afterMetrics).toBe(false);
    // The positive control: the same check sees the addon once a tensor needs it.
    expect(loaded.afterTensor).toBe(true);
  });

  it('is not loaded by importing @proteus-wf/active-learner', async () => {
    const loaded = await report('@proteus-wf/active-learner');
    expect(loaded.exports).toBeGreaterThan(0);
    expect(loaded.afterImport).toBe(false);
    expect(loaded.afterMetrics).toBe(false);
    expect(loaded.afterTensor).toBe(true);
  });
});
