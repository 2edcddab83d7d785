import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, '..');
const repoRoot = join(packageRoot, '..', '..');
const bin = (name: string) => join(repoRoot, 'node_modules', '.bin', name);

// A strict Node-only consumer: no DOM lib, no skipLibCheck. onnxruntime-common's declarations need DOM types
// (ImageData, WebGLTexture, ...), so they must not be reachable from ours (issue 12 §2).
const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    customConditions: ['@proteus-wf/source'],
    strict: true,
    types: ['node'],
    skipLibCheck: false,
    noEmit: true,
    // Both packages as published: onnx-train's sources import onnxruntime-node's types, its declarations do not.
    paths: { '@proteus-wf/models': ['./bundle/index.d.ts'], '@proteus-wf/onnx-train': ['./onnx-train/index.d.ts'] },
  },
  files: ['consumer.ts'],
};

describe('the published declarations of @proteus-wf/models', () => {
  it('typecheck in a strict Node-only consumer without skipLibCheck (no onnxruntime types leak)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'proteus-models-dts-'));
    try {
      // The same bundler and config as `npm run build`, declarations only.
      await promisify(execFile)(bin('tsup'), ['--dts-only', '--out-dir', join(dir, 'bundle')], { cwd: packageRoot });
      await promisify(execFile)(bin('tsup'), ['--dts-only', '--out-dir', join(dir, 'onnx-train')], {
        cwd: join(packageRoot, '..', 'onnx-train'),
      });
      const declarations = await readFile(join(dir, 'bundle', 'index.d.ts'), 'utf8');
      const imported = [...declarations.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(imported.filter((specifier) => !/^(@proteus-wf\/|node:)/.test(specifier as string))).toEqual([]);

      await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG));
      await writeFile(
        join(dir, 'consumer.ts'),
        "import { type LoadedModel, rocAuc } from '@proteus-wf/models';\n" +
          'export const auc: number = rocAuc([0, 1], [0.2, 0.8]);\n' +
          'export type Model = LoadedModel;\n',
      );
      const result = await promisify(execFile)(bin('tsc'), ['-p', dir]).then(
        () => '',
        (error: { stdout?: string }) => error.stdout ?? String(error),
      );
      expect(result).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
